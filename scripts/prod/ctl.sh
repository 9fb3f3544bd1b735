#!/usr/bin/env bash
# Start, stop and inspect the production stack (settings: scripts/prod/env.sh). Every server runs on loopback with
# its data, configuration, log and pid file under PROD_RUN_DIR (.run/prod/): nginx is the only public address.
#
#   ctl.sh up                 start everything that is not running (idempotent), wait until each one answers
#   ctl.sh down               stop everything (reverse order)
#   ctl.sh start|stop|restart SERVICE...   one server: postgres redis actions rasa-1 rasa-2 ... console nginx
#   ctl.sh kill SERVICE...    SIGKILL (a crash), no clean shutdown
#   ctl.sh ensure             start whatever has stopped (scripts/prod/run.sh calls it every few seconds)
#   ctl.sh status             one line per server
# The servers' packages come from scripts/prod/install.sh (Debian: postgresql, redis-server, nginx).
set -euo pipefail
# shellcheck source=scripts/prod/env.sh
source "$(dirname "$0")/env.sh"
cd "$PROD_ROOT"

LOGS=$PROD_RUN_DIR/logs
PIDS=$PROD_RUN_DIR/pids
mkdir -p "$LOGS" "$PIDS"
log() { echo "[prod] $*" >&2; }
die() { log "error: $*"; exit 1; }

