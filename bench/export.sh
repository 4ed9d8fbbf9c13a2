#!/usr/bin/env bash
# The export benchmark: the F = 1.0 synth corpus (as bench/run.sh makes it: `avfit synth --scale 1.0`
# then `avfit build` of its manifest) exported by `avfit export --format llamafactory` beside
# bench/export_llamafactory.py (plain Python: json.loads + json.dumps per line), and by
# `avfit export --format parquet` beside bench/export_pyarrow.py (pyarrow.json.read_json +
# pyarrow.parquet.write_table per shard). Wall seconds and peak RSS with /usr/bin/time -v.
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

# run NAME CMD...: wall seconds and peak RSS (MiB) of CMD into $work/NAME.time.
run() {
  local name="$1"
  shift
  rm -rf "$work/out-$name"
  sync
  /usr/bin/time -v "$@" > /dev/null 2> "$work/$name.err" || { cat "$work/$name.err" >&2; exit 1; }
  awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; w = s }
              /Maximum resident/ { r = $2 / 1024 } END { printf "%.2f %.0f\n", w, r }' "$work/$name.err" > "$work/$name.time"
}
run avfit-lf "$bin" export "$work/corpus" --format llamafactory --out "$work/out-avfit-lf" --quiet
run python-lf "$python" bench/export_llamafactory.py "$work/corpus" "$work/out-python-lf"
run avfit-pq "$bin" export "$work/corpus" --format parquet --out "$work/out-avfit-pq" --quiet
run pyarrow-pq "$python" bench/export_pyarrow.py "$work/corpus" "$work/out-pyarrow-pq"
# The two LLaMA-Factory outputs hold the same lines.
for f in "$work"/out-python-lf/*.jsonl; do
  cmp -s "$f" "$work/out-avfit-lf/$(basename "$f")" || { echo "bench: $(basename "$f") differs" >&2; exit 1; }
done

t() { cut -d' ' -f1 "$work/$1.time"; }
m() { cut -d' ' -f2 "$work/$1.time"; }
echo "samples: $samples (F = $scale), load before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
printf '| step | wall s | peak RSS MiB |\n|---|---:|---:|\n'
for n in avfit-lf python-lf avfit-pq pyarrow-pq; do printf '| %s | %s | %s |\n' "$n" "$(t $n)" "$(m $n)"; done
awk -v a="$(t python-lf)" -v b="$(t avfit-lf)" 'BEGIN { printf "llamafactory: avfit %.1fx the Python script (target >= 8)\n", a / b }'
awk -v a="$(t pyarrow-pq)" -v b="$(t avfit-pq)" 'BEGIN { printf "parquet: avfit %.2fx pyarrow (target >= 1)\n", a / b }'
