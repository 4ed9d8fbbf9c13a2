//! The output directory's safety rules, shared by `build`, `convert` and `merge`:
//!
//! - **One run at a time.** [`lock`] takes an advisory `flock` on `DIR/.avfit.lock` for the whole
//!   run; the operating system releases it when the holder exits or dies (no stale pid file).
//!   The holder writes its pid into the file for the refusal message only, and empties it when
//!   done.
//! - **Remove only what avfit can prove it wrote.** [`clear`] removes a file only when avfit's own
//!   records in the directory name it with its SHA-256 (and size, where recorded): the shards and
//!   `files` of an avfit `manifest.json`, the shards and `files` of a `partition.json`, the shards
//!   of a `build.journal` (under their complete or final name); those three records themselves
//!   when they parse as avfit's; the `.partial` files of avfit's own names while a journal says a
//!   run was interrupted; and empty directories. Anything else (a user's file, a symbolic link, an
//!   edited shard, another tool's `manifest.json`) stops the run with one line naming the first
//!   such path in path order, before anything is removed.
//! - **Reports replace only earlier reports.** [`write_report`] (`stats --json`, `stats --html`,
//!   `media --list`) writes a new file beside the target and renames it over; it refuses a
//!   symbolic link, a directory, a corpus's own files and any existing file that is not an earlier
//!   output of the same command ([`check_report_target`], also called before computing).

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The lock file inside an output directory.
pub const LOCK_FILE: &str = ".avfit.lock";
/// File a partitioned build writes in its output directory for `avfit merge`.
pub const PARTITION_FILE: &str = "partition.json";
/// Suffix of a file being written, renamed away when complete.
pub const PARTIAL: &str = ".partial";
/// Top-level files avfit writes (each may also exist with [`PARTIAL`] while being written).
/// `README.md` is the dataset card, covered once `manifest.json` lists it under `files`.
const OWN_TOP_LEVEL: [&str; 6] = [
    "rejects.jsonl",
    crate::media_list::MEDIA_FILE,
    "manifest.json",
    PARTITION_FILE,
    crate::journal::JOURNAL_FILE,
    "README.md",
];

/// The advisory lock on an output directory, held until dropped (or until the process dies).
#[derive(Debug)]
pub struct OutLock {
    file: File,
}

impl Drop for OutLock {
    fn drop(&mut self) {
        // Empty the pid; the lock itself goes with the file descriptor.
        let _ = self.file.set_len(0);
    }
}

/// Creates `out` if needed and takes the exclusive advisory lock on `out/.avfit.lock`
/// (`flock`, non-blocking), writing this process's pid into it. Returns the guard.
///
/// Errors: another process holds the lock (`<out>: locked by another avfit run (pid N)`, the pid
/// when the file names one); `.avfit.lock` is not avfit's (a symbolic link, a directory, or a
/// file holding anything but a pid), which is never written; an I/O error with its path.
pub fn lock(out: &Path) -> Result<OutLock> {
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let path = out.join(LOCK_FILE);
    if let Ok(meta) = std::fs::symlink_metadata(&path) {
        if !meta.file_type().is_file() {
            return Err(foreign(out, LOCK_FILE, "not a regular file"));
        }
    }
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    let mut text = String::new();
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let _ = file.read_to_string(&mut text);
            let pid = text.trim();
            let holder = if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) {
                format!(" (pid {pid})")
            } else {
                String::new()
            };
            return Err(Error::Config(format!(
                "{}: locked by another avfit run{holder}; wait for it to finish or choose another --out",
                out.display()
            )));
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&path, e)),
    }
    // Held: the file is avfit's only if it is empty or holds a pid.
    if file.read_to_string(&mut text).is_err() || !is_pid_text(&text) {
        return Err(foreign(out, LOCK_FILE, "it holds something other than an avfit pid"));
    }
    file.set_len(0)
        .and_then(|_| file.rewind())
        .and_then(|_| writeln!(file, "{}", std::process::id()))
        .map_err(|e| Error::io(&path, e))?;
    Ok(OutLock { file })
}

/// Whether `text` is what avfit leaves in its lock file: nothing, or one pid line.
fn is_pid_text(text: &str) -> bool {
    let pid = text.strip_suffix('\n').unwrap_or(text);
    !pid.contains('\n') && pid.bytes().all(|b| b.is_ascii_digit())
}

