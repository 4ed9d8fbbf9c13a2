//! VGG-SS (Chen et al., "Localizing Visual Sounds the Hard Way", CVPR 2021) → ARIG, test.
//!
//! Native file: `vggss.json`, one JSON array of `{"file", "class", "bbox"}`:
//! * `file`: `<ytid>_<NNNNNN>`, a VGGSound clip (six-digit zero-padded start second; a name
//!   whose last `_` part is not six digits, such as `YBd5lEnpT_8`, is `bad_clip_id`);
//! * `class`: the VGGSound label (may contain commas);
//! * `bbox`: 1–7 boxes `[x1, y1, x2, y2]` already normalized to [0, 1] (numbers may be JSON ints),
//!   drawn on frame 125 of the 25 fps clip.
//!
//! Defects of the real file: boxes holding `-2.8823037615171176e+16` (`box_out_of_range`) and
//! boxes of zero width or height (`degenerate_box`). Each such box is dropped with a rejects line;
//! a record with no valid box left is rejected (`no_valid_box`). A `file` seen before (in this or
//! another input file) after a copy that became a sample is rejected as a whole (`duplicate_row`).
//!
//! Unit counted: one array element. Groups: `yt:<ytid>`. Media: `vggss/frames/<file>.jpg`,
//! `vggss/audios/<file>.wav`. Split: test (eval-only); `--split` overrides.

use super::{At, Collector, Source, SourceOptions};
use crate::error::Result;
use crate::geometry::BBox;
use crate::reason::Reason;
use crate::record::{Media, MediaOrigin, MediaOrigins, Record, Split, Target, Task};
use std::collections::HashSet;
use std::path::PathBuf;

/// VGG-SS: the paper its authors ask to cite and its licence as published (for the dataset card).
pub const CITATION: super::Citation = super::Citation {
    dataset: "VGG-SS",
    paper: "Honglie Chen, Weidi Xie, Triantafyllos Afouras, Arsha Nagrani, Andrea Vedaldi, Andrew Zisserman. Localizing Visual Sounds the Hard Way. CVPR 2021.",
    licence: "see https://www.robots.ox.ac.uk/~vgg/research/lvs/ (its clips come from VGGSound, CC BY 4.0)",
};

/// The VGG-SS adapter.
pub struct Vggss;

impl Source for Vggss {
    fn name(&self) -> &'static str {
        "vggss"
    }
    fn tasks(&self) -> &'static [Task] {
        &[Task::Arig]
    }
    fn files(&self) -> &'static str {
        "vggss.json (a JSON array of {file, class, bbox}; any vggss*.json)"
    }
    fn citations(&self) -> &'static [super::Citation] {
        &[CITATION]
    }
    fn recognizes(&self, file_name: &str) -> bool {
        file_name.starts_with("vggss") && file_name.ends_with(".json")
    }

    fn read(&self, files: &[PathBuf], options: &SourceOptions, out: &mut Collector) -> Result<()> {
        let split = options.split.unwrap_or(Split::Test);
        let mut emitted = HashSet::new();
        for path in files {
            for (index, element) in super::read_json_array(path)?.into_iter().enumerate() {
                out.read(1);
                let at = At::Index(index as u64);
                let item = match element {
                    Ok(item) => item,
                    Err((reason, detail)) => {
                        out.reject(path, at, reason, detail)?;
                        continue;
                    }
                };
                let Some(file) = item.get("file").and_then(|v| v.as_str()) else {
                    out.reject(path, at, Reason::MissingField, "no string `file`")?;
                    continue;
                };
                let Some(class) = item
                    .get("class")
                    .and_then(|v| v.as_str())
                    .filter(|c| !c.trim().is_empty())
                else {
                    out.reject(path, at, Reason::MissingField, format!("{file}: no string `class`"))?;
                    continue;
                };
                let Some((youtube_id, start)) = super::youtube_clip_start(file) else {
                    out.reject(path, at, Reason::BadClipId, format!("`{file}` is not <ytid>_<NNNNNN>"))?;
                    continue;
                };
                // Judged before its boxes, so a repeated clip does not also report dropped boxes.
                if emitted.contains(file) {
                    out.reject(path, at, Reason::DuplicateRow, format!("{file} appeared before"))?;
                    continue;
                }
                let Some(raw_boxes) = item.get("bbox").and_then(|v| v.as_array()) else {
                    out.reject(path, at, Reason::MissingField, format!("{file}: no `bbox` list"))?;
                    continue;
                };
                let mut boxes = Vec::with_capacity(raw_boxes.len());
                for raw in raw_boxes {
                    let coords: Option<Vec<f64>> = raw
                        .as_array()
                        .filter(|a| a.len() == 4)
                        .map(|a| a.iter().filter_map(|v| v.as_f64()).collect());
                    match coords.filter(|c| c.len() == 4) {
                        None => out.drop_part(
                            path,
                            at,
                            Reason::MalformedField,
                            format!("{file}: box {raw} is not 4 numbers"),
                        )?,
                        Some(c) => match BBox::normalized(c[0], c[1], c[2], c[3]) {
                            Ok(b) => boxes.push(b),
                            Err(e) => out.drop_part(path, at, e.reason, format!("{file}: box {}", e.detail))?,
                        },
                    }
                }
                if boxes.is_empty() {
                    out.reject(
                        path,
                        at,
                        Reason::NoValidBox,
                        format!("{file}: none of {} boxes is valid", raw_boxes.len()),
                    )?;
                    continue;
                }
                let record = Record {
                    source: self.name(),
                    key: file.to_string(),
                    split,
                    groups: vec![format!("yt:{youtube_id}").into()],
                    media: Media {
                        image: Some(options.media.image(file).into()),
                        audio: Some(options.media.audio(file).into()),
                        video: None,
                        origins: vggss_origins(youtube_id, start),
                    },
                    target: Target::Arig {
                        label: super::display_label(class).into(),
                        boxes,
                    },
                    referring: false,
                };
                out.emit_unique(&mut emitted, record, path, at)?;
            }
        }
        Ok(())
    }
}

/// Origins of a VGG-SS record: the 10 s VGGSound clip `<ytid>_<start>`; the image is the frame
/// the boxes were drawn on, frame 125 of the 25 fps clip (FORMATS.md, VGG-SS: t = 5 s).
fn vggss_origins(youtube_id: &str, start: u32) -> MediaOrigins {
    let clip = MediaOrigin::youtube(youtube_id, start as f64, start as f64 + 10.0);
    MediaOrigins {
        image: Some(clip.frame(VGGSS_FRAME_SECONDS).into()),
        audio: Some(clip.into()),
        video: None,
    }
}

/// Seconds into the clip of the frame VGG-SS's boxes were drawn on (frame 125 at 25 fps).
pub const VGGSS_FRAME_SECONDS: f64 = 5.0;
