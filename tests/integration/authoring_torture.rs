//! Formatting torture cases for the authoring verbs (`set-triggers`, `tag`,
//! `set-image-lookup`): every case copies `tests/fixtures/authoring/<case>/in`
//! to a temporary directory, runs the real binary, and compares the files with
//! an `expected*/` directory byte for byte, so any change outside the intended
//! lines fails. CRLF and no-final-newline variants are built here from the LF
//! fixtures. Many cases also check that running the same command again
//! changes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{copy_tree, read_tree, root, streampin};

const TRIGGERS: &str = "image.openshift.io/triggers";
const RESOLVE_NAMES: &str = "alpha.image.policy.openshift.io/resolve-names";
/// `tag` stamps new status events with this clock: "2026-11-18T11:06:40Z".
const EPOCH: &str = "1795000000";

fn case(name: &str) -> PathBuf {
    root().join("tests/fixtures/authoring").join(name)
}

/// A fixture file as text: `tests/fixtures/authoring/<name>/<sub>/<file>`.
fn fixture(name: &str, sub: &str, file: &str) -> String {
    let path = case(name).join(sub).join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fresh copy of `<name>/in`.
fn copy_in(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&case(name).join("in"), dir.path());
    dir
}

/// A temporary directory holding exactly `files`.
fn tree_of(files: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// Every file under `dir` as text, for readable comparisons.
fn text_tree(dir: &Path) -> BTreeMap<String, String> {
    read_tree(dir)
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8(v).unwrap()))
        .collect()
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap()
}

