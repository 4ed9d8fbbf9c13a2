//! Reading a built corpus back (for `stats`, `validate`, `media`): its `manifest.json` and the
//! samples of its shards.

use crate::error::{Error, Result};
use crate::record::Sample;
use std::path::{Path, PathBuf};

/// `manifest.json` of the corpus in `dir`, as JSON.
///
/// Errors: missing or unreadable file, invalid JSON (with line and column); a directory holding
/// the `partition.json` of `avfit build --partition K/N` instead of a manifest says it is
/// partition K of N and to run `avfit merge` first.
pub fn read_manifest(dir: &Path) -> Result<serde_json::Value> {
    let path = dir.join("manifest.json");
    if !path.exists() {
        if let Some(partition) = partition_of(dir) {
            let (k, n) = partition.split_once('/').unwrap_or((&partition, "?"));
            return Err(Error::Config(format!(
                "{}: partition {k} of {n} of a build (partition.json, no manifest.json): join the {n} partitions with `avfit merge --out DIR PART_DIR...` first",
                dir.display()
            )));
        }
    }
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::json(&path, None, &e))
}

/// The `K/N` of the `partition.json` in `dir` (written by `avfit build --partition K/N`), if
/// there is one that reads as JSON with a string `partition`.
fn partition_of(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(crate::outdir::PARTITION_FILE)).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    value["partition"].as_str().map(str::to_string)
}

/// Every `*.jsonl` shard under `dir/train` and `dir/test`, in path order.
///
/// Errors: a directory cannot be read.
pub fn shard_paths(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut shards = Vec::new();
    for split in ["train", "test"] {
        let root = dir.join(split);
        if !root.is_dir() {
            continue;
        }
        for entry in walkdir::WalkDir::new(&root).sort_by_file_name() {
            let entry = entry.map_err(|e| Error::input(&root, None, e.to_string()))?;
            if entry.file_type().is_file() && entry.file_name().to_string_lossy().ends_with(".jsonl") {
                shards.push(entry.into_path());
            }
        }
    }
    Ok(shards)
}

/// Calls `each(shard, line, sample)` for every line of every shard of `dir` (1-based lines).
///
/// Errors: an unreadable shard, a line that is not a sample (with file and line), and what `each`
/// returns.
pub fn for_each_sample(dir: &Path, mut each: impl FnMut(&Path, u64, Sample) -> Result<()>) -> Result<()> {
    for shard in shard_paths(dir)? {
        let text = std::fs::read_to_string(&shard).map_err(|e| Error::io(&shard, e))?;
        for (i, line) in text.lines().enumerate() {
            let n = i as u64 + 1;
            let sample: Sample =
                serde_json::from_str(line).map_err(|e| Error::input(&shard, Some(n), format!("not a sample: {e}")))?;
            each(&shard, n, sample)?;
        }
    }
    Ok(())
}
