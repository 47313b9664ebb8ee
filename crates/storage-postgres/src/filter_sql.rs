//! Core's `Filter` and `DocumentFilter` compiled to sea-query conditions whose every key and value is a
//! bound parameter, reproducing `storage_core::filter` evaluation exactly.
//!
//! Every leaf is `true` or `false`, never NULL, so `NOT` of a test on a missing key is true, as in the
//! reference. Type-strictness comes from `jsonb_typeof` guards inside `CASE` (which fixes the evaluation
//! order). String and boolean equality use containment (`@>`), which is exact for them and uses the GIN
//! index; numbers compare as `float8`, as the reference compares `f64`.

use sea_orm::sea_query::{Condition, Expr, Value};
use serde_json::{Map, Value as Json};
use storage_core::filter::{FieldOp, Scalar};
use storage_core::{DocumentFilter, Filter};

fn json(value: Json) -> Value {
    Value::Json(Some(Box::new(value)))
}

/// `{"key": value}` as a bound `jsonb`.
fn object(key: &str, value: Json) -> Value {
    let mut map = Map::new();
    map.insert(key.to_owned(), value);
    json(Json::Object(map))
}

fn number_test(key: &str, template: &'static str, bound: f64) -> Expr {
    Expr::cust_with_values(template, [Value::from(key), Value::from(key), Value::from(bound)])
}

fn equals(key: &str, scalar: &Scalar) -> Expr {
    match scalar {
        Scalar::Number(number) => number_test(
            key,
            "(CASE WHEN jsonb_typeof(\"metadata\" -> $1) = 'number' THEN (\"metadata\" -> $2)::float8 = $3 ELSE false END)",
            *number,
        ),
        other => Expr::cust_with_values("(\"metadata\" @> $1)", [object(key, other.to_json())]),
    }
}

fn contains(key: &str, scalar: &Scalar) -> Expr {
    match scalar {
        Scalar::Number(number) => number_test(
            key,
            "(CASE WHEN jsonb_typeof(\"metadata\" -> $1) = 'array' THEN EXISTS (SELECT 1 FROM \
             jsonb_array_elements(\"metadata\" -> $2) AS element(v) WHERE jsonb_typeof(element.v) = 'number' \
             AND (element.v)::float8 = $3) ELSE false END)",
            *number,
        ),
        Scalar::String(needle) => Expr::cust_with_values(
            "(\"metadata\" @> $1 OR (CASE WHEN jsonb_typeof(\"metadata\" -> $2) = 'string' \
             THEN strpos(\"metadata\" ->> $3, $4) > 0 ELSE false END))",
            [
                object(key, Json::Array(vec![Json::String(needle.clone())])),
                Value::from(key),
                Value::from(key),
                Value::from(needle.as_str()),
            ],
        ),
        Scalar::Bool(flag) => {
            Expr::cust_with_values("(\"metadata\" @> $1)", [object(key, Json::Array(vec![Json::Bool(*flag)]))])
        }
    }
}

fn field(key: &str, op: &FieldOp) -> Expr {
    match op {
        FieldOp::Eq(scalar) => equals(key, scalar),
        FieldOp::In(scalars) => scalars.iter().fold(Condition::any(), |any, s| any.add(equals(key, s))).into(),
        FieldOp::Gt(bound) => number_test(
            key,
            "(CASE WHEN jsonb_typeof(\"metadata\" -> $1) = 'number' THEN (\"metadata\" -> $2)::float8 > $3 ELSE false END)",
            *bound,
        ),
        FieldOp::Gte(bound) => number_test(
            key,
            "(CASE WHEN jsonb_typeof(\"metadata\" -> $1) = 'number' THEN (\"metadata\" -> $2)::float8 >= $3 ELSE false END)",
            *bound,
        ),
        FieldOp::Lt(bound) => number_test(
            key,
            "(CASE WHEN jsonb_typeof(\"metadata\" -> $1) = 'number' THEN (\"metadata\" -> $2)::float8 < $3 ELSE false END)",
            *bound,
        ),
        FieldOp::Lte(bound) => number_test(
            key,
            "(CASE WHEN jsonb_typeof(\"metadata\" -> $1) = 'number' THEN (\"metadata\" -> $2)::float8 <= $3 ELSE false END)",
            *bound,
        ),
        FieldOp::Exists => Expr::cust_with_values("(\"metadata\" ? $1)", [Value::from(key)]),
        FieldOp::Contains(scalar) => contains(key, scalar),
        FieldOp::Prefix(prefix) => Expr::cust_with_values(
            "(CASE WHEN jsonb_typeof(\"metadata\" -> $1) = 'string' THEN starts_with(\"metadata\" ->> $2, $3) ELSE false END)",
            [Value::from(key), Value::from(key), Value::from(prefix.as_str())],
        ),
    }
}

