//! The curated rows: Open Images boxes paired with audio clips of the same class, and the AVFC
//! fact-checking samples built from the pairs (DESIGN.md, "Curated rows").
//!
//! * `openimages_audioset`: ARIG and AVFC types 1, 2, 4, with AudioSet clips (weak labels).
//! * `openimages_vggsound`: ARIG, with VGGSound clips.
//! * `openimages_audioset_strong`: IGATL and AVFC type 3, with AudioSet Strong clips.
//!
//! Splits ignore the datasets' own: an image is test when `stable_hash("split", image id)`,
//! read as a fraction of 2^64, is below the row's test fraction; a clip likewise by its YouTube id.
//! A pair takes a clip only from its image's split, so no image and no clip is in both splits.
//! Clips whose `yt:` group, and images whose `oi:` group, a direct source of the build (or
//! `--exclude-groups`) already uses in the other split are never used (`reserved_group`); nor
//! are those that an earlier curated row of the build, by its own test fraction, puts in the
//! other split (whether or not it drew them, so no row needs to remember another's groups): the
//! curated rows of one build may have different test fractions and still not leak.
//!
//! Images stream: the bbox files must be sorted by `ImageID`, as Open Images distributes them
//! (an unsorted file stops the run at the first row out of order), and each image is paired when
//! its last row has been read. Memory holds the audio side, the verified-absent labels, a
//! bounded window of recent images and a batch of images being paired, never the whole bbox file.
//!
//! Images are paired in batches ([`batch_images`], 1,024 by default): each image's split, group
//! check, classes, stable hashes and media strings are found on rayon's pool, the draws and AVFC
//! choices are made image after image in file order on the reading thread, the records are built
//! on the pool and emitted in that order, so the output is the same for any batch size and any
//! number of threads.
//!
//! Pairing, for each (image, class) group in file order (classes of an image in class-map order): the clip at
//! `stable_hash(seed, "pair", image, class) mod n` in the pool of the class and split, or the next
//! of up to [`MAX_PROBES`] that carries no label of another class visible in the image. A class
//! whose pairs in a split reach `cap_per_class` draws no more. Groups without a clip are skipped
//! (`not_drawn`); clips never drawn are skipped (`clip_not_drawn`).
//!
//! AVFC: each type's verdicts are kept balanced, |true − false| ≤ 1 per type within each split
//! and over both; a pair whose turn is false but that has no valid negative makes no sample of
//! that type.
//! 1. false: a clip of another class that has no label of the image's class;
//! 2. false: the same clip with an image without the class, probed among the last
//!    [`RECENT_IMAGES`] images of the split: one whose human-verified image labels say the class
//!    is absent when an `*-human-imagelabels*.csv` is given, else one with no box of the class;
//! 3. (strong) true: one event segment of the class; false: the longest window of at least
//!    [`MIN_NEGATIVE_WINDOW`] seconds that overlaps no event of the class;
//! 4. true: a box of the class; false: a box of another class in the same image with IoU < 0.1
//!    against every box of the class.

use super::classes::{AudioVocabulary, ClassId, ClassMap};
use super::options::CurationOptions;
use super::{audioset, audioset_strong, vggsound};
use crate::error::{Error, Result};
use crate::geometry::{merge_segments, BBox, Segment};
use crate::media;
use crate::reason::{Reason, Skip};
use crate::record::{Media, MediaOrigin, NamedBefore, Record, Split, Target, Text};
use crate::sources::openimages::{self, BoxFilter, ImageMedia, OpenImagesFile};
use crate::sources::{At, Collector, Source, SourceOptions};
use crate::split::{stable_hash, FastMap, FastSet};
use audioset_strong::AUDIOSET_CLIP_SECONDS;
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How many pool entries after the hashed start a draw may try.
pub const MAX_PROBES: usize = 32;
/// Shortest window (seconds) an AVFC type-3 negative may show.
pub const MIN_NEGATIVE_WINDOW: f64 = 1.0;
/// Largest IoU an AVFC type-4 negative box may have with any box of the sound's class.
pub const MAX_NEGATIVE_IOU: f64 = 0.1;

/// The audio dataset of a curated row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AudioSide {
    /// AudioSet `*_segments.csv`.
    AudioSet,
    /// `vggsound.csv`.
    VggSound,
    /// AudioSet Strong `audioset_*_strong.tsv`.
    AudioSetStrong,
}

impl AudioSide {
    /// Whether `name` is one of this side's native files.
    pub fn recognizes(self, name: &str) -> bool {
        match self {
            AudioSide::AudioSet => audioset::is_segments_file(name),
            AudioSide::VggSound => vggsound::is_vggsound_file(name),
            AudioSide::AudioSetStrong => audioset_strong::is_strong_file(name),
        }
    }
    /// The audio vocabulary of its labels.
    pub fn vocabulary(self) -> AudioVocabulary {
        match self {
            AudioSide::AudioSet => AudioVocabulary::AudioSet,
            AudioSide::VggSound => AudioVocabulary::VggSound,
            AudioSide::AudioSetStrong => AudioVocabulary::AudioSetStrong,
        }
    }
    /// Whether `name` is the label list distributed with this side's dataset (AudioSet's
    /// `class_labels_indices.csv`, AudioSet Strong's `mid_to_display_name.tsv`; VGGSound has
    /// none apart from `vggsound.csv`): read only to check the class map's MIDs.
    pub fn is_label_list(self, name: &str) -> bool {
        self != AudioSide::VggSound && name == self.vocabulary().label_file()
    }
    /// The folder of its clips under the media root.
    pub fn dataset(self) -> &'static str {
        match self {
            AudioSide::AudioSet => "audioset",
            AudioSide::VggSound => "vggsound",
            AudioSide::AudioSetStrong => "audioset_strong",
        }
    }
}

/// The split of an image or clip id: test when `stable_hash("split", id) / 2^64 < test_fraction`.
pub fn split_of(id: &str, test_fraction: f64) -> Split {
    let unit = stable_hash(&["split", id]) as f64 / 18_446_744_073_709_551_616.0;
    if unit < test_fraction {
        Split::Test
    } else {
        Split::Train
    }
}

/// Intersection over union of two normalized boxes.
pub fn iou(a: &BBox, b: &BBox) -> f64 {
    let w = (a.x1().min(b.x1()) - a.x0().max(b.x0())).max(0.0);
    let h = (a.y1().min(b.y1()) - a.y0().max(b.y0())).max(0.0);
    let inter = w * h;
    let union = a.area() + b.area() - inter;
    if union > 0.0 {
        inter / union
    } else {
        0.0
    }
}

