//! The `evaluate_splice` property: a plan changes nothing but image scalars.

use std::collections::HashMap;
use std::path::PathBuf;

use streampin::diag::Code;
use streampin::discover::FileEntry;
use streampin::edit::Edit;
use streampin::manifest::yaml::{self, Node, NodeKind, Style};
use streampin::plan::{self, FilePlan, Plan, PlanSettings};
use streampin::source::SourceFile;
use streampin::trigger::Change;

/// The keys whose values the pipeline may rewrite.
const IMAGE_KEYS: [&str; 2] = ["image", "lastTriggeredImage"];

/// Split the input, build the plan, and check every changed file.
pub fn run(data: &[u8]) {
    let (manifest, rest) = split(data);
    let (snapshot, flags) = split(rest);
    let flags = flags.first().copied().unwrap_or(0);
    let (Ok(manifest), Ok(snapshot)) =
        (std::str::from_utf8(manifest), std::str::from_utf8(snapshot))
    else {
        return;
    };
    let mut settings = PlanSettings::default();
    settings.eval.include_manual = flags & 1 != 0;
    settings.eval.no_local_lookup = flags & 2 != 0;
    if flags & 4 != 0 {
        settings.namespace = Some("ns1".into());
    }
    if flags & 8 != 0 {
        settings.eval.internal_registry =
            Some("image-registry.openshift-image-registry.svc:5000".into());
    }
    let kustomization = (flags & 16 != 0).then(|| ("ns1".to_string(), "kustomization.yaml".into()));
    let entries = vec![
        entry("manifest.yaml", false, kustomization),
        entry("snapshot.yaml", flags & 32 == 0, None),
    ];
    let texts = [manifest.to_string(), snapshot.to_string()];
    let plan = build(&entries, &texts, &settings);
    // The pipeline verifies its own edits and drops a file's edits that fail; the
    // edits it makes should never need that.
    if let Some(d) = plan
        .diagnostics
        .iter()
        .find(|d| d.code == Code::EditUnverified)
    {
        panic!("the pipeline rejected its own edits: {}", d.message);
    }
    for file in &plan.files {
        check_file(file, &plan.changes);
    }
    if plan.files.is_empty() {
        return;
    }
    // Applying the plan and evaluating again changes nothing.
    let applied: Vec<String> = entries
        .iter()
        .zip(&texts)
        .map(|(e, text)| {
            plan.files
                .iter()
                .find(|f| f.display == e.display)
                .map_or_else(|| text.clone(), |f| f.new.clone())
        })
        .collect();
    let again = build(&entries, &applied, &settings);
    assert!(
        again.files.is_empty() && again.changes.is_empty(),
        "not idempotent: a second run changes {:?}",
        again
            .changes
            .first()
            .map(|c| (&c.file, &c.field, &c.old, &c.new))
    );
}

fn split(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

fn entry(name: &str, snapshot_only: bool, kustomization: Option<(String, String)>) -> FileEntry {
    FileEntry {
        display: name.into(),
        path: PathBuf::from(name),
        real: PathBuf::from(name),
        via_link: false,
        snapshot_only,
        kustomization,
    }
}

fn build(entries: &[FileEntry], texts: &[String], settings: &PlanSettings) -> Plan {
    let sources: Vec<SourceFile> = entries
        .iter()
        .zip(texts)
        .map(|(e, t)| SourceFile::new(e.display.clone(), e.real.clone(), t.clone()))
        .collect();
    plan::build_from_sources(entries, &sources, settings, Vec::new())
}

/// What the old tree offers as edit targets, by byte offset.
#[derive(Default)]
struct Targets<'n, 'a> {
    /// Values of `image` / `lastTriggeredImage` keys, by span start.
    image_values: HashMap<usize, &'n Node<'a>>,
    /// Mappings, by span start (several may share one).
    maps: HashMap<usize, Vec<&'n Node<'a>>>,
}

fn collect<'n, 'a>(node: &'n Node<'a>, out: &mut Targets<'n, 'a>) {
    match &node.kind {
        NodeKind::Seq { items, .. } => items.iter().for_each(|i| collect(i, out)),
        NodeKind::Map { entries, .. } => {
            out.maps.entry(node.span.start).or_default().push(node);
            for (k, v) in entries {
                if k.as_str().is_some_and(|k| IMAGE_KEYS.contains(&k)) {
                    out.image_values.insert(v.span.start, v);
                }
                collect(k, out);
                collect(v, out);
            }
        }
        NodeKind::Scalar { .. } | NodeKind::Alias(_) => {}
    }
}

/// What the new tree must show where the old one was edited, by old span start.
#[derive(Default)]
struct Expect<'c> {
    /// Old scalar offset → (the value it now reads, the token written).
    scalars: HashMap<usize, (&'c str, &'c str)>,
    /// Old mapping offset → (the inserted key, its value).
    inserted: HashMap<usize, (&'c str, &'c str)>,
}

