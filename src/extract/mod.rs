//! `avfit media extract CORPUS_DIR --videos DIR ... --out MEDIA_ROOT`: every media file the
//! corpus names (the rows of `avfit media list`, [`crate::media_list`]) written under the media
//! root at the path the corpus names, from the downloaded videos ([`lookup`]) with ffmpeg
//! ([`ffmpeg`]), or from the image and audio files as datasets distribute them.
//!
//! * A file standing under its final name is complete: it is skipped. Every file is written under
//!   `<final>.avfit-K-of-N.partial` (the partition in the name), its header checked (a JPEG's
//!   size, a WAV's format and exact sample count, an mp4's box header), then renamed. A run first
//!   removes the `.partial` files of its own partition a killed run left, and no others.
//! * Missing, too short and undecodable sources are not errors of the run: each file not produced
//!   is a row `path,video,reason,detail` of `MEDIA_ROOT/extract-report.csv`
//!   (`extract-report-K-of-N.csv` with `--partition K/N`), reasons `no_source_video`,
//!   `no_source_file`, `video_too_short`, `decode_error`.
//! * `--partition K/N`: the files whose source (YouTube id, or the dataset's file) hashes to K
//!   modulo N ([`crate::split::stable_hash`]).

pub mod ffmpeg;
pub mod lookup;

use crate::error::{Error, Result};
use crate::media_list::MediaRow;
use crate::pipeline::Partition;
use ffmpeg::Output;
use lookup::FileIndex;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `avfit media ...`: `list` and `extract`, and the older form `avfit media DIR --list FILE`.
#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct MediaArgs {
    /// `list` or `extract`.
    #[command(subcommand)]
    pub action: Option<MediaAction>,
    /// (Older form) the corpus directory, with --list FILE.
    pub dir: Option<PathBuf>,
    /// (Older form) the CSV file to write: as `avfit media list DIR --out FILE`.
    #[arg(long)]
    pub list: Option<PathBuf>,
}

/// The media subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum MediaAction {
    /// Write every media file the corpus refers to, with its source, clip window and frame time,
    /// as CSV (path,kind,dataset,youtube_id,media_id,clip_start,clip_end,frame_time,file).
    List {
        /// The corpus directory.
        dir: PathBuf,
        /// The CSV file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Write every media file the corpus refers to under MEDIA_ROOT, from downloaded videos.
    Extract(ExtractArgs),
}

/// Options of `avfit media extract`.
#[derive(clap::Args, Debug, Clone)]
pub struct ExtractArgs {
    /// The corpus directory.
    pub dir: PathBuf,
    /// A directory of downloaded videos (searched recursively); repeat it: the first root with a
    /// video of the clip wins.
    #[arg(long = "videos", required = true)]
    pub videos: Vec<PathBuf>,
    /// The media root to write (created if needed).
    #[arg(long)]
    pub out: PathBuf,
    /// A directory of the datasets' image files (Open Images, PASCAL VOC, Flickr-SoundNet, AVSBench).
    #[arg(long)]
    pub images: Option<PathBuf>,
    /// A directory of the datasets' audio files (PASCAL Sound's clips, Flickr-SoundNet, AVSBench).
    #[arg(long)]
    pub audio: Option<PathBuf>,
    /// ffmpeg processes at once (default: the number of cores).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub jobs: Option<u32>,
    /// Extract only the files whose source video hashes to K of N (0 <= K < N).
    #[arg(long)]
    pub partition: Option<Partition>,
    /// WAV sample rate in Hz.
    #[arg(long, default_value_t = 16000, value_parser = clap::value_parser!(u32).range(1000..=384_000))]
    pub sample_rate: u32,
    /// Say what would be done and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Runs `avfit media ...`.
///
/// Errors: as [`crate::media_list::media_rows`] and [`extract`]; the older form without `--list`.
pub fn run_media(args: MediaArgs) -> Result<()> {
    match (args.action, args.dir, args.list) {
        (Some(MediaAction::List { dir, out }), _, _) | (None, Some(dir), Some(out)) => {
            crate::outdir::check_report_target(&out, &crate::media_list::CSV_FILE)?;
            let rows = crate::media_list::media_rows(&dir)?;
            crate::media_list::write_csv(&rows, &out)?;
            println!("{} → {}", crate::words::plural(rows.len() as u64, "media file"), out.display());
            Ok(())
        }
        (Some(MediaAction::Extract(args)), _, _) => {
            let summary = extract(&args)?;
            println!("{summary}");
            Ok(())
        }
        _ => Err(Error::Config(
            "expected `avfit media list DIR --out FILE`, `avfit media extract DIR --videos DIR --out MEDIA_ROOT` or `avfit media DIR --list FILE`".into(),
        )),
    }
}

/// Why a media file was not produced, as `extract-report.csv` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Missing {
    /// No video of its clip under any `--videos` root.
    NoSourceVideo,
    /// An image or audio file distributed as a file: not under `--images` / `--audio`.
    NoSourceFile,
    /// The video ends before the frame time or the window's end.
    VideoTooShort,
    /// ffmpeg failed on the video, or its output did not check.
    DecodeError,
}

