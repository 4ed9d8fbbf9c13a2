//! Direct source adapters: one file per dataset, each reading that dataset's native files into
//! [`Record`](crate::record::Record)s. This module holds the [`Source`] trait that every kind of
//! source implements (these adapters, the curated rows of [`crate::curate`], the specs of
//! [`crate::spec`]), the list of the direct adapters ([`adapters`]), input discovery, the
//! [`Collector`] (in `collector.rs`) through which a source reports every unit it reads (used,
//! rejected or skipped), and the native-format helpers every reader shares (`native.rs`,
//! `xml.rs`). It imports none of the other kinds: [`crate::registry`] stands above them all.
//!
//! Adding a dataset: write `sources/<name>.rs` with a unit struct implementing [`Source`], add it
//! to [`adapters`], ship a small native sample under `tests/data/<name>/` and pin its records in
//! tests (README, "Adding a source").

pub mod avqa;
pub mod avsbench;
pub mod chunked;
pub mod flickr_soundnet;
pub mod llp;
pub mod music_avqa;
pub mod openimages;
pub mod pascal_sound;
pub mod valor;
pub mod vggss;
pub mod xml;

mod collector;
mod native;

pub use collector::{At, Collector, Origin, Reject, Sink, SourceStats, VecSink};
pub use native::*;

use crate::error::{Error, Result};
use crate::media::MediaRoot;
use crate::media_layout::MediaLayout;
use crate::record::{Split, Task};
use crate::split::{native_split_of, NativeSplit};
use indicatif::ProgressBar;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// One dataset's reader.
pub trait Source: Sync {
    /// The source name used on the command line, in shard names and in sample ids.
    fn name(&self) -> &'static str;
    /// The tasks its records feed.
    fn tasks(&self) -> &'static [Task];
    /// The native files it reads, for `avfit sources` and error messages.
    fn files(&self) -> &'static str;
    /// The datasets its records come from (one; a curated row: the image dataset, then the audio
    /// one), each with the paper its authors ask to cite and its licence as published, or
    /// `see <url>` where the dataset publishes none. The dataset card lists them.
    fn citations(&self) -> &'static [Citation];
    /// Whether a file of this name is one of its native files.
    fn recognizes(&self, file_name: &str) -> bool;
    /// For a file it recognizes: `Some(note)` when such a file found in a directory is left
    /// unread (it holds a subset of another native file, say), counted in the manifest's
    /// `notes` as `note`; `None` (the default) when it is read. Named as an input, it is read.
    fn not_read_in_directory(&self, _file_name: &str) -> Option<&'static str> {
        None
    }
    /// Reads `files` (already recognized, in a stable order) and reports every unit to `out`.
    ///
    /// Errors: a file that cannot be opened or parsed at all, or a required file that is missing
    /// ([`Error::Input`] with path and line). Malformed rows are rejected through `out`, never
    /// errors.
    fn read(&self, files: &[PathBuf], options: &SourceOptions, out: &mut Collector) -> Result<()>;
    /// Checks `files` (as [`Source::read`] would get them) against `options` before the run
    /// reads any source, so an inconsistent input stops it at once (the curated rows: the class
    /// map against the audio label lists). The default checks nothing.
    ///
    /// Errors: what the source cannot work with, as an [`Error::Input`] naming the file.
    fn check_inputs(&self, _files: &[PathBuf], _options: &SourceOptions) -> Result<()> {
        Ok(())
    }
    /// Whether it pairs datasets (a curated row): curated rows are built after every direct
    /// source, so they can avoid the clips those use in the other split.
    fn is_curated(&self) -> bool {
        false
    }
    /// For a source that hashes ids to splits (a curated row): the fraction hashed to test, which
    /// the pipeline hands to the sources read after it ([`SourceOptions::earlier_test_fractions`]).
    /// Default `None`.
    fn hashed_test_fraction(&self) -> Option<f64> {
        None
    }
    /// Whether its records can never be ambiguous (two records of one task, media and input with
    /// different answers) by construction, so the run need not remember every question it asks
    /// ([`Collector::guard_ambiguity`]). Default: the curated rows only.
    fn unambiguous_by_construction(&self) -> bool {
        self.is_curated()
    }
    /// Its default media layout (the Meerkat layout under its own name).
    fn default_media(&self) -> MediaLayout {
        MediaLayout::meerkat(self.name())
    }
}

/// A dataset a source reads, as its publishers ask it to be credited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Citation {
    /// The dataset's name (`VGGSound`, `Open Images`, ...).
    pub dataset: &'static str,
    /// The paper to cite: authors, title, venue and year.
    pub paper: &'static str,
    /// The licence as the dataset states it, or `see <url>` where it states none.
    pub licence: &'static str,
}

/// Every direct adapter, in the order `avfit sources` lists them (the curated rows and the specs
/// follow them there: [`crate::registry`]).
pub fn adapters() -> Vec<&'static dyn Source> {
    vec![
        &vggss::Vggss,
        &avsbench::Avsbench,
        &pascal_sound::PascalSound,
        &flickr_soundnet::FlickrSoundnet,
        &llp::Llp,
        &avqa::Avqa,
        &music_avqa::MusicAvqa,
        &valor::Valor,
        &openimages::OpenImages,
    ]
}

