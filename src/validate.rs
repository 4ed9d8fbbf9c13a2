//! `avfit validate DIR`: checks every line of a corpus against the output contract and the
//! dialect its `manifest.json` records, and, with a media root, the media the lines refer to.
//!
//! Checks per line: it parses as a sample of its task (fields and target keys); split, task and
//! source match the shard path; boxes are normalized `[x0,y0,x1,y1]` in `[0, 1]` with x0 < x1 and
//! y0 < y1; segments lie in [0, duration] with start < end; ARIG and IGATL answers equal the
//! dialect's rendering of `target`, AVFC answers are `True`/`False` as `verdict` says, AVQA and AVC
//! answers equal the target's answer or caption; sample ids are unique; every shard matches the
//! path, record count and SHA-256 that `manifest.json` lists for it, and every listed shard
//! exists; the `counts` map equals the records of the shards per `<split>/<task>/<source>`;
//! every file under `files` (`rejects.jsonl`) has its listed size and SHA-256 and
//! `rejects.jsonl` has `rejects_lines` lines; `train/` and `test/` hold nothing but the listed
//! shards (a symbolic link or any other file is `unexpected_file`). With a media root: every
//! referenced file exists, images have a readable header, WAVs a readable header, videos a
//! container header ([`crate::media::video_header`], the probe `--check-media` uses), and IGATL
//! and AVFC segments end within the WAV (up to [`crate::media::DURATION_TOLERANCE`] seconds past
//! it).

use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::media::{image_size, media_path, video_header, wav_info, DURATION_TOLERANCE};
use crate::record::{Sample, Target};
use sha2::Digest;
use std::collections::BTreeMap;
use std::path::Path;

/// How many examples of each problem a report keeps.
pub const EXAMPLES_PER_PROBLEM: usize = 5;

/// What `validate` found.
#[derive(Debug, Default, PartialEq)]
pub struct Report {
    /// Lines read.
    pub lines: u64,
    /// Problem kind → (count, first examples as `file:line: detail`).
    pub problems: BTreeMap<String, (u64, Vec<String>)>,
}

impl Report {
    /// Whether no problem was found.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    fn add(&mut self, kind: &str, file: &str, line: u64, detail: String) {
        let entry = self.problems.entry(kind.to_string()).or_default();
        entry.0 += 1;
        if entry.1.len() < EXAMPLES_PER_PROBLEM {
            entry.1.push(format!("{file}:{line}: {detail}"));
        }
    }
}

/// Validates the corpus in `dir` (its `manifest.json` gives the dialect); `media_root`, when
/// given, is where the media paths point.
///
/// Errors: `dir` has no readable `manifest.json`, or a shard cannot be read.
pub fn validate(dir: &Path, media_root: Option<&Path>) -> Result<Report> {
    let manifest_path = dir.join("manifest.json");
    let manifest = crate::corpus::read_manifest(dir)?;
    let dialect_name = manifest["dialect"].as_str().unwrap_or("meerkat");
    let dialect = Dialect::from_name(dialect_name)
        .ok_or_else(|| Error::input(&manifest_path, None, format!("unknown dialect `{dialect_name}`")))?;
    let mut report = Report::default();
    let mut ids: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    // Shards manifest.json lists: path → (records, sha256).
    let mut listed: BTreeMap<String, (u64, String)> = manifest["shards"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                s["path"].as_str().unwrap_or_default().to_string(),
                (
                    s["records"].as_u64().unwrap_or(0),
                    s["sha256"].as_str().unwrap_or_default().to_string(),
                ),
            )
        })
        .collect();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for shard in crate::corpus::shard_paths(dir)? {
        let rel = shard
            .strip_prefix(dir)
            .unwrap_or(&shard)
            .display()
            .to_string()
            .replace('\\', "/");
        let bytes = std::fs::read(&shard).map_err(|e| Error::io(&shard, e))?;
        let digest = format!("{:x}", sha2::Sha256::digest(&bytes));
        let mut records = 0u64;
        for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
            if line.is_empty() && (i > 0 || bytes.is_empty()) {
                continue; // the final newline, or an empty shard (all its samples failed media)
            }
            report.lines += 1;
            records += 1;
            let n = i as u64 + 1;
            let sample: Sample = match std::str::from_utf8(line)
                .map_err(|e| e.to_string())
                .and_then(|l| serde_json::from_str(l).map_err(|e| e.to_string()))
            {
                Ok(s) => s,
                Err(e) => {
                    report.add("malformed_line", &rel, n, e);
                    continue;
                }
            };
            if let Some(first) = ids.insert(sample.id.clone(), format!("{rel}:{n}")) {
                report.add("duplicate_id", &rel, n, format!("{} is also at {first}", sample.id));
            }
            check_sample(&sample, &rel, n, dialect, media_root, &mut report);
        }
        if records > 0 {
            *counts.entry(count_key(&rel)).or_default() += records;
        }
        match listed.remove(&rel) {
            None => report.add(
                "manifest_mismatch",
                &rel,
                0,
                "this shard is not in manifest.json".into(),
            ),
            Some((r, sha)) if r != records || sha != digest => report.add(
                "manifest_mismatch",
                &rel,
                0,
                format!("manifest.json says {r} records, sha256 {sha}; the file has {records}, {digest}"),
            ),
            Some(_) => {}
        }
    }
    for (rel, _) in listed {
        report.add(
            "manifest_mismatch",
            &rel,
            0,
            "listed in manifest.json but missing".into(),
        );
    }
    check_counts(&manifest["counts"], &counts, &mut report);
    check_files(dir, &manifest, &mut report);
    check_split_dirs(dir, &mut report)?;
    Ok(report)
}

