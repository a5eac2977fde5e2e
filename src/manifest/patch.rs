//! Structural edits: the edits that turn a document into one whose value equals
//! a desired JSON value, touching only what differs.
//!
//! The authoring verbs (`set-triggers`, `tag`, `set-image-lookup`) compute the
//! object they want as a `serde_json::Value` and let this module find the bytes:
//! a changed scalar keeps its quoting, a new key goes next to its siblings with
//! their indentation (in sorted position when the siblings are sorted, as
//! `oc get -o yaml` writes them, else at the end), a removed entry or sequence
//! item takes its own lines with it, and sequences are compared item by item so
//! an untouched item keeps its bytes. Comments outside a removed entry stay.
//!
//! Produces edits; never applies them. The caller re-parses the result and
//! compares it with the desired value before anything is written.

use serde_json::{Map, Value};

use crate::edit::Edit;
use crate::manifest::write::{NotEditable, double_quoted, plain_safe, set_scalar};
use crate::manifest::yaml::{Document, Node, NodeKind, Style};

/// The edits that make `doc` (read from `src`) hold `desired`.
pub fn patch(src: &str, doc: &Document<'_>, desired: &Value) -> Result<Vec<Edit>, NotEditable> {
    let mut p = Patcher {
        src,
        doc,
        json: matches!(
            &doc.root.kind,
            NodeKind::Map { flow: true, .. } | NodeKind::Seq { flow: true, .. }
        ),
        eol: if src.contains("\r\n") { "\r\n" } else { "\n" },
        r: Renderer {
            layout: Layout::detect(src, &doc.root),
        },
        edits: Vec::new(),
    };
    p.node(&doc.root, desired, Slot::Root, false)?;
    Ok(p.edits)
}

/// A whole document as block YAML (two-space indentation, sequences indented
/// under their key), keys in the value's order.
pub fn to_yaml(v: &Value) -> String {
    let r = Renderer {
        layout: Layout { step: 2, seq: 2 },
    };
    let mut out = match inline(v) {
        Some(t) => t,
        None => r.block(v, 0).join("\n"),
    };
    out.push('\n');
    out
}

/// Where a node sits, which decides how a replacement is written.
#[derive(Clone, Copy)]
enum Slot<'n, 'a> {
    Root,
    /// The value of `key` in a mapping.
    Value(&'n Node<'a>),
    /// An item of a block sequence.
    Item,
}

/// How this file indents nested blocks.
#[derive(Clone, Copy, Debug)]
struct Layout {
    /// Columns a nested mapping is indented by.
    step: usize,
    /// Columns a block sequence is indented by under its key (0 or `step`).
    seq: usize,
}

impl Layout {
    fn detect(src: &str, root: &Node<'_>) -> Layout {
        let mut step = None;
        let mut seq = None;
        detect_in(src, root, &mut step, &mut seq);
        let step = step.unwrap_or(2);
        Layout {
            step,
            seq: seq.unwrap_or(step),
        }
    }
}

fn detect_in(src: &str, node: &Node<'_>, step: &mut Option<usize>, seq: &mut Option<usize>) {
    if step.is_some() && seq.is_some() {
        return;
    }
    match &node.kind {
        NodeKind::Map {
            entries,
            flow: false,
        } => {
            for (k, v) in entries {
                let kc = column(src, k.span.start);
                match &v.kind {
                    NodeKind::Map {
                        entries: inner,
                        flow: false,
                    } if step.is_none() => {
                        if let Some((ik, _)) = inner.first() {
                            let ic = column(src, ik.span.start);
                            if ic > kc && line_start(src, ik.span.start) > k.span.start {
                                *step = Some(ic - kc);
                            }
                        }
                    }
                    NodeKind::Seq { flow: false, .. } if seq.is_none() => {
                        if let Some(d) = dash_before(src, v.span.start)
                            && line_start(src, d) > k.span.start
                        {
                            let dc = column(src, d);
                            if dc >= kc {
                                *seq = Some(dc - kc);
                            }
                        }
                    }
                    _ => {}
                }
                detect_in(src, v, step, seq);
            }
        }
        NodeKind::Seq { items, flow: false } => {
            for i in items {
                detect_in(src, i, step, seq);
            }
        }
        _ => {}
    }
}

