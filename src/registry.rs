//! Every source avfit knows, by name: the direct adapters ([`crate::sources::adapters`]), the
//! curated rows ([`crate::curate::rows`]) and the shipped specs ([`crate::spec::shipped`]), in the
//! order `avfit sources` lists them. It stands above the three kinds, so none of them imports
//! another to find a source; runs (the command line, build manifests) look sources up here.

use crate::curate::{self, CurationOptions};
use crate::error::{Error, Result};
use crate::sources::{self, Source};
use crate::spec::{self, Spec};
use std::path::Path;

/// The built-in sources, written in Rust: the direct adapters, then the curated rows (with the
/// default [`CurationOptions`]), in the order `avfit sources` lists them.
pub fn builtin() -> Vec<&'static dyn Source> {
    let mut all = sources::adapters();
    all.extend(curate::rows().iter().map(|r| r as &'static dyn Source));
    all
}

/// The built-in source called `name` (not a spec). Curated rows come with the default settings.
///
/// Errors: [`Error::Config`] listing the built-in names.
pub fn find_builtin(name: &str) -> Result<&'static dyn Source> {
    builtin().into_iter().find(|s| s.name() == name).ok_or_else(|| {
        let known: Vec<_> = builtin().iter().map(|s| s.name()).collect();
        Error::Config(format!("unknown source `{name}`; known sources: {}", known.join(", ")))
    })
}

/// A source by name: a built-in source ([`builtin`]) or a shipped spec. Curated rows come with
/// the default settings ([`configured`] binds others).
///
/// Errors: [`Error::Config`] listing every known name.
pub fn find(name: &str) -> Result<&'static dyn Source> {
    if let Some(s) = builtin().into_iter().find(|s| s.name() == name) {
        return Ok(s);
    }
    if let Some(s) = spec::shipped().iter().find(|s| s.name == name) {
        return Ok(*s as &'static dyn Source);
    }
    let mut known: Vec<_> = builtin().iter().map(|s| s.name()).collect();
    known.extend(spec::shipped().iter().map(|s| s.name));
    Err(Error::Config(format!(
        "unknown source `{name}`; known sources: {}",
        known.join(", ")
    )))
}

/// The source called `name` for a run: a curated row under `curation` (for the whole run,
/// leaked), any other source as [`find`] gives it (`curation` unused).
///
/// Errors: as [`find`].
pub fn configured(name: &str, curation: &CurationOptions) -> Result<&'static dyn Source> {
    match curate::configured(name, curation.clone()) {
        Some(row) => Ok(row),
        None => find(name),
    }
}

/// Loads a user's spec at `path` for the run ([`spec::load`]) and refuses, at the spec's `name`
/// line, a name that a built-in source has, or that a shipped spec has unless the file is that
/// shipped spec's text (a copy of `sources/<name>.toml` may be named with `--spec`).
///
/// Errors: as [`spec::load`]; a name taken, as an [`Error::Input`] with the spec file and line.
pub fn load_spec(path: &Path) -> Result<&'static Spec> {
    let spec = spec::load(path)?;
    let taken = |what: &str| {
        Err(Error::input(
            &spec.origin,
            spec.line_of("name"),
            format!("name `{}` is {what}; choose another", spec.name),
        ))
    };
    if builtin().iter().any(|s| s.name() == spec.name) {
        return taken("a built-in adapter's");
    }
    if let Some(i) = spec::shipped().iter().position(|s| s.name == spec.name) {
        let (label, shipped_text) = spec::SHIPPED[i];
        if spec.text != shipped_text {
            return taken(&format!("the shipped spec {label}'s"));
        }
    }
    Ok(spec)
}
