//! Open Images (Kuznetsova et al., IJCV 2020): the image side of the curated rows
//! ([`crate::curate`] reads it for `openimages_audioset`, `openimages_vggsound` and
//! `openimages_audioset_strong`), and the direct source `openimages` ([`OpenImages`]): ARIG
//! samples of every boxable class, without audio.
//!
//! Native files:
//! * `*-annotations-bbox.csv`: comma, header. Columns (found by name):
//!   `ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside`
//!   (the V6 train file appends `XClick*` columns). **x pair first**: XMin, XMax, then YMin, YMax.
//!   Coordinates are normalized to [0, 1], top-left origin; `1.0000000000000002` and the like are
//!   clamped, real excesses rejected. `LabelName` is a MID. The distributed files are sorted by
//!   `ImageID`.
//! * `class-descriptions-boxable.csv`: `MID,DisplayName`, no header (copies with a header, CR-only
//!   or CRLF endings exist). Joined on MID, never on display name.
//! * Optional `*rotation*.csv` (`ImageID`, ..., `Rotation`, degrees): images with a non-zero
//!   rotation are skipped (`rotated`), since their boxes refer to the rotated image. `nan` (any
//!   case) and an empty field mean the orientation is unknown, not rotated: those images are kept.
//!   Any other value stops the run with the path and line.
//! * Optional `*-human-imagelabels*.csv` (`ImageID,Source,LabelName,Confidence`): `Confidence 0`
//!   says a human verified the class absent; used for AVFC type-2 negatives (curated rows only).
//!
//! Units: one bbox row. Skipped: classes outside the class filter (`class_not_in_map`, checked
//! before anything else is parsed: the class map for the curated rows, the MIDs of
//! `class-descriptions-boxable.csv` for `openimages`), `IsDepiction = 1` (`depiction`), rotated
//! images (`rotated`). Rejected: a box out of range or degenerate, missing fields, an `ImageID`
//! that cannot be a file name (empty, `.`, `..`, or holding `/`, `\`, NUL or a control character:
//! `bad_clip_id`, as it names the image file; direct and curated rows alike). The label
//! files, rotation and image label files are lookups, not units.
//!
//! The direct source `openimages` makes one ARIG sample per (image, class): every valid box of the
//! class in that image, in file order; label = the class's display name. It has no audio, so
//! nothing but the input can say which class to box: each sample is a referring one
//! ([`crate::record::Record::referring`]), its input the display name (`Alarm clock`) and its
//! instruction from the `[[referring]]` templates of `templates/arig.toml`; two classes of one
//! image are two samples with the same image and different inputs. Key
//! `<ImageID>/<DisplayName with spaces as underscores>` (as the curated rows); image
//! `openimages/images/<ImageID>.jpg`, no audio; groups `oi:<ImageID>`. Split from the file name
//! (FORMATS.md has no rule for it): `train` → train, `validation` (or `val`) and `test` → test.
//! It streams: the rows of a file must be sorted by `ImageID` (as distributed), and an image's
//! samples are emitted when the next image starts, so memory does not grow with the file; an
//! `ImageID` that sorts before the one above it stops the run with the path and line.
//! Accounting: every bbox row is read; the rows of an emitted sample are used (its first row's
//! line is its origin); the rest are rejected or skipped as above.

use super::chunked::{Row, TextRow};
use super::{At, Collector, Source, SourceOptions};
use crate::error::{Error, Result};
use crate::geometry::BBox;
use crate::media_layout::MediaLayout;
use crate::reason::{Reason, Skip};
use crate::record::{text_with, Media, MediaOrigin, Record, Split, Target, Task, Text};
use crate::split::{FastMap, FastSet};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Open Images: the paper its authors ask to cite and its licence as published (for the dataset card).
pub const CITATION: super::Citation = super::Citation {
    dataset: "Open Images",
    paper: "Alina Kuznetsova, Hassan Rom, Neil Alldrin, Jasper Uijlings, Ivan Krasin, Jordi Pont-Tuset, Shahab Kamali, Stefan Popov, Matteo Malloci, Alexander Kolesnikov, Tom Duerig, Vittorio Ferrari. The Open Images Dataset V4. IJCV 2020.",
    licence: "annotations CC BY 4.0 (Google LLC); images listed as CC BY 2.0 (see https://storage.googleapis.com/openimages/web/factsfigures_v7.html)",
};

