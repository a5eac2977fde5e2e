//! The `Plan`: every change, diagnostic and trigger row of one run, built by one
//! pipeline that every command shares:
//! `discover → read → parse → index snapshots → evaluate each file → verify → Plan`.
//!
//! Files are evaluated independently (in parallel) once the snapshots are indexed,
//! a chunk at a time in path order, and each chunk's results are sorted, so the
//! output never depends on thread count and memory does not grow with the number
//! of files. A file's
//! edits are kept only if they verify: the new text re-parses, nothing but the
//! intended scalars changed, and evaluating it again changes nothing.

use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;

use crate::diag::{Code, Diagnostic, Severity};
use crate::discover::{self, DiscoverOptions, FileEntry, ReadLimits};
use crate::edit;
use crate::findings::{Collector, Findings};
use crate::imagestream::{ImageStream, Index};
use crate::manifest::yaml::{self, Document, Node, NodeKind};
use crate::manifest::{self, Manifest};
use crate::prefilter;
use crate::source::SourceFile;
use crate::trigger::eval::{self, Context, EvalSettings};
use crate::trigger::{Build, Change, TriggerRow, buildconfig, deploymentconfig, lookup};

/// Everything a run needs to know.
#[derive(Debug, Clone, Default)]
pub struct PlanSettings {
    /// What to walk.
    pub discover: DiscoverOptions,
    /// `--namespace`.
    pub namespace: Option<String>,
    /// Evaluation settings.
    pub eval: EvalSettings,
    /// Read limits.
    pub read: ReadLimits,
}

/// One file that changes.
#[derive(Debug, Clone)]
pub struct FilePlan {
    /// Display path.
    pub display: String,
    /// Path on disk.
    pub path: PathBuf,
    /// The text as read.
    pub old: String,
    /// The verified new text.
    pub new: String,
}

/// Counts for the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Files read.
    pub files_scanned: usize,
    /// Kubernetes objects found.
    pub objects: usize,
    /// Triggers found.
    pub triggers: usize,
    /// Image fields that change.
    pub changes: usize,
    /// Files that change.
    pub files_changed: usize,
    /// Builds OpenShift would start.
    pub builds: usize,
    /// Error findings.
    pub errors: usize,
    /// Warning findings.
    pub warnings: usize,
}

/// The result of evaluating a tree.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Files that change, sorted by path.
    pub files: Vec<FilePlan>,
    /// Every change, sorted by file and position.
    pub changes: Vec<Change>,
    /// Every finding, sorted.
    pub diagnostics: Vec<Diagnostic>,
    /// Every trigger, sorted.
    pub rows: Vec<TriggerRow>,
    /// Builds OpenShift would start, sorted.
    pub builds: Vec<Build>,
    /// Counts.
    pub summary: Summary,
}

impl Plan {
    /// Put back what a `stream` sink took, and count it.
    pub fn keep(&mut self, files: Vec<FilePlan>, changes: Vec<Change>, rows: Vec<TriggerRow>) {
        self.summary.files_changed = files.len();
        self.summary.changes = changes.len();
        self.summary.triggers = rows.len();
        self.files = files;
        self.changes = changes;
        self.rows = rows;
    }

    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.summary.errors > 0
    }
}

/// Files evaluated together: their results are kept until the chunk is handed
/// to the sink, so this bounds memory, not the order of anything.
const CHUNK: usize = 256;

/// Files read together by the first pass, whose results are folded into the
/// index before the next ones are read (they hold little: the streams found).
const FIRST_CHUNK: usize = 4 * CHUNK;

/// Run the pipeline over the tree the settings describe and keep everything.
pub fn build(settings: &PlanSettings) -> anyhow::Result<Plan> {
    let mut files = Vec::new();
    let mut changes = Vec::new();
    let mut rows = Vec::new();
    let (mut plan, findings) = stream(settings, |chunk| {
        files.append(&mut chunk.files);
        changes.append(&mut chunk.changes);
        rows.append(&mut chunk.rows);
        Ok(())
    })?;
    plan.keep(files, changes, rows);
    plan.diagnostics = findings.into_vec()?;
    Ok(plan)
}

