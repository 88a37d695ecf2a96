#!/usr/bin/env bash
# reliability_test.sh JIEBANG — "never silently wrong", end to end:
#  - files are written whole or not at all (kill -9, SIGTERM, a full disk);
#  - every CSV output neutralises formula cells, every Markdown output
#    escapes record text, terminal controls never reach the terminal raw;
#  - read errors fail the command (exit 5 and a message), never a shorter
#    result; inputs that cannot be read are errors, not empty inputs;
#  - export | import loses nothing.
set -u
jb=$1
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
export JIEBANG_DB=$tmp/t.db
export JIEBANG_LEXICON=$src/corpora/lexicon
pass=0 fail=0
ok() { pass=$((pass + 1)); }
no() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
# expect CODE DESCRIPTION -- COMMAND...: runs it, keeps stdout/stderr in $out/$err
expect() {
  local want=$1 what=$2; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  out=$(cat "$tmp/out"); err=$(cat "$tmp/err")
  if [ "$got" = "$want" ]; then ok; else no "$what: exit $got, want $want; stderr: $err"; fi
}
contains() { case "$1" in *"$2"*) ok ;; *) no "$3: output lacks '$2'" ;; esac; }
lacks() { case "$1" in *"$2"*) no "$3: output has '$2'" ;; *) ok ;; esac; }
no_temps() { # DIR WHAT: no temporary file of the atomic writer is left
  if ls -a "$1" | grep -q '\.jb-[0-9a-f]*\.tmp$'; then no "$2: temporary file left: $(ls -a "$1")"; else ok; fi
}

