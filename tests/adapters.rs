//! Each adapter on its small native sample under tests/data/: the exact normalized records,
//! computed by hand from the format's rules, and the exact rejects and counts.

mod common;

use avfit::geometry::{BBox, Segment};
use avfit::record::{Media, Record, Split, Target};
use common::{data, read, reject_summary};
use std::collections::BTreeMap;

fn s(v: &str) -> String {
    v.to_string()
}
fn bx(v: [f64; 4]) -> BBox {
    BBox(v)
}

/// Each rejects line's reason and line (or array index), in order.
fn reasons_at(rejects: &[avfit::sources::Reject]) -> Vec<(String, u64)> {
    reject_summary(rejects).into_iter().map(|(r, at, _)| (r, at)).collect()
}
fn seg(a: f64, b: f64) -> Segment {
    Segment([a, b])
}
fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn vggss_keeps_valid_boxes_and_rejects_sentinels_and_degenerates() {
    let (sink, stats) = read("vggss", &[data("vggss")], None);
    let media = |k: &str| Media {
        image: Some(format!("vggss/frames/{k}.jpg").into()),
        audio: Some(format!("vggss/audios/{k}.wav").into()),
        video: None,
        ..Default::default()
    };
    assert_eq!(
        sink.records,
        vec![
            Record {
                source: "vggss",
                key: s("aaaaaaaaaaa_000010"),
                split: Split::Test,
                groups: vec![s("yt:aaaaaaaaaaa").into()],
                media: media("aaaaaaaaaaa_000010"),
                target: Target::Arig {
                    label: s("dog barking").into(),
                    boxes: vec![bx([0.25, 0.125, 0.75, 0.875])]
                },
                referring: false,
            },
            Record {
                source: "vggss",
                key: s("-bbbbbbbbbb_000000"),
                split: Split::Test,
                groups: vec![s("yt:-bbbbbbbbbb").into()],
                media: media("-bbbbbbbbbb_000000"),
                // JSON ints 0 and 1 are read as 0.0 and 1.0.
                target: Target::Arig {
                    label: s("male speech, man speaking").into(),
                    boxes: vec![bx([0.0, 0.5, 0.5, 1.0]), bx([0.0625, 0.0, 0.9375, 0.5])],
                },
                referring: false,
            },
            Record {
                source: "vggss",
                key: s("cc_cccccccc_000123"),
                split: Split::Test,
                groups: vec![s("yt:cc_cccccccc").into()],
                media: media("cc_cccccccc_000123"),
                target: Target::Arig {
                    label: s("playing acoustic guitar").into(),
                    boxes: vec![bx([0.3, 0.3, 0.6, 0.6])]
                },
                referring: false,
            },
        ]
    );
    assert_eq!(
        reject_summary(&sink.rejects),
        vec![
            (
                s("box_out_of_range"),
                2,
                s("cc_cccccccc_000123: box [0.1, 0.2, -2.8823037615171176e16, 0.9]")
            ),
            (
                s("degenerate_box"),
                2,
                s("cc_cccccccc_000123: box [0.5, 0.5, 0.5, 0.75]")
            ),
            (
                s("degenerate_box"),
                3,
                s("ddddddddddd_000030: box [0.2, 0.2, 0.2, 0.4]")
            ),
            (s("no_valid_box"), 3, s("ddddddddddd_000030: none of 1 boxes is valid")),
        ]
    );
    assert_eq!((stats.read, stats.used, stats.rejected), (4, 3, 1));
    assert_eq!(stats.dropped, counts(&[("box_out_of_range", 1), ("degenerate_box", 2)]));
}

#[test]
fn llp_merges_audio_rows_and_takes_a_frame_of_the_label_alone() {
    let (sink, stats) = read("llp", &[data("llp")], None);
    let rec = |clip: &str, yt: &str, label: &str, t: &str, segments: Vec<Segment>, referring: bool| Record {
        source: "llp",
        key: format!("{clip}/{label}"),
        split: Split::Test,
        groups: vec![format!("yt:{yt}").into()],
        media: Media {
            image: Some(format!("llp/frames/{clip}_{t}.jpg").into()),
            audio: Some(format!("llp/audios/{clip}.wav").into()),
            video: None,
            ..Default::default()
        },
        target: Target::Igatl {
            label: label.replace('_', " ").into(),
            segments,
            duration: 10.0,
        },
        referring,
    };
    assert_eq!(
        sink.records,
        vec![
            // Dog audio [0,3) [3,5) touch and merge, [7,9) stays apart. Its visual [0,1) and [2,6)
            // are all under Speech's visual [0,10) (Speech is heard too): no second shows Dog
            // alone, so the frame is the midpoint of its first visual segment, 0.5 s, and the
            // input names the class.
            rec(
                "aaaaaaaaaaa_0_10",
                "aaaaaaaaaaa",
                "Dog",
                "0.5",
                vec![seg(0.0, 5.0), seg(7.0, 9.0)],
                true
            ),
            // Speech visual [0,10) minus Dog's [0,1) [2,6): first own run [1,2), midpoint 1.5 s.
            rec(
                "aaaaaaaaaaa_0_10",
                "aaaaaaaaaaa",
                "Speech",
                "1.5",
                vec![seg(0.0, 10.0)],
                false
            ),
            // Frying alone in view (Singing is heard but never seen; Speech's rows are invalid).
            rec(
                "b_bbbbbbbbb_30_40",
                "b_bbbbbbbbb",
                "Frying_(food)",
                "5.0",
                vec![seg(2.0, 6.0)],
                false
            ),
        ]
    );
    assert_eq!(
        reject_summary(&sink.rejects),
        vec![
            (s("duplicate_row"), 7, s("b_bbbbbbbbb_30_40 2 6 Frying_(food) repeated")),
            (
                s("zero_length_segment"),
                8,
                s("b_bbbbbbbbb_30_40 Speech: [9.0, 9.0] in a clip of 10.0 s")
            ),
            (
                s("reversed_segment"),
                9,
                s("b_bbbbbbbbb_30_40 Speech: [9.0, 0.0] in a clip of 10.0 s")
            ),
            (
                s("not_visible"),
                10,
                s("b_bbbbbbbbb_30_40: Singing is heard but never visible")
            ),
        ]
    );
    // 9 audio rows: 5 in samples (3 Dog, 1 Speech, 1 Frying), 4 rejected.
    assert_eq!(
        (stats.read, stats.used, stats.rejected, stats.skipped_total()),
        (9, 5, 4, 0)
    );
}

/// Reads tests/data/llp with `[source.params] samples = "<samples>"` and an optional media root.
fn read_llp_with_samples(
    samples: &str,
    media_root: Option<avfit::media::MediaRoot>,
) -> avfit::Result<(avfit::sources::VecSink, avfit::sources::SourceStats)> {
    let source = avfit::registry::find("llp").unwrap();
    let mut options = avfit::sources::SourceOptions::new(source);
    options.params.insert(s("samples"), toml::Value::String(s(samples)));
    options.media_root = media_root;
    avfit::sources::read_all(source, &[data("llp")], &options)
}

