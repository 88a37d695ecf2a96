#!/usr/bin/env bash
# crash_test.sh JIEBANG [ROUNDS] — crash safety and concurrency, for real:
#  - kill -9 jiebang at random points of a large import, many times: after
#    each, PRAGMA integrity_check and FTS5 integrity-check pass and the file's
#    records are all there or none are;
#  - kill -9 during an undo of that import and during a patch of all its
#    records: the records and the history agree (all of the change or none);
#  - kill -9 during batch and assign runs: the database stays intact;
#  - kill -9 while the match index is built and saved, fully or its needs
#    part alone: the next match answers as with a fresh index;
#  - searches and matches from other processes keep answering while an
#    import writes; two imports at once both land, nothing lost.
set -u
jb=$1
rounds=${2:-20}
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
export JIEBANG_LEXICON=$src/corpora/lexicon
pass=0 fail=0
ok() { pass=$((pass + 1)); }
no() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# a large file of needs: N records, all or none must land
make_needs() { # FILE PREFIX N
  awk -v p="$2" -v n="$3" 'BEGIN { for (i = 0; i < n; i++)
    printf "{\"type\":\"need\",\"id\":\"%s-%d\",\"org\":\"org-yunjian\",\"title\":\"砂型3D打印喷头堵塞问题第%d号\",\"text\":\"微滴喷射头堵塞率%d%%，砂型抗拉强度1.%dMPa，需要改进粘结剂配方与清洗工艺，降低发气量，提高铸件合格率。 sand mould binder jetting printhead clogging case %d\",\"keywords\":[\"喷头\",\"砂型\",\"粘结剂\"],\"chains\":[\"3D打印\"]}\n", p, i, i, i % 30, i % 9, i }' > "$1"
}
count() { "$jb" --db "$1" stats --json | sed "s/.*\"$2\":\\([0-9]*\\).*/\\1/"; }

"$jb" --db "$tmp/base.db" import -q "$src"/corpora/chenxi/*.jsonl || exit 1
base_needs=$(count "$tmp/base.db" needs)
N=30000
make_needs "$tmp/needs-big.jsonl" big $N

for r in $(seq 1 "$rounds"); do
  cp "$tmp/base.db" "$tmp/w.db"
  "$jb" --db "$tmp/w.db" import -q "$tmp/needs-big.jsonl" 2>/dev/null &
  pid=$!
  # anywhere from just started to nearly done
  sleep "0.$(( (RANDOM % 9) + 1 ))$(( RANDOM % 10 ))"
  [ $((r % 4)) = 0 ] && sleep 1
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  out=$("$jb" --db "$tmp/w.db" integrity 2>&1)
  [ "$out" = ok ] && ok || no "round $r: integrity after kill -9 during import: $out"
  got=$(count "$tmp/w.db" needs)
  if [ "$got" = "$base_needs" ] || [ "$got" = $((base_needs + N)) ]; then ok
  else no "round $r: $((got - base_needs)) of $N records: a file must land whole or not at all"; fi
done

# kill -9 during an undo of a large import and during a large patch: the
# records and their history agree afterwards (all of the change or none)
cp "$tmp/base.db" "$tmp/u.db"
"$jb" --db "$tmp/u.db" import -q "$tmp/needs-big.jsonl" 2>/dev/null || no "the large import for undo failed"
big=$("$jb" --db "$tmp/u.db" changes -n 1 --json | sed -n 's/^\[{"id":\([0-9]*\).*/\1/p')
awk -v n=$N 'BEGIN { print "id,status"; for (i = 0; i < n; i++) printf "big-%d,closed\n", i }' > "$tmp/needs-patch.csv"
for r in 1 2 3 4 5 6; do
  cp "$tmp/u.db" "$tmp/w.db"
  if [ $((r % 2)) = 1 ]; then "$jb" --db "$tmp/w.db" undo "$big" > /dev/null 2>&1 &
  else "$jb" --db "$tmp/w.db" import -q "$tmp/needs-patch.csv" > /dev/null 2>&1 & fi
  pid=$!
  sleep "0.$(( (RANDOM % 9) + 1 ))"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  out=$("$jb" --db "$tmp/w.db" integrity 2>&1)
  [ "$out" = ok ] && ok || no "round $r: integrity after kill -9 during undo/patch: $out"
  last=$("$jb" --db "$tmp/w.db" changes -n 1 --json)
  if [ $((r % 2)) = 1 ]; then
    got=$(count "$tmp/w.db" needs)
    case "$got:$last" in
    "$((base_needs + N)):"*'"id":'"$big"',"'*) ok ;;              # not undone: the import is the last change
    "$base_needs:"*'"undoes":'"$big"*) ok ;;                        # undone: all records gone, the undo recorded
    *) no "round $r: undo killed: $got needs, last change $last" ;;
    esac
  else
    closed=$("$jb" --db "$tmp/w.db" export | grep -c '"id":"big-[0-9]*".*"status":"closed"')
    case "$closed:$last" in
    "0:"*'"id":'"$big"',"'*) ok ;;
    "$N:"*'"records":'"$N"'}'*|"$N:"*'"records":'"$N"',"'*) ok ;;
    *) no "round $r: patch killed: $closed of $N closed, last change $last" ;;
    esac
  fi
