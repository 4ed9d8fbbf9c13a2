//! Open Images (Kuznetsova et al., IJCV 2020): the image side of the curated rows. Not a source of
//! its own: [`crate::curate`] reads it for `openimages_audioset`, `openimages_vggsound` and
//! `openimages_audioset_strong`.
//!
//! Native files:
//! * `*-annotations-bbox.csv`: comma, header. Columns (found by name):
//!   `ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside`
//!   (the V6 train file appends `XClick*` columns). **x pair first**: XMin, XMax, then YMin, YMax.
//!   Coordinates are normalized to [0, 1], top-left origin; `1.0000000000000002` and the like are
//!   clamped, real excesses rejected. `LabelName` is a MID.
//! * `class-descriptions-boxable.csv`: `MID,DisplayName`, no header (copies with a header, CR-only
//!   or CRLF endings exist). Joined on MID, never on display name.
//! * Optional `*rotation*.csv` (`ImageID`, ..., `Rotation`): images with a non-zero rotation are
//!   skipped (`rotated`), since their boxes refer to the rotated image.
//! * Optional `*-human-imagelabels*.csv` (`ImageID,Source,LabelName,Confidence`): `Confidence 0`
//!   says a human verified the class absent; used for AVFC type-2 negatives.
//!
//! Units: one bbox row. Skipped: classes outside the class map (`class_not_in_map`, checked
//! before anything else is parsed), `IsDepiction = 1` (`depiction`), rotated images (`rotated`).
//! Rejected: a box out of range or degenerate, missing fields. The label files, rotation and image
//! label files are lookups, not units.

use super::{At, Collector};
use crate::classes::{ClassId, ClassMap};
use crate::error::{Error, Result};
use crate::geometry::BBox;
use crate::reason::{Reason, Skip};
use std::collections::{HashMap, HashSet};
use std::path::Path;

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

/// What to keep of the bbox rows.
pub struct BoxFilter<'a> {
    /// Classes and their MIDs.
    pub classes: &'a ClassMap,
    /// Keep `IsDepiction = 1` boxes (default: skip them).
    pub include_depiction: bool,
    /// Images to skip as `rotated`.
    pub rotated: &'a HashSet<String>,
}

/// Streams the bbox rows of `path`: counts every row read, skips and rejects as the module
/// documentation says, and calls `each` with every valid box of a mapped class. Memory does not
/// grow with the file.
///
/// Errors: unreadable file, a header without `ImageID`, `LabelName`, `XMin`, `XMax`, `YMin`, `YMax`.
pub fn stream_boxes(
    path: &Path,
    filter: &BoxFilter,
    out: &mut Collector,
    mut each: impl FnMut(ImageBox),
) -> Result<()> {
    let mut reader = super::delimited_reader(path, b',', true, true)?;
    let headers = super::header_row(path, &mut reader)?;
    let column = |name: &str| headers.iter().position(|h| h == name);
    let required = ["ImageID", "LabelName", "XMin", "XMax", "YMin", "YMax"].map(column);
    let [Some(c_image), Some(c_label), Some(c_xmin), Some(c_xmax), Some(c_ymin), Some(c_ymax)] = required else {
        return Err(Error::input(
            path,
            Some(1),
            "expected a header with ImageID, LabelName, XMin, XMax, YMin, YMax",
        ));
    };
    let c_depiction = column("IsDepiction");
    super::for_each_row(path, &mut reader, |line, row| {
        out.read(1);
        let at = At::Line(line);
        let row = match row {
            Ok(row) => row,
            Err(why) => return out.reject(path, at, Reason::MalformedField, why),
        };
        let needed = [c_image, c_label, c_xmin, c_xmax, c_ymin, c_ymax]
            .into_iter()
            .max()
            .unwrap_or(0)
            + 1;
        if row.len() < needed {
            return out.reject(
                path,
                at,
                Reason::MissingField,
                format!("{} fields, the header names {needed} or more", row.len()),
            );
        }
        let Some(class) = row.get(c_label).and_then(|mid| filter.classes.of_openimages(mid)) else {
            out.skip(Skip::ClassNotInMap, 1);
            return Ok(());
        };
        if !filter.include_depiction && c_depiction.and_then(|c| row.get(c)) == Some("1") {
            out.skip(Skip::Depiction, 1);
            return Ok(());
        }
        let image = row.get(c_image).unwrap_or_default();
        if image.is_empty() {
            return out.reject(path, at, Reason::MissingField, "no ImageID");
        }
        if filter.rotated.contains(image) {
            out.skip(Skip::Rotated, 1);
            return Ok(());
        }
        let number = |c: usize| row.get(c).and_then(|v| v.parse::<f64>().ok());
        let (Some(xmin), Some(xmax), Some(ymin), Some(ymax)) =
            (number(c_xmin), number(c_xmax), number(c_ymin), number(c_ymax))
        else {
            return out.reject(
                path,
                at,
                Reason::MalformedField,
                format!("{image}: XMin/XMax/YMin/YMax are not four numbers"),
            );
        };
        match BBox::normalized(xmin, ymin, xmax, ymax) {
            Ok(bbox) => {
                each(ImageBox {
                    image: image.to_string(),
                    class,
                    bbox,
                    line,
                });
                Ok(())
            }
            Err(e) => out.reject(path, at, e.reason, format!("{image}: box {}", e.detail)),
        }
    })
}

/// Images with a non-zero `Rotation` in a rotation file.
///
/// Errors: unreadable file, a header without `ImageID` and `Rotation`.
pub fn read_rotated(path: &Path) -> Result<HashSet<String>> {
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
    let mut rotated = HashSet::new();
    super::for_each_row(path, &mut reader, |_, row| {
        if let Ok(row) = row {
            if row
                .get(c_rotation)
                .and_then(|r| r.parse::<f64>().ok())
                .is_some_and(|r| r != 0.0)
            {
                rotated.insert(row.get(c_image).unwrap_or_default().to_string());
            }
        }
        Ok(())
    })?;
    Ok(rotated)
}

/// (image, class) pairs that a human verified absent (`Confidence 0`) for mapped classes.
///
/// Errors: unreadable file, a header without `ImageID`, `LabelName`, `Confidence`.
pub fn read_verified_absent(path: &Path, classes: &ClassMap) -> Result<HashSet<(String, ClassId)>> {
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
    let mut absent = HashSet::new();
    super::for_each_row(path, &mut reader, |_, row| {
        if let Ok(row) = row {
            if let (Some(class), Some("0")) = (
                row.get(c_label).and_then(|m| classes.of_openimages(m)),
                row.get(c_confidence),
            ) {
                absent.insert((row.get(c_image).unwrap_or_default().to_string(), class));
            }
        }
        Ok(())
    })?;
    Ok(absent)
}