/// Run the pipeline over the tree, handing each chunk of files to `sink` in path
/// order, so that memory does not grow with the number of files.
///
/// Two passes. The first reads every file and parses only those that may hold an
/// ImageStream (a byte prefilter), to index the snapshots. The second reads again
/// the files that can matter (the trigger annotation, a DeploymentConfig or
/// BuildConfig, an ImageStream, the resolve-names annotation, or the name of a
/// lookup-enabled stream) and evaluates them, in parallel within a chunk. A file
/// that can matter to nothing is never parsed.
///
/// The sink sees each chunk's `files`, `changes`, `rows`, `builds` and
/// `diagnostics`, sorted; it may take them or change them (`apply` drops the
/// changes of a file it could not write and adds a diagnostic). The summary counts
/// what the sink leaves; then the chunk's files, changes and rows are dropped, and
/// its diagnostics spooled. The returned plan holds every build and the summary
/// (its `diagnostics` are empty); the findings hold every diagnostic, sorted.
pub fn stream(
    settings: &PlanSettings,
    mut sink: impl FnMut(&mut Plan) -> anyhow::Result<()>,
) -> anyhow::Result<(Plan, Findings)> {
    let found = discover::discover(&settings.discover)?;
    let entries = found.files;
    let mut diagnostics = found.diagnostics;

    // Pass 1: read everything once, index the snapshots, a chunk at a time.
    let mut index = Index::default();
    let mut scanned = 0;
    // Whether (and why) each entry goes to the second pass, by entry index.
    let mut todo: Vec<Evaluate> = Vec::with_capacity(entries.len());
    for start in (0..entries.len()).step_by(FIRST_CHUNK) {
        let first: Vec<FirstPass> = (start..entries.len().min(start + FIRST_CHUNK))
            .into_par_iter()
            .map(|i| first_pass(&entries.get(i), settings))
            .collect();
        for (i, f) in (start..).zip(first) {
            diagnostics.extend(f.diagnostics);
            if f.read {
                scanned += 1;
            }
            if !f.streams.is_empty() {
                let display = entries.display(i);
                for (stream, pos) in f.streams {
                    index.add(stream, &display, pos, &mut diagnostics);
                }
            }
            todo.push(f.evaluate);
        }
    }
    let lookup = if settings.eval.no_local_lookup {
        prefilter::Names::default()
    } else {
        prefilter::Names::new(
            index
                .iter()
                .filter(|s| s.stream.lookup_local)
                .map(|s| s.stream.name.as_str()),
        )
    };

    // Pass 2: evaluate, a chunk at a time, in path order. While the sink
    // handles one chunk (on this thread), the pool evaluates the next.
    let mut findings = Collector::new(diagnostics);
    let mut plan = Plan::default();
    let mut objects = 0;
    let mut todo = todo
        .into_iter()
        .enumerate()
        .filter(|&(_, how)| how != Evaluate::No);
    let mut next_chunk = || -> Vec<(usize, Evaluate)> { todo.by_ref().take(CHUNK).collect() };
    let evaluate = |chunk: &[(usize, Evaluate)]| -> Vec<Option<(FileResult, usize)>> {
        chunk
            .par_iter()
            .map(|&(i, how)| second_pass(&entries.get(i), how, &lookup, &index, settings))
            .collect()
    };
    let first = next_chunk();
    let mut pending = (!first.is_empty()).then(|| evaluate(&first));
    while let Some(results) = pending.take() {
        let mut part = Plan::default();
        for (r, n) in results.into_iter().flatten() {
            objects += n;
            part.diagnostics.extend(r.diagnostics);
            part.rows.extend(r.rows);
            part.changes.extend(r.changes);
            part.builds.extend(r.builds);
            part.files.extend(r.file);
        }
        let following = next_chunk();
        let mut next = None;
        rayon::in_place_scope(|scope| {
            if !following.is_empty() {
                scope.spawn(|_| next = Some(evaluate(&following)));
            }
            sort_part(&mut part);
            sink(&mut part)
        })?;
        plan.summary.triggers += part.rows.len();
        plan.summary.changes += part.changes.len();
        plan.summary.files_changed += part.files.len();
        // What the sink left of files, changes and rows is dropped here.
        plan.builds.append(&mut part.builds);
        findings.chunk(std::mem::take(&mut part.diagnostics))?;
        pending = next;
    }
    let findings = findings.finish()?;
    count(
        &mut plan,
        scanned,
        objects,
        findings.errors(),
        findings.warnings(),
    );
    Ok((plan, findings))
}

