//! The offline commands never touch the network. Each runs under `strace`,
//! which records every `socket` and `connect` system call of the process and
//! its threads; the log must hold none. The same trace of `import` (the one
//! command that may use the network) shows the check can see a connection.

use std::path::Path;
use std::process::Command;

use crate::support::{copy_tree, root};

/// Run the binary under strace in `dir`; returns the socket calls it made.
fn socket_calls(dir: &Path, args: &[&str]) -> Vec<String> {
    let have = Command::new("strace").arg("-V").output();
    assert!(
        have.is_ok_and(|o| o.status.success()),
        "strace is needed for the offline tests: run scripts/test, which installs it"
    );
    let log = tempfile::NamedTempFile::new().unwrap();
    let status = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=socket,connect,socketpair", "-o"])
        .arg(log.path())
        .arg(assert_cmd::cargo::cargo_bin("streampin"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("SOURCE_DATE_EPOCH", "1795000000")
        .output()
        .unwrap();
    assert!(
        status.status.code().is_some_and(|c| c <= 1),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    std::fs::read_to_string(log.path())
        .unwrap()
        .lines()
        .map(str::to_string)
        .filter(|l| !l.trim().is_empty())
        .collect()
}

#[test]
fn diff_apply_check_and_the_authoring_verbs_open_no_socket() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&root().join("fixtures/demo"), dir.path());
    for args in [
        &["diff", "."][..],
        &["check", "."],
        &["check", "--format", "json", "."],
        &["triggers", "."],
        &["apply", "."],
        &["set-triggers", "deploy/keycloak", "-n", "iam"],
        &[
            "tag",
            "--alias",
            "keycloak:20.0.2",
            "keycloak:20",
            "-n",
            "iam",
        ],
        &["set-image-lookup", "-n", "iam"],
    ] {
        let calls = socket_calls(dir.path(), args);
        assert!(calls.is_empty(), "{args:?} made socket calls: {calls:#?}");
    }
    // apply really ran: the tree changed.
    assert_ne!(
        std::fs::read(dir.path().join("apps/iam/keycloak-deployment.yaml")).unwrap(),
        std::fs::read(root().join("fixtures/demo/apps/iam/keycloak-deployment.yaml")).unwrap()
    );
}

#[test]
fn the_trace_sees_import_connect() {
    // A registry address nobody listens on: the connection is refused at once.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("is.yaml"),
        "apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: a\nspec:\n  tags:\n  - name: v1\n    from:\n      kind: DockerImage\n      name: 127.0.0.1:9/a/b:v1\n",
    )
    .unwrap();
    let calls = socket_calls(dir.path(), &["import", "--retries", "0", "."]);
    assert!(
        calls
            .iter()
            .any(|c| c.contains("connect(") && c.contains("127.0.0.1")),
        "{calls:#?}"
    );
}
