//! The JSON documents users write and exchange (segment rules, campaigns): parsed strictly, so a
//! misspelled key is an error with its path instead of a setting silently ignored.
//!
//! serde's `deny_unknown_fields` cannot do this for these shapes: it is not applied through
//! `#[serde(flatten)]` nor inside internally tagged enums (serde-rs/serde#2123, #1358), which is
//! how rules are written. So the document is read once as typed data and written back: every key
//! of the input must appear at the same place in what the typed data writes. Types read this
//! way therefore never skip fields when serializing.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DocumentError {
    #[error("not valid JSON at line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{0}")]
    Shape(String),
    #[error("unknown key '{key}' at {path} (check its spelling)")]
    UnknownKey { key: String, path: String },
}

crate::coded!(DocumentError {
    _ => InvalidInput,
});

/// Refuses JSON that gives a key twice in one object, which parsers read differently (serde
/// keeps the last: `"holdout": 0.05, "holdout": 0.9` would be 0.9 where a reviewer sees 0.05).
/// The error has the line and column of the second key. Every document is checked so.
pub fn unique_keys(text: &str) -> Result<(), serde_json::Error> {
    use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};

    struct Unique;

    impl<'de> serde::Deserialize<'de> for Unique {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Unique, D::Error> {
            d.deserialize_any(Unique)
        }
    }

    impl<'de> Visitor<'de> for Unique {
        type Value = Unique;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("JSON")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
            let mut seen = std::collections::HashSet::new();
            while let Some(key) = map.next_key::<String>()? {
                if !seen.insert(key.clone()) {
                    return Err(serde::de::Error::custom(format!(
                        "the key '{key}' is given twice in one object"
                    )));
                }
                map.next_value::<Unique>()?;
            }
            Ok(Unique)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
            while seq.next_element::<Unique>()?.is_some() {}
            Ok(Unique)
        }

        fn visit_bool<E>(self, _: bool) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_str<E>(self, _: &str) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_unit<E>(self) -> Result<Unique, E> {
            Ok(Unique)
        }
    }

    serde_json::from_str::<Unique>(text).map(drop)
}

/// Parses `text` as a `T`, refusing keys `T` does not have, at any depth, and keys given twice.
pub fn parse_strict<T: DeserializeOwned + Serialize>(text: &str) -> Result<T, DocumentError> {
    let syntax = |e: serde_json::Error| DocumentError::Syntax {
        line: e.line(),
        column: e.column(),
        message: strip_position(&e),
    };
    unique_keys(text).map_err(syntax)?;
    let value: Value = serde_json::from_str(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => DocumentError::Shape(strip_position(&e)),
        _ => DocumentError::Syntax {
            line: e.line(),
            column: e.column(),
            message: strip_position(&e),
        },
    })?;
    from_value_strict(value)
}

/// As [`parse_strict`], from a JSON value already read.
pub fn from_value_strict<T: DeserializeOwned + Serialize>(
    value: Value,
) -> Result<T, DocumentError> {
    let typed: T = serde_json::from_value(value.clone())
        .map_err(|e| DocumentError::Shape(strip_position(&e)))?;
    let written = serde_json::to_value(&typed).map_err(|e| DocumentError::Shape(e.to_string()))?;
    if let Some((path, key)) = first_unknown_key(&value, &written, "") {
        return Err(DocumentError::UnknownKey {
            key,
            path: if path.is_empty() {
                "the top level".into()
            } else {
                path
            },
        });
    }
    Ok(typed)
}

/// serde_json appends " at line L column C" to data errors, which point into our own copy.
fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// The first key of `input` that `written` lacks at the same place: (where, key).
fn first_unknown_key(input: &Value, written: &Value, path: &str) -> Option<(String, String)> {
    match (input, written) {
        (Value::Object(given), Value::Object(known)) => {
            given.iter().find_map(|(key, value)| match known.get(key) {
                None => Some((path.to_string(), key.clone())),
                Some(k) => first_unknown_key(value, k, &join(path, key)),
            })
        }
        (Value::Array(given), Value::Array(known)) => given
            .iter()
            .zip(known)
            .enumerate()
            .find_map(|(i, (g, k))| first_unknown_key(g, k, &format!("{path}[{i}]"))),
        _ => None,
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq)]
    struct Outer {
        name: String,
        #[serde(flatten)]
        inner: Inner,
        #[serde(default)]
        items: Vec<Item>,
    }
    #[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq)]
    struct Inner {
        #[serde(default)]
        not: bool,
    }
    #[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum Item {
        A { x: u32 },
    }

    #[test]
    fn misspelled_keys_are_found_through_flatten_and_tagged_enums() {
        let ok: Outer =
            parse_strict(r#"{"name": "n", "not": true, "items": [{"type": "a", "x": 1}]}"#)
                .unwrap();
        assert!(ok.inner.not);
        assert_eq!(
            parse_strict::<Outer>(r#"{"name": "n", "nott": true}"#),
            Err(DocumentError::UnknownKey {
                key: "nott".into(),
                path: "the top level".into()
            })
        );
        assert_eq!(
            parse_strict::<Outer>(r#"{"name": "n", "items": [{"type": "a", "x": 1, "y": 2}]}"#),
            Err(DocumentError::UnknownKey {
                key: "y".into(),
                path: "items[0]".into()
            })
        );
        assert!(matches!(
            parse_strict::<Outer>("{\"name\": "),
            Err(DocumentError::Syntax { line: 1, .. })
        ));
    }
}
