//! The YAML configuration: every key of Litestream 0.5's `litestream.yml`, plus ltx-tui's own.
//!
//! A file is found with [`locate`] (the design's lookup order), read with [`load`] (or a text
//! with [`parse_str`]): `$VAR`/`${VAR}` are expanded as Go's `os.Expand` does, the YAML is
//! parsed strictly (unknown keys are errors), Litestream's validation rules and ltx-tui's own are
//! checked, and the result is a resolved [`Config`] with every default filled in. Every error
//! names the file, line and column ([`ConfigError`]). Secrets are [`Secret`]s and print as `***`.
//!
//! ltx-tui's own keys: `mcp-token`, `restore-dirs`, `mcp-servers` and `ui`.

mod keys;

mod addr;
pub mod defaults;
mod duration;
mod error;
mod expand;
mod load;
mod location;
mod lookup;
mod mcp_import;
mod mcp_servers;
mod model;
mod options;
mod paths;
mod raw;
mod replica;
mod replica_url;
mod resolve;
mod secret;
mod sections;
mod size;
mod validate;

pub use addr::{ListenAddr, is_loopback, parse_listen_addr};
pub use duration::{DURATION_EXPECTED, DurationError, GoDuration};
pub use error::ConfigError;
pub use expand::{Expansion, Substitution, expand, expand_tracked};
pub use load::{load, parse_str};
pub use lookup::{
    CONFIG_ENV, Candidate, Located, LookupSource, USER_CONFIG_FILE, WORKING_DIR_FILE, locate,
};
pub use mcp_import::{Import, ImportError, ImportedServer, import_file, import_str};
pub use mcp_servers::{McpServerConfig, Transport};
pub use model::{Config, DbConfig, EnvCredentials};
pub use options::{LoadOptions, SYSTEM_CONFIG};
pub use paths::{absolutize, clean, expand_home, strip_sqlite_prefix};
pub use replica::{AgeConfig, REPLICA_TYPES, ReplicaConfig, ReplicaSettings, ReplicaType};
pub use replica_url::{ReplicaUrl, S3UrlOptions, SCHEMES};
pub use secret::{REDACTED, Secret};
pub use sections::{
    FileMode, LOG_LEVELS, LevelConfig, LogFormat, LoggingConfig, RetentionConfig, SnapshotConfig,
    SnapshotSettings, SocketConfig, UiConfig, ValidationConfig,
};
pub use size::{ByteSize, SIZE_EXPECTED, SizeError};
