//! Parallel reading of large delimited files: the file is cut into chunks of whole records, each
//! chunk is parsed on rayon's global pool, and the results are handed back in file order, so what
//! a reader does with them (and the output) is the same for any number of threads.
//!
//! Cuts ([`Records`]): each chunk starts at a record boundary (the header's end, then the previous
//! cut) and ends at the last record end in its window of bytes.
//! - Line formats read without a CSV parser ([`for_each_line`]): every `\n` ends a record.
//! - Delimited files read with the csv crate ([`for_each_chunk`], [`for_each_delimited_row`]):
//!   the cut is where the serial reader ([`super::for_each_row`], csv/csv_core with `flexible`,
//!   double quotes `""`, no escape character, no comment character, terminator CRLF) ends a
//!   record. The window is scanned forward from the chunk's start in csv_core's reader states
//!   (csv-core 0.1, `reader.rs`, `NfaState`): a `"` opens a quoted field only at the start of a
//!   field, so a `"` inside an unquoted field (`ab"c`) is a character and not a quote; inside a
//!   quoted field `""` is a quote and any other byte, line ends included, is text; after the
//!   closing quote, more characters continue the field unquoted. A record ends at the `\r` or `\n`
//!   that ends its last field (the `\n` of a CRLF is left to the next record, as csv_core does);
//!   a line end at a record's start is a blank line, which csv_core skips, and is never a cut, so
//!   blank lines go with the record after them and that record keeps the line number the serial
//!   read gives it (the line after the previous record). The callers' readers make CRLF and CR
//!   line ends `\n` first ([`super::UnixLines`]) as the serial reader does; the scan follows
//!   csv_core on the raw endings too. A window without `"` (or read with quoting off) is cut at
//!   its last record end found backwards from its end, without scanning. A record longer than the
//!   window doubles the window, and the scan goes on from where it stopped (its state is kept),
//!   so every byte is scanned once. (Counting quotes for parity, RFC 4180, is not what csv_core
//!   does: after a stray quote in an unquoted field it cut inside a quoted field.)
//!
//! Rows in place ([`Chunk::for_each_row`]): a chunk with no `"` is split at its delimiters and
//! line ends here rather than by csv, whose reader copies every field into a record (a sixth of the
//! Open Images conversion's CPU went to csv_core and trimming the copies); csv splits such bytes
//! the same way, which a test checks on 20,000 random chunks. Any other chunk is read by csv. Such
//! a chunk is checked as UTF-8 once (its rows then carry `&str` fields, [`TextRow`]), and its
//! delimiters and line ends are found sixteen bytes at a time ([`for_each_separator`]).
//!
//! Line numbers: every chunk knows the 1-based line of its first byte (the newlines before it),
//! so errors and rejects name the same lines as a serial read.
//!
//! Memory: about `(2 x threads + 2)` chunks in flight with their parsed results.

use crate::error::{Error, Result};
use std::collections::VecDeque;
use std::io::Read;
use std::path::Path;

/// Default bytes per chunk.
pub const DEFAULT_CHUNK_BYTES: usize = 1 << 20;

/// Bytes per chunk: `AVFIT_READ_CHUNK_BYTES` when set to a positive number (tests set a few
/// hundred bytes to cut small files into many chunks), else [`DEFAULT_CHUNK_BYTES`].
pub fn chunk_bytes() -> usize {
    positive_from_env("AVFIT_READ_CHUNK_BYTES", DEFAULT_CHUNK_BYTES)
}

/// The positive whole number in environment variable `name` (a size knob the tests turn), else
/// `default`. A value that is set but not a positive whole number (`abc`, `0`, `-1`) is not used:
/// a warning naming the variable, its value and the default used goes to stderr, once per
/// variable and process.
pub fn positive_from_env(name: &'static str, default: usize) -> usize {
    let (value, warning) = positive_knob(name, std::env::var(name).ok().as_deref(), default);
    if let Some(warning) = warning {
        static WARNED: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
        let mut warned = WARNED.lock().unwrap_or_else(|e| e.into_inner());
        if !warned.contains(&name) {
            warned.push(name);
            eprintln!("{warning}");
        }
    }
    value
}

/// [`positive_from_env`]'s rule for the value `set` of knob `name`: the number to use, and the
/// warning to print when `set` is there but not a positive whole number.
fn positive_knob(name: &str, set: Option<&str>, default: usize) -> (usize, Option<String>) {
    match set.map(|v| (v, v.trim().parse::<usize>())) {
        None => (default, None),
        Some((_, Ok(n))) if n > 0 => (n, None),
        Some((v, _)) => (
            default,
            Some(format!(
                "avfit: warning: {name}={v:?} is not a positive whole number; using {default}"
            )),
        ),
    }
}

/// A piece of the file of whole records.
pub struct Chunk {
    /// The bytes, line ends as `\n`.
    pub bytes: Vec<u8>,
    /// 1-based line of its first byte in the file.
    pub first_line: u64,
    /// Whether its first byte is the file's first byte (the first chunk of a reader that starts
    /// at line 1): the only place where csv drops a UTF-8 byte order mark.
    pub at_file_start: bool,
}

impl Chunk {
    /// A csv reader of the chunk's rows as the serial reader of the whole file reads them: no
    /// header, `flexible`, with `delimiter` and `quoting`. csv_core drops a UTF-8 byte order mark
    /// (`EF BB BF`) that starts the first input it is given, which a serial read sees only at the
    /// file's start; a chunk that starts later gives csv its first byte alone, so a row that
    /// starts with U+FEFF keeps it, as in the serial read.
    pub fn csv_reader(&self, delimiter: u8, quoting: bool) -> csv::Reader<std::io::Chain<&[u8], &[u8]>> {
        let (first, rest) = self
            .bytes
            .split_at(if self.at_file_start { 0 } else { self.bytes.len().min(1) });
        super::delimited_builder(delimiter, quoting, false).from_reader(first.chain(rest))
    }

