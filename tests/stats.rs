//! `avfit stats`: the figures of the sample build, leakage and duplicates made by the test, and
//! the HTML report in a real headless browser.

mod common;

use common::{avfit, avfit_ok, out_dir};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

fn build(out: &Path) {
    avfit_ok(&["build", "--out", out.to_str().unwrap(), "--quiet"]);
}

fn stats_json(dir: &Path) -> Value {
    let tmp = common::tempdir().unwrap();
    let json = tmp.path().join("stats.json");
    avfit_ok(&["stats", dir.to_str().unwrap(), "--json", json.to_str().unwrap()]);
    serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap()
}

#[test]
fn the_sample_build_counts_equal_the_manifest_and_strict_passes() {
    let out = out_dir("stats-sample");
    build(&out);
    let stats = stats_json(&out);
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    for row in stats["counts"].as_array().unwrap() {
        let key = format!(
            "{}/{}/{}",
            row["split"].as_str().unwrap(),
            row["task"].as_str().unwrap(),
            row["source"].as_str().unwrap()
        );
        assert_eq!(row["count"], manifest["counts"][&key], "{key}");
        assert_eq!(row["expected"], manifest["expected"][&key], "{key}");
        assert_eq!(row["difference"], 0, "{key}");
    }
    assert_eq!(stats["samples"], common::sample_figures().samples);
    assert_eq!(stats["leakage"], json!({"count": 0, "examples": []}));
    assert_eq!(stats["duplicates"], json!({"count": 0, "examples": []}));
    assert_eq!(stats["ambiguous"], json!({"count": 0, "examples": []}));
    let rejects = stats["rejects"].as_array().unwrap();
    let vggss_range = rejects
        .iter()
        .find(|r| r["source"] == "vggss" && r["reason"] == "box_out_of_range")
        .unwrap();
    assert_eq!(vggss_range["count"], 1);
    assert_eq!(
        vggss_range["examples"][0],
        "tests/data/vggss/vggss.json[2]: cc_cccccccc_000123: box [0.1, 0.2, -2.8823037615171176e16, 0.9]"
    );
    let skip = stats["skips"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["source"] == "music_avqa" && r["reason"] == "synthetic_video")
        .unwrap();
    assert_eq!(skip["count"], 1);
    let types = &stats["avqa"]["question_types"];
    // AVSD's three dialog turns, then AVQA's and MUSIC-AVQA's types, most frequent first.
    assert_eq!(
        types,
        &json!([
            ["dialog", 3],
            ["Which", 2],
            ["Audio-Visual/Comparative", 1],
            ["Audio-Visual/Counting", 1],
            ["Audio-Visual/Existential", 1],
            ["Audio/Counting", 1],
            ["Visual/Location", 1],
            ["Where", 1]
        ])
    );
    let run = avfit_ok(&["stats", out.to_str().unwrap(), "--strict"]);
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(
        text.contains("test   arig   vggss                                3         3       +0"),
        "{text}"
    );
    assert!(text.contains("leakage: 0 groups in both splits"));
}

