//! Replica URLs as Litestream 0.5 accepts them, turned into a [`ReplicaSpec`]:
//! `file:///abs/path`, `s3://bucket/path?endpoint=…&region=…&forcePathStyle=true` (Litestream's
//! camelCase query names and their kebab-case aliases), `gs://bucket/path` (no query: a gs
//! endpoint comes from the config's `endpoint` or `STORAGE_EMULATOR_HOST`), and
//! `abs://container/path` or `abs://account@container/path`.
//!
//! The host is the bucket (or container); the path loses its leading `/` (a `file` URL keeps an
//! absolute path). Every error names the part of the URL that is wrong. Options that would
//! change where or how data is stored and that this room does not implement (storage class,
//! server-side encryption) are refused rather than silently ignored; options that only tune
//! uploads (`signPayload`, `requireContentMD5`, `partSize`, `concurrency`) are accepted and
//! have no effect.

use super::{ReplicaKind, ReplicaSpec, StorageError};

impl ReplicaSpec {
    /// Parses a replica URL; fails with [`StorageError::InvalidUrl`] naming the wrong part.
    pub fn from_url(url: &str) -> Result<ReplicaSpec, StorageError> {
        let err = |part: &str, value: &str, problem: &str| StorageError::InvalidUrl {
            url: url.to_owned(),
            part: part.to_owned(),
            value: value.to_owned(),
            problem: problem.to_owned(),
        };
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(err("scheme", url, "is missing (expected scheme://…)"));
        };
        let kind = match scheme.to_ascii_lowercase().as_str() {
            "file" => ReplicaKind::File,
            "s3" => ReplicaKind::S3,
            "gs" => ReplicaKind::Gs,
            "abs" => ReplicaKind::Abs,
            "oss" | "sftp" | "webdav" | "webdavs" | "nats" => {
                return Err(err(
                    "scheme",
                    scheme,
                    "is a Litestream backend ltx-tui's storage does not support yet",
                ));
            }
            _ => return Err(err("scheme", scheme, "is not a replica URL scheme")),
        };
        if let Some(at) = rest.find('#') {
            return Err(err(
                "fragment",
                &rest[at..],
                "is not allowed in a replica URL",
            ));
        }
        let (before_query, query) = match rest.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (rest, None),
        };
        let (authority, raw_path) = match before_query.find('/') {
            Some(i) => before_query.split_at(i),
            None => (before_query, ""),
        };
        let path = percent_decode(raw_path)
            .ok_or_else(|| err("path", raw_path, "has an invalid percent-encoding"))?;

        let mut spec = ReplicaSpec::new(kind);
        match kind {
            ReplicaKind::File => {
                if !authority.is_empty() && authority != "localhost" {
                    return Err(err(
                        "host",
                        authority,
                        "must be empty: write file:///abs/path (three slashes)",
                    ));
                }
                if !path.starts_with('/') || path.trim_matches('/').is_empty() {
                    return Err(err("path", &path, "must be an absolute directory"));
                }
                reject_query(query, &err)?;
                spec.path = trim_trailing_slashes(&path).to_owned();
            }
            ReplicaKind::S3 | ReplicaKind::Gs => {
                spec.bucket = Some(bucket_name(authority, "bucket", &err)?);
                spec.path = path.trim_matches('/').to_owned();
                if kind == ReplicaKind::S3 {
                    apply_s3_query(&mut spec, query, &err)?;
                } else if let Some(q) = query.filter(|q| !q.is_empty()) {
                    return Err(err(
                        "query",
                        q,
                        "is not supported for gs URLs (as in Litestream): give a custom endpoint as endpoint in the replica config, or set STORAGE_EMULATOR_HOST",
                    ));
                }
            }
            ReplicaKind::Abs => {
                let container = match authority.split_once('@') {
                    Some((account, container)) => {
                        if account.is_empty() || !account.bytes().all(|b| b.is_ascii_alphanumeric())
                        {
                            return Err(err(
                                "account",
                                account,
                                "must be letters and digits (abs://account@container/path)",
                            ));
                        }
                        spec.account_name = Some(account.to_owned());
                        container
                    }
                    None => authority,
                };
                spec.bucket = Some(bucket_name(container, "container", &err)?);
                spec.path = path.trim_matches('/').to_owned();
                reject_query(query, &err)?;
            }
            // The scheme match above never yields the memory kind.
            ReplicaKind::Memory => {}
        }
        Ok(spec)
    }
}

