//! The TOML shape of a source spec (`sources/<name>.toml`), as serde reads it. Every table refuses
//! unknown keys (`deny_unknown_fields`), so a typo is an error at load with its line. What the keys
//! mean is documented in the README ("Adding a source", the table of keys) and checked in
//! [`super::compile`].

use serde::Deserialize;

/// A whole spec file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpec {
    /// `[a-z0-9_]+`: the shard and sample-id prefix.
    pub name: String,
    /// `arig`, `igatl`, `avqa` or `avc`.
    pub task: String,
    /// One line for `avfit sources`.
    #[serde(default)]
    pub description: String,
    /// The dataset's citation (BibTeX or a reference line), for the dataset card.
    pub citation: String,
    /// The annotations' licence, for the dataset card.
    pub license: String,
    /// `[[file]]`: the native files and their splits.
    pub file: Vec<RawFile>,
    /// `[format]`: how the files are read.
    pub format: RawFormat,
    /// `[[pattern]]`: named captures out of a field.
    #[serde(default)]
    pub pattern: Vec<RawPattern>,
    /// `[[filter]]`: rows left out, with a skip reason.
    #[serde(default)]
    pub filter: Vec<RawFilter>,
    /// `[record]`: key, label, groups, media, target fields.
    pub record: RawRecord,
    /// `[boxes]` (ARIG).
    pub boxes: Option<RawBoxes>,
    /// `[segments]` (IGATL).
    pub segments: Option<RawSegments>,
    /// `[rows]`: grouping, expansion, duplicates.
    #[serde(default)]
    pub rows: RawRows,
}

/// `[[file]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    /// File-name pattern: `*` any run of characters, `?` one character.
    pub name: String,
    /// `train`, `test` or `skip` (counted `split_not_used`).
    pub split: String,
    /// File-name patterns: when any input file matches one, this file is not read (noted
    /// `superseded_by_other_file`).
    #[serde(default)]
    pub unless: Vec<String>,
}

/// `[format]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFormat {
    /// `delimited` (no quoting), `csv` (RFC 4180 quoting), `json` or `jsonl`.
    pub kind: String,
    /// One character (`","`, `"\t"`, `"&"`); default `,`.
    pub delimiter: Option<String>,
    /// `present`, `absent` or `detect` (the first row is a header when it equals `columns`).
    pub header: Option<String>,
    /// Column names, in order (required unless `header = "present"`).
    pub columns: Option<Vec<String>>,
    /// Rows whose first field starts with this text are comments.
    pub comment: Option<String>,
    /// JSON: where the records are, e.g. `dialogs[dialog].dialog[turn]`.
    pub records: Option<String>,
}

/// `[[pattern]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPattern {
    /// The field matched.
    pub field: String,
    /// A regular expression with named captures `(?P<name>...)`, matched against the whole field.
    pub regex: String,
    /// Values it must match (checked at load: a pattern that cannot match is refused).
    pub examples: Vec<String>,
    /// Reject code of a row whose field does not match: `malformed_field` (default) or `bad_clip_id`.
    pub reason: Option<String>,
}

/// `[[filter]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFilter {
    /// The field tested (a column or JSON field, never a capture).
    pub field: String,
    /// Keep rows whose field equals this.
    pub equals: Option<String>,
    /// Keep rows whose field differs from this.
    pub not_equals: Option<String>,
    /// Keep rows whose field is one of these.
    #[serde(rename = "in")]
    pub one_of: Option<Vec<String>>,
    /// `true`: keep rows whose field is absent or empty; `false`: keep rows where it is not.
    pub empty: Option<bool>,
    /// Skip code of the rows left out: `filtered_out` (default), `no_event`, `undisclosed_answer`,
    /// `split_not_used`.
    pub skip: Option<String>,
}