/// The one-line refusal for a path in `out` that avfit did not write.
fn foreign(out: &Path, rel: &str, why: &str) -> Error {
    Error::Config(format!(
        "{}: not written by avfit ({why}); avfit removes and overwrites only its own files: move it away or choose another --out",
        out.join(rel).display()
    ))
}

/// SHA-256 and, where recorded, the size in bytes of a file an avfit record vouches for.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Voucher {
    bytes: Option<u64>,
    sha256: String,
}

/// What avfit's records in an output directory vouch for.
#[derive(Debug, Default)]
struct Owned {
    /// Relative path (`/`-separated) → its voucher.
    files: HashMap<String, Voucher>,
    /// Complete shard names a journal vouches for (`train/arig/vggss-00003.jsonl`); the same bytes
    /// under the final name (`...-00003-of-00007.jsonl`) are vouched for too.
    completes: HashMap<String, Voucher>,
    /// The record files that parse as avfit's (`manifest.json`, `partition.json`, `build.journal`).
    records: HashSet<String>,
    /// A valid journal is there: a run was interrupted, its `.partial` files are avfit's.
    interrupted: bool,
    /// What would name a file (for the refusal).
    named_by: &'static str,
}

impl Owned {
    /// Reads the records in `out`. A record that is there but not avfit's is an error naming it.
    fn read(out: &Path) -> Result<Owned> {
        let mut owned = Owned {
            named_by: "no manifest.json, build.journal or partition.json of avfit here names it",
            ..Owned::default()
        };
        if let Some(manifest) = read_json(out, "manifest.json")? {
            if manifest["tool"] != "avfit" {
                return Err(foreign(out, "manifest.json", "no \"tool\": \"avfit\" in it"));
            }
            owned.listed(&manifest["shards"]);
            owned.listed(&manifest["files"]);
            owned.records.insert("manifest.json".into());
        }
        if let Some(partition) = read_json(out, PARTITION_FILE)? {
            let shards = partition["plan"]["shards"].as_array();
            let outcomes = partition["outcomes"].as_array();
            let (Some(shards), Some(outcomes)) = (shards, outcomes) else {
                return Err(foreign(
                    out,
                    PARTITION_FILE,
                    "not the partition.json of `avfit build --partition`",
                ));
            };
            for outcome in outcomes {
                let path = outcome["index"]
                    .as_u64()
                    .and_then(|i| shards.get(i as usize))
                    .and_then(|s| s["path"].as_str());
                if let (Some(path), Some(voucher)) = (path, voucher(outcome)) {
                    owned.files.insert(path.to_string(), voucher);
                }
            }
            owned.listed(&partition["files"]);
            owned.records.insert(PARTITION_FILE.into());
        }
        let journal = out.join(crate::journal::JOURNAL_FILE);
        if journal.exists() {
            let Ok(Some((_, outcomes))) = crate::journal::read(out) else {
                return Err(foreign(out, crate::journal::JOURNAL_FILE, "not an avfit build journal"));
            };
            for o in outcomes {
                let voucher = Voucher {
                    bytes: Some(o.bytes),
                    sha256: o.sha256,
                };
                owned.completes.insert(o.path, voucher);
            }
            owned.records.insert(crate::journal::JOURNAL_FILE.into());
            owned.interrupted = true;
        }
        Ok(owned)
    }

    /// Adds every `{path, sha256, bytes?}` of a JSON array.
    fn listed(&mut self, list: &serde_json::Value) {
        for entry in list.as_array().into_iter().flatten() {
            if let (Some(path), Some(voucher)) = (entry["path"].as_str(), voucher(entry)) {
                self.files.insert(path.to_string(), voucher);
            }
        }
    }

    /// Why the file `rel` (at `path`) is not provably avfit's, or `None` when it is.
    /// (The wording names avfit's corpus records; [`clear_listed`] uses the same rules.)
    fn disproves(&self, rel: &str, path: &Path) -> Option<&'static str> {
        // (`named_by` is 'static: every refusal reason is a fixed text.)
        if self.records.contains(rel) {
            return None;
        }
        if let Some(base) = rel.strip_suffix(PARTIAL) {
            return if self.interrupted && is_own_name(base) {
                None
            } else {
                Some("a .partial file that no interrupted avfit run of this directory names")
            };
        }
        let voucher = self
            .files
            .get(rel)
            .or_else(|| self.completes.get(rel))
            .or_else(|| complete_name(rel).and_then(|c| self.completes.get(&c)));
        match voucher {
            None => Some(self.named_by),
            Some(v) if !file_matches(path, v) => Some("its size or SHA-256 differs from what avfit recorded for it"),
            Some(_) => None,
        }
    }
}

