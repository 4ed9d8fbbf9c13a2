//! `avfit stats DIR`: the figures a user audits after a build, computed with polars over the
//! shards, `rejects.jsonl` and `manifest.json`.
//!
//! Counts per split, task and source beside the expected counts; template use per task; answer
//! lengths (characters); boxes per sample, box area, aspect ratio (width / height in normalized
//! units) and centres on a 10 × 10 grid; segment durations, starts and clip coverage; AVQA answers
//! and question types; AVC caption lengths; AVFC verdict balance per type and split; rejects and
//! skips by source and reason with the first examples; leakage (a group in both splits, across
//! datasets); duplicate samples (same media, instruction and input); ambiguous samples (same
//! task, media and input, different answers: the model would be taught two answers to one
//! question, since templates only rephrase it). Captioning (`avc`) is left out of both duplicates
//! and ambiguous: several captions of one clip are several right answers.

use crate::error::{Error, Result};
use crate::record::{Sample, Target, Task};
use polars::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// How many examples each list keeps.
pub const EXAMPLES: usize = 5;

/// The value of the top-level `tool` key of `avfit stats --json`, by which an earlier output is
/// recognized (and replaced).
pub const JSON_TOOL: &str = "avfit stats";

/// `avfit stats --json`: a JSON object with `"tool": "avfit stats"` (see [`JSON_TOOL`]).
pub const JSON_FILE: crate::outdir::ReportFile = crate::outdir::ReportFile {
    command: "avfit stats --json",
    recognizes: |bytes| serde_json::from_slice::<serde_json::Value>(bytes).is_ok_and(|v| v["tool"] == JSON_TOOL),
};

/// `stats` as the text `--json` writes: a pretty-printed object, `"tool": "avfit stats"` first,
/// then every field of [`Stats`], and a final newline.
pub fn to_json(stats: &Stats) -> String {
    #[derive(Serialize)]
    struct Tagged<'a> {
        tool: &'static str,
        #[serde(flatten)]
        stats: &'a Stats,
    }
    let tagged = Tagged { tool: JSON_TOOL, stats };
    serde_json::to_string_pretty(&tagged).expect("stats serialize") + "\n"
}

/// Every figure of `avfit stats`, as written by `--json` (after `"tool": "avfit stats"`).
#[derive(Debug, Default, Serialize)]
pub struct Stats {
    /// Samples read.
    pub samples: u64,
    /// Per split, task and source: the count, the expected count and the difference.
    pub counts: Vec<CountRow>,
    /// Per task and template: uses and share of the task.
    pub templates: Vec<TemplateRow>,
    /// Per task: answer length in characters.
    pub answer_length: Vec<LengthRow>,
    /// Grounding boxes (ARIG targets).
    pub boxes: BoxStats,
    /// IGATL segments.
    pub segments: SegmentStats,
    /// AVQA answers and question types (most frequent first).
    pub avqa: AvqaStats,
    /// AVC caption length in characters.
    pub caption_length: Option<LengthRow>,
    /// AVFC verdicts per type and split.
    pub avfc: Vec<VerdictRow>,
    /// Rejects per source and reason, with the first details.
    pub rejects: Vec<ReasonRow>,
    /// Skips per source and reason (from manifest.json).
    pub skips: Vec<ReasonRow>,
    /// Groups found in both splits.
    pub leakage: Findings,
    /// Samples with the same media, instruction and input as another (AVC left out).
    pub duplicates: Findings,
    /// Groups of samples of one task with the same media (image, audio, video) and `input` but
    /// different answers, whatever their templates (AVC left out).
    pub ambiguous: Findings,
}

/// One count.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CountRow {
    /// `train` or `test`.
    pub split: String,
    /// Task.
    pub task: String,
    /// Source.
    pub source: String,
    /// Samples in the shards.
    pub count: u64,
    /// Expected count from the build manifest, if declared.
    pub expected: Option<u64>,
    /// `count - expected`.
    pub difference: Option<i64>,
}

