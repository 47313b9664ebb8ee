//! `NewMemory` objects from JSON text (`memory remember --from-json`): one object, pretty-printed or not, or
//! one per line, each checked with core's rules and numbered by the line it starts on.

use serde_json::Value;

use super::{LineError, TransferError, json_error_text};
use crate::error::StorageError;
use crate::json_type_name;
use crate::memory::{NewMemory, Scope};

/// Every `NewMemory` object of `text`, with the line each starts on. A missing scope (or tenant) is
/// `scope`'s; another tenant is refused, so one call never writes two tenants. An empty text gives no
/// memories (the caller decides whether that is an error).
pub fn memory_objects(text: &str, scope: &Scope) -> Result<Vec<(u64, NewMemory)>, TransferError> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let mut memories = Vec::new();
    loop {
        let offset = stream.byte_offset();
        let rest = text.get(offset..).unwrap_or_default();
        let line = line_of(text, offset + (rest.len() - rest.trim_start().len()));
        let Some(item) = stream.next() else { break };
        let value = item.map_err(|e| TransferError::Line {
            line: u64::try_from(e.line()).unwrap_or(u64::MAX),
            source: LineError::Json(json_error_text(&e)),
        })?;
        let memory = new_memory(value, scope).map_err(|source| TransferError::Line { line, source })?;
        memories.push((line, memory));
    }
    Ok(memories)
}

/// The 1-based line of byte `offset`.
fn line_of(text: &str, offset: usize) -> u64 {
    let before = text.get(..offset).unwrap_or(text);
    before.bytes().filter(|b| *b == b'\n').count() as u64 + 1
}

/// One object as a `NewMemory` in `scope`'s tenant.
fn new_memory(value: Value, scope: &Scope) -> Result<NewMemory, LineError> {
    let Value::Object(mut object) = value else {
        return Err(LineError::Json(format!("expected a memory object, got {}", json_type_name(&value))));
    };
    match object.get_mut("scope") {
        None | Some(Value::Null) => {
            let scope = serde_json::to_value(scope).map_err(|e| StorageError::invalid("scope", e.to_string()))?;
            object.insert("scope".to_owned(), scope);
        }
        Some(Value::Object(given)) => match given.get("tenant") {
            None | Some(Value::Null) => {
                given.insert("tenant".to_owned(), Value::String(scope.tenant.clone()));
            }
            Some(Value::String(tenant)) if *tenant == scope.tenant => {}
            Some(other) => {
                return Err(StorageError::invalid(
                    "scope.tenant",
                    format!(
                        "{other} is not this command's tenant `{}` (--tenant, or `tenant` in the configuration)",
                        scope.tenant
                    ),
                )
                .into());
            }
        },
        Some(other) => {
            return Err(
                StorageError::invalid("scope", format!("must be an object, got {}", json_type_name(other))).into()
            );
        }
    }
    let memory: NewMemory = crate::from_json_value(Value::Object(object))?;
    memory.validate()?;
    Ok(memory)
}
