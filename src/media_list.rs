//! `avfit media list CORPUS_DIR --out FILE` (alias `avfit media CORPUS_DIR --list FILE`): every
//! media file a corpus refers to, with what is needed to produce it, as CSV, so users download
//! and cut exactly what they need; and `media.csv`, the same table for every record a build read,
//! written beside the shards and listed in `manifest.json` `files`.
//!
//! Columns: `path,kind,dataset,youtube_id,media_id,clip_start,clip_end,frame_time,file`:
//! * `path`: relative to the media root; `kind`: `image`, `audio` or `video`; `dataset`: the
//!   first path component;
//! * `youtube_id`: the YouTube video the file is cut from; `media_id`: another identity
//!   (`oi:<ImageID>`, `voc:<id>`, `flickr:<id>`, `music:<id>`) of its source;
//! * `clip_start`, `clip_end`: seconds in the source video (`clip_end` empty: to the video's end);
//! * `frame_time`: seconds into the clip of a frame (the frame displayed at that time);
//! * `file`: the dataset's own file the media file is taken from when it is distributed as a
//!   file (an image, an audio file, a MUSIC-AVQA video `<id>`), empty when cut from a YouTube
//!   video.
//!
//! The values come from the adapter that read the record ([`crate::record::MediaOrigin`]), saved
//! by the build in `media.csv`; for a corpus without `media.csv` (built before it existed), or a
//! path it does not list, they are recovered from the file name ([`describe`]). Rows are unique
//! by path and sorted by it.

use crate::error::{Error, Result};
use crate::record::{Media, MediaOrigin};
use crate::writer::FileInfo;
use std::collections::BTreeMap;
use std::path::Path;

/// The side file a build writes beside the shards: every media path of the records it read.
pub const MEDIA_FILE: &str = "media.csv";

/// The CSV header of a media list and of `media.csv`.
pub const COLUMNS: [&str; 9] = [
    "path",
    "kind",
    "dataset",
    "youtube_id",
    "media_id",
    "clip_start",
    "clip_end",
    "frame_time",
    "file",
];

/// One row of the list.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MediaRow {
    /// Path relative to the media root.
    pub path: String,
    /// `image`, `audio` or `video`.
    pub kind: String,
    /// First path component.
    pub dataset: String,
    /// YouTube id, when the file is cut from a YouTube video.
    pub youtube_id: String,
    /// Another identity (`oi:<ImageID>`, ...), when the file is named after one.
    pub media_id: String,
    /// Clip start in the source video, seconds.
    pub clip_start: Option<f64>,
    /// Clip end in the source video, seconds; `None`: to the video's end, or unknown.
    pub clip_end: Option<f64>,
    /// Frame time within the clip, seconds.
    pub frame_time: Option<f64>,
    /// The dataset's own file name the media file is taken from, when distributed as a file.
    #[serde(default)]
    pub file: String,
}

impl MediaRow {
    /// The row of `path` (of `kind`) from the origin its adapter gave.
    pub fn from_origin(path: &str, kind: &str, origin: &MediaOrigin) -> MediaRow {
        MediaRow {
            path: path.to_string(),
            kind: kind.to_string(),
            dataset: path.split('/').next().unwrap_or_default().to_string(),
            youtube_id: origin.youtube_id.clone(),
            media_id: origin.media_id.clone(),
            clip_start: origin.clip_start,
            clip_end: origin.clip_end,
            frame_time: origin.frame_time,
            file: origin.file.clone(),
        }
    }
}

/// The media paths of a build's records with their origins, unique by path (the first record
/// naming a path gives its row), sorted when written.
#[derive(Debug, Default)]
pub struct MediaCatalog {
    rows: BTreeMap<String, MediaRow>,
}

impl MediaCatalog {
    /// Adds the image, audio and video of `media` (with their origins; a path without an origin
    /// is described from its name by [`describe`] with no groups).
    pub fn add(&mut self, media: &Media) {
        let o = &media.origins;
        for (kind, path, origin) in [
            ("image", &media.image, &o.image),
            ("audio", &media.audio, &o.audio),
            ("video", &media.video, &o.video),
        ] {
            if let Some(path) = path {
                if !self.rows.contains_key(path) {
                    let row = match origin {
                        Some(origin) => MediaRow::from_origin(path, kind, origin),
                        None => describe(path, kind, &[]),
                    };
                    self.rows.insert(path.clone(), row);
                }
            }
        }
    }

