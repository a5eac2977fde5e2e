//! GitHub Actions workflow commands: one annotation per finding and per stale image.

use std::io::{self, Write};

use crate::diag::{Diagnostic, Severity};
use crate::findings::Findings;
use crate::plan::Plan;
use crate::spool::Spool;
use crate::trigger::Change;

/// Escape a message (`%`, CR, LF) as the runner requires.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value (also `:` and `,`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(level: &str, file: &str, line: usize, col: usize, title: &str, message: &str) -> String {
    format!(
        "::{level} file={},line={line},col={col},title={}::{}\n",
        escape_property(file),
        escape_property(title),
        escape_data(message)
    )
}

/// The annotation for a diagnostic.
pub fn diagnostic(d: &Diagnostic) -> String {
    let level = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let msg = match &d.object {
        Some(o) => format!("{o}: {}", d.message),
        None => d.message.clone(),
    };
    command(
        level,
        &d.file,
        d.line,
        d.column,
        &format!("streampin {}", d.code.as_str()),
        &msg,
    )
}

/// The annotation for a stale image.
pub fn change(c: &Change, level: &str) -> String {
    command(
        level,
        &c.file,
        c.line,
        c.column,
        "streampin stale image",
        &format!(
            "{} {} is `{}`; the trigger on `{}` pins `{}`",
            c.object.describe(),
            if c.container.is_empty() {
                format!("`{}`", c.field)
            } else {
                format!("container `{}`", c.container)
            },
            c.old,
            c.source.from.name,
            c.new
        ),
    )
}

/// Every annotation of a plan held whole.
pub fn report(plan: &Plan, stale_level: &str) -> String {
    let mut out: String = plan
        .changes
        .iter()
        .map(|c| change(c, stale_level))
        .collect();
    out.extend(plan.diagnostics.iter().map(diagnostic));
    out
}

/// The annotations, written as the plan streams: the stale images chunk by
/// chunk, then the findings.
pub struct Annotations {
    level: &'static str,
}

impl Annotations {
    /// Stale images annotated at `stale_level`.
    pub fn new(stale_level: &'static str) -> Annotations {
        Annotations { level: stale_level }
    }

    /// Write one chunk's stale images.
    pub fn part(&self, part: &Plan, out: &mut impl Write) -> io::Result<()> {
        let text: String = part.changes.iter().map(|c| change(c, self.level)).collect();
        out.write_all(text.as_bytes())
    }

    /// Write the findings.
    pub fn finish(self, findings: &mut Findings, out: &mut impl Write) -> io::Result<()> {
        let mut text = String::new();
        for d in findings.iter()? {
            text.push_str(&diagnostic(&d?));
            if text.len() >= 1 << 16 {
                out.write_all(text.as_bytes())?;
                text.clear();
            }
        }
        out.write_all(text.as_bytes())
    }
}

