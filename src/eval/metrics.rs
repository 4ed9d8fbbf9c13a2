//! Per-sample and dataset metrics of ARIG, IGATL, AVFC and AVQA, exactly as ../shared/EVAL.md
//! describes them and their reference code computes them.
//!
//! * ARIG: hche11/Localizing-Visual-Sounds-the-Hard-Way `utils.py` (`Evaluator.cal_CIOU`,
//!   `testset_gt`) and `test.py` (cIoU@0.5, AUC by `sklearn.metrics.auc`).
//! * IGATL: YapengTian/AVVP-ECCV20 `utils/eval_metrics.py`, on the queried class only and a
//!   1-second grid (EVAL.md's choice).
//! * AVFC and AVQA: no reference; EVAL.md's choices.

use crate::eval::caption::numpy_sum;

/// Side of the square maps boxes are rasterized on, in pixels.
pub const MAP_SIDE: i64 = 224;

/// Pixel edges `[X0, Y0, X1, Y1]` of a normalized box: `trunc(224 * max(v, 0))`, capped at 224
/// (numpy slicing clamps ends past the map).
pub fn pixel_box(b: &[f64; 4]) -> [i64; 4] {
    b.map(|v| ((MAP_SIDE as f64 * v.max(0.0)).trunc() as i64).min(MAP_SIDE))
}

/// How a sample's target boxes make its ground-truth map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Truth {
    /// The union of the boxes, pixels 0 or 1 (VGG-SS, PASCAL Sound, AVSBench, curated rows).
    Binary,
    /// Flickr-SoundNet's annotators: each box filled with 1, summed, halved, capped at 1.
    Consensus,
}

/// cIoU of predicted `pred` against target `truth` boxes (normalized `[x0,y0,x1,y1]`) on the
/// 224 x 224 map: `Σ P·G / (Σ G + Σ P·[G = 0])`, `None` when both maps are empty (the
/// reference's NaN; scored 0 and counted as `empty_both`).
///
/// Areas are counted exactly on the cells the box edges cut the map into, so the sums are the
/// reference's pixel sums without drawing the map.
pub fn ciou(pred: &[[f64; 4]], truth: &[[f64; 4]], kind: Truth) -> Option<f64> {
    let p: Vec<[i64; 4]> = pred
        .iter()
        .map(pixel_box)
        .filter(|b| b[0] < b[2] && b[1] < b[3])
        .collect();
    let g: Vec<[i64; 4]> = truth
        .iter()
        .map(pixel_box)
        .filter(|b| b[0] < b[2] && b[1] < b[3])
        .collect();
    let mut xs: Vec<i64> = p.iter().chain(&g).flat_map(|b| [b[0], b[2]]).collect();
    let mut ys: Vec<i64> = p.iter().chain(&g).flat_map(|b| [b[1], b[3]]).collect();
    xs.sort_unstable();
    xs.dedup();
    ys.sort_unstable();
    ys.dedup();
    // Sums in halves (consensus pixels are 0, 0.5 or 1): exact integers.
    let (mut inter, mut g_sum, mut p_out) = (0i64, 0i64, 0i64);
    for xw in xs.windows(2) {
        for yw in ys.windows(2) {
            let (x, y) = (xw[0], yw[0]);
            let inside = |b: &&[i64; 4]| b[0] <= x && x < b[2] && b[1] <= y && y < b[3];
            let area = (xw[1] - xw[0]) * (yw[1] - yw[0]);
            let covered = p.iter().any(|b| inside(&b));
            let count = g.iter().filter(inside).count() as i64;
            let halves = match kind {
                Truth::Binary => 2 * count.min(1),
                Truth::Consensus => count.min(2),
            };
            g_sum += area * halves;
            if covered {
                inter += area * halves;
                if halves == 0 {
                    p_out += area * 2;
                }
            }
        }
    }
    let denominator = g_sum + p_out;
    (denominator > 0).then(|| inter as f64 / denominator as f64)
}

/// Dataset figures of ARIG from per-sample cIoUs (fractions, as the reference computes them).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ArigScores {
    /// `(1/N) Σ [c ≥ 0.5]`.
    pub ciou50: f64,
    /// Area under the success curve at thresholds `0.05 k`, k = 0..20 (`sklearn.metrics.auc`).
    pub auc: f64,
    /// Mean cIoU.
    pub mean_ciou: f64,
}

