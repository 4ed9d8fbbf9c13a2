//! The output directory: sharded JSONL per (split, task, source), `rejects.jsonl` and
//! `manifest.json` (DESIGN.md, "Output").
//!
//! Shards stream: a shard is written under `<source>-NNNNN.jsonl.partial` while open, and every
//! shard of a (split, task, source) group is renamed to its final
//! `<source>-NNNNN-of-MMMMM.jsonl` name when the group is complete (only then is MMMMM known).
//! A failed run leaves only `.partial` files, never a half shard under a final name;
//! [`CorpusWriter::abort`] removes them. `manifest.json` is written last, also via a rename.

use crate::error::{Error, Result};
use crate::record::{Sample, Split, Task};
use crate::sources::Reject;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Records per shard unless the manifest or `--records-per-shard` says otherwise.
pub const DEFAULT_RECORDS_PER_SHARD: usize = 10_000;

const PARTIAL: &str = ".partial";

/// A finished shard as listed in `manifest.json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShardInfo {
    /// Path relative to the output directory, `/`-separated.
    pub path: String,
    /// Number of samples (lines).
    pub records: u64,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub sha256: String,
}

/// A file being written with its running SHA-256 and line count.
struct HashingFile {
    path: PathBuf,
    out: BufWriter<File>,
    hasher: Sha256,
    records: u64,
}

impl HashingFile {
    fn create(path: PathBuf) -> Result<Self> {
        let file = File::create(&path).map_err(|e| Error::io(&path, e))?;
        Ok(HashingFile {
            path,
            out: BufWriter::with_capacity(1 << 16, file),
            hasher: Sha256::new(),
            records: 0,
        })
    }

    fn write_line(&mut self, line: &[u8]) -> Result<()> {
        self.hasher.update(line);
        self.hasher.update(b"\n");
        self.records += 1;
        self.out
            .write_all(line)
            .and_then(|_| self.out.write_all(b"\n"))
            .map_err(|e| Error::io(&self.path, e))
    }

    /// Flushes and syncs; returns (path, records, sha256).
    fn close(self) -> Result<(PathBuf, u64, String)> {
        let HashingFile {
            path,
            out,
            hasher,
            records,
        } = self;
        let file = out.into_inner().map_err(|e| Error::io(&path, e.into_error()))?;
        file.sync_all().map_err(|e| Error::io(&path, e))?;
        Ok((path, records, format!("{:x}", hasher.finalize())))
    }
}

/// The shards of one (split, task, source).
struct Group {
    dir: PathBuf,
    rel_dir: String,
    source: String,
    open: Option<HashingFile>,
    closed: Vec<(PathBuf, u64, String)>,
}

impl Group {
    fn partial_path(&self, index: usize) -> PathBuf {
        self.dir.join(format!("{}-{index:05}.jsonl{PARTIAL}", self.source))
    }
}

/// Streams samples into shards and rejects into `rejects.jsonl`.
pub struct CorpusWriter {
    out: PathBuf,
    records_per_shard: usize,
    groups: BTreeMap<(Split, Task, String), Group>,
    rejects: HashingFile,
    line: Vec<u8>,
}

impl CorpusWriter {
    /// Prepares `out` for a new corpus: creates it, or clears the shards, rejects and manifest of a
    /// previous avfit output there.
    ///
    /// Errors: `out` holds anything else (avfit never deletes files it did not write), or cannot
    /// be created; `records_per_shard` is 0.
    pub fn create(out: &Path, records_per_shard: usize) -> Result<CorpusWriter> {
        if records_per_shard == 0 {
            return Err(Error::Config("records per shard must be at least 1".into()));
        }
        prepare_out_dir(out)?;
        let rejects = HashingFile::create(out.join(format!("rejects.jsonl{PARTIAL}")))?;
        Ok(CorpusWriter {
            out: out.to_path_buf(),
            records_per_shard,
            groups: BTreeMap::new(),
            rejects,
            line: Vec::with_capacity(1024),
        })
    }

