//! Chroma `where` / `where_document` JSON → [`Filter`] / [`DocumentFilter`], with JSON-path errors.

use serde_json::{Map, Value};

use super::limits::{Budget, check_text};
use super::{DocumentFilter, FieldOp, Filter, Scalar};
use crate::document::json_type_name;
use crate::error::StorageError;

/// Every operator `where` accepts, for error messages and help text.
pub const FILTER_OPERATORS: &[&str] = &[
    "$eq",
    "$ne",
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$in",
    "$nin",
    "$exists",
    "$contains",
    "$not_contains",
    "$prefix",
    "$and",
    "$or",
    "$not",
];

const FIELD_OPERATORS: &str = "$eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $exists, $contains, $not_contains, $prefix";

/// `path.segment`; a key is a segment too, so it is [shown](crate::shown) (escaped, cut when long).
fn child(path: &str, segment: &str) -> String {
    let segment = crate::shown(segment);
    if path.is_empty() { segment } else { format!("{path}.{segment}") }
}

fn field_name(path: &str) -> &str {
    if path.is_empty() { "where" } else { path }
}

fn fail<T>(path: &str, reason: impl Into<String>) -> crate::Result<T> {
    Err(StorageError::invalid(field_name(path), reason))
}

pub(super) fn parse_filter(value: &Value) -> crate::Result<Filter> {
    Parser::default().object(value, "", 1)
}

pub(super) fn parse_document_filter(value: &Value) -> crate::Result<DocumentFilter> {
    Parser::default().document_object(value, "where_document", 1)
}

/// `text` read as JSON, then parsed by `parse`; text that is not JSON is an error of `field`.
pub(super) fn parse_text<T>(text: &str, field: &str, parse: fn(&Value) -> crate::Result<T>) -> crate::Result<T> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| StorageError::invalid(field, format!("is not valid JSON: {e}")))?;
    parse(&value)
}

/// One parse: the budget of [`super::limits`] it has used so far. Every node is counted at the depth it
/// will have in the AST before its parts are parsed, so an over-deep filter is refused on the way down and
/// the parser's own recursion stays within [`super::MAX_FILTER_DEPTH`].
#[derive(Default)]
struct Parser {
    budget: Budget,
}

impl Parser {
    fn node(&mut self, depth: usize, path: &str) -> crate::Result<()> {
        self.budget.node(depth, field_name(path))
    }

    /// The depth of the parts of an object at `depth` with `parts` keys: the same for one key, one deeper
    /// (after counting the implicit `$and` they become) for any other number.
    fn parts_depth(&mut self, parts: usize, depth: usize, path: &str) -> crate::Result<usize> {
        if parts == 1 {
            return Ok(depth);
        }
        self.node(depth, path)?;
        Ok(depth + 1)
    }

