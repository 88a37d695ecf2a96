#!/usr/bin/env bash
# index_file_test.sh JIEBANG [ROUNDS] — the match index file (DB.mx) is a
# cache that is never trusted:
#  - a 4 KiB block of random bytes anywhere inside either part (DB.mx, the
#    supply part, or DB.mx.needs; size unchanged) never
#    crashes match, batch, assign, demands or check: the damage is reported,
#    the file discarded and rebuilt, and every output is the undamaged one;
#    a match checks only the blocks of postings and forward lists it reads
#    (batch, assign, demands and check all of them, up front), so the report
#    may come from a later command;
#  - damage in every posting block is found by a match alone, which answers
#    as if undamaged; damage in one block that no command reads is found by
#    `jiebang integrity`, which removes the files (the next match rebuilds);
#  - a truncated or extended file is refused at load (its header's size);
#  - a FIFO, a directory or a symlink at DB.mx neither hangs a command nor
#    gets written through (a planted symlink's target stays untouched);
#  - the temporary file has an unpredictable name, and the temp files that a
#    killed writer left behind are removed by the next save.
set -u
jb=$1
rounds=${2:-12}
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
export JIEBANG_LEXICON=$src/corpora/lexicon
pass=0 fail=0
ok() { pass=$((pass + 1)); }
no() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

