//! Fuzzing acceptance (issue 11): mutates the shipped samples of every reader (`tests/data/*`)
//! and runs each mutated copy through the `avfit convert` binary. A case passes when the run
//! either succeeds with `read = used + rejected + skipped` for every source of its manifest, or
//! stops with exit code 1 and exactly one line on stderr; a crash (signal, abort, panic = exit
//! 101), a case over [`CASE_TIMEOUT`], a multi-line error or a broken identity is a failure,
//! printed as one line. Mutations: byte flips, truncation, duplicated lines, numeric edge values
//! (`-0`, `1e308`, `NaN`, ...), deep nesting (XML, JSON, CSV), huge image dimensions (PNG headers
//! declaring up to 100000 px a side), ids that are paths or hold control bytes, and pairs of these.
//!
//! `fuzz_smoke` (in the normal suite) runs [`SMOKE_CASES`] cases; `fuzz_many` (ignored; run by
//! `bench/fuzz.sh`) runs `AVFIT_FUZZ_CASES` (default 10000) from seed `AVFIT_FUZZ_SEED` on
//! `AVFIT_FUZZ_JOBS` threads and prints the summary recorded in docs/FUZZ.md, including the
//! largest resident set of any `avfit` run (`getrusage(RUSAGE_CHILDREN)`), which must stay
//! under [`MAX_RSS_KIB`].

mod common;

use common::hostile;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Cases of the fast version in the normal test suite (a few per mutation and reader).
const SMOKE_CASES: u64 = 240;
/// A case running longer than this is a hang.
const CASE_TIMEOUT: Duration = Duration::from_secs(60);
/// The most memory any one `avfit` run may hold (512 MiB), in KiB as `ru_maxrss` counts.
const MAX_RSS_KIB: u64 = 512 * 1024;

/// A reader under test: the source and its sample directories under `tests/data/`.
struct Reader {
    source: &'static str,
    inputs: &'static [&'static str],
}

const READERS: &[Reader] = &[
    Reader {
        source: "vggss",
        inputs: &["vggss"],
    },
    Reader {
        source: "avsbench",
        inputs: &["avsbench"],
    },
    Reader {
        source: "pascal_sound",
        inputs: &["pascal_sound"],
    },
    Reader {
        source: "flickr_soundnet",
        inputs: &["flickr_soundnet"],
    },
    Reader {
        source: "llp",
        inputs: &["llp"],
    },
    Reader {
        source: "avqa",
        inputs: &["avqa"],
    },
    Reader {
        source: "music_avqa",
        inputs: &["music_avqa"],
    },
    Reader {
        source: "valor",
        inputs: &["valor"],
    },
    Reader {
        source: "openimages",
        inputs: &["openimages"],
    },
    Reader {
        source: "openimages_audioset",
        inputs: &["openimages", "audioset"],
    },
    Reader {
        source: "openimages_vggsound",
        inputs: &["openimages", "vggsound"],
    },
    Reader {
        source: "openimages_audioset_strong",
        inputs: &["openimages", "audioset_strong"],
    },
];

const MUTATIONS: [&str; 8] = [
    "byte_flip",
    "truncate",
    "duplicate_lines",
    "numeric_edge",
    "deep_nesting",
    "huge_dimensions",
    "path_id",
    "two_mutations",
];

/// SplitMix64: a small deterministic generator, so a case is reproduced from its number.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in walk(from) {
        let target = to.join(entry.strip_prefix(from).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&entry, &target).unwrap();
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                files.push(e.path());
            }
        }
    }
    files.sort();
    files
}

/// Positions (start, end) of number-like tokens in `bytes`.
fn numbers(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = if i > 0 && bytes[i - 1] == b'-' { i - 1 } else { i };
            let mut j = i;
            while j < bytes.len() && (bytes[j].is_ascii_digit() || bytes[j] == b'.') {
                j += 1;
            }
            spans.push((start, j));
            i = j;
        } else {
            i += 1;
        }
    }
    spans
}

