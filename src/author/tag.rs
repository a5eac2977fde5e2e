//! `oc tag` on ImageStream snapshots, as the API server would record it
//! (openshift-reference.md 7.3 and 4.3): the spec tag `oc` sends, the status
//! event the server adds (`tagsChanged`), and the events alias tags of the same
//! stream receive (`UpdateTrackingTags`).
//!
//! Pure: values in, values out. The clock is passed in.

use serde_json::{Map, Value, json};

use crate::image_ref::ImageRef;
use crate::imagestream::{self, ImageStream, TagEvent};
use crate::manifest::{self, Inherited, yaml};

/// What SOURCE names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// `stream:tag`.
    ImageStreamTag,
    /// `stream@sha256:…`.
    ImageStreamImage,
    /// An image in a registry.
    DockerImage,
}

impl SourceKind {
    /// The `from.kind` value.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::ImageStreamTag => "ImageStreamTag",
            SourceKind::ImageStreamImage => "ImageStreamImage",
            SourceKind::DockerImage => "DockerImage",
        }
    }
}

/// The flags as given.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// `--alias`.
    pub alias: bool,
    /// `--source`.
    pub source: Option<SourceKind>,
    /// `--reference`.
    pub reference: bool,
    /// `--reference-policy`: `Source` or `Local`.
    pub reference_policy: String,
    /// `--scheduled`.
    pub scheduled: bool,
    /// `--insecure`.
    pub insecure: bool,
    /// `--import-mode`.
    pub import_mode: Option<String>,
    /// `-d`.
    pub delete: bool,
}

/// A destination `[ns/]stream:tag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dest {
    /// Namespace, when given.
    pub namespace: Option<String>,
    /// Stream name.
    pub stream: String,
    /// Tag.
    pub tag: String,
}

/// The source after `Complete`: its kind and parsed reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Kind (inferred or from `--source`).
    pub kind: SourceKind,
    /// The reference as parsed.
    pub reference: ImageRef,
}

/// Parse SOURCE as `oc tag` does (kind inference included).
pub fn parse_source(source: &str, kind: Option<SourceKind>) -> Result<Source, String> {
    let r = ImageRef::parse(source).map_err(|e| format!("invalid SOURCE: {e}"))?;
    let kind = match kind {
        Some(k @ (SourceKind::ImageStreamTag | SourceKind::ImageStreamImage)) => {
            if !r.registry.is_empty() {
                return Err(
                    "server in SOURCE is only allowed when providing a container image".into(),
                );
            }
            if k == SourceKind::ImageStreamTag && r.tag.is_empty() {
                return Err(
                    "--source=ImageStreamTag requires a valid <name>:<tag> in SOURCE".into(),
                );
            }
            if k == SourceKind::ImageStreamImage && r.id.is_empty() {
                return Err(
                    "--source=ImageStreamImage requires a valid <name>@<id> in SOURCE".into(),
                );
            }
            k
        }
        Some(k) => k,
        None if !r.registry.is_empty() => SourceKind::DockerImage,
        None if !r.id.is_empty() => SourceKind::ImageStreamImage,
        None if !r.tag.is_empty() => SourceKind::ImageStreamTag,
        None => SourceKind::DockerImage,
    };
    Ok(Source { kind, reference: r })
}

/// Parse a destination.
pub fn parse_dest(arg: &str) -> Result<Dest, String> {
    let (namespace, rest) = match arg.split('/').collect::<Vec<_>>().as_slice() {
        [name] => (None, *name),
        [ns, name] => (Some(ns.to_string()), *name),
        _ => return Err(format!("invalid image stream tag {arg:?}")),
    };
    let (stream, tag, ok) = imagestream::split_image_stream_tag(rest);
    if !ok {
        return Err(format!("{rest:?} must be of the form <stream_name>:<tag>"));
    }
    if !valid_tag_name(&tag) {
        return Err(format!(
            "invalid tag name {tag:?}: a tag must match [\\w][\\w.-]{{0,127}}"
        ));
    }
    Ok(Dest {
        namespace,
        stream,
        tag,
    })
}

/// `[\w][\w.-]{0,127}`.
pub fn valid_tag_name(tag: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut chars = tag.chars();
    chars.next().is_some_and(word)
        && tag.chars().count() <= 128
        && chars.all(|c| word(c) || c == '.' || c == '-')
}