    /// Calls `row(row, line)` for every row of the chunk as [`Chunk::csv_reader`] reads it, `line`
    /// the 1-based line in the chunk csv gives it (where its read started: blank lines before a
    /// row are counted as its own). A chunk in which no `"` opens a
    /// quote (none at all, or `quoting` off) and that does not start the file with a byte order
    /// mark is split in place ([`Row::Split`]): each non-blank line (the chunk's line ends are
    /// `\n`) is a row and each `delimiter` ends a field, which is what csv_core does with such
    /// bytes, without copying them into a record. Any other chunk is read by csv ([`Row::Read`]).
    ///
    /// Errors: the csv reader's (never from the split).
    pub fn for_each_row(
        &self,
        delimiter: u8,
        quoting: bool,
        mut row: impl FnMut(Row, u64),
    ) -> std::result::Result<(), csv::Error> {
        let bom = self.at_file_start && self.bytes.starts_with(b"\xEF\xBB\xBF");
        if bom || (quoting && memchr::memchr(b'"', &self.bytes).is_some()) {
            let mut record = csv::ByteRecord::new();
            let mut reader = self.csv_reader(delimiter, quoting);
            while reader.read_byte_record(&mut record)? {
                let line = record.position().map_or(1, |p| p.line());
                row(Row::Read(&mut record), line);
            }
            return Ok(());
        }
        let (mut line, mut row_line, mut start) = (1, 1, 0);
        let mut ends = Vec::new();
        let bytes = &self.bytes[..];
        // One check for the whole chunk: its rows and fields are cut at ASCII bytes and trimmed
        // of ASCII whitespace, so they are UTF-8 when it is. simdutf8 (AVX2 or SSE4.2, chosen
        // at run time) answers as std does, several times faster on the chunk's mostly ASCII.
        let text = simdutf8::basic::from_utf8(bytes).ok();
        let mut separator = |at: usize| {
            // `at == bytes.len()`: the last row's end, as if a `\n` followed.
            if bytes.get(at) == Some(&delimiter) {
                ends.push(at - start);
                return;
            }
            // A blank line ends no row.
            if at > start {
                ends.push(at - start);
                let split = SplitRow {
                    line: &bytes[start..at],
                    ends: &ends,
                    text: text.map(|text| &text[start..at]),
                };
                row(Row::Split(split), row_line);
                row_line = line + 1;
            }
            ends.clear();
            line += 1;
            start = at + 1;
        };
        for_each_separator(bytes, delimiter, &mut separator);
        separator(bytes.len());
        Ok(())
    }
}

/// Calls `each(at)` for the position of every `delimiter` and `\n` in `bytes`, in order. On
/// x86-64 sixteen bytes are compared at a time (SSE2, which every x86-64 processor has) and the
/// matches taken from the comparison's bit mask; elsewhere byte by byte. Rows' fields are short,
/// so a search for the next separator (memchr) costs more than it saves; the mask finds them all
/// in one pass.
fn for_each_separator(bytes: &[u8], delimiter: u8, mut each: impl FnMut(usize)) {
    #[cfg(not(target_arch = "x86_64"))]
    let scanned = 0;
    #[cfg(target_arch = "x86_64")]
    let scanned = {
        use std::arch::x86_64::*;
        let mut blocks = bytes.chunks_exact(16);
        // SAFETY: SSE2 is part of x86-64, and every load reads the 16 bytes of one block.
        unsafe {
            let (delimiters, newlines) = (_mm_set1_epi8(delimiter as i8), _mm_set1_epi8(b'\n' as i8));
            for (i, block) in (&mut blocks).enumerate() {
                let v = _mm_loadu_si128(block.as_ptr().cast());
                let found = _mm_or_si128(_mm_cmpeq_epi8(v, delimiters), _mm_cmpeq_epi8(v, newlines));
                let mut mask = _mm_movemask_epi8(found) as u32;
                while mask != 0 {
                    each(i * 16 + mask.trailing_zeros() as usize);
                    mask &= mask - 1;
                }
            }
        }
        bytes.len() - blocks.remainder().len()
    };
    for (at, &b) in bytes.iter().enumerate().skip(scanned) {
        if b == delimiter || b == b'\n' {
            each(at);
        }
    }
}

/// A row of a chunk, as [`Chunk::for_each_row`] gives it.
pub enum Row<'a> {
    /// A row split in place.
    Split(SplitRow<'a>),
    /// A row csv read, untrimmed.
    Read(&'a mut csv::ByteRecord),
}

/// A row of a quote-free chunk: its line (without its `\n`) and the end of each field in it.
pub struct SplitRow<'a> {
    /// The row's bytes.
    pub line: &'a [u8],
    /// Per field, its end in `line` (a delimiter, or the line's end for the last field).
    ends: &'a [usize],
    /// `line` as text when the whole chunk is UTF-8.
    text: Option<&'a str>,
}

/// A [`SplitRow`] whose line is UTF-8 text ([`SplitRow::text`]).
pub struct TextRow<'a> {
    /// The row's text.
    pub line: &'a str,
    /// Per field, its end in `line`.
    ends: &'a [usize],
}

impl<'a> TextRow<'a> {
    /// Number of fields (one more than delimiters).
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Always false: a row has at least one field.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Field `i` trimmed of ASCII whitespace at both ends, as `csv::ByteRecord::trim` trims it;
    /// `None` past the last field.
    pub fn trimmed(&self, i: usize) -> Option<&'a str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] + 1 };
        Some(self.line[start..end].trim_ascii())
    }
}

