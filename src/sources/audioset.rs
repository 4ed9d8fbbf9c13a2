//! AudioSet (Gemmeke et al., ICASSP 2017), weak clip labels: an audio side of the curated row
//! `openimages_audioset`. Read by [`crate::curate`].
//!
//! Native files:
//! * `*_segments.csv` (`balanced_train_segments.csv`, `unbalanced_train_segments.csv`,
//!   `eval_segments.csv`): three `#` comment lines, then `YTID, start_seconds, end_seconds,
//!   positive_labels` with `", "` separators and the MIDs quoted and comma-joined
//!   (`--4gqARaEJE, 0.000, 10.000, "/m/068hy,/m/07q6cd_,/m/0bt9lr,/m/0jbk"`).
//! * `class_labels_indices.csv` (`index,mid,display_name`, 527 classes): names only; the class map
//!   already names each MID's Open Images class, so it is a lookup, not a unit.
//!
//! Units: one segment row. Clip key (media name): `<ytid>_<start in ms>` (`--4gqARaEJE_0`),
//! as AudioSet Strong names its segments. Skipped: rows with no MID in the class map
//! (`class_not_in_map`). Rejected: missing fields, bad numbers (`malformed_field`), a bad id.

use super::{At, Collector};
use crate::classes::{AudioVocabulary, ClassId, ClassMap};
use crate::error::Result;
use crate::reason::{Reason, Skip};
use std::path::Path;

/// One clip row of an audio label file, with its mapped classes.
#[derive(Clone, Debug, PartialEq)]
pub struct ClipRow {
    /// Media key of the clip (`<ytid>_<start>` in the dataset's own convention).
    pub key: String,
    /// YouTube id, for the `yt:` group.
    pub youtube_id: String,
    /// Mapped classes of the row's labels (at least one), in label order.
    pub classes: Vec<ClassId>,
    /// 1-based line.
    pub line: u64,
}

/// Whether a file name is an AudioSet segments file.
pub fn is_segments_file(name: &str) -> bool {
    name.ends_with("segments.csv")
}

/// Streams `*_segments.csv`: counts every row, skips unmapped rows, rejects malformed ones, and
/// calls `each` with the others.
///
/// Errors: unreadable file.
pub fn stream_segments(
    path: &Path,
    classes: &ClassMap,
    out: &mut Collector,
    mut each: impl FnMut(ClipRow, &mut Collector) -> Result<()>,
) -> Result<()> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_path(path)
        .map_err(|e| crate::error::Error::input(path, None, e.to_string()))?;
    super::for_each_row(path, &mut reader, |line, row| {
        out.read(1);
        let at = At::Line(line);
        let row = match row {
            Ok(row) => row,
            Err(why) => return out.reject(path, at, Reason::MalformedField, why),
        };
        let (Some(ytid), Some(start), Some(labels)) = (row.get(0), row.get(1), row.get(3)) else {
            return out.reject(
                path,
                at,
                Reason::MissingField,
                format!(
                    "{} fields, expected YTID, start_seconds, end_seconds, positive_labels",
                    row.len()
                ),
            );
        };
        if !super::is_youtube_id(ytid) {
            return out.reject(path, at, Reason::BadClipId, format!("`{ytid}` is not a YouTube id"));
        }
        let Ok(start) = start.parse::<f64>() else {
            return out.reject(
                path,
                at,
                Reason::MalformedField,
                format!("{ytid}: start_seconds `{start}` is not a number"),
            );
        };
        let mut mapped: Vec<ClassId> = Vec::new();
        for mid in labels.split(',').map(str::trim) {
            if let Some(c) = classes.of_audio(AudioVocabulary::AudioSet, mid) {
                if !mapped.contains(&c) {
                    mapped.push(c);
                }
            }
        }
        if mapped.is_empty() {
            out.skip(Skip::ClassNotInMap, 1);
            return Ok(());
        }
        let key = format!("{ytid}_{}", (start * 1000.0).round() as i64);
        each(
            ClipRow {
                key,
                youtube_id: ytid.to_string(),
                classes: mapped,
                line,
            },
            out,
        )
    })
}
