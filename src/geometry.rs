//! Boxes and segments: the one internal representation every adapter converts into.
//!
//! * A [`BBox`] is `[x0, y0, x1, y1]`, normalized to [0, 1] by the image width (x) and height (y),
//!   top-left origin, x to the right, y down, with `x0 < x1` and `y0 < y1`.
//! * A [`Segment`] is `[start, end)` in seconds from the start of the clip, `0 <= start < end`.
//!
//! Both constructors validate and answer a stable [`Reason`] code when a value is not usable.

use crate::reason::Reason;
use serde::{Deserialize, Serialize};

/// How far past [0, 1] a normalized coordinate may stray and still be clamped (floating-point
/// noise such as Open Images' `1.0000000000000002`); anything further is `box_out_of_range`.
pub const CLAMP_TOLERANCE: f64 = 1e-6;

/// A bounding box `[x0, y0, x1, y1]`, normalized to [0, 1], serialized as a JSON array of four
/// numbers.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BBox(pub [f64; 4]);

/// Why a box or segment was refused: the stable code and a human-readable detail with the values.
#[derive(Clone, Debug, PartialEq)]
pub struct Invalid {
    /// Stable snake_case reason.
    pub reason: Reason,
    /// The offending values, for `rejects.jsonl`.
    pub detail: String,
}

impl BBox {
    /// Validates a box already normalized to [0, 1] (`x0, y0` top-left, `x1, y1` bottom-right).
    ///
    /// Values within [`CLAMP_TOLERANCE`] outside [0, 1] are clamped and `-0` becomes `0`. Errors: `non_finite_value`
    /// (NaN or infinite), `box_out_of_range` (further outside [0, 1]), `degenerate_box`
    /// (`x0 == x1` or `y0 == y1`), `reversed_box` (`x0 > x1` or `y0 > y1`).
    pub fn normalized(x0: f64, y0: f64, x1: f64, y1: f64) -> Result<BBox, Invalid> {
        let raw = [x0, y0, x1, y1];
        let detail = || format!("[{x0:?}, {y0:?}, {x1:?}, {y1:?}]");
        if raw.iter().any(|v| !v.is_finite()) {
            return Err(Invalid {
                reason: Reason::NonFiniteValue,
                detail: detail(),
            });
        }
        if raw.iter().any(|v| *v < -CLAMP_TOLERANCE || *v > 1.0 + CLAMP_TOLERANCE) {
            return Err(Invalid {
                reason: Reason::BoxOutOfRange,
                detail: detail(),
            });
        }
        // `+ 0.0` turns a `-0` read from the input into `0`, so it never prints as `-0.0`.
        let [x0, y0, x1, y1] = raw.map(|v| v.clamp(0.0, 1.0) + 0.0);
        if x0 == x1 || y0 == y1 {
            return Err(Invalid {
                reason: Reason::DegenerateBox,
                detail: detail(),
            });
        }
        if x0 > x1 || y0 > y1 {
            return Err(Invalid {
                reason: Reason::ReversedBox,
                detail: detail(),
            });
        }
        Ok(BBox([x0, y0, x1, y1]))
    }

    /// A box from pixel edges on an image of `width` × `height` pixels: `x0 = left / width`,
    /// `x1 = right / width`, likewise y (Flickr-SoundNet's `v / 256`). Same errors as
    /// [`BBox::normalized`]; a zero width or height is `non_finite_value`.
    pub fn from_pixel_edges(
        left: f64,
        top: f64,
        right: f64,
        bottom: f64,
        width: f64,
        height: f64,
    ) -> Result<BBox, Invalid> {
        BBox::normalized(left / width, top / height, right / width, bottom / height)
    }

    /// A box from the inclusive 0-based pixel extent `min_x..=max_x`, `min_y..=max_y` on an image
    /// of `width` × `height` pixels: `x0 = min_x / width`, `x1 = (max_x + 1) / width`, likewise y.
    /// Masks (AVSBench) give such extents directly; PASCAL VOC's 1-based inclusive `xmin..xmax`
    /// is the extent `xmin - 1 ..= xmax - 1`. Same errors as [`BBox::from_pixel_edges`].
    pub fn from_inclusive_pixels(
        min_x: f64,
        min_y: f64,
        max_x: f64,
        max_y: f64,
        width: f64,
        height: f64,
    ) -> Result<BBox, Invalid> {
        BBox::from_pixel_edges(min_x, min_y, max_x + 1.0, max_y + 1.0, width, height)
    }

    /// Area as a fraction of the image (0..=1).
    pub fn area(&self) -> f64 {
        (self.x1() - self.x0()) * (self.y1() - self.y0())
    }

    /// Left edge, normalized.
    pub fn x0(&self) -> f64 {
        self.0[0]
    }
    /// Top edge, normalized.
    pub fn y0(&self) -> f64 {
        self.0[1]
    }
    /// Right edge, normalized.
    pub fn x1(&self) -> f64 {
        self.0[2]
    }
    /// Bottom edge, normalized.
    pub fn y1(&self) -> f64 {
        self.0[3]
    }
}

