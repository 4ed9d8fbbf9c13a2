//! The output directory: sharded JSONL per (split, task, source), `rejects.jsonl` and
//! `manifest.json` (DESIGN.md, "Output").
//!
//! Shards stream: a shard is written under `<source>-NNNNN.jsonl.partial` while open; when
//! complete it is synced, recorded in the journal ([`crate::journal`]) and renamed to
//! `<source>-NNNNN.jsonl`, on a thread of its own ([`ShardWriter`]); at the end of the build
//! every shard gets its final `<source>-NNNNN-of-MMMMM.jsonl` name (only then is MMMMM known). A
//! failed run never leaves a half shard under a complete or final name. The last phase ([`commit`]) renames nothing before
//! `rejects.jsonl` and `manifest.json` (or `partition.json`) are fully written and synced under
//! their `.partial` names; `manifest.json` takes its name last. Every file is created with
//! `create_new`: avfit never writes through a file it did not create.

use crate::direct_file::DirectFile;
use crate::error::{Error, Result};
use crate::journal::{Journal, ShardOutcome};
pub use crate::outdir::{PARTIAL, PARTITION_FILE};
use crate::record::{Split, Task};
use crate::sources::Reject;
use crate::split::FastMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Records per shard unless the manifest or `--records-per-shard` says otherwise.
pub const DEFAULT_RECORDS_PER_SHARD: usize = 10_000;

/// A finished shard as listed in `manifest.json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShardInfo {
    /// Path relative to the output directory, `/`-separated.
    pub path: String,
    /// Number of samples (lines).
    pub records: u64,
    /// Size of the file in bytes.
    pub bytes: u64,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub sha256: String,
}

/// Another file of an output directory as `manifest.json` and `partition.json` list it under
/// `files` (`rejects.jsonl`; the dataset card `README.md` belongs there too): what `validate`
/// checks and what proves the file is avfit's before a later run removes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    /// Path relative to the output directory, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub sha256: String,
}

/// Test hook standing in for a full disk: when the environment variable `AVFIT_FAIL_WRITE`
/// names a file (`rejects.jsonl`, `manifest.json`, `partition.json`), writing that file's
/// temporary copy fails with ENOSPC, as a disk that fills at that moment would.
fn simulated_full_disk(name: &str) -> std::io::Result<()> {
    match std::env::var_os("AVFIT_FAIL_WRITE") {
        Some(target) if target == name => Err(std::io::Error::from_raw_os_error(28)),
        _ => Ok(()),
    }
}

/// Creates `path` for writing; fails when anything is already there (never writes through a
/// file or link avfit did not create).
fn create_new(path: &Path) -> Result<File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| Error::io(path, e))
}

/// A file being written (around the page cache where it can be, [`DirectFile`]) with its
/// running SHA-256 and line count.
struct HashingFile {
    path: PathBuf,
    out: DirectFile,
    hasher: Sha256,
    records: u64,
    bytes: u64,
}

