//! A minimal client of the GCS JSON API (`/storage/v1`, `/upload/storage/v1`), independent of
//! ltx-tui's storage room and of `object_store`: the requests Google's own clients (and
//! Litestream's Go client) send, for reading raw keys, sizes and metadata in tests and for
//! moving objects in and out of a GCS emulator.
//!
//! - [`GcsJsonApi::list`]: `GET /storage/v1/b/{bucket}/o?prefix=…` (following `nextPageToken`);
//! - [`GcsJsonApi::download`]: `GET /storage/v1/b/{bucket}/o/{object}?alt=media`;
//! - [`GcsJsonApi::upload`]: `POST /upload/storage/v1/b/{bucket}/o?uploadType=multipart`, a
//!   `multipart/related` body of the object resource (name, contentType, metadata) and the
//!   bytes, which is how Litestream's client uploads an LTX file with its metadata.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::Deserialize;

/// One object as the JSON API describes it (the fields the tests compare).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GcsObject {
    /// The object name (the key).
    pub name: String,
    /// The size in bytes (a decimal string on the wire).
    #[serde(deserialize_with = "decimal_string")]
    pub size: u64,
    /// The Content-Type.
    #[serde(default)]
    pub content_type: Option<String>,
    /// The custom metadata (`x-goog-meta-*` on the XML API).
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ObjectList {
    #[serde(default)]
    items: Vec<GcsObject>,
    #[serde(default)]
    next_page_token: Option<String>,
}

fn decimal_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let text = String::deserialize(d)?;
    text.parse().map_err(serde::de::Error::custom)
}

/// A JSON API client for the server at a base URL (`http://127.0.0.1:<port>`).
#[derive(Clone, Debug)]
pub struct GcsJsonApi {
    base: String,
    http: reqwest::Client,
}

impl GcsJsonApi {
    /// A client for `base` (no trailing `/`).
    pub fn new(base: &str) -> GcsJsonApi {
        GcsJsonApi {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// Every object of `bucket` whose name starts with `prefix`, in the server's order.
    pub async fn list(&self, bucket: &str, prefix: &str) -> Vec<GcsObject> {
        let mut objects = Vec::new();
        let mut page_token: Option<String> = None;
        loop {
            let mut url = format!(
                "{}/storage/v1/b/{}/o?prefix={}",
                self.base,
                encode(bucket),
                encode(prefix)
            );
            if let Some(token) = &page_token {
                url.push_str("&pageToken=");
                url.push_str(&encode(token));
            }
            let body = self.expect_ok(self.http.get(&url), &url).await;
            let page: ObjectList = serde_json::from_slice(&body).unwrap_or_else(|e| {
                panic!(
                    "GET {url}: not an object list ({e}): {}",
                    String::from_utf8_lossy(&body)
                )
            });
            objects.extend(page.items);
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(token) => page_token = Some(token),
                None => return objects,
            }
        }
    }

    /// The bytes of `bucket`/`name`.
    pub async fn download(&self, bucket: &str, name: &str) -> Bytes {
        let url = format!(
            "{}/storage/v1/b/{}/o/{}?alt=media",
            self.base,
            encode(bucket),
            encode(name)
        );
        self.expect_ok(self.http.get(&url), &url).await
    }

    /// Uploads `bytes` as `bucket`/`name` with `content_type` and custom `metadata` (one
    /// multipart upload, as Google's clients send it); returns the stored object resource.
    pub async fn upload(
        &self,
        bucket: &str,
        name: &str,
        bytes: &[u8],
        content_type: &str,
        metadata: &BTreeMap<String, String>,
    ) -> GcsObject {
        const BOUNDARY: &str = "ltx-tui-test-boundary-7f3a9c";
        let resource = serde_json::json!({
            "name": name,
            "contentType": content_type,
            "metadata": metadata,
        });
        let mut body = Vec::with_capacity(bytes.len() + 512);
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{resource}\r\n\
                 --{BOUNDARY}\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let url = format!(
            "{}/upload/storage/v1/b/{}/o?uploadType=multipart",
            self.base,
            encode(bucket)
        );
        let request = self
            .http
            .post(&url)
            .header(
                "Content-Type",
                format!("multipart/related; boundary={BOUNDARY}"),
            )
            .body(body);
        let reply = self.expect_ok(request, &url).await;
        serde_json::from_slice(&reply).unwrap_or_else(|e| {
            panic!(
                "POST {url}: not an object resource ({e}): {}",
                String::from_utf8_lossy(&reply)
            )
        })
    }

    async fn expect_ok(&self, request: reqwest::RequestBuilder, url: &str) -> Bytes {
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{url}: request failed: {e}"));
        let status = response.status();
        let body = response
            .bytes()
            .await
            .unwrap_or_else(|e| panic!("{url}: reading the body failed: {e}"));
        assert!(
            status.is_success(),
            "{url}: HTTP {status}: {}",
            String::from_utf8_lossy(&body)
        );
        body
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters (so `/` in an object name
/// becomes `%2F`, as the JSON API requires).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