fn trim_trailing_slashes(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() { "/" } else { trimmed }
}

fn bucket_name(
    host: &str,
    part: &str,
    err: &impl Fn(&str, &str, &str) -> StorageError,
) -> Result<String, StorageError> {
    if host.is_empty() {
        return Err(err(part, host, "is missing"));
    }
    if host.starts_with("arn:") {
        return Err(err(part, host, "is an access point ARN, not supported yet"));
    }
    if host.contains('@') {
        return Err(err(
            part,
            host,
            "must not carry credentials: use access-key-id/secret-access-key or AWS_* variables",
        ));
    }
    if host.contains(':') {
        return Err(err(
            part,
            host,
            "must not carry a port: give the server as ?endpoint=http://host:port",
        ));
    }
    let valid = host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if !valid {
        return Err(err(part, host, "is not a valid name"));
    }
    Ok(host.to_owned())
}

fn reject_query(
    query: Option<&str>,
    err: &impl Fn(&str, &str, &str) -> StorageError,
) -> Result<(), StorageError> {
    match query {
        Some(q) if !q.is_empty() => Err(err("query", q, "is only supported for s3 URLs")),
        _ => Ok(()),
    }
}

fn apply_s3_query(
    spec: &mut ReplicaSpec,
    query: Option<&str>,
    err: &impl Fn(&str, &str, &str) -> StorageError,
) -> Result<(), StorageError> {
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode_query(raw_key)
            .ok_or_else(|| err("query", raw_key, "has an invalid percent-encoding"))?;
        let part = format!("query key {key}");
        let value = decode_query(raw_value)
            .ok_or_else(|| err(&part, raw_value, "has an invalid percent-encoding"))?;
        let bool_value = || {
            parse_go_bool(&value).ok_or_else(|| err(&part, &value, "is not a boolean (true/false)"))
        };
        match key.as_str() {
            "endpoint" => {
                if !(value.starts_with("http://") || value.starts_with("https://")) {
                    return Err(err(&part, &value, "must start with http:// or https://"));
                }
                spec.endpoint = Some(value.trim_end_matches('/').to_owned());
            }
            "region" => spec.region = Some(value.clone()).filter(|v| !v.is_empty()),
            "forcePathStyle" | "force-path-style" => spec.force_path_style = Some(bool_value()?),
            "skipVerify" | "skip-verify" => spec.skip_verify = bool_value()?,
            "signPayload" | "sign-payload" | "requireContentMD5" | "require-content-md5" => {
                bool_value()?;
            }
            "partSize" | "part-size" | "concurrency" => {}
            "storageClass"
            | "storage-class"
            | "sseCustomerAlgorithm"
            | "sse-customer-algorithm"
            | "sseCustomerKey"
            | "sse-customer-key"
            | "sseCustomerKeyMD5"
            | "sse-customer-key-md5"
            | "sseKmsKeyId"
            | "sse-kms-key-id" => {
                return Err(err(
                    &part,
                    &value,
                    "is a Litestream option ltx-tui's storage does not support yet",
                ));
            }
            _ => return Err(err(&part, &value, "is not a known S3 option")),
        }
    }
    Ok(())
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// A query component: `+` is a space, then percent-decoding (as Go's `url.ParseQuery`).
fn decode_query(s: &str) -> Option<String> {
    percent_decode(&s.replace('+', " "))
}

