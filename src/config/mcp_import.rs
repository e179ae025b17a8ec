//! Converting a Claude Desktop style `{"mcpServers": {NAME: {...}}}` JSON file into ltx-tui's
//! `mcp-servers:` YAML (`ltx-tui mcp import FILE`).
//!
//! Each entry's `type` (`stdio`, `http`, `streamable-http`, `sse`; absent: `stdio` with a
//! `command`, else `http`, or `sse` for a URL ending in `/sse`), `command`, `args`, `env`,
//! `cwd`, `url`, `headers` and `disabled` carry over. Names are made valid (lower case,
//! `[a-z0-9_-]`, at most 32 characters, unique). Secrets are not copied: every literal `env` or
//! `headers` value becomes a `${VAR}` reference (values that already are references stay), and
//! the import lists the variables to set, so the YAML can be shared or committed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::defaults;
use super::mcp_servers::name_problem;

/// One converted server, in the YAML's key order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportedServer {
    /// The (possibly adjusted) name.
    pub name: String,
    /// `stdio`, `http` or `sse`.
    pub transport: &'static str,
    /// The program (stdio).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Its arguments.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Environment: `${VAR}` references.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Working directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwd: Option<PathBuf>,
    /// Endpoint (http, sse).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Headers: `${VAR}` references.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// `false` when the entry was `disabled`.
    #[serde(skip_serializing_if = "is_true")]
    pub enabled: bool,
}

fn is_true(b: &bool) -> bool {
    *b
}

/// The result of an import.
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    /// The servers, in the file's order.
    pub servers: Vec<ImportedServer>,
    /// Environment variables the YAML refers to in place of secrets: (variable, where).
    pub variables: Vec<(String, String)>,
    /// Notes for the operator (renamed servers, …).
    pub notes: Vec<String>,
}

impl Import {
    /// The `mcp-servers:` YAML.
    pub fn yaml(&self) -> Result<String, serde_yaml_ng::Error> {
        #[derive(Serialize)]
        struct Doc<'a> {
            #[serde(rename = "mcp-servers")]
            servers: &'a [ImportedServer],
        }
        serde_yaml_ng::to_string(&Doc {
            servers: &self.servers,
        })
    }
}

/// Why a file cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not JSON.
    #[error("{path}:{line}:{column}: invalid JSON: {message}")]
    Json {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's message (without its position).
        message: String,
    },
    /// The JSON does not have the expected shape.
    #[error("{path}: {at}: {message}")]
    Shape {
        /// The file.
        path: PathBuf,
        /// Where in the JSON (`mcpServers.github.args[1]`).
        at: String,
        /// What is wrong.
        message: String,
    },
}

/// Reads and converts the file at `path`.
pub fn import_file(path: &Path) -> Result<Import, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    import_str(&text, path)
}

/// Converts `text` (read from `path`, named in errors).
pub fn import_str(text: &str, path: &Path) -> Result<Import, ImportError> {
    let root: Value = serde_json::from_str(text).map_err(|e| {
        let full = e.to_string();
        let message = full
            .rsplit_once(" at line ")
            .map_or(full.clone(), |(m, _)| m.to_owned());
        ImportError::Json {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message,
        }
    })?;
    let shape = |at: &str, message: String| ImportError::Shape {
        path: path.to_path_buf(),
        at: at.to_owned(),
        message,
    };
    let servers = root
        .get("mcpServers")
        .or_else(|| root.get("servers"))
        .ok_or_else(|| shape("(top level)", "no `mcpServers` object".into()))?
        .as_object()
        .ok_or_else(|| shape("mcpServers", "expected an object of servers by name".into()))?;
    let mut import = Import {
        servers: Vec::new(),
        variables: Vec::new(),
        notes: Vec::new(),
    };
    for (key, entry) in servers {
        let at = format!("mcpServers.{key}");
        let entry = entry
            .as_object()
            .ok_or_else(|| shape(&at, "expected an object".into()))?;
        let name = unique_name(key, &import.servers);
        if name != *key {
            import.notes.push(format!(
                "server {key:?} is named {name:?} (names prefix tool names)"
            ));
        }
        let string = |field: &str| -> Result<Option<String>, ImportError> {
            match entry.get(field) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(shape(
                    &format!("{at}.{field}"),
                    format!("expected a string, found {other}"),
                )),
            }
        };
        let command = string("command")?;
        let url = string("url")?.or(string("serverUrl")?);
        let kind = string("type")?.or(string("transport")?);
        let transport = match kind.as_deref() {
            Some("stdio") => "stdio",
            Some("http" | "streamable-http" | "streamableHttp" | "streamable_http") => "http",
            Some("sse") => "sse",
            Some(other) => {
                return Err(shape(
                    &format!("{at}.type"),
                    format!("unknown transport {other:?}: expected stdio, http or sse"),
                ));
            }
            None if command.is_some() => "stdio",
            None if url
                .as_deref()
                .is_some_and(|u| u.trim_end_matches('/').ends_with("/sse")) =>
            {
                "sse"
            }
            None if url.is_some() => "http",
            None => return Err(shape(&at, "neither `command` nor `url`".into())),
        };
        if transport == "stdio" && command.is_none() {
            return Err(shape(&at, "a stdio server needs `command`".into()));
        }
        if transport != "stdio" && url.is_none() {
            return Err(shape(&at, format!("an {transport} server needs `url`")));
        }
        let args = match entry.get("args") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::String(s) => Ok(s.clone()),
                    Value::Number(n) => Ok(n.to_string()),
                    other => Err(shape(
                        &format!("{at}.args[{i}]"),
                        format!("expected a string, found {other}"),
                    )),
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(shape(
                    &format!("{at}.args"),
                    format!("expected an array of strings, found {other}"),
                ));
            }
        };
        let mut secrets = |field: &str| -> Result<BTreeMap<String, String>, ImportError> {
            let mut out = BTreeMap::new();
            let Some(map) = entry.get(field) else {
                return Ok(out);
            };
            let map = map
                .as_object()
                .ok_or_else(|| shape(&format!("{at}.{field}"), "expected an object".into()))?;
            for (k, v) in map {
                let value = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let reference = if is_reference(&value) {
                    value
                } else {
                    let var = variable_name(&name, k);
                    import
                        .variables
                        .push((var.clone(), format!("{name}: {field}.{k}")));
                    format!("${{{var}}}")
                };
                out.insert(k.clone(), reference);
            }
            Ok(out)
        };
        let env = secrets("env")?;
        let headers = secrets("headers")?;
        let enabled = !entry
            .get("disabled")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        import.servers.push(ImportedServer {
            name,
            transport,
            command,
            args,
            env,
            cwd: string("cwd")?.map(PathBuf::from),
            url,
            headers,
            enabled,
        });
    }
    Ok(import)
}

