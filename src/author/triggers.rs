//! `oc set triggers` on JSON values: read an object's triggers into oc's
//! `TriggerDefinition`, change it the way the flags say, and write it back,
//! with oc's rules, side effects and error texts (openshift-reference.md 7.1).
//!
//! Pure: values in, values or an error text out.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::fieldpath::{self, FieldPath, Selector};
use crate::image_ref::ImageRef;
use crate::manifest::kind;
use crate::trigger::annotation::{self, ObjectFieldTrigger, ObjectReference, TRIGGER_ANNOTATION};

/// The flags as given.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// `--from-image`.
    pub from_image: Option<String>,
    /// `-c/--containers`.
    pub containers: Option<String>,
    /// `--auto`.
    pub auto: bool,
    /// `--manual`.
    pub manual: bool,
    /// `--remove`.
    pub remove: bool,
    /// `--remove-all`.
    pub remove_all: bool,
    /// `--from-config`.
    pub from_config: bool,
}

/// The flags after oc's `Complete` and `Validate`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// No change requested: print the table.
    pub print_table: bool,
    /// `--auto`/`--manual` alone: switch every trigger.
    pub reset: bool,
    auto: bool,
    manual: bool,
    remove: bool,
    remove_all: bool,
    from_config: bool,
    /// `name:tag`.
    from_image: String,
    /// The image's namespace, blank when it is the current one.
    from_image_namespace: String,
    containers: String,
}

/// Complete and validate the flags as `oc` does. `current_namespace` is the
/// namespace `oc` would run in (`-n`, else the object's).
pub fn complete(flags: &Flags, current_namespace: &str) -> Result<Options, String> {
    let mut o = Options {
        auto: flags.auto,
        manual: flags.manual,
        remove: flags.remove,
        remove_all: flags.remove_all,
        from_config: flags.from_config,
        containers: flags.containers.clone().unwrap_or_default(),
        ..Default::default()
    };
    if let Some(from) = flags.from_image.as_deref().filter(|f| !f.is_empty()) {
        let r = ImageRef::parse(from).map_err(|e| {
            format!(
                "the value of --from-image does not appear to be a valid reference to an image: {e}"
            )
        })?;
        if !r.registry.is_empty() || !r.id.is_empty() {
            return Err(
                "the value of --from-image must point to an image stream tag on this server".into(),
            );
        }
        if r.tag.is_empty() {
            return Err(
                "the value of --from-image must include the tag you wish to pull from".into(),
            );
        }
        o.from_image = format!("{}:{}", r.name, r.tag);
        o.from_image_namespace = default_namespace(&r.namespace, current_namespace);
    }
    let count = usize::from(o.from_config) + usize::from(!o.from_image.is_empty());
    o.reset = count == 0 && (o.auto || o.manual);
    if count == 0 && !o.remove && !o.remove_all && !o.auto && !o.manual {
        o.print_table = true;
    } else if !o.remove_all && !o.auto && !o.manual {
        o.auto = true;
    }
    // Validate.
    if o.auto && o.manual {
        return Err("you must specify at most one of --auto or --manual".into());
    }
    if o.remove && o.remove_all {
        return Err("you must specify either --remove or --remove-all".into());
    }
    if o.remove_all && (count != 0 || o.auto || o.manual) {
        return Err("--remove-all may not be used with any other flag".into());
    }
    if o.remove && count < 1 {
        return Err("--remove requires a flag defining a trigger type to be specified".into());
    }
    if count > 1 {
        return Err("you may only set one trigger type at a time".into());
    }
    Ok(o)
}

fn default_namespace(ns: &str, default: &str) -> String {
    if ns == default {
        String::new()
    } else {
        ns.to_string()
    }
}

/// One image trigger, as oc models it across kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageChange {
    /// Applied automatically.
    pub auto: bool,
    /// `name:tag`.
    pub from: String,
    /// Namespace, blank when it is the object's.
    pub namespace: String,
    /// Container names (annotations and DeploymentConfigs).
    pub names: Vec<String>,
}

