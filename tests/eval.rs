//! `avfit eval`: the captioning code against pycocoevalcap's own output (golden files made with
//! Java by bench/eval_golden.py), and the command on built corpora.

mod common;

use avfit::eval::caption::{self, Clip};
use avfit::eval::ptb;
use std::path::PathBuf;

fn golden(name: &str) -> PathBuf {
    common::data("eval").join(name)
}

/// The Java PTB tokenizer's output (pycocoevalcap 1.2) on every caption of the real VALOR slices,
/// EVAL.md's examples and a few extra sentences, recorded once in tests/data/eval/ptb_golden.jsonl.
#[test]
fn native_tokenizer_equals_java_ptb_on_golden_file() {
    let text = std::fs::read_to_string(golden("ptb_golden.jsonl")).unwrap();
    let mut n = 0;
    let mut wrong = Vec::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let (input, want) = (v["text"].as_str().unwrap(), v["tokens"].as_str().unwrap());
        let got = ptb::tokenize(input);
        if got != want {
            wrong.push(format!("{input:?}\n  java: {want}\n  ours: {got}"));
        }
        n += 1;
    }
    assert!(n >= 118, "{n}");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The golden file covers every caption of the real slices (so it cannot go stale silently).
#[test]
fn golden_file_covers_every_real_valor_caption() {
    let Some(dir) = common::real_data("valor") else { return };
    let golden = std::fs::read_to_string(golden("ptb_golden.jsonl")).unwrap();
    let known: std::collections::HashSet<String> = golden
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let items: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            for item in items {
                let desc = item["desc"].as_str().unwrap();
                assert!(
                    known.contains(desc),
                    "{} caption not in the golden file: {desc:?}",
                    path.display()
                );
                count += 1;
            }
        }
    }
    assert!(count > 100, "{count}");
}

/// The clips of a golden corpus, tokenized natively.
fn clips_of(corpus: &serde_json::Value) -> Vec<Clip> {
    corpus["clips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Clip {
            candidate: ptb::tokenize(c["cand"].as_str().unwrap()),
            references: c["refs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| ptb::tokenize(r.as_str().unwrap()))
                .collect(),
        })
        .collect()
}

fn assert_scores(clips: &[Clip], want: &serde_json::Value, per_clip: &serde_json::Value) {
    let s = caption::score(clips);
    let close = |name: &str, got: f64| {
        let w = want[name].as_f64().unwrap();
        assert!(
            (got - w).abs() <= 1e-12 * w.abs(),
            "{name}: ours {got:?}, pycocoevalcap {w:?}"
        );
    };
    for (i, b) in s.bleu.iter().enumerate() {
        close(&format!("bleu{}", i + 1), *b);
    }
    close("rouge_l", s.rouge_l);
    let per: Vec<f64> = per_clip
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(per.len(), s.cider_per_clip.len());
    for (i, (a, b)) in s.cider_per_clip.iter().zip(per).enumerate() {
        assert!(
            (a - b).abs() <= 1e-12 * b.abs().max(1e-300),
            "per-clip CIDEr of clip {i}: {a:?} vs {b:?}"
        );
    }
    close("cider", s.cider);
}

/// BLEU-1..4, ROUGE-L and CIDEr-D equal pycocoevalcap's on generated corpora of 200 and 317
/// clips with 1-5 references (golden values in tests/data/eval/caption_golden.json).
#[test]
fn caption_scores_equal_pycocoevalcap_golden() {
    let g: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(golden("caption_golden.json")).unwrap()).unwrap();
    let corpora = g["corpora"].as_array().unwrap();
    assert_eq!(corpora.len(), 2);
    for corpus in corpora {
        let clips = clips_of(corpus);
        assert!(clips.len() >= 200);
        assert!(clips.iter().all(|c| (1..=5).contains(&c.references.len())));
        assert_scores(&clips, &corpus["scores"], &corpus["per_clip_cider"]);
    }
}

/// The interpreter with pycocoevalcap and Java (`AVFIT_PYTHON`, set by `.ci/run` to the venv),
/// or `None` with a visible skip (a failure under `AVFIT_REQUIRE_JAVA=1`).
fn python_with_java(test: &str) -> Option<String> {
    common::require_tool(test, "JAVA", || {
        let python = std::env::var("AVFIT_PYTHON").ok()?;
        let ok = |cmd: &mut std::process::Command| cmd.output().ok().is_some_and(|o| o.status.success());
        (ok(std::process::Command::new("java").arg("-version"))
            && ok(std::process::Command::new(&python).args(["-c", "import pycocoevalcap.meteor.meteor"])))
        .then_some(python)
    })
}

