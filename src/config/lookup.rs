//! Which configuration file to use: the lookup order of the design.
//!
//! In order: the file given on the command line (`--config FILE` or a positional `FILE`),
//! `$LTX_TUI_CONFIG`, `./ltx-tui.yml` in the working directory, `config.yml` in the user config
//! directory (`ProjectDirs::from("", "", "ltx-tui")`, e.g. `~/.config/ltx-tui/config.yml`), then
//! Litestream's `/etc/litestream.yml`. A file named explicitly (flag or variable) must exist: it
//! is an error rather than a silent fall-through. [`locate`] says which step chose the file, or
//! lists everything it tried.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use super::error::ConfigError;
use super::options::LoadOptions;
use super::paths;

/// The environment variable naming the configuration file.
pub const CONFIG_ENV: &str = "LTX_TUI_CONFIG";

/// The file name looked for in the working directory.
pub const WORKING_DIR_FILE: &str = "ltx-tui.yml";

/// The file name looked for in the user config directory.
pub const USER_CONFIG_FILE: &str = "config.yml";

/// The lookup step that produced a candidate path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LookupSource {
    /// Given on the command line (`--config FILE` or `config check FILE`).
    CommandLine,
    /// Named by `$LTX_TUI_CONFIG`.
    EnvVar,
    /// `ltx-tui.yml` in the working directory.
    WorkingDir,
    /// `config.yml` in the user config directory.
    UserConfigDir,
    /// Litestream's system-wide default file.
    SystemLitestream,
}

impl fmt::Display for LookupSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LookupSource::CommandLine => "given on the command line",
            LookupSource::EnvVar => "named by $LTX_TUI_CONFIG",
            LookupSource::WorkingDir => "ltx-tui.yml in the working directory",
            LookupSource::UserConfigDir => "the user config directory",
            LookupSource::SystemLitestream => "Litestream's system-wide default",
        })
    }
}

/// A place where a configuration file was looked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The path looked at.
    pub path: PathBuf,
    /// Why it was looked at.
    pub source: LookupSource,
}

/// The configuration file chosen, and the lookup step that chose it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// The file to load.
    pub path: PathBuf,
    /// The step that chose it.
    pub source: LookupSource,
    /// Places tried before it (empty when the first candidate was used).
    pub skipped: Vec<Candidate>,
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.path.display(), self.source)
    }
}

