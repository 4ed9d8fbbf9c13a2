//! Flickr-SoundNet test set (Senocak et al., "Learning to Localize Sound Source in Visual
//! Scenes", CVPR 2018) → ARIG, test (zero-shot).
//!
//! Native files:
//! * `Annotations/<flickr_id>.xml`: several `<bbox>` elements (up to three annotators), each
//!   holding four pixel coordinates `xmin, ymin, xmax, ymax` on a 256×256 frame (the XML's
//!   `<size>` when it has one). The tag names inside `<bbox>` are **unverified**: coordinates are
//!   read by tag name (`xmin`, `ymin`, `xmax`, `ymax`) when present, else by position as the public
//!   parsers do (the first child skipped, the next four taken; exactly four children are taken as
//!   they stand). Which way each box was read is counted in the manifest's `notes`
//!   (`bbox_by_tag_name`, `bbox_by_position`).
//! * `test_list.txt` (optional): one frame name per line (`2432219254.png`; the frames are in fact
//!   `.jpg`); when given, only annotations whose id is listed are used, the others skipped
//!   (`not_in_test_list`). Only the stem of each line counts, so lists of `.mp4` paths work too.
//!
//! One sample per XML, holding every annotator's box: `x0 = xmin / 256`, `x1 = xmax / 256`,
//! likewise y. Invalid boxes are dropped with a reason each; an XML with none left (or no
//! `<bbox>`) is rejected (`no_valid_box`). The label is `sounding object` (the set has no
//! classes; `[source.params] label = "..."` changes it).
//!
//! The id names the media files, so a file stem that cannot be a file name (`.`, or holding `\`
//! or a control character) is rejected (`bad_clip_id`). An XML that cannot be parsed, or nests
//! elements deeper than [`xml::MAX_DEPTH`], stops the run with its path.
//!
//! Rejects lines: a dropped box carries `line`, the 1-based line of its `<bbox>` element
//! (roxmltree's `text_pos_at`); a rejected XML (the unit is the whole file: `bad_clip_id`,
//! `no_valid_box`) carries neither `line` nor `index`, only `file`.
//!
//! Unit counted: one annotation XML. Key: the Flickr id. Groups: `flickr:<id>`. Media:
//! `flickr_soundnet/frames/<id>.jpg`, `flickr_soundnet/audios/<id>.wav`. Split: test; `--split`
//! overrides.

use super::{xml, At, Collector, Source, SourceOptions};
use crate::error::{Error, Result};
use crate::geometry::BBox;
use crate::reason::{Reason, Skip};
use crate::record::{Media, MediaOrigin, MediaOrigins, Record, Split, Target, Task};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Flickr-SoundNet: the paper its authors ask to cite and its licence as published (for the dataset card).
pub const CITATION: super::Citation = super::Citation {
    dataset: "Flickr-SoundNet",
    paper: "Arda Senocak, Tae-Hyun Oh, Junsik Kim, Ming-Hsuan Yang, In So Kweon. Learning to Localize Sound Source in Visual Scenes. CVPR 2018.",
    licence: "see https://github.com/ardasnck/learning_to_localize_sound_source",
};

/// Side in pixels of the frames the Flickr-SoundNet boxes were drawn on.
pub const FLICKR_FRAME_PIXELS: f64 = 256.0;

/// The Flickr-SoundNet adapter.
pub struct FlickrSoundnet;

/// How a `<bbox>` element's coordinates were found.
#[derive(Debug, PartialEq)]
enum ReadBy {
    TagName,
    Position,
}

