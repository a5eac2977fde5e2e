//! Conformance: every case of `tests/conformance/` (a copy of the shared spec's
//! oracle data, produced by OpenShift's own code) run through streampin.
//!
//! - `controller/*.json`: whole cases through the real pipeline (`plan::build` on a
//!   temporary tree holding the object and an `is.json` List of its streams).
//! - `vectors/annotation-trigger.json`: the same, per vector.
//! - `vectors/fieldpath.json`: `fieldpath::parse` plus the container choice eval makes.
//! - `vectors/tag-resolution.json`: `ImageStream` helpers, `Index::resolve`,
//!   `resolve_pull_spec_for_tag`.
//! - `vectors/istag-names.json`: the `name:tag` / `name@id` helpers.
//! - `vectors/image-reference.json`: `ImageRef::parse` and `exact()`.
//! - `vectors/deploymentconfig-trigger.json`: the same pipeline, per vector, with
//!   `include_manual` for the `instantiate-force` group (`oc rollout latest`).
//! - `vectors/buildconfig-trigger.json`: the same pipeline, per vector: the `Build`
//!   streampin reports against the `BuildRequest` OpenShift would send.
//!
//! Every case runs; none is skipped. Each test collects every failing case and
//! panics once with all of them, and checks that the number of cases it ran equals
//! the number the data (and its README) announces, so a case cannot vanish.
//!
//! streampin's expected result is the recorded OpenShift result, except where
//! semantics.md says otherwise: those cases are in [`DEVIATIONS`], each with its rule
//! and reason, and the test asserts streampin's documented behaviour for them (and
//! the diagnostic that says so).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use streampin::diag::{Code, Severity};
use streampin::discover::DiscoverOptions;
use streampin::fieldpath::{self, FieldPath, Selector};
use streampin::image_ref::ImageRef;
use streampin::imagestream::{self, ImageStream, Index};
use streampin::manifest::{self, ContainerList, Inherited, kind};
use streampin::plan::{self, Plan, PlanSettings};
use streampin::trigger::eval::EvalSettings;

use crate::support::root;

// ---------------------------------------------------------------------------
// Deviations from the recorded OpenShift result (semantics.md)
// ---------------------------------------------------------------------------

/// Which rule of semantics.md makes streampin's expected result differ from (or
/// add a diagnostic to) the recorded OpenShift result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deviation {
    /// Rule 2, kinds: the live controller does not watch this kind. The recorded
    /// `expected` is already the reactor's result (it is recorded regardless of
    /// `watched`), which is what streampin produces; the difference from the live
    /// cluster (which would do nothing) is the warning `cluster-ignores-kind`.
    Rule2Kind,
    /// Rule 2, selectors: a single-quoted name selector, which OpenShift rejects
    /// (`no such container`), is accepted as a name selector, with the warning
    /// `cluster-rejects-selector`. The expected image is computed by this test from
    /// the stream data.
    Rule2Selector,
    /// Rule 3, snapshot completeness: a stream without a numeric
    /// `metadata.resourceVersion`, or an alias tag without a status entry, resolves
    /// anyway (info `snapshot-completed`). The expected image is computed by this
    /// test from the stream data.
    Rule3,
}

/// Every case whose expected result is not simply the recorded one:
/// (data file, case id, rule, reason).
const DEVIATIONS: &[(&str, &str, Deviation, &str)] = &[
    (
        "controller",
        "ann-job-name",
        Deviation::Rule2Kind,
        "Jobs are not watched by openshift-controller-manager (watched=false); the reactor's update is applied and `cluster-ignores-kind` warns",
    ),
    (
        "controller",
        "ann-replicaset-name",
        Deviation::Rule2Kind,
        "ReplicaSets are not watched (watched=false); the reactor's update is applied and `cluster-ignores-kind` warns",
    ),
    (
        "controller",
        "ann-replicationcontroller-no-template",
        Deviation::Rule2Kind,
        "ReplicationControllers are not watched (watched=false): the cluster would not even report the reactor's `no list of images` error; streampin reports it and warns `cluster-ignores-kind`",
    ),
    (
        "controller",
        "stream-no-resourceversion",
        Deviation::Rule3,
        "the stream has no metadata.resourceVersion: the tag retriever calls the tag unresolved; a live stream always has one, so streampin resolves app:latest",
    ),
    (
        "controller",
        "stream-non-numeric-resourceversion",
        Deviation::Rule3,
        "resourceVersion `abc` does not parse as an integer: the tag retriever calls the tag unresolved; streampin resolves app:latest",
    ),
    (
        "controller",
        "tag-alias-without-status",
        Deviation::Rule3,
        "alias tag `prod` (-> app:latest) has no status entry yet: OpenShift does not follow it until the image stream controller writes one; streampin resolves through `latest` with `prod`'s own reference policy",
    ),
    (
        "annotation-trigger",
        "ann-d04-single-quoted-rejected",
        Deviation::Rule2Selector,
        "`[?(@.name=='web')]` is the documentation's spelling: accepted as a name selector (OpenShift: `no such container`), warning `cluster-rejects-selector`",
    ),
    (
        "annotation-trigger",
        "ann-d09-pod-path",
        Deviation::Rule2Kind,
        "Pods are not watched by the live controller; the vector's expected update is the reactor's result, applied with `cluster-ignores-kind`",
    ),
    (
        "annotation-trigger",
        "ann-d29-missing-resourceversion-quirk",
        Deviation::Rule3,
        "the stream has no metadata.resourceVersion: OpenShift calls the tag unresolved; streampin resolves web:latest",
    ),
    (
        "fieldpath",
        "fp-d10-single-quotes",
        Deviation::Rule2Selector,
        "`[?(@.name=='a')]` is accepted as a name selector (OpenShift: `no such container`)",
    ),
    (
        "tag-resolution",
        "rt-d11-no-resourceversion",
        Deviation::Rule3,
        "the stream has no metadata.resourceVersion: the tag retriever reports not found; streampin resolves keycloak:20",
    ),
];

/// Kinds openshift-controller-manager feeds to the annotation reactor
/// (controller/README.md, `watched`).
const WATCHED_KINDS: &[&str] = &["Deployment", "DaemonSet", "StatefulSet", "CronJob"];

fn deviation(file: &str, id: &str) -> Option<Deviation> {
    DEVIATIONS
        .iter()
        .find(|(f, i, _, _)| *f == file && *i == id)
        .map(|(_, _, r, _)| *r)
}

/// Every deviation entry of `file` must name a case that exists in it.
fn check_deviation_ids(file: &str, ids: &BTreeSet<String>, failures: &mut Failures) {
    for (f, id, rule, _) in DEVIATIONS {
        if *f == file && !ids.contains(*id) {
            failures.add(
                id,
                format!("DEVIATIONS names a case ({rule:?}) that {file} does not have"),
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Reading the data
// ---------------------------------------------------------------------------

fn conformance_dir() -> PathBuf {
    root().join("tests").join("conformance")
}

fn read_json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// The vectors of one file in `vectors/`, checked against the count that
/// `vectors/README.md` announces for it.
fn load_vectors(file: &str) -> (Value, Vec<Value>) {
    let doc = read_json(&conformance_dir().join("vectors").join(file));
    let vectors = doc["vectors"]
        .as_array()
        .unwrap_or_else(|| panic!("{file}: no `vectors` array"))
        .clone();
    let announced = readme_vector_counts()
        .get(file)
        .copied()
        .unwrap_or_else(|| panic!("vectors/README.md has no row for {file}"));
    assert_eq!(
        vectors.len(),
        announced,
        "{file} holds {} vectors, its README announces {announced}",
        vectors.len()
    );
    let ids: BTreeSet<&str> = vectors.iter().filter_map(|v| v["id"].as_str()).collect();
    assert_eq!(
        ids.len(),
        vectors.len(),
        "{file}: vector ids missing or not unique"
    );
    (doc, vectors)
}

/// `| `file.json` | what | N |` rows of vectors/README.md.
fn readme_vector_counts() -> BTreeMap<String, usize> {
    let text = std::fs::read_to_string(conformance_dir().join("vectors").join("README.md"))
        .expect("vectors/README.md");
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() >= 4
            && let Some(name) = cells[1]
                .strip_prefix('`')
                .and_then(|s| s.strip_suffix(".json`"))
            && let Ok(n) = cells[cells.len() - 2].parse::<usize>()
        {
            out.insert(format!("{name}.json"), n);
        }
    }
    out
}

/// Case ids of the "Case index" table of controller/README.md.
fn readme_controller_ids() -> BTreeSet<String> {
    let text = std::fs::read_to_string(conformance_dir().join("controller").join("README.md"))
        .expect("controller/README.md");
    let index = text
        .split("## Case index")
        .nth(1)
        .expect("controller/README.md has a case index");
    index
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_string)
        .collect()
}

fn str_of<'v>(v: &'v Value, what: &str) -> &'v str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string for {what}, got {v}"))
}

