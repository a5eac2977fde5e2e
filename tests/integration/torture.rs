//! Byte-exact rewrite cases (`tests/fixtures/torture/<case>/{in,expected}`) and the
//! demo tree: `apply` writes exactly `expected/`, a second `apply` changes nothing,
//! `check` is then clean, and `diff` prints a patch `git apply` accepts and that
//! turns `in/` into `expected/` byte for byte.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support;

/// Cases whose image field is reported and never edited (`expected/` = `in/`).
const NOT_EDITED: &[&str] = &["alias-image", "anchored-image", "multiline-block"];

/// The fewest cases the fixture directory may hold; guards against cases
/// silently disappearing.
const MIN_CASES: usize = 22;

/// Every case directory, sorted by name.
fn cases() -> Vec<(String, PathBuf)> {
    let dir = support::root().join("tests/fixtures/torture");
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    out.sort();
    out
}

fn is_edited(name: &str) -> bool {
    !NOT_EDITED.contains(&name)
}

/// A fresh copy of `case/in` in a temporary directory.
fn fresh_copy(case: &Path) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    support::copy_tree(&case.join("in"), tmp.path());
    tmp
}

/// `read_tree` without git's own files.
fn read_tree_without_git(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    support::read_tree(dir)
        .into_iter()
        .filter(|(k, _)| k != ".git" && !k.starts_with(".git/"))
        .collect()
}

/// Name the first differing file of two trees, with both contents, for a readable failure.
fn tree_difference(
    got: &BTreeMap<String, Vec<u8>>,
    want: &BTreeMap<String, Vec<u8>>,
) -> Option<String> {
    let got_keys: Vec<&String> = got.keys().collect();
    let want_keys: Vec<&String> = want.keys().collect();
    if got_keys != want_keys {
        return Some(format!(
            "files differ: got {got_keys:?}, want {want_keys:?}"
        ));
    }
    for (k, g) in got {
        let w = &want[k];
        if g != w {
            return Some(format!(
                "{k} differs:\n--- got ---\n{:?}\n--- want ---\n{:?}",
                String::from_utf8_lossy(g),
                String::from_utf8_lossy(w)
            ));
        }
    }
    None
}

fn output_text(o: &std::process::Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn torture_cases_are_all_present() {
    let cases = cases();
    assert!(
        cases.len() >= MIN_CASES,
        "only {} torture cases found, expected at least {MIN_CASES}: {:?}",
        cases.len(),
        cases.iter().map(|(n, _)| n).collect::<Vec<_>>()
    );
    for (name, dir) in &cases {
        assert!(dir.join("in").is_dir(), "{name}: no in/");
        assert!(dir.join("expected").is_dir(), "{name}: no expected/");
    }
    for name in NOT_EDITED {
        assert!(
            cases.iter().any(|(n, _)| n == name),
            "the not-edited case {name} is missing"
        );
    }
}

/// One case through apply, apply again and check. Returns the failures.
fn run_apply_case(name: &str, case: &Path) -> Vec<String> {
    let mut fails = Vec::new();
    let tmp = fresh_copy(case);
    let dir = tmp.path();
    let input = support::read_tree(dir);
    let expected = support::read_tree(&case.join("expected"));

    let first = support::streampin(dir)
        .args(["apply", "."])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&first.stderr).into_owned();
    if stderr.contains("panicked") {
        fails.push(format!("{name}: apply panicked\n{}", output_text(&first)));
    }
    if let Some(d) = tree_difference(&support::read_tree(dir), &expected) {
        fails.push(format!("{name}: after apply, {d}"));
    }

    if is_edited(name) {
        if first.status.code() != Some(0) {
            fails.push(format!(
                "{name}: apply should exit 0\n{}",
                output_text(&first)
            ));
        }
        if input == expected {
            fails.push(format!("{name}: in/ = expected/ for an edited case"));
        }
        // Idempotence: a second apply changes nothing and still succeeds.
        let second = support::streampin(dir)
            .args(["apply", "."])
            .output()
            .unwrap();
        if second.status.code() != Some(0) {
            fails.push(format!(
                "{name}: second apply should exit 0\n{}",
                output_text(&second)
            ));
        }
        if let Some(d) = tree_difference(&support::read_tree(dir), &expected) {
            fails.push(format!("{name}: second apply changed the tree: {d}"));
        }
        let check = support::streampin(dir)
            .args(["check", "."])
            .output()
            .unwrap();
        if check.status.code() != Some(0) {
            fails.push(format!(
                "{name}: check after apply should exit 0\n{}",
                output_text(&check)
            ));
        }
    } else {
        if first.status.code() != Some(1) {
            fails.push(format!(
                "{name}: apply of a not-editable image should exit 1\n{}",
                output_text(&first)
            ));
        }
        if !stderr.contains("image-not-editable") {
            fails.push(format!(
                "{name}: apply should report image-not-editable on stderr\n{}",
                output_text(&first)
            ));
        }
        if let Some(d) = tree_difference(&support::read_tree(dir), &input) {
            fails.push(format!("{name}: a not-editable case was written: {d}"));
        }
        let check = support::streampin(dir)
            .args(["check", "."])
            .output()
            .unwrap();
        if check.status.code() != Some(1) {
            fails.push(format!(
                "{name}: check of a not-editable image should exit 1\n{}",
                output_text(&check)
            ));
        }
    }
    fails
}

