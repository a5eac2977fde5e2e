//! `oc import-image` and the cluster's scheduled imports, on ImageStream
//! snapshots (openshift-reference.md 7.4 and 4.2): which spec tags to ask a
//! registry about, and the status event the API server records for an answer.
//!
//! Pure: values in, values out. The registry is asked by `commands::import`.

use serde_json::{Value, json};

use crate::image_ref::ImageRef;
use crate::registry::{Platform, Selection, Target};

use super::tag;

/// The stream annotation that makes every tag of a stream insecure.
pub const INSECURE_ANNOTATION: &str = "openshift.io/image.insecureRepository";

/// How tags are picked and asked for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only tags with `importPolicy.scheduled: true`.
    pub scheduled_only: bool,
    /// `--insecure` (`Some(true)`), or as each tag says (`None`).
    pub insecure: Option<bool>,
    /// The platform for Legacy imports (`linux/amd64` when `None`).
    pub platform: Option<Platform>,
}

/// A spec tag to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagImport {
    /// The tag whose status gets the event.
    pub tag: String,
    /// What to ask the registry.
    pub target: Target,
    /// `generation` of the event.
    pub generation: Option<i64>,
    /// `importPolicy.importMode` as written (`Legacy` when absent).
    pub import_mode: String,
}

/// Whether the stream's tags are insecure by annotation.
fn stream_insecure(stream: &Value) -> bool {
    stream["metadata"]["annotations"][INSECURE_ANNOTATION] == "true"
}

/// The generation an import records for a spec tag: its own, or the stream's
/// when the tag is waiting for its first import (`generation: 0`).
fn event_generation(stream: &Value, spec: &Value) -> Option<i64> {
    spec["generation"]
        .as_i64()
        .filter(|g| *g > 0)
        .or_else(|| stream["metadata"]["generation"].as_i64())
}

/// What to ask for `spec` (a `spec.tags[]` entry), or `None` when the tag is
/// not imported (not a `DockerImage`, a `reference`, or not scheduled when only
/// scheduled tags are wanted).
pub fn tag_import(stream: &Value, spec: &Value, opts: &Options) -> Option<TagImport> {
    if spec["from"]["kind"] != "DockerImage" || spec["reference"] == true {
        return None;
    }
    if opts.scheduled_only && spec["importPolicy"]["scheduled"] != true {
        return None;
    }
    let name = spec["name"].as_str()?;
    let from = spec["from"]["name"].as_str()?;
    let mode = spec["importPolicy"]["importMode"]
        .as_str()
        .unwrap_or("Legacy")
        .to_string();
    let selection = if mode == "PreserveOriginal" {
        Selection::Original
    } else {
        Selection::Platform(opts.platform.clone().unwrap_or_else(Platform::linux_amd64))
    };
    let insecure = opts
        .insecure
        .unwrap_or_else(|| spec["importPolicy"]["insecure"] == true || stream_insecure(stream));
    Some(TagImport {
        tag: name.to_string(),
        target: Target {
            pull_spec: from.to_string(),
            insecure,
            selection,
        },
        generation: event_generation(stream, spec),
        import_mode: mode,
    })
}

/// Every tag of `stream` to import, in spec order.
pub fn stream_imports(stream: &Value, opts: &Options) -> Vec<TagImport> {
    stream["spec"]["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| tag_import(stream, t, opts))
        .collect()
}

/// The spec tag named `name`.
pub fn spec_tag<'v>(stream: &'v Value, name: &str) -> Option<&'v Value> {
    stream["spec"]["tags"]
        .as_array()?
        .iter()
        .find(|t| t["name"] == name)
}

/// oc's `FollowTagReference`: follow same-stream `ImageStreamTag` aliases from
/// `tag` to the tag that holds a source. Returns the final tag name and whether
/// any alias was followed; errors carry oc's text.
pub fn follow_tag(stream: &Value, tag: &str) -> Result<Option<(String, bool)>, String> {
    let name = stream["metadata"]["name"].as_str().unwrap_or_default();
    let mut seen = vec![tag.to_string()];
    let mut current = tag.to_string();
    loop {
        let Some(spec) = spec_tag(stream, &current) else {
            return if seen.len() == 1 {
                Ok(None)
            } else {
                Err(format!("tag {tag:?} points to an invalid imagestreamtag"))
            };
        };
        if spec["from"]["kind"] != "ImageStreamTag" {
            return Ok(Some((current, seen.len() > 1)));
        }
        let from_ns = spec["from"]["namespace"].as_str().unwrap_or_default();
        let own_ns = stream["metadata"]["namespace"].as_str().unwrap_or_default();
        let from_name = spec["from"]["name"].as_str().unwrap_or_default();
        let next = match from_name.split_once(':') {
            Some((s, t)) if s == name && (from_ns.is_empty() || from_ns == own_ns) => t,
            Some(_) => {
                return Err(format!(
                    "tag {tag:?} points to an imagestreamtag from another ImageStream"
                ));
            }
            None if from_ns.is_empty() || from_ns == own_ns => from_name,
            None => {
                return Err(format!(
                    "tag {tag:?} points to an imagestreamtag from another ImageStream"
                ));
            }
        };
        if next.is_empty() {
            return Err(format!("tag {tag:?} points to an invalid imagestreamtag"));
        }
        if seen.iter().any(|s| s == next) {
            return Err(format!(
                "tag {tag:?} on the image stream is a reference to same tag"
            ));
        }
        seen.push(next.to_string());
        current = next.to_string();
    }
}

