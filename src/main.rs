//! The `avfit` command line (DESIGN.md, "Command line"). Only argument handling lives here.

use avfit::config::BuildManifest;
use avfit::curate::classes::ClassMap;
use avfit::dialect::Dialect;
use avfit::error::{Error, Result};
use avfit::media::MediaRoot;
use avfit::pipeline::{self, Job, OutputManifest, Partition, Plan};
use avfit::record::Split;
use avfit::render::Templates;
use avfit::sources::{self, SourceOptions};
use avfit::split::stable_hash;
use avfit::writer::DEFAULT_RECORDS_PER_SHARD;
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// mimalloc: records and rendered lines are allocated and freed on several threads (the pipeline
/// takes a rendered batch back to the thread that read its records, but buffers and curated
/// records still cross threads), which glibc's allocator handles slowly and with growing
/// fragmentation (measured in bench/run.sh).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its `mimalloc.h` enum, value 15 in mimalloc 2 and 3): how
/// long freed memory stays committed before it goes back to the OS. The default (10 ms) returns
/// the batches' buffers, freed on another thread, to the OS between two batches, and the kernel
/// then zeroes every page again on its next use (5% of the Open Images conversion's CPU, measured
/// with perf). Never purging keeps them for reuse; peak RSS does not change.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Sets mimalloc's options before the first allocation that matters (see
/// [`MI_OPTION_PURGE_DELAY`]); `MIMALLOC_PURGE_DELAY` (or its older name `MIMALLOC_RESET_DELAY`)
/// in the environment still wins.
fn tune_allocator() {
    let given = |name: &str| std::env::var_os(name).is_some();
    if !given("MIMALLOC_PURGE_DELAY") && !given("MIMALLOC_RESET_DELAY") {
        // SAFETY: mi_option_set only stores the value; any option id is accepted.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    }
}

/// Build audio-visual instruction-tuning corpora (AVFIT) from native dataset annotations.
#[derive(Parser)]
#[command(name = "avfit", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the whole corpus a build manifest describes (default: manifests/sample.toml).
    Build {
        /// Build manifest (TOML).
        #[arg(long)]
        manifest: Option<PathBuf>,
        /// Output directory (default: the manifest's `out`, else `out`).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// Convert one source's native files into the same output layout.
    Convert {
        /// Source name (see `avfit sources`): a built-in adapter or a shipped spec.
        #[arg(long, required_unless_present = "spec", conflicts_with = "spec")]
        source: Option<String>,
        /// A source spec file (TOML, README "Adding a source") instead of --source.
        #[arg(long)]
        spec: Option<PathBuf>,
        /// A native file or a directory as the dataset distributes it; repeatable.
        #[arg(long = "input", required = true)]
        inputs: Vec<PathBuf>,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Force this split on every sample (every native split is then read).
        #[arg(long, value_enum)]
        split: Option<Split>,
        /// Curated rows: the class map (default manifests/classes.toml).
        #[arg(long)]
        classes: Option<PathBuf>,
        /// Curated rows: fraction of images hashed to test.
        #[arg(long, default_value_t = 0.2)]
        test_fraction: f64,
        /// Curated rows: a file of groups (`yt:<id>`, one per line; a bare id is a YouTube id)
        /// never drawn for train.
        #[arg(long)]
        exclude_groups: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// Join the output directories of the N partitions of one build (`--partition K/N`) into the
    /// corpus a single build writes.
    Merge {
        /// Output directory of the merged corpus.
        #[arg(long)]
        out: PathBuf,
        /// The partitions' output directories, in any order.
        #[arg(required = true)]
        parts: Vec<PathBuf>,
    },
    /// List every source adapter, its tasks and the files it reads.
    Sources,
    /// Export a corpus for trainers: Parquet (Hugging Face layout), LLaMA-Factory or ms-swift JSONL.
    Export(avfit::export::cli::ExportArgs),
    /// Write synthetic native-format inputs of all twelve datasets and a manifest.toml building them.
    Synth {
        /// Fraction of AVFIT's sizes (1.0 gives inputs for about 3M samples).
        #[arg(long)]
        scale: f64,
        /// Output directory (created; an earlier synth output there is replaced).
        #[arg(long)]
        out: PathBuf,
        /// RNG seed: the same scale and seed give byte-identical files.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Check every line of a corpus against the output contract and its dialect (and its media).
    Validate {
        /// The corpus directory (with manifest.json).
        dir: PathBuf,
        /// Directory the media paths are relative to: check that every file exists and reads.
        #[arg(long)]
        media_root: Option<PathBuf>,
    },
    /// Score a model's predictions on a corpus's test split with MeerkatBench's metrics.
    Eval {
        /// The corpus directory (with manifest.json).
        dir: PathBuf,
        /// JSONL of {"id", "prediction"}, or a Meerkat dump {"outputs": [...]}.
        #[arg(long, required_unless_present = "oracle", conflicts_with = "oracle")]
        predictions: Option<PathBuf>,
        /// Score the corpus's own answers (checks that parsing and scoring agree with rendering).
        #[arg(long)]
        oracle: bool,
        /// The split to score.
        #[arg(long, value_enum, default_value = "test")]
        split: Split,
        /// The dialect the answers are written in (default: the corpus's).
        #[arg(long)]
        dialect: Option<Dialect>,
        /// Write every figure and the per-sample scores as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Write a self-contained HTML page with the table and the worst samples to this file.
        #[arg(long)]
        html: Option<PathBuf>,
        /// With --html: draw predicted and true boxes over the ARIG images found here.
        #[arg(long)]
        media_root: Option<PathBuf>,
        /// The METEOR 1.5 jar (default: the one of an installed pycocoevalcap); needs Java.
        #[arg(long)]
        meteor_jar: Option<PathBuf>,
        /// Leave METEOR out (reported null).
        #[arg(long)]
        no_meteor: bool,
    },
    /// Audit a corpus: counts against the expected ones, distributions, rejects, leakage.
    Stats {
        /// The corpus directory (with manifest.json).
        dir: PathBuf,
        /// Write every figure as JSON to this file.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Write a self-contained HTML report with charts to this file.
        #[arg(long)]
        html: Option<PathBuf>,
        /// With --html: draw the boxes of some grounding samples over their images found here.
        #[arg(long)]
        media_root: Option<PathBuf>,
        /// Exit 1 when any group is in both splits, any sample is a duplicate, or any samples are
        /// ambiguous (same task, media and input, different answers).
        #[arg(long)]
        strict: bool,
    },
    /// The media files of a corpus: `list` them with their sources, or `extract` them from the
    /// downloaded videos with ffmpeg.
    Media(avfit::extract::MediaArgs),
    /// Check the class map of the curated rows against the datasets' label files.
    Classes {
        /// Report every entry whose MID or label is absent from the label files in --labels
        /// (exit 1); an Open Images display name renamed in the file is a note (exit 0).
        #[arg(long, required = true)]
        check: bool,
        /// Directory holding class-descriptions-boxable.csv, class_labels_indices.csv,
        /// mid_to_display_name.tsv and vggsound.csv (or VGGSound's stat.csv).
        #[arg(long)]
        labels: PathBuf,
        /// The class map (default manifests/classes.toml).
        #[arg(long)]
        classes: Option<PathBuf>,
    },
}

#[derive(Args)]
struct Common {
    /// Seed for template choice (default 0; `build` takes the build manifest's `seed` if set).
    #[arg(long)]
    seed: Option<u64>,
    /// Token dialect of boxes and segments in answers.
    #[arg(long, value_enum)]
    dialect: Option<Dialect>,
    /// Samples per shard, at least 1 (default 10000; `build` takes the build manifest's
    /// `records_per_shard` if set).
    #[arg(long, value_name = "N", value_parser = parse_records_per_shard)]
    records_per_shard: Option<usize>,
    /// Directory of `<task>.toml` template files replacing the built-in ones.
    #[arg(long)]
    templates: Option<PathBuf>,
    /// Directory that media paths in samples are relative to; IGATL durations are read from the
    /// WAVs found there.
    #[arg(long)]
    media_root: Option<PathBuf>,
    /// Reject samples whose image, audio or video under --media-root is missing or unreadable
    /// (image and WAV headers read; a video's container header matches its extension).
    #[arg(long, requires = "media_root")]
    check_media: bool,
    /// No progress bars and no summary.
    #[arg(long)]
    quiet: bool,
    /// Write the corpus even when a source read rows and rejected every one of them (without
    /// it, such a source stops the run: it was almost surely given the wrong files).
    #[arg(long)]
    allow_all_rejected: bool,
    /// Continue an interrupted build in the same --out: keep the shards its journal
    /// (`build.journal`) vouches for and build the rest. Without a journal, a fresh build.
    #[arg(long)]
    resume: bool,
    /// Write only partition K of N (0 <= K < N <= 100000): the shards whose global index i has
    /// i mod N = K (media checks for those only), and `partition.json`; join the N outputs with
    /// `avfit merge`.
    #[arg(long, value_name = "K/N")]
    partition: Option<pipeline::Partition>,
    /// Threads rendering samples, at most 1024 (absent or 0: one per core). The output is the
    /// same for any count.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(0..=MAX_THREADS))]
    threads: Option<u16>,
}

/// The most rendering threads `--threads` accepts.
const MAX_THREADS: i64 = 1024;

/// `--records-per-shard`: a whole number of at least 1.
fn parse_records_per_shard(text: &str) -> std::result::Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("a shard holds at least 1 record".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("expected a whole number of at least 1 ({e})")),
    }
}

impl Common {
    /// `--media-root` and `--check-media`. Errors: the media root is not a directory.
    fn media_root(&self) -> Result<Option<MediaRoot>> {
        match &self.media_root {
            Some(root) if !root.is_dir() => Err(Error::Config(format!(
                "{}: --media-root must be a directory",
                root.display()
            ))),
            Some(root) => Ok(Some(MediaRoot {
                root: root.clone(),
                check: self.check_media,
            })),
            None => Ok(None),
        }
    }
}

fn main() -> ExitCode {
    tune_allocator();
    default_sigpipe();
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("avfit: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Restores the default action of SIGPIPE, which the Rust runtime sets to "ignore" (a write to a
/// closed stdout is then an error, and `println!` panics on it): `avfit validate DIR | head`
/// ends quietly when `head` exits, killed by SIGPIPE (status 141 in a shell) like any Unix filter.
/// avfit writes to no other pipe. Takes and returns nothing; no effect off Unix.
fn default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first in main, before any other thread exists; SIG_DFL is a valid action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Merge { out, parts } => {
            let manifest = avfit::merge::merge(&out, &parts)?;
            print_summary(&out, &manifest);
            Ok(())
        }
        Command::Synth { scale, out, seed } => {
            let summary = avfit::synth::synth(&avfit::synth::SynthOptions {
                scale,
                out,
                seed,
                classes: avfit::curate::default_classes_path(),
            })?;
            for s in &summary.sources {
                let defects: u64 = s.defects.values().sum();
                println!("{:<26} {:>9} units  {:>5} defects", s.name, s.units, defects);
            }
            println!("→ {}", summary.manifest.display());
            Ok(())
        }
        Command::Export(args) => avfit::export::cli::run(args),
        Command::Sources => {
            let (registry, specs) = (avfit::registry::builtin(), avfit::spec::shipped());
            let names = registry.iter().map(|s| s.name()).chain(specs.iter().map(|s| s.name));
            let width = names.map(|n| n.chars().count()).max().unwrap_or(0).max(12);
            // Every source, built-in or shipped spec: name, tasks, the files it reads (a spec's
            // with the split each goes to, then its spec file).
            let rows: Vec<(&str, String, &str)> = registry
                .iter()
                .map(|s| {
                    (
                        s.name(),
                        s.tasks().iter().map(|t| t.as_str()).collect::<Vec<_>>().join(","),
                        s.files(),
                    )
                })
                .chain(
                    specs
                        .iter()
                        .map(|s| (s.name, s.task.as_str().to_string(), sources::Source::files(*s))),
                )
                .collect();
            let task_width = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
            for (name, tasks, files) in rows {
                println!("{name:<width$} {tasks:<task_width$} {files}");
            }
            Ok(())
        }
        Command::Build { manifest, out, common } => {
            let m = BuildManifest::load(&manifest.unwrap_or_else(default_manifest))?;
            let mut jobs = Vec::new();
            // A spec's text enters the config hash (the manifest only names its file).
            let mut config = m.text.clone();
            for entry in &m.sources {
                let source: &'static dyn sources::Source = match &entry.spec {
                    Some(path) => {
                        let spec = avfit::registry::load_spec(path)?;
                        config.push_str(&spec.text);
                        spec
                    }
                    None => avfit::registry::configured(&entry.name, &entry.curation)?,
                };
                let mut options = SourceOptions::new(source);
                options.split = entry.split;
                options.params = entry.params.clone();
                options.include_depiction = entry.include_depiction;
                options.media_root = common.media_root()?;
                if let Some(media) = &entry.media {
                    options.media = media.over(&options.media);
                }
                jobs.push(Job {
                    source,
                    inputs: entry.inputs.clone(),
                    options,
                    expected: entry.expected.clone(),
                });
            }
            let defaults = Defaults {
                seed: m.seed,
                dialect: m.dialect,
                records_per_shard: m.records_per_shard,
                templates: m.templates.as_deref(),
                excluded_groups: Vec::new(),
            };
            let out = out.or(m.out).unwrap_or_else(|| PathBuf::from("out"));
            execute(jobs, out, &common, defaults, &config)
        }
        Command::Eval {
            dir,
            predictions,
            oracle,
            split,
            dialect,
            json,
            html,
            media_root,
            meteor_jar,
            no_meteor,
        } => {
            let source = match (oracle, predictions) {
                (true, _) => avfit::eval::run::Predictions::Oracle,
                (false, Some(p)) => avfit::eval::run::Predictions::File(p),
                (false, None) => return Err(Error::Config("give --predictions FILE or --oracle".into())),
            };
            let options = avfit::eval::run::EvalOptions {
                split,
                dialect,
                meteor_jar,
                meteor: !no_meteor,
            };
            avfit::eval::run::run(
                &dir,
                &source,
                &options,
                json.as_deref(),
                html.as_deref(),
                media_root.as_deref(),
            )
        }
        Command::Stats {
            dir,
            json,
            html,
            media_root,
            strict,
        } => {
            if let Some(root) = media_root.as_ref().filter(|r| !r.is_dir()) {
                return Err(Error::Config(format!(
                    "{}: --media-root must be a directory",
                    root.display()
                )));
            }
            // Refused before anything is computed: a target that is not avfit's to replace.
            if let Some(path) = &json {
                avfit::outdir::check_report_target(path, &avfit::stats::JSON_FILE)?;
            }
            if let Some(path) = &html {
                avfit::outdir::check_report_target(path, &avfit::report::HTML_FILE)?;
            }
            let stats = avfit::stats::compute(&dir)?;
            print!("{}", avfit::stats::render_text(&stats));
            if let Some(path) = &json {
                let text = avfit::stats::to_json(&stats);
                avfit::outdir::write_report(path, &avfit::stats::JSON_FILE, text.as_bytes())?;
            }
            if let Some(path) = &html {
                avfit::report::write_html(&stats, &dir, media_root.as_deref(), path)?;
            }
            if strict && (stats.leakage.count > 0 || stats.duplicates.count > 0 || stats.ambiguous.count > 0) {
                return Err(Error::Config(format!(
                    "--strict: {} groups in both splits, {} duplicate samples, {} ambiguous groups",
                    stats.leakage.count, stats.duplicates.count, stats.ambiguous.count
                )));
            }
            Ok(())
        }
        Command::Media(args) => avfit::extract::run_media(args),
        Command::Validate { dir, media_root } => {
            if let Some(root) = media_root.as_ref().filter(|r| !r.is_dir()) {
                return Err(Error::Config(format!(
                    "{}: --media-root must be a directory",
                    root.display()
                )));
            }
            let report = avfit::validate::validate(&dir, media_root.as_deref())?;
            for (kind, (count, examples)) in &report.problems {
                println!("{kind}: {count}");
                for e in examples {
                    println!("  {e}");
                }
            }
            let total: u64 = report.problems.values().map(|(c, _)| c).sum();
            println!(
                "{}: {}, {}",
                dir.display(),
                avfit::words::plural(report.lines, "line"),
                avfit::words::plural(total, "problem")
            );
            if report.is_clean() {
                Ok(())
            } else {
                Err(Error::Config(format!(
                    "{}: {}",
                    dir.display(),
                    avfit::words::plural(total, "problem")
                )))
            }
        }
        Command::Classes {
            check: _,
            labels,
            classes,
        } => {
            let path = classes.unwrap_or_else(avfit::curate::default_classes_path);
            let map = ClassMap::load(&path)?;
            let report = map.check(&labels)?;
            for file in &report.used {
                println!("checked against {}", file.display());
            }
            for p in &report.problems {
                println!("{p}");
            }
            for n in &report.notes {
                println!("note: {n}");
            }
            let problems = &report.problems;
            println!(
                "{}: {} classes, {} problems, {} notes",
                path.display(),
                map.classes.len(),
                problems.len(),
                report.notes.len()
            );
            if problems.is_empty() {
                Ok(())
            } else {
                Err(Error::Config(format!(
                    "{}: {} problems",
                    path.display(),
                    problems.len()
                )))
            }
        }
        Command::Convert {
            source,
            spec,
            inputs,
            out,
            split,
            classes,
            test_fraction,
            exclude_groups,
            common,
        } => {
            // A curated row's settings (ignored by any other source).
            let curation = avfit::curate::CurationOptions {
                test_fraction,
                classes: classes.unwrap_or_else(avfit::curate::default_classes_path),
                ..Default::default()
            };
            let (source, spec_text): (&'static dyn sources::Source, String) = match (&source, &spec) {
                (_, Some(path)) => {
                    let spec = avfit::registry::load_spec(path)?;
                    (spec, format!("\n{}", spec.text))
                }
                (Some(name), None) => (avfit::registry::configured(name, &curation)?, String::new()),
                (None, None) => unreachable!("clap requires --source or --spec"),
            };
            if !(0.0..=1.0).contains(&test_fraction) {
                return Err(Error::Config(format!(
                    "--test-fraction {test_fraction} is not in [0, 1]"
                )));
            }
            if source.is_curated() && split.is_some() {
                return Err(Error::Config(format!(
                    "--split does not apply to {}: a curated row takes each image's split from its hash (--test-fraction)",
                    source.name()
                )));
            }
            let mut options = SourceOptions::new(source);
            options.split = split;
            let excluded = match &exclude_groups {
                Some(path) => std::fs::read_to_string(path)
                    .map_err(|e| Error::io(path, e))?
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(|g| {
                        if g.contains(':') {
                            g.to_string()
                        } else {
                            format!("yt:{g}")
                        }
                    })
                    .collect(),
                None => Vec::new(),
            };
            options.media_root = common.media_root()?;
            let inputs_text: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
            let config = format!(
                "{}\n{}\n{}\n{}\n{test_fraction}\n{}{spec_text}",
                source.name(),
                inputs_text.join("\n"),
                split.map_or("-", |s| s.as_str()),
                avfit::curate::classes_config_text(&curation.classes),
                excluded.join("\n"),
            );
            let jobs = vec![Job {
                source,
                inputs,
                options,
                expected: Default::default(),
            }];
            execute(
                jobs,
                out,
                &common,
                Defaults {
                    excluded_groups: excluded,
                    ..Defaults::default()
                },
                &config,
            )
        }
    }
}

