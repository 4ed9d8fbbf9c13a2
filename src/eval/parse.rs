//! Parsing a model's answer back: the inverse of [`crate::dialect::Dialect`]'s rendering
//! (DESIGN.md, "Dialects"; ../shared/EVAL.md, "Parsing boxes and segments back").
//!
//! Tolerant of what models add around an answer (text before and after, spaces, a missing or
//! different label), strict about what cannot be meant: a box is exactly four numbers in the
//! dialect's form, a segment exactly two. Values outside [0, 1] are kept as given (rasterization
//! clamps them). Integer grids are turned back by multiplying first, then dividing
//! (`n * duration / 100` for vtimellm, `n / 100` for minigpt-v2, `n / 1000` for qwen-vl), so that
//! rendering then parsing gives the rounded value without a spurious ulp.

use crate::dialect::Dialect;

/// The boxes (`[x0, y0, x1, y1]`, normalized as the dialect writes them) found in `text`, in
/// order; empty when none is written in the dialect's form.
///
/// Forms: meerkat, shikra, vtimellm `[<L>,x0,y0,x1,y1]` or `[x0,y0,x1,y1]` (decimals);
/// minigpt-v2 `{<x0><y0><x1><y1>}` (integers on 0..100); qwen-vl `<box>(x0,y0),(x1,y1)</box>`
/// (integers on 0..1000). A group with another count of numbers, or a token that is not a plain
/// number, is not a box and is skipped.
pub fn parse_boxes(dialect: Dialect, text: &str) -> Vec<[f64; 4]> {
    let mut out = Vec::new();
    match dialect {
        Dialect::Meerkat | Dialect::Shikra | Dialect::VtimeLlm => {
            for body in groups(text, '[', ']') {
                if let Some(v) = decimals(strip_label(body)) {
                    if let Ok(b) = <[f64; 4]>::try_from(v) {
                        out.push(b);
                    }
                }
            }
        }
        Dialect::MiniGptV2 => {
            for body in groups(text, '{', '}') {
                if let Some(v) = angle_integers(body) {
                    if let Ok(b) = <[i64; 4]>::try_from(v) {
                        out.push(b.map(|n| n as f64 / 100.0));
                    }
                }
            }
        }
        Dialect::QwenVl => {
            let mut rest = text;
            while let Some(open) = rest.find("<box>") {
                let after = &rest[open + 5..];
                let Some(close) = after.find("</box>") else { break };
                if let Some(b) = qwen_box(&after[..close]) {
                    out.push(b);
                }
                rest = &after[close + 6..];
            }
        }
    }
    out
}

/// The segments (`[start, end]` in seconds) found in `text` for a clip of `duration` seconds, in
/// order. `None` when `text` holds no segment and is not an explicit empty answer; `Some(vec![])`
/// for an explicit empty answer (after trimming and dropping a final `.`, case-insensitive:
/// `[]`, `none`, `no`, `never`, `nothing`).
///
/// Forms: `[start,end]` in seconds (every dialect but vtimellm); vtimellm `from SS to EE` with
/// integers read as `n * duration / 100`.
pub fn parse_segments(dialect: Dialect, text: &str, duration: f64) -> Option<Vec<[f64; 2]>> {
    let mut out = Vec::new();
    match dialect {
        Dialect::VtimeLlm => {
            let lower = text.to_ascii_lowercase();
            let mut rest = lower.as_str();
            while let Some(at) = find_word(rest, "from") {
                let after = &rest[at + 4..];
                if let Some((s, e, used)) = from_to(after) {
                    out.push([s as f64 * duration / 100.0, e as f64 * duration / 100.0]);
                    rest = &after[used..];
                } else {
                    rest = after;
                }
            }
        }
        _ => {
            for body in groups(text, '[', ']') {
                if let Some(v) = decimals(body) {
                    if let Ok(s) = <[f64; 2]>::try_from(v) {
                        out.push(s);
                    }
                }
            }
        }
    }
    if out.is_empty() && !is_explicit_empty(text) {
        return None;
    }
    Some(out)
}

/// Whether `text` says there is nothing: `[]`, `none`, `no`, `never`, `nothing` (trimmed,
/// case-insensitive, a final `.` dropped).
pub fn is_explicit_empty(text: &str) -> bool {
    let t = text.trim().trim_end_matches('.').trim().to_ascii_lowercase();
    matches!(t.as_str(), "[]" | "none" | "no" | "never" | "nothing")
}

