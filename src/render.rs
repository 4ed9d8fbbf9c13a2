//! Instruction templates: data files `templates/<task>.toml`, compiled once with Tera and probed
//! when loaded, chosen per sample by a stable hash of (seed, sample id).
//!
//! A template file is a list of
//! ```toml
//! [[template]]
//! id = "which-object"                 # unique in the file
//! instruction = "Which object ...? Answer as {{ box_format }}."
//! input = "{{ input }}"               # optional; this is the default
//! media = ["image", "audio"]          # optional; the media it speaks of (this is the default)
//!
//! [[referring]]                       # optional: the referring set (below)
//! id = "named-object"                 # unique in the file, across both lists
//! instruction = "Box the object named in the input, as {{ box_format }}."
//! input = "{{ input }}"               # must keep the class: it is what tells samples apart
//! ```
//! Two sets ([`TemplateSet`]): `[[template]]` entries are for samples whose media say what is
//! asked about (the sound picks the object to box); `[[referring]]` entries are for samples whose
//! `input` names the class to find, because the media alone do not single it out (an Open Images
//! box without audio; an LLP frame that shows several sounding classes). A referring template
//! must render the class in its input: when loaded, each one is rendered on the probes with the
//! probe's class as input, and one whose rendered input lacks it is refused.
//! Variables: `input` (the task's input text), `box_format`, `segment_format` (the dialect's
//! formats), and per task the fields its builder provides (see [`crate::tasks`]).
//! The answer is never templated: it is fixed by the task and the dialect.
//!
//! Media: a template declares the media it speaks of (`media`, of `image` — a picture, image or
//! video — and `audio`; default both). A sample only gets the templates whose media are exactly
//! its own ([`media_kinds`]): an audio-only clip (DESED, Clotho) never gets "the object in the
//! image", a picture without sound (Open Images boxes) never "the sound you hear". The choice is
//! `stable_hash(seed, id) mod n` over those n templates, in file order ([`Templates::choose_for`]).
//!
//! Fast path: a template part that is plain text with at most `{{ box_format }}`,
//! `{{ segment_format }}` and `{{ input }}` substitutions (no tag, comment, filter or whitespace
//! control) is also kept as text pieces, and [`Templates::render_without_context`] fills them in
//! without Tera and without a Tera context. When the templates are loaded, each such template is
//! rendered both ways on every probe sample of every dialect; one whose outputs differ in any byte
//! keeps the Tera path only. The output is the same byte for byte either way.

use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::record::{Task, ALL_TASKS};
use crate::split::stable_hash;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;
use tera::{Context, Tera};

/// The template files built into the binary (the repository's `templates/`), in the order of
/// [`ALL_TASKS`], as [`Templates::from_dir`] reads them.
const BUILTIN: [(Task, &str); 5] = [
    (Task::Arig, include_str!("../templates/arig.toml")),
    (Task::Igatl, include_str!("../templates/igatl.toml")),
    (Task::Avfc, include_str!("../templates/avfc.toml")),
    (Task::Avqa, include_str!("../templates/avqa.toml")),
    (Task::Avc, include_str!("../templates/avc.toml")),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateFile {
    template: Vec<TemplateEntry>,
    #[serde(default)]
    referring: Vec<TemplateEntry>,
}

/// Which of a task's two template lists a sample draws from (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TemplateSet {
    /// `[[template]]`: the media say what is asked about; the input does not name it.
    Media,
    /// `[[referring]]`: the input names the class to find.
    Referring,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateEntry {
    id: String,
    instruction: String,
    input: Option<String>,
    /// The media the template speaks of: `image` (a picture: an image or a video) and/or
    /// `audio`; default both.
    media: Option<Vec<String>>,
}

/// A sample's media kinds as a bit set: [`IMAGE`] | [`AUDIO`].
pub type MediaKinds = u8;
/// A picture: an image, a video frame or a video.
pub const IMAGE: MediaKinds = 1;
/// An audio clip (or a video's sound track).
pub const AUDIO: MediaKinds = 2;

/// The kinds of `media`: [`IMAGE`] when it has an image or a video, [`AUDIO`] when it has audio
/// or a video with sound (a video alone counts as both).
pub fn media_kinds(media: &crate::record::Media) -> MediaKinds {
    let picture = media.image.is_some() || media.video.is_some();
    let sound = media.audio.is_some() || media.video.is_some();
    (if picture { IMAGE } else { 0 }) | (if sound { AUDIO } else { 0 })
}

/// A variable the fast path fills in (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Var {
    BoxFormat,
    SegmentFormat,
    Input,
}

