#!/usr/bin/env python3
"""Generate native AVE and LLP files of the same row count for bench/spec_bench.sh.

Usage: gen_spec_bench.py OUT_DIR ROWS [AVE_EVENTS]

Writes OUT_DIR/ave/Annotations.txt (header `Category&VideoID&Quality&StartTime&EndTime`, ROWS
event rows: per video two classes of the 28 AVE categories with AVE_EVENTS (default 2, at most 5)
disjoint, non-touching events each, so one IGATL record per AVE_EVENTS rows,
integer seconds of the 10 s video, all `good`) and OUT_DIR/llp/AVVP_eval_audio.csv and
AVVP_eval_visual.csv (TAB, header `filename onset offset event_labels`, ROWS/2 rows each: per clip
`<ytid>_<start>_<end>` two of the 25 AVVP classes with two disjoint one-second-grid events each,
the visual rows the same events so every label is visible: one sample per four rows). Video ids are distinct, 11
characters of [A-Za-z0-9_-]. Deterministic (seeded): the same arguments give the same bytes.
"""
import os
import random
import sys

AVE = ["Church bell", "Male speech, man speaking", "Bark", "Fixed-wing aircraft, airplane",
       "Race car, auto racing", "Female speech, woman speaking", "Helicopter", "Violin, fiddle",
       "Flute", "Ukulele", "Frying (food)", "Truck", "Shofar", "Motorcycle", "Acoustic guitar",
       "Train horn", "Clock", "Banjo", "Goat", "Baby cry, infant cry", "Bus", "Chainsaw", "Cat",
       "Horse", "Toilet flush", "Rodents, rats, mice", "Accordion", "Mandolin"]
LLP = ["Speech", "Car", "Cheering", "Dog", "Cat", "Frying_(food)", "Basketball_bounce",
       "Fire_alarm", "Chainsaw", "Cello", "Banjo", "Singing", "Chicken_rooster", "Violin_fiddle",
       "Vacuum_cleaner", "Baby_laughter", "Accordion", "Lawn_mower", "Motorcycle", "Helicopter",
       "Acoustic_guitar", "Telephone_bell_ringing", "Baby_cry_infant_cry", "Blender", "Clapping"]
ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def ytid(i, rng):
    """An 11-character id, distinct for each i: 5 random characters then i in base 64."""
    tail = ""
    for _ in range(6):
        tail = ALPHA[i % 64] + tail
        i //= 64
    return "".join(rng.choice(ALPHA) for _ in range(5)) + tail


def events(rng, k):
    """k (at most 5) disjoint, non-touching integer events [a, b) within 0..10: 2k distinct
    seconds, sorted, paired."""
    t = sorted(rng.sample(range(11), 2 * k))
    return list(zip(t[0::2], t[1::2]))


def main():
    out, rows = sys.argv[1], int(sys.argv[2])
    k = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    rng = random.Random(15)
    os.makedirs(f"{out}/ave", exist_ok=True)
    os.makedirs(f"{out}/llp", exist_ok=True)
    with open(f"{out}/ave/Annotations.txt", "w") as f:
        f.write("Category&VideoID&Quality&StartTime&EndTime\n")
        n, v = 0, 0
        while n < rows:
            vid = ytid(v, rng)
            v += 1
            for cat in rng.sample(AVE, 2):
                for s, e in events(rng, k):
                    if n < rows:
                        f.write(f"{cat}&{vid}&good&{s}&{e}\n")
                        n += 1
    half = rows // 2
    with open(f"{out}/llp/AVVP_eval_audio.csv", "w") as fa, \
            open(f"{out}/llp/AVVP_eval_visual.csv", "w") as fv:
        for f in (fa, fv):
            f.write("filename\tonset\toffset\tevent_labels\n")
        n, v = 0, 0
        while n < half:
            start = rng.randint(0, 300)
            clip = f"{ytid(v, rng)}_{start}_{start + 10}"
            v += 1
            for label in rng.sample(LLP, 2):
                for s, e in events(rng, 2):
                    if n < half:
                        fa.write(f"{clip}\t{s}\t{e}\t{label}\n")
                        fv.write(f"{clip}\t{s}\t{e}\t{label}\n")
                        n += 1


if __name__ == "__main__":
    main()
