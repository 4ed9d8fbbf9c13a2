//! Captioning metrics as pycocoevalcap 1.2 computes them (the coco-caption code VALOR evaluates
//! with; ../shared/EVAL.md, "AVC"): BLEU-1..4 (`bleu/bleu_scorer.py`, option `closest`),
//! ROUGE-L (`rouge/rouge.py`) and CIDEr-D (`cider/cider_scorer.py`), on captions already
//! tokenized by [`crate::eval::ptb::tokenize`]. Floating-point operations follow the Python code's
//! order, and numpy's sums its pairwise summation ([`numpy_sum`]), so the numbers agree to the
//! last bits.

use crate::split::{FastMap as HashMap, FastSet};

/// One scored unit: a clip with its candidate and references, each a tokenized string (tokens
/// separated by single spaces).
#[derive(Clone, Debug)]
pub struct Clip {
    /// The model's caption, tokenized.
    pub candidate: String,
    /// The reference captions, tokenized, at least one.
    pub references: Vec<String>,
}

/// Corpus scores (fractions) and the per-clip CIDEr-D, in clip order.
#[derive(Clone, Debug, PartialEq)]
pub struct CaptionScores {
    /// BLEU-1..4 (`Bleu_1`..`Bleu_4`).
    pub bleu: [f64; 4],
    /// ROUGE-L, the mean over clips.
    pub rouge_l: f64,
    /// CIDEr-D, the mean over clips (0 for a one-clip set).
    pub cider: f64,
    /// CIDEr-D of each clip.
    pub cider_per_clip: Vec<f64>,
    /// ROUGE-L of each clip.
    pub rouge_per_clip: Vec<f64>,
}

/// Every score of `clips` (an empty set scores 0 everywhere).
pub fn score(clips: &[Clip]) -> CaptionScores {
    let (cider, cider_per_clip) = cider_d(clips);
    let rouge_per_clip: Vec<f64> = clips.iter().map(|c| rouge_l(&c.candidate, &c.references)).collect();
    let rouge = if clips.is_empty() {
        0.0
    } else {
        numpy_sum(&rouge_per_clip) / clips.len() as f64
    };
    CaptionScores {
        bleu: bleu(clips),
        rouge_l: rouge,
        cider,
        cider_per_clip,
        rouge_per_clip,
    }
}

/// numpy's pairwise summation of a float64 array (`np.sum`, `np.mean`): blocks of up to 128
/// summed with eight accumulators, larger arrays split in halves (rounded down to 8).
pub fn numpy_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut r = 0.0;
        for &x in a {
            r += x;
        }
        r
    } else if n <= 128 {
        let mut r = [0.0; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - n % 8 {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += a[i];
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        numpy_sum(&a[..n2]) + numpy_sum(&a[n2..])
    }
}

/// The n-grams (n = 1..=4) of `words` with their counts, in Python's dict insertion order
/// (`precook`: n ascending, then position).
fn ngrams<'b, 'a>(words: &'b [&'a str]) -> Vec<(&'b [&'a str], u32)> {
    let mut order: Vec<(&[&str], u32)> = Vec::new();
    let mut index: HashMap<&[&str], usize> = HashMap::default();
    for k in 1..=4 {
        if words.len() < k {
            break;
        }
        for i in 0..=words.len() - k {
            let g = &words[i..i + k];
            match index.get(g) {
                Some(&at) => order[at].1 += 1,
                None => {
                    index.insert(g, order.len());
                    order.push((g, 1));
                }
            }
        }
    }
    order
}

/// BLEU-1..4 of the corpus (`BleuScorer.compute_score(option='closest')`).
pub fn bleu(clips: &[Clip]) -> [f64; 4] {
    let (tiny, small) = (1e-15, 1e-9);
    let mut guess = [0u64; 4];
    let mut correct = [0u64; 4];
    let (mut testlen_all, mut reflen_all) = (0u64, 0u64);
    for clip in clips {
        let cand: Vec<&str> = clip.candidate.split_whitespace().collect();
        let mut maxcounts: HashMap<&[&str], u32> = HashMap::default();
        let mut reflens = Vec::with_capacity(clip.references.len());
        let refs: Vec<Vec<&str>> = clip.references.iter().map(|r| r.split_whitespace().collect()).collect();
        for words in &refs {
            reflens.push(words.len() as u64);
            for k in 1..=4 {
                if words.len() < k {
                    break;
                }
                let mut counts: HashMap<&[&str], u32> = HashMap::default();
                for w in words.windows(k) {
                    *counts.entry(w).or_default() += 1;
                }
                for (g, c) in counts {
                    let m = maxcounts.entry(g).or_default();
                    *m = (*m).max(c);
                }
            }
        }
        let testlen = cand.len() as u64;
        // Closest reference length, ties to the shorter.
        let reflen = reflens
            .iter()
            .map(|&l| (l.abs_diff(testlen), l))
            .min()
            .map(|x| x.1)
            .unwrap_or(0);
        testlen_all += testlen;
        reflen_all += reflen;
        for k in 1..=4 {
            guess[k - 1] += (testlen + 1).saturating_sub(k as u64);
            if cand.len() < k {
                continue;
            }
            let mut counts: HashMap<&[&str], u32> = HashMap::default();
            for w in cand.windows(k) {
                *counts.entry(w).or_default() += 1;
            }
            for (g, c) in counts {
                correct[k - 1] += u64::from(c.min(maxcounts.get(g).copied().unwrap_or(0)));
            }
        }
    }
    let mut out = [0.0; 4];
    let mut product = 1.0;
    for k in 0..4 {
        product *= (correct[k] as f64 + tiny) / (guess[k] as f64 + small);
        out[k] = product.powf(1.0 / (k as f64 + 1.0));
    }
    let ratio = (testlen_all as f64 + tiny) / (reflen_all as f64 + small);
    if ratio < 1.0 {
        for v in &mut out {
            *v *= (1.0 - 1.0 / ratio).exp();
        }
    }
    out
}

