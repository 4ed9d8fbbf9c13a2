//! Token dialects: how a box or a segment is written in an answer (DESIGN.md, "Dialects").
//!
//! One internal [`BBox`] and [`Segment`]; the dialect renders them. Decimals are Rust's `{:.N}`
//! (the correctly rounded decimal of the binary value, ties to even: 0.0625 → `0.062`); integer
//! grids use [`f64::round_ties_even`] (`round(2.5) = 2`).

use crate::geometry::{BBox, Segment};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// A token dialect of DESIGN.md.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum Dialect {
    /// `[<L>,x0,y0,x1,y1]`, 3 decimals; segments `[start,end]` with 1 decimal (the default).
    #[default]
    #[serde(rename = "meerkat")]
    #[value(name = "meerkat")]
    Meerkat,
    /// `[x0,y0,x1,y1]`, 3 decimals, no label; segments as meerkat.
    #[serde(rename = "shikra")]
    #[value(name = "shikra")]
    Shikra,
    /// `<p>L</p> {<x0><y0><x1><y1>}` on a 0..100 integer grid; segments as meerkat.
    #[serde(rename = "minigpt-v2")]
    #[value(name = "minigpt-v2")]
    MiniGptV2,
    /// `<ref>L</ref><box>(x0,y0),(x1,y1)</box>` on a 0..999 integer grid; segments as meerkat.
    #[serde(rename = "qwen-vl")]
    #[value(name = "qwen-vl")]
    QwenVl,
    /// Boxes as meerkat; segments `from SS to EE` in hundredths of the clip, 00..99.
    #[serde(rename = "vtimellm")]
    #[value(name = "vtimellm")]
    VtimeLlm,
}

/// Every dialect, in the order of DESIGN.md.
pub const ALL_DIALECTS: [Dialect; 5] = [
    Dialect::Meerkat,
    Dialect::Shikra,
    Dialect::MiniGptV2,
    Dialect::QwenVl,
    Dialect::VtimeLlm,
];

