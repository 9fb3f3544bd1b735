# Sourced by the production scripts (scripts/prod/*.sh): every setting, from the environment with working defaults.
# All servers listen on loopback except nginx, the public address. Data, configuration, logs and pid files live in
# PROD_RUN_DIR (default .run/prod/, gitignored); generated secrets are kept there (secrets.env, mode 600) so that a
# restart finds the same database passwords.
#
#   PROD_LISTEN          nginx's public address (nginx `listen` syntax)      default 5005 (all interfaces)
#   PROD_RASA_PORTS      one `rasa run` process per port, on 127.0.0.1          default "5105 5106" (at least two)
#   PROD_ACTIONS_PORT    the action server, on 127.0.0.1                        default 5155
#   PROD_CONSOLE_PORT    the staff console, on 127.0.0.1 (0: not started)       default 5010
#   PROD_PG_PORT         the project's PostgreSQL cluster, on 127.0.0.1         default 5433
#   PROD_REDIS_PORT      the project's Redis (lock store), on 127.0.0.1         default 6380
#   PROD_MAX_BODY        largest request body nginx accepts (413 above it)      default 64k
#   PROD_RASA_MAX_BODY   the same limit in each Rasa process, in bytes (Sanic)  default 65536
#   PROD_RATE            REST requests per second per client IP (nginx), with PROD_BURST queued   default 10r/s, 40
#   ASSISTANT_CORS_ORIGINS  the web pages (origins) that may call the REST channel: your site(s), space- or
#                        comma-separated, as for scripts/serve.sh    default: the demo page's (http://127.0.0.1:5080 ...)
#   PROD_ENDPOINTS       the Rasa endpoints file                                 default endpoints-prod.yml
#   PROD_START_TIMEOUT   seconds to wait for each server to answer              default 300
#   TICKET_LOCK_LIFETIME, LOCK_KEEPALIVE_SECONDS   a conversation's lock in Redis (below)   default 30, 10
#   PROD_PG_PASSWORD, PROD_REDIS_PASSWORD, RASA_API_TOKEN, CONSOLE_PASSWORD    generated once when unset
#                        (CONSOLE_PASSWORD: the first staff account's, `staff`, created when the console first starts)
#   KNOWLEDGE_DB_URL, REVIEW_DB_URL    default: databases aomori_knowledge, aomori_review on the project's PostgreSQL
#   LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN (, LINE_API_BASE_URL)     the LINE channel, as in scripts/serve.sh
# Rasa itself reads the tracker and lock stores from endpoints-prod.yml, whose ${VAR}s are exported below.
# shellcheck shell=bash

PROD_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PROD_BIN=${PROD_BIN:-$PROD_ROOT/.venv/bin}
PROD_RUN_DIR=${PROD_RUN_DIR:-$PROD_ROOT/.run/prod}
mkdir -p "$PROD_RUN_DIR"
PROD_RUN_DIR=$(cd "$PROD_RUN_DIR" && pwd)
chmod 755 "$PROD_RUN_DIR"  # PostgreSQL runs as the postgres user under it

