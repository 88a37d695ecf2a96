#!/usr/bin/env bash
# office_test.sh JIEBANG — the files a county office really has: an .xlsx
# saved by a real spreadsheet program (LibreOffice, headless) with Chinese
# headers, a title row and Excel dates; Excel's UTF-16 "Unicode text";
# every closed-set value refused with file, row, column, value and the
# accepted values; the exported workbook re-imported to the same state; the
# template's and the proposal's drop-downs; read commands that create
# nothing; SIGINT leaving no half line and no half import. Chinese messages
# (the default language).
set -u
jb=$1
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export JIEBANG_DB=$tmp/t.db JIEBANG_LEXICON=$src/corpora/lexicon
unset JIEBANG_LANG
# openpyxl is Debian's python3-openpyxl: the system interpreter, not a pyenv one
py=/usr/bin/python3
[ -x "$py" ] || py=python3
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
contains() { case "$1" in *"$2"*) ok ;; *) no "$3: lacks '$2' in: $1" ;; esac; }
lacks() { case "$1" in *"$2"*) no "$3: has '$2'" ;; *) ok ;; esac; }

expect 0 "import the corpus" -- "$jb" import -q "$src"/corpora/chenxi/*.jsonl

# --- an .xlsx saved by LibreOffice from a staff CSV -------------------------
cd "$tmp"
printf '2025年辰溪县企业技术需求表,,,,,\n编号,需求名称,需求描述,所属企业,截止日期,产业链\nx-1,油茶果脱壳,"破壳率低\r\n需要改进",org-chenyou,2025/6/30,油茶产业\nx-2,罗汉果提取,罗汉果甜苷提取工艺,org-chenyou,2025年6月30日,罗汉果\nx-3,稻田养鱼,稻花鱼苗种,org-chenyou,2025.7.1,稻花鱼\n' >staff.csv
if command -v soffice >/dev/null; then
  # UTF-8 (76), first line 1, zh-CN (2052), detect dates: cells become date
  # serials with a date style, as Excel would save them
  soffice -env:UserInstallation=file://$tmp/lo --headless --infilter="CSV:44,34,76,1,,2052,false,true" \
    --convert-to xlsx --outdir "$tmp/lo-out" staff.csv >/dev/null 2>&1
  mv "$tmp/lo-out/staff.xlsx" needs.xlsx
  unzip -p needs.xlsx xl/worksheets/sheet1.xml | grep -q '<c r="E3" s="[0-9]*" t="n"><v>45838</v>' &&
    ok || no "LibreOffice wrote the date as a styled serial number"
  expect 0 "import the LibreOffice xlsx" -- "$jb" import needs.xlsx
  expect 0 "get the imported need" -- "$jb" get need x-1 --json
  contains "$out" '"deadline":"2025-06-30"' "Excel date serial read by its style"
  contains "$out" '"text":"破壳率低\n需要改进"' "cell line break normalised"
  contains "$out" '"chains":["油茶"]' "油茶产业 resolved to 油茶"
  expect 0 "get x-3" -- "$jb" get need x-3 --json
  contains "$out" '"deadline":"2025-07-01"' "2025.7.1 read"
else
  no "soffice (libreoffice-calc-nogui) is not installed"
fi

# --- a committed .xlsx saved by LibreOffice: merged title, merged enterprise,
# date cells with a custom Chinese date format (tests/fixtures/office/README.md)
fx=$src/tests/fixtures/office/needs-merged.xlsx
unzip -p "$fx" docProps/app.xml | grep -q '<Application>LibreOffice' && ok || no "the fixture was saved by LibreOffice"
expect 0 "import the committed LibreOffice xlsx" -- "$jb" import "$fx"
contains "$err" "读取 3 条，新增 3" "three needs under a merged title row"
expect 0 "get lo-1" -- "$jb" get need lo-1 --json
contains "$out" '"deadline":"2025-06-30"' "a date cell in format yyyy年m月d日"
contains "$out" '"org":"org-chenyou"' "the merged enterprise cell, first row"
contains "$out" '"text":"雨季茶果晒不干，茶籽发霉，酸价升高。\n希望改造热风烘干设备' "two paragraphs in a cell"
contains "$out" '"chains":["油茶"]' "油茶产业 read as 油茶"
contains "$out" '"budget":80' "a number cell"
expect 0 "get lo-2" -- "$jb" get need lo-2 --json
contains "$out" '"org":"org-chenyou"' "the merged enterprise cell, second row"
contains "$out" '"deadline":"2025-12-31"' "the second date cell"
expect 0 "get lo-3" -- "$jb" get need lo-3 --json
contains "$out" '"deadline":"2026-03-01"' "a date typed as text 2026/3/1"

# --- dates and headers from a CSV, UTF-16 text as Excel exports it ----------
printf '需求编号\t需求名称\t所属企业\t截止日期\t状态\r\nu-1\t罗汉果组培苗\torg-chenyou\t2025年6月30日\t开放\r\nu-2\t油茶低改\torg-chenyou\t45838\t已关闭\r\n' |
  iconv -f UTF-8 -t UTF-16 >needs-utf16.txt
head -c 2 needs-utf16.txt | od -An -tx1 | grep -q 'ff fe' && ok || no "iconv wrote a BOM"
expect 0 "import UTF-16 Unicode text" -- "$jb" import needs-utf16.txt
expect 0 "get u-2" -- "$jb" get need u-2 --json
contains "$out" '"deadline":"2025-06-30"' "serial number in a text file"
contains "$out" '"status":"closed"' "已关闭 is closed"

# --- closed sets: refused with file, row, column, value, accepted values ----
printf '编号,需求名称,所属企业,状态\nc-1,罗汉果,org-chenyou,进行中\n' >needs-status.csv
expect 3 "unknown status" -- "$jb" import needs-status.csv
contains "$err" "needs-status.csv:2: 状态 (status): “进行中”不是可选值；可选：open（开放）、paired（已对接）、closed（已关闭）" "status error names everything"
printf '编号,名称,类型\no-1,某某厂,工场\n' >orgs-kind.csv
expect 3 "unknown org kind" -- "$jb" import orgs-kind.csv
contains "$err" "orgs-kind.csv:2: 类型 (kind): “工场”不是可选值" "org kind error"
contains "$err" "enterprise（企业）" "accepted values in Chinese"
printf '编号,名称,类型\no-2,某某公司,公司\n' >orgs-ok.csv
expect 0 "公司 is an enterprise" -- "$jb" import orgs-ok.csv
printf '成果编号,成果名称,成熟度\na-1,某成果,试验阶段\n' >achievements-m.csv
expect 3 "unknown maturity" -- "$jb" import achievements-m.csv
contains "$err" "成熟度 (maturity): “试验阶段”不是可选值；可选：研发、小试、中试、小批量、产业化" "maturity error"
printf '成果编号,成果名称,成熟度,成果类型\na-2,某成果,中试阶段,专利\n' >achievements-ok.csv
expect 0 "中试阶段 and 专利 map" -- "$jb" import achievements-ok.csv
printf '{"type":"need","id":"k-1","title":"钙业提纯","chains":["钙业"]}\n' >needs-chain.jsonl
expect 3 "unknown chain" -- "$jb" import needs-chain.jsonl
contains "$err" "chains: “钙业”不是已知产业链" "chain error"
contains "$err" "--new-chains" "chain error says how to add one"
expect 0 "unknown chain with --new-chains" -- "$jb" import --new-chains needs-chain.jsonl
printf '{"type":"expert","id":"e-1","name":"某","programs":["科技特派"]}\n' >experts-p.jsonl
expect 3 "unknown program" -- "$jb" import experts-p.jsonl
contains "$err" "是不是“科技特派员”？" "program did you mean"
printf '{"type":"need","id":"d-1","title":"某","deadline":"2025-13-45"}\n' >needs-date.jsonl
expect 3 "impossible date" -- "$jb" import needs-date.jsonl
contains "$err" "“2025-13-45”不是日期" "date error"

# --- the accept column of a proposal ----------------------------------------
expect 0 "proposal as xlsx" -- "$jb" assign --list 2021揭榜挂帅 --format xlsx -o proposal.xlsx
lead=$("$jb" assign --list 2021揭榜挂帅 --format csv | awk -F'","' 'NR==2 {print $2}')
printf '需求编号,专家编号,角色,是否接受\nneed-0058,%s,牵头,可以\n' "$lead" >fix-bad.csv
expect 3 "unknown accept word" -- "$jb" assign --list 2021揭榜挂帅 --fix fix-bad.csv
contains "$err" "fix-bad.csv:2: 是否接受: “可以”无法确定是接受还是不接受" "accept error names file, row, column, value"
for word in 不接受 不同意 × reject; do
  printf '需求编号,专家编号,角色,是否接受\nneed-0058,%s,牵头,%s\n' "$lead" "$word" >fix-no.csv
  expect 0 "accept=$word" -- "$jb" assign --list 2021揭榜挂帅 --fix fix-no.csv --format csv
  lacks "$(echo "$out" | grep need-0058 | grep 牵头)" "$lead" "$word forbids the pair"
done
for word in 同意 ok 是; do
  printf 'need,expert,role,accept\nneed-0058,%s,lead,%s\n' "$lead" "$word" >fix-yes.csv
  expect 0 "accept=$word" -- "$jb" assign --list 2021揭榜挂帅 --fix fix-yes.csv --format csv
  contains "$(echo "$out" | grep "need-0058\",\"$lead\"")" "是" "$word keeps the pair"
done

# --- Excel files written: drop-downs, re-import -----------------------------
expect 0 "need template" -- "$jb" template need -o tpl-need.xlsx
expect 0 "expert template csv" -- "$jb" template expert --format csv -o tpl-expert.csv
expect 0 "export as xlsx" -- "$jb" export --with-contacts --format xlsx -o all.xlsx
if "$py" -c 'import openpyxl' 2>/dev/null; then
  "$py" - "$tmp" <<'EOF' && ok || no "drop-downs and headers as written"
import openpyxl, sys
d = sys.argv[1]
wb = openpyxl.load_workbook(d + "/proposal.xlsx")
ws = wb.worksheets[0]
assert ws.freeze_panes == "A2", ws.freeze_panes
head = [c.value for c in ws[1]]
assert "是否接受" in head and "专家单位" in head, head
col = "ABCDEFGHIJ"[head.index("是否接受")]
dvs = [dv for dv in ws.data_validations.dataValidation if str(dv.sqref).startswith(col + "2")]
assert dvs and dvs[0].type == "list", dvs
choices = wb[dvs[0].formula1.split("!")[0].strip("'")]
assert [c.value for c in choices["A"]] == ["是", "否"]
assert wb[choices.title].sheet_state == "hidden"
wb = openpyxl.load_workbook(d + "/tpl-need.xlsx")
ws = wb.worksheets[0]
assert ws.title == "需求" and ws["A1"].value == "需求编号" and ws["A2"].value.startswith("示例")
assert len(ws.data_validations.dataValidation) >= 2
EOF
else
  no "python3-openpyxl is not installed"
fi
expect 0 "import the template as it is: the example row is skipped" -- "$jb" import tpl-need.xlsx
contains "$err" "读取 0 条" "template example not imported"
# the database holds a chain added with --new-chains (钙业): so does the copy
JIEBANG_DB=$tmp/r.db expect 0 "re-import the exported workbook" -- "$jb" import --new-chains all.xlsx
"$jb" export --with-contacts >a.jsonl
JIEBANG_DB=$tmp/r.db "$jb" export --with-contacts >b.jsonl
"$py" - a.jsonl b.jsonl <<'EOF' && ok || no "exported xlsx re-imports to the same state"
import json, sys
def norm(r): return {k: v for k, v in r.items() if v not in ([], {}, None, "")}
def load(p):
    rs = [norm(json.loads(l)) for l in open(p)]
    return {(r["type"], r.get("id", ""), r.get("expert", ""), r.get("org", "")): r for r in rs}
a, b = load(sys.argv[1]), load(sys.argv[2])
diff = [k for k in a if a[k] != b.get(k)]
assert len(a) == len(b) and not diff, (len(a), len(b), diff[:3])
EOF
if command -v soffice >/dev/null; then
  soffice -env:UserInstallation=file://$tmp/lo --headless --convert-to csv --outdir "$tmp/lo-out" proposal.xlsx >/dev/null 2>&1
  grep -q need-0058 "$tmp/lo-out/proposal.csv" && ok || no "LibreOffice opens the proposal"
fi

# --- batch and demand list as Excel: one xlsx writer -------------------------
expect 0 "batch as xlsx" -- "$jb" batch --open -k 3 --format xlsx -o batch.xlsx --threads 2
expect 0 "batch as csv" -- "$jb" batch --open -k 3 --format csv -o batch.csv --threads 2
expect 0 "demand list as xlsx" -- "$jb" demands --format xlsx --date 2021-05-01 --with-contacts -o demands.xlsx
expect 0 "demand list as csv" -- "$jb" demands --format csv --date 2021-05-01 --with-contacts -o demands.csv
if command -v script >/dev/null; then
  # a terminal gets no binary: script(1) gives the command one
  for cmd in "batch --open --format xlsx" "demands --format xlsx --date 2021-05-01"; do
    script -qec "$jb $cmd" /dev/null >tty.out 2>&1
    code=$?
    [ "$code" = 2 ] && ok || no "$cmd to a terminal: exit $code"
    contains "$(cat tty.out)" "不能写到终端" "$cmd to a terminal is refused"
  done
fi
if "$py" -c 'import openpyxl' 2>/dev/null; then
  "$py" - "$tmp" <<'EOF' && ok || no "batch and demands xlsx: headers, names beside ids, layout, same rows as CSV"
import csv, openpyxl, sys
d = sys.argv[1]
def layout(ws, head, wrapped, wide):
    assert ws.freeze_panes == "A2", (ws.title, ws.freeze_panes)
    got = [c.value for c in ws[1]]
    assert got[:len(head)] == head, (ws.title, got)
    for name in wrapped:
        col = ws.cell(row=2, column=got.index(name) + 1)
        assert col.alignment.wrap_text, (ws.title, name, "not wrapped")
    for name, w in wide.items():
        letter = openpyxl.utils.get_column_letter(got.index(name) + 1)
        assert ws.column_dimensions[letter].width >= w, (ws.title, name, ws.column_dimensions[letter].width)
# batch: every CSV row, with names beside the ids
wb = openpyxl.load_workbook(d + "/batch.xlsx")
ws = wb["匹配结果"]
layout(ws, ["需求编号", "需求名称", "需求企业", "名次", "类型", "候选编号", "候选名称", "所属单位", "得分"],
       ["需求名称", "候选名称"], {"需求名称": 30, "候选名称": 25})
rows = [r for r in ws.iter_rows(min_row=2, values_only=True)]
with open(d + "/batch.csv", encoding="utf-8-sig") as f:
    want = [(r[0], int(r[1]), r[2], r[3], round(float(r[5]), 4)) for r in list(csv.reader(f))[1:]]
got = [(r[0], r[3], r[4], r[5], round(r[8], 4)) for r in rows]
assert got == want, (len(got), len(want), [g for g, w in zip(got, want) if g != w][:3])
r58 = [r for r in rows if r[0] == "need-0058"]
assert r58 and r58[0][1] == "本地禾花鲤种质提纯与苗种规模化繁育" and r58[0][2] == "辰溪县稻花鱼养殖专业合作社", r58[:1]
assert any(r[4] == "专家" and r[7] for r in r58), "an expert's institution beside the expert"
# demands: three sheets, the CSV's needs with description and contacts
wb = openpyxl.load_workbook(d + "/demands.xlsx")
assert wb.sheetnames == ["需求清单", "共性需求", "可转化成果"], wb.sheetnames
ws = wb["需求清单"]
layout(ws, ["产业链", "优先序", "需求编号", "需求名称", "企业", "需求描述", "截止日期", "预算(万元)"],
       ["需求名称", "需求描述", "推荐专家"], {"需求描述": 50, "需求名称": 25})
xl = [r for r in ws.iter_rows(min_row=2, values_only=True)]
with open(d + "/demands.csv", encoding="utf-8-sig") as f:
    table = list(csv.reader(f))
needs = table[1:table.index([])]
assert [r[2] for r in xl] == [r[2] for r in needs], "the same needs in the same order"
n = [r for r in xl if r[2] == "need-0058"][0]
assert n[4] == "辰溪县稻花鱼养殖专业合作社" and "禾花鲤" in n[5] and n[12] and n[13], n
assert "\n" in n[10], "one recommended expert per line: " + repr(n[10])
layout(wb["共性需求"], ["共性需求编号", "产业链", "名称"], ["名称"], {})
layout(wb["可转化成果"], ["成果编号", "成果名称"], ["成果名称"], {"成果名称": 25})
EOF
else
  no "python3-openpyxl is not installed"
fi
if command -v soffice >/dev/null; then
  # LibreOffice opens both: their first sheets as CSV
  # (as UTF-8: 76; the default is the locale's code page)
  soffice -env:UserInstallation=file://$tmp/lo --headless --convert-to 'csv:Text - txt - csv (StarCalc):44,34,76' \
    --outdir "$tmp/lo-out" batch.xlsx demands.xlsx >/dev/null 2>&1
  grep -q '本地禾花鲤种质提纯与苗种规模化繁育' "$tmp/lo-out/batch.csv" && ok || no "LibreOffice opens the batch workbook"
  grep -q '辰溪县稻花鱼养殖专业合作社' "$tmp/lo-out/demands.csv" && ok || no "LibreOffice opens the demand list workbook"
fi

# --- documents to send, and the demand list fit to publish ------------------
expect 0 "揭榜挂帅榜单" -- "$jb" publish list 2021揭榜挂帅 -o bang.html
contains "$(cat bang.html)" "第1榜" "the list numbers its challenges"
contains "$(cat bang.html)" "任务与指标" "each challenge has its task and targets"
lacks "$(cat bang.html)" "13908456478" "no contact without --with-contacts"
expect 0 "推荐函" -- "$jb" publish letter need-0058 exp-0044 --with-contacts -o letter.html
contains "$(cat letter.html)" "推荐理由" "the letter says why"
contains "$(cat letter.html)" "戴立平" "the letter names the expert"
expect 0 "enterprise sheet" -- "$jb" publish sheet org-daohuayu -o sheet.html
contains "$(cat sheet.html)" "可对接专家" "the sheet says who can help"
expect 4 "unknown list" -- "$jb" publish list 无此榜单
# the printed demand list is compact: chromium prints it to PDF (A4), every
# page but the last is filled to at least 70% of its height (the text's
# lowest line, from pdftotext -bbox), and the whole is at most 40 pages
# (49 with one table row per need, many pages half empty)
if command -v chromium >/dev/null && command -v pdfinfo >/dev/null; then
  expect 0 "demand list as HTML" -- "$jb" demands --format html --date 2021-05-01 -o demands.html
  timeout 180 chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
    --user-data-dir="$tmp/chromium" --print-to-pdf="$tmp/demands.pdf" "file://$tmp/demands.html" 2>/dev/null
  pages=$(pdfinfo "$tmp/demands.pdf" 2>/dev/null | awk '/^Pages:/ {print $2}')
  [ -n "$pages" ] && [ "$pages" -le 40 ] && ok || no "the demand list prints on ${pages:-?} A4 pages (want <= 40)"
  pdftotext -bbox "$tmp/demands.pdf" "$tmp/demands-bbox.html"
  "$py" - "$tmp/demands-bbox.html" <<'EOF' && ok || no "a page of the printed demand list is half empty"
import re, sys
pages = re.findall(r'<page width="[\d.]+" height="([\d.]+)">(.*?)</page>', open(sys.argv[1]).read(), re.S)
fill = [max([float(y) for y in re.findall(r'yMax="([\d.]+)"', body)] or [0]) / float(h) for h, body in pages]
thin = [(i + 1, round(f, 2)) for i, f in enumerate(fill[:-1]) if f < 0.7]
assert len(pages) > 1 and not thin, thin
EOF
else
  no "chromium or poppler-utils (pdfinfo) is not installed"
fi

expect 0 "demands today" -- "$jb" demands --format json
contains "$out" '"expired_left_out":' "expired needs are left out and counted"
expect 0 "demands with expired" -- "$jb" demands --include-expired --format json
printf '%s' "$out" | "$py" -c '
import json, sys
d = json.load(sys.stdin)
needs = [n for c in d["chains"] for n in c["needs"]]
assert any(n.get("expired") for n in needs), "expired needs are marked when included"
assert all("text" in n for n in needs if n["id"] == "need-0058"), "needs carry their description"
low = [e["score"] for n in needs for e in n["experts"] + n["achievements"] if e["score"] < 0.15]
assert not low, low[:5]
' && ok || no "expired marked, descriptions, no recommendation below the floor"
expect 2 "demands --chain with a typo" -- "$jb" demands --chain 油查
contains "$err" "是不是“油茶”？" "chain did you mean"
expect 0 "demands --chain 油茶产业" -- "$jb" demands --include-expired --chain 油茶产业 --format json

# --- read commands in an empty directory create nothing ---------------------
mkdir empty
for cmd in "stats" "search 油茶" "demands" "get need x" "match need x" "check --all" "export" "batch --open" \
           "assign --open" "reindex" "integrity"; do
  (cd empty && JIEBANG_DB= "$jb" $cmd >/dev/null 2>"$tmp/err")
  code=$?
  [ "$code" = 4 ] && ok || no "$cmd in an empty directory: exit $code"
done
[ -z "$(ls -A empty)" ] && ok || no "read commands created: $(ls -A empty)"
contains "$(cat "$tmp/err")" "找不到数据库 jiebang.db" "says where it looked"
contains "$(cat "$tmp/err")" "jiebang import" "says how to create one"
expect 2 "no lexicon" -- env JIEBANG_LEXICON=$tmp/none "$jb" stats
contains "$err" "--no-lexicon" "empty lexicon is an error"
expect 0 "--no-lexicon" -- env JIEBANG_LEXICON=$tmp/none "$jb" --no-lexicon stats

# --- SIGINT: whole lines, whole files ---------------------------------------
"$py" -c '
import json
for i in range(40000):
    print(json.dumps({"id": "q-%d" % i, "title": "油茶果脱壳设备第%d号" % i, "text": "破壳率低 %d" % i}, ensure_ascii=False))
' >many.jsonl
"$jb" batch --needs many.jsonl --format csv -k 5 >batch.csv 2>"$tmp/err" &
pid=$!
sleep 1.5
kill -INT $pid
wait $pid
code=$?
[ "$code" = 130 ] && ok || no "batch after SIGINT: exit $code"
contains "$(cat "$tmp/err")" "已中断" "batch says it was interrupted"
tail -c 2 batch.csv | od -An -c | grep -q '\\r  *\\n' && ok || no "batch.csv ends with a whole line"
"$py" -c '
import json
for i in range(300000):
    print(json.dumps({"type": "need", "id": "big-%d" % i, "title": "罗汉果第%d号" % i}, ensure_ascii=False))
' >needs-big.jsonl
before=$("$jb" stats --json | "$py" -c 'import json,sys; print(json.load(sys.stdin)["needs"])')
"$jb" import needs-big.jsonl "$src"/corpora/chenxi/needs.jsonl 2>"$tmp/err" &
pid=$!
sleep 1.5
kill -INT $pid
wait $pid
code=$?
after=$("$jb" stats --json | "$py" -c 'import json,sys; print(json.load(sys.stdin)["needs"])')
[ "$code" = 130 ] && ok || no "import after SIGINT: exit $code"
[ "$before" = "$after" ] && ok || no "interrupted import stored part of a file: $before -> $after"
contains "$(cat "$tmp/err")" "已回滚（一条也未保存）：needs-big.jsonl" "import names the rolled-back file"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