/// `Validate`, for the flags that do not need the snapshots.
pub fn validate(
    flags: &Flags,
    source: Option<&Source>,
    dests: &[Dest],
    current_ns: &str,
) -> Result<(), String> {
    if flags.delete && flags.alias {
        return Err("--alias and --delete may not be both specified".into());
    }
    if flags.delete {
        if flags.source.is_some() {
            return Err("cannot specify a source kind when deleting".into());
        }
        if flags.scheduled || flags.insecure {
            return Err("cannot set flags for importing images when deleting a tag".into());
        }
    }
    if dests.is_empty() {
        return Err("at least a destination is required".into());
    }
    let Some(source) = source else {
        return Ok(());
    };
    if source.kind != SourceKind::DockerImage && (flags.scheduled || flags.insecure) {
        return Err("only container images can have importing flags set".into());
    }
    if source.kind != SourceKind::DockerImage && (flags.import_mode.is_some() || flags.reference) {
        return Err("only container images can have importing flags set".into());
    }
    if flags.alias {
        if flags.scheduled || flags.insecure {
            return Err(
                "cannot set a container image tag as an alias and also set import flags".into(),
            );
        }
        let cross = dests.iter().any(|d| {
            d.namespace.as_deref().unwrap_or(current_ns) != current_ns
                || d.stream != source.reference.name
        });
        if cross {
            return Err("cannot set alias across different Image Streams".into());
        }
    }
    Ok(())
}

/// Read a stream value with the same reader the evaluator uses.
pub fn stream_of(v: &Value, namespace: &str) -> Option<ImageStream> {
    let text = v.to_string();
    // Our own JSON, of a value read from a parsed file: as deep as that allowed.
    let limits = yaml::ParseLimits {
        max_depth: yaml::MAX_DEPTH_CEILING,
        ..Default::default()
    };
    let docs = yaml::parse_with_limits(&text, limits).ok()?;
    let inherited = Inherited {
        kustomization: None,
        flag: Some(namespace.to_string()),
    };
    manifest::objects(&docs, &inherited)
        .first()
        .map(ImageStream::from_manifest)
}

/// A non-alias ImageStreamTag source is copied as it is now: the image of its
/// newest event (`ImageStreamImage`), or its pull spec when the event has no
/// image (`DockerImage`).
pub fn pin_source(source: &Source, stream: &ImageStream, arg: &str) -> Result<Source, String> {
    let event = stream
        .latest_tagged_image(&source.reference.tag)
        .ok_or_else(|| format!("{arg:?} is not currently pointing to an image, cannot use it as the source of a tag"))?;
    if event.image.is_empty() {
        let r = ImageRef::parse(&event.docker_image_reference).map_err(|e| {
            format!("the image stream tag {arg:?} has an invalid pull spec and cannot be used to tag: {e}")
        })?;
        return Ok(Source {
            kind: SourceKind::DockerImage,
            reference: r,
        });
    }
    let mut r = source.reference.clone();
    r.id = event.image.clone();
    r.tag.clear();
    Ok(Source {
        kind: SourceKind::ImageStreamImage,
        reference: r,
    })
}

/// The spec tag `oc tag` sends for `dest`.
pub fn spec_tag(flags: &Flags, source: &Source, dest: &Dest, current_ns: &str) -> Value {
    let r = &source.reference;
    let mut from = Map::new();
    from.insert("kind".into(), json!(source.kind.as_str()));
    let mut generation = None;
    match source.kind {
        SourceKind::DockerImage => {
            from.insert("name".into(), json!(r.exact()));
            generation = Some(0);
        }
        _ => {
            let name = if !r.id.is_empty() {
                format!("{}@{}", r.name, r.id)
            } else {
                format!("{}:{}", r.name, r.tag)
            };
            from.insert("name".into(), json!(name));
            let mut ns = r.namespace.clone();
            if ns.is_empty() && dest.namespace.as_deref().is_some_and(|d| d != current_ns) {
                ns = current_ns.to_string();
            }
            if !ns.is_empty() {
                from.insert("namespace".into(), json!(ns));
            }
        }
    }
    let mut policy = Map::new();
    if flags.insecure {
        policy.insert("insecure".into(), json!(true));
    }
    if flags.scheduled {
        policy.insert("scheduled".into(), json!(true));
    }
    // The API server defaults the mode, so `oc get` shows it on every tag.
    policy.insert(
        "importMode".into(),
        json!(flags.import_mode.as_deref().unwrap_or("Legacy")),
    );
    let mut tag = json!({
        "annotations": null,
        "from": from,
        "importPolicy": policy,
        "name": dest.tag,
        "referencePolicy": {"type": flags.reference_policy},
    });
    if flags.reference {
        tag["reference"] = json!(true);
    }
    if let Some(g) = generation {
        tag["generation"] = json!(g);
    }
    tag
}

