//! Every real slice of the five datasets (through `AVFIT_REAL_DATA`, see `.ci/run`), converted by
//! the binary: the acceptance values pinned, and each defect FORMATS.md lists found in
//! `rejects.jsonl` with its reason. Without `AVFIT_REAL_DATA` each test prints a notice and passes.

mod common;

use common::{avfit_ok, check_output, out_dir, real_data, rejects, sample, samples};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

fn convert(source: &str, inputs: &[&Path], out: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["convert", "--source", source, "--out", out.to_str().unwrap(), "--quiet"];
    for input in inputs {
        args.extend(["--input", input.to_str().unwrap()]);
    }
    args.extend(extra);
    avfit_ok(&args);
    check_output(out);
    // No two samples of one task share media and input with different answers (issue 10).
    let stats = avfit::stats::compute(out).unwrap();
    assert_eq!(
        stats.ambiguous.count,
        0,
        "{}: ambiguous samples {:?}",
        out.display(),
        stats.ambiguous.examples
    );
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    common::assert_reconciles(&manifest, source);
    manifest
}

fn reasons(out: &Path) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for r in rejects(out) {
        *counts.entry(r["reason"].as_str().unwrap().to_string()).or_default() += 1;
    }
    counts
}

fn map(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn vggss_real_slice_and_its_anomalies() {
    let Some(dir) = real_data("vggss") else {
        return;
    };
    let out = out_dir("real-vggss");
    convert("vggss", &[&dir.join("vggss.slice.json")], &out, &[]);
    assert!(out.join("test/arig/vggss-00000-of-00001.jsonl").is_file());
    let elk = sample(&out, "vggss/zpWuikVorYg_000032/arig");
    assert_eq!(elk["target"]["boxes"], json!([[0.403125, 0.253125, 0.6, 0.75]]));
    assert_eq!(elk["answer"], "[<elk bugling>,0.403,0.253,0.600,0.750]");
    assert_eq!(elk["groups"], json!(["yt:zpWuikVorYg"]));
    // 33 records: 4 sentinel boxes, 3 degenerate boxes, one record left with none (checked by a
    // separate count in Python over the same file).
    assert_eq!(
        reasons(&out),
        map(&[("box_out_of_range", 4), ("degenerate_box", 3), ("no_valid_box", 1)])
    );
    assert_eq!(samples(&out).len(), 32);

    let qwen = out_dir("real-vggss-qwen");
    convert(
        "vggss",
        &[&dir.join("vggss.slice.json")],
        &qwen,
        &["--dialect", "qwen-vl"],
    );
    let elk = sample(&qwen, "vggss/zpWuikVorYg_000032/arig");
    assert_eq!(elk["answer"], "<ref>elk bugling</ref><box>(403,253),(600,750)</box>");
    assert_eq!(elk["target"]["boxes"], json!([[0.403125, 0.253125, 0.6, 0.75]]));

    // The 18 records of the full file with a bad box: 12 sentinel boxes, 6 of zero width or height
    // (FORMATS.md), and two records with no valid box left.
    let anomalies = out_dir("real-vggss-anomalies");
    convert("vggss", &[&dir.join("vggss.anomalies.json")], &anomalies, &[]);
    assert_eq!(
        reasons(&anomalies),
        map(&[("box_out_of_range", 12), ("degenerate_box", 6), ("no_valid_box", 2)])
    );
    let timbales = sample(&anomalies, "vggss/Db6Hjt0x28k_000056/arig");
    assert_eq!(timbales["target"]["boxes"], json!([[0.05, 0.35625, 0.753125, 0.98125]]));
    let first = &rejects(&anomalies)[0];
    assert_eq!(first["index"], 0);
    assert_eq!(
        first["detail"],
        "UyCw7pCgYg8_000055: box [0.00625, 0.015625, 0.00625, 0.015625]"
    );
}

#[test]
fn llp_real_slice_and_its_defects() {
    let Some(dir) = real_data("llp") else { return };
    let out = out_dir("real-llp");
    let audio = dir.join("AVVP_eval_audio.csv");
    let visual = dir.join("AVVP_eval_visual.csv");
    convert("llp", &[&audio, &visual], &out, &[]);
    let blender = sample(&out, "llp/KSRjje7GH44_60_70/Blender/igatl");
    assert_eq!(
        blender["target"],
        json!({"label": "Blender", "segments": [[8.0, 10.0]], "duration": 10.0})
    );
    assert_eq!(blender["answer"], "[8.0,10.0]");
    assert_eq!(blender["image"], "llp/frames/KSRjje7GH44_60_70_5.0.jpg");
    assert_eq!(blender["split"], "test");
    // Motorcycle of McVcuryKUp4_160_170: audio [0,2), visual [0,2) → frame at 1.0 s.
    let moto = sample(&out, "llp/McVcuryKUp4_160_170/Motorcycle/igatl");
    assert_eq!(moto["target"]["segments"], json!([[0.0, 2.0]]));
    assert_eq!(moto["image"], "llp/frames/McVcuryKUp4_160_170_1.0.jpg");
    // HK1i4YyF5WU_30_40 Motorcycle [4,6) with visual [0,10).
    assert_eq!(
        sample(&out, "llp/HK1i4YyF5WU_30_40/Motorcycle/igatl")["target"]["segments"],
        json!([[4.0, 6.0]])
    );
    assert_eq!(reasons(&out), map(&[("not_visible", 16)]));

    // Zero-length rows (`9 9`), a reversed row (`9 0`) and exact duplicates (read beside the
    // main file so that the output has samples for check-output).
    let quirks = out_dir("real-llp-quirks");
    convert(
        "llp",
        &[&audio, &dir.join("QUIRKS_eval_audio_rows.tsv"), &visual],
        &quirks,
        &[],
    );
    let r = reasons(&quirks);
    assert_eq!(
        (r["zero_length_segment"], r["reversed_segment"], r["duplicate_row"]),
        (5, 1, 4)
    );
    let reversed = rejects(&quirks)
        .into_iter()
        .find(|r| r["reason"] == "reversed_segment")
        .unwrap();
    assert_eq!(reversed["line"], 14);
    assert_eq!(
        reversed["detail"],
        "8DF2PxdT5tE_390_400 Cheering: [9.0, 0.0] in a clip of 10.0 s"
    );

    // Older copies: a label in the filename column, a stray backtick.
    let old = out_dir("real-llp-before-fix");
    convert(
        "llp",
        &[&audio, &dir.join("QUIRKS_eval_audio_rows_BEFORE_2024_fix.tsv"), &visual],
        &old,
        &[],
    );
    assert_eq!(reasons(&old)["bad_clip_id"], 3);
}

#[test]
fn llp_real_slice_per_visual_event() {
    let Some(dir) = real_data("llp") else { return };
    let out = common::build_manifest(
        "real-llp-per-visual-event",
        &format!(
            "[[source]]\nname = \"llp\"\ninputs = [{:?}, {:?}]\nparams = {{ samples = \"per_visual_event\" }}\n",
            dir.join("AVVP_eval_audio.csv"),
            dir.join("AVVP_eval_visual.csv")
        ),
    );
    check_output(&out);
    assert_eq!(avfit::stats::compute(&out).unwrap().ambiguous.count, 0);
    // 22 (clip, label) pairs seen at least once; Motorcycle of NaSGRWCzZYM_0_10 is seen twice,
    // [0,7) and [8,10): one more sample, both with the audio answer [0,10).
    assert_eq!(samples(&out).len(), 23);
    for (seen, frame) in [("0-7", "3.5"), ("8-10", "9.0")] {
        let moto = sample(&out, &format!("llp/NaSGRWCzZYM_0_10/Motorcycle/{seen}/igatl"));
        assert_eq!(moto["target"]["segments"], json!([[0.0, 10.0]]));
        assert_eq!(moto["image"], format!("llp/frames/NaSGRWCzZYM_0_10_{frame}.jpg"));
    }
    assert_eq!(reasons(&out), map(&[("not_visible", 16)]));
}

#[test]
fn avqa_real_record() {
    let Some(dir) = real_data("avqa") else { return };
    let out = out_dir("real-avqa");
    convert("avqa", &[&dir], &out, &[]);
    let s = sample(&out, "avqa/-HG3Omg_89c_000030/183/avqa");
    assert_eq!(
        s["target"],
        json!({
            "question": "What happened in the video?",
            "choices": ["motorboat", "Yacht consignment", "Sailboat set sail", "Consignment car"],
            "answer": "Yacht consignment",
            "answer_index": 1,
            "question_type": "Happening"
        })
    );
    assert_eq!(s["answer"], "Yacht consignment");
    assert_eq!(s["split"], "train");
    assert_eq!(s["groups"], json!(["yt:-HG3Omg_89c"]));
}

#[test]
fn music_avqa_real_slices_and_their_defects() {
    let Some(dir) = real_data("music_avqa") else {
        return;
    };
    let out = out_dir("real-music-avqa-test");
    convert("music_avqa", &[&dir.join("avqa-test.slice.json")], &out, &[]);
    let q = sample(&out, "music_avqa/00000100/35/avqa");
    assert_eq!(q["target"]["question"], "How many sounding violin in the video?");
    assert_eq!(q["answer"], "three");
    assert_eq!(q["target"]["question_type"], "Audio-Visual/Counting");
    assert_eq!(q["target"]["choices"], Value::Null);
    assert_eq!(q["target"]["answer_index"], Value::Null);
    assert_eq!(reasons(&out), map(&[]));
    assert_eq!(samples(&out).len(), 30);

    let quirks = out_dir("real-music-avqa-quirks");
    let manifest = convert(
        "music_avqa",
        &[&dir.join("QUIRKS_records_from_avqa-test.json")],
        &quirks,
        &[],
    );
    // Three pairs with conflicting answers (all six copies rejected), one exact repeat.
    assert_eq!(
        reasons(&quirks),
        map(&[("conflicting_duplicate", 6), ("duplicate_row", 1)])
    );
    assert_eq!(
        manifest["sources"]["music_avqa"]["skipped"],
        json!({"synthetic_video": 6})
    );
    let trailing = sample(&quirks, "music_avqa/00005077/4164/avqa");
    assert_eq!(trailing["target"]["question"], "Are there cello and accordion sound?");
    let lrer = sample(&quirks, "music_avqa/00004774/4829/avqa");
    assert_eq!(
        lrer["target"]["question"],
        "What kind of instrument is the rightest instrument?"
    );
    let before = sample(&quirks, "music_avqa/00007634/4317/avqa");
    assert_eq!(
        before["target"]["question"],
        "Which instrument makes sounds before the violin?"
    );
    assert_eq!(before["answer"], "cello");

    // val is skipped by default; --split reads it, and of the two val copies only json_update's,
    // the one that has question 00003328/337.
    let val = out_dir("real-music-avqa-val");
    let both = [
        &dir.join("json_update__avqa-val.slice.json"),
        &dir.join("avqa-val.slice.json"),
    ];
    let manifest = convert("music_avqa", &[both[0], both[1]], &val, &["--split", "test"]);
    assert_eq!(manifest["sources"]["music_avqa"]["read"], 30);
    assert_eq!(
        manifest["sources"]["music_avqa"]["notes"],
        json!({"superseded_by_json_update": 1})
    );
    assert_eq!(reasons(&val), map(&[]));
    let added = sample(&val, "music_avqa/00003328/337/avqa");
    assert_eq!(
        (&added["target"]["question"], &added["answer"]),
        (&json!("How many instruments are sounding in the video?"), &json!("two"))
    );
    let plain = out_dir("real-music-avqa-val-plain");
    convert("music_avqa", &[both[1]], &plain, &["--split", "test"]);
    assert!(samples(&plain)
        .iter()
        .all(|s| s["id"] != "music_avqa/00003328/337/avqa"));
    // The whole folder: the subset file avqa-train_fake is not read (only noted), so the
    // synthetic videos skipped are the QUIRKS file's six; val's plain copy is superseded.
    let fake = out_dir("real-music-avqa-all");
    let manifest = convert("music_avqa", &[&dir], &fake, &[]);
    let skipped = &manifest["sources"]["music_avqa"]["skipped"];
    assert_eq!(skipped["split_not_used"], 30);
    assert_eq!(skipped["synthetic_video"], 6);
    assert_eq!(
        manifest["sources"]["music_avqa"]["notes"],
        json!({"subset_file_not_read": 1, "superseded_by_json_update": 1})
    );
    // Named, the fake subset is read: its 20 questions are all on synthetic videos (so there is
    // no corpus to write, and the adapter is read directly).
    let (sink, stats) = common::read("music_avqa", &[dir.join("avqa-train_fake.slice.json")], None);
    assert_eq!((stats.read, sink.records.len()), (20, 0));
    assert_eq!(stats.skipped, BTreeMap::from([("synthetic_video".to_string(), 20)]));
    assert!(stats.notes.is_empty());
}

#[test]
fn valor_real_slices_and_digit_captions() {
    let Some(dir) = real_data("valor") else {
        return;
    };
    let out = out_dir("real-valor");
    let manifest = convert(
        "valor",
        &[
            &dir.join("desc_train.slice.json"),
            &dir.join("desc_val.slice.json"),
            &dir.join("desc_test.slice.json"),
        ],
        &out,
        &[],
    );
    assert_eq!(manifest["counts"], json!({"test/avc/valor": 30, "train/avc/valor": 30}));
    assert_eq!(manifest["sources"]["valor"]["skipped"], json!({"split_not_used": 30}));
    let first_val = sample(&out, "valor/7G0CFAGswrw_240.000_250.000/avc");
    assert_eq!(first_val["split"], "test");
    assert_eq!(first_val["groups"], json!(["yt:7G0CFAGswrw"]));
    assert!(first_val["answer"]
        .as_str()
        .unwrap()
        .starts_with("In the room, a woman held a can of stuff in her hand"));

    // QUIRKS_records.json has no split in its name: given under a native name, split forced.
    let tmp = common::tempdir().unwrap();
    let native = tmp.path().join("desc_val.json");
    std::fs::copy(dir.join("QUIRKS_records.json"), &native).unwrap();
    let quirks = out_dir("real-valor-quirks");
    convert("valor", &[&native], &quirks, &["--split", "test"]);
    assert_eq!(reasons(&quirks), map(&[("digits_only_caption", 8)]));
    let digits = rejects(&quirks).into_iter().next().unwrap();
    assert_eq!(digits["detail"], "Agi5ySKb1tY_23.700_33.700: desc is `700`");
    assert_eq!(samples(&quirks).len(), 5);
    let short = sample(&quirks, "valor/f9rfsCGlpes_0.000_7.000/avc");
    assert_eq!(short["groups"], json!(["yt:f9rfsCGlpes"]));
}

#[test]
fn pascal_voc_real_annotation() {
    let Some(dir) = real_data("pascal_voc") else { return };
    let tmp = common::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("Annotations")).unwrap();
    std::fs::copy(
        dir.join("mmdetection_tests_VOC2012_Annotations_000001.xml"),
        tmp.path().join("Annotations/000001.xml"),
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("pascal_sound.csv"),
        "image_id,audio,label\n000001,train_horn.wav,train\n",
    )
    .unwrap();
    let out = out_dir("real-pascal-voc");
    convert("pascal_sound", &[tmp.path()], &out, &[]);
    // xmin 139, ymin 200, xmax 207, ymax 301 on 335x500: 138/335, 199/500, 207/335, 301/500.
    let train = sample(&out, "pascal_sound/000001/train/arig");
    assert_eq!(
        train["target"]["boxes"],
        json!([[0.41194029850746267, 0.398, 0.6179104477611941, 0.602]])
    );
    assert_eq!(train["answer"], "[<train>,0.412,0.398,0.618,0.602]");
    assert_eq!(train["groups"], json!(["voc:000001"]));
}

