//! The `image.openshift.io/triggers` annotation, decoded as Go's `encoding/json`
//! decodes it into `[]ObjectFieldTrigger`: keys match case-insensitively (exact
//! match or Unicode simple folding), unknown keys are ignored, `null` means no
//! triggers or leaves a field at its zero value, and any type mismatch rejects the
//! whole annotation.

use std::fmt;

use serde::Deserialize as _;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The annotation key.
pub const TRIGGER_ANNOTATION: &str = "image.openshift.io/triggers";

/// `from` of a trigger (library-go `trigger.ObjectReference`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ObjectReference {
    /// `kind`.
    pub kind: String,
    /// `name`.
    pub name: String,
    /// `namespace`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// `apiVersion`.
    #[serde(rename = "apiVersion", skip_serializing_if = "String::is_empty")]
    pub api_version: String,
}

/// One trigger (library-go `trigger.ObjectFieldTrigger`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectFieldTrigger {
    /// `from`.
    pub from: ObjectReference,
    /// `fieldPath`.
    pub field_path: String,
    /// `paused`.
    pub paused: bool,
    /// Keys Go ignored (`pause`, typos), with their dotted location.
    pub unknown_keys: Vec<String>,
}

/// Why the annotation does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(pub String);

/// Decode the annotation value.
pub fn decode(value: &str) -> Result<Vec<ObjectFieldTrigger>, DecodeError> {
    let mut de = serde_json::Deserializer::from_str(value);
    let list = Triggers::deserialize(&mut de).map_err(|e| DecodeError(go_message(&e, value)))?;
    de.end().map_err(|e| DecodeError(go_message(&e, value)))?;
    Ok(list.0)
}

/// What `decode` made of one annotation value.
pub type Decoded = Result<Vec<ObjectFieldTrigger>, DecodeError>;

/// `decode`, remembering the last value decoded on this thread. A changed file
/// is evaluated twice (the second time to verify the edited text), and its
/// annotations are the same both times.
pub fn decode_cached(value: &str) -> std::rc::Rc<Decoded> {
    use std::cell::RefCell;
    use std::rc::Rc;
    thread_local! {
        static LAST: RefCell<Option<(String, Rc<Decoded>)>> = const { RefCell::new(None) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if let Some((v, decoded)) = last.as_ref()
            && v == value
        {
            return Rc::clone(decoded);
        }
        let decoded = Rc::new(decode(value));
        *last = Some((value.to_string(), Rc::clone(&decoded)));
        decoded
    })
}

/// Go-flavoured error text.
fn go_message(e: &serde_json::Error, value: &str) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof if value.trim().is_empty() => "unexpected end of JSON input".into(),
        Category::Eof => format!("unexpected end of JSON input ({e})"),
        Category::Data => format!("json: {e}"),
        _ => format!("invalid character in JSON ({e})"),
    }
}

/// Go's case-insensitive key match: exact, or equal under simple case folding
/// (ASCII letters plus U+017F `ſ` ~ `s` and U+212A `K` ~ `k`).
pub fn key_matches(key: &str, field: &str) -> bool {
    if key == field {
        return true;
    }
    let fold = |c: char| match c {
        '\u{17f}' => 's',
        '\u{212a}' => 'k',
        c => c.to_ascii_lowercase(),
    };
    key.chars().map(fold).eq(field.chars().map(fold))
}

struct Triggers(Vec<ObjectFieldTrigger>);

