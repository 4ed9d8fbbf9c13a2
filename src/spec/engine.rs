//! Reading a source spec's files: rows out of delimited text or JSON, each row through the
//! filters, patterns and templates of the spec into a record (or a reject or a skip), with the
//! row rules (grouping, expansion, duplicates). Units: one per row, times the number of expanded
//! fields (Clotho: five captions a row); a JSON record is one element at the innermost level of
//! `records`.

use super::template::glob_match;
use super::{
    BoxUnits, ClipDuration, Duplicates, FileSplit, FrameTime, Header, ImageRule, JsonPart, Kind, Number, Order,
    SlotDef, Spec, Step, Test,
};
use crate::error::{Error, Result};
use crate::geometry::{merge_segments, BBox, Segment};
use crate::reason::{Reason, Skip};
use crate::record::{Media, MediaOrigin, MediaOrigins, Record, Split, Target, Task};
use crate::sources::{display_label, At, Collector, SourceOptions};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

type Rejected = (Reason, String);

/// Reads `files` (recognized by `spec`) and reports every unit to `out`.
///
/// Errors: `clip_duration = "wav"` without `--media-root`; a file that cannot be opened or
/// parsed (with its line); a header without a column the spec names (the spec's file and line).
pub(crate) fn read(spec: &Spec, files: &[PathBuf], options: &SourceOptions, out: &mut Collector) -> Result<()> {
    if matches!(spec.segments.as_ref().map(|s| &s.clip), Some(ClipDuration::Wav)) && options.media_root.is_none() {
        return Err(Error::Config(format!(
            "source {}: clip_duration = \"wav\" ({}) needs --media-root, where the WAVs are",
            spec.name,
            spec.origin.display()
        )));
    }
    let names: Vec<String> = files.iter().map(|p| file_name(p)).collect();
    let mut state = State::new(spec, options);
    for (path, name) in files.iter().zip(&names) {
        let rule = spec.rule_of(name).expect("discovery keeps recognized files");
        if rule
            .unless
            .iter()
            .any(|u| names.iter().any(|other| other != name && glob_match(u, other)))
        {
            out.note("superseded_by_other_file");
            continue;
        }
        let split = match (options.split, &rule.split) {
            (Some(forced), _) => Some(forced),
            (None, FileSplit::To(s)) => Some(*s),
            (None, FileSplit::Skip) => None,
        };
        match spec.kind {
            Kind::Delimited | Kind::Csv => read_table(&mut state, path, split, out)?,
            Kind::Json | Kind::Jsonl => read_json(&mut state, path, split, out)?,
        }
        state.flush_groups(path, out)?;
    }
    state.finish(out)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// What a row gives before grouping.
struct Built {
    key: String,
    label: Option<String>,
    groups: Vec<String>,
    media_key: String,
    frame_time: Option<f64>,
    /// The clip's window in its source video, seconds (`clip_start`, `clip_end`).
    clip: (Option<f64>, Option<f64>),
    /// The dataset's own file the media come from (`source_file`).
    source_file: Option<String>,
    /// IGATL: the row's segment and the clip duration.
    segment: Option<(Segment, f64)>,
    bbox: Option<BBox>,
    /// AVQA / AVC target (complete).
    target: Option<Target>,
}

struct Group {
    built: Built,
    split: Split,
    ats: Vec<At>,
    segments: Vec<Segment>,
    boxes: Vec<BBox>,
}

struct Pending {
    record: Record,
    file: PathBuf,
    at: At,
}

struct State<'s> {
    spec: &'s Spec,
    options: &'s SourceOptions,
    values: Vec<Option<String>>,
    emitted: HashSet<String>,
    groups: Vec<Group>,
    group_index: HashMap<String, usize>,
    /// The JSON parent of the last record and its earlier (question, answer) turns.
    history: (String, Vec<(String, String)>),
    pending: Vec<Pending>,
}