/// The longest window inside `[0, duration)` that overlaps none of the merged, sorted `events`,
/// if at least `min_length` seconds long.
pub fn longest_gap(events: &[Segment], duration: f64, min_length: f64) -> Option<Segment> {
    let mut best: Option<(f64, f64)> = None;
    let mut cursor = 0.0;
    for edge in events
        .iter()
        .map(|e| (e.start(), e.end()))
        .chain(std::iter::once((duration, duration)))
    {
        let gap = (cursor, edge.0.min(duration));
        if gap.1 - gap.0 >= min_length && best.is_none_or(|b| gap.1 - gap.0 > b.1 - b.0) {
            best = Some(gap);
        }
        cursor = f64::max(cursor, edge.1);
    }
    best.and_then(|(a, b)| Segment::new(a, b, Some(duration)).ok())
}

/// What the records of an audio clip say about it, made once per clip and shared by its records.
struct ClipMedia {
    /// The clip's audio path relative to the media root.
    audio: Text,
    /// `yt:<YouTube id>`.
    group: Text,
    /// The 10 s window of its YouTube video.
    origin: Arc<MediaOrigin>,
}

/// The mapped classes of every clip, one after another (clip `i`'s from `starts[i]` to
/// `starts[i + 1]`): what the draws read for clip after clip of a pool, kept together in a few
/// small arrays instead of one vector per clip behind its [`Clip`] (two cache misses a clip
/// probed).
struct ClipClasses {
    starts: Vec<u32>,
    classes: Vec<ClassId>,
}

impl ClipClasses {
    /// The classes of `clips`, in clip order, moved out of them (each clip's `classes` is left
    /// empty: the table is their one copy).
    fn take_from(clips: &mut [Clip]) -> Self {
        let mut table = ClipClasses {
            starts: Vec::with_capacity(clips.len() + 1),
            classes: Vec::new(),
        };
        table.starts.push(0);
        for clip in clips {
            table.classes.append(&mut clip.classes);
            table
                .starts
                .push(u32::try_from(table.classes.len()).expect("fewer than 2^32 clip classes"));
        }
        table
    }

    /// The classes of clip `clip`.
    fn of(&self, clip: u32) -> &[ClassId] {
        let clip = clip as usize;
        &self.classes[self.starts[clip] as usize..self.starts[clip + 1] as usize]
    }
}

/// One audio clip of the audio side.
struct Clip {
    key: String,
    youtube_id: String,
    /// Start of the 10 s clip in the YouTube video, seconds.
    start: f64,
    /// Mapped classes (weak labels, or the classes of its events) while the audio side is read;
    /// then moved into the [`ClipClasses`] table, empty here.
    classes: Vec<ClassId>,
    /// AudioSet Strong: merged events per class.
    events: Vec<(ClassId, Vec<Segment>)>,
    rows: u64,
    /// The split it may be drawn into, `None` when a reserved group forbids both.
    split: Option<Split>,
    drawn: bool,
}

/// Reads a curated row: the Open Images side and the audio side from `files`, pairs them under
/// `curation` (class map, test fraction, cap) and `options` (seed, depictions, media, the groups
/// and test fractions of the sources read before it) and emits every ARIG / IGATL / AVFC record
/// through `out`.
///
/// The side's label list (`class_labels_indices.csv`, `mid_to_display_name.tsv`), when given, is
/// not read here: [`check_label_lists`] checks it before the run reads any source.
///
/// Errors: no bbox file, no class descriptions, no audio file of the row's side, an invalid class
/// map, and the readers' errors.
pub fn read_curated(
    source: &dyn Source,
    side: AudioSide,
    files: &[PathBuf],
    curation: &CurationOptions,
    options: &SourceOptions,
    out: &mut Collector,
) -> Result<()> {
    let classes = ClassMap::load(&curation.classes)?;
    let kind = |p: &Path| p.file_name().and_then(|n| OpenImagesFile::of(&n.to_string_lossy()));
    let of_kind = |k: OpenImagesFile| files.iter().filter(move |p| kind(p) == Some(k)).collect::<Vec<_>>();
    let is_label_list = |p: &Path| p.file_name().is_some_and(|n| side.is_label_list(&n.to_string_lossy()));
    let audio_files: Vec<&PathBuf> = files
        .iter()
        .filter(|p| kind(p).is_none() && !is_label_list(p))
        .collect();
    let (bbox_files, descriptions) = (
        of_kind(OpenImagesFile::Boxes),
        of_kind(OpenImagesFile::ClassDescriptions),
    );
    for (found, what) in [
        (bbox_files.is_empty(), "an Open Images *-annotations-bbox.csv"),
        (descriptions.is_empty(), "class-descriptions-boxable.csv"),
        (audio_files.is_empty(), "its audio label file"),
    ] {
        if found {
            return Err(Error::Config(format!(
                "source `{}` needs {what}; expected {}",
                source.name(),
                source.files()
            )));
        }
    }
    let mut names: HashMap<String, String> = HashMap::new();
    for path in descriptions {
        names.extend(openimages::read_class_descriptions(path)?);
    }
    // Per class id: the label its records print (the Open Images display name, else the class
    // map's name) and the class name in keys and hashes (spaces as `_`).
    let labels: Vec<Text> = classes
        .classes
        .iter()
        .map(|entry| names.get(&entry.openimages).unwrap_or(&entry.name).as_str().into())
        .collect();
    let class_keys: Vec<String> = classes
        .classes
        .iter()
        .map(|entry| entry.name.replace(' ', "_"))
        .collect();
    let mut rotated = FastSet::default();
    for path in of_kind(OpenImagesFile::Rotation) {
        rotated.extend(openimages::read_rotated(path)?);
    }
    // Image id → classes its human-verified labels say are absent (`Confidence` 0).
    let mut verified_absent = VerifiedAbsent::default();
    for path in of_kind(OpenImagesFile::ImageLabels) {
        openimages::read_verified_absent(path, &classes, |image, class| verified_absent.insert(image, class))?;
    }
    verified_absent.seal();

    // Audio side.
    let mut clips = read_clips(side, &audio_files, &classes, curation.test_fraction, options, out)?;
    let clip_classes = ClipClasses::take_from(&mut clips);
    let mut pools: FastMap<(ClassId, Split), Vec<u32>> = FastMap::default();
    for (i, clip) in clips.iter().enumerate() {
        if let Some(split) = clip.split {
            for c in clip_classes.of(i as u32) {
                pools.entry((*c, split)).or_default().push(i as u32);
            }
        }
    }
    // Pools in clip-key order, so pairs do not depend on the order of the input files.
    for pool in pools.values_mut() {
        pool.sort_by(|a, b| clips[*a as usize].key.cmp(&clips[*b as usize].key));
    }
    let mut pool_classes: [Vec<ClassId>; 2] = Default::default();
    for (class, split) in pools.keys() {
        pool_classes[split_index(*split)].push(*class);
    }
    pool_classes.iter_mut().for_each(|classes| classes.sort_unstable());
    let clip_media: Vec<ClipMedia> = clips
        .iter()
        .map(|clip| ClipMedia {
            audio: options.media.audio(&clip.key).into(),
            group: ["yt:", &clip.youtube_id].concat().into(),
            origin: MediaOrigin::youtube(&clip.youtube_id, clip.start, clip.start + AUDIOSET_CLIP_SECONDS).into(),
        })
        .collect();
    let reserved_images: FastMap<&str, Split> = options
        .reserved_groups
        .iter()
        .filter_map(|(group, split)| Some((group.strip_prefix("oi:")?, *split)))
        .collect();

    // Image side, streamed: the bbox files are sorted by ImageID (as distributed), so each
    // image's boxes are consecutive; every image is paired when its last box is read.
    let filter = BoxFilter {
        classes: &classes,
        include_depiction: options.include_depiction,
        rotated: &rotated,
    };
    let mut pairing = Pairing {
        source,
        side,
        curation,
        options,
        class_keys: &class_keys,
        labels: &labels,
        verified_absent: &verified_absent,
        reserved_images,
        clips: &mut clips,
        clip_classes: &clip_classes,
        clip_media: &clip_media,
        pools: &pools,
        pool_classes: &pool_classes,
        seed: options.seed.to_string(),
        drawn_per_class: FastMap::default(),
        balance: Balance::default(),
        recent: Default::default(),
        batch: Vec::new(),
        gathered: 0,
        batch_images: batch_images(),
        plans: Vec::new(),
        clip_named: vec![false; clip_media.len()],
    };
    for path in &bbox_files {
        pairing.start_file();
        openimages::stream_box_rows(path, &filter, out, |b, out| {
            if openimages::starts_image(path, &b, pairing.current_id())? {
                pairing.next_image(b.image, b.line, path, out)?;
            }
            pairing.add_box(b.class, b.bbox);
            Ok(())
        })?;
        pairing.finish_file(path, out)?;
    }
    for clip in &clips {
        if clip.drawn {
            out.use_units(clip.rows);
        } else if clip.split.is_none() {
            out.skip(Skip::ReservedGroup, clip.rows);
        } else {
            out.skip(Skip::ClipNotDrawn, clip.rows);
        }
    }
    Ok(())
}

