//! Source adapters: one file per dataset, each reading that dataset's native files into
//! [`Record`]s. This module holds the [`Source`] trait, the registry, input discovery and the
//! [`Collector`] through which an adapter reports every unit it reads (used, rejected or skipped).
//!
//! Adding a dataset: write `sources/<name>.rs` with a unit struct implementing [`Source`], add it
//! to [`registry`], ship a small native sample under `tests/data/<name>/` and pin its records in
//! tests (README, "Adding a source").

pub mod avqa;
pub mod avsbench;
pub mod flickr_soundnet;
pub mod llp;
pub mod music_avqa;
pub mod pascal_sound;
pub mod valor;
pub mod vggss;
pub mod xml;

use crate::error::{Error, Result};
use crate::media::MediaRoot;
use crate::media_layout::MediaLayout;
use crate::reason::{Reason, Skip};
use crate::record::{Record, Split, Task};
use crate::split::{native_split_of, NativeSplit};
use indicatif::ProgressBar;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// One dataset's reader.
pub trait Source: Sync {
    /// The source name used on the command line, in shard names and in sample ids.
    fn name(&self) -> &'static str;
    /// The tasks its records feed.
    fn tasks(&self) -> &'static [Task];
    /// The native files it reads, for `avfit sources` and error messages.
    fn files(&self) -> &'static str;
    /// Whether a file of this name is one of its native files.
    fn recognizes(&self, file_name: &str) -> bool;
    /// Reads `files` (already recognized, in a stable order) and reports every unit to `out`.
    ///
    /// Errors: a file that cannot be opened or parsed at all, or a required file that is missing
    /// ([`Error::Input`] with path and line). Malformed rows are rejected through `out`, never
    /// errors.
    fn read(&self, files: &[PathBuf], options: &SourceOptions, out: &mut Collector) -> Result<()>;
}

/// Every adapter, in the order `avfit sources` lists them.
pub fn registry() -> Vec<&'static dyn Source> {
    vec![
        &vggss::Vggss,
        &avsbench::Avsbench,
        &pascal_sound::PascalSound,
        &flickr_soundnet::FlickrSoundnet,
        &llp::Llp,
        &avqa::Avqa,
        &music_avqa::MusicAvqa,
        &valor::Valor,
    ]
}

/// The adapter called `name`. Errors: [`Error::Config`] listing the known names.
pub fn find(name: &str) -> Result<&'static dyn Source> {
    registry().into_iter().find(|s| s.name() == name).ok_or_else(|| {
        let known: Vec<_> = registry().iter().map(|s| s.name()).collect();
        Error::Config(format!("unknown source `{name}`; known sources: {}", known.join(", ")))
    })
}

/// What an adapter is told besides its files.
#[derive(Clone, Debug)]
pub struct SourceOptions {
    /// `--split`: force this split on every record and read every native split.
    pub split: Option<Split>,
    /// Media path patterns.
    pub media: MediaLayout,
    /// Adapter-specific settings from the build manifest's `[source.params]`.
    pub params: toml::Table,
    /// `--media-root` (and `--check-media`): where media paths point, for adapters that must read
    /// an image's size and for the media checks of [`Collector::emit`].
    pub media_root: Option<MediaRoot>,
}

impl SourceOptions {
    /// Defaults for `source`: no forced split, the Meerkat media layout, no params.
    pub fn new(source: &dyn Source) -> Self {
        SourceOptions {
            split: None,
            media: MediaLayout::meerkat(source.name()),
            params: toml::Table::new(),
            media_root: None,
        }
    }

    /// The string parameter `key` of `[source.params]`, or `default`.
    ///
    /// Errors: the parameter is present but not a string.
    pub fn param_str<'a>(&'a self, source: &dyn Source, key: &str, default: &'a str) -> Result<&'a str> {
        match self.params.get(key) {
            None => Ok(default),
            Some(toml::Value::String(s)) => Ok(s),
            Some(other) => Err(Error::Config(format!(
                "source {}: param `{key}` must be a string, found {other}",
                source.name()
            ))),
        }
    }

    /// The output split for records of `file` under the source's `rule` (native split → output
    /// split, `None` = skipped as `split_not_used`). With `--split`, that split for every file.
    ///
    /// Errors: the file name has no `train`/`val`/`test` word and no `--split` was given.
    pub fn split_of_file(
        &self,
        source: &dyn Source,
        file: &Path,
        rule: fn(NativeSplit) -> Option<Split>,
    ) -> Result<Option<Split>> {
        if let Some(forced) = self.split {
            return Ok(Some(forced));
        }
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        match native_split_of(name) {
            Some(native) => Ok(rule(native)),
            None => Err(Error::input(
                file,
                None,
                format!(
                    "cannot tell the split from the file name: expected a `train`, `val` or `test` word as in {}, or --split",
                    source.files()
                ),
            )),
        }
    }
}

