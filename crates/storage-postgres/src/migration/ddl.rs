//! What the agent-memory, session and task migrations share: CHECK lists generated from core's enums, so
//! the values the code writes are exactly the values the schema accepts, and the runner of their DDL.

use sea_orm::{ConnectionTrait, DbErr};
use sea_orm_migration::SchemaManager;

/// `CONSTRAINT <name> CHECK (<column> IN ('a', 'b'))` over `values` (an enum's `ALL`, as stored).
///
/// The values are `&'static str` of core's `string_enum!` types; each is checked to be a lowercase word,
/// so quoting them as SQL literals is exact.
pub(super) fn check_one_of(name: &str, column: &str, values: &[&'static str]) -> String {
    format!("CONSTRAINT {name} CHECK ({column} IN ({}))", literal_list(values))
}

/// `'a', 'b'`: enum values as a list of SQL literals, for CHECK constraints and partial-index predicates.
pub(super) fn literal_list(values: &[&'static str]) -> String {
    assert!(!values.is_empty(), "an enum has at least one value");
    values
        .iter()
        .map(|value| {
            assert!(
                !value.is_empty() && value.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "enum value `{value}` is not a lowercase word"
            );
            format!("'{value}'")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `'value'`: one enum value as an SQL literal.
pub(super) fn literal(value: &'static str) -> String {
    literal_list(&[value])
}

/// Runs DDL statements in order, inside the migration's transaction.
pub(super) async fn run(manager: &SchemaManager<'_>, statements: &[String]) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for statement in statements {
        // Static DDL: every statement is text of a migration file plus enum values checked by `literal_list`.
        #[allow(clippy::disallowed_methods)]
        db.execute_unprepared(statement).await?;
    }
    Ok(())
}

/// The `MigrationTrait` impl of a migration written as DDL text, in the file that defines `Migration` and
/// `statements()`: `up` runs `statements()`, `down` drops `tables` in the order given (dependents first).
macro_rules! ddl_migration {
    (down: [$($table:literal),+ $(,)?]) => {
        // The trait spells `&SchemaManager` without its lifetime; a named `'_` would not match it.
        #[allow(elided_lifetimes_in_paths)]
        #[async_trait::async_trait]
        impl sea_orm_migration::MigrationTrait for Migration {
            async fn up(&self, manager: &sea_orm_migration::SchemaManager) -> Result<(), sea_orm::DbErr> {
                super::ddl::run(manager, &statements()).await
            }

            async fn down(&self, manager: &sea_orm_migration::SchemaManager) -> Result<(), sea_orm::DbErr> {
                super::ddl::run(manager, &[$(concat!("DROP TABLE IF EXISTS ", $table).to_owned()),+]).await
            }
        }
    };
}
pub(super) use ddl_migration;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_lists_quote_every_value() {
        assert_eq!(check_one_of("c", "status", &["a", "b_c"]), "CONSTRAINT c CHECK (status IN ('a', 'b_c'))");
    }

    #[test]
    fn values_that_are_not_words_are_refused() {
        assert!(std::panic::catch_unwind(|| literal_list(&["a'b"])).is_err());
        assert!(std::panic::catch_unwind(|| literal_list(&[])).is_err());
    }
}
