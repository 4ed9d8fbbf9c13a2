//! The one error type of avfit: what stops a run, with the path, line and what was expected.
//!
//! A malformed *row* is not an error: adapters reject it into `rejects.jsonl` and go on.
//! An [`Error`] is for what cannot be read at all (a missing file, a file that is not JSON,
//! a template that does not render), and the binary prints it as its one-line reason.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// `text` as one printable line: each control character (`char::is_control`: C0, DEL, C1) is
/// written as an escape (`\n`, `\r`, `\t`, `\0`, else `\u{1b}`) and a backslash as `\\`, so
/// the escaped form reads back unambiguously; everything else (spaces, quotes, non-ASCII letters)
/// is kept. Takes any text, returns it borrowed when nothing needed escaping. Used for every
/// value an error or a rejects `detail` echoes from the input.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() || c == '\\') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn shown(path: &Path) -> String {
    escape(&path.display().to_string()).into_owned()
}

/// Why a run stopped. Its `Display` is one line: every field is shown through [`escape`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be opened, read, written or renamed.
    #[error("{}: {}", shown(path), escape(&source.to_string()))]
    Io {
        /// The path the operation was on.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// An input file could be opened but not read as its format requires.
    #[error("{}{}: {}", shown(path), line.map(|l| format!(":{l}")).unwrap_or_default(), escape(message))]
    Input {
        /// The input file.
        path: PathBuf,
        /// 1-based line (text files) when known.
        line: Option<u64>,
        /// What was found and what was expected.
        message: String,
    },
    /// A template file is invalid or one of its templates does not render on a probe sample.
    #[error("{}: template {}: {}", escape(file), escape(id), escape(message))]
    Template {
        /// The template file (`templates/<task>.toml` or the embedded copy of it).
        file: String,
        /// The template id inside the file.
        id: String,
        /// Tera's message.
        message: String,
    },
    /// A build manifest, command line option or source name is invalid.
    #[error("{}", escape(.0))]
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
