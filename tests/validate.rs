//! `avfit validate`: clean on what avfit builds, and each defect named with its file and line.

mod common;

use common::{avfit, avfit_ok, out_dir};
use std::path::Path;

fn build(out: &Path, extra: &[&str]) {
    let mut args = vec!["build", "--out", out.to_str().unwrap(), "--quiet"];
    args.extend(extra);
    avfit_ok(&args);
}

/// Rewrites line `line` (1-based) of `file` with `edit`.
fn edit_line(file: &Path, line: usize, edit: impl Fn(&mut serde_json::Value)) {
    let text = std::fs::read_to_string(file).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut v: serde_json::Value = serde_json::from_str(&lines[line - 1]).unwrap();
    edit(&mut v);
    lines[line - 1] = serde_json::to_string(&v).unwrap();
    std::fs::write(file, lines.join("\n") + "\n").unwrap();
}

#[test]
fn a_built_corpus_validates_in_every_dialect() {
    for dialect in ["meerkat", "qwen-vl", "vtimellm"] {
        let out = out_dir(&format!("validate-{dialect}"));
        build(&out, &["--dialect", dialect]);
        let run = avfit_ok(&["validate", out.to_str().unwrap()]);
        assert_eq!(
            String::from_utf8_lossy(&run.stdout),
            format!(
                "{}: {} lines, 0 problems\n",
                out.display(),
                common::sample_figures().samples
            )
        );
    }
}

