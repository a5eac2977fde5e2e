//! ImageStream snapshots: parsed from manifests, indexed by namespace/name, and
//! resolved to pull specs exactly as the trigger controller does
//! (openshift-reference.md section 4.2), plus the completions of semantics.md rule 3.
//!
//! Knows nothing of workloads, field paths or byte spans of target files.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, PoisonError, RwLock};

use serde::Serialize;

use crate::diag::{Code, Diagnostic};
use crate::image_ref::ImageRef;
use crate::manifest::Manifest;
use crate::manifest::yaml::{Document, Node};

/// `{kind, namespace, name}` of a spec tag's `from`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TagFrom {
    /// `kind` (`DockerImage`, `ImageStreamTag`, `ImageStreamImage`).
    pub kind: String,
    /// `name`.
    pub name: String,
    /// `namespace`.
    pub namespace: String,
}

/// One `spec.tags[]` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpecTag {
    /// Tag name.
    pub name: String,
    /// `from`, if set.
    pub from: Option<TagFrom>,
    /// `reference: true` (never imported).
    pub reference: bool,
    /// `referencePolicy.type`, defaulted to `Source` when empty.
    pub reference_policy: String,
    /// `generation`.
    pub generation: Option<i64>,
}

/// One `status.tags[].items[]` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TagEvent {
    /// `created`.
    pub created: String,
    /// `dockerImageReference`.
    #[serde(rename = "dockerImageReference")]
    pub docker_image_reference: String,
    /// `image` (the digest).
    pub image: String,
    /// `generation`.
    pub generation: i64,
}

/// One `status.tags[]` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagHistory {
    /// Tag name.
    pub tag: String,
    /// Events, newest first.
    pub items: Vec<TagEvent>,
}

/// An ImageStream as far as resolution needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageStream {
    /// `metadata.name`.
    pub name: String,
    /// Effective namespace.
    pub namespace: String,
    /// `metadata.resourceVersion`, if present.
    pub resource_version: Option<String>,
    /// `spec.lookupPolicy.local`.
    pub lookup_local: bool,
    /// `spec.tags`.
    pub spec_tags: Vec<SpecTag>,
    /// Whether the document has a `status`.
    pub has_status: bool,
    /// `status.dockerImageRepository`.
    pub docker_image_repository: String,
    /// `status.publicDockerImageRepository`.
    pub public_docker_image_repository: String,
    /// `status.tags`.
    pub status_tags: Vec<TagHistory>,
}

fn text(doc: &Document<'_>, node: &Node<'_>, path: &[&str]) -> String {
    node.path(doc, path)
        .and_then(|n| n.as_str())
        .unwrap_or_default()
        .to_string()
}

fn int(doc: &Document<'_>, node: &Node<'_>, path: &[&str]) -> Option<i64> {
    node.path(doc, path)
        .and_then(|n| n.as_str())
        .and_then(|s| s.parse().ok())
}

