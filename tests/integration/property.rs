//! Generated Deployments (indentation, block or flow container lists, quoting,
//! LF or CRLF, BOM, comments, multibyte text, extra documents) run through the
//! library pipeline (`plan::build`, then `commands::apply::write_file`).
//!
//! Properties:
//! (a) the output differs from the input only inside the original image tokens
//!     of triggered containers, each rewritten in its own quoting style;
//! (b) every container's image, parsed back, is the expected value (the pinned
//!     digest for a trigger, untouched otherwise);
//! (c) the BOM, every line ending and the final newline (or its absence) are kept;
//! (d) building the plan again finds nothing to change.

use std::ops::Range;
use std::path::PathBuf;

use proptest::prelude::*;
use streampin::discover::DiscoverOptions;
use streampin::manifest::yaml;
use streampin::plan::{self, PlanSettings};

const MULTIBYTE: &[&str] = &["ü", "日本語", "🚀", "ß", "grüße", "Ωμέγα", "é", "中"];

const SNAPSHOT: &str = "\
apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: app
  namespace: ns1
spec:
  lookupPolicy:
    local: false
  tags:
  - from:
      kind: DockerImage
      name: quay.io/example/app:latest
    generation: 1
    name: latest
    referencePolicy:
      type: Source
  - from:
      kind: DockerImage
      name: quay.io/example/app:v2
    generation: 1
    name: v2
    referencePolicy:
      type: Source
status:
  dockerImageRepository: image-registry.openshift-image-registry.svc:5000/ns1/app
  tags:
  - items:
    - created: \"2024-01-01T00:00:00Z\"
      dockerImageReference: quay.io/example/app@sha256:1111111111111111111111111111111111111111111111111111111111111111
      generation: 1
      image: sha256:1111111111111111111111111111111111111111111111111111111111111111
    tag: latest
  - items:
    - created: \"2024-02-01T00:00:00Z\"
      dockerImageReference: quay.io/example/app@sha256:2222222222222222222222222222222222222222222222222222222222222222
      generation: 1
      image: sha256:2222222222222222222222222222222222222222222222222222222222222222
    tag: v2
";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    Plain,
    Single,
    Double,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Latest,
    V2,
}

impl Tag {
    fn name(self) -> &'static str {
        match self {
            Tag::Latest => "latest",
            Tag::V2 => "v2",
        }
    }

    fn pinned(self) -> String {
        let d = match self {
            Tag::Latest => '1',
            Tag::V2 => '2',
        };
        format!("quay.io/example/app@sha256:{}", d.to_string().repeat(64))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Block,
    FlowOneLine,
    FlowMultiLine,
}

#[derive(Debug, Clone)]
struct Container {
    quote: Quote,
    trigger: Option<Tag>,
    /// The image already holds the pinned value (no change expected).
    already_pinned: bool,
    /// A trailing comment on the image's line.
    comment: Option<String>,
    /// An env value (multibyte) written before the image.
    env_before: Option<String>,
}

#[derive(Debug, Clone)]
struct Case {
    indent: usize,
    layout: Layout,
    /// Block sequence dashes indented under `containers:` (else at its column).
    dash_indented: bool,
    crlf: bool,
    bom: bool,
    final_newline: bool,
    header_comment: Option<String>,
    label: String,
    label_quoted: bool,
    label_comment: Option<String>,
    annotation_text: String,
    containers: Vec<Container>,
    leading_marker: bool,
    configmap_before: bool,
    configmap_after: bool,
}

impl Container {
    fn old_image(&self, i: usize) -> String {
        match self.trigger {
            Some(t) if self.already_pinned => t.pinned(),
            Some(_) => format!("old/c{i}:1"),
            None => format!("registry.example/side/c{i}:2"),
        }
    }

    fn expected_image(&self, i: usize) -> String {
        match self.trigger {
            Some(t) => t.pinned(),
            None => self.old_image(i),
        }
    }

    fn changes(&self) -> bool {
        self.trigger.is_some() && !self.already_pinned
    }
}

fn render(quote: Quote, value: &str) -> String {
    match quote {
        Quote::Plain => value.to_string(),
        Quote::Single => format!("'{value}'"),
        Quote::Double => format!("\"{value}\""),
    }
}

/// Where each container's image token sits in the generated text.
#[derive(Debug, Clone)]
struct Token {
    container: usize,
    range: Range<usize>,
}

/// Builds the text and records image token offsets as it goes.
struct Out {
    text: String,
    eol: &'static str,
    tokens: Vec<Token>,
}

impl Out {
    fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }

    fn line(&mut self, s: &str) {
        self.text.push_str(s);
        self.text.push_str(self.eol);
    }

    fn image(&mut self, container: usize, quote: Quote, value: &str) {
        let start = self.text.len();
        self.text.push_str(&render(quote, value));
        self.tokens.push(Token {
            container,
            range: start..self.text.len(),
        });
    }

    fn comment(&mut self, c: &Option<String>) {
        if let Some(c) = c {
            self.push(&format!("  # {c}"));
        }
    }
}