/// Positions of id-like words (letters, digits, `_`, `-`, at least 3 bytes).
fn words(bytes: &[u8]) -> Vec<(usize, usize)> {
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if is_word(bytes[i]) {
            let mut j = i;
            while j < bytes.len() && is_word(bytes[j]) {
                j += 1;
            }
            if j - i >= 3 {
                spans.push((i, j));
            }
            i = j;
        } else {
            i += 1;
        }
    }
    spans
}

fn splice(bytes: &mut Vec<u8>, (start, end): (usize, usize), with: &[u8]) {
    bytes.splice(start..end, with.iter().copied());
}

/// Applies mutation `kind` to the file at `path`.
fn mutate(rng: &mut Rng, path: &Path, kind: &str) {
    let mut bytes = std::fs::read(path).unwrap();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_string();
    match kind {
        "byte_flip" => {
            for _ in 0..1 + rng.below(8) {
                if !bytes.is_empty() {
                    let i = rng.below(bytes.len());
                    bytes[i] = if rng.below(2) == 0 {
                        bytes[i] ^ (1 << rng.below(8))
                    } else {
                        rng.next() as u8
                    };
                }
            }
        }
        "truncate" => bytes.truncate(rng.below(bytes.len() + 1)),
        "duplicate_lines" => {
            let starts: Vec<usize> = std::iter::once(0)
                .chain(
                    bytes
                        .iter()
                        .enumerate()
                        .filter(|(_, b)| **b == b'\n')
                        .map(|(i, _)| i + 1),
                )
                .filter(|i| *i < bytes.len())
                .collect();
            if let Some(&start) = starts.get(rng.below(starts.len())) {
                let end = bytes[start..]
                    .iter()
                    .position(|b| *b == b'\n')
                    .map_or(bytes.len(), |p| start + p + 1);
                let line = bytes[start..end].to_vec();
                let mut copies = Vec::new();
                for _ in 0..1 + rng.below(50) {
                    copies.extend(&line);
                    if !line.ends_with(b"\n") {
                        copies.push(b'\n');
                    }
                }
                splice(&mut bytes, (end, end), &copies);
            }
        }
        "numeric_edge" => {
            const EDGES: [&str; 16] = [
                "-0",
                "-0.0",
                "0",
                "-1",
                "1e308",
                "-1e308",
                "NaN",
                "inf",
                "-inf",
                "1e-320",
                "18446744073709551616",
                "9999999999",
                "",
                "0x10",
                "1.0000000000000002",
                "-9223372036854775809",
            ];
            let spans = numbers(&bytes);
            if !spans.is_empty() {
                for _ in 0..1 + rng.below(3) {
                    let spans = numbers(&bytes);
                    if spans.is_empty() {
                        break;
                    }
                    let span = *rng.pick(&spans);
                    splice(&mut bytes, span, rng.pick(&EDGES).as_bytes());
                }
            }
        }
        "deep_nesting" => {
            let levels = 1000 + rng.below(20_000);
            let at = match ext.as_str() {
                "xml" | "json" => bytes.iter().position(|b| *b == b'>' || *b == b'[').map_or(0, |p| p + 1),
                _ => bytes.iter().position(|b| *b == b'\n').map_or(0, |p| p + 1),
            };
            let insert = match ext.as_str() {
                "xml" => format!("{}{}", "<a>".repeat(levels), "</a>".repeat(levels)),
                "json" => format!("{}{},", "[".repeat(levels), "]".repeat(levels)),
                _ => format!("{}\n", "\"".repeat(levels)),
            };
            splice(&mut bytes, (at, at), insert.as_bytes());
        }
        "huge_dimensions" => {
            const SIDES: [u32; 6] = [4097, 13_000, 23_000, 65_535, 100_000, 4096];
            if ext == "png" {
                bytes = hostile::bomb_png(*rng.pick(&SIDES), *rng.pick(&SIDES));
            } else {
                let spans = numbers(&bytes);
                if !spans.is_empty() {
                    let span = *rng.pick(&spans);
                    splice(&mut bytes, span, rng.pick(&SIDES).to_string().as_bytes());
                }
            }
        }
        "path_id" => {
            const IDS: [&str; 9] = [
                "../../../../tmp/x/secret",
                "/etc/passwd",
                "a\\nb",
                ".",
                "..",
                "a\\\\b",
                "x\\u0000y",
                "spaces, commas &amp; more",
                "\u{1b}[31m",
            ];
            let spans = words(&bytes);
            if !spans.is_empty() {
                let span = *rng.pick(&spans);
                let id = rng.pick(&IDS);
                // JSON keeps escapes as escapes; text formats get the raw bytes.
                let raw = if ext == "json" {
                    id.to_string()
                } else {
                    id.replace("\\n", "\n").replace("\\u0000", "\0").replace("\\\\", "\\")
                };
                splice(&mut bytes, span, raw.as_bytes());
            }
        }
        other => unreachable!("{other}"),
    }
    std::fs::write(path, bytes).unwrap();
}