fn set(values: &mut [Option<String>], slot: usize, value: Option<&str>) {
    match (value, &mut values[slot]) {
        (Some(v), Some(old)) => {
            old.clear();
            old.push_str(v);
        }
        (Some(v), slot_value) => *slot_value = Some(v.to_string()),
        (None, slot_value) => *slot_value = None,
    }
}

fn number(text: &str, what: &str) -> std::result::Result<f64, Rejected> {
    text.trim()
        .parse::<f64>()
        .map_err(|_| (Reason::MalformedField, format!("{what} `{text}` is not a number")))
}

impl<'s> State<'s> {
    fn new(spec: &'s Spec, options: &'s SourceOptions) -> Self {
        State {
            spec,
            options,
            values: vec![None; spec.slots.len()],
            emitted: HashSet::new(),
            groups: Vec::new(),
            group_index: HashMap::new(),
            history: (String::new(), Vec::new()),
            pending: Vec::new(),
        }
    }

    fn slot_name(&self, slot: usize) -> String {
        match &self.spec.slots[slot] {
            SlotDef::Column(name) => name.clone(),
            SlotDef::Json { level, path } => {
                let mut s = self.spec.levels[*level].clone();
                for p in path {
                    s.push('.');
                    s.push_str(match p {
                        JsonPart::Key(k) => k,
                        JsonPart::AtKey => "@key",
                        JsonPart::AtIndex => "@index",
                    });
                }
                s
            }
            SlotDef::Capture { name, .. } => name.clone(),
            SlotDef::Expand => "the expanded value".into(),
            SlotDef::ExpandIndex => "the expanded index".into(),
        }
    }

    fn render(&mut self, t: &super::template::Template) -> std::result::Result<String, Rejected> {
        t.render(&self.values)
            .map_err(|m| (Reason::MissingField, format!("no `{}`", self.slot_name(m.slot))))
    }

    fn render_number(&mut self, n: &Number, what: &str) -> std::result::Result<f64, Rejected> {
        Ok(match n {
            Number::Const(v) => *v,
            Number::Value(t) => {
                let text = self.render(t)?;
                number(&text, what)?
            }
            Number::Difference(a, b) => {
                let (a, b) = (self.render(a)?, self.render(b)?);
                number(&a, what)? - number(&b, what)?
            }
            Number::Sum(a, b) => {
                let (a, b) = (self.render(a)?, self.render(b)?);
                number(&a, what)? + number(&b, what)?
            }
        })
    }

    /// One row whose field slots are filled: expansion, then each variant.
    fn row(
        &mut self,
        file: &Path,
        at: At,
        loc: &str,
        parent: &str,
        split: Option<Split>,
        out: &mut Collector,
    ) -> Result<()> {
        if self.spec.expand.is_empty() {
            return self.variant(file, at, loc, parent, split, out);
        }
        let expand_slot = self
            .spec
            .slots
            .iter()
            .position(|s| *s == SlotDef::Expand)
            .expect("expand slot");
        let index_slot = expand_slot + 1;
        for (i, &field) in self.spec.expand.clone().iter().enumerate() {
            let value = self.values[field].clone();
            set(&mut self.values, expand_slot, value.as_deref());
            set(&mut self.values, index_slot, Some(&(i + 1).to_string()));
            let loc = format!("{loc} {}", self.slot_name(field));
            self.variant(file, at, &loc, parent, split, out)?;
        }
        Ok(())
    }

    fn variant(
        &mut self,
        file: &Path,
        at: At,
        loc: &str,
        parent: &str,
        split: Option<Split>,
        out: &mut Collector,
    ) -> Result<()> {
        out.read(1);
        let Some(split) = split else {
            out.skip(Skip::SplitNotUsed, 1);
            return Ok(());
        };
        for f in &self.spec.filters {
            let v = self.values[f.slot].as_deref().unwrap_or("");
            let keep = f.tests.iter().all(|t| match t {
                Test::Equals(x) => v == x,
                Test::NotEquals(x) => v != x,
                Test::OneOf(xs) => xs.iter().any(|x| x == v),
                Test::Empty(e) => v.trim().is_empty() == *e,
            });
            if !keep {
                out.skip(f.skip, 1);
                return Ok(());
            }
        }
        match self.build(parent) {
            Err((reason, detail)) => out.reject(file, at, reason, format!("{loc}: {detail}")),
            Ok(built) if self.spec.group => {
                self.add_to_group(built, split, at);
                Ok(())
            }
            Ok(built) => {
                let record = self.record(built, split, Vec::new(), Vec::new());
                self.emit(record, file, at, 1, out)
            }
        }
    }

