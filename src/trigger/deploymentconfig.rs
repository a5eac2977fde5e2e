//! DeploymentConfig ImageChange triggers (openshift-reference.md section 6.1):
//! the controller's `UpdateDeploymentConfigImages` by default, and with
//! `include_manual` the API server's `processTriggers` (`oc rollout latest`).
//!
//! Writes the named containers' `image` and the trigger's `lastTriggeredImage`,
//! all or nothing per DeploymentConfig.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::diag::Code;
use crate::manifest::yaml::Node;
use crate::manifest::{self, Container, ContainerList, Manifest};

use super::eval::{Context, Evaluation, field_edit, field_path};
use super::{Change, ChangeSource, FromRef, Resolution, State, TriggerRow};

const POD_SPEC: &[&str] = &["spec", "template", "spec"];

/// One `spec.triggers[]` entry with its API defaults applied.
struct DcTrigger<'d, 'a> {
    index: usize,
    is_image_change_type: bool,
    params: Option<&'d Node<'a>>,
    kind: String,
    name: String,
    namespace: String,
    automatic: bool,
    container_names: Vec<String>,
    last: Option<&'d Node<'a>>,
    last_value: String,
}

fn read_triggers<'d, 'a>(m: &Manifest<'d, 'a>) -> Vec<DcTrigger<'d, 'a>> {
    let doc = m.document;
    let text = |n: &Node<'_>, path: &[&str]| {
        n.path(doc, path)
            .and_then(|x| x.as_str())
            .unwrap_or_default()
            .to_string()
    };
    m.at(&["spec", "triggers"])
        .map(|t| t.items())
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(index, t)| {
            let t = doc.resolve(t);
            let params = t.get_in(doc, "imageChangeParams").filter(|p| p.is_map());
            let p = |path: &[&str]| params.map(|n| text(n, path)).unwrap_or_default();
            let kind = p(&["from", "kind"]);
            let namespace = p(&["from", "namespace"]);
            let last = params.and_then(|n| n.get("lastTriggeredImage"));
            DcTrigger {
                index,
                is_image_change_type: text(t, &["type"]) == "ImageChange",
                params,
                // API defaults: empty kind is ImageStreamTag, empty namespace the DC's.
                kind: if kind.is_empty() {
                    "ImageStreamTag".into()
                } else {
                    kind
                },
                name: p(&["from", "name"]),
                namespace: if namespace.is_empty() {
                    m.id.namespace.clone()
                } else {
                    namespace
                },
                automatic: p(&["automatic"]) == "true",
                container_names: params
                    .and_then(|n| n.get_in(doc, "containerNames"))
                    .map(|c| c.items())
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|c| doc.resolve(c).as_str().map(str::to_string))
                    .collect(),
                last,
                last_value: last
                    .map(|n| doc.resolve(n))
                    .and_then(|n| n.as_str())
                    .unwrap_or_default()
                    .to_string(),
            }
        })
        .collect()
}

/// A container's desired image: the value, the trigger that set it, and how it
/// was resolved.
type Desired = (String, usize, Option<Arc<Resolution>>);

/// What a trigger resolved to.
struct Resolved {
    value: String,
    resolution: Option<Arc<Resolution>>,
}

