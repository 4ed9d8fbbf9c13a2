#!/usr/bin/env python3
"""The LLaMA-Factory conversion of an avfit corpus done plainly in Python, for bench/export.sh:
json.loads + json.dumps per line, one avfit_<task>_<split>.jsonl per (task, split) with image and
audio placeholders, the same lines `avfit export --format llamafactory` writes (no checksum
check, no skipped.jsonl, no dataset_info.json: the least the conversion needs).

Usage: export_llamafactory.py CORPUS_DIR OUT_DIR
"""
import json, os, sys

TASKS = ["arig", "igatl", "avfc", "avqa", "avc"]


def main(corpus, out):
    manifest = json.load(open(os.path.join(corpus, "manifest.json")))
    paths = sorted(s["path"] for s in manifest["shards"])
    os.makedirs(out, exist_ok=True)
    for task in TASKS:
        for split in ["train", "test"]:
            shards = [p for p in paths if p.startswith(f"{split}/{task}/")]
            if not shards:
                continue
            with open(os.path.join(out, f"avfit_{task}_{split}.jsonl"), "w", encoding="utf-8") as w:
                for rel in shards:
                    with open(os.path.join(corpus, rel), encoding="utf-8") as r:
                        for line in r:
                            s = json.loads(line)
                            user, row = "", {}
                            for kind, key, token in (("image", "images", "<image>"), ("audio", "audios", "<audio>")):
                                if s[kind] is not None:
                                    user += token
                                    row[key] = [s[kind]]
                            user += s["instruction"]
                            if s["input"]:
                                user += "\n" + s["input"]
                            line_out = {"messages": [{"role": "user", "content": user},
                                                     {"role": "assistant", "content": s["answer"]}]}
                            if "images" in row:
                                line_out["images"] = row["images"]
                            if "audios" in row:
                                line_out["audios"] = row["audios"]
                            w.write(json.dumps(line_out, ensure_ascii=False, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
