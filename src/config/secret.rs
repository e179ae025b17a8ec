//! Secret values (keys, tokens, passwords) that must never be printed.
//!
//! A [`Secret`] holds its text privately: `Debug` and `Serialize` both show [`REDACTED`], so a
//! configuration printed by `config check`, logged, or returned over MCP never leaks a credential.
//! Code that really needs the value (a storage client, the MCP bearer check) calls
//! [`Secret::expose`], which makes every use easy to find.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The text shown in place of a secret.
pub const REDACTED: &str = "***";

/// A string that is redacted wherever it is printed or serialized.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value itself; call only where the value is handed to the service that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({REDACTED})")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_value() {
        let s: Secret = serde_yaml_ng::from_str("hunter2").unwrap();
        assert_eq!(s.expose(), "hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        let yaml = serde_yaml_ng::to_string(&s).unwrap();
        assert!(!yaml.contains("hunter2"));
        assert!(yaml.contains(REDACTED));
    }
}
