//! A span-preserving YAML tree: every node knows the byte range it was read from.
//!
//! Built from granit-parser events. Scalars keep their value, their quoting style
//! and their exact byte span; aliases are kept as aliases (never expanded, so an
//! alias bomb costs nothing), and resolved one level on request. This module reads;
//! it never decides or mutates.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use granit_parser::{Event, Options, Parser, ScalarStyle, StructureStyle};

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `value`
    Plain,
    /// `'value'`
    SingleQuoted,
    /// `"value"`
    DoubleQuoted,
    /// `|` block.
    Literal,
    /// `>` block.
    Folded,
}

/// One node of a document.
#[derive(Debug, Clone)]
pub struct Node<'a> {
    /// The node's byte range in the source. For scalars, the token including its
    /// quotes (and, for block scalars, from the first content byte). For block
    /// collections, from the first entry; for flow collections, from the bracket.
    pub span: Range<usize>,
    /// Anchor id defined on this node (`&name`), or 0.
    pub anchor: usize,
    /// What the node is.
    pub kind: NodeKind<'a>,
}

/// The shape of a node.
#[derive(Debug, Clone)]
pub enum NodeKind<'a> {
    /// A scalar with its value after escape processing.
    Scalar {
        /// The value.
        value: Cow<'a, str>,
        /// How it was written.
        style: Style,
        /// Whether an explicit tag (`!!str`) precedes it.
        tagged: bool,
    },
    /// A sequence.
    Seq {
        /// The items in order.
        items: Vec<Node<'a>>,
        /// Whether written as `[…]`.
        flow: bool,
    },
    /// A mapping.
    Map {
        /// Key/value pairs in source order.
        entries: Vec<(Node<'a>, Node<'a>)>,
        /// Whether written as `{…}`.
        flow: bool,
    },
    /// `*name`: refers to the node anchored with that id.
    Alias(usize),
}

/// One document of a YAML stream.
#[derive(Debug, Clone)]
pub struct Document<'a> {
    /// The root node (an empty plain scalar for an empty document).
    pub root: Node<'a>,
    /// Anchored nodes of this document by anchor id, for alias lookups.
    pub anchors: HashMap<usize, Node<'a>>,
}

/// A YAML syntax error, or a structure we refuse to interpret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    /// What is wrong, lowercase, no trailing period.
    pub message: String,
    /// Byte offset of the problem in the source.
    pub offset: usize,
}

/// Limits applied while parsing.
#[derive(Debug, Clone, Copy)]
pub struct ParseLimits {
    /// Most documents one file may hold.
    pub max_documents: usize,
    /// Deepest nesting of collections.
    pub max_depth: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_documents: 10_000,
            max_depth: 100,
        }
    }
}

/// Parse a whole YAML stream (JSON is YAML too) into documents.
pub fn parse(src: &str) -> Result<Vec<Document<'_>>, YamlError> {
    parse_with_limits(src, ParseLimits::default())
}

/// Parse with explicit limits.
pub fn parse_with_limits(src: &str, limits: ParseLimits) -> Result<Vec<Document<'_>>, YamlError> {
    let mut options = Options::default();
    options.set_emit_comments(false);
    let mut docs = Vec::new();
    // Open collections: (node under construction, pending key for maps).
    let mut stack: Vec<(Node<'_>, Option<Node<'_>>)> = Vec::new();
    let mut anchors: HashMap<usize, Node<'_>> = HashMap::new();
    let mut root: Option<Node<'_>> = None;
    for item in Parser::new_from_str_with_options(src, options) {
        let (event, span) = item.map_err(|e| YamlError {
            message: clean_scan_message(&e.to_string()),
            offset: e.marker().byte_offset().unwrap_or(0),
        })?;
        let range = span.byte_range().unwrap_or(0..0);
        let complete: Option<Node<'_>> = match event {
            Event::DocumentStart(..) => {
                if docs.len() >= limits.max_documents {
                    return Err(YamlError {
                        message: format!(
                            "more than {} documents in one file (limit)",
                            limits.max_documents
                        ),
                        offset: range.start,
                    });
                }
                anchors.clear();
                root = None;
                None
            }
            Event::DocumentEnd => {
                let root = root.take().unwrap_or(Node {
                    span: range.start..range.start,
                    anchor: 0,
                    kind: NodeKind::Scalar {
                        value: Cow::Borrowed(""),
                        style: Style::Plain,
                        tagged: false,
                    },
                });
                docs.push(Document {
                    root,
                    anchors: std::mem::take(&mut anchors),
                });
                None
            }
            Event::Scalar(value, style, anchor, tag) => Some(Node {
                span: range,
                anchor,
                kind: NodeKind::Scalar {
                    value,
                    style: match style {
                        ScalarStyle::Plain => Style::Plain,
                        ScalarStyle::SingleQuoted => Style::SingleQuoted,
                        ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
                        ScalarStyle::Literal => Style::Literal,
                        ScalarStyle::Folded => Style::Folded,
                    },
                    tagged: tag.is_some(),
                },
            }),
            Event::Alias(id) => Some(Node {
                span: range,
                anchor: 0,
                kind: NodeKind::Alias(id),
            }),
            Event::SequenceStart(style, anchor, _) | Event::MappingStart(style, anchor, _) => {
                if stack.len() >= limits.max_depth {
                    return Err(YamlError {
                        message: format!("nesting deeper than {} levels (limit)", limits.max_depth),
                        offset: range.start,
                    });
                }
                let flow = style == StructureStyle::Flow;
                let kind = if matches!(event, Event::SequenceStart(..)) {
                    NodeKind::Seq {
                        items: Vec::new(),
                        flow,
                    }
                } else {
                    NodeKind::Map {
                        entries: Vec::new(),
                        flow,
                    }
                };
                stack.push((
                    Node {
                        span: range,
                        anchor,
                        kind,
                    },
                    None,
                ));
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (mut node, pending) = stack.pop().ok_or_else(|| YamlError {
                    message: "unbalanced collection end".into(),
                    offset: range.start,
                })?;
                if pending.is_some() {
                    return Err(YamlError {
                        message: "mapping key without a value".into(),
                        offset: range.start,
                    });
                }
                node.span.end = range.end.max(node.span.start);
                Some(node)
            }
            _ => None,
        };
        let Some(node) = complete else { continue };
        if node.anchor != 0 {
            anchors.insert(node.anchor, node.clone());
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some((parent, pending)) => match &mut parent.kind {
                NodeKind::Seq { items, .. } => items.push(node),
                NodeKind::Map { entries, .. } => match pending.take() {
                    None => *pending = Some(node),
                    Some(key) => {
                        if let Some(k) = key.as_str()
                            && entries.iter().any(|(ek, _)| ek.as_str() == Some(k))
                        {
                            return Err(YamlError {
                                message: format!("duplicate mapping key `{k}`"),
                                offset: key.span.start,
                            });
                        }
                        entries.push((key, node));
                    }
                },
                _ => {}
            },
        }
    }
    Ok(docs)
}

