//! Inputs the fuzz targets (fuzz/, docs/fuzzing.md) found, minimised, replayed
//! through the same in-memory pipeline as `fuzz/fuzz_targets/evaluate_splice.rs`.

use std::path::PathBuf;

use streampin::diag::Code;
use streampin::discover::FileEntry;
use streampin::manifest::yaml;
use streampin::plan::{self, Plan, PlanSettings};
use streampin::source::SourceFile;

const SNAPSHOT: &str = "\
apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: app
  namespace: ns1
spec:
  tags:
  - name: latest
    from:
      kind: DockerImage
      name: quay.io/example/app:latest
    referencePolicy:
      type: Source
status:
  tags:
  - tag: latest
    items:
    - created: \"2024-01-01T00:00:00Z\"
      dockerImageReference: quay.io/example/app@sha256:1111111111111111111111111111111111111111111111111111111111111111
      image: sha256:1111111111111111111111111111111111111111111111111111111111111111
";

const PINNED: &str =
    "quay.io/example/app@sha256:1111111111111111111111111111111111111111111111111111111111111111";

/// The plan for one manifest file plus the snapshot, as the fuzz target builds it.
fn plan_of(manifest: &str) -> Plan {
    let entry = |name: &str, snapshot_only| FileEntry {
        display: name.into(),
        path: PathBuf::from(name),
        real: PathBuf::from(name),
        via_link: false,
        snapshot_only,
        kustomization: None,
    };
    let entries = [entry("manifest.yaml", false), entry("is.yaml", true)];
    let sources: Vec<SourceFile> = entries
        .iter()
        .zip([manifest, SNAPSHOT])
        .map(|(e, t)| SourceFile::new(e.display.clone(), e.real.clone(), t.to_string()))
        .collect();
    plan::build_from_sources(&entries, &sources, &PlanSettings::default(), Vec::new())
}

/// A Deployment whose `containers:` is followed by `containers` (a block
/// sequence starting on the next line, or a flow one).
fn deployment_with(containers: &str) -> String {
    format!(
        "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ns1
  annotations:
    image.openshift.io/triggers: '[{{\"from\":{{\"kind\":\"ImageStreamTag\",\"name\":\"app:latest\"}},\"fieldPath\":\"spec.template.spec.containers[0].image\"}}]'
spec:
  template:
    spec:
      containers:{containers}
"
    )
}

/// A Deployment whose one container's image line is `image_line`.
fn deployment(image_line: &str) -> String {
    deployment_with(&format!("\n      - name: web\n        {image_line}"))
}

/// The new text of the one changed file, after checking nothing was refused.
fn pinned(manifest: &str) -> String {
    let plan = plan_of(manifest);
    let unverified: Vec<_> = plan
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::EditUnverified)
        .map(|d| d.message.as_str())
        .collect();
    assert!(unverified.is_empty(), "{unverified:?}");
    assert_eq!(plan.files.len(), 1, "{:?}", plan.diagnostics);
    plan.files[0].new.clone()
}

/// Fuzz find: an empty image value carrying a tag (`image: !!str`, `image: !`).
/// The pin was inserted right after the tag (`!!strquay.io/…`), which made it part
/// of the tag; the edit failed its own verification and the file was left stale
/// with an `edit-unverified` error.
#[test]
fn empty_tagged_image_is_pinned_after_the_tag() {
    for tag in ["!!str", "!"] {
        let old = deployment(&format!("image: {tag}"));
        assert_eq!(
            pinned(&old),
            deployment(&format!("image: {tag} {PINNED}")),
            "{tag}"
        );
    }
}

/// Fuzz find: an empty image value followed by a comment (`image: # note`). The
/// pin was inserted against the `#`, which then read as part of the value.
#[test]
fn empty_image_before_a_comment_keeps_the_comment() {
    let old = deployment("image: # set by the trigger");
    assert_eq!(
        pinned(&old),
        deployment(&format!("image: {PINNED} # set by the trigger"))
    );
    let old = deployment("image: !!str # set by the trigger");
    assert_eq!(
        pinned(&old),
        deployment(&format!("image: !!str {PINNED} # set by the trigger"))
    );
}

