//! The fast path for the common block-style manifest.
//!
//! Most manifests are block mappings and sequences of single-line scalars, with
//! the odd literal or folded block. This module reads exactly that subset straight
//! from the bytes, one line at a time, and builds the same span tree as the full
//! parser (`yaml::parse_full`): same values, styles and byte spans. On anything
//! else (flow collections, anchors, aliases, tags, multi-line plain or quoted
//! scalars, tabs, CR, a BOM, directives, explicit keys, odd document markers,
//! errors of any kind) it returns `None` and the caller uses the full parser, so
//! the fast path never decides what a file means on its own. Tests compare the
//! two on every YAML file in the repository and on generated documents.

use std::borrow::Cow;
use std::cell::Cell;

use super::yaml::{Document, Node, NodeKind, Style};

/// Parse `src`, or `None` when it is not in the subset (or is not valid YAML).
pub fn parse(src: &str, max_documents: usize, max_depth: usize) -> Option<Vec<Document<'_>>> {
    let b = src.as_bytes();
    if b.starts_with(b"\xEF\xBB\xBF") || !printable(b) {
        return None;
    }
    // The scratch space of the last parse on this thread, empty; `'static`
    // shortens to `'a`.
    let (mut entries, mut items) = SCRATCH.take();
    entries.reserve(64);
    items.reserve(32);
    let mut p = Fast {
        src,
        b,
        max_depth,
        entries,
        items,
        // Empty: no `p` lies in 1..=0.
        line: Cell::new((1, 0)),
    };
    let mut docs = Vec::new();
    let mut next = p.next_line(0);
    while let Line::Content(mut ls, mut ind) = next {
        if p.marker_at(ls) == Some(b'.') {
            return None;
        }
        if p.marker_at(ls) == Some(b'-') {
            // `---`, then only a comment on that line.
            let after = p.skip_spaces(ls + 3);
            if !p.at_eol(after) && !p.at_comment(after, ls + 3) {
                return None;
            }
            match p.next_line(p.line_end(ls)) {
                Line::Content(l, i) if p.marker_at(l).is_none() => (ls, ind) = (l, i),
                // An empty document.
                _ => return None,
            }
        }
        if ind != 0 || docs.len() >= max_documents {
            return None;
        }
        let (root, after) = p.block(ls, ind, -1, 0)?;
        match after {
            Line::Eof => {}
            Line::Content(l, _) if p.marker_at(l) == Some(b'-') => {}
            Line::Content(..) => return None,
        }
        docs.push(Document::without_anchors(root));
        next = after;
    }
    Some(docs)
}

/// Entries and items as `Fast` gathers them, each list empty.
type Scratch = (Vec<(Node<'static>, Node<'static>)>, Vec<Node<'static>>);

thread_local! {
    /// `Fast::entries` and `Fast::items` between parses, so that each parse
    /// does not allocate (and free) them again.
    static SCRATCH: Cell<Scratch> = const { Cell::new((Vec::new(), Vec::new())) };
}

/// Scratch space above this many elements is not kept for the next parse.
const SCRATCH_KEEP: usize = 4096;

/// An emptied `Vec` with the element type's lifetime changed. The element
/// types have the same layout, so collecting in place keeps the allocation.
fn emptied<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    if v.capacity() > SCRATCH_KEEP {
        return Vec::new();
    }
    v.into_iter()
        .map(|_| unreachable!("the vector is empty"))
        .collect()
}