/// oc's `TriggerDefinition`. BuildConfig web hooks are carried as written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Definition {
    /// The config-change trigger (for a Deployment: not paused).
    pub config_change: bool,
    /// Image triggers.
    pub image_change: Vec<ImageChange>,
    /// BuildConfig web hook triggers: (type, the trigger as written).
    pub webhooks: Vec<(String, Value)>,
}

/// How triggers live on a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carrier {
    /// The annotation, on a kind with this pod spec path.
    Annotation(&'static [&'static str]),
    /// `spec.triggers` of a DeploymentConfig.
    DeploymentConfig,
    /// `spec.triggers` of a BuildConfig.
    BuildConfig,
}

/// How `kind` (at `api_version`) carries triggers, if it does.
pub fn carrier(api_version: &str, kind_name: &str) -> Option<Carrier> {
    match kind_name {
        "Deployment" | "DaemonSet" | "StatefulSet" | "CronJob" => {
            kind::lookup(api_version, kind_name).map(|k| Carrier::Annotation(k.pod_spec))
        }
        "DeploymentConfig" if matches!(api_version, "apps.openshift.io/v1" | "v1") => {
            Some(Carrier::DeploymentConfig)
        }
        "BuildConfig" if matches!(api_version, "build.openshift.io/v1" | "v1") => {
            Some(Carrier::BuildConfig)
        }
        _ => None,
    }
}

/// Read an object's triggers (`NewAnnotationTriggers` and friends).
pub fn read(obj: &Value, carrier: Carrier, namespace: &str) -> Result<Definition, String> {
    match carrier {
        Carrier::Annotation(pod_spec) => read_annotation(obj, pod_spec, namespace),
        Carrier::DeploymentConfig => Ok(read_dc(obj, namespace)),
        Carrier::BuildConfig => Ok(read_bc(obj, namespace)),
    }
}

fn is_deployment(obj: &Value) -> bool {
    obj["kind"] == "Deployment"
}

fn str_at<'v>(v: &'v Value, path: &[&str]) -> &'v str {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn read_annotation(obj: &Value, pod_spec: &[&str], namespace: &str) -> Result<Definition, String> {
    let mut def = Definition {
        config_change: true,
        ..Default::default()
    };
    if is_deployment(obj) {
        def.config_change = at(obj, &["spec", "paused"]) != Some(&Value::Bool(true));
    }
    let Some(value) = at(obj, &["metadata", "annotations", TRIGGER_ANNOTATION]) else {
        return Ok(def);
    };
    let text = value.as_str().unwrap_or_default();
    let triggers = annotation::decode(text).map_err(|e| e.0)?;
    let base = format!("{}.", pod_spec.join("."));
    let spec = at(obj, pod_spec);
    for t in triggers {
        let Some(name) = container_for_path(spec, &t.field_path, &base) else {
            continue;
        };
        def.image_change.push(ImageChange {
            auto: !t.paused,
            names: vec![name],
            from: t.from.name,
            namespace: default_namespace(&t.from.namespace, namespace),
        });
    }
    Ok(def)
}

