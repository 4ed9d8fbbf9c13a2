//! VGGSound (Chen et al., ICASSP 2020): an audio side of the curated row `openimages_vggsound`.
//! Read by [`crate::curate`].
//!
//! Native file: `vggsound.csv`, no header, `youtube_id,start_seconds,label,split` (split
//! `train|test`, ignored by the curated rows); start is an unpadded integer and the clip is
//! [start, start + 10) s; labels with commas are quoted (`"vehicle horn, car horn, honking"`).
//! The class list has near-duplicates (`playing timpani` / `playing tympani`) and typos
//! (`eletric blender running`): the class map names the exact strings.
//!
//! Units: one row. Clip key (media name): `<ytid>_<NNNNNN>`, the six-digit zero-padded start, as
//! VGGSound names its files. Skipped: labels outside the class map (`class_not_in_map`).
//! Rejected: missing fields, a non-integer start or one of more than six digits
//! (`malformed_field`), a bad id (`bad_clip_id`). The id column is the id as it is
//! (`YBd5lEnpT_8` with start 0 is the clip `YBd5lEnpT_8_000000`, group `yt:YBd5lEnpT_8`).

use super::audioset::{ClipRow, LabelLine};
use super::classes::{AudioVocabulary, ClassMap};
use crate::error::{Error, Result};
use crate::reason::Reason;
use crate::sources::Collector;
use std::path::Path;

/// VGGSound: the paper its authors ask to cite and its licence as published (for the dataset card).
pub const CITATION: crate::sources::Citation = crate::sources::Citation {
    dataset: "VGGSound",
    paper: "Honglie Chen, Weidi Xie, Andrea Vedaldi, Andrew Zisserman. VGGSound: A Large-scale Audio-Visual Dataset. ICASSP 2020.",
    licence: "CC BY 4.0 (see https://www.robots.ox.ac.uk/~vgg/data/vggsound/)",
};

/// Whether a file name is VGGSound's label file.
pub fn is_vggsound_file(name: &str) -> bool {
    name.starts_with("vggsound") && name.ends_with(".csv")
}

/// Streams `vggsound.csv`: counts every row, skips unmapped labels, rejects malformed rows, and
/// calls `each` with the others (one class each). The rows are parsed in chunks on rayon's pool
/// ([`crate::sources::chunked::for_each_delimited_row`], cut where the serial csv reader ends
/// records, so a quoted label with a comma or a line end stays whole) and handed to `each` in
/// file order, with the lines of a serial read.
///
/// Errors: unreadable file.
pub fn stream_clips(
    path: &Path,
    classes: &ClassMap,
    out: &mut Collector,
    mut each: impl FnMut(ClipRow, &mut Collector) -> Result<()>,
) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    crate::sources::chunked::for_each_delimited_row(
        path,
        crate::sources::UnixLines::new(file),
        1,
        b',',
        true,
        |line, row| (line, parse_clip_row(line, row, classes)),
        |(line, parsed)| parsed.report(path, line, out, &mut each),
    )
}

/// Parses row `row` (its fields trimmed, or why it is not text) at 1-based `line` of
/// `vggsound.csv`: `youtube_id,start_seconds,label,split`.
fn parse_clip_row(
    line: u64,
    row: std::result::Result<&csv::StringRecord, String>,
    classes: &ClassMap,
) -> LabelLine<ClipRow> {
    let row = match row {
        Ok(row) => row,
        Err(why) => return LabelLine::Reject(Reason::MalformedField, why),
    };
    let (Some(ytid), Some(start), Some(label)) = (row.get(0), row.get(1), row.get(2)) else {
        return LabelLine::Reject(
            Reason::MissingField,
            format!("{} fields, expected youtube_id,start_seconds,label,split", row.len()),
        );
    };
    if !crate::sources::is_youtube_id(ytid) {
        return LabelLine::Reject(Reason::BadClipId, format!("`{ytid}` is not a YouTube id"));
    }
    let Ok(start) = start.parse::<u32>() else {
        return LabelLine::Reject(
            Reason::MalformedField,
            format!("{ytid}: start `{start}` is not a whole number of seconds"),
        );
    };
    if start >= 10u32.pow(crate::sources::CLIP_START_DIGITS as u32) {
        return LabelLine::Reject(
            Reason::MalformedField,
            format!("{ytid}: start {start} does not fit the six digits of a clip name"),
        );
    }
    let Some(class) = classes.of_audio(AudioVocabulary::VggSound, label) else {
        return LabelLine::Unmapped;
    };
    LabelLine::Row(ClipRow {
        key: format!("{ytid}_{start:06}"),
        youtube_id: ytid.to_string(),
        start: start as f64,
        classes: vec![class],
        line,
    })
}
