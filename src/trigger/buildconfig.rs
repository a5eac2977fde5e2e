//! BuildConfig ImageChange triggers (openshift-reference.md section 6.2): which
//! build OpenShift's `buildConfigReactor` would request. Nothing in the
//! BuildConfig is rewritten; the result is a `Build` report.

use crate::diag::Code;
use crate::manifest::Manifest;
use crate::manifest::yaml::Node;

use super::eval::{Context, Evaluation};
use super::{Build, BuildCause, State, TriggerRow};

/// `{kind, namespace, name}` as written in a BuildConfig.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ref {
    kind: String,
    namespace: String,
    name: String,
}

fn read_ref(m: &Manifest<'_, '_>, node: &Node<'_>) -> Ref {
    let doc = m.document;
    let text = |k: &str| {
        node.get_in(doc, k)
            .and_then(|n| n.as_str())
            .unwrap_or_default()
            .to_string()
    };
    Ref {
        kind: text("kind"),
        namespace: text("namespace"),
        name: text("name"),
    }
}

/// The namespace a reference is looked up in (its own, else the BuildConfig's),
/// and how it is shown: `is:tag`, or `ns/is:tag` across namespaces.
fn shown(m: &Manifest<'_, '_>, from: &Ref) -> (String, String) {
    let namespace = if from.namespace.is_empty() {
        m.id.namespace.clone()
    } else {
        from.namespace.clone()
    };
    let text = if namespace != m.id.namespace {
        format!("{namespace}/{}", from.name)
    } else {
        from.name.clone()
    };
    (namespace, text)
}

/// `GetInputReference`: the strategy's `from` (source, docker, then custom).
fn strategy_from(m: &Manifest<'_, '_>) -> Option<Ref> {
    ["sourceStrategy", "dockerStrategy", "customStrategy"]
        .iter()
        .find_map(|s| m.at(&["spec", "strategy", s, "from"]))
        .filter(|n| n.is_map())
        .map(|n| read_ref(m, n))
}

/// Evaluate a BuildConfig's ImageChange triggers.
pub fn evaluate(ctx: &Context<'_>, m: &Manifest<'_, '_>) -> Evaluation {
    let mut out = Evaluation::default();
    let doc = m.document;
    let triggers = m
        .at(&["spec", "triggers"])
        .map(|t| t.items())
        .unwrap_or_default();
    // Status entries: (from namespace, from name) -> lastTriggeredImageID.
    let status: Vec<(String, String, String)> = m
        .at(&["status", "imageChangeTriggers"])
        .map(|t| t.items())
        .unwrap_or_default()
        .iter()
        .map(|e| {
            let e = doc.resolve(e);
            let s = |p: &[&str]| {
                e.path(doc, p)
                    .and_then(|n| n.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            (
                s(&["from", "namespace"]),
                s(&["from", "name"]),
                s(&["lastTriggeredImageID"]),
            )
        })
        .collect();
    let mut fired: Vec<(Ref, String)> = Vec::new();
    let mut request: Option<(Ref, String, usize)> = None;
    let mut causes = Vec::new();
    for (index, t) in triggers.iter().enumerate() {
        let t = doc.resolve(t);
        let is_image_change = t.get_in(doc, "type").and_then(|n| n.as_str()) == Some("ImageChange");
        // API default: `{type: ImageChange}` without `imageChange` means `imageChange: {}`.
        let params = t.get_in(doc, "imageChange").filter(|p| p.is_map());
        if params.is_none() && !is_image_change {
            continue;
        }
        let explicit = params
            .and_then(|p| p.get_in(doc, "from"))
            .filter(|f| f.is_map())
            .map(|f| read_ref(m, f));
        if explicit
            .as_ref()
            .is_some_and(|f| f.kind != "ImageStreamTag")
        {
            continue;
        }
        let at = params.map_or(t.span.start, |p| p.span.start);
        let Some(from) = explicit.or_else(|| strategy_from(m)) else {
            out.diagnostics.push(ctx.diag(
                Code::ObjectInvalid,
                at,
                m,
                format!("trigger {index} has no `from` and the build strategy has none either"),
            ));
            continue;
        };
        let (namespace, source) = shown(m, &from);
        let paused = params
            .and_then(|p| p.get_in(doc, "paused"))
            .and_then(|n| n.as_str())
            == Some("true");
        let row = |resolved: Option<String>, state| TriggerRow {
            file: ctx.file.display.clone(),
            line: ctx.file.line_col(at).0,
            object: m.id.clone(),
            namespace_source: m.namespace_source.clone(),
            kind: "buildconfig",
            index,
            container: None,
            source: source.clone(),
            resolved,
            state,
        };
        if paused {
            out.rows.push(row(None, State::Paused));
            continue;
        }
        let (latest, new_source) = match fired.iter().find(|(f, _)| f == &from) {
            Some((_, latest)) => (latest.clone(), false),
            None => match ctx.index.resolve(
                &namespace,
                &from.name,
                ctx.settings.internal_registry.as_deref(),
            ) {
                Ok(r) => (r.reference.clone(), true),
                Err(_) => {
                    out.rows.push(row(None, State::Unresolved));
                    continue;
                }
            },
        };
        let spec_last = params
            .and_then(|p| p.get_in(doc, "lastTriggeredImageID"))
            .and_then(|n| n.as_str())
            .unwrap_or_default();
        let status_last = status
            .iter()
            .find(|(ns, name, _)| ns == &from.namespace && name == &from.name)
            .map(|(_, _, last)| last.as_str())
            .unwrap_or_default();
        if latest == spec_last || latest == status_last {
            out.rows.push(row(Some(latest), State::Pinned));
            continue;
        }
        out.rows.push(row(Some(latest.clone()), State::Stale));
        fired.retain(|(f, _)| f != &from);
        fired.push((from.clone(), latest.clone()));
        if request.is_none() {
            request = Some((from.clone(), latest.clone(), at));
        }
        if new_source {
            causes.push(BuildCause {
                from: source.clone(),
                image_id: latest,
            });
        }
    }
    if let Some((from, latest, at)) = request {
        let (_, from_text) = shown(m, &from);
        let triggered_by: Vec<&str> = causes.iter().map(|c| c.from.as_str()).collect();
        out.diagnostics.push(ctx.diag(
            Code::BuildTriggered,
            at,
            m,
            format!(
                "would build {} from `{latest}`, triggered by {}",
                m.id.describe(),
                triggered_by.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
            ),
        ));
        out.builds.push(Build {
            file: ctx.file.display.clone(),
            line: ctx.file.line_col(m.node.span.start).0,
            object: m.id.clone(),
            from: from_text,
            reference: latest,
            causes,
        });
    }
    out
}
