//! Synthetic inputs of the direct grounding (ARIG) sources: VGG-SS (`vggss.json`), AVSBench
//! (S4/MS3 metadata and mask PNGs), PASCAL Sound (VOC XML + `pascal_sound.csv`) and
//! Flickr-SoundNet (XML + `test_list.txt`).

use super::{expected, per_kind, pick, youtube_id, Ctx, Entry, JsonArray, Out, SourceSummary, Sprinkle};
use crate::error::{Error, Result};
use image::{GrayImage, Luma};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::path::Path;

/// VGGSound labels as VGG-SS writes them (some hold commas).
const VGGSOUND_LABELS: &[&str] = &[
    "dog barking",
    "male speech, man speaking",
    "female speech, woman speaking",
    "playing acoustic guitar",
    "playing piano",
    "cat meowing",
    "lions roaring",
    "helicopter",
    "church bell ringing",
    "vehicle horn, car horn, honking",
    "playing violin, fiddle",
    "baby crying",
    "chainsawing trees",
    "horse clip-clop",
    "playing drum kit",
    "train horning",
    "cattle, bovinae cowbell",
    "skateboarding",
    "typing on computer keyboard",
    "ambulance siren",
    "playing trumpet",
    "chicken crowing",
    "lawn mowing",
    "airplane flyby",
    "duck quacking",
];

/// VGG-SS `vggss.json` (FORMATS.md "VGG-SS"): a one-line JSON array of `{"file","class","bbox"}`,
/// 1–7 normalized boxes per record, edge values written as JSON ints. Defects: a record whose only
/// box holds the real file's sentinel `-2.8823037615171176e+16`, one whose only box has zero
/// width (both `no_valid_box`), and a repeated `file` (`duplicate_row`). Some valid records carry
/// an extra sentinel box (dropped, the record kept).
pub(super) fn vggss(ctx: &Ctx) -> Result<Entry> {
    #[derive(Clone, Copy)]
    enum Defect {
        Sentinel,
        ZeroWidth,
        Duplicate,
    }
    let mut rng = ctx.rng(1);
    let n = ctx.target(4380.0);
    let k = per_kind(n, 3);
    let mut sprinkle = Sprinkle::new(
        &mut rng,
        n,
        &[(Defect::Sentinel, k), (Defect::ZeroWidth, k), (Defect::Duplicate, k)],
    );
    let mut out = JsonArray::create(ctx.path("vggss/vggss.json"), false)?;
    let mut defects = BTreeMap::new();
    let mut units = 0;
    for _ in 0..n {
        let file = format!("{}_{:06}", youtube_id(&mut rng), rng.gen_range(0..60) * 10);
        let class = *pick(&mut rng, VGGSOUND_LABELS);
        let count = match rng.gen_range(0..100) {
            0..80 => 1,
            80..95 => 2,
            _ => rng.gen_range(3..=7),
        };
        let mut boxes: Vec<String> = (0..count).map(|_| grid_box(&mut rng)).collect();
        if rng.gen_range(0..200) == 0 {
            boxes.push("[0.1, 0.2, -2.8823037615171176e+16, 0.9]".into());
        }
        let record = vggss_record(&file, class, &boxes);
        out.push_raw(&record)?;
        units += 1;
        for defect in sprinkle.after_item(&mut rng) {
            units += 1;
            let (text, reason) = match defect {
                Defect::Duplicate => (record.clone(), "duplicate_row"),
                Defect::Sentinel => {
                    let file = format!("{}_{:06}", youtube_id(&mut rng), rng.gen_range(0..60) * 10);
                    let b = vec!["[0.2671875, 0.31875, -2.8823037615171176e+16, 0.8]".to_string()];
                    (vggss_record(&file, class, &b), "no_valid_box")
                }
                Defect::ZeroWidth => {
                    let file = format!("{}_{:06}", youtube_id(&mut rng), rng.gen_range(0..60) * 10);
                    let b = vec!["[0.5, 0.25, 0.5, 0.75]".to_string()];
                    (vggss_record(&file, class, &b), "no_valid_box")
                }
            };
            out.push_raw(&text)?;
            *defects.entry(reason).or_default() += 1;
        }
    }
    out.finish()?;
    Ok(Entry {
        summary: SourceSummary {
            name: "vggss",
            units,
            defects,
            expected: expected(&[("test/arig", n)]),
        },
        inputs: vec!["vggss/vggss.json".into()],
        test_fraction: None,
        comment: "VGG-SS: zero-shot ARIG, test",
    })
}