#[test]
fn llp_per_visual_event_gives_one_sample_per_merged_visual_segment() {
    let (sink, stats) = read_llp_with_samples("per_visual_event", None).unwrap();
    let rec = |clip: &str, yt: &str, label: &str, seen: &str, t: &str, segments: Vec<Segment>, referring| Record {
        source: "llp",
        key: format!("{clip}/{label}/{seen}"),
        split: Split::Test,
        groups: vec![format!("yt:{yt}").into()],
        media: Media {
            image: Some(format!("llp/frames/{clip}_{t}.jpg").into()),
            audio: Some(format!("llp/audios/{clip}.wav").into()),
            video: None,
            ..Default::default()
        },
        target: Target::Igatl {
            label: label.replace('_', " ").into(),
            segments,
            duration: 10.0,
        },
        referring,
    };
    let dog = vec![seg(0.0, 5.0), seg(7.0, 9.0)];
    assert_eq!(
        sink.records,
        vec![
            // Dog is seen [0,1) and [2,6), always beside Speech (seen [0,10)): two images at the
            // events' midpoints (0.5 s, 4.0 s), both naming the class, one answer.
            rec(
                "aaaaaaaaaaa_0_10",
                "aaaaaaaaaaa",
                "Dog",
                "0-1",
                "0.5",
                dog.clone(),
                true
            ),
            rec("aaaaaaaaaaa_0_10", "aaaaaaaaaaa", "Dog", "2-6", "4.0", dog, true),
            // Speech alone in [1,2) and [6,10): the first run's midpoint.
            rec(
                "aaaaaaaaaaa_0_10",
                "aaaaaaaaaaa",
                "Speech",
                "0-10",
                "1.5",
                vec![seg(0.0, 10.0)],
                false
            ),
            rec(
                "b_bbbbbbbbb_30_40",
                "b_bbbbbbbbb",
                "Frying_(food)",
                "0-10",
                "5.0",
                vec![seg(2.0, 6.0)],
                false
            ),
        ]
    );
    // The same rejects as per label; the 3 Dog rows are used once, with its first sample.
    assert_eq!(
        reject_summary(&sink.rejects)
            .into_iter()
            .map(|r| r.0)
            .collect::<Vec<_>>(),
        [
            "duplicate_row",
            "zero_length_segment",
            "reversed_segment",
            "not_visible"
        ]
    );
    assert_eq!(
        (stats.read, stats.used, stats.rejected, stats.skipped_total()),
        (9, 5, 4, 0)
    );
    // Touching or overlapping visual rows of one label are one visual event.
    let tmp = common::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("AVVP_eval_audio.csv"),
        "filename\tonset\toffset\tevent_labels\nccccccccccc_0_10\t1\t4\tCat\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("AVVP_eval_visual.csv"),
        "filename\tonset\toffset\tevent_labels\nccccccccccc_0_10\t0\t2\tCat\nccccccccccc_0_10\t2\t3\tCat\nccccccccccc_0_10\t1\t2\tCat\n",
    )
    .unwrap();
    let source = avfit::registry::find("llp").unwrap();
    let mut options = avfit::sources::SourceOptions::new(source);
    options
        .params
        .insert(s("samples"), toml::Value::String(s("per_visual_event")));
    let (sink, stats) = avfit::sources::read_all(source, &[tmp.path().to_path_buf()], &options).unwrap();
    assert_eq!(
        sink.records
            .iter()
            .map(|r| (r.key.as_str(), r.media.image.as_deref()))
            .collect::<Vec<_>>(),
        [("ccccccccccc_0_10/Cat/0-3", Some("llp/frames/ccccccccccc_0_10_1.5.jpg"))]
    );
    assert_eq!((stats.read, stats.used, stats.rejected), (1, 1, 0));
}

#[test]
fn llp_samples_param_per_label_is_the_default_and_other_values_are_refused() {
    let (explicit, _) = read_llp_with_samples("per_label", None).unwrap();
    let (default, _) = read("llp", &[data("llp")], None);
    assert_eq!(explicit.records, default.records);
    let err = read_llp_with_samples("per_row", None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "source llp: samples = \"per_row\"; expected \"per_label\" or \"per_visual_event\""
    );
}

#[test]
fn llp_per_visual_event_drops_an_event_whose_frame_is_missing_and_rejects_rows_with_none() {
    let media = common::tempdir().unwrap();
    let root = media.path();
    // Frames 0.5 (Dog) and 1.5 (Speech) of clip a exist; Dog's second frame (4.0) and clip b's
    // frame do not.
    common::write_wav(&root.join("llp/audios/aaaaaaaaaaa_0_10.wav"), 8_000, 80_000);
    common::write_wav(&root.join("llp/audios/b_bbbbbbbbb_30_40.wav"), 8_000, 80_000);
    common::write_image(&root.join("llp/frames/aaaaaaaaaaa_0_10_0.5.jpg"), 64, 48);
    common::write_image(&root.join("llp/frames/aaaaaaaaaaa_0_10_1.5.jpg"), 64, 48);
    let media_root = avfit::media::MediaRoot {
        root: root.to_path_buf(),
        check: true,
    };
    let (sink, stats) = read_llp_with_samples("per_visual_event", Some(media_root)).unwrap();
    assert_eq!(
        sink.records.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(),
        ["aaaaaaaaaaa_0_10/Dog/0-1", "aaaaaaaaaaa_0_10/Speech/0-10"]
    );
    let missing: Vec<_> = reject_summary(&sink.rejects)
        .into_iter()
        .filter(|r| r.0 == "missing_media")
        .map(|r| (r.1, r.2.split(": ").next().unwrap().to_string()))
        .collect();
    // Dog's [2,6) image is dropped (line of its first audio row); Frying's only image is missing,
    // so its one audio row (line 6) is rejected.
    assert_eq!(
        missing,
        [
            (2, s("aaaaaaaaaaa_0_10/Dog/2-6")),
            (6, s("b_bbbbbbbbb_30_40/Frying_(food)/0-10"))
        ]
    );
    assert_eq!(stats.dropped.get("missing_media"), Some(&1));
    assert_eq!(
        (stats.read, stats.used, stats.rejected, stats.skipped_total()),
        (9, 4, 5, 0)
    );
}

#[test]
fn llp_without_its_visual_file_is_an_error_naming_it() {
    let source = avfit::registry::find("llp").unwrap();
    let options = avfit::sources::SourceOptions::new(source);
    let err = avfit::sources::read_all(source, &[data("llp/AVVP_eval_audio.csv")], &options).unwrap_err();
    assert!(err.to_string().contains("needs AVVP_eval_visual.csv"), "{err}");
}

#[test]
fn avqa_answer_is_the_option_text_with_null_options_left_out() {
    let (sink, stats) = read("avqa", &[data("avqa")], None);
    let rec =
        |video: &str, yt: &str, id: u32, split, question: &str, choices: &[&str], index: usize, qtype: &str| Record {
            source: "avqa",
            key: format!("{video}/{id}"),
            split,
            groups: vec![format!("yt:{yt}").into()],
            media: Media {
                image: Some(format!("avqa/frames/{video}.jpg").into()),
                audio: Some(format!("avqa/audios/{video}.wav").into()),
                video: Some(format!("avqa/videos/{video}.mp4").into()),
                ..Default::default()
            },
            target: Target::Avqa {
                question: s(question),
                choices: Some(choices.iter().map(|c| s(c)).collect()),
                answer: s(choices[index]),
                answer_index: Some(index),
                question_type: s(qtype),
            },
            referring: false,
        };
    assert_eq!(
        sink.records,
        vec![
            rec(
                "qqqqqqqqqqq_000010",
                "qqqqqqqqqqq",
                1,
                Split::Train,
                "What is making the sound in the video?",
                &["dog", "cat", "horse", "cow"],
                0,
                "Which"
            ),
            // multi_choice [null, indoors, on a boat, in a car], answer 2 → "on a boat", index 1 among the non-null.
            rec(
                "-rrrrrrrrrr_000000",
                "-rrrrrrrrrr",
                2,
                Split::Train,
                "Where is the man speaking?",
                &["indoors", "on a boat", "in a car"],
                1,
                "Where"
            ),
            // val_qa → test.
            rec(
                "eeeeeeeeeee_000020",
                "eeeeeeeeeee",
                5,
                Split::Test,
                "Which animal makes the sound?",
                &["bird", "frog", "dog", "lion"],
                3,
                "Which"
            ),
        ]
    );
    assert_eq!(
        reject_summary(&sink.rejects),
        vec![
            (s("null_answer"), 2, s("question 3: answer 2 points at a null option")),
            (s("answer_out_of_range"), 3, s("question 4: answer 4 but 2 options")),
        ]
    );
    assert_eq!((stats.read, stats.used, stats.rejected), (5, 3, 2));
}