/// Checks that every label list of `side` among `files` (AudioSet's `class_labels_indices.csv` or
/// AudioSet Strong's `mid_to_display_name.tsv`, read by [`super::classes::read_label_set`]) has
/// every MID that the class map of `curation` lists for that dataset. Run before any source of a
/// run is read ([`Source::check_inputs`]); without a label list it does nothing.
///
/// Errors: the class map or a list cannot be read; the first class-map MID a list lacks, as one
/// line naming the list, the class and the MID (and, when several are absent, how many).
pub fn check_label_lists(side: AudioSide, files: &[PathBuf], curation: &CurationOptions) -> Result<()> {
    let lists: Vec<&PathBuf> = files
        .iter()
        .filter(|p| p.file_name().is_some_and(|n| side.is_label_list(&n.to_string_lossy())))
        .collect();
    if lists.is_empty() {
        return Ok(());
    }
    let classes = ClassMap::load(&curation.classes)?;
    for path in lists {
        check_label_list(&classes, &curation.classes, side.vocabulary(), path)?;
    }
    Ok(())
}

fn check_label_list(classes: &ClassMap, map_path: &Path, vocabulary: AudioVocabulary, path: &Path) -> Result<()> {
    let known = super::classes::read_label_set(path, vocabulary)?;
    let unknown = classes.unknown_labels(vocabulary, &known);
    let Some((class, mid)) = unknown.first() else {
        return Ok(());
    };
    let more = match unknown.len() {
        1 => String::new(),
        n => format!(" ({n} of the map's MIDs are not)"),
    };
    Err(Error::input(
        path,
        None,
        format!(
            "class `{class}` of {}: {} MID `{mid}` is not in this file{more}",
            map_path.display(),
            vocabulary.dataset()
        ),
    ))
}

/// The classes human-verified absent per image. Open Images ids (16 hex digits) are kept as the
/// number they spell, exactly; other ids as text. Looked up once per image ([`VerifiedAbsent::of`]),
/// when the image becomes a negative candidate: the numbers, once all are read
/// ([`VerifiedAbsent::seal`]), in a vector sorted by id, searched from where the last lookup
/// ended. The images come in id order within a bbox file, so each lookup takes a step or a few
/// through memory read in order, where a hash map missed the cache for every image.
#[derive(Default)]
struct VerifiedAbsent {
    hex: FastMap<u64, Vec<ClassId>>,
    other: FastMap<String, Vec<ClassId>>,
    /// `hex` sorted by id, once sealed.
    sorted: Vec<(u64, Vec<ClassId>)>,
    /// Where in `sorted` the last lookup ended: the first entry not below its id.
    cursor: std::cell::Cell<usize>,
}

/// Entries [`VerifiedAbsent::of`] steps through one by one before it searches the rest.
const ABSENT_STEPS: usize = 8;