/// Sort one chunk's results (the chunks come in path order).
fn sort_part(plan: &mut Plan) {
    plan.files.sort_by(|a, b| a.display.cmp(&b.display));
    plan.changes
        .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    plan.rows
        .sort_by(|a, b| (&a.file, a.line, a.index).cmp(&(&b.file, b.line, b.index)));
    plan.builds
        .sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
}

/// Sort the diagnostics and fill in the summary.
fn finish(plan: &mut Plan, mut diagnostics: Vec<Diagnostic>, scanned: usize, objects: usize) {
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics.dedup();
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    count(plan, scanned, objects, errors, warnings);
    plan.diagnostics = diagnostics;
}

/// Fill in the summary's counts (the sink's are counted as it goes).
fn count(plan: &mut Plan, scanned: usize, objects: usize, errors: usize, warnings: usize) {
    plan.summary.files_scanned = scanned;
    plan.summary.objects = objects;
    plan.summary.builds = plan.builds.len();
    plan.summary.errors = errors;
    plan.summary.warnings = warnings;
}

/// Whether (and why) a file goes to the second pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Evaluate {
    /// Unreadable, snapshot-only, or nothing in it can matter.
    No,
    /// It mentions triggers, DeploymentConfigs, BuildConfigs or ImageStreams.
    Yes,
    /// Only if it names a lookup-enabled stream.
    IfLookup,
}

struct FirstPass {
    read: bool,
    diagnostics: Vec<Diagnostic>,
    streams: Vec<(ImageStream, (usize, usize))>,
    evaluate: Evaluate,
}

fn first_pass(entry: &FileEntry, settings: &PlanSettings) -> FirstPass {
    let mut out = FirstPass {
        read: false,
        diagnostics: Vec::new(),
        streams: Vec::new(),
        evaluate: Evaluate::No,
    };
    let source = match discover::read(entry, settings.read) {
        Ok(s) => s,
        Err(d) => {
            out.diagnostics.push(d);
            return out;
        }
    };
    out.read = true;
    let bytes = source.text.as_bytes();
    if !entry.snapshot_only {
        out.evaluate = if prefilter::may_matter(bytes) {
            Evaluate::Yes
        } else {
            Evaluate::IfLookup
        };
    }
    if !entry.snapshot_only && !prefilter::may_hold_imagestream(bytes) {
        return out;
    }
    match yaml::parse_with_limits(&source.text, settings.read.parse) {
        Ok(docs) => {
            let inherited = discover::inherited(entry, settings.namespace.as_deref());
            for m in manifest::objects(&docs, &inherited) {
                if is_imagestream(&m) {
                    let pos = source.line_col(m.node.span.start);
                    out.streams.push((ImageStream::from_manifest(&m), pos));
                }
            }
        }
        // A scanned file's syntax error is reported by the second pass.
        Err(e) if entry.snapshot_only => out.diagnostics.push(yaml_invalid(&source, &e)),
        Err(_) => {}
    }
    out
}

fn yaml_invalid(source: &SourceFile, e: &yaml::YamlError) -> Diagnostic {
    Diagnostic::new(
        e.code(),
        &source.display,
        source.line_col(e.offset),
        format!("{}; nothing in this file is read or changed", e.message),
    )
}