/// Finds the native files of `source` in `inputs`: a directory is searched recursively (files in
/// name order) and keeps the files the source recognizes; a file given by name must be one.
///
/// Errors: an input that does not exist, a named file the source does not read, or no
/// recognized file at all.
pub fn discover_files(source: &dyn Source, inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            for entry in walkdir::WalkDir::new(input).sort_by_file_name() {
                let entry = entry.map_err(|e| Error::input(input, None, e.to_string()))?;
                let name = entry.file_name().to_string_lossy();
                if entry.file_type().is_file() && source.recognizes(&name) {
                    files.push(entry.into_path());
                }
            }
        } else if input.is_file() {
            let name = input.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
            if !source.recognizes(&name) {
                return Err(Error::input(
                    input,
                    None,
                    format!(
                        "not a file that source `{}` reads; expected {}",
                        source.name(),
                        source.files()
                    ),
                ));
            }
            files.push(input.clone());
        } else {
            return Err(Error::input(input, None, "no such file or directory"));
        }
    }
    if files.is_empty() {
        return Err(Error::Config(format!(
            "source `{}`: no native file found in {}; expected {}",
            source.name(),
            inputs
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            source.files()
        )));
    }
    Ok(files)
}

/// Where in a file a rejected unit was: a 1-based line of a text file, a 0-based index into a
/// JSON array, or the whole file (one annotation file per image).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum At {
    /// 1-based line number (CSV, TSV).
    Line(u64),
    /// 0-based position in a JSON array.
    Index(u64),
    /// The whole file (PASCAL VOC and Flickr-SoundNet XML, AVSBench masks).
    File,
}

/// One line of `rejects.jsonl`: `{source, file, line|index, reason, detail}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reject {
    /// Source name.
    pub source: &'static str,
    /// The input file, as given.
    pub file: String,
    /// 1-based line, for text files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// 0-based array index, for JSON files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// Stable reason code.
    pub reason: Reason,
    /// Specifics: values, ids, paths.
    pub detail: String,
}

/// What happens to records and rejects an adapter reports.
pub trait Sink {
    /// Takes a record that became (part of) the corpus.
    fn record(&mut self, record: Record) -> Result<()>;
    /// Takes a rejects line.
    fn reject(&mut self, reject: Reject) -> Result<()>;
}

/// A [`Sink`] that keeps everything in memory: for tests and small tools.
#[derive(Debug, Default)]
pub struct VecSink {
    /// Records in the order reported.
    pub records: Vec<Record>,
    /// Rejects in the order reported.
    pub rejects: Vec<Reject>,
}

impl Sink for VecSink {
    fn record(&mut self, record: Record) -> Result<()> {
        self.records.push(record);
        Ok(())
    }
    fn reject(&mut self, reject: Reject) -> Result<()> {
        self.rejects.push(reject);
        Ok(())
    }
}

/// Per-source accounting, as written under `sources` in `manifest.json`.
///
/// Units are the source's native records (rows or array elements, as its adapter documents):
/// `read = used + rejected + skipped` always holds. `dropped` counts parts (a box, a visual row)
/// taken out of records that were still used; each also has a rejects line.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SourceStats {
    /// Native units read.
    pub read: u64,
    /// Units that ended in a sample.
    pub used: u64,
    /// Units rejected, one rejects line each.
    pub rejected: u64,
    /// Units deliberately left out, per reason code.
    pub skipped: BTreeMap<String, u64>,
    /// Parts dropped from used units, per reason code.
    pub dropped: BTreeMap<String, u64>,
    /// How things were read where a format allows several ways (e.g. Flickr-SoundNet boxes
    /// `bbox_by_tag_name` / `bbox_by_position`), per way.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub notes: BTreeMap<String, u64>,
}

impl SourceStats {
    /// Total of `skipped`.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }
    /// Whether `read = used + rejected + skipped`.
    pub fn reconciles(&self) -> bool {
        self.read == self.used + self.rejected + self.skipped_total()
    }
}

/// The adapter's side of the pipeline: counts every unit and passes records and rejects on.
pub struct Collector<'a> {
    source: &'static str,
    stats: SourceStats,
    sink: &'a mut dyn Sink,
    progress: ProgressBar,
    media_root: Option<MediaRoot>,
}

