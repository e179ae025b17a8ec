//! The hub's timing: how often servers are probed, how many failed probes make a server
//! failed, and how restarts back off.

use std::time::Duration;

/// Timing of health probes, restarts and shutdown.
#[derive(Debug, Clone)]
pub struct HubOptions {
    /// Time between health probes (`ping`, or `server/discover` on 2026-07-28 servers).
    pub probe_interval: Duration,
    /// Consecutive failed probes after which the connection is dropped and restarted.
    pub probe_failures_before_restart: u32,
    /// The first restart delay; it doubles per consecutive failure.
    pub restart_base: Duration,
    /// The longest restart delay.
    pub restart_max: Duration,
    /// How long a stop may take before the connection is dropped (stdio: the child is killed).
    pub stop_timeout: Duration,
    /// Time between lag polls of an attached headless ltx-tui (`ltx_lag`).
    pub fleet_interval: Duration,
}

impl Default for HubOptions {
    fn default() -> Self {
        HubOptions {
            probe_interval: Duration::from_secs(15),
            probe_failures_before_restart: 3,
            restart_base: Duration::from_secs(1),
            restart_max: Duration::from_secs(60),
            stop_timeout: Duration::from_secs(8),
            fleet_interval: Duration::from_secs(5),
        }
    }
}
