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

/// A BuildConfig whose base image moved: a build, sorted before the changes
/// in the JSON report.
fn buildconfig(n: usize) -> String {
    format!(
        "apiVersion: build.openshift.io/v1
kind: BuildConfig
metadata:
  name: b{n}
  namespace: ns{ns}
spec:
  strategy:
    dockerStrategy:
      from:
        kind: ImageStreamTag
        name: s1:1
  triggers:
  - type: ImageChange
    imageChange: {{}}
status:
  imageChangeTriggers:
  - from:
      name: s1:1
    lastTriggeredImageID: quay.example.com/old@sha256:{d:064x}
",
        ns = n % 3,
        d = n,
    )
}

/// Every report written as the plan streams (many chunks, the arrays that sort
/// after what is known only at the end spooled) is the document built whole
/// from `plan::build`, as the reports always were.
#[test]
fn streamed_reports_are_the_reports_built_whole() {
    use streampin::discover::DiscoverOptions;
    use streampin::plan::{self, PlanSettings};
    use streampin::report::{diff, github, human, sarif};

    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    build(&tree);
    for n in [3, 400, 899] {
        let p = tree.join("apps").join(format!("build-{n}.yaml"));
        fs::write(p, buildconfig(n)).unwrap();
    }
    // Absolute paths, displayed the same here and in the child.
    let settings = PlanSettings {
        discover: DiscoverOptions {
            paths: vec![tree.clone()],
            ..Default::default()
        },
        ..Default::default()
    };
    let whole = plan::build(&settings).unwrap();
    assert!(whole.changes.len() > 500 && whole.rows.len() > 500);
    assert_eq!(whole.builds.len(), 3);
    assert!(whole.diagnostics.len() > 100);
    let here = crate::support::root();
    let cli = |args: &[&str], summary: Option<&Path>| {
        let mut c = streampin(&here);
        c.args(args).arg(&tree);
        match summary {
            Some(p) => c.env("GITHUB_STEP_SUMMARY", p),
            None => c.env_remove("GITHUB_STEP_SUMMARY"),
        };
        let out = c.output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let document = |v: serde_json::Value| serde_json::to_string_pretty(&v).unwrap() + "\n";

    let report = document(serde_json::json!({
        "version": 1,
        "changes": whole.changes,
        "builds": whole.builds,
        "diagnostics": whole.diagnostics,
        "summary": whole.summary,
    }));
    assert!(cli(&["check", "--format", "json"], None) == report);
    assert!(cli(&["diff", "--format", "json"], None) == report);
    let triggers = document(serde_json::json!({
        "version": 1,
        "triggers": whole.rows,
        "diagnostics": whole.diagnostics,
        "summary": whole.summary,
    }));
    assert!(cli(&["triggers", "--format", "json"], None) == triggers);

    let sarif = cli(&["check", "--format", "sarif"], None);
    assert!(sarif == sarif::report(&whole, sarif::Level::Error));
    let note = cli(&["triggers", "--format", "sarif"], None);
    assert!(note == sarif::report(&whole, sarif::Level::Note));

    let step = tmp.path().join("step-summary.md");
    let annotations = cli(&["check", "--format", "github"], Some(&step));
    assert!(annotations == github::report(&whole, "error"));
    let text = diff::render_all(&whole.files, false);
    let summary = github::step_summary(&whole, "check", &text, github::SUMMARY_LIMIT);
    assert!(fs::read_to_string(&step).unwrap() == summary);

    let mut check = String::new();
    whole
        .changes
        .iter()
        .for_each(|c| check.push_str(&human::change(c, false)));
    whole
        .builds
        .iter()
        .for_each(|b| check.push_str(&human::build(b, false)));
    let findings: Vec<_> = whole
        .diagnostics
        .iter()
        .filter(|d| d.code != streampin::diag::Code::BuildTriggered)
        .cloned()
        .collect();
    check.push_str(&human::diagnostics(&findings, false));
    check.push_str(&human::summary(&whole, "out of date"));
    assert!(cli(&["check"], None) == check);
    assert!(cli(&["triggers"], None) == human::triggers(&whole.rows));
    assert!(cli(&["diff"], None) == text);

    // apply reports the plan it writes.
    let copy = tmp.path().join("copy");
    copy_tree(&tree, &copy);
    let out = streampin(&here)
        .args(["apply", "--format", "json"])
        .arg(&tree)
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout).unwrap() == report);
    assert!(
        read_tree(&tree) != read_tree(&copy),
        "apply changed nothing"
    );
}