/// Read, parse and evaluate one file: its result and its number of objects.
fn second_pass(
    entry: &FileEntry,
    how: Evaluate,
    lookup: &prefilter::Names,
    index: &Index,
    settings: &PlanSettings,
) -> Option<(FileResult, usize)> {
    let source = match discover::read(entry, settings.read) {
        Ok(s) => s,
        // Gone or changed since the first pass.
        Err(d) => {
            return Some((
                FileResult {
                    diagnostics: vec![d],
                    ..FileResult::default()
                },
                0,
            ));
        }
    };
    if how == Evaluate::IfLookup && !lookup.any_in(source.text.as_bytes()) {
        return None;
    }
    let (mut result, objects) = match yaml::parse_with_limits(&source.text, settings.read.parse) {
        Ok(docs) => evaluate_file(entry, &source, &docs, index, settings),
        Err(e) => {
            return Some((
                FileResult {
                    diagnostics: vec![yaml_invalid(&source, &e)],
                    ..FileResult::default()
                },
                0,
            ));
        }
    };
    if let Some(file) = &mut result.file {
        file.old = source.text;
    }
    Some((result, objects))
}

/// The pipeline after reading, on files already in memory: parse, index, evaluate,
/// verify. Every file is parsed (no prefilter).
pub fn build_from_sources(
    entries: &[FileEntry],
    sources: &[SourceFile],
    settings: &PlanSettings,
    mut diagnostics: Vec<Diagnostic>,
) -> Plan {
    let parsed: Vec<Result<Vec<Document<'_>>, yaml::YamlError>> = sources
        .par_iter()
        .map(|s| yaml::parse_with_limits(&s.text, settings.read.parse))
        .collect();
    let ns_flag = settings.namespace.as_deref();
    let mut index = Index::default();
    for ((entry, source), docs) in entries.iter().zip(sources).zip(&parsed) {
        match docs {
            Ok(docs) => {
                let inherited = discover::inherited(entry, ns_flag);
                for m in manifest::objects(docs, &inherited) {
                    if is_imagestream(&m) {
                        let pos = source.line_col(m.node.span.start);
                        index.add(
                            ImageStream::from_manifest(&m),
                            &source.display,
                            pos,
                            &mut diagnostics,
                        );
                    }
                }
            }
            Err(e) => diagnostics.push(yaml_invalid(source, e)),
        }
    }
    let results: Vec<(FileResult, usize)> = entries
        .par_iter()
        .zip(sources.par_iter())
        .zip(parsed.par_iter())
        .filter_map(|((entry, source), docs)| {
            let docs = docs.as_ref().ok()?;
            if entry.snapshot_only {
                return None;
            }
            let (mut result, objects) = evaluate_file(entry, source, docs, &index, settings);
            if let Some(file) = &mut result.file {
                file.old = source.text.clone();
            }
            Some((result, objects))
        })
        .collect();
    let mut plan = Plan::default();
    let mut objects = 0;
    for (r, n) in results {
        objects += n;
        diagnostics.extend(r.diagnostics);
        plan.rows.extend(r.rows);
        plan.changes.extend(r.changes);
        plan.builds.extend(r.builds);
        plan.files.extend(r.file);
    }
    sort_part(&mut plan);
    plan.summary.triggers = plan.rows.len();
    plan.summary.changes = plan.changes.len();
    plan.summary.files_changed = plan.files.len();
    finish(&mut plan, diagnostics, sources.len(), objects);
    plan
}

fn is_imagestream(m: &Manifest<'_, '_>) -> bool {
    m.id.kind == "ImageStream"
        && matches!(m.id.api_version.as_str(), "image.openshift.io/v1" | "v1")
}

#[derive(Default)]
struct FileResult {
    builds: Vec<Build>,
    changes: Vec<Change>,
    diagnostics: Vec<Diagnostic>,
    rows: Vec<TriggerRow>,
    file: Option<FilePlan>,
}

