//! Media paths of a sample, relative to the media root, in the Meerkat layout by default:
//! `<dataset>/audios/<key>.wav`, `<dataset>/frames/<key>.jpg`, a frame at `t` seconds
//! `<dataset>/frames/<key>_<t>.jpg` (t with one decimal, `_3.5.jpg`), `<dataset>/videos/<key>.mp4`.
//! A build manifest may override any pattern per source (`[source.media]`).
//!
//! A key from an input file becomes part of a path here, so every adapter checks each such key
//! with [`check_path_key`] where it reads it, and rejects the record when it fails.

use serde::{Deserialize, Serialize};

/// Path patterns of one source. `{dataset}`, `{key}` and (for frames) `{t}` are replaced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaLayout {
    /// The dataset's folder under the media root (default: the source name).
    pub dataset: String,
    /// Still image of a clip or an image dataset.
    #[serde(default = "default_image")]
    pub image: String,
    /// A video frame at `{t}` seconds.
    #[serde(default = "default_frame")]
    pub frame: String,
    /// Audio clip.
    #[serde(default = "default_audio")]
    pub audio: String,
    /// Video clip.
    #[serde(default = "default_video")]
    pub video: String,
}

/// A build manifest's `[source.media]` table: the patterns it names replace the source's own
/// (its [`crate::sources::Source::default_media`]); the others stay.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaOverride {
    /// Replaces [`MediaLayout::dataset`].
    pub dataset: Option<String>,
    /// Replaces [`MediaLayout::image`].
    pub image: Option<String>,
    /// Replaces [`MediaLayout::frame`].
    pub frame: Option<String>,
    /// Replaces [`MediaLayout::audio`].
    pub audio: Option<String>,
    /// Replaces [`MediaLayout::video`].
    pub video: Option<String>,
}

impl MediaOverride {
    /// `base` with the patterns this override names in their place.
    pub fn over(&self, base: &MediaLayout) -> MediaLayout {
        let pick = |given: &Option<String>, kept: &String| given.clone().unwrap_or_else(|| kept.clone());
        MediaLayout {
            dataset: pick(&self.dataset, &base.dataset),
            image: pick(&self.image, &base.image),
            frame: pick(&self.frame, &base.frame),
            audio: pick(&self.audio, &base.audio),
            video: pick(&self.video, &base.video),
        }
    }
}

fn default_image() -> String {
    "{dataset}/frames/{key}.jpg".into()
}
fn default_frame() -> String {
    "{dataset}/frames/{key}_{t}.jpg".into()
}
fn default_audio() -> String {
    "{dataset}/audios/{key}.wav".into()
}
fn default_video() -> String {
    "{dataset}/videos/{key}.mp4".into()
}

/// Checks that `value`, read from the input field `field` (`video_id`, `ImageID`, ...), can be
/// one path component of a media file name: it must not be empty, `.` or `..`, nor contain `/`,
/// `\`, NUL or any other control character. Everything else is allowed (Clotho's file names hold
/// spaces, commas and `&amp;`).
///
/// Errors: the detail for the rejects line, naming the field and the value (escaped with
/// [`crate::error::escape`]) and what is wrong, as in ``video_id `../x` cannot be a file name: it
/// contains `/` ``.
pub fn check_path_key(field: &str, value: &str) -> Result<(), String> {
    // One pass for the usual key (every real id: letters, digits, `_`, `-`, `.`), which is a
    // file name unless it is `.` or `..`; this runs once per row of the bbox files.
    let usual = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    if !value.is_empty() && value.bytes().all(usual) && value != "." && value != ".." {
        return Ok(());
    }
    let why = if value.is_empty() {
        "it is empty"
    } else if value == "." || value == ".." {
        "it is a directory reference"
    } else if value.contains('/') {
        "it contains `/`"
    } else if value.contains('\\') {
        "it contains `\\`"
    } else if value.contains('\0') {
        "it contains NUL"
    } else if value.chars().any(char::is_control) {
        "it contains a control character"
    } else {
        return Ok(());
    };
    Err(format!(
        "{field} `{}` cannot be a file name: {why}",
        crate::error::escape(value)
    ))
}

