//! The environment variables a replica client may fall back to for credentials, region and
//! (gs) an emulator's address, passed in explicitly so tests never depend on (or change) the
//! process environment.
//!
//! Litestream copies `LITESTREAM_ACCESS_KEY_ID`/`LITESTREAM_SECRET_ACCESS_KEY` to the `AWS_*`
//! names only when those are unset, so the `AWS_*` names win; the same order is kept here.

use std::collections::BTreeMap;

/// Every variable [`ReplicaEnv::from_process`] reads.
pub const REPLICA_ENV_VARS: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "LITESTREAM_ACCESS_KEY_ID",
    "LITESTREAM_SECRET_ACCESS_KEY",
    "LITESTREAM_AZURE_ACCOUNT_KEY",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "STORAGE_EMULATOR_HOST",
];

/// A snapshot of the credential-related environment (empty values count as unset).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ReplicaEnv {
    vars: BTreeMap<String, String>,
}

impl ReplicaEnv {
    /// An empty environment: no fallbacks.
    pub fn empty() -> ReplicaEnv {
        ReplicaEnv::default()
    }

    /// Reads the [`REPLICA_ENV_VARS`] from the process environment (for the binary; tests pass
    /// their own with [`ReplicaEnv::from_pairs`]).
    pub fn from_process() -> ReplicaEnv {
        ReplicaEnv::from_pairs(
            REPLICA_ENV_VARS
                .iter()
                .filter_map(|name| std::env::var(name).ok().map(|v| (*name, v))),
        )
    }

    /// An environment holding exactly `pairs`.
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> ReplicaEnv
    where
        K: Into<String>,
        V: Into<String>,
    {
        ReplicaEnv {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The value of `name`, or `None` when unset or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The first of `names` that is set, in order.
    pub fn first(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|n| self.get(n))
    }
}

/// Values are secrets: only the names are printed.
impl std::fmt::Debug for ReplicaEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.vars.keys()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_set_name_wins_and_empty_counts_as_unset() {
        let env = ReplicaEnv::from_pairs([
            ("AWS_ACCESS_KEY_ID", ""),
            ("LITESTREAM_ACCESS_KEY_ID", "ls"),
        ]);
        assert_eq!(
            env.first(&["AWS_ACCESS_KEY_ID", "LITESTREAM_ACCESS_KEY_ID"]),
            Some("ls")
        );
        assert_eq!(env.get("AWS_ACCESS_KEY_ID"), None);
        assert!(!format!("{env:?}").contains("ls\""));
    }
}
