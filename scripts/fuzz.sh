#!/usr/bin/env bash
# Coverage-guided fuzzing of the engine with libFuzzer (clang), under
# AddressSanitizer + UndefinedBehaviorSanitizer.
#
#   scripts/fuzz.sh [SECONDS]      build every harness into build-fuzz/, run each
#                                  file of tests/fuzz/regress/ and its seeds through
#                                  every harness once, then fuzz each for SECONDS
#                                  (default 60; 0 = the regression run only)
#
# Environment:
#   FUZZ_JOBS=N        harnesses fuzzed at the same time (default: number of cores)
#   FUZZ_HARNESSES="tokenize query"   a subset (default: all seven)
#   FUZZ_BUILD=cmake   build through CMake (-DJIEBANG_FUZZ=ON) instead of calling
#                      clang directly; needs tests/fuzz wired into CMakeLists.txt
#   JBFUZZ_STRICT=1    the import harnesses also check counters and idempotency
#                      while fuzzing (the regression run always does)
#
# Findings: crash/leak/timeout inputs in build-fuzz/artifacts/<harness>/, logs
# in build-fuzz/logs/. The working corpora stay in build-fuzz/corpus/ and grow
# from run to run. Exit status 1 when a harness failed (a crash, a leak, UB, a
# timeout or a failed check), 0 otherwise. A reproducer that is worth keeping
# goes to tests/fuzz/regress/<harness>-<short-name>; reproduce one with
#   build-fuzz/fuzz_<harness> FILE
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${1:-60}
case $seconds in (*[!0-9]*|'') echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2;; esac
out=$root/build-fuzz
harnesses=${FUZZ_HARNESSES:-"tokenize query serve import_jsonl import_csv index extract"}
jobs=${FUZZ_JOBS:-$(nproc)}

# ----------------------------------------------------------------- toolchain
# Only what is missing: a machine that has them needs no network.
scripts/install-deps.sh
missing=""
command -v clang >/dev/null || missing="$missing clang"
if ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 &&
   ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1; then
  missing="$missing libclang-rt-14-dev"
fi
if [ -n "$missing" ]; then
  echo "installing:$missing" >&2
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >&2
fi

# --------------------------------------------------------------------- build
mkdir -p "$out/obj" "$out/logs" "$out/artifacts" "$out/corpus" "$out/tmp"
if [ "${FUZZ_BUILD:-direct}" = cmake ]; then
  cmake -S . -B "$out/cmake" -DJIEBANG_FUZZ=ON -DCMAKE_C_COMPILER=clang \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null
  cmake --build "$out/cmake" -j "$(nproc)" --target $(for h in $harnesses; do printf 'fuzz_%s ' "$h"; done)
  for h in $harnesses; do cp "$out/cmake/tests/fuzz/fuzz_$h" "$out/fuzz_$h"; done
