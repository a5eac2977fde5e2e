//! `streampin diff`: the unified diff of what `apply` would write.

use crate::ExitStatus;
use crate::findings::Findings;
use crate::plan;
use crate::report::{Format, Printer, diff, human, json, sarif};
use crate::settings::Settings;

/// Run `diff`.
pub fn run(settings: &Settings, exit_code: bool) -> anyhow::Result<ExitStatus> {
    let mut p = Printer::new(settings.color);
    let color = p.color;
    // The diff streams a chunk of files at a time; the documents are built whole.
    let (plan, mut findings) = match settings.format {
        Format::Diff | Format::Text => plan::stream(&settings.plan, |part| {
            p.print(&diff::render_all(&part.files, color))?;
            Ok(())
        })?,
        _ => (plan::build(&settings.plan)?, Findings::in_order(Vec::new())),
    };
    match settings.format {
        Format::Json => p.print(&json::report(&plan))?,
        Format::Github => super::github_output(&mut p, &plan, "notice", "diff")?,
        Format::Sarif => p.print(&sarif::report(&plan, sarif::Level::Note))?,
        Format::Diff | Format::Text => {
            let ecolor = p.err.current_choice() != anstream::ColorChoice::Never;
            human::findings(&mut findings, ecolor, |_| false, &mut p.err)?;
        }
    }
    p.flush()?;
    Ok(
        if plan.has_errors() || (exit_code && plan.summary.changes > 0) {
            ExitStatus::Findings
        } else {
            ExitStatus::Success
        },
    )
}
