//! `avfit media list CORPUS_DIR --out FILE` (alias `avfit media CORPUS_DIR --list FILE`): every
//! media file a corpus refers to, with what is needed to produce it, as CSV, so users download
//! and cut exactly what they need; and `media.csv`, the same table for every record a build read,
//! written beside the shards and listed in `manifest.json` `files`.
//!
//! Columns: `path,kind,dataset,youtube_id,media_id,clip_start,clip_end,frame_time,file`:
//! * `path`: relative to the media root; `kind`: `image`, `audio` or `video`; `dataset`: the
//!   first path component;
//! * `youtube_id`: the YouTube video the file is cut from; `media_id`: another identity
//!   (`oi:<ImageID>`, `voc:<id>`, `flickr:<id>`, `music:<id>`) of its source;
//! * `clip_start`, `clip_end`: seconds in the source video (`clip_end` empty: to the video's end);
//! * `frame_time`: seconds into the clip of a frame (the frame displayed at that time);
//! * `file`: the dataset's own file the media file is taken from when it is distributed as a
//!   file (an image, an audio file, a MUSIC-AVQA video `<id>`), empty when cut from a YouTube
//!   video.
//!
//! The values come from the adapter that read the record ([`crate::record::MediaOrigin`]), saved
//! by the build in `media.csv`; for a corpus without `media.csv` (built before it existed), or a
//! path it does not list, they are recovered from the file name ([`describe`]). Rows are unique
//! by path and sorted by it.

use crate::error::{Error, Result};
use crate::record::{Media, MediaOrigin, NamedBefore, Text};
use crate::writer::FileInfo;
use std::collections::BTreeMap;
use std::path::Path;

/// The side file a build writes beside the shards: every media path of the records it read.
pub const MEDIA_FILE: &str = "media.csv";

/// The CSV header of a media list and of `media.csv`.
pub const COLUMNS: [&str; 9] = [
    "path",
    "kind",
    "dataset",
    "youtube_id",
    "media_id",
    "clip_start",
    "clip_end",
    "frame_time",
    "file",
];

/// One row of the list.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MediaRow {
    /// Path relative to the media root.
    pub path: String,
    /// `image`, `audio` or `video`.
    pub kind: String,
    /// First path component.
    pub dataset: String,
    /// YouTube id, when the file is cut from a YouTube video.
    pub youtube_id: String,
    /// Another identity (`oi:<ImageID>`, ...), when the file is named after one.
    pub media_id: String,
    /// Clip start in the source video, seconds.
    pub clip_start: Option<f64>,
    /// Clip end in the source video, seconds; `None`: to the video's end, or unknown.
    pub clip_end: Option<f64>,
    /// Frame time within the clip, seconds.
    pub frame_time: Option<f64>,
    /// The dataset's own file name the media file is taken from, when distributed as a file.
    #[serde(default)]
    pub file: String,
}

/// The dataset of a media path relative to the media root: its first component
/// (`vggss/frames/x.jpg` -> `vggss`; a path without `/` is its own dataset).
fn dataset_of(path: &str) -> &str {
    memchr::memchr(b'/', path.as_bytes()).map_or(path, |end| &path[..end])
}

impl MediaRow {
    /// The row of `path` (of `kind`) from the origin its adapter gave.
    pub fn from_origin(path: &str, kind: &str, origin: &MediaOrigin) -> MediaRow {
        MediaRow {
            path: path.to_string(),
            kind: kind.to_string(),
            dataset: dataset_of(path).to_string(),
            youtube_id: origin.youtube_id.to_string(),
            media_id: origin.media_id.to_string(),
            clip_start: origin.clip_start,
            clip_end: origin.clip_end,
            frame_time: origin.frame_time,
            file: origin.file.to_string(),
        }
    }
}

/// The media paths of a build's records with their origins, unique by path (the first record
/// naming a path gives its row), sorted when written.
///
/// Memory: the rows are kept as their CSV lines in one buffer; a catalog made by
/// [`MediaCatalog::spilling`] writes them, sorted, as a run to an unlinked scratch file whenever
/// the buffer holds more than its limit (while the paths come in order, straight to `media.csv`
/// in a file without a name), and [`MediaCatalog::write_partial`] merges the runs, so
/// memory stays bounded whatever the number of media paths (1.9M at synth F = 1.0). The bytes
/// written are the same either way.
#[derive(Debug)]
pub struct MediaCatalog {
    /// The CSV lines of the rows not yet spilled, one after another.
    lines: Vec<u8>,
    /// The paths of those rows, one after another.
    paths: Vec<u8>,
    /// Per row: (start in `paths`, path length, start in the lines, line length).
    entries: Vec<(usize, u32, usize, u32)>,
    /// Paths added lately, [`RECENT_SLOTS`] of them, each in the slot its hash picks: a path
    /// found in its slot was added before and is not taken again (the first row of a path is
    /// the one written, so this changes no byte). Media shared by neighbouring records (an
    /// image's several classes, a pair's several AVFC records, a clip drawn again soon) are
    /// taken once. A slot holds the path's hash and where the path is in `paths` (start,
    /// length): another path in the slot is told apart by its hash, and no slot holds a count of
    /// a record's shared text (whose atomic updates, on a line other threads touch, were a quarter
    /// of this function's time). Emptied when `paths` is spilled.
    recent: Vec<Option<(u64, usize, u32)>>,
    /// Audio paths taken so far, by the address of their shared text, which each entry holds (so
    /// the address is not reused): a curated clip, drawn for image after image far apart, shares
    /// one text across its records and is taken once. At most [`SHARED_AUDIO_LIMIT`] entries;
    /// then it starts again empty.
    shared_audio: crate::split::FastMap<usize, Text>,
    /// Per kind (image, audio, video): the last path taken, its shared text held (so that its
    /// address is not reused while it is here). Records come in runs that share media (an image's
    /// several classes, a pair's AVFC records), so a path that is this very text, or has its
    /// bytes, was taken and is passed over before it is hashed, without a look into `recent`.
    /// The address is compared first: the text's bytes share a cache line with its reference
    /// count, which the thread that built the record has just written, and reading them on
    /// this thread waited for that line (most of this function's time in a build). The count
    /// held is taken only for a path past the address checks, not for each repeat.
    last_taken: [Option<Text>; 3],
    /// Where and from what size runs are spilled; `None`: all in memory.
    spill_to: Option<(std::path::PathBuf, usize)>,
    /// The scratch file and its runs, once the first run is spilled (not while `ordered`).
    spill: Option<Spill>,
    /// Whether every path taken so far came after the one before it (byte order): the rows then
    /// come sorted and unique, and a spilling catalog writes them as `media.csv` itself
    /// (`stream`), with nothing to sort or merge at the end. Open Images conversions, whose
    /// images come in ImageID order, stay so; the first path out of order ends it for good.
    ordered: bool,
    /// While `ordered`, once the first rows are spilled: `media.csv` written ahead.
    stream: Option<Stream>,
    /// The last path written to `stream`: the one the next path must come after when no row is
    /// in memory.
    last_streamed: Vec<u8>,
}

/// Slots of [`MediaCatalog`]'s recent paths (about 50 bytes each).
const RECENT_SLOTS: usize = 1 << 12;
/// Audio paths [`MediaCatalog`] remembers by address (about 40 bytes each with the table): more
/// than the clips of the full AudioSet side a curated row holds anyway.
const SHARED_AUDIO_LIMIT: usize = 1 << 21;

/// The hash of `path` that picks its slot among the recent paths (modulo the slots): its
/// foldhash (fixed seed).
fn recent_hash(path: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0x6d65_6469_61).hash_one(path)
}

impl Default for MediaCatalog {
    /// A catalog that keeps every row in memory (tests, small tools).
    fn default() -> Self {
        MediaCatalog {
            lines: Vec::new(),
            paths: Vec::new(),
            entries: Vec::new(),
            recent: vec![None; RECENT_SLOTS],
            shared_audio: Default::default(),
            last_taken: Default::default(),
            spill_to: None,
            spill: None,
            ordered: true,
            stream: None,
            last_streamed: Vec::new(),
        }
    }
}

/// `media.csv` written ahead by a spilling catalog whose paths come in order: a file without a
/// name in the output directory ([`crate::direct_file::DirectFile::create_unnamed`]) holding
/// [`HEADER`] and the rows spilled so far, with the size and SHA-256 of those bytes. Named
/// `media.csv.partial` by [`MediaCatalog::write_partial`]; read back into the first sorted run
/// when a path comes out of order.
struct Stream {
    file: crate::direct_file::DirectFile,
    hasher: sha2::Sha256,
    bytes: u64,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("bytes", &self.bytes)
            .finish_non_exhaustive()
    }
}

impl Stream {
    /// Appends `bytes` to the file and its digest.
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        use sha2::Digest;
        self.file.write_all(bytes)?;
        self.hasher.update(bytes);
        self.bytes += bytes.len() as u64;
        Ok(())
    }
}

/// The scratch file of a spilling catalog: runs of `[path length u32 LE][line length u32 LE]
/// [path][line]` entries, each run sorted by path with one entry per path.
#[derive(Debug)]
struct Spill {
    file: std::fs::File,
    /// Its name when removing it as soon as it was open failed (a system that cannot remove an
    /// open file): removed when dropped.
    path: Option<std::path::PathBuf>,
    /// (offset, bytes) of each run, in the order spilled.
    runs: Vec<(u64, u64)>,
    /// Bytes written so far.
    len: u64,
}

