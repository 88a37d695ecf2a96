#!/usr/bin/env bash
# The whole test suite: install what is missing, build, run every suite with
# ctest; then build again with AddressSanitizer + UndefinedBehaviorSanitizer
# (and -Werror) and run the suites again under them, and the threaded ones
# under ThreadSanitizer; then fuzz.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh -DJIEBANG_WERROR=ON
log=$(mktemp)
(cd build && ctest --output-on-failure) | tee "$log" 
BUILD_DIR=build-asan scripts/build.sh -DJIEBANG_SANITIZE=ON -DJIEBANG_WERROR=ON -DCMAKE_BUILD_TYPE=Debug
# The quality and crash suites measure processes, not new code paths: once is enough.
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$PWD/../tests/lsan.supp UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -E "quality|crash") | tee -a "$log" 
# ThreadSanitizer on the suites that run batches on several threads, and on
# the web server (a thread per connection over a pool of database connections).
BUILD_DIR=build-tsan scripts/build.sh -DJIEBANG_TSAN=ON -DJIEBANG_WERROR=ON -DCMAKE_BUILD_TYPE=Debug
(cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -R "^(match|assign|cli|web)$") | tee -a "$log"
# Fuzzing (libFuzzer, clang): every saved reproducer and seed through every
# harness must pass; then 60 s of exploration per harness. A new finding in
# that short, random run is reported (build-fuzz/artifacts/) but does not
# fail the run: it is saved to tests/fuzz/regress/ and from then on it does.
# FUZZ_SECONDS=0 skips the exploration (a developer's quick run; CI keeps 60).
scripts/fuzz.sh 0
FUZZ_JOBS=2 scripts/fuzz.sh "${FUZZ_SECONDS:-60}" || echo "test.sh: fuzzing found new inputs: see build-fuzz/artifacts/ and build-fuzz/logs/" >&2
# One closing line for the whole run: suites passed and failed, both builds.
total=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\2 \1/p' "$log" | awk '{t += $1; f += $2} END {print t - f, f}')
rm -f "$log"
echo "${total% *} passed, ${total#* } failed"