fn configmap(out: &mut Out, ind: &str, note: &str) {
    out.line("apiVersion: v1");
    out.line("kind: ConfigMap");
    out.line("metadata:");
    out.line(&format!("{ind}name: decoy"));
    out.line(&format!("{ind}namespace: ns1"));
    out.line("data:");
    // A decoy that looks like an image field but is not one.
    out.line(&format!("{ind}image: old/c0:1"));
    out.line(&format!("{ind}note: \"{note}\""));
}

fn triggers_json(c: &[Container]) -> Option<String> {
    let items: Vec<String> = c
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            c.trigger.map(|t| {
                format!(
                    r#"{{"from":{{"kind":"ImageStreamTag","name":"app:{}"}},"fieldPath":"spec.template.spec.containers[?(@.name==\"c{i}\")].image"}}"#,
                    t.name()
                )
            })
        })
        .collect();
    (!items.is_empty()).then(|| format!("[{}]", items.join(",")))
}

fn generate(case: &Case) -> Out {
    let mut out = Out {
        text: String::new(),
        eol: if case.crlf { "\r\n" } else { "\n" },
        tokens: Vec::new(),
    };
    let ind = |n: usize| " ".repeat(n * case.indent);
    if case.bom {
        out.push("\u{feff}");
    }
    if case.leading_marker {
        out.line("---");
    }
    if case.configmap_before {
        configmap(&mut out, &ind(1), &case.annotation_text);
        out.line("---");
    }
    if let Some(h) = &case.header_comment {
        out.line(&format!("# {h}"));
    }
    out.line("apiVersion: apps/v1");
    out.line("kind: Deployment");
    out.line("metadata:");
    out.line(&format!("{}name: web", ind(1)));
    out.line(&format!("{}namespace: ns1", ind(1)));
    out.line(&format!("{}labels:", ind(1)));
    let label = if case.label_quoted {
        format!("\"{}\"", case.label)
    } else {
        case.label.clone()
    };
    out.push(&format!("{}note: {label}", ind(2)));
    out.comment(&case.label_comment);
    out.line("");
    out.line(&format!("{}annotations:", ind(1)));
    out.line(&format!(
        "{}description: \"{}\"",
        ind(2),
        case.annotation_text
    ));
    if let Some(json) = triggers_json(&case.containers) {
        out.line(&format!("{}image.openshift.io/triggers: '{json}'", ind(2)));
    }
    out.line("spec:");
    out.line(&format!("{}replicas: 1", ind(1)));
    out.line(&format!("{}selector:", ind(1)));
    out.line(&format!("{}matchLabels:", ind(2)));
    out.line(&format!("{}app: web", ind(3)));
    out.line(&format!("{}template:", ind(1)));
    out.line(&format!("{}metadata:", ind(2)));
    out.line(&format!("{}labels:", ind(3)));
    out.line(&format!("{}app: web", ind(4)));
    out.line(&format!("{}spec:", ind(2)));
    match case.layout {
        Layout::Block => {
            out.line(&format!("{}containers:", ind(3)));
            let dash = if case.dash_indented { ind(4) } else { ind(3) };
            let body = format!("{dash}  ");
            for (i, c) in case.containers.iter().enumerate() {
                out.line(&format!("{dash}- name: c{i}"));
                if let Some(v) = &c.env_before {
                    out.line(&format!("{body}env:"));
                    out.line(&format!("{body}- name: NOTE  # {v}"));
                    out.line(&format!("{body}  value: {v}"));
                }
                out.push(&format!("{body}image: "));
                out.image(i, c.quote, &c.old_image(i));
                out.comment(&c.comment);
                out.line("");
                out.line(&format!("{body}ports:"));
                out.line(&format!("{body}- containerPort: {}", 8080 + i));
            }
        }
        Layout::FlowOneLine | Layout::FlowMultiLine => {
            let multi = case.layout == Layout::FlowMultiLine;
            out.push(&format!("{}containers: [", ind(3)));
            if multi {
                out.line("");
            }
            let n = case.containers.len();
            for (i, c) in case.containers.iter().enumerate() {
                if multi {
                    out.push(&ind(4));
                }
                out.push(&format!("{{name: c{i}, "));
                if let Some(v) = &c.env_before {
                    out.push(&format!("env: [{{name: NOTE, value: \"{v}\"}}], "));
                }
                out.push("image: ");
                out.image(i, c.quote, &c.old_image(i));
                out.push("}");
                if i + 1 < n {
                    out.push(if multi { "," } else { ", " });
                }
                if multi {
                    out.comment(&c.comment);
                    out.line("");
                }
            }
            if multi {
                out.push(&ind(4));
            }
            out.push("]");
            if !multi {
                out.comment(&case.containers[0].comment);
            }
            out.line("");
        }
    }
    if case.configmap_after {
        out.line("---");
        configmap(&mut out, &ind(1), &case.label);
    }
    if !case.final_newline {
        let cut = out.text.len() - out.eol.len();
        out.text.truncate(cut);
    }
    out
}

