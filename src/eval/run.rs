//! The `avfit eval` command: reads a corpus's test split and a model's predictions, scores every
//! sample with [`crate::eval::metrics`] and [`crate::eval::caption`], groups the figures per
//! (task, source) and per AVFC type, AVQA question type and MUSIC-AVQA group, and writes the
//! JSON layout of issue 14 (`metrics`, `coverage`, `samples`, `notes`).

use crate::corpus;
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::eval::caption::{self, Clip};
use crate::eval::metrics::{self, Truth};
use crate::eval::{meteor, parse, ptb};
use crate::record::{Sample, Split, Target, Task};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Sources whose free-sentence answers are dialog turns (AVSD, from the declarative sources):
/// scored with the captioning metrics under `dialog/<source>`, never pooled into AVQA accuracy.
pub const DIALOG_SOURCES: [&str; 1] = ["avsd"];

/// How a sample of `task` from `source` is scored, and the key its figures go under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scoring {
    /// ARIG cIoU.
    Grounding,
    /// IGATL F1.
    Temporal,
    /// AVFC verdict.
    FactCheck,
    /// AVQA answer.
    Answer,
    /// AVC caption (the clip is the unit).
    Caption,
    /// Dialog answer: captioning metrics per sample, under `dialog`.
    Dialog,
}

impl Scoring {
    /// The scoring of a sample of `task` from `source`.
    pub fn of(task: Task, source: &str) -> Scoring {
        if DIALOG_SOURCES.contains(&source) {
            return Scoring::Dialog;
        }
        match task {
            Task::Arig => Scoring::Grounding,
            Task::Igatl => Scoring::Temporal,
            Task::Avfc => Scoring::FactCheck,
            Task::Avqa => Scoring::Answer,
            Task::Avc => Scoring::Caption,
        }
    }

    /// The first part of the metric keys (`arig`, ..., `dialog`).
    pub fn key(self, task: Task) -> &'static str {
        match self {
            Scoring::Dialog => "dialog",
            _ => task.as_str(),
        }
    }
}

/// Where predictions come from.
pub enum Predictions {
    /// A JSONL file of `{"id", "prediction"}` or a Meerkat dump `{"outputs": [...]}`.
    File(PathBuf),
    /// The corpus's own answers (the check that parsing and scoring agree with rendering).
    Oracle,
}

/// Options of one evaluation.
pub struct EvalOptions {
    /// The split scored (test by default).
    pub split: Split,
    /// The dialect answers are written in (default: the corpus manifest's).
    pub dialect: Option<Dialect>,
    /// The METEOR jar, else pycocoevalcap's.
    pub meteor_jar: Option<PathBuf>,
    /// Whether to run METEOR at all (the benchmark leaves it out).
    pub meteor: bool,
}

/// One scored unit (a sample, or a captioning clip) for `samples[]`.
#[derive(Clone, Debug)]
pub struct Scored {
    /// The sample id (a clip: the first of its samples in corpus order).
    pub id: String,
    /// The metric key's task part (`arig`, ..., `dialog`).
    pub task: String,
    /// The source.
    pub source: String,
    /// The unit's own value: cIoU, segment F1, 1 or 0, the clip's CIDEr.
    pub score: f64,
    /// Whether a prediction was given.
    pub predicted: bool,
    /// Whether it parsed.
    pub parsed: bool,
    /// The prediction text, if any.
    pub prediction: Option<String>,
    /// The expected answer (a clip: its first reference).
    pub answer: String,
    /// ARIG: predicted and target boxes, and the image.
    pub boxes: Option<(Vec<[f64; 4]>, Vec<[f64; 4]>, Option<String>)>,
    /// IGATL: the event-level F1 (`score` is the segment-level one).
    pub event_f1: Option<f64>,
    /// AVFC: the gold verdict and the predicted one.
    pub verdict: Option<(bool, Option<bool>)>,
    /// Further keys the unit counts under (`avfc/<source>/type<N>`, `avqa/<source>/<type>`,
    /// `avqa/music_avqa/<group>`).
    pub extra_keys: Vec<String>,
    /// Captioning and dialog: every reference (the unit's answers).
    pub references: Vec<String>,
}