/// Run `streampin ARGS` in `dir`; it must succeed. Returns stdout.
fn run(dir: &Path, args: &[&str]) -> String {
    let out = streampin(dir)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "streampin {args:?} failed ({:?})\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Running `args` a second time changes no file, and `--dry-run` of it prints
/// no diff.
fn assert_idempotent(dir: &Path, args: &[&str]) {
    let before = text_tree(dir);
    let mut dry = args.to_vec();
    dry.push("--dry-run");
    assert_eq!(run(dir, &dry), "", "dry run of {args:?} after the write");
    run(dir, args);
    assert_eq!(text_tree(dir), before, "second run of {args:?}");
}

fn assert_file(dir: &Path, file: &str, want: &str) {
    assert_eq!(read(dir, file), want, "{file}");
}

fn crlf(text: &str) -> String {
    text.replace('\n', "\r\n")
}

/// Every line ends in CRLF: no bare `\n`, no bare `\r`.
fn assert_all_crlf(file: &str, text: &str) {
    let bare = text.replace("\r\n", "");
    assert!(
        !bare.contains('\n') && !bare.contains('\r'),
        "{file}: a line lost its CRLF:\n{text:?}"
    );
    assert!(text.ends_with("\r\n"), "{file}: last line lost its CRLF");
}

/// The documents of a YAML text as JSON values (the tool's own parser).
fn parse_yaml(text: &str) -> Vec<Value> {
    let docs = streampin::manifest::yaml::parse(text).expect("result parses as YAML");
    docs.iter().map(|d| d.root.to_json(d)).collect()
}

/// The trigger annotation of the single document in `text`.
fn trigger_annotation(text: &str) -> Value {
    let docs = parse_yaml(text);
    assert_eq!(docs.len(), 1);
    docs[0]["metadata"]["annotations"][TRIGGERS].clone()
}

/// The annotation `oc set triggers --from-image IS -c C` writes on a pod
/// template under `spec.template.spec`.
fn oc_annotation(from: &str, container: &str) -> String {
    format!(
        r#"[{{"from":{{"kind":"ImageStreamTag","name":"{from}"}},"fieldPath":"spec.template.spec.containers[?(@.name==\"{container}\")].image"}}]"#
    )
}

// Comments everywhere.

#[test]
fn comments_around_the_edit_are_kept() {
    let dir = copy_in("comments");
    let add = [
        "set-triggers",
        "deploy/web",
        "--from-image",
        "web:1.0",
        "-c",
        "web",
    ];
    let out = run(dir.path(), &add);
    assert_eq!(out, "deployment.apps/web triggers updated\n");
    assert_file(
        dir.path(),
        "web.yaml",
        &fixture("comments", "expected", "web.yaml"),
    );
    assert_idempotent(dir.path(), &add);

    // --manual: the annotation gains "paused" in place, `spec.paused` goes in
    // at its sorted position, every comment stays on its line.
    let manual = ["set-triggers", "deploy/web", "--manual"];
    run(dir.path(), &manual);
    assert_file(
        dir.path(),
        "web.yaml",
        &fixture("comments", "expected-manual", "web.yaml"),
    );
    assert_idempotent(dir.path(), &manual);
}

#[test]
fn only_the_annotation_line_is_added() {
    let input = fixture("comments", "in", "web.yaml");
    let dir = copy_in("comments");
    run(
        dir.path(),
        &[
            "set-triggers",
            "deploy/web",
            "--from-image",
            "web:1.0",
            "-c",
            "web",
        ],
    );
    let got = read(dir.path(), "web.yaml");
    let added: Vec<&str> = got
        .lines()
        .filter(|l| !input.lines().any(|i| i == *l))
        .collect();
    assert_eq!(
        added,
        [format!(
            "    {TRIGGERS}: '{}'",
            oc_annotation("web:1.0", "web")
        )]
    );
    let kept: Vec<&str> = got.lines().filter(|l| !added.contains(l)).collect();
    assert_eq!(kept, input.lines().collect::<Vec<_>>());
}

#[test]
fn dry_run_prints_the_change_and_writes_nothing() {
    let dir = copy_in("comments");
    let before = text_tree(dir.path());
    let out = run(
        dir.path(),
        &[
            "set-triggers",
            "deploy/web",
            "--from-image",
            "web:1.0",
            "-c",
            "web",
            "--dry-run",
        ],
    );
    assert_eq!(text_tree(dir.path()), before, "--dry-run wrote a file");
    assert!(
        out.starts_with("diff --git a/web.yaml b/web.yaml\n"),
        "{out}"
    );
    let plus: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
        .collect();
    assert_eq!(
        plus,
        [format!(
            "+    {TRIGGERS}: '{}'",
            oc_annotation("web:1.0", "web")
        )]
    );
    assert!(
        !out.lines()
            .any(|l| l.starts_with('-') && !l.starts_with("---")),
        "{out}"
    );
}

// A missing annotations mapping.

fn missing_annotations(file: &str, steps: &[&[&str]]) {
    let dir = copy_in("missing-annotations");
    for step in steps {
        run(dir.path(), step);
    }
    assert_file(
        dir.path(),
        file,
        &fixture("missing-annotations", "expected", file),
    );
    // Only this file changed.
    for (name, text) in text_tree(dir.path()) {
        if name != file {
            assert_eq!(text, fixture("missing-annotations", "in", &name), "{name}");
        }
    }
    assert_idempotent(dir.path(), steps[steps.len() - 1]);
}

#[test]
fn new_annotations_in_sorted_metadata_go_first() {
    missing_annotations(
        "sorted.yaml",
        &[&[
            "set-triggers",
            "deploy/web",
            "--from-image",
            "web:1.0",
            "-c",
            "web",
        ]],
    );
    let text = fixture("missing-annotations", "expected", "sorted.yaml");
    assert!(text.contains("metadata:\n  annotations:\n    image.openshift.io/triggers: '"));
}

#[test]
fn new_annotations_follow_a_four_space_indentation() {
    missing_annotations(
        "indent4.yaml",
        &[&[
            "set-triggers",
            "deploy/api",
            "--from-image",
            "api:1.0",
            "-c",
            "api",
        ]],
    );
    let text = fixture("missing-annotations", "expected", "indent4.yaml");
    assert!(text.contains("metadata:\n    annotations:\n        image.openshift.io/triggers: '"));
}

#[test]
fn new_annotations_in_unsorted_metadata_go_last() {
    missing_annotations(
        "unsorted.yaml",
        &[&[
            "set-triggers",
            "deploy/worker",
            "--from-image",
            "worker:1.0",
            "-c",
            "worker",
        ]],
    );
    let text = fixture("missing-annotations", "expected", "unsorted.yaml");
    assert!(text.contains("    app: worker\n  annotations:\n    image.openshift.io/triggers: '"));
}

#[test]
fn new_annotations_and_paused_with_four_spaces_unsorted() {
    missing_annotations(
        "indent4-unsorted.yaml",
        &[
            &[
                "set-triggers",
                "deploy/cron",
                "--from-image",
                "cron:1.0",
                "-c",
                "cron",
            ],
            &["set-triggers", "deploy/cron", "--manual"],
        ],
    );
    let text = fixture("missing-annotations", "expected", "indent4-unsorted.yaml");
    assert!(
        text.contains(
            "        app: cron\n    annotations:\n        image.openshift.io/triggers: '"
        )
    );
    assert!(text.contains("spec:\n    paused: true\n    template:\n"));
}

// Flow mappings.

#[test]
fn flow_mappings_take_the_new_annotation_inside() {
    let dir = copy_in("flow");
    let cases = [
        ("flow-metadata.yaml", "web"),
        ("flow-annotations.yaml", "api"),
        ("all-flow.yaml", "worker"),
        ("multiline-flow.yaml", "cron"),
    ];
    for (_, name) in cases {
        let from = format!("{name}:1.0");
        let resource = format!("deploy/{name}");
        run(
            dir.path(),
            &["set-triggers", &resource, "--from-image", &from, "-c", name],
        );
    }
    for (file, name) in cases {
        let got = read(dir.path(), file);
        assert_eq!(got, fixture("flow", "expected", file), "{file}");
        let from = format!("{name}:1.0");
        assert_eq!(
            trigger_annotation(&got),
            Value::String(oc_annotation(&from, name)),
            "{file}"
        );
        // Other annotations and keys are still there.
        let was = parse_yaml(&fixture("flow", "in", file)).remove(0);
        let mut now = parse_yaml(&got).remove(0);
        now["metadata"]["annotations"]
            .as_object_mut()
            .unwrap()
            .remove(TRIGGERS);
        if now["metadata"]["annotations"]
            .as_object()
            .is_some_and(serde_json::Map::is_empty)
        {
            now["metadata"]
                .as_object_mut()
                .unwrap()
                .remove("annotations");
        }
        assert_eq!(now, was, "{file}");
        // The edit stays on the flow mapping's lines.
        assert_eq!(
            got.lines().count(),
            fixture("flow", "in", file).lines().count(),
            "{file}"
        );
    }
    for (_, name) in cases {
        let from = format!("{name}:1.0");
        let resource = format!("deploy/{name}");
        assert_idempotent(
            dir.path(),
            &["set-triggers", &resource, "--from-image", &from, "-c", name],
        );
    }
}

// CRLF line endings.

#[test]
fn crlf_kept_by_set_triggers() {
    let dir = tree_of(&[("web.yaml", crlf(&fixture("comments", "in", "web.yaml")))]);
    let add = [
        "set-triggers",
        "deploy/web",
        "--from-image",
        "web:1.0",
        "-c",
        "web",
    ];
    run(dir.path(), &add);
    let got = read(dir.path(), "web.yaml");
    assert_all_crlf("web.yaml", &got);
    assert_eq!(got, crlf(&fixture("comments", "expected", "web.yaml")));
    assert_idempotent(dir.path(), &add);

    run(dir.path(), &["set-triggers", "deploy/web", "--manual"]);
    let got = read(dir.path(), "web.yaml");
    assert_all_crlf("web.yaml", &got);
    assert_eq!(
        got,
        crlf(&fixture("comments", "expected-manual", "web.yaml"))
    );
}

#[test]
fn crlf_kept_by_set_triggers_creating_annotations() {
    let files: Vec<(&str, String)> = ["sorted.yaml", "indent4-unsorted.yaml"]
        .into_iter()
        .map(|f| (f, crlf(&fixture("missing-annotations", "in", f))))
        .collect();
    let dir = tree_of(&files);
    run(
        dir.path(),
        &[
            "set-triggers",
            "deploy/web",
            "--from-image",
            "web:1.0",
            "-c",
            "web",
        ],
    );
    run(
        dir.path(),
        &[
            "set-triggers",
            "deploy/cron",
            "--from-image",
            "cron:1.0",
            "-c",
            "cron",
        ],
    );
    run(dir.path(), &["set-triggers", "deploy/cron", "--manual"]);
    for (file, _) in &files {
        let got = read(dir.path(), file);
        assert_all_crlf(file, &got);
        assert_eq!(
            got,
            crlf(&fixture("missing-annotations", "expected", file)),
            "{file}"
        );
    }
}

#[test]
fn crlf_kept_by_tag() {
    let input = crlf(&fixture("tag", "in", "web.yaml"));

    let dir = tree_of(&[("web.yaml", input.clone())]);
    let out = run(dir.path(), &["tag", "--alias", "web:1.1", "web:prod"]);
    assert_eq!(out, "Tag web:prod set up to track web:1.1.\n");
    let got = read(dir.path(), "web.yaml");
    assert_all_crlf("web.yaml", &got);
    assert_eq!(got, crlf(&fixture("tag", "expected-alias", "web.yaml")));

    let dir = tree_of(&[("web.yaml", input)]);
    run(dir.path(), &["tag", "-d", "web:old"]);
    let got = read(dir.path(), "web.yaml");
    assert_all_crlf("web.yaml", &got);
    assert_eq!(got, crlf(&fixture("tag", "expected-delete", "web.yaml")));
}

#[test]
fn crlf_kept_by_set_image_lookup() {
    let files: Vec<(&str, String)> = [
        "no-template-metadata.yaml",
        "template-labels.yaml",
        "streams.yaml",
    ]
    .into_iter()
    .map(|f| (f, crlf(&fixture("image-lookup", "in", f))))
    .collect();
    let dir = tree_of(&files);
    run(
        dir.path(),
        &["set-image-lookup", "deploy/web", "deploy/api", "web", "api"],
    );
    for (file, _) in &files {
        let got = read(dir.path(), file);
        assert_all_crlf(file, &got);
        assert_eq!(
            got,
            crlf(&fixture("image-lookup", "expected", file)),
            "{file}"
        );
    }
    // And back: these two return to their input bytes.
    run(
        dir.path(),
        &[
            "set-image-lookup",
            "deploy/api",
            "web",
            "api",
            "--enabled=false",
        ],
    );
    let got = read(dir.path(), "template-labels.yaml");
    assert_all_crlf("template-labels.yaml", &got);
    assert_eq!(
        got,
        crlf(&fixture("image-lookup", "in", "template-labels.yaml"))
    );
    let got = read(dir.path(), "streams.yaml");
    assert_all_crlf("streams.yaml", &got);
    assert_eq!(
        got,
        crlf(&fixture(
            "image-lookup",
            "expected-disabled",
            "streams.yaml"
        ))
    );
}

// Quoting styles of an existing annotation.

#[test]
fn manual_rewrites_the_annotation_in_its_style() {
    let dir = copy_in("quoting");
    for name in ["single", "double", "literal", "folded"] {
        let resource = format!("deploy/{name}");
        run(dir.path(), &["set-triggers", &resource, "--manual"]);
    }
    let paused = r#"[{"from":{"kind":"ImageStreamTag","name":"web:1.0"},"fieldPath":"spec.template.spec.containers[?(@.name==\"web\")].image","paused":true}]"#;
    for file in [
        "single-quoted.yaml",
        "double-quoted.yaml",
        "literal-block.yaml",
        "folded-block.yaml",
    ] {
        let got = read(dir.path(), file);
        assert_eq!(got, fixture("quoting", "expected", file), "{file}");
        assert_eq!(
            trigger_annotation(&got),
            Value::String(paused.into()),
            "{file}"
        );
        assert_eq!(parse_yaml(&got)[0]["spec"]["paused"], Value::Bool(true));
    }
    // Quoted scalars keep their quotes; a block scalar becomes one
    // single-quoted line, as a new annotation is written.
    let single = read(dir.path(), "single-quoted.yaml");
    assert!(single.contains(&format!("    {TRIGGERS}: '{paused}'\n")));
    let double = read(dir.path(), "double-quoted.yaml");
    assert!(double.contains(&format!(
        "    {TRIGGERS}: {}\n",
        serde_json::to_string(paused).unwrap()
    )));
    for file in ["literal-block.yaml", "folded-block.yaml"] {
        assert_eq!(
            read(dir.path(), file),
            single.replace(
                "name: single",
                &format!("name: {}", file.split('-').next().unwrap())
            )
        );
    }
    for name in ["single", "double", "literal", "folded"] {
        let resource = format!("deploy/{name}");
        assert_idempotent(dir.path(), &["set-triggers", &resource, "--manual"]);
    }
}

// JSON manifests.

#[test]
fn json_manifests_stay_valid_json() {
    let dir = copy_in("json");
    let web = [
        "set-triggers",
        "deploy/web",
        "--from-image",
        "web:1.0",
        "-c",
        "web",
    ];
    run(dir.path(), &web);
    let api = [
        "set-triggers",
        "deploy/api",
        "--from-image",
        "web:1.0",
        "-c",
        "web",
        "--manual",
    ];
    run(dir.path(), &api);
    run(dir.path(), &["set-triggers", "deploy/api", "--remove-all"]);
    for file in ["web.json", "api.json"] {
        let got = read(dir.path(), file);
        assert_eq!(got, fixture("json", "expected", file), "{file}");
        let v: Value = serde_json::from_str(&got)
            .unwrap_or_else(|e| panic!("{file} is no longer JSON: {e}\n{got}"));
        let was: Value = serde_json::from_str(&fixture("json", "in", file)).unwrap();
        assert_eq!(v["spec"]["template"], was["spec"]["template"], "{file}");
    }
    let web_json: Value = serde_json::from_str(&read(dir.path(), "web.json")).unwrap();
    assert_eq!(
        web_json["metadata"]["annotations"][TRIGGERS],
        Value::String(oc_annotation("web:1.0", "web"))
    );
    let api_json: Value = serde_json::from_str(&read(dir.path(), "api.json")).unwrap();
    assert_eq!(api_json["metadata"]["annotations"][TRIGGERS], "null");
    assert_eq!(api_json["metadata"]["annotations"]["a"], "b");
    assert_eq!(api_json["spec"]["paused"], true);
    assert_idempotent(dir.path(), &web);
    assert_idempotent(dir.path(), &["set-triggers", "deploy/api", "--remove-all"]);
}

// Multi-document files.

#[test]
fn multi_document_changes_only_the_middle_document() {
    let dir = copy_in("multi-document");
    let add = [
        "set-triggers",
        "deploy/web",
        "--from-image",
        "web:1.0",
        "-c",
        "web",
    ];
    run(dir.path(), &add);
    let got = read(dir.path(), "all.yaml");
    assert_eq!(got, fixture("multi-document", "expected", "all.yaml"));
    let input = fixture("multi-document", "in", "all.yaml");
    let was: Vec<&str> = input.split("\n---\n").collect();
    let now: Vec<&str> = got.split("\n---\n").collect();
    assert_eq!(was.len(), 3);
    assert_eq!(now.len(), 3);
    assert_eq!(now[0], was[0], "first document");
    assert_ne!(now[1], was[1], "middle document");
    assert_eq!(now[2], was[2], "last document");
    let docs = parse_yaml(&got);
    assert_eq!(docs.len(), 3);
    assert_eq!(
        docs[1]["metadata"]["annotations"][TRIGGERS],
        Value::String(oc_annotation("web:1.0", "web"))
    );
    assert_idempotent(dir.path(), &add);
}

// No final newline.

#[test]
fn a_missing_final_newline_stays_missing() {
    let names = [
        "metadata-first.yaml",
        "metadata-last.yaml",
        "annotation-last.yaml",
    ];
    let files: Vec<(&str, String)> = names
        .iter()
        .map(|f| {
            let t = fixture("no-final-newline", "in", f);
            (*f, t.trim_end_matches('\n').to_string())
        })
        .collect();
    let dir = tree_of(&files);
    let steps: [&[&str]; 3] = [
        &[
            "set-triggers",
            "deploy/web",
            "--from-image",
            "web:1.0",
            "-c",
            "web",
        ],
        &[
            "set-triggers",
            "deploy/api",
            "--from-image",
            "api:1.0",
            "-c",
            "api",
        ],
        &["set-triggers", "deploy/worker", "--manual"],
    ];
    for step in steps {
        run(dir.path(), step);
    }
    for file in names {
        let got = read(dir.path(), file);
        let want = fixture("no-final-newline", "expected", file);
        assert!(!got.ends_with('\n'), "{file} gained a final newline");
        assert_eq!(got, want.trim_end_matches('\n'), "{file}");
    }
    for step in steps {
        assert_idempotent(dir.path(), step);
    }
}

#[test]
fn a_missing_final_newline_stays_missing_with_crlf() {
    let text = crlf(&fixture("no-final-newline", "in", "metadata-last.yaml"));
    let dir = tree_of(&[("api.yaml", text.trim_end_matches("\r\n").to_string())]);
    run(
        dir.path(),
        &[
            "set-triggers",
            "deploy/api",
            "--from-image",
            "api:1.0",
            "-c",
            "api",
        ],
    );
    let got = read(dir.path(), "api.yaml");
    let want = crlf(&fixture(
        "no-final-newline",
        "expected",
        "metadata-last.yaml",
    ));
    assert_eq!(got, want.trim_end_matches("\r\n"));
    assert!(!got.replace("\r\n", "").contains('\n'), "{got:?}");
}

// set-image-lookup.

#[test]
fn image_lookup_creates_the_pod_template_metadata() {
    let dir = copy_in("image-lookup");
    let on = ["set-image-lookup", "deploy/web", "deploy/api", "web", "api"];
    let out = run(dir.path(), &on);
    assert_eq!(
        out,
        "deployment.apps/web updated\ndeployment.apps/api updated\n\
         imagestream.image.openshift.io/web updated\nimagestream.image.openshift.io/api updated\n"
    );
    for file in [
        "no-template-metadata.yaml",
        "template-labels.yaml",
        "streams.yaml",
    ] {
        assert_file(dir.path(), file, &fixture("image-lookup", "expected", file));
    }
    let docs = parse_yaml(&read(dir.path(), "no-template-metadata.yaml"));
    assert_eq!(
        docs[0]["spec"]["template"]["metadata"]["annotations"][RESOLVE_NAMES],
        "*"
    );
    assert_idempotent(dir.path(), &on);
}

#[test]
fn image_lookup_off_restores_the_original_bytes() {
    let dir = copy_in("image-lookup");
    run(
        dir.path(),
        &["set-image-lookup", "deploy/api", "web", "api"],
    );
    let off = [
        "set-image-lookup",
        "deploy/api",
        "web",
        "api",
        "--enabled=false",
    ];
    run(dir.path(), &off);
    // The pod template had metadata: the round trip is exact.
    assert_file(
        dir.path(),
        "template-labels.yaml",
        &fixture("image-lookup", "in", "template-labels.yaml"),
    );
    // Stream `web` had `local: false` and gets it back; stream `api` had no
    // lookupPolicy and now says `local: false`, as `oc` leaves it.
    assert_file(
        dir.path(),
        "streams.yaml",
        &fixture("image-lookup", "expected-disabled", "streams.yaml"),
    );
    // deploy/web was never named: untouched.
    assert_file(
        dir.path(),
        "no-template-metadata.yaml",
        &fixture("image-lookup", "in", "no-template-metadata.yaml"),
    );
    assert_idempotent(dir.path(), &off);
}

// tag on a commented snapshot.

#[test]
fn tag_alias_rewrites_one_spec_tag() {
    let dir = copy_in("tag");
    let alias = ["tag", "--alias", "web:1.1", "web:prod"];
    run(dir.path(), &alias);
    assert_file(
        dir.path(),
        "web.yaml",
        &fixture("tag", "expected-alias", "web.yaml"),
    );
    let docs = parse_yaml(&read(dir.path(), "web.yaml"));
    let prod = docs[0]["spec"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "prod")
        .unwrap()
        .clone();
    assert_eq!(prod["from"]["name"], "web:1.1");
    assert_eq!(
        docs[0]["status"]["tags"][3]["items"][0]["created"],
        "2026-11-18T11:06:40Z"
    );
    assert_idempotent(dir.path(), &alias);
}

#[test]
fn tag_delete_removes_the_spec_and_status_entries() {
    let dir = copy_in("tag");
    let out = run(dir.path(), &["tag", "-d", "web:old"]);
    assert_eq!(out, "Deleted tag shop/web:old.\n");
    let got = read(dir.path(), "web.yaml");
    assert_eq!(got, fixture("tag", "expected-delete", "web.yaml"));
    // Exactly the lines of the two entries are gone; the comments before
    // them and every neighbour stay.
    let input = fixture("tag", "in", "web.yaml");
    let gone: Vec<&str> = {
        let mut rest = got.lines().peekable();
        let mut gone = Vec::new();
        for line in input.lines() {
            if rest.peek() == Some(&line) {
                rest.next();
            } else {
                gone.push(line);
            }
        }
        assert_eq!(rest.next(), None, "lines were added");
        gone
    };
    assert_eq!(
        gone,
        [
            "  - from:",
            "      kind: DockerImage",
            "      name: quay.io/example/web:0.9",
            "    name: old",
            "    referencePolicy:",
            "      type: Source",
            "  - items:",
            "    - created: \"2025-06-01T00:00:00Z\"",
            "      dockerImageReference: quay.io/example/web@sha256:0909090909090909090909090909090909090909090909090909090909090909",
            "      generation: 1",
            "      image: sha256:0909090909090909090909090909090909090909090909090909090909090909",
            "    tag: old",
        ]
    );
    assert!(got.contains("  # old: kept for rollbacks\n  # prod follows 1.0 for now\n"));
    assert!(got.contains("  # status of old\n  # status of prod\n"));
}

// DeploymentConfig trigger lists with comments.

#[test]
fn deploymentconfig_trigger_made_automatic_in_place() {
    let dir = copy_in("deploymentconfig");
    let auto = [
        "set-triggers",
        "dc/api",
        "--from-image",
        "worker:1",
        "-c",
        "worker",
    ];
    let out = run(dir.path(), &auto);
    assert_eq!(
        out,
        "deploymentconfig.apps.openshift.io/api triggers updated\n"
    );
    assert_file(
        dir.path(),
        "api.yaml",
        &fixture("deploymentconfig", "expected-auto", "api.yaml"),
    );
    assert_file(
        dir.path(),
        "web.yaml",
        &fixture("deploymentconfig", "in", "web.yaml"),
    );
    // No idempotence check: a second run moves ConfigChange behind the image
    // trigger (oc's mergeDeployTriggers order).
}

#[test]
fn deploymentconfig_trigger_removed_with_its_lines() {
    let dir = copy_in("deploymentconfig");
    let remove = [
        "set-triggers",
        "dc/api",
        "--remove",
        "--from-image",
        "worker:1",
    ];
    run(dir.path(), &remove);
    assert_file(
        dir.path(),
        "api.yaml",
        &fixture("deploymentconfig", "expected-remove", "api.yaml"),
    );
    assert_idempotent(dir.path(), &remove);
}

#[test]
fn deploymentconfig_new_trigger_appended_after_commented_ones() {
    let dir = copy_in("deploymentconfig");
    let add = [
        "set-triggers",
        "dc/web",
        "--from-image",
        "proxy:1",
        "-c",
        "proxy",
    ];
    run(dir.path(), &add);
    assert_file(
        dir.path(),
        "web.yaml",
        &fixture("deploymentconfig", "expected-add", "web.yaml"),
    );
    let docs = parse_yaml(&read(dir.path(), "web.yaml"));
    let types: Vec<&str> = docs[0]["spec"]["triggers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["ImageChange", "ConfigChange", "ImageChange"]);
    // No idempotence check: a second run moves ConfigChange to the end.
    let listing = run(dir.path(), &["set-triggers", "dc/web"]);
    assert_eq!(
        listing,
        "NAME                   TYPE    VALUE            AUTO\n\
         deploymentconfigs/web  config                   true\n\
         deploymentconfigs/web  image   web:1 (web)      true\n\
         deploymentconfigs/web  image   proxy:1 (proxy)  true\n"
    );
}

// Add then remove: the annotation is left as the string "null".

#[test]
fn add_then_remove_leaves_only_a_null_annotation() {
    let dir = copy_in("round-trip");
    let runs: [(&str, &str); 3] = [
        ("deploy/web", "web"),
        ("sts/db", "db"),
        ("cronjob/report", "report"),
    ];
    for (resource, container) in runs {
        run(
            dir.path(),
            &[
                "set-triggers",
                resource,
                "--from-image",
                "a:1",
                "-c",
                container,
            ],
        );
        let remove = ["set-triggers", resource, "--remove", "--from-image", "a:1"];
        run(dir.path(), &remove);
        assert_idempotent(dir.path(), &remove);
    }
    for file in ["commented.yaml", "bare.yaml", "cron.json"] {
        assert_file(dir.path(), file, &fixture("round-trip", "expected", file));
    }
    // Nothing but the annotation differs from the input.
    for file in ["commented.yaml", "bare.yaml"] {
        let input = fixture("round-trip", "in", file);
        let got = read(dir.path(), file);
        let added: Vec<&str> = got
            .lines()
            .filter(|l| !input.lines().any(|i| i == *l))
            .collect();
        assert!(
            added == [format!("    {TRIGGERS}: 'null'")]
                || added
                    == [
                        "  annotations:".to_string(),
                        format!("    {TRIGGERS}: 'null'")
                    ],
            "{file}: {added:?}"
        );
        let docs = parse_yaml(&got);
        assert_eq!(docs[0]["metadata"]["annotations"][TRIGGERS], "null");
    }
    let cron: Value = serde_json::from_str(&read(dir.path(), "cron.json")).unwrap();
    assert_eq!(cron["metadata"]["annotations"][TRIGGERS], "null");
}

// ---------------------------------------------------------------------------
// Regressions: comments stay with what they describe.
// ---------------------------------------------------------------------------

/// Write `text` as `file` in a fresh directory, run the verb, return the file.
fn run_on(file: &str, text: &str, args: &[&str]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(file), text).unwrap();
    crate::support::run_ok(dir.path(), args);
    let after = std::fs::read_to_string(dir.path().join(file)).unwrap();
    (dir, after)
}

const DC_WITH_COMMENTS: &str = "\
apiVersion: apps.openshift.io/v1
kind: DeploymentConfig
metadata:
  name: api
spec:
  triggers:
  # redeploy on config change
  - type: ConfigChange
  # worker image
  - type: ImageChange
    imageChangeParams:
      containerNames:
      - worker # the sidecar
      from:
        kind: ImageStreamTag
        name: worker:1
  template:
    spec:
      containers:
      - name: api
        image: a
      - name: worker
        image: w
";

#[test]
fn reordered_deploymentconfig_triggers_move_with_their_comments() {
    // oc rebuilds the list as [identical entries kept, ConfigChange, new]: the
    // worker trigger moves in front, carrying its comments and bytes.
    let (dir, after) = run_on(
        "dc.yaml",
        DC_WITH_COMMENTS,
        &[
            "set-triggers",
            "dc/api",
            "--from-image",
            "api:2",
            "-c",
            "api",
        ],
    );
    let want = DC_WITH_COMMENTS.replace(
        "  triggers:
  # redeploy on config change
  - type: ConfigChange
  # worker image
  - type: ImageChange
    imageChangeParams:
      containerNames:
      - worker # the sidecar
      from:
        kind: ImageStreamTag
        name: worker:1
",
        "  triggers:
  # worker image
  - type: ImageChange
    imageChangeParams:
      containerNames:
      - worker # the sidecar
      from:
        kind: ImageStreamTag
        name: worker:1
  # redeploy on config change
  - type: ConfigChange
  - imageChangeParams:
      automatic: true
      containerNames:
      - api
      from:
        kind: ImageStreamTag
        name: api:2
    type: ImageChange
",
    );
    assert_eq!(after, want);
    // oc's merge moves ConfigChange last on the next run, then the list is
    // stable; the comment travels with it.
    streampin(dir.path())
        .args([
            "set-triggers",
            "dc/api",
            "--from-image",
            "api:2",
            "-c",
            "api",
        ])
        .assert()
        .success();
    let second = std::fs::read_to_string(dir.path().join("dc.yaml")).unwrap();
    assert!(second.ends_with(
        "    type: ImageChange\n  # redeploy on config change\n  - type: ConfigChange\n  template:\n    spec:\n      containers:\n      - name: api\n        image: a\n      - name: worker\n        image: w\n"
    ));
    streampin(dir.path())
        .args([
            "set-triggers",
            "dc/api",
            "--from-image",
            "api:2",
            "-c",
            "api",
        ])
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("dc.yaml")).unwrap(),
        second
    );
}

