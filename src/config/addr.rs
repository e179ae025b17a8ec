//! Listen addresses (`addr`, `mcp-addr`): `host:port`, split as Go's `net.SplitHostPort`.
//!
//! Both addresses must name a port (`:9090`, `127.0.0.1:3001`, `[::1]:3001`). An empty host
//! means every interface. [`is_loopback`] decides whether a bind is private to the machine, which
//! is what makes an MCP server without `mcp-token` acceptable.

use std::net::IpAddr;

/// What a listen address should look like, appended to errors.
pub const ADDR_EXPECTED: &str = "expected host:port such as 127.0.0.1:3001, [::1]:3001 or :9090";

/// A listen address split into host and port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenAddr {
    /// The host (empty for every interface; IPv6 without brackets).
    pub host: String,
    /// The port (a number or a service name).
    pub port: String,
}

/// Splits `host:port` like Go's `net.SplitHostPort`, and requires a non-empty valid port.
pub fn parse_listen_addr(s: &str) -> Result<ListenAddr, String> {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("invalid address {s:?}: missing ']'; {ADDR_EXPECTED}"))?;
        let port = after
            .strip_prefix(':')
            .ok_or_else(|| format!("invalid address {s:?}: missing port; {ADDR_EXPECTED}"))?;
        (host, port)
    } else {
        let (host, port) = s
            .rsplit_once(':')
            .ok_or_else(|| format!("invalid address {s:?}: missing port; {ADDR_EXPECTED}"))?;
        if host.contains(':') {
            return Err(format!(
                "invalid address {s:?}: too many colons (put IPv6 addresses in brackets); {ADDR_EXPECTED}"
            ));
        }
        (host, port)
    };
    if port.is_empty() {
        return Err(format!(
            "invalid address {s:?}: missing port; {ADDR_EXPECTED}"
        ));
    }
    let numeric = port.chars().all(|c| c.is_ascii_digit());
    if numeric && port.parse::<u16>().is_err() {
        return Err(format!(
            "invalid address {s:?}: port {port} is out of range (0-65535)"
        ));
    }
    if !numeric && !port.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(format!(
            "invalid address {s:?}: invalid port {port:?}; {ADDR_EXPECTED}"
        ));
    }
    Ok(ListenAddr {
        host: host.to_owned(),
        port: port.to_owned(),
    })
}

/// True when binding `host` only accepts connections from this machine.
pub fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_go() {
        let a = parse_listen_addr(":9090").unwrap();
        assert_eq!((a.host.as_str(), a.port.as_str()), ("", "9090"));
        let a = parse_listen_addr("[::1]:3001").unwrap();
        assert_eq!((a.host.as_str(), a.port.as_str()), ("::1", "3001"));
        let a = parse_listen_addr("localhost:http").unwrap();
        assert_eq!(a.port, "http");
        for bad in [
            "localhost",
            "127.0.0.1",
            "::1:80",
            "host:",
            "[::1]",
            "h:99999",
            "h:8 0",
        ] {
            assert!(parse_listen_addr(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn recognises_loopback_hosts() {
        for h in ["localhost", "127.0.0.1", "127.1.2.3", "::1"] {
            assert!(is_loopback(h), "{h}");
        }
        for h in ["", "0.0.0.0", "::", "10.0.0.1", "example.com"] {
            assert!(!is_loopback(h), "{h}");
        }
    }
}
