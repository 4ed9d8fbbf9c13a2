#!/usr/bin/env bash
# Time `avfit stats` over about 1,000,000 samples (issue 5: under 30 s on this machine).
# Usage: bench/stats_bench.sh [BOX_ROWS]  (default 1300000 bbox rows → about 1M samples).
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-1300000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet
python3 bench/gen_bbox.py "$work/in" "$rows"
target/release/avfit convert --source openimages_vggsound --input "$work/in/oi" --input "$work/in/vggsound.csv" \
  --out "$work/corpus" --quiet
samples=$(cat "$work"/corpus/*/*/*.jsonl | wc -l)
echo "corpus: $samples samples"
/usr/bin/time -v target/release/avfit stats "$work/corpus" --json "$work/stats.json" --html "$work/report.html" \
  > /dev/null 2> "$work/time.txt"
grep -E "Elapsed \(wall clock\)|Maximum resident set size" "$work/time.txt"
