//! The README's lists that must follow the code: every reject and skip code of `src/reason.rs`
//! is documented, so the list cannot drift.

mod common;

/// Every `= "code"` of the `codes!` blocks in src/reason.rs, in order.
fn codes_in_reason_rs() -> Vec<String> {
    let text = std::fs::read_to_string(common::repo().join("src/reason.rs")).unwrap();
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            let (_, rest) = line.split_once("= \"")?;
            let code = rest.strip_suffix("\",")?;
            code.bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_')
                .then(|| code.to_string())
        })
        .collect()
}

#[test]
fn the_readme_names_every_reject_and_skip_code() {
    let codes = codes_in_reason_rs();
    assert!(codes.len() >= 30, "parsed {codes:?}");
    let readme = std::fs::read_to_string(common::repo().join("README.md")).unwrap();
    let missing: Vec<_> = codes.iter().filter(|c| !readme.contains(&format!("`{c}`"))).collect();
    assert!(missing.is_empty(), "README.md does not name {missing:?}");
}
