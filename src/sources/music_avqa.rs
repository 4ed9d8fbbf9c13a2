//! MUSIC-AVQA (Li et al., "Learning to Answer Questions in Dynamic Audio-Visual Scenarios",
//! CVPR 2022) → AVQA, open-ended.
//!
//! Native files: `avqa-train.json`, `avqa-val.json`, `avqa-test.json`, each a JSON array of
//! `{video_id, question_id, type, question_content, templ_values, question_deleted, anser}`:
//! * `type` and `templ_values` are JSON lists **stored as strings** (decoded twice);
//! * the answer key is spelled `anser`;
//! * `question_content` holds `<...>` placeholders (`<Object>`, `<LR>`, `<FL>`, ...) filled
//!   positionally by `templ_values`; questions end in `?`, a full-width `？`, or a trailing space.
//!
//! The sample's question is the filled template ending in exactly one plain `?`; values and the
//! answer have underscores read as spaces (`electric_bass` → `electric bass`); `choices` and
//! `answer_index` are null. Rejected: placeholder/value count mismatch (`placeholder_mismatch`),
//! undecodable `type`/`templ_values` (`malformed_field`), missing fields (`missing_field`), a
//! `video_id` that cannot be a file name (empty, `.`, `..`, or holding `/`, `\`, NUL or a control
//! character: `bad_clip_id`, as it names the media files). A
//! (video_id, question_id) seen again with the same answer is a `duplicate_row` (the first kept);
//! with a different answer every copy is a `conflicting_duplicate` (which one is true is unknown).
//!
//! Skipped: split `val` (`split_not_used`), synthetic videos with ids prefixed `va`, `sa`, `vv`,
//! `eva`, `esa`, `evv` (`synthetic_video`), `question_deleted` ≠ 0 (or `true`, `"1"`:
//! `question_deleted`). A question with no words left (`???`) is `missing_field`.
//!
//! The official repository ships `data/json/` and corrected copies in `data/json_update/`: when
//! both copies of a split are given, only the `json_update` one is read (the other is counted in
//! the manifest's notes as `superseded_by_json_update`). `data/json/` also holds the subsets
//! `avqa-<split>_real.json` and `avqa-<split>_fake.json` (the questions on real and on synthetic
//! videos, copies of questions of `avqa-<split>.json`): found in a directory they are not read
//! (counted in the notes as `subset_file_not_read`, one per file), named as inputs they are read
//! (and never superseded: `json_update` has no subset files).
//!
//! Unit counted: one array element. Key: `<video_id>/<question_id>`. Groups: `music:<video_id>`.
//! Media: `music_avqa/frames/<video_id>.jpg`, `.../audios/<video_id>.wav`, `.../videos/<video_id>.mp4`.
//! Split: `train` → train, `test` → test, `val` skipped; `--split` overrides and reads every split.

use super::{At, Collector, Source, SourceOptions};
use crate::error::Result;
use crate::reason::{Reason, Skip};
use crate::record::{Media, MediaOrigin, MediaOrigins, Record, Split, Target, Task};
use crate::split::NativeSplit;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// MUSIC-AVQA: the paper its authors ask to cite and its licence as published (for the dataset card).
pub const CITATION: super::Citation = super::Citation {
    dataset: "MUSIC-AVQA",
    paper: "Guangyao Li, Yake Wei, Yapeng Tian, Chenliang Xu, Ji-Rong Wen, Di Hu. Learning to Answer Questions in Dynamic Audio-Visual Scenarios. CVPR 2022.",
    licence: "see https://gewu-lab.github.io/MUSIC-AVQA/",
};

/// Id prefixes of MUSIC-AVQA's synthetic videos.
pub const SYNTHETIC_PREFIXES: [&str; 6] = ["eva", "esa", "evv", "va", "sa", "vv"];

/// The MUSIC-AVQA adapter.
pub struct MusicAvqa;

fn split_rule(native: NativeSplit) -> Option<Split> {
    match native {
        NativeSplit::Train => Some(Split::Train),
        NativeSplit::Test => Some(Split::Test),
        NativeSplit::Val => None,
    }
}