impl Missing {
    /// The report's `reason`.
    pub fn as_str(self) -> &'static str {
        match self {
            Missing::NoSourceVideo => "no_source_video",
            Missing::NoSourceFile => "no_source_file",
            Missing::VideoTooShort => "video_too_short",
            Missing::DecodeError => "decode_error",
        }
    }
}

/// One row of `extract-report.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportRow {
    /// The media path, relative to the media root.
    pub path: String,
    /// The source video or file, when one was found.
    pub video: String,
    /// Why.
    pub reason: Missing,
    /// ffmpeg's last line, the durations, or what was looked for.
    pub detail: String,
}

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// Files written by this run.
    pub written: u64,
    /// Files already complete, not redone.
    pub done: u64,
    /// Files without a source (`no_source_video`, `no_source_file`).
    pub missing: u64,
    /// Files whose source is too short or does not decode.
    pub failed: u64,
    /// ffmpeg processes planned: one per batch of up to [`BATCH`] videos, one per audio file to
    /// convert (a batch that fails runs again one video at a time).
    pub processes: u64,
    /// The report written (none when dry).
    pub report: Option<PathBuf>,
    /// Dry run: nothing was written.
    pub dry: bool,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verb = if self.dry { "to write" } else { "written" };
        write!(
            f,
            "{} {verb} ({} ffmpeg processes), {} already done, {} missing source, {} failed",
            self.written, self.processes, self.done, self.missing, self.failed
        )?;
        if let Some(report) = &self.report {
            write!(f, "; report: {}", report.display())?;
        }
        Ok(())
    }
}

/// One file to produce.
#[derive(Clone, Debug)]
struct Target {
    /// Media path relative to the root.
    path: String,
    /// Final file.
    dest: PathBuf,
    /// Temporary file.
    temp: PathBuf,
}

/// The work of one ffmpeg process: one source video and the outputs of one clip window in it.
#[derive(Clone, Debug)]
struct VideoJob {
    video: PathBuf,
    outputs: Vec<(Target, Output)>,
}

/// A file copied, linked or converted from a dataset's own file.
#[derive(Clone, Debug)]
struct FileJob {
    source: PathBuf,
    target: Target,
    audio: bool,
}

/// The suffix of this partition's temporary files.
fn temp_suffix(partition: Partition) -> String {
    format!(".avfit-{}-of-{}.partial", partition.index, partition.count)
}

/// The report's file name for `partition`.
pub fn report_name(partition: Option<Partition>) -> String {
    match partition {
        Some(p) if p.count > 1 || p.index > 0 => format!("extract-report-{}-of-{}.csv", p.index, p.count),
        _ => "extract-report.csv".to_string(),
    }
}