done

# kill -9 during batch and assign: read-only work never harms the database
for r in 1 2 3; do
  "$jb" --db "$tmp/w.db" batch --open -k 20 > /dev/null 2>&1 &
  pid=$!; sleep "0.$((RANDOM % 5 + 1))"; kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  "$jb" --db "$tmp/base.db" assign --list 2021揭榜挂帅 > /dev/null 2>&1 &
  pid=$!; sleep "0.0$((RANDOM % 9 + 1))"; kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  for d in w base; do
    out=$("$jb" --db "$tmp/$d.db" integrity 2>&1)
    [ "$out" = ok ] && ok || no "integrity after kill -9 during batch/assign ($d): $out"
  done
done

# readers keep answering while an import writes
cp "$tmp/base.db" "$tmp/c.db"
make_needs "$tmp/needs-a.jsonl" a 20000
make_needs "$tmp/needs-b.jsonl" b 20000
"$jb" --db "$tmp/c.db" import -q "$tmp/needs-a.jsonl" &
writer=$!
answered=0
for i in $(seq 1 15); do
  "$jb" --db "$tmp/c.db" search 油茶 -k 3 > /dev/null 2>&1 && "$jb" --db "$tmp/c.db" match need need-0058 -k 3 > /dev/null 2>&1 && answered=$((answered + 1))
done
wait "$writer"; wrc=$?
[ "$wrc" = 0 ] && ok || no "import during reads failed ($wrc)"
[ "$answered" = 15 ] && ok || no "only $answered of 15 search+match rounds answered during an import"

# two imports at once: both land, nothing lost
"$jb" --db "$tmp/c.db" import -q "$tmp/needs-b.jsonl" &
p1=$!
"$jb" --db "$tmp/c.db" import -q "$src/corpora/samples/needs-utf8-bom.csv" &
p2=$!
wait "$p1"; r1=$?; wait "$p2"; r2=$?
[ "$r1" = 0 ] && [ "$r2" = 0 ] && ok || no "concurrent imports: exits $r1 $r2"
got=$(count "$tmp/c.db" needs)
[ "$got" = $((base_needs + 40000 + 12)) ] && ok || no "concurrent imports: $got needs, want $((base_needs + 40012))"
out=$("$jb" --db "$tmp/c.db" integrity 2>&1)
[ "$out" = ok ] && ok || no "integrity after concurrent imports: $out"

# kill -9 while the match index is built and saved (both parts), and while
# a needs-only write has its part rebuilt: the next match answers exactly as
# with an index built from nothing, and no temp file outlives the next save
cp "$tmp/base.db" "$tmp/x.db"
rm -f "$tmp/x.db.mx" "$tmp/x.db.mx.needs"
"$jb" --db "$tmp/x.db" match need need-0058 -k 10 --json > "$tmp/x.want" 2>/dev/null
for r in $(seq 1 8); do
  if [ $((r % 2)) = 1 ]; then
    rm -f "$tmp/x.db.mx" "$tmp/x.db.mx.needs"     # a full build and both saves
  else                                             # a needs part rebuilt alone
    printf '{"type":"need","id":"kill-%d","org":"org-yunjian","title":"油茶压榨","text":"油茶籽压榨工艺"}\n' "$r" \
      > "$tmp/one.jsonl"
    "$jb" --db "$tmp/x.db" import -q "$tmp/one.jsonl" 2>/dev/null
  fi
  "$jb" --db "$tmp/x.db" match need need-0058 -k 10 --json > /dev/null 2>&1 &
  pid=$!
  sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
  kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  got=$("$jb" --db "$tmp/x.db" match need need-0058 -k 10 --json 2>"$tmp/x.err")
  [ "$got" = "$(cat "$tmp/x.want")" ] && ok || no "round $r: match after kill -9 during an index save differs"
  grep -q "damaged\|已损坏" "$tmp/x.err" && no "round $r: a torn index file was found: $(cat "$tmp/x.err")" || ok
done
left=$(find "$tmp" -name 'x.db.mx*tmp-*' | wc -l)
[ "$left" = 0 ] && ok || no "$left index temp files left after the next saves"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