/// Evaluate the ImageChange triggers of a DeploymentConfig.
pub fn evaluate(ctx: &Context<'_>, m: &Manifest<'_, '_>, include_manual: bool) -> Evaluation {
    let mut out = Evaluation::default();
    let triggers = read_triggers(m);
    let relevant: Vec<&DcTrigger<'_, '_>> = triggers
        .iter()
        .filter(|t| t.params.is_some() && t.kind == "ImageStreamTag")
        .collect();
    if relevant.is_empty() {
        return out;
    }
    let doc = m.document;
    let src = &ctx.file.text;
    let row = |t: &DcTrigger<'_, '_>, resolved: Option<String>, state| TriggerRow {
        file: ctx.file.display.clone(),
        line: ctx
            .file
            .line_col(t.params.map_or(m.node.span.start, |p| p.span.start))
            .0,
        object: m.id.clone(),
        namespace_source: m.namespace_source.clone(),
        kind: "deploymentconfig",
        index: t.index,
        container: Some(t.container_names.join(", ")),
        source: if t.namespace != m.id.namespace {
            format!("{}/{}", t.namespace, t.name)
        } else {
            t.name.clone()
        },
        resolved,
        state,
    };
    let Some(pod_spec) = m.at(POD_SPEC) else {
        if relevant.iter().any(|t| t.automatic || include_manual) {
            out.diagnostics.push(ctx.diag(
                Code::ObjectInvalid,
                m.node.span.start,
                m,
                "the DeploymentConfig has no `spec.template` (OpenShift's controller crashes on it); its triggers are not evaluated".into(),
            ));
            out.rows
                .extend(relevant.iter().map(|t| row(t, None, State::Error)));
        }
        return out;
    };
    let init = manifest::containers(doc, pod_spec, ContainerList::Init);
    let regular = manifest::containers(doc, pod_spec, ContainerList::Regular);
    for c in init.iter().chain(regular.iter()) {
        if relevant.iter().any(|t| t.container_names.contains(&c.name)) {
            out.addressed.push((c.list, c.index));
        }
    }
    let all: Vec<&Container<'_, '_>> = init.iter().chain(regular.iter()).collect();
    // Desired state, simulated in trigger order as the Go code mutates the object.
    let mut images: BTreeMap<(ContainerList, usize), Desired> = BTreeMap::new();
    let mut lasts: BTreeMap<usize, String> = BTreeMap::new();
    let current_image = |c: &Container<'_, '_>, images: &BTreeMap<_, Desired>| {
        images
            .get(&(c.list, c.index))
            .map(|(v, _, _)| v.clone())
            .unwrap_or_else(|| c.image_value(doc).to_string())
    };
    let mut rows = Vec::new();
    for t in &relevant {
        let acts = if include_manual {
            t.is_image_change_type
        } else {
            t.automatic
        };
        if !acts {
            rows.push(row(t, None, State::Manual));
            continue;
        }
        let resolved = if include_manual {
            resolve_for_instantiate(ctx, t)
        } else {
            resolve_for_controller(ctx, m, t, &mut out)
        };
        let Some(r) = resolved else {
            if !include_manual && t.last_value.is_empty() {
                out.diagnostics.push(ctx.diag(
                    Code::DcBlocked,
                    t.params.map_or(m.node.span.start, |p| p.span.start),
                    m,
                    format!(
                        "trigger {} (`{}`) does not resolve and has no `lastTriggeredImage`: OpenShift leaves the whole DeploymentConfig alone until it does",
                        t.index, t.name
                    ),
                ));
                rows.push(row(t, None, State::Unresolved));
                let mut rest: Vec<TriggerRow> = relevant
                    .iter()
                    .filter(|o| o.index > t.index)
                    .map(|o| row(o, None, State::Error))
                    .collect();
                for r in &mut rows {
                    if r.state == State::Stale {
                        r.state = State::Error;
                    }
                }
                rows.append(&mut rest);
                out.rows = rows;
                out.changes.clear();
                return out;
            }
            rows.push(row(t, None, State::Unresolved));
            continue;
        };
        let value = r.value.clone();
        let mut changed = false;
        if include_manual {
            // processTriggers: nothing when the value equals lastTriggeredImage;
            // lastTriggeredImage moves only with a container that matched.
            if value.is_empty() || value == current_last(&lasts, t) {
                rows.push(row(t, Some(value), State::Pinned));
                continue;
            }
            for c in regular.iter().chain(init.iter()) {
                if !t.container_names.contains(&c.name) {
                    continue;
                }
                if current_image(c, &images) != value || current_last(&lasts, t) != value {
                    images.insert(
                        (c.list, c.index),
                        (value.clone(), t.index, r.resolution.clone()),
                    );
                    lasts.insert(t.index, value.clone());
                    changed = true;
                }
            }
        } else {
            if current_last(&lasts, t) != value {
                lasts.insert(t.index, value.clone());
                changed = true;
            }
            for c in &all {
                if t.container_names.contains(&c.name) && current_image(c, &images) != value {
                    images.insert(
                        (c.list, c.index),
                        (value.clone(), t.index, r.resolution.clone()),
                    );
                    changed = true;
                }
            }
        }
        rows.push(row(
            t,
            Some(value),
            if changed { State::Stale } else { State::Pinned },
        ));
    }

    // Turn the desired state into edits: the containers' images, then each
    // trigger's lastTriggeredImage.
    struct Field<'n, 'd, 'a> {
        node: Option<&'n Node<'a>>,
        map: &'n Node<'a>,
        key: &'static str,
        container: String,
        field: String,
        old: String,
        new: &'n String,
        trigger: &'n DcTrigger<'d, 'a>,
        resolution: Option<Arc<Resolution>>,
    }
    let mut fields = Vec::new();
    for c in &all {
        let Some((value, trigger, resolution)) = images.get(&(c.list, c.index)) else {
            continue;
        };
        let old = c.image_value(doc);
        if old != value {
            fields.push(Field {
                node: c.image,
                map: c.node,
                key: "image",
                container: c.name.clone(),
                field: field_path(POD_SPEC, c.list, c.index),
                old: old.to_string(),
                new: value,
                trigger: &triggers[*trigger],
                resolution: resolution.clone(),
            });
        }
    }
    for (index, value) in &lasts {
        let t = &triggers[*index];
        if let Some(params) = t.params.filter(|_| &t.last_value != value) {
            fields.push(Field {
                node: t.last,
                map: params,
                key: "lastTriggeredImage",
                container: String::new(),
                field: format!("spec.triggers[{index}].imageChangeParams.lastTriggeredImage"),
                old: t.last_value.clone(),
                new: value,
                trigger: t,
                resolution: None,
            });
        }
    }
    let mut changes = Vec::new();
    let mut failed = false;
    for f in fields {
        let (edit, at, inserted_key) = field_edit(src, f.node, f.map, f.key, f.new);
        match edit {
            Ok(edit) => changes.push(change(
                ctx,
                m,
                at,
                f.container,
                f.field,
                f.old,
                f.new.clone(),
                f.trigger,
                f.resolution,
                edit,
                inserted_key,
            )),
            Err(e) => {
                failed = true;
                let what = if f.container.is_empty() {
                    "`lastTriggeredImage`".to_string()
                } else {
                    format!("container `{}`", f.container)
                };
                out.diagnostics.push(ctx.diag(
                    Code::ImageNotEditable,
                    at,
                    m,
                    format!(
                        "{what} should become `{}`, but {e}; nothing in this object is changed",
                        f.new
                    ),
                ));
            }
        }
    }
    if failed {
        changes.clear();
        for r in &mut rows {
            if r.state == State::Stale {
                r.state = State::Error;
            }
        }
    }
    out.changes = changes;
    out.rows = rows;
    out
}

