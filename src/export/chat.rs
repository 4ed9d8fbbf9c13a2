//! The chat exports: one JSONL file per (task, split), `avfit_<task>_<split>.jsonl`, each line
//! `{"messages": [{"role": "user", "content": ...}, {"role": "assistant", "content": ...}],
//! "images": [...], "videos": [...], "audios": [...]}`.
//!
//! - `llamafactory`: LLaMA-Factory's "sharegpt" format with OpenAI-style tags (`messages`,
//!   `role`/`content`, `user`/`assistant`) and multimodal columns `images`, `videos`, `audios`,
//!   registered in `dataset_info.json` (`file_name`, `formatting: "sharegpt"`, `columns`, `tags`)
//!   as LLaMA-Factory's `data/README.md` describes it.
//! - `swift`: ms-swift's custom dataset format (`messages`, `images`, `videos`, `audios`), with
//!   `--grounding objects` the grounding form of its docs: `<ref-object>` and `<bbox>` in the text
//!   and `"objects": {"ref": [...], "bbox": [[x0,y0,x1,y1], ...], "bbox_type": "norm1"}`.
//!
//! Rules both trainers enforce, kept here for every line: the user turn starts with one
//! placeholder per listed medium, in the order `<image>`, `<video>`, `<audio>` (so every
//! `<video>` is followed by its `<audio>`, Qwen-Omni's `use_audio_in_video` order), so the number
//! of each placeholder equals the length of its list; media are lists, never strings; a sample
//! whose instruction, input or answer holds a literal placeholder is left out and listed in
//! `skipped.jsonl` as `{id, reason: "literal_placeholder", detail}`.

use super::{
    convert_shards, for_each_line, parse_sample, CorpusManifest, ExportOptions, ExportSummary, ExportedFile, Format,
    Group, MediaKind, Staging,
};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::geometry::BBox;
use crate::reason::ExportSkip;
use crate::record::Target;
use indicatif::ProgressBar;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

/// Placeholders that must not occur literally in a sample's text.
const MEDIA_PLACEHOLDERS: [&str; 3] = ["<image>", "<video>", "<audio>"];
/// ms-swift's grounding placeholders, also refused with `--grounding objects`.
const GROUNDING_PLACEHOLDERS: [&str; 2] = ["<ref-object>", "<bbox>"];

/// ms-swift's grounding objects of one line.
#[derive(Serialize)]
struct Objects<'a> {
    #[serde(rename = "ref")]
    refs: Vec<&'a str>,
    bbox: Vec<[f64; 4]>,
    bbox_type: &'static str,
}

/// A line of `skipped.jsonl`.
#[derive(Serialize)]
struct Skipped<'a> {
    id: &'a str,
    reason: ExportSkip,
    detail: String,
}

/// The fields of a corpus sample (a shard line, DESIGN.md's fields) a chat export reads,
/// borrowed from the line where JSON allows it (no escapes). `T` is the `target`: [`Target`]
/// when `--grounding objects` needs it, [`IgnoredAny`] (skipped, not built) otherwise.
#[derive(Debug, Deserialize)]
pub struct ChatSample<'a, T> {
    /// `<source>/<record key>/<task>`.
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    /// Image path relative to the media root, or null.
    #[serde(borrow, default, deserialize_with = "optional_text")]
    pub image: Option<Cow<'a, str>>,
    /// Audio path relative to the media root, or null.
    #[serde(borrow, default, deserialize_with = "optional_text")]
    pub audio: Option<Cow<'a, str>>,
    /// Video path relative to the media root, or null.
    #[serde(borrow, default, deserialize_with = "optional_text")]
    pub video: Option<Cow<'a, str>>,
    /// The rendered instruction.
    #[serde(borrow)]
    pub instruction: Cow<'a, str>,
    /// The rendered input (empty when the media are the whole input).
    #[serde(borrow)]
    pub input: Cow<'a, str>,
    /// The answer.
    #[serde(borrow)]
    pub answer: Cow<'a, str>,
    /// The truth, or nothing when the export does not need it.
    pub target: T,
}

