//! Hostile trees: malformed YAML, a broken annotation, binary and non-UTF-8
//! files, an unreadable file, a symlink loop and FIFOs, mixed with a good
//! Deployment. Every bad file gets its own diagnostic and stays byte-identical,
//! the good file is still rewritten, nothing panics and nothing hangs.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::support;

/// Long enough for a debug build on a slow machine, short enough to fail a hang fast.
const TIMEOUT: Duration = Duration::from_secs(30);

const PINNED: &str =
    "quay.io/example/app@sha256:1111111111111111111111111111111111111111111111111111111111111111";

const TRIGGERS: &str = r#"[{"from":{"kind":"ImageStreamTag","name":"app:latest"},"fieldPath":"spec.template.spec.containers[?(@.name==\"web\")].image"}]"#;

/// A Deployment named `name` whose trigger moves `old/web:1` to `PINNED`.
fn deployment(name: &str) -> String {
    deployment_with_triggers(name, TRIGGERS)
}

/// A Deployment named `name` with `triggers` as its annotation text.
fn deployment_with_triggers(name: &str, triggers: &str) -> String {
    format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: ns1
  annotations:
    image.openshift.io/triggers: '{triggers}'
spec:
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
      - name: web
        image: old/web:1
"#
    )
}

fn snapshot() -> Vec<u8> {
    std::fs::read(support::root().join("tests/fixtures/torture/plain/in/is.yaml")).unwrap()
}

/// The bad files, by name, with their bytes (the FIFO, the link and the
/// unreadable file are made separately).
fn bad_files() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    vec![
        (
            "malformed.yaml",
            // Broken, and about triggers (a file that mentions nothing streampin
            // acts on is never parsed).
            b"apiVersion: apps.openshift.io/v1\nkind: DeploymentConfig\nmetadata:\n  name: broken\ndata:\n  list: [1, 2\n"
                .to_vec(),
            "yaml-invalid",
        ),
        (
            "badann.yaml",
            deployment_with_triggers("badann", r#"[{"from":"#).into_bytes(),
            "annotation-invalid",
        ),
        (
            "x.yaml",
            b"apiVersion: v1\nkind: ConfigMap\x00\x01\x02\x03\nmetadata: {}\n".to_vec(),
            "file-binary",
        ),
        (
            "y.yaml",
            b"apiVersion: v1\nkind: ConfigMap\ndata:\n  k: \xff\xfe\xff\n".to_vec(),
            "file-not-utf8",
        ),
    ]
}

struct Tree {
    tmp: tempfile::TempDir,
    /// Whether the chmod-000 file can still be read (running as root).
    unreadable_is_readable: bool,
}

impl Tree {
    fn path(&self) -> &Path {
        self.tmp.path()
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        // Let the temporary directory be removed (and read) whoever we are.
        let _ = std::fs::set_permissions(
            self.tmp.path().join("unreadable.yaml"),
            std::fs::Permissions::from_mode(0o644),
        );
    }
}