fn current_last(lasts: &BTreeMap<usize, String>, t: &DcTrigger<'_, '_>) -> String {
    lasts
        .get(&t.index)
        .cloned()
        .unwrap_or_else(|| t.last_value.clone())
}

/// The controller's tag retriever; an empty result falls back to lastTriggeredImage.
fn resolve_for_controller(
    ctx: &Context<'_>,
    m: &Manifest<'_, '_>,
    t: &DcTrigger<'_, '_>,
    out: &mut Evaluation,
) -> Option<Resolved> {
    let at = t.params.map_or(m.node.span.start, |p| p.span.start);
    match ctx.index.resolve(
        &t.namespace,
        &t.name,
        ctx.settings.internal_registry.as_deref(),
    ) {
        Ok(r) => {
            for c in &r.completions {
                out.diagnostics
                    .push(ctx.diag(Code::SnapshotCompleted, at, m, c.clone()));
            }
            let value = if r.reference.is_empty() {
                t.last_value.clone()
            } else {
                r.reference.clone()
            };
            Some(Resolved {
                value,
                resolution: Some(resolution(&r)),
            })
        }
        Err(_) if !t.last_value.is_empty() => {
            out.diagnostics.push(ctx.diag(
                Code::TagNotFound,
                at,
                m,
                format!(
                    "trigger {} (`{}`) does not resolve: OpenShift keeps its containers at `lastTriggeredImage` `{}`",
                    t.index, t.name, t.last_value
                ),
            ));
            Some(Resolved {
                value: t.last_value.clone(),
                resolution: None,
            })
        }
        Err(_) => None,
    }
}

/// `processTriggers`: `ResolveLatestTaggedImage` on the stream in the trigger's
/// namespace. Unlike the controller it reads a name without `:` as `name:latest`
/// and never substitutes the internal registry host.
fn resolve_for_instantiate(ctx: &Context<'_>, t: &DcTrigger<'_, '_>) -> Option<Resolved> {
    let (name, tag, _) = crate::imagestream::split_image_stream_tag(&t.name);
    let r = ctx
        .index
        .resolve(&t.namespace, &format!("{name}:{tag}"), None)
        .ok()?;
    Some(Resolved {
        value: r.reference.clone(),
        resolution: Some(resolution(&r)),
    })
}

fn resolution(r: &crate::imagestream::Resolved) -> Arc<Resolution> {
    r.resolution.clone()
}

#[allow(clippy::too_many_arguments)]
fn change(
    ctx: &Context<'_>,
    m: &Manifest<'_, '_>,
    at: usize,
    container: String,
    field: String,
    old: String,
    new: String,
    t: &DcTrigger<'_, '_>,
    resolution: Option<Arc<Resolution>>,
    edit: crate::edit::Edit,
    inserted_key: Option<&'static str>,
) -> Change {
    let (line, column) = ctx.file.line_col(at);
    Change {
        file: ctx.file.display.clone(),
        line,
        column,
        object: m.id.clone(),
        namespace_source: m.namespace_source.clone(),
        container,
        field,
        old,
        new: new.clone(),
        source: ChangeSource {
            kind: "deploymentconfig",
            index: t.index,
            from: FromRef {
                kind: t.kind.clone(),
                namespace: t.namespace.clone(),
                name: t.name.clone(),
            },
        },
        resolution: resolution.unwrap_or_default(),
        edit,
        anchor_offset: at,
        inserted_key,
    }
}