    /// Patterns, templates and the task's values of the current row.
    fn build(&mut self, parent: &str) -> std::result::Result<Built, Rejected> {
        let spec = self.spec;
        for p in &spec.patterns {
            let value = match self.values[p.field].as_deref() {
                Some(v) if !v.is_empty() => v.to_string(),
                _ => return Err((Reason::MissingField, format!("no `{}`", p.field_name))),
            };
            let Some(caps) = p.regex.captures(&value) else {
                return Err((
                    p.reason,
                    format!("`{}` = `{value}` does not match `{}`", p.field_name, p.regex.as_str()),
                ));
            };
            for &(group, slot) in &p.captures {
                set(&mut self.values, slot, caps.get(group).map(|m| m.as_str()));
            }
        }
        let r = &spec.record;
        let key = self.render(&r.key)?;
        let label = r.label.as_ref().map(|t| self.render(t)).transpose()?;
        let groups = r
            .groups
            .iter()
            .map(|g| self.render(g))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let media_key = match &r.media_key {
            Some(t) => self.render(t)?,
            None => key.clone(),
        };
        crate::media_layout::check_path_key("media key", &media_key).map_err(|why| (Reason::BadClipId, why))?;
        let frame_time = match &r.frame_time {
            Some(FrameTime::At(t)) => {
                let text = self.render(t)?;
                let v = number(&text, "frame time")? * r.frame_scale;
                if !(v.is_finite() && v >= 0.0) {
                    return Err((Reason::MalformedField, format!("frame time `{text}` is not a time")));
                }
                Some(v)
            }
            _ => None,
        };
        let mut window = |n: &Option<crate::spec::Number>, what: &str| -> std::result::Result<Option<f64>, Rejected> {
            match n {
                None => Ok(None),
                Some(n) => {
                    let v = self.render_number(n, what)?;
                    if v.is_finite() && v >= 0.0 {
                        Ok(Some(v + 0.0))
                    } else {
                        Err((Reason::MalformedField, format!("{what} {v} is not a time")))
                    }
                }
            }
        };
        let clip = (window(&r.clip_start, "clip start")?, window(&r.clip_end, "clip end")?);
        if let (Some(start), Some(end)) = clip {
            if end <= start {
                return Err((
                    Reason::ReversedSegment,
                    format!("clip {start}..{end} ends before it starts"),
                ));
            }
        }
        let source_file = match &r.source_file {
            Some(t) => {
                let file = self.render(t)?;
                crate::media_layout::check_path_key("source file", &file).map_err(|why| (Reason::BadClipId, why))?;
                Some(file)
            }
            None => None,
        };
        let mut built = Built {
            key,
            label,
            groups,
            media_key,
            frame_time,
            clip,
            source_file,
            segment: None,
            bbox: None,
            target: None,
        };
        match spec.task {
            Task::Igatl => built.segment = Some(self.segment()?),
            Task::Arig => built.bbox = Some(self.bbox()?),
            Task::Avqa => {
                let question = self.render(r.question.as_ref().expect("checked at load"))?;
                let answer = self.render(r.answer.as_ref().expect("checked at load"))?;
                let question_type = match &r.question_type {
                    Some(t) => self.render(t)?,
                    None => "open-ended".to_string(),
                };
                let asked = if r.earlier_turns {
                    if self.history.0 != parent {
                        self.history = (parent.to_string(), Vec::new());
                    }
                    let mut text = String::new();
                    for (q, a) in &self.history.1 {
                        text.push_str(&format!("Q: {q}\nA: {a}\n"));
                    }
                    self.history.1.push((question.clone(), answer.clone()));
                    if text.is_empty() {
                        question
                    } else {
                        format!("{text}Q: {question}")
                    }
                } else {
                    question
                };
                built.target = Some(Target::Avqa {
                    question: asked,
                    choices: None,
                    answer,
                    answer_index: None,
                    question_type,
                });
            }
            Task::Avc => {
                let caption = self.render(r.caption.as_ref().expect("checked at load"))?;
                built.target = Some(Target::Avc { caption });
            }
            Task::Avfc => unreachable!("not a spec task"),
        }
        Ok(built)
    }

