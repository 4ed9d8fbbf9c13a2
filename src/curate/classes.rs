//! The class map of the curated rows, `manifests/classes.toml`: for each sounding Open Images
//! class, its MID and the AudioSet MIDs, AudioSet Strong MIDs and VGGSound labels that sound like
//! it. Each audio label belongs to at most one class, so a clip's labels name its classes
//! without ambiguity. `avfit classes --check --labels DIR` checks every entry against the label
//! files of the datasets.

use crate::error::{Error, Result};
use crate::split::FastMap;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Index of a class in [`ClassMap::classes`] (the Open Images reader's class index).
pub use crate::sources::openimages::ClassId;
use crate::sources::openimages::ClassLookup;

/// One sounding Open Images class.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassEntry {
    /// Open Images display name (`class-descriptions-boxable.csv`), the label shown in samples.
    pub name: String,
    /// Open Images MID (`/m/0bt9lr`).
    pub openimages: String,
    /// AudioSet MIDs (`class_labels_indices.csv`).
    #[serde(default)]
    pub audioset: Vec<String>,
    /// AudioSet Strong MIDs (`mid_to_display_name.tsv`).
    #[serde(default)]
    pub audioset_strong: Vec<String>,
    /// VGGSound labels (`vggsound.csv`), exactly as written there.
    #[serde(default)]
    pub vggsound: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassFile {
    class: Vec<ClassEntry>,
}

/// The class map with lookups from every native label to its class.
#[derive(Clone, Debug)]
pub struct ClassMap {
    /// The classes in file order; a [`ClassId`] indexes this.
    pub classes: Vec<ClassEntry>,
    by_openimages: FastMap<String, ClassId>,
    by_audioset: FastMap<String, ClassId>,
    by_strong: FastMap<String, ClassId>,
    by_vggsound: FastMap<String, ClassId>,
}

/// Which audio vocabulary a lookup is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AudioVocabulary {
    /// AudioSet weak labels (MIDs).
    AudioSet,
    /// AudioSet Strong labels (MIDs).
    AudioSetStrong,
    /// VGGSound labels (text).
    VggSound,
}

impl ClassLookup for ClassMap {
    /// The mapped classes of the curated rows ([`ClassMap::of_openimages`]).
    fn class_of(&self, mid: &str) -> Option<ClassId> {
        self.of_openimages(mid)
    }
}

