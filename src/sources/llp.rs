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
//! touch; duration 10 s; the image is a frame of the clip, `llp/frames/<clip>_<t>.jpg`. A label
//! never visible in the clip gets no sample: each of its audio rows is rejected `not_visible`.
//!
//! The frame must show the queried label alone among the clip's sounding classes, or the IGATL
//! question "when does the object in the image sound?" has several answers (two labels of one
//! clip on one frame: 39 such groups in the full `AVVP_eval_audio.csv` when the frame was the
//! midpoint of each label's first visual segment). Rule, per (clip, label):
//! * the label's *own* seconds are its visual segments minus the visual segments of every other
//!   label with audio rows in the clip (a class visible there but never heard does not count);
//! * where it has own seconds, the frame is at the midpoint of the first (merged) run of them
//!   (`[2,6)` → `_4.0.jpg`) and the input is empty, as before;
//! * where it has none (every visible second also shows another heard class), the frame is at
//!   the midpoint of the label's first (merged) visual segment and the sample is a referring one
//!   ([`crate::record::Record::referring`]): its input is the class (`Speech`) and its
//!   instruction comes from the `[[referring]]` templates of `templates/igatl.toml`.
//!
//! Own runs of two labels are disjoint, so their midpoints differ; as a last guard, labels of one
//! clip whose frame paths still coincide (times equal at one decimal) are made referring too. So
//! no two samples share image, audio and input with different answers.
//!
//! `[source.params] samples = "per_visual_event"` gives one sample per (clip, audio label, merged
//! visual segment of that label) instead: the image is a frame of that visual segment chosen by
//! the same rule (the midpoint of the first run of the label's own seconds inside it, else the
//! segment's midpoint and a referring sample), the answer the same merged audio segments; key
//! `<clip>/<label>/<onset>-<offset>` of the visual segment. This is the rule consistent with the Meerkat paper's AVFIT row (LLP,
//! IGATL, 2.32K): on the full 2024 eval files (YapengTian/AVVP-ECCV20 `fde5611`) it gives 2,322
//! samples where the default gives 2,053; audio-driven rules give 2,482 (merged audio segments
//! of visible labels) or 2,499 (audio rows of visible labels), the per-row visual rule 2,324.
//! The paper and Meerkat's public code do not state the rule; `manifests/avfit.toml` uses it.
//! The audio rows of a (clip, label) are counted once, with its first sample.
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
use crate::geometry::{merge_segments, subtract_segments, Segment};
use crate::reason::Reason;
use crate::record::{Media, MediaOrigin, MediaOrigins, Record, Split, Target, Task};
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

impl Event {
    /// Origins of this event's clip `<ytid>_<start>_<end>` (seconds of the YouTube video): the
    /// audio is the clip, the image its frame at `frame_time` seconds into the clip.
    fn origins(&self, frame_time: f64) -> MediaOrigins {
        let (_, start, end) =
            super::youtube_clip_window(&self.clip).unwrap_or((&self.youtube_id, 0.0, LLP_CLIP_SECONDS));
        let clip = MediaOrigin::youtube(&self.youtube_id, start, end);
        MediaOrigins {
            image: Some(clip.frame(frame_time).into()),
            audio: Some(clip.into()),
            video: None,
        }
    }
}

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
        let per_visual_event = match options.param_str(self, "samples", "per_label")? {
            "per_label" => false,
            "per_visual_event" => true,
            other => {
                return Err(Error::Config(format!(
                    "source llp: samples = \"{other}\"; expected \"per_label\" or \"per_visual_event\""
                )))
            }
        };

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

        // The labels heard in each clip (their visual seconds decide each other's frames).
        let mut heard: HashMap<&str, Vec<&str>> = HashMap::new();
        for events in &groups {
            let ev = &events[0].1;
            heard.entry(ev.clip.as_str()).or_default().push(ev.label.as_str());
        }
        // The frames of every group that is visible (one, or one per visual event); `None` for
        // the rest.
        let mut frames: Vec<Option<Vec<Frame>>> = groups
            .iter()
            .map(|events| {
                let ev = &events[0].1;
                let own_visual = visual.get(&(ev.clip.clone(), ev.label.clone()))?;
                let others: Vec<Segment> = heard[ev.clip.as_str()]
                    .iter()
                    .filter(|other| **other != ev.label)
                    .filter_map(|other| visual.get(&(ev.clip.clone(), other.to_string())))
                    .flatten()
                    .copied()
                    .collect();
                Some(choose_frames(own_visual, others, per_visual_event))
            })
            .collect();
        // Last guard: labels of one clip whose frame paths coincide name their class.
        let mut on_frame: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
        for (i, group_frames) in frames.iter().enumerate() {
            for (j, frame) in group_frames.iter().flatten().enumerate() {
                let path = options.media.frame_at(&groups[i][0].1.clip, frame.time);
                on_frame.entry(path).or_default().push((i, j));
            }
        }
        for shared in on_frame.values() {
            if shared.iter().any(|(i, _)| *i != shared[0].0) {
                for &(i, j) in shared {
                    if let Some(group_frames) = frames[i].as_mut() {
                        group_frames[j].referring = true;
                    }
                }
            }
        }

        for (events, frame) in groups.iter().zip(frames) {
            let Some(frame) = frame else {
                for (path, ev) in events {
                    let detail = format!("{}: {} is heard but never visible", ev.clip, ev.label);
                    out.reject(path, At::Line(ev.line), Reason::NotVisible, detail)?;
                }
                continue;
            };
            if per_visual_event {
                self.emit_per_visual_event(events, &frame, split, options, out)?;
                continue;
            }
            let (first_path, first) = &events[0];
            let Frame {
                time: frame_time,
                referring,
                ..
            } = frame[0];
            let segments = merge_segments(events.iter().map(|(_, e)| e.segment).collect());
            let record = Record {
                source: self.name(),
                key: format!("{}/{}", first.clip, first.label),
                split,
                groups: vec![format!("yt:{}", first.youtube_id).into()],
                media: Media {
                    image: Some(options.media.frame_at(&first.clip, frame_time).into()),
                    audio: Some(options.media.audio(&first.clip).into()),
                    video: None,
                    origins: first.origins(frame_time),
                },
                target: Target::Igatl {
                    label: super::display_label(&first.label).into(),
                    segments,
                    duration: LLP_CLIP_SECONDS,
                },
                referring,
            };
            out.emit(record, first_path, At::Line(first.line), events.len() as u64)?;
        }
        Ok(())
    }
}

