//! Counts in English for the messages avfit prints: `1 shard`, `2 shards`.

/// `n` and `noun`, the noun in the plural (an `s` added to its last word) unless `n` is 1:
/// `plural(1, "shard")` is `1 shard`, `plural(2, "rejects line")` is `2 rejects lines`.
/// Takes a count and a singular noun whose plural adds `s`; returns the phrase.
pub fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::plural;

    #[test]
    fn one_is_singular_every_other_count_plural() {
        assert_eq!(plural(0, "sample"), "0 samples");
        assert_eq!(plural(1, "shard"), "1 shard");
        assert_eq!(plural(2, "rejects line"), "2 rejects lines");
    }
}
