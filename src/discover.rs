//! Discovery and reading: walk the roots (honouring `.gitignore`, `.ignore` and
//! `--exclude`), find each file's kustomization namespace, and read files as text
//! with the checks a hostile tree needs (size, binary, UTF-8, permissions, links).
//!
//! One of the three places that do I/O. It knows nothing of triggers.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
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

/// A file to read, spelled out: one entry of a `FileList`.
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
    pub files: FileList,
    /// Problems met while walking (loops, unreadable directories, links).
    pub diagnostics: Vec<Diagnostic>,
}

/// The files discovery found, sorted by display path, stored so that a file
/// costs a few bytes plus its name: the run keeps this list from start to end,
/// so its size is what memory grows by with the number of files.
///
/// A file is a directory (an index into a table of the directories files are
/// in, each with its display prefix, walked path, real path and kustomization
/// once) and a name in one string of names, in list order, without its
/// extension when that is `.yaml`, `.yml` or `.json` (the slot says which). A
/// file whose display, walked or real path is not its directory's joined with
/// its name (a file link to a differently named file, a name that is not
/// UTF-8) has a directory entry of its own holding its whole paths, and no
/// name. `get` spells an entry out as a `FileEntry`.
#[derive(Debug, Default)]
pub struct FileList {
    files: Vec<Slot>,
    dirs: Vec<Dir>,
    names: String,
    kustomizations: Vec<(String, String)>,
}

/// One file of a `FileList`: 8 bytes.
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// The index into `FileList::dirs` (`DIR`), the extension (`EXT`) and the
    /// flags (`VIA_LINK`, `SNAPSHOT_ONLY`).
    bits: u32,
    /// Start of the name in `FileList::names`; it ends where the next starts.
    name: u32,
}

/// The bits of `Slot::bits` that hold the directory.
const DIR: u32 = (1 << 28) - 1;
/// Where `Slot::bits` holds the extension: 0 for none, or 1 + an index into
/// `CODED`.
const EXT: u32 = 28;
const VIA_LINK: u32 = 1 << 30;
const SNAPSHOT_ONLY: u32 = 1 << 31;
/// The extensions a slot holds rather than the string of names.
const CODED: [&str; 3] = [".yaml", ".yml", ".json"];

/// Where files are: what a file's display, walked and real paths start with.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Dir {
    /// The display path up to the file name (`apps/web/`, or empty).
    display: String,
    /// The walked directory.
    path: OsString,
    /// The real directory.
    real: OsString,
    /// Index into `FileList::kustomizations`.
    kustomization: Option<u32>,
}

impl FileList {
    /// The number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether there are no files.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// File `i`, spelled out.
    pub fn get(&self, i: usize) -> FileEntry {
        let bits = self.files[i].bits;
        let dir = &self.dirs[(bits & DIR) as usize];
        let name = self.name(i);
        let join = |base: &OsString| match name.as_str() {
            "" => PathBuf::from(base),
            name => Path::new(base).join(name),
        };
        FileEntry {
            display: [dir.display.as_str(), &name].concat(),
            path: join(&dir.path),
            real: join(&dir.real),
            via_link: bits & VIA_LINK != 0,
            snapshot_only: bits & SNAPSHOT_ONLY != 0,
            kustomization: dir
                .kustomization
                .map(|k| self.kustomizations[k as usize].clone()),
        }
    }

    /// The display path of file `i`.
    pub fn display(&self, i: usize) -> String {
        let dir = &self.dirs[(self.files[i].bits & DIR) as usize];
        [dir.display.as_str(), &self.name(i)].concat()
    }

    /// Whether file `i` is read only for ImageStream snapshots.
    pub fn snapshot_only(&self, i: usize) -> bool {
        self.files[i].bits & SNAPSHOT_ONLY != 0
    }

    /// Every file, spelled out, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = FileEntry> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The name of file `i` (empty when its directory entry holds its paths).
    fn name(&self, i: usize) -> String {
        let start = self.files[i].name as usize;
        let end = self
            .files
            .get(i + 1)
            .map_or(self.names.len(), |next| next.name as usize);
        let ext = match (self.files[i].bits >> EXT) & 3 {
            0 => "",
            n => CODED[n as usize - 1],
        };
        [&self.names[start..end], ext].concat()
    }
}

