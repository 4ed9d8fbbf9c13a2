//! `avfit synth`: writes native-format input files for all twelve AVFIT datasets at a chosen
//! fraction of AVFIT's size, plus a build manifest (`manifest.toml`) that builds them all.
//!
//! Every file follows the native format its adapter reads (FORMATS.md; `src/sources/*.rs`):
//! column order, headers, quoting, AudioSet's comment lines, AVSBench mask PNGs, VOC and
//! Flickr-SoundNet XML, JSON arrays. Values are realistic: labels and MIDs of the curated rows come
//! from the class map (`manifests/classes.toml`) so the pairs form, YouTube ids have 11 characters,
//! boxes are valid. About one row in a thousand (at least one of each kind per dataset) carries a
//! defect FORMATS.md lists; every such row ends as a reject of the build, never an error.
//!
//! Sizes: `scale` times the paper's counts (`manifests/avfit.toml`), at least one sample per row.
//! Direct sources get exact `expected` counts in the manifest (what was generated minus the defect
//! rows); the curated rows get the paper's counts times `scale` (their pairing decides the rest).
//!
//! Determinism: every dataset draws from its own [`ChaCha8Rng`] stream seeded by `seed`, and files
//! are written in a fixed order, so the same scale and seed give byte-identical files.
//! Memory: rows are streamed to buffered writers; only small per-class clip lists are held.
//!
//! Layout under the output directory:
//!
//! | dataset | files |
//! |---|---|
//! | Open Images | `openimages/{train,validation,test}-annotations-bbox.csv`, `class-descriptions-boxable.csv`, `train-annotations-human-imagelabels-boxable.csv` |
//! | AudioSet | `audioset/unbalanced_train_segments.csv` |
//! | VGGSound | `vggsound/vggsound.csv` |
//! | AudioSet Strong | `audioset_strong/audioset_train_strong.tsv` |
//! | AVSBench | `avsbench/Single-source/s4_meta_data.csv` + `s4_data/gt_masks/`, `avsbench/Multi-sources/ms3_meta_data.csv` + `ms3_data/gt_masks/` |
//! | VGG-SS | `vggss/vggss.json` |
//! | PASCAL VOC / Sound | `pascal_sound/Annotations/<id>.xml`, `pascal_sound/pascal_sound.csv` |
//! | Flickr-SoundNet | `flickr_soundnet/Annotations/<id>.xml`, `flickr_soundnet/test_list.txt` |
//! | LLP | `llp/AVVP_eval_audio.csv`, `llp/AVVP_eval_visual.csv` |
//! | AVQA | `avqa/train_qa.json`, `avqa/val_qa.json` |
//! | MUSIC-AVQA | `music_avqa/json_update/avqa-{train,val,test}.json` |
//! | VALOR-32K | `valor/desc_{train,val,test}.json` |

mod curated;
mod grounding;
mod temporal;

use crate::curate::classes::ClassMap;
use crate::error::{Error, Result};
use rand::Rng;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The first line of every `manifest.toml` that synth writes: synth only clears a directory that
/// starts with it.
pub const MANIFEST_MARKER: &str = "# Synthetic AVFIT inputs written by `avfit synth`";

/// What to generate.
#[derive(Clone, Debug)]
pub struct SynthOptions {
    /// Fraction of AVFIT's sizes (1.0 ≈ 3M samples when built); must be finite and > 0.
    pub scale: f64,
    /// Output directory: created, or cleared when it holds an earlier synth output.
    pub out: PathBuf,
    /// RNG seed; the same scale and seed give byte-identical files.
    pub seed: u64,
    /// The class map the curated rows use (normally `manifests/classes.toml`).
    pub classes: PathBuf,
}

/// What one source's inputs hold: rows written, defects sprinkled (by the reject reason each
/// should end as), and the counts written as `expected` in the manifest.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceSummary {
    /// The source name in the manifest (`vggss`, `openimages_audioset`, ...).
    pub name: &'static str,
    /// Native units written (rows, records, XML files), defects included.
    pub units: u64,
    /// Defect units written, by the reason code they must be rejected with.
    pub defects: BTreeMap<&'static str, u64>,
    /// `<split>/<task>` → expected samples: exact for direct sources, the paper's counts times
    /// the scale for curated rows.
    pub expected: BTreeMap<String, u64>,
}

/// What [`synth`] wrote.
#[derive(Clone, Debug, Default)]
pub struct SynthSummary {
    /// One entry per `[[source]]` of the manifest, in manifest order.
    pub sources: Vec<SourceSummary>,
    /// The manifest written (`<out>/manifest.toml`).
    pub manifest: PathBuf,
}

/// One `[[source]]` of the manifest.
struct Entry {
    summary: SourceSummary,
    /// Inputs relative to the manifest.
    inputs: Vec<String>,
    test_fraction: Option<f64>,
    comment: &'static str,
}

