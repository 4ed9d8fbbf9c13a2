//! Media probing and `--check-media`, on image and WAV files the tests write.

mod common;

use avfit::media::{image_size, wav_info, WavInfo};
use common::{avfit, avfit_ok, check_output, out_dir, rejects, sample, samples, write_image, write_wav};
use serde_json::json;
use std::path::Path;

#[test]
fn image_size_and_wav_duration_from_headers() {
    let tmp = tempfile::tempdir().unwrap();
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
    let media = tempfile::tempdir().unwrap();
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
    let media = tempfile::tempdir().unwrap();
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
    let media = tempfile::tempdir().unwrap();
    llp_media(media.path());
    // Replace clip b's WAV by garbage and clip a's by a 4 s WAV: Dog [7,9) starts after its end.
    std::fs::write(
        media.path().join("llp/audios/b_bbbbbbbbb_30_40.wav"),
        b"RIFF....garbage",
    )
    .unwrap();
    write_image(&media.path().join("llp/frames/b_bbbbbbbbb_30_40_5.0.jpg"), 64, 48);
    write_wav(&media.path().join("llp/audios/aaaaaaaaaaa_0_10.wav"), 1_000, 4_000);
    let out = tempfile::tempdir().unwrap();
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
