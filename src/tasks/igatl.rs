//! IGATL, image-guided audio temporal localization: when does the object in the image sound?
//!
//! Input: empty, or the label for a referring sample ([`crate::record::Record::referring`]: a
//! frame that shows several classes heard in the clip, so the image alone does not say which one
//! is asked about; rendered with the `[[referring]]` templates). Answer: the dialect's rendering of the segments (`[8.0,10.0]` in meerkat,
//! `from 80 to 99` in vtimellm). Template variable `duration`: the clip length in seconds as
//! Rust prints it (`10`, `7.5`).

use crate::dialect::Dialect;
use crate::geometry::Segment;
use tera::Context;

/// (input, answer) of an IGATL sample of `label` with `segments` (seconds) in a clip of
/// `duration` seconds: the input is empty, or the label when `referring`. Inserts `duration` into
/// `context` when given.
pub fn parts(
    label: &str,
    segments: &[Segment],
    duration: f64,
    referring: bool,
    dialect: Dialect,
    context: Option<&mut Context>,
) -> (String, String) {
    if let Some(context) = context {
        context.insert("duration", &duration.to_string());
    }
    let input = if referring { label.to_string() } else { String::new() };
    (input, dialect.render_segments(segments, duration))
}