impl ImageStream {
    /// Read an ImageStream from a parsed object (`kind: ImageStream`).
    pub fn from_manifest(m: &Manifest<'_, '_>) -> ImageStream {
        let doc = m.document;
        let node = m.node;
        let spec_tags = node
            .path(doc, &["spec", "tags"])
            .map(|n| n.items())
            .unwrap_or_default()
            .iter()
            .map(|t| {
                let t = doc.resolve(t);
                let from = t
                    .get_in(doc, "from")
                    .filter(|f| f.is_map())
                    .map(|f| TagFrom {
                        kind: text(doc, f, &["kind"]),
                        name: text(doc, f, &["name"]),
                        namespace: text(doc, f, &["namespace"]),
                    });
                let policy = text(doc, t, &["referencePolicy", "type"]);
                SpecTag {
                    name: text(doc, t, &["name"]),
                    from,
                    reference: text(doc, t, &["reference"]) == "true",
                    reference_policy: if policy.is_empty() {
                        "Source".into()
                    } else {
                        policy
                    },
                    generation: int(doc, t, &["generation"]),
                }
            })
            .collect();
        let status = node.get_in(doc, "status").filter(|s| s.is_map());
        let status_tags = status
            .and_then(|s| s.get_in(doc, "tags"))
            .map(|n| n.items())
            .unwrap_or_default()
            .iter()
            .map(|t| {
                let t = doc.resolve(t);
                TagHistory {
                    tag: text(doc, t, &["tag"]),
                    items: t
                        .get_in(doc, "items")
                        .map(|n| n.items())
                        .unwrap_or_default()
                        .iter()
                        .map(|e| {
                            let e = doc.resolve(e);
                            TagEvent {
                                created: text(doc, e, &["created"]),
                                docker_image_reference: text(doc, e, &["dockerImageReference"]),
                                image: text(doc, e, &["image"]),
                                generation: int(doc, e, &["generation"]).unwrap_or(0),
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        let rv = text(doc, node, &["metadata", "resourceVersion"]);
        ImageStream {
            name: m.id.name.clone(),
            namespace: m.id.namespace.clone(),
            resource_version: (!rv.is_empty()).then_some(rv),
            lookup_local: text(doc, node, &["spec", "lookupPolicy", "local"]) == "true",
            spec_tags,
            has_status: status.is_some(),
            docker_image_repository: status
                .map(|s| text(doc, s, &["dockerImageRepository"]))
                .unwrap_or_default(),
            public_docker_image_repository: status
                .map(|s| text(doc, s, &["publicDockerImageRepository"]))
                .unwrap_or_default(),
            status_tags,
        }
    }

    /// `LatestTaggedImage`: items[0] of the first status entry for `tag`.
    pub fn latest_tagged_image(&self, tag: &str) -> Option<&TagEvent> {
        let tag = if tag.is_empty() { "latest" } else { tag };
        self.status_tags
            .iter()
            .find(|t| t.tag == tag)
            .and_then(|t| t.items.first())
    }

    /// The first spec tag named `tag`.
    pub fn spec_tag(&self, tag: &str) -> Option<&SpecTag> {
        self.spec_tags.iter().find(|t| t.name == tag)
    }

    /// `resolveReferenceForTagEvent`: apply the tag's reference policy to an event.
    pub fn reference_for_event(&self, policy: &str, event: &TagEvent, repository: &str) -> String {
        if policy != "Local" || repository.is_empty() || event.image.is_empty() {
            return event.docker_image_reference.clone();
        }
        match ImageRef::parse(repository) {
            Ok(mut r) => {
                r.tag.clear();
                r.id = event.image.clone();
                r.exact()
            }
            Err(_) => event.docker_image_reference.clone(),
        }
    }

    /// `ResolveLatestTaggedImage` with the stream's own repository.
    pub fn resolve_latest_tagged_image(&self, tag: &str) -> Option<String> {
        let tag = if tag.is_empty() { "latest" } else { tag };
        let event = self.latest_tagged_image(tag)?;
        Some(match self.spec_tag(tag) {
            None => event.docker_image_reference.clone(),
            Some(st) => {
                self.reference_for_event(&st.reference_policy, event, &self.docker_image_repository)
            }
        })
    }

    /// If `tag` is an alias of another tag of this stream (spec `from.kind:
    /// ImageStreamTag`, same stream and namespace), the tag it points to.
    pub fn alias_target(&self, tag: &str) -> Option<String> {
        let from = self.spec_tag(tag)?.from.as_ref()?;
        if from.kind != "ImageStreamTag" {
            return None;
        }
        if !from.namespace.is_empty() && from.namespace != self.namespace {
            return None;
        }
        match from.name.split_once(':') {
            None => Some(from.name.clone()),
            Some((stream, t)) if stream == self.name => Some(t.to_string()),
            Some(_) => None,
        }
    }
}

/// Result of library-go `resolvePullSpecForTag` (informational: other library-go
/// consumers use it; triggers do not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullSpecForTag {
    /// The pull spec.
    pub pull_spec: String,
    /// A newer import is pending.
    pub has_newer: bool,
    /// The pull spec comes from status.
    pub has_status: bool,
    /// Nothing was imported or pushed yet.
    pub is_tag_empty: bool,
}

/// `resolvePullSpecForTag` from library-go `imageutil`.
pub fn resolve_pull_spec_for_tag(
    stream: &ImageStream,
    tag: &str,
    default_external: bool,
    require_latest: bool,
) -> Result<PullSpecForTag, &'static str> {
    let tag = if tag.is_empty() { "latest" } else { tag };
    let status_items: &[TagEvent] = stream
        .status_tags
        .iter()
        .find(|t| t.tag == tag)
        .map(|t| t.items.as_slice())
        .unwrap_or_default();
    let spec = stream.spec_tag(tag);
    let has_spec_ref = spec.is_some_and(|s| {
        s.from.as_ref().is_some_and(|f| f.kind == "DockerImage") && s.reference_policy == "Source"
    });
    let mut out = PullSpecForTag {
        pull_spec: String::new(),
        has_newer: false,
        has_status: false,
        is_tag_empty: false,
    };
    let mut event = None;
    if let Some(first) = status_items.first() {
        let pending = spec
            .and_then(|s| s.generation)
            .is_some_and(|g| g > first.generation);
        if pending && require_latest {
            if !has_spec_ref {
                return Err("waiting for pull spec");
            }
        } else {
            event = Some(first);
            out.has_newer = pending;
        }
    }
    let policy = spec.map(|s| s.reference_policy.as_str()).unwrap_or("");
    if let Some(e) = event {
        out.has_status = true;
        out.pull_spec = stream.reference_for_event(policy, e, &stream.docker_image_repository);
    } else if has_spec_ref {
        let e = TagEvent {
            docker_image_reference: spec
                .and_then(|s| s.from.as_ref())
                .map(|f| f.name.clone())
                .unwrap_or_default(),
            ..TagEvent::default()
        };
        out.pull_spec = stream.reference_for_event(policy, &e, &stream.docker_image_repository);
    } else {
        out.is_tag_empty = true;
        let mut repo = stream.docker_image_repository.as_str();
        if default_external && !stream.public_docker_image_repository.is_empty() {
            repo = &stream.public_docker_image_repository;
        }
        if repo.is_empty() {
            return Err("no image repository has been set on the image stream status");
        }
        out.pull_spec = join_image_stream_tag(repo, tag);
    }
    Ok(out)
}

// ---- ImageStreamImage references (openshift-apiserver imageutil) ----

/// `DigestOrImageMatch`: `id` is a prefix of the image's digest hex or of the
/// whole image string.
fn digest_or_image_match(image: &str, id: &str) -> bool {
    if crate::image_ref::validate_digest_str(image)
        && let Some((_, hex)) = image.split_once(':')
        && hex.starts_with(id)
    {
        return true;
    }
    image.starts_with(id)
}

/// `ResolveImageID`: the event for `id` across every status tag; exactly one
/// distinct image may match. The event returned is the last match.
pub fn resolve_image_id(stream: &ImageStream, id: &str) -> Result<TagEvent, String> {
    let mut found: Option<&TagEvent> = None;
    let mut images: std::collections::BTreeSet<&str> = Default::default();
    for event in stream.status_tags.iter().flat_map(|t| &t.items) {
        if digest_or_image_match(&event.image, id) {
            found = Some(event);
            images.insert(&event.image);
        }
    }
    match (images.len(), found) {
        (1, Some(e)) => Ok(TagEvent {
            created: String::new(),
            docker_image_reference: e.docker_image_reference.clone(),
            image: e.image.clone(),
            generation: 0,
        }),
        (0, _) | (_, None) => Err(format!("imagestreamimage `{id}` not found")),
        _ => Err(format!(
            "multiple images match the prefix `{id}`: {}",
            images.into_iter().collect::<Vec<_>>().join(", ")
        )),
    }
}

/// `DockerImageReferenceForImage`: the newest event for `id` (by `created`), with
/// the reference policy of the tag it was found under.
pub fn docker_image_reference_for_image(stream: &ImageStream, id: &str) -> Option<String> {
    let mut latest: Option<(&str, &TagEvent)> = None;
    for t in &stream.status_tags {
        for e in &t.items {
            if digest_or_image_match(&e.image, id)
                && latest.is_none_or(|(_, l)| e.created.as_str() > l.created.as_str())
            {
                latest = Some((&t.tag, e));
            }
        }
    }
    let (tag, event) = latest?;
    if tag.is_empty() {
        return None;
    }
    let Some(spec) = stream.spec_tag(tag) else {
        return Some(event.docker_image_reference.clone());
    };
    if spec.reference_policy == "Local" {
        return Some(match ImageRef::parse(&stream.docker_image_repository) {
            Ok(mut r) => {
                r.tag.clear();
                r.id = event.image.clone();
                r.exact()
            }
            Err(_) => event.docker_image_reference.clone(),
        });
    }
    Some(event.docker_image_reference.clone())
}

impl Index {
    /// `resolveImageStreamReference` of the build generator: what a build's
    /// `from` becomes when the build is created.
    pub fn resolve_build_reference(
        &self,
        kind: &str,
        name: &str,
        namespace: &str,
    ) -> Result<String, String> {
        match kind {
            "ImageStreamImage" => {
                let (stream, id) = parse_image_stream_image_name(name)
                    .ok_or_else(|| format!("`{name}` is not a valid ImageStreamImage name"))?;
                let snap = self
                    .get(namespace, &stream)
                    .ok_or_else(|| format!("imagestream `{namespace}/{stream}` not found"))?;
                docker_image_reference_for_image(&snap.stream, &id)
                    .ok_or_else(|| format!("unable to find corresponding tag for image `{id}`"))
            }
            "ImageStreamTag" => {
                let (stream, tag) = parse_image_stream_tag_name(name).ok_or_else(|| {
                    format!("`{name}` is not a valid ImageStreamTag name: expected exactly one : delimiter")
                })?;
                let snap = self
                    .get(namespace, &stream)
                    .ok_or_else(|| format!("imagestream `{namespace}/{stream}` not found"))?;
                snap.stream
                    .resolve_latest_tagged_image(&tag)
                    .ok_or_else(|| format!("imagestreamtag `{name}` not found"))
            }
            "DockerImage" => Ok(name.to_string()),
            other => Err(format!("unknown From Kind `{other}`")),
        }
    }
}

// ---- ImageStreamTag / ImageStreamImage name helpers (library-go imageutil) ----

/// `SplitImageStreamTag`: split at the first `:`; the tag defaults to `latest`;
/// `ok` is false when there is no `:` at all.
pub fn split_image_stream_tag(name: &str) -> (String, String, bool) {
    match name.split_once(':') {
        Some((n, t)) => (
            n.to_string(),
            if t.is_empty() { "latest" } else { t }.to_string(),
            true,
        ),
        None => (name.to_string(), "latest".to_string(), false),
    }
}

/// `JoinImageStreamTag`: `name:tag`, the tag defaulting to `latest`.
pub fn join_image_stream_tag(name: &str, tag: &str) -> String {
    format!("{name}:{}", if tag.is_empty() { "latest" } else { tag })
}

/// `ParseImageStreamTagName`: strict `name:tag`.
pub fn parse_image_stream_tag_name(s: &str) -> Option<(String, String)> {
    if s.contains('@') {
        return None;
    }
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 2 || parts[0].is_empty() || parts[1].is_empty() {
        return None;
    }
    Some((parts[0].to_string(), parts[1].to_string()))
}

/// `ParseImageStreamImageName`: strict `name@id`.
pub fn parse_image_stream_image_name(s: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = s.split('@').collect();
    if parts.len() != 2 || parts[0].is_empty() || parts[1].is_empty() {
        return None;
    }
    Some((parts[0].to_string(), parts[1].to_string()))
}

// ---- the index ----

/// A snapshot and where it was read.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The stream.
    pub stream: ImageStream,
    /// File it came from (display path).
    pub file: String,
    /// 1-based line and column of the object.
    pub position: (usize, usize),
    /// A second, different document with a status was found: resolution refuses.
    pub conflict: Option<String>,
}

/// All snapshots, by (namespace, name).
#[derive(Debug, Default)]
pub struct Index {
    streams: BTreeMap<(String, String), Snapshot>,
    /// Resolutions made so far, by namespace, then ImageStreamTag name. A
    /// resolution depends only on the snapshots (fixed once evaluation starts)
    /// and those two names, so every trigger naming the same tag shares one;
    /// `add` forgets them all.
    memo: RwLock<HashMap<String, HashMap<String, Memo>>>,
}

/// One remembered resolution, with the internal registry host it was made with.
#[derive(Debug, Clone)]
struct Memo {
    internal_registry: Option<String>,
    result: Result<Arc<Resolved>, NotFound>,
}

impl Clone for Index {
    fn clone(&self) -> Self {
        Index {
            streams: self.streams.clone(),
            memo: RwLock::default(),
        }
    }
}

/// Why a name did not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotFound {
    /// `from.name` has no `:`.
    NameWithoutTag,
    /// No stream of that name in that namespace.
    StreamMissing,
    /// The stream exists but has no image for the tag.
    TagMissing,
    /// Two snapshots of the stream disagree.
    Conflict(String),
}

/// How a reference was resolved, as reported with each change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Resolution {
    /// The snapshot file.
    pub snapshot: String,
    /// The tag whose newest event was used.
    pub tag: String,
    /// The event's image (digest).
    pub image: String,
    /// The event's creation time.
    pub created: String,
    /// `Source` or `Local`.
    #[serde(rename = "referencePolicy")]
    pub reference_policy: String,
}

/// A successful resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The pull spec a trigger writes.
    pub reference: String,
    /// The tag whose event was used (differs from the asked tag for completed aliases).
    pub tag: String,
    /// That event.
    pub event: TagEvent,
    /// The reference policy applied.
    pub policy: String,
    /// The snapshot file.
    pub file: String,
    /// Rule-3 completions made on the way (for `snapshot-completed`).
    pub completions: Vec<String>,
    /// Whether `reference` is pinned by digest (`repo@sha256:…`).
    pub pinned_by_digest: bool,
    /// The same, as reported (shared by every change it causes).
    pub resolution: Arc<Resolution>,
}

