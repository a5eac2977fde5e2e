//! `streampin check`: what is out of date; exit 1 if anything would change.

use crate::ExitStatus;
use crate::diag::Code;
use crate::findings::Findings;
use crate::plan;
use crate::report::{Format, Printer, diff, human, json, sarif};
use crate::settings::Settings;

/// Run `check`.
pub fn run(settings: &Settings) -> anyhow::Result<ExitStatus> {
    let mut p = Printer::new(settings.color);
    let color = p.color;
    // Text and diff stream a chunk of files at a time; the documents are built whole.
    let (plan, mut findings) = match settings.format {
        Format::Text => plan::stream(&settings.plan, |part| {
            let out: String = part
                .changes
                .iter()
                .map(|c| human::change(c, color))
                .collect();
            p.print(&out)?;
            Ok(())
        })?,
        Format::Diff => plan::stream(&settings.plan, |part| {
            p.print(&diff::render_all(&part.files, color))?;
            Ok(())
        })?,
        _ => (plan::build(&settings.plan)?, Findings::in_order(Vec::new())),
    };
    match settings.format {
        Format::Json => p.print(&json::report(&plan))?,
        Format::Github => super::github_output(&mut p, &plan, "error", "check")?,
        Format::Sarif => p.print(&sarif::report(&plan, sarif::Level::Error))?,
        Format::Diff => {}
        Format::Text => {
            let out: String = plan.builds.iter().map(|b| human::build(b, color)).collect();
            p.print(&out)?;
            // Builds have their own lines above.
            let build = |d: &crate::diag::Diagnostic| d.code == Code::BuildTriggered;
            human::findings(&mut findings, color, build, &mut p.out)?;
            p.print(&human::summary(&plan, "out of date"))?;
        }
    }
    p.flush()?;
    let builds_fail = settings.fail_on_build && !plan.builds.is_empty();
    Ok(
        if plan.has_errors() || plan.summary.changes > 0 || builds_fail {
            ExitStatus::Findings
        } else {
            ExitStatus::Success
        },
    )
}
