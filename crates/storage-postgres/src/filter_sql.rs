//! Core's `Filter` and `DocumentFilter` compiled to sea-query conditions whose every key and value is a
//! bound parameter, reproducing `storage_core::filter` evaluation exactly.
//!
//! Every leaf is `true` or `false`, never NULL, so `NOT` of a test on a missing key is true, as in the
//! reference. Type-strictness comes from `jsonb_typeof` guards inside `CASE` (which fixes the evaluation
//! order). String and boolean equality use containment (`@>`), which is exact for them and uses the GIN
//! index; numbers compare as `float8`, as the reference compares `f64`.
//!
//! Size never turns into depth: an `$in` list is one array parameter (`@> ANY($1::jsonb[])`,
//! `= ANY($1::float8[])`), and the parts of `$and` and `$or` are joined as a balanced tree, so a list of n
//! parts nests log2(n) deep. sea-query renders and drops expressions recursively, and the left-deep chain
//! it builds from a `Condition` of 20,000 parts overflowed a 2 MiB tokio worker stack.

use sea_orm::sea_query::{ArrayType, Expr, ExprTrait, Value};
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

/// `metadata[key] <comparison> bound`, true only where the value is a JSON number: a string never compares
/// with a number, as in core's reference meaning (`filter/eval.rs`).
fn number_test(key: &str, comparison: &'static str, bound: f64) -> Expr {
    let template = format!(
        "(CASE WHEN jsonb_typeof(\"metadata\" -> $1) = 'number' THEN (\"metadata\" -> $2)::float8 {comparison} $3 ELSE false END)"
    );
    Expr::cust_with_values(template, [Value::from(key), Value::from(key), Value::from(bound)])
}

fn equals(key: &str, scalar: &Scalar) -> Expr {
    match scalar {
        Scalar::Number(number) => number_test(key, "=", *number),
        other => Expr::cust_with_values("(\"metadata\" @> $1)", [object(key, other.to_json())]),
    }
}

fn contains(key: &str, scalar: &Scalar) -> Expr {
    match scalar {
        Scalar::Number(number) => Expr::cust_with_values(
            "(CASE WHEN jsonb_typeof(\"metadata\" -> $1) = 'array' THEN EXISTS (SELECT 1 FROM \
             jsonb_array_elements(\"metadata\" -> $2) AS element(v) WHERE jsonb_typeof(element.v) = 'number' \
             AND (element.v)::float8 = $3) ELSE false END)",
            [Value::from(key), Value::from(key), Value::from(*number)],
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
        FieldOp::In(scalars) => one_of(key, scalars),
        FieldOp::Gt(bound) => number_test(key, ">", *bound),
        FieldOp::Gte(bound) => number_test(key, ">=", *bound),
        FieldOp::Lt(bound) => number_test(key, "<", *bound),
        FieldOp::Lte(bound) => number_test(key, "<=", *bound),
        FieldOp::Exists => Expr::cust_with_values("(\"metadata\" ? $1)", [Value::from(key)]),
        FieldOp::Contains(scalar) => contains(key, scalar),
        FieldOp::Prefix(prefix) => Expr::cust_with_values(
            "(CASE WHEN jsonb_typeof(\"metadata\" -> $1) = 'string' THEN starts_with(\"metadata\" ->> $2, $3) ELSE false END)",
            [Value::from(key), Value::from(key), Value::from(prefix.as_str())],
        ),
    }
}

/// `key`'s value equals one of `scalars`: strings and booleans by containment, numbers as `float8`, each
/// kind as one array parameter however long the list is.
fn one_of(key: &str, scalars: &[Scalar]) -> Expr {
    let (numbers, others): (Vec<&Scalar>, Vec<&Scalar>) =
        scalars.iter().partition(|scalar| matches!(scalar, Scalar::Number(_)));
    let mut tests = Vec::with_capacity(2);
    if !others.is_empty() {
        let objects = others.iter().map(|scalar| object(key, scalar.to_json())).collect();
        tests.push(Expr::cust_with_values(
            "(\"metadata\" @> ANY($1::jsonb[]))",
            [Value::Array(ArrayType::Json, Some(Box::new(objects)))],
        ));
    }
    if !numbers.is_empty() {
        let numbers: Vec<f64> =
            numbers.iter().filter_map(|scalar| if let Scalar::Number(n) = scalar { Some(*n) } else { None }).collect();
        tests.push(Expr::cust_with_values(
            "(CASE WHEN jsonb_typeof(\"metadata\" -> $1) = 'number' THEN (\"metadata\" -> $2)::float8 = ANY($3::float8[]) \
             ELSE false END)",
            [Value::from(key), Value::from(key), Value::from(numbers)],
        ));
    }
    balanced(tests, Join::Or)
}

/// How [`balanced`] joins its parts.
#[derive(Clone, Copy)]
enum Join {
    And,
    Or,
}

/// `parts` joined by `join` as a balanced binary tree (pairs, then pairs of pairs), built without
/// recursion, so its depth is log2 of its length. No parts is `TRUE` for `AND` and `FALSE` for `OR`.
fn balanced(parts: Vec<Expr>, join: Join) -> Expr {
    let mut level = parts;
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        let mut parts = level.into_iter();
        while let Some(left) = parts.next() {
            next.push(match (parts.next(), join) {
                (Some(right), Join::And) => left.and(right),
                (Some(right), Join::Or) => left.or(right),
                (None, _) => left,
            });
        }
        level = next;
    }
    level.pop().unwrap_or_else(|| Expr::cust(if matches!(join, Join::And) { "TRUE" } else { "FALSE" }))
}