impl Index {
    /// Add a stream read from `file`; a conflicting duplicate becomes a diagnostic.
    pub fn add(
        &mut self,
        stream: ImageStream,
        file: &str,
        position: (usize, usize),
        diags: &mut Vec<Diagnostic>,
    ) {
        self.memo
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        let key = (stream.namespace.clone(), stream.name.clone());
        match self.streams.get_mut(&key) {
            None => {
                self.streams.insert(
                    key,
                    Snapshot {
                        stream,
                        file: file.to_string(),
                        position,
                        conflict: None,
                    },
                );
            }
            Some(existing) => {
                if !stream.has_status {
                    return;
                }
                if !existing.stream.has_status {
                    *existing = Snapshot {
                        stream,
                        file: file.to_string(),
                        position,
                        conflict: None,
                    };
                    return;
                }
                if comparable(&existing.stream) != comparable(&stream) {
                    let (ns, name) = &key;
                    diags.push(Diagnostic::new(
                        Code::ImagestreamDuplicate,
                        file,
                        position,
                        format!(
                            "ImageStream `{}` is also defined, differently, at {}:{}; triggers on it are not evaluated",
                            if ns.is_empty() { name.clone() } else { format!("{ns}/{name}") },
                            existing.file,
                            existing.position.0
                        ),
                    ));
                    existing.conflict = Some(format!("{file}:{}", position.0));
                }
            }
        }
    }

