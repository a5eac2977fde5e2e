//! Manifests: the Kubernetes objects inside parsed YAML documents.
//!
//! Finds objects (top-level documents and the items of `kind: List` / `*List`),
//! reads their identity and namespace, and locates containers. It reads; it never
//! decides or mutates.

pub mod fast;
pub mod kind;
pub mod patch;
pub mod write;
pub mod yaml;

use std::sync::Arc;

use serde::Serialize;

use yaml::{Document, Node};

/// Where an object's namespace came from (semantics.md, "Namespaces").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "from", rename_all = "lowercase")]
pub enum NamespaceSource {
    /// `metadata.namespace`.
    Metadata,
    /// The `namespace:` of a kustomization file.
    Kustomization {
        /// That file.
        file: String,
    },
    /// `--namespace`.
    Flag,
    /// None: the empty namespace.
    None,
}

/// A namespace inherited from the file's surroundings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Inherited {
    /// From the nearest kustomization file: (namespace, file).
    pub kustomization: Option<(String, String)>,
    /// From `--namespace`.
    pub flag: Option<String>,
}

/// Identity of an object, as the JSON report prints it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ObjectId {
    /// `apiVersion`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// Effective namespace.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
}

impl ObjectId {
    /// `Kind ns/name` (or `Kind name` without a namespace).
    pub fn describe(&self) -> String {
        let mut s = String::new();
        self.describe_into(&mut s);
        s
    }

    /// `describe`, added to `out`.
    pub fn describe_into(&self, out: &mut String) {
        out.push_str(&self.kind);
        out.push(' ');
        if !self.namespace.is_empty() {
            out.push_str(&self.namespace);
            out.push('/');
        }
        out.push_str(&self.name);
    }
}

/// One Kubernetes object in a file.
#[derive(Debug, Clone)]
pub struct Manifest<'d, 'a> {
    /// Index of the document in the file.
    pub doc: usize,
    /// The document, for alias lookups.
    pub document: &'d Document<'a>,
    /// The object's mapping node.
    pub node: &'d Node<'a>,
    /// Identity (shared by every row and change of the object).
    pub id: Arc<ObjectId>,
    /// Where the namespace came from.
    pub namespace_source: NamespaceSource,
}

impl<'d, 'a> Manifest<'d, 'a> {
    /// A value under `metadata.annotations`.
    pub fn annotation(&self, key: &str) -> Option<&'d Node<'a>> {
        self.node
            .path(self.document, &["metadata", "annotations"])
            .and_then(|a| a.get_in(self.document, key))
    }

    /// Walk a path of keys from the object.
    pub fn at(&self, path: &[&str]) -> Option<&'d Node<'a>> {
        self.node.path(self.document, path)
    }
}

/// Every object in `docs`, in document order (List items in item order).
pub fn objects<'d, 'a>(docs: &'d [Document<'a>], inherited: &Inherited) -> Vec<Manifest<'d, 'a>> {
    let mut out = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let root = doc.resolve(&doc.root);
        let Some(kind) = root.get_in(doc, "kind").and_then(|k| k.as_str()) else {
            continue;
        };
        let items = root.get_in(doc, "items");
        if kind.ends_with("List") && items.is_some_and(|n| n.is_seq()) {
            for item in items.map(|n| n.items()).unwrap_or_default() {
                let item = doc.resolve(item);
                if let Some(m) = object(i, doc, item, inherited) {
                    out.push(m);
                }
            }
        } else if let Some(m) = object(i, doc, root, inherited) {
            out.push(m);
        }
    }
    out
}

fn object<'d, 'a>(
    doc_index: usize,
    doc: &'d Document<'a>,
    node: &'d Node<'a>,
    inherited: &Inherited,
) -> Option<Manifest<'d, 'a>> {
    if !node.is_map() {
        return None;
    }
    let text = |path: &[&str]| {
        node.path(doc, path)
            .and_then(|n| n.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let kind = text(&["kind"]);
    if kind.is_empty() {
        return None;
    }
    let own_ns = text(&["metadata", "namespace"]);
    let (namespace, namespace_source) = if !own_ns.is_empty() {
        (own_ns, NamespaceSource::Metadata)
    } else if let Some((ns, file)) = &inherited.kustomization {
        (
            ns.clone(),
            NamespaceSource::Kustomization { file: file.clone() },
        )
    } else if let Some(ns) = &inherited.flag {
        (ns.clone(), NamespaceSource::Flag)
    } else {
        (String::new(), NamespaceSource::None)
    };
    Some(Manifest {
        doc: doc_index,
        document: doc,
        node,
        id: Arc::new(ObjectId {
            api_version: text(&["apiVersion"]),
            kind,
            namespace,
            name: text(&["metadata", "name"]),
        }),
        namespace_source,
    })
}

/// Which container list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum ContainerList {
    /// `initContainers`.
    #[serde(rename = "initContainers")]
    Init,
    /// `containers`.
    #[serde(rename = "containers")]
    Regular,
}

impl ContainerList {
    /// The YAML key.
    pub fn key(self) -> &'static str {
        match self {
            ContainerList::Init => "initContainers",
            ContainerList::Regular => "containers",
        }
    }
}

/// One container of a pod spec.
#[derive(Debug, Clone)]
pub struct Container<'d, 'a> {
    /// Which list it is in.
    pub list: ContainerList,
    /// Position in that list.
    pub index: usize,
    /// `name` (empty when missing).
    pub name: String,
    /// The container's mapping node.
    pub node: &'d Node<'a>,
    /// The `image` value node, if the key exists (aliases not followed).
    pub image: Option<&'d Node<'a>>,
}

impl<'d, 'a> Container<'d, 'a> {
    /// The current image as Go would read it: missing or null is "".
    pub fn image_value(&self, doc: &'d Document<'a>) -> &'d str {
        self.image
            .map(|n| doc.resolve(n))
            .and_then(|n| n.as_str())
            .unwrap_or_default()
    }
}

/// The containers of one list in a pod spec.
pub fn containers<'d, 'a>(
    doc: &'d Document<'a>,
    pod_spec: &'d Node<'a>,
    list: ContainerList,
) -> Vec<Container<'d, 'a>> {
    let Some(seq) = pod_spec.get_in(doc, list.key()) else {
        return Vec::new();
    };
    seq.items()
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let node = doc.resolve(item);
            Container {
                list,
                index,
                name: node
                    .get_in(doc, "name")
                    .and_then(|n| n.as_str())
                    .unwrap_or_default()
                    .to_string(),
                node,
                image: node.get("image"),
            }
        })
        .collect()
}