PROD_LISTEN=${PROD_LISTEN:-5005}
PROD_RASA_PORTS=${PROD_RASA_PORTS:-"5105 5106"}
PROD_ACTIONS_PORT=${PROD_ACTIONS_PORT:-5155}
PROD_CONSOLE_PORT=${PROD_CONSOLE_PORT:-5010}
PROD_PG_PORT=${PROD_PG_PORT:-5433}
PROD_REDIS_PORT=${PROD_REDIS_PORT:-6380}
PROD_MAX_BODY=${PROD_MAX_BODY:-64k}
PROD_RATE=${PROD_RATE:-10r/s}
PROD_BURST=${PROD_BURST:-40}
PROD_RASA_MAX_BODY=${PROD_RASA_MAX_BODY:-65536}
ASSISTANT_CORS_ORIGINS=${ASSISTANT_CORS_ORIGINS-http://127.0.0.1:5080 http://localhost:5080}  # set but empty: none
PROD_START_TIMEOUT=${PROD_START_TIMEOUT:-300}
PROD_ENDPOINTS=${PROD_ENDPOINTS:-$PROD_ROOT/endpoints-prod.yml}
PROD_PG_USER=${PROD_PG_USER:-aomori}

# Secrets: the environment's, else the ones generated at the first start (kept in PROD_RUN_DIR/secrets.env).
PROD_SECRETS=$PROD_RUN_DIR/secrets.env
if [ ! -f "$PROD_SECRETS" ]; then
  (umask 077
   for name in PROD_PG_PASSWORD PROD_REDIS_PASSWORD RASA_API_TOKEN CONSOLE_PASSWORD; do
     echo "$name=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
   done > "$PROD_SECRETS")
fi
while IFS='=' read -r name value; do
  [ -n "${!name:-}" ] || printf -v "$name" '%s' "$value"
done < "$PROD_SECRETS"

PROD_PG_URL_BASE="postgresql://$PROD_PG_USER:$PROD_PG_PASSWORD@127.0.0.1:$PROD_PG_PORT"
KNOWLEDGE_DB_URL=${KNOWLEDGE_DB_URL:-$PROD_PG_URL_BASE/aomori_knowledge}
REVIEW_DB_URL=${REVIEW_DB_URL:-$PROD_PG_URL_BASE/aomori_review}

# What endpoints-prod.yml reads (Rasa expands these ${VAR}s when it reads the file; every one must be set).
TRACKER_DB_HOST=${TRACKER_DB_HOST:-127.0.0.1}
TRACKER_DB_PORT=${TRACKER_DB_PORT:-$PROD_PG_PORT}
TRACKER_DB_NAME=${TRACKER_DB_NAME:-aomori_tracker}
TRACKER_DB_USER=${TRACKER_DB_USER:-$PROD_PG_USER}
TRACKER_DB_PASSWORD=${TRACKER_DB_PASSWORD:-$PROD_PG_PASSWORD}
LOCK_REDIS_HOST=${LOCK_REDIS_HOST:-127.0.0.1}
LOCK_REDIS_PORT=${LOCK_REDIS_PORT:-$PROD_REDIS_PORT}
LOCK_REDIS_PASSWORD=${LOCK_REDIS_PASSWORD:-$PROD_REDIS_PASSWORD}
LOCK_REDIS_DB=${LOCK_REDIS_DB:-1}
ACTION_SERVER_URL=${ACTION_SERVER_URL:-http://127.0.0.1:$PROD_ACTIONS_PORT/webhook}
export TRACKER_DB_HOST TRACKER_DB_PORT TRACKER_DB_NAME TRACKER_DB_USER TRACKER_DB_PASSWORD \
  LOCK_REDIS_HOST LOCK_REDIS_PORT LOCK_REDIS_PASSWORD LOCK_REDIS_DB ACTION_SERVER_URL
export KNOWLEDGE_DB_URL REVIEW_DB_URL RASA_API_TOKEN CONSOLE_PASSWORD
# Each Rasa process holds a SQLAlchemy pool on the tracker database: Rasa's default (50 + 100 overflow) per process
# would exceed PostgreSQL's 100 connections with two processes.
export SQL_POOL_SIZE=${SQL_POOL_SIZE:-5} SQL_MAX_OVERFLOW=${SQL_MAX_OVERFLOW:-10}
# A conversation's lock (bot/lock_store.py): one turn at a time per conversation, whichever process serves it. A live
# process renews its tickets every second; when it dies, its conversations wait until its tickets expire.
# TICKET_LOCK_LIFETIME (Rasa's setting): the longest a turn may hold its conversation, from when it is served. Above
#   the longest turn: an action call may take ACTION_TIMEOUT_SECONDS (15, common/settings.py) before it
#   counts as failed, then the rest of the turn runs on a loaded machine; a turn still running after it lets the
#   next message of its conversation in, and the two turns would overlap.
# LOCK_KEEPALIVE_SECONDS: a dead process's tickets expire this long after its last renewal, which bounds how long a
#   crash stalls its conversations (tests/prod/test_faults.py); well under the web chat's 20 s, and far above the
#   longest pause of a process's event loop (its renewals run there).
export TICKET_LOCK_LIFETIME=${TICKET_LOCK_LIFETIME:-30} LOCK_KEEPALIVE_SECONDS=${LOCK_KEEPALIVE_SECONDS:-10}
export RASA_TELEMETRY_ENABLED=${RASA_TELEMETRY_ENABLED:-false}
export PYTHONPATH=$PROD_ROOT${PYTHONPATH:+:$PYTHONPATH}

# The channels, chosen as scripts/serve.sh chooses them.
PROD_CREDENTIALS=$PROD_ROOT/credentials.yml
if [ -n "${LINE_CHANNEL_SECRET:-}" ] && [ -n "${LINE_CHANNEL_ACCESS_TOKEN:-}" ]; then
  PROD_CREDENTIALS=$PROD_ROOT/credentials-line.yml
  [ -z "${LINE_API_BASE_URL:-}" ] || PROD_CREDENTIALS=$PROD_ROOT/credentials-line-stub.yml
fi

# The services, in start order; rasa-N is the N-th port of PROD_RASA_PORTS.
prod_rasa_services() {
  local i=0 port
  for port in $PROD_RASA_PORTS; do i=$((i + 1)); echo "rasa-$i"; done
}
prod_rasa_port() {  # rasa-N -> its port
  local n=${1#rasa-}
  echo "$PROD_RASA_PORTS" | tr -s ' ' '\n' | sed -n "${n}p"
}
PROD_SERVICES="postgres redis actions $(prod_rasa_services | tr '\n' ' ')nginx"
[ "$PROD_CONSOLE_PORT" = 0 ] || PROD_SERVICES="$PROD_SERVICES console"
