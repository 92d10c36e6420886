#!/usr/bin/env bash
# Instructions per request on the hot routes, counted by callgrind: unlike req/s and CPU time,
# the count does not move with what else the machine runs, so two binaries can be compared on a
# busy machine (valgrind is on every machine here; perf's counters are not).
#
#   bench/instructions.sh BINARY [LABEL]
#
# Starts BINARY under callgrind with instrumentation off, registers and logs in one user, then
# counts, each with instrumentation on for that part only: 400 GET /api/users/me (Bearer, the
# same token: the verified-token cache's path), 200 refreshes (each rotating), 50 successful and
# 50 failed logins (rate limits on, 8 MiB argon2id, 1 pass). Prints instructions per request.
# Each count covers every thread of the server (I/O, workers, hashing).
set -euo pipefail
bin=$(realpath "$1")
label=${2:-$(basename "$bin")}
command -v valgrind >/dev/null || { echo "valgrind is missing (apt-get install valgrind)" >&2; exit 2; }
dir=$(mktemp -d /tmp/gatehouse-instructions.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
"$bin" keys generate >.env
cat >>.env <<ENV
RATE_LIMITS=on
LOGIN_FREE_FAILURES=1000
ARGON2_MEMORY_KIB=8192
ARGON2_PASSES=1
IO_THREADS=1
WORKER_THREADS=2
HASH_THREADS=1
ENV
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Metrics on, as in production, on a free port of their own.
echo "METRICS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')" >>.env
PORT=$port setsid valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$dir/cg.out" \
  "$bin" serve >server.log 2>&1 &
pid=$!
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$port/api/healthchecker" >/dev/null && break
  sleep 0.2
done
python3 - "$port" "$pid" <<'PY'
import http.client, json, subprocess, sys
port, pid = int(sys.argv[1]), sys.argv[2]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

def req(method, path, body=None, headers=None):
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    c.request(method, path, json.dumps(body) if body is not None else None, h)
    r = c.getresponse()
    return r.status, r.read()

user = {"email": "cg@example.com", "password": "Passw0rd!42"}
s, _ = req("POST", "/api/auth/register", dict(user, name="c", photo="p", passwordConfirm=user["password"]))
assert s == 201, s
s, d = req("POST", "/api/auth/login", user)
assert s == 200, s
tokens = json.loads(d)
me = lambda: req("GET", "/api/users/me", headers={"Authorization": "Bearer " + tokens["access_token"]})
for _ in range(50):
    me()  # warm: the token is in the cache, statements are prepared

def refresh():
    s, d = req("POST", "/api/auth/refresh", headers={"Authorization": "Bearer " + tokens["refresh_token"]})
    assert s == 200, (s, d)
    tokens["refresh_token"] = json.loads(d)["refresh_token"]

def control(*args):
    subprocess.run(["callgrind_control", *args, pid], capture_output=True, check=True)

for name, n, fn in (("me", 400, me), ("refresh", 200, refresh),
                    ("login", 50, lambda: req("POST", "/api/auth/login", user)),
                    ("login_failed", 50, lambda: req("POST", "/api/auth/login", dict(user, password="Wrong-pass")))):
    control("-z")
    control("-i", "on")
    for _ in range(n):
        fn()
    control("-i", "off")
    control("-d", "%s/%d" % (name, n))
PY
kill -TERM "$pid"
wait "$pid" 2>/dev/null || true
for f in "$dir"/cg.out.*; do
  trigger=$(sed -n 's/^desc: Trigger: dump //p' "$f")
  total=$(sed -n 's/^totals: //p' "$f")
  python3 -c "import sys; name, n = sys.argv[1].split('/'); print('%-8s %-13s %12.0f instructions/request' % (sys.argv[3], name, int(sys.argv[2]) / int(n)))" \
    "$trigger" "$total" "$label"
done
