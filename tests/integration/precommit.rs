//! The hooks of `.pre-commit-hooks.yaml`, run by the real pre-commit: a git
//! repository holding the demo tree (stale pins) uses this repository's hooks
//! from a `.pre-commit-config.yaml`, and `pre-commit run` checks, applies and
//! checks again. pre-commit builds the hook itself, with `cargo install`, as it
//! does for a user.
//!
//! The hook repository is a snapshot of this working tree (tracked and
//! untracked files that git does not ignore), committed in a temporary
//! repository. `pre-commit try-repo .` would not do: it commits only tracked
//! changes (a new `.pre-commit-hooks.yaml` is missing until it is committed),
//! and it uses a fresh store on every call (it ignores `PRE_COMMIT_HOME`),
//! which would build the hook once per call instead of once per test.
//!
//! Nothing leaves the machine. pre-commit runs `cargo install` with
//! `CARGO_HOME` set to the hook's environment, an empty directory, so the
//! crates already downloaded under the real `CARGO_HOME` are out of its reach
//! and `CARGO_NET_OFFLINE=true` alone fails ("no matching package"). cargo
//! still reads `.cargo/config.toml` from the parent directories of the
//! directory it runs in, so one next to the pre-commit store replaces
//! crates.io with a `directory` source holding exactly the versions of
//! `Cargo.lock`, unpacked from the real `CARGO_HOME`'s download cache (crates
//! that were never downloaded, those of other platforms, become stubs made
//! from the cached index: resolution needs them, the build never compiles
//! them). The source sits at a fixed place under `target/precommit/`, and
//! `CARGO_TARGET_DIR` is `target/precommit/cargo-target`, so a later run
//! compiles only streampin itself: cargo's fingerprint of a dependency holds
//! the path of its source, which would change with every `CARGO_HOME` of a
//! registry source.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::{copy_tree, read_tree, root, streampin};

const NEW_KEYCLOAK: &str = "quay.io/keycloak/keycloak@sha256:68640fb1d4aca17682466c2ab6da63c352879d7bd54d389dce1145d1fed86850";
const OLD_KEYCLOAK: &str = "quay.io/keycloak/keycloak@sha256:16d1eef3c78014dcbcf22b07b765fa17b466f1058c1168e0ce2ffea87ee04850";
const STALE_FILE: &str = "apps/iam/keycloak-deployment.yaml";

/// No system or user git configuration: `global` is the only one. For git and
/// for pre-commit, which runs git.
fn git_hygiene(c: &mut Command, global: &Path) {
    c.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", global)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_OBJECT_DIRECTORY")
        .env_remove("GIT_ALTERNATE_OBJECT_DIRECTORIES");
}

fn git_command(dir: &Path, global: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir);
    git_hygiene(&mut c, global);
    c
}

fn git(dir: &Path, global: &Path, args: &[&str]) -> String {
    let out = git_command(dir, global).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `from`'s working tree, files that git tracks or would add, committed in a
/// new repository at `to`. Returns the commit.
fn snapshot(from: &Path, to: &Path, global: &Path) -> String {
    let list = git(
        from,
        global,
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
    );
    for rel in list.split('\0').filter(|r| !r.is_empty()) {
        let src = from.join(rel);
        if !src.is_file() {
            continue; // deleted in the working tree
        }
        let dst = to.join(rel);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(&src, &dst).unwrap();
    }
    commit_all(to, global)
}

fn commit_all(dir: &Path, global: &Path) -> String {
    git(dir, global, &["init", "-q", "-b", "main"]);
    git(dir, global, &["add", "-A"]);
    git(dir, global, &["commit", "-q", "-m", "snapshot"]);
    git(dir, global, &["rev-parse", "HEAD"]).trim().to_string()
}

fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .expect("CARGO_HOME or HOME")
}

/// The subdirectories of `dir` (the registries under `registry/cache` or
/// `registry/index`).
fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