fn mkfifo(path: &Path) {
    let st = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(st.success(), "mkfifo {} failed", path.display());
    assert!(
        std::fs::symlink_metadata(path)
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

fn build_tree() -> Tree {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("deployment.yaml"), deployment("web")).unwrap();
    std::fs::write(dir.join("is.yaml"), snapshot()).unwrap();
    for (name, bytes, _) in bad_files() {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    let unreadable = dir.join("unreadable.yaml");
    std::fs::write(&unreadable, deployment("hidden")).unwrap();
    std::fs::set_permissions(&unreadable, std::fs::Permissions::from_mode(0o000)).unwrap();
    // As root, mode 000 does not stop a read: then the file is simply processed.
    let unreadable_is_readable = std::fs::read(&unreadable).is_ok();
    std::os::unix::fs::symlink(".", dir.join("loop")).unwrap();
    mkfifo(&dir.join("z.yaml"));
    Tree {
        tmp,
        unreadable_is_readable,
    }
}

fn output_text(o: &std::process::Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn assert_no_panic(o: &std::process::Output) {
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        !stderr.contains("panicked"),
        "streampin panicked\n{}",
        output_text(o)
    );
}

fn json_report(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{}", output_text(o)))
}

/// Assert a diagnostic with `code` exists for `file`, at line ≥ 1.
fn assert_diagnostic(report: &Value, file: &str, code: &str) {
    let diags = report["diagnostics"].as_array().expect("diagnostics array");
    let hit = diags
        .iter()
        .find(|d| d["file"] == file && d["code"] == code)
        .unwrap_or_else(|| {
            panic!(
                "no `{code}` diagnostic for {file}; diagnostics:\n{:#}",
                report["diagnostics"]
            )
        });
    assert!(
        hit["line"].as_u64().is_some_and(|l| l >= 1),
        "{file}: `{code}` has no line ≥ 1: {hit}"
    );
    assert_eq!(hit["severity"], "error", "{file}: {hit}");
}

fn changed_files(report: &Value) -> Vec<String> {
    let mut files: Vec<String> = report["changes"]
        .as_array()
        .expect("changes array")
        .iter()
        .map(|c| c["file"].as_str().unwrap().to_string())
        .collect();
    files.sort();
    files.dedup();
    files
}

#[test]
fn bad_files_are_reported_and_the_good_file_still_changes() {
    let tree = build_tree();
    let dir = tree.path();

    let check = support::streampin(dir)
        .args(["check", "--format", "json", "."])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_no_panic(&check);
    assert_eq!(check.status.code(), Some(1), "{}", output_text(&check));
    let report = json_report(&check);
    for (name, _, code) in bad_files() {
        assert_diagnostic(&report, name, code);
    }
    assert_diagnostic(&report, "loop", "symlink-loop");
    assert_diagnostic(&report, "z.yaml", "file-unreadable");

    let mut want_changed = vec!["deployment.yaml".to_string()];
    if tree.unreadable_is_readable {
        // Running as root: mode 000 does not stop reading, so the file is an
        // ordinary Deployment and is processed like one.
        want_changed.push("unreadable.yaml".into());
    } else {
        assert_diagnostic(&report, "unreadable.yaml", "file-unreadable");
    }
    assert_eq!(changed_files(&report), want_changed, "{report:#}");
    // Not one diagnostic for the good files.
    let diags = report["diagnostics"].as_array().unwrap();
    assert!(
        !diags
            .iter()
            .any(|d| d["file"] == "deployment.yaml" || d["file"] == "is.yaml"),
        "{report:#}"
    );

    // apply: the good file is written, every bad one stays byte-identical.
    let apply = support::streampin(dir)
        .args(["apply", "."])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_no_panic(&apply);
    assert_eq!(apply.status.code(), Some(1), "{}", output_text(&apply));
    assert_eq!(
        std::fs::read_to_string(dir.join("deployment.yaml")).unwrap(),
        deployment("web").replace("old/web:1", PINNED)
    );
    for (name, bytes, _) in bad_files() {
        assert_eq!(
            std::fs::read(dir.join(name)).unwrap(),
            bytes,
            "{name} was changed"
        );
    }
    assert!(
        std::fs::symlink_metadata(dir.join("z.yaml"))
            .unwrap()
            .file_type()
            .is_fifo(),
        "z.yaml is no longer a FIFO"
    );
    assert_eq!(
        std::fs::read_link(dir.join("loop")).unwrap(),
        Path::new(".")
    );
    let unreadable = dir.join("unreadable.yaml");
    let mode = std::fs::metadata(&unreadable).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o000, "apply changed the mode of unreadable.yaml");
    std::fs::set_permissions(&unreadable, std::fs::Permissions::from_mode(0o644)).unwrap();
    let want = if tree.unreadable_is_readable {
        deployment("hidden").replace("old/web:1", PINNED)
    } else {
        deployment("hidden")
    };
    assert_eq!(std::fs::read_to_string(&unreadable).unwrap(), want);
    // No temporary file is left behind.
    let leftovers: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".streampin-"))
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
}