    /// A filter object at `depth`: one part per key, under an implicit `$and` when there are several.
    fn object(&mut self, value: &Value, path: &str, depth: usize) -> crate::Result<Filter> {
        let Value::Object(map) = value else {
            return fail(path, format!("a filter must be a JSON object, got {}", json_type_name(value)));
        };
        let part_depth = self.parts_depth(map.len(), depth, path)?;
        let mut parts = Vec::with_capacity(map.len());
        for (key, operand) in map {
            if key.starts_with('$') {
                parts.push(self.logical(key, operand, path, part_depth)?);
            } else {
                check_text(key, field_name(path), &format!("the key {}", crate::quoted(key)))?;
                parts.push(self.field(key, operand, &child(path, key), part_depth)?);
            }
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Filter::And(parts) })
    }

    fn logical(&mut self, op: &str, operand: &Value, path: &str, depth: usize) -> crate::Result<Filter> {
        let here = child(path, op);
        match op {
            "$and" | "$or" => {
                let filters = self.list(operand, &here, op, "filters", depth, Self::object)?;
                Ok(if op == "$and" { Filter::And(filters) } else { Filter::Or(filters) })
            }
            "$not" => {
                self.node(depth, &here)?;
                let inner = self.object(operand, &here, depth + 1)?;
                if inner.is_match_all() {
                    return fail(&here, "$not needs a filter that restricts something; this one matches everything");
                }
                Ok(Filter::Not(Box::new(inner)))
            }
            _ if FIELD_OPERATORS.split(", ").any(|known| known == op) => {
                fail(&here, format!("{op} must be applied to a metadata key, e.g. {{\"year\": {{\"{op}\": ...}}}}"))
            }
            _ => fail(
                &here,
                format!("{} is not a filter operator; logical operators are $and, $or and $not", crate::quoted(op)),
            ),
        }
    }

    fn field(&mut self, key: &str, operand: &Value, path: &str, depth: usize) -> crate::Result<Filter> {
        match operand {
            Value::Object(ops) => self.operators(key, ops, path, depth),
            Value::Null => fail(path, "null is not a filter value; use {\"$exists\": false} to match a missing key"),
            Value::Array(_) => fail(
                path,
                "an array is not a filter value; use {\"$in\": [...]} to match one of several values, or \
                 {\"$contains\": v} to match an array that holds v",
            ),
            scalar => {
                self.node(depth, path)?;
                Ok(Filter::Field { key: key.to_owned(), op: FieldOp::Eq(to_scalar(scalar, path, "$eq")?) })
            }
        }
    }

    fn operators(&mut self, key: &str, ops: &Map<String, Value>, path: &str, depth: usize) -> crate::Result<Filter> {
        if ops.is_empty() {
            return fail(path, format!("an empty operator object; expected one of {FIELD_OPERATORS}"));
        }
        let part_depth = self.parts_depth(ops.len(), depth, path)?;
        let mut parts = Vec::with_capacity(ops.len());
        for (op, operand) in ops {
            let (test, negated) = self.operator(op, operand, path)?;
            self.node(part_depth, path)?;
            let field = Filter::Field { key: key.to_owned(), op: test };
            parts.push(if negated {
                self.node(part_depth + 1, path)?;
                Filter::Not(Box::new(field))
            } else {
                field
            });
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Filter::And(parts) })
    }

    /// One operator applied to a key: the positive test, and whether the operator negates it.
    fn operator(&mut self, op: &str, operand: &Value, path: &str) -> crate::Result<(FieldOp, bool)> {
        Ok(match op {
            "$eq" => (FieldOp::Eq(to_scalar(operand, path, op)?), false),
            "$ne" => (FieldOp::Eq(to_scalar(operand, path, op)?), true),
            "$gt" => (FieldOp::Gt(to_number(operand, path, op)?), false),
            "$gte" => (FieldOp::Gte(to_number(operand, path, op)?), false),
            "$lt" => (FieldOp::Lt(to_number(operand, path, op)?), false),
            "$lte" => (FieldOp::Lte(to_number(operand, path, op)?), false),
            "$in" | "$nin" => {
                let items = non_empty_array(operand, path, op, "strings, numbers or booleans")?;
                self.budget.values(items.len(), field_name(path))?;
                (FieldOp::In(to_scalar_list(items, path, op)?), op == "$nin")
            }
            "$exists" => match operand {
                Value::Bool(exists) => (FieldOp::Exists, !exists),
                other => return fail(path, format!("$exists needs true or false, got {}", json_type_name(other))),
            },
            "$contains" | "$not_contains" => {
                (FieldOp::Contains(to_non_empty_scalar(operand, path, op)?), op == "$not_contains")
            }
            "$prefix" => match operand {
                Value::String(s) if !s.is_empty() => {
                    check_text(s, path, "the $prefix value")?;
                    (FieldOp::Prefix(s.clone()), false)
                }
                _ => return fail(path, "$prefix needs a non-empty string"),
            },
            "$and" | "$or" | "$not" => {
                return fail(
                    path,
                    format!("{op} combines filters and belongs outside a key, e.g. {{\"{op}\": [...]}}"),
                );
            }
            other if other.starts_with('$') => {
                return fail(
                    path,
                    format!("{} is not a filter operator; expected one of {FIELD_OPERATORS}", crate::quoted(other)),
                );
            }
            other => {
                return fail(
                    path,
                    format!(
                        "{} is not an operator; keys are top-level metadata keys, so nested objects are not filters \
                         (expected one of {FIELD_OPERATORS})",
                        crate::quoted(other)
                    ),
                );
            }
        })
    }

    /// The filters of a `$and` or `$or` at `here` (a node at `depth`), each parsed by `parse` one level deeper.
    fn list<T>(
        &mut self,
        operand: &Value,
        here: &str,
        op: &str,
        what: &str,
        depth: usize,
        parse: fn(&mut Self, &Value, &str, usize) -> crate::Result<T>,
    ) -> crate::Result<Vec<T>> {
        let items = non_empty_array(operand, here, op, what)?;
        self.node(depth, here)?;
        items.iter().enumerate().map(|(idx, item)| parse(self, item, &format!("{here}[{idx}]"), depth + 1)).collect()
    }

    fn document_object(&mut self, value: &Value, path: &str, depth: usize) -> crate::Result<DocumentFilter> {
        let Value::Object(map) = value else {
            return fail(path, format!("a document filter must be a JSON object, got {}", json_type_name(value)));
        };
        if map.is_empty() {
            return fail(path, format!("an empty document filter; expected {DOCUMENT_OPERATORS}"));
        }
        let part_depth = self.parts_depth(map.len(), depth, path)?;
        let mut parts = Vec::with_capacity(map.len());
        for (op, operand) in map {
            let here = child(path, op);
            let part = match op.as_str() {
                "$contains" | "$not_contains" => {
                    let Value::String(text) = operand else {
                        return fail(&here, format!("{op} needs a string, got {}", json_type_name(operand)));
                    };
                    if text.is_empty() {
                        return fail(&here, format!("{op} needs a non-empty string"));
                    }
                    check_text(text, &here, "the value")?;
                    self.node(part_depth, &here)?;
                    if op == "$contains" {
                        DocumentFilter::Contains(text.clone())
                    } else {
                        DocumentFilter::NotContains(text.clone())
                    }
                }
                "$and" | "$or" => {
                    let filters =
                        self.list(operand, &here, op, "document filters", part_depth, Self::document_object)?;
                    if op == "$and" { DocumentFilter::And(filters) } else { DocumentFilter::Or(filters) }
                }
                other => {
                    return fail(
                        &here,
                        format!("{} is not a document operator; expected {DOCUMENT_OPERATORS}", crate::quoted(other)),
                    );
                }
            };
            parts.push(part);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { DocumentFilter::And(parts) })
    }
}

