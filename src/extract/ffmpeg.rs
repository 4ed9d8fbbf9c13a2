//! ffmpeg as the engine of `avfit media extract`: the version check and one ffmpeg process per
//! source video and clip window, producing every output of that window from one decoding.
//!
//! The rules it implements (issue 13; ffmpeg 5.1 filters `trim`, `atrim`, `reverse`, `apad`):
//! * a frame at `t` (seconds from the clip's start) is the frame displayed at `t`: the last one
//!   whose presentation time is ≤ t. The input is seeked fast to 1 s before `t` (`-ss` before
//!   `-i`: ffmpeg decodes from the key frame before it and drops frames up to it), then
//!   `trim=start=t-1:end=t+ε,reverse` keeps the frames of `[t-1, t]` and outputs the last first;
//!   input seeking alone would give the first frame at or after `t`, which is not the rule;
//! * a WAV is 16-bit PCM, mono, at the sample rate asked, with exactly round(window × rate)
//!   samples (`atrim` at the window's start, `aresample`, then `apad` and `atrim=end_sample` to
//!   pad with silence or trim to the count);
//! * a video clip is re-encoded (H.264 `libx264`, AAC) and cut exactly, never stream-copied.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The oldest ffmpeg avfit runs (Debian 12's).
pub const MIN_VERSION: (u32, u32) = (5, 1);

/// Seconds before a frame's time where decoding starts (more than one frame interval of any
/// real video).
pub const FRAME_LOOKBACK: f64 = 1.0;

/// How far (seconds) a window may end past the video's duration and still be produced (padded):
/// the same tolerance as IGATL durations ([`crate::media::DURATION_TOLERANCE`]).
pub const END_TOLERANCE: f64 = crate::media::DURATION_TOLERANCE;

/// The ffmpeg program: `$AVFIT_FFMPEG` when set (tests point it at a missing program), else
/// `ffmpeg` on the `PATH`.
pub fn program() -> PathBuf {
    std::env::var_os("AVFIT_FFMPEG").map_or_else(|| PathBuf::from("ffmpeg"), PathBuf::from)
}

/// The `major.minor` of an `ffmpeg -version` first line (`ffmpeg version 5.1.9-0+deb12u1 ...`,
/// `ffmpeg version n6.0 ...`); `None` for a development build (`N-112233-g...`) or another text.
pub fn parse_version(first_line: &str) -> Option<(u32, u32)> {
    let version = first_line.strip_prefix("ffmpeg version ")?.split_whitespace().next()?;
    let version = version.strip_prefix('n').unwrap_or(version);
    let mut parts = version.split(['.', '-']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().and_then(|m| m.parse().ok()).unwrap_or(0);
    Some((major, minor))
}

/// Checks that ffmpeg runs and is at least [`MIN_VERSION`]; a development build (no version
/// number) is accepted. Returns the first line of `ffmpeg -version`.
///
/// Errors: one line naming the fix: ffmpeg is missing, does not run, or is older than 5.1.
pub fn check() -> Result<String, String> {
    let program = program();
    let fix = "install it with `apt-get install ffmpeg` (Debian 12 or later: ffmpeg 5.1 or later)";
    let output = Command::new(&program)
        .arg("-version")
        .output()
        .map_err(|e| format!("ffmpeg (`{}`) cannot be run ({e}): {fix}", program.display()))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let first = text.lines().next().unwrap_or_default().to_string();
    if !output.status.success() {
        return Err(format!("`{} -version` failed: {fix}", program.display()));
    }
    match parse_version(&first) {
        Some(v) if v < MIN_VERSION => Err(format!(
            "{first}: avfit needs ffmpeg {}.{} or later: {fix}",
            MIN_VERSION.0, MIN_VERSION.1
        )),
        _ => Ok(first),
    }
}

/// One file an ffmpeg process writes, times in seconds from the start of the source file.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    /// The frame displayed at `at`, as JPEG.
    Frame {
        /// Seconds from the start of the source file.
        at: f64,
    },
    /// The audio of `[start, end)` as 16-bit PCM mono WAV; `end` `None`: to the end of the file.
    Audio {
        /// Window start, seconds.
        start: f64,
        /// Window end, seconds, or to the end.
        end: Option<f64>,
    },
    /// The clip `[start, end)` re-encoded as H.264/AAC mp4; `end` `None`: to the end of the file.
    Video {
        /// Window start, seconds.
        start: f64,
        /// Window end, seconds, or to the end.
        end: Option<f64>,
    },
}