/// A piece of a template part on the fast path.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    Var(Var),
}

/// The fast-path pieces of a template's instruction and input.
#[derive(Clone, Debug)]
struct Plain {
    instruction: Vec<Piece>,
    input: Vec<Piece>,
}

/// The compiled templates of every task that has a file.
pub struct Templates {
    tera: Tera,
    /// Every template id of each task: the `[[template]]` list, then the `[[referring]]` list.
    ids: BTreeMap<Task, Vec<String>>,
    /// How many of `ids` are `[[template]]` entries (the referring ones follow).
    media_count: BTreeMap<Task, usize>,
    /// The media kinds each template speaks of, in the order of `ids`.
    kinds: BTreeMap<Task, Vec<MediaKinds>>,
    /// `<task>/<template id>` of each template, in the order of `ids`.
    labels: BTreeMap<Task, Vec<String>>,
    /// The fast-path pieces of each template, in the order of `ids`; `None` where Tera renders.
    plain: BTreeMap<Task, Vec<Option<Plain>>>,
    files: BTreeMap<Task, String>,
    origin: String,
    digest: String,
}

/// The pieces of `body` when it is plain text with only `{{ box_format }}`, `{{ segment_format }}`
/// or `{{ input }}` expressions; `None` when anything else of Tera's syntax is there.
fn plain_pieces(body: &str) -> Option<Vec<Piece>> {
    if body.contains("{%") || body.contains("{#") {
        return None;
    }
    let mut pieces = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        let text = &rest[..start];
        let after = &rest[start + 2..];
        let end = after.find("}}")?;
        let var = match after[..end].trim() {
            "box_format" => Var::BoxFormat,
            "segment_format" => Var::SegmentFormat,
            "input" => Var::Input,
            _ => return None,
        };
        if text.contains("}}") {
            return None;
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text.to_string()));
        }
        pieces.push(Piece::Var(var));
        rest = &after[end + 2..];
    }
    if rest.contains("}}") {
        return None;
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.to_string()));
    }
    Some(pieces)
}

/// Fills `pieces` in and trims the result, as the Tera path does; borrowed (the trimmed slice)
/// when there is one piece (a fixed text, or the input alone).
fn fill<'a>(pieces: &'a [Piece], dialect: Dialect, input: &'a str) -> Cow<'a, str> {
    let text = |piece: &'a Piece| match piece {
        Piece::Text(text) => text.as_str(),
        Piece::Var(Var::BoxFormat) => dialect.box_format(),
        Piece::Var(Var::SegmentFormat) => dialect.segment_format(),
        Piece::Var(Var::Input) => input,
    };
    if let [piece] = pieces {
        return Cow::Borrowed(text(piece).trim());
    }
    // Sized once: grown piece by piece, most instructions were copied two or three times.
    let mut out = String::with_capacity(pieces.iter().map(|p| text(p).len()).sum());
    for piece in pieces {
        out.push_str(text(piece));
    }
    if out.trim().len() == out.len() {
        Cow::Owned(out)
    } else {
        Cow::Owned(out.trim().to_string())
    }
}

impl Templates {
    /// The templates built into the binary (copies of the repository's `templates/*.toml`).
    ///
    /// Errors: as [`Templates::from_texts`].
    pub fn builtin() -> Result<Templates> {
        Self::from_texts(
            "built-in templates",
            BUILTIN.iter().map(|(t, text)| {
                (
                    *t,
                    format!("templates/{}.toml (built in)", t.as_str()),
                    text.to_string(),
                )
            }),
        )
    }

    /// Reads `<dir>/<task>.toml` for every task whose file exists there.
    ///
    /// Errors: unreadable files, and as [`Templates::from_texts`].
    pub fn from_dir(dir: &Path) -> Result<Templates> {
        let mut texts = Vec::new();
        for task in ALL_TASKS {
            let path = dir.join(format!("{}.toml", task.as_str()));
            if path.exists() {
                let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
                texts.push((task, path.display().to_string(), text));
            }
        }
        Self::from_texts(&dir.display().to_string(), texts)
    }

