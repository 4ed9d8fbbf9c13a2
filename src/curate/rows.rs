//! The three curated rows as sources: each reads the Open Images side and one audio side from
//! its inputs (files recognized by their native names) and pairs them ([`crate::curate`]).
//!
//! | source | audio files | tasks |
//! |---|---|---|
//! | `openimages_audioset` | AudioSet `*_segments.csv` | ARIG, AVFC types 1, 2, 4 |
//! | `openimages_vggsound` | `vggsound.csv` | ARIG |
//! | `openimages_audioset_strong` | `audioset_*_strong.tsv` | IGATL, AVFC type 3 |
//!
//! Image side: `*-annotations-bbox.csv` and `class-descriptions-boxable.csv`, optionally
//! `*rotation*.csv` and `*-human-imagelabels*.csv` (see [`super::openimages`]). The label lists
//! distributed with the audio datasets, AudioSet's `class_labels_indices.csv` and AudioSet
//! Strong's `mid_to_display_name.tsv`, are optional inputs (named or in a directory): the class
//! map names each MID's class, and a given list is only checked, at the start of the run, to
//! have every MID the map lists for that dataset. Media: `openimages/images/<ImageID>.jpg` and
//! `<audio dataset>/audios/<clip>.wav`.

use super::openimages::OpenImagesFile;
use super::{Collector, Source, SourceOptions};
use crate::curate::{check_label_lists, read_curated, AudioSide};
use crate::error::Result;
use crate::media_layout::MediaLayout;
use crate::record::Task;
use std::path::PathBuf;

/// A curated row.
pub struct Curated {
    name: &'static str,
    side: AudioSide,
    tasks: &'static [Task],
    files: &'static str,
    /// The image dataset's citation, then the audio dataset's.
    citations: &'static [super::Citation],
}

/// Open Images boxes with AudioSet clips: ARIG and AVFC types 1, 2, 4.
pub static OPENIMAGES_AUDIOSET: Curated = Curated {
    name: "openimages_audioset",
    side: AudioSide::AudioSet,
    tasks: &[Task::Arig, Task::Avfc],
    files: "*-annotations-bbox.csv, class-descriptions-boxable.csv, AudioSet *_segments.csv (optional: *rotation*.csv, *-human-imagelabels*.csv, class_labels_indices.csv)",
    citations: &[super::openimages::CITATION, super::audioset::CITATION],
};

/// Open Images boxes with VGGSound clips: ARIG.
pub static OPENIMAGES_VGGSOUND: Curated = Curated {
    name: "openimages_vggsound",
    side: AudioSide::VggSound,
    tasks: &[Task::Arig],
    files: "*-annotations-bbox.csv, class-descriptions-boxable.csv, vggsound.csv (optional: *rotation*.csv)",
    citations: &[super::openimages::CITATION, super::vggsound::CITATION],
};

/// Open Images images with AudioSet Strong clips: IGATL and AVFC type 3.
pub static OPENIMAGES_AUDIOSET_STRONG: Curated = Curated {
    name: "openimages_audioset_strong",
    side: AudioSide::AudioSetStrong,
    tasks: &[Task::Igatl, Task::Avfc],
    files: "*-annotations-bbox.csv, class-descriptions-boxable.csv, audioset_*_strong.tsv (optional: *rotation*.csv, mid_to_display_name.tsv)",
    citations: &[super::openimages::CITATION, super::audioset_strong::CITATION],
};

impl Source for Curated {
    fn name(&self) -> &'static str {
        self.name
    }
    fn tasks(&self) -> &'static [Task] {
        self.tasks
    }
    fn files(&self) -> &'static str {
        self.files
    }
    fn citations(&self) -> &'static [super::Citation] {
        self.citations
    }
    fn recognizes(&self, file_name: &str) -> bool {
        OpenImagesFile::of(file_name).is_some() || self.side.recognizes(file_name) || self.side.is_label_list(file_name)
    }
    fn is_curated(&self) -> bool {
        true
    }
    fn default_media(&self) -> MediaLayout {
        MediaLayout {
            dataset: "openimages".into(),
            image: "{dataset}/images/{key}.jpg".into(),
            audio: format!("{}/audios/{{key}}.wav", self.side.dataset()),
            ..MediaLayout::meerkat("openimages")
        }
    }
    fn check_inputs(&self, files: &[PathBuf], options: &SourceOptions) -> Result<()> {
        check_label_lists(self.side, files, options)
    }
    fn read(&self, files: &[PathBuf], options: &SourceOptions, out: &mut Collector) -> Result<()> {
        read_curated(self, self.side, files, options, out)
    }
}
