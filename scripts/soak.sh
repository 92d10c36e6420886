#!/usr/bin/env bash
# The suite again and again on a loaded machine: runs scripts/test.sh N times in a row (default
# 10) while another build runs beside it the whole time (a clean Release build of this tree into a
# scratch folder, over and over, at normal priority), and stops at the first run that is not green.
#
#   scripts/soak.sh [N] [LOGDIR]     LOGDIR (default /tmp/gatehouse-soak) keeps each run's output
#
# Prints one line per run ("run 3/10: total: ... (812 s)") and exits 1 at the first red run.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-10}
logs=${2:-/tmp/gatehouse-soak}
mkdir -p "$logs"
scratch=$(mktemp -d /tmp/gatehouse-soak-build.XXXXXX)

trap 'rm -rf "$scratch"' EXIT

# What the build beside needs must be there before it starts: on a fresh machine a configure that
# fails for want of Boost would leave a loop of failing builds beside the runs, not a build.
"$root/scripts/install-deps.sh" --test >/dev/null || { echo "installing dependencies failed" >&2; exit 1; }
cmake -S "$root" -B "$scratch" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGATEHOUSE_BUILD_TESTS=OFF \
  >/dev/null || { echo "configuring the build beside failed" >&2; exit 1; }

# The build beside: rebuild from clean until told to stop; a failing build stops the soak (no
# load is not the load the soak claims). In a session of its own, so that the whole build stops
# with it.
setsid bash -c "
  while cmake --build '$scratch' --clean-first -j2 >'$logs/build-beside.log' 2>&1; do :; done
" &
builder=$!
trap 'kill -TERM -- -"$builder" 2>/dev/null; wait "$builder" 2>/dev/null; rm -rf "$scratch"' EXIT

for i in $(seq 1 "$runs"); do
  started=$(date +%s)
  "$root/scripts/test.sh" >"$logs/run-$i.log" 2>&1
  status=$?
  echo "run $i/$runs: $(tail -1 "$logs/run-$i.log") ($(($(date +%s) - started)) s)"
  # Checked after the run, not before it: a build that failed during a run left that run unloaded.
  if ! kill -0 "$builder" 2>/dev/null; then
    echo "the build beside stopped during run $i (a build failed): $logs/build-beside.log" >&2
    exit 1
  fi
  if ((status != 0)); then
    echo "run $i is red: $logs/run-$i.log" >&2
    exit 1
  fi
done
echo "$runs runs in a row green, a build beside each"
