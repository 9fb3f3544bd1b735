# Two commands on a fresh machine: `make run` (the assistant) and `make test` (the tests).
# Every target is idempotent: it does only the work whose inputs changed.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup knowledge run test shell clean

setup: $(STAMP)

# Rasa 3.6.21 declares Python <3.11: its dependencies are installed first from our pinned list,
# then rasa and rasa-sdk themselves without dependency resolution (shared/notes/stack.md).
$(STAMP): requirements/base.txt requirements/rasa.txt requirements/constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip<25"
	$(BIN)/pip install --quiet -r requirements/base.txt -c requirements/constraints.txt
	$(BIN)/pip install --quiet --no-deps --ignore-requires-python -r requirements/rasa.txt
	touch $(STAMP)

knowledge: setup
	$(BIN)/python -m knowledge load

test: setup
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) models knowledge/knowledge.db .pytest_cache
