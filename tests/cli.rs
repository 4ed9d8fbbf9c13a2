//! The command line end to end: the sample build, determinism, dialects, and clear failures
//! that leave no half-written output.

mod common;

use common::{avfit, avfit_ok, check_output, out_dir, sample, samples, walk};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

fn build(out: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["build", "--out", out.to_str().unwrap(), "--quiet"];
    args.extend(extra);
    avfit_ok(&args);
    check_output(out);
    serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap()
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walk(dir)
        .into_iter()
        .map(|p| {
            (
                p.strip_prefix(dir).unwrap().display().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn sample_build_meets_its_expected_counts_and_reconciles() {
    let out = out_dir("sample-build");
    let m = build(&out, &[]);
    assert_eq!(m["counts"], m["expected"]);
    assert_eq!(m["counts"]["train/avqa/music_avqa"], 3);
    assert_eq!(m["dialect"], "meerkat");
    assert_eq!(m["seed"], 0);
    for name in m["sources"].as_object().unwrap().keys() {
        common::assert_reconciles(&m, name);
    }
    // records_per_shard = 2 in manifests/sample.toml: 3 VGG-SS samples make two shards.
    assert!(out.join("test/arig/vggss-00000-of-00002.jsonl").is_file());
    assert!(out.join("test/arig/vggss-00001-of-00002.jsonl").is_file());
    let figures = common::sample_figures();
    assert_eq!(m["rejects_lines"], figures.rejects_lines);
    let total: u64 = m["shards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["records"].as_u64().unwrap())
        .sum();
    assert_eq!(total, figures.samples);
    assert_eq!(samples(&out).len() as u64, figures.samples);
}

#[test]
fn same_seed_is_byte_identical_and_another_seed_changes_only_templates() {
    let a = out_dir("seed-a");
    let b = out_dir("seed-b");
    let c = out_dir("seed-c");
    build(&a, &[]);
    build(&b, &[]);
    assert_eq!(files(&a), files(&b));
    build(&c, &["--seed", "7"]);
    // The seed changes template choices everywhere and curated pairing, never a direct source's
    // target.
    let direct = |d: &Path| {
        samples(d)
            .into_iter()
            .filter(|s| !s["source"].as_str().unwrap().starts_with("openimages_"))
            .collect::<Vec<_>>()
    };
    let (sa, sc) = (direct(&a), direct(&c));
    assert_eq!(sa.len(), sc.len());
    let mut changed = 0;
    for (x, y) in sa.iter().zip(&sc) {
        assert_eq!(
            (&x["id"], &x["target"], &x["answer"]),
            (&y["id"], &y["target"], &y["answer"])
        );
        if x["template"] != y["template"] {
            changed += 1;
        }
    }
    assert!(changed > 0, "seed 7 chose the same template for every sample");
}

#[test]
fn every_dialect_renders_the_sample_answers_exactly() {
    let expect = [
        (
            "meerkat",
            "[<dog barking>,0.250,0.125,0.750,0.875]",
            "[0.0,5.0]; [7.0,9.0]",
        ),
        ("shikra", "[0.250,0.125,0.750,0.875]", "[0.0,5.0]; [7.0,9.0]"),
        // 0.125 * 100 = 12.5 → 12 and 0.875 * 100 = 87.5 → 88 (ties to even).
        (
            "minigpt-v2",
            "<p>dog barking</p> {<25><12><75><88>}",
            "[0.0,5.0]; [7.0,9.0]",
        ),
        (
            "qwen-vl",
            "<ref>dog barking</ref><box>(250,125),(750,875)</box>",
            "[0.0,5.0]; [7.0,9.0]",
        ),
        (
            "vtimellm",
            "[<dog barking>,0.250,0.125,0.750,0.875]",
            "from 00 to 50; from 70 to 90",
        ),
    ];
    for (dialect, arig, igatl) in expect {
        let out = out_dir(&format!("dialect-{dialect}"));
        let m = build(&out, &["--dialect", dialect]);
        assert_eq!(m["dialect"], dialect);
        assert_eq!(
            sample(&out, "vggss/aaaaaaaaaaa_000010/arig")["answer"],
            arig,
            "{dialect}"
        );
        assert_eq!(
            sample(&out, "llp/aaaaaaaaaaa_0_10/Dog/igatl")["answer"],
            igatl,
            "{dialect}"
        );
        assert_eq!(
            sample(&out, "llp/aaaaaaaaaaa_0_10/Dog/igatl")["target"]["segments"],
            json!([[0.0, 5.0], [7.0, 9.0]])
        );
    }
}

#[test]
fn convert_forces_a_split_and_writes_the_contract_layout() {
    let out = out_dir("convert-valor-train");
    avfit_ok(&[
        "convert",
        "--source",
        "valor",
        "--input",
        "tests/data/valor",
        "--out",
        out.to_str().unwrap(),
        "--split",
        "train",
        "--quiet",
    ]);
    check_output(&out);
    let shard = out.join("train/avc/valor-00000-of-00001.jsonl");
    assert_eq!(std::fs::read_to_string(shard).unwrap().lines().count(), 4);
    assert!(!out.join("test").exists());
}

#[test]
fn sources_lists_every_adapter() {
    let out = avfit_ok(&["sources"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let names: Vec<&str> = text.lines().map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(
        names,
        [
            "vggss",
            "avsbench",
            "pascal_sound",
            "flickr_soundnet",
            "llp",
            "avqa",
            "music_avqa",
            "valor",
            "openimages",
            "openimages_audioset",
            "openimages_vggsound",
            "openimages_audioset_strong",
            "ave",
            "desed",
            "clotho",
            "avsd",
            "ytbb"
        ]
    );
    assert!(text.contains("AVVP_eval_audio.csv"));
}

#[test]
fn progress_is_silent_off_a_terminal() {
    let out = out_dir("no-terminal");
    let run = avfit_ok(&["build", "--out", out.to_str().unwrap()]);
    assert_eq!(String::from_utf8_lossy(&run.stderr), "");
    let f = common::sample_figures();
    let summary = format!(
        "{} samples in {} shards, {} rejects lines",
        f.samples, f.shards, f.rejects_lines
    );
    assert!(String::from_utf8_lossy(&run.stdout).contains(&summary));
}

#[test]
fn a_missing_input_stops_with_its_path() {
    let tmp = common::tempdir().unwrap();
    let out = tmp.path().join("out");
    let run = avfit(&[
        "convert",
        "--source",
        "vggss",
        "--input",
        "tests/data/nope.json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&run.stderr),
        "avfit: tests/data/nope.json: no such file or directory\n"
    );
    assert!(!out.exists());
}

#[test]
fn a_file_the_source_does_not_read_is_named() {
    let run = avfit(&[
        "convert",
        "--source",
        "llp",
        "--input",
        "tests/data/vggss/vggss.json",
        "--out",
        "target/never",
    ]);
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.starts_with(
            "avfit: tests/data/vggss/vggss.json: not a file that source `llp` reads; expected AVVP_eval_audio.csv"
        ),
        "{err}"
    );
}

#[test]
fn unknown_source_lists_the_known_ones() {
    let run = avfit(&["convert", "--source", "vgss", "--input", "x", "--out", "target/never"]);
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&run.stderr),
        "avfit: unknown source `vgss`; known sources: vggss, avsbench, pascal_sound, flickr_soundnet, llp, avqa, music_avqa, valor, openimages, openimages_audioset, openimages_vggsound, openimages_audioset_strong, ave, desed, clotho, avsd, ytbb\n"
    );
}

#[test]
fn invalid_json_mid_build_leaves_no_shard_under_a_final_name() {
    let tmp = common::tempdir().unwrap();
    let broken = tmp.path().join("broken");
    std::fs::create_dir(&broken).unwrap();
    std::fs::write(
        broken.join("desc_train.json"),
        "[{\"video_id\": \"aaaaaaaaaaa_0.000_10.000\",\n \"desc\": \"ok\"},\n {oops}]",
    )
    .unwrap();
    let manifest = tmp.path().join("m.toml");
    let data = common::data("");
    std::fs::write(
        &manifest,
        format!(
            "[[source]]\nname = \"vggss\"\ninputs = [\"{}\"]\n\n[[source]]\nname = \"valor\"\ninputs = [\"broken\"]\n",
            data.join("vggss").display()
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let run = common::build(&manifest, &out);
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8_lossy(&run.stderr);
    let expected_prefix = format!(
        "avfit: {}:3:3: not JSON: expected an object key in double quotes\n",
        broken.join("desc_train.json").display()
    );
    assert!(err.starts_with(&expected_prefix), "{err}");
    // VGG-SS samples were read before VALOR failed: no shard under a final name, no partial file,
    // no manifest may remain (a completed `<source>-NNNNN.jsonl` may, with its journal, for
    // --resume: VGG-SS's shard was complete when VALOR failed, and what was planned before a
    // failure is still written).
    let left: Vec<_> = walk(&out)
        .into_iter()
        .map(|p| p.strip_prefix(&out).unwrap().display().to_string())
        .collect();
    assert!(
        left.iter()
            .all(|p| !p.contains("-of-") && !p.ends_with(".partial") && p != "manifest.json"),
        "{left:?}"
    );
    assert!(
        left.iter()
            .all(|p| !p.ends_with(".jsonl") || out.join("build.journal").exists()),
        "{left:?}"
    );
    // Only that completed shard is left in the split and task directories the run created.
    assert_eq!(
        walk(&out.join("test"))
            .into_iter()
            .map(|p| p.strip_prefix(&out).unwrap().display().to_string())
            .collect::<Vec<_>>(),
        ["test/arig/vggss-00000.jsonl"]
    );
    let journal = std::fs::read_to_string(out.join("build.journal")).unwrap();
    assert!(
        journal.contains("\"path\":\"test/arig/vggss-00000.jsonl\",\"records\":3,"),
        "{journal}"
    );
}

#[test]
fn a_directory_with_foreign_files_is_not_overwritten() {
    let tmp = common::tempdir().unwrap();
    std::fs::write(tmp.path().join("thesis.tex"), "keep me").unwrap();
    let run = avfit(&["build", "--out", tmp.path().to_str().unwrap(), "--quiet"]);
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&run.stderr),
        format!(
            "avfit: {}: not written by avfit (no manifest.json, build.journal or partition.json of avfit here names it); avfit removes and overwrites only its own files: move it away or choose another --out\n",
            tmp.path().join("thesis.tex").display()
        )
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("thesis.tex")).unwrap(),
        "keep me"
    );
}

#[test]
fn a_broken_template_stops_the_run_naming_file_and_id() {
    let tmp = common::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("avc.toml"),
        "[[template]]\nid = \"fine\"\ninstruction = \"Describe the clip.\"\n\n[[template]]\nid = \"typo\"\ninstruction = \"Describe {{ captoin }}.\"\n",
    )
    .unwrap();
    let run = avfit(&[
        "build",
        "--templates",
        tmp.path().to_str().unwrap(),
        "--out",
        "target/never",
        "--quiet",
    ]);
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8_lossy(&run.stderr);
    let expected = format!("avfit: {}: template typo:", tmp.path().join("avc.toml").display());
    assert!(err.starts_with(&expected), "{err}");
    assert!(err.contains("captoin"), "{err}");
}

#[test]
fn a_template_directory_without_a_needed_task_fails_before_writing() {
    let templates = common::tempdir().unwrap();
    std::fs::write(
        templates.path().join("avc.toml"),
        "[[template]]\nid = \"a\"\ninstruction = \"Describe the clip.\"\n",
    )
    .unwrap();
    let out = out_dir("template-dir-missing-task");
    let kept = avfit_ok(&[
        "convert",
        "--source",
        "valor",
        "--input",
        "tests/data/valor",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(kept.status.success());
    let dir = templates.path().to_str().unwrap();
    let run = avfit(&["build", "--templates", dir, "--out", out.to_str().unwrap(), "--quiet"]);
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&run.stderr),
        format!("avfit: {dir}: no arig.toml, needed for task arig\n")
    );
    // The previous output is untouched.
    assert!(out.join("manifest.json").is_file());
    check_output(&out);
}

#[test]
fn a_source_listed_twice_in_a_manifest_is_refused() {
    let tmp = common::tempdir().unwrap();
    let manifest = tmp.path().join("m.toml");
    let vggss = common::data("vggss");
    let entry = format!("[[source]]\nname = \"vggss\"\ninputs = [\"{}\"]\n", vggss.display());
    std::fs::write(&manifest, format!("{entry}\n{entry}")).unwrap();
    let run = avfit(&[
        "build",
        "--manifest",
        manifest.to_str().unwrap(),
        "--out",
        tmp.path().join("o").to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(1));
    let expected = format!(
        "avfit: {}: source vggss is listed twice; give all its inputs in one [[source]]\n",
        manifest.display()
    );
    assert_eq!(String::from_utf8_lossy(&run.stderr), expected);
}

/// Finding 2 of issue 16: VGG-SS's file under AVQA's name (`train_qa.json`) is read, every row
/// rejected, and the run stops with one line naming the source, its file and the first reason;
/// `--allow-all-rejected` writes the corpus of no samples.
#[test]
fn a_source_whose_every_row_is_rejected_stops_the_run_unless_allowed() {
    let tmp = common::tempdir().unwrap();
    let wrong = tmp.path().join("train_qa.json");
    std::fs::copy(common::data("vggss/vggss.json"), &wrong).unwrap();
    let out = tmp.path().join("out");
    let (input, out_s) = (wrong.to_str().unwrap(), out.to_str().unwrap());
    let run = avfit(&[
        "convert", "--source", "avqa", "--input", input, "--out", out_s, "--quiet",
    ]);
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&run.stderr),
        format!(
            "avfit: source avqa: every row was rejected (read 4, rejected 4, skipped 0); wrong files? {input}; \
             first: {input}#0: missing_field (no `id`); pass --allow-all-rejected to write it anyway\n"
        )
    );
    assert!(!out.join("manifest.json").exists());

    let run = avfit(&[
        "convert",
        "--source",
        "avqa",
        "--input",
        input,
        "--out",
        out_s,
        "--quiet",
        "--allow-all-rejected",
    ]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["sources"]["avqa"]["read"], 4);
    assert_eq!(manifest["sources"]["avqa"]["used"], 0);
    assert_eq!(manifest["sources"]["avqa"]["rejected"], 4);
    assert_eq!(manifest["rejects_lines"], 4);
}

/// Finding 2 in a build: the all-rejected source stops it (naming that source), while a source
/// with some rows used and some rejected (AVQA's sample: 3 used, 2 rejected) never does.
#[test]
fn a_build_stops_at_the_all_rejected_source_and_not_at_a_partly_rejected_one() {
    let tmp = common::tempdir().unwrap();
    let wrong = tmp.path().join("desc_train.json");
    std::fs::write(&wrong, "[{\"video\": \"x\"}, {\"video\": \"y\"}]").unwrap();
    let manifest = tmp.path().join("m.toml");
    std::fs::write(
        &manifest,
        format!(
            "[[source]]\nname = \"avqa\"\ninputs = [\"{}\"]\n\n[[source]]\nname = \"valor\"\ninputs = [\"{}\"]\n",
            common::data("avqa").display(),
            wrong.display()
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let (m, o) = (manifest.to_str().unwrap(), out.to_str().unwrap());
    let run = avfit(&["build", "--manifest", m, "--out", o, "--quiet"]);
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.starts_with(&format!(
            "avfit: source valor: every row was rejected (read 2, rejected 2, skipped 0); wrong files? {}; first: {}#0: ",
            wrong.display(),
            wrong.display()
        )),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let run = avfit(&["build", "--manifest", m, "--out", o, "--quiet", "--allow-all-rejected"]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let written: Value = serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let avqa = &written["sources"]["avqa"];
    assert!(
        avqa["used"].as_u64().unwrap() > 0 && avqa["rejected"].as_u64().unwrap() > 0,
        "{avqa}"
    );
}

/// Finding 3 of issue 16: `stats` and `validate` on the output of one partition say which
/// partition it is and what to run, instead of "manifest.json: No such file or directory".
#[test]
fn stats_and_validate_on_a_partition_say_to_merge_first() {
    let tmp = common::tempdir().unwrap();
    let part = tmp.path().join("p");
    let p = part.to_str().unwrap();
    avfit_ok(&["build", "--out", p, "--partition", "1/3", "--quiet"]);
    let expected = format!(
        "avfit: {p}: partition 1 of 3 of a build (partition.json, no manifest.json): join the 3 partitions with `avfit merge --out DIR PART_DIR...` first\n"
    );
    for command in ["stats", "validate"] {
        let run = avfit(&[command, p]);
        assert_eq!(run.status.code(), Some(1), "{command}");
        assert_eq!(String::from_utf8_lossy(&run.stderr), expected, "{command}");
    }
}

/// Finding 3: a manifest that does not exist is named, and a corpus manifest that is not JSON
/// says where and what was expected in a reader's words (not serde's `expected ident`).
#[test]
fn errors_name_the_file_and_say_what_was_expected() {
    let tmp = common::tempdir().unwrap();
    let nope = tmp.path().join("nope.toml");
    let run = avfit(&["build", "--manifest", nope.to_str().unwrap(), "--quiet"]);
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&run.stderr),
        format!("avfit: {}: No such file or directory (os error 2)\n", nope.display())
    );
    let dir = tmp.path().join("c");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("manifest.json"), "{\"seed\": nope}").unwrap();
    let run = avfit(&["stats", dir.to_str().unwrap()]);
    assert_eq!(
        String::from_utf8_lossy(&run.stderr),
        format!(
            "avfit: {}:1:11: not JSON: expected a value (`true`, `false` or `null` are the only bare words)\n",
            dir.join("manifest.json").display()
        )
    );
    std::fs::write(dir.join("manifest.json"), "[1, 2").unwrap();
    let run = avfit(&["validate", dir.to_str().unwrap()]);
    assert_eq!(
        String::from_utf8_lossy(&run.stderr),
        format!(
            "avfit: {}:1:5: not JSON: the text ends inside a list (a `]` is missing)\n",
            dir.join("manifest.json").display()
        )
    );
}

/// Finding 8: one shard and one sample are singular in the summary, and the per-source columns
/// line up when a name is longer than 12 characters.
#[test]
fn summary_counts_are_singular_for_one_and_columns_fit_long_names() {
    let tmp = common::tempdir().unwrap();
    let out = tmp.path().join("o");
    let run = avfit_ok(&[
        "convert",
        "--source",
        "flickr_soundnet",
        "--input",
        common::data("flickr_soundnet/Annotations/1000000001.xml")
            .to_str()
            .unwrap(),
        "--split",
        "test",
        "--out",
        out.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        text,
        format!(
            "flickr_soundnet read        1  used        1  rejected      0  skipped      0  dropped      0\n\
             1 sample in 1 shard, 0 rejects lines → {}\n",
            out.display()
        )
    );
}

/// Finding 8: `convert` has no manifest, so its help names plain defaults for `--seed` and
/// `--records-per-shard` (and says where `build` takes them from).
#[test]
fn convert_help_claims_no_manifest_default() {
    let help = String::from_utf8_lossy(&avfit_ok(&["convert", "--help"]).stdout).to_string();
    assert!(!help.contains("default: the manifest's"), "{help}");
    assert!(
        help.contains("Seed for template choice (default 0; `build` takes the build manifest's `seed` if set)"),
        "{help}"
    );
    assert!(help.contains("--allow-all-rejected"), "{help}");
}

/// A file reached through two inputs (its directory and itself, by another spelling) is read
/// once: the counts and bytes equal those of one input.
#[test]
fn a_file_named_twice_is_read_once() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/vggss");
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/vggss/../vggss/vggss.json");
    let found = avfit::sources::discover_files(
        avfit::registry::find("vggss").unwrap(),
        &[dir.into(), file.into(), dir.into()],
    )
    .unwrap();
    assert_eq!(found.files.len(), 1, "{:?}", found.files);
    let once = out_dir("cli-input-once");
    let twice = out_dir("cli-input-twice");
    let _ = std::fs::remove_dir_all(&once);
    let _ = std::fs::remove_dir_all(&twice);
    for (out, inputs) in [(&once, vec![dir]), (&twice, vec![dir, file])] {
        let mut args = vec![
            "convert",
            "--source",
            "vggss",
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ];
        for input in inputs {
            args.extend(["--input", input]);
        }
        avfit_ok(&args);
    }
    let manifest = |d: &Path| -> Value {
        serde_json::from_str(&std::fs::read_to_string(d.join("manifest.json")).unwrap()).unwrap()
    };
    assert_eq!(manifest(&once)["sources"], manifest(&twice)["sources"]);
    let shards = |d: &Path| {
        files(d)
            .into_iter()
            .filter(|(k, _)| k.ends_with(".jsonl"))
            .collect::<Vec<_>>()
    };
    assert_eq!(shards(&once), shards(&twice));
}
