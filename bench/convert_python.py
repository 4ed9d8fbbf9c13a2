#!/usr/bin/env python3
"""The benchmark's conversion in plain Python (standard library only), as a data engineer would
write it: Open Images boxes -> one JSONL line per (image, class) with the meerkat answer.

Usage: convert_python.py BBOX_CSV CLASS_DESCRIPTIONS_CSV OUT_JSONL INSTRUCTION

Rules (the same as `avfit convert --source openimages`): rows of a MID absent from the class
descriptions and IsDepiction = 1 rows are left out; XMin/XMax/YMin/YMax must be finite numbers
within 1e-6 of [0, 1] (clamped to it) with x0 < x1 and y0 < y1; boxes of an image's class in
file order. Output line: {"image", "label", "instruction", "answer"}, answer
`[<Label>,x0,y0,x1,y1]` with 3 decimals, several joined by `; `.
"""
import csv
import json
import math
import sys

bbox_path, descriptions_path, out_path, instruction = sys.argv[1:5]

names = {}
with open(descriptions_path, newline="") as f:
    for row in csv.reader(f):
        if len(row) >= 2 and row[0].startswith("/"):
            names[row[0]] = row[1]


def number(text):
    try:
        v = float(text)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


groups = {}  # (image, mid) -> list of boxes, in first-appearance order (dicts keep it)
with open(bbox_path, newline="") as f:
    for row in csv.DictReader(f):
        mid = row.get("LabelName")
        if mid not in names or row.get("IsDepiction") == "1" or not row.get("ImageID"):
            continue
        x0, x1, y0, y1 = (number(row.get(k)) for k in ("XMin", "XMax", "YMin", "YMax"))
        if None in (x0, y0, x1, y1):
            continue
        if any(v < -1e-6 or v > 1 + 1e-6 for v in (x0, y0, x1, y1)):
            continue
        x0, y0, x1, y1 = (min(max(v, 0.0), 1.0) for v in (x0, y0, x1, y1))
        if x0 >= x1 or y0 >= y1:
            continue
        groups.setdefault((row["ImageID"], mid), []).append((x0, y0, x1, y1))

with open(out_path, "w") as out:
    for (image, mid), boxes in groups.items():
        label = names[mid]
        answer = "; ".join(f"[<{label}>,{x0:.3f},{y0:.3f},{x1:.3f},{y1:.3f}]" for x0, y0, x1, y1 in boxes)
        line = {"image": image, "label": label, "instruction": instruction, "answer": answer}
        out.write(json.dumps(line) + "\n")
