//! The size limits of one filter and the text rule of its strings, shared by the parser (which knows JSON
//! paths) and [`Filter::validate`](super::Filter::validate) (for filters built in code).

use super::{DocumentFilter, FieldOp, Filter, Scalar};
use crate::error::StorageError;

/// The most nodes one filter may hold: every key test, every `$and`, `$or` and `$not`, the negation
/// inside `$ne`, `$nin`, `$not_contains` and `$exists: false`, and the implicit `$and` of an object with
/// several keys or operators. Document filters (`where_document`) count the same way, separately.
pub const MAX_FILTER_NODES: usize = 1_000;

/// The most values the `$in` and `$nin` lists of one filter may hold, all lists together.
pub const MAX_FILTER_VALUES: usize = 10_000;

/// The deepest a filter node may sit: the root is at depth 1, and each `$and`, `$or`, `$not`, negation and
/// implicit `$and` (see [`MAX_FILTER_NODES`]) puts its parts one level deeper.
pub const MAX_FILTER_DEPTH: usize = 32;

/// What one filter has used of the limits so far.
#[derive(Debug, Default)]
pub(super) struct Budget {
    nodes: usize,
    values: usize,
}

impl Budget {
    /// Counts one node at `depth` (the root is 1), refusing it past [`MAX_FILTER_DEPTH`] or
    /// [`MAX_FILTER_NODES`]. `field` is where it is: a JSON path, or `where` for a filter built in code.
    pub(super) fn node(&mut self, depth: usize, field: &str) -> crate::Result<()> {
        if depth > MAX_FILTER_DEPTH {
            return Err(StorageError::invalid(
                field,
                format!("the filter nests deeper than {MAX_FILTER_DEPTH} levels, the limit"),
            ));
        }
        self.nodes += 1;
        if self.nodes > MAX_FILTER_NODES {
            return Err(StorageError::invalid(
                field,
                format!(
                    "the filter has more than {MAX_FILTER_NODES} conditions, the limit; use $in for many values \
                     of one key"
                ),
            ));
        }
        Ok(())
    }

    /// Counts the `count` values of one `$in` or `$nin` list, refusing them past [`MAX_FILTER_VALUES`].
    pub(super) fn values(&mut self, count: usize, field: &str) -> crate::Result<()> {
        self.values += count;
        if self.values > MAX_FILTER_VALUES {
            return Err(StorageError::invalid(
                field,
                format!("the filter's $in and $nin lists hold more than {MAX_FILTER_VALUES} values, the limit"),
            ));
        }
        Ok(())
    }
}

/// Refuses a NUL byte in a key or a string value: no stored key or value holds one (metadata refuses them),
/// and PostgreSQL cannot take one as text.
pub(super) fn check_text(text: &str, field: &str, what: &str) -> crate::Result<()> {
    if text.contains('\0') {
        return Err(StorageError::invalid(field, format!("{what} contains a NUL byte")));
    }
    Ok(())
}

/// Checks a filter built in code as the parser checks JSON, without recursion (a filter too deep for
/// the limit must not exhaust the stack while being measured).
pub(super) fn validate(filter: &Filter) -> crate::Result<()> {
    const FIELD: &str = "where";
    walk(filter, FIELD, |filter, budget, children| {
        match filter {
            Filter::And(items) | Filter::Or(items) => children.extend(items),
            Filter::Not(inner) => children.push(inner),
            Filter::Field { key, op } => {
                check_text(key, FIELD, "a key")?;
                match op {
                    FieldOp::Eq(scalar) | FieldOp::Contains(scalar) => check_scalar(scalar, FIELD)?,
                    FieldOp::In(scalars) => {
                        budget.values(scalars.len(), FIELD)?;
                        scalars.iter().try_for_each(|scalar| check_scalar(scalar, FIELD))?;
                    }
                    FieldOp::Prefix(prefix) => check_text(prefix, FIELD, "a value")?,
                    FieldOp::Gt(bound) | FieldOp::Gte(bound) | FieldOp::Lt(bound) | FieldOp::Lte(bound) => {
                        check_number(*bound, FIELD)?;
                    }
                    FieldOp::Exists => {}
                }
            }
        }
        Ok(())
    })
}

