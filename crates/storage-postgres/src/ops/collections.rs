//! The collections registry through its sea-orm entity: find, record, update and forget collections.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use storage_core::{Bm25Params, CollectionName, EmbeddingSpace};

use crate::entity::prelude::{Collection, CollectionActiveModel, CollectionColumn, CollectionModel};

/// Every registered collection, by name.
pub(crate) async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<CollectionModel>, DbErr> {
    Collection::find().order_by_asc(CollectionColumn::Name).all(db).await
}

/// One collection's registry row.
pub(crate) async fn find<C: ConnectionTrait>(db: &C, name: &CollectionName) -> Result<Option<CollectionModel>, DbErr> {
    Collection::find_by_id(name.as_str()).one(db).await
}

/// One collection's row, locked for a change of its table or space.
pub(crate) async fn find_for_update<C: ConnectionTrait>(
    db: &C,
    name: &CollectionName,
) -> Result<Option<CollectionModel>, DbErr> {
    Collection::find_by_id(name.as_str()).lock_exclusive().one(db).await
}

fn space_values(space: Option<&EmbeddingSpace>) -> (Option<String>, Option<String>, Option<i32>, Option<String>) {
    match space {
        Some(space) => (
            space.provider.clone(),
            space.model.clone(),
            i32::try_from(space.dimensions).ok(),
            Some(space.metric.as_str().to_owned()),
        ),
        None => (None, None, None, None),
    }
}

/// Registers a collection.
pub(crate) async fn insert<C: ConnectionTrait>(
    db: &C,
    name: &CollectionName,
    language: &str,
    space: Option<&EmbeddingSpace>,
) -> Result<CollectionModel, DbErr> {
    let (provider, model, dimensions, metric) = space_values(space);
    let now = Utc::now();
    let row = CollectionActiveModel {
        name: ActiveValue::Set(name.as_str().to_owned()),
        language: ActiveValue::Set(language.to_owned()),
        provider: ActiveValue::Set(provider),
        model: ActiveValue::Set(model),
        dimensions: ActiveValue::Set(dimensions),
        metric: ActiveValue::Set(metric),
        created_at: ActiveValue::Set(now),
        updated_at: ActiveValue::Set(now),
        bm25_k1: ActiveValue::NotSet,
        bm25_b: ActiveValue::NotSet,
    };
    row.insert(db).await
}

/// Records (or, with `None`, forgets) a collection's embedding space.
pub(crate) async fn set_space<C: ConnectionTrait>(
    db: &C,
    current: CollectionModel,
    space: Option<&EmbeddingSpace>,
) -> Result<CollectionModel, DbErr> {
    let (provider, model, dimensions, metric) = space_values(space);
    let mut row: CollectionActiveModel = current.into();
    row.provider = ActiveValue::Set(provider);
    row.model = ActiveValue::Set(model);
    row.dimensions = ActiveValue::Set(dimensions);
    row.metric = ActiveValue::Set(metric);
    row.updated_at = ActiveValue::Set(Utc::now());
    row.update(db).await
}

/// Records a collection's BM25 parameters; returns whether it is registered.
pub(crate) async fn set_bm25<C: ConnectionTrait>(
    db: &C,
    name: &CollectionName,
    params: Bm25Params,
) -> Result<bool, DbErr> {
    let result = Collection::update_many()
        .col_expr(CollectionColumn::Bm25K1, params.k1.into())
        .col_expr(CollectionColumn::Bm25B, params.b.into())
        .filter(CollectionColumn::Name.eq(name.as_str()))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Forgets a collection; returns whether it was registered.
pub(crate) async fn delete<C: ConnectionTrait>(db: &C, name: &CollectionName) -> Result<bool, DbErr> {
    Ok(Collection::delete_by_id(name.as_str()).exec(db).await?.rows_affected > 0)
}