/// The result of an evaluation: the JSON report and the scored units.
pub struct Evaluation {
    /// `{"metrics", "coverage", "samples", "notes", "dialect", "split"}`.
    pub report: Value,
    /// Every scored unit, in corpus order.
    pub scored: Vec<Scored>,
}

/// Scores the `split` of the corpus in `dir` against `predictions`.
///
/// Errors: the corpus cannot be read; the predictions file cannot be read, has a line that is not
/// JSON or not `{"id", "prediction"}`, an id that is not a sample of the split, or an id twice
/// (each naming the file and line); a dump output that matches no sample.
pub fn evaluate(dir: &Path, predictions: &Predictions, options: &EvalOptions) -> Result<Evaluation> {
    let manifest = corpus::read_manifest(dir)?;
    let dialect = match options.dialect {
        Some(d) => d,
        None => {
            let name = manifest.get("dialect").and_then(Value::as_str).unwrap_or("meerkat");
            Dialect::from_name(name)
                .ok_or_else(|| Error::input(dir.join("manifest.json"), None, format!("unknown dialect `{name}`")))?
        }
    };
    let mut samples: Vec<Sample> = Vec::new();
    corpus::for_each_sample(dir, |_, _, s| {
        if s.split == options.split {
            samples.push(s);
        }
        Ok(())
    })?;
    let mut notes: Vec<String> = Vec::new();
    let given: Vec<Option<String>> = match predictions {
        Predictions::Oracle => samples.iter().map(|s| Some(s.answer.clone())).collect(),
        Predictions::File(path) => read_predictions(path, &samples)?,
    };
    let mut scored = score_all(&samples, &given, dialect, &mut notes);
    let report = report(&samples, &mut scored, dialect, options, &mut notes);
    Ok(Evaluation { report, scored })
}

/// Reads a predictions file: one prediction per sample (`None` when not given).
fn read_predictions(path: &Path, samples: &[Sample]) -> Result<Vec<Option<String>>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    // A byte order mark (Windows editors write one) is not part of the first line.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut out = vec![None; samples.len()];
    if let Ok(Value::Object(dump)) = serde_json::from_str::<Value>(text) {
        if let Some(outputs) = dump.get("outputs") {
            return read_dump(path, outputs, samples);
        }
        if !dump.contains_key("id") {
            return Err(Error::input(
                path,
                Some(1),
                "expected JSONL lines {\"id\", \"prediction\"} or a Meerkat dump {\"outputs\": [...]}",
            ));
        }
    }
    let index: HashMap<&str, usize> = samples.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect();
    let mut first_line: HashMap<usize, u64> = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let n = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let value: Value =
            serde_json::from_str(line).map_err(|e| Error::input(path, Some(n), format!("not JSON: {e}")))?;
        let (Some(id), Some(prediction)) = (
            value.get("id").and_then(Value::as_str),
            value.get("prediction").and_then(Value::as_str),
        ) else {
            return Err(Error::input(
                path,
                Some(n),
                "expected {\"id\": string, \"prediction\": string}",
            ));
        };
        let Some(&at) = index.get(id) else {
            return Err(Error::input(
                path,
                Some(n),
                format!("id `{id}` is not a sample of the scored split"),
            ));
        };
        if let Some(first) = first_line.insert(at, n) {
            return Err(Error::input(
                path,
                Some(n),
                format!("duplicate id `{id}` (first on line {first})"),
            ));
        }
        out[at] = Some(prediction.to_string());
    }
    Ok(out)
}

/// The file name of a media path (the dump's paths are absolute, the corpus's relative).
fn file_name(path: Option<&str>) -> &str {
    path.map(|p| p.rsplit(['/', '\\']).next().unwrap_or(p)).unwrap_or("")
}

