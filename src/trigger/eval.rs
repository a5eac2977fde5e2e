//! Evaluate the `image.openshift.io/triggers` annotation of one object, as
//! library-go `UpdateObjectFromImages` does (openshift-reference.md sections 1, 2,
//! 5), with the deviations of semantics.md rules 2 and 3.
//!
//! Input: one manifest, the snapshot index and settings. Output: changes (with
//! their edits), diagnostics and listing rows. All or nothing per object.

use std::sync::Arc;

use crate::diag::{Code, Diagnostic};
use crate::fieldpath::{self, FieldPath, Selector};
use crate::imagestream::{Index, NotFound, Resolved};
use crate::manifest::kind::{self, KindInfo};
use crate::manifest::yaml::Node;
use crate::manifest::{self, Container, ContainerList, Manifest, write};
use crate::source::SourceFile;

use super::annotation::{self, TRIGGER_ANNOTATION};
use super::{Change, ChangeSource, FromRef, State, TriggerRow};

/// Settings the evaluation needs.
#[derive(Debug, Clone)]
pub struct EvalSettings {
    /// The cluster's internal registry host, for Local policy without a repository.
    pub internal_registry: Option<String>,
    /// Resolve DeploymentConfig triggers that are not automatic too, as
    /// `oc rollout latest` does.
    pub include_manual: bool,
    /// Skip the local-lookup pass (it runs by default).
    pub no_local_lookup: bool,
    /// Largest trigger annotation value decoded, in bytes.
    pub max_annotation_size: u64,
}

/// `EvalSettings::max_annotation_size` by default: 256 KiB, what the API
/// server allows for all of an object's annotations together
/// (`TotalAnnotationSizeLimitB`), so a larger value never reaches a cluster.
pub const DEFAULT_MAX_ANNOTATION_SIZE: u64 = 256 * 1024;

impl Default for EvalSettings {
    fn default() -> Self {
        EvalSettings {
            internal_registry: None,
            include_manual: false,
            no_local_lookup: false,
            max_annotation_size: DEFAULT_MAX_ANNOTATION_SIZE,
        }
    }
}

/// What evaluating one object produced.
#[derive(Debug, Default)]
pub struct Evaluation {
    /// Image fields that change (empty when the object has an error).
    pub changes: Vec<Change>,
    /// Findings.
    pub diagnostics: Vec<Diagnostic>,
    /// Listing rows.
    pub rows: Vec<TriggerRow>,
    /// Builds OpenShift would start (BuildConfigs).
    pub builds: Vec<super::Build>,
    /// Containers a trigger addresses (local lookup leaves them alone).
    pub addressed: Vec<(ContainerList, usize)>,
}

/// Context shared by the evaluation of every object of one file.
pub struct Context<'c> {
    /// The file.
    pub file: &'c SourceFile,
    /// The snapshots.
    pub index: &'c Index,
    /// Settings.
    pub settings: &'c EvalSettings,
}

impl Context<'_> {
    /// A diagnostic at `offset` of this file, about `m`.
    pub fn diag(
        &self,
        code: Code,
        offset: usize,
        m: &Manifest<'_, '_>,
        message: String,
    ) -> Diagnostic {
        Diagnostic::new(
            code,
            &self.file.display,
            self.file.line_col(offset),
            message,
        )
        .with_object(Some(m.id.describe()))
    }
}

/// One container chosen by a trigger, with the value it should hold.
struct Assignment<'d, 'a> {
    container: Container<'d, 'a>,
    value: String,
    trigger: usize,
    from: FromRef,
    resolved: Arc<Resolved>,
}