// ---------------------------------------------------------------------------
// Failure collection
// ---------------------------------------------------------------------------

/// Collects failures per case id; `finish` panics once with all of them.
#[derive(Default)]
struct Failures {
    by_case: BTreeMap<String, Vec<String>>,
}

impl Failures {
    fn add(&mut self, id: &str, what: String) {
        self.by_case.entry(id.to_string()).or_default().push(what);
    }

    fn check(&mut self, id: &str, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.add(id, what());
        }
    }

    fn eq<T: PartialEq + std::fmt::Debug>(&mut self, id: &str, what: &str, got: T, want: T) {
        if got != want {
            self.add(id, format!("{what}: got {got:?}, want {want:?}"));
        }
    }

    fn finish(self, name: &str, seen: usize, total: usize) {
        let mut report = String::new();
        if seen != total {
            report.push_str(&format!("ran {seen} cases, the data holds {total}\n"));
        }
        for (id, problems) in &self.by_case {
            report.push_str(&format!("- {id}\n"));
            for p in problems {
                report.push_str(&format!("    {p}\n"));
            }
        }
        assert!(
            report.is_empty(),
            "{name}: {} of {total} cases failed\n{report}",
            self.by_case.len()
        );
    }
}

// ---------------------------------------------------------------------------
// Running the pipeline on one object
// ---------------------------------------------------------------------------

/// The outcome of `plan::build` on a tree of `object.json` + `is.json`.
struct Run {
    plan: Plan,
    /// The object as read back: the new text when the file changes, else the input.
    result: Result<Value, String>,
    /// Whether the plan changes `object.json`.
    object_changed: bool,
    /// Problems with the run itself (not about the case's expectation).
    problems: Vec<String>,
}

impl Run {
    fn has(&self, code: Code) -> bool {
        self.plan.diagnostics.iter().any(|d| d.code == code)
    }

    fn errors(&self) -> Vec<String> {
        self.plan
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| format!("{} {}", d.code.as_str(), d.message))
            .collect()
    }

    /// `(field, old, new)` of every change, sorted.
    fn changes(&self) -> Vec<FieldChange> {
        let mut v: Vec<_> = self
            .plan
            .changes
            .iter()
            .map(|c| (c.field.clone(), c.old.clone(), c.new.clone()))
            .collect();
        v.sort();
        v
    }
}

/// Run the pipeline on a case's `input` (object, streams, registry host) and
/// record problems with the run. `None` when the object could not be read back.
fn run_input<'v>(
    f: &mut Failures,
    id: &str,
    input: &'v Value,
    include_manual: bool,
) -> Option<(Run, Vec<Value>, Option<&'v str>)> {
    let streams = input["imageStreams"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let registry = input["internalRegistryHostname"].as_str();
    let run = run_pipeline(&input["object"], &streams, registry, include_manual);
    for p in &run.problems {
        f.add(id, p.clone());
    }
    if let Err(e) = &run.result {
        f.add(id, e.clone());
        return None;
    }
    Some((run, streams, registry))
}

/// Write the object and its streams into a fresh directory and build the plan
/// the way `streampin diff` does.
fn run_pipeline(
    object: &Value,
    streams: &[Value],
    internal_registry: Option<&str>,
    include_manual: bool,
) -> Run {
    let dir = tempfile::Builder::new()
        .prefix("streampin-conformance-")
        .tempdir()
        .expect("temp dir");
    let object_path = dir.path().join("object.json");
    let is_path = dir.path().join("is.json");
    let object_text = serde_json::to_string_pretty(object).expect("serialise object");
    let list = json!({"apiVersion": "v1", "kind": "List", "items": streams});
    std::fs::write(&object_path, &object_text).expect("write object.json");
    std::fs::write(&is_path, serde_json::to_string_pretty(&list).expect("list"))
        .expect("write is.json");
    let settings = PlanSettings {
        discover: DiscoverOptions {
            paths: vec![dir.path().to_path_buf()],
            snapshots: vec![],
            exclude: vec![],
        },
        namespace: None,
        eval: EvalSettings {
            internal_registry: internal_registry.map(str::to_string),
            include_manual,
            no_local_lookup: false,
            ..Default::default()
        },
        read: Default::default(),
    };
    let plan = match plan::build(&settings) {
        Ok(p) => p,
        Err(e) => {
            return Run {
                plan: Plan::default(),
                result: Err(format!("plan::build failed: {e:#}")),
                object_changed: false,
                problems: vec![format!("plan::build failed: {e:#}")],
            };
        }
    };
    let mut problems = Vec::new();
    if plan.summary.files_scanned != 2 {
        problems.push(format!(
            "the plan read {} files, want 2 (object.json, is.json)",
            plan.summary.files_scanned
        ));
    }
    for f in &plan.files {
        if f.path != object_path {
            problems.push(format!("the plan rewrites `{}`", f.path.display()));
        }
    }
    let file = plan.files.iter().find(|f| f.path == object_path);
    if let Some(f) = file
        && f.old != object_text
    {
        problems.push("the plan's old text is not the text written".into());
    }
    let text = file.map(|f| f.new.as_str()).unwrap_or(&object_text);
    let result = serde_json::from_str::<Value>(text)
        .map_err(|e| format!("the rewritten object.json is not JSON any more: {e}\n{text}"));
    Run {
        object_changed: file.is_some(),
        plan,
        result,
        problems,
    }
}

// ---------------------------------------------------------------------------
// Reading objects
// ---------------------------------------------------------------------------

fn kind_info(object: &Value) -> Option<&'static kind::KindInfo> {
    kind::lookup(
        object["apiVersion"].as_str().unwrap_or_default(),
        object["kind"].as_str().unwrap_or_default(),
    )
}

fn pointer(path: &[&str]) -> String {
    path.iter().map(|p| format!("/{p}")).collect()
}

/// `(field, old, new)` of one image change.
type FieldChange = (String, String, String);

