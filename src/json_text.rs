//! JSON text written by hand where serde's generic path is the hot spot: strings escaped exactly
//! as serde_json escapes them (`"` and `\` with a backslash, `\b \f \n \r \t`, other bytes below
//! 0x20 as `\u00XX`, everything else as is, RFC 8259 §7), checked sixteen bytes at a time (SSE2
//! on x86-64, judged and copied in one pass; eight-byte words elsewhere, then copied) so the
//! common string that needs no escape is a copy.
//! serde_json has no public API for that check; a string that needs escaping goes through
//! serde_json itself, so the bytes are serde_json's.
//!
//! Numbers ([`push_f64`]): a box coordinate of at most six decimals in [0.001, 1), as Open Images
//! and most box sources write them, is printed from its integer millionths; every other number
//! goes through serde_json. Both give the shortest text that reads back to the same `f64`.

/// Whether `bytes` hold a byte serde_json escapes in a string: `"`, `\` or one below 0x20.
/// Examined eight bytes at a time (the "has zero byte" / "has byte less than" word tests).
pub fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGH;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let w = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        let quote = has_zero(w ^ (ONES * u64::from(b'"')));
        let backslash = has_zero(w ^ (ONES * u64::from(b'\\')));
        let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
        if quote | backslash | control != 0 {
            return true;
        }
    }
    words.remainder().iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// Appends `text` to `out` as a JSON string, quotes included: the bytes `serde_json::to_writer`
/// writes for a `&str`.
pub fn push_str(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    push_str_body(out, text);
    out.push(b'"');
}

/// Appends `text` escaped as inside a JSON string, without the quotes. serde_json escapes
/// character by character, so the bodies of two strings appended one after the other are the
/// body of their concatenation.
pub fn push_str_body(out: &mut Vec<u8>, text: &str) {
    if !copy_unless_escaped(out, text.as_bytes()) {
        let start = out.len();
        serde_json::to_writer(&mut *out, text).expect("a string serializes");
        // Drop the quotes serde_json put around it.
        out.pop();
        out.remove(start);
    }
}

/// Appends `bytes` to `out` and returns true when none needs a JSON escape ([`needs_escape`]);
/// else leaves `out` as it was and returns false. One pass: on x86-64 sixteen bytes are judged
/// and copied at a time (SSE2, which every x86-64 processor has), the last sixteen of a string of
/// sixteen or more as one block overlapping the one before (so no byte-by-byte remainder and no
/// `memcpy` call of a few bytes); shorter strings, and every string elsewhere, are judged by
/// [`needs_escape`] and then copied.
fn copy_unless_escaped(out: &mut Vec<u8>, bytes: &[u8]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if bytes.len() >= 16 {
        use std::arch::x86_64::*;
        let start = out.len();
        let len = bytes.len();
        out.reserve(len);
        // SAFETY: SSE2 is part of x86-64; every load reads the 16 bytes of `bytes` at `at` and
        // every store writes 16 bytes of the capacity reserved above at `start + at`, with
        // `at + 16 <= len` for both (the last block starts at `len - 16 >= 0`); `set_len` below
        // covers them only once all are written.
        unsafe {
            let quote = _mm_set1_epi8(b'"' as i8);
            let backslash = _mm_set1_epi8(b'\\' as i8);
            let control_max = _mm_set1_epi8(0x1f);
            let source = bytes.as_ptr();
            let target = out.as_mut_ptr().add(start);
            // Judges and copies the block at `at`: false when it holds a byte to escape.
            let block = |at: usize| {
                let v = _mm_loadu_si128(source.add(at).cast());
                // Unsigned v <= 0x1f exactly when min(v, 0x1f) == v.
                let control = _mm_cmpeq_epi8(_mm_min_epu8(v, control_max), v);
                let special = _mm_or_si128(
                    _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                    control,
                );
                _mm_storeu_si128(target.add(at).cast(), v);
                _mm_movemask_epi8(special) == 0
            };
            let mut at = 0;
            while at + 16 <= len {
                if !block(at) {
                    return false;
                }
                at += 16;
            }
            if at < len && !block(len - 16) {
                return false;
            }
            out.set_len(start + len);
        }
        return true;
    }
    if needs_escape(bytes) {
        return false;
    }
    out.extend_from_slice(bytes);
    true
}

/// Appends `text` or `null`, as serde_json writes an `Option<String>`.
pub fn push_optional_str(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(text) => push_str(out, text),
        None => out.extend_from_slice(b"null"),
    }
}

