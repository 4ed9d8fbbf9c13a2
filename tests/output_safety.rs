//! The output side under misuse (issue 11): avfit removes or overwrites only what it can prove it
//! wrote, one run at a time per output directory, absurd arguments refused at parse time, a
//! failed final phase that `--resume` completes, and `merge` and `validate` that check what they
//! are given.

mod common;

use common::{avfit, avfit_ok, check_output};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every file below `dir` (links not followed) with its bytes; a symbolic link as `-> target`.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| !e.file_type().is_dir())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            let bytes = if e.file_type().is_symlink() {
                format!("-> {}", std::fs::read_link(e.path()).unwrap().display()).into_bytes()
            } else {
                std::fs::read(e.path()).unwrap()
            };
            (rel, bytes)
        })
        .collect()
}

fn build_args(out: &Path) -> Vec<String> {
    ["build", "--out", out.to_str().unwrap(), "--quiet"]
        .map(String::from)
        .to_vec()
}

fn run(args: &[String]) -> std::process::Output {
    avfit(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The refusal line for a path avfit did not write.
fn refusal(path: &Path, why: &str) -> String {
    format!(
        "avfit: {}: not written by avfit ({why}); avfit removes and overwrites only its own files: move it away or choose another --out\n",
        path.display()
    )
}

const UNLISTED: &str = "no manifest.json, build.journal or partition.json of avfit here names it";

#[test]
fn user_files_at_every_output_path_are_never_removed_or_overwritten() {
    let tmp = common::tempdir().unwrap();
    // Every path a sample build writes, learnt from one.
    let reference = tmp.path().join("reference");
    avfit_ok(&build_args(&reference).iter().map(String::as_str).collect::<Vec<_>>());
    let shards: Vec<String> = tree(&reference).into_keys().filter(|k| k.contains("-of-")).collect();
    assert_eq!(shards.len() as u64, common::sample_figures().shards);
    let mut cases: Vec<(String, &str, String)> = vec![
        // (path of the user's file, its content, why it is refused)
        ("train/images/cat.jpg".into(), "a photo", UNLISTED.into()),
        ("test/notes.txt".into(), "my notes", UNLISTED.into()),
        ("rejects.jsonl".into(), "{\"mine\":1}\n", UNLISTED.into()),
        (
            "manifest.json".into(),
            "{\"name\": \"my dataset\"}\n",
            "no \"tool\": \"avfit\" in it".into(),
        ),
        ("manifest.json".into(), "not json", "not a JSON object".into()),
        ("build.journal".into(), "my log\n", "not an avfit build journal".into()),
        (
            "partition.json".into(),
            "{\"partition\": \"mine\"}",
            "not the partition.json of `avfit build --partition`".into(),
        ),
        ("README.md".into(), "# My dataset\n", UNLISTED.into()),
        (
            ".avfit.lock".into(),
            "my lock notes\n",
            "it holds something other than an avfit pid".into(),
        ),
        (
            "train/arig/avsbench-00000.jsonl.partial".into(),
            "draft",
            "a .partial file that no interrupted avfit run of this directory names".into(),
        ),
    ];
    cases.extend(
        shards
            .iter()
            .map(|s| (s.clone(), "{\"id\":\"mine\"}\n", UNLISTED.to_string())),
    );
    for (i, (rel, content, why)) in cases.iter().enumerate() {
        let user = tmp.path().join(format!("user-{i}"));
        let file = user.join(rel);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, content).unwrap();
        let before = tree(&user);
        for args in [
            build_args(&user),
            ["convert", "--source", "vggss", "--input", "tests/data/vggss", "--out"]
                .map(String::from)
                .into_iter()
                .chain([user.display().to_string(), "--quiet".into()])
                .collect(),
        ] {
            let out = run(&args);
            assert_eq!(out.status.code(), Some(1), "{rel}");
            assert_eq!(stderr(&out), refusal(&file, why), "{rel}");
            // Nothing removed or changed; only the (empty) lock file may have been added.
            let mut after = tree(&user);
            if rel != ".avfit.lock" {
                assert_eq!(after.remove(".avfit.lock"), Some(Vec::new()), "{rel}");
            }
            assert_eq!(after, before, "{rel}");
        }
    }
}

#[test]
fn a_user_file_dropped_into_a_corpus_stops_the_rebuild_and_the_corpus_stays() {
    let tmp = common::tempdir().unwrap();
    let out = tmp.path().join("corpus");
    let args = build_args(&out);
    avfit_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    // An avfit corpus, with an empty directory of the user's: rebuilt, the empty directory gone.
    std::fs::create_dir_all(out.join("train/empty")).unwrap();
    avfit_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!out.join("train/empty").exists());
    let corpus = tree(&out);
    // The example: an image under train/ is named, nothing is removed.
    let cat = out.join("train/images/cat.jpg");
    std::fs::create_dir_all(cat.parent().unwrap()).unwrap();
    std::fs::write(&cat, "x\n").unwrap();
    let refused = run(&args);
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(stderr(&refused), refusal(&cat, UNLISTED));
    let mut after = tree(&out);
    assert_eq!(after.remove("train/images/cat.jpg"), Some(b"x\n".to_vec()));
    assert_eq!(after, corpus);
    std::fs::remove_file(&cat).unwrap();
    // A shard edited after the build is no longer avfit's to remove.
    let shard = out.join("test/arig/vggss-00000-of-00002.jsonl");
    let mut bytes = std::fs::read(&shard).unwrap();
    bytes.extend_from_slice(b"{\"id\":\"my own sample\"}\n");
    std::fs::write(&shard, &bytes).unwrap();
    let refused = run(&args);
    assert_eq!(
        stderr(&refused),
        refusal(&shard, "its size or SHA-256 differs from what avfit recorded for it")
    );
    assert_eq!(std::fs::read(&shard).unwrap(), bytes);
    // A symbolic link in the corpus is never followed nor removed.
    std::fs::write(&shard, &corpus["test/arig/vggss-00000-of-00002.jsonl"]).unwrap();
    let link = out.join("test/arig/vggss-00009-of-00009.jsonl");
    std::os::unix::fs::symlink(tmp.path().join("elsewhere.jsonl"), &link).unwrap();
    let refused = run(&args);
    assert_eq!(stderr(&refused), refusal(&link, "a symbolic link or special file"));
    assert!(std::fs::symlink_metadata(&link).is_ok());
}

