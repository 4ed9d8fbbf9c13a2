//! ARIG, audio-referred image grounding: hear the audio, box the sounding object in the image.
//!
//! Input: empty (the image and audio are the input). Answer: the dialect's rendering of every
//! box with the label (`[<elk bugling>,0.403,0.253,0.600,0.750]` in meerkat). No extra template
//! variables: the instruction must not reveal the label.
//!
//! A referring sample ([`crate::record::Record::referring`]: an image without audio, as the
//! direct `openimages` source gives) has nothing that says which object to box but its input:
//! the input is the label (`Alarm clock`), rendered with the `[[referring]]` templates, so two
//! classes of one image are two different questions.

use crate::dialect::Dialect;
use crate::geometry::BBox;

/// (input, answer) of an ARIG sample of `label` with normalized `boxes`: the input is empty, or
/// the label when `referring`.
pub fn parts(label: &str, boxes: &[BBox], referring: bool, dialect: Dialect) -> (String, String) {
    let input = if referring { label.to_string() } else { String::new() };
    (input, dialect.render_boxes(label, boxes))
}
