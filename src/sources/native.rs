//! Readers and id parsers shared by the adapters: JSON arrays, delimited text (CSV, TSV),
//! YouTube clip names and display labels. Format facts stay in each adapter; only the
//! mechanics that several formats share live here.
//!
//! Numbers: every reader gives the correctly rounded double of a decimal. JSON goes through
//! `serde_json` built with its `float_roundtrip` feature (Cargo.toml): its default parser can be
//! one ulp off (VGG-SS `0.9874999999999999` read as `0.9875`, issue 10); delimited text and XML
//! fields go through `str::parse::<f64>`, which is correctly rounded, or [`parse_decimal`], which
//! gives the same doubles quicker.

use super::{At, Collector, Source, SourceOptions};
use crate::error::{Error, Result};
use crate::reason::{Reason, Skip};
use crate::record::{Record, Split};
use crate::split::NativeSplit;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Reads JSON-array files whose split comes from their names (AVQA, MUSIC-AVQA, VALOR-32K), one
/// unit per element: counts each element read, skips every element of a file whose split `rule`
/// leaves out (`split_not_used`), rejects an element that cannot be read on its own (see
/// [`stream_json_array`]), and calls `each(file, at, element, split, out)` for the rest.
///
/// Errors: a file whose name has no split word (without `--split`), unreadable or invalid JSON,
/// and what `each` returns.
pub fn for_each_json_element<'f>(
    source: &dyn Source,
    files: impl IntoIterator<Item = &'f PathBuf>,
    options: &SourceOptions,
    out: &mut Collector,
    rule: fn(NativeSplit) -> Option<Split>,
    mut each: impl FnMut(&Path, At, &serde_json::Value, Split, &mut Collector) -> Result<()>,
) -> Result<()> {
    for path in files {
        let split = options.split_of_file(source, path, rule)?;
        stream_json_array(path, |index, element| {
            out.read(1);
            let at = At::Index(index);
            match (split, element) {
                (None, _) => {
                    out.skip(Skip::SplitNotUsed, 1);
                    Ok(())
                }
                (Some(_), Err((reason, detail))) => out.reject(path, at, reason, detail),
                (Some(split), Ok(item)) => each(path, at, &item, split, out),
            }
        })?;
    }
    Ok(())
}

/// [`for_each_json_element`] for sources whose elements each parse into one record or a reject
/// (AVQA, VALOR-32K): `parse(element, split)` gives the record or (reason, detail); the first
/// record of each key is emitted, later ones rejected `duplicate_row`.
///
/// Errors: as [`for_each_json_element`].
pub fn read_json_records(
    source: &dyn Source,
    files: &[PathBuf],
    options: &SourceOptions,
    out: &mut Collector,
    rule: fn(NativeSplit) -> Option<Split>,
    parse: impl Fn(&serde_json::Value, Split) -> std::result::Result<Record, (Reason, String)>,
) -> Result<()> {
    let mut emitted = HashSet::new();
    for_each_json_element(
        source,
        files,
        options,
        out,
        rule,
        |path, at, item, split, out| match parse(item, split) {
            Err((reason, detail)) => out.reject(path, at, reason, detail),
            Ok(record) => out.emit_unique(&mut emitted, record, path, at),
        },
    )
}