impl VerifiedAbsent {
    fn hex_id(image: &str) -> Option<u64> {
        (image.len() == 16 && image.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
            .then(|| u64::from_str_radix(image, 16).ok())
            .flatten()
    }
    /// Adds `class` to the classes of `image` (before [`VerifiedAbsent::seal`]).
    fn insert(&mut self, image: &str, class: ClassId) {
        let classes = match Self::hex_id(image) {
            Some(n) => {
                debug_assert!(self.sorted.is_empty(), "a hex id's labels added after seal");
                self.hex.entry(n).or_default()
            }
            None => self.other.entry(image.to_string()).or_default(),
        };
        if !classes.contains(&class) {
            classes.push(class);
        }
    }
    /// Ends the reading: the hex ids move to the sorted vector [`VerifiedAbsent::of`] searches.
    fn seal(&mut self) {
        // Taken, not drained: the emptied map's table is freed.
        self.sorted.extend(std::mem::take(&mut self.hex));
        self.sorted.sort_unstable_by_key(|(id, _)| *id);
        self.cursor.set(0);
    }
    /// The classes verified absent in `image` (empty when none), in the order first read (after
    /// [`VerifiedAbsent::seal`]).
    fn of(&self, image: &str) -> &[ClassId] {
        debug_assert!(self.hex.is_empty(), "verified-absent labels looked up before seal");
        let Some(n) = Self::hex_id(image) else {
            return self.other.get(image).map_or(&[], Vec::as_slice);
        };
        let sorted = &self.sorted;
        let mut at = self.cursor.get().min(sorted.len());
        if at > 0 && sorted[at - 1].0 >= n {
            // Before the last lookup's id (a new file): searched from the start.
            at = sorted.partition_point(|(id, _)| *id < n);
        } else {
            let steps_end = (at + ABSENT_STEPS).min(sorted.len());
            while at < steps_end && sorted[at].0 < n {
                at += 1;
            }
            if at == steps_end {
                at += sorted[at..].partition_point(|(id, _)| *id < n);
            }
        }
        self.cursor.set(at);
        match sorted.get(at) {
            Some((id, classes)) if *id == n => classes,
            _ => &[],
        }
    }
    fn is_empty(&self) -> bool {
        self.hex.is_empty() && self.other.is_empty() && self.sorted.is_empty()
    }
}

/// Default images paired per batch: their split, hashes and media strings are found, and their
/// records built, on rayon's pool; the draws are made in file order on the reading thread.
pub const DEFAULT_BATCH_IMAGES: usize = 1024;

/// Images paired per batch: `AVFIT_PAIR_BATCH_IMAGES` when set to a positive number (tests set
/// 1 or a few to cross many batch ends), else [`DEFAULT_BATCH_IMAGES`]. The output does not
/// depend on it.
pub fn batch_images() -> usize {
    crate::sources::chunked::positive_from_env("AVFIT_PAIR_BATCH_IMAGES", DEFAULT_BATCH_IMAGES)
}

/// The boxes of one image, in file order, and what the first pass of its batch finds of them.
#[derive(Default)]
struct ImageBoxes {
    id: String,
    /// 1-based line of its first box row.
    first_line: u64,
    boxes: Vec<(ClassId, BBox)>,
    /// Classes with a box in it, ascending ([`Hashing::prepare`]). Kept with the image, whose
    /// vectors the batches reuse: made fresh on the pool, they were freed on the reading thread,
    /// a free mimalloc defers (two per image).
    present: Vec<ClassId>,
    /// Per class of `present` (none when the image is claimed): `stable_hash(seed, "pair", image,
    /// class)` and the hash that picks the side's AVFC box or segment (`"avfc4"`, `"avfc3"`; 0
    /// for VGGSound).
    hashes: Vec<(u64, u64)>,
}

/// What the first pass of a batch, on the pool, finds for one image.
struct Prepared {
    split: Split,
    /// Whether its `oi:` group may not be used in `split` ([`claimed_by_earlier`] or a reserved group).
    claimed: bool,
    media: Arc<ImageMedia>,
}

/// The parts of a row's settings the first pass needs (all shared by the pool's threads).
struct Hashing<'a> {
    side: AudioSide,
    seed: &'a str,
    test_fraction: f64,
    options: &'a SourceOptions,
    reserved_images: &'a FastMap<&'a str, Split>,
    class_keys: &'a [String],
}

impl Hashing<'_> {
    /// Fills `image.present` and `image.hashes`; returns its split, claim and media.
    fn prepare(&self, image: &mut ImageBoxes) -> Prepared {
        let id = image.id.as_str();
        let split = split_of(id, self.test_fraction);
        let claimed = claimed_by_earlier(self.options, id, split)
            || self.reserved_images.get(id).is_some_and(|used| *used != split);
        let present = &mut image.present;
        present.clear();
        present.extend(image.boxes.iter().map(|(c, _)| *c));
        present.sort_unstable();
        present.dedup();
        let choice = match self.side {
            AudioSide::AudioSet => Some("avfc4"),
            AudioSide::AudioSetStrong => Some("avfc3"),
            AudioSide::VggSound => None,
        };
        image.hashes.clear();
        if !claimed {
            image.hashes.extend(present.iter().map(|c| {
                let class = self.class_keys[*c as usize].as_str();
                let pair = stable_hash(&[self.seed, "pair", id, class]);
                (
                    pair,
                    choice.map_or(0, |what| stable_hash(&[self.seed, what, id, class])),
                )
            }));
        }
        Prepared {
            split,
            claimed,
            media: Arc::new(ImageMedia::new(self.options, id)),
        }
    }
}

/// An image paired recently, as a candidate AVFC type-2 negative.
struct RecentImage {
    media: Arc<ImageMedia>,
    /// Classes with a box in it.
    present: Vec<ClassId>,
    /// Classes its human-verified labels say are absent ([`VerifiedAbsent::of`]).
    absent: Vec<ClassId>,
    /// Clips it was already shown with as a type-2 negative (the same claim twice would be a
    /// duplicate sample).
    negative_for: Vec<u32>,
}

/// Recent images kept per split as type-2 negative candidates.
pub const RECENT_IMAGES: usize = 1024;

/// Index of a split in per-split arrays.
fn split_index(split: Split) -> usize {
    match split {
        Split::Train => 0,
        Split::Test => 1,
    }
}

/// What a planned record claims.
enum Claim {
    /// ARIG (the group's boxes) or IGATL (`segments`, the class's events in the clip).
    Main { segments: Vec<Segment>, duration: f64 },
    /// An AVFC claim of type `kind`, showing `bbox` (type 4) or `segment` (type 3).
    Avfc {
        kind: u8,
        verdict: bool,
        bbox: Option<BBox>,
        segment: Option<Segment>,
        duration: f64,
    },
}

/// A record decided on the reading thread, built on the pool.
struct Planned {
    /// Its image's index in the batch.
    image: u32,
    class: ClassId,
    clip: u32,
    /// The image shown instead of its own (an AVFC type-2 negative).
    shown_image: Option<Arc<ImageMedia>>,
    claim: Claim,
    /// Native units it stands for: the group's boxes for the main record, 0 for AVFC.
    units: u64,
    /// Whether a record planned before it shows its own image (in this batch: `shown_image` none)
    /// or plays its clip (in this batch or an earlier one) ([`mark_named`]).
    named_before: NamedBefore,
}

/// Marks in `plans` (a batch's, in the order their records are emitted) the media an earlier
/// record shows or plays: an image's own records after its first in the batch (an image's records
/// are all in its batch), a clip's records after the first ever (`clip_named`, per clip, says
/// which clips earlier records played; updated). A curated row's records all reach the
/// pipeline: none is judged ambiguous ([`crate::sources::Source::unambiguous_by_construction`]).
/// An image shown as another's negative is left unmarked: its own records may have been none.
fn mark_named(plans: &mut [Planned], clip_named: &mut [bool]) {
    let mut last_image = None;
    for plan in plans {
        let own_image = plan.shown_image.is_none();
        plan.named_before = NamedBefore {
            image: own_image && last_image == Some(plan.image),
            audio: std::mem::replace(&mut clip_named[plan.clip as usize], true),
            video: false,
        };
        if own_image {
            last_image = Some(plan.image);
        }
    }
}

