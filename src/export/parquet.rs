//! `--format parquet`: Hugging Face's Parquet layout, `<task>/<split>-NNNNN-of-MMMMM.parquet`, and a
//! dataset card whose configs point at them.
//!
//! The schema is the card's features ([`crate::card`]) as typed Parquet columns: strings as
//! `BYTE_ARRAY (STRING)`, `groups` and `target.choices` as `LIST` of strings, `target.boxes` and
//! `target.segments` as `LIST` of `LIST` of `DOUBLE` (boxes are 4 doubles, never text),
//! `target.type` and `target.answer_index` as `INT64`, `target.verdict` as `BOOLEAN`,
//! `target.duration` as `DOUBLE`; a field the task lacks is null. Lists follow the Parquet
//! format's three-level `LIST` layout (`<name> (LIST) { repeated group list { element } }`,
//! parquet-format's LogicalTypes.md), which pyarrow, polars and `datasets` read as lists.
//! Written with the `parquet` crate's column writers: row groups of [`ROW_GROUP_ROWS`] rows
//! (memory holds one row group), files of at most [`ROWS_PER_FILE`] rows, uncompressed.

use super::chat::optional_text;
use super::{
    check_shard, for_each_line, parse_sample, with_shard, CorpusManifest, ExportOptions, ExportSummary, ExportedFile,
    Group, Staging,
};
use crate::card::{self, Config};
use crate::error::{Error, Result};
use crate::record::Split;
use ::parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
use ::parquet::file::properties::WriterProperties;
use ::parquet::file::writer::SerializedFileWriter;
use ::parquet::schema::parser::parse_message_type;
use ::parquet::schema::types::ColumnPath;
use indicatif::ProgressBar;
use serde::Deserialize;
use std::borrow::Cow;
use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::sync::Arc;

/// Rows per row group: small enough to stream (a reader holds one), large enough to compress
/// and scan well.
pub const ROW_GROUP_ROWS: usize = 10_000;

/// Rows per file at most; a (task, split) with more is split into `ceil(rows / ROWS_PER_FILE)`
/// files of equal size but the last.
pub const ROWS_PER_FILE: u64 = 500_000;

/// The Parquet schema of a sample, in the card's feature order.
pub const SCHEMA: &str = "
message avfit_sample {
  REQUIRED BYTE_ARRAY id (STRING);
  REQUIRED BYTE_ARRAY task (STRING);
  REQUIRED BYTE_ARRAY source (STRING);
  REQUIRED BYTE_ARRAY split (STRING);
  OPTIONAL BYTE_ARRAY image (STRING);
  OPTIONAL BYTE_ARRAY audio (STRING);
  OPTIONAL BYTE_ARRAY video (STRING);
  REQUIRED group groups (LIST) {
    REPEATED group list {
      REQUIRED BYTE_ARRAY element (STRING);
    }
  }
  REQUIRED BYTE_ARRAY instruction (STRING);
  REQUIRED BYTE_ARRAY input (STRING);
  REQUIRED BYTE_ARRAY answer (STRING);
  REQUIRED BYTE_ARRAY template (STRING);
  REQUIRED group target {
    OPTIONAL BYTE_ARRAY label (STRING);
    OPTIONAL group boxes (LIST) {
      REPEATED group list {
        REQUIRED group element (LIST) {
          REPEATED group list {
            REQUIRED DOUBLE element;
          }
        }
      }
    }
    OPTIONAL group segments (LIST) {
      REPEATED group list {
        REQUIRED group element (LIST) {
          REPEATED group list {
            REQUIRED DOUBLE element;
          }
        }
      }
    }
    OPTIONAL DOUBLE duration;
    OPTIONAL INT64 type;
    OPTIONAL BOOLEAN verdict;
    OPTIONAL BYTE_ARRAY question (STRING);
    OPTIONAL group choices (LIST) {
      REPEATED group list {
        REQUIRED BYTE_ARRAY element (STRING);
      }
    }
    OPTIONAL BYTE_ARRAY answer (STRING);
    OPTIONAL INT64 answer_index;
    OPTIONAL BYTE_ARRAY question_type (STRING);
    OPTIONAL BYTE_ARRAY caption (STRING);
  }
}
";

