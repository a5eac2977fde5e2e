//! Turning "this node should hold this value" into an `Edit` that keeps the
//! file's style: the scalar's quoting, a one-line block scalar's header, the
//! indentation and line endings of siblings for an inserted key.
//!
//! Produces edits; never applies them (that is `edit`).

use crate::edit::Edit;
use crate::manifest::yaml::{Node, NodeKind, Style};

/// Why a node cannot be rewritten without changing more than its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotEditable(pub String);

/// An edit that makes the scalar `node` hold `value`, in the node's own style.
pub fn set_scalar(src: &str, node: &Node<'_>, value: &str) -> Result<Edit, NotEditable> {
    let token = src.get(node.span.clone()).unwrap_or_default();
    let (old, style) = match &node.kind {
        NodeKind::Alias(_) => {
            return Err(NotEditable(format!(
                "the value is the alias `{token}`; changing it would mean changing the anchor it shares, so it is left alone"
            )));
        }
        NodeKind::Scalar { value, style, .. } => (value, *style),
        _ => return Err(NotEditable("the value is not a scalar".into())),
    };
    if node.anchor != 0 {
        return Err(NotEditable(
            "the value carries an anchor (`&…`) that aliases may share, so it is left alone".into(),
        ));
    }
    if value.contains(['\n', '\r']) {
        return Err(NotEditable("the new value spans lines".into()));
    }
    let range = node.span.clone();
    let text = match style {
        Style::Plain if range.is_empty() => {
            // `image:` with nothing after it: the empty scalar sits at the colon,
            // or after its tag (`image: !!str`). The value needs a space before it
            // (else it joins the colon or the tag) and one before a comment
            // (`image: # note`, else the `#` joins the value).
            let rest = &src[range.start..];
            let at = if rest.starts_with(": ") {
                range.start + 2
            } else if rest.starts_with(':') {
                range.start + 1
            } else {
                range.start
            };
            let before = if src[..at].ends_with(char::is_whitespace) {
                ""
            } else {
                " "
            };
            let after = if src[at..].starts_with('#') { " " } else { "" };
            return Ok(Edit::insert(
                at,
                format!("{before}{}{after}", plain_or_double(value)),
            ));
        }
        Style::Plain => plain_or_double(value),
        Style::SingleQuoted => format!("'{}'", value.replace('\'', "''")),
        Style::DoubleQuoted => double_quoted(value),
        Style::Literal | Style::Folded => {
            let content = old.as_ref();
            if content.contains('\n') || content.is_empty() || !token.starts_with(content) {
                return Err(NotEditable(
                    "the value is a block scalar of more than one line (or with a kept final newline); rewrite it as one line".into(),
                ));
            }
            if value.starts_with([' ', '\t']) || value.is_empty() {
                return Err(NotEditable(
                    "the new value cannot be written in a block scalar".into(),
                ));
            }
            return Ok(Edit::replace(
                src,
                range.start..range.start + content.len(),
                value,
            ));
        }
    };
    Ok(Edit::replace(src, range, text))
}

/// An edit that inserts `key: value` into the mapping `map`, before its first
/// key, with the first key's indentation (block) or as a flow entry.
pub fn insert_entry(
    src: &str,
    map: &Node<'_>,
    key: &str,
    value: &str,
) -> Result<Edit, NotEditable> {
    let NodeKind::Map { entries, flow } = &map.kind else {
        return Err(NotEditable("the container is not a mapping".into()));
    };
    if map.anchor != 0 {
        return Err(NotEditable(
            "the container mapping carries an anchor that aliases may share".into(),
        ));
    }
    let Some((first_key, _)) = entries.first() else {
        if *flow && src.get(map.span.start..map.span.start + 1) == Some("{") {
            return Ok(Edit::insert(
                map.span.start + 1,
                format!("{key}: {}", plain_or_double(value)),
            ));
        }
        return Err(NotEditable("the container mapping is empty".into()));
    };
    let json_style = first_key.style() == Some(Style::DoubleQuoted);
    let entry = if json_style {
        format!("{}: {}", double_quoted(key), double_quoted(value))
    } else {
        format!("{key}: {}", plain_or_double(value))
    };
    let at = first_key.span.start;
    if *flow {
        // Inserted before the first key, the entry would take over the key's tag or
        // anchor (`{&a name: x}`); without braces (a single pair in a flow sequence,
        // `[name: x]`) it would become an item of its own.
        let Some(inside) = src[map.span.start..at].strip_prefix('{') else {
            return Err(NotEditable(
                "the container mapping is a single pair in a flow sequence, without braces".into(),
            ));
        };
        if !inside.lines().all(|l| {
            let l = l.trim();
            l.is_empty() || l.starts_with('#')
        }) {
            return Err(NotEditable(
                "the container mapping's first key carries a tag or an anchor".into(),
            ));
        }
        return Ok(Edit::insert(at, format!("{entry}, ")));
    }
    let line_start = src[..at].rfind('\n').map_or(0, |i| i + 1);
    let prefix = &src[line_start..at];
    let prefix = prefix.strip_prefix('\u{feff}').unwrap_or(prefix);
    if !prefix.chars().all(|c| c == ' ' || c == '-') {
        return Err(NotEditable(
            "the container mapping's first key does not start its line".into(),
        ));
    }
    let eol = if src.contains("\r\n") { "\r\n" } else { "\n" };
    let indent = " ".repeat(prefix.chars().count());
    Ok(Edit::insert(at, format!("{entry}{eol}{indent}")))
}