"$jb" import -q "$src"/corpora/chenxi/*.jsonl || { echo "cannot import the corpus"; exit 1; }

# ------------------------------------------------------------ whole or not at all
"$jb" export --with-contacts -o "$tmp/backup.jsonl" || no "export -o"
cp "$tmp/backup.jsonl" "$tmp/good.jsonl"
lines=$(wc -l < "$tmp/good.jsonl")
[ "$lines" -gt 500 ] && ok || no "export -o wrote $lines lines"
no_temps "$tmp" "export -o"
# a bigger database, so that an export takes long enough to be killed in the middle
awk 'BEGIN { for (i = 0; i < 20000; i++)
  printf "{\"type\":\"need\",\"id\":\"big-%d\",\"org\":\"org-yunjian\",\"title\":\"砂型3D打印喷头堵塞问题第%d号\",\"text\":\"微滴喷射头堵塞率%d%%，需要改进粘结剂配方与清洗工艺，降低发气量，提高铸件合格率。\"}\n", i, i, i % 30 }' > "$tmp/big.jsonl"
cp "$JIEBANG_DB" "$tmp/small.db"
"$jb" import -q "$tmp/big.jsonl" || no "import big"
for sig in KILL TERM INT KILL TERM; do
  cp "$tmp/good.jsonl" "$tmp/backup.jsonl"
  "$jb" export --with-contacts -o "$tmp/backup.jsonl" &
  pid=$!
  sleep "0.$(( RANDOM % 3 ))$(( RANDOM % 10 ))"
  kill -$sig $pid 2>/dev/null
  wait $pid 2>/dev/null
  n=$(wc -l < "$tmp/backup.jsonl")
  if cmp -s "$tmp/backup.jsonl" "$tmp/good.jsonl" || [ "$n" = $((lines + 20000)) ]; then ok
  else no "export -o killed with SIG$sig: backup has $n lines (was $lines, whole would be $((lines + 20000)))"; fi
  [ "$sig" != KILL ] && no_temps "$tmp" "export -o after SIG$sig"
  rm -f "$tmp"/.backup.jsonl.jb-*.tmp # what a kill -9 leaves: a hidden temporary file
done
# a full disk (here: a file size limit) fails the export and keeps the old file
cp "$tmp/good.jsonl" "$tmp/backup.jsonl"
expect 1 "export -o on a full disk" -- bash -c "ulimit -f 64; exec \"$jb\" export -o \"$tmp/backup.jsonl\""
contains "$err" "backup.jsonl" "the write error names the file"
cmp -s "$tmp/backup.jsonl" "$tmp/good.jsonl" && ok || no "full disk: the old backup was changed"
no_temps "$tmp" "export -o on a full disk"
cp "$tmp/small.db" "$JIEBANG_DB"; rm -f "$JIEBANG_DB"-wal "$JIEBANG_DB"-shm "$JIEBANG_DB".mx
expect 1 "demands -o into a directory that does not exist" -- "$jb" demands -o "$tmp/nodir/d.md"
contains "$err" "nodir/d.md" "names the file"

# ------------------------------------------------------------ safe where it lands
cat > "$tmp/evil.jsonl" <<'EOF'
{"type":"org","id":"org-evil","name":"=HYPERLINK(\"http://evil.example/\",\"点击\")","kind":"enterprise","region":"湖南省/怀化市/辰溪县"}
{"type":"expert","id":"exp-evil","name":"+cmd|' /C calc'!A0","org":"org-hunau","bio":"zyxqv 油茶 低产林改造 <script>alert(1)</script>","capacity":2}
{"type":"need","id":"need-evil","org":"org-evil","title":"=HYPERLINK(\"http://evil.example/\",\"点击\") <script>alert(1)</script> <iframe src=javascript:alert(2)>","text":"zyxqv 油茶 低产林改造","list":"evil-list","status":"open"}
EOF
expect 0 "import formula-like and HTML-like text (it is text)" -- "$jb" import "$tmp/evil.jsonl"
expect 0 "assign csv" -- "$jb" assign --list evil-list --format csv --min-score 0
contains "$out" "\"'=HYPERLINK" "assign csv neutralises = cells"
lacks "$out" "\"=HYPERLINK" "assign csv"
expect 0 "assign csv -o" -- "$jb" assign --list evil-list --format csv --min-score 0 -o "$tmp/p.csv"
contains "$(cat "$tmp/p.csv")" "\"'+cmd" "assign csv neutralises + cells"
printf '{"id":"need-x","title":"zyxqv 油茶 低产林改造"}\n' > "$tmp/needs-x.jsonl"
expect 0 "batch csv" -- "$jb" batch --needs "$tmp/needs-x.jsonl" --format csv -k 50
contains "$out" "\"'+cmd|' /C calc'!A0\"" "batch csv neutralises + cells"
lacks "$out" ",\"+cmd" "batch csv"
expect 0 "assign md" -- "$jb" assign --list evil-list --format md --min-score 0
if printf '%s' "$out" | grep -q -P '(?<!\\)<(script|iframe)'; then no "assign md: unescaped HTML"; else ok; fi
contains "$out" "\\<script\\>" "assign md shows the text escaped"
expect 0 "demands csv" -- "$jb" demands --format csv
lacks "$out" "\"=HYPERLINK" "demands csv"
# terminal controls: refused at import, neutralised in every output
printf '{"type":"need","id":"need-esc","title":"x\\u001b]0;pwned\\u0007\\u001b[2J y"}\n' > "$tmp/esc.jsonl"
expect 3 "import refuses ESC" -- "$jb" import "$tmp/esc.jsonl"
contains "$err" "esc.jsonl:1: title" "names line and field"
if grep -q $'\e' "$tmp/err"; then no "the error message carries a raw ESC"; else ok; fi
printf '{"type":"need","id":"need-bidi","title":"abc\xe2\x80\xaedef"}\n' > "$tmp/bidi.jsonl"
expect 3 "import refuses U+202E" -- "$jb" import "$tmp/bidi.jsonl"
expect 0 "match --text with controls" -- "$jb" match --text $'油茶 \e]0;pwned\a\e[2J \u202e' -k 1
if grep -q -e $'\e' -e $'\a' -e $'\u202e' "$tmp/out" "$tmp/err"; then no "raw controls in match output"; else ok; fi
expect 0 "search --json with controls" -- "$jb" search $'油茶\e[2J\u202e' --json -k 1
if grep -q -e $'\e' -e $'\u202e' "$tmp/out"; then no "raw controls in search output"; else ok; fi
contains "$out" '\u202e' "U+202E shown escaped"
printf '{"id":1,"op":"search","query":"油茶\\u202e\\u001b[2J","k":1}\n' | "$jb" serve > "$tmp/serve.out" 2>&1
if grep -q -e $'\e' -e $'\u202e' "$tmp/serve.out"; then no "raw controls in serve output"; else ok; fi

# ------------------------------------------------------------ export | import loses nothing
# The default export is a backup: it carries the contacts, and importing it
# changes nothing. A sharing copy (--no-contacts) says so on its first line
# and import refuses it: it would erase the stored contacts.
"$jb" export > "$tmp/full.jsonl" || no "export"
contacts=$(grep -c '"contact"' "$tmp/full.jsonl")
[ "$contacts" -gt 100 ] && ok || no "the default export carries contacts ($contacts records with one)"
expect 0 "re-import the default export" -- "$jb" import "$tmp/full.jsonl"
contains "$err" " 0 inserted, 0 updated" "re-importing a backup changes nothing"
"$jb" export > "$tmp/full2.jsonl"
cmp -s "$tmp/full.jsonl" "$tmp/full2.jsonl" && ok || no "export | import | export differs"
"$jb" export --no-contacts > "$tmp/share.jsonl" || no "export --no-contacts"
contains "$(head -1 "$tmp/share.jsonl")" '"type":"export","contacts":"removed"' "the sharing copy is marked"
lacks "$(cat "$tmp/share.jsonl")" '"contact":' "the sharing copy has no contacts"
expect 3 "import refuses a sharing copy" -- "$jb" import "$tmp/share.jsonl"
contains "$err" "share.jsonl:1:" "names the file and line"
"$jb" export > "$tmp/full3.jsonl"
cmp -s "$tmp/full.jsonl" "$tmp/full3.jsonl" && ok || no "refusing the sharing copy changed the database"
rm -f "$tmp"/full*.jsonl "$tmp/share.jsonl"

# ------------------------------------------------------------ read errors surface
# A damaged page (one leaf page of a table overwritten) must fail every
# command that reads it, with exit 5 and what could not be read: never exit
# 0 with fewer lines, never a partial match index saved as valid.
corrupt() { # DB TABLE [ID]: overwrites a leaf page of TABLE (the one holding ID, else one in the middle)
  python3 - "$@" <<'PY'
import os, shutil, sqlite3, sys, tempfile
db, table = sys.argv[1], sys.argv[2]
c = sqlite3.connect(db)
pages = [r[0] for r in c.execute("SELECT pageno FROM dbstat WHERE name=? AND pagetype='leaf' ORDER BY pageno", (table,))]
size = c.execute("PRAGMA page_size").fetchone()[0]
c.close()
def smash(path, page):
    with open(path, "r+b") as f:
        f.seek((page - 1) * size)
        f.write(b"\x55" * size)
victim = pages[len(pages) // 2]
if len(sys.argv) > 3:  # the page whose loss makes that row unreadable
    probe = os.path.join(tempfile.mkdtemp(), "p.db")
    for page in pages:
        shutil.copy(db, probe)
        smash(probe, page)
        try:
            sqlite3.connect(probe).execute("SELECT doc FROM %s WHERE id=?" % table, (sys.argv[3],)).fetchall()
        except sqlite3.DatabaseError:
            victim = page
            break
smash(db, victim)
PY
}
cdb=$tmp/c.db
"$jb" --db "$cdb" import -q "$src"/corpora/chenxi/*.jsonl || no "import for the corruption tests"
"$jb" --db "$cdb" match need need-0067 -k 1 >/dev/null || no "first match"  # leaves c.db.mx
cp "$cdb" "$tmp/c-good.db"; cp "$cdb.mx" "$tmp/c-good.db.mx"
achievements=$("$jb" --db "$cdb" stats --json | sed 's/.*"achievements":\([0-9]*\).*/\1/')
corrupt "$cdb" need
# the index file is current: batch and demands read the needs themselves
expect 5 "batch --open over a damaged page" -- "$jb" --db "$cdb" batch --open
contains "$err" "cannot read" "batch names what could not be read"
[ -z "$out" ] && ok || no "batch printed $(printf '%s\n' "$out" | wc -l) lines before failing"
expect 5 "demands over a damaged page" -- "$jb" --db "$cdb" demands
contains "$err" "needs" "demands names the needs"
expect 5 "export over a damaged page" -- "$jb" --db "$cdb" export -o "$tmp/c-export.jsonl"
[ ! -e "$tmp/c-export.jsonl" ] && ok || no "a failed export left a file"
expect 5 "assign over a damaged page" -- "$jb" --db "$cdb" assign --open
expect 5 "check --all over a damaged page" -- "$jb" --db "$cdb" check --all
# without the index file, building it fails: no partial index is saved
rm -f "$cdb.mx"
expect 5 "match over a damaged page (index build)" -- "$jb" --db "$cdb" match need need-0067 --type achievement
contains "$err" "cannot read" "match names what could not be read"
[ ! -e "$cdb.mx" ] && ok || no "a partial match index was saved after a read error"
# the intact file back: every achievement is there again
cp "$tmp/c-good.db" "$cdb"
expect 0 "match after restoring the database" -- "$jb" --db "$cdb" match need need-0067 --type achievement --json
lacks "$out" '"results":[]' "matches achievements after the restore"
n=$("$jb" --db "$cdb" demands --include-expired --format json | grep -c '"kind":' )
[ "$n" -gt 0 ] && ok || no "demands lists no achievements after the restore"
# damaged evidence: the export must not leave an expert's papers out
corrupt "$cdb" evidence
expect 5 "export over damaged evidence" -- "$jb" --db "$cdb" export
contains "$err" "evidence" "names the evidence"
cp "$tmp/c-good.db" "$cdb"; corrupt "$cdb" achievement; rm -f "$cdb.mx"
expect 5 "demands over damaged achievements" -- "$jb" --db "$cdb" demands
# the index file is current and the best achievement's own record is damaged:
# its explanation cannot be read, so the match fails rather than show it bare
cp "$tmp/c-good.db" "$cdb"; cp "$tmp/c-good.db.mx" "$cdb.mx"
best=$("$jb" --db "$cdb" match need need-0067 --type achievement -k 1 --json | sed 's/.*"results":\[{"rank":1,"type":"achievement","id":"\([^"]*\)".*/\1/')
cp "$tmp/c-good.db" "$cdb"; cp "$tmp/c-good.db.mx" "$cdb.mx"; corrupt "$cdb" achievement "$best"
expect 5 "match with a current index, the best achievement's page damaged ($best)" -- \
  "$jb" --db "$cdb" match need need-0067 --type achievement

