//! `avfit merge`: joins the output directories of the N partitions of one build
//! (`avfit build --partition K/N`) into the corpus a single build would have written, byte for
//! byte: the same shards, `rejects.jsonl` and `manifest.json`.

use crate::error::{Error, Result};
use crate::journal::{Journal, JournalHeader, ShardOutcome};
use crate::outdir::{self, remove_partials};
use crate::pipeline::{assemble, OutputManifest, Partition, PartitionFile};
use crate::writer::{commit, write_json_partial, RejectsWriter, PARTITION_FILE};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

/// Reads `partition.json` of each directory in `parts`, checks that they are the N partitions of
/// one plan (same plan, every K from 0 to N-1 once), copies every shard into `out` (checking its
/// size and SHA-256 on the way), writes `rejects.jsonl` (the rejects found while reading, from
/// the first partition's `rejects.jsonl`, checked against the size and SHA-256 its
/// `partition.json` lists and against the plan's `plan_rejects_sha256`, then every partition's media rejects in shard order) and
/// `manifest.json`, under the lock of `out` and with the same final phase as a build
/// ([`commit`]). A journal in `out` lists every shard copied until the merge ends, so a later run
/// can prove they are avfit's. Returns the manifest.
///
/// Errors: a missing or unreadable `partition.json`, partitions of different plans, a missing or
/// repeated partition (`K/N` with N at most 100000), a shard or `rejects.jsonl` whose bytes differ
/// from its partition's record, `out` locked by another run or holding files avfit cannot prove
/// it wrote, an I/O error.
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
    let count = first.partition.parse::<Partition>().map_or(0, |p| p.count);
    let mut seen = vec![None; count];
    for (dir, file) in &files {
        if file.plan != first.plan {
            return Err(Error::Config(format!(
                "{} and {} are partitions of different builds (configuration or inputs differ)",
                first_dir.display(),
                dir.display()
            )));
        }
        match file.partition.parse::<Partition>().map(|p| (p.index, p.count)) {
            Ok((k, n)) if n == count => {
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
    let _lock = outdir::lock(out)?;
    outdir::clear(out, &Default::default())?;
    let header = JournalHeader {
        config_hash: first.plan.config_hash.clone(),
        records_per_shard: first.plan.records_per_shard,
        partition: "merge".into(),
        inputs: String::new(),
    };
    let mut journal = Journal::create(out, &header, &[])?;
    let merged = copy_and_write(out, &files, &mut journal);
    match merged {
        Ok(manifest) => {
            journal.remove()?;
            Ok(manifest)
        }
        Err(e) => {
            remove_partials(out);
            Err(e)
        }
    }
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

/// Copies every shard (under `.partial` names until all are verified; each appended to
/// `journal` under its final name), then writes `rejects.jsonl` and `manifest.json`.
fn copy_and_write(out: &Path, files: &[(PathBuf, PartitionFile)], journal: &mut Journal) -> Result<OutputManifest> {
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
            copy_checked(
                &dir.join(&planned.path),
                &out.join(&planned.path),
                outcome.bytes,
                &outcome.sha256,
            )?;
            journal.append(&ShardOutcome {
                path: planned.path.clone(),
                ..outcome.clone()
            })?;
            outcomes.insert(outcome.index, outcome.clone());
        }
    }
    if let Some(index) = (0..plan.shards.len()).find(|i| !outcomes.contains_key(i)) {
        return Err(Error::Config(format!(
            "shard {} ({}) is in no partition's outcomes",
            index, plan.shards[index].path
        )));
    }
    let rejects = write_rejects(out, first_dir, first, &outcomes)?;
    let mut listed = vec![rejects];
    // media.csv lists the media of the whole plan: alike in every partition, copied from the first.
    if let Some(media) = first.files.iter().find(|f| f.path == crate::media_list::MEDIA_FILE) {
        copy_checked(
            &first_dir.join(&media.path),
            &out.join(&media.path),
            media.bytes,
            &media.sha256,
        )?;
        listed.push(media.clone());
    }
    let mut manifest = assemble(plan, &outcomes, listed.clone());
    listed.push(crate::card::write_corpus_card_partial(out, &mut manifest)?);
    write_json_partial(out, "manifest.json", &manifest)?;
    // Every shard verified, rejects and manifest on disk: only now do they take their final names.
    let renames: Vec<(String, String)> = plan
        .shards
        .iter()
        .map(|s| (format!("{}{}", s.path, outdir::PARTIAL), s.path.clone()))
        .collect();
    commit(out, &renames, &listed, "manifest.json")?;
    Ok(manifest)
}

/// Copies `from` to `<to>.partial`, checking its size (`expected_bytes`) and SHA-256
/// (`expected_sha256`, lowercase hex) as its `partition.json` lists them.
fn copy_checked(from: &Path, to: &Path, expected_bytes: u64, expected_sha256: &str) -> Result<()> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let partial = PathBuf::from(format!("{}.partial", to.display()));
    let mut reader = std::fs::File::open(from).map_err(|e| Error::io(from, e))?;
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&partial)
        .map_err(|e| Error::io(&partial, e))?;
    let mut writer = std::io::BufWriter::new(created);
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
    let written = writer.into_inner().map_err(|e| Error::io(&partial, e.into_error()))?;
    written.sync_all().map_err(|e| Error::io(&partial, e))?;
    let digest = format!("{:x}", hasher.finalize());
    if bytes != expected_bytes || digest != expected_sha256 {
        let _ = std::fs::remove_file(&partial);
        return Err(Error::input(
            from,
            None,
            format!(
                "expected {} bytes with SHA-256 {} as its partition.json says; found {bytes} bytes, {digest}",
                expected_bytes, expected_sha256
            ),
        ));
    }
    Ok(())
}