/// Runs the extraction `args` describes. See the module documentation for the rules.
///
/// Errors: ffmpeg is missing or older than 5.1 (one line naming `apt-get install ffmpeg`);
/// the corpus cannot be read; a `--videos`, `--images` or `--audio` root is not a directory;
/// `--out` cannot be created or written; a media path of the corpus is absolute or has `..`.
pub fn extract(args: &ExtractArgs) -> Result<Summary> {
    if !args.dry_run {
        ffmpeg::check().map_err(Error::Config)?;
    }
    let partition = args.partition.unwrap_or(Partition::WHOLE);
    let rows = crate::media_list::media_rows(&args.dir)?;
    let index = |root: &Path, ext: Option<&[&str]>| FileIndex::build(root, ext).map_err(Error::Config);
    let videos: Vec<FileIndex> = args
        .videos
        .iter()
        .map(|r| index(r, Some(&lookup::VIDEO_EXTENSIONS[..])))
        .collect::<Result<_>>()?;
    let images = args.images.as_deref().map(|r| index(r, None)).transpose()?;
    let audio = args.audio.as_deref().map(|r| index(r, None)).transpose()?;
    if !args.dry_run {
        std::fs::create_dir_all(&args.out).map_err(|e| Error::io(&args.out, e))?;
        remove_own_partials(&args.out, partition)?;
    }
    let suffix = temp_suffix(partition);
    let mut summary = Summary {
        dry: args.dry_run,
        ..Summary::default()
    };
    let mut report: Vec<ReportRow> = Vec::new();
    // One process per (video, offset, clip window).
    let mut jobs: BTreeMap<(PathBuf, u64, u64, u64), VideoJob> = BTreeMap::new();
    let mut file_jobs: Vec<FileJob> = Vec::new();
    for row in &rows {
        let source_key = if row.youtube_id.is_empty() {
            &row.file
        } else {
            &row.youtube_id
        };
        let source_key = if source_key.is_empty() { &row.path } else { source_key };
        if partition.count > 1
            && crate::split::stable_hash(&[source_key.as_str()]) % partition.count as u64 != partition.index as u64
        {
            continue;
        }
        let dest = crate::media::media_path(&args.out, &row.path).map_err(Error::Config)?;
        if dest.is_file() {
            summary.done += 1;
            continue;
        }
        let target = Target {
            path: row.path.clone(),
            temp: PathBuf::from(format!("{}{suffix}", dest.display())),
            dest,
        };
        match plan_row(row, &videos, images.as_ref(), audio.as_ref()) {
            Planned::Video { video, offset, output } => {
                let window = (row.clip_start.unwrap_or(0.0), row.clip_end.unwrap_or(f64::INFINITY));
                let key = (video.clone(), offset.to_bits(), window.0.to_bits(), window.1.to_bits());
                jobs.entry(key)
                    .or_insert_with(|| VideoJob {
                        video,
                        outputs: Vec::new(),
                    })
                    .outputs
                    .push((target, output));
            }
            Planned::File { source, audio } => file_jobs.push(FileJob { source, target, audio }),
            Planned::Missing(reason, detail) => {
                summary.missing += 1;
                report.push(ReportRow {
                    path: row.path.clone(),
                    video: String::new(),
                    reason,
                    detail,
                });
            }
        }
    }
    // Planned: one per batch of videos, one per audio file (a failed batch reruns its videos alone).
    summary.processes = jobs.len().div_ceil(BATCH) as u64 + file_jobs.iter().filter(|j| j.audio).count() as u64;
    let to_write: u64 = jobs.values().map(|j| j.outputs.len() as u64).sum::<u64>() + file_jobs.len() as u64;
    if args.dry_run {
        summary.written = to_write;
        for row in &report {
            println!("{},{},{}", row.path, row.reason.as_str(), row.detail);
        }
        return Ok(summary);
    }
    let bar = progress_bar(to_write, args.quiet);
    let threads = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |j| j as usize,
    );
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Config(format!("cannot start the extraction threads: {e}")))?;
    let results: Vec<Vec<std::result::Result<(), ReportRow>>> = {
        use rayon::prelude::*;
        let jobs: Vec<VideoJob> = jobs.into_values().collect();
        pool.install(|| {
            let videos = jobs.par_chunks(BATCH).map(|batch| {
                let r = run_batch(batch, args.sample_rate);
                bar.inc(batch.iter().map(|j| j.outputs.len() as u64).sum());
                r
            });
            let files = file_jobs.par_iter().map(|job| {
                let r = vec![run_file_job(job, args.sample_rate)];
                bar.inc(1);
                r
            });
            videos.chain(files).collect()
        })
    };
    bar.finish_and_clear();
    for result in results.into_iter().flatten() {
        match result {
            Ok(()) => summary.written += 1,
            Err(row) => {
                summary.failed += 1;
                report.push(row);
            }
        }
    }
    report.sort_by(|a, b| a.path.cmp(&b.path));
    let report_path = args.out.join(report_name(args.partition));
    write_report(&report_path, &report)?;
    summary.report = Some(report_path);
    Ok(summary)
}

