//! Synthetic inputs of the curated rows: the Open Images side (three bbox files with disjoint,
//! sorted image ids, the class descriptions, human-verified image labels) and the audio sides
//! (AudioSet `*_segments.csv`, `vggsound.csv`, AudioSet Strong TSV), all labelled from the class
//! map so that pairs form.

use super::{expected, per_kind, pick, youtube_id, Ctx, Entry, Out, SourceSummary, Sprinkle};
use crate::curate::classes::{AudioVocabulary, ClassId, ClassMap};
use crate::curate::split_of;
use crate::error::Result;
use crate::record::Split;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

/// Open Images classes outside the class map (boxes of them are skipped `class_not_in_map`).
const OI_UNMAPPED: &[(&str, &str)] = &[
    ("/m/01g317", "Person"),
    ("/m/07j7r", "Tree"),
    ("/m/0cgh4", "Building"),
    ("/m/04bcr3", "Table"),
    ("/m/01mzpv", "Chair"),
    ("/m/0c9ph5", "Flower"),
    ("/m/09j2d", "Clothing"),
    ("/m/0dzct", "Human face"),
    ("/m/083wq", "Wheel"),
    ("/m/02wbm", "Food"),
    ("/m/09j5n", "Footwear"),
    ("/m/01bqvp", "Sky"),
];
/// AudioSet MIDs outside the class map (Speech, Music, Silence, Walk/footsteps, White noise).
const AUDIO_UNMAPPED: &[&str] = &["/m/09x0r", "/m/04rlf", "/m/028v0c", "/m/07pbtc8", "/m/0chx_"];
/// VGGSound labels outside the class map.
const VGGSOUND_UNMAPPED: &[&str] = &[
    "people marching",
    "people sniggering",
    "wind noise",
    "male speech, man speaking",
    "female singing",
];

/// The three curated rows, in manifest order: `openimages_audioset` (train bbox file),
/// `openimages_audioset_strong` (test bbox file), `openimages_vggsound` (validation bbox file).
/// The rows have test fractions 0.214, 0.2 and 0: image and clip ids are chosen so that every
/// row that could see one puts it in the same split (the train-only row last, with ids that are
/// train at every fraction), so no row loses images or clips to another's split.
///
/// Sizes: the paper's groups times the scale (ARIG train 1.07M over a 0.214 test fraction,
/// 180K, 120.6K IGATL); AVFC is kept near the paper's 1.5M by making two-class images rare (type-4
/// negatives) and by a human-verified image-label file with few verified-absent labels (type-2
/// negatives).
pub(super) fn curated(ctx: &Ctx, classes: &ClassMap) -> Result<Vec<Entry>> {
    write_class_descriptions(ctx, classes)?;
    let with = |vocab: fn(&crate::curate::classes::ClassEntry) -> bool| -> Vec<ClassId> {
        (0..classes.classes.len() as ClassId)
            .filter(|c| vocab(&classes.classes[*c as usize]))
            .collect()
    };
    let audioset_classes = with(|c| !c.audioset.is_empty());
    let vggsound_classes = with(|c| !c.vggsound.is_empty());
    let strong_classes = with(|c| !c.audioset_strong.is_empty());
    let descriptions = "openimages/class-descriptions-boxable.csv";
    let mut entries = Vec::new();

    // Openimages-AudioSet.
    let tf = 0.214;
    let groups = ctx.target(1_070_000.0 / (1.0 - tf));
    let spec = BoxFileSpec {
        file: "openimages/train-annotations-bbox.csv",
        tag: 0,
        stream: 10,
        groups,
        two_class: 0.02,
        xclick: true,
        labels_file: Some(("openimages/train-annotations-human-imagelabels-boxable.csv", 0.08)),
        image_ok: |_| true,
    };
    let mut summary = write_boxes(ctx, classes, &audioset_classes, &spec)?;
    let audio = write_audioset(ctx, classes, &audioset_classes, tf)?;
    merge(&mut summary, audio);
    summary.name = "openimages_audioset";
    summary.expected = expected(&[
        ("train/arig", ctx.target(1_070_000.0)),
        ("train/avfc", ctx.target(1_180_000.0)),
        ("test/avfc", ctx.target(321_000.0)),
    ]);
    entries.push(Entry {
        summary,
        inputs: vec![
            spec.file.into(),
            descriptions.into(),
            spec.labels_file.map(|l| l.0).unwrap_or_default().into(),
            "audioset/unbalanced_train_segments.csv".into(),
        ],
        test_fraction: Some(tf),
        comment: "Openimages-AudioSet: ARIG and AVFC types 1, 2, 4 (approximate expected counts)",
    });

    // Openimages-AudioSet Strong.
    let tf = 0.2;
    let spec = BoxFileSpec {
        file: "openimages/test-annotations-bbox.csv",
        tag: 2,
        stream: 12,
        groups: ctx.target(96_500.0 + 24_100.0),
        two_class: 0.08,
        xclick: false,
        labels_file: None,
        image_ok: |id| split_of(id, 0.2) == split_of(id, ALL_TRAIN),
    };
    let mut summary = write_boxes(ctx, classes, &strong_classes, &spec)?;
    merge(&mut summary, write_strong(ctx, classes, &strong_classes, tf)?);
    summary.name = "openimages_audioset_strong";
    summary.expected = expected(&[
        ("train/igatl", ctx.target(96_500.0)),
        ("test/igatl", ctx.target(24_100.0)),
    ]);
    entries.push(Entry {
        summary,
        inputs: vec![
            spec.file.into(),
            descriptions.into(),
            "audioset_strong/audioset_train_strong.tsv".into(),
        ],
        test_fraction: Some(tf),
        comment: "Openimages-AudioSet Strong: IGATL and AVFC type 3 (approximate expected counts)",
    });
    // Openimages-VGGSound.
    let spec = BoxFileSpec {
        file: "openimages/validation-annotations-bbox.csv",
        tag: 1,
        stream: 11,
        groups: ctx.target(180_000.0),
        two_class: 0.08,
        xclick: false,
        labels_file: None,
        image_ok: |id| split_of(id, ALL_TRAIN) == Split::Train,
    };
    let mut summary = write_boxes(ctx, classes, &vggsound_classes, &spec)?;
    merge(&mut summary, write_vggsound(ctx, classes, &vggsound_classes)?);
    summary.name = "openimages_vggsound";
    summary.expected = expected(&[("train/arig", ctx.target(180_000.0))]);
    entries.push(Entry {
        summary,
        inputs: vec![spec.file.into(), descriptions.into(), "vggsound/vggsound.csv".into()],
        test_fraction: Some(0.0),
        comment: "Openimages-VGGSound: ARIG, train only (approximate expected counts)",
    });

    Ok(entries)
}

