#!/usr/bin/env bash
# The avfit benchmark: build time and memory at two scales, and one defined conversion done three
# ways (avfit, plain Python, DuckDB) on the same Open Images bbox file. Run from the repo root:
#
#   bench/run.sh
#
# Steps: 1. release build; 2. synthetic native inputs at F = 0.1 and 1.0 (`avfit synth --scale F`;
# until that command exists, bench/gen_bbox.py --sorted with 2,000,000 x F rows and a manifest of
# `openimages` + `openimages_vggsound`); 3. `avfit build` at both scales: wall seconds, peak RSS;
# 4. the conversion of the F = 1.0 `train-annotations-bbox.csv` into one JSONL line per (image, class)
# with the meerkat answer and a fixed instruction, by `avfit convert --source openimages`,
# bench/convert_python.py and bench/convert_duckdb.py (DuckDB pip-installed into bench/.venv), the
# three outputs checked to hold the same (image, label, answer) triples; 5. a Markdown block for
# docs/BENCHMARKS.md with the machine, the commands, the numbers and the acceptance checks.
#
# The conversion is timed in pairs (bench/pairs.sh: a warm-up, then avfit and the other in turn
# PAIRS times, default 5 against DuckDB and PY_PAIRS, default 3, against Python; medians of the
# per-pair ratios, wall and user + system CPU), so the ratios hold on a shared machine. Every timed
# run, builds included, starts with no output of its own: the run before's is removed and synced
# untimed, so no command is timed deleting another run's files; and
# bench/bare_parse (csv + serde_json only, one JSON line per row) gives the rows per CPU second of
# a bare parse, the yardstick of avfit's rows per CPU second (issue 17).
#
# Environment: SCALES (default "0.1 1.0"; the last one is used for the conversion), RUNS (default 1:
# each build timing is the best of RUNS), PAIRS, PY_PAIRS (above), WORK (default a fresh directory under /tmp, removed at the end
# unless KEEP=1), STRICT=1 to exit 1 when an acceptance check is missed. Needs python3 (3.11+) and
# cargo; measures with /usr/bin/time when it is there, else with a Python getrusage wrapper.
# Exits 1 when the three conversions disagree.
set -euo pipefail
cd "$(dirname "$0")/.."
scales=(${SCALES:-0.1 1.0})
runs="${RUNS:-1}"
work="${WORK:-$(mktemp -d /tmp/avfit-bench.XXXXXX)}"
mkdir -p "$work"
if [ -z "${KEEP:-}" ] && [ -z "${WORK:-}" ]; then trap 'rm -rf "$work"' EXIT; fi
bin="$PWD/target/release/avfit"
instruction="Which object in the image is making the sound? Answer [<obj>,xLeft,yTop,xRight,yBottom] with coordinates between 0 and 1."

