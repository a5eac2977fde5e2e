//! GitHub Actions workflow commands: one annotation per finding and per stale image.

use crate::diag::{Diagnostic, Severity};
use crate::plan::Plan;
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

/// Every annotation of a plan.
pub fn report(plan: &Plan, stale_level: &str) -> String {
    let mut out: String = plan
        .changes
        .iter()
        .map(|c| change(c, stale_level))
        .collect();
    out.extend(plan.diagnostics.iter().map(diagnostic));
    out
}

/// GitHub's limit on one step's summary.
pub const SUMMARY_LIMIT: usize = 1024 * 1024;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The Markdown step summary (`$GITHUB_STEP_SUMMARY`): a headline, a table of
/// the changes per object, and the unified diff in a collapsible block, cut at
/// a line boundary so that the whole fits in `limit` bytes.
pub fn step_summary(plan: &Plan, verb: &str, diff: &str, limit: usize) -> String {
    let n = plan.changes.len();
    let files = plan.files.len();
    let mut out = format!("### streampin {verb}\n\n");
    if n == 0 {
        out.push_str("Every pinned image is current.\n");
    } else {
        let (what, files_word) = match verb {
            "apply" => ("rewritten", "written"),
            _ => ("out of date", "to change"),
        };
        out.push_str(&format!(
            "{n} image{} {what}, {files} file{} {files_word}.\n\n",
            if n == 1 { "" } else { "s" },
            if files == 1 { "" } else { "s" },
        ));
        out.push_str("| object | container | trigger | now | pinned |\n|---|---|---|---|---|\n");
        for c in &plan.changes {
            out.push_str(&format!(
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
    }
    let errors = plan.summary.errors;
    let warnings = plan.summary.warnings;
    if errors + warnings > 0 {
        out.push_str(&format!(
            "\n{errors} error{}, {warnings} warning{} (see the annotations).\n",
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" },
        ));
    }
    if diff.is_empty() {
        return out;
    }
    // A fence longer than any backtick run in the diff.
    let longest = diff.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let head = format!("\n<details><summary>Diff</summary>\n\n{fence}diff\n");
    let tail = format!("{fence}\n\n</details>\n");
    let cut_note = "\n_The diff is cut here to fit GitHub's 1 MiB summary limit; `streampin diff` prints all of it._\n";
    let room = limit.saturating_sub(out.len() + head.len() + tail.len() + cut_note.len());
    if room == 0 {
        return out;
    }
    out.push_str(&head);
    if diff.len() <= room {
        out.push_str(diff);
        if !diff.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&tail);
    } else {
        let mut end = 0;
        for (i, _) in diff.match_indices('\n') {
            if i + 1 > room {
                break;
            }
            end = i + 1;
        }
        out.push_str(&diff[..end]);
        out.push_str(&tail);
        out.push_str(cut_note);
    }
    out
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
