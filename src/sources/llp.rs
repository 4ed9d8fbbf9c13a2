//! LLP / AVVP (Tian et al., "Unified Multisensory Perception", ECCV 2020) → IGATL, test.
//!
//! Native files (TAB-separated despite `.csv`, header row, one event per row):
//! * `AVVP_eval_audio.csv`: `filename onset offset event_labels` — the audio events;
//! * `AVVP_eval_visual.csv`: same columns — the visual events.
//!
//! `filename` is `<ytid>_<start>_<end>` (seconds, start may be fractional; parsed from the right).
//! onset/offset are seconds on the 10 one-second grid of the 10 s clip, offset exclusive
//! (`0 3` is [0, 3)). Labels are the 25 AVVP classes with underscores (`Frying_(food)`).
//!
//! One sample per (clip, audio label): the label's audio rows merged where they overlap or
//! touch; duration 10 s; the image is the frame at the midpoint of the label's first (merged)
//! visual segment, `llp/frames/<clip>_<t>.jpg`. A label never visible in the clip gets no sample:
//! each of its audio rows is rejected `not_visible`.
//!
//! Real defects, each an audio row rejected with its reason: zero-length (`9 9`,
//! `zero_length_segment`), reversed (`9 0`, `reversed_segment`), exact repeats (`duplicate_row`,
//! the first kept), a label or stray character in the filename column (older copies,
//! `bad_clip_id`). Invalid visual rows are dropped with a rejects line each.
//!
//! Unit counted: one audio row (visual rows are an index, not units). Groups: `yt:<ytid>`.
//! Split: test (eval-only); `--split` overrides.

use super::{At, Collector, Source, SourceOptions};
use crate::error::{Error, Result};
use crate::geometry::{merge_segments, Segment};
use crate::reason::Reason;
use crate::record::{Media, Record, Split, Target, Task};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// LLP (AVVP): the paper its authors ask to cite and its licence as published (for the dataset card).
pub const CITATION: super::Citation = super::Citation {
    dataset: "LLP (AVVP)",
    paper: "Yapeng Tian, Dingzeyu Li, Chenliang Xu. Unified Multisensory Perception: Weakly-Supervised Audio-Visual Video Parsing. ECCV 2020.",
    licence: "see https://github.com/YapengTian/AVVP-ECCV20",
};

/// Length in seconds of every LLP clip.
pub const LLP_CLIP_SECONDS: f64 = 10.0;

/// The LLP adapter.
pub struct Llp;

/// One valid event row.
struct Event {
    clip: String,
    youtube_id: String,
    label: String,
    segment: Segment,
    line: u64,
}

impl Source for Llp {
    fn name(&self) -> &'static str {
        "llp"
    }
    fn tasks(&self) -> &'static [Task] {
        &[Task::Igatl]
    }
    fn files(&self) -> &'static str {
        "AVVP_eval_audio.csv and AVVP_eval_visual.csv (TAB-separated: filename, onset, offset, event_labels)"
    }
    fn citations(&self) -> &'static [super::Citation] {
        &[CITATION]
    }
    fn recognizes(&self, file_name: &str) -> bool {
        (file_name.contains("eval_audio") || file_name.contains("eval_visual"))
            && (file_name.ends_with(".csv") || file_name.ends_with(".tsv"))
    }

    fn read(&self, files: &[PathBuf], options: &SourceOptions, out: &mut Collector) -> Result<()> {
        let name_of = |p: &Path| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let (audio_files, visual_files): (Vec<&PathBuf>, Vec<&PathBuf>) =
            files.iter().partition(|p| name_of(p).contains("eval_audio"));
        if audio_files.is_empty() || visual_files.is_empty() {
            let missing = if audio_files.is_empty() {
                "AVVP_eval_audio.csv"
            } else {
                "AVVP_eval_visual.csv"
            };
            return Err(Error::Config(format!(
                "source `llp` needs {missing} beside the other file; inputs were {files:?}"
            )));
        }
        let split = options.split.unwrap_or(Split::Test);

        // Visual events: (clip, label) → segments. Only an index for choosing the frame.
        let mut visual: HashMap<(String, String), Vec<Segment>> = HashMap::new();
        for path in &visual_files {
            read_events(path, |row| match row {
                Ok(ev) => {
                    visual.entry((ev.clip, ev.label)).or_default().push(ev.segment);
                    Ok(())
                }
                Err((line, reason, detail)) => out.drop_part(path, At::Line(line), reason, detail),
            })?;
        }

        // Audio events, grouped per (clip, label) in first-seen order, each remembering its file.
        let mut groups: Vec<Vec<(&Path, Event)>> = Vec::new();
        let mut group_of: HashMap<(String, String), usize> = HashMap::new();
        let mut seen_rows: HashSet<(String, String, u64, u64)> = HashSet::new();
        for path in &audio_files {
            read_events(path, |row| {
                out.read(1);
                let ev = match row {
                    Err((line, reason, detail)) => return out.reject(path, At::Line(line), reason, detail),
                    Ok(ev) => ev,
                };
                let row_key = (
                    ev.clip.clone(),
                    ev.label.clone(),
                    ev.segment.start().to_bits(),
                    ev.segment.end().to_bits(),
                );
                if !seen_rows.insert(row_key) {
                    let [on, off] = ev.segment.0;
                    let detail = format!("{} {on} {off} {} repeated", ev.clip, ev.label);
                    return out.reject(path, At::Line(ev.line), Reason::DuplicateRow, detail);
                }
                let index = *group_of.entry((ev.clip.clone(), ev.label.clone())).or_insert_with(|| {
                    groups.push(Vec::new());
                    groups.len() - 1
                });
                groups[index].push((path.as_path(), ev));
                Ok(())
            })?;
        }

        for events in groups {
            let (first_path, first) = &events[0];
            let key = (first.clip.clone(), first.label.clone());
            let Some(first_visual) = visual
                .get(&key)
                .and_then(|v| merge_segments(v.clone()).first().copied())
            else {
                for (path, ev) in &events {
                    let detail = format!("{}: {} is heard but never visible", ev.clip, ev.label);
                    out.reject(path, At::Line(ev.line), Reason::NotVisible, detail)?;
                }
                continue;
            };
            let segments = merge_segments(events.iter().map(|(_, e)| e.segment).collect());
            let record = Record {
                source: self.name(),
                key: format!("{}/{}", first.clip, first.label),
                split,
                groups: vec![format!("yt:{}", first.youtube_id)],
                media: Media {
                    image: Some(options.media.frame_at(&first.clip, first_visual.midpoint())),
                    audio: Some(options.media.audio(&first.clip)),
                    video: None,
                },
                target: Target::Igatl {
                    label: super::display_label(&first.label),
                    segments,
                    duration: LLP_CLIP_SECONDS,
                },
            };
            out.emit(record, first_path, At::Line(first.line), events.len() as u64)?;
        }
        Ok(())
    }
}