/// What a row needs.
enum Planned {
    /// A frame, WAV or clip of `video`, the clip starting at `offset` seconds in it.
    Video {
        video: PathBuf,
        offset: f64,
        output: Output,
    },
    /// A dataset's own file, linked or copied (`audio`: converted to the WAV format when needed).
    File { source: PathBuf, audio: bool },
    /// Not producible here.
    Missing(Missing, String),
}

/// Finds the source of `row` and what to make of it.
fn plan_row(row: &MediaRow, videos: &[FileIndex], images: Option<&FileIndex>, audio: Option<&FileIndex>) -> Planned {
    let start = row.clip_start.unwrap_or(0.0);
    let found = if !row.youtube_id.is_empty() && row.clip_start.is_some() {
        lookup::find_youtube(videos, &row.youtube_id, start, row.clip_end)
    } else if !row.file.is_empty() && row.clip_start.is_some() {
        // A dataset's own video (MUSIC-AVQA): the file with that stem, offset 0.
        videos
            .iter()
            .find_map(|v| v.stem(&row.file))
            .map(|video| lookup::Found {
                video: video.clone(),
                offset: 0.0,
            })
    } else if !row.file.is_empty() {
        let (tree, flag) = if row.kind == "audio" {
            (audio, "--audio")
        } else {
            (images, "--images")
        };
        return match tree.and_then(|t| t.find(&row.file)) {
            Some(source) => Planned::File {
                source: source.clone(),
                audio: row.kind == "audio",
            },
            None if tree.is_none() => Planned::Missing(
                Missing::NoSourceFile,
                format!("{} is distributed as a file: needs download, then {flag} DIR", row.file),
            ),
            None => Planned::Missing(Missing::NoSourceFile, format!("no {} under {flag}", row.file)),
        };
    } else {
        return Planned::Missing(
            Missing::NoSourceVideo,
            "the corpus does not say which video this file comes from".into(),
        );
    };
    let Some(found) = found else {
        let wanted = if row.youtube_id.is_empty() {
            &row.file
        } else {
            &row.youtube_id
        };
        return Planned::Missing(Missing::NoSourceVideo, format!("no video of {wanted} under --videos"));
    };
    // Window relative to the clip's start, then to the file's.
    let length = row.clip_end.map(|e| e - start);
    let from = found.offset;
    let output = match row.kind.as_str() {
        "image" => Output::Frame {
            at: from + row.frame_time.unwrap_or(length.map_or(0.0, |l| l / 2.0)),
        },
        "audio" => Output::Audio {
            start: from,
            end: length.map(|l| from + l),
        },
        _ => Output::Video {
            start: from,
            end: length.map(|l| from + l),
        },
    };
    Planned::Video {
        video: found.video,
        offset: from,
        output,
    }
}

/// Source videos one ffmpeg process serves at most ([`run_batch`]): its start-up, about 0.1 s,
/// is otherwise most of the cost of a 10 s clip.
pub const BATCH: usize = 8;

