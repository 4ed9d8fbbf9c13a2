//! The build: every source's files → records → samples → shards, then `manifest.json`.
//! Used by `avfit build` (a manifest's sources) and `avfit convert` (one source), whole or as
//! one partition of several (`--partition K/N`, joined by [`crate::merge`]).

use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::journal::{self, Journal, JournalHeader, ShardOutcome};
use crate::media::MediaRoot;
use crate::media_list::MediaCatalog;
use crate::outdir::{self, remove_partials};
use crate::record::{Record, Split, Task};
use crate::render::Templates;
use crate::sources::{discover_files, Collector, Discovered, Origin, Reject, Sink, Source, SourceOptions, SourceStats};
use crate::split::FastMap;
use crate::writer::{
    commit, final_shard_path, shard_stem, write_json_partial, FileInfo, RejectsWriter, ShardInfo, ShardWriter,
    PARTITION_FILE,
};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
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
    /// Which shards to write (`--partition K/N`); [`Partition::WHOLE`] for all.
    pub partition: Partition,
    /// `--resume`: keep the shards the journal of an interrupted run vouches for.
    pub resume: bool,
    /// Rendering threads, a pool of their own; `None` or 0 = one per core.
    pub threads: Option<usize>,
    /// `--allow-all-rejected`: write the corpus even when a source read rows and rejected every
    /// one of them (without it, such a source stops the run: it was almost surely given the
    /// wrong files).
    pub allow_all_rejected: bool,
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
    pub dialect: String,
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
    /// The other files of the corpus with size and SHA-256: `rejects.jsonl`, `media.csv`.
    pub files: Vec<FileInfo>,
    /// Per source: read, used, rejected, skipped (by reason), dropped parts (by reason).
    pub sources: BTreeMap<String, SourceStats>,
    /// The dataset card `README.md` with its size and SHA-256 ([`crate::card`]); absent in a
    /// partition's figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card: Option<crate::card::CardInfo>,
}

/// A partition of a build: `K/N` writes the shards whose global index `i` has `i mod N = K`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partition {
    /// K, from 0.
    pub index: usize,
    /// N, at least 1.
    pub count: usize,
}

impl Partition {
    /// The whole build: `0/1`.
    pub const WHOLE: Partition = Partition { index: 0, count: 1 };

    /// Whether shard `shard` (a global index) is this partition's.
    pub fn owns(&self, shard: usize) -> bool {
        shard % self.count == self.index
    }
}

impl std::fmt::Display for Partition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Partition {
    /// The most partitions a build may have (`--partition K/N` with N at most this).
    pub const MAX_COUNT: usize = 100_000;
}

impl std::str::FromStr for Partition {
    type Err = String;
    /// `K/N` with `0 <= K < N <= 100000` ([`Partition::MAX_COUNT`]); the error says so.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let parsed = s
            .split_once('/')
            .and_then(|(k, n)| Some((k.trim().parse::<u64>().ok()?, n.trim().parse::<u64>().ok()?)));
        match parsed {
            Some((index, count)) if index < count && count <= Self::MAX_COUNT as u64 => Ok(Partition {
                index: index as usize,
                count: count as usize,
            }),
            _ => Err(format!(
                "`{s}`: expected K/N with 0 <= K < N <= {}, as 0/4",
                Self::MAX_COUNT
            )),
        }
    }
}

/// One shard of the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedShard {
    /// Final path relative to the output directory.
    pub path: String,
    /// `<split>/<task>/<source>`.
    pub key: String,
    /// The source.
    pub source: String,
}

/// What every partition of a build computes alike from the annotations: the shards, the
/// accounting before media checks, and the rejects found while reading.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanSummary {
    /// Seed used.
    pub seed: u64,
    /// Dialect used.
    pub dialect: String,
    /// Samples per shard.
    pub records_per_shard: usize,
    /// Hash of the configuration.
    pub config_hash: String,
    /// Expected samples per `<split>/<task>/<source>`.
    pub expected: BTreeMap<String, u64>,
    /// Per source accounting, media checks not yet applied.
    pub sources: BTreeMap<String, SourceStats>,
    /// Every shard, by global index.
    pub shards: Vec<PlannedShard>,
    /// Lines of `rejects.jsonl` found while reading (before the media rejects).
    pub plan_rejects_lines: u64,
    /// SHA-256 of those lines.
    pub plan_rejects_sha256: String,
}

/// `partition.json`: what `avfit merge` needs from one partition's output directory.
#[derive(Debug, Serialize, Deserialize)]
pub struct PartitionFile {
    /// `K/N`.
    pub partition: String,
    /// The plan, equal in every partition.
    pub plan: PlanSummary,
    /// The outcome of every shard of this partition, by global index.
    pub outcomes: Vec<ShardOutcome>,
    /// This partition's `rejects.jsonl` and `media.csv` with size and SHA-256 (`avfit merge`
    /// checks them).
    pub files: Vec<FileInfo>,
}

/// What the reading thread sends to the writing thread, in plan order. A record is held in
/// place, not boxed: batches are reused ([`Spent`]), so a record costs one copy into warm memory
/// where a box cost an allocation, a copy into fresh memory and a free on another thread.
#[allow(clippy::large_enum_variant)]
enum Item {
    /// Shard `shard` starts, under this stem.
    Open { shard: usize, stem: String },
    /// A record of shard `shard`.
    Record {
        shard: usize,
        record: Record,
        origin: Origin,
    },
    /// Shard `shard` is complete.
    Close { shard: usize },
}

/// An item after rendering.
enum Rendered {
    Open {
        shard: usize,
        stem: String,
    },
    /// A shard line: the bytes of its chunk's `lines` from the previous line's `end` to `end`.
    Line {
        shard: usize,
        end: usize,
    },
    MediaReject {
        shard: usize,
        reject: String,
        units: u64,
    },
    Close {
        shard: usize,
    },
}

/// Consecutive items of a batch after rendering, their lines in one buffer (one allocation per
/// chunk, not per line), and the rendering error that stopped the chunk, if any (the items before
/// it are still written).
struct RenderedChunk {
    lines: Vec<u8>,
    items: Vec<Rendered>,
    error: Option<Error>,
}

