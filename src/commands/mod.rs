//! One file per subcommand. Each chains the pipeline and picks the sink.

pub mod apply;
pub mod atomic;
pub mod author;
pub mod check;
pub mod diff;
pub mod import;
pub mod set_image_lookup;
pub mod set_triggers;
pub mod tag;
pub mod triggers;

use std::ffi::OsString;
use std::io::{BufWriter, Write as _};
use std::path::Path;

use anyhow::Context as _;

use crate::findings::Findings;
use crate::plan::Plan;
use crate::report::{Format, Printer, github, json, sarif};

/// The commands that evaluate the tree and print a report of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// `check`.
    Check,
    /// `diff`.
    Diff,
    /// `apply`.
    Apply,
    /// `triggers`.
    Triggers,
}

/// A document (`--format json`, `sarif` or `github`) of `check`, `diff`,
/// `apply` or `triggers`, written as the plan streams (`part` takes each chunk
/// the sink sees; `finish` the plan and findings `stream` returns), so that
/// memory does not grow with the number of files.
pub struct Document {
    kind: Kind,
    /// `--format github` with `GITHUB_STEP_SUMMARY` naming a file: the
    /// Markdown summary appended to it.
    summary: Option<(OsString, github::StepSummary)>,
}

enum Kind {
    Json(json::Report),
    Triggers(json::Triggers),
    Sarif(sarif::Report),
    Github(github::Annotations),
}

impl Document {
    /// The document `format` asks of `verb`; `None` for text and diffs. Stale
    /// images are errors for `check`, notes for the others.
    pub fn new(format: Format, verb: Verb) -> anyhow::Result<Option<Document>> {
        let check = verb == Verb::Check;
        let kind = match format {
            Format::Json if verb == Verb::Triggers => Kind::Triggers(json::Triggers::new()),
            Format::Json => Kind::Json(json::Report::new()),
            Format::Sarif => Kind::Sarif(sarif::Report::new(if check {
                sarif::Level::Error
            } else {
                sarif::Level::Note
            })?),
            Format::Github => Kind::Github(github::Annotations::new(if check {
                "error"
            } else {
                "notice"
            })),
            Format::Text | Format::Diff => return Ok(None),
        };
        let name = match verb {
            Verb::Check => Some("check"),
            Verb::Diff => Some("diff"),
            Verb::Apply => Some("apply"),
            Verb::Triggers => None,
        };
        let summary = match (&kind, name) {
            (Kind::Github(_), Some(name)) => std::env::var_os("GITHUB_STEP_SUMMARY")
                .filter(|v| !v.is_empty())
                .map(|path| (path, github::StepSummary::new(name, github::SUMMARY_LIMIT))),
            _ => None,
        };
        Ok(Some(Document { kind, summary }))
    }

    /// Write (or spool) one chunk.
    pub fn part(&mut self, part: &Plan, p: &mut Printer) -> anyhow::Result<()> {
        match &mut self.kind {
            Kind::Json(r) => r.part(part)?,
            Kind::Triggers(r) => r.part(part)?,
            Kind::Sarif(r) => r.part(part, &mut p.out)?,
            Kind::Github(r) => r.part(part, &mut p.out)?,
        }
        if let Some((_, summary)) = &mut self.summary {
            summary.part(part)?;
        }
        Ok(())
    }

    /// Write the rest: what is known only at the end.
    pub fn finish(
        self,
        plan: &Plan,
        findings: &mut Findings,
        p: &mut Printer,
    ) -> anyhow::Result<()> {
        match self.kind {
            Kind::Json(r) => r.finish(plan, findings, &mut p.out)?,
            Kind::Triggers(r) => r.finish(plan, findings, &mut p.out)?,
            Kind::Sarif(r) => r.finish(findings, &mut p.out)?,
            Kind::Github(r) => r.finish(findings, &mut p.out)?,
        }
        if let Some((path, summary)) = self.summary {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .and_then(|f| {
                    let mut f = BufWriter::with_capacity(1 << 16, f);
                    summary.write(plan, &mut f)?;
                    f.flush()
                })
                .with_context(|| {
                    format!(
                        "cannot append to GITHUB_STEP_SUMMARY {}",
                        Path::new(&path).display()
                    )
                })?;
        }
        Ok(())
    }
}