/// The values and levels of one leaf column for the rows of a row group.
struct Leaf<T> {
    values: Vec<T>,
    def: Vec<i16>,
    rep: Vec<i16>,
}

impl<T> Default for Leaf<T> {
    fn default() -> Self {
        Leaf {
            values: Vec::new(),
            def: Vec::new(),
            rep: Vec::new(),
        }
    }
}

impl<T> Leaf<T> {
    fn clear(&mut self) {
        self.values.clear();
        self.def.clear();
        self.rep.clear();
    }

    /// A value of a required top-level column.
    fn required(&mut self, v: T) {
        self.values.push(v);
    }

    /// An optional value (max definition level 1).
    fn optional(&mut self, v: Option<T>) {
        match v {
            Some(v) => {
                self.values.push(v);
                self.def.push(1);
            }
            None => self.def.push(0),
        }
    }

    /// A list of required elements; `optional` says whether the list itself may be null
    /// (definition levels: null 0, empty `base`, element `base + 1`, with `base` = 1 when the
    /// list is optional, else 0).
    fn list(&mut self, items: Option<impl IntoIterator<Item = T>>, optional: bool) {
        let base = i16::from(optional);
        let Some(items) = items else {
            self.def.push(0);
            self.rep.push(0);
            return;
        };
        let mut first = true;
        for item in items {
            self.values.push(item);
            self.def.push(base + 1);
            self.rep.push(if first { 0 } else { 1 });
            first = false;
        }
        if first {
            self.def.push(base);
            self.rep.push(0);
        }
    }
}

impl Leaf<f64> {
    /// An optional list of lists of doubles (boxes, segments): null 0, empty outer list 1,
    /// empty inner list 2, value 3; repetition 0 at the row's first value, 1 at a new inner
    /// list, 2 inside one.
    fn nested(&mut self, lists: Option<&[impl AsRef<[f64]>]>) {
        let Some(lists) = lists else {
            self.def.push(0);
            self.rep.push(0);
            return;
        };
        if lists.is_empty() {
            self.def.push(1);
            self.rep.push(0);
            return;
        }
        for (i, inner) in lists.iter().enumerate() {
            let inner = inner.as_ref();
            if inner.is_empty() {
                self.def.push(2);
                self.rep.push(if i == 0 { 0 } else { 1 });
                continue;
            }
            for (j, v) in inner.iter().enumerate() {
                self.values.push(*v);
                self.def.push(3);
                self.rep.push(if i == 0 && j == 0 {
                    0
                } else if j == 0 {
                    1
                } else {
                    2
                });
            }
        }
    }
}

/// `s`'s bytes as a [`ByteArray`]: copied when borrowed, moved when owned.
fn text(s: Cow<'_, str>) -> ByteArray {
    ByteArray::from(s.into_owned().into_bytes())
}

/// A corpus sample (a shard line, DESIGN.md's fields) as the Parquet columns take it, strings
/// borrowed from the line where JSON allows it. `target` is read flat: each task's fields are
/// the columns of the card's `target` struct, the ones a task lacks absent.
#[derive(Deserialize)]
struct Row<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    task: Cow<'a, str>,
    #[serde(borrow)]
    source: Cow<'a, str>,
    #[serde(borrow)]
    split: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "optional_text")]
    image: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "optional_text")]
    audio: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "optional_text")]
    video: Option<Cow<'a, str>>,
    #[serde(borrow)]
    groups: Vec<Cow<'a, str>>,
    #[serde(borrow)]
    instruction: Cow<'a, str>,
    #[serde(borrow)]
    input: Cow<'a, str>,
    #[serde(borrow)]
    answer: Cow<'a, str>,
    #[serde(borrow)]
    template: Cow<'a, str>,
    #[serde(borrow)]
    target: TargetRow<'a>,
}

