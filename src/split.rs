//! Split assignment and stable hashing.
//!
//! Every hash in avfit (template choice now, split and pairing for curated rows) is
//! [`stable_hash`]: the first 8 bytes, big-endian, of SHA-256 over the UTF-8 parts joined by
//! the unit separator U+001F. It never depends on the platform, the Rust version or the thread
//! count (unlike `DefaultHasher`).

use sha2::{Digest, Sha256};

/// The split word found in a native file name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NativeSplit {
    /// `train` in the name.
    Train,
    /// `val` in the name.
    Val,
    /// `test` in the name.
    Test,
}

/// The native split of a file from the words of its name: the name is cut at every character
/// that is not an ASCII letter or digit and between a lowercase letter or digit and the uppercase
/// letter after it (camelCase: AVE's `trainSet.txt` is `train` `Set`), and the first word equal,
/// ignoring case, to `train`, `val` or `test` decides (`avqa-val.json`,
/// `json_update__avqa-val.json`, `train_qa.json`, `desc_test.json`, `testSet.txt`,
/// `valSet.txt`). Takes a file name; returns `None` when no such word is there (`contest.csv`,
/// `training.csv`: a word must equal the split's name).
pub fn native_split_of(file_name: &str) -> Option<NativeSplit> {
    let mut words: Vec<String> = vec![String::new()];
    let mut previous: Option<char> = None;
    for c in file_name.chars() {
        if !c.is_ascii_alphanumeric() {
            words.push(String::new());
        } else {
            let camel =
                c.is_ascii_uppercase() && previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit());
            if camel {
                words.push(String::new());
            }
            words.last_mut().expect("never empty").push(c.to_ascii_lowercase());
        }
        previous = Some(c);
    }
    words.iter().find_map(|word| match word.as_str() {
        "train" => Some(NativeSplit::Train),
        "val" => Some(NativeSplit::Val),
        "test" => Some(NativeSplit::Test),
        _ => None,
    })
}

/// A hash map for in-memory lookups on hot paths: foldhash with a fixed seed (fast and the same
/// on every run). Never iterated where the order could reach the output.
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;

/// The set counterpart of [`FastMap`].
pub type FastSet<K> = std::collections::HashSet<K, foldhash::fast::FixedState>;

/// SHA-256 of the parts joined by U+001F; the first 8 bytes as a big-endian `u64`.
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut h = Sha256::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update([0x1f]);
        }
        h.update(p.as_bytes());
    }
    let digest = h.finalize();
    u64::from_be_bytes(digest[..8].try_into().expect("SHA-256 has 32 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_words() {
        assert_eq!(native_split_of("avqa-val.json"), Some(NativeSplit::Val));
        assert_eq!(
            native_split_of("json_update__avqa-val.slice.json"),
            Some(NativeSplit::Val)
        );
        assert_eq!(native_split_of("train_qa.json"), Some(NativeSplit::Train));
        assert_eq!(native_split_of("desc_test.json"), Some(NativeSplit::Test));
        assert_eq!(native_split_of("avqa-train_fake.json"), Some(NativeSplit::Train));
        assert_eq!(native_split_of("QUIRKS_records.json"), None);
        assert_eq!(native_split_of("contest.json"), None);
        // camelCase words (AVE's split files), compared ignoring case.
        assert_eq!(native_split_of("trainSet.txt"), Some(NativeSplit::Train));
        assert_eq!(native_split_of("testSet.txt"), Some(NativeSplit::Test));
        assert_eq!(native_split_of("valSet.txt"), Some(NativeSplit::Val));
        assert_eq!(native_split_of("AVE_TestSet.txt"), Some(NativeSplit::Test));
        assert_eq!(native_split_of("myTrainList2Test.txt"), Some(NativeSplit::Train));
        assert_eq!(native_split_of("Annotations.txt"), None);
        assert_eq!(native_split_of("trainingSet.txt"), None);
    }

    #[test]
    fn stable_hash_is_pinned() {
        // SHA-256("abc") = ba7816bf 8f01cfea ...
        assert_eq!(stable_hash(&["abc"]), 0xba7816bf8f01cfea);
        // Parts joined by U+001F: SHA-256 of `a␟bc` and of 300 bytes `x`, then `␟y` (sha256sum
        // of the same bytes).
        assert_eq!(stable_hash(&["a", "bc"]), 0x624ce4e22aa197da);
        let long = "x".repeat(300);
        assert_eq!(stable_hash(&[&long, "y"]), 0xb51625d115414c9b);
        assert_ne!(stable_hash(&["a", "bc"]), stable_hash(&["ab", "c"]));
    }
}
