//! AVSBench-object (Zhou et al., "Audio-Visual Segmentation", ECCV 2022): S4 (single source) and
//! MS3 (multiple sources) segmentation masks → boxes → ARIG.
//!
//! Native files, as distributed (`Single-source/`, `Multi-sources/`):
//! * `s4_meta_data.csv`: comma, header, columns by position: video name, start second, category
//!   (underscored, `playing_acoustic_guitar`), split `train|val|test`. Only the first (video) and
//!   the last two (category, split) are used, so copies with extra columns read the same.
//! * `ms3_meta_data.csv`: video name, ..., split (last). MS3 has no category.
//! * Masks, 224×224 PNG, found in `gt_masks/` beside the metadata file (or in `s4_data/gt_masks/`,
//!   `ms3_data/gt_masks/`): `gt_masks/<split>/<category>/<video>/<video>_<k>.png` (S4) and
//!   `gt_masks/<split>/<video>/<video>_<k>.png` (MS3), k = 1..5 (S4 train has k = 1 only).
//!
//! Foreground is any non-zero pixel (0/255 and 0/1 storage alike). Box from a pixel extent,
//! inclusive: `x0 = min_x / W`, `x1 = (max_x + 1) / W`, likewise y with H.
//! * S4: one box around all the foreground; label = the category, underscores read as spaces.
//! * MS3: one box per 8-connected component of at least 0.5% of the mask area (smaller specks
//!   ignored), labelled with `imageproc`; label `sounding object` (`[source.params] ms3_label`).
//!
//! By default one sample per video, from its first frame with a box (`[source.params] frames =
//! "all"` gives one per such frame; its empty frames are dropped `empty_mask`). A video whose masks
//! are all empty is rejected (`empty_mask`); a video with no mask file (`missing_media`, the
//! directory in detail). A mask file that cannot be used (not a PNG, truncated, or declaring more
//! than [`MAX_MASK_SIDE`] × [`MAX_MASK_SIDE`] pixels: the size is in the detail) is dropped with a
//! rejects line (`malformed_field`) and the next frame judged; a video left with no usable
//! non-empty mask is rejected (`malformed_field` when a mask was unusable, else `empty_mask`).
//! The video name and the S4 category name folders, so each must be one file name (not empty,
//! `.`, `..`, nor holding `/`, `\`, NUL or a control character): else the row is rejected
//! (`bad_clip_id` for the video, `malformed_field` for the category).
//!
//! Unit counted: one metadata row (video). Key: `<video>` (`<video>/<k>` with `frames = "all"`).
//! Groups: `yt:<ytid>` (S4 names are YouTube ids; MS3 names are `<ytid>_<n>`). Media:
//! `avsbench/frames/<video>_<k>.jpg`, `avsbench/audios/<video>.wav`. Split: `train` → train,
//! `test` → test, `val` skipped (`split_not_used`); `--split` overrides and reads every split.

use super::{At, Collector, Source, SourceOptions};
use crate::error::{Error, Result};
use crate::geometry::BBox;
use crate::reason::{Reason, Skip};
use crate::record::{Media, MediaOrigin, MediaOrigins, Record, Split, Target, Task};
use image::GrayImage;
use std::path::{Path, PathBuf};

/// AVSBench: the paper its authors ask to cite and its licence as published (for the dataset card).
pub const CITATION: super::Citation = super::Citation {
    dataset: "AVSBench",
    paper: "Jinxing Zhou, Jianyuan Wang, Jiayi Zhang, Weixuan Sun, Jing Zhang, Stan Birchfield, Dan Guo, Lingpeng Kong, Meng Wang, Yiran Zhong. Audio-Visual Segmentation. ECCV 2022.",
    licence: "see https://github.com/OpenNLPLab/AVSBench",
};

/// The smallest MS3 component kept, as a fraction of the mask's area.
pub const MIN_COMPONENT_FRACTION: f64 = 0.005;

/// The AVSBench adapter.
pub struct Avsbench;