#[test]
fn music_avqa_fills_templates_and_applies_subset_and_duplicate_rules() {
    let (sink, stats) = read("music_avqa", &[data("music_avqa")], None);
    let rec = |video: &str, qid: u32, split, question: &str, answer: &str, qtype: &str| Record {
        source: "music_avqa",
        key: format!("{video}/{qid}"),
        split,
        groups: vec![format!("music:{video}").into()],
        media: Media {
            image: Some(format!("music_avqa/frames/{video}.jpg").into()),
            audio: Some(format!("music_avqa/audios/{video}.wav").into()),
            video: Some(format!("music_avqa/videos/{video}.mp4").into()),
            ..Default::default()
        },
        target: Target::Avqa {
            question: s(question),
            choices: None,
            answer: s(answer),
            answer_index: None,
            question_type: s(qtype),
        },
        referring: false,
    };
    // Files are read in name order: avqa-test, avqa-train, avqa-val.
    assert_eq!(
        sink.records,
        vec![
            rec(
                "00000010",
                20,
                Split::Test,
                "How many sounding violin in the video?",
                "three",
                "Audio-Visual/Counting"
            ),
            rec(
                "00000012",
                22,
                Split::Test,
                "Is the electric bass in the video always playing?",
                "yes",
                "Audio-Visual/Existential"
            ),
            rec(
                "00000001",
                1,
                Split::Train,
                "How many instruments are sounding in the video?",
                "two",
                "Audio/Counting"
            ),
            rec(
                "00000001",
                2,
                Split::Train,
                "Is the acoustic guitar louder than the piano?",
                "yes",
                "Audio-Visual/Comparative"
            ),
            rec(
                "00000002",
                3,
                Split::Train,
                "Where is the loudest instrument?",
                "left",
                "Visual/Location"
            ),
        ]
    );
    assert_eq!(
        reject_summary(&sink.rejects),
        vec![
            (
                s("placeholder_mismatch"),
                3,
                s("00000002/4: 2 placeholders in `Which instrument makes sounds <BA> the <Object>?` but 1 values [\"before\"]")
            ),
            (s("duplicate_row"), 1, s("00000010/20 appeared before")),
            (s("conflicting_duplicate"), 2, s("00000011/21 has conflicting answers; this copy says `two`")),
            (s("conflicting_duplicate"), 3, s("00000011/21 has conflicting answers; this copy says `three`")),
        ]
    );
    assert_eq!((stats.read, stats.used, stats.rejected), (12, 5, 4));
    assert_eq!(
        stats.skipped,
        counts(&[("question_deleted", 1), ("split_not_used", 1), ("synthetic_video", 1)])
    );
}

#[test]
fn valor_maps_val_to_test_skips_test_and_rejects_digit_captions() {
    let (sink, stats) = read("valor", &[data("valor")], None);
    let rec = |video: &str, yt: &str, split, caption: &str| Record {
        source: "valor",
        key: s(video),
        split,
        groups: vec![format!("yt:{yt}").into()],
        media: Media {
            image: Some(format!("valor/frames/{video}.jpg").into()),
            audio: Some(format!("valor/audios/{video}.wav").into()),
            video: Some(format!("valor/videos/{video}.mp4").into()),
            ..Default::default()
        },
        target: Target::Avc { caption: s(caption) },
        referring: false,
    };
    assert_eq!(
        sink.records,
        vec![
            rec(
                "vvvvvvvvvvv_0.000_10.000",
                "vvvvvvvvvvv",
                Split::Train,
                "A dog barks twice while a man laughs in a garden."
            ),
            rec(
                "ccccccccccc_30.000_37.500",
                "ccccccccccc",
                Split::Test,
                "A woman plays the piano, then applause fills the hall."
            ),
            rec(
                "ddddddddddd_5.000_15.000",
                "ddddddddddd",
                Split::Test,
                "Rain falls on a tin roof as thunder rumbles."
            ),
        ]
    );
    assert_eq!(
        reject_summary(&sink.rejects),
        vec![(
            s("digits_only_caption"),
            1,
            s("-b_bbbbbbbb_12.300_22.300: desc is `300`")
        )]
    );
    assert_eq!((stats.read, stats.used, stats.rejected), (5, 3, 1));
    assert_eq!(stats.skipped, counts(&[("split_not_used", 1)]));
}

#[test]
fn forced_split_reads_every_native_split() {
    let (sink, stats) = read("valor", &[data("valor")], Some(Split::Train));
    assert_eq!(sink.records.len(), 4);
    assert!(sink.records.iter().all(|r| r.split == Split::Train));
    assert_eq!(stats.skipped_total(), 0);
}

#[test]
fn avsbench_boxes_from_s4_and_ms3_masks() {
    let (sink, stats) = read("avsbench", &[data("avsbench")], None);
    let rec = |key: &str, yt: &str, frame: &str, split, label: &str, boxes: Vec<BBox>| Record {
        source: "avsbench",
        key: s(key),
        split,
        groups: vec![format!("yt:{yt}").into()],
        media: Media {
            image: Some(format!("avsbench/frames/{frame}.jpg").into()),
            audio: Some(format!("avsbench/audios/{key}.wav").into()),
            video: None,
            ..Default::default()
        },
        target: Target::Arig {
            label: s(label).into(),
            boxes,
        },
        referring: false,
    };
    // Files in name order: Multi-sources/ms3_meta_data.csv, then Single-source/s4_meta_data.csv.
    assert_eq!(
        sink.records,
        vec![
            // Two blobs, columns 0..=55 rows 0..=27 and columns 112..=167 rows 112..=223; the
            // 4-pixel speck is under 0.5% of 224*224 and ignored.
            rec(
                "bbbbbbbbbbb_1",
                "bbbbbbbbbbb",
                "bbbbbbbbbbb_1_1",
                Split::Test,
                "sounding object",
                vec![bx([0.0, 0.0, 0.25, 0.125]), bx([0.5, 0.5, 0.75, 1.0])]
            ),
            rec(
                "ggggggggggg_2",
                "ggggggggggg",
                "ggggggggggg_2_1",
                Split::Train,
                "sounding object",
                vec![bx([0.25, 0.25, 0.75, 0.75])]
            ),
            // Columns 21..=120, rows 45..=178: x0 = 21/224, y0 = 45/224, x1 = 121/224, y1 = 179/224.
            rec(
                "sssssssssss",
                "sssssssssss",
                "sssssssssss_1",
                Split::Train,
                "playing acoustic guitar",
                vec![bx([
                    0.09375,
                    0.20089285714285715,
                    0.5401785714285714,
                    0.7991071428571429
                ])],
            ),
            // Frame 1 is empty: the first non-empty frame is 2, stored as 0/1, columns 0..=111 rows 112..=223.
            rec(
                "ccccccccccc",
                "ccccccccccc",
                "ccccccccccc_2",
                Split::Test,
                "dog",
                vec![bx([0.0, 0.5, 0.5, 1.0])]
            ),
        ]
    );
    let summary = reject_summary(&sink.rejects);
    assert_eq!(
        summary
            .iter()
            .map(|(r, line, _)| (r.as_str(), *line))
            .collect::<Vec<_>>(),
        vec![("empty_mask", 4), ("missing_media", 6)]
    );
    assert!(
        summary[0].2.starts_with("ddddddddddd: all 2 masks are empty in "),
        "{}",
        summary[0].2
    );
    assert_eq!((stats.read, stats.used, stats.rejected), (7, 4, 2));
    assert_eq!(stats.skipped, counts(&[("split_not_used", 1)]));
}

#[test]
fn avsbench_all_frames_gives_one_sample_per_non_empty_frame() {
    let source = avfit::registry::find("avsbench").unwrap();
    let mut options = avfit::sources::SourceOptions::new(source);
    options
        .params
        .insert("frames".into(), toml::Value::String("all".into()));
    let (sink, stats) = avfit::sources::read_all(source, &[data("avsbench/Single-source")], &options).unwrap();
    let keys: Vec<(&str, Option<&str>)> = sink
        .records
        .iter()
        .map(|r| (r.key.as_str(), r.media.image.as_deref()))
        .collect();
    assert_eq!(
        keys,
        vec![
            ("sssssssssss/1", Some("avsbench/frames/sssssssssss_1.jpg")),
            ("ccccccccccc/2", Some("avsbench/frames/ccccccccccc_2.jpg")),
            ("ccccccccccc/4", Some("avsbench/frames/ccccccccccc_4.jpg")),
        ]
    );
    assert_eq!(
        sink.records[2].target,
        Target::Arig {
            label: s("dog").into(),
            boxes: vec![bx([0.5, 0.0, 1.0, 0.5])]
        }
    );
    // Empty frames 1 and 3 of ccccccccccc are dropped parts; ddddddddddd's two are dropped too and the video rejected.
    assert_eq!(stats.dropped, counts(&[("empty_mask", 4)]));
    assert_eq!((stats.read, stats.used, stats.rejected), (5, 2, 2));
}

