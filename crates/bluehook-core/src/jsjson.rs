//! JSON text exactly as JavaScript's `JSON.stringify` writes it.
//!
//! bbb-webhooks is a Node.js program: every callback body holds `JSON.stringify` output, and raw
//! (getRaw) payloads are `JSON.parse`d and re-serialized before they are sent. Receivers compute
//! checksums over those bytes, so Bluehook writes the same bytes:
//!
//! - numbers are IEEE doubles printed like `Number.prototype.toString` (`1.0` → `1`,
//!   `1e3` → `1000`, integers past 2^53 lose precision as they do in JavaScript);
//! - strings escape only `"`, `\` and control characters (`\b \f \n \r \t`, others as
//!   lower-case `\u00XX`); everything else, U+2028/2029 included, is written as UTF-8;
//! - object keys keep insertion order, except that keys which are array indices
//!   (`"0"`, `"17"`, …) come first in ascending order, as JavaScript objects order them.
//!
//! Values come in as [`serde_json::Value`] built with the `preserve_order` feature, so parsed
//! objects keep the order of the input text.

use serde_json::{Map, Value};

/// Serializes `value` the way `JSON.stringify(value)` does.
pub fn to_string(value: &Value) -> String {
    let mut out = String::with_capacity(256);
    write_value(&mut out, value);
    out
}

/// Appends the `JSON.stringify` text of `value` to `out`.
pub fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => write_object(out, map),
    }
}

fn write_number(out: &mut String, n: &serde_json::Number) {
    // JavaScript holds every number as a double; print it the way JavaScript prints doubles.
    let f = n
        .as_f64()
        .or_else(|| n.as_i64().map(|i| i as f64))
        .or_else(|| n.as_u64().map(|u| u as f64))
        .unwrap_or(0.0);
    if f.is_finite() {
        let mut buf = ryu_js::Buffer::new();
        out.push_str(buf.format(f));
    } else {
        // JSON.stringify(Infinity) is "null"; serde_json never produces this, but stay total.
        out.push_str("null");
    }
}

/// Appends `s` as a JSON string literal, as `JSON.stringify` writes it. Only ASCII characters
/// are escaped, so the text is scanned byte by byte (a UTF-8 sequence never holds an ASCII
/// byte) and copied in runs between them.
pub fn write_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    out.push('"');
    let mut start = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        let short = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            0x0c => "\\f",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if short.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        } else {
            out.push_str(short);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// The numeric value of `key` if JavaScript treats it as an array index
/// (a canonical decimal string of an integer below 2^32 − 1).
fn array_index(key: &str) -> Option<u32> {
    if key.is_empty() || key.len() > 10 || (key.len() > 1 && key.starts_with('0')) {
        return None;
    }
    if !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = key.parse().ok()?;
    (n < u32::MAX as u64).then_some(n as u32)
}

fn write_object(out: &mut String, map: &Map<String, Value>) {
    out.push('{');
    let mut first = true;
    let mut emit = |out: &mut String, key: &str, value: &Value| {
        if !first {
            out.push(',');
        }
        first = false;
        write_string(out, key);
        out.push(':');
        write_value(out, value);
    };
    if map.keys().any(|k| array_index(k).is_some()) {
        let mut indexed: Vec<(u32, &String, &Value)> = map
            .iter()
            .filter_map(|(k, v)| array_index(k).map(|i| (i, k, v)))
            .collect();
        indexed.sort_by_key(|(i, _, _)| *i);
        for (_, k, v) in indexed {
            emit(out, k, v);
        }
        for (k, v) in map.iter().filter(|(k, _)| array_index(k).is_none()) {
            emit(out, k, v);
        }
    } else {
        for (k, v) in map {
            emit(out, k, v);
        }
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(input: &str) -> String {
        let v: Value = serde_json::from_str(input).expect("valid JSON");
        to_string(&v)
    }

    #[test]
    fn numbers_print_like_javascript() {
        let cases = [
            ("1.0", "1"),
            ("1e3", "1000"),
            ("-0", "0"),
            ("0.1", "0.1"),
            ("1.5e-7", "1.5e-7"),
            ("1e21", "1e+21"),
            ("123456789012345680000", "123456789012345680000"),
            ("12345678901234567890", "12345678901234567000"),
            ("9007199254740993", "9007199254740992"),
            ("-42", "-42"),
            ("3.14159", "3.14159"),
        ];
        for (input, expected) in cases {
            assert_eq!(roundtrip(input), expected, "input {input}");
        }
    }

    #[test]
    fn strings_escape_like_javascript() {
        assert_eq!(
            roundtrip(r#""a\"b\\c\/d\n\t\r\b\f\u0001\u001f é \u00e9 \u2028 ✓""#),
            "\"a\\\"b\\\\c/d\\n\\t\\r\\b\\f\\u0001\\u001f é é \u{2028} ✓\""
        );
    }

    #[test]
    fn strings_are_written_as_serde_json_writes_them_for_every_character() {
        // JSON.stringify and serde_json escape alike: `"`, `\\` and the controls, nothing else.
        let every: String = (0..0x800u32)
            .chain([0xfeff, 0x2028, 0xffff, 0x1f600, 0x10ffff])
            .filter_map(char::from_u32)
            .collect();
        for text in [every.as_str(), "", "plain", "\u{1f600}\"", "é\n"] {
            let mut ours = String::new();
            write_string(&mut ours, text);
            assert_eq!(ours, serde_json::to_string(text).unwrap(), "{text:?}");
        }
    }

    #[test]
    fn objects_keep_insertion_order_with_index_keys_first() {
        assert_eq!(
            roundtrip(r#"{"b":1,"a":2,"10":3,"2":4,"01":5,"-1":6}"#),
            r#"{"2":4,"10":3,"b":1,"a":2,"01":5,"-1":6}"#
        );
    }

    #[test]
    fn duplicate_keys_keep_first_position_and_last_value() {
        assert_eq!(roundtrip(r#"{"a":1,"b":2,"a":3}"#), r#"{"a":3,"b":2}"#);
    }

    #[test]
    fn whitespace_is_removed() {
        assert_eq!(
            roundtrip("{ \"a\" : [ 1 , true , null , { } , [ ] ] }"),
            r#"{"a":[1,true,null,{},[]]}"#
        );
    }
}
