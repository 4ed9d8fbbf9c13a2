//! PASCAL Sound (the zero-shot ARIG row of Meerkat): PASCAL VOC images paired with sounds → ARIG, test.
//!
//! Native files:
//! * `Annotations/<image_id>.xml`, PASCAL VOC: `<annotation>` with `<size>{width,height}` and per
//!   `<object>`: `name`, `pose`, `truncated`, `difficult`, `bndbox{xmin,ymin,xmax,ymax}`. Pixels,
//!   **1-based and inclusive** (VOC2012 has float coordinates): `x0 = (xmin - 1) / width`,
//!   `x1 = xmax / width`, likewise y. Only the direct `<bndbox>` of an `<object>` counts, never a
//!   `<part>`'s (head, hand, foot); tags are read by name in any order.
//! * `pascal_sound.csv`, the pairing list, a layout of avfit's own (the public release has none):
//!   header `image_id,audio,label`; `image_id` is the XML file's stem (`000002`), `audio` names
//!   the sound (a file name or clip id: its stem is the media key, a `<ytid>_<NNNNNN>` stem adds
//!   the group `yt:<ytid>`; `train_horn_01.wav` adds none), `label` a VOC class name (`train`, `dog`, ...).
//!
//! One sample per pairing row: the boxes of every object whose `<name>` equals the label. With no
//! `<size>`, the size is read from the image under `--media-root`, else the row is rejected
//! (`missing_size`). Rejected: no XML for the id (`missing_annotation`), no object of the label
//! (`no_matching_object`), invalid boxes (each dropped; none left: `no_valid_box`), missing
//! fields (`missing_field`). The `image_id` and the stem of `audio` name media files, so each
//! must be one file name (not empty, `.`, `..`, nor holding `/`, `\`, NUL or a control
//! character): else `bad_clip_id` (image id) or `malformed_field` (audio). An XML that cannot be
//! parsed, or nests elements deeper than [`xml::MAX_DEPTH`], stops the run with its path.
//!
//! Unit counted: one pairing row. Key: `<image_id>/<label>`. Groups: `voc:<image_id>` (and
//! `yt:<ytid>` for a YouTube audio clip). Media: `pascal_sound/frames/<image_id>.jpg`,
//! `pascal_sound/audios/<audio stem>.wav`. Split: test (zero-shot); `--split` overrides.

use super::{xml, At, Collector, Source, SourceOptions};
use crate::error::{Error, Result};
use crate::geometry::BBox;
use crate::reason::Reason;
use crate::record::{Media, MediaOrigin, MediaOrigins, Record, Split, Target, Task};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// PASCAL Sound: the paper its authors ask to cite and its licence as published (for the dataset card).
pub const CITATION: super::Citation = super::Citation {
    dataset: "PASCAL Sound",
    paper: "Mark Everingham, Luc Van Gool, Christopher K. I. Williams, John Winn, Andrew Zisserman. The PASCAL Visual Object Classes (VOC) Challenge. IJCV 2010 (boxes; the sound pairing as Meerkat uses it: Chowdhury et al., ECCV 2024).",
    licence: "see http://host.robots.ox.ac.uk/pascal/VOC/ (images under the Flickr terms of use)",
};

/// The PASCAL Sound adapter.
pub struct PascalSound;

/// The pairing list's file name.
pub const PAIRING_FILE: &str = "pascal_sound.csv";

