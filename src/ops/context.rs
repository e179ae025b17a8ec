//! What every operation runs in: how to find and load the configuration, the credentials
//! environment for replica clients, and — in the console and headless mode — the running
//! engine. One-shot commands build an [`OpsContext`] without an engine; the console and the MCP
//! server hand theirs in with [`OpsContext::with_engine`].
//!
//! Operations take an optional `config` parameter (as Litestream's MCP tools do): a path given
//! there is loaded for that call; otherwise the context's configuration is used.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::{self, Config, LoadOptions};
use crate::engine::{EngineHandle, display_url, replica_spec};
use crate::storage::{ReplicaClient, ReplicaEnv, ReplicaSpec};

use super::OpsError;
use super::preview_cache::PreviewCache;

/// The environment of the operations: configuration, credentials, optional engine.
#[derive(Debug, Clone)]
pub struct OpsContext {
    load: LoadOptions,
    config_path: Option<PathBuf>,
    config: Option<Arc<Config>>,
    env: ReplicaEnv,
    engine: Option<EngineHandle>,
    preview_cache: Option<PreviewCache>,
}

/// A replica to read, and how to name it to people.
#[derive(Debug, Clone)]
pub struct ReplicaTarget {
    /// The client.
    pub client: ReplicaClient,
    /// The replica URL without secrets.
    pub url: String,
    /// The database it replicates, when it was found through the configuration.
    pub db_path: Option<PathBuf>,
}

impl OpsContext {
    /// A context that finds its configuration with `load` (the design's lookup order) and
    /// builds replica clients with credentials falling back to `env`.
    pub fn new(load: LoadOptions, env: ReplicaEnv) -> OpsContext {
        OpsContext {
            load,
            config_path: None,
            config: None,
            env,
            engine: None,
            preview_cache: None,
        }
    }

    /// A context describing the running process (environment, working directory).
    pub fn from_process() -> OpsContext {
        OpsContext::new(LoadOptions::from_process(), ReplicaEnv::from_process())
    }

    /// Uses `path` (e.g. `--config`) as the configuration file instead of the lookup order.
    pub fn with_config_path(mut self, path: Option<PathBuf>) -> OpsContext {
        self.config_path = path;
        self
    }

    /// Uses an already loaded configuration (the console's and the headless server's).
    pub fn with_config(mut self, config: Arc<Config>) -> OpsContext {
        self.config = Some(config);
        self
    }

    /// Adds the running engine, whose live figures `status` then reports.
    pub fn with_engine(mut self, engine: EngineHandle) -> OpsContext {
        self.engine = Some(engine);
        self
    }

    /// Uses `cache` for `preview` (default: [`PreviewCache::default_dir`] with the default
    /// bounds).
    pub fn with_preview_cache(mut self, cache: PreviewCache) -> OpsContext {
        self.preview_cache = Some(cache);
        self
    }

    /// The cache `preview` restores points into.
    pub fn preview_cache(&self) -> PreviewCache {
        self.preview_cache
            .clone()
            .unwrap_or_else(|| PreviewCache::new(PreviewCache::default_dir()))
    }

    /// The running engine, if any.
    pub fn engine(&self) -> Option<&EngineHandle> {
        self.engine.as_ref()
    }

    /// The credentials environment for replica clients.
    pub fn replica_env(&self) -> &ReplicaEnv {
        &self.env
    }

    /// How configurations are loaded (working directory, environment).
    pub fn load_options(&self) -> &LoadOptions {
        &self.load
    }

    /// The configuration for one call: `override_path` if given (loaded now), else the
    /// context's loaded configuration, else the file found by the lookup order.
    pub fn config(&self, override_path: Option<&str>) -> Result<Arc<Config>, OpsError> {
        if let Some(path) = override_path.filter(|p| !p.is_empty()) {
            let path = self.resolve_path(path);
            return Ok(Arc::new(config::load(&path, &self.load)?));
        }
        if let Some(config) = &self.config {
            return Ok(Arc::clone(config));
        }
        let located = config::locate(self.config_path.as_deref(), &self.load)?;
        Ok(Arc::new(config::load(&located.path, &self.load)?))
    }

