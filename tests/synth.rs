//! `avfit synth`: the generated inputs build, match their expected counts, carry their defects as
//! rejects, and are byte-identical for the same scale and seed.

mod common;

use common::{avfit_ok, check_output, out_dir, rejects, walk};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const SCALE: &str = "0.001";

fn synth(name: &str, seed: &str) -> std::path::PathBuf {
    let dir = out_dir(name);
    avfit_ok(&[
        "synth",
        "--scale",
        SCALE,
        "--out",
        dir.to_str().unwrap(),
        "--seed",
        seed,
    ]);
    dir
}

/// Every file under `dir` (relative path → bytes).
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walk(dir)
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            (rel, std::fs::read(&p).unwrap())
        })
        .collect()
}

#[test]
fn tiny_synth_builds_with_exact_counts_and_its_defects_rejected() {
    let inputs = synth("synth-inputs", "0");
    let out = out_dir("synth-build");
    avfit_ok(&[
        "build",
        "--manifest",
        inputs.join("manifest.toml").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    // No two samples of one task share media and input with different answers (issue 10).
    let stats = avfit::stats::compute(&out).unwrap();
    assert_eq!(stats.ambiguous.count, 0, "{:?}", stats.ambiguous.examples);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let counts = manifest["counts"].as_object().unwrap();
    let expected = manifest["expected"].as_object().unwrap();
    let direct = [
        "vggss",
        "avsbench",
        "pascal_sound",
        "flickr_soundnet",
        "llp",
        "avqa",
        "music_avqa",
        "valor",
    ];
    for (key, want) in expected {
        let source = key.rsplit('/').next().unwrap();
        let got = counts.get(key).and_then(|v| v.as_u64()).unwrap_or(0);
        let want = want.as_u64().unwrap();
        if direct.contains(&source) {
            assert_eq!(got, want, "{key}");
        } else if key.contains("/avfc/") {
            // AVFC: how many negatives exist depends on the pairing rules; samples must be there.
            assert!(got > 0, "{key}: no samples");
        } else {
            // Curated ARIG / IGATL: the paper's counts times the scale, approximately.
            assert!(got > 0, "{key}: no samples");
            assert!(
                (got as f64 - want as f64).abs() <= 0.25 * want as f64 + 3.0,
                "{key}: {got} samples, expected about {want}"
            );
        }
    }
    for s in direct.iter().chain(&[
        "openimages_audioset",
        "openimages_vggsound",
        "openimages_audioset_strong",
    ]) {
        let stats = &manifest["sources"][s];
        assert!(stats["used"].as_u64().unwrap() > 0, "{s}: nothing used");
        assert!(stats["rejected"].as_u64().unwrap() > 0, "{s}: no defect rejected");
    }

    // The defects each dataset carries, by reason code.
    let mut reasons: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in rejects(&out) {
        reasons
            .entry(r["source"].as_str().unwrap().to_string())
            .or_default()
            .insert(r["reason"].as_str().unwrap().to_string());
    }
    let want: &[(&str, &[&str])] = &[
        (
            "vggss",
            &["no_valid_box", "duplicate_row", "box_out_of_range", "degenerate_box"],
        ),
        ("avsbench", &["empty_mask", "missing_media", "duplicate_row"]),
        (
            "pascal_sound",
            &[
                "missing_annotation",
                "no_matching_object",
                "no_valid_box",
                "duplicate_row",
            ],
        ),
        (
            "flickr_soundnet",
            &["no_valid_box", "box_out_of_range", "degenerate_box"],
        ),
        (
            "llp",
            &[
                "zero_length_segment",
                "reversed_segment",
                "duplicate_row",
                "bad_clip_id",
            ],
        ),
        ("avqa", &["answer_out_of_range", "null_answer", "duplicate_row"]),
        (
            "music_avqa",
            &[
                "placeholder_mismatch",
                "malformed_field",
                "duplicate_row",
                "conflicting_duplicate",
            ],
        ),
        ("valor", &["digits_only_caption", "duplicate_row"]),
        (
            "openimages_audioset",
            &[
                "box_out_of_range",
                "degenerate_box",
                "reversed_box",
                "missing_field",
                "bad_clip_id",
                "malformed_field",
                "duplicate_row",
            ],
        ),
        (
            "openimages_vggsound",
            &["box_out_of_range", "bad_clip_id", "malformed_field", "duplicate_row"],
        ),
        (
            "openimages_audioset_strong",
            &[
                "reversed_box",
                "zero_length_segment",
                "reversed_segment",
                "segment_out_of_range",
                "bad_clip_id",
            ],
        ),
    ];
    for (source, codes) in want {
        let got = reasons.get(*source).cloned().unwrap_or_default();
        for code in *codes {
            assert!(got.contains(*code), "{source}: no `{code}` reject; got {got:?}");
        }
    }
    check_output(&out);
}

#[test]
fn same_seed_is_byte_identical_and_another_seed_differs() {
    let a = files(&synth("synth-seed-a", "7"));
    let b = files(&synth("synth-seed-b", "7"));
    assert_eq!(a.len(), b.len());
    for (path, bytes) in &a {
        assert!(
            b.get(path) == Some(bytes),
            "{path} differs between two runs with seed 7"
        );
    }
    let c = files(&synth("synth-seed-c", "8"));
    let differing = a.iter().filter(|(p, bytes)| c.get(*p) != Some(*bytes)).count();
    assert!(differing > 10, "seed 8 changed only {differing} files");
}

#[test]
fn generated_files_have_their_native_shape() {
    let dir = synth("synth-shape", "0");
    let text = |rel: &str| std::fs::read_to_string(dir.join(rel)).unwrap();

    // Open Images: the header, sorted disjoint ids, 6-decimal boxes.
    let mut ids: Vec<BTreeSet<String>> = Vec::new();
    for (file, header_end) in [
        (
            "openimages/train-annotations-bbox.csv",
            ",IsInside,XClick1X,XClick2X,XClick3X,XClick4X,XClick1Y,XClick2Y,XClick3Y,XClick4Y",
        ),
        ("openimages/validation-annotations-bbox.csv", ",IsDepiction,IsInside"),
        ("openimages/test-annotations-bbox.csv", ",IsDepiction,IsInside"),
    ] {
        let t = text(file);
        let mut lines = t.lines();
        let header = lines.next().unwrap();
        assert!(header.starts_with("ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,"));
        assert!(header.ends_with(header_end), "{file}: {header}");
        let rows: Vec<&str> = lines.map(|l| l.split(',').next().unwrap()).collect();
        assert!(rows.windows(2).all(|w| w[0] <= w[1]), "{file} is not sorted by ImageID");
        assert!(rows
            .iter()
            .all(|id| id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())));
        ids.push(rows.iter().map(|s| s.to_string()).collect());
    }
    assert!(ids[0].is_disjoint(&ids[1]) && ids[0].is_disjoint(&ids[2]) && ids[1].is_disjoint(&ids[2]));

    // AudioSet: three comment lines, then `YTID, start, end, "MIDs"`.
    let segments = text("audioset/unbalanced_train_segments.csv");
    let lines: Vec<&str> = segments.lines().collect();
    assert!(lines[..3].iter().all(|l| l.starts_with('#')));
    assert_eq!(lines[2], "# YTID, start_seconds, end_seconds, positive_labels");
    let first: Vec<&str> = lines[3].splitn(4, ", ").collect();
    assert_eq!(first[0].len(), 11, "{}", lines[3]);
    assert!(first[3].starts_with("\"/m/") && first[3].ends_with('"'), "{}", lines[3]);

    // AudioSet Strong and LLP headers.
    assert!(text("audioset_strong/audioset_train_strong.tsv")
        .starts_with("segment_id\tstart_time_seconds\tend_time_seconds\tlabel\n"));
    assert!(text("llp/AVVP_eval_audio.csv").starts_with("filename\tonset\toffset\tevent_labels\n"));

    // AVSBench masks are 224x224 PNGs beside their metadata.
    let masks: Vec<_> = walk(&dir.join("avsbench"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    assert!(!masks.is_empty());
    let mask = image::open(&masks[0]).unwrap();
    assert_eq!((mask.width(), mask.height()), (224, 224));

    // JSON arrays parse and have the native keys.
    let vggss: serde_json::Value = serde_json::from_str(&text("vggss/vggss.json")).unwrap();
    assert_eq!(
        vggss[0].as_object().unwrap().keys().collect::<BTreeSet<_>>(),
        ["bbox", "class", "file"]
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>()
            .iter()
            .collect()
    );
    let music: serde_json::Value = serde_json::from_str(&text("music_avqa/json_update/avqa-train.json")).unwrap();
    assert!(
        music[0]["type"].as_str().unwrap().starts_with('['),
        "type is a JSON list in a string"
    );
    assert!(music[0].get("anser").is_some());

    // Exact values at seed 0: the first VALOR training record and the first VGG-SS record.
    let valor = text("valor/desc_train.json");
    assert_eq!(
        &valor[..valor.find('}').unwrap() + 1],
        r#"[{"video_id": "AWqgl6Gu7Ig_175.400_185.400", "desc": "A man types on a keyboard while music plays in the background."}"#
    );
    let vggss_text = text("vggss/vggss.json");
    // 188/224, 2/224, 216/224, 198/224 on the 224 grid; the record is repeated next (a defect).
    let first = r#"{"file": "6dyMJhBOe2R_000180", "class": "playing drum kit", "bbox": [[0.8392857142857143, 0.008928571428571428, 0.9642857142857143, 0.8839285714285714]]}"#;
    assert!(
        vggss_text.starts_with(&format!("[{first}, {first}, ")),
        "{}",
        &vggss_text[..400]
    );
}
