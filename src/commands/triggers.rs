//! `streampin triggers`: every trigger, its resolved pull spec and its state.

use crate::ExitStatus;
use crate::plan;
use crate::report::{Format, Printer, github, human, json, sarif};
use crate::settings::Settings;

/// Run `triggers`.
pub fn run(settings: &Settings) -> anyhow::Result<ExitStatus> {
    let plan = plan::build(&settings.plan)?;
    let mut p = Printer::new(settings.color);
    match settings.format {
        Format::Json => p.print(&json::triggers(&plan))?,
        Format::Github => p.print(&github::report(&plan, "notice"))?,
        Format::Sarif => p.print(&sarif::report(&plan, sarif::Level::Note))?,
        Format::Text | Format::Diff => {
            p.print(&human::triggers(&plan.rows))?;
            let ecolor = p.err.current_choice() != anstream::ColorChoice::Never;
            p.eprint(&human::diagnostics(&plan.diagnostics, ecolor))?;
        }
    }
    p.flush()?;
    Ok(if plan.has_errors() {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    })
}