#[test]
fn a_key_inserted_first_goes_above_the_first_keys_comment() {
    let src = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  # the name comes first
  name: p
spec:
  # two replicas for HA
  replicas: 2
  template:
    spec:
      containers:
      - name: c
        image: x
";
    let (_d, after) = run_on("d.yaml", src, &["set-triggers", "deploy/p", "--remove-all"]);
    assert_eq!(
        after,
        src.replace(
            "metadata:\n  # the name",
            "metadata:\n  annotations:\n    image.openshift.io/triggers: \"null\"\n  # the name"
        )
        .replace("spec:\n  # two", "spec:\n  paused: true\n  # two")
    );
}

#[test]
fn appending_after_a_block_scalar_stays_inside_the_mapping() {
    let src = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: h
  annotations:
    zz: \"1\"
    b: |
      x

  # about labels
  labels: {a: b}
spec:
  template:
    spec:
      containers:
      - name: c
        image: x
";
    let (_d, after) = run_on(
        "d.yaml",
        src,
        &["set-triggers", "deploy/h", "--from-image", "a:1", "-c", "c"],
    );
    assert_eq!(
        after,
        src.replace(
            "      x\n",
            "      x\n    image.openshift.io/triggers: '[{\"from\":{\"kind\":\"ImageStreamTag\",\"name\":\"a:1\"},\"fieldPath\":\"spec.template.spec.containers[?(@.name==\\\"c\\\")].image\"}]'\n"
        )
    );
}

