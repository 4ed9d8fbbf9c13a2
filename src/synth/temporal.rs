//! Synthetic inputs of the direct temporal, QA and captioning sources: LLP (AVVP dense TSVs),
//! AVQA (`train_qa.json`, `val_qa.json`), MUSIC-AVQA (`json_update/avqa-*.json`) and VALOR-32K
//! (`desc_*.json`).

use super::{expected, per_kind, pick, youtube_id, Ctx, Entry, JsonArray, Out, SourceSummary, Sprinkle};
use crate::error::Result;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// The 25 AVVP event classes, underscored as in the files.
const LLP_CLASSES: &[&str] = &[
    "Speech",
    "Car",
    "Cheering",
    "Dog",
    "Cat",
    "Frying_(food)",
    "Basketball_bounce",
    "Fire_alarm",
    "Chainsaw",
    "Cello",
    "Banjo",
    "Singing",
    "Chicken_rooster",
    "Violin_fiddle",
    "Vacuum_cleaner",
    "Baby_laughter",
    "Accordion",
    "Lawn_mower",
    "Motorcycle",
    "Helicopter",
    "Acoustic_guitar",
    "Telephone_bell_ringing",
    "Baby_cry_infant_cry",
    "Blender",
    "Clapping",
];

/// Random `[onset, offset)` whole-second events on the 10 s grid, sorted and separated by at
/// least a second (so they never merge).
fn grid_events(rng: &mut ChaCha8Rng, max: usize) -> Vec<(u32, u32)> {
    let mut events = Vec::new();
    let mut cursor = rng.gen_range(0..6);
    for _ in 0..rng.gen_range(1..=max) {
        if cursor >= 10 {
            break;
        }
        let end = rng.gen_range(cursor + 1..=10);
        events.push((cursor, end));
        cursor = end + 1 + rng.gen_range(0..3);
    }
    events
}

