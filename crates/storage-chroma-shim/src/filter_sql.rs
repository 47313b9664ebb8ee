//! Core's `Filter` / `DocumentFilter` → a SQL condition on chunk alias `c`, every key and value bound.
//!
//! Metadata is matched through the `chunk_meta` side table (one row per top-level key, plus one per
//! scalar element of an array value), so no JSON path is ever built from a key. The semantics are core's
//! `filter/eval.rs`; the conformance suite compares the two on every operator. Memories keep their
//! metadata in a side table of the same shape ([`MetaTable`]), so one compiler serves both.
//!
//! Size never turns into depth, since SQLite refuses an expression more than 1,000 deep: an `$in` list is
//! one `IN (?, ?, ...)` list per value kind, and the parts of `$and` and `$or` are parenthesised as a
//! balanced tree, so n parts nest log2(n) deep (core's limits keep the number of placeholders far below
//! SQLite's 32,766).

use sea_orm::Value;
use storage_core::filter::{FieldOp, Scalar};
use storage_core::{DocumentFilter, Filter};

use crate::db::placeholders;

/// `chunk_meta.kind` values.
pub(crate) mod kind {
    pub(crate) const NULL: i64 = 0;
    pub(crate) const BOOL: i64 = 1;
    pub(crate) const NUMBER: i64 = 2;
    pub(crate) const STRING: i64 = 3;
    pub(crate) const ARRAY: i64 = 4;
    pub(crate) const OBJECT: i64 = 5;
}

/// A SQL boolean expression and its bound values, in placeholder order.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct SqlCondition {
    pub(crate) sql: String,
    pub(crate) values: Vec<Value>,
    /// Whether a key test at the top level can drive the query (see [`SqlCondition::collection_term`]).
    pub(crate) selective: bool,
}

impl SqlCondition {
    /// `1`: matches every chunk.
    pub(crate) fn always() -> Self {
        SqlCondition { sql: "1".to_owned(), values: Vec::new(), selective: false }
    }

    /// Both conditions.
    pub(crate) fn and(mut self, other: SqlCondition) -> Self {
        self.sql = format!("({}) AND ({})", self.sql, other.sql);
        self.values.extend(other.values);
        self.selective |= other.selective;
        self
    }

    /// The collection test of a filtered query on chunk alias `c`. Without statistics SQLite's planner
    /// prefers the collection index, which walks the whole collection; when a key test at the top level
    /// can drive the query, `+` takes that index out of play so SQLite starts from the metadata index
    /// instead (1,000 rowid lookups rather than 100,000 index entries for a 1 % filter).
    pub(crate) fn collection_term(&self) -> &'static str {
        if self.selective { "+c.collection_id = ?" } else { "c.collection_id = ?" }
    }
}

/// A metadata side table: rows of `(owner, key, elem, kind, num, str)` as [`meta_rows`] makes them, and the
/// primary key of the row alias `c` they describe. Static names only: never user text.
#[derive(Debug)]
pub(crate) struct MetaTable {
    /// The primary key of the filtered row, e.g. `c.pk`.
    pub(crate) row_pk: &'static str,
    /// The side table.
    pub(crate) table: &'static str,
    /// Its column pointing at `row_pk`.
    pub(crate) owner: &'static str,
}

/// The chunks' metadata side table.
pub(crate) const CHUNK_META: MetaTable = MetaTable { row_pk: "c.pk", table: "chunk_meta", owner: "chunk_pk" };

/// How a key test reaches the side table. Both forms match exactly the same rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Probe {
    /// `pk IN (SELECT owner FROM side WHERE key = ? AND ...)`: SQLite lists every row the test matches once
    /// per statement, so the cost follows the rows the filter matches. Right when the statement visits most
    /// rows anyway, or when the list drives it (a selective filter, a vector pre-selection).
    Set,
    /// `EXISTS (SELECT 1 FROM side WHERE owner = pk AND +key = ? AND ...)`: a look-up on the owner index for
    /// each row the statement visits, so the cost follows those rows, not the filter. Right for a keyword
    /// leg, which visits only the full-text matches: listing the 92,000 rows a broad filter matches cost
    /// 2 s at 100,000 chunks, against 0.2 s for the whole unfiltered query (issue 13). `+` keeps SQLite off
    /// the `(key, ...)` indexes, which would walk every row with the key for each visited row.
    PerRow,
}

