//! `streampin check`: what is out of date; exit 1 if anything would change.

use crate::ExitStatus;
use crate::plan;
use crate::report::{Format, Printer, diff, github, human, json};
use crate::settings::Settings;

/// Run `check`.
pub fn run(settings: &Settings) -> anyhow::Result<ExitStatus> {
    let plan = plan::build(&settings.plan)?;
    let mut p = Printer::new(settings.color);
    let color = p.color;
    match settings.format {
        Format::Json => p.print(&json::report(&plan))?,
        Format::Github => p.print(&github::report(&plan, "error"))?,
        Format::Diff => p.print(&diff::render_all(&plan.files, color))?,
        Format::Text => {
            let mut out: String = plan
                .changes
                .iter()
                .map(|c| human::change(c, color))
                .collect();
            out.push_str(&human::diagnostics(&plan.diagnostics, color));
            out.push_str(&human::summary(&plan, "out of date"));
            p.print(&out)?;
        }
    }
    p.flush()?;
    Ok(if plan.has_errors() || !plan.changes.is_empty() {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    })
}
