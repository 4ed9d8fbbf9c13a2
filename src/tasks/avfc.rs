//! AVFC, audio-visual fact checking: is a claim about the image and the sound true?
//!
//! Input: the claim, by type (the paper's four), with a box or segment in the dialect:
//! 1. `The <label> in the image is making the sound.`
//! 2. `The <label> making this sound can be seen in the image.`
//! 3. `The <label> in the image makes a sound during <segment>.`
//! 4. `The sound of the <label> comes from the object at <region>.`
//!
//! Answer: `True` or `False`, the verdict. Template variables: `type` (1..4) and `label`.

use crate::dialect::Dialect;
use crate::geometry::{BBox, Segment};
use tera::Context;

/// The fields of an AVFC target.
pub struct Claim<'a> {
    /// Fact-checking type, 1..=4.
    pub kind: u8,
    /// Whether the claim holds.
    pub verdict: bool,
    /// The class named.
    pub label: &'a str,
    /// Type 4: the box shown (normalized).
    pub bbox: Option<&'a BBox>,
    /// Type 3: the segment shown (seconds) and the clip length (seconds).
    pub segment: Option<(&'a Segment, f64)>,
}

/// (input, answer) of an AVFC sample; inserts `type` and `label` into `context` when given (a
/// template rendered without Tera needs none).
pub fn parts(claim: &Claim, dialect: Dialect, context: Option<&mut Context>) -> (String, String) {
    if let Some(context) = context {
        context.insert("type", &claim.kind);
        context.insert("label", claim.label);
    }
    let label = claim.label;
    // Concatenated, not formatted: one allocation of the exact size, no formatting machinery.
    let input = match (claim.kind, claim.bbox, claim.segment) {
        (3, _, Some((segment, duration))) => [
            "The ",
            label,
            " in the image makes a sound during ",
            &dialect.render_segments(std::slice::from_ref(segment), duration),
            ".",
        ]
        .concat(),
        (4, Some(bbox), _) => [
            "The sound of the ",
            label,
            " comes from the object at ",
            &dialect.render_region(bbox),
            ".",
        ]
        .concat(),
        (2, _, _) => ["The ", label, " making this sound can be seen in the image."].concat(),
        _ => ["The ", label, " in the image is making the sound."].concat(),
    };
    let answer = if claim.verdict { "True" } else { "False" };
    (input, answer.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The four claims' inputs and the answers, byte for byte, in the meerkat dialect; the
    /// context gets `type` and `label` only when one is given.
    #[test]
    fn each_type_has_its_claim_text() {
        let bbox = BBox::normalized(0.1, 0.2, 0.5, 0.9).unwrap();
        let segment = Segment::new(1.5, 6.0, Some(10.0)).unwrap();
        let claim = |kind, verdict| Claim {
            kind,
            verdict,
            label: "Dog",
            bbox: (kind == 4).then_some(&bbox),
            segment: (kind == 3).then_some((&segment, 10.0)),
        };
        let texts: Vec<(String, String)> = [(1, true), (2, false), (3, true), (4, false)]
            .into_iter()
            .map(|(kind, verdict)| parts(&claim(kind, verdict), Dialect::Meerkat, None))
            .collect();
        let owned = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            texts,
            [
                owned("The Dog in the image is making the sound.", "True"),
                owned("The Dog making this sound can be seen in the image.", "False"),
                owned("The Dog in the image makes a sound during [1.5,6.0].", "True"),
                owned(
                    "The sound of the Dog comes from the object at [0.100,0.200,0.500,0.900].",
                    "False"
                ),
            ]
        );
        let mut context = Context::new();
        parts(&claim(1, true), Dialect::Meerkat, Some(&mut context));
        assert_eq!(context.get("type").and_then(|v| v.as_u64()), Some(1));
        assert_eq!(context.get("label").and_then(|v| v.as_str()), Some("Dog"));
    }
}
