//! Build manifests: the TOML files under `manifests/` that say which sources to read from where,
//! with which seed, dialect and expected counts. Paths inside are relative to the manifest file.
//!
//! ```toml
//! seed = 0                       # optional, default 0; --seed overrides
//! dialect = "meerkat"            # optional; --dialect overrides
//! out = "../out"                 # optional output directory; --out overrides
//! records_per_shard = 10000      # optional
//! templates = "../templates"     # optional; default: the templates built into the binary
//!
//! [[source]]
//! name = "vggss"                            # a built-in adapter or shipped spec (`avfit sources`)
//! # spec = "my_dataset.toml"                # or a source spec file (then `name` may be left out)
//! inputs = ["../tests/data/vggss"]          # files or directories as distributed
//! expected = { "test/arig" = 4 }            # optional expected sample counts per split/task
//! # split = "test"                          # optional: force one split (reads every native split)
//! # classes = "classes.toml"                # curated rows: class map (default manifests/classes.toml)
//! # test_fraction = 0.2                     # curated rows: fraction of images hashed to test
//! # cap_per_class = 5000                    # curated rows: at most this many pairs per class and split
//! # include_depiction = false               # curated rows: keep IsDepiction = 1 boxes
//! # [source.media]  dataset = "vggss", image = "{dataset}/frames/{key}.jpg", ...
//! # [source.params] adapter-specific settings
//! ```

use crate::curate::CurationOptions;
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::media_layout::MediaOverride;
use crate::record::Split;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A parsed build manifest, paths resolved against its directory.
#[derive(Debug)]
pub struct BuildManifest {
    /// Where the manifest was read from.
    pub path: PathBuf,
    /// The manifest's bytes, for the config hash.
    pub text: String,
    /// Seed for template choice (and, later, curated pairing).
    pub seed: Option<u64>,
    /// Token dialect.
    pub dialect: Option<Dialect>,
    /// Output directory.
    pub out: Option<PathBuf>,
    /// Samples per shard.
    pub records_per_shard: Option<usize>,
    /// A template directory replacing the built-in templates.
    pub templates: Option<PathBuf>,
    /// The sources, in build order.
    pub sources: Vec<SourceEntry>,
}

/// One `[[source]]` of a build manifest.
#[derive(Debug, Clone)]
pub struct SourceEntry {
    /// Source name: a built-in adapter, a shipped spec, or the `name` of the spec file `spec`.
    pub name: String,
    /// A source spec file (`spec = "..."`, resolved), read instead of a named source.
    pub spec: Option<PathBuf>,
    /// Input files or directories, resolved.
    pub inputs: Vec<PathBuf>,
    /// Forced split.
    pub split: Option<Split>,
    /// Media layout override: the patterns it names replace the source's own.
    pub media: Option<MediaOverride>,
    /// Adapter-specific settings.
    pub params: toml::Table,
    /// Expected samples per `<split>/<task>`.
    pub expected: BTreeMap<String, u64>,
    /// Curated rows: class map, test fraction, cap per class.
    pub curation: CurationOptions,
    /// Open Images (`openimages` and the curated rows): keep `IsDepiction = 1` boxes.
    pub include_depiction: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    seed: Option<u64>,
    dialect: Option<Dialect>,
    out: Option<PathBuf>,
    records_per_shard: Option<usize>,
    templates: Option<PathBuf>,
    #[serde(default)]
    source: Vec<RawSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: Option<String>,
    spec: Option<PathBuf>,
    inputs: Vec<PathBuf>,
    split: Option<Split>,
    media: Option<MediaOverride>,
    #[serde(default)]
    params: toml::Table,
    #[serde(default)]
    expected: BTreeMap<String, u64>,
    classes: Option<PathBuf>,
    test_fraction: Option<f64>,
    cap_per_class: Option<u64>,
    include_depiction: Option<bool>,
}