/// The two AVSBench-object subsets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Subset {
    /// Single sound source, with a category per video.
    S4,
    /// Multiple sound sources, no category.
    Ms3,
}

impl Subset {
    fn of_file(name: &str) -> Option<Subset> {
        if name.contains("s4_meta_data") {
            Some(Subset::S4)
        } else if name.contains("ms3_meta_data") {
            Some(Subset::Ms3)
        } else {
            None
        }
    }
    fn data_dir(self) -> &'static str {
        match self {
            Subset::S4 => "s4_data",
            Subset::Ms3 => "ms3_data",
        }
    }
}

impl Source for Avsbench {
    fn name(&self) -> &'static str {
        "avsbench"
    }
    fn tasks(&self) -> &'static [Task] {
        &[Task::Arig]
    }
    fn files(&self) -> &'static str {
        "s4_meta_data.csv / ms3_meta_data.csv with gt_masks/<split>/[<category>/]<video>/<video>_<k>.png beside them"
    }
    fn citations(&self) -> &'static [super::Citation] {
        &[CITATION]
    }
    fn recognizes(&self, file_name: &str) -> bool {
        file_name.ends_with(".csv") && Subset::of_file(file_name).is_some()
    }

    /// Reads each metadata file in batches of [`ROWS_AT_ONCE`] rows: the rows of a batch are
    /// judged on rayon's pool ([`judge_row`]: masks decoded, boxes found, media checked), then
    /// counted and emitted in file order, so the result is the same for any number of threads.
    ///
    /// Errors: an unknown `frames` parameter; no mask directory; an unreadable metadata file.
    fn read(&self, files: &[PathBuf], options: &SourceOptions, out: &mut Collector) -> Result<()> {
        let all_frames = match options.param_str(self, "frames", "first")? {
            "first" => false,
            "all" => true,
            other => {
                return Err(Error::Config(format!(
                    "source avsbench: frames = \"{other}\"; expected \"first\" or \"all\""
                )))
            }
        };
        let ms3_label = options.param_str(self, "ms3_label", "sounding object")?.to_string();
        let media_root = out.media_root().cloned();
        let mut done_videos = std::collections::HashSet::new();
        for meta in files {
            let name = meta
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let subset = Subset::of_file(&name).expect("recognized files name their subset");
            let rules = MetaRules {
                meta,
                subset,
                masks: mask_root(meta, subset)?,
                all_frames,
                ms3_label: &ms3_label,
                options,
                media_root: media_root.as_ref(),
            };
            let mut batch: Vec<(u64, std::result::Result<csv::StringRecord, String>)> = Vec::new();
            let mut reader = super::delimited_reader(meta, b',', true, false)?;
            let read = super::for_each_row(meta, &mut reader, |line, row| {
                batch.push((line, row.cloned()));
                if batch.len() == ROWS_AT_ONCE {
                    take_rows(&rules, &mut batch, &mut done_videos, out)?;
                }
                Ok(())
            });
            // The rows read before an unreadable one are counted too, as row by row.
            let taken = take_rows(&rules, &mut batch, &mut done_videos, out);
            read.and(taken)?;
        }
        Ok(())
    }
}

/// Metadata rows judged at once on rayon's pool: enough to keep every core decoding masks, few
/// enough that the records waiting to be counted stay small.
const ROWS_AT_ONCE: usize = 64;

/// What judging a row of one metadata file needs.
struct MetaRules<'a> {
    meta: &'a Path,
    subset: Subset,
    masks: PathBuf,
    all_frames: bool,
    ms3_label: &'a str,
    options: &'a SourceOptions,
    media_root: Option<&'a crate::media::MediaRoot>,
}

/// What a metadata row (not the header) comes to, judged apart from the other rows.
struct RowVerdict {
    /// The row's video, when it was read as text: the row is rejected `duplicate_row` instead
    /// when an earlier row's samples used it.
    video: Option<String>,
    /// Parts dropped on the way (unusable or empty masks, media that fail), in order.
    dropped: Vec<(Reason, String)>,
    end: RowEnd,
}

