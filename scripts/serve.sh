#!/usr/bin/env bash
# Serve the assistant: the action server (port 5055) and the Rasa server with the REST channel
# (port 5005), on embedded defaults (SQLite knowledge store). Stops both on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
model=$(bash scripts/train.sh)
.venv/bin/rasa run actions --actions bot.actions --port 5055 &
actions=$!
trap 'kill $actions 2>/dev/null || true' EXIT INT TERM
echo "REST channel: http://localhost:5005/webhooks/rest/webhook" >&2
.venv/bin/rasa run --model "$model" --port 5005 --cors "*" --credentials credentials.yml --endpoints endpoints.yml
