//! Checks shared by the fuzz targets. Each panics with a message naming the
//! property that failed, which libFuzzer reports as a crash.

pub mod splice;

use streampin::manifest::yaml::{Document, Node, NodeKind, Style};

/// Whether `s` holds a YAML line break (LF or CR).
pub fn has_break(s: &str) -> bool {
    s.contains(['\n', '\r'])
}

/// Every property of one node's span that the splicer relies on, recursively.
///
/// - the span lies in the source, on char boundaries, `start <= end`;
/// - children lie inside their collection's span, in source order;
/// - a plain scalar with an empty span is a null (`~` or empty: an omitted
///   value), and a one-line plain scalar's span slices to its value;
/// - a quoted scalar's span starts and ends with its quote; on one line (and,
///   for double quotes, without escapes) the inside is the value;
/// - a block scalar's span starts at its first content byte: the value's first
///   line (literal) or first word (folded) begins the slice;
/// - a flow collection's span starts with its bracket (or, for a single pair
///   in a flow sequence, with its key or the key's `?`, tag or anchor).
pub fn check_node(src: &str, node: &Node<'_>, doc: &Document<'_>, depth: usize) {
    assert!(depth < 1000, "runaway depth");
    let span = node.span.clone();
    assert!(
        span.start <= span.end && span.end <= src.len(),
        "span {span:?} out of bounds (len {})",
        src.len()
    );
    assert!(
        src.is_char_boundary(span.start) && src.is_char_boundary(span.end),
        "span {span:?} splits a character"
    );
    let slice = &src[span.clone()];
    if node.anchor != 0 {
        // An alias to this anchor finds a node carrying it.
        let alias = Node {
            span: 0..0,
            anchor: 0,
            kind: NodeKind::Alias(node.anchor),
        };
        assert_eq!(
            doc.resolve(&alias).anchor,
            node.anchor,
            "anchor {} at {span:?} is not in the document's anchor table",
            node.anchor
        );
    }
    match &node.kind {
        NodeKind::Scalar { value, style, .. } => check_scalar(slice, value, *style, &span),
        NodeKind::Alias(_) => {
            assert!(
                slice.starts_with('*'),
                "alias span {span:?} reads {slice:?}, not `*name`"
            );
        }
        NodeKind::Seq { items, flow } => {
            if *flow {
                assert!(
                    slice.starts_with('['),
                    "flow sequence span {span:?} reads {slice:?}"
                );
            }
            let mut last = span.start;
            for item in items {
                check_child(&span, last, item);
                last = item.span.end;
                check_node(src, item, doc, depth + 1);
            }
        }
        NodeKind::Map { entries, flow } => {
            // A single-pair mapping inside a flow sequence (`[a: b]`, `[? a]`,
            // `[!t a: b]`) has no braces: it starts at its key or the key's
            // indicator, tag or anchor.
            if *flow && !slice.starts_with(['{', '?', '!', '&']) {
                let first = entries.first().map(|(k, _)| k.span.start);
                assert_eq!(
                    first,
                    Some(span.start),
                    "flow mapping span {span:?} reads {slice:?}, neither `{{`, `?`, a tag, an anchor nor its first key"
                );
            }
            let mut last = span.start;
            for (k, v) in entries {
                check_child(&span, last, k);
                last = k.span.end;
                check_child(&span, last, v);
                last = v.span.end.max(last);
                check_node(src, k, doc, depth + 1);
                check_node(src, v, doc, depth + 1);
            }
        }
    }
}

fn check_child(parent: &std::ops::Range<usize>, after: usize, child: &Node<'_>) {
    assert!(
        child.span.start >= after,
        "child span {:?} starts before the end of its previous sibling ({after})",
        child.span
    );
    assert!(
        parent.start <= child.span.start && child.span.end <= parent.end,
        "child span {:?} is outside its parent's span {parent:?}",
        child.span
    );
}

fn check_scalar(slice: &str, value: &str, style: Style, span: &std::ops::Range<usize>) {
    match style {
        Style::Plain => {
            if slice.is_empty() {
                // An omitted value: granit reads it as `~` (or as nothing).
                assert!(
                    matches!(value, "" | "~"),
                    "plain scalar {value:?} has the empty span {span:?}"
                );
            } else if !has_break(slice) {
                assert_eq!(
                    slice, value,
                    "one-line plain scalar span {span:?} does not slice to its value"
                );
            } else {
                let first = slice.split(['\n', '\r']).next().unwrap_or("");
                assert!(
                    value.starts_with(first.trim_end_matches([' ', '\t'])),
                    "multi-line plain scalar {value:?} does not start with its first line {first:?}"
                );
            }
        }
        Style::SingleQuoted | Style::DoubleQuoted => {
            let q = if style == Style::SingleQuoted {
                '\''
            } else {
                '"'
            };
            assert!(
                slice.len() >= 2 && slice.starts_with(q) && slice.ends_with(q),
                "{style:?} scalar span {span:?} reads {slice:?}"
            );
            let inner = &slice[1..slice.len() - 1];
            if !has_break(inner) {
                if style == Style::SingleQuoted {
                    assert_eq!(
                        inner.replace("''", "'"),
                        value,
                        "one-line single-quoted scalar does not read back"
                    );
                } else if !inner.contains('\\') {
                    assert_eq!(
                        inner, value,
                        "one-line double-quoted scalar without escapes does not read back"
                    );
                }
            }
        }
        Style::Literal | Style::Folded => {
            let first_line = value.split('\n').next().unwrap_or("");
            let first = if style == Style::Literal {
                first_line
            } else {
                first_line.split(' ').next().unwrap_or("")
            };
            assert!(
                slice.starts_with(first),
                "{style:?} scalar {value:?} has span {span:?} reading {slice:?}, which does not start with {first:?}"
            );
        }
    }
}

/// Check every document of a parse and convert each to JSON (which must not panic).
pub fn check_documents(src: &str, docs: &[Document<'_>]) {
    let mut last = 0;
    for doc in docs {
        check_node(src, &doc.root, doc, 0);
        assert!(
            doc.root.span.start >= last,
            "document root {:?} starts before the previous document ends ({last})",
            doc.root.span
        );
        last = doc.root.span.end;
        let _ = doc.root.to_json(doc);
    }
}