/// Decodes `%XX` escapes; `None` for a malformed escape or non-UTF-8 result.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let text = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(text, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part_of(url: &str) -> String {
        match ReplicaSpec::from_url(url) {
            Err(StorageError::InvalidUrl { part, .. }) => part,
            other => panic!("{url}: expected InvalidUrl, got {other:?}"),
        }
    }

    #[test]
    fn file_urls_keep_the_absolute_path() {
        let spec = ReplicaSpec::from_url("file:///var/backups/app/").unwrap();
        assert_eq!(spec.kind, ReplicaKind::File);
        assert_eq!(spec.path, "/var/backups/app");
        let spaced = ReplicaSpec::from_url("file:///tmp/my%20dir").unwrap();
        assert_eq!(spaced.path, "/tmp/my dir");
    }

    #[test]
    fn s3_urls_read_options_in_both_spellings() {
        let spec = ReplicaSpec::from_url(
            "s3://my-bucket/dbs/app?endpoint=http://127.0.0.1:9000&region=us-east-1&forcePathStyle=true",
        )
        .unwrap();
        assert_eq!(spec.kind, ReplicaKind::S3);
        assert_eq!(spec.bucket.as_deref(), Some("my-bucket"));
        assert_eq!(spec.path, "dbs/app");
        assert_eq!(spec.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(spec.region.as_deref(), Some("us-east-1"));
        assert_eq!(spec.force_path_style, Some(true));

        let kebab = ReplicaSpec::from_url(
            "s3://b/p?endpoint=http%3A%2F%2Flocalhost%3A9000&force-path-style=false&skip-verify=1",
        )
        .unwrap();
        assert_eq!(kebab.endpoint.as_deref(), Some("http://localhost:9000"));
        assert_eq!(kebab.force_path_style, Some(false));
        assert!(kebab.skip_verify);
    }

    #[test]
    fn gs_and_abs_urls() {
        let gs = ReplicaSpec::from_url("gs://bucket/a/b").unwrap();
        assert_eq!(
            (gs.kind, gs.bucket.as_deref(), gs.path.as_str()),
            (ReplicaKind::Gs, Some("bucket"), "a/b")
        );
        let abs = ReplicaSpec::from_url("abs://acct@container/db").unwrap();
        assert_eq!(abs.kind, ReplicaKind::Abs);
        assert_eq!(abs.account_name.as_deref(), Some("acct"));
        assert_eq!(abs.bucket.as_deref(), Some("container"));
        assert_eq!(abs.path, "db");
        let plain = ReplicaSpec::from_url("abs://container").unwrap();
        assert_eq!((plain.account_name, plain.path.as_str()), (None, ""));
    }

    #[test]
    fn errors_name_the_wrong_part() {
        assert_eq!(part_of("/no/scheme"), "scheme");
        assert_eq!(part_of("ftp://x/y"), "scheme");
        assert_eq!(part_of("sftp://host/y"), "scheme");
        assert_eq!(part_of("file://host/abs"), "host");
        assert_eq!(part_of("file:///"), "path");
        assert_eq!(part_of("s3:///path"), "bucket");
        assert_eq!(part_of("s3://bucket:9000/path"), "bucket");
        assert_eq!(part_of("s3://bu cket/path"), "bucket");
        assert_eq!(part_of("abs://@container/p"), "account");
        assert_eq!(
            part_of("s3://b/p?forcePathStyle=maybe"),
            "query key forcePathStyle"
        );
        assert_eq!(
            part_of("s3://b/p?endpoint=127.0.0.1:9000"),
            "query key endpoint"
        );
        assert_eq!(part_of("s3://b/p?regoin=x"), "query key regoin");
        assert_eq!(part_of("s3://b/p?sseKmsKeyId=k"), "query key sseKmsKeyId");
        assert_eq!(part_of("gs://b/p?region=x"), "query");
        let gs_endpoint = ReplicaSpec::from_url("gs://b/p?endpoint=http://127.0.0.1:4443")
            .unwrap_err()
            .to_string();
        assert!(
            gs_endpoint.contains("endpoint in the replica config")
                && gs_endpoint.contains("STORAGE_EMULATOR_HOST"),
            "{gs_endpoint}"
        );
        assert_eq!(part_of("s3://b/p%zz"), "path");
        assert_eq!(part_of("s3://b/p#frag"), "fragment");
    }
}
