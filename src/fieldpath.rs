//! The trigger `fieldPath` grammar, exactly as library-go parses it
//! (`parseContainerReference` / `findContainerBySelector`, openshift-reference.md
//! section 2), plus the deliberate single-quote deviation of semantics.md rule 2.
//!
//! Pure: a string in, a decision out. Finding the container in YAML is done by the
//! caller with the returned selector.

use crate::manifest::ContainerList;

/// A parsed fieldPath.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldPath {
    /// The path does not start with the kind's pod spec base: silently ignored.
    Skipped,
    /// The path addresses a container's image.
    Target(Target),
    /// "field path is not valid".
    Invalid,
}

/// What a valid path selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The list the path names (`containers` or `initContainers`).
    pub list: ContainerList,
    /// The selector.
    pub selector: Selector,
    /// Accidental forms the cluster accepts (for `fieldpath-quirk`).
    pub quirks: Vec<&'static str>,
}

/// How the container is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// `[N]` as `strconv.Atoi` reads it: index into the named list.
    Index(i64),
    /// `[?(@.name=="x")]`: name lookup across init containers, then containers.
    Name {
        /// The container name.
        name: String,
        /// Written with single quotes (semantics.md rule 2).
        single_quoted: bool,
    },
    /// Anything else: "no such container".
    Unmatched,
}

/// Parse `field_path` for a kind whose pod spec base is `base` (with trailing dot).
pub fn parse(field_path: &str, base: &str) -> FieldPath {
    let Some(rest) = field_path.strip_prefix(base) else {
        return FieldPath::Skipped;
    };
    let (list, rest) = if let Some(r) = rest.strip_prefix("containers[") {
        (ContainerList::Regular, r)
    } else if let Some(r) = rest.strip_prefix("initContainers[") {
        (ContainerList::Init, r)
    } else {
        return FieldPath::Invalid;
    };
    let Some(close) = rest.find(']') else {
        return FieldPath::Invalid;
    };
    let selector = &rest[..close];
    let after = &rest[close + 1..];
    let mut quirks = Vec::new();
    let after = match after.strip_prefix('.') {
        Some(a) => a,
        None => {
            quirks.push("no `.` before `image`");
            after
        }
    };
    if after != "image" {
        return FieldPath::Invalid;
    }
    let selector = parse_selector(selector, &mut quirks);
    FieldPath::Target(Target {
        list,
        selector,
        quirks,
    })
}

fn parse_selector(s: &str, quirks: &mut Vec<&'static str>) -> Selector {
    if let Some(i) = go_atoi(s) {
        if s.starts_with('+') {
            quirks.push("a `+` sign in the index");
        } else if s.trim_start_matches('-').len() > 1 && s.trim_start_matches('-').starts_with('0')
        {
            quirks.push("a leading zero in the index");
        }
        return Selector::Index(i);
    }
    const PREFIX: &str = "?(@.name==\"";
    const SUFFIX: &str = "\")";
    let trimmed = s.strip_prefix(PREFIX).unwrap_or(s);
    let trimmed = trimmed.strip_suffix(SUFFIX).unwrap_or(trimmed);
    if trimmed != s {
        if !(s.starts_with(PREFIX) && s.ends_with(SUFFIX) && s.len() >= PREFIX.len() + SUFFIX.len())
        {
            quirks.push("an incomplete name selector");
        }
        return Selector::Name {
            name: trimmed.to_string(),
            single_quoted: false,
        };
    }
    // semantics.md rule 2: the documentation's single-quoted spellings.
    for prefix in ["?(@.name=='", "?(@.name='"] {
        if let Some(name) = s.strip_prefix(prefix).and_then(|r| r.strip_suffix("')")) {
            return Selector::Name {
                name: name.to_string(),
                single_quoted: true,
            };
        }
    }
    Selector::Unmatched
}

/// Go `strconv.Atoi`: optional sign, at least one decimal digit, fits in 64 bits.
pub fn go_atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.strip_prefix('+').unwrap_or(s).parse::<i64>().ok()
}

/// Canonical form of a path (as `oc set triggers` writes it) for a name.
pub fn name_path(base: &str, name: &str) -> String {
    format!("{base}containers[?(@.name==\"{name}\")].image")
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: &str = "spec.template.spec.";

    fn target(p: &str) -> Target {
        match parse(p, B) {
            FieldPath::Target(t) => t,
            other => panic!("{p}: {other:?}"),
        }
    }

    #[test]
    fn accepted_forms() {
        assert_eq!(
            target("spec.template.spec.containers[0].image").selector,
            Selector::Index(0)
        );
        assert_eq!(
            target("spec.template.spec.containers[+1].image").selector,
            Selector::Index(1)
        );
        assert_eq!(
            target("spec.template.spec.containers[01].image").selector,
            Selector::Index(1)
        );
        assert_eq!(
            target("spec.template.spec.containers[-1].image").selector,
            Selector::Index(-1)
        );
        let t = target("spec.template.spec.containers[0]image");
        assert_eq!(t.quirks, vec!["no `.` before `image`"]);
        assert_eq!(
            target("spec.template.spec.initContainers[?(@.name==\"x\")].image").selector,
            Selector::Name {
                name: "x".into(),
                single_quoted: false
            }
        );
    }

    #[test]
    fn rejected_and_skipped() {
        assert_eq!(parse("spec.containers[0].image", B), FieldPath::Skipped);
        assert_eq!(parse("", B), FieldPath::Skipped);
        assert_eq!(
            parse("spec.template.spec.containers[0]", B),
            FieldPath::Invalid
        );
        assert_eq!(
            parse("spec.template.spec.containers[0].Image", B),
            FieldPath::Invalid
        );
        assert_eq!(
            parse("spec.template.spec.containers[?(@.name==\"a\").image", B),
            FieldPath::Invalid
        );
        assert_eq!(
            parse("spec.template.spec.volumes[0].image", B),
            FieldPath::Invalid
        );
        assert_eq!(
            target("spec.template.spec.containers[*].image").selector,
            Selector::Unmatched
        );
        assert_eq!(
            target("spec.template.spec.containers[?(@.name == \"web\")].image").selector,
            // Go trims only the `")` suffix, then finds no container of that name.
            Selector::Name {
                name: "?(@.name == \"web".into(),
                single_quoted: false
            }
        );
    }

    #[test]
    fn single_quotes_are_a_documented_deviation() {
        for p in [
            "spec.template.spec.containers[?(@.name=='web')].image",
            "spec.template.spec.containers[?(@.name='web')].image",
        ] {
            assert_eq!(
                target(p).selector,
                Selector::Name {
                    name: "web".into(),
                    single_quoted: true
                }
            );
        }
    }

    #[test]
    fn atoi_like_go() {
        assert_eq!(go_atoi("007"), Some(7));
        assert_eq!(go_atoi("+3"), Some(3));
        assert_eq!(go_atoi("-0"), Some(0));
        assert_eq!(go_atoi("+-1"), None);
        assert_eq!(go_atoi(""), None);
        assert_eq!(go_atoi("99999999999999999999"), None);
        assert_eq!(go_atoi(" 1"), None);
    }
}
