//! AudioSet Strong (Hershey et al., ICASSP 2021), temporally strong labels: the audio side of the
//! curated row `openimages_audioset_strong`. Read by [`crate::curate`].
//!
//! Native files:
//! * `audioset_train_strong.tsv`, `audioset_eval_strong.tsv`: TAB, header
//!   `segment_id start_time_seconds end_time_seconds label`, one event per row. `segment_id` is
//!   `<ytid>_<N>` with the clip's start in **milliseconds** (`s9d-2nhuJCQ_30000`); times are seconds
//!   within the 10 s clip (3 decimals); `label` is a MID.
//! * `mid_to_display_name.tsv` (no header, `MID<TAB>name`): names only; 74 MIDs exist only in
//!   the strong vocabulary, which is why the class map lists strong MIDs apart (a lookup, not units).
//!   Given as an input, it is checked to hold every strong MID of the class map ([`crate::curate`]).
//!
//! Units: one event row. Clip key (media name): the `segment_id`. Events of one clip and class are
//! merged where they overlap or touch by [`crate::curate`]. Skipped: MIDs outside the class map
//! (`class_not_in_map`). Rejected: a bad `segment_id`, bad numbers, zero-length or reversed events,
//! events outside [0, 10] s.

use super::audioset::LabelLine;
use super::classes::{AudioVocabulary, ClassId, ClassMap};
use crate::error::{Error, Result};
use crate::geometry::Segment;
use crate::reason::Reason;
use crate::sources::{parse_decimal, Collector};
use std::path::Path;

/// AudioSet Strong: the paper its authors ask to cite and its licence as published (for the dataset card).
pub const CITATION: crate::sources::Citation = crate::sources::Citation {
    dataset: "AudioSet Strong",
    paper: "Shawn Hershey, Daniel P. W. Ellis, Eduardo Fonseca, Aren Jansen, Caroline Liu, R. Channing Moore, Manoj Plakal. The Benefit of Temporally-Strong Labels in Audio Event Classification. ICASSP 2021.",
    licence: "CC BY 4.0 (Google; see https://research.google.com/audioset/download_strong.html)",
};

/// Length of an AudioSet clip in seconds.
pub const AUDIOSET_CLIP_SECONDS: f64 = 10.0;

/// One valid event of a mapped class.
#[derive(Clone, Debug, PartialEq)]
pub struct EventRow {
    /// The `segment_id` (`<ytid>_<start ms>`), the clip's media key.
    pub key: String,
    /// YouTube id.
    pub youtube_id: String,
    /// Start of the clip in the YouTube video, seconds (the `<start ms>` of its id / 1000).
    pub start: f64,
    /// Mapped class of the MID.
    pub class: ClassId,
    /// The event, seconds within the clip.
    pub segment: Segment,
    /// 1-based line.
    pub line: u64,
}

/// Whether a file name is an AudioSet Strong event file.
pub fn is_strong_file(name: &str) -> bool {
    name.contains("strong") && name.ends_with(".tsv")
}

/// Streams a strong TSV: counts every row, skips unmapped MIDs, rejects malformed rows, and calls
/// `each` with every valid event. The rows are parsed in chunks on rayon's pool
/// ([`crate::sources::chunked::for_each_delimited_row`]) and handed to `each` in file order.
///
/// Errors: unreadable file, a header without the four columns.
pub fn stream_events(
    path: &Path,
    classes: &ClassMap,
    out: &mut Collector,
    mut each: impl FnMut(EventRow, &mut Collector) -> Result<()>,
) -> Result<()> {
    use crate::sources::chunked;
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut text = crate::sources::UnixLines::new(file);
    let headers = chunked::read_header(path, &mut text, b'\t', false)?;
    let column = |name: &str| headers.iter().position(|h| h == name);
    let [Some(c_segment), Some(c_start), Some(c_end), Some(c_label)] =
        ["segment_id", "start_time_seconds", "end_time_seconds", "label"].map(column)
    else {
        return Err(Error::input(
            path,
            Some(1),
            "expected the header `segment_id start_time_seconds end_time_seconds label`",
        ));
    };
    let columns = [c_segment, c_start, c_end, c_label];
    chunked::for_each_delimited_row(
        path,
        text,
        2,
        b'\t',
        false,
        |line, row| (line, parse_event_row(line, row, columns, classes)),
        |(line, parsed)| parsed.report(path, line, out, &mut each),
    )
}

/// Parses data row `row` at `line` of a strong TSV whose `segment_id`, `start_time_seconds`,
/// `end_time_seconds` and `label` are `columns`.
fn parse_event_row(
    line: u64,
    row: std::result::Result<&csv::StringRecord, String>,
    columns: [usize; 4],
    classes: &ClassMap,
) -> LabelLine<EventRow> {
    let row = match row {
        Ok(row) => row,
        Err(why) => return LabelLine::Reject(Reason::MalformedField, why),
    };
    let [c_segment, c_start, c_end, c_label] = columns;
    let (Some(segment_id), Some(start), Some(end), Some(mid)) =
        (row.get(c_segment), row.get(c_start), row.get(c_end), row.get(c_label))
    else {
        return LabelLine::Reject(Reason::MissingField, format!("{} fields, expected 4", row.len()));
    };
    let Some(class) = classes.of_audio(AudioVocabulary::AudioSetStrong, mid) else {
        return LabelLine::Unmapped;
    };
    let (youtube_id, clip_start) = match segment_id.rsplit_once('_') {
        Some((yt, ms))
            if crate::sources::is_youtube_id(yt) && !ms.is_empty() && ms.bytes().all(|b| b.is_ascii_digit()) =>
        {
            (yt, ms.parse::<f64>().unwrap_or(0.0) / 1000.0)
        }
        _ => {
            return LabelLine::Reject(Reason::BadClipId, format!("`{segment_id}` is not <ytid>_<start ms>"));
        }
    };
    let (Some(onset), Some(offset)) = (parse_decimal(start), parse_decimal(end)) else {
        return LabelLine::Reject(
            Reason::MalformedField,
            format!("{segment_id}: times `{start}` / `{end}` are not numbers"),
        );
    };
    match Segment::new(onset, offset, Some(AUDIOSET_CLIP_SECONDS)) {
        Ok(segment) => LabelLine::Row(EventRow {
            key: segment_id.to_string(),
            youtube_id: youtube_id.to_string(),
            start: clip_start,
            class,
            segment,
            line,
        }),
        Err(e) => LabelLine::Reject(e.reason, format!("{segment_id} {mid}: {}", e.detail)),
    }
}