/// Write `v` plain when YAML reads it back as the same string, else double-quoted.
pub fn plain_or_double(v: &str) -> String {
    if plain_safe(v) {
        v.to_string()
    } else {
        double_quoted(v)
    }
}

/// Whether `v` can be written as a plain scalar, in block or flow context, and
/// read back as the same string.
pub fn plain_safe(v: &str) -> bool {
    let Some(first) = v.chars().next() else {
        return false;
    };
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) || first.is_whitespace() {
        return false;
    }
    if v.ends_with(char::is_whitespace) || v.ends_with(':') {
        return false;
    }
    // One pass over the bytes: `: `, ` #`, flow indicators and ASCII controls;
    // characters beyond ASCII are checked as characters, if there are any.
    let mut beyond_ascii = false;
    for (i, &c) in v.as_bytes().iter().enumerate() {
        match c {
            b',' | b'[' | b']' | b'{' | b'}' | 0x00..=0x1f | 0x7f => return false,
            b':' if v.as_bytes().get(i + 1) == Some(&b' ') => return false,
            b'#' if i > 0 && v.as_bytes()[i - 1] == b' ' => return false,
            0x80.. => beyond_ascii = true,
            _ => {}
        }
    }
    if beyond_ascii && v.chars().any(|c| c.is_control() || c == '\u{feff}') {
        return false;
    }
    // Anything YAML would resolve to a non-string (checked without copying
    // the value: a pinned reference is long, and none of these is).
    if v.len() <= 5
        && [
            "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n",
        ]
        .iter()
        .any(|k| v.eq_ignore_ascii_case(k))
    {
        return false;
    }
    let b = v.as_bytes();
    // `f64` parsing only succeeds on a sign, a digit, a dot, `inf` or `nan`.
    if matches!(b[0], b'0'..=b'9' | b'+' | b'.' | b'i' | b'I' | b'n' | b'N')
        && v.parse::<f64>().is_ok()
    {
        return false;
    }
    if b[0] == b'.' || (b.len() >= 2 && b[0] == b'0' && matches!(b[1], b'x' | b'X' | b'o' | b'O')) {
        return false;
    }
    true
}

