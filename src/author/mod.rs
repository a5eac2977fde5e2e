//! The authoring verbs' common ground: find objects by `kind/name` in a tree,
//! hand them to a verb as JSON values, and turn the values the verb wants back
//! into verified file text.
//!
//! A verb never touches bytes. It says "this object should now be this value";
//! `render` asks `manifest::patch` for the edits, applies them, parses the
//! result again and checks that every document reads back exactly as wanted
//! (and every other document as it was) before a `FilePlan` exists.

pub mod import;
pub mod lookup;
pub mod tabwriter;
pub mod tag;
pub mod triggers;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use crate::diag::Diagnostic;
use crate::discover::{self, DiscoverOptions, FileEntry, ReadLimits};
use crate::edit;
use crate::manifest::{self, ObjectId, patch, yaml};
use crate::plan::FilePlan;
use crate::source::SourceFile;

/// The files under the `-f` paths, read once.
#[derive(Debug, Default)]
pub struct Workspace {
    /// The files read, in path order.
    pub files: Vec<(FileEntry, SourceFile)>,
    /// Files that could not be read or parsed.
    pub diagnostics: Vec<Diagnostic>,
    /// `-n`: the namespace of objects that have none.
    pub namespace: Option<String>,
    /// What a file may cost to read and parse.
    pub limits: ReadLimits,
}

/// One object found in the workspace.
#[derive(Debug, Clone)]
pub struct Object {
    /// Index into `Workspace::files`.
    pub file: usize,
    /// Document index in that file.
    pub doc: usize,
    /// Position in the document's `items` when the document is a List.
    pub item: Option<usize>,
    /// Identity (namespace as inherited).
    pub id: ObjectId,
    /// The object as a JSON value.
    pub value: Value,
    /// 1-based line of the object.
    pub line: usize,
}

impl Workspace {
    /// Walk `paths` and read every manifest within `limits`.
    pub fn load(
        paths: &[PathBuf],
        namespace: Option<String>,
        limits: ReadLimits,
    ) -> anyhow::Result<Workspace> {
        let found = discover::discover(&DiscoverOptions {
            paths: paths.to_vec(),
            ..Default::default()
        })?;
        let mut ws = Workspace {
            diagnostics: found.diagnostics,
            namespace: namespace.filter(|n| !n.is_empty()),
            limits,
            ..Default::default()
        };
        for e in found.files.iter() {
            match discover::read(&e, limits) {
                Ok(s) => ws.files.push((e, s)),
                Err(d) => ws.diagnostics.push(d),
            }
        }
        Ok(ws)
    }

    /// Every object, in path and document order. Files that do not parse are
    /// reported once in `diagnostics`.
    pub fn objects(&mut self) -> Vec<Object> {
        let mut out = Vec::new();
        let mut bad = Vec::new();
        for (fi, (entry, source)) in self.files.iter().enumerate() {
            let docs = match yaml::parse_with_limits(&source.text, self.limits.parse) {
                Ok(d) => d,
                Err(e) => {
                    bad.push(Diagnostic::new(
                        e.code(),
                        &source.display,
                        source.line_col(e.offset),
                        format!("{}; nothing in this file is read or changed", e.message),
                    ));
                    continue;
                }
            };
            let inherited = discover::inherited(entry, self.namespace.as_deref());
            for m in manifest::objects(&docs, &inherited) {
                let doc = &docs[m.doc];
                let root = doc.resolve(&doc.root);
                let item = root
                    .get_in(doc, "items")
                    .filter(|_| !std::ptr::eq(root, m.node))
                    .and_then(|items| {
                        items
                            .items()
                            .iter()
                            .position(|i| std::ptr::eq(doc.resolve(i), m.node))
                    });
                out.push(Object {
                    file: fi,
                    doc: m.doc,
                    item,
                    id: ObjectId::clone(&m.id),
                    value: m.node.to_json(doc),
                    line: source.line_col(m.node.span.start).0,
                });
            }
        }
        self.diagnostics.extend(bad);
        out
    }

    /// The display path of an object's file.
    pub fn display(&self, o: &Object) -> &str {
        &self.files[o.file].1.display
    }
}

/// A resource argument: `kind/name`, `kind.group/name`, or a bare kind followed
/// by names (`deploy web api`), as `oc` takes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceArg {
    /// The canonical kind (`Deployment`).
    pub kind: &'static str,
    /// The object name.
    pub name: String,
}

/// Kinds the verbs know, with the names `oc` accepts for them.
const KIND_NAMES: &[(&str, &[&str])] = &[
    ("Deployment", &["deployment", "deployments", "deploy"]),
    ("StatefulSet", &["statefulset", "statefulsets", "sts"]),
    ("DaemonSet", &["daemonset", "daemonsets", "ds"]),
    ("CronJob", &["cronjob", "cronjobs", "cj"]),
    ("Job", &["job", "jobs"]),
    ("Pod", &["pod", "pods", "po"]),
    ("ReplicaSet", &["replicaset", "replicasets", "rs"]),
    (
        "ReplicationController",
        &["replicationcontroller", "replicationcontrollers", "rc"],
    ),
    (
        "DeploymentConfig",
        &["deploymentconfig", "deploymentconfigs", "dc"],
    ),
    ("BuildConfig", &["buildconfig", "buildconfigs", "bc"]),
    ("ImageStream", &["imagestream", "imagestreams", "is"]),
];

/// The canonical kind for a kind name as typed (`deploy`, `Deployment`,
/// `deployments.apps`).
pub fn kind_for(typed: &str) -> Option<&'static str> {
    let lower = typed.to_ascii_lowercase();
    let bare = lower.split('.').next().unwrap_or_default();
    KIND_NAMES
        .iter()
        .find(|(k, names)| k.eq_ignore_ascii_case(bare) || names.contains(&bare))
        .map(|(k, _)| *k)
}

