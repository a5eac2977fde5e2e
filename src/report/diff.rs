//! Unified diffs with `a/` and `b/` paths, as `git apply` accepts them.

use anstyle::{AnsiColor, Style};
use similar::TextDiff;

use crate::plan::FilePlan;

/// The unified diff of one file (empty when nothing changes).
pub fn render(file: &FilePlan, color: bool) -> String {
    let diff = TextDiff::from_lines(&file.old, &file.new);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("a/{}", file.display),
            &format!("b/{}", file.display),
        )
        .to_string();
    if text.is_empty() {
        return text;
    }
    let mut out = format!("diff --git a/{0} b/{0}\n", file.display);
    if !color {
        out.push_str(&text);
        return out;
    }
    for line in text.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let style = if body.starts_with("+++") || body.starts_with("---") {
            Style::new().bold()
        } else if body.starts_with('+') {
            AnsiColor::Green.on_default()
        } else if body.starts_with('-') {
            AnsiColor::Red.on_default()
        } else if body.starts_with("@@") {
            AnsiColor::Cyan.on_default()
        } else {
            Style::new()
        };
        // Colour the line without its newline, or the reset lands on the next line.
        out.push_str(&format!("{style}{body}{style:#}{nl}"));
    }
    out
}

/// The diffs of every file, concatenated.
pub fn render_all(files: &[FilePlan], color: bool) -> String {
    files.iter().map(|f| render(f, color)).collect()
}