impl<'de> de::Deserialize<'de> for Triggers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Triggers;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON array of triggers")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Triggers, E> {
                Ok(Triggers(Vec::new()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Triggers, A::Error> {
                let mut out = Vec::new();
                while let Some(t) = seq.next_element::<Elem>()? {
                    out.push(t.0);
                }
                Ok(Triggers(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Triggers, A::Error> {
                Err(de::Error::custom(
                    "cannot unmarshal object into Go value of type []trigger.ObjectFieldTrigger",
                ))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Triggers, E> {
                Err(E::custom(
                    "cannot unmarshal string into Go value of type []trigger.ObjectFieldTrigger",
                ))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Triggers, E> {
                Err(E::custom(
                    "cannot unmarshal bool into Go value of type []trigger.ObjectFieldTrigger",
                ))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Triggers, E> {
                Err(E::custom(
                    "cannot unmarshal number into Go value of type []trigger.ObjectFieldTrigger",
                ))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Triggers, E> {
                Err(E::custom(
                    "cannot unmarshal number into Go value of type []trigger.ObjectFieldTrigger",
                ))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Triggers, E> {
                Err(E::custom(
                    "cannot unmarshal number into Go value of type []trigger.ObjectFieldTrigger",
                ))
            }
        }
        d.deserialize_any(V)
    }
}

/// Visits one JSON value of a Go-typed field and reports its JSON type name.
fn type_error<E: de::Error>(json_type: &str, field: &str, go_type: &str) -> E {
    E::custom(format!(
        "cannot unmarshal {json_type} into Go struct field {field} of type {go_type}"
    ))
}

macro_rules! reject_others {
    ($field:expr, $go:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Err(type_error("bool", $field, $go))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Err(type_error("number", $field, $go))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Err(type_error("number", $field, $go))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Err(type_error("number", $field, $go))
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Err(type_error("string", $field, $go))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(type_error("array", $field, $go))
        }
    };
}

/// A Go `string` field: a string, or `null` (keeps the zero value).
struct GoString(&'static str);

impl<'de> de::DeserializeSeed<'de> for GoString {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<String>, D::Error> {
        struct V(&'static str);
        impl<'de> Visitor<'de> for V {
            type Value = Option<String>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Option<String>, E> {
                Ok(None)
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Option<String>, E> {
                Ok(Some(v))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Option<String>, E> {
                Ok(Some(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Err(type_error("bool", self.0, "string"))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Err(type_error("number", self.0, "string"))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Err(type_error("number", self.0, "string"))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Err(type_error("number", self.0, "string"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<String>, E> {
                Ok(Some(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
                Err(type_error("array", self.0, "string"))
            }
            fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
                Err(type_error("object", self.0, "string"))
            }
        }
        d.deserialize_any(V(self.0))
    }
}

/// A Go `bool` field.
struct GoBool;

impl<'de> de::DeserializeSeed<'de> for GoBool {
    type Value = Option<bool>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<bool>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<bool>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Option<bool>, E> {
                Ok(None)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Option<bool>, E> {
                Ok(Some(v))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Err(type_error("number", "ObjectFieldTrigger.paused", "bool"))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Err(type_error("number", "ObjectFieldTrigger.paused", "bool"))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Err(type_error("number", "ObjectFieldTrigger.paused", "bool"))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Err(type_error("string", "ObjectFieldTrigger.paused", "bool"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
                Err(type_error("array", "ObjectFieldTrigger.paused", "bool"))
            }
            fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
                Err(type_error("object", "ObjectFieldTrigger.paused", "bool"))
            }
        }
        d.deserialize_any(V)
    }
}

/// `from`: an object, or `null`.
struct From;

impl<'de> de::DeserializeSeed<'de> for From {
    type Value = Option<(ObjectReference, Vec<String>)>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<(ObjectReference, Vec<String>)>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut r = ObjectReference::default();
                let mut unknown = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let slot = if key_matches(&key, "kind") {
                        Some((&mut r.kind, "ObjectFieldTrigger.from.kind"))
                    } else if key_matches(&key, "name") {
                        Some((&mut r.name, "ObjectFieldTrigger.from.name"))
                    } else if key_matches(&key, "namespace") {
                        Some((&mut r.namespace, "ObjectFieldTrigger.from.namespace"))
                    } else if key_matches(&key, "apiVersion") {
                        Some((&mut r.api_version, "ObjectFieldTrigger.from.apiVersion"))
                    } else {
                        None
                    };
                    match slot {
                        Some((slot, field)) => {
                            if let Some(v) = map.next_value_seed(GoString(field))? {
                                *slot = v;
                            }
                        }
                        None => {
                            map.next_value::<IgnoredAny>()?;
                            unknown.push(format!("from.{key}"));
                        }
                    }
                }
                Ok(Some((r, unknown)))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Err(type_error(
                    "bool",
                    "ObjectFieldTrigger.from",
                    "trigger.ObjectReference",
                ))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Err(type_error(
                    "number",
                    "ObjectFieldTrigger.from",
                    "trigger.ObjectReference",
                ))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Err(type_error(
                    "number",
                    "ObjectFieldTrigger.from",
                    "trigger.ObjectReference",
                ))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Err(type_error(
                    "number",
                    "ObjectFieldTrigger.from",
                    "trigger.ObjectReference",
                ))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Err(type_error(
                    "string",
                    "ObjectFieldTrigger.from",
                    "trigger.ObjectReference",
                ))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
                Err(type_error(
                    "array",
                    "ObjectFieldTrigger.from",
                    "trigger.ObjectReference",
                ))
            }
        }
        d.deserialize_any(V)
    }
}

struct Elem(ObjectFieldTrigger);

impl<'de> de::Deserialize<'de> for Elem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Elem;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a trigger object")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Elem, E> {
                Ok(Elem(ObjectFieldTrigger::default()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Elem, A::Error> {
                let mut t = ObjectFieldTrigger::default();
                while let Some(key) = map.next_key::<String>()? {
                    if key_matches(&key, "from") {
                        if let Some((r, unknown)) = map.next_value_seed(From)? {
                            t.from = r;
                            t.unknown_keys.extend(unknown);
                        }
                    } else if key_matches(&key, "fieldPath") {
                        if let Some(v) =
                            map.next_value_seed(GoString("ObjectFieldTrigger.fieldPath"))?
                        {
                            t.field_path = v;
                        }
                    } else if key_matches(&key, "paused") {
                        if let Some(v) = map.next_value_seed(GoBool)? {
                            t.paused = v;
                        }
                    } else {
                        map.next_value::<IgnoredAny>()?;
                        t.unknown_keys.push(key);
                    }
                }
                Ok(Elem(t))
            }
            reject_others!("ObjectFieldTrigger", "trigger.ObjectFieldTrigger");
        }
        d.deserialize_any(V)
    }
}

/// Serialise triggers as Go's `json.Marshal` does (compact, Go field order,
/// `omitempty` on namespace, apiVersion and paused); `null` for none.
pub fn encode(triggers: &[ObjectFieldTrigger]) -> String {
    if triggers.is_empty() {
        return "null".into();
    }
    let mut s = String::from("[");
    for (i, t) in triggers.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str("{\"from\":{\"kind\":");
        s.push_str(&go_json_string(&t.from.kind));
        s.push_str(",\"name\":");
        s.push_str(&go_json_string(&t.from.name));
        if !t.from.namespace.is_empty() {
            s.push_str(",\"namespace\":");
            s.push_str(&go_json_string(&t.from.namespace));
        }
        if !t.from.api_version.is_empty() {
            s.push_str(",\"apiVersion\":");
            s.push_str(&go_json_string(&t.from.api_version));
        }
        s.push_str("},\"fieldPath\":");
        s.push_str(&go_json_string(&t.field_path));
        if t.paused {
            s.push_str(",\"paused\":true");
        }
        s.push('}');
    }
    s.push(']');
    s
}

/// A JSON string as Go writes it (HTML-safe escapes for `<`, `>`, `&`).
pub fn go_json_string(v: &str) -> String {
    let mut s = String::with_capacity(v.len() + 2);
    s.push('"');
    for c in v.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                s.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => s.push_str(&format!("\\u{:04x}", c as u32)),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_decoding_rules() {
        assert!(decode("null").unwrap().is_empty());
        assert!(decode("[]").unwrap().is_empty());
        assert!(decode("").is_err());
        assert!(decode("{}").is_err());
        assert!(decode("[] x").is_err());
        assert!(decode(r#"[{"paused":"false"}]"#).is_err());
        let t = decode(r#"[{"FROM":{"Kind":"ImageStreamTag","NAME":"a:b"},"fieldpath":"p","pause":"true","paused":null}]"#)
            .unwrap();
        assert_eq!(t[0].from.name, "a:b");
        assert_eq!(t[0].field_path, "p");
        assert!(!t[0].paused);
        assert_eq!(t[0].unknown_keys, vec!["pause"]);
        let t = decode(r#"[null, {"fieldPath":"a","fieldPath":"b"}]"#).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[1].field_path, "b");
        assert!(decode(r#"[1]"#).is_err());
        assert!(decode(r#"[{"from":"x"}]"#).is_err());
        assert!(key_matches("\u{212a}ind", "kind"));
    }

    #[test]
    fn encodes_like_go() {
        let t = ObjectFieldTrigger {
            from: ObjectReference {
                kind: "ImageStreamTag".into(),
                name: "web:latest".into(),
                ..Default::default()
            },
            field_path: "spec.template.spec.containers[?(@.name==\"web\")].image".into(),
            paused: false,
            unknown_keys: vec![],
        };
        assert_eq!(
            encode(&[t]),
            r#"[{"from":{"kind":"ImageStreamTag","name":"web:latest"},"fieldPath":"spec.template.spec.containers[?(@.name==\"web\")].image"}]"#
        );
        assert_eq!(encode(&[]), "null");
    }
}
