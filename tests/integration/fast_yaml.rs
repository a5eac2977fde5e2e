//! The block-style fast path agrees with the full parser: wherever it gives an
//! answer, that answer is the full parser's, span for span. Checked on every YAML
//! and JSON file in the repository, on mutations of them, on the fuzz seeds, and
//! on generated block-style documents.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use streampin::manifest::fast;
use streampin::manifest::yaml::{self, Node, NodeKind, ParseLimits};

use crate::support::root;

/// Compare two trees; the first difference, with its path.
fn same(a: &Node<'_>, b: &Node<'_>, path: &str) -> Result<(), String> {
    if a.span != b.span || a.anchor != b.anchor {
        return Err(format!("{path}: span {:?} vs {:?}", a.span, b.span));
    }
    match (&a.kind, &b.kind) {
        (
            NodeKind::Scalar {
                value: v1,
                style: s1,
                tagged: t1,
            },
            NodeKind::Scalar {
                value: v2,
                style: s2,
                tagged: t2,
            },
        ) => {
            if v1 != v2 || s1 != s2 || t1 != t2 {
                return Err(format!("{path}: {v1:?} {s1:?} vs {v2:?} {s2:?}"));
            }
            Ok(())
        }
        (
            NodeKind::Seq {
                items: i1,
                flow: f1,
            },
            NodeKind::Seq {
                items: i2,
                flow: f2,
            },
        ) => {
            if f1 != f2 || i1.len() != i2.len() {
                return Err(format!("{path}: sequence differs"));
            }
            i1.iter()
                .zip(i2)
                .enumerate()
                .try_for_each(|(k, (x, y))| same(x, y, &format!("{path}[{k}]")))
        }
        (
            NodeKind::Map {
                entries: e1,
                flow: f1,
            },
            NodeKind::Map {
                entries: e2,
                flow: f2,
            },
        ) => {
            if f1 != f2 || e1.len() != e2.len() {
                return Err(format!("{path}: mapping differs"));
            }
            e1.iter().zip(e2).try_for_each(|((k1, v1), (k2, v2))| {
                same(k1, k2, &format!("{path}.<key>"))?;
                same(v1, v2, &format!("{path}.{}", k1.as_str().unwrap_or("?")))
            })
        }
        _ => Err(format!("{path}: node kind differs")),
    }
}

/// `Ok(true)` if the fast path answered (and agreed), `Ok(false)` if it declined.
fn agree(src: &str) -> Result<bool, String> {
    let limits = ParseLimits::default();
    let Some(fast) = fast::parse(src, limits.max_documents, limits.max_depth) else {
        return Ok(false);
    };
    let full = yaml::parse_full(src, limits)
        .map_err(|e| format!("the full parser rejects it ({e}), the fast path does not"))?;
    if fast.len() != full.len() {
        return Err(format!("{} documents vs {}", fast.len(), full.len()));
    }
    for (i, (a, b)) in fast.iter().zip(&full).enumerate() {
        same(&a.root, &b.root, &format!("doc {i}"))?;
    }
    Ok(true)
}

fn yaml_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in [
        "fixtures",
        "tests",
        "fuzz/seeds",
        ".pre-commit-hooks.yaml",
        "action.yml",
    ] {
        let p = root().join(dir);
        if p.is_file() {
            out.push(p);
            continue;
        }
        for e in ignore::WalkBuilder::new(&p).hidden(false).build().flatten() {
            if e.file_type().is_some_and(|t| t.is_file()) {
                out.push(e.into_path());
            }
        }
    }
    out.sort();
    out
}

fn text(p: &Path) -> Option<String> {
    std::fs::read_to_string(p).ok()
}

