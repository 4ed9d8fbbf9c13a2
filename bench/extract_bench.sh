#!/usr/bin/env bash
# Extraction benchmark (issue 13): `avfit media extract` against the loop users write, on
# N (default 200) generated 10 s videos: a VGG-SS corpus of N clips `<ytid>_000000`, each needing
# its frame at 5 s (JPEG) and its 10 s audio (16 kHz mono WAV), from whole videos `<ytid>.mp4`
# (320x240, 25 fps, H.264/AAC 44.1 kHz; one generated video, hard-linked under N names).
#
# The loop: per file, sequentially, `ffmpeg -i VIDEO -ss 5 -frames:v 1 FRAME` and
# `ffmpeg -i VIDEO -ss 0 -t 10 -ac 1 -ar 16000 WAV`. avfit: one process per video for both
# files, `--jobs` = cores. Both outputs are compared (same files, same WAV sample counts; frames
# compared byte for byte, which holds here because 5 s falls on a frame, where the loop's rule and
# avfit's agree).
#
# Usage (from the repository root): bench/extract_bench.sh [N]. Needs ffmpeg and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-200}"
WORK="${WORK:-target/extract-bench}"
cargo build --release --quiet
AVFIT="$PWD/target/release/avfit"
rm -rf "$WORK" && mkdir -p "$WORK/videos" "$WORK/vggss"
ffmpeg -hide_banner -loglevel error -f lavfi -i "testsrc2=s=320x240:r=25:d=10" \
  -f lavfi -i "sine=f=440:sample_rate=44100:d=10" -c:v libx264 -pix_fmt yuv420p -c:a aac \
  -shortest "$WORK/source.mp4"
python3 - "$N" "$WORK" <<'EOF'
import json, os, sys
n, work = int(sys.argv[1]), sys.argv[2]
ids = [f"bench{i:06d}"[:11] for i in range(n)]
for i in ids:
    os.link(f"{work}/source.mp4", f"{work}/videos/{i}.mp4")
json.dump([{"file": f"{i}_000000", "class": "dog barking", "bbox": [[0.25, 0.25, 0.75, 0.75]]} for i in ids],
          open(f"{work}/vggss/vggss.json", "w"))
EOF
"$AVFIT" convert --source vggss --input "$WORK/vggss" --out "$WORK/corpus" --quiet
"$AVFIT" media list "$WORK/corpus" --out "$WORK/list.csv" >/dev/null

# The loop users write, as a script of its own (the benchmark times it as a whole).
cat > "$WORK/loop.sh" <<'EOF'
#!/usr/bin/env bash
# loop.sh LIST VIDEOS OUT: one ffmpeg per frame and one per WAV, sequentially.
set -euo pipefail
list="$1"; videos="$2"; out="$3"
rm -rf "$out"
tail -n +2 "$list" | while IFS=, read -r path kind dataset ytid media_id start end frame file; do
  mkdir -p "$out/$(dirname "$path")"
  if [ "$kind" = image ]; then
    t=$(awk "BEGIN { print $start + $frame }")
    ffmpeg -nostdin -loglevel error -y -i "$videos/$ytid.mp4" -ss "$t" -frames:v 1 -q:v 2 "$out/$path"
  else
    d=$(awk "BEGIN { print $end - $start }")
    ffmpeg -nostdin -loglevel error -y -i "$videos/$ytid.mp4" -ss "$start" -t "$d" -ac 1 -ar 16000 \
      -c:a pcm_s16le -fflags +bitexact -flags:a +bitexact "$out/$path"
  fi
done
EOF
chmod +x "$WORK/loop.sh"
cat > "$WORK/avfit.sh" <<EOF
#!/usr/bin/env bash
rm -rf "$WORK/out-avfit" && exec "$AVFIT" media extract "$WORK/corpus" --videos "$WORK/videos" --out "$WORK/out-avfit" --quiet
EOF
chmod +x "$WORK/avfit.sh"

echo "== load before: $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s.%N); "$WORK/avfit.sh" >/dev/null; mid=$(date +%s.%N)
"$WORK/loop.sh" "$WORK/list.csv" "$WORK/videos" "$WORK/out-loop"; end=$(date +%s.%N)
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$WORK" "$start" "$mid" "$end" "$N" <<'EOF'
import os, sys, wave
work, start, mid, end, n = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
def files(d):
    return sorted(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs if not f.startswith("extract-report"))
a, b = files(f"{work}/out-avfit"), files(f"{work}/out-loop")
assert a == b, "different file sets"
same_frames = sum(open(f"{work}/out-avfit/{p}", "rb").read() == open(f"{work}/out-loop/{p}", "rb").read() for p in a if p.endswith(".jpg"))
for p in a:
    if p.endswith(".wav"):
        x, y = wave.open(f"{work}/out-avfit/{p}"), wave.open(f"{work}/out-loop/{p}")
        assert (x.getnframes(), x.getframerate(), x.getnchannels()) == (y.getnframes(), y.getframerate(), y.getnchannels()) == (160000, 16000, 1), p
t_avfit, t_loop = mid - start, end - mid
print(f"files: {len(a)} each ({n} frames, {n} WAVs of 160000 samples); frames byte-identical: {same_frames}/{n}")
print(f"avfit media extract: {t_avfit:.2f} s ({len(a)/t_avfit:.1f} files/s); loop: {t_loop:.2f} s ({len(a)/t_loop:.1f} files/s); speed-up {t_loop/t_avfit:.2f}x")
EOF