impl Source for PascalSound {
    fn name(&self) -> &'static str {
        "pascal_sound"
    }
    fn tasks(&self) -> &'static [Task] {
        &[Task::Arig]
    }
    fn files(&self) -> &'static str {
        "pascal_sound.csv (image_id,audio,label) and PASCAL VOC Annotations/<image_id>.xml"
    }
    fn citations(&self) -> &'static [super::Citation] {
        &[CITATION]
    }
    fn recognizes(&self, file_name: &str) -> bool {
        file_name == PAIRING_FILE || file_name.ends_with(".xml")
    }

    fn read(&self, files: &[PathBuf], options: &SourceOptions, out: &mut Collector) -> Result<()> {
        let (pairings, xmls): (Vec<&PathBuf>, Vec<&PathBuf>) = files
            .iter()
            .partition(|p| p.file_name().is_some_and(|n| n == PAIRING_FILE));
        if pairings.is_empty() {
            return Err(Error::Config(format!(
                "source `pascal_sound` needs {PAIRING_FILE} (header image_id,audio,label) beside Annotations/"
            )));
        }
        if xmls.is_empty() {
            return Err(Error::Config(format!(
                "source `pascal_sound` needs the VOC Annotations/<image_id>.xml files beside {PAIRING_FILE}; none among {files:?}"
            )));
        }
        let annotations: HashMap<String, &PathBuf> = xmls
            .iter()
            .filter_map(|p| Some((p.file_stem()?.to_string_lossy().into_owned(), *p)))
            .collect();
        let split = options.split.unwrap_or(Split::Test);
        let mut emitted = HashSet::new();
        for pairing in pairings {
            let mut reader = super::delimited_reader(pairing, b',', true, true)?;
            let headers = super::header_row(pairing, &mut reader)?;
            let column = |name: &str| {
                headers.iter().position(|h| h == name).ok_or_else(|| {
                    Error::input(
                        pairing,
                        Some(1),
                        format!(
                            "expected the header image_id,audio,label, found `{}`",
                            headers.iter().collect::<Vec<_>>().join(",")
                        ),
                    )
                })
            };
            let (c_image, c_audio, c_label) = (column("image_id")?, column("audio")?, column("label")?);
            super::for_each_row(pairing, &mut reader, |line, row| {
                out.read(1);
                let at = At::Line(line);
                let row = match row {
                    Ok(row) => row,
                    Err(why) => return out.reject(pairing, at, Reason::MalformedField, why),
                };
                let field = |i: usize| row.get(i).filter(|v| !v.is_empty());
                let (Some(image_id), Some(audio), Some(label)) = (field(c_image), field(c_audio), field(c_label))
                else {
                    out.reject(
                        pairing,
                        at,
                        Reason::MissingField,
                        "a row needs image_id, audio and label",
                    )?;
                    return Ok(());
                };
                let key = format!("{image_id}/{label}");
                if emitted.contains(&key) {
                    out.reject(pairing, at, Reason::DuplicateRow, format!("{key} appeared before"))?;
                    return Ok(());
                }
                if let Err(detail) = crate::media_layout::check_path_key("image_id", image_id) {
                    out.reject(pairing, at, Reason::BadClipId, detail)?;
                    return Ok(());
                }
                let audio_key = Path::new(audio)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if let Err(detail) = crate::media_layout::check_path_key("audio (file stem)", &audio_key) {
                    out.reject(pairing, at, Reason::MalformedField, format!("{image_id}: {detail}"))?;
                    return Ok(());
                }
                let Some(xml_path) = annotations.get(image_id) else {
                    out.reject(
                        pairing,
                        at,
                        Reason::MissingAnnotation,
                        format!("no Annotations/{image_id}.xml among the inputs"),
                    )?;
                    return Ok(());
                };
                let image = options.media.image(image_id);
                let (size, raw_boxes) = xml::with_document(xml_path, |doc| read_voc(doc.root_element(), label))?;
                let size = match size {
                    Some(size) => size,
                    None => match image_size_from_media(options, &image) {
                        Ok(size) => size,
                        Err(detail) => {
                            out.reject(
                                pairing,
                                at,
                                Reason::MissingSize,
                                format!("{image_id}: no <size> in the XML and {detail}"),
                            )?;
                            return Ok(());
                        }
                    },
                };
                if raw_boxes.is_empty() {
                    out.reject(
                        pairing,
                        at,
                        Reason::NoMatchingObject,
                        format!("{image_id}: no <object> named `{label}`"),
                    )?;
                    return Ok(());
                }
                let mut boxes = Vec::new();
                for (i, raw) in raw_boxes.iter().enumerate() {
                    let Some(raw) = raw else {
                        let detail = format!("{image_id}: `{label}` object {} has no <bndbox>", i + 1);
                        out.drop_part(pairing, at, Reason::MissingField, detail)?;
                        continue;
                    };
                    match voc_box(*raw, size) {
                        Ok(b) => boxes.push(b),
                        Err(e) => {
                            let detail = format!("{image_id} {label}: VOC box {raw:?} on {size:?} px: {}", e.detail);
                            out.drop_part(pairing, at, e.reason, detail)?
                        }
                    }
                }
                if boxes.is_empty() {
                    out.reject(
                        pairing,
                        at,
                        Reason::NoValidBox,
                        format!("{image_id}: none of {} `{label}` boxes is valid", raw_boxes.len()),
                    )?;
                    return Ok(());
                }
                let mut groups = vec![format!("voc:{image_id}")];
                if let Some(yt) = vggsound_clip(&audio_key) {
                    groups.push(format!("yt:{yt}"));
                }
                let record = Record {
                    source: self.name(),
                    key,
                    split,
                    groups: groups.into_iter().map(Into::into).collect(),
                    media: Media {
                        image: Some(image.into()),
                        audio: Some(options.media.audio(&audio_key).into()),
                        video: None,
                        origins: pascal_origins(image_id, audio, &audio_key),
                    },
                    target: Target::Arig {
                        label: super::display_label(label).into(),
                        boxes,
                    },
                    referring: false,
                };
                out.emit_unique(&mut emitted, record, pairing, at)
            })?;
        }
        Ok(())
    }
}