fn vggss_record(file: &str, class: &str, boxes: &[String]) -> String {
    format!(
        "{{\"file\": \"{file}\", \"class\": {}, \"bbox\": [{}]}}",
        serde_json::to_string(class).expect("a string serializes"),
        boxes.join(", ")
    )
}

/// A box on the 224-pixel grid, normalized, written as JSON numbers (`0` and `1` as ints).
fn grid_box(rng: &mut ChaCha8Rng) -> String {
    let (x0, x1) = span(rng, 224);
    let (y0, y1) = span(rng, 224);
    let v = |p: u32| match p {
        0 => "0".to_string(),
        224 => "1".to_string(),
        p => format!("{}", p as f64 / 224.0),
    };
    format!("[{}, {}, {}, {}]", v(x0), v(y0), v(x1), v(y1))
}

/// A pixel span `[a, b)` on `0..=size` at least an eighth of `size` wide.
fn span(rng: &mut ChaCha8Rng, size: u32) -> (u32, u32) {
    let min = (size / 8).max(1);
    let a = rng.gen_range(0..size - min);
    let b = rng.gen_range(a + min..=size);
    (a, b)
}

/// AVSBench categories (S4), underscored as in `s4_meta_data.csv`.
const AVSBENCH_CATEGORIES: &[&str] = &[
    "ambulance_siren",
    "baby_laughter",
    "cap_gun_shooting",
    "cat_meowing",
    "chainsawing_trees",
    "coyote_howling",
    "dog_barking",
    "driving_buses",
    "female_singing",
    "helicopter",
    "horse_clip-clop",
    "lawn_mowing",
    "lions_roaring",
    "male_speech",
    "mynah_bird_singing",
    "playing_acoustic_guitar",
    "playing_glockenspiel",
    "playing_piano",
    "playing_tabla",
    "playing_ukulele",
    "playing_violin",
    "race_car",
    "typing_on_computer_keyboard",
];