/// How a metadata row ends.
enum RowEnd {
    Reject(Reason, String),
    Skip(Skip),
    /// Its records (one, or one per frame with `frames = "all"`); the first counts the row.
    Emit(Vec<Record>),
}

/// Judges the rows of `batch` on rayon's pool, then counts, rejects and emits them in order
/// (a row whose video an earlier row used is rejected `duplicate_row`; the videos used are
/// added to `done_videos`), and empties `batch`.
///
/// Errors: the collector's (a rejects line that cannot be written).
fn take_rows(
    rules: &MetaRules,
    batch: &mut Vec<(u64, std::result::Result<csv::StringRecord, String>)>,
    done_videos: &mut std::collections::HashSet<String>,
    out: &mut Collector,
) -> Result<()> {
    use rayon::prelude::*;
    let verdicts: Vec<(u64, Option<RowVerdict>)> = batch
        .par_iter()
        .map(|(line, row)| (*line, judge_row(rules, *line, row.as_ref())))
        .collect();
    batch.clear();
    let meta = rules.meta;
    for (line, verdict) in verdicts {
        let Some(verdict) = verdict else { continue }; // the header
        out.read(1);
        let at = At::Line(line);
        if let Some(video) = verdict.video.as_deref().filter(|v| done_videos.contains(*v)) {
            out.reject(meta, at, Reason::DuplicateRow, format!("{video} appeared before"))?;
            continue;
        }
        for (reason, detail) in verdict.dropped {
            out.drop_part(meta, at, reason, detail)?;
        }
        match verdict.end {
            RowEnd::Reject(reason, detail) => out.reject(meta, at, reason, detail)?,
            RowEnd::Skip(why) => out.skip(why, 1),
            RowEnd::Emit(records) => {
                done_videos.extend(verdict.video);
                for (i, record) in records.into_iter().enumerate() {
                    out.emit(record, meta, at, if i == 0 { 1 } else { 0 })?;
                }
            }
        }
    }
    Ok(())
}

/// Judges metadata row `row` at `line` of `rules.meta` (the module documentation's rules, in
/// their order, but the duplicate check, which needs the rows before it): `None` for the header.
fn judge_row(
    rules: &MetaRules,
    line: u64,
    row: std::result::Result<&csv::StringRecord, &String>,
) -> Option<RowVerdict> {
    let native_split = row
        .map(|r| r.iter().next_back().unwrap_or_default().to_string())
        .unwrap_or_default();
    if line == 1 && native_split.eq_ignore_ascii_case("split") {
        return None; // the header
    }
    let mut dropped = Vec::new();
    let end = match row {
        Ok(row) => row_end(rules, row, &native_split, &mut dropped),
        Err(why) => RowEnd::Reject(Reason::MalformedField, why.clone()),
    };
    Some(RowVerdict {
        video: row.ok().map(|r| r.get(0).unwrap_or_default().to_string()),
        dropped,
        end,
    })
}