struct Patcher<'s, 'd, 'a> {
    src: &'s str,
    doc: &'d Document<'a>,
    /// The document is one flow collection (a JSON file): new values are JSON.
    json: bool,
    eol: &'static str,
    r: Renderer,
    edits: Vec<Edit>,
}

impl<'d, 'a> Patcher<'_, 'd, 'a> {
    fn node(
        &mut self,
        n: &'d Node<'a>,
        want: &Value,
        slot: Slot<'d, 'a>,
        in_flow: bool,
    ) -> Result<(), NotEditable> {
        if n.to_json(self.doc) == *want {
            return Ok(());
        }
        if matches!(n.kind, NodeKind::Alias(_)) || n.anchor != 0 {
            return Err(NotEditable(
                "a value to change is an anchor or an alias that other nodes may share".into(),
            ));
        }
        match (&n.kind, want) {
            (NodeKind::Map { entries, flow }, Value::Object(w)) if !entries.is_empty() => {
                self.map(n, entries, *flow, w, slot, in_flow)
            }
            (NodeKind::Seq { items, flow }, Value::Array(w)) if !items.is_empty() => {
                self.seq(n, items, *flow, w, slot, in_flow)
            }
            (NodeKind::Scalar { style, .. }, Value::String(s))
                if !(matches!(style, Style::Literal | Style::Folded)
                    || n.span.is_empty() && in_flow) =>
            {
                let e = set_scalar(self.src, n, s)?;
                self.edits.push(e);
                Ok(())
            }
            (NodeKind::Scalar { style, .. }, Value::Bool(_) | Value::Number(_) | Value::Null)
                if !n.span.is_empty() && !matches!(style, Style::Literal | Style::Folded) =>
            {
                self.edits
                    .push(Edit::replace(self.src, n.span.clone(), want.to_string()));
                Ok(())
            }
            _ => self.replace(n, want, slot, in_flow),
        }
    }

    /// Rewrite `n` as a whole.
    fn replace(
        &mut self,
        n: &'d Node<'a>,
        want: &Value,
        slot: Slot<'d, 'a>,
        in_flow: bool,
    ) -> Result<(), NotEditable> {
        let mut end = self.content_end(n);
        let block_collection = matches!(
            n.kind,
            NodeKind::Map { flow: false, .. } | NodeKind::Seq { flow: false, .. }
        );
        if block_collection && !in_flow {
            // A comment after the collection's last token belongs to it.
            let le = self.line_end(end);
            if self.src[end..le].trim_start().starts_with('#') {
                end = le;
            }
        }
        let (mut start, base) = match slot {
            Slot::Root => {
                return Err(NotEditable("the document itself would be replaced".into()));
            }
            Slot::Value(key) => {
                let colon = self.colon_after(key)?;
                (colon + 1, column(self.src, key.span.start))
            }
            Slot::Item => {
                let dash = dash_before(self.src, n.span.start)
                    .filter(|_| !n.span.is_empty())
                    .ok_or_else(|| NotEditable("a sequence item has no `-` to anchor it".into()))?;
                (dash + 1, column(self.src, dash))
            }
        };
        let between = self.src.get(start..n.span.start.max(start)).unwrap_or("");
        if between.contains('#') || between.contains('!') || between.contains('&') {
            return Err(NotEditable(
                "a value to replace carries a comment, tag or anchor before it".into(),
            ));
        }
        let inline = in_flow || inline(want).is_some();
        if !inline && n.span.is_empty() && matches!(slot, Slot::Value(_)) {
            // `key: # comment` with nothing else: the comment stays on the key's line.
            let le = self.line_end(start);
            if self.src[start..le].trim_start().starts_with('#') {
                start = le;
                end = le;
            }
        }
        let text = if inline {
            format!(" {}", self.flow_text(want))
        } else {
            match slot {
                Slot::Value(_) => {
                    let indent = base
                        + if want.is_array() {
                            self.r.layout.seq
                        } else {
                            self.r.layout.step
                        };
                    format!("{}{}", self.eol, self.r.block(want, indent).join(self.eol))
                }
                _ => {
                    let lines = self.r.block(want, base + 2);
                    format!(" {}", lines.join(self.eol).trim_start())
                }
            }
        };
        self.edits
            .push(Edit::replace(self.src, start..end.max(start), text));
        Ok(())
    }

    fn map(
        &mut self,
        n: &'d Node<'a>,
        entries: &'d [(Node<'a>, Node<'a>)],
        flow: bool,
        want: &Map<String, Value>,
        slot: Slot<'d, 'a>,
        in_flow: bool,
    ) -> Result<(), NotEditable> {
        let keys: Vec<Option<&str>> = entries.iter().map(|(k, _)| k.as_str()).collect();
        let kept: Vec<usize> = (0..entries.len())
            .filter(|&i| keys[i].is_some_and(|k| want.contains_key(k)))
            .collect();
        if kept.is_empty() {
            return self.replace(n, &Value::Object(want.clone()), slot, in_flow);
        }
        for &i in &kept {
            let (k, v) = &entries[i];
            let w = keys[i].and_then(|k| want.get(k)).unwrap_or(&Value::Null);
            self.node(v, w, Slot::Value(k), in_flow || flow)?;
        }
        let removed: Vec<bool> = (0..entries.len()).map(|i| !kept.contains(&i)).collect();
        let spans: Vec<(usize, usize)> = entries
            .iter()
            .map(|(k, v)| (k.span.start, self.content_end(v)))
            .collect();
        self.remove_runs(&removed, &spans, flow)?;

        let new: Vec<(&String, &Value)> = want
            .iter()
            .filter(|(k, _)| !keys.contains(&Some(k.as_str())))
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        let kept_keys: Vec<&str> = kept.iter().filter_map(|&i| keys[i]).collect();
        let sorted = kept_keys.windows(2).all(|w| w[0] <= w[1]);
        let json_keys = entries[kept[0]].0.style() == Some(Style::DoubleQuoted);
        let indent = column(self.src, entries[kept[0]].0.span.start);
        // Group new keys by the gap they go into: before kept[0], or after kept[j].
        type Gap<'w> = (Option<usize>, Vec<(&'w String, &'w Value)>);
        let mut gaps: Vec<Gap<'_>> = Vec::new();
        for (k, v) in new {
            let gap = if sorted {
                match kept_keys.iter().position(|e| *e > k.as_str()) {
                    Some(0) => None,
                    Some(j) => Some(kept[j - 1]),
                    None => kept.last().copied(),
                }
            } else {
                kept.last().copied()
            };
            match gaps.iter_mut().find(|(g, _)| *g == gap) {
                Some((_, list)) => list.push((k, v)),
                None => gaps.push((gap, vec![(k, v)])),
            }
        }
        for (gap, list) in gaps {
            if flow || in_flow {
                let text: Vec<String> = list
                    .iter()
                    .map(|(k, v)| {
                        format!(
                            "{}: {}",
                            key_text(k, json_keys || self.json),
                            self.flow_text(v)
                        )
                    })
                    .collect();
                let text = text.join(", ");
                match gap {
                    None => self.edits.push(Edit::insert(
                        entries[kept[0]].0.span.start,
                        format!("{text}, "),
                    )),
                    Some(i) => self
                        .edits
                        .push(Edit::insert(spans[i].1, format!(", {text}"))),
                }
                continue;
            }
            let mut lines = Vec::new();
            for (k, v) in &list {
                lines.extend(self.r.entry(k, v, indent, json_keys));
            }
            match gap {
                None => {
                    let key = entries[kept[0]].0.span.start;
                    let at = self.above_comments(key);
                    let body = lines.join(self.eol);
                    let text = if at == key {
                        format!("{}{}{}", body.trim_start(), self.eol, " ".repeat(indent))
                    } else {
                        format!("{body}{}", self.eol)
                    };
                    self.edits.push(Edit::insert(at, text));
                }
                Some(i) => self.insert_lines_after(spans[i].1, &lines),
            }
        }
        Ok(())
    }

    fn seq(
        &mut self,
        n: &'d Node<'a>,
        items: &'d [Node<'a>],
        flow: bool,
        want: &[Value],
        slot: Slot<'d, 'a>,
        in_flow: bool,
    ) -> Result<(), NotEditable> {
        let old: Vec<String> = items
            .iter()
            .map(|i| i.to_json(self.doc).to_string())
            .collect();
        let new: Vec<String> = want.iter().map(Value::to_string).collect();
        let mut removed = vec![false; items.len()];
        let mut paired: Vec<(usize, usize)> = Vec::new();
        let mut inserts: Vec<(usize, Vec<&Value>)> = Vec::new();
        for op in similar::capture_diff_slices(similar::Algorithm::Myers, &old, &new) {
            match op {
                similar::DiffOp::Equal { .. } => {}
                similar::DiffOp::Delete {
                    old_index, old_len, ..
                } => removed[old_index..old_index + old_len].fill(true),
                similar::DiffOp::Insert {
                    old_index,
                    new_index,
                    new_len,
                } => inserts.push((
                    old_index,
                    want[new_index..new_index + new_len].iter().collect(),
                )),
                similar::DiffOp::Replace {
                    old_index,
                    old_len,
                    new_index,
                    new_len,
                } => {
                    // Pair items position by position only while neither of the
                    // pair appears elsewhere: an item that moved is carried as a
                    // move, not rewritten into its neighbour.
                    let mut k = 0;
                    while k < old_len.min(new_len)
                        && !new.contains(&old[old_index + k])
                        && !old.contains(&new[new_index + k])
                    {
                        paired.push((old_index + k, new_index + k));
                        k += 1;
                    }
                    removed[old_index + k..old_index + old_len].fill(true);
                    if new_len > k {
                        inserts.push((
                            old_index + old_len,
                            want[new_index + k..new_index + new_len].iter().collect(),
                        ));
                    }
                }
            }
        }
        if removed.iter().all(|r| *r) {
            return self.replace(n, &Value::Array(want.to_vec()), slot, in_flow);
        }
        for (o, w) in paired {
            self.node(&items[o], &want[w], Slot::Item, in_flow || flow)?;
        }
        let mut starts = Vec::with_capacity(items.len());
        for item in items {
            let start = if flow || in_flow {
                item.span.start
            } else {
                let dash = dash_before(self.src, item.span.start)
                    .ok_or_else(|| NotEditable("a sequence item has no `-` to anchor it".into()))?;
                let ls = line_start(self.src, dash);
                if !self.src[ls..dash].bytes().all(|b| b == b' ') {
                    return Err(NotEditable(
                        "a sequence item shares its line with another item".into(),
                    ));
                }
                dash
            };
            starts.push((start, self.content_end(item)));
        }
        let dash_positions: Vec<usize> = starts.iter().map(|s| s.0).collect();
        // Items that reappear elsewhere (moves) leave with the comments above them.
        let mut moved_from = vec![false; items.len()];
        let mut taken = vec![false; items.len()];
        if !(flow || in_flow) {
            for (_, values) in &inserts {
                for v in values {
                    let text = v.to_string();
                    if let Some(i) =
                        (0..items.len()).find(|&i| removed[i] && !taken[i] && old[i] == text)
                    {
                        taken[i] = true;
                        starts[i].0 = self.above_comments(starts[i].0);
                    }
                }
            }
        }
        self.remove_runs(&removed, &starts, flow || in_flow)?;
        let dash_col = column(self.src, dash_positions[0]);
        for (pos, values) in inserts {
            // Anchor on a kept item: before the one at `pos`, else after the last
            // kept one before it, else before the first kept one after it.
            let before = (pos < items.len() && !removed[pos]).then_some(pos);
            let after = (0..pos.min(items.len())).rev().find(|&i| !removed[i]);
            let (anchor_before, idx) = match (before, after) {
                (Some(b), _) => (true, b),
                (None, Some(a)) => (false, a),
                (None, None) => (true, (pos..items.len()).find(|&i| !removed[i]).unwrap_or(0)),
            };
            if flow || in_flow {
                let text: Vec<String> = values.iter().map(|v| self.flow_text(v)).collect();
                let text = text.join(", ");
                if anchor_before {
                    self.edits
                        .push(Edit::insert(starts[idx].0, format!("{text}, ")));
                } else {
                    self.edits
                        .push(Edit::insert(starts[idx].1, format!(", {text}")));
                }
                continue;
            }
            let mut lines = Vec::new();
            for v in values {
                let text = v.to_string();
                let moved =
                    (0..items.len()).find(|&i| removed[i] && !moved_from[i] && old[i] == text);
                match moved {
                    Some(i) => {
                        // A move: carry the item's own lines (and the comments
                        // right above it) instead of writing it anew.
                        moved_from[i] = true;
                        let from = self.above_comments(starts[i].0);
                        let to = self.next_line_start(starts[i].1);
                        let body = self.src[from..to].trim_end_matches(['\n', '\r']);
                        lines.extend(
                            body.split('\n')
                                .map(|l| l.trim_end_matches('\r').to_string()),
                        );
                    }
                    None => lines.extend(self.r.item(v, dash_col)),
                }
            }
            if anchor_before {
                let at = self.above_comments(starts[idx].0);
                self.edits.push(Edit::insert(
                    at,
                    format!("{}{}", lines.join(self.eol), self.eol),
                ));
            } else {
                self.insert_lines_after(starts[idx].1, &lines);
            }
        }
        Ok(())
    }

    /// Remove runs of flagged entries. `spans[i]` is (start of the entry, end of
    /// its content); block entries take their whole lines.
    fn remove_runs(
        &mut self,
        removed: &[bool],
        spans: &[(usize, usize)],
        flow: bool,
    ) -> Result<(), NotEditable> {
        let mut i = 0;
        while i < removed.len() {
            if !removed[i] {
                i += 1;
                continue;
            }
            let a = i;
            while i < removed.len() && removed[i] {
                i += 1;
            }
            let b = i - 1;
            let range = if flow {
                if i < removed.len() {
                    spans[a].0..spans[i].0
                } else {
                    // A run at the end: take the separator before it.
                    spans[a - 1].1..spans[b].1
                }
            } else {
                let ls = line_start(self.src, spans[a].0);
                let prefix = &self.src[ls..spans[a].0];
                if !prefix
                    .trim_start_matches('\u{feff}')
                    .bytes()
                    .all(|c| c == b' ')
                {
                    // `- key: v` as the first entry of an item: keep the dash.
                    if i < removed.len() {
                        spans[a].0..spans[i].0
                    } else {
                        return Err(NotEditable(
                            "removing every entry after a `-` would change the item".into(),
                        ));
                    }
                } else {
                    let end = self.next_line_start(spans[b].1);
                    if end == self.src.len() && !self.src.ends_with('\n') && ls > 0 {
                        // The last line, with no line break after it: take the
                        // break before it instead, so the file still ends bare.
                        let brk = if self.src[..ls].ends_with("\r\n") {
                            2
                        } else {
                            1
                        };
                        ls - brk..end
                    } else {
                        ls..end
                    }
                }
            };
            self.edits.push(Edit::replace(self.src, range, ""));
        }
        Ok(())
    }

    /// A value written inside a flow collection: JSON in a JSON file.
    fn flow_text(&self, v: &Value) -> String {
        if self.json {
            v.to_string()
        } else {
            inline_or_json(v)
        }
    }

    /// Insert whole lines after the line where `end` falls. They go at the start
    /// of the next line, so a removal of the lines that follow cannot overlap.
    fn insert_lines_after(&mut self, end: usize, lines: &[String]) {
        let at = self.next_line_start(end);
        let body = lines.join(self.eol);
        let text = if at == self.src.len() && !self.src.ends_with('\n') {
            format!("{}{body}", self.eol)
        } else {
            format!("{body}{}", self.eol)
        };
        self.edits.push(Edit::insert(at, text));
    }

    /// End of a node's own text (its last token), not of trailing blank lines.
    fn content_end(&self, n: &Node<'_>) -> usize {
        match &n.kind {
            NodeKind::Map {
                entries,
                flow: false,
            } => entries
                .last()
                .map_or(n.span.end, |(k, v)| self.content_end(v).max(k.span.end)),
            NodeKind::Seq { items, flow: false } => {
                items.last().map_or(n.span.end, |i| self.content_end(i))
            }
            NodeKind::Scalar {
                style: Style::Literal | Style::Folded,
                ..
            } => self.block_scalar_end(n),
            _ => n.span.end,
        }
    }

    /// The end of a block scalar's last content line. The parser's span may run
    /// on over blank lines and comments that follow; content lines are the ones
    /// indented at least as deep as the first.
    fn block_scalar_end(&self, n: &Node<'_>) -> usize {
        let start = line_start(self.src, n.span.start);
        let indent = n.span.start - start;
        let mut end = n.span.start;
        let mut pos = start;
        while pos < self.src.len() && pos < n.span.end.max(n.span.start + 1) {
            let line_end = self.src[pos..]
                .find('\n')
                .map_or(self.src.len(), |i| pos + i);
            let line = self.src[pos..line_end].trim_end_matches('\r');
            let blank = line.trim().is_empty();
            let depth = line.len() - line.trim_start_matches(' ').len();
            if !blank && depth < indent {
                break;
            }
            if !blank {
                end = pos + line.len();
            }
            pos = line_end + 1;
        }
        end
    }

    /// Where to insert before the entry or item starting at `at`: above the
    /// comment lines directly over it, so they stay with it.
    fn above_comments(&self, at: usize) -> usize {
        let mut ls = line_start(self.src, at);
        if !self.src[ls..at]
            .trim_start_matches('\u{feff}')
            .bytes()
            .all(|b| b == b' ')
        {
            return at;
        }
        while ls > 0 {
            let prev = line_start(self.src, ls - 1);
            if self.src[prev..ls].trim_start().starts_with('#') {
                ls = prev;
            } else {
                break;
            }
        }
        ls
    }

    /// The end of the line holding the last character before `end` (before its
    /// line break), so a trailing comment stays with its line.
    fn line_end(&self, end: usize) -> usize {
        let mut e = end;
        let b = self.src.as_bytes();
        while e > 0 && matches!(b[e - 1], b'\n' | b'\r') {
            e -= 1;
        }
        match self.src[e..].find(['\r', '\n']) {
            Some(i) => e + i,
            None => self.src.len(),
        }
    }

    fn next_line_start(&self, end: usize) -> usize {
        let e = self.line_end(end);
        let rest = &self.src[e..];
        if rest.starts_with("\r\n") {
            e + 2
        } else if rest.starts_with('\n') || rest.starts_with('\r') {
            e + 1
        } else {
            e
        }
    }

    fn colon_after(&self, key: &Node<'_>) -> Result<usize, NotEditable> {
        let rest = &self.src[key.span.end..];
        let skip = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        if rest[skip..].starts_with(':') {
            Ok(key.span.end + skip)
        } else {
            Err(NotEditable("a mapping key is not followed by `:`".into()))
        }
    }
}