/// Whether every character is one YAML allows in a stream, and no tab or CR
/// (which the fast path leaves to the full parser): no C0 or C1 control but
/// the newline and NEL, no DEL, no U+FFFE or U+FFFF.
fn printable(b: &[u8]) -> bool {
    let plain = |c: u8| c == b'\n' || (0x20..0x7f).contains(&c);
    let mut i = 0;
    while i < b.len() {
        // Runs of printable ASCII, 64 bytes at a time (no early exit inside a
        // block, so the check compiles to vector instructions).
        while let Some(block) = b.get(i..i + 64)
            && block.iter().fold(true, |all, &c| all & plain(c))
        {
            i += 64;
        }
        let Some(&c) = b.get(i) else { break };
        match c {
            b'\n' | 0x20..=0x7e => i += 1,
            0x00..=0x1f | 0x7f => return false,
            // U+0080..U+009F, except U+0085 (NEL).
            0xc2 if matches!(b.get(i + 1), Some(0x80..=0x9f)) && b[i + 1] != 0x85 => {
                return false;
            }
            0xef if b.get(i + 1) == Some(&0xbf) && matches!(b.get(i + 2), Some(0xbe | 0xbf)) => {
                return false;
            }
            _ => i += 1,
        }
    }
    true
}

/// Where the next token is: a content line (its start and indentation), or the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    Content(usize, usize),
    Eof,
}

struct Fast<'a> {
    src: &'a str,
    b: &'a [u8],
    max_depth: usize,
    /// Entries of the mappings being read, innermost last: each mapping pushes
    /// its entries here and moves them into an exactly sized `Vec` when it ends,
    /// so no collection grows by reallocation.
    entries: Vec<(Node<'a>, Node<'a>)>,
    /// The same for the items of sequences.
    items: Vec<Node<'a>>,
    /// The last line end found: `(from, end)` with no newline in
    /// `b[from..end]` and `end` at a newline or the end of the input. A line is
    /// asked for several times in a row (key, value, what follows), so this
    /// saves most searches.
    line: Cell<(usize, usize)>,
}

/// An implicit key is at most 1024 characters, on one line.
const MAX_KEY: usize = 1024;

/// A byte 1 in each lane of a `u64`.
const ONES: u64 = u64::from_le_bytes([1; 8]);
/// Eight spaces, read as a little-endian `u64`.
const SPACES: u64 = u64::from_le_bytes([b' '; 8]);

impl Drop for Fast<'_> {
    fn drop(&mut self) {
        let (entries, items) = (
            std::mem::take(&mut self.entries),
            std::mem::take(&mut self.items),
        );
        SCRATCH.set((emptied(entries), emptied(items)));
    }
}

/// `v[at..]`, moved into an exactly sized `Vec` (in one copy), and `v`
/// keeps its allocation.
fn split_off<T>(v: &mut Vec<T>, at: usize) -> Vec<T> {
    if at == 0 {
        // `Vec::split_off(0)` would hand over `v`'s allocation instead.
        let mut all = Vec::with_capacity(v.len());
        all.append(v);
        all
    } else {
        v.split_off(at)
    }
}

/// A quoted scalar's value once its closing quote is at `at`: what the escapes
/// built so far and the last run `src[q..at]`, or, with no escape met (then `q`
/// is just after the opening quote), the text between the quotes, borrowed.
fn quoted_value(src: &str, built: Option<String>, q: usize, at: usize) -> Cow<'_, str> {
    match built {
        Some(mut v) => {
            v.push_str(&src[q..at]);
            Cow::Owned(v)
        }
        None => Cow::Borrowed(&src[q..at]),
    }
}

fn scalar<'a>(value: Cow<'a, str>, style: Style, start: usize, end: usize) -> Node<'a> {
    Node {
        span: start..end,
        anchor: 0,
        kind: NodeKind::Scalar {
            value,
            style,
            tagged: false,
        },
    }
}

impl<'a> Fast<'a> {
    /// The start of the next line (after the newline), or the end of the input.
    fn line_end(&self, p: usize) -> usize {
        if self.b.get(p) == Some(&b'\n') {
            return p + 1;
        }
        let e = self.eol(p);
        if e < self.b.len() { e + 1 } else { e }
    }

    /// The end of the line's text (before its newline).
    fn eol(&self, p: usize) -> usize {
        let (from, end) = self.line.get();
        if from <= p && p <= end {
            return end;
        }
        let end = memchr::memchr(b'\n', &self.b[p..]).map_or(self.b.len(), |i| p + i);
        self.line.set((p, end));
        end
    }