#[test]
fn a_second_run_on_a_locked_directory_is_refused_with_the_holders_pid() {
    let tmp = common::tempdir().unwrap();
    let out = tmp.path().join("corpus");
    std::fs::create_dir_all(&out).unwrap();
    let lock_path = out.join(".avfit.lock");
    let mut held = std::fs::File::create(&lock_path).unwrap();
    held.try_lock().unwrap();
    std::io::Write::write_all(&mut held, b"4242\n").unwrap();
    let locked = format!(
        "avfit: {}: locked by another avfit run (pid 4242); wait for it to finish or choose another --out\n",
        out.display()
    );
    let refused = run(&build_args(&out));
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(stderr(&refused), locked);
    let convert = avfit(&[
        "convert",
        "--source",
        "vggss",
        "--input",
        "tests/data/vggss",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(stderr(&convert), locked);
    // merge takes the lock before it touches its --out (the partitions need not exist for this:
    // it reads them first, so give it real ones).
    let parts: Vec<PathBuf> = (0..2).map(|k| tmp.path().join(format!("p{k}"))).collect();
    for (k, p) in parts.iter().enumerate() {
        let mut args = build_args(p);
        args.extend(["--partition".into(), format!("{k}/2")]);
        avfit_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    }
    let merge = avfit(&[
        "merge",
        "--out",
        out.to_str().unwrap(),
        parts[0].to_str().unwrap(),
        parts[1].to_str().unwrap(),
    ]);
    assert_eq!(stderr(&merge), locked);
    assert_eq!(
        tree(&out),
        BTreeMap::from([(".avfit.lock".to_string(), b"4242\n".to_vec())])
    );
    // Released: the next run goes ahead, and leaves the lock file empty.
    drop(held);
    avfit_ok(&build_args(&out).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(std::fs::read(&lock_path).unwrap(), b"");
    check_output(&out);
}

#[test]
fn a_lock_holder_that_dies_releases_the_directory() {
    let tmp = common::tempdir().unwrap();
    let out = tmp.path().join("corpus");
    std::fs::create_dir_all(&out).unwrap();
    let lock = out.join(".avfit.lock");
    // flock(1) holds the lock (`-o`: not passed on to its command), then is killed with SIGKILL.
    let mut holder = std::process::Command::new("flock")
        .arg("-o")
        .arg(&lock)
        .args(["sleep", "5"])
        .spawn()
        .expect("flock(1) from util-linux");
    let start = std::time::Instant::now();
    loop {
        let probe = std::fs::File::open(&lock).ok();
        if probe.is_some_and(|f| f.try_lock().is_err()) {
            break;
        }
        assert!(start.elapsed().as_secs() < 10, "flock never took the lock");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let refused = run(&build_args(&out));
    assert_eq!(
        stderr(&refused),
        format!(
            "avfit: {}: locked by another avfit run; wait for it to finish or choose another --out\n",
            out.display()
        )
    );
    holder.kill().unwrap();
    holder.wait().unwrap();
    avfit_ok(&build_args(&out).iter().map(String::as_str).collect::<Vec<_>>());
}

/// The first line of stderr.
fn first_line(out: &std::process::Output) -> String {
    stderr(out).lines().next().unwrap_or_default().to_string()
}

#[test]
fn absurd_arguments_are_refused_at_parse_time_naming_the_flag_and_limit() {
    let out = common::tempdir().unwrap();
    let out = out.path().join("never");
    let o = out.to_str().unwrap();
    let partition = avfit(&["build", "--out", o, "--partition", "0/18446744073709551615"]);
    assert_eq!(partition.status.code(), Some(2));
    assert_eq!(
        first_line(&partition),
        "error: invalid value '0/18446744073709551615' for '--partition <K/N>': `0/18446744073709551615`: expected K/N with 0 <= K < N <= 100000, as 0/4"
    );
    let partition = avfit(&["build", "--out", o, "--partition", "3/100001"]);
    assert_eq!(
        first_line(&partition),
        "error: invalid value '3/100001' for '--partition <K/N>': `3/100001`: expected K/N with 0 <= K < N <= 100000, as 0/4"
    );
    let threads = avfit(&["build", "--out", o, "--threads", "10000"]);
    assert_eq!(threads.status.code(), Some(2));
    assert_eq!(
        first_line(&threads),
        "error: invalid value '10000' for '--threads <N>': 10000 is not in 0..=1024"
    );
    let shard = avfit(&[
        "convert",
        "--source",
        "vggss",
        "--input",
        "tests/data/vggss",
        "--out",
        o,
        "--records-per-shard",
        "0",
    ]);
    assert_eq!(shard.status.code(), Some(2));
    assert_eq!(
        first_line(&shard),
        "error: invalid value '0' for '--records-per-shard <N>': a shard holds at least 1 record"
    );
    assert!(!out.exists(), "nothing is created for a refused command line");
    // The largest values are accepted, and the limits are in --help.
    let help = String::from_utf8_lossy(&avfit_ok(&["build", "--help"]).stdout).into_owned();
    assert!(help.contains("0 <= K < N <= 100000"), "{help}");
    assert!(help.contains("at most 1024"), "{help}");
    assert!(help.contains("at least 1"), "{help}");
    let edge = common::tempdir().unwrap();
    let edge_out = edge.path().join("edge");
    avfit_ok(&[
        "convert",
        "--source",
        "vggss",
        "--input",
        "tests/data/vggss",
        "--out",
        edge_out.to_str().unwrap(),
        "--threads",
        "1024",
        "--partition",
        "99999/100000",
        "--quiet",
    ]);
    assert!(edge_out.join("partition.json").is_file());
}

#[test]
fn a_disk_full_while_finishing_leaves_no_final_name_and_resume_completes_it() {
    let tmp = common::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    avfit_ok(&build_args(&whole).iter().map(String::as_str).collect::<Vec<_>>());
    for (file, partial) in [
        ("rejects.jsonl", "rejects.jsonl.partial"),
        ("manifest.json", "manifest.json.partial"),
    ] {
        let out = tmp.path().join(format!("full-{file}"));
        let failed = std::process::Command::new(env!("CARGO_BIN_EXE_avfit"))
            .args(build_args(&out))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("AVFIT_FAIL_WRITE", file)
            .output()
            .unwrap();
        assert_eq!(failed.status.code(), Some(1));
        assert_eq!(
            stderr(&failed),
            format!(
                "avfit: {}: No space left on device (os error 28)\n",
                out.join(partial).display()
            )
        );
        // What a failed final phase leaves: the journal and every shard under its complete
        // name, nothing under a final name, no rejects.jsonl, no manifest, no .partial file.
        let left = tree(&out);
        let journal = String::from_utf8(left["build.journal"].clone()).unwrap();
        assert_eq!(
            journal.lines().count() as u64,
            1 + common::sample_figures().shards,
            "the header and every shard"
        );
        let names: Vec<&String> = left.keys().collect();
        assert!(
            names.iter().all(|k| !k.contains("-of-") && !k.ends_with(".partial")),
            "{names:?}"
        );
        assert!(!out.join("manifest.json").exists() && !out.join("rejects.jsonl").exists());
        assert_eq!(
            left.keys().filter(|k| k.ends_with(".jsonl")).count() as u64,
            common::sample_figures().shards
        );
        assert_eq!(left[".avfit.lock"], b"");
        // --resume keeps every shard and ends with the bytes of an uninterrupted build.
        let mut args = build_args(&out);
        args.push("--resume".into());
        avfit_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(tree(&out), tree(&whole), "{file}");
    }
}

#[test]
fn merge_checks_the_rejects_file_it_copies() {
    let tmp = common::tempdir().unwrap();
    let parts: Vec<PathBuf> = (0..2).map(|k| tmp.path().join(format!("p{k}"))).collect();
    for (k, p) in parts.iter().enumerate() {
        let mut args = build_args(p);
        args.extend(["--partition".into(), format!("{k}/2")]);
        avfit_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    }
    let partition: serde_json::Value =
        serde_json::from_slice(&std::fs::read(parts[0].join("partition.json")).unwrap()).unwrap();
    let rejects = parts[0].join("rejects.jsonl");
    let bytes = std::fs::read(&rejects).unwrap();
    assert_eq!(partition["files"][0]["path"], "rejects.jsonl");
    assert_eq!(partition["files"][0]["bytes"], bytes.len());
    // Truncated by one line.
    let text = String::from_utf8(bytes.clone()).unwrap();
    let cut: String = text
        .lines()
        .take(common::sample_figures().rejects_lines as usize - 1)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&rejects, &cut).unwrap();
    let out = tmp.path().join("merged");
    let args: Vec<&str> = vec![
        "merge",
        "--out",
        out.to_str().unwrap(),
        parts[0].to_str().unwrap(),
        parts[1].to_str().unwrap(),
    ];
    let failed = avfit(&args);
    assert_eq!(failed.status.code(), Some(1));
    use sha2::Digest;
    assert_eq!(
        stderr(&failed),
        format!(
            "avfit: {}: expected {} bytes with SHA-256 {} as its partition.json says; found {} bytes, {:x}\n",
            rejects.display(),
            bytes.len(),
            partition["files"][0]["sha256"].as_str().unwrap(),
            cut.len(),
            sha2::Sha256::digest(cut.as_bytes())
        )
    );
    assert!(!out.join("manifest.json").exists());
    assert!(!tree(&out).keys().any(|k| k.contains("-of-") || k == "rejects.jsonl"));
    // Restored, the merge goes through, over what the failed one left.
    std::fs::write(&rejects, &bytes).unwrap();
    avfit_ok(&args);
    check_output(&out);
}

/// Validates `dir`; returns (exit code, stdout).
fn validate(dir: &Path) -> (Option<i32>, String) {
    let out = avfit(&["validate", dir.to_str().unwrap()]);
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn validate_checks_rejects_counts_and_files_under_the_split_directories() {
    let tmp = common::tempdir().unwrap();
    let out = tmp.path().join("corpus");
    avfit_ok(&build_args(&out).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        validate(&out),
        (
            Some(0),
            format!(
                "{}: {} lines, 0 problems\n",
                out.display(),
                common::sample_figures().samples
            )
        )
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    // A truncated rejects.jsonl.
    let rejects = out.join("rejects.jsonl");
    let bytes = std::fs::read(&rejects).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let cut: String = text
        .lines()
        .take(common::sample_figures().rejects_lines as usize - 1)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&rejects, &cut).unwrap();
    use sha2::Digest;
    assert_eq!(
        validate(&out),
        (
            Some(1),
            format!(
                "manifest_mismatch: 2\n  rejects.jsonl:0: manifest.json says {} bytes, sha256 {}; the file has {}, {:x}\n  rejects.jsonl:0: manifest.json says {rejects} lines; the file has {cut_lines}\n{}: {samples} lines, 2 problems\n",
                bytes.len(),
                manifest["files"][0]["sha256"].as_str().unwrap(),
                cut.len(),
                sha2::Sha256::digest(cut.as_bytes()),
                out.display(),
                rejects = common::sample_figures().rejects_lines,
                cut_lines = common::sample_figures().rejects_lines - 1,
                samples = common::sample_figures().samples
            )
        )
    );
    std::fs::write(&rejects, &bytes).unwrap();
    // An edited counts map.
    let mut edited = manifest.clone();
    edited["counts"]["test/arig/vggss"] = 4.into();
    std::fs::write(out.join("manifest.json"), serde_json::to_vec_pretty(&edited).unwrap()).unwrap();
    assert_eq!(
        validate(&out),
        (
            Some(1),
            format!(
                "manifest_mismatch: 1\n  manifest.json:{}: counts.test/arig/vggss: manifest.json says 4, the shards hold 3\n{}: {} lines, 1 problem\n",
                // The line of the entry in the counts map (after "expected" names the same key).
                {
                    let text = serde_json::to_string_pretty(&edited).unwrap();
                    let counts = text.lines().position(|l| l == "  \"counts\": {").unwrap();
                    counts + text.lines().skip(counts).position(|l| l.trim_start().starts_with("\"test/arig/vggss\"")).unwrap() + 1
                },
                out.display(),
                common::sample_figures().samples
            )
        )
    );
    std::fs::write(out.join("manifest.json"), serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
    // A symbolic link to an extra shard, and a stray file.
    let extra = tmp.path().join("extra.jsonl");
    std::fs::copy(out.join("test/arig/vggss-00000-of-00002.jsonl"), &extra).unwrap();
    std::os::unix::fs::symlink(&extra, out.join("test/arig/vggss-00002-of-00002.jsonl")).unwrap();
    std::fs::write(out.join("train/notes.txt"), "x").unwrap();
    assert_eq!(
        validate(&out),
        (
            Some(1),
            format!(
                "unexpected_file: 2\n  test/arig/vggss-00002-of-00002.jsonl:0: a symbolic link; a corpus holds only the regular files manifest.json lists\n  train/notes.txt:0: not a file manifest.json lists or avfit writes\n{}: {} lines, 2 problems\n",
                out.display(),
                common::sample_figures().samples
            )
        )
    );
}

#[test]
fn synth_clears_only_the_files_its_listing_names() {
    let tmp = common::tempdir().unwrap();
    let dir = tmp.path().join("inputs");
    let synth = || avfit(&["synth", "--scale", "0.001", "--out", dir.to_str().unwrap()]);
    assert!(synth().status.success());
    let first = tree(&dir);
    let listing = String::from_utf8(first["synth.sha256"].clone()).unwrap();
    assert_eq!(listing.lines().count(), first.len() - 1, "every other file is listed");
    // A user's file inside an earlier synth output: named, nothing removed.
    let mine = dir.join("vggss/mine.txt");
    std::fs::write(&mine, "keep").unwrap();
    let refused = synth();
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(
        stderr(&refused),
        format!(
            "avfit: {}: not written by avfit (the synth.sha256 of an earlier `avfit synth` here does not name it); avfit removes and overwrites only its own files: move it away or choose another --out\n",
            mine.display()
        )
    );
    let mut after = tree(&dir);
    assert_eq!(after.remove("vggss/mine.txt"), Some(b"keep".to_vec()));
    assert_eq!(after, first);
    std::fs::remove_file(&mine).unwrap();
    assert!(synth().status.success());
    assert_eq!(tree(&dir), first);
}

/// (exit code, stdout, stderr) of `avfit args`.
fn outcome(args: &[&str]) -> (Option<i32>, String, String) {
    let out = avfit(args);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr(&out),
    )
}

/// The names directly in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn report_files_replace_only_earlier_reports_of_the_same_command() {
    let tmp = common::tempdir().unwrap();
    let c = tmp.path().join("c");
    avfit_ok(&build_args(&c).iter().map(String::as_str).collect::<Vec<_>>());
    let corpus = tree(&c);
    let cs = c.to_str().unwrap();
    let canonical = c.canonicalize().unwrap();
    let p = |name: &str| tmp.path().join(name);
    let s = |path: &Path| path.to_str().unwrap().to_string();
    // A corpus's own files, whatever the command: refused before computing (no stdout).
    let shard = c.join("test/arig/avsbench-00000-of-00001.jsonl");
    for (command, flag, target, rel) in [
        ("stats", "--json", c.join("manifest.json"), "manifest.json"),
        ("stats", "--html", c.join("rejects.jsonl"), "rejects.jsonl"),
        (
            "media",
            "--list",
            shard.clone(),
            "test/arig/avsbench-00000-of-00001.jsonl",
        ),
        ("stats", "--json", c.join(".avfit.lock"), ".avfit.lock"),
        ("media", "--list", c.join("build.journal"), "build.journal"),
    ] {
        assert_eq!(
            outcome(&[command, cs, flag, &s(&target)]),
            (
                Some(1),
                String::new(),
                format!(
                    "avfit: {}: `{rel}` of the avfit output directory {}, which avfit never replaces with a report; choose another file\n",
                    target.display(),
                    canonical.display()
                )
            ),
            "{command} {flag} {rel}"
        );
    }
    assert_eq!(tree(&c), corpus, "the corpus is untouched");
    // A symbolic link (to a user's file), a directory, a missing directory.
    std::fs::write(p("mine.txt"), "mine\n").unwrap();
    std::os::unix::fs::symlink(p("mine.txt"), p("link")).unwrap();
    let refused = |target: &Path, why: &str| {
        (
            Some(1),
            String::new(),
            format!("avfit: {}: {why}; choose another file\n", target.display()),
        )
    };
    assert_eq!(
        outcome(&["stats", cs, "--html", &s(&p("link"))]),
        refused(&p("link"), "a symbolic link, which avfit never writes through")
    );
    assert_eq!(
        outcome(&["stats", cs, "--json", &s(&c.join("train"))]),
        refused(&c.join("train"), "a directory")
    );
    assert_eq!(
        outcome(&["media", cs, "--list", &s(&p("nodir/list.csv"))]),
        refused(
            &p("nodir/list.csv"),
            &format!("its directory {} does not exist", p("nodir").display())
        )
    );
    // A user's file, and files of another tool that look alike.
    std::fs::write(p("other.json"), "{\"tool\": \"other\"}\n").unwrap();
    std::fs::write(
        p("other.html"),
        "<html><head><meta name=\"generator\" content=\"hugo\">",
    )
    .unwrap();
    std::fs::write(p("other.csv"), "path,kind\n").unwrap();
    for (command, flag, name, what) in [
        ("stats", "--json", "mine.txt", "avfit stats --json"),
        ("stats", "--html", "mine.txt", "avfit stats --html"),
        ("media", "--list", "mine.txt", "avfit media list"),
        ("stats", "--json", "other.json", "avfit stats --json"),
        ("stats", "--html", "other.html", "avfit stats --html"),
        ("media", "--list", "other.csv", "avfit media list"),
    ] {
        assert_eq!(
            outcome(&[command, cs, flag, &s(&p(name))]),
            refused(
                &p(name),
                &format!("exists and is not an earlier output of `{what}` (avfit overwrites only its own outputs)")
            ),
            "{command} {flag} {name}"
        );
    }
    assert_eq!(std::fs::read_to_string(p("mine.txt")).unwrap(), "mine\n");
    assert_eq!(std::fs::read_to_string(p("other.csv")).unwrap(), "path,kind\n");
    // Earlier outputs of the same command are replaced; no temporary file is left.
    for _ in 0..2 {
        avfit_ok(&["stats", cs, "--json", &s(&p("s.json")), "--html", &s(&p("r.html"))]);
        avfit_ok(&["media", cs, "--list", &s(&p("list.csv"))]);
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(p("s.json")).unwrap()).unwrap();
    assert_eq!(
        (&json["tool"], &json["samples"]),
        (&"avfit stats".into(), &common::sample_figures().samples.into())
    );
    let html = std::fs::read_to_string(p("r.html")).unwrap();
    assert!(html.starts_with(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"generator\" content=\"avfit stats\">\n"
    ));
    let list = std::fs::read_to_string(p("list.csv")).unwrap();
    assert_eq!(
        list.lines().next(),
        Some("path,kind,dataset,youtube_id,media_id,clip_start,clip_end,frame_time,file")
    );
    assert_eq!(
        list.lines().count() as u64,
        1 + common::sample_figures().media_files,
        "the header and every media file"
    );
    assert_eq!(
        names(tmp.path()),
        [
            "c",
            "link",
            "list.csv",
            "mine.txt",
            "other.csv",
            "other.html",
            "other.json",
            "r.html",
            "s.json"
        ]
    );
    assert_eq!(tree(&c), corpus, "the corpus is untouched");
}

#[test]
fn merge_checks_the_reading_rejects_against_the_plan_of_every_partition() {
    use sha2::Digest;
    let tmp = common::tempdir().unwrap();
    let parts: Vec<PathBuf> = (0..2).map(|k| tmp.path().join(format!("p{k}"))).collect();
    for (k, p) in parts.iter().enumerate() {
        let mut args = build_args(p);
        args.extend(["--partition".into(), format!("{k}/2")]);
        avfit_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    }
    // One reading reject of p0 edited, and p0's own record of the file updated to match.
    let rejects = parts[0].join("rejects.jsonl");
    let text = std::fs::read_to_string(&rejects).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut first: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    first["detail"] = "edited".into();
    lines[0] = serde_json::to_string(&first).unwrap();
    let edited: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&rejects, &edited).unwrap();
    let partition_path = parts[0].join("partition.json");
    let mut partition: serde_json::Value = serde_json::from_slice(&std::fs::read(&partition_path).unwrap()).unwrap();
    partition["files"][0]["bytes"] = edited.len().into();
    partition["files"][0]["sha256"] = format!("{:x}", sha2::Sha256::digest(edited.as_bytes())).into();
    std::fs::write(&partition_path, serde_json::to_vec_pretty(&partition).unwrap()).unwrap();
    let plan_lines = partition["plan"]["plan_rejects_lines"].as_u64().unwrap() as usize;
    assert_eq!(plan_lines as u64, common::sample_figures().rejects_lines);
    let plan_part: String = lines[..plan_lines].iter().map(|l| format!("{l}\n")).collect();
    let out = tmp.path().join("merged");
    let failed = avfit(&[
        "merge",
        "--out",
        out.to_str().unwrap(),
        parts[0].to_str().unwrap(),
        parts[1].to_str().unwrap(),
    ]);
    assert_eq!(failed.status.code(), Some(1));
    assert_eq!(
        stderr(&failed),
        format!(
            "avfit: {}: expected its first {plan_lines} lines (the rejects found while reading) to have SHA-256 {} as the plan of every partition says; found {:x}\n",
            rejects.display(),
            partition["plan"]["plan_rejects_sha256"].as_str().unwrap(),
            sha2::Sha256::digest(plan_part.as_bytes())
        )
    );
    assert!(!out.join("manifest.json").exists());
    assert!(!out.join("rejects.jsonl").exists());
}

#[test]
fn a_closed_stdout_ends_every_printing_command_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let tmp = common::tempdir().unwrap();
    let c = tmp.path().join("c");
    avfit_ok(&build_args(&c).iter().map(String::as_str).collect::<Vec<_>>());
    let cs = c.to_str().unwrap();
    for args in [
        vec!["validate", cs],
        vec!["stats", cs],
        vec!["sources"],
        vec!["media", cs, "--list", tmp.path().join("l.csv").to_str().unwrap()],
    ] {
        // `| head -0`: the reading end is closed before avfit writes.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_avfit"))
            .args(&args)
            .stdout(writer)
            .output()
            .unwrap();
        assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?}");
    }
}