/// The state of a curated row while its images stream by: the audio side, the counters, a
/// bounded window of recent images for AVFC type-2 negatives, and the batch of images being
/// gathered. Nothing in it grows with the bbox file.
struct Pairing<'a> {
    source: &'a dyn Source,
    side: AudioSide,
    curation: &'a CurationOptions,
    options: &'a SourceOptions,
    /// Per class id: the class name with `_` for spaces, as in record keys and hashes.
    class_keys: &'a [String],
    /// Per class id: the label the records print ([`read_curated`]).
    labels: &'a [Text],
    verified_absent: &'a VerifiedAbsent,
    /// The `oi:` groups of `options.reserved_groups`, by ImageID.
    reserved_images: FastMap<&'a str, Split>,
    clips: &'a mut Vec<Clip>,
    /// Per clip, its classes, as `clips` has them.
    clip_classes: &'a ClipClasses,
    /// Per clip, in clip order: its media path, `yt:` group and origin.
    clip_media: &'a [ClipMedia],
    pools: &'a FastMap<(ClassId, Split), Vec<u32>>,
    /// Per split: the classes with a pool in it, ascending.
    pool_classes: &'a [Vec<ClassId>; 2],
    seed: String,
    drawn_per_class: FastMap<(ClassId, Split), u64>,
    balance: Balance,
    recent: [VecDeque<RecentImage>; 2],
    /// The images of the batch (`batch[..gathered]`), then the one being gathered; the vectors
    /// are reused from batch to batch.
    batch: Vec<ImageBoxes>,
    gathered: usize,
    /// Images a batch holds ([`batch_images`]).
    batch_images: usize,
    plans: Vec<Planned>,
    /// Per clip: whether a record planned so far plays it.
    clip_named: Vec<bool>,
}