/// Evaluate the trigger annotation of `m`.
pub fn evaluate_annotation(ctx: &Context<'_>, m: &Manifest<'_, '_>) -> Evaluation {
    let mut out = Evaluation::default();
    let Some(ann) = m.annotation(TRIGGER_ANNOTATION) else {
        return out;
    };
    let doc = m.document;
    let ann_at = ann.span.start;
    let ann_value = doc.resolve(ann);
    let info = match kind::lookup(&m.id.api_version, &m.id.kind) {
        Some(i) if i.kind != "DeploymentConfig" => i,
        Some(_) => {
            out.diagnostics.push(ctx.diag(
                Code::ClusterIgnoresKind,
                ann_at,
                m,
                "the trigger annotation is ignored on a DeploymentConfig; its `spec.triggers` apply instead".into(),
            ));
            return out;
        }
        None => {
            out.diagnostics.push(ctx.diag(
                Code::ClusterIgnoresKind,
                ann_at,
                m,
                format!(
                    "`{}` `{}` has no pod template OpenShift's trigger code knows; the annotation is not evaluated",
                    m.id.api_version, m.id.kind
                ),
            ));
            return out;
        }
    };
    if !info.watched {
        out.diagnostics.push(ctx.diag(
            Code::ClusterIgnoresKind,
            ann_at,
            m,
            format!(
                "the live trigger controller does not watch {}: the cluster would leave this object alone; streampin applies the trigger as OpenShift's trigger code would",
                info.plural
            ),
        ));
    }
    let row = |index: usize,
               container: Option<String>,
               source: String,
               resolved: Option<String>,
               state| TriggerRow {
        file: ctx.file.display.clone(),
        line: ctx.file.line_col(ann_at).0,
        object: m.id.clone(),
        namespace_source: m.namespace_source.clone(),
        kind: "annotation",
        index,
        container,
        source,
        resolved,
        state,
    };

    let Some(value) = ann_value.as_str().filter(|_| ann_value.style().is_some()) else {
        out.diagnostics.push(ctx.diag(
            Code::AnnotationInvalid,
            ann_value.span.start,
            m,
            format!("the `{TRIGGER_ANNOTATION}` annotation must be a string holding a JSON array (quote it)"),
        ));
        out.rows
            .push(row(0, None, String::new(), None, State::Error));
        return out;
    };
    if value.len() as u64 > ctx.settings.max_annotation_size {
        out.diagnostics.push(ctx.diag(
            Code::AnnotationTooLarge,
            ann_value.span.start,
            m,
            format!(
                "the trigger annotation is {} bytes, over the limit of {} bytes (see `--max-annotation-size`); its triggers are not evaluated",
                value.len(),
                ctx.settings.max_annotation_size
            ),
        ));
        out.rows
            .push(row(0, None, String::new(), None, State::Error));
        return out;
    }
    let decoded = annotation::decode_cached(value);
    let triggers = match decoded.as_ref() {
        Ok(t) => t,
        Err(e) => {
            out.diagnostics.push(ctx.diag(
                Code::AnnotationInvalid,
                ann_value.span.start,
                m,
                format!("the trigger annotation does not decode: {e}"),
            ));
            out.rows
                .push(row(0, None, String::new(), None, State::Error));
            return out;
        }
    };
    let mut paths = std::collections::HashSet::new();
    for t in triggers {
        if !paths.insert(t.field_path.as_str()) {
            out.diagnostics.push(ctx.diag(
                Code::AnnotationDuplicateFieldpath,
                ann_value.span.start,
                m,
                format!(
                    "duplicate triggers are not allowed: two entries have fieldPath `{}`",
                    t.field_path
                ),
            ));
            out.rows
                .push(row(0, None, String::new(), None, State::Error));
            return out;
        }
    }

    let base = kind::base_path(info);
    let pod_spec = m.at(info.pod_spec);
    if pod_spec.is_none() && info.template_optional && !triggers.is_empty() {
        out.diagnostics.push(ctx.diag(
            Code::ObjectInvalid,
            m.node.span.start,
            m,
            "no list of images available for this object: it has no `spec.template`".into(),
        ));
        out.rows
            .push(row(0, None, String::new(), None, State::Error));
        return out;
    }
    let init = pod_spec
        .map(|p| manifest::containers(doc, p, ContainerList::Init))
        .unwrap_or_default();
    let regular = pod_spec
        .map(|p| manifest::containers(doc, p, ContainerList::Regular))
        .unwrap_or_default();

    let mut errored = false;
    let mut assignments: Vec<Assignment<'_, '_>> = Vec::new();
    let mut rows = Vec::new();
    for (i, t) in triggers.iter().enumerate() {
        let lookup_ns = if t.from.namespace.is_empty() {
            m.id.namespace.clone()
        } else {
            t.from.namespace.clone()
        };
        let source = if lookup_ns != m.id.namespace {
            format!("{lookup_ns}/{}", t.from.name)
        } else {
            t.from.name.clone()
        };
        for key in &t.unknown_keys {
            out.diagnostics.push(ctx.diag(
                Code::TriggerUnknownKey,
                ann_value.span.start,
                m,
                unknown_key_message(i, key),
            ));
        }
        if t.from.kind != "ImageStreamTag" || !t.from.api_version.is_empty() {
            out.diagnostics.push(ctx.diag(
                Code::TriggerKindIgnored,
                ann_value.span.start,
                m,
                format!(
                    "trigger {i} has from.kind `{}`{}: the cluster applies it when the object changes but never wakes it on stream changes",
                    t.from.kind,
                    if t.from.api_version.is_empty() { String::new() } else { format!(" and apiVersion `{}`", t.from.api_version) }
                ),
            ));
        }
        if t.paused {
            rows.push(row(i, None, source, None, State::Paused));
            continue;
        }
        let parsed = fieldpath::parse(&t.field_path, &base);
        if parsed == FieldPath::Skipped {
            out.diagnostics.push(ctx.diag(
                Code::FieldpathSkipped,
                ann_value.span.start,
                m,
                format!(
                    "trigger {i}: fieldPath `{}` does not start with `{base}`, so OpenShift ignores the trigger",
                    t.field_path
                ),
            ));
            rows.push(row(i, None, source, None, State::Skipped));
            continue;
        }
        let resolved = match ctx.index.resolve(
            &lookup_ns,
            &t.from.name,
            ctx.settings.internal_registry.as_deref(),
        ) {
            Ok(r) => r,
            Err(nf) => {
                // The container is the trigger's even while its tag does not
                // resolve: local lookup must leave it alone.
                if let FieldPath::Target(target) = &parsed
                    && let Some(c) = select(target, &init, &regular)
                {
                    out.addressed.push((c.list, c.index));
                }
                let (code, message) = not_found_message(&nf, &lookup_ns, &t.from.name);
                let conflict = matches!(nf, NotFound::Conflict(_));
                out.diagnostics.push(ctx.diag(
                    code,
                    ann_value.span.start,
                    m,
                    format!("trigger {i}: {message}"),
                ));
                if conflict {
                    errored = true;
                    rows.push(row(i, None, source, None, State::Error));
                } else {
                    rows.push(row(i, None, source, None, State::Unresolved));
                }
                continue;
            }
        };
        for c in &resolved.completions {
            out.diagnostics.push(ctx.diag(
                Code::SnapshotCompleted,
                ann_value.span.start,
                m,
                c.clone(),
            ));
        }
        let FieldPath::Target(target) = parsed else {
            out.diagnostics.push(ctx.diag(
                Code::FieldpathInvalid,
                ann_value.span.start,
                m,
                format!("field path is not valid: {}", t.field_path),
            ));
            errored = true;
            rows.push(row(
                i,
                None,
                source,
                Some(resolved.reference.clone()),
                State::Error,
            ));
            continue;
        };
        let found = select(&target, &init, &regular);
        if let Some(c) = found {
            out.addressed.push((c.list, c.index));
        }
        let Some(container) = found else {
            out.diagnostics.push(ctx.diag(
                Code::ContainerNotFound,
                ann_value.span.start,
                m,
                format!("no such container: {}", t.field_path),
            ));
            errored = true;
            rows.push(row(
                i,
                None,
                source,
                Some(resolved.reference.clone()),
                State::Error,
            ));
            continue;
        };
        let mut quirks: Vec<String> = target.quirks.iter().map(|q| q.to_string()).collect();
        if let Selector::Name { single_quoted, .. } = &target.selector {
            if container.list != target.list {
                quirks.push(format!(
                    "a `{}[...]` name selector that found a container in `{}`",
                    target.list.key(),
                    container.list.key()
                ));
            }
            if *single_quoted {
                out.diagnostics.push(ctx.diag(
                    Code::ClusterRejectsSelector,
                    ann_value.span.start,
                    m,
                    format!(
                        "trigger {i}: the single-quoted selector in `{}` is accepted as the documentation shows it, but the cluster rejects it (`no such container`) and leaves the whole object alone; write `[?(@.name==\"{}\")]`",
                        t.field_path, container.name
                    ),
                ));
            }
        }
        for q in quirks {
            out.diagnostics.push(ctx.diag(
                Code::FieldpathQuirk,
                ann_value.span.start,
                m,
                format!(
                    "trigger {i}: fieldPath `{}` uses {q}, which the cluster accepts by accident",
                    t.field_path
                ),
            ));
        }
        if !resolved.pinned_by_digest {
            out.diagnostics.push(ctx.diag(
                Code::PinNotDigest,
                ann_value.span.start,
                m,
                format!(
                    "trigger {i}: `{}` resolves to `{}`, which is not pinned by digest",
                    t.from.name, resolved.reference
                ),
            ));
        }
        let current = container.image_value(doc);
        let state = if current == resolved.reference {
            State::Pinned
        } else {
            State::Stale
        };
        rows.push(row(
            i,
            Some(container.name.clone()),
            source,
            Some(resolved.reference.clone()),
            state,
        ));
        // The last trigger for a container wins (`ann-d27`).
        assignments.retain(|a| {
            !(a.container.list == container.list && a.container.index == container.index)
        });
        assignments.push(Assignment {
            container: container.clone(),
            value: resolved.reference.clone(),
            trigger: i,
            from: FromRef {
                kind: t.from.kind.clone(),
                namespace: lookup_ns,
                name: t.from.name.clone(),
            },
            resolved,
        });
    }

    let mut changes = Vec::new();
    if !errored {
        for a in &assignments {
            let current = a.container.image_value(doc);
            if current == a.value {
                continue;
            }
            match image_change(ctx, m, info, a, current) {
                Ok(c) => changes.push(c),
                Err(d) => {
                    out.diagnostics.push(d);
                    errored = true;
                }
            }
        }
    }
    if errored {
        changes.clear();
        for r in &mut rows {
            if r.state == State::Stale {
                r.state = State::Error;
            }
        }
    }
    if m.id.kind == "Job" && !changes.is_empty() {
        out.diagnostics.push(ctx.diag(
            Code::JobTemplateImmutable,
            ann_at,
            m,
            "a Job's pod template cannot change on an existing Job: the new image takes effect only when the Job is recreated".into(),
        ));
    }
    out.changes = changes;
    out.rows = rows;
    out
}