/// Template use.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TemplateRow {
    /// Task.
    pub task: String,
    /// `<task>/<id>`.
    pub template: String,
    /// Samples using it.
    pub count: u64,
    /// Fraction of the task's samples, 0..1.
    pub share: f64,
}

/// Length statistics in characters.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LengthRow {
    /// Task (or `avc` for captions).
    pub task: String,
    /// Values.
    pub count: u64,
    /// Mean.
    pub mean: f64,
    /// Minimum.
    pub min: f64,
    /// Median.
    pub median: f64,
    /// Maximum.
    pub max: f64,
}

/// Grounding boxes.
#[derive(Debug, Default, Serialize)]
pub struct BoxStats {
    /// (boxes in a sample, samples).
    pub per_sample: Vec<(String, u64)>,
    /// (area bin, boxes); area as a fraction of the image.
    pub area: Vec<(String, u64)>,
    /// (aspect-ratio bin, boxes); width / height in normalized units.
    pub aspect: Vec<(String, u64)>,
    /// Box centres: `grid[row][column]`, row 0 at the top, 10 × 10 cells of the image.
    pub centres: Vec<Vec<u64>>,
}

/// IGATL segments.
#[derive(Debug, Default, Serialize)]
pub struct SegmentStats {
    /// (duration bin in seconds, segments).
    pub duration: Vec<(String, u64)>,
    /// (start bin in seconds, segments).
    pub start: Vec<(String, u64)>,
    /// (coverage bin: fraction of the clip covered by a sample's segments, samples).
    pub coverage: Vec<(String, u64)>,
}

/// AVQA answers and question types.
#[derive(Debug, Default, Serialize)]
pub struct AvqaStats {
    /// The 20 most frequent answers with counts.
    pub answers: Vec<(String, u64)>,
    /// Question types with counts.
    pub question_types: Vec<(String, u64)>,
}

/// AVFC verdicts of one type in one split.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VerdictRow {
    /// 1..4.
    pub kind: u8,
    /// Split.
    pub split: String,
    /// True claims.
    pub true_claims: u64,
    /// False claims.
    pub false_claims: u64,
}

/// A reason's count with examples.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReasonRow {
    /// Source.
    pub source: String,
    /// Reason code.
    pub reason: String,
    /// Lines or units.
    pub count: u64,
    /// The first details (rejects only).
    pub examples: Vec<String>,
}

/// A check's findings: how many, and every one of them (the text and HTML show the first few).
#[derive(Debug, Default, Serialize, PartialEq)]
pub struct Findings {
    /// Number found.
    pub count: u64,
    /// Every finding: leaked groups with the samples on each side, duplicated samples, or the
    /// samples of an ambiguous group (duplicates and ambiguous: the first few only).
    pub examples: Vec<String>,
}

/// What stats reads of each sample.
#[derive(Default)]
struct Columns {
    split: Vec<String>,
    task: Vec<String>,
    source: Vec<String>,
    template: Vec<String>,
    answer_len: Vec<u32>,
    /// Per non-AVC sample: media, instruction and input (duplicates).
    dedup_key: Vec<String>,
    /// Per non-AVC sample: task, media and input (ambiguous).
    question_key: Vec<String>,
    /// Per non-AVC sample: its answer.
    answer: Vec<String>,
    /// Per non-AVC sample: its id.
    id: Vec<String>,
    group: Vec<String>,
    group_split: Vec<String>,
    group_id: Vec<String>,
    box_count: Vec<u32>,
    area: Vec<f64>,
    aspect: Vec<f64>,
    cell: Vec<u32>,
    seg_duration: Vec<f64>,
    seg_start: Vec<f64>,
    coverage: Vec<f64>,
    qa_answer: Vec<String>,
    qa_type: Vec<String>,
    caption_len: Vec<u32>,
    fc_kind: Vec<u32>,
    fc_split: Vec<String>,
    fc_verdict: Vec<bool>,
}