impl Output {
    /// Seconds from the file's start where this output needs decoding to begin.
    pub fn decode_from(&self) -> f64 {
        match self {
            Output::Frame { at } => (at - FRAME_LOOKBACK).max(0.0),
            Output::Audio { start, .. } | Output::Video { start, .. } => *start,
        }
    }

    /// Whether a source file of `duration` seconds holds this output: a frame's time must be
    /// before the end, a window's end at most [`END_TOLERANCE`] after it.
    pub fn fits(&self, duration: f64) -> bool {
        match self {
            Output::Frame { at } => *at < duration,
            Output::Audio { start, end } | Output::Video { start, end } => {
                *start < duration && end.is_none_or(|e| e <= duration + END_TOLERANCE)
            }
        }
    }

    /// The exact sample count of an audio output at `rate` Hz: round(window × rate), halves up,
    /// with the window taken in whole microseconds (so 6.05 - 5.5 is 0.55 s, not 0.5499999…);
    /// `None` for a window to the end of the file or another kind.
    pub fn samples(&self, rate: u32) -> Option<u64> {
        match self {
            Output::Audio { start, end: Some(end) } => {
                let micros = ((end - start) * 1e6).round().max(0.0) as u64;
                Some((micros * rate as u64 + 500_000) / 1_000_000)
            }
            _ => None,
        }
    }
}

/// Seconds printed for a filter option (microsecond precision, no exponent).
fn secs(t: f64) -> String {
    format!("{:.6}", t.max(0.0))
}

/// The arguments of one ffmpeg process reading `input` and writing `outputs[i]` to `temps[i]`
/// (audio at `rate` Hz). The file is opened as two inputs, one for the pictures and one for the
/// sound, each seeked to the earliest [`Output::decode_from`] of the outputs it feeds; every time
/// in a filter graph is relative to its input's seek point.
pub fn arguments(input: &Path, outputs: &[Output], temps: &[PathBuf], rate: u32) -> Vec<String> {
    arguments_many(&[(input, outputs, temps)], rate).0
}

/// The arguments of one ffmpeg process for several source files, each as [`arguments`] has it
/// (its own inputs and filter graphs, labels prefixed by its index), so one ffmpeg start serves
/// them all. Returns the arguments and, per source, the index of its first input (ffmpeg prints
/// one `Duration:` per input, in order: see [`Log::durations`]).
pub fn arguments_many(sources: &[(&Path, &[Output], &[PathBuf])], rate: u32) -> (Vec<String>, Vec<usize>) {
    let mut args: Vec<String> = ["-hide_banner", "-nostdin", "-nostats", "-y", "-loglevel", "info"]
        .map(String::from)
        .to_vec();
    let (mut graphs, mut maps, mut firsts) = (Vec::new(), Vec::new(), Vec::new());
    let mut next_input = 0;
    for (j, (input, outputs, temps)) in sources.iter().enumerate() {
        firsts.push(next_input);
        append_source(
            input,
            outputs,
            temps,
            rate,
            j,
            &mut next_input,
            &mut args,
            &mut graphs,
            &mut maps,
        );
    }
    for graph in graphs {
        args.extend(["-filter_complex".into(), graph]);
    }
    for m in maps {
        args.extend(m);
    }
    (args, firsts)
}