/// Writes new YAML text in a file's layout.
struct Renderer {
    layout: Layout,
}

impl Renderer {
    /// Lines for `key: value` at column `indent`.
    fn entry(&self, key: &str, v: &Value, indent: usize, json_keys: bool) -> Vec<String> {
        let pad = " ".repeat(indent);
        let k = key_text(key, json_keys);
        match inline(v) {
            Some(t) => vec![format!("{pad}{k}: {t}")],
            None => {
                let child = indent
                    + if v.is_array() {
                        self.layout.seq
                    } else {
                        self.layout.step
                    };
                let mut lines = vec![format!("{pad}{k}:")];
                lines.extend(self.block(v, child));
                lines
            }
        }
    }

    /// Lines for a sequence item whose dash sits at column `dash`.
    fn item(&self, v: &Value, dash: usize) -> Vec<String> {
        let pad = " ".repeat(dash);
        match inline(v) {
            Some(t) => vec![format!("{pad}- {t}")],
            None => {
                let mut lines = self.block(v, dash + 2);
                if let Some(first) = lines.first_mut() {
                    *first = format!("{pad}- {}", first.trim_start());
                }
                lines
            }
        }
    }

    /// Lines for a non-empty collection whose content starts at column `indent`.
    fn block(&self, v: &Value, indent: usize) -> Vec<String> {
        match v {
            Value::Object(m) => m
                .iter()
                .flat_map(|(k, v)| self.entry(k, v, indent, false))
                .collect(),
            Value::Array(a) => a.iter().flat_map(|v| self.item(v, indent)).collect(),
            other => vec![format!("{}{}", " ".repeat(indent), inline_or_json(other))],
        }
    }
}

