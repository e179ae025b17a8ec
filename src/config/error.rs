//! The configuration room's error type: every problem names the file, line and column.
//!
//! [`ConfigError`] is what `load`, `parse_str` and `locate` return. Problems inside the file
//! display as `FILE:LINE:COLUMN: PATH: MESSAGE`, where `PATH` is the YAML path of the offending
//! node (`dbs[0].replica.sync-interval`) and `MESSAGE` says what was found and what was expected.
//! Lines and columns are 1-based and refer to the file as written, before `$VAR` expansion.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use super::lookup::Candidate;

/// Everything that can go wrong while finding, reading or understanding a configuration file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The text is not well-formed YAML (bad indentation, a tab, an unclosed quote, …).
    #[error("{}:{line}:{column}: {message}", file.display())]
    Syntax {
        /// The configuration file.
        file: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column (in characters) of the problem.
        column: usize,
        /// What the YAML parser found, and a hint where one helps.
        message: String,
    },
    /// The YAML is well-formed but a key or value is wrong: unknown key, wrong type, bad
    /// duration, or a rule such as "`path` and `dir` are exclusive".
    #[error("{}:{line}:{column}: {}{message}", file.display(), PathPrefix(path))]
    Invalid {
        /// The configuration file.
        file: PathBuf,
        /// 1-based line of the offending key or value.
        line: usize,
        /// 1-based column (in characters) of the offending key or value.
        column: usize,
        /// YAML path of the offending node, like `dbs[0].replica.url` (empty for the root).
        path: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// The file could not be read.
    #[error("{}: cannot read the configuration file: {source}", file.display())]
    Read {
        /// The configuration file.
        file: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// No configuration file exists at any place that was looked at.
    #[error("no configuration file found; tried {}", Tried(tried))]
    NotFound {
        /// Every place looked at, in lookup order, with the reason it was considered.
        tried: Vec<Candidate>,
    },
}

impl ConfigError {
    /// The configuration file the error is about, if it is about one.
    pub fn file(&self) -> Option<&Path> {
        match self {
            ConfigError::Syntax { file, .. }
            | ConfigError::Invalid { file, .. }
            | ConfigError::Read { file, .. } => Some(file),
            ConfigError::NotFound { .. } => None,
        }
    }

    /// The 1-based line and column of the problem, for errors inside the file.
    pub fn line_column(&self) -> Option<(usize, usize)> {
        match self {
            ConfigError::Syntax { line, column, .. }
            | ConfigError::Invalid { line, column, .. } => Some((*line, *column)),
            ConfigError::Read { .. } | ConfigError::NotFound { .. } => None,
        }
    }
}

/// Displays `PATH: ` or nothing for the root path.
struct PathPrefix<'a>(&'a str);

impl fmt::Display for PathPrefix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() || self.0 == "." {
            Ok(())
        } else {
            write!(f, "{}: ", self.0)
        }
    }
}

/// Displays the list of places looked at.
struct Tried<'a>(&'a [Candidate]);

impl fmt::Display for Tried<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("nothing (no candidate locations are known)");
        }
        for (i, c) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{} ({})", c.path.display(), c.source)?;
        }
        Ok(())
    }
}
