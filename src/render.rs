//! Instruction templates: data files `templates/<task>.toml`, compiled once with Tera and probed
//! when loaded, chosen per sample by a stable hash of (seed, sample id).
//!
//! A template file is a list of
//! ```toml
//! [[template]]
//! id = "which-object"                 # unique in the file
//! instruction = "Which object ...? Answer as {{ box_format }}."
//! input = "{{ input }}"               # optional; this is the default
//! ```
//! Variables: `input` (the task's input text), `box_format`, `segment_format` (the dialect's
//! formats), and per task the fields its builder provides (see [`crate::tasks`]).
//! The answer is never templated: it is fixed by the task and the dialect.

use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::record::{Task, ALL_TASKS};
use crate::split::stable_hash;
use serde::Deserialize;
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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateEntry {
    id: String,
    instruction: String,
    input: Option<String>,
}

/// The compiled templates of every task that has a file.
pub struct Templates {
    tera: Tera,
    ids: BTreeMap<Task, Vec<String>>,
    files: BTreeMap<Task, String>,
    origin: String,
    digest: String,
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
            for entry in parsed.template {
                if task_ids.contains(&entry.id) {
                    return Err(err(&entry.id, "this id is used twice".into()));
                }
                let input = entry.input.as_deref().unwrap_or("{{ input }}");
                for (part, body) in [("instruction", entry.instruction.as_str()), ("input", input)] {
                    tera.add_raw_template(&name(task, &entry.id, part), body)
                        .map_err(|e| err(&entry.id, tera_message(&e)))?;
                }
                task_ids.push(entry.id);
            }
            files.insert(task, file);
            digest_input.push_str(&text);
        }
        let templates = Templates {
            tera,
            ids,
            files,
            origin: origin.to_string(),
            digest: format!("{:016x}", stable_hash(&[&digest_input])),
        };
        for (task, task_ids) in &templates.ids {
            for dialect in crate::dialect::ALL_DIALECTS {
                for target in crate::tasks::probe_targets(*task) {
                    let probe = crate::tasks::parts(&target, dialect);
                    for (index, id) in task_ids.iter().enumerate() {
                        let (instruction, _) = templates.render(*task, index, &probe.context)?;
                        if instruction.is_empty() {
                            return Err(Error::Template {
                                file: templates.files[task].clone(),
                                id: id.clone(),
                                message: format!("renders an empty instruction in dialect {}", dialect.name()),
                            });
                        }
                    }
                }
            }
        }
        Ok(templates)
    }

    /// The template ids of `task`, in file order (empty when the task has no file).
    pub fn ids(&self, task: Task) -> &[String] {
        self.ids.get(&task).map(Vec::as_slice).unwrap_or(&[])
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

    /// The index of the template that sample `sample_id` uses: `stable_hash(seed, id) mod n`.
    ///
    /// Errors: as [`Templates::require`].
    pub fn choose(&self, task: Task, seed: u64, sample_id: &str) -> Result<usize> {
        self.require(task)?;
        Ok((stable_hash(&[&seed.to_string(), sample_id]) % self.ids(task).len() as u64) as usize)
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
    pub fn label(&self, task: Task, index: usize) -> String {
        format!("{}/{}", task.as_str(), self.ids(task)[index])
    }

    /// Renders every dialect's probe for `task` (used by tests of template files).
    pub fn probe_all(&self, task: Task) -> Result<Vec<(String, String)>> {
        let probe = crate::tasks::parts(&crate::tasks::probe_targets(task)[0], Dialect::Meerkat);
        (0..self.ids(task).len())
            .map(|i| self.render(task, i, &probe.context))
            .collect()
    }
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