    /// The first `:`, `#` or newline at or after `p`, or the end of the input.
    fn special(&self, p: usize) -> usize {
        const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
        // Bytes of `w` equal to `c`: the lowest flagged byte is exact (a false
        // flag can only follow a true one).
        let equal = |w: u64, c: u8| {
            let x = w ^ (ONES * u64::from(c));
            x.wrapping_sub(ONES) & !x & HIGH
        };
        let mut i = p;
        while let Some(chunk) = self.b.get(i..i + 8) {
            let w = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
            let m = equal(w, b':') | equal(w, b'#') | equal(w, b'\n');
            if m != 0 {
                return i + (m.trailing_zeros() / 8) as usize;
            }
            i += 8;
        }
        while i < self.b.len() && !matches!(self.b[i], b':' | b'#' | b'\n') {
            i += 1;
        }
        i
    }

    fn skip_spaces(&self, mut p: usize) -> usize {
        while self.b.get(p) == Some(&b' ') {
            p += 1;
        }
        p
    }

    /// `skip_spaces` for a line's indentation, which is often long.
    fn skip_indentation(&self, mut p: usize) -> usize {
        // Eight bytes at a time: the first that is not a space.
        while let Some(chunk) = self.b.get(p..p + 8) {
            let x = u64::from_le_bytes(chunk.try_into().unwrap_or_default()) ^ SPACES;
            if x != 0 {
                return p + (x.trailing_zeros() / 8) as usize;
            }
            p += 8;
        }
        while self.b.get(p) == Some(&b' ') {
            p += 1;
        }
        p
    }

    fn at_eol(&self, p: usize) -> bool {
        matches!(self.b.get(p), None | Some(b'\n'))
    }

    /// A comment at `p`: `#` after whitespace (or at the start of `from`'s line).
    fn at_comment(&self, p: usize, from: usize) -> bool {
        self.b.get(p) == Some(&b'#') && p > from && self.b[p - 1] == b' '
    }

    /// `---` or `...` at a line start, followed by a space, a newline or the end.
    fn marker_at(&self, ls: usize) -> Option<u8> {
        if !matches!(self.b.get(ls), Some(b'-' | b'.')) {
            return None;
        }
        let m = self.b.get(ls..ls + 3)?;
        if (m == b"---" || m == b"...") && matches!(self.b.get(ls + 3), None | Some(b' ' | b'\n')) {
            Some(m[0])
        } else {
            None
        }
    }

    /// The next line holding a token, from the line starting at `ls`.
    fn next_line(&self, mut ls: usize) -> Line {
        while ls < self.b.len() {
            let p = self.skip_indentation(ls);
            match self.b.get(p) {
                None => break,
                Some(b'\n') => ls = p + 1,
                Some(b'#') => ls = self.line_end(p),
                Some(_) => return Line::Content(ls, p - ls),
            }
        }
        Line::Eof
    }

    /// Where a collection ends: at the next token, or the end of the input.
    fn end_of(&self, next: Line) -> usize {
        match next {
            Line::Content(ls, ind) => ls + ind,
            Line::Eof => self.b.len(),
        }
    }

    /// `-` followed by a space, a newline or the end.
    fn is_dash(&self, p: usize) -> bool {
        self.b.get(p) == Some(&b'-') && matches!(self.b.get(p + 1), None | Some(b' ' | b'\n'))
    }

    /// A block node whose first token is on the line at `ls`, indented `ind`;
    /// `parent` is the indentation of the collection holding it.
    fn block(
        &mut self,
        ls: usize,
        ind: usize,
        parent: isize,
        depth: usize,
    ) -> Option<(Node<'a>, Line)> {
        let p = ls + ind;
        if self.is_dash(p) {
            return self.seq(ls, ind, depth, false);
        }
        if let Some(first) = self.key(p) {
            return self.map(p, ind, depth, first);
        }
        // A scalar on a line of its own.
        let (node, end) = self.inline_scalar(p)?;
        self.after_scalar(end, ls)?;
        let next = self.next_line(self.line_end(end));
        self.no_continuation(next, parent)?;
        Some((node, next))
    }