#[test]
fn torture_apply_is_byte_exact_and_idempotent() {
    let cases = cases();
    assert!(cases.len() >= MIN_CASES);
    let fails: Vec<String> = cases
        .iter()
        .flat_map(|(name, dir)| run_apply_case(name, dir))
        .collect();
    assert!(
        fails.is_empty(),
        "{} failure(s):\n\n{}",
        fails.len(),
        fails.join("\n\n")
    );
}

fn git(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .current_dir(dir)
        .args(["-c", "core.autocrlf=false", "-c", "core.safecrlf=false"])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CEILING_DIRECTORIES", dir.parent().unwrap_or(dir))
        .output()
        .expect("running git")
}

/// One case through `diff` and `git apply`. Returns the failures.
fn run_diff_case(name: &str, case: &Path) -> Vec<String> {
    let mut fails = Vec::new();
    let tmp = fresh_copy(case);
    let dir = tmp.path();
    let input = support::read_tree(dir);
    let expected = support::read_tree(&case.join("expected"));

    let init = git(dir, &["init", "-q"]);
    if !init.status.success() {
        return vec![format!("{name}: git init failed\n{}", output_text(&init))];
    }
    let out = support::streampin(dir)
        .args(["diff", "."])
        .output()
        .unwrap();
    if String::from_utf8_lossy(&out.stderr).contains("panicked") {
        fails.push(format!("{name}: diff panicked\n{}", output_text(&out)));
    }
    let want_code = if is_edited(name) { 0 } else { 1 };
    if out.status.code() != Some(want_code) {
        fails.push(format!(
            "{name}: diff should exit {want_code}\n{}",
            output_text(&out)
        ));
    }
    // `diff` never writes.
    if read_tree_without_git(dir) != input {
        fails.push(format!("{name}: diff wrote to the tree"));
    }
    let patch = out.stdout;
    if !is_edited(name) {
        if !patch.is_empty() {
            fails.push(format!(
                "{name}: diff printed a patch for a not-editable image:\n{}",
                String::from_utf8_lossy(&patch)
            ));
        }
        return fails;
    }
    if patch.is_empty() {
        fails.push(format!("{name}: diff printed nothing"));
        return fails;
    }
    // The patch lives outside the tree so it does not show up in the comparison.
    let patch_dir = tempfile::tempdir().unwrap();
    let patch_file = patch_dir.path().join("streampin.patch");
    std::fs::write(&patch_file, &patch).unwrap();
    let patch_arg = patch_file.to_str().unwrap();
    let check = git(dir, &["apply", "--check", "--whitespace=nowarn", patch_arg]);
    if !check.status.success() {
        fails.push(format!(
            "{name}: git apply --check rejects the diff\n{}\npatch:\n{:?}",
            output_text(&check),
            String::from_utf8_lossy(&patch)
        ));
        return fails;
    }
    let apply = git(dir, &["apply", "--whitespace=nowarn", patch_arg]);
    if !apply.status.success() {
        fails.push(format!("{name}: git apply failed\n{}", output_text(&apply)));
        return fails;
    }
    if let Some(d) = tree_difference(&read_tree_without_git(dir), &expected) {
        fails.push(format!(
            "{name}: the tree after git apply is not expected/: {d}\npatch:\n{:?}",
            String::from_utf8_lossy(&patch)
        ));
    }
    fails
}