/// granit's messages end with a location in characters; we print our own.
fn clean_scan_message(msg: &str) -> String {
    let msg = match msg.find(" at char ") {
        Some(i) => &msg[..i],
        None => msg,
    };
    msg.trim().to_string()
}

impl<'a> Node<'a> {
    /// The scalar's value, if this is a non-null scalar. Aliases are not followed.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { value, .. } if !self.is_null() => Some(value),
            _ => None,
        }
    }

    /// Whether the node is a YAML null (`~`, `null`, or nothing, written plain).
    pub fn is_null(&self) -> bool {
        match &self.kind {
            NodeKind::Scalar {
                value,
                style: Style::Plain,
                tagged: false,
            } => matches!(value.as_ref(), "~" | "null" | "Null" | "NULL" | ""),
            _ => false,
        }
    }

    /// The value of `key` in a mapping (without following aliases).
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        match &self.kind {
            NodeKind::Map { entries, .. } => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value of `key`, following an alias at that position within `doc`.
    pub fn get_in<'n>(&'n self, doc: &'n Document<'a>, key: &str) -> Option<&'n Node<'a>> {
        self.get(key).map(|n| doc.resolve(n))
    }

    /// Items of a sequence (empty for anything else).
    pub fn items(&self) -> &[Node<'a>] {
        match &self.kind {
            NodeKind::Seq { items, .. } => items,
            _ => &[],
        }
    }

    /// Entries of a mapping (empty for anything else).
    pub fn entries(&self) -> &[(Node<'a>, Node<'a>)] {
        match &self.kind {
            NodeKind::Map { entries, .. } => entries,
            _ => &[],
        }
    }

    /// Whether this is a mapping.
    pub fn is_map(&self) -> bool {
        matches!(self.kind, NodeKind::Map { .. })
    }

    /// Whether this is a sequence.
    pub fn is_seq(&self) -> bool {
        matches!(self.kind, NodeKind::Seq { .. })
    }

    /// The scalar style, if a scalar.
    pub fn style(&self) -> Option<Style> {
        match &self.kind {
            NodeKind::Scalar { style, .. } => Some(*style),
            _ => None,
        }
    }

    /// Walk `path` (mapping keys), following aliases along the way.
    pub fn path<'n>(&'n self, doc: &'n Document<'a>, path: &[&str]) -> Option<&'n Node<'a>> {
        let mut n = doc.resolve(self);
        for key in path {
            n = n.get_in(doc, key)?;
        }
        Some(n)
    }

    /// Convert to a JSON value (aliases followed one level at a time, bounded).
    /// Used for comparisons and reports, never for writing. What the source does
    /// not hold is capped at [`JSON_EXPANSION_LIMIT`] in all (nodes reached
    /// through aliases, bytes of collection keys written as text), so an alias
    /// bomb or nested collection keys cost nothing; past the cap, an alias reads
    /// as null and a collection key as `null`.
    pub fn to_json(&self, doc: &Document<'a>) -> serde_json::Value {
        let mut budget = JSON_EXPANSION_LIMIT;
        self.to_json_bounded(doc, 64, false, &mut budget)
    }

    /// `aliased`: reached through an alias, so each node spends one of `budget`.
    fn to_json_bounded(
        &self,
        doc: &Document<'a>,
        depth: usize,
        aliased: bool,
        budget: &mut usize,
    ) -> serde_json::Value {
        use serde_json::Value;
        if depth == 0 {
            return Value::Null;
        }
        if aliased {
            if *budget == 0 {
                return Value::Null;
            }
            *budget -= 1;
        }
        match &self.kind {
            NodeKind::Scalar { value, style, .. } => {
                if self.is_null() {
                    Value::Null
                } else if *style == Style::Plain {
                    plain_to_json(value)
                } else {
                    Value::String(value.to_string())
                }
            }
            NodeKind::Seq { items, .. } => Value::Array(
                items
                    .iter()
                    .map(|i| i.to_json_bounded(doc, depth - 1, aliased, budget))
                    .collect(),
            ),
            NodeKind::Map { entries, .. } => {
                let mut m = serde_json::Map::new();
                for (k, v) in entries {
                    let key = match &k.kind {
                        NodeKind::Scalar { value, .. } => value.to_string(),
                        _ => {
                            // Each level of a key in a key escapes the inner text
                            // again, doubling it: spend its length.
                            let inner = k.to_json_bounded(doc, depth - 1, aliased, budget);
                            let text = if *budget == 0 {
                                "null".to_string()
                            } else {
                                inner.to_string()
                            };
                            *budget = budget.saturating_sub(text.len());
                            text
                        }
                    };
                    m.insert(key, v.to_json_bounded(doc, depth - 1, aliased, budget));
                }
                Value::Object(m)
            }
            NodeKind::Alias(id) => match doc.anchors.get(id) {
                Some(n) => n.to_json_bounded(doc, depth - 1, true, budget),
                None => Value::Null,
            },
        }
    }
}