/// The `-` that introduces a block sequence item starting at `at`.
fn dash_before(src: &str, at: usize) -> Option<usize> {
    let before = src[..at].trim_end_matches([' ', '\t', '\r', '\n']);
    before.ends_with('-').then(|| before.len() - 1)
}

fn line_start(src: &str, at: usize) -> usize {
    src[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// Column of `at` in characters, not counting a BOM.
fn column(src: &str, at: usize) -> usize {
    let ls = line_start(src, at);
    src[ls..at].trim_start_matches('\u{feff}').chars().count()
}

fn key_text(k: &str, json: bool) -> String {
    if json || !plain_safe(k) {
        double_quoted(k)
    } else {
        k.to_string()
    }
}

/// A value that fits on its key's line: scalars and empty collections.
fn inline(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar_text(s),
        Value::Array(a) if a.is_empty() => "[]".into(),
        Value::Object(m) if m.is_empty() => "{}".into(),
        _ => return None,
    })
}

/// Inline text for any value; non-empty collections as flow JSON.
fn inline_or_json(v: &Value) -> String {
    inline(v).unwrap_or_else(|| v.to_string())
}

/// A new string scalar as `oc get -o yaml` writes one: plain when safe; a string
/// that would read as a number, boolean or null double-quoted; else single-quoted
/// (a JSON annotation); else double-quoted.
pub fn scalar_text(s: &str) -> String {
    if is_timestamp(s) {
        double_quoted(s)
    } else if plain_safe(s) {
        s.to_string()
    } else if !s.is_empty()
        && !looks_typed(s)
        && !s.contains(['\'', '\n', '\r', '\t'])
        && !s.chars().any(char::is_control)
    {
        format!("'{s}'")
    } else {
        double_quoted(s)
    }
}

