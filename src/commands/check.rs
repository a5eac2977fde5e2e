//! `streampin check`: what is out of date; exit 1 if anything would change.

use super::{Document, Verb};
use crate::ExitStatus;
use crate::diag::Code;
use crate::plan;
use crate::report::{Format, Printer, diff, human};
use crate::settings::Settings;

/// Run `check`.
pub fn run(settings: &Settings) -> anyhow::Result<ExitStatus> {
    let mut p = Printer::new(settings.color);
    let color = p.color;
    // Every format streams a chunk of files at a time.
    let mut doc = Document::new(settings.format, Verb::Check)?;
    let (plan, mut findings) = plan::stream(&settings.plan, |part| {
        match (&mut doc, settings.format) {
            (Some(doc), _) => doc.part(part, &mut p)?,
            (None, Format::Diff) => p.print(&diff::render_all(&part.files, color))?,
            (None, _) => {
                let mut out = String::new();
                for c in &part.changes {
                    human::push_change(&mut out, c, color);
                }
                p.print(&out)?;
            }
        }
        Ok(())
    })?;
    match doc {
        Some(doc) => doc.finish(&plan, &mut findings, &mut p)?,
        None if settings.format == Format::Diff => {}
        None => {
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
