#!/usr/bin/env python3
"""The Parquet conversion of an avfit corpus with pyarrow, for bench/export.sh:
pyarrow.json.read_json + pyarrow.parquet.write_table per shard, into OUT/<split>/<task>/<shard>.parquet
(pyarrow infers each shard's schema; the defaults of write_table).

Usage: export_pyarrow.py CORPUS_DIR OUT_DIR
"""
import json, os, sys
import pyarrow.json as pj
import pyarrow.parquet as pq


def main(corpus, out):
    manifest = json.load(open(os.path.join(corpus, "manifest.json")))
    for shard in sorted(s["path"] for s in manifest["shards"]):
        target = os.path.join(out, shard[: -len(".jsonl")] + ".parquet")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.getsize(os.path.join(corpus, shard)) == 0:
            continue
        pq.write_table(pj.read_json(os.path.join(corpus, shard)), target)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
