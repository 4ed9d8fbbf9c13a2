//! The caption tokenization of pycocoevalcap 1.2 (`tokenizer/ptbtokenizer.py`), natively: the
//! Stanford PTBTokenizer 3.4.1 run with `-preserveLines -lowerCase`, then the punctuation tokens
//! `'' ' `` ` -LRB- -RRB- -LCB- -RCB- . ? ! , : - -- ... ;` removed (../shared/EVAL.md, "AVC").
//!
//! The port covers what captions hold: words with inner hyphens, periods (`u.s.`, `5.5`), colons
//! and commas between digits (`10:30`, `1,000`), slashes (`m/s`) and apostrophes (`o'clock`);
//! clitics split off (`can't` → `ca n't`, `won't` → `wo n't`, `it's` → `it 's`, `gonna` →
//! `gon na`, `cannot` → `can not`); brackets as `-lrb-`, `-rrb-`, `-lsb-`, `-rsb-`, `-lcb-`,
//! `-rcb-` (the removal list is upper-case, so lower-cased brackets survive); quotes, ellipses,
//! dashes and sentence punctuation as tokens that are then removed; abbreviations (`mr.`, `dr.`,
//! single letters, `u.s.`) keep their period. `tests/data/eval/ptb_golden.jsonl` holds the Java
//! tokenizer's output on every caption of the real VALOR slices, which the tests compare with.

/// Tokens pycocoevalcap removes after tokenizing (`PUNCTUATIONS` in `ptbtokenizer.py`).
pub const PUNCTUATIONS: [&str; 17] = [
    "''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-", ".", "?", "!", ",", ":", "-", "--", "...", ";",
];

/// Abbreviations that keep their final period (a subset of the PTB lexer's list; lower-case).
const ABBREVIATIONS: [&str; 40] = [
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "sen", "rep", "gov", "gen", "col", "lt", "sgt", "capt", "mt",
    "ft", "co", "corp", "inc", "ltd", "vs", "etc", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
    "oct", "nov", "dec", "no", "ave", "rev", "messrs",
];

/// The caption as pycocoevalcap tokenizes it: tokens joined by single spaces, lower-cased,
/// punctuation removed (`The dog can't stop barking...` → `the dog ca n't stop barking`).
pub fn tokenize(caption: &str) -> String {
    let tokens = ptb_tokens(&caption.replace('\n', " "));
    let kept: Vec<String> = tokens
        .into_iter()
        .map(|t| t.to_lowercase())
        .filter(|t| !PUNCTUATIONS.contains(&t.as_str()))
        .collect();
    kept.join(" ")
}

/// The PTB tokens of one line, before lower-casing and removal.
pub fn ptb_tokens(line: &str) -> Vec<String> {
    let chars: Vec<char> = line
        .chars()
        .map(|c| match c {
            '\u{2019}' | '\u{2018}' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            _ => c,
        })
        .collect();
    let mut out = Vec::new();
    let n = chars.len();
    let at = |i: usize| chars.get(i).copied();
    let word_char = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
    let mut i = 0;
    let mut open_quote = true;
    while i < n {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        // Ellipsis and dashes.
        if c == '.' && at(i + 1) == Some('.') && at(i + 2) == Some('.') {
            let mut j = i;
            while at(j) == Some('.') {
                j += 1;
            }
            out.push("...".to_string());
            i = j;
            continue;
        }
        if c == '-' && at(i + 1) == Some('-') {
            let mut j = i;
            while at(j) == Some('-') {
                j += 1;
            }
            out.push("--".to_string());
            i = j;
            continue;
        }
        let bracket = match c {
            '(' => Some("-LRB-"),
            ')' => Some("-RRB-"),
            '[' => Some("-LSB-"),
            ']' => Some("-RSB-"),
            '{' => Some("-LCB-"),
            '}' => Some("-RCB-"),
            _ => None,
        };
        if let Some(b) = bracket {
            out.push(b.to_string());
            i += 1;
            continue;
        }
        if c == '"' {
            out.push(if open_quote { "``" } else { "''" }.to_string());
            open_quote = !open_quote;
            i += 1;
            continue;
        }
        if c == '\'' {
            // A clitic or an abbreviated word starting with an apostrophe ('til, 'n', 'em, 's).
            let mut j = i + 1;
            while word_char(at(j)) {
                j += 1;
            }
            let word: String = chars[i..j].iter().collect::<String>().to_lowercase();
            if word == "'n" && at(j) == Some('\'') {
                out.push(chars[i..=j].iter().collect());
                i = j + 1;
                continue;
            }
            if let Some(rest) = word.strip_prefix("'t").filter(|r| *r == "is" || *r == "was") {
                out.push(chars[i..i + 2].iter().collect());
                out.push(chars[i + 2..i + 2 + rest.len()].iter().collect());
                i = j;
                continue;
            }
            if ["'til", "'em", "'cause", "'s", "'ll", "'re", "'ve", "'d", "'m"].contains(&word.as_str()) {
                out.push(chars[i..j].iter().collect());
                i = j;
                continue;
            }
            // A closing quote after a word, else an opening one.
            out.push(
                if i > 0 && !chars[i - 1].is_whitespace() {
                    "'"
                } else {
                    "`"
                }
                .to_string(),
            );
            i += 1;
            continue;
        }
        if word_char(Some(c)) {
            let mut j = i + 1;
            while j < n {
                let d = chars[j];
                if word_char(Some(d)) {
                    j += 1;
                    continue;
                }
                let prev = chars[j - 1];
                let next = at(j + 1);
                let inner = match d {
                    '-' => word_char(next) && word_char(Some(prev)),
                    '.' | '/' | '&' => word_char(next) && word_char(Some(prev)),
                    '\'' => word_char(next) && word_char(Some(prev)),
                    ':' | ',' => prev.is_ascii_digit() && next.is_some_and(|c| c.is_ascii_digit()),
                    _ => false,
                };
                if !inner {
                    break;
                }
                j += 1;
            }
            let mut word: String = chars[i..j].iter().collect();
            // A final period stays on an abbreviation (not before an ellipsis).
            if at(j) == Some('.') && at(j + 1) != Some('.') && is_abbreviation(&word) {
                word.push('.');
                j += 1;
            }
            split_clitics(&word, &mut out);
            i = j;
            continue;
        }
        out.push(c.to_string());
        i += 1;
    }
    out
}

