//! `avfit export`: a corpus (the output of `build`, `convert` or `merge`) in the formats trainers
//! read: Parquet in Hugging Face's layout ([`parquet`]), LLaMA-Factory's ShareGPT JSONL with
//! `dataset_info.json` and ms-swift's JSONL ([`chat`]).
//!
//! Streaming: shards are converted on rayon's threads, a few at a time, each read whole and
//! checked against the record count and SHA-256 `manifest.json` lists, and written in a fixed
//! order (task in DESIGN.md's order, split train then test, shards in path order); a Parquet
//! file is written by one thread from the shards holding its rows, several files at a time. So
//! memory stays bounded (a few shards, one Parquet row group per thread) and two exports of one
//! corpus are byte-identical. Every file is written under a `.partial` name and
//! renamed only when the whole export succeeded: a failed export leaves nothing under a final
//! name.

pub mod chat;
pub mod cli;
pub mod parquet;

use crate::error::{Error, Result};
use crate::record::{Split, Task, ALL_TASKS};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Suffix of a file being written.
const PARTIAL: &str = ".partial";

/// An export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Parquet files `<task>/<split>-NNNNN-of-MMMMM.parquet` and a dataset card.
    Parquet,
    /// LLaMA-Factory ShareGPT JSONL (OpenAI tags) and `dataset_info.json`.
    LlamaFactory,
    /// ms-swift's messages JSONL.
    Swift,
}

impl Format {
    /// `parquet`, `llamafactory` or `swift`.
    ///
    /// Errors: any other name ([`Error::Config`] naming the known ones).
    pub fn from_name(name: &str) -> Result<Format> {
        match name {
            "parquet" => Ok(Format::Parquet),
            "llamafactory" => Ok(Format::LlamaFactory),
            "swift" => Ok(Format::Swift),
            other => Err(Error::Config(format!(
                "unknown export format `{other}`; expected parquet, llamafactory or swift"
            ))),
        }
    }
}

/// A kind of media a chat export lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MediaKind {
    /// `images` and `<image>`.
    Image,
    /// `videos` and `<video>`.
    Video,
    /// `audios` and `<audio>`.
    Audio,
}

impl MediaKind {
    /// The placeholder token: `<image>`, `<video>` or `<audio>`.
    pub fn placeholder(self) -> &'static str {
        match self {
            MediaKind::Image => "<image>",
            MediaKind::Video => "<video>",
            MediaKind::Audio => "<audio>",
        }
    }

    /// The list's key in an exported line: `images`, `videos` or `audios`.
    pub fn key(self) -> &'static str {
        match self {
            MediaKind::Image => "images",
            MediaKind::Video => "videos",
            MediaKind::Audio => "audios",
        }
    }

    /// Parses `image,audio,video` (any order, any subset, at least one).
    ///
    /// Errors: an unknown or repeated kind, or none.
    pub fn parse_list(text: &str) -> Result<Vec<MediaKind>> {
        let mut kinds = Vec::new();
        for name in text.split(',').map(str::trim) {
            let kind = match name {
                "image" => MediaKind::Image,
                "audio" => MediaKind::Audio,
                "video" => MediaKind::Video,
                other => {
                    return Err(Error::Config(format!(
                        "--media: unknown media kind `{other}`; expected image, audio, video"
                    )))
                }
            };
            if kinds.contains(&kind) {
                return Err(Error::Config(format!("--media: `{name}` is listed twice")));
            }
            kinds.push(kind);
        }
        kinds.sort();
        Ok(kinds)
    }
}

/// Parses `--tasks arig,igatl,...`. Errors: an unknown task name (listing the known ones).
pub fn parse_tasks(text: &str) -> Result<Vec<Task>> {
    text.split(',')
        .map(str::trim)
        .map(|name| {
            ALL_TASKS.into_iter().find(|t| t.as_str() == name).ok_or_else(|| {
                Error::Config(format!(
                    "--tasks: unknown task `{name}`; expected arig, igatl, avfc, avqa, avc"
                ))
            })
        })
        .collect()
}

/// Parses `--splits train,test`. Errors: an unknown split name.
pub fn parse_splits(text: &str) -> Result<Vec<Split>> {
    text.split(',')
        .map(str::trim)
        .map(|name| match name {
            "train" => Ok(Split::Train),
            "test" => Ok(Split::Test),
            other => Err(Error::Config(format!(
                "--splits: unknown split `{other}`; expected train, test"
            ))),
        })
        .collect()
}