# ---- processes started here: one pid file each -------------------------------------------------------------
pid_of() { local f=$PIDS/$1.pid; [ -f "$f" ] && cat "$f"; }
alive() { local pid; pid=$(pid_of "$1") && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

spawn() {  # spawn NAME COMMAND...: in the background, in a session of its own (so its group can be signalled)
  local name=$1; shift
  echo "=== $(date -Is) start: $*" >>"$LOGS/$name.log"
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$PIDS/$name.pid"
}

signal_and_wait() {  # signal_and_wait NAME SIGNAL SECONDS: signal the group, wait for the process to exit
  local name=$1 sig=$2 seconds=$3 pid
  pid=$(pid_of "$name") || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill "-$sig" -- "-$pid" 2>/dev/null || kill "-$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 1 $((seconds * 5))); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name did not stop in ${seconds}s: SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  fi
  rm -f "$PIDS/$name.pid"
}

wait_until() {  # wait_until NAME CHECK...: until CHECK succeeds, the process dies or PROD_START_TIMEOUT passes
  local name=$1; shift
  local deadline=$((SECONDS + PROD_START_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    if ! alive "$name"; then
      tail -n 40 "$LOGS/$name.log" >&2 || true
      die "$name exited while starting (log: $LOGS/$name.log)"
    fi
    [ $SECONDS -lt $deadline ] || die "$name did not answer in ${PROD_START_TIMEOUT}s (log: $LOGS/$name.log)"
    sleep 1
  done
}

http_ok() { curl -fsS -o /dev/null --max-time 3 "$1"; }

# ---- PostgreSQL: a cluster of the project's own (initdb), run as the postgres user when we are root -----------
PG_DIR=$PROD_RUN_DIR/postgres
pg_bin() { local v; v=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n1); echo "/usr/lib/postgresql/$v/bin"; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_running() { [ -f "$PG_DIR/data/postmaster.pid" ] && as_pg "$(pg_bin)/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; }
pg_psql() { as_pg "$(pg_bin)/psql" -h "$PG_DIR" -p "$PROD_PG_PORT" -d postgres -v ON_ERROR_STOP=1 -qtA "$@"; }

start_postgres() {
  local bin; bin=$(pg_bin)
  [ -x "$bin/postgres" ] || die "PostgreSQL is not installed (bash scripts/prod/install.sh)"
  mkdir -p "$PG_DIR"
  [ "$(id -u)" != 0 ] || chown postgres: "$PG_DIR"
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    log "postgres: new cluster in $PG_DIR/data"
    as_pg "$bin/initdb" -D "$PG_DIR/data" --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
      >>"$LOGS/postgres.log"
  fi
  if ! pg_running; then
    as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$PROD_PG_PORT -c unix_socket_directories=$PG_DIR" start >&2
  fi
  # The role (its password follows PROD_PG_PASSWORD) and the databases, idempotently.
  pg_psql -v user="$PROD_PG_USER" -v password="$PROD_PG_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'user') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'user')
\gexec
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', :'user', :'password')
\gexec
SQL
  local db
  for db in "$TRACKER_DB_NAME" aomori_knowledge aomori_review; do
    pg_psql -v db="$db" -v user="$PROD_PG_USER" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'user') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db')
\gexec
SQL
  done
}
stop_postgres() {
  pg_running || return 0
  as_pg "$(pg_bin)/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 60 stop >&2
}

# ---- Redis: the lock store -----------------------------------------------------------------------------------
redis_ping() { redis-cli -h 127.0.0.1 -p "$PROD_REDIS_PORT" -a "$PROD_REDIS_PASSWORD" --no-auth-warning ping | grep -q PONG; }
start_redis() {
  command -v redis-server >/dev/null || die "Redis is not installed (bash scripts/prod/install.sh)"
  mkdir -p "$PROD_RUN_DIR/redis"
  (umask 077; cat >"$PROD_RUN_DIR/redis/redis.conf" <<EOF
# Rendered by scripts/prod/ctl.sh. Locks only: nothing worth persisting.
bind 127.0.0.1
port $PROD_REDIS_PORT
protected-mode yes
requirepass $PROD_REDIS_PASSWORD
dir $PROD_RUN_DIR/redis
save ""
appendonly no
daemonize no
EOF
)
  spawn redis redis-server "$PROD_RUN_DIR/redis/redis.conf"
  wait_until redis redis_ping
}

# ---- the knowledge store and the review log on PostgreSQL ----------------------------------------------------
# Run with PostgreSQL's start, so before any Python server: the review log's migrations (also the staff accounts and
# sessions) and handover's (handovers, their messages, call-back requests, staff presence), which every server would
# otherwise race to apply to a new database at its first use.
load_stores() {
  "$PROD_BIN/python" -m knowledge load >&2
  "$PROD_BIN/python" -m review migrate >&2
  "$PROD_BIN/python" -m handover migrate >&2
}

# ---- Python servers ------------------------------------------------------------------------------------------
model() {
  if [ -z "${PROD_MODEL:-}" ]; then
    PROD_MODEL=${ASSISTANT_MODEL:-$(bash scripts/train.sh)}
  fi
  echo "$PROD_MODEL"
}
health_url() {
  case $1 in
    actions) echo "http://127.0.0.1:$PROD_ACTIONS_PORT/health" ;;
    rasa-*) echo "http://127.0.0.1:$(prod_rasa_port "$1")/" ;;
    console) echo "http://127.0.0.1:$PROD_CONSOLE_PORT/login" ;;
    nginx) echo "http://127.0.0.1:${PROD_LISTEN##*:}/" ;;
  esac
}
start_python() {
  local name=$1
  case $name in
    actions)
      if [ -f "$PROD_ROOT/bot/action_server.py" ]; then  # loopback, bounded bodies (as scripts/serve.sh)
        spawn actions "$PROD_BIN/python" -m bot.action_server --actions bot.actions --port "$PROD_ACTIONS_PORT"
      else
        SANIC_HOST=127.0.0.1 spawn actions "$PROD_BIN/rasa" run actions --actions bot.actions --port "$PROD_ACTIONS_PORT"
      fi ;;
    rasa-*)
      local port cors; port=$(prod_rasa_port "$name")
      [ -n "$port" ] || die "no port for $name in PROD_RASA_PORTS"
      read -r -a cors <<<"${ASSISTANT_CORS_ORIGINS//,/ }"
      # The HTTP API is on (for the console), behind the token, on loopback; nginx does not forward it. Bodies are
      # bounded here too (Sanic: SANIC_REQUEST_MAX_SIZE), not only by nginx.
      SANIC_REQUEST_MAX_SIZE=$PROD_RASA_MAX_BODY spawn "$name" "$PROD_BIN/python" -m bot.rasa_command run \
        --model "$(model)" --interface 127.0.0.1 --port "$port" --cors "${cors[@]}" \
        --credentials "$PROD_CREDENTIALS" --endpoints "$PROD_ENDPOINTS" --enable-api ;;
    console)
      RASA_URL="http://127.0.0.1:$(prod_rasa_port rasa-1)" spawn console "$PROD_BIN/python" -m console \
        --host 127.0.0.1 --port "$PROD_CONSOLE_PORT" ;;
  esac
}