/// How the metadata row `row` (read as text, its split column `native_split`) ends, the parts
/// dropped on the way appended to `dropped`.
fn row_end(
    rules: &MetaRules,
    row: &csv::StringRecord,
    native_split: &str,
    dropped: &mut Vec<(Reason, String)>,
) -> RowEnd {
    let (subset, options) = (rules.subset, rules.options);
    let video = row.get(0).unwrap_or_default();
    let min_columns = if subset == Subset::S4 { 3 } else { 2 };
    if video.is_empty() || row.len() < min_columns {
        let detail = format!("expected at least {min_columns} columns, found {}", row.len());
        return RowEnd::Reject(Reason::MissingField, detail);
    }
    if let Err(detail) = crate::media_layout::check_path_key("video", video) {
        return RowEnd::Reject(Reason::BadClipId, detail);
    }
    let split = match (options.split, native_split) {
        (Some(forced), "train" | "val" | "test") => forced,
        (None, "train") => Split::Train,
        (None, "test") => Split::Test,
        (None, "val") => return RowEnd::Skip(Skip::SplitNotUsed),
        _ => {
            let detail = format!("{video}: split `{native_split}` is not train, val or test");
            return RowEnd::Reject(Reason::MalformedField, detail);
        }
    };
    let (dir, label) = match subset {
        Subset::S4 => {
            let category = &row[row.len() - 2];
            if let Err(detail) = crate::media_layout::check_path_key("category", category) {
                return RowEnd::Reject(Reason::MalformedField, format!("{video}: {detail}"));
            }
            (
                rules.masks.join(native_split).join(category).join(video),
                super::display_label(category),
            )
        }
        Subset::Ms3 => (rules.masks.join(native_split).join(video), rules.ms3_label.to_string()),
    };
    let frames = mask_frames(&dir, video);
    if frames.is_empty() {
        let detail = format!("{video}: no {video}_<k>.png in {}", dir.display());
        return RowEnd::Reject(Reason::MissingMedia, detail);
    }
    let youtube_id = match subset {
        Subset::S4 => video,
        Subset::Ms3 => ms3_youtube_id(video).unwrap_or(video),
    };
    // Judge every frame (mask, then media) before counting the video once.
    let mut ready = Vec::new();
    let mut last_problem = (
        Reason::EmptyMask,
        format!("{video}: all {} masks are empty in {}", frames.len(), dir.display()),
    );
    for (k, path) in &frames {
        let boxes = match read_mask(path) {
            Ok(mask) => boxes_of_mask(&mask, subset),
            Err(why) => {
                dropped.push((Reason::MalformedField, format!("{video} frame {k}: {why}")));
                last_problem = (
                    Reason::MalformedField,
                    format!("{video}: no readable non-empty mask in {}", dir.display()),
                );
                continue;
            }
        };
        if boxes.is_empty() {
            if rules.all_frames {
                let detail = format!("{video} frame {k}: {}", path.display());
                dropped.push((Reason::EmptyMask, detail));
            }
            continue;
        }
        let frame_key = format!("{video}_{k}");
        let mut record = Record {
            source: Avsbench.name(),
            key: if rules.all_frames {
                format!("{video}/{k}")
            } else {
                video.to_string()
            },
            split,
            groups: vec![format!("yt:{youtube_id}").into()],
            media: Media {
                image: Some(options.media.image(&frame_key).into()),
                audio: Some(options.media.audio(video).into()),
                video: None,
                // AVSBench distributes its frames (PNG) and audio (WAV) as files.
                origins: MediaOrigins {
                    image: Some(MediaOrigin::file(&format!("yt:{youtube_id}"), &format!("{frame_key}.png")).into()),
                    audio: Some(MediaOrigin::file(&format!("yt:{youtube_id}"), &format!("{video}.wav")).into()),
                    video: None,
                },
            },
            target: Target::Arig {
                label: label.clone().into(),
                boxes,
            },
            referring: false,
        };
        if let Some((reason, detail)) = rules.media_root.and_then(|root| root.problem(&mut record)) {
            dropped.push((reason, detail.clone()));
            last_problem = (reason, detail);
            continue;
        }
        ready.push(record);
        if !rules.all_frames {
            break;
        }
    }
    if ready.is_empty() {
        let (reason, detail) = last_problem;
        return RowEnd::Reject(reason, detail);
    }
    RowEnd::Emit(ready)
}

/// The `gt_masks/` directory of a metadata file: beside it, or in `<s4|ms3>_data/` beside it.
///
/// Errors: neither exists, naming both.
fn mask_root(meta: &Path, subset: Subset) -> Result<PathBuf> {
    let dir = meta.parent().unwrap_or(Path::new("."));
    let candidates = [dir.join("gt_masks"), dir.join(subset.data_dir()).join("gt_masks")];
    candidates.iter().find(|c| c.is_dir()).cloned().ok_or_else(|| {
        Error::input(
            meta,
            None,
            format!(
                "no mask directory: expected {} or {}",
                candidates[0].display(),
                candidates[1].display()
            ),
        )
    })
}