#[test]
fn avsbench_without_its_mask_directory_is_an_error_naming_it() {
    let tmp = common::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("s4_meta_data.csv"),
        "video_id,start_second,category,split\nx,0,dog,test\n",
    )
    .unwrap();
    let source = avfit::registry::find("avsbench").unwrap();
    let err = avfit::sources::read_all(
        source,
        &[tmp.path().to_path_buf()],
        &avfit::sources::SourceOptions::new(source),
    )
    .unwrap_err();
    let expected = format!(
        "{}: no mask directory: expected {} or {}",
        tmp.path().join("s4_meta_data.csv").display(),
        tmp.path().join("gt_masks").display(),
        tmp.path().join("s4_data/gt_masks").display()
    );
    assert_eq!(err.to_string(), expected);
}

#[test]
fn pascal_sound_takes_direct_object_boxes_of_the_label() {
    let (sink, stats) = read("pascal_sound", &[data("pascal_sound")], None);
    assert_eq!(
        sink.records,
        vec![
            Record {
                source: "pascal_sound",
                key: s("000010/dog"),
                split: Split::Test,
                groups: vec![s("voc:000010").into()],
                media: Media {
                    image: Some(s("pascal_sound/frames/000010.jpg").into()),
                    audio: Some(s("pascal_sound/audios/dog_bark_01.wav").into()),
                    video: None,
                    ..Default::default()
                },
                // xmin 1, ymin 1, xmax 500, ymax 375 on 500x375; the dog's <part> box is ignored.
                target: Target::Arig {
                    label: s("dog").into(),
                    boxes: vec![bx([0.0, 0.0, 1.0, 1.0])]
                },
                referring: false,
            },
            Record {
                source: "pascal_sound",
                key: s("000020/cat"),
                split: Split::Test,
                groups: vec![s("voc:000020").into(), s("yt:aaaaaaaaaaa").into()],
                media: Media {
                    image: Some(s("pascal_sound/frames/000020.jpg").into()),
                    audio: Some(s("pascal_sound/audios/aaaaaaaaaaa_000030.wav").into()),
                    video: None,
                    ..Default::default()
                },
                // Tags in any order, float corners: (40.5 - 1) / 400, (30.5 - 1) / 300, 200 / 400, 150 / 300;
                // then 201..400 x 1..300 → [0.5, 0, 1, 1].
                target: Target::Arig {
                    label: s("cat").into(),
                    boxes: vec![bx([0.09875, 0.09833333333333333, 0.5, 0.5]), bx([0.5, 0.0, 1.0, 1.0])]
                },
                referring: false,
            },
        ]
    );
    assert_eq!(
        reject_summary(&sink.rejects),
        vec![
            (
                s("missing_size"),
                4,
                s("000030: no <size> in the XML and no --media-root to read the image from")
            ),
            (
                s("missing_annotation"),
                5,
                s("no Annotations/000040.xml among the inputs")
            ),
            (s("no_matching_object"), 6, s("000010: no <object> named `horse`")),
        ]
    );
    assert_eq!((stats.read, stats.used, stats.rejected), (5, 2, 3));
}

#[test]
fn pascal_sound_reads_a_missing_size_from_the_image_under_the_media_root() {
    let media = common::tempdir().unwrap();
    std::fs::create_dir_all(media.path().join("pascal_sound/frames")).unwrap();
    image::RgbImage::new(100, 200)
        .save(media.path().join("pascal_sound/frames/000030.jpg"))
        .unwrap();
    let source = avfit::registry::find("pascal_sound").unwrap();
    let mut options = avfit::sources::SourceOptions::new(source);
    options.media_root = Some(avfit::media::MediaRoot {
        root: media.path().to_path_buf(),
        check: false,
    });
    let (sink, _) = avfit::sources::read_all(source, &[data("pascal_sound")], &options).unwrap();
    let car = sink.records.iter().find(|r| r.key == "000030/car").unwrap();
    // xmin 11, ymin 21, xmax 60, ymax 80 on the 100x200 image: 10/100, 20/200, 60/100, 80/200.
    assert_eq!(
        car.target,
        Target::Arig {
            label: s("car").into(),
            boxes: vec![bx([0.1, 0.1, 0.6, 0.4])]
        }
    );
}

#[test]
fn flickr_soundnet_keeps_every_annotator_box() {
    let (sink, stats) = read("flickr_soundnet", &[data("flickr_soundnet")], None);
    let rec = |id: &str, boxes: Vec<BBox>| Record {
        source: "flickr_soundnet",
        key: s(id),
        split: Split::Test,
        groups: vec![format!("flickr:{id}").into()],
        media: Media {
            image: Some(format!("flickr_soundnet/frames/{id}.jpg").into()),
            audio: Some(format!("flickr_soundnet/audios/{id}.wav").into()),
            video: None,
            ..Default::default()
        },
        target: Target::Arig {
            label: s("sounding object").into(),
            boxes,
        },
        referring: false,
    };
    assert_eq!(
        sink.records,
        vec![
            // Three annotators, by tag name (the third in another order), each v / 256.
            rec(
                "1000000001",
                vec![
                    bx([0.046875, 0.15625, 0.78125, 1.0]),
                    bx([0.0625, 0.125, 0.75, 0.9375]),
                    bx([0.0, 0.0, 0.25, 0.5])
                ]
            ),
            // Unknown tag names: the first child skipped, the next four by position.
            rec("1000000002", vec![bx([0.25, 0.25, 0.75, 0.5])]),
            // xmax 300 > 256 is dropped; the second annotator's box stays.
            rec("1000000003", vec![bx([0.390625, 0.1953125, 0.9765625, 0.5859375])]),
        ]
    );
    let summary: Vec<_> = sink
        .rejects
        .iter()
        .map(|r| (r.reason.as_str(), r.file.rsplit('/').next().unwrap(), r.line, r.index))
        .collect();
    assert_eq!(
        summary,
        vec![
            // A dropped box carries the line of its <bbox> element; the rejected XML (the
            // unit is the whole file) carries neither line nor index.
            ("box_out_of_range", "1000000003.xml", Some(3), None),
            ("degenerate_box", "1000000004.xml", Some(3), None),
            ("no_valid_box", "1000000004.xml", None, None),
        ]
    );
    assert_eq!((stats.read, stats.used, stats.rejected), (5, 3, 1));
    assert_eq!(stats.skipped, counts(&[("not_in_test_list", 1)]));
    assert_eq!(stats.notes, counts(&[("bbox_by_position", 1), ("bbox_by_tag_name", 6)]));
}