/// Which Open Images file a name is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenImagesFile {
    /// `*-annotations-bbox.csv`.
    Boxes,
    /// `class-descriptions-boxable.csv`.
    ClassDescriptions,
    /// `*rotation*.csv`.
    Rotation,
    /// `*-human-imagelabels*.csv`.
    ImageLabels,
}

impl OpenImagesFile {
    /// The kind of an Open Images file from its name, or `None`.
    pub fn of(name: &str) -> Option<OpenImagesFile> {
        if !name.ends_with(".csv") {
            None
        } else if name.contains("annotations-bbox") || name.contains("annotations-human-bbox") {
            Some(OpenImagesFile::Boxes)
        } else if name.contains("class-descriptions-boxable") {
            Some(OpenImagesFile::ClassDescriptions)
        } else if name.contains("rotation") {
            Some(OpenImagesFile::Rotation)
        } else if name.contains("human-imagelabels") {
            Some(OpenImagesFile::ImageLabels)
        } else {
            None
        }
    }
}

/// MID → display name from `class-descriptions-boxable.csv`, with or without a header row, any
/// line ending (LF, CRLF, CR).
///
/// Errors: unreadable file, a row without two fields.
pub fn read_class_descriptions(path: &Path) -> Result<HashMap<String, String>> {
    let mut reader = super::delimited_reader(path, b',', true, false)?;
    let mut names = HashMap::new();
    super::for_each_row(path, &mut reader, |line, row| {
        let row = row.map_err(|why| Error::input(path, Some(line), why))?;
        match (row.get(0), row.get(1)) {
            (Some(mid), Some(name)) if mid.starts_with('/') => {
                names.insert(mid.to_string(), name.to_string());
            }
            _ if line == 1 => {} // a header such as `LabelName,DisplayName`
            _ => return Err(Error::input(path, Some(line), "expected `MID,DisplayName`")),
        }
        Ok(())
    })?;
    Ok(names)
}

/// One valid box of a mapped class.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageBox {
    /// Open Images `ImageID`.
    pub image: String,
    /// The class of `LabelName` in the class map.
    pub class: ClassId,
    /// The box, normalized `[x0, y0, x1, y1]` (from XMin, YMin, XMax, YMax).
    pub bbox: BBox,
    /// 1-based line in the bbox file.
    pub line: u64,
}

/// One valid box as [`stream_box_rows`] passes it on: the image id borrowed from the row being
/// read, so that nothing is allocated per row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoxRow<'r> {
    /// Open Images `ImageID`.
    pub image: &'r str,
    /// The class of `LabelName` under the filter's [`ClassLookup`].
    pub class: ClassId,
    /// The box, normalized `[x0, y0, x1, y1]` (from XMin, YMin, XMax, YMax).
    pub bbox: BBox,
    /// 1-based line in the bbox file.
    pub line: u64,
}

/// Whether the row `row` starts another image than `current` (the `ImageID` being gathered,
/// empty before the first row): the bbox files are read as a stream of images, which holds
/// because they are sorted by `ImageID` as Open Images distributes them.
///
/// Errors: `row`'s `ImageID` sorts before `current` ([`Error::Input`] with the file, the row's
/// line and both ids).
pub fn starts_image(path: &Path, row: &BoxRow<'_>, current: &str) -> Result<bool> {
    if row.image == current {
        return Ok(false);
    }
    if row.image < current {
        return Err(Error::input(
            path,
            Some(row.line),
            format!(
                "ImageID {} after {current}: expected the rows sorted by ImageID, as Open Images distributes them (sort the file by its first column)",
                row.image
            ),
        ));
    }
    Ok(true)
}

