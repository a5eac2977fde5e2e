//! Human-readable text: diagnostics (`path:line:col: severity[code] …`), the
//! `check` listing of stale images, and the `triggers` table.

use std::io::{self, BufRead, Write};

use anstyle::{AnsiColor, Style};

use crate::diag::{Diagnostic, Severity};
use crate::findings::Findings;
use crate::plan::Plan;
use crate::spool::Spool;
use crate::trigger::{Build, Change, TriggerRow};

fn paint(color: bool, style: Style, s: &str) -> String {
    if color {
        format!("{style}{s}{style:#}")
    } else {
        s.to_string()
    }
}

/// One diagnostic on one line.
pub fn diagnostic(d: &Diagnostic, color: bool) -> String {
    let sev = match d.severity {
        Severity::Error => paint(color, AnsiColor::Red.on_default().bold(), "error"),
        Severity::Warning => paint(color, AnsiColor::Yellow.on_default().bold(), "warning"),
        Severity::Info => paint(color, AnsiColor::Blue.on_default().bold(), "info"),
    };
    let object = d
        .object
        .as_ref()
        .map(|o| format!(" {o}:"))
        .unwrap_or_default();
    format!(
        "{}:{}:{}: {sev}[{}]{object} {}\n",
        d.file,
        d.line,
        d.column,
        d.code.as_str(),
        d.message
    )
}

/// All diagnostics.
pub fn diagnostics(ds: &[Diagnostic], color: bool) -> String {
    ds.iter().map(|d| diagnostic(d, color)).collect()
}

/// Every finding but those `skip` says, a line each, written as it is read.
pub fn findings(
    findings: &mut Findings,
    color: bool,
    skip: impl Fn(&Diagnostic) -> bool,
    out: &mut impl Write,
) -> io::Result<()> {
    let mut text = String::new();
    for d in findings.iter()? {
        let d = d?;
        if skip(&d) {
            continue;
        }
        text.push_str(&diagnostic(&d, color));
        if text.len() >= 1 << 16 {
            out.write_all(text.as_bytes())?;
            text.clear();
        }
    }
    out.write_all(text.as_bytes())
}

/// One stale image, as `check` prints it.
pub fn change(c: &Change, color: bool) -> String {
    let mut out = String::new();
    push_change(&mut out, c, color);
    out
}

/// One stale image, as `check` prints it, added to `out` (the line is built
/// piece by piece: `check` prints one per stale image, and formatting them
/// through `format!` was a visible share of a run).
pub fn push_change(out: &mut String, c: &Change, color: bool) {
    use std::fmt::Write as _;
    out.reserve(c.file.len() + c.old.len() + c.new.len() + 128);
    out.push_str(&c.file);
    // Writing to a `String` cannot fail.
    let _ = write!(out, ":{}:{}: ", c.line, c.column);
    if color {
        out.push_str(&paint(
            color,
            AnsiColor::Yellow.on_default().bold(),
            "stale",
        ));
    } else {
        out.push_str("stale");
    }
    out.push(' ');
    c.object.describe_into(out);
    if c.container.is_empty() {
        out.push_str(" `");
        out.push_str(&c.field);
    } else {
        out.push_str(" container `");
        out.push_str(&c.container);
    }
    out.push_str("`: `");
    out.push_str(&c.old);
    out.push_str("` -> `");
    out.push_str(&c.new);
    out.push_str("` (from ");
    out.push_str(c.source.kind);
    out.push_str(" `");
    out.push_str(&c.source.from.name);
    out.push_str("`)\n");
}

/// One build OpenShift would start.
pub fn build(b: &Build, color: bool) -> String {
    let from: Vec<String> = b.causes.iter().map(|c| format!("`{}`", c.from)).collect();
    format!(
        "{}:{}: {} {} from `{}` (triggered by {})\n",
        b.file,
        b.line,
        paint(color, AnsiColor::Cyan.on_default().bold(), "would build"),
        b.object.describe(),
        b.reference,
        from.join(", ")
    )
}

/// A closing summary line for `check`, `diff` and `apply`.
pub fn summary(plan: &Plan, verb: &str) -> String {
    let s = &plan.summary;
    format!(
        "{} image{} in {} file{} {verb}; {} error{}, {} warning{} ({} files, {} objects, {} triggers scanned)\n",
        s.changes,
        plural(s.changes),
        s.files_changed,
        plural(s.files_changed),
        s.errors,
        plural(s.errors),
        s.warnings,
        plural(s.warnings),
        s.files_scanned,
        s.objects,
        s.triggers,
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The `triggers` table of rows held whole: see `TriggerTable`.
pub fn triggers(rows: &[TriggerRow]) -> String {
    let mut table = TriggerTable::new();
    let mut out = Vec::new();
    match table.rows(rows).and_then(|()| table.write(&mut out)) {
        Ok(()) => String::from_utf8(out).unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// The `triggers` table: aligned columns, one row per trigger. The widths are
/// known once every row is, so the rows' cells are spooled until then.
#[derive(Debug)]
pub struct TriggerTable {
    widths: [usize; 6],
    /// One JSON array of six cells per line.
    cells: Spool,
}

impl Default for TriggerTable {
    fn default() -> Self {
        TriggerTable::new()
    }
}

const HEADER: [&str; 6] = ["FILE", "OBJECT", "CONTAINER", "SOURCE", "STATE", "RESOLVED"];

impl TriggerTable {
    /// A table with its header.
    pub fn new() -> TriggerTable {
        let mut t = TriggerTable {
            widths: [0; 6],
            cells: Spool::new(),
        };
        t.widen(&HEADER.map(String::from));
        t
    }

    fn widen(&mut self, row: &[String; 6]) {
        for (w, cell) in self.widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }

    /// Take some rows.
    pub fn rows(&mut self, rows: &[TriggerRow]) -> io::Result<()> {
        let mut lines = Vec::new();
        for r in rows {
            let row = [
                format!("{}:{}", r.file, r.line),
                r.object.describe(),
                r.container.clone().unwrap_or_else(|| "-".into()),
                if r.source.is_empty() {
                    "-".into()
                } else {
                    r.source.clone()
                },
                r.state.as_str().into(),
                r.resolved.clone().unwrap_or_else(|| "-".into()),
            ];
            self.widen(&row);
            serde_json::to_writer(&mut lines, &row)?;
            lines.push(b'\n');
        }
        self.cells.write(&lines)
    }

    /// Write the table.
    pub fn write(mut self, out: &mut impl Write) -> io::Result<()> {
        let widths = self.widths;
        let line = |row: &[String; 6]| {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    line.push_str(&format!("{cell:<w$}  ", w = widths[i]));
                }
            }
            let mut line = line.trim_end().to_string();
            line.push('\n');
            line
        };
        let mut text = line(&HEADER.map(String::from));
        for row in self.cells.reader()?.lines() {
            let row: [String; 6] = serde_json::from_str(&row?)?;
            text.push_str(&line(&row));
            if text.len() >= 1 << 16 {
                out.write_all(text.as_bytes())?;
                text.clear();
            }
        }
        out.write_all(text.as_bytes())
    }
}