#[test]
fn validate_names_each_defect_with_file_and_line() {
    let tmp = common::tempdir().unwrap();
    let out = tmp.path().join("corpus");
    build(&out, &[]);
    edit_line(&out.join("test/arig/vggss-00000-of-00002.jsonl"), 1, |v| {
        v["target"]["boxes"][0][0] = 0.9.into()
    });
    edit_line(&out.join("test/igatl/llp-00000-of-00002.jsonl"), 2, |v| {
        v["target"]["segments"][0][1] = 12.0.into()
    });
    edit_line(&out.join("test/avc/valor-00000-of-00001.jsonl"), 1, |v| {
        v["answer"] = "Something else.".into()
    });
    let run = avfit(&["validate", out.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&run.stdout);
    let expected = [
        "answer_mismatch: 3",
        "  test/arig/vggss-00000-of-00002.jsonl:1: vggss/aaaaaaaaaaa_000010/arig: answer `[<dog barking>,0.250,0.125,0.750,0.875]`, the meerkat rendering of target is `[<dog barking>,0.900,0.125,0.750,0.875]`",
        "  test/avc/valor-00000-of-00001.jsonl:1: valor/ccccccccccc_30.000_37.500/avc: answer `Something else.`, the meerkat rendering of target is `A woman plays the piano, then applause fills the hall.`",
        "  test/igatl/llp-00000-of-00002.jsonl:2: llp/aaaaaaaaaaa_0_10/Speech/igatl: answer `[0.0,10.0]`, the meerkat rendering of target is `[0.0,12.0]`",
        "bad_box: 1",
        "  test/arig/vggss-00000-of-00002.jsonl:1: vggss/aaaaaaaaaaa_000010/arig: box [0.9, 0.125, 0.75, 0.875] is not normalized [x0,y0,x1,y1] with x0 < x1, y0 < y1",
        "bad_segment: 1",
        "  test/igatl/llp-00000-of-00002.jsonl:2: llp/aaaaaaaaaaa_0_10/Speech/igatl: segment [0.0, 12.0] is not 0 <= start < end <= duration of a 10 s clip",
    ];
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(&lines[..expected.len()], &expected[..]);
    // Each edited shard no longer matches the sha256 manifest.json lists for it.
    assert_eq!(lines[expected.len()], "manifest_mismatch: 3");
    assert_eq!(
        lines.last().unwrap(),
        &format!(
            "{}: {} lines, 8 problems",
            out.display(),
            common::sample_figures().samples
        )
    );
}

#[test]
fn validate_with_a_media_root_finds_missing_media() {
    let out = out_dir("validate-media");
    avfit_ok(&[
        "convert",
        "--source",
        "vggss",
        "--input",
        "tests/data/vggss",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    let media = common::tempdir().unwrap();
    for key in ["aaaaaaaaaaa_000010", "-bbbbbbbbbb_000000", "cc_cccccccc_000123"] {
        if key != "-bbbbbbbbbb_000000" {
            common::write_image(&media.path().join(format!("vggss/frames/{key}.jpg")), 4, 4);
        }
        common::write_wav(&media.path().join(format!("vggss/audios/{key}.wav")), 8000, 0);
    }
    let run = avfit(&[
        "validate",
        out.to_str().unwrap(),
        "--media-root",
        media.path().to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&run.stdout);
    let missing = media.path().join("vggss/frames/-bbbbbbbbbb_000000.jpg");
    assert!(
        stdout.starts_with(
            "missing_media: 1\n  test/arig/vggss-00000-of-00001.jsonl:2: vggss/-bbbbbbbbbb_000000/arig: image "
        ),
        "{stdout}"
    );
    assert!(stdout.contains(&missing.display().to_string()), "{stdout}");
}

#[test]
fn media_list_names_every_file_with_its_clip() {
    let out = out_dir("media-list");
    build(&out, &[]);
    let tmp = common::tempdir().unwrap();
    let list = tmp.path().join("media.csv");
    let run = avfit_ok(&["media", out.to_str().unwrap(), "--list", list.to_str().unwrap()]);
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        format!(
            "{} media files → {}\n",
            common::sample_figures().media_files,
            list.display()
        )
    );
    // The new form writes the same file.
    let list2 = tmp.path().join("media2.csv");
    avfit_ok(&["media", "list", out.to_str().unwrap(), "--out", list2.to_str().unwrap()]);
    assert_eq!(std::fs::read(&list).unwrap(), std::fs::read(&list2).unwrap());
    let text = std::fs::read_to_string(&list).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "path,kind,dataset,youtube_id,media_id,clip_start,clip_end,frame_time,file"
    );
    // Each row as the adapter that read it says (media.csv), not parsed from the file name.
    for expected in [
        "llp/frames/aaaaaaaaaaa_0_10_0.5.jpg,image,llp,aaaaaaaaaaa,,0.0,10.0,0.5,",
        "vggss/frames/-bbbbbbbbbb_000000.jpg,image,vggss,-bbbbbbbbbb,,0.0,10.0,5.0,",
        "valor/videos/ccccccccccc_30.000_37.500.mp4,video,valor,ccccccccccc,,30.0,37.5,,",
        // VALOR publishes no frame: the clip's middle.
        "valor/frames/ccccccccccc_30.000_37.500.jpg,image,valor,ccccccccccc,,30.0,37.5,3.75,",
        "audioset_strong/audios/AAAAAAAAAB1_10000.wav,audio,audioset_strong,AAAAAAAAAB1,,10.0,20.0,,",
        "openimages/images/0001a0b1c2d3e4f5.jpg,image,openimages,,oi:0001a0b1c2d3e4f5,,,,0001a0b1c2d3e4f5.jpg",
        // MUSIC-AVQA: the dataset's own video, whole; its frame in the middle of its minute.
        "music_avqa/videos/00000001.mp4,video,music_avqa,,music:00000001,0.0,,,00000001",
        "music_avqa/frames/00000001.jpg,image,music_avqa,,music:00000001,0.0,,30.0,00000001",
        "pascal_sound/audios/dog_bark_01.wav,audio,pascal_sound,,,,,,dog_bark_01.wav",
    ] {
        assert!(lines.contains(&expected), "{expected} not in the list");
    }
    // Sorted by path (a path with a comma, Clotho's "Rain, thunder ...", is quoted in the CSV).
    let path = |l: &str| -> String {
        match l.strip_prefix('"') {
            Some(rest) => rest.split('"').next().unwrap().to_string(),
            None => l.split(',').next().unwrap().to_string(),
        }
    };
    let mut sorted = lines[1..].to_vec();
    sorted.sort_by_key(|l| path(l));
    assert_eq!(sorted, lines[1..].to_vec());
}

#[test]
fn validate_checks_ids_the_manifest_and_bad_bytes() {
    let tmp = common::tempdir().unwrap();
    let out = tmp.path().join("corpus");
    build(&out, &[]);
    let shard = out.join("test/avc/valor-00000-of-00001.jsonl");
    let first = std::fs::read_to_string(&shard)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let mut bytes = std::fs::read(&shard).unwrap();
    bytes.extend_from_slice(first.replace("Describe", "Tell").as_bytes());
    bytes.extend_from_slice(b"\n\xff\xfe bad\n");
    std::fs::write(&shard, bytes).unwrap();
    std::fs::remove_file(out.join("test/avqa/avqa-00000-of-00001.jsonl")).unwrap();
    let manifest_text = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    let counts = format!(
            "  manifest.json:{}: counts.test/avc/valor: manifest.json says 2, the shards hold 4\n  manifest.json:{}: counts.test/avqa/avqa: manifest.json says 1, the shards hold 0\n",
            line_of(&manifest_text, "\"counts\"", "\"test/avc/valor\""),
            line_of(&manifest_text, "\"counts\"", "\"test/avqa/avqa\"")
        );
    let run = avfit(&["validate", out.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&run.stdout);
    for expected in [
        "duplicate_id: 1\n  test/avc/valor-00000-of-00001.jsonl:3: valor/ccccccccccc_30.000_37.500/avc is also at test/avc/valor-00000-of-00001.jsonl:1",
        "malformed_line: 1\n  test/avc/valor-00000-of-00001.jsonl:4: invalid utf-8 sequence of 1 bytes from index 0",
        "manifest_mismatch: 4\n  test/avc/valor-00000-of-00001.jsonl:0: manifest.json says 2 records",
        "  test/avqa/avqa-00000-of-00001.jsonl:0: listed in manifest.json but missing",
        // The counts map, recomputed from the shards (lines, as `records` counts them).
        counts.as_str(),
    ] {
        assert!(stdout.contains(expected), "{expected}\n--- in ---\n{stdout}");
    }
    // `media` wants a corpus, not any directory.
    let run = avfit(&[
        "media",
        tmp.path().to_str().unwrap(),
        "--list",
        tmp.path().join("m.csv").to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("manifest.json"));
}

/// The 1-based line of `manifest.json` text where `needle` first starts a line (trimmed) after
/// the line that starts with `anchor`.
fn line_of(text: &str, anchor: &str, needle: &str) -> usize {
    let start = text.lines().position(|l| l.trim_start().starts_with(anchor)).unwrap();
    start
        + text
            .lines()
            .skip(start)
            .position(|l| l.trim_start().starts_with(needle))
            .unwrap()
        + 1
}

#[test]
fn validate_requires_a_consistent_manifest_and_nothing_unlisted() {
    let tmp = common::tempdir().unwrap();
    let out = tmp.path().join("corpus");
    build(&out, &[]);
    let manifest_path = out.join("manifest.json");
    let mut manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    let shard = manifest["shards"][0].clone();
    assert_eq!(shard["path"], "test/arig/avsbench-00000-of-00001.jsonl");
    assert_eq!((&shard["records"], &shard["bytes"]), (&2.into(), &1116.into()));
    assert_eq!(
        manifest["sources"]["avqa"],
        serde_json::json!({"read": 5, "used": 3, "rejected": 2, "skipped": {}, "dropped": {}})
    );
    // files: [] (so media.csv is listed nowhere), a source that does not add up, a wrong shard
    // size, an extra counts key with 0.
    manifest["files"] = serde_json::json!([]);
    manifest["sources"]["avqa"]["read"] = 6.into();
    manifest["shards"][0]["bytes"] = 1117.into();
    manifest["counts"]["train/avc/valor_extra"] = 0.into();
    let text = serde_json::to_string_pretty(&manifest).unwrap();
    std::fs::write(&manifest_path, &text).unwrap();
    // A link at the top level, a copy of a shard outside train/ and test/, a journal, a stray file.
    std::os::unix::fs::symlink("/etc/passwd", out.join("x")).unwrap();
    std::fs::create_dir_all(out.join("val/arig")).unwrap();
    std::fs::copy(
        out.join("test/arig/avsbench-00000-of-00001.jsonl"),
        out.join("val/arig/avsbench-00000-of-00001.jsonl"),
    )
    .unwrap();
    std::fs::write(out.join("build.journal"), "x\n").unwrap();
    std::fs::write(out.join("notes.txt"), "x\n").unwrap();
    let run = avfit(&["validate", out.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        format!(
            "manifest_mismatch: 4
  test/arig/avsbench-00000-of-00001.jsonl:0: manifest.json says 2 records, 1117 bytes, sha256 {sha} (its line {shard_line}); the file has 2, 1116, {sha}
  manifest.json:{counts_line}: counts.train/avc/valor_extra: manifest.json says 0, the shards hold 0
  manifest.json:{sources_line}: sources.avqa: read 6 is not used 3 + rejected 2 + skipped 0
  manifest.json:{files_line}: files does not list rejects.jsonl with its size and SHA-256
unexpected_file: 6
  README.md:0: not a file manifest.json lists or avfit writes
  build.journal:0: a build that did not finish left its journal: rerun it with --resume
  media.csv:0: not a file manifest.json lists or avfit writes
  notes.txt:0: not a file manifest.json lists or avfit writes
  val/arig/avsbench-00000-of-00001.jsonl:0: not a file manifest.json lists or avfit writes
{}: {samples} lines, 10 problems
",
            out.display(),
            samples = common::sample_figures().samples,
            sha = shard["sha256"].as_str().unwrap(),
            shard_line = line_of(&text, "\"shards\"", "\"path\": \"test/arig/avsbench-00000-of-00001.jsonl\""),
            counts_line = line_of(&text, "\"counts\"", "\"train/avc/valor_extra\""),
            sources_line = line_of(&text, "\"sources\"", "\"avqa\": {"),
            files_line = line_of(&text, "\"files\"", "\"files\""),
        )
    );
}
