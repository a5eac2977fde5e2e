//! Local lookup: every vector of `tests/conformance/vectors/local-lookup.json`
//! (the ImagePolicy admission plugin under its default policy, as a CREATE), plus
//! the warnings it gives.

use std::collections::BTreeMap;

use serde_json::Value;
use streampin::diag::Code;
use streampin::discover::DiscoverOptions;
use streampin::manifest::kind;
use streampin::plan::{self, PlanSettings};
use streampin::trigger::eval::EvalSettings;

use crate::support::root;

fn images(object: &Value) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let api = object["apiVersion"].as_str().unwrap_or_default();
    let kind = object["kind"].as_str().unwrap_or_default();
    let info = kind::lookup(api, kind).expect("known kind");
    let mut spec = object;
    for k in info.pod_spec {
        spec = &spec[*k];
    }
    let list = |key: &str| {
        spec[key]
            .as_array()
            .map(|cs| {
                cs.iter()
                    .map(|c| {
                        (
                            c["name"].as_str().unwrap_or_default().to_string(),
                            c["image"].as_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    (list("containers"), list("initContainers"))
}

#[test]
fn local_lookup_vectors() {
    let data: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/conformance/vectors/local-lookup.json"))
            .unwrap(),
    )
    .unwrap();
    let vectors = data["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 29, "vectors/README.md counts 29");
    let mut failures = Vec::new();
    for v in vectors {
        let id = v["id"].as_str().unwrap();
        let input = &v["input"];
        let dir = tempfile::tempdir().unwrap();
        let object_file = dir.path().join("object.json");
        std::fs::write(
            &object_file,
            serde_json::to_string_pretty(&input["object"]).unwrap(),
        )
        .unwrap();
        let streams =
            serde_json::json!({"apiVersion": "v1", "kind": "List", "items": input["imageStreams"]});
        std::fs::write(dir.path().join("is.json"), streams.to_string()).unwrap();
        let settings = PlanSettings {
            discover: DiscoverOptions {
                paths: vec![dir.path().to_path_buf()],
                ..Default::default()
            },
            eval: EvalSettings {
                internal_registry: input["integratedRegistryHostname"]
                    .as_str()
                    .map(str::to_string),
                ..Default::default()
            },
            ..Default::default()
        };
        let plan = plan::build(&settings).unwrap();
        let text = plan
            .files
            .iter()
            .find(|f| f.path.ends_with("object.json"))
            .map(|f| f.new.clone())
            .unwrap_or_else(|| std::fs::read_to_string(&object_file).unwrap());
        let got = images(&serde_json::from_str(&text).unwrap());
        let want = &v["expected"]["containerImages"];
        let as_map = |m: &Value| -> BTreeMap<String, String> {
            m.as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                        .collect()
                })
                .unwrap_or_default()
        };
        let want = (as_map(&want["containers"]), as_map(&want["initContainers"]));
        if got != want {
            failures.push(format!("{id}: got {got:?}, want {want:?}"));
        }
        if plan.has_errors() {
            failures.push(format!("{id}: unexpected errors {:?}", plan.diagnostics));
        }
        // A pin without a digest (a tag that has no image yet) is called out.
        let tags = plan.changes.iter().filter(|c| !c.new.contains('@')).count();
        let not_digest = plan
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::PinNotDigest)
            .count();
        if tags != not_digest {
            failures.push(format!(
                "{id}: {tags} tag pins but {not_digest} pin-not-digest warnings"
            ));
        }
        // Every rewrite says the cluster pins it once and never rolls it forward.
        let rewrites = plan
            .changes
            .iter()
            .filter(|c| c.source.kind == "local-lookup")
            .count();
        let warnings = plan
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::LookupWithoutTrigger)
            .count();
        if rewrites != warnings {
            failures.push(format!(
                "{id}: {rewrites} rewrites but {warnings} lookup-without-trigger warnings"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        vectors.len(),
        failures.join("\n")
    );
}

const STREAM: &str = r#"apiVersion: image.openshift.io/v1
kind: ImageStream
metadata: {name: keycloak, namespace: iam, resourceVersion: "3"}
spec:
  lookupPolicy: {local: true}
  tags:
  - {name: "20", from: {kind: DockerImage, name: "quay.io/keycloak/keycloak:20"}}
  - {name: "19", from: {kind: DockerImage, name: "quay.io/keycloak/keycloak:19"}}
status:
  dockerImageRepository: image-registry.openshift-image-registry.svc:5000/iam/keycloak
  tags:
  - tag: "20"
    items:
    - {created: "2026-11-01T00:00:00Z", dockerImageReference: "quay.io/keycloak/keycloak@sha256:2020202020202020202020202020202020202020202020202020202020202020", image: "sha256:2020202020202020202020202020202020202020202020202020202020202020", generation: 1}
  - tag: "19"
    items:
    - {created: "2026-10-01T00:00:00Z", dockerImageReference: "quay.io/keycloak/keycloak@sha256:1919191919191919191919191919191919191919191919191919191919191919", image: "sha256:1919191919191919191919191919191919191919191919191919191919191919", generation: 1}
"#;

const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: kc
  namespace: iam
  annotations:
    image.openshift.io/triggers: '[{"from":{"kind":"ImageStreamTag","name":"keycloak:19"},"fieldPath":"spec.template.spec.containers[?(@.name==\"triggered\")].image"}]'
spec:
  template:
    metadata:
      annotations:
        alpha.image.policy.openshift.io/resolve-names: "'*'"
    spec:
      containers:
      - name: short
        image: keycloak:20
      - name: triggered
        image: keycloak:20
"#;

#[test]
fn lookup_skips_triggered_containers_and_can_be_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("is.yaml"), STREAM).unwrap();
    std::fs::write(dir.path().join("deploy.yaml"), DEPLOYMENT).unwrap();
    let run = |extra: &[&str]| -> Value {
        let out = crate::support::streampin(dir.path())
            .args(["check", "--format", "json"])
            .args(extra)
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let report = run(&[]);
    let changes: Vec<(&str, &str, &str)> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["container"].as_str().unwrap(),
                c["source"]["type"].as_str().unwrap(),
                c["new"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        vec![
            (
                "short",
                "local-lookup",
                "quay.io/keycloak/keycloak@sha256:2020202020202020202020202020202020202020202020202020202020202020"
            ),
            (
                "triggered",
                "annotation",
                "quay.io/keycloak/keycloak@sha256:1919191919191919191919191919191919191919191919191919191919191919"
            ),
        ]
    );
    let codes = crate::support::codes(&report);
    assert_eq!(codes, vec!["resolve-names-value", "lookup-without-trigger"]);

    let off = run(&["--no-local-lookup"]);
    let kinds: Vec<&str> = off["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["source"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["annotation"]);
}