/// The bodies between each `open` and the next `close` (not nested).
fn groups(text: &str, open: char, close: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(open) {
        let after = &rest[i + open.len_utf8()..];
        // A label may hold the opening character's partner only inside `<...>`: skip it first.
        let label_end = label_span(after);
        let Some(j) = after[label_end..].find(close) else { break };
        let end = label_end + j;
        // A new opening before the close starts a new group (`[x [0.1,...]`).
        match after[..end].rfind(open) {
            Some(k) if k >= label_end => {
                rest = &after[k..];
                continue;
            }
            _ => {}
        }
        out.push(&after[..end]);
        rest = &after[end + close.len_utf8()..];
    }
    out
}

/// Length of a leading `<label>` (with the spaces before it) in `body`, or 0.
fn label_span(body: &str) -> usize {
    let trimmed = body.trim_start();
    let lead = body.len() - trimmed.len();
    if trimmed.starts_with('<') {
        if let Some(gt) = trimmed.find('>') {
            return lead + gt + 1;
        }
    }
    0
}

/// `body` without a leading `<label>` and the comma after it.
fn strip_label(body: &str) -> &str {
    let span = label_span(body);
    if span == 0 {
        return body;
    }
    let rest = body[span..].trim_start();
    rest.strip_prefix(',').unwrap_or(rest)
}

/// The comma-separated plain numbers of `body`, or `None` when a part is not one.
fn decimals(body: &str) -> Option<Vec<f64>> {
    body.split(',').map(|t| plain_number(t.trim())).collect()
}

/// A plain decimal number: optional sign, digits with at most one `.` (`0.25`, `.5`, `3`, `-0.1`);
/// no exponent, no `inf`/`nan`.
pub fn plain_number(t: &str) -> Option<f64> {
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    let mut dots = 0;
    let mut any = false;
    for c in digits.chars() {
        match c {
            '0'..='9' => any = true,
            '.' => dots += 1,
            _ => return None,
        }
    }
    if !any || dots > 1 {
        return None;
    }
    t.parse().ok()
}

/// A plain integer (optional sign, digits only).
fn plain_integer(t: &str) -> Option<i64> {
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) || digits.len() > 15 {
        return None;
    }
    t.parse().ok()
}

/// The integers of `<a><b>...` in `body` (spaces allowed between), or `None` when anything else
/// is there.
fn angle_integers(body: &str) -> Option<Vec<i64>> {
    let mut out = Vec::new();
    let mut rest = body.trim();
    while !rest.is_empty() {
        let inner = rest.strip_prefix('<')?;
        let close = inner.find('>')?;
        out.push(plain_integer(inner[..close].trim())?);
        rest = inner[close + 1..].trim_start();
    }
    Some(out)
}

/// `(x0,y0),(x1,y1)` on the 0..1000 grid, or `None`.
fn qwen_box(body: &str) -> Option<[f64; 4]> {
    let mut numbers = Vec::new();
    let mut rest = body.trim();
    for k in 0..2 {
        if k == 1 {
            rest = rest.strip_prefix(',')?.trim_start();
        }
        let inner = rest.strip_prefix('(')?;
        let close = inner.find(')')?;
        for t in inner[..close].split(',') {
            numbers.push(plain_integer(t.trim())?);
        }
        rest = inner[close + 1..].trim_start();
    }
    if !rest.is_empty() {
        return None;
    }
    let b: [i64; 4] = numbers.try_into().ok()?;
    Some(b.map(|n| n as f64 / 1000.0))
}

