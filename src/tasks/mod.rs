//! Task builders: a [`Record`]'s target becomes a sample's input, answer and template
//! variables. One file per task; this module dispatches and writes the sample's shard line.

pub mod arig;
pub mod avc;
pub mod avfc;
pub mod avqa;
pub mod igatl;

use crate::dialect::Dialect;
use crate::error::Result;
use crate::geometry::{BBox, Segment};
use crate::record::{Record, SampleLine, Target, Task};
use crate::render::{TemplateSet, Templates};
use tera::Context;

/// What a task builder derives from a target before templating.
pub struct TaskParts {
    /// The answer, exactly as DESIGN.md fixes it for the task and dialect.
    pub answer: String,
    /// Template variables: always `input`, `box_format`, `segment_format`, plus the task's own.
    pub context: Context,
}

/// The input text, answer and template variables of `target` in `dialect`; `referring` as
/// [`Record::referring`] (ARIG and IGATL: the input is the label).
pub fn parts(target: &Target, referring: bool, dialect: Dialect) -> TaskParts {
    let mut context = Context::new();
    context.insert("box_format", dialect.box_format());
    context.insert("segment_format", dialect.segment_format());
    let (input, answer) = input_and_answer(target, referring, dialect, Some(&mut context));
    context.insert("input", &input);
    TaskParts { answer, context }
}

/// (input, answer) of `target` in `dialect`; the task's own template variables (beyond `input`,
/// `box_format`, `segment_format`) go into `context` when given (`None` where no Tera template
/// is rendered). With `referring`, an ARIG or IGATL input is the label (the other tasks' inputs
/// already name what they ask about and do not change).
fn input_and_answer(
    target: &Target,
    referring: bool,
    dialect: Dialect,
    context: Option<&mut Context>,
) -> (String, String) {
    match target {
        Target::Avfc {
            kind,
            verdict,
            label,
            boxes,
            segments,
            duration,
        } => {
            let claim = avfc::Claim {
                kind: *kind,
                verdict: *verdict,
                label,
                bbox: boxes.as_ref().and_then(|b| b.first()),
                segment: segments
                    .as_ref()
                    .and_then(|s| s.first())
                    .map(|s| (s, duration.unwrap_or(10.0))),
            };
            avfc::parts(&claim, dialect, context)
        }
        Target::Arig { label, boxes } => arig::parts(label, boxes, referring, dialect),
        Target::Igatl {
            label,
            segments,
            duration,
        } => igatl::parts(label, segments, *duration, referring, dialect, context),
        Target::Avqa {
            question,
            choices,
            answer,
            ..
        } => avqa::parts(question, choices.as_deref(), answer, context),
        Target::Avc { caption } => avc::parts(caption),
    }
}

/// The untemplated input and the answer of `target` in the `meerkat` dialect, which together say
/// what a sample asks and what it answers whatever its template: `None` for captioning, whose
/// several captions of one clip are all right answers. Used to refuse ambiguous samples (two
/// records with one media set and question but different answers, see
/// [`crate::sources::Collector::guard_ambiguity`]).
pub fn question_and_answer(target: &Target, referring: bool) -> Option<(String, String)> {
    if matches!(target, Target::Avc { .. }) {
        return None;
    }
    Some(input_and_answer(target, referring, Dialect::Meerkat, None))
}

