//! Replica URLs (`s3://bucket/path?region=…`, `file:///backups/db`, `sftp://user@host/path`).
//!
//! A replica may be given as one URL whose scheme picks the backend: `file`, `s3` (including
//! `s3://arn:…:accesspoint/name` access points), `gs`, `abs`, `sftp`, `webdav`/`webdavs`, `nats`
//! and `oss`. [`ReplicaUrl::parse`] splits it as Litestream's `ParseReplicaURLWithQuery` does:
//! the host is the bucket (or server), the path has its leading `/` removed (a `file` URL keeps
//! an absolute path), and for `s3` the query options are read into [`S3UrlOptions`], accepting
//! both Litestream's camelCase names and kebab-case aliases. Unknown S3 options are rejected so a
//! typo cannot silently change where data goes. Passwords and keys in a URL are redacted when the
//! URL is printed.

use std::fmt;

use serde::{Serialize, Serializer};

use super::paths::percent_decode;
use super::replica::ReplicaType;
use super::secret::{REDACTED, Secret};
use super::size::ByteSize;

/// A parsed replica URL.
#[derive(Clone, PartialEq)]
pub struct ReplicaUrl {
    /// The URL as written (may contain a password: use [`ReplicaUrl::redacted`] to show it).
    raw: String,
    /// Lower-case scheme: `s3`, `file`, `gs`, …
    pub scheme: String,
    /// The host part: the bucket (s3, gs, oss), container (abs), or server `host[:port]`.
    pub host: String,
    /// The user name from `user@host`, if any.
    pub user: Option<String>,
    /// The password from `user:password@host`, if any.
    pub password: Option<Secret>,
    /// The path: absolute for `file`, otherwise without its leading `/` (empty for none).
    pub path: String,
    /// Query parameters in order, decoded.
    pub query: Vec<(String, String)>,
    /// The S3 options from the query, for `s3` URLs.
    pub s3: Option<S3UrlOptions>,
}

/// S3 options given in an `s3://` URL's query string.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct S3UrlOptions {
    /// `endpoint`: a custom S3-compatible endpoint.
    pub endpoint: Option<String>,
    /// `region`.
    pub region: Option<String>,
    /// `forcePathStyle` / `force-path-style`.
    pub force_path_style: Option<bool>,
    /// `skipVerify` / `skip-verify`: skip TLS certificate verification.
    pub skip_verify: Option<bool>,
    /// `signPayload` / `sign-payload`.
    pub sign_payload: Option<bool>,
    /// `requireContentMD5` / `require-content-md5`.
    pub require_content_md5: Option<bool>,
    /// `storageClass` / `storage-class`.
    pub storage_class: Option<String>,
    /// `partSize` / `part-size`: multipart upload part size.
    pub part_size: Option<ByteSize>,
    /// `concurrency`: multipart upload concurrency.
    pub concurrency: Option<u64>,
    /// `sseCustomerAlgorithm` / `sse-customer-algorithm`.
    pub sse_customer_algorithm: Option<String>,
    /// `sseCustomerKey` / `sse-customer-key`.
    pub sse_customer_key: Option<Secret>,
    /// `sseCustomerKeyMD5` / `sse-customer-key-md5`.
    pub sse_customer_key_md5: Option<String>,
    /// `sseKmsKeyId` / `sse-kms-key-id`.
    pub sse_kms_key_id: Option<String>,
}

/// Every accepted S3 query option: Litestream's name and its kebab-case alias.
const S3_OPTIONS: &[(&str, &str)] = &[
    ("endpoint", "endpoint"),
    ("region", "region"),
    ("forcePathStyle", "force-path-style"),
    ("skipVerify", "skip-verify"),
    ("signPayload", "sign-payload"),
    ("requireContentMD5", "require-content-md5"),
    ("storageClass", "storage-class"),
    ("partSize", "part-size"),
    ("concurrency", "concurrency"),
    ("sseCustomerAlgorithm", "sse-customer-algorithm"),
    ("sseCustomerKey", "sse-customer-key"),
    ("sseCustomerKeyMD5", "sse-customer-key-md5"),
    ("sseKmsKeyId", "sse-kms-key-id"),
];

/// Query options whose values are secrets.
const SECRET_QUERY_KEYS: &[&str] = &["sseCustomerKey", "sse-customer-key"];

/// The schemes a replica URL may use.
pub const SCHEMES: &[&str] = &[
    "file", "s3", "gs", "abs", "sftp", "webdav", "webdavs", "nats", "oss",
];

