#!/usr/bin/env bash
# Speed of `avfit eval` (issue 14): scores 500k ARIG predictions and 50k captioning clips (1-5
# references each; METEOR left out with --no-meteor: the jar's start alone takes seconds) on
# generated corpora, each timed separately. Acceptance: each under 10 s on this machine.
# Usage (repository root): bench/eval_bench.sh   (writes under target/eval-bench/)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
dir=target/eval-bench
rm -rf "$dir" && mkdir -p "$dir"
python3 - "$dir" <<'PY'
import json, os, random, sys
root = sys.argv[1]
rng = random.Random(14)
def sample(i, task, source, media, answer, target):
    return {"id": f"{source}/k{i}/{task}", "task": task, "source": source, "split": "test",
            "image": f"{source}/frames/{media}.jpg", "audio": f"{source}/audios/{media}.wav", "video": None,
            "groups": [f"yt:{media}"], "instruction": "i", "input": "", "answer": answer,
            "template": f"{task}/t", "target": target}
for name, task, source in [("arig", "arig", "vggss"), ("avc", "avc", "valor")]:
    corpus = os.path.join(root, name)
    os.makedirs(os.path.join(corpus, "test", task))
    json.dump({"schema_version": 1, "dialect": "meerkat"}, open(os.path.join(corpus, "manifest.json"), "w"))
    shard = open(os.path.join(corpus, "test", task, f"{source}-00000-of-00001.jsonl"), "w")
    preds = open(os.path.join(root, f"{name}.jsonl"), "w")
    if task == "arig":
        for i in range(500_000):
            x0, y0 = rng.random() * 0.5, rng.random() * 0.5
            b = [x0, y0, x0 + 0.1 + rng.random() * 0.4, y0 + 0.1 + rng.random() * 0.4]
            ans = "[<dog>," + ",".join(f"{v:.3f}" for v in b) + "]"
            s = sample(i, task, source, f"m{i}", ans, {"label": "dog", "boxes": [b]})
            shard.write(json.dumps(s) + "\n")
            p = [min(1, max(0, v + rng.uniform(-0.1, 0.1))) for v in b]
            preds.write(json.dumps({"id": s["id"], "prediction": "It is at [<dog>," + ",".join(f"{v:.3f}" for v in p) + "]."}) + "\n")
    else:
        words = "a the man woman dog cat car bird child music plays sings barks talks on in with while and room outside grass red loud piano guitar drum engine roars".split()
        sent = lambda: " ".join(rng.choice(words) for _ in range(rng.randint(4, 16))).capitalize() + "."
        i = 0
        for clip in range(50_000):
            for r in range(rng.randint(1, 5)):
                s = sample(i, task, source, f"c{clip}", (c := sent()), {"caption": c})
                shard.write(json.dumps(s) + "\n")
                if r == 0:
                    preds.write(json.dumps({"id": s["id"], "prediction": sent()}) + "\n")
                i += 1
PY
for name in arig avc; do
  /usr/bin/time -f "$name: %e s wall, %M KiB max RSS" target/release/avfit eval "$dir/$name" \
    --predictions "$dir/$name.jsonl" --no-meteor --json "$dir/$name-eval.json" > "$dir/$name-table.txt"
  head -3 "$dir/$name-table.txt"
done