/// The trimmed string at `key` of a JSON object, when present and not empty.
pub fn json_text<'v>(item: &'v serde_json::Value, key: &str) -> Option<&'v str> {
    item.get(key)
        .and_then(serde_json::Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// One element of a JSON array as [`stream_json_array`] reads it: its value, or why this element
/// alone cannot be read while the file around it can (reason and detail, for a reject).
pub type JsonElement = std::result::Result<serde_json::Value, (Reason, String)>;

/// Reads a whole JSON file that must hold an array of records (VGG-SS), as
/// [`stream_json_array`] reads it: its elements in order.
///
/// Errors: as [`stream_json_array`].
pub fn read_json_array(path: &Path) -> Result<Vec<JsonElement>> {
    let mut elements = Vec::new();
    stream_json_array(path, |_, element| {
        elements.push(element);
        Ok(())
    })?;
    Ok(elements)
}

/// Streams the elements of a JSON file that must hold an array of records (AVQA, MUSIC-AVQA,
/// VALOR-32K, VGG-SS): `each(index, element)` for each element in order (0-based index), as it
/// is read, so memory holds one element at a time whatever the file's size.
///
/// A number beyond the range of a double (`1e400`, which serde_json refuses to read as infinity)
/// makes its element an `Err` (`non_finite_value`), not the whole file's error, and the elements
/// after it are still read; so does anything else serde_json accepts as syntax but cannot make a
/// value of (a lone surrogate escape, nesting deeper than 128 levels: `malformed_field`, with
/// serde_json's message). The file is read once, element by element, as values; only when such
/// an element stops that read is it read again from the start, each element taken first as its
/// raw text (which checks its syntax but reads no number) and then parsed on its own, the
/// elements already given passed over. So a file without such an element costs one parse, as
/// before.
///
/// Errors: unreadable file, invalid JSON (with line), a top-level value that is not an array, and
/// what `each` returns (the first error stops the read).
pub fn stream_json_array(path: &Path, mut each: impl FnMut(u64, JsonElement) -> Result<()>) -> Result<()> {
    let mut given = 0;
    match read_array(path, false, &mut given, &mut each) {
        Err(ReadError::Json(e)) if given_element_problem(&e) => {
            let mut again = 0;
            read_array(path, true, &mut again, &mut |index, element| {
                if index < given {
                    return Ok(());
                }
                each(index, element)
            })
            .map_err(|e| e.into_error(path))
        }
        read => read.map_err(|e| e.into_error(path)),
    }
}

/// serde_json's message for a number beyond the range of a double (before its position).
const NUMBER_OUT_OF_RANGE: &str = "number out of range";

/// Whether `e`, which stopped the read of an array as values, is the problem of one element that
/// the read by raw text rejects alone: a number out of range, a string escape serde_json's
/// syntax check accepts but its value cannot hold, or an element nested deeper than serde_json's
/// limit for a value (128 levels; the raw text's check has no limit, so such an element is
/// rejected on its own rather than stopping the file). Not bytes that are not UTF-8: the raw
/// read refuses them too, so reading again would only stop at the same place.
fn given_element_problem(e: &serde_json::Error) -> bool {
    let message = e.to_string();
    [
        NUMBER_OUT_OF_RANGE,
        "lone leading surrogate",
        "unexpected end of hex escape",
        "recursion limit exceeded",
    ]
    .iter()
    .any(|what| message.starts_with(what))
}

/// Why [`read_array`] stopped: the JSON (serde_json's error), or anything else (the file could
/// not be opened, or `each` failed), which is returned as it is.
enum ReadError {
    Json(serde_json::Error),
    Each(Error),
}

impl ReadError {
    fn into_error(self, path: &Path) -> Error {
        match self {
            // A data error reads "invalid type: map, expected a JSON array of records".
            ReadError::Json(e) => Error::json(path, None, &e),
            ReadError::Each(e) => e,
        }
    }
}

/// Reads the array of `path`, calling `each(index, element)` for each element and counting them
/// in `given`: as values (`raw` false: any element serde_json cannot read stops the read), or
/// each as raw text parsed on its own (`raw` true: such an element is given as an `Err`).
fn read_array(
    path: &Path,
    raw: bool,
    given: &mut u64,
    each: &mut dyn FnMut(u64, JsonElement) -> Result<()>,
) -> std::result::Result<(), ReadError> {
    use serde::de::{Deserializer, SeqAccess, Visitor};
    struct Elements<'a> {
        raw: bool,
        given: &'a mut u64,
        each: &'a mut dyn FnMut(u64, JsonElement) -> Result<()>,
        failed: Option<Error>,
    }
    impl<'de> Visitor<'de> for &mut Elements<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON array of records")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
            loop {
                let element = if self.raw {
                    match seq.next_element::<Box<serde_json::value::RawValue>>()? {
                        Some(text) => serde_json::from_str(text.get()).map_err(|e| element_problem(&e)),
                        None => return Ok(()),
                    }
                } else {
                    match seq.next_element::<serde_json::Value>()? {
                        Some(value) => Ok(value),
                        None => return Ok(()),
                    }
                };
                if let Err(e) = (self.each)(*self.given, element) {
                    self.failed = Some(e);
                    return Err(serde::de::Error::custom("stopped"));
                }
                *self.given += 1;
            }
        }
    }
    let file = std::fs::File::open(path).map_err(|e| ReadError::Each(Error::io(path, e)))?;
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(file));
    let mut elements = Elements {
        raw,
        given,
        each,
        failed: None,
    };
    let read = de.deserialize_seq(&mut elements).and_then(|()| de.end());
    if let Some(e) = elements.failed {
        return Err(ReadError::Each(e));
    }
    read.map_err(ReadError::Json)
}