/// Appends `value` as `serde_json::to_writer` writes an `f64` (its shortest round-trip text).
///
/// When `value` is the `f64` nearest to `k / 10^6` for a whole `k` in 1,000..=999,999 (a
/// coordinate of at most six decimals in [0.001, 1)), that text is `0.` and the six digits of `k`
/// without their trailing zeros: a decimal of at most 15 significant digits is the only one of
/// that many digits or fewer that reads back to its `f64`, so none shorter does. The test
/// `six_decimal_numbers_are_serde_jsons_bytes` checks every such `k` against serde_json.
pub fn push_f64(out: &mut Vec<u8>, value: f64) {
    match millionths(value) {
        Some(k) => {
            let mut digits = *b"0.000000";
            let mut rest = k;
            for d in digits[2..].iter_mut().rev() {
                *d = b'0' + (rest % 10) as u8;
                rest /= 10;
            }
            let end = digits.iter().rposition(|&d| d != b'0').expect("k is at least 1,000") + 1;
            // All eight bytes, then the trailing zeros cut: a copy of a fixed length is a few
            // instructions, where one of `end` bytes was a call to memcpy.
            out.extend_from_slice(&digits);
            out.truncate(out.len() - (digits.len() - end));
        }
        None => serde_json::to_writer(&mut *out, &value).expect("an f64 serializes"),
    }
}

/// `k` when `value` is the `f64` nearest to `k / 10^6` with `k` in 1,000..=999,999, else `None`.
fn millionths(value: f64) -> Option<u32> {
    if !(0.001..1.0).contains(&value) {
        return None;
    }
    // `value * 1e6` is within an ulp of `k`; `k as f64 / 1e6` is the correctly rounded quotient of
    // two exact numbers, the f64 nearest to k / 10^6, as parsing `0.<k>` gives.
    // Rounded by adding one half and truncating (no call to libm's `round`): it differs from
    // `round` only where `value * 1e6` is a hair below a half (the sum rounds up to a whole
    // number), and there neither integer passes the check below.
    let k = (value * 1e6 + 0.5) as u32;
    (f64::from(k) / 1e6 == value && (1_000..=999_999).contains(&k)).then_some(k)
}

