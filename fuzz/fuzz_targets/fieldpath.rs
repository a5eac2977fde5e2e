//! `fieldpath::parse(field_path, base)`: never panics; a path is skipped exactly
//! when it does not start with the base; a target names the list its text names,
//! ends in `image`, and its selector written back canonically parses to the same
//! selector with no quirks.
//!
//! Input: `base NUL path`, or just a path (then the base is a Deployment's
//! `spec.template.spec.`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use streampin::fieldpath::{FieldPath, Selector, Target, go_atoi, parse};
use streampin::manifest::ContainerList;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (base, path) = text
        .split_once('\0')
        .unwrap_or(("spec.template.spec.", text));
    let parsed = parse(path, base);
    assert_eq!(
        matches!(parsed, FieldPath::Skipped),
        !path.starts_with(base),
        "{path:?} for base {base:?}: {parsed:?}"
    );
    let FieldPath::Target(t) = parsed else {
        return;
    };
    let rest = &path[base.len()..];
    let list = match t.list {
        ContainerList::Regular => "containers",
        ContainerList::Init => "initContainers",
    };
    assert!(
        rest.starts_with(&format!("{list}[")),
        "{path:?} is a {list} target"
    );
    assert!(path.ends_with("image"), "{path:?} is a target");
    let inside = &rest[list.len() + 1..];
    let selector_text = &inside[..inside.find(']').expect("a target has `]`")];
    match &t.selector {
        Selector::Index(i) => {
            assert_eq!(go_atoi(selector_text), Some(*i), "{path:?}");
            canonical(base, list, &i.to_string(), &t);
        }
        Selector::Name { name, .. } => {
            // Only a name without `]` can be written back (the path ends at the first `]`).
            if !name.contains(']') {
                canonical(base, list, &format!("?(@.name==\"{name}\")"), &t);
            }
        }
        Selector::Unmatched => {
            assert_eq!(go_atoi(selector_text), None, "{path:?}");
        }
    }
});

/// The canonical spelling of the target parses to the same list and selector
/// (single quotes become double), without quirks.
fn canonical(base: &str, list: &str, selector: &str, t: &Target) {
    let path = format!("{base}{list}[{selector}].image");
    let FieldPath::Target(again) = parse(&path, base) else {
        panic!("canonical {path:?} is not a target");
    };
    let want = match &t.selector {
        Selector::Name { name, .. } => Selector::Name {
            name: name.clone(),
            single_quoted: false,
        },
        other => other.clone(),
    };
    assert_eq!(
        (again.list, &again.selector),
        (t.list, &want),
        "canonical {path:?}"
    );
    assert!(
        again.quirks.is_empty(),
        "canonical {path:?}: {:?}",
        again.quirks
    );
}
