#!/usr/bin/env python3
"""Checks that the three conversions of the benchmark agree: the same multiset of
(image, label, answer) triples, and the fixed instruction on every line.

Usage: compare_outputs.py INSTRUCTION AVFIT_OUT_DIR PYTHON_JSONL DUCKDB_JSONL
Exit 1 with the first differences when they do not.
"""
import glob
import json
import os
import sys

instruction, avfit_dir, python_jsonl, duckdb_jsonl = sys.argv[1:5]


def triples(lines, pick):
    found = []
    for line in lines:
        record = json.loads(line)
        image, label, answer, text = pick(record)
        if text != instruction:
            sys.exit(f"unexpected instruction {text!r} in {record}")
        found.append((image, label, answer))
    return sorted(found)


def read_lines(paths):
    for path in paths:
        with open(path) as f:
            yield from f


shards = sorted(glob.glob(os.path.join(avfit_dir, "*", "arig", "openimages-*.jsonl")))
if not shards:
    sys.exit(f"no openimages shards under {avfit_dir}")
sets = {
    "avfit": triples(
        read_lines(shards),
        lambda r: (r["groups"][0].removeprefix("oi:"), r["target"]["label"], r["answer"], r["instruction"]),
    ),
    "python": triples(read_lines([python_jsonl]), lambda r: (r["image"], r["label"], r["answer"], r["instruction"])),
    "duckdb": triples(read_lines([duckdb_jsonl]), lambda r: (r["image"], r["label"], r["answer"], r["instruction"])),
}
reference = sets["avfit"]
failed = False
for name, found in sets.items():
    if found != reference:
        failed = True
        a, b = set(reference), set(found)
        print(f"MISMATCH avfit ({len(reference)} lines) vs {name} ({len(found)} lines)", file=sys.stderr)
        for t in sorted(a - b)[:5]:
            print(f"  only in avfit: {t}", file=sys.stderr)
        for t in sorted(b - a)[:5]:
            print(f"  only in {name}: {t}", file=sys.stderr)
if failed:
    sys.exit(1)
print(f"outputs agree: {len(reference)} (image, label, answer) triples in each")