impl Columns {
    fn add(&mut self, s: Sample) {
        let split = s.split.as_str().to_string();
        self.split.push(split.clone());
        self.task.push(s.task.as_str().to_string());
        self.source.push(s.source.clone());
        self.template.push(s.template.clone());
        self.answer_len.push(s.answer.chars().count() as u32);
        if s.task != Task::Avc {
            // Fields joined with a separator no path or text of a sample holds (U+001F).
            let media = [&s.image, &s.audio, &s.video]
                .map(|m| m.as_deref().unwrap_or_default())
                .join("\u{1f}");
            self.dedup_key
                .push(format!("{media}\u{1f}{}\u{1f}{}", s.instruction, s.input));
            self.question_key
                .push(format!("{}\u{1f}{media}\u{1f}{}", s.task.as_str(), s.input));
            self.answer.push(s.answer.clone());
            self.id.push(s.id.clone());
        }
        for g in &s.groups {
            self.group.push(g.clone());
            self.group_split.push(split.clone());
            self.group_id.push(s.id.clone());
        }
        match &s.target {
            Target::Arig { boxes, .. } => {
                self.box_count.push(boxes.len() as u32);
                for b in boxes {
                    let (w, h) = (b.x1() - b.x0(), b.y1() - b.y0());
                    self.area.push(w * h);
                    self.aspect.push(if h > 0.0 { w / h } else { f64::INFINITY });
                    let cell = |v: f64| ((v * 10.0).floor() as u32).min(9);
                    self.cell
                        .push(cell((b.y0() + b.y1()) / 2.0) * 10 + cell((b.x0() + b.x1()) / 2.0));
                }
            }
            Target::Igatl { segments, duration, .. } => {
                let mut covered = 0.0;
                for g in segments {
                    self.seg_duration.push(g.end() - g.start());
                    self.seg_start.push(g.start());
                    covered += g.end() - g.start();
                }
                self.coverage
                    .push(if *duration > 0.0 { covered / duration } else { 0.0 });
            }
            Target::Avqa {
                answer, question_type, ..
            } => {
                self.qa_answer.push(answer.clone());
                self.qa_type.push(question_type.clone());
            }
            Target::Avc { caption } => self.caption_len.push(caption.chars().count() as u32),
            Target::Avfc { kind, verdict, .. } => {
                self.fc_kind.push(*kind as u32);
                self.fc_split.push(split);
                self.fc_verdict.push(*verdict);
            }
        }
    }
}

fn polars_error(e: PolarsError) -> Error {
    Error::Config(format!("polars: {e}"))
}

/// Computes every figure for the corpus in `dir`.
///
/// Errors: no readable `manifest.json`, an unreadable shard or a line that is not a sample (with
/// file and line), a polars failure.
pub fn compute(dir: &Path) -> Result<Stats> {
    let manifest = crate::corpus::read_manifest(dir)?;
    let mut c = Columns::default();
    crate::corpus::for_each_sample(dir, |_, _, sample| {
        c.add(sample);
        Ok(())
    })?;
    let mut stats = Stats {
        samples: c.split.len() as u64,
        ..Stats::default()
    };
    stats.counts = counts(&c, &manifest).map_err(polars_error)?;
    stats.templates = templates(&c).map_err(polars_error)?;
    stats.answer_length = lengths_by_task(&c).map_err(polars_error)?;
    stats.boxes = BoxStats {
        per_sample: value_counts(c.box_count.iter().map(|n| n.to_string()).collect()).map_err(polars_error)?,
        area: binned(&c.area, &[0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0]).map_err(polars_error)?,
        aspect: binned(&c.aspect, &[0.0, 0.25, 0.5, 1.0, 2.0, 4.0]).map_err(polars_error)?,
        centres: {
            let mut grid = vec![vec![0u64; 10]; 10];
            for (cell, n) in value_counts(c.cell.iter().map(|v| v.to_string()).collect()).map_err(polars_error)? {
                let cell: usize = cell.parse().unwrap_or(0);
                grid[cell / 10][cell % 10] = n;
            }
            grid
        },
    };
    let tenths: Vec<f64> = (0..=10).map(|i| i as f64).collect();
    stats.segments = SegmentStats {
        duration: binned(&c.seg_duration, &tenths).map_err(polars_error)?,
        start: binned(&c.seg_start, &tenths).map_err(polars_error)?,
        coverage: binned(&c.coverage, &[0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
            .map_err(polars_error)?,
    };
    stats.avqa = AvqaStats {
        answers: value_counts(c.qa_answer.clone())
            .map_err(polars_error)?
            .into_iter()
            .take(20)
            .collect(),
        question_types: value_counts(c.qa_type.clone()).map_err(polars_error)?,
    };
    stats.caption_length = length_row("avc", &c.caption_len);
    stats.avfc = verdicts(&c).map_err(polars_error)?;
    stats.rejects = rejects(dir)?;
    stats.skips = skips(&manifest);
    stats.leakage = leakage(&c).map_err(polars_error)?;
    stats.duplicates = duplicates(&c).map_err(polars_error)?;
    stats.ambiguous = ambiguous(&c).map_err(polars_error)?;
    Ok(stats)
}

fn strings(df: &DataFrame, name: &str) -> PolarsResult<Vec<String>> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect())
}

