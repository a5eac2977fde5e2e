//! One small tree per diagnostic code: each finding appears with the right
//! severity, file, line and column, and the objects it does not concern are still
//! evaluated.

use std::path::Path;

use streampin::diag::{Code, Severity};
use streampin::plan::{self, Plan, PlanSettings};

const DIGEST: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

fn stream(ns: &str, extra_meta: &str) -> String {
    format!(
        "apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: app
  namespace: {ns}
{extra_meta}spec:
  tags:
  - name: latest
    from: {{kind: DockerImage, name: quay.io/example/app:latest}}
    referencePolicy: {{type: Source}}
  - name: ref
    reference: true
    from: {{kind: DockerImage, name: quay.io/example/app:1}}
  - name: alias
    from: {{kind: ImageStreamTag, name: latest}}
status:
  dockerImageRepository: image-registry.openshift-image-registry.svc:5000/{ns}/app
  tags:
  - tag: latest
    items:
    - created: 2026-01-01T00:00:00Z
      dockerImageReference: quay.io/example/app@{DIGEST}
      image: {DIGEST}
      generation: 1
  - tag: ref
    items:
    - dockerImageReference: quay.io/example/app:1
      image: \"\"
      generation: 1
"
    )
}

fn workload(kind: &str, api: &str, triggers: &str, containers: &str) -> String {
    format!(
        "apiVersion: {api}
kind: {kind}
metadata:
  name: web
  namespace: ns1
  annotations:
    image.openshift.io/triggers: '{}'
spec:
  template:
    spec:
      containers:
{containers}",
        triggers.replace('\'', "''")
    )
}

const WEB: &str = "      - name: web\n        image: old/web:1\n";

fn trig(name: &str, path: &str, extra: &str) -> String {
    format!(
        r#"[{{"from":{{"kind":"ImageStreamTag","name":"{name}"}},"fieldPath":"{path}"{extra}}}]"#
    )
}

const P: &str = r#"spec.template.spec.containers[?(@.name==\"web\")].image"#;

fn build(files: &[(&str, String)]) -> (tempfile::TempDir, Plan) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let settings = PlanSettings {
        discover: streampin::discover::DiscoverOptions {
            paths: vec![dir.path().to_path_buf()],
            ..Default::default()
        },
        ..Default::default()
    };
    let plan = plan::build(&settings).unwrap();
    (dir, plan)
}

/// Assert exactly one finding with `code`, in `file` at `line:column`.
fn expect(plan: &Plan, dir: &Path, code: Code, file: &str, line: usize, column: usize) {
    let hits: Vec<_> = plan.diagnostics.iter().filter(|d| d.code == code).collect();
    assert_eq!(hits.len(), 1, "{code:?}: {:#?}", plan.diagnostics);
    let d = hits[0];
    assert!(
        d.file.ends_with(file) && d.file.starts_with(&*dir.to_string_lossy())
            || d.file.ends_with(file),
        "{d:?}"
    );
    assert_eq!((d.line, d.column), (line, column), "{d:?}");
    assert_eq!(d.severity, code.severity());
}

fn image_of(plan: &Plan, file: &str) -> Option<String> {
    plan.changes
        .iter()
        .find(|c| c.file.ends_with(file))
        .map(|c| c.new.clone())
}

// The annotation value starts on line 7, column 34 of every `workload`.
const ANN: (usize, usize) = (7, 34);

