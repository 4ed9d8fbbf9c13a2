//! Safe under hostile input (issue 11, input side): ids that are paths, media paths that leave
//! the media root, deep XML, decompression bombs, negative zero, control bytes in echoed input,
//! unreadable masks. Each test feeds a small crafted input and asserts the exact outcome.

mod common;

use avfit::geometry::BBox;
use avfit::media::MediaRoot;
use avfit::record::{Media, Record, Split, Target};
use avfit::sources::{self, Reject, SourceOptions};
use common::{avfit_fails, avfit_ok, data, hostile, out_dir};
use std::path::{Path, PathBuf};

/// Reads `source` from `inputs` (default options), checking the accounting identity.
fn read(source: &str, inputs: &[PathBuf]) -> (sources::VecSink, sources::SourceStats) {
    common::read(source, inputs, None)
}

/// (reason, detail) of each reject.
fn reasons(rejects: &[Reject]) -> Vec<(&str, &str)> {
    rejects.iter().map(|r| (r.reason.as_str(), r.detail.as_str())).collect()
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in common::walk(from) {
        let target = to.join(entry.strip_prefix(from).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&entry, &target).unwrap();
    }
}

fn append(path: &Path, text: &str) {
    let mut all = std::fs::read_to_string(path).unwrap();
    all.push_str(text);
    std::fs::write(path, all).unwrap();
}

#[test]
fn music_avqa_video_ids_that_are_paths_are_rejected_and_odd_names_kept() {
    let tmp = common::tempdir().unwrap();
    let element = |video: &str, qid: u32| {
        serde_json::json!({"video_id": video, "question_id": qid, "type": "[\"Audio\"]",
            "question_content": "Is it loud?", "templ_values": "[]", "question_deleted": 0, "anser": "yes"})
    };
    let items = serde_json::Value::Array(vec![
        element("../../../../tmp/x/secret", 1),
        element("a\nb", 2),
        element("..", 3),
        element("/abs/x", 4),
        element("a\\b", 5),
        element("Clotho, name &amp; more", 6),
    ]);
    std::fs::write(tmp.path().join("avqa-train.json"), items.to_string()).unwrap();
    let (sink, stats) = read("music_avqa", &[tmp.path().to_path_buf()]);
    assert_eq!(
        reasons(&sink.rejects),
        vec![
            (
                "bad_clip_id",
                "video_id `../../../../tmp/x/secret` cannot be a file name: it contains `/`"
            ),
            (
                "bad_clip_id",
                "video_id `a\\nb` cannot be a file name: it contains a control character"
            ),
            (
                "bad_clip_id",
                "video_id `..` cannot be a file name: it is a directory reference"
            ),
            (
                "bad_clip_id",
                "video_id `/abs/x` cannot be a file name: it contains `/`"
            ),
            (
                "bad_clip_id",
                "video_id `a\\\\b` cannot be a file name: it contains `\\`"
            ),
        ]
    );
    assert_eq!((stats.read, stats.used, stats.rejected), (6, 1, 5));
    assert_eq!(
        sink.records[0].media,
        Media {
            image: Some("music_avqa/frames/Clotho, name &amp; more.jpg".into()),
            audio: Some("music_avqa/audios/Clotho, name &amp; more.wav".into()),
            video: Some("music_avqa/videos/Clotho, name &amp; more.mp4".into()),
            ..Default::default()
        }
    );
}

const OI_HEADER: &str =
    "ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside\n";

/// An Open Images copy whose bbox file holds a path ImageID (line 2), a backslash (line 3) and a
/// valid image whose box has `-0` corners (line 4).
fn hostile_openimages(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::copy(
        data("openimages/class-descriptions-boxable.csv"),
        dir.join("class-descriptions-boxable.csv"),
    )
    .unwrap();
    std::fs::write(
        dir.join("validation-annotations-bbox.csv"),
        format!(
            "{OI_HEADER}../../x,xclick,/m/01yrx,1,0.1,0.5,0.2,0.9,0,0,0,0,0\n\
             a\\b,xclick,/m/01yrx,1,0.1,0.5,0.2,0.9,0,0,0,0,0\n\
             ok id,xclick,/m/01yrx,1,-0,0.5,-0.0,0.9,0,0,0,0,0\n"
        ),
    )
    .unwrap();
}