/// `{sha256, bytes?}` of a JSON object: the voucher, when the checksum is there.
fn voucher(entry: &serde_json::Value) -> Option<Voucher> {
    Some(Voucher {
        sha256: entry["sha256"].as_str()?.to_string(),
        bytes: entry["bytes"].as_u64(),
    })
}

/// `out/name` parsed as JSON: `None` when absent; an error naming it when it is not JSON (it is
/// then not avfit's, and never overwritten).
fn read_json(out: &Path, name: &str) -> Result<Option<serde_json::Value>> {
    let path = out.join(name);
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(&path, e)),
        Ok(meta) if !meta.file_type().is_file() => return Err(foreign(out, name, "not a regular file")),
        Ok(_) => {}
    }
    let text = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    match serde_json::from_slice(&text) {
        Ok(value @ serde_json::Value::Object(_)) => Ok(Some(value)),
        _ => Err(foreign(out, name, "not a JSON object")),
    }
}

/// Whether `rel` (without `.partial`) is a name avfit writes: one of its top-level files, or a
/// shard `<train|test>/<task>/<name>.jsonl`.
pub fn is_own_name(rel: &str) -> bool {
    if OWN_TOP_LEVEL.contains(&rel) {
        return true;
    }
    let parts: Vec<&str> = rel.split('/').collect();
    matches!(parts.as_slice(), [split, task, file]
        if (*split == "train" || *split == "test")
            && !task.is_empty()
            && task.bytes().all(|b| b.is_ascii_lowercase())
            && file.ends_with(".jsonl"))
}

/// The complete name of a final shard name: `train/arig/x-00003-of-00007.jsonl` →
/// `train/arig/x-00003.jsonl`; `None` for any other name.
fn complete_name(rel: &str) -> Option<String> {
    let (stem, total) = rel.strip_suffix(".jsonl")?.rsplit_once("-of-")?;
    (total.len() == 5 && total.bytes().all(|b| b.is_ascii_digit())).then(|| format!("{stem}.jsonl"))
}

/// Whether the regular file at `path` has the voucher's size (when recorded) and SHA-256.
pub(crate) fn file_matches_sha(path: &Path, bytes: Option<u64>, sha256: &str) -> bool {
    let Ok(mut file) = File::open(path) else {
        return false;
    };
    if bytes.is_some() && file.metadata().map(|m| m.len()).ok() != bytes {
        return false;
    }
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buffer[..n]),
            Err(_) => return false,
        }
    }
    format!("{:x}", hasher.finalize()) == sha256
}

fn file_matches(path: &Path, v: &Voucher) -> bool {
    file_matches_sha(path, v.bytes, &v.sha256)
}

/// Clears `out` (which [`lock`] created and holds) for a run: removes every file avfit's records
/// prove it wrote, except those in `keep` (relative paths: the shards and journal a `--resume`
/// keeps) and the lock file, then the directories left empty. Checks every entry before removing
/// anything.
///
/// Errors: the first path (in path order) that avfit cannot prove it wrote (a foreign file, a
/// symbolic link, a shard whose bytes differ from its record, a `manifest.json` that is not
/// avfit's), as one line; an I/O error with its path.
pub fn clear(out: &Path, keep: &HashSet<String>) -> Result<()> {
    clear_owned(out, &Owned::read(out)?, keep)
}

/// Clears `dir` of the files `listed` names (relative path → SHA-256, lowercase hex) with that
/// checksum, of the `records` (relative paths that hold such a listing, checked by the caller)
/// and of the directories left empty; the same rules and refusal as [`clear`] (used by
/// `avfit synth` for its earlier output, listed in its `synth.sha256`).
///
/// Errors: the first path avfit cannot prove it wrote, as one line; an I/O error.
pub fn clear_listed(dir: &Path, listed: HashMap<String, String>, records: &[&str]) -> Result<()> {
    let owned = Owned {
        files: listed
            .into_iter()
            .map(|(path, sha256)| (path, Voucher { bytes: None, sha256 }))
            .collect(),
        records: records.iter().map(|r| r.to_string()).collect(),
        named_by: "the synth.sha256 of an earlier `avfit synth` here does not name it",
        ..Owned::default()
    };
    clear_owned(dir, &owned, &HashSet::new())
}

