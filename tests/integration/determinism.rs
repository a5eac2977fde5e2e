//! The same input gives the same bytes out at any thread count: `diff`, the JSON
//! reports, `triggers` and what `apply` writes, on a tree big enough to span many
//! evaluation chunks, with findings of several kinds spread through it.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use crate::support::{copy_tree, read_tree, streampin};

const FILES: usize = 900;

fn snapshot(ns: &str) -> String {
    let mut s = String::from("apiVersion: v1\nkind: List\nitems:\n");
    for i in 0..6 {
        let _ = write!(
            s,
            "- apiVersion: image.openshift.io/v1
  kind: ImageStream
  metadata:
    name: s{i}
    namespace: {ns}
  spec:
    lookupPolicy:
      local: {lookup}
  status:
    dockerImageRepository: image-registry.openshift-image-registry.svc:5000/{ns}/s{i}
    tags:
    - tag: \"1\"
      items:
      - created: \"2026-01-01T00:00:00Z\"
        dockerImageReference: quay.example.com/{ns}/s{i}@sha256:{d:064x}
        image: sha256:{d:064x}
        generation: 1
",
            lookup = i == 0,
            d = (i as u128 + 1) * 0x1234_5678_9abc + ns.len() as u128,
        );
    }
    s
}

fn workload(n: usize) -> String {
    let ns = format!("ns{}", n % 3);
    let s = n % 7;
    match n % 11 {
        // Broken YAML that mentions a trigger: a diagnostic mid-tree.
        3 => "metadata:\n  annotations:\n    image.openshift.io/triggers: '[\n  bad: [\n".into(),
        // A stream that is not in the snapshots: a warning.
        5 => format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w{n}\n  namespace: {ns}\n  annotations:\n    image.openshift.io/triggers: '[{{\"from\":{{\"kind\":\"ImageStreamTag\",\"name\":\"missing:1\"}},\"fieldPath\":\"spec.template.spec.containers[?(@.name==\\\"c\\\")].image\"}}]'\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: x\n"
        ),
        // A short name resolved by the lookup policy.
        7 => format!(
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: w{n}\n  namespace: {ns}\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: s0:1\n"
        ),
        // Nothing to do with triggers: never parsed.
        9 => "kind: ConfigMap\ndata:\n  a: b\n".into(),
        _ => format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w{n}\n  namespace: {ns}\n  annotations:\n    image.openshift.io/triggers: '[{{\"from\":{{\"kind\":\"ImageStreamTag\",\"name\":\"s{s}:1\"}},\"fieldPath\":\"spec.template.spec.containers[?(@.name==\\\"c\\\")].image\"}}]'\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: quay.example.com/{ns}/s{s}:1\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: w{n}\n"
        ),
    }
}

fn build(dir: &Path) {
    for ns in ["ns0", "ns1", "ns2"] {
        let p = dir.join("imagestreams").join(format!("{ns}.yaml"));
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, snapshot(ns)).unwrap();
    }
    for n in 0..FILES {
        let p = dir
            .join("apps")
            .join(format!("team{}", n % 13))
            .join(format!("w{n:04}.yaml"));
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, workload(n)).unwrap();
    }
}

fn run(dir: &Path, threads: &str, args: &[&str]) -> (Vec<u8>, Vec<u8>, i32) {
    let out = streampin(dir)
        .env("RAYON_NUM_THREADS", threads)
        .args(args)
        .output()
        .unwrap();
    (out.stdout, out.stderr, out.status.code().unwrap_or(-1))
}

#[test]
fn output_is_the_same_with_one_thread_and_with_many() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    build(&tree);
    let runs: &[&[&str]] = &[
        &["diff", "."],
        &["check", "."],
        &["check", "--format", "json", "."],
        &["diff", "--format", "json", "."],
        &["triggers", "--format", "json", "."],
        &["check", "--format", "sarif", "."],
    ];
    for args in runs {
        let one = run(&tree, "1", args);
        assert!(!one.0.is_empty(), "{args:?} printed nothing");
        for threads in ["2", "8"] {
            let many = run(&tree, threads, args);
            assert!(
                one == many,
                "{args:?}: 1 thread and {threads} threads differ"
            );
        }
    }
    // The diff really spans the tree, with findings of each kind.
    let (json, _, code) = run(&tree, "1", &["check", "--format", "json", "."]);
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let changes = report["changes"].as_array().unwrap().len();
    assert!(changes > 500, "{changes} changes");
    let codes = crate::support::codes(&report);
    for code in ["yaml-invalid", "tag-not-found"] {
        assert!(codes.contains(&code), "no {code} in {codes:?}");
    }

    // What apply writes does not depend on the thread count either.
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    copy_tree(&tree, &a);
    copy_tree(&tree, &b);
    let ra = run(&a, "1", &["apply", "."]);
    let rb = run(&b, "8", &["apply", "."]);
    assert_eq!(ra, rb);
    assert!(read_tree(&a) == read_tree(&b), "trees differ after apply");
    assert!(read_tree(&a) != read_tree(&tree), "apply changed nothing");
}