/// A parsed question waiting for the duplicate check.
struct Candidate {
    path: PathBuf,
    at: At,
    record: Record,
}

impl Source for MusicAvqa {
    fn name(&self) -> &'static str {
        "music_avqa"
    }
    fn tasks(&self) -> &'static [Task] {
        &[Task::Avqa]
    }
    fn files(&self) -> &'static str {
        "avqa-train.json, avqa-val.json, avqa-test.json (JSON arrays of {video_id, question_id, type, question_content, templ_values, question_deleted, anser})"
    }
    fn citations(&self) -> &'static [super::Citation] {
        &[CITATION]
    }
    fn recognizes(&self, file_name: &str) -> bool {
        ["avqa-train", "avqa-val", "avqa-test"]
            .iter()
            .any(|p| file_name.contains(p))
            && file_name.ends_with(".json")
    }
    fn not_read_in_directory(&self, file_name: &str) -> Option<&'static str> {
        is_subset_file(file_name).then_some("subset_file_not_read")
    }

    fn read(&self, files: &[PathBuf], options: &SourceOptions, out: &mut Collector) -> Result<()> {
        let mut candidates = Vec::new();
        let files = prefer_json_update(files, out);
        super::for_each_json_element(self, files, options, out, split_rule, |path, at, item, split, out| {
            let video_id = item.get("video_id").and_then(Value::as_str).unwrap_or_default();
            if is_synthetic(video_id) {
                out.skip(Skip::SyntheticVideo, 1);
            } else if is_deleted(item.get("question_deleted")) {
                out.skip(Skip::QuestionDeleted, 1);
            } else {
                match self.parse(item, split, options) {
                    Ok(record) => candidates.push(Candidate {
                        path: path.to_path_buf(),
                        at,
                        record,
                    }),
                    Err((reason, detail)) => out.reject(path, at, reason, detail)?,
                }
            }
            Ok(())
        })?;

        let answer_of = |r: &Record| match &r.target {
            Target::Avqa { answer, .. } => answer.clone(),
            _ => unreachable!("music_avqa builds AVQA targets"),
        };
        let mut answers: HashMap<&str, HashSet<String>> = HashMap::new();
        for c in &candidates {
            answers.entry(&c.record.key).or_default().insert(answer_of(&c.record));
        }
        let conflicting: HashSet<String> = answers
            .into_iter()
            .filter(|(_, a)| a.len() > 1)
            .map(|(k, _)| k.to_string())
            .collect();
        let mut emitted = HashSet::new();
        for Candidate { path, at, record } in candidates {
            if conflicting.contains(&record.key) {
                let detail = format!(
                    "{} has conflicting answers; this copy says `{}`",
                    record.key,
                    answer_of(&record)
                );
                out.reject(&path, at, Reason::ConflictingDuplicate, detail)?;
            } else {
                out.emit_unique(&mut emitted, record, &path, at)?;
            }
        }
        Ok(())
    }
}