/// The registry packages of `Cargo.lock`: name, version, checksum.
fn locked_registry_packages(lock: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for block in lock.split("[[package]]").skip(1) {
        let field = |key: &str| {
            block.lines().find_map(|l| {
                l.strip_prefix(key)
                    .and_then(|v| v.strip_prefix(" = \""))
                    .and_then(|v| v.strip_suffix('"'))
                    .map(str::to_string)
            })
        };
        if field("source").is_some_and(|s| s.starts_with("registry+")) {
            out.push((
                field("name").unwrap(),
                field("version").unwrap(),
                field("checksum").unwrap_or_default(),
            ));
        }
    }
    out
}

/// Where a crate's file sits in a registry index.
fn index_path(name: &str) -> String {
    let n = name.to_lowercase();
    match n.len() {
        1 | 2 => format!("{}/{n}", n.len()),
        3 => format!("3/{}/{n}", &n[..1]),
        _ => format!("{}/{}/{n}", &n[..2], &n[2..4]),
    }
}

/// The index entry of `name` `version` from cargo's index cache
/// (`registry/index/*/.cache`): a format byte, a `u32` index version, the index
/// revision, then version and JSON entry pairs, every field ended by a NUL.
fn cached_index_entry(cargo_home: &Path, name: &str, version: &str) -> Value {
    for registry in subdirs(&cargo_home.join("registry/index")) {
        let Ok(bytes) = std::fs::read(registry.join(".cache").join(index_path(name))) else {
            continue;
        };
        let mut fields = bytes
            .get(5..)
            .unwrap_or_default()
            .split(|&b| b == 0)
            .skip(1);
        while let (Some(v), Some(entry)) = (fields.next(), fields.next()) {
            if v == version.as_bytes() {
                return serde_json::from_slice(entry).unwrap();
            }
        }
    }
    panic!(
        "{name} {version} is in Cargo.lock but neither downloaded nor in the index cache \
         under {}: build the project once (`cargo build --locked`)",
        cargo_home.display()
    )
}

/// A manifest for a crate that was never downloaded: its features and
/// dependencies from the index, for the resolver, and an empty library.
fn stub_manifest(entry: &Value) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap();
    let mut out = format!(
        "[package]\nname = {}\nversion = {}\nedition = \"2015\"\n",
        q(entry["name"].as_str().unwrap()),
        q(entry["vers"].as_str().unwrap()),
    );
    if let Some(links) = entry["links"].as_str() {
        out += &format!("links = {}\nbuild = \"build.rs\"\n", q(links));
    }
    out += "\n[lib]\npath = \"lib.rs\"\n\n[features]\n";
    for key in ["features", "features2"] {
        for (feature, enables) in entry[key].as_object().into_iter().flatten() {
            out += &format!("{} = {enables}\n", q(feature));
        }
    }
    for dep in entry["deps"].as_array().into_iter().flatten() {
        let table = match dep["kind"].as_str().unwrap_or("normal") {
            "normal" => "dependencies",
            "build" => "build-dependencies",
            _ => continue,
        };
        let target = dep["target"]
            .as_str()
            .map(|t| format!("target.{}.", q(t)))
            .unwrap_or_default();
        out += &format!(
            "\n[{target}{table}.{}]\nversion = {}\nfeatures = {}\noptional = {}\ndefault-features = {}\n",
            q(dep["name"].as_str().unwrap()),
            q(dep["req"].as_str().unwrap()),
            dep.get("features")
                .filter(|f| f.is_array())
                .unwrap_or(&Value::Array(vec![])),
            dep["optional"].as_bool().unwrap_or(false),
            dep["default_features"].as_bool().unwrap_or(true),
        );
        if let Some(package) = dep["package"].as_str() {
            out += &format!("package = {}\n", q(package));
        }
    }
    out
}

