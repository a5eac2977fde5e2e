//! Writing one planned file so that a reader, a crash, a kill or a second run at
//! the same time sees either the old bytes or the new ones, never a mix.
//!
//! A file is written to a temporary file in its own directory
//! (`.streampin-XXXXXX.tmp`), flushed to disk, given the old file's permissions
//! and renamed over the old file; then the directory is flushed too, so that the
//! rename itself survives a power loss.
//!
//! # Leftover temporary files
//!
//! A run that is killed (even by `SIGKILL`) between creating its temporary file
//! and the rename leaves that file behind. The next run that writes into the
//! same directory removes it, and must never remove the temporary file of a run
//! that is still alive. Two `flock(2)` locks make that safe; the kernel drops
//! both when their holder exits, however it exits:
//!
//! - A writer holds an exclusive lock on its temporary file from the moment the
//!   file exists until after the rename (a rename keeps the inode, and the lock
//!   belongs to the open file, so it is still held across the rename).
//! - So that a sweeper cannot see a temporary file in the instant between its
//!   creation and its lock, a writer creates and locks it while holding a
//!   *shared* lock on the directory, and a sweeper holds an *exclusive* lock on
//!   the directory while it sweeps. Writers do not block each other; a writer
//!   waits at most for one sweep of one directory.
//!
//! Under its directory lock, a sweeper removes a file named like ours only if it
//! can take the file's lock without blocking (its writer is gone) and the name
//! still refers to the inode it locked. No new temporary file can appear while
//! the sweeper holds the directory, and a writer that renamed its file away
//! leaves the name free, so the removed file is always an abandoned one.
//!
//! Nobody waits long for a directory: a sweep takes milliseconds, and a
//! directory held by someone else (`flock DIR command` around a run) would be
//! held for the whole run. After `DIR_LOCK_WAIT`, a sweeper gives up and a
//! writer goes on without the directory lock, and this process no longer locks
//! that directory. Where locks cannot be taken at all (a file system without
//! `flock`, a directory that cannot be opened), nothing is swept and files are
//! still written atomically. A writer without the directory lock risks only
//! this: a sweeper may remove its fresh temporary file before it is locked,
//! and then the rename fails and the file is reported as not written.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::plan::FilePlan;

/// How our temporary files are named: `PREFIX`, `RAND_LEN` letters or digits, `SUFFIX`.
const PREFIX: &str = ".streampin-";
const SUFFIX: &str = ".tmp";
const RAND_LEN: usize = 6;

/// The longest a run waits for a directory's lock.
const DIR_LOCK_WAIT: Duration = Duration::from_secs(1);

/// Write `f.new` over `f.path` atomically, if the file still holds `f.old`.
///
/// A file that already holds `f.new` (another run at the same time wrote it) is
/// left alone and counts as written. A file holding anything else was changed
/// since it was read and is refused. Before writing, the directory is swept of
/// temporary files left by killed runs (once per directory and process).
pub fn write_file(f: &FilePlan) -> anyhow::Result<()> {
    let dir = f
        .path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // For the directory lock and the final flush of the directory.
    let dir_handle = File::open(dir).ok();
    if let Some(handle) = &dir_handle {
        sweep_once(dir, handle);
    }
    let current = fs::read(&f.path).with_context(|| format!("re-reading {}", f.display))?;
    if current == f.new.as_bytes() {
        return Ok(());
    }
    if current != f.old.as_bytes() {
        anyhow::bail!("the file changed since it was read");
    }
    let meta = fs::metadata(&f.path)?;
    let mut tmp = create_locked_temp(dir, dir_handle.as_ref())
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(f.new.as_bytes())?;
    tmp.as_file().set_permissions(meta.permissions())?;
    tmp.as_file().sync_all()?;
    // Dropping the returned file releases its lock, after the rename.
    drop(tmp.persist(&f.path).map_err(|e| e.error)?);
    if let Some(handle) = &dir_handle {
        // The file is in place; a directory that cannot be flushed does not
        // make it unwritten.
        let _ = handle.sync_all();
    }
    Ok(())
}