/// A JSON string or null, borrowed when it has no escapes.
pub(super) fn optional_text<'de: 'a, 'a, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Cow<'a, str>>, D::Error> {
    #[derive(Deserialize)]
    struct Text<'a>(#[serde(borrow)] Cow<'a, str>);
    Ok(Option::<Text<'a>>::deserialize(d)?.map(|t| t.0))
}

/// The `target` of a [`ChatSample`] as grounding reads it: [`Target`] is itself, [`IgnoredAny`]
/// is none.
pub trait ChatTarget {
    /// The truth, when it was read.
    fn target(&self) -> Option<&Target>;
}

impl ChatTarget for Target {
    fn target(&self) -> Option<&Target> {
        Some(self)
    }
}

impl ChatTarget for IgnoredAny {
    fn target(&self) -> Option<&Target> {
        None
    }
}

/// The first literal placeholder in the sample's instruction, input or answer, as
/// `<field> contains <token>`; `grounding` adds `<ref-object>` and `<bbox>`.
pub fn literal_placeholder<T>(sample: &ChatSample<'_, T>, grounding: bool) -> Option<String> {
    let fields = [
        ("instruction", &sample.instruction),
        ("input", &sample.input),
        ("answer", &sample.answer),
    ];
    let extra: &[&str] = if grounding { &GROUNDING_PLACEHOLDERS } else { &[] };
    for (name, text) in fields {
        if !text.contains('<') {
            continue;
        }
        for token in MEDIA_PLACEHOLDERS.iter().chain(extra) {
            if text.contains(token) {
                return Some(format!("{name} contains {token}"));
            }
        }
    }
    None
}

/// The media path `path` as exported: `<media_dir>/<path>` with `--media-dir`, else as is.
fn media_path<'a>(media_dir: Option<&str>, path: &'a str) -> Cow<'a, str> {
    match media_dir {
        Some(dir) => Cow::Owned(format!("{}/{path}", dir.trim_end_matches('/'))),
        None => Cow::Borrowed(path),
    }
}