fn numbers(df: &DataFrame, name: &str) -> PolarsResult<Vec<u64>> {
    let col = df.column(name)?.cast(&DataType::UInt64)?;
    Ok(col.u64()?.iter().map(|v| v.unwrap_or(0)).collect())
}

fn counts(c: &Columns, manifest: &serde_json::Value) -> PolarsResult<Vec<CountRow>> {
    let df = df!("split" => &c.split, "task" => &c.task, "source" => &c.source)?;
    let out = df
        .lazy()
        .group_by([col("split"), col("task"), col("source")])
        .agg([len().alias("count")])
        .sort(["split", "task", "source"], Default::default())
        .collect()?;
    let mut rows: BTreeMap<String, CountRow> = BTreeMap::new();
    for (((split, task), source), count) in strings(&out, "split")?
        .into_iter()
        .zip(strings(&out, "task")?)
        .zip(strings(&out, "source")?)
        .zip(numbers(&out, "count")?)
    {
        let key = format!("{split}/{task}/{source}");
        rows.insert(
            key,
            CountRow {
                split,
                task,
                source,
                count,
                expected: None,
                difference: None,
            },
        );
    }
    if let Some(expected) = manifest["expected"].as_object() {
        for (key, n) in expected {
            let n = n.as_u64().unwrap_or(0);
            let mut parts = key.splitn(3, '/');
            let (split, task, source) = (
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
            );
            let row = rows.entry(key.clone()).or_insert_with(|| CountRow {
                split: split.into(),
                task: task.into(),
                source: source.into(),
                count: 0,
                expected: None,
                difference: None,
            });
            row.expected = Some(n);
            row.difference = Some(row.count as i64 - n as i64);
        }
    }
    Ok(rows.into_values().collect())
}

fn templates(c: &Columns) -> PolarsResult<Vec<TemplateRow>> {
    let df = df!("task" => &c.task, "template" => &c.template)?;
    let out = df
        .lazy()
        .group_by([col("task"), col("template")])
        .agg([len().alias("count")])
        .sort(["task", "template"], Default::default())
        .collect()?;
    let (tasks, names, counts) = (
        strings(&out, "task")?,
        strings(&out, "template")?,
        numbers(&out, "count")?,
    );
    let mut per_task: BTreeMap<String, u64> = BTreeMap::new();
    for (t, n) in tasks.iter().zip(&counts) {
        *per_task.entry(t.clone()).or_default() += n;
    }
    Ok(tasks
        .into_iter()
        .zip(names)
        .zip(counts)
        .map(|((task, template), count)| TemplateRow {
            share: count as f64 / per_task[&task] as f64,
            task,
            template,
            count,
        })
        .collect())
}

fn length_row(task: &str, values: &[u32]) -> Option<LengthRow> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let sum: u64 = sorted.iter().map(|v| *v as u64).sum();
    Some(LengthRow {
        task: task.to_string(),
        count: sorted.len() as u64,
        mean: sum as f64 / sorted.len() as f64,
        min: sorted[0] as f64,
        median: sorted[sorted.len() / 2] as f64,
        max: sorted[sorted.len() - 1] as f64,
    })
}