/// Writes every dataset's native files and `manifest.toml` under `options.out`.
///
/// Returns what each source's inputs hold. Errors: a scale that is not finite and positive, an
/// output directory that holds anything but an earlier synth output ([`Error::Config`]), an
/// unreadable class map, and I/O errors with their path.
pub fn synth(options: &SynthOptions) -> Result<SynthSummary> {
    if !(options.scale.is_finite() && options.scale > 0.0) {
        return Err(Error::Config(format!(
            "--scale {} must be a positive number",
            options.scale
        )));
    }
    prepare_dir(&options.out)?;
    let classes = ClassMap::load(&options.classes)?;
    let ctx = Ctx {
        out: options.out.clone(),
        scale: options.scale,
        seed: options.seed,
    };
    let mut entries = vec![
        grounding::vggss(&ctx)?,
        grounding::avsbench(&ctx)?,
        grounding::pascal_sound(&ctx)?,
        grounding::flickr_soundnet(&ctx)?,
        temporal::llp(&ctx)?,
        temporal::avqa(&ctx)?,
        temporal::music_avqa(&ctx)?,
        temporal::valor(&ctx)?,
    ];
    entries.extend(curated::curated(&ctx, &classes)?);
    let manifest = options.out.join("manifest.toml");
    write_manifest(&manifest, options, &entries)?;
    write_listing(&options.out)?;
    Ok(SynthSummary {
        sources: entries.into_iter().map(|e| e.summary).collect(),
        manifest,
    })
}

/// The list of every file a synth wrote, in `sha256sum` format (`<sha256>  <path>`).
const LISTING: &str = "synth.sha256";

/// Creates `dir`, or clears an earlier synth output there: only the files its `synth.sha256`
/// lists with their SHA-256, and empty directories ([`crate::outdir::clear_listed`]).
///
/// Errors: `dir` holds anything else (one line naming the first such path, nothing removed), or
/// is not empty without an earlier synth's `manifest.toml` and `synth.sha256`; an I/O error.
fn prepare_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        let mut entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
        if entries.next().is_some() {
            let manifest = dir.join("manifest.toml");
            let ours = std::fs::read_to_string(&manifest).is_ok_and(|t| t.starts_with(MANIFEST_MARKER));
            let listing = std::fs::read_to_string(dir.join(LISTING)).ok().filter(|_| ours);
            let Some(listing) = listing else {
                return Err(Error::Config(format!(
                    "{}: not empty and not an earlier `avfit synth` output (manifest.toml and {LISTING}); choose another --out",
                    dir.display()
                )));
            };
            let listed = listing
                .lines()
                .filter_map(|l| l.split_once("  "))
                .map(|(sha, path)| (path.to_string(), sha.to_string()))
                .collect();
            crate::outdir::clear_listed(dir, listed, &[LISTING])?;
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))
}

/// Writes `dir/synth.sha256`: every file under `dir` (path order) with its SHA-256, so a later
/// synth into `dir` removes exactly these.
fn write_listing(dir: &Path) -> Result<()> {
    use sha2::Digest;
    let mut text = String::new();
    for entry in walkdir::WalkDir::new(dir).min_depth(1).sort_by_file_name() {
        let entry = entry.map_err(|e| Error::input(dir, None, e.to_string()))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let rel = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        if rel == LISTING {
            continue;
        }
        let mut hasher = sha2::Sha256::new();
        let mut file = std::fs::File::open(entry.path()).map_err(|e| Error::io(entry.path(), e))?;
        std::io::copy(&mut file, &mut hasher).map_err(|e| Error::io(entry.path(), e))?;
        text += &format!("{:x}  {rel}\n", hasher.finalize());
    }
    let path = dir.join(LISTING);
    std::fs::write(&path, text).map_err(|e| Error::io(&path, e))
}

fn write_manifest(path: &Path, options: &SynthOptions, entries: &[Entry]) -> Result<()> {
    let mut text = format!(
        "{MANIFEST_MARKER} --scale {} --seed {}.\n\
         # Build: avfit build --manifest manifest.toml --out OUT (paths are relative to this file).\n\
         # Direct sources: exact expected counts (rows generated minus the defect rows sprinkled in).\n\
         # Curated rows: the paper's counts times the scale; their pairing decides the exact numbers.\n\
         seed = 0\ndialect = \"meerkat\"\nrecords_per_shard = 10000\n",
        options.scale, options.seed,
    );
    for e in entries {
        text.push_str(&format!(
            "\n# {}\n[[source]]\nname = \"{}\"\n",
            e.comment, e.summary.name
        ));
        let inputs: Vec<String> = e.inputs.iter().map(|i| format!("\"{i}\"")).collect();
        text.push_str(&format!("inputs = [{}]\n", inputs.join(", ")));
        if let Some(f) = e.test_fraction {
            text.push_str(&format!("test_fraction = {f}\n"));
        }
        let expected: Vec<String> = e
            .summary
            .expected
            .iter()
            .map(|(k, v)| format!("\"{k}\" = {v}"))
            .collect();
        text.push_str(&format!("expected = {{ {} }}\n", expected.join(", ")));
    }
    std::fs::write(path, text).map_err(|e| Error::io(path, e))
}

/// Shared settings of one run.
struct Ctx {
    out: PathBuf,
    scale: f64,
    seed: u64,
}

