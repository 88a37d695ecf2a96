#!/usr/bin/env bash
# The main job on the bundled corpus: install what is missing, build, load
# corpora/chenxi into ./jiebang.db and show a real search, a match with its
# reasons, a batch run over every open need, and the year's progress against
# the work plan from the recorded outcomes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
jb=build/jiebang
export JIEBANG_DB=${JIEBANG_DB:-jiebang.db}
$jb import corpora/chenxi/*.jsonl
# how the 2021 pairings went (fictional): contacts, declines, contracts
$jb import corpora/chenxi/outcomes-2021/outcomes.jsonl
echo; echo "== jiebang search 无抗"; $jb search 无抗 -k 5
echo; echo "== jiebang search \"additive manufacturing\""; $jb search "additive manufacturing" -k 5
echo; echo "== jiebang match need need-0058 (2021 揭榜挂帅: 禾花鲤 breeding)"; $jb match need need-0058 -k 5
echo; echo "== jiebang batch --open -k 3 --format csv > matches.csv"
$jb batch --open -k 3 --format csv > matches.csv
echo "$(($(wc -l < matches.csv) - 1)) proposals for $($jb stats --json | sed 's/.*"open_needs":\([0-9]*\).*/\1/') open needs written to matches.csv"
echo; echo "== jiebang report progress --year 2021 (the work plan's targets; --format html -o progress.html prints on A4)"
$jb report progress --year 2021 | sed -n '5,18p'
$jb report progress --year 2021 --format html -o progress-2021.html
echo "progress-2021.html written"