/// A name less its extension when a slot can hold that (not the whole name),
/// and what the slot holds: 0 for none, or 1 + an index into `CODED`.
fn split(name: &str) -> (&str, u32) {
    CODED
        .iter()
        .zip(1..)
        .find_map(|(ext, n)| {
            name.strip_suffix(ext)
                .filter(|stem| !stem.is_empty())
                .map(|stem| (stem, n))
        })
        .unwrap_or((name, 0))
}

/// Compare two byte strings given each as two parts, as if joined.
fn cmp_concat(a: [&[u8]; 2], b: [&[u8]; 2]) -> Ordering {
    let (mut a, mut b) = (a.into_iter(), b.into_iter());
    let (mut x, mut y): (&[u8], &[u8]) = (&[], &[]);
    loop {
        while x.is_empty()
            && let Some(next) = a.next()
        {
            x = next;
        }
        while y.is_empty()
            && let Some(next) = b.next()
        {
            y = next;
        }
        if x.is_empty() || y.is_empty() {
            return x.len().cmp(&y.len());
        }
        let n = x.len().min(y.len());
        match x[..n].cmp(&y[..n]) {
            Ordering::Equal => (x, y) = (&x[n..], &y[n..]),
            other => return other,
        }
    }
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
    let mut files = ListBuilder::default();
    for (roots, snapshot_only) in [(&opts.paths, false), (&opts.snapshots, true)] {
        for root in roots {
            walk_root(
                root,
                snapshot_only,
                &exclude,
                &cwd,
                &canonical_roots,
                &mut kust,
                &mut files,
                &mut out.diagnostics,
            )?;
        }
    }
    out.files = files.finish(kust.found)?;
    Ok(out)
}

/// Builds a `FileList` as the walk finds files.
#[derive(Default)]
struct ListBuilder {
    found: Vec<Found>,
    dirs: Vec<Dir>,
    /// The names, in the order found.
    names: String,
    /// Each directory's index in `dirs`.
    dir_ids: HashMap<Dir, u32>,
    /// The directory of the last file pushed (most often the next one's too).
    last: Option<u32>,
}

/// A file as the walk found it.
#[derive(Debug, Clone, Copy)]
struct Found {
    /// Index into `ListBuilder::dirs`.
    dir: u32,
    /// Start of the name in `ListBuilder::names`.
    name: u32,
    /// Length of the name (0: the directory entry holds the whole paths).
    len: u16,
    via_link: bool,
    snapshot_only: bool,
}

impl ListBuilder {
    fn push(
        &mut self,
        display: &str,
        path: &Path,
        real: &Path,
        via_link: bool,
        snapshot_only: bool,
        kustomization: Option<u32>,
    ) -> anyhow::Result<()> {
        // Split off the name only where joining it back spells the same paths.
        let split = path
            .file_name()
            .and_then(OsStr::to_str)
            .filter(|name| name.len() <= usize::from(u16::MAX))
            .and_then(|name| {
                let display = display.strip_suffix(name)?;
                let dir = path.parent()?;
                let real_dir = real.parent()?;
                let same = dir.join(name).as_os_str() == path.as_os_str()
                    && real_dir.join(name).as_os_str() == real.as_os_str();
                same.then_some((name, display, dir.as_os_str(), real_dir.as_os_str()))
            });
        let (name, display, path, real) =
            split.unwrap_or(("", display, path.as_os_str(), real.as_os_str()));
        let dir = self.dir(display, path, real, kustomization)?;
        let start = u32::try_from(self.names.len()).context("too many files")?;
        self.names.push_str(name);
        self.found.push(Found {
            dir,
            name: start,
            len: u16::try_from(name.len()).context("a file name too long")?,
            via_link,
            snapshot_only,
        });
        Ok(())
    }