/// Byte offset of `word` in `text` as a whole word (ASCII letters around it do not count).
fn find_word(text: &str, word: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text[from..].find(word) {
        let at = from + i;
        let before = at == 0 || !bytes[at - 1].is_ascii_alphanumeric();
        let end = at + word.len();
        let after = end >= bytes.len() || !bytes[end].is_ascii_alphanumeric();
        if before && after {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// After `from`: ` SS to EE` → (SS, EE, bytes used), integers only.
fn from_to(after: &str) -> Option<(i64, i64, usize)> {
    let t = after.trim_start();
    let n1 = t.bytes().take_while(u8::is_ascii_digit).count();
    let s = plain_integer(&t[..n1])?;
    let t2 = t[n1..].trim_start().strip_prefix("to")?;
    let t3 = t2.trim_start();
    if t3.len() == t2.len() {
        return None; // `to` must be a word
    }
    let n2 = t3.bytes().take_while(u8::is_ascii_digit).count();
    let e = plain_integer(&t3[..n2])?;
    // `from 07 to 42.` ends a sentence; `to 4.5` or `to 42s` is not the grid.
    let mut tail = t3[n2..].chars();
    match tail.next() {
        Some(c) if c.is_ascii_alphanumeric() => return None,
        Some('.') if tail.next().is_some_and(|c| c.is_ascii_digit()) => return None,
        _ => {}
    }
    Some((s, e, after.len() - t3.len() + n2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::ALL_DIALECTS;
    use crate::geometry::{BBox, Segment};
    use rand::{Rng, SeedableRng};

    #[test]
    fn boxes_in_every_form_with_text_around() {
        assert_eq!(
            parse_boxes(
                Dialect::Meerkat,
                "Sure! [<dog>,0.250,0.125,0.750,0.875]; [ <dog> , 0.1, 0.2 ,0.3,0.4 ] done"
            ),
            vec![[0.25, 0.125, 0.75, 0.875], [0.1, 0.2, 0.3, 0.4]]
        );
        // A missing label, and a label with a comma.
        assert_eq!(
            parse_boxes(
                Dialect::Meerkat,
                "[0.1,0.2,0.3,0.4] [<Male speech, man speaking>,0,0,1,1]"
            ),
            vec![[0.1, 0.2, 0.3, 0.4], [0.0, 0.0, 1.0, 1.0]]
        );
        assert_eq!(
            parse_boxes(
                Dialect::MiniGptV2,
                "<p>dog</p> {<25><12><75><88>}<delim>{ <0> <0> <100><100> }"
            ),
            vec![[0.25, 0.12, 0.75, 0.88], [0.0, 0.0, 1.0, 1.0]]
        );
        assert_eq!(
            parse_boxes(
                Dialect::QwenVl,
                "it is <ref>dog</ref><box>(250,125),(750,875)</box><box>(0, 0), (999,999)</box>."
            ),
            vec![[0.25, 0.125, 0.75, 0.875], [0.0, 0.0, 0.999, 0.999]]
        );
        // Values outside [0, 1] are kept as given.
        assert_eq!(
            parse_boxes(Dialect::Shikra, "[-0.1,0.2,1.5,0.4]"),
            vec![[-0.1, 0.2, 1.5, 0.4]]
        );
    }

    #[test]
    fn three_numbers_are_no_box() {
        assert!(parse_boxes(Dialect::Meerkat, "[<dog>,0.1,0.2,0.3]").is_empty());
        assert!(parse_boxes(Dialect::Meerkat, "[0.1,0.2,0.3,0.4,0.5]").is_empty());
        assert!(parse_boxes(Dialect::Meerkat, "[0.1,0.2,0.3,x]").is_empty());
        assert!(parse_boxes(Dialect::Meerkat, "[0.1,0.2,1e-1,0.4]").is_empty());
        assert!(parse_boxes(Dialect::Meerkat, "[0.1,0.2,NaN,0.4]").is_empty());
        assert!(parse_boxes(Dialect::MiniGptV2, "{<25><12><75>}").is_empty());
        assert!(parse_boxes(Dialect::MiniGptV2, "{<25><12><75><8.5>}").is_empty());
        assert!(parse_boxes(Dialect::QwenVl, "<box>(250,125),(750)</box>").is_empty());
        assert!(parse_boxes(Dialect::QwenVl, "<box>(250,125,750,875)</box>").is_empty());
        assert!(parse_boxes(Dialect::Meerkat, "no box here").is_empty());
    }

    #[test]
    fn segments_and_explicit_empty() {
        assert_eq!(
            parse_segments(Dialect::Meerkat, "The dog barks in [2.0,5.5]; [ 7 , 10.0 ].", 10.0),
            Some(vec![[2.0, 5.5], [7.0, 10.0]])
        );
        assert_eq!(
            parse_segments(Dialect::VtimeLlm, "From 07 to 42; from 80 to 99.", 10.0),
            Some(vec![[0.7, 4.2], [8.0, 9.9]])
        );
        // 3 * 10 / 100 = 0.3 exactly (0.3 * 10 would be 3.0000000000000004).
        assert_eq!(
            parse_segments(Dialect::VtimeLlm, "from 03 to 30", 10.0),
            Some(vec![[0.3, 3.0]])
        );
        assert_eq!(parse_segments(Dialect::Meerkat, "[1.0,2.0,3.0]", 10.0), None);
        assert_eq!(parse_segments(Dialect::Meerkat, "never", 10.0), Some(vec![]));
        assert_eq!(parse_segments(Dialect::VtimeLlm, "None.", 10.0), Some(vec![]));
        assert_eq!(parse_segments(Dialect::VtimeLlm, "from 07 till 42", 10.0), None);
        assert_eq!(parse_segments(Dialect::VtimeLlm, "fromage 07 to 42", 10.0), None);
        assert_eq!(parse_segments(Dialect::Meerkat, "", 10.0), None);
    }

    /// Rendering then parsing any generated target gives it back within the dialect's precision,
    /// and rendering the parsed value again gives the same text.
    #[test]
    fn render_then_parse_round_trips_in_every_dialect() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(14);
        for _ in 0..20_000 {
            let n = rng.gen_range(1..=3);
            let boxes: Vec<BBox> = (0..n)
                .map(|_| loop {
                    let v: [f64; 4] = std::array::from_fn(|_| match rng.gen_range(0..4) {
                        0 => f64::from(rng.gen_range(0..=16u32)) / 16.0,
                        1 => f64::from(rng.gen_range(0..=1000u32)) / 1000.0,
                        _ => rng.gen::<f64>(),
                    });
                    if let Ok(b) = BBox::normalized(v[0].min(v[2]), v[1].min(v[3]), v[0].max(v[2]), v[1].max(v[3])) {
                        break b;
                    }
                })
                .collect();
            let duration = [10.0, 7.5, 30.0, 9.98][rng.gen_range(0..4)];
            let segments: Vec<Segment> = (0..n)
                .map(|_| loop {
                    let a = (rng.gen::<f64>() * duration * 10.0).floor() / 10.0 * [1.0, 1.003][rng.gen_range(0..2)];
                    let b = a + rng.gen::<f64>() * (duration - a);
                    if let Ok(s) = Segment::new(a, b.min(duration), Some(duration)) {
                        break s;
                    }
                })
                .collect();
            for d in ALL_DIALECTS {
                let (scale, cap) = match d {
                    Dialect::MiniGptV2 => (100.0, 1.0),
                    Dialect::QwenVl => (1000.0, 0.999),
                    _ => (1000.0, 1.0),
                };
                let text = format!("Answer: {} (done)", d.render_boxes("a dog", &boxes));
                let parsed = parse_boxes(d, &text);
                assert_eq!(parsed.len(), boxes.len(), "{d:?} {text}");
                for (p, b) in parsed.iter().zip(&boxes) {
                    for (pv, bv) in p.iter().zip(b.0) {
                        assert!((pv - bv.min(cap)).abs() <= 0.5 / scale + 1e-12, "{d:?} {text} {bv}");
                        // The parsed value is the grid value itself: n / scale exactly.
                        assert_eq!(*pv, (pv * scale).round() / scale, "{d:?} {text}");
                    }
                }
                let again: Vec<BBox> = parsed.iter().map(|p| BBox(*p)).collect();
                assert_eq!(
                    d.render_boxes("a dog", &again),
                    d.render_boxes("a dog", &boxes),
                    "{d:?}"
                );

                let text = d.render_segments(&segments, duration);
                let parsed = parse_segments(d, &format!("It sounds {text}."), duration).unwrap();
                assert_eq!(parsed.len(), segments.len(), "{d:?} {text}");
                let tolerance = match d {
                    Dialect::VtimeLlm => duration / 200.0 + duration / 100.0,
                    _ => 0.05,
                };
                for (p, s) in parsed.iter().zip(&segments) {
                    assert!((p[0] - s.start()).abs() <= tolerance + 1e-9, "{d:?} {text} {s:?}");
                    assert!((p[1] - s.end()).abs() <= tolerance + 1e-9, "{d:?} {text} {s:?}");
                }
                let again: Vec<Segment> = parsed.iter().map(|p| Segment(*p)).collect();
                assert_eq!(d.render_segments(&again, duration), text, "{d:?}");
            }
        }
    }
}