/// What the records of an Open Images image say about it, made once per image and shared by its
/// records (the direct adapter's and the curated rows'): its media path (the source's layout),
/// its `oi:<ImageID>` group (also its origin's identity) and its file name `<ImageID>.jpg`.
/// Each is a [`Text`]: the records take references, not copies.
pub struct ImageMedia {
    /// Image path relative to the media root.
    pub path: Text,
    /// `oi:<ImageID>`.
    pub group: Text,
    /// The image's origin for `media.csv`: the dataset's own file `<ImageID>.jpg`, identity its
    /// group.
    pub origin: Arc<MediaOrigin>,
}

impl ImageMedia {
    /// The media of image `image_id` under the layout of `options`.
    pub fn new(options: &SourceOptions, image_id: &str) -> Self {
        // Each text made in one allocation (this runs once per image of the bbox files).
        let group = text_with(|t| t.extend(["oi:", image_id]));
        let origin = MediaOrigin {
            media_id: group.clone(),
            file: text_with(|t| t.extend([image_id, ".jpg"])),
            ..MediaOrigin::default()
        };
        ImageMedia {
            path: text_with(|t| options.media.image_into(image_id, t)),
            group,
            origin: origin.into(),
        }
    }

    /// The image's media: its path, with its origin.
    pub fn media(&self) -> Media {
        Media {
            image: Some(self.path.clone()),
            audio: None,
            video: None,
            origins: crate::record::MediaOrigins {
                image: Some(self.origin.clone()),
                ..Default::default()
            },
        }
    }
}

/// Index of an Open Images class in a reader's class filter ([`ClassLookup`]): a position in the
/// curated rows' class map (`crate::curate::classes::ClassMap`) or in [`BoxableClasses`].
pub type ClassId = u16;

/// Which Open Images classes (MIDs) a reader keeps, and their ids: the curated rows' class map
/// (its implementation is beside it, in `crate::curate::classes`) or [`BoxableClasses`].
pub trait ClassLookup {
    /// The class of the MID `mid` (`/m/0bt9lr`), or `None` when its rows are skipped
    /// (`class_not_in_map`).
    fn class_of(&self, mid: &str) -> Option<ClassId>;
}

/// Every boxable class of `class-descriptions-boxable.csv`: the class filter of the direct source.
/// Class ids are positions in MID order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BoxableClasses {
    ids: FastMap<String, ClassId>,
    names: Vec<Text>,
    /// The names with spaces as underscores, for sample keys.
    key_names: Vec<String>,
}

impl BoxableClasses {
    /// Takes MID → display name (as [`read_class_descriptions`] returns it); MIDs with one
    /// display name become one class.
    ///
    /// Errors: [`Error::Config`] for more than 65,535 classes (the real file has 601).
    pub fn new(names: HashMap<String, String>) -> Result<BoxableClasses> {
        let mut pairs: Vec<(String, String)> = names.into_iter().collect();
        pairs.sort();
        if pairs.len() > ClassId::MAX as usize {
            return Err(Error::Config(format!(
                "{} Open Images classes; at most {} are supported",
                pairs.len(),
                ClassId::MAX
            )));
        }
        let mut classes = BoxableClasses::default();
        // One class per display name: MIDs that share a name (none in the V6/V7 lists, but a
        // hand-edited list may have them) are one class, so an image's boxes of both make one
        // sample and never two referring samples with one input and two answers.
        let mut by_name: HashMap<String, ClassId> = HashMap::new();
        for (mid, name) in pairs {
            let next = classes.names.len() as ClassId;
            let id = *by_name.entry(name.clone()).or_insert(next);
            if id == next {
                classes.key_names.push(name.replace(' ', "_"));
                classes.names.push(name.into());
            }
            classes.ids.insert(mid, id);
        }
        Ok(classes)
    }

    /// The display name of `class` (`Alarm clock`).
    pub fn name(&self, class: ClassId) -> &Text {
        &self.names[class as usize]
    }

    /// The display name of `class` with spaces as underscores, as in sample keys (`Alarm_clock`).
    pub fn key_name(&self, class: ClassId) -> &str {
        &self.key_names[class as usize]
    }