/// A time segment `[start, end)` in seconds from the start of the clip, serialized as a JSON
/// array of two numbers.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Segment(pub [f64; 2]);

impl Segment {
    /// Validates `[start, end)` in seconds against an optional clip `duration` in seconds; `-0`
    /// becomes `0`.
    ///
    /// Errors: `non_finite_value`, `zero_length_segment` (`start == end`), `reversed_segment`
    /// (`start > end`), `segment_out_of_range` (`start < 0` or `end > duration`).
    pub fn new(start: f64, end: f64, duration: Option<f64>) -> Result<Segment, Invalid> {
        let detail = || match duration {
            Some(d) => format!("[{start:?}, {end:?}] in a clip of {d:?} s"),
            None => format!("[{start:?}, {end:?}]"),
        };
        if !start.is_finite() || !end.is_finite() {
            return Err(Invalid {
                reason: Reason::NonFiniteValue,
                detail: detail(),
            });
        }
        if start == end {
            return Err(Invalid {
                reason: Reason::ZeroLengthSegment,
                detail: detail(),
            });
        }
        if start > end {
            return Err(Invalid {
                reason: Reason::ReversedSegment,
                detail: detail(),
            });
        }
        if start < 0.0 || duration.is_some_and(|d| end > d) {
            return Err(Invalid {
                reason: Reason::SegmentOutOfRange,
                detail: detail(),
            });
        }
        // `+ 0.0` turns a `-0` read from the input into `0`, so it never prints as `-0.0`.
        Ok(Segment([start + 0.0, end + 0.0]))
    }

    /// Onset in seconds.
    pub fn start(&self) -> f64 {
        self.0[0]
    }
    /// Offset in seconds (exclusive).
    pub fn end(&self) -> f64 {
        self.0[1]
    }
    /// Midpoint in seconds.
    pub fn midpoint(&self) -> f64 {
        (self.0[0] + self.0[1]) / 2.0
    }
}

/// Sorts segments by onset and merges those that overlap or touch (`a.end >= b.start`).
///
/// Takes and returns seconds; `[0,3)` and `[3,5)` become `[0,5)`, `[0,3)` and `[4,5)` stay apart.
pub fn merge_segments(mut segments: Vec<Segment>) -> Vec<Segment> {
    segments.sort_by(|a, b| a.start().total_cmp(&b.start()).then(a.end().total_cmp(&b.end())));
    let mut merged: Vec<Segment> = Vec::with_capacity(segments.len());
    for s in segments {
        match merged.last_mut() {
            Some(last) if s.start() <= last.end() => last.0[1] = last.end().max(s.end()),
            _ => merged.push(s),
        }
    }
    merged
}