    /// A path as the user typed it, made absolute against the working directory (`~`
    /// expanded, SQLite `file:` prefixes stripped), the way configured database paths are.
    pub fn resolve_path(&self, path: &str) -> PathBuf {
        let stripped = config::strip_sqlite_prefix(path);
        let expanded = config::expand_home(&stripped, self.load.home.as_deref())
            .unwrap_or_else(|_| PathBuf::from(&stripped));
        config::absolutize(&expanded, &self.load.cwd)
    }

    /// The replica of `path_or_url`: a replica URL is opened directly (no configuration
    /// needed); a database path is looked up in the configuration and its replica opened.
    pub fn replica(
        &self,
        path_or_url: &str,
        config_path: Option<&str>,
    ) -> Result<ReplicaTarget, OpsError> {
        if is_replica_url(path_or_url) {
            let spec = ReplicaSpec::from_url(path_or_url).map_err(|source| {
                OpsError::InvalidReplicaUrl {
                    source: Box::new(source),
                }
            })?;
            let client =
                ReplicaClient::new(&spec, &self.env).map_err(|source| OpsError::Replica {
                    operation: "open replica",
                    replica: redact_url(path_or_url),
                    source: Box::new(source),
                })?;
            return Ok(ReplicaTarget {
                client,
                url: redact_url(path_or_url),
                db_path: None,
            });
        }
        let config = self.config(config_path)?;
        let path = self.resolve_path(path_or_url);
        let db = config
            .db(&path)
            .ok_or_else(|| unknown_database(&path, &config))?;
        let replica = db.replica.as_ref().ok_or_else(|| OpsError::NoReplica {
            path: path.clone(),
            config: config.origin.clone(),
        })?;
        let spec = replica_spec(replica).map_err(|e| OpsError::UnusableReplica {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let url = display_url(replica, &spec);
        let client = ReplicaClient::new(&spec, &self.env).map_err(|source| OpsError::Replica {
            operation: "open replica",
            replica: url.clone(),
            source: Box::new(source),
        })?;
        Ok(ReplicaTarget {
            client,
            url,
            db_path: Some(path),
        })
    }
}

/// Litestream's test for a replica URL: a word, then `://`.
pub fn is_replica_url(text: &str) -> bool {
    text.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

/// The URL without a query string (where credentials such as SAS tokens may sit).
fn redact_url(url: &str) -> String {
    match url.split_once('?') {
        Some((base, _)) => format!("{base}?…"),
        None => url.to_owned(),
    }
}

/// The error for a database path that is not configured.
pub(crate) fn unknown_database(path: &Path, config: &Config) -> OpsError {
    let configured: Vec<String> = config.dbs.iter().map(|d| d.display_name()).collect();
    OpsError::UnknownDatabase {
        path: path.to_path_buf(),
        config: config.origin.clone(),
        configured: if configured.is_empty() {
            "none".to_owned()
        } else {
            configured.join(", ")
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replica_urls_are_told_from_paths_as_litestream_does() {
        assert!(is_replica_url("s3://bucket/db"));
        assert!(is_replica_url("file:///tmp/r"));
        assert!(is_replica_url("foo://x"));
        assert!(!is_replica_url("/data/app.db"));
        assert!(!is_replica_url("file:app.db"));
        assert!(!is_replica_url("://x"));
    }

    #[test]
    fn paths_are_made_absolute_against_the_working_directory() {
        let ctx = OpsContext::new(LoadOptions::new("/work"), ReplicaEnv::empty());
        assert_eq!(ctx.resolve_path("app.db"), PathBuf::from("/work/app.db"));
        assert_eq!(
            ctx.resolve_path("/data//x/../app.db"),
            PathBuf::from("/data/app.db")
        );
    }
}