fn clear_owned(out: &Path, owned: &Owned, keep: &HashSet<String>) -> Result<()> {
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for entry in walkdir::WalkDir::new(out).min_depth(1).sort_by_file_name() {
        let entry = entry.map_err(|e| Error::input(out, None, e.to_string()))?;
        let rel = relative(out, entry.path());
        if rel == LOCK_FILE {
            continue;
        }
        let kind = entry.file_type();
        if kind.is_dir() {
            dirs.push(entry.into_path());
        } else if !kind.is_file() {
            return Err(foreign(out, &rel, "a symbolic link or special file"));
        } else if !keep.contains(&rel) {
            if let Some(why) = owned.disproves(&rel, entry.path()) {
                return Err(foreign(out, &rel, why));
            }
            files.push(entry.into_path());
        }
    }
    for path in files {
        std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
    }
    for dir in dirs.iter().rev() {
        let _ = std::fs::remove_dir(dir); // only succeeds when empty: a kept shard's stays
    }
    Ok(())
}

/// Removes the `.partial` files of avfit's own names under `out` after a failed run, and the
/// directories left empty (best effort). Completed shards and the journal stay for `--resume`;
/// other files are left alone.
pub fn remove_partials(out: &Path) {
    for entry in walkdir::WalkDir::new(out)
        .min_depth(1)
        .contents_first(true)
        .into_iter()
        .flatten()
    {
        let path = entry.path();
        if entry.file_type().is_dir() {
            let _ = std::fs::remove_dir(path); // only succeeds when empty
        } else if entry.file_type().is_file() {
            let rel = relative(out, path);
            if rel.strip_suffix(PARTIAL).is_some_and(is_own_name) {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

/// A file a reporting command writes wherever the user says (`stats --json`, `stats --html`,
/// `media --list`): how messages name it, and how an earlier output of the same command is
/// recognized (the only existing file [`write_report`] replaces).
#[derive(Clone, Copy, Debug)]
pub struct ReportFile {
    /// The command and flag, as messages name it (`avfit stats --json`).
    pub command: &'static str,
    /// Whether the bytes of an existing file are an earlier output of that command.
    pub recognizes: fn(&[u8]) -> bool,
}

/// Checks that `path` may receive `kind`'s output, before anything is computed: its parent
/// directory exists, and it is absent or a regular file holding an earlier output of the same
/// command.
///
/// Errors (one line naming the path, nothing written): no file name; a parent directory that is
/// missing or not a directory; `path` is a symbolic link (never followed), a directory or another
/// non-regular file; `path` is one of a corpus's own files (`manifest.json`, `partition.json`,
/// `build.journal`, `.avfit.lock`, `rejects.jsonl`, `README.md`, a shard path, their `.partial`
/// names, or a file the records of an enclosing avfit output directory list); an existing file
/// that `kind` does not recognize; an I/O error.
pub fn check_report_target(path: &Path, kind: &ReportFile) -> Result<()> {
    let refuse = |why: String| Error::Config(format!("{}: {why}; choose another file", path.display()));
    let Some(name) = path.file_name() else {
        return Err(refuse(format!("not a file name for {}", kind.command)));
    };
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(refuse(format!("its directory {} does not exist", parent.display())));
    }
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(path, e)),
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(refuse("a symbolic link, which avfit never writes through".into()))
        }
        Ok(meta) if meta.is_dir() => return Err(refuse("a directory".into())),
        Ok(meta) if !meta.is_file() => return Err(refuse("not a regular file".into())),
        Ok(_) => {}
    }
    let absolute = parent.canonicalize().map_err(|e| Error::io(parent, e))?.join(name);
    if let Some((corpus, rel)) = corpus_file(&absolute) {
        return Err(refuse(format!(
            "`{rel}` of the avfit output directory {}, which avfit never replaces with a report",
            corpus.display()
        )));
    }
    if absolute.is_file() {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        if !(kind.recognizes)(&bytes) {
            return Err(refuse(format!(
                "exists and is not an earlier output of `{}` (avfit overwrites only its own outputs)",
                kind.command
            )));
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` as `kind`'s output: checks it again ([`check_report_target`]), writes
/// a new file beside it (`.<name>.<pid>.avfit-tmp`, created exclusively, synced) and renames it
/// over `path`, so `path` holds the old or the new report, never a part.
///
/// Errors: those of [`check_report_target`]; an I/O error with its path (the temporary file is
/// then removed).
pub fn write_report(path: &Path, kind: &ReportFile, bytes: &[u8]) -> Result<()> {
    check_report_target(path, kind)?;
    let name = path.file_name().expect("checked above").to_string_lossy();
    let temp = path.with_file_name(format!(".{name}.{}.avfit-tmp", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .and_then(|mut file| file.write_all(bytes).and_then(|_| file.sync_all()))
        .map_err(|e| Error::io(&temp, e))
        .and_then(|_| std::fs::rename(&temp, path).map_err(|e| Error::io(path, e)));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// The avfit output directory (one holding a `manifest.json`, `partition.json` or
/// `build.journal`) that the directory `dir` is or lies in, resolved through its nearest existing
/// ancestor; `None` when there is none. A command writing a directory of its own (`avfit export`)
/// refuses such a place: `validate` and the next `build` would find files avfit did not list.
pub fn enclosing_output(dir: &Path) -> Option<PathBuf> {
    let records = ["manifest.json", PARTITION_FILE, crate::journal::JOURNAL_FILE];
    let absolute = std::path::absolute(dir).ok()?;
    let existing = absolute.ancestors().find(|a| a.exists())?.canonicalize().ok()?;
    existing
        .ancestors()
        .find(|a| records.iter().any(|r| std::fs::symlink_metadata(a.join(r)).is_ok()))
        .map(Path::to_path_buf)
}

/// The avfit output directory (holding a `manifest.json`, `partition.json` or `build.journal`)
/// that `path` (absolute) is one of the own files of, with its relative path; `None` when there
/// is none.
fn corpus_file(path: &Path) -> Option<(PathBuf, String)> {
    let records = ["manifest.json", PARTITION_FILE, crate::journal::JOURNAL_FILE];
    for dir in path.ancestors().skip(1) {
        if !records.iter().any(|r| std::fs::symlink_metadata(dir.join(r)).is_ok()) {
            continue;
        }
        let rel = relative(dir, path);
        let named = rel == LOCK_FILE || is_own_name(rel.strip_suffix(PARTIAL).unwrap_or(&rel));
        let listed = Owned::read(dir).is_ok_and(|o| {
            o.records.contains(&rel)
                || o.files.contains_key(&rel)
                || o.completes.contains_key(&rel)
                || complete_name(&rel).is_some_and(|c| o.completes.contains_key(&c))
        });
        if named || listed {
            return Some((dir.to_path_buf(), rel));
        }
    }
    None
}

/// `path` relative to `out`, `/`-separated.
fn relative(out: &Path, path: &Path) -> String {
    let rel: PathBuf = path.strip_prefix(out).unwrap_or(path).to_path_buf();
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_shard_names_map_to_their_complete_names() {
        assert_eq!(
            complete_name("train/arig/vggss-00003-of-00007.jsonl").as_deref(),
            Some("train/arig/vggss-00003.jsonl")
        );
        assert_eq!(complete_name("train/arig/vggss-00003.jsonl"), None);
        assert_eq!(complete_name("train/arig/x-of-7.jsonl"), None);
    }

    #[test]
    fn own_names_are_avfit_top_level_files_and_shard_paths() {
        assert!(is_own_name("rejects.jsonl"));
        assert!(is_own_name("test/avqa/music_avqa-00000.jsonl"));
        assert!(!is_own_name("train/images/cat.jpg"));
        assert!(!is_own_name("notes.txt"));
        assert!(!is_own_name("train/a/b/c.jsonl"));
    }

    #[test]
    fn a_lock_file_holds_nothing_or_one_pid() {
        assert!(is_pid_text(""));
        assert!(is_pid_text("1234\n"));
        assert!(!is_pid_text("1234\n5678\n"));
        assert!(!is_pid_text("my notes"));
    }
}
