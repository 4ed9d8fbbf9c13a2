//! Media probing: image dimensions from the file header and WAV duration and sample rate, and
//! the `--check-media` rule that rejects samples whose media are missing or unreadable.
//!
//! Paths in samples are relative to a media root (`--media-root DIR`); see
//! [`crate::media_layout`] for how they are formed.

use crate::reason::Reason;
use crate::record::{Record, Target};
use std::path::{Path, PathBuf};

/// How far (seconds) an IGATL segment may end past the WAV's duration and be clamped to it
/// (encoders pad or trim a few milliseconds); further is `segment_out_of_range`.
pub const DURATION_TOLERANCE: f64 = 0.1;

/// Width and height in pixels of an image, read from its header without decoding the pixels.
/// The format is recognized from the content, not the extension (frames named `.jpg` in the
/// Meerkat layout may hold PNG, as AVSBench's do).
///
/// Errors: the file is missing or not an image format avfit reads (PNG, JPEG), as a message.
pub fn image_size(path: &Path) -> Result<(u32, u32), String> {
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    image::ImageReader::open(path)
        .map_err(|e| fail(&e))?
        .with_guessed_format()
        .map_err(|e| fail(&e))?
        .into_dimensions()
        .map_err(|e| fail(&e))
}

/// What a WAV header says.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WavInfo {
    /// Length in seconds (frames / sample rate).
    pub duration: f64,
    /// Samples per second per channel, in Hz.
    pub sample_rate: u32,
}

/// Duration (seconds) and sample rate (Hz) of a WAV file, from its header.
///
/// Errors: the file is missing or not a readable WAV, as a message.
pub fn wav_info(path: &Path) -> Result<WavInfo, String> {
    let reader = hound::WavReader::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let spec = reader.spec();
    if spec.sample_rate == 0 {
        return Err(format!("{}: sample rate 0", path.display()));
    }
    Ok(WavInfo {
        duration: reader.duration() as f64 / spec.sample_rate as f64,
        sample_rate: spec.sample_rate,
    })
}

/// Media settings of a run: the root that sample paths are relative to, and whether missing or
/// unreadable media reject their sample.
#[derive(Clone, Debug)]
pub struct MediaRoot {
    /// The directory media paths are relative to.
    pub root: PathBuf,
    /// `--check-media`: reject samples whose image or audio is missing or unreadable.
    pub check: bool,
}

impl MediaRoot {
    /// The absolute-or-relative path of a sample's media `rel` under the root.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Applies the media rules to `record` before it becomes a sample:
    /// * IGATL: when the audio is a readable WAV, `duration` becomes its length in seconds and
    ///   segments ending up to [`DURATION_TOLERANCE`] past it are clamped to it;
    /// * with `check`, the image must have a readable header and the audio must be a readable WAV.
    ///
    /// Errors: (`missing_media`, the path and why) or (`segment_out_of_range`, the segment and
    /// the WAV's duration).
    pub fn apply(&self, record: &mut Record) -> Result<(), (Reason, String)> {
        if self.check {
            if let Some(image) = &record.media.image {
                image_size(&self.path(image)).map_err(|e| (Reason::MissingMedia, e))?;
            }
        }
        let Some(audio) = &record.media.audio else {
            return Ok(());
        };
        let path = self.path(audio);
        let wav = match wav_info(&path) {
            Ok(wav) => Some(wav),
            Err(e) if self.check => return Err((Reason::MissingMedia, e)),
            Err(_) => None,
        };
        if let (Some(wav), Target::Igatl { segments, duration, .. }) = (wav, &mut record.target) {
            for s in segments.iter_mut() {
                if s.end() > wav.duration + DURATION_TOLERANCE || s.start() >= wav.duration {
                    let detail = format!(
                        "segment {:?} ends after the {} s of {}",
                        s.0,
                        wav.duration,
                        path.display()
                    );
                    return Err((Reason::SegmentOutOfRange, detail));
                }
                s.0[1] = s.end().min(wav.duration);
            }
            *duration = wav.duration;
        }
        Ok(())
    }
}