/// `<split>/<task>/<source>` of a shard path `<split>/<task>/<source>-NNNNN-of-MMMMM.jsonl`.
fn count_key(rel: &str) -> String {
    let stem = rel.strip_suffix(".jsonl").unwrap_or(rel);
    let stem = stem.rsplit_once("-of-").map_or(stem, |(s, _)| s);
    stem.rsplit_once('-').map_or(stem, |(s, _)| s).to_string()
}

/// Compares the manifest's `counts` with the records the shards hold (keys with 0 records are
/// absent from both).
fn check_counts(listed: &serde_json::Value, found: &BTreeMap<String, u64>, report: &mut Report) {
    let listed: BTreeMap<String, Option<u64>> = listed
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_u64()))
        .collect();
    let keys: std::collections::BTreeSet<&String> = listed.keys().chain(found.keys()).collect();
    for key in keys {
        let says = listed.get(key).copied().flatten().unwrap_or(0);
        let holds = found.get(key).copied().unwrap_or(0);
        if says != holds {
            report.add(
                "manifest_mismatch",
                "manifest.json",
                0,
                format!("counts.{key}: manifest.json says {says}, the shards hold {holds}"),
            );
        }
    }
}

/// Checks every `files` entry (size and SHA-256) and the line count of `rejects.jsonl`.
fn check_files(dir: &Path, manifest: &serde_json::Value, report: &mut Report) {
    for entry in manifest["files"].as_array().into_iter().flatten() {
        let rel = entry["path"].as_str().unwrap_or_default();
        let inside = !rel.is_empty()
            && Path::new(rel)
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !inside {
            report.add(
                "manifest_mismatch",
                "manifest.json",
                0,
                format!("files lists `{rel}`, not a path inside the corpus"),
            );
            continue;
        }
        let (bytes, sha) = (entry["bytes"].as_u64(), entry["sha256"].as_str().unwrap_or_default());
        let found = std::fs::read(dir.join(rel)).map(|b| (b.len() as u64, format!("{:x}", sha2::Sha256::digest(&b))));
        match found {
            Err(e) => report.add(
                "manifest_mismatch",
                rel,
                0,
                format!("listed in manifest.json but unreadable: {e}"),
            ),
            Ok((n, digest)) if Some(n) != bytes || digest != sha => report.add(
                "manifest_mismatch",
                rel,
                0,
                format!(
                    "manifest.json says {} bytes, sha256 {sha}; the file has {n}, {digest}",
                    bytes.map_or("?".into(), |b| b.to_string())
                ),
            ),
            Ok(_) => {}
        }
    }
    let rejects = dir.join("rejects.jsonl");
    let lines = std::fs::read(&rejects).map(|b| b.iter().filter(|&&c| c == b'\n').count() as u64);
    match (lines, manifest["rejects_lines"].as_u64()) {
        (Err(e), _) => report.add("manifest_mismatch", "rejects.jsonl", 0, format!("unreadable: {e}")),
        (Ok(found), Some(says)) if found != says => report.add(
            "manifest_mismatch",
            "rejects.jsonl",
            0,
            format!("manifest.json says {says} lines; the file has {found}"),
        ),
        _ => {}
    }
}

/// Reports every entry under `train/` and `test/` that is neither a directory nor a `.jsonl`
/// regular file (the shards themselves are checked against the manifest): symbolic links (never
/// followed) and other files.
///
/// Errors: a directory cannot be read.
fn check_split_dirs(dir: &Path, report: &mut Report) -> Result<()> {
    for split in ["train", "test"] {
        let root = dir.join(split);
        if std::fs::symlink_metadata(&root).is_err() {
            continue;
        }
        for entry in walkdir::WalkDir::new(&root).sort_by_file_name() {
            let entry = entry.map_err(|e| Error::input(&root, None, e.to_string()))?;
            let rel = entry
                .path()
                .strip_prefix(dir)
                .unwrap_or(entry.path())
                .display()
                .to_string()
                .replace('\\', "/");
            let kind = entry.file_type();
            if kind.is_symlink() {
                report.add(
                    "unexpected_file",
                    &rel,
                    0,
                    "a symbolic link; a corpus holds only the regular files manifest.json lists".into(),
                );
            } else if kind.is_file() && !rel.ends_with(".jsonl") {
                report.add("unexpected_file", &rel, 0, "not a shard manifest.json lists".into());
            } else if !kind.is_file() && !kind.is_dir() {
                report.add("unexpected_file", &rel, 0, "not a regular file".into());
            }
        }
    }
    Ok(())
}

