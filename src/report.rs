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
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A vertical bar chart of `(label, value)` with a title, labelled axes and ticks, each bar's
/// value in its tooltip, and "no data" when every value is 0. Ticks fall on round steps
/// ([`round_step`]: 1, 2 or 5 × 10^k, whole when every value is whole). Labels are written in
/// full up to [`LABEL_MAX`] characters (longer ones cut in the middle, kept distinct), level when
/// they fit under their bar, else rotated; the space under the axis is sized to the longest label
/// and the axis title sits below it. Takes the title, the axis titles and the bars; returns SVG.
pub fn bar_chart(title: &str, x_label: &str, y_label: &str, bars: &[(String, f64)]) -> String {
    let (plot_w, plot_h, top) = (458.0, 174.0, 16.0);
    let whole = bars.iter().all(|b| b.1.fract() == 0.0);
    let raw_max = bars.iter().map(|b| b.1).fold(0.0, f64::max);
    let step = round_step(raw_max / 4.0, whole);
    let ticks = ((raw_max / step).ceil() as usize).clamp(1, 5);
    let max = step * ticks as f64;
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    let n = bars.len().max(1) as f64;
    let slot = plot_w / n;
    let labels = shorten_distinct(bars.iter().map(|b| b.0.as_str()), LABEL_MAX);
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f64;
    let label_px = longest * LABEL_CHAR_PX;
    // Level labels when each fits its slot; else rotated -60°: its extent below the axis is
    // the label's length times sin 60° plus its height times cos 60°.
    let level = label_px <= slot * 0.95;
    let extent = if level { 12.0 } else { label_px * 0.866 + 9.0 * 0.5 };
    // A rotated label reaches left of its bar by its length times cos 60°: the first one must
    // stay inside the chart.
    let left = if level {
        90.0
    } else {
        f64::max(90.0, label_px * 0.5 + 4.0 - slot * 0.5)
    };
    let width = left + plot_w + 12.0;
    let axis_y = top + plot_h;
    let title_y = axis_y + 10.0 + extent + 16.0;
    let height = (title_y + 6.0).ceil();
    let mut svg = String::new();
    write!(svg, r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{}">"#, escape(title)).unwrap();
    write!(
        svg,
        r##"<line x1="{left}" y1="{top}" x2="{left}" y2="{axis_y}" stroke="#333"/>"##
    )
    .unwrap();
    write!(
        svg,
        r##"<line x1="{left}" y1="{axis_y}" x2="{}" y2="{axis_y}" stroke="#333"/>"##,
        left + plot_w
    )
    .unwrap();
    for i in 0..=ticks {
        let v = step * i as f64;
        let y = axis_y - plot_h * i as f64 / ticks as f64;
        write!(
            svg,
            r##"<text x="{}" y="{}" font-size="10" text-anchor="end">{v:.decimals$}</text>"##,
            left - 4.0,
            y + 3.0
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
    for (i, ((label, value), shown)) in bars.iter().zip(&labels).enumerate() {
        let h = plot_h * value / max;
        let x = left + slot * i as f64 + slot * 0.1;
        write!(
            svg,
            r##"<rect class="bar" x="{x:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="#4878a8"><title>{}: {}</title></rect>"##,
            axis_y - h,
            slot * 0.8,
            escape(label),
            format_number(*value)
        )
        .unwrap();
        let cx = x + slot * 0.4;
        if level {
            let ly = axis_y + 12.0;
            write!(
                svg,
                r##"<text x="{cx:.1}" y="{ly}" font-size="9" text-anchor="middle">{}</text>"##,
                escape(shown)
            )
            .unwrap();
        } else {
            let ly = axis_y + 8.0;
            write!(svg, r##"<text x="{cx:.1}" y="{ly}" font-size="9" text-anchor="end" transform="rotate(-60 {cx:.1} {ly})">{}</text>"##, escape(shown)).unwrap();
        }
    }
    write!(
        svg,
        r##"<text class="x-title" x="{}" y="{title_y:.1}" font-size="11" text-anchor="middle">{}</text>"##,
        left + plot_w / 2.0,
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

/// The longest tick label written in full, in characters.
pub const LABEL_MAX: usize = 48;

/// Width of one character of a 9 px tick label, in px (a generous mean for sans-serif text).
const LABEL_CHAR_PX: f64 = 4.9;

/// The round tick step at or above `raw` (> 0): 1, 2 or 5 × 10^k; at least 1 when `whole`
/// (counts). `round_step(12.25, true)` is 20, `round_step(0.17, false)` 0.2. Returns 1 for a
/// `raw` of 0 (an empty chart).
pub fn round_step(raw: f64, whole: bool) -> f64 {
    if !(raw > 0.0) || !raw.is_finite() {
        return 1.0;
    }
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|s| *s >= raw * (1.0 - 1e-12))
        .unwrap_or(10.0 * power);
    if whole {
        step.max(1.0)
    } else {
        step
    }
}

/// Each label [`shorten`]ed to `max` characters, lengthening the cut until no cut label shows a
/// beginning another label also begins with: labels that would read alike (`openimage…ioset reversed_box`,
/// `openimage…trong reversed_box`, which differ only in what the ellipsis hides) are shown up to
/// their full length. Takes the labels and the first limit; returns the shown labels in order.
fn shorten_distinct<'a>(labels: impl Iterator<Item = &'a str>, max: usize) -> Vec<String> {
    let labels: Vec<&str> = labels.collect();
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let mut limit = max;
    loop {
        let shown: Vec<String> = labels.iter().map(|l| shorten(l, limit)).collect();
        // A cut label is alike another when that one (cut or whole) begins with its head.
        let alike = shown.iter().enumerate().any(|(i, s)| {
            s.split_once('…').is_some_and(|(head, _)| {
                labels
                    .iter()
                    .enumerate()
                    .any(|(j, other)| j != i && other.starts_with(head))
            })
        });
        if !alike || limit >= longest {
            return shown;
        }
        limit += 4;
    }
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

/// `label` cut to `max` characters in the middle, keeping both ends (`test/arig/ope…audioset_strong`):
/// a third of them before the ellipsis, the rest after it.
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

/// An inline SVG of the image at `path` as a [`THUMBNAIL_WIDTH`]-wide embedded JPEG with each
/// layer's normalized boxes `[x0,y0,x1,y1]` drawn over it in the layer's colour (`#ff2a2a`), or
/// `None` when the image cannot be read or is too large ([`crate::media::decode_image`]). Used by
/// `stats --html` and `eval --html`; callers resolve `path` with [`crate::media::media_path`].
pub fn boxes_over_image(path: &Path, layers: &[(&[[f64; 4]], &str)]) -> Option<String> {
    let image = crate::media::decode_image(path, crate::media::MAX_IMAGE_SIDE).ok()?;
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
    for (boxes, colour) in layers {
        for b in boxes.iter() {
            write!(
                svg,
                r##"<rect class="box" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="none" stroke="{colour}" stroke-width="2"/>"##,
                b[0] * w,
                b[1] * h,
                (b[2] - b[0]) * w,
                (b[3] - b[1]) * h
            )
            .unwrap();
        }
    }
    svg.push_str("</svg>");
    Some(svg)
}

/// A gallery tile for an ARIG sample whose image is under `media_root`, or `None` when the image
/// cannot be read, is too large ([`crate::media::decode_image`]) or its path is absolute or has a
/// `..` component ([`crate::media::media_path`]).
fn tile(sample: &Sample, media_root: &Path) -> Option<Tile> {
    let Target::Arig { label, boxes } = &sample.target else {
        return None;
    };
    let rects: Vec<[f64; 4]> = boxes.iter().map(|b| b.0).collect();
    let path = crate::media::media_path(media_root, sample.image.as_ref()?).ok()?;
    let svg = boxes_over_image(&path, &[(&rects, "#ff2a2a")])?;
    Some(Tile {
        id: sample.id.clone(),
        label: label.to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The numbers of an attribute `name="..."` of every element `tag` in `svg`, in order.
    fn attrs(svg: &str, tag: &str, name: &str) -> Vec<String> {
        svg.split(&format!("<{tag} "))
            .skip(1)
            .filter_map(|e| {
                e.split(&format!(" {name}=\""))
                    .nth(1)
                    .map(|v| v.split('"').next().unwrap().to_string())
            })
            .collect()
    }

    #[test]
    fn tick_steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(round_step(12.25, true), 20.0); // 49 samples: 0, 20, 40, 60
        assert_eq!(round_step(0.75, true), 1.0);
        assert_eq!(round_step(0.1675, false), 0.2); // shares up to 0.67: 0, 0.2, .., 0.8
        assert_eq!(round_step(0.05, false), 0.05);
        assert_eq!(round_step(3.0, true), 5.0);
        assert_eq!(round_step(0.0, true), 1.0);
        // Ticks of 49 samples: 0 20 40 60 (not 12.25 24.50 36.75 49); of shares up to 0.67:
        // 0 0.2 0.4 0.6 0.8 (not 0.17 0.33 ...).
        let texts = |svg: &str| -> Vec<String> {
            svg.split("text-anchor=\"end\">")
                .skip(1)
                .map(|t| t.split('<').next().unwrap().to_string())
                .collect()
        };
        let svg = bar_chart("t", "x", "y", &[("a".into(), 49.0), ("b".into(), 3.0)]);
        assert_eq!(texts(&svg), ["0", "20", "40", "60"]);
        let svg = bar_chart("t", "x", "y", &[("a".into(), 0.67), ("b".into(), 0.25)]);
        assert_eq!(texts(&svg), ["0.0", "0.2", "0.4", "0.6", "0.8"]);
    }

    #[test]
    fn labels_that_read_alike_when_cut_are_shown_longer() {
        let labels = [
            "openimages_audioset_strong_with_a_long_suffix reversed_box",
            "openimages_audioset_with_a_long_suffix_too reversed_box",
        ];
        let shown = shorten_distinct(labels.iter().copied(), 20);
        assert_ne!(shown[0], shown[1]);
        assert_eq!(shown, labels);
        let issue = [
            "openimages_audioset reversed_box",
            "openimages_audioset_strong reversed_box",
            "vggss_and_a_long_name_here reversed_box",
        ];
        assert_eq!(
            shorten_distinct(issue.iter().copied(), 28),
            issue // the limit grows for every label until the two read apart: here, all whole
        );
        // Short labels are kept whole; the 48-character default keeps every sample label whole.
        assert_eq!(
            shorten_distinct(["vggss box_out_of_range"].into_iter(), LABEL_MAX),
            ["vggss box_out_of_range"]
        );
    }

    #[test]
    fn the_axis_title_is_below_the_rotated_labels_and_the_chart_ends_there() {
        let bars: Vec<(String, f64)> = (0..30)
            .map(|i| (format!("openimages_audioset_strong reason_{i:02}"), 1.0))
            .collect();
        let svg = bar_chart("Rejects", "source and reason", "lines", &bars);
        // 36 characters × 4.9 px, rotated 60°: 176.4 × 0.866 + 4.5 = 157.3 px below the axis at
        // y = 190; the title at 190 + 10 + 157.3 + 16 = 373.3, the chart 6 px below it.
        let label_extent = 36.0 * LABEL_CHAR_PX * 0.866 + 4.5;
        assert!(svg.contains(r#"class="x-title" x="#));
        let title_y: f64 = svg
            .split(r#"class="x-title""#)
            .nth(1)
            .unwrap()
            .split("y=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            (title_y - (190.0 + 10.0 + label_extent + 16.0)).abs() < 0.06,
            "{title_y}"
        );
        let height: f64 = attrs(&svg, "svg", "height")[0].parse().unwrap();
        assert_eq!(height, (title_y + 6.0).ceil());
        // Five short labels fit their slots: level, and the title right under them.
        let svg = bar_chart("t", "task", "y", &[("arig".into(), 1.0), ("avc".into(), 2.0)]);
        assert!(!svg.contains("rotate(-60"));
        assert!(svg.contains(r#"class="x-title" x="319" y="228.0""#), "{svg}");
    }
}