    /// Compiles `(task, file label, TOML text)` triples from `origin` (a directory, or the built-in
    /// set) and renders every template on the probe samples of its task in every dialect.
    ///
    /// Errors: [`Error::Template`] naming the file and template id for invalid TOML, an empty
    /// file, a repeated id, a Tera syntax error, a template that does not render on the probe, or
    /// one that renders an empty instruction.
    pub fn from_texts(origin: &str, texts: impl IntoIterator<Item = (Task, String, String)>) -> Result<Templates> {
        let mut tera = Tera::default();
        tera.autoescape_on(vec![]);
        let mut ids: BTreeMap<Task, Vec<String>> = BTreeMap::new();
        let mut media_count: BTreeMap<Task, usize> = BTreeMap::new();
        let mut kinds: BTreeMap<Task, Vec<MediaKinds>> = BTreeMap::new();
        let mut plain: BTreeMap<Task, Vec<Option<Plain>>> = BTreeMap::new();
        let mut files: BTreeMap<Task, String> = BTreeMap::new();
        let mut digest_input = String::new();
        for (task, file, text) in texts {
            let err = |id: &str, message: String| Error::Template {
                file: file.clone(),
                id: id.to_string(),
                message,
            };
            let parsed: TemplateFile = toml::from_str(&text).map_err(|e| err("-", e.to_string()))?;
            if parsed.template.is_empty() {
                return Err(err("-", "no [[template]] entry".into()));
            }
            let task_ids = ids.entry(task).or_default();
            media_count.insert(task, parsed.template.len());
            for entry in parsed.template.into_iter().chain(parsed.referring) {
                if task_ids.contains(&entry.id) {
                    return Err(err(&entry.id, "this id is used twice".into()));
                }
                let mut mask = 0;
                for m in entry
                    .media
                    .as_deref()
                    .unwrap_or(&["image".to_string(), "audio".to_string()])
                {
                    mask |= match m.as_str() {
                        "image" => IMAGE,
                        "audio" => AUDIO,
                        other => {
                            return Err(err(
                                &entry.id,
                                format!("media `{other}`: expected image (a picture or video) or audio"),
                            ))
                        }
                    };
                }
                if mask == 0 {
                    return Err(err(&entry.id, "media = []: expected image and/or audio".into()));
                }
                kinds.entry(task).or_default().push(mask);
                let input = entry.input.as_deref().unwrap_or("{{ input }}");
                for (part, body) in [("instruction", entry.instruction.as_str()), ("input", input)] {
                    tera.add_raw_template(&name(task, &entry.id, part), body)
                        .map_err(|e| err(&entry.id, tera_message(&e)))?;
                }
                let pieces = plain_pieces(&entry.instruction)
                    .zip(plain_pieces(input))
                    .map(|(instruction, input)| Plain { instruction, input });
                plain.entry(task).or_default().push(pieces);
                task_ids.push(entry.id);
            }
            files.insert(task, file);
            digest_input.push_str(&text);
        }
        let labels = ids
            .iter()
            .map(|(task, task_ids)| {
                let labels = task_ids.iter().map(|id| format!("{}/{id}", task.as_str())).collect();
                (*task, labels)
            })
            .collect();
        let mut templates = Templates {
            tera,
            ids,
            media_count,
            kinds,
            labels,
            plain,
            files,
            origin: origin.to_string(),
            digest: format!("{:016x}", stable_hash(&[&digest_input])),
        };
        // Templates whose fast path differs from Tera on any probe (none known) keep Tera only.
        let mut not_plain = Vec::new();
        for (task, task_ids) in &templates.ids {
            for dialect in crate::dialect::ALL_DIALECTS {
                for target in crate::tasks::probe_targets(*task) {
                    let media_count = templates.media_count[task];
                    for (index, id) in task_ids.iter().enumerate() {
                        let referring = index >= media_count;
                        let probe = crate::tasks::parts(&target, referring, dialect);
                        let input = probe.context.get("input").and_then(|v| v.as_str()).unwrap_or_default();
                        let rendered = templates.render(*task, index, &probe.context)?;
                        let refused = |message: String| Error::Template {
                            file: templates.files[task].clone(),
                            id: id.clone(),
                            message,
                        };
                        if rendered.0.is_empty() {
                            return Err(refused(format!(
                                "renders an empty instruction in dialect {}",
                                dialect.name()
                            )));
                        }
                        if referring && !rendered.1.contains(input) {
                            return Err(refused(format!(
                                "a [[referring]] template must keep the class in its input: renders `{}` for `{input}`",
                                rendered.1
                            )));
                        }
                        if templates
                            .render_without_context(*task, index, dialect, input)
                            .is_some_and(|(instruction, input)| {
                                (instruction.as_ref(), input.as_ref()) != (rendered.0.as_str(), rendered.1.as_str())
                            })
                        {
                            not_plain.push((*task, index));
                        }
                    }
                }
            }
        }
        for (task, index) in not_plain {
            templates.plain.get_mut(&task).expect("task has templates")[index] = None;
        }
        Ok(templates)
    }

