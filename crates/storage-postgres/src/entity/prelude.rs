//! The entities by their table's concept name.

pub(crate) use super::collection::{
    ActiveModel as CollectionActiveModel, Column as CollectionColumn, Entity as Collection, Model as CollectionModel,
};