/// Matches a Meerkat dump's outputs to samples by the file names of their media, the instruction
/// and the input; every sample with that key gets the output.
fn read_dump(path: &Path, outputs: &Value, samples: &[Sample]) -> Result<Vec<Option<String>>> {
    let outputs = outputs
        .as_array()
        .ok_or_else(|| Error::input(path, None, "`outputs` is not a list"))?;
    let mut index: HashMap<(&str, &str, &str, &str), Vec<usize>> = HashMap::new();
    for (i, s) in samples.iter().enumerate() {
        index
            .entry((
                file_name(s.image.as_deref()),
                file_name(s.audio.as_deref()),
                &s.instruction,
                &s.input,
            ))
            .or_default()
            .push(i);
    }
    let mut out = vec![None; samples.len()];
    for (k, o) in outputs.iter().enumerate() {
        let field = |name: &str| o.get(name).and_then(Value::as_str);
        let output =
            field("output").ok_or_else(|| Error::input(path, None, format!("outputs[{k}]: no string `output`")))?;
        let key = (
            file_name(field("image_dir")),
            file_name(field("audio_dir")),
            field("instruction").unwrap_or(""),
            field("input").unwrap_or(""),
        );
        let Some(hits) = index.get(&key) else {
            return Err(Error::input(
                path,
                None,
                format!("outputs[{k}]: no sample of the scored split has image {:?}, audio {:?} and this instruction and input", key.0, key.1),
            ));
        };
        for &i in hits {
            if out[i].is_some() {
                return Err(Error::input(
                    path,
                    None,
                    format!("outputs[{k}]: a second output for sample `{}`", samples[i].id),
                ));
            }
            out[i] = Some(output.to_string());
        }
    }
    Ok(out)
}

/// The media identity of a captioning sample: samples sharing it are one clip.
fn clip_key(s: &Sample) -> (String, Option<String>, Option<String>, Option<String>) {
    (s.source.clone(), s.image.clone(), s.audio.clone(), s.video.clone())
}