/// cIoU@0.5, AUC and mean cIoU of per-sample `cious` (`None` for an empty set).
///
/// AUC: `y_k = (1/N) Σ [c ≥ 0.05 k]` (thresholds as f64 products, so 0.15000000000000002),
/// then numpy's trapezoid `Σ (x_{k+1} − x_k)(y_k + y_{k+1})/2` in numpy's summation order.
pub fn arig_scores(cious: &[f64]) -> Option<ArigScores> {
    if cious.is_empty() {
        return None;
    }
    let n = cious.len() as f64;
    let share = |t: f64| cious.iter().filter(|&&c| c >= t).count() as f64 / n;
    let x: Vec<f64> = (0..21).map(|k| 0.05 * f64::from(k)).collect();
    let y: Vec<f64> = x.iter().map(|&t| share(t)).collect();
    let terms: Vec<f64> = (0..20).map(|k| (x[k + 1] - x[k]) * (y[k + 1] + y[k]) / 2.0).collect();
    Some(ArigScores {
        ciou50: share(0.5),
        auc: numpy_sum(&terms),
        mean_ciou: numpy_sum(cious) / n,
    })
}

/// The 1-second slots of a clip of `duration` seconds (`ceil(duration)` of them) that
/// `segments` cover: `[s, e]` clamped to `[0, duration]` covers `floor(s)` to `ceil(e) − 1`.
pub fn slots(segments: &[[f64; 2]], duration: f64) -> Vec<bool> {
    let n = duration.max(0.0).ceil() as usize;
    let mut out = vec![false; n];
    for s in segments {
        let (a, b) = (s[0].clamp(0.0, duration), s[1].clamp(0.0, duration));
        let from = a.floor() as usize;
        let to = (b.ceil() as usize).min(n);
        for slot in out.iter_mut().take(to).skip(from) {
            *slot = true;
        }
    }
    out
}

/// Segment-level F1 of one sample: `2TP / (2TP + FP + FN)` over the slots, 1 when both are empty.
pub fn segment_f1(pred: &[bool], truth: &[bool]) -> f64 {
    let (mut tp, mut fp, mut fnn) = (0u32, 0u32, 0u32);
    for (p, t) in pred.iter().zip(truth) {
        match (p, t) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fnn += 1,
            _ => {}
        }
    }
    f1(tp, fp, fnn)
}

/// `2TP / (2TP + FP + FN)`, 1 when all are 0.
fn f1(tp: u32, fp: u32, fnn: u32) -> f64 {
    if tp + fp + fnn == 0 {
        1.0
    } else {
        f64::from(2 * tp) / f64::from(2 * tp + fp + fnn)
    }
}