fn multibyte_text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(MULTIBYTE), 1..4).prop_map(|v| v.join(" "))
}

fn container() -> impl Strategy<Value = Container> {
    (
        prop_oneof![Just(Quote::Plain), Just(Quote::Single), Just(Quote::Double)],
        prop::option::weighted(0.75, prop_oneof![Just(Tag::Latest), Just(Tag::V2)]),
        prop::bool::weighted(0.2),
        prop::option::of(multibyte_text()),
        prop::option::of(multibyte_text()),
    )
        .prop_map(
            |(quote, trigger, already_pinned, comment, env_before)| Container {
                quote,
                trigger,
                already_pinned,
                comment,
                env_before,
            },
        )
}

fn case() -> impl Strategy<Value = Case> {
    let shape = (
        prop_oneof![Just(2usize), Just(4usize)],
        prop_oneof![
            2 => Just(Layout::Block),
            1 => Just(Layout::FlowOneLine),
            1 => Just(Layout::FlowMultiLine),
        ],
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop::bool::weighted(0.8),
    );
    let text = (
        prop::option::of(multibyte_text()),
        multibyte_text(),
        any::<bool>(),
        prop::option::of(multibyte_text()),
        multibyte_text(),
    );
    let docs = (
        prop::collection::vec(container(), 1..=3),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    );
    (shape, text, docs).prop_map(
        |(
            (indent, layout, dash_indented, crlf, bom, final_newline),
            (header_comment, label, label_quoted, label_comment, annotation_text),
            (containers, leading_marker, configmap_before, configmap_after),
        )| Case {
            indent,
            layout,
            dash_indented,
            crlf,
            bom,
            final_newline,
            header_comment,
            label,
            label_quoted,
            label_comment,
            annotation_text,
            containers,
            leading_marker,
            configmap_before,
            configmap_after,
        },
    )
}

/// The image of every container of the Deployment in `text`, in order.
fn images(text: &str) -> Result<Vec<(String, String)>, String> {
    let docs = yaml::parse(text).map_err(|e| format!("does not parse: {e} at {}", e.offset))?;
    let dep = docs
        .iter()
        .find(|d| d.root.path(d, &["kind"]).and_then(|n| n.as_str()) == Some("Deployment"))
        .ok_or("no Deployment document")?;
    let containers = dep
        .root
        .path(dep, &["spec", "template", "spec", "containers"])
        .ok_or("no containers")?;
    containers
        .items()
        .iter()
        .map(|c| {
            let name = c.get("name").and_then(|n| n.as_str()).ok_or("no name")?;
            let image = c.get("image").and_then(|n| n.as_str()).ok_or("no image")?;
            Ok((name.to_string(), image.to_string()))
        })
        .collect()
}

/// For each `\n`, whether a `\r` precedes it.
fn line_endings(s: &str) -> Vec<bool> {
    s.match_indices('\n')
        .map(|(i, _)| i > 0 && s.as_bytes()[i - 1] == b'\r')
        .collect()
}

fn context(s: &[u8], at: usize) -> String {
    let from = at.saturating_sub(30);
    let to = (at + 30).min(s.len());
    format!("{:?}", String::from_utf8_lossy(&s[from..to]))
}

/// (a): `new` is `old` with exactly the changing tokens replaced.
fn only_tokens_changed(case: &Case, generated: &Out, new: &str) -> Result<(), String> {
    let (old, new) = (generated.text.as_bytes(), new.as_bytes());
    let (mut o, mut n) = (0, 0);
    for t in &generated.tokens {
        let seg = &old[o..t.range.start];
        if !new[n..].starts_with(seg) {
            let off = seg
                .iter()
                .zip(&new[n..])
                .take_while(|(a, b)| a == b)
                .count();
            return Err(format!(
                "a byte outside the image tokens changed at old offset {}: old {} new {}",
                o + off,
                context(old, o + off),
                context(new, n + off)
            ));
        }
        n += seg.len();
        let c = &case.containers[t.container];
        let want = if c.changes() {
            render(c.quote, &c.expected_image(t.container))
        } else {
            String::from_utf8_lossy(&old[t.range.clone()]).into_owned()
        };
        if !new[n..].starts_with(want.as_bytes()) {
            return Err(format!(
                "container c{}: the image token should read `{want}`, the new text has {}",
                t.container,
                context(new, n)
            ));
        }
        n += want.len();
        o = t.range.end;
    }
    if old[o..] != new[n..] {
        return Err(format!(
            "the text after the last image token changed: old {:?} new {:?}",
            String::from_utf8_lossy(&old[o..]),
            String::from_utf8_lossy(&new[n..])
        ));
    }
    Ok(())
}

