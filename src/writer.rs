//! The output directory: sharded JSONL per (split, task, source), `rejects.jsonl` and
//! `manifest.json` (DESIGN.md, "Output").
//!
//! Shards stream: a shard is written under `<source>-NNNNN.jsonl.partial` while open; when
//! complete it is synced, renamed to `<source>-NNNNN.jsonl` and recorded in the journal
//! ([`crate::journal`]); at the end of the build every shard gets its final
//! `<source>-NNNNN-of-MMMMM.jsonl` name (only then is MMMMM known). A failed run never leaves a
//! half shard under a complete or final name. `manifest.json` is written last, via a rename.

use crate::error::{Error, Result};
use crate::journal::{Journal, ShardOutcome, JOURNAL_FILE};
use crate::record::{Split, Task};
use crate::sources::Reject;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
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
    bytes: u64,
}

impl HashingFile {
    fn create(path: PathBuf) -> Result<Self> {
        let file = File::create(&path).map_err(|e| Error::io(&path, e))?;
        Ok(HashingFile {
            path,
            out: BufWriter::with_capacity(1 << 16, file),
            hasher: Sha256::new(),
            records: 0,
            bytes: 0,
        })
    }

    fn write_line(&mut self, line: &[u8]) -> Result<()> {
        self.hasher.update(line);
        self.hasher.update(b"\n");
        self.records += 1;
        self.bytes += line.len() as u64 + 1;
        self.out
            .write_all(line)
            .and_then(|_| self.out.write_all(b"\n"))
            .map_err(|e| Error::io(&self.path, e))
    }

    /// Flushes and syncs; returns (path, records, bytes, sha256).
    fn close(self) -> Result<(PathBuf, u64, u64, String)> {
        let HashingFile {
            path,
            out,
            hasher,
            records,
            bytes,
        } = self;
        let file = out.into_inner().map_err(|e| Error::io(&path, e.into_error()))?;
        file.sync_all().map_err(|e| Error::io(&path, e))?;
        Ok((path, records, bytes, format!("{:x}", hasher.finalize())))
    }
}

/// The shard files of one build or partition: opens them under `.partial` names, writes their
/// lines, and on close syncs each, renames it to its complete name and records it in the journal.
pub struct ShardWriter {
    out: PathBuf,
    open: HashMap<usize, OpenShard>,
    journal: Journal,
    written: Vec<ShardOutcome>,
}

/// A shard being written, with the media rejects of its records so far.
struct OpenShard {
    file: HashingFile,
    complete: String,
    rejects: Vec<String>,
    rejected_units: u64,
}

impl ShardWriter {
    /// A writer into `out` (already prepared) that records completed shards in `journal`.
    pub fn new(out: &Path, journal: Journal) -> ShardWriter {
        ShardWriter {
            out: out.to_path_buf(),
            open: HashMap::new(),
            journal,
            written: Vec::new(),
        }
    }

    /// Opens shard `index` under `<stem>.jsonl.partial` (`stem` like `train/arig/vggss-00003`,
    /// relative to the output directory), creating its directory.
    ///
    /// Errors: the directory or file cannot be created.
    pub fn open(&mut self, index: usize, stem: &str) -> Result<()> {
        let partial = self.out.join(format!("{stem}.jsonl{PARTIAL}"));
        if let Some(dir) = partial.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let shard = OpenShard {
            file: HashingFile::create(partial)?,
            complete: format!("{stem}.jsonl"),
            rejects: Vec::new(),
            rejected_units: 0,
        };
        self.open.insert(index, shard);
        Ok(())
    }

    /// Appends one sample line (JSON, without its newline) to open shard `index`.
    ///
    /// Errors: the shard is not open (an internal error) or the write fails.
    pub fn write_line(&mut self, index: usize, line: &[u8]) -> Result<()> {
        self.shard(index)?.file.write_line(line)
    }

    /// Notes a record of shard `index` rejected for its media: its rejects line (JSON text) and
    /// native units.
    ///
    /// Errors: the shard is not open (an internal error).
    pub fn media_reject(&mut self, index: usize, reject: String, units: u64) -> Result<()> {
        let shard = self.shard(index)?;
        shard.rejects.push(reject);
        shard.rejected_units += units;
        Ok(())
    }

