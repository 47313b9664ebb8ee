//! What the server is: versions, where pgvector lives, whether the text-search configuration exists, and
//! the vector columns actually in the schema.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use sqlx::{PgConnection, Row};

use crate::connection::PgvectorVersion;

/// The server, as the first connection finds it.
#[derive(Clone, Debug, Default)]
pub(crate) struct ServerInfo {
    /// `server_version`, e.g. `18.3`.
    pub(crate) server_version: String,
    /// The installed pgvector, if any.
    pub(crate) pgvector: Option<PgvectorVersion>,
    /// The schema pgvector is installed in.
    pub(crate) pgvector_schema: Option<String>,
    /// Whether the configured text-search configuration exists.
    pub(crate) language_exists: bool,
}

const PROBE: &str = "SELECT current_setting('server_version') AS server_version, \
     e.extversion AS pgvector_version, n.nspname AS pgvector_schema, \
     EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = $1) AS language_exists \
     FROM (SELECT 1) AS one \
     LEFT JOIN pg_extension e ON e.extname = 'vector' \
     LEFT JOIN pg_namespace n ON n.oid = e.extnamespace";

/// One round trip on a fresh connection.
pub(crate) async fn probe_server(connection: &mut PgConnection, language: &str) -> Result<ServerInfo, sqlx::Error> {
    let row = sqlx::query(PROBE).bind(language).fetch_one(connection).await?;
    let version: Option<String> = row.try_get("pgvector_version")?;
    Ok(ServerInfo {
        server_version: row.try_get("server_version")?,
        pgvector: version.as_deref().and_then(PgvectorVersion::parse),
        pgvector_schema: row.try_get("pgvector_schema")?,
        language_exists: row.try_get("language_exists")?,
    })
}

/// The installed pgvector version, if any (after `initialize` may have created the extension).
pub(crate) async fn pgvector_version<C: ConnectionTrait>(db: &C) -> Result<Option<PgvectorVersion>, DbErr> {
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT extversion FROM pg_extension WHERE extname = 'vector'",
        [],
    );
    match db.query_one_raw(statement).await? {
        Some(row) => Ok(PgvectorVersion::parse(&row.try_get::<String>("", "extversion")?)),
        None => Ok(None),
    }
}

/// The declared dimensions of every chunk table's `embedding` column in `schema`, by table name
/// (`None` for an untyped column).
pub(crate) async fn vector_columns<C: ConnectionTrait>(
    db: &C,
    schema: &str,
) -> Result<Vec<(String, Option<u32>)>, DbErr> {
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT c.relname AS table_name, a.atttypmod AS typmod \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND c.relkind = 'r' AND left(c.relname, 10) = 'bs_chunks_' \
         AND a.attname = 'embedding' AND NOT a.attisdropped",
        [schema.into()],
    );
    let rows = db.query_all_raw(statement).await?;
    rows.into_iter()
        .map(|row| {
            let typmod: i32 = row.try_get("", "typmod")?;
            Ok((row.try_get("", "table_name")?, u32::try_from(typmod).ok().filter(|dims| *dims > 0)))
        })
        .collect()
}
