#!/usr/bin/env bash
# serve_test.sh JIEBANG [--update] — the JSON protocol against golden files:
# tests/golden/serve.in (one request per line) must give exactly
# tests/golden/serve.out (one response per line) on the bundled corpus.
set -u
jb=$1
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# a fixed today: whether a need is expired must not depend on the day the test runs
export JIEBANG_DB=$tmp/t.db JIEBANG_LEXICON=$src/corpora/lexicon JIEBANG_TODAY=2021-12-31
"$jb" import -q "$src"/corpora/chenxi/*.jsonl || exit 1
"$jb" serve < "$src/tests/golden/serve.in" | sed -e "s#$tmp#TMP#g" -e "s#$src#SRC#g" > "$tmp/got"
if [ "${2:-}" = "--update" ]; then cp "$tmp/got" "$src/tests/golden/serve.out"; echo "updated"; exit 0; fi
pass=0 fail=0
want_lines=$(wc -l < "$src/tests/golden/serve.in")
got_lines=$(wc -l < "$tmp/got")
if [ "$want_lines" = "$got_lines" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $got_lines responses for $want_lines requests" >&2; fi
n=0
while IFS= read -r want <&3 && IFS= read -r got <&4; do
  n=$((n + 1))
  if [ "$want" = "$got" ]; then pass=$((pass + 1)); else
    fail=$((fail + 1))
    echo "FAIL: request $n: $(sed -n "${n}p" "$src/tests/golden/serve.in")" >&2
    echo "  want: $want" >&2
    echo "  got:  $got" >&2
  fi
done 3<"$src/tests/golden/serve.out" 4<"$tmp/got"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