/// The fields of every task's `target` (record.rs's [`crate::record::Target`]), each absent
/// where the task has none.
#[derive(Deserialize)]
struct TargetRow<'a> {
    #[serde(borrow, default, deserialize_with = "optional_text")]
    label: Option<Cow<'a, str>>,
    #[serde(default)]
    boxes: Option<Vec<[f64; 4]>>,
    #[serde(default)]
    segments: Option<Vec<[f64; 2]>>,
    #[serde(default)]
    duration: Option<f64>,
    #[serde(default, rename = "type")]
    kind: Option<i64>,
    #[serde(default)]
    verdict: Option<bool>,
    #[serde(borrow, default, deserialize_with = "optional_text")]
    question: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    choices: Option<Vec<Cow<'a, str>>>,
    #[serde(borrow, default, deserialize_with = "optional_text")]
    answer: Option<Cow<'a, str>>,
    #[serde(default)]
    answer_index: Option<i64>,
    #[serde(borrow, default, deserialize_with = "optional_text")]
    question_type: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "optional_text")]
    caption: Option<Cow<'a, str>>,
}

/// The columns of a row group being gathered, one per leaf of [`SCHEMA`].
#[derive(Default)]
struct Columns {
    rows: usize,
    id: Leaf<ByteArray>,
    task: Leaf<ByteArray>,
    source: Leaf<ByteArray>,
    split: Leaf<ByteArray>,
    image: Leaf<ByteArray>,
    audio: Leaf<ByteArray>,
    video: Leaf<ByteArray>,
    groups: Leaf<ByteArray>,
    instruction: Leaf<ByteArray>,
    input: Leaf<ByteArray>,
    answer: Leaf<ByteArray>,
    template: Leaf<ByteArray>,
    label: Leaf<ByteArray>,
    boxes: Leaf<f64>,
    segments: Leaf<f64>,
    duration: Leaf<f64>,
    kind: Leaf<i64>,
    verdict: Leaf<bool>,
    question: Leaf<ByteArray>,
    choices: Leaf<ByteArray>,
    qa_answer: Leaf<ByteArray>,
    answer_index: Leaf<i64>,
    question_type: Leaf<ByteArray>,
    caption: Leaf<ByteArray>,
}

impl Columns {
    /// Appends the row `r`; its strings are copied once, into the columns (moved when the
    /// JSON text had escapes).
    fn push(&mut self, r: Row<'_>) {
        self.rows += 1;
        self.id.required(text(r.id));
        self.task.required(text(r.task));
        self.source.required(text(r.source));
        self.split.required(text(r.split));
        self.image.optional(r.image.map(text));
        self.audio.optional(r.audio.map(text));
        self.video.optional(r.video.map(text));
        self.groups.list(Some(r.groups.into_iter().map(text)), false);
        self.instruction.required(text(r.instruction));
        self.input.required(text(r.input));
        self.answer.required(text(r.answer));
        self.template.required(text(r.template));
        let t = r.target;
        self.label.optional(t.label.map(text));
        self.boxes.nested(t.boxes.as_deref());
        self.segments.nested(t.segments.as_deref());
        self.duration.optional(t.duration);
        self.kind.optional(t.kind);
        self.verdict.optional(t.verdict);
        self.question.optional(t.question.map(text));
        self.choices.list(t.choices.map(|c| c.into_iter().map(text)), true);
        self.qa_answer.optional(t.answer.map(text));
        self.answer_index.optional(t.answer_index);
        self.question_type.optional(t.question_type.map(text));
        self.caption.optional(t.caption.map(text));
    }

    fn clear(&mut self) {
        self.rows = 0;
        for leaf in [
            &mut self.id,
            &mut self.task,
            &mut self.source,
            &mut self.split,
            &mut self.image,
            &mut self.audio,
            &mut self.video,
            &mut self.groups,
            &mut self.instruction,
            &mut self.input,
            &mut self.answer,
            &mut self.template,
            &mut self.label,
            &mut self.question,
            &mut self.choices,
            &mut self.qa_answer,
            &mut self.question_type,
            &mut self.caption,
        ] {
            leaf.clear();
        }
        self.boxes.clear();
        self.segments.clear();
        self.duration.clear();
        self.kind.clear();
        self.verdict.clear();
        self.answer_index.clear();
    }
}

/// Levels as the column writer takes them: none for a column whose max level is 0.
fn levels(v: &[i16]) -> Option<&[i16]> {
    (!v.is_empty()).then_some(v)
}