#[cfg(test)]
mod tests {
    /// Any `f64` in [0.001, 1) with a random 52-bit fraction, any within four ulps of a
    /// six-decimal coordinate, the bounds' neighbours and subnormals: `push_f64` writes
    /// serde_json's text (the fast path claims only the `f64` nearest some k / 10^6).
    #[test]
    fn random_and_near_six_decimal_numbers_are_serde_jsons_bytes() {
        let mut values = vec![
            0.0010000000000000002,
            f64::from_bits(0.001f64.to_bits() - 1),
            0.999999,
            f64::from_bits(0.999999f64.to_bits() + 1),
            f64::from_bits(1.0f64.to_bits() - 1),
            f64::from_bits(1),
            f64::MIN_POSITIVE,
            f64::NAN,
            f64::INFINITY,
            0.1 + 0.2,
        ];
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6);
        let mut next = || rng.gen::<u64>();
        // Biased exponents 1013 (0.000977..) to 1022 (0.5..1): all of [0.001, 1) and a little below.
        for _ in 0..2_000_000 {
            let r = next();
            values.push(f64::from_bits(((1013 + r % 10) << 52) | (r >> 12)));
        }
        for _ in 0..200_000 {
            let r = next();
            let k = 1_000 + r % 999_000;
            let exact: f64 = format!("0.{k:06}").parse().unwrap();
            let step = (r >> 32) % 9;
            values.push(f64::from_bits(exact.to_bits() + step - 4));
        }
        let mut ours = Vec::new();
        for value in values {
            ours.clear();
            super::push_f64(&mut ours, value);
            assert_eq!(ours, serde_json::to_vec(&value).unwrap(), "{value:e}");
        }
    }

    /// Every coordinate of six decimals in [0.001, 1) is serde_json's text, and so are its
    /// neighbours one ulp away, which take serde_json's own path.
    #[test]
    fn six_decimal_numbers_are_serde_jsons_bytes() {
        let mut ours = Vec::new();
        for k in 1_000u32..1_000_000 {
            let exact: f64 = format!("0.{k:06}").parse().unwrap();
            for value in [
                exact,
                f64::from_bits(exact.to_bits() - 1),
                f64::from_bits(exact.to_bits() + 1),
            ] {
                ours.clear();
                super::push_f64(&mut ours, value);
                assert_eq!(ours, serde_json::to_vec(&value).unwrap(), "{k} {value:e}");
            }
        }
        for value in [
            0.0,
            -0.0,
            0.000999,
            0.0009995,
            1.0,
            1.5,
            0.9999995,
            -0.5,
            1e-7,
            123.25,
            f64::MAX,
        ] {
            ours.clear();
            super::push_f64(&mut ours, value);
            assert_eq!(ours, serde_json::to_vec(&value).unwrap(), "{value:e}");
        }
        ours.clear();
        super::push_f64(&mut ours, 0.121869);
        super::push_f64(&mut ours, 0.5);
        super::push_f64(&mut ours, 0.001);
        assert_eq!(ours, b"0.1218690.50.001");
    }

    use super::*;

    #[test]
    fn every_byte_value_is_judged_as_serde_json_escapes_it() {
        // Each ASCII byte at each of the 8 positions of a word and in the remainder.
        for b in 0u8..0x80 {
            let must = b < 0x20 || b == b'"' || b == b'\\';
            for len in [1usize, 7, 8, 9, 15, 16, 17, 31, 32, 33] {
                for at in 0..len {
                    let mut s = vec![b'a'; len];
                    s[at] = b;
                    assert_eq!(needs_escape(&s), must, "byte {b:#04x} at {at} of {len}");
                    let text = std::str::from_utf8(&s).unwrap();
                    let mut out = Vec::new();
                    push_str(&mut out, text);
                    assert_eq!(out, serde_json::to_vec(text).unwrap());
                }
            }
        }
    }

    /// Strings of hostile pieces (quotes, backslashes, control bytes, DEL, two- to four-byte
    /// UTF-8 that straddles the sixteen-byte blocks) appended after bytes already in `out`, with
    /// and without spare capacity: `out` keeps its bytes and gains serde_json's, and a string
    /// that needs an escape after a clean first block leaves no stray bytes behind.
    #[test]
    fn hostile_strings_after_existing_bytes_are_serde_jsons_bytes() {
        let pieces = [
            "a", "\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1f}", " ", "\u{7f}", "é", "日", "🎵", "\u{feff}", "/",
            "\u{2028}",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..20_000 {
            let count = (next() % 40) as usize;
            let text: String = (0..count)
                .map(|_| {
                    // Mostly plain bytes, so whole clean blocks come before the hostile piece.
                    let r = next() % 64;
                    if r < 40 {
                        "a"
                    } else {
                        pieces[r as usize % pieces.len()]
                    }
                })
                .collect();
            // Spare capacity, or none (`reserve` must grow it).
            let mut out = Vec::with_capacity(if round % 2 == 0 { 256 } else { 2 });
            out.extend_from_slice(b"xy");
            push_str(&mut out, &text);
            let mut expected = b"xy".to_vec();
            expected.extend_from_slice(&serde_json::to_vec(&text).unwrap());
            assert_eq!(out, expected, "{text:?}");
            // The body alone, after bytes already there.
            let mut body = b"z".to_vec();
            push_str_body(&mut body, &text);
            assert_eq!(&body[1..], &expected[3..expected.len() - 1], "{text:?}");
        }
        // A clean block of sixteen, then a quote in the remainder: nothing of the clean block
        // is left behind the serde_json path's bytes.
        let text = format!("{}\"", "b".repeat(16));
        let mut out = b"[".to_vec();
        push_str(&mut out, &text);
        assert_eq!(out, b"[\"bbbbbbbbbbbbbbbb\\\"\"");
    }

    #[test]
    fn non_ascii_text_is_written_as_is() {
        // UTF-8 bytes are all >= 0x80: never escaped (serde_json writes them as is).
        for text in ["café ü 日本語 🎵", "\u{7f}\u{80}\u{ff}", ""] {
            assert!(!needs_escape(text.as_bytes()), "{text}");
            let mut out = Vec::new();
            push_str(&mut out, text);
            assert_eq!(out, serde_json::to_vec(text).unwrap());
        }
        let mut out = Vec::new();
        push_optional_str(&mut out, None);
        push_optional_str(&mut out, Some("a\"b"));
        assert_eq!(String::from_utf8(out).unwrap(), "null\"a\\\"b\"");
    }
}