impl Drop for Spill {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A CSV writer of media rows (no header) into `buffer`.
fn row_writer(buffer: Vec<u8>) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .has_headers(false)
        .buffer_capacity(1 << 12)
        .from_writer(buffer)
}

/// Appends one CSV row of `fields` and its `\n` to `lines`: the bytes a [`row_writer`] writes.
/// Fields without a byte the csv writer quotes for (`,` `"` `\r` `\n`: csv_core's
/// `QuoteStyle::Necessary` with this delimiter and terminator) are joined as they are; a row
/// with one is taken back and written by the csv writer.
fn push_row(lines: &mut Vec<u8>, fields: [&str; 9]) {
    let start = lines.len();
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            lines.push(b',');
        }
        lines.extend_from_slice(field.as_bytes());
    }
    // Judged on the joined row, a few bytes at a time (memchr): no `"`, `\r` or `\n`, and no `,`
    // but the eight written between the fields.
    let row = &lines[start..];
    let plain = memchr::memchr3(b'"', b'\r', b'\n', row).is_none()
        && memchr::memchr_iter(b',', row).count() == fields.len() - 1;
    if plain {
        lines.push(b'\n');
    } else {
        lines.truncate(start);
        let mut writer = row_writer(Vec::new());
        writer.write_record(fields).expect("writing to memory");
        lines.extend_from_slice(&writer.into_inner().expect("writing to memory"));
    }
}

/// A media row's number as the csv writer writes an `f64` (ryu, shortest round trip) and `None`
/// (empty). Whole numbers below 10^15 in magnitude but `-0.0`, which ryu writes as the integer
/// and `.0` (`30.0`, `-7.0`), are written by itoa, several times faster.
#[derive(Default)]
struct NumberText {
    ryu: ryu::Buffer,
    itoa: itoa::Buffer,
    text: [u8; 24],
}

impl NumberText {
    /// The text of `value`.
    fn format(&mut self, value: Option<f64>) -> &str {
        let Some(v) = value else { return "" };
        if v.fract() == 0.0 && v.abs() < 1e15 && !(v == 0.0 && v.is_sign_negative()) {
            let digits = self.itoa.format(v as i64).as_bytes();
            self.text[..digits.len()].copy_from_slice(digits);
            self.text[digits.len()..digits.len() + 2].copy_from_slice(b".0");
            std::str::from_utf8(&self.text[..digits.len() + 2]).expect("ASCII digits")
        } else {
            self.ryu.format(v)
        }
    }
}

/// A cursor over one spilled run: its current entry (path, line) and where the next one is.
struct RunCursor {
    /// File offset of the next byte to read into `buffer`.
    next: u64,
    /// File offset of the run's end.
    end: u64,
    /// Bytes read ahead of the run, from `at` on not yet taken.
    buffer: Vec<u8>,
    at: usize,
    path: Vec<u8>,
    line: Vec<u8>,
}

/// Bytes a [`RunCursor`] reads at a time: one positioned read per 64 KiB, not three per entry.
const RUN_READ_BYTES: u64 = 1 << 16;

impl RunCursor {
    fn new(start: u64, len: u64) -> RunCursor {
        RunCursor {
            next: start,
            end: start + len,
            buffer: Vec::new(),
            at: 0,
            path: Vec::new(),
            line: Vec::new(),
        }
    }

    /// Makes at least `need` unread bytes available in `buffer[at..]`.
    fn fill(&mut self, file: &std::fs::File, need: usize) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        if self.buffer.len() - self.at >= need {
            return Ok(());
        }
        self.buffer.drain(..self.at);
        self.at = 0;
        let missing = (need - self.buffer.len()) as u64;
        let take = missing.max(RUN_READ_BYTES).min(self.end - self.next);
        if take < missing {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "a media.csv scratch run ends inside an entry",
            ));
        }
        let old = self.buffer.len();
        self.buffer.resize(old + take as usize, 0);
        file.read_exact_at(&mut self.buffer[old..], self.next)?;
        self.next += take;
        Ok(())
    }

    /// Reads the next entry of the run into `path` and `line`; false at the run's end.
    fn advance(&mut self, file: &std::fs::File) -> std::io::Result<bool> {
        if self.at == self.buffer.len() && self.next >= self.end {
            return Ok(false);
        }
        self.fill(file, 8)?;
        let lengths = &self.buffer[self.at..self.at + 8];
        let path_len = u32::from_le_bytes(lengths[..4].try_into().expect("4 bytes")) as usize;
        let line_len = u32::from_le_bytes(lengths[4..].try_into().expect("4 bytes")) as usize;
        self.fill(file, 8 + path_len + line_len)?;
        let entry = &self.buffer[self.at + 8..self.at + 8 + path_len + line_len];
        self.path.clear();
        self.path.extend_from_slice(&entry[..path_len]);
        self.line.clear();
        self.line.extend_from_slice(&entry[path_len..]);
        self.at += 8 + path_len + line_len;
        Ok(true)
    }
}

impl MediaCatalog {
    /// A catalog that spills its rows to a scratch file in `dir` (created there as
    /// `media.csv.partial`, removed at once: nothing is left under a name) each time they take
    /// more than `limit` bytes. `dir` is the output directory of the build. Its buffers are made
    /// as large as a run can grow (rows of about 100 bytes, paths of about 40): grown by doubling
    /// they copied themselves and the kernel zeroed twice the memory (a sixth of the conversion's
    /// page faults); memory that is never written is never resident.
    pub fn spilling(dir: &Path, limit: usize) -> Self {
        let limit = limit.max(1);
        MediaCatalog {
            lines: Vec::with_capacity(limit),
            paths: Vec::with_capacity(limit / 2),
            entries: Vec::with_capacity(limit / 64),
            spill_to: Some((dir.to_path_buf(), limit)),
            ..MediaCatalog::default()
        }
    }

    /// Adds the image, audio and video of `media` (with their origins; a path without an origin
    /// is described from its name by [`describe`] with no groups).
    ///
    /// Errors: a scratch run cannot be written (with the output directory's path).
    pub fn add(&mut self, media: &Media) -> Result<()> {
        self.add_except(media, NamedBefore::default())
    }

    /// [`MediaCatalog::add`] but for the media its source says an earlier record named with the
    /// same origin (`named`): their rows came with that record or one before it, and they are
    /// passed over without reading their paths.
    ///
    /// Errors: a scratch run cannot be written (with the output directory's path).
    pub fn add_except(&mut self, media: &Media, named: NamedBefore) -> Result<()> {
        let o = &media.origins;
        for (last, (kind, path, origin, named_before)) in [
            ("image", &media.image, &o.image, named.image),
            ("audio", &media.audio, &o.audio, named.audio),
            ("video", &media.video, &o.video, named.video),
        ]
        .into_iter()
        .enumerate()
        {
            let Some(path) = path else { continue };
            if named_before {
                continue;
            }
            // By address first, without reading the path's bytes: the last text of its kind, then
            // (audio) the texts taken so far.
            let address = std::sync::Arc::as_ptr(path) as *const u8 as usize;
            let last = &mut self.last_taken[last];
            if last.as_ref().is_some_and(|last| std::sync::Arc::ptr_eq(last, path)) {
                continue;
            }
            if kind == "audio" && self.shared_audio.contains_key(&address) {
                continue;
            }
            // Past this check the path is either found taken or taken below, or `add` fails (the
            // build stops: leaving the order there may have lost the rows written ahead too).
            if last.as_deref() == Some(&**path) {
                continue;
            }
            *last = Some(path.clone());
            let hash = recent_hash(path);
            let slot = hash as usize & (RECENT_SLOTS - 1);
            if self.recent[slot].is_some_and(|(seen_hash, start, len)| {
                seen_hash == hash && self.paths[start..start + len as usize] == *path.as_bytes()
            }) {
                continue;
            }
            if self.ordered {
                let previous = match self.entries.last() {
                    Some(&(p, len, _, _)) => Some(&self.paths[p..p + len as usize]),
                    None => self.stream.as_ref().map(|_| &self.last_streamed[..]),
                };
                match previous.map(|previous| path.as_bytes().cmp(previous)) {
                    // The last row's path again (its slot emptied by a spill): taken already.
                    Some(std::cmp::Ordering::Equal) => continue,
                    Some(std::cmp::Ordering::Less) => {
                        let dir = self.spill_to.as_ref().map(|(dir, _)| dir.clone()).unwrap_or_default();
                        self.leave_order().map_err(|e| Error::io(&dir, e))?;
                    }
                    _ => {}
                }
            }
            let start = self.lines.len();
            match origin {
                Some(origin) => {
                    let mut numbers = [NumberText::default(), NumberText::default(), NumberText::default()];
                    let [start, end, frame] = &mut numbers;
                    let clip_start = start.format(origin.clip_start);
                    let clip_end = end.format(origin.clip_end);
                    let frame_time = frame.format(origin.frame_time);
                    push_row(
                        &mut self.lines,
                        [
                            path,
                            kind,
                            dataset_of(path),
                            &origin.youtube_id,
                            &origin.media_id,
                            clip_start,
                            clip_end,
                            frame_time,
                            &origin.file,
                        ],
                    )
                }
                None => {
                    let mut writer = row_writer(Vec::new());
                    writer
                        .serialize(describe::<&str>(path, kind, &[]))
                        .expect("writing to memory");
                    self.lines
                        .extend_from_slice(&writer.into_inner().expect("writing to memory"));
                }
            }
            let end = self.lines.len();
            self.entries
                .push((self.paths.len(), path.len() as u32, start, (end - start) as u32));
            self.recent[slot] = Some((hash, self.paths.len(), path.len() as u32));
            self.paths.extend_from_slice(path.as_bytes());
            if kind == "audio" {
                if self.shared_audio.len() >= SHARED_AUDIO_LIMIT {
                    self.shared_audio.clear();
                }
                self.shared_audio.insert(address, path.clone());
            }
        }
        if let Some((dir, limit)) = &self.spill_to {
            if self.lines.len() + self.paths.len() > *limit {
                let dir = dir.clone();
                self.spill_run().map_err(|e| Error::io(&dir, e))?;
            }
        }
        Ok(())
    }

