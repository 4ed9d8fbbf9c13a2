#!/usr/bin/env bash
# Peak memory of converting a large Open Images bbox CSV (issue 4: under 300 MiB at 2,000,000 rows).
# Usage: bench/bbox_memory.sh [ROWS]   (default 2000000). Needs python3 and /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-2000000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet
python3 bench/gen_bbox.py "$work/in" "$rows"
echo "input: $rows bbox rows, $(du -h "$work/in/oi/train-annotations-bbox.csv" | cut -f1)"
/usr/bin/time -v target/release/avfit convert --source openimages_vggsound \
  --input "$work/in/oi" --input "$work/in/vggsound.csv" --out "$work/out" 2> "$work/time.txt"
grep -E "Maximum resident set size|Elapsed \(wall clock\)" "$work/time.txt"
rss_kib=$(awk '/Maximum resident set size/ {print $NF}' "$work/time.txt")
echo "peak RSS: $((rss_kib / 1024)) MiB (limit 300 MiB)"
[ "$rss_kib" -lt $((300 * 1024)) ]