/// Key tests in one filter past which [`Probe::PerRow`] gives way to [`Probe::Set`]: per row, each key
/// test is a look-up, so a filter of thousands of `$or` parts is cheaper listed once.
pub(crate) const MAX_PER_ROW_TESTS: usize = 16;

/// A search request's filters compiled in both [`Probe`] forms: `set` lists the chunks they match, `per_row`
/// tests the chunks a statement visits.
#[derive(Debug)]
pub(crate) struct ChunkFilter {
    pub(crate) set: SqlCondition,
    pub(crate) per_row: SqlCondition,
    /// Whether the filter reads the chunk's text (a text filter); without one, `per_row` needs only `c.pk`.
    pub(crate) reads_text: bool,
    /// Without a text filter, and when a key test at the top level must hold: a query listing the chunk pks
    /// that key test passes (in any collection), a superset of the filter's chunks that reads the metadata
    /// table alone (see [`driving_key_test`]).
    pub(crate) driver: Option<SqlCondition>,
}

/// The SQL listing, as column `pk`, the owners that the first key test every match of `filter` must pass
/// (reached through `$and`s) passes. Listing a narrow filter's chunks from it reads the small metadata rows
/// only; listing from `chunks` read 1,000 rows of 2 KB for a 1 % filter at 100,000 chunks.
fn driving_key_test(filter: &Filter, table: &MetaTable) -> Option<SqlCondition> {
    match filter {
        Filter::Field { key, op } => {
            let MetaTable { table, owner, .. } = table;
            let mut out = SqlCondition {
                sql: format!("SELECT DISTINCT m.{owner} AS pk FROM {table} m WHERE m.key = ? AND "),
                values: vec![key.clone().into()],
                selective: true,
            };
            write_field_op(op, &mut out);
            Some(out)
        }
        Filter::And(items) => items.iter().find_map(|item| driving_key_test(item, table)),
        Filter::Or(_) | Filter::Not(_) => None,
    }
}

impl ChunkFilter {
    /// The request's metadata and text filters, or `None` when it has neither.
    pub(crate) fn of(request: &storage_core::SearchRequest) -> Option<ChunkFilter> {
        let (filter, document) = (request.filter.as_ref(), request.document_filter.as_ref());
        (filter.is_some() || document.is_some()).then(|| ChunkFilter {
            set: conditions_probing(filter, document, Probe::Set),
            per_row: conditions_probing(filter, document, Probe::PerRow),
            reads_text: document.is_some(),
            driver: filter.filter(|_| document.is_none()).and_then(|filter| driving_key_test(filter, &CHUNK_META)),
        })
    }
}

/// A search request's filters compiled for a keyword leg, which ranks the full-text matches as rows of
/// alias `r` (column `pk`) before it reads any chunk: the metadata filter is tested on `r.pk`, so a row it
/// fails is never looked up in `chunks`; the text filter needs the chunk (alias `c`).
#[derive(Debug)]
pub(crate) struct RankedFilter {
    /// The metadata filter listing the chunks it matches once per statement (`1` without one).
    pub(crate) set: SqlCondition,
    /// The metadata filter tested on each ranked row (the list form past [`MAX_PER_ROW_TESTS`] key tests).
    pub(crate) per_row: SqlCondition,
    /// The text filter, on `c.text`.
    pub(crate) document: Option<SqlCondition>,
}