/// What `avfit export` is asked to do.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    /// The corpus directory (with `manifest.json`).
    pub corpus: PathBuf,
    /// The format.
    pub format: Format,
    /// The output directory: new or empty.
    pub out: PathBuf,
    /// Chat formats: prefix of every media path (`<media_dir>/<path>`); `None` keeps the corpus's
    /// paths, relative to its media root.
    pub media_dir: Option<String>,
    /// Chat formats: the media kinds listed (default image and audio), in the order image, video,
    /// audio (so every `<video>` is followed by its `<audio>`).
    pub media: Vec<MediaKind>,
    /// Tasks exported (all when empty), in DESIGN.md's order whatever the order given.
    pub tasks: Vec<Task>,
    /// Splits exported (both when empty).
    pub splits: Vec<Split>,
    /// swift: ARIG answers and AVFC type 4 claims as `<ref-object><bbox>` with `objects`.
    pub grounding_objects: bool,
    /// No progress bar.
    pub quiet: bool,
}

/// One file an export wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExportedFile {
    /// Path relative to the output directory.
    pub path: String,
    /// Samples (lines or rows) in it.
    pub records: u64,
}

/// What an export wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ExportSummary {
    /// The data files, in the order written.
    pub files: Vec<ExportedFile>,
    /// Samples exported.
    pub exported: u64,
    /// Samples left out (listed in `skipped.jsonl`), by reason code.
    pub skipped: BTreeMap<String, u64>,
}

/// A shard as `manifest.json` lists it.
#[derive(Clone, Debug, Deserialize)]
pub struct ManifestShard {
    /// Path relative to the corpus directory.
    pub path: String,
    /// Lines.
    pub records: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
}

/// The part of `manifest.json` an export needs.
#[derive(Clone, Debug, Deserialize)]
pub struct CorpusManifest {
    /// avfit version that wrote the corpus.
    pub tool_version: String,
    /// Seed.
    pub seed: u64,
    /// Dialect name.
    pub dialect: String,
    /// Expected samples per `<split>/<task>/<source>`.
    #[serde(default)]
    pub expected: BTreeMap<String, u64>,
    /// Samples per `<split>/<task>/<source>`.
    pub counts: BTreeMap<String, u64>,
    /// Every shard.
    pub shards: Vec<ManifestShard>,
    /// Per source accounting (only the names are used).
    pub sources: BTreeMap<String, serde_json::Value>,
}

/// Reads `<corpus>/manifest.json`.
///
/// Errors: missing (the corpus is not an avfit output), unreadable, or not an avfit manifest.
pub fn read_corpus_manifest(corpus: &Path) -> Result<CorpusManifest> {
    let path = corpus.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::input(
                &path,
                None,
                "not found: expected the manifest.json of a corpus written by avfit build, convert or merge",
            )
        } else {
            Error::io(&path, e)
        }
    })?;
    serde_json::from_str(&text).map_err(|e| {
        Error::input(
            &path,
            Some(e.line() as u64),
            format!("expected an avfit manifest.json: {e}"),
        )
    })
}

/// One (task, split) of the export: its shards in path order and their total records.
#[derive(Clone, Debug)]
pub struct Group {
    /// The task.
    pub task: Task,
    /// The split.
    pub split: Split,
    /// Its shards, in path order.
    pub shards: Vec<ManifestShard>,
    /// Lines in them, as the manifest says.
    pub records: u64,
}

/// The selected (task, split) groups that have shards, tasks in DESIGN.md's order, train first.
pub fn groups(manifest: &CorpusManifest, tasks: &[Task], splits: &[Split]) -> Vec<Group> {
    let mut out = Vec::new();
    for task in ALL_TASKS {
        if !tasks.is_empty() && !tasks.contains(&task) {
            continue;
        }
        for split in [Split::Train, Split::Test] {
            if !splits.is_empty() && !splits.contains(&split) {
                continue;
            }
            let prefix = format!("{}/{}/", split.as_str(), task.as_str());
            let mut shards: Vec<ManifestShard> = manifest
                .shards
                .iter()
                .filter(|s| s.path.starts_with(&prefix))
                .cloned()
                .collect();
            if shards.is_empty() {
                continue;
            }
            shards.sort_by(|a, b| a.path.cmp(&b.path));
            let records = shards.iter().map(|s| s.records).sum();
            out.push(Group {
                task,
                split,
                shards,
                records,
            });
        }
    }
    out
}

