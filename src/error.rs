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
    #[error(
        "{}{}{}: {}",
        shown(path),
        line.map(|l| format!(":{l}")).unwrap_or_default(),
        column.map(|c| format!(":{c}")).unwrap_or_default(),
        escape(message)
    )]
    Input {
        /// The input file.
        path: PathBuf,
        /// 1-based line (text files) when known.
        line: Option<u64>,
        /// 1-based column (character within the line) when known, as in `file:line:column`.
        column: Option<u64>,
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
            column: None,
            message: message.into(),
        }
    }

    /// An [`Error::Input`] for a JSON text of `path` that serde_json could not read: at `line`
    /// (default: serde's line; give it for one line of a JSONL file) and serde's column, with
    /// [`json_problem`]'s wording (`not JSON: expected a value`), never serde's own.
    pub fn json(path: impl AsRef<Path>, line: Option<u64>, e: &serde_json::Error) -> Self {
        Error::Input {
            path: path.as_ref().to_path_buf(),
            line: Some(line.unwrap_or(e.line() as u64)),
            column: (e.column() > 0).then_some(e.column() as u64),
            message: json_problem(e),
        }
    }
}

/// What is wrong with a JSON text, in the words of a person reading the file rather than
/// serde_json's (`expected ident` → `not JSON: expected a value (true, false or null)`), without
/// the position (the caller gives it). Syntax errors start `not JSON: `; an end of file inside
/// a value says what was left open; a value of the wrong shape (serde's "invalid type") is kept
/// as serde words it. Takes the error serde_json returned; returns one line.
pub fn json_problem(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let full = e.to_string();
    // serde_json appends " at line L column C" to every message with a position.
    let text = match full.rfind(" at line ") {
        Some(at) if e.line() > 0 => &full[..at],
        _ => full.as_str(),
    };
    match e.classify() {
        Category::Io => format!("cannot be read: {text}"),
        Category::Data => text.to_string(),
        Category::Eof => {
            let open = text.strip_prefix("EOF while parsing ").unwrap_or(text);
            match open {
                "a list" => "not JSON: the text ends inside a list (a `]` is missing)".into(),
                "an object" => "not JSON: the text ends inside an object (a `}` is missing)".into(),
                "a string" => "not JSON: the text ends inside a string (a closing `\"` is missing)".into(),
                "a value" => "not JSON: the text ends where a value was expected (empty file?)".into(),
                other => format!("not JSON: the text ends too early ({other})"),
            }
        }
        Category::Syntax => {
            let said = match text {
                "expected ident" => "expected a value (`true`, `false` or `null` are the only bare words)",
                "expected value" => {
                    "expected a value (a string in double quotes, a number, `[`, `{`, `true`, `false` or `null`)"
                }
                "key must be a string" => "expected an object key in double quotes",
                "trailing comma" => "a comma before a closing `]` or `}`",
                "trailing characters" => {
                    "more text after the JSON value ended (JSON Lines given where one JSON value is expected?)"
                }
                "invalid number" => "expected a number",
                "number out of range" => "a number too large to read",
                "invalid escape" => "an invalid backslash escape in a string",
                "expected `:`" => "expected `:` after an object key",
                "expected `,` or `]`" => "expected `,` or `]` after a list element",
                "expected `,` or `}`" => "expected `,` or `}` after an object member",
                "recursion limit exceeded" => "nested more than 128 levels deep",
                other if other.starts_with("control character") => {
                    "a control character (tab, newline) inside a string: write it as `\\t` or `\\n`"
                }
                other => other,
            };
            format!("not JSON: {said}")
        }
    }
}