impl<'a> Collector<'a> {
    /// A collector for `source` feeding `sink`, ticking `progress` per unit read, applying the
    /// media rules of `media_root` (see [`MediaRoot::apply`]) to every record emitted.
    pub fn new(
        source: &'static str,
        sink: &'a mut dyn Sink,
        progress: ProgressBar,
        media_root: Option<MediaRoot>,
    ) -> Self {
        Collector {
            source,
            stats: SourceStats::default(),
            sink,
            progress,
            media_root,
        }
    }

    /// Counts `units` native units read.
    pub fn read(&mut self, units: u64) {
        self.stats.read += units;
        self.progress.inc(units);
    }

    /// Passes on a record built from `units` native units, the first of them at `at` in `file`.
    ///
    /// With a media root the record's media are probed first ([`MediaRoot::apply`]): a record
    /// whose media fail is rejected there (`missing_media`, `segment_out_of_range`) with one
    /// rejects line at `at`, and all its units count as rejected (a record of zero units, such as
    /// a further frame of a video already counted, counts as a dropped part).
    pub fn emit(&mut self, mut record: Record, file: &Path, at: At, units: u64) -> Result<()> {
        if let Some(media_root) = &self.media_root {
            if let Err((reason, detail)) = media_root.apply(&mut record) {
                let detail = format!("{}: {detail}", record.key);
                if units == 0 {
                    return self.drop_part(file, at, reason, detail);
                }
                self.stats.rejected += units;
                return self.write_reject(file, at, reason, detail);
            }
        }
        self.stats.used += units;
        self.sink.record(record)
    }

    /// Emits `record` unless a record with its key was emitted before (by this call, which keeps
    /// the keys in `emitted`): then the unit is rejected `duplicate_row`.
    pub fn emit_unique(&mut self, emitted: &mut HashSet<String>, record: Record, file: &Path, at: At) -> Result<()> {
        if emitted.contains(&record.key) {
            return self.reject(
                file,
                at,
                Reason::DuplicateRow,
                format!("{} appeared before", record.key),
            );
        }
        emitted.insert(record.key.clone());
        self.emit(record, file, at, 1)
    }

    /// Counts one more thing read the way `how` (a snake_case note, see [`SourceStats::notes`]).
    pub fn note(&mut self, how: &str) {
        *self.stats.notes.entry(how.to_string()).or_default() += 1;
    }

    /// Rejects one native unit of `file` at `at` with `reason` and `detail`.
    pub fn reject(&mut self, file: &Path, at: At, reason: Reason, detail: impl Into<String>) -> Result<()> {
        self.stats.rejected += 1;
        self.write_reject(file, at, reason, detail.into())
    }

    /// Drops a part (a box, an auxiliary row) of a unit that is otherwise used or judged on its own.
    pub fn drop_part(&mut self, file: &Path, at: At, reason: Reason, detail: impl Into<String>) -> Result<()> {
        *self.stats.dropped.entry(reason.as_str().to_string()).or_default() += 1;
        self.write_reject(file, at, reason, detail.into())
    }

    /// Counts `units` native units deliberately not used.
    pub fn skip(&mut self, reason: Skip, units: u64) {
        *self.stats.skipped.entry(reason.as_str().to_string()).or_default() += units;
    }

    /// The counts so far.
    pub fn stats(&self) -> &SourceStats {
        &self.stats
    }

    /// Ends collection and returns the counts.
    pub fn finish(self) -> SourceStats {
        self.progress.finish_and_clear();
        self.stats
    }

    fn write_reject(&mut self, file: &Path, at: At, reason: Reason, detail: String) -> Result<()> {
        let (line, index) = match at {
            At::Line(l) => (Some(l), None),
            At::Index(i) => (None, Some(i)),
            At::File => (None, None),
        };
        self.sink.reject(Reject {
            source: self.source,
            file: file.display().to_string(),
            line,
            index,
            reason,
            detail,
        })
    }
}

/// Reads `source` from `inputs` into memory: discovery, reading, counts. For tests and tools;
/// builds stream through [`crate::pipeline`] instead.
pub fn read_all(source: &dyn Source, inputs: &[PathBuf], options: &SourceOptions) -> Result<(VecSink, SourceStats)> {
    let files = discover_files(source, inputs)?;
    let mut sink = VecSink::default();
    let mut out = Collector::new(
        source.name(),
        &mut sink,
        ProgressBar::hidden(),
        options.media_root.clone(),
    );
    source.read(&files, options, &mut out)?;
    let stats = out.finish();
    Ok((sink, stats))
}

