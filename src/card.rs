//! The Hugging Face dataset card `README.md` that `build`, `convert`, `merge` and
//! `export --format parquet` write beside their data.
//!
//! Format: the Hugging Face Hub's dataset card, a Markdown file whose YAML front matter declares
//! `configs` (each a `config_name` with `data_files` per split, as globs relative to the card)
//! and `dataset_info` (one entry per config with its `features`), as `datasets`
//! (`load_dataset(DIR)`, `load_dataset(DIR, "<task>")`) reads it
//! (<https://huggingface.co/docs/hub/datasets-manual-configuration>,
//! <https://huggingface.co/docs/hub/datasets-cards>). Features are written as `datasets` 4.x and
//! 5.x print them (`dtype: string`, `list: float64`, `struct: [...]`).
//!
//! The features are the same for every config and every task: `target` is one struct holding the
//! fields of every task's target ([`TARGET_FIELDS`]), so that a field a task lacks loads as null
//! and every shard of every task loads with one schema.
//!
//! The card is a pure function of the corpus's `manifest.json` figures (and the adapters'
//! citations): a resumed build and a merge write it byte for byte as a single build does.

use crate::error::{Error, Result};
use crate::pipeline::OutputManifest;
use crate::record::{Split, ALL_TASKS};
use crate::writer::FileInfo;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// File name of the card in a corpus or export directory.
pub const CARD_FILE: &str = "README.md";

/// The card as `manifest.json` lists it (`"card"`), so a later run may check and replace it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardInfo {
    /// Path relative to the corpus directory: `README.md`.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of its bytes, lowercase hex.
    pub sha256: String,
}

/// The type of one column or struct field, as `datasets` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// `string` (UTF-8).
    String,
    /// `int64`.
    Int64,
    /// `bool`.
    Bool,
    /// `float64`.
    Float64,
    /// A list of strings.
    StringList,
    /// A list of lists of `float64` (boxes `[[x0,y0,x1,y1], ...]`, segments `[[start,end], ...]`).
    FloatListList,
}

impl FieldType {
    /// The YAML lines of this type under a `- name:` line, indented by `indent` spaces.
    fn yaml(self, indent: &str) -> String {
        match self {
            FieldType::String => format!("{indent}dtype: string\n"),
            FieldType::Int64 => format!("{indent}dtype: int64\n"),
            FieldType::Bool => format!("{indent}dtype: bool\n"),
            FieldType::Float64 => format!("{indent}dtype: float64\n"),
            FieldType::StringList => format!("{indent}list: string\n"),
            FieldType::FloatListList => format!("{indent}list:\n{indent}  list: float64\n"),
        }
    }
}

/// The fields of `target` in the card's features: every task's, in this order (DESIGN.md's
/// table: arig `label, boxes`; igatl `label, segments, duration`; avfc `type, verdict, label,
/// boxes, segments, duration`; avqa `question, choices, answer, answer_index, question_type`;
/// avc `caption`). A field the sample's task lacks is null.
pub const TARGET_FIELDS: [(&str, FieldType); 12] = [
    ("label", FieldType::String),
    ("boxes", FieldType::FloatListList),
    ("segments", FieldType::FloatListList),
    ("duration", FieldType::Float64),
    ("type", FieldType::Int64),
    ("verdict", FieldType::Bool),
    ("question", FieldType::String),
    ("choices", FieldType::StringList),
    ("answer", FieldType::String),
    ("answer_index", FieldType::Int64),
    ("question_type", FieldType::String),
    ("caption", FieldType::String),
];

/// The top-level columns of a sample line (DESIGN.md's table) other than `target`, in order.
pub const SAMPLE_FIELDS: [(&str, FieldType); 12] = [
    ("id", FieldType::String),
    ("task", FieldType::String),
    ("source", FieldType::String),
    ("split", FieldType::String),
    ("image", FieldType::String),
    ("audio", FieldType::String),
    ("video", FieldType::String),
    ("groups", FieldType::StringList),
    ("instruction", FieldType::String),
    ("input", FieldType::String),
    ("answer", FieldType::String),
    ("template", FieldType::String),
];

/// The `features:` YAML block (indented for a `dataset_info` entry): [`SAMPLE_FIELDS`] then
/// `target` as a struct of [`TARGET_FIELDS`].
pub fn features_yaml() -> String {
    let mut text = String::from("  features:\n");
    for (name, kind) in SAMPLE_FIELDS {
        let _ = write!(text, "  - name: {name}\n{}", kind.yaml("    "));
    }
    text += "  - name: target\n    struct:\n";
    for (name, kind) in TARGET_FIELDS {
        let _ = write!(text, "    - name: {name}\n{}", kind.yaml("      "));
    }
    text
}

/// One config of the card: its name and, per split that has data, the glob of its files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `default` or a task name.
    pub name: String,
    /// (split, glob relative to the card), train before test.
    pub files: Vec<(Split, String)>,
}

