//! Reading a configuration: expand, parse, validate, resolve — and place every error.
//!
//! [`parse_str`] runs the whole pipeline on a text; [`load`] reads the file first. serde errors
//! arrive with a position in the expanded text and a message like
//! `dbs[0]: unknown field `dri`, expected … at line 3 column 5`; they are rewritten into a
//! [`ConfigError`] with the position mapped back to the file as written, a hint for the usual
//! culprits (tabs, typos), and the position suffix removed from the message.

use std::path::Path;

use super::error::ConfigError;
use super::expand::{Expansion, expand_tracked};
use super::location::{self, SourceMap};
use super::model::Config;
use super::options::LoadOptions;
use super::raw::RawConfig;
use super::resolve::resolve;
use super::validate::{Issue, validate};

/// Reads, expands, parses, validates and resolves the configuration file at `path`.
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Config, ConfigError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    match String::from_utf8(bytes) {
        Ok(text) => parse_str(&text, path, opts),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes());
            let (line, column) = location::line_col_of(&text, valid);
            Err(ConfigError::Syntax {
                file: path.to_path_buf(),
                line,
                column,
                message: "the file is not valid UTF-8".to_owned(),
            })
        }
    }
}

/// Parses a configuration text; `origin` names the file in errors and in [`Config::origin`].
pub fn parse_str(text: &str, origin: &Path, opts: &LoadOptions) -> Result<Config, ConfigError> {
    let original = text.strip_prefix('\u{feff}').unwrap_or(text);
    let expansion = if opts.expand_env {
        expand_tracked(original, |name| opts.expand_var(name))
    } else {
        Expansion::identity(original)
    };
    let map = SourceMap::new(original, &expansion);
    let raw = match serde_yaml_ng::from_str::<Option<RawConfig>>(&expansion.text) {
        Ok(raw) => raw.unwrap_or_default(),
        Err(err) if err.to_string().contains("unknown field `<<`") => {
            parse_with_merge_keys(origin, &map)?
        }
        Err(err) => return Err(from_serde(&err, origin, &map)),
    };
    validate(&raw).map_err(|issue| from_issue(issue, origin, &map))?;
    resolve(raw, origin, opts).map_err(|issue| from_issue(issue, origin, &map))
}

/// Parses a document that uses YAML merge keys (`<<: *anchor`), which Go's YAML reader applies.
///
/// serde_yaml_ng applies merges only on a [`serde_yaml_ng::Value`], so the document is merged,
/// printed again and parsed from that text. An error there carries the YAML path of the problem,
/// which is then found in the file as written (merged-in keys point at their mapping).
fn parse_with_merge_keys(origin: &Path, map: &SourceMap<'_>) -> Result<RawConfig, ConfigError> {
    let mut value: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(map.parsed()).map_err(|e| from_serde(&e, origin, map))?;
    value.apply_merge().map_err(|e| {
        at_path(
            ".",
            &format!("cannot apply YAML merge keys: {e}"),
            origin,
            map,
        )
    })?;
    let merged = serde_yaml_ng::to_string(&value).map_err(|e| {
        at_path(
            ".",
            &format!("cannot apply YAML merge keys: {e}"),
            origin,
            map,
        )
    })?;
    match serde_yaml_ng::from_str::<Option<RawConfig>>(&merged) {
        Ok(raw) => Ok(raw.unwrap_or_default()),
        Err(err) => {
            // Positions in the merged text mean nothing to the reader: drop them.
            let message = strip_positions(&err.to_string());
            let (path, message) = split_path(&message);
            let unknown_key = message
                .strip_prefix("unknown field `")
                .and_then(|rest| rest.split_once('`'))
                .map(|(key, _)| key.to_owned());
            let mut err = at_path(&path, &add_suggestion(message), origin, map);
            if let (Some(key), ConfigError::Invalid { line, column, .. }) = (unknown_key, &mut err)
            {
                let key_path = location::YamlPath::parse(&path).key(&key);
                if let Some(offset) = location::find(map.parsed(), &key_path, location::Target::Key)
                {
                    (*line, *column) = map.line_col(offset);
                }
            }
            Err(err)
        }
    }
}

/// An [`ConfigError::Invalid`] placed at a displayed YAML path of the file as written.
fn at_path(path: &str, message: &str, origin: &Path, map: &SourceMap<'_>) -> ConfigError {
    let yaml_path = location::YamlPath::parse(path);
    let (line, column) = location::find(map.parsed(), &yaml_path, location::Target::Value)
        .map_or((1, 1), |offset| map.line_col(offset));
    ConfigError::Invalid {
        file: origin.to_path_buf(),
        line,
        column,
        path: if path == "." {
            String::new()
        } else {
            path.to_owned()
        },
        message: message.to_owned(),
    }
}

