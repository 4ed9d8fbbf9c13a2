//! The curation stage: the curated rows, Open Images boxes paired with audio clips of the same
//! class by a class map, and the AVFC fact-checking samples built from the pairs (DESIGN.md,
//! "Curated rows"). Everything the curated rows need and nothing else reads is here:
//!
//! | file | what |
//! |---|---|
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
pub mod pairing;
pub mod rows;
pub mod vggsound;

pub use pairing::{
    check_label_lists, iou, longest_gap, read_curated, split_of, AudioSide, MAX_NEGATIVE_IOU, MAX_PROBES,
    MIN_NEGATIVE_WINDOW, RECENT_IMAGES,
};
pub use rows::{configured, rows, Curated, CuratedRow};

use std::path::{Path, PathBuf};

/// Settings of a curated row, from its `[[source]]` in a build manifest (`classes`,
/// `test_fraction`, `cap_per_class`) or `convert`'s `--classes` and `--test-fraction`. They travel
/// with the row ([`CuratedRow::new`]), not in the [`SourceOptions`](crate::sources::SourceOptions)
/// every source gets.
#[derive(Clone, Debug, PartialEq)]
pub struct CurationOptions {
    /// The class map file (`manifests/classes.toml`).
    pub classes: PathBuf,
    /// Fraction of images (and clips) hashed to test, in [0, 1].
    pub test_fraction: f64,
    /// At most this many pairs per class and split.
    pub cap_per_class: Option<u64>,
}

/// `manifests/classes.toml` in the working directory, else beside this crate's sources.
pub fn default_classes_path() -> PathBuf {
    let local = PathBuf::from("manifests/classes.toml");
    if local.exists() {
        local
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests/classes.toml")
    }
}

impl Default for CurationOptions {
    /// The default class map ([`default_classes_path`]), test fraction 0.2, no cap.
    fn default() -> Self {
        CurationOptions {
            classes: default_classes_path(),
            test_fraction: 0.2,
            cap_per_class: None,
        }
    }
}