/// What stands in a batch for a record rendered and dropped on the rendering thread
/// ([`Renderer::dropped_when_rendered`]): a shard index no plan reaches, never rendered again (the
/// batch only goes back to be emptied).
const RENDERED_AND_DROPPED: Item = Item::Close { shard: usize::MAX };

/// Items of a batch one rendering task renders in turn.
const RENDER_CHUNK: usize = 64;

/// Items per batch handed to the renderers.
const BATCH: usize = 1024;
/// Batches in flight between the reading and the rendering thread.
const BATCHES_IN_FLIGHT: usize = 8;

/// Bytes of `media.csv` rows the reading thread holds before it spills them, sorted, to a scratch
/// run ([`MediaCatalog::spilling`]).
const MEDIA_SPILL_BYTES: usize = 16 << 20;

/// A shard the plan has opened.
struct Slot {
    split: Split,
    task: Task,
    source: &'static str,
    local: usize,
    planned: usize,
    /// Whether this run writes it: its partition's, and not kept from a resumed journal.
    writes: bool,
}

/// The reading side's sink: gives every record its shard (in plan order), keeps the accounting and
/// group reservations, writes the rejects found while reading, and batches the records of the
/// shards this run writes for the writing thread.
struct Planner<'a> {
    records_per_shard: usize,
    partition: Partition,
    /// Shards whose outcome a resumed journal already has: not written again.
    done: &'a HashMap<usize, ShardOutcome>,
    slots: Vec<Slot>,
    /// Looked up by most records of a curated row, whose tasks alternate (so `last` misses):
    /// hashed with foldhash ([`FastMap`]), not std's SipHash (a third of `Planner::record`).
    open: FastMap<(Split, Task, &'static str), usize>,
    /// The key and shard of the last record, while that shard is open.
    last: Option<((Split, Task, &'static str), usize)>,
    /// Shards per (split, task, source) so far.
    per_key: FastMap<(Split, Task, &'static str), usize>,
    /// Every group of the direct sources' samples so far, with its split (test wins): the curated
    /// rows read it.
    used_groups: HashMap<String, Split>,
    /// Whether records' groups go into `used_groups` (direct sources).
    track_groups: bool,
    rejects: RejectsWriter,
    /// Every media path of every record read (whatever partition writes it), with its origin.
    media: MediaCatalog,
    batch: Vec<Item>,
    send: std::sync::mpsc::SyncSender<Vec<Item>>,
    /// Batches the rendering thread has rendered, their records still in them (dropped here, or
    /// on the thread that allocated them: [`Planner::spent_to`]), and the vectors a source's
    /// thread emptied: reused for the next batch.
    recycled: std::sync::mpsc::Receiver<Vec<Item>>,
    /// While a source read on its own thread is planned: where rendered batches go
    /// to be dropped, on the thread that allocated their records, and its forwarded batches go
    /// back empty to be filled again ([`ForwardingSink`]).
    spent_to: Option<std::sync::mpsc::Sender<Spent>>,
}

/// What the reading thread hands back to the thread of the source it plans: vectors to
/// reuse, so that neither thread fills fresh memory batch after batch (the stores into a new
/// batch were two thirds of `Planner::record`'s samples).
enum Spent {
    /// A rendered batch: its records are dropped there, and the emptied vector comes back to the
    /// reading thread through its `recycled` channel.
    Rendered(Vec<Item>),
    /// A forwarded batch, planned and empty.
    Forwarded(Vec<Reported>),
}

impl Planner<'_> {
    fn push(&mut self, item: Item) -> Result<()> {
        self.batch.push(item);
        if self.batch.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let mut next = None;
        while let Ok(mut rendered) = self.recycled.try_recv() {
            match &self.spent_to {
                // The source's thread drops their records and sends the vector back (if it
                // ended, they drop here).
                Some(spent_to) if !rendered.is_empty() => {
                    let _ = spent_to.send(Spent::Rendered(rendered));
                }
                _ => {
                    rendered.clear();
                    next = Some(rendered);
                    break;
                }
            }
        }
        let next = next.unwrap_or_else(|| Vec::with_capacity(BATCH));
        let batch = std::mem::replace(&mut self.batch, next);
        self.send
            .send(batch)
            .map_err(|_| Error::Config("the writing thread stopped".into()))
    }

    /// Opens the next shard of `key` (split, task, source) and returns its index.
    fn open_shard(&mut self, key: (Split, Task, &'static str)) -> Result<usize> {
        let (split, task, source) = key;
        let shard = self.slots.len();
        let local = self.per_key.entry(key).or_default();
        let writes = self.partition.owns(shard) && !self.done.contains_key(&shard);
        self.slots.push(Slot {
            split,
            task,
            source,
            local: *local,
            planned: 0,
            writes,
        });
        *local += 1;
        self.open.insert(key, shard);
        if writes {
            let stem = shard_stem(split, task, source, self.slots[shard].local);
            self.push(Item::Open { shard, stem })?;
        }
        Ok(shard)
    }

    fn close(&mut self, shard: usize) -> Result<()> {
        if self.slots[shard].writes {
            self.push(Item::Close { shard })?;
        }
        Ok(())
    }

    /// Completes every open shard (at the end of a source).
    fn close_all(&mut self) -> Result<()> {
        self.last = None;
        let mut open: Vec<usize> = self.open.drain().map(|(_, shard)| shard).collect();
        open.sort_unstable();
        for shard in open {
            self.close(shard)?;
        }
        Ok(())
    }
}

impl Sink for Planner<'_> {
    fn record(&mut self, record: Record, origin: Origin) -> Result<()> {
        let task = record.target.task();
        let key = (record.split, task, record.source);
        // Every record read, first of all (whatever shard, partition or media check it meets
        // after): the media its source marks as named before were named by a record added here.
        self.media.add_except(&record.media, origin.named_before)?;
        if self.track_groups {
            for group in &record.groups {
                match self.used_groups.get_mut(&**group) {
                    Some(split) if record.split == Split::Test => *split = Split::Test,
                    Some(_) => {}
                    None => {
                        self.used_groups.insert(group.to_string(), record.split);
                    }
                }
            }
        }
        // Records of one (split, task, source) come in runs: the last shard is the usual answer.
        let shard = match self.last {
            Some((last_key, shard)) if last_key == key => shard,
            _ => {
                let shard = match self.open.get(&key) {
                    Some(&shard) => shard,
                    None => self.open_shard(key)?,
                };
                self.last = Some((key, shard));
                shard
            }
        };
        let slot = &mut self.slots[shard];
        slot.planned += 1;
        let (writes, full) = (slot.writes, slot.planned == self.records_per_shard);
        if writes {
            self.push(Item::Record { shard, record, origin })?;
        }
        if full {
            self.open.remove(&key);
            self.last = None;
            self.close(shard)?;
        }
        Ok(())
    }
    fn reject(&mut self, reject: Reject) -> Result<()> {
        self.rejects.write(&reject)
    }
}

/// What the writing thread needs to render records.
struct Renderer<'a> {
    templates: &'a Templates,
    dialect: Dialect,
    seed: u64,
    media_root: &'a [Option<MediaRoot>],
    /// Index into `media_root` and `dropped_when_rendered` per source name.
    source_index: &'a crate::split::FastMap<&'static str, usize>,
    /// Per source: whether its records are dropped on the rendering thread as soon as they are
    /// rendered. True for the curated rows, whose records are built on rayon's pool: no thread
    /// would free them locally, and dropping them here (in parallel) takes that work off the
    /// curated row's own thread, the serial part of the build (F = 1.0: about 0.91 of the wall
    /// time, the same CPU: the other core no longer waits; docs/BENCHMARKS.md, eleventh round).
    /// A direct source builds its records on its own thread, which drops them there, where
    /// mimalloc frees them fastest.
    dropped_when_rendered: &'a [bool],
    /// Bytes per item of the last chunk rendered, to size the next chunk's buffer so that it
    /// does not grow (and copy itself) while lines are appended.
    item_bytes: std::sync::atomic::AtomicUsize,
}

impl Renderer<'_> {
    /// Renders `items` in order into one chunk; the first error stops it. The items stay (their
    /// records go back to the reading thread to be dropped), but for the records of a source
    /// [`Renderer::dropped_when_rendered`], which are dropped here and replaced by
    /// [`RENDERED_AND_DROPPED`].
    fn render_chunk(&self, items: &mut [Item]) -> RenderedChunk {
        use std::sync::atomic::Ordering::Relaxed;
        let item_bytes = self.item_bytes.load(Relaxed);
        let mut chunk = RenderedChunk {
            lines: Vec::with_capacity(items.len() * (item_bytes + item_bytes / 4)),
            items: Vec::with_capacity(items.len()),
            error: None,
        };
        let count = items.len().max(1);
        for item in items {
            // The record's source, looked up once for its media rules and for its drop.
            let source = match item {
                Item::Record { record, .. } => self.source_index.get(record.source).copied(),
                _ => None,
            };
            match self.render(item, source, &mut chunk.lines) {
                Ok(rendered) => {
                    chunk.items.push(rendered);
                    if source.is_some_and(|i| self.dropped_when_rendered[i]) {
                        *item = RENDERED_AND_DROPPED;
                    }
                }
                Err(e) => {
                    chunk.error = Some(e);
                    break;
                }
            }
        }
        self.item_bytes.store((chunk.lines.len() / count).max(64), Relaxed);
        chunk
    }

    /// Applies the media rules and renders one item, a sample's line appended to `lines`; media
    /// failures become rejects. `source`: the record's index in `source_index` (`None` for an
    /// item that is no record, or a source without one: no media rules).
    fn render(&self, item: &mut Item, source: Option<usize>, lines: &mut Vec<u8>) -> Result<Rendered> {
        Ok(match item {
            Item::Open { shard, stem } => Rendered::Open {
                shard: *shard,
                stem: std::mem::take(stem),
            },
            Item::Close { shard } => Rendered::Close { shard: *shard },
            Item::Record { shard, record, origin } => {
                let shard = *shard;
                let root = source.and_then(|i| self.media_root[i].as_ref());
                if let Some(Err((reason, detail))) = root.map(|r| r.apply(record)) {
                    let reject = origin.reject(record.source, &record.key, reason, &detail);
                    return Ok(Rendered::MediaReject {
                        shard,
                        reject: serde_json::to_string(&reject).expect("a Reject always serializes"),
                        units: origin.units,
                    });
                }
                crate::tasks::write_sample(record, self.templates, self.dialect, self.seed, lines)?;
                Rendered::Line {
                    shard,
                    end: lines.len(),
                }
            }
        })
    }
}