    fn segment(&mut self) -> std::result::Result<(Segment, f64), Rejected> {
        let s = self.spec.segments.as_ref().expect("checked at load");
        let start_text = self.render(&s.start)?;
        let start = number(&start_text, "start")? * s.scale;
        let end = match (&s.end, &s.duration) {
            (Some(e), _) => {
                let text = self.render(e)?;
                number(&text, "end")? * s.scale
            }
            (None, Some(d)) => {
                let text = self.render(d)?;
                start + number(&text, "duration")? * s.scale
            }
            (None, None) => unreachable!("checked at load"),
        };
        let clip = match &s.clip {
            ClipDuration::Fixed(n) => {
                let d = self.render_number(n, "clip duration")?;
                if !(d.is_finite() && d > 0.0) {
                    return Err((Reason::MalformedField, format!("clip duration {d} is not a length")));
                }
                Some(d)
            }
            ClipDuration::Wav => None,
        };
        let end = match clip {
            Some(d) if end > d && end - d <= s.clamp => d,
            _ => end,
        };
        let segment = Segment::new(start, end, clip).map_err(|e| (e.reason, e.detail))?;
        Ok((segment, clip.unwrap_or(f64::NAN)))
    }

    fn bbox(&mut self) -> std::result::Result<BBox, Rejected> {
        let b = self.spec.boxes.as_ref().expect("checked at load");
        let mut v = [0.0; 4];
        for (i, t) in b.columns.iter().enumerate() {
            let text = self.render(t)?;
            v[i] = number(&text, "coordinate")?;
        }
        let [x0, y0, x1, y1] = match b.order {
            Order::Xyxy => v,
            Order::Xxyy => [v[0], v[2], v[1], v[3]],
            Order::Xywh => [v[0], v[1], v[0] + v[2], v[1] + v[3]],
            Order::Cxcywh => [
                v[0] - v[2] / 2.0,
                v[1] - v[3] / 2.0,
                v[0] + v[2] / 2.0,
                v[1] + v[3] / 2.0,
            ],
        };
        let result = match b.units {
            BoxUnits::Normalized => BBox::normalized(x0, y0, x1, y1),
            units => {
                let w = self.render_number(b.width.as_ref().expect("checked at load"), "width")?;
                let h = self.render_number(b.height.as_ref().expect("checked at load"), "height")?;
                if units == BoxUnits::Pixels {
                    BBox::from_pixel_edges(x0, y0, x1, y1, w, h)
                } else {
                    BBox::from_inclusive_pixels(x0 - 1.0, y0 - 1.0, x1 - 1.0, y1 - 1.0, w, h)
                }
            }
        };
        result.map_err(|e| (e.reason, e.detail))
    }

    fn add_to_group(&mut self, built: Built, split: Split, at: At) {
        let key = format!("{}\u{1f}{}", split.as_str(), built.key);
        match self.group_index.get(&key) {
            Some(&i) => {
                let g = &mut self.groups[i];
                g.ats.push(at);
                g.segments.extend(built.segment.map(|s| s.0));
                g.boxes.extend(built.bbox);
            }
            None => {
                self.group_index.insert(key, self.groups.len());
                self.groups.push(Group {
                    split,
                    ats: vec![at],
                    segments: built.segment.map(|s| s.0).into_iter().collect(),
                    boxes: built.bbox.into_iter().collect(),
                    built,
                });
            }
        }
    }

