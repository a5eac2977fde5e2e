//! Discovery and reading: walk the roots (honouring `.gitignore`, `.ignore` and
//! `--exclude`), find each file's kustomization namespace, and read files as text
//! with the checks a hostile tree needs (size, binary, UTF-8, permissions, links).
//!
//! One of the three places that do I/O. It knows nothing of triggers.

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, bail};
use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::diag::{Code, Diagnostic};
use crate::manifest::Inherited;
use crate::manifest::yaml;
use crate::source::SourceFile;

/// A file to read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileEntry {
    /// Path as displayed (relative to the current directory when possible).
    pub display: String,
    /// Path as found by the walk.
    pub path: PathBuf,
    /// The real file (links resolved): what is read and written, and what makes
    /// two entries the same file.
    pub real: PathBuf,
    /// Whether the walk reached it through a symbolic link.
    pub via_link: bool,
    /// Read only for ImageStream snapshots (`--snapshots`), never rewritten.
    pub snapshot_only: bool,
    /// Namespace inherited from a kustomization file: (namespace, file).
    pub kustomization: Option<(String, String)>,
}

/// What discovery found.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Files, sorted by display path.
    pub files: Vec<FileEntry>,
    /// Problems met while walking (loops, unreadable directories, links).
    pub diagnostics: Vec<Diagnostic>,
}

/// Options for discovery.
#[derive(Debug, Clone, Default)]
pub struct DiscoverOptions {
    /// Roots to scan (files or directories).
    pub paths: Vec<PathBuf>,
    /// Extra snapshot roots.
    pub snapshots: Vec<PathBuf>,
    /// Globs of paths to skip.
    pub exclude: Vec<String>,
}

const EXTENSIONS: &[&str] = &["yaml", "yml", "json"];
const KUSTOMIZATION_FILES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Walk every root and return the files in a sorted, deterministic order.
pub fn discover(opts: &DiscoverOptions) -> anyhow::Result<Discovery> {
    let exclude = build_globs(&opts.exclude)?;
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let mut out = Discovery::default();
    let mut canonical_roots = Vec::new();
    for root in opts.paths.iter().chain(&opts.snapshots) {
        if fs::symlink_metadata(root).is_err() {
            bail!("path `{}` does not exist", root.display());
        }
        canonical_roots.push(fs::canonicalize(root).unwrap_or_else(|_| root.clone()));
    }
    let mut kust = KustomizationCache::default();
    for (roots, snapshot_only) in [(&opts.paths, false), (&opts.snapshots, true)] {
        for root in roots {
            walk_root(
                root,
                snapshot_only,
                &exclude,
                &cwd,
                &canonical_roots,
                &mut kust,
                &mut out,
            )?;
        }
    }
    // A file reached twice (two roots, or links) is one file: keep one entry,
    // preferring a scanned one over a snapshot-only one, and a path that is not a
    // link over one that is.
    out.files.sort_by(|a, b| {
        (&a.real, a.snapshot_only, a.via_link, &a.display).cmp(&(
            &b.real,
            b.snapshot_only,
            b.via_link,
            &b.display,
        ))
    });
    out.files.dedup_by(|b, a| a.real == b.real);
    out.files.sort_by(|a, b| a.display.cmp(&b.display));
    Ok(out)
}

fn build_globs(patterns: &[String]) -> anyhow::Result<GlobSet> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(Glob::new(p).with_context(|| format!("invalid --exclude glob `{p}`"))?);
        // `dir` also excludes everything under it.
        if !p.ends_with("/**") {
            b.add(Glob::new(&format!("{}/**", p.trim_end_matches('/')))?);
        }
    }
    Ok(b.build()?)
}

fn excluded(set: &GlobSet, path: &Path, root: &Path) -> bool {
    if set.is_empty() {
        return false;
    }
    let rel = path.strip_prefix(root).unwrap_or(path);
    let clean = path.strip_prefix("./").unwrap_or(path);
    set.is_match(rel) || set.is_match(clean) || path.file_name().is_some_and(|n| set.is_match(n))
}

/// The path as shown: relative to the current directory when it is below it.
pub fn display_path(path: &Path, cwd: &Path) -> String {
    let shown = if path.is_absolute() {
        path.strip_prefix(cwd).unwrap_or(path)
    } else {
        path.strip_prefix("./").unwrap_or(path)
    };
    let s = shown.to_string_lossy().replace('\\', "/");
    if s.is_empty() { ".".into() } else { s }
}

