//! Environment expansion of the whole configuration text, exactly as Go's `os.Expand`.
//!
//! Litestream expands `$VAR` and `${VAR}` in the file text before parsing the YAML (unless
//! `-no-expand-env`), with Go's `os.Expand` rules, which differ from a shell's:
//! - a name is `[A-Za-z0-9_]+`, or one special character `* # $ @ ! ? -` or a digit;
//! - `${…}` takes everything up to the first `}` as the name (so `${VAR:-x}` looks up the
//!   variable literally named `VAR:-x`, which is never set: it expands to the empty string);
//! - `${}` and an unclosed `${` are bad syntax and are removed;
//! - a `$` followed by anything else, or at the very end, stays as it is;
//! - unset variables expand to the empty string; `$$` looks up the variable named `$`.
//!
//! The lookup is a closure, so tests never touch the process environment. The expansion also
//! records where each substitution happened, so an error found in the expanded text can be
//! reported at the line and column of the original file.

use std::ops::Range;

/// One replaced `$…` reference: where it was in the original text and what it became.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Substitution {
    /// Byte range of the `$…` reference in the original text.
    pub original: Range<usize>,
    /// Byte range of its replacement in the expanded text.
    pub expanded: Range<usize>,
}

/// The expanded text and the substitutions made, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expansion {
    /// The text after expansion.
    pub text: String,
    /// Every substitution, in increasing offset order.
    pub substitutions: Vec<Substitution>,
}

impl Expansion {
    /// The text unchanged, with no substitutions (used when expansion is disabled).
    pub fn identity(text: &str) -> Self {
        Expansion {
            text: text.to_owned(),
            substitutions: Vec::new(),
        }
    }

    /// Maps a byte offset in the expanded text back to the original text.
    ///
    /// An offset inside a replacement maps to the start of the `$…` reference that produced it.
    pub fn original_offset(&self, expanded: usize) -> usize {
        let idx = self
            .substitutions
            .partition_point(|s| s.expanded.start <= expanded);
        if idx == 0 {
            return expanded;
        }
        let sub = &self.substitutions[idx - 1];
        if expanded < sub.expanded.end {
            sub.original.start
        } else {
            sub.original.end + (expanded - sub.expanded.end)
        }
    }
}

/// Expands `$VAR` and `${VAR}` in `text` with Go's `os.Expand` rules.
pub fn expand(text: &str, lookup: impl FnMut(&str) -> String) -> String {
    expand_tracked(text, lookup).text
}

/// Expands like [`expand`] and records every substitution.
pub fn expand_tracked(text: &str, mut lookup: impl FnMut(&str) -> String) -> Expansion {
    let s = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut substitutions = Vec::new();
    // `i` is the start of the literal run not yet copied; `j` scans.
    let mut i = 0;
    let mut j = 0;
    while j < s.len() {
        if s[j] == b'$' && j + 1 < s.len() {
            out.push_str(&text[i..j]);
            let (name, width) = shell_name(&text[j + 1..]);
            let start = out.len();
            match name {
                // Bad syntax (`${}` or an unclosed `${`): the characters are eaten.
                None if width > 0 => {}
                // `$` not followed by a name: the dollar stays.
                None => out.push('$'),
                Some(name) => out.push_str(&lookup(name)),
            }
            let consumed_end = j + 1 + width;
            if !(name.is_none() && width == 0) {
                substitutions.push(Substitution {
                    original: j..consumed_end,
                    expanded: start..out.len(),
                });
            }
            j = consumed_end;
            i = j;
        } else {
            j += 1;
        }
    }
    out.push_str(&text[i..]);
    Expansion {
        text: out,
        substitutions,
    }
}

