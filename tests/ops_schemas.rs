//! Every operation has a JSON schema for its parameters and result, and the parameters use
//! the names of Litestream's MCP tools (`path`, `config`, `o`, `txid`, `timestamp`,
//! `parallelism`, `if_db_not_exists`, `if_replica_exists`). The operations room imports no
//! face: no console, no MCP server, no terminal library.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ltx_tui::ops;

fn properties(schema: &schemars::Schema) -> Vec<String> {
    let value = serde_json::to_value(schema).unwrap();
    value["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn every_operation_has_schemas_with_litestream_parameter_names() {
    let schemas = ops::schemas();
    let names: Vec<&str> = schemas.iter().map(|(n, _, _)| *n).collect();
    assert_eq!(
        names,
        [
            "info",
            "version",
            "databases",
            "status",
            "ltx",
            "restore",
            "preview",
            "replication_command"
        ]
    );
    let params = |name: &str| properties(&schemas.iter().find(|(n, _, _)| *n == name).unwrap().1);
    for key in [
        "path",
        "config",
        "level",
        "min_txid",
        "max_txid",
        "since",
        "until",
        "limit",
        "cursor",
        "page_count",
    ] {
        assert!(params("ltx").contains(&key.to_owned()), "ltx lacks {key}");
    }
    for key in ["path", "config"] {
        assert!(
            params("status").contains(&key.to_owned()),
            "status lacks {key}"
        );
    }
    for key in [
        "path",
        "o",
        "config",
        "txid",
        "timestamp",
        "parallelism",
        "if_db_not_exists",
        "if_replica_exists",
        "dry_run",
        "force",
        "integrity_check",
    ] {
        assert!(
            params("restore").contains(&key.to_owned()),
            "restore lacks {key}"
        );
    }
    for key in [
        "path",
        "txid",
        "timestamp",
        "compare_txid",
        "compare_timestamp",
    ] {
        assert!(
            params("preview").contains(&key.to_owned()),
            "preview lacks {key}"
        );
    }
    for key in ["path", "config"] {
        assert!(
            params("replication_command").contains(&key.to_owned()),
            "replication_command lacks {key}"
        );
    }
    for (name, _, result) in &schemas {
        assert!(
            !properties(result).is_empty(),
            "{name} result schema has no properties"
        );
    }
}

#[test]
fn parameters_deserialize_from_mcp_style_json() {
    let p: ops::LtxParams =
        serde_json::from_str(r#"{"path": "/data/app.db", "level": "all", "limit": 50}"#).unwrap();
    assert_eq!(p.level.as_deref(), Some("all"));
    assert_eq!(p.limit, Some(50));
    let r: ops::RestoreParams = serde_json::from_str(
        r#"{"path": "s3://b/db", "o": "/tmp/x.db", "if_db_not_exists": true, "integrity_check": "quick"}"#,
    )
    .unwrap();
    assert!(r.if_db_not_exists);
    assert_eq!(r.integrity_check, Some(ops::IntegrityCheck::Quick));
}

#[test]
fn the_operations_room_imports_no_face() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ops");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let source = std::fs::read_to_string(&path).unwrap();
        // Code only: the module docs name what the room must never import.
        let text: String = source
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for forbidden in ["ratatui", "crossterm", "crate::tui", "crate::mcp"] {
            assert!(
                !text.contains(forbidden),
                "{} mentions {forbidden}",
                path.display()
            );
        }
    }
}
