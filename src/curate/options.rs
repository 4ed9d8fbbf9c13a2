//! A curated row's settings: class map, test fraction, cap per class.

use std::path::{Path, PathBuf};

/// Settings of a curated row, from its `[[source]]` in a build manifest (`classes`,
/// `test_fraction`, `cap_per_class`) or `convert`'s `--classes` and `--test-fraction`. They travel
/// with the row ([`super::CuratedRow::new`]), not in the [`SourceOptions`](crate::sources::SourceOptions)
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