/// The YouTube id of an MS3 video name `<ytid>_<n>` (AVSBench's own convention: `n` is a
/// sequence number of any length, not a six-digit start): what stands before the last
/// underscore when [`super::is_youtube_id`] and followed by digits; `None` otherwise.
fn ms3_youtube_id(video: &str) -> Option<&str> {
    let (yt, n) = video.rsplit_once('_')?;
    (super::is_youtube_id(yt) && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then_some(yt)
}

/// The `(k, path)` of every `<video>_<k>.png` in `dir`, by k; empty when `dir` is missing.
fn mask_frames(dir: &Path, video: &str) -> Vec<(u32, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut frames: Vec<(u32, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let k = name
                .strip_suffix(".png")?
                .strip_prefix(video)?
                .strip_prefix('_')?
                .parse()
                .ok()?;
            Some((k, e.path()))
        })
        .collect();
    frames.sort();
    frames
}

/// The largest width or height, in pixels, of a mask avfit decodes: far above the 224 × 224 of
/// the real masks, small enough that a decompression bomb (a tiny PNG declaring 13000 × 13000)
/// is refused from its header. It also bounds the connected-components pass of MS3 (its label
/// image takes 4 bytes a pixel: at most 64 MiB).
pub const MAX_MASK_SIDE: u32 = 4096;

/// Decodes a mask PNG into a binary image: 255 where any colour channel is non-zero, else 0
/// (alpha is ignored). Grey, RGB, palette, 1- to 16-bit masks alike, without a widened copy.
///
/// Errors: the file is not a readable image, or declares a side above [`MAX_MASK_SIDE`] pixels
/// (the message gives its size), as a message with the path.
pub fn read_mask(path: &Path) -> std::result::Result<GrayImage, String> {
    let decoded = crate::media::decode_image(path, MAX_MASK_SIDE).map_err(|e| format!("not a usable mask PNG: {e}"))?;
    let color = decoded.color();
    let bytes_per_channel = usize::from(color.bytes_per_pixel() / color.channel_count());
    let channels = usize::from(color.channel_count());
    // Colour channels are the first one (grey) or three (RGB); alpha, when present, is last.
    let colour_bytes = bytes_per_channel * if color.has_color() { 3 } else { 1 };
    let pixel_bytes = bytes_per_channel * channels;
    let (w, h) = (decoded.width(), decoded.height());
    let raw = decoded.as_bytes();
    let mut mask = GrayImage::new(w, h);
    if pixel_bytes == 1 {
        // 8-bit grey, AVSBench's own masks: a loop the compiler vectorizes (the general one below
        // took several instructions a pixel, and a build reads 400M mask pixels at F = 1.0).
        for (out, &grey) in mask.iter_mut().zip(raw) {
            *out = if grey != 0 { 255 } else { 0 };
        }
        return Ok(mask);
    }
    for (out, pixel) in mask.iter_mut().zip(raw.chunks_exact(pixel_bytes)) {
        *out = if pixel[..colour_bytes].iter().any(|b| *b != 0) {
            255
        } else {
            0
        };
    }
    Ok(mask)
}

