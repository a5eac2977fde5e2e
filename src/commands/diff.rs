//! `streampin diff`: the unified diff of what `apply` would write.

use super::{Document, Verb};
use crate::ExitStatus;
use crate::plan;
use crate::report::{Printer, diff, human};
use crate::settings::Settings;

/// Run `diff`.
pub fn run(settings: &Settings, exit_code: bool) -> anyhow::Result<ExitStatus> {
    let mut p = Printer::new(settings.color);
    let color = p.color;
    // Every format streams a chunk of files at a time.
    let mut doc = Document::new(settings.format, Verb::Diff)?;
    let (plan, mut findings) = plan::stream(&settings.plan, |part| {
        match &mut doc {
            Some(doc) => doc.part(part, &mut p)?,
            None => p.print(&diff::render_all(&part.files, color))?,
        }
        Ok(())
    })?;
    match doc {
        Some(doc) => doc.finish(&plan, &mut findings, &mut p)?,
        None => {
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