/// A metadata filter as a boolean expression on the `metadata` column.
fn metadata_condition(filter: &Filter) -> Expr {
    match filter {
        Filter::And(items) => balanced(items.iter().map(metadata_condition).collect(), Join::And),
        Filter::Or(items) => balanced(items.iter().map(metadata_condition).collect(), Join::Or),
        Filter::Not(inner) => metadata_condition(inner).not(),
        Filter::Field { key, op } => field(key, op),
    }
}

/// A text filter as a boolean expression on the `text` column: case-sensitive substrings through `strpos`,
/// so `%` and `_` are literal.
fn document_condition(filter: &DocumentFilter) -> Expr {
    match filter {
        DocumentFilter::Contains(needle) => {
            Expr::cust_with_values("(strpos(\"text\", $1) > 0)", [Value::from(needle.as_str())])
        }
        DocumentFilter::NotContains(needle) => {
            Expr::cust_with_values("(strpos(\"text\", $1) = 0)", [Value::from(needle.as_str())])
        }
        DocumentFilter::And(items) => balanced(items.iter().map(document_condition).collect(), Join::And),
        DocumentFilter::Or(items) => balanced(items.iter().map(document_condition).collect(), Join::Or),
    }
}

/// Both filters of a request as one expression, or `None` when neither restricts anything.
pub(crate) fn where_expr(filter: Option<&Filter>, document: Option<&DocumentFilter>) -> Option<Expr> {
    let mut parts = Vec::with_capacity(2);
    if let Some(filter) = filter.filter(|f| !f.is_match_all()) {
        parts.push(metadata_condition(filter));
    }
    if let Some(document) = document {
        parts.push(document_condition(document));
    }
    (!parts.is_empty()).then(|| balanced(parts, Join::And))
}

#[cfg(test)]
mod tests {
    use sea_orm::sea_query::{PostgresQueryBuilder, Query};
    use serde_json::json;

    use storage_core::testing::fixtures::parenthesis_depth;

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
            "((\"metadata\" @> ANY($1::jsonb[]))) OR ((CASE WHEN jsonb_typeof(\"metadata\" -> $2) = 'number' \
             THEN (\"metadata\" -> $3)::float8 = ANY($4::float8[]) ELSE false END))",
            4,
        );
    }

    #[test]
    fn long_lists_compile_shallow_on_a_small_stack() {
        // Built in code, past core's limits, to show the compiler itself never nests by length: the tester's
        // 20,000 `$or` items and 15,000 `$in` strings overflowed a 2 MiB worker stack.
        let or = Filter::Or((0..20_000).map(|i| Filter::eq("k", Scalar::Number(f64::from(i)))).collect());
        let strings = (0..15_000).map(|i| Scalar::String(format!("v{i}"))).collect();
        let numbers = (0..8_000).map(|i| Scalar::Number(f64::from(i))).collect();
        let within = Filter::And(vec![
            Filter::Field { key: "s".into(), op: FieldOp::In(strings) },
            Filter::Field { key: "n".into(), op: FieldOp::In(numbers) },
        ]);
        let rendered = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                [or, within].map(|filter| {
                    let expr = where_expr(Some(&filter), None).unwrap();
                    let (sql, values) = Query::select().expr(expr).build(PostgresQueryBuilder);
                    (parenthesis_depth(&sql), values.0.len())
                })
            })
            .unwrap()
            .join()
            .unwrap();
        let [(or_depth, or_values), (in_depth, in_values)] = rendered;
        assert!(or_depth <= 2 * 15 + 4, "20,000 parts nest {or_depth} deep");
        assert_eq!(or_values, 3 * 20_000);
        assert!(in_depth <= 8, "two $in lists nest {in_depth} deep");
        assert_eq!(in_values, 1 + 3, "each $in list is one array parameter");
    }

    #[test]
    fn empty_filters_compile_to_nothing() {
        assert!(where_expr(Some(&Filter::all()), None).is_none());
        assert!(where_expr(None, None).is_none());
    }
}