/// What `Node::to_json` may add to the source, in all: nodes reached through
/// aliases plus bytes of collection keys written as text. Far more than any
/// manifest's anchors need, far less than an alias bomb asks for.
pub const JSON_EXPANSION_LIMIT: usize = 100_000;

/// YAML 1.2 core schema resolution of a plain scalar.
fn plain_to_json(v: &str) -> serde_json::Value {
    use serde_json::Value;
    match v {
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Ok(i) = v.parse::<i64>()
        && !v.starts_with('+')
    {
        return Value::from(i);
    }
    if v.bytes().any(|b| b.is_ascii_digit())
        && v.bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
        && let Ok(f) = v.parse::<f64>()
        && let Some(n) = serde_json::Number::from_f64(f)
    {
        return Value::Number(n);
    }
    Value::String(v.to_string())
}

impl<'a> Document<'a> {
    /// Follow an alias to the node it names; any other node is returned as is.
    pub fn resolve<'n>(&'n self, node: &'n Node<'a>) -> &'n Node<'a> {
        match node.kind {
            NodeKind::Alias(id) => self.anchors.get(&id).unwrap_or(node),
            _ => node,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_bytes_after_multibyte_text() {
        let src = "# ü日本🚀\nname: \"grüße\"\nimage: 'quay.io/a/b:1'\n";
        let docs = parse(src).unwrap();
        let image = docs[0].root.get("image").unwrap();
        assert_eq!(&src[image.span.clone()], "'quay.io/a/b:1'");
        assert_eq!(image.as_str(), Some("quay.io/a/b:1"));
        assert_eq!(image.style(), Some(Style::SingleQuoted));
    }

    #[test]
    fn bom_and_crlf() {
        let src = "\u{feff}a: b\r\nimage: \"x\"\r\n";
        let docs = parse(src).unwrap();
        let image = docs[0].root.get("image").unwrap();
        assert_eq!(&src[image.span.clone()], "\"x\"");
    }

    #[test]
    fn multi_document_and_aliases() {
        let src = "a: &x v\n---\nb: 1\n...\n---\nc: [1, 2]\n";
        let docs = parse(src).unwrap();
        assert_eq!(docs.len(), 3);
        let src2 = "a: &x v\nb: *x\n";
        let d = parse(src2).unwrap();
        let b = d[0].root.get("b").unwrap();
        assert!(matches!(b.kind, NodeKind::Alias(_)));
        assert_eq!(d[0].resolve(b).as_str(), Some("v"));
    }

    #[test]
    fn errors_carry_offsets() {
        let err = parse("a: [1,\n").unwrap_err();
        assert!(err.message.contains("unclosed"), "{}", err.message);
        let dup = parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(dup.offset, 5);
    }

    #[test]
    fn empty_value_is_null_with_empty_span() {
        let src = "image:\nb: 1\n";
        let d = parse(src).unwrap();
        let n = d[0].root.get("image").unwrap();
        assert!(n.is_null());
        // granit places the empty scalar at the colon.
        assert_eq!(n.span, 5..5);
    }

    #[test]
    fn depth_limit() {
        let deep = "[".repeat(50) + &"]".repeat(50);
        let err = parse_with_limits(
            &deep,
            ParseLimits {
                max_documents: 10,
                max_depth: 20,
            },
        )
        .unwrap_err();
        assert!(err.message.contains("nesting"));
    }
}