impl Pairing<'_> {
    /// The image being gathered.
    fn current(&mut self) -> &mut ImageBoxes {
        if self.batch.len() == self.gathered {
            self.batch.push(ImageBoxes::default());
        }
        &mut self.batch[self.gathered]
    }

    /// The ImageID being gathered, empty before a file's first row.
    fn current_id(&self) -> &str {
        self.batch.get(self.gathered).map_or("", |image| image.id.as_str())
    }

    /// Starts a bbox file: no image is being gathered.
    fn start_file(&mut self) {
        let image = self.current();
        image.id.clear();
        image.boxes.clear();
    }

    /// Ends the image being gathered (pairing the batch when it is full) and starts gathering
    /// `id`, whose first row is on `line` of `path`.
    ///
    /// Errors: those of [`Pairing::flush`].
    fn next_image(&mut self, id: &str, line: u64, path: &Path, out: &mut Collector) -> Result<()> {
        self.end_image();
        if self.gathered == self.batch_images {
            self.flush(path, out)?;
        }
        let image = self.current();
        image.id.clear();
        image.id.push_str(id);
        image.first_line = line;
        image.boxes.clear();
        Ok(())
    }

    fn end_image(&mut self) {
        if self
            .batch
            .get(self.gathered)
            .is_some_and(|image| !image.boxes.is_empty())
        {
            self.gathered += 1;
        }
    }

    /// Adds a box row of the image being gathered.
    fn add_box(&mut self, class: ClassId, bbox: BBox) {
        self.current().boxes.push((class, bbox));
    }

    /// Ends a bbox file: pairs what is gathered.
    ///
    /// Errors: those of [`Pairing::flush`].
    fn finish_file(&mut self, path: &Path, out: &mut Collector) -> Result<()> {
        self.end_image();
        self.flush(path, out)
    }

    /// Pairs the gathered images of `path` in file order and emits their records: first, on the
    /// pool, each image's split, group check, classes and hashes; then, here, every (image,
    /// class) group's draw and AVFC claims ([`Pairing::plan_group`]); then, on the pool, the
    /// records; then, here, their emission in order.
    ///
    /// Errors: those of [`Collector::emit`].
    fn flush(&mut self, path: &Path, out: &mut Collector) -> Result<()> {
        use rayon::prelude::*;
        let count = std::mem::take(&mut self.gathered);
        let mut batch = std::mem::take(&mut self.batch);
        let hashing = Hashing {
            side: self.side,
            seed: &self.seed,
            test_fraction: self.curation.test_fraction,
            options: self.options,
            reserved_images: &self.reserved_images,
            class_keys: self.class_keys,
        };
        let prepared: Vec<Prepared> = batch[..count]
            .par_iter_mut()
            .map(|image| hashing.prepare(image))
            .collect();
        let images = &batch[..count];
        for (index, (image, prep)) in images.iter().zip(&prepared).enumerate() {
            if prep.claimed {
                out.skip(Skip::ReservedGroup, image.boxes.len() as u64);
                continue;
            }
            for (&class, &(start, choice)) in image.present.iter().zip(&image.hashes) {
                self.plan_group(index as u32, image, prep, class, start, choice, out);
            }
            self.remember(image, prep);
        }
        let mut plans = std::mem::take(&mut self.plans);
        mark_named(&mut plans, &mut self.clip_named);
        let (source, side, class_keys, labels) = (self.source.name(), self.side, self.class_keys, self.labels);
        let clip_media = self.clip_media;
        let records: Vec<(Record, u32, u64, NamedBefore)> = plans
            .into_par_iter()
            .map(|plan| {
                let image = &images[plan.image as usize];
                let prep = &prepared[plan.image as usize];
                let label = labels[plan.class as usize].clone();
                let target = match plan.claim {
                    Claim::Main { segments, duration } if side == AudioSide::AudioSetStrong => Target::Igatl {
                        label,
                        segments,
                        duration,
                    },
                    Claim::Main { .. } => Target::Arig {
                        label,
                        boxes: image
                            .boxes
                            .iter()
                            .filter(|(c, _)| *c == plan.class)
                            .map(|(_, b)| *b)
                            .collect(),
                    },
                    Claim::Avfc {
                        kind,
                        verdict,
                        bbox,
                        segment,
                        duration,
                    } => Target::Avfc {
                        kind,
                        verdict,
                        label,
                        boxes: bbox.map(|b| vec![b]),
                        segments: segment.map(|s| vec![s]),
                        duration: segment.map(|_| duration),
                    },
                };
                let shown = plan.shown_image.as_deref().unwrap_or(&prep.media);
                let clip = &clip_media[plan.clip as usize];
                let record = Record {
                    source,
                    key: [image.id.as_str(), "/", &class_keys[plan.class as usize]].concat(),
                    split: prep.split,
                    groups: vec![shown.group.clone(), clip.group.clone()],
                    media: Media {
                        image: Some(shown.path.clone()),
                        audio: Some(clip.audio.clone()),
                        video: None,
                        origins: crate::record::MediaOrigins {
                            image: Some(shown.origin.clone()),
                            audio: Some(clip.origin.clone()),
                            video: None,
                        },
                    },
                    target,
                    referring: false,
                };
                (record, plan.image, plan.units, plan.named_before)
            })
            .collect();
        let mut emitted = Ok(());
        for (record, image, units, named_before) in records {
            let at = At::Line(images[image as usize].first_line);
            emitted = out.emit_named(record, path, at, units, named_before);
            if emitted.is_err() {
                break;
            }
        }
        self.batch = batch;
        emitted
    }

    /// Keeps `image` as a negative candidate of its split; the window's oldest image leaves
    /// it, its lists reused.
    fn remember(&mut self, image: &ImageBoxes, prep: &Prepared) {
        let recent = &mut self.recent[split_index(prep.split)];
        let mut lists = match recent.len() {
            RECENT_IMAGES => recent.pop_front(),
            _ => None,
        }
        .map_or_else(Default::default, |oldest| {
            (oldest.present, oldest.absent, oldest.negative_for)
        });
        lists.0.clone_from(&image.present);
        lists.1.clear();
        lists.1.extend_from_slice(self.verified_absent.of(&image.id));
        lists.2.clear();
        recent.push_back(RecentImage {
            media: prep.media.clone(),
            present: lists.0,
            absent: lists.1,
            negative_for: lists.2,
        });
    }

    /// One (image, class) group, the image at `index` of the batch: draws its clip (from the
    /// hashed `start`) and plans the ARIG / IGATL record and the AVFC claims (`choice` picks the
    /// type-4 box or type-3 segment); counts the draws, the verdicts and the clips drawn.
    #[allow(clippy::too_many_arguments)]
    fn plan_group(
        &mut self,
        index: u32,
        image: &ImageBoxes,
        prep: &Prepared,
        class: ClassId,
        start: u64,
        choice: u64,
        out: &mut Collector,
    ) {
        let (options, seed, split, present) = (self.options, self.seed.as_str(), prep.split, &image.present);
        let image_id = image.id.as_str();
        let boxes = || image.boxes.iter().filter(move |(c, _)| *c == class).map(|(_, b)| *b);
        let group_rows = boxes().count() as u64;
        let class_name = self.class_keys[class as usize].as_str();
        let capped = self
            .curation
            .cap_per_class
            .is_some_and(|cap| self.drawn_per_class.get(&(class, split)).copied().unwrap_or(0) >= cap);
        let pool = self.pools.get(&(class, split)).map(Vec::as_slice).unwrap_or(&[]);
        let (clips, clip_classes) = (&*self.clips, self.clip_classes);
        let drawn = if capped {
            None
        } else {
            probe(pool, start, |c| {
                clip_classes.of(c).iter().all(|k| *k == class || !present.contains(k))
            })
        };
        let Some(clip_index) = drawn else {
            out.skip(Skip::NotDrawn, group_rows);
            return;
        };
        let clip = &clips[clip_index as usize];
        // AudioSet Strong: the clip's length from its WAV when the media root has it, else 10 s.
        let duration = match (&options.media_root, self.side) {
            (Some(root), AudioSide::AudioSetStrong) => root
                .path(&self.clip_media[clip_index as usize].audio)
                .and_then(|p| media::wav_info(&p))
                .map_or(AUDIOSET_CLIP_SECONDS, |w| w.duration),
            _ => AUDIOSET_CLIP_SECONDS,
        };
        let class_events: Vec<Segment> = clip
            .events
            .iter()
            .find(|(c, _)| *c == class)
            .map(|(_, events)| {
                events
                    .iter()
                    .filter_map(|e| Segment::new(e.start(), e.end().min(duration), Some(duration)).ok())
                    .collect()
            })
            .unwrap_or_default();
        let planned = |clip: u32, shown_image: Option<Arc<ImageMedia>>, claim: Claim, units: u64| Planned {
            image: index,
            class,
            clip,
            shown_image,
            claim,
            units,
            named_before: NamedBefore::default(),
        };
        let avfc = |kind: u8, verdict: bool, bbox: Option<BBox>, segment: Option<Segment>| Claim::Avfc {
            kind,
            verdict,
            bbox,
            segment,
            duration,
        };
        let first_extra = self.plans.len() + 1;
        let main = Claim::Main {
            segments: if self.side == AudioSide::AudioSetStrong {
                class_events.clone()
            } else {
                Vec::new()
            },
            duration,
        };
        self.plans.push(planned(clip_index, None, main, group_rows));
        // The recent image shown as the type-2 negative, if any.
        let mut negative_used: Option<usize> = None;
        let balance = &self.balance;
        if self.side == AudioSide::AudioSet {
            // Type 1: does the object in the image make the sound?
            if balance.next(1, split) {
                self.plans.push(planned(clip_index, None, avfc(1, true, None, None), 0));
            } else {
                // The classes with a pool in the split other than this one, ascending.
                let classes_in_split = &self.pool_classes[split_index(split)];
                let own = classes_in_split.binary_search(&class).ok();
                let other_at = |i: usize| classes_in_split[if own.is_some_and(|p| i >= p) { i + 1 } else { i }];
                let others = classes_in_split.len() - usize::from(own.is_some());
                let other = probe_index(others, stable_hash(&[seed, "avfc1", image_id, class_name]), |_| true);
                let negative = other.and_then(|i| {
                    probe(
                        &self.pools[&(other_at(i), split)],
                        stable_hash(&[seed, "avfc1-clip", image_id, class_name]),
                        |k| !clip_classes.of(k).contains(&class),
                    )
                });
                if let Some(k) = negative {
                    self.plans.push(planned(k, None, avfc(1, false, None, None), 0));
                }
            }
            // Type 2: is the object that makes the sound present in the image?
            if balance.next(2, split) {
                self.plans.push(planned(clip_index, None, avfc(2, true, None, None), 0));
            } else {
                let h = stable_hash(&[seed, "avfc2", image_id, class_name]);
                let recent = &self.recent[split_index(split)];
                let any_verified = !self.verified_absent.is_empty();
                // The verified-absent test first: with image labels given, most candidates
                // have none and fail it without touching their other lists.
                let lacks = |i: usize| {
                    let image = &recent[i];
                    (!any_verified || image.absent.contains(&class))
                        && !image.present.contains(&class)
                        && !image.negative_for.contains(&clip_index)
                };
                if let Some(i) = probe_index(recent.len(), h, lacks) {
                    let shown = recent[i].media.clone();
                    self.plans
                        .push(planned(clip_index, Some(shown), avfc(2, false, None, None), 0));
                    negative_used = Some(i);
                }
            }
            // Type 4: is the sound related to the object in the given box?
            let h = choice;
            if balance.next(4, split) {
                let shown = boxes().nth((h % group_rows) as usize).expect("a group has a box");
                self.plans
                    .push(planned(clip_index, None, avfc(4, true, Some(shown), None), 0));
            } else {
                // Boxes of other classes that overlap no box of the class, in file order.
                let others = || {
                    image
                        .boxes
                        .iter()
                        .filter(|(c, _)| *c != class)
                        .map(|(_, b)| *b)
                        .filter(|b| boxes().all(|own| iou(b, &own) < MAX_NEGATIVE_IOU))
                };
                let count = others().count();
                if count > 0 {
                    let shown = others().nth((h % count as u64) as usize).expect("fewer than count");
                    self.plans
                        .push(planned(clip_index, None, avfc(4, false, Some(shown), None), 0));
                }
            }
        }
        if self.side == AudioSide::AudioSetStrong {
            // Type 3: does the object make the sound within the given segment?
            let h = choice;
            let shown = if balance.next(3, split) {
                class_events
                    .get((h % class_events.len().max(1) as u64) as usize)
                    .map(|s| (*s, true))
            } else {
                longest_gap(&class_events, duration, MIN_NEGATIVE_WINDOW).map(|s| (s, false))
            };
            if let Some((segment, verdict)) = shown {
                self.plans
                    .push(planned(clip_index, None, avfc(3, verdict, None, Some(segment)), 0));
            }
        }
        if let Some(i) = negative_used {
            self.recent[split_index(split)][i].negative_for.push(clip_index);
        }
        *self.drawn_per_class.entry((class, split)).or_default() += 1;
        self.clips[clip_index as usize].drawn = true;
        for plan in &self.plans[first_extra..] {
            if let Claim::Avfc { kind, verdict, .. } = plan.claim {
                self.balance.record(kind, split, verdict);
            }
            self.clips[plan.clip as usize].drawn = true;
        }
    }
}