/// The name of the container whose `image` a fieldPath addresses
/// (library-go `ContainerForObjectFieldPath` with remainder `image`).
fn container_for_path(spec: Option<&Value>, path: &str, base: &str) -> Option<String> {
    let FieldPath::Target(t) = fieldpath::parse(path, base) else {
        return None;
    };
    let list = |key: &str| -> Vec<&Value> {
        spec.and_then(|s| s.get(key))
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    };
    let name_of = |c: &Value| {
        c.get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    match t.selector {
        Selector::Index(i) => {
            let items = list(t.list.key());
            usize::try_from(i)
                .ok()
                .and_then(|i| items.get(i))
                .map(|c| name_of(c))
        }
        Selector::Name { name, .. } => list("initContainers")
            .into_iter()
            .chain(list("containers"))
            .find(|c| name_of(c) == name)
            .map(name_of),
        Selector::Unmatched => None,
    }
}

fn read_dc(obj: &Value, namespace: &str) -> Definition {
    let mut def = Definition::default();
    for t in at(obj, &["spec", "triggers"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match t.get("type").and_then(Value::as_str) {
            Some("ConfigChange") => def.config_change = true,
            Some("ImageChange") => {
                let p = t.get("imageChangeParams").unwrap_or(&Value::Null);
                def.image_change.push(ImageChange {
                    auto: p.get("automatic") == Some(&Value::Bool(true)),
                    names: strings(p.get("containerNames")),
                    from: str_at(p, &["from", "name"]).to_string(),
                    namespace: default_namespace(str_at(p, &["from", "namespace"]), namespace),
                });
            }
            _ => {}
        }
    }
    def
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

const WEBHOOKS: &[(&str, &str)] = &[
    ("Generic", "generic"),
    ("GitHub", "github"),
    ("GitLab", "gitlab"),
    ("Bitbucket", "bitbucket"),
];

/// The strategy's ImageStreamTag input, normalised (`strategyTrigger`).
fn strategy_trigger(obj: &Value, namespace: &str) -> Option<ImageChange> {
    let strategy = at(obj, &["spec", "strategy"])?;
    let from = ["sourceStrategy", "dockerStrategy", "customStrategy"]
        .iter()
        .find_map(|k| strategy.get(k).and_then(|s| s.get("from")))?;
    (from.get("kind").and_then(Value::as_str) == Some("ImageStreamTag")).then(|| ImageChange {
        auto: false,
        from: str_at(from, &["name"]).to_string(),
        namespace: default_namespace(str_at(from, &["namespace"]), namespace),
        names: Vec::new(),
    })
}

fn read_bc(obj: &Value, namespace: &str) -> Definition {
    let mut def = Definition::default();
    let mut set_strategy = false;
    for t in at(obj, &["spec", "triggers"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let ty = t.get("type").and_then(Value::as_str).unwrap_or_default();
        match ty {
            "ConfigChange" => def.config_change = true,
            "ImageChange" => match t.get("imageChange").and_then(|c| c.get("from")) {
                None | Some(Value::Null) => {
                    if let Some(mut s) = strategy_trigger(obj, namespace) {
                        set_strategy = true;
                        s.auto = true;
                        def.image_change.push(s);
                    }
                }
                Some(from) => def.image_change.push(ImageChange {
                    auto: true,
                    from: str_at(from, &["name"]).to_string(),
                    namespace: default_namespace(str_at(from, &["namespace"]), namespace),
                    names: Vec::new(),
                }),
            },
            _ if WEBHOOKS.iter().any(|(w, _)| *w == ty) => {
                def.webhooks.push((ty.to_string(), t.clone()));
            }
            _ => {}
        }
    }
    if !set_strategy && let Some(s) = strategy_trigger(obj, namespace) {
        def.image_change.push(s);
    }
    def
}

/// Change a definition as the flags say (`updateTriggers`).
pub fn update(def: &mut Definition, o: &Options) {
    if o.remove_all {
        *def = Definition::default();
        return;
    }
    if o.remove {
        if o.from_config {
            def.config_change = false;
        }
        if !o.from_image.is_empty() {
            def.image_change.retain(|t| t.from != o.from_image);
        }
        return;
    }
    if o.reset {
        def.config_change = o.auto;
        for t in &mut def.image_change {
            t.auto = o.auto;
        }
        return;
    }
    if o.from_config {
        def.config_change = true;
    }
    if !o.from_image.is_empty() {
        let names: Vec<String> = if o.containers.is_empty() {
            Vec::new()
        } else {
            o.containers.split(',').map(String::from).collect()
        };
        match def
            .image_change
            .iter_mut()
            .find(|t| t.from == o.from_image && t.namespace == o.from_image_namespace)
        {
            Some(t) => {
                t.auto = !o.manual;
                t.names = names;
            }
            None => def.image_change.push(ImageChange {
                from: o.from_image.clone(),
                namespace: o.from_image_namespace.clone(),
                auto: !o.manual,
                names,
            }),
        }
    }
}

/// Write a definition back onto an object (`TriggerDefinition.Apply`).
pub fn apply(
    def: &Definition,
    obj: &mut Value,
    carrier: Carrier,
    namespace: &str,
) -> Result<(), String> {
    match carrier {
        Carrier::Annotation(pod_spec) => apply_annotation(def, obj, pod_spec, namespace),
        Carrier::DeploymentConfig => apply_dc(def, obj),
        Carrier::BuildConfig => {
            apply_bc(def, obj, namespace);
            Ok(())
        }
    }
}

fn container_names(spec: Option<&Value>) -> BTreeSet<String> {
    ["containers", "initContainers"]
        .iter()
        .filter_map(|k| spec.and_then(|s| s.get(k)).and_then(Value::as_array))
        .flatten()
        .map(|c| str_at(c, &["name"]).to_string())
        .collect()
}

fn check_names(t: &ImageChange, all: &BTreeSet<String>) -> Result<(), String> {
    if t.names.is_empty() {
        return Err("you must specify --containers when setting --from-image".into());
    }
    let missing: BTreeSet<&str> = t
        .names
        .iter()
        .map(String::as_str)
        .filter(|n| !all.contains(*n))
        .collect();
    if !missing.is_empty() {
        let accepts: Vec<&str> = all.iter().map(String::as_str).collect();
        return Err(format!(
            "not all container names exist: {} (accepts: {})",
            missing.into_iter().collect::<Vec<_>>().join(", "),
            accepts.join(", ")
        ));
    }
    Ok(())
}

fn object_mut<'v>(v: &'v mut Value, key: &str) -> &'v mut Map<String, Value> {
    if !v.get(key).is_some_and(Value::is_object) {
        v[key] = Value::Object(Map::new());
    }
    match &mut v[key] {
        Value::Object(m) => m,
        _ => unreachable!("just made an object"),
    }
}

fn apply_annotation(
    def: &Definition,
    obj: &mut Value,
    pod_spec: &[&str],
    namespace: &str,
) -> Result<(), String> {
    if !def.webhooks.is_empty() {
        return Err("does not support web hooks".into());
    }
    let all = container_names(at(obj, pod_spec));
    let base = format!("{}.", pod_spec.join("."));
    let mut already = BTreeSet::new();
    let mut out = Vec::new();
    for t in &def.image_change {
        check_names(t, &all)?;
        let dup: Vec<&str> = t
            .names
            .iter()
            .map(String::as_str)
            .filter(|n| already.contains(*n))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if !dup.is_empty() {
            return Err(format!(
                "only one trigger may reference each container: {}",
                dup.join(", ")
            ));
        }
        already.extend(t.names.iter().cloned());
        for name in &t.names {
            out.push(ObjectFieldTrigger {
                from: ObjectReference {
                    kind: "ImageStreamTag".into(),
                    name: t.from.clone(),
                    namespace: default_namespace(&t.namespace, namespace),
                    api_version: String::new(),
                },
                field_path: fieldpath::name_path(&base, name),
                paused: !t.auto,
                unknown_keys: Vec::new(),
            });
        }
    }
    let text = annotation::encode(&out);
    let meta = object_mut(obj, "metadata");
    if !meta.get("annotations").is_some_and(Value::is_object) {
        meta.insert("annotations".into(), Value::Object(Map::new()));
    }
    if let Some(Value::Object(a)) = meta.get_mut("annotations") {
        a.insert(TRIGGER_ANNOTATION.into(), Value::String(text));
    }
    if is_deployment(obj) {
        let paused = !def.config_change;
        let spec = object_mut(obj, "spec");
        if paused || spec.contains_key("paused") {
            spec.insert("paused".into(), Value::Bool(paused));
        }
    }
    Ok(())
}

/// A DeploymentConfig trigger reduced to the fields Go's struct has, for
/// `reflect.DeepEqual`.
fn dc_trigger_key(t: &Value) -> Value {
    let mut k = json!({"type": t.get("type").cloned().unwrap_or(Value::Null)});
    if let Some(p) = t.get("imageChangeParams").filter(|p| p.is_object()) {
        let from = p.get("from").cloned().unwrap_or(Value::Null);
        k["p"] = json!({
            "automatic": p.get("automatic") == Some(&Value::Bool(true)),
            "containerNames": strings(p.get("containerNames")),
            "from": object_ref_key(&from),
            "lastTriggeredImage": str_at(p, &["lastTriggeredImage"]),
        });
    }
    k
}

fn object_ref_key(from: &Value) -> Value {
    json!([
        str_at(from, &["kind"]),
        str_at(from, &["namespace"]),
        str_at(from, &["name"]),
        str_at(from, &["uid"]),
        str_at(from, &["apiVersion"]),
        str_at(from, &["resourceVersion"]),
        str_at(from, &["fieldPath"]),
    ])
}

fn ist_ref(name: &str, namespace: &str) -> Value {
    let mut from = json!({"kind": "ImageStreamTag", "name": name});
    if !namespace.is_empty() {
        from["namespace"] = json!(namespace);
    }
    from
}

fn apply_dc(def: &Definition, obj: &mut Value) -> Result<(), String> {
    if !def.webhooks.is_empty() {
        return Err("deployment configs do not support web hooks".into());
    }
    let existing: Vec<Value> = at(obj, &["spec", "triggers"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|t| t.get("type").and_then(Value::as_str) != Some("ConfigChange"))
        .cloned()
        .collect();
    let mut triggers = Vec::new();
    if def.config_change {
        triggers.push(json!({"type": "ConfigChange"}));
    }
    let all = container_names(at(obj, &["spec", "template", "spec"]));
    for t in &def.image_change {
        check_names(t, &all)?;
        let mut params = json!({
            "containerNames": t.names,
            "from": ist_ref(&t.from, &t.namespace),
        });
        if t.auto {
            params["automatic"] = json!(true);
        }
        triggers.push(json!({"type": "ImageChange", "imageChangeParams": params}));
    }
    // mergeDeployTriggers: keep existing entries identical to a new one (and
    // their bytes), then add the new ones not yet present.
    let keys: Vec<Value> = triggers.iter().map(dc_trigger_key).collect();
    let mut result: Vec<Value> = existing
        .into_iter()
        .filter(|e| keys.contains(&dc_trigger_key(e)))
        .collect();
    for t in triggers {
        let k = dc_trigger_key(&t);
        if !result.iter().any(|r| dc_trigger_key(r) == k) {
            result.push(t);
        }
    }
    object_mut(obj, "spec").insert("triggers".into(), Value::Array(result));
    Ok(())
}

/// A BuildConfig trigger as `findBuildTrigger` compares it: image changes
/// reduced to their `from`.
fn bc_trigger_key(t: &Value) -> Value {
    let hook = |k: &str| {
        t.get(k).filter(|h| h.is_object()).map(|h| {
            json!([
                str_at(h, &["secret"]),
                h.get("secretReference")
                    .map(|s| str_at(s, &["name"]).to_string()),
                h.get("allowEnv") == Some(&Value::Bool(true)),
            ])
        })
    };
    json!({
        "type": t.get("type").cloned().unwrap_or(Value::Null),
        "generic": hook("generic"),
        "github": hook("github"),
        "gitlab": hook("gitlab"),
        "bitbucket": hook("bitbucket"),
        "imageChange": t.get("imageChange").filter(|c| c.is_object()).map(|c| {
            c.get("from").filter(|f| f.is_object()).map(object_ref_key)
        }),
    })
}

fn matches_build_image_change(t: &ImageChange, strategy: Option<&ImageChange>, ic: &Value) -> bool {
    if !ic.is_object() {
        return false;
    }
    match ic.get("from").filter(|f| f.is_object()) {
        None => strategy.is_some_and(|s| s.from == t.from && s.namespace == t.namespace),
        Some(from) => {
            let mut ns = str_at(from, &["namespace"]).to_string();
            if let Some(s) = strategy {
                ns = default_namespace(&ns, &s.namespace);
            }
            str_at(from, &["name"]) == t.from && ns == t.namespace
        }
    }
}

fn apply_bc(def: &Definition, obj: &mut Value, namespace: &str) {
    let mut triggers = Vec::new();
    if def.config_change {
        triggers.push(json!({"type": "ConfigChange"}));
    }
    triggers.extend(def.webhooks.iter().map(|(_, v)| v.clone()));
    let mut existing: Vec<Value> = at(obj, &["spec", "triggers"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut strategy = strategy_trigger(obj, namespace);
    for t in &def.image_change {
        let mut change = json!({"from": ist_ref(&t.from, &t.namespace)});
        if let Some(s) = strategy.as_mut() {
            s.auto = t.auto;
        }
        if strategy.as_ref() == Some(t) {
            change = json!({});
        }
        if !t.auto {
            existing.retain(|e| {
                !matches_build_image_change(
                    t,
                    strategy.as_ref(),
                    e.get("imageChange").unwrap_or(&Value::Null),
                )
            });
            continue;
        }
        triggers.push(json!({"type": "ImageChange", "imageChange": change}));
    }
    let keys: Vec<Value> = triggers.iter().map(bc_trigger_key).collect();
    let mut result: Vec<Value> = existing
        .into_iter()
        .filter(|e| keys.contains(&bc_trigger_key(e)))
        .collect();
    for t in triggers {
        let k = bc_trigger_key(&t);
        if !result.iter().any(|r| bc_trigger_key(r) == k) {
            result.push(t);
        }
    }
    object_mut(obj, "spec").insert("triggers".into(), Value::Array(result));
}

/// The rows `oc set triggers` prints for one object (without the header).
/// `name` is `<plural>/<name>`.
pub fn rows(
    name: &str,
    obj: &Value,
    carrier: Option<Carrier>,
    namespace: &str,
) -> Vec<[String; 4]> {
    let error = vec![[
        name.to_string(),
        "<error>".into(),
        String::new(),
        "false".into(),
    ]];
    let Some(carrier) = carrier else {
        return error;
    };
    let def = match read(obj, carrier, namespace) {
        Ok(d) => d,
        Err(_) => return error,
    };
    let mut out = vec![[
        name.to_string(),
        "config".into(),
        String::new(),
        def.config_change.to_string(),
    ]];
    for t in &def.image_change {
        let from = if t.namespace.is_empty() {
            t.from.clone()
        } else {
            format!("{}/{}", t.namespace, t.from)
        };
        let value = if t.names.is_empty() {
            from
        } else {
            format!("{from} ({})", t.names.join(", "))
        };
        out.push([name.to_string(), "image".into(), value, t.auto.to_string()]);
    }
    for (ty, v) in &def.webhooks {
        let (label, val) = match ty.as_str() {
            "Generic" => {
                let allow =
                    v.get("generic").and_then(|g| g.get("allowEnv")) == Some(&Value::Bool(true));
                (
                    "webhook",
                    if allow {
                        "<secret>, allowenv"
                    } else {
                        "<secret>"
                    },
                )
            }
            "GitHub" => ("github", "<secret>"),
            "GitLab" => ("gitlab", "<secret>"),
            _ => ("bitbucket", "<secret>"),
        };
        out.push([name.to_string(), label.into(), val.into(), String::new()]);
    }
    // oc applies the definition after printing it; a failure adds an error row.
    let mut copy = obj.clone();
    if apply(&def, &mut copy, carrier, namespace).is_err() {
        out.extend(error);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_rules() {
        let f = |f: Flags| complete(&f, "p");
        assert!(f(Flags::default()).unwrap().print_table);
        assert_eq!(
            f(Flags {
                remove: true,
                ..Default::default()
            })
            .unwrap_err(),
            "--remove requires a flag defining a trigger type to be specified"
        );
        assert_eq!(
            f(Flags {
                remove_all: true,
                from_config: true,
                ..Default::default()
            })
            .unwrap_err(),
            "--remove-all may not be used with any other flag"
        );
        assert_eq!(
            f(Flags {
                auto: true,
                manual: true,
                ..Default::default()
            })
            .unwrap_err(),
            "you must specify at most one of --auto or --manual"
        );
        assert_eq!(
            f(Flags {
                from_config: true,
                from_image: Some("a:b".into()),
                ..Default::default()
            })
            .unwrap_err(),
            "you may only set one trigger type at a time"
        );
    }

    #[test]
    fn deployment_config_round_trip_keeps_identical_entries() {
        let mut dc = json!({
            "apiVersion": "apps.openshift.io/v1", "kind": "DeploymentConfig",
            "metadata": {"name": "api", "namespace": "p"},
            "spec": {
                "triggers": [
                    {"type": "ImageChange", "imageChangeParams": {"automatic": true, "containerNames": ["api"], "from": {"kind": "ImageStreamTag", "name": "api:1"}}},
                    {"type": "ConfigChange"}
                ],
                "template": {"spec": {"containers": [{"name": "api", "image": "x"}, {"name": "side", "image": "y"}]}}
            }
        });
        let o = complete(
            &Flags {
                from_image: Some("side:2".into()),
                containers: Some("side".into()),
                manual: true,
                ..Default::default()
            },
            "p",
        )
        .unwrap();
        let mut def = read(&dc, Carrier::DeploymentConfig, "p").unwrap();
        update(&mut def, &o);
        apply(&def, &mut dc, Carrier::DeploymentConfig, "p").unwrap();
        assert_eq!(
            dc["spec"]["triggers"],
            json!([
                {"type": "ImageChange", "imageChangeParams": {"automatic": true, "containerNames": ["api"], "from": {"kind": "ImageStreamTag", "name": "api:1"}}},
                {"type": "ConfigChange"},
                {"type": "ImageChange", "imageChangeParams": {"containerNames": ["side"], "from": {"kind": "ImageStreamTag", "name": "side:2"}}}
            ])
        );
    }

    #[test]
    fn build_config_manual_removes_the_strategy_trigger() {
        let mut bc = json!({
            "apiVersion": "build.openshift.io/v1", "kind": "BuildConfig",
            "metadata": {"name": "b", "namespace": "p"},
            "spec": {
                "strategy": {"sourceStrategy": {"from": {"kind": "ImageStreamTag", "name": "base:1"}}},
                "triggers": [{"type": "ImageChange", "imageChange": {"lastTriggeredImageID": "x"}}, {"type": "GitHub", "github": {"secret": "s"}}]
            }
        });
        let rows_before = rows("buildconfigs/b", &bc, Some(Carrier::BuildConfig), "p");
        assert_eq!(rows_before[1][2], "base:1");
        assert_eq!(rows_before[2][1], "github");
        let o = complete(
            &Flags {
                from_image: Some("base:1".into()),
                manual: true,
                ..Default::default()
            },
            "p",
        )
        .unwrap();
        let mut def = read(&bc, Carrier::BuildConfig, "p").unwrap();
        update(&mut def, &o);
        apply(&def, &mut bc, Carrier::BuildConfig, "p").unwrap();
        assert_eq!(
            bc["spec"]["triggers"],
            json!([{"type": "GitHub", "github": {"secret": "s"}}])
        );
    }
}
