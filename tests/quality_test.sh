#!/usr/bin/env bash
# quality_test.sh JIEBANG — match quality on the shared dev sets must not fall
# clearly below what was reached (bench/quality, README's table). The floors
# sit a little under the measured figures, so noise-free regressions fail.
# Skipped (77) when ../shared/eval is not beside the checkout.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
eval_dir=${JIEBANG_EVAL:-$src/../shared/eval}
[ -f "$eval_dir/score.py" ] || { echo "no $eval_dir: skipped"; exit 77; }
command -v python3 >/dev/null || { echo "no python3: skipped"; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
JIEBANG=$1 "$src/bench/quality" --all "$out" > "$out/table" || { echo "bench/quality failed"; exit 1; }
cat "$out/table"
pass=0 fail=0
# set  direction  floor
while read -r set dir floor; do
  val=$(awk -v s="$set" '$1 == s { print $3 }' "$out/table")
  if [ -z "$val" ]; then fail=$((fail + 1)); echo "FAIL: no figure for $set"; continue; fi
  if python3 -c "import sys; v,f,d=float(sys.argv[1]),float(sys.argv[2]),sys.argv[3]; sys.exit(0 if (v<=f if d=='max' else v>=f) else 1)" "$val" "$floor" "$dir"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1)); echo "FAIL: $set $val is past the limit $floor ($dir)"
  fi
done <<'LIMITS'
rap max 0.285
rapft max 0.245
scifact min 0.685
csl min 0.18
LIMITS
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
