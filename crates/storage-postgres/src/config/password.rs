//! `Password`: a secret that redacts itself in `Debug` and `Display` and is never serialised out.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// A database password. `Debug` and `Display` print `<redacted>` (or `<empty>`), it has no `Serialize`,
/// and only [`Password::expose`] reveals it, where the connection is made.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Password(secret.into())
    }

    /// The secret itself: call it only to hand the password to the driver or to build a URL for a tool.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether no password is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "<empty>" } else { "<redacted>" })
    }
}

impl From<&str> for Password {
    fn from(secret: &str) -> Self {
        Password::new(secret)
    }
}

impl From<String> for Password {
    fn from(secret: String) -> Self {
        Password(secret)
    }
}

impl<'de> Deserialize<'de> for Password {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Password)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_secret() {
        let password = Password::new("p@ss:word/123");
        assert_eq!(format!("{password}"), "<redacted>");
        assert_eq!(format!("{password:?}"), "<redacted>");
        assert_eq!(format!("{:?}", Password::default()), "<empty>");
        assert_eq!(password.expose(), "p@ss:word/123");
    }
}