/// Finds the configuration file following the lookup order.
///
/// `explicit` is the file given on the command line. Paths are `~`-expanded and made absolute
/// against `opts.cwd`.
pub fn locate(explicit: Option<&Path>, opts: &LoadOptions) -> Result<Located, ConfigError> {
    let resolve = |p: &Path| -> PathBuf {
        let text = p.to_string_lossy();
        let expanded = paths::expand_home(&text, opts.home.as_deref()).unwrap_or_else(|_| p.into());
        paths::absolutize(&expanded, &opts.cwd)
    };
    let must_exist = |path: PathBuf, source| {
        if path.is_file() {
            Ok(Located {
                path,
                source,
                skipped: Vec::new(),
            })
        } else if path.exists() {
            Err(ConfigError::Read {
                file: path,
                source: io::Error::other("not a regular file"),
            })
        } else {
            Err(ConfigError::NotFound {
                tried: vec![Candidate { path, source }],
            })
        }
    };
    if let Some(p) = explicit {
        return must_exist(resolve(p), LookupSource::CommandLine);
    }
    if let Some(v) = opts.var(CONFIG_ENV) {
        return must_exist(resolve(Path::new(v)), LookupSource::EnvVar);
    }
    let mut tried = vec![Candidate {
        path: opts.cwd.join(WORKING_DIR_FILE),
        source: LookupSource::WorkingDir,
    }];
    if let Some(dir) = &opts.user_config_dir {
        tried.push(Candidate {
            path: dir.join(USER_CONFIG_FILE),
            source: LookupSource::UserConfigDir,
        });
    }
    tried.push(Candidate {
        path: opts.system_config.clone(),
        source: LookupSource::SystemLitestream,
    });
    for (i, c) in tried.iter().enumerate() {
        if c.path.is_file() {
            return Ok(Located {
                path: c.path.clone(),
                source: c.source,
                skipped: tried[..i].to_vec(),
            });
        }
    }
    Err(ConfigError::NotFound { tried })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    struct Fixture {
        _dir: tempfile::TempDir,
        opts: LoadOptions,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for d in ["cwd", "user", "etc", "home"] {
            std::fs::create_dir(root.join(d)).unwrap();
        }
        let mut opts = LoadOptions::new(root.join("cwd"));
        opts.user_config_dir = Some(root.join("user"));
        opts.system_config = root.join("etc/litestream.yml");
        opts.home = Some(root.join("home"));
        Fixture { _dir: dir, opts }
    }

    fn touch(p: &Path) {
        std::fs::write(p, "dbs: []\n").unwrap();
    }

    #[test]
    fn follows_the_lookup_order() {
        let mut f = fixture();
        let err = locate(None, &f.opts).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("no configuration file found; tried "),
            "{text}"
        );
        assert!(
            text.contains("ltx-tui.yml (ltx-tui.yml in the working directory)"),
            "{text}"
        );
        assert!(
            text.contains("config.yml (the user config directory)"),
            "{text}"
        );
        assert!(
            text.contains("litestream.yml (Litestream's system-wide default)"),
            "{text}"
        );

        let system = f.opts.system_config.clone();
        touch(&system);
        let found = locate(None, &f.opts).unwrap();
        assert_eq!(
            (found.path.clone(), found.source),
            (system, LookupSource::SystemLitestream)
        );
        assert_eq!(found.skipped.len(), 2);

        let user = f.opts.user_config_dir.clone().unwrap().join("config.yml");
        touch(&user);
        assert_eq!(
            locate(None, &f.opts).unwrap().source,
            LookupSource::UserConfigDir
        );

        let local = f.opts.cwd.join("ltx-tui.yml");
        touch(&local);
        let found = locate(None, &f.opts).unwrap();
        assert_eq!(
            (found.path, found.source),
            (local, LookupSource::WorkingDir)
        );

        let named = f.opts.cwd.join("named.yml");
        touch(&named);
        f.opts.env.insert(CONFIG_ENV.into(), "named.yml".into());
        let found = locate(None, &f.opts).unwrap();
        assert_eq!((found.path, found.source), (named, LookupSource::EnvVar));

        let explicit = f.opts.home.clone().unwrap().join("x.yml");
        touch(&explicit);
        let found = locate(Some(Path::new("~/x.yml")), &f.opts).unwrap();
        assert_eq!(
            (found.path, found.source),
            (explicit, LookupSource::CommandLine)
        );
    }

    #[test]
    fn explicit_files_must_exist() {
        let mut f = fixture();
        touch(&f.opts.cwd.join("ltx-tui.yml"));
        let err = locate(Some(Path::new("missing.yml")), &f.opts).unwrap_err();
        assert!(
            err.to_string()
                .contains("missing.yml (given on the command line)"),
            "{err}"
        );
        f.opts
            .env
            .insert(CONFIG_ENV.into(), "/nowhere/c.yml".into());
        let err = locate(None, &f.opts).unwrap_err();
        assert!(
            err.to_string()
                .contains("/nowhere/c.yml (named by $LTX_TUI_CONFIG)"),
            "{err}"
        );
        // An empty variable counts as unset.
        f.opts.env.insert(CONFIG_ENV.into(), String::new());
        assert_eq!(
            locate(None, &f.opts).unwrap().source,
            LookupSource::WorkingDir
        );
        // A directory is not a configuration file.
        let err = locate(Some(&f.opts.cwd.clone()), &f.opts).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }
}
