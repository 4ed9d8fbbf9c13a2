//! How an adapter reports what it read: every native unit ends used ([`Collector::emit`]),
//! rejected ([`Collector::reject`], one `rejects.jsonl` line) or skipped ([`Collector::skip`]),
//! and [`SourceStats`] keeps the counts written to `manifest.json`.

use crate::error::Result;
use crate::media::MediaRoot;
use crate::reason::{Reason, Skip};
use crate::record::{NamedBefore, Record};
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
    /// The whole file (a Flickr-SoundNet XML rejected as a whole, AVSBench masks).
    File,
}

impl At {
    /// `(line, index)` as written in a rejects line: one of them, or neither for [`At::File`].
    pub fn line_and_index(self) -> (Option<u64>, Option<u64>) {
        match self {
            At::Line(l) => (Some(l), None),
            At::Index(i) => (None, Some(i)),
            At::File => (None, None),
        }
    }
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

/// Where a record came from: the rejects line it gets if its media fail later, and how many
/// native units it stands for.
#[derive(Clone, Debug, PartialEq)]
pub struct Origin {
    /// The input file, as given (shared by the records of one file).
    pub file: std::sync::Arc<str>,
    /// Where in the file its first unit is.
    pub at: At,
    /// Native units it was built from (they count as rejected if its media fail).
    pub units: u64,
    /// Which of its media an earlier record of the source named already ([`NamedBefore`]).
    pub named_before: NamedBefore,
}

impl Origin {
    /// The rejects line of the record `key` of `source` whose media failed with `reason`.
    pub fn reject(&self, source: &'static str, key: &str, reason: Reason, detail: &str) -> Reject {
        let (line, index) = self.at.line_and_index();
        Reject {
            source,
            file: self.file.to_string(),
            line,
            index,
            reason,
            detail: format!("{key}: {detail}"),
        }
    }
}

/// What happens to records and rejects an adapter reports.
pub trait Sink {
    /// Takes a record planned for the corpus, with its origin. Its media (with a media root) are
    /// checked later, when its shard is written ([`MediaRoot::apply`]).
    fn record(&mut self, record: Record, origin: Origin) -> Result<()>;
    /// Takes a rejects line.
    fn reject(&mut self, reject: Reject) -> Result<()>;
}

/// A [`Sink`] that keeps everything in memory: for tests and small tools. With a media root it
/// applies the media rules to each record as it comes (as a build does when writing its shard):
/// a record whose media fail goes to `rejects` instead, its units counted in `media_rejected_units`.
#[derive(Debug, Default)]
pub struct VecSink {
    /// Records in the order reported.
    pub records: Vec<Record>,
    /// Rejects in the order reported.
    pub rejects: Vec<Reject>,
    /// The media rules to apply, if any.
    pub media_root: Option<MediaRoot>,
    /// Units of the records rejected for their media.
    pub media_rejected_units: u64,
}

impl Sink for VecSink {
    fn record(&mut self, mut record: Record, origin: Origin) -> Result<()> {
        if let Some(root) = &self.media_root {
            if let Err((reason, detail)) = root.apply(&mut record) {
                self.rejects
                    .push(origin.reject(record.source, &record.key, reason, &detail));
                self.media_rejected_units += origin.units;
                return Ok(());
            }
        }
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
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
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
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
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

/// Units read between two moves of the progress bar.
const PROGRESS_STEP: u64 = 1 << 12;

/// The adapter's side of the pipeline: counts every unit and passes records and rejects on.
pub struct Collector<'a> {
    source: &'static str,
    stats: SourceStats,
    sink: &'a mut dyn Sink,
    progress: ProgressBar,
    /// Units read when `progress` last moved.
    progress_shown: u64,
    media_root: Option<MediaRoot>,
    /// The file of the last record emitted and its display form, shared by its records.
    last_file: (std::path::PathBuf, std::sync::Arc<str>),
    /// With [`Collector::guard_ambiguity`]: per (task, media, question) hash, the answer hash and
    /// key of the first record that asked it.
    asked: Option<crate::split::FastMap<u64, (u64, String)>>,
    /// The first unit rejected: `file[:line|#index]: reason (detail)`.
    first_reject: Option<String>,
}

impl<'a> Collector<'a> {
    /// A collector for `source` feeding `sink`, moving `progress` with the units read, applying the
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
            progress_shown: 0,
            media_root,
            last_file: (std::path::PathBuf::new(), "".into()),
            asked: None,
            first_reject: None,
        }
    }

    /// Makes [`Collector::emit`] refuse ambiguous records: a record whose task, image, audio,
    /// video and untemplated input ([`crate::tasks::question_and_answer`]) equal an earlier
    /// record's of this source, but whose answer differs, is rejected `ambiguous_sample` (its
    /// units; a record of no units is a dropped part) and the first is kept. Captioning is exempt.
    /// The pipeline turns it on for every source but those that avoid such pairs by construction
    /// ([`super::Source::unambiguous_by_construction`]: the curated rows and `openimages`, which
    /// are too large to remember every question of).
    ///
    /// Memory: two 64-bit hashes and the key per question asked.
    pub fn guard_ambiguity(&mut self) {
        self.asked = Some(Default::default());
    }

    /// Counts `units` native units read (the progress bar moves at the first unit, then every
    /// [`PROGRESS_STEP`] units: a bar update reads the clock, too dear per row).
    pub fn read(&mut self, units: u64) {
        self.stats.read += units;
        if self.stats.read - self.progress_shown >= PROGRESS_STEP || self.progress_shown == 0 {
            self.progress_shown = self.stats.read;
            self.progress.set_position(self.stats.read);
        }
    }