# ------------------------------------------------------------ inputs are never silently empty
mkdir -p "$tmp/adir"
for opt in --fix --forbid --capacities; do
  expect 5 "assign $opt DIRECTORY" -- "$jb" assign --list 2021揭榜挂帅 $opt "$tmp/adir"
  contains "$err" "adir" "assign $opt names the directory"
done
expect 5 "assign --needs DIRECTORY" -- "$jb" assign --needs "$tmp/adir"
expect 5 "assign --targets DIRECTORY" -- "$jb" assign --targets "$tmp/adir"
expect 5 "batch --needs DIRECTORY" -- "$jb" batch --needs "$tmp/adir"
contains "$err" "adir" "batch names the directory"
expect 5 "check --json DIRECTORY" -- "$jb" check --json "$tmp/adir"
expect 5 "match --weights DIRECTORY" -- "$jb" match need need-0058 --weights "$tmp/adir"
for d in notadate 2021-13-45 2021-02-30 2021-1-5; do
  expect 2 "demands --since $d" -- "$jb" demands --since "$d"
  contains "$err" "$d" "names the bad date"
done
expect 0 "demands --since a real date" -- "$jb" demands --since 2021-02-28 --format json
printf '{"id":"need 1","title":"油茶"}\n' > "$tmp/space-id.jsonl"
expect 3 "batch --needs with an id holding a space (TREC would split it)" -- \
  "$jb" batch --needs "$tmp/space-id.jsonl" --format trec
