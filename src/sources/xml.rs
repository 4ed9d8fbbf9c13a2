//! Small helpers over `roxmltree` for the per-image XML annotations (PASCAL VOC, Flickr-SoundNet):
//! elements are found by tag name among direct children, never by position.

use crate::error::{Error, Result};
use roxmltree::{Document, Node};
use std::path::Path;

/// Reads and parses the XML file at `path` and passes the document to `f`.
///
/// Errors: unreadable file, or malformed XML (with the line where parsing stopped).
pub fn with_document<T>(path: &Path, f: impl FnOnce(&Document) -> T) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let doc = Document::parse(&text)
        .map_err(|e| Error::input(path, Some(e.pos().row as u64), format!("malformed XML: {e}")))?;
    Ok(f(&doc))
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