/// A metadata filter as a condition on the `metadata` column.
pub(crate) fn metadata_condition(filter: &Filter) -> Condition {
    match filter {
        Filter::And(items) => items.iter().fold(Condition::all(), |all, f| all.add(metadata_condition(f))),
        Filter::Or(items) => items.iter().fold(Condition::any(), |any, f| any.add(metadata_condition(f))),
        Filter::Not(inner) => metadata_condition(inner).not(),
        Filter::Field { key, op } => Condition::all().add(field(key, op)),
    }
}

/// A text filter as a condition on the `text` column: case-sensitive substrings through `strpos`, so `%`
/// and `_` are literal.
pub(crate) fn document_condition(filter: &DocumentFilter) -> Condition {
    match filter {
        DocumentFilter::Contains(needle) => {
            Condition::all().add(Expr::cust_with_values("(strpos(\"text\", $1) > 0)", [Value::from(needle.as_str())]))
        }
        DocumentFilter::NotContains(needle) => {
            Condition::all().add(Expr::cust_with_values("(strpos(\"text\", $1) = 0)", [Value::from(needle.as_str())]))
        }
        DocumentFilter::And(items) => items.iter().fold(Condition::all(), |all, f| all.add(document_condition(f))),
        DocumentFilter::Or(items) => items.iter().fold(Condition::any(), |any, f| any.add(document_condition(f))),
    }
}

/// Both filters of a request as one expression, or `None` when neither restricts anything.
pub(crate) fn where_expr(filter: Option<&Filter>, document: Option<&DocumentFilter>) -> Option<Expr> {
    let mut all = Condition::all();
    if let Some(filter) = filter.filter(|f| !f.is_match_all()) {
        all = all.add(metadata_condition(filter));
    }
    if let Some(document) = document {
        all = all.add(document_condition(document));
    }
    (!all.is_empty()).then(|| all.into())
}

#[cfg(test)]
mod tests {
    use sea_orm::sea_query::{PostgresQueryBuilder, Query};
    use serde_json::json;

    use super::*;

    fn check(filter: Json, expected_sql: &str, expected_values: usize) {
        let filter = Filter::from_json(&filter).unwrap();
        let expr = where_expr(Some(&filter), None).unwrap();
        let (sql, values) = Query::select().expr(expr).build(PostgresQueryBuilder);
        assert_eq!(sql, format!("SELECT {expected_sql}"));
        assert_eq!(values.0.len(), expected_values, "{sql}");
    }

    #[test]
    fn keys_and_values_are_parameters() {
        check(json!({"lang": "x'; --"}), "(\"metadata\" @> $1)", 1);
        check(json!({"it's $1": {"$exists": true}}), "(\"metadata\" ? $1)", 1);
        check(
            json!({"year": {"$gt": 2020}}),
            "(CASE WHEN jsonb_typeof(\"metadata\" -> $1) = 'number' THEN (\"metadata\" -> $2)::float8 > $3 ELSE false END)",
            3,
        );
        check(json!({"$not": {"a": true}}), "NOT ((\"metadata\" @> $1))", 1);
        check(
            json!({"a": {"$in": ["x", 1]}}),
            "((\"metadata\" @> $1)) OR ((CASE WHEN jsonb_typeof(\"metadata\" -> $2) = 'number' \
             THEN (\"metadata\" -> $3)::float8 = $4 ELSE false END))",
            4,
        );
    }

    #[test]
    fn empty_filters_compile_to_nothing() {
        assert!(where_expr(Some(&Filter::all()), None).is_none());
        assert!(where_expr(None, None).is_none());
    }
}
