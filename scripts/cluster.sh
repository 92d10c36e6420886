#!/usr/bin/env bash
# A local Gatehouse cluster on 127.0.0.1: three MariaDB Galera nodes, Gatehouse nodes (each on its
# own Galera node) and HAProxy in front, every part with a free port and a folder of its own,
# sized for a 2-core machine. Nothing of the system's own services is used or touched.
#
#   scripts/cluster.sh up [DIR]       start it (DIR default .gatehouse/cluster); prints the API URL
#   scripts/cluster.sh down [DIR]     stop what `up` started there (by the pids it wrote), nothing else
#   scripts/cluster.sh status [DIR]   each part: running or not, its port; Galera's cluster size
#   scripts/cluster.sh kill PART [DIR]     kill -9 one part (galera1..3, gatehouse1..N, haproxy)
#   scripts/cluster.sh start PART [DIR]    start one part again (a Galera node rejoins the cluster)
#
# Settings: GATEHOUSE_BIN (default build/gatehouse, built by scripts/build.sh when missing),
# GATEHOUSE_NODES (default 2), and any Gatehouse setting in DIR/.env (written at the first `up`
# with a fresh key pair: every node reads the same file, so keys and settings agree).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
action=${1:?up|down|status|kill PART|start PART}
part=""
if [[ $action == kill || $action == start ]]; then part=${2:?which part}; shift; fi
dir=${2:-$root/.gatehouse/cluster}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
bin=${GATEHOUSE_BIN:-$root/build/gatehouse}
nodes=${GATEHOUSE_NODES:-2}
galera_nodes=3
# As root the Galera nodes run as `mysql`: the rsync daemon that receives a joining node's copy
# (SST) would otherwise run as `nobody` and could not write the data folder.
db_user=$(id -un)
[[ $(id -u) -eq 0 ]] && db_user=mysql

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# A port per name, chosen once and kept in DIR/ports (a restarted part comes back on its port).
port() {
  local name=$1
  touch "$dir/ports"
  local p
  p=$(awk -v n="$name" '$1 == n { print $2 }' "$dir/ports")
  if [[ -z $p ]]; then
    # Not one already given to another part that has not bound it yet: a closed port is free
    # again, so the kernel may hand it out twice.
    p=$(free_port)
    while awk -v p="$p" '$2 == p { found = 1 } END { exit !found }' "$dir/ports"; do p=$(free_port); done
    echo "$name $p" >>"$dir/ports"
  fi
  echo "$p"
}
running() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
wait_for() {  # seconds, description, command...
  local seconds=$1 what=$2
  shift 2
  for _ in $(seq 1 $((seconds * 10))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "cluster: $what did not come up within $seconds s" >&2
  return 1
}

# ------------------------------------------------------------------------------ Galera
galera_sql() {  # node, sql...
  local n=$1
  shift
  mariadb --no-defaults --socket="$dir/galera$n/sock" -uroot -N -B -e "$*"
}
galera_synced() {
  [[ $(galera_sql "$1" "SHOW STATUS LIKE 'wsrep_local_state_comment'" | cut -f2) == Synced ]]
}
galera_start() {  # node [--wsrep-new-cluster]
  local n=$1 bootstrap=${2:-}
  local d="$dir/galera$n"
  mkdir -p "$d"
  chown "$db_user" "$d"
  if [[ ! -d $d/data/mysql ]]; then
    mariadb-install-db --no-defaults --datadir="$d/data" --user="$db_user" \
      --auth-root-authentication-method=socket --skip-test-db >"$d/install.log" 2>&1 ||
      { cat "$d/install.log" >&2; return 1; }
  fi
  local members="" sql gcomm ist sst
  for i in $(seq 1 $galera_nodes); do members+="${members:+,}127.0.0.1:$(port "galera${i}_gcomm")"; done
  sql=$(port "galera${n}_sql")
  gcomm=$(port "galera${n}_gcomm")
  ist=$(port "galera${n}_ist")
  sst=$(port "galera${n}_sst")
  # Small: 2 cores and 3 nodes. Galera needs ROW binlogs' format, interleaved auto-increment
  # locks and InnoDB; wsrep_sync_wait=1 makes a read wait until this node has applied every write
  # the cluster committed before it (a session revoked on one node is refused on every node).
  # A node that dies silently holds every commit of the others until it is suspected: 2 s
  # (evs.suspect_timeout, default 5 s), below Gatehouse's 5 s wait for a database reply, so those
  # commits finish instead of being cut off as in doubt (503).
  mariadbd --no-defaults --datadir="$d/data" --socket="$d/sock" --port="$sql" \
    --bind-address=127.0.0.1 --user="$db_user" --pid-file="$d/pid.mariadb" \
    --log-error="$d/error.log" \
    --skip-name-resolve --innodb-buffer-pool-size=32M --innodb-log-file-size=16M \
    --innodb-flush-log-at-trx-commit=2 --max-connections=200 --performance-schema=OFF \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --binlog-format=ROW --default-storage-engine=InnoDB --innodb-autoinc-lock-mode=2 \
    --wsrep-on=ON --wsrep-provider=/usr/lib/galera/libgalera_smm.so \
    --wsrep-cluster-name=gatehouse --wsrep-node-name="galera$n" \
    --wsrep-cluster-address="gcomm://$members" \
    --wsrep-node-address="127.0.0.1:$gcomm" \
    --wsrep-provider-options="gmcast.listen_addr=tcp://127.0.0.1:$gcomm;ist.recv_addr=127.0.0.1:$ist;gcache.size=32M;evs.keepalive_period=PT0.5S;evs.suspect_timeout=PT2S;evs.inactive_timeout=PT4S" \
    --wsrep-sst-method=rsync --wsrep-sst-receive-address="127.0.0.1:$sst" \
    --wsrep-slave-threads=2 --wsrep-sync-wait=1 \
    $bootstrap >>"$d/stdout.log" 2>&1 &
  echo $! >"$d/pid"
  wait_for 120 "galera$n" galera_synced "$n" || { tail -20 "$d/error.log" >&2; return 1; }
}

# ------------------------------------------------------------------------------ Gatehouse
database_url() { echo "mysql://gatehouse:gatehouse@127.0.0.1:$(port "galera${1}_sql")/gatehouse"; }
gatehouse_start() {  # node
  local n=$1
  local d="$dir/gatehouse$n"
  mkdir -p "$d"
  # Node n on Galera node n (the nodes beyond three share the third).
  local g=$((n <= galera_nodes ? n : galera_nodes))
  # Ports and URL first: port() appends to DIR/ports, which a background subshell must not race.
  local http metrics url
  http=$(port "gatehouse${n}_http")
  metrics=$(port "gatehouse${n}_metrics")
  url=$(database_url "$g")
  (cd "$d" && exec env PORT="$http" HOST=127.0.0.1 DATABASE_URL="$url" METRICS_PORT="$metrics" \
    "$bin" --env-file "$dir/.env" serve >>"$d/server.log" 2>&1) &
  echo $! >"$d/pid"
  wait_for 20 "gatehouse$n" curl -sf "http://127.0.0.1:$http/api/readyz" ||
    { tail -20 "$d/server.log" >&2; return 1; }
}

# ------------------------------------------------------------------------------ HAProxy
haproxy_start() {
  local d="$dir/haproxy"
  mkdir -p "$d"
  {
    cat <<CFG
global
    maxconn 2000
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 2
    option redispatch
frontend api
    bind 127.0.0.1:$(port haproxy_http)
    option forwardfor
    default_backend gatehouse
backend gatehouse
    balance roundrobin
    option httpchk GET /api/readyz
    default-server inter 500ms fall 2 rise 2
CFG
    for n in $(seq 1 "$nodes"); do
      echo "    server gatehouse$n 127.0.0.1:$(port "gatehouse${n}_http") check"
    done
  } >"$d/haproxy.cfg"
  haproxy -f "$d/haproxy.cfg" -db >>"$d/haproxy.log" 2>&1 &
  echo $! >"$d/pid"
  wait_for 20 haproxy curl -sf "http://127.0.0.1:$(port haproxy_http)/api/healthchecker"
}

parts() {
  for n in $(seq 1 $galera_nodes); do echo "galera$n"; done
  for n in $(seq 1 "$nodes"); do echo "gatehouse$n"; done
  echo haproxy
}
stop_part() {  # part, signal
  local pidfile="$dir/$1/pid"
  running "$pidfile" || return 0
  local pid
  pid=$(cat "$pidfile")
  kill "-$2" "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
start_part() {
  case $1 in
    galera*) galera_start "${1#galera}" ;;
    gatehouse*) gatehouse_start "${1#gatehouse}" ;;
    haproxy) haproxy_start ;;
    *) echo "unknown part $1" >&2; return 2 ;;
  esac
}

