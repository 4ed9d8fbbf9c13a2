#!/usr/bin/env python3
"""The benchmark's conversion in DuckDB: one COPY (SELECT ... GROUP BY ...) TO ... (FORMAT JSON).

Usage: convert_duckdb.py BBOX_CSV CLASS_DESCRIPTIONS_CSV OUT_JSONL INSTRUCTION

Same rules and output fields as convert_python.py. Boxes of a group are aggregated in file order
(a row number taken over the scan, which DuckDB keeps in insertion order). Uses every core.
"""
import sys

import duckdb

bbox_path, descriptions_path, out_path, instruction = sys.argv[1:5]
con = duckdb.connect()
con.execute("SET preserve_insertion_order = true")
con.execute(
    """
COPY (
  WITH rows AS (
    SELECT row_number() OVER () AS line, ImageID, LabelName, IsDepiction,
           TRY_CAST(XMin AS DOUBLE) AS xmin, TRY_CAST(XMax AS DOUBLE) AS xmax,
           TRY_CAST(YMin AS DOUBLE) AS ymin, TRY_CAST(YMax AS DOUBLE) AS ymax
    FROM read_csv($bbox, header = true, all_varchar = true, null_padding = true)
  ),
  names AS (
    SELECT mid, name FROM read_csv($names, header = false, all_varchar = true,
                                   columns = {'mid': 'VARCHAR', 'name': 'VARCHAR'})
    WHERE starts_with(mid, '/')
  ),
  valid AS (
    SELECT line, ImageID AS image, n.mid AS mid, n.name AS label,
           greatest(least(xmin, 1.0), 0.0) AS x0, greatest(least(ymin, 1.0), 0.0) AS y0,
           greatest(least(xmax, 1.0), 0.0) AS x1, greatest(least(ymax, 1.0), 0.0) AS y1
    FROM rows JOIN names n ON rows.LabelName = n.mid
    WHERE coalesce(IsDepiction, '') <> '1' AND coalesce(ImageID, '') <> ''
      AND isfinite(xmin) AND isfinite(xmax) AND isfinite(ymin) AND isfinite(ymax)
      AND least(xmin, xmax, ymin, ymax) >= -1e-6 AND greatest(xmin, xmax, ymin, ymax) <= 1 + 1e-6
  )
  SELECT image, label, $instruction AS instruction,
         string_agg(printf('[<%s>,%.3f,%.3f,%.3f,%.3f]', label, x0, y0, x1, y1), '; ' ORDER BY line) AS answer
  FROM valid
  WHERE x0 < x1 AND y0 < y1
  GROUP BY image, mid, label
) TO $out (FORMAT JSON)
""".replace("$out", "'" + out_path.replace("'", "''") + "'"),
    {"bbox": bbox_path, "names": descriptions_path, "instruction": instruction},
)