/// Writes `leaf` as the next column chunk of `group` (a column of Parquet type `D`).
fn write_leaf<D: ::parquet::data_type::DataType>(
    group: &mut ::parquet::file::writer::SerializedRowGroupWriter<'_, BufWriter<File>>,
    leaf: &Leaf<D::T>,
) -> ::parquet::errors::Result<()> {
    let mut column = group.next_column()?.expect("a leaf of SCHEMA");
    column
        .typed::<D>()
        .write_batch(&leaf.values, levels(&leaf.def), levels(&leaf.rep))?;
    column.close()
}

/// One Parquet file being written.
struct ParquetFile {
    path: PathBuf,
    writer: SerializedFileWriter<BufWriter<File>>,
    rows: u64,
}

impl ParquetFile {
    fn create(path: PathBuf) -> Result<ParquetFile> {
        let schema = Arc::new(parse_message_type(SCHEMA).expect("the schema parses"));
        let props = Arc::new(
            WriterProperties::builder()
                .set_created_by(format!("avfit {}", env!("CARGO_PKG_VERSION")))
                .set_max_row_group_size(ROW_GROUP_ROWS)
                // Every id is different: a dictionary only costs time and space.
                .set_column_dictionary_enabled(ColumnPath::from("id"), false)
                .build(),
        );
        let file = File::create(&path).map_err(|e| Error::io(&path, e))?;
        let writer = SerializedFileWriter::new(BufWriter::with_capacity(1 << 20, file), schema, props)
            .map_err(|e| Error::input(&path, None, format!("cannot start a Parquet file: {e}")))?;
        Ok(ParquetFile { path, writer, rows: 0 })
    }

    /// Writes `c` as one row group.
    fn write_row_group(&mut self, c: &Columns) -> Result<()> {
        if c.rows == 0 {
            return Ok(());
        }
        let path = self.path.clone();
        let err = |e: ::parquet::errors::ParquetError| Error::input(&path, None, format!("Parquet write failed: {e}"));
        let mut group = self.writer.next_row_group().map_err(err)?;
        // The leaves in SCHEMA's order.
        let g = &mut group;
        for leaf in [
            &c.id,
            &c.task,
            &c.source,
            &c.split,
            &c.image,
            &c.audio,
            &c.video,
            &c.groups,
            &c.instruction,
            &c.input,
            &c.answer,
            &c.template,
            &c.label,
        ] {
            write_leaf::<ByteArrayType>(g, leaf).map_err(err)?;
        }
        for leaf in [&c.boxes, &c.segments, &c.duration] {
            write_leaf::<DoubleType>(g, leaf).map_err(err)?;
        }
        write_leaf::<Int64Type>(g, &c.kind).map_err(err)?;
        write_leaf::<BoolType>(g, &c.verdict).map_err(err)?;
        for leaf in [&c.question, &c.choices, &c.qa_answer] {
            write_leaf::<ByteArrayType>(g, leaf).map_err(err)?;
        }
        write_leaf::<Int64Type>(g, &c.answer_index).map_err(err)?;
        for leaf in [&c.question_type, &c.caption] {
            write_leaf::<ByteArrayType>(g, leaf).map_err(err)?;
        }
        group.close().map_err(err)?;
        self.rows += c.rows as u64;
        Ok(())
    }

    fn close(self) -> Result<u64> {
        let path = self.path;
        let mut inner = self
            .writer
            .into_inner()
            .map_err(|e| Error::input(&path, None, format!("Parquet write failed: {e}")))?;
        std::io::Write::flush(&mut inner).map_err(|e| Error::io(&path, e))?;
        Ok(self.rows)
    }
}

/// The file name of file `index` of `count` of a (task, split): `<task>/<split>-NNNNN-of-MMMMM.parquet`.
pub fn file_name(task: &str, split: Split, index: u64, count: u64) -> String {
    format!("{task}/{}-{index:05}-of-{count:05}.parquet", split.as_str())
}

/// One Parquet file of an export: rows `start..end` of its group (the group's shards' lines
/// in shard order).
struct FileJob<'g> {
    /// Path relative to the output directory.
    rel: String,
    /// Its `.partial` path.
    path: PathBuf,
    group: &'g Group,
    start: u64,
    end: u64,
}

/// The files of `group`: `ceil(records / ROWS_PER_FILE)` of equal size but the last; none for
/// a group without records.
fn file_ranges(records: u64) -> Vec<(u64, u64)> {
    let count = records.div_ceil(ROWS_PER_FILE);
    let per_file = records.div_ceil(count.max(1));
    (0..count)
        .map(|i| (i * per_file, ((i + 1) * per_file).min(records)))
        .collect()
}

