//! Issue 10, findings 1, 4 and 6: numbers are the correctly rounded binary value of their decimal
//! in every reader (JSON, CSV, TSV, XML), `<ytid>_<NNNNNN>` clip names have exactly six start
//! digits, and Open Images' `nan` rotation means "unknown", not "rotated".

mod common;

use avfit::geometry::BBox;
use avfit::record::{Record, Target};
use avfit::sources::{SourceStats, VecSink};
use common::{avfit_ok, check_output, out_dir, read, reject_summary, sample};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

fn s(v: &str) -> String {
    v.to_string()
}
fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}
fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}
/// Reads a curated row with every image and clip in train (test fraction 0), so that each image
/// draws a clip whatever the split hashes say.
fn read_all_train(source: &str, dir: &Path) -> (VecSink, SourceStats) {
    let curation = avfit::curate::CurationOptions {
        test_fraction: 0.0,
        ..Default::default()
    };
    let source = avfit::registry::configured(source, &curation).unwrap();
    assert!(source.is_curated(), "{} is not a curated row", source.name());
    let options = avfit::sources::SourceOptions::new(source);
    let (sink, stats) = avfit::sources::read_all(source, &[dir.to_path_buf()], &options).unwrap();
    assert!(stats.reconciles(), "{stats:?}");
    (sink, stats)
}
fn boxes(record: &Record) -> &[BBox] {
    match &record.target {
        Target::Arig { boxes, .. } => boxes,
        other => panic!("not ARIG: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Finding 1: correctly rounded numbers.

/// The issue's smallest input: serde_json's default parser read 0.9874999999999999 as 0.9875 and
/// 0.9937499999999999 as 0.99375 (one ulp off), so the answer said 0.988.
#[test]
fn vggss_issue_input_keeps_the_correctly_rounded_coordinates() {
    let tmp = common::tempdir().unwrap();
    write(
        tmp.path(),
        "vggss.json",
        r#"[{"file":"6wRJg4fbELE_000196","class":"bull bellowing","bbox":[[0.559375,0.3875,0.9874999999999999,0.9937499999999999]]}]"#,
    );
    let (sink, stats) = read("vggss", &[tmp.path().to_path_buf()], None);
    assert_eq!((stats.read, stats.used), (1, 1));
    let expected = BBox([0.559375, 0.3875, 0.9874999999999999, 0.9937499999999999]);
    assert_eq!(boxes(&sink.records[0]), &[expected]);
    // Bit for bit: 0.9875 and 0.99375 are other doubles.
    assert_eq!(boxes(&sink.records[0])[0].0[2].to_bits(), 0x3FEF_9999_9999_9999);
    assert_ne!(0.9874999999999999f64, 0.9875f64);

    let out = out_dir("numbers-vggss-issue");
    avfit_ok(&[
        "convert",
        "--source",
        "vggss",
        "--input",
        tmp.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    check_output(&out);
    let sample = sample(&out, "vggss/6wRJg4fbELE_000196/arig");
    assert_eq!(
        sample["target"]["boxes"],
        serde_json::json!([[0.559375, 0.3875, 0.9874999999999999, 0.9937499999999999]])
    );
    // The text of the written line, not only its parsed value.
    let line = std::fs::read_to_string(out.join("test/arig/vggss-00000-of-00001.jsonl")).unwrap();
    assert!(
        line.contains("[0.559375,0.3875,0.9874999999999999,0.9937499999999999]"),
        "{line}"
    );
    assert_eq!(sample["answer"], "[<bull bellowing>,0.559,0.388,0.987,0.994]");
}

/// `count` random decimals of exactly 17 significant digits: `int_digits` digits before the point
/// (the first one not 0; none gives `0.` and up to two leading zeros after the point), the rest
/// after it. Seeded, so every run feeds the same decimals.
fn decimals(seed: u64, count: usize, int_digits: usize) -> Vec<String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..count)
        .map(|_| {
            let mut digits: Vec<u8> = (0..17).map(|_| rng.gen_range(0..10u8)).collect();
            digits[0] = rng.gen_range(1..10u8);
            let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
            if int_digits == 0 {
                let zeros = "0".repeat(rng.gen_range(0..3));
                format!("0.{zeros}{text}")
            } else {
                format!("{}.{}", &text[..int_digits], &text[int_digits..])
            }
        })
        .collect()
}

fn parsed(decimal: &str) -> f64 {
    decimal.parse::<f64>().unwrap()
}

const N: usize = 300;

/// Every reader that takes a number into a target, fed random 17-digit decimals: the target holds
/// exactly `str::parse::<f64>` of the decimal (or the documented arithmetic on it).
#[test]
fn every_reader_rounds_17_digit_decimals_correctly() {
    let tmp = common::tempdir().unwrap();
    let dir = |name: &str| {
        let d = tmp.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        d
    };

    // VGG-SS (JSON, whole array): x0 of the box.
    let xs = decimals(1, N, 0);
    let items: Vec<String> = xs
        .iter()
        .enumerate()
        .map(|(i, d)| format!(r#"{{"file":"v{i:010}_000000","class":"dog","bbox":[[{d},0,1,1]]}}"#))
        .collect();
    let d = dir("vggss");
    write(&d, "vggss.json", &format!("[{}]", items.join(",\n")));
    let (sink, _) = read("vggss", &[d], None);
    assert_eq!(sink.records.len(), N);
    for (record, decimal) in sink.records.iter().zip(&xs) {
        assert_eq!(
            boxes(record)[0].0[0].to_bits(),
            parsed(decimal).to_bits(),
            "vggss {decimal}"
        );
    }

    // AVQA (JSON, streamed): a numeric option is the answer, written as its shortest decimal.
    let xs = decimals(2, N, 1);
    let items: Vec<String> = xs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            format!(
                r#"{{"id":{i},"video_name":"v{i:010}_000000","question_text":"How long?","multi_choice":[{d},"no"],"answer":0,"question_type":"t"}}"#
            )
        })
        .collect();
    let d = dir("avqa");
    write(&d, "train_qa.json", &format!("[{}]", items.join(",\n")));
    let (sink, _) = read("avqa", &[d], None);
    assert_eq!(sink.records.len(), N);
    for (record, decimal) in sink.records.iter().zip(&xs) {
        let Target::Avqa { answer, .. } = &record.target else {
            panic!()
        };
        let shortest = serde_json::Number::from_f64(parsed(decimal)).unwrap().to_string();
        assert_eq!(answer, &shortest, "avqa {decimal}");
        assert_eq!(parsed(answer).to_bits(), parsed(decimal).to_bits(), "avqa {decimal}");
    }

    // LLP (TSV): the onset of the one audio event.
    let xs = decimals(3, N, 1);
    let d = dir("llp");
    let mut audio = s("filename\tonset\toffset\tevent_labels\n");
    let mut visual = audio.clone();
    for (i, x) in xs.iter().enumerate() {
        let x = if x.starts_with('9') {
            x.replacen('9', "8", 1)
        } else {
            x.clone()
        };
        audio.push_str(&format!("v{i:09}_0_10\t{x}\t9.5\tDog\n"));
        visual.push_str(&format!("v{i:09}_0_10\t0\t10\tDog\n"));
    }
    write(&d, "AVVP_eval_audio.csv", &audio);
    write(&d, "AVVP_eval_visual.csv", &visual);
    let (sink, _) = read("llp", &[d], None);
    assert_eq!(sink.records.len(), N);
    let onsets: HashMap<String, &str> = audio
        .lines()
        .skip(1)
        .map(|l| {
            (
                format!("{}/Dog", l.split('\t').next().unwrap()),
                l.split('\t').nth(1).unwrap(),
            )
        })
        .collect();
    for record in &sink.records {
        let onset = onsets[&record.key];
        let Target::Igatl { segments, .. } = &record.target else {
            panic!()
        };
        assert_eq!(segments[0].0[0].to_bits(), parsed(onset).to_bits(), "llp {onset}");
    }

    // Open Images direct source (CSV): XMin.
    let xs = decimals(4, N, 0);
    let d = dir("openimages");
    write(&d, "class-descriptions-boxable.csv", "/m/0bt9lr,Dog\n");
    let mut bbox = s(OI_HEADER);
    for (i, x) in xs.iter().enumerate() {
        bbox.push_str(&format!("{i:016x},xclick,/m/0bt9lr,1,{x},1,0,1,0,0,0,0,0\n"));
    }
    write(&d, "validation-annotations-bbox.csv", &bbox);
    let (sink, _) = read("openimages", &[d], None);
    assert_eq!(sink.records.len(), N);
    for (record, decimal) in sink.records.iter().zip(&xs) {
        assert_eq!(
            boxes(record)[0].0[0].to_bits(),
            parsed(decimal).to_bits(),
            "openimages {decimal}"
        );
    }

    // PASCAL VOC (XML): xmin in pixels, 1-based inclusive: x0 = (xmin - 1) / width.
    let xs = decimals(5, N, 3);
    let d = dir("pascal_sound");
    let mut pairing = s("image_id,audio,label\n");
    for (i, x) in xs.iter().enumerate() {
        pairing.push_str(&format!("{i:06},a{i}.wav,dog\n"));
        write(
            &d,
            &format!("Annotations/{i:06}.xml"),
            &format!(
                "<annotation><size><width>1000</width><height>375</height></size><object><name>dog</name>\
                 <bndbox><xmin>{x}</xmin><ymin>1</ymin><xmax>1000</xmax><ymax>375</ymax></bndbox></object></annotation>"
            ),
        );
    }
    write(&d, "pascal_sound.csv", &pairing);
    let (sink, _) = read("pascal_sound", &[d], None);
    assert_eq!(sink.records.len(), N);
    let by_key: HashMap<&str, &Record> = sink.records.iter().map(|r| (r.key.as_str(), r)).collect();
    for (i, x) in xs.iter().enumerate() {
        let record = by_key[format!("{i:06}/dog").as_str()];
        let expected = (parsed(x) - 1.0) / 1000.0;
        assert_eq!(boxes(record)[0].0[0].to_bits(), expected.to_bits(), "pascal_sound {x}");
    }

    // Flickr-SoundNet (XML): xmin in pixels of the 256 × 256 frame: x0 = xmin / 256.
    let xs = decimals(6, N, 2);
    let d = dir("flickr_soundnet");
    for (i, x) in xs.iter().enumerate() {
        write(
            &d,
            &format!("Annotations/{}.xml", 2_000_000_000 + i),
            &format!(
                "<annotation><object><bbox><xmin>{x}</xmin><ymin>0</ymin><xmax>256</xmax><ymax>256</ymax></bbox></object></annotation>"
            ),
        );
    }
    let (sink, _) = read("flickr_soundnet", &[d], None);
    assert_eq!(sink.records.len(), N);
    let by_key: HashMap<&str, &Record> = sink.records.iter().map(|r| (r.key.as_str(), r)).collect();
    for (i, x) in xs.iter().enumerate() {
        let record = by_key[(2_000_000_000 + i).to_string().as_str()];
        let expected = parsed(x) / 256.0;
        assert_eq!(
            boxes(record)[0].0[0].to_bits(),
            expected.to_bits(),
            "flickr_soundnet {x}"
        );
    }

    // AudioSet Strong (TSV, curated row openimages_audioset_strong): the event's onset, in every
    // IGATL sample drawn; the Open Images side is the reader checked above.
    let xs = decimals(7, N, 1);
    let d = dir("strong");
    write(&d, "class-descriptions-boxable.csv", "/m/0bt9lr,Dog\n");
    let mut bbox = s(OI_HEADER);
    let mut events = s("segment_id\tstart_time_seconds\tend_time_seconds\tlabel\n");
    let mut onsets = HashMap::new();
    for (i, x) in xs.iter().enumerate() {
        bbox.push_str(&format!("{i:016x},xclick,/m/0bt9lr,1,0.1,0.9,0.1,0.9,0,0,0,0,0\n"));
        let x = if x.starts_with('9') {
            x.replacen('9', "8", 1)
        } else {
            x.clone()
        };
        events.push_str(&format!("s{i:010}_30000\t{x}\t9.5\t/m/0bt9lr\n"));
        onsets.insert(format!("s{i:010}_30000"), parsed(&x));
    }
    write(&d, "validation-annotations-bbox.csv", &bbox);
    write(&d, "audioset_eval_strong.tsv", &events);
    let (sink, _) = read_all_train("openimages_audioset_strong", &d);
    let mut checked = 0;
    for record in &sink.records {
        if let Target::Igatl { segments, .. } = &record.target {
            let audio = record.media.audio.as_deref().unwrap();
            let clip = Path::new(audio).file_stem().unwrap().to_str().unwrap();
            assert_eq!(segments[0].0[0].to_bits(), onsets[clip].to_bits(), "strong {clip}");
            checked += 1;
        }
    }
    assert_eq!(checked, N, "one IGATL sample per image");

    // AudioSet segments (CSV, curated row openimages_audioset): start_seconds names the clip in
    // whole milliseconds, `<ytid>_<round(start * 1000)>`.
    let xs = decimals(8, N, 2);
    let d = dir("audioset");
    write(&d, "class-descriptions-boxable.csv", "/m/0bt9lr,Dog\n");
    write(&d, "validation-annotations-bbox.csv", &bbox);
    let mut segments = s("# YTID, start_seconds, end_seconds, positive_labels\n");
    let mut names = HashMap::new();
    for (i, x) in xs.iter().enumerate() {
        segments.push_str(&format!("a{i:010}, {x}, 100.000, \"/m/0bt9lr\"\n"));
        names.insert(
            format!("yt:a{i:010}"),
            format!("a{i:010}_{}", (parsed(x) * 1000.0).round() as i64),
        );
    }
    write(&d, "balanced_train_segments.csv", &segments);
    let (sink, _) = read_all_train("openimages_audioset", &d);
    let mut checked = 0;
    for record in sink.records.iter().filter(|r| matches!(r.target, Target::Arig { .. })) {
        let audio = record.media.audio.as_deref().unwrap();
        let clip = Path::new(audio).file_stem().unwrap().to_str().unwrap();
        assert_eq!(clip, names[&*record.groups[1]], "audioset {clip}");
        checked += 1;
    }
    assert_eq!(checked, N, "one ARIG sample per image");
}

// ---------------------------------------------------------------------------------------------
// Finding 4: `<ytid>_<NNNNNN>` clip names have exactly six start digits.

#[test]
fn vggss_clip_names_need_six_start_digits() {
    let tmp = common::tempdir().unwrap();
    write(
        tmp.path(),
        "vggss.json",
        r#"[{"file":"YBd5lEnpT_8","class":"dog","bbox":[[0,0,1,1]]},
            {"file":"YBd5lEnpT_8_000000","class":"dog","bbox":[[0,0,1,1]]},
            {"file":"zpWuikVorYg_0000320","class":"dog","bbox":[[0,0,1,1]]}]"#,
    );
    let (sink, stats) = read("vggss", &[tmp.path().to_path_buf()], None);
    assert_eq!((stats.read, stats.used, stats.rejected), (3, 1, 2));
    assert_eq!(
        reject_summary(&sink.rejects),
        vec![
            (s("bad_clip_id"), 0, s("`YBd5lEnpT_8` is not <ytid>_<NNNNNN>")),
            (s("bad_clip_id"), 2, s("`zpWuikVorYg_0000320` is not <ytid>_<NNNNNN>")),
        ]
    );
    let record = &sink.records[0];
    assert_eq!(record.key, "YBd5lEnpT_8_000000");
    assert_eq!(record.groups, vec![avfit::record::Text::from("yt:YBd5lEnpT_8")]);
    // The media list reads the clip from second 0 of `YBd5lEnpT_8`.
    let row = avfit::media_list::describe(record.media.audio.as_deref().unwrap(), "audio", &record.groups);
    assert_eq!(
        (row.youtube_id.as_str(), row.clip_start, row.clip_end),
        ("YBd5lEnpT_8", Some(0.0), Some(10.0))
    );
}

#[test]
fn avqa_clip_names_need_six_start_digits() {
    let tmp = common::tempdir().unwrap();
    let q = |id: u32, name: &str| {
        format!(
            r#"{{"id":{id},"video_name":"{name}","question_text":"What sounds?","multi_choice":["dog","cat"],"answer":1,"question_type":"Which"}}"#
        )
    };
    write(
        tmp.path(),
        "train_qa.json",
        &format!(
            "[{},{},{}]",
            q(1, "YBd5lEnpT_8"),
            q(2, "YBd5lEnpT_8_000030"),
            q(3, "zpWuikVorYg_32")
        ),
    );
    let (sink, stats) = read("avqa", &[tmp.path().to_path_buf()], None);
    assert_eq!((stats.read, stats.used, stats.rejected), (3, 1, 2));
    assert_eq!(
        reject_summary(&sink.rejects),
        vec![
            (
                s("bad_clip_id"),
                0,
                s("question 1: `YBd5lEnpT_8` is not <ytid>_<NNNNNN>")
            ),
            (
                s("bad_clip_id"),
                2,
                s("question 3: `zpWuikVorYg_32` is not <ytid>_<NNNNNN>")
            ),
        ]
    );
    let record = &sink.records[0];
    assert_eq!(record.key, "YBd5lEnpT_8_000030/2");
    assert_eq!(record.groups, vec![avfit::record::Text::from("yt:YBd5lEnpT_8")]);
    let row = avfit::media_list::describe(record.media.video.as_deref().unwrap(), "video", &record.groups);
    assert_eq!(
        (row.youtube_id.as_str(), row.clip_start, row.clip_end),
        ("YBd5lEnpT_8", Some(30.0), Some(40.0))
    );
}

#[test]
fn vggsound_ids_keep_their_underscores_and_starts_fit_six_digits() {
    // vggsound.csv gives the id and the start in two columns: the id is taken as it is, and the
    // clip name is `<id>_<start as six digits>`; a start of seven digits cannot be named.
    let tmp = common::tempdir().unwrap();
    write(tmp.path(), "class-descriptions-boxable.csv", "/m/0bt9lr,Dog\n");
    write(
        tmp.path(),
        "validation-annotations-bbox.csv",
        &format!("{OI_HEADER}00000000000000aa,xclick,/m/0bt9lr,1,0.1,0.9,0.1,0.9,0,0,0,0,0\n"),
    );
    write(
        tmp.path(),
        "vggsound.csv",
        "YBd5lEnpT_8,0,dog barking,train\nzpWuikVorYg,1000000,dog barking,train\n",
    );
    let (sink, stats) = read_all_train("openimages_vggsound", tmp.path());
    // 1 bbox row + 2 clip rows: the box paired with the one clip, the long start rejected.
    assert_eq!((stats.read, stats.used, stats.rejected), (3, 2, 1));
    assert_eq!(
        reject_summary(&sink.rejects),
        vec![(
            s("malformed_field"),
            2,
            s("zpWuikVorYg: start 1000000 does not fit the six digits of a clip name")
        )]
    );
    let record = &sink.records[0];
    assert_eq!(
        record.media.audio.as_deref(),
        Some("vggsound/audios/YBd5lEnpT_8_000000.wav")
    );
    assert!(record.groups.contains(&"yt:YBd5lEnpT_8".into()), "{:?}", record.groups);
}

// ---------------------------------------------------------------------------------------------
// Finding 6: Open Images rotation `nan` / empty is unknown, not rotated.

const OI_HEADER: &str =
    "ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside\n";
const ROTATION_HEADER: &str = "ImageID,Subset,OriginalURL,OriginalLandingURL,License,AuthorProfileURL,Author,Title,OriginalSize,OriginalMD5,Thumbnail300KURL,Rotation\n";

/// Five images with one Dog box each; rotations 90.0, nan, NaN, empty, 0.0.
fn rotation_inputs(dir: &Path, rotation_rows: &str) {
    write(dir, "class-descriptions-boxable.csv", "/m/0bt9lr,Dog\n");
    let mut bbox = s(OI_HEADER);
    for i in 1..=5 {
        bbox.push_str(&format!(
            "000000000000000{i},xclick,/m/0bt9lr,1,0.1,0.9,0.1,0.9,0,0,0,0,0\n"
        ));
    }
    write(dir, "validation-annotations-bbox.csv", &bbox);
    write(
        dir,
        "validation-images-with-rotation.csv",
        &format!("{ROTATION_HEADER}{rotation_rows}"),
    );
}

const ROTATIONS: &str = "0000000000000001,validation,u,l,lic,a,b,t,1,md5,th,90.0\n\
    0000000000000002,validation,u,l,lic,a,b,t,1,md5,th,nan\n\
    0000000000000003,validation,u,l,lic,a,b,t,1,md5,th,NaN\n\
    0000000000000004,validation,u,l,lic,a,b,t,1,md5,th,\n\
    0000000000000005,validation,u,l,lic,a,b,t,1,md5,th,0.0\n";

#[test]
fn openimages_keeps_images_of_unknown_rotation() {
    let tmp = common::tempdir().unwrap();
    rotation_inputs(tmp.path(), ROTATIONS);
    let (sink, stats) = read("openimages", &[tmp.path().to_path_buf()], None);
    assert_eq!((stats.read, stats.used, stats.rejected), (5, 4, 0));
    assert_eq!(stats.skipped, counts(&[("rotated", 1)]));
    let images: Vec<&str> = sink.records.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(
        images,
        [
            "0000000000000002/Dog",
            "0000000000000003/Dog",
            "0000000000000004/Dog",
            "0000000000000005/Dog"
        ]
    );
}

#[test]
fn curated_rows_keep_images_of_unknown_rotation() {
    let tmp = common::tempdir().unwrap();
    rotation_inputs(tmp.path(), ROTATIONS);
    write(tmp.path(), "vggsound.csv", "AAAAAAAAAA1,30,dog barking,train\n");
    let (sink, stats) = read_all_train("openimages_vggsound", tmp.path());
    // 5 bbox rows + 1 clip row: the rotated image skipped, the other four paired with the clip.
    assert_eq!((stats.read, stats.used, stats.rejected), (6, 5, 0));
    assert_eq!(stats.skipped, counts(&[("rotated", 1)]));
    let mut images: Vec<&str> = sink.records.iter().map(|r| &r.key[..16]).collect();
    images.sort();
    assert_eq!(
        images,
        [
            "0000000000000002",
            "0000000000000003",
            "0000000000000004",
            "0000000000000005"
        ]
    );
}

#[test]
fn an_unreadable_rotation_stops_the_run_with_its_line() {
    let tmp = common::tempdir().unwrap();
    rotation_inputs(
        tmp.path(),
        "0000000000000001,validation,u,l,lic,a,b,t,1,md5,th,90.0\n\
        0000000000000002,validation,u,l,lic,a,b,t,1,md5,th,ninety\n",
    );
    let source = avfit::registry::find("openimages").unwrap();
    let options = avfit::sources::SourceOptions::new(source);
    let err = avfit::sources::read_all(source, &[tmp.path().to_path_buf()], &options).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(
            "validation-images-with-rotation.csv:3: Rotation `ninety` is not a number of degrees, `nan` or empty"
        ),
        "{text}"
    );
}