/// Appends to `out` the JSON line (without newline) of `sample`: placeholders of the `media`
/// kinds it has, then the instruction, then `\n` and the input when there is one; the answer as
/// the assistant turn. With `grounding` (swift; the sample's target read), an ARIG answer becomes
/// `<ref-object>` and one `<bbox>` per box and an AVFC type 4 claim's rendered box (`dialect`'s)
/// becomes `<bbox>`, with `objects`.
///
/// The caller leaves out first the samples [`media_not_exported`] or [`literal_placeholder`]
/// names: their line would break a trainer's placeholder count.
pub fn line<T: ChatTarget>(
    sample: &ChatSample<'_, T>,
    media: &[MediaKind],
    media_dir: Option<&str>,
    grounding: Option<Dialect>,
    out: &mut Vec<u8>,
) {
    let path_of = |kind: MediaKind| match kind {
        MediaKind::Image => sample.image.as_deref(),
        MediaKind::Video => sample.video.as_deref(),
        MediaKind::Audio => sample.audio.as_deref(),
    };
    let mut objects = None;
    let mut answer = Text::of(&sample.answer);
    let grounded_answer;
    let replaced_input;
    let mut input = Text::of(&sample.input);
    if let (Some(dialect), Some(target)) = (grounding, sample.target.target()) {
        match target {
            Target::Arig { label, boxes } => {
                grounded_answer = format!("<ref-object>{}", "<bbox>".repeat(boxes.len()));
                answer = Text::made(&grounded_answer);
                objects = Some(Objects {
                    refs: vec![&**label],
                    bbox: boxes.iter().map(|b: &BBox| b.0).collect(),
                    bbox_type: "norm1",
                });
            }
            Target::Avfc {
                kind: 4,
                boxes: Some(boxes),
                ..
            } if boxes.len() == 1 => {
                let rendered = dialect.render_region(&boxes[0]);
                if sample.input.contains(&rendered) {
                    replaced_input = sample.input.replacen(&rendered, "<bbox>", 1);
                    input = Text::made(&replaced_input);
                    objects = Some(Objects {
                        refs: Vec::new(),
                        bbox: vec![boxes[0].0],
                        bbox_type: "norm1",
                    });
                }
            }
            _ => {}
        }
    }
    // The bytes serde_json writes for `{"messages": [user, assistant], "images": [..],
    // "videos": [..], "audios": [..], "objects": {..}}` (compact, fields in that order, absent
    // lists left out), written directly: the user turn is built in its escaped form.
    out.extend_from_slice(br#"{"messages":[{"role":"user","content":""#);
    for kind in media {
        if path_of(*kind).is_some() {
            out.extend_from_slice(kind.placeholder().as_bytes());
        }
    }
    Text::of(&sample.instruction).push_escaped(out);
    if !input.text.is_empty() {
        out.extend_from_slice(b"\\n");
        input.push_escaped(out);
    }
    out.extend_from_slice(br#""},{"role":"assistant","content":""#);
    answer.push_escaped(out);
    out.extend_from_slice(br#""}]"#);
    for kind in [MediaKind::Image, MediaKind::Video, MediaKind::Audio] {
        if !media.contains(&kind) {
            continue;
        }
        if let Some(path) = path_of(kind) {
            out.extend_from_slice(b",\"");
            out.extend_from_slice(kind.key().as_bytes());
            out.extend_from_slice(b"\":[");
            let path = media_path(media_dir, path);
            crate::json_text::push_str(out, &path);
            out.push(b']');
        }
    }
    if let Some(objects) = objects {
        out.extend_from_slice(br#","objects":"#);
        serde_json::to_writer(&mut *out, &objects).expect("objects serialize");
    }
    out.push(b'}');
}

/// A text of an exported line and whether it is known to need no JSON escaping.
struct Text<'a> {
    text: &'a str,
    /// True for a string borrowed from the corpus line: serde_json borrows a string only when
    /// it holds no escape sequence, and valid JSON text without escapes holds no `"`, backslash or
    /// control character, so its escaped form is itself.
    verbatim: bool,
}

impl<'a> Text<'a> {
    /// A field of the corpus sample: verbatim when it was borrowed from the line.
    fn of(field: &'a Cow<'a, str>) -> Text<'a> {
        Text {
            text: field,
            verbatim: matches!(field, Cow::Borrowed(_)),
        }
    }

    /// A text made here: escaped as serde_json escapes it.
    fn made(text: &'a str) -> Text<'a> {
        Text { text, verbatim: false }
    }

    /// Appends the text as inside a JSON string (escaped as serde_json escapes, no quotes:
    /// [`crate::json_text::push_str_body`]).
    fn push_escaped(&self, out: &mut Vec<u8>) {
        if self.verbatim {
            out.extend_from_slice(self.text.as_bytes());
        } else {
            crate::json_text::push_str_body(out, self.text);
        }
    }
}

/// What one shard of a (task, split) becomes: its lines, its `skipped.jsonl` lines, how many of
/// each, and which media kinds its lines list.
#[derive(Default)]
struct ShardOutput {
    lines: Vec<u8>,
    records: u64,
    skipped: Vec<u8>,
    /// Samples left out, per reason code.
    skipped_count: BTreeMap<&'static str, u64>,
    kinds: [bool; 3],
}

/// Why a sample cannot be exported with the media kinds `media`: it has an image or a video and
/// the export lists none of those it has, or it has audio and the export does not list audio.
/// The detail names what it has and what is listed.
pub fn media_not_exported<T>(sample: &ChatSample<'_, T>, media: &[MediaKind]) -> Option<String> {
    let has = |kind: MediaKind| match kind {
        MediaKind::Image => sample.image.is_some(),
        MediaKind::Video => sample.video.is_some(),
        MediaKind::Audio => sample.audio.is_some(),
    };
    let shown = |kind: MediaKind| has(kind) && media.contains(&kind);
    let visual_lost =
        (has(MediaKind::Image) || has(MediaKind::Video)) && !(shown(MediaKind::Image) || shown(MediaKind::Video));
    let audio_lost = has(MediaKind::Audio) && !shown(MediaKind::Audio);
    if !(visual_lost || audio_lost) {
        return None;
    }
    let names = |kinds: &mut dyn Iterator<Item = MediaKind>| {
        kinds
            .map(|k| match k {
                MediaKind::Image => "image",
                MediaKind::Video => "video",
                MediaKind::Audio => "audio",
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let all = [MediaKind::Image, MediaKind::Video, MediaKind::Audio];
    Some(format!(
        "has {}; --media lists {}",
        names(&mut all.into_iter().filter(|k| has(*k))),
        names(&mut media.iter().copied())
    ))
}

/// Converts the whole bytes `data` of the shard at `path`; returns its output and its lines.
/// The output's line buffer comes from `buffers` (the ones written already), so converting a
/// shard does not touch fresh memory.
///
/// Errors: a line that is not a sample (file and line).
fn convert_shard<T: ChatTarget + for<'de> Deserialize<'de>>(
    path: &Path,
    data: &[u8],
    options: &ExportOptions,
    grounding: Option<Dialect>,
    buffers: &Mutex<Vec<Vec<u8>>>,
) -> Result<(ShardOutput, u64)> {
    let mut lines = buffers.lock().expect("buffer pool").pop().unwrap_or_default();
    lines.clear();
    lines.reserve(data.len());
    let mut output = ShardOutput {
        lines,
        ..ShardOutput::default()
    };
    let n = for_each_line(path, data, |path, (n, text)| {
        let sample: ChatSample<'_, T> = parse_sample(path, n, text)?;
        let skip = media_not_exported(&sample, &options.media)
            .map(|detail| (ExportSkip::MediaNotExported, detail))
            .or_else(|| {
                literal_placeholder(&sample, grounding.is_some()).map(|detail| (ExportSkip::LiteralPlaceholder, detail))
            });
        if let Some((reason, detail)) = skip {
            let entry = Skipped {
                id: &sample.id,
                reason,
                detail,
            };
            serde_json::to_writer(&mut output.skipped, &entry).expect("a skipped line serializes");
            output.skipped.push(b'\n');
            *output.skipped_count.entry(reason.as_str()).or_default() += 1;
            return Ok(());
        }
        line(
            &sample,
            &options.media,
            options.media_dir.as_deref(),
            grounding,
            &mut output.lines,
        );
        output.lines.push(b'\n');
        for kind in &options.media {
            output.kinds[*kind as usize] |= match kind {
                MediaKind::Image => sample.image.is_some(),
                MediaKind::Video => sample.video.is_some(),
                MediaKind::Audio => sample.audio.is_some(),
            };
        }
        output.records += 1;
        Ok(())
    })?;
    Ok((output, n))
}

/// LLaMA-Factory's registration of one file in `dataset_info.json`.
#[derive(Serialize)]
struct DatasetInfo {
    file_name: String,
    formatting: &'static str,
    columns: BTreeMap<&'static str, &'static str>,
    tags: BTreeMap<&'static str, &'static str>,
}

/// Writes `avfit_<task>_<split>.jsonl` per group, `skipped.jsonl` and, for LLaMA-Factory,
/// `dataset_info.json` (every file with the media columns its lines have), all under staging.
///
/// Errors: those of [`super::convert_shards`], an I/O error.
pub fn export(
    options: &ExportOptions,
    manifest: &CorpusManifest,
    groups: &[Group],
    staging: &mut Staging,
    bar: &ProgressBar,
) -> Result<ExportSummary> {
    let grounding = if options.grounding_objects {
        Some(Dialect::from_name(&manifest.dialect).ok_or_else(|| {
            Error::Config(format!(
                "{}: unknown dialect `{}` in manifest.json",
                options.corpus.join("manifest.json").display(),
                manifest.dialect
            ))
        })?)
    } else {
        None
    };
    let mut summary = ExportSummary::default();
    let skipped_path = staging.partial("skipped.jsonl")?;
    let mut skipped = BufWriter::new(std::fs::File::create(&skipped_path).map_err(|e| Error::io(&skipped_path, e))?);
    let mut infos: BTreeMap<String, DatasetInfo> = BTreeMap::new();
    // Line buffers written already, for the next shards (at most one per shard in flight).
    let buffers = Mutex::new(Vec::new());
    for group in groups {
        let name = format!("avfit_{}_{}", group.task.as_str(), group.split.as_str());
        let rel = format!("{name}.jsonl");
        let path = staging.partial(&rel)?;
        let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?);
        let mut records = 0u64;
        let mut kinds = [false; 3];
        let convert = |path: &Path, data: &[u8]| match grounding {
            Some(_) => convert_shard::<Target>(path, data, options, grounding, &buffers),
            None => convert_shard::<IgnoredAny>(path, data, options, grounding, &buffers),
        };
        convert_shards(&options.corpus, &group.shards, convert, |output| {
            bar.inc(output.records + output.skipped_count.values().sum::<u64>());
            records += output.records;
            for (all, has) in kinds.iter_mut().zip(output.kinds) {
                *all |= has;
            }
            for (reason, count) in &output.skipped_count {
                *summary.skipped.entry((*reason).into()).or_default() += count;
            }
            out.write_all(&output.lines).map_err(|e| Error::io(&path, e))?;
            buffers.lock().expect("buffer pool").push(output.lines);
            skipped
                .write_all(&output.skipped)
                .map_err(|e| Error::io(&skipped_path, e))
        })?;
        out.flush().map_err(|e| Error::io(&path, e))?;
        drop(out);
        if records == 0 {
            // Every sample of the group was left out: no empty file for a trainer to choke on.
            staging.discard(&rel)?;
            continue;
        }
        summary.exported += records;
        summary.files.push(ExportedFile {
            path: rel.clone(),
            records,
        });
        let mut columns = BTreeMap::from([("messages", "messages")]);
        for kind in [MediaKind::Image, MediaKind::Video, MediaKind::Audio] {
            if kinds[kind as usize] {
                columns.insert(kind.key(), kind.key());
            }
        }
        infos.insert(
            name,
            DatasetInfo {
                file_name: rel,
                formatting: "sharegpt",
                columns,
                tags: BTreeMap::from([
                    ("role_tag", "role"),
                    ("content_tag", "content"),
                    ("user_tag", "user"),
                    ("assistant_tag", "assistant"),
                    ("system_tag", "system"),
                ]),
            },
        );
    }
    skipped.flush().map_err(|e| Error::io(&skipped_path, e))?;
    if options.format == Format::LlamaFactory {
        let path = staging.partial("dataset_info.json")?;
        let mut text = serde_json::to_vec_pretty(&infos).expect("dataset_info serializes");
        text.push(b'\n');
        std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `line` of the corpus line `json` with image and audio asked for, as text.
    fn exported(json: &str, media_dir: Option<&str>) -> String {
        let sample: ChatSample<'_, IgnoredAny> = serde_json::from_str(json).unwrap();
        let mut out = Vec::new();
        line(
            &sample,
            &[MediaKind::Image, MediaKind::Audio],
            media_dir,
            None,
            &mut out,
        );
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn texts_without_escapes_are_copied_and_the_user_turn_joins_instruction_and_input() {
        let json = r#"{"id":"s/k/avqa","image":"f/a.jpg","audio":"a/a.wav","video":null,"instruction":"Answer.","input":"Is it a dog?","answer":"yes","target":{}}"#;
        assert_eq!(
            exported(json, None),
            r#"{"messages":[{"role":"user","content":"<image><audio>Answer.\nIs it a dog?"},{"role":"assistant","content":"yes"}],"images":["f/a.jpg"],"audios":["a/a.wav"]}"#
        );
    }

    #[test]
    fn escaped_texts_are_escaped_as_serde_json_escapes_them() {
        // A quote, a backslash, a newline, a tab, a control character, a non-ASCII letter
        // written as \u00e9 and a slash written as \/ in the corpus: serde_json writes `é` and
        // `/` as themselves, and the others as \", \\, \n, \t, \u0001.
        let json = r#"{"id":"s/k/avqa","image":null,"audio":"a/\u00e9.wav","video":null,"instruction":"Say \"why\"\\","input":"a\nb\tc\u0001 caf\u00e9 a\/b","answer":"\"x\"","target":{}}"#;
        assert_eq!(
            exported(json, Some("/data/media/")),
            r#"{"messages":[{"role":"user","content":"<audio>Say \"why\"\\\na\nb\tc\u0001 café a/b"},{"role":"assistant","content":"\"x\""}],"audios":["/data/media/a/é.wav"]}"#
        );
    }

    #[test]
    fn an_empty_input_leaves_the_placeholders_and_the_instruction() {
        let json = r#"{"id":"s/k/avc","image":null,"audio":"a.wav","video":"v.mp4","instruction":"Describe.","input":"","answer":"A dog.","target":{}}"#;
        let sample: ChatSample<'_, IgnoredAny> = serde_json::from_str(json).unwrap();
        let mut out = Vec::new();
        let media = [MediaKind::Video, MediaKind::Audio];
        line(&sample, &media, None, None, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"messages":[{"role":"user","content":"<video><audio>Describe."},{"role":"assistant","content":"A dog."}],"videos":["v.mp4"],"audios":["a.wav"]}"#
        );
    }

    #[test]
    fn the_skip_rules_name_what_a_sample_lacks_or_holds() {
        let json = r#"{"id":"s/k/avqa","image":"f.jpg","audio":"a.wav","video":"v.mp4","instruction":"Answer.","input":"Is <audio> loud?","answer":"yes","target":{}}"#;
        let sample: ChatSample<'_, IgnoredAny> = serde_json::from_str(json).unwrap();
        assert_eq!(media_not_exported(&sample, &[MediaKind::Image, MediaKind::Audio]), None);
        assert_eq!(media_not_exported(&sample, &[MediaKind::Video, MediaKind::Audio]), None);
        assert_eq!(
            media_not_exported(&sample, &[MediaKind::Image]).as_deref(),
            Some("has image, video, audio; --media lists image")
        );
        assert_eq!(
            media_not_exported(&sample, &[MediaKind::Audio]).as_deref(),
            Some("has image, video, audio; --media lists audio")
        );
        assert_eq!(
            literal_placeholder(&sample, false).as_deref(),
            Some("input contains <audio>")
        );
        let json = r#"{"id":"s/k/arig","image":"f.jpg","audio":null,"video":null,"instruction":"Find the dog.","input":"","answer":"<bbox>","target":{}}"#;
        let sample: ChatSample<'_, IgnoredAny> = serde_json::from_str(json).unwrap();
        assert_eq!(media_not_exported(&sample, &[MediaKind::Image, MediaKind::Audio]), None);
        assert_eq!(literal_placeholder(&sample, false), None);
        assert_eq!(
            literal_placeholder(&sample, true).as_deref(),
            Some("answer contains <bbox>")
        );
    }
}
