//! The README's "Adding a source" Rust guide as code that compiles (`cargo test` builds every
//! example; `cargo run --release --example tiny_source` runs it): a tiny captioning dataset
//! of tab-separated files `captions_train.tsv` / `captionsTestSet.tsv`, one `<ytid>_<start>_<end>\t<caption>` per line,
//! read into AVC records through the [`Collector`], each line a unit: `out.read(1)` then exactly
//! one of `out.emit`, `out.reject` or `out.skip`.

use avfit::error::{Error, Result};
use avfit::reason::Reason;
use avfit::record::{Media, Record, Split, Target, Task};
use avfit::sources::{self, At, Citation, Collector, Source, SourceOptions};
use avfit::split::NativeSplit;
use std::path::PathBuf;

/// The tiny captioning source.
struct TinyCaptions;

/// Native split → output split: train → train, val and test → test.
fn split_rule(native: NativeSplit) -> Option<Split> {
    match native {
        NativeSplit::Train => Some(Split::Train),
        NativeSplit::Val | NativeSplit::Test => Some(Split::Test),
    }
}

impl Source for TinyCaptions {
    fn name(&self) -> &'static str {
        "tiny_captions"
    }
    fn tasks(&self) -> &'static [Task] {
        &[Task::Avc]
    }
    fn files(&self) -> &'static str {
        "captions_<split>.tsv (<ytid>_<start>_<end> TAB caption)"
    }
    // The dataset card lists every source's dataset, paper and licence.
    fn citations(&self) -> &'static [Citation] {
        &[Citation {
            dataset: "Tiny",
            paper: "A. Author. Tiny captions. 2026.",
            licence: "CC BY 4.0",
        }]
    }
    fn recognizes(&self, file_name: &str) -> bool {
        file_name.starts_with("captions") && file_name.ends_with(".tsv")
    }
    fn read(&self, files: &[PathBuf], options: &SourceOptions, out: &mut Collector) -> Result<()> {
        for file in files {
            // `split_of_file` reads the split word of the name (`train`, `val`, `test`, also in
            // camelCase: `captionsTestSet.tsv`); `None` means the rule does not use that split.
            let split = options.split_of_file(self, file, split_rule)?;
            let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
            for (n, line) in text.lines().enumerate() {
                let at = At::Line(n as u64 + 1);
                out.read(1);
                let Some(split) = split else {
                    out.skip(avfit::reason::Skip::SplitNotUsed, 1);
                    continue;
                };
                let Some((clip, caption)) = line.split_once('\t').filter(|(_, c)| !c.trim().is_empty()) else {
                    out.reject(
                        file,
                        at,
                        Reason::MissingField,
                        format!("`{line}`: expected <clip>\\t<caption>"),
                    )?;
                    continue;
                };
                let Some((youtube_id, _, _)) = sources::youtube_clip_window(clip) else {
                    out.reject(
                        file,
                        at,
                        Reason::BadClipId,
                        format!("`{clip}` is not <ytid>_<start>_<end>"),
                    )?;
                    continue;
                };
                let record = Record {
                    source: self.name(),
                    key: clip.to_string(),
                    split,
                    groups: vec![format!("yt:{youtube_id}").into()],
                    media: Media {
                        image: Some(options.media.image(clip).into()),
                        audio: Some(options.media.audio(clip).into()),
                        video: Some(options.media.video(clip).into()),
                        // Where each file comes from, for `avfit media list` / `media extract`
                        // (here: unknown; see MediaOrigin for a YouTube clip window).
                        origins: Default::default(),
                    },
                    target: Target::Avc {
                        caption: caption.trim().to_string(),
                    },
                    referring: false,
                };
                // emit(record, file, where in the file, native units it stands for)
                out.emit(record, file, at, 1)?;
            }
        }
        Ok(())
    }
}

fn main() -> Result<()> {
    let dir = std::env::temp_dir().join(format!("avfit-tiny-source-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let train = dir.join("captions_train.tsv");
    let test = dir.join("captionsTestSet.tsv");
    std::fs::write(&train, "abcdefghijk_0.000_10.000\ta dog barks\nbroken line\n").map_err(|e| Error::io(&train, e))?;
    std::fs::write(&test, "bcdefghijkl_5.000_15.000\ta bell rings\n").map_err(|e| Error::io(&test, e))?;
    let source = TinyCaptions;
    let options = SourceOptions::new(&source);
    let (sink, stats) = sources::read_all(&source, &[train, test], &options)?;
    std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let splits: Vec<_> = sink.records.iter().map(|r| (r.key.as_str(), r.split)).collect();
    assert_eq!(
        splits,
        [
            ("abcdefghijk_0.000_10.000", Split::Train),
            ("bcdefghijkl_5.000_15.000", Split::Test)
        ]
    );
    assert_eq!((stats.read, stats.used, stats.rejected), (3, 2, 1));
    assert_eq!(sink.rejects[0].reason, Reason::MissingField);
    assert_eq!(sink.rejects[0].line, Some(2));
    println!("read {} used {} rejected {}", stats.read, stats.used, stats.rejected);
    Ok(())
}
