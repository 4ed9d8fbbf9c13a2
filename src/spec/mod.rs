//! Declarative sources: a dataset described by a TOML file (a *source spec*) instead of a Rust
//! adapter. The spec names the native files and their splits, how they are read (delimited text,
//! CSV, JSON at a path, JSONL), how a row becomes a record (key, label, groups, media, the task's
//! target) and the row rules (filters, grouping, one row into several samples, duplicates).
//! The README's "Adding a source" documents every key; `sources/*.toml` are the specs avfit ships
//! (embedded in the binary, see [`shipped`]).
//!
//! A spec is checked when loaded ([`Spec::from_text`]): unknown keys, a field a template names
//! that the format cannot give, a pattern that does not match its examples, a box without units,
//! a task without its target keys are refused with the spec file, its line and what was expected.
//! A header that lacks a named column is refused when the file is opened, naming both files; a
//! name that a built-in source has is refused by [`crate::registry::load_spec`], which knows them
//! all (this module knows no other kind of source).
//! Reading ([`engine`]) goes through the same geometry ([`crate::geometry`]), accounting
//! ([`Collector`]) and reason codes ([`crate::reason`]) as the built-in adapters.

mod engine;
pub mod schema;
pub mod template;

use crate::error::{Error, Result};
use crate::reason::{Reason, Skip};
use crate::record::{Split, Task};
use crate::sources::{Collector, Source, SourceOptions};
use schema::{NumOrText, RawSpec};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use template::Template;

/// The specs avfit ships (`sources/*.toml` of the repository), embedded at compile time so the
/// binary works from any directory and a spec always matches the engine it was tested with.
pub const SHIPPED: [(&str, &str); 5] = [
    ("sources/ave.toml", include_str!("../../sources/ave.toml")),
    ("sources/desed.toml", include_str!("../../sources/desed.toml")),
    ("sources/clotho.toml", include_str!("../../sources/clotho.toml")),
    ("sources/avsd.toml", include_str!("../../sources/avsd.toml")),
    ("sources/ytbb.toml", include_str!("../../sources/ytbb.toml")),
];

/// The shipped specs, compiled once (leaked: they live as long as the program).
///
/// Panics: never for the shipped files (the tests load every one); a broken shipped spec is a
/// build defect.
pub fn shipped() -> &'static [&'static Spec] {
    static SHIPPED_SPECS: std::sync::OnceLock<Vec<&'static Spec>> = std::sync::OnceLock::new();
    SHIPPED_SPECS.get_or_init(|| {
        SHIPPED
            .iter()
            .map(|(label, text)| {
                let spec = Spec::from_text(Path::new(label), text)
                    .unwrap_or_else(|e| panic!("shipped spec {label} does not load: {e}"));
                &*Box::leak(Box::new(spec))
            })
            .collect()
    })
}

/// Loads the spec at `path` for the run (leaked: a run keeps its sources to the end). Runs load
/// a user's spec through [`crate::registry::load_spec`], which also refuses a built-in name.
///
/// Errors: the file cannot be read, and as [`Spec::from_text`].
pub fn load(path: &Path) -> Result<&'static Spec> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    Ok(Box::leak(Box::new(Spec::from_text(path, &text)?)))
}

/// Where a file's records go.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum FileSplit {
    /// Into this split.
    To(Split),
    /// Nowhere: counted `split_not_used`.
    Skip,
}