fn image_change(
    ctx: &Context<'_>,
    m: &Manifest<'_, '_>,
    info: &KindInfo,
    a: &Assignment<'_, '_>,
    current: &str,
) -> Result<Change, Diagnostic> {
    let (edit, at, inserted_key) = field_edit(
        &ctx.file.text,
        a.container.image,
        a.container.node,
        "image",
        &a.value,
    );
    let edit = edit.map_err(|e| {
        ctx.diag(
            Code::ImageNotEditable,
            at,
            m,
            format!(
                "container `{}` should become `{}`, but {e}; nothing in this object is changed",
                a.container.name, a.value
            ),
        )
    })?;
    let (line, column) = ctx.file.line_col(at);
    Ok(Change {
        file: ctx.file.display.clone(),
        line,
        column,
        object: m.id.clone(),
        namespace_source: m.namespace_source.clone(),
        container: a.container.name.clone(),
        field: field_path(info.pod_spec, a.container.list, a.container.index),
        old: current.to_string(),
        new: a.value.clone(),
        source: ChangeSource {
            kind: "annotation",
            index: a.trigger,
            from: a.from.clone(),
        },
        resolution: a.resolved.resolution.clone(),
        edit,
        anchor_offset: at,
        inserted_key,
    })
}

/// The edit that makes `key` of `map` hold `value`: a scalar rewrite when the key
/// exists (`node`), else an insertion. Returns the edit, the offset it is
/// reported at, and the inserted key.
pub fn field_edit(
    src: &str,
    node: Option<&Node<'_>>,
    map: &Node<'_>,
    key: &'static str,
    value: &str,
) -> (
    Result<crate::edit::Edit, write::NotEditable>,
    usize,
    Option<&'static str>,
) {
    match node {
        Some(n) => (write::set_scalar(src, n, value), n.span.start, None),
        None => (
            write::insert_entry(src, map, key, value),
            map.span.start,
            Some(key),
        ),
    }
}