/// Appends the inputs of source `j` to `args`, its filter graphs to `graphs` and its output
/// options to `maps`; `next_input` is the index its first input takes (advanced past its inputs).
#[allow(clippy::too_many_arguments)]
fn append_source(
    input: &Path,
    outputs: &[Output],
    temps: &[PathBuf],
    rate: u32,
    j: usize,
    next_input: &mut usize,
    args: &mut Vec<String>,
    graphs: &mut Vec<String>,
    maps: &mut Vec<Vec<String>>,
) {
    let is_video = |o: &&Output| matches!(o, Output::Frame { .. } | Output::Video { .. });
    let is_audio = |o: &&Output| matches!(o, Output::Audio { .. } | Output::Video { .. });
    let earliest = |f: &dyn Fn(&&Output) -> bool| {
        let t = outputs
            .iter()
            .filter(f)
            .map(Output::decode_from)
            .fold(f64::INFINITY, f64::min);
        if t.is_finite() {
            t
        } else {
            0.0
        }
    };
    let (seek_v, seek_a) = (earliest(&is_video), earliest(&is_audio));
    let video_branches = outputs.iter().filter(is_video).count();
    let audio_branches = outputs.iter().filter(is_audio).count();
    // The file is opened once for its pictures and once for its sound, each seeked to where its
    // first output needs it: ffmpeg decodes only the streams each input feeds, and stops reading
    // an input once every output it feeds is complete (a frame at 5 s does not decode the rest).
    let mut open = |seek: f64, args: &mut Vec<String>| {
        if seek > 0.0 {
            args.extend(["-ss".into(), secs(seek)]);
        }
        args.extend(["-i".into(), input.display().to_string()]);
        *next_input += 1;
        *next_input - 1
    };
    let video_input = (video_branches > 0).then(|| open(seek_v, args));
    let audio_input = (audio_branches > 0).then(|| open(seek_a, args));
    let (mut vgraph, mut agraph): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    let split = |input: Option<usize>, stream: &str, filter: &str, n: usize, prefix: &str, graph: &mut Vec<String>| {
        if let Some(i) = input {
            let labels: String = (0..n).map(|k| format!("[s{j}{prefix}{k}]")).collect();
            graph.push(format!("[{i}:{stream}]{filter}={n}{labels}"));
        }
    };
    split(video_input, "v", "split", video_branches, "v", &mut vgraph);
    split(audio_input, "a", "asplit", audio_branches, "a", &mut agraph);
    let (mut v, mut a) = (0, 0);
    for (i, output) in outputs.iter().enumerate() {
        let temp = temps[i].display().to_string();
        match output {
            Output::Frame { at } => {
                let t = at - seek_v;
                vgraph.push(format!(
                    "[s{j}v{v}]trim=start={}:end={},reverse[s{j}o{i}]",
                    secs(t - FRAME_LOOKBACK),
                    secs(t + 0.0005)
                ));
                v += 1;
                maps.push(
                    [
                        "-map",
                        &format!("[s{j}o{i}]"),
                        "-frames:v",
                        "1",
                        "-q:v",
                        "2",
                        "-update",
                        "1",
                        "-f",
                        "image2",
                        &temp,
                    ]
                    .map(String::from)
                    .to_vec(),
                );
            }
            Output::Audio { start, .. } => {
                let mut chain = format!(
                    "[s{j}a{a}]atrim=start={},asetpts=PTS-STARTPTS,aresample={rate},aformat=sample_fmts=s16:channel_layouts=mono",
                    secs(start - seek_a)
                );
                if let Some(n) = output.samples(rate) {
                    chain += &format!(",apad=whole_len={n},atrim=end_sample={n}");
                }
                agraph.push(format!("{chain}[s{j}o{i}]"));
                a += 1;
                maps.push(
                    [
                        "-map",
                        &format!("[s{j}o{i}]"),
                        "-c:a",
                        "pcm_s16le",
                        "-fflags",
                        "+bitexact",
                        "-flags:a",
                        "+bitexact",
                        "-f",
                        "wav",
                        &temp,
                    ]
                    .map(String::from)
                    .to_vec(),
                );
            }
            Output::Video { start, end } => {
                let range = |seek: f64| match end {
                    Some(e) => format!("start={}:end={}", secs(start - seek), secs(e - seek)),
                    None => format!("start={}", secs(start - seek)),
                };
                vgraph.push(format!(
                    "[s{j}v{v}]trim={},setpts=PTS-STARTPTS[s{j}o{i}]",
                    range(seek_v)
                ));
                agraph.push(format!(
                    "[s{j}a{a}]atrim={},asetpts=PTS-STARTPTS[s{j}o{i}a]",
                    range(seek_a)
                ));
                v += 1;
                a += 1;
                maps.push(
                    [
                        "-map",
                        &format!("[s{j}o{i}]"),
                        "-map",
                        &format!("[s{j}o{i}a]"),
                        "-c:v",
                        "libx264",
                        "-preset",
                        "veryfast",
                        "-pix_fmt",
                        "yuv420p",
                        "-c:a",
                        "aac",
                        "-movflags",
                        "+faststart",
                        "-f",
                        "mp4",
                        &temp,
                    ]
                    .map(String::from)
                    .to_vec(),
                );
            }
        }
    }
    graphs.extend(
        [vgraph, agraph]
            .into_iter()
            .filter(|g| !g.is_empty())
            .map(|g| g.join(";")),
    );
}