/// A new temporary file in `dir`, locked before any sweeper can see it.
fn create_locked_temp(
    dir: &Path,
    dir_handle: Option<&File>,
) -> anyhow::Result<tempfile::NamedTempFile> {
    let dir_lock = dir_handle.filter(|d| lock_dir(dir, d, Lock::Shared));
    let made = tempfile::Builder::new()
        .prefix(PREFIX)
        .suffix(SUFFIX)
        .rand_bytes(RAND_LEN)
        .tempfile_in(dir)
        .map_err(anyhow::Error::from)
        .and_then(|tmp| match tmp.as_file().try_lock() {
            // Without `flock` on this file system there is no sweeping either.
            Ok(()) | Err(fs::TryLockError::Error(_)) => Ok(tmp),
            Err(fs::TryLockError::WouldBlock) => {
                anyhow::bail!("a new temporary file is locked by another process")
            }
        });
    if let Some(d) = dir_lock {
        let _ = d.unlock();
    }
    made
}

/// What this process knows about directories.
#[derive(Default)]
struct Dirs {
    /// Swept already.
    swept: HashSet<PathBuf>,
    /// Their lock was not to be had within `DIR_LOCK_WAIT`: not locked again.
    busy: HashSet<PathBuf>,
}

fn dirs() -> MutexGuard<'static, Option<Dirs>> {
    static DIRS: Mutex<Option<Dirs>> = Mutex::new(None);
    DIRS.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Clone, Copy, PartialEq)]
enum Lock {
    Shared,
    Exclusive,
}

/// Take `dir`'s lock through `handle`, waiting at most `DIR_LOCK_WAIT`.
fn lock_dir(dir: &Path, handle: &File, kind: Lock) -> bool {
    if dirs().get_or_insert_with(Dirs::default).busy.contains(dir) {
        return false;
    }
    let start = Instant::now();
    loop {
        let attempt = match kind {
            Lock::Shared => handle.try_lock_shared(),
            Lock::Exclusive => handle.try_lock(),
        };
        match attempt {
            Ok(()) => return true,
            Err(fs::TryLockError::Error(_)) => return false,
            Err(fs::TryLockError::WouldBlock) if start.elapsed() < DIR_LOCK_WAIT => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(fs::TryLockError::WouldBlock) => {
                dirs()
                    .get_or_insert_with(Dirs::default)
                    .busy
                    .insert(dir.to_path_buf());
                return false;
            }
        }
    }
}

/// Sweep `dir` unless this process already did.
fn sweep_once(dir: &Path, handle: &File) {
    let first = dirs()
        .get_or_insert_with(Dirs::default)
        .swept
        .insert(dir.to_path_buf());
    if first {
        sweep(dir, handle);
    }
}

/// Remove the temporary files in `dir` whose writers are gone; return how many.
fn sweep(dir: &Path, handle: &File) -> usize {
    if !lock_dir(dir, handle, Lock::Exclusive) {
        return 0;
    }
    let mut removed = 0;
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            if is_temp_name(&entry.file_name().to_string_lossy())
                && remove_if_abandoned(&entry.path())
            {
                removed += 1;
            }
        }
    }
    let _ = handle.unlock();
    removed
}