/// A cargo `directory` source with the registry packages of `Cargo.lock`,
/// made from the local download cache, under `target/precommit/`; made once
/// per `Cargo.lock`.
fn offline_source() -> PathBuf {
    let lock = std::fs::read(root().join("Cargo.lock")).unwrap();
    let hash: String = Sha256::digest(&lock)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let base = root().join("target/precommit");
    let dir = base.join(format!("vendor-{hash}"));
    if dir.join(".complete").exists() {
        return dir;
    }
    let cargo_home = cargo_home();
    let caches = subdirs(&cargo_home.join("registry/cache"));
    std::fs::create_dir_all(&base).unwrap();
    let work = tempfile::tempdir_in(&base).unwrap();
    for (name, version, checksum) in locked_registry_packages(&String::from_utf8(lock).unwrap()) {
        let pkg = work.path().join(format!("{name}-{version}"));
        let crate_file = caches
            .iter()
            .map(|c| c.join(format!("{name}-{version}.crate")))
            .find(|f| f.is_file());
        if let Some(crate_file) = crate_file {
            let status = Command::new("tar")
                .arg("xzf")
                .arg(&crate_file)
                .arg("-C")
                .arg(work.path())
                .status()
                .unwrap();
            assert!(status.success(), "tar xzf {}", crate_file.display());
            assert!(
                pkg.is_dir(),
                "{} holds no {name}-{version}/",
                crate_file.display()
            );
        } else {
            let entry = cached_index_entry(&cargo_home, &name, &version);
            std::fs::create_dir_all(&pkg).unwrap();
            std::fs::write(pkg.join("Cargo.toml"), stub_manifest(&entry)).unwrap();
            std::fs::write(pkg.join("lib.rs"), "").unwrap();
            std::fs::write(pkg.join("build.rs"), "fn main() {}\n").unwrap();
        }
        // An empty file list: cargo checks no file of the package.
        let sum = serde_json::json!({"files": {}, "package": checksum});
        std::fs::write(pkg.join(".cargo-checksum.json"), sum.to_string()).unwrap();
    }
    std::fs::write(work.path().join(".complete"), "").unwrap();
    // Another test run may have made it meanwhile: theirs is as good.
    if std::fs::rename(work.path(), &dir).is_ok() {
        let _ = work.keep();
        // The sources of earlier lock files (200 MB each) go.
        for old in subdirs(&base) {
            let name = old.file_name().unwrap().to_string_lossy();
            if name.starts_with("vendor-") && old != dir {
                let _ = std::fs::remove_dir_all(&old);
            }
        }
    }
    dir
}

/// `pre-commit ARGS` in `repo`, with its store in `home`.
fn pre_commit(repo: &Path, home: &Path, global: &Path, args: &[&str]) -> Output {
    let mut c = Command::new("pre-commit");
    git_hygiene(&mut c, global);
    c.current_dir(repo)
        .args(args)
        .env("PRE_COMMIT_HOME", home)
        .env("CARGO_NET_OFFLINE", "true")
        .env(
            "CARGO_TARGET_DIR",
            root().join("target/precommit/cargo-target"),
        )
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .env_remove("CARGO_BUILD_BUILD_DIR")
        .env_remove("SKIP")
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE");
    c.output().unwrap()
}

/// The files of a working tree, without `.git`.
fn worktree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = read_tree(dir);
    files.retain(|rel, _| !rel.starts_with(".git/"));
    files
}