#[test]
fn llp_rows_with_quotes_or_bad_bytes_are_judged_one_by_one() {
    let tmp = common::tempdir().unwrap();
    let mut audio = b"filename\tonset\toffset\tevent_labels\n".to_vec();
    audio.extend_from_slice(b"aaaaaaaaaaa_0_10\t0\t2\t\"Dog\n");
    audio.extend_from_slice(b"aaaaaaaaaaa_0_10\t4\t5\tDog\n");
    audio.extend_from_slice(b"aaaaaaaaaaa_0_10\t6\t7\tD\xff\xfeg\n");
    audio.extend_from_slice(b"nan_nan_nan\t0\t1\tDog\n");
    audio.extend_from_slice(b"aaaaaaaaaaa_0_10\t8\t9\tDog\n");
    std::fs::write(tmp.path().join("AVVP_eval_audio.csv"), audio).unwrap();
    std::fs::write(
        tmp.path().join("AVVP_eval_visual.csv"),
        "filename\tonset\toffset\tevent_labels\naaaaaaaaaaa_0_10\t0\t10\tDog\n",
    )
    .unwrap();
    let (sink, stats) = read("llp", &[tmp.path().to_path_buf()], None);
    // The quote is a character: `"Dog` is its own label, never visible; the other Dog rows merge.
    assert_eq!(sink.records.len(), 1);
    assert_eq!(
        sink.records[0].target,
        Target::Igatl {
            label: s("Dog").into(),
            segments: vec![seg(4.0, 5.0), seg(8.0, 9.0)],
            duration: 10.0
        }
    );
    let summary = reasons_at(&sink.rejects);
    assert_eq!(
        summary,
        vec![(s("malformed_field"), 4), (s("bad_clip_id"), 5), (s("not_visible"), 2)]
    );
    assert_eq!((stats.read, stats.used, stats.rejected), (5, 2, 3));
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn avqa_rejects_odd_answers_and_options() {
    let tmp = common::tempdir().unwrap();
    let q = |id: u32, choices: &str, answer: &str| {
        format!(
            r#"{{"id": {id}, "video_name": "aaaaaaaaaaa_000010", "question_text": "Q?", "multi_choice": {choices}, "answer": {answer}, "question_type": "T"}}"#
        )
    };
    let records = [
        q(1, r#"["", "  ", "b"]"#, "0"),
        q(2, r#"["a", 2, {"k": 1}, "d"]"#, "0"),
        q(3, r#"["a", "b"]"#, "1.0"),
        q(4, r#"["a", "b"]"#, r#""1""#),
        q(5, r#"["a", "b"]"#, "-1"),
        q(6, r#"["a", 7, "c"]"#, "1"),
    ];
    write(tmp.path(), "train_qa.json", &format!("[{}]", records.join(",")));
    let (sink, _) = read("avqa", &[tmp.path().to_path_buf()], None);
    let summary = reasons_at(&sink.rejects);
    assert_eq!(
        summary,
        vec![
            (s("missing_field"), 0),
            (s("malformed_field"), 1),
            (s("malformed_field"), 2),
            (s("malformed_field"), 3),
            (s("answer_out_of_range"), 4),
        ]
    );
    // A numeric option is kept as written.
    assert_eq!(sink.records.len(), 1);
    match &sink.records[0].target {
        Target::Avqa {
            choices,
            answer,
            answer_index,
            ..
        } => {
            assert_eq!(
                (choices.as_deref(), answer.as_str(), *answer_index),
                (Some(&[s("a"), s("7"), s("c")][..]), "7", Some(1))
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn music_avqa_deleted_flags_empty_questions_and_json_update_copies() {
    let tmp = common::tempdir().unwrap();
    let q = |qid: &str, content: &str, deleted: &str, answer: &str| {
        format!(
            r#"{{"video_id": "00000001", "question_id": {qid}, "type": "[\"Audio\", \"Counting\"]", "question_content": "{content}", "templ_values": "[]", "question_deleted": {deleted}, "anser": "{answer}"}}"#
        )
    };
    let old = [
        q("1", "How many?", "0", "one"),
        q("2", "Is it loud?", "\"1\"", "no"),
        q("3", "???", "0", "yes"),
        q("4", "Why?", "true", "x"),
        q("13.5", "What?", "0", "y"),
    ];
    write(tmp.path(), "json/avqa-test.json", &format!("[{}]", old.join(",")));
    let (sink, stats) = read("music_avqa", &[tmp.path().join("json")], None);
    assert_eq!(sink.records.len(), 1);
    assert_eq!(stats.skipped, counts(&[("question_deleted", 2)]));
    let summary = reasons_at(&sink.rejects);
    assert_eq!(summary, vec![(s("missing_field"), 2), (s("malformed_field"), 4)]);

    // Beside a json_update copy of the same split, the plain copy is not read.
    write(
        tmp.path(),
        "json_update/avqa-test.json",
        &format!("[{}]", q("1", "How many?", "0", "two")),
    );
    let (sink, stats) = read("music_avqa", &[tmp.path().to_path_buf()], None);
    assert_eq!(stats.read, 1);
    assert_eq!(stats.notes, counts(&[("superseded_by_json_update", 1)]));
    match &sink.records[0].target {
        Target::Avqa { answer, .. } => assert_eq!(answer, "two"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn music_avqa_subset_files_are_noted_in_a_folder_and_read_when_named() {
    let tmp = common::tempdir().unwrap();
    let q = |video: &str, qid: u32, answer: &str| {
        format!(
            r#"{{"video_id": "{video}", "question_id": {qid}, "type": "[\"Audio\", \"Counting\"]", "question_content": "How many instruments are sounding in the video?", "templ_values": "[]", "question_deleted": 0, "anser": "{answer}"}}"#
        )
    };
    let text = format!(
        "[{}, {}, {}]",
        q("00000001", 1, "two"),
        q("00000002", 2, "one"),
        q("00000003", 3, "three")
    );
    // data/json/ as distributed: the split file and its two subsets (copies of its questions).
    for name in ["avqa-test.json", "avqa-test_real.json", "avqa-test_fake.json"] {
        write(tmp.path(), &format!("json/{name}"), &text);
    }
    let keys = |sink: &avfit::sources::VecSink| sink.records.iter().map(|r| r.key.clone()).collect::<Vec<_>>();
    let plain = vec![s("00000001/1"), s("00000002/2"), s("00000003/3")];

    let (sink, stats) = read("music_avqa", &[tmp.path().join("json")], None);
    assert_eq!(keys(&sink), plain);
    assert_eq!((stats.read, stats.used, stats.rejected), (3, 3, 0));
    assert_eq!(reject_summary(&sink.rejects), vec![]);
    assert_eq!(stats.notes, counts(&[("subset_file_not_read", 2)]));

    // Named, a subset file is read (and is no copy to note).
    let (sink, stats) = read("music_avqa", &[tmp.path().join("json/avqa-test_real.json")], None);
    assert_eq!(keys(&sink), plain);
    assert_eq!((stats.read, stats.used, stats.rejected), (3, 3, 0));
    assert_eq!(stats.notes, counts(&[]));
    assert_eq!(sink.records[0].split, Split::Test);

    // Named beside a json_update copy of its split, a subset file is still read: json_update has no
    // subsets, so nothing supersedes it (its questions then repeat the update's).
    write(
        tmp.path(),
        "json_update/avqa-test.json",
        &format!("[{}]", q("00000001", 1, "two")),
    );
    let (sink, stats) = read(
        "music_avqa",
        &[
            tmp.path().join("json_update/avqa-test.json"),
            tmp.path().join("json/avqa-test_fake.json"),
        ],
        None,
    );
    assert_eq!(keys(&sink), plain);
    assert_eq!((stats.read, stats.used, stats.rejected), (4, 3, 1));
    assert_eq!(stats.notes, counts(&[]));
    assert_eq!(
        reject_summary(&sink.rejects),
        vec![(s("duplicate_row"), 0, s("00000001/1 appeared before"))]
    );

    // The folder and one of its subset files named too (spelled another way): the named file is
    // read, so it is not noted as not read; only the other subset is. Its questions repeat the
    // split file's, so they are rejected as duplicates.
    let (sink, stats) = read(
        "music_avqa",
        &[tmp.path().join("json"), tmp.path().join("json/./avqa-test_real.json")],
        None,
    );
    assert_eq!(keys(&sink), plain);
    assert_eq!((stats.read, stats.used, stats.rejected), (6, 3, 3));
    assert_eq!(stats.notes, counts(&[("subset_file_not_read", 1)]));
}

#[test]
fn vggss_keeps_a_valid_copy_after_an_invalid_one() {
    let tmp = common::tempdir().unwrap();
    write(
        tmp.path(),
        "vggss.json",
        r#"[{"file": "aaaaaaaaaaa_000010", "class": "dog", "bbox": [[0.5, 0.5, 0.5, 0.6]]}, {"file": "aaaaaaaaaaa_000010", "class": "dog", "bbox": [[0.1, 0.1, 0.6, 0.6]]}, {"file": "aaaaaaaaaaa_000010", "class": "dog", "bbox": [[0.2, 0.2, 0.6, 0.6]]}]"#,
    );
    let (sink, _) = read("vggss", &[tmp.path().to_path_buf()], None);
    assert_eq!(sink.records.len(), 1);
    assert_eq!(
        sink.records[0].target,
        Target::Arig {
            label: s("dog").into(),
            boxes: vec![bx([0.1, 0.1, 0.6, 0.6])]
        }
    );
    let summary = reasons_at(&sink.rejects);
    assert_eq!(
        summary,
        vec![
            (s("degenerate_box"), 0),
            (s("no_valid_box"), 0),
            (s("duplicate_row"), 2)
        ]
    );
}

/// A number beyond the range of a double (`1e400`, `-1e999`; serde_json refuses to read it as
/// infinity) rejects its element `non_finite_value`, and the elements after it are read: VGG-SS
/// (its whole array) and AVQA (its streamed array, the path of MUSIC-AVQA and VALOR too). Counts:
/// every element read, the others used.
#[test]
fn a_number_out_of_range_rejects_its_element_not_the_file() {
    let tmp = common::tempdir().unwrap();
    let vggss = tmp.path().join("vggss");
    write(
        &vggss,
        "vggss.json",
        r#"[{"file": "aaaaaaaaaaa_000010", "class": "dog", "bbox": [[0.1, 0.1, 0.6, 0.6]]},
            {"file": "bbbbbbbbbbb_000020", "class": "cat", "bbox": [[0.1, 0.1, 1e400, 0.6], [0.2, 0.2, 0.4, 0.4]]},
            {"file": "ccccccccccc_000030", "class": "cow", "bbox": [[0.3, 0.3, 0.5, 0.5]]}]"#,
    );
    let (sink, stats) = read("vggss", &[vggss], None);
    let detail = "a number beyond the range of a double (it would read as infinite)";
    assert_eq!(
        reject_summary(&sink.rejects),
        vec![(s("non_finite_value"), 1, s(detail))]
    );
    let keys: Vec<&str> = sink.records.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["aaaaaaaaaaa_000010", "ccccccccccc_000030"]);
    assert_eq!((stats.read, stats.used, stats.rejected), (3, 2, 1));

    let avqa = tmp.path().join("avqa");
    let q = |id: u32, answer: &str| {
        format!(
            r#"{{"id": {id}, "video_name": "aaaaaaaaaaa_000010", "question_text": "Q{id}?", "multi_choice": ["a", "b"], "answer": {answer}, "question_type": "T"}}"#
        )
    };
    write(
        &avqa,
        "train_qa.json",
        &format!("[{}, {}, {}]", q(1, "0"), q(2, "-1e999"), q(3, "1")),
    );
    let (sink, stats) = read("avqa", &[avqa], None);
    assert_eq!(
        reject_summary(&sink.rejects),
        vec![(s("non_finite_value"), 1, s(detail))]
    );
    let answers: Vec<&str> = sink
        .records
        .iter()
        .map(|r| match &r.target {
            Target::Avqa { answer, .. } => answer.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(answers, ["a", "b"]);
    assert_eq!((stats.read, stats.used, stats.rejected), (3, 2, 1));
}

/// An element whose text is JSON to serde_json's syntax check but not a value it can make is
/// rejected `malformed_field` with serde_json's message, without the position (which would count
/// within the element), and the element after it is read: a leading surrogate escape with no
/// trailing one after it, a trailing surrogate alone, a leading one before a non-surrogate, and
/// nesting deeper than serde_json's 128 levels. Each is the first problem of its own file, so each
/// is what stops the read as values and makes the array be read again.
#[test]
fn an_element_serde_json_cannot_read_is_rejected_with_its_message() {
    let tmp = common::tempdir().unwrap();
    let deep = format!("{}0.5{}", "[".repeat(200), "]".repeat(200));
    let cases = [
        (r#""class": "d\ud800og""#.to_string(), "unexpected end of hex escape"),
        (
            r#""class": "\udc00""#.to_string(),
            "lone leading surrogate in hex escape",
        ),
        (
            r#""class": "\ud800\u0041""#.to_string(),
            "lone leading surrogate in hex escape",
        ),
        (format!(r#""class": "owl", "bbox": {deep}"#), "recursion limit exceeded"),
    ];
    for (n, (bad, message)) in cases.iter().enumerate() {
        let dir = tmp.path().join(format!("case{n}"));
        write(
            &dir,
            "vggss.json",
            &format!(
                r#"[{{"file": "aaaaaaaaaaa_000010", {bad}}},
            {{"file": "ccccccccccc_000030", "class": "cow", "bbox": [[0.3, 0.3, 0.5, 0.5]]}}]"#
            ),
        );
        let (sink, stats) = read("vggss", &[dir], None);
        assert_eq!(
            reject_summary(&sink.rejects),
            vec![(
                s("malformed_field"),
                0,
                format!("the element cannot be read: {message}")
            )],
            "{bad}"
        );
        let keys: Vec<&str> = sink.records.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["ccccccccccc_000030"], "{bad}");
        assert_eq!((stats.read, stats.used, stats.rejected), (2, 1, 1), "{bad}");
    }
}

/// A file that is not JSON still stops the run with its path, line and what was expected, and
/// the same error whether an element serde_json cannot read (`1e400`) came before the fault, so
/// that the array was read a second time as raw text, or not (`0.500` in its place: as long, so
/// the columns are the same too).
#[test]
fn a_syntax_error_after_an_element_read_again_stops_the_run_as_before() {
    let tmp = common::tempdir().unwrap();
    let source = avfit::registry::find("vggss").unwrap();
    let options = avfit::sources::SourceOptions::new(source);
    let tails = [
        (
            r#"{"file": "bbbbbbbbbbb_000020", "class": "cat" "bbox": []}]"#,
            "expected `,` or `}`",
        ),
        (r#"{"file": "bbbb"#, "the text ends inside a string"),
        (", 2]", "expected a value"),
        ("", "the text ends where a value was expected"),
    ];
    for (n, (tail, said)) in tails.iter().enumerate() {
        let error = |number: &str| {
            let path = write(
                &tmp.path().join(format!("{n}_{number}")),
                "vggss.json",
                &format!(
                    "[{{\"file\": \"aaaaaaaaaaa_000010\", \"class\": \"dog\", \"bbox\": [[{number}, 0.1, 0.6, 0.6]]}},\n {tail}"
                ),
            );
            let err = avfit::sources::read_all(source, &[path.clone()], &options).unwrap_err();
            (path, err.to_string())
        };
        let (path, once) = error("0.500");
        let (path_again, again) = error("1e400");
        assert_eq!(
            again.replace(&path_again.display().to_string(), "<path>"),
            once.replace(&path.display().to_string(), "<path>")
        );
        assert!(
            again.contains("vggss.json:2:") && again.contains(&format!("not JSON: {said}")),
            "{again}"
        );
    }
}

/// An element serde_json cannot read in a file whose split is not used (VALOR-32K's test split)
/// is skipped with the rest of its file (`split_not_used`), not rejected; counts reconcile.
#[test]
fn an_element_serde_json_cannot_read_in_a_split_not_used_is_skipped() {
    let tmp = common::tempdir().unwrap();
    write(
        tmp.path(),
        "desc_train.json",
        r#"[{"video_id": "vvvvvvvvvvv_0.000_10.000", "desc": "A dog barks twice."}]"#,
    );
    write(
        tmp.path(),
        "desc_test.json",
        r#"[{"video_id": "eeeeeeeeeee_0.000_10.000", "desc": "A horn blares.", "score": 1e400},
            {"video_id": "fffffffffff_0.000_10.000", "desc": "Rain falls."}]"#,
    );
    let (sink, stats) = read("valor", &[tmp.path().to_path_buf()], None);
    assert!(sink.rejects.is_empty(), "{:?}", sink.rejects);
    let keys: Vec<&str> = sink.records.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["vvvvvvvvvvv_0.000_10.000"]);
    assert_eq!((stats.read, stats.used, stats.rejected), (3, 1, 0));
    assert_eq!(stats.skipped, counts(&[("split_not_used", 2)]));
}

/// A 224x224 mask PNG with foreground 255 on the inclusive rectangle.
fn mask_png(path: &std::path::Path, rect: Option<(u32, u32, u32, u32)>) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    image::GrayImage::from_fn(224, 224, |x, y| {
        let on = rect.is_some_and(|(x0, y0, x1, y1)| (x0..=x1).contains(&x) && (y0..=y1).contains(&y));
        image::Luma([if on { 255 } else { 0 }])
    })
    .save(path)
    .unwrap();
}

#[test]
fn avsbench_judges_every_frame_before_counting_the_video() {
    let tmp = common::tempdir().unwrap();
    let root = tmp.path();
    // No header; a repeated row; a corrupt first frame followed by a good one.
    write(
        root,
        "ms3_meta_data.csv",
        "hhhhhhhhhhh_1,test\nhhhhhhhhhhh_1,test\niiiiiiiiiii_2,test\n",
    );
    let masks = root.join("gt_masks/test");
    mask_png(&masks.join("hhhhhhhhhhh_1/hhhhhhhhhhh_1_1.png"), Some((0, 0, 111, 111)));
    mask_png(
        &masks.join("hhhhhhhhhhh_1/hhhhhhhhhhh_1_2.png"),
        Some((112, 112, 223, 223)),
    );
    write(&masks, "iiiiiiiiiii_2/iiiiiiiiiii_2_1.png", "not a png");
    mask_png(
        &masks.join("iiiiiiiiiii_2/iiiiiiiiiii_2_2.png"),
        Some((0, 112, 111, 223)),
    );
    // Media only for frame 2 of hhhhhhhhhhh_1 (its frame 1 image is missing) and frame 2 of iiiiiiiiiii_2.
    let media = common::tempdir().unwrap();
    for frame in ["hhhhhhhhhhh_1_2", "iiiiiiiiiii_2_2"] {
        let path = media.path().join(format!("avsbench/frames/{frame}.jpg"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        // A PNG under a .jpg name: its size is read from the content.
        image::RgbImage::new(8, 8)
            .save_with_format(&path, image::ImageFormat::Png)
            .unwrap();
    }
    for clip in ["hhhhhhhhhhh_1", "iiiiiiiiiii_2"] {
        common::write_wav(&media.path().join(format!("avsbench/audios/{clip}.wav")), 8000, 0);
    }
    let source = avfit::registry::find("avsbench").unwrap();
    let mut options = avfit::sources::SourceOptions::new(source);
    options
        .params
        .insert("frames".into(), toml::Value::String("all".into()));
    options.media_root = Some(avfit::media::MediaRoot {
        root: media.path().to_path_buf(),
        check: true,
    });
    let (sink, stats) = avfit::sources::read_all(source, &[root.to_path_buf()], &options).unwrap();
    let keys: Vec<&str> = sink.records.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, vec!["hhhhhhhhhhh_1/2", "iiiiiiiiiii_2/2"]);
    let summary = reasons_at(&sink.rejects);
    assert_eq!(
        summary,
        vec![
            (s("missing_media"), 1),
            (s("duplicate_row"), 2),
            (s("malformed_field"), 3)
        ]
    );
    assert_eq!((stats.read, stats.used, stats.rejected), (3, 2, 1));
    assert_eq!(stats.dropped, counts(&[("malformed_field", 1), ("missing_media", 1)]));
}

/// Rows are judged 64 at a time on rayon's pool and counted in order: over 150 rows, a video
/// repeated in a later batch, or in the same one, is still a `duplicate_row`, and the records,
/// rejects and counts are those of a row-by-row read.
#[test]
fn avsbench_rows_across_batches_are_counted_in_order() {
    let tmp = common::tempdir().unwrap();
    let root = tmp.path();
    let video = |i: usize| format!("v{i:03}");
    // Line n holds row n - 1 (no header): v000 .. v149, but v010 again on lines 71 and 141 and
    // v130 again on line 135; v065 has no masks.
    let rows: Vec<String> = (0..150)
        .map(|i| match i {
            70 | 140 => video(10),
            134 => video(130),
            _ => video(i),
        })
        .collect();
    write(root, "ms3_meta_data.csv", &(rows.join(",test\n") + ",test\n"));
    for (i, name) in rows.iter().enumerate() {
        if i == 65 || [70, 134, 140].contains(&i) {
            continue;
        }
        // A 16 x 16 mask with one blob at columns i % 8 ..= i % 8 + 3, rows 4 ..= 7.
        let x0 = (i % 8) as u32;
        let path = root.join(format!("gt_masks/test/{name}/{name}_1.png"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        image::GrayImage::from_fn(16, 16, |x, y| {
            image::Luma([if (x0..=x0 + 3).contains(&x) && (4..=7).contains(&y) {
                255
            } else {
                0
            }])
        })
        .save(&path)
        .unwrap();
    }
    let (sink, stats) = read("avsbench", &[root.to_path_buf()], None);
    let expected_keys: Vec<String> = (0..150)
        .filter(|i| ![65, 70, 134, 140].contains(i))
        .map(video)
        .collect();
    let keys: Vec<&str> = sink.records.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, expected_keys);
    // v077's blob: columns 5..=8, rows 4..=7 of 16.
    assert_eq!(
        sink.records[75].target,
        Target::Arig {
            label: s("sounding object").into(),
            boxes: vec![bx([0.3125, 0.25, 0.5625, 0.5])]
        }
    );
    let summary = reasons_at(&sink.rejects);
    assert_eq!(
        summary,
        vec![
            (s("missing_media"), 66),
            (s("duplicate_row"), 71),
            (s("duplicate_row"), 135),
            (s("duplicate_row"), 141)
        ]
    );
    assert_eq!((stats.read, stats.used, stats.rejected), (150, 146, 4));
}

#[test]
fn pascal_sound_drops_objects_without_a_box_and_needs_annotations() {
    let tmp = common::tempdir().unwrap();
    let size = "<size><width>100</width><height>100</height></size>";
    let dog = |bbox: &str| format!("<object><name>dog</name>{bbox}</object>");
    let box_xml = "<bndbox><xmin>11</xmin><ymin>21</ymin><xmax>50</xmax><ymax>60</ymax></bndbox>";
    write(
        tmp.path(),
        "Annotations/a.xml",
        &format!("<annotation>{size}{}{}</annotation>", dog(""), dog(box_xml)),
    );
    write(
        tmp.path(),
        "Annotations/b.xml",
        &format!("<annotation>{size}{}</annotation>", dog("")),
    );
    write(
        tmp.path(),
        "pascal_sound.csv",
        "image_id,audio,label\na,x.wav,dog\nb,y.wav,dog\n",
    );
    let (sink, stats) = read("pascal_sound", &[tmp.path().to_path_buf()], None);
    assert_eq!(sink.records.len(), 1);
    assert_eq!(
        sink.records[0].target,
        Target::Arig {
            label: s("dog").into(),
            boxes: vec![bx([0.1, 0.2, 0.5, 0.6])]
        }
    );
    assert_eq!(
        reject_summary(&sink.rejects),
        vec![
            (s("missing_field"), 2, s("a: `dog` object 1 has no <bndbox>")),
            (s("missing_field"), 3, s("b: `dog` object 1 has no <bndbox>")),
            (s("no_valid_box"), 3, s("b: none of 1 `dog` boxes is valid")),
        ]
    );
    assert_eq!((stats.read, stats.used, stats.rejected), (2, 1, 1));

    let csv_only = tmp.path().join("pascal_sound.csv");
    let source = avfit::registry::find("pascal_sound").unwrap();
    let err = avfit::sources::read_all(source, &[csv_only], &avfit::sources::SourceOptions::new(source)).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("source `pascal_sound` needs the VOC Annotations/<image_id>.xml files"),
        "{err}"
    );
}

#[test]
fn flickr_test_list_with_a_bom_and_dotted_ids() {
    let tmp = common::tempdir().unwrap();
    let xml = "<annotation><bbox><xmin>0</xmin><ymin>0</ymin><xmax>128</xmax><ymax>128</ymax></bbox></annotation>";
    write(tmp.path(), "Annotations/11.xml", xml);
    write(tmp.path(), "Annotations/1.0.xml", xml);
    write(tmp.path(), "Annotations/1.xml", xml);
    write(tmp.path(), "test_list.txt", "\u{feff}11.png\n1.0.png\n");
    let (sink, stats) = read("flickr_soundnet", &[tmp.path().to_path_buf()], None);
    let keys: Vec<&str> = sink.records.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, vec!["1.0", "11"]);
    assert_eq!(stats.skipped, counts(&[("not_in_test_list", 1)]));
    let source = avfit::registry::find("flickr_soundnet").unwrap();
    let list_only = tmp.path().join("test_list.txt");
    let err = avfit::sources::read_all(source, &[list_only], &avfit::sources::SourceOptions::new(source)).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("source `flickr_soundnet` needs the Annotations/<flickr_id>.xml files"),
        "{err}"
    );
}

fn oi_record(image: &str, label: &str, split: Split, boxes: Vec<BBox>) -> Record {
    Record {
        source: "openimages",
        key: format!("{image}/{}", label.replace(' ', "_")),
        split,
        groups: vec![format!("oi:{image}").into()],
        media: Media {
            image: Some(format!("openimages/images/{image}.jpg").into()),
            audio: None,
            video: None,
            ..Default::default()
        },
        target: Target::Arig {
            label: s(label).into(),
            boxes,
        },
        // No audio: the input names the class.
        referring: true,
    }
}

#[test]
fn openimages_groups_each_images_boxes_per_class() {
    // tests/data/openimages: validation-annotations-bbox.csv (16 rows, sorted by ImageID), the
    // class descriptions (Bird, Cat, Horse, Table, Dog, Car) and a rotation file
    // (0005e4f5a6b7c8d9 rotated 90). `validation` → test.
    let (sink, stats) = read("openimages", &[data("openimages")], None);
    let t = Split::Test;
    assert_eq!(
        sink.records,
        vec![
            // Lines 2-4: one box each of Dog, Cat, Table; XMin, XMax, YMin, YMax → [x0, y0, x1, y1].
            oi_record("0001a0b1c2d3e4f5", "Dog", t, vec![bx([0.1, 0.2, 0.5, 0.9])]),
            oi_record("0001a0b1c2d3e4f5", "Cat", t, vec![bx([0.6, 0.1, 0.9, 0.4])]),
            oi_record("0001a0b1c2d3e4f5", "Table", t, vec![bx([0.0, 0.7, 1.0, 1.0])]),
            // Lines 5-6: XMax 1.0000000000000002 clamped to 1; both Dog boxes in file order.
            oi_record(
                "0002b1c2d3e4f5a6",
                "Dog",
                t,
                vec![bx([0.25, 0.0, 1.0, 0.5]), bx([0.0, 0.5, 0.2, 0.75])]
            ),
            // Line 7; line 8 is a depiction (skipped).
            oi_record("0003c2d3e4f5a6b7", "Car", t, vec![bx([0.05, 0.3, 0.95, 0.8])]),
            oi_record("0004d3e4f5a6b7c8", "Cat", t, vec![bx([0.3, 0.3, 0.7, 0.7])]),
            oi_record("0004d3e4f5a6b7c8", "Dog", t, vec![bx([0.75, 0.75, 1.0, 1.0])]),
            // Line 11: rotated. Line 12: XMin 0.7 > XMax 0.3.
            oi_record("0007a6b7c8d9e0f1", "Dog", t, vec![bx([0.2, 0.2, 0.6, 0.6])]),
            oi_record("0008b7c8d9e0f1a2", "Car", t, vec![bx([0.0, 0.5, 0.5, 1.0])]),
            oi_record("0009c8d9e0f1a2b3", "Cat", t, vec![bx([0.1, 0.1, 0.4, 0.4])]),
            oi_record("0009c8d9e0f1a2b3", "Car", t, vec![bx([0.5, 0.5, 0.9, 0.9])]),
            oi_record("0010d9e0f1a2b3c4", "Bird", t, vec![bx([0.3, 0.3, 0.5, 0.5])]),
        ]
    );
    assert_eq!(
        reject_summary(&sink.rejects),
        vec![(s("reversed_box"), 12, s("0006f5a6b7c8d9e0: box [0.7, 0.2, 0.3, 0.4]"))]
    );
    assert_eq!((stats.read, stats.used, stats.rejected), (16, 13, 1));
    assert_eq!(stats.skipped, counts(&[("depiction", 1), ("rotated", 1)]));
}

const OI_HEADER: &str =
    "ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside\n";

#[test]
fn openimages_train_file_keys_labels_depiction_and_bad_rows() {
    let tmp = common::tempdir().unwrap();
    // CRLF descriptions with a header; a two-word class.
    write(
        tmp.path(),
        "class-descriptions-boxable.csv",
        "LabelName,DisplayName\r\n/m/046dlr,Alarm clock\r\n/m/0bt9lr,Dog\r\n",
    );
    let rows = [
        "aa,xclick,/m/0bt9lr,1,0.0625,0.9375,0.125,0.875,0,0,0,0,0", // 2: Dog
        "aa,xclick,/m/046dlr,1,0.5,0.75,0.25,0.5,0,0,0,0,0",         // 3: Alarm clock
        "aa,xclick,/m/0bt9lr,1,0.5,0.5,0.1,0.2,0,0,0,0,0",           // 4: degenerate
        "aa,xclick,/m/0bt9lr,1,0.0,0.25,0.0,0.25,0,0,0,1,0",         // 5: depiction, skipped
        "aa,xclick,/m/0bt9lr,1,0.1,0.2,0.3,x,0,0,0,0,0",             // 6: not a number
        "aa,xclick,/m/0bt9lr,1,0.5,1.0,0.5,1.0,0,0,0,0,0",           // 7: Dog again
        "bb,xclick,/m/046dlr,1,0.0,1.5,0.0,1.0,0,0,0,0,0",           // 8: out of range
        "bb,xclick,/m/0bt9lr",                                       // 9: short row
        ",xclick,/m/0bt9lr,1,0.1,0.2,0.1,0.2,0,0,0,0,0",             // 10: no ImageID
        "cc,xclick,/m/046dlr,1,0.1,0.2,0.3,0.4,0,0,0,0,0",           // 11: Alarm clock
        "cc,xclick,/m/0k4j,1,0.1,0.2,0.3,0.4,0,0,0,0,0",             // 12: no boxable class here
    ];
    let mut text = format!("{OI_HEADER}{}\n", rows.join("\n")).into_bytes();
    text.extend_from_slice(b"cc,xclick,/m/046dlr,1,0.1,0.2,0.3,0.4,0,0,0,0,\xff\n"); // 13: not UTF-8
    std::fs::write(tmp.path().join("oidv6-train-annotations-bbox.csv"), text).unwrap();
    let (sink, stats) = read("openimages", &[tmp.path().to_path_buf()], None);
    let t = Split::Train;
    assert_eq!(
        sink.records,
        vec![
            // Classes of an image in the order they first appear, boxes in file order.
            oi_record(
                "aa",
                "Dog",
                t,
                vec![bx([0.0625, 0.125, 0.9375, 0.875]), bx([0.5, 0.5, 1.0, 1.0])]
            ),
            oi_record("aa", "Alarm clock", t, vec![bx([0.5, 0.25, 0.75, 0.5])]),
            oi_record("cc", "Alarm clock", t, vec![bx([0.1, 0.3, 0.2, 0.4])]),
        ]
    );
    assert_eq!(sink.records[1].key, "aa/Alarm_clock");
    assert_eq!(
        reject_summary(&sink.rejects),
        vec![
            (s("degenerate_box"), 4, s("aa: box [0.5, 0.1, 0.5, 0.2]")),
            (
                s("malformed_field"),
                6,
                s("aa: XMin/XMax/YMin/YMax are not four numbers")
            ),
            (s("box_out_of_range"), 8, s("bb: box [0.0, 0.0, 1.5, 1.0]")),
            (s("missing_field"), 9, s("3 fields, the header names 8 or more")),
            (s("missing_field"), 10, s("no ImageID")),
            (
                s("malformed_field"),
                13,
                s("not UTF-8 text: invalid utf-8: invalid UTF-8 in field 12 near byte index 0")
            ),
        ]
    );
    assert_eq!((stats.read, stats.used, stats.rejected), (12, 4, 6));
    assert_eq!(stats.skipped, counts(&[("class_not_in_map", 1), ("depiction", 1)]));

    // --split forces the split; the bbox file alone lacks the class descriptions.
    let (sink, _) = read("openimages", &[tmp.path().to_path_buf()], Some(Split::Test));
    assert!(sink.records.iter().all(|r| r.split == Split::Test));
    let source = avfit::registry::find("openimages").unwrap();
    let options = avfit::sources::SourceOptions::new(source);
    let bbox_only = tmp.path().join("oidv6-train-annotations-bbox.csv");
    let err = avfit::sources::read_all(source, &[bbox_only], &options).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("source `openimages` needs class-descriptions-boxable.csv"),
        "{err}"
    );
}

#[test]
fn openimages_stops_on_an_image_id_out_of_sorted_order() {
    let tmp = common::tempdir().unwrap();
    write(tmp.path(), "class-descriptions-boxable.csv", "/m/0bt9lr,Dog\n");
    let bbox = write(
        tmp.path(),
        "test-annotations-bbox.csv",
        &format!(
            "{OI_HEADER}b,x,/m/0bt9lr,1,0.1,0.2,0.1,0.2,0,0,0,0,0\n\
             c,x,/m/0bt9lr,1,0.1,0.2,0.1,0.2,0,0,0,0,0\n\
             b,x,/m/0bt9lr,1,0.3,0.4,0.3,0.4,0,0,0,0,0\n"
        ),
    );
    let source = avfit::registry::find("openimages").unwrap();
    let options = avfit::sources::SourceOptions::new(source);
    let err = avfit::sources::read_all(source, &[tmp.path().to_path_buf()], &options).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:4: ImageID b after c: expected the rows sorted by ImageID, as Open Images distributes them (sort the file by its first column)",
            bbox.display()
        )
    );
}