type RowError = (u64, Reason, String);

/// Streams the dense event rows of one AVVP file, validating each: `on_row` gets an [`Event`] or
/// the row's line with the reason it is invalid. Columns are found by header name; quoting is
/// off (the files never quote, so a `"` is a character of its field).
///
/// Errors: unreadable file, a header without `filename`, `onset`, `offset`, `event_labels`.
fn read_events(path: &Path, mut on_row: impl FnMut(std::result::Result<Event, RowError>) -> Result<()>) -> Result<()> {
    let mut reader = super::delimited_reader(path, b'\t', false, true)?;
    let headers = super::header_row(path, &mut reader)?;
    let column = |name: &str| {
        headers.iter().position(|h| h == name).ok_or_else(|| {
            let found = headers.iter().collect::<Vec<_>>().join("\\t");
            Error::input(
                path,
                Some(1),
                format!("expected a TAB-separated header `filename onset offset event_labels`, found `{found}`"),
            )
        })
    };
    let columns = [
        column("filename")?,
        column("onset")?,
        column("offset")?,
        column("event_labels")?,
    ];
    super::for_each_row(path, &mut reader, |line, row| match row {
        Ok(row) => on_row(parse_event(row, line, columns)),
        Err(why) => on_row(Err((line, Reason::MalformedField, why))),
    })
}

fn parse_event(
    record: &csv::StringRecord,
    line: u64,
    [c_file, c_on, c_off, c_label]: [usize; 4],
) -> std::result::Result<Event, RowError> {
    let field = |i: usize| record.get(i).filter(|s| !s.is_empty());
    let (Some(clip), Some(on), Some(off), Some(label)) = (field(c_file), field(c_on), field(c_off), field(c_label))
    else {
        return Err((
            line,
            Reason::MissingField,
            format!(
                "row has {} fields, expected filename, onset, offset, event_labels",
                record.len()
            ),
        ));
    };
    let Some((youtube_id, _, _)) = super::youtube_clip_window(clip) else {
        return Err((line, Reason::BadClipId, format!("`{clip}` is not <ytid>_<start>_<end>")));
    };
    let (Ok(onset), Ok(offset)) = (on.parse::<f64>(), off.parse::<f64>()) else {
        return Err((
            line,
            Reason::MalformedField,
            format!("{clip}: onset `{on}` / offset `{off}` are not numbers"),
        ));
    };
    let segment = Segment::new(onset, offset, Some(LLP_CLIP_SECONDS))
        .map_err(|e| (line, e.reason, format!("{clip} {label}: {}", e.detail)))?;
    Ok(Event {
        clip: clip.to_string(),
        youtube_id: youtube_id.to_string(),
        label: label.to_string(),
        segment,
        line,
    })
}