fn settings(dir: PathBuf) -> PlanSettings {
    PlanSettings {
        discover: DiscoverOptions {
            paths: vec![dir],
            ..Default::default()
        },
        ..Default::default()
    }
}

fn run_case(case: &Case) -> Result<(), TestCaseError> {
    let generated = generate(case);
    let old = generated.text.clone();
    prop_assert_eq!(generated.tokens.len(), case.containers.len());

    // The generator writes what it means to.
    let want_old: Vec<(String, String)> = case
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("c{i}"), c.old_image(i)))
        .collect();
    prop_assert_eq!(images(&old).map_err(TestCaseError::fail)?, want_old);

    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("deployment.yaml");
    std::fs::write(&path, &old).unwrap();
    std::fs::write(tmp.path().join("is.yaml"), SNAPSHOT).unwrap();

    let s = settings(tmp.path().to_path_buf());
    let p = plan::build(&s).map_err(|e| TestCaseError::fail(format!("{e:#}")))?;
    prop_assert_eq!(p.summary.errors, 0, "{:#?}\n{}", p.diagnostics, old);
    let n_changes = case.containers.iter().filter(|c| c.changes()).count();
    prop_assert_eq!(
        p.changes.len(),
        n_changes,
        "changes: {:#?}\ndiagnostics: {:#?}\n{}",
        p.changes,
        p.diagnostics,
        old
    );
    prop_assert_eq!(p.files.len(), usize::from(n_changes > 0));
    for f in &p.files {
        prop_assert_eq!(&f.path, &path);
        prop_assert_eq!(&f.old, &old);
        streampin::commands::apply::write_file(f)
            .map_err(|e| TestCaseError::fail(format!("write_file: {e:#}")))?;
    }
    let new = std::fs::read_to_string(&path).unwrap();

    // (a) only the image tokens changed, each in its own style.
    only_tokens_changed(case, &generated, &new)
        .map_err(|e| TestCaseError::fail(format!("{e}\n--- old ---\n{old}\n--- new ---\n{new}")))?;

    // (b) every image parses back to the expected value.
    let want_new: Vec<(String, String)> = case
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("c{i}"), c.expected_image(i)))
        .collect();
    prop_assert_eq!(images(&new).map_err(TestCaseError::fail)?, want_new);

    // (c) BOM, line endings and the final newline are kept.
    prop_assert_eq!(new.starts_with('\u{feff}'), case.bom);
    prop_assert_eq!(new.matches('\u{feff}').count(), usize::from(case.bom));
    let endings = line_endings(&new);
    prop_assert_eq!(&endings, &line_endings(&old));
    prop_assert!(endings.iter().all(|&cr| cr == case.crlf));
    prop_assert_eq!(
        new.ends_with('\n'),
        case.final_newline,
        "final newline changed"
    );

    // (d) a second build finds nothing more to do.
    let again = plan::build(&s).map_err(|e| TestCaseError::fail(format!("{e:#}")))?;
    prop_assert!(
        again.changes.is_empty() && again.files.is_empty(),
        "second build still changes: {:#?}",
        again.changes
    );
    prop_assert_eq!(again.summary.errors, 0, "{:#?}", again.diagnostics);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn apply_changes_only_image_scalars(case in case()) {
        run_case(&case)?;
    }
}

/// A fixed example of every feature at once, so a generator regression shows
/// up as a plain failure too.
#[test]
fn property_fixed_example() {
    let c = |quote, trigger, comment: Option<&str>| Container {
        quote,
        trigger,
        already_pinned: false,
        comment: comment.map(str::to_string),
        env_before: Some("grüße 🚀".into()),
    };
    for layout in [Layout::Block, Layout::FlowOneLine, Layout::FlowMultiLine] {
        let case = Case {
            indent: 4,
            layout,
            dash_indented: true,
            crlf: true,
            bom: true,
            final_newline: false,
            header_comment: Some("日本語".into()),
            label: "ß ü".into(),
            label_quoted: false,
            label_comment: Some("🚀".into()),
            annotation_text: "中".into(),
            containers: vec![
                c(Quote::Single, Some(Tag::Latest), Some("ü")),
                c(Quote::Plain, None, None),
                c(Quote::Double, Some(Tag::V2), Some("日本語")),
            ],
            leading_marker: true,
            configmap_before: true,
            configmap_after: true,
        };
        if let Err(e) = run_case(&case) {
            panic!("{layout:?}: {e}");
        }
    }
}
