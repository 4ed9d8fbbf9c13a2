//! Declarative sources (issue 15): the five shipped specs on their samples (tests/data/<name>/)
//! and their real slices, the README's AudioCaps example, and every refusal at load. Expected
//! values are worked out by hand from the rows quoted in the comments.

mod common;

use avfit::record::{Record, Split};
use avfit::sources::{self, SourceOptions, SourceStats, VecSink};
use avfit::spec::Spec;
use serde_json::json;
use std::path::{Path, PathBuf};

fn read(source: &'static dyn sources::Source, inputs: &[PathBuf]) -> (VecSink, SourceStats) {
    let options = SourceOptions::new(source);
    let (sink, stats) = sources::read_all(source, inputs, &options).unwrap();
    assert!(stats.reconciles(), "read = used + rejected + skipped: {stats:?}");
    (sink, stats)
}

fn shipped(name: &str) -> &'static dyn sources::Source {
    avfit::registry::find(name).unwrap()
}

/// (key, split, image, audio, video, target as JSON, referring).
fn summary(
    r: &Record,
) -> (
    String,
    Split,
    Option<String>,
    Option<String>,
    Option<String>,
    serde_json::Value,
    bool,
) {
    (
        r.key.clone(),
        r.split,
        r.media.image.as_deref().map(str::to_string),
        r.media.audio.as_deref().map(str::to_string),
        r.media.video.as_deref().map(str::to_string),
        serde_json::to_value(&r.target).unwrap(),
        r.referring,
    )
}