#[allow(clippy::too_many_arguments)]
fn walk_root(
    root: &Path,
    snapshot_only: bool,
    exclude: &GlobSet,
    cwd: &Path,
    canonical_roots: &[PathBuf],
    kust: &mut KustomizationCache,
    out: &mut Discovery,
) -> anyhow::Result<()> {
    let meta = fs::metadata(root);
    if meta.as_ref().is_ok_and(|m| !m.is_dir()) {
        // An explicit file is read whatever its name, and even if ignored.
        let dir = root.parent().unwrap_or(Path::new(""));
        let via_link = fs::symlink_metadata(root).is_ok_and(|m| m.file_type().is_symlink());
        out.files.push(FileEntry {
            display: display_path(root, cwd),
            path: root.to_path_buf(),
            real: fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf()),
            via_link,
            snapshot_only,
            kustomization: kust.lookup(dir, dir, cwd),
        });
        return Ok(());
    }
    // Links to a place outside the roots are cut off here, before the walk
    // descends into a linked directory; they are reported after it.
    let outside: Arc<Mutex<Vec<(PathBuf, bool)>>> = Arc::default();
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .follow_links(true)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry({
            let exclude = exclude.clone();
            let root = root.to_path_buf();
            let canonical_roots = canonical_roots.to_vec();
            let outside = Arc::clone(&outside);
            move |e| {
                let is_dir = e.file_type().is_some_and(|t| t.is_dir());
                let git_dir = is_dir && e.file_name() == ".git";
                if git_dir || excluded(&exclude, e.path(), &root) {
                    return false;
                }
                if e.depth() > 0
                    && e.path_is_symlink()
                    && fs::canonicalize(e.path())
                        .is_ok_and(|c| !canonical_roots.iter().any(|r| c.starts_with(r)))
                {
                    if let Ok(mut o) = outside.lock() {
                        o.push((e.path().to_path_buf(), is_dir));
                    }
                    return false;
                }
                true
            }
        })
        .build();
    let canonical_root = fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let mut linked_dirs: Vec<PathBuf> = Vec::new();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                out.diagnostics.push(walk_error(&err, cwd));
                continue;
            }
        };
        let path = entry.path();
        let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
        let through_link =
            entry.path_is_symlink() || linked_dirs.iter().any(|d| path.starts_with(d));
        let mut real = None;
        if through_link {
            let canonical = fs::canonicalize(path).ok();
            let inside = canonical
                .as_ref()
                .is_some_and(|c| canonical_roots.iter().any(|r| c.starts_with(r)));
            real = canonical;
            if !inside {
                // Links are cut off before they get here; a path that still
                // resolves outside (changed during the walk) is not read either.
                if is_dir || has_wanted_name(path) {
                    out.diagnostics.push(outside_link(path, cwd));
                }
                continue;
            }
            if is_dir && entry.path_is_symlink() {
                linked_dirs.push(path.to_path_buf());
            }
        }
        if is_dir || !has_wanted_name(path) {
            continue;
        }
        let dir = path.parent().unwrap_or(root);
        // Without links on the way, the real path is the root's plus the rest.
        let real = real.unwrap_or_else(|| match path.strip_prefix(root) {
            Ok(rest) => canonical_root.join(rest),
            Err(_) => path.to_path_buf(),
        });
        out.files.push(FileEntry {
            display: display_path(path, cwd),
            path: path.to_path_buf(),
            real,
            via_link: through_link,
            snapshot_only,
            kustomization: kust.lookup(dir, root, cwd),
        });
    }
    let pruned = outside.lock().map(|o| o.clone()).unwrap_or_default();
    for (path, is_dir) in pruned {
        if is_dir || has_wanted_name(&path) {
            out.diagnostics.push(outside_link(&path, cwd));
        }
    }
    Ok(())
}

fn outside_link(path: &Path, cwd: &Path) -> Diagnostic {
    Diagnostic::new(
        Code::SymlinkOutside,
        &display_path(path, cwd),
        (1, 1),
        "a symbolic link to a place outside the scanned paths; not followed".into(),
    )
}

fn has_wanted_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

fn walk_error(err: &ignore::Error, cwd: &Path) -> Diagnostic {
    // Unwrap the path and line wrappers to find what happened and where.
    let mut path: Option<PathBuf> = None;
    let mut cur = err;
    loop {
        match cur {
            ignore::Error::WithPath { path: p, err } => {
                path.get_or_insert(p.clone());
                cur = err;
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                cur = err;
            }
            _ => break,
        }
    }
    match cur {
        ignore::Error::Loop { child, ancestor } => Diagnostic::new(
            Code::SymlinkLoop,
            &display_path(child, cwd),
            (1, 1),
            format!(
                "symbolic link loop: `{}` leads back to `{}`; not followed",
                display_path(child, cwd),
                display_path(ancestor, cwd)
            ),
        ),
        ignore::Error::Io(e) if is_link_loop(e) => {
            let shown = path
                .map(|p| display_path(&p, cwd))
                .unwrap_or_else(|| ".".into());
            Diagnostic::new(
                Code::SymlinkLoop,
                &shown,
                (1, 1),
                format!("symbolic link loop: `{shown}` never reaches a file; not followed"),
            )
        }
        other => Diagnostic::new(
            Code::FileUnreadable,
            &path
                .map(|p| display_path(&p, cwd))
                .unwrap_or_else(|| ".".into()),
            (1, 1),
            format!("cannot read: {other}"),
        ),
    }
}