impl ReplicaUrl {
    /// Parses a replica URL; the error says what was wrong and what a URL should look like.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.to_ascii_lowercase().starts_with("s3://arn:") {
            return parse_access_point(raw);
        }
        let Some((scheme, rest)) = raw.split_once("://") else {
            return Err(format!(
                "invalid replica url {raw:?}: a scheme is required; expected a URL such as \
                 s3://bucket/path or file:///var/lib/backups/app"
            ));
        };
        let valid_scheme = scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !valid_scheme {
            return Err(format!(
                "invalid replica url {raw:?}: malformed scheme {scheme:?}"
            ));
        }
        let scheme = scheme.to_ascii_lowercase();
        if ReplicaType::from_scheme(&scheme).is_none() {
            return Err(format!(
                "unsupported replica url scheme {scheme:?}: expected one of {}",
                SCHEMES.join(", ")
            ));
        }
        let rest = rest.split('#').next().unwrap_or_default();
        let (before_query, query_text) = rest.split_once('?').unwrap_or((rest, ""));
        let slash = before_query.find('/').unwrap_or(before_query.len());
        let (authority, raw_path) = before_query.split_at(slash);
        let (userinfo, host) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(u) => match u.split_once(':') {
                Some((name, pass)) => (
                    Some(percent_decode(name)),
                    Some(Secret::new(percent_decode(pass))),
                ),
                None => (Some(percent_decode(u)), None),
            },
        };
        let decoded_path = percent_decode(raw_path);
        let path = if scheme == "file" {
            let joined = format!("/{host}{decoded_path}");
            if host.is_empty() && decoded_path.is_empty() {
                return Err(format!(
                    "invalid replica url {raw:?}: a file URL needs a path, such as \
                     file:///var/lib/backups/app"
                ));
            }
            clean_slash_path(&joined)
        } else {
            clean_slash_path(&format!("/{decoded_path}"))
                .trim_start_matches('/')
                .to_owned()
        };
        let query = parse_query(query_text);
        let s3 = if scheme == "s3" {
            Some(s3_options(&query)?)
        } else {
            None
        };
        Ok(ReplicaUrl {
            raw: raw.to_owned(),
            host: if scheme == "file" {
                String::new()
            } else {
                host.to_owned()
            },
            scheme,
            user,
            password,
            path,
            query,
            s3,
        })
    }

    /// The backend the scheme selects (`webdavs` is WebDAV over TLS).
    pub fn replica_type(&self) -> ReplicaType {
        // Parsing only accepts known schemes.
        ReplicaType::from_scheme(&self.scheme).unwrap_or(ReplicaType::File)
    }

    /// The URL exactly as written, secrets included: hand it only to the storage client.
    pub fn expose(&self) -> &str {
        &self.raw
    }

    /// The URL with its password and secret query values replaced by `***`.
    pub fn redacted(&self) -> String {
        let mut out = self.raw.clone();
        if let Some((scheme, rest)) = self.raw.split_once("://") {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let authority = &rest[..end];
            let authority = match authority.rsplit_once('@') {
                Some((userinfo, host)) => match userinfo.split_once(':') {
                    Some((user, _)) => format!("{user}:{REDACTED}@{host}"),
                    None => authority.to_owned(),
                },
                None => authority.to_owned(),
            };
            out = format!("{scheme}://{authority}{}", &rest[end..]);
        }
        if let Some((base, query)) = out.clone().split_once('?') {
            let (query, fragment) = match query.split_once('#') {
                Some((q, f)) => (q, Some(f)),
                None => (query, None),
            };
            let parts: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, _)) if SECRET_QUERY_KEYS.contains(&percent_decode(k).as_str()) => {
                        format!("{k}={REDACTED}")
                    }
                    _ => pair.to_owned(),
                })
                .collect();
            out = format!("{base}?{}", parts.join("&"));
            if let Some(f) = fragment {
                out.push('#');
                out.push_str(f);
            }
        }
        out
    }

    /// The first value of a query parameter.
    pub fn query_value(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Debug for ReplicaUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplicaUrl")
            .field("url", &self.redacted())
            .field("scheme", &self.scheme)
            .field("host", &self.host)
            .field("user", &self.user)
            .field("password", &self.password)
            .field("path", &self.path)
            .field("s3", &self.s3)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for ReplicaUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl Serialize for ReplicaUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.redacted())
    }
}