    /// How many classes there are.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there is no class.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

impl ClassLookup for BoxableClasses {
    /// Any MID of the class descriptions.
    fn class_of(&self, mid: &str) -> Option<ClassId> {
        self.ids.get(mid).copied()
    }
}

/// What to keep of the bbox rows. `C` is the class filter: the curated rows' class map or
/// [`BoxableClasses`].
pub struct BoxFilter<'a, C: ClassLookup + ?Sized> {
    /// Classes and their MIDs.
    pub classes: &'a C,
    /// Keep `IsDepiction = 1` boxes (default: skip them).
    pub include_depiction: bool,
    /// Images to skip as `rotated`.
    pub rotated: &'a FastSet<String>,
}

/// Streams the bbox rows of `path`: counts every row read, skips and rejects as the module
/// documentation says, and calls `each` with every valid box of a kept class. Memory does not
/// grow with the file.
///
/// Errors: unreadable file, a header without `ImageID`, `LabelName`, `XMin`, `XMax`, `YMin`, `YMax`.
pub fn stream_boxes<C: ClassLookup + Sync + ?Sized>(
    path: &Path,
    filter: &BoxFilter<C>,
    out: &mut Collector,
    mut each: impl FnMut(ImageBox),
) -> Result<()> {
    stream_box_rows(path, filter, out, |b, _| {
        each(ImageBox {
            image: b.image.to_string(),
            class: b.class,
            bbox: b.bbox,
            line: b.line,
        });
        Ok(())
    })
}

/// [`stream_boxes`] for readers that emit as they go: `each` gets every valid box (its image id
/// borrowed from the row) and the collector, and may stop the run with an error.
///
/// The rows are parsed in parallel ([`super::chunked`]: chunks of whole rows on rayon's pool)
/// and passed to `each` and the collector in file order on the calling thread, so the result is
/// the same for any number of threads.
///
/// Errors: as [`stream_boxes`], and what `each` returns.
pub fn stream_box_rows<C: ClassLookup + Sync + ?Sized>(
    path: &Path,
    filter: &BoxFilter<C>,
    out: &mut Collector,
    mut each: impl FnMut(BoxRow<'_>, &mut Collector) -> Result<()>,
) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut text = super::UnixLines::new(file);
    let headers = super::chunked::read_header(path, &mut text, b',', true)?;
    let column = |name: &str| headers.iter().position(|h| h == name);
    let required = ["ImageID", "LabelName", "XMin", "XMax", "YMin", "YMax"].map(column);
    let [Some(c_image), Some(c_label), Some(c_xmin), Some(c_xmax), Some(c_ymin), Some(c_ymax)] = required else {
        return Err(Error::input(
            path,
            Some(1),
            "expected a header with ImageID, LabelName, XMin, XMax, YMin, YMax",
        ));
    };
    let columns = Columns {
        image: c_image,
        label: c_label,
        xmin: c_xmin,
        xmax: c_xmax,
        ymin: c_ymin,
        ymax: c_ymax,
        depiction: column("IsDepiction"),
    };
    super::chunked::for_each_chunk(
        path,
        text,
        2,
        |chunk| parse_box_chunk(path, &chunk, &columns, filter),
        |(ids, rows)| {
            for row in rows {
                match row {
                    BoxEvent::Fail(e) => return Err(e),
                    BoxEvent::Skip(why) => {
                        out.read(1);
                        out.skip(why, 1);
                    }
                    BoxEvent::Reject { line, reason, detail } => {
                        out.read(1);
                        out.reject(path, At::Line(line), reason, detail)?;
                    }
                    BoxEvent::Box {
                        image,
                        class,
                        bbox,
                        line,
                    } => {
                        out.read(1);
                        let image = std::str::from_utf8(&ids[image.0..image.1]).expect("checked as UTF-8");
                        each(
                            BoxRow {
                                image,
                                class,
                                bbox,
                                line,
                            },
                            out,
                        )?;
                    }
                }
            }
            Ok(())
        },
    )
}