    /// Passes on a record built from `units` native units, the first of them at `at` in `file`;
    /// they count as used. Its media, with a media root, are checked when its shard is written: a
    /// record whose media fail is rejected then (`missing_media`, `segment_out_of_range`, one
    /// rejects line at `at`) and its units move from used to rejected.
    pub fn emit(&mut self, record: Record, file: &Path, at: At, units: u64) -> Result<()> {
        self.emit_named(record, file, at, units, NamedBefore::default())
    }

    /// [`Collector::emit`], saying which of the record's media an earlier record of this source
    /// named already with the same origin (`named_before`), for the build's media catalog to pass
    /// over. Only for a source whose records [`Collector::guard_ambiguity`] does not judge, so
    /// that every earlier record reached the sink: the curated rows.
    pub fn emit_named(
        &mut self,
        record: Record,
        file: &Path,
        at: At,
        units: u64,
        named_before: NamedBefore,
    ) -> Result<()> {
        debug_assert!(
            self.asked.is_none() || named_before == NamedBefore::default(),
            "media marked as named before by a source whose records may be refused"
        );
        if let Some(asked) = &mut self.asked {
            if let Some((question, answer)) = crate::tasks::question_and_answer(&record.target, record.referring) {
                use std::hash::BuildHasher;
                let hasher = foldhash::fast::FixedState::with_seed(0x61_76_66_69_74);
                let media = &record.media;
                let q = hasher.hash_one((
                    record.target.task().as_str(),
                    &media.image,
                    &media.audio,
                    &media.video,
                    &question,
                ));
                let a = hasher.hash_one(&answer);
                match asked.get(&q) {
                    Some((first_answer, first_key)) if *first_answer != a => {
                        let detail = format!(
                            "{}: asks what {first_key} asks (same media and input) with another answer `{answer}`",
                            record.key
                        );
                        return if units == 0 {
                            self.drop_part(file, at, Reason::AmbiguousSample, detail)
                        } else {
                            self.stats.rejected += units;
                            self.note_first_reject(file, at, Reason::AmbiguousSample, &detail);
                            self.write_reject(file, at, Reason::AmbiguousSample, detail)
                        };
                    }
                    Some(_) => {}
                    None => {
                        asked.insert(q, (a, record.key.clone()));
                    }
                }
            }
        }
        self.stats.used += units;
        if self.last_file.0 != file {
            self.last_file = (file.to_path_buf(), file.display().to_string().into());
        }
        let origin = Origin {
            file: self.last_file.1.clone(),
            at,
            units,
            named_before,
        };
        self.sink.record(record, origin)
    }

    /// Applies the media rules of the media root, if any ([`MediaRoot::apply`]: IGATL durations
    /// from WAVs, `--check-media`) to `record`: the reason and detail (prefixed with the record's
    /// key) when its media fail, else `None`. For adapters whose unit makes several records
    /// (AVSBench frames), which judge each record before counting the unit.
    pub fn media_problem(&self, record: &mut Record) -> Option<(Reason, String)> {
        self.media_root.as_ref()?.problem(record)
    }

    /// The media root whose rules [`Collector::emit`] and [`Collector::media_problem`] apply, if
    /// any: for adapters that judge records away from the collector (on rayon's pool), with
    /// [`MediaRoot::problem`].
    pub fn media_root(&self) -> Option<&MediaRoot> {
        self.media_root.as_ref()
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
        emitted.insert(record.key.clone());
        self.emit(record, file, at, 1)
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
        let detail = detail.into();
        self.note_first_reject(file, at, reason, &detail);
        self.write_reject(file, at, reason, detail)
    }

    /// The first unit rejected so far for its annotations, as one line `file:line: reason
    /// (detail)` (`file#index` for a JSON array element, the file alone for a whole-file unit);
    /// `None` before any. A `missing_media` reject (a media root without the file) is not one.
    pub fn first_reject(&self) -> Option<&str> {
        self.first_reject.as_deref()
    }

    fn note_first_reject(&mut self, file: &Path, at: At, reason: Reason, detail: &str) {
        if self.first_reject.is_some() || reason == Reason::MissingMedia {
            return;
        }
        let place = match at {
            At::Line(l) => format!(":{l}"),
            At::Index(i) => format!("#{i}"),
            At::File => String::new(),
        };
        self.first_reject = Some(format!("{}{place}: {} ({detail})", file.display(), reason.as_str()));
    }

    /// Drops a part (a box, an auxiliary row) of a unit that is otherwise used or judged on its own.
    pub fn drop_part(&mut self, file: &Path, at: At, reason: Reason, detail: impl Into<String>) -> Result<()> {
        *self.stats.dropped.entry(reason.as_str().to_string()).or_default() += 1;
        self.write_reject(file, at, reason, detail.into())
    }

    /// Counts `units` native units deliberately not used. The reason's name is allocated once,
    /// when first counted (a curated row skips hundreds of thousands of groups one by one).
    pub fn skip(&mut self, reason: Skip, units: u64) {
        match self.stats.skipped.get_mut(reason.as_str()) {
            Some(count) => *count += units,
            None => {
                self.stats.skipped.insert(reason.as_str().to_string(), units);
            }
        }
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
        let (line, index) = at.line_and_index();
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