/// True when `value` is exactly one `${VAR}` or `$VAR` reference.
fn is_reference(value: &str) -> bool {
    let inner = value
        .strip_prefix("${")
        .and_then(|v| v.strip_suffix('}'))
        .or_else(|| value.strip_prefix('$'));
    inner.is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

/// `LTX_MCP_<SERVER>_<KEY>`, upper case, `_` for anything else.
fn variable_name(server: &str, key: &str) -> String {
    let clean = |s: &str| {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect::<String>()
    };
    format!("LTX_MCP_{}_{}", clean(server), clean(key))
}

/// `key` made into a valid server name not yet used.
fn unique_name(key: &str, taken: &[ImportedServer]) -> String {
    let mut base: String = key
        .trim()
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if base.is_empty() {
        base = "server".into();
    }
    base.truncate(defaults::MCP_SERVER_NAME_MAX);
    let mut name = base.clone();
    let mut n = 2;
    while taken.iter().any(|s| s.name == name) || name_problem(&name).is_some() {
        let suffix = format!("-{n}");
        let keep = defaults::MCP_SERVER_NAME_MAX.saturating_sub(suffix.len());
        name = format!("{}{suffix}", &base[..base.len().min(keep)]);
        n += 1;
    }
    name
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn converts_servers_and_replaces_secrets_with_references() {
        let text = r#"{"mcpServers": {
            "GitHub Tools": {"command": "npx", "args": ["-y", "srv"], "env": {"TOKEN": "ghp_x", "HOME": "${HOME}"}},
            "remote": {"type": "streamable-http", "url": "http://127.0.0.1:9/mcp", "headers": {"Authorization": "Bearer abc"}},
            "old": {"url": "http://127.0.0.1:9/sse", "disabled": true}
        }}"#;
        let import = import_str(text, Path::new("claude.json")).unwrap();
        let yaml = import.yaml().unwrap();
        assert!(!yaml.contains("ghp_x") && !yaml.contains("abc"), "{yaml}");
        assert!(yaml.contains("name: github-tools"), "{yaml}");
        assert!(
            yaml.contains("TOKEN: ${LTX_MCP_GITHUB_TOOLS_TOKEN}"),
            "{yaml}"
        );
        assert!(yaml.contains("HOME: ${HOME}"), "{yaml}");
        assert!(
            yaml.contains("transport: sse") && yaml.contains("enabled: false"),
            "{yaml}"
        );
        assert_eq!(import.variables.len(), 2);
        assert_eq!(import.notes.len(), 1);
    }

    #[test]
    fn bad_json_names_file_line_and_column() {
        let err = import_str("{\n  \"mcpServers\": {,}\n}", Path::new("c.json")).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("c.json:2:18: invalid JSON: "), "{text}");
        let err = import_str(
            r#"{"mcpServers": {"a": {"args": [1, {}]}}}"#,
            Path::new("c.json"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("mcpServers.a"), "{err}");
    }
}
