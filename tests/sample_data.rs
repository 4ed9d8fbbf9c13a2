//! The AVSBench sample masks under tests/data/avsbench are written by this file: each is a
//! 224x224 8-bit grayscale PNG whose foreground is the union of inclusive pixel rectangles.
//! The test checks that every shipped mask has exactly the pixels its specification says, so the
//! expected boxes in the adapter tests follow from the rectangles here. Regenerate them with
//! `AVFIT_WRITE_SAMPLES=1 cargo test --test sample_data`.

use image::{GrayImage, Luma};
use std::path::PathBuf;

/// (path under tests/data/avsbench, foreground value, rectangles `(min_x, min_y, max_x, max_y)` inclusive).
type MaskSpec = (&'static str, u8, &'static [(u32, u32, u32, u32)]);

const S4: &str = "Single-source/s4_data/gt_masks";
const MS3: &str = "Multi-sources/ms3_data/gt_masks";

/// Every shipped mask.
pub const MASKS: [MaskSpec; 9] = [
    // S4 train: one frame, the acceptance box columns 21..=120, rows 45..=178.
    (
        "S4/train/playing_acoustic_guitar/sssssssssss/sssssssssss_1.png",
        255,
        &[(21, 45, 120, 178)],
    ),
    // S4 test: frame 1 empty, frame 2 stored as 0/1, frame 3 empty, frame 4 top-right quarter.
    ("S4/test/dog/ccccccccccc/ccccccccccc_1.png", 255, &[]),
    ("S4/test/dog/ccccccccccc/ccccccccccc_2.png", 1, &[(0, 112, 111, 223)]),
    ("S4/test/dog/ccccccccccc/ccccccccccc_3.png", 255, &[]),
    ("S4/test/dog/ccccccccccc/ccccccccccc_4.png", 255, &[(112, 0, 223, 111)]),
    // S4 test: every mask empty.
    ("S4/test/baby_laughter/ddddddddddd/ddddddddddd_1.png", 255, &[]),
    ("S4/test/baby_laughter/ddddddddddd/ddddddddddd_2.png", 255, &[]),
    // MS3 test: two blobs and a 4-pixel speck (below 0.5% of the mask).
    (
        "MS3/test/bbbbbbbbbbb_1/bbbbbbbbbbb_1_1.png",
        255,
        &[(0, 0, 55, 27), (112, 112, 167, 223), (200, 10, 201, 11)],
    ),
    // MS3 train: one blob.
    (
        "MS3/train/ggggggggggg_2/ggggggggggg_2_1.png",
        255,
        &[(56, 56, 167, 167)],
    ),
];

fn render(value: u8, rects: &[(u32, u32, u32, u32)]) -> GrayImage {
    GrayImage::from_fn(224, 224, |x, y| {
        let on = rects
            .iter()
            .any(|&(x0, y0, x1, y1)| (x0..=x1).contains(&x) && (y0..=y1).contains(&y));
        Luma([if on { value } else { 0 }])
    })
}

fn path(spec: &str) -> PathBuf {
    let rel = spec.replacen("S4", S4, 1).replacen("MS3", MS3, 1);
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/avsbench")
        .join(rel)
}

#[test]
fn shipped_masks_match_their_specification() {
    let write = std::env::var_os("AVFIT_WRITE_SAMPLES").is_some();
    for (spec, value, rects) in MASKS {
        let expected = render(value, rects);
        let path = path(spec);
        if write {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            expected.save(&path).unwrap();
        }
        let shipped = image::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(shipped.color(), image::ColorType::L8, "{}", path.display());
        assert!(
            shipped.to_luma8() == expected,
            "{} differs from its specification",
            path.display()
        );
    }
}
