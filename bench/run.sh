#!/usr/bin/env bash
# Gatehouse's benchmark: builds a Release binary and the micro-benchmarks into build-bench/,
# starts the server on a fresh SQLite database, runs the wrk scenarios and prints one table.
#
#   bench/run.sh                     full run (about 4 minutes without peers)
#   bench/run.sh --peers             also the Node peer and the tutorial app, interleaved (~12 min)
#   bench/run.sh --smoke             a few seconds, no peers, no 5,000-connection test; exits 0
#                                    whenever the harness works (no pass/fail on speed)
#   bench/run.sh --smoke --binary build/gatehouse   reuse an existing binary (no build)
#
# Options: --duration S (seconds per wrk run, default 10), --connections N (default 32),
# --binary PATH (skip the build; micro-benchmarks only if build-bench/micro_bench exists),
# --micro PATH, --only-peer node|seed, --reps N, --out DIR (default build-bench/bench-results),
# --wait-quiet S (wait up to S s before each run for other processes to leave the CPUs; default
# 90, smoke 0), --keep (keep the temporary folder). Loopback only; every run is bounded.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
invocation="bench/run.sh${*:+ $*}"

smoke=0 peers=0 duration=10 binary="" micro="" out="$root/build-bench/bench-results"
extra=()
while (($#)); do
  case "$1" in
    --smoke) smoke=1 ;;
    --peers) peers=1; extra+=(--peers) ;;
    --duration) duration=$2; shift ;;
    --connections|--reps|--only-peer|--users|--wait-quiet) extra+=("$1" "$2"); shift ;;
    --binary) binary=$2; shift ;;
    --micro) micro=$2; shift ;;
    --out) out=$2; shift ;;
    --keep) extra+=(--keep) ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
((smoke)) && ((peers)) && { echo "bench/run.sh: --smoke runs no peers" >&2; exit 2; }

# ---------------------------------------------------------------- what the benchmark needs
need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for p in wrk util-linux python3; do have_pkg "$p" || need+=("$p"); done
if [[ -z $binary ]]; then
  "$root/scripts/install-deps.sh"  # compiler and libraries
  have_pkg libbenchmark-dev || need+=(libbenchmark-dev)
fi
if ((${#need[@]})); then
  echo "bench/run.sh: installing ${need[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
command -v wrk >/dev/null || { echo "bench/run.sh: wrk is missing" >&2; exit 1; }
command -v taskset >/dev/null || { echo "bench/run.sh: taskset is missing" >&2; exit 1; }
python=/usr/bin/python3
[[ -x $python ]] || python=python3

# ---------------------------------------------------------------- build
if [[ -z $binary ]]; then
  cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release -DGATEHOUSE_BUILD_BENCH=ON \
    -DGATEHOUSE_BUILD_TESTS=OFF >/dev/null
  cmake --build "$root/build-bench" -j"$(nproc)" --target gatehouse micro_bench
  binary=$root/build-bench/gatehouse
  [[ -n $micro ]] || micro=$root/build-bench/micro_bench
elif [[ -z $micro && -x $root/build-bench/micro_bench ]]; then
  micro=$root/build-bench/micro_bench
fi
[[ -x $binary ]] || { echo "bench/run.sh: no server binary at $binary" >&2; exit 1; }

# ---------------------------------------------------------------- run and report
mkdir -p "$out"
args=(--binary "$binary" --out "$out" --duration "$duration" --command "$invocation")
[[ -n $micro ]] && args+=(--micro "$micro")
((smoke)) && args+=(--smoke)
"$python" "$root/bench/harness.py" "${args[@]}" "${extra[@]}"
"$python" "$root/bench/report.py" "$out/results.json" | tee "$out/table.txt"