else
  # The engine is every src/*.c (the CLI, with main(), is in src/cli/). It
  # gets coverage instrumentation without libFuzzer's main (fuzzer-no-link);
  # only the harness executables link libFuzzer itself.
  cflags=(-std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -fno-omit-frame-pointer
          -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
          "-DJB_SOURCE_LEXICON=\"$root/corpora/lexicon\"" '-DJB_VERSION="fuzz"'
          "-DJB_SOURCE_TARGETS=\"$root/corpora/chenxi/targets.tsv\""
          "-DJBF_FIXTURE=\"$root/tests/fuzz/fixture.jsonl\""
          "-DJBF_LEXICON=\"$root/corpora/lexicon\""
          -Iinclude -Isrc -I/usr/include/cjson $(pkg-config --cflags poppler-glib))
  # Warnings for our own files only: the engine's are the main build's job.
  hflags=(-Wall -Wextra -Wno-unused-parameter)
  compile() {  # SOURCE [extra flags]: one object in build-fuzz/obj/
    local s=$1
    shift
    clang "${cflags[@]}" "$@" -c "$s" -o "$out/obj/$(echo "$s" | tr / _).o"
  }
  srcs=(src/*.c tests/fuzz/fuzz_common.c tests/fuzz/fuzz_import.c)
  pids=()
  for s in src/*.c; do
    while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do sleep 0.1; done
    compile "$s" -w &
    pids+=($!)
  done
  compile tests/fuzz/fuzz_common.c "${hflags[@]}" & pids+=($!)
  compile tests/fuzz/fuzz_import.c "${hflags[@]}" & pids+=($!)
  for p in "${pids[@]}"; do wait "$p"; done
  objs=()
  for s in "${srcs[@]}"; do objs+=("$out/obj/$(echo "$s" | tr / _).o"); done
  for h in $harnesses; do
    # fuzz_serve checks that no request opens a file: it sees every fopen().
    wrap=()
    [ "$h" = serve ] && wrap=(-Wl,--wrap=fopen)
    clang "${cflags[@]}" "${hflags[@]}" -fsanitize=fuzzer tests/fuzz/fuzz_$h.c "${objs[@]}" \
      "${wrap[@]}" -lsqlite3 -lcjson -lstemmer -lfriso -lzip -lexpat -lxlsxwriter -lz -largon2 \
      $(pkg-config --libs poppler-glib) -lpthread -lm -o "$out/fuzz_$h"
  done
fi
echo "built:$(for h in $harnesses; do printf ' fuzz_%s' "$h"; done) in build-fuzz/" >&2

# ------------------------------------------------------------- run settings
export JIEBANG_LEXICON=$root/corpora/lexicon
export JBFUZZ_FIXTURE=$root/tests/fuzz/fixture.jsonl
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

max_len() {  # bytes per input: a query is at most 8 KiB, a file 64 KiB, an index 128 KiB
  case $1 in
    tokenize) echo 4096 ;;
    query) echo 9000 ;;
    serve) echo 16384 ;;
    import_*) echo 65536 ;;
    index) echo 131072 ;;  # the fixture's index file is 124 KiB
    extract) echo 65536 ;;
  esac
}
dict() {
  case $1 in
    serve|import_jsonl) echo "-dict=tests/fuzz/json.dict" ;;
    import_csv) echo "-dict=tests/fuzz/csv.dict" ;;
    query|tokenize) echo "-dict=tests/fuzz/text.dict" ;;
  esac
}

status=0

# ---------------------------------------------------------------- regression
# Every saved reproducer through every harness, and each harness's seeds:
# given files (not directories), libFuzzer runs each once and exits.
mapfile -t regress < <(find tests/fuzz/regress -type f ! -name '.*' ! -name '*.md' 2>/dev/null | sort)
for h in $harnesses; do
  mapfile -t seeds < <(find "tests/fuzz/seeds/$h" -type f 2>/dev/null | sort)
  files=("${regress[@]}" "${seeds[@]}")
  [ ${#files[@]} -gt 0 ] || continue
  tmp=$(mktemp -d "$out/tmp/$h.XXXXXX")
  # Strict: a saved reproducer of a counter or idempotency bug fails too.
  if TMPDIR=$tmp JBFUZZ_STRICT=1 "$out/fuzz_$h" -timeout=30 -rss_limit_mb=2048 "${files[@]}" \
       >"$out/logs/regress-$h.log" 2>&1; then
    echo "regress  $h: ${#files[@]} inputs ok" >&2
  else
    echo "regress  $h: FAILED (build-fuzz/logs/regress-$h.log)" >&2
    grep -a 'Running:' "$out/logs/regress-$h.log" | tail -1 >&2 || true
    grep -a -m4 -E '^(==[0-9]+== ?ERROR|==jbfuzz==|SUMMARY|.*runtime error)' "$out/logs/regress-$h.log" >&2 || true
    status=1
  fi
  rm -rf "$tmp"
done

# ------------------------------------------------------------------- fuzzing
run_one() {
  local h=$1
  local tmp corpus
  tmp=$(mktemp -d "$out/tmp/$h.XXXXXX")
  corpus=$out/corpus/$h
  mkdir -p "$corpus" "$out/artifacts/$h"
  # The working corpus first: libFuzzer writes new inputs to the first dir.
  TMPDIR=$tmp "$out/fuzz_$h" "$corpus" "tests/fuzz/seeds/$h" \
    -max_total_time="$seconds" -max_len="$(max_len "$h")" $(dict "$h") \
    -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$out/artifacts/$h/" >"$out/logs/fuzz-$h.log" 2>&1
  local rc=$?
  rm -rf "$tmp"
  return $rc
}

if [ "$seconds" -gt 0 ]; then
  pids=()
  names=()
  for h in $harnesses; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
    echo "fuzzing  $h for ${seconds}s (log: build-fuzz/logs/fuzz-$h.log)" >&2
    run_one "$h" &
    pids+=($!)
    names+=("$h")
  done
  for i in "${!pids[@]}"; do
    h=${names[$i]}
    log=$out/logs/fuzz-$h.log
    if wait "${pids[$i]}"; then
      execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
      cov=$(grep -aoE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
      echo "fuzz     $h: ok, ${execs:-?} executions in ${seconds}s, ${cov:-no coverage line}" >&2
    else
      echo "fuzz     $h: FAILED (build-fuzz/logs/fuzz-$h.log)" >&2
      grep -a -m4 -E '^(==[0-9]+== ?ERROR|==jbfuzz==|SUMMARY|.*runtime error|artifact_prefix)' "$log" >&2 || true
      status=1
    fi
  done
fi
rmdir "$out/tmp" 2>/dev/null || true
exit $status
