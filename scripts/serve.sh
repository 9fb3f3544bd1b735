#!/usr/bin/env bash
# Serve the assistant: the action server (port 5055) and the Rasa server (port 5005) with the REST
# channel, plus the LINE channel when LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN are set.
# Embedded defaults: SQLite knowledge store, no external services. Stops everything on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
model=$(bash scripts/train.sh)
credentials=credentials.yml
if [ -n "${LINE_CHANNEL_SECRET:-}" ] && [ -n "${LINE_CHANNEL_ACCESS_TOKEN:-}" ]; then
  credentials=$(mktemp --suffix=.yml)
  # The channel reads its secrets from the environment; nothing secret is written to disk.
  printf 'rest:\nbot.channels.line.LineInput:\n' > "$credentials"
  echo "LINE webhook: http://<this host>:5005/webhooks/line/webhook" >&2
fi
.venv/bin/rasa run actions --actions bot.actions --port 5055 &
actions=$!
trap 'kill $actions 2>/dev/null || true' EXIT INT TERM
echo "REST channel: http://localhost:5005/webhooks/rest/webhook" >&2
.venv/bin/rasa run --model "$model" --port 5005 --cors "*" --credentials "$credentials" --endpoints endpoints.yml