/// The rendering thread: renders each batch on `pool` (chunks of [`RENDER_CHUNK`] items,
/// order kept) and hands it to the writing thread, so the next batch renders while the last one
/// is written; the rendered batch goes back to the reading thread through `recycle`. Stops when
/// the writing thread has stopped.
fn render_batches(
    receive: std::sync::mpsc::Receiver<Vec<Item>>,
    renderer: &Renderer,
    pool: &rayon::ThreadPool,
    send: std::sync::mpsc::SyncSender<Vec<RenderedChunk>>,
    recycle: std::sync::mpsc::Sender<Vec<Item>>,
) {
    use rayon::prelude::*;
    for mut batch in receive {
        let rendered: Vec<RenderedChunk> = pool.install(|| {
            batch
                .par_chunks_mut(RENDER_CHUNK)
                .map(|items| renderer.render_chunk(items))
                .collect()
        });
        let _ = recycle.send(batch); // the reading thread may have ended: the batch drops here
        if send.send(rendered).is_err() {
            return;
        }
    }
}

/// The writing thread: writes every rendered batch in order; the first rendering error stops it.
fn write_batches(receive: std::sync::mpsc::Receiver<Vec<RenderedChunk>>, writer: &mut ShardWriter) -> Result<()> {
    for rendered in receive {
        for chunk in rendered {
            let mut start = 0;
            for item in chunk.items {
                match item {
                    Rendered::Open { shard, stem } => writer.open(shard, &stem)?,
                    Rendered::Line { shard, end } => {
                        writer.write_line(shard, &chunk.lines[start..end])?;
                        start = end;
                    }
                    Rendered::MediaReject { shard, reject, units } => writer.media_reject(shard, reject, units)?,
                    Rendered::Close { shard } => writer.close(shard)?,
                }
            }
            if let Some(e) = chunk.error {
                return Err(e);
            }
        }
    }
    Ok(())
}

