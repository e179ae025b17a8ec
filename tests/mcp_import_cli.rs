//! `ltx-tui mcp import FILE` run as a real process on a sample Claude Desktop file: the YAML it
//! prints is a valid `mcp-servers` configuration, secrets become `${VAR}` references (and are
//! printed nowhere), bad JSON names the file, line and column. And `config check` on a config
//! whose `mcp-servers` take secrets from `${VAR}` never shows their values.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use ltx_tui::config::{LoadOptions, Transport, parse_str};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mcp/claude_desktop_config.json")
}

fn ltx_tui(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ltx-tui"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn imports_a_claude_desktop_file_as_valid_yaml_without_secrets() {
    let file = sample();
    let (code, yaml, stderr) = ltx_tui(&["mcp", "import", file.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    for secret in ["ghp_sampleSecret123", "gw-token-999"] {
        assert!(
            !yaml.contains(secret) && !stderr.contains(secret),
            "{yaml}{stderr}"
        );
    }
    assert!(
        stderr.contains("LTX_MCP_GITHUB_GITHUB_PERSONAL_ACCESS_TOKEN"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\"GitHub\" is named \"github\""),
        "{stderr}"
    );

    // The printed YAML is a configuration ltx-tui accepts, with the secrets from the environment.
    let mut opts = LoadOptions::new(std::env::temp_dir());
    opts.expand_env = true;
    opts.env.insert(
        "LTX_MCP_GITHUB_GITHUB_PERSONAL_ACCESS_TOKEN".into(),
        "from-env".into(),
    );
    opts.env
        .insert("LTX_MCP_GATEWAY_AUTHORIZATION".into(), "Bearer t".into());
    let config = parse_str(&yaml, Path::new("imported.yml"), &opts).unwrap();
    let servers = &config.mcp_servers;
    assert_eq!(servers.len(), 4);
    let github = servers.iter().find(|s| s.name == "github").unwrap();
    assert_eq!(github.transport, Transport::Stdio);
    assert_eq!(
        github.env["GITHUB_PERSONAL_ACCESS_TOKEN"].expose(),
        "from-env"
    );
    let gateway = servers.iter().find(|s| s.name == "gateway").unwrap();
    assert_eq!(gateway.transport, Transport::Http);
    assert_eq!(gateway.headers["Authorization"].expose(), "Bearer t");
    let legacy = servers.iter().find(|s| s.name == "legacy").unwrap();
    assert_eq!(legacy.transport, Transport::Sse);
    assert!(!legacy.enabled);
}

#[test]
fn bad_json_names_the_file_line_and_column_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.json");
    std::fs::write(
        &file,
        "{\n  \"mcpServers\": {\n    \"a\": {\"command\": \"x\",}\n  }\n}\n",
    )
    .unwrap();
    let (code, stdout, stderr) = ltx_tui(&["mcp", "import", file.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(stdout.is_empty());
    let expected = format!(
        "error: {}:3:26: invalid JSON: trailing comma",
        file.display()
    );
    assert!(stderr.starts_with(&expected), "{stderr}");
}

#[test]
fn config_check_never_shows_mcp_server_secrets_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ltx-tui.yml");
    std::fs::write(
        &file,
        "dbs:\n  - path: /tmp/x.db\n    replica:\n      url: file:///tmp/r\nmcp-servers:\n  - name: gw\n    transport: http\n    url: http://127.0.0.1:9/mcp\n    headers:\n      Authorization: Bearer ${GW_TOKEN}\n  - name: gh\n    command: gh-mcp\n    env:\n      GH_TOKEN: ${GH_TOKEN}\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ltx-tui"))
        .args(["config", "check", file.to_str().unwrap()])
        .env("GW_TOKEN", "gw-super-secret")
        .env("GH_TOKEN", "gh-super-secret")
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("gw") && all.contains("***"), "{all}");
    assert!(!all.contains("super-secret"), "{all}");
}