#[test]
fn annotation_codes() {
    let good = workload("Deployment", "apps/v1", &trig("app:latest", P, ""), WEB);
    let cases: Vec<(Code, String)> = vec![
        (
            Code::AnnotationInvalid,
            workload("Deployment", "apps/v1", r#"[{"from":"#, WEB),
        ),
        (
            Code::AnnotationDuplicateFieldpath,
            workload(
                "Deployment",
                "apps/v1",
                &format!(
                    r#"[{{"from":{{"kind":"ImageStreamTag","name":"app:latest"}},"fieldPath":"{P}"}},{{"from":{{"kind":"ImageStreamTag","name":"app:latest"}},"fieldPath":"{P}","paused":true}}]"#
                ),
                WEB,
            ),
        ),
        (
            Code::FieldpathInvalid,
            workload(
                "Deployment",
                "apps/v1",
                &trig("app:latest", "spec.template.spec.containers[0]", ""),
                WEB,
            ),
        ),
        (
            Code::ContainerNotFound,
            workload(
                "Deployment",
                "apps/v1",
                &trig(
                    "app:latest",
                    r#"spec.template.spec.containers[?(@.name==\"nope\")].image"#,
                    "",
                ),
                WEB,
            ),
        ),
        (
            Code::TagNotFound,
            workload("Deployment", "apps/v1", &trig("app:missing", P, ""), WEB),
        ),
        (
            Code::TriggerNameWithoutTag,
            workload("Deployment", "apps/v1", &trig("app", P, ""), WEB),
        ),
        (
            Code::FieldpathSkipped,
            workload(
                "Deployment",
                "apps/v1",
                &trig("app:latest", "spec.containers[0].image", ""),
                WEB,
            ),
        ),
    ];
    for (code, text) in cases {
        let (dir, plan) = build(&[
            ("is.yaml", stream("ns1", "  resourceVersion: \"1\"\n")),
            ("bad.yaml", text),
            ("good.yaml", good.clone()),
        ]);
        expect(&plan, dir.path(), code, "bad.yaml", ANN.0, ANN.1);
        assert_eq!(
            image_of(&plan, "bad.yaml"),
            None,
            "{code:?}: nothing changes in the bad object"
        );
        assert_eq!(
            image_of(&plan, "good.yaml").as_deref(),
            Some(format!("quay.io/example/app@{DIGEST}").as_str()),
            "{code:?}: the good object is still evaluated"
        );
        let errors = plan
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        assert_eq!(plan.has_errors(), errors > 0);
    }
}

#[test]
fn warning_codes_still_apply_the_change() {
    let cases: Vec<(Code, String, &str)> = vec![
        (
            Code::ClusterRejectsSelector,
            workload(
                "Deployment",
                "apps/v1",
                &trig(
                    "app:latest",
                    "spec.template.spec.containers[?(@.name=='web')].image",
                    "",
                ),
                WEB,
            ),
            "app@",
        ),
        (
            Code::TriggerKindIgnored,
            workload(
                "Deployment",
                "apps/v1",
                &trig("app:latest", P, "").replace("ImageStreamTag", "DockerImage"),
                WEB,
            ),
            "app@",
        ),
        (
            Code::TriggerUnknownKey,
            workload(
                "Deployment",
                "apps/v1",
                &trig("app:latest", P, r#","pause":"true""#),
                WEB,
            ),
            "app@",
        ),
        (
            Code::FieldpathQuirk,
            workload(
                "Deployment",
                "apps/v1",
                &trig("app:latest", "spec.template.spec.containers[+0].image", ""),
                WEB,
            ),
            "app@",
        ),
        (
            Code::PinNotDigest,
            workload("Deployment", "apps/v1", &trig("app:ref", P, ""), WEB),
            "app:1",
        ),
    ];
    for (code, text, want) in cases {
        let (dir, plan) = build(&[
            ("is.yaml", stream("ns1", "  resourceVersion: \"1\"\n")),
            ("w.yaml", text),
        ]);
        expect(&plan, dir.path(), code, "w.yaml", ANN.0, ANN.1);
        let got = image_of(&plan, "w.yaml").unwrap_or_default();
        assert!(got.contains(want), "{code:?}: {got}");
    }
}

#[test]
fn kind_codes() {
    // A Job: evaluated (semantics rule 2) with two warnings.
    let job = workload("Job", "batch/v1", &trig("app:latest", P, ""), WEB);
    let (dir, plan) = build(&[
        ("is.yaml", stream("ns1", "  resourceVersion: \"1\"\n")),
        ("job.yaml", job),
    ]);
    expect(
        &plan,
        dir.path(),
        Code::ClusterIgnoresKind,
        "job.yaml",
        ANN.0,
        ANN.1,
    );
    expect(
        &plan,
        dir.path(),
        Code::JobTemplateImmutable,
        "job.yaml",
        ANN.0,
        ANN.1,
    );
    assert!(image_of(&plan, "job.yaml").is_some());

    // A ReplicationController without a template: an error, as in the cluster.
    let rc = format!(
        "apiVersion: v1\nkind: ReplicationController\nmetadata:\n  name: rc\n  namespace: ns1\n  annotations:\n    image.openshift.io/triggers: '{}'\nspec:\n  replicas: 1\n",
        trig("app:latest", P, "")
    );
    let (dir, plan) = build(&[
        ("is.yaml", stream("ns1", "  resourceVersion: \"1\"\n")),
        ("rc.yaml", rc),
    ]);
    expect(&plan, dir.path(), Code::ObjectInvalid, "rc.yaml", 1, 1);
}

#[test]
fn snapshot_codes() {
    // No resourceVersion: resolved anyway, with an info (semantics rule 3).
    let w = workload("Deployment", "apps/v1", &trig("app:latest", P, ""), WEB);
    let (dir, plan) = build(&[("is.yaml", stream("ns1", "")), ("w.yaml", w.clone())]);
    expect(
        &plan,
        dir.path(),
        Code::SnapshotCompleted,
        "w.yaml",
        ANN.0,
        ANN.1,
    );
    assert!(image_of(&plan, "w.yaml").is_some());

    // An alias without a status entry resolves through its target (rule 3).
    let w2 = workload("Deployment", "apps/v1", &trig("app:alias", P, ""), WEB);
    let (_, plan) = build(&[
        ("is.yaml", stream("ns1", "  resourceVersion: \"1\"\n")),
        ("w.yaml", w2),
    ]);
    assert!(
        plan.diagnostics
            .iter()
            .any(|d| d.code == Code::SnapshotCompleted && d.message.contains("alias"))
    );
    assert_eq!(
        image_of(&plan, "w.yaml").as_deref(),
        Some(format!("quay.io/example/app@{DIGEST}").as_str())
    );

    // Two different snapshots with a status: an error on the second, and the
    // trigger refuses to resolve.
    let other =
        stream("ns1", "  resourceVersion: \"1\"\n").replace("generation: 1", "generation: 2");
    let (dir, plan) = build(&[
        ("a-is.yaml", stream("ns1", "  resourceVersion: \"1\"\n")),
        ("b-is.yaml", other),
        ("w.yaml", w),
    ]);
    let dups: Vec<_> = plan
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::ImagestreamDuplicate)
        .collect();
    assert_eq!(dups.len(), 2, "{:#?}", plan.diagnostics);
    assert!(
        dups.iter()
            .any(|d| d.file.ends_with("b-is.yaml") && d.line == 1 && d.column == 1)
    );
    assert!(dups.iter().any(|d| d.file.ends_with("w.yaml")));
    assert_eq!(image_of(&plan, "w.yaml"), None);
    let _ = dir;

    // A spec-only manifest next to the exported snapshot is not a conflict.
    let spec_only = "apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: app\n  namespace: ns1\nspec:\n  lookupPolicy:\n    local: false\n";
    let (_, plan) = build(&[
        ("a-spec.yaml", spec_only.to_string()),
        ("b-is.yaml", stream("ns1", "  resourceVersion: \"1\"\n")),
        (
            "w.yaml",
            workload("Deployment", "apps/v1", &trig("app:latest", P, ""), WEB),
        ),
    ]);
    assert!(plan.diagnostics.is_empty(), "{:#?}", plan.diagnostics);
    assert!(image_of(&plan, "w.yaml").is_some());
}

#[test]
fn yaml_and_edit_codes() {
    let (dir, plan) = build(&[("broken.yaml", "a: [1,\nb: 2\n# a BuildConfig\n".into())]);
    expect(&plan, dir.path(), Code::YamlInvalid, "broken.yaml", 1, 4);

    let alias = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: ns1\n  labels: {{img: &img old/web:1}}\n  annotations:\n    image.openshift.io/triggers: '{}'\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: *img\n",
        trig("app:latest", P, "")
    );
    let (dir, plan) = build(&[
        ("is.yaml", stream("ns1", "  resourceVersion: \"1\"\n")),
        ("alias.yaml", alias),
    ]);
    expect(
        &plan,
        dir.path(),
        Code::ImageNotEditable,
        "alias.yaml",
        14,
        16,
    );
    assert!(plan.files.is_empty());
}