/// Whether `word` (without its final period) is an abbreviation: a listed one, a single letter
/// of either case (the Java lexer keeps `a.` at the end of a line),
/// or letters joined by periods (`u.s`).
fn is_abbreviation(word: &str) -> bool {
    let lower = word.to_lowercase();
    if ABBREVIATIONS.contains(&lower.as_str()) {
        return true;
    }
    let mut chars = word.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return c.is_alphabetic();
    }
    word.contains('.')
        && word
            .split('.')
            .all(|p| p.chars().count() == 1 && p.chars().all(char::is_alphabetic))
}

/// Pushes `word` with its clitics split off (`can't` → `ca`, `n't`; `it's` → `it`, `'s`;
/// `gonna` → `gon`, `na`; `cannot` → `can`, `not`).
fn split_clitics(word: &str, out: &mut Vec<String>) {
    let lower = word.to_lowercase();
    for (whole, at) in [
        ("gonna", 3),
        ("gotta", 3),
        ("wanna", 3),
        ("lemme", 3),
        ("gimme", 3),
        ("cannot", 3),
    ] {
        if lower == whole {
            out.push(word[..at].to_string());
            out.push(word[at..].to_string());
            return;
        }
    }
    if lower.len() > 3 && lower.ends_with("n't") {
        let cut = word.len() - 3;
        out.push(word[..cut].to_string());
        out.push(word[cut..].to_string());
        return;
    }
    for suffix in ["'s", "'re", "'ve", "'ll", "'d", "'m"] {
        if lower.len() > suffix.len() && lower.ends_with(suffix) {
            let cut = word.len() - suffix.len();
            out.push(word[..cut].to_string());
            out.push(word[cut..].to_string());
            return;
        }
    }
    out.push(word.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eval_md_examples() {
        assert_eq!(tokenize("The dog can't stop barking..."), "the dog ca n't stop barking");
        assert_eq!(tokenize("A man's guitar; it's loud!"), "a man 's guitar it 's loud");
        assert_eq!(
            tokenize("A black-and-white cat (maybe two)."),
            "a black-and-white cat -lrb- maybe two -rrb-"
        );
        assert_eq!(tokenize("won't gonna don't"), "wo n't gon na do n't");
        assert_eq!(tokenize("..."), "");
        // What the Java tokenizer does with single letters and abbreviations (checked with it).
        assert_eq!(tokenize("people; a."), "people a.");
        assert_eq!(tokenize("he saw a. then b. ran"), "he saw a. then b. ran");
        assert_eq!(
            tokenize("Mr. Smith isn't here, I'd say."),
            "mr. smith is n't here i 'd say"
        );
    }
}
