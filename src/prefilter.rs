//! The byte prefilter: which files can matter, decided without parsing.
//!
//! A file is parsed only if its bytes contain something a trigger, a snapshot or
//! the lookup policy could act on. The needles are sound for YAML and JSON: a key
//! or value can hide a needle only behind an escape (`\u0049`, `\x49`, `\/`, or a
//! backslash at a line end in a double-quoted scalar), and a file with any such
//! escape is always parsed. Folding a multi-line scalar inserts a space, so it
//! cannot join a needle's halves.

use std::sync::OnceLock;

use memchr::memmem::Finder;

/// Needles that make a file worth evaluating.
const MATTERS: &[&str] = &[
    // The trigger annotation (also the key of `oc set triggers`' output).
    "image.openshift.io/triggers",
    // ImageStream, ImageStreamTag and ImageStreamImage: snapshots, and the
    // `from.kind` of DeploymentConfig and BuildConfig triggers.
    "ImageStream",
    "DeploymentConfig",
    "BuildConfig",
    // `alpha.image.policy.openshift.io/resolve-names`.
    "resolve-names",
];

fn finders() -> &'static [Finder<'static>] {
    static F: OnceLock<Vec<Finder<'static>>> = OnceLock::new();
    F.get_or_init(|| MATTERS.iter().map(|n| Finder::new(n.as_bytes())).collect())
}

fn image_stream() -> &'static Finder<'static> {
    static F: OnceLock<Finder<'static>> = OnceLock::new();
    F.get_or_init(|| Finder::new(b"ImageStream"))
}

/// An escape that could spell a needle's letters, `/` or `.`.
fn has_escape(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'\\', bytes).any(|i| {
        matches!(
            bytes.get(i + 1),
            Some(b'u' | b'U' | b'x' | b'/' | b'\n' | b'\r')
        )
    })
}

/// Whether the file may hold anything streampin acts on or reports.
pub fn may_matter(bytes: &[u8]) -> bool {
    finders().iter().any(|f| f.find(bytes).is_some()) || has_escape(bytes)
}

/// Whether the file may hold an ImageStream: the word, not as part of
/// `ImageStreamTag` or `ImageStreamImage`.
pub fn may_hold_imagestream(bytes: &[u8]) -> bool {
    image_stream().find_iter(bytes).any(|i| {
        !bytes
            .get(i + "ImageStream".len())
            .is_some_and(|c| c.is_ascii_alphanumeric())
    }) || has_escape(bytes)
}

/// The names of lookup-enabled streams: a file naming none of them cannot be
/// resolved by the lookup policy.
#[derive(Default)]
pub struct Names {
    finders: Vec<Finder<'static>>,
}

impl Names {
    /// Needles for these names (deduplicated).
    pub fn new<'n>(names: impl Iterator<Item = &'n str>) -> Names {
        let mut names: Vec<&str> = names.filter(|n| !n.is_empty()).collect();
        names.sort_unstable();
        names.dedup();
        Names {
            finders: names
                .into_iter()
                .map(|n| Finder::new(n.as_bytes()).into_owned())
                .collect(),
        }
    }

    /// Whether any name occurs in `bytes` (or an escape could hide one).
    pub fn any_in(&self, bytes: &[u8]) -> bool {
        !self.finders.is_empty()
            && (self.finders.iter().any(|f| f.find(bytes).is_some()) || has_escape(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needles_and_escapes() {
        assert!(may_matter(
            b"metadata:\n  annotations:\n    image.openshift.io/triggers: '[]'\n"
        ));
        assert!(may_matter(b"kind: DeploymentConfig\n"));
        assert!(may_matter(b"{\"kind\":\"ImageStream\"}"));
        assert!(!may_matter(b"kind: ConfigMap\ndata:\n  a: \"line\\n\"\n"));
        // Escapes that could spell a needle: parse to be sure.
        assert!(may_matter(b"k: \"image.openshift.io\\/triggers\"\n"));
        assert!(may_matter(b"k: \"Image\\u0053tream\"\n"));
        assert!(may_matter(b"k: \"Image\\x53tream\"\n"));
        assert!(may_matter(b"k: \"image.openshift.io/trig\\\n  gers\"\n"));
    }

    #[test]
    fn imagestream_word() {
        assert!(may_hold_imagestream(b"kind: ImageStream\n"));
        assert!(may_hold_imagestream(b"kind: ImageStream"));
        assert!(may_hold_imagestream(b"{\"kind\":\"ImageStream\"}"));
        assert!(may_hold_imagestream(
            b"kind: ImageStreamList\nitems: []\nkind: ImageStream\n"
        ));
        assert!(!may_hold_imagestream(b"from:\n  kind: ImageStreamTag\n"));
        assert!(!may_hold_imagestream(b"kind: ImageStreamImage\n"));
    }

    #[test]
    fn lookup_names() {
        let none = Names::new(std::iter::empty());
        assert!(!none.any_in(b"image: app:1 \\u0041"));
        let names = Names::new(["app", "", "app", "db"].into_iter());
        assert!(names.any_in(b"image: db:1\n"));
        assert!(!names.any_in(b"image: web:1\n"));
        assert!(names.any_in(b"image: \"\\x61pp:1\"\n"));
    }
}