impl Llp {
    /// `samples = "per_visual_event"`: emits one record per frame of `frames` (one per merged
    /// visual segment of the (clip, label) of `events`, see [`choose_frames`]); `events` are its
    /// audio rows, first-seen order, each with its file; the answer is the merged audio segments.
    /// A record whose media fail the media rules is dropped with a rejects line; if all fail, each
    /// audio row is rejected instead, with the last record's reason. The rows are counted as used
    /// once, with the first record.
    ///
    /// Errors: those of the sink.
    fn emit_per_visual_event(
        &self,
        events: &[(&Path, Event)],
        frames: &[Frame],
        split: Split,
        options: &SourceOptions,
        out: &mut Collector,
    ) -> Result<()> {
        let (first_path, first) = &events[0];
        let segments = merge_segments(events.iter().map(|(_, e)| e.segment).collect());
        let at = At::Line(first.line);
        let mut ready = Vec::new();
        let mut problems = Vec::new();
        for frame in frames {
            let [on, off] = frame.event.0;
            let mut record = Record {
                source: self.name(),
                key: format!("{}/{}/{on}-{off}", first.clip, first.label),
                split,
                groups: vec![format!("yt:{}", first.youtube_id).into()],
                media: Media {
                    image: Some(options.media.frame_at(&first.clip, frame.time).into()),
                    audio: Some(options.media.audio(&first.clip).into()),
                    video: None,
                    origins: first.origins(frame.time),
                },
                target: Target::Igatl {
                    label: super::display_label(&first.label).into(),
                    segments: segments.clone(),
                    duration: LLP_CLIP_SECONDS,
                },
                referring: frame.referring,
            };
            match out.media_problem(&mut record) {
                Some(problem) => problems.push(problem),
                None => ready.push(record),
            }
        }
        if ready.is_empty() {
            if let Some((reason, detail)) = problems.pop() {
                for (path, ev) in events {
                    out.reject(path, At::Line(ev.line), reason, detail.clone())?;
                }
            }
            return Ok(());
        }
        for (reason, detail) in problems {
            out.drop_part(first_path, at, reason, detail)?;
        }
        for (i, record) in ready.into_iter().enumerate() {
            out.emit(record, first_path, at, if i == 0 { events.len() as u64 } else { 0 })?;
        }
        Ok(())
    }
}

/// A frame chosen for an LLP sample.
#[derive(Clone, Copy, Debug)]
struct Frame {
    /// Seconds into the clip.
    time: f64,
    /// The frame also shows another heard class: the input names the class.
    referring: bool,
    /// The merged visual segment of the label it belongs to (its key in `per_visual_event`).
    event: Segment,
}

/// The frames of one (clip, label) whose visual segments are `own_visual` and whose clip's other
/// heard labels are visible during `others` (seconds, `[start, end)`): one frame (the first
/// merged visual segment's), or with `per_visual_event` one per merged visual segment. Each frame
/// is at the midpoint of the first run of the label's own seconds (visible without another heard
/// class) inside its segment, or, where the segment has none, at the segment's midpoint and
/// referring (module doc).
fn choose_frames(own_visual: &[Segment], others: Vec<Segment>, per_visual_event: bool) -> Vec<Frame> {
    let alone = subtract_segments(own_visual.to_vec(), others);
    let events = merge_segments(own_visual.to_vec());
    let take = if per_visual_event { events.len() } else { 1 };
    events
        .into_iter()
        .take(take)
        .map(|event| {
            // Subtracting only shrinks, so every own run lies inside one merged visual segment.
            let own = if per_visual_event {
                alone
                    .iter()
                    .find(|a| a.start() >= event.start() && a.end() <= event.end())
            } else {
                alone.first()
            };
            match own {
                Some(run) => Frame {
                    time: run.midpoint(),
                    referring: false,
                    event,
                },
                None => Frame {
                    time: event.midpoint(),
                    referring: true,
                    event,
                },
            }
        })
        .collect()
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
    let (Some(onset), Some(offset)) = (super::parse_decimal(on), super::parse_decimal(off)) else {
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