/// The reason and detail of an array element whose raw text serde_json cannot make a value of:
/// its message without the position, which counts within the element, not the file.
fn element_problem(e: &serde_json::Error) -> (Reason, String) {
    let message = e.to_string();
    let what = message.split(" at line ").next().unwrap_or_default();
    if what == NUMBER_OUT_OF_RANGE {
        let detail = "a number beyond the range of a double (it would read as infinite)";
        (Reason::NonFiniteValue, detail.to_string())
    } else {
        (Reason::MalformedField, format!("the element cannot be read: {what}"))
    }
}

/// `text` as a number, exactly as `text.parse::<f64>().ok()` reads it (the correctly rounded
/// double of the decimal), quicker for the plain decimals that fill annotation files
/// (`0.148438`, `30.000`): at most 15 digits with at most one `.` among them. Such a decimal is
/// `m / 10^k` with `m < 10^15 < 2^53` and `k <= 15`, both exact doubles, and IEEE division rounds
/// the exact quotient correctly (Clinger's fast path, which `str::parse` also takes after its
/// general scan). Any other text goes to `str::parse`.
pub fn parse_decimal(text: &str) -> Option<f64> {
    /// 10^k for k in 0..=15, each an exact double.
    const POWERS_OF_TEN: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let bytes = text.as_bytes();
    if (1..=16).contains(&bytes.len()) {
        let (mut mantissa, mut digits, mut point) = (0u64, 0usize, None);
        for (at, &b) in bytes.iter().enumerate() {
            match b {
                b'0'..=b'9' => {
                    mantissa = mantissa * 10 + u64::from(b - b'0');
                    digits += 1;
                }
                b'.' if point.is_none() => point = Some(at),
                _ => return text.parse().ok(),
            }
        }
        if (1..=15).contains(&digits) {
            let decimals = point.map_or(0, |at| bytes.len() - at - 1);
            return Some(mantissa as f64 / POWERS_OF_TEN[decimals]);
        }
    }
    text.parse().ok()
}

/// Reads labels as people read them: underscores become spaces (`Frying_(food)` → `Frying (food)`).
pub fn display_label(native: &str) -> String {
    native.trim().replace('_', " ")
}

