//! The authoring verbs against their oracle data: every vector of
//! `vectors/oc-set-triggers.json` through the real binary, on the object written
//! as a YAML file and as a JSON file. The annotation text, `spec.paused`, the
//! error texts and the listing table must match byte for byte.

use std::path::Path;

use serde_json::Value;

use streampin::manifest::patch::to_yaml;

use crate::support::{root, streampin};

const TRIGGERS: &str = "image.openshift.io/triggers";

fn vectors(name: &str) -> Vec<Value> {
    let path = root().join("tests/conformance/vectors").join(name);
    let data: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    data["vectors"].as_array().unwrap().clone()
}

fn plural(kind: &str) -> String {
    format!("{}s", kind.to_ascii_lowercase())
}

/// The command line a vector's flags stand for.
fn args(v: &Value) -> Vec<String> {
    let obj = &v["input"]["object"];
    let mut a = vec![
        "set-triggers".to_string(),
        format!(
            "{}/{}",
            plural(obj["kind"].as_str().unwrap()),
            obj["metadata"]["name"].as_str().unwrap()
        ),
    ];
    let flags = &v["input"]["flags"];
    if let Some(f) = flags["fromImage"].as_str() {
        a.push(format!("--from-image={f}"));
    }
    if let Some(c) = flags["containers"].as_str() {
        a.push(format!("--containers={c}"));
    }
    for (key, flag) in [
        ("auto", "--auto"),
        ("manual", "--manual"),
        ("remove", "--remove"),
        ("removeAll", "--remove-all"),
        ("fromConfig", "--from-config"),
    ] {
        if flags[key] == Value::Bool(true) {
            a.push(flag.into());
        }
    }
    if let Some(ns) = v["input"]["currentNamespace"].as_str() {
        a.push(format!("--namespace={ns}"));
    }
    a
}

/// Run one vector on `file` (already written in `dir`); describe any mismatch.
fn run_vector(v: &Value, dir: &Path, file: &str) -> Option<String> {
    let id = v["id"].as_str().unwrap();
    let before = std::fs::read_to_string(dir.join(file)).unwrap();
    let out = streampin(dir).args(args(v)).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let after = std::fs::read_to_string(dir.join(file)).unwrap();
    let exp = &v["expected"];
    if let Some(listing) = exp["output"].as_str() {
        if stdout != listing || !out.status.success() || after != before {
            return Some(format!(
                "{id} ({file}): listing\n{stdout}\nwanted\n{listing}\n{stderr}"
            ));
        }
        return None;
    }
    if let Some(error) = exp["error"].as_str() {
        if out.status.success() || !stderr.contains(error) || after != before {
            return Some(format!(
                "{id} ({file}): wanted error `{error}`, got status {:?}, stderr {stderr}",
                out.status.code()
            ));
        }
        return None;
    }
    if !out.status.success() {
        return Some(format!("{id} ({file}): failed: {stderr}"));
    }
    let docs = streampin::manifest::yaml::parse(&after).unwrap();
    let obj = docs[0].root.to_json(&docs[0]);
    let ann = &obj["metadata"]["annotations"][TRIGGERS];
    if ann.as_str() != exp["annotation"].as_str() {
        return Some(format!(
            "{id} ({file}): annotation {ann}, wanted {}",
            exp["annotation"]
        ));
    }
    if let Some(paused) = exp["specPaused"].as_bool() {
        let got = obj["spec"]["paused"].as_bool().unwrap_or(false);
        if got != paused {
            return Some(format!("{id} ({file}): spec.paused {got}, wanted {paused}"));
        }
    }
    // Nothing but the annotation and spec.paused may have changed.
    let mut was = v["input"]["object"].clone();
    let mut now = obj.clone();
    for o in [&mut was, &mut now] {
        if let Some(a) = o["metadata"]
            .get_mut("annotations")
            .and_then(Value::as_object_mut)
        {
            a.remove(TRIGGERS);
            if a.is_empty() {
                o["metadata"].as_object_mut().unwrap().remove("annotations");
            }
        }
        o["spec"].as_object_mut().unwrap().remove("paused");
    }
    if was != now {
        return Some(format!("{id} ({file}): other fields changed: {now}"));
    }
    None
}

