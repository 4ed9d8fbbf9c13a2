//! IGATL, image-guided audio temporal localization: when does the object in the image sound?
//!
//! Input: empty. Answer: the dialect's rendering of the segments (`[8.0,10.0]` in meerkat,
//! `from 80 to 99` in vtimellm). Template variable `duration`: the clip length in seconds as
//! Rust prints it (`10`, `7.5`).

use crate::dialect::Dialect;
use crate::geometry::Segment;
use tera::Context;

/// (input, answer) of an IGATL sample; inserts `duration` into `context`.
pub fn parts(
    _label: &str,
    segments: &[Segment],
    duration: f64,
    dialect: Dialect,
    context: &mut Context,
) -> (String, String) {
    context.insert("duration", &duration.to_string());
    (String::new(), dialect.render_segments(segments, duration))
}
