//! The self-contained HTML report of `avfit stats --html`: one file, no network resources,
//! rendered with Tera from `templates/report.html`, charts as inline SVG with labelled axes and,
//! with a media root, a gallery of grounding samples with their boxes drawn over embedded
//! thumbnails.

use crate::error::{Error, Result};
use crate::record::{Sample, Target};
use crate::stats::Stats;
use base64::Engine;
use std::fmt::Write;
use std::path::Path;

/// How many grounding samples the gallery shows at most.
pub const GALLERY_SIZE: usize = 36;
/// Thumbnail width in pixels.
pub const THUMBNAIL_WIDTH: u32 = 192;

const TEMPLATE: &str = include_str!("../templates/report.html");

/// One chart of the report.
#[derive(serde::Serialize)]
struct Chart {
    id: String,
    title: String,
    svg: String,
}

/// One gallery tile: an inline SVG with the thumbnail and the boxes.
#[derive(serde::Serialize)]
struct Tile {
    id: String,
    label: String,
    svg: String,
}

/// Escapes text for XML and HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A vertical bar chart of `(label, value)` with a title, labelled axes and ticks (whole numbers
/// when every value is whole), each bar's value in its tooltip, and "no data" when every value is 0.
pub fn bar_chart(title: &str, x_label: &str, y_label: &str, bars: &[(String, f64)]) -> String {
    let (width, height, left, bottom, top) = (560.0, 330.0, 90.0, 140.0, 16.0);
    let plot_w = width - left - 12.0;
    let plot_h = height - bottom - top;
    let whole = bars.iter().all(|b| b.1.fract() == 0.0);
    let raw_max = bars.iter().map(|b| b.1).fold(0.0, f64::max);
    let step = if whole {
        (raw_max / 4.0).ceil().max(1.0)
    } else {
        (raw_max / 4.0).max(f64::MIN_POSITIVE)
    };
    let max = step * 4.0;
    let mut svg = String::new();
    write!(svg, r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{}">"#, escape(title)).unwrap();
    write!(
        svg,
        r##"<line x1="{left}" y1="{top}" x2="{left}" y2="{}" stroke="#333"/>"##,
        top + plot_h
    )
    .unwrap();
    write!(
        svg,
        r##"<line x1="{left}" y1="{}" x2="{}" y2="{}" stroke="#333"/>"##,
        top + plot_h,
        left + plot_w,
        top + plot_h
    )
    .unwrap();
    for i in 0..=4 {
        let v = step * i as f64;
        let y = top + plot_h - plot_h * i as f64 / 4.0;
        write!(
            svg,
            r##"<text x="{}" y="{}" font-size="10" text-anchor="end">{}</text>"##,
            left - 4.0,
            y + 3.0,
            format_number(v)
        )
        .unwrap();
        write!(
            svg,
            r##"<line x1="{left}" y1="{y}" x2="{}" y2="{y}" stroke="#ddd"/>"##,
            left + plot_w
        )
        .unwrap();
    }
    if raw_max == 0.0 {
        write!(
            svg,
            r##"<text class="no-data" x="{}" y="{}" font-size="14" text-anchor="middle" fill="#888">no data</text>"##,
            left + plot_w / 2.0,
            top + plot_h / 2.0
        )
        .unwrap();
    }
    let n = bars.len().max(1) as f64;
    let slot = plot_w / n;
    for (i, (label, value)) in bars.iter().enumerate() {
        let h = plot_h * value / max;
        let x = left + slot * i as f64 + slot * 0.1;
        write!(
            svg,
            r##"<rect class="bar" x="{x:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="#4878a8"><title>{}: {}</title></rect>"##,
            top + plot_h - h,
            slot * 0.8,
            escape(label),
            format_number(*value)
        )
        .unwrap();
        let cx = x + slot * 0.4;
        let ly = top + plot_h + 10.0;
        write!(svg, r##"<text x="{cx:.1}" y="{ly}" font-size="9" text-anchor="end" transform="rotate(-60 {cx:.1} {ly})">{}</text>"##, escape(&shorten(label, 28))).unwrap();
    }
    write!(
        svg,
        r##"<text x="{}" y="{}" font-size="11" text-anchor="middle">{}</text>"##,
        left + plot_w / 2.0,
        height - 4.0,
        escape(x_label)
    )
    .unwrap();
    write!(
        svg,
        r##"<text x="14" y="{}" font-size="11" text-anchor="middle" transform="rotate(-90 14 {})">{}</text>"##,
        top + plot_h / 2.0,
        top + plot_h / 2.0,
        escape(y_label)
    )
    .unwrap();
    svg.push_str("</svg>");
    svg
}

/// A 10 × 10 heat map of box centres, the image's top at the top.
pub fn heat_map(grid: &[Vec<u64>]) -> String {
    let max = grid.iter().flatten().copied().max().unwrap_or(0).max(1) as f64;
    let (cell, left, top) = (22.0, 40.0, 10.0);
    let mut svg = String::new();
    write!(svg, r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 290 270" width="290" height="270" role="img" aria-label="box centres">"#).unwrap();
    for (r, row) in grid.iter().enumerate() {
        for (c, n) in row.iter().enumerate() {
            let shade = (255.0 - 200.0 * (*n as f64 / max)).round();
            write!(
                svg,
                r##"<rect class="bar" x="{}" y="{}" width="{cell}" height="{cell}" fill="rgb({shade},{shade},255)" stroke="#fff"><title>x {}–{}, y {}–{}: {n}</title></rect>"##,
                left + cell * c as f64,
                top + cell * r as f64,
                c as f64 / 10.0,
                (c + 1) as f64 / 10.0,
                r as f64 / 10.0,
                (r + 1) as f64 / 10.0
            )
            .unwrap();
        }
    }
    write!(
        svg,
        r##"<rect x="{left}" y="{top}" width="{}" height="{}" fill="none" stroke="#333"/>"##,
        cell * 10.0,
        cell * 10.0
    )
    .unwrap();
    for (i, tick) in ["0", "0.5", "1"].iter().enumerate() {
        let offset = cell * 5.0 * i as f64;
        write!(
            svg,
            r#"<text x="{}" y="{}" font-size="9" text-anchor="middle">{tick}</text>"#,
            left + offset,
            top + cell * 10.0 + 11.0
        )
        .unwrap();
        write!(
            svg,
            r#"<text x="{}" y="{}" font-size="9" text-anchor="end">{tick}</text>"#,
            left - 3.0,
            top + offset + 3.0
        )
        .unwrap();
    }
    if grid.iter().flatten().all(|n| *n == 0) {
        write!(
            svg,
            r##"<text class="no-data" x="{}" y="{}" font-size="14" text-anchor="middle" fill="#888">no data</text>"##,
            left + cell * 5.0,
            top + cell * 5.0
        )
        .unwrap();
    }
    write!(svg, r#"<text x="150" y="260" font-size="11" text-anchor="middle">box centre x (0 left – 1 right), darker = more</text>"#).unwrap();
    write!(svg, r#"<text x="14" y="120" font-size="11" text-anchor="middle" transform="rotate(-90 14 120)">centre y (0 top – 1 bottom)</text>"#).unwrap();
    svg.push_str("</svg>");
    svg
}

fn format_number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// `label` cut to `max` characters in the middle, keeping both ends (`test/arig/ope…audioset_strong`).
fn shorten(label: &str, max: usize) -> String {
    let chars: Vec<char> = label.chars().collect();
    if chars.len() <= max {
        return label.to_string();
    }
    let head = max / 3;
    let tail = max - head - 1;
    format!(
        "{}…{}",
        chars[..head].iter().collect::<String>(),
        chars[chars.len() - tail..].iter().collect::<String>()
    )
}

/// A gallery tile for an ARIG sample whose image is under `media_root`, or `None` when the image
/// cannot be read, is too large ([`crate::media::decode_image`]) or its path is absolute or has a
/// `..` component ([`crate::media::media_path`]).
fn tile(sample: &Sample, media_root: &Path) -> Option<Tile> {
    let Target::Arig { label, boxes } = &sample.target else {
        return None;
    };
    let path = crate::media::media_path(media_root, sample.image.as_ref()?).ok()?;
    let image = crate::media::decode_image(&path, crate::media::MAX_IMAGE_SIDE).ok()?;
    let thumb = image.thumbnail(THUMBNAIL_WIDTH, THUMBNAIL_WIDTH * 4);
    let (w, h) = (thumb.width() as f64, thumb.height() as f64);
    let mut jpeg = Vec::new();
    thumb
        .to_rgb8()
        .write_to(&mut std::io::Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
        .ok()?;
    let data = base64::engine::general_purpose::STANDARD.encode(&jpeg);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}"><image href="data:image/jpeg;base64,{data}" width="{w}" height="{h}"/>"#
    );
    for b in boxes {
        write!(
            svg,
            r##"<rect class="box" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="none" stroke="#ff2a2a" stroke-width="2"/>"##,
            b.x0() * w,
            b.y0() * h,
            (b.x1() - b.x0()) * w,
            (b.y1() - b.y0()) * h
        )
        .unwrap();
    }
    svg.push_str("</svg>");
    Some(Tile {
        id: sample.id.clone(),
        label: label.clone(),
        svg,
    })
}

/// The tag by which an earlier `avfit stats --html` report is recognized (and replaced): it is
/// in the report's `<head>`, within its first 512 bytes.
pub const GENERATOR: &str = r#"<meta name="generator" content="avfit stats">"#;

/// `avfit stats --html`: a file with [`GENERATOR`] in its first 512 bytes.
pub const HTML_FILE: crate::outdir::ReportFile = crate::outdir::ReportFile {
    command: "avfit stats --html",
    recognizes: |bytes| {
        bytes[..bytes.len().min(512)]
            .windows(GENERATOR.len())
            .any(|w| w == GENERATOR.as_bytes())
    },
};

/// Writes the HTML report of `stats` for the corpus in `dir` to `path` (through
/// [`crate::outdir::write_report`]: a new file renamed over an earlier report); with
/// `media_root`, a gallery of up to [`GALLERY_SIZE`] grounding samples whose images it finds
/// there.
///
/// Errors: `path` may not receive a report ([`crate::outdir::check_report_target`]), a shard
/// cannot be read (gallery), the template fails to render, the file cannot be written.
pub fn write_html(stats: &Stats, dir: &Path, media_root: Option<&Path>, path: &Path) -> Result<()> {
    let mut charts = Vec::new();
    let mut chart = |id: &str, title: &str, svg: String| {
        charts.push(Chart {
            id: id.into(),
            title: title.into(),
            svg,
        })
    };
    let counts: Vec<(String, f64)> = stats
        .counts
        .iter()
        .map(|r| (format!("{}/{}/{}", r.split, r.task, r.source), r.count as f64))
        .collect();
    chart(
        "counts",
        "Samples per split, task and source",
        bar_chart(
            "Samples per split, task and source",
            "split/task/source",
            "samples",
            &counts,
        ),
    );
    let to_f = |v: &[(String, u64)]| v.iter().map(|(l, n)| (l.clone(), *n as f64)).collect::<Vec<_>>();
    let lengths: Vec<(String, f64)> = stats.answer_length.iter().map(|r| (r.task.clone(), r.mean)).collect();
    chart(
        "answer-length",
        "Mean answer length per task",
        bar_chart("Mean answer length per task", "task", "characters", &lengths),
    );
    let shares: Vec<(String, f64)> = stats.templates.iter().map(|t| (t.template.clone(), t.share)).collect();
    chart(
        "templates",
        "Template share within each task",
        bar_chart(
            "Template share within each task",
            "template",
            "share of the task",
            &shares,
        ),
    );
    chart(
        "boxes-per-sample",
        "Boxes per grounding sample",
        bar_chart(
            "Boxes per grounding sample",
            "boxes in a sample",
            "samples",
            &to_f(&stats.boxes.per_sample),
        ),
    );
    chart(
        "box-area",
        "Box area",
        bar_chart(
            "Box area",
            "area (fraction of the image)",
            "boxes",
            &to_f(&stats.boxes.area),
        ),
    );
    chart(
        "box-aspect",
        "Box aspect ratio",
        bar_chart(
            "Box aspect ratio",
            "width / height (normalized)",
            "boxes",
            &to_f(&stats.boxes.aspect),
        ),
    );
    chart("box-centres", "Box centres", heat_map(&stats.boxes.centres));
    chart(
        "segment-duration",
        "Segment duration",
        bar_chart(
            "Segment duration",
            "seconds",
            "segments",
            &to_f(&stats.segments.duration),
        ),
    );
    chart(
        "segment-start",
        "Segment start",
        bar_chart("Segment start", "seconds", "segments", &to_f(&stats.segments.start)),
    );
    chart(
        "segment-coverage",
        "Clip coverage",
        bar_chart(
            "Clip coverage",
            "fraction of the clip",
            "samples",
            &to_f(&stats.segments.coverage),
        ),
    );
    chart(
        "avqa-answers",
        "Most frequent AVQA answers",
        bar_chart(
            "Most frequent AVQA answers",
            "answer",
            "questions",
            &to_f(&stats.avqa.answers),
        ),
    );
    chart(
        "avqa-types",
        "AVQA question types",
        bar_chart(
            "AVQA question types",
            "question type",
            "questions",
            &to_f(&stats.avqa.question_types),
        ),
    );
    let verdicts: Vec<(String, f64)> = stats
        .avfc
        .iter()
        .flat_map(|v| {
            [
                (format!("{} type {} true", v.split, v.kind), v.true_claims as f64),
                (format!("{} type {} false", v.split, v.kind), v.false_claims as f64),
            ]
        })
        .collect();
    chart(
        "avfc",
        "AVFC verdicts per type",
        bar_chart("AVFC verdicts per type", "split, type, verdict", "samples", &verdicts),
    );
    let rejects: Vec<(String, f64)> = stats
        .rejects
        .iter()
        .map(|r| (format!("{} {}", r.source, r.reason), r.count as f64))
        .collect();
    chart(
        "rejects",
        "Rejects by source and reason",
        bar_chart("Rejects by source and reason", "source and reason", "lines", &rejects),
    );

    let mut gallery = Vec::new();
    if let Some(root) = media_root {
        'shards: for split in ["test", "train"] {
            let arig = dir.join(split).join("arig");
            if !arig.is_dir() {
                continue;
            }
            for entry in walkdir::WalkDir::new(&arig).sort_by_file_name().into_iter().flatten() {
                if !entry.file_type().is_file() {
                    continue;
                }
                let text = std::fs::read_to_string(entry.path()).map_err(|e| Error::io(entry.path(), e))?;
                for line in text.lines() {
                    if let Some(t) = serde_json::from_str::<Sample>(line).ok().and_then(|s| tile(&s, root)) {
                        gallery.push(t);
                        if gallery.len() >= GALLERY_SIZE {
                            break 'shards;
                        }
                    }
                }
            }
        }
    }
    let mut context = tera::Context::new();
    context.insert("dir", &dir.display().to_string());
    context.insert("stats", stats);
    context.insert("charts", &charts);
    context.insert("gallery", &gallery);
    context.insert("gallery_size", &GALLERY_SIZE);
    context.insert("media_root", &media_root.map(|p| p.display().to_string()));
    let html = tera::Tera::one_off(TEMPLATE, &context, true).map_err(|e| Error::Template {
        file: "templates/report.html".into(),
        id: "report".into(),
        message: e.to_string(),
    })?;
    crate::outdir::write_report(path, &HTML_FILE, html.as_bytes())
}