/// The normalized boxes of a binary mask: S4, one box around all foreground; MS3, one per
/// 8-connected component covering at least [`MIN_COMPONENT_FRACTION`] of the mask, in the order
/// of their first pixel in raster order. Empty when there is no (large enough) foreground.
pub fn boxes_of_mask(mask: &GrayImage, subset: Subset) -> Vec<BBox> {
    let (w, h) = (mask.width() as f64, mask.height() as f64);
    let pixel_box = |min_x: u32, min_y: u32, max_x: u32, max_y: u32| {
        BBox::from_inclusive_pixels(min_x as f64, min_y as f64, max_x as f64, max_y as f64, w, h)
            .expect("a pixel extent inside the mask is a valid box")
    };
    let to_box = |e: &Extent| pixel_box(e.min_x, e.min_y, e.max_x, e.max_y);
    match subset {
        Subset::S4 => {
            // Row by row: a row's first and last foreground pixels are all the box needs of it.
            // (min x, first row, max x, last row) of the foreground so far.
            let mut bounds: Option<(u32, u32, u32, u32)> = None;
            let width = mask.width() as usize;
            for (y, row) in mask.as_raw().chunks_exact(width.max(1)).enumerate() {
                let Some(first) = row.iter().position(|p| *p != 0) else {
                    continue;
                };
                // Found from the row's end, where a foreground pixel exists (`first`, at least).
                let last = first + row[first..].iter().rposition(|p| *p != 0).unwrap_or(0);
                let (y, first, last) = (y as u32, first as u32, last as u32);
                bounds = Some(match bounds {
                    None => (first, y, last, y),
                    Some((min_x, min_y, max_x, _)) => (min_x.min(first), min_y, max_x.max(last), y),
                });
            }
            bounds
                .map(|(x0, y0, x1, y1)| pixel_box(x0, y0, x1, y1))
                .into_iter()
                .collect()
        }
        Subset::Ms3 => {
            use imageproc::region_labelling::{connected_components, Connectivity};
            let labels = connected_components(mask, Connectivity::Eight, image::Luma([0u8]));
            let mut extents: Vec<Option<Extent>> = Vec::new();
            for (x, y, l) in labels.enumerate_pixels() {
                let label = l.0[0] as usize;
                if label == 0 {
                    continue;
                }
                if extents.len() < label {
                    extents.resize(label, None);
                }
                extents[label - 1].get_or_insert_with(|| Extent::at(x, y)).add(x, y);
            }
            let min_pixels = MIN_COMPONENT_FRACTION * w * h;
            let mut kept: Vec<&Extent> = extents
                .iter()
                .flatten()
                .filter(|e| e.pixels as f64 >= min_pixels)
                .collect();
            kept.sort_by_key(|e| (e.first.1, e.first.0));
            kept.into_iter().map(to_box).collect()
        }
    }
}

/// The inclusive pixel extent and pixel count of a foreground region.
#[derive(Clone, Debug)]
struct Extent {
    first: (u32, u32),
    min_x: u32,
    min_y: u32,
    max_x: u32,
    max_y: u32,
    pixels: u64,
}