fn non_empty_array<'v>(operand: &'v Value, path: &str, op: &str, what: &str) -> crate::Result<&'v Vec<Value>> {
    match operand {
        Value::Array(items) if !items.is_empty() => Ok(items),
        Value::Array(_) => fail(path, format!("{op} needs a non-empty array of {what}")),
        other => fail(path, format!("{op} needs an array of {what}, got {}", json_type_name(other))),
    }
}

fn to_scalar(value: &Value, path: &str, op: &str) -> crate::Result<Scalar> {
    match value {
        Value::String(s) => {
            check_text(s, field_name(path), &format!("the {op} value"))?;
            Ok(Scalar::String(s.clone()))
        }
        Value::Bool(b) => Ok(Scalar::Bool(*b)),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.is_finite() => Ok(Scalar::Number(f)),
            _ => fail(path, format!("{op} needs a finite number, got {n}")),
        },
        other => fail(path, format!("{op} needs a string, number or boolean, got {}", json_type_name(other))),
    }
}

fn to_non_empty_scalar(value: &Value, path: &str, op: &str) -> crate::Result<Scalar> {
    match to_scalar(value, path, op)? {
        Scalar::String(s) if s.is_empty() => fail(path, format!("{op} needs a non-empty string")),
        scalar => Ok(scalar),
    }
}

fn to_number(value: &Value, path: &str, op: &str) -> crate::Result<f64> {
    match value.as_f64() {
        Some(f) if f.is_finite() => Ok(f),
        _ => fail(path, format!("{op} needs a number, got {}", json_type_name(value))),
    }
}

