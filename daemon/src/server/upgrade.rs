//! Admitting a WebSocket upgrade, pure over its headers: limits from SECURITY.md §2, `Origin`
//! and `Host` checks, the bearer token of a TCP peer, the client's address behind a trusted
//! proxy; and the handshake's own checks and answer (RFC 6455 §4.2).

use super::Admission;
use crate::auth::{Identity, Refusal, TokenIndex, presented_token};
use hyper::header::{HeaderMap, HeaderValue};
use std::net::IpAddr;
use std::time::Duration;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// The upgrade must finish within this.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Small buffers: an idle connection should cost a few kB, not ~134 kB.
pub fn ws_config(max_message_bytes: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(1024 * 1024)
        .max_message_size(Some(max_message_bytes))
        .max_frame_size(Some(max_message_bytes))
}

/// `Host` names that mean this machine.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    matches!(
        name.to_ascii_lowercase().as_str(),
        "localhost" | "127.0.0.1" | "::1"
    ) || name
        .parse::<std::net::Ipv4Addr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// The client's address: the peer's own, or, when the peer is a trusted proxy, the last
/// address in `X-Forwarded-For` (the one that proxy added; earlier ones are the client's
/// word). A missing or unreadable header leaves the proxy's address.
pub fn client_addr(peer: IpAddr, proxied: bool, forwarded_for: Option<&str>) -> IpAddr {
    if !proxied {
        return peer;
    }
    forwarded_for
        .and_then(|v| v.rsplit(',').next())
        .and_then(|last| last.trim().parse().ok())
        .unwrap_or(peer)
}

/// An upgrade let in: who the peer is, whether its token came as a subprotocol (the answer
/// must then pick `chinwag`), and the client's address (`None` on the Unix socket).
#[derive(Debug)]
pub struct Admitted {
    pub who: Identity,
    pub by_subprotocol: bool,
    pub client: Option<IpAddr>,
}

/// Checks one upgrade request's headers and names its peer.
pub fn admit(
    headers: &HeaderMap,
    admission: &Admission,
    tokens: &TokenIndex,
    now_ms: i64,
) -> Result<Admitted, Refusal> {
    // No browser client exists yet, so any Origin is foreign (CSWSH defence).
    if headers.contains_key("origin") {
        return Err(Refusal {
            status: 403,
            reason: "cross-origin WebSocket requests are refused",
        });
    }
    match admission {
        Admission::Local(who) => Ok(Admitted {
            who: who.clone(),
            by_subprotocol: false,
            client: None,
        }),
        Admission::Tcp {
            check_host,
            peer,
            proxied,
        } => {
            let header = |name: &str| headers.get(name).and_then(|h| h.to_str().ok());
            let client = client_addr(*peer, *proxied, header("x-forwarded-for"));
            if *check_host && !is_loopback_host(header("host").unwrap_or("")) {
                return Err(Refusal {
                    status: 403,
                    reason: "Host must name this machine",
                });
            }
            let (token, by_subprotocol) =
                presented_token(header("authorization"), header("sec-websocket-protocol"))
                    .ok_or(Refusal::MISSING)?;
            let who = tokens.authenticate(token, now_ms).inspect_err(|_| {
                tracing::info!(%client, "refused an upgrade with a missing or invalid token");
            })?;
            tracing::info!(%client, user = %who.display, "authenticated");
            Ok(Admitted {
                who,
                by_subprotocol,
                client: Some(client),
            })
        }
    }
}

/// Whether a request asks for a WebSocket (`Upgrade: websocket`).
pub fn wants_websocket(headers: &HeaderMap) -> bool {
    has_token(headers, "upgrade", "websocket")
}

/// Whether a comma-separated header holds `token`, in any case.
fn has_token(headers: &HeaderMap, name: &str, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// A handshake the server cannot complete, and the status it earns.
#[derive(Debug, PartialEq, Eq)]
pub enum BadHandshake {
    /// 400: not a WebSocket opening handshake.
    Malformed(&'static str),
    /// 426 with `Sec-WebSocket-Version: 13`: a version this server does not speak.
    Version,
}

/// Checks the handshake's own headers (RFC 6455 §4.2.1) and returns the
/// `Sec-WebSocket-Accept` answer.
pub fn accept_key(headers: &HeaderMap) -> Result<HeaderValue, BadHandshake> {
    if !has_token(headers, "connection", "upgrade") {
        return Err(BadHandshake::Malformed("Connection must include Upgrade"));
    }
    if headers
        .get("sec-websocket-version")
        .is_none_or(|v| v.as_bytes() != b"13")
    {
        return Err(BadHandshake::Version);
    }
    let key = headers
        .get("sec-websocket-key")
        .filter(|k| k.len() == 24)
        .ok_or(BadHandshake::Malformed(
            "Sec-WebSocket-Key is missing or malformed",
        ))?;
    let answer = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
    HeaderValue::from_str(&answer).map_err(|_| BadHandshake::Malformed("unusable key"))
}

#[cfg(test)]
mod tests {
    use super::{BadHandshake, accept_key, client_addr, is_loopback_host, wants_websocket};
    use hyper::header::{HeaderMap, HeaderValue};
    use std::net::IpAddr;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn the_handshake_is_checked_and_answered_as_rfc_6455_says() {
        // The key and answer of RFC 6455 §1.3.
        let good = [
            ("upgrade", "WebSocket"),
            ("connection", "keep-alive, Upgrade"),
            ("sec-websocket-version", "13"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ];
        assert!(wants_websocket(&headers(&good)));
        assert_eq!(
            accept_key(&headers(&good)).expect("valid"),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        assert_eq!(
            accept_key(&headers(&[good[0], good[2], good[3]])),
            Err(BadHandshake::Malformed("Connection must include Upgrade"))
        );
        assert_eq!(
            accept_key(&headers(&[
                good[0],
                good[1],
                ("sec-websocket-version", "8"),
                good[3]
            ])),
            Err(BadHandshake::Version)
        );
        assert!(matches!(
            accept_key(&headers(&[good[0], good[1], good[2]])),
            Err(BadHandshake::Malformed(_))
        ));
        assert!(!wants_websocket(&headers(&[("upgrade", "h2c")])));
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy_and_only_its_last_hop() {
        let proxy: IpAddr = "10.0.0.2".parse().expect("ip");
        let xff = Some("1.2.3.4, 203.0.113.9");
        let client = |p, h| client_addr(proxy, p, h).to_string();
        assert_eq!(client(true, xff), "203.0.113.9", "the hop the proxy added");
        assert_eq!(
            client(false, xff),
            "10.0.0.2",
            "anyone else's header is ignored"
        );
        assert_eq!(client(true, None), "10.0.0.2");
        assert_eq!(client(true, Some("not an address")), "10.0.0.2");
        assert_eq!(client(true, Some("2001:db8::7")), "2001:db8::7");
    }

    #[test]
    fn only_loopback_hosts_pass() {
        for ok in [
            "localhost",
            "localhost:7878",
            "127.0.0.1:1",
            "[::1]:80",
            "127.1.2.3",
        ] {
            assert!(is_loopback_host(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:7878",
            "10.0.0.1",
            "",
            "localhost.evil.com",
        ] {
            assert!(!is_loopback_host(bad), "{bad}");
        }
    }
}