/// What a build manifest sets when the command line does not.
#[derive(Default)]
struct Defaults<'a> {
    seed: Option<u64>,
    dialect: Option<Dialect>,
    records_per_shard: Option<usize>,
    templates: Option<&'a Path>,
    excluded_groups: Vec<String>,
}

/// Runs `jobs` into `out` with the command line's settings over `defaults`; `config` (the build
/// manifest's text, or convert's source, inputs and split) enters the config hash.
fn execute(jobs: Vec<Job>, out: PathBuf, common: &Common, defaults: Defaults, config: &str) -> Result<()> {
    let templates = load_templates(common.templates.as_deref().or(defaults.templates))?;
    let seed = common.seed.or(defaults.seed).unwrap_or(0);
    let dialect = common.dialect.or(defaults.dialect).unwrap_or_default();
    let records_per_shard = common
        .records_per_shard
        .or(defaults.records_per_shard)
        .unwrap_or(DEFAULT_RECORDS_PER_SHARD);
    let config_hash = format!(
        "{:016x}",
        stable_hash(&[
            config,
            &seed.to_string(),
            dialect.name(),
            &records_per_shard.to_string(),
            templates.digest(),
            // Media settings change samples (IGATL durations, --check-media rejects).
            &common
                .media_root
                .as_ref()
                .map_or("no media root".to_string(), |r| format!(
                    "{} {}",
                    r.display(),
                    common.check_media
                )),
        ])
    );
    let plan = Plan {
        excluded_groups: defaults.excluded_groups,
        jobs,
        out,
        seed,
        dialect,
        records_per_shard,
        templates,
        config_hash,
        quiet: common.quiet,
        partition: common.partition.unwrap_or(Partition::WHOLE),
        resume: common.resume,
        threads: common.threads.map(usize::from),
        allow_all_rejected: common.allow_all_rejected,
    };
    let written = pipeline::run(&plan)?;
    if !common.quiet {
        print_summary(&plan.out, &written);
    }
    Ok(())
}