/// [`validate`] for a document filter.
pub(super) fn validate_document(filter: &DocumentFilter) -> crate::Result<()> {
    const FIELD: &str = "where_document";
    walk(filter, FIELD, |filter, _, children| {
        match filter {
            DocumentFilter::And(items) | DocumentFilter::Or(items) => children.extend(items),
            DocumentFilter::Contains(text) | DocumentFilter::NotContains(text) => check_text(text, FIELD, "a value")?,
        }
        Ok(())
    })
}

/// Visits every node of a filter tree once, depth first, with a stack instead of recursion, counting each
/// node against one [`Budget`]: `visit` checks a node and hands back its parts, which sit one level deeper.
fn walk<'a, T>(
    root: &'a T,
    field: &str,
    mut visit: impl FnMut(&'a T, &mut Budget, &mut Vec<&'a T>) -> crate::Result<()>,
) -> crate::Result<()> {
    let mut budget = Budget::default();
    let mut pending = vec![(root, 1)];
    let mut parts = Vec::new();
    while let Some((node, depth)) = pending.pop() {
        budget.node(depth, field)?;
        visit(node, &mut budget, &mut parts)?;
        pending.extend(parts.drain(..).map(|part| (part, depth + 1)));
    }
    Ok(())
}

fn check_scalar(scalar: &Scalar, field: &str) -> crate::Result<()> {
    match scalar {
        Scalar::String(text) => check_text(text, field, "a value"),
        Scalar::Number(number) => check_number(*number, field),
        Scalar::Bool(_) => Ok(()),
    }
}