/// Runs `plan`: checks templates, finds every source's files and runs its
/// [`Source::check_inputs`] first (so a missing input, an inconsistent one or a template file
/// fails before anything is written), then reads the direct sources in order and
/// the curated rows after them, each on a thread of its own (the direct sources read ahead, two
/// at a time). One reading thread gives every record its shard, in source order; the shards
/// this run writes are rendered in parallel (rayon, `plan.threads`) and written in plan order, so
/// the bytes never depend on the thread count. Every completed shard is synced and recorded in
/// the journal. At the end `rejects.jsonl` (rejects found while reading, in reading order, then
/// media rejects shard by shard) and `manifest.json` (or, for one partition of several,
/// `partition.json` for `avfit merge`) are written and synced under temporary names; only then
/// do the shards take their final names, then `rejects.jsonl` and `media.csv` (every media path
/// of every record read, with its origin: [`crate::media_list`]), and `manifest.json` last
/// ([`commit`]). Returns the manifest (for a partition: what its own shards hold).
///
/// The whole run holds the lock on `plan.out` ([`outdir::lock`]); the directory is cleared of
/// what avfit can prove it wrote ([`outdir::clear`]) and of nothing else.
///
/// With `plan.resume`, shards the journal of a previous run of the same configuration and inputs
/// vouches for (and whose files are there with their size and SHA-256) are kept, not written
/// again.
///
/// Errors: any input error of an adapter, an I/O error, a template error, with `resume` a journal
/// of another configuration or other inputs, or a kept shard the plan now fills differently;
/// another run holds the lock; `plan.out` holds a file avfit cannot prove it wrote. On error the
/// `.partial` files are removed, and completed shards stay with the journal for `--resume`. No
/// final shard name or manifest of a failed run exists (short of a failed rename, see
/// [`commit`]).
pub fn run(plan: &Plan) -> Result<OutputManifest> {
    let mut files = Vec::with_capacity(plan.jobs.len());
    for job in &plan.jobs {
        for task in job.source.tasks() {
            plan.templates.require(*task)?;
        }
        let found = discover_files(job.source, &job.inputs)?;
        job.source.check_inputs(&found.files, &job.options)?;
        files.push(found);
    }
    if plan.records_per_shard == 0 {
        return Err(Error::Config(
            "records per shard must be at least 1 (--records-per-shard, or records_per_shard in the build manifest)"
                .into(),
        ));
    }
    let header = JournalHeader {
        config_hash: plan.config_hash.clone(),
        records_per_shard: plan.records_per_shard,
        partition: plan.partition.to_string(),
        inputs: inputs_fingerprint(&files),
    };
    let _lock = outdir::lock(&plan.out)?;
    let done = resume_or_prepare(plan, &header)?;
    let kept: Vec<ShardOutcome> = done.values().cloned().collect();
    let journal = Journal::create(&plan.out, &header, &kept)?;
    let result = build(plan, &files, &done, journal);
    if result.is_err() {
        remove_partials(&plan.out);
    }
    result
}

/// With `resume` and a journal of this configuration: the outcomes it vouches for whose files are
/// there with their size and SHA-256, after clearing everything else avfit wrote. Otherwise
/// clears the output directory of a previous avfit run and returns nothing.
///
/// Errors: a journal of another build; a file avfit cannot prove it wrote ([`outdir::clear`]).
fn resume_or_prepare(plan: &Plan, header: &JournalHeader) -> Result<HashMap<usize, ShardOutcome>> {
    let journal = if plan.resume { journal::read(&plan.out)? } else { None };
    let Some((found, outcomes)) = journal else {
        outdir::clear(&plan.out, &Default::default())?;
        return Ok(HashMap::new());
    };
    let differs = [
        (
            "configuration (manifest, seed, dialect, templates, media settings)",
            found.config_hash != header.config_hash,
        ),
        ("records per shard", found.records_per_shard != header.records_per_shard),
        ("partition", found.partition != header.partition),
        ("input files (size or modification time)", found.inputs != header.inputs),
    ];
    if let Some((what, _)) = differs.iter().find(|(_, d)| *d) {
        return Err(Error::Config(format!(
            "{}: its journal belongs to another build: the {what} differs from this run's; run without --resume to start over",
            plan.out.display()
        )));
    }
    let kept: HashMap<usize, ShardOutcome> = outcomes
        .into_iter()
        .filter(|o| outdir::file_matches_sha(&plan.out.join(&o.path), Some(o.bytes), &o.sha256))
        .map(|o| (o.index, o))
        .collect();
    let mut keep: std::collections::HashSet<String> = kept.values().map(|o| o.path.clone()).collect();
    keep.insert(journal::JOURNAL_FILE.to_string());
    outdir::clear(&plan.out, &keep)?;
    Ok(kept)
}

/// Path, size and modification time of every input file, hashed: a resume refuses a journal
/// written over other inputs.
fn inputs_fingerprint(files: &[Discovered]) -> String {
    let mut text = String::new();
    for path in files.iter().flat_map(|d| &d.files) {
        let meta = std::fs::metadata(path).ok();
        let modified = meta
            .as_ref()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        text += &format!("{}\t{}\t{modified}\n", path.display(), meta.map_or(0, |m| m.len()));
    }
    format!("{:016x}", crate::split::stable_hash(&[&text]))
}