/// `[record]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRecord {
    /// Record key template (sample id `<name>/<key>/<task>`).
    pub key: String,
    /// Class label template (ARIG, IGATL); shown with underscores as spaces.
    pub label: Option<String>,
    /// Group templates (`yt:{ytid}`).
    #[serde(default)]
    pub groups: Vec<String>,
    /// Media key template (default: the key): `{key}` of the media layout.
    pub media_key: Option<String>,
    /// `none` (default), `still` (`<dataset>/frames/<media key>.jpg`) or `frame` (the frame at
    /// `frame_time`).
    pub image: Option<String>,
    /// The frame's time: a template, or `first_segment_midpoint` (IGATL).
    pub frame_time: Option<String>,
    /// `s` (default) or `ms`.
    pub frame_unit: Option<String>,
    /// Start in seconds of the clip within its source video (a number or a template; `a - b`
    /// allowed as in `clip_duration`), for `avfit media list` / `media extract`.
    pub clip_start: Option<NumOrText>,
    /// End in seconds of the clip within its source video; with `clip_start`. Absent: the clip
    /// runs to the video's end.
    pub clip_end: Option<NumOrText>,
    /// The dataset's own file the media come from, when they are not cut from a YouTube video
    /// (Clotho's `{file_name}`; AVSD's `{video}`, a video's stem, any container): looked up by
    /// name (else stem) under `media extract`'s `--audio`, `--images` or `--videos` roots (with
    /// `clip_start = 0` for a video).
    pub source_file: Option<String>,
    /// Whether samples name the audio clip (default true).
    pub audio: Option<bool>,
    /// Whether samples name the video (default false).
    pub video: Option<bool>,
    /// ARIG/IGATL: the class is named in the input (default: when there is no image).
    pub referring: Option<bool>,
    /// AVQA: question template.
    pub question: Option<String>,
    /// AVQA: answer template.
    pub answer: Option<String>,
    /// AVQA: question type template (default `open-ended`).
    pub question_type: Option<String>,
    /// AVQA: `earlier_turns` puts the earlier records of the same JSON parent (question and
    /// answer) before the question.
    pub context: Option<String>,
    /// AVC: caption template.
    pub caption: Option<String>,
}

/// `[boxes]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBoxes {
    /// Four value templates, in `order`.
    pub columns: Vec<String>,
    /// `xyxy`, `xxyy`, `xywh` or `cxcywh`.
    pub order: String,
    /// `normalized`, `pixels` or `pixels_1based_inclusive`; no default.
    pub units: String,
    /// Pixels: the image width (a number or a template).
    pub width: Option<NumOrText>,
    /// Pixels: the image height (a number or a template).
    pub height: Option<NumOrText>,
}

/// `[segments]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSegments {
    /// Start template.
    pub start: String,
    /// End template (or `duration`).
    pub end: Option<String>,
    /// Duration template (or `end`).
    pub duration: Option<String>,
    /// `s` (default) or `ms`.
    pub unit: Option<String>,
    /// The clip length in seconds: a number, a template (`{end} - {start}` allowed), or `wav`.
    pub clip_duration: NumOrText,
    /// Seconds an end may pass the clip and be clamped to it (default 0).
    pub clamp: Option<f64>,
    /// Merge the segments of a record where they overlap or touch (default true).
    pub merge: Option<bool>,
}

/// `[rows]`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawRows {
    /// Rows with the same key (and file) make one record.
    #[serde(default)]
    pub group: bool,
    /// Fields that each make a sample of the row (Clotho's five captions).
    pub expand: Option<Vec<String>>,
    /// The name under which the expanded value is reachable (default `value`); `{<as>_index}` is
    /// its 1-based position.
    #[serde(rename = "as")]
    pub expand_as: Option<String>,
    /// `first` (default: a repeated key is `duplicate_row`) or `reject_conflicts` (copies with the
    /// same target: the first kept; with different targets: every copy `conflicting_duplicate`).
    pub duplicates: Option<String>,
}

/// A TOML number or string.
#[derive(Deserialize, Clone)]
#[serde(untagged)]
pub enum NumOrText {
    /// A constant.
    Num(f64),
    /// A template or keyword.
    Text(String),
}