/// Whether `id` can be a YouTube video id: 1 to 11 characters of `A-Z a-z 0-9 - _`. Ids are
/// 11 characters, but real annotation files hold shorter ones (LLP's `CSWQ_HzQ_10_20`), so only
/// the alphabet and the upper bound are enforced; a path, a space or a quote is never an id.
pub fn is_youtube_id(id: &str) -> bool {
    (1..=11).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Parses `<ytid>_<start>_<end>` from the right (LLP `KSRjje7GH44_60_70`, VALOR
/// `Agi5ySKb1tY_23.700_33.700`): the YouTube id and the window in seconds. YouTube ids may
/// contain `_` and `-`, so the id is whatever stands before the last two underscores.
/// `None` unless the id is a YouTube id and `0 <= start < end` are finite numbers.
pub fn youtube_clip_window(clip: &str) -> Option<(&str, f64, f64)> {
    let mut parts = clip.rsplitn(3, '_');
    let end = parse_decimal(parts.next()?)?;
    let start = parse_decimal(parts.next()?)?;
    let yt = parts.next()?;
    (is_youtube_id(yt) && start.is_finite() && end.is_finite() && 0.0 <= start && start < end)
        .then_some((yt, start, end))
}

/// A delimited text file being read, its line endings made `\n` (see [`UnixLines`]).
pub type DelimitedReader = csv::Reader<UnixLines<std::fs::File>>;

/// How avfit's readers read delimited text (the serial read and each chunk of a chunked one,
/// [`super::chunked`]): `delimiter`, `quoting` (`"` quotes a field), `has_headers`, rows of any
/// length (`flexible`), csv's defaults otherwise (double quotes `""`, no escape, no comment
/// character, CRLF terminator).
pub fn delimited_builder(delimiter: u8, quoting: bool, has_headers: bool) -> csv::ReaderBuilder {
    let mut builder = csv::ReaderBuilder::new();
    builder
        .delimiter(delimiter)
        .quoting(quoting)
        .has_headers(has_headers)
        .flexible(true);
    builder
}

/// Opens a delimited text file ([`delimited_builder`]): `delimiter` `b','` or `b'\t'`; `quoting` off for files that never
/// quote (AVVP's TSVs, where a stray `"` must stay a character); rows may differ in length. CRLF
/// and CR-only line endings are read as LF, so that line numbers count every ending.
///
/// Errors: the file cannot be opened.
pub fn delimited_reader(path: &Path, delimiter: u8, quoting: bool, has_headers: bool) -> Result<DelimitedReader> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    Ok(
        delimited_builder(delimiter, quoting, has_headers).from_reader(UnixLines {
            inner: file,
            after_cr: false,
        }),
    )
}

/// A reader that turns CRLF and lone CR line endings into LF. The `csv` crate counts lines by
/// LF and misnumbers CRLF files by one; Open Images copies with CR-only endings exist.
pub struct UnixLines<R> {
    inner: R,
    after_cr: bool,
}

impl<R> UnixLines<R> {
    /// Reads `inner` with its line endings made LF.
    pub fn new(inner: R) -> Self {
        UnixLines { inner, after_cr: false }
    }
}

impl<R: std::io::Read> std::io::Read for UnixLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = self.inner.read(buf)?;
            if n == 0 {
                return Ok(0);
            }
            if !self.after_cr && !buf[..n].contains(&b'\r') {
                return Ok(n); // the common case: no CR at all (a vectorized search)
            }
            let mut w = 0;
            for i in 0..n {
                let b = buf[i];
                if std::mem::take(&mut self.after_cr) && b == b'\n' {
                    continue; // the LF of a CRLF, already written as the CR's LF
                }
                self.after_cr = b == b'\r';
                buf[w] = if self.after_cr { b'\n' } else { b };
                w += 1;
            }
            if w > 0 {
                return Ok(w);
            }
        }
    }
}

/// The header row of `reader` (opened with headers), as text.
///
/// Errors: the header cannot be read or is not UTF-8, with the path and line 1.
pub fn header_row(path: &Path, reader: &mut DelimitedReader) -> Result<csv::StringRecord> {
    let mut headers = reader
        .headers()
        .cloned()
        .map_err(|e| Error::input(path, Some(1), e.to_string()))?;
    headers.trim();
    Ok(headers)
}

/// Reads the next row of `reader` into `bytes` with every field trimmed of ASCII whitespace (as
/// `csv::Trim::All` would, but without rebuilding rows that need no trimming: most rows).
/// Returns false at the end.
///
/// Errors: an I/O error or a CSV error, with the path and line.
pub fn read_trimmed_row<R: std::io::Read>(
    path: &Path,
    reader: &mut csv::Reader<R>,
    bytes: &mut csv::ByteRecord,
) -> Result<bool> {
    let more = reader
        .read_byte_record(bytes)
        .map_err(|e| Error::input(path, e.position().map(|p| p.line()), e.to_string()))?;
    if more {
        trim_fields(bytes);
    }
    Ok(more)
}

/// Trims every field of `bytes` of ASCII whitespace (as `csv::Trim::All`), rebuilding the row
/// only when a field needs it (most rows do not). Returns whether it did.
pub fn trim_fields(bytes: &mut csv::ByteRecord) -> bool {
    let padded =
        |f: &[u8]| f.first().is_some_and(u8::is_ascii_whitespace) || f.last().is_some_and(u8::is_ascii_whitespace);
    let padded = bytes.iter().any(padded);
    if padded {
        bytes.trim();
    }
    padded
}