/// GitHub's limit on one step's summary.
pub const SUMMARY_LIMIT: usize = 1024 * 1024;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The Markdown step summary (`$GITHUB_STEP_SUMMARY`) of a plan held whole,
/// with `diff` its unified diff: see `StepSummary`.
pub fn step_summary(plan: &Plan, verb: &str, diff: &str, limit: usize) -> String {
    let mut summary = StepSummary::new(verb, limit);
    let mut out = Vec::new();
    let written = summary.changes(&plan.changes).and_then(|()| {
        summary.files(plan.files.len());
        summary.diff(diff);
        summary.write(plan, &mut out)
    });
    match written {
        Ok(()) => String::from_utf8(out).unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// The Markdown step summary (`$GITHUB_STEP_SUMMARY`): a headline, a table of
/// the changes per object, and the unified diff in a collapsible block, cut at
/// a line boundary so that the whole fits in `limit` bytes.
///
/// Gathered as the plan streams: the table's rows are spooled (the headline
/// above them counts what is known only at the end), and of the diff only what
/// can fit is kept, with what decides how it is shown (its length, its last
/// byte, its longest run of backticks).
pub struct StepSummary {
    verb: String,
    limit: usize,
    changes: usize,
    files: usize,
    rows: Spool,
    /// The diff's first `limit` bytes at most.
    diff: Vec<u8>,
    diff_len: usize,
    last_byte: Option<u8>,
    /// The longest run of backticks in the diff, and the one it ends with.
    longest: usize,
    run: usize,
}

impl StepSummary {
    /// The summary of `verb` (`check`, `diff`, `apply`), at most `limit` bytes
    /// (but for a table that does not fit).
    pub fn new(verb: &str, limit: usize) -> StepSummary {
        StepSummary {
            verb: verb.to_string(),
            limit,
            changes: 0,
            files: 0,
            rows: Spool::new(),
            diff: Vec::new(),
            diff_len: 0,
            last_byte: None,
            longest: 0,
            run: 0,
        }
    }

    /// Take one chunk: its changes, its files and their diff.
    pub fn part(&mut self, part: &Plan) -> io::Result<()> {
        self.changes(&part.changes)?;
        self.files(part.files.len());
        self.diff(&super::diff::render_all(&part.files, false));
        Ok(())
    }

    fn changes(&mut self, changes: &[Change]) -> io::Result<()> {
        let mut rows = String::new();
        for c in changes {
            rows.push_str(&format!(
                "| {} | `{}` | `{}` | `{}` | `{}` |\n",
                cell(&format!("{} ({}:{})", c.object.describe(), c.file, c.line)),
                cell(if c.container.is_empty() {
                    "-"
                } else {
                    &c.container
                }),
                cell(&c.source.from.name),
                cell(&c.old),
                cell(&c.new),
            ));
        }
        self.changes += changes.len();
        self.rows.write(rows.as_bytes())
    }

    fn files(&mut self, n: usize) {
        self.files += n;
    }

    fn diff(&mut self, text: &str) {
        let keep = self.limit.saturating_sub(self.diff.len()).min(text.len());
        self.diff.extend_from_slice(&text.as_bytes()[..keep]);
        self.diff_len += text.len();
        for &b in text.as_bytes() {
            if b == b'`' {
                self.run += 1;
                self.longest = self.longest.max(self.run);
            } else {
                self.run = 0;
            }
        }
        if let Some(&b) = text.as_bytes().last() {
            self.last_byte = Some(b);
        }
    }

    /// Write the summary, with the counts of the plan `stream` returned.
    pub fn write(mut self, plan: &Plan, out: &mut impl Write) -> io::Result<()> {
        let n = self.changes;
        let files = self.files;
        let mut top = format!("### streampin {}\n\n", self.verb);
        if n == 0 {
            top.push_str("Every pinned image is current.\n");
        } else {
            let (what, files_word) = match self.verb.as_str() {
                "apply" => ("rewritten", "written"),
                _ => ("out of date", "to change"),
            };
            top.push_str(&format!(
                "{n} image{} {what}, {files} file{} {files_word}.\n\n",
                if n == 1 { "" } else { "s" },
                if files == 1 { "" } else { "s" },
            ));
            top.push_str(
                "| object | container | trigger | now | pinned |\n|---|---|---|---|---|\n",
            );
        }
        let errors = plan.summary.errors;
        let warnings = plan.summary.warnings;
        let mut counts = String::new();
        if errors + warnings > 0 {
            counts = format!(
                "\n{errors} error{}, {warnings} warning{} (see the annotations).\n",
                if errors == 1 { "" } else { "s" },
                if warnings == 1 { "" } else { "s" },
            );
        }
        out.write_all(top.as_bytes())?;
        self.rows.copy_to(out)?;
        out.write_all(counts.as_bytes())?;
        let written = top.len() + self.rows.len() as usize + counts.len();
        if self.diff_len == 0 {
            return Ok(());
        }
        // A fence longer than any backtick run in the diff.
        let fence = "`".repeat(self.longest.max(2) + 1);
        let head = format!("\n<details><summary>Diff</summary>\n\n{fence}diff\n");
        let tail = format!("{fence}\n\n</details>\n");
        let cut_note = "\n_The diff is cut here to fit GitHub's 1 MiB summary limit; `streampin diff` prints all of it._\n";
        let room = self
            .limit
            .saturating_sub(written + head.len() + tail.len() + cut_note.len());
        if room == 0 {
            return Ok(());
        }
        out.write_all(head.as_bytes())?;
        if self.diff_len <= room {
            // Then all of it was kept.
            out.write_all(&self.diff)?;
            if self.last_byte != Some(b'\n') {
                out.write_all(b"\n")?;
            }
            out.write_all(tail.as_bytes())
        } else {
            // `room` is under `limit`: what is cut off was not kept.
            let end = memchr::memrchr(b'\n', &self.diff[..room.min(self.diff.len())])
                .map_or(0, |i| i + 1);
            out.write_all(&self.diff[..end])?;
            out.write_all(tail.as_bytes())?;
            out.write_all(cut_note.as_bytes())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_and_properties_are_escaped() {
        assert_eq!(escape_data("100% a\r\nb: c, d"), "100%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        // `%` first, so an escape is never escaped twice.
        assert_eq!(escape_data("%0A"), "%250A");
        assert_eq!(
            command("error", "a,b:c.yaml", 3, 4, "t:1", "m\nn"),
            "::error file=a%2Cb%3Ac.yaml,line=3,col=4,title=t%3A1::m%0An\n"
        );
    }

    #[test]
    fn summaries_fit_the_limit() {
        let plan = Plan::default();
        let diff: String = (0..1000).map(|i| format!("+line {i} ```\n")).collect();
        let s = step_summary(&plan, "check", &diff, 4096);
        assert!(s.len() <= 4096, "{}", s.len());
        assert!(s.contains("````diff\n"), "a longer fence");
        assert!(s.contains("cut here"));
        assert!(s.ends_with("_\n"));
        let whole = step_summary(&plan, "check", "+a\n", 4096);
        assert!(whole.contains("```diff\n+a\n```\n") && !whole.contains("cut here"));
        assert!(step_summary(&plan, "check", "", 10).contains("current"));
    }
}