#[test]
fn check_media_help_names_images_audio_and_videos() {
    for command in ["build", "convert"] {
        let help = String::from_utf8(avfit_ok(&[command, "--help"]).stdout).unwrap();
        assert!(
            help.contains(
                "--check-media\n          Reject samples whose image, audio or video under --media-root is missing or unreadable (image and WAV headers read; a video's container header matches its extension)\n"
            ),
            "{help}"
        );
    }
}

/// A build of many small shards under a low `ulimit -n` (96 open files): completed shards wait
/// for their sync a bounded number at a time, so the run neither fails with "Too many open
/// files" (573 one-record shards held an open file each while the disk synced them) nor writes
/// other bytes than without the limit.
#[test]
fn many_small_shards_build_under_a_low_open_file_limit() {
    let tmp = common::tempdir().unwrap();
    let synth = tmp.path().join("synth");
    avfit_ok(&["synth", "--scale", "0.01", "--out", synth.to_str().unwrap()]);
    let manifest = tmp.path().join("avqa.toml");
    std::fs::write(
        &manifest,
        "records_per_shard = 1\n[[source]]\nname = \"avqa\"\ninputs = [\"synth/avqa\"]\n",
    )
    .unwrap();
    let build = |out: &Path, limit: &str| {
        std::process::Command::new("sh")
            .args(["-c", &format!("{limit} exec \"$0\" \"$@\"")])
            .arg(env!("CARGO_BIN_EXE_avfit"))
            .args(["build", "--quiet", "--manifest", manifest.to_str().unwrap()])
            .args(["--out", out.to_str().unwrap()])
            .output()
            .unwrap()
    };
    let (free, limited) = (tmp.path().join("free"), tmp.path().join("limited"));
    let out = build(&free, "");
    assert!(out.status.success(), "{}", stderr(&out));
    let out = build(&limited, "ulimit -n 96 &&");
    assert!(out.status.success(), "{}", stderr(&out));
    let tree = tree(&limited);
    let shards = tree.keys().filter(|k| k.ends_with(".jsonl") && k.contains("/avqa/"));
    assert_eq!(shards.count(), 573);
    assert!(tree == self::tree(&free));
}

