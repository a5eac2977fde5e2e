//! `streampin check`: what is out of date; exit 1 if anything would change.

use crate::ExitStatus;
use crate::plan;
use crate::report::{Format, Printer, diff, human, json, sarif};
use crate::settings::Settings;

/// Run `check`.
pub fn run(settings: &Settings) -> anyhow::Result<ExitStatus> {
    let mut p = Printer::new(settings.color);
    let color = p.color;
    // Text and diff stream a chunk of files at a time; the documents are built whole.
    let plan = match settings.format {
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
        _ => plan::build(&settings.plan)?,
    };
    match settings.format {
        Format::Json => p.print(&json::report(&plan))?,
        Format::Github => super::github_output(&mut p, &plan, "error", "check")?,
        Format::Sarif => p.print(&sarif::report(&plan, sarif::Level::Error))?,
        Format::Diff => {}
        Format::Text => {
            let mut out: String = plan.builds.iter().map(|b| human::build(b, color)).collect();
            // Builds have their own lines above.
            let findings: Vec<_> = plan
                .diagnostics
                .iter()
                .filter(|d| d.code != crate::diag::Code::BuildTriggered)
                .cloned()
                .collect();
            out.push_str(&human::diagnostics(&findings, color));
            out.push_str(&human::summary(&plan, "out of date"));
            p.print(&out)?;
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