/// The container a parsed fieldPath selects, as `findContainerBySelector` does:
/// an index into the named list, or a name searched in init containers first.
fn select<'c, 'd, 'a>(
    target: &fieldpath::Target,
    init: &'c [Container<'d, 'a>],
    regular: &'c [Container<'d, 'a>],
) -> Option<&'c Container<'d, 'a>> {
    match &target.selector {
        Selector::Index(n) => {
            let list = if target.list == ContainerList::Init {
                init
            } else {
                regular
            };
            usize::try_from(*n).ok().and_then(|n| list.get(n))
        }
        Selector::Name { name, .. } => init.iter().chain(regular).find(|c| &c.name == name),
        Selector::Unmatched => None,
    }
}

/// `spec.template.spec.containers[0].image`.
pub fn field_path(pod_spec: &[&str], list: ContainerList, index: usize) -> String {
    format!("{}.{}[{index}].image", pod_spec.join("."), list.key())
}

fn unknown_key_message(i: usize, key: &str) -> String {
    if key.eq_ignore_ascii_case("pause") {
        format!(
            "trigger {i} has the key `pause`, which the cluster ignores (the console once wrote it): the trigger is not paused"
        )
    } else {
        format!("trigger {i} has the unknown key `{key}`, which the cluster ignores")
    }
}

fn not_found_message(nf: &NotFound, ns: &str, name: &str) -> (Code, String) {
    let where_ = if ns.is_empty() {
        "the empty namespace".to_string()
    } else {
        format!("namespace `{ns}`")
    };
    match nf {
        NotFound::NameWithoutTag => (
            Code::TriggerNameWithoutTag,
            format!(
                "from.name `{name}` has no `:tag`, so it never resolves (write `{name}:latest`)"
            ),
        ),
        NotFound::StreamMissing => (
            Code::TagNotFound,
            format!(
                "no ImageStream `{}` in {where_} among the snapshots; trigger skipped",
                name.split(':').next().unwrap_or(name)
            ),
        ),
        NotFound::TagMissing => (
            Code::TagNotFound,
            format!(
                "ImageStreamTag `{name}` in {where_} has no image in the snapshot status; trigger skipped"
            ),
        ),
        NotFound::Conflict(other) => (
            Code::ImagestreamDuplicate,
            format!(
                "ImageStream for `{name}` in {where_} is defined twice with different content (also at {other}); the object is left alone"
            ),
        ),
    }
}
