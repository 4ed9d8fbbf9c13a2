//! Where the source of a media file is: the downloaded videos under `--videos` roots, named as
//! each dataset's distribution names them, and the image and audio files under `--images` /
//! `--audio`.
//!
//! Names a YouTube clip `[s, e)` of video `<ytid>` is looked up under, in this order in each root
//! (the first root given wins; within a root a pre-cut clip beats a whole video):
//! * pre-cut clips (the clip starts at offset 0 of the file): `<ytid>_<NNNNNN>` (VGGSound,
//!   VGG-SS, AVQA: the start in six digits), `<ytid>_<s>_<e>` (LLP: `_60_70`; VALOR: `_23.700_33.700`;
//!   whole numbers are also tried without decimals, others with 1 and 3 decimals),
//!   `<ytid>_<s ms>` (AudioSet, AudioSet Strong segment ids: the start in milliseconds);
//! * the whole video `<ytid>` (the clip starts at its offset `s`).
//!
//! A dataset's own video (MUSIC-AVQA `<video_id>`) is the file with that stem, offset 0. Any
//! container of [`VIDEO_EXTENSIONS`]; among files of one stem in one root the first in path
//! order.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Extensions of video files searched under `--videos` (case-insensitive).
pub const VIDEO_EXTENSIONS: [&str; 6] = ["mp4", "mkv", "webm", "mov", "m4v", "avi"];

/// The files of one tree by stem and by file name, first in path order.
#[derive(Debug, Default)]
pub struct FileIndex {
    by_stem: HashMap<String, PathBuf>,
    by_name: HashMap<String, PathBuf>,
}

impl FileIndex {
    /// Indexes every regular file under `root` (symbolic links followed) whose extension is in
    /// `extensions` (all files when `None`).
    ///
    /// Errors: `root` is not a readable directory, as a message naming it.
    pub fn build(root: &Path, extensions: Option<&[&str]>) -> Result<FileIndex, String> {
        if !root.is_dir() {
            return Err(format!("{}: not a directory", root.display()));
        }
        let mut index = FileIndex::default();
        for entry in walkdir::WalkDir::new(root).follow_links(true).sort_by_file_name() {
            let entry = entry.map_err(|e| format!("{}: {e}", root.display()))?;
            if !entry.file_type().is_file() {
                continue;
            }
            let path = entry.path();
            let ext = path
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            if extensions.is_some_and(|list| !list.contains(&ext.as_str())) {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            index.by_name.entry(name).or_insert_with(|| path.to_path_buf());
            index.by_stem.entry(stem).or_insert_with(|| path.to_path_buf());
        }
        Ok(index)
    }

    /// The file named `name`, else the first with the stem of `name`.
    pub fn find(&self, name: &str) -> Option<&PathBuf> {
        let stem = Path::new(name)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.by_name.get(name).or_else(|| self.by_stem.get(&stem))
    }

    /// The file whose stem is `stem`.
    pub fn stem(&self, stem: &str) -> Option<&PathBuf> {
        self.by_stem.get(stem)
    }
}

/// Seconds as a clip name prints them: without decimals when whole, else with `decimals`.
fn number(t: f64, decimals: usize) -> String {
    if t.fract() == 0.0 && decimals == 0 {
        format!("{t:.0}")
    } else {
        format!("{t:.decimals$}")
    }
}

/// The pre-cut clip names of `[start, end)` of YouTube video `ytid`, in lookup order.
pub fn precut_names(ytid: &str, start: f64, end: Option<f64>) -> Vec<String> {
    let mut names = Vec::new();
    if start.fract() == 0.0 && start < 1e6 {
        names.push(format!("{ytid}_{:06}", start as u64));
    }
    if let Some(end) = end {
        let whole = start.fract() == 0.0 && end.fract() == 0.0;
        for decimals in [0usize, 1, 3] {
            if decimals == 0 && !whole {
                continue;
            }
            let name = format!("{ytid}_{}_{}", number(start, decimals), number(end, decimals));
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names.push(format!("{ytid}_{}", (start * 1000.0).round() as u64));
    names
}

/// A found source video and where the clip starts in it.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    /// The video file.
    pub video: PathBuf,
    /// Seconds from the file's start to the clip's start (0 for a pre-cut clip).
    pub offset: f64,
}

/// The source of the clip `[start, end)` of YouTube video `ytid` among `roots` (in order).
pub fn find_youtube(roots: &[FileIndex], ytid: &str, start: f64, end: Option<f64>) -> Option<Found> {
    let names = precut_names(ytid, start, end);
    roots.iter().find_map(|root| {
        names
            .iter()
            .find_map(|n| root.stem(n))
            .map(|video| Found {
                video: video.clone(),
                offset: 0.0,
            })
            .or_else(|| {
                root.stem(ytid).map(|video| Found {
                    video: video.clone(),
                    offset: start,
                })
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precut_names_per_dataset() {
        assert_eq!(
            precut_names("KSRjje7GH44", 60.0, Some(70.0)),
            [
                "KSRjje7GH44_000060",
                "KSRjje7GH44_60_70",
                "KSRjje7GH44_60.0_70.0",
                "KSRjje7GH44_60.000_70.000",
                "KSRjje7GH44_60000"
            ]
        );
        assert_eq!(
            precut_names("Agi5ySKb1tY", 23.7, Some(33.7)),
            [
                "Agi5ySKb1tY_23.7_33.7",
                "Agi5ySKb1tY_23.700_33.700",
                "Agi5ySKb1tY_23700"
            ]
        );
    }
}