    /// The index of a directory, added if new.
    fn dir(
        &mut self,
        display: &str,
        path: &OsStr,
        real: &OsStr,
        kustomization: Option<u32>,
    ) -> anyhow::Result<u32> {
        if let Some(last) = self.last {
            let d = &self.dirs[last as usize];
            if d.display == display
                && d.path.as_os_str() == path
                && d.real.as_os_str() == real
                && d.kustomization == kustomization
            {
                return Ok(last);
            }
        }
        let dir = Dir {
            display: display.to_string(),
            path: path.to_os_string(),
            real: real.to_os_string(),
            kustomization,
        };
        let id = match self.dir_ids.get(&dir) {
            Some(&id) => id,
            None => {
                let id = u32::try_from(self.dirs.len())
                    .ok()
                    .filter(|id| id & !DIR == 0)
                    .context("too many directories")?;
                self.dirs.push(dir.clone());
                self.dir_ids.insert(dir, id);
                id
            }
        };
        self.last = Some(id);
        Ok(id)
    }

    fn name(&self, f: Found) -> &str {
        let start = f.name as usize;
        &self.names[start..start + usize::from(f.len)]
    }

    /// Order two files by display path, without building it.
    fn cmp_display(&self, a: Found, b: Found) -> Ordering {
        if a.dir == b.dir {
            return self.name(a).cmp(self.name(b));
        }
        let parts = |f: Found| {
            [
                self.dirs[f.dir as usize].display.as_bytes(),
                self.name(f).as_bytes(),
            ]
        };
        cmp_concat(parts(a), parts(b))
    }

    /// Order two files by real path, as `Path` orders them (by component).
    fn cmp_real(&self, a: Found, b: Found) -> Ordering {
        let (na, nb) = (self.name(a), self.name(b));
        if a.dir == b.dir && !na.is_empty() && !nb.is_empty() {
            return na.cmp(nb);
        }
        let real = |f: Found| Path::new(&self.dirs[f.dir as usize].real).components();
        // An empty name has no components.
        real(a)
            .chain(Path::new(na).components())
            .cmp(real(b).chain(Path::new(nb).components()))
    }