    /// The snapshot for namespace/name.
    pub fn get(&self, namespace: &str, name: &str) -> Option<&Snapshot> {
        self.streams.get(&(namespace.to_string(), name.to_string()))
    }

    /// Number of streams.
    pub fn len(&self) -> usize {
        self.streams.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }

    /// All snapshots in key order.
    pub fn iter(&self) -> impl Iterator<Item = &Snapshot> {
        self.streams.values()
    }

    /// Resolve an ImageStreamTag name (`stream:tag`) in `namespace`, as the trigger
    /// controller's tag retriever does, with semantics.md rule 3 completions.
    /// Each (namespace, name) is resolved once per run and then shared.
    pub fn resolve(
        &self,
        namespace: &str,
        istag: &str,
        internal_registry: Option<&str>,
    ) -> Result<Arc<Resolved>, NotFound> {
        {
            let memo = self.memo.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(m) = memo.get(namespace).and_then(|by_tag| by_tag.get(istag))
                && m.internal_registry.as_deref() == internal_registry
            {
                return m.result.clone();
            }
        }
        let result = self
            .resolve_uncached(namespace, istag, internal_registry)
            .map(Arc::new);
        self.memo
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(namespace.to_string())
            .or_default()
            .insert(
                istag.to_string(),
                Memo {
                    internal_registry: internal_registry.map(str::to_string),
                    result: result.clone(),
                },
            );
        result
    }