/// `<source repository>@<digest>`: the pull spec as written, with its tag or
/// digest replaced (`mostAccuratePullSpec`).
pub fn pinned_reference(pull_spec: &str, digest: &str) -> Option<String> {
    let mut r = ImageRef::parse(pull_spec).ok()?;
    if r.name.is_empty() {
        return None;
    }
    r.tag.clear();
    r.id = digest.to_string();
    Some(r.exact())
}

/// The newest event's image of `tag`, if any.
pub fn current_image(stream: &Value, tag: &str) -> Option<String> {
    stream["status"]["tags"]
        .as_array()?
        .iter()
        .find(|t| t["tag"] == tag)?["items"][0]["image"]
        .as_str()
        .map(str::to_string)
}

/// Record an import of `tag`: prepend the event the API server would (unless
/// the newest event already holds this reference and image), let the aliases
/// of the tag follow, and clear a failed-import condition. Returns the tags
/// whose status changed, the imported tag first.
pub fn record(
    stream: &mut Value,
    tag_name: &str,
    reference: &str,
    digest: &str,
    created: &str,
    generation: Option<i64>,
) -> Vec<String> {
    let mut changed = Vec::new();
    let event = tag::event(reference, digest, created, generation);
    if tag::add_tag_event(stream, tag_name, event.clone()) {
        changed.push(tag_name.to_string());
        for t in tag::tracking_tags(stream, tag_name) {
            if tag::add_tag_event(stream, &t, event.clone()) {
                changed.push(t);
            }
        }
    }
    if clear_failed_condition(stream, tag_name) && changed.is_empty() {
        changed.push(tag_name.to_string());
    }
    changed
}

/// Drop `ImportSuccess: False` conditions from a tag's status, as a
/// successful import does. Returns whether there was one.
fn clear_failed_condition(stream: &mut Value, tag_name: &str) -> bool {
    let Some(tags) = stream["status"]["tags"].as_array_mut() else {
        return false;
    };
    let Some(t) = tags.iter_mut().find(|t| t["tag"] == tag_name) else {
        return false;
    };
    let Some(conds) = t.get_mut("conditions").and_then(Value::as_array_mut) else {
        return false;
    };
    let before = conds.len();
    conds.retain(|c| c["type"] != "ImportSuccess");
    let removed = conds.len() != before;
    if removed
        && conds.is_empty()
        && let Some(m) = t.as_object_mut()
    {
        m.remove("conditions");
    }
    removed
}