#[test]
fn oc_set_triggers_vectors() {
    let vs = vectors("oc-set-triggers.json");
    assert_eq!(vs.len(), 22, "the data announces 22 vectors");
    let mut failures = Vec::new();
    for v in &vs {
        let obj = &v["input"]["object"];
        for (file, text) in [
            ("object.yaml", to_yaml(obj)),
            ("object.json", serde_json::to_string_pretty(obj).unwrap()),
        ] {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join(file), &text).unwrap();
            failures.extend(run_vector(v, dir.path(), file));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn tracking_tags_vectors() {
    use streampin::author::tag;
    let vs = vectors("tracking-tags.json");
    assert_eq!(vs.len(), 9, "the data announces 9 vectors");
    let mut failures = Vec::new();
    for v in &vs {
        let id = v["id"].as_str().unwrap();
        let mut stream = v["input"]["imageStream"].clone();
        let updated = v["input"]["updatedTag"].as_str().unwrap();
        let event = v["input"]["updatedEvent"].clone();
        for t in tag::tracking_tags(&stream, updated) {
            tag::add_tag_event(&mut stream, &t, event.clone());
        }
        // Which spec tags now have the event first in their status.
        let got: Vec<String> = stream["spec"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["name"].as_str())
            .filter(|name| *name != updated)
            .filter(|name| {
                stream["status"]["tags"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|s| s["tag"] == *name && s["items"][0] == event)
            })
            .map(String::from)
            .collect();
        let want: Vec<String> = v["expected"]["updatedTags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect();
        if got != want {
            failures.push(format!("{id}: {got:?}, wanted {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Run a verb in `dir` with a fixed clock; return stdout, asserting success.
fn ok(dir: &Path, args: &[&str]) -> String {
    crate::support::run_ok(dir, args)
}

const DIGEST_20_0_2: &str = "quay.io/keycloak/keycloak@sha256:16d1eef3c78014dcbcf22b07b765fa17b466f1058c1168e0ce2ffea87ee04850";
const DIGEST_20_0_3: &str = "quay.io/keycloak/keycloak@sha256:68640fb1d4aca17682466c2ab6da63c352879d7bd54d389dce1145d1fed86850";

fn deployment_image(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("apps/iam/keycloak-deployment.yaml")).unwrap();
    let docs = streampin::manifest::yaml::parse(&text).unwrap();
    let v = docs[0].root.to_json(&docs[0]);
    let containers = v["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap();
    containers.iter().find(|c| c["name"] == "keycloak").unwrap()["image"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The keycloak story of the OpenShift documentation, on a copy of the demo:
/// add a trigger, promote `keycloak:20` to 20.0.3, roll it back to 20.0.2.
#[test]
fn keycloak_promotion_and_rollback() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    crate::support::copy_tree(&root().join("fixtures/demo"), &dir);
    let dir = dir.as_path();

    // 1. A trigger for the admin console, which names the stream by short name.
    let step1 = ok(
        dir,
        &[
            "set-triggers",
            "deploy/keycloak-admin-cli",
            "--from-image",
            "keycloak:20",
            "-c",
            "kcadm",
            "--dry-run",
        ],
    );
    insta::assert_snapshot!("story_1_set_triggers", step1);
    let out = ok(
        dir,
        &[
            "set-triggers",
            "deploy/keycloak-admin-cli",
            "--from-image",
            "keycloak:20",
            "-c",
            "kcadm",
        ],
    );
    assert_eq!(out, "deployment.apps/keycloak-admin-cli triggers updated\n");

    // 2. The hand-made tags 20.0.2 and 20.0.3 are in the snapshot, imported.
    let rows = ok(dir, &["set-image-lookup"]);
    assert!(rows.contains("keycloak     true"), "{rows}");
    let snapshot = std::fs::read_to_string(dir.join("imagestreams/keycloak.yaml")).unwrap();
    for (tag, digest) in [("20.0.2", DIGEST_20_0_2), ("20.0.3", DIGEST_20_0_3)] {
        assert!(snapshot.contains(&format!("name: {tag}")), "spec tag {tag}");
        assert!(
            snapshot.contains(&format!("tag: {tag}")),
            "status tag {tag}"
        );
        assert!(snapshot.contains(digest));
    }
    assert_eq!(
        deployment_image(dir),
        DIGEST_20_0_2,
        "the demo starts on 20.0.2"
    );

    // 3. Promote: 20 tracks 20.0.3 (it already does in the demo, so the
    //    snapshot does not change), and apply moves the Deployment.
    let before = std::fs::read(dir.join("imagestreams/keycloak.yaml")).unwrap();
    let out = ok(dir, &["tag", "--alias", "keycloak:20.0.3", "keycloak:20"]);
    assert_eq!(out, "Tag keycloak:20 set up to track keycloak:20.0.3.\n");
    assert_eq!(
        std::fs::read(dir.join("imagestreams/keycloak.yaml")).unwrap(),
        before
    );
    insta::assert_snapshot!("story_3_promote_diff", ok(dir, &["diff"]));
    ok(dir, &["apply"]);
    assert_eq!(deployment_image(dir), DIGEST_20_0_3);

    // 4. Roll back: 20 tracks 20.0.2 again.
    insta::assert_snapshot!(
        "story_4_rollback_tag",
        ok(
            dir,
            &[
                "tag",
                "--alias",
                "keycloak:20.0.2",
                "keycloak:20",
                "--dry-run"
            ]
        )
    );
    let out = ok(dir, &["tag", "--alias", "keycloak:20.0.2", "keycloak:20"]);
    assert_eq!(out, "Tag keycloak:20 set up to track keycloak:20.0.2.\n");
    insta::assert_snapshot!("story_4_rollback_diff", ok(dir, &["diff"]));
    ok(dir, &["apply"]);
    assert_eq!(deployment_image(dir), DIGEST_20_0_2);

    // 5. Everything is pinned.
    streampin(dir).arg("check").assert().code(0);
    // And a second rollback is a no-op.
    let snapshot = std::fs::read(dir.join("imagestreams/keycloak.yaml")).unwrap();
    ok(dir, &["tag", "--alias", "keycloak:20.0.2", "keycloak:20"]);
    assert_eq!(
        std::fs::read(dir.join("imagestreams/keycloak.yaml")).unwrap(),
        snapshot
    );
}

fn keycloak_stream(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("imagestreams/keycloak.yaml")).unwrap();
    let docs = streampin::manifest::yaml::parse(&text).unwrap();
    docs[0].root.to_json(&docs[0])
}

fn spec_tag<'v>(stream: &'v Value, name: &str) -> &'v Value {
    stream["spec"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no spec tag {name}"))
}

fn status_items<'v>(stream: &'v Value, name: &str) -> Option<&'v Vec<Value>> {
    stream["status"]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tag"] == name)
        .and_then(|t| t["items"].as_array())
}

#[test]
fn tag_sources_are_recorded_as_the_api_server_would() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    crate::support::copy_tree(&root().join("fixtures/demo"), &dir);
    let dir = dir.as_path();

    // A plain ImageStreamTag source is pinned: an ImageStreamImage, with the
    // image's event copied now.
    let out = ok(dir, &["tag", "keycloak:20.0.2", "keycloak:stable"]);
    assert_eq!(
        out,
        format!(
            "Tag keycloak:stable set to keycloak@{}.\n",
            &DIGEST_20_0_2[26..]
        )
    );
    let s = keycloak_stream(dir);
    let stable = spec_tag(&s, "stable");
    assert_eq!(stable["from"]["kind"], "ImageStreamImage");
    assert_eq!(
        stable["from"]["name"],
        format!("keycloak@{}", &DIGEST_20_0_2[26..])
    );
    assert_eq!(stable["generation"], 5, "the stream's generation, bumped");
    assert_eq!(s["metadata"]["generation"], 5);
    let items = status_items(&s, "stable").unwrap();
    assert_eq!(items[0]["dockerImageReference"], DIGEST_20_0_2);
    assert_eq!(items[0]["created"], "2026-11-18T11:06:40Z");
    // Moving 20.0.2 later does not move the copy (it is not an alias).
    assert!(streampin::author::tag::tracking_tags(&s, "20.0.2").is_empty());

    // A registry source waits for an import: generation 0, no status yet.
    ok(
        dir,
        &[
            "tag",
            "quay.io/keycloak/keycloak:21.0.0",
            "keycloak:21",
            "--scheduled",
            "--import-mode",
            "PreserveOriginal",
        ],
    );
    let s = keycloak_stream(dir);
    let t = spec_tag(&s, "21");
    assert_eq!(
        t["from"],
        serde_json::json!({"kind": "DockerImage", "name": "quay.io/keycloak/keycloak:21.0.0"})
    );
    assert_eq!(t["generation"], 0);
    assert_eq!(t["importPolicy"]["scheduled"], true);
    assert_eq!(t["importPolicy"]["importMode"], "PreserveOriginal");
    assert!(status_items(&s, "21").is_none());

    // --reference: never imported; the event holds the pull spec as written.
    ok(
        dir,
        &[
            "tag",
            "quay.io/keycloak/keycloak:22.0.0",
            "keycloak:22",
            "--reference",
            "--reference-policy",
            "local",
        ],
    );
    let s = keycloak_stream(dir);
    assert_eq!(spec_tag(&s, "22")["reference"], true);
    assert_eq!(spec_tag(&s, "22")["referencePolicy"]["type"], "Local");
    let items = status_items(&s, "22").unwrap();
    assert_eq!(
        items[0]["dockerImageReference"],
        "quay.io/keycloak/keycloak:22.0.0"
    );
    assert_eq!(items[0]["image"], "");

    // Deleting takes the spec and the status entry.
    assert_eq!(
        ok(dir, &["tag", "-d", "keycloak:22"]),
        "Deleted tag iam/keycloak:22.\n"
    );
    let s = keycloak_stream(dir);
    assert!(
        s["spec"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["name"] != "22")
    );
    assert!(status_items(&s, "22").is_none());
}

#[test]
fn tag_refuses_what_oc_refuses() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    crate::support::copy_tree(&root().join("fixtures/demo"), &dir);
    let before = crate::support::read_tree(&dir);
    for (args, message) in [
        (
            &["tag", "--alias", "keycloak:20.0.2", "postgres:20"][..],
            "cannot set alias across different Image Streams",
        ),
        (
            &["tag", "--scheduled", "keycloak:20.0.2", "keycloak:x"][..],
            "only container images can have importing flags set",
        ),
        (
            &["tag", "keycloak:20.0.2", "keycloak"][..],
            "\"keycloak\" must be of the form <stream_name>:<tag>",
        ),
        (
            &["tag", "keycloak:20.0.2", "keycloak:-bad"][..],
            "invalid tag name",
        ),
        (
            &["tag", "-d", "--alias", "keycloak:20"][..],
            "--alias and --delete may not be both specified",
        ),
        (
            &["tag", "keycloak:nope", "keycloak:x"][..],
            "\"keycloak:nope\" is not currently pointing to an image",
        ),
    ] {
        let out = streampin(&dir).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    assert_eq!(crate::support::read_tree(&dir), before, "nothing written");
}

#[test]
fn image_lookup_lists_streams_sorted() {
    let out = streampin(&root().join("fixtures/demo"))
        .arg("set-image-lookup")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "NAME         LOCAL\nfluent-bit   false\nkeycloak     true\noauth-proxy  false\npostgres     false\n"
    );
}

/// A file the authoring verbs cannot read or parse is an error finding, as for
/// `check`: it is reported with its code, every other file is still changed,
/// and the exit status is 1.
#[test]
fn an_unreadable_file_is_an_error_finding_for_the_authoring_verbs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    crate::support::copy_tree(&root().join("fixtures/demo"), &dir);
    std::fs::write(dir.join("apps/broken.yaml"), "kind: [Deployment\n").unwrap();
    std::fs::write(
        dir.join("apps/latin1.yaml"),
        b"kind: Deployment\nname: caf\xe9\n",
    )
    .unwrap();

    let snapshot = dir.join("imagestreams/keycloak.yaml");
    let before = std::fs::read(&snapshot).unwrap();
    let out = streampin(&dir)
        .args(["tag", "--alias", "keycloak:20.0.2", "keycloak:20"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("apps/broken.yaml:1:"), "{stderr}");
    assert!(stderr.contains("yaml-invalid"), "{stderr}");
    assert!(stderr.contains("apps/latin1.yaml:2:"), "{stderr}");
    assert!(stderr.contains("file-not-utf8"), "{stderr}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "Tag keycloak:20 set up to track keycloak:20.0.2.\n"
    );
    assert_ne!(
        std::fs::read(&snapshot).unwrap(),
        before,
        "the snapshot is still written"
    );

    // A listing, too.
    let out = streampin(&dir).arg("set-image-lookup").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("keycloak     true")
    );

    // Without the bad files, the same verbs succeed.
    std::fs::remove_file(dir.join("apps/broken.yaml")).unwrap();
    std::fs::remove_file(dir.join("apps/latin1.yaml")).unwrap();
    streampin(&dir).arg("set-image-lookup").assert().code(0);
}