/// The parts of `segments` that no segment of `removed` covers, merged and sorted.
///
/// Takes and returns seconds, every segment `[start,end)`; an empty remainder is dropped:
/// `[0,10)` minus `[2,4)` and `[6,10)` is `[0,2)`, `[4,6)`.
pub fn subtract_segments(segments: Vec<Segment>, removed: Vec<Segment>) -> Vec<Segment> {
    let removed = merge_segments(removed);
    let mut out = Vec::new();
    for s in merge_segments(segments) {
        let mut start = s.start();
        for r in removed.iter().filter(|r| r.end() > s.start() && r.start() < s.end()) {
            if r.start() > start {
                out.push(Segment([start, r.start()]));
            }
            start = start.max(r.end());
        }
        if start < s.end() {
            out.push(Segment([start, s.end()]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtraction_keeps_what_nothing_removed_covers() {
        let seg = |a: f64, b: f64| Segment([a, b]);
        assert_eq!(
            subtract_segments(vec![seg(0.0, 10.0)], vec![seg(6.0, 10.0), seg(2.0, 4.0)]),
            vec![seg(0.0, 2.0), seg(4.0, 6.0)]
        );
        assert_eq!(subtract_segments(vec![seg(2.0, 6.0)], vec![seg(0.0, 10.0)]), vec![]);
        assert_eq!(
            subtract_segments(vec![seg(0.0, 1.0), seg(2.0, 6.0)], vec![seg(0.0, 3.0)]),
            vec![seg(3.0, 6.0)]
        );
        assert_eq!(subtract_segments(vec![seg(1.0, 3.0)], vec![]), vec![seg(1.0, 3.0)]);
    }

    #[test]
    fn negative_zero_becomes_zero() {
        let b = BBox::normalized(-0.0, -0.0, 0.5, 1.0).unwrap();
        assert_eq!(format!("{:?} {:?}", b.0[0], b.0[1]), "0.0 0.0");
        assert_eq!(serde_json::to_string(&b).unwrap(), "[0.0,0.0,0.5,1.0]");
        let b = BBox::from_pixel_edges(-0.0, 0.0, 128.0, 256.0, 256.0, 256.0).unwrap();
        assert_eq!(serde_json::to_string(&b).unwrap(), "[0.0,0.0,0.5,1.0]");
        let s = Segment::new(-0.0, 5.0, Some(10.0)).unwrap();
        assert_eq!(serde_json::to_string(&s).unwrap(), "[0.0,5.0]");
        assert_eq!(format!("{:.3}", s.start()), "0.000");
    }

    #[test]
    fn normalized_box_keeps_exact_values() {
        let b = BBox::normalized(0.403125, 0.253125, 0.6, 0.75).unwrap();
        assert_eq!(b.0, [0.403125, 0.253125, 0.6, 0.75]);
    }

    #[test]
    fn tiny_excess_is_clamped_real_excess_rejected() {
        let b = BBox::normalized(-1e-9, 0.0, 1.0000000000000002, 1.0).unwrap();
        assert_eq!(b.0, [0.0, 0.0, 1.0, 1.0]);
        let e = BBox::normalized(0.534375, 0.3375, -2.8823037615171176e16, 0.909375).unwrap_err();
        assert_eq!(e.reason, Reason::BoxOutOfRange);
        assert_eq!(e.detail, "[0.534375, 0.3375, -2.8823037615171176e16, 0.909375]");
        assert_eq!(
            BBox::normalized(0.0, 0.0, 1.01, 1.0).unwrap_err().reason,
            Reason::BoxOutOfRange
        );
    }

    #[test]
    fn pixel_boxes() {
        // An S4 mask whose foreground spans columns 21..=120 and rows 45..=178 of 224x224.
        let b = BBox::from_inclusive_pixels(21.0, 45.0, 120.0, 178.0, 224.0, 224.0).unwrap();
        assert_eq!(
            b.0,
            [0.09375, 0.20089285714285715, 0.5401785714285714, 0.7991071428571429]
        );
        // VOC 1-based inclusive xmin 1, ymin 1, xmax 500, ymax 375 on 500x375: the whole image.
        let voc = BBox::from_inclusive_pixels(0.0, 0.0, 499.0, 374.0, 500.0, 375.0).unwrap();
        assert_eq!(voc.0, [0.0, 0.0, 1.0, 1.0]);
        let flickr = BBox::from_pixel_edges(12.0, 40.0, 200.0, 256.0, 256.0, 256.0).unwrap();
        assert_eq!(flickr.0, [0.046875, 0.15625, 0.78125, 1.0]);
        assert_eq!(
            BBox::from_pixel_edges(0.0, 0.0, 10.0, 10.0, 0.0, 10.0)
                .unwrap_err()
                .reason,
            Reason::NonFiniteValue
        );
        assert_eq!(
            BBox::from_pixel_edges(0.0, 0.0, 300.0, 10.0, 256.0, 256.0)
                .unwrap_err()
                .reason,
            Reason::BoxOutOfRange
        );
    }

    #[test]
    fn degenerate_reversed_and_non_finite_boxes() {
        assert_eq!(
            BBox::normalized(0.0, 0.53125, 0.0, 0.9875).unwrap_err().reason,
            Reason::DegenerateBox
        );
        assert_eq!(
            BBox::normalized(0.5, 0.1, 0.4, 0.9).unwrap_err().reason,
            Reason::ReversedBox
        );
        assert_eq!(
            BBox::normalized(f64::NAN, 0.1, 0.4, 0.9).unwrap_err().reason,
            Reason::NonFiniteValue
        );
    }

    #[test]
    fn segment_validation_codes() {
        assert_eq!(Segment::new(8.0, 10.0, Some(10.0)).unwrap().0, [8.0, 10.0]);
        assert_eq!(
            Segment::new(9.0, 9.0, Some(10.0)).unwrap_err().reason,
            Reason::ZeroLengthSegment
        );
        assert_eq!(
            Segment::new(9.0, 0.0, Some(10.0)).unwrap_err().reason,
            Reason::ReversedSegment
        );
        let e = Segment::new(9.0, 11.0, Some(10.0)).unwrap_err();
        assert_eq!(
            (e.reason, e.detail.as_str()),
            (Reason::SegmentOutOfRange, "[9.0, 11.0] in a clip of 10.0 s")
        );
        assert_eq!(
            Segment::new(-1.0, 1.0, None).unwrap_err().reason,
            Reason::SegmentOutOfRange
        );
    }

    #[test]
    fn merge_joins_overlapping_and_touching_only() {
        let s = |a, b| Segment::new(a, b, None).unwrap();
        let merged = merge_segments(vec![s(4.0, 9.0), s(0.0, 3.0), s(3.0, 3.5), s(8.0, 10.0), s(0.5, 1.0)]);
        assert_eq!(merged, vec![s(0.0, 3.5), s(4.0, 10.0)]);
        assert_eq!(
            merge_segments(vec![s(0.0, 3.0), s(4.0, 9.0)]),
            vec![s(0.0, 3.0), s(4.0, 9.0)]
        );
    }
}
