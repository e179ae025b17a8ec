//! Where a restore may write: the caller's policy, given on every call of
//! [`restore`](super::restore).
//!
//! The command line restores anywhere the user can write ([`RestoreScope::Cli`]). The MCP
//! server passes [`RestoreScope::Restricted`] with the `restore-dirs` of *its own*
//! configuration (never a configuration named in the call's parameters): the output, with every
//! symlink followed and every `..` resolved, must then lie strictly under one of those
//! directories (each also resolved), and the restore writes to that resolved path, so what was
//! checked is what is written. An empty list refuses every restore.
//!
//! The resolution walks the path one component at a time from the root: each existing prefix
//! is canonicalised (following a symlink wherever it points), `..` steps back from the resolved
//! prefix (so `link/..` is the symlink's target's parent, as the kernel sees it), and a missing
//! component is kept as written. A dangling symlink is refused: where it leads cannot be
//! checked. A race that swaps a directory for a symlink between the check and the write is
//! not defended against (the caller's directories are assumed not to be writable by the
//! requester's adversary).

use std::io;
use std::path::{Component, Path, PathBuf};

use super::OpsError;

/// Who is restoring, and so where the output may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreScope<'a> {
    /// A person at the command line or the console: any path (the restore guard still
    /// applies).
    Cli,
    /// A remote caller (MCP): only under one of these directories (`restore-dirs`).
    Restricted(&'a [PathBuf]),
}

/// Resolves `path` (absolute) as the kernel would, following symlinks and `..`; components
/// that do not exist yet are kept as written.
pub fn resolve_following_links(path: &Path) -> io::Result<PathBuf> {
    if !path.is_absolute() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path must be absolute",
        ));
    }
    let mut resolved = PathBuf::from("/");
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir | Component::CurDir => {}
            Component::ParentDir => {
                // `resolved` is canonical (or canonical plus missing names), so stepping back
                // is exact; `/..` stays `/`.
                resolved.pop();
            }
            Component::Normal(name) => {
                resolved.push(name);
                match std::fs::canonicalize(&resolved) {
                    Ok(real) => resolved = real,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        if resolved.symlink_metadata().is_ok() {
                            return Err(io::Error::new(
                                io::ErrorKind::InvalidInput,
                                format!("{} is a symlink to a missing target", resolved.display()),
                            ));
                        }
                    }
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Ok(resolved)
}