/// Runs one ffmpeg process for the jobs of `batch` (each video with its own inputs and filter
/// graphs); when it fails (a corrupt, short or silent video among them), each job runs alone
/// ([`run_video_job`]) so that one bad video fails only its own files. Returns one result per
/// output, jobs in order.
fn run_batch(batch: &[VideoJob], rate: u32) -> Vec<std::result::Result<(), ReportRow>> {
    if batch.len() == 1 {
        return run_video_job(&batch[0], rate);
    }
    let outputs: Vec<Vec<Output>> = batch
        .iter()
        .map(|j| j.outputs.iter().map(|(_, o)| o.clone()).collect())
        .collect();
    let temps: Vec<Vec<PathBuf>> = batch
        .iter()
        .map(|j| j.outputs.iter().map(|(t, _)| t.temp.clone()).collect())
        .collect();
    for (t, _) in batch.iter().flat_map(|j| &j.outputs) {
        if let Some(dir) = t.dest.parent() {
            if std::fs::create_dir_all(dir).is_err() {
                return batch.iter().flat_map(|j| run_video_job(j, rate)).collect();
            }
        }
    }
    let sources: Vec<(&Path, &[Output], &[PathBuf])> = batch
        .iter()
        .enumerate()
        .map(|(i, j)| (j.video.as_path(), outputs[i].as_slice(), temps[i].as_slice()))
        .collect();
    let (args, firsts) = ffmpeg::arguments_many(&sources, rate);
    let ran = ffmpeg::run(&args);
    let durations = match &ran {
        Ok((true, log)) if firsts.iter().all(|&f| f < log.durations.len()) => &log.durations,
        _ => {
            for t in temps.iter().flatten() {
                let _ = std::fs::remove_file(t);
            }
            return batch.iter().flat_map(|j| run_video_job(j, rate)).collect();
        }
    };
    let mut results = Vec::new();
    for (i, job) in batch.iter().enumerate() {
        let duration = durations[firsts[i]];
        for (t, o) in &job.outputs {
            let fail = |reason: Missing, detail: String| ReportRow {
                path: t.path.clone(),
                video: job.video.display().to_string(),
                reason,
                detail,
            };
            let result = if !o.fits(duration) {
                Err(fail(
                    Missing::VideoTooShort,
                    format!("needs {}, the video has {duration:.2} s", describe_need(o)),
                ))
            } else {
                check_output(&t.temp, o, rate)
                    .map_err(|e| fail(Missing::DecodeError, e))
                    .and_then(|()| {
                        std::fs::rename(&t.temp, &t.dest)
                            .map_err(|e| fail(Missing::DecodeError, format!("{}: {e}", t.dest.display())))
                    })
            };
            if result.is_err() {
                let _ = std::fs::remove_file(&t.temp);
            }
            results.push(result);
        }
    }
    results
}

/// Runs one ffmpeg process for `job`; when it fails on a video too short for some outputs, the
/// others are tried again alone. Returns one result per output.
fn run_video_job(job: &VideoJob, rate: u32) -> Vec<std::result::Result<(), ReportRow>> {
    let video = job.video.display().to_string();
    let fail = |t: &Target, reason: Missing, detail: String| ReportRow {
        path: t.path.clone(),
        video: video.clone(),
        reason,
        detail,
    };
    let mut pending: Vec<&(Target, Output)> = job.outputs.iter().collect();
    let mut results: BTreeMap<String, std::result::Result<(), ReportRow>> = BTreeMap::new();
    for attempt in 0..2 {
        if pending.is_empty() {
            break;
        }
        for (t, _) in &pending {
            if let Some(dir) = t.dest.parent() {
                if let Err(e) = std::fs::create_dir_all(dir) {
                    results.insert(
                        t.path.clone(),
                        Err(fail(t, Missing::DecodeError, format!("{}: {e}", dir.display()))),
                    );
                }
            }
        }
        pending.retain(|(t, _)| !results.contains_key(&t.path));
        let outputs: Vec<Output> = pending.iter().map(|(_, o)| o.clone()).collect();
        let temps: Vec<PathBuf> = pending.iter().map(|(t, _)| t.temp.clone()).collect();
        let args = ffmpeg::arguments(&job.video, &outputs, &temps, rate);
        let (ok, log) = match ffmpeg::run(&args) {
            Ok(r) => r,
            Err(e) => (
                false,
                ffmpeg::Log {
                    last_line: e,
                    ..Default::default()
                },
            ),
        };
        let too_short = |o: &Output| log.duration.is_some_and(|d| !o.fits(d));
        let mut retry = Vec::new();
        for entry in &pending {
            let (t, o) = entry;
            let result = if too_short(o) {
                Err(fail(
                    t,
                    Missing::VideoTooShort,
                    format!(
                        "needs {}, the video has {:.2} s",
                        describe_need(o),
                        log.duration.unwrap_or(0.0)
                    ),
                ))
            } else if !ok && attempt == 0 && pending.iter().any(|(_, o)| too_short(o)) {
                retry.push(*entry);
                let _ = std::fs::remove_file(&t.temp);
                continue;
            } else if !ok {
                Err(fail(t, Missing::DecodeError, log.last_line.clone()))
            } else {
                check_output(&t.temp, o, rate).map_err(|e| fail(t, Missing::DecodeError, e))
            };
            let result = result.and_then(|()| {
                std::fs::rename(&t.temp, &t.dest)
                    .map_err(|e| fail(t, Missing::DecodeError, format!("{}: {e}", t.dest.display())))
            });
            if result.is_err() {
                let _ = std::fs::remove_file(&t.temp);
            }
            results.insert(t.path.clone(), result);
        }
        pending = retry;
    }
    job.outputs
        .iter()
        .map(|(t, _)| {
            results
                .remove(&t.path)
                .unwrap_or_else(|| Err(fail(t, Missing::DecodeError, "not run".into())))
        })
        .collect()
}