/// A double-quoted YAML scalar.
pub fn double_quoted(v: &str) -> String {
    let mut s = String::with_capacity(v.len() + 2);
    s.push('"');
    for c in v.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\t' => s.push_str("\\t"),
            c if c.is_control() => s.push_str(&format!("\\u{:04x}", c as u32)),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::apply;
    use crate::manifest::yaml::parse;

    fn rewrite(src: &str, v: &str) -> Result<String, NotEditable> {
        let docs = parse(src).unwrap();
        let n = docs[0].root.get("image").unwrap();
        let e = set_scalar(src, n, v)?;
        Ok(apply(src, &[e]).unwrap())
    }

    #[test]
    fn keeps_styles() {
        assert_eq!(
            rewrite("image: a\n", "b@sha256:1").unwrap(),
            "image: b@sha256:1\n"
        );
        assert_eq!(
            rewrite("image: 'a' # c\n", "it's").unwrap(),
            "image: 'it''s' # c\n"
        );
        assert_eq!(rewrite("image: \" \"\n", "b").unwrap(), "image: \"b\"\n");
        assert_eq!(
            rewrite("image: >-\n  a\nx: 1\n", "bb").unwrap(),
            "image: >-\n  bb\nx: 1\n"
        );
        assert_eq!(rewrite("image:\nx: 1\n", "b").unwrap(), "image: b\nx: 1\n");
        assert_eq!(rewrite("image: ~\n", "b").unwrap(), "image: b\n");
        assert_eq!(rewrite("image: \nx: 1\n", "b").unwrap(), "image: b\nx: 1\n");
    }

    #[test]
    fn refuses_shared_and_multiline() {
        assert!(rewrite("x: &a v\nimage: *a\n", "b").is_err());
        assert!(rewrite("image: &a v\n", "b").is_err());
        assert!(rewrite("image: |\n  a\n  b\n", "b").is_err());
    }

    #[test]
    fn inserts_with_sibling_indentation() {
        let src = "containers:\n  - name: web\r\n    ports: []\r\n";
        let docs = parse(src).unwrap();
        let c = &docs[0].root.get("containers").unwrap().items()[0];
        let e = insert_entry(src, c, "image", "x").unwrap();
        assert_eq!(
            apply(src, &[e]).unwrap(),
            "containers:\n  - image: x\r\n    name: web\r\n    ports: []\r\n"
        );
        let src = "{\"containers\": [{\"name\": \"web\"}]}";
        let docs = parse(src).unwrap();
        let c = &docs[0].root.get("containers").unwrap().items()[0];
        let e = insert_entry(src, c, "image", "x").unwrap();
        assert_eq!(
            apply(src, &[e]).unwrap(),
            "{\"containers\": [{\"image\": \"x\", \"name\": \"web\"}]}"
        );
    }

    /// The checks as first written (copying the value to lower case, parsing
    /// every value as a number): the faster ones must agree on every input.
    fn plain_safe_reference(v: &str) -> bool {
        let Some(first) = v.chars().next() else {
            return false;
        };
        if "-?:,[]{}#&*!|>'\"%@`".contains(first) || first.is_whitespace() {
            return false;
        }
        if v.ends_with(char::is_whitespace) || v.ends_with(':') {
            return false;
        }
        if v.contains(": ") || v.contains(" #") || v.contains([',', '[', ']', '{', '}']) {
            return false;
        }
        if v.chars().any(|c| c.is_control() || c == '\u{feff}') {
            return false;
        }
        let lower = v.to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "~" | "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
        ) {
            return false;
        }
        !(v.parse::<f64>().is_ok()
            || lower.starts_with("0x")
            || lower.starts_with("0o")
            || lower.starts_with("."))
    }

    #[test]
    fn plain_safety_agrees_with_the_reference() {
        let words = [
            "",
            "~",
            "null",
            "NULL",
            "Null",
            "true",
            "TRUE",
            "False",
            "yes",
            "No",
            "ON",
            "off",
            "y",
            "Y",
            "n",
            "N",
            "nan",
            "NaN",
            "inf",
            "Infinity",
            "+inf",
            "+1",
            "1",
            "1.5",
            "1e5",
            "1E-5",
            ".5",
            ".inf",
            "0x1F",
            "0X1f",
            "0o17",
            "0O7",
            "0",
            "00",
            "0b1",
            "1_000",
            "12:30",
            "a",
            "ab",
            "abc",
            "nul",
            "nulls",
            "truex",
            "yes!",
            "o",
            "of",
            "quay.io/a/b@sha256:0123",
            "keycloak:20",
            "x y",
            "é",
            "nano",
            "info",
            "int",
            "Inf.",
            "n1",
            "i",
            "+",
            ".",
            "..",
            "0x",
            "0o",
            "+.5",
            "9.9.9",
            "a: b",
            "a:b",
            "a :b",
            "a #b",
            "a#b",
            "#",
            "a,b",
            "a[b",
            "a]",
            "a{",
            "}",
            "a\tb",
            "a\u{1}",
            "a\u{7f}",
            "a\u{85}b",
            "a\u{9f}",
            "a\u{a0}b",
            "a\u{feff}",
            "日本: x",
            "日本 #x",
            "日本#x",
        ];
        for w in words {
            for v in [
                w.to_string(),
                format!("{w}x"),
                format!("x{w}"),
                w.to_uppercase(),
            ] {
                assert_eq!(plain_safe(&v), plain_safe_reference(&v), "{v:?}");
            }
        }
    }

    #[test]
    fn plain_safety() {
        assert!(plain_safe("quay.io/a/b@sha256:0123"));
        assert!(!plain_safe("a: b"));
        assert!(!plain_safe("123"));
        assert!(!plain_safe("-x"));
        assert!(!plain_safe(""));
    }
}