fn describe(out: &Output, home: &Path) -> String {
    let log = std::fs::read_to_string(home.join("pre-commit.log")).unwrap_or_default();
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}\n--- pre-commit.log\n{log}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn hooks_check_apply_and_check_again_under_real_pre_commit() {
    let have = Command::new("pre-commit").arg("--version").output();
    assert!(
        have.is_ok_and(|o| o.status.success()),
        "pre-commit is needed for the pre-commit hook test: run scripts/test, which installs it"
    );
    let tmp = tempfile::tempdir().unwrap();
    let global = tmp.path().join("gitconfig");
    std::fs::write(
        &global,
        "[user]\n\tname = streampin test\n\temail = test@example.invalid\n\
         [commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n\
         [init]\n\tdefaultBranch = main\n",
    )
    .unwrap();

    let started = Instant::now();
    let source = offline_source();
    std::fs::create_dir_all(tmp.path().join(".cargo")).unwrap();
    std::fs::write(
        tmp.path().join(".cargo/config.toml"),
        format!(
            "[source.crates-io]\nreplace-with = \"streampin-lock\"\n\n\
             [source.streampin-lock]\ndirectory = {}\n",
            serde_json::to_string(source.to_str().unwrap()).unwrap()
        ),
    )
    .unwrap();
    let hooks = tmp.path().join("hooks");
    let rev = snapshot(&root(), &hooks, &global);
    eprintln!(
        "precommit: offline source and hook snapshot ready in {:.1?}",
        started.elapsed()
    );

    let repo = tmp.path().join("gitops");
    copy_tree(&root().join("fixtures/demo"), &repo);
    // `language_version: system`: the cargo on PATH, never a rustup download.
    std::fs::write(
        repo.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n- repo: {}\n  rev: {rev}\n  hooks:\n  - id: streampin-check\n    language_version: system\n  - id: streampin-apply\n    language_version: system\n",
            serde_json::to_string(hooks.to_str().unwrap()).unwrap()
        ),
    )
    .unwrap();
    commit_all(&repo, &global);
    let before = worktree(&repo);
    let home = tmp.path().join("pre-commit-home");
    let run = |hook: &str| {
        let t = Instant::now();
        let out = pre_commit(
            &repo,
            &home,
            &global,
            &["run", hook, "--all-files", "--color", "never"],
        );
        eprintln!(
            "precommit: `pre-commit run {hook}` took {:.1?}",
            t.elapsed()
        );
        out
    };

    // The first run builds the hook; the demo's pins are stale: it fails.
    let check = run("streampin-check");
    let text = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(1), "{}", describe(&check, &home));
    assert!(
        text.contains("- hook id: streampin-check") && text.contains("- exit code: 1"),
        "{}",
        describe(&check, &home)
    );
    assert!(
        text.contains(&format!(
            "{STALE_FILE}:28:16: stale Deployment iam/keycloak"
        )),
        "{}",
        describe(&check, &home)
    );
    assert!(worktree(&repo) == before, "check wrote something");

    // apply rewrites the pins; pre-commit fails the hook because files changed.
    let apply = run("streampin-apply");
    let text = String::from_utf8_lossy(&apply.stdout);
    assert_eq!(apply.status.code(), Some(1), "{}", describe(&apply, &home));
    assert!(
        text.contains("- hook id: streampin-apply")
            && text.contains("- files were modified by this hook")
            && !text.contains("- exit code:"),
        "{}",
        describe(&apply, &home)
    );
    let keycloak = std::fs::read_to_string(repo.join(STALE_FILE)).unwrap();
    assert!(
        keycloak.contains(&format!("image: {NEW_KEYCLOAK}")) && !keycloak.contains(OLD_KEYCLOAK),
        "{keycloak}"
    );
    // The hook wrote what this crate's `streampin apply` writes.
    let expected = tempfile::tempdir().unwrap();
    for (rel, bytes) in &before {
        let path = expected.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let out = streampin(expected.path()).arg("apply").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        worktree(&repo) == worktree(expected.path()),
        "the hook's apply differs from streampin apply"
    );
    let changed = git(&repo, &global, &["diff", "--name-only"]);
    assert!(changed.lines().any(|l| l == STALE_FILE), "{changed}");

    // Everything is current now: the check passes, with the same build.
    let again = run("streampin-check");
    let text = String::from_utf8_lossy(&again.stdout);
    assert!(again.status.success(), "{}", describe(&again, &home));
    assert!(
        text.contains("streampin check") && text.contains("Passed"),
        "{}",
        describe(&again, &home)
    );
    assert!(
        !text.contains("Installing environment"),
        "the second check built again: {}",
        describe(&again, &home)
    );
    eprintln!("precommit: the whole test took {:.1?}", started.elapsed());
}
