//! VALOR-32K (Chen et al., "VALOR: Vision-Audio-Language Omni-Perception Pretraining Model and
//! Dataset", 2023) → AVC.
//!
//! Native files: `desc_train.json`, `desc_val.json`, `desc_test.json`, each a JSON array of
//! `{video_id, desc}`; `video_id` is `<ytid>_<start>_<end>` with seconds to three decimals
//! (`Agi5ySKb1tY_23.700_33.700`, parsed from the right); clips can be shorter than 10 s.
//!
//! Defect of the real files: 8 records whose `desc` is only the millisecond digits of the start
//! (`"700"`): rejected `digits_only_caption`. Also rejected: missing or empty fields
//! (`missing_field`), a malformed id (`bad_clip_id`), a repeated `video_id` (`duplicate_row`, the
//! first kept).
//!
//! Unit counted: one array element. Key: `video_id`. Groups: `yt:<ytid>`. Media:
//! `valor/frames/<video_id>.jpg`, `valor/audios/<video_id>.wav`, `valor/videos/<video_id>.mp4`.
//! Split: `desc_train` → train, `desc_val` → test (the paper evaluates on it), `desc_test`
//! skipped (`split_not_used`); `--split` overrides and reads every file.

use super::{Collector, Source, SourceOptions};
use crate::error::Result;
use crate::reason::Reason;
use crate::record::{Media, MediaOrigin, MediaOrigins, Record, Split, Target, Task};
use crate::split::NativeSplit;
use serde_json::Value;
use std::path::PathBuf;

/// VALOR-32K: the paper its authors ask to cite and its licence as published (for the dataset card).
pub const CITATION: super::Citation = super::Citation {
    dataset: "VALOR-32K",
    paper: "Sihan Chen, Xingjian He, Longteng Guo, Xinxin Zhu, Weining Wang, Jinhui Tang, Jing Liu. VALOR: Vision-Audio-Language Omni-Perception Pretraining Model and Dataset. arXiv:2304.08345, 2023.",
    licence: "see https://casia-iva-group.github.io/projects/VALOR/",
};

/// The VALOR-32K adapter.
pub struct Valor;

fn split_rule(native: NativeSplit) -> Option<Split> {
    match native {
        NativeSplit::Train => Some(Split::Train),
        NativeSplit::Val => Some(Split::Test),
        NativeSplit::Test => None,
    }
}

impl Source for Valor {
    fn name(&self) -> &'static str {
        "valor"
    }
    fn tasks(&self) -> &'static [Task] {
        &[Task::Avc]
    }
    fn files(&self) -> &'static str {
        "desc_train.json, desc_val.json, desc_test.json (JSON arrays of {video_id, desc})"
    }
    fn citations(&self) -> &'static [super::Citation] {
        &[CITATION]
    }
    fn recognizes(&self, file_name: &str) -> bool {
        file_name.starts_with("desc_") && file_name.ends_with(".json")
    }

    fn read(&self, files: &[PathBuf], options: &SourceOptions, out: &mut Collector) -> Result<()> {
        super::read_json_records(self, files, options, out, split_rule, |item, split| {
            self.parse(item, split, options)
        })
    }
}

impl Valor {
    fn parse(
        &self,
        item: &Value,
        split: Split,
        options: &SourceOptions,
    ) -> std::result::Result<Record, (Reason, String)> {
        let text = |k: &str| super::json_text(item, k);
        let video_id = text("video_id").ok_or((Reason::MissingField, "no `video_id`".to_string()))?;
        let caption = text("desc").ok_or((Reason::MissingField, format!("{video_id}: no `desc`")))?;
        let Some((youtube_id, start, end)) = super::youtube_clip_window(video_id) else {
            return Err((Reason::BadClipId, format!("`{video_id}` is not <ytid>_<start>_<end>")));
        };
        if caption.bytes().all(|b| b.is_ascii_digit()) {
            return Err((Reason::DigitsOnlyCaption, format!("{video_id}: desc is `{caption}`")));
        }
        Ok(Record {
            source: self.name(),
            key: video_id.to_string(),
            split,
            groups: vec![format!("yt:{youtube_id}").into()],
            media: Media {
                image: Some(options.media.image(video_id).into()),
                audio: Some(options.media.audio(video_id).into()),
                video: Some(options.media.video(video_id).into()),
                origins: {
                    // No annotated frame: the clip's middle.
                    let clip = std::sync::Arc::new(MediaOrigin::youtube(youtube_id, start, end));
                    MediaOrigins {
                        image: Some(clip.middle_frame().into()),
                        audio: Some(clip.clone()),
                        video: Some(clip),
                    }
                },
            },
            target: Target::Avc {
                caption: caption.to_string(),
            },
            referring: false,
        })
    }
}
