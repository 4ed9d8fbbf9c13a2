//! bare_parse BBOX_CSV: reads an Open Images `*-annotations-bbox.csv` (comma, header) with the
//! `csv` crate and prints one JSON object per data row to stdout,
//! `{"image":..,"label":..,"box":[xmin,ymin,xmax,ymax]}`: the rows per CPU second a bare parse
//! and print reaches, the yardstick for `avfit convert --source openimages` (issue 17). No
//! filtering, grouping or checks; a row without the columns or with a non-number coordinate is
//! printed with nulls (a field that is not UTF-8 as empty; rows may differ in length). Exits 2 on a missing argument, 1 on an unreadable file or CSV error.
use std::io::Write;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: bare_parse BBOX_CSV");
        std::process::exit(2);
    };
    if let Err(e) = run(&path) {
        eprintln!("bare_parse: {path}: {e}");
        std::process::exit(1);
    }
}

fn run(path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(path)?;
    let headers = reader.headers()?.clone();
    let col = |n: &str| headers.iter().position(|h| h == n);
    let cols = [col("ImageID"), col("LabelName"), col("XMin"), col("YMin"), col("XMax"), col("YMax")];
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut row = csv::ByteRecord::new();
    let mut rows = 0u64;
    while reader.read_byte_record(&mut row)? {
        let text = |c: Option<usize>| {
            c.and_then(|c| row.get(c))
                .and_then(|f| std::str::from_utf8(f).ok())
                .unwrap_or_default()
        };
        let num = |c: Option<usize>| text(c).parse::<f64>().ok();
        let line = serde_json::json!({
            "image": text(cols[0]),
            "label": text(cols[1]),
            "box": [num(cols[2]), num(cols[3]), num(cols[4]), num(cols[5])],
        });
        serde_json::to_writer(&mut out, &line)?;
        out.write_all(b"\n")?;
        rows += 1;
    }
    out.flush()?;
    eprintln!("{rows} rows");
    Ok(())
}