/// The configs of a directory whose files are `paths` (relative, `/`-separated): `default` with
/// every task, then one per task that has files, each with the splits that have files.
/// `task_split` tells a path's (task, split), or `None` for a file of no config; `glob` gives
/// the data-file glob of a (task or `None` for every task, split).
pub fn configs<'a>(
    paths: impl IntoIterator<Item = &'a str>,
    task_split: fn(&str) -> Option<(&str, Split)>,
    glob: impl Fn(Option<&str>, Split) -> String,
) -> Vec<Config> {
    let mut present: BTreeMap<&str, [bool; 2]> = BTreeMap::new();
    for path in paths {
        if let Some((task, split)) = task_split(path) {
            present.entry(task).or_default()[split as usize] = true;
        }
    }
    let splits = |has: [bool; 2], task: Option<&str>| -> Vec<(Split, String)> {
        [Split::Train, Split::Test]
            .into_iter()
            .filter(|s| has[*s as usize])
            .map(|s| (s, glob(task, s)))
            .collect()
    };
    let any = present
        .values()
        .fold([false, false], |acc, h| [acc[0] || h[0], acc[1] || h[1]]);
    let mut out = Vec::new();
    if any.iter().any(|h| *h) {
        out.push(Config {
            name: "default".into(),
            files: splits(any, None),
        });
    }
    for task in ALL_TASKS {
        if let Some(has) = present.get(task.as_str()) {
            out.push(Config {
                name: task.as_str().into(),
                files: splits(*has, Some(task.as_str())),
            });
        }
    }
    out
}

/// The YAML front matter (with its `---` lines): pretty name, licence `other`, tags, `configs`
/// and one `dataset_info` entry per config, all with [`features_yaml`].
pub fn front_matter(pretty_name: &str, configs: &[Config]) -> String {
    let mut text = String::from("---\n");
    let _ = writeln!(text, "pretty_name: {pretty_name}");
    text += "language:\n- en\nlicense: other\ntags:\n- audio-visual\n- instruction-tuning\n- avfit\n";
    text += "configs:\n";
    for config in configs {
        let _ = writeln!(text, "- config_name: {}", config.name);
        if config.name == "default" {
            text += "  default: true\n";
        }
        text += "  data_files:\n";
        for (split, glob) in &config.files {
            let _ = write!(text, "  - split: {}\n    path: \"{glob}\"\n", split.as_str());
        }
    }
    text += "dataset_info:\n";
    let features = features_yaml();
    for config in configs {
        let _ = writeln!(text, "- config_name: {}", config.name);
        text += &features;
    }
    text += "---\n";
    text
}

/// The (task, split) of a corpus shard path `<split>/<task>/<source>-....jsonl`.
fn shard_task_split(path: &str) -> Option<(&str, Split)> {
    let mut parts = path.split('/');
    let split = match parts.next()? {
        "train" => Split::Train,
        "test" => Split::Test,
        _ => return None,
    };
    Some((parts.next()?, split))
}

/// The configs of a corpus: globs `<split>/*/*.jsonl` (default) and `<split>/<task>/*.jsonl`.
pub fn corpus_configs(manifest: &OutputManifest) -> Vec<Config> {
    configs(
        manifest.shards.iter().map(|s| s.path.as_str()),
        shard_task_split,
        |task, split| format!("{}/{}/*.jsonl", split.as_str(), task.unwrap_or("*")),
    )
}

/// The card of a corpus: front matter, then for people the counts per split/task/source beside
/// the expected ones, the sources with their citations and licences, seed, dialect, avfit
/// version and how to load it. A pure function of `manifest` (and the adapters' citations).
pub fn corpus_card(manifest: &OutputManifest) -> String {
    let mut text = front_matter("AVFIT (regenerated by avfit)", &corpus_configs(manifest));
    let total: u64 = manifest.counts.values().sum();
    let _ = write!(
        text,
        "\n# AVFIT, regenerated\n\n\
         The audio-visual instruction-tuning corpus of Meerkat (Chowdhury et al., ECCV 2024), \
         regenerated by avfit {} from the native annotation files of public datasets: {total} \
         samples in {} shards.\n\n",
        manifest.tool_version,
        manifest.shards.len()
    );
    text += "| setting | value |\n|---|---|\n";
    let _ = writeln!(text, "| avfit version | {} |", manifest.tool_version);
    let _ = writeln!(text, "| seed | {} |", manifest.seed);
    let _ = writeln!(text, "| dialect | {} |", manifest.dialect);
    let _ = writeln!(text, "| records per shard | {} |", manifest.records_per_shard);
    let _ = writeln!(text, "| config hash | {} |", manifest.config_hash);
    text += &counts_section(&manifest.counts, &manifest.expected);
    text += &sources_section(manifest.sources.keys().map(String::as_str));
    text += &loading_section(
        "the directory holding this card",
        "Every shard is JSON Lines, one sample per line, with the fields of avfit's DESIGN.md \
         (`id`, `task`, `source`, `split`, `image`, `audio`, `video`, `groups`, `instruction`, \
         `input`, `answer`, `template`, `target`). Media paths are relative to the media root. \
         `manifest.json` lists every shard with its SHA-256; `rejects.jsonl` every input row left out, \
         with its reason.",
    );
    text
}