/// Parses line `n` (1-based) of the shard at `path` as a value of `T` (a [`crate::record::Sample`] or a view
/// of its fields borrowing from `text`).
///
/// Errors: the line is not a sample ([`Error::input`] naming the file and line).
pub fn parse_sample<'a, T: Deserialize<'a>>(path: &Path, n: u64, text: &'a str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| {
        Error::input(
            path,
            Some(n),
            format!("expected a corpus sample (DESIGN.md's fields): {e}"),
        )
    })
}

/// Calls `each(path, (n, line))` for every line of `data` (the bytes of the shard at `path`),
/// `n` 1-based, the line without its `\n`; a last line without `\n` counts. Returns the lines.
/// The UTF-8 of the whole shard is checked once here, so lines are parsed as text.
///
/// Errors: bytes that are not UTF-8 (the file and the line holding them), what `each` returns.
pub fn for_each_line<'a>(
    path: &Path,
    data: &'a [u8],
    mut each: impl FnMut(&Path, (u64, &'a str)) -> Result<()>,
) -> Result<u64> {
    let text = std::str::from_utf8(data).map_err(|e| {
        let before = &data[..e.valid_up_to()];
        let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        Error::input(
            path,
            Some(line),
            format!("expected a corpus sample (DESIGN.md's fields): {e}"),
        )
    })?;
    let mut n = 0u64;
    for line in text.split_inclusive('\n') {
        n += 1;
        let line = line.strip_suffix('\n').unwrap_or(line);
        each(path, (n, line))?;
    }
    Ok(n)
}

/// Checks the bytes `data` of the shard at `path`, of `lines` lines, against its manifest entry.
///
/// Errors: a line count or SHA-256 that differs from what `manifest.json` lists.
pub fn check_shard(path: &Path, shard: &ManifestShard, data: &[u8], lines: u64) -> Result<()> {
    let digest = format!("{:x}", Sha256::digest(data));
    if digest != shard.sha256 || lines != shard.records {
        return Err(Error::input(
            path,
            None,
            format!(
                "expected {} lines with SHA-256 {} as manifest.json lists; found {lines} lines, SHA-256 {digest}",
                shard.records, shard.sha256
            ),
        ));
    }
    Ok(())
}

thread_local! {
    /// The bytes of the shard a thread converts ([`convert_shards`]).
    static SHARD_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Reads the shard `shard` of the corpus at `corpus` into this thread's buffer (kept from shard
/// to shard: a fresh one per shard would cost a page fault per 4 KiB) and returns what
/// `f(path, bytes)` returns. Nothing is checked here: see [`check_shard`].
///
/// Errors: the shard cannot be read (its path), what `f` returns.
pub fn with_shard<R>(corpus: &Path, shard: &ManifestShard, f: impl FnOnce(&Path, &[u8]) -> Result<R>) -> Result<R> {
    let path = corpus.join(&shard.path);
    SHARD_BUFFER.with(|buffer| {
        let mut data = buffer.borrow_mut();
        data.clear();
        std::fs::File::open(&path)
            .and_then(|mut file| std::io::Read::read_to_end(&mut file, &mut data))
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Error::input(
                    &path,
                    None,
                    format!(
                        "missing: expected the shard of {} lines manifest.json lists",
                        shard.records
                    ),
                ),
                _ => Error::io(&path, e),
            })?;
        f(&path, &data)
    })
}