#[test]
fn segments_and_boxes_are_binned_exactly() {
    let out = out_dir("stats-llp");
    avfit_ok(&[
        "convert",
        "--source",
        "llp",
        "--input",
        "tests/data/llp",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    let stats = stats_json(&out);
    // Segments [0,5) [7,9) [0,10) [2,6): durations 5, 2, 10, 4 and starts 0, 7, 0, 2.
    let bins = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .filter(|b| b[1] != 0)
            .map(|b| (b[0].as_str().unwrap().to_string(), b[1].as_u64().unwrap()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        bins(&stats["segments"]["duration"]),
        [("2–3", 1), ("4–5", 1), ("5–6", 1), ("9–10", 1)].map(|(a, b)| (a.to_string(), b))
    );
    assert_eq!(
        bins(&stats["segments"]["start"]),
        [("0–1", 2), ("2–3", 1), ("7–8", 1)].map(|(a, b)| (a.to_string(), b))
    );
    // Coverage: Dog 7/10, Speech 10/10, Frying 4/10.
    assert_eq!(
        bins(&stats["segments"]["coverage"]),
        [("0.4–0.5", 1), ("0.7–0.8", 1), ("0.9–1", 1)].map(|(a, b)| (a.to_string(), b))
    );

    let out = out_dir("stats-vggss");
    avfit_ok(&[
        "convert",
        "--source",
        "vggss",
        "--input",
        "tests/data/vggss",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    let stats = stats_json(&out);
    // Boxes [0.25,0.125,0.75,0.875] (area 0.375, aspect 0.5/0.75), [0,0.5,0.5,1] (0.25, 1),
    // [0.0625,0,0.9375,0.5] (0.4375, 1.75), [0.3,0.3,0.6,0.6] (0.09, 1).
    assert_eq!(
        bins(&stats["boxes"]["area"]),
        [("0.05–0.1", 1), ("0.25–0.5", 3)].map(|(a, b)| (a.to_string(), b))
    );
    assert_eq!(
        bins(&stats["boxes"]["aspect"]),
        [("0.5–1", 1), ("1–2", 3)].map(|(a, b)| (a.to_string(), b))
    );
    assert_eq!(stats["boxes"]["per_sample"], json!([["1", 2], ["2", 1]]));
    // Centres (0.5,0.5) → row 5 col 5; (0.25,0.75) → row 7 col 2; (0.5,0.25) → row 2 col 5; (0.45,0.45) → row 4 col 4.
    let grid = &stats["boxes"]["centres"];
    assert_eq!(
        (
            grid[5][5].as_u64(),
            grid[7][2].as_u64(),
            grid[2][5].as_u64(),
            grid[4][4].as_u64()
        ),
        (Some(1), Some(1), Some(1), Some(1))
    );
}

/// Rewrites every shard line of `dir` through `edit` and can append copies.
fn edit_shard(path: &Path, edit: impl Fn(&mut Vec<String>)) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    edit(&mut lines);
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

#[test]
fn leakage_and_duplicates_fail_strict() {
    let tmp = common::tempdir().unwrap();
    let out = tmp.path().join("corpus");
    build(&out);
    // A train VALOR sample now uses the YouTube id of a test VGG-SS clip.
    edit_shard(&out.join("train/avc/valor-00000-of-00001.jsonl"), |lines| {
        let mut v: Value = serde_json::from_str(&lines[0]).unwrap();
        v["groups"] = json!(["yt:aaaaaaaaaaa"]);
        lines[0] = v.to_string();
    });
    let run = avfit(&["stats", out.to_str().unwrap(), "--strict"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stdout).contains(
        "leakage: 1 groups in both splits (e.g. yt:aaaaaaaaaaa (train valor/vvvvvvvvvvv_0.000_10.000/avc, test pascal_sound/000020/cat/arig))"
    ));
    assert_eq!(
        String::from_utf8_lossy(&run.stderr),
        "avfit: --strict: 1 groups in both splits, 0 duplicate samples, 0 ambiguous groups\n"
    );

    let out2 = tmp.path().join("corpus2");
    build(&out2);
    // A copy of a grounding sample is a duplicate; a copy of a caption sample is not (several
    // captions of one clip are several right answers, so captioning is left out).
    edit_shard(&out2.join("test/arig/pascal_sound-00000-of-00001.jsonl"), |lines| {
        let copy = lines[0].clone();
        lines.push(copy);
    });
    edit_shard(&out2.join("test/avc/valor-00000-of-00001.jsonl"), |lines| {
        let copy = lines[0].clone();
        lines.push(copy);
    });
    let stats = stats_json(&out2);
    assert_eq!(
        stats["duplicates"],
        json!({"count": 1, "examples": ["pascal_sound/000010/dog/arig ×2"]})
    );
    let run = avfit(&["stats", out2.to_str().unwrap(), "--strict"]);
    assert_eq!(run.status.code(), Some(1));
}

fn chromium() -> Option<PathBuf> {
    common::find_program(&["chromium", "chromium-browser", "google-chrome"])
}

#[test]
fn the_html_report_renders_its_table_and_every_chart_in_a_browser() {
    let out = out_dir("stats-report");
    build(&out);
    let media = out_dir("stats-report-media");
    // Images for the VGG-SS samples, so the gallery draws their boxes.
    for key in ["aaaaaaaaaaa_000010", "-bbbbbbbbbb_000000", "cc_cccccccc_000123"] {
        let path = media.join(format!("vggss/frames/{key}.jpg"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        image::RgbImage::from_fn(320, 240, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]))
            .save(&path)
            .unwrap();
    }
    let html = common::repo().join("target/report.html");
    // A report of an avfit from before the generator tag would be refused as not avfit's.
    let _ = std::fs::remove_file(&html);
    avfit_ok(&[
        "stats",
        out.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
        "--media-root",
        media.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(
        !text.contains("<script src") && !text.contains("<link "),
        "the report must need no network resource"
    );
    assert_eq!(text.matches(r#"<figure class="chart""#).count(), 14);
    assert_eq!(text.matches(r#"class="tile""#).count(), 3);

    let Some(browser) = common::require_tool(
        "the_html_report_renders_its_table_and_every_chart_in_a_browser",
        "BROWSER",
        chromium,
    ) else {
        return;
    };
    let profile = common::tempdir().unwrap();
    let flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
    ];
    let url = format!("file://{}", html.display());
    let dom = Command::new(&browser)
        .args(flags)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    assert!(dom.status.success(), "{}", String::from_utf8_lossy(&dom.stderr));
    let dom = String::from_utf8_lossy(&dom.stdout);
    // The count table with a row per split/task/source, and every chart with drawn bars.
    assert!(dom.contains(r#"<table id="counts">"#));
    let counts_table = &dom[dom.find(r#"<table id="counts">"#).unwrap()..];
    let counts_table = &counts_table[..counts_table.find("</table>").unwrap()];
    assert_eq!(counts_table.matches("<tr><td>").count(), common::sample_figures().rows);
    let figures: Vec<&str> = dom.split(r#"<figure class="chart""#).skip(1).collect();
    assert_eq!(figures.len(), 14, "a chart is missing");
    for f in &figures {
        let chart = &f[..f.find("</figure>").unwrap()];
        assert!(
            chart.contains("<svg") && chart.contains("<rect"),
            "a chart did not render: {}",
            &chart[..chart.len().min(200)]
        );
    }
    // Issue 16: the sample build's labels are all shown whole (none cut with "…"), and the
    // rejects chart's axis title lies below its rotated labels.
    assert!(!dom.contains('…'), "a label was cut");
    let rejects = figures
        .iter()
        .find(|f| f.starts_with(r#" id="chart-rejects""#))
        .unwrap();
    assert!(
        rejects.contains(">openimages_audioset_strong reversed_box</text>"),
        "{rejects}"
    );
    assert!(rejects.contains(r#"class="x-title""#));
    let shot = common::repo().join("target/report-screenshot.png");
    let _ = std::fs::remove_file(&shot);
    let run = Command::new(&browser)
        .args(flags)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1280,2400")
        .arg(&url)
        .output()
        .unwrap();
    assert!(
        run.status.success() && shot.is_file(),
        "no screenshot: {}",
        String::from_utf8_lossy(&run.stderr)
    );
}