case $action in
  up)
    command -v haproxy >/dev/null && [[ -f /usr/lib/galera/libgalera_smm.so ]] ||
      "$root/scripts/install-deps.sh" --test
    [[ -x $bin ]] || "$root/scripts/build.sh"
    if [[ ! -f $dir/.env ]]; then
      { "$bin" keys generate; echo "TRUSTED_PROXIES=127.0.0.1"; } >"$dir/.env"
    fi
    # The first node starts a new cluster only when no node of it has run before (a restart of
    # the whole cluster would need the most advanced node: see the README).
    if [[ ! -d $dir/galera1/data/mysql ]]; then
      galera_start 1 --wsrep-new-cluster
    else
      running "$dir/galera1/pid" || galera_start 1 --wsrep-new-cluster
    fi
    galera_sql 1 "CREATE DATABASE IF NOT EXISTS gatehouse CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
      CREATE USER IF NOT EXISTS 'gatehouse'@'127.0.0.1' IDENTIFIED BY 'gatehouse';
      GRANT ALL ON gatehouse.* TO 'gatehouse'@'127.0.0.1';"
    for n in $(seq 2 $galera_nodes); do running "$dir/galera$n/pid" || galera_start "$n"; done
    DATABASE_URL=$(database_url 1) "$bin" --env-file "$dir/.env" migrate up >"$dir/migrate.log" 2>&1 ||
      { cat "$dir/migrate.log" >&2; exit 1; }
    for n in $(seq 1 "$nodes"); do running "$dir/gatehouse$n/pid" || gatehouse_start "$n"; done
    running "$dir/haproxy/pid" || haproxy_start
    echo "http://127.0.0.1:$(port haproxy_http)"
    ;;
  down)
    # The load balancer first, then the API, then the database; each by the pid it wrote.
    for p in haproxy $(for n in $(seq 1 "$nodes"); do echo "gatehouse$n"; done) \
      $(for n in $(seq $galera_nodes -1 1); do echo "galera$n"; done); do
      stop_part "$p" TERM
    done
    ;;
  status)
    for p in $(parts); do
      state=stopped
      running "$dir/$p/pid" && state="running (pid $(cat "$dir/$p/pid"))"
      case $p in
        galera*) printf '%-11s %-24s sql port %s\n' "$p" "$state" "$(port "${p}_sql")" ;;
        gatehouse*) printf '%-11s %-24s http port %s\n' "$p" "$state" "$(port "${p}_http")" ;;
        haproxy) printf '%-11s %-24s http://127.0.0.1:%s\n' "$p" "$state" "$(port haproxy_http)" ;;
      esac
    done
    for n in $(seq 1 $galera_nodes); do
      if running "$dir/galera$n/pid"; then
        echo "galera cluster size: $(galera_sql "$n" "SHOW STATUS LIKE 'wsrep_cluster_size'" | cut -f2)"
        break
      fi
    done
    ;;
  kill) stop_part "$part" KILL ;;
  start) start_part "$part" ;;
  *) echo "unknown action $action" >&2; exit 2 ;;
esac