/// Evaluate every object of one file (pure, given the index).
fn evaluate_objects(
    source: &SourceFile,
    objects: &[Manifest<'_, '_>],
    index: &Index,
    settings: &PlanSettings,
) -> eval::Evaluation {
    let ctx = Context {
        file: source,
        index,
        settings: &settings.eval,
    };
    let mut all = eval::Evaluation::default();
    for m in objects {
        let mut evs = vec![eval::evaluate_annotation(&ctx, m)];
        let api = m.id.api_version.as_str();
        match m.id.kind.as_str() {
            "DeploymentConfig" if matches!(api, "apps.openshift.io/v1" | "v1") => {
                evs.push(deploymentconfig::evaluate(
                    &ctx,
                    m,
                    settings.eval.include_manual,
                ));
            }
            "BuildConfig" if matches!(api, "build.openshift.io/v1" | "v1") => {
                evs.push(buildconfig::evaluate(&ctx, m));
            }
            _ => {}
        }
        if !settings.eval.no_local_lookup {
            let addressed: Vec<_> = evs
                .iter()
                .flat_map(|e| e.addressed.iter().copied())
                .collect();
            let lookup = lookup::evaluate(&ctx, m, &addressed);
            evs.push(lookup);
        }
        for ev in evs {
            all.changes.extend(ev.changes);
            all.diagnostics.extend(ev.diagnostics);
            all.rows.extend(ev.rows);
            all.builds.extend(ev.builds);
        }
    }
    all
}