/// Positions of the columns a bbox reader uses.
struct Columns {
    image: usize,
    label: usize,
    xmin: usize,
    xmax: usize,
    ymin: usize,
    ymax: usize,
    depiction: Option<usize>,
}

/// What one bbox row came to, as [`parse_box_chunk`] finds it: each (but `Fail`) is one row read.
enum BoxEvent {
    /// A valid box of a kept class; `image` is the range of its id in the chunk's ids.
    Box {
        image: (usize, usize),
        class: ClassId,
        bbox: BBox,
        line: u64,
    },
    Skip(Skip),
    Reject {
        line: u64,
        reason: Reason,
        detail: String,
    },
    /// A CSV error: the read stops here.
    Fail(Error),
}

/// Parses the rows of one chunk of a bbox file (the same rows, lines, trimming, skips and rejects
/// as a serial read with [`super::read_trimmed_row`]). Returns the image ids of its boxes one
/// after another (each [`BoxEvent::Box`] has its range) and one event per row, in order; a CSV
/// error ends the list.
fn parse_box_chunk<C: ClassLookup + ?Sized>(
    path: &Path,
    chunk: &super::chunked::Chunk,
    columns: &Columns,
    filter: &BoxFilter<C>,
) -> (Vec<u8>, Vec<BoxEvent>) {
    let mut ids = Vec::with_capacity(chunk.bytes.len() / 4);
    let mut events = Vec::with_capacity(chunk.bytes.len() / 64);
    let needed = [
        columns.image,
        columns.label,
        columns.xmin,
        columns.xmax,
        columns.ymin,
        columns.ymax,
    ]
    .into_iter()
    .max()
    .unwrap_or(0)
        + 1;
    let global = |local: u64| chunk.first_line + local - 1;
    let mut record = csv::ByteRecord::new();
    let read = chunk.for_each_row(b',', true, |row, local| {
        let line = global(local);
        // A split row of UTF-8 text is judged in place (its trimmed fields are the csv record's);
        // any other becomes the trimmed csv record the serial read judges.
        // (Not an `if let` guard: those need Rust 1.95, and the crate's rust-version is 1.89.)
        let text = match &row {
            Row::Split(split) => split.text(),
            Row::Read(_) => None,
        };
        let (event, image) = match (text, row) {
            (Some(text), _) => (
                judge_box_fields(&text, columns, needed, filter),
                text.trimmed(columns.image).map(str::as_bytes),
            ),
            (None, row) => {
                let record = match row {
                    Row::Split(split) => {
                        split.to_record(&mut record);
                        &mut record
                    }
                    Row::Read(read) => read,
                };
                super::trim_fields(record);
                (
                    judge_box_row(record, columns, needed, filter),
                    record.get(columns.image),
                )
            }
        };
        events.push(match event {
            Judged::Box { class, bbox } => {
                // The image id, copied to the chunk's list of ids (no allocation per row).
                let start = ids.len();
                ids.extend_from_slice(image.unwrap_or_default());
                let range = (start, ids.len());
                BoxEvent::Box {
                    image: range,
                    class,
                    bbox,
                    line,
                }
            }
            Judged::Skip(why) => BoxEvent::Skip(why),
            Judged::Reject(reason, detail) => BoxEvent::Reject { line, reason, detail },
        });
    });
    if let Err(e) = read {
        let line = e.position().map(|p| global(p.line()));
        events.push(BoxEvent::Fail(Error::input(path, line, e.to_string())));
    }
    (ids, events)
}

/// A bbox row's fate.
enum Judged {
    Box { class: ClassId, bbox: BBox },
    Skip(Skip),
    Reject(Reason, String),
}