impl FileJob<'_> {
    /// Writes the file: reads every shard holding one of its rows, parses those rows and
    /// encodes them in row groups of [`ROW_GROUP_ROWS`]; checks the shards whose first row it
    /// holds (each shard is checked by exactly one file, [`super::check_shard`]). Returns its rows.
    ///
    /// Errors: an unreadable shard, a line that is not a sample, a shard that differs from its
    /// manifest entry, an I/O or Parquet error.
    fn write(&self, corpus: &std::path::Path, bar: &ProgressBar) -> Result<u64> {
        let mut file = ParquetFile::create(self.path.clone())?;
        let mut columns = Columns::default();
        let mut first_row = 0u64;
        for shard in &self.group.shards {
            let (lo, hi) = (first_row, first_row + shard.records);
            first_row = hi;
            // The group's last file also checks the empty shards at the group's end.
            let last = self.end == self.group.records;
            let owns = (self.start..self.end).contains(&lo) || (last && lo >= self.end);
            if !owns && (hi <= self.start || lo >= self.end) {
                continue;
            }
            let (from, to) = (self.start.saturating_sub(lo), self.end.saturating_sub(lo));
            let mut rows = 0u64;
            with_shard(corpus, shard, |path, data| {
                let lines = for_each_line(path, data, |path, (n, text)| {
                    if (from..to).contains(&(n - 1)) {
                        columns.push(parse_sample::<Row>(path, n, text)?);
                        rows += 1;
                        if columns.rows >= ROW_GROUP_ROWS {
                            file.write_row_group(&columns)?;
                            columns.clear();
                        }
                    }
                    Ok(())
                })?;
                if owns {
                    check_shard(path, shard, data, lines)?;
                }
                Ok(())
            })?;
            bar.inc(rows);
        }
        file.write_row_group(&columns)?;
        file.close()
    }
}

/// Writes the Parquet files of every group and the card, under staging. The files are written
/// on rayon's threads, each file by one thread from the shards holding its rows, so the bytes
/// of a file do not depend on the number of threads; memory holds one row group per thread.
///
/// Errors: the first in file order of those of [`FileJob::write`]; an I/O error.
pub fn export(
    options: &ExportOptions,
    manifest: &CorpusManifest,
    groups: &[Group],
    staging: &mut Staging,
    bar: &ProgressBar,
) -> Result<ExportSummary> {
    use rayon::prelude::*;
    let mut jobs = Vec::new();
    for group in groups {
        let ranges = file_ranges(group.records);
        let count = ranges.len() as u64;
        if ranges.is_empty() {
            // No file holds a row of these shards: check them here.
            for shard in &group.shards {
                with_shard(&options.corpus, shard, |path, data| {
                    check_shard(path, shard, data, for_each_line(path, data, |_, _| Ok(()))?)
                })?;
            }
        }
        for (index, (start, end)) in ranges.into_iter().enumerate() {
            let rel = file_name(group.task.as_str(), group.split, index as u64, count);
            jobs.push(FileJob {
                path: staging.partial(&rel)?,
                rel,
                group,
                start,
                end,
            });
        }
    }
    let results: Vec<Result<u64>> = jobs.par_iter().map(|job| job.write(&options.corpus, bar)).collect();
    let mut summary = ExportSummary::default();
    for (job, rows) in jobs.iter().zip(results) {
        let rows = rows?;
        summary.files.push(ExportedFile {
            path: job.rel.clone(),
            records: rows,
        });
        summary.exported += rows;
    }
    let text = parquet_card(manifest, &summary);
    let path = staging.partial(card::CARD_FILE)?;
    std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
    Ok(summary)
}

/// The (task, split) of an exported file `<task>/<split>-....parquet`.
fn task_split(path: &str) -> Option<(&str, Split)> {
    let (task, file) = path.split_once('/')?;
    let split = if file.starts_with("train-") {
        Split::Train
    } else if file.starts_with("test-") {
        Split::Test
    } else {
        return None;
    };
    Some((task, split))
}