impl<'a> SplitRow<'a> {
    /// The row as text, `None` when its line is not UTF-8 (checked once per chunk, and per line
    /// only in a chunk that is not UTF-8 as a whole).
    pub fn text(&self) -> Option<TextRow<'a>> {
        let line = match self.text {
            Some(line) => line,
            None => std::str::from_utf8(self.line).ok()?,
        };
        Some(TextRow { line, ends: self.ends })
    }

    /// The row as csv reads it into `record` (untrimmed).
    pub fn to_record(&self, record: &mut csv::ByteRecord) {
        record.clear();
        let mut start = 0;
        for &end in self.ends {
            record.push_field(&self.line[start..end]);
            start = end + 1;
        }
    }
}

/// Where the records of a file end, so a chunk holds whole ones (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Records {
    /// Every `\n` ends one: line formats split without a CSV parser ([`for_each_line`]).
    Lines,
    /// Rows as the csv crate reads them (flexible, double quotes, no escape, no comment,
    /// terminator CRLF) with this `delimiter` and `quoting` (whether `"` quotes a field).
    Delimited { delimiter: u8, quoting: bool },
}

/// csv_core's reader states (csv-core 0.1 `NfaState`) that tell a record end from a line end
/// inside a record; the states csv_core passes through by epsilon moves and the field and record
/// end states are folded into these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CsvState {
    /// At a record boundary: a line end here is a blank line (`StartRecord`).
    StartRecord,
    /// After a delimiter (`StartField`).
    StartField,
    /// In an unquoted field, where `"` is a character (`InField`).
    InField,
    /// In a quoted field (`InQuotedField`).
    InQuotedField,
    /// After a `"` in a quoted field: a second `"` is a quote, else the field was closed
    /// (`InDoubleEscapedQuote`).
    AfterQuote,
}

/// A forward scan of a chunk's window in [`CsvState`]s: the bytes before `pos` were scanned,
/// the scan is in `state` there, and `last_end` is the last record end before `pos`.
#[derive(Clone, Copy, Debug)]
struct Scan {
    pos: usize,
    state: CsvState,
    last_end: Option<usize>,
}

impl Scan {
    /// A scan at a record boundary, nothing scanned.
    const START: Scan = Scan {
        pos: 0,
        state: CsvState::StartRecord,
        last_end: None,
    };

    /// Scans `window[self.pos..]` (the window of the same chunk, grown or not) as csv_core reads
    /// it with `delimiter` and `quoting`, and returns the last record end in the window (the
    /// index just after the `\r` or `\n` that ends a record).
    fn advance(&mut self, window: &[u8], delimiter: u8, quoting: bool) -> Option<usize> {
        use CsvState::*;
        let mut state = self.state;
        for (i, &b) in window.iter().enumerate().skip(self.pos) {
            let term = b == b'\n' || b == b'\r';
            state = match state {
                StartRecord if term => StartRecord,
                StartRecord | StartField if quoting && b == b'"' => InQuotedField,
                StartRecord | StartField | InField | AfterQuote if b == delimiter => StartField,
                StartRecord | StartField | InField | AfterQuote if term => {
                    self.last_end = Some(i + 1);
                    StartRecord
                }
                InQuotedField if b == b'"' => AfterQuote,
                InQuotedField => InQuotedField,
                AfterQuote if b == b'"' => InQuotedField,
                StartRecord | StartField | InField | AfterQuote => InField,
            };
        }
        self.state = state;
        self.pos = self.pos.max(window.len());
        self.last_end
    }

    /// The scan for the rest of the window once a chunk was cut at record end `cut`: what was
    /// scanned after the cut keeps its state (the cut is a record boundary, where a scan of the
    /// rest would start).
    fn after_cut(self, cut: usize) -> Scan {
        if self.pos > cut {
            Scan {
                pos: self.pos - cut,
                state: self.state,
                last_end: self.last_end.filter(|&end| end > cut).map(|end| end - cut),
            }
        } else {
            Scan::START
        }
    }
}

/// Cuts `reader` (positioned at a record boundary: after any header) into chunks of about `size`
/// bytes, each ending at a record end of its [`Records`] (see the module documentation);
/// `first_line` is the line of the reader's first byte.
pub struct Chunker<R> {
    reader: R,
    size: usize,
    records: Records,
    /// Bytes read and not yet handed out.
    carry: Vec<u8>,
    /// How far `carry` was scanned for record ends.
    scan: Scan,
    next_line: u64,
    /// Whether the next chunk starts at the file's first byte (`first_line` 1, nothing handed out).
    at_file_start: bool,
    eof: bool,
}

impl<R: Read> Chunker<R> {
    /// A chunker over `reader`, whose first byte is on line `first_line` (1: the file's first
    /// byte, where csv may drop a byte order mark; see [`Chunk::csv_reader`]), of `size` bytes a
    /// chunk cut at the ends of `records`.
    pub fn new(reader: R, first_line: u64, size: usize, records: Records) -> Self {
        Chunker {
            reader,
            size: size.max(1),
            records,
            carry: Vec::new(),
            scan: Scan::START,
            next_line: first_line,
            at_file_start: first_line == 1,
            eof: false,
        }
    }

