#!/usr/bin/env bash
# Serve everything: the action server (127.0.0.1:5055), the Rasa server (127.0.0.1:5005, or ASSISTANT_INTERFACE: REST channel, LINE channel when
# LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN are set, HTTP API behind a per-run token for the
# console), the staff console (127.0.0.1:5010) and the web chat demo page (5080).
# Embedded defaults: SQLite knowledge store, no external services. Ctrl-C stops everything.
#
# Hardening (tests/e2e/test_surface.py checks the same settings on the servers eval/servers.py starts):
# - request bodies: at most 64 KB on the Rasa server (Sanic reads SANIC_REQUEST_MAX_SIZE; 413 beyond) and 1 MiB on
#   the action server, also once inflated (bot/action_server.py: every action call carries the whole conversation);
# - the action server listens on loopback only (bot/action_server.py);
# - CORS: only the origins in ASSISTANT_CORS_ORIGINS (space- or comma-separated; unset: the demo page's own);
# - Rasa's telemetry is off unless RASA_TELEMETRY_ENABLED is set;
# - the REST channel (bot/channels/rest.py) answers 400 to a malformed body and keeps user text out of the log;
# - the HTTP API token is handed to Rasa from the environment, so it does not show in `ps`.
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
export RASA_TELEMETRY_ENABLED=${RASA_TELEMETRY_ENABLED:-false}
cors=${ASSISTANT_CORS_ORIGINS-http://127.0.0.1:5080 http://localhost:5080}  # set but empty: no web page may call
read -r -a cors_origins <<<"${cors//,/ }"

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT INT TERM
.venv/bin/python -m bot.action_server --actions bot.actions --port 5055 & pids+=($!)
.venv/bin/python -m console --port 5010 & pids+=($!)
if [ -d webchat ]; then
  .venv/bin/python -m webchat --port 5080 & pids+=($!)
fi
# Development servers answer on loopback only; ASSISTANT_INTERFACE=0.0.0.0 (or one address) lets the Rasa server
# (channels and token-guarded HTTP API) answer other machines too. The public face of production is nginx (make run-prod).
interface=${ASSISTANT_INTERFACE:-127.0.0.1}
echo "REST channel: http://$interface:5005/webhooks/rest/webhook (web pages from: ${cors_origins[*]})" >&2
# bot/rasa_command.py: Rasa's command line with the project's guarded changes to Rasa, and the API token appended
# inside the process (not on the command line, which `ps` shows to every user).
SANIC_REQUEST_MAX_SIZE=65536 .venv/bin/python -m bot.rasa_command run --model "$model" --interface "$interface" --port 5005 \
  --cors "${cors_origins[@]}" --credentials "$credentials" --endpoints endpoints.yml --enable-api
