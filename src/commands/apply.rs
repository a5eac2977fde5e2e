//! `streampin apply`: write the verified plan. Each file is written atomically
//! (a temporary file in the same directory, then rename), keeps its permissions,
//! and is written only if it still holds the bytes the plan was made from.

use crate::ExitStatus;
use crate::diag::{Code, Diagnostic, Severity};
use crate::plan;
use crate::report::{Format, Printer, human, json, sarif};
use crate::settings::Settings;

/// Run `apply`.
pub fn run(settings: &Settings) -> anyhow::Result<ExitStatus> {
    let mut plan = plan::build(&settings.plan)?;
    let mut written = 0;
    let mut failures = Vec::new();
    for f in &plan.files {
        match write_file(f) {
            Ok(()) => written += 1,
            Err(e) => failures.push(Diagnostic::new(
                Code::WriteFailed,
                &f.display,
                (1, 1),
                format!("not written: {e:#}"),
            )),
        }
    }
    if !failures.is_empty() {
        let failed: Vec<String> = failures.iter().map(|d| d.file.clone()).collect();
        plan.changes.retain(|c| !failed.contains(&c.file));
        plan.files.retain(|f| !failed.contains(&f.display));
        plan.summary.errors += failures.len();
        plan.diagnostics.extend(failures);
        plan.diagnostics
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        plan.summary.changes = plan.changes.len();
        plan.summary.files_changed = plan.files.len();
    }
    let mut p = Printer::new(settings.color);
    let color = p.err.current_choice() != anstream::ColorChoice::Never;
    match settings.format {
        Format::Json => p.print(&json::report(&plan))?,
        Format::Github => super::github_output(&mut p, &plan, "notice", "apply")?,
        Format::Sarif => p.print(&sarif::report(&plan, sarif::Level::Note))?,
        Format::Text | Format::Diff => {
            p.eprint(&human::diagnostics(&plan.diagnostics, color))?;
            p.eprint(&human::summary(
                &plan,
                &format!("rewritten ({written} written)"),
            ))?;
        }
    }
    p.flush()?;
    let errors = plan
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error);
    Ok(if errors {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    })
}

/// Write one file atomically if it is unchanged since it was read (also used by
/// the authoring verbs and `import`).
pub use super::atomic::write_file;