    /// The rows in memory sorted by path, one per path (the first added): (path, line) pairs.
    fn sorted(&mut self) -> Vec<(&[u8], &[u8])> {
        let (paths, lines) = (&self.paths, &self.lines);
        let mut rows: Vec<(&[u8], &[u8])> = self
            .entries
            .iter()
            .map(|&(p, pl, l, ll)| (&paths[p..p + pl as usize], &lines[l..l + ll as usize]))
            .collect();
        rows.sort_by(|a, b| a.0.cmp(b.0)); // stable: the first added of a path stays first
        rows.dedup_by(|later, first| later.0 == first.0);
        rows
    }

    /// Writes the rows in memory as one sorted run to the scratch file (while `ordered`: to
    /// `stream`, as `media.csv`'s lines) and empties the buffer.
    fn spill_run(&mut self) -> std::io::Result<()> {
        if self.ordered {
            if self.stream.is_none() {
                let (dir, _) = self.spill_to.as_ref().expect("a spilling catalog");
                self.stream = crate::direct_file::DirectFile::create_unnamed(dir)?.map(|file| Stream {
                    file,
                    hasher: sha2::Digest::new(),
                    bytes: 0,
                });
                if let Some(stream) = &mut self.stream {
                    stream.write(HEADER.as_bytes())?;
                    stream.write(b"\n")?;
                }
            }
            if let Some(stream) = &mut self.stream {
                // In order, the lines are one after another in `lines`, sorted and unique.
                stream.write(&self.lines)?;
                if let Some(&(p, len, _, _)) = self.entries.last() {
                    self.last_streamed.clear();
                    self.last_streamed.extend_from_slice(&self.paths[p..p + len as usize]);
                }
                self.empty_memory();
                return Ok(());
            }
            // No file without a name here: sorted runs, as for rows in any order.
            self.ordered = false;
        }
        let mut spill = take_spill(&mut self.spill, &self.spill_to)?;
        let run = append_run(&mut spill, self.sorted().into_iter().map(Ok));
        self.spill = Some(spill);
        run?;
        self.empty_memory();
        Ok(())
    }

    /// Empties the rows in memory and the recent paths (which point into them).
    fn empty_memory(&mut self) {
        self.lines.clear();
        self.paths.clear();
        self.entries.clear();
        self.recent.iter_mut().for_each(|slot| *slot = None);
    }

    /// Ends `ordered`: the rows written ahead to `stream` become the scratch file's first run,
    /// read back from its CSV (each row as the csv writer writes it again: its own bytes).
    fn leave_order(&mut self) -> std::io::Result<()> {
        use std::io::{Seek, SeekFrom};
        self.ordered = false;
        let Some(stream) = self.stream.take() else {
            return Ok(());
        };
        let mut file = stream.file.finish()?;
        // From the start, the header read as such: a CSV reader strips a byte order mark at the
        // start of its input, which the first row's path may begin with.
        file.seek(SeekFrom::Start(0))?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(std::io::BufReader::with_capacity(1 << 16, file));
        let mut record = csv::ByteRecord::new();
        let rows = std::iter::from_fn(|| match reader.read_byte_record(&mut record) {
            Ok(false) => None,
            Ok(true) => {
                let mut writer = row_writer(Vec::new());
                let line = writer
                    .write_byte_record(&record)
                    .map_err(std::io::Error::other)
                    .and_then(|()| writer.into_inner().map_err(|e| e.into_error()));
                Some(line.map(|line| (record[0].to_vec(), line)))
            }
            Err(e) => Some(Err(std::io::Error::other(e))),
        });
        let mut spill = take_spill(&mut self.spill, &self.spill_to)?;
        let run = append_run(&mut spill, rows);
        self.spill = Some(spill);
        run
    }

    /// Writes the rows as CSV to `<out>/media.csv.partial` (created new, synced) for
    /// [`crate::writer::commit`] to rename: [`HEADER`], then one row per path in path order (rows
    /// that came in order and were written ahead are that file already: it is named, see
    /// [`MediaCatalog::finish_stream`]). Returns its `files` entry (path `media.csv`, size,
    /// SHA-256).
    ///
    /// Errors: the file exists or cannot be written, or a scratch run cannot be read, with its
    /// path.
    pub fn write_partial(&mut self, out: &Path) -> Result<FileInfo> {
        use sha2::Digest;
        let partial = out.join(format!("{MEDIA_FILE}{}", crate::outdir::PARTIAL));
        if let Some(stream) = self.stream.take() {
            return self.finish_stream(stream, &partial);
        }
        if self.spill.is_some() && !self.entries.is_empty() {
            self.spill_run().map_err(|e| Error::io(out, e))?;
        }
        let spill = self.spill.take();
        let file = crate::direct_file::DirectFile::create_new(&partial).map_err(|e| Error::io(&partial, e))?;
        // This thread merges the rows into blocks; a second one hashes and writes them, so the
        // merge, the hash and the copy into the page cache overlap.
        let (send, receive) = std::sync::mpsc::sync_channel::<Vec<u8>>(BLOCKS_IN_FLIGHT);
        let (give_back, spare) = std::sync::mpsc::channel::<Vec<u8>>();
        let (merged, written) = std::thread::scope(|scope| {
            let writing = scope.spawn(move || -> std::io::Result<(u64, String)> {
                let mut file = file;
                let mut hasher = sha2::Sha256::new();
                let mut bytes = 0u64;
                for block in receive {
                    hasher.update(&block);
                    bytes += block.len() as u64;
                    file.write_all(&block)?;
                    let _ = give_back.send(block);
                }
                file.finish()?.sync_all()?;
                Ok((bytes, format!("{:x}", hasher.finalize())))
            });
            let mut blocks = Blocks {
                block: Vec::with_capacity(BLOCK_BYTES),
                send,
                spare,
            };
            let merged = self
                .merge_rows(spill.as_ref(), &mut blocks)
                .and_then(|()| blocks.finish());
            (
                merged,
                writing.join().expect("the media.csv writing thread does not panic"),
            )
        });
        // The writing side's error is the cause when both failed (the merge then only saw it stop).
        let (bytes, sha256) = written.map_err(|e| Error::io(&partial, e))?;
        merged.map_err(|e| Error::io(&partial, e))?;
        Ok(FileInfo {
            path: MEDIA_FILE.to_string(),
            bytes,
            sha256,
        })
    }

    /// Appends the rows in memory to `stream` (all in order) and names its file `partial` (which
    /// must not exist), synced; where the file cannot be linked, it is copied there. Returns
    /// the `files` entry of `media.csv`.
    ///
    /// Errors: `partial` exists or cannot be written, with its path.
    fn finish_stream(&mut self, mut stream: Stream, partial: &Path) -> Result<FileInfo> {
        use sha2::Digest;
        let io = |e| Error::io(partial, e);
        stream.write(&self.lines).map_err(io)?;
        self.empty_memory();
        let Stream { file, hasher, bytes } = stream;
        let file = file.finish().map_err(io)?;
        match crate::direct_file::link(&file, partial) {
            Ok(()) => file.sync_all().map_err(io)?,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(io(e)),
            // Another file system than the output directory's (`EXDEV`), no `/proc`: a copy
            // (`std::io::copy`, the kernel's `copy_file_range` where it has one).
            Err(_) => {
                use std::io::{Seek, SeekFrom};
                let mut source = &file;
                source.seek(SeekFrom::Start(0)).map_err(io)?;
                let mut copy = std::fs::File::create_new(partial).map_err(io)?;
                std::io::copy(&mut source, &mut copy).map_err(io)?;
                copy.sync_all().map_err(io)?;
            }
        }
        Ok(FileInfo {
            path: MEDIA_FILE.to_string(),
            bytes,
            sha256: format!("{:x}", hasher.finalize()),
        })
    }

    /// Puts [`HEADER`] and every row, in path order, into `blocks`: the rows in memory when
    /// nothing was spilled, else the merge of the spilled runs (of equal paths the earliest run's
    /// row, the first added, is kept and the others are passed over).
    fn merge_rows(&mut self, spill: Option<&Spill>, blocks: &mut Blocks) -> std::io::Result<()> {
        blocks.put(HEADER.as_bytes())?;
        blocks.put(b"\n")?;
        let Some(spill) = spill else {
            for (_, line) in self.sorted() {
                blocks.put(line)?;
            }
            return Ok(());
        };
        let mut cursors = Vec::with_capacity(spill.runs.len());
        for &(start, len) in &spill.runs {
            let mut cursor = RunCursor::new(start, len);
            if cursor.advance(&spill.file)? {
                cursors.push(cursor);
            }
        }
        let mut path = Vec::new();
        while !cursors.is_empty() {
            let mut first = 0;
            for (i, c) in cursors.iter().enumerate().skip(1) {
                if c.path < cursors[first].path {
                    first = i;
                }
            }
            blocks.put(&cursors[first].line)?;
            path.clone_from(&cursors[first].path);
            let mut i = 0;
            while i < cursors.len() {
                if cursors[i].path == path && !cursors[i].advance(&spill.file)? {
                    cursors.remove(i);
                    continue;
                }
                i += 1;
            }
        }
        Ok(())
    }
}