fn check_sample(s: &Sample, file: &str, line: u64, dialect: Dialect, media_root: Option<&Path>, report: &mut Report) {
    let mut problem = |kind: &str, detail: String| report.add(kind, file, line, detail);
    let expected_path = format!("{}/{}/{}-", s.split.as_str(), s.task.as_str(), s.source);
    if !file.starts_with(&expected_path) {
        problem(
            "path_mismatch",
            format!("{} is {} {} {}", s.id, s.split.as_str(), s.task.as_str(), s.source),
        );
    }
    if s.task != s.target.task() {
        problem(
            "target_mismatch",
            format!(
                "{}: a {} target in a {} sample",
                s.id,
                s.target.task().as_str(),
                s.task.as_str()
            ),
        );
    }
    let boxes: &[crate::geometry::BBox] = match &s.target {
        Target::Arig { boxes, .. } => boxes,
        Target::Avfc { boxes: Some(boxes), .. } => boxes,
        _ => &[],
    };
    for b in boxes {
        let [x0, y0, x1, y1] = b.0;
        let inside = b.0.iter().all(|v| v.is_finite() && (0.0..=1.0).contains(v));
        if !inside || x0 >= x1 || y0 >= y1 {
            problem(
                "bad_box",
                format!(
                    "{}: box {:?} is not normalized [x0,y0,x1,y1] with x0 < x1, y0 < y1",
                    s.id, b.0
                ),
            );
        }
    }
    let (segments, duration): (&[crate::geometry::Segment], Option<f64>) = match &s.target {
        Target::Igatl { segments, duration, .. } => (segments, Some(*duration)),
        Target::Avfc {
            segments: Some(segments),
            duration,
            ..
        } => (segments, *duration),
        _ => (&[], None),
    };
    for g in segments {
        let [a, b] = g.0;
        if !(a.is_finite() && b.is_finite() && 0.0 <= a && a < b && duration.is_none_or(|d| b <= d + 1e-9)) {
            let limit = duration.map(|d| format!(" of a {d} s clip")).unwrap_or_default();
            problem(
                "bad_segment",
                format!("{}: segment {:?} is not 0 <= start < end <= duration{limit}", s.id, g.0),
            );
        }
    }
    let expected_answer = match &s.target {
        Target::Arig { label, boxes } => dialect.render_boxes(label, boxes),
        Target::Igatl { segments, duration, .. } => dialect.render_segments(segments, *duration),
        Target::Avfc { verdict, .. } => (if *verdict { "True" } else { "False" }).to_string(),
        Target::Avqa { answer, .. } => answer.clone(),
        Target::Avc { caption } => caption.clone(),
    };
    if s.answer != expected_answer {
        problem(
            "answer_mismatch",
            format!(
                "{}: answer `{}`, the {} rendering of target is `{expected_answer}`",
                s.id,
                s.answer,
                dialect.name()
            ),
        );
    }
    if s.instruction.trim().is_empty() {
        problem("empty_instruction", s.id.clone());
    }
    let Some(root) = media_root else { return };
    if let Some(image) = &s.image {
        if let Err(e) = media_path(root, image).and_then(|p| image_size(&p)) {
            problem("missing_media", format!("{}: image {e}", s.id));
        }
    }
    if let Some(audio) = &s.audio {
        match media_path(root, audio).and_then(|p| wav_info(&p)) {
            Err(e) => problem("missing_media", format!("{}: audio {e}", s.id)),
            Ok(wav) => {
                let segments: &[crate::geometry::Segment] = match &s.target {
                    Target::Igatl { segments, .. }
                    | Target::Avfc {
                        segments: Some(segments),
                        ..
                    } => segments,
                    _ => &[],
                };
                {
                    if let Some(g) = segments.iter().find(|g| g.end() > wav.duration + DURATION_TOLERANCE) {
                        problem(
                            "segment_past_audio",
                            format!(
                                "{}: segment {:?} ends after the {} s of {audio}",
                                s.id, g.0, wav.duration
                            ),
                        );
                    }
                }
            }
        }
    }
    if let Some(video) = &s.video {
        if let Err(e) = media_path(root, video).and_then(|path| video_header(&path)) {
            problem("missing_media", format!("{}: video {e}", s.id));
        }
    }
}
