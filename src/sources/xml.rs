//! Small helpers over `roxmltree` for the per-image XML annotations (PASCAL VOC, Flickr-SoundNet):
//! elements are found by tag name among direct children, never by position.

use crate::error::{Error, Result};
use roxmltree::{Document, Node};
use std::path::Path;

/// The deepest element nesting avfit parses. Real annotations nest 4 levels; roxmltree 0.20
/// recurses once per level with no limit of its own (its `ParsingOptions` bound entity depth
/// and node count, not nesting), so about 14,000 levels overflow the stack and abort the
/// process. Deeper files are refused before parsing.
pub const MAX_DEPTH: usize = 256;

/// Reads and parses the XML file at `path` and passes the document to `f`.
///
/// Errors: unreadable file, elements nested deeper than [`MAX_DEPTH`] (with the line where the
/// limit is passed), or malformed XML (with the line where parsing stopped).
pub fn with_document<T>(path: &Path, f: impl FnOnce(&Document) -> T) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    if let Some(line) = line_beyond_depth(text.as_bytes(), MAX_DEPTH) {
        return Err(Error::input(
            path,
            Some(line),
            format!("XML elements nested deeper than {MAX_DEPTH} levels"),
        ));
    }
    let doc = Document::parse(&text)
        .map_err(|e| Error::input(path, Some(e.pos().row as u64), format!("malformed XML: {e}")))?;
    Ok(f(&doc))
}

/// The 1-based line of the first start tag nested deeper than `limit` elements in `xml`, or
/// `None`. A single pass over the bytes that follows the tokens roxmltree recurses on: start
/// tags (`<name ...>` opens a level, `<name .../>` does not), end tags, and skips comments,
/// CDATA, processing instructions and declarations, and quoted attribute values (which may hold
/// `>`). It never counts fewer levels than roxmltree would enter (DTDs, whose entities could
/// expand to elements, are refused by roxmltree's default options), so a document it passes
/// cannot overflow the parser's stack.
fn line_beyond_depth(xml: &[u8], limit: usize) -> Option<u64> {
    let find = |from: usize, needle: &[u8]| {
        xml.get(from..)
            .and_then(|rest| rest.windows(needle.len()).position(|w| w == needle))
            .map(|p| from + p + needle.len())
            .unwrap_or(xml.len())
    };
    let (mut depth, mut i) = (0usize, 0usize);
    while i < xml.len() {
        if xml[i] != b'<' {
            i += 1;
            continue;
        }
        let rest = &xml[i..];
        if rest.starts_with(b"<!--") {
            i = find(i + 4, b"-->");
        } else if rest.starts_with(b"<![CDATA[") {
            i = find(i + 9, b"]]>");
        } else if rest.starts_with(b"<?") {
            i = find(i + 2, b"?>");
        } else if rest.starts_with(b"<!") || rest.starts_with(b"</") {
            if rest.starts_with(b"</") {
                depth = depth.saturating_sub(1);
            }
            i = find(i + 2, b">");
        } else {
            // A start tag: to its `>` outside quotes; `/>` closes it at once.
            depth += 1;
            if depth > limit {
                return Some(1 + xml[..i].iter().filter(|b| **b == b'\n').count() as u64);
            }
            let mut j = i + 1;
            let mut quote = None;
            while j < xml.len() {
                match (quote, xml[j]) {
                    (Some(q), b) if b == q => quote = None,
                    (Some(_), _) => {}
                    (None, b'"' | b'\'') => quote = Some(xml[j]),
                    (None, b'>') => {
                        if xml[j - 1] == b'/' {
                            depth -= 1;
                        }
                        break;
                    }
                    _ => {}
                }
                j += 1;
            }
            i = j + 1;
        }
    }
    None
}

/// The first direct child element of `node` named `name`.
pub fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|c| c.is_element() && c.tag_name().name() == name)
}

/// The trimmed text of the direct child `name`, if present and not empty.
pub fn child_text<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    child(node, name)
        .and_then(|c| c.text())
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The direct child `name` read as a number (integers and decimals alike).
pub fn child_number(node: Node, name: &str) -> Option<f64> {
    child_text(node, name).and_then(|t| t.parse().ok())
}

/// `<size><width>` and `<height>` of an annotation root, when both are positive numbers.
pub fn size(root: Node) -> Option<(f64, f64)> {
    let size = child(root, "size")?;
    let (w, h) = (child_number(size, "width")?, child_number(size, "height")?);
    (w > 0.0 && h > 0.0).then_some((w, h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_is_counted_as_the_parser_enters_elements() {
        let nested = |n: usize| format!("{}{}", "<a>".repeat(n), "</a>".repeat(n));
        assert_eq!(line_beyond_depth(nested(3).as_bytes(), 3), None);
        assert_eq!(line_beyond_depth(nested(4).as_bytes(), 3), Some(1));
        // Self-closed siblings, end tags, comments, CDATA, PIs and quoted `>`/`/>` open nothing.
        let flat = r#"<?xml version="1.0"?><r><!-- <a><a><a> --><b/><b x="/>"/><c y='>'></c><![CDATA[<a><a>]]></r>"#;
        assert_eq!(line_beyond_depth(flat.as_bytes(), 2), None);
        assert_eq!(line_beyond_depth(flat.as_bytes(), 1), Some(1));
        // `/>` in text does not close anything: the next level still counts.
        assert_eq!(line_beyond_depth(b"<a>/><b>/><c>", 2), Some(1));
        assert_eq!(line_beyond_depth(b"<a>\n<b>\n\n<c>", 2), Some(4));
    }
}