/// The maximal runs of covered slots, as `[first, last]` slot indices.
fn events(slots: &[bool]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, &s) in slots.iter().chain([&false]).enumerate() {
        match (s, start) {
            (true, None) => start = Some(i),
            (false, Some(a)) => {
                out.push((a, i - 1));
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// Event-level F1 of one sample: a predicted event is a true positive when some target event has
/// slot IoU ≥ 0.5, else a false positive; an unmatched target event is a false negative; 1 when
/// both are empty.
pub fn event_f1(pred: &[bool], truth: &[bool]) -> f64 {
    let (pe, te) = (events(pred), events(truth));
    let iou = |a: (usize, usize), b: (usize, usize)| {
        let inter = (a.1.min(b.1) + 1).saturating_sub(a.0.max(b.0));
        let union = (a.1 - a.0 + 1) + (b.1 - b.0 + 1) - inter;
        inter as f64 / union as f64
    };
    let mut matched = vec![false; te.len()];
    let (mut tp, mut fp) = (0, 0);
    for &p in &pe {
        let mut hit = false;
        for (j, &t) in te.iter().enumerate() {
            if iou(p, t) >= 0.5 {
                matched[j] = true;
                hit = true;
            }
        }
        if hit {
            tp += 1;
        } else {
            fp += 1;
        }
    }
    let fnn = matched.iter().filter(|m| !**m).count() as u32;
    f1(tp, fp, fnn)
}

/// The verdict of an AVFC answer: the first whole word (case-insensitive) among `true`, `false`,
/// `yes`, `no` (`yes` = true, `no` = false), or `None` when there is none.
pub fn avfc_verdict(text: &str) -> Option<bool> {
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        match word.to_ascii_lowercase().as_str() {
            "true" | "yes" => return Some(true),
            "false" | "no" => return Some(false),
            _ => {}
        }
    }
    None
}

/// AVFC figures (fractions).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AvfcScores {
    /// Binary F1 with True as the positive class (0 when undefined).
    pub f1: f64,
    /// Mean of the True-class and False-class F1 over the classes present in gold or prediction.
    pub macro_f1: f64,
    /// Share of correct verdicts.
    pub accuracy: f64,
}

/// AVFC figures of (gold, predicted) pairs; a missing verdict (`None`) is wrong: a false negative
/// of its gold class and a prediction of neither class. `None` for an empty set.
pub fn avfc_scores(pairs: &[(bool, Option<bool>)]) -> Option<AvfcScores> {
    if pairs.is_empty() {
        return None;
    }
    let class_f1 = |class: bool| {
        let tp = pairs.iter().filter(|(g, p)| *g == class && *p == Some(class)).count() as f64;
        let fp = pairs.iter().filter(|(g, p)| *g != class && *p == Some(class)).count() as f64;
        let fnn = pairs.iter().filter(|(g, p)| *g == class && *p != Some(class)).count() as f64;
        let present = pairs.iter().any(|(g, p)| *g == class || *p == Some(class));
        let f = if tp + fp + fnn == 0.0 {
            0.0
        } else {
            2.0 * tp / (2.0 * tp + fp + fnn)
        };
        (f, present)
    };
    let (t, t_present) = class_f1(true);
    let (f, f_present) = class_f1(false);
    let present: Vec<f64> = [(t, t_present), (f, f_present)]
        .into_iter()
        .filter(|x| x.1)
        .map(|x| x.0)
        .collect();
    let correct = pairs.iter().filter(|(g, p)| Some(*g) == *p).count() as f64;
    Some(AvfcScores {
        f1: t,
        macro_f1: present.iter().sum::<f64>() / present.len() as f64,
        accuracy: correct / pairs.len() as f64,
    })
}

/// An answer normalized for matching: lower-case, underscores read as spaces, whitespace
/// collapsed, trimmed, a leading `the answer is` or `answer:` dropped, trailing `.`, `!`, `?`
/// stripped.
pub fn normalize_answer(text: &str) -> String {
    let lower = text.to_lowercase().replace('_', " ");
    let mut s = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    for prefix in ["the answer is", "answer:"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest.trim().to_string();
            break;
        }
    }
    s.trim_end_matches(['.', '!', '?']).trim().to_string()
}

/// `text` trimmed, without a leading `the answer is` or `answer:` (any case), its case kept: so
/// `Answer: D` picks option D as `D` does (an upper-case letter is an option, a lower-case `a` the
/// article).
fn without_answer_prefix(text: &str) -> &str {
    let t = text.trim();
    for prefix in ["the answer is", "answer:"] {
        if t.len() >= prefix.len() && t.is_char_boundary(prefix.len()) && t[..prefix.len()].eq_ignore_ascii_case(prefix)
        {
            return t[prefix.len()..].trim();
        }
    }
    t
}

/// Whether an AVQA prediction answers correctly: for multiple choice (`choices` with the answer
/// at `answer_index`), an exact normalized match of an option; else a bare letter `A`-`D` or
/// number `1`-`4` (optionally with `.` or in parentheses) picking that option; else the one option
/// whose words occur in the prediction as whole words (none or several: wrong). Open-ended: the
/// normalized texts are equal.
pub fn avqa_correct(prediction: &str, answer: &str, choices: Option<&[String]>, answer_index: Option<usize>) -> bool {
    let pred = normalize_answer(prediction);
    let Some(options) = choices else {
        return pred == normalize_answer(answer);
    };
    let want = answer_index.or_else(|| {
        options
            .iter()
            .position(|o| normalize_answer(o) == normalize_answer(answer))
    });
    let normalized: Vec<String> = options.iter().map(|o| normalize_answer(o)).collect();
    if let Some(i) = normalized.iter().position(|o| *o == pred) {
        return Some(i) == want;
    }
    if let Some(i) = option_letter(without_answer_prefix(prediction)) {
        return i < options.len() && Some(i) == want;
    }
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    let pw = words(&pred);
    let hits: Vec<usize> = normalized
        .iter()
        .enumerate()
        .filter(|(_, o)| {
            let ow = words(o);
            !ow.is_empty() && pw.windows(ow.len()).any(|w| w == ow.as_slice())
        })
        .map(|(i, _)| i)
        .collect();
    hits.len() == 1 && Some(hits[0]) == want
}

