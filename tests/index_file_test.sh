#!/usr/bin/env bash
# index_file_test.sh JIEBANG [ROUNDS] — the match index file (DB.mx) is a
# cache that is never trusted:
#  - a 4 KiB block of random bytes anywhere inside it (size unchanged) never
#    crashes match, batch, assign, demands or check: the damage is reported,
#    the file discarded and rebuilt, and every output is the undamaged one;
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
[ -s "$db.mx" ] && ok || no "no index file after a match"
size=$(stat -c %s "$db.mx")
cp "$db.mx" "$tmp/good.mx"

# --------------------------------------------------- random damage, any place
for r in $(seq 1 "$rounds"); do
  cp "$tmp/good.mx" "$db.mx"
  # the first rounds hit the header and the start, the others anywhere
  if [ "$r" -le 2 ]; then off=$(( (r - 1) * 2048 ))
  else off=$(( (RANDOM * 32768 + RANDOM) % (size > 4096 ? size - 4096 : 1) )); fi
  head -c 4096 /dev/urandom | dd of="$db.mx" bs=1 seek="$off" conv=notrunc status=none
  [ "$(stat -c %s "$db.mx")" = "$size" ] || no "round $r: size changed"
  rm -rf "$tmp/got"
  run_all "$tmp/got"
  for i in "${!cmds[@]}"; do
    rc=$(cat "$tmp/got/$i.rc")
    if [ "$rc" -ge 124 ]; then no "round $r (offset $off): '${cmds[$i]}' died (exit $rc)"; continue; fi
    if cmp -s "$tmp/want/$i.out" "$tmp/got/$i.out" && [ "$rc" = "$(cat "$tmp/want/$i.rc")" ]; then ok
    else no "round $r (offset $off): '${cmds[$i]}' output differs from the undamaged index's"; fi
  done
  grep -q "damaged match index" "$tmp/got/0.err" && ok ||
    no "round $r (offset $off): the damage was not reported: $(head -c 300 "$tmp/got/0.err")"
  cmp -s "$db.mx" "$tmp/good.mx" && ok || no "round $r: the damaged file was not rebuilt"
done

# ------------------------------------------------------- not a regular file
for kind in fifo dir symlink; do
  rm -rf "$db.mx"
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
done
rm -rf "$db.mx"

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
