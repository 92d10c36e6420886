#!/usr/bin/env bash
# A private MariaDB for tests, without systemd: own datadir, socket and port on 127.0.0.1, so it
# never clashes with a MariaDB already running on 3306.
#   scripts/mariadb.sh start DIR [PORT]   initialise (first time) and start; prints DATABASE_URL
#   scripts/mariadb.sh stop DIR           stop it (SIGTERM, wait)
#   scripts/mariadb.sh url DIR            print the DATABASE_URL of a started instance
# Creates database `gatehouse` and user `gatehouse`@127.0.0.1/localhost (password `gatehouse`).
set -euo pipefail
action=${1:?start|stop|url}
dir=$(mkdir -p "${2:?DIR}" && cd "$2" && pwd)

url() { echo "mysql://gatehouse:gatehouse@127.0.0.1:$(cat "$dir/port")/gatehouse"; }

case $action in
  start)
    port=${3:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
    if [[ ! -d $dir/data/mysql ]]; then
      mariadb-install-db --no-defaults --datadir="$dir/data" --user="$(id -un)" \
        --auth-root-authentication-method=socket --skip-test-db >"$dir/install.log" 2>&1 ||
        { cat "$dir/install.log" >&2; exit 1; }
    fi
    echo "$port" >"$dir/port"
    mariadbd --no-defaults --datadir="$dir/data" --socket="$dir/sock" --port="$port" \
      --bind-address=127.0.0.1 --user="$(id -un)" --pid-file="$dir/pid" --log-error="$dir/error.log" \
      --skip-name-resolve --skip-log-bin --innodb-buffer-pool-size=64M \
      --innodb-flush-log-at-trx-commit=2 --innodb-doublewrite=0 --max-connections=500 \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci >/dev/null 2>&1 &
    for _ in $(seq 1 150); do
      if mariadb-admin --no-defaults --socket="$dir/sock" -uroot ping >/dev/null 2>&1; then break; fi
      sleep 0.1
    done
    mariadb-admin --no-defaults --socket="$dir/sock" -uroot ping >/dev/null 2>&1 ||
      { cat "$dir/error.log" >&2; exit 1; }
    mariadb --no-defaults --socket="$dir/sock" -uroot <<SQL
CREATE DATABASE IF NOT EXISTS gatehouse CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'gatehouse'@'127.0.0.1' IDENTIFIED BY 'gatehouse';
CREATE USER IF NOT EXISTS 'gatehouse'@'localhost' IDENTIFIED BY 'gatehouse';
GRANT ALL ON *.* TO 'gatehouse'@'127.0.0.1';
GRANT ALL ON *.* TO 'gatehouse'@'localhost';
SQL
    url
    ;;
  stop)
    if [[ -f $dir/pid ]]; then
      pid=$(cat "$dir/pid")
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    ;;
  url) url ;;
  *) echo "unknown action $action" >&2; exit 2 ;;
esac
