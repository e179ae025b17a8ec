//! Attached MCP servers (`mcp-servers`): other MCP servers the console connects to.
//!
//! Each entry names a server, how to reach it (`stdio`: a command to spawn; `http` or `sse`: a
//! URL), and optional environment, headers and timeout. Names become prefixes of tool names, so
//! they are short, lower-case and unique; those rules and the transport requirements are checked
//! in `validate.rs`. Environment values and header values are secrets: they often hold tokens.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::defaults;
use super::duration::GoDuration;
use super::secret::Secret;

/// How an attached MCP server is reached.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// Spawn `command` and speak JSON-RPC over its stdin and stdout.
    #[default]
    Stdio,
    /// Streamable HTTP at `url`.
    Http,
    /// The older HTTP + server-sent events transport at `url`.
    Sse,
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Stdio => "stdio",
            Transport::Http => "http",
            Transport::Sse => "sse",
        })
    }
}

/// One attached MCP server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpServerConfig {
    /// Short unique name, `[a-z0-9_-]{1,32}`; prefixes the server's tool names.
    pub name: String,
    /// How the server is reached (default `stdio`).
    #[serde(default)]
    pub transport: Transport,
    /// The program to run (stdio only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Arguments of the program (stdio only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Extra environment variables of the program (stdio only); values are secrets.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, Secret>,
    /// Working directory of the program (stdio only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<PathBuf>,
    /// Endpoint URL (http and sse only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Extra HTTP headers (http and sse only); values are secrets.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, Secret>,
    /// Connect to this server (default true).
    #[serde(default = "enabled_default")]
    pub enabled: bool,
    /// How long one request may take (default 30s).
    #[serde(default = "timeout_default")]
    pub timeout: GoDuration,
}

/// `enabled` defaults to true.
fn enabled_default() -> bool {
    true
}

/// `timeout` defaults to [`defaults::MCP_SERVER_TIMEOUT`].
fn timeout_default() -> GoDuration {
    defaults::MCP_SERVER_TIMEOUT
}

/// Why a server name is not acceptable, or `None` if it is.
pub fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("empty name: expected 1 to 32 characters from a-z, 0-9, _ and -".into());
    }
    if name.chars().count() > defaults::MCP_SERVER_NAME_MAX {
        return Some(format!(
            "name {name:?} is {} characters long: expected at most {} (names prefix tool names)",
            name.chars().count(),
            defaults::MCP_SERVER_NAME_MAX
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-'))
    {
        return Some(format!(
            "invalid name {name:?}: character {bad:?} is not allowed; expected only a-z, 0-9, _ and -"
        ));
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_defaults_and_redacts_secrets() {
        let s: McpServerConfig = serde_yaml_ng::from_str(
            "name: gh\ntransport: http\nurl: https://x/mcp\nheaders: {Authorization: Bearer t0k}",
        )
        .unwrap();
        assert!(s.enabled);
        assert_eq!(s.timeout, GoDuration::from_secs(30));
        assert_eq!(s.transport, Transport::Http);
        assert_eq!(s.headers["Authorization"].expose(), "Bearer t0k");
        let printed = serde_yaml_ng::to_string(&s).unwrap();
        assert!(!printed.contains("t0k"), "{printed}");
    }

    #[test]
    fn checks_names() {
        assert_eq!(name_problem("fs_1-a"), None);
        assert!(name_problem("").unwrap().contains("empty"));
        assert!(name_problem("Files").unwrap().contains("'F'"));
        assert!(
            name_problem(&"a".repeat(33))
                .unwrap()
                .contains("at most 32")
        );
    }
}