/// Values a JSON value holds, nested ones included.
fn count_values(v: &serde_json::Value) -> usize {
    1 + match v {
        serde_json::Value::Array(a) => a.iter().map(count_values).sum(),
        serde_json::Value::Object(o) => o.values().map(count_values).sum(),
        _ => 0,
    }
}

/// Found by reading `to_json` (the `yaml_spans` target then runs out of memory on
/// it): an alias bomb. Ten aliases of ten aliases of … expanded a 300-byte file
/// into a million values (a 500-byte one into a billion), in the authoring verbs'
/// comparisons. Aliases now expand into at most `JSON_EXPANSION_LIMIT` nodes.
#[test]
fn alias_bomb_expands_into_bounded_json() {
    let mut src = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..6 {
        let items = vec![format!("*l{}", i - 1); 10].join(", ");
        src.push_str(&format!("l{i}: &l{i} [{items}]\n"));
    }
    // The default parse limits refuse the file outright (`limit-aliases`)...
    assert!(yaml::parse(&src).is_err());
    // ...and with that limit lifted, `to_json` still stays bounded.
    let lifted = yaml::ParseLimits {
        max_alias_nodes: usize::MAX,
        ..yaml::ParseLimits::default()
    };
    let docs = yaml::parse_with_limits(&src, lifted).unwrap();
    let json = docs[0].root.to_json(&docs[0]);
    assert!(
        count_values(&json) <= yaml::JSON_EXPANSION_LIMIT + 100,
        "{} values",
        count_values(&json)
    );
    // Ordinary anchors still expand in full.
    let src = "a: &lbl {app: web, tier: [1, 2]}\nb: *lbl\n";
    let docs = yaml::parse(src).unwrap();
    let json = docs[0].root.to_json(&docs[0]);
    assert_eq!(json["a"], json["b"]);
    assert_eq!(json["b"]["tier"][1], 2);
}

/// Fuzz find (`yaml_spans`, a timeout): `? ? ? ? …`, keys that are mappings whose
/// keys are mappings. Each level wrote the inner key as JSON text, escaping the
/// text inside it again, so 30 levels asked for gigabytes. Collection keys now
/// spend `JSON_EXPANSION_LIMIT` too.
#[test]
fn nested_collection_keys_render_into_bounded_json() {
    let src = "? ".repeat(22) + "x\n";
    let docs = yaml::parse(&src).unwrap();
    let text = docs[0].root.to_json(&docs[0]).to_string();
    assert!(
        text.len() <= 4 * yaml::JSON_EXPANSION_LIMIT,
        "{} bytes",
        text.len()
    );
}

/// Fuzz find (`evaluate_splice`): a missing `image` key inserted into a flow
/// mapping went right before the first key, after that key's tag or anchor, so
/// `{&n name: web}` became `{&n image: …, name: web}`: the anchor (and what every
/// `*n` reads) moved to the new key, and the verification did not notice. A
/// single pair in a flow sequence (`[name: web]`) got a second item instead of a
/// key. Both are now refused (`image-not-editable`) and left alone.
#[test]
fn image_key_is_not_inserted_after_a_tag_or_anchor_in_a_flow_mapping() {
    for containers in ["[{&n name: web}]", "[{! name: web}]", "[name: web]"] {
        let plan = plan_of(&deployment_with(&format!(" {containers}")));
        let codes: Vec<Code> = plan.diagnostics.iter().map(|d| d.code).collect();
        assert!(plan.files.is_empty(), "{containers}: {codes:?}");
        assert!(
            codes.contains(&Code::ImageNotEditable),
            "{containers}: {codes:?}"
        );
        assert!(
            !codes.contains(&Code::EditUnverified),
            "{containers}: {codes:?}"
        );
    }
    // Braces with blanks or a comment before the first key are still fine.
    for containers in [
        "[{ name: web}]",
        "[{ # the web server\n          name: web}]",
    ] {
        let new = pinned(&deployment_with(&format!(" {containers}")));
        assert!(
            new.contains(&format!("image: {PINNED}, name: web}}]")),
            "{new}"
        );
    }
}
