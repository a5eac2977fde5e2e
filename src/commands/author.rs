//! What the authoring verbs share once a verb has said what it wants: render
//! and verify the files, then print the diff (`--dry-run`) or write them, and
//! report per object as `oc` does.

use std::path::PathBuf;

use serde_json::Value;

use crate::ExitStatus;
use crate::author::{Object, Workspace, render, tabwriter};
use crate::commands::apply::write_file;
use crate::diag::Severity;
use crate::discover::ReadLimits;
use crate::report::{Printer, diff, human};

/// The shared options, resolved.
#[derive(Debug, Clone)]
pub struct Common {
    /// `-f` paths.
    pub files: Vec<PathBuf>,
    /// `-n`.
    pub namespace: Option<String>,
    /// Print a diff instead of writing.
    pub dry_run: bool,
    /// Colour.
    pub color: anstream::ColorChoice,
    /// `--max-*`.
    pub limits: ReadLimits,
}

/// Print a listing (`oc`'s tab-aligned table), the files that could not be
/// read, and the objects that could not be found.
pub fn print_table(
    ws: &Workspace,
    rows: &[Vec<String>],
    errors: &[String],
    common: &Common,
) -> anyhow::Result<ExitStatus> {
    let mut p = Printer::new(common.color);
    let ecolor = p.err.current_choice() != anstream::ColorChoice::Never;
    p.eprint(&human::diagnostics(&ws.diagnostics, ecolor))?;
    p.print(&tabwriter::render(rows))?;
    end(p, ws, errors)
}

/// "`kind.group/name` <what>" for each wanted object that changes.
pub fn changed_messages(wanted: &[(Object, Value)], what: &str) -> Vec<(usize, String)> {
    wanted
        .iter()
        .enumerate()
        .filter(|(_, (o, v))| o.value != *v)
        .map(|(i, (o, _))| (i, format!("{} {what}", object_name(o))))
        .collect()
}

/// `kind.group/name` as `oc` prints an object it changed.
pub fn object_name(o: &Object) -> String {
    let kind = o.id.kind.to_ascii_lowercase();
    match o.id.api_version.split_once('/') {
        Some((group, _)) => format!("{kind}.{group}/{}", o.id.name),
        None => format!("{kind}/{}", o.id.name),
    }
}

/// Render, verify and write (or print) what a verb wants. `errors` are the
/// per-object failures already met; `messages` are printed once the file of
/// the object they name (an index into `wanted`) is written.
pub fn finish(
    ws: &Workspace,
    wanted: &[(Object, Value)],
    mut errors: Vec<String>,
    messages: &[(usize, String)],
    common: &Common,
) -> anyhow::Result<ExitStatus> {
    let mut p = Printer::new(common.color);
    let ecolor = p.err.current_choice() != anstream::ColorChoice::Never;
    p.eprint(&human::diagnostics(&ws.diagnostics, ecolor))?;
    let plans = match render(ws, wanted) {
        Ok(plans) => plans,
        Err(failures) => {
            for f in failures {
                errors.push(format!("{}: not changed: {}", f.file, f.message));
            }
            Vec::new()
        }
    };
    let mut failed_files = Vec::new();
    if common.dry_run {
        p.print(&diff::render_all(&plans, p.color))?;
    } else {
        for f in &plans {
            if let Err(e) = write_file(f) {
                errors.push(format!("{}: not written: {e:#}", f.display));
                failed_files.push(f.display.clone());
            }
        }
    }
    let written: Vec<&String> = plans
        .iter()
        .map(|f| &f.display)
        .filter(|d| !failed_files.contains(d))
        .collect();
    for (i, m) in messages {
        let display = ws.display(&wanted[*i].0).to_string();
        let unchanged = wanted[*i].0.value == wanted[*i].1;
        if (unchanged || written.contains(&&display)) && !common.dry_run {
            p.print(&format!("{m}\n"))?;
        }
    }
    end(p, ws, &errors)
}

/// Print the per-object errors last; exit 1 when there were any, or when a
/// file could not be read or parsed (an error finding, as for `check`).
fn end(mut p: Printer, ws: &Workspace, errors: &[String]) -> anyhow::Result<ExitStatus> {
    for e in errors {
        p.eprint(&format!("error: {e}\n"))?;
    }
    p.flush()?;
    let error_finding = ws.diagnostics.iter().any(|d| d.severity == Severity::Error);
    Ok(if errors.is_empty() && !error_finding {
        ExitStatus::Success
    } else {
        ExitStatus::Findings
    })
}
