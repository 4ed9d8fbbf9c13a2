//! The build journal: `build.journal` in the output directory, one JSON object per line, append
//! only. The first line says which build it belongs to ([`JournalHeader`]); every further line
//! vouches for one completed shard ([`ShardOutcome`]), appended and synced to disk after the
//! shard file itself was synced and before it is renamed to its complete name: a file under a
//! complete name always has its line. `--resume` reads it back and keeps the shards it vouches
//! for; a later run removes only files it vouches for (with their size and SHA-256, see
//! [`crate::outdir`]); a successful build removes it. `avfit merge` keeps one too while it
//! copies, its header's partition `merge`, each line naming a copied shard's final path.
//!
//! A build killed while appending leaves at most a torn last line: it is ignored on resume.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// File name of the journal inside the output directory.
pub const JOURNAL_FILE: &str = "build.journal";

/// First line of the journal: the build it belongs to. A resume needs every field to match.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalHeader {
    /// The configuration hash of the build (see `manifest.json`).
    pub config_hash: String,
    /// Samples per shard.
    pub records_per_shard: usize,
    /// `K/N` of a partitioned build, `0/1` for a whole build.
    pub partition: String,
    /// Fingerprint of the input files: path, size and modification time of each.
    pub inputs: String,
}

/// What writing one shard produced: its file and the media rejects of its records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardOutcome {
    /// Global shard index: the order in which the build plan opens shards, from 0.
    pub index: usize,
    /// Path of the completed shard relative to the output directory, before the final rename
    /// that adds `-of-MMMMM` (`train/arig/vggss-00003.jsonl`).
    pub path: String,
    /// Lines (samples) written.
    pub records: u64,
    /// File size in bytes.
    pub bytes: u64,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
    /// Native units of the records rejected for their media (they move from used to rejected).
    pub rejected_units: u64,
    /// The rejects lines of those records (JSON text, in record order).
    pub rejects: Vec<String>,
}

/// An open journal, appending.
pub struct Journal {
    path: PathBuf,
    file: File,
}

impl Journal {
    /// Starts a new journal in `out` with `header` and the outcomes of `kept` shards (a resume
    /// rewrites the lines it keeps), written to a temporary file, synced and renamed over any
    /// previous journal.
    ///
    /// Errors: the file cannot be written.
    pub fn create(out: &Path, header: &JournalHeader, kept: &[ShardOutcome]) -> Result<Journal> {
        let path = out.join(JOURNAL_FILE);
        let temp = out.join(format!("{JOURNAL_FILE}.partial"));
        let mut text = serde_json::to_string(header).expect("header serializes") + "\n";
        for outcome in kept {
            text += &(serde_json::to_string(outcome).expect("outcome serializes") + "\n");
        }
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| Error::io(&temp, e))?;
        file.write_all(text.as_bytes())
            .and_then(|_| file.sync_all())
            .map_err(|e| Error::io(&temp, e))?;
        std::fs::rename(&temp, &path).map_err(|e| Error::io(&path, e))?;
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        Ok(Journal { path, file })
    }

    /// Appends `outcome` as one line and syncs it to disk before returning.
    ///
    /// Errors: the write or the sync fails.
    pub fn append(&mut self, outcome: &ShardOutcome) -> Result<()> {
        let line = serde_json::to_string(outcome).expect("outcome serializes") + "\n";
        self.file
            .write_all(line.as_bytes())
            .and_then(|_| self.file.sync_data())
            .map_err(|e| Error::io(&self.path, e))
    }

    /// Removes the journal of a finished build.
    ///
    /// Errors: it cannot be removed.
    pub fn remove(self) -> Result<()> {
        drop(self.file);
        std::fs::remove_file(&self.path).map_err(|e| Error::io(&self.path, e))
    }
}

/// Reads the journal in `out`: `None` when there is none; else its header and the outcomes it
/// vouches for, in the order written. A last line without its newline or not valid JSON (a build
/// killed while appending) is ignored.
///
/// Errors: the file cannot be read, its first line is not a header, or a line other than the
/// last is not an outcome (path and line).
pub fn read(out: &Path) -> Result<Option<(JournalHeader, Vec<ShardOutcome>)>> {
    let path = out.join(JOURNAL_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(&path, e)),
    };
    let complete = match text.rfind('\n') {
        Some(end) => &text[..=end],
        None => "",
    };
    let mut lines = complete.lines();
    let header: JournalHeader = lines.next().and_then(|l| serde_json::from_str(l).ok()).ok_or_else(|| {
        Error::input(
            &path,
            Some(1),
            "expected the journal header {config_hash, records_per_shard, partition, inputs}",
        )
    })?;
    let mut outcomes = Vec::new();
    for (i, line) in lines.enumerate() {
        let outcome = serde_json::from_str(line)
            .map_err(|e| Error::input(&path, Some(i as u64 + 2), format!("expected a shard outcome: {e}")))?;
        outcomes.push(outcome);
    }
    Ok(Some((header, outcomes)))
}
