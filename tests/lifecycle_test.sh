#!/usr/bin/env bash
# lifecycle_test.sh JIEBANG — the life of a record: patches that never lose
# data, dry runs, explicit clearing, set, outcomes and their rules, history,
# revert, undo, delete; undo and revert restore earlier states byte for byte
# in `export` over a random sequence of imports, sets, outcomes and deletes.
set -u
jb=$1
seed=${2:-4242}
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export JIEBANG_DB=$tmp/t.db JIEBANG_LEXICON=$src/corpora/lexicon JIEBANG_USER=tester JIEBANG_TODAY=2021-12-31 JIEBANG_LANG=en
pass=0 fail=0
ok() { pass=$((pass + 1)); }
no() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
expect() {
  local want=$1 what=$2; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  out=$(cat "$tmp/out"); err=$(cat "$tmp/err")
  if [ "$got" = "$want" ]; then ok; else no "$what: exit $got, want $want; stderr: $err"; fi
}
contains() { case "$1" in *"$2"*) ok ;; *) no "$3: output lacks '$2' in: $1" ;; esac; }
same_export() { # FILE WHAT
  "$jb" export --with-contacts > "$tmp/now.jsonl"
  if cmp -s "$1" "$tmp/now.jsonl"; then ok; else no "$2: export differs"; diff "$1" "$tmp/now.jsonl" | head -5 >&2; fi
}
last_change() { "$jb" changes -n 1 --json | sed -n 's/^\[{"id":\([0-9]*\).*/\1/p'; }

