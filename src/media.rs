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

/// The largest width or height, in pixels, of a media image avfit reads (a frame or photo whose
/// size is read from its header, `--check-media`, `validate --media-root`, the report's gallery):
/// far above any real frame (AVSBench 224, VOC about 500, Open Images at most a few thousand).
pub const MAX_IMAGE_SIDE: u32 = 16_384;

/// The most bytes one decoded image may take in memory (128 MiB): a decompression bomb (a small
/// file declaring a huge image) is refused before its pixels are allocated.
pub const MAX_DECODED_BYTES: u64 = 128 << 20;

/// The file of the media path `rel` (as written in a sample, relative to the media root) under
/// `root`. The path is judged on its text: it is refused when it is absolute (starts with `/` or
/// `\`) or has a `..` component (split on `/` and `\`), so no media read leaves the root through
/// the path itself; symbolic links inside the root are followed as usual.
///
/// Errors: the refusal, naming the path (escaped).
pub fn media_path(root: &Path, rel: &str) -> Result<PathBuf, String> {
    let absolute = rel.starts_with(['/', '\\']) || Path::new(rel).is_absolute();
    if absolute || rel.split(['/', '\\']).any(|c| c == "..") {
        return Err(format!(
            "media path `{}` is absolute or has a `..` component: refused",
            crate::error::escape(rel)
        ));
    }
    Ok(root.join(rel))
}

/// The image decoder of the file at `path`, its format recognized from the content (not the
/// extension: frames named `.jpg` in the Meerkat layout may hold PNG, as AVSBench's do), its
/// declared width and height checked against `max_side` pixels before any pixel is read.
fn image_decoder(path: &Path, max_side: u32) -> Result<impl image::ImageDecoder, String> {
    use image::ImageDecoder;
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let mut reader = image::ImageReader::open(path)
        .map_err(|e| fail(&e))?
        .with_guessed_format()
        .map_err(|e| fail(&e))?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    let decoder = reader.into_decoder().map_err(|e| fail(&e))?;
    let (w, h) = decoder.dimensions();
    if w > max_side || h > max_side {
        return Err(fail(&format!(
            "the image declares {w}x{h} px, above the {max_side}x{max_side} px limit"
        )));
    }
    Ok(decoder)
}

/// Width and height in pixels of an image, read from its header without decoding the pixels.
/// The format is recognized from the content, not the extension (frames named `.jpg` in the
/// Meerkat layout may hold PNG, as AVSBench's do).
///
/// Errors: the file is missing or not an image format avfit reads (PNG, JPEG), or it declares a
/// side above [`MAX_IMAGE_SIDE`], as a message with the path.
pub fn image_size(path: &Path) -> Result<(u32, u32), String> {
    use image::ImageDecoder;
    Ok(image_decoder(path, MAX_IMAGE_SIDE)?.dimensions())
}

/// Decodes the image at `path` (PNG or JPEG, recognized from the content) when its header
/// declares at most `max_side` × `max_side` pixels and its pixels take at most
/// [`MAX_DECODED_BYTES`].
///
/// Errors: the file is missing or unreadable, declares a larger image (the message gives its
/// `W`x`H` and the limit), or its pixels would take more memory, as a message with the path.
pub fn decode_image(path: &Path, max_side: u32) -> Result<image::DynamicImage, String> {
    use image::ImageDecoder;
    let decoder = image_decoder(path, max_side)?;
    let bytes = decoder.total_bytes();
    if bytes > MAX_DECODED_BYTES {
        let (w, h) = decoder.dimensions();
        return Err(format!(
            "{}: the image's {w}x{h} px take {bytes} bytes, above the {MAX_DECODED_BYTES} byte limit",
            path.display()
        ));
    }
    image::DynamicImage::from_decoder(decoder).map_err(|e| format!("{}: {e}", path.display()))
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
    /// The file of a sample's media path `rel` under the root ([`media_path`]).
    ///
    /// Errors: `rel` is absolute or has a `..` component.
    pub fn path(&self, rel: &str) -> Result<PathBuf, String> {
        media_path(&self.root, rel)
    }

    /// Applies the media rules to `record` before it becomes a sample:
    /// * IGATL: when the audio is a readable WAV, `duration` becomes its length in seconds and
    ///   segments ending up to [`DURATION_TOLERANCE`] past it are clamped to it;
    /// * a media path (image, audio or video) that is absolute or has a `..` component
    ///   ([`media_path`]) is never read: the record is rejected `missing_media`, with or without
    ///   `check`;
    /// * with `check`, the image must have a readable header, the audio must be a readable WAV and
    ///   the video must pass [`video_header`].
    ///
    /// Errors: (`missing_media`, the path and why) or (`segment_out_of_range`, the segment and
    /// the WAV's duration).
    pub fn apply(&self, record: &mut Record) -> Result<(), (Reason, String)> {
        let media = &record.media;
        for rel in [&media.image, &media.audio, &media.video].into_iter().flatten() {
            self.path(rel).map_err(|e| (Reason::MissingMedia, e))?;
        }
        if self.check {
            if let Some(image) = &record.media.image {
                self.path(image)
                    .and_then(|p| image_size(&p))
                    .map_err(|e| (Reason::MissingMedia, e))?;
            }
            if let Some(video) = &record.media.video {
                self.path(video)
                    .and_then(|p| video_header(&p).map(|_| ()))
                    .map_err(|e| (Reason::MissingMedia, e))?;
            }
        }
        let Some(audio) = &record.media.audio else {
            return Ok(());
        };
        let path = self.path(audio).map_err(|e| (Reason::MissingMedia, e))?;
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

    /// [`MediaRoot::apply`] as a rejects line's reason and detail, the detail prefixed with the
    /// record's key (`<key>: <why>`); `None` when the media pass.
    pub fn problem(&self, record: &mut Record) -> Option<(Reason, String)> {
        self.apply(record)
            .err()
            .map(|(reason, detail)| (reason, format!("{}: {detail}", record.key)))
    }
}