    /// Every template id of `task`: the `[[template]]` list then the `[[referring]]` list, each in
    /// file order (empty when the task has no file). Indices into it are the `index` of the other
    /// methods.
    pub fn ids(&self, task: Task) -> &[String] {
        self.ids.get(&task).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The indices (into [`Templates::ids`]) of `task`'s templates of `set` (empty when none).
    pub fn indices(&self, task: Task, set: TemplateSet) -> std::ops::Range<usize> {
        let all = self.ids(task).len();
        let media = self.media_count.get(&task).copied().unwrap_or(0);
        match set {
            TemplateSet::Media => 0..media,
            TemplateSet::Referring => media..all,
        }
    }

    /// A short hash of every template text, for the manifest's config hash.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// Checks that `task` has templates, before a run writes anything.
    ///
    /// Errors: [`Error::Config`] naming the template directory (or the built-in set) and the
    /// missing `<task>.toml`.
    pub fn require(&self, task: Task) -> Result<()> {
        if self.ids(task).is_empty() {
            return Err(Error::Config(format!(
                "{}: no {}.toml, needed for task {}",
                self.origin,
                task.as_str(),
                task.as_str()
            )));
        }
        Ok(())
    }

    /// The index of the `[[template]]` entry that sample `sample_id` uses: `stable_hash(seed, id)
    /// mod n` over the n `[[template]]` entries (0 without hashing when there is one: anything
    /// mod 1 is 0). Same as [`Templates::choose_in`] with [`TemplateSet::Media`].
    ///
    /// Errors: as [`Templates::require`].
    pub fn choose(&self, task: Task, seed: u64, sample_id: &str) -> Result<usize> {
        self.choose_in(task, TemplateSet::Media, seed, sample_id)
    }

    /// The index (into [`Templates::ids`]) of the template of `set` that sample `sample_id` uses:
    /// the first index of the set plus `stable_hash(seed, id) mod n` over its n entries (no
    /// hashing when n is 1).
    ///
    /// Errors: as [`Templates::require`]; for [`TemplateSet::Referring`], [`Error::Config`] when
    /// the task's file has no `[[referring]]` entry.
    pub fn choose_in(&self, task: Task, set: TemplateSet, seed: u64, sample_id: &str) -> Result<usize> {
        self.require(task)?;
        let range = self.indices(task, set);
        let n = range.len() as u64;
        if n == 0 {
            return Err(Error::Config(format!(
                "{}: {}.toml has no [[referring]] template, needed by {sample_id} (its input names the class \
                 because its media do not single it out)",
                self.origin,
                task.as_str()
            )));
        }
        if n == 1 {
            return Ok(range.start);
        }
        Ok(range.start + (stable_hash(&[itoa::Buffer::new().format(seed), sample_id]) % n) as usize)
    }

    /// The index (into [`Templates::ids`]) of the template that sample `sample_id`, whose media
    /// are of `kinds` ([`media_kinds`]), uses: among the templates of `set` whose declared media
    /// are exactly `kinds` (a template that speaks of the image is not given to an audio-only
    /// sample, and an audio-only phrasing not to a sample that shows a picture), in file order,
    /// the one at `stable_hash(seed, id) mod n` (no hashing when n is 1). Samples with an image
    /// and audio, the default of every template, get the same choice as [`Templates::choose_in`].
    ///
    /// Errors: as [`Templates::choose_in`], and [`Error::Config`] when no template of the set
    /// speaks of these media.
    pub fn choose_for(
        &self,
        task: Task,
        set: TemplateSet,
        kinds: MediaKinds,
        seed: u64,
        sample_id: &str,
    ) -> Result<usize> {
        self.require(task)?;
        let range = self.indices(task, set);
        let task_kinds = &self.kinds[&task];
        if range.clone().all(|i| task_kinds[i] == kinds) {
            return self.choose_in(task, set, seed, sample_id);
        }
        // Counted, then walked to the one chosen: no list per sample.
        let fitting = || range.clone().filter(|&i| task_kinds[i] == kinds);
        match fitting().count() {
            0 => Err(Error::Config(format!(
                "{}: {}.toml has no {} template for media {}, needed by {sample_id}",
                self.origin,
                task.as_str(),
                match set {
                    TemplateSet::Media => "[[template]]",
                    TemplateSet::Referring => "[[referring]]",
                },
                describe_kinds(kinds)
            ))),
            n => {
                let chosen = match n {
                    1 => 0,
                    _ => stable_hash(&[itoa::Buffer::new().format(seed), sample_id]) % n as u64,
                };
                Ok(fitting().nth(chosen as usize).expect("chosen below the count"))
            }
        }
    }

    /// The media kinds template `index` of `task` speaks of.
    pub fn media_of(&self, task: Task, index: usize) -> MediaKinds {
        self.kinds[&task][index]
    }

    /// Whether template `index` of `task` renders on the fast path (see the module
    /// documentation), so that [`Templates::render_without_context`] answers.
    pub fn is_plain(&self, task: Task, index: usize) -> bool {
        self.plain
            .get(&task)
            .and_then(|p| p.get(index))
            .is_some_and(Option::is_some)
    }

    /// Renders template `index` of `task` without Tera: (instruction, input), both trimmed, with
    /// `box_format` and `segment_format` of `dialect` and the task's `input` text; byte for byte
    /// what [`Templates::render`] gives with the task's context. `None` when the template needs
    /// Tera ([`Templates::is_plain`] is false).
    pub fn render_without_context<'a>(
        &'a self,
        task: Task,
        index: usize,
        dialect: Dialect,
        input: &'a str,
    ) -> Option<(Cow<'a, str>, Cow<'a, str>)> {
        let plain = self.plain.get(&task)?.get(index)?.as_ref()?;
        Some((
            fill(&plain.instruction, dialect, input),
            fill(&plain.input, dialect, input),
        ))
    }