    /// The record of `built` (with a group's segments and boxes when grouped).
    fn record(&self, built: Built, split: Split, segments: Vec<Segment>, boxes: Vec<BBox>) -> Record {
        let spec = self.spec;
        let r = &spec.record;
        let layout = &self.options.media;
        let label = built.label.as_deref().map(display_label).unwrap_or_default();
        let (target, first_midpoint) = match spec.task {
            Task::Igatl => {
                let (first, duration) = built.segment.expect("igatl rows have a segment");
                let mut segs = if segments.is_empty() { vec![first] } else { segments };
                if spec.segments.as_ref().is_some_and(|s| s.merge) {
                    segs = merge_segments(segs);
                } else {
                    segs.sort_by(|a, b| a.start().total_cmp(&b.start()).then(a.end().total_cmp(&b.end())));
                }
                let mid = segs[0].midpoint();
                (
                    Target::Igatl {
                        label: label.into(),
                        segments: segs,
                        duration,
                    },
                    Some(mid),
                )
            }
            Task::Arig => {
                let boxes = if boxes.is_empty() {
                    vec![built.bbox.expect("arig rows have a box")]
                } else {
                    boxes
                };
                (
                    Target::Arig {
                        label: label.into(),
                        boxes,
                    },
                    None,
                )
            }
            _ => (built.target.expect("avqa and avc rows have a target"), None),
        };
        // Where the media come from: the clip's YouTube id (its `yt:` group), its window
        // (`clip_start`, `clip_end`; unknown without them: `avfit media list` leaves it empty)
        // and a frame's time.
        let clip = std::sync::Arc::new(MediaOrigin {
            youtube_id: built
                .groups
                .iter()
                .find_map(|g| g.strip_prefix("yt:"))
                .unwrap_or_default()
                .into(),
            media_id: built.groups.first().cloned().unwrap_or_default().into(),
            clip_start: built.clip.0,
            clip_end: built.clip.1,
            file: built.source_file.clone().unwrap_or_default().into(),
            ..MediaOrigin::default()
        });
        let (image, image_origin) = match r.image {
            ImageRule::None => (None, None),
            ImageRule::Still => (Some(layout.image(&built.media_key)), Some(clip.clone())),
            ImageRule::Frame => {
                let t = match r.frame_time {
                    Some(FrameTime::FirstSegmentMidpoint) => first_midpoint.expect("checked at load"),
                    _ => built.frame_time.expect("frame rows have a time"),
                };
                (Some(layout.frame_at(&built.media_key, t)), Some(clip.frame(t).into()))
            }
        };
        Record {
            source: spec.name,
            key: built.key,
            split,
            groups: built.groups.into_iter().map(Into::into).collect(),
            media: Media {
                image: image.map(Into::into),
                audio: r.audio.then(|| layout.audio(&built.media_key)).map(Into::into),
                video: r.video.then(|| layout.video(&built.media_key)).map(Into::into),
                origins: MediaOrigins {
                    image: image_origin,
                    audio: r.audio.then(|| clip.clone()),
                    video: r.video.then(|| clip.clone()),
                },
            },
            target,
            referring: r.referring,
        }
    }

    /// The clip length of an IGATL record whose duration is the WAV's.
    fn wav_duration(&self, record: &mut Record) -> std::result::Result<(), Rejected> {
        let Target::Igatl { segments, duration, .. } = &mut record.target else {
            return Ok(());
        };
        if !duration.is_nan() {
            return Ok(());
        }
        let root = self.options.media_root.as_ref().expect("checked before reading");
        let audio = record.media.audio.as_deref().unwrap_or_default();
        let wav = root
            .path(audio)
            .and_then(|p| crate::media::wav_info(&p))
            .map_err(|e| (Reason::MissingMedia, e))?;
        *duration = wav.duration;
        if let Some(s) = segments
            .iter()
            .find(|s| s.end() > wav.duration + crate::media::DURATION_TOLERANCE)
        {
            return Err((
                Reason::SegmentOutOfRange,
                format!("segment {:?} ends after the {} s of {audio}", s.0, wav.duration),
            ));
        }
        Ok(())
    }