#[derive(Clone, Debug)]
pub(crate) struct FileRule {
    pub name: String,
    pub split: FileSplit,
    pub unless: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Kind {
    Delimited,
    Csv,
    Json,
    Jsonl,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Header {
    Present,
    Absent,
    Detect,
}

/// One step of a JSON `records` path.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Step {
    /// Descend into this key.
    Key(String),
    /// Iterate an array, binding each element to the level of this number.
    Array(usize),
    /// Iterate an object's values, binding each (with its key) to the level of this number.
    Object(usize),
}

/// What fills a slot.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum SlotDef {
    /// A column of a delimited file, by name.
    Column(String),
    /// A JSON field: the level it starts from and the path below it.
    Json { level: usize, path: Vec<JsonPart> },
    /// A named capture of pattern `pattern`.
    Capture { pattern: usize, name: String },
    /// The expanded value.
    Expand,
    /// Its 1-based position.
    ExpandIndex,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum JsonPart {
    Key(String),
    /// `@key`: the object key the level was bound with.
    AtKey,
    /// `@index`: the 0-based array position the level was bound with.
    AtIndex,
}

pub(crate) struct Pattern {
    pub field: usize,
    pub field_name: String,
    pub regex: regex::Regex,
    /// (capture group index, slot).
    pub captures: Vec<(usize, usize)>,
    pub reason: Reason,
}

pub(crate) enum Test {
    Equals(String),
    NotEquals(String),
    OneOf(Vec<String>),
    Empty(bool),
}

pub(crate) struct Filter {
    pub slot: usize,
    pub tests: Vec<Test>,
    pub skip: Skip,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum ImageRule {
    None,
    Still,
    Frame,
}

pub(crate) enum FrameTime {
    At(Template),
    FirstSegmentMidpoint,
}

pub(crate) struct RecordRule {
    pub key: Template,
    pub label: Option<Template>,
    pub groups: Vec<Template>,
    pub media_key: Option<Template>,
    pub image: ImageRule,
    pub frame_time: Option<FrameTime>,
    pub frame_scale: f64,
    pub clip_start: Option<Number>,
    pub clip_end: Option<Number>,
    pub source_file: Option<Template>,
    pub audio: bool,
    pub video: bool,
    pub referring: bool,
    pub question: Option<Template>,
    pub answer: Option<Template>,
    pub question_type: Option<Template>,
    pub earlier_turns: bool,
    pub caption: Option<Template>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Order {
    Xyxy,
    Xxyy,
    Xywh,
    Cxcywh,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum BoxUnits {
    Normalized,
    Pixels,
    Pixels1BasedInclusive,
}

pub(crate) enum Number {
    Const(f64),
    Value(Template),
    Difference(Template, Template),
    Sum(Template, Template),
}

pub(crate) struct BoxRule {
    pub columns: [Template; 4],
    pub order: Order,
    pub units: BoxUnits,
    pub width: Option<Number>,
    pub height: Option<Number>,
}

pub(crate) enum ClipDuration {
    Fixed(Number),
    Wav,
}

pub(crate) struct SegmentRule {
    pub start: Template,
    pub end: Option<Template>,
    pub duration: Option<Template>,
    pub scale: f64,
    pub clip: ClipDuration,
    pub clamp: f64,
    pub merge: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Duplicates {
    First,
    RejectConflicts,
}

/// A compiled source spec: a [`Source`] like the built-in adapters.
pub struct Spec {
    /// The spec's name (`[a-z0-9_]+`): shard and sample-id prefix.
    pub name: &'static str,
    /// Its task.
    pub task: Task,
    tasks: &'static [Task],
    files_text: &'static str,
    /// The dataset card's entry: the spec's name, `citation` and `license`.
    citations: &'static [crate::sources::Citation],
    /// One line for `avfit sources`.
    pub description: String,
    /// The dataset's citation, for the dataset card.
    pub citation: String,
    /// The annotations' licence, for the dataset card.
    pub license: String,
    /// The spec file it was read from (as given, or `sources/<name>.toml` when shipped).
    pub origin: PathBuf,
    /// The spec's text (enters a build's config hash).
    pub text: String,
    pub(crate) files: Vec<FileRule>,
    pub(crate) kind: Kind,
    pub(crate) delimiter: u8,
    pub(crate) header: Header,
    pub(crate) columns: Option<Vec<String>>,
    pub(crate) comment: Option<String>,
    /// JSON: the alternative `records` paths (the first whose start fits the file is used).
    pub(crate) paths: Vec<Vec<Step>>,
    /// JSON: level names, by level number.
    pub(crate) levels: Vec<String>,
    pub(crate) slots: Vec<SlotDef>,
    pub(crate) patterns: Vec<Pattern>,
    pub(crate) filters: Vec<Filter>,
    pub(crate) record: RecordRule,
    pub(crate) boxes: Option<BoxRule>,
    pub(crate) segments: Option<SegmentRule>,
    pub(crate) group: bool,
    pub(crate) expand: Vec<usize>,
    pub(crate) duplicates: Duplicates,
}

/// The 1-based line of the first occurrence of `needle` in `text` (the spec's key or value a
/// message is about), else `None`.
fn line_of(text: &str, needle: &str) -> Option<u64> {
    let at = text.find(needle)?;
    Some(text[..at].bytes().filter(|&b| b == b'\n').count() as u64 + 1)
}

/// Whether `name` is a valid spec name: `[a-z0-9_]+`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn skip_code(code: &str) -> Option<Skip> {
    [
        Skip::FilteredOut,
        Skip::NoEvent,
        Skip::UndisclosedAnswer,
        Skip::SplitNotUsed,
    ]
    .into_iter()
    .find(|s| s.as_str() == code)
}

/// Parses a JSON `records` path (`dialogs[dialog].dialog[turn]`, `{video}.data{dialog}[turn]`,
/// `[row]`), adding level names to `levels` (a name used again in another alternative is the
/// same level). Errors: a message.
fn parse_path(path: &str, levels: &mut Vec<String>) -> std::result::Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    let level_of = |name: &str, levels: &mut Vec<String>| -> std::result::Result<usize, String> {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(format!("records `{path}`: level name `{name}` is not [A-Za-z0-9_]+"));
        }
        Ok(match levels.iter().position(|l| l == name) {
            Some(i) => i,
            None => {
                levels.push(name.to_string());
                levels.len() - 1
            }
        })
    };
    let chars: Vec<char> = path.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '.' => i += 1,
            open @ ('[' | '{') => {
                let close = if open == '[' { ']' } else { '}' };
                let end = chars[i..]
                    .iter()
                    .position(|&c| c == close)
                    .ok_or_else(|| format!("records `{path}`: `{open}` without `{close}`"))?;
                let name: String = chars[i + 1..i + end].iter().collect();
                let level = level_of(name.trim(), levels)?;
                steps.push(if open == '[' {
                    Step::Array(level)
                } else {
                    Step::Object(level)
                });
                i += end + 1;
            }
            _ => {
                let end = chars[i..]
                    .iter()
                    .position(|&c| matches!(c, '.' | '[' | '{'))
                    .unwrap_or(chars.len() - i);
                steps.push(Step::Key(chars[i..i + end].iter().collect()));
                i += end;
            }
        }
    }
    if !matches!(steps.last(), Some(Step::Array(_) | Step::Object(_))) {
        return Err(format!(
            "records `{path}`: expected a path ending in `[name]` (array elements) or `{{name}}` (object values)"
        ));
    }
    Ok(steps)
}