/// The message `oc tag` prints for a destination.
pub fn message(flags: &Flags, source: &Source, dest: &Dest, current_ns: &str) -> String {
    let target = match &dest.namespace {
        Some(ns) if ns != current_ns => format!("{ns}/{}:{}", dest.stream, dest.tag),
        _ => format!("{}:{}", dest.stream, dest.tag),
    };
    let what = source.reference.exact();
    if flags.alias {
        format!("Tag {target} set up to track {what}.")
    } else if flags.scheduled {
        format!("Tag {target} set to import {what} periodically.")
    } else {
        format!("Tag {target} set to {what}.")
    }
}

/// A status event as the API server writes it.
pub fn event(reference: &str, image: &str, created: &str, generation: Option<i64>) -> Value {
    let mut e = json!({
        "created": created,
        "dockerImageReference": reference,
        "image": image,
    });
    if let Some(g) = generation {
        e["generation"] = json!(g);
    }
    e
}

fn tag_event_value(e: &TagEvent) -> (String, String) {
    (e.docker_image_reference.clone(), e.image.clone())
}

/// The status event the server records when `dest` takes `source`
/// (`tagsChanged`), if it records one now. `source_stream` is the stream the
/// source names (the destination stream itself for aliases and same-stream
/// copies).
pub fn status_event(
    flags: &Flags,
    source: &Source,
    source_stream: Option<&ImageStream>,
    dest_stream: &ImageStream,
) -> Result<Option<(String, String)>, String> {
    let r = &source.reference;
    match source.kind {
        SourceKind::DockerImage => Ok(flags.reference.then(|| (r.exact(), String::new()))),
        SourceKind::ImageStreamTag => {
            let stream =
                source_stream.ok_or_else(|| format!("imagestream {:?} not found", r.name))?;
            Ok(stream.latest_tagged_image(&r.tag).map(tag_event_value))
        }
        SourceKind::ImageStreamImage => {
            let stream =
                source_stream.ok_or_else(|| format!("imagestream {:?} not found", r.name))?;
            let found = imagestream::resolve_image_id(stream, &r.id)?;
            let mut reference = imagestream::docker_image_reference_for_image(stream, &found.image)
                .unwrap_or(found.docker_image_reference);
            // A copy from another stream's internal location points at this one.
            let from_repo = &stream.docker_image_repository;
            let to_repo = &dest_stream.docker_image_repository;
            if !from_repo.is_empty()
                && !to_repo.is_empty()
                && from_repo != to_repo
                && let Some(rest) = reference.strip_prefix(from_repo.as_str())
                && rest.starts_with('@')
            {
                reference = format!("{to_repo}{rest}");
            }
            Ok(Some((reference, found.image)))
        }
    }
}

fn array_mut<'v>(v: &'v mut Value, path: &[&str]) -> &'v mut Vec<Value> {
    let mut cur = v;
    for (i, k) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        let ok = if last {
            cur.get(k).is_some_and(Value::is_array)
        } else {
            cur.get(k).is_some_and(Value::is_object)
        };
        if !ok {
            cur[k] = if last { json!([]) } else { json!({}) };
        }
        cur = &mut cur[k];
    }
    match cur {
        Value::Array(a) => a,
        _ => unreachable!("just made an array"),
    }
}

