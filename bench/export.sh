#!/usr/bin/env bash
# The export benchmark: the F = 1.0 synth corpus (as bench/run.sh makes it: `avfit synth --scale 1.0`
# then `avfit build` of its manifest) exported by `avfit export --format llamafactory` beside
# bench/export_llamafactory.py (plain Python: json.loads + json.dumps per line), and by
# `avfit export --format parquet` beside bench/export_pyarrow.py (pyarrow.json.read_json +
# pyarrow.parquet.write_table per shard), timed in pairs by bench/pairs.sh (PAIRS, default 3).
# Targets: llamafactory at least 8x faster than the Python script; parquet no slower than pyarrow;
# peak RSS under 256 MiB for both avfit exports.
#
# Environment: SCALE (default 1.0), WORK (default a fresh directory under /tmp, removed at the end
# unless KEEP=1), PYTHON (default target/pyenv/bin/python, with pyarrow; see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scale="${SCALE:-1.0}"
work="${WORK:-$(mktemp -d /tmp/avfit-export-bench.XXXXXX)}"
mkdir -p "$work"
if [ -z "${KEEP:-}" ] && [ -z "${WORK:-}" ]; then trap 'rm -rf "$work"' EXIT; fi
python="${PYTHON:-$PWD/target/pyenv/bin/python}"
bin="$PWD/target/release/avfit"

cargo build --release --quiet
if [ ! -f "$work/corpus/manifest.json" ]; then
  "$bin" synth --scale "$scale" --out "$work/in" > /dev/null
  "$bin" build --manifest "$work/in/manifest.toml" --out "$work/corpus" --quiet
fi
samples="$(python3 -c "import json,sys; print(sum(json.load(open(sys.argv[1]))['counts'].values()))" "$work/corpus/manifest.json")"

# One run of each for the output check: the two LLaMA-Factory outputs hold the same lines.
rm -rf "$work/out-avfit-lf" "$work/out-python-lf"
"$bin" export "$work/corpus" --format llamafactory --out "$work/out-avfit-lf" --quiet > /dev/null
"$python" bench/export_llamafactory.py "$work/corpus" "$work/out-python-lf" > /dev/null
for f in "$work"/out-python-lf/*.jsonl; do
  cmp -s "$f" "$work/out-avfit-lf/$(basename "$f")" || { echo "bench: $(basename "$f") differs" >&2; exit 1; }
done

# Paired timing (bench/pairs.sh): a warm-up each, then PAIRS runs of avfit and the alternative in
# turn; medians, and the median of the per-pair ratios, so the figures hold on a shared machine.
pairs="${PAIRS:-3}"
load="$(cut -d' ' -f1-3 /proc/loadavg)"
# Each run starts with no output of its own (removed untimed, --clean).
bench/pairs.sh "$pairs" "$work/lf.pairs" --clean "$work/out-avfit-lf" --clean "$work/out-python-lf" \
  -- "$bin" export "$work/corpus" --format llamafactory --out "$work/out-avfit-lf" --quiet \
  -- "$python" bench/export_llamafactory.py "$work/corpus" "$work/out-python-lf"
bench/pairs.sh "$pairs" "$work/pq.pairs" --clean "$work/out-avfit-pq" --clean "$work/out-pyarrow-pq" \
  -- "$bin" export "$work/corpus" --format parquet --out "$work/out-avfit-pq" --quiet \
  -- "$python" bench/export_pyarrow.py "$work/corpus" "$work/out-pyarrow-pq"

v() { awk -v k="$2" '$1 == k { print $2 }' "$work/$1.pairs"; }
echo "samples: $samples (F = $scale), load before: $load, $(nproc) cores, $pairs pairs"
printf '| pair | avfit wall s | avfit cpu s | avfit peak MiB | other wall s | other cpu s | other peak MiB | wall ratio | cpu ratio |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for p in lf pq; do
  printf '| %s | %s | %s | %.0f | %s | %s | %.0f | %sx | %sx |\n' "$p" "$(v $p a_wall)" "$(v $p a_cpu)" \
    "$(awk -v k="$(v $p a_rss)" 'BEGIN { print k / 1024 }')" "$(v $p b_wall)" "$(v $p b_cpu)" \
    "$(awk -v k="$(v $p b_rss)" 'BEGIN { print k / 1024 }')" "$(v $p ratio_wall)" "$(v $p ratio_cpu)"
done
awk -v r="$(v lf ratio_wall)" 'BEGIN { printf "llamafactory: avfit %.1fx the Python script (target >= 8): %s\n", r, (r >= 8 ? "met" : "NOT met") }'
awk -v r="$(v pq ratio_wall)" 'BEGIN { printf "parquet: avfit %.2fx pyarrow (target >= 1): %s\n", r, (r >= 1 ? "met" : "NOT met") }'
awk -v a="$(v lf a_rss)" -v b="$(v pq a_rss)" 'BEGIN { printf "peak RSS: %.0f and %.0f MiB (target < 256): %s\n", a / 1024, b / 1024, (a < 262144 && b < 262144 ? "met" : "NOT met") }'
