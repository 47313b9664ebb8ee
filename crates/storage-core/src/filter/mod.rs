//! The filter language: Chroma's `where` and `where_document` JSON, parsed into a typed AST.
//!
//! Backends never see JSON. They compile [`Filter`] and [`DocumentFilter`] into bound SQL parameters,
//! and the conformance suite holds them to the reference evaluator, [`Filter::matches`]. The language
//! itself, its delete guard ([`Filter::check_deletable`]) and its limits ([`MAX_FILTER_NODES`],
//! [`MAX_FILTER_VALUES`], [`MAX_FILTER_DEPTH`]) are specified for users in `docs/filters.md`, included
//! below.
#![doc = include_str!("../../../../docs/filters.md")]

mod eval;
mod limits;
mod parse;
mod shape;

use serde_json::Value;

pub use limits::{MAX_FILTER_DEPTH, MAX_FILTER_NODES, MAX_FILTER_VALUES};
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
        parse::parse_text(text, "where", Filter::from_json)
    }

    /// The filter that matches everything (`{}`).
    pub fn all() -> Filter {
        Filter::And(Vec::new())
    }

    /// `key == value`.
    pub fn eq(key: impl Into<String>, value: Scalar) -> Filter {
        Filter::Field { key: key.into(), op: FieldOp::Eq(value) }
    }

    /// Whether this filter matches every metadata object by its shape alone: `{}`, `{"$and": [{}]}`,
    /// `{"$or": [f, {"$not": f}]}` and the other forms listed in the [module docs](self).
    pub fn is_match_all(&self) -> bool {
        shape::matches_everything(self)
    }

    /// Checks a filter built in code by the rules [`Filter::from_json`] applies to JSON: the size limits
    /// ([`MAX_FILTER_NODES`], [`MAX_FILTER_VALUES`], [`MAX_FILTER_DEPTH`]), finite numbers and no NUL bytes.
    /// Every store operation that takes a filter calls it (through the request's `validate` or directly)
    /// before compiling it, so no backend ever sees a filter outside the limits.
    pub fn validate(&self) -> crate::Result<()> {
        limits::validate(self)
    }

    /// Validates the filter and refuses one that [matches everything](Filter::is_match_all), as every
    /// delete by filter must before it touches a row: emptying a collection is `delete_all`'s job (or
    /// `reset`'s, which also forgets the space), never a filter's.
    pub fn check_deletable(&self) -> crate::Result<()> {
        self.validate()?;
        if self.is_match_all() {
            return Err(crate::StorageError::invalid(
                "where",
                "this filter matches every row by its shape ({}, {\"$and\": [{}]}, {\"$or\": [{}]} or a filter \
                 beside its own negation), so deleting with it would remove everything; it is refused (use \
                 `delete_all` to empty a collection and keep its embedding space)",
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
        parse::parse_text(text, "where_document", DocumentFilter::from_json)
    }

    /// Checks a document filter built in code by the rules the parser applies to JSON: the node and depth
    /// limits and no NUL bytes.
    pub fn validate(&self) -> crate::Result<()> {
        limits::validate_document(self)
    }

    /// Whether `text` passes this filter.
    pub fn matches(&self, text: &str) -> bool {
        eval::matches_document(self, text)
    }
}
