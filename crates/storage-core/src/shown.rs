//! How a value a user typed appears in a message: escaped, and cut short when long, so a 10,000-character
//! name never comes back in full in an error, a log line or an HTTP body.

/// The most characters of a user value a message repeats.
pub const MAX_SHOWN_CHARS: usize = 64;

/// `value` as messages show it: control characters escaped (`\n`, `\0`), and past [`MAX_SHOWN_CHARS`]
/// characters cut with `…` and the full length, e.g. `aaaa…aaaa… (10000 characters)`.
pub fn shown(value: &str) -> String {
    let total = value.chars().count();
    let kept: String = value.chars().take(MAX_SHOWN_CHARS).collect();
    let escaped = kept.escape_debug().to_string();
    if total > MAX_SHOWN_CHARS { format!("{escaped}… ({total} characters)") } else { escaped }
}

/// [`shown`] between backticks, as messages quote a value: `` `docs` ``.
pub fn quoted(value: &str) -> String {
    format!("`{}`", shown(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_escaped_and_long_ones_cut_with_their_length() {
        assert_eq!(quoted("docs"), "`docs`");
        assert_eq!(quoted("a\nb\0"), "`a\\nb\\0`");
        let long = "x".repeat(10_000);
        assert_eq!(quoted(&long), format!("`{}… (10000 characters)`", "x".repeat(MAX_SHOWN_CHARS)));
        assert_eq!(shown(&"é".repeat(MAX_SHOWN_CHARS)), "é".repeat(MAX_SHOWN_CHARS), "characters, not bytes");
    }
}
