//! What a filter's shape alone decides, before any row is seen: whether it matches every row or none.

use super::Filter;

/// Whether `filter` is true of every metadata object by construction: `{}`, `$and` of such filters, `$or`
/// holding one of them or a filter beside its own negation, `$not` of a filter that matches nothing.
pub(super) fn matches_everything(filter: &Filter) -> bool {
    match filter {
        Filter::And(items) => items.iter().all(matches_everything),
        Filter::Or(items) => items.iter().any(matches_everything) || holds_a_complement(items),
        Filter::Not(inner) => matches_nothing(inner),
        Filter::Field { .. } => false,
    }
}

/// Whether `filter` is false of every metadata object by construction: the mirror of [`matches_everything`].
pub(super) fn matches_nothing(filter: &Filter) -> bool {
    match filter {
        Filter::And(items) => items.iter().any(matches_nothing) || holds_a_complement(items),
        Filter::Or(items) => items.iter().all(matches_nothing),
        Filter::Not(inner) => matches_everything(inner),
        Filter::Field { .. } => false,
    }
}

/// Whether `items` holds some filter and its `$not` (`{"k": 1}` beside `{"k": {"$ne": 1}}`, `$exists`
/// true beside false): one of the two is true, and one is false, of every object.
fn holds_a_complement(items: &[Filter]) -> bool {
    items.iter().any(|item| match item {
        Filter::Not(inner) => items.iter().any(|other| other == inner.as_ref()),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::filter::{FieldOp, Filter};

    fn check(input: Value, everything: bool, nothing: bool) {
        let filter = Filter::from_json(&input).unwrap();
        assert_eq!(filter.is_match_all(), everything, "matches everything: {input}");
        assert_eq!(super::matches_nothing(&filter), nothing, "matches nothing: {input}");
    }

    #[test]
    fn filters_that_match_everything_by_construction() {
        check(json!({}), true, false);
        check(json!({"$and": [{}]}), true, false);
        check(json!({"$or": [{}]}), true, false);
        check(json!({"$and": [{}, {"$and": [{}]}]}), true, false);
        check(json!({"$or": [{"k": 1}, {}]}), true, false);
        check(json!({"$or": [{"k": 1}, {"k": {"$ne": 1}}]}), true, false);
        check(json!({"$or": [{"k": {"$exists": false}}, {"k": {"$exists": true}}]}), true, false);
        check(json!({"$or": [{"k": {"$in": [1, 2]}}, {"k": {"$nin": [1, 2]}}]}), true, false);
        check(json!({"$or": [{"a": 1, "b": 2}, {"$not": {"a": 1, "b": 2}}]}), true, false);
        check(json!({"$not": {"$and": [{"k": 1}, {"k": {"$ne": 1}}]}}), true, false);
    }

    #[test]
    fn filters_that_restrict_something_are_left_alone() {
        check(json!({"k": 1}), false, false);
        check(json!({"$and": [{}, {"k": 1}]}), false, false);
        check(json!({"$or": [{"k": 1}, {"k": 2}]}), false, false);
        check(json!({"$or": [{"k": 1}, {"j": {"$ne": 1}}]}), false, false);
        check(json!({"$or": [{"k": {"$lt": 5}}, {"k": {"$gte": 5}}]}), false, false);
        check(json!({"$and": [{"k": 1}, {"k": {"$ne": 1}}]}), false, true);
    }

    #[test]
    fn an_empty_or_matches_nothing() {
        // The parser refuses `{"$or": []}`, but a filter built in code may hold one.
        assert!(super::matches_nothing(&Filter::Or(Vec::new())));
        let not_nothing = Filter::Not(Box::new(Filter::Or(Vec::new())));
        assert!(not_nothing.is_match_all());
        let field = Filter::Field { key: "k".into(), op: FieldOp::Exists };
        assert!(!Filter::Or(vec![field]).is_match_all());
    }
}
