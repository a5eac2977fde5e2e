//! Local lookup (openshift-reference.md section 8): the ImagePolicy admission
//! plugin's rewrite of short names such as `keycloak:20` when the stream in the
//! object's namespace has `spec.lookupPolicy.local: true`, or of any name when the
//! object carries `alpha.image.policy.openshift.io/resolve-names: "*"`.
//!
//! Evaluated as a CREATE under the default policy, after the triggers, and only for
//! containers no trigger addressed.

use std::sync::Arc;

use crate::diag::Code;
use crate::image_ref::ImageRef;
use crate::manifest::kind::{self, KindInfo};
use crate::manifest::{self, ContainerList, Manifest};

use super::eval::{Context, Evaluation, field_edit, field_path};
use super::{Change, ChangeSource, FromRef, Resolution, State, TriggerRow};

/// The annotation that forces resolution of every name.
pub const RESOLVE_NAMES: &str = "alpha.image.policy.openshift.io/resolve-names";

/// Whether the default ImagePolicy configuration covers this kind (`localNames`).
fn covered(info: &KindInfo, api_version: &str) -> bool {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    match info.kind {
        "Pod" | "ReplicationController" => group.is_empty(),
        "DeploymentConfig" => matches!(group, "apps.openshift.io" | ""),
        "Deployment" | "DaemonSet" | "ReplicaSet" => matches!(group, "apps" | "extensions"),
        "StatefulSet" => group == "apps",
        "Job" | "CronJob" => group == "batch",
        _ => false,
    }
}