/// The YouTube id of a VGGSound clip name `<11-character ytid>_<6 digits>`, else `None`
/// (`train_horn_01` is a file name, not a clip).
fn vggsound_clip(name: &str) -> Option<&str> {
    super::youtube_id_of_clip(name).filter(|yt| yt.len() == 11)
}

/// `[xmin, ymin, xmax, ymax]` of a VOC `<bndbox>`, 1-based inclusive pixels.
type VocCorners = [f64; 4];

/// The `<size>` of a VOC annotation and, for each `<object>` named `label`, the raw
/// `[xmin, ymin, xmax, ymax]` (1-based pixels) of its direct `<bndbox>`, or `None` when it has
/// none; a missing or non-numeric corner is kept as NaN so that the box is dropped with a reason.
fn read_voc(root: roxmltree::Node, label: &str) -> (Option<(f64, f64)>, Vec<Option<VocCorners>>) {
    let boxes = root
        .children()
        .filter(|o| o.is_element() && o.tag_name().name() == "object")
        .filter(|o| xml::child_text(*o, "name") == Some(label))
        .map(|o| {
            let b = xml::child(o, "bndbox")?;
            Some(["xmin", "ymin", "xmax", "ymax"].map(|k| xml::child_number(b, k).unwrap_or(f64::NAN)))
        })
        .collect();
    (xml::size(root), boxes)
}

/// A VOC box, 1-based inclusive pixels on a `(width, height)` image, normalized.
pub fn voc_box(
    [xmin, ymin, xmax, ymax]: [f64; 4],
    (width, height): (f64, f64),
) -> std::result::Result<BBox, crate::geometry::Invalid> {
    BBox::from_inclusive_pixels(xmin - 1.0, ymin - 1.0, xmax - 1.0, ymax - 1.0, width, height)
}

fn image_size_from_media(options: &SourceOptions, image: &str) -> std::result::Result<(f64, f64), String> {
    let Some(root) = &options.media_root else {
        return Err("no --media-root to read the image from".into());
    };
    let (w, h) = crate::media::image_size(&root.path(image)?)?;
    Ok((w as f64, h as f64))
}

/// Origins of a PASCAL Sound record: the VOC image `<image_id>.jpg`; the audio is the 10 s
/// VGGSound clip when `audio_key` is `<ytid>_<NNNNNN>`, else the dataset's audio file `audio` as
/// the pairing list names it.
fn pascal_origins(image_id: &str, audio: &str, audio_key: &str) -> MediaOrigins {
    let audio_file = Path::new(audio)
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let audio = match super::youtube_clip_start(audio_key).filter(|(yt, _)| yt.len() == 11) {
        Some((yt, start)) => MediaOrigin::youtube(yt, start as f64, start as f64 + 10.0),
        None => MediaOrigin::file("", &audio_file),
    };
    MediaOrigins {
        image: Some(MediaOrigin::file(&format!("voc:{image_id}"), &format!("{image_id}.jpg")).into()),
        audio: Some(audio.into()),
        video: None,
    }
}