impl ClassMap {
    /// Reads `manifests/classes.toml` (or another file of that format).
    ///
    /// Errors: unreadable file, invalid TOML, no class, more than 65535 classes, an Open Images
    /// MID or a name used twice, an audio label used by two classes.
    pub fn load(path: &Path) -> Result<ClassMap> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let file: ClassFile =
            toml::from_str(&text).map_err(|e| Error::input(path, None, e.to_string().replace('\n', " ")))?;
        ClassMap::new(file.class).map_err(|problems| Error::input(path, None, problems.join("; ")))
    }

    /// Builds the lookups. Errors: every structural problem (as [`ClassMap::load`]), one message each.
    pub fn new(classes: Vec<ClassEntry>) -> std::result::Result<ClassMap, Vec<String>> {
        if classes.is_empty() || classes.len() > ClassId::MAX as usize {
            return Err(vec![format!(
                "expected 1 to {} classes, found {}",
                ClassId::MAX,
                classes.len()
            )]);
        }
        let mut map = ClassMap {
            classes: Vec::new(),
            by_openimages: FastMap::default(),
            by_audioset: FastMap::default(),
            by_strong: FastMap::default(),
            by_vggsound: FastMap::default(),
        };
        let mut problems = Vec::new();
        let mut names = BTreeSet::new();
        for (i, c) in classes.iter().enumerate() {
            let id = i as ClassId;
            if !names.insert(c.name.as_str()) {
                problems.push(format!("class `{}` is listed twice", c.name));
            }
            let lists = [
                (
                    &mut map.by_openimages,
                    std::slice::from_ref(&c.openimages),
                    "openimages",
                ),
                (&mut map.by_audioset, &c.audioset[..], "audioset"),
                (&mut map.by_strong, &c.audioset_strong[..], "audioset_strong"),
                (&mut map.by_vggsound, &c.vggsound[..], "vggsound"),
            ];
            for (lookup, labels, field) in lists {
                for label in labels {
                    if let Some(other) = lookup.insert(label.clone(), id) {
                        let first = &classes[other as usize].name;
                        problems.push(format!("{field} label `{label}` is in both `{first}` and `{}`", c.name));
                    }
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        map.classes = classes;
        Ok(map)
    }

    /// The class of an Open Images MID, if mapped.
    pub fn of_openimages(&self, mid: &str) -> Option<ClassId> {
        self.by_openimages.get(mid).copied()
    }

    /// The class of an audio label of `vocabulary`, if mapped.
    pub fn of_audio(&self, vocabulary: AudioVocabulary, label: &str) -> Option<ClassId> {
        match vocabulary {
            AudioVocabulary::AudioSet => self.by_audioset.get(label),
            AudioVocabulary::AudioSetStrong => self.by_strong.get(label),
            AudioVocabulary::VggSound => self.by_vggsound.get(label),
        }
        .copied()
    }

    /// The display name of `class`.
    pub fn name(&self, class: ClassId) -> &str {
        &self.classes[class as usize].name
    }

    /// Checks every entry against the label files found (recursively) in `labels`:
    /// `class-descriptions-boxable.csv` (or `oidv7-class-descriptions-boxable.csv`),
    /// `class_labels_indices.csv`, `mid_to_display_name.tsv`, and `vggsound.csv` or the
    /// VGGSound `stat.csv` / `vggsound_stat.csv`. Problems: an entry whose MID or label is absent;
    /// a vocabulary whose file is not found (reported once, not checked). Notes: an Open Images
    /// MID the file names differently from the map (a display name renamed between Open Images
    /// versions, such as V7's `Fixed-wing aircraft` for `Airplane`): the map joins on MIDs, so it
    /// is no problem, and samples show the file's name.
    ///
    /// Errors: `labels` cannot be read, or a label file cannot be parsed.
    pub fn check(&self, labels: &Path) -> Result<ClassCheck> {
        let files = LabelFiles::find(labels)?;
        let mut report = ClassCheck::default();
        match &files.openimages {
            Some(path) => {
                report.used.push(path.clone());
                let names = crate::sources::openimages::read_class_descriptions(path)?;
                for c in &self.classes {
                    match names.get(&c.openimages) {
                        None => report.problems.push(format!(
                            "{}: Open Images MID {} is not in {}",
                            c.name,
                            c.openimages,
                            path.display()
                        )),
                        Some(n) if *n != c.name => report.notes.push(format!(
                            "{}: {} is named `{n}` in {} (the map joins on MIDs; samples show `{n}`)",
                            c.name,
                            c.openimages,
                            path.display()
                        )),
                        Some(_) => {}
                    }
                }
            }
            None => report
                .problems
                .push("no class-descriptions-boxable.csv found: Open Images MIDs not checked".into()),
        }
        let audio = [
            (&files.audioset, AudioVocabulary::AudioSet),
            (&files.audioset_strong, AudioVocabulary::AudioSetStrong),
            (&files.vggsound, AudioVocabulary::VggSound),
        ];
        for (path, vocabulary) in audio {
            let Some(path) = path else {
                report.problems.push(format!(
                    "no {} found: {} labels not checked",
                    vocabulary.label_file(),
                    vocabulary.dataset()
                ));
                continue;
            };
            report.used.push(path.clone());
            let known = read_label_set(path, vocabulary)?;
            for (class, label) in self.unknown_labels(vocabulary, &known) {
                report.problems.push(format!(
                    "{class}: {} label `{label}` is not in {}",
                    vocabulary.dataset(),
                    path.display()
                ));
            }
        }
        Ok(report)
    }

    /// Every (class name, label) of the map in `vocabulary` that `known` lacks, in class-map
    /// order.
    pub fn unknown_labels<'a>(
        &'a self,
        vocabulary: AudioVocabulary,
        known: &BTreeSet<String>,
    ) -> Vec<(&'a str, &'a str)> {
        let mut unknown = Vec::new();
        for c in &self.classes {
            let labels = match vocabulary {
                AudioVocabulary::AudioSet => &c.audioset,
                AudioVocabulary::AudioSetStrong => &c.audioset_strong,
                AudioVocabulary::VggSound => &c.vggsound,
            };
            for label in labels.iter().filter(|l| !known.contains(*l)) {
                unknown.push((c.name.as_str(), label.as_str()));
            }
        }
        unknown
    }
}

impl AudioVocabulary {
    /// The dataset's name as written in messages (`AudioSet`, `AudioSet Strong`, `VGGSound`).
    pub fn dataset(self) -> &'static str {
        match self {
            AudioVocabulary::AudioSet => "AudioSet",
            AudioVocabulary::AudioSetStrong => "AudioSet Strong",
            AudioVocabulary::VggSound => "VGGSound",
        }
    }
    /// The native name of its label-list file (`class_labels_indices.csv`,
    /// `mid_to_display_name.tsv`, `vggsound.csv`).
    pub fn label_file(self) -> &'static str {
        match self {
            AudioVocabulary::AudioSet => "class_labels_indices.csv",
            AudioVocabulary::AudioSetStrong => "mid_to_display_name.tsv",
            AudioVocabulary::VggSound => "vggsound.csv",
        }
    }
}