#[test]
fn a_fifo_given_as_a_path_does_not_hang() {
    let tmp = tempfile::tempdir().unwrap();
    mkfifo(&tmp.path().join("z.yaml"));
    let out = support::streampin(tmp.path())
        .args(["check", "--format", "json", "z.yaml"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    assert_diagnostic(&json_report(&out), "z.yaml", "file-unreadable");
}

/// The nearest `kustomization.yaml` is read for its namespace. A FIFO under that
/// name must not block discovery (the open would wait for a writer forever).
#[test]
fn a_fifo_named_kustomization_yaml_does_not_hang() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("deployment.yaml"), deployment("web")).unwrap();
    std::fs::write(dir.join("is.yaml"), snapshot()).unwrap();
    mkfifo(&dir.join("kustomization.yaml"));
    let out = support::streampin(dir)
        .args(["check", "--format", "json", "."])
        .timeout(Duration::from_secs(15))
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some(),
        "streampin hung on a FIFO named kustomization.yaml (killed after the timeout)\n{}",
        output_text(&out)
    );
    assert_no_panic(&out);
    let report = json_report(&out);
    assert_eq!(changed_files(&report), vec!["deployment.yaml".to_string()]);
}

#[test]
fn a_missing_path_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    for cmd in ["check", "apply", "diff", "triggers"] {
        let out = support::streampin(tmp.path())
            .args([cmd, "does-not-exist"])
            .timeout(TIMEOUT)
            .output()
            .unwrap();
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {}", output_text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("does-not-exist"), "{cmd}: {stderr}");
    }
    // A missing path next to a good one still fails the run: nothing is written.
    std::fs::write(tmp.path().join("deployment.yaml"), deployment("web")).unwrap();
    std::fs::write(tmp.path().join("is.yaml"), snapshot()).unwrap();
    let out = support::streampin(tmp.path())
        .args(["apply", ".", "does-not-exist"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("deployment.yaml")).unwrap(),
        deployment("web")
    );
}

/// Whether `path` is a symbolic link to `target`.
fn is_link_to(path: &Path, target: &str) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
        && std::fs::read_link(path).is_ok_and(|t| t == Path::new(target))
}

/// A manifest reached through a symbolic link (named explicitly): `apply` must
/// update the file the link points to and leave the link a link (git tracks it
/// as one), not rename a regular file over the link.
#[test]
fn apply_through_a_symlinked_file_keeps_the_link() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir(dir.join("base")).unwrap();
    std::fs::write(dir.join("base/deployment.yaml"), deployment("web")).unwrap();
    std::fs::write(dir.join("is.yaml"), snapshot()).unwrap();
    std::os::unix::fs::symlink("base/deployment.yaml", dir.join("web.yaml")).unwrap();

    let out = support::streampin(dir)
        .args(["apply", "web.yaml", "is.yaml"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    assert!(
        is_link_to(&dir.join("web.yaml"), "base/deployment.yaml"),
        "web.yaml is no longer a symlink to base/deployment.yaml"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("base/deployment.yaml")).unwrap(),
        deployment("web").replace("old/web:1", PINNED),
        "the link's target was not updated"
    );
}

/// The same file reached twice in one walk, once through a link that sorts
/// before it and once through a link that sorts after it: it is one file, so
/// it is rewritten once, both links survive and nothing is reported as failed.
#[test]
fn apply_with_symlinked_duplicates_in_the_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("deployment.yaml"), deployment("web")).unwrap();
    std::fs::write(dir.join("is.yaml"), snapshot()).unwrap();
    std::os::unix::fs::symlink("deployment.yaml", dir.join("a-link.yaml")).unwrap();
    std::os::unix::fs::symlink("deployment.yaml", dir.join("z-link.yaml")).unwrap();

    let out = support::streampin(dir)
        .args(["apply", "."])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert_no_panic(&out);
    assert!(
        is_link_to(&dir.join("a-link.yaml"), "deployment.yaml"),
        "a-link.yaml was replaced by a regular file\n{}",
        output_text(&out)
    );
    assert!(
        is_link_to(&dir.join("z-link.yaml"), "deployment.yaml"),
        "z-link.yaml was replaced by a regular file\n{}",
        output_text(&out)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("deployment.yaml")).unwrap(),
        deployment("web").replace("old/web:1", PINNED)
    );
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
}