contains "$err" "space-id.jsonl:1: id" "names line and field"

# ------------------------------------------------------------ import says what happened
# A file that fails is rolled back: its stored records are not counted as
# inserted; the files after it are named as not imported.
idb=$tmp/i.db
"$jb" --db "$idb" import -q "$src/corpora/chenxi/organizations.jsonl" || no "import organizations"
printf '{"type":"need","id":"ok-1","title":"第一条"}\n{"type":"need","id":"ok-2","title":"第二条"}\n{"type":"need","id":"bad","titel":"x"}\n' > "$tmp/needs-fail.jsonl"
printf '{"type":"collaboration","expert":"exp-0001","org":"org-hunau","year":2020}\n' > "$tmp/relations.jsonl"
expect 3 "import with a failing file" -- "$jb" --db "$idb" import "$tmp/needs-fail.jsonl" "$tmp/relations.jsonl"
contains "$err" "needs-fail.jsonl:3:" "names the bad line"
contains "$err" " 0 inserted" "rolled-back records are not counted as inserted"
contains "$err" "2 rolled back" "they are counted as rolled back"
contains "$err" "relations.jsonl: not imported" "the later file is named as not imported"
contains "$err" "1 files not imported" "and counted"
expect 4 "nothing from the failed file is stored" -- "$jb" --db "$idb" get need ok-1

