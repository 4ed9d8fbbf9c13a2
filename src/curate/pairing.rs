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
//! its last row has been read. Memory holds the audio side, the verified-absent labels and a
//! bounded window of recent images, never the whole bbox file.
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
use crate::record::{Media, Record, Split, Target};
use crate::sources::openimages::{self, BoxFilter, OpenImagesFile};
use crate::sources::{At, Collector, Source, SourceOptions};
use crate::split::{stable_hash, FastMap, FastSet};
use audioset_strong::AUDIOSET_CLIP_SECONDS;
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};

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

/// One audio clip of the audio side.
struct Clip {
    key: String,
    youtube_id: String,
    /// Start of the 10 s clip in the YouTube video, seconds.
    start: f64,
    /// Mapped classes (weak labels, or the classes of its events).
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
    let label_of = |c: ClassId| {
        names
            .get(&classes.classes[c as usize].openimages)
            .cloned()
            .unwrap_or_else(|| classes.name(c).to_string())
    };
    let mut rotated = FastSet::default();
    for path in of_kind(OpenImagesFile::Rotation) {
        rotated.extend(openimages::read_rotated(path)?);
    }
    // Image id → classes its human-verified labels say are absent (`Confidence` 0).
    let mut verified_absent = VerifiedAbsent::default();
    for path in of_kind(OpenImagesFile::ImageLabels) {
        openimages::read_verified_absent(path, &classes, |image, class| verified_absent.insert(image, class))?;
    }

