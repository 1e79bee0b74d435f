//! JavaScript value semantics over [`serde_json::Value`], as bbb-webhooks' translator sees them.
//!
//! The translator mirrors Node.js expressions such as `a || b`, `a ?? b` and `obj.x.y`; these
//! helpers give each of them its JavaScript meaning so that the normalized events carry the same
//! values, and the same keys are left out (`undefined` is `None` here; `null` is `Some(Null)`).

use serde_json::Value;

/// A property access that JavaScript would reject with a `TypeError`
/// (reading a property of `undefined` or `null`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read property {0:?} of undefined or null")]
pub struct TypeError(pub String);

/// `value.key` — throws on `undefined`/`null`, `undefined` for a missing key or a primitive.
pub fn get<'a>(value: Option<&'a Value>, key: &str) -> Result<Option<&'a Value>, TypeError> {
    match value {
        None | Some(Value::Null) => Err(TypeError(key.to_owned())),
        Some(v) => Ok(prop(v, key)),
    }
}

/// `value?.key` — `undefined` when `value` is `undefined` or `null`.
pub fn opt<'a>(value: Option<&'a Value>, key: &str) -> Option<&'a Value> {
    value.and_then(|v| prop(v, key))
}

/// `value?.a?.b?.c…` along a path.
pub fn opt_path<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, key| prop(v, key))
}

/// Objects up to this size are searched key by key: BBB's are small, and comparing a few short
/// keys costs less than hashing one with the map's SipHash.
const SCAN_UP_TO: usize = 8;

fn prop<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    match value {
        Value::Object(map) if map.len() <= SCAN_UP_TO => {
            map.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
        }
        Value::Object(map) => map.get(key),
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    }
}

/// JavaScript truthiness: `false`, `0`, `""`, `null` and `undefined` are falsy.
pub fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

/// `a || b || …` — the first truthy operand, else the last one.
pub fn or<'a>(operands: &[Option<&'a Value>]) -> Option<&'a Value> {
    operands
        .iter()
        .copied()
        .find(|v| truthy(*v))
        .unwrap_or_else(|| operands.last().copied().flatten())
}

/// `v?.p1 || v?.p2 || …` over property paths, read lazily: the first truthy one, else the last
/// path's value.
pub fn or_paths<'a>(value: &'a Value, paths: &[&[&str]]) -> Option<&'a Value> {
    let mut last = None;
    for path in paths {
        last = opt_path(value, path);
        if truthy(last) {
            break;
        }
    }
    last
}

/// `a ?? b` — `a` unless it is `null` or `undefined`.
pub fn nullish_or<'a>(a: Option<&'a Value>, b: Option<&'a Value>) -> Option<&'a Value> {
    match a {
        None | Some(Value::Null) => b,
        some => some,
    }
}

/// JavaScript `String(value)` for the values a query parameter can hold after `JSON.parse`.
pub fn to_js_string(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|v| match v {
                Value::Null => String::new(),
                other => to_js_string(other),
            })
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(_) => "[object Object]".to_owned(),
        other => crate::jsjson::to_string(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map};

    #[test]
    fn truthiness_matches_javascript() {
        let falsy = [json!(null), json!(false), json!(0), json!(0.0), json!("")];
        for v in &falsy {
            assert!(!truthy(Some(v)), "{v} should be falsy");
        }
        assert!(!truthy(None));
        let truthy_values = [json!(true), json!(1), json!("0"), json!({}), json!([])];
        for v in &truthy_values {
            assert!(truthy(Some(v)), "{v} should be truthy");
        }
    }

    #[test]
    fn or_returns_last_operand_when_all_are_falsy() {
        let empty = json!("");
        let zero = json!(0);
        assert_eq!(or(&[Some(&empty), None]), None);
        assert_eq!(or(&[None, Some(&empty)]), Some(&empty));
        assert_eq!(or(&[Some(&zero), Some(&json!("x"))]), Some(&json!("x")));
    }

    #[test]
    fn or_paths_is_or_over_the_paths_values() {
        let v = json!({"a": {"b": ""}, "c": 0, "d": "first", "e": "second"});
        let paths: [&[&str]; 4] = [&["a", "b"], &["x"], &["d"], &["e"]];
        assert_eq!(or_paths(&v, &paths), Some(&json!("first")));
        assert_eq!(or_paths(&v, &[&["a", "b"], &["c"]]), Some(&json!(0)));
        assert_eq!(or_paths(&v, &[&["c"], &["x", "y"]]), None);
        for paths in [&paths[..], &paths[..2], &paths[1..]] {
            let operands: Vec<_> = paths.iter().map(|p| opt_path(&v, p)).collect();
            assert_eq!(or_paths(&v, paths), or(&operands));
        }
    }

    #[test]
    fn small_and_large_objects_find_the_same_keys() {
        for size in [0, 1, SCAN_UP_TO, SCAN_UP_TO + 1, 3 * SCAN_UP_TO] {
            let object: Map<String, Value> =
                (0..size).map(|i| (format!("k{i}"), json!(i))).collect();
            let v = Value::Object(object);
            for i in 0..size {
                assert_eq!(opt(Some(&v), &format!("k{i}")), Some(&json!(i)), "{size}");
            }
            for missing in ["k", "k00", "K0", ""] {
                assert_eq!(opt(Some(&v), missing), None, "{size} {missing}");
            }
        }
    }

    #[test]
    fn get_throws_on_undefined_and_null_only() {
        let v = json!({"a": null, "b": 3});
        assert!(get(None, "x").is_err());
        assert!(get(Some(&json!(null)), "x").is_err());
        assert_eq!(get(Some(&v), "c"), Ok(None));
        assert_eq!(get(Some(&json!(3)), "c"), Ok(None));
        assert!(get(get(Some(&v), "a").unwrap(), "z").is_err());
    }

    #[test]
    fn js_string_of_values() {
        assert_eq!(to_js_string(&json!(true)), "true");
        assert_eq!(to_js_string(&json!(1)), "1");
        assert_eq!(to_js_string(&json!(null)), "null");
        assert_eq!(to_js_string(&json!([1, null, "a"])), "1,,a");
        assert_eq!(to_js_string(&json!({"a": 1})), "[object Object]");
    }
}