    fn resolve_uncached(
        &self,
        namespace: &str,
        istag: &str,
        internal_registry: Option<&str>,
    ) -> Result<Resolved, NotFound> {
        let (name, tag, ok) = split_image_stream_tag(istag);
        if !ok {
            return Err(NotFound::NameWithoutTag);
        }
        let snap = self.get(namespace, &name).ok_or(NotFound::StreamMissing)?;
        if let Some(c) = &snap.conflict {
            return Err(NotFound::Conflict(c.clone()));
        }
        let stream = &snap.stream;
        let mut completions = Vec::new();
        match &stream.resource_version {
            None => completions.push(format!(
                "ImageStream `{namespace}/{name}` has no `metadata.resourceVersion`; resolved anyway (a live stream always has one)"
            )),
            Some(rv) if rv.parse::<i64>().is_err() => completions.push(format!(
                "ImageStream `{namespace}/{name}` has a non-numeric `metadata.resourceVersion` `{rv}`; resolved anyway"
            )),
            Some(_) => {}
        }
        let mut repository = stream.docker_image_repository.clone();
        if repository.is_empty()
            && let Some(host) = internal_registry
        {
            repository = format!("{host}/{namespace}/{istag}");
        }
        // The policy is always the asked tag's own; the event may come from the
        // alias chain (rule 3).
        let policy = stream.spec_tag(&tag).map(|s| s.reference_policy.clone());
        let mut event_tag = tag.clone();
        let mut event = stream.latest_tagged_image(&event_tag);
        let mut hops = 0;
        while event.is_none() && hops < 16 {
            let Some(target) = stream.alias_target(&event_tag) else {
                break;
            };
            completions.push(format!(
                "tag `{name}:{event_tag}` is an alias of `{name}:{target}` with no status entry; resolved through its target"
            ));
            event_tag = target;
            event = stream.latest_tagged_image(&event_tag);
            hops += 1;
        }
        let Some(event) = event else {
            return Err(NotFound::TagMissing);
        };
        let reference = match &policy {
            None => event.docker_image_reference.clone(),
            Some(p) => stream.reference_for_event(p, event, &repository),
        };
        let pinned_by_digest = ImageRef::parse(&reference).is_ok_and(|r| r.id_is_digest());
        let policy = policy.unwrap_or_else(|| "Source".into());
        let resolution = Arc::new(Resolution {
            snapshot: snap.file.clone(),
            tag: event_tag.clone(),
            image: event.image.clone(),
            created: event.created.clone(),
            reference_policy: policy.clone(),
        });
        Ok(Resolved {
            resolution,
            pinned_by_digest,
            reference,
            tag: event_tag,
            event: event.clone(),
            policy,
            file: snap.file.clone(),
            completions,
        })
    }
}

