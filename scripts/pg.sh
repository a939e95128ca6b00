# A throwaway PostgreSQL 15 cluster for tests and benchmarks: initdb into a
# temporary folder, a private port and socket folder, removed on exit.
# Works as root (the server runs as the postgres user, as PostgreSQL refuses
# root) and as a normal user. Sourced, not run; needs scripts/lib.sh first.
#
#   pg_start   # sets S2S_PG_URL=postgresql://s2s@127.0.0.1:PORT/postgres
#   pg_stop    # also run by the EXIT trap pg_start installs
#   pg_pause_command, pg_resume_command   # shell commands that stop the
#              # running server and start it again on the same port and data
#              # (the fault suite's database outage)

S2S_PG_BIN=${S2S_PG_BIN:-/usr/lib/postgresql/15/bin}
S2S_PG_DIR=""
S2S_PG_URL=""
S2S_PG_OPTIONS=""

_pg_run() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

_pg_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

pg_start() {
  [ -x "$S2S_PG_BIN/initdb" ] || { echo "PostgreSQL 15 server not found in $S2S_PG_BIN (package postgresql-15)" >&2; return 1; }
  S2S_PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/s2s-pg.XXXXXX")
  trap pg_stop EXIT
  trap 'pg_stop; exit 130' INT
  trap 'pg_stop; exit 143' TERM
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$S2S_PG_DIR"; fi
  local port
  port=$(_pg_free_port)
  _pg_run "$S2S_PG_BIN/initdb" -D "$S2S_PG_DIR/data" -A trust -U s2s --no-sync -E UTF8 >"$S2S_PG_DIR/initdb.log" 2>&1 ||
    { cat "$S2S_PG_DIR/initdb.log" >&2; return 1; }
  S2S_PG_OPTIONS="-p $port -k $S2S_PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=${S2S_PG_FSYNC:-on}"
  # More settings for this server (the benchmarks give it the memory a production server has).
  S2S_PG_OPTIONS+="${S2S_PG_SETTINGS:+ $S2S_PG_SETTINGS}"
  _pg_run "$S2S_PG_BIN/pg_ctl" -D "$S2S_PG_DIR/data" -l "$S2S_PG_DIR/log" -w -t 60 -o "$S2S_PG_OPTIONS" \
    start >/dev/null || { cat "$S2S_PG_DIR/log" >&2; return 1; }
  S2S_PG_URL="postgresql://s2s@127.0.0.1:$port/postgres"
  export S2S_PG_URL
  echo "    PostgreSQL $("$S2S_PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($S2S_PG_DIR)"
}

pg_stop() {
  if [ -n "$S2S_PG_DIR" ] && [ -d "$S2S_PG_DIR" ]; then
    _pg_run "$S2S_PG_BIN/pg_ctl" -D "$S2S_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$S2S_PG_DIR"
    S2S_PG_DIR=""
  fi
}

_pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then printf 'runuser -u postgres -- '; fi
}

pg_pause_command() {
  printf '%s%q -D %q -m fast -w stop >/dev/null' "$(_pg_as_owner)" "$S2S_PG_BIN/pg_ctl" "$S2S_PG_DIR/data"
}

pg_resume_command() {
  printf '%s%q -D %q -l %q -w -t 60 -o %q start >/dev/null' "$(_pg_as_owner)" "$S2S_PG_BIN/pg_ctl" \
    "$S2S_PG_DIR/data" "$S2S_PG_DIR/log" "$S2S_PG_OPTIONS"
}