impl Source for FlickrSoundnet {
    fn name(&self) -> &'static str {
        "flickr_soundnet"
    }
    fn tasks(&self) -> &'static [Task] {
        &[Task::Arig]
    }
    fn files(&self) -> &'static str {
        "Annotations/<flickr_id>.xml (<bbox> elements, 256x256 pixels) and optionally test_list.txt"
    }
    fn citations(&self) -> &'static [super::Citation] {
        &[CITATION]
    }
    fn recognizes(&self, file_name: &str) -> bool {
        file_name.ends_with(".xml") || (file_name.contains("test_list") && file_name.ends_with(".txt"))
    }

    fn read(&self, files: &[PathBuf], options: &SourceOptions, out: &mut Collector) -> Result<()> {
        let split = options.split.unwrap_or(Split::Test);
        let label = crate::sources::display_label(options.param_str(self, "label", "sounding object")?);
        let (lists, xmls): (Vec<&PathBuf>, Vec<&PathBuf>) =
            files.iter().partition(|p| p.extension().is_some_and(|e| e == "txt"));
        if xmls.is_empty() {
            return Err(Error::Config(format!(
                "source `flickr_soundnet` needs the Annotations/<flickr_id>.xml files; none among {files:?}"
            )));
        }
        let allowed = if lists.is_empty() {
            None
        } else {
            Some(read_test_lists(&lists)?)
        };
        for path in xmls {
            out.read(1);
            let at = At::File;
            let id = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            if allowed.as_ref().is_some_and(|ids| !ids.contains(&id)) {
                out.skip(Skip::NotInTestList, 1);
                continue;
            }
            if let Err(detail) = crate::media_layout::check_path_key("Flickr id (file stem)", &id) {
                out.reject(path, at, Reason::BadClipId, detail)?;
                continue;
            }
            let (size, raw) = xml::with_document(path, |doc| {
                let root = doc.root_element();
                // Each box with the 1-based line of its <bbox> element, for its rejects line.
                let boxes: Vec<([f64; 4], ReadBy, u64)> = root
                    .descendants()
                    .filter(|n| n.is_element() && n.tag_name().name() == "bbox")
                    .map(|n| {
                        let (coords, how) = read_bbox(n);
                        (coords, how, u64::from(doc.text_pos_at(n.range().start).row))
                    })
                    .collect();
                (xml::size(root), boxes)
            })?;
            let (width, height) = size.unwrap_or((FLICKR_FRAME_PIXELS, FLICKR_FRAME_PIXELS));
            let mut boxes = Vec::new();
            for (coords, how, line) in &raw {
                out.note(match how {
                    ReadBy::TagName => "bbox_by_tag_name",
                    ReadBy::Position => "bbox_by_position",
                });
                let [x0, y0, x1, y1] = *coords;
                match BBox::from_pixel_edges(x0, y0, x1, y1, width, height) {
                    Ok(b) => boxes.push(b),
                    Err(e) => out.drop_part(
                        path,
                        At::Line(*line),
                        e.reason,
                        format!("{id}: box {coords:?} px: {}", e.detail),
                    )?,
                }
            }
            if boxes.is_empty() {
                out.reject(
                    path,
                    at,
                    Reason::NoValidBox,
                    format!("{id}: {} <bbox> elements, none valid", raw.len()),
                )?;
                continue;
            }
            let record = Record {
                source: self.name(),
                key: id.clone(),
                split,
                groups: vec![format!("flickr:{id}").into()],
                media: Media {
                    image: Some(options.media.image(&id).into()),
                    audio: Some(options.media.audio(&id).into()),
                    video: None,
                    // Flickr-SoundNet distributes the image and its audio as files.
                    origins: MediaOrigins {
                        image: Some(MediaOrigin::file(&format!("flickr:{id}"), &format!("{id}.jpg")).into()),
                        audio: Some(MediaOrigin::file(&format!("flickr:{id}"), &format!("{id}.wav")).into()),
                        video: None,
                    },
                },
                target: Target::Arig {
                    label: label.clone().into(),
                    boxes,
                },
                referring: false,
            };
            out.emit(record, path, at, 1)?;
        }
        Ok(())
    }
}

/// `[xmin, ymin, xmax, ymax]` in pixels of one `<bbox>`, by tag name when all four are there,
/// else by position; unreadable numbers become NaN so the box is dropped with a reason.
fn read_bbox(bbox: roxmltree::Node) -> ([f64; 4], ReadBy) {
    let named = ["xmin", "ymin", "xmax", "ymax"].map(|k| xml::child(bbox, k));
    if named.iter().all(Option::is_some) {
        return (
            ["xmin", "ymin", "xmax", "ymax"].map(|k| xml::child_number(bbox, k).unwrap_or(f64::NAN)),
            ReadBy::TagName,
        );
    }
    let children: Vec<_> = bbox.children().filter(|c| c.is_element()).collect();
    let coords = if children.len() == 4 {
        &children[..]
    } else {
        children.get(1..5).unwrap_or(&[])
    };
    let number = |i: usize| {
        coords
            .get(i)
            .and_then(|c| c.text())
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(f64::NAN)
    };
    ([number(0), number(1), number(2), number(3)], ReadBy::Position)
}

/// The ids (file stems) listed in every test list.
fn read_test_lists(lists: &[&PathBuf]) -> Result<HashSet<String>> {
    let mut ids = HashSet::new();
    for list in lists {
        let text = std::fs::read_to_string(list).map_err(|e| Error::io(list, e))?;
        for line in text
            .trim_start_matches('\u{feff}')
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            if let Some(stem) = Path::new(line).file_stem() {
                ids.insert(stem.to_string_lossy().into_owned());
            }
        }
    }
    Ok(ids)
}