/// The scratch file of a spilling catalog, taken out of `spill` (the caller puts it back), or
/// opened in the directory of `spill_to` (as `media.csv.partial`, removed at once) when there
/// is none yet.
fn take_spill(spill: &mut Option<Spill>, spill_to: &Option<(std::path::PathBuf, usize)>) -> std::io::Result<Spill> {
    if spill.is_none() {
        let (dir, _) = spill_to.as_ref().expect("a spilling catalog");
        let path = dir.join(format!("{MEDIA_FILE}{}", crate::outdir::PARTIAL));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        let left = std::fs::remove_file(&path).is_err().then_some(path);
        *spill = Some(Spill {
            file,
            path: left,
            runs: Vec::new(),
            len: 0,
        });
    }
    Ok(spill.take().expect("opened above"))
}

/// Appends `rows` (path, line), sorted by path with one row per path, as one run to `spill`;
/// the first error of `rows` or of the writes stops it.
fn append_run<P: AsRef<[u8]>, L: AsRef<[u8]>>(
    spill: &mut Spill,
    rows: impl Iterator<Item = std::io::Result<(P, L)>>,
) -> std::io::Result<()> {
    use std::io::Write;
    let start = spill.len;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, &spill.file);
    let mut bytes = 0u64;
    for row in rows {
        let (path, line) = row?;
        let (path, line) = (path.as_ref(), line.as_ref());
        out.write_all(&(path.len() as u32).to_le_bytes())?;
        out.write_all(&(line.len() as u32).to_le_bytes())?;
        out.write_all(path)?;
        out.write_all(line)?;
        bytes += 8 + (path.len() + line.len()) as u64;
    }
    out.flush()?;
    drop(out);
    spill.runs.push((start, bytes));
    spill.len += bytes;
    Ok(())
}

/// Bytes of `media.csv` handed to its writing thread at a time.
const BLOCK_BYTES: usize = 1 << 20;
/// Blocks waiting for the writing thread.
const BLOCKS_IN_FLIGHT: usize = 4;

/// The merging side of [`MediaCatalog::write_partial`]: gathers rows into blocks of about
/// [`BLOCK_BYTES`] and sends each full one to the writing thread, reusing the blocks it gives back.
struct Blocks {
    block: Vec<u8>,
    send: std::sync::mpsc::SyncSender<Vec<u8>>,
    spare: std::sync::mpsc::Receiver<Vec<u8>>,
}

impl Blocks {
    /// Appends `bytes`; sends the block once it is full.
    ///
    /// Errors: the writing thread stopped (its own error tells why).
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.block.extend_from_slice(bytes);
        if self.block.len() >= BLOCK_BYTES {
            self.send_block()?;
        }
        Ok(())
    }

    fn send_block(&mut self) -> std::io::Result<()> {
        let next = match self.spare.try_recv() {
            Ok(mut block) => {
                block.clear();
                block
            }
            Err(_) => Vec::with_capacity(BLOCK_BYTES),
        };
        let block = std::mem::replace(&mut self.block, next);
        self.send
            .send(block)
            .map_err(|_| std::io::Error::other("the media.csv writing thread stopped"))
    }

    /// Sends what is left and hangs up.
    fn finish(mut self) -> std::io::Result<()> {
        if !self.block.is_empty() {
            self.send_block()?;
        }
        Ok(())
    }
}

/// Reads `<dir>/media.csv` by path; empty when the corpus has none.
///
/// Errors: the file is there but a row does not parse (path, line, what was expected).
pub fn read_media_file(dir: &Path) -> Result<BTreeMap<String, MediaRow>> {
    let path = dir.join(MEDIA_FILE);
    if !path.is_file() {
        return Ok(BTreeMap::new());
    }
    let mut reader = csv::Reader::from_path(&path).map_err(|e| Error::input(&path, None, e.to_string()))?;
    let mut rows = BTreeMap::new();
    for (i, row) in reader.deserialize::<MediaRow>().enumerate() {
        let row = row.map_err(|e| {
            Error::input(
                &path,
                Some(i as u64 + 2),
                format!("expected {}: {e}", COLUMNS.join(",")),
            )
        })?;
        rows.insert(row.path.clone(), row);
    }
    Ok(rows)
}

/// The media rows of every sample of the corpus in `dir`, unique by path, sorted: each from the
/// corpus's `media.csv` when it lists the path, else from the path's name ([`describe`]).
///
/// Errors: `dir` has no `manifest.json`, a shard or `media.csv` cannot be read, a line is not a
/// sample, or a media path is absolute or has a `..` component ([`crate::media::media_path`]; the
/// shard and line name the sample): such a list would send downloads outside the media root.
pub fn media_rows(dir: &Path) -> Result<Vec<MediaRow>> {
    crate::corpus::read_manifest(dir)?; // a corpus, not any directory
    let known = read_media_file(dir)?;
    let mut rows: BTreeMap<String, MediaRow> = BTreeMap::new();
    crate::corpus::for_each_sample(dir, |shard, line, sample| {
        for (kind, path) in [
            ("image", &sample.image),
            ("audio", &sample.audio),
            ("video", &sample.video),
        ] {
            if let Some(path) = path {
                crate::media::media_path(Path::new(""), path)
                    .map_err(|e| Error::input(shard, Some(line), format!("{}: {kind} {e}", sample.id)))?;
                rows.entry(path.clone()).or_insert_with(|| match known.get(path) {
                    Some(row) => row.clone(),
                    None => describe(path, kind, &sample.groups),
                });
            }
        }
        Ok(())
    })?;
    Ok(rows.into_values().collect())
}