/// Whether `name` is one of our temporary files' names.
fn is_temp_name(name: &str) -> bool {
    name.strip_prefix(PREFIX)
        .and_then(|rest| rest.strip_suffix(SUFFIX))
        .is_some_and(|r| r.len() == RAND_LEN && r.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Remove `path` if no process holds its lock and the name still refers to the
/// regular file that was locked. Only call with the directory locked exclusively.
#[cfg(unix)]
fn remove_if_abandoned(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    let Ok(file) = File::open(path) else {
        return false;
    };
    if file.try_lock().is_err() {
        return false;
    }
    let same = match (file.metadata(), fs::symlink_metadata(path)) {
        (Ok(locked), Ok(named)) => {
            named.is_file() && (locked.dev(), locked.ino()) == (named.dev(), named.ino())
        }
        _ => false,
    };
    same && fs::remove_file(path).is_ok()
}

/// Elsewhere, leftover temporary files are left alone.
#[cfg(not(unix))]
fn remove_if_abandoned(_path: &Path) -> bool {
    false
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

    #[test]
    fn temporary_file_names() {
        assert!(is_temp_name(".streampin-a1B2c3.tmp"));
        assert!(!is_temp_name(".streampin-a1B2c.tmp"));
        assert!(!is_temp_name(".streampin-a1B2c3d.tmp"));
        assert!(!is_temp_name(".streampin-a1-2c3.tmp"));
        assert!(!is_temp_name("streampin-a1B2c3.tmp"));
        assert!(!is_temp_name(".streampin-a1B2c3.yaml"));
    }

    /// A leftover of a killed run (no lock) is removed by the next write into
    /// its directory; a live writer's file (locked) and files that only look
    /// similar are kept.
    #[test]
    fn sweeps_abandoned_temporary_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join(".streampin-dead01.tmp"), "image: half").unwrap();
        fs::write(d.join(".streampin-notes.tmp"), "mine").unwrap();
        fs::write(d.join("streampin-dead02.tmp"), "mine").unwrap();
        let live = d.join(".streampin-live01.tmp");
        let live_file = File::create(&live).unwrap();
        live_file.try_lock().unwrap();
        std::os::unix::fs::symlink("a.yaml", d.join(".streampin-link01.tmp")).unwrap();
        let p = d.join("a.yaml");
        fs::write(&p, "image: a\n").unwrap();

        write_file(&plan_for(&p, "image: a\n", "image: b\n")).unwrap();
        assert_eq!(
            names(d),
            [
                ".streampin-link01.tmp",
                ".streampin-live01.tmp",
                ".streampin-notes.tmp",
                "a.yaml",
                "streampin-dead02.tmp"
            ]
        );
        // Once the live writer is gone, a sweep takes its file too.
        drop(live_file);
        let handle = File::open(d).unwrap();
        assert_eq!(sweep(d, &handle), 1);
        assert!(!live.exists());
    }

    /// A directory held by someone else for the whole run (`flock DIR
    /// streampin apply`) delays the first write by `DIR_LOCK_WAIT`, not forever,
    /// and is not swept.
    #[test]
    fn a_directory_locked_by_someone_else_does_not_hang_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join(".streampin-dead01.tmp"), "image: half").unwrap();
        let other = File::open(d).unwrap();
        other.lock().unwrap();
        let start = Instant::now();
        for name in ["a.yaml", "b.yaml", "c.yaml"] {
            let p = d.join(name);
            fs::write(&p, "image: a\n").unwrap();
            write_file(&plan_for(&p, "image: a\n", "image: b\n")).unwrap();
            assert_eq!(fs::read_to_string(&p).unwrap(), "image: b\n");
        }
        let took = start.elapsed();
        assert!(took < DIR_LOCK_WAIT * 3, "{took:?}");
        assert!(d.join(".streampin-dead01.tmp").exists());
    }

    /// A sweeper holding the directory keeps a writer from creating its
    /// temporary file until the sweep is over, so it never sees one unlocked.
    #[test]
    fn a_writer_waits_for_a_sweep_of_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_path_buf();
        let p = d.join("a.yaml");
        fs::write(&p, "image: a\n").unwrap();
        let sweeper = File::open(&d).unwrap();
        sweeper.lock().unwrap();
        let writer = {
            let d = d.clone();
            std::thread::spawn(move || {
                let handle = File::open(&d).unwrap();
                create_locked_temp(&d, Some(&handle)).unwrap()
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert_eq!(names(&d), ["a.yaml"], "created during the sweep");
        sweeper.unlock().unwrap();
        let tmp = writer.join().unwrap();
        assert_eq!(names(&d).len(), 2);
        // Locked by its writer from the start.
        assert!(File::open(tmp.path()).unwrap().try_lock().is_err());
    }
}
