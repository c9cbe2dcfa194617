//! A minimal JSON writer: the values `bpflink --json` prints, written
//! compactly on one line (as `bpftool -j` does).

use std::fmt::Write;

/// A JSON value. Objects keep their keys in insertion order.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    UInt(u64),
    Int(i64),
    Str(String),
    Array(Vec<Value>),
    Object(Vec<(&'static str, Value)>),
}

impl Value {
    /// An empty object, to be filled with [`Value::push`].
    pub fn object() -> Self {
        Value::Object(Vec::new())
    }

    /// Adds `key: value` to an object (a no-op on other values).
    pub fn push(&mut self, key: &'static str, value: impl Into<Value>) {
        if let Value::Object(fields) = self {
            fields.push((key, value.into()));
        }
    }

    /// The compact JSON text of this value.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::UInt(n) => {
                let _ = write!(out, "{n}");
            }
            Value::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Value::Str(s) => write_str(out, s),
            Value::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            Value::Object(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(out, k);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// A JSON string literal: `"` and `\` escaped, control characters as
/// `\n`, `\t`, ... or `\u00XX`; everything else (valid UTF-8) as is.
fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<u32> for Value {
    fn from(n: u32) -> Self {
        Value::UInt(n.into())
    }
}
impl From<u64> for Value {
    fn from(n: u64) -> Self {
        Value::UInt(n)
    }
}
impl From<i32> for Value {
    fn from(n: i32) -> Self {
        Value::Int(n.into())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_string())
    }
}
impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::Array(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars() {
        assert_eq!(Value::Null.to_json(), "null");
        assert_eq!(Value::Bool(true).to_json(), "true");
        assert_eq!(Value::Bool(false).to_json(), "false");
        assert_eq!(Value::UInt(u64::MAX).to_json(), "18446744073709551615");
        assert_eq!(Value::Int(-128).to_json(), "-128");
        assert_eq!(Value::from(0u32).to_json(), "0");
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(Value::from("plain").to_json(), r#""plain""#);
        assert_eq!(Value::from(r#"a"b\c"#).to_json(), r#""a\"b\\c""#);
        assert_eq!(Value::from("l1\nl2\t\r").to_json(), r#""l1\nl2\t\r""#);
        assert_eq!(
            Value::from("\u{1}\u{1f}\u{7f}").to_json(),
            r#""\u0001\u001f\u007f""#
        );
        assert_eq!(Value::from("\u{8}\u{c}").to_json(), r#""\b\f""#);
        assert_eq!(Value::from("é/\u{fffd}").to_json(), "\"é/\u{fffd}\"");
    }

    #[test]
    fn containers() {
        assert_eq!(Value::Array(vec![]).to_json(), "[]");
        assert_eq!(Value::object().to_json(), "{}");
        let mut o = Value::object();
        o.push("id", 5u32);
        o.push("type", "cgroup");
        o.push("funcs", vec![Value::from(1u64), Value::Null]);
        let mut inner = Value::object();
        inner.push("k", true);
        o.push("o", inner);
        assert_eq!(
            o.to_json(),
            r#"{"id":5,"type":"cgroup","funcs":[1,null],"o":{"k":true}}"#
        );
        // push on a non-object does nothing
        let mut a = Value::Array(vec![]);
        a.push("x", 1u32);
        assert_eq!(a.to_json(), "[]");
    }
}