/// Whether an earlier curated row of the build, by its test fraction, puts `id` in the other
/// split than `split` (and so may have used its group there).
fn claimed_by_earlier(options: &SourceOptions, id: &str, split: Split) -> bool {
    options.earlier_test_fractions.iter().any(|f| split_of(id, *f) != split)
}

/// Whether the group `<namespace>:<id>` may not be used in `split` by this curated row: another
/// source of the build (or `--exclude-groups`) used it in the other split, or an earlier curated
/// row of the build, whose test fraction puts `id` in the other split, may have.
fn group_claimed(options: &SourceOptions, namespace: &str, id: &str, split: Split) -> bool {
    claimed_by_earlier(options, id, split)
        || options
            .reserved_groups
            .get(&format!("{namespace}:{id}"))
            .is_some_and(|used| *used != split)
}

/// Verdict counts of the AVFC samples made so far, per type and split.
#[derive(Default)]
struct Balance {
    /// [type][split] → number true minus number false (types 1 to 4).
    lead: [[i64; 2]; 5],
}

impl Balance {
    /// The next verdict for `kind` in `split`: the one behind in that split; on a tie in the split,
    /// the one behind over both splits (true when even). This keeps |true − false| ≤ 1 per type
    /// within each split and over both.
    fn next(&self, kind: u8, split: Split) -> bool {
        let lead = &self.lead[kind as usize];
        match lead[split_index(split)] {
            l if l > 0 => false,
            l if l < 0 => true,
            _ => lead[0] + lead[1] <= 0,
        }
    }

    /// Counts one sample of `kind` in `split` with `verdict`.
    fn record(&mut self, kind: u8, split: Split, verdict: bool) {
        self.lead[kind as usize][split_index(split)] += if verdict { 1 } else { -1 };
    }
}

/// The first of up to [`MAX_PROBES`] positions of `0..n`, from `start mod n` on and wrapping
/// around, that satisfies `ok`; `None` when `n` is 0 or none does.
fn probe_index(n: usize, start: u64, ok: impl Fn(usize) -> bool) -> Option<usize> {
    if n == 0 {
        return None;
    }
    let first = (start % n as u64) as usize;
    (0..n.min(MAX_PROBES)).map(|i| (first + i) % n).find(|&i| ok(i))
}

/// The first of up to [`MAX_PROBES`] items of `items`, from position `start mod len` on and
/// wrapping around, that satisfies `ok`.
fn probe<T: Copy>(items: &[T], start: u64, ok: impl Fn(T) -> bool) -> Option<T> {
    probe_index(items.len(), start, |i| ok(items[i])).map(|i| items[i])
}