#[test]
fn an_empty_annotations_key_keeps_its_comment_on_its_line() {
    let src = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: n
  annotations: # none yet
spec:
  template:
    spec:
      containers:
      - name: c
        image: x
";
    let (_d, after) = run_on(
        "d.yaml",
        src,
        &["set-triggers", "deploy/n", "--from-image", "a:1", "-c", "c"],
    );
    assert_eq!(
        after,
        src.replace(
            "  annotations: # none yet\n",
            "  annotations: # none yet\n    image.openshift.io/triggers: '[{\"from\":{\"kind\":\"ImageStreamTag\",\"name\":\"a:1\"},\"fieldPath\":\"spec.template.spec.containers[?(@.name==\\\"c\\\")].image\"}]'\n"
        )
    );
}

#[test]
fn deleting_the_only_tag_takes_its_comment_along() {
    let src = "\
apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: one
spec:
  tags:
  - name: \"1\" # only tag
    from:
      kind: DockerImage
      name: x:1
";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("is.yaml"), src).unwrap();
    streampin(dir.path())
        .args(["tag", "-d", "one:1"])
        .assert()
        .success()
        .stdout("Deleted tag one:1.\n");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("is.yaml")).unwrap(),
        src.replace(
            "  tags:\n  - name: \"1\" # only tag\n    from:\n      kind: DockerImage\n      name: x:1\n",
            "  tags: []\n"
        )
    );
}

#[test]
fn image_lookup_on_and_off_gives_the_file_back() {
    let src = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: w
spec:
  template:
    spec:
      containers:
      - name: c
        image: x
";
    let (dir, on) = run_on("d.yaml", src, &["set-image-lookup", "deploy/w"]);
    assert_ne!(on, src);
    streampin(dir.path())
        .args(["set-image-lookup", "deploy/w", "--enabled=false"])
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("d.yaml")).unwrap(),
        src
    );
}
