//! The curated rows: exact values on the shipped sample, and the pairing rules on native-format
//! inputs this file generates (a few thousand rows).

mod common;

use common::{avfit, avfit_fails, avfit_ok, check_output, out_dir, rejects, sample, samples, walk};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

fn convert(source: &str, inputs: &[&Path], out: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["convert", "--source", source, "--out", out.to_str().unwrap(), "--quiet"];
    for input in inputs {
        args.extend(["--input", input.to_str().unwrap()]);
    }
    args.extend(extra);
    avfit_ok(&args);
    check_output(out);
    serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap()
}

fn skipped(manifest: &Value, source: &str) -> BTreeMap<String, u64> {
    serde_json::from_value(manifest["sources"][source]["skipped"].clone()).unwrap()
}

#[test]
fn openimages_boxes_are_exact_and_every_row_is_accounted_for() {
    let out = out_dir("curated-openimages-audioset");
    let data = common::data("");
    let m = convert(
        "openimages_audioset",
        &[&data.join("openimages"), &data.join("audioset")],
        &out,
        &["--test-fraction", "0.5"],
    );
    // XMin 0.1, XMax 0.5, YMin 0.2, YMax 0.9 → [0.1, 0.2, 0.5, 0.9].
    let dog = sample(&out, "openimages_audioset/0001a0b1c2d3e4f5/Dog/arig");
    assert_eq!(dog["target"], json!({"label": "Dog", "boxes": [[0.1, 0.2, 0.5, 0.9]]}));
    assert_eq!(dog["image"], "openimages/images/0001a0b1c2d3e4f5.jpg");
    // XMax 1.0000000000000002 is clamped to 1; both Dog boxes of the image in one sample.
    let two = sample(&out, "openimages_audioset/0002b1c2d3e4f5a6/Dog/arig");
    assert_eq!(
        two["target"]["boxes"],
        json!([[0.25, 0.0, 1.0, 0.5], [0.0, 0.5, 0.2, 0.75]])
    );
    assert_eq!(
        two["answer"],
        "[<Dog>,0.250,0.000,1.000,0.500]; [<Dog>,0.000,0.500,0.200,0.750]"
    );
    // 16 bbox rows + 14 segment rows. Skipped: Table (unmapped) and a speech-only clip, a
    // depiction, the rotated image's box, an image whose class had no clean clip, unused clips.
    let s = &m["sources"]["openimages_audioset"];
    assert_eq!(
        (s["read"].as_u64(), s["used"].as_u64(), s["rejected"].as_u64()),
        (Some(30), Some(19), Some(2))
    );
    let expected: BTreeMap<String, u64> = [
        ("class_not_in_map", 2),
        ("clip_not_drawn", 4),
        ("depiction", 1),
        ("not_drawn", 1),
        ("rotated", 1),
    ]
    .map(|(k, v)| (k.to_string(), v))
    .into();
    assert_eq!(skipped(&m, "openimages_audioset"), expected);
    let r: Vec<(String, u64)> = rejects(&out)
        .iter()
        .map(|r| (r["reason"].as_str().unwrap().to_string(), r["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        r,
        // The audio side is read first, then the images stream.
        vec![("duplicate_row".to_string(), 17), ("reversed_box".to_string(), 12)]
    );
    // Every sample pairs an image with a clip: groups oi: and yt:.
    for s in samples(&out) {
        let groups = s["groups"].as_array().unwrap();
        assert!(
            groups[0].as_str().unwrap().starts_with("oi:") && groups[1].as_str().unwrap().starts_with("yt:"),
            "{s}"
        );
    }
}

#[test]
fn strong_events_merge_per_class_and_type_3_negatives_are_the_longest_gap() {
    let out = out_dir("curated-openimages-strong");
    let data = common::data("");
    convert(
        "openimages_audioset_strong",
        &[&data.join("openimages"), &data.join("audioset_strong")],
        &out,
        &["--test-fraction", "0.5"],
    );
    // AAAAAAAAAB1_10000: Dog events [3, 3.5) (/m/07r_k2n) and [3.5, 5) (/m/05tny_) touch and merge.
    let dog = sample(&out, "openimages_audioset_strong/0002b1c2d3e4f5a6/Dog/igatl");
    assert_eq!(dog["audio"], "audioset_strong/audios/AAAAAAAAAB1_10000.wav");
    assert_eq!(
        dog["target"],
        json!({"label": "Dog", "segments": [[3.0, 5.0]], "duration": 10.0})
    );
    // BBBBBBBBBB8_0: Cat at [0.5, 1.5) and [6, 8); the longest window without it is [1.5, 6).
    let cat = sample(&out, "openimages_audioset_strong/0009c8d9e0f1a2b3/Cat/avfc/3");
    assert_eq!(
        cat["target"],
        json!({"type": 3, "verdict": false, "label": "Cat", "segments": [[1.5, 6.0]], "duration": 10.0})
    );
    assert_eq!(cat["input"], "The Cat in the image makes a sound during [1.5,6.0].");
    assert_eq!(cat["answer"], "False");
    let r: Vec<String> = rejects(&out)
        .iter()
        .map(|r| r["reason"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(r, vec!["zero_length_segment", "reversed_box"]);
}

/// A small deterministic generator (64-bit LCG) for native-format inputs.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        self.below(1_000_000) as f64 / 1_000_000.0
    }
}

/// (name, Open Images MID, AudioSet MIDs, strong MIDs) of the generated classes, as in
/// manifests/classes.toml.
const CLASSES: [(&str, &str, &str, &str); 4] = [
    ("Dog", "/m/0bt9lr", "/m/05tny_", "/m/05tny_"),
    ("Cat", "/m/01yrx", "/m/07qrkrw", "/m/07qrkrw"),
    ("Car", "/m/0k4j", "/m/0k4j", "/m/0k4j"),
    ("Horse", "/m/03k3r", "/m/03k3r", "/m/03k3r"),
];

/// Ground truth of the generated inputs.
#[derive(Default)]
struct Truth {
    /// image → class name → boxes.
    boxes: HashMap<String, HashMap<String, Vec<[f64; 4]>>>,
    /// AudioSet clip key → class names.
    clip_classes: HashMap<String, HashSet<String>>,
    /// strong clip key → class name → events.
    events: HashMap<String, HashMap<String, Vec<[f64; 2]>>>,
}

fn generate(dir: &Path) -> Truth {
    let mut rng = Lcg(42);
    let mut truth = Truth::default();
    std::fs::create_dir_all(dir.join("oi")).unwrap();
    let names: String = CLASSES.iter().map(|(n, mid, _, _)| format!("{mid},{n}\n")).collect();
    std::fs::write(
        dir.join("oi/class-descriptions-boxable.csv"),
        names + "/m/04bcr3,Table\n",
    )
    .unwrap();
    let mut csv = String::from("ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,IsDepiction,IsInside\n");
    for i in 0..1500 {
        let image = format!("{:016x}", 0xabc0_0000_0000u64 + i * 7919);
        for (name, mid, _, _) in CLASSES {
            if rng.below(3) != 0 {
                continue;
            }
            for _ in 0..1 + rng.below(2) {
                let (x0, y0) = (rng.unit() * 0.5, rng.unit() * 0.5);
                let (x1, y1) = (x0 + 0.05 + rng.unit() * 0.45, y0 + 0.05 + rng.unit() * 0.45);
                csv.push_str(&format!("{image},xclick,{mid},1,{x0},{x1},{y0},{y1},0,0,0,0,0\n"));
                truth
                    .boxes
                    .entry(image.clone())
                    .or_default()
                    .entry(name.to_string())
                    .or_default()
                    .push([x0, y0, x1, y1]);
            }
        }
        csv.push_str(&format!("{image},xclick,/m/04bcr3,1,0.1,0.2,0.1,0.2,0,0,0,0,0\n"));
    }
    std::fs::write(dir.join("oi/train-annotations-bbox.csv"), csv).unwrap();

    std::fs::create_dir_all(dir.join("as")).unwrap();
    let mut seg = String::from("# generated\n# for avfit tests\n# YTID, start_seconds, end_seconds, positive_labels\n");
    for i in 0..1200 {
        let ytid = format!("g{:010}", i);
        let mut labels = Vec::new();
        let mut names = HashSet::new();
        for (name, _, mid, _) in CLASSES {
            if rng.below(3) == 0 {
                labels.push(mid);
                names.insert(name.to_string());
            }
        }
        if labels.is_empty() {
            labels.push("/m/09x0r");
        }
        seg.push_str(&format!("{ytid}, 30.000, 40.000, \"{}\"\n", labels.join(",")));
        truth.clip_classes.insert(format!("{ytid}_30000"), names);
    }
    std::fs::write(dir.join("as/unbalanced_train_segments.csv"), seg).unwrap();

    std::fs::create_dir_all(dir.join("st")).unwrap();
    let mut tsv = String::from("segment_id\tstart_time_seconds\tend_time_seconds\tlabel\n");
    for i in 0..900 {
        let key = format!("s{:010}_0", i);
        for (name, _, _, mid) in CLASSES {
            if rng.below(3) != 0 {
                continue;
            }
            for _ in 0..1 + rng.below(3) {
                let start = (rng.below(90) as f64) / 10.0;
                let end = (start + 0.5 + rng.below(40) as f64 / 10.0).min(10.0);
                let (start, end) = (format!("{start:.3}"), format!("{end:.3}"));
                tsv.push_str(&format!("{key}\t{start}\t{end}\t{mid}\n"));
                // The truth is what the file says, not the unrounded sum.
                let event = [start.parse().unwrap(), end.parse().unwrap()];
                truth
                    .events
                    .entry(key.clone())
                    .or_default()
                    .entry(name.to_string())
                    .or_default()
                    .push(event);
            }
        }
    }
    std::fs::write(dir.join("st/audioset_train_strong.tsv"), tsv).unwrap();
    truth
}

fn iou(a: [f64; 4], b: [f64; 4]) -> f64 {
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let area = |r: [f64; 4]| (r[2] - r[0]) * (r[3] - r[1]);
    w * h / (area(a) + area(b) - w * h)
}

fn group(s: &Value, prefix: &str) -> String {
    s["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap())
        .find(|g| g.starts_with(prefix))
        .unwrap()
        .to_string()
}

fn image_of(s: &Value) -> String {
    s["image"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .trim_end_matches(".jpg")
        .to_string()
}

fn clip_of(s: &Value) -> String {
    s["audio"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .trim_end_matches(".wav")
        .to_string()
}

#[test]
fn generated_inputs_pair_deterministically_without_leakage_and_with_valid_negatives() {
    let tmp = common::tempdir().unwrap();
    let truth = generate(tmp.path());
    let (oi, audioset, strong) = (tmp.path().join("oi"), tmp.path().join("as"), tmp.path().join("st"));

    // Same seed twice: identical bytes; another seed: other pairs, the same boxes.
    let a = out_dir("curated-generated-a");
    let b = out_dir("curated-generated-b");
    let c = out_dir("curated-generated-seed7");
    convert("openimages_audioset", &[&oi, &audioset], &a, &[]);
    convert("openimages_audioset", &[&oi, &audioset], &b, &[]);
    convert("openimages_audioset", &[&oi, &audioset], &c, &["--seed", "7"]);
    let files = |d: &Path| {
        walk(d)
            .into_iter()
            .map(|p| (p.strip_prefix(d).unwrap().to_path_buf(), std::fs::read(&p).unwrap()))
            .collect::<BTreeMap<_, _>>()
    };
    assert_eq!(files(&a), files(&b));
    let pairs = |d: &Path| {
        samples(d)
            .into_iter()
            .filter(|s| s["task"] == "arig")
            .map(|s| (s["id"].to_string(), (clip_of(&s), s["target"].clone())))
            .collect::<BTreeMap<_, _>>()
    };
    let (pa, pc) = (pairs(&a), pairs(&c));
    assert!(pa.len() > 500, "{} pairs", pa.len());
    let changed = pa
        .iter()
        .filter(|(id, (clip, _))| pc.get(*id).is_some_and(|(other, _)| other != clip))
        .count();
    assert!(
        changed > pa.len() / 4,
        "only {changed} of {} pairs changed with the seed",
        pa.len()
    );
    for (id, (_, target)) in &pa {
        if let Some((_, other)) = pc.get(id) {
            assert_eq!(target, other);
        }
    }

    let all = samples(&a);
    // No image and no clip in both splits.
    let mut split_of: HashMap<String, String> = HashMap::new();
    for s in &all {
        for g in s["groups"].as_array().unwrap() {
            let previous = split_of
                .entry(g.as_str().unwrap().to_string())
                .or_insert(s["split"].as_str().unwrap().to_string());
            assert_eq!(previous.as_str(), s["split"].as_str().unwrap(), "{g} in both splits");
        }
    }
    // ARIG: every box of the class; a clip of the class with no other visible class.
    for s in all.iter().filter(|s| s["task"] == "arig") {
        let label = s["target"]["label"].as_str().unwrap();
        let boxes = &truth.boxes[&image_of(s)];
        assert_eq!(s["target"]["boxes"].as_array().unwrap().len(), boxes[label].len());
        let clip = &truth.clip_classes[&clip_of(s)];
        assert!(clip.contains(label));
        assert!(boxes.keys().filter(|c| *c != label).all(|c| !clip.contains(c)), "{s}");
    }
    // AVFC per type: balanced verdicts, valid negatives.
    let mut verdicts: BTreeMap<u64, (i64, i64)> = BTreeMap::new();
    for s in all.iter().filter(|s| s["task"] == "avfc") {
        let t = &s["target"];
        let (kind, verdict, label) = (
            t["type"].as_u64().unwrap(),
            t["verdict"].as_bool().unwrap(),
            t["label"].as_str().unwrap(),
        );
        let entry = verdicts.entry(kind).or_default();
        if verdict {
            entry.0 += 1
        } else {
            entry.1 += 1
        }
        assert_eq!(s["answer"], if verdict { "True" } else { "False" });
        match (kind, verdict) {
            (1, false) => assert!(!truth.clip_classes[&clip_of(s)].contains(label), "{s}"),
            (2, false) => assert!(!truth.boxes[&image_of(s)].contains_key(label), "{s}"),
            (4, false) => {
                let shown: Vec<f64> = serde_json::from_value(t["boxes"][0].clone()).unwrap();
                for own in &truth.boxes[&image_of(s)][label] {
                    assert!(iou([shown[0], shown[1], shown[2], shown[3]], *own) < 0.1, "{s}");
                }
            }
            _ => {}
        }
    }
    assert_eq!(verdicts.keys().copied().collect::<Vec<_>>(), vec![1, 2, 4]);
    for (kind, (t, f)) in &verdicts {
        assert!((t - f).abs() <= 1 && t + f > 100, "type {kind}: {t} true, {f} false");
    }
    // ... and within each split.
    let mut per_split: BTreeMap<(u64, String), i64> = BTreeMap::new();
    for s in all.iter().filter(|s| s["task"] == "avfc") {
        let lead = per_split
            .entry((
                s["target"]["type"].as_u64().unwrap(),
                s["split"].as_str().unwrap().to_string(),
            ))
            .or_default();
        *lead += if s["target"]["verdict"] == true { 1 } else { -1 };
    }
    assert!(per_split.values().all(|lead| lead.abs() <= 1), "{per_split:?}");
    // The same inputs in another order pair the same way.
    std::fs::create_dir_all(tmp.path().join("as2")).unwrap();
    let text = std::fs::read_to_string(audioset.join("unbalanced_train_segments.csv")).unwrap();
    let (head, body): (Vec<&str>, Vec<&str>) = text.lines().partition(|l| l.starts_with('#'));
    let (first, second) = body.split_at(body.len() / 2);
    std::fs::write(
        tmp.path().join("as2/a_unbalanced_train_segments.csv"),
        format!("{}\n{}\n", head.join("\n"), second.join("\n")),
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("as2/b_balanced_train_segments.csv"),
        format!("{}\n{}\n", head.join("\n"), first.join("\n")),
    )
    .unwrap();
    let reordered = out_dir("curated-generated-reordered");
    convert("openimages_audioset", &[&oi, &tmp.path().join("as2")], &reordered, &[]);
    assert_eq!(pairs(&reordered), pa);

    // Strong: IGATL segments are the merged events; type-3 negatives overlap no event of the class.
    let st = out_dir("curated-generated-strong");
    convert("openimages_audioset_strong", &[&oi, &strong], &st, &[]);
    let (mut t3, mut f3) = (0, 0);
    for s in samples(&st) {
        let label = s["target"]["label"].as_str().unwrap();
        let events = &truth.events[&clip_of(&s)][label];
        if s["task"] == "avfc" {
            let shown: Vec<f64> = serde_json::from_value(s["target"]["segments"][0].clone()).unwrap();
            let overlaps = events.iter().any(|e| e[0] < shown[1] && shown[0] < e[1]);
            if s["target"]["verdict"] == true {
                t3 += 1;
                assert!(overlaps);
            } else {
                f3 += 1;
                assert!(!overlaps, "{s}");
            }
        } else {
            let total: f64 = s["target"]["segments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g[1].as_f64().unwrap() - g[0].as_f64().unwrap())
                .sum();
            let longest = events.iter().map(|e| e[1] - e[0]).fold(0.0, f64::max);
            assert!(
                total >= longest - 1e-9 && total <= events.iter().map(|e| e[1] - e[0]).sum::<f64>() + 1e-9,
                "{s}"
            );
        }
    }
    assert!((t3 - f3 as i64).abs() <= 1 && t3 > 50, "type 3: {t3} true, {f3} false");

    // --exclude-groups: those clips are never drawn for train.
    let test_clips: Vec<String> = all
        .iter()
        .filter(|s| s["split"] == "train")
        .take(20)
        .map(|s| group(s, "yt:"))
        .collect();
    let list = tmp.path().join("exclude.txt");
    // A bare YouTube id counts as `yt:<id>`.
    let lines: Vec<String> = test_clips
        .iter()
        .enumerate()
        .map(|(i, g)| {
            if i % 2 == 0 {
                g.clone()
            } else {
                g.trim_start_matches("yt:").to_string()
            }
        })
        .collect();
    std::fs::write(&list, lines.join("\n")).unwrap();
    let ex = out_dir("curated-generated-exclude");
    let m = convert(
        "openimages_audioset",
        &[&oi, &audioset],
        &ex,
        &["--exclude-groups", list.to_str().unwrap()],
    );
    let excluded: HashSet<&String> = test_clips.iter().collect();
    assert!(samples(&ex)
        .iter()
        .filter(|s| s["split"] == "train")
        .all(|s| !excluded.contains(&group(s, "yt:"))));
    assert!(skipped(&m, "openimages_audioset")["reserved_group"] >= 1);
}

#[test]
fn a_build_never_draws_a_direct_test_clip_for_train() {
    // aaaaaaaaaaa is a VGG-SS (test) clip in the sample; make it a VGGSound clip of the dog too.
    let tmp = common::tempdir().unwrap();
    let data = common::data("");
    let manifest = tmp.path().join("m.toml");
    std::fs::write(
        tmp.path().join("vggsound.csv"),
        "aaaaaaaaaaa,10,dog barking,train\nAAAAAAAAAA5,30,dog barking,train\n",
    )
    .unwrap();
    std::fs::write(
        &manifest,
        format!(
            "[[source]]\nname = \"openimages_vggsound\"\ninputs = [\"{}\", \"vggsound.csv\"]\ntest_fraction = 0.0\n\n[[source]]\nname = \"vggss\"\ninputs = [\"{}\"]\n",
            data.join("openimages").display(),
            data.join("vggss").display()
        ),
    )
    .unwrap();
    let out = out_dir("curated-build-reserved");
    let run = common::build(&manifest, &out);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    check_output(&out);
    let curated: Vec<Value> = samples(&out)
        .into_iter()
        .filter(|s| s["source"] == "openimages_vggsound")
        .collect();
    assert!(!curated.is_empty());
    assert!(
        curated.iter().all(|s| group(s, "yt:") == "yt:AAAAAAAAAA5"),
        "a test clip was drawn for train"
    );
    let m: Value = serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(skipped(&m, "openimages_vggsound")["reserved_group"], 1);
}

#[test]
fn the_class_map_checks_against_label_files() {
    let tmp = common::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("class-descriptions-boxable.csv"),
        "/m/0bt9lr,Dog\n/m/01yrx,Cat\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("class_labels_indices.csv"),
        "index,mid,display_name\n0,/m/05tny_,\"Bark\"\n",
    )
    .unwrap();
    std::fs::write(tmp.path().join("vggsound.csv"), "x,1,dog barking,train\n").unwrap();
    let classes = tmp.path().join("classes.toml");
    std::fs::write(
        &classes,
        "[[class]]\nname = \"Dog\"\nopenimages = \"/m/0bt9lr\"\naudioset = [\"/m/05tny_\", \"/m/nope\"]\nvggsound = [\"dog barking\"]\n\n[[class]]\nname = \"Kat\"\nopenimages = \"/m/01yrx\"\nvggsound = [\"cat meowing\"]\n",
    )
    .unwrap();
    let run = avfit(&[
        "classes",
        "--check",
        "--labels",
        tmp.path().to_str().unwrap(),
        "--classes",
        classes.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&run.stdout);
    let problems: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("checked against")).collect();
    let dir = tmp.path().display();
    // A renamed display name (same MID) is a note, not a problem: the map joins on MIDs.
    assert_eq!(
        problems,
        vec![
            format!("Dog: AudioSet label `/m/nope` is not in {dir}/class_labels_indices.csv"),
            "no mid_to_display_name.tsv found: AudioSet Strong labels not checked".to_string(),
            format!("Kat: VGGSound label `cat meowing` is not in {dir}/vggsound.csv"),
            format!("note: Kat: /m/01yrx is named `Cat` in {dir}/class-descriptions-boxable.csv (the map joins on MIDs; samples show `Cat`)"),
            format!("{}: 2 classes, 3 problems, 1 notes", classes.display()),
        ]
    );
    // The shipped class map against the complete real label lists.
    if let Some(labels) = common::real_data("labels") {
        let run = avfit_ok(&["classes", "--check", "--labels", labels.to_str().unwrap()]);
        assert!(String::from_utf8_lossy(&run.stdout).ends_with("classes, 0 problems, 0 notes\n"));
        let count: usize = String::from_utf8_lossy(&run.stdout)
            .lines()
            .last()
            .unwrap()
            .split(": ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(count >= 80, "{count} classes");
    }
}

#[test]
fn renamed_open_images_v7_display_names_are_notes() {
    let Some(labels) = common::real_data("labels") else {
        return;
    };
    // The Open Images V7 class list beside the audio label lists, under its native name.
    let tmp = common::tempdir().unwrap();
    let v7 = tmp.path().join("oidv7-class-descriptions-boxable.csv");
    std::fs::copy(labels.join("oidv7-class-descriptions-boxable.RECONSTRUCTED.csv"), &v7).unwrap();
    for name in [
        "class_labels_indices.csv",
        "mid_to_display_name.tsv",
        "vggsound_stat.csv",
    ] {
        std::fs::copy(labels.join(name), tmp.path().join(name)).unwrap();
    }
    let classes = common::repo().join("manifests/classes.toml");
    let run = avfit_ok(&[
        "classes",
        "--check",
        "--labels",
        tmp.path().to_str().unwrap(),
        "--classes",
        classes.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("checked against")).collect();
    let note = |name: &str, mid: &str, v7_name: &str| {
        format!(
            "note: {name}: {mid} is named `{v7_name}` in {} (the map joins on MIDs; samples show `{v7_name}`)",
            v7.display()
        )
    };
    assert_eq!(
        lines,
        vec![
            note("Airplane", "/m/0cmf2", "Fixed-wing aircraft"),
            note("Ball", "/m/018xm", "Ball (Object)"),
            note("Drill", "/m/01d380", "Drill (Tool)"),
            note("Horn", "/m/0319l", "French horn"),
            note("Maracas", "/m/0xzly", "Maraca"),
            note("Organ", "/m/013y1f", "Organ (Musical Instrument)"),
            note("Ratchet", "/m/02bm9n", "Ratchet (Device)"),
            note("Volleyball", "/m/02rgn06", "Volleyball (Ball)"),
            format!("{}: 121 classes, 0 problems, 8 notes", classes.display()),
        ]
    );
}

#[test]
fn audio_label_lists_are_inputs_checked_against_the_class_map() {
    let tmp = common::tempdir().unwrap();
    let data = common::data("");
    let classes = tmp.path().join("classes.toml");
    std::fs::write(
        &classes,
        "[[class]]\nname = \"Dog\"\nopenimages = \"/m/0bt9lr\"\naudioset = [\"/m/0bt9lr\", \"/m/05tny_\"]\n\
         audioset_strong = [\"/m/0bt9lr\", \"/m/05tny_\"]\n\n\
         [[class]]\nname = \"Cat\"\nopenimages = \"/m/01yrx\"\naudioset = [\"/m/01yrx\", \"/m/07qrkrw\"]\n\
         audioset_strong = [\"/m/01yrx\", \"/m/07qrkrw\"]\n",
    )
    .unwrap();
    let map = ["--classes", classes.to_str().unwrap()];
    // AudioSet as distributed: the segments file beside class_labels_indices.csv.
    let audioset = tmp.path().join("audioset");
    std::fs::create_dir_all(&audioset).unwrap();
    std::fs::copy(
        data.join("audioset/balanced_train_segments.csv"),
        audioset.join("balanced_train_segments.csv"),
    )
    .unwrap();
    let indices = audioset.join("class_labels_indices.csv");
    std::fs::write(
        &indices,
        "index,mid,display_name\n0,/m/09x0r,\"Speech\"\n1,/m/05tny_,\"Bark\"\n2,/m/0bt9lr,\"Dog\"\n\
         3,/m/01yrx,\"Cat\"\n4,/m/07qrkrw,\"Meow\"\n",
    )
    .unwrap();
    let oi = data.join("openimages");
    let segments = audioset.join("balanced_train_segments.csv");
    let reference = out_dir("curated-label-list-reference");
    let expected = convert("openimages_audioset", &[&oi, &segments], &reference, &map);
    // Named, or found in the directory: read, checked, and no unit of its own.
    let named: [&Path; 3] = [&oi, &segments, &indices];
    let in_dir: [&Path; 2] = [&oi, &audioset];
    for (name, inputs) in [("named", &named[..]), ("dir", &in_dir[..])] {
        let out = out_dir(&format!("curated-label-list-{name}"));
        let got = convert("openimages_audioset", inputs, &out, &map);
        assert_eq!(got["sources"], expected["sources"], "{name}");
        assert_eq!(samples(&out), samples(&reference), "{name}");
    }
    assert_eq!(expected["sources"]["openimages_audioset"]["read"], 30);

    // A MID of the map absent from the list stops the run at once, naming the class.
    std::fs::write(
        &indices,
        "index,mid,display_name\n0,/m/09x0r,\"Speech\"\n1,/m/05tny_,\"Bark\"\n2,/m/0bt9lr,\"Dog\"\n3,/m/01yrx,\"Cat\"\n",
    )
    .unwrap();
    let out = out_dir("curated-label-list-unknown");
    let stderr = avfit_fails(&[
        "convert",
        "--source",
        "openimages_audioset",
        "--input",
        oi.to_str().unwrap(),
        "--input",
        audioset.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--classes",
        classes.to_str().unwrap(),
    ]);
    assert_eq!(
        stderr,
        format!(
            "avfit: {}: class `Cat` of {}: AudioSet MID `/m/07qrkrw` is not in this file\n",
            indices.display(),
            classes.display()
        )
    );
    assert!(!out.join("manifest.json").exists());

    // AudioSet Strong: mid_to_display_name.tsv (no header, MID TAB name); two MIDs absent.
    let strong = tmp.path().join("strong");
    std::fs::create_dir_all(&strong).unwrap();
    std::fs::copy(
        data.join("audioset_strong/audioset_eval_strong.tsv"),
        strong.join("audioset_eval_strong.tsv"),
    )
    .unwrap();
    let names = strong.join("mid_to_display_name.tsv");
    std::fs::write(
        &names,
        "/m/0bt9lr\tDog\n/m/05tny_\tBark\n/m/01yrx\tCat\n/m/07qrkrw\tMeow\n",
    )
    .unwrap();
    let events = strong.join("audioset_eval_strong.tsv");
    let reference = out_dir("curated-strong-list-reference");
    let expected = convert("openimages_audioset_strong", &[&oi, &events], &reference, &map);
    let out = out_dir("curated-strong-list-dir");
    let got = convert("openimages_audioset_strong", &[&oi, &strong], &out, &map);
    assert_eq!(got["sources"], expected["sources"]);
    assert_eq!(samples(&out), samples(&reference));
    std::fs::write(&names, "/m/0bt9lr\tDog\n/m/05tny_\tBark\n").unwrap();
    let out = out_dir("curated-strong-list-unknown");
    let stderr = avfit_fails(&[
        "convert",
        "--source",
        "openimages_audioset_strong",
        "--input",
        oi.to_str().unwrap(),
        "--input",
        names.to_str().unwrap(),
        "--input",
        events.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--classes",
        classes.to_str().unwrap(),
    ]);
    assert_eq!(
        stderr,
        format!(
            "avfit: {}: class `Cat` of {}: AudioSet Strong MID `/m/01yrx` is not in this file (2 of the map's MIDs are not)\n",
            names.display(),
            classes.display()
        )
    );
    // Each list belongs to its own row: AudioSet's is not an input of the strong row.
    let stderr = avfit_fails(&[
        "convert",
        "--source",
        "openimages_audioset_strong",
        "--input",
        indices.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(
        stderr.starts_with(&format!(
            "avfit: {}: not a file that source `openimages_audioset_strong` reads",
            indices.display()
        )),
        "{}",
        stderr
    );
}

#[test]
fn curated_rows_of_one_build_with_different_test_fractions_do_not_leak() {
    let data = common::data("");
    let out = common::build_manifest(
        "curated-build-two-fractions",
        &format!(
            "[[source]]\nname = \"openimages_audioset\"\ninputs = [\"{oi}\", \"{audioset}\"]\ntest_fraction = 0.5\n\n\
             [[source]]\nname = \"openimages_vggsound\"\ninputs = [\"{oi}\", \"{vggsound}\"]\ntest_fraction = 0.0\n",
            oi = data.join("openimages").display(),
            audioset = data.join("audioset").display(),
            vggsound = data.join("vggsound").display()
        ),
    );
    check_output(&out);
    let mut split_of: HashMap<String, String> = HashMap::new();
    for s in samples(&out) {
        for g in s["groups"].as_array().unwrap() {
            let previous = split_of
                .entry(g.as_str().unwrap().to_string())
                .or_insert(s["split"].as_str().unwrap().to_string());
            assert_eq!(previous.as_str(), s["split"].as_str().unwrap(), "{g} in both splits");
        }
    }
    let m: Value = serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    // The vggsound row (all train) leaves out the boxes of images the audioset row put in test.
    assert!(skipped(&m, "openimages_vggsound")["reserved_group"] > 0);
}

#[test]
fn bad_rows_of_the_large_formats_are_rejected_at_their_lines() {
    let tmp = common::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("class-descriptions-boxable.csv"),
        "/m/0bt9lr,Dog\r/m/01yrx,Cat\r",
    )
    .unwrap();
    // CRLF: line numbers count every ending. Line 3 is short, line 4 reversed.
    std::fs::write(
        dir.join("test-annotations-bbox.csv"),
        "ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax\r\nimg1,x,/m/0bt9lr,1,0.1,0.5,0.2,0.9\r\nimg2,x\r\nimg3,x,/m/0bt9lr,1,0.5,0.1,0.2,0.9\r\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("eval_segments.csv"),
        "# a\n# b\n# YTID, start_seconds, end_seconds, positive_labels\nDDDDDDDDDDD, NaN, 10.000, \"/m/05tny_\"\nEEEEEEEEEEE, 30.000, 20.000, \"/m/05tny_\"\nFFFFFFFFFFF, 0.000, 10.000, /m/05tny_\n",
    )
    .unwrap();
    let out = out_dir("curated-bad-rows");
    avfit_ok(&[
        "convert",
        "--source",
        "openimages_audioset",
        "--input",
        dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    let r: Vec<(String, String, u64)> = rejects(&out)
        .iter()
        .map(|r| {
            let file = r["file"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
            (
                file,
                r["reason"].as_str().unwrap().to_string(),
                r["line"].as_u64().unwrap(),
            )
        })
        .collect();
    // The audio side is read first, then the images stream.
    let expected = [
        ("eval_segments.csv", "malformed_field", 4),
        ("eval_segments.csv", "malformed_field", 5),
        ("test-annotations-bbox.csv", "missing_field", 3),
        ("test-annotations-bbox.csv", "reversed_box", 4),
    ];
    assert_eq!(
        r,
        expected.map(|(f, why, l)| (f.to_string(), why.to_string(), l)).to_vec()
    );
    // The unquoted single label is read: the dog clip FFFFFFFFFFF pairs with img1.
    let dog = sample(&out, "openimages_audioset/img1/Dog/arig");
    assert_eq!(dog["audio"], "audioset/audios/FFFFFFFFFFF_0.wav");

    // A malformed row in a CR-only class description file stops the run at its line.
    std::fs::write(
        dir.join("class-descriptions-boxable.csv"),
        "/m/0bt9lr,Dog\r/m/01yrx,Cat\rbad\r",
    )
    .unwrap();
    let stderr = avfit_fails(&[
        "convert",
        "--source",
        "openimages_audioset",
        "--input",
        dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    let expected = format!(
        "avfit: {}:3: expected `MID,DisplayName`\n",
        dir.join("class-descriptions-boxable.csv").display()
    );
    assert_eq!(stderr, expected);
    // --split is not for curated rows.
    let stderr = avfit_fails(&[
        "convert",
        "--source",
        "openimages_audioset",
        "--input",
        dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--split",
        "test",
    ]);
    assert!(stderr.starts_with("avfit: --split does not apply to openimages_audioset"));
}

#[test]
fn type_3_claims_follow_the_wav_duration() {
    let media = common::tempdir().unwrap();
    for clip in [
        "AAAAAAAAAA8_30000",
        "AAAAAAAAAA9_0",
        "AAAAAAAAAB1_10000",
        "BBBBBBBBBB8_0",
        "BBBBBBBBBB9_20000",
        "CCCCCCCCCC8_0",
        "CCCCCCCCCC9_50000",
    ] {
        common::write_wav(
            &media.path().join(format!("audioset_strong/audios/{clip}.wav")),
            1000,
            8000,
        );
    }
    let data = common::data("");
    let out = out_dir("curated-strong-wav");
    let root = media.path().to_str().unwrap();
    convert(
        "openimages_audioset_strong",
        &[&data.join("openimages"), &data.join("audioset_strong")],
        &out,
        &["--test-fraction", "0.5", "--media-root", root],
    );
    // BBBBBBBBBB8_0 (8 s): Cat at [0.5, 1.5) and [6, 8); the longest window without it is [1.5, 6).
    let cat = sample(&out, "openimages_audioset_strong/0009c8d9e0f1a2b3/Cat/avfc/3");
    assert_eq!(cat["target"]["segments"], json!([[1.5, 6.0]]));
    for s in samples(&out) {
        assert_eq!(s["target"]["duration"], 8.0, "{s}");
        for g in s["target"]["segments"].as_array().unwrap() {
            assert!(g[1].as_f64().unwrap() <= 8.0, "{s}");
        }
    }
}

/// Converts `inputs` as `source` into `out` (300 records a shard) on `pool` rayon threads, with
/// the environment variable `knob.0` set to `knob.1` (removed when `None`); every file of `out`
/// by its relative path.
fn convert_with_env(
    source: &str,
    inputs: &[std::path::PathBuf],
    out: &Path,
    knob: (&str, Option<&str>),
    pool: &str,
) -> BTreeMap<std::path::PathBuf, Vec<u8>> {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_avfit"));
    command.args(["convert", "--source", source]);
    for input in inputs {
        command.arg("--input").arg(input);
    }
    command
        .arg("--out")
        .arg(out)
        .args(["--records-per-shard", "300", "--quiet"])
        .env("RAYON_NUM_THREADS", pool)
        .current_dir(common::repo());
    match knob.1 {
        Some(value) => command.env(knob.0, value),
        None => command.env_remove(knob.0),
    };
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    walk(out)
        .into_iter()
        .map(|p| (p.strip_prefix(out).unwrap().to_path_buf(), std::fs::read(&p).unwrap()))
        .collect()
}

/// The curated rows pair their images in batches (split, hashes and records on rayon's pool,
/// draws in file order): batches of 1 and 7 images on one or four pool threads give the bytes of
/// the default batch, with human-verified absent labels (type-2 negatives drawn from the window
/// of recent images across batch ends) and with AudioSet Strong.
#[test]
fn pairing_in_batches_gives_the_bytes_of_one_batch() {
    let tmp = common::tempdir().unwrap();
    generate(tmp.path());
    let oi = tmp.path().join("oi");
    // Every third image: the classes it has no box of verified absent (Confidence 0).
    let bbox = std::fs::read_to_string(oi.join("train-annotations-bbox.csv")).unwrap();
    let mut labels = String::from("ImageID,Source,LabelName,Confidence\n");
    let mut images: Vec<(&str, HashSet<&str>)> = Vec::new();
    for row in bbox.lines().skip(1) {
        let mut fields = row.split(',');
        let (image, mid) = (fields.next().unwrap(), fields.nth(1).unwrap());
        match images.last_mut() {
            Some((last, mids)) if *last == image => {
                mids.insert(mid);
            }
            _ => images.push((image, HashSet::from([mid]))),
        }
    }
    for (image, mids) in images.iter().step_by(3) {
        for (_, mid, _, _) in CLASSES.iter().filter(|c| !mids.contains(c.1)) {
            labels.push_str(&format!("{image},verification,{mid},0\n"));
        }
    }
    std::fs::write(oi.join("train-annotations-human-imagelabels-boxable.csv"), labels).unwrap();
    let run = |source: &str, audio: &str, name: &str, batch: Option<&str>, pool: &str| {
        let out = out_dir(name);
        let inputs = [oi.clone(), tmp.path().join(audio)];
        convert_with_env(source, &inputs, &out, ("AVFIT_PAIR_BATCH_IMAGES", batch), pool)
    };
    for (source, audio) in [("openimages_audioset", "as"), ("openimages_audioset_strong", "st")] {
        let whole = run(source, audio, &format!("{source}-batch-default"), None, "1");
        // media.csv lists every path the shards name, once: the catalog passes over the media the
        // pairing marks as named by an earlier record, never the first record's.
        let media = String::from_utf8(whole[Path::new("media.csv")].clone()).unwrap();
        let listed: Vec<&str> = media
            .lines()
            .skip(1)
            .map(|row| row.split(',').next().unwrap())
            .collect();
        assert!(
            listed.windows(2).all(|w| w[0] < w[1]),
            "{source}: media.csv not sorted and unique"
        );
        let dir = common::repo().join(format!("target/test-outputs/{source}-batch-default"));
        let named: HashSet<String> = samples(&dir)
            .iter()
            .flat_map(|s| {
                [
                    s["image"].as_str().unwrap().to_string(),
                    s["audio"].as_str().unwrap().to_string(),
                ]
            })
            .collect();
        let listed: HashSet<String> = listed.into_iter().map(str::to_string).collect();
        assert_eq!(listed, named, "{source}: media.csv is not the shards' paths");
        for (batch, pool) in [("1", "1"), ("7", "4"), ("7", "1")] {
            let name = format!("{source}-batch-{batch}-pool-{pool}");
            assert!(
                run(source, audio, &name, Some(batch), pool) == whole,
                "{source}: batches of {batch} on {pool} threads differ from one batch"
            );
        }
        if source == "openimages_audioset" {
            // Type-2 negatives were drawn, each an image verified to lack the class.
            let dir = common::repo().join(format!("target/test-outputs/{source}-batch-default"));
            let negatives: Vec<Value> = samples(&dir)
                .into_iter()
                .filter(|s| s["id"].as_str().unwrap().ends_with("/avfc/2") && s["target"]["verdict"] == false)
                .collect();
            assert!(negatives.len() > 100, "{} type-2 negatives", negatives.len());
            let absent: HashSet<(String, String)> = images
                .iter()
                .step_by(3)
                .flat_map(|(image, mids)| {
                    CLASSES
                        .iter()
                        .filter(|c| !mids.contains(c.1))
                        .map(|c| (image.to_string(), c.0.to_string()))
                })
                .collect();
            for s in &negatives {
                let pair = (image_of(s), s["target"]["label"].as_str().unwrap().to_string());
                assert!(absent.contains(&pair), "{s}");
            }
        }
    }
}

/// The AudioSet segments CSV and the AudioSet Strong TSV are parsed in chunks on every core:
/// cut into chunks of 200 bytes (about three rows) on four threads, each gives the bytes of the
/// default read, with a row of a bad clip id and a row that is not UTF-8 in later chunks rejected
/// at their own lines.
#[test]
fn chunked_audio_label_reading_gives_the_bytes_of_the_default_read() {
    let tmp = common::tempdir().unwrap();
    generate(tmp.path());
    let oi = tmp.path().join("oi");
    for (source, file, bad_row, bad_line, latin1_line) in [
        (
            "openimages_audioset",
            "as/unbalanced_train_segments.csv",
            "not an id!, 30.000, 40.000, \"/m/068hy\"",
            900,
            1100,
        ),
        (
            "openimages_audioset_strong",
            "st/audioset_train_strong.tsv",
            "not an id!\t", // the segment id replaced, the row's mapped MID kept
            700,
            1300,
        ),
    ] {
        let labels = tmp.path().join(file);
        let text = std::fs::read(&labels).unwrap();
        let mut lines: Vec<Vec<u8>> = text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
        assert!(lines.len() > latin1_line, "{file}: {} lines", lines.len());
        lines[bad_line - 1] = match bad_row.strip_suffix('\t') {
            Some(id) => {
                let row = String::from_utf8(lines[bad_line - 1].clone()).unwrap();
                format!("{id}\t{}", row.split_once('\t').unwrap().1).into_bytes()
            }
            None => bad_row.as_bytes().to_vec(),
        };
        lines[latin1_line - 1][5] = 0xe9; // a Latin-1 byte in the YouTube id
        std::fs::write(&labels, lines.join(&b'\n')).unwrap();
        let run = |name: &str, chunk: Option<&str>, pool: &str| {
            let out = out_dir(&format!("{source}-{name}"));
            let inputs = [oi.clone(), labels.clone()];
            let files = convert_with_env(source, &inputs, &out, ("AVFIT_READ_CHUNK_BYTES", chunk), pool);
            (out, files)
        };
        let (whole_dir, whole) = run("chunks-default", None, "1");
        let (_, chunked) = run("chunks-200", Some("200"), "4");
        assert_eq!(whole.keys().collect::<Vec<_>>(), chunked.keys().collect::<Vec<_>>());
        for (path, bytes) in &whole {
            assert!(chunked[path] == *bytes, "{source}: {} differs", path.display());
        }
        let name = file.rsplit('/').next().unwrap();
        let label_rejects: Vec<(u64, String)> = rejects(&whole_dir)
            .into_iter()
            .filter(|r| r["file"].as_str().unwrap().ends_with(name))
            .map(|r| (r["line"].as_u64().unwrap(), r["reason"].as_str().unwrap().to_string()))
            .collect();
        assert_eq!(
            label_rejects,
            [
                (bad_line as u64, "bad_clip_id".to_string()),
                (latin1_line as u64, "malformed_field".to_string())
            ],
            "{source}"
        );
    }
}

/// VGGSound's CSV is parsed in chunks on every core: cut into chunks of 200 bytes (about five
/// rows; and 64 and 333) on four threads, it gives the bytes of the default read. The file holds
/// quoted labels with a comma (Car's `"vehicle horn, car horn, honking"`), a stray `"` in an
/// unquoted label followed by a quoted label that holds a line end (both unmapped: skipped, one
/// row each), and in later chunks a bad id, a start that is not a number and a row that is not
/// UTF-8, rejected at their own lines (the quoted line end moves the later lines down by one).
#[test]
fn chunked_vggsound_reading_gives_the_bytes_of_the_default_read() {
    let tmp = common::tempdir().unwrap();
    generate(tmp.path());
    let mut csv = Vec::new();
    for i in 0..90u32 {
        let row = match i {
            30 => "v0000000030,3,dog \"barking,train\n".to_string(),
            31 => "v0000000031,4,\"cat\nmeowing\",train\n".to_string(),
            50 => "not an id!,5,dog barking,train\n".to_string(),
            60 => "v0000000060,x5,dog barking,train\n".to_string(),
            70 => "v0000000070,1,dog b\u{e9}rking,train\n".to_string(),
            80 => "v0000000080,2,people marching,test\n".to_string(),
            _ => {
                let label = [
                    "dog barking",
                    "\"vehicle horn, car horn, honking\"",
                    "cat meowing",
                    "horse neighing",
                ];
                format!(
                    "v{i:010},{},{},{}\n",
                    i % 30,
                    label[i as usize % 4],
                    ["train", "test"][i as usize % 2]
                )
            }
        };
        csv.extend_from_slice(row.as_bytes());
    }
    let e_acute = csv.windows(2).position(|w| w == "é".as_bytes()).unwrap();
    csv.splice(e_acute..e_acute + 2, [0xe9]); // Latin-1
    let vggsound = tmp.path().join("vggsound.csv");
    std::fs::write(&vggsound, &csv).unwrap();
    let run = |name: &str, chunk: Option<&str>, pool: &str| {
        let out = out_dir(&format!("openimages_vggsound-{name}"));
        let inputs = [tmp.path().join("oi"), vggsound.clone()];
        let files = convert_with_env(
            "openimages_vggsound",
            &inputs,
            &out,
            ("AVFIT_READ_CHUNK_BYTES", chunk),
            pool,
        );
        (out, files)
    };
    let (whole_dir, whole) = run("chunks-default", None, "1");
    for size in ["200", "64", "333"] {
        let (_, chunked) = run(&format!("chunks-{size}"), Some(size), "4");
        assert_eq!(whole.keys().collect::<Vec<_>>(), chunked.keys().collect::<Vec<_>>());
        for (path, bytes) in &whole {
            assert!(
                chunked[path] == *bytes,
                "chunks of {size} bytes: {} differs",
                path.display()
            );
        }
    }
    let label_rejects: Vec<(u64, String)> = rejects(&whole_dir)
        .into_iter()
        .filter(|r| r["file"].as_str().unwrap().ends_with("vggsound.csv"))
        .map(|r| (r["line"].as_u64().unwrap(), r["reason"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        label_rejects,
        [
            (52, "bad_clip_id".to_string()),
            (62, "malformed_field".to_string()),
            (72, "malformed_field".to_string())
        ]
    );
    // 90 rows (the quoted line end inside one), 3 rejected, 3 unmapped (the stray quote, the
    // quoted line end, `people marching`) beside the 1,500 Table boxes of the Open Images file.
    let boxes = std::fs::read_to_string(tmp.path().join("oi/train-annotations-bbox.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    let m: Value = serde_json::from_slice(&whole[Path::new("manifest.json")]).unwrap();
    let stats = &m["sources"]["openimages_vggsound"];
    assert_eq!(
        (stats["read"].as_u64(), stats["rejected"].as_u64()),
        (Some(boxes as u64 + 90), Some(3))
    );
    assert_eq!(
        skipped(&m, "openimages_vggsound"),
        BTreeMap::from([("class_not_in_map".to_string(), 1503)])
    );
    // Car's clips are the rows of the quoted label with commas (every fourth from row 1).
    let mut car_clips = HashSet::new();
    for s in samples(&whole_dir).iter().filter(|s| s["target"]["label"] == "Car") {
        car_clips.insert(group(s, "yt:"));
    }
    assert!(!car_clips.is_empty());
    assert!(
        car_clips.iter().all(|g| g[4..].parse::<u32>().unwrap() % 4 == 1),
        "{car_clips:?}"
    );
}

/// A curated row whose bbox file breaks the sort order near its end stops the run with the path
/// and the line, read on a thread of its own as every source is (the rows before it were paired
/// and planned), and no shard is left under a final name without its journal line.
#[test]
fn a_curated_row_that_fails_midway_names_its_line() {
    let tmp = common::tempdir().unwrap();
    generate(tmp.path());
    let oi = tmp.path().join("oi");
    let bbox = oi.join("train-annotations-bbox.csv");
    let text = std::fs::read_to_string(&bbox).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    // The first box row moved to the end: its ImageID comes after the file's last one.
    let first = lines.remove(1);
    lines.push(first);
    std::fs::write(&bbox, lines.join("\n") + "\n").unwrap();
    let out = out_dir("curated-unsorted-midway");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_avfit"))
        .args(["convert", "--source", "openimages_audioset", "--input"])
        .arg(&oi)
        .arg("--input")
        .arg(tmp.path().join("as"))
        .arg("--out")
        .arg(&out)
        .args(["--records-per-shard", "300", "--quiet"])
        .current_dir(common::repo())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    // The error names the moved row's line and id, and the last image gathered before it: the
    // image of the file's last row of a mapped class (rows of /m/04bcr3 are skipped).
    let first_image = first.split(',').next().unwrap();
    let mapped = |line: &&&str| CLASSES.iter().any(|c| line.split(',').nth(2) == Some(c.1));
    let after = lines[..lines.len() - 1]
        .iter()
        .rev()
        .find(mapped)
        .unwrap()
        .split(',')
        .next()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        format!(
            "avfit: {}:{}: ImageID {first_image} after {after}: expected the rows sorted by ImageID, as Open Images distributes them (sort the file by its first column)\n",
            bbox.display(),
            lines.len(),
        )
    );
    // The shards completed before the error are kept for --resume, each with its journal line;
    // no partial file and no manifest is left.
    let journal = std::fs::read_to_string(out.join("build.journal")).unwrap_or_default();
    let left: Vec<String> = common::walk(&out)
        .into_iter()
        .map(|p| p.strip_prefix(&out).unwrap().display().to_string())
        .collect();
    let shards: Vec<&String> = left.iter().filter(|p| p.ends_with(".jsonl")).collect();
    assert!(!shards.is_empty(), "{left:?}");
    for shard in shards {
        assert!(
            journal.contains(&format!("\"path\":\"{shard}\"")),
            "{shard} without a journal line: {journal}"
        );
    }
    assert!(
        left.iter().all(|p| !p.ends_with(".partial") && p != "manifest.json"),
        "{left:?}"
    );
}