/// `expected.changes` of a controller case, sorted like [`Run::changes`].
fn recorded_changes(expected: &Value) -> Vec<FieldChange> {
    let mut c: Vec<FieldChange> = expected["changes"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| {
                    (
                        str_of(&c["path"], "path").to_string(),
                        str_of(&c["old"], "old").to_string(),
                        str_of(&c["new"], "new").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    c.sort();
    c
}

/// `(list, [(name, image)])` of both container lists at the pod spec.
type Images = BTreeMap<&'static str, Vec<(String, String)>>;

fn images(object: &Value, pod_spec: &[&str]) -> Images {
    let spec = object.pointer(&pointer(pod_spec));
    let mut out = BTreeMap::new();
    for list in ["initContainers", "containers"] {
        let items = spec
            .and_then(|s| s[list].as_array())
            .map(|a| {
                a.iter()
                    .map(|c| {
                        (
                            c["name"].as_str().unwrap_or_default().to_string(),
                            c["image"].as_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.insert(list, items);
    }
    out
}

fn annotation(object: &Value) -> Option<&Value> {
    object
        .pointer("/metadata/annotations")
        .and_then(|a| a.get("image.openshift.io/triggers"))
}

/// The diagnostic code streampin uses for a Go error text (matched loosely, by class).
fn error_class(text: &str) -> Option<Code> {
    if text.contains("no such container") {
        Some(Code::ContainerNotFound)
    } else if text.contains("field path is not valid") {
        Some(Code::FieldpathInvalid)
    } else if text.contains("duplicate") {
        Some(Code::AnnotationDuplicateFieldpath)
    } else if text.contains("no list of images") {
        Some(Code::ObjectInvalid)
    } else if text.contains("JSON")
        || text.contains("json:")
        || text.contains("invalid character")
        || text.contains("cannot unmarshal")
    {
        Some(Code::AnnotationInvalid)
    } else {
        None
    }
}

/// Check that `run` reports `error_text` as an error of the right class and
/// leaves the object alone.
fn check_error(f: &mut Failures, id: &str, run: &Run, error_text: &str) {
    let Some(code) = error_class(error_text) else {
        f.add(
            id,
            format!("the test cannot classify the error `{error_text}`"),
        );
        return;
    };
    let matching: Vec<_> = run
        .plan
        .diagnostics
        .iter()
        .filter(|d| d.code == code && d.severity == Severity::Error)
        .collect();
    f.check(id, !matching.is_empty(), || {
        format!(
            "want an error `{}` for `{error_text}`; diagnostics: {:?}",
            code.as_str(),
            run.plan
                .diagnostics
                .iter()
                .map(|d| format!("{} {}", d.code.as_str(), d.message))
                .collect::<Vec<_>>()
        )
    });
    // streampin writes OpenShift's own text for the non-JSON classes.
    if code != Code::AnnotationInvalid && !matching.is_empty() {
        f.check(
            id,
            matching.iter().any(|d| d.message.contains(error_text)),
            || format!("no `{}` message contains `{error_text}`", code.as_str()),
        );
    }
    f.check(id, !run.object_changed, || {
        "an object with an error must not be rewritten".into()
    });
    f.check(id, run.plan.changes.is_empty(), || {
        format!(
            "an object with an error must have no changes: {:?}",
            run.changes()
        )
    });
}

/// The diagnostics that mark a deviation: present exactly when the table says so.
fn check_deviation_diagnostics(f: &mut Failures, id: &str, run: &Run, rule: Option<Deviation>) {
    for (code, r) in [
        (Code::ClusterIgnoresKind, Deviation::Rule2Kind),
        (Code::ClusterRejectsSelector, Deviation::Rule2Selector),
        (Code::SnapshotCompleted, Deviation::Rule3),
    ] {
        let want = rule == Some(r);
        f.check(id, run.has(code) == want, || {
            if want {
                format!("{r:?} deviation: want a `{}` diagnostic", code.as_str())
            } else {
                format!(
                    "unexpected `{}` diagnostic (not in DEVIATIONS as {r:?})",
                    code.as_str()
                )
            }
        });
    }
    if let Some(d) = run
        .plan
        .diagnostics
        .iter()
        .find(|d| [Code::ClusterIgnoresKind, Code::ClusterRejectsSelector].contains(&d.code))
    {
        f.eq(
            id,
            "severity of the rule-2 diagnostic",
            d.severity,
            Severity::Warning,
        );
    }
    if let Some(d) = run
        .plan
        .diagnostics
        .iter()
        .find(|d| d.code == Code::SnapshotCompleted)
    {
        f.eq(
            id,
            "severity of `snapshot-completed`",
            d.severity,
            Severity::Info,
        );
    }
}

// ---------------------------------------------------------------------------
// An independent oracle for the deviation cases only
// ---------------------------------------------------------------------------

/// Resolve `stream:tag` in `namespace` from raw stream JSON as the tag retriever
/// does, with semantics.md rule 3 (no resourceVersion check; an alias tag without
/// a status entry follows its target, keeping its own reference policy). Written
/// independently of `streampin::imagestream` (only `ImageRef`, itself checked by
/// image-reference.json, is shared).
fn oracle_resolve(
    streams: &[Value],
    namespace: &str,
    istag: &str,
    internal_registry: Option<&str>,
) -> Option<String> {
    let (name, tag) = istag.split_once(':')?;
    let tag = if tag.is_empty() { "latest" } else { tag };
    let stream = streams.iter().find(|s| {
        s["metadata"]["name"] == name
            && s["metadata"]["namespace"].as_str().unwrap_or("") == namespace
    })?;
    let spec_tag = |t: &str| {
        stream["spec"]["tags"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["name"] == t))
    };
    let event_for = |t: &str| {
        stream["status"]["tags"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["tag"] == t))
            .and_then(|x| x["items"].as_array())
            .and_then(|items| items.first())
    };
    let mut event_tag = tag.to_string();
    let mut event = event_for(&event_tag);
    for _ in 0..16 {
        if event.is_some() {
            break;
        }
        let from = &spec_tag(&event_tag)?["from"];
        if from["kind"] != "ImageStreamTag" {
            return None;
        }
        let target = from["name"].as_str()?;
        event_tag = match target.split_once(':') {
            None => target.to_string(),
            Some((s, t)) if s == name => t.to_string(),
            Some(_) => return None,
        };
        event = event_for(&event_tag);
    }
    let event = event?;
    let source = event["dockerImageReference"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let policy = spec_tag(tag)
        .and_then(|t| t["referencePolicy"]["type"].as_str())
        .unwrap_or("");
    let image = event["image"].as_str().unwrap_or("");
    if policy != "Local" || image.is_empty() {
        return Some(source);
    }
    let mut repo = stream["status"]["dockerImageRepository"]
        .as_str()
        .unwrap_or("")
        .to_string();
    if repo.is_empty()
        && let Some(host) = internal_registry
    {
        repo = format!("{host}/{namespace}/{istag}");
    }
    match ImageRef::parse(&repo) {
        Ok(mut r) if !repo.is_empty() => {
            r.tag.clear();
            r.id = image.to_string();
            Some(r.exact())
        }
        _ => Some(source),
    }
}

/// The container name of a name selector in either quoting, for the oracle.
fn selector_name(selector: &str) -> Option<&str> {
    for (prefix, suffix) in [
        ("?(@.name==\"", "\")"),
        ("?(@.name=='", "')"),
        ("?(@.name='", "')"),
    ] {
        if let Some(n) = selector
            .strip_prefix(prefix)
            .and_then(|s| s.strip_suffix(suffix))
        {
            return Some(n);
        }
    }
    None
}

/// Apply the annotation's triggers to `object` as semantics.md says streampin
/// does for the deviation cases: name selectors (both quotings), rule-3
/// resolution. Returns the expected object and its `(field, old, new)` changes.
fn oracle_apply(
    object: &Value,
    streams: &[Value],
    internal_registry: Option<&str>,
) -> Result<(Value, Vec<FieldChange>), String> {
    let info = kind_info(object).ok_or("oracle: unknown kind")?;
    let base = kind::base_path(info);
    let triggers: Vec<Value> = serde_json::from_str(
        annotation(object)
            .and_then(Value::as_str)
            .ok_or("oracle: no annotation")?,
    )
    .map_err(|e| format!("oracle: annotation: {e}"))?;
    let object_ns = object["metadata"]["namespace"].as_str().unwrap_or("");
    let mut out = object.clone();
    let mut changes: BTreeMap<String, (String, String)> = BTreeMap::new();
    for t in &triggers {
        if t["paused"] == true {
            continue;
        }
        let Some(rest) = t["fieldPath"].as_str().and_then(|p| p.strip_prefix(&base)) else {
            continue;
        };
        let ns = t["from"]["namespace"]
            .as_str()
            .filter(|s| !s.is_empty())
            .unwrap_or(object_ns);
        let Some(reference) = oracle_resolve(
            streams,
            ns,
            str_of(&t["from"]["name"], "from.name"),
            internal_registry,
        ) else {
            continue;
        };
        let selector = rest
            .strip_prefix("containers[")
            .or_else(|| rest.strip_prefix("initContainers["))
            .and_then(|s| s.strip_suffix("].image"))
            .ok_or_else(|| format!("oracle: cannot read fieldPath `{rest}`"))?;
        let name = selector_name(selector)
            .ok_or_else(|| format!("oracle: handles name selectors only, not `{selector}`"))?;
        let spec = out
            .pointer_mut(&pointer(info.pod_spec))
            .ok_or("oracle: no pod spec")?;
        let mut found = None;
        for list in ["initContainers", "containers"] {
            if found.is_some() {
                break;
            }
            if let Some(items) = spec[list].as_array() {
                found = items
                    .iter()
                    .position(|c| c["name"] == name)
                    .map(|i| (list, i));
            }
        }
        let (list, i) = found.ok_or_else(|| format!("oracle: no container `{name}`"))?;
        let container = &mut spec[list][i];
        let field = format!("{}.{list}[{i}].image", info.pod_spec.join("."));
        let old = changes
            .get(&field)
            .map(|(o, _)| o.clone())
            .unwrap_or_else(|| container["image"].as_str().unwrap_or("").to_string());
        container["image"] = Value::String(reference.clone());
        changes.insert(field, (old, reference));
    }
    let changes = changes
        .into_iter()
        .filter(|(_, (old, new))| old != new)
        .map(|(field, (old, new))| (field, old, new))
        .collect();
    Ok((out, changes))
}

/// Resolve each `(namespace, stream:tag)` through `Index::resolve` and compare
/// with the recorded reference (`None` = not found). With `rule3`, a recorded
/// "not found" is the OpenShift side of a rule-3 deviation: streampin must resolve
/// to what the oracle computes, with a completion.
fn check_resolutions(
    f: &mut Failures,
    id: &str,
    streams: &[Value],
    registry: Option<&str>,
    recorded: &[(String, String, Option<String>)],
    rule3: bool,
) {
    let (index, problems) = index_of(streams);
    for p in problems {
        f.add(id, p);
    }
    for (ns, name, want) in recorded {
        let got = index.resolve(ns, name, registry);
        let completed = got.as_ref().is_ok_and(|r| !r.completions.is_empty());
        let got = got.ok().map(|r| r.reference.clone());
        let what = format!("resolution of {ns}/{name}");
        if rule3 && want.is_none() {
            let oracle = oracle_resolve(streams, ns, name, registry);
            f.check(id, oracle.is_some(), || {
                format!("{what}: the rule-3 oracle resolves nothing")
            });
            f.eq(id, &format!("{what} (rule 3)"), got, oracle);
            f.check(id, completed, || {
                format!("{what}: rule 3 needs a completion")
            });
        } else {
            f.eq(id, &what, got, want.clone());
            f.check(id, !completed, || {
                format!("{what}: unexpected rule-3 completion")
            });
        }
    }
}

// ---------------------------------------------------------------------------
// a. controller/*.json
// ---------------------------------------------------------------------------

#[test]
fn conformance_controller_cases() {
    let dir = conformance_dir().join("controller");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/conformance/controller")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let readme_ids = readme_controller_ids();
    let mut f = Failures::default();
    let mut seen = 0;
    let mut ids = BTreeSet::new();
    for path in &files {
        let case = read_json(path);
        let id = str_of(&case["id"], "id").to_string();
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        f.eq(&id, "file name", stem, id.as_str());
        ids.insert(id.clone());
        run_controller_case(&mut f, &id, &case);
        seen += 1;
    }
    f.eq(
        "(README)",
        "controller/README.md case index",
        &ids,
        &readme_ids,
    );
    check_deviation_ids("controller", &ids, &mut f);
    f.finish("controller", seen, files.len());
}

fn run_controller_case(f: &mut Failures, id: &str, case: &Value) {
    let input = &case["input"];
    let expected = &case["expected"];
    let object = &input["object"];
    let kind_name = object["kind"].as_str().unwrap_or_default();
    let Some((run, streams, registry)) = run_input(f, id, input, false) else {
        return;
    };
    let result = run.result.as_ref().expect("checked by run_input");

    // The controller's tag retriever results, for every case (for DC/BC cases,
    // one per container name or per trigger, as the indexer lists them).
    let resolutions: Vec<(String, String, Option<String>)> = expected["resolutions"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    let reference = (r["ok"] == true).then(|| str_of(&r["ref"], "ref").to_string());
                    (
                        str_of(&r["namespace"], "namespace").to_string(),
                        str_of(&r["name"], "name").to_string(),
                        reference,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    check_resolutions(
        f,
        id,
        &streams,
        registry,
        &resolutions,
        deviation("controller", id) == Some(Deviation::Rule3),
    );

    let rule = deviation("controller", id);
    match kind_name {
        "DeploymentConfig" | "BuildConfig" => {
            // Their own trigger sources (spec.triggers), watched by the controller.
            f.eq(id, "watched", &expected["watched"], &Value::Bool(true));
            check_deviation_diagnostics(f, id, &run, rule);
            if let Some(r) = rule {
                f.add(id, format!("no meaning for {r:?} on a {kind_name} case"));
                return;
            }
            if kind_name == "DeploymentConfig" {
                run_dc_controller_case(f, id, object, expected, &run, result);
            } else {
                run_bc_controller_case(f, id, object, expected, &run, result);
            }
            return;
        }
        _ => {}
    }
    f.check(id, run.plan.builds.is_empty(), || {
        format!("builds for a {kind_name}: {:?}", run.plan.builds)
    });
    let Some(info) = kind_info(object) else {
        f.add(id, format!("streampin does not know the kind {kind_name}"));
        return;
    };
    // Rule 2 (kinds) is exactly the unwatched kinds carrying the annotation.
    let unwatched = expected["watched"] == false && annotation(object).is_some();
    f.check(
        id,
        unwatched == (rule == Some(Deviation::Rule2Kind)),
        || {
            format!(
                "watched={} but DEVIATIONS says {rule:?}",
                expected["watched"]
            )
        },
    );
    check_deviation_diagnostics(f, id, &run, rule);

    let error = expected["error"].as_str();
    if let Some(error) = error {
        f.check(id, expected["updated"].is_null(), || {
            "an error case with an update?".into()
        });
        check_error(f, id, &run, error);
        f.eq(id, "object after an error", result, object);
        return;
    }
    f.check(id, run.errors().is_empty(), || {
        format!("no error expected, got {:?}", run.errors())
    });

    // What streampin should have written.
    let (want_object, want_changes) = match rule {
        Some(Deviation::Rule3) | Some(Deviation::Rule2Selector) => {
            f.check(id, expected["updated"].is_null(), || {
                "a rule-2/3 deviation case where OpenShift updates: check the DEVIATIONS entry"
                    .into()
            });
            match oracle_apply(object, &streams, registry) {
                Ok((o, c)) => {
                    f.check(id, !c.is_empty(), || {
                        "the deviation oracle changes nothing: the DEVIATIONS entry is stale".into()
                    });
                    (o, c)
                }
                Err(e) => {
                    f.add(id, e);
                    return;
                }
            }
        }
        Some(Deviation::Rule2Kind) | None => {
            let o = if expected["updated"].is_null() {
                object.clone()
            } else {
                expected["updated"].clone()
            };
            (o, recorded_changes(expected))
        }
    };

    let got_images = images(result, info.pod_spec);
    let want_images = images(&want_object, info.pod_spec);
    f.eq(id, "container images", &got_images, &want_images);
    if got_images == want_images {
        // Nothing but the images may differ either.
        f.eq(id, "whole object", result, &want_object);
    }
    f.eq(
        id,
        "changes (field, old, new)",
        run.changes(),
        want_changes.clone(),
    );
    f.eq(
        id,
        "object.json rewritten",
        run.object_changed,
        !want_changes.is_empty(),
    );
}

/// A DeploymentConfig case: `UpdateDeploymentConfigImages` and the
/// `DeploymentConfigReactor`, recorded as `updated`, `changes` and `resolvable`
/// (openshift-reference.md 6.1).
fn run_dc_controller_case(
    f: &mut Failures,
    id: &str,
    object: &Value,
    expected: &Value,
    run: &Run,
    result: &Value,
) {
    f.check(id, expected["error"].is_null(), || {
        format!(
            "the data has a DeploymentConfig reactor error `{}`",
            expected["error"]
        )
    });
    f.check(id, run.plan.builds.is_empty(), || {
        format!("builds for a DeploymentConfig: {:?}", run.plan.builds)
    });
    if let Some(panic) = expected["panics"].as_str() {
        // semantics.md: "A DC without spec.template is an error diagnostic
        // (OpenShift crashes on it)".
        f.check(id, object.pointer("/spec/template").is_none(), || {
            format!("upstream panicked (`{panic}`) on a DeploymentConfig that has spec.template")
        });
        let invalid = run
            .plan
            .diagnostics
            .iter()
            .any(|d| d.code == Code::ObjectInvalid && d.severity == Severity::Error);
        f.check(id, invalid, || {
            format!("want an error `object-invalid`; errors: {:?}", run.errors())
        });
        f.check(
            id,
            !run.object_changed && run.plan.changes.is_empty(),
            || {
                format!(
                    "a DeploymentConfig without a template must not change: {:?}",
                    run.changes()
                )
            },
        );
        f.eq(id, "object after an error", result, object);
        return;
    }
    let want_changes = recorded_changes(expected);
    let want_object = if expected["updated"].is_null() {
        object
    } else {
        &expected["updated"]
    };
    match expected["resolvable"].as_bool() {
        Some(resolvable) => {
            f.check(
                id,
                resolvable || (expected["updated"].is_null() && want_changes.is_empty()),
                || "resolvable=false with an update?".into(),
            );
            check_dc_blocked(f, id, run, !resolvable);
        }
        None => f.add(id, "a DeploymentConfig case without `resolvable`".into()),
    }
    let got_state = dc_state(result);
    let want_state = dc_state(want_object);
    f.eq(
        id,
        "(container images, lastTriggeredImages)",
        &got_state,
        &want_state,
    );
    if got_state == want_state {
        // Nothing else may differ either.
        f.eq(id, "whole object", result, want_object);
    }
    f.eq(
        id,
        "changes (field, old, new)",
        run.changes(),
        want_changes.clone(),
    );
    f.eq(
        id,
        "object.json rewritten",
        run.object_changed,
        !want_changes.is_empty(),
    );
}

/// A BuildConfig case: the `BuildRequest` `buildConfigReactor` sends, or none
/// (openshift-reference.md 6.2).
fn run_bc_controller_case(
    f: &mut Failures,
    id: &str,
    object: &Value,
    expected: &Value,
    run: &Run,
    result: &Value,
) {
    f.check(
        id,
        expected["error"].is_null() && expected["updated"].is_null(),
        || "the data has a BuildConfig error or update".into(),
    );
    f.eq(id, "recorded changes", recorded_changes(expected), vec![]);
    let request = &expected["buildRequest"];
    let want = if request.is_null() {
        None
    } else {
        let meta = &request["metadata"];
        let bc_ns = meta["namespace"].as_str().unwrap_or_default();
        let causes = request["triggeredBy"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|c| {
                        let cause = &c["imageChangeBuild"];
                        (
                            build_source(&cause["fromRef"], bc_ns),
                            str_of(&cause["imageID"], "imageID").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(WantBuild {
            object: (
                bc_ns.to_string(),
                str_of(&meta["name"], "metadata.name").to_string(),
            ),
            from: build_source(&request["from"], bc_ns),
            reference: str_of(
                &request["triggeredByImage"]["name"],
                "triggeredByImage.name",
            )
            .to_string(),
            causes,
        })
    };
    check_build(f, id, object, run, result, want);
}

/// A DeploymentConfig's pod spec.
const DC_POD_SPEC: &[&str] = &["spec", "template", "spec"];

/// `spec.triggers[].imageChangeParams.lastTriggeredImage` of every
/// `type: ImageChange` trigger, in order (`""` = unset).
fn last_triggered_images(dc: &Value) -> Vec<String> {
    dc.pointer("/spec/triggers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter(|t| t["type"] == "ImageChange")
                .map(|t| {
                    t["imageChangeParams"]["lastTriggeredImage"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What DeploymentConfig triggers write: the container images and the
/// `lastTriggeredImage`s.
fn dc_state(dc: &Value) -> (Images, Vec<String>) {
    (images(dc, DC_POD_SPEC), last_triggered_images(dc))
}

/// `dc` with the `lastTriggeredImage` of its ImageChange triggers set, in order
/// (`""` = unset: an existing value is removed).
fn with_last_triggered(dc: &Value, lasts: &[String]) -> Result<Value, String> {
    let mut out = dc.clone();
    let triggers: Vec<&mut Value> = out
        .pointer_mut("/spec/triggers")
        .and_then(Value::as_array_mut)
        .map(|a| {
            a.iter_mut()
                .filter(|t| t["type"] == "ImageChange")
                .collect()
        })
        .unwrap_or_default();
    if triggers.len() != lasts.len() {
        return Err(format!(
            "{} ImageChange triggers, {} lastTriggeredImages",
            triggers.len(),
            lasts.len()
        ));
    }
    for (t, last) in triggers.into_iter().zip(lasts) {
        let params = t
            .get_mut("imageChangeParams")
            .and_then(Value::as_object_mut)
            .ok_or("an ImageChange trigger without imageChangeParams")?;
        let old = params
            .get("lastTriggeredImage")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !last.is_empty() {
            params.insert("lastTriggeredImage".into(), Value::String(last.clone()));
        } else if !old.is_empty() {
            params.remove("lastTriggeredImage");
        }
    }
    Ok(out)
}

/// The `(field, old, new)` changes that turn DeploymentConfig `before` into
/// `after` (images and `lastTriggeredImage`s; `""` = missing), sorted.
fn dc_field_changes(before: &Value, after: &Value) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let (b, a) = (images(before, DC_POD_SPEC), images(after, DC_POD_SPEC));
    for (list, items) in &b {
        for (i, (_, old)) in items.iter().enumerate() {
            let new = a
                .get(list)
                .and_then(|l| l.get(i))
                .map(|(_, img)| img.as_str())
                .unwrap_or_default();
            if old != new {
                out.push((
                    format!("{}.{list}[{i}].image", DC_POD_SPEC.join(".")),
                    old.clone(),
                    new.to_string(),
                ));
            }
        }
    }
    let triggers = |v: &Value| -> Vec<String> {
        v.pointer("/spec/triggers")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|t| {
                        t["imageChangeParams"]["lastTriggeredImage"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string()
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    for (i, (old, new)) in triggers(before)
        .into_iter()
        .zip(triggers(after))
        .enumerate()
    {
        if old != new {
            out.push((
                format!("spec.triggers[{i}].imageChangeParams.lastTriggeredImage"),
                old,
                new,
            ));
        }
    }
    out.sort();
    out
}

/// Whether the controller's blocking rule applies (openshift-reference.md 6.1
/// step 2): an automatic ImageStreamTag trigger (API defaults applied) whose tag
/// does not resolve and that has no `lastTriggeredImage`. Resolution by
/// [`oracle_resolve`], independent of streampin.
fn dc_blocked_oracle(dc: &Value, streams: &[Value], registry: Option<&str>) -> bool {
    let dc_ns = dc["metadata"]["namespace"].as_str().unwrap_or_default();
    dc.pointer("/spec/triggers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|t| {
            let p = &t["imageChangeParams"];
            let kind = p["from"]["kind"].as_str().unwrap_or_default();
            let ns = p["from"]["namespace"]
                .as_str()
                .filter(|n| !n.is_empty())
                .unwrap_or(dc_ns);
            p.is_object()
                && matches!(kind, "" | "ImageStreamTag")
                && p["automatic"] == true
                && p["lastTriggeredImage"]
                    .as_str()
                    .unwrap_or_default()
                    .is_empty()
                && oracle_resolve(
                    streams,
                    ns,
                    p["from"]["name"].as_str().unwrap_or_default(),
                    registry,
                )
                .is_none()
        })
}

/// `dc-blocked` (an error) exactly when `blocked`, and then nothing written;
/// otherwise no error at all.
fn check_dc_blocked(f: &mut Failures, id: &str, run: &Run, blocked: bool) {
    let errors: Vec<Code> = run
        .plan
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.code)
        .collect();
    if blocked {
        f.check(id, errors.contains(&Code::DcBlocked), || {
            format!("want an error `dc-blocked`; errors: {:?}", run.errors())
        });
        f.check(id, errors.iter().all(|c| *c == Code::DcBlocked), || {
            format!("errors besides `dc-blocked`: {:?}", run.errors())
        });
        f.check(
            id,
            !run.object_changed && run.plan.changes.is_empty(),
            || {
                format!(
                    "a blocked DeploymentConfig must not be rewritten: {:?}",
                    run.changes()
                )
            },
        );
    } else {
        f.check(id, errors.is_empty(), || {
            format!("no error expected, got {:?}", run.errors())
        });
    }
    f.check(
        id,
        run.plan
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::DcBlocked)
            .all(|d| d.severity == Severity::Error),
        || "`dc-blocked` must be an error".into(),
    );
}

/// A build streampin should report: the BuildConfig `(namespace, name)`,
/// `from`, the triggering pull spec, and `(from, imageID)` per cause.
#[derive(Debug, PartialEq, Eq)]
struct WantBuild {
    object: (String, String),
    from: String,
    reference: String,
    causes: Vec<(String, String)>,
}

/// How a `Build` names an ImageStreamTag reference: `is:tag`, or `ns/is:tag`
/// when its namespace (empty = the BuildConfig's) differs from the BuildConfig's.
fn build_source(reference: &Value, bc_namespace: &str) -> String {
    let name = reference["name"].as_str().unwrap_or_default();
    match reference["namespace"].as_str().filter(|n| !n.is_empty()) {
        Some(ns) if ns != bc_namespace => format!("{ns}/{name}"),
        _ => name.to_string(),
    }
}

/// BuildConfigs: nothing is written and nothing is an error; the plan holds
/// exactly the wanted build (or none), with one `build-triggered` info per build.
fn check_build(
    f: &mut Failures,
    id: &str,
    object: &Value,
    run: &Run,
    result: &Value,
    want: Option<WantBuild>,
) {
    f.check(
        id,
        !run.object_changed && run.plan.changes.is_empty(),
        || format!("a BuildConfig must never be rewritten: {:?}", run.changes()),
    );
    f.eq(id, "object", result, object);
    f.check(id, run.errors().is_empty(), || {
        format!("no error expected, got {:?}", run.errors())
    });
    let got: Vec<WantBuild> = run
        .plan
        .builds
        .iter()
        .map(|b| WantBuild {
            object: (b.object.namespace.clone(), b.object.name.clone()),
            from: b.from.clone(),
            reference: b.reference.clone(),
            causes: b
                .causes
                .iter()
                .map(|c| (c.from.clone(), c.image_id.clone()))
                .collect(),
        })
        .collect();
    f.check(
        id,
        run.plan
            .builds
            .iter()
            .all(|b| b.object.kind == "BuildConfig"),
        || format!("a build for something else: {:?}", run.plan.builds),
    );
    let want_count = usize::from(want.is_some());
    f.eq(id, "builds", got, want.into_iter().collect());
    let triggered: Vec<_> = run
        .plan
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::BuildTriggered)
        .collect();
    f.eq(
        id,
        "`build-triggered` diagnostics",
        triggered.len(),
        want_count,
    );
    f.check(
        id,
        triggered.iter().all(|d| d.severity == Severity::Info),
        || "`build-triggered` must be info".into(),
    );
}

// ---------------------------------------------------------------------------
// b. vectors/annotation-trigger.json
// ---------------------------------------------------------------------------

/// `{name: image}` per list, for `expected.containerImages`.
fn image_maps(
    f: &mut Failures,
    id: &str,
    images: &Images,
) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (list, items) in images {
        let mut m = BTreeMap::new();
        for (name, image) in items {
            if m.insert(name.clone(), image.clone()).is_some() {
                f.add(id, format!("duplicate container name `{name}` in {list}"));
            }
        }
        out.insert(list.to_string(), m);
    }
    out
}

fn expected_image_maps(v: &Value) -> BTreeMap<String, BTreeMap<String, String>> {
    ["containers", "initContainers"]
        .into_iter()
        .map(|list| {
            let m = v[list]
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| (k.clone(), str_of(v, "image").to_string()))
                        .collect()
                })
                .unwrap_or_default();
            (list.to_string(), m)
        })
        .collect()
}

/// `object` with its containers' images set by name from `images`.
fn with_images(
    object: &Value,
    pod_spec: &[&str],
    images: &BTreeMap<String, BTreeMap<String, String>>,
) -> Value {
    let mut out = object.clone();
    if let Some(spec) = out.pointer_mut(&pointer(pod_spec)) {
        for (list, by_name) in images {
            if let Some(items) = spec.get_mut(list.as_str()).and_then(Value::as_array_mut) {
                for c in items {
                    if let Some(image) = c["name"].as_str().and_then(|n| by_name.get(n)) {
                        c["image"] = Value::String(image.clone());
                    }
                }
            }
        }
    }
    out
}

#[test]
fn conformance_annotation_trigger_vectors() {
    let (_, vectors) = load_vectors("annotation-trigger.json");
    let mut f = Failures::default();
    let mut seen = 0;
    let mut ids = BTreeSet::new();
    for v in &vectors {
        let id = str_of(&v["id"], "id");
        ids.insert(id.to_string());
        run_annotation_vector(&mut f, id, v);
        seen += 1;
    }
    check_deviation_ids("annotation-trigger", &ids, &mut f);
    f.finish("annotation-trigger.json", seen, vectors.len());
}

fn run_annotation_vector(f: &mut Failures, id: &str, v: &Value) {
    let input = &v["input"];
    let expected = &v["expected"];
    let object = &input["object"];
    let Some((run, streams, registry)) = run_input(f, id, input, false) else {
        return;
    };
    let result = run.result.as_ref().expect("checked by run_input");
    let Some(info) = kind_info(object) else {
        f.add(id, "streampin does not know the kind".into());
        return;
    };
    let rule = deviation("annotation-trigger", id);
    // origin=test vectors: what the Go test's fake tag retriever returned; the
    // synthesised streams must resolve the same way.
    let responses: Vec<(String, String, Option<String>)> = input["tagResponses"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    (
                        str_of(&r["namespace"], "namespace").to_string(),
                        str_of(&r["name"], "name").to_string(),
                        Some(str_of(&r["ref"], "ref").to_string()),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    check_resolutions(f, id, &streams, registry, &responses, false);
    let kind_name = object["kind"].as_str().unwrap_or_default();
    let unwatched = !WATCHED_KINDS.contains(&kind_name) && annotation(object).is_some();
    f.check(
        id,
        unwatched == (rule == Some(Deviation::Rule2Kind)),
        || {
            format!(
                "{kind_name} is {}watched but DEVIATIONS says {rule:?}",
                if unwatched { "not " } else { "" }
            )
        },
    );
    check_deviation_diagnostics(f, id, &run, rule);

    let outcome = str_of(&expected["outcome"], "outcome");
    let got = image_maps(f, id, &images(result, info.pod_spec));
    match (outcome, rule) {
        (_, Some(Deviation::Rule3 | Deviation::Rule2Selector)) => {
            // OpenShift: noop (rule 3) or `no such container` (rule 2); streampin
            // writes what the oracle computes from the stream data.
            match oracle_apply(object, &streams, registry) {
                Ok((want_object, want_changes)) => {
                    f.check(id, !want_changes.is_empty(), || {
                        "the deviation oracle changes nothing: the DEVIATIONS entry is stale".into()
                    });
                    let want = image_maps(f, id, &images(&want_object, info.pod_spec));
                    f.eq(id, "container images", &got, &want);
                    if got == want {
                        f.eq(id, "whole object", result, &want_object);
                    }
                    f.eq(id, "changes (field, old, new)", run.changes(), want_changes);
                    f.check(id, run.errors().is_empty(), || {
                        format!("no error expected, got {:?}", run.errors())
                    });
                    f.check(id, run.object_changed, || {
                        "object.json not rewritten".into()
                    });
                }
                Err(e) => f.add(id, e),
            }
        }
        ("error", _) => {
            check_error(
                f,
                id,
                &run,
                str_of(&expected["errorContains"], "errorContains"),
            );
            f.eq(id, "object after an error", result, object);
        }
        ("update" | "noop", _) => {
            let want = expected_image_maps(&expected["containerImages"]);
            f.eq(id, "container images", &got, &want);
            f.check(id, run.errors().is_empty(), || {
                format!("no error expected, got {:?}", run.errors())
            });
            f.eq(
                id,
                "object.json rewritten",
                run.object_changed,
                outcome == "update",
            );
            if got == want {
                // Nothing but the images may differ either.
                let want_object = with_images(object, info.pod_spec, &want);
                f.eq(id, "whole object", result, &want_object);
            }
        }
        (other, _) => f.add(id, format!("unknown outcome `{other}`")),
    }
}

// ---------------------------------------------------------------------------
// c. vectors/fieldpath.json
// ---------------------------------------------------------------------------

#[test]
fn conformance_fieldpath_vectors() {
    let (doc, vectors) = load_vectors("fieldpath.json");
    // basePaths: "Kind/Kind/...": "dotted.path" (without the trailing dot).
    let mut bases = BTreeMap::new();
    for (kinds, base) in doc["basePaths"].as_object().expect("basePaths") {
        for k in kinds.split('/') {
            bases.insert(k.to_string(), format!("{}.", str_of(base, "base path")));
        }
    }
    let mut f = Failures::default();
    let mut seen = 0;
    let mut ids = BTreeSet::new();
    for v in &vectors {
        let id = str_of(&v["id"], "id");
        ids.insert(id.to_string());
        run_fieldpath_vector(&mut f, id, v, &bases);
        seen += 1;
    }
    check_deviation_ids("fieldpath", &ids, &mut f);
    f.finish("fieldpath.json", seen, vectors.len());
}

fn run_fieldpath_vector(f: &mut Failures, id: &str, v: &Value, bases: &BTreeMap<String, String>) {
    let input = &v["input"];
    let expected = &v["expected"];
    let kind_name = str_of(&input["kind"], "kind");
    let Some(info) = kind::KINDS
        .iter()
        .find(|k| k.kind == kind_name)
        .and_then(|k| kind::lookup(k.api_versions[0], k.kind))
    else {
        f.add(id, format!("streampin does not know the kind {kind_name}"));
        return;
    };
    let base = kind::base_path(info);
    match bases.get(kind_name) {
        Some(b) => f.eq(id, "base path", &base, b),
        None => f.add(id, format!("basePaths has no entry for {kind_name}")),
    }
    let names = |list: &str| -> Vec<String> {
        input[list]
            .as_array()
            .map(|a| a.iter().map(|n| str_of(n, "name").to_string()).collect())
            .unwrap_or_default()
    };
    let init = names("initContainers");
    let regular = names("containers");
    let field_path = str_of(&input["fieldPath"], "fieldPath");
    let rule = deviation("fieldpath", id);

    // (outcome, list, index, error class, single-quoted)
    let got: (String, Option<&str>, Option<usize>, Option<Code>, bool) =
        match fieldpath::parse(field_path, &base) {
            FieldPath::Skipped => ("skipped".into(), None, None, None, false),
            FieldPath::Invalid => (
                "error".into(),
                None,
                None,
                Some(Code::FieldpathInvalid),
                false,
            ),
            FieldPath::Target(t) => {
                let (found, quoted) = match &t.selector {
                    Selector::Index(n) => {
                        let list = if t.list == ContainerList::Init {
                            &init
                        } else {
                            &regular
                        };
                        let found = usize::try_from(*n)
                            .ok()
                            .filter(|i| *i < list.len())
                            .map(|i| (t.list, i));
                        (found, false)
                    }
                    Selector::Name {
                        name,
                        single_quoted,
                    } => {
                        let found = init
                            .iter()
                            .position(|n| n == name)
                            .map(|i| (ContainerList::Init, i))
                            .or_else(|| {
                                regular
                                    .iter()
                                    .position(|n| n == name)
                                    .map(|i| (ContainerList::Regular, i))
                            });
                        (found, *single_quoted)
                    }
                    Selector::Unmatched => (None, false),
                };
                match found {
                    Some((list, i)) => ("target".into(), Some(list.key()), Some(i), None, quoted),
                    None => (
                        "error".into(),
                        None,
                        None,
                        Some(Code::ContainerNotFound),
                        quoted,
                    ),
                }
            }
        };

    let want = match rule {
        Some(Deviation::Rule2Selector) => {
            // OpenShift: `no such container`. streampin: the quoted name, looked
            // up like any name selector (init containers first).
            let name = field_path
                .strip_prefix(&base)
                .and_then(|r| r.split_once('['))
                .and_then(|(_, r)| r.strip_suffix("].image"))
                .and_then(selector_name);
            let found = name.and_then(|name| {
                init.iter()
                    .position(|n| n == name)
                    .map(|i| ("initContainers", i))
                    .or_else(|| {
                        regular
                            .iter()
                            .position(|n| n == name)
                            .map(|i| ("containers", i))
                    })
            });
            match found {
                Some((list, i)) => ("target".to_string(), Some(list), Some(i), None, true),
                None => {
                    f.add(
                        id,
                        "the rule-2 selector deviation finds no container".into(),
                    );
                    return;
                }
            }
        }
        Some(other) => {
            f.add(id, format!("no meaning for {other:?} here"));
            return;
        }
        None => {
            let outcome = str_of(&expected["outcome"], "outcome").to_string();
            let class = match expected["errorContains"].as_str() {
                Some(e) => match error_class(e) {
                    Some(c) => Some(c),
                    None => {
                        f.add(id, format!("cannot classify `{e}`"));
                        return;
                    }
                },
                None => None,
            };
            (
                outcome,
                expected["list"].as_str(),
                expected["index"].as_u64().map(|i| i as usize),
                class,
                false,
            )
        }
    };
    f.eq(
        id,
        "(outcome, list, index, error class, single-quoted)",
        got,
        want,
    );
}

// ---------------------------------------------------------------------------
// d. vectors/tag-resolution.json
// ---------------------------------------------------------------------------

/// Read one ImageStream from its JSON through streampin's own manifest reader.
fn stream_from_json(v: &Value) -> ImageStream {
    let text = serde_json::to_string(v).expect("serialise stream");
    let docs = manifest::yaml::parse(&text).expect("stream JSON parses as YAML");
    let objects = manifest::objects(&docs, &Inherited::default());
    assert_eq!(objects.len(), 1, "one object per stream");
    ImageStream::from_manifest(&objects[0])
}

fn index_of(streams: &[Value]) -> (Index, Vec<String>) {
    let mut index = Index::default();
    let mut diags = Vec::new();
    for s in streams {
        index.add(stream_from_json(s), "is.json", (1, 1), &mut diags);
    }
    let problems = diags
        .iter()
        .map(|d| format!("index: {}", d.message))
        .collect();
    (index, problems)
}

#[test]
fn conformance_tag_resolution_vectors() {
    let (_, vectors) = load_vectors("tag-resolution.json");
    let mut f = Failures::default();
    let mut seen = 0;
    let mut ids = BTreeSet::new();
    for v in &vectors {
        let id = str_of(&v["id"], "id");
        ids.insert(id.to_string());
        run_tag_resolution_vector(&mut f, id, v);
        seen += 1;
    }
    check_deviation_ids("tag-resolution", &ids, &mut f);
    f.finish("tag-resolution.json", seen, vectors.len());
}

fn run_tag_resolution_vector(f: &mut Failures, id: &str, v: &Value) {
    let input = &v["input"];
    let expected = &v["expected"];
    let group = str_of(&v["group"], "group");
    let rule = deviation("tag-resolution", id);
    let want_found = || -> Option<String> {
        if expected["found"] == true {
            Some(str_of(&expected["ref"], "ref").to_string())
        } else {
            None
        }
    };
    // Index::resolve, as triggers call it; `completed` = rule-3 completions made.
    let via_index =
        |streams: &[Value], ns: &str, name: &str, registry: Option<&str>, f: &mut Failures| {
            let (index, problems) = index_of(streams);
            for p in problems {
                f.add(id, p);
            }
            match index.resolve(ns, name, registry) {
                Ok(r) => (Some(r.reference.clone()), !r.completions.is_empty()),
                Err(_) => (None, false),
            }
        };
    match group {
        "LatestTaggedImage" => {
            let s = stream_from_json(&input["imageStream"]);
            let tag = str_of(&input["tag"], "tag");
            let got = s
                .latest_tagged_image(tag)
                .map(|e| e.docker_image_reference.clone());
            f.eq(id, "LatestTaggedImage", got, want_found());
        }
        "ResolveLatestTaggedImage" => {
            let raw = &input["imageStream"];
            let s = stream_from_json(raw);
            let tag = str_of(&input["tag"], "tag");
            f.eq(
                id,
                "resolve_latest_tagged_image",
                s.resolve_latest_tagged_image(tag),
                want_found(),
            );
            // The same through the index, the way a trigger resolves `stream:tag`.
            let (got, completed) = via_index(
                std::slice::from_ref(raw),
                str_of(&raw["metadata"]["namespace"], "namespace"),
                &format!("{}:{tag}", str_of(&raw["metadata"]["name"], "name")),
                None,
                f,
            );
            f.eq(id, "Index::resolve", got, want_found());
            f.check(id, !completed, || "unexpected rule-3 completion".into());
        }
        "tagRetriever" => {
            let streams = input["imageStreams"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let ns = str_of(&input["namespace"], "namespace");
            let name = str_of(&input["name"], "name");
            let registry = input["internalRegistryHostname"].as_str();
            let (got, completed) = via_index(&streams, ns, name, registry, f);
            match rule {
                Some(Deviation::Rule3) => {
                    f.eq(id, "found (OpenShift)", want_found(), None);
                    let want = oracle_resolve(&streams, ns, name, registry);
                    f.check(id, want.is_some(), || {
                        "the rule-3 oracle resolves nothing".into()
                    });
                    f.eq(id, "Index::resolve (rule 3)", got, want);
                    f.check(id, completed, || {
                        "rule 3: want a completion (snapshot-completed)".into()
                    });
                }
                Some(other) => f.add(id, format!("no meaning for {other:?} here")),
                None => {
                    f.eq(id, "Index::resolve", got, want_found());
                    f.check(id, !completed, || "unexpected rule-3 completion".into());
                }
            }
        }
        "resolvePullSpecForTag" => {
            let s = stream_from_json(&input["imageStream"]);
            let got = imagestream::resolve_pull_spec_for_tag(
                &s,
                str_of(&input["tag"], "tag"),
                input["defaultExternal"] == true,
                input["requireLatest"] == true,
            );
            match (got, expected["error"].as_str()) {
                (Err(e), Some(want)) => {
                    f.check(id, e.contains(want) || want.contains(e), || {
                        format!("error `{e}`, want `{want}`")
                    });
                }
                (Ok(p), None) => {
                    f.eq(
                        id,
                        "pullSpec",
                        p.pull_spec.as_str(),
                        str_of(&expected["pullSpec"], "pullSpec"),
                    );
                    f.eq(
                        id,
                        "hasNewer",
                        Some(p.has_newer),
                        expected["hasNewer"].as_bool(),
                    );
                    f.eq(
                        id,
                        "hasStatus",
                        Some(p.has_status),
                        expected["hasStatus"].as_bool(),
                    );
                    f.eq(
                        id,
                        "isTagEmpty",
                        Some(p.is_tag_empty),
                        expected["isTagEmpty"].as_bool(),
                    );
                }
                (Ok(p), Some(want)) => f.add(id, format!("got {p:?}, want error `{want}`")),
                (Err(e), None) => f.add(id, format!("got error `{e}`, want {expected}")),
            }
        }
        other => f.add(id, format!("unknown group `{other}`")),
    }
}

// ---------------------------------------------------------------------------
// e. vectors/istag-names.json
// ---------------------------------------------------------------------------

#[test]
fn conformance_istag_name_vectors() {
    let (_, vectors) = load_vectors("istag-names.json");
    let mut f = Failures::default();
    let mut seen = 0;
    for v in &vectors {
        let id = str_of(&v["id"], "id");
        let input = &v["input"];
        let expected = &v["expected"];
        let pair = |a: &str, b: &str| Some((a.to_string(), b.to_string()));
        let strict = |key: &str| {
            if expected["error"] == true {
                None
            } else {
                pair(
                    str_of(&expected["name"], "name"),
                    str_of(&expected[key], key),
                )
            }
        };
        match str_of(&v["group"], "group") {
            "SplitImageStreamTag" => f.eq(
                id,
                "split_image_stream_tag",
                imagestream::split_image_stream_tag(str_of(input, "input")),
                (
                    str_of(&expected["name"], "name").to_string(),
                    str_of(&expected["tag"], "tag").to_string(),
                    expected["ok"] == true,
                ),
            ),
            "JoinImageStreamTag" => f.eq(
                id,
                "join_image_stream_tag",
                imagestream::join_image_stream_tag(
                    str_of(&input["name"], "name"),
                    str_of(&input["tag"], "tag"),
                )
                .as_str(),
                str_of(expected, "expected"),
            ),
            "ParseImageStreamTagName" => f.eq(
                id,
                "parse_image_stream_tag_name",
                imagestream::parse_image_stream_tag_name(str_of(input, "input")),
                strict("tag"),
            ),
            "ParseImageStreamImageName" => f.eq(
                id,
                "parse_image_stream_image_name",
                imagestream::parse_image_stream_image_name(str_of(input, "input")),
                strict("id"),
            ),
            other => f.add(id, format!("unknown group `{other}`")),
        }
        seen += 1;
    }
    f.finish("istag-names.json", seen, vectors.len());
}

// ---------------------------------------------------------------------------
// f. vectors/image-reference.json
// ---------------------------------------------------------------------------

#[test]
fn conformance_image_reference_vectors() {
    let (_, vectors) = load_vectors("image-reference.json");
    let mut f = Failures::default();
    let mut seen = 0;
    for v in &vectors {
        let id = str_of(&v["id"], "id");
        let input = &v["input"];
        let expected = &v["expected"];
        match v["group"].as_str() {
            None => {
                let got = ImageRef::parse(str_of(input, "input"))
                    .map(|r| [r.registry, r.namespace, r.name, r.tag, r.id]);
                if expected["error"] == true {
                    f.check(id, got.is_err(), || format!("want an error, got {got:?}"));
                } else {
                    let want = ["registry", "namespace", "name", "tag", "id"]
                        .map(|k| str_of(&expected[k], k).to_string());
                    f.eq(id, "[registry, namespace, name, tag, id]", got, Ok(want));
                }
            }
            Some("withID") => match ImageRef::parse(str_of(&input["ref"], "ref")) {
                Ok(mut r) => {
                    r.tag = str_of(&input["setTag"], "setTag").to_string();
                    r.id = str_of(&input["setID"], "setID").to_string();
                    f.eq(
                        id,
                        "exact()",
                        r.exact().as_str(),
                        str_of(expected, "expected"),
                    );
                }
                Err(e) => f.add(id, format!("`{}` does not parse: {e}", input["ref"])),
            },
            Some(other) => f.add(id, format!("unknown group `{other}`")),
        }
        seen += 1;
    }
    f.finish("image-reference.json", seen, vectors.len());
}

// ---------------------------------------------------------------------------
// g. vectors/deploymentconfig-trigger.json
// ---------------------------------------------------------------------------

/// `input.tagResponses` of a test-origin vector: what the Go test's fake tag
/// retriever returned (the synthesised streams must resolve the same way).
fn tag_responses(input: &Value) -> Vec<(String, String, Option<String>)> {
    input["tagResponses"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    (
                        str_of(&r["namespace"], "namespace").to_string(),
                        str_of(&r["name"], "name").to_string(),
                        Some(str_of(&r["ref"], "ref").to_string()),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn conformance_deploymentconfig_trigger_vectors() {
    let (doc, vectors) = load_vectors("deploymentconfig-trigger.json");
    let groups: BTreeSet<&str> = doc["groups"]
        .as_object()
        .map(|g| g.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        groups,
        BTreeSet::from(["controller", "instantiate-force"]),
        "deploymentconfig-trigger.json: groups"
    );
    let mut f = Failures::default();
    let mut seen = 0;
    let mut ids = BTreeSet::new();
    for v in &vectors {
        let id = str_of(&v["id"], "id");
        ids.insert(id.to_string());
        run_dc_vector(&mut f, id, v);
        seen += 1;
    }
    check_deviation_ids("deploymentconfig-trigger", &ids, &mut f);
    f.finish("deploymentconfig-trigger.json", seen, vectors.len());
}

fn run_dc_vector(f: &mut Failures, id: &str, v: &Value) {
    let input = &v["input"];
    let expected = &v["expected"];
    let object = &input["object"];
    // controller: UpdateDeploymentConfigImages; instantiate-force: processTriggers
    // (`oc rollout latest`), streampin's `--include-manual`.
    let group = str_of(&v["group"], "group");
    let include_manual = match group {
        "controller" => false,
        "instantiate-force" => true,
        other => {
            f.add(id, format!("unknown group `{other}`"));
            return;
        }
    };
    f.eq(
        id,
        "kind",
        object["kind"].as_str(),
        Some("DeploymentConfig"),
    );
    let Some((run, streams, registry)) = run_input(f, id, input, include_manual) else {
        return;
    };
    let result = run.result.as_ref().expect("checked by run_input");
    check_resolutions(f, id, &streams, registry, &tag_responses(input), false);
    let rule = deviation("deploymentconfig-trigger", id);
    check_deviation_diagnostics(f, id, &run, rule);
    if let Some(r) = rule {
        f.add(id, format!("no meaning for {r:?} here"));
        return;
    }
    f.check(id, run.plan.builds.is_empty(), || {
        format!("builds for a DeploymentConfig: {:?}", run.plan.builds)
    });

    let outcome = str_of(&expected["outcome"], "outcome");
    if !matches!(outcome, "update" | "noop") {
        f.add(id, format!("unknown outcome `{outcome}`"));
        return;
    }
    let want_images = expected_image_maps(&expected["containerImages"]);
    let want_lasts: Vec<String> = expected["lastTriggeredImages"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|l| str_of(l, "lastTriggeredImage").to_string())
                .collect()
        })
        .unwrap_or_default();
    let got_images = image_maps(f, id, &images(result, DC_POD_SPEC));
    f.eq(id, "container images", &got_images, &want_images);
    let got_lasts = last_triggered_images(result);
    f.eq(id, "lastTriggeredImages", &got_lasts, &want_lasts);
    // The input with exactly those fields set.
    let want_object =
        match with_last_triggered(&with_images(object, DC_POD_SPEC, &want_images), &want_lasts) {
            Ok(o) => o,
            Err(e) => {
                f.add(id, format!("expected.lastTriggeredImages: {e}"));
                return;
            }
        };
    let named = image_maps(f, id, &images(&want_object, DC_POD_SPEC));
    f.eq(
        id,
        "containerImages names exactly the input's containers",
        &named,
        &want_images,
    );
    if got_images == want_images && got_lasts == want_lasts {
        // Nothing else may differ either.
        f.eq(id, "whole object", result, &want_object);
    }
    let want_changes = dc_field_changes(object, &want_object);
    f.eq(
        id,
        "outcome (as the recorded final state implies)",
        outcome,
        if want_changes.is_empty() {
            "noop"
        } else {
            "update"
        },
    );
    f.eq(id, "changes (field, old, new)", run.changes(), want_changes);
    f.eq(
        id,
        "object.json rewritten",
        run.object_changed,
        outcome == "update",
    );
    // processTriggers skips unresolved tags; only the controller blocks.
    let blocked = !include_manual && dc_blocked_oracle(object, &streams, registry);
    f.check(id, !blocked || outcome == "noop", || {
        "the blocking rule applies but the outcome is `update`".into()
    });
    check_dc_blocked(f, id, &run, blocked);
}

// ---------------------------------------------------------------------------
// h. vectors/buildconfig-trigger.json
// ---------------------------------------------------------------------------

#[test]
fn conformance_buildconfig_trigger_vectors() {
    let (_, vectors) = load_vectors("buildconfig-trigger.json");
    let mut f = Failures::default();
    let mut seen = 0;
    let mut ids = BTreeSet::new();
    for v in &vectors {
        let id = str_of(&v["id"], "id");
        ids.insert(id.to_string());
        run_bc_vector(&mut f, id, v);
        seen += 1;
    }
    check_deviation_ids("buildconfig-trigger", &ids, &mut f);
    f.finish("buildconfig-trigger.json", seen, vectors.len());
}

fn run_bc_vector(f: &mut Failures, id: &str, v: &Value) {
    let input = &v["input"];
    let expected = &v["expected"];
    let object = &input["object"];
    if let Some(g) = v["group"].as_str() {
        f.add(id, format!("unknown group `{g}`"));
        return;
    }
    f.eq(id, "kind", object["kind"].as_str(), Some("BuildConfig"));
    let Some((run, streams, registry)) = run_input(f, id, input, false) else {
        return;
    };
    let result = run.result.as_ref().expect("checked by run_input");
    check_resolutions(f, id, &streams, registry, &tag_responses(input), false);
    let rule = deviation("buildconfig-trigger", id);
    check_deviation_diagnostics(f, id, &run, rule);
    if let Some(r) = rule {
        f.add(id, format!("no meaning for {r:?} here"));
        return;
    }
    let request = &expected["request"];
    let want = match expected["buildRequested"].as_bool() {
        Some(true) => {
            let bc_ns = object["metadata"]["namespace"].as_str().unwrap_or_default();
            let causes = request["causes"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|c| {
                            (
                                build_source(&c["fromRef"], bc_ns),
                                str_of(&c["imageID"], "imageID").to_string(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            Some(WantBuild {
                object: (
                    bc_ns.to_string(),
                    str_of(&object["metadata"]["name"], "metadata.name").to_string(),
                ),
                from: build_source(&request["from"], bc_ns),
                reference: str_of(&request["triggeredByImage"], "triggeredByImage").to_string(),
                causes,
            })
        }
        Some(false) => {
            f.check(id, request.is_null(), || {
                "a request without a build?".into()
            });
            None
        }
        None => {
            f.add(id, "no `buildRequested`".into());
            return;
        }
    };
    check_build(f, id, object, &run, result, want);
}