# ---- nginx ---------------------------------------------------------------------------------------------------
render_nginx() {
  local dir=$PROD_RUN_DIR/nginx port upstreams=""
  mkdir -p "$dir/tmp"
  for port in $PROD_RASA_PORTS; do
    upstreams+="        server 127.0.0.1:$port max_fails=0;"$'\n'
  done
  local user_line="# (not root: workers run as $(id -un))"
  [ "$(id -u)" != 0 ] || user_line="user www-data;"
  PROD_NGINX_UPSTREAMS=$upstreams PROD_NGINX_USER=$user_line PROD_RUN_DIR=$PROD_RUN_DIR PROD_LISTEN=$PROD_LISTEN \
  PROD_MAX_BODY=$PROD_MAX_BODY PROD_RATE=$PROD_RATE PROD_BURST=$PROD_BURST \
    envsubst '${PROD_NGINX_UPSTREAMS} ${PROD_NGINX_USER} ${PROD_RUN_DIR} ${PROD_LISTEN} ${PROD_MAX_BODY} ${PROD_RATE} ${PROD_BURST}' \
    <"$PROD_ROOT/scripts/prod/nginx.conf.template" >"$dir/nginx.conf"
  /usr/sbin/nginx -t -q -c "$dir/nginx.conf" -e "$dir/error.log" || die "nginx configuration rejected: $dir/nginx.conf"
}
start_nginx() {
  [ -x /usr/sbin/nginx ] || die "nginx is not installed (bash scripts/prod/install.sh)"
  render_nginx
  spawn nginx /usr/sbin/nginx -c "$PROD_RUN_DIR/nginx/nginx.conf" -e "$PROD_RUN_DIR/nginx/error.log" -g 'daemon off;'
}

# ---- per service ---------------------------------------------------------------------------------------------
is_running() {
  case $1 in
    postgres) pg_running ;;
    *) alive "$1" ;;
  esac
}
start_one() {  # start without waiting (the Python servers load in parallel); `wait_one` waits
  local name=$1
  if is_running "$name"; then return 0; fi
  log "starting $name"
  case $name in
    postgres) start_postgres; load_stores ;;
    redis) start_redis ;;
    actions|rasa-*|console) start_python "$name" ;;
    nginx) start_nginx ;;
    *) die "unknown service: $name (one of: $PROD_SERVICES)" ;;
  esac
}
wait_one() {
  case $1 in
    postgres|redis) ;;
    *) wait_until "$1" http_ok "$(health_url "$1")" ;;
  esac
}
stop_one() {
  local name=$1
  case $name in
    postgres) stop_postgres ;;
    nginx) signal_and_wait nginx QUIT 20 ;;
    *) signal_and_wait "$name" TERM 30 ;;
  esac
}
valid() { local s; for s in $PROD_SERVICES; do [ "$s" = "$1" ] && return 0; done; die "unknown service: $1 (one of: $PROD_SERVICES)"; }

command=${1:-status}; shift || true
case $command in
  up)
    for s in postgres redis; do start_one "$s"; done
    for s in $PROD_SERVICES; do case $s in postgres|redis|nginx) ;; *) start_one "$s" ;; esac; done
    for s in $PROD_SERVICES; do case $s in postgres|redis|nginx) ;; *) wait_one "$s" ;; esac; done
    start_one nginx; wait_one nginx
    log "up: nginx listens on $PROD_LISTEN (webhooks and GET / only); logs in $LOGS"
    ;;
  down)
    for s in $(echo "$PROD_SERVICES" | tr ' ' '\n' | tac); do stop_one "$s"; done
    ;;
  start)
    for s in "$@"; do valid "$s"; start_one "$s"; done
    for s in "$@"; do wait_one "$s"; done
    ;;
  stop)
    for s in "$@"; do valid "$s"; stop_one "$s"; done
    ;;
  restart)
    for s in "$@"; do valid "$s"; stop_one "$s"; start_one "$s"; done
    for s in "$@"; do wait_one "$s"; done
    ;;
  kill)
    for s in "$@"; do
      valid "$s"
      case $s in postgres) die "kill: not for postgres (use stop)" ;; esac
      signal_and_wait "$s" KILL 10
    done
    ;;
  ensure)
    restarted=()
    for s in $PROD_SERVICES; do
      is_running "$s" || { start_one "$s"; restarted+=("$s"); }
    done
    for s in "${restarted[@]}"; do wait_one "$s"; done
    ;;
  status)
    for s in $PROD_SERVICES; do
      if is_running "$s"; then state="running (pid $(if [ "$s" = postgres ]; then head -n1 "$PG_DIR/data/postmaster.pid"; else pid_of "$s"; fi))"
      else state=stopped; fi
      printf '%-10s %s\n' "$s" "$state"
    done
    ;;
  *) die "usage: ctl.sh up|down|start|stop|restart|kill|ensure|status [SERVICE...]" ;;
esac