impl BuildManifest {
    /// Reads and checks the manifest at `path`.
    ///
    /// Errors: unreadable file, invalid TOML or unknown keys (with TOML's line and column), no
    /// `[[source]]`, an unknown source name, a source listed twice, an `expected` key that is not
    /// `<split>/<task>`.
    pub fn load(path: &Path) -> Result<BuildManifest> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let raw: RawManifest =
            toml::from_str(&text).map_err(|e| Error::input(path, None, e.to_string().replace('\n', " ")))?;
        if raw.source.is_empty() {
            return Err(Error::input(path, None, "no [[source]] entry"));
        }
        let base = path.parent().unwrap_or(Path::new("."));
        let resolve = |p: PathBuf| {
            if p.is_absolute() {
                p
            } else {
                lexically_normal(&base.join(p))
            }
        };
        let mut sources = Vec::new();
        for s in raw.source {
            let spec = s.spec.clone().map(resolve);
            let name = match (&s.name, &spec) {
                (name, Some(file)) => {
                    let spec_name = crate::registry::load_spec(file)?.name;
                    if name.as_deref().is_some_and(|n| n != spec_name) {
                        return Err(Error::input(
                            path,
                            None,
                            format!(
                                "source {}: its spec {} is named `{spec_name}`; give that name or none",
                                name.as_deref().unwrap_or_default(),
                                file.display()
                            ),
                        ));
                    }
                    spec_name.to_string()
                }
                (Some(name), None) => {
                    crate::registry::find(name)?;
                    name.clone()
                }
                (None, None) => {
                    return Err(Error::input(path, None, "a [[source]] needs `name` or `spec`"));
                }
            };
            let s = RawSource { name: Some(name), ..s };
            let name = s.name.clone().expect("set above");
            if sources.iter().any(|e: &SourceEntry| e.name == name) {
                return Err(Error::input(
                    path,
                    None,
                    format!("source {} is listed twice; give all its inputs in one [[source]]", name),
                ));
            }
            for key in s.expected.keys() {
                let ok = key.split_once('/').is_some_and(|(split, task)| {
                    ["train", "test"].contains(&split) && ["arig", "igatl", "avfc", "avqa", "avc"].contains(&task)
                });
                if !ok {
                    return Err(Error::input(
                        path,
                        None,
                        format!("source {}: expected key `{key}` is not <train|test>/<task>", name),
                    ));
                }
            }
            let defaults = CurationOptions::default();
            let test_fraction = s.test_fraction.unwrap_or(defaults.test_fraction);
            if !(0.0..=1.0).contains(&test_fraction) {
                return Err(Error::input(
                    path,
                    None,
                    format!("source {}: test_fraction {test_fraction} is not in [0, 1]", name),
                ));
            }
            let curation = CurationOptions {
                classes: s.classes.map(resolve).unwrap_or(defaults.classes),
                test_fraction,
                cap_per_class: s.cap_per_class,
            };
            sources.push(SourceEntry {
                curation,
                include_depiction: s.include_depiction.unwrap_or(false),
                inputs: s.inputs.into_iter().map(resolve).collect(),
                name,
                spec,
                split: s.split,
                media: s.media,
                params: s.params,
                expected: s.expected,
            });
        }
        Ok(BuildManifest {
            path: path.to_path_buf(),
            text,
            seed: raw.seed,
            dialect: raw.dialect,
            out: raw.out.map(resolve),
            records_per_shard: raw.records_per_shard,
            templates: raw.templates.map(resolve),
            sources,
        })
    }
}

/// `path` with `.` removed and each `dir/..` folded, without touching the file system
/// (`manifests/../tests/data` → `tests/data`), so paths in outputs read as a user would write them.
pub fn lexically_normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.components().next_back(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_normalization() {
        assert_eq!(
            lexically_normal(Path::new("manifests/../tests/data/llp")),
            PathBuf::from("tests/data/llp")
        );
        assert_eq!(lexically_normal(Path::new("./a/./b/../c")), PathBuf::from("a/c"));
        assert_eq!(
            lexically_normal(Path::new("../shared/real")),
            PathBuf::from("../shared/real")
        );
        assert_eq!(lexically_normal(Path::new("a/..")), PathBuf::from("."));
        assert_eq!(lexically_normal(Path::new("/x/../y")), PathBuf::from("/y"));
    }
}