    /// Sort by display path, once each.
    fn finish(mut self, kustomizations: Vec<(String, String)>) -> anyhow::Result<FileList> {
        let mut found = std::mem::take(&mut self.found);
        // A file reached twice (two roots, or links) is one file: keep one entry,
        // preferring a scanned one over a snapshot-only one, and a path that is not a
        // link over one that is.
        let rank = |f: &Found| (f.snapshot_only, f.via_link);
        found.sort_by(|a, b| {
            self.cmp_real(*a, *b)
                .then_with(|| rank(a).cmp(&rank(b)))
                .then_with(|| self.cmp_display(*a, *b))
        });
        found.dedup_by(|b, a| self.cmp_real(*a, *b) == Ordering::Equal);
        found.sort_by(|a, b| self.cmp_display(*a, *b));
        // The names again, in list order, less the extensions a slot holds.
        let total = found.iter().map(|f| split(self.name(*f)).0.len()).sum();
        let mut names = String::with_capacity(total);
        let mut files = Vec::with_capacity(found.len());
        for f in found {
            let (stem, ext) = split(self.name(f));
            let mut bits = f.dir | (ext << EXT);
            if f.via_link {
                bits |= VIA_LINK;
            }
            if f.snapshot_only {
                bits |= SNAPSHOT_ONLY;
            }
            files.push(Slot {
                bits,
                name: u32::try_from(names.len()).context("too many files")?,
            });
            names.push_str(stem);
        }
        let mut dirs = self.dirs;
        dirs.shrink_to_fit();
        Ok(FileList {
            files,
            dirs,
            names,
            kustomizations,
        })
    }
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
    files: &mut ListBuilder,
    diagnostics: &mut Vec<Diagnostic>,
) -> anyhow::Result<()> {
    let meta = fs::metadata(root);
    if meta.as_ref().is_ok_and(|m| !m.is_dir()) {
        // An explicit file is read whatever its name, and even if ignored.
        let dir = root.parent().unwrap_or(Path::new(""));
        let via_link = fs::symlink_metadata(root).is_ok_and(|m| m.file_type().is_symlink());
        let real = fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let kustomization = kust.lookup(dir, dir, cwd)?;
        return files.push(
            &display_path(root, cwd),
            root,
            &real,
            via_link,
            snapshot_only,
            kustomization,
        );
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
                diagnostics.push(walk_error(&err, cwd));
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
                    diagnostics.push(outside_link(path, cwd));
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
        let kustomization = kust.lookup(dir, root, cwd)?;
        files.push(
            &display_path(path, cwd),
            path,
            &real,
            through_link,
            snapshot_only,
            kustomization,
        )?;
    }
    let pruned = outside.lock().map(|o| o.clone()).unwrap_or_default();
    for (path, is_dir) in pruned {
        if is_dir || has_wanted_name(&path) {
            diagnostics.push(outside_link(&path, cwd));
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
    /// Each directory's answer: an index into `found`.
    by_dir: HashMap<PathBuf, Option<u32>>,
    /// Every (namespace, file) found, once each.
    found: Vec<(String, String)>,
}

impl KustomizationCache {
    /// Nearest kustomization namespace from `dir` up to `root` (inclusive), as
    /// an index into `found`.
    fn lookup(&mut self, dir: &Path, root: &Path, cwd: &Path) -> anyhow::Result<Option<u32>> {
        if let Some(hit) = self.by_dir.get(dir) {
            return Ok(*hit);
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
                // A directory is looked at once (its answer is kept).
                found = Some(u32::try_from(self.found.len()).context("too many directories")?);
                self.found.push((ns, display_path(&candidate, cwd)));
                break;
            }
        }
        if found.is_none()
            && dir != root
            && !dir.as_os_str().is_empty()
            && let Some(parent) = dir.parent()
            && (parent.starts_with(root) || root.as_os_str().is_empty() || root == Path::new("."))
        {
            found = self.lookup(parent, root, cwd)?;
        }
        self.by_dir.insert(dir.to_path_buf(), found);
        Ok(found)
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

    fn entry(found: &Discovery, name: &str) -> FileEntry {
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
        let err = read(&entry(&found, "a.yaml"), ReadLimits::default()).unwrap_err();
        assert_eq!(err.code, Code::FileUnreadable);
        assert_eq!((err.line, err.column), (1, 1));
        assert!(err.message.starts_with("cannot read: "), "{}", err.message);
        let b = read(&entry(&found, "b.yaml"), ReadLimits::default()).unwrap();
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
        let err = read(&entry(&found, "a.yaml"), ReadLimits::default()).unwrap_err();
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
        let err = read(&entry(&found, "a.yaml"), ReadLimits::default()).unwrap_err();
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
        assert!(read(&found.files.get(0), at(6)).is_ok());
        let err = read(&found.files.get(0), at(5)).unwrap_err();
        assert_eq!(err.code, Code::FileTooLarge);
        assert!(err.message.contains("6 bytes"), "{}", err.message);
    }

    #[test]
    fn split_strings_compare_as_joined() {
        let all = ["", "a", "a/", "a/b", "a-b", "a.yaml", "ab", "b"];
        for x in all {
            for y in all {
                for cut_x in 0..=x.len() {
                    for cut_y in 0..=y.len() {
                        let (x1, x2) = x.split_at(cut_x);
                        let (y1, y2) = y.split_at(cut_y);
                        assert_eq!(
                            cmp_concat(
                                [x1.as_bytes(), x2.as_bytes()],
                                [y1.as_bytes(), y2.as_bytes()]
                            ),
                            x.cmp(y),
                            "{x:?} against {y:?}"
                        );
                    }
                }
            }
        }
    }

    /// Every entry spells out the paths the walk found: the display path as
    /// `display_path` shows it, the real path as `canonicalize` resolves it.
    fn assert_spelled_out(found: &Discovery) {
        let cwd = std::env::current_dir().unwrap();
        let all: Vec<FileEntry> = found.files.iter().collect();
        assert_eq!(all.len(), found.files.len());
        for (i, e) in all.iter().enumerate() {
            assert_eq!(e.display, display_path(&e.path, &cwd), "{e:?}");
            assert_eq!(e.real, fs::canonicalize(&e.path).unwrap(), "{e:?}");
            assert_eq!(found.files.display(i), e.display);
            assert_eq!(found.files.snapshot_only(i), e.snapshot_only);
        }
        let displays: Vec<&str> = all.iter().map(|e| e.display.as_str()).collect();
        let mut sorted = displays.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(displays, sorted, "sorted by display path, once each");
    }

    /// Names whose order as strings is not their order as paths (`-` and `.`
    /// sort before `/`), in nested directories.
    #[test]
    fn files_are_sorted_by_display_path() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        for rel in [
            "a.yaml",
            "a-b.yaml",
            "a/x.yaml",
            "a/b/c.yaml",
            "a-b/y.yaml",
            "a.b/z.json",
            "b.yml",
            "a/b.yaml",
            "a/b-c/d.yaml",
            "a/B.YAML",
            "a/two.dots.yml",
            "a/x.json.yaml",
        ] {
            let p = root.join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, "a: 1\n").unwrap();
        }
        fs::write(root.join("a/notes.txt"), "not a manifest\n").unwrap();
        // Named on the command line: read whatever its name.
        let found = discover(&DiscoverOptions {
            paths: vec![root.to_path_buf(), root.join("a/notes.txt")],
            ..Default::default()
        })
        .unwrap();
        assert_spelled_out(&found);
        let rel: Vec<String> = found
            .files
            .iter()
            .map(|e| {
                e.path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(
            rel,
            [
                "a-b.yaml",
                "a-b/y.yaml",
                "a.b/z.json",
                "a.yaml",
                "a/B.YAML",
                "a/b-c/d.yaml",
                "a/b.yaml",
                "a/b/c.yaml",
                "a/notes.txt",
                "a/two.dots.yml",
                "a/x.json.yaml",
                "a/x.yaml",
                "b.yml",
            ]
        );
        assert!(found.files.iter().all(|e| !e.via_link && !e.snapshot_only));
    }

    /// A file reached twice is kept once: through a path without links rather
    /// than through a link, and scanned rather than as a snapshot only. A file
    /// reached only through a link keeps its real path.
    #[cfg(unix)]
    #[test]
    fn a_file_reached_twice_is_kept_once() {
        use std::os::unix::fs::symlink;
        let tmp = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(tmp.path()).unwrap();
        fs::create_dir_all(root.join("apps/web")).unwrap();
        fs::create_dir_all(root.join("shared")).unwrap();
        fs::create_dir_all(root.join("streams")).unwrap();
        fs::write(root.join("apps/web/deploy.yaml"), "a: 1\n").unwrap();
        fs::write(root.join("shared/common.yaml"), "b: 1\n").unwrap();
        fs::write(root.join("streams/is.yaml"), "c: 1\n").unwrap();
        // A directory link and a file link to files also reached directly.
        symlink(root.join("apps/web"), root.join("apps/alias")).unwrap();
        symlink(root.join("shared/common.yaml"), root.join("apps/zz.yaml")).unwrap();
        // A file link whose target is outside the first root, but inside a
        // snapshot root.
        symlink(root.join("streams/is.yaml"), root.join("apps/is-link.yaml")).unwrap();
        let found = discover(&DiscoverOptions {
            paths: vec![root.join("apps"), root.join("shared")],
            snapshots: vec![root.join("streams"), root.join("shared")],
            ..Default::default()
        })
        .unwrap();
        assert_spelled_out(&found);
        let got: Vec<(String, PathBuf, bool, bool)> = found
            .files
            .iter()
            .map(|e| {
                let rel = e.path.strip_prefix(&root).unwrap().to_string_lossy();
                (
                    rel.into_owned(),
                    e.real.clone(),
                    e.via_link,
                    e.snapshot_only,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "apps/is-link.yaml".to_string(),
                    root.join("streams/is.yaml"),
                    true,
                    false
                ),
                (
                    "apps/web/deploy.yaml".to_string(),
                    root.join("apps/web/deploy.yaml"),
                    false,
                    false
                ),
                (
                    "shared/common.yaml".to_string(),
                    root.join("shared/common.yaml"),
                    false,
                    false
                ),
            ]
        );
    }

    /// A directory reached only through a link (its direct paths are
    /// excluded): its files keep the link's path and the target's real path.
    #[cfg(unix)]
    #[test]
    fn files_under_a_linked_directory_keep_their_real_paths() {
        use std::os::unix::fs::symlink;
        let tmp = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(tmp.path()).unwrap();
        fs::create_dir_all(root.join("scan")).unwrap();
        fs::create_dir_all(root.join("other/deep")).unwrap();
        fs::write(root.join("other/deep/a.yaml"), "a: 1\n").unwrap();
        fs::write(root.join("other/b.yaml"), "b: 1\n").unwrap();
        fs::write(root.join("other/c.yaml"), "c: 1\n").unwrap();
        symlink(root.join("other"), root.join("scan/linked")).unwrap();
        let found = discover(&DiscoverOptions {
            paths: vec![root.join("scan"), root.join("other")],
            exclude: vec!["**/other/b.yaml".into(), "**/other/deep".into()],
            ..Default::default()
        })
        .unwrap();
        assert_spelled_out(&found);
        let got: Vec<(PathBuf, PathBuf, bool)> = found
            .files
            .iter()
            .map(|e| (e.path, e.real, e.via_link))
            .collect();
        assert_eq!(
            got,
            [
                (root.join("other/c.yaml"), root.join("other/c.yaml"), false),
                (
                    root.join("scan/linked/b.yaml"),
                    root.join("other/b.yaml"),
                    true
                ),
                (
                    root.join("scan/linked/deep/a.yaml"),
                    root.join("other/deep/a.yaml"),
                    true
                ),
            ]
        );
    }

    /// A name that is not UTF-8 is kept whole, and read back as it was found.
    #[cfg(unix)]
    #[test]
    fn a_name_that_is_not_utf8_is_kept() {
        use std::os::unix::ffi::OsStrExt as _;
        let tmp = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(tmp.path()).unwrap();
        let odd = root.join(OsStr::from_bytes(b"a\xe9.yaml"));
        if fs::write(&odd, "a: 1\n").is_err() {
            // A file system that insists on UTF-8 names.
            return;
        }
        fs::write(root.join("b.yaml"), "b: 1\n").unwrap();
        let found = discover_dir(&root);
        assert_spelled_out(&found);
        let first = found.files.get(0);
        assert_eq!(first.path, odd);
        assert!(
            first.display.ends_with("/a\u{fffd}.yaml"),
            "{}",
            first.display
        );
        assert_eq!(read(&first, ReadLimits::default()).unwrap().text, "a: 1\n");
    }

    /// The nearest kustomization's namespace, once per kustomization file, for
    /// every file below it; none above or beside it.
    #[test]
    fn files_inherit_the_nearest_kustomization() {
        let tmp = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(tmp.path()).unwrap();
        let cwd = std::env::current_dir().unwrap();
        for (rel, text) in [
            ("top.yaml", "a: 1\n"),
            ("shop/kustomization.yaml", "namespace: shop\n"),
            ("shop/web.yaml", "a: 1\n"),
            ("shop/db/db.yaml", "a: 1\n"),
            ("shop/prod/kustomization.yml", "namespace: shop-prod\n"),
            ("shop/prod/web.yaml", "a: 1\n"),
            ("other/web.yaml", "a: 1\n"),
        ] {
            let p = root.join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, text).unwrap();
        }
        let found = discover_dir(&root);
        assert_spelled_out(&found);
        let shop = || {
            Some((
                "shop".to_string(),
                display_path(&root.join("shop/kustomization.yaml"), &cwd),
            ))
        };
        let prod = Some((
            "shop-prod".to_string(),
            display_path(&root.join("shop/prod/kustomization.yml"), &cwd),
        ));
        let got: Vec<(String, Option<(String, String)>)> = found
            .files
            .iter()
            .map(|e| {
                let rel = e.path.strip_prefix(&root).unwrap().to_string_lossy();
                (rel.into_owned(), e.kustomization)
            })
            .collect();
        assert_eq!(
            got,
            [
                ("other/web.yaml".to_string(), None),
                ("shop/db/db.yaml".to_string(), shop()),
                ("shop/kustomization.yaml".to_string(), shop()),
                ("shop/prod/kustomization.yml".to_string(), prod.clone()),
                ("shop/prod/web.yaml".to_string(), prod),
                ("shop/web.yaml".to_string(), shop()),
                ("top.yaml".to_string(), None),
            ]
        );
        assert_eq!(found.files.kustomizations.len(), 2);
    }
}
