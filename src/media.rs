//! Media probing: image dimensions from the file header, WAV duration and sample rate, video
//! container headers, and the `--check-media` rule that rejects samples whose media are missing
//! or unreadable (the same probes `avfit validate --media-root` applies).
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

/// Top-level ISO-BMFF box types a file may start with (ISO/IEC 14496-12 `ftyp`, `styp`, `moov`,
/// `mdat`, `free`, `skip`, `uuid`, `pdin`, `meta`; QuickTime's `wide` and `pnot`).
const ISO_BMFF_FIRST_BOXES: [&[u8; 4]; 11] = [
    b"ftyp", b"styp", b"moov", b"mdat", b"free", b"skip", b"uuid", b"pdin", b"meta", b"wide", b"pnot",
];

/// The container a video file's extension names, and the header it must start with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VideoContainer {
    /// `.mp4`, `.m4v`, `.mov`, `.3gp`: an ISO-BMFF box header (32-bit big-endian size, 0, 1 or
    /// at least 8, then a known box type such as `ftyp`; size 1 has a 64-bit size of at least 16).
    IsoBmff,
    /// `.webm`, `.mkv`: the EBML magic `1A 45 DF A3`.
    Matroska,
    /// `.avi`: `RIFF`, a 32-bit size, `AVI `.
    Avi,
    /// Any other extension: only non-empty.
    Unknown,
}

impl VideoContainer {
    /// The container of `path` by its extension (case-insensitive).
    pub fn of(path: &Path) -> VideoContainer {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "mp4" | "m4v" | "mov" | "3gp" => VideoContainer::IsoBmff,
            "webm" | "mkv" => VideoContainer::Matroska,
            "avi" => VideoContainer::Avi,
            _ => VideoContainer::Unknown,
        }
    }

    /// Whether `head` (the file's first up to 16 bytes, the whole file when shorter) starts the
    /// way this container does; `Err` says what was expected.
    fn check_head(self, head: &[u8]) -> Result<(), &'static str> {
        match self {
            VideoContainer::IsoBmff => {
                let size = head.get(..4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
                let box_type = head.get(4..8);
                let large = head
                    .get(8..16)
                    .map(|b| u64::from_be_bytes(b.try_into().expect("8 bytes")));
                let size_ok = match size {
                    Some(0) => true,
                    Some(1) => large.is_some_and(|l| l >= 16),
                    Some(n) => n >= 8,
                    None => false,
                };
                if size_ok && box_type.is_some_and(|t| ISO_BMFF_FIRST_BOXES.iter().any(|b| &b[..] == t)) {
                    Ok(())
                } else {
                    Err("no ISO-BMFF box header (expected a box size and a type such as `ftyp`)")
                }
            }
            VideoContainer::Matroska if head.starts_with(&[0x1a, 0x45, 0xdf, 0xa3]) => Ok(()),
            VideoContainer::Matroska => Err("no EBML header (expected 1A 45 DF A3)"),
            VideoContainer::Avi if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"AVI " => Ok(()),
            VideoContainer::Avi => Err("no RIFF AVI header (expected `RIFF`, a size, `AVI `)"),
            VideoContainer::Unknown => Ok(()),
        }
    }
}

/// Checks that the video at `path` exists, is not empty and starts with the container header its
/// extension names ([`VideoContainer`]); the streams are not decoded.
///
/// Errors: `<path>: <why>` (`no such file`, `empty file`, the header expected, or the I/O error).
pub fn video_header(path: &Path) -> Result<VideoContainer, String> {
    use std::io::Read;
    let fail = |why: &dyn std::fmt::Display| format!("{}: {why}", path.display());
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => fail(&"no such file"),
        _ => fail(&e),
    })?;
    let mut head = Vec::with_capacity(16);
    file.take(16).read_to_end(&mut head).map_err(|e| fail(&e))?;
    if head.is_empty() {
        return Err(fail(&"empty file"));
    }
    let container = VideoContainer::of(path);
    container.check_head(&head).map_err(|why| fail(&why))?;
    Ok(container)
}

/// Media settings of a run: the root that sample paths are relative to, and whether missing or
/// unreadable media reject their sample.
#[derive(Clone, Debug)]
pub struct MediaRoot {
    /// The directory media paths are relative to.
    pub root: PathBuf,
    /// `--check-media`: reject samples whose image, audio or video is missing or unreadable.
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
    /// * with `check`, the image must have a readable header, the audio must be a readable WAV and
    ///   the video must pass [`video_header`].
    ///
    /// Errors: (`missing_media`, the path and why) or (`segment_out_of_range`, the segment and
    /// the WAV's duration).
    pub fn apply(&self, record: &mut Record) -> Result<(), (Reason, String)> {
        if self.check {
            if let Some(image) = &record.media.image {
                image_size(&self.path(image)).map_err(|e| (Reason::MissingMedia, e))?;
            }
            if let Some(video) = &record.media.video {
                video_header(&self.path(video)).map_err(|e| (Reason::MissingMedia, e))?;
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