fn lengths_by_task(c: &Columns) -> PolarsResult<Vec<LengthRow>> {
    let df = df!("task" => &c.task, "length" => &c.answer_len)?;
    let out = df
        .lazy()
        .group_by([col("task")])
        .agg([
            len().alias("count"),
            col("length").cast(DataType::Float64).mean().alias("mean"),
            col("length").cast(DataType::Float64).min().alias("min"),
            col("length").cast(DataType::Float64).median().alias("median"),
            col("length").cast(DataType::Float64).max().alias("max"),
        ])
        .sort(["task"], Default::default())
        .collect()?;
    let float = |name: &str| -> PolarsResult<Vec<f64>> {
        Ok(out.column(name)?.f64()?.iter().map(|v| v.unwrap_or(0.0)).collect())
    };
    let (tasks, counts, mean, min, median, max) = (
        strings(&out, "task")?,
        numbers(&out, "count")?,
        float("mean")?,
        float("min")?,
        float("median")?,
        float("max")?,
    );
    Ok((0..tasks.len())
        .map(|i| LengthRow {
            task: tasks[i].clone(),
            count: counts[i],
            mean: mean[i],
            min: min[i],
            median: median[i],
            max: max[i],
        })
        .collect())
}

/// (value, count) most frequent first, ties by value.
fn value_counts(values: Vec<String>) -> PolarsResult<Vec<(String, u64)>> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let df = df!("value" => values)?;
    let out = df
        .lazy()
        .group_by([col("value")])
        .agg([len().alias("count")])
        .sort(
            ["count", "value"],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
        .collect()?;
    Ok(strings(&out, "value")?
        .into_iter()
        .zip(numbers(&out, "count")?)
        .collect())
}

/// Counts of `values` in the bins `[edges[i], edges[i+1])`, the last bin closed
/// (`[edges[n-2], edges[n-1]]`), then `>last` for larger values and `invalid` for NaN or values
/// below the first edge (a broken box or segment must not hide in a plausible bin).
fn binned(values: &[f64], edges: &[f64]) -> PolarsResult<Vec<(String, u64)>> {
    let last = edges.len() - 1;
    let mut labels: Vec<String> = edges.windows(2).map(|w| format!("{}–{}", w[0], w[1])).collect();
    labels.push(format!(">{}", edges[last]));
    labels.push("invalid".to_string());
    let bin = |v: f64| {
        if v.is_nan() || v < edges[0] {
            last + 1
        } else if v > edges[last] {
            last
        } else if v == edges[last] {
            last - 1
        } else {
            edges.windows(2).position(|w| v >= w[0] && v < w[1]).unwrap_or(last - 1)
        }
    };
    let bins: Vec<u32> = values.iter().map(|v| bin(*v) as u32).collect();
    let mut counts = vec![0u64; labels.len()];
    if !bins.is_empty() {
        let df = df!("bin" => bins)?;
        let out = df.lazy().group_by([col("bin")]).agg([len().alias("count")]).collect()?;
        for (b, n) in numbers(&out, "bin")?.into_iter().zip(numbers(&out, "count")?) {
            counts[b as usize] = n;
        }
    }
    Ok(labels.into_iter().zip(counts).collect())
}

fn verdicts(c: &Columns) -> PolarsResult<Vec<VerdictRow>> {
    if c.fc_kind.is_empty() {
        return Ok(Vec::new());
    }
    let df = df!("kind" => &c.fc_kind, "split" => &c.fc_split, "verdict" => &c.fc_verdict)?;
    let out = df
        .lazy()
        .group_by([col("kind"), col("split")])
        .agg([
            col("verdict").cast(DataType::UInt32).sum().alias("true"),
            len().alias("all"),
        ])
        .sort(["kind", "split"], Default::default())
        .collect()?;
    let (kinds, splits, trues, all) = (
        numbers(&out, "kind")?,
        strings(&out, "split")?,
        numbers(&out, "true")?,
        numbers(&out, "all")?,
    );
    Ok((0..kinds.len())
        .map(|i| VerdictRow {
            kind: kinds[i] as u8,
            split: splits[i].clone(),
            true_claims: trues[i],
            false_claims: all[i] - trues[i],
        })
        .collect())
}

