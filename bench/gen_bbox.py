#!/usr/bin/env python3
"""Writes native-format Open Images and VGGSound files for the memory benchmark.

Usage: gen_bbox.py OUT_DIR ROWS
OUT_DIR/oi/train-annotations-bbox.csv gets ROWS box rows (V6 layout, 13 columns) over ROWS/4
images, 80% of them of classes in manifests/classes.toml; OUT_DIR/oi/class-descriptions-boxable.csv
and OUT_DIR/vggsound.csv (20,000 clips) complete the inputs of `avfit convert --source
openimages_vggsound`. Deterministic (seeded).
"""
import os, random, sys, tomllib

out, rows = sys.argv[1], int(sys.argv[2])
here = os.path.dirname(os.path.abspath(__file__))
classes = tomllib.load(open(os.path.join(here, "..", "manifests", "classes.toml"), "rb"))["class"]
mapped = [(c["openimages"], c["name"], c["vggsound"]) for c in classes if c["vggsound"]]
rng = random.Random(7)
os.makedirs(os.path.join(out, "oi"), exist_ok=True)
with open(os.path.join(out, "oi", "class-descriptions-boxable.csv"), "w") as f:
    for mid, name, _ in mapped:
        f.write(f"{mid},{name}\n")
    f.write("/m/04bcr3,Table\n")
with open(os.path.join(out, "oi", "train-annotations-bbox.csv"), "w") as f:
    f.write("ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside\n")
    images = max(1, rows // 4)
    for i in range(rows):
        image = f"{(i * 2654435761) % images:016x}"
        mid = mapped[rng.randrange(len(mapped))][0] if rng.random() < 0.8 else "/m/04bcr3"
        x0, y0 = rng.random() * 0.5, rng.random() * 0.5
        x1, y1 = x0 + 0.01 + rng.random() * 0.49, y0 + 0.01 + rng.random() * 0.49
        f.write(f"{image},xclick,{mid},1,{x0:.6f},{x1:.6f},{y0:.6f},{y1:.6f},0,0,0,0,0\n")
with open(os.path.join(out, "vggsound.csv"), "w") as f:
    for i in range(20000):
        label = mapped[rng.randrange(len(mapped))][2][0]
        label = f'"{label}"' if "," in label else label
        f.write(f"v{i:010d},{rng.randrange(300)},{label},train\n")
