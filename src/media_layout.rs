//! Media paths of a sample, relative to the media root, in the Meerkat layout by default:
//! `<dataset>/audios/<key>.wav`, `<dataset>/frames/<key>.jpg`, a frame at `t` seconds
//! `<dataset>/frames/<key>_<t>.jpg` (t with one decimal, `_3.5.jpg`), `<dataset>/videos/<key>.mp4`.
//! A build manifest may override any pattern per source (`[source.media]`).

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
        // One pass over the pattern (this runs once per media path of every record).
        let mut path = String::with_capacity(pattern.len() + self.dataset.len() + key.len());
        let mut rest = pattern;
        while let Some(open) = rest.find('{') {
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
        path
    }

    /// Image path of `key`.
    pub fn image(&self, key: &str) -> String {
        self.fill(&self.image, key)
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
}
