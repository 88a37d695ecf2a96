#!/usr/bin/env bash
# The whole test suite: install what is missing, build, run every suite with
# ctest; then build again with AddressSanitizer + UndefinedBehaviorSanitizer
# (and -Werror) and run the suites again under them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh -DJIEBANG_WERROR=ON
(cd build && ctest --output-on-failure)
BUILD_DIR=build-asan scripts/build.sh -DJIEBANG_SANITIZE=ON -DJIEBANG_WERROR=ON -DCMAKE_BUILD_TYPE=Debug
# The quality and crash suites measure processes, not new code paths: once is enough.
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -E "quality|crash")
