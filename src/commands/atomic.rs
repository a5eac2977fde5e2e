//! Writing one planned file so that a reader, a crash, a kill or a second run at
//! the same time sees either the old bytes or the new ones, never a mix.
//!
//! A file is written to a temporary file in its own directory
//! (`.streampin-XXXXXX.tmp`), flushed to disk, given the old file's permissions
//! and renamed over the old file.

use std::fs;
use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;

use crate::plan::FilePlan;

/// How our temporary files are named: `PREFIX`, `RAND_LEN` letters or digits, `SUFFIX`.
const PREFIX: &str = ".streampin-";
const SUFFIX: &str = ".tmp";
const RAND_LEN: usize = 6;

/// Write `f.new` over `f.path` atomically, if the file still holds `f.old`.
///
/// A file that already holds `f.new` (another run at the same time wrote it) is
/// left alone and counts as written. A file holding anything else was changed
/// since it was read and is refused.
pub fn write_file(f: &FilePlan) -> anyhow::Result<()> {
    let dir = f
        .path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let current = fs::read(&f.path).with_context(|| format!("re-reading {}", f.display))?;
    if current == f.new.as_bytes() {
        return Ok(());
    }
    if current != f.old.as_bytes() {
        anyhow::bail!("the file changed since it was read");
    }
    let meta = fs::metadata(&f.path)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(PREFIX)
        .suffix(SUFFIX)
        .rand_bytes(RAND_LEN)
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(f.new.as_bytes())?;
    tmp.as_file().set_permissions(meta.permissions())?;
    tmp.as_file().sync_all()?;
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

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn keeps_mode_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.yaml");
        fs::write(&p, "image: a\n").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        write_file(&plan_for(&p, "image: a\n", "image: b\n")).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "image: b\n");
        assert_eq!(mode(&p), 0o640);
        assert_eq!(names(dir.path()), ["a.yaml"]);
    }

    #[test]
    fn keeps_the_executable_bits() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.yaml");
        fs::write(&p, "image: a\n").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
        write_file(&plan_for(&p, "image: a\n", "image: b\n")).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "image: b\n");
        assert_eq!(mode(&p), 0o755);
    }

    /// A read-only file is replaced like `git checkout`, `sed -i` or `oc` would
    /// replace it (the directory is writable) and stays read-only.
    #[test]
    fn replaces_a_read_only_file_and_keeps_it_read_only() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.yaml");
        fs::write(&p, "image: a\n").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o444)).unwrap();
        write_file(&plan_for(&p, "image: a\n", "image: b\n")).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "image: b\n");
        assert_eq!(mode(&p), 0o444);
        assert_eq!(names(dir.path()), ["a.yaml"]);
    }

    #[test]
    fn refuses_a_file_changed_since_it_was_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.yaml");
        fs::write(&p, "image: edited-meanwhile\n").unwrap();
        let err = write_file(&plan_for(&p, "image: a\n", "image: b\n")).unwrap_err();
        assert!(err.to_string().contains("changed since"));
        assert_eq!(fs::read_to_string(&p).unwrap(), "image: edited-meanwhile\n");
        assert_eq!(names(dir.path()), ["a.yaml"]);
    }

    /// Another run wrote the same new text first: done, not an error.
    #[test]
    fn a_file_that_already_holds_the_new_text_is_done() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.yaml");
        fs::write(&p, "image: b\n").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
        let before = fs::metadata(&p).unwrap();
        write_file(&plan_for(&p, "image: a\n", "image: b\n")).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "image: b\n");
        // Not rewritten: the same inode.
        use std::os::unix::fs::MetadataExt as _;
        assert_eq!(fs::metadata(&p).unwrap().ino(), before.ino());
    }
}