/// What an output needs of the video, for the report.
fn describe_need(o: &Output) -> String {
    match o {
        Output::Frame { at } => format!("a frame at {at:.3} s"),
        Output::Audio { start, end } | Output::Video { start, end } => match end {
            Some(e) => format!("{start:.3}-{e:.3} s"),
            None => format!("{start:.3} s to the end"),
        },
    }
}

/// Checks the header of a written temporary file: a JPEG (or PNG) with a size, a WAV of 16-bit
/// mono at `rate` with the exact sample count, an mp4 box header.
///
/// Errors: what is wrong, as a message.
fn check_output(temp: &Path, output: &Output, rate: u32) -> std::result::Result<(), String> {
    match output {
        Output::Frame { .. } => crate::media::image_size(temp).map(|_| ()),
        Output::Audio { .. } => check_wav(temp, rate, output.samples(rate)),
        Output::Video { .. } => {
            // The extension is `.partial`: check the box header as an mp4's.
            let head = std::fs::read(temp).map_err(|e| format!("{}: {e}", temp.display()))?;
            if head.len() >= 8 && &head[4..8] == b"ftyp" {
                Ok(())
            } else {
                Err(format!("{}: no mp4 `ftyp` header", temp.display()))
            }
        }
    }
}

/// Checks a WAV: 16-bit integer PCM, one channel, `rate` Hz, `samples` samples when given (else at
/// least one).
fn check_wav(path: &Path, rate: u32, samples: Option<u64>) -> std::result::Result<(), String> {
    let reader = hound::WavReader::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let spec = reader.spec();
    let frames = reader.duration() as u64;
    let format_ok = spec.channels == 1
        && spec.bits_per_sample == 16
        && spec.sample_format == hound::SampleFormat::Int
        && spec.sample_rate == rate;
    match samples {
        _ if !format_ok => Err(format!(
            "{}: {} channels, {} bits at {} Hz, expected mono 16-bit at {rate} Hz",
            path.display(),
            spec.channels,
            spec.bits_per_sample,
            spec.sample_rate
        )),
        Some(n) if frames != n => Err(format!("{}: {frames} samples, expected {n}", path.display())),
        None if frames == 0 => Err(format!("{}: no samples", path.display())),
        _ => Ok(()),
    }
}