/// Judges one trimmed bbox row (the rules of the module documentation, in their order).
fn judge_box_row<C: ClassLookup + ?Sized>(
    bytes: &csv::ByteRecord,
    columns: &Columns,
    needed: usize,
    filter: &BoxFilter<C>,
) -> Judged {
    if std::str::from_utf8(bytes.as_slice()).is_err() {
        let why = match csv::StringRecord::from_byte_record(bytes.clone()) {
            Err(e) => format!("not UTF-8 text: {e}"),
            Ok(_) => "not UTF-8 text".to_string(),
        };
        return Judged::Reject(Reason::MalformedField, why);
    }
    judge_box_fields(bytes, columns, needed, filter)
}

/// The trimmed fields of a bbox row, read by [`judge_box_fields`]: a trimmed csv record, or a
/// UTF-8 row of a chunk split in place.
trait BoxFields {
    /// Number of fields.
    fn count(&self) -> usize;
    /// Field `i`, trimmed; `None` past the last or when it is not UTF-8.
    fn field(&self, i: usize) -> Option<&str>;
}

impl BoxFields for csv::ByteRecord {
    fn count(&self) -> usize {
        self.len()
    }
    fn field(&self, i: usize) -> Option<&str> {
        self.get(i).and_then(|b| std::str::from_utf8(b).ok())
    }
}

impl BoxFields for TextRow<'_> {
    fn count(&self) -> usize {
        self.len()
    }
    fn field(&self, i: usize) -> Option<&str> {
        self.trimmed(i)
    }
}

/// [`judge_box_row`] after its UTF-8 check: the rules from the field count on.
fn judge_box_fields<C: ClassLookup + ?Sized>(
    bytes: &impl BoxFields,
    columns: &Columns,
    needed: usize,
    filter: &BoxFilter<C>,
) -> Judged {
    if bytes.count() < needed {
        return Judged::Reject(
            Reason::MissingField,
            format!("{} fields, the header names {needed} or more", bytes.count()),
        );
    }
    let field = |c: usize| bytes.field(c);
    let Some(class) = field(columns.label).and_then(|mid| filter.classes.class_of(mid)) else {
        return Judged::Skip(Skip::ClassNotInMap);
    };
    if !filter.include_depiction && columns.depiction.and_then(field) == Some("1") {
        return Judged::Skip(Skip::Depiction);
    }
    let image = field(columns.image).unwrap_or_default();
    if image.is_empty() {
        return Judged::Reject(Reason::MissingField, "no ImageID".to_string());
    }
    if let Err(detail) = crate::media_layout::check_path_key("ImageID", image) {
        return Judged::Reject(Reason::BadClipId, detail);
    }
    if !filter.rotated.is_empty() && filter.rotated.contains(image) {
        return Judged::Skip(Skip::Rotated);
    }
    let number = |c: usize| field(c).and_then(super::parse_decimal);
    let (Some(xmin), Some(xmax), Some(ymin), Some(ymax)) = (
        number(columns.xmin),
        number(columns.xmax),
        number(columns.ymin),
        number(columns.ymax),
    ) else {
        return Judged::Reject(
            Reason::MalformedField,
            format!("{image}: XMin/XMax/YMin/YMax are not four numbers"),
        );
    };
    match BBox::normalized(xmin, ymin, xmax, ymax) {
        Ok(bbox) => Judged::Box { class, bbox },
        Err(e) => Judged::Reject(e.reason, format!("{image}: box {}", e.detail)),
    }
}