    fn emit(&mut self, mut record: Record, file: &Path, at: At, units: u64, out: &mut Collector) -> Result<()> {
        if let Err((reason, detail)) = self.wav_duration(&mut record) {
            for _ in 0..units {
                out.reject(file, at, reason, format!("{}: {detail}", record.key))?;
            }
            return Ok(());
        }
        match self.spec.duplicates {
            Duplicates::First => {
                if self.emitted.contains(&record.key) {
                    for _ in 0..units {
                        out.reject(
                            file,
                            at,
                            Reason::DuplicateRow,
                            format!("{} appeared before", record.key),
                        )?;
                    }
                    return Ok(());
                }
                self.emitted.insert(record.key.clone());
                out.emit(record, file, at, units)
            }
            Duplicates::RejectConflicts => {
                self.pending.push(Pending {
                    record,
                    file: file.to_path_buf(),
                    at,
                });
                Ok(())
            }
        }
    }

    /// Emits the records of the groups of the file just read, in the order of their first rows.
    fn flush_groups(&mut self, file: &Path, out: &mut Collector) -> Result<()> {
        self.group_index.clear();
        for g in std::mem::take(&mut self.groups) {
            let units = g.ats.len() as u64;
            let at = g.ats[0];
            let record = self.record(g.built, g.split, g.segments, g.boxes);
            self.emit(record, file, at, units, out)?;
        }
        Ok(())
    }

    /// `reject_conflicts`: every key's copies, in the order of first appearance.
    fn finish(mut self, out: &mut Collector) -> Result<()> {
        let pending = std::mem::take(&mut self.pending);
        let mut copies: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, p) in pending.iter().enumerate() {
            copies.entry(p.record.key.as_str()).or_default().push(i);
        }
        let mut verdict: Vec<Option<Reason>> = vec![None; pending.len()];
        for list in copies.values() {
            let first = &pending[list[0]].record;
            let conflict = list.iter().any(|&i| pending[i].record.target != first.target);
            for (n, &i) in list.iter().enumerate() {
                verdict[i] = match (conflict, n) {
                    (true, _) => Some(Reason::ConflictingDuplicate),
                    (false, 0) => None,
                    (false, _) => Some(Reason::DuplicateRow),
                };
            }
        }
        for (p, v) in pending.into_iter().zip(verdict) {
            match v {
                None => out.emit(p.record, &p.file, p.at, 1)?,
                Some(reason) => {
                    let detail = match reason {
                        Reason::DuplicateRow => format!("{} appeared before with the same target", p.record.key),
                        _ => format!("{} appears more than once with different targets", p.record.key),
                    };
                    out.reject(&p.file, p.at, reason, detail)?;
                }
            }
        }
        Ok(())
    }
}