/// The chunks' side table, tested on the ranked rows `r`. `+` keeps SQLite from handing `r.pk IN (...)` to
/// FTS5 as a rowid constraint, which runs the full-text query once per listed chunk (36 s for a 92 % filter
/// at 100,000 chunks).
const RANKED_CHUNK_META: MetaTable = MetaTable { row_pk: "+r.pk", ..CHUNK_META };

impl RankedFilter {
    /// The request's metadata and text filters, or `None` when it has neither.
    pub(crate) fn of(request: &storage_core::SearchRequest) -> Option<RankedFilter> {
        let (filter, document) = (request.filter.as_ref(), request.document_filter.as_ref());
        if filter.is_none() && document.is_none() {
            return None;
        }
        let metadata = |probe| {
            filter.map_or_else(SqlCondition::always, |filter| {
                let probe = if key_tests(filter) > MAX_PER_ROW_TESTS { Probe::Set } else { probe };
                metadata_condition_probing(filter, &RANKED_CHUNK_META, probe)
            })
        };
        Some(RankedFilter {
            set: metadata(Probe::Set),
            per_row: metadata(Probe::PerRow),
            document: document.map(document_condition),
        })
    }
}

/// The condition for an optional metadata filter and an optional text filter.
pub(crate) fn conditions(filter: Option<&Filter>, document: Option<&DocumentFilter>) -> SqlCondition {
    conditions_probing(filter, document, Probe::Set)
}

/// [`conditions`] with the key tests in the `probe` form ([`Probe::PerRow`] only up to
/// [`MAX_PER_ROW_TESTS`] key tests).
pub(crate) fn conditions_probing(
    filter: Option<&Filter>,
    document: Option<&DocumentFilter>,
    probe: Probe,
) -> SqlCondition {
    let mut condition = SqlCondition::always();
    if let Some(filter) = filter {
        let probe = if key_tests(filter) > MAX_PER_ROW_TESTS { Probe::Set } else { probe };
        condition = condition.and(metadata_condition_probing(filter, &CHUNK_META, probe));
    }
    if let Some(document) = document {
        condition = condition.and(document_condition(document));
    }
    condition
}

/// A metadata filter on chunks as SQL.
pub(crate) fn metadata_condition(filter: &Filter) -> SqlCondition {
    metadata_condition_on(filter, &CHUNK_META)
}

/// A metadata filter as SQL, matched through `table`.
pub(crate) fn metadata_condition_on(filter: &Filter, table: &MetaTable) -> SqlCondition {
    metadata_condition_probing(filter, table, Probe::Set)
}

/// The number of key tests in a filter.
fn key_tests(filter: &Filter) -> usize {
    match filter {
        Filter::Field { .. } => 1,
        Filter::And(items) | Filter::Or(items) => items.iter().map(key_tests).sum(),
        Filter::Not(inner) => key_tests(inner),
    }
}

/// A metadata filter as SQL, matched through `table` in the `probe` form.
fn metadata_condition_probing(filter: &Filter, table: &MetaTable, probe: Probe) -> SqlCondition {
    fn drives(filter: &Filter) -> bool {
        match filter {
            Filter::Field { .. } => true,
            Filter::And(items) => items.iter().any(drives),
            Filter::Or(_) | Filter::Not(_) => false,
        }
    }
    let mut out = SqlCondition { selective: probe == Probe::Set && drives(filter), ..SqlCondition::default() };
    write_filter(filter, table, probe, &mut out);
    out
}