#[test]
fn open_images_ids_that_are_paths_are_rejected_and_negative_zero_is_zero() {
    let tmp = common::tempdir().unwrap();
    let dir = tmp.path().join("oi");
    hostile_openimages(&dir);
    let (sink, stats) = read("openimages", &[dir.clone()]);
    assert_eq!(
        common::reject_summary(&sink.rejects),
        vec![
            (
                "bad_clip_id".into(),
                2,
                "ImageID `../../x` cannot be a file name: it contains `/`".into()
            ),
            (
                "bad_clip_id".into(),
                3,
                "ImageID `a\\\\b` cannot be a file name: it contains `\\`".into()
            ),
        ]
    );
    assert_eq!((stats.read, stats.used, stats.rejected), (3, 1, 2));
    let record = &sink.records[0];
    assert_eq!(record.key, "ok id/Cat");
    assert_eq!(record.media.image.as_deref(), Some("openimages/images/ok id.jpg"));
    let Target::Arig { boxes, .. } = &record.target else {
        panic!("ARIG")
    };
    assert_eq!(boxes, &vec![BBox([0.0, 0.0, 0.5, 0.9])]);
    assert!(boxes[0].0[0].is_sign_positive() && boxes[0].0[1].is_sign_positive());

    // Through the binary: no `-0` in the target or the rendered answer.
    let out = out_dir("hostile-openimages-negative-zero");
    avfit_ok(&[
        "convert",
        "--source",
        "openimages",
        "--input",
        dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    let shard = common::samples(&out);
    assert_eq!(shard.len(), 1);
    assert_eq!(shard[0]["target"]["boxes"], serde_json::json!([[0.0, 0.0, 0.5, 0.9]]));
    let text = shard[0].to_string();
    assert!(!text.contains("-0.0"), "{text}");

    // The curated rows read the same bbox rows: the same two rejects.
    let out = out_dir("hostile-openimages-curated");
    avfit_ok(&[
        "convert",
        "--source",
        "openimages_audioset",
        "--input",
        dir.to_str().unwrap(),
        "--input",
        data("audioset").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    let bad: Vec<String> = common::rejects(&out)
        .iter()
        .filter(|r| r["reason"] == "bad_clip_id" && r["file"].as_str().unwrap().contains("bbox"))
        .map(|r| format!("{}: {}", r["line"], r["detail"].as_str().unwrap()))
        .collect();
    assert_eq!(
        bad,
        vec![
            "2: ImageID `../../x` cannot be a file name: it contains `/`",
            "3: ImageID `a\\\\b` cannot be a file name: it contains `\\`"
        ]
    );
}

#[test]
fn avsbench_video_and_category_names_that_are_paths_are_rejected() {
    let tmp = common::tempdir().unwrap();
    let dir = tmp.path().join("s4");
    copy_dir(&data("avsbench/Single-source"), &dir);
    append(
        &dir.join("s4_meta_data.csv"),
        "..,0,dog,test\nhhhhhhhhhhh,0,../../../../tmp,test\niiiiiiiiiii,0,a\u{1}b,test\n",
    );
    let (sink, _) = read("avsbench", &[dir]);
    let tail: Vec<_> = common::reject_summary(&sink.rejects)
        .into_iter()
        .filter(|r| r.1 >= 7)
        .collect();
    assert_eq!(
        tail,
        vec![
            (
                "bad_clip_id".into(),
                7,
                "video `..` cannot be a file name: it is a directory reference".into()
            ),
            (
                "malformed_field".into(),
                8,
                "hhhhhhhhhhh: category `../../../../tmp` cannot be a file name: it contains `/`".into()
            ),
            (
                "malformed_field".into(),
                9,
                "iiiiiiiiiii: category `a\\u{1}b` cannot be a file name: it contains a control character".into()
            ),
        ]
    );
}

#[test]
fn avsbench_mask_bombs_and_non_png_masks_drop_the_frame_with_the_size() {
    let tmp = common::tempdir().unwrap();
    let dir = tmp.path().join("ms3");
    copy_dir(&data("avsbench/Multi-sources"), &dir);
    let masks = dir.join("ms3_data/gt_masks");
    let bomb = masks.join("test/bbbbbbbbbbb_1/bbbbbbbbbbb_1_1.png");
    hostile::write_bomb_png(&bomb, 13_000, 13_000);
    let text = masks.join("train/ggggggggggg_2/ggggggggggg_2_1.png");
    std::fs::write(&text, "not a png\n").unwrap();
    let started = std::time::Instant::now();
    let (sink, stats) = read("avsbench", &[dir]);
    assert!(started.elapsed().as_secs() < 5, "the bomb is refused from its header");
    let (b, g) = (bomb.display(), text.display());
    let (bdir, gdir) = (bomb.parent().unwrap().display(), text.parent().unwrap().display());
    assert_eq!(
        common::reject_summary(&sink.rejects),
        vec![
            ("malformed_field".into(), 2, format!("bbbbbbbbbbb_1 frame 1: not a usable mask PNG: {b}: the image declares 13000x13000 px, above the 4096x4096 px limit")),
            ("malformed_field".into(), 2, format!("bbbbbbbbbbb_1: no readable non-empty mask in {bdir}")),
            ("malformed_field".into(), 3, format!("ggggggggggg_2 frame 1: not a usable mask PNG: {g}: Format error decoding Png: Invalid PNG signature.")),
            ("malformed_field".into(), 3, format!("ggggggggggg_2: no readable non-empty mask in {gdir}")),
        ]
    );
    assert_eq!((stats.read, stats.used, stats.rejected), (2, 0, 2));
    assert_eq!(stats.dropped.get("malformed_field"), Some(&2));
}

#[test]
fn media_images_declaring_huge_sizes_are_refused_from_their_header() {
    let tmp = common::tempdir().unwrap();
    let path = tmp.path().join("big.png");
    hostile::write_bomb_png(&path, 20_000, 300);
    assert_eq!(
        avfit::media::image_size(&path),
        Err(format!(
            "{}: the image declares 20000x300 px, above the 16384x16384 px limit",
            path.display()
        ))
    );
    // Within the side limit, but its pixels would take more than 128 MiB.
    hostile::write_bomb_png(&path, 16_000, 16_000);
    assert_eq!(avfit::media::image_size(&path), Ok((16_000, 16_000)));
    assert_eq!(
        avfit::media::decode_image(&path, avfit::media::MAX_IMAGE_SIDE).map(|_| ()),
        Err(format!(
            "{}: the image's 16000x16000 px take 256000000 bytes, above the 134217728 byte limit",
            path.display()
        ))
    );
}

#[test]
fn flickr_ids_that_cannot_be_file_names_are_rejected() {
    let tmp = common::tempdir().unwrap();
    let ann = tmp.path().join("Annotations");
    std::fs::create_dir_all(&ann).unwrap();
    let xml = data("flickr_soundnet/Annotations/1000000001.xml");
    for name in ["a\\b.xml", "x\ny.xml", "..xml", "ok, fine.xml"] {
        std::fs::copy(&xml, ann.join(name)).unwrap();
    }
    let (sink, stats) = read("flickr_soundnet", &[tmp.path().to_path_buf()]);
    assert_eq!(
        reasons(&sink.rejects),
        vec![
            (
                "bad_clip_id",
                "Flickr id (file stem) `.` cannot be a file name: it is a directory reference"
            ),
            (
                "bad_clip_id",
                "Flickr id (file stem) `a\\\\b` cannot be a file name: it contains `\\`"
            ),
            (
                "bad_clip_id",
                "Flickr id (file stem) `x\\ny` cannot be a file name: it contains a control character"
            ),
        ]
    );
    assert_eq!((stats.read, stats.used, stats.rejected), (4, 1, 3));
    assert_eq!(sink.records[0].key, "ok, fine");
}

#[test]
fn pascal_sound_ids_that_cannot_be_file_names_are_rejected() {
    let tmp = common::tempdir().unwrap();
    copy_dir(&data("pascal_sound"), tmp.path());
    append(
        &tmp.path().join("pascal_sound.csv"),
        "..,x.wav,dog\n000010,..,cat\n000010,a\tb.wav,cat\n",
    );
    let (sink, _) = read("pascal_sound", &[tmp.path().to_path_buf()]);
    let tail: Vec<_> = common::reject_summary(&sink.rejects)
        .into_iter()
        .filter(|r| r.1 >= 7)
        .collect();
    assert_eq!(
        tail,
        vec![
            (
                "bad_clip_id".into(),
                7,
                "image_id `..` cannot be a file name: it is a directory reference".into()
            ),
            (
                "malformed_field".into(),
                8,
                "000010: audio (file stem) `` cannot be a file name: it is empty".into()
            ),
            (
                "malformed_field".into(),
                9,
                "000010: audio (file stem) `a\\tb` cannot be a file name: it contains a control character".into()
            ),
        ]
    );
}

#[test]
fn deep_xml_stops_the_run_with_one_line_naming_the_file() {
    let tmp = common::tempdir().unwrap();
    // The repro: PASCAL Sound.
    let p = tmp.path().join("P");
    std::fs::create_dir_all(p.join("Annotations")).unwrap();
    std::fs::write(p.join("pascal_sound.csv"), "image_id,audio,label\n1,x.wav,dog\n").unwrap();
    let xml = p.join("Annotations/1.xml");
    std::fs::write(&xml, hostile::deep_xml(14_000)).unwrap();
    let out = tmp.path().join("out");
    let stderr = avfit_fails(&[
        "convert",
        "--source",
        "pascal_sound",
        "--input",
        p.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(
        stderr,
        format!(
            "avfit: {}:1: XML elements nested deeper than 256 levels\n",
            xml.display()
        )
    );
    // Flickr-SoundNet, the depth limit passed on line 3.
    let f = tmp.path().join("F");
    std::fs::create_dir_all(f.join("Annotations")).unwrap();
    let xml = f.join("Annotations/1.xml");
    std::fs::write(
        &xml,
        format!("<?xml version=\"1.0\"?>\n<annotation>\n{}", hostile::deep_xml(300)),
    )
    .unwrap();
    let out = tmp.path().join("out2");
    let stderr = avfit_fails(&[
        "convert",
        "--source",
        "flickr_soundnet",
        "--input",
        f.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(
        stderr,
        format!(
            "avfit: {}:3: XML elements nested deeper than 256 levels\n",
            xml.display()
        )
    );
    // 256 levels in all still parse (the root and 255 below it).
    std::fs::write(
        &xml,
        format!("<annotation>{}{}</annotation>", "<a>".repeat(255), "</a>".repeat(255)),
    )
    .unwrap();
    let (sink, stats) = read("flickr_soundnet", &[f]);
    assert_eq!((stats.read, stats.rejected), (1, 1));
    assert_eq!(
        reasons(&sink.rejects),
        vec![("no_valid_box", "1: 0 <bbox> elements, none valid")]
    );
}

#[test]
fn errors_that_echo_input_stay_on_one_line() {
    let tmp = common::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("Annotations")).unwrap();
    std::fs::copy(
        data("pascal_sound/Annotations/000010.xml"),
        tmp.path().join("Annotations/000010.xml"),
    )
    .unwrap();
    let csv = tmp.path().join("pascal_sound.csv");
    std::fs::write(&csv, "\"image\nid\u{1b}\",audio,label\n000010,x.wav,dog\n").unwrap();
    let out = tmp.path().join("out");
    let stderr = avfit_fails(&[
        "convert",
        "--source",
        "pascal_sound",
        "--input",
        tmp.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(
        stderr,
        format!(
            "avfit: {}:1: expected the header image_id,audio,label, found `image\\nid\\u{{1b}},audio,label`\n",
            csv.display()
        )
    );
    assert_eq!(
        avfit::error::escape("a\r\n\t\0\\z\u{7f}é"),
        "a\\r\\n\\t\\0\\\\z\\u{7f}é"
    );
    assert_eq!(avfit::error::escape("plain, text & `quotes`"), "plain, text & `quotes`");
}

/// A vggss corpus whose first sample's image path leaves the media root; the other samples'
/// images are in a dataset folder the media root links to.
fn corpus_with_an_escaping_path(tmp: &Path) -> (PathBuf, PathBuf, String) {
    let out = tmp.join("corpus");
    avfit_ok(&[
        "convert",
        "--source",
        "vggss",
        "--input",
        data("vggss").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    let shard = common::walk(&out)
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "jsonl") && p.to_string_lossy().contains("arig"))
        .unwrap();
    let text = std::fs::read_to_string(&shard).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let image = first["image"].as_str().unwrap().to_string();
    let escaping = image.replace("vggss/frames/", "../outside/");
    std::fs::write(&shard, text.replacen(&image, &escaping, 1)).unwrap();
    // Media root: `vggss` is a link to the real dataset folder; `../outside/` holds the image too.
    let root = tmp.join("root");
    let real = tmp.join("real/vggss");
    std::fs::create_dir_all(&root).unwrap();
    for line in text.lines() {
        let s: serde_json::Value = serde_json::from_str(line).unwrap();
        let rel = s["image"].as_str().unwrap();
        common::write_image(&real.join(rel.trim_start_matches("vggss/")), 32, 32);
        common::write_image(&tmp.join("outside").join(Path::new(rel).file_name().unwrap()), 32, 32);
        let audio = s["audio"].as_str().unwrap();
        common::write_wav(&real.join(audio.trim_start_matches("vggss/")), 16_000, 16_000);
    }
    std::os::unix::fs::symlink(&real, root.join("vggss")).unwrap();
    (out, root, escaping)
}

#[test]
fn media_readers_refuse_paths_that_leave_the_root_and_follow_links_inside_it() {
    let tmp = common::tempdir().unwrap();
    let (corpus, root, escaping) = corpus_with_an_escaping_path(tmp.path());
    let refusal = format!("media path `{escaping}` is absolute or has a `..` component: refused");

    // validate --media-root: the escaping image is a problem; the linked ones are fine.
    let report = avfit::validate::validate(&corpus, Some(&root)).unwrap();
    let (count, examples) = &report.problems["missing_media"];
    assert_eq!(*count, 1);
    assert!(examples[0].ends_with(&format!(": image {refusal}")), "{examples:?}");

    // media --list: stops, naming the shard, line and sample.
    let err = avfit::media_list::media_rows(&corpus).unwrap_err().to_string();
    assert!(
        err.contains(":1: vggss/") && err.ends_with(&format!(": image {refusal}")),
        "{err}"
    );

    // stats --html --media-root: the outside image is not embedded, the linked ones are.
    let stats = avfit::stats::compute(&corpus).unwrap();
    let html = tmp.path().join("report.html");
    avfit::report::write_html(&stats, &corpus, Some(&root), &html).unwrap();
    let embedded = std::fs::read_to_string(&html)
        .unwrap()
        .matches("data:image/jpeg")
        .count();
    let arig = common::samples(&corpus).iter().filter(|s| s["task"] == "arig").count();
    assert_eq!(embedded, arig - 1);

    // --check-media (and any media rule): refused with or without the check.
    for check in [false, true] {
        let media = MediaRoot {
            root: root.clone(),
            check,
        };
        let mut record = Record {
            source: "vggss",
            key: "k".into(),
            split: Split::Test,
            groups: vec![],
            media: Media {
                image: Some("/etc/passwd".into()),
                audio: None,
                video: Some("a/../../v.mp4".into()),
                ..Default::default()
            },
            target: Target::Avc { caption: "c".into() },
            referring: false,
        };
        assert_eq!(
            media.apply(&mut record),
            Err((
                avfit::reason::Reason::MissingMedia,
                "media path `/etc/passwd` is absolute or has a `..` component: refused".to_string()
            ))
        );
        record.media.image = None;
        assert_eq!(
            media.apply(&mut record).unwrap_err().1,
            "media path `a/../../v.mp4` is absolute or has a `..` component: refused"
        );
    }
    assert_eq!(
        avfit::media::media_path(&root, "vggss/frames/x.jpg"),
        Ok(root.join("vggss/frames/x.jpg"))
    );
    assert!(avfit::media::media_path(&root, "..\\x.jpg").is_err());
}

#[test]
fn check_media_follows_links_inside_the_root() {
    let tmp = common::tempdir().unwrap();
    let real = tmp.path().join("real");
    let root = tmp.path().join("root");
    std::fs::create_dir_all(&root).unwrap();
    common::write_image(&real.join("frames/aaaaaaaaaaa_000010.jpg"), 8, 8);
    common::write_wav(&real.join("audios/aaaaaaaaaaa_000010.wav"), 16_000, 16_000);
    std::os::unix::fs::symlink(&real, root.join("vggss")).unwrap();
    let source = avfit::registry::find("vggss").unwrap();
    let mut options = SourceOptions::new(source);
    options.media_root = Some(MediaRoot { root, check: true });
    let (sink, stats) = sources::read_all(source, &[data("vggss")], &options).unwrap();
    assert!(stats.reconciles());
    assert_eq!(
        sink.records.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(),
        vec!["aaaaaaaaaaa_000010"]
    );
}