/// LLP (FORMATS.md "LLP"): `AVVP_eval_audio.csv` and `AVVP_eval_visual.csv`, TAB-separated with
/// the header `filename onset offset event_labels`, one whole-second event per row, clips
/// `<ytid>_<start>_<end>` (a few ids shorter than 11 characters). Each clip has 1–3 audio labels;
/// about 8% of them are never visible (their rows end `not_visible`). Defects in the audio file:
/// `9 9` (`zero_length_segment`), `9 0` (`reversed_segment`), an exact repeat (`duplicate_row`), a
/// label in the filename column (`bad_clip_id`); in the visual file a `9 9` row (dropped).
pub(super) fn llp(ctx: &Ctx) -> Result<Entry> {
    #[derive(Clone, Copy)]
    enum Defect {
        Zero,
        Reversed,
        Duplicate,
        LabelAsFile,
    }
    let mut rng = ctx.rng(5);
    let n = ctx.target(2320.0);
    // About 2 visible labels per clip.
    let clips = (n / 2).max(1);
    let k = per_kind(n * 2, 4);
    let mut sprinkle = Sprinkle::new(
        &mut rng,
        clips,
        &[
            (Defect::Zero, k),
            (Defect::Reversed, k),
            (Defect::Duplicate, k),
            (Defect::LabelAsFile, k),
        ],
    );
    let header = "filename\tonset\toffset\tevent_labels\n";
    let mut audio = Out::create(ctx.path("llp/AVVP_eval_audio.csv"))?;
    let mut visual = Out::create(ctx.path("llp/AVVP_eval_visual.csv"))?;
    audio.put(header)?;
    visual.put(header)?;
    let mut defects = BTreeMap::new();
    let (mut visible_groups, mut units) = (0u64, 0u64);
    let mut visual_defect_done = false;
    for c in 0..clips {
        let id = if rng.gen_range(0..30) == 0 {
            youtube_id(&mut rng)[..8].to_string()
        } else {
            youtube_id(&mut rng)
        };
        let start = rng.gen_range(0..30) * 10;
        let clip = format!("{id}_{start}_{}", start + 10);
        // 1–3 visible labels, bounded so that the clips left can still take exactly n in all.
        let (clips_left, remaining) = (clips - c, n - visible_groups);
        let lo = remaining.saturating_sub(3 * (clips_left - 1)).max(1);
        let hi = remaining.saturating_sub(clips_left - 1).min(3);
        let wanted = rng.gen_range(1..=3u64).clamp(lo, hi) as usize;
        let mut labels: Vec<&str> = Vec::new();
        while labels.len() < wanted {
            let l = *pick(&mut rng, LLP_CLASSES);
            if !labels.contains(&l) {
                labels.push(l);
            }
            if labels.len() == LLP_CLASSES.len() {
                break;
            }
        }
        let mut hidden: Vec<&str> = Vec::new();
        if rng.gen_range(0..12) == 0 {
            let l = *pick(&mut rng, LLP_CLASSES);
            if !labels.contains(&l) {
                hidden.push(l);
            }
        }
        let mut last_row = String::new();
        for l in labels.iter().chain(&hidden) {
            for (on, off) in grid_events(&mut rng, 2) {
                last_row = format!("{clip}\t{on}\t{off}\t{l}\n");
                audio.put(&last_row)?;
                units += 1;
            }
        }
        for l in &labels {
            for (on, off) in grid_events(&mut rng, 2) {
                visual.fmt(format_args!("{clip}\t{on}\t{off}\t{l}\n"))?;
            }
        }
        if !visual_defect_done || rng.gen_range(0..1000) == 0 {
            if let Some(l) = labels.first() {
                visual.fmt(format_args!("{clip}\t9\t9\t{l}\n"))?;
                visual_defect_done = true;
            }
        }
        visible_groups += labels.len() as u64;
        for defect in sprinkle.after_item(&mut rng) {
            let label = labels.first().or(hidden.first()).copied().unwrap_or("Speech");
            let (row, reason) = match defect {
                Defect::Zero => (format!("{clip}\t9\t9\t{label}\n"), "zero_length_segment"),
                Defect::Reversed => (format!("{clip}\t9\t0\t{label}\n"), "reversed_segment"),
                Defect::Duplicate if !last_row.is_empty() => (last_row.clone(), "duplicate_row"),
                Defect::Duplicate => (format!("{clip}\t8\t8\t{label}\n"), "zero_length_segment"),
                Defect::LabelAsFile => (format!("{label}\t0\t10\t{label}\n"), "bad_clip_id"),
            };
            audio.put(&row)?;
            units += 1;
            *defects.entry(reason).or_default() += 1;
        }
    }
    audio.finish()?;
    visual.finish()?;
    Ok(Entry {
        summary: SourceSummary {
            name: "llp",
            units,
            defects,
            expected: expected(&[("test/igatl", visible_groups)]),
        },
        inputs: vec!["llp/AVVP_eval_audio.csv".into(), "llp/AVVP_eval_visual.csv".into()],
        test_fraction: None,
        comment: "LLP (AVVP): dense audio events, zero-shot IGATL, test",
    })
}

/// AVQA question kinds: (question_type, question_relation, question, options).
const AVQA_QUESTIONS: &[(&str, &str, &str, &[&str])] = &[
    (
        "Which",
        "Both",
        "Which object makes the sound in the video?",
        &[
            "dog", "cat", "car", "man", "woman", "baby", "bird", "train", "guitar", "piano",
        ],
    ),
    (
        "Come From",
        "Both",
        "Where does the sound come from?",
        &[
            "the engine",
            "the man's mouth",
            "the speaker",
            "the instrument",
            "the animal",
            "the water",
        ],
    ),
    (
        "Happening",
        "View",
        "What happened in the video?",
        &[
            "a dog barks",
            "a man plays guitar",
            "a car drives past",
            "a baby laughs",
            "a bird sings",
            "people cheer",
        ],
    ),
    (
        "Where",
        "View",
        "Where is the video taken?",
        &[
            "indoors",
            "on a street",
            "in a park",
            "on a boat",
            "in a car",
            "on a stage",
        ],
    ),
    (
        "Why",
        "Sound",
        "Why is there a sound in the video?",
        &[
            "someone is speaking",
            "an engine is running",
            "a dog is barking",
            "music is playing",
        ],
    ),
    (
        "Before Next",
        "Sound",
        "What sound is heard before the music?",
        &["speech", "clapping", "a siren", "laughter", "barking", "footsteps"],
    ),
    (
        "Which",
        "Sound",
        "How many times does the dog bark?",
        &["1", "2", "3", "4"],
    ),
];

