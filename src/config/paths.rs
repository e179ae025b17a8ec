//! Path normalisation for configured files and directories, as Litestream's `expand`.
//!
//! Litestream strips SQLite connection-string prefixes from database paths, replaces a leading
//! `~` or `~/` with the home directory, and makes relative paths absolute against the process's
//! working directory (Go's `filepath.Abs`, a purely lexical clean — not against the
//! configuration file's directory). ltx-tui additionally accepts a SQLite `file:` URI
//! (`file:/data/app.db?mode=rwc`), keeping only its path. Home and working directory are passed
//! in so the rules are testable.

use std::path::{Component, Path, PathBuf};

/// Strips `sqlite://`, `sqlite3://` and SQLite `file:` URI syntax from a database path.
///
/// A `file:` URI loses its query (`?mode=…`) and fragment, an empty or `localhost` authority
/// (`file:///x`, `file://localhost/x`), and has its `%XX` escapes decoded.
pub fn strip_sqlite_prefix(s: &str) -> String {
    for prefix in ["sqlite3://", "sqlite://"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            return rest.to_owned();
        }
    }
    let Some(rest) = s.strip_prefix("file:") else {
        return s.to_owned();
    };
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let rest = if let Some(after) = rest.strip_prefix("//") {
        // `file://authority/path`: only an empty or localhost authority is meaningful.
        let slash = after.find('/').unwrap_or(after.len());
        &after[slash..]
    } else {
        rest
    };
    percent_decode(rest)
}

/// Decodes `%XX` escapes; malformed escapes are kept as written.
pub(crate) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of one hexadecimal digit.
fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Replaces a leading `~` or `~/` with `home`; other paths (including `~user`) are unchanged.
pub fn expand_home(path: &str, home: Option<&Path>) -> Result<PathBuf, String> {
    if path != "~" && !path.starts_with("~/") {
        return Ok(PathBuf::from(path));
    }
    let home = home.ok_or_else(|| {
        format!(
            "cannot expand {path:?}: no home directory is known (set HOME or write the full path)"
        )
    })?;
    if path == "~" {
        Ok(home.to_path_buf())
    } else {
        Ok(home.join(&path[2..]))
    }
}

/// Go's `filepath.Abs` on Unix: join a relative path to `cwd`, then clean it lexically.
pub fn absolutize(path: &Path, cwd: &Path) -> PathBuf {
    if path.is_absolute() {
        clean(path)
    } else {
        clean(&cwd.join(path))
    }
}

/// Go's `filepath.Clean`: removes `.` and resolves `..` lexically (never above the root).
pub fn clean(path: &Path) -> PathBuf {
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

/// Normalises a path from the configuration: `~` expansion, then made absolute against `cwd`.
pub fn resolve_path(path: &str, home: Option<&Path>, cwd: &Path) -> Result<PathBuf, String> {
    Ok(absolutize(&expand_home(path, home)?, cwd))
}

/// Normalises a database path: SQLite prefixes stripped, `~` expanded, made absolute.
pub fn resolve_db_path(path: &str, home: Option<&Path>, cwd: &Path) -> Result<PathBuf, String> {
    resolve_path(&strip_sqlite_prefix(path), home, cwd)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn strips_sqlite_prefixes() {
        assert_eq!(strip_sqlite_prefix("/data/app.db"), "/data/app.db");
        assert_eq!(strip_sqlite_prefix("sqlite:///data/app.db"), "/data/app.db");
        assert_eq!(strip_sqlite_prefix("sqlite3://data/app.db"), "data/app.db");
        assert_eq!(strip_sqlite_prefix("file:/data/app.db"), "/data/app.db");
        assert_eq!(
            strip_sqlite_prefix("file:app.db?mode=rwc&cache=shared"),
            "app.db"
        );
        assert_eq!(strip_sqlite_prefix("file:///data/app.db"), "/data/app.db");
        assert_eq!(
            strip_sqlite_prefix("file://localhost/data/app.db"),
            "/data/app.db"
        );
        assert_eq!(
            strip_sqlite_prefix("file:/data/my%20app.db"),
            "/data/my app.db"
        );
        assert_eq!(strip_sqlite_prefix("file:/data/100%"), "/data/100%");
    }

    #[test]
    fn expands_home_only_for_tilde_slash() {
        let home = Path::new("/home/op");
        assert_eq!(
            expand_home("~", Some(home)).unwrap(),
            PathBuf::from("/home/op")
        );
        assert_eq!(
            expand_home("~/db/app.db", Some(home)).unwrap(),
            PathBuf::from("/home/op/db/app.db")
        );
        assert_eq!(
            expand_home("~bob/x", Some(home)).unwrap(),
            PathBuf::from("~bob/x")
        );
        assert_eq!(
            expand_home("/a/~/b", Some(home)).unwrap(),
            PathBuf::from("/a/~/b")
        );
        assert!(
            expand_home("~/x", None)
                .unwrap_err()
                .contains("no home directory")
        );
    }

    #[test]
    fn absolutizes_against_cwd_like_filepath_abs() {
        let cwd = Path::new("/srv/app");
        assert_eq!(
            absolutize(Path::new("data/app.db"), cwd),
            PathBuf::from("/srv/app/data/app.db")
        );
        assert_eq!(
            absolutize(Path::new("./app.db"), cwd),
            PathBuf::from("/srv/app/app.db")
        );
        assert_eq!(
            absolutize(Path::new("../x.db"), cwd),
            PathBuf::from("/srv/x.db")
        );
        assert_eq!(
            absolutize(Path::new("/a/./b/../c"), cwd),
            PathBuf::from("/a/c")
        );
        assert_eq!(absolutize(Path::new("/../../x"), cwd), PathBuf::from("/x"));
        assert_eq!(absolutize(Path::new("."), cwd), PathBuf::from("/srv/app"));
    }

    #[test]
    fn resolves_db_paths() {
        let home = Path::new("/home/op");
        let cwd = Path::new("/srv");
        assert_eq!(
            resolve_db_path("file:~/app.db?mode=rw", Some(home), cwd).unwrap(),
            PathBuf::from("/home/op/app.db")
        );
        assert_eq!(
            resolve_db_path("sqlite://app.db", Some(home), cwd).unwrap(),
            PathBuf::from("/srv/app.db")
        );
    }
}