impl Ctx {
    /// The paper's `count` times the scale, rounded, at least 1.
    fn target(&self, count: f64) -> u64 {
        ((count * self.scale).round() as u64).max(1)
    }
    /// `count * scale` rounded, at least `min` (for sizes that are not sample counts).
    fn size(&self, count: f64, min: u64) -> u64 {
        ((count * self.scale).round() as u64).max(min)
    }
    /// The RNG of one dataset: ChaCha8 seeded by the run's seed, on the dataset's own stream.
    fn rng(&self, stream: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(stream);
        rng
    }
    /// `<out>/<rel>`.
    fn path(&self, rel: &str) -> PathBuf {
        self.out.join(rel)
    }
}

/// Defects per kind for `units` native units: about one unit in a thousand over all `kinds`, at
/// least one of each.
fn per_kind(units: u64, kinds: usize) -> u64 {
    (units / (1000 * kinds as u64)).max(1)
}

/// Interleaves defect rows uniformly among the valid items of a file: after each valid item,
/// [`Sprinkle::after_item`] says which defects follow it; the first unit is always valid, and
/// every defect is placed by the time the last item is.
struct Sprinkle<K> {
    items_left: u64,
    defects: Vec<K>,
}

impl<K: Copy> Sprinkle<K> {
    /// `items` valid items and `counts` defects of each kind, shuffled with `rng`.
    fn new(rng: &mut ChaCha8Rng, items: u64, counts: &[(K, u64)]) -> Self {
        let mut defects: Vec<K> = counts
            .iter()
            .flat_map(|(k, n)| std::iter::repeat_n(*k, *n as usize))
            .collect();
        // Fisher-Yates with the dataset's RNG; popped from the back.
        for i in (1..defects.len()).rev() {
            let j = rng.gen_range(0..=i);
            defects.swap(i, j);
        }
        Sprinkle {
            items_left: items,
            defects,
        }
    }
    /// The defects to write after the next valid item.
    fn after_item(&mut self, rng: &mut ChaCha8Rng) -> Vec<K> {
        self.items_left = self.items_left.saturating_sub(1);
        let mut out = Vec::new();
        while let Some(&k) = self.defects.last() {
            let d = self.defects.len() as u64;
            if self.items_left > 0 && rng.gen_range(0..self.items_left + d) >= d {
                break;
            }
            self.defects.pop();
            out.push(k);
        }
        out
    }
}

/// A buffered output file that reports errors with its path.
struct Out {
    path: PathBuf,
    w: std::io::BufWriter<std::fs::File>,
}

impl Out {
    /// Creates `path` and its parent directories.
    fn create(path: PathBuf) -> Result<Out> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let file = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
        Ok(Out {
            w: std::io::BufWriter::with_capacity(1 << 20, file),
            path,
        })
    }
    /// Writes formatted text.
    fn fmt(&mut self, args: std::fmt::Arguments) -> Result<()> {
        self.w.write_fmt(args).map_err(|e| Error::io(&self.path, e))
    }
    /// Writes `s`.
    fn put(&mut self, s: &str) -> Result<()> {
        self.w.write_all(s.as_bytes()).map_err(|e| Error::io(&self.path, e))
    }
    /// Flushes and closes.
    fn finish(mut self) -> Result<()> {
        self.w.flush().map_err(|e| Error::io(&self.path, e))
    }
}

/// A JSON array written one element at a time (`[` ... `, ` ... `]`), on one line like the real
/// VGG-SS and VALOR files, or one element per line.
struct JsonArray {
    out: Out,
    first: bool,
    newline: bool,
}

impl JsonArray {
    fn create(path: PathBuf, newline: bool) -> Result<JsonArray> {
        let mut out = Out::create(path)?;
        out.put("[")?;
        Ok(JsonArray {
            out,
            first: true,
            newline,
        })
    }
    /// Pushes raw JSON text (for elements whose exact spelling matters).
    fn push_raw(&mut self, text: &str) -> Result<()> {
        let sep = match (self.first, self.newline) {
            (true, true) => "\n",
            (true, false) => "",
            (false, true) => ",\n",
            (false, false) => ", ",
        };
        self.first = false;
        self.out.put(sep)?;
        self.out.put(text)
    }
    fn finish(mut self) -> Result<()> {
        self.out.put(if self.newline { "\n]\n" } else { "]" })?;
        self.out.finish()
    }
}

const YT_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A random 11-character YouTube id (`A-Z a-z 0-9 - _`).
fn youtube_id(rng: &mut ChaCha8Rng) -> String {
    (0..11)
        .map(|_| YT_ALPHABET[rng.gen_range(0..YT_ALPHABET.len())] as char)
        .collect()
}

/// One of `items`, uniformly.
fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

/// A split-key map `{"test/arig": n}` from pairs.
fn expected(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sprinkle_places_every_defect_after_a_valid_item() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for items in [1u64, 2, 10, 1000] {
            let mut s = Sprinkle::new(&mut rng, items, &[(1u8, 3), (2u8, 1)]);
            let placed: usize = (0..items).map(|_| s.after_item(&mut rng).len()).sum();
            assert_eq!(placed, 4, "{items} items");
        }
    }
}