/// Describes one media file from its path and the groups of a sample that uses it (for corpora
/// without `media.csv`): clip windows from `<id>_<s>_<e>` (LLP, VALOR), `<id>_<NNNNNN>`
/// (VGGSound-style 10 s clips), `<id>_<ms>` (AudioSet, AudioSet Strong: milliseconds, 10 s
/// clips); frame times from `<key>_<t>.jpg` (LLP) and 5.0 for VGG-SS.
pub fn describe<G: AsRef<str>>(path: &str, kind: &str, groups: &[G]) -> MediaRow {
    let dataset = dataset_of(path).to_string();
    let stem = Path::new(path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut row = MediaRow {
        path: path.to_string(),
        kind: kind.to_string(),
        dataset: dataset.clone(),
        ..MediaRow::default()
    };
    for g in groups {
        let g = g.as_ref();
        let Some((namespace, id)) = g.split_once(':') else {
            continue;
        };
        if !stem.starts_with(id) {
            continue;
        }
        if namespace == "yt" && dataset == "avsbench" {
            // AVSBench names frames `<video>_<k>` by frame index; its clip start is not in names.
            row.youtube_id = id.to_string();
        } else if namespace == "yt" {
            row.youtube_id = id.to_string();
            let rest: Vec<&str> = stem[id.len()..].split('_').filter(|p| !p.is_empty()).collect();
            let numbers: Vec<f64> = rest.iter().filter_map(|p| p.parse().ok()).collect();
            match (rest.len(), numbers.as_slice()) {
                // <id>_<s>_<e>_<t>: a frame of an LLP clip; <id>_<s>_<e>: an LLP or VALOR clip.
                (3, [s, e, t]) => (row.clip_start, row.clip_end, row.frame_time) = (Some(*s), Some(*e), Some(*t)),
                (2, [s, e]) => (row.clip_start, row.clip_end) = (Some(*s), Some(*e)),
                (1, [n]) if dataset.starts_with("audioset") => {
                    (row.clip_start, row.clip_end) = (Some(n / 1000.0), Some(n / 1000.0 + 10.0))
                }
                (1, [n]) => (row.clip_start, row.clip_end) = (Some(*n), Some(n + 10.0)),
                _ => {}
            }
        } else {
            row.media_id = g.to_string();
        }
    }
    if kind == "image" && dataset == "vggss" {
        row.frame_time = Some(5.0);
    }
    row
}

/// The CSV text of `rows` with the header [`COLUMNS`].
fn csv_bytes(rows: &[MediaRow]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    w.write_record(COLUMNS).expect("writing to memory");
    for row in rows {
        w.serialize(row).expect("a media row serializes");
    }
    w.into_inner().expect("writing to memory")
}

/// The header line of `avfit media list`, by which an earlier list is recognized (and replaced):
/// [`COLUMNS`] joined by commas.
pub const HEADER: &str = "path,kind,dataset,youtube_id,media_id,clip_start,clip_end,frame_time,file";

/// The header of lists written before the `file` column (recognized too).
const HEADER_BEFORE_FILE: &str = "path,kind,dataset,youtube_id,media_id,clip_start,clip_end,frame_time";

/// `avfit media list`: a file whose first line is exactly [`HEADER`] (or the header before the
/// `file` column).
pub const CSV_FILE: crate::outdir::ReportFile = crate::outdir::ReportFile {
    command: "avfit media list",
    recognizes: |bytes| {
        let line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        line == HEADER.as_bytes() || line == HEADER_BEFORE_FILE.as_bytes()
    },
};

/// Writes `rows` as CSV to `path`, [`HEADER`] first, through [`crate::outdir::write_report`]
/// (a new file renamed over an earlier list).
///
/// Errors: `path` may not receive the list ([`crate::outdir::check_report_target`]), or the file
/// cannot be written.
pub fn write_csv(rows: &[MediaRow], path: &Path) -> Result<()> {
    crate::outdir::write_report(path, &CSV_FILE, &csv_bytes(rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paths_dataset_is_its_first_component() {
        assert_eq!(dataset_of("vggss/frames/x.jpg"), "vggss");
        assert_eq!(dataset_of("llp/audios/a_1_2.wav"), "llp");
        assert_eq!(dataset_of("plain.wav"), "plain.wav");
        assert_eq!(dataset_of("/abs"), "");
        assert_eq!(dataset_of(""), "");
    }

    fn g(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// A fresh empty directory under the system's temporary directory.
    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("avfit-media-list-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Forgets which paths were taken lately (the recent slots and the last path of each kind),
    /// as if many other paths had come between: a repeat then reaches the rows (or runs).
    fn forget_recent(catalog: &mut MediaCatalog) {
        catalog.recent.iter_mut().for_each(|slot| *slot = None);
        catalog.last_taken = Default::default();
    }

    fn image(path: &str, media_id: &str) -> Media {
        Media {
            image: Some(path.into()),
            origins: crate::record::MediaOrigins {
                image: Some(MediaOrigin::file(media_id, "x.jpg").into()),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    /// `media.csv` of the first rows of images a, "b,2", c and d (the tests' adds below).
    const FIRST_OF_FOUR: &str = "path,kind,dataset,youtube_id,media_id,clip_start,clip_end,frame_time,file\n\
                                 oi/images/a.jpg,image,oi,,first-a,,,,x.jpg\n\
                                 \"oi/images/b,2.jpg\",image,oi,,first-b,,,,x.jpg\n\
                                 oi/images/c.jpg,image,oi,,first-c,,,,x.jpg\n\
                                 oi/images/d.jpg,image,oi,,first-d,,,,x.jpg\n";

    /// Image paths in byte order, two of them named twice in a row (the second time with another
    /// media id, which loses): [`FIRST_OF_FOUR`] is their list.
    const IN_ORDER_WITH_REPEATS: [(&str, &str); 6] = [
        ("oi/images/a.jpg", "first-a"),
        ("oi/images/b,2.jpg", "first-b"),
        ("oi/images/b,2.jpg", "later-b"),
        ("oi/images/c.jpg", "first-c"),
        ("oi/images/d.jpg", "first-d"),
        ("oi/images/d.jpg", "later-d"),
    ];

    /// Spilled runs merge to the bytes of the in-memory catalog: sorted by path, one row per
    /// path, the first added winning even when its duplicate is in a later run, a path with a
    /// comma quoted.
    #[test]
    fn spilled_runs_write_what_memory_writes() {
        let adds = [
            ("oi/images/c.jpg", "first-c"),
            ("oi/images/a.jpg", "first-a"),
            ("oi/images/b,2.jpg", "first-b"),
            ("oi/images/a.jpg", "later-a"),
            ("oi/images/d.jpg", "first-d"),
            ("oi/images/c.jpg", "later-c"),
            ("oi/images/a.jpg", "last-a"),
        ];
        let expected = FIRST_OF_FOUR;
        // 1 byte: a run per row; 100 bytes: runs of two rows; 1 MiB: no spill.
        for limit in [1, 100, 1 << 20] {
            let dir = scratch(&format!("spill-{limit}"));
            let mut catalog = MediaCatalog::spilling(&dir, limit);
            for (path, id) in adds {
                // As if each path had left the recent ones: every duplicate reaches the runs.
                forget_recent(&mut catalog);
                catalog.add(&image(path, id)).unwrap();
            }
            let runs = catalog.spill.as_ref().map_or(0, |s| s.runs.len());
            let info = catalog.write_partial(&dir).unwrap();
            let written = std::fs::read_to_string(dir.join("media.csv.partial")).unwrap();
            assert_eq!(written, expected, "limit {limit}");
            assert_eq!(info.bytes, expected.len() as u64);
            // Only the written file is left: the scratch file was removed when opened.
            let names: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(names, ["media.csv.partial"], "limit {limit}");
            assert_eq!(
                runs,
                [7, 3, 0][[1, 100, 1 << 20].iter().position(|&l| l == limit).unwrap()]
            );
            let mut memory = MediaCatalog::default();
            for (path, id) in adds {
                memory.add(&image(path, id)).unwrap();
            }
            let dir2 = scratch(&format!("memory-{limit}"));
            assert_eq!(memory.write_partial(&dir2).unwrap(), info);
            std::fs::remove_dir_all(&dir).unwrap();
            std::fs::remove_dir_all(&dir2).unwrap();
        }
    }

    /// A merge that fails (a scratch run cut short: the file system lost it) stops the writing
    /// of several blocks with its error under the `.partial` path, after the writing thread
    /// took what was merged; nothing waits forever for the other side.
    #[test]
    fn a_merge_that_fails_mid_list_stops_with_its_error() {
        let dir = scratch("merge-fails");
        let mut catalog = MediaCatalog::spilling(&dir, 1 << 19);
        for i in 0..60_000u32 {
            catalog
                .add(&image(&format!("oi/images/{:06}.jpg", i * 7_919 % 60_000), "id"))
                .unwrap();
        }
        catalog.spill_run().unwrap();
        let spill = catalog.spill.as_ref().unwrap();
        assert!(spill.runs.len() > 2);
        spill.file.set_len(spill.len - 100).unwrap();
        let error = catalog.write_partial(&dir).unwrap_err();
        let Error::Io { path, source } = &error else {
            panic!("{error}")
        };
        assert_eq!(path, &dir.join("media.csv.partial"));
        assert_eq!(source.kind(), std::io::ErrorKind::UnexpectedEof, "{source}");
        assert!(std::fs::metadata(dir.join("media.csv.partial")).unwrap().len() >= BLOCK_BYTES as u64);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A `media.csv` of several blocks ([`BLOCK_BYTES`]) is the rows in path order, whole, with
    /// the size and SHA-256 of its bytes, spilled or not: 60,000 rows of 45 to 49 bytes, added in
    /// a shuffled order.
    #[test]
    fn a_media_list_of_several_blocks_is_whole_and_its_digest_is_of_its_bytes() {
        use sha2::Digest;
        let ids: Vec<u32> = (0..60_000u32).map(|i| i * 7_919 % 60_000).collect();
        let mut expected = String::from(HEADER);
        expected.push('\n');
        for i in 0..60_000u32 {
            expected += &format!("oi/images/{i:06}.jpg,image,oi,,id{i},,,,x.jpg\n");
        }
        assert!(expected.len() > 2 * BLOCK_BYTES);
        for limit in [1 << 19, 1 << 30] {
            let dir = scratch(&format!("blocks-{limit}"));
            let mut catalog = MediaCatalog::spilling(&dir, limit);
            for i in &ids {
                catalog
                    .add(&image(&format!("oi/images/{i:06}.jpg"), &format!("id{i}")))
                    .unwrap();
            }
            assert_eq!(catalog.spill.is_some(), limit == 1 << 19);
            let info = catalog.write_partial(&dir).unwrap();
            let written = std::fs::read(dir.join("media.csv.partial")).unwrap();
            assert!(written == expected.as_bytes(), "limit {limit}");
            assert_eq!(info.bytes, expected.len() as u64);
            assert_eq!(info.sha256, format!("{:x}", sha2::Sha256::digest(expected.as_bytes())));
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    /// A byte the csv writer quotes for (`,` `"` `\r` `\n`), alone, doubled, at a field's start
    /// or end, in each of the nine fields (path, youtube_id, media_id, file among them), or in
    /// none: the row appended after rows already written (one quoted) is the csv writer's bytes,
    /// and the rows before it are left as they were.
    #[test]
    fn a_quoted_byte_in_any_field_gives_the_csv_writers_row() {
        let mut before = Vec::new();
        push_row(&mut before, ["a,\"b\".jpg", "image", "a", "", "", "", "", "", "x"]);
        push_row(&mut before, ["a/c.jpg", "image", "a", "", "", "", "", "", "c.jpg"]);
        assert_eq!(
            String::from_utf8(before.clone()).unwrap(),
            "\"a,\"\"b\"\".jpg\",image,a,,,,,,x\na/c.jpg,image,a,,,,,,c.jpg\n"
        );
        let base = ["p/k.jpg", "image", "p", "yt", "oi:k", "1.0", "2.0", "0.5", "k.jpg"];
        let specials = [",", "\"", "\r", "\n", ",,", "\"\"", "\r\n", ",\""];
        let mut cases = vec![base];
        let mut texts = Vec::new();
        for position in 0..9 {
            for special in specials {
                for text in [
                    format!("{special}{}", base[position]),
                    format!("{}{special}", base[position]),
                    format!("x{special}y"),
                    special.to_string(),
                ] {
                    texts.push((position, text));
                }
            }
        }
        for (position, text) in &texts {
            let mut fields = base;
            fields[*position] = text;
            cases.push(fields);
        }
        for fields in cases {
            let mut ours = before.clone();
            push_row(&mut ours, fields);
            let mut writer = row_writer(before.clone());
            writer.write_record(fields).unwrap();
            let theirs = writer.into_inner().unwrap();
            assert!(
                ours == theirs,
                "{fields:?}: {:?}",
                String::from_utf8_lossy(&ours[before.len()..])
            );
        }
        // One row by hand: a comma in the file name, a quote in the media id.
        let mut ours = Vec::new();
        push_row(
            &mut ours,
            ["p/k.jpg", "image", "p", "", "oi:\"k", "", "", "", "k,1.jpg"],
        );
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            "p/k.jpg,image,p,,\"oi:\"\"k\",,,,\"k,1.jpg\"\n"
        );
    }

    /// Rows and numbers written without the csv writer are its bytes: fields with and without a
    /// byte it quotes for, and whole, fractional, signed and non-finite numbers around the
    /// bounds of the integer path.
    #[test]
    fn rows_and_numbers_are_the_csv_writers_bytes() {
        let rows: [[&str; 9]; 4] = [
            ["a/b.wav", "audio", "a", "yt1", "", "30.0", "40.0", "", ""],
            ["a/b,c.jpg", "image", "a", "", "oi:x", "", "", "", "x.jpg"],
            ["a/\"q\".jpg", "image", "a", "", "", "", "", "", "line\nend"],
            ["a/cr\r.wav", "", "", "", "", "", "", "", ""],
        ];
        for fields in rows {
            let mut ours = Vec::new();
            push_row(&mut ours, fields);
            let mut writer = row_writer(Vec::new());
            writer.write_record(fields).unwrap();
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(writer.into_inner().unwrap()).unwrap()
            );
        }
        let values = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            30.0,
            0.5,
            10.25,
            -3.5,
            2.5e-7,
            999_999_999_999_999.0,
            -999_999_999_999_999.0,
            1e15,
            1e16,
            4.5e15,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for v in values {
            let mut text = NumberText::default();
            assert_eq!(text.format(Some(v)), ryu::Buffer::new().format(v), "{v:e}");
        }
        assert_eq!(NumberText::default().format(Some(30.0)), "30.0");
        assert_eq!(NumberText::default().format(None), "");
    }

    /// The catalog's rows for hostile paths and origins (every byte the csv writer quotes for,
    /// a space, `#` and a BOM first, empty fields, non-ASCII) and numbers around the integer
    /// path's bounds are the bytes the csv writer serializes for their [`MediaRow`]s, as
    /// `media.csv` was written before rows were joined by hand.
    #[test]
    fn catalog_rows_are_the_serialized_media_rows() {
        let texts = [
            "",
            "plain",
            "a,b",
            "q\"uote",
            "\"",
            "cr\rlf",
            "lf\nx",
            "\r\n",
            " lead",
            "# hash",
            "\u{feff}bom",
            "tab\tx",
            "é日🎵",
            ",",
            "\"\"",
            "trail ",
        ];
        let numbers = [
            None,
            Some(0.0),
            Some(-0.0),
            Some(30.0),
            Some(-7.0),
            Some(0.1),
            Some(12.345),
            Some(999_999_999_999_999.0),
            Some(-999_999_999_999_999.0),
            Some(1e15),
            Some(-1e15),
            Some(9_007_199_254_740_993.0),
            Some(1e21),
            Some(1e-7),
            Some(5e-324),
            Some(f64::NAN),
            Some(f64::INFINITY),
            Some(f64::NEG_INFINITY),
            Some(f64::MAX),
        ];
        let mut catalog = MediaCatalog::default();
        let mut rows = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            for (j, number) in numbers.iter().enumerate() {
                let path = format!("d{text}/{i}_{j}{text}.jpg");
                let origin = MediaOrigin {
                    youtube_id: texts[(i + j) % texts.len()].into(),
                    media_id: texts[(i + 2 * j) % texts.len()].into(),
                    file: (*text).into(),
                    clip_start: *number,
                    clip_end: numbers[(j + 1) % numbers.len()],
                    frame_time: numbers[(j + 5) % numbers.len()],
                };
                rows.push(MediaRow::from_origin(&path, "image", &origin));
                let media = Media {
                    image: Some(path.as_str().into()),
                    origins: crate::record::MediaOrigins {
                        image: Some(origin.into()),
                        ..Default::default()
                    },
                    ..Default::default()
                };
                catalog.add(&media).unwrap();
            }
            // A path without an origin: described from its name.
            let bare = format!("e{text}/{i}.wav");
            rows.push(describe::<&str>(&bare, "audio", &[]));
            catalog
                .add(&Media {
                    audio: Some(bare.as_str().into()),
                    ..Default::default()
                })
                .unwrap();
        }
        rows.sort_by(|a, b| a.path.cmp(&b.path));
        let expected = csv_bytes(&rows);
        let header_end = expected.iter().position(|&b| b == b'\n').unwrap() + 1;
        let ours: Vec<u8> = catalog
            .sorted()
            .into_iter()
            .flat_map(|(_, line)| line.to_vec())
            .collect();
        assert_eq!(rows.len(), texts.len() * (numbers.len() + 1));
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            String::from_utf8(expected[header_end..].to_vec()).unwrap()
        );
    }

    /// Whole numbers take itoa's path below 10^15 and ryu's from there: ryu's bytes either way,
    /// for every whole number near the bound and near powers of two and ten, both signs.
    #[test]
    fn whole_numbers_are_ryus_bytes_on_both_sides_of_the_bound() {
        let mut values = Vec::new();
        for base in [1e15, 2f64.powi(50), 2f64.powi(53), 1e14, 1e16, 1.0, 1024.0, 1e6] {
            for delta in -3i64..=3 {
                values.push(base + delta as f64);
                values.push(-(base + delta as f64));
            }
        }
        // Neighbouring doubles of the bound: the largest below it is not whole.
        values.push(f64::from_bits(1e15f64.to_bits() - 1));
        values.push(f64::from_bits(1e15f64.to_bits() + 1));
        let mut number = NumberText::default();
        for v in values {
            assert_eq!(number.format(Some(v)), ryu::Buffer::new().format(v), "{v:e}");
        }
        assert_eq!(number.format(Some(-999_999_999_999_999.0)), "-999999999999999.0");
        assert_eq!(number.format(Some(-0.0)), "-0.0");
    }

    #[test]
    fn the_header_is_the_columns() {
        assert_eq!(HEADER, COLUMNS.join(","));
    }

    #[test]
    fn clips_and_frames_from_names() {
        let llp = describe("llp/frames/KSRjje7GH44_60_70_5.0.jpg", "image", &g(&["yt:KSRjje7GH44"]));
        assert_eq!(
            (llp.youtube_id.as_str(), llp.clip_start, llp.clip_end, llp.frame_time),
            ("KSRjje7GH44", Some(60.0), Some(70.0), Some(5.0))
        );
        let valor = describe(
            "valor/videos/Agi5ySKb1tY_23.700_33.700.mp4",
            "video",
            &g(&["yt:Agi5ySKb1tY"]),
        );
        assert_eq!(
            (valor.clip_start, valor.clip_end, valor.frame_time),
            (Some(23.7), Some(33.7), None)
        );
        let vggss = describe("vggss/frames/zpWuikVorYg_000032.jpg", "image", &g(&["yt:zpWuikVorYg"]));
        assert_eq!(
            (vggss.clip_start, vggss.clip_end, vggss.frame_time),
            (Some(32.0), Some(42.0), Some(5.0))
        );
        let strong = describe(
            "audioset_strong/audios/s9d-2nhuJCQ_30000.wav",
            "audio",
            &g(&["oi:0001", "yt:s9d-2nhuJCQ"]),
        );
        assert_eq!(
            (strong.clip_start, strong.clip_end, strong.media_id.as_str()),
            (Some(30.0), Some(40.0), "")
        );
        let oi = describe(
            "openimages/images/0001.jpg",
            "image",
            &g(&["oi:0001", "yt:s9d-2nhuJCQ"]),
        );
        assert_eq!(
            (oi.media_id.as_str(), oi.youtube_id.as_str(), oi.clip_start),
            ("oi:0001", "", None)
        );
        let avs = describe("avsbench/frames/bbbbbbbbbbb_1_1.jpg", "image", &g(&["yt:bbbbbbbbbbb"]));
        assert_eq!(
            (avs.youtube_id.as_str(), avs.clip_start, avs.frame_time),
            ("bbbbbbbbbbb", None, None)
        );
    }

    /// A pair's image and audio named by consecutive records are taken once each, and a path
    /// named again while still among the recent ones is not taken again.
    #[test]
    fn media_shared_by_neighbours_are_taken_once() {
        let pair = |image_id: &str, audio_id: &str| Media {
            image: Some(format!("oi/images/{image_id}.jpg").into()),
            audio: Some(format!("audioset/audios/{audio_id}.wav").into()),
            ..Default::default()
        };
        let mut catalog = MediaCatalog::default();
        for media in [
            pair("a", "x"),
            pair("a", "x"),
            pair("a", "y"),
            pair("b", "y"),
            pair("a", "x"),
        ] {
            catalog.add(&media).unwrap();
        }
        // a, x; y; b.
        assert_eq!(catalog.entries.len(), 4);
        let rows: Vec<&[u8]> = catalog.sorted().into_iter().map(|(path, _)| path).collect();
        assert_eq!(
            rows,
            [
                &b"audioset/audios/x.wav"[..],
                b"audioset/audios/y.wav",
                b"oi/images/a.jpg",
                b"oi/images/b.jpg"
            ]
        );
    }

    /// The media a record's source says an earlier record named are not taken; the others are.
    #[test]
    fn media_named_before_are_passed_over() {
        let mut catalog = MediaCatalog::default();
        let mut media = image("oi/images/a.jpg", "a");
        media.audio = Some("audioset/audios/x.wav".into());
        let named = NamedBefore {
            image: true,
            audio: false,
            video: false,
        };
        catalog.add_except(&media, named).unwrap();
        let rows = catalog.sorted();
        assert_eq!(
            rows,
            [(
                &b"audioset/audios/x.wav"[..],
                &b"audioset/audios/x.wav,audio,audioset,,,,,,\n"[..]
            )]
        );
    }

    /// A text equal by address to the last of its kind is passed over (the recent paths
    /// forgotten), its first row kept, and the catalog holds a count of it.
    #[test]
    fn the_last_text_of_a_kind_is_passed_over_by_address_and_held() {
        let mut catalog = MediaCatalog::default();
        let path: Text = "oi/images/a.jpg".into();
        let with_origin = |media_id: &str| Media {
            image: Some(path.clone()),
            origins: crate::record::MediaOrigins {
                image: Some(MediaOrigin::file(media_id, "a.jpg").into()),
                ..Default::default()
            },
            ..Default::default()
        };
        catalog.add(&with_origin("first")).unwrap();
        // The same text again, with the recent paths forgotten: passed over by its address.
        catalog.recent.iter_mut().for_each(|slot| *slot = None);
        catalog.add(&with_origin("second")).unwrap();
        assert_eq!(catalog.entries.len(), 1);
        // The catalog holds the text, so its address cannot name another path while it is there.
        assert_eq!(std::sync::Arc::strong_count(&path), 2);
        let rows = catalog.sorted();
        assert_eq!(
            rows,
            [(
                &b"oi/images/a.jpg"[..],
                &b"oi/images/a.jpg,image,oi,,first,,,,a.jpg\n"[..]
            )]
        );
    }

    /// The last path of each kind is passed over without its slot among the recent ones (as
    /// when another path took that slot), with the paths out of order (so not by the order
    /// check, which passes over the last row's path again): an image's path in a text of its own
    /// is taken once when named again, also with another kind's path between, and again once
    /// the kind has named another path (one that begins with it among them); an audio path
    /// named first without an origin and then with one keeps its first row.
    #[test]
    fn the_last_path_of_each_kind_is_taken_once() {
        let mut catalog = MediaCatalog::default();
        let forget_slots = |catalog: &mut MediaCatalog| catalog.recent.iter_mut().for_each(|slot| *slot = None);
        catalog.add(&image("oi/images/z.jpg", "first-z")).unwrap();
        catalog.add(&image("oi/images/a.jpg", "first-a")).unwrap();
        assert!(!catalog.ordered);
        forget_slots(&mut catalog);
        catalog.add(&image("oi/images/a.jpg", "later-a")).unwrap();
        assert_eq!(catalog.entries.len(), 2);
        let audio = |origin: Option<MediaOrigin>| Media {
            audio: Some("audioset/audios/x_30.000_40.000.wav".into()),
            origins: crate::record::MediaOrigins {
                audio: origin.map(Into::into),
                ..Default::default()
            },
            ..Default::default()
        };
        catalog.add(&audio(None)).unwrap();
        forget_slots(&mut catalog);
        catalog
            .add(&audio(Some(MediaOrigin::youtube("x", 30.0, 40.0))))
            .unwrap();
        forget_slots(&mut catalog);
        catalog.add(&image("oi/images/a.jpg", "again-a")).unwrap();
        assert_eq!(catalog.entries.len(), 3);
        catalog.add(&image("oi/images/a.jpg.png", "first-a-png")).unwrap();
        catalog.add(&image("oi/images/b.jpg", "first-b")).unwrap();
        forget_slots(&mut catalog);
        catalog.add(&image("oi/images/a.jpg", "last-a")).unwrap();
        assert_eq!(catalog.entries.len(), 6);
        let rows: Vec<(&[u8], &[u8])> = catalog.sorted();
        assert_eq!(
            rows,
            [
                (
                    &b"audioset/audios/x_30.000_40.000.wav"[..],
                    &b"audioset/audios/x_30.000_40.000.wav,audio,audioset,,,,,,\n"[..]
                ),
                (b"oi/images/a.jpg", b"oi/images/a.jpg,image,oi,,first-a,,,,x.jpg\n"),
                (
                    b"oi/images/a.jpg.png",
                    b"oi/images/a.jpg.png,image,oi,,first-a-png,,,,x.jpg\n"
                ),
                (b"oi/images/b.jpg", b"oi/images/b.jpg,image,oi,,first-b,,,,x.jpg\n"),
                (b"oi/images/z.jpg", b"oi/images/z.jpg,image,oi,,first-z,,,,x.jpg\n"),
            ]
        );
    }

    /// A clip's audio text shared by its records is taken once however far apart they come (its
    /// recent slot taken by another path meanwhile); the same path in a text of its own is taken
    /// again and loses to the first row when written.
    #[test]
    fn a_shared_audio_text_is_taken_once_however_far_apart() {
        let clip = |audio: &Text, start: f64| Media {
            audio: Some(audio.clone()),
            origins: crate::record::MediaOrigins {
                audio: Some(MediaOrigin::youtube("x", start, start + 10.0).into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let shared: Text = "audioset/audios/x_30.000_40.000.wav".into();
        let mut catalog = MediaCatalog::default();
        catalog.add(&clip(&shared, 30.0)).unwrap();
        forget_recent(&mut catalog);
        catalog.add(&clip(&shared, 31.0)).unwrap();
        assert_eq!(catalog.entries.len(), 1);
        // Another path between: the copy below is not the last row's path (which the order
        // check would pass over).
        catalog.add(&image("oi/images/z.jpg", "z")).unwrap();
        forget_recent(&mut catalog);
        let copy: Text = shared.to_string().into();
        catalog.add(&clip(&copy, 32.0)).unwrap();
        assert_eq!(catalog.entries.len(), 3);
        let rows: Vec<(&[u8], &[u8])> = catalog.sorted();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].1,
            b"audioset/audios/x_30.000_40.000.wav,audio,audioset,x,,30.0,40.0,,\n"
        );
    }

    /// Paths repeated soon after a spill, with the recent slots left as `add` leaves them (emptied
    /// by each spill, as their places in the path buffer are gone): every path is written once,
    /// its first row winning, whether the repeat comes in the same run, the next one or many runs
    /// later, and whether its path is longer or shorter than the one now at its old place; the
    /// same for a clip's shared audio text repeated across runs. Limits: a run per add (1 byte),
    /// runs of a few rows (200 bytes), no spill (1 MiB).
    #[test]
    fn repeats_across_spills_are_written_once_first_row_winning() {
        let clip: Text = "audioset/audios/x_30.000_40.000.wav".into();
        let audio = |start: f64| Media {
            audio: Some(clip.clone()),
            origins: crate::record::MediaOrigins {
                audio: Some(MediaOrigin::youtube("x", start, start + 10.0).into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let adds: [(&str, &str); 12] = [
            ("oi/images/long-name.jpg", "first-long"),
            ("oi/images/s.jpg", "first-s"),
            ("oi/images/long-name.jpg", "later-long"),
            ("oi/images/s.jpg", "later-s"),
            ("", "audio 30"),
            ("oi/images/t.jpg", "first-t"),
            ("oi/images/s.jpg", "last-s"),
            ("", "audio 31"),
            ("oi/images/u.jpg", "first-u"),
            ("oi/images/long-name.jpg", "last-long"),
            ("oi/images/t.jpg", "later-t"),
            ("", "audio 32"),
        ];
        let expected = "path,kind,dataset,youtube_id,media_id,clip_start,clip_end,frame_time,file\n\
                        audioset/audios/x_30.000_40.000.wav,audio,audioset,x,,34.0,44.0,,\n\
                        oi/images/long-name.jpg,image,oi,,first-long,,,,x.jpg\n\
                        oi/images/s.jpg,image,oi,,first-s,,,,x.jpg\n\
                        oi/images/t.jpg,image,oi,,first-t,,,,x.jpg\n\
                        oi/images/u.jpg,image,oi,,first-u,,,,x.jpg\n";
        // Without a spill every repeat is still among the recent paths: five rows are taken.
        // With a run per add, the first two (in order) are written ahead as media.csv, which the
        // third (out of order) turns into one run: 9 runs.
        for (limit, runs, taken) in [(1, 9, 0), (200, 2, 1), (1 << 20, 0, 5)] {
            let dir = scratch(&format!("repeats-{limit}"));
            let mut catalog = MediaCatalog::spilling(&dir, limit);
            for (k, (path, id)) in adds.iter().enumerate() {
                if path.is_empty() {
                    catalog.add(&audio(30.0 + k as f64)).unwrap();
                } else {
                    catalog.add(&image(path, id)).unwrap();
                }
            }
            assert_eq!(
                catalog.spill.as_ref().map_or(0, |s| s.runs.len()),
                runs,
                "limit {limit}"
            );
            assert_eq!(catalog.entries.len(), taken, "limit {limit}");
            catalog.write_partial(&dir).unwrap();
            let written = std::fs::read_to_string(dir.join("media.csv.partial")).unwrap();
            assert_eq!(written, expected, "limit {limit}");
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    /// The bytes and `files` entry of `adds` (path, media id) written by an in-memory catalog.
    fn in_memory(adds: &[(&str, &str)], name: &str) -> (Vec<u8>, FileInfo) {
        let dir = scratch(name);
        let mut memory = MediaCatalog::default();
        for (path, id) in adds {
            memory.add(&image(path, id)).unwrap();
        }
        let info = memory.write_partial(&dir).unwrap();
        let bytes = std::fs::read(dir.join("media.csv.partial")).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        (bytes, info)
    }

    /// Paths that come in order (an Open Images conversion's images) are written ahead as
    /// `media.csv` itself, run after run, and the file is named at the end: the in-memory
    /// catalog's bytes and digest, no scratch runs, nothing else left in the directory. A path
    /// with a comma (quoted) among them; the last row's path again after a spill (its recent slot
    /// emptied) is passed over, first row winning.
    #[test]
    fn paths_in_order_are_written_ahead_as_the_media_list() {
        let adds = IN_ORDER_WITH_REPEATS;
        let expected = FIRST_OF_FOUR;
        let (memory, memory_info) = in_memory(&adds, "ahead-memory");
        assert_eq!(String::from_utf8(memory).unwrap(), expected);
        // 1 byte: every row spilled as it comes; 100 bytes: two rows at a time.
        for limit in [1, 100] {
            let dir = scratch(&format!("ahead-{limit}"));
            let mut catalog = MediaCatalog::spilling(&dir, limit);
            for (path, id) in adds {
                catalog.add(&image(path, id)).unwrap();
            }
            assert!(
                catalog.ordered && catalog.stream.is_some() && catalog.spill.is_none(),
                "limit {limit}"
            );
            let info = catalog.write_partial(&dir).unwrap();
            let written = std::fs::read_to_string(dir.join("media.csv.partial")).unwrap();
            assert_eq!(written, expected, "limit {limit}");
            assert_eq!(info, memory_info, "limit {limit}");
            let names: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(names, ["media.csv.partial"], "limit {limit}");
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    /// The paths of the test above with what was taken lately forgotten before each add (as
    /// when the last path of a kind and the recent slots no longer hold a path): a repeat of the
    /// last row's path is passed over by the order check, in memory and written ahead, first row
    /// winning. (Without the forgetting the last path of its kind passes it over first.)
    #[test]
    fn the_last_rows_path_again_is_passed_over_by_the_order_check() {
        let adds = IN_ORDER_WITH_REPEATS;
        for limit in [1, 100, 1 << 20] {
            let dir = scratch(&format!("again-{limit}"));
            let mut catalog = MediaCatalog::spilling(&dir, limit);
            for (path, id) in adds {
                forget_recent(&mut catalog);
                catalog.add(&image(path, id)).unwrap();
            }
            assert!(catalog.ordered && catalog.spill.is_none(), "limit {limit}");
            catalog.write_partial(&dir).unwrap();
            let written = std::fs::read_to_string(dir.join("media.csv.partial")).unwrap();
            assert_eq!(written, FIRST_OF_FOUR, "limit {limit}");
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    /// A path out of order after rows were written ahead: those rows, read back from their CSV
    /// (quoted fields with a comma, a quote and a line break among them), become the first run
    /// and merge with the rest to the in-memory catalog's bytes, the rows written ahead winning
    /// over later rows of their paths.
    #[test]
    fn a_path_out_of_order_turns_the_rows_written_ahead_into_a_run() {
        let adds = [
            ("oi/images/b.jpg", "first-b"),
            ("oi/images/c,\"q\".jpg", "first-c"),
            ("oi/images/d\nline.jpg", "first-d"),
            ("oi/images/e.jpg", "first-e"),
            ("oi/images/a.jpg", "first-a"),
            ("oi/images/c,\"q\".jpg", "later-c"),
            ("oi/images/f.jpg", "first-f"),
            ("oi/images/b.jpg", "later-b"),
        ];
        let (memory, memory_info) = in_memory(&adds, "order-memory");
        let text = String::from_utf8(memory.clone()).unwrap();
        assert!(
            text.contains("\"oi/images/c,\"\"q\"\".jpg\",image,oi,,first-c,"),
            "{text}"
        );
        assert!(text.contains("\"oi/images/d\nline.jpg\",image,oi,,first-d,"), "{text}");
        assert!(text.contains("oi/images/b.jpg,image,oi,,first-b,"), "{text}");
        // 1 byte: the four rows in order are written ahead one by one, then each row is a run;
        // 150 bytes (about two rows): three rows ahead, then a run of three (the rest stays in
        // memory until written).
        for (limit, runs) in [(1, 5), (150, 2)] {
            let dir = scratch(&format!("order-{limit}"));
            let mut catalog = MediaCatalog::spilling(&dir, limit);
            for (k, (path, id)) in adds.iter().enumerate() {
                forget_recent(&mut catalog);
                catalog.add(&image(path, id)).unwrap();
                assert_eq!(catalog.ordered, k < 4, "limit {limit}, add {k}");
            }
            assert!(catalog.stream.is_none());
            assert_eq!(
                catalog.spill.as_ref().map_or(0, |s| s.runs.len()),
                runs,
                "limit {limit}"
            );
            let info = catalog.write_partial(&dir).unwrap();
            let written = std::fs::read(dir.join("media.csv.partial")).unwrap();
            assert!(
                written == memory,
                "limit {limit}: {}",
                String::from_utf8_lossy(&written)
            );
            assert_eq!(info, memory_info, "limit {limit}");
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    /// Rows written ahead in one directory and written out to another on a different file system
    /// (the temporary directory and `/dev/shm`), where the file cannot be linked (`EXDEV`): they
    /// are copied there, the in-memory catalog's bytes and digest.
    #[test]
    fn rows_written_ahead_are_copied_where_they_cannot_be_linked() {
        use std::os::unix::fs::MetadataExt;
        let device = |path: &Path| std::fs::metadata(path).map(|m| m.dev()).ok();
        // Only where the two are file systems apart (they are on Linux with /dev/shm mounted).
        if device(Path::new("/dev/shm")).is_none() || device(Path::new("/dev/shm")) == device(&std::env::temp_dir()) {
            return;
        }
        let adds: Vec<(String, String)> = (0..2_000)
            .map(|i| (format!("oi/images/{i:06}.jpg"), format!("id{i}")))
            .collect();
        let adds: Vec<(&str, &str)> = adds.iter().map(|(p, i)| (p.as_str(), i.as_str())).collect();
        let (memory, memory_info) = in_memory(&adds, "copied-memory");
        let dir = scratch("copied-ahead");
        let out = std::path::PathBuf::from(format!("/dev/shm/avfit-media-list-copied-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out).unwrap();
        let mut catalog = MediaCatalog::spilling(&dir, 1 << 12);
        for (path, id) in &adds {
            catalog.add(&image(path, id)).unwrap();
        }
        assert!(catalog.stream.is_some() && catalog.spill.is_none());
        let info = catalog.write_partial(&out).unwrap();
        assert!(std::fs::read(out.join("media.csv.partial")).unwrap() == memory);
        assert_eq!(info, memory_info);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::remove_dir_all(&out).unwrap();
    }

    /// Rows written ahead are not named over an existing `media.csv.partial`: the error names it.
    #[test]
    fn rows_written_ahead_are_not_named_over_an_existing_file() {
        let dir = scratch("ahead-exists");
        let mut catalog = MediaCatalog::spilling(&dir, 1);
        catalog.add(&image("oi/images/a.jpg", "a")).unwrap();
        assert!(catalog.stream.is_some());
        std::fs::write(dir.join("media.csv.partial"), "mine").unwrap();
        let error = catalog.write_partial(&dir).unwrap_err();
        let Error::Io { path, source } = &error else {
            panic!("{error}")
        };
        assert_eq!(path, &dir.join("media.csv.partial"));
        assert_eq!(source.kind(), std::io::ErrorKind::AlreadyExists, "{source}");
        assert_eq!(std::fs::read_to_string(dir.join("media.csv.partial")).unwrap(), "mine");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Rows written ahead that end on a 4 KiB boundary (O_DIRECT stays on for the last block)
    /// and a path out of order after them: reading them back as the first run still works, and
    /// the list is the in-memory catalog's. Header (74 bytes) and one row of 4022 bytes: 4096.
    #[test]
    fn rows_written_ahead_to_a_block_boundary_are_read_back() {
        let row = |path: &str| format!("{path},image,oi,,b,,,,x.jpg\n").len();
        let pad = 4096 - HEADER.len() - 1 - row("oi/images/b");
        let long = format!("oi/images/b{}", "x".repeat(pad));
        assert_eq!(HEADER.len() + 1 + row(&long), 4096);
        let adds = [(long.as_str(), "b"), ("oi/images/a.jpg", "a")];
        let (memory, memory_info) = in_memory(&adds, "aligned-memory");
        let dir = scratch("aligned");
        let mut catalog = MediaCatalog::spilling(&dir, 1);
        catalog.add(&image(adds[0].0, adds[0].1)).unwrap();
        assert_eq!(catalog.stream.as_ref().map(|s| s.bytes), Some(4096));
        catalog.add(&image(adds[1].0, adds[1].1)).unwrap();
        assert!(!catalog.ordered);
        let info = catalog.write_partial(&dir).unwrap();
        assert!(std::fs::read(dir.join("media.csv.partial")).unwrap() == memory);
        assert_eq!(info, memory_info);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The first row written ahead with a path that begins with a byte order mark (U+FEFF,
    /// which a CSV reader strips at the start of its input), then a path out of order: the row
    /// read back keeps its path, and the list is the in-memory catalog's.
    #[test]
    fn a_path_written_ahead_keeps_a_leading_byte_order_mark() {
        let adds = [("\u{feff}b.jpg", "b"), ("\u{feff}a.jpg", "a")];
        let (memory, memory_info) = in_memory(&adds, "bom-memory");
        assert!(memory.ends_with("\u{feff}b.jpg,image,\u{feff}b.jpg,,b,,,,x.jpg\n".as_bytes()));
        let dir = scratch("bom");
        let mut catalog = MediaCatalog::spilling(&dir, 1);
        for (path, id) in adds {
            catalog.add(&image(path, id)).unwrap();
        }
        assert!(!catalog.ordered);
        let info = catalog.write_partial(&dir).unwrap();
        assert!(std::fs::read(dir.join("media.csv.partial")).unwrap() == memory);
        assert_eq!(info, memory_info);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
