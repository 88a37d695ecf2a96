#!/usr/bin/env bash
# attach_test.sh JIEBANG — attached files end to end, with real PDF and DOCX
# fixtures (tests/fixtures/attach, made by make.sh there with chromium and
# python3-docx): text extracted, scans and font-encoding garbage reported and
# not indexed, searchable, matched, the matching passage explained, re-import
# without re-extraction, limits, and no file reading in read-only commands.
set -u
jb=$1
src=$(cd "$(dirname "$0")/.." && pwd)
fx=$src/tests/fixtures/attach
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export JIEBANG_DB=$tmp/t.db
export JIEBANG_LEXICON=$src/corpora/lexicon
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
contains() { case "$1" in *"$2"*) ok ;; *) no "$3: output lacks '$2'" ;; esac; }
lacks() { case "$1" in *"$2"*) no "$3: output has '$2'" ;; *) ok ;; esac; }

# the records sit in a folder of their own: paths are relative to the JSONL
mkdir -p "$tmp/in/files"
cp "$fx"/paper.pdf "$fx"/scan.pdf "$fx"/need.docx "$fx"/garbage.docx "$tmp/in/files/"
printf 'ÂÓÙÖÒ Ð Ó ÖØ ÉÔÙÒ ÏÁÅ Ì ÖÓÑ ÂÓÙÖÒ Ð Ó ÖØ ÉÔÙÒ ÏÁÅ Ì ÖÓÑ\nÂÓÙÖÒ Ð Ó ÖØ ÉÔÙÒ ÏÁÅ Ì ÖÓÑ\n' > "$tmp/in/files/garbage.txt"
cat > "$tmp/in/records.jsonl" <<'J'
{"type":"org","id":"o1","name":"某油茶合作社","kind":"enterprise"}
{"type":"expert","id":"e1","name":"甲","papers":[{"id":"p1","title":"林业技术论文","file":"files/paper.pdf"},{"id":"p2","title":"油脂加工","file":"files/garbage.docx"}]}
{"type":"expert","id":"e2","name":"乙","papers":[{"id":"q1","title":"水稻病虫害绿色防控","abstract":"稻飞虱与稻纵卷叶螟的统防统治"}]}
{"type":"achievement","id":"a1","title":"扫描的成果报告","file":"files/scan.pdf"}
{"type":"achievement","id":"a2","title":"乱码报告","file":"files/garbage.txt"}
{"type":"need","id":"n1","org":"o1","title":"油茶脱壳烘干设备","file":"files/need.docx"}
{"type":"need","id":"n2","org":"o1","title":"油茶老林高接换冠后嫁接成活率低"}
J
expect 0 "import with attached files" -- "$jb" import "$tmp/in/records.jsonl"
contains "$err" "evidence e1/p1" "report names the record"
contains "$err" "paper.pdf (pdf" "PDF extracted"
contains "$err" "2 pages" "PDF pages counted"
contains "$err" "achievement a1" "the scan is reported"
contains "$err" "no text layer" "scanned PDF detected"
contains "$err" "font-encoding garbage, not words" "garbage text file detected"
contains "$err" "letters of font-encoding garbage dropped" "garbage paragraph of a .docx dropped, the rest kept"
expect 0 "stats" -- "$jb" stats --json
contains "$out" '"attachments":5' "five attachments stored"
contains "$out" '"attachments_unusable":2' "two unusable (scan, garbage)"

# searchable: words only in the PDF's second page and the Word form
expect 0 "search a PDF's words" -- "$jb" search 撕皮嵌接
contains "$out" "[expert] e1" "the PDF's expert found"
contains "$out" "file: paper.pdf" "search names the file"
contains "$out" "[撕皮嵌接]" "highlighted in the file's text"
expect 0 "search English in the PDF" -- "$jb" search "bark-splitting"
contains "$out" "e1" "English words of the PDF found"
expect 0 "search a docx's words" -- "$jb" search 日处理鲜果
contains "$out" "[need] n1" "the Word form's need found"
expect 0 "search a docx table cell" -- "$jb" search 80万元
contains "$out" "n1" "table cells extracted"
expect 0 "garbage is not indexed" -- "$jb" search "ÂÓÙÖÒ"
lacks "$out" "a2" "garbage text not searchable"

# matched, and the explanation quotes the passage of the file that matched
expect 0 "match a need answered by page 2 of a PDF" -- "$jb" match need n2 -k 2
contains "$out" "[expert] e1" "the PDF's expert is matched"
contains "$out" "file: paper.pdf (the passage below is from it)" "explanation names the file"
contains "$out" "[高接换冠]" "the passage is the matching one, marked"
expect 0 "match --json" -- "$jb" match need n2 -k 1 --json
contains "$out" '"file":"paper.pdf"' "JSON evidence names the file"
contains "$out" '"snippet_from":"file"' "JSON says the passage is from the file"
expect 0 "match a need whose text is its Word form" -- "$jb" match need n1 -k 3 --json
contains "$out" '"need":"n1"' "need with a .docx matched"