/// Finds the nearest kustomization file's `namespace:` for a directory.
#[derive(Default)]
struct KustomizationCache {
    by_dir: HashMap<PathBuf, Option<(String, String)>>,
}

impl KustomizationCache {
    /// Nearest kustomization namespace from `dir` up to `root` (inclusive).
    fn lookup(&mut self, dir: &Path, root: &Path, cwd: &Path) -> Option<(String, String)> {
        if let Some(hit) = self.by_dir.get(dir) {
            return hit.clone();
        }
        let mut found = None;
        for name in KUSTOMIZATION_FILES {
            let candidate = dir.join(name);
            // Only a small regular file: a FIFO or device named like a
            // kustomization must not hang the walk.
            const MAX: u64 = 1024 * 1024;
            let Ok((file, meta)) = open_regular(&candidate) else {
                continue;
            };
            if meta.len() >= MAX {
                continue;
            }
            let mut text = String::new();
            if file.take(MAX).read_to_string(&mut text).is_ok()
                && let Some(ns) = kustomization_namespace(&text)
            {
                found = Some((ns, display_path(&candidate, cwd)));
                break;
            }
        }
        if found.is_none()
            && dir != root
            && !dir.as_os_str().is_empty()
            && let Some(parent) = dir.parent()
            && (parent.starts_with(root) || root.as_os_str().is_empty() || root == Path::new("."))
        {
            found = self.lookup(parent, root, cwd);
        }
        self.by_dir.insert(dir.to_path_buf(), found.clone());
        found
    }
}

fn kustomization_namespace(text: &str) -> Option<String> {
    let docs = yaml::parse(text).ok()?;
    let root = docs.first()?;
    let ns = root.root.get_in(root, "namespace")?.as_str()?;
    (!ns.is_empty()).then(|| ns.to_string())
}

/// Limits applied when reading and parsing a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Largest file read, in bytes.
    pub max_file_size: u64,
    /// Limits applied while parsing it.
    pub parse: yaml::ParseLimits,
}

/// `ReadLimits::max_file_size` by default: 16 MiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            parse: yaml::ParseLimits::default(),
        }
    }
}