/// What two snapshots must agree on to be "the same".
fn comparable(s: &ImageStream) -> (&Vec<SpecTag>, &str, &Vec<TagHistory>, bool) {
    (
        &s.spec_tags,
        &s.docker_image_repository,
        &s.status_tags,
        s.lookup_local,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index_of(yaml: &str) -> Index {
        let docs = crate::manifest::yaml::parse(yaml).unwrap();
        let mut index = Index::default();
        let mut diags = Vec::new();
        for m in crate::manifest::objects(&docs, &crate::manifest::Inherited::default()) {
            index.add(
                ImageStream::from_manifest(&m),
                "is.yaml",
                (1, 1),
                &mut diags,
            );
        }
        assert!(diags.is_empty(), "{diags:?}");
        index
    }

    const STREAM: &str = "kind: ImageStream
apiVersion: image.openshift.io/v1
metadata: {name: app, namespace: ns, resourceVersion: '1'}
spec:
  tags:
  - name: '1'
    referencePolicy: {type: Source}
status:
  dockerImageRepository: registry/ns/app
  tags:
  - tag: '1'
    items:
    - {dockerImageReference: 'quay.io/a/app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', image: 'sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', created: '2024-01-01T00:00:00Z', generation: 1}
";

    #[test]
    fn resolutions_are_shared_and_forgotten_when_a_stream_is_added() {
        let mut index = index_of(STREAM);
        let a = index.resolve("ns", "app:1", None).unwrap();
        let b = index.resolve("ns", "app:1", None).unwrap();
        assert!(
            Arc::ptr_eq(&a, &b),
            "the second resolution is the remembered one"
        );
        assert!(a.pinned_by_digest);
        assert_eq!(
            index.resolve("ns", "app:2", None),
            Err(NotFound::TagMissing)
        );
        // Another internal registry host is another question.
        let c = index.resolve("ns", "app:1", Some("host:5000")).unwrap();
        assert!(!Arc::ptr_eq(&a, &c));
        // A stream added later (here: a newer one without status, which is
        // ignored, then a different one) makes every answer be worked out again.
        let other = STREAM.replace("name: app,", "name: web,");
        let docs = crate::manifest::yaml::parse(&other).unwrap();
        let mut diags = Vec::new();
        for m in crate::manifest::objects(&docs, &crate::manifest::Inherited::default()) {
            index.add(
                ImageStream::from_manifest(&m),
                "web.yaml",
                (1, 1),
                &mut diags,
            );
        }
        let d = index.resolve("ns", "app:1", None).unwrap();
        assert!(!Arc::ptr_eq(&a, &d));
        assert_eq!(*a, *d);
        assert!(index.resolve("ns", "web:1", None).is_ok());
    }

    #[test]
    fn split_and_join() {
        assert_eq!(
            split_image_stream_tag("a:b:c"),
            ("a".into(), "b:c".into(), true)
        );
        assert_eq!(
            split_image_stream_tag("a"),
            ("a".into(), "latest".into(), false)
        );
        assert_eq!(join_image_stream_tag("foo", ""), "foo:latest");
        assert!(parse_image_stream_tag_name("a:b:c").is_none());
        assert_eq!(
            parse_image_stream_image_name("repo@id"),
            Some(("repo".into(), "id".into()))
        );
    }
}
