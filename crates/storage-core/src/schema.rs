//! OpenAPI schemas (feature `openapi`) of the validated newtypes whose JSON is a plain value: `Metadata` is an
//! object, `Embedding` an array of numbers, `CollectionName` a string of the identifier rule.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::collection::{CollectionName, MAX_COLLECTION_NAME_LEN};
use crate::document::Metadata;
use crate::embedding::{Embedding, MAX_DIMENSIONS};

impl PartialSchema for Metadata {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .description(Some("A JSON object, searched by filters; no NUL character in any key or string."))
            .into()
    }
}

impl ToSchema for Metadata {}

impl PartialSchema for Embedding {
    fn schema() -> RefOr<Schema> {
        ArrayBuilder::new()
            .items(
                ObjectBuilder::new()
                    .schema_type(SchemaType::Type(Type::Number))
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Float))),
            )
            .min_items(Some(1))
            .max_items(Some(MAX_DIMENSIONS as usize))
            .description(Some("A vector of finite numbers; its length must match the embedding space."))
            .into()
    }
}

impl ToSchema for Embedding {}

impl PartialSchema for CollectionName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .min_length(Some(1))
            .max_length(Some(MAX_COLLECTION_NAME_LEN))
            .pattern(Some("^[a-z][a-z0-9_]*$"))
            .description(Some("Lowercase letters, digits and `_`, starting with a letter."))
            .into()
    }
}

impl ToSchema for CollectionName {}
