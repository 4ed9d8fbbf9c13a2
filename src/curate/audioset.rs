//! AudioSet (Gemmeke et al., ICASSP 2017), weak clip labels: an audio side of the curated row
//! `openimages_audioset`. Read by [`crate::curate`].
//!
//! Native files:
//! * `*_segments.csv` (`balanced_train_segments.csv`, `unbalanced_train_segments.csv`,
//!   `eval_segments.csv`): three `#` comment lines, then `YTID, start_seconds, end_seconds,
//!   positive_labels` with `", "` separators and the MIDs quoted and comma-joined
//!   (`--4gqARaEJE, 0.000, 10.000, "/m/068hy,/m/07q6cd_,/m/0bt9lr,/m/0jbk"`).
//! * `class_labels_indices.csv` (`index,mid,display_name`, 527 classes): names only; the class map
//!   already names each MID's Open Images class, so it is a lookup, not a unit. Given as an
//!   input, it is checked to hold every AudioSet MID of the class map ([`crate::curate`]).
//!
//! Units: one segment row. Clip key (media name): `<ytid>_<start in ms>` (`--4gqARaEJE_0`),
//! as AudioSet Strong names its segments. Skipped: rows with no MID in the class map
//! (`class_not_in_map`). Rejected: missing fields, bad numbers (`malformed_field`), a bad id.

use super::classes::{AudioVocabulary, ClassId, ClassMap};
use crate::error::{Error, Result};
use crate::reason::{Reason, Skip};
use crate::sources::{parse_decimal, At, Collector};
use std::path::Path;

/// AudioSet: the paper its authors ask to cite and its licence as published (for the dataset card).
pub const CITATION: crate::sources::Citation = crate::sources::Citation {
    dataset: "AudioSet",
    paper: "Jort F. Gemmeke, Daniel P. W. Ellis, Dylan Freedman, Aren Jansen, Wade Lawrence, R. Channing Moore, Manoj Plakal, Marvin Ritter. Audio Set: An ontology and human-labeled dataset for audio events. ICASSP 2017.",
    licence: "CC BY 4.0 (Google Inc.; see https://research.google.com/audioset/download.html)",
};

/// One clip row of an audio label file, with its mapped classes.
#[derive(Clone, Debug, PartialEq)]
pub struct ClipRow {
    /// Media key of the clip (`<ytid>_<start>` in the dataset's own convention).
    pub key: String,
    /// YouTube id, for the `yt:` group.
    pub youtube_id: String,
    /// Start of the clip in the YouTube video, seconds.
    pub start: f64,
    /// Mapped classes of the row's labels (at least one), in label order.
    pub classes: Vec<ClassId>,
    /// 1-based line.
    pub line: u64,
}

/// Whether a file name is an AudioSet segments file.
pub fn is_segments_file(name: &str) -> bool {
    name.ends_with("segments.csv")
}

/// What parsing one row of an audio side's label file gave: a segments file's row here, an event
/// of AudioSet Strong ([`super::audioset_strong`]) or a row of VGGSound ([`super::vggsound`]).
pub(super) enum LabelLine<T> {
    /// A `#` comment or a blank line (segments files): not a unit.
    Ignored,
    /// A row with no class in the class map.
    Unmapped,
    /// A malformed row.
    Reject(Reason, String),
    /// A valid row.
    Row(T),
}

impl<T> LabelLine<T> {
    /// Reports the row at 1-based `line` of `path` through `out`: every row but an ignored line
    /// is a unit read; an unmapped one is skipped (`class_not_in_map`), a malformed one rejected
    /// at its line, a valid one handed to `each`.
    ///
    /// Errors: what `out.reject` or `each` returns.
    pub(super) fn report(
        self,
        path: &Path,
        line: u64,
        out: &mut Collector,
        each: impl FnOnce(T, &mut Collector) -> Result<()>,
    ) -> Result<()> {
        if !matches!(self, LabelLine::Ignored) {
            out.read(1);
        }
        match self {
            LabelLine::Ignored => Ok(()),
            LabelLine::Unmapped => {
                out.skip(Skip::ClassNotInMap, 1);
                Ok(())
            }
            LabelLine::Reject(reason, detail) => out.reject(path, At::Line(line), reason, detail),
            LabelLine::Row(row) => each(row, out),
        }
    }
}

/// Streams `*_segments.csv`: counts every row, skips unmapped rows, rejects malformed ones, and
/// calls `each` with the others. The lines are parsed in chunks on rayon's pool
/// ([`crate::sources::chunked::for_each_line`]) and handed to `each` in file order.
///
/// Errors: unreadable file.
pub fn stream_segments(
    path: &Path,
    classes: &ClassMap,
    out: &mut Collector,
    mut each: impl FnMut(ClipRow, &mut Collector) -> Result<()>,
) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    crate::sources::chunked::for_each_line(
        path,
        file,
        |text, line| parse_segment_line(text, line, classes),
        |parsed, line| parsed.report(path, line, out, &mut each),
    )
}

/// Parses line `line` (1-based) of a segments file, `text` without its `\n`.
fn parse_segment_line(text: &[u8], line: u64, classes: &ClassMap) -> LabelLine<ClipRow> {
    let text = match std::str::from_utf8(text) {
        Ok(t) => t.trim_end_matches('\r'),
        Err(e) => return LabelLine::Reject(Reason::MalformedField, format!("not UTF-8 text: {e}")),
    };
    if text.starts_with('#') || text.trim().is_empty() {
        return LabelLine::Ignored;
    }
    // The label list is quoted and holds commas: split off the first three fields only.
    let mut fields = text.splitn(4, ',').map(str::trim);
    let (ytid, start, end, labels) = (fields.next(), fields.next(), fields.next(), fields.next());
    let (Some(ytid), Some(start), Some(end), Some(labels)) = (ytid, start, end, labels) else {
        return LabelLine::Reject(
            Reason::MissingField,
            "expected YTID, start_seconds, end_seconds, positive_labels".into(),
        );
    };
    if !crate::sources::is_youtube_id(ytid) {
        return LabelLine::Reject(Reason::BadClipId, format!("`{ytid}` is not a YouTube id"));
    }
    let start = match (parse_decimal(start), parse_decimal(end)) {
        (Some(s), Some(e)) if s.is_finite() && e.is_finite() && 0.0 <= s && s < e && s < 1e9 => s,
        _ => {
            let detail =
                format!("{ytid}: start_seconds `{start}`, end_seconds `{end}` are not a window 0 <= start < end");
            return LabelLine::Reject(Reason::MalformedField, detail);
        }
    };
    let mut mapped: Vec<ClassId> = Vec::new();
    for mid in labels.trim_matches('"').split(',').map(str::trim) {
        if let Some(c) = classes.of_audio(AudioVocabulary::AudioSet, mid) {
            if !mapped.contains(&c) {
                mapped.push(c);
            }
        }
    }
    if mapped.is_empty() {
        return LabelLine::Unmapped;
    }
    LabelLine::Row(ClipRow {
        key: format!("{ytid}_{}", (start * 1000.0).round() as i64),
        youtube_id: ytid.to_string(),
        start,
        classes: mapped,
        line,
    })
}
