//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod hostile;

use avfit::sources::{self, Reject, SourceOptions, SourceStats, VecSink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's root (cargo runs tests there).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A shipped sample file or directory under `tests/data/`.
pub fn data(rel: &str) -> PathBuf {
    repo().join("tests/data").join(rel)
}

/// The real public slices (`AVFIT_REAL_DATA`, set by `.ci/run` to `../shared/real`), or `None`
/// with a printed notice so a plain `cargo test` needs nothing outside the repository.
pub fn real_data(dataset: &str) -> Option<PathBuf> {
    match std::env::var_os("AVFIT_REAL_DATA") {
        Some(root) => {
            let dir = PathBuf::from(root).join(dataset);
            assert!(dir.is_dir(), "AVFIT_REAL_DATA is set but {} is missing", dir.display());
            Some(dir)
        }
        None if std::env::var_os("CI").is_some() => {
            panic!("CI is set but AVFIT_REAL_DATA is not: the real slices must be tested")
        }
        None => {
            eprintln!("skipped: AVFIT_REAL_DATA is not set, so the real {dataset} slice is not read");
            None
        }
    }
}

/// Reads `source` from `inputs` with default options (or a forced split).
pub fn read(source: &str, inputs: &[PathBuf], split: Option<avfit::record::Split>) -> (VecSink, SourceStats) {
    let source = sources::find(source).unwrap();
    let mut options = SourceOptions::new(source);
    options.split = split;
    let (sink, stats) = sources::read_all(source, inputs, &options).unwrap();
    assert!(
        stats.reconciles(),
        "read = used + rejected + skipped must hold: {stats:?}"
    );
    (sink, stats)
}

/// (reason, line or index, detail) of each reject, for compact exact assertions.
pub fn reject_summary(rejects: &[Reject]) -> Vec<(String, u64, String)> {
    rejects
        .iter()
        .map(|r| {
            (
                r.reason.as_str().to_string(),
                r.line.or(r.index).unwrap(),
                r.detail.clone(),
            )
        })
        .collect()
}

/// A fresh output directory `target/test-outputs/<name>`; `.ci/run` runs `check-output` on
/// every one of them after the tests.
pub fn out_dir(name: &str) -> PathBuf {
    let dir = repo().join("target/test-outputs").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
    dir
}

/// Runs the avfit binary with `args` from the repository root.
pub fn avfit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_avfit"))
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap()
}

/// Runs the avfit binary and asserts success.
pub fn avfit_ok(args: &[&str]) -> Output {
    let out = avfit(args);
    assert!(
        out.status.success(),
        "avfit {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `../shared/tools/check-output DIR` when it exists (CI), asserting no problem.
pub fn check_output(dir: &Path) {
    let tool = repo().join("../shared/tools/check-output");
    if !tool.exists() {
        eprintln!("skipped: {} not found", tool.display());
        return;
    }
    let out = Command::new("python3").arg(&tool).arg(dir).output().unwrap();
    assert!(
        out.status.success(),
        "check-output {}:\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Every line of every shard under `dir` as JSON, in path order.
pub fn samples(dir: &Path) -> Vec<serde_json::Value> {
    let mut paths: Vec<PathBuf> = walk(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl") && !p.ends_with("rejects.jsonl"))
        .collect();
    paths.sort();
    paths
        .iter()
        .flat_map(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The sample with `id` in `dir`.
pub fn sample(dir: &Path, id: &str) -> serde_json::Value {
    samples(dir)
        .into_iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no sample {id} in {}", dir.display()))
}

/// Every file below `dir`.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// The rejects lines of `dir` as JSON.
pub fn rejects(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("rejects.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Writes a mono 16-bit WAV of `frames` silent samples at `sample_rate` Hz (its duration is
/// `frames / sample_rate` seconds), creating the parent directories.
pub fn write_wav(path: &Path, sample_rate: u32, frames: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for _ in 0..frames {
        w.write_sample(0i16).unwrap();
    }
    w.finalize().unwrap();
}

/// Writes a black `width` × `height` image in the format its extension names, creating the
/// parent directories.
pub fn write_image(path: &Path, width: u32, height: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    image::RgbImage::new(width, height).save(path).unwrap();
}
