//! `--format sarif`: the log of every command validates against the official
//! SARIF 2.1.0 schema (`tests/data/sarif-schema-2.1.0.json`, draft 7, formats
//! checked, no network), and says what the JSON report says.

use std::path::Path;
use std::sync::OnceLock;

use serde_json::{Value, json};
use streampin::diag::Code;

use crate::support::{copy_tree, root, streampin};

const SCHEMA_FILE: &str = "tests/data/sarif-schema-2.1.0.json";

/// The official schema, compiled once, with format checking on (so that an
/// artifact URI must be a valid URI reference).
fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let text = std::fs::read_to_string(root().join(SCHEMA_FILE)).unwrap();
        let schema: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        assert_eq!(
            schema["title"],
            "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
        );
        jsonschema::draft7::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap()
    })
}

/// Every schema violation of `doc`, with where it is.
fn violations(doc: &Value) -> Vec<String> {
    validator()
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn assert_valid(doc: &Value) {
    let v = violations(doc);
    assert!(v.is_empty(), "not valid SARIF 2.1.0: {v:#?}");
}

/// Run `streampin args` in `dir`: the exit code and stdout.
fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = streampin(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// Run a SARIF command, check the text's shape and validity, and parse it.
fn sarif(dir: &Path, args: &[&str], code: i32) -> Value {
    let (status, out) = run(dir, args);
    assert_eq!(status, code, "{args:?}");
    assert!(out.ends_with("}\n"), "a final newline");
    assert!(out.starts_with("{\n  \""), "pretty-printed");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_valid(&doc);
    doc
}

fn demo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&root().join("fixtures/demo"), dir.path());
    dir
}

fn results(doc: &Value) -> &Vec<Value> {
    doc["runs"][0]["results"].as_array().unwrap()
}

fn rules(doc: &Value) -> &Vec<Value> {
    doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
}

fn with_rule<'a>(doc: &'a Value, id: &str) -> Vec<&'a Value> {
    results(doc).iter().filter(|r| r["ruleId"] == id).collect()
}

/// The result's location as (uri, uriBaseId, startLine, startColumn).
fn location(r: &Value) -> (&str, &str, u64, u64) {
    let p = &r["locations"][0]["physicalLocation"];
    (
        p["artifactLocation"]["uri"].as_str().unwrap(),
        p["artifactLocation"]["uriBaseId"].as_str().unwrap_or(""),
        p["region"]["startLine"].as_u64().unwrap_or(0),
        p["region"]["startColumn"].as_u64().unwrap_or(0),
    )
}

