//! RFC 8785 JSON Canonicalization Scheme (JCS), for the JSON Custos logs.
//!
//! The rule, as stated in every exported bundle: object members sorted by the UTF-16 code
//! units of their names; no insignificant whitespace; strings escaped as ECMAScript's
//! `JSON.stringify` does (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, other characters below
//! U+0020 as `\u00xx` in lowercase hex, everything else as itself in UTF-8); integers in
//! plain decimal. Custos never logs floating-point numbers, so they are refused rather than
//! formatted.

use serde_json::Value;
use std::fmt::Write;

pub const RULE: &str = "RFC 8785 (JCS) canonical JSON, UTF-8; integers only";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("cannot canonicalize a floating-point number ({0})")]
pub struct FloatNotAllowed(pub String);

pub fn to_canonical(value: &Value) -> Result<String, FloatNotAllowed> {
    let mut out = String::new();
    write_value(value, &mut out)?;
    Ok(out)
}

fn write_value(value: &Value, out: &mut String) -> Result<(), FloatNotAllowed> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                let _ = write!(out, "{i}");
            } else if let Some(u) = n.as_u64() {
                let _ = write!(out, "{u}");
            } else {
                return Err(FloatNotAllowed(n.to_string()));
            }
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (key, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_value(item, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// Appends `s` as a JCS string. Runs of characters that need no escape (nearly all of them)
/// are copied whole rather than a character at a time.
pub fn write_string(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        // Every byte that needs an escape is ASCII, so `i` is always a character boundary.
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            0x0c => "\\f",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            b if b < 0x20 => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{:04x}", b);
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn members_are_sorted_and_whitespace_dropped() {
        let value = json!({ "b": 1, "a": [true, null, "x"], "A": { "z": -5, "y": "" } });
        assert_eq!(to_canonical(&value).unwrap(), r#"{"A":{"y":"","z":-5},"a":[true,null,"x"],"b":1}"#);
    }

    #[test]
    fn strings_escape_as_jcs() {
        let value = json!("quote\" back\\ nl\n tab\t bell\u{7} euro€ slash/");
        assert_eq!(to_canonical(&value).unwrap(), "\"quote\\\" back\\\\ nl\\n tab\\t bell\\u0007 euro€ slash/\"");
    }

    #[test]
    fn sorting_uses_utf16_code_units() {
        // U+FB33 sorts after U+1F600 in UTF-16 (0xFB33 > 0xD83D, its high surrogate), though
        // before it in UTF-8 byte order: JCS wants the UTF-16 order.
        let value = json!({ "\u{fb33}": 1, "\r": 2, "\u{1f600}": 3, "1": 4 });
        assert_eq!(to_canonical(&value).unwrap(), "{\"\\r\":2,\"1\":4,\"\u{1f600}\":3,\"\u{fb33}\":1}");
    }

    #[test]
    fn floats_are_refused() {
        assert!(to_canonical(&json!({ "x": 1.5 })).is_err());
    }
}
