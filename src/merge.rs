//! `avfit merge`: joins the output directories of the N partitions of one build
//! (`avfit build --partition K/N`) into the corpus a single build would have written, byte for
//! byte: the same shards, `rejects.jsonl` and `manifest.json`.

use crate::error::{Error, Result};
use crate::journal::ShardOutcome;
use crate::pipeline::{assemble, OutputManifest, PartitionFile};
use crate::writer::{prepare_out_dir, remove_partials, write_json_atomically, PARTITION_FILE};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

/// Reads `partition.json` of each directory in `parts`, checks that they are the N partitions of
/// one plan (same plan, every K from 0 to N-1 once), copies every shard into `out` (checking its
/// size and SHA-256 on the way), writes `rejects.jsonl` (the rejects found while reading, from
/// the first partition, then every partition's media rejects in shard order) and `manifest.json`.
/// Returns the manifest.
///
/// Errors: a missing or unreadable `partition.json`, partitions of different plans, a missing or
/// repeated partition, a shard whose bytes differ from its partition's record, `out` holding
/// files that are not avfit's, an I/O error.
pub fn merge(out: &Path, parts: &[PathBuf]) -> Result<OutputManifest> {
    let mut files: Vec<(PathBuf, PartitionFile)> = Vec::new();
    for dir in parts {
        let path = dir.join(PARTITION_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            if e.kind() != std::io::ErrorKind::NotFound {
                Error::io(&path, e)
            } else if dir.join(crate::journal::JOURNAL_FILE).exists() {
                Error::Config(format!(
                    "{}: an unfinished partition (it has a build.journal): rerun its build with --resume",
                    dir.display()
                ))
            } else {
                Error::Config(format!(
                    "{}: not the output of `avfit build --partition K/N` (no partition.json)",
                    dir.display()
                ))
            }
        })?;
        let file: PartitionFile = serde_json::from_str(&text).map_err(|e| {
            Error::input(
                &path,
                None,
                format!("expected the partition.json of `avfit build --partition`: {e}"),
            )
        })?;
        files.push((dir.clone(), file));
    }
    let Some((first_dir, first)) = files.first() else {
        return Err(Error::Config(
            "merge needs the output directories of the partitions".into(),
        ));
    };
    let count = first
        .partition
        .split_once('/')
        .and_then(|(_, n)| n.parse::<usize>().ok())
        .unwrap_or(0);
    let mut seen = vec![None; count];
    for (dir, file) in &files {
        if file.plan != first.plan {
            return Err(Error::Config(format!(
                "{} and {} are partitions of different builds (configuration or inputs differ)",
                first_dir.display(),
                dir.display()
            )));
        }
        let parsed = file
            .partition
            .split_once('/')
            .and_then(|(k, n)| Some((k.parse::<usize>().ok()?, n.parse::<usize>().ok()?)));
        match parsed {
            Some((k, n)) if n == count && k < n => {
                if let Some(other) = seen[k].replace(dir.clone()) {
                    return Err(Error::Config(format!(
                        "partition {k}/{n} given twice: {} and {}",
                        other.display(),
                        dir.display()
                    )));
                }
            }
            _ => {
                return Err(Error::Config(format!(
                    "{}: partition {} is not one of {count}",
                    dir.display(),
                    file.partition
                )))
            }
        }
    }
    if let Some(k) = seen.iter().position(Option::is_none) {
        return Err(Error::Config(format!("partition {k}/{count} is missing")));
    }
    refuse_overlap(out, parts)?;
    prepare_out_dir(out)?;
    let merged = copy_and_write(out, &files);
    if merged.is_err() {
        remove_partials(out);
    }
    merged
}

/// Errors when `out` is one of the partition directories, inside one, or holds one: preparing
/// it would delete what is being merged.
fn refuse_overlap(out: &Path, parts: &[PathBuf]) -> Result<()> {
    let absolute = |p: &Path| {
        p.canonicalize()
            .or_else(|_| std::path::absolute(p).map(|a| crate::config::lexically_normal(&a)))
            .unwrap_or_else(|_| p.to_path_buf())
    };
    let target = absolute(out);
    for part in parts {
        let part_path = absolute(part);
        if target.starts_with(&part_path) || part_path.starts_with(&target) {
            return Err(Error::Config(format!(
                "--out {} overlaps the partition directory {}: merge into a new directory",
                out.display(),
                part.display()
            )));
        }
    }
    Ok(())
}