fn build(
    plan: &Plan,
    files: &[Discovered],
    done: &HashMap<usize, ShardOutcome>,
    journal: Journal,
) -> Result<OutputManifest> {
    let media_roots: Vec<Option<MediaRoot>> = plan.jobs.iter().map(|j| j.options.media_root.clone()).collect();
    let source_index: crate::split::FastMap<&'static str, usize> = plan
        .jobs
        .iter()
        .enumerate()
        .map(|(i, j)| (j.source.name(), i))
        .collect();
    let dropped_when_rendered: Vec<bool> = plan.jobs.iter().map(|j| j.source.is_curated()).collect();
    let renderer = Renderer {
        templates: &plan.templates,
        dialect: plan.dialect,
        seed: plan.seed,
        media_root: &media_roots,
        source_index: &source_index,
        dropped_when_rendered: &dropped_when_rendered,
        item_bytes: 512.into(),
    };
    let (send, receive) = std::sync::mpsc::sync_channel::<Vec<Item>>(BATCHES_IN_FLIGHT);
    let mut writer = ShardWriter::new(&plan.out, journal);
    // Rendering has a pool of its own (one thread per core without `--threads`), apart from
    // rayon's global pool, which parses the large files in chunks and runs the curated pairing's
    // parallel steps: in one pool each waited behind the other's jobs, and the F = 1.0 build
    // left a fifth of its CPU time idle (0.87 of the wall time in 5 pairs with its own pool).
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(plan.threads.unwrap_or(0))
        .build()
        .map_err(|e| Error::Config(format!("cannot start the rendering threads: {e}")))?;
    let (send_rendered, receive_rendered) = std::sync::mpsc::sync_channel::<Vec<RenderedChunk>>(4);
    let (recycle, recycled) = std::sync::mpsc::channel::<Vec<Item>>();
    let emptied = recycle.clone();
    let (read, written) = std::thread::scope(|scope| {
        let rendering = scope.spawn(|| render_batches(receive, &renderer, &pool, send_rendered, recycle));
        let writing = scope.spawn(|| write_batches(receive_rendered, &mut writer));
        // Every media path is known once the last record is planned: `media.csv` is written
        // while the rendering and writing threads finish the last batches, not after them.
        let read = read_sources(plan, files, done, send, recycled, emptied).and_then(|(mut parts, sources)| {
            let media_file = parts.2.write_partial(&plan.out)?;
            Ok((parts, sources, media_file))
        });
        rendering.join().expect("the rendering thread does not panic");
        let written = writing.join().expect("the writing thread does not panic");
        (read, written)
    });
    // A writer that failed (a full disk) stops the reader too: its error is the cause. A reader
    // that failed (an unreadable input) lets the writer finish normally.
    let read = match (read, written) {
        (_, Err(e)) => return Err(e),
        (Err(e), Ok(())) => return Err(e),
        (Ok(read), Ok(())) => read,
    };
    let ((slots, rejects, _), sources, media_file) = read;
    for (index, kept) in done {
        let planned = slots.get(*index).map_or(0, |s| s.planned as u64);
        if planned != kept.records + kept.rejects.len() as u64 {
            return Err(Error::Config(format!(
                "{}: the inputs changed since the interrupted run: shard {} ({}) now has {planned} records, the journal {}; run without --resume",
                plan.out.display(),
                index,
                kept.path,
                kept.records + kept.rejects.len() as u64
            )));
        }
    }
    let (written, journal) = writer.finish()?;
    let (plan_rejects_lines, plan_rejects_sha256) = rejects.lines_and_digest();
    let summary = summarize(plan, &slots, sources, plan_rejects_lines, plan_rejects_sha256);
    let mut outcomes: BTreeMap<usize, ShardOutcome> = done.clone().into_iter().collect();
    outcomes.extend(written.into_iter().map(|o| (o.index, o)));
    let mut renames = Vec::new();
    for (index, shard) in summary.shards.iter().enumerate() {
        if !plan.partition.owns(index) {
            continue;
        }
        let outcome = outcomes
            .get(&index)
            .ok_or_else(|| Error::Config(format!("internal error: shard {index} was not written")))?;
        renames.push((outcome.path.clone(), shard.path.clone()));
    }
    let mut rejects = rejects;
    for outcome in outcomes.values() {
        for line in &outcome.rejects {
            rejects.write_text(line)?;
        }
    }
    let mut files = vec![rejects.close()?, media_file];
    let mut manifest = assemble(&summary, &outcomes, files.clone());
    let record = if plan.partition.count == 1 {
        files.push(crate::card::write_corpus_card_partial(&plan.out, &mut manifest)?);
        write_json_partial(&plan.out, "manifest.json", &manifest)?;
        "manifest.json"
    } else {
        let file = PartitionFile {
            partition: plan.partition.to_string(),
            plan: summary,
            outcomes: outcomes.into_values().collect(),
            files: files.clone(),
        };
        write_json_partial(&plan.out, PARTITION_FILE, &file)?;
        PARTITION_FILE
    };
    commit(&plan.out, &renames, &files, record)?;
    journal.remove()?;
    Ok(manifest)
}