# ------------------------------------------------------------ duplicate keys and columns
printf '{"type":"need","id":"dup-1","title":"first","title":"second"}\n' > "$tmp/dupkey.jsonl"
expect 3 "import refuses a duplicated JSON key" -- "$jb" import "$tmp/dupkey.jsonl"
contains "$err" "dupkey.jsonl:1:" "names the line"
contains "$err" "'title'" "names the key"
printf '{"type":"expert","id":"dup-2","papers":[{"id":"p1","title":"a","id":"p2"}]}\n' > "$tmp/dupnested.jsonl"
expect 3 "import refuses a duplicated key in a nested object" -- "$jb" import "$tmp/dupnested.jsonl"
printf 'type,id,title,title\nneed,dup-3,first,second\n' > "$tmp/duphdr.csv"
expect 3 "import refuses a duplicated CSV column" -- "$jb" import "$tmp/duphdr.csv"
contains "$err" "duphdr.csv:1:" "names the header line"
contains "$err" "'title'" "names the column"
printf '{"id":"n1","title":"油茶","title":"柑桔"}\n' > "$tmp/dupneeds.jsonl"
expect 3 "batch --needs refuses a duplicated key" -- "$jb" batch --needs "$tmp/dupneeds.jsonl"
printf '{"id":7,"op":"stats","op":"search"}\n{"id":8,"op":"stats"}\n' | "$jb" serve > "$tmp/serve-dup.out"
contains "$(head -1 "$tmp/serve-dup.out")" '"ok":false' "serve refuses a duplicated key"
contains "$(sed -n 2p "$tmp/serve-dup.out")" '"ok":true' "and keeps serving"

# ------------------------------------------------------------ serve: bounded requests
# A 100 MiB line under a 64 MB address-space limit: answered with an error,
# the rest of the line dropped as it is read, the next request answered.
# (Skipped where the build cannot run under such a limit: AddressSanitizer
# reserves terabytes of address space.)
if (ulimit -v 65536; "$jb" --version) >/dev/null 2>&1; then
  (ulimit -v 65536
   { head -c 104857600 /dev/zero | tr '\0' 'a'; printf '\n{"id":2,"op":"stats"}\n'; } | "$jb" serve) \
    > "$tmp/serve-long.out" 2> "$tmp/serve-long.err"
  rc=$?
  [ "$rc" = 0 ] && ok || no "serve with a 100 MiB line under ulimit -v 65536: exit $rc: $(cat "$tmp/serve-long.err")"
  contains "$(head -1 "$tmp/serve-long.out")" '"code":"limit"' "the long line is answered with a limit error"
  contains "$(sed -n 2p "$tmp/serve-long.out")" '"id":2,"ok":true' "the next request is answered"
else
  echo "reliability_test: serve memory bound skipped (cannot run under ulimit -v)" >&2
fi

