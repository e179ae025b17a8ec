//! Where things are in the configuration file: YAML paths, and their line and column.
//!
//! Errors raised by serde while parsing already carry a position. Rules checked after parsing
//! (both `path` and `dir`, two MCP servers with one name, …) know only the YAML path of the
//! offending node, so [`find`] re-reads the text with a probe that walks to that path and fails
//! there: serde_yaml_ng stamps the failure with the node's position, which is exactly what we
//! want. A path that does not exist (a defaulted key) falls back to its nearest ancestor.
//!
//! Positions are found in the expanded text; [`SourceMap`] maps them back to the line and column
//! of the file as written, so `$VAR` expansion never shifts a reported column.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::expand::Expansion;

/// One step of a YAML path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// A mapping key.
    Key(String),
    /// A sequence index (0-based).
    Index(usize),
}

/// A path to a node, displayed like serde_yaml_ng's paths: `dbs[0].replica.sync-interval`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct YamlPath(pub Vec<Segment>);

impl YamlPath {
    /// The root of the document.
    pub fn root() -> Self {
        YamlPath(Vec::new())
    }

    /// This path extended by a mapping key.
    pub fn key(&self, key: &str) -> Self {
        let mut v = self.0.clone();
        v.push(Segment::Key(key.to_owned()));
        YamlPath(v)
    }

    /// This path extended by a sequence index.
    pub fn index(&self, index: usize) -> Self {
        let mut v = self.0.clone();
        v.push(Segment::Index(index));
        YamlPath(v)
    }

    /// Parses a displayed path (`dbs[0].replica`) back; `.` or "" is the root.
    pub fn parse(text: &str) -> Self {
        let mut segs = Vec::new();
        if text == "." {
            return YamlPath(segs);
        }
        for part in text.split('.').filter(|p| !p.is_empty()) {
            let (key, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
            if !key.is_empty() {
                segs.push(Segment::Key(key.to_owned()));
            }
            while let Some(inner) = rest.strip_prefix('[') {
                let Some((n, after)) = inner.split_once(']') else {
                    break;
                };
                match n.parse() {
                    Ok(i) => segs.push(Segment::Index(i)),
                    Err(_) => break,
                }
                rest = after;
            }
        }
        YamlPath(segs)
    }
}

impl fmt::Display for YamlPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Segment::Key(k) if i == 0 => f.write_str(k)?,
                Segment::Key(k) => write!(f, ".{k}")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Which part of a mapping entry a position refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The key itself (`dir` in `dir: /data`).
    Key,
    /// The value (or, for a mapping or sequence, its first entry).
    Value,
}

/// The marker message the probe fails with; never shown to users.
const PROBE: &str = "ltx-tui location probe";

/// The byte offset, in `text`, of the node at `path` (or of its nearest existing ancestor).
pub fn find(text: &str, path: &YamlPath, target: Target) -> Option<usize> {
    let probe = Probe {
        path: &path.0,
        target,
    };
    let de = serde_yaml_ng::Deserializer::from_str(text);
    let err = match probe.deserialize(de) {
        Ok(()) => return None,
        Err(err) => err,
    };
    err.location().map(|loc| loc.index())
}

/// Walks `path` and fails at its end.
struct Probe<'a> {
    path: &'a [Segment],
    target: Target,
}

impl<'de> DeserializeSeed<'de> for Probe<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        match self.path.first() {
            None => d.deserialize_any(FailHere),
            Some(Segment::Key(_)) => d.deserialize_map(self),
            Some(Segment::Index(_)) => d.deserialize_seq(self),
        }
    }
}

impl<'de> Visitor<'de> for Probe<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any node")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some(Segment::Key(want)) = self.path.first() else {
            return Err(de::Error::custom(PROBE));
        };
        let at_end = self.path.len() == 1;
        while let Some(found) = map.next_key_seed(KeyProbe {
            want,
            fail: at_end && self.target == Target::Key,
        })? {
            if found {
                return map.next_value_seed(Probe {
                    path: &self.path[1..],
                    target: self.target,
                });
            }
            map.next_value::<IgnoredAny>()?;
        }
        Err(de::Error::custom(PROBE))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Some(Segment::Index(want)) = self.path.first() else {
            return Err(de::Error::custom(PROBE));
        };
        for _ in 0..*want {
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Err(de::Error::custom(PROBE));
            }
        }
        match seq.next_element_seed(Probe {
            path: &self.path[1..],
            target: self.target,
        })? {
            Some(()) => Ok(()),
            None => Err(de::Error::custom(PROBE)),
        }
    }
}

/// Reads one key; reports whether it is the wanted one, failing on it when asked to.
struct KeyProbe<'a> {
    want: &'a str,
    fail: bool,
}