    /// Appends `sample` to the open shard of its (split, task, source), starting a new shard when
    /// the open one holds `records_per_shard` samples.
    pub fn write_sample(&mut self, sample: &Sample) -> Result<()> {
        let key = (sample.split, sample.task, sample.source.clone());
        if !self.groups.contains_key(&key) {
            let rel_dir = format!("{}/{}", sample.split.as_str(), sample.task.as_str());
            let dir = self.out.join(&rel_dir);
            std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            self.groups.insert(
                key.clone(),
                Group {
                    dir,
                    rel_dir,
                    source: sample.source.clone(),
                    open: None,
                    closed: Vec::new(),
                },
            );
        }
        let group = self.groups.get_mut(&key).expect("inserted above");
        if group
            .open
            .as_ref()
            .is_some_and(|f| f.records as usize >= self.records_per_shard)
        {
            let full = group.open.take().expect("checked above");
            group.closed.push(full.close()?);
        }
        if group.open.is_none() {
            group.open = Some(HashingFile::create(group.partial_path(group.closed.len()))?);
        }
        self.line.clear();
        serde_json::to_writer(&mut self.line, sample).expect("a Sample always serializes");
        group.open.as_mut().expect("opened above").write_line(&self.line)
    }

    /// Appends one line to `rejects.jsonl`.
    pub fn write_reject(&mut self, reject: &Reject) -> Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, reject).expect("a Reject always serializes");
        self.rejects.write_line(&self.line)
    }

    /// Closes every shard, renames them to their final names and `rejects.jsonl` likewise.
    /// Returns the shards in path order and the number of rejects lines.
    pub fn finish(self) -> Result<(Vec<ShardInfo>, u64)> {
        let mut shards = Vec::new();
        for (_, mut group) in self.groups {
            if let Some(open) = group.open.take() {
                group.closed.push(open.close()?);
            }
            let total = group.closed.len();
            for (index, (partial, records, sha256)) in group.closed.into_iter().enumerate() {
                let name = format!("{}-{index:05}-of-{total:05}.jsonl", group.source);
                let final_path = group.dir.join(&name);
                std::fs::rename(&partial, &final_path).map_err(|e| Error::io(&final_path, e))?;
                shards.push(ShardInfo {
                    path: format!("{}/{name}", group.rel_dir),
                    records,
                    sha256,
                });
            }
        }
        shards.sort_by(|a, b| a.path.cmp(&b.path));
        let (partial, lines, _) = self.rejects.close()?;
        let final_path = self.out.join("rejects.jsonl");
        std::fs::rename(&partial, &final_path).map_err(|e| Error::io(&final_path, e))?;
        Ok((shards, lines))
    }

    /// Removes every `.partial` file after a failed run, and the split and task directories the
    /// run left empty (best effort).
    pub fn abort(self) {
        let out = self.out.clone();
        drop(self);
        for entry in walkdir::WalkDir::new(&out).contents_first(true).into_iter().flatten() {
            let path = entry.path();
            if entry.file_type().is_dir() && path != out {
                let _ = std::fs::remove_dir(path); // only succeeds when empty
            } else if entry.file_name().to_string_lossy().ends_with(PARTIAL) {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

/// Writes `value` as pretty JSON to `path` through a temporary file and a rename.
pub fn write_json_atomically(path: &Path, value: &impl Serialize) -> Result<()> {
    let partial = PathBuf::from(format!("{}{PARTIAL}", path.display()));
    let mut text = serde_json::to_vec_pretty(value).expect("manifest serializes");
    text.push(b'\n');
    std::fs::write(&partial, text).map_err(|e| Error::io(&partial, e))?;
    std::fs::rename(&partial, path).map_err(|e| Error::io(path, e))
}

/// Entries an avfit output directory may hold (with `.partial` variants of the files).
const OWN_ENTRIES: [&str; 4] = ["train", "test", "rejects.jsonl", "manifest.json"];

fn prepare_out_dir(out: &Path) -> Result<()> {
    if out.exists() {
        let entries = std::fs::read_dir(out).map_err(|e| Error::io(out, e))?;
        let mut own = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(out, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !OWN_ENTRIES.contains(&name.trim_end_matches(PARTIAL)) {
                return Err(Error::Config(format!(
                    "{}: not an avfit output directory (it holds `{name}`); choose an empty or new directory",
                    out.display()
                )));
            }
            own.push(entry.path());
        }
        for path in own {
            let removed = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            removed.map_err(|e| Error::io(&path, e))?;
        }
    }
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))
}