db=$tmp/d.db
"$jb" --db "$db" import -q "$src"/corpora/chenxi/*.jsonl || exit 1
need=$("$jb" --db "$db" demands --json 2>/dev/null | grep -o '"need-[0-9]*"' | head -1 | tr -d '"')
[ -n "$need" ] || need=need-0001
# every command that reads the index, with its output as it should be
cmds=("match need $need -k 10"
      "match need $need --type achievement -k 10"
      "batch --open -k 5"
      "assign --list 2021揭榜挂帅"
      "demands --json"
      "check --all")
run_all() { # OUTDIR
  mkdir -p "$1"
  for i in "${!cmds[@]}"; do
    # shellcheck disable=SC2086
    timeout 60 "$jb" --db "$db" ${cmds[$i]} > "$1/$i.raw" 2> "$1/$i.err"
    echo $? > "$1/$i.rc"
    grep -v '"created"' "$1/$i.raw" > "$1/$i.out" # assign stamps its time
  done
}
run_all "$tmp/want"
[ -s "$db.mx" ] && [ -s "$db.mx.needs" ] && ok || no "no index files after a match"
cp "$db.mx" "$tmp/good.mx"
cp "$db.mx.needs" "$tmp/good.mx.needs"

# --------------------------------------------------- random damage, any place
for r in $(seq 1 "$rounds"); do
  cp "$tmp/good.mx" "$db.mx"
  cp "$tmp/good.mx.needs" "$db.mx.needs"
  # the supply part (DB.mx) and the needs part (DB.mx.needs) in turn
  part=.mx
  [ $((r % 2)) = 0 ] && part=.mx.needs
  size=$(stat -c %s "$db$part")
  # the first rounds hit the header and the start, the others anywhere
  if [ "$r" -le 4 ]; then off=$(( (r - 1) / 2 * 2048 ))
  else off=$(( (RANDOM * 32768 + RANDOM) % (size > 4096 ? size - 4096 : 1) )); fi
  head -c 4096 /dev/urandom | dd of="$db$part" bs=1 seek="$off" conv=notrunc status=none
  [ "$(stat -c %s "$db$part")" = "$size" ] || no "round $r: size changed"
  rm -rf "$tmp/got"
  run_all "$tmp/got"
  for i in "${!cmds[@]}"; do
    rc=$(cat "$tmp/got/$i.rc")
    if [ "$rc" -ge 124 ]; then no "round $r (offset $off): '${cmds[$i]}' died (exit $rc)"; continue; fi
    if cmp -s "$tmp/want/$i.out" "$tmp/got/$i.out" && [ "$rc" = "$(cat "$tmp/want/$i.rc")" ]; then ok
    else no "round $r ($part at $off): '${cmds[$i]}' output differs from the undamaged index's"; fi
  done
  cat "$tmp"/got/*.err | grep -q "damaged match index\|匹配索引文件已损坏" && ok ||
    no "round $r ($part at $off): the damage was not reported: $(head -c 300 "$tmp/got/0.err")"
  cmp -s "$db$part" "$tmp/good$part" && ok || no "round $r: the damaged $part file was not rebuilt as it was"
done

# ------------------------------------------- blocks checked as they are read
# where the supply part's postings are (JBMX0005: a 248-byte header head, then
# the section table, 24 bytes a section; the supply postings are section 9)
post_at() {
  python3 -c 'import struct,sys; b=open(sys.argv[1],"rb").read(248+24*10); print(*struct.unpack_from("<QQ",b,248+24*9))' "$1"
}
read -r poff plen < <(post_at "$tmp/good.mx")
[ "${plen:-0}" -gt 0 ] && ok || no "no supply postings section found"
# one byte changed in every 64 KiB block of the postings: whatever the need,
# the blocks its terms' postings are in are damaged
cp "$tmp/good.mx" "$db.mx"
cp "$tmp/good.mx.needs" "$db.mx.needs"
for ((o = poff + 100; o < poff + plen; o += 65536)); do
  printf '\xff' | dd of="$db.mx" bs=1 seek="$o" conv=notrunc status=none
done
out=$(timeout 60 "$jb" --db "$db" match need "$need" -k 10 2>"$tmp/err")
[ "$out" = "$(cat "$tmp/want/0.out")" ] && ok || no "damaged postings: match output differs from the undamaged index's"
grep -q "damaged match index" "$tmp/err" && ok || no "damaged postings: not reported by match ($(head -c 200 "$tmp/err"))"
cmp -s "$db.mx" "$tmp/good.mx" && ok || no "damaged postings: DB.mx not rebuilt as it was"
# the last posting block alone (a rare term's): a match that does not read it
# answers from the file as it is; integrity finds it and removes both files
cp "$tmp/good.mx" "$db.mx"
printf '\xff\xff\xff\xff' | dd of="$db.mx" bs=1 seek=$((poff + plen - 4)) conv=notrunc status=none
"$jb" --db "$db" integrity > "$tmp/out" 2> "$tmp/err"
grep -q "damaged match index" "$tmp/err" && ok || no "integrity did not report a damaged block ($(head -c 200 "$tmp/err"))"
[ ! -e "$db.mx" ] && [ ! -e "$db.mx.needs" ] && ok || no "integrity left a damaged index file in place"
out=$(timeout 60 "$jb" --db "$db" match need "$need" -k 10 2>"$tmp/err")
[ "$out" = "$(cat "$tmp/want/0.out")" ] && cmp -s "$db.mx" "$tmp/good.mx" && ok || no "after integrity: match not as before, or the index not rebuilt as it was"
"$jb" --db "$db" integrity > /dev/null 2> "$tmp/err"
[ ! -s "$tmp/err" ] && [ -e "$db.mx" ] && ok || no "integrity of an intact index said something or removed it: $(head -c 200 "$tmp/err")"
# truncated by a byte, extended by a byte: refused at load, reported, rebuilt
for cut in trunc ext; do
  cp "$tmp/good.mx" "$db.mx"
  if [ $cut = trunc ]; then truncate -s -1 "$db.mx"; else printf x >> "$db.mx"; fi
  out=$(timeout 60 "$jb" --db "$db" match need "$need" -k 10 2>"$tmp/err")
  [ "$out" = "$(cat "$tmp/want/0.out")" ] && grep -q "damaged match index" "$tmp/err" && cmp -s "$db.mx" "$tmp/good.mx" && ok ||
    no "$cut DB.mx: not refused, reported and rebuilt ($(head -c 200 "$tmp/err"))"
done

# ------------------------------------------------------- not a regular file
for kind in fifo dir symlink; do
  rm -rf "$db.mx" "$db.mx.needs"
  echo precious > "$tmp/victim"
  case $kind in
    fifo) mkfifo "$db.mx" ;;
    dir) mkdir "$db.mx" ;;
    symlink) ln -s "$tmp/victim" "$db.mx" ;;
  esac
  out=$(timeout 20 "$jb" --db "$db" match need "$need" -k 10 2>"$tmp/err")
  rc=$?
  [ "$rc" = 0 ] && ok || no "$kind at DB.mx: match exit $rc ($(head -c 200 "$tmp/err"))"
  [ "$out" = "$(cat "$tmp/want/0.out")" ] && ok || no "$kind at DB.mx: match output differs"
  [ "$(cat "$tmp/victim")" = precious ] && ok || no "$kind at DB.mx: the symlink's target was written"
  # the same at the needs part's name, the supply part in place
  rm -rf "$db.mx.needs"
  case $kind in
    fifo) mkfifo "$db.mx.needs" ;;
    dir) mkdir "$db.mx.needs" ;;
    symlink) ln -s "$tmp/victim" "$db.mx.needs" ;;
  esac
  out=$(timeout 20 "$jb" --db "$db" match need "$need" -k 10 2>"$tmp/err")
  rc=$?
  [ "$rc" = 0 ] && ok || no "$kind at DB.mx.needs: match exit $rc ($(head -c 200 "$tmp/err"))"
  [ "$out" = "$(cat "$tmp/want/0.out")" ] && ok || no "$kind at DB.mx.needs: match output differs"
  [ "$(cat "$tmp/victim")" = precious ] && ok || no "$kind at DB.mx.needs: the symlink's target was written"
  rm -rf "$db.mx.needs"
done
rm -rf "$db.mx" "$db.mx.needs"

# ------------------------------------------------------------ temp files
# a planted symlink at any predictable temp name is never followed; a dead
# writer's temp file is removed by the next save
ln -s "$tmp/victim" "$db.mx.$$.tmp"
ln -s "$tmp/victim" "$db.mx.tmp"
sleep 30 & dead=$!
kill -9 $dead; wait $dead 2>/dev/null
echo junk > "$db.mx.tmp-$dead-abcdefabcdef"
"$jb" --db "$db" match need "$need" -k 3 > /dev/null 2>&1
[ "$(cat "$tmp/victim")" = precious ] && ok || no "a planted temp-name symlink was written through"
[ -e "$db.mx.tmp-$dead-abcdefabcdef" ] && no "a dead writer's temp file was left behind" || ok
[ -s "$db.mx" ] && ok || no "no index file written"
left=$(find "$tmp" -name 'd.db.mx.tmp-*' | wc -l)
[ "$left" = 0 ] && ok || no "$left temp files left after a save"

echo "index file: $pass passed, $fail failed"
[ "$fail" = 0 ]
