#!/usr/bin/env bash
# Train the Rasa model only when its inputs changed: the model file is named by a hash of
# config.yml, domain.yml, data/, bot/components/, the importer that adds each program's intent and rule,
# and the programs' sections and slugs (not their facts: a new phone number needs no new model).
# Prints the model's path.
set -euo pipefail
cd "$(dirname "$0")/.."
hash=$( (cat config.yml domain.yml bot/importers.py bot/program_intents.py knowledge/catalog.py \
            $(find data bot/components -type f \( -name '*.yml' -o -name '*.py' \) | sort)
          grep -h -E '^(section|slug):' $(ls knowledge/programs/*.yml | sort)) | sha256sum | cut -c1-16)
model="models/aomori-${hash}.tar.gz"
if [ ! -f "$model" ]; then
  echo "training model $model (inputs changed)" >&2
  .venv/bin/rasa train --fixed-model-name "aomori-${hash}" --out models >&2
fi
echo "$model"
