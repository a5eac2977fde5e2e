//! The versioned JSON report (`--format json`): one document, keys sorted.
//!
//! The report is written as the plan streams, never held whole: the arrays that
//! grow with the tree (changes, trigger rows, diagnostics) are written an element
//! at a time, and the rest of the document around them (`Frame`) is printed by
//! serde_json. Keys are sorted, and some keys known only at the end sort before
//! an array that comes chunk by chunk (`builds` before `changes`; `diagnostics`
//! and `summary` before `triggers`), so that array is kept in a `Spool` (memory,
//! then a temporary file) until the end. The bytes are those of the document
//! built whole (`report`, `triggers`).

use std::io::{self, Write};

use serde::Serialize;
use serde_json::{Value, json};

use crate::findings::Findings;
use crate::plan::Plan;
use crate::spool::Spool;

/// Report version. Fields may be added; existing ones keep their meaning.
pub const VERSION: u64 = 1;

/// The report for `diff`, `apply` and `check`, built whole.
pub fn report(plan: &Plan) -> String {
    whole(plan, |r, out| {
        let mut w = Report::new();
        w.part(plan)?;
        w.finish(plan, r, out)
    })
}

/// The report for `triggers`, built whole.
pub fn triggers(plan: &Plan) -> String {
    whole(plan, |r, out| {
        let mut w = Triggers::new();
        w.part(plan)?;
        w.finish(plan, r, out)
    })
}

/// Write a plan held whole through a streaming writer.
fn whole(plan: &Plan, write: impl FnOnce(&mut Findings, &mut Vec<u8>) -> io::Result<()>) -> String {
    let mut findings = Findings::in_order(plan.diagnostics.clone());
    let mut out = Vec::new();
    // Writing to memory fails only if a spool cannot move to disk.
    if write(&mut findings, &mut out).is_err() {
        return String::new();
    }
    String::from_utf8(out).unwrap_or_default()
}

/// A report document: keys sorted, pretty, with a final newline.
pub fn document(v: Value) -> String {
    finish(v)
}

fn finish(v: Value) -> String {
    // serde_json's map is ordered by key, so a round trip through `Value` sorts
    // every object's keys.
    let sorted: Value = serde_json::from_str(&v.to_string()).unwrap_or(v);
    let mut s = serde_json::to_string_pretty(&sorted).unwrap_or_default();
    s.push('\n');
    s
}

/// A document with some array values left out, to be written in their place
/// as they come: the text around them, and the indentation of each one's key.
pub(crate) struct Frame {
    /// The text before the first hole, between holes, and after the last.
    pieces: Vec<String>,
    /// For each hole, the indentation of the line its key is on.
    indents: Vec<usize>,
}

impl Frame {
    /// The document `doc` builds, given the value that marks each hole: it
    /// holds `hole(0)`, `hole(1)`, …, each once, as values of keys, in the
    /// order the sorted document has them.
    pub(crate) fn new(
        holes: usize,
        doc: impl Fn(&dyn Fn(usize) -> Value) -> Value,
    ) -> io::Result<Frame> {
        // A mark that the values around the holes do not happen to spell.
        for nonce in 0u32..64 {
            let hole = |i: usize| json!(format!("\u{1}streampin:{nonce}:{i}\u{1}"));
            let text = document(doc(&hole));
            // A key's closing quote, `: `, then the hole (a string value cannot
            // hold that: its quotes would be escaped).
            let marks: Vec<String> = (0..holes).map(|i| format!(": {}", hole(i))).collect();
            let at: Vec<usize> = marks.iter().filter_map(|m| text.find(m.as_str())).collect();
            let once = marks.iter().all(|m| text.matches(m.as_str()).count() == 1);
            if !once || at.len() != holes || !at.is_sorted() {
                continue;
            }
            let mut pieces = Vec::with_capacity(holes + 1);
            let mut indents = Vec::with_capacity(holes);
            let mut start = 0;
            for (&at, mark) in at.iter().zip(&marks) {
                let line = text[..at].rfind('\n').map_or(0, |n| n + 1);
                indents.push(text[line..].len() - text[line..].trim_start_matches(' ').len());
                pieces.push(text[start..at + 2].to_string());
                start = at + mark.len();
            }
            pieces.push(text[start..].to_string());
            return Ok(Frame { pieces, indents });
        }
        Err(io::Error::other("the report's arrays cannot be placed"))
    }