    /// Nothing may follow a scalar on its line but a comment.
    fn after_scalar(&self, end: usize, from: usize) -> Option<()> {
        let q = self.skip_spaces(end);
        (self.at_eol(q) || self.at_comment(q, from)).then_some(())
    }

    /// A plain scalar continued on a more-indented line is a multi-line scalar,
    /// which the fast path leaves to the full parser.
    fn no_continuation(&self, next: Line, parent: isize) -> Option<()> {
        match next {
            Line::Content(ls, ind) if self.marker_at(ls).is_none() && ind as isize > parent => None,
            _ => Some(()),
        }
    }

    /// A block mapping whose first key is at `p`, indented `ind`.
    /// `first` is the first key, already read by the caller (`key(p)`).
    fn map(
        &mut self,
        p: usize,
        ind: usize,
        depth: usize,
        first: (Node<'a>, usize),
    ) -> Option<(Node<'a>, Line)> {
        if depth >= self.max_depth {
            return None;
        }
        // This mapping's entries are `self.entries[base..]`; an early `None`
        // abandons the whole parse, so what it leaves there does not matter.
        let base = self.entries.len();
        // Keys seen, once the mapping is too large to compare every pair.
        let mut seen: Option<std::collections::HashSet<String>> = None;
        let mut at = p;
        let (mut key, mut colon) = first;
        loop {
            let ls = at - ind;
            if let Some(k) = key.as_str() {
                let entries = &self.entries[base..];
                let duplicate = match &mut seen {
                    Some(set) => !set.insert(k.to_string()),
                    // `ek.as_str() == Some(k)`, with the (rarer) null test last.
                    None => entries.iter().any(|(ek, _)| {
                        matches!(&ek.kind, NodeKind::Scalar { value, .. } if **value == *k)
                            && !ek.is_null()
                    }),
                };
                if duplicate {
                    return None;
                }
                if seen.is_none() && entries.len() >= 16 {
                    let mut set: std::collections::HashSet<String> = entries
                        .iter()
                        .filter_map(|(ek, _)| ek.as_str().map(str::to_string))
                        .collect();
                    set.insert(k.to_string());
                    seen = Some(set);
                }
            }
            let v = self.skip_spaces(colon + 1);
            let (value, next) = if self.at_eol(v) || self.at_comment(v, colon + 1) {
                match self.next_line(self.line_end(v)) {
                    Line::Content(nls, nind)
                        if self.marker_at(nls).is_none()
                            && nind == ind
                            && self.is_dash(nls + nind) =>
                    {
                        // A sequence indented as much as its key.
                        self.seq(nls, nind, depth + 1, true)?
                    }
                    Line::Content(nls, nind) if self.marker_at(nls).is_none() && nind > ind => {
                        self.block(nls, nind, ind as isize, depth + 1)?
                    }
                    next => (scalar(Cow::Borrowed("~"), Style::Plain, colon, colon), next),
                }
            } else {
                self.value(v, ls, ind as isize)?
            };
            self.entries.push((key, value));
            match next {
                Line::Content(nls, nind) if self.marker_at(nls).is_none() && nind == ind => {
                    at = nls + nind;
                    (key, colon) = self.key(at)?;
                }
                Line::Content(nls, nind) if self.marker_at(nls).is_none() && nind > ind => {
                    return None;
                }
                _ => {
                    let end = self.end_of(next);
                    let entries = split_off(&mut self.entries, base);
                    let node = Node {
                        span: p..end,
                        anchor: 0,
                        kind: NodeKind::Map {
                            entries,
                            flow: false,
                        },
                    };
                    return Some((node, next));
                }
            }
        }
    }

    /// A block sequence whose first `-` is on the line at `ls`, indented `ind`.
    /// Its span starts at the first `-`, or, for a sequence indented as much as
    /// its key (no block start token), at the first item.
    fn seq(
        &mut self,
        ls: usize,
        ind: usize,
        depth: usize,
        indentless: bool,
    ) -> Option<(Node<'a>, Line)> {
        let first_dash = ls + ind;
        if depth >= self.max_depth {
            return None;
        }
        // This sequence's items are `self.items[base..]` (see `entries`).
        let base = self.items.len();
        let mut ls = ls;
        let mut first_token = first_dash;
        loop {
            let dash = ls + ind;
            let v = self.skip_spaces(dash + 1);
            let on_next_lines = self.at_eol(v) || self.at_comment(v, dash + 1);
            if self.items.len() == base {
                first_token = if on_next_lines { self.eol(v) } else { v };
            }
            let (item, next) = if on_next_lines {
                match self.next_line(self.line_end(v)) {
                    Line::Content(nls, nind) if self.marker_at(nls).is_none() && nind > ind => {
                        self.block(nls, nind, ind as isize, depth + 1)?
                    }
                    next => {
                        let at = self.eol(v);
                        (scalar(Cow::Borrowed("~"), Style::Plain, at, at), next)
                    }
                }
            } else if self.is_dash(v) {
                return None;
            } else if let Some(first) = self.key(v) {
                // A mapping that starts on the dash's line.
                self.map(v, v - ls, depth + 1, first)?
            } else {
                self.value(v, ls, ind as isize)?
            };
            self.items.push(item);
            match next {
                Line::Content(nls, nind)
                    if self.marker_at(nls).is_none() && nind == ind && self.is_dash(nls + nind) =>
                {
                    ls = nls;
                }
                Line::Content(nls, nind) if self.marker_at(nls).is_none() && nind > ind => {
                    return None;
                }
                _ => {
                    // A sequence indented as much as its key starts at its
                    // first item's first token: on the dash's line, or, for
                    // an item on the next lines, where that line ends.
                    let start = if indentless { first_token } else { first_dash };
                    let items = split_off(&mut self.items, base);
                    let node = Node {
                        span: start..self.end_of(next),
                        anchor: 0,
                        kind: NodeKind::Seq { items, flow: false },
                    };
                    return Some((node, next));
                }
            }
        }
    }

    /// A value that starts on its key's (or dash's) line at `v`.
    fn value(&self, v: usize, ls: usize, parent: isize) -> Option<(Node<'a>, Line)> {
        match self.b[v] {
            b'|' | b'>' => self.block_scalar(v, parent),
            _ => {
                let (node, end) = self.inline_scalar(v)?;
                self.after_scalar(end, ls)?;
                let next = self.next_line(self.line_end(end));
                // A more-indented line continues a plain value (which the
                // fast path leaves to the full parser), and is an error after
                // a quoted one.
                self.no_continuation(next, parent)?;
                Some((node, next))
            }
        }
    }

    /// A mapping key at `p`: the key node and the position of its `:`.
    fn key(&self, p: usize) -> Option<(Node<'a>, usize)> {
        let (node, end) = match self.b.get(p)? {
            b'"' | b'\'' => self.inline_scalar(p)?,
            _ => {
                if !self.plain_start(p) {
                    return None;
                }
                let mut q = p;
                loop {
                    q = self.special(q);
                    match self.b.get(q) {
                        None | Some(b'\n') => return None,
                        Some(b'#') => {
                            if self.b[q - 1] == b' ' {
                                return None;
                            }
                        }
                        _ => {
                            if matches!(self.b.get(q + 1), None | Some(b' ' | b'\n')) {
                                break;
                            }
                        }
                    }
                    q += 1;
                }
                let mut end = q;
                while end > p && self.b[end - 1] == b' ' {
                    end -= 1;
                }
                // The `:` found is the key's: only spaces lie between.
                if end - p > MAX_KEY {
                    return None;
                }
                let node = scalar(Cow::Borrowed(&self.src[p..end]), Style::Plain, p, end);
                return Some((node, q));
            }
        };
        if end - p > MAX_KEY {
            return None;
        }
        let colon = self.skip_spaces(end);
        if self.b.get(colon) == Some(&b':')
            && matches!(self.b.get(colon + 1), None | Some(b' ' | b'\n'))
        {
            Some((node, colon))
        } else {
            None
        }
    }

    /// Whether a plain scalar may start at `p` (block context).
    fn plain_start(&self, p: usize) -> bool {
        match self.b.get(p) {
            None | Some(b'\n' | b' ') => false,
            Some(
                b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
                | b'"' | b'%' | b'@' | b'`',
            ) => false,
            Some(b'-' | b'?' | b':') => !matches!(self.b.get(p + 1), None | Some(b' ' | b'\n')),
            Some(_) => true,
        }
    }

    /// A single-line scalar at `p`: the node and the end of its token.
    fn inline_scalar(&self, p: usize) -> Option<(Node<'a>, usize)> {
        match self.b[p] {
            b'\'' => {
                let mut value: Option<String> = None;
                let mut q = p + 1;
                loop {
                    let at = q + memchr::memchr2(b'\'', b'\n', &self.b[q..])?;
                    if self.b[at] == b'\n' {
                        return None;
                    }
                    if self.b.get(at + 1) == Some(&b'\'') {
                        value
                            .get_or_insert_with(String::new)
                            .push_str(&self.src[q..=at]);
                        q = at + 2;
                    } else {
                        let value = quoted_value(self.src, value, q, at);
                        return Some((scalar(value, Style::SingleQuoted, p, at + 1), at + 1));
                    }
                }
            }
            b'"' => {
                let mut value: Option<String> = None;
                let mut q = p + 1;
                loop {
                    let at = q + memchr::memchr3(b'"', b'\\', b'\n', &self.b[q..])?;
                    if self.b[at] == b'\n' {
                        return None;
                    }
                    if self.b[at] == b'"' {
                        let value = quoted_value(self.src, value, q, at);
                        return Some((scalar(value, Style::DoubleQuoted, p, at + 1), at + 1));
                    }
                    let v = value.get_or_insert_with(String::new);
                    v.push_str(&self.src[q..at]);
                    let (c, len) = self.escape(at + 1, self.eol(at))?;
                    v.push(c);
                    q = at + 1 + len;
                }
            }
            _ => {
                if !self.plain_start(p) {
                    return None;
                }
                let mut q = p;
                let end = loop {
                    q = self.special(q);
                    match self.b.get(q) {
                        None | Some(b'\n') => {
                            // The whole rest of the line: remember where it ends.
                            self.line.set((p, q));
                            break q;
                        }
                        Some(b'#') => {
                            if self.b[q - 1] == b' ' {
                                break q;
                            }
                        }
                        _ => {
                            if matches!(self.b.get(q + 1), None | Some(b' ' | b'\n')) {
                                // `a: b: c` is an error; `a: b:` too.
                                return None;
                            }
                        }
                    }
                    q += 1;
                };
                let mut end = end;
                while end > p && self.b[end - 1] == b' ' {
                    end -= 1;
                }
                Some((
                    scalar(Cow::Borrowed(&self.src[p..end]), Style::Plain, p, end),
                    end,
                ))
            }
        }
    }

    /// One escape after a backslash at `p`: the character and how many bytes it took.
    fn escape(&self, p: usize, eol: usize) -> Option<(char, usize)> {
        let c = *self.b.get(p).filter(|_| p < eol)?;
        let simple = match c {
            b'0' => '\0',
            b'a' => '\u{7}',
            b'b' => '\u{8}',
            b't' => '\t',
            b'n' => '\n',
            b'v' => '\u{b}',
            b'f' => '\u{c}',
            b'r' => '\r',
            b'e' => '\u{1b}',
            b' ' => ' ',
            b'"' => '"',
            b'/' => '/',
            b'\\' => '\\',
            b'N' => '\u{85}',
            b'_' => '\u{a0}',
            b'L' => '\u{2028}',
            b'P' => '\u{2029}',
            b'x' | b'u' | b'U' => {
                let n = match c {
                    b'x' => 2,
                    b'u' => 4,
                    _ => 8,
                };
                let hex = self
                    .src
                    .get(p + 1..p + 1 + n)
                    .filter(|_| p + 1 + n <= eol)?;
                if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                    return None;
                }
                let code = u32::from_str_radix(hex, 16).ok()?;
                return Some((char::from_u32(code)?, 1 + n));
            }
            _ => return None,
        };
        Some((simple, 1))
    }

