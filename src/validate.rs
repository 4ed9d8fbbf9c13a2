//! `avfit validate DIR`: checks every line of a corpus against the output contract and the
//! dialect its `manifest.json` records, and, with a media root, the media the lines refer to.
//!
//! Checks per line: it parses as a sample of its task (fields and target keys); split, task and
//! source match the shard path; boxes are normalized `[x0,y0,x1,y1]` in `[0, 1]` with x0 < x1 and
//! y0 < y1; segments lie in [0, duration] with start < end; ARIG and IGATL answers equal the
//! dialect's rendering of `target`, AVFC answers are `True`/`False` as `verdict` says, AVQA and AVC
//! answers equal the target's answer or caption; sample ids are unique; every shard matches the
//! path, record count and SHA-256 that `manifest.json` lists for it, and every listed shard
//! exists; the `counts` map equals the records of the shards per `<split>/<task>/<source>` (no
//! key with 0); every source has read = used + rejected + skipped; `files` lists
//! `rejects.jsonl`, every file under `files` has its listed size and SHA-256 and `rejects.jsonl`
//! has `rejects_lines` lines; the corpus holds nothing but its listed files, `manifest.json` and
//! `.avfit.lock` (a symbolic link anywhere, a `build.journal` or any other file is
//! `unexpected_file`). A problem in `manifest.json` names the line of its entry. With a media root: every
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
    let manifest_text = std::fs::read_to_string(&manifest_path).map_err(|e| Error::io(&manifest_path, e))?;
    let at = Lines(&manifest_text);
    // Shards manifest.json lists: path → (records, bytes, sha256).
    let mut listed: BTreeMap<String, (u64, Option<u64>, String)> = manifest["shards"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                s["path"].as_str().unwrap_or_default().to_string(),
                (
                    s["records"].as_u64().unwrap_or(0),
                    s["bytes"].as_u64(),
                    s["sha256"].as_str().unwrap_or_default().to_string(),
                ),
            )
        })
        .collect();
    let shard_names: std::collections::BTreeSet<String> = listed.keys().cloned().collect();
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
            let sample: Sample = match std::str::from_utf8(line).map_err(|e| e.to_string()).and_then(|l| {
                serde_json::from_str(l)
                    .map_err(|e| format!("{} (column {})", crate::error::json_problem(&e), e.column()))
            }) {
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
            Some((r, b, sha)) if r != records || b != Some(bytes.len() as u64) || sha != digest => report.add(
                "manifest_mismatch",
                &rel,
                0,
                format!(
                    "manifest.json says {r} records, {} bytes, sha256 {sha} (its line {}); the file has {records}, {}, {digest}",
                    b.map_or("?".into(), |b| b.to_string()),
                    at.after("\"shards\"", &format!("\"path\": \"{rel}\"")),
                    bytes.len()
                ),
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
    check_counts(&manifest["counts"], &counts, &at, &mut report);
    check_sources(&manifest["sources"], &at, &mut report);
    check_files(dir, &manifest, &at, &mut report);
    check_unlisted(dir, &manifest, &shard_names, &mut report)?;
    Ok(report)
}

/// The text of `manifest.json`, to give a problem in it the line of the entry concerned.
struct Lines<'a>(&'a str);

impl Lines<'_> {
    /// The 1-based line of the first `needle` after the first `anchor` (a key); the anchor's
    /// line when no `needle` follows it; 0 when there is no anchor (the whole file is concerned).
    fn after(&self, anchor: &str, needle: &str) -> u64 {
        let Some(start) = self.0.find(anchor) else { return 0 };
        let at = start + self.0[start..].find(needle).unwrap_or(0);
        self.0[..at].matches('\n').count() as u64 + 1
    }
}

/// Checks every source of the manifest's `sources`: `read`, `used` and `rejected` are whole
/// numbers, `skipped` maps reasons to whole numbers, and read = used + rejected + skipped.
fn check_sources(sources: &serde_json::Value, at: &Lines, report: &mut Report) {
    for (name, s) in sources.as_object().into_iter().flatten() {
        let line = at.after("\"sources\"", &format!("\"{name}\": {{"));
        let skipped: Option<Vec<u64>> = s["skipped"]
            .as_object()
            .map(|m| m.values().map(|v| v.as_u64()).collect::<Option<_>>())
            .unwrap_or(Some(Vec::new()));
        let numbers = (s["read"].as_u64(), s["used"].as_u64(), s["rejected"].as_u64(), skipped);
        let detail = match numbers {
            (Some(read), Some(used), Some(rejected), Some(skipped)) => {
                let skipped: u64 = skipped.iter().sum();
                (used.checked_add(rejected).and_then(|n| n.checked_add(skipped)) != Some(read)).then(|| {
                    format!("sources.{name}: read {read} is not used {used} + rejected {rejected} + skipped {skipped}")
                })
            }
            _ => Some(format!(
                "sources.{name}: expected whole numbers read, used, rejected and skipped per reason"
            )),
        };
        if let Some(detail) = detail {
            report.add("manifest_mismatch", "manifest.json", line, detail);
        }
    }
}