/// The reading thread's part: every source in order through the [`Planner`]. Returns the planned
/// shards, the rejects writer and the per-source accounting.
#[allow(clippy::type_complexity)]
fn read_sources(
    plan: &Plan,
    files: &[Discovered],
    done: &HashMap<usize, ShardOutcome>,
    send: std::sync::mpsc::SyncSender<Vec<Item>>,
    recycled: std::sync::mpsc::Receiver<Vec<Item>>,
    emptied: std::sync::mpsc::Sender<Vec<Item>>,
) -> Result<((Vec<Slot>, RejectsWriter, MediaCatalog), BTreeMap<String, SourceStats>)> {
    let mut planner = Planner {
        records_per_shard: plan.records_per_shard,
        partition: plan.partition,
        done,
        slots: Vec::new(),
        open: FastMap::default(),
        last: None,
        per_key: FastMap::default(),
        used_groups: plan.excluded_groups.iter().map(|g| (g.clone(), Split::Test)).collect(),
        track_groups: true,
        rejects: RejectsWriter::create(&plan.out)?,
        media: MediaCatalog::spilling(&plan.out, MEDIA_SPILL_BYTES),
        batch: Vec::with_capacity(BATCH),
        send,
        recycled,
        spent_to: None,
    };
    let mut sources: BTreeMap<String, SourceStats> = BTreeMap::new();
    // Direct sources first, so curated rows can avoid the groups those use in the other split;
    // each curated row sees the groups of every source before it.
    let mut order: Vec<usize> = (0..plan.jobs.len()).collect();
    order.sort_by_key(|&i| plan.jobs[i].source.is_curated());
    // The groups of the direct sources, shared by every curated row (which add none: between
    // curated rows, `earlier_test_fractions` keeps splits apart without remembering groups).
    let mut reserved = std::sync::Arc::new(HashMap::new());
    let mut curated_fractions: Vec<f64> = Vec::new();
    // Without curated rows nothing reads the groups: they are not remembered at all.
    planner.track_groups = plan.jobs.iter().any(|j| j.source.is_curated());
    let bars = indicatif::MultiProgress::new();
    let read = std::thread::scope(|scope| -> Result<()> {
        // Direct sources are read on threads of their own, up to DIRECT_SOURCES_AT_ONCE at a
        // time in order; this thread plans their records source after source, as if it had read
        // them itself.
        let mut direct = order.iter().copied().filter(|&i| !plan.jobs[i].source.is_curated());
        let mut ahead: std::collections::VecDeque<Reading> = Default::default();
        // Tops `ahead` up to `waiting` sources read and not yet being planned.
        let mut read_ahead = |ahead: &mut std::collections::VecDeque<_>, waiting: usize| {
            while ahead.len() < waiting {
                let Some(i) = direct.next() else { break };
                let mut options = plan.jobs[i].options.clone();
                options.seed = plan.seed;
                let bar = progress_bar(plan.jobs[i].source.name(), plan.quiet, &bars);
                ahead.push_back(start_reading(scope, &plan.jobs[i], &files[i], options, bar, &emptied));
            }
        };
        read_ahead(&mut ahead, DIRECT_SOURCES_AT_ONCE);
        for &i in &order {
            let (job, files) = (&plan.jobs[i], &files[i]);
            let (stats, first_reject) = if job.source.is_curated() {
                if planner.track_groups {
                    planner.track_groups = false;
                    reserved = std::sync::Arc::new(std::mem::take(&mut planner.used_groups));
                }
                let mut options = job.options.clone();
                options.seed = plan.seed;
                options.reserved_groups = reserved.clone();
                options.earlier_test_fractions = curated_fractions.clone();
                curated_fractions.extend(job.source.hashed_test_fraction());
                let bar = progress_bar(job.source.name(), plan.quiet, &bars);
                // Read on a thread of its own too, so that its pairing (whose parallel steps this
                // thread would wait for) and the planning of its records overlap.
                let reading = start_reading(scope, job, files, options, bar, &emptied);
                planner.take_forwarded(job.source.name(), reading)?
            } else {
                let reading = ahead.pop_front().expect("one reading thread per direct source");
                // The source being planned is still read: it counts as one of those at once.
                read_ahead(&mut ahead, DIRECT_SOURCES_AT_ONCE - 1);
                planner.take_forwarded(job.source.name(), reading)?
            };
            // Every unit rejected, at least one for its annotations (not only for media missing
            // under --media-root): almost surely the wrong files.
            if let (false, 0, Some(first)) = (plan.allow_all_rejected, stats.used, first_reject) {
                if stats.rejected > 0 {
                    return Err(all_rejected(job.source.name(), &files.files, &stats, &first));
                }
            }
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
            planner.close_all()?;
        }
        Ok(())
    });
    if read.is_err() {
        // The records planned before the error still go to the writer: the shards they complete
        // are kept for `--resume` (its own error, if any, is the cause that counts).
        let _ = planner.flush();
    }
    read?;
    planner.flush()?;
    Ok(((planner.slots, planner.rejects, planner.media), sources))
}

/// Reads `job`'s source from `files` with `options` through a [`Collector`] feeding `sink`
/// (ambiguous records refused unless the source avoids them by construction; the files a
/// directory held and the source does not read noted), moving `bar`. Returns the read's result,
/// the source's counts and its first reject ([`Collector::first_reject`]), on success or not.
fn collect_source(
    job: &Job,
    files: &Discovered,
    options: &SourceOptions,
    sink: &mut dyn Sink,
    bar: ProgressBar,
) -> (Result<()>, SourceStats, Option<String>) {
    let mut collector = Collector::new(job.source.name(), sink, bar, job.options.media_root.clone());
    if !job.source.unambiguous_by_construction() {
        collector.guard_ambiguity();
    }
    files.note_not_read(&mut collector);
    let read = job.source.read(&files.files, options, &mut collector);
    let first_reject = collector.first_reject().map(str::to_string);
    (read, collector.finish(), first_reject)
}

/// Records and rejects a source's thread passes to the reading thread per message.
const FORWARDED_BATCH: usize = 512;
/// Direct sources read at once, each on its own thread (the one being planned and those after it):
/// two keep both cores of a small machine busy while holding at most two sources' memory.
const DIRECT_SOURCES_AT_ONCE: usize = 2;
/// Messages in flight per source read on its own thread: it holds at most this many batches
/// before it waits for the reading thread to reach it, so its memory stays bounded.
const FORWARDED_IN_FLIGHT: usize = 4;

/// What a source read on its own thread reports to the reading thread, in order.
enum Forwarded {
    /// Records and rejects, as the adapter reported them.
    Batch(Vec<Reported>),
    /// The source is read: its result, its counts and its first reject
    /// ([`Collector::first_reject`]).
    Done(Result<()>, SourceStats, Option<String>),
}

/// One thing an adapter reported to its [`Collector`]'s sink.
enum Reported {
    /// A record, with where it came from ([`Sink::record`]).
    Record(Record, Origin),
    /// A rejects line ([`Sink::reject`]).
    Reject(Reject),
}

/// The sink of a source read on its own thread: batches what the adapter reports and sends
/// it to the reading thread, which plans it in order ([`Planner::take_forwarded`]).
struct ForwardingSink {
    batch: Vec<Reported>,
    send: std::sync::mpsc::SyncSender<Forwarded>,
    /// Rendered batches (of this source's records, or of an earlier source's), their records
    /// dropped here (a free on another thread costs mimalloc several times a local one), and
    /// forwarded batches planned, to fill again.
    spent: std::sync::mpsc::Receiver<Spent>,
    /// Where the rendered batches' emptied vectors go: the reading thread's `recycled`.
    emptied: std::sync::mpsc::Sender<Vec<Item>>,
    /// Forwarded batches that came back empty.
    empty: Vec<Vec<Reported>>,
}