impl Dialect {
    /// The dialect's name on the command line and in `manifest.json` (`meerkat`, `qwen-vl`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Meerkat => "meerkat",
            Dialect::Shikra => "shikra",
            Dialect::MiniGptV2 => "minigpt-v2",
            Dialect::QwenVl => "qwen-vl",
            Dialect::VtimeLlm => "vtimellm",
        }
    }

    /// Looks a dialect up by [`Dialect::name`]; `None` for an unknown name.
    pub fn from_name(name: &str) -> Option<Dialect> {
        ALL_DIALECTS.into_iter().find(|d| d.name() == name)
    }

    /// Renders `boxes` (normalized) of object `label` as the answer of a grounding sample.
    ///
    /// Several boxes: meerkat and shikra join them with `; `, minigpt-v2 with `<delim>` after one
    /// `<p>L</p>`, qwen-vl by repeating `<box>...</box>` after one `<ref>L</ref>`.
    pub fn render_boxes(self, label: &str, boxes: &[BBox]) -> String {
        let mut out = String::with_capacity(boxes.len() * (label.len() + 28));
        match self {
            Dialect::Meerkat | Dialect::VtimeLlm | Dialect::Shikra => {
                for (i, b) in boxes.iter().enumerate() {
                    if i > 0 {
                        out.push_str("; ");
                    }
                    out.push('[');
                    if self != Dialect::Shikra {
                        out.push('<');
                        out.push_str(label);
                        out.push_str(">,");
                    }
                    for (i, v) in b.0.into_iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        push_3_decimals(&mut out, v);
                    }
                    out.push(']');
                }
            }
            Dialect::MiniGptV2 => {
                write!(out, "<p>{label}</p> ").unwrap();
                for (i, b) in boxes.iter().enumerate() {
                    if i > 0 {
                        out.push_str("<delim>");
                    }
                    let [x0, y0, x1, y1] = b.0.map(|v| grid(v, 100.0, 100));
                    write!(out, "{{<{x0}><{y0}><{x1}><{y1}>}}").unwrap();
                }
            }
            Dialect::QwenVl => {
                write!(out, "<ref>{label}</ref>").unwrap();
                for b in boxes {
                    let [x0, y0, x1, y1] = b.0.map(|v| grid(v, 1000.0, 999));
                    write!(out, "<box>({x0},{y0}),({x1},{y1})</box>").unwrap();
                }
            }
        }
        out
    }

    /// Renders one box without a label, for a claim that points at a region (AVFC type 4):
    /// meerkat, shikra and vtimellm `[x0,y0,x1,y1]` with 3 decimals, minigpt-v2
    /// `{<x0><y0><x1><y1>}` on 0..100, qwen-vl `<box>(x0,y0),(x1,y1)</box>` on 0..999.
    pub fn render_region(self, bbox: &BBox) -> String {
        match self {
            Dialect::Meerkat | Dialect::VtimeLlm | Dialect::Shikra => {
                Dialect::Shikra.render_boxes("", std::slice::from_ref(bbox))
            }
            Dialect::MiniGptV2 => {
                let [x0, y0, x1, y1] = bbox.0.map(|v| grid(v, 100.0, 100));
                format!("{{<{x0}><{y0}><{x1}><{y1}>}}")
            }
            Dialect::QwenVl => {
                let [x0, y0, x1, y1] = bbox.0.map(|v| grid(v, 1000.0, 999));
                format!("<box>({x0},{y0}),({x1},{y1})</box>")
            }
        }
    }

    /// Renders `segments` (seconds) of a clip of `duration` seconds, joined with `; `.
    ///
    /// `[start,end]` with 1 decimal in every dialect but vtimellm, which writes
    /// `from SS to EE` with `min(99, round(100 * t / duration))` as two digits.
    pub fn render_segments(self, segments: &[Segment], duration: f64) -> String {
        let mut out = String::new();
        for (i, s) in segments.iter().enumerate() {
            if i > 0 {
                out.push_str("; ");
            }
            match self {
                Dialect::VtimeLlm => {
                    let rel = |t: f64| grid(100.0 * t / duration, 1.0, 99);
                    write!(out, "from {:02} to {:02}", rel(s.start()), rel(s.end())).unwrap();
                }
                _ => write!(out, "[{:.1},{:.1}]", s.start(), s.end()).unwrap(),
            }
        }
        out
    }

    /// A short description of the box format, for instructions (`{{ box_format }}` in templates).
    pub fn box_format(self) -> &'static str {
        match self {
            Dialect::Meerkat | Dialect::VtimeLlm => {
                "[<obj>,xLeft,yTop,xRight,yBottom] with coordinates between 0 and 1"
            }
            Dialect::Shikra => "[xLeft,yTop,xRight,yBottom] with coordinates between 0 and 1",
            Dialect::MiniGptV2 => "<p>obj</p> {<xLeft><yTop><xRight><yBottom>} on a 0-100 grid",
            Dialect::QwenVl => "<ref>obj</ref><box>(xLeft,yTop),(xRight,yBottom)</box> on a 0-999 grid",
        }
    }

    /// A short description of the segment format (`{{ segment_format }}` in templates).
    pub fn segment_format(self) -> &'static str {
        match self {
            Dialect::VtimeLlm => "from SS to EE, in hundredths of the clip",
            _ => "[start,end] in seconds",
        }
    }
}

