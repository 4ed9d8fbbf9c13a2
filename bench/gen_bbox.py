#!/usr/bin/env python3
"""Writes native-format Open Images and VGGSound files for the memory benchmark.

Usage: gen_bbox.py OUT_DIR ROWS [--sorted]
OUT_DIR/oi/train-annotations-bbox.csv gets ROWS box rows (V6 layout, 13 columns) over ROWS/4
images, 80% of them of classes in manifests/classes.toml; OUT_DIR/oi/class-descriptions-boxable.csv
and OUT_DIR/vggsound.csv (20,000 clips) complete the inputs of `avfit convert --source
openimages_vggsound`. Deterministic (seeded).
With --sorted the rows are sorted by ImageID as Open Images distributes them (what `avfit convert
--source openimages` needs), 1 to 7 rows per image, and about 1% of them are invalid (reversed
or out-of-range boxes, a non-number) and 2% depictions.
"""
import os, random, sys, tomllib

out, rows = sys.argv[1], int(sys.argv[2])
in_order = "--sorted" in sys.argv[3:]
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
    if in_order:
        written, image = 0, 0
        while written < rows:
            for _ in range(min(rng.randint(1, 7), rows - written)):
                mid = mapped[rng.randrange(len(mapped))][0] if rng.random() < 0.8 else "/m/04bcr3"
                x0, y0 = rng.random() * 0.5, rng.random() * 0.5
                x1, y1 = x0 + 0.01 + rng.random() * 0.49, y0 + 0.01 + rng.random() * 0.49
                xmin, xmax, ymin, ymax = f"{x0:.6f}", f"{x1:.6f}", f"{y0:.6f}", f"{y1:.6f}"
                quirk, depiction = rng.random(), int(rng.random() < 0.02)
                if quirk < 0.004:
                    xmin, xmax = xmax, xmin
                elif quirk < 0.008:
                    ymax = "1.5"
                elif quirk < 0.01:
                    xmin = "n/a"
                f.write(f"{image:016x},xclick,{mid},1,{xmin},{xmax},{ymin},{ymax},0,0,0,{depiction},0\n")
                written += 1
            image += 1
    for i in range(0 if in_order else rows):
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