/// Images with a non-zero `Rotation` in an Open Images rotation file
/// (`*-images-with-rotation.csv`: comma, header with `ImageID` and `Rotation` in degrees).
/// `nan` (any case, as pandas writes a missing value) and an empty field mean the orientation is
/// unknown: such images are not rotated. Rows that are not UTF-8 text are ignored.
///
/// Errors: unreadable file, a header without `ImageID` and `Rotation`, a `Rotation` that is
/// neither a finite number, `nan` nor empty (with the path and line).
pub fn read_rotated(path: &Path) -> Result<FastSet<String>> {
    let mut reader = super::delimited_reader(path, b',', true, true)?;
    let headers = super::header_row(path, &mut reader)?;
    let (Some(c_image), Some(c_rotation)) = (
        headers.iter().position(|h| h == "ImageID"),
        headers.iter().position(|h| h == "Rotation"),
    ) else {
        return Err(Error::input(
            path,
            Some(1),
            "expected a header with ImageID and Rotation",
        ));
    };
    let mut rotated = FastSet::default();
    super::for_each_row(path, &mut reader, |line, row| {
        let Ok(row) = row else {
            return Ok(());
        };
        let text = row.get(c_rotation).unwrap_or_default();
        if text.is_empty() || text.eq_ignore_ascii_case("nan") {
            return Ok(()); // orientation unknown: the image is kept
        }
        match text.parse::<f64>() {
            Ok(degrees) if degrees.is_finite() => {
                if degrees != 0.0 {
                    rotated.insert(row.get(c_image).unwrap_or_default().to_string());
                }
                Ok(())
            }
            _ => Err(Error::input(
                path,
                Some(line),
                format!("Rotation `{text}` is not a number of degrees, `nan` or empty"),
            )),
        }
    })?;
    Ok(rotated)
}

/// Calls `each(image, class)` for every (image, mapped class) pair that a human verified absent
/// (`Confidence 0`) in an Open Images `*-human-imagelabels*.csv`, streaming; a class is mapped by
/// `classes` (the curated rows' class map).
///
/// Errors: unreadable file, a header without `ImageID`, `LabelName`, `Confidence`.
pub fn read_verified_absent<C: ClassLookup + ?Sized>(
    path: &Path,
    classes: &C,
    mut each: impl FnMut(&str, ClassId),
) -> Result<()> {
    let mut reader = super::delimited_reader(path, b',', true, true)?;
    let headers = super::header_row(path, &mut reader)?;
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (Some(c_image), Some(c_label), Some(c_confidence)) =
        (column("ImageID"), column("LabelName"), column("Confidence"))
    else {
        return Err(Error::input(
            path,
            Some(1),
            "expected a header with ImageID, LabelName, Confidence",
        ));
    };
    super::for_each_row(path, &mut reader, |_, row| {
        if let Ok(row) = row {
            if let (Some(class), Some("0")) = (
                row.get(c_label).and_then(|m| classes.class_of(m)),
                row.get(c_confidence),
            ) {
                each(row.get(c_image).unwrap_or_default(), class);
            }
        }
        Ok(())
    })
}

/// The direct Open Images source `openimages`: one ARIG sample per (image, class) with all that
/// image's valid boxes of the class (see the module documentation for files, split, key, media
/// and accounting).
pub struct OpenImages;

/// The split of an Open Images file from the words of its name (cut at every character that is
/// not an ASCII letter or digit): `train` → train; `validation`, `val` and `test` → test (the
/// distributed names are `train-`, `validation-` and `test-annotations-bbox.csv`, with an
/// `oidv6-` style prefix on some). `None` when no such word is there.
pub fn split_of_file_name(file_name: &str) -> Option<Split> {
    file_name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find_map(|word| match word {
            "train" => Some(Split::Train),
            "validation" | "val" | "test" => Some(Split::Test),
            _ => None,
        })
}

/// The samples of one image being gathered: (class, first row's line, boxes) in the order the
/// classes first appear.
#[derive(Default)]
struct ImageGroups {
    image: String,
    groups: Vec<(ClassId, u64, Vec<BBox>)>,
}

impl ImageGroups {
    /// Emits one record per class of the image gathered so far and clears it.
    fn flush(
        &mut self,
        path: &Path,
        split: Split,
        classes: &BoxableClasses,
        options: &SourceOptions,
        out: &mut Collector,
    ) -> Result<()> {
        if self.groups.is_empty() {
            return Ok(());
        }
        // The image's path, group and origin, made once and shared by its records.
        let image = ImageMedia::new(options, &self.image);
        for (class, line, boxes) in self.groups.drain(..) {
            let label = classes.name(class);
            let units = boxes.len() as u64;
            let record = Record {
                source: OpenImages.name(),
                key: [self.image.as_str(), "/", classes.key_name(class)].concat(),
                split,
                groups: vec![image.group.clone()],
                media: image.media(),
                target: Target::Arig {
                    label: label.clone(),
                    boxes,
                },
                // No audio: the input names the class (a referring sample).
                referring: true,
            };
            out.emit(record, path, At::Line(line), units)?;
        }
        Ok(())
    }
}

