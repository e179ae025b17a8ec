//! The plain HTTP endpoints Litestream's documentation promises, beside the MCP endpoint:
//!
//! - `GET /healthz` and `GET /` (without an SSE `Accept`): a small JSON status.
//! - `GET /mcp/tools`: `{"tools": [...]}`, each with input and output schema and annotations.
//! - `GET /mcp/tools/{name}`: one tool's definition.
//! - `POST /mcp/tools/{name}`: the body is the arguments (a JSON object; empty means `{}`);
//!   the answer is `{"text", "structuredContent", "isError"}` — 200 on success, 400 for a
//!   usage or configuration failure, 500 when the operation failed; malformed JSON and
//!   arguments that do not fit the schema are 400 with `{"error"}`, an unknown tool 404.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::dispatch::{CallError, McpTools};
use super::tools::{catalogue, definition};

/// The status document of `GET /healthz` and `GET /`.
pub fn status_document(tools: &McpTools) -> Value {
    let databases = tools
        .context()
        .config(None)
        .map(|c| c.dbs.len())
        .unwrap_or(0);
    json!({
        "status": "ok",
        "server": "ltx-tui",
        "version": env!("CARGO_PKG_VERSION"),
        "mcp": "/mcp",
        "tools": catalogue(tools.read_only()).len(),
        "databases": databases,
        "engine": tools.context().engine().is_some(),
        "read_only": tools.read_only(),
    })
}

/// `GET /healthz`.
pub async fn healthz(State(tools): State<McpTools>) -> Json<Value> {
    Json(status_document(&tools))
}

/// `GET /mcp/tools`.
pub async fn list(State(tools): State<McpTools>) -> Json<Value> {
    Json(json!({ "tools": catalogue(tools.read_only()) }))
}

/// `GET /mcp/tools/{name}`.
pub async fn describe(State(tools): State<McpTools>, Path(name): Path<String>) -> Response {
    match definition(&name, tools.read_only()) {
        Some(tool) => Json(tool).into_response(),
        None => error(StatusCode::NOT_FOUND, format!("unknown tool {name:?}")),
    }
}

/// `POST /mcp/tools/{name}`.
pub async fn call(
    State(tools): State<McpTools>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let args = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::Map::new()
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(map)) => map,
            Ok(_) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "the body must be a JSON object of arguments".to_owned(),
                );
            }
            Err(e) => return error(StatusCode::BAD_REQUEST, format!("malformed JSON: {e}")),
        }
    };
    match tools.call(&name, Some(args)).await {
        Ok(out) => {
            let status = match (out.is_error, out.error_kind) {
                (false, _) => StatusCode::OK,
                (true, Some("operation")) => StatusCode::INTERNAL_SERVER_ERROR,
                (true, _) => StatusCode::BAD_REQUEST,
            };
            let mut doc = json!({ "text": out.text, "isError": out.is_error });
            if let Some(s) = out.structured {
                doc["structuredContent"] = s;
            }
            if let Some(kind) = out.error_kind {
                doc["errorKind"] = kind.into();
            }
            (status, Json(doc)).into_response()
        }
        Err(e @ CallError::UnknownTool(_)) => error(StatusCode::NOT_FOUND, e.to_string()),
        Err(e @ CallError::InvalidArguments { .. }) => {
            error(StatusCode::BAD_REQUEST, e.to_string())
        }
    }
}

fn error(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "error": message, "isError": true }))).into_response()
}
