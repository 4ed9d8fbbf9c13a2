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

/// How the class map `path` is written in a run's config text (whose hash `manifest.json` and
/// the dataset card record): the fallback of [`default_classes_path`] beside this crate's sources
/// as `manifests/classes.toml`, the name it has in the working directory, so that the hash does
/// not depend on where avfit was compiled; any other path as given.
pub fn classes_config_text(path: &Path) -> String {
    if path == Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests/classes.toml") {
        "manifests/classes.toml".to_string()
    } else {
        path.display().to_string()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The class map beside the sources is written by its name in the working directory; a map
    /// the user names, relative or absolute, as given.
    #[test]
    fn the_fallback_class_map_is_written_by_its_working_directory_name() {
        let fallback = Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests/classes.toml");
        assert_eq!(classes_config_text(&fallback), "manifests/classes.toml");
        assert_eq!(
            classes_config_text(Path::new("manifests/classes.toml")),
            "manifests/classes.toml"
        );
        assert_eq!(
            classes_config_text(Path::new("/data/my classes.toml")),
            "/data/my classes.toml"
        );
        assert_eq!(classes_config_text(Path::new("x/classes.toml")), "x/classes.toml");
    }
}
