//! The curation stage: the curated rows, Open Images boxes paired with audio clips of the same
//! class by a class map, and the AVFC fact-checking samples built from the pairs (DESIGN.md,
//! "Curated rows"). Everything the curated rows need and nothing else reads is here:
//!
//! | file | what |
//! |---|---|
//! | `options.rs` | a row's settings ([`CurationOptions`]) |
//! | `classes.rs` | the class map `manifests/classes.toml` and `avfit classes --check` |
//! | `audioset.rs`, `audioset_strong.rs`, `vggsound.rs` | the audio-side readers (AudioSet `*_segments.csv`, AudioSet Strong `audioset_*_strong.tsv`, `vggsound.csv`) |
//! | `pairing.rs` | splits, pairing and AVFC (its module documentation has the rules) |
//! | `rows.rs` | the three rows as [`Source`](crate::sources::Source)s, bound to their [`CurationOptions`] |
//!
//! The stage stands above [`crate::sources`]: it reads the image side with the direct Open Images
//! reader ([`crate::sources::openimages`]) and reports through the same
//! [`Collector`](crate::sources::Collector); nothing in `sources` knows it. The registry
//! ([`crate::registry`]) lists its rows beside the direct adapters and the specs.

pub mod audioset;
pub mod audioset_strong;
pub mod classes;
pub mod options;
pub mod pairing;
pub mod rows;
pub mod vggsound;

pub use options::{classes_config_text, default_classes_path, CurationOptions};
pub use pairing::{
    check_label_lists, iou, longest_gap, read_curated, split_of, AudioSide, MAX_NEGATIVE_IOU, MAX_PROBES,
    MIN_NEGATIVE_WINDOW, RECENT_IMAGES,
};
pub use rows::{configured, rows, Curated, CuratedRow};