/// What [`ClassMap::check`] found, one line each.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClassCheck {
    /// Entries that do not match the label files, and vocabularies not checked.
    pub problems: Vec<String>,
    /// Differences that are no problem: Open Images display names renamed in the file.
    pub notes: Vec<String>,
    /// The label files read.
    pub used: Vec<PathBuf>,
}

/// The label files found in a directory.
#[derive(Default)]
struct LabelFiles {
    openimages: Option<PathBuf>,
    audioset: Option<PathBuf>,
    audioset_strong: Option<PathBuf>,
    vggsound: Option<PathBuf>,
}

impl LabelFiles {
    fn find(dir: &Path) -> Result<LabelFiles> {
        if !dir.is_dir() {
            return Err(Error::input(dir, None, "not a directory of label files"));
        }
        let mut found = LabelFiles::default();
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let entry = entry.map_err(|e| Error::input(dir, None, e.to_string()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = Some(entry.into_path());
            let slot = if name.ends_with("class-descriptions-boxable.csv") {
                &mut found.openimages
            } else if name == "class_labels_indices.csv" {
                &mut found.audioset
            } else if name == "mid_to_display_name.tsv" {
                &mut found.audioset_strong
            } else if name == "vggsound.csv" || name == "vggsound_stat.csv" || name == "stat.csv" {
                &mut found.vggsound
            } else {
                continue;
            };
            if slot.is_none() {
                *slot = path;
            }
        }
        Ok(found)
    }
}

/// Every label of one vocabulary's label file: the MIDs of AudioSet's `class_labels_indices.csv`
/// (header `index,mid,display_name`, column `mid`) or AudioSet Strong's `mid_to_display_name.tsv`
/// (no header, TAB, column 1), the labels of VGGSound (`vggsound.csv` column 3, `stat.csv` column 1).
///
/// Errors: the file cannot be read or a row cannot be parsed (path and line).
pub fn read_label_set(path: &Path, vocabulary: AudioVocabulary) -> Result<BTreeSet<String>> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (delimiter, has_headers, column) = match vocabulary {
        AudioVocabulary::AudioSet => (b',', true, 1),
        AudioVocabulary::AudioSetStrong => (b'\t', false, 0),
        AudioVocabulary::VggSound if name == "vggsound.csv" => (b',', false, 2),
        AudioVocabulary::VggSound => (b',', false, 0),
    };
    let mut reader = crate::sources::delimited_reader(path, delimiter, delimiter == b',', has_headers)?;
    let mut labels = BTreeSet::new();
    crate::sources::for_each_row(path, &mut reader, |line, row| {
        let row = row.map_err(|why| Error::input(path, Some(line), why))?;
        if let Some(label) = row.get(column).filter(|l| !l.is_empty()) {
            labels.insert(label.to_string());
        }
        Ok(())
    })?;
    Ok(labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, oi: &str, audioset: &[&str], vggsound: &[&str]) -> ClassEntry {
        ClassEntry {
            name: name.into(),
            openimages: oi.into(),
            audioset: audioset.iter().map(|s| s.to_string()).collect(),
            audioset_strong: vec![],
            vggsound: vggsound.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn lookups_and_conflicts() {
        let map = ClassMap::new(vec![
            entry("Dog", "/m/0bt9lr", &["/m/05tny_"], &["dog barking"]),
            entry("Cat", "/m/01yrx", &["/m/07qrkrw"], &[]),
        ])
        .unwrap();
        assert_eq!(map.of_openimages("/m/01yrx"), Some(1));
        assert_eq!(map.of_audio(AudioVocabulary::AudioSet, "/m/05tny_"), Some(0));
        assert_eq!(map.of_audio(AudioVocabulary::VggSound, "dog barking"), Some(0));
        assert_eq!(map.of_audio(AudioVocabulary::VggSound, "cat purring"), None);
        let err = ClassMap::new(vec![
            entry("Dog", "/m/a", &["/m/x"], &[]),
            entry("Cat", "/m/b", &["/m/x"], &[]),
        ])
        .unwrap_err();
        assert_eq!(err, vec!["audioset label `/m/x` is in both `Dog` and `Cat`"]);
    }
}