# re-import: same files, nothing extracted again, nothing changes
expect 0 "re-import" -- "$jb" import "$tmp/in/records.jsonl"
contains "$err" "unchanged: not extracted again" "unchanged files not re-extracted"
contains "$err" "0 inserted, 0 updated" "re-import changes nothing"
# the file changed: extracted again
cp "$fx/need.docx" "$tmp/in/files/paper.pdf.docx"
sed 's#files/paper.pdf#files/paper.pdf.docx#' "$tmp/in/records.jsonl" > "$tmp/in/records2.jsonl"
expect 0 "import with a changed file" -- "$jb" import "$tmp/in/records2.jsonl"
contains "$err" "1 updated" "a changed file updates its record"
expect 0 "search after the file changed" -- "$jb" search 撕皮嵌接
lacks "$out" "e1" "the old file's words are gone"
expect 0 "integrity after attachments" -- "$jb" integrity

# jiebang attach
expect 0 "attach a PDF to evidence" -- "$jb" attach evidence e2 q1 "$tmp/in/files/paper.pdf"
contains "$err" "letters indexed" "attach reports what it indexed"
expect 0 "search after attach" -- "$jb" search 撕皮嵌接
contains "$out" "e2" "attached file searchable"
expect 0 "attach again: unchanged" -- "$jb" attach evidence e2 q1 "$tmp/in/files/paper.pdf"
contains "$err" "unchanged" "same file not extracted again"
expect 4 "attach to a missing need" -- "$jb" attach need nope "$tmp/in/files/paper.pdf"
contains "$err" "no need with id 'nope'" "missing record named"
expect 3 "attach a missing file" -- "$jb" attach need n2 "$tmp/in/files/none.pdf"
contains "$err" "none.pdf: no such file" "missing file named"
printf 'x' > "$tmp/in/files/a.xls"
expect 3 "attach an unsupported kind of file" -- "$jb" attach need n2 "$tmp/in/files/a.xls"
contains "$err" "not a .pdf, .docx or .txt" "unsupported file named"
printf '%%PDF-1.4 broken' > "$tmp/in/files/broken.pdf"
expect 3 "attach a damaged PDF" -- "$jb" attach need n2 "$tmp/in/files/broken.pdf"
contains "$err" "not a readable PDF" "damaged PDF reported"
expect 2 "attach usage" -- "$jb" attach evidence e2 "$tmp/in/files/paper.pdf"

# limits: a file over 64 MB is refused by name, before anything is stored
truncate -s 70M "$tmp/in/files/huge.txt"
echo '{"type":"need","id":"n3","title":"大文件","file":"files/huge.txt"}' > "$tmp/in/big.jsonl"
expect 3 "a file over the per-file limit" -- "$jb" import "$tmp/in/big.jsonl"
contains "$err" "big.jsonl:1: file: 'files/huge.txt': larger than 64 MB" "limit error names file, line and limit"
expect 4 "nothing of that import stored" -- "$jb" get need n3
# a missing file is a bad record: --skip-invalid stores the others
printf '%s\n' '{"type":"need","id":"n4","title":"有文件","file":"files/none.pdf"}' '{"type":"need","id":"n5","title":"无文件"}' > "$tmp/in/some.jsonl"
expect 0 "missing file skipped" -- "$jb" import --skip-invalid "$tmp/in/some.jsonl"
contains "$err" "some.jsonl:1: file: 'files/none.pdf': no such file" "missing file named with line"
expect 0 "the good record stored" -- "$jb" get need n5

# read-only commands never read files: batch --needs with a "file" that does not exist
echo '{"id":"n2","title":"油茶老林高接换冠","file":"files/none.pdf"}' > "$tmp/in/adhoc.jsonl"
expect 0 "batch ignores files (uses the stored text)" -- "$jb" batch --needs "$tmp/in/adhoc.jsonl" -k 1
contains "$out" '"need":"n2"' "batch ran"
# the JSON protocol takes no file paths
expect 0 "serve import with a file" -- sh -c "echo '{\"id\":1,\"op\":\"import\",\"records\":[{\"type\":\"need\",\"id\":\"n9\",\"title\":\"x\",\"file\":\"/etc/passwd\"}]}' | '$jb' serve"
contains "$out" "files are attached by" "protocol refuses file paths"
# --keep-files stores the file itself
expect 0 "attach --keep-files" -- "$jb" attach achievement a1 "$tmp/in/files/paper.pdf" --keep-files
size=$(sqlite3 "$JIEBANG_DB" "SELECT length(data) FROM attachment WHERE kind='achievement' AND ref='a1'" 2>/dev/null || echo skip)
if [ "$size" = skip ] || [ "$size" = "$(stat -c %s "$fx/paper.pdf")" ]; then ok; else no "--keep-files stored $size bytes"; fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