/// AVQA (FORMATS.md "AVQA"): `train_qa.json` and `val_qa.json`, JSON arrays (one element per
/// line) of `{id, video_name, video_id, question_text, multi_choice, answer, question_relation,
/// question_type}`; `answer` a 0-based index, some options `null` (never the answer) or numbers,
/// some lists shorter than four. Defects: an index past the options (`answer_out_of_range`), an
/// index at a `null` option (`null_answer`), a repeated element (`duplicate_row`).
pub(super) fn avqa(ctx: &Ctx) -> Result<Entry> {
    #[derive(Clone, Copy)]
    enum Defect {
        OutOfRange,
        Null,
        Duplicate,
    }
    let mut rng = ctx.rng(6);
    let train = ctx.target(40400.0);
    let val = ctx.target(16900.0);
    let mut defects = BTreeMap::new();
    let (mut units, mut id, mut video) = (0u64, 0u64, 0u64);
    for (file, n) in [("avqa/train_qa.json", train), ("avqa/val_qa.json", val)] {
        let k = per_kind(n, 3);
        let mut sprinkle = Sprinkle::new(
            &mut rng,
            n,
            &[(Defect::OutOfRange, k), (Defect::Null, k), (Defect::Duplicate, k)],
        );
        let mut out = JsonArray::create(ctx.path(file), true)?;
        let mut written = 0;
        while written < n {
            video += 1;
            let video_name = format!("{}_{:06}", youtube_id(&mut rng), rng.gen_range(0..60) * 10);
            for _ in 0..rng.gen_range(1..=4u64).min(n - written) {
                id += 1;
                let (qtype, relation, question, pool) = *pick(&mut rng, AVQA_QUESTIONS);
                let count = if rng.gen_range(0..30) == 0 { 3 } else { 4 };
                let mut options: Vec<String> = Vec::new();
                while options.len() < count {
                    let o = *pick(&mut rng, pool);
                    let text = if o.bytes().all(|b| b.is_ascii_digit()) {
                        o.to_string() // counting answers are JSON numbers
                    } else {
                        serde_json::to_string(o).expect("a string serializes")
                    };
                    if !options.contains(&text) {
                        options.push(text);
                    }
                }
                let answer = rng.gen_range(0..count);
                if rng.gen_range(0..20) == 0 {
                    let null_at = (answer + 1) % count;
                    options[null_at] = "null".into();
                }
                let element = |id: u64, answer: usize, options: &[String]| {
                    format!(
                        "{{\"id\": {id}, \"video_name\": \"{video_name}\", \"video_id\": {video}, \"question_text\": \"{question}\", \"multi_choice\": [{}], \"answer\": {answer}, \"question_relation\": \"{relation}\", \"question_type\": \"{qtype}\"}}",
                        options.join(", ")
                    )
                };
                let text = element(id, answer, &options);
                out.push_raw(&text)?;
                written += 1;
                units += 1;
                for defect in sprinkle.after_item(&mut rng) {
                    let (text, reason) = match defect {
                        Defect::Duplicate => (text.clone(), "duplicate_row"),
                        Defect::OutOfRange => {
                            id += 1;
                            (element(id, options.len(), &options), "answer_out_of_range")
                        }
                        Defect::Null => {
                            id += 1;
                            let mut o = options.clone();
                            o[0] = "null".into();
                            (element(id, 0, &o), "null_answer")
                        }
                    };
                    out.push_raw(&text)?;
                    units += 1;
                    *defects.entry(reason).or_default() += 1;
                }
            }
        }
        out.finish()?;
    }
    Ok(Entry {
        summary: SourceSummary {
            name: "avqa",
            units,
            defects,
            expected: expected(&[("train/avqa", train), ("test/avqa", val)]),
        },
        inputs: vec!["avqa/train_qa.json".into(), "avqa/val_qa.json".into()],
        test_fraction: None,
        comment: "AVQA: multiple-choice questions on VGGSound clips; train_qa → train, val_qa → test",
    })
}

