//! Placeholders in migration DDL, filled when it runs: CHECK lists from core's enums, the FTS5 tokenizer.

// `status TEXT NOT NULL CHECK (status IN ({TaskStatus}))` becomes `... IN ('pending', 'running', ...)` from
// `TaskStatus::ALL`, so the values the code writes are exactly the values the schema accepts (one of the seed
// systems wrote statuses its own CHECK constraint rejected). The values are core's static names, never user text.

use storage_core::memory::{AuditAction, MemoryStatus, MemoryTier};
use storage_core::session::{AgentStatus, MessageRole, SessionStatus};
use storage_core::task::TaskStatus;
use storage_core::{Metric, TextLanguage};

use crate::fts5_query::text_tokenizer;

fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|value| name(*value)).collect()
}

/// Every enum a CHECK constraint may name, with its values.
fn enum_lists() -> [(&'static str, Vec<&'static str>); 8] {
    [
        ("MemoryStatus", names(MemoryStatus::ALL, MemoryStatus::as_str)),
        ("MemoryTier", names(MemoryTier::ALL, MemoryTier::as_str)),
        ("AuditAction", names(AuditAction::ALL, AuditAction::as_str)),
        ("SessionStatus", names(SessionStatus::ALL, SessionStatus::as_str)),
        ("MessageRole", names(MessageRole::ALL, MessageRole::as_str)),
        ("AgentStatus", names(AgentStatus::ALL, AgentStatus::as_str)),
        ("TaskStatus", names(TaskStatus::ALL, TaskStatus::as_str)),
        ("Metric", names(Metric::ALL, Metric::as_str)),
    ]
}

/// `sql` with `{Enum}` replaced by the quoted list of the enum's values and `{tokenizer}` by the FTS5
/// tokenizer of `language`.
pub(super) fn expand(sql: &str, language: TextLanguage) -> String {
    let mut text = sql.replace("{tokenizer}", text_tokenizer(language));
    for (name, values) in enum_lists() {
        let placeholder = format!("{{{name}}}");
        if text.contains(&placeholder) {
            let list: Vec<String> = values.iter().map(|value| format!("'{value}'")).collect();
            text = text.replace(&placeholder, &list.join(", "));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_values_are_plain_words_safe_to_quote() {
        for (name, values) in enum_lists() {
            assert!(!values.is_empty(), "{name}");
            for value in values {
                assert!(
                    value.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_'),
                    "{name}: {value}"
                );
            }
        }
    }

    #[test]
    fn placeholders_expand_to_every_value() {
        let sql = "CHECK (status IN ({TaskStatus})) tokenize='{tokenizer}'";
        assert_eq!(
            expand(sql, TextLanguage::English),
            "CHECK (status IN ('pending', 'running', 'completed', 'dead_letter', 'cancelled')) \
             tokenize='porter unicode61 remove_diacritics 2'"
        );
    }

    #[test]
    fn every_migration_expands_completely() {
        for migration in super::super::MIGRATIONS {
            for sql in migration.up {
                let expanded = expand(sql, TextLanguage::Simple);
                assert!(!expanded.contains('{') && !expanded.contains('}'), "{}: {expanded}", migration.name);
            }
        }
    }
}