expect 0 "import the corpus" -- "$jb" import "$src"/corpora/chenxi/*.jsonl
"$jb" export --with-contacts > "$tmp/base.jsonl"

# --- the issue's case: id,title,status changes only the status
"$jb" get --json need need-0058 --with-contacts > "$tmp/before.json"
printf 'id,title,status\nneed-0058,本地禾花鲤种质提纯与苗种规模化繁育,paired\n' > "$tmp/needs-status.csv"
expect 0 "dry run of a partial CSV" -- "$jb" import --dry-run "$tmp/needs-status.csv"
contains "$out" "need need-0058: update" "dry run names the record"
contains "$out" "status: open → paired" "dry run shows field: old → new"
contains "$err" "dry run, nothing stored" "dry run says nothing was stored"
same_export "$tmp/base.jsonl" "a dry run stores nothing"
expect 0 "import a partial CSV" -- "$jb" import "$tmp/needs-status.csv"
contains "$err" "1 updated" "partial CSV updates one record"
"$jb" get --json need need-0058 --with-contacts > "$tmp/after.json"
if diff "$tmp/before.json" "$tmp/after.json" | grep '^[<>]' | grep -qv '"status"'; then
  no "a partial CSV changed more than the status"; diff "$tmp/before.json" "$tmp/after.json" >&2
else ok; fi
grep -q '"status":.*"paired"' "$tmp/after.json" && ok || no "status not paired"
grep -q '"contact"' "$tmp/after.json" && ok || no "contact lost by a partial CSV"
expect 0 "the same CSV again" -- "$jb" import "$tmp/needs-status.csv"
contains "$err" "1 unchanged" "re-import of a patch changes nothing"

# --- the same through serve's import
echo '{"id":1,"op":"import","records":[{"type":"need","id":"need-0059","status":"closed"}]}' | "$jb" serve > "$tmp/s.out"
"$jb" get --json need need-0059 > "$tmp/n59.json"
grep -q '"title"' "$tmp/n59.json" && grep -q '"closed"' "$tmp/n59.json" && ok || no "serve import patch lost fields"

# --- null clears; a required field cannot be cleared; --replace replaces whole
printf 'id,budget\nneed-0060,null\n' > "$tmp/needs-clear.csv"
expect 0 "clear a field from CSV" -- "$jb" import "$tmp/needs-clear.csv"
"$jb" get --json need need-0060 > "$tmp/n60.json"
grep -q '"budget":.*null' "$tmp/n60.json" && ok || no "budget not cleared by null"
expect 3 "clear a required field" -- "$jb" set need need-0060 title=null
contains "$err" "title: missing required field" "clearing title names the field"
echo '{"type":"need","id":"need-0061","title":"只剩标题"}' > "$tmp/needs-replace.jsonl"
expect 0 "--replace" -- "$jb" import --replace "$tmp/needs-replace.jsonl"
"$jb" get --json need need-0061 > "$tmp/n61.json"
grep -q '"text"' "$tmp/n61.json" && no "--replace kept old fields" || ok

# --- set: the import validator, one path
expect 0 "set two fields" -- "$jb" set need need-0062 status=paired deadline=2025-06-30
"$jb" get --json need need-0062 > "$tmp/n62.json"
grep -q '"2025-06-30"' "$tmp/n62.json" && grep -q '"paired"' "$tmp/n62.json" && ok || no "set did not store"
expect 3 "set a bad status" -- "$jb" set need need-0062 status=done
contains "$err" "status: 'done' is not one of open、paired、closed" "set reports like import"
printf 'id,status\nneed-0062,done\n' > "$tmp/needs-bad.csv"
expect 3 "import the same bad status" -- "$jb" import "$tmp/needs-bad.csv"
contains "$err" "status: 'done' is not one of open、paired、closed" "import reports the same"
expect 3 "set an unknown field" -- "$jb" set need need-0062 statsu=open
contains "$err" "statsu: unknown field" "unknown field named"
expect 4 "set an unknown record" -- "$jb" set need need-9999 status=open
expect 0 "set a list" -- "$jb" set expert exp-0044 "keywords=苗种;繁育" capacity=3
"$jb" get --json expert exp-0044 > "$tmp/e44.json"
grep -q '"苗种"' "$tmp/e44.json" && grep -q '"papers"' "$tmp/e44.json" && ok || no "set on an expert lost evidence or list"

# --- outcomes: the rules, and nothing stored on a bad one
"$jb" export --with-contacts > "$tmp/pre-outcome.jsonl"
expect 3 "unknown state" -- "$jb" outcome need-0001 exp-0044 finished
contains "$err" "state: 'finished' is not one of" "unknown state named"
expect 4 "unknown candidate" -- "$jb" outcome need-0001 exp-9999 contacted
expect 3 "unknown need" -- "$jb" outcome need-9999 exp-0044 contacted
contains "$err" "need: unknown need 'need-9999'" "unknown need named"
expect 3 "negative value" -- "$jb" outcome need-0001 exp-0044 signed value=-5 signed=2021-05-01
contains "$err" "value:" "negative value names the field"
expect 3 "future date" -- "$jb" outcome need-0001 exp-0044 contacted date=2023-01-01
contains "$err" "date: '2023-01-01' is" "future date named"
expect 3 "declined without a reason" -- "$jb" outcome need-0001 exp-0044 declined
contains "$err" "reason:" "missing reason named"
expect 3 "the same in Chinese (the default language)" -- env JIEBANG_LANG=zh "$jb" outcome need-0001 exp-0044 declined
contains "$err" "婉拒须注明理由" "outcome messages come from the catalogue"
same_export "$tmp/pre-outcome.jsonl" "bad outcomes store nothing"
expect 0 "contacted" -- "$jb" outcome need-0001 exp-0044 contacted date=2021-03-02
expect 3 "skip to signed" -- "$jb" outcome need-0001 exp-0044 signed value=50 date=2021-04-01
contains "$err" "state: cannot go from contacted to signed" "skipping a state is refused"
expect 0 "accepted" -- "$jb" outcome need-0001 exp-0044 accepted date=2021-03-20
expect 0 "signed" -- "$jb" outcome need-0001 exp-0044 signed value=50 date=2021-04-01 contract_no=HT-2021-01
expect 3 "back to contacted" -- "$jb" outcome need-0001 exp-0044 contacted
expect 0 "back with --force" -- "$jb" outcome --force need-0001 exp-0044 accepted
expect 0 "history of an outcome" -- "$jb" history outcome need-0001 exp-0044
contains "$out" "state: contacted → accepted" "history shows each step"
contains "$out" "tester" "history names the user"
expect 0 "revert an outcome to its signed version" -- "$jb" revert outcome need-0001 exp-0044 --to 3
"$jb" get --json need need-0001 > /dev/null
"$jb" export | grep '"type":"outcome"' | grep -q '"state":"signed"' && ok || no "revert did not restore signed"

# --- delete and undo; references refuse
expect 3 "delete a referenced org" -- "$jb" delete org org-yunjian
contains "$err" "still referred to" "delete names the referrers"
"$jb" export --with-contacts > "$tmp/pre-delete.jsonl"
expect 0 "delete a need" -- "$jb" delete need need-0100
expect 4 "the deleted need is gone" -- "$jb" get --json need need-0100
c=$(last_change)
expect 0 "undo the delete" -- "$jb" undo "$c"
same_export "$tmp/pre-delete.jsonl" "undo of a delete restores byte for byte"
expect 3 "undo twice" -- "$jb" undo "$c"
contains "$err" "already undone" "undoing twice is refused"

# --- a random sequence; then undo back to every earlier state
RANDOM=$seed
needs=($(grep -o 'need-[0-9]*' "$src/corpora/chenxi/needs.jsonl" | sort -u | head -60))
experts=($(grep -ho 'exp-[0-9]*' "$src"/corpora/chenxi/experts-*.jsonl | sort -u | head -60))
states=(proposed contacted accepted declined signed completed)
ids=() snaps=()
for step in $(seq 1 40); do
  "$jb" export --with-contacts > "$tmp/snap-$step.jsonl"
  before=$(last_change)
  n=${needs[$((RANDOM % ${#needs[@]}))]}
  e=${experts[$((RANDOM % ${#experts[@]}))]}
  case $((RANDOM % 6)) in
  0) printf 'id,status,budget\n%s,%s,%d\n' "$n" "$([ $((RANDOM % 2)) = 0 ] && echo open || echo paired)" $((RANDOM % 500)) > "$tmp/step.csv"
     "$jb" import -q "$tmp/step.csv" 2>/dev/null ;;
  1) "$jb" set need "$n" "deadline=202$((RANDOM % 5))-0$((RANDOM % 9 + 1))-1$((RANDOM % 9))" > /dev/null 2>&1 ;;
  2) s=${states[$((RANDOM % ${#states[@]}))]}
     "$jb" outcome --force "$n" "$e" "$s" reason=忙 value=$((RANDOM % 90)) date=2021-0$((RANDOM % 9 + 1))-15 > /dev/null 2>&1 ;;
  3) "$jb" delete need "$n" > /dev/null 2>&1 ;;
  4) echo "{\"type\":\"need\",\"id\":\"rand-$step\",\"org\":\"org-yunjian\",\"title\":\"随机需求$step\"}" > "$tmp/step.jsonl"
     "$jb" import -q "$tmp/step.jsonl" 2>/dev/null ;;
  5) "$jb" set expert "$e" capacity=$((RANDOM % 4)) "note=null" > /dev/null 2>&1
     "$jb" set expert "$e" capacity=$((RANDOM % 4)) > /dev/null 2>&1 ;;
  esac
  after=$(last_change)
  if [ "$after" != "$before" ]; then ids+=("$after"); snaps+=("$step"); fi
done
[ ${#ids[@]} -ge 20 ] && ok || no "random sequence made only ${#ids[@]} change sets"
"$jb" export --with-history --with-contacts > "$tmp/with-history.jsonl"
for ((i = ${#ids[@]} - 1; i >= 0; i--)); do
  "$jb" undo "${ids[$i]}" > /dev/null 2>"$tmp/err" || no "undo ${ids[$i]}: $(cat "$tmp/err")"
  "$jb" export --with-contacts > "$tmp/now.jsonl"
  if cmp -s "$tmp/snap-${snaps[$i]}.jsonl" "$tmp/now.jsonl"; then ok; else
    no "undo of change ${ids[$i]} (step ${snaps[$i]}) did not restore the export"; diff "$tmp/snap-${snaps[$i]}.jsonl" "$tmp/now.jsonl" | head -4 >&2; fi
done
expect 0 "integrity after the sequence" -- "$jb" integrity

# --- revert one record to each of its versions
nv=$("$jb" history need need-0058 --json | grep -o '"version":[0-9]*' | wc -l)
[ "$nv" -ge 2 ] && ok || no "need-0058 has $nv versions"
expect 0 "revert to version 1" -- "$jb" revert need need-0058 --to 1
"$jb" get --json need need-0058 --with-contacts > "$tmp/v1.json"
cmp -s "$tmp/v1.json" "$tmp/before.json" && ok || no "revert to version 1 is not the first version"

# --- history survives export/import
rm -f "$tmp/r.db"*
JIEBANG_DB=$tmp/r.db "$jb" import -q "$tmp/with-history.jsonl" 2>"$tmp/err" || no "import with history: $(cat "$tmp/err")"
JIEBANG_DB=$tmp/r.db "$jb" export --with-history --with-contacts > "$tmp/again.jsonl"
cmp -s "$tmp/with-history.jsonl" "$tmp/again.jsonl" && ok || no "history did not survive export/import"
expect 3 "history into a database with its own" -- "$jb" import "$tmp/with-history.jsonl"
contains "$err" "history can be restored only" "restoring history over history is refused"

# --- outcomes act on matching: a decline is never proposed again for that
# need (on every path: match, --why-not, assign); engagements use capacity
rm -f "$tmp/m.db"*
export JIEBANG_DB=$tmp/m.db
"$jb" import -q "$src"/corpora/chenxi/*.jsonl 2>/dev/null
top() { "$jb" match need "$1" --type expert -k 1 --json | sed -n 's/.*"results":\[{"rank":1,"type":"expert","id":"\([^"]*\)".*/\1/p'; }
[ "$(top need-0067)" = exp-0006 ] && ok || no "need-0067's best expert is not exp-0006 (the fixture moved)"
expect 0 "decline" -- "$jb" outcome need-0067 exp-0006 declined reason=年内已排满 date=2021-05-01
[ "$(top need-0067)" != exp-0006 ] && ok || no "a declined expert is proposed again for the same need"
expect 0 "why not the decliner" -- "$jb" match need need-0067 --type expert --why-not exp-0006
contains "$out" "declined this need before: 年内已排满" "--why-not names the decline and its reason"
[ "$(top need-0068)" = exp-0006 ] && ok || no "a decline of one need keeps him from another"
"$jb" assign --list 2021揭榜挂帅 --format json > "$tmp/as.json"
grep -q '"need":"need-0067","title":"[^"]*","expert":"exp-0006"' "$tmp/as.json" && no "assign pairs a declined expert" || ok
contains "$(cat "$tmp/as.json")" "declined this need before" "assign says why the decliner is not used"
# exp-0006 has capacity 3: three pairings accepted or under contract fill it
"$jb" outcome need-0001 exp-0006 accepted date=2021-06-01 2>/dev/null
"$jb" outcome need-0002 exp-0006 accepted date=2021-06-01 2>/dev/null
[ "$(top need-0068)" = exp-0006 ] && ok || no "two engagements of three already exclude him"
"$jb" outcome need-0003 exp-0006 signed value=30 date=2021-07-01 2>/dev/null
[ "$(top need-0068)" != exp-0006 ] && ok || no "an expert at capacity is still recommended"
expect 0 "why not the busy expert" -- "$jb" match need need-0068 --type expert --why-not exp-0006
contains "$out" "at capacity: 3 pairings accepted or under contract (capacity 3)" "--why-not says he is at capacity"
"$jb" assign --list 2021揭榜挂帅 --format json > "$tmp/as2.json"
grep -q '"expert":"exp-0006","name":"[^"]*","org":"[^"]*","org_name":"[^"]*","enterprise":"[^"]*","enterprise_name":"[^"]*","role"' "$tmp/as2.json" && no "assign uses an expert at capacity" || ok
"$jb" outcome need-0003 exp-0006 completed value=30 date=2021-11-01 2>/dev/null
[ "$(top need-0068)" = exp-0006 ] && ok || no "a completed pairing still holds capacity"
export JIEBANG_DB=$tmp/t.db

