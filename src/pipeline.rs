//! The build: every source's files → records → samples → shards, then `manifest.json`.
//! Used by `avfit build` (a manifest's sources) and `avfit convert` (one source).

use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::record::{Record, Split};
use crate::render::Templates;
use crate::sources::{discover_files, Collector, Reject, Sink, Source, SourceOptions, SourceStats};
use crate::writer::{write_json_atomically, CorpusWriter, ShardInfo};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::path::PathBuf;

/// Version of the `manifest.json` layout.
pub const SCHEMA_VERSION: u32 = 1;

/// One source to read.
pub struct Job {
    /// The adapter.
    pub source: &'static dyn Source,
    /// Files or directories as distributed.
    pub inputs: Vec<PathBuf>,
    /// Split override, media layout, params.
    pub options: SourceOptions,
    /// Expected samples per `<split>/<task>`, from the build manifest.
    pub expected: BTreeMap<String, u64>,
}

/// Everything a build needs.
pub struct Plan {
    /// The sources in order.
    pub jobs: Vec<Job>,
    /// Output directory.
    pub out: PathBuf,
    /// Seed for template choice.
    pub seed: u64,
    /// Token dialect.
    pub dialect: Dialect,
    /// Samples per shard.
    pub records_per_shard: usize,
    /// Compiled templates.
    pub templates: Templates,
    /// Hash of the configuration (manifest text or convert arguments, seed, dialect, templates).
    pub config_hash: String,
    /// Hide progress bars.
    pub quiet: bool,
    /// Groups (`yt:<id>`, one per line of `--exclude-groups`) held as test: curated rows never
    /// draw them for train.
    pub excluded_groups: Vec<String>,
}

/// `manifest.json`.
#[derive(Debug, Serialize)]
pub struct OutputManifest {
    /// Layout version of this file.
    pub schema_version: u32,
    /// `avfit`.
    pub tool: &'static str,
    /// The avfit version that wrote the corpus.
    pub tool_version: &'static str,
    /// Seed used.
    pub seed: u64,
    /// Dialect used.
    pub dialect: &'static str,
    /// Samples per shard.
    pub records_per_shard: usize,
    /// Hash of the configuration.
    pub config_hash: String,
    /// Expected samples per `<split>/<task>/<source>`, when the build manifest declares them.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub expected: BTreeMap<String, u64>,
    /// Samples written per `<split>/<task>/<source>`.
    pub counts: BTreeMap<String, u64>,
    /// Every shard with its sample count and SHA-256.
    pub shards: Vec<ShardInfo>,
    /// Lines in `rejects.jsonl`.
    pub rejects_lines: u64,
    /// Per source: read, used, rejected, skipped (by reason), dropped parts (by reason).
    pub sources: BTreeMap<String, SourceStats>,
}

/// Streams records into samples and samples and rejects into the writer.
struct WriterSink<'a> {
    writer: &'a mut CorpusWriter,
    templates: &'a Templates,
    dialect: Dialect,
    seed: u64,
    counts: &'a mut BTreeMap<String, u64>,
    /// Every group of the samples so far, with its split (test wins): later curated rows read it.
    used_groups: Option<&'a mut HashMap<String, Split>>,
}

impl Sink for WriterSink<'_> {
    fn record(&mut self, record: Record) -> Result<()> {
        let sample = crate::tasks::build_sample(record, self.templates, self.dialect, self.seed)?;
        let key = format!("{}/{}/{}", sample.split.as_str(), sample.task.as_str(), sample.source);
        *self.counts.entry(key).or_default() += 1;
        if let Some(used) = self.used_groups.as_deref_mut() {
            for group in &sample.groups {
                let split = used.entry(group.clone()).or_insert(sample.split);
                if sample.split == Split::Test {
                    *split = Split::Test;
                }
            }
        }
        self.writer.write_sample(&sample)
    }
    fn reject(&mut self, reject: Reject) -> Result<()> {
        self.writer.write_reject(&reject)
    }
}

/// Runs `plan`: checks templates and finds every source's files first (so a missing input or
/// template file fails before anything is written), then reads the direct sources in order and
/// the curated rows after them, and writes shards, `rejects.jsonl` and, last, `manifest.json`.
/// Returns the manifest written.
///
/// Errors: any input error of an adapter, an I/O error, a template error; on error the `.partial`
/// files are removed and no final shard or manifest of this run exists.
pub fn run(plan: &Plan) -> Result<OutputManifest> {
    let mut files = Vec::with_capacity(plan.jobs.len());
    for job in &plan.jobs {
        for task in job.source.tasks() {
            plan.templates.require(*task)?;
        }
        files.push(discover_files(job.source, &job.inputs)?);
    }
    let mut writer = CorpusWriter::create(&plan.out, plan.records_per_shard)?;
    let mut counts = BTreeMap::new();
    let mut sources: BTreeMap<String, SourceStats> = BTreeMap::new();
    // Direct sources first, so curated rows can avoid the groups those use in the other split;
    // each curated row sees the groups of every source before it.
    let mut order: Vec<usize> = (0..plan.jobs.len()).collect();
    order.sort_by_key(|&i| plan.jobs[i].source.is_curated());
    let mut used_groups: HashMap<String, Split> =
        plan.excluded_groups.iter().map(|g| (g.clone(), Split::Test)).collect();
    let read = (|| {
        for &i in &order {
            let (job, files) = (&plan.jobs[i], &files[i]);
            let mut options = job.options.clone();
            options.seed = plan.seed;
            let curated = job.source.is_curated();
            if curated {
                options.reserved_groups = std::sync::Arc::new(used_groups.clone());
            }
            let mut sink = WriterSink {
                writer: &mut writer,
                templates: &plan.templates,
                dialect: plan.dialect,
                seed: plan.seed,
                counts: &mut counts,
                used_groups: Some(&mut used_groups),
            };
            let mut collector = Collector::new(
                job.source.name(),
                &mut sink,
                progress_bar(job.source.name(), plan.quiet),
                job.options.media_root.clone(),
            );
            job.source.read(files, &options, &mut collector)?;
            let stats = collector.finish();
            if !stats.reconciles() {
                return Err(Error::Config(format!(
                    "internal accounting error in source {}: read {} != used {} + rejected {} + skipped {}",
                    job.source.name(),
                    stats.read,
                    stats.used,
                    stats.rejected,
                    stats.skipped_total()
                )));
            }
            sources.insert(job.source.name().to_string(), stats);
        }
        Ok(())
    })();
    if let Err(e) = read {
        writer.abort();
        return Err(e);
    }
    let (shards, rejects_lines) = writer.finish()?;
    let expected = plan
        .jobs
        .iter()
        .flat_map(|job| {
            job.expected
                .iter()
                .map(move |(k, v)| (format!("{k}/{}", job.source.name()), *v))
        })
        .collect();
    let manifest = OutputManifest {
        schema_version: SCHEMA_VERSION,
        tool: "avfit",
        tool_version: env!("CARGO_PKG_VERSION"),
        seed: plan.seed,
        dialect: plan.dialect.name(),
        records_per_shard: plan.records_per_shard,
        config_hash: plan.config_hash.clone(),
        expected,
        counts,
        shards,
        rejects_lines,
        sources,
    };
    write_json_atomically(&plan.out.join("manifest.json"), &manifest)?;
    Ok(manifest)
}

/// A spinner with the count of units read, on a terminal and unless `quiet`; hidden otherwise.
fn progress_bar(source: &str, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix:>12} {human_pos} records read ({per_sec})")
            .expect("valid progress template"),
    );
    bar.set_prefix(source.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}