impl MusicAvqa {
    fn parse(
        &self,
        item: &Value,
        split: Split,
        options: &SourceOptions,
    ) -> std::result::Result<Record, (Reason, String)> {
        let video_id = super::json_text(item, "video_id").ok_or((Reason::MissingField, "no `video_id`".to_string()))?;
        crate::media_layout::check_path_key("video_id", video_id).map_err(|d| (Reason::BadClipId, d))?;
        let question_id = match item.get("question_id") {
            Some(Value::Number(n)) if n.is_u64() => n.to_string(),
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
            None | Some(Value::Null) => return Err((Reason::MissingField, format!("{video_id}: no `question_id`"))),
            Some(other) => {
                return Err((
                    Reason::MalformedField,
                    format!("{video_id}: `question_id` {other} is not an id"),
                ))
            }
        };
        let key = format!("{video_id}/{question_id}");
        let content = super::json_text(item, "question_content")
            .ok_or((Reason::MissingField, format!("{key}: no `question_content`")))?;
        let answer = super::json_text(item, "anser")
            .or_else(|| super::json_text(item, "answer"))
            .ok_or((Reason::MissingField, format!("{key}: no `anser`")))?;
        let values = string_list(item.get("templ_values")).ok_or((
            Reason::MalformedField,
            format!("{key}: `templ_values` is not a JSON list of strings"),
        ))?;
        let question_type = string_list(item.get("type"))
            .ok_or((
                Reason::MalformedField,
                format!("{key}: `type` is not a JSON list of strings"),
            ))?
            .join("/");
        let question = fill_template(content, &values).map_err(|placeholders| {
            (
                Reason::PlaceholderMismatch,
                format!(
                    "{key}: {placeholders} placeholders in `{content}` but {} values {values:?}",
                    values.len()
                ),
            )
        })?;
        if question == "?" {
            return Err((
                Reason::MissingField,
                format!("{key}: `question_content` `{content}` has no words"),
            ));
        }
        Ok(Record {
            source: self.name(),
            key,
            split,
            groups: vec![format!("music:{video_id}").into()],
            media: Media {
                image: Some(options.media.image(video_id).into()),
                audio: Some(options.media.audio(video_id).into()),
                video: Some(options.media.video(video_id).into()),
                origins: music_origins(video_id),
            },
            target: Target::Avqa {
                question,
                choices: None,
                answer: super::display_label(answer),
                answer_index: None,
                question_type,
            },
            referring: false,
        })
    }
}

/// Whether `file_name` is one of the subset files of `data/json/`: `avqa-<split>_real` or
/// `avqa-<split>_fake` followed by `.` (`avqa-test_real.json`, `avqa-train_fake.slice.json`).
pub fn is_subset_file(file_name: &str) -> bool {
    ["train", "val", "test"].iter().any(|split| {
        ["real", "fake"]
            .iter()
            .any(|subset| file_name.contains(&format!("avqa-{split}_{subset}.")))
    })
}

/// The files to read: for each native split, only the `json_update` copies when there are any
/// (a path with a `json_update` component or name prefix, as in the official repository's
/// `data/json_update/avqa-val.json`); the superseded copies are counted in the notes as
/// `superseded_by_json_update` and not read. Subset files ([`is_subset_file`]) are never
/// superseded.
fn prefer_json_update<'a>(files: &'a [PathBuf], out: &mut Collector) -> Vec<&'a PathBuf> {
    let is_update = |p: &Path| p.to_string_lossy().contains("json_update");
    let split_of = |p: &Path| {
        p.file_name()
            .and_then(|n| crate::split::native_split_of(&n.to_string_lossy()))
    };
    let updated: Vec<_> = files
        .iter()
        .filter(|p| is_update(p))
        .filter_map(|p| split_of(p))
        .collect();
    files
        .iter()
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
            let superseded =
                !is_update(p) && !is_subset_file(&name) && split_of(p).is_some_and(|s| updated.contains(&s));
            if superseded {
                out.note("superseded_by_json_update");
            }
            !superseded
        })
        .collect()
}

/// Whether `question_deleted` marks the question deleted: a non-zero number, `true`, or a string
/// other than `""`, `"0"` and `"false"`; absent or null is not deleted.
fn is_deleted(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(Value::String(s)) => !matches!(s.trim(), "" | "0" | "false"),
        Some(_) => true,
    }
}