/// ROUGE-L of one clip (`Rouge.calc_score`, β = 1.2): tokens split on single spaces, the LCS with
/// each reference, `P = max LCS/|cand|`, `R = max LCS/|ref|`, `(1+β²)PR/(R+β²P)`, 0 if P or R is 0.
pub fn rouge_l(candidate: &str, references: &[String]) -> f64 {
    let beta2 = 1.2f64 * 1.2;
    let cand: Vec<&str> = candidate.split(' ').collect();
    let (mut p_max, mut r_max) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    for r in references {
        let reference: Vec<&str> = r.split(' ').collect();
        let l = lcs(&reference, &cand) as f64;
        p_max = p_max.max(l / cand.len() as f64);
        r_max = r_max.max(l / reference.len() as f64);
    }
    if p_max != 0.0 && r_max != 0.0 && p_max.is_finite() {
        ((1.0 + beta2) * p_max * r_max) / (r_max + beta2 * p_max)
    } else {
        0.0
    }
}

/// Length of the longest common subsequence of two token lists.
fn lcs(a: &[&str], b: &[&str]) -> usize {
    let mut row = vec![0usize; b.len() + 1];
    for x in a {
        let mut diag = 0;
        for (j, y) in b.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = if x == y { diag + 1 } else { up.max(row[j]) };
            diag = up;
        }
    }
    row[b.len()]
}

/// A counted n-gram vector as `counts2vec` builds it: weights per n, norms, bigram count.
struct Vector<'b, 'a> {
    weights: [Vec<(&'b [&'a str], f64)>; 4],
    lookup: HashMap<&'b [&'a str], f64>,
    norm: [f64; 4],
    length: f64,
}

/// `counts2vec` of `cider_scorer.py`: tf·(ln M − ln max(1, df)) per n-gram, the norm per n, and
/// the bigram count (the length the penalty uses).
fn counts2vec<'b, 'a>(grams: &[(&'b [&'a str], u32)], df: &HashMap<&[&str], f64>, ref_len: f64) -> Vector<'b, 'a> {
    let mut weights: [Vec<(&[&str], f64)>; 4] = Default::default();
    let mut lookup = HashMap::with_capacity_and_hasher(grams.len(), Default::default());
    let mut norm = [0.0; 4];
    let mut length = 0.0;
    for &(g, tf) in grams {
        let d = df.get(g).copied().unwrap_or(0.0).max(1.0).ln();
        let n = g.len() - 1;
        let w = f64::from(tf) * (ref_len - d);
        weights[n].push((g, w));
        lookup.insert(g, w);
        norm[n] += w.powi(2);
        if n == 1 {
            length += f64::from(tf);
        }
    }
    Vector {
        weights,
        lookup,
        norm: norm.map(f64::sqrt),
        length,
    }
}