/// Streams the data rows of `reader`, calling `on_row(line, row)` with each row's 1-based line
/// and its fields, or with the reason the row is not text (invalid UTF-8: a `malformed_field`
/// reject for the caller, never a stop).
///
/// Errors: what `on_row` returns, and I/O errors, with the path and line.
pub fn for_each_row<R: std::io::Read>(
    path: &Path,
    reader: &mut csv::Reader<R>,
    mut on_row: impl FnMut(u64, std::result::Result<&csv::StringRecord, String>) -> Result<()>,
) -> Result<()> {
    let mut bytes = csv::ByteRecord::new();
    loop {
        if !read_trimmed_row(path, reader, &mut bytes)? {
            return Ok(());
        }
        let line = bytes.position().map(|p| p.line()).unwrap_or(0);
        // The row's buffer goes into the StringRecord and back, never copied.
        bytes = match csv::StringRecord::from_byte_record(std::mem::take(&mut bytes)) {
            Ok(row) => {
                on_row(line, Ok(&row))?;
                row.into_byte_record()
            }
            Err(e) => {
                on_row(line, Err(format!("not UTF-8 text: {e}")))?;
                e.into_byte_record()
            }
        };
    }
}

/// Digits of the start second in a `<ytid>_<NNNNNN>` clip name (VGGSound, VGG-SS, AVQA; FORMATS.md
/// "Ids"): always six, zero-padded.
pub const CLIP_START_DIGITS: usize = 6;

/// Parses a VGGSound-style clip name `<ytid>_<NNNNNN>` (VGGSound's file names, VGG-SS `file`, AVQA
/// `video_name`): the YouTube id and the clip's start in whole seconds. The start is exactly
/// [`CLIP_START_DIGITS`] digits after the last underscore, so `YBd5lEnpT_8` (an id without its
/// start) is not read as `YBd5lEnpT` from second 8, while `YBd5lEnpT_8_000000` is `YBd5lEnpT_8`
/// from second 0. `None` unless the start has six digits and the rest [`is_youtube_id`].
/// (AVSBench MS3's `<ytid>_<n>` is another convention, parsed by its adapter.)
pub fn youtube_clip_start(clip: &str) -> Option<(&str, u32)> {
    let (yt, start) = clip.rsplit_once('_')?;
    let six = start.len() == CLIP_START_DIGITS && start.bytes().all(|b| b.is_ascii_digit());
    (six && is_youtube_id(yt)).then(|| (yt, start.parse().expect("six ASCII digits fit a u32")))
}

