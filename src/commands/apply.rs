//! `streampin apply`: write the verified plan. Each file is written atomically
//! (a temporary file in the same directory, then rename), keeps its permissions,
//! and is written only if it still holds the bytes the plan was made from.

use crate::ExitStatus;
use crate::diag::{Code, Diagnostic};
use crate::plan::{self, Plan};
use crate::report::{Format, Printer, human, json, sarif};
use crate::settings::Settings;

/// Run `apply`.
pub fn run(settings: &Settings) -> anyhow::Result<ExitStatus> {
    let mut written = 0;
    // Text output streams: each chunk is written as it comes. The documents need
    // every change, so they keep what the sink leaves.
    let keep = !matches!(settings.format, Format::Text | Format::Diff);
    let mut files = Vec::new();
    let mut changes = Vec::new();
    let mut rows = Vec::new();
    let (mut plan, mut findings) = plan::stream(&settings.plan, |part| {
        written += write_part(part);
        if keep {
            files.append(&mut part.files);
            changes.append(&mut part.changes);
            rows.append(&mut part.rows);
        }
        Ok(())
    })?;
    if keep {
        plan.keep(files, changes, rows);
        plan.diagnostics = findings.into_vec()?;
        findings = crate::findings::Findings::in_order(Vec::new());
    }
    let mut p = Printer::new(settings.color);
    let color = p.err.current_choice() != anstream::ColorChoice::Never;
    match settings.format {
        Format::Json => p.print(&json::report(&plan))?,
        Format::Github => super::github_output(&mut p, &plan, "notice", "apply")?,
        Format::Sarif => p.print(&sarif::report(&plan, sarif::Level::Note))?,
        Format::Text | Format::Diff => {
            human::findings(&mut findings, color, |_| false, &mut p.err)?;
            p.eprint(&human::summary(
                &plan,
                &format!("rewritten ({written} written)"),
            ))?;
        }
    }
    p.flush()?;
    Ok(if plan.has_errors() {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    })
}

/// Write a chunk's files. A file that cannot be written loses its changes and
/// gains a `write-failed` diagnostic. Returns how many were written.
fn write_part(part: &mut Plan) -> usize {
    let mut failed = Vec::new();
    for f in &part.files {
        if let Err(e) = write_file(f) {
            failed.push(Diagnostic::new(
                Code::WriteFailed,
                &f.display,
                (1, 1),
                format!("not written: {e:#}"),
            ));
        }
    }
    if !failed.is_empty() {
        part.changes
            .retain(|c| !failed.iter().any(|d| d.file == c.file));
        part.files
            .retain(|f| !failed.iter().any(|d| d.file == f.display));
        part.diagnostics.append(&mut failed);
    }
    part.files.len()
}

/// Write one file atomically if it is unchanged since it was read (also used by
/// the authoring verbs and `import`).
pub use super::atomic::write_file;
