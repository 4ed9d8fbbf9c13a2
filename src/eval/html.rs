//! The self-contained page of `avfit eval --html`: the table, coverage and notes, and per task
//! the worst-scored samples with prediction and answer; ARIG samples show predicted (red) and
//! true (green) boxes over the image when a media root is given (drawn as `stats --html` does,
//! with [`crate::report::boxes_over_image`]).

use crate::eval::run::{table, Evaluation};
use crate::report::{boxes_over_image, escape};
use std::fmt::Write;
use std::path::Path;

/// How many worst samples each task shows.
pub const WORST_PER_TASK: usize = 12;

/// The HTML page of `evaluation` (one file, no network resources).
pub fn page(evaluation: &Evaluation, media_root: Option<&Path>) -> String {
    let mut html = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>avfit eval</title>\
         <style>body{font-family:sans-serif;margin:2em}pre{background:#f4f4f4;padding:1em}\
         table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px;vertical-align:top}\
         .pred{color:#b00}.true{color:#070}</style></head><body><h1>avfit eval</h1>",
    );
    write!(
        html,
        "<p>split {}, dialect {}; figures x100</p><pre>{}</pre>",
        escape(evaluation.report["split"].as_str().unwrap_or("")),
        escape(evaluation.report["dialect"].as_str().unwrap_or("")),
        escape(&table(&evaluation.report))
    )
    .unwrap();
    let mut tasks: Vec<&str> = evaluation.scored.iter().map(|u| u.task.as_str()).collect();
    tasks.dedup();
    tasks.sort_unstable();
    tasks.dedup();
    for task in tasks {
        let mut units: Vec<_> = evaluation.scored.iter().filter(|u| u.task == task).collect();
        units.sort_by(|a, b| a.score.total_cmp(&b.score));
        write!(html, "<h2>{task}: worst {} samples</h2><table><tr><th>id</th><th>score</th><th>prediction</th><th>answer</th><th>image</th></tr>", WORST_PER_TASK.min(units.len())).unwrap();
        for u in units.into_iter().take(WORST_PER_TASK) {
            let picture = match (&u.boxes, media_root) {
                (Some((pred, truth, Some(image))), Some(root)) => crate::media::media_path(root, image)
                    .ok()
                    .and_then(|path| boxes_over_image(&path, &[(truth, "#00a000"), (pred, "#ff2a2a")]))
                    .unwrap_or_default(),
                _ => String::new(),
            };
            write!(
                html,
                "<tr><td>{}</td><td>{:.4}</td><td class=\"pred\">{}</td><td class=\"true\">{}</td><td>{picture}</td></tr>",
                escape(&u.id),
                u.score,
                escape(u.prediction.as_deref().unwrap_or("(none)")),
                escape(&u.answer)
            )
            .unwrap();
        }
        html.push_str("</table>");
    }
    html.push_str("</body></html>\n");
    html
}