/// What ffmpeg said: the input's duration (seconds, from its `Duration: HH:MM:SS.ss` line) and
/// the last non-empty line of its log.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Log {
    /// The input's duration, when ffmpeg printed one (the last input's, with several).
    pub duration: Option<f64>,
    /// Every input's duration, in the order ffmpeg printed them (input order).
    pub durations: Vec<f64>,
    /// The last non-empty line.
    pub last_line: String,
}

/// Reads ffmpeg's stderr `text`.
pub fn parse_log(text: &str) -> Log {
    let mut log = Log::default();
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("Duration: ") {
            let hms = rest.split(',').next().unwrap_or_default();
            let parts: Vec<f64> = hms.split(':').filter_map(|p| p.parse().ok()).collect();
            if let [h, m, s] = parts[..] {
                log.duration = Some(h * 3600.0 + m * 60.0 + s);
                log.durations.push(h * 3600.0 + m * 60.0 + s);
            }
        }
        if !line.is_empty() {
            log.last_line = line.to_string();
        }
    }
    log
}

/// The duration (seconds) of a media file, as ffmpeg reads its header (`ffmpeg -i FILE`, which
/// prints it and stops for lack of an output).
///
/// Errors: ffmpeg does not run or prints no duration (a corrupt file), with its last line.
pub fn duration(input: &Path) -> Result<f64, String> {
    let output = Command::new(program())
        .args(["-hide_banner", "-nostdin", "-i"])
        .arg(input)
        .output()
        .map_err(|e| e.to_string())?;
    let log = parse_log(&String::from_utf8_lossy(&output.stderr));
    log.duration.ok_or(log.last_line)
}

/// An ffmpeg command that dies with avfit: on Linux the child gets SIGKILL when its parent
/// thread ends (`PR_SET_PDEATHSIG`), so a `kill -9` of avfit leaves no ffmpeg writing `.partial`
/// files under a rerun.
fn ffmpeg_command() -> Command {
    #[allow(unused_mut)]
    let mut command = Command::new(program());
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl is async-signal-safe and touches only the child's own state.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
    }
    command
}

/// Runs ffmpeg with `args`. Returns whether it succeeded and what it said.
///
/// Errors: ffmpeg cannot be started, as a message.
pub fn run(args: &[String]) -> Result<(bool, Log), String> {
    let output = ffmpeg_command()
        .args(args)
        .output()
        .map_err(|e| format!("ffmpeg cannot be started: {e}"))?;
    Ok((
        output.status.success(),
        parse_log(&String::from_utf8_lossy(&output.stderr)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_durations_parse() {
        assert_eq!(
            parse_version("ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026"),
            Some((5, 1))
        );
        assert_eq!(parse_version("ffmpeg version n6.0 Copyright"), Some((6, 0)));
        assert_eq!(parse_version("ffmpeg version 4.4.2-0ubuntu0.22.04.1"), Some((4, 4)));
        assert_eq!(parse_version("ffmpeg version N-112233-gabc"), None);
        let log = parse_log("Input #0, mov\n  Duration: 00:01:02.50, start: 0.000000, bitrate: 1 kb/s\n\nlast words\n");
        assert_eq!((log.duration, log.last_line.as_str()), (Some(62.5), "last words"));
        assert_eq!(
            Output::Audio {
                start: 1.0,
                end: Some(11.0)
            }
            .samples(16000),
            Some(160_000)
        );
        assert_eq!(
            Output::Audio {
                start: 23.7,
                end: Some(33.7)
            }
            .samples(22050),
            Some(220_500)
        );
        assert_eq!(
            Output::Audio {
                start: 5.5,
                end: Some(6.05)
            }
            .samples(22050),
            Some(12_128)
        );
        assert!(Output::Frame { at: 9.95 }.fits(10.0) && !Output::Frame { at: 10.0 }.fits(10.0));
        assert!(Output::Audio {
            start: 0.0,
            end: Some(10.1)
        }
        .fits(10.0));
        assert!(!Output::Audio {
            start: 0.0,
            end: Some(10.2)
        }
        .fits(10.0));
    }
}
