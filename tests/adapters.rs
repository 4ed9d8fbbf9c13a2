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
        image: Some(format!("vggss/frames/{k}.jpg")),
        audio: Some(format!("vggss/audios/{k}.wav")),
        video: None,
    };
    assert_eq!(
        sink.records,
        vec![
            Record {
                source: "vggss",
                key: s("aaaaaaaaaaa_000010"),
                split: Split::Test,
                groups: vec![s("yt:aaaaaaaaaaa")],
                media: media("aaaaaaaaaaa_000010"),
                target: Target::Arig {
                    label: s("dog barking"),
                    boxes: vec![bx([0.25, 0.125, 0.75, 0.875])]
                },
            },
            Record {
                source: "vggss",
                key: s("-bbbbbbbbbb_000000"),
                split: Split::Test,
                groups: vec![s("yt:-bbbbbbbbbb")],
                media: media("-bbbbbbbbbb_000000"),
                // JSON ints 0 and 1 are read as 0.0 and 1.0.
                target: Target::Arig {
                    label: s("male speech, man speaking"),
                    boxes: vec![bx([0.0, 0.5, 0.5, 1.0]), bx([0.0625, 0.0, 0.9375, 0.5])],
                },
            },
            Record {
                source: "vggss",
                key: s("cc_cccccccc_000123"),
                split: Split::Test,
                groups: vec![s("yt:cc_cccccccc")],
                media: media("cc_cccccccc_000123"),
                target: Target::Arig {
                    label: s("playing acoustic guitar"),
                    boxes: vec![bx([0.3, 0.3, 0.6, 0.6])]
                },
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
fn llp_merges_audio_rows_and_takes_the_first_visual_midpoint() {
    let (sink, stats) = read("llp", &[data("llp")], None);
    let rec = |clip: &str, yt: &str, label: &str, t: &str, segments: Vec<Segment>| Record {
        source: "llp",
        key: format!("{clip}/{label}"),
        split: Split::Test,
        groups: vec![format!("yt:{yt}")],
        media: Media {
            image: Some(format!("llp/frames/{clip}_{t}.jpg")),
            audio: Some(format!("llp/audios/{clip}.wav")),
            video: None,
        },
        target: Target::Igatl {
            label: label.replace('_', " "),
            segments,
            duration: 10.0,
        },
    };
    assert_eq!(
        sink.records,
        vec![
            // Dog audio [0,3) [3,5) touch and merge, [7,9) stays apart; visual [2,6) and [0,1):
            // the first visual segment is [0,1), midpoint 0.5 s.
            rec(
                "aaaaaaaaaaa_0_10",
                "aaaaaaaaaaa",
                "Dog",
                "0.5",
                vec![seg(0.0, 5.0), seg(7.0, 9.0)]
            ),
            rec("aaaaaaaaaaa_0_10", "aaaaaaaaaaa", "Speech", "5.0", vec![seg(0.0, 10.0)]),
            rec(
                "b_bbbbbbbbb_30_40",
                "b_bbbbbbbbb",
                "Frying_(food)",
                "5.0",
                vec![seg(2.0, 6.0)]
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

#[test]
fn llp_without_its_visual_file_is_an_error_naming_it() {
    let source = avfit::sources::find("llp").unwrap();
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
            groups: vec![format!("yt:{yt}")],
            media: Media {
                image: Some(format!("avqa/frames/{video}.jpg")),
                audio: Some(format!("avqa/audios/{video}.wav")),
                video: Some(format!("avqa/videos/{video}.mp4")),
            },
            target: Target::Avqa {
                question: s(question),
                choices: Some(choices.iter().map(|c| s(c)).collect()),
                answer: s(choices[index]),
                answer_index: Some(index),
                question_type: s(qtype),
            },
        };
    assert_eq!(
        sink.records,
        vec![
            rec(
                "aaaaaaaaaaa_000010",
                "aaaaaaaaaaa",
                1,
                Split::Train,
                "What is making the sound in the video?",
                &["dog", "cat", "horse", "cow"],
                0,
                "Which"
            ),
            // multi_choice [null, indoors, on a boat, in a car], answer 2 → "on a boat", index 1 among the non-null.
            rec(
                "-bbbbbbbbbb_000000",
                "-bbbbbbbbbb",
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
        groups: vec![format!("music:{video}")],
        media: Media {
            image: Some(format!("music_avqa/frames/{video}.jpg")),
            audio: Some(format!("music_avqa/audios/{video}.wav")),
            video: Some(format!("music_avqa/videos/{video}.mp4")),
        },
        target: Target::Avqa {
            question: s(question),
            choices: None,
            answer: s(answer),
            answer_index: None,
            question_type: s(qtype),
        },
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
        groups: vec![format!("yt:{yt}")],
        media: Media {
            image: Some(format!("valor/frames/{video}.jpg")),
            audio: Some(format!("valor/audios/{video}.wav")),
            video: Some(format!("valor/videos/{video}.mp4")),
        },
        target: Target::Avc { caption: s(caption) },
    };
    assert_eq!(
        sink.records,
        vec![
            rec(
                "aaaaaaaaaaa_0.000_10.000",
                "aaaaaaaaaaa",
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