#[test]
fn flickr_soundnet_real_test_lists_restrict_the_ids() {
    let Some(dir) = real_data("flickr_soundnet") else {
        return;
    };
    let tmp = common::tempdir().unwrap();
    let xml = "<annotation><object><bbox><annotator>1</annotator><xmin>0</xmin><ymin>0</ymin><xmax>128</xmax><ymax>64</ymax></bbox></object></annotation>";
    std::fs::create_dir(tmp.path().join("Annotations")).unwrap();
    // 2432219254 is the first id of both real lists (`2432219254.png`, `/hdd/.../2432219254.mp4`).
    std::fs::write(tmp.path().join("Annotations/2432219254.xml"), xml).unwrap();
    std::fs::write(tmp.path().join("Annotations/1111111111.xml"), xml).unwrap();
    for list in ["test_list.head40.txt", "supervised_test_list.head5.txt"] {
        let out = out_dir(&format!("real-flickr-{list}"));
        let manifest = convert("flickr_soundnet", &[tmp.path(), &dir.join(list)], &out, &[]);
        assert_eq!(
            manifest["sources"]["flickr_soundnet"]["skipped"],
            json!({"not_in_test_list": 1}),
            "{list}"
        );
        let s = sample(&out, "flickr_soundnet/2432219254/arig");
        assert_eq!(s["target"]["boxes"], json!([[0.0, 0.0, 0.5, 0.25]]));
        assert_eq!(s["image"], "flickr_soundnet/frames/2432219254.jpg");
    }
}

/// Finding 4 of issue 16, checked outside the test harness: this very test binary, run again
/// without `AVFIT_REAL_DATA` (and without `CI`), passes the VGG-SS test but writes its SKIPPED
/// line to stderr, where `cargo test` shows it (the harness does not capture it).
#[test]
fn without_the_variable_a_real_data_test_says_skipped_on_stderr() {
    if std::env::var_os("AVFIT_SKIP_CHILD").is_some() {
        return; // the child run below: do not recurse
    }
    let run = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "vggss_real_slice_and_its_anomalies", "--test-threads", "1"])
        .env_remove("AVFIT_REAL_DATA")
        .env_remove("CI")
        .env("AVFIT_SKIP_CHILD", "1")
        .output()
        .unwrap();
    assert!(run.status.success());
    assert_eq!(
        String::from_utf8_lossy(&run.stderr),
        "SKIPPED a test of the real vggss slice: AVFIT_REAL_DATA is not set (.ci/run sets it to ../shared/real)\n"
    );
    assert!(String::from_utf8_lossy(&run.stdout).contains("1 passed"));
}