#[test]
fn torture_diff_is_a_patch_git_applies() {
    let cases = cases();
    assert!(cases.len() >= MIN_CASES);
    let fails: Vec<String> = cases
        .iter()
        .flat_map(|(name, dir)| run_diff_case(name, dir))
        .collect();
    assert!(
        fails.is_empty(),
        "{} failure(s):\n\n{}",
        fails.len(),
        fails.join("\n\n")
    );
}

/// Split a line holding an `image:` key (or a DeploymentConfig's
/// `lastTriggeredImage:`) into (everything up to the value, the value token,
/// everything after it: spaces, a comment, flow punctuation, `\r`).
fn split_image_line(line: &str) -> Option<(&str, &str, &str)> {
    let key = match line.find("image:") {
        Some(i) => i + "image:".len(),
        None => line.find("lastTriggeredImage:")? + "lastTriggeredImage:".len(),
    };
    let after = &line[key..];
    let start = key + (after.len() - after.trim_start_matches([' ', '\t']).len());
    let rest = &line[start..];
    let len = match rest.chars().next()? {
        '"' => {
            let mut escaped = false;
            let mut end = None;
            for (i, c) in rest.char_indices().skip(1) {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    end = Some(i + 1);
                    break;
                }
            }
            end?
        }
        '\'' => {
            let b = rest.as_bytes();
            let mut i = 1;
            loop {
                match b.get(i)? {
                    b'\'' if b.get(i + 1) == Some(&b'\'') => i += 2,
                    b'\'' => break i + 1,
                    _ => i += 1,
                }
            }
        }
        _ => {
            let end = [" #", "\t#", ",", "}", "]", "\r", "\n"]
                .iter()
                .filter_map(|s| rest.find(s))
                .min()
                .unwrap_or(rest.len());
            rest[..end].trim_end_matches([' ', '\t']).len()
        }
    };
    Some((&line[..start], &rest[..len], &rest[len..]))
}

#[test]
fn split_image_line_finds_the_value_token() {
    assert_eq!(
        split_image_line("  - image: a/b:1   # c\r\n"),
        Some(("  - image: ", "a/b:1", "   # c\r\n"))
    );
    assert_eq!(
        split_image_line("    image: \"a\\\"b\"  # x"),
        Some(("    image: ", "\"a\\\"b\"", "  # x"))
    );
    assert_eq!(
        split_image_line("image: 'it''s' # x"),
        Some(("image: ", "'it''s'", " # x"))
    );
    assert_eq!(
        split_image_line("[{name: a, image: x/y:1}]"),
        Some(("[{name: a, image: ", "x/y:1", "}]"))
    );
    assert_eq!(split_image_line("name: web"), None);
}

#[test]
fn demo_apply_changes_only_image_values() {
    let demo = support::root().join("fixtures/demo");
    let tmp = tempfile::tempdir().unwrap();
    support::copy_tree(&demo, tmp.path());
    let before = support::read_tree(tmp.path());

    let out = support::streampin(tmp.path())
        .args(["apply", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let after = support::read_tree(tmp.path());
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "apply added or removed files"
    );

    let mut changed_lines = 0;
    for (path, old) in &before {
        let new = &after[path];
        if old == new {
            continue;
        }
        let old = std::str::from_utf8(old).unwrap();
        let new = std::str::from_utf8(new).unwrap();
        let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
        let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
        assert_eq!(
            old_lines.len(),
            new_lines.len(),
            "{path}: the number of lines changed"
        );
        for (i, (o, n)) in old_lines.iter().zip(&new_lines).enumerate() {
            if o == n {
                continue;
            }
            changed_lines += 1;
            let at = format!("{path}:{}: `{o}` -> `{n}`", i + 1);
            let (op, ov, or) =
                split_image_line(o).unwrap_or_else(|| panic!("{at}: not an image line"));
            let (np, nv, nr) =
                split_image_line(n).unwrap_or_else(|| panic!("{at}: no longer an image line"));
            assert_eq!(op, np, "{at}: the text before the value changed");
            assert_eq!(or, nr, "{at}: the text after the value changed");
            assert_ne!(ov, nv, "{at}");
            // The quoting style is kept.
            let quote = |v: &str| v.chars().next().filter(|c| *c == '"' || *c == '\'');
            assert_eq!(quote(ov), quote(nv), "{at}: the quoting style changed");
        }
    }
    assert!(changed_lines > 0, "apply changed nothing in the demo");

    // And the demo is then clean.
    let check = support::streampin(tmp.path())
        .args(["check", "."])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(0), "{}", output_text(&check));
}