impl ForwardingSink {
    fn push(&mut self, reported: Reported) -> Result<()> {
        self.batch.push(reported);
        if self.batch.len() >= FORWARDED_BATCH {
            self.send_batch()?;
        }
        Ok(())
    }

    /// Sends what is batched. Errors: the reading thread stopped (it has its own error to tell).
    fn send_batch(&mut self) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        for spent in self.spent.try_iter() {
            match spent {
                Spent::Rendered(mut rendered) => {
                    rendered.clear();
                    let _ = self.emptied.send(rendered);
                }
                Spent::Forwarded(forwarded) => self.empty.push(forwarded),
            }
        }
        let next = self.empty.pop().unwrap_or_else(|| Vec::with_capacity(FORWARDED_BATCH));
        let batch = std::mem::replace(&mut self.batch, next);
        self.send
            .send(Forwarded::Batch(batch))
            .map_err(|_| Error::Config("the reading thread stopped".into()))
    }
}

impl Sink for ForwardingSink {
    fn record(&mut self, record: Record, origin: Origin) -> Result<()> {
        self.push(Reported::Record(record, origin))
    }
    fn reject(&mut self, reject: Reject) -> Result<()> {
        self.push(Reported::Reject(reject))
    }
}

/// A source being read on a thread of its own ([`start_reading`]): what it reports, and where its
/// spent batches go back to it.
type Reading = (std::sync::mpsc::Receiver<Forwarded>, std::sync::mpsc::Sender<Spent>);

/// Starts reading `job` from `files` with `options` on a thread of `scope`
/// ([`read_source_forwarded`], moving `bar`; emptied batch vectors go to `emptied`).
fn start_reading<'scope, 'env>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    job: &'env Job,
    files: &'env Discovered,
    options: SourceOptions,
    bar: ProgressBar,
    emptied: &std::sync::mpsc::Sender<Vec<Item>>,
) -> Reading {
    let (send, receive) = std::sync::mpsc::sync_channel(FORWARDED_IN_FLIGHT);
    let (spent_to, spent) = std::sync::mpsc::channel();
    let emptied = emptied.clone();
    scope.spawn(move || read_source_forwarded(job, files, options, bar, send, spent, emptied));
    (receive, spent_to)
}

/// Reads the source `job` from `files` with `options` on the calling thread (one of its own),
/// moving `bar`, and sends what it reports, then [`Forwarded::Done`], through `send`; drops the
/// rendered batches that come back through `spent` as it goes and sends their emptied vectors
/// to `emptied`. Stops early, quietly, when the reading thread hangs up (it stopped on an error
/// of its own).
fn read_source_forwarded(
    job: &Job,
    files: &Discovered,
    options: SourceOptions,
    bar: ProgressBar,
    send: std::sync::mpsc::SyncSender<Forwarded>,
    spent: std::sync::mpsc::Receiver<Spent>,
    emptied: std::sync::mpsc::Sender<Vec<Item>>,
) {
    let mut sink = ForwardingSink {
        batch: Vec::with_capacity(FORWARDED_BATCH),
        send: send.clone(),
        spent,
        emptied,
        empty: Vec::new(),
    };
    let (read, stats, first_reject) = collect_source(job, files, &options, &mut sink, bar);
    // What was read before an error is planned too, as when the reading thread read it itself.
    let sent = sink.send_batch();
    let read = read.and(sent);
    let _ = send.send(Forwarded::Done(read, stats, first_reject));
}

impl Planner<'_> {
    /// Plans what the thread reading `source` sends (see [`read_source_forwarded`]), in order,
    /// until it is done, handing its spent batches back to it meanwhile: that source's counts and
    /// first reject. Errors: the source's own error, a planning error, or the thread's end without
    /// [`Forwarded::Done`].
    fn take_forwarded(&mut self, source: &str, reading: Reading) -> Result<(SourceStats, Option<String>)> {
        let (receive, spent_to) = reading;
        self.spent_to = Some(spent_to);
        let taken = self.take_all_forwarded(source, &receive);
        self.spent_to = None;
        taken
    }

    /// [`Planner::take_forwarded`] once `spent_to` is set.
    fn take_all_forwarded(
        &mut self,
        source: &str,
        receive: &std::sync::mpsc::Receiver<Forwarded>,
    ) -> Result<(SourceStats, Option<String>)> {
        loop {
            match receive.recv() {
                Ok(Forwarded::Batch(mut batch)) => {
                    for reported in batch.drain(..) {
                        match reported {
                            Reported::Record(record, origin) => self.record(record, origin)?,
                            Reported::Reject(reject) => self.reject(reject)?,
                        }
                    }
                    if let Some(spent_to) = &self.spent_to {
                        let _ = spent_to.send(Spent::Forwarded(batch));
                    }
                }
                Ok(Forwarded::Done(read, stats, first_reject)) => {
                    read?;
                    return Ok((stats, first_reject));
                }
                Err(_) => {
                    return Err(Error::Config(format!(
                        "internal error: the thread reading source {source} ended before the source"
                    )))
                }
            }
        }
    }
}

/// The error of a source that read rows and rejected every one (`stats.used == 0`,
/// `stats.rejected > 0`, at least one not `missing_media`): one line naming the source, its `files`, the counts and `first` (the
/// first rejected unit, [`Collector::first_reject`]), and the flag that lets it pass.
fn all_rejected(source: &str, files: &[PathBuf], stats: &SourceStats, first: &str) -> Error {
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    Error::Config(format!(
        "source {source}: every row was rejected (read {}, rejected {}, skipped {}); wrong files? {}; first: {}; pass --allow-all-rejected to write it anyway",
        stats.read,
        stats.rejected,
        stats.skipped_total(),
        names.join(", "),
        first
    ))
}

