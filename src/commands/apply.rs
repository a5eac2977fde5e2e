//! `streampin apply`: write the verified plan. Each file is written atomically
//! (a temporary file in the same directory, then rename), keeps its permissions,
//! and is written only if it still holds the bytes the plan was made from.

use super::{Document, Verb};
use crate::ExitStatus;
use crate::diag::{Code, Diagnostic};
use crate::plan::{self, Plan};
use crate::report::{Printer, human};
use crate::settings::Settings;

/// Run `apply`.
pub fn run(settings: &Settings) -> anyhow::Result<ExitStatus> {
    let mut written = 0;
    let mut p = Printer::new(settings.color);
    // Each chunk is written to disk, then reported, as it comes.
    let mut doc = Document::new(settings.format, Verb::Apply)?;
    let (plan, mut findings) = plan::stream(&settings.plan, |part| {
        written += write_part(part);
        if let Some(doc) = &mut doc {
            doc.part(part, &mut p)?;
        }
        Ok(())
    })?;
    match doc {
        Some(doc) => doc.finish(&plan, &mut findings, &mut p)?,
        None => {
            let color = p.err.current_choice() != anstream::ColorChoice::Never;
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