/// Small valid targets of `task` on which every template is rendered when loaded: one per
/// shape the task's variables can take (AVQA: multiple choice and open-ended).
pub fn probe_targets(task: Task) -> Vec<Target> {
    let qa = |choices: Option<Vec<String>>| Target::Avqa {
        question: "What is making the sound?".into(),
        answer_index: choices.as_ref().map(|_| 0),
        choices,
        answer: "a dog".into(),
        question_type: "Probe".into(),
    };
    match task {
        Task::Avfc => (1..=4)
            .map(|kind| Target::Avfc {
                kind,
                verdict: kind % 2 == 0,
                label: "dog".into(),
                boxes: (kind == 4).then(|| vec![BBox::normalized(0.1, 0.2, 0.5, 0.9).expect("valid probe box")]),
                segments: (kind == 3).then(|| vec![Segment::new(1.0, 3.5, Some(10.0)).expect("valid probe segment")]),
                duration: (kind == 3).then_some(10.0),
            })
            .collect(),
        Task::Arig => vec![Target::Arig {
            label: "dog".into(),
            boxes: vec![BBox::normalized(0.1, 0.2, 0.5, 0.9).expect("valid probe box")],
        }],
        Task::Igatl => vec![Target::Igatl {
            label: "dog".into(),
            segments: vec![Segment::new(1.0, 3.5, Some(10.0)).expect("valid probe segment")],
            duration: 10.0,
        }],
        Task::Avqa => vec![qa(Some(vec!["a dog".into(), "a cat".into()])), qa(None)],
        Task::Avc => vec![Target::Avc {
            caption: "A dog barks in a garden.".into(),
        }],
    }
}

/// Writes `record`'s shard line (JSON, without newline) to `out`: id `<source>/<key>/<task>`
/// (`.../avfc/<type>` for AVFC), a template chosen by `stable_hash(seed, id)` among the task's
/// `[[template]]` entries, or its `[[referring]]` ones when [`Record::referring`] is set, that
/// speak of exactly the record's media ([`Templates::choose_for`]), the instruction and input
/// rendered, the answer fixed by the dialect; the bytes of the [`crate::record::Sample`] of those
/// fields ([`SampleLine::write_json`]), built without one.
///
/// Errors: the task has no templates (or no referring ones for a referring record), or a
/// template fails to render (naming file and id); `out` is then as it was.
pub fn write_sample(
    record: &Record,
    templates: &Templates,
    dialect: Dialect,
    seed: u64,
    out: &mut Vec<u8>,
) -> Result<()> {
    // The id is built in a buffer kept per thread: one allocation per thread, not per sample.
    thread_local! {
        static ID: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    ID.with_borrow_mut(|id| {
        id.clear();
        let task = record.target.task();
        id.extend([record.source, "/", &record.key, "/", task.as_str()]);
        if let Target::Avfc { kind, .. } = &record.target {
            id.push('/');
            id.push_str(itoa::Buffer::new().format(*kind));
        }
        write_sample_as(record, id, templates, dialect, seed, out)
    })
}

/// [`write_sample`] of `record` with its sample id `id`.
fn write_sample_as(
    record: &Record,
    id: &str,
    templates: &Templates,
    dialect: Dialect,
    seed: u64,
    out: &mut Vec<u8>,
) -> Result<()> {
    let task = record.target.task();
    let set = if record.referring {
        TemplateSet::Referring
    } else {
        TemplateSet::Media
    };
    let kinds = crate::render::media_kinds(&record.media);
    let index = templates.choose_for(task, set, kinds, seed, id)?;
    let write = |instruction: &str, input: &str, answer: &str, out: &mut Vec<u8>| {
        SampleLine {
            id,
            task,
            source: record.source,
            split: record.split,
            image: record.media.image.as_deref(),
            audio: record.media.audio.as_deref(),
            video: record.media.video.as_deref(),
            groups: &record.groups,
            instruction,
            input,
            answer,
            template: templates.label(task, index),
            target: &record.target,
        }
        .write_json(out)
    };
    // A template without Tera syntax beyond box_format, segment_format and input needs no Tera
    // context (building one serializes every variable): same bytes, less work.
    if templates.is_plain(task, index) {
        let (input, answer) = input_and_answer(&record.target, record.referring, dialect, None);
        let (instruction, input) = templates
            .render_without_context(task, index, dialect, &input)
            .expect("is_plain checked");
        write(&instruction, &input, &answer, out);
    } else {
        let parts = parts(&record.target, record.referring, dialect);
        let (instruction, input) = templates.render(task, index, &parts.context)?;
        write(&instruction, &input, &parts.answer, out);
    }
    Ok(())
}