fn write_filter(filter: &Filter, table: &MetaTable, probe: Probe, out: &mut SqlCondition) {
    match filter {
        Filter::And(items) | Filter::Or(items) if items.is_empty() => {
            out.sql.push_str(if matches!(filter, Filter::And(_)) { "1" } else { "0" });
        }
        Filter::And(items) | Filter::Or(items) => {
            let joiner = if matches!(filter, Filter::And(_)) { " AND " } else { " OR " };
            write_balanced(items, joiner, out, &mut |item, out| write_filter(item, table, probe, out));
        }
        Filter::Not(inner) => {
            out.sql.push_str("NOT (");
            write_filter(inner, table, probe, out);
            out.sql.push(')');
        }
        Filter::Field { key, op } => {
            // A missing key has no row, so every positive test is false and `NOT` makes it true, as in eval.
            let MetaTable { row_pk, table, owner } = table;
            out.sql.push_str(&match probe {
                Probe::Set => format!("{row_pk} IN (SELECT m.{owner} FROM {table} m WHERE m.key = ? AND "),
                Probe::PerRow => {
                    format!("EXISTS (SELECT 1 FROM {table} m WHERE m.{owner} = {row_pk} AND +m.key = ? AND ")
                }
            });
            out.values.push(key.clone().into());
            write_field_op(op, out);
            out.sql.push(')');
        }
    }
}

fn write_field_op(op: &FieldOp, out: &mut SqlCondition) {
    match op {
        FieldOp::Exists => out.sql.push_str("m.elem = 0"),
        FieldOp::Eq(scalar) => {
            out.sql.push_str("m.elem = 0 AND ");
            write_scalar_eq(scalar, out);
        }
        FieldOp::In(scalars) => {
            out.sql.push_str("m.elem = 0 AND (");
            write_one_of(scalars, out);
            out.sql.push(')');
        }
        FieldOp::Gt(n) | FieldOp::Gte(n) | FieldOp::Lt(n) | FieldOp::Lte(n) => {
            let comparison = match op {
                FieldOp::Gt(_) => ">",
                FieldOp::Gte(_) => ">=",
                FieldOp::Lt(_) => "<",
                _ => "<=",
            };
            out.sql.push_str(&format!("m.elem = 0 AND m.kind = {} AND m.num {comparison} ?", kind::NUMBER));
            out.values.push((*n).into());
        }
        FieldOp::Contains(scalar) => {
            out.sql.push_str("((m.elem = 1 AND ");
            write_scalar_eq(scalar, out);
            out.sql.push(')');
            if let Scalar::String(needle) = scalar {
                // instr, not LIKE: `%` and `_` are literal characters here.
                out.sql.push_str(&format!(" OR (m.elem = 0 AND m.kind = {} AND instr(m.str, ?) > 0)", kind::STRING));
                out.values.push(needle.clone().into());
            }
            out.sql.push(')');
        }
        FieldOp::Prefix(prefix) => {
            // substr/length, not LIKE: the prefix is literal, wildcards included.
            out.sql.push_str(&format!("m.elem = 0 AND m.kind = {} AND substr(m.str, 1, length(?)) = ?", kind::STRING));
            out.values.push(prefix.clone().into());
            out.values.push(prefix.clone().into());
        }
    }
}

fn write_scalar_eq(scalar: &Scalar, out: &mut SqlCondition) {
    match scalar {
        Scalar::String(s) => {
            out.sql.push_str(&format!("(m.kind = {} AND m.str = ?)", kind::STRING));
            out.values.push(s.clone().into());
        }
        Scalar::Number(n) => {
            out.sql.push_str(&format!("(m.kind = {} AND m.num = ?)", kind::NUMBER));
            out.values.push((*n).into());
        }
        Scalar::Bool(b) => {
            out.sql.push_str(&format!("(m.kind = {} AND m.num = ?)", kind::BOOL));
            out.values.push(if *b { 1.0f64 } else { 0.0f64 }.into());
        }
    }
}

/// `items` joined by `joiner`, parenthesised as a balanced tree: `(a OR (b OR c))`, `((a OR b) OR (c OR d))`.
fn write_balanced<T>(items: &[T], joiner: &str, out: &mut SqlCondition, write: &mut dyn FnMut(&T, &mut SqlCondition)) {
    if let [item] = items {
        return write(item, out);
    }
    let (left, right) = items.split_at(items.len() / 2);
    out.sql.push('(');
    write_balanced(left, joiner, out, write);
    out.sql.push_str(joiner);
    write_balanced(right, joiner, out, write);
    out.sql.push(')');
}

