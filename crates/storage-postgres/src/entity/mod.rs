//! sea-orm entities of brainstore's plain tables. Chunk tables have one name per collection, so they are
//! addressed through `schema::ChunkTable` and the SQL in `ops/`, not through an entity.

pub(crate) mod collection;
pub(crate) mod prelude;
