//! The shipped build manifests parse and name only known sources.

use avfit::config::BuildManifest;
use std::path::Path;

#[test]
fn the_full_corpus_manifest_lists_every_row_with_the_papers_counts() {
    let m = BuildManifest::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests/avfit.toml")).unwrap();
    let names: Vec<&str> = m.sources.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "vggss",
            "avsbench",
            "pascal_sound",
            "flickr_soundnet",
            "llp",
            "avqa",
            "music_avqa",
            "valor",
            "openimages_audioset",
            "openimages_vggsound",
            "openimages_audioset_strong"
        ]
    );
    let total: u64 = m.sources.iter().flat_map(|s| s.expected.values()).sum();
    // ARIG 1.26M, IGATL 123K, AVFC 1.5M, AVQA 90.4K, AVC 28.5K: about 3M.
    assert_eq!(total, 3_003_290);
    assert_eq!(m.sources[8].curation.test_fraction, 0.214);
    // LLP follows the rule that meets the paper's 2.32K: one sample per visual event.
    assert_eq!(
        m.sources[4].params.get("samples").and_then(|v| v.as_str()),
        Some("per_visual_event")
    );
}

mod common;

/// `[source.media]` replaces the patterns it names and keeps the source's own for the others:
/// Open Images given only `dataset` keeps its `{dataset}/images/{key}.jpg`; VGG-SS given only
/// `audio` keeps its frames under `vggss`.
#[test]
fn a_media_table_replaces_only_the_patterns_it_names() {
    let data = common::data("");
    let out = common::build_manifest(
        "manifest-media-table",
        &format!(
            r#"
[[source]]
name = "openimages"
inputs = ["{oi}/validation-annotations-bbox.csv", "{oi}/class-descriptions-boxable.csv"]
[source.media]
dataset = "oi"

[[source]]
name = "vggss"
inputs = ["{vggss}"]
[source.media]
audio = "{{dataset}}/wav/{{key}}.wav"
"#,
            oi = data.join("openimages").display(),
            vggss = data.join("vggss/vggss.json").display()
        ),
    );
    let samples = common::samples(&out);
    let first = |source: &str| samples.iter().find(|s| s["source"] == source).unwrap().clone();
    let oi = first("openimages");
    let id = oi["id"].as_str().unwrap().split('/').nth(1).unwrap().to_string();
    assert_eq!(oi["image"], format!("oi/images/{id}.jpg"));
    let vggss = first("vggss");
    let clip = vggss["id"].as_str().unwrap().split('/').nth(1).unwrap().to_string();
    assert_eq!(vggss["audio"], format!("vggss/wav/{clip}.wav"));
    assert_eq!(vggss["image"], format!("vggss/frames/{clip}.jpg"));
}