impl MediaLayout {
    /// The Meerkat layout for `dataset`.
    pub fn meerkat(dataset: &str) -> Self {
        MediaLayout {
            dataset: dataset.into(),
            image: default_image(),
            frame: default_frame(),
            audio: default_audio(),
            video: default_video(),
        }
    }

    fn fill(&self, pattern: &str, key: &str) -> String {
        let mut path = String::with_capacity(pattern.len() + self.dataset.len() + key.len());
        self.fill_into(pattern, key, &mut path);
        path
    }

    /// Appends `pattern` to `path` with `{dataset}` and `{key}` filled in.
    fn fill_into(&self, pattern: &str, key: &str, path: &mut String) {
        // One pass over the pattern (this runs once per media path of every record).
        let mut rest = pattern;
        while let Some(open) = memchr::memchr(b'{', rest.as_bytes()) {
            path.push_str(&rest[..open]);
            let tail = &rest[open..];
            if let Some(after) = tail.strip_prefix("{dataset}") {
                path.push_str(&self.dataset);
                rest = after;
            } else if let Some(after) = tail.strip_prefix("{key}") {
                path.push_str(key);
                rest = after;
            } else {
                path.push('{');
                rest = &tail[1..];
            }
        }
        path.push_str(rest);
    }

    /// Image path of `key`.
    pub fn image(&self, key: &str) -> String {
        self.fill(&self.image, key)
    }

    /// [`MediaLayout::image`] appended to `path` (for [`crate::record::text_with`]).
    pub fn image_into(&self, key: &str, path: &mut String) {
        self.fill_into(&self.image, key, path)
    }

    /// Path of the frame of `key` at `t` seconds (printed with one decimal).
    pub fn frame_at(&self, key: &str, t: f64) -> String {
        self.fill(&self.frame, key).replace("{t}", &format!("{t:.1}"))
    }

    /// Audio path of `key`.
    pub fn audio(&self, key: &str) -> String {
        self.fill(&self.audio, key)
    }

    /// Video path of `key`.
    pub fn video(&self, key: &str) -> String {
        self.fill(&self.video, key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meerkat_paths() {
        let m = MediaLayout::meerkat("llp");
        assert_eq!(m.image("a_0_10"), "llp/frames/a_0_10.jpg");
        assert_eq!(m.frame_at("a_0_10", 3.5), "llp/frames/a_0_10_3.5.jpg");
        assert_eq!(m.frame_at("a_0_10", 5.0), "llp/frames/a_0_10_5.0.jpg");
        assert_eq!(m.audio("a_0_10"), "llp/audios/a_0_10.wav");
        assert_eq!(m.video("a_0_10"), "llp/videos/a_0_10.mp4");
        let custom = MediaLayout {
            audio: "sound/{key}.flac".into(),
            ..MediaLayout::meerkat("x")
        };
        assert_eq!(custom.audio("k"), "sound/k.flac");
    }

    #[test]
    fn path_keys_are_one_component() {
        for ok in ["a_0_10", "Blender 2, &amp; more.wav", "-x", "...", "a..b", "é"] {
            assert_eq!(check_path_key("id", ok), Ok(()), "{ok}");
        }
        let err = |v: &str| check_path_key("video_id", v).unwrap_err();
        assert_eq!(err(""), "video_id `` cannot be a file name: it is empty");
        assert_eq!(
            err("."),
            "video_id `.` cannot be a file name: it is a directory reference"
        );
        assert_eq!(
            err(".."),
            "video_id `..` cannot be a file name: it is a directory reference"
        );
        assert_eq!(
            err("../../../../tmp/x/secret"),
            "video_id `../../../../tmp/x/secret` cannot be a file name: it contains `/`"
        );
        assert_eq!(
            err("/etc/passwd"),
            "video_id `/etc/passwd` cannot be a file name: it contains `/`"
        );
        assert_eq!(err("a\\b"), "video_id `a\\\\b` cannot be a file name: it contains `\\`");
        assert_eq!(err("a\0b"), "video_id `a\\0b` cannot be a file name: it contains NUL");
        assert_eq!(
            err("a\nb"),
            "video_id `a\\nb` cannot be a file name: it contains a control character"
        );
        assert_eq!(
            err("a\u{1b}b"),
            "video_id `a\\u{1b}b` cannot be a file name: it contains a control character"
        );
    }
}