/// The resource plural `oc` prints for a kind (`deployments`).
pub fn plural(kind: &str) -> String {
    KIND_NAMES
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, names)| names[1].to_string())
        .unwrap_or_else(|| format!("{}s", kind.to_ascii_lowercase()))
}

/// Parse resource arguments.
pub fn parse_resources(args: &[String]) -> Result<Vec<ResourceArg>, String> {
    let mut out = Vec::new();
    let mut iter = args.iter().peekable();
    while let Some(a) = iter.next() {
        if let Some((kind, name)) = a.split_once('/') {
            let k = kind_for(kind)
                .ok_or_else(|| format!("the server doesn't have a resource type \"{kind}\""))?;
            if name.is_empty() || name.contains('/') {
                return Err(format!(
                    "arguments in resource/name form must have a single resource and name: {a}"
                ));
            }
            out.push(ResourceArg {
                kind: k,
                name: name.to_string(),
            });
        } else {
            let k = kind_for(a)
                .ok_or_else(|| format!("the server doesn't have a resource type \"{a}\""))?;
            let mut any = false;
            while let Some(n) = iter.next_if(|n| !n.contains('/')) {
                out.push(ResourceArg {
                    kind: k,
                    name: n.clone(),
                });
                any = true;
            }
            if !any {
                return Err(format!("a resource name is required after \"{a}\""));
            }
        }
    }
    Ok(out)
}

/// Find the object a resource argument names. `-n` narrows it; without it a
/// name found in several namespaces is an error naming them.
pub fn find<'o>(
    objects: &'o [Object],
    r: &ResourceArg,
    namespace: Option<&str>,
) -> Result<&'o Object, String> {
    let hits: Vec<&Object> = objects
        .iter()
        .filter(|o| o.id.kind == r.kind && o.id.name == r.name)
        .filter(|o| namespace.is_none_or(|ns| o.id.namespace == ns))
        .collect();
    match hits.as_slice() {
        [] => Err(format!(
            "{}/{} not found{}",
            plural(r.kind),
            r.name,
            namespace
                .map(|n| format!(" in namespace {n}"))
                .unwrap_or_default()
        )),
        [one] => Ok(one),
        many => {
            let nss: Vec<&str> = many.iter().map(|o| o.id.namespace.as_str()).collect();
            Err(format!(
                "{}/{} is defined {} times (namespaces: {}); choose one with -n",
                plural(r.kind),
                r.name,
                many.len(),
                nss.join(", ")
            ))
        }
    }
}

/// A file that cannot be rewritten, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError {
    /// Display path.
    pub file: String,
    /// What went wrong.
    pub message: String,
}

/// Turn the wanted objects into verified new file text, one `FilePlan` per file
/// that changes. `wanted` holds (object as found, the value it should have).
pub fn render(
    ws: &Workspace,
    wanted: &[(Object, Value)],
) -> Result<Vec<FilePlan>, Vec<RenderError>> {
    let mut by_file: BTreeMap<usize, Vec<&(Object, Value)>> = BTreeMap::new();
    for w in wanted {
        if w.0.value != w.1 {
            by_file.entry(w.0.file).or_default().push(w);
        }
    }
    let mut plans = Vec::new();
    let mut errors = Vec::new();
    for (fi, list) in by_file {
        let source = &ws.files[fi].1;
        match render_file(source, &list, ws.limits.parse) {
            Ok(new) => plans.push(FilePlan {
                display: source.display.clone(),
                path: ws.files[fi].0.real.clone(),
                old: source.text.clone(),
                new,
            }),
            Err(message) => errors.push(RenderError {
                file: source.display.clone(),
                message,
            }),
        }
    }
    if errors.is_empty() {
        Ok(plans)
    } else {
        Err(errors)
    }
}

fn render_file(
    source: &SourceFile,
    list: &[&(Object, Value)],
    limits: yaml::ParseLimits,
) -> Result<String, String> {
    let docs = yaml::parse_with_limits(&source.text, limits).map_err(|e| e.message)?;
    let mut want: Vec<Value> = docs.iter().map(|d| d.root.to_json(d)).collect();
    for (o, v) in list {
        let root = want
            .get_mut(o.doc)
            .ok_or_else(|| "the file changed while it was read".to_string())?;
        match o.item {
            None => *root = v.clone(),
            Some(i) => root["items"][i] = v.clone(),
        }
    }
    let mut edits = Vec::new();
    for (doc, w) in docs.iter().zip(&want) {
        edits.extend(patch::patch(&source.text, doc, w).map_err(|e| e.0)?);
    }
    let new = edit::apply(&source.text, &edits).map_err(|e| e.to_string())?;
    // Verify: every document reads back as wanted, nothing else moved.
    let again = yaml::parse_with_limits(&new, limits).map_err(|e| {
        format!(
            "the edited text does not parse ({}); nothing was written",
            e.message
        )
    })?;
    let got: Vec<Value> = again.iter().map(|d| d.root.to_json(d)).collect();
    if got != want {
        return Err("the edited text does not read back as intended; nothing was written".into());
    }
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_arguments() {
        let args: Vec<String> = ["deploy/web", "deployment.apps/api", "dc", "a", "b"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let r = parse_resources(&args).unwrap();
        assert_eq!(r.len(), 4);
        assert_eq!(r[1].kind, "Deployment");
        assert_eq!(r[3].kind, "DeploymentConfig");
        assert!(parse_resources(&["widget/x".to_string()]).is_err());
        assert!(parse_resources(&["deploy".to_string()]).is_err());
        assert_eq!(plural("BuildConfig"), "buildconfigs");
    }
}
