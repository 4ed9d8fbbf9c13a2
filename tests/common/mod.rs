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
/// with a visible skip notice so a plain `cargo test` needs nothing outside the repository.
pub fn real_data(dataset: &str) -> Option<PathBuf> {
    match std::env::var_os("AVFIT_REAL_DATA") {
        Some(root) => {
            let dir = PathBuf::from(root).join(dataset);
            assert!(dir.is_dir(), "AVFIT_REAL_DATA is set but {} is missing", dir.display());
            // Absolute, so manifests written elsewhere by a test can name it.
            Some(dir.canonicalize().unwrap())
        }
        None if std::env::var_os("CI").is_some() => {
            panic!("CI is set but AVFIT_REAL_DATA is not: the real slices must be tested")
        }
        None => {
            skip_notice(
                &format!("a test of the real {dataset} slice"),
                "AVFIT_REAL_DATA is not set (.ci/run sets it to ../shared/real)",
            );
            None
        }
    }
}

/// Prints a skip notice straight to the terminal's stderr (past the test harness's output
/// capture, so `cargo test` shows it even for a passing test).
pub fn skip_notice(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

/// The path of the first of `names` found on `PATH`, or `None`.
pub fn find_program(names: &[&str]) -> Option<PathBuf> {
    names.iter().find_map(|name| {
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {name}"))
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
    })
}

/// A tool that a test needs but a fresh machine may lack (Chromium, ffmpeg, Java, a Python package):
/// `Some(found)` when `probe` finds it; else `None` with a visible skip notice for `test`, or a
/// panic when `AVFIT_REQUIRE_<TOOL>` is set (`.ci/run` sets it for every tool it installs).
///
/// `tool` is the upper-case name in the variable (`BROWSER`, `FFMPEG`, `JAVA`, `PYTHON_DATASETS`).
pub fn require_tool<T>(test: &str, tool: &str, probe: impl FnOnce() -> Option<T>) -> Option<T> {
    let found = probe();
    if found.is_none() {
        let var = format!("AVFIT_REQUIRE_{tool}");
        assert!(
            std::env::var_os(&var).is_none(),
            "{var}=1 but the tool is missing on this machine"
        );
        skip_notice(
            test,
            &format!("{} not found (set {var}=1 to make this a failure)", tool.to_lowercase()),
        );
    }
    found
}

/// Reads `source` from `inputs` with default options (or a forced split).
pub fn read(source: &str, inputs: &[PathBuf], split: Option<avfit::record::Split>) -> (VecSink, SourceStats) {
    let source = avfit::registry::find(source).unwrap();
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

/// A directory removed (with everything in it) when dropped: a temporary working place for one test.
///
/// Written here instead of using the `tempfile` crate: as a dev-dependency it changes the features of
/// crates that polars shares, so `cargo test --release` would compile polars a second time after
/// `cargo build --release`.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A new empty directory under `target/tmp/`, unique in this machine's runs (process id, a counter
/// and the time), removed when the returned guard is dropped.
pub fn tempdir() -> std::io::Result<TempDir> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let base = repo().join("target/tmp");
    std::fs::create_dir_all(&base)?;
    loop {
        let dir = base.join(format!(
            "t{}-{}-{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(TempDir(dir)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
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

/// Runs `avfit build --manifest <manifest> --out <out> --quiet` and returns its output, whatever
/// its exit status.
pub fn build(manifest: &Path, out: &Path) -> Output {
    avfit(&[
        "build",
        "--manifest",
        manifest.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ])
}

/// Writes the build manifest `text` to `target/test-outputs/<name>.toml`, builds it into
/// [`out_dir`]`(name)` ([`build`]), asserts success and returns the output directory.
pub fn build_manifest(name: &str, text: &str) -> PathBuf {
    let out = out_dir(name);
    let manifest = out.with_extension("toml");
    std::fs::write(&manifest, text).unwrap();
    let run = build(&manifest, &out);
    assert!(
        run.status.success(),
        "avfit build failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    out
}

/// Runs the avfit binary, asserts that it stopped with exit code 1, and returns its stderr.
pub fn avfit_fails(args: &[&str]) -> String {
    let out = avfit(args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "avfit {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
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

/// The figures of the sample build (`avfit build` of `manifests/sample.toml`), so that adding a
/// source to that manifest changes no test but the ones of the source: samples, shards and
/// `<split>/<task>/<source>` rows are derived from the manifest's `expected` counts and its
/// `records_per_shard`.
pub struct SampleFigures {
    /// Σ expected counts.
    pub samples: u64,
    /// Σ ⌈count / records_per_shard⌉ over the rows.
    pub shards: u64,
    /// `<split>/<task>/<source>` rows with an expected count.
    pub rows: usize,
    /// Lines of its `rejects.jsonl`: these depend on the samples' defects, not on the expected
    /// counts, so they are written here (the one place to update with a new sample, besides the
    /// source's own tests).
    pub rejects_lines: u64,
    /// Distinct media files its samples name (`avfit media --list`): likewise written here.
    pub media_files: u64,
    /// Expected samples per `<split>/<task>/<source>`.
    pub expected: std::collections::BTreeMap<String, u64>,
}

impl SampleFigures {
    /// Expected samples of `split` (`train`, `test`) and `task` (`arig`, ...) over all sources.
    pub fn of(&self, split: &str, task: &str) -> u64 {
        let prefix = format!("{split}/{task}/");
        self.expected
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(_, v)| v)
            .sum()
    }
}

/// [`SampleFigures`] of `manifests/sample.toml`. Panics if the manifest does not load.
pub fn sample_figures() -> SampleFigures {
    let m = avfit::config::BuildManifest::load(&repo().join("manifests/sample.toml")).unwrap();
    let per_shard = m.records_per_shard.expect("sample.toml sets records_per_shard") as u64;
    let expected: std::collections::BTreeMap<String, u64> = m
        .sources
        .iter()
        .flat_map(|s| s.expected.iter().map(move |(k, v)| (format!("{k}/{}", s.name), *v)))
        .collect();
    let counts: Vec<u64> = expected.values().copied().collect();
    SampleFigures {
        samples: counts.iter().sum(),
        shards: counts.iter().map(|c| c.div_ceil(per_shard)).sum(),
        rows: counts.len(),
        rejects_lines: 36,
        media_files: 102,
        expected,
    }
}

/// Asserts that `manifest` (a parsed `manifest.json`) accounts for every unit of `source`:
/// `read = used + rejected + skipped`, from the figures it lists.
pub fn assert_reconciles(manifest: &serde_json::Value, source: &str) {
    let s: SourceStats = serde_json::from_value(manifest["sources"][source].clone())
        .unwrap_or_else(|e| panic!("{source}: no accounting in manifest.json: {e}"));
    let skipped: u64 = s.skipped.values().sum();
    assert_eq!(s.read, s.used + s.rejected + skipped, "{source}: {s:?}");
}