/// AVSBench (FORMATS.md "AVSBench"): `Single-source/s4_meta_data.csv`
/// (`video_id,start_second,category,split`) with `s4_data/gt_masks/<split>/<category>/<video>/<video>_<k>.png`
/// (k = 1 in S4 train, 1..5 otherwise) and `Multi-sources/ms3_meta_data.csv` (`video_id,split`)
/// with `ms3_data/gt_masks/<split>/<video>/<video>_<k>.png`, 224×224 grayscale masks (foreground
/// 255, some stored as 1; some first frames empty; MS3 with 1–3 blobs and specks under 0.5%).
/// About 15% of the videos are `val` (skipped by the build). Defects in each file: a video whose
/// masks are all empty (`empty_mask`), one without mask files (`missing_media`), a repeated
/// metadata row (`duplicate_row`).
pub(super) fn avsbench(ctx: &Ctx) -> Result<Entry> {
    let mut rng = ctx.rng(2);
    let train = ctx.target(2300.0);
    let test = ctx.target(490.0);
    let ms3 = |n: u64| {
        if n >= 2 {
            ((n as f64 * 0.12).round() as u64).max(1)
        } else {
            0
        }
    };
    let (ms3_train, ms3_test) = (ms3(train), ms3(test));
    let mut defects = BTreeMap::new();
    let mut units = 0;
    for (subset, counts) in [
        (Subset::S4, [train - ms3_train, test - ms3_test]),
        (Subset::Ms3, [ms3_train, ms3_test]),
    ] {
        let val = ((counts[0] + counts[1]) as f64 * 0.15).round() as u64;
        units += avsbench_subset(ctx, &mut rng, subset, [counts[0], counts[1], val], &mut defects)?;
    }
    Ok(Entry {
        summary: SourceSummary {
            name: "avsbench",
            units,
            defects,
            expected: expected(&[("train/arig", train), ("test/arig", test)]),
        },
        inputs: vec!["avsbench".into()],
        test_fraction: None,
        comment: "AVSBench S4 + MS3: masks to boxes, ARIG train/test (val skipped)",
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Subset {
    S4,
    Ms3,
}

/// Writes one AVSBench subset with `[train, test, val]` valid videos; returns the rows written.
fn avsbench_subset(
    ctx: &Ctx,
    rng: &mut ChaCha8Rng,
    subset: Subset,
    [train, test, val]: [u64; 3],
    defects: &mut BTreeMap<&'static str, u64>,
) -> Result<u64> {
    #[derive(Clone, Copy)]
    enum Defect {
        Empty,
        NoMasks,
        Duplicate,
    }
    let (dir, meta, data, header) = match subset {
        Subset::S4 => (
            "avsbench/Single-source",
            "s4_meta_data.csv",
            "s4_data",
            "video_id,start_second,category,split",
        ),
        Subset::Ms3 => (
            "avsbench/Multi-sources",
            "ms3_meta_data.csv",
            "ms3_data",
            "video_id,split",
        ),
    };
    let root = ctx.path(dir);
    let masks = root.join(data).join("gt_masks");
    std::fs::create_dir_all(&masks).map_err(|e| Error::io(&masks, e))?;
    let mut out = Out::create(root.join(meta))?;
    out.fmt(format_args!("{header}\n"))?;
    let items = train + test + val;
    let k = per_kind(items, 3);
    let mut sprinkle = Sprinkle::new(
        rng,
        items,
        &[(Defect::Empty, k), (Defect::NoMasks, k), (Defect::Duplicate, k)],
    );
    // Splits in a shuffled order of the videos: each video draws from what is left.
    let mut left = [train, test, val];
    let mut rows = 0;
    // The last train or test row: a repeated `val` row would be skipped, not rejected.
    let mut last_used = String::new();
    for i in 0..items {
        let total: u64 = left.iter().sum();
        let mut r = rng.gen_range(0..total);
        let mut s = 0;
        while r >= left[s] {
            r -= left[s];
            s += 1;
        }
        if i == 0 && s == 2 {
            s = if left[0] > 0 { 0 } else { 1 };
        }
        left[s] -= 1;
        let split = ["train", "test", "val"][s];
        let row = write_video(rng, &mut out, &masks, subset, split, VideoKind::Valid)?;
        if split != "val" {
            last_used = row;
        }
        rows += 1;
        for defect in sprinkle.after_item(rng) {
            rows += 1;
            let split = if rng.gen_bool(0.5) { "train" } else { "test" };
            let reason = match defect {
                Defect::Empty => {
                    write_video(rng, &mut out, &masks, subset, split, VideoKind::AllEmpty)?;
                    "empty_mask"
                }
                Defect::NoMasks => {
                    write_video(rng, &mut out, &masks, subset, split, VideoKind::NoMasks)?;
                    "missing_media"
                }
                Defect::Duplicate => {
                    out.put(&last_used)?;
                    "duplicate_row"
                }
            };
            *defects.entry(reason).or_default() += 1;
        }
    }
    out.finish()?;
    Ok(rows)
}

#[derive(Clone, Copy, PartialEq)]
enum VideoKind {
    Valid,
    AllEmpty,
    NoMasks,
}

/// Writes one video's metadata row and masks; returns the row (with its newline).
fn write_video(
    rng: &mut ChaCha8Rng,
    out: &mut Out,
    masks: &Path,
    subset: Subset,
    split: &str,
    kind: VideoKind,
) -> Result<String> {
    let (row, dir, video) = match subset {
        Subset::S4 => {
            let video = youtube_id(rng);
            let category = *pick(rng, AVSBENCH_CATEGORIES);
            let start = rng.gen_range(0..120);
            (
                format!("{video},{start},{category},{split}\n"),
                masks.join(split).join(category).join(&video),
                video,
            )
        }
        Subset::Ms3 => {
            let video = format!("{}_{}", youtube_id(rng), rng.gen_range(1..=5));
            (format!("{video},{split}\n"), masks.join(split).join(&video), video)
        }
    };
    out.put(&row)?;
    if kind == VideoKind::NoMasks {
        return Ok(row);
    }
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let frames = if subset == Subset::S4 && split == "train" { 1 } else { 5 };
    let value = if rng.gen_range(0..20) == 0 { 1 } else { 255 };
    let first_empty = frames > 1 && rng.gen_range(0..10) == 0;
    for k in 1..=frames {
        let mut mask = GrayImage::new(224, 224);
        let empty = kind == VideoKind::AllEmpty || (first_empty && k == 1);
        if !empty {
            let blobs = if subset == Subset::Ms3 { rng.gen_range(1..=3) } else { 1 };
            // Blobs in separate vertical bands (never touching), each well over 0.5% of the mask.
            for b in 0..blobs {
                let band = 224 / blobs;
                let x0 = b * band + rng.gen_range(2..band / 4);
                let x1 = (b + 1) * band - rng.gen_range(3..band / 4);
                let y0 = rng.gen_range(0..120);
                let y1 = rng.gen_range(y0 + 40..224);
                fill_ellipse(&mut mask, (x0, y0, x1, y1), value);
            }
            if subset == Subset::Ms3 && rng.gen_range(0..4) == 0 {
                // A speck below the 0.5% threshold, away from the blobs' bands' edges.
                let (x, y) = (rng.gen_range(0..220), rng.gen_range(0..220));
                for dy in 0..2 {
                    for dx in 0..2 {
                        mask.put_pixel(x + dx, y + dy, Luma([value]));
                    }
                }
            }
        }
        let path = dir.join(format!("{video}_{k}.png"));
        mask.save(&path)
            .map_err(|e| Error::io(&path, std::io::Error::other(e)))?;
    }
    Ok(row)
}

/// Fills the ellipse inscribed in the inclusive pixel rectangle `(x0, y0, x1, y1)`.
fn fill_ellipse(mask: &mut GrayImage, (x0, y0, x1, y1): (u32, u32, u32, u32), value: u8) {
    let (cx, cy) = ((x0 + x1) as f64 / 2.0, (y0 + y1) as f64 / 2.0);
    let (rx, ry) = ((x1 - x0) as f64 / 2.0 + 0.5, (y1 - y0) as f64 / 2.0 + 0.5);
    for y in y0..=y1 {
        for x in x0..=x1 {
            let (dx, dy) = ((x as f64 - cx) / rx, (y as f64 - cy) / ry);
            if dx * dx + dy * dy <= 1.0 {
                mask.put_pixel(x, y, Luma([value]));
            }
        }
    }
}

/// PASCAL VOC classes that make sounds (the labels of PASCAL Sound rows).
const VOC_SOUNDING: &[&str] = &[
    "aeroplane",
    "bird",
    "boat",
    "bus",
    "car",
    "cat",
    "cow",
    "dog",
    "horse",
    "motorbike",
    "person",
    "sheep",
    "train",
];
/// PASCAL VOC classes that stay silent (other objects in the images).
const VOC_SILENT: &[&str] = &[
    "bottle",
    "chair",
    "diningtable",
    "pottedplant",
    "sofa",
    "tvmonitor",
    "bicycle",
];

/// One VOC object: name and 1-based inclusive pixel box (possibly fractional).
struct VocObject {
    name: &'static str,
    bndbox: [f64; 4],
    parts: bool,
}

/// PASCAL Sound (FORMATS.md "PASCAL VOC"): `Annotations/<id>.xml` (VOC2012 ids `2009_001234`,
/// `<size>`, 1–4 objects, `<part>` boxes on some persons, a few fractional coordinates) and the
/// pairing list `pascal_sound.csv` (`image_id,audio,label`; audio a VGGSound clip id or a file
/// name). Defects: a row whose id has no XML (`missing_annotation`), a label absent from the
/// image (`no_matching_object`), the label's only box past the image (`no_valid_box`), a
/// repeated row (`duplicate_row`).
pub(super) fn pascal_sound(ctx: &Ctx) -> Result<Entry> {
    #[derive(Clone, Copy)]
    enum Defect {
        NoXml,
        NoObject,
        BadBox,
        Duplicate,
    }
    let mut rng = ctx.rng(3);
    let n = ctx.target(560.0);
    let k = per_kind(n, 4);
    let mut sprinkle = Sprinkle::new(
        &mut rng,
        n,
        &[
            (Defect::NoXml, k),
            (Defect::NoObject, k),
            (Defect::BadBox, k),
            (Defect::Duplicate, k),
        ],
    );
    let dir = ctx.path("pascal_sound");
    let mut csv = Out::create(dir.join("pascal_sound.csv"))?;
    csv.put("image_id,audio,label\n")?;
    let mut next_id = 0u32;
    let mut new_id = |rng: &mut ChaCha8Rng| {
        next_id += rng.gen_range(1..40);
        format!("{}_{:06}", 2008 + next_id / 250_000, next_id % 250_000)
    };
    let mut defects = BTreeMap::new();
    let (mut rows, mut units) = (0u64, 0u64);
    while rows < n {
        let id = new_id(&mut rng);
        let (w, h) = *pick(
            &mut rng,
            &[(500.0, 375.0), (375.0, 500.0), (500.0, 333.0), (500.0, 400.0)],
        );
        let mut objects = Vec::new();
        let sounding = *pick(&mut rng, VOC_SOUNDING);
        for _ in 0..rng.gen_range(1..=2) {
            objects.push(voc_object(&mut rng, sounding, w, h));
        }
        for _ in 0..rng.gen_range(0..=2) {
            let name = if rng.gen_bool(0.5) {
                *pick(&mut rng, VOC_SILENT)
            } else {
                *pick(&mut rng, VOC_SOUNDING)
            };
            objects.push(voc_object(&mut rng, name, w, h));
        }
        write_voc(&dir, &id, (w, h), &objects)?;
        let mut labels: Vec<&str> = vec![sounding];
        if let Some(o) = objects
            .iter()
            .find(|o| o.name != sounding && VOC_SOUNDING.contains(&o.name))
        {
            if rows + 1 < n && rng.gen_bool(0.3) {
                labels.push(o.name);
            }
        }
        for label in labels {
            let row = format!("{id},{},{label}\n", voc_audio(&mut rng, label));
            csv.put(&row)?;
            rows += 1;
            units += 1;
            for defect in sprinkle.after_item(&mut rng) {
                units += 1;
                let reason = match defect {
                    Defect::Duplicate => {
                        csv.put(&row)?;
                        "duplicate_row"
                    }
                    Defect::NoXml => {
                        let missing = new_id(&mut rng);
                        csv.fmt(format_args!("{missing},{},dog\n", voc_audio(&mut rng, "dog")))?;
                        "missing_annotation"
                    }
                    Defect::NoObject => {
                        let other = new_id(&mut rng);
                        write_voc(&dir, &other, (w, h), &[voc_object(&mut rng, "chair", w, h)])?;
                        csv.fmt(format_args!("{other},{},cat\n", voc_audio(&mut rng, "cat")))?;
                        "no_matching_object"
                    }
                    Defect::BadBox => {
                        let other = new_id(&mut rng);
                        let past = VocObject {
                            name: "horse",
                            bndbox: [120.0, 40.0, w + 60.0, 300.0],
                            parts: false,
                        };
                        write_voc(&dir, &other, (w, h), &[past])?;
                        csv.fmt(format_args!("{other},{},horse\n", voc_audio(&mut rng, "horse")))?;
                        "no_valid_box"
                    }
                };
                *defects.entry(reason).or_default() += 1;
            }
        }
    }
    csv.finish()?;
    Ok(Entry {
        summary: SourceSummary {
            name: "pascal_sound",
            units,
            defects,
            expected: expected(&[("test/arig", n)]),
        },
        inputs: vec!["pascal_sound".into()],
        test_fraction: None,
        comment: "PASCAL Sound: VOC boxes paired with sounds, zero-shot ARIG, test",
    })
}

fn voc_object(rng: &mut ChaCha8Rng, name: &'static str, w: f64, h: f64) -> VocObject {
    let (x0, x1) = span(rng, w as u32);
    let (y0, y1) = span(rng, h as u32);
    let mut bndbox = [x0 as f64 + 1.0, y0 as f64 + 1.0, x1 as f64, y1 as f64];
    if rng.gen_range(0..25) == 0 {
        bndbox[0] += 0.5; // VOC2012 has fractional coordinates
        bndbox[2] -= 0.3;
    }
    VocObject {
        name,
        bndbox,
        parts: name == "person" && rng.gen_bool(0.4),
    }
}

/// The `audio` column: a VGGSound clip id (most rows) or a sound file name.
fn voc_audio(rng: &mut ChaCha8Rng, label: &str) -> String {
    if rng.gen_range(0..10) < 7 {
        format!("{}_{:06}", youtube_id(rng), rng.gen_range(0..60) * 10)
    } else {
        format!("{label}_{:04}.wav", rng.gen_range(0..10_000))
    }
}

fn write_voc(dir: &Path, id: &str, (w, h): (f64, f64), objects: &[VocObject]) -> Result<()> {
    let mut out = Out::create(dir.join("Annotations").join(format!("{id}.xml")))?;
    out.fmt(format_args!(
        "<annotation>\n\t<folder>VOC2012</folder>\n\t<filename>{id}.jpg</filename>\n\t<source>\n\t\t<database>The VOC2008 Database</database>\n\t\t<annotation>PASCAL VOC2008</annotation>\n\t\t<image>flickr</image>\n\t</source>\n\t<size>\n\t\t<width>{w}</width>\n\t\t<height>{h}</height>\n\t\t<depth>3</depth>\n\t</size>\n\t<segmented>0</segmented>\n"
    ))?;
    for o in objects {
        let [x0, y0, x1, y1] = o.bndbox;
        out.fmt(format_args!(
            "\t<object>\n\t\t<name>{}</name>\n\t\t<pose>Unspecified</pose>\n\t\t<truncated>0</truncated>\n\t\t<difficult>0</difficult>\n\t\t<bndbox>\n\t\t\t<xmin>{x0}</xmin>\n\t\t\t<ymin>{y0}</ymin>\n\t\t\t<xmax>{x1}</xmax>\n\t\t\t<ymax>{y1}</ymax>\n\t\t</bndbox>\n",
            o.name
        ))?;
        if o.parts {
            let hx = (x0 + x1) / 2.0;
            out.fmt(format_args!(
                "\t\t<part>\n\t\t\t<name>head</name>\n\t\t\t<bndbox>\n\t\t\t\t<xmin>{}</xmin>\n\t\t\t\t<ymin>{y0}</ymin>\n\t\t\t\t<xmax>{}</xmax>\n\t\t\t\t<ymax>{}</ymax>\n\t\t\t</bndbox>\n\t\t</part>\n",
                (hx - 10.0).max(x0).floor(),
                (hx + 10.0).min(x1).floor(),
                (y0 + 20.0).min(y1).floor()
            ))?;
        }
        out.put("\t</object>\n")?;
    }
    out.put("</annotation>\n")?;
    out.finish()
}

/// Flickr-SoundNet (FORMATS.md "Flickr-SoundNet"): `Annotations/<flickr_id>.xml` with 1–3
/// annotators' `<bbox>` on the 256×256 frame (mostly `xmin`/`ymin`/`xmax`/`ymax` tags, some with
/// other tags read by position) and `test_list.txt` (`<id>.png`) listing the ids to use; about 8%
/// more XMLs are unlisted (skipped). Defects (listed, `no_valid_box`): every box past the frame,
/// every box of zero width, no `<bbox>` at all. Some valid XMLs carry one bad box besides good ones.
pub(super) fn flickr_soundnet(ctx: &Ctx) -> Result<Entry> {
    #[derive(Clone, Copy)]
    enum Defect {
        Outside,
        ZeroWidth,
        NoBbox,
    }
    let mut rng = ctx.rng(4);
    let n = ctx.target(2780.0);
    let extra = ctx.size(2780.0 * 0.08, 1);
    let k = per_kind(n, 3);
    let mut sprinkle = Sprinkle::new(
        &mut rng,
        n + extra,
        &[(Defect::Outside, k), (Defect::ZeroWidth, k), (Defect::NoBbox, k)],
    );
    let dir = ctx.path("flickr_soundnet");
    let mut list = Out::create(dir.join("test_list.txt"))?;
    let mut next_id: u64 = 2_000_000_000;
    let mut new_id = |rng: &mut ChaCha8Rng| {
        next_id += rng.gen_range(1..2_000_000);
        next_id.to_string()
    };
    let mut defects = BTreeMap::new();
    let mut units = 0;
    // Listed and unlisted XMLs interleaved.
    let (mut listed_left, mut unlisted_left) = (n, extra);
    while listed_left + unlisted_left > 0 {
        let listed = rng.gen_range(0..listed_left + unlisted_left) < listed_left;
        if listed {
            listed_left -= 1;
        } else {
            unlisted_left -= 1;
        }
        let id = new_id(&mut rng);
        let annotators = rng.gen_range(1..=3);
        let mut boxes: Vec<[u32; 4]> = (0..annotators)
            .map(|_| {
                let (x0, x1) = span(&mut rng, 256);
                let (y0, y1) = span(&mut rng, 256);
                [x0, y0, x1, y1]
            })
            .collect();
        if annotators > 1 && rng.gen_range(0..100) == 0 {
            boxes[0][2] = boxes[0][0]; // one annotator's box is degenerate: dropped, record kept
        }
        write_flickr(&dir, &id, &boxes, rng.gen_range(0..7) == 0)?;
        units += 1;
        if listed {
            list.fmt(format_args!("{id}.png\n"))?;
        }
        for defect in sprinkle.after_item(&mut rng) {
            let id = new_id(&mut rng);
            let boxes: Vec<[u32; 4]> = match defect {
                Defect::Outside => vec![[40, 30, 300, 200], [10, 270, 120, 290]],
                Defect::ZeroWidth => vec![[64, 20, 64, 200]],
                Defect::NoBbox => vec![],
            };
            write_flickr(&dir, &id, &boxes, false)?;
            list.fmt(format_args!("{id}.png\n"))?;
            units += 1;
            *defects.entry("no_valid_box").or_default() += 1;
        }
    }
    list.finish()?;
    Ok(Entry {
        summary: SourceSummary {
            name: "flickr_soundnet",
            units,
            defects,
            expected: expected(&[("test/arig", n)]),
        },
        inputs: vec!["flickr_soundnet".into()],
        test_fraction: None,
        comment: "Flickr-SoundNet: annotators' boxes, zero-shot ARIG, test (test_list.txt restricts)",
    })
}

fn write_flickr(dir: &Path, id: &str, boxes: &[[u32; 4]], by_position: bool) -> Result<()> {
    let mut out = Out::create(dir.join("Annotations").join(format!("{id}.xml")))?;
    out.fmt(format_args!(
        "<annotation>\n\t<filename>{id}.jpg</filename>\n\t<object>\n"
    ))?;
    for (i, [x0, y0, x1, y1]) in boxes.iter().enumerate() {
        let a = i + 1;
        if by_position {
            out.fmt(format_args!(
                "\t\t<bbox>\n\t\t\t<annotator>{a}</annotator>\n\t\t\t<x1>{x0}</x1>\n\t\t\t<y1>{y0}</y1>\n\t\t\t<x2>{x1}</x2>\n\t\t\t<y2>{y1}</y2>\n\t\t</bbox>\n"
            ))?;
        } else {
            out.fmt(format_args!(
                "\t\t<bbox>\n\t\t\t<annotator>{a}</annotator>\n\t\t\t<xmin>{x0}</xmin>\n\t\t\t<ymin>{y0}</ymin>\n\t\t\t<xmax>{x1}</xmax>\n\t\t\t<ymax>{y1}</ymax>\n\t\t</bbox>\n"
            ))?;
        }
    }
    out.put("\t</object>\n</annotation>\n")?;
    out.finish()
}