    /// The next chunk, or `None` at the end of the input.
    ///
    /// Errors: an I/O error while reading.
    pub fn next_chunk(&mut self) -> std::io::Result<Option<Chunk>> {
        let mut want = self.size;
        loop {
            while !self.eof && self.carry.len() < want {
                // Read into the spare capacity: `read_to_end` of the reader limited to what is
                // missing hands a `File` the memory uninitialized, where `resize` zeroed each
                // chunk's bytes before they were read over.
                let missing = want - self.carry.len();
                self.carry.reserve_exact(missing);
                let n = (&mut self.reader).take(missing as u64).read_to_end(&mut self.carry)?;
                self.eof = n < missing;
            }
            if self.carry.is_empty() {
                return Ok(None);
            }
            let cut = if self.eof && self.carry.len() <= want {
                Some(self.carry.len())
            } else {
                record_end(&self.carry[..want.min(self.carry.len())], self.records, &mut self.scan)
            };
            match cut {
                Some(cut) => {
                    let rest = self.carry[cut..].to_vec();
                    self.carry.truncate(cut);
                    let bytes = std::mem::replace(&mut self.carry, rest);
                    self.scan = self.scan.after_cut(cut);
                    let first_line = self.next_line;
                    self.next_line += count_byte(&bytes, b'\n');
                    let at_file_start = std::mem::take(&mut self.at_file_start);
                    return Ok(Some(Chunk {
                        bytes,
                        first_line,
                        at_file_start,
                    }));
                }
                None => want *= 2, // a record longer than the chunk: read on
            }
        }
    }
}

/// The end of the longest prefix of `window` (which starts at a record boundary) that is whole
/// `records`, `None` when there is none. `scan` is the scan of the window so far, carried on when
/// the window grows (only [`Records::Delimited`] with quotes uses it).
fn record_end(window: &[u8], records: Records, scan: &mut Scan) -> Option<usize> {
    match records {
        Records::Lines => window.iter().rposition(|&b| b == b'\n').map(|newline| newline + 1),
        Records::Delimited { delimiter, quoting } => {
            if quoting && window.contains(&b'"') {
                return scan.advance(window, delimiter, quoting);
            }
            // No quoted field (Open Images, most of VGGSound): the record end is the first line
            // end after a field's byte, the last such in the window.
            let term = |b: &u8| *b == b'\n' || *b == b'\r';
            let mut end = window.len();
            while let Some(at) = window[..end].iter().rposition(term) {
                if at > 0 && !term(&window[at - 1]) {
                    return Some(at + 1);
                }
                end = at;
            }
            None
        }
    }
}

/// How many bytes of `bytes` equal `byte`: counted in blocks of 128 with byte-wide counters,
/// which the compiler turns into vector compares (a `filter().count()` widens every byte to a
/// `usize` and runs at a fraction of the speed).
fn count_byte(bytes: &[u8], byte: u8) -> u64 {
    bytes
        .chunks(128)
        .map(|block| u64::from(block.iter().fold(0u8, |n, &b| n + u8::from(b == byte))))
        .sum()
}

/// Reads `path` (opened as `reader`, after its header, whose first byte is on line
/// `first_line`) in chunks of rows as the csv crate's default reader reads them (comma, quoting
/// on): `parse(chunk)` runs on rayon's global pool, several chunks at a time, and
/// `consume(result)` gets each chunk's result in file order on the calling thread. The first
/// error of `consume` (or of reading) stops the read; chunks parsed ahead are dropped.
///
/// Errors: an I/O error (with `path`), what `consume` returns.
pub fn for_each_chunk<R: Read, T: Send>(
    path: &Path,
    reader: R,
    first_line: u64,
    parse: impl Fn(Chunk) -> T + Sync,
    consume: impl FnMut(T) -> Result<()>,
) -> Result<()> {
    let records = Records::Delimited {
        delimiter: b',',
        quoting: true,
    };
    read_chunks(
        path,
        Chunker::new(reader, first_line, chunk_bytes(), records),
        parse,
        consume,
    )
}

/// [`for_each_chunk`] over the chunks of `chunker`.
fn read_chunks<R: Read, T: Send>(
    path: &Path,
    mut chunker: Chunker<R>,
    parse: impl Fn(Chunk) -> T + Sync,
    mut consume: impl FnMut(T) -> Result<()>,
) -> Result<()> {
    let depth = 2 * rayon::current_num_threads() + 2;
    let parse = &parse;
    rayon::in_place_scope(|scope| {
        let mut pending: VecDeque<std::sync::mpsc::Receiver<T>> = VecDeque::new();
        let mut ended = false;
        loop {
            while !ended && pending.len() < depth {
                match chunker.next_chunk().map_err(|e| Error::io(path, e))? {
                    None => ended = true,
                    Some(chunk) => {
                        let (send, receive) = std::sync::mpsc::sync_channel(1);
                        scope.spawn(move |_| {
                            let _ = send.send(parse(chunk));
                        });
                        pending.push_back(receive);
                    }
                }
            }
            let Some(next) = pending.pop_front() else {
                return Ok(());
            };
            let result = next.recv().expect("a chunk's parse does not panic");
            consume(result)?;
        }
    })
}

/// [`for_each_chunk`] for line-based formats read without a CSV parser: `reader` is read from its
/// first byte (line 1), `parse(line, number)` gets every line of a chunk without its `\n` (a
/// `\r` before it is kept) on rayon's pool, and `consume(result, number)` gets each line's result
/// in file order on the calling thread. The lines are those `BufRead::split(b'\n')` gives.
///
/// Errors: an I/O error (with `path`), what `consume` returns.
pub fn for_each_line<R: Read, T: Send>(
    path: &Path,
    reader: R,
    parse: impl Fn(&[u8], u64) -> T + Sync,
    mut consume: impl FnMut(T, u64) -> Result<()>,
) -> Result<()> {
    read_chunks(
        path,
        Chunker::new(reader, 1, chunk_bytes(), Records::Lines),
        |chunk| {
            let body = chunk.bytes.strip_suffix(b"\n").unwrap_or(&chunk.bytes);
            body.split(|&b| b == b'\n')
                .zip(chunk.first_line..)
                .map(|(text, line)| (parse(text, line), line))
                .collect::<Vec<_>>()
        },
        |lines| {
            for (result, line) in lines {
                consume(result, line)?;
            }
            Ok(())
        },
    )
}

