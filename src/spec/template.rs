//! Value templates of a source spec (`"yt:{ytid}"`, `"{VideoID}/{Category}"`) and file-name
//! patterns (`trainSet*.txt`).
//!
//! A template is text with `{name}` references; a name is a column (delimited files), a JSON
//! field reached from a level of `records` (`turn.question`, `video.@key`), a named capture of a
//! `[[pattern]]`, or the expanded value of `[rows] expand`. Names are resolved to slot numbers
//! when the spec is compiled; a row fills the slots and a template renders from them.

/// One piece of a compiled template.
#[derive(Clone, Debug, PartialEq)]
pub enum Piece {
    /// Literal text.
    Text(String),
    /// The value in this slot.
    Slot(usize),
    /// The first present, non-empty value of these slots (`{a|b}`).
    Alt(Vec<usize>),
}

/// A compiled value template.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    /// The text as written in the spec (for messages).
    pub source: String,
    /// Its pieces.
    pub pieces: Vec<Piece>,
}

/// Why a template could not be rendered for a row.
#[derive(Debug, PartialEq)]
pub struct Missing {
    /// The slot whose value is absent or empty.
    pub slot: usize,
}

impl Template {
    /// Splits `text` into text and `{name}` references, giving each name's slot from `slot_of`.
    ///
    /// Errors: an unclosed `{`, an empty `{}`, or what `slot_of` refuses (a name that is not a
    /// field), as a message.
    pub fn compile(text: &str, mut slot_of: impl FnMut(&str) -> Result<usize, String>) -> Result<Template, String> {
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                pieces.push(Piece::Text(rest[..open].to_string()));
            }
            let after = &rest[open + 1..];
            let close = after
                .find('}')
                .ok_or_else(|| format!("`{text}`: `{{` without its `}}`"))?;
            let name = after[..close].trim();
            if name.is_empty() {
                return Err(format!("`{text}`: an empty `{{}}`"));
            }
            if name.contains('|') {
                let slots = name
                    .split('|')
                    .map(|n| slot_of(n.trim()))
                    .collect::<Result<Vec<_>, _>>()?;
                pieces.push(Piece::Alt(slots));
            } else {
                pieces.push(Piece::Slot(slot_of(name)?));
            }
            rest = &after[close + 1..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_string()));
        }
        Ok(Template {
            source: text.to_string(),
            pieces,
        })
    }

    /// The slots it reads.
    pub fn slots(&self) -> impl Iterator<Item = usize> + '_ {
        self.pieces.iter().flat_map(|p| match p {
            Piece::Slot(s) => vec![*s],
            Piece::Alt(s) => s.clone(),
            Piece::Text(_) => vec![],
        })
    }

    /// The single slot when the template is exactly one reference (`"{onset}"`).
    pub fn only_slot(&self) -> Option<usize> {
        match self.pieces.as_slice() {
            [Piece::Slot(s)] => Some(*s),
            _ => None,
        }
    }

    /// Renders with `values` (indexed by slot; `None` or empty = absent) into `out` (cleared).
    ///
    /// Errors: the first referenced slot whose value is absent or empty.
    pub fn render_into(&self, values: &[Option<String>], out: &mut String) -> Result<(), Missing> {
        out.clear();
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Slot(s) => match values[*s].as_deref() {
                    Some(v) if !v.is_empty() => out.push_str(v),
                    _ => return Err(Missing { slot: *s }),
                },
                Piece::Alt(slots) => {
                    match slots
                        .iter()
                        .find_map(|s| values[*s].as_deref().filter(|v| !v.is_empty()))
                    {
                        Some(v) => out.push_str(v),
                        None => return Err(Missing { slot: slots[0] }),
                    }
                }
            }
        }
        Ok(())
    }

    /// [`Template::render_into`] into a new string.
    ///
    /// Errors: as [`Template::render_into`].
    pub fn render(&self, values: &[Option<String>]) -> Result<String, Missing> {
        let mut out = String::new();
        self.render_into(values, &mut out)?;
        Ok(out)
    }
}

/// Whether `name` matches the file-name `pattern`: `*` stands for any run of characters
/// (none included), `?` for one character, anything else for itself (case-sensitive).
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    // Iterative wildcard matching with one backtrack point (the last `*`).
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("trainSet.txt", "trainSet.txt"));
        assert!(glob_match("clotho_captions_*.csv", "clotho_captions_development.csv"));
        assert!(glob_match("*.tsv", "validation.tsv"));
        assert!(glob_match("a?c*", "abc"));
        assert!(!glob_match("*.tsv", "validation.tsv.bak"));
        assert!(!glob_match("trainSet.txt", "valSet.txt"));
        assert!(glob_match("*Set*.txt", "testSet.txt"));
    }

    #[test]
    fn templates_render_slots_and_refuse_empty_values() {
        let names = ["VideoID", "Category"];
        let t = Template::compile("yt:{VideoID}/{ Category }", |n| {
            names.iter().position(|x| *x == n).ok_or(format!("no `{n}`"))
        })
        .unwrap();
        let values = vec![Some("abc".to_string()), Some("Bark".to_string())];
        assert_eq!(t.render(&values).unwrap(), "yt:abc/Bark");
        assert_eq!(
            t.render(&[Some("abc".into()), Some(String::new())]),
            Err(Missing { slot: 1 })
        );
        assert_eq!(
            Template::compile("{nope}", |n| Err(format!("no `{n}`"))),
            Err("no `nope`".to_string())
        );
        assert!(Template::compile("{open", |_| Ok(0)).is_err());
    }
}