/// The value is one of `scalars`: one `IN` list of placeholders per kind of value, however long.
fn write_one_of(scalars: &[Scalar], out: &mut SqlCondition) {
    let mut strings = Vec::new();
    let mut numbers = Vec::new();
    let mut booleans = Vec::new();
    for scalar in scalars {
        match scalar {
            Scalar::String(s) => strings.push(Value::from(s.clone())),
            Scalar::Number(n) => numbers.push(Value::from(*n)),
            Scalar::Bool(b) => booleans.push(Value::from(if *b { 1.0f64 } else { 0.0f64 })),
        }
    }
    let lists = [(kind::STRING, "m.str", strings), (kind::NUMBER, "m.num", numbers), (kind::BOOL, "m.num", booleans)];
    let mut first = true;
    for (kind, column, values) in lists.into_iter().filter(|(_, _, values)| !values.is_empty()) {
        if !first {
            out.sql.push_str(" OR ");
        }
        first = false;
        out.sql.push_str(&format!("(m.kind = {kind} AND {column} IN ({}))", placeholders(values.len())));
        out.values.extend(values);
    }
}

/// A text filter as SQL: case-sensitive substring tests with `instr`.
pub(crate) fn document_condition(filter: &DocumentFilter) -> SqlCondition {
    let mut out = SqlCondition::default();
    write_document(filter, &mut out);
    out
}

fn write_document(filter: &DocumentFilter, out: &mut SqlCondition) {
    match filter {
        DocumentFilter::Contains(needle) => {
            out.sql.push_str("instr(c.text, ?) > 0");
            out.values.push(needle.clone().into());
        }
        DocumentFilter::NotContains(needle) => {
            out.sql.push_str("instr(c.text, ?) = 0");
            out.values.push(needle.clone().into());
        }
        DocumentFilter::And(items) | DocumentFilter::Or(items) if items.is_empty() => {
            out.sql.push_str(if matches!(filter, DocumentFilter::And(_)) { "1" } else { "0" });
        }
        DocumentFilter::And(items) | DocumentFilter::Or(items) => {
            let joiner = if matches!(filter, DocumentFilter::And(_)) { " AND " } else { " OR " };
            write_balanced(items, joiner, out, &mut write_document);
        }
    }
}

/// One `chunk_meta` row: `(key, elem, kind, num, str)`.
pub(crate) type MetaRow = (String, i64, i64, Option<f64>, Option<String>);

