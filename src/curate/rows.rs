//! The three curated rows as sources: each reads the Open Images side and one audio side from
//! its inputs (files recognized by their native names) and pairs them ([`super::pairing`]).
//! A row's definition ([`Curated`], one static each) is bound to its settings
//! ([`CurationOptions`]) in a [`CuratedRow`], the [`Source`] a run reads: [`CuratedRow::new`]
//! where a build or `convert` names the row, [`rows`] with the default settings for listings and
//! tests.
//!
//! | source | audio files | tasks |
//! |---|---|---|
//! | `openimages_audioset` | AudioSet `*_segments.csv` | ARIG, AVFC types 1, 2, 4 |
//! | `openimages_vggsound` | `vggsound.csv` | ARIG |
//! | `openimages_audioset_strong` | `audioset_*_strong.tsv` | IGATL, AVFC type 3 |
//!
//! Image side: `*-annotations-bbox.csv` and `class-descriptions-boxable.csv`, optionally
//! `*rotation*.csv` and `*-human-imagelabels*.csv` (see [`crate::sources::openimages`]). The label lists
//! distributed with the audio datasets, AudioSet's `class_labels_indices.csv` and AudioSet
//! Strong's `mid_to_display_name.tsv`, are optional inputs (named or in a directory): the class
//! map names each MID's class, and a given list is only checked, at the start of the run, to
//! have every MID the map lists for that dataset. Media: `openimages/images/<ImageID>.jpg` and
//! `<audio dataset>/audios/<clip>.wav`.

use super::options::CurationOptions;
use super::pairing::{check_label_lists, read_curated, AudioSide};
use super::{audioset, audioset_strong, vggsound};
use crate::error::Result;
use crate::media_layout::MediaLayout;
use crate::record::Task;
use crate::sources::openimages::{self, OpenImagesFile};
use crate::sources::{Citation, Collector, Source, SourceOptions};
use std::path::PathBuf;
use std::sync::OnceLock;

/// A curated row's definition: its name, audio side, tasks, files and citations.
pub struct Curated {
    name: &'static str,
    side: AudioSide,
    tasks: &'static [Task],
    files: &'static str,
    /// The image dataset's citation, then the audio dataset's.
    citations: &'static [Citation],
}

/// Open Images boxes with AudioSet clips: ARIG and AVFC types 1, 2, 4.
pub static OPENIMAGES_AUDIOSET: Curated = Curated {
    name: "openimages_audioset",
    side: AudioSide::AudioSet,
    tasks: &[Task::Arig, Task::Avfc],
    files: "*-annotations-bbox.csv, class-descriptions-boxable.csv, AudioSet *_segments.csv (optional: *rotation*.csv, *-human-imagelabels*.csv, class_labels_indices.csv)",
    citations: &[openimages::CITATION, audioset::CITATION],
};

/// Open Images boxes with VGGSound clips: ARIG.
pub static OPENIMAGES_VGGSOUND: Curated = Curated {
    name: "openimages_vggsound",
    side: AudioSide::VggSound,
    tasks: &[Task::Arig],
    files: "*-annotations-bbox.csv, class-descriptions-boxable.csv, vggsound.csv (optional: *rotation*.csv)",
    citations: &[openimages::CITATION, vggsound::CITATION],
};

/// Open Images images with AudioSet Strong clips: IGATL and AVFC type 3.
pub static OPENIMAGES_AUDIOSET_STRONG: Curated = Curated {
    name: "openimages_audioset_strong",
    side: AudioSide::AudioSetStrong,
    tasks: &[Task::Igatl, Task::Avfc],
    files: "*-annotations-bbox.csv, class-descriptions-boxable.csv, audioset_*_strong.tsv (optional: *rotation*.csv, mid_to_display_name.tsv)",
    citations: &[openimages::CITATION, audioset_strong::CITATION],
};

/// The three rows' definitions, in the order `avfit sources` lists them.
pub static DEFINITIONS: [&Curated; 3] = [&OPENIMAGES_AUDIOSET, &OPENIMAGES_VGGSOUND, &OPENIMAGES_AUDIOSET_STRONG];

/// A curated row with its settings: the [`Source`] that a run reads.
pub struct CuratedRow {
    row: &'static Curated,
    curation: CurationOptions,
}

impl CuratedRow {
    /// `row` under `curation` (class map, test fraction, cap per class).
    pub fn new(row: &'static Curated, curation: CurationOptions) -> Self {
        CuratedRow { row, curation }
    }

    /// Its settings.
    pub fn curation(&self) -> &CurationOptions {
        &self.curation
    }
}

/// The three rows with the default settings ([`CurationOptions::default`]), in the order of
/// [`DEFINITIONS`].
pub fn rows() -> &'static [CuratedRow] {
    static ROWS: OnceLock<Vec<CuratedRow>> = OnceLock::new();
    ROWS.get_or_init(|| {
        DEFINITIONS
            .iter()
            .map(|row| CuratedRow::new(row, CurationOptions::default()))
            .collect()
    })
}

/// The curated row called `name` under `curation`, for the whole run (leaked, as a run keeps
/// its sources to the end), or `None` when no curated row has that name.
pub fn configured(name: &str, curation: CurationOptions) -> Option<&'static dyn Source> {
    let row = DEFINITIONS.iter().find(|r| r.name == name)?;
    Some(Box::leak(Box::new(CuratedRow::new(row, curation))))
}

impl Source for CuratedRow {
    fn name(&self) -> &'static str {
        self.row.name
    }
    fn tasks(&self) -> &'static [Task] {
        self.row.tasks
    }
    fn files(&self) -> &'static str {
        self.row.files
    }
    fn citations(&self) -> &'static [Citation] {
        self.row.citations
    }
    fn recognizes(&self, file_name: &str) -> bool {
        let side = self.row.side;
        OpenImagesFile::of(file_name).is_some() || side.recognizes(file_name) || side.is_label_list(file_name)
    }
    fn is_curated(&self) -> bool {
        true
    }
    fn hashed_test_fraction(&self) -> Option<f64> {
        Some(self.curation.test_fraction)
    }
    fn default_media(&self) -> MediaLayout {
        MediaLayout {
            dataset: "openimages".into(),
            image: "{dataset}/images/{key}.jpg".into(),
            audio: format!("{}/audios/{{key}}.wav", self.row.side.dataset()),
            ..MediaLayout::meerkat("openimages")
        }
    }
    fn check_inputs(&self, files: &[PathBuf], _options: &SourceOptions) -> Result<()> {
        check_label_lists(self.row.side, files, &self.curation)
    }
    fn read(&self, files: &[PathBuf], options: &SourceOptions, out: &mut Collector) -> Result<()> {
        read_curated(self, self.row.side, files, &self.curation, options, out)
    }
}