/// METEOR through the jar equals pycocoevalcap's on the golden corpora.
#[test]
fn meteor_through_the_jar_equals_pycocoevalcap() {
    let Some(_python) = python_with_java("meteor_through_the_jar_equals_pycocoevalcap") else {
        return;
    };
    let jar = avfit::eval::meteor::find_jar(None).unwrap();
    let g: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(golden("caption_golden.json")).unwrap()).unwrap();
    let corpus = &g["corpora"][0];
    let got = avfit::eval::meteor::meteor(&jar, &clips_of(corpus)).unwrap().unwrap();
    let want = corpus["scores"]["meteor"].as_f64().unwrap();
    assert!((got - want).abs() <= 1e-12 * want, "{got:?} vs {want:?}");
}

/// Live, where Java and pycocoevalcap are installed (CI): a newly generated corpus of 250 clips
/// with 1-5 references, scored by pycocoevalcap (bench/eval_golden.py) and natively.
#[test]
fn caption_scores_equal_pycocoevalcap_live() {
    use rand::{Rng, SeedableRng};
    let Some(python) = python_with_java("caption_scores_equal_pycocoevalcap_live") else {
        return;
    };
    let words = "a the man woman's dog cat can't won't car (bird) child music plays sings barks, talks; on in \
                 with while and room outside grass red black-and-white loud softly piano guitar... drum engine \
                 roars people crowd cheers! water flows? wind blows two 3 small big street house gonna it's";
    let words: Vec<&str> = words.split_whitespace().collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2024);
    let sentence = |rng: &mut rand_chacha::ChaCha8Rng| {
        let n = rng.gen_range(1..=15);
        let mut s: Vec<&str> = (0..n).map(|_| words[rng.gen_range(0..words.len())]).collect();
        if rng.gen_bool(0.5) {
            s.push(".");
        }
        s.join(" ").replace(" .", ".")
    };
    let mut clips = Vec::new();
    for _ in 0..250 {
        let refs: Vec<String> = (0..rng.gen_range(1..=5)).map(|_| sentence(&mut rng)).collect();
        let cand = if rng.gen_bool(0.3) {
            refs[0].clone()
        } else {
            sentence(&mut rng)
        };
        clips.push(serde_json::json!({"refs": refs, "cand": cand}));
    }
    let dir = common::tempdir().unwrap();
    let input = dir.path().join("clips.json");
    std::fs::write(&input, serde_json::json!({ "clips": clips }).to_string()).unwrap();
    let out = std::process::Command::new(python)
        .arg(common::repo().join("bench/eval_golden.py"))
        .arg("score")
        .arg(&input)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let want: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let corpus = serde_json::json!({ "clips": clips });
    assert_scores(&clips_of(&corpus), &want["scores"], &want["per_clip_cider"]);
}

// ---- the command ----

fn build_sample(name: &str) -> PathBuf {
    let out = common::out_dir(name);
    common::avfit_ok(&["build", "--out", out.to_str().unwrap(), "--quiet"]);
    out
}

fn eval_json(corpus: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    let dir = common::tempdir().unwrap();
    let json = dir.path().join("eval.json");
    let mut args = vec![
        "eval",
        corpus.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "--no-meteor",
    ];
    args.extend_from_slice(extra);
    common::avfit_ok(&args);
    serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap()
}