fn check_number(number: f64, field: &str) -> crate::Result<()> {
    if number.is_finite() {
        Ok(())
    } else {
        Err(StorageError::invalid(field, format!("{number} is not a finite number")))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn refused(input: &Value, expected: &str) {
        let err = Filter::from_json(input).unwrap_err().to_string();
        assert!(err.starts_with(expected), "got:      {err}\nexpected: {expected}…");
    }

    fn in_list(count: usize) -> Value {
        json!({"k": {"$in": (0..count).map(|i| format!("v{i}")).collect::<Vec<_>>()}})
    }

    fn or_of(count: usize) -> Value {
        json!({"$or": (0..count).map(|i| json!({"k": i})).collect::<Vec<_>>()})
    }

    /// `$not` around `$not` ... around a key test, so the key test sits at `depth`.
    fn nested(depth: usize) -> Value {
        (1..depth).fold(json!({"k": 1}), |inner, _| json!({"$not": inner}))
    }

    #[test]
    fn the_parser_accepts_filters_at_each_limit_and_counts_as_validate_does() {
        for input in [in_list(MAX_FILTER_VALUES), or_of(MAX_FILTER_NODES - 1), nested(MAX_FILTER_DEPTH)] {
            let filter = Filter::from_json(&input).unwrap();
            filter.validate().unwrap();
        }
        // Several lists share one budget.
        let split =
            json!({"a": {"$in": vec![1; MAX_FILTER_VALUES / 2]}, "b": {"$nin": vec![2; MAX_FILTER_VALUES / 2]}});
        Filter::from_json(&split).unwrap().validate().unwrap();
    }

    #[test]
    fn the_parser_refuses_filters_past_a_limit_naming_the_path_and_the_limit() {
        refused(&in_list(MAX_FILTER_VALUES + 1), "k: the filter's $in and $nin lists hold more than 10000 values");
        let split = json!({"a": {"$in": vec![1; MAX_FILTER_VALUES]}, "b": {"$nin": [2]}});
        refused(&split, "b: the filter's $in and $nin lists hold more than 10000 values");
        refused(&or_of(MAX_FILTER_NODES), "$or[999].k: the filter has more than 1000 conditions");
        refused(&or_of(20_000), "$or[999].k: the filter has more than 1000 conditions");
        let not_path = vec!["$not"; MAX_FILTER_DEPTH].join(".");
        refused(&nested(MAX_FILTER_DEPTH + 1), &format!("{not_path}.k: the filter nests deeper than 32 levels"));
        // Negations and implicit `$and`s are levels too.
        let ne = (2..MAX_FILTER_DEPTH).fold(json!({"k": {"$ne": 1}}), |inner, _| json!({"$not": inner}));
        assert!(Filter::from_json(&ne).is_ok());
        let ne = json!({"$not": ne});
        refused(&ne, &format!("{}.k: the filter nests deeper", vec!["$not"; MAX_FILTER_DEPTH - 1].join(".")));
        let document =
            json!({"$or": (0..MAX_FILTER_NODES).map(|i| json!({"$contains": format!("w{i}")})).collect::<Vec<_>>()});
        let err = DocumentFilter::from_json(&document).unwrap_err().to_string();
        assert!(err.starts_with("where_document.$or[999].$contains: the filter has more than 1000"), "{err}");
    }

    #[test]
    fn nul_bytes_are_refused_naming_the_path() {
        refused(&json!({"k": "a\u{0}b"}), "k: the $eq value contains a NUL byte");
        refused(&json!({"$and": [{"k": {"$ne": "\u{0}"}}]}), "$and[0].k: the $ne value contains a NUL byte");
        refused(&json!({"k": {"$in": ["ok", "a\u{0}"]}}), "k: the $in item 1 value contains a NUL byte");
        refused(&json!({"k": {"$contains": "\u{0}"}}), "k: the $contains value contains a NUL byte");
        refused(&json!({"k": {"$prefix": "/a\u{0}"}}), "k: the $prefix value contains a NUL byte");
        refused(&json!({"$or": [{"k\u{0}": 1}]}), "$or[0]: the key `k\\0` contains a NUL byte");
        let err = DocumentFilter::from_json(&json!({"$contains": "a\u{0}"})).unwrap_err().to_string();
        assert!(err.starts_with("where_document.$contains: the value contains a NUL byte"), "{err}");
    }

    #[test]
    fn long_keys_and_operators_are_cut_short_in_errors() {
        let long = "k".repeat(10_000);
        for input in [
            json!({ long.clone(): {"$bogus": 1} }),
            json!({ format!("${long}"): [] }),
            json!({"k": { long.clone(): 1 }}),
        ] {
            let err = Filter::from_json(&input).unwrap_err().to_string();
            assert!(err.len() < 400 && err.contains(" characters)"), "{err}");
        }
    }

    #[test]
    fn validate_refuses_what_the_parser_would() {
        let field = |key: &str, op| Filter::Field { key: key.into(), op };
        let string = |s: &str| Scalar::String(s.into());
        let too_many = (0..=MAX_FILTER_VALUES).map(|i| Scalar::Number(i as f64)).collect();
        let deep = (0..MAX_FILTER_DEPTH).fold(Filter::eq("k", string("v")), |inner, _| Filter::Not(Box::new(inner)));
        let cases = [
            (field("k", FieldOp::In(too_many)), "more than 10000 values"),
            (Filter::Or((0..MAX_FILTER_NODES).map(|_| Filter::eq("k", string("v"))).collect()), "more than 1000"),
            (deep, "deeper than 32 levels"),
            (Filter::eq("k", string("a\0")), "NUL"),
            (Filter::eq("k\0", string("a")), "NUL"),
            (field("k", FieldOp::Prefix("\0".into())), "NUL"),
            (field("k", FieldOp::Gt(f64::NAN)), "not a finite number"),
        ];
        for (filter, expected) in cases {
            let err = filter.validate().unwrap_err().to_string();
            assert!(err.starts_with("where: ") && err.contains(expected), "{err}");
        }
        let document = DocumentFilter::Or(vec![DocumentFilter::Contains("\0".into())]);
        assert!(document.validate().unwrap_err().to_string().starts_with("where_document: "));
    }
}
