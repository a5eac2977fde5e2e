//! The only byte splicer. Input is text plus edits; output is new text or an error.
//!
//! Edits are checked (bounds, char boundaries, the bytes expected at the range,
//! overlaps), identical repeats are merged, pure insertions are allowed, and the
//! edits are applied back to front so earlier offsets stay valid. Knows nothing
//! of YAML or Kubernetes.

use std::ops::Range;

/// Replace `range` (which must currently hold `expected_old`) with `new`.
/// An empty range is an insertion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edit {
    /// Byte range in the original text.
    pub range: Range<usize>,
    /// The bytes the range must hold now (guards against a stale plan).
    pub expected_old: String,
    /// The replacement text.
    pub new: String,
}

/// Why a set of edits cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// A range lies outside the text or splits a character.
    #[error("edit range {0:?} is out of bounds")]
    OutOfBounds(Range<usize>),
    /// The text at a range is not what the plan expected.
    #[error("text at {range:?} is `{found}`, expected `{expected}`")]
    Stale {
        /// The range.
        range: Range<usize>,
        /// What the plan expected.
        expected: String,
        /// What the text holds.
        found: String,
    },
    /// Two different edits touch the same bytes.
    #[error("edits at {0:?} and {1:?} overlap")]
    Overlap(Range<usize>, Range<usize>),
}

impl Edit {
    /// Build an edit that replaces `range` of `text` with `new`.
    pub fn replace(text: &str, range: Range<usize>, new: impl Into<String>) -> Edit {
        Edit {
            expected_old: text.get(range.clone()).unwrap_or_default().to_string(),
            range,
            new: new.into(),
        }
    }

    /// Build an insertion of `new` at `at`.
    pub fn insert(at: usize, new: impl Into<String>) -> Edit {
        Edit {
            range: at..at,
            expected_old: String::new(),
            new: new.into(),
        }
    }
}

/// Apply `edits` to `text`. Identical duplicates count once; two insertions at one
/// offset keep their given order.
pub fn apply(text: &str, edits: &[Edit]) -> Result<String, EditError> {
    let mut sorted: Vec<(usize, &Edit)> = edits.iter().enumerate().collect();
    sorted.sort_by(|(ia, a), (ib, b)| {
        (a.range.start, a.range.end, *ia).cmp(&(b.range.start, b.range.end, *ib))
    });
    sorted.dedup_by(|(_, b), (_, a)| a == b);
    for (_, e) in &sorted {
        let r = &e.range;
        if r.start > r.end
            || r.end > text.len()
            || !text.is_char_boundary(r.start)
            || !text.is_char_boundary(r.end)
        {
            return Err(EditError::OutOfBounds(r.clone()));
        }
        if text[r.clone()] != e.expected_old {
            return Err(EditError::Stale {
                range: r.clone(),
                expected: e.expected_old.clone(),
                found: text[r.clone()].to_string(),
            });
        }
    }
    for pair in sorted.windows(2) {
        let (a, b) = (&pair[0].1.range, &pair[1].1.range);
        // Replacements may not share bytes; an insertion may sit at a boundary.
        let touching_insert = a.is_empty() || b.is_empty();
        if b.start < a.end || (b.start == a.start && !touching_insert) {
            return Err(EditError::Overlap(a.clone(), b.clone()));
        }
    }
    let mut out = String::with_capacity(text.len() + 64);
    let mut pos = 0;
    for (_, e) in &sorted {
        out.push_str(&text[pos..e.range.start]);
        out.push_str(&e.new);
        pos = e.range.end;
    }
    out.push_str(&text[pos..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_grow_shrink_and_ends() {
        let t = "ab\r\ncd";
        let out = apply(
            t,
            &[Edit::replace(t, 0..1, "XYZ"), Edit::replace(t, 5..6, "")],
        )
        .unwrap();
        assert_eq!(out, "XYZb\r\nc");
    }

    #[test]
    fn insertion_and_identical_repeat() {
        let t = "abc";
        let e = Edit::replace(t, 1..2, "Q");
        let out = apply(
            t,
            &[e.clone(), e, Edit::insert(3, "!"), Edit::insert(0, ">")],
        )
        .unwrap();
        assert_eq!(out, ">aQc!");
    }

    #[test]
    fn rejects_overlap_stale_and_bounds() {
        let t = "abcdef";
        assert!(matches!(
            apply(
                t,
                &[Edit::replace(t, 0..3, "x"), Edit::replace(t, 2..4, "y")]
            ),
            Err(EditError::Overlap(..))
        ));
        let mut stale = Edit::replace(t, 0..1, "x");
        stale.expected_old = "z".into();
        assert!(matches!(apply(t, &[stale]), Err(EditError::Stale { .. })));
        assert!(matches!(
            apply(t, &[Edit::replace(t, 4..9, "x")]),
            Err(EditError::OutOfBounds(_))
        ));
        let u = "ü";
        assert!(matches!(
            apply(u, &[Edit::insert(1, "x")]),
            Err(EditError::OutOfBounds(_))
        ));
    }

    #[test]
    fn multibyte_and_bom_untouched() {
        let t = "\u{feff}é: 'a'\n";
        let at = t.find("'a'").unwrap();
        let out = apply(t, &[Edit::replace(t, at..at + 3, "'bb'")]).unwrap();
        assert_eq!(out, "\u{feff}é: 'bb'\n");
    }
}