    /// Writes the rows as CSV to `<out>/media.csv.partial` (created new, synced) for
    /// [`crate::writer::commit`] to rename. Returns its `files` entry (path `media.csv`, size,
    /// SHA-256).
    ///
    /// Errors: the file exists or cannot be written, with its path.
    pub fn write_partial(&self, out: &Path) -> Result<FileInfo> {
        use sha2::Digest;
        let rows: Vec<MediaRow> = self.rows.values().cloned().collect();
        let bytes = csv_bytes(&rows);
        let partial = out.join(format!("{MEDIA_FILE}{}", crate::outdir::PARTIAL));
        let write = || -> std::io::Result<()> {
            use std::io::Write;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&partial)?;
            file.write_all(&bytes)?;
            file.sync_all()
        };
        write().map_err(|e| Error::io(&partial, e))?;
        Ok(FileInfo {
            path: MEDIA_FILE.to_string(),
            bytes: bytes.len() as u64,
            sha256: format!("{:x}", sha2::Sha256::digest(&bytes)),
        })
    }
}

/// Reads `<dir>/media.csv` by path; empty when the corpus has none.
///
/// Errors: the file is there but a row does not parse (path, line, what was expected).
pub fn read_media_file(dir: &Path) -> Result<BTreeMap<String, MediaRow>> {
    let path = dir.join(MEDIA_FILE);
    if !path.is_file() {
        return Ok(BTreeMap::new());
    }
    let mut reader = csv::Reader::from_path(&path).map_err(|e| Error::input(&path, None, e.to_string()))?;
    let mut rows = BTreeMap::new();
    for (i, row) in reader.deserialize::<MediaRow>().enumerate() {
        let row = row.map_err(|e| {
            Error::input(
                &path,
                Some(i as u64 + 2),
                format!("expected {}: {e}", COLUMNS.join(",")),
            )
        })?;
        rows.insert(row.path.clone(), row);
    }
    Ok(rows)
}

/// The media rows of every sample of the corpus in `dir`, unique by path, sorted: each from the
/// corpus's `media.csv` when it lists the path, else from the path's name ([`describe`]).
///
/// Errors: `dir` has no `manifest.json`, a shard or `media.csv` cannot be read, a line is not a
/// sample, or a media path is absolute or has a `..` component ([`crate::media::media_path`]; the
/// shard and line name the sample): such a list would send downloads outside the media root.
pub fn media_rows(dir: &Path) -> Result<Vec<MediaRow>> {
    crate::corpus::read_manifest(dir)?; // a corpus, not any directory
    let known = read_media_file(dir)?;
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
                rows.entry(path.clone()).or_insert_with(|| match known.get(path) {
                    Some(row) => row.clone(),
                    None => describe(path, kind, &sample.groups),
                });
            }
        }
        Ok(())
    })?;
    Ok(rows.into_values().collect())
}

/// Describes one media file from its path and the groups of a sample that uses it (for corpora
/// without `media.csv`): clip windows from `<id>_<s>_<e>` (LLP, VALOR), `<id>_<NNNNNN>`
/// (VGGSound-style 10 s clips), `<id>_<ms>` (AudioSet, AudioSet Strong: milliseconds, 10 s
/// clips); frame times from `<key>_<t>.jpg` (LLP) and 5.0 for VGG-SS.
pub fn describe(path: &str, kind: &str, groups: &[String]) -> MediaRow {
    let dataset = path.split('/').next().unwrap_or_default().to_string();
    let stem = Path::new(path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut row = MediaRow {
        path: path.to_string(),
        kind: kind.to_string(),
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

/// The CSV text of `rows` with the header [`COLUMNS`].
fn csv_bytes(rows: &[MediaRow]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    w.write_record(COLUMNS).expect("writing to memory");
    for row in rows {
        w.serialize(row).expect("a media row serializes");
    }
    w.into_inner().expect("writing to memory")
}

/// The header line of `avfit media list`, by which an earlier list is recognized (and replaced):
/// [`COLUMNS`] joined by commas.
pub const HEADER: &str = "path,kind,dataset,youtube_id,media_id,clip_start,clip_end,frame_time,file";

/// The header of lists written before the `file` column (recognized too).
const HEADER_BEFORE_FILE: &str = "path,kind,dataset,youtube_id,media_id,clip_start,clip_end,frame_time";

/// `avfit media list`: a file whose first line is exactly [`HEADER`] (or the header before the
/// `file` column).
pub const CSV_FILE: crate::outdir::ReportFile = crate::outdir::ReportFile {
    command: "avfit media list",
    recognizes: |bytes| {
        let line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        line == HEADER.as_bytes() || line == HEADER_BEFORE_FILE.as_bytes()
    },
};

/// Writes `rows` as CSV to `path`, [`HEADER`] first, through [`crate::outdir::write_report`]
/// (a new file renamed over an earlier list).
///
/// Errors: `path` may not receive the list ([`crate::outdir::check_report_target`]), or the file
/// cannot be written.
pub fn write_csv(rows: &[MediaRow], path: &Path) -> Result<()> {
    crate::outdir::write_report(path, &CSV_FILE, &csv_bytes(rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_header_is_the_columns() {
        assert_eq!(HEADER, COLUMNS.join(","));
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
