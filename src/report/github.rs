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
            "{} container `{}` is `{}`; the trigger on `{}` pins `{}`",
            c.object.describe(),
            c.container,
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