/// Check one changed file against the changes that name it.
pub fn check_file(file: &FilePlan, changes: &[Change]) {
    let old = file.old.as_str();
    let new = file.new.as_str();
    let mine: Vec<&Change> = changes.iter().filter(|c| c.file == file.display).collect();
    assert!(
        !mine.is_empty(),
        "{} changes with no change listed",
        file.display
    );
    let old_docs = yaml::parse(old).expect("a changed file parsed before");
    let mut targets = Targets::default();
    for d in &old_docs {
        collect(&d.root, &mut targets);
    }

    let mut expect = Expect::default();
    for c in &mine {
        classify(old, c, &targets, &mut expect);
    }

    // Lock-step walk: outside the edited ranges, old and new are the same bytes.
    let mut edits: Vec<&Edit> = mine.iter().map(|c| &c.edit).collect();
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    edits.dedup();
    let (mut o, mut n) = (0usize, 0usize);
    for e in &edits {
        assert!(e.range.start >= o, "edits overlap at {:?}", e.range);
        let gap = &old[o..e.range.start];
        assert_eq!(
            new.get(n..n + gap.len()),
            Some(gap),
            "bytes {o}..{} outside every edit changed",
            e.range.start
        );
        n += gap.len();
        assert_eq!(
            new.get(n..n + e.new.len()),
            Some(e.new.as_str()),
            "edit {:?} is not what the new text holds",
            e.range
        );
        n += e.new.len();
        o = e.range.end;
    }
    assert_eq!(&new[n..], &old[o..], "bytes after the last edit changed");

    let new_docs = yaml::parse(new)
        .unwrap_or_else(|e| panic!("the new text does not parse: {} at {}", e.message, e.offset));
    assert_eq!(
        new_docs.len(),
        old_docs.len(),
        "the number of documents changed"
    );
    for (a, b) in old_docs.iter().zip(&new_docs) {
        same_shape(old, new, &a.root, &b.root, &expect, 0);
    }
}

/// Each change's edit must rewrite one image scalar, or insert one image key.
fn classify<'c>(old: &str, c: &'c Change, targets: &Targets<'_, '_>, expect: &mut Expect<'c>) {
    let e = &c.edit;
    assert_eq!(
        old.get(e.range.clone()),
        Some(e.expected_old.as_str()),
        "edit {:?} expects other bytes",
        e.range
    );
    if let Some(key) = c.inserted_key {
        assert!(IMAGE_KEYS.contains(&key), "inserted key `{key}`");
        assert!(e.range.is_empty(), "a key insertion replaces bytes");
        let maps = targets.maps.get(&c.anchor_offset).unwrap_or_else(|| {
            panic!(
                "key inserted at {} where no mapping starts",
                c.anchor_offset
            )
        });
        let ok = maps.iter().any(|m| {
            let entries = m.entries();
            let lacks = !entries.iter().any(|(k, _)| k.as_str() == Some(key));
            let at_first_key = entries.first().map(|(k, _)| k.span.start) == Some(e.range.start);
            let into_empty_flow = entries.is_empty() && e.range.start == m.span.start + 1;
            lacks && (at_first_key || into_empty_flow)
        });
        assert!(
            ok,
            "`{key}` inserted at {} is not a new first entry of a mapping lacking it",
            e.range.start
        );
        assert!(
            e.new.starts_with(key) || e.new.starts_with(&format!("\"{key}\"")),
            "inserted text {:?} does not start with `{key}`",
            e.new
        );
        expect
            .inserted
            .insert(c.anchor_offset, (key, c.new.as_str()));
        return;
    }
    let node = targets
        .image_values
        .get(&c.anchor_offset)
        .unwrap_or_else(|| panic!("edit at {} is not an image value", c.anchor_offset));
    let NodeKind::Scalar { style, .. } = &node.kind else {
        panic!("edit at {} rewrites a non-scalar", c.anchor_offset);
    };
    assert_eq!(node.anchor, 0, "an anchored scalar was edited");
    let span = node.span.clone();
    match style {
        Style::Literal | Style::Folded => assert!(
            e.range.start == span.start && e.range.end <= span.end && !e.range.is_empty(),
            "block scalar edit {:?} is not the start of its span {span:?}",
            e.range
        ),
        _ if span.is_empty() => assert!(
            e.range.is_empty() && e.range.start >= span.start && e.range.start <= span.start + 2,
            "empty scalar at {span:?} filled at {:?}",
            e.range
        ),
        _ => assert_eq!(e.range, span, "scalar edit is not the whole token"),
    }
    expect
        .scalars
        .insert(span.start, (c.new.as_str(), e.new.as_str()));
}

