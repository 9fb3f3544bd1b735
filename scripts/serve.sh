#!/usr/bin/env bash
# Serve everything: the action server (5055), the Rasa server (5005: REST channel, LINE channel when
# LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN are set, HTTP API behind a per-run token for the
# console), the staff console (127.0.0.1:5010) and the web chat demo page (5080).
# Embedded defaults: SQLite knowledge store, no external services. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
model=$(bash scripts/train.sh)
credentials=credentials.yml  # REST only
if [ -n "${LINE_CHANNEL_SECRET:-}" ] && [ -n "${LINE_CHANNEL_ACCESS_TOKEN:-}" ]; then
  # Rasa expands the ${VAR}s in these files from its environment (inherited); nothing secret is written to disk.
  credentials=credentials-line.yml
  if [ -n "${LINE_API_BASE_URL:-}" ]; then  # another LINE API host (a local stub)
    credentials=credentials-line-stub.yml
  fi
  echo "LINE webhook: https://<public host>/webhooks/line/webhook (Rasa port 5005)" >&2
fi
RASA_API_TOKEN=${RASA_API_TOKEN:-$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(24))')}
export RASA_API_TOKEN RASA_URL=http://127.0.0.1:5005

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT INT TERM
.venv/bin/rasa run actions --actions bot.actions --port 5055 & pids+=($!)
.venv/bin/python -m console --port 5010 & pids+=($!)
if [ -d webchat ]; then
  .venv/bin/python -m webchat --port 5080 & pids+=($!)
fi
echo "REST channel: http://localhost:5005/webhooks/rest/webhook" >&2
.venv/bin/rasa run --model "$model" --port 5005 --cors "*" --credentials "$credentials" --endpoints endpoints.yml \
  --enable-api --auth-token "$RASA_API_TOKEN"
