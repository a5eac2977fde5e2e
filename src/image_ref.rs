//! Image pull specs, parsed and rendered exactly as OpenShift's library-go does
//! (`reference.Parse` on top of the distribution reference grammar, and `Exact()`).
//!
//! Pure: no I/O, no YAML. The split into registry / namespace / name follows
//! library-go, not the Docker CLI: nothing is normalised (`nginx` stays `nginx`).

use std::fmt;

/// Longest repository name the grammar accepts (`NameTotalLengthMax`).
const NAME_TOTAL_LENGTH_MAX: usize = 255;

/// A parsed image reference: `[registry/][namespace/]name[:tag][@id]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageRef {
    /// Registry host (with port), when the first path component looks like one.
    pub registry: String,
    /// First path component after the registry, when there are two or more.
    pub namespace: String,
    /// The rest of the path (may itself contain `/`).
    pub name: String,
    /// Tag, without the `:`.
    pub tag: String,
    /// Digest (`sha256:…`) or, for legacy images, an opaque id.
    pub id: String,
}

/// Why a pull spec does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    /// The empty string.
    #[error("repository name must have at least one component")]
    Empty,
    /// Upper-case letters in the repository path.
    #[error("repository name must be lowercase")]
    Uppercase,
    /// The text does not match the reference grammar.
    #[error("invalid reference format")]
    Format,
    /// The repository name is longer than 255 characters.
    #[error("repository name must not be more than {NAME_TOTAL_LENGTH_MAX} characters")]
    TooLong,
    /// The digest algorithm is unknown or its hex part has the wrong length.
    #[error("invalid digest")]
    Digest,
}

impl ImageRef {
    /// Parse like library-go `reference.Parse`.
    pub fn parse(spec: &str) -> Result<ImageRef, RefError> {
        let (name, tag, digest) = match match_reference(spec) {
            Some(parts) => parts,
            None => {
                return Err(if spec.is_empty() {
                    RefError::Empty
                } else if match_reference(&spec.to_lowercase()).is_some() {
                    RefError::Uppercase
                } else {
                    RefError::Format
                });
            }
        };
        if name.len() > NAME_TOTAL_LENGTH_MAX {
            return Err(RefError::TooLong);
        }
        if let Some(d) = digest {
            validate_digest(d)?;
        }
        let mut r = ImageRef::default();
        let slash = name.find('/');
        let registry_only =
            slash.is_none() && (name.contains('.') || name.starts_with("localhost"));
        let name_only = (slash.is_none() && !registry_only)
            || slash.is_some_and(|i| {
                let first = &name[..i];
                !first.contains([':', '.']) && first != "localhost"
            });
        if registry_only {
            // `String()` of the named reference: name, `:tag`, `@digest`.
            let mut s = name.to_string();
            if let Some(t) = tag {
                s.push(':');
                s.push_str(t);
            }
            if let Some(d) = digest {
                s.push('@');
                s.push_str(d);
            }
            r.registry = s;
        } else if name_only {
            r.name = name.to_string();
        } else if let Some(i) = slash {
            r.registry = name[..i].to_string();
            r.name = name[i + 1..].to_string();
        }
        if !registry_only && let Some(t) = tag {
            r.tag = t.to_string();
        }
        if let Some(d) = digest {
            r.id = d.to_string();
        }
        if let Some(i) = r.name.find('/') {
            r.namespace = r.name[..i].to_string();
            r.name = r.name[i + 1..].to_string();
        }
        Ok(r)
    }

    /// Whether the id parses as a digest (`algorithm:hex` of the right length).
    pub fn id_is_digest(&self) -> bool {
        !self.id.is_empty() && validate_digest_str(&self.id)
    }

    /// `NameString()`: the name with `@digest`, `:id` (legacy id), or `:tag`.
    fn name_string(&self) -> String {
        if self.name.is_empty() {
            String::new()
        } else if !self.id.is_empty() {
            let sep = if self.id_is_digest() { '@' } else { ':' };
            format!("{}{sep}{}", self.name, self.id)
        } else if !self.tag.is_empty() {
            format!("{}:{}", self.name, self.tag)
        } else {
            self.name.clone()
        }
    }

    /// `Exact()`: every set field, nothing defaulted.
    pub fn exact(&self) -> String {
        let mut s = self.registry.clone();
        if !s.is_empty() {
            s.push('/');
        }
        if !self.namespace.is_empty() {
            s.push_str(&self.namespace);
            s.push('/');
        }
        let name = self.name_string();
        if name.is_empty() {
            if self.registry.is_empty() {
                return String::new();
            }
            return s;
        }
        s + &name
    }

    /// Whether the reference names only a repository (no registry, no namespace):
    /// the "single segment" form that local lookup rewrites.
    pub fn is_single_segment(&self) -> bool {
        self.registry.is_empty() && self.namespace.is_empty()
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.exact())
    }
}

/// Whether `s` is a digest library-go accepts (`sha256:<64 hex>` and friends).
pub fn validate_digest_str(s: &str) -> bool {
    validate_digest(s).is_ok() && match_digest(s) == s.len()
}

fn validate_digest(d: &str) -> Result<(), RefError> {
    let Some(i) = d.find(':') else {
        return Err(RefError::Digest);
    };
    if i == 0 || i + 1 == d.len() {
        return Err(RefError::Digest);
    }
    let size = match &d[..i] {
        "sha256" => 32,
        "sha384" => 48,
        "sha512" => 64,
        _ => return Err(RefError::Digest),
    };
    let hex = &d[i + 1..];
    if hex.len() != size * 2 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(RefError::Digest);
    }
    Ok(())
}

