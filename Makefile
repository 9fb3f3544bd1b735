# Two commands on a fresh machine: `make run` (the assistant) and `make test` (the tests).
# Every target is idempotent: it does only the work whose inputs changed.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup knowledge train run run-prod shell lint test-unit test evaluate benchmark clean

setup: $(STAMP)

# Rasa 3.6.21 declares Python <3.11: its dependencies are installed first from our pinned list,
# then rasa and rasa-sdk themselves without dependency resolution (checked on this machine: rasa's declared bound is older than its code's).
$(STAMP): requirements/base.txt requirements/rasa.txt requirements/constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip<25"
	$(BIN)/pip install --quiet -r requirements/base.txt -c requirements/constraints.txt
	$(BIN)/pip install --quiet --no-deps --ignore-requires-python -r requirements/rasa.txt
	touch $(STAMP)

knowledge: setup
	$(BIN)/python -m knowledge load

train: knowledge
	bash scripts/train.sh

run: train
	bash scripts/serve.sh

# Production: nginx on :5005 in front of two Rasa processes sharing PostgreSQL (conversations) and Redis (locks); the
# action server, the knowledge store and the review log on PostgreSQL. Installed and started by scripts/prod/ (all on
# loopback but nginx; data, logs and secrets in .run/prod/). Ctrl-C stops everything.
run-prod: train
	bash scripts/prod/run.sh

# Chat in the terminal (action server in the background).
shell: train
	$(BIN)/python -m bot.action_server --actions bot.actions --port 5055 & trap "kill $$!" EXIT; \
	$(BIN)/python -m bot.rasa_command shell --model "$$(bash scripts/train.sh)" --endpoints endpoints.yml

# Style and errors a reader should not have to spot: ruff and mypy (configured in pyproject.toml), and the import
# contracts (.importlinter: layers, no cycles).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports  # layers and no import cycles (.importlinter)

# The fast tests: no root, no servers, no trained model (a few seconds; PostgreSQL cases skip without one).
test-unit: setup
	$(BIN)/python -m pytest tests/unit -q

# The tests need Debian's Chromium (browser tests), axe-core (accessibility) and a PostgreSQL server on loopback
# (store tests):
# both are installed/started here, idempotently, so `make test` is the same everywhere.
test: lint train
	bash scripts/install-browser.sh
	bash scripts/install-axe.sh  # axe-core from npm, for the accessibility tests
	$(BIN)/rasa data validate  # errors fail here; warnings are judged by tests/unit/test_domain.py
	TEST_POSTGRES_URL="$${TEST_POSTGRES_URL:-$$(bash scripts/test-postgres.sh)}" $(BIN)/python -m pytest
	$(BIN)/python -m bot.rasa_command test core --model "$$(bash scripts/train.sh)" --stories tests/test_stories.yml --fail-on-prediction-errors --out results

# The owner-voice blind set (NLU and reply level), two-turn conversations, the older held-out sets and
# 5-fold cross-validation (~15 min on 2 cores): both the optimistic and the pessimistic figure.
evaluate: train
	$(BIN)/python -m eval.evaluate --cross-validation --misses

benchmark: train
	$(BIN)/python -m eval.benchmark

clean:
	rm -rf $(VENV) models knowledge/knowledge.db .pytest_cache
