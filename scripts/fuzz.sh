#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan) into build-fuzz/ and runs
# each for SECONDS (default 10) from its seed corpus tests/fuzz/corpus/<target>/. New inputs the
# fuzzer finds go to build-fuzz/corpus/<target>/, never into the repository; a crash leaves its
# input in build-fuzz/crashes/ (turn it into a unit test, then fix). A longer hunt:
#   scripts/fuzz.sh 600
# The targets run side by side, one per core (each fuzzer is one process on one core).
#   scripts/fuzz.sh --build-only   only builds (scripts/test.sh builds while other steps run)
# The last line is "N passed, N failed" (one per target), for scripts/test.sh.
set -uo pipefail
seconds=${1:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
targets=()
for source in "$root"/tests/fuzz/*_fuzz.cpp; do targets+=("$(basename "$source" .cpp)"); done
# Only the fuzz targets (not the server), from a unity build with ninja as scripts/build.sh.
command -v ninja >/dev/null && export CMAKE_GENERATOR=${CMAKE_GENERATOR:-Ninja}
if ! CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=8 -DGATEHOUSE_FUZZ=ON \
  -DGATEHOUSE_BUILD_TESTS=OFF >/dev/null ||
  ! cmake --build "$build" -j"$(nproc)" --target "${targets[@]}" >"$build/build.log" 2>&1; then
  tail -40 "$build/build.log" 2>/dev/null >&2
  echo "0 passed, 1 failed"
  exit 1
fi
echo "built the fuzz targets in $SECONDS s"
[[ $seconds == --build-only ]] && exit 0
passed=0
failed=0
mkdir -p "$build/crashes"
rm -f "$build"/*.status
# -seed fixes the run for a given binary and corpus; -timeout flags an input that takes seconds (a
# parser that loops, a hash run past its ceiling). Each target's exit status goes to NAME.status.
fuzz_one() {
  local name=$1 corpus=$build/corpus/$1
  mkdir -p "$corpus"
  "$build/$name" -seed=1 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$build/crashes/$name-" "$corpus" "$root/tests/fuzz/corpus/$name" \
    >"$build/$name.log" 2>&1
  echo $? >"$build/$name.status"
}
running=0
for name in "${targets[@]}"; do
  if ((running == $(nproc))); then
    wait -n
    running=$((running - 1))
  fi
  fuzz_one "$name" &
  running=$((running + 1))
done
wait
for name in "${targets[@]}"; do
  if [[ $(cat "$build/$name.status" 2>/dev/null) == 0 ]]; then
    echo "PASS $name ($(grep -o 'Done [0-9]* runs' "$build/$name.log" | grep -o '[0-9]*' ||
      echo '?') inputs in ${seconds}s)"
    passed=$((passed + 1))
  else
    echo "FAIL $name: see $build/$name.log"
    tail -30 "$build/$name.log" >&2
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
((failed == 0))
