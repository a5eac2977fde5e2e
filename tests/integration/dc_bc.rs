//! DeploymentConfig and BuildConfig triggers through the binary:
//! `tests/fixtures/dc-bc/` holds an automatic and a manual DC trigger, a DC the
//! blocking rule leaves alone, and a BuildConfig whose build would start.

use crate::support::{copy_tree, read_tree, root, streampin};

const PIN: &str =
    "quay.io/example/app@sha256:1111111111111111111111111111111111111111111111111111111111111111";

fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&root().join("tests/fixtures/dc-bc"), dir.path());
    dir
}

fn json(dir: &std::path::Path, args: &[&str]) -> (i32, serde_json::Value) {
    let out = streampin(dir)
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

#[test]
fn automatic_triggers_write_images_and_last_triggered_image() {
    let dir = fixture();
    let (code, report) = json(dir.path(), &["check"]);
    assert_eq!(code, 1);
    let changes = report["changes"].as_array().unwrap();
    let fields: Vec<(&str, &str)> = changes
        .iter()
        .map(|c| (c["file"].as_str().unwrap(), c["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        vec![
            (
                "dc.yaml",
                "spec.triggers[1].imageChangeParams.lastTriggeredImage"
            ),
            ("dc.yaml", "spec.template.spec.containers[0].image"),
        ]
    );
    assert!(
        changes
            .iter()
            .all(|c| c["source"]["type"] == "deploymentconfig" && c["new"] == PIN)
    );
    let codes = crate::support::codes(&report);
    assert_eq!(codes, vec!["build-triggered", "dc-blocked"]);

    streampin(dir.path()).arg("apply").assert().code(1);
    let dc = std::fs::read_to_string(dir.path().join("dc.yaml")).unwrap();
    assert!(
        dc.contains(&format!(
            "      lastTriggeredImage: {PIN}\n      automatic: true\n"
        )),
        "{dc}"
    );
    assert!(
        dc.contains(&format!("      - name: api\n        image: \"{PIN}\"\n")),
        "{dc}"
    );
    assert!(
        dc.contains("        image: old/worker:1\n"),
        "a manual trigger is not applied: {dc}"
    );
    let blocked = std::fs::read_to_string(dir.path().join("dc-blocked.yaml")).unwrap();
    assert_eq!(
        blocked,
        std::fs::read_to_string(root().join("tests/fixtures/dc-bc/dc-blocked.yaml")).unwrap()
    );
    let bc = std::fs::read_to_string(dir.path().join("bc.yaml")).unwrap();
    assert_eq!(
        bc,
        std::fs::read_to_string(root().join("tests/fixtures/dc-bc/bc.yaml")).unwrap(),
        "a BuildConfig is never rewritten"
    );

    let after = read_tree(dir.path());
    streampin(dir.path()).arg("apply").assert().code(1);
    assert_eq!(
        after,
        read_tree(dir.path()),
        "a second apply changes nothing"
    );
    let (_, report) = json(dir.path(), &["check"]);
    assert_eq!(report["summary"]["changes"], 0);
}

#[test]
fn include_manual_mirrors_rollout_latest() {
    let dir = fixture();
    let (_, report) = json(dir.path(), &["check", "--include-manual"]);
    let containers: Vec<(&str, &str)> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["object"]["name"].as_str().unwrap(),
                c["container"].as_str().unwrap(),
            )
        })
        .filter(|(_, c)| !c.is_empty())
        .collect();
    // processTriggers does not block, and resolves the manual trigger too.
    assert_eq!(
        containers,
        vec![("blocked", "web"), ("api", "api"), ("api", "worker")]
    );
    let codes = crate::support::codes(&report);
    assert!(!codes.contains(&"dc-blocked"), "{codes:?}");
}

#[test]
fn builds_are_reported_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["bc.yaml", "is.yaml"] {
        std::fs::copy(
            root().join("tests/fixtures/dc-bc").join(f),
            dir.path().join(f),
        )
        .unwrap();
    }
    let (code, report) = json(dir.path(), &["check"]);
    assert_eq!(code, 0, "a build alone does not fail check");
    let builds = report["builds"].as_array().unwrap();
    assert_eq!(builds.len(), 1);
    assert_eq!(builds[0]["ref"], PIN);
    assert_eq!(builds[0]["from"], "app:latest");
    assert_eq!(builds[0]["object"]["name"], "api-build");
    assert_eq!(report["summary"]["builds"], 1);

    streampin(dir.path())
        .args(["check", "--fail-on-build"])
        .assert()
        .code(1);

    let text = streampin(dir.path()).arg("check").output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert_eq!(
        text.matches("would build BuildConfig ns1/api-build")
            .count(),
        1,
        "{text}"
    );

    let gh = streampin(dir.path())
        .args(["check", "--format", "github"])
        .output()
        .unwrap();
    let gh = String::from_utf8(gh.stdout).unwrap();
    assert!(
        gh.lines()
            .any(|l| l.starts_with("::notice file=bc.yaml") && l.contains("would build")),
        "{gh}"
    );

    // Already built from this image: no build.
    let bc = std::fs::read_to_string(dir.path().join("bc.yaml"))
        .unwrap()
        .replace(
            "sha256:0000000000000000000000000000000000000000000000000000000000000000",
            "sha256:1111111111111111111111111111111111111111111111111111111111111111",
        );
    std::fs::write(dir.path().join("bc.yaml"), bc).unwrap();
    let (_, report) = json(dir.path(), &["check"]);
    assert!(report["builds"].as_array().unwrap().is_empty());
    streampin(dir.path())
        .args(["check", "--fail-on-build"])
        .assert()
        .code(0);
}

#[test]
fn a_deploymentconfig_without_template_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("tests/fixtures/dc-bc/is.yaml"),
        dir.path().join("is.yaml"),
    )
    .unwrap();
    let dc = std::fs::read_to_string(root().join("tests/fixtures/dc-bc/dc.yaml")).unwrap();
    let cut = dc.find("  template:").unwrap();
    std::fs::write(dir.path().join("dc.yaml"), &dc[..cut]).unwrap();
    let (code, report) = json(dir.path(), &["check"]);
    assert_eq!(code, 1);
    let diags = report["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["code"], "object-invalid");
    assert_eq!(
        (diags[0]["line"].as_u64(), diags[0]["column"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(report["changes"].as_array().unwrap().is_empty());
}