/// Reads JSON-array files whose split comes from their names (AVQA, MUSIC-AVQA, VALOR-32K), one
/// unit per element: counts each element read, skips every element of a file whose split `rule`
/// leaves out (`split_not_used`), and calls `each(file, at, element, split, out)` for the rest.
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
        for (index, item) in read_json_array(path)?.into_iter().enumerate() {
            out.read(1);
            match split {
                Some(split) => each(path, At::Index(index as u64), &item, split, out)?,
                None => out.skip(Skip::SplitNotUsed, 1),
            }
        }
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

/// Parses a whole JSON file that must hold an array of records (AVQA, MUSIC-AVQA, VALOR, VGG-SS).
///
/// Errors: unreadable file, invalid JSON (with line), or a top-level value that is not an array.
pub fn read_json_array(path: &Path) -> Result<Vec<serde_json::Value>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let value: serde_json::Value = serde_json::from_reader(std::io::BufReader::new(file))
        .map_err(|e| Error::input(path, Some(e.line() as u64), format!("invalid JSON: {e}")))?;
    match value {
        serde_json::Value::Array(items) => Ok(items),
        other => Err(Error::input(
            path,
            None,
            format!("expected a JSON array of records, found {}", json_kind(&other)),
        )),
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
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
    let end: f64 = parts.next()?.parse().ok()?;
    let start: f64 = parts.next()?.parse().ok()?;
    let yt = parts.next()?;
    (is_youtube_id(yt) && start.is_finite() && end.is_finite() && 0.0 <= start && start < end)
        .then_some((yt, start, end))
}

/// Opens a delimited text file: `delimiter` `b','` or `b'\t'`; `quoting` off for files that never
/// quote (AVVP's TSVs, where a stray `"` must stay a character); rows may differ in length.
///
/// Errors: the file cannot be opened.
pub fn delimited_reader(
    path: &Path,
    delimiter: u8,
    quoting: bool,
    has_headers: bool,
) -> Result<csv::Reader<std::fs::File>> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .quoting(quoting)
        .has_headers(has_headers)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| Error::input(path, None, e.to_string()))
}

/// The header row of `reader` (opened with headers), as text.
///
/// Errors: the header cannot be read or is not UTF-8, with the path and line 1.
pub fn header_row(path: &Path, reader: &mut csv::Reader<std::fs::File>) -> Result<csv::StringRecord> {
    reader
        .headers()
        .cloned()
        .map_err(|e| Error::input(path, Some(1), e.to_string()))
}

/// Streams the data rows of `reader`, calling `on_row(line, row)` with each row's 1-based line
/// and its fields, or with the reason the row is not text (invalid UTF-8: a `malformed_field`
/// reject for the caller, never a stop).
///
/// Errors: what `on_row` returns, and I/O errors, with the path and line.
pub fn for_each_row(
    path: &Path,
    reader: &mut csv::Reader<std::fs::File>,
    mut on_row: impl FnMut(u64, std::result::Result<&csv::StringRecord, String>) -> Result<()>,
) -> Result<()> {
    let mut bytes = csv::ByteRecord::new();
    loop {
        let more = reader
            .read_byte_record(&mut bytes)
            .map_err(|e| Error::input(path, e.position().map(|p| p.line()), e.to_string()))?;
        if !more {
            return Ok(());
        }
        let line = bytes.position().map(|p| p.line()).unwrap_or(0);
        match csv::StringRecord::from_byte_record(bytes.clone()) {
            Ok(row) => on_row(line, Ok(&row))?,
            Err(e) => on_row(line, Err(format!("not UTF-8 text: {e}")))?,
        }
    }
}

/// The YouTube id of a `<ytid>_<N>` clip name (VGGSound, VGG-SS, AVQA `<ytid>_<NNNNNN>`, AVSBench
/// MS3 `<ytid>_<n>`): what stands before the last underscore, if [`is_youtube_id`] and followed by
/// digits. `None` otherwise.
pub fn youtube_id_of_clip(clip: &str) -> Option<&str> {
    let (yt, start) = clip.rsplit_once('_')?;
    (is_youtube_id(yt) && !start.is_empty() && start.bytes().all(|b| b.is_ascii_digit())).then_some(yt)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(youtube_id_of_clip("rq5RDUm2Hnk_1"), Some("rq5RDUm2Hnk"));
        assert_eq!(youtube_id_of_clip("yy/../../etc_000009"), None);
    }

    #[test]
    fn labels_read_underscores_as_spaces() {
        assert_eq!(display_label("Frying_(food)"), "Frying (food)");
        assert_eq!(display_label("playing_acoustic_guitar"), "playing acoustic guitar");
    }
}