/// `## Counts`: per split/task/source the samples beside the expected ones (`–` when the build
/// manifest declares none), then per split/task totals.
pub fn counts_section(counts: &BTreeMap<String, u64>, expected: &BTreeMap<String, u64>) -> String {
    let mut text = String::from("\n## Counts\n\n| split/task/source | samples | expected |\n|---|---:|---:|\n");
    let keys: std::collections::BTreeSet<&String> = counts.keys().chain(expected.keys()).collect();
    let mut by_task: BTreeMap<String, (u64, Option<u64>)> = BTreeMap::new();
    for key in keys {
        let got = counts.get(key).copied().unwrap_or(0);
        let want = expected.get(key).copied();
        let _ = writeln!(
            text,
            "| {key} | {got} | {} |",
            want.map_or("–".to_string(), |w| w.to_string())
        );
        let task_key = key.rsplit_once('/').map_or(key.as_str(), |(k, _)| k).to_string();
        let entry = by_task.entry(task_key).or_insert((0, None));
        entry.0 += got;
        if let Some(w) = want {
            entry.1 = Some(entry.1.unwrap_or(0) + w);
        }
    }
    text += "\n| split/task | samples | expected |\n|---|---:|---:|\n";
    for (key, (got, want)) in &by_task {
        let _ = writeln!(
            text,
            "| {key} | {got} | {} |",
            want.map_or("–".to_string(), |w| w.to_string())
        );
    }
    text
}

/// `## Sources`: each source named in `names` with its datasets' citations and licences
/// ([`crate::sources::Source::citations`]) as the registry knows it (built-in adapters, curated
/// rows, shipped specs); a user's own spec is referred to its spec file.
pub fn sources_section<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let mut text = String::from(
        "\n## Sources\n\nCite the datasets you use and keep to their licences; the media themselves \
         (YouTube clips, Flickr images) stay under their owners' terms.\n\n",
    );
    for name in names {
        let _ = writeln!(text, "### {name}\n");
        match crate::registry::find(name) {
            Ok(source) => {
                for c in source.citations() {
                    let _ = writeln!(text, "- **{}**: {}", c.dataset, c.paper);
                    let _ = writeln!(text, "  Licence: {}", c.licence);
                }
            }
            Err(_) => text += "- (a source spec of this build, not shipped with avfit: see the citation and licence in its spec file)\n",
        }
        text += "\n";
    }
    text
}

/// `## Loading`: `datasets.load_dataset` of the whole corpus and of one task, and the exports.
pub fn loading_section(where_: &str, layout: &str) -> String {
    format!(
        "\n## Loading\n\n{layout}\n\n\
         With Hugging Face `datasets` (the card declares one config per task and the features, the \
         same for every task; a `target` field the task lacks is null):\n\n\
         ```python\nfrom datasets import load_dataset\n\
         corpus = load_dataset(\"DIR\")          # DIR: {where_}; every task\n\
         arig = load_dataset(\"DIR\", \"arig\")   # one task: arig, igatl, avfc, avqa, avc\n```\n\n\
         For trainers: `avfit export DIR --format parquet|llamafactory|swift --out OUT` \
         (see avfit's README, \"Training with it\").\n"
    )
}

/// Writes the card of the corpus in `out` from `manifest` as `README.md.partial` (created new,
/// synced; the run's last phase renames it, see [`crate::writer::commit`]), lists it in
/// `manifest.card` and `manifest.files`, and returns its [`FileInfo`] for that rename. The step
/// before `manifest.json` is written.
///
/// Errors: an I/O error (with the path), a file already at the partial name.
pub fn write_corpus_card_partial(out: &Path, manifest: &mut OutputManifest) -> Result<FileInfo> {
    manifest.card = None;
    let text = corpus_card(manifest);
    let partial = out.join(format!("{CARD_FILE}{}", crate::outdir::PARTIAL));
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&partial)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()
    };
    write().map_err(|e| Error::io(&partial, e))?;
    let info = FileInfo {
        path: CARD_FILE.to_string(),
        bytes: text.len() as u64,
        sha256: format!("{:x}", Sha256::digest(text.as_bytes())),
    };
    manifest.card = Some(CardInfo {
        path: info.path.clone(),
        bytes: info.bytes,
        sha256: info.sha256.clone(),
    });
    manifest.files.push(info.clone());
    Ok(info)
}