fn to_scalar_list(items: &[Value], path: &str, op: &str) -> crate::Result<Vec<Scalar>> {
    items
        .iter()
        .enumerate()
        .map(|(idx, item)| match item {
            Value::String(_) | Value::Bool(_) | Value::Number(_) => to_scalar(item, path, &format!("{op} item {idx}")),
            other => fail(
                path,
                format!("{op} item {idx} is {}; expected a string, number or boolean", json_type_name(other)),
            ),
        })
        .collect()
}

const DOCUMENT_OPERATORS: &str = "$contains, $not_contains, $and or $or";

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn field(key: &str, op: FieldOp) -> Filter {
        Filter::Field { key: key.to_owned(), op }
    }

    fn not(filter: Filter) -> Filter {
        Filter::Not(Box::new(filter))
    }

    fn check(input: Value, expected: Filter) {
        assert_eq!(Filter::from_json(&input).unwrap(), expected, "{input}");
    }

    fn check_err(input: Value, expected: &str) {
        let err = Filter::from_json(&input).unwrap_err().to_string();
        assert!(err.starts_with(expected), "{input}\n  got:      {err}\n  expected: {expected}…");
    }

    #[test]
    fn every_operator_parses() {
        use Scalar::*;
        check(json!({}), Filter::all());
        check(json!({"k": "v"}), field("k", FieldOp::Eq(String("v".into()))));
        check(json!({"k": 2}), field("k", FieldOp::Eq(Number(2.0))));
        check(json!({"k": true}), field("k", FieldOp::Eq(Bool(true))));
        check(json!({"k": {"$eq": 1.5}}), field("k", FieldOp::Eq(Number(1.5))));
        check(json!({"k": {"$ne": "v"}}), not(field("k", FieldOp::Eq(String("v".into())))));
        check(json!({"k": {"$gt": 1}}), field("k", FieldOp::Gt(1.0)));
        check(json!({"k": {"$gte": 1}}), field("k", FieldOp::Gte(1.0)));
        check(json!({"k": {"$lt": 1}}), field("k", FieldOp::Lt(1.0)));
        check(json!({"k": {"$lte": -1}}), field("k", FieldOp::Lte(-1.0)));
        check(
            json!({"k": {"$in": ["a", 1, false]}}),
            field("k", FieldOp::In(vec![String("a".into()), Number(1.0), Bool(false)])),
        );
        check(json!({"k": {"$nin": ["a"]}}), not(field("k", FieldOp::In(vec![String("a".into())]))));
        check(json!({"k": {"$exists": true}}), field("k", FieldOp::Exists));
        check(json!({"k": {"$exists": false}}), not(field("k", FieldOp::Exists)));
        check(json!({"k": {"$contains": "x"}}), field("k", FieldOp::Contains(String("x".into()))));
        check(json!({"k": {"$contains": 3}}), field("k", FieldOp::Contains(Number(3.0))));
        check(json!({"k": {"$not_contains": "x"}}), not(field("k", FieldOp::Contains(String("x".into())))));
        check(json!({"k": {"$prefix": "/docs/"}}), field("k", FieldOp::Prefix("/docs/".into())));
        check(json!({"$not": {"k": 1}}), not(field("k", FieldOp::Eq(Number(1.0)))));
    }

    #[test]
    fn nesting_and_implicit_and() {
        use Scalar::*;
        check(
            json!({"$and": [{"a": 1}, {"$or": [{"b": "x"}, {"c": {"$gt": 2}}]}]}),
            Filter::And(vec![
                field("a", FieldOp::Eq(Number(1.0))),
                Filter::Or(vec![field("b", FieldOp::Eq(String("x".into()))), field("c", FieldOp::Gt(2.0))]),
            ]),
        );
        check(
            json!({"a": 1, "b": {"$gte": 2, "$lt": 5}}),
            Filter::And(vec![
                field("a", FieldOp::Eq(Number(1.0))),
                Filter::And(vec![field("b", FieldOp::Gte(2.0)), field("b", FieldOp::Lt(5.0))]),
            ]),
        );
        check(json!({"a.b": 1}), field("a.b", FieldOp::Eq(Number(1.0))));
    }

    #[test]
    fn errors_name_the_json_path() {
        check_err(
            json!({"$and": [{"a": 1}, {"year": {"$gt": "x"}}]}),
            "$and[1].year: $gt needs a number, got a string",
        );
        check_err(json!({"year": {"$gt": "2020"}}), "year: $gt needs a number");
        check_err(json!({"$or": [{"$not": {"k": {"$bogus": 1}}}]}), "$or[0].$not.k: `$bogus` is not a filter operator");
        check_err(json!({"$bogus": []}), "$bogus: `$bogus` is not a filter operator");
        check_err(json!({"$gt": 1}), "$gt: $gt must be applied to a metadata key");
        check_err(json!({"$and": []}), "$and: $and needs a non-empty array of filters");
        check_err(json!({"$or": {"a": 1}}), "$or: $or needs an array of filters, got an object");
        check_err(json!({"$and": [1]}), "$and[0]: a filter must be a JSON object, got a number");
        check_err(json!({"$not": {}}), "$not: $not needs a filter that restricts something");
        check_err(json!({"$not": {"$or": [{}]}}), "$not: $not needs a filter that restricts something");
        check_err(json!([1, 2]), "where: a filter must be a JSON object, got an array");
        check_err(json!("x"), "where: a filter must be a JSON object, got a string");
        check_err(json!({"k": null}), "k: null is not a filter value");
        check_err(json!({"k": [1]}), "k: an array is not a filter value");
        check_err(json!({"k": {}}), "k: an empty operator object");
        check_err(json!({"k": {"$in": []}}), "k: $in needs a non-empty array");
        check_err(json!({"k": {"$in": "a"}}), "k: $in needs an array");
        check_err(json!({"k": {"$nin": [1, null]}}), "k: $nin item 1 is null");
        check_err(json!({"k": {"$exists": 1}}), "k: $exists needs true or false");
        check_err(json!({"k": {"$contains": ""}}), "k: $contains needs a non-empty string");
        check_err(json!({"k": {"$contains": null}}), "k: $contains needs a string, number or boolean");
        check_err(json!({"k": {"$prefix": 1}}), "k: $prefix needs a non-empty string");
        check_err(json!({"k": {"$eq": {"a": 1}}}), "k: $eq needs a string, number or boolean, got an object");
        check_err(json!({"k": {"$and": [1]}}), "k: $and combines filters");
        check_err(json!({"k": {"nested": 1}}), "k: `nested` is not an operator");
    }

    #[test]
    fn invalid_json_text_is_reported() {
        let err = Filter::from_json_str("{\"a\": ").unwrap_err().to_string();
        assert!(err.starts_with("where: is not valid JSON"), "{err}");
    }

    #[test]
    fn document_filters_parse_and_report_paths() {
        assert_eq!(
            DocumentFilter::from_json(&json!({"$contains": "rust"})).unwrap(),
            DocumentFilter::Contains("rust".into())
        );
        assert_eq!(
            DocumentFilter::from_json(&json!({"$or": [{"$contains": "a"}, {"$not_contains": "b"}]})).unwrap(),
            DocumentFilter::Or(vec![DocumentFilter::Contains("a".into()), DocumentFilter::NotContains("b".into())])
        );
        let err = DocumentFilter::from_json(&json!({"$and": [{"$regex": "x"}]})).unwrap_err().to_string();
        assert!(err.starts_with("where_document.$and[0].$regex: `$regex` is not a document operator"), "{err}");
        let err = DocumentFilter::from_json(&json!({"$contains": ""})).unwrap_err().to_string();
        assert!(err.starts_with("where_document.$contains: $contains needs a non-empty string"), "{err}");
        assert!(DocumentFilter::from_json(&json!({})).is_err());
        assert!(DocumentFilter::from_json(&json!({"$contains": 1})).is_err());
    }
}
