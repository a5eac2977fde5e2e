//! `oc set image-lookup` on JSON values (openshift-reference.md 7.2): an
//! ImageStream's `spec.lookupPolicy.local`, or the `resolve-names` annotation
//! on a workload's pod template (on the object when it has no template).
//!
//! Pure: values in, values out.

use serde_json::{Map, Value};

use crate::manifest::kind;

/// The annotation that asks for local lookup on a workload.
pub const RESOLVE_NAMES: &str = "alpha.image.policy.openshift.io/resolve-names";

/// Where a kind keeps the annotations `set image-lookup` edits: the pod
/// template's `metadata`, or the object's own.
fn metadata_path(obj: &Value) -> Vec<&'static str> {
    let api = obj["apiVersion"].as_str().unwrap_or_default();
    let k = obj["kind"].as_str().unwrap_or_default();
    match kind::lookup(api, k) {
        Some(info) if info.pod_spec.ends_with(&["template", "spec"]) => {
            let mut p: Vec<&'static str> = info.pod_spec[..info.pod_spec.len() - 1].to_vec();
            p.push("metadata");
            p
        }
        _ => vec!["metadata"],
    }
}

fn is_image_stream(obj: &Value) -> bool {
    obj["kind"] == "ImageStream"
}

/// Whether local lookup is on, as `oc set image-lookup` lists it.
pub fn enabled(obj: &Value) -> bool {
    if is_image_stream(obj) {
        return obj["spec"]["lookupPolicy"]["local"] == Value::Bool(true);
    }
    let on = |path: &[&str]| {
        path.iter()
            .try_fold(obj, |v, k| v.get(k))
            .and_then(|m| m.get("annotations"))
            .and_then(|a| a.get(RESOLVE_NAMES))
            == Some(&Value::String("*".into()))
    };
    on(&metadata_path(obj)) || on(&["metadata"])
}

/// Turn local lookup on or off.
pub fn set(obj: &mut Value, on: bool) {
    if is_image_stream(obj) {
        let absent = obj["spec"]["lookupPolicy"]["local"].is_null();
        if on || !absent {
            let spec = child(obj, "spec");
            let policy = child(spec, "lookupPolicy");
            policy["local"] = Value::Bool(on);
        }
        return;
    }
    let path = metadata_path(obj);
    if !on && path.iter().try_fold(&*obj, |v, k| v.get(k)).is_none() {
        return;
    }
    let mut meta = &mut *obj;
    for k in &path {
        meta = child(meta, k);
    }
    if on {
        child(meta, "annotations")[RESOLVE_NAMES] = Value::String("*".into());
    } else if let Some(Value::Object(a)) = meta.get_mut("annotations") {
        a.remove(RESOLVE_NAMES);
        if a.is_empty()
            && let Value::Object(m) = meta
        {
            m.remove("annotations");
        }
        // A pod template's metadata that held only the annotation goes too, so
        // turning lookup on and off again gives the file back as it was.
        if path.len() > 1 && meta.as_object().is_some_and(Map::is_empty) {
            let parent = path[..path.len() - 1]
                .iter()
                .try_fold(&mut *obj, |v, k| v.get_mut(k));
            if let Some(Value::Object(p)) = parent {
                p.remove("metadata");
            }
        }
    }
}

fn child<'v>(v: &'v mut Value, key: &str) -> &'v mut Value {
    if !v.get(key).is_some_and(Value::is_object) {
        v[key] = Value::Object(Map::new());
    }
    &mut v[key]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn workloads_use_the_pod_template() {
        let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w"},
            "spec": {"template": {"spec": {"containers": []}}}});
        assert!(!enabled(&d));
        set(&mut d, true);
        assert_eq!(
            d["spec"]["template"]["metadata"]["annotations"][RESOLVE_NAMES],
            "*"
        );
        assert!(enabled(&d));
        set(&mut d, false);
        assert!(d["spec"]["template"].get("metadata").is_none());
        let mut cj = json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": {}}}}}});
        set(&mut cj, true);
        assert!(
            cj["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["annotations"][RESOLVE_NAMES]
                .is_string()
        );
        let mut pod =
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {}});
        set(&mut pod, true);
        assert_eq!(pod["metadata"]["annotations"][RESOLVE_NAMES], "*");
    }

    #[test]
    fn image_streams_use_the_lookup_policy() {
        let mut is =
            json!({"kind": "ImageStream", "metadata": {"name": "k"}, "spec": {"tags": []}});
        set(&mut is, false);
        assert_eq!(
            is,
            json!({"kind": "ImageStream", "metadata": {"name": "k"}, "spec": {"tags": []}})
        );
        set(&mut is, true);
        assert!(enabled(&is));
        set(&mut is, false);
        assert_eq!(is["spec"]["lookupPolicy"]["local"], false);
    }
}