#[test]
fn missing_image_key_is_inserted_like_its_siblings() {
    let w = workload(
        "Deployment",
        "apps/v1",
        &trig("app:latest", P, ""),
        "      - name: web\n        ports: []\n",
    );
    let (_, plan) = build(&[
        ("is.yaml", stream("ns1", "  resourceVersion: \"1\"\n")),
        ("w.yaml", w),
    ]);
    assert_eq!(plan.files.len(), 1, "{:#?}", plan.diagnostics);
    assert!(
        plan.files[0].new.contains(&format!(
            "      - image: quay.io/example/app@{DIGEST}\n        name: web\n        ports: []\n"
        )),
        "{}",
        plan.files[0].new
    );
}

#[test]
fn namespaces_come_from_kustomization_then_flag() {
    let w = workload("Deployment", "apps/v1", &trig("app:latest", P, ""), WEB)
        .replace("  namespace: ns1\n", "");
    let files = [
        ("snap/is.yaml", stream("ns1", "  resourceVersion: \"1\"\n")),
        (
            "apps/kustomization.yaml",
            "namespace: ns1\nresources: [deep/w.yaml]\n".to_string(),
        ),
        ("apps/deep/w.yaml", w.clone()),
        ("other/w.yaml", w),
    ];
    let (_, plan) = build(&files);
    let rows: Vec<_> = plan
        .rows
        .iter()
        .map(|r| {
            (
                r.file.rsplit_once('/').map(|x| x.0.to_string()).unwrap(),
                r.object.namespace.clone(),
                r.state,
            )
        })
        .collect();
    assert!(image_of(&plan, "apps/deep/w.yaml").is_some(), "{rows:?}");
    assert!(
        image_of(&plan, "other/w.yaml").is_none(),
        "empty namespace matches only empty: {rows:?}"
    );
    let kust = plan
        .rows
        .iter()
        .find(|r| r.file.ends_with("apps/deep/w.yaml"))
        .unwrap();
    assert!(
        matches!(&kust.namespace_source, streampin::manifest::NamespaceSource::Kustomization { file } if file.ends_with("apps/kustomization.yaml"))
    );
}
