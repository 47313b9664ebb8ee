//! The filter language: Chroma's `where` and `where_document` JSON, parsed into a typed AST.
//!
//! Backends never see JSON. They compile [`Filter`] and [`DocumentFilter`] into bound SQL parameters,
//! and the conformance suite holds them to the reference evaluator in [`eval`].
//!
//! # Metadata filters (`where`)
//!
//! | JSON | meaning |
//! |---|---|
//! | `{"k": v}` or `{"k": {"$eq": v}}` | the value at top-level key `k` is the scalar `v` (same type, same value) |
//! | `{"k": {"$ne": v}}` | not `$eq`: also true when `k` is missing |
//! | `{"k": {"$gt": n}}`, `$gte`, `$lt`, `$lte` | the value is a number and compares so with `n`; a missing key or a non-number never matches |
//! | `{"k": {"$in": [v, ...]}}` | the value is a scalar equal to one of the list |
//! | `{"k": {"$nin": [v, ...]}}` | not `$in`: also true when `k` is missing |
//! | `{"k": {"$exists": true}}` | the key is present (with any value, `null` included); `false` negates |
//! | `{"k": {"$contains": v}}` | the value is an array holding the scalar `v`, or a string containing the string `v` |
//! | `{"k": {"$not_contains": v}}` | not `$contains` |
//! | `{"k": {"$prefix": "s"}}` | the value is a string starting with `s` (paths: "everything under this folder") |
//! | `{"$and": [f, ...]}`, `{"$or": [f, ...]}` | every / any filter matches; the list must not be empty |
//! | `{"$not": f}` | the filter does not match |
//! | `{"a": .., "b": ..}` | several keys, or several operators on one key, mean `$and` |
//! | `{}` | matches everything; refused by deletes |
//!
//! Scalars are strings, numbers and booleans; `null` is refused (use `$exists`). Numbers compare by
//! value, so `1` equals `1.0`. Keys are literal top-level metadata keys: `a.b` is the key named `a.b`.
//!
//! # Document filters (`where_document`)
//!
//! `{"$contains": "s"}` and `{"$not_contains": "s"}` test the chunk text for a case-sensitive substring;
//! `$and` and `$or` combine them.

mod eval;
mod parse;

use serde_json::Value;

pub use parse::FILTER_OPERATORS;

/// A metadata filter. Build one from JSON with [`Filter::from_json`].
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    /// Every filter matches. `And(vec![])` is the empty filter `{}`, which matches everything.
    And(Vec<Filter>),
    /// At least one filter matches.
    Or(Vec<Filter>),
    /// The filter does not match. `$ne`, `$nin` and `$not_contains` parse to `Not` of their positive form.
    Not(Box<Filter>),
    /// A test of one metadata key.
    Field {
        /// The top-level metadata key.
        key: String,
        /// The test.
        op: FieldOp,
    },
}

/// A test of one metadata value.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldOp {
    /// The value is this scalar (same JSON type, same value).
    Eq(Scalar),
    /// The value is a number greater than this.
    Gt(f64),
    /// The value is a number greater than or equal to this.
    Gte(f64),
    /// The value is a number less than this.
    Lt(f64),
    /// The value is a number less than or equal to this.
    Lte(f64),
    /// The value is a scalar equal to one of these (never empty).
    In(Vec<Scalar>),
    /// The key is present, with any value.
    Exists,
    /// The value is an array holding this scalar, or a string containing this string.
    Contains(Scalar),
    /// The value is a string starting with this.
    Prefix(String),
}

/// A filter operand: a JSON string, number or boolean.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    /// A string.
    String(String),
    /// A number, compared by value.
    Number(f64),
    /// A boolean.
    Bool(bool),
}

impl Scalar {
    /// The scalar as JSON.
    pub fn to_json(&self) -> Value {
        match self {
            Scalar::String(s) => Value::String(s.clone()),
            Scalar::Number(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
            Scalar::Bool(b) => Value::Bool(*b),
        }
    }
}

impl Filter {
    /// Parses Chroma `where` JSON. Errors name the JSON path of the offending part
    /// (`$and[1].year: $gt needs a number`).
    pub fn from_json(value: &Value) -> crate::Result<Filter> {
        parse::parse_filter(value)
    }

    /// Parses `where` JSON text.
    pub fn from_json_str(text: &str) -> crate::Result<Filter> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| crate::StorageError::invalid("where", format!("is not valid JSON: {e}")))?;
        Filter::from_json(&value)
    }

    /// The filter that matches everything (`{}`).
    pub fn all() -> Filter {
        Filter::And(Vec::new())
    }

    /// `key == value`.
    pub fn eq(key: impl Into<String>, value: Scalar) -> Filter {
        Filter::Field { key: key.into(), op: FieldOp::Eq(value) }
    }

    /// Whether this is the empty filter `{}`, which deletes refuse.
    pub fn is_match_all(&self) -> bool {
        matches!(self, Filter::And(items) if items.is_empty())
    }

    /// Refuses the empty filter as the filter of a delete, so that a missing or blank `where` never deletes
    /// a whole collection; emptying one is its own operation, `delete_all`.
    pub fn check_deletable(&self) -> crate::Result<()> {
        if self.is_match_all() {
            return Err(crate::StorageError::invalid(
                "where",
                "an empty filter matches every chunk; refusing to delete everything (use `delete_all` to empty a \
                 collection and keep its embedding space, or `reset` to forget the space too)",
            ));
        }
        Ok(())
    }

    /// Whether `metadata` passes this filter: THE meaning every backend reproduces.
    pub fn matches(&self, metadata: &serde_json::Map<String, Value>) -> bool {
        eval::matches(self, metadata)
    }
}

/// A test of a chunk's text (Chroma's `where_document`).
#[derive(Clone, Debug, PartialEq)]
pub enum DocumentFilter {
    /// The text contains this substring (case-sensitive, never empty).
    Contains(String),
    /// The text does not contain this substring.
    NotContains(String),
    /// Every filter matches.
    And(Vec<DocumentFilter>),
    /// At least one filter matches.
    Or(Vec<DocumentFilter>),
}

impl DocumentFilter {
    /// Parses Chroma `where_document` JSON.
    pub fn from_json(value: &Value) -> crate::Result<DocumentFilter> {
        parse::parse_document_filter(value)
    }

    /// Parses `where_document` JSON text.
    pub fn from_json_str(text: &str) -> crate::Result<DocumentFilter> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| crate::StorageError::invalid("where_document", format!("is not valid JSON: {e}")))?;
        DocumentFilter::from_json(&value)
    }

    /// Whether `text` passes this filter.
    pub fn matches(&self, text: &str) -> bool {
        eval::matches_document(self, text)
    }
}