/// A new spec tag for `--from` (oc's `importTag` when the tag does not exist).
pub fn new_spec_tag(
    name: &str,
    from: &str,
    scheduled: bool,
    insecure: bool,
    import_mode: &str,
    reference_policy: &str,
) -> Value {
    let mut policy = serde_json::Map::new();
    if insecure {
        policy.insert("insecure".into(), json!(true));
    }
    if scheduled {
        policy.insert("scheduled".into(), json!(true));
    }
    policy.insert("importMode".into(), json!(import_mode));
    json!({
        "annotations": null,
        "from": {"kind": "DockerImage", "name": from},
        "importPolicy": policy,
        "name": name,
        "referencePolicy": {"type": reference_policy},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream() -> Value {
        json!({
            "metadata": {"name": "k", "namespace": "iam", "generation": 4},
            "spec": {"tags": [
                {"name": "20.0.3", "from": {"kind": "DockerImage", "name": "quay.io/k/k:20.0.3"},
                 "generation": 3, "importPolicy": {"scheduled": true}},
                {"name": "multi", "from": {"kind": "DockerImage", "name": "quay.io/k/k:multi"},
                 "generation": 0, "importPolicy": {"importMode": "PreserveOriginal", "insecure": true}},
                {"name": "ref", "from": {"kind": "DockerImage", "name": "quay.io/k/k:1"}, "reference": true},
                {"name": "20", "from": {"kind": "ImageStreamTag", "name": "20.0.3"}},
                {"name": "top", "from": {"kind": "ImageStreamTag", "name": "k:20"}},
                {"name": "loop", "from": {"kind": "ImageStreamTag", "name": "loop2"}},
                {"name": "loop2", "from": {"kind": "ImageStreamTag", "name": "loop"}},
                {"name": "other", "from": {"kind": "ImageStreamTag", "name": "x:1"}},
            ]},
            "status": {"tags": [
                {"tag": "20.0.3", "items": [{"image": "sha256:a", "dockerImageReference": "quay.io/k/k@sha256:a"}],
                 "conditions": [{"type": "ImportSuccess", "status": "False"}]},
                {"tag": "20", "items": [{"image": "sha256:a", "dockerImageReference": "quay.io/k/k@sha256:a"}]},
            ]},
        })
    }

    #[test]
    fn which_tags_are_imported() {
        let s = stream();
        let all = stream_imports(&s, &Options::default());
        let names: Vec<&str> = all.iter().map(|t| t.tag.as_str()).collect();
        assert_eq!(names, ["20.0.3", "multi"]);
        assert_eq!(all[0].generation, Some(3));
        assert_eq!(
            all[1].generation,
            Some(4),
            "a waiting tag takes the stream's"
        );
        assert_eq!(all[1].target.selection, Selection::Original);
        assert!(all[1].target.insecure && !all[0].target.insecure);
        assert_eq!(
            all[0].target.selection,
            Selection::Platform(Platform::linux_amd64())
        );
        let scheduled = stream_imports(
            &s,
            &Options {
                scheduled_only: true,
                ..Options::default()
            },
        );
        assert_eq!(scheduled.len(), 1);
        let forced = stream_imports(
            &s,
            &Options {
                insecure: Some(true),
                ..Options::default()
            },
        );
        assert!(forced.iter().all(|t| t.target.insecure));
    }

    #[test]
    fn aliases_are_followed_as_oc_does() {
        let s = stream();
        assert_eq!(
            follow_tag(&s, "20.0.3").unwrap(),
            Some(("20.0.3".into(), false))
        );
        assert_eq!(
            follow_tag(&s, "top").unwrap(),
            Some(("20.0.3".into(), true))
        );
        assert_eq!(follow_tag(&s, "nope").unwrap(), None);
        assert!(
            follow_tag(&s, "loop")
                .unwrap_err()
                .contains("reference to same tag")
        );
        assert!(
            follow_tag(&s, "other")
                .unwrap_err()
                .contains("another ImageStream")
        );
    }

    #[test]
    fn events_are_recorded_once_and_aliases_follow() {
        let mut s = stream();
        let r = pinned_reference("quay.io/k/k:20.0.3", "sha256:b").unwrap();
        assert_eq!(
            r, "quay.io/k/k:sha256:b",
            "an id that is not a digest renders as oc does"
        );
        let changed = record(&mut s, "20.0.3", &r, "sha256:b", "t", Some(3));
        assert_eq!(changed, ["20.0.3", "20"]);
        assert_eq!(current_image(&s, "20").as_deref(), Some("sha256:b"));
        assert!(s["status"]["tags"][0].get("conditions").is_none());
        assert_eq!(s["status"]["tags"][0]["items"][0]["generation"], 3);
        let again = record(&mut s, "20.0.3", &r, "sha256:b", "t2", Some(3));
        assert!(again.is_empty());
        // A tag with no status yet gets one.
        let changed = record(
            &mut s,
            "multi",
            "quay.io/k/k@sha256:c",
            "sha256:c",
            "t",
            None,
        );
        assert_eq!(changed, ["multi"]);
        assert_eq!(current_image(&s, "multi").as_deref(), Some("sha256:c"));
    }

    #[test]
    fn pinned_references_keep_the_text() {
        let d = format!("sha256:{}", "1".repeat(64));
        assert_eq!(pinned_reference("nginx", &d), Some(format!("nginx@{d}")));
        assert_eq!(
            pinned_reference("127.0.0.1:5000/a/b:v1", &d),
            Some(format!("127.0.0.1:5000/a/b@{d}"))
        );
        assert_eq!(
            pinned_reference("quay.io/a/b@sha256:{}", &d),
            None,
            "not a pull spec"
        );
        assert_eq!(pinned_reference("", &d), None);
    }
}