/// Produces a file from a dataset's own file: an image or a WAV already in the format is
/// hard-linked (else copied); other audio is converted with ffmpeg to 16-bit mono at `rate`.
fn run_file_job(job: &FileJob, rate: u32) -> std::result::Result<(), ReportRow> {
    let t = &job.target;
    let fail = |detail: String| ReportRow {
        path: t.path.clone(),
        video: job.source.display().to_string(),
        reason: Missing::DecodeError,
        detail,
    };
    if let Some(dir) = t.dest.parent() {
        std::fs::create_dir_all(dir).map_err(|e| fail(format!("{}: {e}", dir.display())))?;
    }
    let result = if job.audio && check_wav(&job.source, rate, None).is_err() {
        let args: Vec<String> = ["-hide_banner", "-nostdin", "-nostats", "-y", "-i"]
            .map(String::from)
            .into_iter()
            .chain([job.source.display().to_string()])
            .chain(
                [
                    "-map",
                    "0:a:0",
                    "-ac",
                    "1",
                    "-ar",
                    &rate.to_string(),
                    "-c:a",
                    "pcm_s16le",
                    "-fflags",
                    "+bitexact",
                    "-f",
                    "wav",
                ]
                .map(String::from),
            )
            .chain([t.temp.display().to_string()])
            .collect();
        match ffmpeg::run(&args) {
            Ok((true, _)) => check_wav(&t.temp, rate, None),
            Ok((false, log)) => Err(log.last_line),
            Err(e) => Err(e),
        }
    } else if !job.audio && !same_image_format(&job.source, &t.dest) {
        // A dataset image in another format than the corpus names (AVSBench's PNG frames under
        // `.jpg` names): decoded (size-capped) and written in the format the name says.
        crate::media::decode_image(&job.source, crate::media::MAX_IMAGE_SIDE)
            .and_then(|image| {
                let format = image::ImageFormat::from_path(&t.dest).map_err(|e| e.to_string())?;
                let image = if format == image::ImageFormat::Jpeg {
                    image::DynamicImage::ImageRgb8(image.to_rgb8())
                } else {
                    image
                };
                image.save_with_format(&t.temp, format).map_err(|e| e.to_string())
            })
            .map_err(|e| format!("{}: {e}", job.source.display()))
    } else {
        std::fs::hard_link(&job.source, &t.temp)
            .or_else(|_| std::fs::copy(&job.source, &t.temp).map(|_| ()))
            .map_err(|e| format!("{}: {e}", t.temp.display()))
            .and_then(|()| {
                if job.audio {
                    Ok(())
                } else {
                    crate::media::image_size(&t.temp).map(|_| ())
                }
            })
    };
    let result =
        result.and_then(|()| std::fs::rename(&t.temp, &t.dest).map_err(|e| format!("{}: {e}", t.dest.display())));
    if result.is_err() {
        let _ = std::fs::remove_file(&t.temp);
    }
    result.map_err(fail)
}

/// Whether the image files `a` and `b` have one format by their extensions (`jpg` = `jpeg`,
/// case-insensitive); an unknown extension counts as the same (the file is linked as it is).
fn same_image_format(a: &Path, b: &Path) -> bool {
    match (image::ImageFormat::from_path(a), image::ImageFormat::from_path(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => true,
    }
}

/// Removes the temporary files of `partition` (`*.avfit-K-of-N.partial`) a killed run left under
/// `root`; other partitions' are left alone.
///
/// Errors: a file cannot be removed, with its path.
fn remove_own_partials(root: &Path, partition: Partition) -> Result<()> {
    let suffix = temp_suffix(partition);
    for entry in walkdir::WalkDir::new(root).into_iter().filter_map(|e| e.ok()) {
        if entry.file_type().is_file() && entry.file_name().to_string_lossy().ends_with(&suffix) {
            std::fs::remove_file(entry.path()).map_err(|e| Error::io(entry.path(), e))?;
        }
    }
    Ok(())
}

/// Writes the report `rows` (header `path,video,reason,detail`) to `path` through a temporary
/// name.
///
/// Errors: it cannot be written, with its path.
fn write_report(path: &Path, rows: &[ReportRow]) -> Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| Error::input(path, None, e.to_string());
    w.write_record(["path", "video", "reason", "detail"]).map_err(io)?;
    for r in rows {
        w.write_record([r.path.as_str(), r.video.as_str(), r.reason.as_str(), r.detail.as_str()])
            .map_err(io)?;
    }
    let bytes = w.into_inner().map_err(|e| Error::input(path, None, e.to_string()))?;
    let partial = PathBuf::from(format!("{}.partial", path.display()));
    std::fs::write(&partial, bytes).map_err(|e| Error::io(&partial, e))?;
    std::fs::rename(&partial, path).map_err(|e| Error::io(path, e))
}

/// A bar over the files to write with rate and ETA, on a terminal and unless `quiet`.
fn progress_bar(total: u64, quiet: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {human_pos}/{human_len} files ({per_sec}, ETA {eta})")
            .expect("valid progress template"),
    );
    bar
}