/// Removes every ` at line L column C` from a message.
fn strip_positions(msg: &str) -> String {
    const AT: &str = " at line ";
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(i) = rest.find(AT) {
        out.push_str(&rest[..i]);
        let after = &rest[i + AT.len()..];
        match parse_line_column(after) {
            Some((_, _, len)) => rest = &after[len..],
            None => {
                out.push_str(AT);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Places a validation issue in the file.
fn from_issue(issue: Issue, origin: &Path, map: &SourceMap<'_>) -> ConfigError {
    let (line, column) = location::find(map.parsed(), &issue.path, issue.target)
        .map_or((1, 1), |offset| map.line_col(offset));
    ConfigError::Invalid {
        file: origin.to_path_buf(),
        line,
        column,
        path: issue.path.to_string(),
        message: issue.message,
    }
}

/// Rewrites a serde_yaml_ng error into a [`ConfigError`] located in the original file.
fn from_serde(err: &serde_yaml_ng::Error, origin: &Path, map: &SourceMap<'_>) -> ConfigError {
    let primary = err.location();
    let (line, column) = primary
        .as_ref()
        .map_or((1, 1), |loc| map.line_col(loc.index()));
    let primary_lc = primary.as_ref().map(|l| (l.line(), l.column()));
    let mut message = rewrite_positions(&err.to_string(), primary_lc, map);
    // libyaml errors (syntax) debug-print as a struct; serde messages as `Error("…", …)`.
    let syntax = format!("{err:?}").starts_with("Error {");
    if syntax {
        if primary.as_ref().and_then(|l| map.char_at(l.index())) == Some('\t')
            || message.contains("cannot start any token") && has_tab_indent(map.parsed())
        {
            message.push_str("; YAML does not allow tabs for indentation: indent with spaces");
        }
        return ConfigError::Syntax {
            file: origin.to_path_buf(),
            line,
            column,
            message,
        };
    }
    let (path, message) = split_path(&message);
    ConfigError::Invalid {
        file: origin.to_path_buf(),
        line,
        column,
        path,
        message: add_suggestion(message),
    }
}

/// True when some line of `text` is indented with a tab.
fn has_tab_indent(text: &str) -> bool {
    text.lines()
        .any(|l| l.trim_start_matches(' ').starts_with('\t'))
}

/// Removes ` at line L column C` for the primary position and maps any other position (a
/// context position in libyaml messages) to the original file.
fn rewrite_positions(msg: &str, primary: Option<(usize, usize)>, map: &SourceMap<'_>) -> String {
    const AT: &str = " at line ";
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(i) = rest.find(AT) {
        out.push_str(&rest[..i]);
        let after = &rest[i + AT.len()..];
        let Some((line, col, len)) = parse_line_column(after) else {
            out.push_str(AT);
            rest = after;
            continue;
        };
        if Some((line, col)) != primary {
            let (l, c) = map
                .parsed_offset_of(line, col)
                .map_or((line, col), |off| map.line_col(off));
            out.push_str(&format!("{AT}{l} column {c}"));
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

/// Parses `L column C` at the start of `s`: `(L, C, bytes consumed)`.
fn parse_line_column(s: &str) -> Option<(usize, usize, usize)> {
    let digits = |t: &str| t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let n1 = digits(s);
    let line: usize = s[..n1].parse().ok()?;
    let rest = s[n1..].strip_prefix(" column ")?;
    let n2 = digits(rest);
    let col: usize = rest[..n2].parse().ok()?;
    Some((line, col, n1 + " column ".len() + n2))
}

/// Splits serde_yaml_ng's `path: message` into its parts (the path has no spaces).
fn split_path(msg: &str) -> (String, String) {
    match msg.split_once(": ") {
        Some((path, rest))
            if !path.is_empty()
                && !path.contains(char::is_whitespace)
                && !path.contains('`')
                && !path.contains('"') =>
        {
            (path.to_owned(), rest.to_owned())
        }
        _ => (String::new(), msg.to_owned()),
    }
}

/// Appends "did you mean `x`?" to an unknown-field message when a listed key is close.
fn add_suggestion(msg: String) -> String {
    let Some(rest) = msg.strip_prefix("unknown field `") else {
        return msg;
    };
    let Some((unknown, expected)) = rest.split_once('`') else {
        return msg;
    };
    // Allow about one edit per four characters, at least one and at most three.
    let best = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|k| (edit_distance(unknown, k), k))
        .filter(|(d, k)| *d > 0 && *d <= (unknown.len().max(k.len()) / 4).clamp(1, 3))
        .min();
    match best {
        Some((_, k)) => format!("{msg}; did you mean `{k}`?"),
        None => msg,
    }
}

/// Levenshtein distance between two short strings.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keys() {
        let m = add_suggestion(
            "unknown field `sync-intervall`, expected `sync-interval` or `url`".into(),
        );
        assert!(m.ends_with("; did you mean `sync-interval`?"), "{m}");
        let m = add_suggestion("unknown field `zzz`, expected `sync-interval` or `url`".into());
        assert!(!m.contains("did you mean"), "{m}");
        let m = add_suggestion("unknown field `a`, expected `age` or `url`".into());
        assert!(!m.contains("did you mean"), "{m}");
        let m = add_suggestion("unknown field `db`, expected one of `dbs`, `addr`, `age`".into());
        assert!(m.ends_with("did you mean `dbs`?"), "{m}");
    }

    #[test]
    fn splits_paths_from_messages() {
        assert_eq!(
            split_path("dbs[0].replica: unknown field `x`"),
            ("dbs[0].replica".into(), "unknown field `x`".into())
        );
        assert_eq!(
            split_path("invalid type: string \"x\", expected a boolean"),
            (
                String::new(),
                "invalid type: string \"x\", expected a boolean".into()
            )
        );
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("dbs", "dbs"), 0);
    }
}