/// `A`..`D` or `1`..`4`, optionally followed by `.` or in parentheses, as an option index.
fn option_letter(text: &str) -> Option<usize> {
    let inner = text
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .or_else(|| text.strip_suffix('.'))
        .unwrap_or(text);
    match inner {
        "A" | "1" => Some(0),
        "B" | "2" => Some(1),
        "C" | "3" => Some(2),
        "D" | "4" => Some(3),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() <= 1e-12 * b.abs(), "{a:?} vs {b:?}");
    }

    /// EVAL.md's cIoU examples.
    #[test]
    fn ciou_worked_examples() {
        let q = [0.25, 0.25, 0.75, 0.75];
        assert_eq!(ciou(&[q], &[q], Truth::Binary), Some(1.0));
        assert_eq!(
            ciou(&[[0.5, 0.5, 1.0, 1.0]], &[q], Truth::Binary),
            Some(3136.0 / 21952.0)
        );
        close(
            ciou(&[[0.5, 0.5, 1.0, 1.0]], &[q], Truth::Binary).unwrap(),
            0.14285714285714285,
        );
        assert_eq!(
            ciou(&[[0.0, 0.0, 0.5, 0.5]], &[[0.0, 0.0, 1.0, 1.0]], Truth::Binary),
            Some(0.25)
        );
        assert_eq!(
            ciou(
                &[[0.0, 0.0, 0.5, 0.5]],
                &[[0.0, 0.0, 0.5, 0.5], [0.5, 0.5, 1.0, 1.0]],
                Truth::Binary
            ),
            Some(0.5)
        );
        let t = [0.3, 0.3, 0.7, 0.7];
        assert_eq!(pixel_box(&t), [67, 67, 156, 156]);
        assert_eq!(ciou(&[t], &[t], Truth::Binary), Some(1.0));
        // Empty both: None (scored 0 and counted); an empty prediction against a box: 0.
        assert_eq!(ciou(&[], &[[0.5, 0.5, 0.501, 0.501]], Truth::Binary), None);
        assert_eq!(ciou(&[], &[q], Truth::Binary), Some(0.0));
        // Out-of-range and reversed predictions: clamped, or nothing filled.
        assert_eq!(
            ciou(&[[-0.5, -0.5, 2.0, 2.0]], &[[0.0, 0.0, 1.0, 1.0]], Truth::Binary),
            Some(1.0)
        );
        assert_eq!(ciou(&[[0.75, 0.75, 0.25, 0.25]], &[q], Truth::Binary), Some(0.0));
    }

    /// Flickr-SoundNet consensus: two annotators agree on the left half, one marks the right
    /// half too: G = 1 on the left (2 votes, /2), 0.5 on the right (1 vote).
    #[test]
    fn ciou_consensus_map() {
        let left = [0.0, 0.0, 0.5, 1.0];
        let all = [0.0, 0.0, 1.0, 1.0];
        // P = whole map: Σ P·G = 112*224*1 + 112*224*0.5, Σ G the same, P·[G=0] = 0 → 1.
        assert_eq!(ciou(&[all], &[left, all], Truth::Consensus), Some(1.0));
        // P = left half: Σ P·G = 112*224, Σ G = 112*224*1.5 → 2/3.
        assert_eq!(ciou(&[left], &[left, all], Truth::Consensus), Some(2.0 / 3.0));
        // One annotator only: G = 0.5 on its box: P on it gives 0.5*A / 0.5*A = 1.
        assert_eq!(ciou(&[left], &[left], Truth::Consensus), Some(1.0));
    }

    #[test]
    fn dataset_worked_examples() {
        let s = arig_scores(&[1.0, 1.0 / 7.0, 0.6, 0.0]).unwrap();
        assert_eq!(s.ciou50, 0.5);
        close(s.auc, 0.43125);
        // numpy's order gives exactly these bits.
        assert_eq!(s.auc, 0.43125000000000013);
        close(s.mean_ciou, (1.0 + 1.0 / 7.0 + 0.6) / 4.0);
        let zero = arig_scores(&[0.0]).unwrap();
        assert_eq!((zero.ciou50, zero.auc), (0.0, 0.025));
        close(zero.auc, 0.025);
        let one = arig_scores(&[1.0]).unwrap();
        assert_eq!((one.ciou50, one.auc), (1.0, 1.0));
        // A sample at exactly 0.15 fails the threshold 0.15000000000000002.
        let at = arig_scores(&[0.15]).unwrap();
        close(at.auc, 0.05 * 3.0 - 0.025);
        assert!(arig_scores(&[]).is_none());
    }

    #[test]
    fn igatl_worked_examples() {
        let s = |v: &[[f64; 2]]| slots(v, 10.0);
        let cases: [(&[[f64; 2]], &[[f64; 2]], f64, f64); 6] = [
            (&[[4.0, 8.0]], &[[2.0, 6.0]], 0.5, 0.0),
            (&[[2.0, 6.0]], &[[2.0, 6.0]], 1.0, 1.0),
            (&[], &[], 1.0, 1.0),
            (&[[0.0, 10.0]], &[], 0.0, 0.0),
            (&[[3.0, 6.0]], &[[2.0, 6.0]], 0.8571428571428571, 1.0),
            (&[[2.0, 4.0]], &[[2.0, 6.0]], 0.6666666666666666, 1.0),
        ];
        for (pred, truth, seg, ev) in cases {
            assert_eq!(segment_f1(&s(pred), &s(truth)), seg, "{pred:?} {truth:?}");
            assert_eq!(event_f1(&s(pred), &s(truth)), ev, "{pred:?} {truth:?}");
        }
        // sed_eval's rule: [2.5, 5.2] covers slots 2..=5; clamped to the clip.
        assert_eq!(
            slots(&[[2.5, 5.2], [9.5, 12.0]], 10.0),
            [false, false, true, true, true, true, false, false, false, true]
        );
        assert_eq!(slots(&[[0.0, 7.5]], 7.5).len(), 8);
    }

    #[test]
    fn avfc_worked_example_and_verdicts() {
        let t = Some(true);
        let f = Some(false);
        let s = avfc_scores(&[(true, f), (true, f), (true, f), (false, f)]).unwrap();
        assert_eq!((s.f1, s.macro_f1, s.accuracy), (0.0, 0.2, 0.25));
        let s = avfc_scores(&[(true, t), (false, None)]).unwrap();
        // True: TP 1 → 1; False: FN 1 → 0; both present → macro 0.5.
        assert_eq!((s.f1, s.macro_f1, s.accuracy), (1.0, 0.5, 0.5));
        assert_eq!(avfc_verdict("No, it is true"), Some(false));
        assert_eq!(avfc_verdict("The claim is TRUE."), Some(true));
        assert_eq!(avfc_verdict("Yes."), Some(true));
        assert_eq!(avfc_verdict("Nothing is untrue here"), None);
        assert_eq!(avfc_verdict(""), None);
    }

    #[test]
    fn avqa_matching() {
        let opts: Vec<String> = ["piano", "no", "one", "the violin"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let o = Some(opts.as_slice());
        assert!(avqa_correct("Piano.", "piano", o, Some(0)));
        assert!(avqa_correct("The answer is piano", "piano", o, Some(0)));
        assert!(avqa_correct("(A)", "piano", o, Some(0)));
        assert!(avqa_correct("4.", "the violin", o, Some(3)));
        assert!(avqa_correct("I hear a piano playing", "piano", o, Some(0)));
        // `piano` must not match `no`, `none` must not match `one`.
        assert!(!avqa_correct("piano", "no", o, Some(1)));
        assert!(!avqa_correct("none", "one", o, Some(2)));
        // Several options named: wrong.
        assert!(!avqa_correct("piano or the violin", "piano", o, Some(0)));
        assert!(!avqa_correct("E", "piano", o, Some(0)));
        // Open-ended: normalized exact match only.
        assert!(avqa_correct("  Two_Cats!", "two cats", None, None));
        assert!(!avqa_correct("0", "zero", None, None));
        assert!(!avqa_correct("in the middle", "middle", None, None));
        assert!(avqa_correct("Answer: middle", "middle", None, None));
        // The prefix goes before a letter or number too (EVAL.md: normalize, then the letter).
        let four: Vec<String> = ["dog", "cat", "lion", "cow"].iter().map(|s| s.to_string()).collect();
        assert!(avqa_correct("Answer: C", "lion", Some(&four), Some(2)));
        assert!(avqa_correct("The answer is C.", "lion", Some(&four), Some(2)));
        assert!(avqa_correct("answer: 3", "lion", Some(&four), Some(2)));
        assert!(!avqa_correct("Answer: D", "lion", Some(&four), Some(2)));
        assert_eq!(normalize_answer(" The answer is   Yes?! "), "yes");
    }
}
