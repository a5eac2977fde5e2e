//! A span-preserving YAML tree: every node knows the byte range it was read from.
//!
//! Built from granit-parser events. Scalars keep their value, their quoting style
//! and their exact byte span; aliases are kept as aliases (never copied), and
//! resolved one level on request. What a file may cost is bounded while it is
//! parsed (`ParseLimits`): documents, nesting depth with aliases expanded, and
//! the nodes aliases add once expanded, so that no later walk over a tree, alias
//! following included, can run away. This module reads; it never decides or
//! mutates.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use granit_parser::{Event, Options, Parser, ScalarStyle, StructureStyle};

use crate::diag::Code;

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
    /// Where each anchored node sits in the tree, by anchor id: an index into
    /// `places`. Anchored nodes are found again, never copied, so that nested
    /// anchors over a large subtree cost nothing.
    anchors: HashMap<usize, usize>,
    /// Positions in the tree as (parent position, child index), with the root
    /// at 0. A mapping's child `2i` is its `i`th key and `2i + 1` that key's value.
    places: Vec<(usize, usize)>,
}

/// A YAML syntax error, or a structure we refuse to interpret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    /// What is wrong, lowercase, no trailing period.
    pub message: String,
    /// Byte offset of the problem in the source.
    pub offset: usize,
    /// Which kind of problem: bad YAML, or one of the limits.
    pub kind: YamlErrorKind,
}

/// What a `YamlError` is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YamlErrorKind {
    /// The text is not YAML we can read.
    Syntax,
    /// Collections nest deeper than `ParseLimits::max_depth` (aliases expanded).
    Depth,
    /// More documents than `ParseLimits::max_documents`.
    Documents,
    /// Aliases expand to more nodes than `ParseLimits::max_alias_nodes`.
    Aliases,
}

impl YamlError {
    fn new(kind: YamlErrorKind, offset: usize, message: String) -> Self {
        YamlError {
            message,
            offset,
            kind,
        }
    }

    /// The diagnostic code for this error.
    pub fn code(&self) -> Code {
        match self.kind {
            YamlErrorKind::Syntax => Code::YamlInvalid,
            YamlErrorKind::Depth => Code::LimitDepth,
            YamlErrorKind::Documents => Code::LimitDocuments,
            YamlErrorKind::Aliases => Code::LimitAliases,
        }
    }
}

/// The deepest nesting `ParseLimits::max_depth` may allow. Every walk over a
/// tree (building it, dropping it, `to_json`, the verifier, the authoring
/// patcher) recurses once per level, so this bound is what keeps them all
/// within a thread's stack; it is also granit's own default nesting limit.
pub const MAX_DEPTH_CEILING: usize = 256;

/// Limits applied while parsing. Every file is parsed under them, so whatever
/// later walks a tree (following aliases or not) meets a bounded one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// Most documents one file may hold.
    pub max_documents: usize,
    /// Deepest nesting of collections, counted with every alias expanded
    /// (at most `MAX_DEPTH_CEILING`).
    pub max_depth: usize,
    /// Most nodes that aliases may add to a file once expanded (all its
    /// documents together): the bound on "billion laughs".
    pub max_alias_nodes: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_documents: 10_000,
            max_depth: 100,
            max_alias_nodes: 100_000,
        }
    }
}

/// Parse a whole YAML stream (JSON is YAML too) into documents.
pub fn parse(src: &str) -> Result<Vec<Document<'_>>, YamlError> {
    parse_with_limits(src, ParseLimits::default())
}

/// Parse with explicit limits: the block-style fast path when it applies, the
/// full parser otherwise.
pub fn parse_with_limits(src: &str, limits: ParseLimits) -> Result<Vec<Document<'_>>, YamlError> {
    let max_depth = limits.max_depth.min(MAX_DEPTH_CEILING);
    if let Some(docs) = super::fast::parse(src, limits.max_documents, max_depth) {
        return Ok(docs);
    }
    parse_full(src, limits)
}

