#!/usr/bin/env bash
# A private PostgreSQL 15 for tests, without systemd and apart from the system's clusters: own data
# directory, unix socket in DIR and a free port on 127.0.0.1, so it never clashes with a server on
# 5432 (the system's service and its clusters are never touched).
#   scripts/postgres.sh start DIR [PORT]   initialise (first time) and start; prints DATABASE_URL
#   scripts/postgres.sh stop DIR           stop it (fast shutdown by the pid in postmaster.pid, wait)
#   scripts/postgres.sh url DIR            print the DATABASE_URL of a started instance
# Creates role `gatehouse` (password `gatehouse`; CREATEDB and pg_signal_backend so that tests make
# and drop databases of their own) and database `gatehouse` owned by it. Logins over TCP need the
# password (scram-sha-256); the bootstrap superuser `postgres` logs in over the socket in DIR
# without one.
# PostgreSQL refuses to run as root: run as root, the server runs as the user `postgres` (made by
# Debian's postgresql-common), and DIR is given to it, so DIR's parent must let that user in
# (/tmp does; a `mktemp -d` directory does not).
set -euo pipefail
action=${1:?start|stop|url}
dir=$(mkdir -p "${2:?DIR}" && cd "$2" && pwd)
bin=${GATEHOUSE_POSTGRES_BIN:-/usr/lib/postgresql/15/bin}

url() { echo "postgresql://gatehouse:gatehouse@127.0.0.1:$(cat "$dir/port")/gatehouse"; }

# Runs a server program as the user that owns the cluster.
as_owner() {
  if ((EUID == 0)); then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case $action in
  start)
    [[ -x $bin/postgres ]] || { echo "no PostgreSQL at $bin (apt-get install postgresql)" >&2; exit 1; }
    port=${3:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
    if ((EUID == 0)); then
      id postgres >/dev/null 2>&1 || { echo "running as root needs the user postgres" >&2; exit 1; }
      chown postgres: "$dir"
      chmod 0700 "$dir"
      runuser -u postgres -- test -w "$dir" ||
        { echo "user postgres cannot reach $dir: let it into the parent directories" >&2; exit 1; }
    fi
    if [[ ! -f $dir/data/PG_VERSION ]]; then
      as_owner "$bin/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 --no-sync \
        --auth-local=trust --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    echo "$port" >"$dir/port"
    # Test settings: nothing survives a crash (fsync off), small memory, room for parallel tests.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "\
      -c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir' \
      -c shared_buffers=32MB -c max_connections=300 -c fsync=off -c synchronous_commit=off \
      -c full_page_writes=off -c logging_collector=off" start >"$dir/pg_ctl.log" 2>&1 ||
      { cat "$dir/pg_ctl.log" "$dir/server.log" >&2; exit 1; }
    psql=("$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres)
    "${psql[@]}" >/dev/null <<'SQL'
SELECT 'CREATE ROLE gatehouse LOGIN CREATEDB PASSWORD ''gatehouse'''
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gatehouse') \gexec
SELECT 'CREATE DATABASE gatehouse OWNER gatehouse ENCODING ''UTF8'''
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'gatehouse') \gexec
-- The tests drop their databases WITH (FORCE), which must end every session on them, and an
-- autovacuum worker's belongs to no role: without this the drop fails now and then.
GRANT pg_signal_backend TO gatehouse;
SQL
    url
    ;;
  stop)
    pidfile=$dir/data/postmaster.pid
    if [[ -f $pidfile ]]; then
      pid=$(head -1 "$pidfile")
      # SIGINT is PostgreSQL's fast shutdown: it ends client sessions instead of waiting for them
      # (SIGTERM would wait for the last pooled connection to leave).
      kill -INT "$pid" 2>/dev/null || true
      for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "$pid" 2>/dev/null; then
        kill -QUIT "$pid" 2>/dev/null || true  # immediate shutdown
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      fi
    fi
    ;;
  url) url ;;
  *) echo "unknown action $action" >&2; exit 2 ;;
esac