/// Copies every shard (under `.partial` names until all are verified), then writes
/// `rejects.jsonl` and `manifest.json`.
fn copy_and_write(out: &Path, files: &[(PathBuf, PartitionFile)]) -> Result<OutputManifest> {
    let (first_dir, first) = &files[0];
    let plan = &first.plan;
    let mut outcomes: BTreeMap<usize, ShardOutcome> = BTreeMap::new();
    for (dir, file) in files {
        for outcome in &file.outcomes {
            let planned = plan.shards.get(outcome.index).ok_or_else(|| {
                Error::input(
                    dir.join(PARTITION_FILE),
                    None,
                    format!("shard {} is not in the plan", outcome.index),
                )
            })?;
            copy_checked(&dir.join(&planned.path), &out.join(&planned.path), outcome)?;
            outcomes.insert(outcome.index, outcome.clone());
        }
    }
    if let Some(index) = (0..plan.shards.len()).find(|i| !outcomes.contains_key(i)) {
        return Err(Error::Config(format!(
            "shard {} ({}) is in no partition's outcomes",
            index, plan.shards[index].path
        )));
    }
    write_rejects(out, first_dir, plan.plan_rejects_lines, &outcomes)?;
    // Every shard verified: only now do they take their final names.
    for shard in &plan.shards {
        let to = out.join(&shard.path);
        let partial = PathBuf::from(format!("{}.partial", to.display()));
        std::fs::rename(&partial, &to).map_err(|e| Error::io(&to, e))?;
    }
    let mut manifest = assemble(plan, &outcomes);
    crate::card::add_corpus_card(out, &mut manifest)?;
    write_json_atomically(&out.join("manifest.json"), &manifest)?;
    Ok(manifest)
}

/// Copies `from` to `<to>.partial`, checking size and SHA-256 against `outcome`.
fn copy_checked(from: &Path, to: &Path, outcome: &ShardOutcome) -> Result<()> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let partial = PathBuf::from(format!("{}.partial", to.display()));
    let mut reader = std::fs::File::open(from).map_err(|e| Error::io(from, e))?;
    let mut writer = std::io::BufWriter::new(std::fs::File::create(&partial).map_err(|e| Error::io(&partial, e))?);
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = reader.read(&mut buffer).map_err(|e| Error::io(from, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        writer.write_all(&buffer[..n]).map_err(|e| Error::io(&partial, e))?;
        bytes += n as u64;
    }
    writer.flush().map_err(|e| Error::io(&partial, e))?;
    let digest = format!("{:x}", hasher.finalize());
    if bytes != outcome.bytes || digest != outcome.sha256 {
        let _ = std::fs::remove_file(&partial);
        return Err(Error::input(
            from,
            None,
            format!(
                "expected {} bytes with SHA-256 {} as its partition.json says; found {bytes} bytes, {digest}",
                outcome.bytes, outcome.sha256
            ),
        ));
    }
    Ok(())
}

/// `rejects.jsonl`: the first `plan_lines` lines of the first partition's (the rejects found
/// while reading, alike in every partition), then the media rejects of every shard in order.
fn write_rejects(out: &Path, first: &Path, plan_lines: u64, outcomes: &BTreeMap<usize, ShardOutcome>) -> Result<()> {
    let from = first.join("rejects.jsonl");
    let reader = BufReader::new(std::fs::File::open(&from).map_err(|e| Error::io(&from, e))?);
    let partial = out.join("rejects.jsonl.partial");
    let mut writer = std::io::BufWriter::new(std::fs::File::create(&partial).map_err(|e| Error::io(&partial, e))?);
    let mut copied = 0;
    for line in reader.lines().take(plan_lines as usize) {
        let line = line.map_err(|e| Error::io(&from, e))?;
        writeln!(writer, "{line}").map_err(|e| Error::io(&partial, e))?;
        copied += 1;
    }
    if copied != plan_lines {
        return Err(Error::input(
            &from,
            None,
            format!("expected at least {plan_lines} lines, found {copied}"),
        ));
    }
    for outcome in outcomes.values() {
        for line in &outcome.rejects {
            writeln!(writer, "{line}").map_err(|e| Error::io(&partial, e))?;
        }
    }
    writer.flush().map_err(|e| Error::io(&partial, e))?;
    let final_path = out.join("rejects.jsonl");
    std::fs::rename(&partial, &final_path).map_err(|e| Error::io(&final_path, e))
}