    /// Renders template `index` of `task` with `context`: (instruction, input), both trimmed.
    ///
    /// Errors: [`Error::Template`] with Tera's message (a variable the context lacks, ...).
    pub fn render(&self, task: Task, index: usize, context: &Context) -> Result<(String, String)> {
        let id = &self.ids(task)[index];
        let render = |part: &str| {
            self.tera
                .render(&name(task, id, part), context)
                .map(|s| s.trim().to_string())
                .map_err(|e| Error::Template {
                    file: self.files[&task].clone(),
                    id: id.clone(),
                    message: tera_message(&e),
                })
        };
        Ok((render("instruction")?, render("input")?))
    }

    /// The `<task>/<template id>` label written in a sample's `template` field.
    pub fn label(&self, task: Task, index: usize) -> &str {
        &self.labels[&task][index]
    }

    /// Renders the first probe of `task` in the meerkat dialect with every template, in the order
    /// of [`Templates::ids`] (the referring ones with the probe's class as input); used by tests of
    /// template files.
    ///
    /// Errors: as [`Templates::render`].
    pub fn probe_all(&self, task: Task) -> Result<Vec<(String, String)>> {
        let target = &crate::tasks::probe_targets(task)[0];
        let referring = self.indices(task, TemplateSet::Referring);
        (0..self.ids(task).len())
            .map(|i| {
                let probe = crate::tasks::parts(target, referring.contains(&i), Dialect::Meerkat);
                self.render(task, i, &probe.context)
            })
            .collect()
    }
}

/// `["image", "audio"]`-style text of `kinds`, as a template file writes them.
fn describe_kinds(kinds: MediaKinds) -> String {
    let mut names = Vec::new();
    if kinds & IMAGE != 0 {
        names.push("\"image\"");
    }
    if kinds & AUDIO != 0 {
        names.push("\"audio\"");
    }
    format!("[{}]", names.join(", "))
}