/// What one case ended as.
enum Outcome {
    /// Exit 0 and every source reconciles.
    Converted,
    /// Exit 1 with one line on stderr.
    Stopped,
    /// Anything else, as one line.
    Failed(String),
}

/// Runs case `case`: a mutated copy of one reader's sample through `avfit convert`.
fn run_case(case: u64, seed: u64) -> (Outcome, String, Duration) {
    let mut rng = Rng(seed.wrapping_mul(0x1000_0000_01B3) ^ case);
    let reader = &READERS[(case % READERS.len() as u64) as usize];
    let kind = MUTATIONS[((case / READERS.len() as u64) % MUTATIONS.len() as u64) as usize];
    let tmp = common::tempdir().unwrap();
    let mut inputs = Vec::new();
    for input in reader.inputs {
        let to = tmp.path().join(input);
        copy_dir(&common::data(input), &to);
        inputs.push(to);
    }
    let files: Vec<PathBuf> = inputs.iter().flat_map(|i| walk(i)).collect();
    let target = rng.pick(&files).clone();
    let kinds: Vec<&str> = if kind == "two_mutations" {
        vec![MUTATIONS[rng.below(7)], MUTATIONS[rng.below(7)]]
    } else {
        vec![kind]
    };
    for k in &kinds {
        mutate(&mut rng, &target, k);
    }
    let label = format!(
        "case {case} {} {} {}",
        reader.source,
        kinds.join("+"),
        target.strip_prefix(tmp.path()).unwrap().display()
    );
    let out = tmp.path().join("out");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_avfit"));
    cmd.args([
        "convert",
        "--source",
        reader.source,
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    for input in &inputs {
        cmd.arg("--input").arg(input);
    }
    let started = Instant::now();
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader_thread = std::thread::spawn(move || {
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut text).ok();
        text
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > CASE_TIMEOUT {
            child.kill().ok();
            child.wait().ok();
            break None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&reader_thread.join().unwrap()).into_owned();
    let outcome = match status.map(|s| s.code()) {
        None => Outcome::Failed(format!("hang: over {} s", CASE_TIMEOUT.as_secs())),
        Some(None) => Outcome::Failed("crash: killed by a signal".to_string()),
        Some(Some(0)) => match reconciles(&out) {
            Ok(()) => Outcome::Converted,
            Err(why) => Outcome::Failed(why),
        },
        Some(Some(1)) if stderr.lines().count() == 1 && stderr.ends_with('\n') && !stderr.contains("panicked") => {
            Outcome::Stopped
        }
        Some(Some(code)) => Outcome::Failed(format!("exit {code}, stderr {stderr:?}")),
    };
    (outcome, label, elapsed)
}

/// Whether every source of the manifest in `out` has `read = used + rejected + skipped`.
fn reconciles(out: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(out.join("manifest.json")).map_err(|e| format!("no manifest.json: {e}"))?;
    let manifest: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("manifest.json: {e}"))?;
    let sources = manifest["sources"].as_object().ok_or("manifest.json has no sources")?;
    for (name, s) in sources {
        let n = |k: &str| s[k].as_u64().unwrap_or(u64::MAX);
        let skipped: u64 = s["skipped"]
            .as_object()
            .map_or(0, |m| m.values().filter_map(|v| v.as_u64()).sum());
        if n("read") != n("used") + n("rejected") + skipped {
            return Err(format!("accounting: {name} {s}"));
        }
    }
    Ok(())
}

/// `getrusage(RUSAGE_CHILDREN)`'s `ru_maxrss` (KiB): the largest resident set of any child
/// process waited for so far (Linux).
fn max_child_rss_kib() -> u64 {
    #[repr(C)]
    struct Rusage {
        times: [i64; 4],
        maxrss: i64,
        rest: [i64; 13],
    }
    extern "C" {
        fn getrusage(who: i32, usage: *mut Rusage) -> i32;
    }
    const RUSAGE_CHILDREN: i32 = -1;
    let mut usage = Rusage {
        times: [0; 4],
        maxrss: 0,
        rest: [0; 13],
    };
    // SAFETY: `usage` is a valid, writable `struct rusage` for the 64-bit Linux ABI.
    let rc = unsafe { getrusage(RUSAGE_CHILDREN, &mut usage) };
    if rc == 0 {
        usage.maxrss as u64
    } else {
        0
    }
}

/// Runs `cases` cases from `first` on `jobs` threads; prints every failure as one line and the
/// summary; returns the failures.
fn run(first: u64, cases: u64, seed: u64, jobs: usize) -> Vec<String> {
    let next = AtomicU64::new(first);
    let failures = Mutex::new(Vec::new());
    let counts = Mutex::new(BTreeMap::<String, u64>::new());
    let slowest = Mutex::new((Duration::ZERO, String::new()));
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let case = next.fetch_add(1, Ordering::Relaxed);
                if case >= first + cases {
                    return;
                }
                let (outcome, label, elapsed) = run_case(case, seed);
                let kind = match outcome {
                    Outcome::Converted => "converted",
                    Outcome::Stopped => "stopped",
                    Outcome::Failed(why) => {
                        let line = format!("FAIL {label}: {why}").replace('\n', "\\n");
                        println!("\n{line}");
                        failures.lock().unwrap().push(line);
                        "failed"
                    }
                };
                *counts.lock().unwrap().entry(kind.to_string()).or_default() += 1;
                let mut slow = slowest.lock().unwrap();
                if elapsed > slow.0 {
                    *slow = (elapsed, label);
                }
            });
        }
    });
    let rss = max_child_rss_kib();
    let slow = slowest.into_inner().unwrap();
    println!(
        "\nfuzz: {cases} cases from {first} (seed {seed}, {} readers, {} mutations, {jobs} jobs) in {:.1} s; outcomes {:?}; slowest case {:.2} s ({}); max RSS of an avfit run {} KiB",
        READERS.len(),
        MUTATIONS.len(),
        started.elapsed().as_secs_f64(),
        counts.into_inner().unwrap(),
        slow.0.as_secs_f64(),
        slow.1,
        rss
    );
    let mut failures = failures.into_inner().unwrap();
    if rss > MAX_RSS_KIB {
        failures.push(format!("FAIL max RSS {rss} KiB over {MAX_RSS_KIB} KiB"));
    }
    failures
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn fuzz_smoke() {
    let failures = run(0, SMOKE_CASES, 1, 2);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[ignore = "long: run by bench/fuzz.sh"]
fn fuzz_many() {
    let cases = env_u64("AVFIT_FUZZ_CASES", 10_000);
    let seed = env_u64("AVFIT_FUZZ_SEED", 1);
    let jobs = env_u64("AVFIT_FUZZ_JOBS", 2) as usize;
    let failures = run(0, cases, seed, jobs);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