    /// The indentation of hole `i`'s key.
    pub(crate) fn indent(&self, i: usize) -> usize {
        self.indents[i]
    }

    /// The text before hole `i` (after hole `i - 1`); `i` = the number of
    /// holes for the text after the last.
    pub(crate) fn piece(&self, i: usize) -> &str {
        &self.pieces[i]
    }
}

/// The elements of a pretty-printed array, written as they come, into `text`
/// (to be taken a piece at a time): `[`, each element indented as its place
/// in the document wants, then `close`.
#[derive(Debug)]
pub(crate) struct Elements {
    /// The indentation of the line the array's key is on.
    indent: usize,
    count: usize,
    /// What has been written and not yet taken.
    pub(crate) text: String,
}

impl Elements {
    pub(crate) fn new(indent: usize) -> Elements {
        Elements {
            indent,
            count: 0,
            text: String::new(),
        }
    }

    /// Append one element (its keys sorted).
    pub(crate) fn push(&mut self, item: &impl Serialize) -> io::Result<()> {
        let value = serde_json::to_value(item)?;
        self.push_value(&value)
    }

    /// Append one element given as a value (its keys sorted).
    pub(crate) fn push_value(&mut self, value: &Value) -> io::Result<()> {
        let pretty = serde_json::to_string_pretty(value)?;
        self.text.push_str(if self.count == 0 { "[" } else { "," });
        let pad = " ".repeat(self.indent + 2);
        // A JSON string never holds a raw newline: every one is between tokens.
        for line in pretty.split('\n') {
            self.text.push('\n');
            self.text.push_str(&pad);
            self.text.push_str(line);
        }
        self.count += 1;
        Ok(())
    }

    /// Take what has been written so far.
    pub(crate) fn take(&mut self) -> String {
        std::mem::take(&mut self.text)
    }

    /// The end of the array.
    pub(crate) fn close(&self) -> String {
        if self.count == 0 {
            "[]".into()
        } else {
            format!("\n{}]", " ".repeat(self.indent))
        }
    }

    /// Write what has been written to `out` when it is large enough to be
    /// worth a write (or `now`).
    pub(crate) fn drain_to(&mut self, out: &mut impl Write, now: bool) -> io::Result<()> {
        if now || self.text.len() >= 1 << 16 {
            out.write_all(self.text.as_bytes())?;
            self.text.clear();
        }
        Ok(())
    }
}

/// Check that a frame puts hole `i` where the elements were indented for.
fn fits(frame: &Frame, i: usize, elements: &Elements) -> io::Result<()> {
    if frame.indent(i) == elements.indent {
        Ok(())
    } else {
        Err(io::Error::other("the report's layout changed"))
    }
}

/// Every diagnostic as elements of `array`, written to `out` as they are read.
fn diagnostics(
    findings: &mut Findings,
    array: &mut Elements,
    out: &mut impl Write,
) -> io::Result<()> {
    for d in findings.iter()? {
        array.push(&d?)?;
        array.drain_to(out, false)?;
    }
    array.drain_to(out, true)?;
    out.write_all(array.close().as_bytes())
}

/// Where a top-level key's array starts: two spaces in.
const TOP: usize = 2;

/// `--format json` for `check`, `diff` and `apply`, written as the plan streams.
/// `changes` sorts after `builds`, which are known only at the end, so the
/// changes are spooled.
#[derive(Debug)]
pub struct Report {
    changes: Elements,
    spool: Spool,
}

impl Default for Report {
    fn default() -> Self {
        Report::new()
    }
}

impl Report {
    /// An empty report.
    pub fn new() -> Report {
        Report {
            changes: Elements::new(TOP),
            spool: Spool::new(),
        }
    }

    /// Take one chunk's changes.
    pub fn part(&mut self, part: &Plan) -> io::Result<()> {
        for c in &part.changes {
            self.changes.push(c)?;
        }
        self.spool.write(self.changes.take().as_bytes())
    }

    /// Write the document: the builds, the spooled changes, the diagnostics and
    /// the summary of the plan `stream` returned.
    pub fn finish(
        mut self,
        plan: &Plan,
        findings: &mut Findings,
        out: &mut impl Write,
    ) -> io::Result<()> {
        let frame = Frame::new(2, |hole| {
            json!({
                "version": VERSION,
                "changes": hole(0),
                "builds": plan.builds,
                "diagnostics": hole(1),
                "summary": plan.summary,
            })
        })?;
        fits(&frame, 0, &self.changes)?;
        let mut found = Elements::new(frame.indent(1));
        out.write_all(frame.piece(0).as_bytes())?;
        self.spool.copy_to(out)?;
        out.write_all(self.changes.close().as_bytes())?;
        out.write_all(frame.piece(1).as_bytes())?;
        diagnostics(findings, &mut found, out)?;
        out.write_all(frame.piece(2).as_bytes())
    }
}