/// The card of a Parquet export: configs over `<task>/<split>-*.parquet` (default
/// `*/<split>-*.parquet`), the exported counts per split/task, the corpus's sources with their
/// citations, and how to load it.
pub fn parquet_card(manifest: &CorpusManifest, summary: &ExportSummary) -> String {
    let configs: Vec<Config> = card::configs(
        summary.files.iter().map(|f| f.path.as_str()),
        task_split,
        |task, split| format!("{}/{}-*.parquet", task.unwrap_or("*"), split.as_str()),
    );
    let mut text = card::front_matter("AVFIT (regenerated by avfit, Parquet)", &configs);
    text += &format!(
        "\n# AVFIT, regenerated (Parquet)\n\n\
         The audio-visual instruction-tuning corpus of Meerkat (Chowdhury et al., ECCV 2024), \
         regenerated by avfit {} (seed {}, dialect {}) and exported to Parquet by avfit {}: \
         {} samples.\n",
        manifest.tool_version,
        manifest.seed,
        manifest.dialect,
        env!("CARGO_PKG_VERSION"),
        summary.exported
    );
    let mut counts = std::collections::BTreeMap::new();
    for file in &summary.files {
        if let Some((task, split)) = task_split(&file.path) {
            *counts.entry(format!("{}/{task}", split.as_str())).or_insert(0u64) += file.records;
        }
    }
    text += "\n## Counts\n\n| split/task | samples |\n|---|---:|\n";
    for (key, n) in &counts {
        text += &format!("| {key} | {n} |\n");
    }
    text += &card::sources_section(manifest.sources.keys().map(String::as_str));
    text += &card::loading_section(
        "the directory holding this card",
        "Files `<task>/<split>-NNNNN-of-MMMMM.parquet`, one row per sample with the corpus's \
         fields as typed columns (boxes and segments as lists of doubles). Media paths are \
         relative to the media root. Also readable with `pyarrow.parquet` and `polars.scan_parquet`.",
    );
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn files_split_a_group_in_equal_parts_but_the_last() {
        assert_eq!(file_ranges(0), []);
        assert_eq!(file_ranges(7), [(0, 7)]);
        assert_eq!(file_ranges(500_000), [(0, 500_000)]);
        assert_eq!(
            file_ranges(1_000_001),
            [(0, 333_334), (333_334, 666_668), (666_668, 1_000_001)]
        );
    }

    use super::*;

    #[test]
    fn nested_lists_get_the_levels_of_the_parquet_format() {
        // Rows: null; []; [[1,2],[3]]; [[]] — definition 0 null, 1 empty outer, 2 empty inner,
        // 3 value; repetition 0 new row, 1 new inner list, 2 within one.
        let mut leaf: Leaf<f64> = Leaf::default();
        leaf.nested(None::<&[[f64; 2]]>);
        leaf.nested(Some(&[] as &[[f64; 2]]));
        leaf.nested(Some(&[vec![1.0, 2.0], vec![3.0]][..]));
        leaf.nested(Some(&[Vec::<f64>::new()][..]));
        assert_eq!(leaf.values, vec![1.0, 2.0, 3.0]);
        assert_eq!(leaf.def, vec![0, 1, 3, 3, 3, 2]);
        assert_eq!(leaf.rep, vec![0, 0, 0, 2, 1, 0]);
    }

    #[test]
    fn lists_and_optionals_get_their_levels() {
        let mut required: Leaf<i64> = Leaf::default();
        required.list(Some([7, 8]), false);
        required.list(Some(Vec::<i64>::new()), false);
        assert_eq!(
            (required.values.clone(), required.def.clone(), required.rep.clone()),
            (vec![7, 8], vec![1, 1, 0], vec![0, 1, 0])
        );
        let mut optional: Leaf<i64> = Leaf::default();
        optional.list(None::<Vec<i64>>, true);
        optional.list(Some(Vec::<i64>::new()), true);
        optional.list(Some([5]), true);
        assert_eq!(
            (optional.values, optional.def, optional.rep),
            (vec![5], vec![0, 1, 2], vec![0, 0, 0])
        );
        let mut value: Leaf<bool> = Leaf::default();
        value.optional(Some(true));
        value.optional(None);
        assert_eq!((value.values, value.def), (vec![true], vec![1, 0]));
    }
}