    /// A literal or folded block scalar whose header is at `h`.
    fn block_scalar(&self, h: usize, parent: isize) -> Option<(Node<'a>, Line)> {
        let folded = self.b[h] == b'>';
        let mut q = h + 1;
        let chomp = match self.b.get(q) {
            Some(b'-') => {
                q += 1;
                b'-'
            }
            Some(b'+') => {
                q += 1;
                b'+'
            }
            _ => b' ',
        };
        let after = self.skip_spaces(q);
        if !(self.at_eol(after) || (after > q && self.at_comment(after, q))) {
            return None;
        }
        // Content lines: the first one sets the indentation.
        let first = self.line_end(after);
        let p0 = self.skip_spaces(first);
        if self.at_eol(p0) {
            return None;
        }
        let indent = p0 - first;
        if indent as isize <= parent || (first..p0).is_empty() {
            return None;
        }
        let mut lines: Vec<&'a str> = Vec::new();
        let mut blanks_before: Vec<usize> = Vec::new();
        let mut blank = 0;
        let mut ls = first;
        let mut content_end = first;
        while ls < self.b.len() {
            let p = self.skip_spaces(ls);
            let n = p - ls;
            if self.at_eol(p) {
                if n > indent {
                    return None;
                }
                blank += 1;
                ls = self.line_end(p);
                continue;
            }
            if n < indent {
                break;
            }
            if folded && n > indent {
                return None;
            }
            let e = self.eol(p);
            lines.push(&self.src[ls + indent..e]);
            blanks_before.push(blank);
            blank = 0;
            ls = self.line_end(p);
            content_end = ls;
        }
        let next = self.next_line(ls);
        if let Line::Content(nls, nind) = next
            && self.marker_at(nls).is_none()
            && nind as isize > parent
        {
            return None;
        }
        let mut value = String::new();
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                let k = blanks_before[i];
                if folded {
                    if k == 0 {
                        value.push(' ');
                    } else {
                        value.extend(std::iter::repeat_n('\n', k));
                    }
                } else {
                    value.extend(std::iter::repeat_n('\n', k + 1));
                }
            }
            value.push_str(line);
        }
        // Whether the last content line ends with a newline (not the end of input).
        let last_has_newline = content_end > first && self.b[content_end - 1] == b'\n';
        match chomp {
            b'-' => {}
            b'+' => {
                if last_has_newline {
                    value.push('\n');
                }
                value.extend(std::iter::repeat_n('\n', blank));
            }
            _ => {
                if last_has_newline {
                    value.push('\n');
                }
            }
        }
        let style = if folded {
            Style::Folded
        } else {
            Style::Literal
        };
        let node = scalar(Cow::Owned(value), style, first + indent, self.end_of(next));
        Some((node, next))
    }
}

#[cfg(test)]
mod tests {
    use super::printable;

    /// The 64-byte blocks must not hide a character the slow path would refuse,
    /// wherever it falls, nor split a multi-byte character.
    #[test]
    fn printable_at_every_position() {
        for len in (0..40).chain(60..140) {
            for at in 0..len {
                let mut s = "a".repeat(len);
                for (bad, ok) in [
                    ("\u{0}", false),
                    ("\t", false),
                    ("\r", false),
                    ("\u{7f}", false),
                    ("\u{80}", false),
                    ("\u{9f}", false),
                    ("\u{fffe}", false),
                    ("\u{ffff}", false),
                    ("\u{85}", true),
                    ("\n", true),
                    ("é", true),
                    ("\u{fffd}", true),
                    ("😀", true),
                ] {
                    s.replace_range(at..at + 1, bad);
                    assert_eq!(printable(s.as_bytes()), ok, "{bad:?} at {at} of {len}");
                    s = "a".repeat(len);
                }
            }
        }
    }
}