/// Whether `video_id` names a synthetic MUSIC-AVQA video (prefix `va`, `sa`, `vv`, `eva`, `esa`
/// or `evv` followed by digits).
pub fn is_synthetic(video_id: &str) -> bool {
    SYNTHETIC_PREFIXES.iter().any(|p| {
        video_id
            .strip_prefix(p)
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// A JSON list of strings, given either as a list or as a string holding one (MUSIC-AVQA's
/// double encoding). `None` when absent or not such a list.
fn string_list(value: Option<&Value>) -> Option<Vec<String>> {
    let decoded;
    let list = match value? {
        Value::String(s) => {
            decoded = serde_json::from_str::<Value>(s).ok()?;
            &decoded
        }
        other => other,
    };
    list.as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// Fills each `<...>` placeholder of `content` with the next of `values` (underscores read as
/// spaces) and ends the question with exactly one plain `?` (trailing spaces, `?` and `？` are
/// removed first).
///
/// Errors: the number of placeholders when it differs from `values.len()`.
pub fn fill_template(content: &str, values: &[String]) -> std::result::Result<String, usize> {
    let mut filled = String::with_capacity(content.len() + 16);
    let mut rest = content;
    let mut used = 0;
    let mut placeholders = 0;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        filled.push_str(&rest[..open]);
        placeholders += 1;
        if let Some(v) = values.get(used) {
            filled.push_str(&super::display_label(v));
            used += 1;
        }
        rest = &rest[open + close + 1..];
    }
    filled.push_str(rest);
    if placeholders != values.len() {
        return Err(placeholders);
    }
    let stem = filled.trim_end().trim_end_matches(['?', '？']).trim_end();
    Ok(format!("{stem}?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_filling() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            fill_template("How many sounding <Object> in the video\u{ff1f}", &v(&["violin"])).unwrap(),
            "How many sounding violin in the video?"
        );
        assert_eq!(
            fill_template("Are there <Object> and <Object> sound? ", &v(&["cello", "accordion"])).unwrap(),
            "Are there cello and accordion sound?"
        );
        assert_eq!(
            fill_template(
                "Is the <Object> more rhythmic than the <Object>?",
                &v(&["erhu", "electric_bass"])
            )
            .unwrap(),
            "Is the erhu more rhythmic than the electric bass?"
        );
        assert_eq!(
            fill_template("Where is the performance", &[]).unwrap(),
            "Where is the performance?"
        );
        assert_eq!(
            fill_template("Is the <Object> louder than the <Object>?", &v(&["bassoon"])),
            Err(2)
        );
        assert_eq!(fill_template("Is there a voiceover?", &v(&["extra"])), Err(0));
    }

    #[test]
    fn synthetic_ids() {
        for id in [
            "va00003871",
            "sa00008442",
            "vv00000177",
            "eva00001195",
            "esa00000500",
            "evv00001305",
        ] {
            assert!(is_synthetic(id), "{id}");
        }
        assert!(!is_synthetic("00000100"));
        assert!(
            is_deleted(Some(&serde_json::json!(1)))
                && is_deleted(Some(&serde_json::json!("1")))
                && is_deleted(Some(&serde_json::json!(true)))
        );
        assert!(
            !is_deleted(Some(&serde_json::json!(0))) && !is_deleted(Some(&serde_json::json!("0"))) && !is_deleted(None)
        );
        assert!(!is_synthetic("va"));
    }

    #[test]
    fn subset_files() {
        for name in [
            "avqa-test_real.json",
            "avqa-train_fake.json",
            "avqa-val_real.json",
            "avqa-train_fake.slice.json",
        ] {
            assert!(is_subset_file(name), "{name}");
        }
        for name in [
            "avqa-test.json",
            "json_update__avqa-val.slice.json",
            "avqa-test_realistic.json",
            "avqa-test.slice.json",
        ] {
            assert!(!is_subset_file(name), "{name}");
        }
    }
}

/// Seconds into a MUSIC-AVQA video of its frame: the middle of the dataset's one-minute videos
/// (MUSIC-AVQA publishes no annotated frame).
pub const MUSIC_AVQA_FRAME_SECONDS: f64 = 30.0;

/// Origins of a MUSIC-AVQA record: the dataset's own video `<video_id>.mp4` (any container),
/// whole (offset 0, to its end) for the audio and the video; the frame at
/// [`MUSIC_AVQA_FRAME_SECONDS`].
fn music_origins(video_id: &str) -> MediaOrigins {
    let whole = std::sync::Arc::new(MediaOrigin {
        clip_start: Some(0.0),
        ..MediaOrigin::file(&format!("music:{video_id}"), video_id)
    });
    MediaOrigins {
        image: Some(whole.frame(MUSIC_AVQA_FRAME_SECONDS).into()),
        audio: Some(whole.clone()),
        video: Some(whole),
    }
}
