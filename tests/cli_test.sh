#!/usr/bin/env bash
# cli_test.sh JIEBANG — the command-line tool end to end: exit codes, error
# messages naming file and line, transactions, search and match output.
set -u
jb=$1
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
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

expect 0 "import the corpus" -- "$jb" import "$src"/corpora/chenxi/*.jsonl
contains "$err" "inserted" "import summary"
expect 0 "re-import" -- "$jb" import "$src"/corpora/chenxi/*.jsonl
contains "$err" "0 inserted, 0 updated" "re-import changes nothing"

expect 0 "search 无抗" -- "$jb" search 无抗
contains "$out" "[need]" "无抗 finds needs"
contains "$out" "[expert]" "无抗 finds experts"
expect 0 "search 稻花鱼" -- "$jb" search 稻花鱼 -k 20
contains "$out" "[achievement]" "稻花鱼 finds achievements"
expect 0 "search 增材制造" -- "$jb" search 增材制造 -k 20
contains "$out" "3DP" "增材制造 finds 3DP content"
expect 0 "search additive manufacturing" -- "$jb" search "additive manufacturing" -k 20
contains "$out" "打印" "additive manufacturing finds 3D打印 content"
expect 0 "search C++" -- "$jb" search 'C++'
expect 0 "search 3D-printing" -- "$jb" search '3D-printing'
expect 2 "search with no words" -- "$jb" search '"'
contains "$err" "no searchable words" "clear message for an empty query"
expect 0 "search --json" -- "$jb" search 油茶 --json -k 2
contains "$out" '"results":[{"type":' "JSON results"

# a file whose 37th line is broken: the error names line 37, nothing changes
"$jb" export --with-contacts > "$tmp/before.jsonl"
head -n 36 "$src/corpora/chenxi/needs.jsonl" | sed 's/"title":"/"title":"改/' > "$tmp/needs-bad.jsonl"
sed -n '37p' "$src/corpora/chenxi/needs.jsonl" | cut -c1-80 >> "$tmp/needs-bad.jsonl"
tail -n +38 "$src/corpora/chenxi/needs.jsonl" >> "$tmp/needs-bad.jsonl"
expect 3 "import a broken file" -- "$jb" import "$tmp/needs-bad.jsonl"
contains "$err" "needs-bad.jsonl:37:" "error names line 37"
"$jb" export --with-contacts > "$tmp/after.jsonl"
if cmp -s "$tmp/before.jsonl" "$tmp/after.jsonl"; then ok; else no "database content changed by a failed import"; fi
expect 0 "integrity after a failed import" -- "$jb" integrity
contains "$out" "ok" "integrity ok"

expect 0 "import with --skip-invalid" -- "$jb" import --skip-invalid "$src/corpora/invalid/bad-records.jsonl"
contains "$err" "bad-records.jsonl:9: title: missing required field" "skip-invalid reports each bad record"
contains "$err" "8 invalid" "eight bad records"

expect 3 "GBK CSV without --encoding" -- "$jb" import "$src/corpora/samples/needs-gbk.csv"
contains "$err" "--encoding GB18030" "hint for GBK"
expect 0 "GBK CSV with --encoding" -- "$jb" import --encoding GB18030 "$src/corpora/samples/needs-gbk.csv"

expect 0 "match a need" -- "$jb" match need need-0058 -k 3
contains "$out" "components:" "match explains components"
contains "$out" "evidence" "match shows evidence"
expect 0 "match --json" -- "$jb" match need need-0058 -k 3 --json
contains "$out" '"components":{"text":' "JSON components"
contains "$out" '"terms":[{"term":' "JSON terms"
expect 0 "match --why-not" -- "$jb" match need need-0058 -k 3 --why-not exp-0241
contains "$out" "why not exp-0241" "why-not answered"
expect 0 "match expert" -- "$jb" match expert exp-0044 -k 3
expect 0 "match --text" -- "$jb" match --text "油茶果脱壳烘干" -k 3
expect 4 "match an unknown need" -- "$jb" match need need-9999
expect 2 "match with a bad weight" -- "$jb" match need need-0058 --set chain=abc
expect 0 "weights help" -- "$jb" match --weights-help
contains "$out" "evidence_decay" "weights listed"

open=$("$jb" stats --json | sed 's/.*"open_needs":\([0-9]*\).*/\1/')
expect 0 "batch trec" -- "$jb" batch --open -k 3 --format trec
lines=$(printf '%s\n' "$out" | wc -l)
[ "$lines" = $((open * 3)) ] && ok || no "batch: $lines lines, want $((open * 3)) ($open open needs x 3)"
"$jb" batch --open -k 3 --shard 1/2 > "$tmp/s1"; "$jb" batch --open -k 3 --shard 2/2 > "$tmp/s2"
"$jb" batch --open -k 3 > "$tmp/all"
if cat "$tmp/s1" "$tmp/s2" | cmp -s - "$tmp/all"; then ok; else no "shards do not concatenate to one run"; fi

expect 0 "assign the 2021 list" -- "$jb" assign --list 2021揭榜挂帅 --format csv
contains "$out" "need,expert,role,accept,score" "assign CSV header"
expect 0 "assign markdown" -- "$jb" assign --list 2021揭榜挂帅 --format md --fair
contains "$out" "optimal" "assign reports optimality"
expect 2 "assign without tasks" -- "$jb" assign
expect 0 "demands html" -- "$jb" demands --include-expired --format html -o "$tmp/d.html"
if grep -q -E 'https?://|src=' "$tmp/d.html"; then no "demands html refers to external assets"; else ok; fi
contains "$(cat "$tmp/d.html")" "油茶" "demands html lists chains"
expect 0 "demands csv" -- "$jb" demands --include-expired --format csv --chain 柑桔
contains "$out" "柑桔" "demands csv filtered"
printf '{"title":"希望专家帮助提升产品质量"}' > "$tmp/vague.json"
expect 3 "check a vague need" -- "$jb" check --json "$tmp/vague.json"
contains "$out" "no_technical_content" "vague need flagged"
expect 0 "check a stored need" -- "$jb" check need need-0058
expect 0 "check the database" -- "$jb" check --all
contains "$out" "duplicate_groups" "database check summary"

expect 4 "get an unknown record" -- "$jb" get need nope
expect 0 "get a record" -- "$jb" get need need-0001
contains "$out" 'id: need-0001' "get prints the record as text"
expect 0 "get a record as JSON" -- "$jb" get need need-0001 --json
contains "$out" '"id":"need-0001"' "get --json prints the record"
expect 2 "unknown command" -- "$jb" frobnicate
expect 2 "import without files" -- "$jb" import
expect 0 "stats" -- "$jb" stats
expect 0 "export --no-contacts (a sharing copy)" -- "$jb" export --no-contacts
case "$out" in *'"contact"'*) no "contacts exported with --no-contacts" ;; *) ok ;; esac
expect 5 "not a database" -- "$jb" --db "$src/CMakeLists.txt" stats

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