/// Reads the header of a delimited file: its first line from `text`, byte by byte so that `text`
/// is left at the first byte of line 2 (a header holds no quoted newline), parsed with
/// `delimiter` and `quoting` (a UTF-8 BOM dropped, as csv does), fields trimmed.
///
/// Errors: an I/O error (with `path`), a line that is not UTF-8 text (line 1).
pub fn read_header<R: Read>(path: &Path, text: &mut R, delimiter: u8, quoting: bool) -> Result<csv::StringRecord> {
    let mut header = Vec::new();
    let mut byte = [0u8; 1];
    while text.read(&mut byte).map_err(|e| Error::io(path, e))? == 1 && byte[0] != b'\n' {
        header.push(byte[0]);
    }
    let mut header_reader = super::delimited_builder(delimiter, quoting, false).from_reader(header.as_slice());
    let mut headers = csv::StringRecord::new();
    header_reader
        .read_record(&mut headers)
        .map_err(|e| Error::input(path, Some(1), e.to_string()))?;
    headers.trim();
    Ok(headers)
}

/// [`for_each_chunk`] for delimited files read with the csv crate: `reader` (its line ends made
/// `\n`, see [`super::UnixLines`]) is positioned at line `first_line` at a record boundary (after
/// any header, or at the file's start); it is cut where the serial reader ends records
/// ([`Records::Delimited`]) and each chunk's rows are read as [`super::for_each_row`] reads them
/// (fields trimmed, a row that is not UTF-8 given as its reason) with `delimiter` and `quoting`;
/// `parse(line, row)` runs on rayon's pool, `line` the 1-based line the serial read gives the
/// row; `consume(result)` gets each row's result in file order on the calling thread.
///
/// Errors: an I/O error (with `path`), what `consume` returns.
pub fn for_each_delimited_row<R: Read, T: Send>(
    path: &Path,
    reader: R,
    first_line: u64,
    delimiter: u8,
    quoting: bool,
    parse: impl Fn(u64, std::result::Result<&csv::StringRecord, String>) -> T + Sync,
    consume: impl FnMut(T) -> Result<()>,
) -> Result<()> {
    let format = (delimiter, quoting);
    read_delimited_rows(path, reader, first_line, format, chunk_bytes(), parse, consume)
}

/// [`for_each_delimited_row`] in chunks of `size` bytes, `format` its delimiter and quoting.
fn read_delimited_rows<R: Read, T: Send>(
    path: &Path,
    reader: R,
    first_line: u64,
    (delimiter, quoting): (u8, bool),
    size: usize,
    parse: impl Fn(u64, std::result::Result<&csv::StringRecord, String>) -> T + Sync,
    mut consume: impl FnMut(T) -> Result<()>,
) -> Result<()> {
    let records = Records::Delimited { delimiter, quoting };
    read_chunks(
        path,
        Chunker::new(reader, first_line, size, records),
        |chunk| {
            let mut rows = chunk.csv_reader(delimiter, quoting);
            let mut results = Vec::new();
            let read = super::for_each_row(path, &mut rows, |line, row| {
                results.push(parse(chunk.first_line + line - 1, row));
                Ok(())
            });
            (results, read.err())
        },
        |(results, error)| {
            for result in results {
                consume(result)?;
            }
            error.map_or(Ok(()), Err)
        },
    )
}