fn rejects(dir: &Path) -> Result<Vec<ReasonRow>> {
    let path = dir.join("rejects.jsonl");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    let mut rows: BTreeMap<(String, String), ReasonRow> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| Error::json(&path, Some(i as u64 + 1), &e))?;
        let (source, reason) = (
            v["source"].as_str().unwrap_or_default().to_string(),
            v["reason"].as_str().unwrap_or_default().to_string(),
        );
        let row = rows.entry((source.clone(), reason.clone())).or_insert(ReasonRow {
            source,
            reason,
            count: 0,
            examples: Vec::new(),
        });
        row.count += 1;
        if row.examples.len() < EXAMPLES {
            let at = v["line"]
                .as_u64()
                .map(|l| format!(":{l}"))
                .or_else(|| v["index"].as_u64().map(|i| format!("[{i}]")))
                .unwrap_or_default();
            row.examples.push(format!(
                "{}{at}: {}",
                v["file"].as_str().unwrap_or_default(),
                v["detail"].as_str().unwrap_or_default()
            ));
        }
    }
    Ok(rows.into_values().collect())
}

fn skips(manifest: &serde_json::Value) -> Vec<ReasonRow> {
    let mut rows = Vec::new();
    if let Some(sources) = manifest["sources"].as_object() {
        for (source, s) in sources {
            for (reason, n) in s["skipped"].as_object().into_iter().flatten() {
                rows.push(ReasonRow {
                    source: source.clone(),
                    reason: reason.clone(),
                    count: n.as_u64().unwrap_or(0),
                    examples: Vec::new(),
                });
            }
        }
    }
    rows
}

fn leakage(c: &Columns) -> PolarsResult<Findings> {
    if c.group.is_empty() {
        return Ok(Findings::default());
    }
    let df = df!("group" => &c.group, "split" => &c.group_split, "id" => &c.group_id)?;
    let side = |split: &str| {
        col("id")
            .filter(col("split").eq(lit(split.to_string())))
            .first()
            .alias(split)
    };
    let out = df
        .lazy()
        .group_by([col("group")])
        .agg([col("split").n_unique().alias("splits"), side("train"), side("test")])
        .filter(col("splits").gt(lit(1)))
        .sort(["group"], Default::default())
        .collect()?;
    let (groups, train, test) = (strings(&out, "group")?, strings(&out, "train")?, strings(&out, "test")?);
    let examples: Vec<String> = (0..groups.len())
        .map(|i| format!("{} (train {}, test {})", groups[i], train[i], test[i]))
        .collect();
    Ok(Findings {
        count: groups.len() as u64,
        examples,
    })
}

fn duplicates(c: &Columns) -> PolarsResult<Findings> {
    if c.id.is_empty() {
        return Ok(Findings::default());
    }
    let df = df!("key" => &c.dedup_key, "id" => &c.id)?;
    let out = df
        .lazy()
        .group_by([col("key")])
        .agg([len().alias("copies"), col("id").first().alias("first")])
        .filter(col("copies").gt(lit(1)))
        .sort(["first"], Default::default())
        .collect()?;
    let (first, copies) = (strings(&out, "first")?, numbers(&out, "copies")?);
    let extra: u64 = copies.iter().map(|n| n - 1).sum();
    Ok(Findings {
        count: extra,
        examples: first
            .into_iter()
            .zip(copies)
            .take(EXAMPLES)
            .map(|(id, n)| format!("{id} ×{n}"))
            .collect(),
    })
}

