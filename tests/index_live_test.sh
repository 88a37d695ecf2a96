#!/usr/bin/env bash
# index_live_test.sh JIEBANG [ROUNDS] — the live match index against a
# rebuild. A random sequence of writes (new needs, changed needs, closed
# needs, and now and then a new expert, achievement or relation) is applied
# to a database whose index files are kept; after each write the outputs of
# match (need -> candidates, expert -> needs), batch, demands and check must
# be byte for byte those of a copy of the database whose index is rebuilt
# from nothing. A write of needs only must leave the supply part's file
# (DB.mx) untouched and rewrite the needs part alone; a read must rewrite
# neither.
set -u
jb=$1
rounds=${2:-16}
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export JIEBANG_LEXICON=$src/corpora/lexicon
pass=0 fail=0
ok() { pass=$((pass + 1)); }
no() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
RANDOM=${JB_SEED:-16}

db=$tmp/live.db
"$jb" --db "$db" import -q "$src"/corpora/chenxi/*.jsonl || exit 1
mapfile -t needs < <("$jb" --db "$db" export 2>/dev/null | grep -o '"type":"need","id":"[^"]*"' | sed 's/.*"id":"//;s/"//' | head -40)
mapfile -t experts < <("$jb" --db "$db" export 2>/dev/null | grep -o '"type":"expert","id":"[^"]*"' | sed 's/.*"id":"//;s/"//' | head -20)
words=(砂型 喷头 粘结剂 禾花鲤 苗种 繁育 油茶 过氧化值 货架期 柑橘 保鲜 冷链 土壤 重金属 修复 钒 提取 废水
       printhead clogging binder "fish breeding" "cold chain" "heavy metal" remediation vanadium extraction)
text() { local t="" i; for i in 1 2 3 4 5 6; do t="$t${words[$((RANDOM % ${#words[@]}))]} "; done; echo "$t"; }

outputs() { # DB OUTDIR
  mkdir -p "$2"
  local i=0 c
  for c in "match need ${needs[0]} -k 10 --json" "match need ${needs[5]} -k 10 --type achievement --json" \
           "match need new-1 -k 10 --json" "match expert ${experts[0]} -k 10 --json" \
           "match expert ${experts[3]} -k 10 --json" "batch --open -k 5" "demands --json" "check --all"; do
    # shellcheck disable=SC2086
    "$jb" --db "$1" $c 2>/dev/null | grep -v '"created"' > "$2/$i"
    i=$((i + 1))
  done
}
outputs "$db" "$tmp/warm" # builds and saves both parts

newn=0
for r in $(seq 1 "$rounds"); do
  op=$((RANDOM % 8))
  f=$tmp/w$r.jsonl
  case $op in
    0|1|2) newn=$((newn + 1))
       printf '{"type":"need","id":"new-%d","org":"org-yunjian","title":"%s","text":"%s"}\n' \
         "$newn" "$(text)" "$(text)$(text)" > "$f"; kind=needs ;;
    3|4) n=${needs[$((RANDOM % ${#needs[@]}))]}
       "$jb" --db "$db" get "$n" 2>/dev/null | head -1 > /dev/null
       printf '{"type":"need","id":"%s","org":"org-yunjian","title":"%s","text":"%s"}\n' \
         "$n" "$(text)" "$(text)$(text)" > "$f"; kind=needs ;;
    5) n=${needs[$((RANDOM % ${#needs[@]}))]}
       printf '{"type":"need","id":"%s","org":"org-yunjian","title":"%s","text":"%s","status":"closed"}\n' \
         "$n" "$(text)" "$(text)" > "$f"; kind=needs ;;
    6) printf '{"type":"expert","id":"live-exp-%d","name":"测试%d","org":"org-hunau","fields":["%s"],"bio":"%s"}\n' \
         "$r" "$r" "$(text)" "$(text)$(text)" > "$f"; kind=supply ;;
    7) printf '{"type":"achievement","id":"live-ach-%d","title":"%s","text":"%s","org":"org-hunau","year":2024}\n' \
         "$r" "$(text)" "$(text)$(text)" > "$f"; kind=supply ;;
  esac
  before=$(stat -c %Y.%i "$db.mx" 2>/dev/null)
  if ! "$jb" --db "$db" import -q "$f" 2>"$tmp/err"; then no "round $r: import failed: $(cat "$tmp/err")"; continue; fi
  rm -rf "$tmp/live" "$tmp/fresh"
  outputs "$db" "$tmp/live"
  after=$(stat -c %Y.%i "$db.mx" 2>/dev/null)
  if [ "$kind" = needs ]; then
    [ "$before" = "$after" ] && ok || no "round $r: a needs-only write rewrote the supply part's file"
  fi
  # reads leave both files alone
  s1=$(stat -c %Y.%i "$db.mx" "$db.mx.needs" 2>/dev/null)
  "$jb" --db "$db" match need "${needs[1]}" -k 3 > /dev/null 2>&1
  s2=$(stat -c %Y.%i "$db.mx" "$db.mx.needs" 2>/dev/null)
  [ -n "$s1" ] && [ "$s1" = "$s2" ] && ok || no "round $r: a read rewrote an index file ($s1 / $s2)"
  # the same data, the index built from nothing
  rm -f "$tmp/fresh.db"*
  cp "$db" "$tmp/fresh.db"
  [ -s "$db-wal" ] && cp "$db-wal" "$tmp/fresh.db-wal"
  outputs "$tmp/fresh.db" "$tmp/fresh"
  for i in 0 1 2 3 4 5 6 7; do
    cmp -s "$tmp/live/$i" "$tmp/fresh/$i" && ok || no "round $r (op $op, $kind): output $i differs from a rebuilt index's"
  done
done
echo "live index: $pass passed, $fail failed"
[ "$fail" = 0 ]