# measure NAME OUTPUT CMD...: runs CMD RUNS times, each after removing OUTPUT (the run before's
# output, so that no run is timed deleting it) and a `sync`, both untimed; "<wall seconds> <peak
# RSS KiB>" of the fastest run goes to $work/NAME.time. Stdout of CMD is discarded, stderr kept in
# $work/NAME.err.
measure() {
  local name="$1" output="$2" best="" i
  shift 2
  for ((i = 0; i < runs; i++)); do
    rm -rf -- "$output"
    # Flush what earlier steps wrote, so no step is timed while the disk writes back another's.
    sync
    if /usr/bin/time -f '%e %M' -o "$work/$name.try" true 2> /dev/null; then
      /usr/bin/time -f '%e %M' -o "$work/$name.try" "$@" > /dev/null 2> "$work/$name.err" \
        || { cat "$work/$name.err" >&2; echo "bench: $name failed" >&2; exit 1; }
    else
      python3 "$work/measure.py" "$work/$name.try" "$@" > /dev/null 2> "$work/$name.err" \
        || { cat "$work/$name.err" >&2; echo "bench: $name failed" >&2; exit 1; }
    fi
    if [ -z "$best" ] || awk -v a="$(cut -d' ' -f1 "$work/$name.try")" -v b="$best" 'BEGIN { exit !(a < b) }'; then
      best="$(cut -d' ' -f1 "$work/$name.try")"
      cp "$work/$name.try" "$work/$name.time"
    fi
  done
}
cat > "$work/measure.py" << 'EOF'
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.call(sys.argv[2:])
wall = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux: the largest child
open(sys.argv[1], "w").write(f"{wall:.2f} {peak}\n")
sys.exit(code)
EOF
wall() { cut -d' ' -f1 "$work/$1.time"; }
rss_mib() { awk '{ printf "%.0f", $2 / 1024 }' "$work/$1.time"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "== 1. release build"
cargo build --release --quiet

echo "== 2. synthetic inputs at F = ${scales[*]}"
has_synth=0
"$bin" synth --help > /dev/null 2>&1 && has_synth=1
for f in "${scales[@]}"; do
  dir="$work/in-$f"
  if [ "$has_synth" = 1 ]; then
    "$bin" synth --scale "$f" --out "$dir" > /dev/null
    bbox_dir="$dir/openimages"
  else
    rows="$(awk -v f="$f" 'BEGIN { printf "%d", 2000000 * f }')"
    python3 bench/gen_bbox.py "$dir" "$rows" --sorted
    cat > "$dir/manifest.toml" << EOF
# Stand-in for avfit synth: Open Images boxes alone and paired with VGGSound.
[[source]]
name = "openimages"
inputs = ["oi/train-annotations-bbox.csv", "oi/class-descriptions-boxable.csv"]

[[source]]
name = "openimages_vggsound"
inputs = ["oi", "vggsound.csv"]
EOF
    bbox_dir="$dir/oi"
  fi
  echo "F = $f: $(($(wc -l < "$bbox_dir/train-annotations-bbox.csv") - 1)) Open Images train bbox rows$([ "$has_synth" = 1 ] || echo ' (gen_bbox.py stand-in)')"
done
big="${scales[${#scales[@]} - 1]}"
small="${scales[0]}"
if [ "$has_synth" = 1 ]; then bbox_dir="$work/in-$big/openimages"; else bbox_dir="$work/in-$big/oi"; fi
bbox="$bbox_dir/train-annotations-bbox.csv"
descriptions="$bbox_dir/class-descriptions-boxable.csv"

echo "== 3. avfit build"
for f in "${scales[@]}"; do
  measure "build-$f" "$work/build-$f" "$bin" build --manifest "$work/in-$f/manifest.toml" --out "$work/build-$f" --quiet
  samples="$(cat "$work"/build-"$f"/*/*/*.jsonl | wc -l)"
  echo "F = $f: $samples samples, $(wall "build-$f") s wall, $(rss_mib "build-$f") MiB peak RSS"
done

echo "== 4. conversion of $(($(wc -l < "$bbox") - 1)) bbox rows, three ways"
mkdir -p "$work/templates"
cat > "$work/templates/arig.toml" << EOF
[[template]]
id = "fixed-audio"
instruction = "$instruction"

[[referring]]
id = "fixed"
instruction = "$instruction"
media = ["image"]
EOF
if ! bench/.venv/bin/python -c "import duckdb" 2> /dev/null; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install --quiet duckdb
fi
cat "$bbox" > /dev/null # the same warm page cache for all three
avfit_conv=("$bin" convert --source openimages --input "$bbox" --input "$descriptions" --out "$work/conv-avfit" --templates "$work/templates" --quiet)
# The outputs, once each, for the comparison.
"${avfit_conv[@]}"
python3 bench/convert_python.py "$bbox" "$descriptions" "$work/conv-python.jsonl" "$instruction"
bench/.venv/bin/python bench/convert_duckdb.py "$bbox" "$descriptions" "$work/conv-duckdb.jsonl" "$instruction"
python3 bench/compare_outputs.py "$instruction" "$work/conv-avfit" "$work/conv-python.jsonl" "$work/conv-duckdb.jsonl"
lines="$(wc -l < "$work/conv-python.jsonl")"
rows="$(($(wc -l < "$bbox") - 1))"
load_pairs="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "== 5. paired timings (load average before: $load_pairs)"
# Every run starts with no output of its own: the last run's is removed, untimed (--clean), so no
# command is timed deleting avfit's 1.5 GB of shards or truncating the others' JSONL file.
bench/pairs.sh "${PAIRS:-5}" "$work/pair-duckdb" --clean "$work/conv-avfit" --clean "$work/conv-duckdb.jsonl" \
  -- "${avfit_conv[@]}" -- \
  bench/.venv/bin/python bench/convert_duckdb.py "$bbox" "$descriptions" "$work/conv-duckdb.jsonl" "$instruction"
bench/pairs.sh "${PY_PAIRS:-3}" "$work/pair-python" --clean "$work/conv-avfit" --clean "$work/conv-python.jsonl" \
  -- "${avfit_conv[@]}" -- \
  python3 bench/convert_python.py "$bbox" "$descriptions" "$work/conv-python.jsonl" "$instruction"
cargo build --release --quiet --manifest-path bench/bare_parse/Cargo.toml
bench/pairs.sh "${PAIRS:-5}" "$work/pair-bare" --clean "$work/conv-avfit" \
  -- "${avfit_conv[@]}" -- bench/bare_parse/target/release/bare_parse "$bbox"
fig() { awk -v k="$2" '$1 == k { print $2 }' "$work/pair-$1"; }
per_cpu_s() { awk -v r="$rows" -v c="$1" 'BEGIN { printf "%.0f", (c > 0 ? r / c : 0) }'; }
avfit_rate="$(per_cpu_s "$(fig duckdb a_cpu)")"
bare_rate="$(per_cpu_s "$(fig bare b_cpu)")"
rss_ratio="$(ratio "$(cut -d' ' -f2 "$work/build-$big.time")" "$(cut -d' ' -f2 "$work/build-$small.time")")"
for w in duckdb python bare; do
  echo "avfit vs $w: $(tr '\n' ' ' < "$work/pair-$w")"
done

check() { # check LABEL VALUE OP LIMIT
  if awk -v v="$2" -v l="$4" "BEGIN { exit !(v $3 l) }"; then echo "| $1 | $2 | $3 $4 | yes |"; else
    echo "| $1 | $2 | $3 $4 | **no** |"
    missed=1
  fi
}
missed=0
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
ram="$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
duck_version="$(bench/.venv/bin/python -c 'import duckdb; print(duckdb.__version__)')"
inputs="$([ "$has_synth" = 1 ] && echo "avfit synth --scale F" || echo "bench/gen_bbox.py --sorted (2,000,000 x F rows; avfit synth not available)")"
{
  echo
  echo "----- 8< ----- for docs/BENCHMARKS.md -----"
  echo "Run $(date -u +%Y-%m-%d) at commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' (with uncommitted changes)') by \`bench/run.sh\` (RUNS=$runs)."
  echo
  echo "Machine: $(nproc) cores, $cpu, $ram RAM; $(rustc --version | cut -d' ' -f1-2), Python $(python3 -c 'import platform; print(platform.python_version())'), DuckDB $duck_version."
  echo "Inputs: $inputs. Load average (1, 5, 15 min) before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores: above 2, other work shared the machine)."
  echo
  echo "| build | wall (s) | peak RSS (MiB) |"
  echo "|---|---|---|"
  for f in "${scales[@]}"; do
    echo "| \`avfit build\` F = $f ($(cat "$work"/build-"$f"/*/*/*.jsonl | wc -l) samples) | $(wall "build-$f") | $(rss_mib "build-$f") |"
  done
  echo
  echo "Conversion of $rows bbox rows ($lines lines), in pairs (load average before the pairs: $load_pairs; each run starts with no output, the last run's removed untimed); medians:"
  echo
  echo "| pair (runs) | avfit wall / CPU s / peak MiB | other wall / CPU s / peak MiB | other / avfit: wall (min-max) | CPU |"
  echo "|---|---|---|---|---|"
  for w in duckdb python bare; do
    case $w in duckdb) name="DuckDB" n="${PAIRS:-5}" ;; python) name="Python csv + json" n="${PY_PAIRS:-3}" ;; bare) name="bare csv + serde_json parse" n="${PAIRS:-5}" ;; esac
    mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
    echo "| $name ($n) | $(fig $w a_wall) / $(fig $w a_cpu) / $(mib "$(fig $w a_rss)") | $(fig $w b_wall) / $(fig $w b_cpu) / $(mib "$(fig $w b_rss)") | $(fig $w ratio_wall) ($(fig $w ratio_wall_range)) | $(fig $w ratio_cpu) |"
  done
  echo
  echo "Rows per CPU second: avfit $avfit_rate, bare parse $bare_rate."
  echo
  echo "| acceptance | measured | limit | met |"
  echo "|---|---|---|---|"
  check "DuckDB / avfit, wall (pair median)" "$(fig duckdb ratio_wall)" ">=" 2
  check "DuckDB / avfit, CPU (pair median)" "$(fig duckdb ratio_cpu)" ">=" 2
  check "Python / avfit, wall (pair median)" "$(fig python ratio_wall)" ">=" 15
  check "avfit rows per CPU second" "$avfit_rate" ">=" 500000
  check "build F = $big, wall seconds" "$(wall "build-$big")" "<=" 10
  check "build F = $big, peak RSS MiB" "$(rss_mib "build-$big")" "<=" 256
  check "RSS(F = $big) / RSS(F = $small)" "$rss_ratio" "<" 2
  echo
  echo "Commands (F = 0.1 and 1.0; the conversion on the F = 1.0 bbox file):"
  echo
  echo '```sh'
  if [ "$has_synth" = 1 ]; then echo 'avfit synth --scale F --out in-F'; else echo 'python3 bench/gen_bbox.py in-F ROWS --sorted'; fi
  echo 'avfit build --manifest in-F/manifest.toml --out build-F --quiet'
  echo "avfit convert --source openimages --input BBOX --input CLASS_DESCRIPTIONS --out conv-avfit --templates T --quiet"
  echo "python3 bench/convert_python.py BBOX CLASS_DESCRIPTIONS conv-python.jsonl INSTRUCTION"
  echo "bench/.venv/bin/python bench/convert_duckdb.py BBOX CLASS_DESCRIPTIONS conv-duckdb.jsonl INSTRUCTION"
  echo '```'
  echo
  echo "BBOX = \`$(basename "$(dirname "$bbox")")/train-annotations-bbox.csv\`; T/arig.toml holds one template with INSTRUCTION = \"$instruction\""
  echo "----- >8 -----"
} > "$work/BENCHMARKS.block.md"
cat "$work/BENCHMARKS.block.md"
if [ "$missed" = 1 ] && [ -n "${STRICT:-}" ]; then exit 1; fi