    /// Completes shard `index`: flushes and syncs it, renames it to `<stem>.jsonl` and appends
    /// its outcome to the journal (synced).
    ///
    /// Errors: the shard is not open (an internal error), or an I/O error.
    pub fn close(&mut self, index: usize) -> Result<()> {
        self.shard(index)?;
        let shard = self.open.remove(&index).expect("checked above");
        let (partial, records, bytes, sha256) = shard.file.close()?;
        let complete = self.out.join(&shard.complete);
        std::fs::rename(&partial, &complete).map_err(|e| Error::io(&complete, e))?;
        let outcome = ShardOutcome {
            index,
            path: shard.complete,
            records,
            bytes,
            sha256,
            rejected_units: shard.rejected_units,
            rejects: shard.rejects,
        };
        self.journal.append(&outcome)?;
        self.written.push(outcome);
        Ok(())
    }

    /// Ends writing: the outcomes of the shards completed by this writer, and the journal.
    ///
    /// Errors: a shard is still open (an internal error).
    pub fn finish(self) -> Result<(Vec<ShardOutcome>, Journal)> {
        if let Some(index) = self.open.keys().next() {
            return Err(Error::Config(format!("internal error: shard {index} was never closed")));
        }
        Ok((self.written, self.journal))
    }

    fn shard(&mut self, index: usize) -> Result<&mut OpenShard> {
        self.open
            .get_mut(&index)
            .ok_or_else(|| Error::Config(format!("internal error: shard {index} is not open")))
    }
}

/// `rejects.jsonl` being written under its `.partial` name.
pub struct RejectsWriter {
    file: HashingFile,
    line: Vec<u8>,
}

impl RejectsWriter {
    /// Creates `<out>/rejects.jsonl.partial`.
    ///
    /// Errors: it cannot be created.
    pub fn create(out: &Path) -> Result<RejectsWriter> {
        Ok(RejectsWriter {
            file: HashingFile::create(out.join(format!("rejects.jsonl{PARTIAL}")))?,
            line: Vec::with_capacity(256),
        })
    }

    /// Appends `reject` as one line.
    ///
    /// Errors: the write fails.
    pub fn write(&mut self, reject: &Reject) -> Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, reject).expect("a Reject always serializes");
        self.file.write_line(&self.line)
    }

    /// Appends a line of JSON text as it is.
    ///
    /// Errors: the write fails.
    pub fn write_text(&mut self, line: &str) -> Result<()> {
        self.file.write_line(line.as_bytes())
    }

    /// Lines and SHA-256 of what was written so far (the file stays open).
    pub fn lines_and_digest(&self) -> (u64, String) {
        (self.file.records, format!("{:x}", self.file.hasher.clone().finalize()))
    }

    /// Syncs the file and renames it to `rejects.jsonl`. Returns its number of lines.
    ///
    /// Errors: an I/O error.
    pub fn finish(self) -> Result<u64> {
        let (partial, lines, _, _) = self.file.close()?;
        let final_path = partial.with_file_name("rejects.jsonl");
        std::fs::rename(&partial, &final_path).map_err(|e| Error::io(&final_path, e))?;
        Ok(lines)
    }
}

/// Removes every `.partial` file under `out` after a failed run, and the split and task
/// directories left empty (best effort). Completed shards and the journal stay for `--resume`.
pub fn remove_partials(out: &Path) {
    for entry in walkdir::WalkDir::new(out).contents_first(true).into_iter().flatten() {
        let path = entry.path();
        if entry.file_type().is_dir() && path != out {
            let _ = std::fs::remove_dir(path); // only succeeds when empty
        } else if entry.file_name().to_string_lossy().ends_with(PARTIAL) {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The final name of a shard: `<stem>-of-<total:05>.jsonl` (`train/arig/vggss-00003-of-00007.jsonl`).
pub fn final_shard_path(stem: &str, total: usize) -> String {
    format!("{stem}-of-{total:05}.jsonl")
}

/// The stem of shard number `local` (from 0) of a (split, task, source):
/// `<split>/<task>/<source>-<local:05>`.
pub fn shard_stem(split: Split, task: Task, source: &str, local: usize) -> String {
    format!("{}/{}/{source}-{local:05}", split.as_str(), task.as_str())
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
const OWN_ENTRIES: [&str; 7] = [
    "train",
    crate::card::CARD_FILE,
    "test",
    "rejects.jsonl",
    "manifest.json",
    JOURNAL_FILE,
    PARTITION_FILE,
];

/// File a partitioned build writes in its output directory for `avfit merge`.
pub const PARTITION_FILE: &str = "partition.json";

/// Prepares `out` for a new corpus: creates it, or clears the shards, rejects, manifest and
/// journal of a previous avfit output there.
///
/// Errors: `out` holds anything else (avfit never deletes files it did not write), or cannot be
/// created.
pub fn prepare_out_dir(out: &Path) -> Result<()> {
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