/// Converts `shards` (under `corpus`) on rayon's worker threads and hands the results to `sink`
/// on the calling thread in shard order, so that converting the next shards overlaps with
/// `sink` writing the last: `convert(path, bytes)` gets a shard's path and whole bytes and
/// returns its result and its line count, which with the bytes is then checked against the
/// manifest ([`check_shard`]). Shards are converted one window of as many as there are threads
/// at a time, and one result at most waits between the two sides, so memory holds a few shards'
/// results whatever the corpus size. The first error in shard order is returned; after it no
/// shard is handed to `sink`.
///
/// Errors: an unreadable shard, what `convert` returns (a bad line is reported before
/// the checksum), a shard that differs from its manifest entry, what `sink` returns.
pub fn convert_shards<T: Send>(
    corpus: &Path,
    shards: &[ManifestShard],
    convert: impl Fn(&Path, &[u8]) -> Result<(T, u64)> + Sync,
    mut sink: impl FnMut(T) -> Result<()>,
) -> Result<()> {
    use rayon::prelude::*;
    let window = rayon::current_num_threads().max(1);
    let (send, receive) = std::sync::mpsc::sync_channel::<Result<T>>(1);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let send = send;
            for chunk in shards.chunks(window) {
                let results: Vec<Result<T>> = chunk
                    .par_iter()
                    .map(|shard| {
                        with_shard(corpus, shard, |path, data| {
                            let (value, lines) = convert(path, data)?;
                            check_shard(path, shard, data, lines)?;
                            Ok(value)
                        })
                    })
                    .collect();
                for result in results {
                    let failed = result.is_err();
                    // The receiver is gone only when the sink failed: stop.
                    if send.send(result).is_err() || failed {
                        return;
                    }
                }
            }
        });
        for result in receive {
            sink(result?)?;
        }
        Ok(())
    })
}

/// The output directory being written: files go under `.partial` names and are renamed by
/// [`Staging::commit`]; dropped without commit, it removes them.
pub struct Staging {
    out: PathBuf,
    created_out: bool,
    files: Vec<String>,
    committed: bool,
}

impl Staging {
    /// Creates `out` (or takes it when it exists and is empty).
    ///
    /// Errors: `out` exists and is not an empty directory, or cannot be created.
    pub fn new(out: &Path) -> Result<Staging> {
        let created_out = !out.exists();
        if !created_out {
            let mut entries = std::fs::read_dir(out).map_err(|e| Error::io(out, e))?;
            if let Some(entry) = entries.next() {
                let name = entry.map_err(|e| Error::io(out, e))?.file_name();
                return Err(Error::Config(format!(
                    "{}: --out must be a new or empty directory (it holds `{}`)",
                    out.display(),
                    name.to_string_lossy()
                )));
            }
        }
        std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
        Ok(Staging {
            out: out.to_path_buf(),
            created_out,
            files: Vec::new(),
            committed: false,
        })
    }

    /// The `.partial` path of `rel` (a `/`-separated path relative to `out`), its directory
    /// created; `rel` is renamed into place at commit.
    ///
    /// Errors: the directory cannot be created.
    pub fn partial(&mut self, rel: &str) -> Result<PathBuf> {
        let path = self.out.join(format!("{rel}{PARTIAL}"));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        self.files.push(rel.to_string());
        Ok(path)
    }

    /// Removes the staged file `rel` (given by [`Staging::partial`]) and forgets it: it will
    /// not be renamed at commit.
    ///
    /// Errors: the file cannot be removed.
    pub fn discard(&mut self, rel: &str) -> Result<()> {
        let path = self.out.join(format!("{rel}{PARTIAL}"));
        std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        self.files.retain(|f| f != rel);
        Ok(())
    }

    /// Renames every staged file to its final name.
    ///
    /// Errors: a rename fails.
    pub fn commit(mut self) -> Result<()> {
        for rel in &self.files {
            let to = self.out.join(rel);
            let from = self.out.join(format!("{rel}{PARTIAL}"));
            std::fs::rename(&from, &to).map_err(|e| Error::io(&to, e))?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        for rel in &self.files {
            let _ = std::fs::remove_file(self.out.join(format!("{rel}{PARTIAL}")));
        }
        // Directories this export created and left empty, deepest first; then `out` itself.
        let mut dirs: Vec<PathBuf> = self
            .files
            .iter()
            .filter_map(|rel| self.out.join(rel).parent().map(Path::to_path_buf))
            .filter(|d| d != &self.out)
            .collect();
        dirs.sort();
        dirs.dedup();
        for dir in dirs.iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
        if self.created_out {
            let _ = std::fs::remove_dir(&self.out);
        }
    }
}

/// A bar over `total` samples on a terminal unless `quiet`; hidden otherwise.
pub fn progress_bar(total: u64, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{prefix:>10} {wide_bar} {human_pos}/{human_len} samples ({per_sec}, {eta})")
            .expect("valid progress template"),
    );
    bar.set_prefix("export");
    bar
}

