//! AVQA (Yang et al., "AVQA: A Dataset for Audio-Visual Question Answering on Videos",
//! ACM MM 2022) → AVQA.
//!
//! Native files: `train_qa.json` and `val_qa.json`, each a JSON array of
//! `{id, video_name, video_id, question_text, multi_choice, answer, question_relation, question_type}`:
//! * `video_name`: `<ytid>_<NNNNNN>`, a VGGSound clip (exactly six start digits, else
//!   `bad_clip_id`);
//! * `multi_choice`: up to four options, some may be `null`;
//! * `answer`: a **0-based index** into `multi_choice`.
//!
//! The sample's answer is the text of `multi_choice[answer]`; `choices` keeps the non-null
//! options in order (numbers as written) and `answer_index` is re-counted among them. Rejected:
//! an index out of range or negative (`answer_out_of_range`), pointing at `null` (`null_answer`),
//! an index that is not an integer or an option that is neither text, number nor null
//! (`malformed_field`), missing fields or an empty answer option (`missing_field`),
//! a bad clip name (`bad_clip_id`), a repeated (`video_name`, `id`) (`duplicate_row`).
//!
//! Unit counted: one array element. Key: `<video_name>/<id>`. Groups: `yt:<ytid>`. Media:
//! `avqa/frames/<video_name>.jpg`, `avqa/audios/<video_name>.wav`, `avqa/videos/<video_name>.mp4`.
//! Split: `train_qa` → train, `val_qa` → test (the paper evaluates on val); `--split` overrides.

use super::{Collector, Source, SourceOptions};
use crate::error::Result;
use crate::reason::Reason;
use crate::record::{Media, MediaOrigin, MediaOrigins, Record, Split, Target, Task};
use crate::split::NativeSplit;
use serde_json::Value;
use std::path::PathBuf;

/// AVQA: the paper its authors ask to cite and its licence as published (for the dataset card).
pub const CITATION: super::Citation = super::Citation {
    dataset: "AVQA",
    paper: "Pinci Yang, Xin Wang, Xuguang Duan, Hong Chen, Runze Hou, Cong Jin, Wenwu Zhu. AVQA: A Dataset for Audio-Visual Question Answering on Videos. ACM Multimedia 2022.",
    licence: "see https://mn.cs.tsinghua.edu.cn/avqa/",
};

/// The AVQA adapter.
pub struct Avqa;

fn split_rule(native: NativeSplit) -> Option<Split> {
    match native {
        NativeSplit::Train => Some(Split::Train),
        NativeSplit::Val | NativeSplit::Test => Some(Split::Test),
    }
}

impl Source for Avqa {
    fn name(&self) -> &'static str {
        "avqa"
    }
    fn tasks(&self) -> &'static [Task] {
        &[Task::Avqa]
    }
    fn files(&self) -> &'static str {
        "train_qa.json and val_qa.json (JSON arrays of {id, video_name, question_text, multi_choice, answer, question_type})"
    }
    fn citations(&self) -> &'static [super::Citation] {
        &[CITATION]
    }
    fn recognizes(&self, file_name: &str) -> bool {
        (file_name.contains("train_qa") || file_name.contains("val_qa") || file_name.contains("test_qa"))
            && file_name.ends_with(".json")
    }

    fn read(&self, files: &[PathBuf], options: &SourceOptions, out: &mut Collector) -> Result<()> {
        super::read_json_records(self, files, options, out, split_rule, |item, split| {
            self.parse(item, split, options)
        })
    }
}

impl Avqa {
    fn parse(
        &self,
        item: &Value,
        split: Split,
        options: &SourceOptions,
    ) -> std::result::Result<Record, (Reason, String)> {
        let text = |k: &str| super::json_text(item, k);
        let id = match item.get("id") {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
            _ => return Err((Reason::MissingField, "no `id`".into())),
        };
        let video_name = text("video_name").ok_or((Reason::MissingField, format!("question {id}: no `video_name`")))?;
        let question =
            text("question_text").ok_or((Reason::MissingField, format!("question {id}: no `question_text`")))?;
        let (youtube_id, start) = super::youtube_clip_start(video_name).ok_or((
            Reason::BadClipId,
            format!("question {id}: `{video_name}` is not <ytid>_<NNNNNN>"),
        ))?;
        let options_raw = item
            .get("multi_choice")
            .and_then(Value::as_array)
            .ok_or((Reason::MissingField, format!("question {id}: no `multi_choice` list")))?;
        let answer = match item.get("answer") {
            None | Some(Value::Null) => return Err((Reason::MissingField, format!("question {id}: no `answer`"))),
            Some(Value::Number(n)) if n.as_i64().is_some_and(|i| i < 0) => {
                return Err((
                    Reason::AnswerOutOfRange,
                    format!("question {id}: answer {n} is negative"),
                ))
            }
            Some(Value::Number(n)) if n.as_u64().is_some() => {
                n.as_u64().and_then(|a| usize::try_from(a).ok()).unwrap_or(usize::MAX)
            }
            Some(other) => {
                return Err((
                    Reason::MalformedField,
                    format!("question {id}: `answer` {other} is not a 0-based integer index"),
                ))
            }
        };
        let chosen = options_raw.get(answer).ok_or((
            Reason::AnswerOutOfRange,
            format!("question {id}: answer {answer} but {} options", options_raw.len()),
        ))?;
        if chosen.is_null() {
            return Err((
                Reason::NullAnswer,
                format!("question {id}: answer {answer} points at a null option"),
            ));
        }
        let mut choices = Vec::with_capacity(options_raw.len());
        let mut answer_index = None;
        for (i, option) in options_raw.iter().enumerate() {
            let option = match option {
                Value::Null => continue,
                Value::String(s) => s.trim().to_string(),
                Value::Number(n) => n.to_string(),
                other => {
                    return Err((
                        Reason::MalformedField,
                        format!("question {id}: option {i} is {other}, not text"),
                    ))
                }
            };
            if i == answer {
                if option.is_empty() {
                    return Err((
                        Reason::MissingField,
                        format!("question {id}: the answer option {answer} is empty"),
                    ));
                }
                answer_index = Some(choices.len());
            }
            choices.push(option);
        }
        let answer_index = answer_index.expect("the chosen option is not null");
        let key = format!("{video_name}/{id}");
        Ok(Record {
            source: self.name(),
            key,
            split,
            groups: vec![format!("yt:{youtube_id}").into()],
            media: Media {
                image: Some(options.media.image(video_name).into()),
                audio: Some(options.media.audio(video_name).into()),
                video: Some(options.media.video(video_name).into()),
                origins: avqa_origins(youtube_id, start),
            },
            target: Target::Avqa {
                question: question.to_string(),
                answer: choices[answer_index].clone(),
                choices: Some(choices),
                answer_index: Some(answer_index),
                question_type: text("question_type").unwrap_or_default().to_string(),
            },
            referring: false,
        })
    }
}

/// Origins of an AVQA record: the 10 s VGGSound clip `<ytid>_<start>` for the audio and the
/// video; AVQA publishes no frame of its own, so the image is the clip's middle (5 s).
fn avqa_origins(youtube_id: &str, start: u32) -> MediaOrigins {
    let clip = std::sync::Arc::new(MediaOrigin::youtube(youtube_id, start as f64, start as f64 + 10.0));
    MediaOrigins {
        image: Some(clip.middle_frame().into()),
        audio: Some(clip.clone()),
        video: Some(clip),
    }
}