/// What a source is told besides its files: the run's settings that any source may use. A
/// curated row's own settings (class map, test fraction, cap) travel with the row
/// (`crate::curate::CurationOptions`), not here.
#[derive(Clone, Debug)]
pub struct SourceOptions {
    /// `--split`: force this split on every record and read every native split.
    pub split: Option<Split>,
    /// Media path patterns.
    pub media: MediaLayout,
    /// Adapter-specific settings from the build manifest's `[source.params]`.
    pub params: toml::Table,
    /// `--media-root` (and `--check-media`): where media paths point, for adapters that must read
    /// an image's size and for the media checks applied when shards are written.
    pub media_root: Option<MediaRoot>,
    /// The run's seed (set by the pipeline; the curated pairing draws with it).
    pub seed: u64,
    /// Open Images: keep `IsDepiction = 1` boxes (`include_depiction` of a `[[source]]`; the
    /// `openimages` adapter and the curated rows' image side). Default false: skipped.
    pub include_depiction: bool,
    /// Set by the pipeline for a source read after the direct ones (a curated row): the groups
    /// (`yt:<id>`, ...) that other sources of the build use, with their split; such a clip is
    /// never drawn into the other split.
    pub reserved_groups: std::sync::Arc<std::collections::HashMap<String, Split>>,
    /// Set by the pipeline: the [`Source::hashed_test_fraction`]s of the sources read before this
    /// one in the build; an image or clip that one of them would put in the other split is never
    /// used (a curated row's rule).
    pub earlier_test_fractions: Vec<f64>,
}

impl SourceOptions {
    /// Defaults for `source`: no forced split, its default media layout, no params, seed 0,
    /// depictions skipped, no reserved groups.
    pub fn new(source: &dyn Source) -> Self {
        SourceOptions {
            split: None,
            media: source.default_media(),
            params: toml::Table::new(),
            media_root: None,
            seed: 0,
            include_depiction: false,
            reserved_groups: Default::default(),
            earlier_test_fractions: Vec::new(),
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

/// The native files of one source found in its inputs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Discovered {
    /// The files to read, in input order (a directory's files in name order).
    pub files: Vec<PathBuf>,
    /// Files found in a directory and deliberately not read, with the note each is counted
    /// under in the manifest ([`Source::not_read_in_directory`]).
    pub not_read: Vec<(PathBuf, &'static str)>,
}

impl Discovered {
    /// Counts every file not read in `out`'s notes (one per file).
    pub fn note_not_read(&self, out: &mut Collector) {
        for (_, note) in &self.not_read {
            out.note(note);
        }
    }
}

/// Finds the native files of `source` in `inputs`: a directory is searched recursively (files in
/// name order) and keeps the files the source recognizes, except those it does not read from a
/// directory ([`Source::not_read_in_directory`], returned in [`Discovered::not_read`]); a file
/// given by name must be one the source recognizes, and is read (never noted as not read, even
/// when a directory given too holds it).
///
/// Errors: an input that does not exist, a named file the source does not read, or no file to
/// read at all.
pub fn discover_files(source: &dyn Source, inputs: &[PathBuf]) -> Result<Discovered> {
    let mut found = Discovered::default();
    for input in inputs {
        if input.is_dir() {
            for entry in walkdir::WalkDir::new(input).sort_by_file_name() {
                let entry = entry.map_err(|e| Error::input(input, None, e.to_string()))?;
                let name = entry.file_name().to_string_lossy();
                if entry.file_type().is_file() && source.recognizes(&name) {
                    match source.not_read_in_directory(&name) {
                        Some(note) => found.not_read.push((entry.into_path(), note)),
                        None => found.files.push(entry.into_path()),
                    }
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
            found.files.push(input.clone());
        } else {
            return Err(Error::input(input, None, "no such file or directory"));
        }
    }
    // A file reached through several inputs (a directory and a file in it, or two spellings of
    // one path) is read once, where it was first reached.
    let same = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let mut named = HashSet::new();
    found.files.retain(|p| named.insert(same(p)));
    // A file named as an input is read, whatever a directory walk said of it.
    found.not_read.retain(|(path, _)| !named.contains(&same(path)));
    if found.files.is_empty() {
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
    Ok(found)
}

/// Reads `source` from `inputs` into memory: discovery, reading, counts. For tests and tools;
/// builds stream through [`crate::pipeline`] instead.
pub fn read_all(source: &dyn Source, inputs: &[PathBuf], options: &SourceOptions) -> Result<(VecSink, SourceStats)> {
    let found = discover_files(source, inputs)?;
    source.check_inputs(&found.files, options)?;
    let mut sink = VecSink {
        media_root: options.media_root.clone(),
        ..VecSink::default()
    };
    let mut out = Collector::new(
        source.name(),
        &mut sink,
        ProgressBar::hidden(),
        options.media_root.clone(),
    );
    if !source.unambiguous_by_construction() {
        out.guard_ambiguity();
    }
    found.note_not_read(&mut out);
    source.read(&found.files, options, &mut out)?;
    let mut stats = out.finish();
    stats.used -= sink.media_rejected_units;
    stats.rejected += sink.media_rejected_units;
    Ok((sink, stats))
}
