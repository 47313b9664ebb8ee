//! Numbers each session's messages 1, 2, 3, … (`seq`), as PostgreSQL does, instead of using the store-wide
//! row number. Existing messages keep their order: they are numbered by row within their session. A client
//! holding a cursor from before (`after_seq` with an old store-wide number) must page again from the start.

use super::Migration;

pub(super) const MIGRATION: Migration = Migration {
    name: "m20261207_000011_number_messages_per_session",
    up: &[
        "ALTER TABLE messages ADD COLUMN seq INTEGER NOT NULL DEFAULT 0",
        "UPDATE messages SET seq = numbered.seq
         FROM (SELECT pk, row_number() OVER (PARTITION BY session_pk ORDER BY pk) AS seq FROM messages) AS numbered
         WHERE messages.pk = numbered.pk",
        // Also serves every lookup by session, so the session_pk index goes.
        "CREATE UNIQUE INDEX messages_by_seq ON messages (session_pk, seq)",
        "DROP INDEX messages_by_session",
    ],
    down: &[
        "CREATE INDEX messages_by_session ON messages (session_pk)",
        "DROP INDEX messages_by_seq",
        "ALTER TABLE messages DROP COLUMN seq",
    ],
    owns_keyword_indexes: false,
};