impl Source for OpenImages {
    fn name(&self) -> &'static str {
        "openimages"
    }
    fn tasks(&self) -> &'static [Task] {
        &[Task::Arig]
    }
    fn files(&self) -> &'static str {
        "*-annotations-bbox.csv (sorted by ImageID), class-descriptions-boxable.csv (optional: *rotation*.csv)"
    }
    fn citations(&self) -> &'static [super::Citation] {
        &[CITATION]
    }
    fn recognizes(&self, file_name: &str) -> bool {
        matches!(
            OpenImagesFile::of(file_name),
            Some(OpenImagesFile::Boxes | OpenImagesFile::ClassDescriptions | OpenImagesFile::Rotation)
        )
    }
    /// One referring sample per (image, display name), the name in its input: no two share an
    /// image and input (and it is large: 2.6M samples in the full train file).
    fn unambiguous_by_construction(&self) -> bool {
        true
    }
    fn default_media(&self) -> MediaLayout {
        MediaLayout {
            image: "{dataset}/images/{key}.jpg".into(),
            ..MediaLayout::meerkat("openimages")
        }
    }
    /// Reads the class descriptions and rotation files, then streams each bbox file in turn,
    /// emitting an image's samples when the next image starts.
    ///
    /// Errors: no bbox file or no class descriptions; a bbox file whose name has no split word
    /// (without `--split`); an `ImageID` out of sorted order (path, line, both ids); the
    /// readers' errors.
    fn read(&self, files: &[PathBuf], options: &SourceOptions, out: &mut Collector) -> Result<()> {
        let kind = |p: &Path| p.file_name().and_then(|n| OpenImagesFile::of(&n.to_string_lossy()));
        let of_kind = |k: OpenImagesFile| files.iter().filter(move |p| kind(p) == Some(k));
        let mut names = HashMap::new();
        for path in of_kind(OpenImagesFile::ClassDescriptions) {
            names.extend(read_class_descriptions(path)?);
        }
        let bbox_files: Vec<&PathBuf> = of_kind(OpenImagesFile::Boxes).collect();
        for (missing, what) in [
            (bbox_files.is_empty(), "an Open Images *-annotations-bbox.csv"),
            (names.is_empty(), "class-descriptions-boxable.csv"),
        ] {
            if missing {
                return Err(Error::Config(format!(
                    "source `{}` needs {what}; expected {}",
                    self.name(),
                    self.files()
                )));
            }
        }
        let classes = BoxableClasses::new(names)?;
        let mut rotated = FastSet::default();
        for path in of_kind(OpenImagesFile::Rotation) {
            rotated.extend(read_rotated(path)?);
        }
        let filter = BoxFilter {
            classes: &classes,
            include_depiction: options.include_depiction,
            rotated: &rotated,
        };
        for path in bbox_files {
            let split = match options.split {
                Some(forced) => forced,
                None => {
                    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
                    split_of_file_name(&name).ok_or_else(|| {
                        Error::input(
                            path,
                            None,
                            "cannot tell the split from the file name: expected a `train`, `validation` or `test` word \
                             as in train-annotations-bbox.csv, or --split",
                        )
                    })?
                }
            };
            let mut current = ImageGroups::default();
            stream_box_rows(path, &filter, out, |b, out| {
                if starts_image(path, &b, &current.image)? {
                    current.flush(path, split, &classes, options, out)?;
                    current.image.clear();
                    current.image.push_str(b.image);
                }
                match current.groups.iter_mut().find(|g| g.0 == b.class) {
                    Some(group) => group.2.push(b.bbox),
                    None => current.groups.push((b.class, b.line, vec![b.bbox])),
                }
                Ok(())
            })?;
            current.flush(path, split, &classes, options, out)?;
        }
        Ok(())
    }
}
