//! The reference evaluator: THE meaning of a filter, which every backend's SQL reproduces and the
//! conformance suite checks against.

use serde_json::{Map, Value};

use super::{DocumentFilter, FieldOp, Filter, Scalar};

pub(super) fn matches(filter: &Filter, metadata: &Map<String, Value>) -> bool {
    match filter {
        Filter::And(items) => items.iter().all(|f| matches(f, metadata)),
        Filter::Or(items) => items.iter().any(|f| matches(f, metadata)),
        Filter::Not(inner) => !matches(inner, metadata),
        Filter::Field { key, op } => match metadata.get(key) {
            // A missing key fails every positive test; `Not` turns that into a match.
            None => false,
            Some(value) => field_matches(op, value),
        },
    }
}

fn field_matches(op: &FieldOp, value: &Value) -> bool {
    match op {
        FieldOp::Exists => true,
        FieldOp::Eq(scalar) => scalar_equals(scalar, value),
        FieldOp::In(scalars) => scalars.iter().any(|s| scalar_equals(s, value)),
        FieldOp::Gt(bound) => number(value).is_some_and(|n| n > *bound),
        FieldOp::Gte(bound) => number(value).is_some_and(|n| n >= *bound),
        FieldOp::Lt(bound) => number(value).is_some_and(|n| n < *bound),
        FieldOp::Lte(bound) => number(value).is_some_and(|n| n <= *bound),
        FieldOp::Contains(scalar) => match (value, scalar) {
            (Value::Array(items), _) => items.iter().any(|item| scalar_equals(scalar, item)),
            (Value::String(haystack), Scalar::String(needle)) => haystack.contains(needle.as_str()),
            _ => false,
        },
        FieldOp::Prefix(prefix) => value.as_str().is_some_and(|s| s.starts_with(prefix.as_str())),
    }
}

/// Type-strict equality: a string never equals a number, a boolean never equals 1, and arrays or objects
/// never equal a scalar. Numbers compare by value.
fn scalar_equals(scalar: &Scalar, value: &Value) -> bool {
    match (scalar, value) {
        (Scalar::String(a), Value::String(b)) => a == b,
        (Scalar::Bool(a), Value::Bool(b)) => a == b,
        #[allow(clippy::float_cmp)] // JSON numbers compare by exact value, as jsonb and SQLite do
        (Scalar::Number(a), Value::Number(_)) => number(value) == Some(*a),
        _ => false,
    }
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

pub(super) fn matches_document(filter: &DocumentFilter, text: &str) -> bool {
    match filter {
        DocumentFilter::Contains(needle) => text.contains(needle.as_str()),
        DocumentFilter::NotContains(needle) => !text.contains(needle.as_str()),
        DocumentFilter::And(items) => items.iter().all(|f| matches_document(f, text)),
        DocumentFilter::Or(items) => items.iter().any(|f| matches_document(f, text)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::filter::{DocumentFilter, Filter};

    /// One metadata object per row of the truth table below.
    fn rows() -> Vec<(&'static str, Value)> {
        vec![
            ("num", json!({"year": 2020, "tag": "a", "tags": ["x", "y"], "path": "/docs/a.md", "flag": true})),
            ("float", json!({"year": 2020.0, "tag": "b", "tags": [], "path": "/src/a.rs", "flag": false})),
            ("text", json!({"year": "2020", "tag": "A", "tags": "x-ray", "path": "/docs/sub/b.md"})),
            ("null", json!({"year": null, "tags": [1, 2]})),
            ("empty", json!({})),
        ]
    }

    use serde_json::Value;

    fn check(filter: Value, expected: &[&str]) {
        let filter = Filter::from_json(&filter).unwrap();
        let got: Vec<&str> = rows()
            .into_iter()
            .filter(|(_, meta)| filter.matches(meta.as_object().unwrap()))
            .map(|(name, _)| name)
            .collect();
        assert_eq!(got, expected, "{filter:?}");
    }

    #[test]
    fn equality_is_type_strict_and_numbers_compare_by_value() {
        check(json!({"year": 2020}), &["num", "float"]);
        check(json!({"year": "2020"}), &["text"]);
        check(json!({"flag": true}), &["num"]);
        check(json!({"flag": 1}), &[]);
        check(json!({"tag": "a"}), &["num"]);
        check(json!({"tags": "x"}), &[]);
    }

    #[test]
    fn negations_match_missing_keys() {
        check(json!({"tag": {"$ne": "a"}}), &["float", "text", "null", "empty"]);
        check(json!({"tag": {"$nin": ["a", "b"]}}), &["text", "null", "empty"]);
        check(json!({"tags": {"$not_contains": "x"}}), &["float", "null", "empty"]);
        check(json!({"$not": {"year": {"$gt": 2000}}}), &["text", "null", "empty"]);
    }

    #[test]
    fn numeric_comparisons_skip_non_numbers() {
        check(json!({"year": {"$gt": 2019}}), &["num", "float"]);
        check(json!({"year": {"$gte": 2020}}), &["num", "float"]);
        check(json!({"year": {"$lt": 2020}}), &[]);
        check(json!({"year": {"$lte": 2020}}), &["num", "float"]);
        check(json!({"tag": {"$gt": 0}}), &[]);
    }

    #[test]
    fn in_exists_contains_prefix() {
        check(json!({"year": {"$in": [2020, "x"]}}), &["num", "float"]);
        check(json!({"year": {"$exists": true}}), &["num", "float", "text", "null"]);
        check(json!({"year": {"$exists": false}}), &["empty"]);
        check(json!({"tags": {"$contains": "x"}}), &["num", "text"]);
        check(json!({"tags": {"$contains": 2}}), &["null"]);
        check(json!({"path": {"$contains": "docs"}}), &["num", "text"]);
        check(json!({"path": {"$prefix": "/docs/"}}), &["num", "text"]);
        check(json!({"path": {"$prefix": "/docs/sub/"}}), &["text"]);
    }

    #[test]
    fn logical_operators_compose() {
        check(json!({}), &["num", "float", "text", "null", "empty"]);
        check(json!({"$and": [{"year": 2020}, {"tag": "b"}]}), &["float"]);
        check(json!({"$or": [{"tag": "A"}, {"flag": false}]}), &["float", "text"]);
        check(json!({"year": {"$gte": 2020, "$lte": 2020}, "tag": "a"}), &["num"]);
    }

    #[test]
    fn document_filters_are_case_sensitive_substrings() {
        let f = DocumentFilter::from_json(&json!({"$contains": "Rust"})).unwrap();
        assert!(f.matches("I like Rust."));
        assert!(!f.matches("I like rust."));
        let f = DocumentFilter::from_json(&json!({"$and": [{"$contains": "a"}, {"$not_contains": "b"}]})).unwrap();
        assert!(f.matches("a"));
        assert!(!f.matches("ab"));
    }
}