#[cfg(test)]
mod tests {
    /// The separators found sixteen bytes at a time are those of a byte-by-byte search, for
    /// every length from 0 to 99 and separators at every place in and across the blocks.
    #[test]
    fn separators_are_found_as_byte_by_byte() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(16);
        for _ in 0..20_000 {
            let length = rng.gen_range(0..100);
            let bytes: Vec<u8> = (0..length).map(|_| b",\t\nab\x80\xFF "[rng.gen_range(0..8)]).collect();
            for delimiter in [b',', b'\t'] {
                let mut found = Vec::new();
                for_each_separator(&bytes, delimiter, |at| found.push(at));
                let want: Vec<usize> = (0..bytes.len())
                    .filter(|&at| bytes[at] == delimiter || bytes[at] == b'\n')
                    .collect();
                assert_eq!(found, want, "{bytes:?}");
            }
        }
    }

    #[test]
    fn a_size_knob_that_is_not_a_positive_number_is_named_and_not_used() {
        use super::positive_knob;
        assert_eq!(positive_knob("K", None, 7), (7, None));
        assert_eq!(positive_knob("K", Some("4096"), 7), (4096, None));
        assert_eq!(positive_knob("K", Some(" 12 "), 7), (12, None));
        for bad in ["abc", "0", "-1", "", "1.5"] {
            assert_eq!(
                positive_knob("AVFIT_READ_CHUNK_BYTES", Some(bad), 7),
                (
                    7,
                    Some(format!(
                        "avfit: warning: AVFIT_READ_CHUNK_BYTES={bad:?} is not a positive whole number; using 7"
                    ))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn count_byte_counts_across_blocks() {
        let mut bytes = vec![b'a'; 1000];
        for i in [0usize, 127, 128, 129, 255, 256, 999] {
            bytes[i] = b'\n';
        }
        assert_eq!(super::count_byte(&bytes, b'\n'), 7);
        assert_eq!(super::count_byte(&[b'\n'; 300], b'\n'), 300);
        assert_eq!(super::count_byte(b"", b'\n'), 0);
    }

    /// `for_each_line` gives the lines `BufRead::split(b'\n')` gives, numbered from 1, across
    /// chunk cuts (3 MiB of lines of varied lengths, blank ones, CRLF, quotes, no final newline).
    #[test]
    fn for_each_line_gives_the_lines_of_a_serial_split() {
        use std::io::BufRead;
        let mut text = Vec::new();
        for i in 0..120_000u32 {
            match i % 7 {
                0 => text.extend_from_slice(b"\n"),
                1 => text.extend_from_slice(format!("row {i},\"a,b\"\r\n").as_bytes()),
                _ => text.extend_from_slice(format!("{}\n", "x".repeat((i % 50) as usize)).as_bytes()),
            }
        }
        text.extend_from_slice(b"last line without newline");
        assert!(text.len() > 2 * DEFAULT_CHUNK_BYTES);
        let serial: Vec<(Vec<u8>, u64)> = BufRead::split(text.as_slice(), b'\n')
            .map(|line| line.unwrap())
            .zip(1..)
            .collect();
        let mut chunked = Vec::new();
        for_each_line(
            Path::new("t"),
            text.as_slice(),
            |line, n| (line.to_vec(), n),
            |line, n| {
                assert_eq!(line.1, n);
                chunked.push(line);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(chunked.len(), 120_001);
        assert_eq!(chunked, serial);
    }

    use super::*;
    use crate::sources::UnixLines;

    const CSV: Records = Records::Delimited {
        delimiter: b',',
        quoting: true,
    };

    /// The cut of `window` (from a record boundary) as a fresh chunk of a comma CSV.
    fn end(window: &[u8]) -> Option<usize> {
        record_end(window, CSV, &mut { Scan::START })
    }

    #[test]
    fn without_quotes_the_last_line_end_is_the_cut() {
        assert_eq!(end(b"a,b\nc,d\ne"), Some(8));
        assert_eq!(end(b"a,b"), None);
        // Line formats: every `\n`, a quote or not.
        assert_eq!(record_end(b"a,\"b\nc", Records::Lines, &mut { Scan::START }), Some(5));
        // Quoting off: a quote is a character.
        let tsv = Records::Delimited {
            delimiter: b'\t',
            quoting: false,
        };
        assert_eq!(record_end(b"a\t\"b\nc\t\"\n", tsv, &mut { Scan::START }), Some(9));
    }

    /// A `"` inside an unquoted field is a character (csv_core's `InField`), so the line end after
    /// `ab"c` ends its record and the newline inside the later quoted field does not; quote
    /// parity cut at 12, inside `"p\nq"`.
    #[test]
    fn a_stray_quote_in_an_unquoted_field_does_not_open_a_field() {
        let text = b"x,ab\"c\ny,\"p\nq\"\nz\n";
        assert_eq!(end(&text[..12]), Some(7));
        assert_eq!(end(&text[..14]), Some(7));
        assert_eq!(end(&text[..15]), Some(15));
        assert_eq!(end(&text[..16]), Some(15));
        assert_eq!(end(text), Some(17));
        assert_eq!(end(b"a\"b\n\"c\n"), Some(4)); // `"c\n` opens a quoted field to the end
        assert_eq!(end(b"a,\"b\nc"), None);
    }

    /// `""` in a quoted field is a quote and the field goes on; after a closing quote, more
    /// characters continue the field unquoted, their `"` characters.
    #[test]
    fn doubled_quotes_and_characters_after_a_closing_quote() {
        let doubled = b"a,\"b\"\"\nc\"\nd\n";
        assert_eq!(end(&doubled[..7]), None);
        assert_eq!(end(&doubled[..10]), Some(10));
        assert_eq!(end(doubled), Some(12));
        assert_eq!(end(b"\"\"\"\"\n"), Some(5)); // the field `"`
        let after = b"\"a\"b\"c\nd\n"; // the field `ab"c`: three quotes before the line end
        assert_eq!(end(&after[..7]), Some(7));
        assert_eq!(end(after), Some(9));
        let reopened = b"\"a\"b,\"c\nd\"\n"; // a new quoted field after the delimiter
        assert_eq!(end(&reopened[..8]), None);
        assert_eq!(end(reopened), Some(11));
    }

    /// `\r`, `\n` and CRLF end records as csv_core's CRLF terminator does: the record ends at its
    /// `\r` (the `\n` of a CRLF is skipped by the next read); line ends at a record's start
    /// (blank lines) are not record ends.
    #[test]
    fn crlf_cr_and_blank_lines() {
        assert_eq!(end(b"a,b\r\nc,d\r\n"), Some(9));
        let crlf = b"a,\"x\r\ny\"\r\nz\r\n";
        assert_eq!(end(&crlf[..8]), None);
        assert_eq!(end(&crlf[..9]), Some(9));
        assert_eq!(end(&crlf[..10]), Some(9));
        assert_eq!(end(crlf), Some(12));
        let cr = b"a\rb,\"c\rd\"\re\r";
        assert_eq!(end(&cr[..9]), Some(2));
        assert_eq!(end(&cr[..10]), Some(10));
        assert_eq!(end(cr), Some(12));
        assert_eq!(end(b"a\n\n\n"), Some(2));
        assert_eq!(end(b"\"a\"\n\n\r\n"), Some(4));
        assert_eq!(end(b"\n\n"), None);
        assert_eq!(end(b"\r\n\"a\n"), None);
    }

    /// A record longer than the window: the window doubles and the scan goes on from where it
    /// stopped, in the state it stopped in, and finds what a scan of the whole window finds.
    #[test]
    fn a_record_longer_than_the_window_is_scanned_once() {
        let text = "\"abc,def\ngh\"\"\nij\"\nk\nlmnopqrstuvwxyz\n";
        let mut scan = Scan::START;
        assert_eq!(scan.advance(&text.as_bytes()[..4], b',', true), None);
        assert_eq!((scan.pos, scan.state), (4, CsvState::InQuotedField));
        assert_eq!(scan.advance(&text.as_bytes()[..8], b',', true), None);
        assert_eq!(scan.advance(&text.as_bytes()[..17], b',', true), None);
        assert_eq!((scan.pos, scan.state), (17, CsvState::AfterQuote));
        assert_eq!(scan.advance(&text.as_bytes()[..19], b',', true), Some(18));
        assert_eq!((scan.pos, scan.state), (19, CsvState::InField));
        // The rest after a cut at 18 keeps its state: the byte `k` already scanned.
        let rest = scan.after_cut(18);
        assert_eq!((rest.pos, rest.state, rest.last_end), (1, CsvState::InField, None));
        // Windows of 4, 8, 16 and 32 bytes: the first record ends at 18, the window of 32 at 20.
        assert_eq!(
            chunks(text, 4),
            [
                ("\"abc,def\ngh\"\"\nij\"\nk\n".to_string(), 2),
                ("lmnopqrstuvwxyz\n".to_string(), 6)
            ]
        );
    }

    /// Rows (line, trimmed fields or the reason) as the serial reader gives them: the whole of
    /// `reader` read by `for_each_row` with the csv settings of `delimited_reader`.
    fn serial_rows(
        reader: impl Read,
        delimiter: u8,
        quoting: bool,
    ) -> Vec<(u64, std::result::Result<Vec<String>, String>)> {
        let mut csv = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .quoting(quoting)
            .has_headers(false)
            .flexible(true)
            .from_reader(reader);
        let mut rows = Vec::new();
        super::super::for_each_row(Path::new("t"), &mut csv, |line, row| {
            rows.push((line, row.map(|r| r.iter().map(str::to_string).collect())));
            Ok(())
        })
        .unwrap();
        rows
    }

    /// For small quoted files, every chunk size from 1 to the file's length gives the rows, lines
    /// and reasons of the serial read, with line ends made `\n` as the callers read, and raw.
    #[test]
    fn every_chunk_size_gives_the_rows_of_the_serial_read() {
        let files: [(&[u8], u8, bool); 11] = [
            (b"x,ab\"c\ny,\"p\nq\"\nz\n", b',', true),
            (b"a,\"b\"\"\nc\"\n\n\nd, e \n\"\"\"\",f\n", b',', true),
            (b"\"a\"b\"c\nd,\"e\"f\n,\n\"g\nh", b',', true),
            (b"h1,h2\r\n\"x\r\ny\",z\r\n\r\nw,\"v\"\"\r\"\r\nlast", b',', true),
            (b"a\rb,\"c\rd\"\re\r\r", b',', true),
            (b"ok,1\n\xe9t\xe9,2\n\"q\n\xff\",3\n\n", b',', true),
            (b"a,b\n\nc,d\n\n\ne\n\n", b',', true),
            (b"a\t\"b\nc\"\td\n\"e\tf\n", b'\t', false),
            (b"\n\nv1,5,\"vehicle horn, car horn, honking\",train\nv2,6,dog \"barking,test\nv3,7,\"cat\nmeowing\",train\n", b',', true),
            // A byte order mark: dropped at the file's start only, kept where a row starts with it.
            (b"\xef\xbb\xbfa,1\n\xef\xbb\xbfb,2\n\xef\xbb\xbf\"c\",3\n", b',', true),
            (b"\n\xef\xbb\xbfa\n\xef\xbb\xbfb\n\n\xef\xbb\xbfc\td\n", b'\t', false),
        ];
        for (text, delimiter, quoting) in files {
            for unix in [true, false] {
                let serial = if unix {
                    serial_rows(UnixLines::new(text), delimiter, quoting)
                } else {
                    serial_rows(text, delimiter, quoting)
                };
                assert!(serial.len() >= 3, "{}", String::from_utf8_lossy(text));
                for size in 1..=text.len() {
                    let mut chunked = Vec::new();
                    let parse = |line: u64, row: std::result::Result<&csv::StringRecord, String>| {
                        (line, row.map(|r| r.iter().map(str::to_string).collect::<Vec<_>>()))
                    };
                    let consume = |row| {
                        chunked.push(row);
                        Ok(())
                    };
                    let format = (delimiter, quoting);
                    if unix {
                        read_delimited_rows(Path::new("t"), UnixLines::new(text), 1, format, size, parse, consume)
                    } else {
                        read_delimited_rows(Path::new("t"), text, 1, format, size, parse, consume)
                    }
                    .unwrap();
                    assert_eq!(
                        chunked,
                        serial,
                        "chunks of {size} bytes (unix line ends: {unix}) of {}",
                        String::from_utf8_lossy(text)
                    );
                }
            }
        }
    }

    /// After a header (a reader at line 2, as the Open Images and AudioSet Strong readers are),
    /// a row that starts with a byte order mark keeps it, as the serial reader with headers
    /// reads it, whatever chunk it starts.
    #[test]
    fn a_byte_order_mark_after_the_header_stays_in_its_row() {
        let text: &[u8] = b"\xef\xbb\xbfh1,h2\n\xef\xbb\xbfa,1\nb,2\n\xef\xbb\xbfc,3\n";
        let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(text);
        let mut serial = Vec::new();
        super::super::for_each_row(Path::new("t"), &mut csv, |line, row| {
            serial.push((line, row.unwrap().iter().map(str::to_string).collect::<Vec<_>>()));
            Ok(())
        })
        .unwrap();
        assert_eq!(serial[0], (2, vec!["\u{feff}a".to_string(), "1".to_string()]));
        for size in 1..=text.len() {
            let mut rest = text;
            let header = read_header(Path::new("t"), &mut rest, b',', true).unwrap();
            assert_eq!(header.iter().collect::<Vec<_>>(), ["h1", "h2"]);
            let mut chunked = Vec::new();
            read_delimited_rows(
                Path::new("t"),
                rest,
                2,
                (b',', true),
                size,
                |line, row| (line, row.unwrap().iter().map(str::to_string).collect::<Vec<_>>()),
                |row| {
                    chunked.push(row);
                    Ok(())
                },
            )
            .unwrap();
            assert_eq!(chunked, serial, "chunks of {size} bytes");
        }
    }

    fn chunks(text: &str, size: usize) -> Vec<(String, u64)> {
        let mut chunker = Chunker::new(text.as_bytes(), 2, size, CSV);
        let mut out = Vec::new();
        while let Some(c) = chunker.next_chunk().unwrap() {
            out.push((String::from_utf8(c.bytes).unwrap(), c.first_line));
        }
        out
    }

    #[test]
    fn chunks_end_at_line_ends_outside_quotes() {
        // Size 1: every chunk one record; the quoted newline stays inside its record.
        assert_eq!(
            chunks("a,1\nb,\"x\ny\"\nc,3", 1),
            [
                ("a,1\n".to_string(), 2),
                ("b,\"x\ny\"\n".to_string(), 3),
                ("c,3".to_string(), 5)
            ]
        );
        // Size 9: as many whole records as fit; a record longer than that read whole, with what
        // follows when it ends the input within the doubled size.
        assert_eq!(
            chunks("a,1\nb,2\nc,3\ndddddddddddd\ne\n", 9),
            [
                ("a,1\nb,2\n".to_string(), 2),
                ("c,3\n".to_string(), 4),
                ("dddddddddddd\ne\n".to_string(), 5)
            ]
        );
        assert_eq!(chunks("", 4), []);
    }

    /// A reader that hands out at most two bytes a read (as a pipe or a decoder may) is chunked
    /// as one that hands out everything: short reads are not taken for the end of the input.
    #[test]
    fn short_reads_give_the_same_chunks() {
        struct Trickle<'a>(&'a [u8]);
        impl std::io::Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(buf.len()).min(2);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let text = "a,1\nb,\"x\ny\"\nc,3\ndddddddddddd\ne\n";
        for size in [1, 3, 9, 64] {
            let mut chunker = Chunker::new(Trickle(text.as_bytes()), 2, size, CSV);
            let mut trickled = Vec::new();
            while let Some(c) = chunker.next_chunk().unwrap() {
                trickled.push((String::from_utf8(c.bytes).unwrap(), c.first_line));
            }
            assert_eq!(trickled, chunks(text, size), "size {size}");
        }
        assert_eq!(
            chunks(text, 9),
            [
                ("a,1\n".to_string(), 2),
                ("b,\"x\ny\"\n".to_string(), 3),
                ("c,3\n".to_string(), 5),
                ("dddddddddddd\ne\n".to_string(), 6)
            ]
        );
    }

    /// The direct split of a quote-free chunk gives the rows and lines csv gives: 20,000 random
    /// chunks of fields, blanks, blank lines, commas, tabs, byte order marks (at the file's start
    /// and later), bytes that are not UTF-8, with and without a last line end; and chunks with a
    /// `"`, which take csv's path.
    #[test]
    fn the_direct_split_gives_csvs_rows_and_lines() {
        use super::Chunk;
        let pieces: [&[u8]; 12] = [
            b"a",
            b"id",
            b" ",
            b",",
            b",",
            b"\n",
            b"\n\n",
            b"\t\x0B",
            b"\xEF\xBB\xBF",
            b"\xFF",
            b" 0.5\x0C",
            b"\"",
        ];
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20);
        let mut next = || rng.gen::<u64>();
        for case in 0..20_000 {
            let mut bytes = Vec::new();
            let quotes = case % 10 == 0;
            for _ in 0..next() % 40 {
                let piece = pieces[(next() % if quotes { 12 } else { 11 }) as usize];
                bytes.extend_from_slice(piece);
            }
            if next() % 2 == 0 {
                bytes.push(b'\n');
            }
            for (at_file_start, delimiter) in [(true, b','), (false, b','), (false, b'\t')] {
                let chunk = Chunk {
                    bytes: bytes.clone(),
                    first_line: 1,
                    at_file_start,
                };
                let mut direct = Vec::new();
                let mut record = csv::ByteRecord::new();
                chunk
                    .for_each_row(delimiter, true, |row, line| {
                        let record = match row {
                            super::Row::Split(split) => {
                                split.to_record(&mut record);
                                // As text: csv's trimmed fields when the line is UTF-8, else none.
                                match split.text() {
                                    Some(text) => {
                                        let mut trimmed = record.clone();
                                        trimmed.trim();
                                        assert_eq!(text.line.as_bytes(), split.line);
                                        let texts: Vec<&[u8]> =
                                            (0..text.len()).map(|i| text.trimmed(i).unwrap().as_bytes()).collect();
                                        assert_eq!(texts, trimmed.iter().collect::<Vec<_>>());
                                        assert_eq!(text.trimmed(text.len()), None);
                                    }
                                    None => assert!(std::str::from_utf8(split.line).is_err()),
                                }
                                &record
                            }
                            super::Row::Read(read) => read,
                        };
                        direct.push((record.iter().map(<[u8]>::to_vec).collect::<Vec<_>>(), line));
                    })
                    .unwrap();
                let mut serial = Vec::new();
                let mut reader = chunk.csv_reader(delimiter, true);
                let mut record = csv::ByteRecord::new();
                while reader.read_byte_record(&mut record).unwrap() {
                    let line = record.position().unwrap().line();
                    serial.push((record.iter().map(<[u8]>::to_vec).collect::<Vec<_>>(), line));
                }
                assert_eq!(
                    direct,
                    serial,
                    "{:?} at_file_start {at_file_start}",
                    String::from_utf8_lossy(&bytes)
                );
            }
        }
    }
}