/// Appends `v` as `{:.3}` writes it: the correctly rounded 3-decimal value of the binary `v`,
/// ties to even (0.0625 → `0.062`). Boxes are in [0, 1], so that range takes an exact integer path
/// (the formatting of `{:.3}` was the largest cost of rendering an answer); anything else, and
/// values below 0.001 or a negative zero, goes through `{:.3}` itself.
pub fn push_3_decimals(out: &mut String, v: f64) {
    if !(0.001..=1.0).contains(&v) {
        write!(out, "{v:.3}").unwrap();
        return;
    }
    // v = m * 2^-s exactly, with s in 52..=62 for v in [0.001, 1]; m * 1000 < 2^63.
    let bits = v.to_bits();
    let m = (bits & ((1 << 52) - 1)) | (1 << 52);
    let s = 1075 - ((bits >> 52) & 0x7ff) as u32;
    let scaled = m * 1000; // v * 1000 = scaled / 2^s
    let floor = scaled >> s;
    let twice_rest = (scaled - (floor << s)) << 1;
    let half = 1u64 << s;
    let n = if twice_rest > half || (twice_rest == half && floor % 2 == 1) {
        floor + 1
    } else {
        floor
    } as u32;
    let frac = n % 1000;
    let digit = |d: u32| b'0' + d as u8;
    // The five bytes appended at once: one length check, where five `push`es made five.
    let text = [
        digit(n / 1000),
        b'.',
        digit(frac / 100),
        digit(frac / 10 % 10),
        digit(frac % 10),
    ];
    out.push_str(std::str::from_utf8(&text).expect("ASCII digits and a point"));
}

