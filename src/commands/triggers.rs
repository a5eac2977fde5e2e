//! `streampin triggers`: every trigger, its resolved pull spec and its state.

use super::{Document, Verb};
use crate::ExitStatus;
use crate::plan;
use crate::report::{Printer, human};
use crate::settings::Settings;

/// Run `triggers`.
pub fn run(settings: &Settings) -> anyhow::Result<ExitStatus> {
    let mut p = Printer::new(settings.color);
    // Every format streams a chunk of files at a time; the table's rows are
    // spooled until its column widths are known.
    let mut doc = Document::new(settings.format, Verb::Triggers)?;
    let mut table = human::TriggerTable::new();
    let (plan, mut findings) = plan::stream(&settings.plan, |part| {
        match &mut doc {
            Some(doc) => doc.part(part, &mut p)?,
            None => table.rows(&part.rows)?,
        }
        Ok(())
    })?;
    match doc {
        Some(doc) => doc.finish(&plan, &mut findings, &mut p)?,
        None => {
            table.write(&mut p.out)?;
            let ecolor = p.err.current_choice() != anstream::ColorChoice::Never;
            human::findings(&mut findings, ecolor, |_| false, &mut p.err)?;
        }
    }
    p.flush()?;
    Ok(if plan.has_errors() {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    })
}