/// Delimited text and CSV: header handling, comments, a BOM, then every row.
fn read_table(state: &mut State, path: &Path, split: Option<Split>, out: &mut Collector) -> Result<()> {
    let spec = state.spec;
    let mut reader = crate::sources::delimited_reader(path, spec.delimiter, spec.kind == Kind::Csv, false)?;
    // Column index of each Column slot, once the header (or its absence) is known.
    let mut index: Option<Vec<Option<usize>>> = None;
    let map = |names: &[String]| -> Vec<Option<usize>> {
        spec.slots
            .iter()
            .map(|s| match s {
                SlotDef::Column(c) => names.iter().position(|n| n == c),
                _ => None,
            })
            .collect()
    };
    let mut first = true;
    crate::sources::for_each_row(path, &mut reader, |line, row| {
        let row = match row {
            Ok(row) => row,
            Err(why) => {
                if index.is_none() {
                    return Err(Error::input(path, Some(line), why));
                }
                out.read(1);
                return out.reject(path, At::Line(line), Reason::MalformedField, why);
            }
        };
        let field = |i: usize| {
            let f = row.get(i).unwrap_or("");
            if first && i == 0 {
                f.trim_start_matches('\u{feff}')
            } else {
                f
            }
        };
        if let Some(c) = &spec.comment {
            if field(0).starts_with(c.as_str()) {
                return Ok(());
            }
        }
        if first {
            let names: Vec<String> = (0..row.len()).map(|i| field(i).trim().to_string()).collect();
            let is_header = match spec.header {
                Header::Present => true,
                Header::Absent => false,
                Header::Detect => {
                    let cols = spec.columns.as_ref().expect("checked at load");
                    names.len() == cols.len() && names.iter().zip(cols).all(|(a, b)| a.eq_ignore_ascii_case(b))
                }
            };
            if spec.header == Header::Detect {
                out.note(if is_header { "header_row" } else { "no_header_row" });
            }
            let col_names = if spec.header == Header::Present {
                names.clone()
            } else {
                spec.columns.clone().expect("checked at load")
            };
            let idx = map(&col_names);
            // A skipped file's rows are only counted: its columns may differ (DESED weak.tsv).
            for (slot, def) in spec.slots.iter().enumerate().filter(|_| split.is_some()) {
                if let (SlotDef::Column(c), None) = (def, idx[slot]) {
                    return Err(Error::input(
                        &spec.origin,
                        spec.line_of(&format!("{{{c}")).or(spec.line_of(c)),
                        format!(
                            "column `{c}` is not in {} (expected it among: {})",
                            path.display(),
                            col_names.join(", ")
                        ),
                    ));
                }
            }
            index = Some(idx);
            first = false;
            if is_header {
                return Ok(());
            }
        }
        let idx = index.as_ref().expect("set on the first row");
        for (slot, i) in idx.iter().enumerate() {
            if let Some(i) = i {
                let v = row.get(*i);
                set(&mut state.values, slot, v);
            }
        }
        let loc = format!("line {line}");
        state.row(path, At::Line(line), &loc, "", split, out)
    })
}

/// One binding of a JSON level: the value, and the key or index it was reached by.
#[derive(Clone, Copy)]
struct Bound<'v> {
    value: &'v serde_json::Value,
    key: Option<&'v str>,
    index: usize,
}

fn json_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// JSON (the whole file) and JSONL (an array of lines): the records at the spec's path.
fn read_json(state: &mut State, path: &Path, split: Option<Split>, out: &mut Collector) -> Result<()> {
    let spec = state.spec;
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut lines: Vec<u64> = Vec::new();
    let root: serde_json::Value = if spec.kind == Kind::Json {
        serde_json::from_str(text).map_err(|e| Error::json(path, None, &e))?
    } else {
        let mut items = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let v = serde_json::from_str(line).map_err(|e| Error::json(path, Some(n as u64 + 1), &e))?;
            items.push(v);
            lines.push(n as u64 + 1);
        }
        serde_json::Value::Array(items)
    };
    let fits = |steps: &[Step]| match steps.first() {
        Some(Step::Key(k)) => root.get(k).is_some(),
        Some(Step::Array(_)) => root.is_array(),
        Some(Step::Object(_)) => root.is_object(),
        None => false,
    };
    let Some(which) = spec.paths.iter().position(|p| fits(p)) else {
        return Err(Error::input(
            path,
            None,
            format!(
                "the records path of {} does not fit this file's top level: expected {}",
                spec.origin.display(),
                spec.paths
                    .iter()
                    .map(|p| describe(spec, p))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        ));
    };
    if spec.paths.len() > 1 {
        out.note(&format!("records_path_{}", which + 1));
    }
    let steps = spec.paths[which].clone();
    let mut bound: Vec<Option<Bound>> = vec![None; spec.levels.len()];
    let w = Walk {
        steps: &steps,
        lines: &lines,
        path,
        split,
    };
    walk(&w, state, &root, 0, &mut bound, "", out)
}