impl RestoreScope<'_> {
    /// The path a restore to `output` (absolute, as the user gave it) writes: `output` itself
    /// for [`RestoreScope::Cli`]; for [`RestoreScope::Restricted`] its resolved form, which
    /// must lie strictly under a resolved allowed directory.
    pub fn check_output(&self, output: &Path) -> Result<PathBuf, OpsError> {
        let dirs = match self {
            RestoreScope::Cli => return Ok(output.to_path_buf()),
            RestoreScope::Restricted(dirs) => dirs,
        };
        let listed = || {
            if dirs.is_empty() {
                "none: set restore-dirs in the configuration to allow restores".to_owned()
            } else {
                dirs.iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let resolved =
            resolve_following_links(output).map_err(|e| OpsError::OutsideRestoreDirs {
                path: output.to_path_buf(),
                resolved: None,
                allowed: listed(),
                problem: e.to_string(),
            })?;
        let inside = dirs.iter().any(|dir| {
            // A configured directory that does not exist allows nothing.
            std::fs::canonicalize(dir)
                .is_ok_and(|dir| resolved != dir && resolved.starts_with(&dir))
        });
        if inside {
            Ok(resolved)
        } else {
            Err(OpsError::OutsideRestoreDirs {
                path: output.to_path_buf(),
                resolved: Some(resolved),
                allowed: listed(),
                problem: "it is not under a restore directory".to_owned(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    struct Tree {
        _dir: tempfile::TempDir,
        root: PathBuf,
        allowed: PathBuf,
        outside: PathBuf,
    }

    /// `<root>/allowed/{sub/, in-link -> sub, out-link -> ../outside, dangling -> nowhere}`,
    /// `<root>/outside/`, `<root>/allowed-not/`.
    fn tree() -> Tree {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let allowed = root.join("allowed");
        let outside = root.join("outside");
        std::fs::create_dir_all(allowed.join("sub")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::create_dir_all(root.join("allowed-not")).unwrap();
        symlink(allowed.join("sub"), allowed.join("in-link")).unwrap();
        symlink(&outside, allowed.join("out-link")).unwrap();
        symlink(root.join("nowhere"), allowed.join("dangling")).unwrap();
        Tree {
            _dir: dir,
            root,
            allowed,
            outside,
        }
    }

    fn check(t: &Tree, path: &Path) -> Result<PathBuf, OpsError> {
        let dirs = [t.allowed.clone()];
        RestoreScope::Restricted(&dirs).check_output(path)
    }

    #[test]
    fn paths_under_a_restore_dir_are_allowed_and_resolved() {
        let t = tree();
        let a = &t.allowed;
        assert_eq!(check(&t, &a.join("x.db")).unwrap(), a.join("x.db"));
        assert_eq!(
            check(&t, &a.join("new/deeper/x.db")).unwrap(),
            a.join("new/deeper/x.db")
        );
        assert_eq!(
            check(&t, &a.join("in-link/x.db")).unwrap(),
            a.join("sub/x.db")
        );
        assert_eq!(
            check(&t, &a.join("sub/../x.db")).unwrap(),
            a.join("x.db"),
            "a `..` that stays inside is fine"
        );
        assert_eq!(
            check(&t, &a.join("new/../x.db")).unwrap(),
            a.join("x.db"),
            "`..` after a missing directory"
        );
    }

    #[test]
    fn dot_dot_escapes_are_refused() {
        let t = tree();
        for path in [
            t.allowed.join("../outside/x.db"),
            t.allowed.join("sub/../../outside/x.db"),
            t.allowed.join("new/../../outside/x.db"),
            t.allowed.join("../allowed-not/x.db"),
            t.allowed.join("../../../../../../etc/passwd"),
        ] {
            let err = check(&t, &path).unwrap_err();
            assert!(
                matches!(err, OpsError::OutsideRestoreDirs { .. }),
                "{}: {err}",
                path.display()
            );
        }
    }

    #[test]
    fn symlink_escapes_are_refused() {
        let t = tree();
        // Through a symlinked directory.
        let err = check(&t, &t.allowed.join("out-link/x.db")).unwrap_err();
        assert!(err.to_string().contains("not under"), "{err}");
        // `..` after a symlink goes to the parent of its target, as the kernel does:
        // out-link/.. is <root>, not <root>/allowed.
        assert!(check(&t, &t.allowed.join("out-link/../allowed/x.db")).is_ok());
        assert!(check(&t, &t.allowed.join("out-link/../outside/x.db")).is_err());
        // `..` after a missing directory that then walks into a symlink is still followed.
        assert!(check(&t, &t.allowed.join("new/../out-link/x.db")).is_err());
        // The output itself a symlink to a file outside.
        std::fs::write(t.outside.join("victim.db"), b"x").unwrap();
        symlink(t.outside.join("victim.db"), t.allowed.join("file-link.db")).unwrap();
        assert!(check(&t, &t.allowed.join("file-link.db")).is_err());
        // A dangling symlink cannot be checked.
        let err = check(&t, &t.allowed.join("dangling")).unwrap_err();
        assert!(err.to_string().contains("missing target"), "{err}");
    }

    #[test]
    fn the_restore_dir_itself_and_siblings_by_prefix_are_refused() {
        let t = tree();
        assert!(check(&t, &t.allowed).is_err());
        assert!(check(&t, &t.root.join("allowed-not/x.db")).is_err());
    }

    #[test]
    fn a_restore_dir_reached_through_a_symlink_is_resolved_too() {
        let t = tree();
        let link = t.root.join("allowed-link");
        symlink(&t.allowed, &link).unwrap();
        let dirs = [link.clone()];
        let scope = RestoreScope::Restricted(&dirs);
        assert_eq!(
            scope.check_output(&t.allowed.join("x.db")).unwrap(),
            t.allowed.join("x.db")
        );
        assert_eq!(
            scope.check_output(&link.join("x.db")).unwrap(),
            t.allowed.join("x.db")
        );
    }

    #[test]
    fn no_restore_dirs_refuses_everything_and_cli_allows_anything() {
        let t = tree();
        let err = RestoreScope::Restricted(&[])
            .check_output(&t.allowed.join("x.db"))
            .unwrap_err();
        assert!(err.to_string().contains("restore-dirs"), "{err}");
        let anywhere = t.outside.join("../x.db");
        assert_eq!(RestoreScope::Cli.check_output(&anywhere).unwrap(), anywhere);
        assert!(
            resolve_following_links(Path::new("relative")).is_err(),
            "relative paths are refused"
        );
    }
}
