//! Media probing and `--check-media`, on image and WAV files the tests write.

mod common;

use avfit::media::{image_size, wav_info, WavInfo};
use common::{avfit, avfit_ok, check_output, out_dir, rejects, sample, samples, write_image, write_wav};
use serde_json::json;
use std::path::Path;

#[test]
fn image_size_and_wav_duration_from_headers() {
    let tmp = common::tempdir().unwrap();
    write_image(&tmp.path().join("a.png"), 320, 240);
    write_image(&tmp.path().join("b.jpg"), 17, 9);
    assert_eq!(image_size(&tmp.path().join("a.png")), Ok((320, 240)));
    assert_eq!(image_size(&tmp.path().join("b.jpg")), Ok((17, 9)));
    write_wav(&tmp.path().join("c.wav"), 16_000, 159_200);
    assert_eq!(
        wav_info(&tmp.path().join("c.wav")),
        Ok(WavInfo {
            duration: 9.95,
            sample_rate: 16_000
        })
    );
    std::fs::write(tmp.path().join("d.wav"), b"not a wav").unwrap();
    assert!(wav_info(&tmp.path().join("d.wav"))
        .unwrap_err()
        .starts_with(&tmp.path().join("d.wav").display().to_string()));
    assert!(image_size(&tmp.path().join("missing.jpg")).is_err());
}

/// The LLP sample with media for clip aaaaaaaaaaa_0_10 (a 9.95 s WAV and its two frames) and,
/// for b_bbbbbbbbb_30_40, a WAV but no frame.
fn llp_media(root: &Path) {
    write_wav(&root.join("llp/audios/aaaaaaaaaaa_0_10.wav"), 16_000, 159_200);
    write_image(&root.join("llp/frames/aaaaaaaaaaa_0_10_0.5.jpg"), 64, 48);
    write_image(&root.join("llp/frames/aaaaaaaaaaa_0_10_1.5.jpg"), 64, 48);
    write_wav(&root.join("llp/audios/b_bbbbbbbbb_30_40.wav"), 8_000, 80_000);
}

#[test]
fn check_media_rejects_missing_media_and_takes_durations_from_wavs() {
    let media = common::tempdir().unwrap();
    llp_media(media.path());
    let out = out_dir("check-media-llp");
    let root = media.path().to_str().unwrap();
    avfit_ok(&[
        "convert",
        "--source",
        "llp",
        "--input",
        "tests/data/llp",
        "--out",
        out.to_str().unwrap(),
        "--media-root",
        root,
        "--check-media",
        "--quiet",
    ]);
    check_output(&out);
    // Speech [0,10) ends 0.05 s past the 9.95 s WAV: clamped to it, and the duration is the WAV's.
    let speech = sample(&out, "llp/aaaaaaaaaaa_0_10/Speech/igatl");
    assert_eq!(
        speech["target"],
        json!({"label": "Speech", "segments": [[0.0, 9.95]], "duration": 9.95})
    );
    assert_eq!(speech["answer"], "[0.0,9.9]");
    let dog = sample(&out, "llp/aaaaaaaaaaa_0_10/Dog/igatl");
    assert_eq!(dog["target"]["segments"], json!([[0.0, 5.0], [7.0, 9.0]]));
    assert_eq!(dog["target"]["duration"], 9.95);
    assert_eq!(samples(&out).len(), 2);
    let missing = rejects(&out)
        .into_iter()
        .find(|r| r["reason"] == "missing_media")
        .unwrap();
    let frame = media.path().join("llp/frames/b_bbbbbbbbb_30_40_5.0.jpg");
    assert_eq!(missing["line"], 6);
    assert!(
        missing["detail"]
            .as_str()
            .unwrap()
            .starts_with(&format!("b_bbbbbbbbb_30_40/Frying_(food): {}", frame.display())),
        "{missing}"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let llp = &manifest["sources"]["llp"];
    assert_eq!(
        (llp["read"].as_u64(), llp["used"].as_u64(), llp["rejected"].as_u64()),
        (Some(9), Some(4), Some(5))
    );
}

#[test]
fn a_media_root_without_check_only_reads_durations() {
    let media = common::tempdir().unwrap();
    llp_media(media.path());
    let out = out_dir("media-root-llp");
    let root = media.path().to_str().unwrap();
    avfit_ok(&[
        "convert",
        "--source",
        "llp",
        "--input",
        "tests/data/llp",
        "--out",
        out.to_str().unwrap(),
        "--media-root",
        root,
        "--quiet",
        "--dialect",
        "vtimellm",
    ]);
    check_output(&out);
    assert_eq!(samples(&out).len(), 3);
    // The 10 s WAV of b_bbbbbbbbb_30_40: Frying [2,6) of 10 s → from 20 to 60.
    let frying = sample(&out, "llp/b_bbbbbbbbb_30_40/Frying_(food)/igatl");
    assert_eq!(frying["target"]["duration"], 10.0);
    assert_eq!(frying["answer"], "from 20 to 60");
    // 9.95 s: 100 * 5 / 9.95 = 50.25 → 50, 100 * 7 / 9.95 = 70.35 → 70, 100 * 9 / 9.95 = 90.45 → 90.
    assert_eq!(
        sample(&out, "llp/aaaaaaaaaaa_0_10/Dog/igatl")["answer"],
        "from 00 to 50; from 70 to 90"
    );
}

#[test]
fn an_unreadable_wav_is_missing_media_and_a_short_wav_rejects_late_segments() {
    let media = common::tempdir().unwrap();
    llp_media(media.path());
    // Replace clip b's WAV by garbage and clip a's by a 4 s WAV: Dog [7,9) starts after its end.
    std::fs::write(
        media.path().join("llp/audios/b_bbbbbbbbb_30_40.wav"),
        b"RIFF....garbage",
    )
    .unwrap();
    write_image(&media.path().join("llp/frames/b_bbbbbbbbb_30_40_5.0.jpg"), 64, 48);
    write_wav(&media.path().join("llp/audios/aaaaaaaaaaa_0_10.wav"), 1_000, 4_000);
    let out = common::tempdir().unwrap();
    let target = out.path().join("o");
    let root = media.path().to_str().unwrap();
    let run = avfit(&[
        "convert",
        "--source",
        "llp",
        "--input",
        "tests/data/llp",
        "--out",
        target.to_str().unwrap(),
        "--media-root",
        root,
        "--check-media",
        "--quiet",
    ]);
    assert!(run.status.success());
    let reasons: Vec<String> = rejects(&target)
        .iter()
        .map(|r| r["reason"].as_str().unwrap().to_string())
        .collect();
    // One line per record: Dog (3 rows) and Speech (1 row) of clip a.
    assert_eq!(
        reasons.iter().filter(|r| *r == "segment_out_of_range").count(),
        2,
        "{reasons:?}"
    );
    assert_eq!(
        reasons.iter().filter(|r| *r == "missing_media").count(),
        1,
        "{reasons:?}"
    );
    assert_eq!(samples(&target).len(), 0);
}

#[test]
fn the_media_root_must_be_a_directory() {
    let run = avfit(&[
        "convert",
        "--source",
        "llp",
        "--input",
        "tests/data/llp",
        "--out",
        "target/never",
        "--media-root",
        "Cargo.toml",
    ]);
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&run.stderr),
        "avfit: Cargo.toml: --media-root must be a directory\n"
    );
}