/// Go's `getShellName`: the name after a `$` and how many bytes it spans.
///
/// Returns `(None, 0)` when no name follows (keep the `$`) and `(None, n > 0)` for bad syntax
/// (drop `n` bytes after the `$`).
fn shell_name(s: &str) -> (Option<&str>, usize) {
    let b = s.as_bytes();
    if b[0] == b'{' {
        if b.len() > 2 && is_shell_special(b[1]) && b[2] == b'}' {
            return (Some(&s[1..2]), 3);
        }
        return match b.iter().skip(1).position(|&c| c == b'}') {
            Some(0) => (None, 2),
            Some(n) => (Some(&s[1..n + 1]), n + 2),
            None => (None, 1),
        };
    }
    if is_shell_special(b[0]) {
        return (Some(&s[0..1]), 1);
    }
    let n = b
        .iter()
        .position(|&c| !(c == b'_' || c.is_ascii_alphanumeric()))
        .unwrap_or(b.len());
    if n == 0 {
        (None, 0)
    } else {
        (Some(&s[..n]), n)
    }
}

/// Go's `isShellSpecialVar`.
fn is_shell_special(c: u8) -> bool {
    matches!(c, b'*' | b'#' | b'$' | b'@' | b'!' | b'?' | b'-') || c.is_ascii_digit()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// A lookup over a fixed table; unknown names expand to "".
    fn env(name: &str) -> String {
        match name {
            "HOME" => "/home/op".into(),
            "BUCKET" => "my-bucket".into(),
            "A_1" => "x".into(),
            "$" => "dollar".into(),
            "1" => "one".into(),
            "*" => "star".into(),
            "VAR:-x" => "weird".into(),
            _ => String::new(),
        }
    }

    #[test]
    fn expands_like_go_os_expand() {
        let cases = [
            ("", ""),
            ("plain", "plain"),
            ("$HOME/db", "/home/op/db"),
            ("${HOME}/db", "/home/op/db"),
            ("s3://${BUCKET}/x", "s3://my-bucket/x"),
            ("$BUCKETx", ""),
            ("${BUCKET}x", "my-bucketx"),
            ("$A_1-", "x-"),
            ("$UNSET/a", "/a"),
            ("${UNSET}", ""),
            // `$$` looks up the variable named "$" (Go: mapping("$")).
            ("a$$b", "adollarb"),
            ("$1", "one"),
            ("$12", "one2"),
            ("${1}", "one"),
            ("$*", "star"),
            ("${*}", "star"),
            ("$-", ""),
            // No `:-` defaults in Go: the whole text up to `}` is the name.
            ("${VAR:-x}", "weird"),
            ("${NOPE:-default}", ""),
            // Bad syntax is eaten.
            ("a${}b", "ab"),
            ("a${b", "ab"),
            // A `$` not followed by a name stays; so does a trailing `$`.
            ("cost: 5$", "cost: 5$"),
            ("a$ b", "a$ b"),
            ("a$/b", "a$/b"),
            ("$", "$"),
            ("$.", "$."),
            ("é$HOME€", "é/home/op€"),
            ("${HOME", "HOME"),
            ("${HO ME}", ""),
        ];
        for (input, want) in cases {
            assert_eq!(expand(input, env), want, "input {input:?}");
        }
    }

    #[test]
    fn records_substitutions_for_position_mapping() {
        let text = "a: $BUCKET\nb: ${HOME}\nc: 1\n";
        let e = expand_tracked(text, env);
        assert_eq!(e.text, "a: my-bucket\nb: /home/op\nc: 1\n");
        assert_eq!(e.substitutions.len(), 2);
        // Literal text before any substitution maps to itself.
        assert_eq!(e.original_offset(0), 0);
        // Inside a replacement maps to the `$`.
        assert_eq!(e.original_offset(5), 3);
        // After the replacements, offsets shift back.
        let c_exp = e.text.find("c:").unwrap();
        let c_orig = text.find("c:").unwrap();
        assert_eq!(e.original_offset(c_exp), c_orig);
        let b_exp = e.text.find("b:").unwrap();
        assert_eq!(e.original_offset(b_exp), text.find("b:").unwrap());
    }

    #[test]
    fn eaten_syntax_still_maps_positions() {
        let text = "x${}y: 1";
        let e = expand_tracked(text, env);
        assert_eq!(e.text, "xy: 1");
        assert_eq!(
            e.original_offset(e.text.find(':').unwrap()),
            text.find(':').unwrap()
        );
    }
}