/// `min(cap, round_ties_even(v * scale))` as an integer grid coordinate (vtimellm passes
/// `100 * t / duration` with scale 1, in that order of operations, as DESIGN.md writes it).
fn grid(v: f64, scale: f64, cap: i64) -> i64 {
    ((v * scale).round_ties_even() as i64).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(x0: f64, y0: f64, x1: f64, y1: f64) -> BBox {
        BBox::normalized(x0, y0, x1, y1).unwrap()
    }
    fn s(a: f64, e: f64) -> Segment {
        Segment::new(a, e, None).unwrap()
    }

    #[test]
    fn meerkat_three_decimals_ties_to_even() {
        let one = [b(0.403125, 0.253125, 0.6, 0.75)];
        assert_eq!(
            Dialect::Meerkat.render_boxes("elk bugling", &one),
            "[<elk bugling>,0.403,0.253,0.600,0.750]"
        );
        let ties = [b(0.0625, 0.0, 0.9375, 1.0)];
        assert_eq!(
            Dialect::Meerkat.render_boxes("dog", &ties),
            "[<dog>,0.062,0.000,0.938,1.000]"
        );
        let two = [b(0.1, 0.2, 0.3, 0.4), b(0.5, 0.5, 1.0, 1.0)];
        assert_eq!(
            Dialect::Meerkat.render_boxes("dog", &two),
            "[<dog>,0.100,0.200,0.300,0.400]; [<dog>,0.500,0.500,1.000,1.000]"
        );
        assert_eq!(
            Dialect::VtimeLlm.render_boxes("dog", &ties),
            "[<dog>,0.062,0.000,0.938,1.000]"
        );
    }

    #[test]
    fn three_decimals_match_std_formatting() {
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            0.001,
            0.0005,
            0.0015,
            0.9995,
            0.999_999_9,
            1e-300,
            2.5,
            -0.25,
        ];
        // Exact binary ties (j / 2^p), where rounding to even decides.
        for p in 1..=14 {
            values.extend((0..=(1u32 << p)).map(|j| f64::from(j) / f64::from(1u32 << p)));
        }
        // Numbers as the files write them (6 decimals) and pseudo-random doubles.
        values.extend((0..=1_000_000).map(|j| f64::from(j) / 1e6));
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for _ in 0..1_000_000 {
            values.push((rng.gen::<u64>() >> 11) as f64 / (1u64 << 53) as f64);
        }
        for v in values {
            let mut out = String::new();
            push_3_decimals(&mut out, v);
            assert_eq!(out, format!("{v:.3}"), "{v:?}");
        }
    }

    /// Every exponent of [0.001, 1] with random 52-bit fractions (the most significant bits
    /// `push_3_decimals` multiplies, m * 1000 < 2^63): `{:.3}`'s text.
    #[test]
    fn three_decimals_of_full_fractions_match_std_formatting() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for i in 0..2_000_000u64 {
            let x = rng.gen::<u64>();
            let fraction = if i < 20 { (1 << 52) - 1 - i } else { x >> 12 };
            let v = f64::from_bits(((1013 + i % 10) << 52) | fraction);
            let mut out = String::new();
            push_3_decimals(&mut out, v);
            assert_eq!(out, format!("{v:.3}"), "{v:?}");
        }
    }

    #[test]
    fn shikra_has_no_label() {
        let two = [b(0.0625, 0.2, 0.3, 0.4), b(0.5, 0.5, 1.0, 1.0)];
        assert_eq!(
            Dialect::Shikra.render_boxes("dog", &two),
            "[0.062,0.200,0.300,0.400]; [0.500,0.500,1.000,1.000]"
        );
    }

    #[test]
    fn minigpt_v2_rounds_ties_to_even_on_100_grid() {
        // 0.125 * 100 = 12.5 exactly, a true tie, rounds to even 12; 0.375 * 100 = 37.5 → 38.
        let one = [b(0.125, 0.375, 0.5, 1.0)];
        assert_eq!(
            Dialect::MiniGptV2.render_boxes("cat", &one),
            "<p>cat</p> {<12><38><50><100>}"
        );
        let two = [b(0.125, 0.375, 0.5, 1.0), b(0.0, 0.0, 0.2, 0.2)];
        assert_eq!(
            Dialect::MiniGptV2.render_boxes("cat", &two),
            "<p>cat</p> {<12><38><50><100>}<delim>{<0><0><20><20>}"
        );
    }

    #[test]
    fn qwen_vl_caps_at_999() {
        let one = [b(0.403125, 0.253125, 0.6, 0.75)];
        assert_eq!(
            Dialect::QwenVl.render_boxes("elk bugling", &one),
            "<ref>elk bugling</ref><box>(403,253),(600,750)</box>"
        );
        let two = [b(0.0, 0.0005, 1.0, 0.9995), b(0.0625, 0.5, 0.9375, 0.75)];
        // 0.0005 * 1000 = 0.5 → 0 (tie to even); 0.9995 * 1000 = 999.4999999999999 → 999; 1000 → 999.
        assert_eq!(
            Dialect::QwenVl.render_boxes("x", &two),
            "<ref>x</ref><box>(0,0),(999,999)</box><box>(62,500),(938,750)</box>"
        );
    }

    #[test]
    fn segments_one_decimal_and_vtimellm_percent() {
        let segs = [s(0.0, 3.0), s(4.25, 9.75)];
        assert_eq!(Dialect::Meerkat.render_segments(&segs, 10.0), "[0.0,3.0]; [4.2,9.8]");
        assert_eq!(Dialect::QwenVl.render_segments(&segs, 10.0), "[0.0,3.0]; [4.2,9.8]");
        // 100 * 0.7 / 10 = 7, 100 * 4.2 / 10 = 42; 0.25 s of 10 s is 2.5 → 2 (ties to even); 10 s → 100 → 99.
        assert_eq!(Dialect::VtimeLlm.render_segments(&[s(0.7, 4.2)], 10.0), "from 07 to 42");
        assert_eq!(
            Dialect::VtimeLlm.render_segments(&[s(0.25, 10.0), s(0.0, 0.5)], 10.0),
            "from 02 to 99; from 00 to 05"
        );
    }

    #[test]
    fn regions_have_no_label() {
        let b = b(0.0625, 0.125, 0.5, 0.9375);
        assert_eq!(Dialect::Meerkat.render_region(&b), "[0.062,0.125,0.500,0.938]");
        assert_eq!(Dialect::MiniGptV2.render_region(&b), "{<6><12><50><94>}");
        assert_eq!(Dialect::QwenVl.render_region(&b), "<box>(62,125),(500,938)</box>");
    }

    #[test]
    fn names_round_trip() {
        for d in ALL_DIALECTS {
            assert_eq!(Dialect::from_name(d.name()), Some(d));
        }
        assert_eq!(Dialect::from_name("llava"), None);
    }
}
