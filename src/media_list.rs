//! `avfit media DIR --list FILE`: every media file a corpus refers to, with what is needed to
//! produce it, as CSV, so users download and cut exactly what they need.
//!
//! Columns: `path,kind,dataset,youtube_id,media_id,clip_start,clip_end,frame_time`:
//! * `path`: relative to the media root; `kind`: `image`, `audio` or `video`; `dataset`: the
//!   first path component;
//! * `youtube_id`: the YouTube video the file is cut from (the sample's `yt:` group whose id the
//!   file name starts with); `media_id`: another identity (`oi:<ImageID>`, `voc:<id>`,
//!   `flickr:<id>`, `music:<id>`) the file name starts with;
//! * `clip_start`, `clip_end`: seconds in the YouTube video, from the file name: `<id>_<s>_<e>`
//!   (LLP, VALOR), `<id>_<NNNNNN>` (VGGSound-style 10 s clips), `<id>_<ms>` (AudioSet, AudioSet
//!   Strong: milliseconds, 10 s clips); empty for AVSBench, whose names carry frame indices;
//! * `frame_time`: seconds into the clip of a frame: the `_<t>` of `<key>_<t>.jpg` frames (LLP), 5.0
//!   for VGG-SS (boxes were drawn on frame 125 of the 25 fps clip).
//!
//! Rows are unique by path and sorted by it.

use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// One row of the list.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct MediaRow {
    /// Path relative to the media root.
    pub path: String,
    /// `image`, `audio` or `video`.
    pub kind: &'static str,
    /// First path component.
    pub dataset: String,
    /// YouTube id, when the file is cut from a YouTube video.
    pub youtube_id: String,
    /// Another identity (`oi:<ImageID>`, ...), when the file is named after one.
    pub media_id: String,
    /// Clip start in the YouTube video, seconds.
    pub clip_start: Option<f64>,
    /// Clip end in the YouTube video, seconds.
    pub clip_end: Option<f64>,
    /// Frame time within the clip, seconds.
    pub frame_time: Option<f64>,
}

/// The media rows of every sample of the corpus in `dir`, unique by path, sorted.
///
/// Errors: `dir` has no `manifest.json`, a shard cannot be read, a line is not a sample, or a
/// media path is absolute or has a `..` component ([`crate::media::media_path`]; the shard and
/// line name the sample): such a list would send downloads outside the media root.
pub fn media_rows(dir: &Path) -> Result<Vec<MediaRow>> {
    crate::corpus::read_manifest(dir)?; // a corpus, not any directory
    let mut rows: BTreeMap<String, MediaRow> = BTreeMap::new();
    crate::corpus::for_each_sample(dir, |shard, line, sample| {
        for (kind, path) in [
            ("image", &sample.image),
            ("audio", &sample.audio),
            ("video", &sample.video),
        ] {
            if let Some(path) = path {
                crate::media::media_path(Path::new(""), path)
                    .map_err(|e| Error::input(shard, Some(line), format!("{}: {kind} {e}", sample.id)))?;
                rows.entry(path.clone())
                    .or_insert_with(|| describe(path, kind, &sample.groups));
            }
        }
        Ok(())
    })?;
    Ok(rows.into_values().collect())
}

