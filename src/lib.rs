//! avfit builds multimodal instruction-tuning corpora — first of all AVFIT, the audio-visual
//! corpus behind Meerkat (ECCV 2024) — from the native annotation files of public datasets.
//!
//! Pipeline: native files → a source ([`registry`] finds it by name: a direct adapter of
//! [`sources`], one file per dataset; a curated row of [`curate`], Open Images paired with an
//! audio dataset by a class map; or a declarative [`spec`]) → [`record::Record`] →
//! [`tasks`] (one builder per task) with [`render`] templates and a [`dialect`] →
//! [`record::Sample`] → [`writer`] (shards, rejects, manifest). [`pipeline`] runs it;
//! [`config`] reads build manifests.

pub mod card;
pub mod config;
pub mod corpus;
pub mod curate;
pub mod dialect;
pub mod direct_file;
pub mod error;
pub mod eval;
pub mod export;
pub mod extract;
pub mod geometry;
pub mod journal;
pub mod json_text;
pub mod media;
pub mod media_layout;
pub mod media_list;
pub mod merge;
pub mod outdir;
pub mod pipeline;
pub mod reason;
pub mod record;
pub mod registry;
pub mod render;
pub mod report;
pub mod sources;
pub mod spec;
pub mod split;
pub mod stats;
pub mod synth;
pub mod tasks;
pub mod validate;
pub mod words;
pub mod writer;

pub use error::{Error, Result};
