//! `streampin apply`: write the verified plan. Each file is written atomically
//! (a temporary file in the same directory, then rename), keeps its permissions,
//! and is written only if it still holds the bytes the plan was made from.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::Context as _;

use crate::ExitStatus;
use crate::diag::{Code, Diagnostic, Severity};
use crate::plan::{self, FilePlan, Plan};
use crate::report::{Format, Printer, human, json, sarif};
use crate::settings::Settings;

/// Run `apply`.
pub fn run(settings: &Settings) -> anyhow::Result<ExitStatus> {
    let mut written = 0;
    // Text output streams: each chunk is written as it comes. The documents need
    // every change, so they keep what the sink leaves.
    let keep = !matches!(settings.format, Format::Text | Format::Diff);
    let mut files = Vec::new();
    let mut changes = Vec::new();
    let mut rows = Vec::new();
    let mut plan = plan::stream(&settings.plan, |part| {
        written += write_part(part);
        if keep {
            files.append(&mut part.files);
            changes.append(&mut part.changes);
            rows.append(&mut part.rows);
        }
        Ok(())
    })?;
    if keep {
        plan.keep(files, changes, rows);
    }
    let mut p = Printer::new(settings.color);
    let color = p.err.current_choice() != anstream::ColorChoice::Never;
    match settings.format {
        Format::Json => p.print(&json::report(&plan))?,
        Format::Github => super::github_output(&mut p, &plan, "notice", "apply")?,
        Format::Sarif => p.print(&sarif::report(&plan, sarif::Level::Note))?,
        Format::Text | Format::Diff => {
            p.eprint(&human::diagnostics(&plan.diagnostics, color))?;
            p.eprint(&human::summary(
                &plan,
                &format!("rewritten ({written} written)"),
            ))?;
        }
    }
    p.flush()?;
    let errors = plan
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error);
    Ok(if errors {
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

/// Write one file atomically if it is unchanged since it was read.
pub fn write_file(f: &FilePlan) -> anyhow::Result<()> {
    let current = fs::read(&f.path).with_context(|| format!("re-reading {}", f.display))?;
    if current != f.old.as_bytes() {
        anyhow::bail!("the file changed since it was read");
    }
    let meta = fs::metadata(&f.path)?;
    let dir = f
        .path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".streampin-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(f.new.as_bytes())?;
    tmp.as_file().sync_all()?;
    fs::set_permissions(tmp.path(), meta.permissions())?;
    tmp.persist(&f.path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn plan_for(path: &Path, old: &str, new: &str) -> FilePlan {
        FilePlan {
            display: path.display().to_string(),
            path: path.to_path_buf(),
            old: old.into(),
            new: new.into(),
        }
    }

    #[test]
    fn keeps_mode_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.yaml");
        fs::write(&p, "image: a\n").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        write_file(&plan_for(&p, "image: a\n", "image: b\n")).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "image: b\n");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o640
        );
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn refuses_a_file_changed_since_it_was_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.yaml");
        fs::write(&p, "image: edited-meanwhile\n").unwrap();
        let err = write_file(&plan_for(&p, "image: a\n", "image: b\n")).unwrap_err();
        assert!(err.to_string().contains("changed since"));
        assert_eq!(fs::read_to_string(&p).unwrap(), "image: edited-meanwhile\n");
    }
}