/// `--oracle` on the sample build: ARIG cIoU@0.5 1, AVFC and AVQA accuracy 1, IGATL F1 1 on LLP
/// (its targets lie on the 1-decimal grid), captioning BLEU within 1e-9 of 1 and CIDEr-D 10 (two
/// clips whose candidates equal their only reference: cosine 1 at every n).
#[test]
fn oracle_on_the_sample_build() {
    let corpus = build_sample("eval-sample");
    let r = eval_json(&corpus, &["--oracle"]);
    let m = &r["metrics"];
    assert_eq!(m["arig"]["ciou50"], 1.0);
    for key in [
        "avfc",
        "avqa",
        "avqa/music_avqa",
        "avqa/music_avqa/Audio-Visual",
        "avfc/openimages_audioset/type1",
    ] {
        assert_eq!(m[key]["accuracy"], 1.0, "{key}");
    }
    assert_eq!(m["avfc"]["f1"], 1.0);
    assert_eq!(m["avfc"]["macro_f1"], 1.0);
    assert_eq!(
        (
            m["igatl/llp"]["segment_f1"].as_f64(),
            m["igatl/llp"]["event_f1"].as_f64()
        ),
        (Some(1.0), Some(1.0))
    );
    for n in 1..=4 {
        let b = m["avc/valor"][format!("bleu{n}")].as_f64().unwrap();
        assert!((1.0 - b).abs() < 1e-9, "bleu{n} {b}");
    }
    assert_eq!(m["avc/valor"]["cider"], 10.0);
    assert_eq!(m["avc/valor"]["rouge_l"], 1.0);
    assert!(m["avc/valor"]["meteor"].is_null());
    assert!(r["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().contains("meteor unavailable")));
    let c = &r["coverage"]["arig"];
    assert_eq!(
        (
            c["total"].as_u64(),
            c["predicted"].as_u64(),
            c["parsed"].as_u64(),
            c["empty_both"].as_u64()
        ),
        {
            let n = common::sample_figures().of("test", "arig");
            (Some(n), Some(n), Some(n), Some(0))
        }
    );
    // Every test sample (captioning: every clip) is in samples[], each with its own score.
    let samples = r["samples"].as_array().unwrap();
    // Captions of one clip (Clotho's five) are scored together: one entry per clip.
    let mut clips = std::collections::BTreeSet::new();
    let tests = common::samples(&corpus)
        .into_iter()
        .filter(|s| s["split"] == "test")
        .filter(|s| s["task"] != "avc" || clips.insert(s["audio"].to_string() + &s["video"].to_string()))
        .count();
    assert_eq!(samples.len(), tests);
    assert!(samples
        .iter()
        .filter(|s| s["task"] == "arig")
        .all(|s| s["score"].as_f64().unwrap() > 0.99));
}

/// Segment- and event-level F1 of one sample, computed here independently of the library.
fn igatl_f1_by_hand(pred: &[(f64, f64)], truth: &[(f64, f64)], duration: f64) -> (f64, f64) {
    let n = duration.ceil() as usize;
    let cover = |segs: &[(f64, f64)]| {
        let mut v = vec![false; n];
        for &(s, e) in segs {
            let (s, e) = (s.clamp(0.0, duration), e.clamp(0.0, duration));
            for (k, slot) in v.iter_mut().enumerate() {
                if k as f64 >= s.floor() && (k as f64) < e.ceil() {
                    *slot = true;
                }
            }
        }
        v
    };
    let (p, t) = (cover(pred), cover(truth));
    let tp = p.iter().zip(&t).filter(|(a, b)| **a && **b).count() as f64;
    let fp = p.iter().zip(&t).filter(|(a, b)| **a && !**b).count() as f64;
    let fnn = p.iter().zip(&t).filter(|(a, b)| !**a && **b).count() as f64;
    let seg = if tp + fp + fnn == 0.0 {
        1.0
    } else {
        2.0 * tp / (2.0 * tp + fp + fnn)
    };
    let runs = |v: &[bool]| {
        let mut out = Vec::new();
        let mut k = 0;
        while k < v.len() {
            if v[k] {
                let a = k;
                while k < v.len() && v[k] {
                    k += 1;
                }
                out.push((a, k));
            } else {
                k += 1;
            }
        }
        out
    };
    let (pe, te) = (runs(&p), runs(&t));
    let iou = |a: (usize, usize), b: (usize, usize)| {
        let inter = a.1.min(b.1).saturating_sub(a.0.max(b.0)) as f64;
        inter / ((a.1 - a.0 + b.1 - b.0) as f64 - inter)
    };
    let tp = pe.iter().filter(|&&a| te.iter().any(|&b| iou(a, b) >= 0.5)).count() as f64;
    let fp = pe.len() as f64 - tp;
    let fnn = te.iter().filter(|&&b| !pe.iter().any(|&a| iou(a, b) >= 0.5)).count() as f64;
    let ev = if tp + fp + fnn == 0.0 {
        1.0
    } else {
        2.0 * tp / (2.0 * tp + fp + fnn)
    };
    (seg, ev)
}

/// `--oracle` on a synth build: ARIG cIoU@0.5 1, AVFC and AVQA accuracy 1, and IGATL F1 exactly
/// what the answer's 1-decimal rounding costs, computed here from the targets.
#[test]
fn oracle_on_a_synth_build() {
    let inputs = common::out_dir("eval-synth-inputs");
    common::avfit_ok(&["synth", "--scale", "0.001", "--out", inputs.to_str().unwrap()]);
    let corpus = common::out_dir("eval-synth-build");
    common::avfit_ok(&[
        "build",
        "--manifest",
        inputs.join("manifest.toml").to_str().unwrap(),
        "--out",
        corpus.to_str().unwrap(),
        "--quiet",
    ]);
    let r = eval_json(&corpus, &["--oracle"]);
    let m = &r["metrics"];
    assert_eq!(m["arig"]["ciou50"], 1.0);
    assert_eq!(m["avfc"]["accuracy"], 1.0);
    assert_eq!(m["avqa"]["accuracy"], 1.0);
    let mut per_source: std::collections::BTreeMap<String, (f64, f64, usize)> = Default::default();
    for s in common::samples(&corpus) {
        if s["split"] != "test" || s["task"] != "igatl" {
            continue;
        }
        let duration = s["target"]["duration"].as_f64().unwrap();
        let truth: Vec<(f64, f64)> = s["target"]["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| (v[0].as_f64().unwrap(), v[1].as_f64().unwrap()))
            .collect();
        // The answer's rounding: `{:.1}` of each end, read back.
        let round = |x: f64| format!("{x:.1}").parse::<f64>().unwrap();
        let pred: Vec<(f64, f64)> = truth.iter().map(|&(a, b)| (round(a), round(b))).collect();
        let (seg, ev) = igatl_f1_by_hand(&pred, &truth, duration);
        let e = per_source.entry(s["source"].as_str().unwrap().to_string()).or_default();
        e.0 += seg;
        e.1 += ev;
        e.2 += 1;
    }
    assert!(!per_source.is_empty());
    for (source, (seg, ev, n)) in per_source {
        let key = format!("igatl/{source}");
        let got_seg = m[&key]["segment_f1"].as_f64().unwrap();
        let got_ev = m[&key]["event_f1"].as_f64().unwrap();
        assert!(
            (got_seg - seg / n as f64).abs() <= 1e-12,
            "{key}: {got_seg} vs {}",
            seg / n as f64
        );
        assert!(
            (got_ev - ev / n as f64).abs() <= 1e-12,
            "{key}: {got_ev} vs {}",
            ev / n as f64
        );
    }
}

/// A predictions file with a non-JSON line, an unknown id or a duplicate id: one line naming the
/// file and line, exit 1.
#[test]
fn bad_prediction_files_stop_with_the_line() {
    let corpus = build_sample("eval-errors");
    let dir = common::tempdir().unwrap();
    let id = "avsbench/bbbbbbbbbbb_1/arig";
    let cases = [
        (
            "nonjson",
            format!("{{\"id\": \"{id}\", \"prediction\": \"[0,0,1,1]\"}}\nnot json\n"),
            ":2: not JSON",
        ),
        (
            "unknown",
            format!(
                "{{\"id\": \"{id}\", \"prediction\": \"x\"}}\n{{\"id\": \"nope/x/arig\", \"prediction\": \"x\"}}\n"
            ),
            ":2: id `nope/x/arig` is not a sample",
        ),
        (
            "dup",
            format!("{{\"id\": \"{id}\", \"prediction\": \"x\"}}\n\n{{\"id\": \"{id}\", \"prediction\": \"y\"}}\n"),
            ":3: duplicate id",
        ),
        ("fields", "{\"id\": 3}\n".to_string(), ":1: expected {\"id\": string"),
    ];
    for (name, text, want) in cases {
        let path = dir.path().join(format!("{name}.jsonl"));
        std::fs::write(&path, text).unwrap();
        let out = common::avfit(&[
            "eval",
            corpus.to_str().unwrap(),
            "--predictions",
            path.to_str().unwrap(),
            "--no-meteor",
        ]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{name}: {err}");
        assert!(err.contains(&format!("{}{want}", path.display())), "{name}: {err}");
    }
}

/// Predictions by id: exact per-sample values, missing predictions wrong, coverage counted; a
/// Meerkat dump (absolute media paths) matched to the same samples gives the same report.
#[test]
fn predictions_by_id_and_meerkat_dump() {
    let corpus = build_sample("eval-preds");
    let samples: Vec<serde_json::Value> = common::samples(&corpus)
        .into_iter()
        .filter(|s| s["split"] == "test")
        .collect();
    // Two single-box samples of a binary source (one box: the ground truth is that rectangle).
    let arig: Vec<&serde_json::Value> = samples
        .iter()
        .filter(|s| {
            s["task"] == "arig"
                && s["source"] != "flickr_soundnet"
                && s["target"]["boxes"].as_array().unwrap().len() == 1
        })
        .take(2)
        .collect();
    let key = format!("arig/{}", arig[0]["source"].as_str().unwrap());
    let target = arig[0]["target"]["boxes"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect::<Vec<_>>();
    // The left half of the target box as 3-decimal text; cIoU of two rectangles by hand on the
    // 224-pixel grid: intersection / (target + prediction − intersection).
    let r3 = |v: f64| format!("{v:.3}").parse::<f64>().unwrap();
    let mid = (target[0] + target[2]) / 2.0;
    let pred = [r3(target[0]), r3(target[1]), r3(mid), r3(target[3])];
    let px = |v: f64| (224.0 * v).trunc();
    let area = |b: [f64; 4]| (px(b[2]) - px(b[0])) * (px(b[3]) - px(b[1]));
    let t = [target[0], target[1], target[2], target[3]];
    let inter = (px(pred[2]).min(px(t[2])) - px(pred[0]).max(px(t[0]))).max(0.0)
        * (px(pred[3]).min(px(t[3])) - px(pred[1]).max(px(t[1]))).max(0.0);
    let want = inter / (area(t) + area(pred) - inter);
    let avfc = samples.iter().find(|s| s["task"] == "avfc").unwrap();
    let wrong = if avfc["target"]["verdict"] == true {
        "No, it is true."
    } else {
        "Yes"
    };
    let lines = [
        serde_json::json!({"id": arig[0]["id"], "prediction": format!("The dog is at [<dog>,{},{},{},{}].", pred[0], pred[1], pred[2], pred[3])}),
        serde_json::json!({"id": arig[1]["id"], "prediction": "[0.1,0.2,0.3]"}),
        serde_json::json!({"id": avfc["id"], "prediction": wrong}),
    ];
    let dir = common::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    std::fs::write(&path, lines.iter().map(|l| l.to_string() + "\n").collect::<String>()).unwrap();
    let r = eval_json(&corpus, &["--predictions", path.to_str().unwrap()]);
    let score = |id: &serde_json::Value| {
        r["samples"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == *id)
            .unwrap()["score"]
            .as_f64()
            .unwrap()
    };
    let got = score(&arig[0]["id"]);
    assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    assert_eq!(score(&arig[1]["id"]), 0.0);
    assert_eq!(score(&avfc["id"]), 0.0);
    let c = &r["coverage"]["arig"];
    assert_eq!(
        (c["total"].as_u64(), c["predicted"].as_u64(), c["parsed"].as_u64()),
        (Some(common::sample_figures().of("test", "arig")), Some(2), Some(1))
    );
    assert_eq!(r["coverage"]["avqa"]["predicted"], 0);
    assert_eq!(r["metrics"]["avqa"]["accuracy"], 0.0);
    let n = r["coverage"][&key]["total"].as_f64().unwrap();
    let mean = r["samples"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["task"] == "arig" && key.ends_with(s["source"].as_str().unwrap()))
        .map(|s| s["score"].as_f64().unwrap())
        .sum::<f64>()
        / n;
    assert!((r["metrics"][&key]["mean_ciou"].as_f64().unwrap() - mean).abs() < 1e-12);

    // The same predictions as Meerkat's dump, media as absolute paths.
    let outputs: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| {
            let s = samples.iter().find(|s| s["id"] == l["id"]).unwrap();
            let abs = |v: &serde_json::Value| v.as_str().map(|p| format!("/data/media/{p}"));
            serde_json::json!({"image_dir": abs(&s["image"]), "audio_dir": abs(&s["audio"]),
                "instruction": s["instruction"], "input": s["input"], "output": l["prediction"], "gt": s["answer"]})
        })
        .collect();
    let dump = dir.path().join("dump.json");
    std::fs::write(&dump, serde_json::json!({ "outputs": outputs }).to_string()).unwrap();
    let d = eval_json(&corpus, &["--predictions", dump.to_str().unwrap()]);
    assert_eq!(d["metrics"], r["metrics"]);
    assert_eq!(d["samples"], r["samples"]);

    // Both files as a Windows editor saves them: a byte order mark first, CRLF line ends.
    let bom_lines = dir.path().join("bom.jsonl");
    let crlf: String = lines.iter().map(|l| l.to_string() + "\r\n").collect();
    std::fs::write(&bom_lines, format!("\u{feff}{crlf}")).unwrap();
    let bom_dump = dir.path().join("bom-dump.json");
    std::fs::write(
        &bom_dump,
        format!("\u{feff}{}", serde_json::json!({ "outputs": outputs })),
    )
    .unwrap();
    for path in [bom_lines, bom_dump] {
        let b = eval_json(&corpus, &["--predictions", path.to_str().unwrap()]);
        assert_eq!(b["metrics"], r["metrics"], "{}", path.display());
        assert_eq!(b["samples"], r["samples"], "{}", path.display());
    }
}

/// `eval --html`'s page (`eval::html::page`), byte for byte where it is text: the split and
/// dialect, the table in `<pre>`, then per task in name order its worst samples by ascending
/// score (at most 12 of 13 here; ties keep corpus order), scores with 4 decimals, "(none)" for a
/// missing prediction, `<`, `>`, `&` and `"` escaped; no picture without a media root.
#[test]
fn eval_html_page_lists_each_tasks_worst_samples() {
    use avfit::eval::run::{Evaluation, Scored};
    let unit = |id: &str, task: &str, score: f64, prediction: Option<&str>, answer: &str| Scored {
        id: id.into(),
        task: task.into(),
        source: "s".into(),
        score,
        predicted: prediction.is_some(),
        parsed: prediction.is_some(),
        prediction: prediction.map(str::to_string),
        answer: answer.into(),
        boxes: None,
        event_f1: None,
        verdict: None,
        extra_keys: Vec::new(),
        references: Vec::new(),
    };
    // avqa first in corpus order (a tie at 0.5 between "q1" and "q2"), then 13 arig units "a13"
    // to "a1" scored 0.13 down to 0.01: "a13", the best, is left out.
    let mut scored = vec![
        unit("q1", "avqa", 0.5, Some("<b>&\"yes\""), "no"),
        unit("q2", "avqa", 0.5, None, "yes"),
        unit("q3", "avqa", 0.0, Some("two"), "three"),
    ];
    for i in 1..=13 {
        let score = f64::from(14 - i) / 100.0;
        scored.push(unit(
            &format!("a{}", 14 - i),
            "arig",
            score,
            Some("[0.1,0.2,0.3,0.4]"),
            "[<dog>,0.1,0.2,0.3,0.4]",
        ));
    }
    let report = serde_json::json!({
        "split": "test",
        "dialect": "meerkat<x>",
        "metrics": {"avqa": {"accuracy": 0.5}},
        "coverage": {"avqa": {"total": 3, "predicted": 2, "parsed": 2}},
    });
    let page = avfit::eval::html::page(&Evaluation { report, scored }, None);
    // The table by hand: names padded to 40 columns, figures right-aligned in 11, x100 to 2
    // decimals, then the coverage, and a blank line after the task.
    let pad = |n: usize| " ".repeat(n);
    let table = format!(
        "avqa (x100){}{}accuracy   coverage (total/predicted/parsed)\navqa{}{}50.00   3/2/2\n\n",
        pad(29),
        pad(3),
        pad(36),
        pad(6)
    );
    let head = "<th>id</th><th>score</th><th>prediction</th><th>answer</th><th>image</th></tr>";
    let row = |id: &str, score: &str, pred: &str, answer: &str| {
        format!("<tr><td>{id}</td><td>{score}</td><td class=\"pred\">{pred}</td><td class=\"true\">{answer}</td><td></td></tr>")
    };
    let mut want = format!("<p>split test, dialect meerkat&lt;x&gt;; figures x100</p><pre>{table}</pre>");
    want += &format!("<h2>arig: worst 12 samples</h2><table><tr>{head}");
    for i in 1..=12 {
        want += &row(
            &format!("a{i}"),
            &format!("0.{i:02}00"),
            "[0.1,0.2,0.3,0.4]",
            "[&lt;dog&gt;,0.1,0.2,0.3,0.4]",
        );
    }
    want += &format!("</table><h2>avqa: worst 3 samples</h2><table><tr>{head}");
    want += &row("q3", "0.0000", "two", "three");
    want += &row("q1", "0.5000", "&lt;b&gt;&amp;&quot;yes&quot;", "no");
    want += &row("q2", "0.5000", "(none)", "yes");
    want += "</table></body></html>\n";
    let body = page.split_once("<h1>avfit eval</h1>").expect("the page's heading").1;
    assert_eq!(body, want);
    assert!(
        page.starts_with("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>avfit eval</title>")
    );
}
