//! End-to-end runs of the binary on `fixtures/demo`, snapshotted with insta, and
//! the exit-status contract.

use crate::support::{copy_tree, read_tree, root, streampin};

fn run(args: &[&str]) -> (i32, String, String) {
    let out = streampin(&root()).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn diff_on_demo() {
    let (code, out, err) = run(&["diff", "fixtures/demo"]);
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!("diff_demo", out);
    insta::assert_snapshot!("diff_demo_stderr", err);
}

#[test]
fn diff_exit_code_flag() {
    let (code, _, _) = run(&["diff", "--exit-code", "fixtures/demo"]);
    assert_eq!(code, 1);
}

#[test]
fn check_on_demo() {
    let (code, out, _) = run(&["check", "fixtures/demo"]);
    assert_eq!(code, 1, "stale images must fail check");
    insta::assert_snapshot!("check_demo", out);
}

#[test]
fn triggers_on_demo() {
    let (code, out, _) = run(&["triggers", "fixtures/demo"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("triggers_demo", out);
}

#[test]
fn json_report_on_demo() {
    let (code, out, _) = run(&["check", "--format", "json", "fixtures/demo"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(
        v["summary"]["changes"],
        v["changes"].as_array().unwrap().len()
    );
    insta::assert_snapshot!("json_demo", out);
    let (_, triggers, _) = run(&["triggers", "--format", "json", "fixtures/demo"]);
    insta::assert_snapshot!("json_triggers_demo", triggers);
}

#[test]
fn github_format_on_demo() {
    let (code, out, _) = run(&["check", "--format", "github", "fixtures/demo"]);
    assert_eq!(code, 1);
    assert!(out.lines().all(|l| l.starts_with("::")), "{out}");
    insta::assert_snapshot!("github_demo", out);
}

#[test]
fn help_texts() {
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("help", out);
    let (_, out, _) = run(&["check", "--help"]);
    insta::assert_snapshot!("help_check", out);
    let (_, out, _) = run(&["import", "--help"]);
    insta::assert_snapshot!("help_import", out);
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, err) = run(&["check", "no/such/path"]);
    assert_eq!(code, 2);
    assert!(err.contains("does not exist"), "{err}");
    let (code, _, _) = run(&["check", "--format", "nope", "fixtures/demo"]);
    assert_eq!(code, 2);
    let (code, _, _) = run(&["frobnicate"]);
    assert_eq!(code, 2);
}

#[test]
fn apply_then_check_is_clean_and_apply_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&root().join("fixtures/demo"), dir.path());
    let before = read_tree(dir.path());
    let out = streampin(dir.path()).arg("apply").output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = read_tree(dir.path());
    assert_ne!(before, after);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "no file added or removed"
    );
    let out = streampin(dir.path()).arg("check").output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    streampin(dir.path()).arg("apply").assert().code(0);
    assert_eq!(
        after,
        read_tree(dir.path()),
        "a second apply changes nothing"
    );
}

#[test]
fn diff_is_a_patch_git_applies() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&root().join("fixtures/demo"), dir.path());
    let patch = streampin(dir.path()).arg("diff").output().unwrap().stdout;
    let expected = {
        let d2 = tempfile::tempdir().unwrap();
        copy_tree(&root().join("fixtures/demo"), d2.path());
        streampin(d2.path()).arg("apply").assert().code(0);
        read_tree(d2.path())
    };
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    assert!(git(&["init", "-q"]).status.success());
    let patch_file = dir.path().join(".patch");
    std::fs::write(&patch_file, &patch).unwrap();
    let out = git(&["apply", "--whitespace=nowarn", ".patch"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_file(&patch_file).unwrap();
    std::fs::remove_dir_all(dir.path().join(".git")).unwrap();
    assert_eq!(read_tree(dir.path()), expected);
}

#[test]
fn colour_only_when_asked() {
    let (_, plain, _) = run(&["diff", "fixtures/demo"]);
    assert!(!plain.contains('\u{1b}'));
    let out = streampin(&root())
        .args(["diff", "--color", "always", "fixtures/demo"])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let coloured = String::from_utf8(out.stdout).unwrap();
    assert!(coloured.contains("\u{1b}[32m+"), "{coloured}");
}

#[test]
fn output_is_the_same_at_any_thread_count() {
    let one = streampin(&root())
        .args(["check", "--format", "json", "fixtures/demo"])
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .unwrap()
        .stdout;
    let four = streampin(&root())
        .args(["check", "--format", "json", "fixtures/demo"])
        .env("RAYON_NUM_THREADS", "4")
        .output()
        .unwrap()
        .stdout;
    assert_eq!(one, four);
}

#[test]
fn gitignore_exclude_and_snapshots_flag() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&root().join("fixtures/demo"), &dir.path().join("repo"));
    let repo = dir.path().join("repo");
    // Snapshots moved out of the scanned tree and given with --snapshots.
    std::fs::rename(repo.join("imagestreams"), dir.path().join("snapshots")).unwrap();
    let count = |args: &[&str]| -> usize {
        let out = streampin(&repo).args(args).output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["summary"]["changes"].as_u64().unwrap() as usize
    };
    assert_eq!(
        count(&["check", "--format", "json"]),
        0,
        "no snapshots, nothing resolves"
    );
    let all = count(&["check", "--format", "json", "--snapshots", "../snapshots"]);
    assert_eq!(
        all, 8,
        "five annotation pins, a DeploymentConfig image and its lastTriggeredImage, one local lookup"
    );
    std::fs::write(repo.join(".gitignore"), "multi.yaml\n").unwrap();
    assert_eq!(
        count(&["check", "--format", "json", "--snapshots", "../snapshots"]),
        all - 1,
        ".gitignore is honoured"
    );
    assert_eq!(
        count(&[
            "check",
            "--format",
            "json",
            "--snapshots",
            "../snapshots",
            "--exclude",
            "apps/db"
        ]),
        all - 2,
        "--exclude skips a directory"
    );
    assert_eq!(
        count(&[
            "check",
            "--format",
            "json",
            "--snapshots",
            "../snapshots",
            "--exclude",
            "*.yaml"
        ]),
        0
    );
    // A file named explicitly is read even when ignored.
    assert_eq!(
        count(&[
            "check",
            "--format",
            "json",
            "--snapshots",
            "../snapshots",
            "apps/iam/multi.yaml"
        ]),
        1
    );
}