/// Runs the export `options` asks for. Returns what it wrote.
///
/// Errors: no `manifest.json` in the corpus, a shard that is missing, unreadable or differs
/// from its manifest entry, a line that is not a sample, `--out` not new or empty, an I/O
/// error. On error nothing is left under a final name in `--out`.
pub fn export(options: &ExportOptions) -> Result<ExportSummary> {
    let manifest = read_corpus_manifest(&options.corpus)?;
    if options.grounding_objects && options.format != Format::Swift {
        return Err(Error::Config(
            "--grounding objects applies to --format swift only".into(),
        ));
    }
    if let Some(corpus) = crate::outdir::enclosing_output(&options.out) {
        return Err(Error::Config(format!(
            "{}: --out lies in the avfit output directory {}, whose files validate and build check one by one; choose a directory outside it",
            options.out.display(),
            corpus.display()
        )));
    }
    let groups = groups(&manifest, &options.tasks, &options.splits);
    let total: u64 = groups.iter().map(|g| g.records).sum();
    let bar = progress_bar(total, options.quiet);
    let mut staging = Staging::new(&options.out)?;
    let summary = match options.format {
        Format::Parquet => parquet::export(options, &manifest, &groups, &mut staging, &bar)?,
        Format::LlamaFactory | Format::Swift => chat::export(options, &manifest, &groups, &mut staging, &bar)?,
    };
    bar.finish_and_clear();
    staging.commit()?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A manifest entry for `path` holding `data`.
    fn entry(path: &str, data: &[u8], records: u64) -> ManifestShard {
        ManifestShard {
            path: path.into(),
            records,
            sha256: format!("{:x}", Sha256::digest(data)),
        }
    }

    #[test]
    fn lines_are_counted_as_read_until_counts_them() {
        let mut seen = Vec::new();
        let n = for_each_line(Path::new("s.jsonl"), b"a\n\nbc", |_, (n, text)| {
            seen.push((n, text.to_string()));
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 3);
        assert_eq!(seen, vec![(1, "a".into()), (2, String::new()), (3, "bc".into())]);
        assert_eq!(for_each_line(Path::new("s.jsonl"), b"", |_, _| Ok(())).unwrap(), 0);
        // Bytes that are not UTF-8 on line 2: the file and that line.
        match for_each_line(Path::new("s.jsonl"), b"a\nb\xff\n", |_, _| Ok(())) {
            Err(Error::Input { path, line, .. }) => assert_eq!((path, line), (PathBuf::from("s.jsonl"), Some(2))),
            other => panic!("expected an input error, got {other:?}"),
        }
    }

    #[test]
    fn shards_reach_the_sink_in_order_and_the_first_failure_in_order_wins() {
        let dir = std::env::temp_dir().join(format!("avfit-convert-shards-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut shards = Vec::new();
        for i in 0..7 {
            let data = format!("{i}\n{i}{i}\n");
            let name = format!("s{i}.jsonl");
            std::fs::write(dir.join(&name), &data).unwrap();
            shards.push(entry(&name, data.as_bytes(), 2));
        }
        let lengths = |path: &Path, data: &[u8]| {
            let mut total = 0usize;
            let n = for_each_line(path, data, |_, (_, t)| {
                total += t.len();
                Ok(())
            })?;
            Ok((total, n))
        };
        let mut got = Vec::new();
        convert_shards(&dir, &shards, lengths, |v| {
            got.push(v);
            Ok(())
        })
        .unwrap();
        assert_eq!(got, vec![3; 7]);
        // Shards 3 and 5 differ from their entries: 3 is reported, nothing after 2 is sunk.
        shards[3].records = 9;
        shards[5].sha256 = "0".repeat(64);
        let mut got = Vec::new();
        let err = convert_shards(&dir, &shards, lengths, |v| {
            got.push(v);
            Ok(())
        })
        .unwrap_err();
        assert_eq!(got, vec![3; 3]);
        assert!(err.to_string().contains("s3.jsonl"), "{err}");
        assert!(err.to_string().contains("expected 9 lines with SHA-256"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
