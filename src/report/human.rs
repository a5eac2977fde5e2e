//! Human-readable text: diagnostics (`path:line:col: severity[code] …`), the
//! `check` listing of stale images, and the `triggers` table.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use crate::diag::{Diagnostic, Severity};
use crate::findings::Findings;
use crate::plan::Plan;
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
    let what = if c.container.is_empty() {
        format!("`{}`", c.field)
    } else {
        format!("container `{}`", c.container)
    };
    format!(
        "{}:{}:{}: {} {} {what}: `{}` -> `{}` (from {} `{}`)\n",
        c.file,
        c.line,
        c.column,
        paint(color, AnsiColor::Yellow.on_default().bold(), "stale"),
        c.object.describe(),
        c.old,
        c.new,
        c.source.kind,
        c.source.from.name,
    )
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

/// The `triggers` table: aligned columns, one row per trigger.
pub fn triggers(rows: &[TriggerRow]) -> String {
    let header = ["FILE", "OBJECT", "CONTAINER", "SOURCE", "STATE", "RESOLVED"];
    let mut table: Vec<[String; 6]> = vec![header.map(String::from)];
    for r in rows {
        table.push([
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
        ]);
    }
    let mut widths = [0usize; 6];
    for row in &table {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &table {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
