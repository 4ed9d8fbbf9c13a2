//! The arguments of `avfit export` and their checks (kept here, not in `main.rs`).

use super::{export, parse_splits, parse_tasks, ExportOptions, Format, MediaKind};
use crate::error::{Error, Result};
use crate::words::plural;
use std::path::PathBuf;

/// `avfit export CORPUS_DIR --format parquet|llamafactory|swift --out DIR [...]`.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// The corpus directory (with manifest.json).
    pub corpus: PathBuf,
    /// parquet, llamafactory or swift.
    #[arg(long)]
    pub format: String,
    /// Output directory (new or empty).
    #[arg(long)]
    pub out: PathBuf,
    /// Chat formats: prefix every media path with this directory (absolute when it is).
    #[arg(long)]
    pub media_dir: Option<String>,
    /// Chat formats: the media kinds listed, comma-separated (image, audio, video; default
    /// image,audio).
    #[arg(long)]
    pub media: Option<String>,
    /// Only these tasks, comma-separated (arig, igatl, avfc, avqa, avc).
    #[arg(long)]
    pub tasks: Option<String>,
    /// Only these splits, comma-separated (train, test).
    #[arg(long)]
    pub splits: Option<String>,
    /// swift: `objects` writes ARIG answers and AVFC type 4 claims as <ref-object><bbox> with
    /// an `objects` field (bbox_type norm1).
    #[arg(long)]
    pub grounding: Option<String>,
    /// No progress bar and no summary.
    #[arg(long)]
    pub quiet: bool,
}

/// Checks `args`, runs the export and prints its summary (unless `--quiet`).
///
/// Errors: an unknown format, task, split, media kind or grounding mode ([`Error::Config`]), and
/// those of [`super::export`].
pub fn run(args: ExportArgs) -> Result<()> {
    let format = Format::from_name(&args.format)?;
    let grounding_objects = match args.grounding.as_deref() {
        None => false,
        Some("objects") => true,
        Some(other) => {
            return Err(Error::Config(format!(
                "--grounding: unknown mode `{other}`; expected objects"
            )))
        }
    };
    if format == Format::Parquet {
        for (given, flag) in [
            (args.media.is_some(), "--media"),
            (args.media_dir.is_some(), "--media-dir"),
        ] {
            if given {
                return Err(Error::Config(format!(
                    "{flag} applies to --format llamafactory and swift only (Parquet keeps every column)"
                )));
            }
        }
    }
    let options = ExportOptions {
        corpus: args.corpus,
        format,
        out: args.out,
        media_dir: args.media_dir,
        media: MediaKind::parse_list(args.media.as_deref().unwrap_or("image,audio"))?,
        tasks: args.tasks.as_deref().map(parse_tasks).transpose()?.unwrap_or_default(),
        splits: args
            .splits
            .as_deref()
            .map(parse_splits)
            .transpose()?
            .unwrap_or_default(),
        grounding_objects,
        quiet: args.quiet,
    };
    let summary = export(&options)?;
    if !args.quiet {
        for file in &summary.files {
            println!("{:>9}  {}", file.records, file.path);
        }
        let skipped: u64 = summary.skipped.values().sum();
        let reasons: Vec<String> = summary.skipped.iter().map(|(r, n)| format!("{r} {n}")).collect();
        println!(
            "{} exported in {}, {skipped} skipped{} → {}",
            plural(summary.exported, "sample"),
            plural(summary.files.len() as u64, "file"),
            if reasons.is_empty() {
                String::new()
            } else {
                format!(" ({})", reasons.join(", "))
            },
            options.out.display()
        );
    }
    Ok(())
}
