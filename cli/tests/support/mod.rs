//! What the tool's two suites share beyond tests/common (the TAP runner,
//! probes and fixtures they share with the library's tests/kernel.rs):
//! running the built `bpflink`, and reading JSON with serde_json.

#![allow(dead_code)]

pub mod uapi;

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::common::{Run, run};

/// The built command-line tool.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_bpflink")
}

/// Runs the tool under test.
pub fn bpflink(args: &[&str]) -> Run {
    run(bin(), args)
}

/// The version every part of the tree reports: the library package's
/// (the repository's Cargo.toml), which `make install` writes into
/// bpflink.pc too.
pub fn library_version() -> String {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");
    let text = std::fs::read_to_string(manifest).expect("the repository's Cargo.toml");
    text.lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("a version line")
        .to_string()
}

/// One JSON document with serde_json (`preserve_order`: objects keep the
/// order of the text), and stricter than serde_json alone: an object that
/// repeats a key is an error, not its last value.
pub fn parse(text: &str) -> Result<Value, String> {
    let mut de = serde_json::Deserializer::from_str(text);
    let Strict(v) = Strict::deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(v)
}

/// A [`Value`] read by [`StrictVisitor`].
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

/// Builds the [`Value`] as serde_json does, but refuses repeated keys.
struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict(Value::Null))
    }

    fn visit_bool<E>(self, b: bool) -> Result<Strict, E> {
        Ok(Strict(b.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Strict, E> {
        Ok(Strict(n.into()))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Strict, E> {
        Ok(Strict(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Strict, E> {
        Ok(Strict(n.into()))
    }

    fn visit_str<E>(self, s: &str) -> Result<Strict, E> {
        Ok(Strict(s.into()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Strict(Value::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
        let mut o = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            let Strict(v) = map.next_value()?;
            if o.contains_key(&k) {
                return Err(de::Error::custom(format!("key \"{k}\" given twice")));
            }
            o.insert(k, v);
        }
        Ok(Strict(Value::Object(o)))
    }
}

/// What the suites ask of a JSON object; panics with the object shown.
pub trait Obj {
    /// The keys, in the order of the text.
    fn keys(&self) -> Vec<&str>;
    /// `key` as an unsigned number.
    fn u64_of(&self, key: &str) -> u64;
    /// `key` as a string.
    fn str_of(&self, key: &str) -> &str;
}

impl Obj for Value {
    fn keys(&self) -> Vec<&str> {
        self.as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    #[track_caller]
    fn u64_of(&self, key: &str) -> u64 {
        self.get(key)
            .and_then(Value::as_u64)
            .unwrap_or_else(|| panic!("no unsigned \"{key}\" in {self}"))
    }

    #[track_caller]
    fn str_of(&self, key: &str) -> &str {
        self.get(key)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no string \"{key}\" in {self}"))
    }
}

/// The tool's JSON output of a run.
pub trait RunJson {
    /// Succeeds and prints one JSON document on one line; returns it.
    fn json(&self) -> Value;
}

impl RunJson for Run {
    #[track_caller]
    fn json(&self) -> Value {
        let out = self.succeeds();
        assert!(
            out.ends_with('\n') && out.matches('\n').count() == 1,
            "one line: {out:?}"
        );
        parse(out).unwrap_or_else(|e| panic!("malformed JSON ({e}): {out}"))
    }
}

/// [`parse`] itself: serde_json's grammar, plus the refusal of repeated
/// keys; numbers of 64 bits come back exactly.
pub fn parse_self_test() {
    let ok = |t: &str| parse(t).unwrap_or_else(|e| panic!("{t}: {e}"));
    let v = ok(
        r#" {"id":18446744073709551615,"b":-9223372036854775808,"s":"\u00e9\n","a":[null,true,{}]} "#,
    );
    assert_eq!(v.keys(), ["id", "b", "s", "a"]);
    assert_eq!(v.u64_of("id"), u64::MAX);
    assert_eq!(v["b"].as_i64(), Some(i64::MIN));
    assert_eq!(v.str_of("s"), "é\n");
    assert_eq!(ok(r#"[{"x":1},{"x":2}]"#)[1].keys(), ["x"]);
    for bad in [
        r#"{"a":1,"a":2}"#,
        r#"[{"k":{"a":1,"b":2,"a":3}}]"#,
        "{}x",
        "{} {}",
        "[1,]",
        "{'a':1}",
        r#"{"a" 1}"#,
        "01",
        "\"\u{1}\"",
        "",
        "nul",
    ] {
        assert!(parse(bad).is_err(), "accepted {bad:?}");
    }
}