#[test]
fn agrees_on_every_file_in_the_repository() {
    let (mut answered, mut declined) = (0, 0);
    let mut failures = Vec::new();
    for p in yaml_files() {
        let Some(src) = text(&p) else { continue };
        match agree(&src) {
            Ok(true) => answered += 1,
            Ok(false) => declined += 1,
            Err(e) => failures.push(format!("{}: {e}", p.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Most manifests are block style: the fast path must actually be taken.
    assert!(
        answered > 100,
        "fast path answered {answered}, declined {declined}"
    );
}

/// Bytes that change what YAML means.
const SIGNIFICANT: &[u8] = b" \n-:#'\"|>&*!?[]{},%@`\\\t~0a\0\x01\x7f\r";

#[test]
fn agrees_on_mutations_of_the_fixtures() {
    let files: Vec<String> = yaml_files()
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .filter_map(|p| text(p))
        .filter(|t| t.len() < 20_000)
        .collect();
    assert!(!files.is_empty());
    let mut seed: u64 = 0x00c0_ffee_1234_5678;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (mut answered, mut failures) = (0, Vec::new());
    for round in 0..6000 {
        let base = files[(next() % files.len() as u64) as usize].as_bytes();
        let mut b = base.to_vec();
        for _ in 0..1 + next() % 3 {
            if b.is_empty() {
                break;
            }
            let at = (next() % b.len() as u64) as usize;
            let c = SIGNIFICANT[(next() % SIGNIFICANT.len() as u64) as usize];
            match next() % 3 {
                0 => b.insert(at, c),
                1 => {
                    b.remove(at);
                }
                _ => b[at] = c,
            }
        }
        let Ok(src) = String::from_utf8(b) else {
            continue;
        };
        match agree(&src) {
            Ok(true) => answered += 1,
            Ok(false) => {}
            Err(e) => failures.push(format!("round {round}: {e}\n{src}")),
        }
        if failures.len() > 3 {
            break;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n----\n"));
    assert!(answered > 1000, "only {answered} mutations were answered");
}

/// A generated block-style document.
fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9.-]{0,8}",
        "[a-z]{1,4} [a-z]{1,4}",
        "[0-9]{1,4}",
        Just("~".to_string()),
        Just("null".to_string()),
        Just("a:b".to_string()),
        Just("a #b".to_string()),
        Just("x#y".to_string()),
        Just("-x".to_string()),
        "'[a-z ']{0,6}'",
        "\"[a-z \\\\\"n]{0,6}\"",
        "\"\\\\u00[4-6][0-9a-f]\"",
    ]
}

#[derive(Debug, Clone)]
enum Gen {
    Scalar(String),
    Block(String, Vec<String>),
    Map(Vec<(String, Gen)>),
    Seq(Vec<Gen>),
}

fn document() -> impl Strategy<Value = Gen> {
    let leaf = prop_oneof![
        4 => scalar().prop_map(Gen::Scalar),
        1 => (
            prop_oneof![Just("|"), Just("|-"), Just("|+"), Just(">"), Just(">-"), Just(">+")],
            prop::collection::vec(prop_oneof!["[a-z ]{0,6}", Just(String::new())], 1..4)
        )
            .prop_map(|(h, l)| Gen::Block(h.to_string(), l)),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(("[a-z]{1,5}", inner.clone()), 1..4).prop_map(|mut v| {
                let mut seen = std::collections::HashSet::new();
                v.retain(|(k, _)| seen.insert(k.clone()));
                Gen::Map(v)
            }),
            prop::collection::vec(inner, 1..4).prop_map(Gen::Seq),
        ]
    })
}

/// Render with a given indentation step; `indentless` writes a mapping's
/// sequences at the key's own indentation.
fn render(g: &Gen, indent: usize, step: usize, indentless: bool, out: &mut String) {
    let pad = " ".repeat(indent);
    match g {
        Gen::Scalar(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Gen::Block(h, lines) => {
            out.push_str(h);
            out.push('\n');
            for l in lines {
                if !l.trim().is_empty() {
                    out.push_str(&" ".repeat(indent + step));
                    out.push_str(l.trim());
                }
                out.push('\n');
            }
        }
        Gen::Map(entries) => {
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(&pad);
                }
                out.push_str(k);
                out.push(':');
                match v {
                    Gen::Map(_) => {
                        out.push('\n');
                        out.push_str(&" ".repeat(indent + step));
                        render(v, indent + step, step, indentless, out);
                    }
                    Gen::Seq(_) => {
                        out.push('\n');
                        let at = if indentless { indent } else { indent + step };
                        out.push_str(&" ".repeat(at));
                        render(v, at, step, indentless, out);
                    }
                    _ => {
                        out.push(' ');
                        render(v, indent, step, indentless, out);
                    }
                }
            }
        }
        Gen::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(&pad);
                }
                out.push_str("- ");
                render(item, indent + 2, step, indentless, out);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn agrees_on_generated_block_documents(
        docs in prop::collection::vec(document(), 1..3),
        step in 1usize..5,
        indentless in any::<bool>(),
        comment in any::<bool>(),
    ) {
        let mut src = String::new();
        for (i, d) in docs.iter().enumerate() {
            if i > 0 || comment {
                src.push_str("---\n");
            }
            if comment {
                src.push_str("# a comment\n\n");
            }
            render(d, 0, step, indentless, &mut src);
        }
        if let Err(e) = agree(&src) {
            prop_assert!(false, "{e}\n{src}");
        }
    }
}