fn name(task: Task, id: &str, part: &str) -> String {
    format!("{}/{}/{}", task.as_str(), id, part)
}

/// Tera's error with its causes, on one line.
fn tera_message(e: &tera::Error) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message.replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every built-in template, in every dialect, on every probe: the fast path (where it applies)
    /// gives Tera's bytes.
    #[test]
    fn the_fast_path_renders_what_tera_renders() {
        let templates = Templates::builtin().unwrap();
        let mut plain = 0;
        for task in ALL_TASKS {
            for dialect in crate::dialect::ALL_DIALECTS {
                for target in crate::tasks::probe_targets(task) {
                    for index in 0..templates.ids(task).len() {
                        let referring = templates.indices(task, TemplateSet::Referring).contains(&index);
                        let probe = crate::tasks::parts(&target, referring, dialect);
                        let input = probe.context.get("input").unwrap().as_str().unwrap();
                        let tera = templates.render(task, index, &probe.context).unwrap();
                        if let Some(fast) = templates.render_without_context(task, index, dialect, input) {
                            assert_eq!(
                                (fast.0.into_owned(), fast.1.into_owned()),
                                tera,
                                "{}",
                                templates.label(task, index)
                            );
                            plain += 1;
                        }
                    }
                }
            }
        }
        // All of ARIG's, IGATL's, AVC's and most others' use only box_format / segment_format / input.
        assert!(plain > 0);
        assert!((0..templates.ids(Task::Arig).len()).all(|i| templates.is_plain(Task::Arig, i)));
    }

    #[test]
    fn plain_pieces_take_only_the_three_variables() {
        use Piece::{Text, Var as V};
        assert_eq!(plain_pieces("Where is it?"), Some(vec![Text("Where is it?".into())]));
        assert_eq!(
            plain_pieces("Answer as {{ box_format }}.{{input}}"),
            Some(vec![
                Text("Answer as ".into()),
                V(Var::BoxFormat),
                Text(".".into()),
                V(Var::Input)
            ])
        );
        for tera_only in [
            "{{ question }}",
            "{{ box_format | upper }}",
            "{{- input -}}",
            "{% if x %}a{% endif %}",
            "{# note #}a",
            "a }} b",
            "{{ input",
        ] {
            assert_eq!(plain_pieces(tera_only), None, "{tera_only}");
        }
    }

    #[test]
    fn a_fixed_instruction_with_spaces_around_renders_trimmed_like_tera() {
        let text =
            "[[template]]\nid = \"fixed\"\ninstruction = \"  Box it: [<obj>,x0,y0,x1,y1] {{ box_format }} \"\n\n\
                    [[template]]\nid = \"wrapped\"\ninstruction = \"Plain.\"\ninput = \" <{{ input }}> \"\n";
        let templates = Templates::from_texts("test", [(Task::Avc, "avc.toml".to_string(), text.to_string())]).unwrap();
        for index in 0..2 {
            assert!(templates.is_plain(Task::Avc, index));
            for dialect in crate::dialect::ALL_DIALECTS {
                let target = crate::record::Target::Avc {
                    caption: " A dog barks. ".into(),
                };
                let parts = crate::tasks::parts(&target, false, dialect);
                let input = parts.context.get("input").unwrap().as_str().unwrap();
                assert_eq!(
                    templates
                        .render_without_context(Task::Avc, index, dialect, input)
                        .map(|(a, b)| (a.into_owned(), b.into_owned())),
                    Some(templates.render(Task::Avc, index, &parts.context).unwrap())
                );
            }
        }
    }

    #[test]
    fn one_template_is_chosen_without_hashing() {
        let text = "[[template]]\nid = \"only\"\ninstruction = \"Where is the sound?\"\n";
        let templates =
            Templates::from_texts("test", [(Task::Arig, "arig.toml".to_string(), text.to_string())]).unwrap();
        for (seed, id) in [(0, "a/b/arig"), (7, "c/d/arig"), (u64::MAX, "")] {
            assert_eq!(templates.choose(Task::Arig, seed, id).unwrap(), 0);
        }
        assert_eq!(templates.label(Task::Arig, 0), "arig/only");
    }
}