/// Scores every sample (captioning: every clip), in corpus order.
fn score_all(samples: &[Sample], given: &[Option<String>], dialect: Dialect, notes: &mut Vec<String>) -> Vec<Scored> {
    let mut out = Vec::with_capacity(samples.len());
    let mut clips: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut clip_of: HashMap<_, usize> = HashMap::new();
    for (i, s) in samples.iter().enumerate() {
        let scoring = Scoring::of(s.task, &s.source);
        if scoring == Scoring::Caption {
            let first = *clip_of.entry(clip_key(s)).or_insert(i);
            clips.entry(first).or_default().push(i);
            continue;
        }
        let pred = given[i].as_deref();
        let mut unit = Scored {
            id: s.id.clone(),
            task: scoring.key(s.task).to_string(),
            source: s.source.clone(),
            score: 0.0,
            predicted: pred.is_some(),
            parsed: false,
            prediction: pred.map(str::to_string),
            answer: s.answer.clone(),
            boxes: None,
            event_f1: None,
            verdict: None,
            extra_keys: Vec::new(),
            references: vec![s.answer.clone()],
        };
        match (&s.target, pred) {
            (Target::Arig { boxes, .. }, _) => {
                let truth: Vec<[f64; 4]> = boxes.iter().map(|b| b.0).collect();
                let found = pred.map(|p| parse::parse_boxes(dialect, p)).unwrap_or_default();
                unit.parsed = !found.is_empty();
                let kind = if s.source == "flickr_soundnet" {
                    Truth::Consensus
                } else {
                    Truth::Binary
                };
                unit.score = metrics::ciou(&found, &truth, kind).unwrap_or(0.0);
                unit.boxes = Some((found, truth, s.image.clone()));
            }
            (Target::Igatl { segments, duration, .. }, Some(p)) => {
                if let Some(found) = parse::parse_segments(dialect, p, *duration) {
                    unit.parsed = true;
                    let truth: Vec<[f64; 2]> = segments.iter().map(|s| s.0).collect();
                    let (ps, ts) = (metrics::slots(&found, *duration), metrics::slots(&truth, *duration));
                    unit.score = metrics::segment_f1(&ps, &ts);
                    unit.event_f1 = Some(metrics::event_f1(&ps, &ts));
                }
            }
            (Target::Avfc { verdict, kind, .. }, _) => {
                let v = pred.and_then(metrics::avfc_verdict);
                unit.parsed = v.is_some();
                unit.score = f64::from(u8::from(v == Some(*verdict)));
                unit.verdict = Some((*verdict, v));
                unit.extra_keys.push(format!("avfc/{}/type{kind}", s.source));
            }
            (
                Target::Avqa {
                    answer,
                    choices,
                    answer_index,
                    question_type,
                    ..
                },
                _,
            ) if scoring == Scoring::Answer => {
                unit.extra_keys.push(format!("avqa/{}/{question_type}", s.source));
                if s.source == "music_avqa" {
                    let group = question_type.split('/').next().unwrap_or(question_type);
                    if group != question_type {
                        unit.extra_keys.push(format!("avqa/music_avqa/{group}"));
                    }
                }
                if let Some(p) = pred {
                    unit.parsed = !p.trim().is_empty();
                    unit.score = f64::from(u8::from(metrics::avqa_correct(
                        p,
                        answer,
                        choices.as_deref(),
                        *answer_index,
                    )));
                }
            }
            (_, Some(p)) => {
                // Dialog answers: captioning metrics over the set; the unit's own score is ROUGE-L.
                unit.parsed = !p.trim().is_empty();
            }
            _ => {}
        }
        out.push(unit);
    }
    for (first, members) in clips {
        let s = &samples[first];
        let given_at: Vec<usize> = members.iter().copied().filter(|&i| given[i].is_some()).collect();
        if given_at.len() > 1 {
            notes.push(format!(
                "clip of `{}`: {} predictions given ({}); the first in corpus order counts",
                s.id,
                given_at.len(),
                given_at
                    .iter()
                    .map(|&i| samples[i].id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let pred = given_at.first().and_then(|&i| given[i].clone());
        out.push(Scored {
            id: s.id.clone(),
            task: "avc".into(),
            source: s.source.clone(),
            score: 0.0,
            predicted: pred.is_some(),
            parsed: pred.as_deref().is_some_and(|p| !p.trim().is_empty()),
            prediction: pred,
            answer: s.answer.clone(),
            boxes: None,
            event_f1: None,
            verdict: None,
            extra_keys: Vec::new(),
            references: members.iter().map(|&i| samples[i].answer.clone()).collect(),
        });
    }
    out
}

/// The metric keys a unit counts under: `<task>/<source>`, `<task>`, then its extra keys.
fn keys_of(unit: &Scored) -> Vec<String> {
    let mut keys = vec![format!("{}/{}", unit.task, unit.source), unit.task.clone()];
    keys.extend(unit.extra_keys.iter().cloned());
    keys
}

/// The figures of one key's units (all of one scoring kind).
fn figures(
    units: &[&Scored],
    meteor_jar: &std::result::Result<PathBuf, String>,
    meteor_cache: &mut HashMap<Vec<String>, Value>,
    notes: &mut Vec<String>,
    key: &str,
) -> Value {
    let task = units[0].task.as_str();
    match task {
        "arig" => {
            let cious: Vec<f64> = units.iter().map(|u| u.score).collect();
            let s = metrics::arig_scores(&cious).expect("a key has units");
            json!({"ciou50": s.ciou50, "auc": s.auc, "mean_ciou": s.mean_ciou})
        }
        "igatl" => {
            let n = units.len() as f64;
            let seg: Vec<f64> = units.iter().map(|u| u.score).collect();
            let ev: Vec<f64> = units.iter().map(|u| u.event_f1.unwrap_or(0.0)).collect();
            json!({"segment_f1": caption::numpy_sum(&seg) / n, "event_f1": caption::numpy_sum(&ev) / n})
        }
        "avfc" => {
            let pairs: Vec<(bool, Option<bool>)> = units.iter().filter_map(|u| u.verdict).collect();
            let s = metrics::avfc_scores(&pairs).expect("a key has units");
            json!({"f1": s.f1, "macro_f1": s.macro_f1, "accuracy": s.accuracy})
        }
        "avqa" => {
            let correct = units.iter().filter(|u| u.score == 1.0).count();
            json!({"accuracy": correct as f64 / units.len() as f64})
        }
        _ => caption_figures(units, meteor_jar, meteor_cache, notes, key).0,
    }
}

/// Captioning (clips) and dialog (samples) figures of `units` with pycocoevalcap's metrics, and
/// each unit's CIDEr-D; once per distinct set of units (`avc` of one source is `avc/<source>`;
/// the METEOR jar takes seconds to start).
fn caption_figures(
    units: &[&Scored],
    meteor_jar: &std::result::Result<PathBuf, String>,
    cache: &mut HashMap<Vec<String>, Value>,
    notes: &mut Vec<String>,
    key: &str,
) -> (Value, Vec<f64>) {
    let set: Vec<String> = units.iter().map(|u| u.id.clone()).collect();
    if let Some(v) = cache.get(&set) {
        if v["meteor"].is_null() {
            notes.push(format!("{key}: meteor unavailable (same samples as a key above)"));
        }
        return (v.clone(), Vec::new());
    }
    let clips: Vec<Clip> = units
        .iter()
        .map(|u| Clip {
            candidate: ptb::tokenize(u.prediction.as_deref().unwrap_or("")),
            references: u.references.iter().map(|r| ptb::tokenize(r)).collect(),
        })
        .collect();
    let s = caption::score(&clips);
    let meteor = match meteor_jar.clone().and_then(|jar| meteor::meteor(&jar, &clips)) {
        Ok(v) => json!(v),
        Err(why) => {
            notes.push(format!("{key}: meteor unavailable: {why}"));
            Value::Null
        }
    };
    let figures = json!({
        "bleu1": s.bleu[0], "bleu2": s.bleu[1], "bleu3": s.bleu[2], "bleu4": s.bleu[3],
        "meteor": meteor, "rouge_l": s.rouge_l, "cider": s.cider,
    });
    cache.insert(set, figures.clone());
    (figures, s.cider_per_clip)
}

/// Builds the JSON report and sets each captioning unit's score to its clip's CIDEr-D (within
/// its `<task>/<source>` set).
fn report(
    samples: &[Sample],
    scored: &mut [Scored],
    dialect: Dialect,
    options: &EvalOptions,
    notes: &mut Vec<String>,
) -> Value {
    let _ = samples;
    let meteor_jar = if options.meteor {
        meteor::find_jar(options.meteor_jar.as_deref())
    } else {
        Err("not run (--no-meteor)".to_string())
    };
    // Per-unit CIDEr-D of captioning and dialog units, over their own (task, source) set.
    let mut caption_sets: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, u) in scored.iter().enumerate() {
        if u.task == "avc" || u.task == "dialog" {
            caption_sets
                .entry(format!("{}/{}", u.task, u.source))
                .or_default()
                .push(i);
        }
    }
    let mut cache = HashMap::new();
    for (key, members) in &caption_sets {
        let units: Vec<&Scored> = members.iter().map(|&i| &scored[i]).collect();
        let (_, per) = caption_figures(&units, &meteor_jar, &mut cache, notes, key);
        for (&i, v) in members.iter().zip(per) {
            scored[i].score = if scored[i].parsed { v } else { 0.0 };
        }
    }
    let mut by_key: BTreeMap<String, Vec<&Scored>> = BTreeMap::new();
    for u in scored.iter() {
        for k in keys_of(u) {
            by_key.entry(k).or_default().push(u);
        }
    }
    let mut metrics_out = Map::new();
    for (key, units) in &by_key {
        metrics_out.insert(key.clone(), figures(units, &meteor_jar, &mut cache, notes, key));
    }
    let mut coverage = Map::new();
    for (key, units) in &by_key {
        if key.matches('/').count() > 1 {
            continue;
        }
        let empty_both = units
            .iter()
            .filter(|u| match &u.boxes {
                Some((p, t, _)) => metrics::ciou(p, t, Truth::Binary).is_none(),
                None => false,
            })
            .count();
        coverage.insert(
            key.clone(),
            json!({
                "total": units.len(),
                "predicted": units.iter().filter(|u| u.predicted).count(),
                "parsed": units.iter().filter(|u| u.parsed).count(),
                "empty_both": empty_both,
            }),
        );
    }
    let samples_out: Vec<Value> = scored
        .iter()
        .map(|u| {
            let mut o = json!({"id": u.id, "task": u.task, "source": u.source, "score": u.score, "parsed": u.parsed});
            if let Some(e) = u.event_f1 {
                o["event_f1"] = json!(e);
            }
            o
        })
        .collect();
    json!({
        "split": options.split.as_str(),
        "dialect": dialect.name(),
        "metrics": metrics_out,
        "coverage": coverage,
        "notes": notes.clone(),
        "samples": samples_out,
    })
}

/// The metric keys of a task part in table order.
const COLUMNS: [(&str, &[&str]); 6] = [
    ("arig", &["ciou50", "auc", "mean_ciou"]),
    ("igatl", &["segment_f1", "event_f1"]),
    ("avfc", &["f1", "macro_f1", "accuracy"]),
    ("avqa", &["accuracy"]),
    (
        "avc",
        &["bleu1", "bleu2", "bleu3", "bleu4", "meteor", "rouge_l", "cider"],
    ),
    (
        "dialog",
        &["bleu1", "bleu2", "bleu3", "bleu4", "meteor", "rouge_l", "cider"],
    ),
];

/// The report as a text table like the paper's: one block per task, one row per key, every
/// figure x100 with 2 decimals (`-` for null), coverage of `<task>/<source>` rows beside.
pub fn table(report: &Value) -> String {
    let mut out = String::new();
    let metrics = report["metrics"].as_object().cloned().unwrap_or_default();
    for (task, columns) in COLUMNS {
        let keys: Vec<&String> = metrics
            .keys()
            .filter(|k| *k == task || k.starts_with(&format!("{task}/")))
            .collect();
        if keys.is_empty() {
            continue;
        }
        out.push_str(&format!("{:<40}", format!("{task} (x100)")));
        for c in columns {
            out.push_str(&format!("{c:>11}"));
        }
        out.push_str("   coverage (total/predicted/parsed)\n");
        for key in keys {
            out.push_str(&format!("{key:<40}"));
            for c in columns {
                match metrics[key][*c].as_f64() {
                    Some(v) => out.push_str(&format!("{:>11.2}", v * 100.0)),
                    None => out.push_str(&format!("{:>11}", "-")),
                }
            }
            if let Some(c) = report["coverage"].get(key.as_str()) {
                out.push_str(&format!("   {}/{}/{}", c["total"], c["predicted"], c["parsed"]));
            }
            out.push('\n');
        }
        out.push('\n');
    }
    if let Some(notes) = report["notes"].as_array() {
        for n in notes {
            out.push_str(&format!("note: {}\n", n.as_str().unwrap_or_default()));
        }
    }
    out
}

/// The whole command: evaluates, prints the table, writes `json` and `html` when asked (each
/// under a temporary name, renamed when complete).
///
/// Errors: those of [`evaluate`]; a file cannot be written.
pub fn run(
    dir: &Path,
    predictions: &Predictions,
    options: &EvalOptions,
    json_path: Option<&Path>,
    html_path: Option<&Path>,
    media_root: Option<&Path>,
) -> Result<()> {
    let evaluation = evaluate(dir, predictions, options)?;
    print!("{}", table(&evaluation.report));
    if let Some(path) = json_path {
        let text = serde_json::to_string_pretty(&evaluation.report).expect("JSON values serialize");
        write_atomic(path, text.as_bytes())?;
    }
    if let Some(path) = html_path {
        let page = crate::eval::html::page(&evaluation, media_root);
        write_atomic(path, page.as_bytes())?;
    }
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file in the same directory.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp-avfit");
    std::fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}