/// The plan summary from the planned shards and the accounting.
fn summarize(
    plan: &Plan,
    slots: &[Slot],
    sources: BTreeMap<String, SourceStats>,
    plan_rejects_lines: u64,
    plan_rejects_sha256: String,
) -> PlanSummary {
    let mut totals: HashMap<(Split, Task, &str), usize> = HashMap::new();
    for s in slots {
        *totals.entry((s.split, s.task, s.source)).or_default() += 1;
    }
    let shards = slots
        .iter()
        .map(|s| {
            let stem = shard_stem(s.split, s.task, s.source, s.local);
            PlannedShard {
                path: final_shard_path(&stem, totals[&(s.split, s.task, s.source)]),
                key: format!("{}/{}/{}", s.split.as_str(), s.task.as_str(), s.source),
                source: s.source.to_string(),
            }
        })
        .collect();
    let expected = plan
        .jobs
        .iter()
        .flat_map(|job| {
            job.expected
                .iter()
                .map(move |(k, v)| (format!("{k}/{}", job.source.name()), *v))
        })
        .collect();
    PlanSummary {
        seed: plan.seed,
        dialect: plan.dialect.name().to_string(),
        records_per_shard: plan.records_per_shard,
        config_hash: plan.config_hash.clone(),
        expected,
        sources,
        shards,
        plan_rejects_lines,
        plan_rejects_sha256,
    }
}

/// The `manifest.json` of the shards in `outcomes` (by global index) under `summary`: shard list
/// in path order, counts from the shards, media-rejected units moved from used to rejected.
/// `files` are the other files of the corpus (`rejects.jsonl`) with size and SHA-256.
/// A whole build and the merge of its partitions call this alike.
pub fn assemble(
    summary: &PlanSummary,
    outcomes: &BTreeMap<usize, ShardOutcome>,
    files: Vec<FileInfo>,
) -> OutputManifest {
    let mut sources = summary.sources.clone();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut shards = Vec::with_capacity(outcomes.len());
    let mut media_rejects = 0;
    for (index, outcome) in outcomes {
        let planned = &summary.shards[*index];
        if outcome.records > 0 {
            *counts.entry(planned.key.clone()).or_default() += outcome.records;
        }
        if let Some(stats) = sources.get_mut(&planned.source) {
            stats.used -= outcome.rejected_units;
            stats.rejected += outcome.rejected_units;
        }
        media_rejects += outcome.rejects.len() as u64;
        shards.push(ShardInfo {
            path: planned.path.clone(),
            records: outcome.records,
            bytes: outcome.bytes,
            sha256: outcome.sha256.clone(),
        });
    }
    shards.sort_by(|a, b| a.path.cmp(&b.path));
    OutputManifest {
        schema_version: SCHEMA_VERSION,
        tool: "avfit",
        tool_version: env!("CARGO_PKG_VERSION"),
        seed: summary.seed,
        dialect: summary.dialect.clone(),
        records_per_shard: summary.records_per_shard,
        config_hash: summary.config_hash.clone(),
        expected: summary.expected.clone(),
        counts,
        shards,
        rejects_lines: summary.plan_rejects_lines + media_rejects,
        files,
        sources,
        card: None,
    }
}

/// The spinner of `source` under `bars` (sources read at once each draw their own line), or a
/// hidden bar when `quiet` or stderr is not a terminal.
fn progress_bar(source: &str, quiet: bool, bars: &indicatif::MultiProgress) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix:>12} {human_pos} records read ({per_sec})")
            .expect("valid progress template"),
    );
    bar.set_prefix(source.to_string());
    let bar = bars.add(bar);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::BBox;
    use crate::record::{Media, Target};
    use crate::sources::At;

    fn arig(source: &'static str, key: &str) -> Record {
        Record {
            source,
            key: key.to_string(),
            split: Split::Train,
            groups: vec!["oi:0001".into(), "yt:abc".into()],
            media: Media {
                image: Some("openimages/images/0001.jpg".into()),
                audio: Some("audioset/audios/abc_000010.wav".into()),
                ..Media::default()
            },
            target: Target::Arig {
                label: "Dog".into(),
                boxes: vec![BBox([0.1, 0.2, 0.3, 0.4])],
            },
            referring: false,
        }
    }

    #[test]
    fn a_curated_rows_records_are_dropped_once_rendered_and_a_direct_sources_stay() {
        let templates = Templates::builtin().unwrap();
        let source_index: crate::split::FastMap<&'static str, usize> =
            [("openimages_audioset", 0), ("vggss", 1)].into_iter().collect();
        let renderer = Renderer {
            templates: &templates,
            dialect: Dialect::Meerkat,
            seed: 0,
            media_root: &[None, None],
            source_index: &source_index,
            dropped_when_rendered: &[true, false],
            item_bytes: 512.into(),
        };
        let origin = Origin {
            file: "in.csv".into(),
            at: At::Line(2),
            units: 1,
            named_before: Default::default(),
        };
        let (curated, direct) = (arig("openimages_audioset", "0001/dog"), arig("vggss", "abc"));
        // The lines the two records render to, on their own.
        let mut expected = Vec::new();
        crate::tasks::write_sample(&curated, &templates, Dialect::Meerkat, 0, &mut expected).unwrap();
        let first_end = expected.len();
        crate::tasks::write_sample(&direct, &templates, Dialect::Meerkat, 0, &mut expected).unwrap();
        let mut items = [
            Item::Record {
                shard: 0,
                record: curated,
                origin: origin.clone(),
            },
            Item::Record {
                shard: 1,
                record: direct,
                origin,
            },
        ];
        let chunk = renderer.render_chunk(&mut items);
        assert!(chunk.error.is_none());
        assert_eq!(chunk.lines, expected);
        let ends: Vec<(usize, usize)> = chunk
            .items
            .iter()
            .map(|r| match r {
                Rendered::Line { shard, end } => (*shard, *end),
                _ => panic!("a line was expected"),
            })
            .collect();
        assert_eq!(ends, [(0, first_end), (1, expected.len())]);
        assert!(matches!(items[0], Item::Close { shard: usize::MAX }));
        assert!(matches!(&items[1], Item::Record { shard: 1, record, .. } if record.key == "abc"));
    }
}