/// Evaluate and verify one parsed file. A changed file's `FilePlan::old` is left
/// empty: the caller owns the text and moves (or copies) it in.
fn evaluate_file(
    entry: &FileEntry,
    source: &SourceFile,
    docs: &[Document<'_>],
    index: &Index,
    settings: &PlanSettings,
) -> (FileResult, usize) {
    let inherited = discover::inherited(entry, settings.namespace.as_deref());
    let manifests = manifest::objects(docs, &inherited);
    let objects = manifests.len();
    let eval::Evaluation {
        mut changes,
        mut diagnostics,
        rows,
        builds,
        ..
    } = evaluate_objects(source, &manifests, index, settings);
    let mut file = None;
    if !changes.is_empty() {
        match splice_and_verify(source, docs, &changes, &inherited, index, settings) {
            Ok(new) => {
                file = Some(FilePlan {
                    display: source.display.clone(),
                    path: source.path.clone(),
                    // The caller moves the text in (no copy of a file it owns).
                    old: String::new(),
                    new,
                });
            }
            Err(why) => {
                diagnostics.push(Diagnostic::new(
                    Code::EditUnverified,
                    &source.display,
                    source.line_col(changes[0].anchor_offset),
                    format!(
                        "the edits for this file did not verify ({why}); the file is left as it is"
                    ),
                ));
                changes.clear();
            }
        }
    }
    (
        FileResult {
            changes,
            diagnostics,
            rows,
            builds,
            file,
        },
        objects,
    )
}

/// Apply the changes' edits and prove the result is what was intended.
fn splice_and_verify(
    source: &SourceFile,
    docs: &[Document<'_>],
    changes: &[Change],
    inherited: &manifest::Inherited,
    index: &Index,
    settings: &PlanSettings,
) -> Result<String, String> {
    let edits: Vec<edit::Edit> = changes.iter().map(|c| c.edit.clone()).collect();
    let new = edit::apply(&source.text, &edits).map_err(|e| e.to_string())?;
    let reparsed = SourceFile::new(source.display.clone(), source.path.clone(), new);
    let new_docs = yaml::parse_with_limits(&reparsed.text, settings.read.parse)
        .map_err(|e| format!("the new text does not parse: {}", e.message))?;
    if new_docs.len() != docs.len() {
        return Err("the number of documents changed".into());
    }
    let mut replaced = Vec::new();
    let mut inserted = Vec::new();
    for c in changes {
        if let Some(key) = c.inserted_key {
            inserted.push((c.anchor_offset, (key, c.new.as_str())));
        } else {
            replaced.push((c.anchor_offset, c.new.as_str()));
        }
    }
    let expect = Expectations {
        replaced: ByOffset::new(replaced),
        inserted: ByOffset::new(inserted),
    };
    for (old, new_doc) in docs.iter().zip(&new_docs) {
        compare(&old.root, &new_doc.root, &expect, 0)?;
    }
    let new_objects = manifest::objects(&new_docs, inherited);
    let again = evaluate_objects(&reparsed, &new_objects, index, settings).changes;
    if let Some(c) = again.first() {
        return Err(format!(
            "not a fixed point: evaluating the result would still change `{}` to `{}`",
            c.old, c.new
        ));
    }
    drop(new_objects);
    drop(new_docs);
    Ok(reparsed.text)
}

struct Expectations<'e> {
    /// Old scalar offset → the value it must now hold.
    replaced: ByOffset<&'e str>,
    /// Old mapping offset → the key and value inserted into it.
    inserted: ByOffset<(&'e str, &'e str)>,
}

/// Byte offset → value, sorted for binary search (looked up for every node of
/// the tree, so cheaper than hashing); the last value given for an offset wins.
struct ByOffset<V>(Vec<(usize, V)>);

impl<V> ByOffset<V> {
    fn new(mut entries: Vec<(usize, V)>) -> Self {
        // Reversed, then sorted stably: the last given comes first in its run,
        // and `dedup_by_key` keeps the first.
        entries.reverse();
        entries.sort_by_key(|e| e.0);
        entries.dedup_by_key(|e| e.0);
        ByOffset(entries)
    }

    fn get(&self, at: &usize) -> Option<&V> {
        let i = self.0.binary_search_by_key(at, |e| e.0).ok()?;
        Some(&self.0[i].1)
    }

    fn contains_key(&self, at: &usize) -> bool {
        self.get(at).is_some()
    }
}

/// Compare an old tree with a new one: identical except for the expected scalars.
fn compare(
    old: &Node<'_>,
    new: &Node<'_>,
    expect: &Expectations<'_>,
    depth: usize,
) -> Result<(), String> {
    if depth > 256 {
        return Err("structure too deep to verify".into());
    }
    match (&old.kind, &new.kind) {
        (NodeKind::Alias(a), NodeKind::Alias(b)) if a == b => Ok(()),
        (NodeKind::Alias(_), _) if expect.replaced.contains_key(&old.span.start) => {
            Err("an alias was edited".into())
        }
        (
            NodeKind::Scalar {
                value: ov,
                style: os,
                ..
            },
            NodeKind::Scalar {
                value: nv,
                style: ns,
                ..
            },
        ) => match expect.replaced.get(&old.span.start) {
            Some(want) if nv == want => Ok(()),
            Some(want) => Err(format!("a scalar reads `{nv}`, expected `{want}`")),
            None if ov == nv && os == ns => Ok(()),
            None => Err(format!("scalar `{ov}` changed to `{nv}`")),
        },
        (NodeKind::Seq { items: a, .. }, NodeKind::Seq { items: b, .. }) => {
            if a.len() != b.len() {
                return Err("a sequence changed length".into());
            }
            a.iter()
                .zip(b)
                .try_for_each(|(x, y)| compare(x, y, expect, depth + 1))
        }
        (NodeKind::Map { entries: a, .. }, NodeKind::Map { entries: b, .. }) => {
            // The entry inserted into this mapping, if any, is skipped.
            let mut skip = None;
            if let Some((key, value)) = expect.inserted.get(&old.span.start) {
                let pos = b
                    .iter()
                    .position(|(k, _)| k.as_str() == Some(key))
                    .ok_or("an inserted key is missing")?;
                if b[pos].1.as_str() != Some(value) {
                    return Err("an inserted key holds the wrong value".into());
                }
                skip = Some(pos);
            }
            if a.len() + usize::from(skip.is_some()) != b.len() {
                return Err("a mapping changed size".into());
            }
            let b = b
                .iter()
                .enumerate()
                .filter(|&(i, _)| Some(i) != skip)
                .map(|(_, e)| e);
            for ((ka, va), (kb, vb)) in a.iter().zip(b) {
                compare(ka, kb, expect, depth + 1)?;
                compare(va, vb, expect, depth + 1)?;
            }
            Ok(())
        }
        _ => Err("a node changed kind".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::ByOffset;

    #[test]
    fn by_offset_finds_every_offset_and_the_last_value_wins() {
        let m = ByOffset::new(vec![(30, "a"), (10, "b"), (20, "c"), (10, "d"), (30, "e")]);
        assert_eq!(m.get(&10), Some(&"d"));
        assert_eq!(m.get(&20), Some(&"c"));
        assert_eq!(m.get(&30), Some(&"e"));
        assert!(!m.contains_key(&15));
        assert!(!m.contains_key(&0));
        assert!(ByOffset::<&str>::new(Vec::new()).get(&0).is_none());
    }
}
