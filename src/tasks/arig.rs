//! ARIG, audio-referred image grounding: hear the audio, box the sounding object in the image.
//!
//! Input: empty (the image and audio are the input). Answer: the dialect's rendering of every
//! box with the label (`[<elk bugling>,0.403,0.253,0.600,0.750]` in meerkat). No extra template
//! variables: the instruction must not reveal the label.

use crate::dialect::Dialect;
use crate::geometry::BBox;

/// (input, answer) of an ARIG sample of `label` with normalized `boxes`.
pub fn parts(label: &str, boxes: &[BBox], dialect: Dialect) -> (String, String) {
    (String::new(), dialect.render_boxes(label, boxes))
}
