//! Issue 12, a train-ready corpus: the dataset card of every corpus, `avfit export` to Parquet,
//! LLaMA-Factory and ms-swift, and their loading by the real consumer (Python's `datasets` and
//! `pyarrow`, found through `AVFIT_PYTHON`; `.ci/run` installs them and requires them).

mod common;

use common::{avfit, avfit_ok, out_dir, walk};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn build_sample(name: &str, extra: &[&str]) -> PathBuf {
    let out = out_dir(name);
    let mut args = vec!["build", "--out", out.to_str().unwrap(), "--quiet"];
    args.extend_from_slice(extra);
    avfit_ok(&args);
    out
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every file under `dir` (relative path → bytes).
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walk(dir)
        .into_iter()
        .map(|p| {
            (
                p.strip_prefix(dir).unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

/// The samples of `corpus` per (task, split) in export order (shards in path order).
fn corpus_groups(corpus: &Path) -> BTreeMap<(String, String), Vec<Value>> {
    let manifest = read_json(&corpus.join("manifest.json"));
    let mut paths: Vec<&str> = manifest["shards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    paths.sort();
    let mut groups: BTreeMap<(String, String), Vec<Value>> = BTreeMap::new();
    for path in paths {
        let (split, rest) = path.split_once('/').unwrap();
        let task = rest.split('/').next().unwrap();
        for line in std::fs::read_to_string(corpus.join(path)).unwrap().lines() {
            groups
                .entry((task.to_string(), split.to_string()))
                .or_default()
                .push(serde_json::from_str(line).unwrap());
        }
    }
    groups
}

fn export(corpus: &Path, format: &str, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "export",
        corpus.to_str().unwrap(),
        "--format",
        format,
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    avfit(&args)
}

fn export_ok(corpus: &Path, format: &str, out: &Path, extra: &[&str]) {
    let run = export(corpus, format, out, extra);
    assert!(
        run.status.success(),
        "export {format} failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
}

fn jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}: {l}", path.display())))
        .collect()
}

/// The card's `configs:` block of the sample build, written out by hand.
const SAMPLE_CONFIGS: &str = r#"configs:
- config_name: default
  default: true
  data_files:
  - split: train
    path: "train/*/*.jsonl"
  - split: test
    path: "test/*/*.jsonl"
- config_name: arig
  data_files:
  - split: train
    path: "train/arig/*.jsonl"
  - split: test
    path: "test/arig/*.jsonl"
- config_name: igatl
  data_files:
  - split: train
    path: "train/igatl/*.jsonl"
  - split: test
    path: "test/igatl/*.jsonl"
- config_name: avfc
  data_files:
  - split: train
    path: "train/avfc/*.jsonl"
  - split: test
    path: "test/avfc/*.jsonl"
- config_name: avqa
  data_files:
  - split: train
    path: "train/avqa/*.jsonl"
  - split: test
    path: "test/avqa/*.jsonl"
- config_name: avc
  data_files:
  - split: train
    path: "train/avc/*.jsonl"
  - split: test
    path: "test/avc/*.jsonl"
dataset_info:
- config_name: default
  features:
  - name: id
    dtype: string
"#;

/// The `target` struct of the features, written out by hand.
const TARGET_FEATURE: &str = "  - name: target
    struct:
    - name: label
      dtype: string
    - name: boxes
      list:
        list: float64
    - name: segments
      list:
        list: float64
    - name: duration
      dtype: float64
    - name: type
      dtype: int64
    - name: verdict
      dtype: bool
    - name: question
      dtype: string
    - name: choices
      list: string
    - name: answer
      dtype: string
    - name: answer_index
      dtype: int64
    - name: question_type
      dtype: string
    - name: caption
      dtype: string
";

#[test]
fn the_sample_build_has_a_card_listed_in_its_manifest() {
    let out = build_sample("train-card", &[]);
    let card = std::fs::read(out.join("README.md")).unwrap();
    let manifest = read_json(&out.join("manifest.json"));
    assert_eq!(
        manifest["card"],
        json!({"path": "README.md", "bytes": card.len(), "sha256": format!("{:x}", Sha256::digest(&card))})
    );
    let text = String::from_utf8(card).unwrap();
    assert!(
        text.starts_with("---\npretty_name: AVFIT (regenerated by avfit)\n"),
        "{text}"
    );
    assert!(text.contains(SAMPLE_CONFIGS), "{text}");
    // One dataset_info entry per config, each with the same features.
    assert_eq!(text.matches("- config_name: ").count(), 12);
    assert_eq!(text.matches(TARGET_FEATURE).count(), 6);
    assert_eq!(text.matches("  - name: groups\n    list: string\n").count(), 6);
    // The part for people: counts beside the expected ones, settings, sources with citations.
    for line in [
        "| test/arig/vggss | 3 | 3 |",
        "| train/avqa/music_avqa | 3 | 3 |",
        "| test/arig | 24 | 24 |",
        "| seed | 0 |",
        "| dialect | meerkat |",
        "| avfit version | 0.1.0 |",
        "### openimages_vggsound",
        "- **VGGSound**: Honglie Chen, Weidi Xie, Andrea Vedaldi, Andrew Zisserman. VGGSound: A Large-scale Audio-Visual Dataset. ICASSP 2020.",
        "  Licence: CC BY 4.0 (see https://www.robots.ox.ac.uk/~vgg/data/vggsound/)",
        "- **MUSIC-AVQA**: Guangyao Li, Yake Wei, Yapeng Tian, Chenliang Xu, Ji-Rong Wen, Di Hu. Learning to Answer Questions in Dynamic Audio-Visual Scenarios. CVPR 2022.",
        "corpus = load_dataset(\"DIR\")",
        // Shipped specs are listed with the citation and licence their spec declares.
        "### ave\n\n- **ave**: Yapeng Tian, Jing Shi, Bochen Li, Zhiyao Duan, Chenliang Xu. Audio-Visual Event Localization in Unconstrained Videos. ECCV 2018.",
    ] {
        assert!(text.contains(line), "card lacks `{line}`:\n{text}");
    }
    // A card is avfit's own file: building again into the same directory replaces it.
    avfit_ok(&["build", "--out", out.to_str().unwrap(), "--quiet"]);
    assert_eq!(std::fs::read_to_string(out.join("README.md")).unwrap(), text);
}

#[test]
fn convert_writes_a_card_with_the_configs_it_has() {
    let out = out_dir("train-card-convert");
    avfit_ok(&[
        "convert",
        "--source",
        "llp",
        "--input",
        common::data("llp").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    let text = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(
        text.contains(
            "configs:\n- config_name: default\n  default: true\n  data_files:\n  - split: test\n    path: \"test/*/*.jsonl\"\n- config_name: igatl\n  data_files:\n  - split: test\n    path: \"test/igatl/*.jsonl\"\ndataset_info:\n"
        ),
        "{text}"
    );
    assert!(text.contains("| test/igatl/llp | 3 | – |"), "{text}");
    assert!(
        text.contains("- **LLP (AVVP)**: Yapeng Tian, Dingzeyu Li, Chenliang Xu."),
        "{text}"
    );
}

/// The number of times `token` occurs in every message of `line`.
fn placeholders(line: &Value, token: &str) -> usize {
    line["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap().matches(token).count())
        .sum()
}

/// The trainers' rule on one exported line: media are lists, and each placeholder occurs as
/// often as its list is long.
fn assert_placeholder_rule(line: &Value) {
    for (key, token) in [("images", "<image>"), ("videos", "<video>"), ("audios", "<audio>")] {
        let listed = match line.get(key) {
            None => 0,
            Some(Value::Array(a)) => {
                assert!(a.iter().all(Value::is_string), "{line}");
                a.len()
            }
            Some(other) => panic!("{key} must be a list: {other}"),
        };
        assert_eq!(placeholders(line, token), listed, "{token} in {line}");
    }
}

/// The user turn a corpus sample becomes with `media` (in image, video, audio order).
fn user_turn(sample: &Value, media: &[&str], prefix: &str) -> (String, BTreeMap<&'static str, Vec<String>>) {
    let mut text = String::new();
    let mut lists = BTreeMap::new();
    for (kind, key, token) in [
        ("image", "images", "<image>"),
        ("video", "videos", "<video>"),
        ("audio", "audios", "<audio>"),
    ] {
        if media.contains(&kind) {
            if let Some(path) = sample[kind].as_str() {
                text += token;
                lists.insert(key, vec![format!("{prefix}{path}")]);
            }
        }
    }
    text += sample["instruction"].as_str().unwrap();
    let input = sample["input"].as_str().unwrap();
    if !input.is_empty() {
        text += "\n";
        text += input;
    }
    (text, lists)
}

/// Whether exporting only the kinds `media` leaves `sample` without its visual medium (it has an
/// image or a video, none of those it has is listed) or without its audio.
fn loses_media(sample: &Value, media: &[&str]) -> bool {
    let has = |kind: &str| !sample[kind].is_null();
    let shown = |kind: &str| has(kind) && media.contains(&kind);
    ((has("image") || has("video")) && !(shown("image") || shown("video"))) || (has("audio") && !shown("audio"))
}

/// Every line of a chat export equals its corpus sample: user turn, answer, media lists; the
/// samples `media` would leave without a medium they have are in `skipped.jsonl`
/// (`media_not_exported`), and nothing else is.
fn assert_chat_export(corpus: &Path, out: &Path, media: &[&str], prefix: &str) {
    let groups = corpus_groups(corpus);
    let mut files = 0;
    let mut lost = Vec::new();
    for ((task, split), samples) in &groups {
        let (gone, samples): (Vec<&Value>, Vec<&Value>) = samples.iter().partition(|s| loses_media(s, media));
        lost.extend(gone.iter().map(|s| s["id"].as_str().unwrap().to_string()));
        let path = out.join(format!("avfit_{task}_{split}.jsonl"));
        if samples.is_empty() {
            // Every sample left out: no file.
            assert!(!path.exists(), "{}", path.display());
            continue;
        }
        let lines = jsonl(&path);
        assert_eq!(lines.len(), samples.len(), "{task}/{split}");
        for (line, sample) in lines.iter().zip(samples) {
            assert_placeholder_rule(line);
            let (user, lists) = user_turn(sample, media, prefix);
            let mut expected = json!({"messages": [
                {"role": "user", "content": user},
                {"role": "assistant", "content": sample["answer"]},
            ]});
            for (key, list) in lists {
                expected[key] = json!(list);
            }
            assert_eq!(line, &expected, "{}", sample["id"]);
        }
        files += 1;
    }
    assert_eq!(groups.len(), 10);
    let with_lines = groups
        .values()
        .filter(|g| g.iter().any(|s| !loses_media(s, media)))
        .count();
    assert_eq!(files, with_lines);
    let mut skipped: Vec<String> = jsonl(&out.join("skipped.jsonl"))
        .iter()
        .map(|l| {
            assert_eq!(l["reason"], "media_not_exported", "{l}");
            l["id"].as_str().unwrap().to_string()
        })
        .collect();
    skipped.sort();
    lost.sort();
    assert_eq!(skipped, lost);
}

#[test]
fn llamafactory_export_of_the_sample_equals_the_corpus_line_by_line() {
    let corpus = build_sample("train-lf-corpus", &[]);
    let tmp = common::tempdir().unwrap();
    let out = tmp.path().join("lf");
    export_ok(&corpus, "llamafactory", &out, &[]);
    assert_chat_export(&corpus, &out, &["image", "audio"], "");
    // The first test ARIG line, written out by hand.
    let first = std::fs::read_to_string(out.join("avfit_arig_test.jsonl")).unwrap();
    assert_eq!(
        first.lines().next().unwrap(),
        r#"{"messages":[{"role":"user","content":"<image><audio>Locate the source of the sound in the image and answer with its bounding box as [<obj>,xLeft,yTop,xRight,yBottom] with coordinates between 0 and 1."},{"role":"assistant","content":"[<sounding object>,0.000,0.000,0.250,0.125]; [<sounding object>,0.500,0.500,0.750,1.000]"}],"images":["avsbench/frames/bbbbbbbbbbb_1_1.jpg"],"audios":["avsbench/audios/bbbbbbbbbbb_1.wav"]}"#
    );
    // AVSD's dialog turns have a video, no frame: `--media image,audio` would leave them without
    // their visual medium, so they are left out and listed.
    assert_eq!(
        jsonl(&out.join("skipped.jsonl"))[0],
        json!({"id": "avsd/QRRA4/0/0/avqa", "reason": "media_not_exported", "detail": "has video, audio; --media lists image, audio"})
    );
    // dataset_info.json registers every file with the columns its lines have.
    let info = read_json(&out.join("dataset_info.json"));
    let entries = info.as_object().unwrap();
    assert_eq!(entries.len(), 10);
    assert_eq!(
        info["avfit_arig_test"],
        json!({
            "file_name": "avfit_arig_test.jsonl",
            "formatting": "sharegpt",
            "columns": {"audios": "audios", "images": "images", "messages": "messages"},
            "tags": {"assistant_tag": "assistant", "content_tag": "content", "role_tag": "role", "system_tag": "system", "user_tag": "user"}
        })
    );
    for (name, entry) in entries {
        let file = out.join(entry["file_name"].as_str().unwrap());
        assert!(file.is_file(), "{name}: {}", file.display());
        let lines = jsonl(&file);
        for column in entry["columns"].as_object().unwrap().values() {
            let column = column.as_str().unwrap();
            assert!(
                lines.iter().any(|l| l.get(column).is_some()),
                "{name}: no line has {column}"
            );
        }
        assert!(lines.iter().all(|l| l["messages"].is_array()), "{name}");
    }
    let files: Vec<String> = tree(&out).into_keys().collect();
    assert_eq!(files.len(), 12, "{files:?}");
}

#[test]
fn video_then_audio_and_a_media_dir() {
    let corpus = build_sample("train-video-corpus", &[]);
    let tmp = common::tempdir().unwrap();
    let out = tmp.path().join("lf");
    export_ok(
        &corpus,
        "llamafactory",
        &out,
        &["--media", "audio,video", "--media-dir", "/data/avfit"],
    );
    assert_chat_export(&corpus, &out, &["video", "audio"], "/data/avfit/");
    // The VALOR clips have a video: `<video><audio>`, the order Qwen-Omni's use_audio_in_video needs.
    // (The first VALOR line: Clotho's audio-only captions have no video.)
    let lines: Vec<_> = jsonl(&out.join("avfit_avc_test.jsonl"))
        .into_iter()
        .filter(|l| l.get("videos").is_some())
        .collect();
    let content = lines[0]["messages"][0]["content"].as_str().unwrap();
    assert!(content.starts_with("<video><audio>Describe"), "{content}");
    assert_eq!(
        lines[0]["videos"],
        json!(["/data/avfit/valor/videos/ccccccccccc_30.000_37.500.mp4"])
    );
    for line in tree(&out).keys().filter(|k| k.starts_with("avfit_")) {
        for l in jsonl(&out.join(line)) {
            let c = l["messages"][0]["content"].as_str().unwrap();
            assert_eq!(c.matches("<video>").count(), c.matches("<video><audio>").count(), "{c}");
        }
    }
    // Every ARIG and AVFC sample has an image and no video, so `--media audio,video` exports none
    // of them (they are in skipped.jsonl): no file, no dataset_info entry.
    let info = read_json(&out.join("dataset_info.json"));
    for name in [
        "avfit_arig_test",
        "avfit_arig_train",
        "avfit_avfc_test",
        "avfit_avfc_train",
    ] {
        assert!(info.get(name).is_none(), "{name}");
        assert!(!out.join(format!("{name}.jsonl")).exists(), "{name}");
    }
    assert_eq!(
        info["avfit_avc_test"]["columns"],
        json!({"audios": "audios", "messages": "messages", "videos": "videos"})
    );
}

#[test]
fn swift_grounding_objects() {
    let corpus = build_sample("train-swift-corpus", &[]);
    let tmp = common::tempdir().unwrap();
    let plain = tmp.path().join("plain");
    export_ok(&corpus, "swift", &plain, &[]);
    assert_chat_export(&corpus, &plain, &["image", "audio"], "");
    assert!(!plain.join("dataset_info.json").exists());

    let grounded = tmp.path().join("grounded");
    export_ok(&corpus, "swift", &grounded, &["--grounding", "objects"]);
    let arig = std::fs::read_to_string(grounded.join("avfit_arig_test.jsonl")).unwrap();
    assert_eq!(
        arig.lines().next().unwrap(),
        r#"{"messages":[{"role":"user","content":"<image><audio>Locate the source of the sound in the image and answer with its bounding box as [<obj>,xLeft,yTop,xRight,yBottom] with coordinates between 0 and 1."},{"role":"assistant","content":"<ref-object><bbox><bbox>"}],"images":["avsbench/frames/bbbbbbbbbbb_1_1.jpg"],"audios":["avsbench/audios/bbbbbbbbbbb_1.wav"],"objects":{"ref":["sounding object"],"bbox":[[0.0,0.0,0.25,0.125],[0.5,0.5,0.75,1.0]],"bbox_type":"norm1"}}"#
    );
    // AVFC type 4: the claim's box becomes <bbox>; the other types are as in the plain export.
    let groups = corpus_groups(&corpus);
    for split in ["train", "test"] {
        let samples = &groups[&("avfc".to_string(), split.to_string())];
        let lines = jsonl(&grounded.join(format!("avfit_avfc_{split}.jsonl")));
        let plain_lines = jsonl(&plain.join(format!("avfit_avfc_{split}.jsonl")));
        for ((line, plain_line), sample) in lines.iter().zip(&plain_lines).zip(samples) {
            if sample["target"]["type"] == 4 {
                let b = &sample["target"]["boxes"][0];
                let rendered = format!(
                    "[{:.3},{:.3},{:.3},{:.3}]",
                    b[0].as_f64().unwrap(),
                    b[1].as_f64().unwrap(),
                    b[2].as_f64().unwrap(),
                    b[3].as_f64().unwrap()
                );
                let content = plain_line["messages"][0]["content"]
                    .as_str()
                    .unwrap()
                    .replace(&rendered, "<bbox>");
                assert_eq!(line["messages"][0]["content"], json!(content));
                assert_eq!(line["objects"], json!({"ref": [], "bbox": [b], "bbox_type": "norm1"}));
                assert_eq!(line["messages"][1], plain_line["messages"][1]);
            } else {
                assert_eq!(line, plain_line);
            }
        }
    }
    let avfc4 = corpus_groups(&corpus)[&("avfc".to_string(), "test".to_string())]
        .iter()
        .position(|s| s["id"] == "openimages_audioset/0004d3e4f5a6b7c8/Cat/avfc/4")
        .unwrap();
    let line = &jsonl(&grounded.join("avfit_avfc_test.jsonl"))[avfc4];
    assert_eq!(
        line["messages"][0]["content"],
        "<image><audio>Judge whether the statement matches the audio-visual content. Respond with True or False.\nThe sound of the Cat comes from the object at <bbox>."
    );
    assert_eq!(
        line["objects"],
        json!({"ref": [], "bbox": [[0.75, 0.75, 1.0, 1.0]], "bbox_type": "norm1"})
    );
}

/// Copies the corpus `from` to `to` with `edit` applied to the first line of shard `shard`,
/// and the manifest's SHA-256 of that shard updated.
fn copy_with_edited_line(from: &Path, to: &Path, shard: &str, edit: impl Fn(&mut Value)) {
    for (rel, bytes) in tree(from) {
        let path = to.join(&rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let text = std::fs::read_to_string(to.join(shard)).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut first: Value = serde_json::from_str(&lines[0]).unwrap();
    edit(&mut first);
    lines[0] = serde_json::to_string(&first).unwrap();
    let new = lines.join("\n") + "\n";
    std::fs::write(to.join(shard), &new).unwrap();
    let mut manifest = read_json(&to.join("manifest.json"));
    for s in manifest["shards"].as_array_mut().unwrap() {
        if s["path"] == shard {
            s["sha256"] = json!(format!("{:x}", Sha256::digest(new.as_bytes())));
        }
    }
    std::fs::write(
        to.join("manifest.json"),
        serde_json::to_string_pretty(&manifest).unwrap(),
    )
    .unwrap();
}

#[test]
fn a_literal_placeholder_is_skipped_and_listed() {
    let corpus = build_sample("train-literal-corpus", &[]);
    let tmp = common::tempdir().unwrap();
    let edited = tmp.path().join("corpus");
    copy_with_edited_line(&corpus, &edited, "test/avc/valor-00000-of-00001.jsonl", |s| {
        s["input"] = json!("What does <audio> say?");
    });
    let out = tmp.path().join("lf");
    let run = avfit(&[
        "export",
        edited.to_str().unwrap(),
        "--format",
        "llamafactory",
        "--media",
        "image,video,audio",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains(&format!(
            "{} samples exported in 10 files, 1 skipped (literal_placeholder 1)",
            common::sample_figures().samples - 1
        )),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("skipped.jsonl")).unwrap(),
        "{\"id\":\"valor/ccccccccccc_30.000_37.500/avc\",\"reason\":\"literal_placeholder\",\"detail\":\"input contains <audio>\"}\n"
    );
    // test/avc held 7 samples (2 VALOR, 5 Clotho captions); one is left out.
    assert_eq!(jsonl(&out.join("avfit_avc_test.jsonl")).len(), 6);
    for file in tree(&out).keys().filter(|k| k.starts_with("avfit_")) {
        jsonl(&out.join(file)).iter().for_each(assert_placeholder_rule);
    }
}

#[test]
fn exports_are_deterministic_and_a_merged_build_exports_as_a_single_one() {
    let whole = build_sample("train-det-whole", &[]);
    let tmp = common::tempdir().unwrap();
    let mut parts = Vec::new();
    for k in 0..3 {
        let dir = tmp.path().join(format!("part{k}"));
        avfit_ok(&[
            "build",
            "--out",
            dir.to_str().unwrap(),
            "--quiet",
            "--partition",
            &format!("{k}/3"),
        ]);
        assert!(!dir.join("README.md").exists(), "a partition gets no card");
        parts.push(dir.to_str().unwrap().to_string());
    }
    let merged = tmp.path().join("merged");
    let mut args = vec!["merge", "--out", merged.to_str().unwrap()];
    args.extend(parts.iter().map(String::as_str));
    avfit_ok(&args);
    assert_eq!(
        std::fs::read(merged.join("README.md")).unwrap(),
        std::fs::read(whole.join("README.md")).unwrap()
    );
    for format in ["parquet", "llamafactory", "swift"] {
        let a = tmp.path().join(format!("{format}-a"));
        let b = tmp.path().join(format!("{format}-b"));
        let m = tmp.path().join(format!("{format}-m"));
        export_ok(&whole, format, &a, &[]);
        export_ok(&whole, format, &b, &[]);
        export_ok(&merged, format, &m, &[]);
        let ta = tree(&a);
        assert!(!ta.is_empty());
        assert_eq!(ta, tree(&b), "{format}: two exports differ");
        assert_eq!(ta, tree(&m), "{format}: merged build exports differently");
    }
}

#[test]
fn tasks_and_splits_select_what_is_exported() {
    let corpus = build_sample("train-select-corpus", &[]);
    let tmp = common::tempdir().unwrap();
    let out = tmp.path().join("pq");
    export_ok(&corpus, "parquet", &out, &["--tasks", "avqa,arig", "--splits", "test"]);
    let files: Vec<String> = tree(&out).into_keys().collect();
    assert_eq!(
        files,
        [
            "README.md",
            "arig/test-00000-of-00001.parquet",
            "avqa/test-00000-of-00001.parquet"
        ]
    );
    let card = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(
        card.contains(
            "configs:\n- config_name: default\n  default: true\n  data_files:\n  - split: test\n    path: \"*/test-*.parquet\"\n- config_name: arig\n  data_files:\n  - split: test\n    path: \"arig/test-*.parquet\"\n- config_name: avqa\n  data_files:\n  - split: test\n    path: \"avqa/test-*.parquet\"\ndataset_info:\n"
        ),
        "{card}"
    );
    assert!(card.contains("| test/arig | 24 |\n| test/avqa | 6 |\n"), "{card}");
    for file in files.iter().filter(|f| f.ends_with(".parquet")) {
        let bytes = std::fs::read(out.join(file)).unwrap();
        assert_eq!(&bytes[..4], b"PAR1");
        assert_eq!(&bytes[bytes.len() - 4..], b"PAR1");
    }
}

/// Runs avfit with `args`, asserting exit status 1 and a one-line error containing every one of
/// `needles`.
fn assert_refused(args: &[&str], needles: &[&str]) {
    let stderr = common::avfit_fails(args);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "`{needle}` not in {stderr}");
    }
}

#[test]
fn bad_input_is_refused_with_nothing_left_under_final_names() {
    let corpus = build_sample("train-bad-corpus", &[]);
    let tmp = common::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = out.to_str().unwrap();

    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let missing = format!("{}", empty.join("manifest.json").display());
    assert_refused(
        &["export", empty.to_str().unwrap(), "--format", "parquet", "--out", o],
        &[
            &missing,
            "expected the manifest.json of a corpus written by avfit build, convert or merge",
        ],
    );
    assert!(!out.exists());

    let c = corpus.to_str().unwrap();
    assert_refused(
        &["export", c, "--format", "csv", "--out", o],
        &["unknown export format `csv`; expected parquet, llamafactory or swift"],
    );
    assert_refused(
        &["export", c, "--format", "swift", "--tasks", "arig,avsr", "--out", o],
        &["unknown task `avsr`; expected arig, igatl, avfc, avqa, avc"],
    );
    assert_refused(
        &["export", c, "--format", "swift", "--media", "image,smell", "--out", o],
        &["unknown media kind `smell`"],
    );
    assert!(!out.exists());

    // A shard whose bytes differ from the manifest's: refused, nothing under a final name, for
    // every format (the tampered shard is read last: its files were already being written).
    let tampered = tmp.path().join("tampered");
    for (rel, bytes) in tree(&corpus) {
        let path = tampered.join(&rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let shard = tampered.join("train/avqa/music_avqa-00001-of-00002.jsonl");
    let shard = if shard.exists() {
        shard
    } else {
        tampered.join("test/avc/valor-00000-of-00001.jsonl")
    };
    let mut bytes = std::fs::read(&shard).unwrap();
    let at = bytes.iter().position(|b| *b == b'a').unwrap();
    bytes[at] = b'b';
    std::fs::write(&shard, bytes).unwrap();
    for format in ["parquet", "llamafactory", "swift"] {
        assert_refused(
            &["export", tampered.to_str().unwrap(), "--format", format, "--out", o],
            &[&shard.display().to_string(), "as manifest.json lists", "SHA-256"],
        );
        assert!(!out.exists(), "{format}: {:?}", out.exists().then(|| tree(&out)));
    }

    // An --out that holds other files is refused, and those files stay.
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    assert_refused(
        &["export", c, "--format", "swift", "--out", o],
        &["--out must be a new or empty directory"],
    );
    assert_eq!(std::fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");

    // An --out inside the corpus (or any avfit output directory) is refused: validate and the
    // next build would find files the manifest does not list.
    let inside = corpus.join("sub");
    assert_refused(
        &["export", c, "--format", "parquet", "--out", inside.to_str().unwrap()],
        &[
            "--out lies in the avfit output directory",
            "choose a directory outside it",
        ],
    );
    assert!(!inside.exists());
    // Options the Parquet format does not use are refused, not ignored.
    let fresh = tmp.path().join("fresh");
    let f = fresh.to_str().unwrap();
    assert_refused(
        &["export", c, "--format", "parquet", "--media", "video", "--out", f],
        &["--media applies to --format llamafactory and swift only"],
    );
    assert_refused(
        &["export", c, "--format", "parquet", "--media-dir", "/x", "--out", f],
        &["--media-dir applies to --format llamafactory and swift only"],
    );
    // A shard the manifest lists but that is gone: named, with what was expected.
    let gone = tampered.join("test/avc/valor-00000-of-00001.jsonl");
    std::fs::remove_file(&gone).unwrap();
    assert_refused(
        &[
            "export",
            tampered.to_str().unwrap(),
            "--format",
            "llamafactory",
            "--tasks",
            "avc",
            "--out",
            f,
        ],
        &[
            &gone.display().to_string(),
            "missing: expected the shard of 2 lines manifest.json lists",
        ],
    );
    assert!(!fresh.exists());
}

/// `AVFIT_PYTHON` when it imports `datasets` and `pyarrow`; else a visible skip (a failure with
/// `AVFIT_REQUIRE_PYTHON_DATASETS` set).
fn python(test: &str) -> Option<PathBuf> {
    common::require_tool(test, "PYTHON_DATASETS", || {
        let python = PathBuf::from(std::env::var_os("AVFIT_PYTHON")?);
        let ok = Command::new(&python)
            .args(["-c", "import datasets, pyarrow"])
            .status()
            .ok()?
            .success();
        ok.then_some(python)
    })
}

/// Loads `dir` with `datasets.load_dataset` for every config the card names; returns per config
/// the rows of each split (as JSON) and the features' repr, and the pyarrow schema of every
/// Parquet file.
const LOAD: &str = r#"
import json, os, sys, glob
import datasets, pyarrow.parquet as pq
datasets.disable_progress_bars()
d = sys.argv[1]
out = {"configs": {}, "parquet": {}}
names = datasets.get_dataset_config_names(d)
for name in names:
    ds = datasets.load_dataset(d, name)
    out["configs"][name] = {
        "features": {split: repr(ds[split].features) for split in ds},
        "rows": {split: ds[split].to_list() for split in ds},
    }
for path in sorted(glob.glob(os.path.join(d, "*", "*.parquet"))):
    t = pq.read_table(path)
    out["parquet"][os.path.relpath(path, d)] = {"rows": t.num_rows, "schema": {f.name: str(f.type) for f in t.schema}}
print(json.dumps(out))
"#;

fn load_with_datasets(python: &Path, dir: &Path) -> Value {
    let cache = common::tempdir().unwrap();
    let run = Command::new(python)
        .args(["-c", LOAD, dir.to_str().unwrap()])
        .env("HF_DATASETS_CACHE", cache.path())
        .env("HF_HOME", cache.path())
        .env("HF_HUB_OFFLINE", "1")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "datasets failed on {}: {}",
        dir.display(),
        String::from_utf8_lossy(&run.stderr)
    );
    serde_json::from_slice(&run.stdout).unwrap()
}

/// A corpus target as `datasets` loads it: every task's field, null where the task lacks it.
fn full_target(target: &Value) -> Value {
    let mut full = serde_json::Map::new();
    for field in [
        "label",
        "boxes",
        "segments",
        "duration",
        "type",
        "verdict",
        "question",
        "choices",
        "answer",
        "answer_index",
        "question_type",
        "caption",
    ] {
        full.insert(field.into(), target.get(field).cloned().unwrap_or(Value::Null));
    }
    Value::Object(full)
}

/// What `datasets` loaded from `dir` equals the corpus: per config and split the samples in
/// order, every field, `target` with nulls for the fields its task lacks; the features are the
/// same for every config.
fn assert_loads_as_corpus(loaded: &Value, corpus: &Path) {
    let groups = corpus_groups(corpus);
    let configs = loaded["configs"].as_object().unwrap();
    let mut tasks: Vec<&str> = groups.keys().map(|(t, _)| t.as_str()).collect();
    tasks.dedup();
    let mut names: Vec<&str> = configs.keys().map(String::as_str).collect();
    names.sort();
    let mut expected_names = tasks.clone();
    expected_names.push("default");
    expected_names.sort();
    assert_eq!(names, expected_names);
    let features: Vec<&Value> = configs
        .values()
        .flat_map(|c| c["features"].as_object().unwrap().values())
        .collect();
    assert!(
        features.windows(2).all(|w| w[0] == w[1]),
        "features differ across configs"
    );
    for (name, config) in configs {
        for (split, rows) in config["rows"].as_object().unwrap() {
            let rows = rows.as_array().unwrap();
            let mut expected: Vec<&Value> = groups
                .iter()
                .filter(|((t, s), _)| s == split && (name == "default" || t == name))
                .flat_map(|(_, v)| v)
                .collect();
            assert_eq!(rows.len(), expected.len(), "{name}/{split}");
            // The default config's files are globbed across tasks: compare by id.
            let mut rows: Vec<&Value> = rows.iter().collect();
            rows.sort_by_key(|r| r["id"].as_str().unwrap().to_string());
            expected.sort_by_key(|r| r["id"].as_str().unwrap().to_string());
            for (row, sample) in rows.iter().zip(&expected) {
                let mut sample = (*sample).clone();
                sample["target"] = full_target(&sample["target"]);
                assert_eq!(*row, &sample, "{name}/{split}");
            }
        }
    }
}

#[test]
fn datasets_loads_the_sample_corpus_and_its_parquet_export() {
    let Some(python) = python("datasets loads the sample corpus") else {
        return;
    };
    let corpus = build_sample("train-py-corpus", &[]);
    assert_loads_as_corpus(&load_with_datasets(&python, &corpus), &corpus);
    let tmp = common::tempdir().unwrap();
    let out = tmp.path().join("pq");
    export_ok(&corpus, "parquet", &out, &[]);
    let loaded = load_with_datasets(&python, &out);
    assert_loads_as_corpus(&loaded, &corpus);
    let schema = &loaded["parquet"]["arig/train-00000-of-00001.parquet"]["schema"];
    assert_eq!(schema["groups"], "list<element: string not null>");
    assert_eq!(
        schema["target"].as_str().unwrap().split(", segments").next().unwrap(),
        "struct<label: string, boxes: list<element: list<element: double not null> not null>"
    );
}

#[test]
fn datasets_loads_a_synth_build_and_its_parquet_export() {
    let Some(python) = python("datasets loads a synth build") else {
        return;
    };
    let inputs = out_dir("train-synth-inputs");
    avfit_ok(&["synth", "--scale", "0.001", "--out", inputs.to_str().unwrap()]);
    let corpus = out_dir("train-synth-build");
    avfit_ok(&[
        "build",
        "--manifest",
        inputs.join("manifest.toml").to_str().unwrap(),
        "--out",
        corpus.to_str().unwrap(),
        "--quiet",
    ]);
    assert_loads_as_corpus(&load_with_datasets(&python, &corpus), &corpus);
    let tmp = common::tempdir().unwrap();
    let out = tmp.path().join("pq");
    export_ok(&corpus, "parquet", &out, &[]);
    assert_loads_as_corpus(&load_with_datasets(&python, &out), &corpus);
    // The chat exports of the synth build parse, keep the placeholder rule, and hold every sample.
    let manifest = read_json(&corpus.join("manifest.json"));
    let total: u64 = manifest["counts"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    for format in ["llamafactory", "swift"] {
        let out = tmp.path().join(format);
        export_ok(&corpus, format, &out, &["--media", "image,video,audio"]);
        let mut lines = 0;
        for file in tree(&out).keys().filter(|k| k.starts_with("avfit_")) {
            for line in jsonl(&out.join(file)) {
                assert_placeholder_rule(&line);
                lines += 1;
            }
        }
        let skipped = jsonl(&out.join("skipped.jsonl")).len() as u64;
        assert_eq!(lines + skipped, total, "{format}");
    }
}