/// An `s3://arn:aws:s3:region:account:accesspoint/name[/path][?query]` URL.
fn parse_access_point(raw: &str) -> Result<ReplicaUrl, String> {
    let rest = &raw["s3://".len()..];
    let (arn_and_path, query_text) = rest.split_once('?').unwrap_or((rest, ""));
    const MARKER: &str = ":accesspoint/";
    let lower = arn_and_path.to_ascii_lowercase();
    let name_start = lower
        .find(MARKER)
        .map(|i| i + MARKER.len())
        .filter(|&i| i < arn_and_path.len())
        .ok_or_else(|| {
            format!(
                "invalid s3 access point url {raw:?}: expected \
                 s3://arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME/path"
            )
        })?;
    let (bucket, key) = match arn_and_path[name_start..].find('/') {
        Some(slash) => (
            &arn_and_path[..name_start + slash],
            &arn_and_path[name_start + slash + 1..],
        ),
        None => (arn_and_path, ""),
    };
    let query = parse_query(query_text);
    let mut s3 = s3_options(&query)?;
    if s3.region.is_none() {
        s3.region = bucket
            .split(':')
            .nth(3)
            .filter(|r| !r.is_empty())
            .map(str::to_owned);
    }
    let path = clean_slash_path(&format!("/{key}"))
        .trim_start_matches('/')
        .to_owned();
    Ok(ReplicaUrl {
        raw: raw.to_owned(),
        scheme: "s3".to_owned(),
        host: bucket.to_owned(),
        user: None,
        password: None,
        path,
        query,
        s3: Some(s3),
    })
}

