//! A running session: the engine, the operations context over the same configuration, the
//! replica clients the console keeps (one per database, so a timeline load reuses its HTTP
//! client), the client hub of attached MCP servers, and the demo workload when there is one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::config::Config;
use tokio_util::sync::CancellationToken;

use crate::engine::{Engine, EngineHandle};
use crate::mcp::hub::{HubHandle, HubOptions};
use crate::ops::{OpsContext, ReplicaTarget};
use crate::storage::ReplicaEnv;

use super::demo::Workload;

/// The engine and everything the console reaches the world through.
#[derive(Debug)]
pub struct Session {
    /// The engine.
    pub engine: EngineHandle,
    /// The operations surface, with the engine and the configuration.
    pub ops: OpsContext,
    /// The configuration.
    pub config: Arc<Config>,
    /// The client hub of the attached MCP servers (`mcp-servers`), if any are configured.
    pub hub: Option<HubHandle>,
    /// Cancels the MCP tool call in flight.
    pub mcp_call: Mutex<Option<CancellationToken>>,
    replicas: Mutex<HashMap<PathBuf, ReplicaTarget>>,
    workload: Mutex<Option<Workload>>,
}

impl Session {
    /// Starts the engine on `config` (inside a tokio runtime).
    pub fn start(config: Config, workload: Option<Workload>) -> Result<Session, String> {
        let env = ReplicaEnv::from_process();
        let engine = Engine::start(&config, &env).map_err(|e| e.to_string())?;
        let hub = (!config.mcp_servers.is_empty())
            .then(|| HubHandle::start(config.mcp_servers.clone(), HubOptions::default()));
        let config = Arc::new(config);
        let ops = OpsContext::from_process()
            .with_config(Arc::clone(&config))
            .with_engine(engine.clone());
        Ok(Session {
            engine,
            ops,
            config,
            hub,
            mcp_call: Mutex::new(None),
            replicas: Mutex::new(HashMap::new()),
            workload: Mutex::new(workload),
        })
    }

    /// The replica of database `db`, opened once and kept.
    pub fn replica(&self, db: &Path) -> Result<ReplicaTarget, String> {
        if let Ok(cache) = self.replicas.lock()
            && let Some(t) = cache.get(db)
        {
            return Ok(t.clone());
        }
        let target = self
            .ops
            .replica(&db.display().to_string(), None)
            .map_err(|e| e.to_string())?;
        if let Ok(mut cache) = self.replicas.lock() {
            cache.insert(db.to_path_buf(), target.clone());
        }
        Ok(target)
    }

    /// Stops the workload first (so the final sync sees a quiet database), then the engine
    /// after its final sync of every database.
    pub async fn stop(&self) {
        let workload = self.workload.lock().ok().and_then(|mut w| w.take());
        if let Some(w) = workload {
            let _ = tokio::task::spawn_blocking(move || w.stop()).await;
        }
        if let Some(hub) = &self.hub {
            hub.shutdown(std::time::Duration::from_secs(10)).await;
        }
        self.engine.shutdown().await;
    }
}