/// The YouTube id of a `<ytid>_<NNNNNN>` clip name, as [`youtube_clip_start`]; `None` when the
/// name is not one.
pub fn youtube_id_of_clip(clip: &str) -> Option<&str> {
    youtube_clip_start(clip).map(|(yt, _)| yt)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `parse_decimal` gives `str::parse`'s double, bit for bit, on the decimals of the fast path
    /// (random digits around a random point, 1 to 16 characters), on texts next to it and on
    /// texts it hands on.
    #[test]
    fn parse_decimal_is_str_parse() {
        let same = |text: &str| {
            let want = text.parse::<f64>().ok().map(f64::to_bits);
            assert_eq!(parse_decimal(text).map(f64::to_bits), want, "{text:?}");
        };
        for text in [
            "0",
            "0.0",
            "1",
            "1.",
            ".5",
            ".",
            "",
            "0.148438",
            "30.000",
            "0.1",
            "0.3",
            "0.999999",
            "1.000000",
            "000000000000001",
            "999999999999999",
            "99999999999999.9",
            ".999999999999999",
            "9999999999999999",
            "0.9999999999999999",
            "1e3",
            "-0.5",
            "+0.5",
            " 0.5",
            "0.5 ",
            "1..0",
            "0.1.2",
            "inf",
            "NaN",
            "12345678901234567890",
            "0.12345678901234567",
        ] {
            same(text);
        }
        assert_eq!(parse_decimal("0.148438"), Some(0.148438));
        assert_eq!(parse_decimal(".5"), Some(0.5));
        assert_eq!(parse_decimal("1."), Some(1.0));
        assert_eq!(parse_decimal("."), None);
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for _ in 0..2_000_000 {
            let length = rng.gen_range(1..=17);
            let mut text: String = (0..length).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect();
            if rng.gen_bool(0.9) {
                text.insert(rng.gen_range(0..=length), '.');
            }
            same(&text);
        }
    }

    /// Texts at the edges of `parse_decimal`'s fast path read as `str::parse` reads them: 15
    /// digits with leading zeros (fast), 16 and 17 characters (handed on), a point at either end,
    /// a sign, an underscore, Unicode digits and spaces (handed on and refused as `str::parse`
    /// refuses them), and the largest 15-digit mantissas.
    #[test]
    fn parse_decimal_edges_are_str_parse() {
        for (text, want) in [
            ("0.000000000000001", Some(1e-15)),
            ("0.00000000000001", Some(1e-14)),
            ("00000000000000.5", Some(0.5)),
            ("000000000000000", Some(0.0)),
            ("0000000000000000", Some(0.0)),
            ("999999999999999.", Some(999_999_999_999_999.0)),
            (".999999999999999", Some(0.999_999_999_999_999)),
            ("9007199254740993", Some(9_007_199_254_740_992.0)),
            ("1.", Some(1.0)),
            (".5", Some(0.5)),
            ("+1", Some(1.0)),
            ("-0", Some(-0.0)),
            ("1_0", None),
            ("\u{0661}", None),
            ("\u{FF11}.5", None),
            ("1 ", None),
            ("..", None),
            ("1e", None),
        ] {
            let got = parse_decimal(text);
            assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits), "{text:?}");
            assert_eq!(
                got.map(f64::to_bits),
                text.parse::<f64>().ok().map(f64::to_bits),
                "{text:?}"
            );
        }
    }

    #[test]
    fn clip_ids_parse_from_the_right() {
        assert_eq!(
            youtube_clip_window("KSRjje7GH44_60_70"),
            Some(("KSRjje7GH44", 60.0, 70.0))
        );
        assert_eq!(
            youtube_clip_window("9_jO5lSk-og_30_40"),
            Some(("9_jO5lSk-og", 30.0, 40.0))
        );
        assert_eq!(
            youtube_clip_window("_abc_def_gh_1.500_11.500"),
            Some(("_abc_def_gh", 1.5, 11.5))
        );
        assert_eq!(youtube_clip_window("Blender"), None);
        assert_eq!(youtube_clip_window("nan_nan_nan"), None);
        assert_eq!(youtube_clip_window("xxxxxxxxxxx_5.000_1.000"), None);
        assert_eq!(youtube_clip_window("CSWQ_HzQ_10_20"), Some(("CSWQ_HzQ", 10.0, 20.0)));
        assert_eq!(youtube_clip_window("yy/../../etc_0_10"), None);
        assert_eq!(youtube_clip_window("KvIjsmANkxI_10_20`"), None);
        assert_eq!(youtube_id_of_clip("-HG3Omg_89c_000030"), Some("-HG3Omg_89c"));
        assert_eq!(youtube_id_of_clip("zpWuikVorYg_000032"), Some("zpWuikVorYg"));
        assert_eq!(youtube_id_of_clip("zpWuikVorYg"), None);
        assert_eq!(youtube_id_of_clip("yy/../../etc_000009"), None);
    }

    #[test]
    fn clip_starts_have_exactly_six_digits() {
        assert_eq!(youtube_clip_start("YBd5lEnpT_8"), None);
        assert_eq!(youtube_clip_start("rq5RDUm2Hnk_1"), None);
        assert_eq!(youtube_clip_start("zpWuikVorYg_0000320"), None);
        assert_eq!(youtube_clip_start("zpWuikVorYg_00003a"), None);
        assert_eq!(youtube_clip_start("zpWuikVorYg_+00032"), None);
        assert_eq!(youtube_clip_start("_000030"), None);
        assert_eq!(youtube_clip_start("YBd5lEnpT_8_000000"), Some(("YBd5lEnpT_8", 0)));
        assert_eq!(youtube_clip_start("-HG3Omg_89c_000030"), Some(("-HG3Omg_89c", 30)));
        assert_eq!(youtube_clip_start("zpWuikVorYg_999999"), Some(("zpWuikVorYg", 999_999)));
    }

    #[test]
    fn line_endings_become_lf() {
        use std::io::Read;
        for (input, expected) in [
            ("a\r\nb\r\n", "a\nb\n"),
            ("a\rb\r", "a\nb\n"),
            ("a\nb", "a\nb"),
            ("a\r\r\nb", "a\n\nb"),
        ] {
            let mut out = String::new();
            UnixLines {
                inner: input.as_bytes(),
                after_cr: false,
            }
            .read_to_string(&mut out)
            .unwrap();
            assert_eq!(out, expected, "{input:?}");
        }
    }

    #[test]
    fn labels_read_underscores_as_spaces() {
        assert_eq!(display_label("Frying_(food)"), "Frying (food)");
        assert_eq!(display_label("playing_acoustic_guitar"), "playing acoustic guitar");
    }
}