/// Evaluate local lookup for `m`; `addressed` lists the containers a trigger addresses.
pub fn evaluate(
    ctx: &Context<'_>,
    m: &Manifest<'_, '_>,
    addressed: &[(ContainerList, usize)],
) -> Evaluation {
    let mut out = Evaluation::default();
    let Some(info) = kind::lookup(&m.id.api_version, &m.id.kind) else {
        return out;
    };
    if !covered(info, &m.id.api_version) {
        return out;
    }
    let doc = m.document;
    // Objects with a controller owner were admitted through their owner.
    let owned = m
        .at(&["metadata", "ownerReferences"])
        .map(|o| o.items())
        .unwrap_or_default()
        .iter()
        .any(|o| {
            doc.resolve(o)
                .path(doc, &["controller"])
                .and_then(|c| c.as_str())
                == Some("true")
        });
    if owned {
        return out;
    }
    let Some(pod_spec) = m.at(info.pod_spec) else {
        return out;
    };
    // `resolve-names` on the pod template, else on the object.
    let template_meta: Vec<&str> = match info.pod_spec.split_last() {
        Some((_, parent)) if !parent.is_empty() => parent.to_vec(),
        _ => Vec::new(),
    };
    let on_template = (!template_meta.is_empty())
        .then(|| {
            let mut p = template_meta.clone();
            p.extend(["metadata", "annotations", RESOLVE_NAMES]);
            m.at(&p)
        })
        .flatten();
    let annotation = on_template.or_else(|| m.annotation(RESOLVE_NAMES));
    let force = match annotation {
        None => false,
        Some(n) => {
            let v = doc.resolve(n).as_str().unwrap_or_default();
            if v != "*" {
                out.diagnostics.push(ctx.diag(
                    Code::ResolveNamesValue,
                    n.span.start,
                    m,
                    format!("`{RESOLVE_NAMES}` is `{v}`, not `*`: the cluster ignores it"),
                ));
            }
            v == "*"
        }
    };
    let registry = ctx
        .settings
        .internal_registry
        .as_deref()
        .unwrap_or_default();
    let containers = manifest::containers(doc, pod_spec, ContainerList::Init)
        .into_iter()
        .chain(manifest::containers(doc, pod_spec, ContainerList::Regular));
    for c in containers {
        if addressed.contains(&(c.list, c.index)) {
            continue;
        }
        let image = c.image_value(doc);
        let Ok(r) = ImageRef::parse(image) else {
            continue;
        };
        if !r.id.is_empty() {
            continue;
        }
        let single = r.is_single_segment();
        let integrated = !registry.is_empty() && r.registry == registry;
        if !(force || single || integrated) {
            continue;
        }
        let namespace = if r.namespace.is_empty() || force {
            m.id.namespace.clone()
        } else {
            r.namespace.clone()
        };
        let tag = if r.tag.is_empty() {
            "latest".to_string()
        } else {
            r.tag.clone()
        };
        let Some(snap) = ctx.index.get(&namespace, &r.name) else {
            continue;
        };
        if snap.conflict.is_some() {
            continue;
        }
        let stream = &snap.stream;
        // Only names the plugin may rewrite: forced, or short with lookup on.
        let rewritable = force || (single && stream.lookup_local);
        if !rewritable {
            continue;
        }
        let event = stream
            .latest_tagged_image(&tag)
            .filter(|e| !e.image.is_empty());
        let (value, resolution) = match event {
            Some(e) => {
                let policy = stream
                    .spec_tag(&tag)
                    .map_or("Source", |s| s.reference_policy.as_str());
                let pull = stream.reference_for_event(policy, e, &stream.docker_image_repository);
                let Ok(mut resolved) = ImageRef::parse(&pull) else {
                    continue;
                };
                resolved.tag.clear();
                resolved.id = e.image.clone();
                (
                    resolved.exact(),
                    Arc::new(Resolution {
                        snapshot: snap.file.clone(),
                        tag: tag.clone(),
                        image: e.image.clone(),
                        created: e.created.clone(),
                        reference_policy: policy.to_string(),
                    }),
                )
            }
            None if !stream.docker_image_repository.is_empty() => (
                format!("{}:{tag}", stream.docker_image_repository),
                Arc::new(Resolution {
                    snapshot: snap.file.clone(),
                    tag: tag.clone(),
                    image: String::new(),
                    created: String::new(),
                    reference_policy: String::new(),
                }),
            ),
            None => continue,
        };
        let at = c.image.map_or(c.node.span.start, |n| n.span.start);
        let istag = format!("{}:{tag}", r.name);
        let source = if namespace != m.id.namespace {
            format!("{namespace}/{istag}")
        } else {
            istag.clone()
        };
        out.rows.push(TriggerRow {
            file: ctx.file.display.clone(),
            line: ctx.file.line_col(at).0,
            object: m.id.clone(),
            namespace_source: m.namespace_source.clone(),
            kind: "local-lookup",
            index: c.index,
            container: Some(c.name.clone()),
            source: source.clone(),
            resolved: Some(value.clone()),
            state: if value == image {
                State::Pinned
            } else {
                State::Stale
            },
        });
        if value == image {
            continue;
        }
        if resolution.image.is_empty() {
            out.diagnostics.push(ctx.diag(
                Code::PinNotDigest,
                at,
                m,
                format!("`{image}` has no image in the snapshot yet: the cluster writes `{value}`, a tag, not a digest"),
            ));
        }
        out.diagnostics.push(ctx.diag(
            Code::LookupWithoutTrigger,
            at,
            m,
            format!(
                "container `{}` uses `{image}` without a trigger: the cluster pins it to `{value}` once, when the object is created, and never rolls it forward; add a trigger for `{istag}`",
                c.name
            ),
        ));
        let (edit, at, inserted_key) = field_edit(&ctx.file.text, c.image, c.node, "image", &value);
        let edit = match edit {
            Ok(e) => e,
            Err(e) => {
                out.diagnostics.push(ctx.diag(
                    Code::ImageNotEditable,
                    at,
                    m,
                    format!("container `{}` should become `{value}`, but {e}", c.name),
                ));
                continue;
            }
        };
        let (line, column) = ctx.file.line_col(at);
        out.changes.push(Change {
            file: ctx.file.display.clone(),
            line,
            column,
            object: m.id.clone(),
            namespace_source: m.namespace_source.clone(),
            container: c.name.clone(),
            field: field_path(info.pod_spec, c.list, c.index),
            old: image.to_string(),
            new: value,
            source: ChangeSource {
                kind: "local-lookup",
                index: c.index,
                from: FromRef {
                    kind: "ImageStreamTag".into(),
                    namespace,
                    name: istag,
                },
            },
            resolution,
            edit,
            anchor_offset: at,
            inserted_key,
        });
    }
    out
}