    // Audio side.
    let mut clips = read_clips(side, &audio_files, &classes, curation.test_fraction, options, out)?;
    let mut pools: FastMap<(ClassId, Split), Vec<u32>> = FastMap::default();
    for (i, clip) in clips.iter().enumerate() {
        if let Some(split) = clip.split {
            for c in &clip.classes {
                pools.entry((*c, split)).or_default().push(i as u32);
            }
        }
    }
    // Pools in clip-key order, so pairs do not depend on the order of the input files.
    for pool in pools.values_mut() {
        pool.sort_by(|a, b| clips[*a as usize].key.cmp(&clips[*b as usize].key));
    }
    let mut pool_classes: Vec<(ClassId, Split)> = pools.keys().copied().collect();
    pool_classes.sort();

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
        classes: &classes,
        label_of: &label_of,
        verified_absent: &verified_absent,
        clips: &mut clips,
        pools: &pools,
        pool_classes: &pool_classes,
        seed: options.seed.to_string(),
        drawn_per_class: FastMap::default(),
        balance: Balance::default(),
        recent: FastMap::default(),
    };
    for path in &bbox_files {
        let mut image = ImageBoxes::default();
        openimages::stream_box_rows(path, &filter, out, |b, out| {
            if openimages::starts_image(path, &b, &image.id)? {
                pairing.pair_image(&image, path, out)?;
                image.id.clear();
                image.id.push_str(b.image);
                image.first_line = b.line;
                image.boxes.clear();
            }
            image.boxes.push((b.class, b.bbox));
            Ok(())
        })?;
        pairing.pair_image(&image, path, out)?;
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

/// The (image, class) pairs human-verified absent. Open Images ids (16 hex digits) are kept as
/// the number they spell, exactly, in 16 bytes a pair; other ids as text.
#[derive(Default)]
struct VerifiedAbsent {
    hex: FastSet<(u64, ClassId)>,
    other: FastSet<(String, ClassId)>,
}

impl VerifiedAbsent {
    fn hex_id(image: &str) -> Option<u64> {
        (image.len() == 16 && image.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
            .then(|| u64::from_str_radix(image, 16).ok())
            .flatten()
    }
    fn insert(&mut self, image: &str, class: ClassId) {
        match Self::hex_id(image) {
            Some(n) => self.hex.insert((n, class)),
            None => self.other.insert((image.to_string(), class)),
        };
    }
    /// Whether (`image`, `class`) is verified absent; `hex` is [`VerifiedAbsent::hex_id`] of
    /// `image`, parsed once by the caller (a negative candidate is probed many times).
    fn contains(&self, hex: Option<u64>, image: &str, class: ClassId) -> bool {
        match hex {
            Some(n) => self.hex.contains(&(n, class)),
            None => self.other.contains(&(image.to_string(), class)),
        }
    }
    fn is_empty(&self) -> bool {
        self.hex.is_empty() && self.other.is_empty()
    }
}

/// The boxes of one image, in file order.
#[derive(Default)]
struct ImageBoxes {
    id: String,
    /// 1-based line of its first box row.
    first_line: u64,
    boxes: Vec<(ClassId, BBox)>,
}

/// An image paired recently, as a candidate AVFC type-2 negative.
struct RecentImage {
    id: String,
    /// `id` as the number it spells ([`VerifiedAbsent::hex_id`]).
    hex: Option<u64>,
    /// Classes with a box in it.
    present: Vec<ClassId>,
    /// Clips it was already shown with as a type-2 negative (the same claim twice would be a
    /// duplicate sample).
    negative_for: Vec<u32>,
}

/// Recent images kept per split as type-2 negative candidates.
pub const RECENT_IMAGES: usize = 1024;

/// The state of a curated row while its images stream by: the audio side, the counters, and a
/// bounded window of recent images for AVFC type-2 negatives. Nothing in it grows with the bbox
/// file.
struct Pairing<'a> {
    source: &'a dyn Source,
    side: AudioSide,
    curation: &'a CurationOptions,
    options: &'a SourceOptions,
    classes: &'a ClassMap,
    label_of: &'a dyn Fn(ClassId) -> String,
    verified_absent: &'a VerifiedAbsent,
    clips: &'a mut Vec<Clip>,
    pools: &'a FastMap<(ClassId, Split), Vec<u32>>,
    pool_classes: &'a [(ClassId, Split)],
    seed: String,
    drawn_per_class: FastMap<(ClassId, Split), u64>,
    balance: Balance,
    recent: FastMap<Split, VecDeque<RecentImage>>,
}

impl Pairing<'_> {
    /// Pairs every (image, class) group of `image` (classes in id order, boxes in file order)
    /// and emits its records; then keeps the image as a negative candidate.
    fn pair_image(&mut self, image: &ImageBoxes, path: &Path, out: &mut Collector) -> Result<()> {
        if image.boxes.is_empty() {
            return Ok(());
        }
        let image_id = image.id.as_str();
        let split = split_of(image_id, self.curation.test_fraction);
        let mut present: Vec<ClassId> = image.boxes.iter().map(|(c, _)| *c).collect();
        present.sort_unstable();
        present.dedup();
        if group_claimed(self.options, "oi", image_id, split) {
            out.skip(Skip::ReservedGroup, image.boxes.len() as u64);
            return Ok(());
        }
        let at = At::Line(image.first_line);
        for &class in &present {
            let boxes: Vec<BBox> = image
                .boxes
                .iter()
                .filter(|(c, _)| *c == class)
                .map(|(_, b)| *b)
                .collect();
            self.pair_group(image, split, class, &present, &boxes, path, at, out)?;
        }
        let recent = self.recent.entry(split).or_default();
        if recent.len() == RECENT_IMAGES {
            recent.pop_front();
        }
        recent.push_back(RecentImage {
            id: image_id.to_string(),
            hex: VerifiedAbsent::hex_id(image_id),
            present: present.clone(),
            negative_for: Vec::new(),
        });
        Ok(())
    }

    /// One (image, class) group: draws its clip and emits the ARIG / IGATL record and the AVFC
    /// claims.
    #[allow(clippy::too_many_arguments)]
    fn pair_group(
        &mut self,
        image: &ImageBoxes,
        split: Split,
        class: ClassId,
        present: &[ClassId],
        boxes: &[BBox],
        path: &Path,
        at: At,
        out: &mut Collector,
    ) -> Result<()> {
        let (options, seed) = (self.options, self.seed.as_str());
        let image_id = image.id.as_str();
        let group_rows = boxes.len() as u64;
        let class_name = self.classes.name(class).replace(' ', "_");
        let label = (self.label_of)(class);
        let capped = self
            .curation
            .cap_per_class
            .is_some_and(|cap| self.drawn_per_class.get(&(class, split)).copied().unwrap_or(0) >= cap);
        let pool = self.pools.get(&(class, split)).map(Vec::as_slice).unwrap_or(&[]);
        let start = stable_hash(&[seed, "pair", image_id, &class_name]);
        let clips = &*self.clips;
        let drawn = if capped {
            None
        } else {
            probe(pool, start, |c| {
                clips[c as usize]
                    .classes
                    .iter()
                    .all(|k| *k == class || !present.contains(k))
            })
        };
        let Some(clip_index) = drawn else {
            out.skip(Skip::NotDrawn, group_rows);
            return Ok(());
        };
        let key = format!("{image_id}/{class_name}");
        let source = self.source;
        let record = |target: Target, image: &str, clip: &Clip| Record {
            source: source.name(),
            key: key.clone(),
            split,
            groups: vec![format!("oi:{image}"), format!("yt:{}", clip.youtube_id)],
            media: Media {
                image: Some(options.media.image(image)),
                audio: Some(options.media.audio(&clip.key)),
                video: None,
                origins: crate::record::MediaOrigins {
                    image: Some(crate::record::MediaOrigin::file(
                        &format!("oi:{image}"),
                        &format!("{image}.jpg"),
                    )),
                    audio: Some(crate::record::MediaOrigin::youtube(
                        &clip.youtube_id,
                        clip.start,
                        clip.start + AUDIOSET_CLIP_SECONDS,
                    )),
                    video: None,
                },
            },
            target,
            referring: false,
        };
        let clip = &clips[clip_index as usize];
        // AudioSet Strong: the clip's length from its WAV when the media root has it, else 10 s.
        let duration = match (&options.media_root, self.side) {
            (Some(root), AudioSide::AudioSetStrong) => root
                .path(&options.media.audio(&clip.key))
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
        let main_target = match self.side {
            AudioSide::AudioSetStrong => Target::Igatl {
                label: label.clone(),
                segments: class_events.clone(),
                duration,
            },
            _ => Target::Arig {
                label: label.clone(),
                boxes: boxes.to_vec(),
            },
        };
        let main = record(main_target, image_id, clip);
        let avfc = |kind: u8, verdict: bool, shown_box: Option<BBox>, shown_segment: Option<Segment>| Target::Avfc {
            kind,
            verdict,
            label: label.clone(),
            boxes: shown_box.map(|b| vec![b]),
            segments: shown_segment.map(|s| vec![s]),
            duration: shown_segment.map(|_| duration),
        };
        // (type, verdict, record, the clip it uses)
        let mut extra: Vec<(u8, bool, Record, u32)> = Vec::new();
        // The recent image shown as the type-2 negative, if any.
        let mut negative_used: Option<usize> = None;
        let balance = &self.balance;
        if self.side == AudioSide::AudioSet {
            // Type 1: does the object in the image make the sound?
            if balance.next(1, split) {
                extra.push((1, true, record(avfc(1, true, None, None), image_id, clip), clip_index));
            } else {
                let others = pool_classes_in(self.pool_classes, split, class);
                let other = probe(&others, stable_hash(&[seed, "avfc1", image_id, &class_name]), |_| true);
                let negative = other.and_then(|c| {
                    probe(
                        &self.pools[&(c, split)],
                        stable_hash(&[seed, "avfc1-clip", image_id, &class_name]),
                        |k| !clips[k as usize].classes.contains(&class),
                    )
                });
                if let Some(k) = negative {
                    extra.push((
                        1,
                        false,
                        record(avfc(1, false, None, None), image_id, &clips[k as usize]),
                        k,
                    ));
                }
            }
            // Type 2: is the object that makes the sound present in the image?
            if balance.next(2, split) {
                extra.push((2, true, record(avfc(2, true, None, None), image_id, clip), clip_index));
            } else {
                let h = stable_hash(&[seed, "avfc2", image_id, &class_name]);
                let recent = self.recent.get(&split).map(|r| r.as_slices());
                let candidates: Vec<u32> = (0..recent.map_or(0, |(a, b)| a.len() + b.len()) as u32).collect();
                let get = |i: u32| {
                    let (a, b) = recent.expect("candidates exist");
                    let i = i as usize;
                    if i < a.len() {
                        &a[i]
                    } else {
                        &b[i - a.len()]
                    }
                };
                let verified = self.verified_absent;
                let lacks = |i: u32| {
                    let image = get(i);
                    !image.present.contains(&class)
                        && !image.negative_for.contains(&clip_index)
                        && (verified.is_empty() || verified.contains(image.hex, &image.id, class))
                };
                if let Some(i) = probe(&candidates, h, lacks) {
                    extra.push((
                        2,
                        false,
                        record(avfc(2, false, None, None), &get(i).id, clip),
                        clip_index,
                    ));
                    negative_used = Some(i as usize);
                }
            }
            // Type 4: is the sound related to the object in the given box?
            let h = stable_hash(&[seed, "avfc4", image_id, &class_name]);
            if balance.next(4, split) {
                let shown = boxes[(h % boxes.len() as u64) as usize];
                extra.push((
                    4,
                    true,
                    record(avfc(4, true, Some(shown), None), image_id, clip),
                    clip_index,
                ));
            } else {
                let others: Vec<BBox> = image
                    .boxes
                    .iter()
                    .filter(|(c, _)| *c != class)
                    .map(|(_, b)| *b)
                    .filter(|b| boxes.iter().all(|own| iou(b, own) < MAX_NEGATIVE_IOU))
                    .collect();
                if !others.is_empty() {
                    let shown = others[(h % others.len() as u64) as usize];
                    extra.push((
                        4,
                        false,
                        record(avfc(4, false, Some(shown), None), image_id, clip),
                        clip_index,
                    ));
                }
            }
        }
        if self.side == AudioSide::AudioSetStrong {
            // Type 3: does the object make the sound within the given segment?
            let h = stable_hash(&[seed, "avfc3", image_id, &class_name]);
            let shown = if balance.next(3, split) {
                class_events
                    .get((h % class_events.len().max(1) as u64) as usize)
                    .map(|s| (*s, true))
            } else {
                longest_gap(&class_events, duration, MIN_NEGATIVE_WINDOW).map(|s| (s, false))
            };
            if let Some((segment, verdict)) = shown {
                extra.push((
                    3,
                    verdict,
                    record(avfc(3, verdict, None, Some(segment)), image_id, clip),
                    clip_index,
                ));
            }
        }
        if let Some(i) = negative_used {
            if let Some(recent) = self.recent.get_mut(&split) {
                recent[i].negative_for.push(clip_index);
            }
        }
        out.emit(main, path, at, group_rows)?;
        *self.drawn_per_class.entry((class, split)).or_default() += 1;
        self.clips[clip_index as usize].drawn = true;
        for (kind, verdict, r, clip_used) in extra {
            out.emit(r, path, at, 0)?;
            self.balance.record(kind, split, verdict);
            self.clips[clip_used as usize].drawn = true;
        }
        Ok(())
    }
}

/// Whether the group `<namespace>:<id>` may not be used in `split` by this curated row: another
/// source of the build (or `--exclude-groups`) used it in the other split, or an earlier curated
/// row of the build, whose test fraction puts `id` in the other split, may have.
fn group_claimed(options: &SourceOptions, namespace: &str, id: &str, split: Split) -> bool {
    let earlier = options.earlier_test_fractions.iter().any(|f| split_of(id, *f) != split);
    earlier
        || options
            .reserved_groups
            .get(&format!("{namespace}:{id}"))
            .is_some_and(|used| *used != split)
}

/// Verdict counts of the AVFC samples made so far, per type and split.
#[derive(Default)]
struct Balance {
    /// (type, split) → number true minus number false.
    lead: HashMap<(u8, Split), i64>,
}

impl Balance {
    /// The next verdict for `kind` in `split`: the one behind in that split; on a tie in the split,
    /// the one behind over both splits (true when even). This keeps |true − false| ≤ 1 per type
    /// within each split and over both.
    fn next(&self, kind: u8, split: Split) -> bool {
        let lead = |s: Split| self.lead.get(&(kind, s)).copied().unwrap_or(0);
        match lead(split) {
            l if l > 0 => false,
            l if l < 0 => true,
            _ => lead(Split::Train) + lead(Split::Test) <= 0,
        }
    }

    /// Counts one sample of `kind` in `split` with `verdict`.
    fn record(&mut self, kind: u8, split: Split, verdict: bool) {
        *self.lead.entry((kind, split)).or_default() += if verdict { 1 } else { -1 };
    }
}

/// The classes with a pool in `split`, other than `except`, in a stable order.
fn pool_classes_in(all: &[(ClassId, Split)], split: Split, except: ClassId) -> Vec<ClassId> {
    all.iter()
        .filter(|(c, s)| *s == split && *c != except)
        .map(|(c, _)| *c)
        .collect()
}

/// The first of up to [`MAX_PROBES`] items of `items`, from position `start mod len` on and
/// wrapping around, that satisfies `ok`.
fn probe<T: Copy>(items: &[T], start: u64, ok: impl Fn(T) -> bool) -> Option<T> {
    if items.is_empty() {
        return None;
    }
    let n = items.len();
    let first = (start % n as u64) as usize;
    (0..n.min(MAX_PROBES))
        .map(|i| items[(first + i) % n])
        .find(|&item| ok(item))
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
    let mut index: HashMap<String, usize> = HashMap::new();
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