/// `manifests/sample.toml` in the working directory, else beside this crate's sources (so the
/// binary built from a clone works from any directory of the clone).
fn default_manifest() -> PathBuf {
    let local = PathBuf::from("manifests/sample.toml");
    if local.exists() {
        local
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests/sample.toml")
    }
}

fn load_templates(dir: Option<&Path>) -> Result<Templates> {
    match dir {
        Some(dir) if !dir.is_dir() => Err(Error::Config(format!(
            "{}: template directory not found",
            dir.display()
        ))),
        Some(dir) => Templates::from_dir(dir),
        None => Templates::builtin(),
    }
}

fn print_summary(out: &Path, m: &OutputManifest) {
    use avfit::words::plural;
    let width = m.sources.keys().map(|n| n.chars().count()).max().unwrap_or(0).max(12);
    for (name, s) in &m.sources {
        println!(
            "{name:<width$} read {:>8}  used {:>8}  rejected {:>6}  skipped {:>6}  dropped {:>6}",
            s.read,
            s.used,
            s.rejected,
            s.skipped_total(),
            s.dropped.values().sum::<u64>()
        );
    }
    for (key, expected) in &m.expected {
        let got = m.counts.get(key).copied().unwrap_or(0);
        if got != *expected {
            println!(
                "{key}: {}, expected {expected} ({:+})",
                plural(got, "sample"),
                got as i64 - *expected as i64
            );
        }
    }
    let samples: u64 = m.counts.values().sum();
    println!(
        "{} in {}, {} → {}",
        plural(samples, "sample"),
        plural(m.shards.len() as u64, "shard"),
        plural(m.rejects_lines, "rejects line"),
        out.display()
    );
}
