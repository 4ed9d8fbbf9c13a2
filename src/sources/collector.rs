//! How an adapter reports what it read: every native unit ends used ([`Collector::emit`]),
//! rejected ([`Collector::reject`], one `rejects.jsonl` line) or skipped ([`Collector::skip`]),
//! and [`SourceStats`] keeps the counts written to `manifest.json`.

use crate::error::Result;
use crate::media::MediaRoot;
use crate::reason::{Reason, Skip};
use crate::record::Record;
use indicatif::ProgressBar;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

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
    /// Returns whether it became a sample.
    ///
    /// With a media root the record's media are probed first ([`Collector::media_problem`]): a
    /// record whose media fail is rejected there (`missing_media`, `segment_out_of_range`) with
    /// one rejects line at `at`, and all its units count as rejected.
    pub fn emit(&mut self, mut record: Record, file: &Path, at: At, units: u64) -> Result<bool> {
        if let Some((reason, detail)) = self.media_problem(&mut record) {
            self.stats.rejected += units;
            self.write_reject(file, at, reason, detail)?;
            return Ok(false);
        }
        self.stats.used += units;
        self.sink.record(record)?;
        Ok(true)
    }

    /// Applies the media rules of the media root, if any ([`MediaRoot::apply`]: IGATL durations
    /// from WAVs, `--check-media`) to `record`: the reason and detail (prefixed with the record's
    /// key) when its media fail, else `None`. For adapters whose unit makes several records
    /// (AVSBench frames), which judge each record before counting the unit.
    pub fn media_problem(&self, record: &mut Record) -> Option<(Reason, String)> {
        let media_root = self.media_root.as_ref()?;
        media_root
            .apply(record)
            .err()
            .map(|(reason, detail)| (reason, format!("{}: {detail}", record.key)))
    }

    /// Emits `record` unless a record with its key became a sample before (this call keeps those
    /// keys in `emitted`): then the unit is rejected `duplicate_row`.
    pub fn emit_unique(&mut self, emitted: &mut HashSet<String>, record: Record, file: &Path, at: At) -> Result<()> {
        if emitted.contains(&record.key) {
            return self.reject(
                file,
                at,
                Reason::DuplicateRow,
                format!("{} appeared before", record.key),
            );
        }
        let key = record.key.clone();
        if self.emit(record, file, at, 1)? {
            emitted.insert(key);
        }
        Ok(())
    }

    /// Counts `units` that ended in samples emitted under other units (the rows of an audio clip
    /// drawn for a pair).
    pub fn use_units(&mut self, units: u64) {
        self.stats.used += units;
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