/// Go's `path.Clean` for a rooted slash path.
fn clean_slash_path(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Splits a query string into decoded key/value pairs (`+` is a space), skipping empty parts.
fn parse_query(q: &str) -> Vec<(String, String)> {
    let decode = |s: &str| percent_decode(&s.replace('+', " "));
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

/// Reads the S3 options of a query, rejecting unknown names and malformed values.
fn s3_options(query: &[(String, String)]) -> Result<S3UrlOptions, String> {
    let mut o = S3UrlOptions::default();
    for (key, value) in query {
        let Some((name, _)) = S3_OPTIONS.iter().find(|(a, b)| a == key || b == key) else {
            let names: Vec<&str> = S3_OPTIONS.iter().map(|(a, _)| *a).collect();
            return Err(format!(
                "unknown s3 url option {key:?}: expected one of {} (kebab-case aliases are accepted)",
                names.join(", ")
            ));
        };
        let boolean = || parse_bool(key, value);
        let text = || Some(value.clone()).filter(|v| !v.is_empty());
        match *name {
            "endpoint" => o.endpoint = text(),
            "region" => o.region = text(),
            "forcePathStyle" => o.force_path_style = boolean()?,
            "skipVerify" => o.skip_verify = boolean()?,
            "signPayload" => o.sign_payload = boolean()?,
            "requireContentMD5" => o.require_content_md5 = boolean()?,
            "storageClass" => o.storage_class = text(),
            "partSize" => {
                o.part_size =
                    Some(ByteSize::parse(value).map_err(|e| format!("s3 url option {key}: {e}"))?);
            }
            "concurrency" => {
                o.concurrency = Some(value.parse().map_err(|_| {
                    format!(
                        "s3 url option {key}: invalid number {value:?}: expected a positive integer"
                    )
                })?);
            }
            "sseCustomerAlgorithm" => o.sse_customer_algorithm = text(),
            "sseCustomerKey" => o.sse_customer_key = text().map(Secret::new),
            "sseCustomerKeyMD5" => o.sse_customer_key_md5 = text(),
            _ => o.sse_kms_key_id = text(),
        }
    }
    Ok(o)
}

/// Litestream's `BoolQueryValue`: true/1/t/yes or false/0/f/no; empty means unset.
fn parse_bool(key: &str, value: &str) -> Result<Option<bool>, String> {
    match value.to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "true" | "1" | "t" | "yes" => Ok(Some(true)),
        "false" | "0" | "f" | "no" => Ok(Some(false)),
        _ => Err(format!(
            "s3 url option {key}: invalid boolean {value:?}: expected true or false"
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_s3_urls_with_options() {
        let u = ReplicaUrl::parse(
            "s3://my-bucket/app/db?region=us-east-1&forcePathStyle=true&part-size=5MiB&endpoint=http://localhost:9000",
        )
        .unwrap();
        assert_eq!(u.replica_type(), ReplicaType::S3);
        assert_eq!((u.host.as_str(), u.path.as_str()), ("my-bucket", "app/db"));
        let s3 = u.s3.unwrap();
        assert_eq!(s3.region.as_deref(), Some("us-east-1"));
        assert_eq!(s3.force_path_style, Some(true));
        assert_eq!(s3.part_size, Some(ByteSize::from_mib(5)));
        assert_eq!(s3.endpoint.as_deref(), Some("http://localhost:9000"));
        let u = ReplicaUrl::parse("s3://bucket").unwrap();
        assert_eq!(u.path, "");
    }

    #[test]
    fn rejects_unknown_s3_options_and_bad_values() {
        let err = ReplicaUrl::parse("s3://b/p?regoin=x").unwrap_err();
        assert!(err.contains("unknown s3 url option \"regoin\""), "{err}");
        let err = ReplicaUrl::parse("s3://b/p?forcePathStyle=maybe").unwrap_err();
        assert!(err.contains("expected true or false"), "{err}");
        let err = ReplicaUrl::parse("s3://b/p?partSize=lots").unwrap_err();
        assert!(err.contains("invalid size"), "{err}");
    }

    #[test]
    fn parses_access_points() {
        let u = ReplicaUrl::parse(
            "s3://arn:aws:s3:us-west-2:123456789012:accesspoint/my-ap/backups/app?sign-payload=false",
        )
        .unwrap();
        assert_eq!(
            u.host,
            "arn:aws:s3:us-west-2:123456789012:accesspoint/my-ap"
        );
        assert_eq!(u.path, "backups/app");
        let s3 = u.s3.unwrap();
        assert_eq!(s3.region.as_deref(), Some("us-west-2"));
        assert_eq!(s3.sign_payload, Some(false));
        assert!(ReplicaUrl::parse("s3://arn:aws:s3:us-west-2:1:bucket/x").is_err());
    }

    #[test]
    fn parses_other_schemes() {
        let u = ReplicaUrl::parse("file:///var/backups/./app/").unwrap();
        assert_eq!(
            (u.replica_type(), u.path.as_str()),
            (ReplicaType::File, "/var/backups/app")
        );
        let u = ReplicaUrl::parse("file://relative/dir").unwrap();
        assert_eq!(u.path, "/relative/dir");
        let u = ReplicaUrl::parse("sftp://op:s3cr%40t@host:2222/backups/app").unwrap();
        assert_eq!(u.replica_type(), ReplicaType::Sftp);
        assert_eq!(u.user.as_deref(), Some("op"));
        assert_eq!(u.password.as_ref().unwrap().expose(), "s3cr@t");
        assert_eq!(
            (u.host.as_str(), u.path.as_str()),
            ("host:2222", "backups/app")
        );
        assert_eq!(u.redacted(), "sftp://op:***@host:2222/backups/app");
        assert!(!format!("{u:?}").contains("s3cr"));
        let u = ReplicaUrl::parse("webdavs://dav.example.com/dav/app").unwrap();
        assert_eq!(u.replica_type(), ReplicaType::Webdav);
        for (url, ty) in [
            ("gs://bucket/db", ReplicaType::Gs),
            ("abs://account@container/db", ReplicaType::Abs),
            ("nats://localhost:4222/bucket", ReplicaType::Nats),
            (
                "oss://bucket.oss-cn-hangzhou.aliyuncs.com/db",
                ReplicaType::Oss,
            ),
        ] {
            assert_eq!(ReplicaUrl::parse(url).unwrap().replica_type(), ty, "{url}");
        }
    }

    #[test]
    fn rejects_bad_urls() {
        assert!(
            ReplicaUrl::parse("my-bucket/db")
                .unwrap_err()
                .contains("scheme is required")
        );
        let err = ReplicaUrl::parse("ftp://host/db").unwrap_err();
        assert!(
            err.contains("unsupported replica url scheme \"ftp\""),
            "{err}"
        );
        assert!(
            ReplicaUrl::parse("file://")
                .unwrap_err()
                .contains("needs a path")
        );
    }

    #[test]
    fn redacts_secret_query_values() {
        let u = ReplicaUrl::parse("s3://b/p?sseCustomerKey=abc&region=x").unwrap();
        assert_eq!(u.redacted(), "s3://b/p?sseCustomerKey=***&region=x");
        assert_eq!(u.to_string(), u.redacted());
        assert_eq!(u.expose(), "s3://b/p?sseCustomerKey=abc&region=x");
    }
}
