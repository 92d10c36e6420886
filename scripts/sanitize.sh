#!/usr/bin/env bash
# Builds the server and its unit and end-to-end tests with sanitizers and runs them (ctest):
#   scripts/sanitize.sh address   AddressSanitizer + UndefinedBehaviorSanitizer, in build-asan/
#   scripts/sanitize.sh thread    ThreadSanitizer, in build-tsan/
# The MariaDB and PostgreSQL variants run when GATEHOUSE_TEST_MYSQL_URL / GATEHOUSE_TEST_POSTGRES_URL
# name a server (scripts/test.sh starts both); extra arguments go to ctest (e.g. -R Throttle).
#
# Every finding stops the process that made it. The end-to-end tests start `gatehouse serve` as a
# child, whose report a test might never see, so every process writes its reports to a file under
# the build folder: after ctest, each report file is printed as "sanitizer report: FILE" and the
# script fails. ctest's own output comes first, for scripts/test.sh to count.
set -uo pipefail
kind=${1:-}
shift || true
root=$(cd "$(dirname "$0")/.." && pwd)
case $kind in
  address) preset=debug-asan ;;
  thread) preset=debug-tsan ;;
  *)
    echo "usage: scripts/sanitize.sh address|thread [ctest arguments]" >&2
    exit 2
    ;;
esac
build=$root/build-${preset#debug-}
# ninja as scripts/build.sh: it compiles the tests' sources beside the server's (see e2e_tests in
# CMakeLists.txt), which make cannot.
command -v ninja >/dev/null && export CMAKE_GENERATOR=${CMAKE_GENERATOR:-Ninja}

if ! (cd "$root" && cmake --preset "$preset" -DGATEHOUSE_BUILD_TESTS=ON >/dev/null &&
  cmake --build "$build" -j"$(nproc)" --target gatehouse unit_tests e2e_tests \
    >"$build/build.log" 2>&1); then
  tail -40 "$build/build.log" 2>/dev/null >&2
  echo "building with the $kind sanitizer failed" >&2
  exit 1
fi

echo "built with the $kind sanitizer in $SECONDS s"

reports=$build/sanitizer-reports
rm -rf "$reports"
mkdir -p "$reports"
# halt_on_error: a finding ends the process (exit 66 for TSan, 1 for ASan and UBSan), so the test
# that caused it fails. verify_asan_link_order=0: the tests that move the server's wall clock
# preload libfaketime ahead of the ASan runtime, which is safe as it intercepts no allocation.
export ASAN_OPTIONS="log_path=$reports/asan:halt_on_error=1:detect_leaks=1:verify_asan_link_order=0:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1"
export UBSAN_OPTIONS="log_path=$reports/ubsan:halt_on_error=1:print_stacktrace=1"
export TSAN_OPTIONS="log_path=$reports/tsan:halt_on_error=1:second_deadlock_stack=1:exitcode=66:suppressions=$root/tests/tsan-suppressions.txt"

# Sanitized code runs 2-15 times slower: a test gets 600 s before ctest calls it hung.
(cd "$build" && ctest -j"$(nproc)" --timeout 600 --output-on-failure "$@")
status=$?

found=0
for report in "$reports"/*; do
  [[ -e $report ]] || continue
  echo "sanitizer report: $report"
  cat "$report"
  found=$((found + 1))
done
((found == 0)) || status=1
exit "$status"