/// Groups of non-AVC samples with the same task, media and input and more than one distinct
/// answer: the count of such groups, and for the first few (by first sample id) the ids of every
/// sample in the group with the number of distinct answers.
fn ambiguous(c: &Columns) -> PolarsResult<Findings> {
    if c.id.is_empty() {
        return Ok(Findings::default());
    }
    let df = df!("key" => &c.question_key, "answer" => &c.answer, "id" => &c.id)?;
    let out = df
        .lazy()
        .group_by([col("key")])
        .agg([
            col("answer").n_unique().alias("answers"),
            col("id").min().alias("first"),
        ])
        .filter(col("answers").gt(lit(1)))
        .sort(["first"], Default::default())
        .collect()?;
    let (keys, answers) = (strings(&out, "key")?, numbers(&out, "answers")?);
    let mut examples = Vec::new();
    for (key, n) in keys.iter().zip(&answers).take(EXAMPLES) {
        let mut members: Vec<&str> = (0..c.id.len())
            .filter(|&i| &c.question_key[i] == key)
            .map(|i| c.id[i].as_str())
            .collect();
        members.sort_unstable();
        examples.push(format!("{} ({n} answers)", members.join(" / ")));
    }
    Ok(Findings {
        count: keys.len() as u64,
        examples,
    })
}

/// The figures as a readable text table for the terminal.
pub fn render_text(stats: &Stats) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    writeln!(
        out,
        "{:<6} {:<6} {:<28} {:>9} {:>9} {:>8}",
        "split", "task", "source", "samples", "expected", "diff"
    )
    .unwrap();
    for r in &stats.counts {
        let expected = r.expected.map(|e| e.to_string()).unwrap_or_default();
        let diff = r.difference.map(|d| format!("{d:+}")).unwrap_or_default();
        writeln!(
            out,
            "{:<6} {:<6} {:<28} {:>9} {:>9} {:>8}",
            r.split, r.task, r.source, r.count, expected, diff
        )
        .unwrap();
    }
    writeln!(out, "{}", crate::words::plural(stats.samples as u64, "sample")).unwrap();
    if !stats.avfc.is_empty() {
        writeln!(out, "\nAVFC verdicts").unwrap();
        for v in &stats.avfc {
            writeln!(
                out,
                "  type {} {:<5} true {:>7}  false {:>7}",
                v.kind, v.split, v.true_claims, v.false_claims
            )
            .unwrap();
        }
    }
    writeln!(out, "\nanswer length (characters)").unwrap();
    for r in &stats.answer_length {
        writeln!(
            out,
            "  {:<6} mean {:>7.1}  min {:>5}  median {:>5}  max {:>6}",
            r.task, r.mean, r.min, r.median, r.max
        )
        .unwrap();
    }
    if !stats.rejects.is_empty() {
        writeln!(out, "\nrejects").unwrap();
        for r in &stats.rejects {
            writeln!(
                out,
                "  {:<28} {:<24} {:>7}   e.g. {}",
                r.source,
                r.reason,
                r.count,
                r.examples.first().map(String::as_str).unwrap_or("")
            )
            .unwrap();
        }
    }
    if !stats.skips.is_empty() {
        writeln!(out, "\nskips").unwrap();
        for r in &stats.skips {
            writeln!(out, "  {:<28} {:<24} {:>7}", r.source, r.reason, r.count).unwrap();
        }
    }
    writeln!(
        out,
        "\nleakage: {} groups in both splits{}",
        stats.leakage.count,
        examples(&stats.leakage.examples)
    )
    .unwrap();
    writeln!(
        out,
        "duplicates: {} samples repeat another's media, instruction and input{}",
        stats.duplicates.count,
        examples(&stats.duplicates.examples)
    )
    .unwrap();
    writeln!(
        out,
        "ambiguous: {} groups of samples share task, media and input but not the answer{}",
        stats.ambiguous.count,
        examples(&stats.ambiguous.examples)
    )
    .unwrap();
    out
}

fn examples(list: &[String]) -> String {
    if list.is_empty() {
        String::new()
    } else {
        format!(
            " (e.g. {})",
            list.iter().take(EXAMPLES).cloned().collect::<Vec<_>>().join(", ")
        )
    }
}