/// MUSIC-AVQA question templates: (type list, question_content, placeholder kinds, answers).
const MUSIC_QUESTIONS: &[(&str, &str, &[&str], &[&str])] = &[
    (
        "[\"Audio\", \"Counting\"]",
        "How many musical instruments were heard throughout the video?",
        &[],
        &["one", "two", "three", "four"],
    ),
    (
        "[\"Audio\", \"Comparative\"]",
        "Is the <Object> more rhythmic than the <Object>?",
        &["Object", "Object"],
        &["yes", "no"],
    ),
    (
        "[\"Visual\", \"Counting\"]",
        "How many <Object> are in the entire video?",
        &["Object"],
        &["one", "two", "three"],
    ),
    (
        "[\"Visual\", \"Location\"]",
        "Where is the <FL> sounding instrument?",
        &["FL"],
        &["left", "right", "middle"],
    ),
    (
        "[\"Audio-Visual\", \"Existential\"]",
        "Is this sound from the instrument in the video\u{ff1f}",
        &[],
        &["yes", "no"],
    ),
    (
        "[\"Audio-Visual\", \"Counting\"]",
        "How many sounding <Object> in the video? ",
        &["Object"],
        &["one", "two", "three"],
    ),
    (
        "[\"Audio-Visual\", \"Location\"]",
        "Where is the <LL> instrument?",
        &["LL"],
        &["left", "right", "middle"],
    ),
    (
        "[\"Audio-Visual\", \"Temporal\"]",
        "Which <Object> makes the sound <FL>?",
        &["Object", "FL"],
        &["left", "right", "middle"],
    ),
    (
        "[\"Audio-Visual\", \"Comparative\"]",
        "Is the <Object> louder than the <Object>?",
        &["Object", "Object"],
        &["yes", "no"],
    ),
];

const INSTRUMENTS: &[&str] = &[
    "accordion",
    "acoustic_guitar",
    "bagpipe",
    "banjo",
    "bassoon",
    "cello",
    "clarinet",
    "congas",
    "drum",
    "electric_bass",
    "erhu",
    "flute",
    "guzheng",
    "piano",
    "pipa",
    "saxophone",
    "suona",
    "trumpet",
    "tuba",
    "ukulele",
    "violin",
    "xylophone",
];

