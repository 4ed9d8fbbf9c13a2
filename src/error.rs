//! The one error type of avfit: what stops a run, with the path, line and what was expected.
//!
//! A malformed *row* is not an error: adapters reject it into `rejects.jsonl` and go on.
//! An [`Error`] is for what cannot be read at all (a missing file, a file that is not JSON,
//! a template that does not render), and the binary prints it as its one-line reason.

use std::path::{Path, PathBuf};

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be opened, read, written or renamed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path the operation was on.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// An input file could be opened but not read as its format requires.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Input {
        /// The input file.
        path: PathBuf,
        /// 1-based line (text files) when known.
        line: Option<u64>,
        /// What was found and what was expected.
        message: String,
    },
    /// A template file is invalid or one of its templates does not render on a probe sample.
    #[error("{file}: template {id}: {message}")]
    Template {
        /// The template file (`templates/<task>.toml` or the embedded copy of it).
        file: String,
        /// The template id inside the file.
        id: String,
        /// Tera's message.
        message: String,
    },
    /// A build manifest, command line option or source name is invalid.
    #[error("{0}")]
    Config(String),
}

/// Result with avfit's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An [`Error::Io`] for `path`.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// An [`Error::Input`] for `path` at an optional 1-based `line`.
    pub fn input(path: impl AsRef<Path>, line: Option<u64>, message: impl Into<String>) -> Self {
        Error::Input {
            path: path.as_ref().to_path_buf(),
            line,
            message: message.into(),
        }
    }
}
