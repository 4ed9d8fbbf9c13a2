//! Builds that scale out: the output does not depend on the thread count, a build killed with
//! SIGKILL and resumed ends byte-identical to an uninterrupted one, and the partitions of a build
//! merge into exactly the corpus a single build writes.

mod common;

use common::{avfit, check_output, out_dir, repo, write_wav};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Every file under `dir` (relative path → bytes).
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// Asserts that two output directories hold the same files with the same bytes.
fn assert_same_tree(a: &Path, b: &Path) {
    let (ta, tb) = (tree(a), tree(b));
    let names = |t: &BTreeMap<String, Vec<u8>>| t.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&ta),
        names(&tb),
        "{} and {} list different files",
        a.display(),
        b.display()
    );
    for (name, bytes) in &ta {
        assert!(
            bytes == &tb[name],
            "{name} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

fn run_ok(args: &[&str]) {
    let out = avfit(args);
    assert!(
        out.status.success(),
        "avfit {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A VALOR `desc_train.json` of `n` clips in `dir`: enough samples for many shards and batches.
fn big_valor(dir: &Path, n: usize) -> PathBuf {
    let entries: Vec<String> = (0..n)
        .map(|i| {
            format!(r#"{{"video_id": "v{i:010}_0.000_10.000", "desc": "Clip {i}: a dog barks, then a car passes."}}"#)
        })
        .collect();
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("desc_train.json");
    std::fs::write(&path, format!("[{}]", entries.join(", "))).unwrap();
    path
}

/// `avfit convert` arguments for the VALOR file `valor` into `out` with `records_per_shard`.
fn valor_convert(valor: &Path, out: &Path, records_per_shard: &str) -> Vec<String> {
    [
        "convert",
        "--source",
        "valor",
        "--input",
        valor.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--records-per-shard",
        records_per_shard,
        "--quiet",
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn the_output_is_the_same_for_one_thread_and_many() {
    let inputs = common::tempdir().unwrap();
    let valor = big_valor(inputs.path(), 20_000);
    let sample = |name: &str, threads: &str| {
        let out = out_dir(name);
        run_ok(&[
            "build",
            "--out",
            out.to_str().unwrap(),
            "--records-per-shard",
            "3",
            "--threads",
            threads,
            "--quiet",
        ]);
        out
    };
    assert_same_tree(&sample("threads-sample-1", "1"), &sample("threads-sample-4", "4"));
    // 20,000 samples: several batches of 4096 rendered on different threads.
    let convert = |name: &str, threads: &str| {
        let out = out_dir(name);
        let mut args = valor_convert(&valor, &out, "1000");
        args.extend(["--threads".into(), threads.into()]);
        run_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
        out
    };
    let one = convert("threads-valor-1", "1");
    assert_same_tree(&one, &convert("threads-valor-3", "3"));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(one.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["counts"]["train/avc/valor"], 20_000);
    assert_eq!(manifest["shards"].as_array().unwrap().len(), 20);
    check_output(&one);
}

/// Lines of the journal of `dir` (0 when there is none).
fn journal_lines(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("build.journal")).map_or(0, |t| t.lines().count())
}

#[test]
fn a_build_killed_mid_way_resumes_to_the_same_bytes() {
    let inputs = common::tempdir().unwrap();
    let valor = big_valor(inputs.path(), 30_000);
    let args = |out: &Path| valor_convert(&valor, out, "50");
    let whole = out_dir("resume-uninterrupted");
    run_ok(&args(&whole).iter().map(String::as_str).collect::<Vec<_>>());

    let killed = out_dir("resume-killed");
    let mut child = Command::new(env!("CARGO_BIN_EXE_avfit"))
        .args(args(&killed))
        .current_dir(repo())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it (SIGKILL) once the journal vouches for a few of its 600 shards.
    let started = std::time::Instant::now();
    while journal_lines(&killed) < 6 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the build ended before it could be killed"
        );
        assert!(started.elapsed().as_secs() < 60, "no shard completed within a minute");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!killed.join("manifest.json").exists());
    let vouched = journal_lines(&killed) - 1;
    assert!((5..600).contains(&vouched), "{vouched} shards vouched for");
    // What a crash can leave besides: a torn journal line and a half-written shard.
    let mut journal = std::fs::OpenOptions::new()
        .append(true)
        .open(killed.join("build.journal"))
        .unwrap();
    std::io::Write::write_all(&mut journal, br#"{"index":599,"path":"train/avc/valor-00599.js"#).unwrap();
    std::fs::write(killed.join("train/avc/valor-00598.jsonl.partial"), b"{\"id\":").unwrap();

    // Resuming with other media settings is another build: refused, nothing written.
    let media = common::tempdir().unwrap();
    let mut other_media = args(&killed);
    other_media.extend([
        "--resume".into(),
        "--media-root".into(),
        media.path().to_str().unwrap().into(),
    ]);
    let run = avfit(&other_media.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("configuration (manifest, seed, dialect, templates, media settings) differs"),
        "{stderr}"
    );
    // A journaled shard changed on disk (same size) is not trusted: avfit can no longer prove it
    // wrote those bytes, so the resume stops naming it and leaves it alone; once its owner has
    // removed it, it is built again.
    let first: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(killed.join("build.journal"))
            .unwrap()
            .lines()
            .nth(1)
            .unwrap(),
    )
    .unwrap();
    let vouched_path = killed.join(first["path"].as_str().unwrap());
    let mut bytes = std::fs::read(&vouched_path).unwrap();
    let digit = bytes.iter().position(u8::is_ascii_digit).unwrap();
    bytes[digit] = if bytes[digit] == b'7' { b'8' } else { b'7' };
    std::fs::write(&vouched_path, bytes).unwrap();

    let mut resume = args(&killed);
    resume.push("--resume".into());
    let refused = avfit(&resume.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        String::from_utf8_lossy(&refused.stderr),
        format!(
            "avfit: {}: not written by avfit (its size or SHA-256 differs from what avfit recorded for it); avfit removes and overwrites only its own files: move it away or choose another --out\n",
            vouched_path.display()
        )
    );
    assert!(vouched_path.exists());
    std::fs::remove_file(&vouched_path).unwrap();
    run_ok(&resume.iter().map(String::as_str).collect::<Vec<_>>());
    assert_same_tree(&whole, &killed);
    check_output(&killed);

    // A journal of another configuration is refused, not silently mixed.
    let other = common::tempdir().unwrap();
    let target = other.path().join("o");
    let mut child = Command::new(env!("CARGO_BIN_EXE_avfit"))
        .args(args(&target))
        .current_dir(repo())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    while journal_lines(&target) < 2 && child.try_wait().unwrap().is_none() {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    if target.join("build.journal").exists() {
        let mut seeded = args(&target);
        seeded.extend(["--resume".into(), "--seed".into(), "7".into()]);
        let run = avfit(&seeded.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(!run.status.success());
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains("journal belongs to another build"), "{stderr}");
    }
}

/// The sample build with `extra` arguments, whole into `whole` and as 3 partitions merged into
/// `merged`; asserts both are the same bytes.
fn partitions_equal_whole(whole: &Path, merged: &Path, extra: &[&str]) {
    let build = |out: &Path, more: &[&str]| {
        let mut args = vec![
            "build",
            "--out",
            out.to_str().unwrap(),
            "--records-per-shard",
            "1",
            "--quiet",
        ];
        args.extend_from_slice(extra);
        args.extend_from_slice(more);
        run_ok(&args);
    };
    build(whole, &[]);
    let parts = common::tempdir().unwrap();
    let dirs: Vec<PathBuf> = (0..3).map(|k| parts.path().join(format!("part-{k}"))).collect();
    for (k, dir) in dirs.iter().enumerate() {
        build(dir, &["--partition", &format!("{k}/3")]);
        assert!(dir.join("partition.json").exists());
        assert!(!dir.join("manifest.json").exists());
    }
    // Each partition wrote only its shards: global index i with i mod 3 = k.
    let whole_shards = tree(whole).keys().filter(|k| k.contains("-of-")).count();
    let part_shards: usize = dirs
        .iter()
        .map(|d| tree(d).keys().filter(|k| k.contains("-of-")).count())
        .sum();
    assert_eq!(whole_shards, part_shards);
    let mut args = vec!["merge", "--out", merged.to_str().unwrap()];
    // Any order of the partition directories.
    let names: Vec<String> = [2, 0, 1]
        .iter()
        .map(|&k| dirs[k].to_str().unwrap().to_string())
        .collect();
    args.extend(names.iter().map(String::as_str));
    run_ok(&args);
    assert_same_tree(whole, merged);
    check_output(merged);

    // A missing partition, or one of another build, is an error.
    let missing = avfit(&[
        "merge",
        "--out",
        parts.path().join("m").to_str().unwrap(),
        &names[0],
        &names[1],
    ]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("partition 1/3 is missing"));

    // Merging into one of the partitions is refused before anything is touched.
    let before = tree(&dirs[0]);
    let into_part = avfit(&["merge", "--out", &names[1], &names[0], &names[1], &names[2]]);
    assert!(!into_part.status.success());
    assert!(String::from_utf8_lossy(&into_part.stderr).contains("overlaps the partition directory"));
    assert_eq!(tree(&dirs[0]), before);

    // A shard changed in a partition: the merge fails and leaves no shard under a final name.
    let shard = dirs
        .iter()
        .flat_map(|d| tree(d).into_iter().map(move |(k, v)| (d.join(k), v)))
        .find(|(k, v)| k.to_string_lossy().contains("-of-") && !v.is_empty())
        .map(|(k, _)| k)
        .unwrap();
    let mut bytes = std::fs::read(&shard).unwrap();
    bytes[0] = b' ';
    std::fs::write(&shard, bytes).unwrap();
    let failed = parts.path().join("failed");
    let tampered = avfit(&[
        "merge",
        "--out",
        failed.to_str().unwrap(),
        &names[0],
        &names[1],
        &names[2],
    ]);
    assert!(!tampered.status.success());
    assert!(String::from_utf8_lossy(&tampered.stderr).contains("SHA-256"));
    assert!(
        !tree(&failed).keys().any(|k| k.ends_with(".jsonl")),
        "{:?}",
        tree(&failed).keys()
    );
}

#[test]
fn partitions_merge_into_the_bytes_of_a_single_build() {
    partitions_equal_whole(&out_dir("partition-whole"), &out_dir("partition-merged"), &[]);
}

#[test]
fn partitions_with_media_checks_merge_into_the_bytes_of_a_single_build() {
    // Media for the LLP clips only: every other sample fails --check-media, in whichever
    // partition writes its shard, and its rejects line lands in the same place after the merge.
    let media = common::tempdir().unwrap();
    let root = media.path();
    write_wav(&root.join("llp/audios/aaaaaaaaaaa_0_10.wav"), 16_000, 159_200);
    common::write_image(&root.join("llp/frames/aaaaaaaaaaa_0_10_0.5.jpg"), 64, 48);
    common::write_image(&root.join("llp/frames/aaaaaaaaaaa_0_10_1.5.jpg"), 64, 48);
    let whole = out_dir("partition-media-whole");
    partitions_equal_whole(
        &whole,
        &out_dir("partition-media-merged"),
        // AVSBench (judged per frame as it is read) then rejects every row: allowed here.
        &[
            "--media-root",
            root.to_str().unwrap(),
            "--check-media",
            "--allow-all-rejected",
        ],
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(whole.join("manifest.json")).unwrap()).unwrap();
    let rejects = std::fs::read_to_string(whole.join("rejects.jsonl")).unwrap();
    assert_eq!(manifest["rejects_lines"], rejects.lines().count());
    assert!(rejects.lines().any(|l| l.contains("\"missing_media\"")));
    // Shards whose every sample failed its media are empty files, and validate accepts them.
    assert!(tree(&whole).values().any(Vec::is_empty));
    run_ok(&["validate", whole.to_str().unwrap()]);
    // The LLP clip with its WAV and frames: Dog (3 rows) and Speech (1 row) are samples.
    assert_eq!(manifest["counts"]["test/igatl/llp"], 2);
}

/// An Open Images bbox file of `images` images sorted by ImageID (three rows each: two boxes of
/// `/m/a`, one of `/m/b`) with the class descriptions, in `dir`; `extra` rows replace the rows at
/// their 1-based lines. Returns (bbox file, class descriptions).
fn big_openimages(dir: &Path, images: usize, extra: &[(usize, &str)]) -> (PathBuf, PathBuf) {
    let mut lines = vec!["ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsDepiction".to_string()];
    for i in 0..images {
        for (label, x) in [("/m/a", "0.1"), ("/m/b", "0.2"), ("/m/a", "0.3")] {
            lines.push(format!("{i:016x},xclick,{label},1,{x},0.9,0.25,0.75,0"));
        }
    }
    for (line, text) in extra {
        lines[line - 1] = text.to_string();
    }
    std::fs::create_dir_all(dir).unwrap();
    let bbox = dir.join("train-annotations-bbox.csv");
    std::fs::write(&bbox, lines.join("\n") + "\n").unwrap();
    let classes = dir.join("class-descriptions-boxable.csv");
    std::fs::write(&classes, "/m/a,Alarm clock\n/m/b,Bell\n").unwrap();
    (bbox, classes)
}

/// `avfit convert --source openimages` of `inputs` into `out` with `--threads threads`, the bbox
/// file read in chunks of `chunk` bytes (`None`: the default, one chunk for these files) on a
/// global pool of `pool` threads. Returns the process output.
fn openimages_convert(
    inputs: &(PathBuf, PathBuf),
    out: &Path,
    threads: &str,
    chunk: Option<&str>,
    pool: &str,
) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_avfit"));
    command
        .args(["convert", "--source", "openimages", "--input"])
        .arg(&inputs.0)
        .arg("--input")
        .arg(&inputs.1)
        .arg("--out")
        .arg(out)
        .args(["--records-per-shard", "700", "--threads", threads, "--quiet"])
        .env("RAYON_NUM_THREADS", pool)
        .current_dir(repo());
    match chunk {
        Some(bytes) => command.env("AVFIT_READ_CHUNK_BYTES", bytes),
        None => command.env_remove("AVFIT_READ_CHUNK_BYTES"),
    };
    command.output().unwrap()
}

/// The Open Images bbox file is parsed in chunks on every core: 3,000 rows cut into chunks of
/// 300 bytes (about 6 rows) give the bytes of a read in one chunk on one thread, with a bad box
/// and a row that is not UTF-8 in later chunks rejected at their own lines.
#[test]
fn chunked_bbox_reading_gives_the_bytes_of_one_chunk() {
    let dir = common::tempdir().unwrap();
    let bad_box = "00000000000001f3,xclick,/m/a,1,0.5,1.5,0.25,0.75,0"; // XMax 1.5
    let inputs = big_openimages(dir.path(), 1000, &[(1500, bad_box)]);
    // Line 2900 not UTF-8 (a Latin-1 byte in the Source field).
    let mut bytes = std::fs::read(&inputs.0).unwrap();
    let start = bytes
        .split(|&b| b == b'\n')
        .take(2899)
        .map(|l| l.len() + 1)
        .sum::<usize>();
    bytes[start + 17] = 0xe9;
    std::fs::write(&inputs.0, &bytes).unwrap();
    let serial = out_dir("oi-chunks-serial");
    let out = openimages_convert(&inputs, &serial, "1", None, "1");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for (name, threads, pool) in [("oi-chunks-1", "1", "1"), ("oi-chunks-4", "4", "4")] {
        let chunked = out_dir(name);
        let out = openimages_convert(&inputs, &chunked, threads, Some("300"), pool);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_same_tree(&serial, &chunked);
    }
    let rejects = std::fs::read_to_string(serial.join("rejects.jsonl")).unwrap();
    let lines: Vec<u64> = rejects
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["line"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(lines, [1500, 2900]);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(serial.join("manifest.json")).unwrap()).unwrap();
    let stats = &manifest["sources"]["openimages"];
    assert_eq!(
        (
            stats["read"].as_u64(),
            stats["used"].as_u64(),
            stats["rejected"].as_u64()
        ),
        (Some(3000), Some(2998), Some(2))
    );
    // 1000 images x 2 classes, but image 499 lost its only /m/b box to the bad row.
    assert_eq!(manifest["counts"]["train/arig/openimages"], 1999);
}

/// An ImageID out of sorted order in a later chunk stops the run with the path and its line,
/// chunked or not.
#[test]
fn an_unsorted_image_in_a_later_chunk_names_its_line() {
    let dir = common::tempdir().unwrap();
    let early = "0000000000000005,xclick,/m/b,1,0.2,0.9,0.25,0.75,0";
    let inputs = big_openimages(dir.path(), 200, &[(400, early)]);
    for (name, chunk, pool) in [("oi-unsorted-1", None, "1"), ("oi-unsorted-4", Some("200"), "4")] {
        let out = openimages_convert(&inputs, &out_dir(name), "2", chunk, pool);
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!(
                "avfit: {}:400: ImageID 0000000000000005 after 0000000000000084: expected the rows sorted by ImageID, as Open Images distributes them (sort the file by its first column)\n",
                inputs.0.display()
            ),
            "{name}"
        );
    }
}