/// MUSIC-AVQA (FORMATS.md "MUSIC-AVQA"): `json_update/avqa-{train,val,test}.json`, JSON arrays of
/// `{video_id, question_id, type, question_content, templ_values, question_deleted, anser}` with
/// `type` and `templ_values` JSON lists stored as strings, questions ending in `?`, `？` or a
/// space. About 12% of the questions are on synthetic videos (`va…`, `sa…`, `vv…`, …) and 1% are
/// deleted (both skipped); `val` is skipped. Defects in train and test: too few template values
/// (`placeholder_mismatch`), an undecodable `type` (`malformed_field`), a repeated question with
/// the same answer (`duplicate_row`) and with another answer (both copies `conflicting_duplicate`).
pub(super) fn music_avqa(ctx: &Ctx) -> Result<Entry> {
    #[derive(Clone, Copy)]
    enum Defect {
        Placeholders,
        BadType,
        Duplicate,
        Conflicting,
    }
    let mut rng = ctx.rng(7);
    let train = ctx.target(25700.0);
    let test = ctx.target(7360.0);
    let val = ctx.size(3600.0, 1);
    let mut defects = BTreeMap::new();
    let (mut units, mut qid, mut real_video, mut synth_video) = (0u64, 0u64, 0u64, 0u64);
    let mut expected_counts = [0u64; 2];
    for (s, (file, n)) in [
        ("music_avqa/json_update/avqa-train.json", train),
        ("music_avqa/json_update/avqa-val.json", val),
        ("music_avqa/json_update/avqa-test.json", test),
    ]
    .into_iter()
    .enumerate()
    {
        let used = s != 1;
        let k = if used { per_kind(n, 4) } else { 0 };
        let mut sprinkle = Sprinkle::new(
            &mut rng,
            n,
            &[
                (Defect::Placeholders, k),
                (Defect::BadType, k),
                (Defect::Duplicate, k),
                (Defect::Conflicting, k),
            ],
        );
        let mut out = JsonArray::create(ctx.path(file), true)?;
        let mut valid = 0u64;
        while valid < n {
            let synthetic = rng.gen_range(0..8) == 0;
            let video_id = if synthetic {
                synth_video += 1;
                format!(
                    "{}{synth_video:08}",
                    pick(&mut rng, &["va", "sa", "vv", "eva", "esa", "evv"])
                )
            } else {
                real_video += 1;
                format!("{real_video:08}")
            };
            let questions = rng.gen_range(2..=7u64);
            // One video never asks the same question twice (with two answers it would be a
            // duplicate sample that `avfit stats --strict` flags).
            let mut asked = std::collections::HashSet::new();
            for _ in 0..questions {
                if !synthetic && valid == n {
                    break;
                }
                qid += 1;
                let (types, content, slots, answers) = *pick(&mut rng, MUSIC_QUESTIONS);
                let values: Vec<&str> = slots
                    .iter()
                    .map(|s| match *s {
                        "Object" => *pick(&mut rng, INSTRUMENTS),
                        "FL" => *pick(&mut rng, &["first", "last"]),
                        _ => *pick(&mut rng, &["loudest", "leftmost"]),
                    })
                    .collect();
                if !asked.insert((content, values.clone())) {
                    continue;
                }
                let answer = *pick(&mut rng, answers);
                let deleted = !synthetic && rng.gen_range(0..100) == 0;
                let element = |qid: u64, types: &str, values: &[&str], answer: &str| {
                    let values = serde_json::to_string(values)
                        .expect("strings serialize")
                        .replace(',', ", ");
                    format!(
                        "{{\"video_id\": \"{video_id}\", \"question_id\": {qid}, \"type\": {}, \"question_content\": {}, \"templ_values\": {}, \"question_deleted\": {}, \"anser\": \"{answer}\"}}",
                        serde_json::to_string(types).expect("a string serializes"),
                        serde_json::to_string(content).expect("a string serializes"),
                        serde_json::to_string(&values).expect("a string serializes"),
                        u8::from(deleted),
                    )
                };
                let this_qid = qid;
                let text = element(this_qid, types, &values, answer);
                out.push_raw(&text)?;
                units += 1;
                if synthetic || deleted {
                    continue;
                }
                valid += 1;
                let (mut kept, mut repeated) = (true, false);
                for defect in sprinkle.after_item(&mut rng) {
                    let reason = match defect {
                        Defect::Duplicate if kept => {
                            repeated = true;
                            out.push_raw(&text)?;
                            "duplicate_row"
                        }
                        Defect::Conflicting if kept && !repeated => {
                            let other = answers.iter().find(|a| **a != answer).copied().unwrap_or("zero");
                            out.push_raw(&element(this_qid, types, &values, other))?;
                            // The first copy is rejected too: which answer is right cannot be known.
                            kept = false;
                            *defects.entry("conflicting_duplicate").or_default() += 1;
                            "conflicting_duplicate"
                        }
                        Defect::Duplicate | Defect::Conflicting | Defect::Placeholders => {
                            qid += 1;
                            let content = "Is the <Object> louder than the <Object>?";
                            let types = "[\"Audio-Visual\", \"Comparative\"]";
                            let vals =
                                serde_json::to_string(&serde_json::to_string(&["piano"]).expect("ok")).expect("ok");
                            out.push_raw(&format!(
                                "{{\"video_id\": \"{video_id}\", \"question_id\": {qid}, \"type\": {}, \"question_content\": \"{content}\", \"templ_values\": {vals}, \"question_deleted\": 0, \"anser\": \"yes\"}}",
                                serde_json::to_string(types).expect("ok")
                            ))?;
                            "placeholder_mismatch"
                        }
                        Defect::BadType => {
                            qid += 1;
                            out.push_raw(&element(qid, "[\"Audio\", \"Counting\"", &values, answer))?;
                            "malformed_field"
                        }
                    };
                    units += 1;
                    *defects.entry(reason).or_default() += 1;
                }
                if !kept {
                    valid -= 1;
                }
            }
        }
        out.finish()?;
        match s {
            0 => expected_counts[0] = valid,
            2 => expected_counts[1] = valid,
            _ => {}
        }
    }
    Ok(Entry {
        summary: SourceSummary {
            name: "music_avqa",
            units,
            defects,
            expected: expected(&[("train/avqa", expected_counts[0]), ("test/avqa", expected_counts[1])]),
        },
        inputs: vec!["music_avqa/json_update".into()],
        test_fraction: None,
        comment: "MUSIC-AVQA (json_update): open-ended questions; train → train, test → test, val skipped",
    })
}

