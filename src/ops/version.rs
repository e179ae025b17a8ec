//! `version`: which ltx-tui this is and what it is compatible with (Litestream's
//! `litestream version` and MCP tool `litestream_version`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The Litestream release whose replicas and CLI output ltx-tui matches.
pub const LITESTREAM_COMPATIBLE: &str = "0.5.17";

/// Parameters of `version` (none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct VersionParams {}

/// The version and compatibility facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct VersionResult {
    /// The ltx-tui version (`CARGO_PKG_VERSION`).
    pub version: String,
    /// The Litestream release whose replicas, config and CLI output ltx-tui matches.
    pub litestream_compatible: String,
    /// The LTX file format version read and written.
    pub ltx_format: u32,
}

impl VersionResult {
    /// What `version` prints: the version string alone, as `litestream version` does.
    pub fn text(&self) -> String {
        format!("{}\n", self.version)
    }

    /// What `version -verbose` prints.
    pub fn verbose_text(&self) -> String {
        format!(
            "ltx-tui {}\nLitestream compatible: {}\nLTX format: v{}\nOS/Arch: {}/{}\n",
            self.version,
            self.litestream_compatible,
            self.ltx_format,
            std::env::consts::OS,
            std::env::consts::ARCH
        )
    }
}

/// The version of this build.
pub fn version(_params: &VersionParams) -> VersionResult {
    VersionResult {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        litestream_compatible: LITESTREAM_COMPATIBLE.to_owned(),
        ltx_format: 3,
    }
}