/// `rejects.jsonl` (under its `.partial` name, synced): the first `plan_rejects_lines` lines of
/// the first partition's (the rejects found while reading, alike in every partition), then the
/// media rejects of every shard in order. Returns its entry for `files`.
///
/// Errors: the first partition's `rejects.jsonl` is not the file its `partition.json` lists
/// (size and SHA-256), has fewer lines than the plan, or its first `plan_rejects_lines` lines
/// differ from the plan's `plan_rejects_sha256` (shared by every partition); an I/O error.
fn write_rejects(
    out: &Path,
    first_dir: &Path,
    first: &PartitionFile,
    outcomes: &BTreeMap<usize, ShardOutcome>,
) -> Result<crate::writer::FileInfo> {
    let from = first_dir.join("rejects.jsonl");
    let listed = first.files.iter().find(|f| f.path == "rejects.jsonl").ok_or_else(|| {
        Error::input(
            first_dir.join(PARTITION_FILE),
            None,
            "expected rejects.jsonl with its size and SHA-256 under `files`",
        )
    })?;
    let plan_lines = first.plan.plan_rejects_lines;
    let mut reader = BufReader::new(std::fs::File::open(&from).map_err(|e| Error::io(&from, e))?);
    let mut writer = RejectsWriter::create(out)?;
    let mut hasher = Sha256::new();
    let (mut bytes, mut copied) = (0u64, 0u64);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).map_err(|e| Error::io(&from, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&line);
        bytes += n as u64;
        if copied < plan_lines {
            let text = std::str::from_utf8(line.strip_suffix(b"\n").unwrap_or(&line))
                .map_err(|e| Error::input(&from, Some(copied + 1), format!("expected UTF-8 JSON: {e}")))?;
            writer.write_text(text)?;
            copied += 1;
        }
    }
    let digest = format!("{:x}", hasher.finalize());
    if bytes != listed.bytes || digest != listed.sha256 {
        return Err(Error::input(
            &from,
            None,
            format!(
                "expected {} bytes with SHA-256 {} as its partition.json says; found {bytes} bytes, {digest}",
                listed.bytes, listed.sha256
            ),
        ));
    }
    if copied != plan_lines {
        return Err(Error::input(
            &from,
            None,
            format!("expected at least {plan_lines} lines, found {copied}"),
        ));
    }
    // The lines copied are the rejects found while reading, alike in every partition: the plan
    // (equal in all of them) vouches for them, not this partition's own `files` entry alone.
    let (_, copied_sha256) = writer.lines_and_digest();
    if copied_sha256 != first.plan.plan_rejects_sha256 {
        return Err(Error::input(
            &from,
            None,
            format!(
                "expected its first {plan_lines} lines (the rejects found while reading) to have SHA-256 {} as the plan of every partition says; found {copied_sha256}",
                first.plan.plan_rejects_sha256
            ),
        ));
    }
    for outcome in outcomes.values() {
        for line in &outcome.rejects {
            writer.write_text(line)?;
        }
    }
    writer.close()
}