const CAPTION_SUBJECTS: &[&str] = &[
    "A man",
    "A woman",
    "A young girl",
    "Two boys",
    "A dog",
    "A crowd of people",
    "A chef",
    "A drummer",
    "An old man",
    "A band",
];
const CAPTION_ACTIONS: &[&str] = &[
    "plays the guitar",
    "is talking to the camera",
    "barks at a passing car",
    "cooks food in a pan",
    "plays the drums on a stage",
    "cheers loudly",
    "sings a song",
    "rides a motorcycle down the road",
    "types on a keyboard",
    "claps along to the music",
];
const CAPTION_SOUNDS: &[&str] = &[
    "while music plays in the background",
    "as the wind blows",
    "and people laugh nearby",
    "while an engine hums",
    "as a bell rings",
    "while birds chirp outside",
];

/// VALOR-32K (FORMATS.md "VALOR-32K"): `desc_{train,val,test}.json`, one-line JSON arrays of
/// `{video_id, desc}` with `video_id` `<ytid>_<s.mmm>_<e.mmm>` (some clips shorter than 10 s).
/// `desc_test` is skipped by the build. Defects in train and val: a caption that is only the
/// start's millisecond digits (`digits_only_caption`) and a repeated `video_id` (`duplicate_row`).
pub(super) fn valor(ctx: &Ctx) -> Result<Entry> {
    #[derive(Clone, Copy)]
    enum Defect {
        Digits,
        Duplicate,
    }
    let mut rng = ctx.rng(8);
    let train = ctx.target(25000.0);
    let val = ctx.target(3500.0);
    let test = ctx.size(3500.0, 1);
    let mut defects = BTreeMap::new();
    let mut units = 0;
    for (file, n, used) in [
        ("valor/desc_train.json", train, true),
        ("valor/desc_val.json", val, true),
        ("valor/desc_test.json", test, false),
    ] {
        let k = if used { per_kind(n, 2) } else { 0 };
        let mut sprinkle = Sprinkle::new(&mut rng, n, &[(Defect::Digits, k), (Defect::Duplicate, k)]);
        let mut out = JsonArray::create(ctx.path(file), false)?;
        for _ in 0..n {
            let ms = rng.gen_range(0..10) * 100;
            let start = rng.gen_range(0..300) as f64 + ms as f64 / 1000.0;
            let length = if rng.gen_range(0..10) == 0 {
                rng.gen_range(3..10) as f64
            } else {
                10.0
            };
            let video_id = format!("{}_{start:.3}_{:.3}", youtube_id(&mut rng), start + length);
            let desc = format!(
                "{} {} {}.",
                pick(&mut rng, CAPTION_SUBJECTS),
                pick(&mut rng, CAPTION_ACTIONS),
                pick(&mut rng, CAPTION_SOUNDS)
            );
            let element = |desc: &str| format!("{{\"video_id\": \"{video_id}\", \"desc\": \"{desc}\"}}");
            out.push_raw(&element(&desc))?;
            units += 1;
            for defect in sprinkle.after_item(&mut rng) {
                let (text, reason) = match defect {
                    Defect::Duplicate => (element("A repeated description of the same clip."), "duplicate_row"),
                    Defect::Digits => {
                        let start = rng.gen_range(0..300) as f64 + 0.1 * rng.gen_range(1..10) as f64;
                        let id = format!("{}_{start:.3}_{:.3}", youtube_id(&mut rng), start + 10.0);
                        let digits = format!("{start:.3}").rsplit('.').next().unwrap_or("0").to_string();
                        (
                            format!("{{\"video_id\": \"{id}\", \"desc\": \"{digits}\"}}"),
                            "digits_only_caption",
                        )
                    }
                };
                out.push_raw(&text)?;
                units += 1;
                *defects.entry(reason).or_default() += 1;
            }
        }
        out.finish()?;
    }
    Ok(Entry {
        summary: SourceSummary {
            name: "valor",
            units,
            defects,
            expected: expected(&[("train/avc", train), ("test/avc", val)]),
        },
        inputs: vec!["valor".into()],
        test_fraction: None,
        comment: "VALOR-32K: captions; desc_train → train, desc_val → test, desc_test skipped",
    })
}