# ------------------------------------------------------------ one message and one exit code for write errors
for cmd in "export" "demands" "assign --list 2021揭榜挂帅" "batch --open -k 1" "search 油茶" "match need need-0058" "stats"; do
  expect 1 "$cmd > /dev/full" -- sh -c "exec \"\$0\" $cmd > /dev/full" "$jb"
  contains "$err" "standard output: write error: No space left on device" "$cmd: one message"
  n=$(printf '%s\n' "$err" | grep -c .)
  [ "$n" = 1 ] && ok || no "$cmd > /dev/full: $n lines of messages: $err"
done
for cmd in "export" "demands" "assign --list 2021揭榜挂帅"; do
  expect 1 "$cmd -o /dev/full" -- sh -c "exec \"\$0\" $cmd -o /dev/full" "$jb"
  contains "$err" "/dev/full: write error: No space left on device" "$cmd -o: one message"
done

# ------------------------------------------------------------ clear errors
expect 2 "--db ''" -- "$jb" --db '' stats
contains "$err" "--db" "names the option"
expect 5 "a file that is not a database" -- "$jb" --db "$src/CMakeLists.txt" stats
contains "$err" "not a jiebang database (not an SQLite database file)" "says what it is"
python3 -c "import sqlite3; c = sqlite3.connect('$tmp/other.db'); c.execute('CREATE TABLE t(x)'); c.commit()"
expect 5 "an SQLite database of something else" -- "$jb" --db "$tmp/other.db" stats
contains "$err" "not a jiebang database (an SQLite database with other tables)" "says what it is"
expect 5 "import into an SQLite database of something else" -- "$jb" --db "$tmp/other.db" import "$tmp/needs-x.jsonl"
[ "$(python3 -c "import sqlite3; print(sqlite3.connect('$tmp/other.db').execute(\"SELECT count(*) FROM sqlite_schema\").fetchone()[0])")" = 1 ] \
  && ok || no "jiebang added tables to another application's database"
expect 4 "a read-only command on a missing database" -- "$jb" --db "$tmp/missing.db" search 油茶
contains "$err" "no database at" "says the file is missing"
# A database in WAL mode in a directory the user cannot write (a read-only
# share): reading works (SQLite cannot create DB-shm there; with no DB-wal
# the file is read as immutable), and with a DB-wal the message says exactly
# that. Run as an unprivileged user: root may write any directory.
ro=$tmp/ro; mkdir -p "$ro"; cp "$tmp/c-good.db" "$ro/r.db"; chmod 755 "$tmp" "$ro"; chmod 644 "$ro/r.db"
as_user() { if [ "$(id -u)" = 0 ]; then setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; else "$@"; fi; }
[ "$(id -u)" != 0 ] && chmod 555 "$ro"
if as_user "$jb" --version >/dev/null 2>&1 && ! as_user touch "$ro/probe" 2>/dev/null; then
  expect 0 "search a WAL database in a read-only directory" -- as_user env JIEBANG_LEXICON="$JIEBANG_LEXICON" "$jb" --db "$ro/r.db" search 油茶 -k 1
  contains "$out" "油茶" "results"
  expect 0 "match in a read-only directory" -- as_user env JIEBANG_LEXICON="$JIEBANG_LEXICON" "$jb" --db "$ro/r.db" match need need-0058 -k 1
  expect 5 "import into a read-only directory" -- as_user env JIEBANG_LEXICON="$JIEBANG_LEXICON" "$jb" --db "$ro/r.db" import "$tmp/needs-x.jsonl"
  lacks "$err" "not a jiebang database" "a permission problem is not called a foreign file"
  chmod u+w "$ro"; printf 'x' > "$ro/r.db-wal"; [ "$(id -u)" != 0 ] && chmod 555 "$ro"
  expect 5 "a WAL file in a read-only directory" -- as_user env JIEBANG_LEXICON="$JIEBANG_LEXICON" "$jb" --db "$ro/r.db" search 油茶
  contains "$err" "write-ahead log" "names the cause"
  contains "$err" "directory is not writable" "and what to do"
else
  echo "reliability_test: read-only directory cases skipped (no unprivileged user can run $jb here)" >&2
fi
chmod -R u+w "$ro"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