impl Spec {
    /// Compiles the spec `text` read from `path` (used in messages).
    ///
    /// Errors: [`Error::Input`] with `path`, the 1-based line and what was expected, for invalid
    /// TOML, an unknown key, a bad name, a value outside its choices, a template naming a field
    /// the format cannot give (a column not in `columns`, a JSON level not in `records`), a
    /// pattern that does not match one of its examples or has no named capture, a box without
    /// `units`, and a task without its target keys.
    pub fn from_text(path: &Path, text: &str) -> Result<Spec> {
        let raw: RawSpec = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start].bytes().filter(|&b| b == b'\n').count() as u64 + 1);
            Error::input(path, line, e.message().replace('\n', " "))
        })?;
        let fail = |needle: &str, message: String| Error::input(path, line_of(text, needle), message);
        if !valid_name(&raw.name) {
            return Err(fail(
                "name",
                format!(
                    "name `{}`: expected [a-z0-9_]+ (it becomes the shard and sample-id prefix)",
                    raw.name
                ),
            ));
        }
        let task = match raw.task.as_str() {
            "arig" => Task::Arig,
            "igatl" => Task::Igatl,
            "avqa" => Task::Avqa,
            "avc" => Task::Avc,
            other => {
                return Err(fail(
                    "task",
                    format!("task `{other}`: expected arig, igatl, avqa or avc"),
                ))
            }
        };
        if raw.file.is_empty() {
            return Err(fail(
                "[format]",
                "no [[file]]: expected at least one file pattern".into(),
            ));
        }
        let mut files = Vec::new();
        for f in &raw.file {
            let split = match f.split.as_str() {
                "train" => FileSplit::To(Split::Train),
                "test" => FileSplit::To(Split::Test),
                "skip" => FileSplit::Skip,
                other => {
                    return Err(fail(
                        &format!("\"{}\"", f.name),
                        format!("file `{}`: split `{other}`: expected train, test or skip", f.name),
                    ))
                }
            };
            files.push(FileRule {
                name: f.name.clone(),
                split,
                unless: f.unless.clone(),
            });
        }
        let fmt = &raw.format;
        let kind = match fmt.kind.as_str() {
            "delimited" => Kind::Delimited,
            "csv" => Kind::Csv,
            "json" => Kind::Json,
            "jsonl" => Kind::Jsonl,
            other => {
                return Err(fail(
                    "kind",
                    format!("format kind `{other}`: expected delimited, csv, json or jsonl"),
                ))
            }
        };
        let tabular = matches!(kind, Kind::Delimited | Kind::Csv);
        let delimiter = match fmt.delimiter.as_deref() {
            None => b',',
            Some(d) if d.len() == 1 && tabular => d.as_bytes()[0],
            Some(d) => {
                return Err(fail(
                    "delimiter",
                    format!("delimiter `{d}`: expected one ASCII character, for delimited or csv files"),
                ))
            }
        };
        let header = match (fmt.header.as_deref(), tabular) {
            (None | Some("present"), true) => Header::Present,
            (Some("absent"), true) => Header::Absent,
            (Some("detect"), true) => Header::Detect,
            (None, false) => Header::Absent,
            (Some(other), _) => {
                return Err(fail(
                    "header",
                    format!("header `{other}`: expected present, absent or detect, for delimited or csv files"),
                ))
            }
        };
        if tabular && header != Header::Present && fmt.columns.is_none() {
            return Err(fail(
                "header",
                "a file without a sure header needs `columns`: expected the column names in order".into(),
            ));
        }
        let mut levels = Vec::new();
        let mut paths = Vec::new();
        if tabular {
            if fmt.records.is_some() {
                return Err(fail("records", "`records` is for json and jsonl files".into()));
            }
        } else {
            let records = fmt.records.as_deref().ok_or_else(|| {
                fail(
                    "[format]",
                    "json needs `records`: expected a path such as `[item]` or `dialogs[dialog].dialog[turn]`".into(),
                )
            })?;
            for alt in records.split('|') {
                let steps = parse_path(alt.trim(), &mut levels).map_err(|m| fail("records", m))?;
                if kind == Kind::Jsonl && !matches!(steps.first(), Some(Step::Array(_))) {
                    return Err(fail(
                        "records",
                        format!("records `{alt}`: a JSONL file is read as an array of lines: expected `[name]...`"),
                    ));
                }
                paths.push(steps);
            }
        }

        // Slots: captures first (their names shadow fields), then fields as named.
        let mut slots: Vec<SlotDef> = Vec::new();
        let mut names: HashMap<String, usize> = HashMap::new();
        let expand_as = raw.rows.expand_as.clone().unwrap_or_else(|| "value".into());
        let expand_fields = raw.rows.expand.clone().unwrap_or_default();
        for (p, pat) in raw.pattern.iter().enumerate() {
            let regex = regex::Regex::new(&format!("^(?:{})$", pat.regex)).map_err(|e| {
                fail(
                    &pat.regex,
                    format!("pattern `{}`: {}", pat.regex, e.to_string().replace('\n', " ")),
                )
            })?;
            let captured: Vec<&str> = regex.capture_names().flatten().collect();
            if captured.is_empty() {
                return Err(fail(
                    &pat.regex,
                    format!(
                        "pattern `{}`: expected at least one named capture `(?P<name>...)`",
                        pat.regex
                    ),
                ));
            }
            if pat.examples.is_empty() {
                return Err(fail(
                    &pat.regex,
                    format!(
                        "pattern `{}`: expected `examples`, values of `{}` it must match",
                        pat.regex, pat.field
                    ),
                ));
            }
            if let Some(bad) = pat.examples.iter().find(|e| !regex.is_match(e)) {
                return Err(fail(
                    &pat.regex,
                    format!("pattern `{}` cannot match its example `{bad}`", pat.regex),
                ));
            }
            for name in captured {
                if names.contains_key(name) {
                    return Err(fail(&pat.regex, format!("capture `{name}` is named twice")));
                }
                names.insert(name.to_string(), slots.len());
                slots.push(SlotDef::Capture {
                    pattern: p,
                    name: name.to_string(),
                });
            }
        }
        if raw.rows.expand.is_some() {
            names.insert(expand_as.clone(), slots.len());
            slots.push(SlotDef::Expand);
            names.insert(format!("{expand_as}_index"), slots.len());
            slots.push(SlotDef::ExpandIndex);
        }
        let columns = fmt.columns.clone();
        let field_slot = |name: &str, slots: &mut Vec<SlotDef>, names: &mut HashMap<String, usize>| {
            if let Some(&s) = names.get(name) {
                return Ok(s);
            }
            let def = if tabular {
                if let (Some(cols), false) = (&columns, header == Header::Present) {
                    if !cols.iter().any(|c| c == name) {
                        return Err(format!(
                            "`{name}` is not a column of this format: expected one of {} (or a capture)",
                            cols.join(", ")
                        ));
                    }
                }
                SlotDef::Column(name.to_string())
            } else {
                let mut parts = name.split('.');
                let level_name = parts.next().unwrap_or_default();
                let level = levels.iter().position(|l| l == level_name).ok_or_else(|| {
                    format!(
                        "`{name}`: expected a field under a level of `records` ({}), a capture or the expanded value",
                        levels.join(", ")
                    )
                })?;
                let path = parts
                    .map(|p| match p {
                        "@key" => JsonPart::AtKey,
                        "@index" => JsonPart::AtIndex,
                        key => JsonPart::Key(key.to_string()),
                    })
                    .collect();
                SlotDef::Json { level, path }
            };
            names.insert(name.to_string(), slots.len());
            slots.push(def);
            Ok(slots.len() - 1)
        };
        // Pattern fields and expanded fields are fields (never captures).
        let mut patterns = Vec::new();
        for (p, pat) in raw.pattern.iter().enumerate() {
            let field = field_slot(&pat.field, &mut slots, &mut names).map_err(|m| fail(&pat.field, m))?;
            if matches!(slots[field], SlotDef::Capture { .. }) {
                return Err(fail(
                    &pat.field,
                    format!(
                        "pattern field `{}` is a capture: expected a column or JSON field",
                        pat.field
                    ),
                ));
            }
            let regex = regex::Regex::new(&format!("^(?:{})$", pat.regex)).expect("compiled above");
            let captures = regex
                .capture_names()
                .enumerate()
                .filter_map(|(i, n)| n.map(|n| (i, names[n])))
                .collect();
            let reason = match pat.reason.as_deref() {
                None | Some("malformed_field") => Reason::MalformedField,
                Some("bad_clip_id") => Reason::BadClipId,
                Some(other) => {
                    return Err(fail(
                        other,
                        format!("pattern reason `{other}`: expected malformed_field or bad_clip_id"),
                    ))
                }
            };
            patterns.push(Pattern {
                field,
                field_name: pat.field.clone(),
                regex,
                captures,
                reason,
            });
            let _ = p;
        }
        let mut expand = Vec::new();
        for f in &expand_fields {
            expand.push(field_slot(f, &mut slots, &mut names).map_err(|m| fail(f, m))?);
        }
        let compile = |t: &str, slots: &mut Vec<SlotDef>, names: &mut HashMap<String, usize>| {
            Template::compile(t, |n| field_slot(n, slots, names)).map_err(|m| fail(t, m))
        };
        let mut filters = Vec::new();
        for f in &raw.filter {
            let slot = field_slot(&f.field, &mut slots, &mut names).map_err(|m| fail(&f.field, m))?;
            if matches!(slots[slot], SlotDef::Capture { .. }) {
                return Err(fail(
                    &f.field,
                    format!(
                        "filter field `{}` is a capture: filters test the row's own fields",
                        f.field
                    ),
                ));
            }
            let mut tests = Vec::new();
            if let Some(v) = &f.equals {
                tests.push(Test::Equals(v.clone()));
            }
            if let Some(v) = &f.not_equals {
                tests.push(Test::NotEquals(v.clone()));
            }
            if let Some(v) = &f.one_of {
                tests.push(Test::OneOf(v.clone()));
            }
            if let Some(v) = f.empty {
                tests.push(Test::Empty(v));
            }
            if tests.is_empty() {
                return Err(fail(
                    &f.field,
                    format!("filter on `{}`: expected equals, not_equals, in or empty", f.field),
                ));
            }
            let skip = match f.skip.as_deref() {
                None => Skip::FilteredOut,
                Some(code) => skip_code(code).ok_or_else(|| {
                    fail(
                        code,
                        format!("skip `{code}`: expected filtered_out, no_event, undisclosed_answer or split_not_used"),
                    )
                })?,
            };
            filters.push(Filter { slot, tests, skip });
        }

        let r = &raw.record;
        let opt = |t: &Option<String>, slots: &mut Vec<SlotDef>, names: &mut HashMap<String, usize>| {
            t.as_deref().map(|t| compile(t, slots, names)).transpose()
        };
        let key = compile(&r.key, &mut slots, &mut names)?;
        let label = opt(&r.label, &mut slots, &mut names)?;
        let groups = r
            .groups
            .iter()
            .map(|g| compile(g, &mut slots, &mut names))
            .collect::<Result<Vec<_>>>()?;
        let media_key = opt(&r.media_key, &mut slots, &mut names)?;
        let image = match r.image.as_deref() {
            None | Some("none") => ImageRule::None,
            Some("still") => ImageRule::Still,
            Some("frame") => ImageRule::Frame,
            Some(other) => return Err(fail("image", format!("image `{other}`: expected none, still or frame"))),
        };
        let frame_time = match r.frame_time.as_deref() {
            None => None,
            Some("first_segment_midpoint") => Some(FrameTime::FirstSegmentMidpoint),
            Some(t) => Some(FrameTime::At(compile(t, &mut slots, &mut names)?)),
        };
        if image == ImageRule::Frame && frame_time.is_none() {
            return Err(fail(
                "image",
                "image = \"frame\" needs `frame_time`: expected a template or first_segment_midpoint".into(),
            ));
        }
        let frame_scale = match r.frame_unit.as_deref() {
            None | Some("s") => 1.0,
            Some("ms") => 1e-3,
            Some(other) => return Err(fail("frame_unit", format!("frame_unit `{other}`: expected s or ms"))),
        };
        let question = opt(&r.question, &mut slots, &mut names)?;
        let answer = opt(&r.answer, &mut slots, &mut names)?;
        let question_type = opt(&r.question_type, &mut slots, &mut names)?;
        let caption = opt(&r.caption, &mut slots, &mut names)?;
        let earlier_turns = match r.context.as_deref() {
            None => false,
            Some("earlier_turns") if !tabular => true,
            Some(other) => {
                return Err(fail(
                    "context",
                    format!("context `{other}`: expected earlier_turns (JSON records only)"),
                ))
            }
        };

        let number = |v: &NumOrText, slots: &mut Vec<SlotDef>, names: &mut HashMap<String, usize>| -> Result<Number> {
            Ok(match v {
                NumOrText::Num(n) => Number::Const(*n),
                NumOrText::Text(t) => {
                    if let Some((a, b)) = t.split_once(" - ") {
                        Number::Difference(compile(a.trim(), slots, names)?, compile(b.trim(), slots, names)?)
                    } else if let Some((a, b)) = t.split_once(" + ") {
                        Number::Sum(compile(a.trim(), slots, names)?, compile(b.trim(), slots, names)?)
                    } else {
                        Number::Value(compile(t, slots, names)?)
                    }
                }
            })
        };
        let boxes = match &raw.boxes {
            None => None,
            Some(b) => {
                let order = match b.order.as_str() {
                    "xyxy" => Order::Xyxy,
                    "xxyy" => Order::Xxyy,
                    "xywh" => Order::Xywh,
                    "cxcywh" => Order::Cxcywh,
                    other => {
                        return Err(fail(
                            "order",
                            format!("box order `{other}`: expected xyxy, xxyy, xywh or cxcywh"),
                        ))
                    }
                };
                let units = match b.units.as_str() {
                    "normalized" => BoxUnits::Normalized,
                    "pixels" => BoxUnits::Pixels,
                    "pixels_1based_inclusive" => BoxUnits::Pixels1BasedInclusive,
                    other => {
                        return Err(fail(
                            "units",
                            format!("box units `{other}`: expected normalized, pixels or pixels_1based_inclusive"),
                        ))
                    }
                };
                if b.columns.len() != 4 {
                    return Err(fail(
                        "columns",
                        format!("boxes: expected 4 columns in {} order", b.order),
                    ));
                }
                let width = b
                    .width
                    .as_ref()
                    .map(|w| number(w, &mut slots, &mut names))
                    .transpose()?;
                let height = b
                    .height
                    .as_ref()
                    .map(|h| number(h, &mut slots, &mut names))
                    .transpose()?;
                if units != BoxUnits::Normalized && (width.is_none() || height.is_none()) {
                    return Err(fail(
                        "units",
                        "pixel boxes need `width` and `height`: expected numbers or templates of the image size".into(),
                    ));
                }
                let cols = b
                    .columns
                    .iter()
                    .map(|c| compile(c, &mut slots, &mut names))
                    .collect::<Result<Vec<_>>>()?;
                Some(BoxRule {
                    columns: cols.try_into().ok().expect("four columns"),
                    order,
                    units,
                    width,
                    height,
                })
            }
        };
        let segments = match &raw.segments {
            None => None,
            Some(s) => {
                let scale = match s.unit.as_deref() {
                    None | Some("s") => 1.0,
                    Some("ms") => 1e-3,
                    Some(other) => return Err(fail("unit", format!("segment unit `{other}`: expected s or ms"))),
                };
                if s.end.is_some() == s.duration.is_some() {
                    return Err(fail(
                        "[segments]",
                        "segments: expected exactly one of `end` and `duration`".into(),
                    ));
                }
                let clip = match &s.clip_duration {
                    NumOrText::Text(t) if t == "wav" => ClipDuration::Wav,
                    other => ClipDuration::Fixed(number(other, &mut slots, &mut names)?),
                };
                Some(SegmentRule {
                    start: compile(&s.start, &mut slots, &mut names)?,
                    end: opt(&s.end, &mut slots, &mut names)?,
                    duration: opt(&s.duration, &mut slots, &mut names)?,
                    scale,
                    clip,
                    clamp: s.clamp.unwrap_or(0.0),
                    merge: s.merge.unwrap_or(true),
                })
            }
        };
        let need = |ok: bool, what: &str| {
            if ok {
                Ok(())
            } else {
                Err(fail("task", format!("task {}: expected {what}", raw.task)))
            }
        };
        match task {
            Task::Arig => need(
                boxes.is_some() && label.is_some() && image != ImageRule::None,
                "[boxes], record.label and record.image",
            )?,
            Task::Igatl => need(segments.is_some() && label.is_some(), "[segments] and record.label")?,
            Task::Avqa => need(
                question.is_some() && answer.is_some(),
                "record.question and record.answer",
            )?,
            Task::Avc => need(caption.is_some(), "record.caption")?,
            Task::Avfc => unreachable!("not a spec task"),
        }
        if matches!(frame_time, Some(FrameTime::FirstSegmentMidpoint)) && segments.is_none() {
            return Err(fail("frame_time", "first_segment_midpoint needs [segments]".into()));
        }
        let duplicates = match raw.rows.duplicates.as_deref() {
            None | Some("first") => Duplicates::First,
            Some("reject_conflicts") => Duplicates::RejectConflicts,
            Some(other) => {
                return Err(fail(
                    "duplicates",
                    format!("duplicates `{other}`: expected first or reject_conflicts"),
                ))
            }
        };
        if raw.rows.group && !matches!(task, Task::Arig | Task::Igatl) {
            return Err(fail(
                "group",
                "group = true is for arig (boxes) and igatl (segments)".into(),
            ));
        }
        let clip_start = r
            .clip_start
            .as_ref()
            .map(|v| number(v, &mut slots, &mut names))
            .transpose()?;
        let clip_end = r
            .clip_end
            .as_ref()
            .map(|v| number(v, &mut slots, &mut names))
            .transpose()?;
        if clip_end.is_some() && clip_start.is_none() {
            return Err(fail("clip_end", "clip_end needs clip_start".into()));
        }
        let referring = r.referring.unwrap_or(image == ImageRule::None) && matches!(task, Task::Arig | Task::Igatl);
        let record = RecordRule {
            key,
            label,
            groups,
            media_key,
            image,
            frame_time,
            frame_scale,
            clip_start,
            clip_end,
            source_file: opt(&r.source_file, &mut slots, &mut names)?,
            audio: r.audio.unwrap_or(true),
            video: r.video.unwrap_or(false),
            referring,
            question,
            answer,
            question_type,
            earlier_turns,
            caption,
        };
        let files_text = raw
            .file
            .iter()
            .map(|f| format!("{} ({})", f.name, f.split))
            .collect::<Vec<_>>()
            .join(", ");
        Ok(Spec {
            name: Box::leak(raw.name.clone().into_boxed_str()),
            task,
            tasks: Box::leak(vec![task].into_boxed_slice()),
            files_text: Box::leak(format!("{files_text} [spec {}]", path.display()).into_boxed_str()),
            citations: Box::leak(Box::new([crate::sources::Citation {
                dataset: Box::leak(raw.name.clone().into_boxed_str()),
                paper: Box::leak(raw.citation.clone().into_boxed_str()),
                licence: Box::leak(raw.license.clone().into_boxed_str()),
            }])),
            description: raw.description.clone(),
            citation: raw.citation.clone(),
            license: raw.license.clone(),
            origin: path.to_path_buf(),
            text: text.to_string(),
            files,
            kind,
            delimiter,
            header,
            columns,
            comment: fmt.comment.clone(),
            paths,
            levels,
            slots,
            patterns,
            filters,
            record,
            boxes,
            segments,
            group: raw.rows.group,
            expand,
            duplicates,
        })
    }

    /// The file rule a file name falls under (the first that matches).
    pub(crate) fn rule_of(&self, file_name: &str) -> Option<&FileRule> {
        self.files.iter().find(|f| template::glob_match(&f.name, file_name))
    }

    /// The line of the spec where `needle` first appears (for messages about the spec).
    pub(crate) fn line_of(&self, needle: &str) -> Option<u64> {
        line_of(&self.text, needle)
    }
}

impl Source for Spec {
    fn name(&self) -> &'static str {
        self.name
    }
    fn tasks(&self) -> &'static [Task] {
        self.tasks
    }
    fn files(&self) -> &'static str {
        self.files_text
    }
    fn citations(&self) -> &'static [crate::sources::Citation] {
        self.citations
    }
    fn recognizes(&self, file_name: &str) -> bool {
        self.rule_of(file_name).is_some()
    }
    fn read(&self, files: &[PathBuf], options: &SourceOptions, out: &mut Collector) -> Result<()> {
        engine::read(self, files, options, out)
    }
}