// ---- the distribution reference grammar, as hand-written matchers ----
//
// ReferenceRegexp = ^(NAME)(?::(TAG))?(?:@(DIGEST))?$
// NAME   = (?:HOST/)?COMPONENT(?:/COMPONENT)*
// HOST   = HOSTCOMP(?:\.HOSTCOMP)*(?::[0-9]+)?
// HOSTCOMP = [a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
// COMPONENT = [a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*
// TAG    = [\w][\w.-]{0,127}
// DIGEST = [A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}

/// Split a full reference into (name, tag, digest), or `None` if it does not match.
fn match_reference(s: &str) -> Option<(&str, Option<&str>, Option<&str>)> {
    // The digest, if any, follows the last `@`; names and tags never contain `@`.
    let (rest, digest) = match s.rfind('@') {
        Some(i) => {
            let d = &s[i + 1..];
            if d.is_empty() || match_digest(d) != d.len() {
                return None;
            }
            (&s[..i], Some(d))
        }
        None => (s, None),
    };
    // A tag follows the last `:` when what follows contains no `/` and is a tag.
    // Otherwise the `:` belongs to a host port. Try the tag split first, as the
    // regex engine would (the name matcher is greedy but must leave `:TAG`).
    if let Some(i) = rest.rfind(':') {
        let tag = &rest[i + 1..];
        if !tag.contains('/') && is_tag(tag) && is_name(&rest[..i]) {
            return Some((&rest[..i], Some(tag), digest));
        }
    }
    if is_name(rest) {
        return Some((rest, None, digest));
    }
    None
}

fn is_tag(t: &str) -> bool {
    let b = t.as_bytes();
    if b.is_empty() || b.len() > 128 {
        return false;
    }
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    word(b[0]) && b[1..].iter().all(|&c| word(c) || c == b'.' || c == b'-')
}

/// Length of the longest prefix of `s` that matches DIGEST (0 if none).
fn match_digest(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    // algorithm: [A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*
    if i >= b.len() || !b[i].is_ascii_alphabetic() {
        return 0;
    }
    i += 1;
    loop {
        while i < b.len() && b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        if i + 1 < b.len()
            && matches!(b[i], b'-' | b'_' | b'+' | b'.')
            && b[i + 1].is_ascii_alphabetic()
        {
            i += 2;
            continue;
        }
        break;
    }
    if i >= b.len() || b[i] != b':' {
        return 0;
    }
    i += 1;
    let start = i;
    while i < b.len() && b[i].is_ascii_hexdigit() {
        i += 1;
    }
    if i - start < 32 {
        return 0;
    }
    i
}

fn is_name(s: &str) -> bool {
    if s.is_empty() {
        return false;
    }
    let parts: Vec<&str> = s.split('/').collect();
    // Either every part is a path component, or the first is a host and the
    // rest are path components (at least one).
    if parts.iter().all(|p| is_component(p)) {
        return true;
    }
    parts.len() >= 2 && is_host(parts[0]) && parts[1..].iter().all(|p| is_component(p))
}

fn is_component(p: &str) -> bool {
    let b = p.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    // Runs of alphanumerics separated by `.`, `_`, `__` or any number of `-`.
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &p[start..i];
        let ok = matches!(sep, "." | "_" | "__") || sep.bytes().all(|c| c == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn is_host(h: &str) -> bool {
    let (hosts, port) = match h.rfind(':') {
        Some(i) => (&h[..i], Some(&h[i + 1..])),
        None => (h, None),
    };
    if let Some(p) = port
        && (p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()))
    {
        return false;
    }
    !hosts.is_empty()
        && hosts.split('.').all(|c| {
            let b = c.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter().all(|&x| x.is_ascii_alphanumeric() || x == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:3c87c572822935df60f0f5d3665bd376841a7fcfeb806b5f212de6a00e9a7b25";

    #[test]
    fn splits_like_library_go() {
        let r = ImageRef::parse("quay.io/keycloak/keycloak:20").unwrap();
        assert_eq!(
            (
                r.registry.as_str(),
                r.namespace.as_str(),
                r.name.as_str(),
                r.tag.as_str()
            ),
            ("quay.io", "keycloak", "keycloak", "20")
        );
        let r = ImageRef::parse(&format!("bar:5000/foo/baz@{D}")).unwrap();
        assert_eq!(r.registry, "bar:5000");
        assert_eq!(r.id, D);
        assert_eq!(r.exact(), format!("bar:5000/foo/baz@{D}"));
    }

    #[test]
    fn port_versus_tag() {
        let r = ImageRef::parse("localhost:5000").unwrap();
        assert_eq!(r.registry, "localhost:5000");
        assert_eq!(r.tag, "");
        let r = ImageRef::parse("foo:5000").unwrap();
        assert_eq!((r.name.as_str(), r.tag.as_str()), ("foo", "5000"));
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            ":tag",
            "abc@badid",
            "foo/Bar",
            "a//b",
            "https://x/y",
            "x@sha256:00",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn legacy_id_renders_with_colon() {
        let mut r = ImageRef::parse("reg.example/ns/k:1").unwrap();
        r.tag.clear();
        r.id = "legacyid".into();
        assert_eq!(r.exact(), "reg.example/ns/k:legacyid");
    }
}