/// Describes one media file from its path and the groups of a sample that uses it.
pub fn describe(path: &str, kind: &'static str, groups: &[String]) -> MediaRow {
    let dataset = path.split('/').next().unwrap_or_default().to_string();
    let stem = Path::new(path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut row = MediaRow {
        path: path.to_string(),
        kind,
        dataset: dataset.clone(),
        ..MediaRow::default()
    };
    for g in groups {
        let Some((namespace, id)) = g.split_once(':') else {
            continue;
        };
        if !stem.starts_with(id) {
            continue;
        }
        if namespace == "yt" && dataset == "avsbench" {
            // AVSBench names frames `<video>_<k>` by frame index; its clip start is not in names.
            row.youtube_id = id.to_string();
        } else if namespace == "yt" {
            row.youtube_id = id.to_string();
            let rest: Vec<&str> = stem[id.len()..].split('_').filter(|p| !p.is_empty()).collect();
            let numbers: Vec<f64> = rest.iter().filter_map(|p| p.parse().ok()).collect();
            match (rest.len(), numbers.as_slice()) {
                // <id>_<s>_<e>_<t>: a frame of an LLP clip; <id>_<s>_<e>: an LLP or VALOR clip.
                (3, [s, e, t]) => (row.clip_start, row.clip_end, row.frame_time) = (Some(*s), Some(*e), Some(*t)),
                (2, [s, e]) => (row.clip_start, row.clip_end) = (Some(*s), Some(*e)),
                (1, [n]) if dataset.starts_with("audioset") => {
                    (row.clip_start, row.clip_end) = (Some(n / 1000.0), Some(n / 1000.0 + 10.0))
                }
                (1, [n]) => (row.clip_start, row.clip_end) = (Some(*n), Some(n + 10.0)),
                _ => {}
            }
        } else {
            row.media_id = g.clone();
        }
    }
    if kind == "image" && dataset == "vggss" {
        row.frame_time = Some(5.0);
    }
    row
}

/// The header line of `avfit media --list`, by which an earlier list is recognized (and replaced).
pub const HEADER: &str = "path,kind,dataset,youtube_id,media_id,clip_start,clip_end,frame_time";

/// `avfit media --list`: a file whose first line is exactly [`HEADER`].
pub const CSV_FILE: crate::outdir::ReportFile = crate::outdir::ReportFile {
    command: "avfit media --list",
    recognizes: |bytes| {
        let line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
        line.strip_suffix(b"\r").unwrap_or(line) == HEADER.as_bytes()
    },
};

/// Writes `rows` as CSV to `path`, [`HEADER`] first, through [`crate::outdir::write_report`]
/// (a new file renamed over an earlier list).
///
/// Errors: `path` may not receive the list ([`crate::outdir::check_report_target`]), or the file
/// cannot be written.
pub fn write_csv(rows: &[MediaRow], path: &Path) -> Result<()> {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    w.write_record(HEADER.split(','))
        .map_err(|e| Error::input(path, None, e.to_string()))?;
    for row in rows {
        w.serialize(row).map_err(|e| Error::input(path, None, e.to_string()))?;
    }
    let bytes = w.into_inner().map_err(|e| Error::input(path, None, e.to_string()))?;
    crate::outdir::write_report(path, &CSV_FILE, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn clips_and_frames_from_names() {
        let llp = describe("llp/frames/KSRjje7GH44_60_70_5.0.jpg", "image", &g(&["yt:KSRjje7GH44"]));
        assert_eq!(
            (llp.youtube_id.as_str(), llp.clip_start, llp.clip_end, llp.frame_time),
            ("KSRjje7GH44", Some(60.0), Some(70.0), Some(5.0))
        );
        let valor = describe(
            "valor/videos/Agi5ySKb1tY_23.700_33.700.mp4",
            "video",
            &g(&["yt:Agi5ySKb1tY"]),
        );
        assert_eq!(
            (valor.clip_start, valor.clip_end, valor.frame_time),
            (Some(23.7), Some(33.7), None)
        );
        let vggss = describe("vggss/frames/zpWuikVorYg_000032.jpg", "image", &g(&["yt:zpWuikVorYg"]));
        assert_eq!(
            (vggss.clip_start, vggss.clip_end, vggss.frame_time),
            (Some(32.0), Some(42.0), Some(5.0))
        );
        let strong = describe(
            "audioset_strong/audios/s9d-2nhuJCQ_30000.wav",
            "audio",
            &g(&["oi:0001", "yt:s9d-2nhuJCQ"]),
        );
        assert_eq!(
            (strong.clip_start, strong.clip_end, strong.media_id.as_str()),
            (Some(30.0), Some(40.0), "")
        );
        let oi = describe(
            "openimages/images/0001.jpg",
            "image",
            &g(&["oi:0001", "yt:s9d-2nhuJCQ"]),
        );
        assert_eq!(
            (oi.media_id.as_str(), oi.youtube_id.as_str(), oi.clip_start),
            ("oi:0001", "", None)
        );
        let avs = describe("avsbench/frames/bbbbbbbbbbb_1_1.jpg", "image", &g(&["yt:bbbbbbbbbbb"]));
        assert_eq!(
            (avs.youtube_id.as_str(), avs.clip_start, avs.frame_time),
            ("bbbbbbbbbbb", None, None)
        );
    }
}