/// CIDEr-D of the corpus and of each clip (`CiderScorer.compute_score`, n = 4, σ = 6).
pub fn cider_d(clips: &[Clip]) -> (f64, Vec<f64>) {
    if clips.is_empty() {
        return (0.0, Vec::new());
    }
    let words = |s: &str| -> Vec<String> { s.split_whitespace().map(str::to_string).collect() };
    // Owned token lists, kept alive for the n-gram slices below.
    let cands: Vec<Vec<String>> = clips.iter().map(|c| words(&c.candidate)).collect();
    let refs: Vec<Vec<Vec<String>>> = clips
        .iter()
        .map(|c| c.references.iter().map(|r| words(r)).collect())
        .collect();
    let cand_refs: Vec<Vec<&str>> = cands.iter().map(|w| w.iter().map(String::as_str).collect()).collect();
    let ref_refs: Vec<Vec<Vec<&str>>> = refs
        .iter()
        .map(|rs| rs.iter().map(|w| w.iter().map(String::as_str).collect()).collect())
        .collect();
    let cand_grams: Vec<Vec<(&[&str], u32)>> = cand_refs.iter().map(|w| ngrams(w)).collect();
    let ref_grams: Vec<Vec<Vec<(&[&str], u32)>>> = ref_refs
        .iter()
        .map(|rs| rs.iter().map(|w| ngrams(w)).collect())
        .collect();
    let mut df: HashMap<&[&str], f64> = HashMap::default();
    for rs in &ref_grams {
        let mut seen: FastSet<&[&str]> = FastSet::default();
        for r in rs {
            for (g, _) in r {
                if seen.insert(g) {
                    *df.entry(g).or_default() += 1.0;
                }
            }
        }
    }
    let ref_len = (clips.len() as f64).ln();
    let sigma2 = 2.0 * 6.0f64.powi(2);
    let mut per_clip = Vec::with_capacity(clips.len());
    for (cg, rgs) in cand_grams.iter().zip(&ref_grams) {
        let hyp = counts2vec(cg, &df, ref_len);
        let mut score = [0.0; 4];
        for rg in rgs {
            let r = counts2vec(rg, &df, ref_len);
            let delta = hyp.length - r.length;
            for n in 0..4 {
                let mut val = 0.0;
                for &(g, w) in &hyp.weights[n] {
                    let wr = r.lookup.get(g).copied().unwrap_or(0.0);
                    val += w.min(wr) * wr;
                }
                if hyp.norm[n] != 0.0 && r.norm[n] != 0.0 {
                    val /= hyp.norm[n] * r.norm[n];
                }
                val *= std::f64::consts::E.powf(-(delta * delta) / sigma2);
                score[n] += val;
            }
        }
        let mut avg = numpy_sum(&score) / 4.0;
        avg /= rgs.len() as f64;
        avg *= 10.0;
        per_clip.push(avg);
    }
    (numpy_sum(&per_clip) / clips.len() as f64, per_clip)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clip(c: &str, r: &[&str]) -> Clip {
        Clip {
            candidate: c.into(),
            references: r.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn close(a: f64, b: f64) {
        assert!(
            (a - b).abs() <= 1e-12 * b.abs().max(f64::MIN_POSITIVE),
            "{a:?} vs {b:?}"
        );
    }

    /// EVAL.md's worked examples (reference code output).
    #[test]
    fn eval_md_one_clip() {
        let s = score(&[clip("a dog barks", &["a dog is barking at a cat"])]);
        let want = [
            0.1757314252933304,
            0.15218787853458912,
            1.8276804742648663e-06,
            1.1263163195091694e-06,
        ];
        for (a, b) in s.bleu.iter().zip(want) {
            close(*a, b);
        }
        close(s.rouge_l, 0.3730886850152905);
        assert_eq!(s.cider, 0.0);
    }

    #[test]
    fn eval_md_two_clips() {
        let s = score(&[clip("guitar", &["guitar music"]), clip("a dog barks", &["a dog barks"])]);
        let want = [
            0.7788007826820048,
            0.7788007825846548,
            0.7788007824224048,
            0.024627843163351808,
        ];
        for (a, b) in s.bleu.iter().zip(want) {
            close(*a, b);
        }
        close(s.rouge_l, 0.8144329896907216);
        close(s.cider, 4.621692174880071);
        close(s.cider_per_clip[0], 1.743384349760141);
        close(s.cider_per_clip[1], 7.5);
    }

    /// Repeated n-grams (clipped by the reference's weight), a length penalty, and a clip whose
    /// higher orders are empty; values from pycocoevalcap 1.2's `CiderScorer`.
    #[test]
    fn cider_repeated_ngrams() {
        let (corpus, per) = cider_d(&[
            clip("the the dog", &["the dog"]),
            clip("a cat", &["a cat"]),
            clip("a cat dog", &["a bird"]),
        ]);
        close(per[0], 3.3027147165493185);
        close(per[1], 5.0);
        close(per[2], 0.21556294166678763);
        close(corpus, 2.839425886072035);
    }

    #[test]
    fn numpy_summation_order() {
        // Up to 7 values left to right; from 8 on, eight accumulators (numpy 2.x, pairwise_sum).
        assert_eq!(numpy_sum(&[0.1, 0.2, 0.3]), (0.1 + 0.2) + 0.3);
        let a: Vec<f64> = (1..=9).map(|i| 1.0 / f64::from(i)).collect();
        let eight = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
        assert_eq!(numpy_sum(&a), eight + a[8]);
    }
}