impl HashingFile {
    fn create(path: PathBuf) -> Result<Self> {
        let out = DirectFile::create_new(&path).map_err(|e| Error::io(&path, e))?;
        Ok(HashingFile {
            path,
            out,
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
        let (file, path, records, bytes, sha256) = self.flush()?;
        file.sync_all().map_err(|e| Error::io(&path, e))?;
        Ok((path, records, bytes, sha256))
    }

    /// Flushes what is buffered, without syncing; returns (file, path, records, bytes, sha256).
    fn flush(self) -> Result<(File, PathBuf, u64, u64, String)> {
        let HashingFile {
            path,
            out,
            hasher,
            records,
            bytes,
        } = self;
        let file = out.finish().map_err(|e| Error::io(&path, e))?;
        Ok((file, path, records, bytes, format!("{:x}", hasher.finalize())))
    }
}

/// The shard files of one build or partition: opens them under `.partial` names, writes their
/// lines, and on close syncs each, renames it to its complete name and records it in the journal.
///
/// Completed shards are synced, journaled and renamed on a thread of its own (the closer), in the
/// order they complete, so the writing thread waits for the disk only when [`SHARDS_CLOSING`]
/// shards are behind: a sync takes milliseconds per shard, and a build has hundreds of shards.
pub struct ShardWriter {
    out: PathBuf,
    /// The open shards by index; looked up once per line, so hashed with [`FastMap`]'s foldhash
    /// (std's SipHash was 1.5% of a conversion's CPU).
    open: FastMap<usize, OpenShard>,
    /// Completed shards on their way to the closer.
    closing: Option<std::sync::mpsc::SyncSender<Closing>>,
    /// The closer: the journal and the outcomes it recorded, or its first error.
    closer: Option<std::thread::JoinHandle<Result<(Vec<ShardOutcome>, Journal)>>>,
}

/// Completed shards waiting for the closer before [`ShardWriter::close`] waits for it: each holds
/// an open file, and a build of small shards completes them faster than a disk syncs them (573
/// one-record shards outran it by hundreds, past a `ulimit -n` of 1024).
const SHARDS_CLOSING: usize = 32;

/// A shard flushed by the writing thread, for the closer to sync, journal and rename.
struct Closing {
    file: File,
    partial: PathBuf,
    complete: PathBuf,
    outcome: ShardOutcome,
}

/// The closer's loop: for each shard of `closing` in turn, syncs its file, appends its outcome to
/// `journal` (synced) and renames it to its complete name. Stops at the first error.
fn close_shards(
    closing: std::sync::mpsc::Receiver<Closing>,
    mut journal: Journal,
) -> Result<(Vec<ShardOutcome>, Journal)> {
    let mut written = Vec::new();
    for shard in closing {
        shard.file.sync_all().map_err(|e| Error::io(&shard.partial, e))?;
        journal.append(&shard.outcome)?;
        std::fs::rename(&shard.partial, &shard.complete).map_err(|e| Error::io(&shard.complete, e))?;
        written.push(shard.outcome);
    }
    Ok((written, journal))
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
        let (closing, receive) = std::sync::mpsc::sync_channel(SHARDS_CLOSING);
        let closer = std::thread::Builder::new()
            .name("avfit-closer".into())
            .spawn(move || close_shards(receive, journal))
            .expect("a thread can be started");
        ShardWriter {
            out: out.to_path_buf(),
            open: FastMap::default(),
            closing: Some(closing),
            closer: Some(closer),
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

    /// Completes shard `index`: flushes it and hands it to the closer, which syncs it, appends
    /// its outcome to the journal (synced) and renames it to `<stem>.jsonl`: a file under a
    /// complete name always has its journal line, which is what lets a later run prove the file
    /// is avfit's. Waits while [`SHARDS_CLOSING`] shards are already waiting for the closer.
    ///
    /// Errors: the shard is not open (an internal error), an I/O error flushing it, or the
    /// closer's error (a shard before this one could not be synced, journaled or renamed).
    pub fn close(&mut self, index: usize) -> Result<()> {
        self.shard(index)?;
        let shard = self.open.remove(&index).expect("checked above");
        let (file, partial, records, bytes, sha256) = shard.file.flush()?;
        let closing = Closing {
            file,
            partial,
            complete: self.out.join(&shard.complete),
            outcome: ShardOutcome {
                index,
                path: shard.complete,
                records,
                bytes,
                sha256,
                rejected_units: shard.rejected_units,
                rejects: shard.rejects,
            },
        };
        let sent = self.closing.as_ref().map(|c| c.send(closing));
        if let Some(Ok(())) = sent {
            return Ok(());
        }
        // The closer stopped: its error is the cause.
        self.finish_closing().map(|_| ())
    }

    /// Ends writing: the outcomes of the shards completed by this writer, in the order they
    /// completed, and the journal.
    ///
    /// Errors: a shard is still open (an internal error); the closer's error.
    pub fn finish(mut self) -> Result<(Vec<ShardOutcome>, Journal)> {
        if let Some(index) = self.open.keys().next() {
            return Err(Error::Config(format!("internal error: shard {index} was never closed")));
        }
        self.finish_closing()
    }

    /// Waits for the closer to complete every shard handed to it: its outcomes and the journal,
    /// or its error.
    fn finish_closing(&mut self) -> Result<(Vec<ShardOutcome>, Journal)> {
        drop(self.closing.take());
        match self.closer.take().map(|closer| closer.join()) {
            Some(Ok(done)) => done,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => Err(Error::Config("internal error: the shard closer already stopped".into())),
        }
    }

    fn shard(&mut self, index: usize) -> Result<&mut OpenShard> {
        self.open
            .get_mut(&index)
            .ok_or_else(|| Error::Config(format!("internal error: shard {index} is not open")))
    }
}

impl Drop for ShardWriter {
    /// A writer dropped without [`ShardWriter::finish`] (the run failed) still waits for the
    /// closer to sync, journal and rename the shards handed to it, as a failed run keeps its
    /// completed shards for `--resume`; the closer never outlives the writer (nor the run and its
    /// lock). Its own error is dropped: the run has its error to tell.
    fn drop(&mut self) {
        drop(self.closing.take());
        if let Some(closer) = self.closer.take() {
            let _ = closer.join();
        }
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

    /// Flushes and syncs the file, still under its `.partial` name ([`commit`] renames it).
    /// Returns its entry for `files`: path `rejects.jsonl`, size, SHA-256.
    ///
    /// Errors: an I/O error (a full disk), with the `.partial` path.
    pub fn close(self) -> Result<FileInfo> {
        let path = self.file.path.clone();
        simulated_full_disk("rejects.jsonl").map_err(|e| Error::io(&path, e))?;
        let (_, _, bytes, sha256) = self.file.close()?;
        Ok(FileInfo {
            path: "rejects.jsonl".into(),
            bytes,
            sha256,
        })
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

/// Writes `value` as pretty JSON to `<out>/<name>.partial` (created new) and syncs it, for
/// [`commit`] to rename to `name`.
///
/// Errors: the file exists or cannot be written (a full disk), with its path.
pub fn write_json_partial(out: &Path, name: &str, value: &impl Serialize) -> Result<()> {
    let partial = out.join(format!("{name}{PARTIAL}"));
    let mut text = serde_json::to_vec_pretty(value).expect("manifest serializes");
    text.push(b'\n');
    let mut file = create_new(&partial)?;
    simulated_full_disk(name)
        .and_then(|_| file.write_all(&text))
        .and_then(|_| file.sync_all())
        .map_err(|e| Error::io(&partial, e))
}

/// The last phase of a run, once every shard is complete and the `files` (`rejects.jsonl`,
/// `media.csv`) and `record` (`manifest.json` or `partition.json`) are written and synced under
/// their `.partial` names: renames each shard `from` → `to` (relative to `out`), then each of
/// `files` in order, then `record` last. Renames allocate no data blocks, so a full disk stops a run before this phase,
/// leaving no final name; a rename that still fails stops here (the shards renamed so far keep
/// their final names, vouched for by the journal; no `manifest.json`).
///
/// Errors: a rename fails, with its target path.
pub fn commit(out: &Path, shards: &[(String, String)], files: &[FileInfo], record: &str) -> Result<()> {
    let tail: Vec<(String, String)> = files
        .iter()
        .map(|f| f.path.as_str())
        .chain([record])
        .map(|name| (format!("{name}{PARTIAL}"), name.to_string()))
        .collect();
    for (from, to) in shards.iter().chain(&tail) {
        let to = out.join(to);
        std::fs::rename(out.join(from), &to).map_err(|e| Error::io(&to, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::JournalHeader;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("avfit-writer-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn journal(out: &Path) -> Journal {
        let header = JournalHeader {
            config_hash: "c".into(),
            records_per_shard: 1,
            partition: "0/1".into(),
            inputs: "i".into(),
        };
        Journal::create(out, &header, &[]).unwrap()
    }

    /// A writer dropped without `finish` (a run that failed while reading or writing) has
    /// synced, journaled and renamed every shard it closed by the time the drop returns, in
    /// order: the failed run removes `.partial` files next, and its completed shards stay for
    /// `--resume`.
    #[test]
    fn a_dropped_writer_has_completed_every_shard_it_closed() {
        let out = scratch("dropped");
        let mut writer = ShardWriter::new(&out, journal(&out));
        for index in 0..40 {
            writer.open(index, &format!("train/arig/s-{index:05}")).unwrap();
            writer
                .write_line(index, format!("{{\"n\":{index}}}").as_bytes())
                .unwrap();
            writer.close(index).unwrap();
        }
        writer.open(40, "train/arig/s-00040").unwrap();
        drop(writer);
        let (_, outcomes) = crate::journal::read(&out).unwrap().unwrap();
        let indices: Vec<usize> = outcomes.iter().map(|o| o.index).collect();
        assert_eq!(indices, (0..40).collect::<Vec<_>>());
        for index in 0..40 {
            let complete = out.join(format!("train/arig/s-{index:05}.jsonl"));
            assert_eq!(
                std::fs::read(&complete).unwrap(),
                format!("{{\"n\":{index}}}\n").as_bytes()
            );
            assert!(!out.join(format!("train/arig/s-{index:05}.jsonl{PARTIAL}")).exists());
        }
        assert!(out.join(format!("train/arig/s-00040.jsonl{PARTIAL}")).exists());
        std::fs::remove_dir_all(&out).unwrap();
    }

    /// A shard the closer cannot rename (something else is under its complete name) stops the
    /// writer with that path, from `close` or `finish`; its journal line comes before the rename
    /// as always, and no later shard takes its complete name.
    #[test]
    fn a_shard_the_closer_cannot_rename_stops_the_writer_with_its_path() {
        let out = scratch("rename");
        std::fs::create_dir_all(out.join("train/arig/s-00001.jsonl/in-the-way")).unwrap();
        let mut writer = ShardWriter::new(&out, journal(&out));
        let mut first_error = None;
        for index in 0..4 {
            writer.open(index, &format!("train/arig/s-{index:05}")).unwrap();
            writer.write_line(index, b"{}").unwrap();
            if let Err(e) = writer.close(index) {
                first_error = Some(e);
                break;
            }
        }
        let error = match first_error {
            Some(e) => e,
            None => writer.finish().err().expect("the closer's error"),
        };
        let Error::Io { path, .. } = &error else {
            panic!("{error}")
        };
        assert_eq!(path, &out.join("train/arig/s-00001.jsonl"));
        let (_, outcomes) = crate::journal::read(&out).unwrap().unwrap();
        assert_eq!(outcomes.iter().map(|o| o.index).collect::<Vec<_>>(), [0, 1]);
        assert!(out.join("train/arig/s-00000.jsonl").is_file());
        assert!(!out.join("train/arig/s-00002.jsonl").exists() && !out.join("train/arig/s-00003.jsonl").exists());
        std::fs::remove_dir_all(&out).unwrap();
    }
}