/// Whether an I/O error is a symbolic link loop (`ELOOP`), also when the walk
/// wrapped it in an error of its own.
fn is_link_loop(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        let mut cur: Option<&(dyn std::error::Error + 'static)> = e.get_ref().map(|r| r as _);
        let mut raw = e.raw_os_error();
        while raw.is_none()
            && let Some(inner) = cur
        {
            raw = inner
                .downcast_ref::<std::io::Error>()
                .and_then(std::io::Error::raw_os_error);
            cur = inner.source();
        }
        raw == Some(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

/// Why `open_regular` did not open a file.
enum NotOpened {
    /// A FIFO, socket, device or directory.
    NotRegular,
    /// The system said no.
    Io(std::io::Error),
}

/// Open `path` for reading only if it is a regular file, and return it with
/// the metadata of what was opened. The type is checked before opening (opening
/// some devices has effects) and again on the open handle (the path may have
/// changed in between); the open itself never waits, even for a FIFO.
fn open_regular(path: &Path) -> Result<(fs::File, fs::Metadata), NotOpened> {
    if !fs::metadata(path).map_err(NotOpened::Io)?.is_file() {
        return Err(NotOpened::NotRegular);
    }
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path).map_err(NotOpened::Io)?;
    let meta = file.metadata().map_err(NotOpened::Io)?;
    if !meta.is_file() {
        return Err(NotOpened::NotRegular);
    }
    Ok((file, meta))
}

/// Read one file as text, or say why not.
pub fn read(entry: &FileEntry, limits: ReadLimits) -> Result<SourceFile, Diagnostic> {
    let fail = |code: Code, pos: (usize, usize), msg: String| {
        Diagnostic::new(code, &entry.display, pos, msg)
    };
    let (file, meta) = open_regular(&entry.path).map_err(|why| match why {
        NotOpened::NotRegular => fail(
            Code::FileUnreadable,
            (1, 1),
            "not a regular file (a FIFO, socket or device); not read".into(),
        ),
        NotOpened::Io(e) if is_link_loop(&e) => fail(
            Code::SymlinkLoop,
            (1, 1),
            "symbolic link loop: the path never reaches a file; not read".into(),
        ),
        NotOpened::Io(e) => fail(Code::FileUnreadable, (1, 1), format!("cannot read: {e}")),
    })?;
    if meta.len() > limits.max_file_size {
        return Err(fail(
            Code::FileTooLarge,
            (1, 1),
            format!(
                "the file is {} bytes, over the limit of {} bytes (see `--max-file-size`); not read",
                meta.len(),
                limits.max_file_size
            ),
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limits.max_file_size.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| fail(Code::FileUnreadable, (1, 1), format!("cannot read: {e}")))?;
    if bytes.len() as u64 > limits.max_file_size {
        return Err(fail(
            Code::FileTooLarge,
            (1, 1),
            "the file grew over the size limit while being read".into(),
        ));
    }
    if let Some(nul) = memchr::memchr(0, &bytes[..bytes.len().min(8192)]) {
        let (line, col) = crate::source::line_col_of(&String::from_utf8_lossy(&bytes[..nul]), nul);
        return Err(fail(
            Code::FileBinary,
            (line, col),
            "binary data (a NUL byte); not read".into(),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.into_bytes();
        let valid = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
        fail(
            Code::FileNotUtf8,
            crate::source::line_col_of(valid, at),
            "not valid UTF-8; not read (streampin never rewrites a file it cannot read exactly)"
                .into(),
        )
    })?;
    Ok(SourceFile::new(
        entry.display.clone(),
        entry.real.clone(),
        text,
    ))
}

/// The namespaces a file inherits, for `manifest::objects`.
pub fn inherited(entry: &FileEntry, flag: Option<&str>) -> Inherited {
    Inherited {
        kustomization: entry.kustomization.clone(),
        flag: flag.map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn discover_dir(dir: &Path) -> Discovery {
        discover(&DiscoverOptions {
            paths: vec![dir.to_path_buf()],
            ..Default::default()
        })
        .unwrap()
    }

    fn entry<'d>(found: &'d Discovery, name: &str) -> &'d FileEntry {
        found
            .files
            .iter()
            .find(|f| f.path.file_name().is_some_and(|n| n == name))
            .unwrap_or_else(|| panic!("{name} not discovered: {found:?}"))
    }

    /// Discovered, then deleted before it is read: one diagnostic, and the
    /// other files are read as usual.
    #[test]
    fn a_file_that_vanishes_after_discovery_is_reported() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("a.yaml"), "a: 1\n").unwrap();
        fs::write(tmp.path().join("b.yaml"), "b: 1\n").unwrap();
        let found = discover_dir(tmp.path());
        assert_eq!(found.files.len(), 2);
        fs::remove_file(tmp.path().join("a.yaml")).unwrap();
        let err = read(entry(&found, "a.yaml"), ReadLimits::default()).unwrap_err();
        assert_eq!(err.code, Code::FileUnreadable);
        assert_eq!((err.line, err.column), (1, 1));
        assert!(err.message.starts_with("cannot read: "), "{}", err.message);
        let b = read(entry(&found, "b.yaml"), ReadLimits::default()).unwrap();
        assert_eq!(b.text, "b: 1\n");
    }

    /// Replaced by a FIFO after discovery: not opened for a read that would
    /// wait for a writer.
    #[cfg(unix)]
    #[test]
    fn a_file_replaced_by_a_fifo_is_not_read() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a.yaml");
        fs::write(&path, "a: 1\n").unwrap();
        let found = discover_dir(tmp.path());
        fs::remove_file(&path).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(made.success());
        let err = read(entry(&found, "a.yaml"), ReadLimits::default()).unwrap_err();
        assert_eq!(err.code, Code::FileUnreadable);
        assert!(
            err.message.contains("not a regular file"),
            "{}",
            err.message
        );
    }

    /// A file link loop found after discovery (or named on the command line)
    /// is a loop, not an unreadable file.
    #[cfg(unix)]
    #[test]
    fn a_link_loop_met_when_reading_is_a_loop() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a.yaml");
        fs::write(&path, "a: 1\n").unwrap();
        let found = discover_dir(tmp.path());
        fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink("b.yaml", &path).unwrap();
        std::os::unix::fs::symlink("a.yaml", tmp.path().join("b.yaml")).unwrap();
        let err = read(entry(&found, "a.yaml"), ReadLimits::default()).unwrap_err();
        assert_eq!(err.code, Code::SymlinkLoop, "{}", err.message);
    }

    #[test]
    fn the_size_limit_is_exact() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("a.yaml"), "a: 12\n").unwrap();
        let found = discover_dir(tmp.path());
        let at = |max_file_size| ReadLimits {
            max_file_size,
            ..ReadLimits::default()
        };
        assert!(read(&found.files[0], at(6)).is_ok());
        let err = read(&found.files[0], at(5)).unwrap_err();
        assert_eq!(err.code, Code::FileTooLarge);
        assert!(err.message.contains("6 bytes"), "{}", err.message);
    }
}