/// A collection being built.
struct Open<'a> {
    node: Node<'a>,
    /// A mapping's key waiting for its value.
    key: Option<Node<'a>>,
    /// Nodes in it so far with aliases expanded, itself included.
    size: usize,
    /// Nesting of its deepest child so far (aliases expanded; 0 for scalars).
    height: usize,
    /// Its index in `places`, once an anchor below it needed one.
    place: Option<usize>,
    /// A large mapping's scalar keys, for the duplicate check.
    keys: Option<std::collections::HashSet<String>>,
}

impl Open<'_> {
    /// The child index the next completed node takes.
    fn next_index(&self) -> usize {
        match &self.node.kind {
            NodeKind::Seq { items, .. } => items.len(),
            NodeKind::Map { entries, .. } => 2 * entries.len() + usize::from(self.key.is_some()),
            _ => 0,
        }
    }
}

/// What an anchored node expands to.
struct Anchored {
    place: usize,
    size: usize,
    height: usize,
}

/// A mapping with more entries than this checks duplicate keys with a set.
const KEY_SET_FROM: usize = 16;

/// The position the next completed node takes in the document: a new entry in
/// `places`, giving the open collections on the way one first if needed.
fn place_of_next(stack: &mut [Open<'_>], places: &mut Vec<(usize, usize)>) -> usize {
    let Some(top) = stack.len().checked_sub(1) else {
        return 0;
    };
    // Collections below the highest placed one are placed too.
    let first = stack
        .iter()
        .rposition(|o| o.place.is_some())
        .map_or(0, |i| i + 1);
    for i in first..=top {
        let place = match i.checked_sub(1) {
            None => 0,
            Some(parent) => {
                places.push((stack[parent].place.unwrap_or(0), stack[parent].next_index()));
                places.len() - 1
            }
        };
        stack[i].place = Some(place);
    }
    places.push((stack[top].place.unwrap_or(0), stack[top].next_index()));
    places.len() - 1
}

/// Parse with the full parser only (the reference the fast path is tested against).
pub fn parse_full(src: &str, limits: ParseLimits) -> Result<Vec<Document<'_>>, YamlError> {
    use YamlErrorKind::{Aliases, Depth, Documents, Syntax};
    let max_depth = limits.max_depth.min(MAX_DEPTH_CEILING);
    let mut options = Options::default();
    options.set_emit_comments(false);
    // granit counts flow and block nesting apart and may scan ahead of the
    // events: its limits only stop what ours would stop anyway.
    options.flow_nesting_limit = max_depth + 1;
    options.block_nesting_limit = max_depth + 1;
    let depth_error = |offset: usize| {
        YamlError::new(
            Depth,
            offset,
            format!("nesting deeper than {max_depth} levels (the limit; see `--max-depth`)"),
        )
    };
    let mut docs = Vec::new();
    let mut stack: Vec<Open<'_>> = Vec::new();
    let mut anchors: HashMap<usize, Anchored> = HashMap::new();
    let mut places: Vec<(usize, usize)> = vec![(0, 0)];
    let mut root: Option<Node<'_>> = None;
    // Nodes the aliases of this file add once expanded.
    let mut expanded: usize = 0;
    for item in Parser::new_from_str_with_options(src, options) {
        let (event, span) = item.map_err(|e| {
            let offset = e.marker().byte_offset().unwrap_or(0);
            if matches!(e.kind(), granit_parser::ErrorKind::RecursionLimitExceeded) {
                depth_error(offset)
            } else {
                YamlError::new(Syntax, offset, clean_scan_message(&e.to_string()))
            }
        })?;
        let range = span.byte_range().unwrap_or(0..0);
        // A collection that got its place while it was open.
        let mut placed = None;
        // A completed node with its expanded size and nesting.
        let complete: Option<(Node<'_>, usize, usize)> = match event {
            Event::DocumentStart(..) => {
                if docs.len() >= limits.max_documents {
                    return Err(YamlError::new(
                        Documents,
                        range.start,
                        format!(
                            "more than {} documents in one file (the limit; see `--max-documents`)",
                            limits.max_documents
                        ),
                    ));
                }
                anchors.clear();
                places = vec![(0, 0)];
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
                    anchors: anchors.drain().map(|(id, a)| (id, a.place)).collect(),
                    places: std::mem::take(&mut places),
                });
                None
            }
            Event::Scalar(value, style, anchor, tag) => Some((
                Node {
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
                },
                1,
                0,
            )),
            Event::Alias(id) => {
                // granit knows the anchor; one we have not completed is the
                // collection the alias sits in.
                let Some(target) = anchors.get(&id) else {
                    return Err(YamlError::new(
                        Syntax,
                        range.start,
                        "an alias refers to the collection that contains it".into(),
                    ));
                };
                expanded = expanded.saturating_add(target.size);
                if expanded > limits.max_alias_nodes {
                    return Err(YamlError::new(
                        Aliases,
                        range.start,
                        format!(
                            "aliases expand to more than {} nodes in this file (the limit; see `--max-alias-nodes`)",
                            limits.max_alias_nodes
                        ),
                    ));
                }
                if stack.len() + target.height > max_depth {
                    return Err(YamlError::new(
                        Depth,
                        range.start,
                        format!(
                            "nesting deeper than {max_depth} levels once this alias is expanded (the limit; see `--max-depth`)"
                        ),
                    ));
                }
                let (size, height) = (target.size, target.height);
                Some((
                    Node {
                        span: range,
                        anchor: 0,
                        kind: NodeKind::Alias(id),
                    },
                    size,
                    height,
                ))
            }
            Event::SequenceStart(style, anchor, _) | Event::MappingStart(style, anchor, _) => {
                if stack.len() >= max_depth {
                    return Err(depth_error(range.start));
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
                stack.push(Open {
                    node: Node {
                        span: range,
                        anchor,
                        kind,
                    },
                    key: None,
                    size: 1,
                    height: 0,
                    place: None,
                    keys: None,
                });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let mut open = stack.pop().ok_or_else(|| {
                    YamlError::new(Syntax, range.start, "unbalanced collection end".into())
                })?;
                if open.key.is_some() {
                    return Err(YamlError::new(
                        Syntax,
                        range.start,
                        "mapping key without a value".into(),
                    ));
                }
                open.node.span.end = range.end.max(open.node.span.start);
                placed = open.place;
                Some((open.node, open.size, open.height + 1))
            }
            _ => None,
        };
        let Some((node, size, height)) = complete else {
            continue;
        };
        if node.anchor != 0 {
            let place = placed.unwrap_or_else(|| place_of_next(&mut stack, &mut places));
            anchors.insert(
                node.anchor,
                Anchored {
                    place,
                    size,
                    height,
                },
            );
        }
        let Some(parent) = stack.last_mut() else {
            root = Some(node);
            continue;
        };
        parent.size = parent.size.saturating_add(size);
        parent.height = parent.height.max(height);
        match &mut parent.node.kind {
            NodeKind::Seq { items, .. } => items.push(node),
            NodeKind::Map { entries, .. } => match parent.key.take() {
                None => parent.key = Some(node),
                Some(key) => {
                    if let Some(k) = key.as_str() {
                        let duplicate = match &mut parent.keys {
                            Some(set) => !set.insert(k.to_string()),
                            None => entries.iter().any(|(ek, _)| ek.as_str() == Some(k)),
                        };
                        if duplicate {
                            return Err(YamlError::new(
                                Syntax,
                                key.span.start,
                                format!("duplicate mapping key `{k}`"),
                            ));
                        }
                    }
                    entries.push((key, node));
                    if parent.keys.is_none() && entries.len() >= KEY_SET_FROM {
                        parent.keys = Some(
                            entries
                                .iter()
                                .filter_map(|(k, _)| k.as_str().map(str::to_string))
                                .collect(),
                        );
                    }
                }
            },
            _ => {}
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

    /// Convert to a JSON value (aliases followed, bounded). Used for
    /// comparisons and reports, never for writing. The parser's limits bound
    /// alias expansion and depth; on top of that, what the source does not hold
    /// is capped at [`JSON_EXPANSION_LIMIT`] in all (nodes reached through
    /// aliases, bytes of collection keys written as text), so an alias bomb or
    /// nested collection keys cost nothing; past the cap, an alias reads as null
    /// and a collection key as `null`. The recursion bound is only a backstop
    /// that a parsed document never reaches (a level and an alias per level).
    pub fn to_json(&self, doc: &Document<'a>) -> serde_json::Value {
        let mut budget = JSON_EXPANSION_LIMIT;
        self.to_json_bounded(doc, 2 * MAX_DEPTH_CEILING + 2, false, &mut budget)
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
            NodeKind::Alias(_) => match doc.resolve(self) {
                n if std::ptr::eq(n, self) => Value::Null,
                n => n.to_json_bounded(doc, depth - 1, true, budget),
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
    /// A document without anchors (what the block-style fast path reads).
    pub(crate) fn without_anchors(root: Node<'a>) -> Document<'a> {
        Document {
            root,
            anchors: HashMap::new(),
            places: Vec::new(),
        }
    }

    /// Follow an alias to the node it names; any other node is returned as is.
    pub fn resolve<'n>(&'n self, node: &'n Node<'a>) -> &'n Node<'a> {
        let NodeKind::Alias(id) = node.kind else {
            return node;
        };
        let Some(&place) = self.anchors.get(&id) else {
            return node;
        };
        let mut path = Vec::new();
        let mut at = place;
        while at != 0 {
            let Some(&(parent, index)) = self.places.get(at) else {
                return node;
            };
            path.push(index);
            at = parent;
        }
        let mut n = &self.root;
        for &i in path.iter().rev() {
            let child = match &n.kind {
                NodeKind::Seq { items, .. } => items.get(i),
                NodeKind::Map { entries, .. } => entries
                    .get(i / 2)
                    .map(|(k, v)| if i % 2 == 0 { k } else { v }),
                _ => None,
            };
            match child {
                Some(c) => n = c,
                None => return node,
            }
        }
        n
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
                ..ParseLimits::default()
            },
        )
        .unwrap_err();
        assert!(err.message.contains("nesting"));
    }

    fn limits(max_depth: usize, max_alias_nodes: usize) -> ParseLimits {
        ParseLimits {
            max_depth,
            max_alias_nodes,
            ..ParseLimits::default()
        }
    }

    /// The line (1-based) of a byte offset.
    fn line_of(src: &str, offset: usize) -> usize {
        src[..offset].matches('\n').count() + 1
    }

    #[test]
    fn aliases_resolve_to_anchored_nodes_wherever_they_sit() {
        let src = "a: &x {b: &y [1, &z two], &k key: v}\nk: *x\nl: *y\nm: *z\n? *k\n: w\n---\nn: &x other\no: *x\n";
        let docs = parse(src).unwrap();
        let d = &docs[0];
        let at = |n: &Node<'_>| &src[n.span.clone()];
        let x = d.resolve(d.root.get("k").unwrap());
        assert_eq!(at(x), "{b: &y [1, &z two], &k key: v}");
        assert_eq!(at(d.resolve(d.root.get("l").unwrap())), "[1, &z two]");
        assert_eq!(d.resolve(d.root.get("m").unwrap()).as_str(), Some("two"));
        let (alias_key, _) = &d.root.entries()[4];
        assert_eq!(d.resolve(alias_key).as_str(), Some("key"));
        // Anchors belong to their document.
        let o = docs[1].root.get("o").unwrap();
        assert_eq!(docs[1].resolve(o).as_str(), Some("other"));
        assert_eq!(
            d.root.get("m").unwrap().to_json(d),
            serde_json::json!("two")
        );
        // Block style, anchors after placed siblings and inside placed parents.
        let src = "l:\n- &a 1\n- &b {k: &c [x, &d y]}\n- [&e 3]\nr: [*a, *b, *c, *d, *e]\n";
        let docs = parse(src).unwrap();
        let d = &docs[0];
        let got: Vec<String> = d
            .root
            .get("r")
            .unwrap()
            .items()
            .iter()
            .map(|n| src[d.resolve(n).span.clone()].trim_end().to_string())
            .collect();
        assert_eq!(got, ["1", "{k: &c [x, &d y]}", "[x, &d y]", "y", "3"]);
    }

    /// Nested anchors over one large subtree used to copy it once per anchor.
    #[test]
    fn nested_anchors_are_not_copied() {
        let depth = 90;
        let mut src = String::from("a: ");
        for i in 0..depth {
            src.push_str(&format!("&a{i} ["));
        }
        src.push_str(&vec!["1"; 200_000].join(","));
        src.push_str(&"]".repeat(depth));
        src.push('\n');
        let docs = parse(&src).unwrap();
        assert!(
            docs[0].places.len() <= depth + 1,
            "{}",
            docs[0].places.len()
        );
    }

    #[test]
    fn an_alias_inside_its_own_anchor_is_rejected() {
        for src in ["a: &x {b: *x}\n", "&x [*x]\n", "a: &x [1, [*x]]\n"] {
            let err = parse(src).unwrap_err();
            assert_eq!(err.kind, YamlErrorKind::Syntax, "{src}");
            assert!(err.message.contains("contains it"), "{}", err.message);
        }
    }

    const LAUGHS: &str = r#"a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"#;

    #[test]
    fn billion_laughs_stops_at_the_alias_budget() {
        let err = parse(LAUGHS).unwrap_err();
        assert_eq!(err.kind, YamlErrorKind::Aliases);
        assert_eq!(err.code(), Code::LimitAliases);
        // a..e add 74,718 nodes; the first `*e` (66,430 more) crosses 100,000.
        assert_eq!(line_of(LAUGHS, err.offset), 6);
        assert_eq!(&LAUGHS[err.offset..err.offset + 2], "*e");
        // Parsing never expands: under a budget of a billion it is read at once.
        let docs = parse_with_limits(LAUGHS, limits(100, 1_000_000_000)).unwrap();
        let i = docs[0].root.get("i").unwrap();
        assert_eq!(docs[0].resolve(&i.items()[0]).items().len(), 9);
    }

    #[test]
    fn the_alias_budget_is_exact_and_counts_the_whole_file() {
        // Each `*a` adds three nodes: the sequence and its two items.
        let src = "a: &a [x, x]\nb: [*a, *a]\n";
        assert!(parse_with_limits(src, limits(100, 6)).is_ok());
        let err = parse_with_limits(src, limits(100, 5)).unwrap_err();
        assert_eq!(err.kind, YamlErrorKind::Aliases);
        assert_eq!(err.offset, src.rfind("*a").unwrap());
        let docs = parse_with_limits(src, limits(100, 6)).unwrap();
        let json = docs[0].root.to_json(&docs[0]);
        assert_eq!(json["b"], serde_json::json!([["x", "x"], ["x", "x"]]));
        // Two documents of six each: twelve for the file.
        let two = format!("{src}---\n{src}");
        assert!(parse_with_limits(&two, limits(100, 12)).is_ok());
        let err = parse_with_limits(&two, limits(100, 11)).unwrap_err();
        assert_eq!(err.offset, two.rfind("*a").unwrap());
    }

    #[test]
    fn nesting_counts_expanded_aliases() {
        // `*a` sits under two collections and expands to three more.
        let src = "a: &a [[[1]]]\nb: [*a]\n";
        assert!(parse_with_limits(src, limits(5, 100)).is_ok());
        let err = parse_with_limits(src, limits(4, 100)).unwrap_err();
        assert_eq!(err.kind, YamlErrorKind::Depth);
        assert_eq!(err.code(), Code::LimitDepth);
        assert_eq!(err.offset, src.find("*a").unwrap());
        assert!(err.message.contains("alias"), "{}", err.message);
    }

    /// Far deeper than any stack could recurse: every style stops at the limit,
    /// before a tree that deep exists.
    #[test]
    fn a_million_levels_stop_at_the_depth_limit() {
        let n = 1_000_000;
        let inputs = [
            format!("a: {}{}\n", "[".repeat(n), "]".repeat(n)),
            format!("a: {}\n", "[".repeat(n)),
            format!("{}x\n", "- ".repeat(n)),
            format!("a: {}1{}\n", "{a: ".repeat(n), "}".repeat(n)),
            (0..3000)
                .map(|i| format!("{}a:\n", " ".repeat(i)))
                .collect(),
        ];
        for src in &inputs {
            for max_depth in [100, MAX_DEPTH_CEILING, n] {
                let err = parse_with_limits(src, limits(max_depth, 100)).unwrap_err();
                assert_eq!(
                    err.kind,
                    YamlErrorKind::Depth,
                    "{}: {}",
                    &src[..20],
                    err.message
                );
                let shown = max_depth.min(MAX_DEPTH_CEILING);
                assert!(
                    err.message.contains(&format!("{shown} levels")),
                    "{}",
                    err.message
                );
            }
        }
    }

    /// At the ceiling every walk still fits a test thread's stack (2 MiB):
    /// parsing, `to_json` with aliases, cloning and dropping.
    #[test]
    fn the_deepest_allowed_tree_is_walked_safely() {
        let n = MAX_DEPTH_CEILING;
        let flow = format!("{}1{}\n", "[".repeat(n), "]".repeat(n));
        let block = format!("{}x\n", "- ".repeat(n));
        let map = (0..n)
            .map(|i| format!("{}a:\n", " ".repeat(i)))
            .collect::<String>();
        let inner = n - 2;
        let aliased = format!(
            "a: &a {}1{}\nb: [*a]\n",
            "[".repeat(inner),
            "]".repeat(inner)
        );
        for src in [&flow, &block, &map, &aliased] {
            let docs = parse_with_limits(src, limits(n, 100_000)).unwrap();
            let json = docs[0].root.to_json(&docs[0]);
            assert!(!json.is_null());
            let copy = docs.clone();
            drop(copy);
            drop(json);
            let err = parse_with_limits(src, limits(n - 1, 100_000)).unwrap_err();
            assert_eq!(err.kind, YamlErrorKind::Depth);
        }
    }

    #[test]
    fn document_limit() {
        let src = "---\na: 1\n".repeat(11);
        let max = ParseLimits {
            max_documents: 11,
            ..ParseLimits::default()
        };
        assert_eq!(parse_with_limits(&src, max).unwrap().len(), 11);
        let err = parse_with_limits(
            &src,
            ParseLimits {
                max_documents: 10,
                ..ParseLimits::default()
            },
        )
        .unwrap_err();
        assert_eq!(err.kind, YamlErrorKind::Documents);
        assert_eq!(err.code(), Code::LimitDocuments);
        assert_eq!(line_of(&src, err.offset), 21);
    }

    /// Duplicate keys are still found in a large mapping, and checking them
    /// is no longer quadratic (200,000 keys used to take minutes).
    #[test]
    fn duplicate_keys_in_large_mappings() {
        let mut src: String = (0..200_000).map(|i| format!("k{i}: 1\n")).collect();
        let docs = parse(&src).unwrap();
        assert_eq!(docs[0].root.entries().len(), 200_000);
        src.push_str("k3: 2\n");
        let err = parse(&src).unwrap_err();
        assert_eq!(err.kind, YamlErrorKind::Syntax);
        assert!(err.message.contains("`k3`"), "{}", err.message);
        assert_eq!(err.offset, src.len() - 6);
        // Small mappings too, and keys of other styles.
        let err = parse("a: 1\n'a': 2\n").unwrap_err();
        assert!(err.message.contains("duplicate"), "{}", err.message);
    }
}
