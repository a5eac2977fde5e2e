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

/// `--format github`: the annotations on stdout, and, when
/// `GITHUB_STEP_SUMMARY` names a file, the Markdown summary appended to it.
pub fn github_output(
    p: &mut crate::report::Printer,
    plan: &crate::plan::Plan,
    stale_level: &str,
    verb: &str,
) -> anyhow::Result<()> {
    use std::io::Write as _;

    use anyhow::Context as _;

    use crate::report::{diff, github};
    p.print(&github::report(plan, stale_level))?;
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty()) {
        let text = diff::render_all(&plan.files, false);
        let summary = github::step_summary(plan, verb, &text, github::SUMMARY_LIMIT);
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(summary.as_bytes()))
            .with_context(|| format!("cannot append to GITHUB_STEP_SUMMARY {}", path.display()))?;
    }
    Ok(())
}
