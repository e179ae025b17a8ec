//! The outside world a configuration is read in: environment, working directory, home.
//!
//! Loading depends on the environment (`$VAR` expansion, `LOG_LEVEL`, `LTX_TUI_CONFIG`,
//! `LITESTREAM_ACCESS_KEY_ID`), the working directory (relative paths), the home directory (`~`)
//! and the user config directory (lookup). [`LoadOptions`] carries all of them explicitly so that
//! tests never read or change the process environment; [`LoadOptions::from_process`] fills them
//! from the running process.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// The default system-wide Litestream configuration file, the last lookup step.
pub const SYSTEM_CONFIG: &str = "/etc/litestream.yml";

/// Everything loading a configuration needs from the outside world.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Expand `$VAR` and `${VAR}` in the file text before parsing (`--no-expand-env` clears it).
    pub expand_env: bool,
    /// The environment variables used for expansion and for the variables ltx-tui reads.
    pub env: BTreeMap<String, String>,
    /// The working directory relative paths are made absolute against.
    pub cwd: PathBuf,
    /// The home directory `~` expands to, if known.
    pub home: Option<PathBuf>,
    /// The per-user configuration directory (`…/ltx-tui`), if known.
    pub user_config_dir: Option<PathBuf>,
    /// The system-wide Litestream file tried last (normally [`SYSTEM_CONFIG`]).
    pub system_config: PathBuf,
    /// The value `$PID` expands to (Litestream expands it to the process id).
    pub pid: u32,
}

impl LoadOptions {
    /// Options with expansion on, an empty environment, and the given working directory.
    ///
    /// Only the process id is read from the process; home and user config directory are unknown.
    pub fn new(cwd: impl Into<PathBuf>) -> Self {
        LoadOptions {
            expand_env: true,
            env: BTreeMap::new(),
            cwd: cwd.into(),
            home: None,
            user_config_dir: None,
            system_config: PathBuf::from(SYSTEM_CONFIG),
            pid: std::process::id(),
        }
    }

    /// Options describing the running process: its environment, working directory, home and
    /// user config directory (from the `directories` crate).
    pub fn from_process() -> Self {
        let env: BTreeMap<String, String> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        // Without a working directory relative paths cannot be resolved; "/" keeps them absolute
        // and visible rather than failing every load.
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        let home = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
        let user_config_dir =
            directories::ProjectDirs::from("", "", "ltx-tui").map(|d| d.config_dir().to_path_buf());
        LoadOptions {
            expand_env: true,
            env,
            cwd,
            home,
            user_config_dir,
            system_config: PathBuf::from(SYSTEM_CONFIG),
            pid: std::process::id(),
        }
    }

    /// The value of an environment variable, treating an empty value as unset.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.env
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// What `$name` expands to: the environment value, the pid for `PID`, or "".
    pub fn expand_var(&self, name: &str) -> String {
        if name == "PID" {
            return self.pid.to_string();
        }
        self.env.get(name).cloned().unwrap_or_default()
    }
}