# --- progress against the work plan, on the bundled 2021 outcomes
rm -f "$tmp/p.db"*
JIEBANG_DB=$tmp/p.db "$jb" import -q "$src"/corpora/chenxi/*.jsonl "$src"/corpora/chenxi/outcomes-2021/outcomes.jsonl 2>"$tmp/err" || no "import outcomes: $(cat "$tmp/err")"
for f in md html json csv; do
  JIEBANG_DB=$tmp/p.db "$jb" report progress --year 2021 --format $f > "$tmp/progress.$f" 2>"$tmp/err" || no "report progress --format $f: $(cat "$tmp/err")"
done
contains "$(cat "$tmp/progress.md")" "| 技术合同成交额 | 8000 | 5433 | 万元 | 68% | 记录统计 |" "contract value against its target"
contains "$(cat "$tmp/progress.html")" "<svg" "html has inline charts"
grep -q 'src=\|href=' "$tmp/progress.html" && no "html refers to external assets" || ok
sum=$(grep -o '"value":[0-9.]*' "$src/corpora/chenxi/outcomes-2021/outcomes.jsonl" | wc -l)
[ "$sum" -gt 30 ] && ok || no "too few contracts in the 2021 outcomes"
printf '2021\tbogus\t1\t个\tx\n' > "$tmp/targets.tsv"
expect 3 "unknown metric" -- env JIEBANG_DB=$tmp/p.db "$jb" report progress --year 2021 --targets "$tmp/targets.tsv"
contains "$err" "targets.tsv:1: metric: unknown metric 'bogus'" "a bad targets line is named"

# --- check --all: repeated declines and expired needs; learn refuses on too little
JIEBANG_DB=$tmp/p.db "$jb" check --all --format json > "$tmp/all.json" 2>/dev/null
grep -q '"repeated_declines":\[{"expert"' "$tmp/all.json" && ok || no "check --all lists no repeated declines"
grep -q '"expired_needs":\[{"id"' "$tmp/all.json" && ok || no "check --all lists no expired needs"
JIEBANG_DB=$tmp/p.db "$jb" get --json need need-0009 | grep -q '"expired":' && ok || no "get does not mark an expired need"
JIEBANG_DB=$tmp/p.db "$jb" get need need-0009 | grep -q "status: open (expired" && ok || no "get (text) does not mark an expired need"
expect 3 "learn on 69 outcomes" -- env JIEBANG_DB=$tmp/p.db "$jb" learn -o "$tmp/w.json"
contains "$err" "nothing written" "learn refuses weights that do not win"
[ -e "$tmp/w.json" ] && no "learn wrote weights that did not win" || ok

# --- retention is a setting, and history says what it removed
expect 0 "retention" -- "$jb" history --retention 0
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
