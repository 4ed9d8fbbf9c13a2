#!/usr/bin/env bash
# Issue 15's speed acceptance: a declarative source (sources/ave.toml) against a built-in adapter
# (LLP) on the same number of native rows. Generates a ROWS-row AVE Annotations.txt and an LLP
# pair AVVP_eval_audio.csv / AVVP_eval_visual.csv of ROWS/2 rows each (bench/gen_spec_bench.py),
# converts each RUNS times, alternating (AVE, LLP, AVE, LLP, ...) so drift hits both alike, after
# one warm-up each, and prints per run and as medians: wall and CPU (user+sys) seconds and native
# rows per second, then the ratio spec/adapter of the median rates (acceptance: >= 0.70).
# LLP makes one sample per four rows (two audio, two visual); AVE one per AVE_EVENTS rows, so
# AVE_EVENTS=4 gives both sides the same output per row (the engine against the adapter) and the
# default 2 twice LLP's output per row (the shared writer's cost then counts twice on AVE's side).
# Usage: bench/spec_bench.sh [ROWS] [RUNS] [AVE_EVENTS]   (defaults 1000000, 5, 2).
# Needs GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-1000000}"
runs="${2:-5}"
events="${3:-2}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
CARGO_INCREMENTAL=1 cargo build --release --quiet
python3 bench/gen_spec_bench.py "$work/in" "$rows" "$events"
bin=target/release/avfit

one() { # one conversion: $1 = ave | llp; prints "wall cpu" seconds
  rm -rf "$work/out"
  if [ "$1" = ave ]; then
    /usr/bin/time -f "%e %U %S" -o "$work/t" "$bin" convert --source ave \
      --input "$work/in/ave/Annotations.txt" --out "$work/out" --quiet
  else
    /usr/bin/time -f "%e %U %S" -o "$work/t" "$bin" convert --source llp \
      --input "$work/in/llp/AVVP_eval_audio.csv" --input "$work/in/llp/AVVP_eval_visual.csv" \
      --out "$work/out" --quiet
  fi
  awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$work/t"
}

one ave >/dev/null
one llp >/dev/null
: >"$work/ave.txt"
: >"$work/llp.txt"
for i in $(seq "$runs"); do
  one ave >>"$work/ave.txt"
  one llp >>"$work/llp.txt"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); rows per source: $rows; runs: $runs; AVE events per class: $events"
python3 - "$work/ave.txt" "$work/llp.txt" "$rows" <<'PY'
import statistics, sys
rows = int(sys.argv[3])
med = {}
for name, path in (("ave (spec)", sys.argv[1]), ("llp (adapter)", sys.argv[2])):
    runs = [tuple(map(float, l.split())) for l in open(path)]
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    med[name] = (rows / wall, rows / cpu)
    print(f"{name:14} wall s {[r[0] for r in runs]} median {wall:.2f} ({rows / wall:,.0f} rows/s); "
          f"cpu s {[r[1] for r in runs]} median {cpu:.2f} ({rows / cpu:,.0f} rows/s)")
(sw, sc), (lw, lc) = med["ave (spec)"], med["llp (adapter)"]
print(f"spec/adapter rate: wall {sw / lw:.2f}, cpu {sc / lc:.2f} (acceptance: >= 0.70)")
PY
