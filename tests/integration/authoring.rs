//! The authoring verbs against their oracle data: every vector of
//! `vectors/oc-set-triggers.json` through the real binary, on the object written
//! as a YAML file and as a JSON file. The annotation text, `spec.paused`, the
//! error texts and the listing table must match byte for byte.

use std::path::Path;

use serde_json::Value;

use streampin::manifest::patch::to_yaml;

use crate::support::{root, streampin};

const TRIGGERS: &str = "image.openshift.io/triggers";

fn vectors(name: &str) -> Vec<Value> {
    let path = root().join("tests/conformance/vectors").join(name);
    let data: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    data["vectors"].as_array().unwrap().clone()
}

fn plural(kind: &str) -> String {
    format!("{}s", kind.to_ascii_lowercase())
}

/// The command line a vector's flags stand for.
fn args(v: &Value) -> Vec<String> {
    let obj = &v["input"]["object"];
    let mut a = vec![
        "set-triggers".to_string(),
        format!(
            "{}/{}",
            plural(obj["kind"].as_str().unwrap()),
            obj["metadata"]["name"].as_str().unwrap()
        ),
    ];
    let flags = &v["input"]["flags"];
    if let Some(f) = flags["fromImage"].as_str() {
        a.push(format!("--from-image={f}"));
    }
    if let Some(c) = flags["containers"].as_str() {
        a.push(format!("--containers={c}"));
    }
    for (key, flag) in [
        ("auto", "--auto"),
        ("manual", "--manual"),
        ("remove", "--remove"),
        ("removeAll", "--remove-all"),
        ("fromConfig", "--from-config"),
    ] {
        if flags[key] == Value::Bool(true) {
            a.push(flag.into());
        }
    }
    if let Some(ns) = v["input"]["currentNamespace"].as_str() {
        a.push(format!("--namespace={ns}"));
    }
    a
}

/// Run one vector on `file` (already written in `dir`); describe any mismatch.
fn run_vector(v: &Value, dir: &Path, file: &str) -> Option<String> {
    let id = v["id"].as_str().unwrap();
    let before = std::fs::read_to_string(dir.join(file)).unwrap();
    let out = streampin(dir).args(args(v)).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let after = std::fs::read_to_string(dir.join(file)).unwrap();
    let exp = &v["expected"];
    if let Some(listing) = exp["output"].as_str() {
        if stdout != listing || !out.status.success() || after != before {
            return Some(format!(
                "{id} ({file}): listing\n{stdout}\nwanted\n{listing}\n{stderr}"
            ));
        }
        return None;
    }
    if let Some(error) = exp["error"].as_str() {
        if out.status.success() || !stderr.contains(error) || after != before {
            return Some(format!(
                "{id} ({file}): wanted error `{error}`, got status {:?}, stderr {stderr}",
                out.status.code()
            ));
        }
        return None;
    }
    if !out.status.success() {
        return Some(format!("{id} ({file}): failed: {stderr}"));
    }
    let docs = streampin::manifest::yaml::parse(&after).unwrap();
    let obj = docs[0].root.to_json(&docs[0]);
    let ann = &obj["metadata"]["annotations"][TRIGGERS];
    if ann.as_str() != exp["annotation"].as_str() {
        return Some(format!(
            "{id} ({file}): annotation {ann}, wanted {}",
            exp["annotation"]
        ));
    }
    if let Some(paused) = exp["specPaused"].as_bool() {
        let got = obj["spec"]["paused"].as_bool().unwrap_or(false);
        if got != paused {
            return Some(format!("{id} ({file}): spec.paused {got}, wanted {paused}"));
        }
    }
    // Nothing but the annotation and spec.paused may have changed.
    let mut was = v["input"]["object"].clone();
    let mut now = obj.clone();
    for o in [&mut was, &mut now] {
        if let Some(a) = o["metadata"]
            .get_mut("annotations")
            .and_then(Value::as_object_mut)
        {
            a.remove(TRIGGERS);
            if a.is_empty() {
                o["metadata"].as_object_mut().unwrap().remove("annotations");
            }
        }
        o["spec"].as_object_mut().unwrap().remove("paused");
    }
    if was != now {
        return Some(format!("{id} ({file}): other fields changed: {now}"));
    }
    None
}

#[test]
fn oc_set_triggers_vectors() {
    let vs = vectors("oc-set-triggers.json");
    assert_eq!(vs.len(), 22, "the data announces 22 vectors");
    let mut failures = Vec::new();
    for v in &vs {
        let obj = &v["input"]["object"];
        for (file, text) in [
            ("object.yaml", to_yaml(obj)),
            ("object.json", serde_json::to_string_pretty(obj).unwrap()),
        ] {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join(file), &text).unwrap();
            failures.extend(run_vector(v, dir.path(), file));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
