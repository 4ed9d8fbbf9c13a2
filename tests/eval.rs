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