/// The `chunk_meta` rows of a metadata object: one per key, plus one per scalar element of array values.
pub(crate) fn meta_rows(metadata: &serde_json::Map<String, serde_json::Value>) -> Vec<MetaRow> {
    use serde_json::Value as Json;
    let scalar = |value: &Json| -> (i64, Option<f64>, Option<String>) {
        match value {
            Json::Null => (kind::NULL, None, None),
            Json::Bool(b) => (kind::BOOL, Some(if *b { 1.0 } else { 0.0 }), None),
            Json::Number(n) => (kind::NUMBER, n.as_f64(), None),
            Json::String(s) => (kind::STRING, None, Some(s.clone())),
            Json::Array(_) => (kind::ARRAY, None, None),
            Json::Object(_) => (kind::OBJECT, None, None),
        }
    };
    let mut rows = Vec::with_capacity(metadata.len());
    for (key, value) in metadata {
        let (k, num, text) = scalar(value);
        rows.push((key.clone(), 0, k, num, text));
        if let Json::Array(items) = value {
            for item in items.iter().filter(|item| matches!(item, Json::Bool(_) | Json::Number(_) | Json::String(_))) {
                let (k, num, text) = scalar(item);
                rows.push((key.clone(), 1, k, num, text));
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use storage_core::testing::fixtures::parenthesis_depth;

    use super::*;

    fn check(filter: serde_json::Value, expected_sql: &str, expected_values: usize) {
        let condition = metadata_condition(&Filter::from_json(&filter).unwrap());
        assert_eq!(condition.sql, expected_sql, "{filter}");
        assert_eq!(condition.values.len(), expected_values, "{filter}");
        assert_eq!(condition.sql.matches('?').count(), expected_values, "{filter}");
    }

    const SUB: &str = "c.pk IN (SELECT m.chunk_pk FROM chunk_meta m WHERE m.key = ? AND ";

    #[test]
    fn every_key_and_value_is_a_placeholder() {
        check(
            json!({"it's \"k\"": "'; DROP TABLE x; --"}),
            &format!("{SUB}m.elem = 0 AND (m.kind = 3 AND m.str = ?))"),
            2,
        );
        check(json!({"y": {"$gt": 1}}), &format!("{SUB}m.elem = 0 AND m.kind = 2 AND m.num > ?)"), 2);
        check(json!({"y": {"$ne": true}}), &format!("NOT ({SUB}m.elem = 0 AND (m.kind = 1 AND m.num = ?)))"), 2);
        check(
            json!({"p": {"$prefix": "%_"}}),
            &format!("{SUB}m.elem = 0 AND m.kind = 3 AND substr(m.str, 1, length(?)) = ?)"),
            3,
        );
        check(
            json!({"t": {"$in": ["a", 2]}}),
            &format!("{SUB}m.elem = 0 AND ((m.kind = 3 AND m.str IN (?)) OR (m.kind = 2 AND m.num IN (?))))"),
            3,
        );
        check(
            json!({"t": {"$in": ["a", true, "b", 2, false]}}),
            &format!(
                "{SUB}m.elem = 0 AND ((m.kind = 3 AND m.str IN (?, ?)) OR (m.kind = 2 AND m.num IN (?)) OR \
                 (m.kind = 1 AND m.num IN (?, ?))))"
            ),
            6,
        );
        check(
            json!({"$or": [{"a": 1}, {"b": 2}, {"c": 3}]}),
            &format!(
                "({SUB}m.elem = 0 AND (m.kind = 2 AND m.num = ?)) OR ({SUB}m.elem = 0 AND (m.kind = 2 AND m.num = ?)) \
                 OR {SUB}m.elem = 0 AND (m.kind = 2 AND m.num = ?))))"
            ),
            6,
        );
        check(
            json!({"t": {"$contains": "d"}}),
            &format!(
                "{SUB}((m.elem = 1 AND (m.kind = 3 AND m.str = ?)) OR (m.elem = 0 AND m.kind = 3 AND instr(m.str, ?) > 0)))"
            ),
            3,
        );
        check(json!({"t": {"$contains": 7}}), &format!("{SUB}((m.elem = 1 AND (m.kind = 2 AND m.num = ?))))"), 2);
        check(
            json!({"$or": [{"a": 1}, {"b": {"$exists": false}}]}),
            &format!("({SUB}m.elem = 0 AND (m.kind = 2 AND m.num = ?)) OR NOT ({SUB}m.elem = 0)))"),
            3,
        );
        check(json!({}), "1", 0);
    }

    #[test]
    fn long_lists_nest_logarithmically() {
        // Built in code, past core's limits, to show the compiler never nests by length: SQLite refuses an
        // expression more than 1,000 deep, which 496 `$in` values used to reach.
        let or = Filter::Or((0..20_000).map(|i| Filter::eq("k", Scalar::Number(f64::from(i)))).collect());
        let condition = metadata_condition(&or);
        assert!(
            parenthesis_depth(&condition.sql) <= 15 + 3,
            "20,000 parts nest {} deep",
            parenthesis_depth(&condition.sql)
        );
        assert_eq!(condition.values.len(), 2 * 20_000);
        let strings = (0..15_000).map(|i| Scalar::String(format!("v{i}"))).collect();
        let condition = metadata_condition(&Filter::Field { key: "s".into(), op: FieldOp::In(strings) });
        assert_eq!(parenthesis_depth(&condition.sql), 4, "{}", &condition.sql[..200]);
        assert_eq!(condition.values.len(), 1 + 15_000);
    }

    #[test]
    fn per_row_probes_look_up_each_row_until_the_filter_has_too_many_key_tests() {
        let filter = Filter::from_json(&json!({"$or": [{"y": {"$gt": 1}}, {"t": {"$ne": "a"}}]})).unwrap();
        let condition = conditions_probing(Some(&filter), None, Probe::PerRow);
        let exists = "EXISTS (SELECT 1 FROM chunk_meta m WHERE m.chunk_pk = c.pk AND +m.key = ? AND ";
        assert_eq!(
            condition.sql,
            format!(
                "(1) AND (({exists}m.elem = 0 AND m.kind = 2 AND m.num > ?) OR \
                 NOT ({exists}m.elem = 0 AND (m.kind = 3 AND m.str = ?)))))"
            )
        );
        assert_eq!(condition.values.len(), 4);
        assert!(!condition.selective, "a per-row test cannot drive the query");
        let many =
            Filter::Or((0..=MAX_PER_ROW_TESTS).map(|i| Filter::eq("k", Scalar::String(format!("v{i}")))).collect());
        let condition = conditions_probing(Some(&many), None, Probe::PerRow);
        assert!(!condition.sql.contains("EXISTS") && condition.sql.contains(SUB), "{}", condition.sql);
        let few =
            Filter::Or((0..MAX_PER_ROW_TESTS).map(|i| Filter::eq("k", Scalar::String(format!("v{i}")))).collect());
        let condition = conditions_probing(Some(&few), None, Probe::PerRow);
        assert!(!condition.sql.contains(SUB) && condition.sql.contains("EXISTS"), "{}", condition.sql);
    }

    #[test]
    fn ranked_filters_test_the_ranked_row_id_where_fts5_cannot_take_it() {
        let filter = Filter::from_json(&json!({"y": {"$gt": 1}})).unwrap();
        let document = DocumentFilter::from_json(&json!({"$contains": "x"})).unwrap();
        let request = storage_core::SearchRequest::keyword("q").filter(filter).document_filter(document);
        let ranked = RankedFilter::of(&request).unwrap();
        assert!(ranked.set.sql.starts_with("+r.pk IN (SELECT m.chunk_pk FROM chunk_meta m"), "{}", ranked.set.sql);
        assert!(ranked.per_row.sql.starts_with("EXISTS (SELECT 1 FROM chunk_meta m WHERE m.chunk_pk = +r.pk"));
        assert_eq!(ranked.document.map(|d| d.sql).as_deref(), Some("instr(c.text, ?) > 0"));
        assert!(RankedFilter::of(&storage_core::SearchRequest::keyword("q")).is_none());
    }

    #[test]
    fn document_filters_use_instr() {
        let filter = DocumentFilter::from_json(&json!({"$and": [{"$contains": "%"}, {"$not_contains": "_"}]})).unwrap();
        let condition = document_condition(&filter);
        assert_eq!(condition.sql, "(instr(c.text, ?) > 0 AND instr(c.text, ?) = 0)");
        assert_eq!(condition.values.len(), 2);
    }

    #[test]
    fn meta_rows_cover_values_and_scalar_array_elements() {
        let metadata = json!({"tags": ["db", 7, true, {"k": "v"}, ["nested"]], "n": null, "s": "x"});
        let rows = meta_rows(metadata.as_object().unwrap());
        let kinds: Vec<(String, i64, i64)> = rows.iter().map(|r| (r.0.clone(), r.1, r.2)).collect();
        assert_eq!(
            kinds,
            [
                ("n".into(), 0, 0),
                ("s".into(), 0, 3),
                ("tags".into(), 0, 4),
                ("tags".into(), 1, 3),
                ("tags".into(), 1, 2),
                ("tags".into(), 1, 1)
            ]
        );
    }
}
