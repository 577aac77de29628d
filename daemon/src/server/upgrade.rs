//! The WebSocket upgrade: limits from SECURITY.md §2, `Origin` and `Host` checks, the bearer
//! token of a TCP peer (401 before the 101), a deadline.

use super::Admission;
use crate::auth::{Identity, Refusal, TokenIndex, presented_token};
use crate::daemon::Daemon;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
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

fn reject(status: StatusCode, why: &str) -> ErrorResponse {
    let mut r = ErrorResponse::new(Some(why.to_string()));
    *r.status_mut() = status;
    r
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

/// A refusal as tungstenite sends it: the status, a reason in the body, and for 401 the
/// `WWW-Authenticate` challenge.
fn refuse(refusal: Refusal) -> ErrorResponse {
    let status = StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::FORBIDDEN);
    let mut r = reject(status, refusal.reason);
    if refusal.status == 401
        && let Ok(v) = HeaderValue::from_str(r#"Bearer realm="chinwag""#)
    {
        r.headers_mut().insert("www-authenticate", v);
    }
    r
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

/// Checks one upgrade request and names its peer. Pure over the request's headers.
fn admit(
    req: &Request,
    admission: &Admission,
    tokens: &TokenIndex,
    now_ms: i64,
) -> Result<(Identity, bool), Refusal> {
    // No browser client exists yet, so any Origin is foreign (CSWSH defence).
    if req.headers().contains_key("origin") {
        return Err(Refusal {
            status: 403,
            reason: "cross-origin WebSocket requests are refused",
        });
    }
    match admission {
        Admission::Local(who) => Ok((who.clone(), false)),
        Admission::Tcp {
            check_host,
            peer,
            proxied,
        } => {
            let header = |name: &str| req.headers().get(name).and_then(|h| h.to_str().ok());
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
            Ok((who, by_subprotocol))
        }
    }
}

/// Accepts the upgrade and names the peer, or refuses it (401, 403) before any WebSocket
/// frame is exchanged.
pub async fn accept<S>(
    stream: S,
    d: &Daemon,
    admission: Admission,
    user_is_full: &(dyn Fn(&Identity) -> bool + Sync),
) -> Result<(WebSocketStream<S>, Identity), String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let admitted: Arc<Mutex<Option<Identity>>> = Arc::default();
    let slot = Arc::clone(&admitted);
    let now_ms = crate::store::now_ms();
    #[allow(
        clippy::result_large_err,
        reason = "the callback's type is tungstenite's"
    )]
    let callback = |req: &Request, mut resp: Response| -> Result<Response, ErrorResponse> {
        let (who, by_subprotocol) = admit(req, &admission, &d.tokens, now_ms).map_err(refuse)?;
        if user_is_full(&who) {
            let mut r = reject(
                StatusCode::TOO_MANY_REQUESTS,
                "too many connections for this user; close some first",
            );
            r.headers_mut().insert(
                "retry-after",
                HeaderValue::from_static(super::caps::RETRY_AFTER_SECS_STR),
            );
            return Err(r);
        }
        if by_subprotocol {
            // A browser sent the token as a subprotocol; the answer must pick one it offered.
            resp.headers_mut().insert(
                "sec-websocket-protocol",
                HeaderValue::from_static("chinwag"),
            );
        }
        if let Ok(mut s) = slot.lock() {
            *s = Some(who);
        }
        Ok(resp)
    };
    let fut = tokio_tungstenite::accept_hdr_async_with_config(
        stream,
        callback,
        Some(ws_config(d.config().max_message_bytes)),
    );
    let ws = match tokio::time::timeout(HANDSHAKE_TIMEOUT, fut).await {
        Ok(Ok(ws)) => ws,
        Ok(Err(e)) => return Err(format!("upgrade failed: {e}")),
        Err(_) => return Err("upgrade timed out".into()),
    };
    let who = admitted
        .lock()
        .ok()
        .and_then(|mut s| s.take())
        .ok_or("the upgrade named no peer")?;
    Ok((ws, who))
}

#[cfg(test)]
mod tests {
    use super::{client_addr, is_loopback_host};
    use std::net::IpAddr;

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
