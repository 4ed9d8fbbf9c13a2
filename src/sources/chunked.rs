//! Parallel reading of large delimited files: the file is cut into chunks of whole records, each
//! chunk is parsed on rayon's global pool, and the results are handed back in file order, so what
//! a reader does with them (and the output) is the same for any number of threads.
//!
//! Cuts: at a line end (`\n`, after CRLF and CR-only endings became `\n` as in
//! [`super::UnixLines`]) before which the chunk holds an even number of `"`: with quoting on, a
//! quoted field may hold a newline, and a line end after an odd number of quotes is inside one
//! (RFC 4180, quotes inside quoted fields doubled). A stray `"` in an unquoted field only makes
//! the chunk longer. Line numbers: every chunk knows the 1-based line of its first byte (the
//! newlines before it), so errors and rejects name the same lines as a serial read.
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
/// `default` (unset, not a number, or 0).
pub fn positive_from_env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(default)
}

/// A piece of the file of whole records.
pub struct Chunk {
    /// The bytes, line ends as `\n`.
    pub bytes: Vec<u8>,
    /// 1-based line of its first byte in the file.
    pub first_line: u64,
}

/// Cuts `reader` (positioned after any header) into chunks of about `size` bytes, each ending at
/// a record boundary (see the module documentation); `first_line` is the line of the reader's
/// first byte.
pub struct Chunker<R> {
    reader: R,
    size: usize,
    /// Bytes read and not yet handed out.
    carry: Vec<u8>,
    next_line: u64,
    eof: bool,
}

impl<R: Read> Chunker<R> {
    /// A chunker over `reader`, whose first byte is on line `first_line`, of `size` bytes a chunk.
    pub fn new(reader: R, first_line: u64, size: usize) -> Self {
        Chunker {
            reader,
            size: size.max(1),
            carry: Vec::new(),
            next_line: first_line,
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
                let start = self.carry.len();
                self.carry.resize(want, 0);
                let n = self.reader.read(&mut self.carry[start..])?;
                self.carry.truncate(start + n);
                self.eof = n == 0;
            }
            if self.carry.is_empty() {
                return Ok(None);
            }
            let cut = if self.eof && self.carry.len() <= want {
                Some(self.carry.len())
            } else {
                record_end(&self.carry[..want.min(self.carry.len())])
            };
            match cut {
                Some(cut) => {
                    let rest = self.carry[cut..].to_vec();
                    self.carry.truncate(cut);
                    let bytes = std::mem::replace(&mut self.carry, rest);
                    let first_line = self.next_line;
                    self.next_line += count_byte(&bytes, b'\n');
                    return Ok(Some(Chunk { bytes, first_line }));
                }
                None => want *= 2, // a record longer than the chunk: read on
            }
        }
    }
}

/// The end (just after a `\n`) of the longest prefix of `bytes` that is whole records: the last
/// line end before which the count of `"` is even; `None` when there is none.
fn record_end(bytes: &[u8]) -> Option<usize> {
    if !bytes.contains(&b'"') {
        // No quote at all (Open Images, AudioSet): every line end is a record end.
        return bytes.iter().rposition(|&b| b == b'\n').map(|newline| newline + 1);
    }
    let mut quotes = count_byte(bytes, b'"') as usize;
    let mut end = bytes.len();
    while let Some(newline) = bytes[..end].iter().rposition(|&b| b == b'\n') {
        quotes -= bytes[newline + 1..end].iter().filter(|&&b| b == b'"').count();
        if quotes.is_multiple_of(2) {
            return Some(newline + 1);
        }
        end = newline;
    }
    None
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
/// `first_line`) in chunks: `parse(chunk)` runs on rayon's global pool, several chunks at a time,
/// and `consume(result)` gets each chunk's result in file order on the calling thread. The first
/// error of `consume` (or of reading) stops the read; chunks parsed ahead are dropped.
///
/// Errors: an I/O error (with `path`), what `consume` returns.
pub fn for_each_chunk<R: Read, T: Send>(
    path: &Path,
    reader: R,
    first_line: u64,
    parse: impl Fn(Chunk) -> T + Sync,
    mut consume: impl FnMut(T) -> Result<()>,
) -> Result<()> {
    let mut chunker = Chunker::new(reader, first_line, chunk_bytes());
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
    for_each_chunk(
        path,
        reader,
        1,
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
    let mut header_reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .quoting(quoting)
        .has_headers(false)
        .flexible(true)
        .from_reader(header.as_slice());
    let mut headers = csv::StringRecord::new();
    header_reader
        .read_record(&mut headers)
        .map_err(|e| Error::input(path, Some(1), e.to_string()))?;
    headers.trim();
    Ok(headers)
}

/// [`for_each_chunk`] for delimited files read with the csv crate: `reader` (its line ends made
/// `\n`, see [`super::UnixLines`]) is positioned at line `first_line` after any header; each
/// chunk's rows are read as [`super::for_each_row`] reads them (fields trimmed, a row that is not
/// UTF-8 given as its reason) with `delimiter` and `quoting`, and `parse(line, row)` runs on
/// rayon's pool; `consume(result)` gets each row's result in file order on the calling thread.
///
/// Errors: an I/O error (with `path`), what `consume` returns.
pub fn for_each_delimited_row<R: Read, T: Send>(
    path: &Path,
    reader: R,
    first_line: u64,
    delimiter: u8,
    quoting: bool,
    parse: impl Fn(u64, std::result::Result<&csv::StringRecord, String>) -> T + Sync,
    mut consume: impl FnMut(T) -> Result<()>,
) -> Result<()> {
    for_each_chunk(
        path,
        reader,
        first_line,
        |chunk| {
            let mut rows = csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .quoting(quoting)
                .has_headers(false)
                .flexible(true)
                .from_reader(chunk.bytes.as_slice());
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

    #[test]
    fn without_quotes_the_last_line_end_is_the_cut() {
        assert_eq!(super::record_end(b"a,b\nc,d\ne"), Some(8));
        assert_eq!(super::record_end(b"a,b"), None);
    }

    use super::*;

    fn chunks(text: &str, size: usize) -> Vec<(String, u64)> {
        let mut chunker = Chunker::new(text.as_bytes(), 2, size);
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
        assert_eq!(record_end(b"a\"b\n\"c\n"), Some(7));
        assert_eq!(record_end(b"a,\"b\nc"), None);
    }
}