/// Whether `spec.tags` already holds `tag` as it would be written (the
/// generation aside): then the server changes nothing.
pub fn spec_tag_unchanged(stream: &Value, tag: &Value) -> bool {
    let strip = |t: &Value| {
        let mut t = t.clone();
        if let Some(m) = t.as_object_mut() {
            m.remove("generation");
        }
        t
    };
    stream["spec"]["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|t| t["name"] == tag["name"] && strip(t) == strip(tag))
}

/// Put `tag` into `spec.tags`, replacing the entry of the same name.
pub fn set_spec_tag(stream: &mut Value, tag: Value) {
    let tags = array_mut(stream, &["spec", "tags"]);
    match tags.iter_mut().find(|t| t["name"] == tag["name"]) {
        Some(t) => *t = tag,
        None => tags.push(tag),
    }
}

/// `AddTagEventToImageStream`: prepend `event` to the tag's history unless its
/// newest event has the same reference and image. Returns whether it changed.
pub fn add_tag_event(stream: &mut Value, tag: &str, event: Value) -> bool {
    let tags = array_mut(stream, &["status", "tags"]);
    match tags.iter_mut().find(|t| t["tag"] == tag) {
        Some(t) => {
            let items = array_mut(t, &["items"]);
            if let Some(first) = items.first()
                && first["dockerImageReference"] == event["dockerImageReference"]
                && first["image"] == event["image"]
            {
                return false;
            }
            items.insert(0, event);
            true
        }
        None => {
            tags.push(json!({"tag": tag, "items": [event]}));
            true
        }
    }
}

/// `UpdateTrackingTags`: the spec tags of this stream that follow `updated`
/// (`from.kind: ImageStreamTag` naming `updated` or `<stream>:updated` in this
/// namespace), in spec order.
pub fn tracking_tags(stream: &Value, updated: &str) -> Vec<String> {
    let name = stream["metadata"]["name"].as_str().unwrap_or_default();
    let namespace = stream["metadata"]["namespace"].as_str().unwrap_or_default();
    let mut out = Vec::new();
    for t in stream["spec"]["tags"].as_array().into_iter().flatten() {
        let from = &t["from"];
        if from["kind"] != "ImageStreamTag" {
            continue;
        }
        let ns = from["namespace"].as_str().unwrap_or_default();
        if !ns.is_empty() && ns != namespace {
            continue;
        }
        let from_name = from["name"].as_str().unwrap_or_default();
        let target = match from_name.split_once(':') {
            Some((s, tag)) if s == name => tag,
            Some(_) => continue,
            None => from_name,
        };
        let own = t["name"].as_str().unwrap_or_default();
        if target == updated && own != updated {
            out.push(own.to_string());
        }
    }
    out
}

/// Record `event` on `tag` and on every tag that tracks it.
pub fn record(stream: &mut Value, tag: &str, event: Value) {
    if add_tag_event(stream, tag, event.clone()) {
        for t in tracking_tags(stream, tag) {
            add_tag_event(stream, &t, event.clone());
        }
    }
}

/// Delete a tag (spec and status). Returns whether it existed.
pub fn delete(stream: &mut Value, tag: &str) -> bool {
    let mut found = false;
    for (path, key) in [(["spec", "tags"], "name"), (["status", "tags"], "tag")] {
        let exists = stream[path[0]][path[1]].is_array();
        if exists {
            let list = array_mut(stream, &path);
            let before = list.len();
            list.retain(|t| t[key] != tag);
            found |= list.len() != before;
        }
    }
    found
}

/// The stream's `metadata.generation` after a spec change, if it keeps one.
pub fn bump_generation(stream: &mut Value) -> Option<i64> {
    let g = stream["metadata"]["generation"].as_i64()? + 1;
    stream["metadata"]["generation"] = json!(g);
    Some(g)
}

/// RFC 3339 UTC (seconds) for a Unix time.
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_kinds_are_inferred() {
        let k = |s: &str| parse_source(s, None).unwrap().kind;
        assert_eq!(k("keycloak:20"), SourceKind::ImageStreamTag);
        assert_eq!(k("quay.io/keycloak/keycloak:20"), SourceKind::DockerImage);
        assert_eq!(
            k("keycloak@sha256:0000000000000000000000000000000000000000000000000000000000000000"),
            SourceKind::ImageStreamImage
        );
        assert_eq!(k("keycloak"), SourceKind::DockerImage);
        assert!(parse_source("quay.io/x:1", Some(SourceKind::ImageStreamTag)).is_err());
    }

    #[test]
    fn destinations_and_tag_names() {
        assert_eq!(
            parse_dest("p/k:20").unwrap().namespace.as_deref(),
            Some("p")
        );
        assert!(parse_dest("k").unwrap_err().contains("<stream_name>:<tag>"));
        assert!(parse_dest("k:-x").is_err());
        assert!(valid_tag_name("20.0.3_b-1"));
        assert!(!valid_tag_name(&"a".repeat(129)));
    }

    #[test]
    fn events_are_not_repeated() {
        let mut s = json!({"metadata": {"name": "k"}});
        assert!(add_tag_event(&mut s, "a", event("r@1", "1", "t", None)));
        assert!(!add_tag_event(&mut s, "a", event("r@1", "1", "t2", None)));
        assert!(add_tag_event(&mut s, "a", event("r@2", "2", "t3", None)));
        assert_eq!(s["status"]["tags"][0]["items"][0]["image"], "2");
    }

    #[test]
    fn clock() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_000_000), "2026-11-18T11:06:40Z");
    }
}