/// A direct source that fails partway (its JSON cut short) still has every record it read before
/// the failure planned, as when one thread read everything: with one record per shard, the failed
/// build leaves the completed shards, under their names and with their bytes, that a build of
/// only those elements writes (what `--resume` keeps).
#[test]
fn a_direct_source_that_fails_partway_keeps_the_shards_of_what_it_read() {
    let tmp = common::tempdir().unwrap();
    let qa: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(common::data("avqa/train_qa.json")).unwrap()).unwrap();
    assert_eq!(qa.len(), 4);
    let elements = serde_json::to_string(&qa[..3]).unwrap();
    let whole = tmp.path().join("whole");
    std::fs::create_dir_all(&whole).unwrap();
    std::fs::write(whole.join("train_qa.json"), &elements).unwrap();
    let cut = tmp.path().join("cut");
    std::fs::create_dir_all(&cut).unwrap();
    // The three elements, then a fourth cut short: the array never closes.
    let broken = format!("{}, {{\"id\": 9, \"video_na", elements.trim_end_matches(']'));
    std::fs::write(cut.join("train_qa.json"), broken).unwrap();
    let build = |input: &Path, out: &Path| {
        let manifest = tmp
            .path()
            .join(format!("{}.toml", input.file_name().unwrap().to_str().unwrap()));
        std::fs::write(
            &manifest,
            format!(
                "records_per_shard = 1\n[[source]]\nname = \"avqa\"\ninputs = [{:?}]\n",
                input.join("train_qa.json")
            ),
        )
        .unwrap();
        std::process::Command::new(env!("CARGO_BIN_EXE_avfit"))
            .args(["build", "--quiet", "--manifest", manifest.to_str().unwrap()])
            .args(["--out", out.to_str().unwrap()])
            .output()
            .unwrap()
    };
    let (done, failed) = (tmp.path().join("done"), tmp.path().join("failed"));
    let out = build(&whole, &done);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = build(&cut, &failed);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("train_qa.json"), "{}", stderr(&out));
    let shards = |dir: &Path| -> BTreeMap<String, Vec<u8>> {
        tree(dir)
            .into_iter()
            .filter(|(k, _)| k.ends_with(".jsonl") && k.contains("/avqa/"))
            .collect()
    };
    let (kept, expected) = (shards(&failed), shards(&done));
    // The sample's third element answers with a null choice: a reject, not a shard.
    assert_eq!(expected.len(), 2);
    // Final shard names carry the total (`-of-N`), which a failed run never learns: compare stems.
    let stems = |m: &BTreeMap<String, Vec<u8>>| -> Vec<(String, Vec<u8>)> {
        m.iter()
            .map(|(k, v)| {
                (
                    k.split("-of-").next().unwrap().trim_end_matches(".jsonl").to_string(),
                    v.clone(),
                )
            })
            .collect()
    };
    assert_eq!(stems(&kept), stems(&expected));
}