fn counts(stats: &SourceStats) -> (u64, u64, u64, Vec<(String, u64)>, Vec<(String, u64)>) {
    (
        stats.read,
        stats.used,
        stats.rejected,
        stats.skipped.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        stats.notes.iter().map(|(k, v)| (k.clone(), *v)).collect(),
    )
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

fn pairs(list: &[(&str, u64)]) -> Vec<(String, u64)> {
    list.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn every_shipped_spec_loads_and_is_listed() {
    let names: Vec<&str> = avfit::spec::shipped().iter().map(|s| s.name).collect();
    assert_eq!(names, ["ave", "desed", "clotho", "avsd", "ytbb"]);
    let out = common::avfit_ok(&["sources"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "desed                      igatl      weak*.tsv (skip), validation.tsv (test), public.tsv (test), *.tsv (test) [spec sources/desed.toml]"
        ),
        "{text}"
    );
    for spec in avfit::spec::shipped() {
        assert!(!spec.citation.is_empty() && !spec.license.is_empty(), "{}", spec.name);
    }
}

/// tests/data/ave: trainSet.txt (no header) 7 rows, testSet.txt (with the header) 2, valSet.txt
/// 1, Annotations.txt not read (split files given).
#[test]
fn ave_sample() {
    let (sink, stats) = read(shipped("ave"), &[common::data("ave")]);
    assert_eq!(
        counts(&stats),
        (
            10,
            6,
            2,
            pairs(&[("filtered_out", 1), ("split_not_used", 1)]),
            pairs(&[("header_row", 1), ("no_header_row", 2), ("superseded_by_other_file", 1)])
        )
    );
    let got: Vec<_> = sink.records.iter().map(summary).collect();
    assert_eq!(
        got,
        vec![
            // `Male speech...&-ccciEuH9FE&good&5&10`: frame at the middle of [5,10).
            (
                "-ccciEuH9FE/Male speech, man speaking".into(),
                Split::Test,
                s("ave/frames/-ccciEuH9FE_7.5.jpg"),
                s("ave/audios/-ccciEuH9FE.wav"),
                None,
                json!({"label": "Male speech, man speaking", "segments": [[5.0, 10.0]], "duration": 10.0}),
                true
            ),
            (
                "-ccciEuH9FE/Female speech, woman speaking".into(),
                Split::Test,
                s("ave/frames/-ccciEuH9FE_7.5.jpg"),
                s("ave/audios/-ccciEuH9FE.wav"),
                None,
                json!({"label": "Female speech, woman speaking", "segments": [[5.0, 10.0]], "duration": 10.0}),
                true
            ),
            (
                "RUhOCu3LNXM/Church bell".into(),
                Split::Train,
                s("ave/frames/RUhOCu3LNXM_5.0.jpg"),
                s("ave/audios/RUhOCu3LNXM.wav"),
                None,
                json!({"label": "Church bell", "segments": [[0.0, 10.0]], "duration": 10.0}),
                true
            ),
            // Bark 2-4, 4-6 (touching: merged) and 8-9: frame at the middle of [2,6).
            (
                "-J2WJaG1Dd4/Bark".into(),
                Split::Train,
                s("ave/frames/-J2WJaG1Dd4_4.0.jpg"),
                s("ave/audios/-J2WJaG1Dd4.wav"),
                None,
                json!({"label": "Bark", "segments": [[2.0, 6.0], [8.0, 9.0]], "duration": 10.0}),
                true
            ),
        ]
    );
    assert_eq!(sink.records[0].groups, [avfit::record::Text::from("yt:-ccciEuH9FE")]);
    assert_eq!(
        common::reject_summary(&sink.rejects),
        vec![
            (
                "zero_length_segment".into(),
                5,
                "line 5: [3.0, 3.0] in a clip of 10.0 s".into()
            ),
            (
                "bad_clip_id".into(),
                7,
                "line 7: `VideoID` = `short` does not match `^(?:(?P<ytid>[A-Za-z0-9_-]{11}))$`".into()
            ),
        ]
    );
    // Annotations.txt alone is read, as train.
    let (sink, stats) = read(shipped("ave"), &[common::data("ave/Annotations.txt")]);
    assert_eq!(counts(&stats), (1, 1, 0, vec![], pairs(&[("header_row", 1)])));
    assert_eq!(sink.records[0].split, Split::Train);
}

/// tests/data/desed/validation.tsv (7 rows) and weak.tsv (2 rows, no times: skipped).
#[test]
fn desed_sample() {
    let (sink, stats) = read(shipped("desed"), &[common::data("desed")]);
    assert_eq!(
        counts(&stats),
        (9, 4, 2, pairs(&[("no_event", 1), ("split_not_used", 2)]), vec![])
    );
    let got: Vec<_> = sink.records.iter().map(summary).collect();
    let clip = "Y00pbt6aJV8Y_350.000_360.000";
    assert_eq!(
        got,
        vec![
            // 0-3.5 and 3.5-5 touch: one segment; the clip lasts 360 - 350 s.
            (
                format!("{clip}/Speech"),
                Split::Test,
                None,
                s(&format!("desed/audios/{clip}.wav")),
                None,
                json!({"label": "Speech", "segments": [[0.0, 5.0]], "duration": 10.0}),
                true
            ),
            // 10.150 is 0.15 s past the end: clamped.
            (
                format!("{clip}/Dog"),
                Split::Test,
                None,
                s(&format!("desed/audios/{clip}.wav")),
                None,
                json!({"label": "Dog", "segments": [[6.0, 10.0]], "duration": 10.0}),
                true
            ),
            (
                "Y0lNm9pXXHxA_0.000_9.000/Cat".into(),
                Split::Test,
                None,
                s("desed/audios/Y0lNm9pXXHxA_0.000_9.000.wav"),
                None,
                json!({"label": "Cat", "segments": [[3.084, 3.884]], "duration": 9.0}),
                true
            ),
        ]
    );
    assert_eq!(sink.records[0].groups, [avfit::record::Text::from("yt:00pbt6aJV8Y")]);
    let rejects = common::reject_summary(&sink.rejects);
    assert_eq!(
        rejects.iter().map(|(r, l, _)| (r.as_str(), *l)).collect::<Vec<_>>(),
        [("segment_out_of_range", 6), ("bad_clip_id", 8)]
    );
    assert_eq!(rejects[0].2, "line 6: [9.0, 10.3] in a clip of 10.0 s");
}

/// tests/data/clotho: development (2 rows, one empty caption), evaluation (1 row, with a BOM).
#[test]
fn clotho_sample() {
    let (sink, stats) = read(shipped("clotho"), &[common::data("clotho")]);
    assert_eq!(counts(&stats), (15, 14, 1, vec![], vec![]));
    let first = summary(&sink.records[0]);
    assert_eq!(
        first,
        (
            "Rain, thunder &amp; wind/1".into(),
            Split::Train,
            None,
            s("clotho/audios/Rain, thunder &amp; wind.wav"),
            None,
            json!({"caption": "Rain falls, and thunder rolls."}),
            false
        )
    );
    // The trailing space of caption_5 is trimmed.
    assert_eq!(
        serde_json::to_value(&sink.records[4].target).unwrap(),
        json!({"caption": "Thunder in the distance."})
    );
    let keys: Vec<&str> = sink.records.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(
        &keys[5..],
        [
            "Birds/1",
            "Birds/3",
            "Birds/4",
            "Birds/5",
            "Dog bark/1",
            "Dog bark/2",
            "Dog bark/3",
            "Dog bark/4",
            "Dog bark/5"
        ]
    );
    assert_eq!(sink.records[9].split, Split::Test);
    assert_eq!(
        common::reject_summary(&sink.rejects),
        vec![(
            "missing_field".into(),
            3,
            "line 3 caption_2: no `the expanded value`".into()
        )]
    );
}

/// tests/data/avsd: the DSTC7 shape, one undisclosed answer, an empty question, a dialog
/// without turns.
#[test]
fn avsd_sample_dstc7_shape() {
    let (sink, stats) = read(shipped("avsd"), &[common::data("avsd")]);
    assert_eq!(
        counts(&stats),
        (
            6,
            3,
            2,
            pairs(&[("undisclosed_answer", 1)]),
            pairs(&[("records_path_1", 1)])
        )
    );
    let got: Vec<_> = sink.records.iter().map(summary).collect();
    let qa = |question: &str, answer: &str| json!({"question": question, "choices": null, "answer": answer, "answer_index": null, "question_type": "dialog"});
    assert_eq!(
        got,
        vec![
            (
                "QRRA4/0/0".into(),
                Split::Test,
                None,
                s("avsd/audios/QRRA4.wav"),
                s("avsd/videos/QRRA4.mp4"),
                qa("is there only one person ?", "yes , just one man ."),
                false
            ),
            (
                "QRRA4/0/1".into(),
                Split::Test,
                None,
                s("avsd/audios/QRRA4.wav"),
                s("avsd/videos/QRRA4.mp4"),
                qa(
                    "Q: is there only one person ?\nA: yes , just one man .\nQ: what is he doing ?",
                    "he is reading a book ."
                ),
                false
            ),
            (
                "7UPGT/1/0".into(),
                Split::Test,
                None,
                s("avsd/audios/7UPGT.wav"),
                s("avsd/videos/7UPGT.mp4"),
                qa("where is she ?", "in the kitchen ."),
                false
            ),
        ]
    );
    assert_eq!(sink.records[0].groups, [avfit::record::Text::from("charades:QRRA4")]);
    assert_eq!(
        common::reject_summary(&sink.rejects),
        vec![
            (
                "missing_field".into(),
                1,
                ".dialogs[1].dialog[1]: no `turn.question`".into()
            ),
            (
                "missing_field".into(),
                2,
                ".dialogs[2]: no `dialog` (so none of its records)".into()
            ),
        ]
    );
}

/// tests/data/ytbb: headerless, two boxes of one frame, an absent row, a reversed box.
#[test]
fn ytbb_sample() {
    let (sink, stats) = read(shipped("ytbb"), &[common::data("ytbb")]);
    assert_eq!(
        counts(&stats),
        (5, 3, 1, pairs(&[("filtered_out", 1)]), pairs(&[("no_header_row", 1)]))
    );
    let got: Vec<_> = sink.records.iter().map(summary).collect();
    assert_eq!(
        got,
        vec![
            // xmin,xmax,ymin,ymax = 0.1,0.5,0.2,0.9 and 0.6,0.9,0.1,0.4.
            (
                "AAAAAAAAAAA/1000/person".into(),
                Split::Test,
                s("ytbb/frames/AAAAAAAAAAA_1.0.jpg"),
                None,
                None,
                json!({"label": "person", "boxes": [[0.1, 0.2, 0.5, 0.9], [0.6, 0.1, 0.9, 0.4]]}),
                true
            ),
            (
                "BBBBBBBBBBB/1500/car".into(),
                Split::Test,
                s("ytbb/frames/BBBBBBBBBBB_1.5.jpg"),
                None,
                None,
                json!({"label": "car", "boxes": [[0.0, 0.0, 1.0, 1.0]]}),
                true
            ),
        ]
    );
    assert_eq!(
        common::reject_summary(&sink.rejects),
        vec![("reversed_box".into(), 4, "line 4: [0.5, 0.1, 0.4, 0.2]".into())]
    );
}

/// The README's worked example (AudioCaps `train.csv`), as a user's spec file.
#[test]
fn audiocaps_readme_example() {
    let spec = avfit::spec::load(&common::data("audiocaps/audiocaps.toml")).unwrap();
    let (sink, stats) = read(spec, &[common::data("audiocaps/train.csv")]);
    assert_eq!(counts(&stats), (4, 2, 2, vec![], vec![]));
    let got: Vec<_> = sink.records.iter().map(summary).collect();
    assert_eq!(
        got,
        vec![
            (
                "91139".into(),
                Split::Train,
                None,
                s("audiocaps/audios/r1nicOVtvkQ_130.wav"),
                None,
                json!({"caption": "A woman talks nearby as water pours"}),
                false
            ),
            (
                "58146".into(),
                Split::Train,
                None,
                s("audiocaps/audios/UDGBjjwyaqE_20.wav"),
                None,
                json!({"caption": "Multiple clanging, clanking sounds"}),
                false
            ),
        ]
    );
    let reasons: Vec<_> = sink.rejects.iter().map(|r| (r.reason.as_str(), r.line)).collect();
    assert_eq!(reasons, [("bad_clip_id", Some(4)), ("duplicate_row", Some(5))]);
    let out = common::out_dir("spec-audiocaps");
    let spec_path = common::data("audiocaps/audiocaps.toml");
    let input = common::data("audiocaps/train.csv");
    common::avfit_ok(&[
        "convert",
        "--spec",
        spec_path.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    common::check_output(&out);
    let first = common::sample(&out, "audiocaps/91139/avc");
    assert_eq!(first["template"].as_str().unwrap().split('/').next(), Some("avc"));
    assert!(first["template"].as_str().unwrap().starts_with("avc/audio-"));
}

/// Each sample through the command line: check-output clean, samples that speak of their media.
#[test]
fn shipped_specs_convert_their_samples_cleanly() {
    for (name, expected_template) in [
        ("ave", "igatl/refer-"),
        ("desed", "igatl/audio-"),
        ("clotho", "avc/audio-"),
        ("avsd", "avqa/"),
        ("ytbb", "arig/refer-"),
    ] {
        let out = common::out_dir(&format!("spec-sample-{name}"));
        let input = common::data(name);
        common::avfit_ok(&[
            "convert",
            "--source",
            name,
            "--input",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ]);
        common::check_output(&out);
        for sample in common::samples(&out) {
            let template = sample["template"].as_str().unwrap();
            assert!(template.starts_with(expected_template), "{name}: {template}");
        }
    }
}

fn real(dataset: &str) -> Option<PathBuf> {
    common::real_data(dataset)
}

#[test]
fn ave_real_slice() {
    let Some(dir) = real("ave") else { return };
    let (sink, stats) = read(shipped("ave"), &[dir.clone()]);
    // 40 rows each in trainSet (train), testSet (test), valSet (skipped); both Annotations
    // copies superseded by the split files; no split file has a header.
    assert_eq!(
        counts(&stats),
        (
            120,
            80,
            0,
            pairs(&[("split_not_used", 40)]),
            pairs(&[("no_header_row", 3), ("superseded_by_other_file", 2)])
        )
    );
    let by_key = |k: &str| sink.records.iter().find(|r| r.key == k).map(summary).unwrap();
    // trainSet `Church bell&lDo2BlqTNhs&good&6&8`.
    assert_eq!(
        by_key("lDo2BlqTNhs/Church bell"),
        (
            "lDo2BlqTNhs/Church bell".into(),
            Split::Train,
            s("ave/frames/lDo2BlqTNhs_7.0.jpg"),
            s("ave/audios/lDo2BlqTNhs.wav"),
            None,
            json!({"label": "Church bell", "segments": [[6.0, 8.0]], "duration": 10.0}),
            true
        )
    );
    // testSet `Bark&C36VKCXQT3c&good&3&5`.
    assert_eq!(
        by_key("C36VKCXQT3c/Bark").5,
        json!({"label": "Bark", "segments": [[3.0, 5.0]], "duration": 10.0})
    );
    assert_eq!(by_key("C36VKCXQT3c/Bark").2, s("ave/frames/C36VKCXQT3c_4.0.jpg"));
    // Annotations.txt alone: the header detected, `Church bell&VWi2ENBuTbw&good&0&0` rejected.
    let (sink, stats) = read(shipped("ave"), &[dir.join("Annotations.txt")]);
    assert_eq!(counts(&stats), (40, 39, 1, vec![], pairs(&[("header_row", 1)])));
    assert_eq!(
        common::reject_summary(&sink.rejects),
        vec![(
            "zero_length_segment".into(),
            28,
            "line 28: [0.0, 0.0] in a clip of 10.0 s".into()
        )]
    );
    let (_, stats) = read(shipped("ave"), &[dir.join("Annotations.noheader_variant.txt")]);
    assert_eq!(counts(&stats), (40, 39, 1, vec![], pairs(&[("no_header_row", 1)])));
    // The quirk rows (a copy under a native name): one video with three classes.
    let tmp = common::tempdir().unwrap();
    std::fs::copy(dir.join("QUIRKS_rows.txt"), tmp.path().join("Annotations.txt")).unwrap();
    let (sink, stats) = read(shipped("ave"), &[tmp.path().join("Annotations.txt")]);
    assert_eq!(counts(&stats), (6, 5, 1, vec![], pairs(&[("header_row", 1)])));
    let keys: Vec<&str> = sink.records.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "-ccciEuH9FE/Male speech, man speaking",
            "-ccciEuH9FE/Female speech, woman speaking",
            "0f_iTO5t3hU/Ukulele",
            "0f_iTO5t3hU/Banjo",
            "0f_iTO5t3hU/Mandolin"
        ]
    );
    convert_cleanly("ave", &dir);
}

#[test]
fn desed_real_slice() {
    let Some(dir) = real("desed") else { return };
    let (sink, stats) = read(shipped("desed"), &[dir.clone()]);
    // public.tsv 40 + QUIRKS_rows.tsv 11 (read as another strong-label file, test) +
    // validation.tsv 40 rows; weak.tsv 40 skipped; 7 quirk rows without events.
    assert_eq!(
        counts(&stats),
        (131, 84, 0, pairs(&[("no_event", 7), ("split_not_used", 40)]), vec![])
    );
    let by_key = |k: &str| sink.records.iter().find(|r| r.key == k).map(summary).unwrap();
    // `Y4p-h_aOrhIw_30.000_40.000.wav 9.865 10.115 Dog`: 0.115 s past the end, clamped.
    assert_eq!(
        by_key("Y4p-h_aOrhIw_30.000_40.000/Dog").5,
        json!({"label": "Dog", "segments": [[9.865, 10.0]], "duration": 10.0})
    );
    // `sdHVFACi42A_16_27.wav 0.858 11.000 Frying`: an 11 s clip.
    assert_eq!(
        by_key("sdHVFACi42A_16_27/Frying").5,
        json!({"label": "Frying", "segments": [[0.858, 11.0]], "duration": 11.0})
    );
    // public.tsv FG1LO79tmas_95_105 Speech: 0-2.074, 3.061-7.230, 8.214-8.746, 8.958-10.
    assert_eq!(
        by_key("FG1LO79tmas_95_105/Speech").5,
        json!({"label": "Speech", "segments": [[0.0, 2.074], [3.061, 7.23], [8.214, 8.746], [8.958, 10.0]], "duration": 10.0})
    );
    // Overlapping events of one class merge: Y0q87keOtUNQ Cat 1.787-2.813, 3.723-4.655, ...;
    // Running_water 1.500-2.526 and 7.147-8.636. Electric shaver label shown with spaces.
    assert_eq!(
        by_key("Y0j-mPw3WpVw_10.000_20.000/Electric_shaver_toothbrush").5,
        json!({"label": "Electric shaver toothbrush", "segments": [[1.152, 10.0]], "duration": 10.0})
    );
    assert_eq!(
        by_key("Y0j-mPw3WpVw_10.000_20.000/Speech").3,
        s("desed/audios/Y0j-mPw3WpVw_10.000_20.000.wav")
    );
    convert_cleanly("desed", &dir);
}

#[test]
fn clotho_real_slice() {
    let Some(dir) = real("clotho") else { return };
    let (sink, stats) = read(shipped("clotho"), &[dir.clone()]);
    // 30 rows of development (train) and 30 of evaluation (test), five captions each.
    assert_eq!(counts(&stats), (300, 300, 0, vec![], vec![]));
    assert_eq!(sink.records.iter().filter(|r| r.split == Split::Train).count(), 150);
    let by_key = |k: &str| sink.records.iter().find(|r| r.key == k).map(summary).unwrap();
    // `Paper_Parchment_Rustling.wav`, caption_4 quoted with commas.
    assert_eq!(
        by_key("Paper_Parchment_Rustling/4").5,
        json!({"caption": "He sighed as he turned the pages of the book, stopping to scan the information."})
    );
    assert_eq!(
        by_key("Rope tied to boat in port/5").5,
        json!({"caption": "an office chair is squeaking as someone leans forward and backward in it"})
    );
    // The quirk rows under a native name: entities and commas kept in the name.
    let tmp = common::tempdir().unwrap();
    let quirks = tmp.path().join("clotho_captions_development.csv");
    std::fs::copy(dir.join("QUIRKS_rows.RECONSTRUCTED.csv"), &quirks).unwrap();
    let (sink, stats) = read(shipped("clotho"), &[quirks]);
    assert_eq!(stats.rejected, 0);
    assert_eq!(stats.read, stats.used);
    assert_eq!(sink.records[0].key, "121006_rain&amp;storm/1");
    assert_eq!(
        sink.records[0].media.audio.as_deref(),
        Some("clotho/audios/121006_rain&amp;storm.wav")
    );
    assert!(sink.records.iter().any(|r| r.key == "Crowd ambience, eating popcorn/1"));
    // `dmv - &#39;now serving&#39;.wav`, caption_4 ends in a space in the file: trimmed.
    let dmv = sink
        .records
        .iter()
        .find(|r| r.key == "dmv - &#39;now serving&#39;/4")
        .unwrap();
    assert_eq!(
        serde_json::to_value(&dmv.target).unwrap(),
        json!({"caption": "In a crowded area and announcement plays through intercom."})
    );
    convert_cleanly("clotho", &dir);
}

#[test]
fn avsd_real_slice_v01_shape() {
    let Some(dir) = real("avsd") else { return };
    let (sink, stats) = read(shipped("avsd"), &[dir.clone()]);
    // 6 dialogs of 10 turns; YE6TZ's 10 turns have no answer.
    assert_eq!(counts(&stats), (60, 50, 10, vec![], pairs(&[("records_path_2", 1)])));
    assert!(sink.rejects.iter().all(|r| r.reason.as_str() == "missing_field"
        && r.detail
            .starts_with("[\"YE6TZ\"].data[\"8TGq_hG-olzYP7M2ABEIiCR3E_1Y6gE2iXlaABEH\"][")
        && r.detail.ends_with("no `turn.answer`")));
    let dialog = "3MSZA/CR7LQccFQxk0uyMAAAIK0LVuPAuHV5xGPvTVAAIJ";
    let second = sink
        .records
        .iter()
        .find(|r| r.key == format!("{dialog}/1"))
        .map(summary)
        .unwrap();
    assert_eq!(
        second,
        (
            format!("{dialog}/1"),
            Split::Test,
            None,
            s("avsd/audios/3MSZA.wav"),
            s("avsd/videos/3MSZA.mp4"),
            json!({
                "question": "Q: Is the person a man?\nA: The person visable in the video is a woman, but It sounds as though there is a man having a conversation with her.\nQ: Does she have long hair?",
                "choices": null,
                "answer": "Yes her hair is past her shoulders and appears to be light brown.",
                "answer_index": null,
                "question_type": "dialog"
            }),
            false
        )
    );
    // KQ6XW's two dialogs each start without context.
    let kq: Vec<&Record> = sink.records.iter().filter(|r| r.key.starts_with("KQ6XW/")).collect();
    assert_eq!(kq.len(), 20);
    for first in kq.iter().filter(|r| r.key.ends_with("/0")) {
        let avfit::record::Target::Avqa { question, .. } = &first.target else {
            panic!()
        };
        assert!(!question.contains('\n'), "{question}");
    }
    convert_cleanly("avsd", &dir);
}

#[test]
fn ytbb_real_slice() {
    let Some(dir) = real("ytbb") else { return };
    let (sink, stats) = read(shipped("ytbb"), &[dir.clone()]);
    // 24 rows: 11 present (each its own frame), 13 absent or uncertain.
    assert_eq!(
        counts(&stats),
        (24, 11, 0, pairs(&[("filtered_out", 13)]), pairs(&[("header_row", 1)]))
    );
    let by_key = |k: &str| sink.records.iter().find(|r| r.key == k).map(summary).unwrap();
    // `NzAEnNO5-fo,238000,2,bicycle,1,present,0.011,0.223,0.19166666,0.92833334`.
    assert_eq!(
        by_key("NzAEnNO5-fo/238000/bicycle"),
        (
            "NzAEnNO5-fo/238000/bicycle".into(),
            Split::Test,
            s("ytbb/frames/NzAEnNO5-fo_238.0.jpg"),
            None,
            None,
            json!({"label": "bicycle", "boxes": [[0.011, 0.19166666, 0.223, 0.92833334]]}),
            true
        )
    );
    // `FcmfoPqPxB8,2000,0,person,0,present,0.327,0.722,0.10166667,1.0`.
    assert_eq!(
        by_key("FcmfoPqPxB8/2000/person").5,
        json!({"label": "person", "boxes": [[0.327, 0.10166667, 0.722, 1.0]]})
    );
    convert_cleanly("ytbb", &dir);
}

/// Converts `dir` with the shipped spec through the command line; check-output clean.
fn convert_cleanly(name: &str, dir: &Path) {
    let out = common::out_dir(&format!("spec-real-{name}"));
    common::avfit_ok(&[
        "convert",
        "--source",
        name,
        "--input",
        dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    common::check_output(&out);
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    common::assert_reconciles(&m, name);
}

// ---- Refusals at load: one line, the spec file and its line, what was expected. ----

const BASE: &str = r#"name = "mini"
task = "arig"
citation = "c"
license = "l"

[[file]]
name = "boxes.csv"
split = "test"

[format]
kind = "csv"
header = "absent"
columns = ["img", "cls", "x0", "y0", "x1", "y1"]

[[pattern]]
field = "img"
regex = '(?P<stem>[a-z]+)\.jpg'
examples = ["cat.jpg"]

[record]
key = "{stem}/{cls}"
label = "{cls}"
image = "still"
media_key = "{stem}"

[boxes]
columns = ["{x0}", "{y0}", "{x1}", "{y1}"]
order = "xyxy"
units = "normalized"
"#;

fn refused(text: &str) -> String {
    let err = Spec::from_text(Path::new("mini.toml"), text).err().expect("refused");
    let message = err.to_string();
    assert!(!message.contains('\n'), "one line: {message}");
    message
}

#[test]
fn the_base_spec_loads() {
    let spec = Spec::from_text(Path::new("mini.toml"), BASE).unwrap();
    assert_eq!(spec.name, "mini");
}

#[test]
fn an_unknown_key_is_refused_with_its_line() {
    let text = BASE.replace("label = \"{cls}\"", "label = \"{cls}\"\nlabl = \"{cls}\"");
    let message = refused(&text);
    assert!(
        message.starts_with("mini.toml:23: unknown field `labl`, expected one of `key`, `label`"),
        "{message}"
    );
}

#[test]
fn a_column_the_format_lacks_is_refused_with_its_line() {
    let text = BASE.replace("label = \"{cls}\"", "label = \"{class}\"");
    assert_eq!(
        refused(&text),
        "mini.toml:22: `class` is not a column of this format: expected one of img, cls, x0, y0, x1, y1 (or a capture)"
    );
    // With a header: refused when a file lacks it, naming the spec's line and the file.
    let text = BASE
        .replace(
            "header = \"absent\"\ncolumns = [\"img\", \"cls\", \"x0\", \"y0\", \"x1\", \"y1\"]",
            "header = \"present\"",
        )
        .replace("{cls}", "{class}");
    let spec = Spec::from_text(Path::new("mini.toml"), &text).unwrap();
    let tmp = common::tempdir().unwrap();
    let file = tmp.path().join("boxes.csv");
    std::fs::write(&file, "img,cls,x0,y0,x1,y1\ncat.jpg,cat,0.1,0.1,0.5,0.5\n").unwrap();
    let spec: &'static Spec = Box::leak(Box::new(spec));
    let err = sources::read_all(spec, &[file.clone()], &SourceOptions::new(spec))
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "mini.toml:20: column `class` is not in {} (expected it among: img, cls, x0, y0, x1, y1)",
            file.display()
        )
    );
}

#[test]
fn a_pattern_that_cannot_match_is_refused_with_its_line() {
    let text = BASE.replace(r"(?P<stem>[a-z]+)\.jpg", r"(?P<stem>[0-9]+)\.jpg");
    assert_eq!(
        refused(&text),
        // Errors escape what they echo (a backslash as `\\`), so the message stays one line.
        r"mini.toml:17: pattern `(?P<stem>[0-9]+)\\.jpg` cannot match its example `cat.jpg`"
    );
    let text = BASE.replace(r"(?P<stem>[a-z]+)\.jpg", r"[a-z]+\.jpg");
    assert_eq!(
        refused(&text).split(": expected").next().unwrap(),
        r"mini.toml:17: pattern `[a-z]+\\.jpg`"
    );
}

#[test]
fn a_box_without_units_is_refused_with_its_line() {
    let text = BASE.replace("units = \"normalized\"\n", "");
    let message = refused(&text);
    assert_eq!(message, "mini.toml:26: missing field `units`");
    let text = BASE.replace("units = \"normalized\"", "units = \"pixels\"");
    assert_eq!(
        refused(&text),
        "mini.toml:29: pixel boxes need `width` and `height`: expected numbers or templates of the image size"
    );
}

#[test]
fn a_bad_name_is_refused() {
    let text = BASE.replace("name = \"mini\"", "name = \"Mini-1\"");
    assert_eq!(
        refused(&text),
        "mini.toml:1: name `Mini-1`: expected [a-z0-9_]+ (it becomes the shard and sample-id prefix)"
    );
}

#[test]
fn a_build_manifest_names_a_spec_file() {
    let spec = common::data("audiocaps/audiocaps.toml");
    let input = common::data("audiocaps/train.csv");
    let out = common::build_manifest(
        "spec-manifest",
        &format!(
            "records_per_shard = 10\n[[source]]\nspec = {:?}\ninputs = [{:?}]\nexpected = {{ \"train/avc\" = 2 }}\n",
            spec.display().to_string(),
            input.display().to_string()
        ),
    );
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["counts"]["train/avc/audiocaps"], 2);
    common::check_output(&out);
}

#[test]
fn spec_clip_windows_reach_media_csv_for_media_extract() {
    // DESED's window is in its file names (`_350.000_360.000`); AudioCaps' README spec gives
    // `clip_start = "{start_time}"`, `clip_end = "{start_time} + 10"`; YouTube-BB frames count
    // from the whole video (`clip_start = 0`, no end).
    let rows = |out: &std::path::Path| -> Vec<String> {
        std::fs::read_to_string(out.join("media.csv"))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    };
    let out = common::out_dir("spec-windows-desed");
    common::avfit_ok(&[
        "convert",
        "--source",
        "desed",
        "--input",
        common::data("desed").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(
        rows(&out).contains(
            &"desed/audios/Y00pbt6aJV8Y_350.000_360.000.wav,audio,desed,00pbt6aJV8Y,yt:00pbt6aJV8Y,350.0,360.0,,"
                .to_string()
        ),
        "{:?}",
        rows(&out)
    );
    let out = common::out_dir("spec-windows-audiocaps");
    common::avfit_ok(&[
        "convert",
        "--spec",
        common::data("audiocaps/audiocaps.toml").to_str().unwrap(),
        "--input",
        common::data("audiocaps/train.csv").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(
        rows(&out),
        [
            "path,kind,dataset,youtube_id,media_id,clip_start,clip_end,frame_time,file",
            "audiocaps/audios/UDGBjjwyaqE_20.wav,audio,audiocaps,UDGBjjwyaqE,yt:UDGBjjwyaqE,20.0,30.0,,",
            "audiocaps/audios/r1nicOVtvkQ_130.wav,audio,audiocaps,r1nicOVtvkQ,yt:r1nicOVtvkQ,130.0,140.0,,",
        ]
    );
}

/// A user's spec may not take a built-in source's name: the registry, which knows every kind,
/// refuses it at load with the spec file and the line of `name` (the spec module alone accepts it).
#[test]
fn a_spec_named_like_a_built_in_source_is_refused_by_the_registry() {
    let dir = common::out_dir("spec-builtin-name");
    std::fs::create_dir_all(&dir).unwrap();
    for builtin in ["vggss", "openimages_audioset"] {
        let path = dir.join(format!("{builtin}.toml"));
        std::fs::write(
            &path,
            format!(
                "# a comment line first\n{}",
                BASE.replacen("\"mini\"", &format!("\"{builtin}\""), 1)
            ),
        )
        .unwrap();
        assert!(Spec::from_text(&path, &std::fs::read_to_string(&path).unwrap()).is_ok());
        let err = avfit::registry::load_spec(&path).err().expect("refused");
        assert_eq!(
            err.to_string(),
            format!(
                "{}:2: name `{builtin}` is a built-in adapter's; choose another",
                path.display()
            )
        );
    }
}

/// A user's spec named like a shipped spec is refused unless it is that spec's own text.
#[test]
fn a_spec_named_like_a_shipped_spec_is_refused_unless_it_is_that_spec() {
    let dir = common::out_dir("spec-shipped-name");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("clotho.toml");
    std::fs::write(&path, BASE.replacen("\"mini\"", "\"clotho\"", 1)).unwrap();
    let err = avfit::registry::load_spec(&path).err().expect("refused");
    assert_eq!(
        err.to_string(),
        format!(
            "{}:1: name `clotho` is the shipped spec sources/clotho.toml's; choose another",
            path.display()
        )
    );
    let copy = dir.join("copy.toml");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/sources/clotho.toml"), &copy).unwrap();
    assert_eq!(avfit::registry::load_spec(&copy).unwrap().name, "clotho");
}

/// The registry lists the direct adapters, then the curated rows, then the shipped specs; the
/// direct adapters' own list (`sources::adapters`) holds no curated row.
#[test]
fn the_registry_lists_every_kind_in_order_and_sources_knows_only_the_direct_adapters() {
    let direct: Vec<&str> = avfit::sources::adapters().iter().map(|s| s.name()).collect();
    assert_eq!(
        direct,
        [
            "vggss",
            "avsbench",
            "pascal_sound",
            "flickr_soundnet",
            "llp",
            "avqa",
            "music_avqa",
            "valor",
            "openimages"
        ]
    );
    let builtin: Vec<&str> = avfit::registry::builtin().iter().map(|s| s.name()).collect();
    assert_eq!(
        builtin[direct.len()..],
        [
            "openimages_audioset",
            "openimages_vggsound",
            "openimages_audioset_strong"
        ]
    );
    assert!(builtin[direct.len()..]
        .iter()
        .all(|n| avfit::registry::find(n).unwrap().is_curated()));
    assert_eq!(avfit::registry::find("ave").unwrap().name(), "ave");
    assert!(avfit::registry::find_builtin("ave").is_err());
    // A curated row found by name has the default settings; `configured` binds others.
    assert_eq!(
        avfit::registry::find("openimages_vggsound")
            .unwrap()
            .hashed_test_fraction(),
        Some(0.2)
    );
    let curation = avfit::curate::CurationOptions {
        test_fraction: 0.5,
        ..Default::default()
    };
    assert_eq!(
        avfit::registry::configured("openimages_vggsound", &curation)
            .unwrap()
            .hashed_test_fraction(),
        Some(0.5)
    );
    assert_eq!(
        avfit::registry::configured("vggss", &curation)
            .unwrap()
            .hashed_test_fraction(),
        None
    );
}