/// Reads the audio side into clips, each hashed to a split by `test_fraction`: weak and VGGSound
/// rows are one clip each (a repeated clip is a `duplicate_row`); strong events are gathered per
/// clip and merged per class.
fn read_clips(
    side: AudioSide,
    files: &[&PathBuf],
    classes: &ClassMap,
    fraction: f64,
    options: &SourceOptions,
    out: &mut Collector,
) -> Result<Vec<Clip>> {
    let eligible = |youtube_id: &str| {
        let hashed = split_of(youtube_id, fraction);
        (!group_claimed(options, "yt", youtube_id, hashed)).then_some(hashed)
    };
    let mut clips: Vec<Clip> = Vec::new();
    let mut index: FastMap<String, usize> = FastMap::default();
    for path in files {
        let mut add_row = |key: String,
                           start: f64,
                           youtube_id: String,
                           row_classes: Vec<ClassId>,
                           event: Option<(ClassId, Segment)>,
                           line: u64,
                           out: &mut Collector| {
            match index.get(&key) {
                Some(&i) if event.is_some() => {
                    let clip: &mut Clip = &mut clips[i];
                    clip.rows += 1;
                    let (class, segment) = event.expect("checked");
                    match clip.events.iter_mut().find(|(c, _)| *c == class) {
                        Some((_, segments)) => segments.push(segment),
                        None => clip.events.push((class, vec![segment])),
                    }
                    Ok(())
                }
                Some(_) => out.reject(
                    path,
                    At::Line(line),
                    Reason::DuplicateRow,
                    format!("clip {key} appeared before"),
                ),
                None => {
                    index.insert(key.clone(), clips.len());
                    let split = eligible(&youtube_id);
                    let events = event.map(|(c, s)| vec![(c, vec![s])]).unwrap_or_default();
                    clips.push(Clip {
                        key,
                        youtube_id,
                        start,
                        classes: row_classes,
                        events,
                        rows: 1,
                        split,
                        drawn: false,
                    });
                    Ok(())
                }
            }
        };
        match side {
            AudioSide::AudioSet => audioset::stream_segments(path, classes, out, |row, out| {
                add_row(row.key, row.start, row.youtube_id, row.classes, None, row.line, out)
            })?,
            AudioSide::VggSound => vggsound::stream_clips(path, classes, out, |row, out| {
                add_row(row.key, row.start, row.youtube_id, row.classes, None, row.line, out)
            })?,
            AudioSide::AudioSetStrong => audioset_strong::stream_events(path, classes, out, |ev, out| {
                add_row(
                    ev.key,
                    ev.start,
                    ev.youtube_id,
                    vec![ev.class],
                    Some((ev.class, ev.segment)),
                    ev.line,
                    out,
                )
            })?,
        }
    }
    for clip in clips.iter_mut().filter(|c| !c.events.is_empty()) {
        for (_, segments) in clip.events.iter_mut() {
            *segments = merge_segments(std::mem::take(segments));
        }
        clip.events.sort_by_key(|(c, _)| *c);
        clip.classes = clip.events.iter().map(|(c, _)| *c).collect();
    }
    Ok(clips)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_classes_are_each_clips_in_clip_order() {
        let clip = |classes: Vec<ClassId>| Clip {
            key: String::new(),
            youtube_id: String::new(),
            start: 0.0,
            classes,
            events: Vec::new(),
            rows: 1,
            split: Some(Split::Train),
            drawn: false,
        };
        let mut clips = [clip(vec![3, 1]), clip(vec![]), clip(vec![2])];
        let table = ClipClasses::take_from(&mut clips);
        assert!(clips.iter().all(|clip| clip.classes.is_empty()));
        assert_eq!(table.of(0), [3, 1]);
        assert_eq!(table.of(1), [] as [ClassId; 0]);
        assert_eq!(table.of(2), [2]);
        assert_eq!(table.starts, [0, 2, 2, 3]);
    }

    #[test]
    fn media_named_before_are_an_images_later_records_and_a_clips_later_draws() {
        let shown = Arc::new(ImageMedia {
            path: "oi/x.jpg".into(),
            group: "oi:x".into(),
            origin: Default::default(),
        });
        let plan = |image: u32, clip: u32, shown_image: Option<Arc<ImageMedia>>| Planned {
            image,
            class: 0,
            clip,
            shown_image,
            claim: Claim::Main {
                segments: Vec::new(),
                duration: 10.0,
            },
            units: 0,
            named_before: NamedBefore::default(),
        };
        // Clip 2 was played by an earlier batch.
        let mut clip_named = vec![false, false, true];
        let mut plans = vec![
            plan(0, 0, None),
            plan(0, 0, None),
            plan(0, 1, Some(shown.clone())),
            plan(0, 1, None),
            plan(1, 2, None),
            plan(1, 0, Some(shown)),
            plan(1, 1, None),
        ];
        mark_named(&mut plans, &mut clip_named);
        let named: Vec<(bool, bool)> = plans
            .iter()
            .map(|p| (p.named_before.image, p.named_before.audio))
            .collect();
        assert_eq!(
            named,
            [
                (false, false),
                (true, true),
                (false, false),
                (true, true),
                (false, true),
                (false, true),
                (true, true),
            ]
        );
        assert!(plans.iter().all(|p| !p.named_before.video));
        assert_eq!(clip_named, [true, true, true]);
        // A new batch: image 0 is another image, its first record unmarked.
        let mut next = vec![plan(0, 1, None)];
        mark_named(&mut next, &mut clip_named);
        assert_eq!(
            next[0].named_before,
            NamedBefore {
                image: false,
                audio: true,
                video: false
            }
        );
    }

    #[test]
    fn probe_index_starts_at_the_hash_and_wraps() {
        // n = 5, start 7 → first position 2; then 3, 4, 0, ...
        assert_eq!(probe_index(5, 7, |_| true), Some(2));
        assert_eq!(probe_index(5, 7, |i| i < 2), Some(0));
        assert_eq!(probe_index(5, 7, |i| i == 1), Some(1));
        assert_eq!(probe_index(0, 7, |_| true), None);
        assert_eq!(probe_index(5, 7, |_| false), None);
        // At most MAX_PROBES positions are tried: from 0, position 32 is the 33rd.
        assert_eq!(probe_index(100, 0, |i| i == MAX_PROBES), None);
        assert_eq!(probe_index(100, 0, |i| i == MAX_PROBES - 1), Some(MAX_PROBES - 1));
        assert_eq!(probe(&[10u32, 20, 30], 4, |v| v != 20), Some(30));
    }

    #[test]
    fn balance_keeps_each_type_within_one_per_split_and_overall() {
        let mut b = Balance::default();
        // Even everywhere: true.
        assert!(b.next(1, Split::Train));
        b.record(1, Split::Train, true);
        // Train leads by one: false there; test is even but the total leads: false.
        assert!(!b.next(1, Split::Train));
        assert!(!b.next(1, Split::Test));
        b.record(1, Split::Test, false);
        // Test behind by one: true there; train ahead: false; type 2 untouched: true.
        assert!(b.next(1, Split::Test));
        assert!(!b.next(1, Split::Train));
        assert!(b.next(2, Split::Train));
        assert_eq!(b.lead[1], [1, -1]);
    }

    #[test]
    fn verified_absent_lists_an_images_classes_once() {
        let mut v = VerifiedAbsent::default();
        assert!(v.is_empty());
        v.insert("0000255c72bb4258", 3);
        v.insert("0000255c72bb4258", 1);
        v.insert("0000255c72bb4258", 3);
        v.insert("not-hex", 2);
        v.seal();
        assert_eq!(v.of("0000255c72bb4258"), [3, 1]);
        assert_eq!(v.of("not-hex"), [2]);
        assert_eq!(v.of("00006a76b9602ae8"), [] as [ClassId; 0]);
        // Upper-case hex is not the 16-lowercase-digit form: kept as text, found as text.
        v.insert("0000255C72BB4258", 5);
        assert_eq!(v.of("0000255C72BB4258"), [5]);
        assert_eq!(v.of("0000255c72bb4258"), [3, 1]);
        assert!(!v.is_empty());
    }

    #[test]
    fn verified_absent_lookups_in_any_order_find_what_a_map_finds() {
        // 40 images, every third with labels; looked up in id order (steps and searches past
        // ABSENT_STEPS), then again from the start (a second file), then at random.
        let id = |i: u64| format!("{:016x}", 0x0000_255c_72bb_0000 + i * 977);
        let mut v = VerifiedAbsent::default();
        let mut map: HashMap<String, Vec<ClassId>> = HashMap::new();
        for i in (0..40).step_by(3) {
            for class in [i as ClassId % 5, 7] {
                v.insert(&id(i), class);
                map.entry(id(i)).or_default().push(class);
            }
        }
        v.seal();
        let mut order: Vec<u64> = (0..40).chain(0..40).collect();
        let mut state = 12345u64;
        for _ in 0..200 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            order.push((state >> 33) % 45);
        }
        order.extend((0..40).step_by(11));
        for i in order {
            let expected = map.get(&id(i)).map_or(&[][..], Vec::as_slice);
            assert_eq!(v.of(&id(i)), expected, "image {i}");
        }
    }
}