fn merge(into: &mut SourceSummary, other: SourceSummary) {
    into.units += other.units;
    for (k, v) in other.defects {
        *into.defects.entry(k).or_default() += v;
    }
}

/// `class-descriptions-boxable.csv`: `MID,DisplayName`, no header, sorted by MID: every mapped
/// class and some unmapped ones.
fn write_class_descriptions(ctx: &Ctx, classes: &ClassMap) -> Result<()> {
    let mut rows: Vec<(String, String)> = classes
        .classes
        .iter()
        .map(|c| (c.openimages.clone(), c.name.clone()))
        .collect();
    for (mid, name) in OI_UNMAPPED {
        if classes.of_openimages(mid).is_none() {
            rows.push((mid.to_string(), name.to_string()));
        }
    }
    rows.sort();
    let mut out = Out::create(ctx.path("openimages/class-descriptions-boxable.csv"))?;
    for (mid, name) in rows {
        let name = if name.contains(',') {
            format!("\"{name}\"")
        } else {
            name
        };
        out.fmt(format_args!("{mid},{name}\n"))?;
    }
    out.finish()
}

/// One Open Images bbox file to write.
struct BoxFileSpec {
    /// Path under the output directory.
    file: &'static str,
    /// Low two bits of every image id: keeps the three files' ids disjoint.
    tag: u64,
    /// RNG stream.
    stream: u64,
    /// (image, mapped class) groups to write.
    groups: u64,
    /// Fraction of images with two mapped classes (in separate halves, so AVFC type-4 negatives
    /// exist for them).
    two_class: f64,
    /// Append the V6 train file's eight `XClick*` columns.
    xclick: bool,
    /// A human-verified image-label file and the fraction of images it covers.
    labels_file: Option<(&'static str, f64)>,
    /// Which image ids to use: rows with different test fractions agree on their splits.
    image_ok: fn(&str) -> bool,
}

/// Writes a bbox file (`ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,
/// IsTruncated,IsGroupOf,IsDepiction,IsInside`, 6 decimals, sorted by ImageID) holding exactly
/// `spec.groups` valid (image, mapped class) groups of 1–5 boxes, unmapped boxes, depiction boxes
/// and `1.0000000000000002` values, and defect rows of mapped classes: out of range
/// (`box_out_of_range`), zero width (`degenerate_box`), reversed y (`reversed_box`), too few fields
/// (`missing_field`).
fn write_boxes(ctx: &Ctx, classes: &ClassMap, pool: &[ClassId], spec: &BoxFileSpec) -> Result<SourceSummary> {
    #[derive(Clone, Copy)]
    enum Defect {
        OutOfRange,
        Degenerate,
        Reversed,
        Short,
    }
    let mut rng = ctx.rng(spec.stream);
    let images = ((spec.groups as f64 / (1.0 + spec.two_class)).round() as u64).clamp(1, spec.groups);
    let mut two_left = spec.groups - images;
    let k = per_kind(spec.groups * 2, 4);
    let mut sprinkle = Sprinkle::new(
        &mut rng,
        images,
        &[
            (Defect::OutOfRange, k),
            (Defect::Degenerate, k),
            (Defect::Reversed, k),
            (Defect::Short, k),
        ],
    );
    let unmapped: Vec<&str> = OI_UNMAPPED
        .iter()
        .map(|(m, _)| *m)
        .filter(|m| classes.of_openimages(m).is_none())
        .collect();
    let mut out = Out::create(ctx.path(spec.file))?;
    out.put(
        "ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside",
    )?;
    out.put(if spec.xclick {
        ",XClick1X,XClick2X,XClick3X,XClick4X,XClick1Y,XClick2Y,XClick3Y,XClick4Y\n"
    } else {
        "\n"
    })?;
    let mut labels = match spec.labels_file {
        Some((file, _)) => {
            let mut o = Out::create(ctx.path(file))?;
            o.put("ImageID,Source,LabelName,Confidence\n")?;
            Some(o)
        }
        None => None,
    };
    let stride = u64::MAX / images;
    let mut summary = SourceSummary::default();
    let mut defects = BTreeMap::new();
    let mut row = String::with_capacity(256);
    for i in 0..images {
        let id = loop {
            let id = format!(
                "{:016x}",
                (i * stride + rng.gen_range(4..stride.max(8) - 4)) & !3 | spec.tag
            );
            if (spec.image_ok)(&id) {
                break id;
            }
        };
        let images_left = images - i;
        let two = two_left > 0 && rng.gen_range(0..images_left) < two_left;
        if two {
            two_left -= 1;
        }
        let first = *pick(&mut rng, pool);
        let mut present = vec![first];
        if two {
            loop {
                let c = *pick(&mut rng, pool);
                if c != first {
                    present.push(c);
                    break;
                }
            }
        }
        for (slot, c) in present.iter().enumerate() {
            let mid = &classes.classes[*c as usize].openimages;
            let (lo, hi) = match (two, slot) {
                (false, _) => (0, 1_000_000),
                (true, 0) => (0, 450_000),
                (true, _) => (550_000, 1_000_000),
            };
            let boxes = match rng.gen_range(0..10) {
                0..7 => 1,
                7..9 => 2,
                _ => rng.gen_range(3..=5),
            };
            for _ in 0..boxes {
                box_row(&mut rng, &mut row, &id, mid, (lo, hi), false, spec.xclick);
                out.put(&row)?;
                summary.units += 1;
            }
            if rng.gen_range(0..100) == 0 {
                box_row(&mut rng, &mut row, &id, mid, (lo, hi), true, spec.xclick);
                out.put(&row)?;
                summary.units += 1;
            }
        }
        for _ in 0..rng.gen_range(0..=2) {
            let mid = *pick(&mut rng, &unmapped);
            box_row(&mut rng, &mut row, &id, mid, (0, 1_000_000), false, spec.xclick);
            out.put(&row)?;
            summary.units += 1;
        }
        if let (Some(o), Some((_, fraction))) = (labels.as_mut(), spec.labels_file) {
            if rng.gen_bool(fraction) {
                for c in &present {
                    o.fmt(format_args!(
                        "{id},verification,{},1\n",
                        classes.classes[*c as usize].openimages
                    ))?;
                }
                let absent = *pick(&mut rng, pool);
                if !present.contains(&absent) {
                    o.fmt(format_args!(
                        "{id},verification,{},0\n",
                        classes.classes[absent as usize].openimages
                    ))?;
                }
                o.fmt(format_args!("{id},verification,{},1\n", pick(&mut rng, &unmapped)))?;
            }
        }
        for defect in sprinkle.after_item(&mut rng) {
            let mid = &classes.classes[first as usize].openimages;
            let (text, reason) = match defect {
                Defect::OutOfRange => (
                    format!("{id},xclick,{mid},1,0.250000,1.250000,0.100000,0.600000,0,0,0,0,0"),
                    "box_out_of_range",
                ),
                Defect::Degenerate => (
                    format!("{id},xclick,{mid},1,0.400000,0.400000,0.100000,0.600000,0,0,0,0,0"),
                    "degenerate_box",
                ),
                Defect::Reversed => (
                    format!("{id},xclick,{mid},1,0.100000,0.500000,0.800000,0.300000,0,0,0,0,0"),
                    "reversed_box",
                ),
                Defect::Short => (format!("{id},xclick,{mid},1,0.100000"), "missing_field"),
            };
            let pad = if spec.xclick && reason != "missing_field" {
                ",-1,-1,-1,-1,-1,-1,-1,-1"
            } else {
                ""
            };
            out.fmt(format_args!("{text}{pad}\n"))?;
            summary.units += 1;
            *defects.entry(reason).or_default() += 1;
        }
    }
    out.finish()?;
    if let Some(o) = labels {
        o.finish()?;
    }
    summary.defects = defects;
    Ok(summary)
}

/// Formats one bbox row into `row`: a box inside x ∈ [lo, hi] (millionths), 6 decimals, a few
/// XMax written as `1.0000000000000002` (clamped by the reader). Coordinates are drawn as whole
/// millionths and printed with integer formatting, which is several times faster than `{:.6}`.
fn box_row(
    rng: &mut ChaCha8Rng,
    row: &mut String,
    id: &str,
    mid: &str,
    (lo, hi): (u32, u32),
    depiction: bool,
    xclick: bool,
) {
    use std::fmt::Write;
    let w = rng.gen_range(50_000..hi - lo - 10_000);
    let x0 = rng.gen_range(lo..hi - w);
    let h = rng.gen_range(50_000..1_000_000);
    let y0 = rng.gen_range(0..1_000_000 - h);
    let (x1, y1) = (x0 + w, y0 + h);
    let activemil = rng.gen_range(0..10) == 0;
    let source = if activemil { "activemil" } else { "xclick" };
    let odd_x1 = hi == 1_000_000 && rng.gen_range(0..1000) == 0;
    let flag = |rng: &mut ChaCha8Rng, p: u32| u8::from(rng.gen_range(0..100) < p);
    let micro = |row: &mut String, v: u32| {
        let _ = write!(row, ",{}.{:06}", v / 1_000_000, v % 1_000_000);
    };
    row.clear();
    let _ = write!(row, "{id},{source},{mid},1");
    micro(row, x0);
    if odd_x1 {
        row.push_str(",1.0000000000000002");
    } else {
        micro(row, x1);
    }
    micro(row, y0);
    micro(row, y1);
    let _ = write!(
        row,
        ",{},{},{},{},0",
        flag(rng, 30),
        flag(rng, 25),
        flag(rng, 5),
        u8::from(depiction)
    );
    if xclick {
        if activemil {
            row.push_str(",-1,-1,-1,-1,-1,-1,-1,-1");
        } else {
            let xm = rng.gen_range(x0..x1);
            let ym = rng.gen_range(y0..y1);
            for v in [x0, xm, x1, xm, ym, y0, ym, y1] {
                micro(row, v);
            }
        }
    }
    row.push('\n');
}

/// A YouTube id for which `ok` holds (a hashed split wanted).
fn id_where(rng: &mut ChaCha8Rng, ok: impl Fn(&str) -> bool) -> String {
    loop {
        let id = youtube_id(rng);
        if ok(&id) {
            return id;
        }
    }
}

/// The largest test fraction of the curated rows: an id hashed at or above it is train in every
/// row, so no row's split rule can reserve it against another.
const ALL_TRAIN: f64 = 0.214;

/// Clips per class and split: `base` at scale 1 split by the test fraction, at least 3 train
/// and 2 test (when the fraction is not 0).
fn quotas(ctx: &Ctx, base: f64, test_fraction: f64) -> [(Split, u64); 2] {
    let test = if test_fraction > 0.0 {
        ctx.size(base * test_fraction, 2)
    } else {
        0
    };
    [
        (Split::Train, ctx.size(base * (1.0 - test_fraction), 3)),
        (Split::Test, test),
    ]
}

/// AudioSet `unbalanced_train_segments.csv`: three `#` lines, then `YTID, start, end, "MIDs"`
/// sorted by YTID. About 300 clips per class at scale 1 (ids chosen so that each class has clips
/// in both hashed splits), some with extra unmapped or mapped labels, some with unmapped labels
/// only. Defects: a 12-character id (`bad_clip_id`), `nan` times (`malformed_field`), a
/// repeated clip (`duplicate_row`), two fields only (`missing_field`).
fn write_audioset(ctx: &Ctx, classes: &ClassMap, pool: &[ClassId], tf: f64) -> Result<SourceSummary> {
    #[derive(Clone, Copy)]
    enum Defect {
        BadId,
        BadTimes,
        Duplicate,
        Short,
    }
    let mut rng = ctx.rng(20);
    let unmapped: Vec<&str> = AUDIO_UNMAPPED
        .iter()
        .copied()
        .filter(|m| classes.of_audio(AudioVocabulary::AudioSet, m).is_none())
        .collect();
    let mut clips: Vec<(String, u32, String, bool)> = Vec::new();
    for &c in pool {
        let mids = &classes.classes[c as usize].audioset;
        for (split, n) in quotas(ctx, 300.0, tf) {
            for _ in 0..n {
                let id = id_where(&mut rng, |id| split_of(id, tf) == split);
                let mut labels = vec![pick(&mut rng, mids).clone()];
                if rng.gen_range(0..30) == 0 {
                    let other = *pick(&mut rng, pool);
                    if other != c {
                        labels.push(pick(&mut rng, &classes.classes[other as usize].audioset).clone());
                    }
                }
                if rng.gen_range(0..10) < 3 {
                    labels.push(pick(&mut rng, &unmapped).to_string());
                }
                clips.push((id, rng.gen_range(0..30) * 10, labels.join(","), true));
            }
        }
    }
    for _ in 0..clips.len() / 20 + 1 {
        let id = youtube_id(&mut rng);
        clips.push((
            id,
            rng.gen_range(0..30) * 10,
            pick(&mut rng, &unmapped).to_string(),
            false,
        ));
    }
    clips.sort();
    let k = per_kind(clips.len() as u64, 4);
    let mut sprinkle = Sprinkle::new(
        &mut rng,
        clips.len() as u64,
        &[
            (Defect::BadId, k),
            (Defect::BadTimes, k),
            (Defect::Duplicate, k),
            (Defect::Short, k),
        ],
    );
    let labels_total: usize = clips.iter().map(|c| c.2.split(',').count()).sum();
    let mut out = Out::create(ctx.path("audioset/unbalanced_train_segments.csv"))?;
    out.fmt(format_args!(
        "# Segments csv created Sun Mar  5 10:54:25 2017\n# num_ytids={}, num_segs={}, num_unique_labels={}, num_positive_labels={labels_total}\n# YTID, start_seconds, end_seconds, positive_labels\n",
        clips.len(),
        clips.len(),
        classes.classes.len()
    ))?;
    let mut summary = SourceSummary::default();
    let mut last_mapped = String::new();
    for (id, start, labels, mapped) in &clips {
        let row = format!("{id}, {start}.000, {}.000, \"{labels}\"\n", start + 10);
        out.put(&row)?;
        summary.units += 1;
        if *mapped {
            last_mapped = row;
        }
        for defect in sprinkle.after_item(&mut rng) {
            let mid = &classes.classes[pool[0] as usize].audioset[0];
            let (text, reason) = match defect {
                Defect::BadId => (
                    format!("{}X, 30.000, 40.000, \"{mid}\"\n", youtube_id(&mut rng)),
                    "bad_clip_id",
                ),
                Defect::BadTimes => (
                    format!("{}, nan, nan, \"{mid}\"\n", youtube_id(&mut rng)),
                    "malformed_field",
                ),
                Defect::Duplicate if !last_mapped.is_empty() => (last_mapped.clone(), "duplicate_row"),
                Defect::Duplicate | Defect::Short => (format!("{}, 30.000\n", youtube_id(&mut rng)), "missing_field"),
            };
            out.put(&text)?;
            summary.units += 1;
            *summary.defects.entry(reason).or_default() += 1;
        }
    }
    out.finish()?;
    Ok(summary)
}

/// `vggsound.csv`: no header, `youtube_id,start_seconds,label,split` sorted by id, labels with
/// commas quoted; about 200 clips per mapped class at scale 1 and some unmapped labels. Defects: a
/// 12-character id (`bad_clip_id`), a fractional start (`malformed_field`), a repeated clip
/// (`duplicate_row`), two fields only (`missing_field`).
fn write_vggsound(ctx: &Ctx, classes: &ClassMap, pool: &[ClassId]) -> Result<SourceSummary> {
    #[derive(Clone, Copy)]
    enum Defect {
        BadId,
        BadStart,
        Duplicate,
        Short,
    }
    let mut rng = ctx.rng(21);
    fn quote(l: &str) -> String {
        if l.contains(',') {
            format!("\"{l}\"")
        } else {
            l.to_string()
        }
    }
    let mut clips: Vec<(String, u32, String, bool)> = Vec::new();
    for &c in pool {
        let labels = &classes.classes[c as usize].vggsound;
        for _ in 0..ctx.size(200.0, 3) {
            clips.push((
                youtube_id(&mut rng),
                rng.gen_range(0..30) * 10,
                quote(pick(&mut rng, labels).as_str()),
                true,
            ));
        }
    }
    let unmapped: Vec<&str> = VGGSOUND_UNMAPPED
        .iter()
        .copied()
        .filter(|l| classes.of_audio(AudioVocabulary::VggSound, l).is_none())
        .collect();
    for _ in 0..clips.len() / 20 + 1 {
        clips.push((
            youtube_id(&mut rng),
            rng.gen_range(0..30) * 10,
            quote(pick::<&str>(&mut rng, &unmapped)),
            false,
        ));
    }
    clips.sort();
    let k = per_kind(clips.len() as u64, 4);
    let mut sprinkle = Sprinkle::new(
        &mut rng,
        clips.len() as u64,
        &[
            (Defect::BadId, k),
            (Defect::BadStart, k),
            (Defect::Duplicate, k),
            (Defect::Short, k),
        ],
    );
    let mut out = Out::create(ctx.path("vggsound/vggsound.csv"))?;
    let mut summary = SourceSummary::default();
    let mut last_mapped = String::new();
    for (id, start, label, mapped) in &clips {
        let split = if rng.gen_range(0..10) == 0 { "test" } else { "train" };
        let row = format!("{id},{start},{label},{split}\n");
        out.put(&row)?;
        summary.units += 1;
        if *mapped {
            last_mapped = row;
        }
        for defect in sprinkle.after_item(&mut rng) {
            let label = quote(&classes.classes[pool[0] as usize].vggsound[0]);
            let (text, reason) = match defect {
                Defect::BadId => (format!("{}X,30,{label},train\n", youtube_id(&mut rng)), "bad_clip_id"),
                Defect::BadStart => (
                    format!("{},30.5,{label},train\n", youtube_id(&mut rng)),
                    "malformed_field",
                ),
                Defect::Duplicate if !last_mapped.is_empty() => (last_mapped.clone(), "duplicate_row"),
                Defect::Duplicate | Defect::Short => (format!("{},30\n", youtube_id(&mut rng)), "missing_field"),
            };
            out.put(&text)?;
            summary.units += 1;
            *summary.defects.entry(reason).or_default() += 1;
        }
    }
    out.finish()?;
    Ok(summary)
}

/// AudioSet Strong `audioset_train_strong.tsv`: TAB, header `segment_id start_time_seconds
/// end_time_seconds label`, events of each clip together, clips sorted by `segment_id`
/// (`<ytid>_<start ms>`), times with 3 decimals; about 100 clips per mapped class at scale 1, each
/// with 1–3 separate events of its class and some unmapped or other-class events. Defects (mapped
/// MIDs): a zero-length event (`zero_length_segment`), a reversed one (`reversed_segment`), one
/// past 10 s (`segment_out_of_range`), a 12-character id (`bad_clip_id`).
fn write_strong(ctx: &Ctx, classes: &ClassMap, pool: &[ClassId], tf: f64) -> Result<SourceSummary> {
    #[derive(Clone, Copy)]
    enum Defect {
        Zero,
        Reversed,
        Past,
        BadId,
    }
    let mut rng = ctx.rng(22);
    let unmapped: Vec<&str> = AUDIO_UNMAPPED
        .iter()
        .copied()
        .filter(|m| classes.of_audio(AudioVocabulary::AudioSetStrong, m).is_none())
        .collect();
    let mut clips: Vec<(String, ClassId)> = Vec::new();
    for &c in pool {
        for (split, n) in quotas(ctx, 100.0, tf) {
            for _ in 0..n {
                // Test in this row and the AudioSet row, or train in every row.
                let id = match split {
                    Split::Test => id_where(&mut rng, |id| split_of(id, tf) == Split::Test),
                    Split::Train => id_where(&mut rng, |id| split_of(id, ALL_TRAIN) == Split::Train),
                };
                let key = format!("{id}_{}", rng.gen_range(0..30) * 10_000);
                clips.push((key, c));
            }
        }
    }
    clips.sort();
    let k = per_kind(clips.len() as u64 * 3, 4);
    let mut sprinkle = Sprinkle::new(
        &mut rng,
        clips.len() as u64,
        &[
            (Defect::Zero, k),
            (Defect::Reversed, k),
            (Defect::Past, k),
            (Defect::BadId, k),
        ],
    );
    let mut out = Out::create(ctx.path("audioset_strong/audioset_train_strong.tsv"))?;
    out.put("segment_id\tstart_time_seconds\tend_time_seconds\tlabel\n")?;
    let mut summary = SourceSummary::default();
    for (key, c) in &clips {
        let mids = &classes.classes[*c as usize].audioset_strong;
        let mut events: Vec<(u32, u32, &str)> = Vec::new();
        // Separate events of the class, in milliseconds.
        let mut cursor = rng.gen_range(0..4000);
        for _ in 0..rng.gen_range(1..=3) {
            if cursor >= 9500 {
                break;
            }
            let end = rng.gen_range(cursor + 300..=10_000.min(cursor + 6000));
            events.push((cursor, end, pick(&mut rng, mids).as_str()));
            cursor = end + rng.gen_range(1000..3000);
        }
        if rng.gen_range(0..10) < 4 {
            let on = rng.gen_range(0..9000);
            events.push((on, rng.gen_range(on + 100..=10_000), *pick(&mut rng, &unmapped)));
        }
        if rng.gen_range(0..30) == 0 {
            let other = *pick(&mut rng, pool);
            if other != *c {
                let on = rng.gen_range(0..9000);
                let mid = pick(&mut rng, &classes.classes[other as usize].audioset_strong).as_str();
                events.push((on, rng.gen_range(on + 100..=10_000), mid));
            }
        }
        events.sort();
        for (on, off, mid) in &events {
            out.fmt(format_args!("{key}\t{}\t{}\t{mid}\n", ms(*on), ms(*off)))?;
            summary.units += 1;
        }
        for defect in sprinkle.after_item(&mut rng) {
            let mid = &mids[0];
            let (text, reason) = match defect {
                Defect::Zero => (format!("{key}\t5.000\t5.000\t{mid}\n"), "zero_length_segment"),
                Defect::Reversed => (format!("{key}\t7.500\t2.000\t{mid}\n"), "reversed_segment"),
                Defect::Past => (format!("{key}\t8.000\t10.500\t{mid}\n"), "segment_out_of_range"),
                Defect::BadId => (
                    format!("{}X_0\t1.000\t2.000\t{mid}\n", youtube_id(&mut rng)),
                    "bad_clip_id",
                ),
            };
            out.put(&text)?;
            summary.units += 1;
            *summary.defects.entry(reason).or_default() += 1;
        }
    }
    out.finish()?;
    Ok(summary)
}

/// Milliseconds as seconds with 3 decimals.
fn ms(v: u32) -> String {
    format!("{}.{:03}", v / 1000, v % 1000)
}