#[test]
fn check_media_needs_a_media_root() {
    let run = avfit(&[
        "convert",
        "--source",
        "llp",
        "--input",
        "tests/data/llp",
        "--out",
        "target/never",
        "--check-media",
    ]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("--media-root"));
}

/// A valid start of an MP4: a 24-byte `ftyp` box (brand `isom`, compatible `isom`, `mp41`).
const TINY_MP4: &[u8] = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41";

#[test]
fn video_headers_by_container() {
    use avfit::media::{video_header, VideoContainer};
    let tmp = common::tempdir().unwrap();
    let file = |name: &str, bytes: &[u8]| {
        let path = tmp.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let err = |name: &str, why: &str| Err(format!("{}: {why}", tmp.path().join(name).display()));
    assert_eq!(video_header(&file("a.mp4", TINY_MP4)), Ok(VideoContainer::IsoBmff));
    // QuickTime files may open with `wide` or `mdat`; size 0 runs to the end of the file, size 1
    // has a 64-bit size after the type.
    assert_eq!(
        video_header(&file("b.MOV", b"\x00\x00\x00\x08wide")),
        Ok(VideoContainer::IsoBmff)
    );
    assert_eq!(
        video_header(&file("c.mp4", b"\x00\x00\x00\x00mdat")),
        Ok(VideoContainer::IsoBmff)
    );
    assert_eq!(
        video_header(&file("d.mp4", b"\x00\x00\x00\x01mdat\x00\x00\x00\x00\x00\x00\x00\x10")),
        Ok(VideoContainer::IsoBmff)
    );
    let no_box = "no ISO-BMFF box header (expected a box size and a type such as `ftyp`)";
    assert_eq!(
        video_header(&file("e.mp4", b"\x00\x00\x00\x01mdat\x00\x00\x00\x00\x00\x00\x00\x08")),
        err("e.mp4", no_box)
    );
    assert_eq!(
        video_header(&file("f.mp4", b"\x00\x00\x00\x04ftyp")),
        err("f.mp4", no_box)
    );
    assert_eq!(
        video_header(&file("g.mp4", b"<html>not found</html>")),
        err("g.mp4", no_box)
    );
    assert_eq!(video_header(&file("h.mp4", b"\x00\x00")), err("h.mp4", no_box));
    assert_eq!(video_header(&file("i.mp4", b"")), err("i.mp4", "empty file"));
    assert_eq!(video_header(&tmp.path().join("j.mp4")), err("j.mp4", "no such file"));
    assert_eq!(
        video_header(&file("k.webm", b"\x1a\x45\xdf\xa3\x01")),
        Ok(VideoContainer::Matroska)
    );
    assert_eq!(
        video_header(&file("l.mkv", b"\x1a\x45\xdf\xa3")),
        Ok(VideoContainer::Matroska)
    );
    assert_eq!(
        video_header(&file("m.mkv", TINY_MP4)),
        err("m.mkv", "no EBML header (expected 1A 45 DF A3)")
    );
    assert_eq!(
        video_header(&file("n.avi", b"RIFF\x04\x00\x00\x00AVI LIST")),
        Ok(VideoContainer::Avi)
    );
    assert_eq!(
        video_header(&file("o.avi", b"RIFF\x04\x00\x00\x00WAVEfmt ")),
        err("o.avi", "no RIFF AVI header (expected `RIFF`, a size, `AVI `)")
    );
    assert_eq!(video_header(&file("p.flv", b"FLV")), Ok(VideoContainer::Unknown));
    assert_eq!(video_header(&file("q", b"x")), Ok(VideoContainer::Unknown));
    assert_eq!(video_header(&file("r.flv", b"")), err("r.flv", "empty file"));
}

/// VALOR inputs with four clips whose frame and WAV are there and whose videos are: a valid MP4
/// header, missing, empty, garbage. Returns (the annotation directory, the media root).
fn valor_with_videos() -> (common::TempDir, common::TempDir) {
    let input = common::tempdir().unwrap();
    let ids = ["aaaaaaaaaaa", "bbbbbbbbbbb", "ccccccccccc", "ddddddddddd"].map(|y| format!("{y}_0.000_10.000"));
    let items: Vec<String> = ids
        .iter()
        .map(|id| format!(r#"{{"video_id": "{id}", "desc": "A dog barks at {id}."}}"#))
        .collect();
    std::fs::write(input.path().join("desc_train.json"), format!("[{}]", items.join(", "))).unwrap();
    let media = common::tempdir().unwrap();
    for id in &ids {
        write_image(&media.path().join(format!("valor/frames/{id}.jpg")), 8, 8);
        write_wav(&media.path().join(format!("valor/audios/{id}.wav")), 8_000, 80_000);
    }
    let video = |id: &str| media.path().join(format!("valor/videos/{id}.mp4"));
    std::fs::create_dir_all(media.path().join("valor/videos")).unwrap();
    std::fs::write(video(&ids[0]), TINY_MP4).unwrap();
    std::fs::write(video(&ids[2]), b"").unwrap();
    std::fs::write(video(&ids[3]), b"garbage, not a video").unwrap();
    (input, media)
}

#[test]
fn check_media_checks_videos_as_validate_does() {
    let (input, media) = valor_with_videos();
    let video = |y: &str| {
        media
            .path()
            .join(format!("valor/videos/{y}_0.000_10.000.mp4"))
            .display()
            .to_string()
    };
    let file = input.path().join("desc_train.json").display().to_string();
    let no_box = "no ISO-BMFF box header (expected a box size and a type such as `ftyp`)";

    // The build's check rejects the three bad videos, with the path and why.
    let out = out_dir("check-media-valor-videos");
    avfit_ok(&[
        "convert",
        "--source",
        "valor",
        "--input",
        input.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--media-root",
        media.path().to_str().unwrap(),
        "--check-media",
        "--quiet",
    ]);
    check_output(&out);
    let kept: Vec<_> = samples(&out)
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kept, vec!["valor/aaaaaaaaaaa_0.000_10.000/avc"]);
    let reject = |index: u64, y: &str, why: &str| {
        json!({"source": "valor", "file": file, "index": index, "reason": "missing_media",
               "detail": format!("{y}_0.000_10.000: {}: {why}", video(y))})
    };
    assert_eq!(
        rejects(&out),
        vec![
            reject(1, "bbbbbbbbbbb", "no such file"),
            reject(2, "ccccccccccc", "empty file"),
            reject(3, "ddddddddddd", no_box),
        ]
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let valor = &manifest["sources"]["valor"];
    assert_eq!(
        (&valor["read"], &valor["used"], &valor["rejected"]),
        (&json!(4), &json!(1), &json!(3))
    );
    let run = avfit(&[
        "validate",
        out.to_str().unwrap(),
        "--media-root",
        media.path().to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stdout));

    // Built without the check, the same three samples fail `validate --media-root`, for the
    // same reasons.
    let unchecked = out_dir("unchecked-valor-videos");
    avfit_ok(&[
        "convert",
        "--source",
        "valor",
        "--input",
        input.path().to_str().unwrap(),
        "--out",
        unchecked.to_str().unwrap(),
        "--quiet",
    ]);
    let run = avfit(&[
        "validate",
        unchecked.to_str().unwrap(),
        "--media-root",
        media.path().to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(1));
    let shard = "train/avc/valor-00000-of-00001.jsonl";
    let line =
        |n: u32, y: &str, why: &str| format!("  {shard}:{n}: valor/{y}_0.000_10.000/avc: video {}: {why}", video(y));
    assert_eq!(
        String::from_utf8_lossy(&run.stdout).lines().take(4).collect::<Vec<_>>(),
        vec![
            "missing_media: 3".to_string(),
            line(2, "bbbbbbbbbbb", "no such file"),
            line(3, "ccccccccccc", "empty file"),
            line(4, "ddddddddddd", no_box),
        ]
    );
}