impl<'de> DeserializeSeed<'de> for KeyProbe<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeyProbe<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        if v == self.want && self.fail {
            return Err(E::custom(PROBE));
        }
        Ok(v == self.want)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(false)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(false)
    }
}

/// Fails on whatever node it is given, so the error carries that node's position.
struct FailHere;

impl<'de> Visitor<'de> for FailHere {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any node")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(E::custom(PROBE))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(E::custom(PROBE))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(E::custom(PROBE))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(E::custom(PROBE))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(E::custom(PROBE))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(PROBE))
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Err(E::custom(PROBE))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(PROBE))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(de::Error::custom(PROBE))
    }
}

/// Maps byte offsets in the parsed (expanded) text to 1-based lines and columns of the file.
pub struct SourceMap<'a> {
    /// The file text as written (after removing a byte-order mark).
    original: &'a str,
    /// The expansion that produced the parsed text.
    expansion: &'a Expansion,
}

impl<'a> SourceMap<'a> {
    /// A map from `expansion.text` back to `original`.
    pub fn new(original: &'a str, expansion: &'a Expansion) -> Self {
        SourceMap {
            original,
            expansion,
        }
    }

    /// The parsed text.
    pub fn parsed(&self) -> &str {
        &self.expansion.text
    }

    /// Line and column (1-based; the column counts characters) in the original file.
    pub fn line_col(&self, parsed_offset: usize) -> (usize, usize) {
        let offset = self.expansion.original_offset(parsed_offset);
        line_col_of(self.original, offset)
    }

    /// The character of the original file at a parsed offset, if any.
    pub fn char_at(&self, parsed_offset: usize) -> Option<char> {
        let offset = self.expansion.original_offset(parsed_offset);
        self.original.get(offset..).and_then(|s| s.chars().next())
    }

    /// The parsed-text offset of a 1-based line and character column of the parsed text.
    pub fn parsed_offset_of(&self, line: usize, column: usize) -> Option<usize> {
        let text = self.parsed();
        let mut line_start = 0;
        for _ in 1..line {
            line_start += text.get(line_start..)?.find('\n')? + 1;
        }
        let rest = text.get(line_start..)?;
        let col_bytes = rest
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i);
        Some(line_start + col_bytes)
    }
}

/// 1-based line and character column of a byte offset (clamped to the text).
pub fn line_col_of(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const DOC: &str = "\
addr: \":9090\"
dbs:
  - path: /a.db
    replica:
      url: s3://b/a
      sync-interval: 0s
  - path: /b.db
    dir: /x
";

    fn at(path: &YamlPath, target: Target) -> (usize, usize) {
        line_col_of(DOC, find(DOC, path, target).unwrap())
    }

    #[test]
    fn finds_values_and_keys() {
        let db1 = YamlPath::root().key("dbs").index(1);
        assert_eq!(at(&db1.key("dir"), Target::Key), (8, 5));
        assert_eq!(at(&db1.key("dir"), Target::Value), (8, 10));
        let si = YamlPath::root()
            .key("dbs")
            .index(0)
            .key("replica")
            .key("sync-interval");
        assert_eq!(at(&si, Target::Value), (6, 22));
        assert_eq!(si.to_string(), "dbs[0].replica.sync-interval");
        assert_eq!(at(&YamlPath::root().key("addr"), Target::Value), (1, 7));
    }

    #[test]
    fn missing_nodes_fall_back_to_the_nearest_ancestor() {
        let db0 = YamlPath::root().key("dbs").index(0);
        // `replica.path` does not exist: the replica mapping starts at line 5, column 7.
        assert_eq!(at(&db0.key("replica").key("path"), Target::Key), (5, 7));
        // The whole db entry: its first key.
        assert_eq!(at(&db0, Target::Value), (3, 5));
        // Index past the end: the sequence itself.
        assert_eq!(
            at(&YamlPath::root().key("dbs").index(7), Target::Value),
            (3, 3)
        );
    }

    #[test]
    fn paths_parse_back_from_their_display() {
        let p = YamlPath::root()
            .key("dbs")
            .index(3)
            .key("replica")
            .key("url");
        assert_eq!(YamlPath::parse(&p.to_string()), p);
        assert_eq!(YamlPath::parse("."), YamlPath::root());
        assert_eq!(YamlPath::parse(""), YamlPath::root());
        let p = YamlPath::root().key("levels").index(1).index(2);
        assert_eq!(YamlPath::parse("levels[1][2]"), p);
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col_of("ab\ncé d", 7), (2, 4));
        assert_eq!(line_col_of("x", 99), (1, 2));
    }
}