/// Whether a plain `s` would read as something other than a string.
fn looks_typed(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "~" | "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
    ) || s.parse::<f64>().is_ok()
        || lower.starts_with("0x")
        || lower.starts_with("0o")
        || is_timestamp(s)
}

/// `2023-01-12T08:41:06Z` and friends: YAML 1.1 timestamps, which Kubernetes
/// tools quote.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::apply;
    use crate::manifest::yaml::parse;
    use serde_json::json;

    /// Patch the only document of `src` to `f(value)` and check the result
    /// reads back as the wanted value.
    fn edit(src: &str, f: impl FnOnce(&mut Value)) -> String {
        let docs = parse(src).unwrap();
        let mut want = docs[0].root.to_json(&docs[0]);
        f(&mut want);
        let edits = patch(src, &docs[0], &want).unwrap();
        let out = apply(src, &edits).unwrap();
        let again = parse(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        assert_eq!(again[0].root.to_json(&again[0]), want, "{out}");
        out
    }

    #[test]
    fn scalar_changes_keep_style() {
        let src = "a: 'x' # c\nb: \"y\"\nc: z\nd: true\n";
        let out = edit(src, |v| {
            v["a"] = json!("x2");
            v["b"] = json!("y2");
            v["c"] = json!("[json]");
            v["d"] = json!(false);
        });
        assert_eq!(out, "a: 'x2' # c\nb: \"y2\"\nc: \"[json]\"\nd: false\n");
    }

    #[test]
    fn new_keys_go_in_sorted_position_or_at_the_end() {
        let src = "metadata:\n  name: web\n  namespace: shop\nspec: {}\n";
        let out = edit(src, |v| v["metadata"]["annotations"] = json!({"k": "[1]"}));
        assert_eq!(
            out,
            "metadata:\n  annotations:\n    k: '[1]'\n  name: web\n  namespace: shop\nspec: {}\n"
        );
        let src = "metadata:\n    namespace: shop\n    name: web # the name\n\nspec: {}\n";
        let out = edit(src, |v| v["metadata"]["labels"] = json!({"app": "web"}));
        assert_eq!(
            out,
            "metadata:\n    namespace: shop\n    name: web # the name\n    labels:\n        app: web\n\nspec: {}\n"
        );
    }

    #[test]
    fn removes_entries_with_their_lines() {
        let src = "a: 1\n# about b\nb:\n  c: 2\n  d: [1, 2]\ne: 3\n";
        let out = edit(src, |v| {
            v.as_object_mut().unwrap().remove("b");
        });
        assert_eq!(out, "a: 1\n# about b\ne: 3\n");
        let src = "items:\n- name: x\n  image: y\n";
        let out = edit(src, |v| {
            v["items"][0].as_object_mut().unwrap().remove("name");
        });
        assert_eq!(out, "items:\n- image: y\n");
    }

    #[test]
    fn sequences_keep_untouched_items() {
        let src = "t:\n  - type: A # keep\n  - type: B\n    x: 1\n  - type: C\n";
        let out = edit(src, |v| {
            v["t"] = json!([{"type": "A"}, {"type": "C"}, {"type": "D", "p": {"q": [1]}}]);
        });
        assert_eq!(
            out,
            "t:\n  - type: A # keep\n  - type: C\n  - p:\n      q:\n        - 1\n    type: D\n"
        );
        let out = edit(src, |v| v["t"][1]["x"] = json!(2));
        assert_eq!(
            out,
            "t:\n  - type: A # keep\n  - type: B\n    x: 2\n  - type: C\n"
        );
    }

    #[test]
    fn compact_sequences_and_new_first_items() {
        let src = "spec:\n  tags:\n  - name: a\n";
        let out = edit(src, |v| {
            v["spec"]["tags"] = json!([{"name": "0"}, {"name": "a"}]);
        });
        assert_eq!(out, "spec:\n  tags:\n  - name: \"0\"\n  - name: a\n");
    }

    #[test]
    fn flow_and_json() {
        let src = "{\"a\": {\"b\": 1}, \"c\": [1, 2]}";
        let out = edit(src, |v| {
            v["a"]["z"] = json!("x");
            v["c"] = json!([1]);
        });
        assert_eq!(out, "{\"a\": {\"b\": 1, \"z\": \"x\"}, \"c\": [1]}");
        serde_json::from_str::<Value>(&out).unwrap();
    }

    #[test]
    fn empty_and_null_values_become_blocks() {
        let src = "metadata:\n  annotations:\n  name: x\n";
        let out = edit(src, |v| v["metadata"]["annotations"] = json!({"a": "b"}));
        assert_eq!(out, "metadata:\n  annotations:\n    a: b\n  name: x\n");
        let src = "metadata:\n  annotations: {}\n";
        let out = edit(src, |v| v["metadata"]["annotations"] = json!({"a": "b"}));
        assert_eq!(out, "metadata:\n  annotations:\n    a: b\n");
    }

    #[test]
    fn crlf_is_kept() {
        let src = "a:\r\n  b: 1\r\n";
        let out = edit(src, |v| v["a"]["c"] = json!(2));
        assert_eq!(out, "a:\r\n  b: 1\r\n  c: 2\r\n");
    }

    #[test]
    fn block_scalar_replaced_whole() {
        let src = "a: |\n  [1,\n   2]\nb: 1\n";
        let out = edit(src, |v| v["a"] = json!("[3]"));
        assert_eq!(out, "a: '[3]'\nb: 1\n");
    }

    #[test]
    fn insert_after_an_item_whose_last_line_goes() {
        let src = "t:\n- a: 1\n  b: 2\nz: 0";
        let out = edit(src, |v| v["t"] = json!([{"a": 1}, {"c": 3}]));
        assert_eq!(out, "t:\n- a: 1\n- c: 3\nz: 0");
        let src = "t:\n- a: 1\n  b: 2";
        let out = edit(src, |v| v["t"] = json!([{"a": 1}, {"c": 3}]));
        assert_eq!(out, "t:\n- a: 1\n- c: 3");
    }

    #[test]
    fn refuses_anchors() {
        let src = "a: &x {b: 1}\nc: *x\n";
        let docs = parse(src).unwrap();
        let mut want = docs[0].root.to_json(&docs[0]);
        want["c"]["b"] = json!(2);
        assert!(patch(src, &docs[0], &want).is_err());
    }
}