fn describe(spec: &Spec, steps: &[Step]) -> String {
    steps
        .iter()
        .map(|s| match s {
            Step::Key(k) => format!(".{k}"),
            Step::Array(l) => format!("[{}]", spec.levels[*l]),
            Step::Object(l) => format!("{{{}}}", spec.levels[*l]),
        })
        .collect::<String>()
        .trim_start_matches('.')
        .to_string()
}

/// The fixed parts of a JSON walk.
struct Walk<'a> {
    steps: &'a [Step],
    lines: &'a [u64],
    path: &'a Path,
    split: Option<Split>,
}

fn walk<'v>(
    w: &Walk,
    state: &mut State,
    value: &'v serde_json::Value,
    depth: usize,
    bound: &mut Vec<Option<Bound<'v>>>,
    loc: &str,
    out: &mut Collector,
) -> Result<()> {
    let spec = state.spec;
    let Some(step) = w.steps.get(depth) else {
        return Ok(());
    };
    let place = || {
        if loc.is_empty() {
            "top level".to_string()
        } else {
            loc.to_string()
        }
    };
    match step {
        Step::Key(k) => match value.get(k) {
            Some(v) => walk(w, state, v, depth + 1, bound, &format!("{loc}.{k}"), out),
            None => {
                out.read(1);
                out.reject(
                    w.path,
                    At::Index(bound.iter().flatten().last().map_or(0, |b| b.index as u64)),
                    Reason::MissingField,
                    format!("{}: no `{k}` (so none of its records)", place()),
                )
            }
        },
        Step::Array(level) => match value.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    let b = Bound {
                        value: item,
                        key: None,
                        index: i,
                    };
                    visit(w, state, *level, b, depth, bound, loc, &format!("{loc}[{i}]"), out)?;
                }
                Ok(())
            }
            None => Err(Error::input(
                w.path,
                None,
                format!("{}: expected an array ({})", place(), spec.levels[*level]),
            )),
        },
        Step::Object(level) => match value.as_object() {
            Some(map) => {
                for (i, (k, item)) in map.iter().enumerate() {
                    let b = Bound {
                        value: item,
                        key: Some(k.as_str()),
                        index: i,
                    };
                    visit(w, state, *level, b, depth, bound, loc, &format!("{loc}[{k:?}]"), out)?;
                }
                Ok(())
            }
            None => Err(Error::input(
                w.path,
                None,
                format!("{}: expected an object ({})", place(), spec.levels[*level]),
            )),
        },
    }
}

/// Binds `child` at `level`; at the last step, fills the JSON slots and reads the record,
/// else walks on. `parent` is the location of the array or object holding it.
#[allow(clippy::too_many_arguments)]
fn visit<'v>(
    w: &Walk,
    state: &mut State,
    level: usize,
    child: Bound<'v>,
    depth: usize,
    bound: &mut Vec<Option<Bound<'v>>>,
    parent: &str,
    loc: &str,
    out: &mut Collector,
) -> Result<()> {
    let spec = state.spec;
    bound[level] = Some(child);
    // Deeper levels belong to an earlier sibling: forget them.
    for step in &w.steps[depth + 1..] {
        if let Step::Array(l) | Step::Object(l) = step {
            bound[*l] = None;
        }
    }
    if depth + 1 < w.steps.len() {
        return walk(w, state, child.value, depth + 1, bound, loc, out);
    }
    for (slot, def) in spec.slots.iter().enumerate() {
        if let SlotDef::Json { level, path: parts } = def {
            let v = bound[*level].and_then(|b| {
                let mut v = b.value;
                let mut text = None;
                for p in parts {
                    match p {
                        JsonPart::Key(k) => v = v.get(k)?,
                        JsonPart::AtKey => text = Some(b.key?.to_string()),
                        JsonPart::AtIndex => text = Some(b.index.to_string()),
                    }
                }
                text.or_else(|| json_text(v))
            });
            set(&mut state.values, slot, v.as_deref());
        }
    }
    let at = if depth == 0 && spec.kind == Kind::Jsonl {
        At::Line(w.lines[child.index])
    } else {
        At::Index(child.index as u64)
    };
    state.row(w.path, at, loc, parent, w.split, out)
}
