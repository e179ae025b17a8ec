//! Keeping secrets out of everything the hub shows: the values of a server's `env` and
//! `headers` (tokens, keys) are replaced by `***` wherever they appear in its stderr, its wire
//! log, its error messages and the results of its tools (a server may echo its environment),
//! and URLs are shown without user info or query string (where tokens hide).

use std::borrow::Cow;

use serde_json::Value;

use crate::config::{McpServerConfig, REDACTED};

/// Secrets shorter than this are not scrubbed from text: replacing every `1` or `on` would
/// garble the output without protecting anything.
pub const MIN_SECRET_LEN: usize = 4;

/// The secret values of one server.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

impl Redactor {
    /// The secrets of `config`: every env and header value, and for a header of the form
    /// `Bearer TOKEN` the token alone too.
    pub fn for_server(config: &McpServerConfig) -> Redactor {
        let mut secrets: Vec<String> = Vec::new();
        for value in config.env.values().chain(config.headers.values()) {
            let v = value.expose();
            secrets.push(v.to_owned());
            if let Some((_, token)) = v.split_once(' ') {
                secrets.push(token.trim().to_owned());
            }
        }
        secrets.retain(|s| s.len() >= MIN_SECRET_LEN);
        // Longest first, so a token inside a longer header value does not leave the rest.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Redactor { secrets }
    }

    /// `text` with every secret replaced by `***`.
    pub fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if !self.secrets.iter().any(|s| text.contains(s.as_str())) {
            return Cow::Borrowed(text);
        }
        let mut out = text.to_owned();
        for s in &self.secrets {
            out = out.replace(s.as_str(), REDACTED);
        }
        Cow::Owned(out)
    }

    /// Scrubs every string (and object key) inside `value`.
    pub fn scrub_value(&self, value: &mut Value) {
        if self.secrets.is_empty() {
            return;
        }
        match value {
            Value::String(s) => {
                if let Cow::Owned(clean) = self.scrub(s) {
                    *s = clean;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.scrub_value(v)),
            Value::Object(map) => {
                let entries = std::mem::take(map);
                for (k, mut v) in entries {
                    self.scrub_value(&mut v);
                    map.insert(self.scrub(&k).into_owned(), v);
                }
            }
            _ => {}
        }
    }
}

/// `url` without user info and query string, for display.
pub fn display_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let had_query = u.query().is_some();
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            let mut s = u.to_string();
            if had_query {
                s.push_str("?…");
            }
            s
        }
        Err(_) => url.split(['?', '#']).next().unwrap_or_default().to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn config(yaml: &str) -> McpServerConfig {
        serde_yaml_ng::from_str(yaml).unwrap()
    }

    #[test]
    fn scrubs_env_and_header_values_and_bearer_tokens() {
        let c = config(
            "name: a\ntransport: http\nurl: http://x\nheaders: {Authorization: Bearer s3cr3tTok}\nenv: {KEY: hunter22, SHORT: on}",
        );
        let r = Redactor::for_server(&c);
        assert_eq!(
            r.scrub("token s3cr3tTok and hunter22, on"),
            "token *** and ***, on"
        );
        let mut v = serde_json::json!({"env": {"KEY": "hunter22"}, "list": ["Bearer s3cr3tTok"]});
        r.scrub_value(&mut v);
        let text = v.to_string();
        assert!(
            !text.contains("hunter22") && !text.contains("s3cr3tTok"),
            "{text}"
        );
    }

    #[test]
    fn urls_lose_credentials_and_queries() {
        assert_eq!(
            display_url("https://user:pw@host:8443/mcp?token=abc"),
            "https://host:8443/mcp?…"
        );
        assert_eq!(
            display_url("http://127.0.0.1:3001/sse"),
            "http://127.0.0.1:3001/sse"
        );
    }
}