/// A percent-encoded URI path, decoded.
fn decode(uri: &str) -> String {
    let b = uri.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(&uri[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Checks that hold for every log: one run, the driver, a rule per code,
/// `ruleIndex` pointing at the rule, the same findings as the JSON report.
fn assert_consistent(doc: &Value, json_report: &Value, stale_level: &str) {
    assert_eq!(doc["version"], "2.1.0");
    assert_eq!(
        doc["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    assert_eq!(doc["runs"].as_array().unwrap().len(), 1);
    let driver = &doc["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "streampin");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));

    let rules = rules(doc);
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let mut want = vec!["stale-pin"];
    want.extend(Code::ALL.iter().map(|c| c.as_str()));
    assert_eq!(ids, want);
    assert_eq!(rules[0]["defaultConfiguration"]["level"], stale_level);
    for c in Code::ALL {
        let rule = rules.iter().find(|r| r["id"] == c.as_str()).unwrap();
        assert_eq!(rule["shortDescription"]["text"], c.description());
        let level = match c.severity().as_str() {
            "info" => "note",
            other => other,
        };
        assert_eq!(rule["defaultConfiguration"]["level"], level, "{c:?}");
    }

    for r in results(doc) {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"], "ruleIndex of {r}");
        assert!(r["message"]["text"].as_str().is_some_and(|t| !t.is_empty()));
    }

    // The same stale images and findings, in the same order, as `--format json`.
    let stale = with_rule(doc, "stale-pin");
    let changes = json_report["changes"].as_array().unwrap();
    assert_eq!(stale.len(), changes.len());
    for (r, c) in stale.iter().zip(changes) {
        assert_eq!(r["level"], stale_level);
        let (uri, base, line, col) = location(r);
        assert_eq!(
            (decode(uri).as_str(), base, line, col),
            (
                c["file"].as_str().unwrap(),
                "%SRCROOT%",
                c["line"].as_u64().unwrap(),
                c["column"].as_u64().unwrap()
            )
        );
    }
    let found: Vec<&Value> = results(doc)
        .iter()
        .filter(|r| r["ruleId"] != "stale-pin")
        .collect();
    let diags = json_report["diagnostics"].as_array().unwrap();
    assert_eq!(found.len(), diags.len());
    for (r, d) in found.iter().zip(diags) {
        assert_eq!(r["ruleId"], d["code"]);
        let level = match d["severity"].as_str().unwrap() {
            "info" => "note",
            other => other,
        };
        assert_eq!(r["level"], level);
        assert_eq!(decode(location(r).0), d["file"].as_str().unwrap());
        assert_eq!(location(r).1, "%SRCROOT%");
    }

    // Fingerprints are present and unique.
    let mut fps: Vec<&str> = results(doc)
        .iter()
        .map(|r| r["partialFingerprints"]["streampin/v1"].as_str().unwrap())
        .collect();
    let n = fps.len();
    fps.sort_unstable();
    fps.dedup();
    assert_eq!(fps.len(), n, "unique fingerprints");
}

fn json_report(dir: &Path, command: &str) -> Value {
    let (_, out) = run(dir, &[command, "--format", "json", "."]);
    serde_json::from_str(&out).unwrap()
}

#[test]
fn the_schema_file_is_the_official_draft_7_schema() {
    let text = std::fs::read_to_string(root().join(SCHEMA_FILE)).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(
        schema["$id"],
        "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json"
    );
    assert_eq!(schema["properties"]["version"]["enum"], json!(["2.1.0"]));
    // The schema itself is a valid draft 7 schema.
    let meta: Vec<String> = jsonschema::meta::validate(&schema)
        .err()
        .map(|e| vec![e.to_string()])
        .unwrap_or_default();
    assert!(meta.is_empty(), "{meta:?}");
}

#[test]
fn check_on_demo() {
    let dir = demo();
    let doc = sarif(dir.path(), &["check", "--format", "sarif", "."], 1);
    assert_consistent(&doc, &json_report(dir.path(), "check"), "error");

    // One known stale image, fully.
    let keycloak: Vec<&Value> = with_rule(&doc, "stale-pin")
        .into_iter()
        .filter(|r| location(r).0 == "apps/iam/keycloak-deployment.yaml")
        .collect();
    assert_eq!(keycloak.len(), 1);
    let r = keycloak[0];
    assert_eq!(
        location(r),
        ("apps/iam/keycloak-deployment.yaml", "%SRCROOT%", 28, 16)
    );
    assert_eq!(r["level"], "error");
    assert_eq!(r["ruleIndex"], 0);
    let text = r["message"]["text"].as_str().unwrap();
    for part in [
        "Deployment iam/keycloak",
        "container `keycloak`",
        "`quay.io/keycloak/keycloak@sha256:16d1eef3c78014dcbcf22b07b765fa17b466f1058c1168e0ce2ffea87ee04850`",
        "`keycloak:20`",
        "`quay.io/keycloak/keycloak@sha256:68640fb1d4aca17682466c2ab6da63c352879d7bd54d389dce1145d1fed86850`",
    ] {
        assert!(text.contains(part), "{part} in {text}");
    }

    // The demo's warning and info.
    let lookup = with_rule(&doc, "lookup-without-trigger");
    assert_eq!(lookup.len(), 1);
    assert_eq!(lookup[0]["level"], "warning");
    assert_eq!(
        location(lookup[0]),
        ("apps/iam/admin-cli.yaml", "%SRCROOT%", 20, 16)
    );
    let build = with_rule(&doc, "build-triggered");
    assert_eq!(build.len(), 1);
    assert_eq!(build[0]["level"], "note");

    // Deterministic, byte for byte.
    let (_, a) = run(dir.path(), &["check", "--format", "sarif", "."]);
    let (_, b) = run(dir.path(), &["check", "--format", "sarif", "."]);
    assert_eq!(a, b);
}

#[test]
fn check_on_a_tree_with_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("broken.yaml"), "a: [\n# a BuildConfig\n").unwrap();
    std::fs::write(d.join("blob.yaml"), b"x\0y\0z").unwrap();
    // A space and a non-ASCII letter, which the URI must percent-encode.
    std::fs::write(
        d.join("bad annotätion.yaml"),
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ns1
  annotations:
    image.openshift.io/triggers: 'not json'
spec:
  template:
    spec:
      containers:
      - name: web
        image: old/web:1
",
    )
    .unwrap();
    let doc = sarif(d, &["check", "--format", "sarif", "."], 1);
    assert_consistent(&doc, &json_report(d, "check"), "error");
    assert!(with_rule(&doc, "stale-pin").is_empty());

    let yaml = with_rule(&doc, "yaml-invalid");
    assert_eq!(yaml.len(), 1);
    assert_eq!(yaml[0]["level"], "error");
    assert_eq!(location(yaml[0]).0, "broken.yaml");

    let annotation = with_rule(&doc, "annotation-invalid");
    assert_eq!(annotation.len(), 1);
    assert_eq!(annotation[0]["level"], "error");
    let (uri, base, line, _) = location(annotation[0]);
    assert_eq!(
        (uri, base, line),
        ("bad%20annot%C3%A4tion.yaml", "%SRCROOT%", 7)
    );
    assert!(
        annotation[0]["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("Deployment ns1/web: ")
    );

    let binary = with_rule(&doc, "file-binary");
    assert_eq!(binary.len(), 1);
    assert_eq!(binary[0]["level"], "error");
}

#[test]
fn diff_apply_and_triggers_on_demo() {
    let dir = demo();
    let d = dir.path();

    let doc = sarif(d, &["diff", "--format", "sarif", "."], 0);
    assert_consistent(&doc, &json_report(d, "diff"), "note");
    assert!(!with_rule(&doc, "stale-pin").is_empty());
    let (code, _) = run(d, &["diff", "--exit-code", "--format", "sarif", "."]);
    assert_eq!(code, 1, "--exit-code still decides the status");

    // The JSON `triggers` report lists triggers, not changes: take those from `diff`.
    let doc = sarif(d, &["triggers", "--format", "sarif", "."], 0);
    let expected = json!({
        "changes": json_report(d, "diff")["changes"],
        "diagnostics": json_report(d, "triggers")["diagnostics"],
    });
    assert_consistent(&doc, &expected, "note");
    assert!(!with_rule(&doc, "stale-pin").is_empty());

    // `apply` reports what it wrote, once; afterwards nothing is stale.
    let expected = json_report(d, "diff");
    let doc = sarif(d, &["apply", "--format", "sarif", "."], 0);
    assert_consistent(&doc, &expected, "note");
    assert_eq!(
        with_rule(&doc, "stale-pin").len(),
        expected["changes"].as_array().unwrap().len()
    );
    let after = sarif(d, &["check", "--format", "sarif", "."], 0);
    assert!(with_rule(&after, "stale-pin").is_empty());
    assert!(
        results(&after)
            .iter()
            .all(|r| r["level"] != "error" && r["ruleId"] != "stale-pin")
    );
}

#[test]
fn broken_documents_fail_validation() {
    let dir = demo();
    let (_, out) = run(dir.path(), &["check", "--format", "sarif", "."]);
    let good: Value = serde_json::from_str(&out).unwrap();
    assert_valid(&good);

    type Break = fn(&mut Value);
    let breaks: [(&str, Break); 7] = [
        ("wrong version", |v| v["version"] = json!("2.0.0")),
        ("no runs", |v| {
            v.as_object_mut().unwrap().remove("runs");
        }),
        ("a result without a message", |v| {
            v["runs"][0]["results"][0]
                .as_object_mut()
                .unwrap()
                .remove("message");
        }),
        ("an unknown level", |v| {
            v["runs"][0]["results"][0]["level"] = json!("info");
        }),
        ("a line 0 region", |v| {
            v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
                json!(0);
        }),
        ("a URI with a space", |v| {
            v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
                json!("apps/a b.yaml");
        }),
        ("a driver without a name", |v| {
            v["runs"][0]["tool"]["driver"]
                .as_object_mut()
                .unwrap()
                .remove("name");
        }),
    ];
    for (what, f) in breaks {
        let mut bad = good.clone();
        f(&mut bad);
        assert_ne!(bad, good, "{what}: the edit must change the document");
        assert!(
            !violations(&bad).is_empty(),
            "{what}: a broken document passed validation"
        );
    }
}