/// `--format json` for `triggers`, written as the plan streams. `triggers`
/// sorts after `diagnostics` and `summary`, so the rows are spooled.
#[derive(Debug)]
pub struct Triggers {
    rows: Elements,
    spool: Spool,
}

impl Default for Triggers {
    fn default() -> Self {
        Triggers::new()
    }
}

impl Triggers {
    /// An empty report.
    pub fn new() -> Triggers {
        Triggers {
            rows: Elements::new(TOP),
            spool: Spool::new(),
        }
    }

    /// Take one chunk's trigger rows.
    pub fn part(&mut self, part: &Plan) -> io::Result<()> {
        for r in &part.rows {
            self.rows.push(r)?;
        }
        self.spool.write(self.rows.take().as_bytes())
    }

    /// Write the document: the diagnostics, the summary, the spooled rows.
    pub fn finish(
        mut self,
        plan: &Plan,
        findings: &mut Findings,
        out: &mut impl Write,
    ) -> io::Result<()> {
        let frame = Frame::new(2, |hole| {
            json!({
                "version": VERSION,
                "triggers": hole(1),
                "diagnostics": hole(0),
                "summary": plan.summary,
            })
        })?;
        fits(&frame, 1, &self.rows)?;
        let mut found = Elements::new(frame.indent(0));
        out.write_all(frame.piece(0).as_bytes())?;
        diagnostics(findings, &mut found, out)?;
        out.write_all(frame.piece(1).as_bytes())?;
        self.spool.copy_to(out)?;
        out.write_all(self.rows.close().as_bytes())?;
        out.write_all(frame.piece(2).as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{Code, Diagnostic};

    /// The document built whole, as it always was: one `Value`, keys sorted.
    fn reference(v: Value) -> String {
        finish(v)
    }

    #[test]
    fn frames_split_at_their_holes() {
        // Values that spell the first marks tried.
        let frame = Frame::new(2, |hole| {
            json!({
                "a": {"x": [1, {"y": hole(0)}]},
                "b": hole(1),
                "c": "\u{1}streampin:0:0\u{1}",
                "d": {"k": "\u{1}streampin:1:0\u{1}"},
                "e": "\u{1}streampin:2:1\u{1}",
            })
        })
        .unwrap();
        assert_eq!(frame.indent(0), 8);
        assert_eq!(frame.indent(1), 2);
        let mut e = Elements::new(frame.indent(0));
        e.push(&json!({"k": [1, 2], "j": "v\nw"})).unwrap();
        e.push(&json!([])).unwrap();
        let inner = e.take() + &e.close();
        let text = [frame.piece(0), &inner, frame.piece(1), "[]", frame.piece(2)].concat();
        let want = reference(json!({
            "a": {"x": [1, {"y": [{"k": [1, 2], "j": "v\nw"}, []]}]},
            "b": [],
            "c": "\u{1}streampin:0:0\u{1}",
            "d": {"k": "\u{1}streampin:1:0\u{1}"},
            "e": "\u{1}streampin:2:1\u{1}",
        }));
        assert_eq!(text, want);
        // Holes out of the document's order.
        assert!(Frame::new(2, |hole| json!({"a": hole(1), "b": hole(0)})).is_err());
    }

    #[test]
    fn reports_are_the_documents_built_whole() {
        let mut plan = Plan::default();
        assert_eq!(
            report(&plan),
            reference(json!({
                "version": VERSION,
                "changes": [],
                "builds": [],
                "diagnostics": [],
                "summary": plan.summary,
            }))
        );
        plan.diagnostics = vec![
            Diagnostic::new(Code::TagNotFound, "b.yaml", (3, 4), "m \"q\"\n".into()),
            Diagnostic::new(Code::YamlInvalid, "a.yaml", (1, 1), "n".into()),
        ];
        plan.summary.errors = 1;
        assert_eq!(
            triggers(&plan),
            reference(json!({
                "version": VERSION,
                "triggers": [],
                "diagnostics": plan.diagnostics,
                "summary": plan.summary,
            }))
        );
    }
}