impl Extent {
    fn at(x: u32, y: u32) -> Self {
        Extent {
            first: (x, y),
            min_x: x,
            min_y: y,
            max_x: x,
            max_y: y,
            pixels: 0,
        }
    }
    fn add(&mut self, x: u32, y: u32) {
        self.min_x = self.min_x.min(x);
        self.min_y = self.min_y.min(y);
        self.max_x = self.max_x.max(x);
        self.max_y = self.max_y.max(y);
        self.pixels += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(w: u32, h: u32, on: impl Fn(u32, u32) -> bool) -> GrayImage {
        GrayImage::from_fn(w, h, |x, y| image::Luma([if on(x, y) { 255 } else { 0 }]))
    }

    #[test]
    fn ms3_names_keep_their_own_convention() {
        assert_eq!(ms3_youtube_id("rq5RDUm2Hnk_1"), Some("rq5RDUm2Hnk"));
        assert_eq!(ms3_youtube_id("0WxgIKuetYI_0"), Some("0WxgIKuetYI"));
        assert_eq!(ms3_youtube_id("rq5RDUm2Hnk"), None);
        assert_eq!(ms3_youtube_id("rq5RDUm2Hnk_x"), None);
    }

    /// Any non-zero grey (8-bit grey, the fast path) or colour channel is foreground; alpha is
    /// not looked at.
    #[test]
    fn read_mask_makes_every_non_zero_pixel_foreground() {
        let dir = std::env::temp_dir().join(format!("avfit-read-mask-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let grey = dir.join("grey.png");
        image::GrayImage::from_raw(4, 1, vec![0, 1, 128, 255])
            .unwrap()
            .save(&grey)
            .unwrap();
        assert_eq!(read_mask(&grey).unwrap().into_raw(), [0, 255, 255, 255]);
        let rgba = dir.join("rgba.png");
        image::RgbaImage::from_raw(3, 1, vec![0, 0, 0, 255, 0, 0, 1, 0, 9, 0, 0, 0])
            .unwrap()
            .save(&rgba)
            .unwrap();
        assert_eq!(read_mask(&rgba).unwrap().into_raw(), [0, 255, 255]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The row-by-row S4 box is the pixel-by-pixel extent: 500 random masks of random sizes,
    /// sparse and dense, against a brute-force min and max over every foreground pixel.
    #[test]
    fn s4_rows_give_the_pixel_extent() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
        for _ in 0..500 {
            let (w, h) = (rng.gen_range(1..40u32), rng.gen_range(1..40u32));
            let density = rng.gen_range(0.0..0.3);
            let on: Vec<bool> = (0..w * h).map(|_| rng.gen_bool(density)).collect();
            let m = mask(w, h, |x, y| on[(y * w + x) as usize]);
            let lit: Vec<(u32, u32)> = (0..h)
                .flat_map(|y| (0..w).map(move |x| (x, y)))
                .filter(|&(x, y)| on[(y * w + x) as usize])
                .collect();
            let expected: Vec<BBox> = if lit.is_empty() {
                vec![]
            } else {
                let min_x = lit.iter().map(|p| p.0).min().unwrap();
                let max_x = lit.iter().map(|p| p.0).max().unwrap();
                let min_y = lit.iter().map(|p| p.1).min().unwrap();
                let max_y = lit.iter().map(|p| p.1).max().unwrap();
                vec![BBox::from_inclusive_pixels(
                    min_x as f64,
                    min_y as f64,
                    max_x as f64,
                    max_y as f64,
                    w as f64,
                    h as f64,
                )
                .unwrap()]
            };
            assert_eq!(boxes_of_mask(&m, Subset::S4), expected, "{w}x{h}");
        }
    }

    #[test]
    fn s4_box_is_the_inclusive_extent() {
        let m = mask(224, 224, |x, y| (21..=120).contains(&x) && (45..=178).contains(&y));
        let boxes = boxes_of_mask(&m, Subset::S4);
        assert_eq!(
            boxes,
            vec![BBox([
                0.09375,
                0.20089285714285715,
                0.5401785714285714,
                0.7991071428571429
            ])]
        );
        // Two blobs in S4 still give one box around both.
        let two = mask(224, 224, |x, y| {
            (x < 10 && y < 10) || (x >= 200 && (100..112).contains(&y))
        });
        assert_eq!(boxes_of_mask(&two, Subset::S4), vec![BBox([0.0, 0.0, 1.0, 0.5])]);
        assert_eq!(boxes_of_mask(&mask(224, 224, |_, _| false), Subset::S4), vec![]);
    }

    #[test]
    fn ms3_one_box_per_large_component() {
        // Blob A: columns 0..=55, rows 0..=27 (1568 px); blob B: columns 112..=167, rows 112..=223
        // (6272 px); a speck of 4 px (< 0.5% of 50176 = 250.88 px) is ignored; a diagonal touch
        // joins two squares into one component (8-connectivity).
        let m = mask(224, 224, |x, y| {
            (x <= 55 && y <= 27)
                || ((112..=167).contains(&x) && y >= 112)
                || ((200..=201).contains(&x) && (10..=11).contains(&y))
                || ((60..=79).contains(&x) && (60..=79).contains(&y))
                || ((80..=99).contains(&x) && (80..=99).contains(&y))
        });
        let boxes = boxes_of_mask(&m, Subset::Ms3);
        assert_eq!(
            boxes,
            vec![
                BBox([0.0, 0.0, 0.25, 0.125]),
                BBox([60.0 / 224.0, 60.0 / 224.0, 100.0 / 224.0, 100.0 / 224.0]),
                BBox([0.5, 0.5, 0.75, 1.0])
            ]
        );
    }
}