/// Old and new trees are the same but where `expect` says.
fn same_shape(
    old_src: &str,
    new_src: &str,
    a: &Node<'_>,
    b: &Node<'_>,
    expect: &Expect<'_>,
    depth: usize,
) {
    assert!(depth < 1000, "runaway depth");
    assert_eq!(
        a.anchor != 0,
        b.anchor != 0,
        "an anchor appeared or vanished"
    );
    match (&a.kind, &b.kind) {
        (NodeKind::Alias(x), NodeKind::Alias(y)) => {
            assert_eq!(x, y, "an alias changed");
            assert_eq!(&old_src[a.span.clone()], &new_src[b.span.clone()]);
        }
        (
            NodeKind::Scalar {
                value: va,
                style: sa,
                tagged: ta,
            },
            NodeKind::Scalar {
                value: vb,
                style: sb,
                tagged: tb,
            },
        ) => {
            assert_eq!(ta, tb, "a tag appeared or vanished");
            let token = &new_src[b.span.clone()];
            match expect.scalars.get(&a.span.start) {
                Some((value, written)) => {
                    assert_eq!(vb, value, "an edited scalar reads another value");
                    match sa {
                        Style::Literal | Style::Folded => {
                            assert_eq!(sa, sb, "a block scalar changed style");
                            assert!(token.starts_with(written), "block scalar token {token:?}");
                        }
                        _ => {
                            // An inserted value may come with a space before it
                            // (after the colon or a tag) and after it (before a comment).
                            assert_eq!(token, written.trim(), "the edited token is not the node");
                            assert!(
                                sa == sb || *sb == Style::DoubleQuoted,
                                "an edited scalar went from {sa:?} to {sb:?}"
                            );
                        }
                    }
                }
                None => {
                    assert_eq!((va, sa), (vb, sb), "an unedited scalar changed");
                    assert_eq!(
                        &old_src[a.span.clone()],
                        token,
                        "an unedited scalar's source changed"
                    );
                }
            }
        }
        (NodeKind::Seq { items: x, flow: fa }, NodeKind::Seq { items: y, flow: fb }) => {
            assert_eq!(fa, fb, "a sequence changed style");
            assert_eq!(x.len(), y.len(), "a sequence changed length");
            for (p, q) in x.iter().zip(y) {
                same_shape(old_src, new_src, p, q, expect, depth + 1);
            }
        }
        (
            NodeKind::Map {
                entries: x,
                flow: fa,
            },
            NodeKind::Map {
                entries: y,
                flow: fb,
            },
        ) => {
            assert_eq!(fa, fb, "a mapping changed style");
            let mut y: Vec<_> = y.iter().collect();
            if let Some((key, value)) = expect.inserted.get(&a.span.start) {
                let first = y
                    .first()
                    .expect("a mapping with an inserted key is not empty");
                assert_eq!(
                    first.0.as_str(),
                    Some(*key),
                    "the inserted key is not first"
                );
                assert_eq!(first.1.as_str(), Some(*value), "the inserted key's value");
                y.remove(0);
            }
            assert_eq!(x.len(), y.len(), "a mapping changed size");
            for ((ka, va), (kb, vb)) in x.iter().zip(y) {
                same_shape(old_src, new_src, ka, kb, expect, depth + 1);
                same_shape(old_src, new_src, va, vb, expect, depth + 1);
            }
        }
        _ => panic!("a node changed kind at old offset {}", a.span.start),
    }
}