/// `<split>/<task>/<source>` of a shard path `<split>/<task>/<source>-NNNNN-of-MMMMM.jsonl`.
fn count_key(rel: &str) -> String {
    let stem = rel.strip_suffix(".jsonl").unwrap_or(rel);
    let stem = stem.rsplit_once("-of-").map_or(stem, |(s, _)| s);
    stem.rsplit_once('-').map_or(stem, |(s, _)| s).to_string()
}

/// Compares the manifest's `counts` with the records the shards hold: the same keys (a key with
/// 0 records is in neither) with the same whole numbers.
fn check_counts(listed: &serde_json::Value, found: &BTreeMap<String, u64>, at: &Lines, report: &mut Report) {
    let listed: BTreeMap<String, &serde_json::Value> = listed
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v))
        .collect();
    let keys: std::collections::BTreeSet<&String> = listed.keys().chain(found.keys()).collect();
    for key in keys {
        let holds = found.get(key).copied().unwrap_or(0);
        let says = listed.get(key);
        if says.and_then(|v| v.as_u64()) != found.get(key).copied() {
            let says = says.map_or("nothing".to_string(), |v| v.to_string());
            report.add(
                "manifest_mismatch",
                "manifest.json",
                at.after("\"counts\"", &format!("\"{key}\":")),
                format!("counts.{key}: manifest.json says {says}, the shards hold {holds}"),
            );
        }
    }
}

/// Checks every `files` entry (size and SHA-256), that `rejects.jsonl` is one of them, and the
/// line count of `rejects.jsonl`.
fn check_files(dir: &Path, manifest: &serde_json::Value, at: &Lines, report: &mut Report) {
    let files = manifest["files"].as_array();
    if !files.into_iter().flatten().any(|f| f["path"] == "rejects.jsonl") {
        report.add(
            "manifest_mismatch",
            "manifest.json",
            at.after("\"files\"", ""),
            "files does not list rejects.jsonl with its size and SHA-256".into(),
        );
    }
    for entry in files.into_iter().flatten() {
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

/// Reports every entry of the corpus that avfit did not list or write (`unexpected_file`):
/// symbolic links anywhere (never followed), special files, a `build.journal` (a run that did not
/// finish), and every regular file other than `manifest.json`, `rejects.jsonl`, `.avfit.lock`,
/// the files `files` lists (the dataset card `README.md`) and the shards (`*.jsonl` under
/// `train/` and `test/`, which the shard checks cover). Directories are not reported.
///
/// Errors: a directory cannot be read.
fn check_unlisted(
    dir: &Path,
    manifest: &serde_json::Value,
    shards: &std::collections::BTreeSet<String>,
    report: &mut Report,
) -> Result<()> {
    let files: std::collections::BTreeSet<&str> = manifest["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["path"].as_str())
        .collect();
    for entry in walkdir::WalkDir::new(dir).min_depth(1).sort_by_file_name() {
        let entry = entry.map_err(|e| Error::input(dir, None, e.to_string()))?;
        let rel = entry
            .path()
            .strip_prefix(dir)
            .unwrap_or(entry.path())
            .display()
            .to_string()
            .replace('\\', "/");
        let kind = entry.file_type();
        let is_shard = (rel.starts_with("train/") || rel.starts_with("test/")) && rel.ends_with(".jsonl");
        let own = ["manifest.json", "rejects.jsonl", crate::outdir::LOCK_FILE].contains(&rel.as_str())
            || files.contains(rel.as_str())
            || shards.contains(&rel)
            || is_shard;
        if kind.is_symlink() {
            report.add(
                "unexpected_file",
                &rel,
                0,
                "a symbolic link; a corpus holds only the regular files manifest.json lists".into(),
            );
        } else if kind.is_dir() || (kind.is_file() && own) {
        } else if !kind.is_file() {
            report.add("unexpected_file", &rel, 0, "not a regular file".into());
        } else if rel == crate::journal::JOURNAL_FILE {
            report.add(
                "unexpected_file",
                &rel,
                0,
                "a build that did not finish left its journal: rerun it with --resume".into(),
            );
        } else {
            report.add(
                "unexpected_file",
                &rel,
                0,
                "not a file manifest.json lists or avfit writes".into(),
            );
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
