//! The WebSocket upgrade: limits from SECURITY.md §2, `Origin` and `Host` checks, a deadline.

use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
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

/// Accepts the upgrade, or refuses it with 403 before any WebSocket frame is exchanged.
pub async fn accept<S>(
    stream: S,
    max_message_bytes: usize,
    check_host: bool,
) -> Result<WebSocketStream<S>, String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    #[allow(
        clippy::result_large_err,
        reason = "the callback's type is tungstenite's"
    )]
    let callback = move |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        // No browser client exists yet, so any Origin is foreign (CSWSH defence).
        if req.headers().contains_key("origin") {
            return Err(reject(
                StatusCode::FORBIDDEN,
                "cross-origin WebSocket requests are refused",
            ));
        }
        if check_host {
            let host = req
                .headers()
                .get("host")
                .and_then(|h| h.to_str().ok())
                .unwrap_or("");
            if !is_loopback_host(host) {
                return Err(reject(StatusCode::FORBIDDEN, "Host must name this machine"));
            }
        }
        Ok(resp)
    };
    let fut = tokio_tungstenite::accept_hdr_async_with_config(
        stream,
        callback,
        Some(ws_config(max_message_bytes)),
    );
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, fut).await {
        Ok(Ok(ws)) => Ok(ws),
        Ok(Err(e)) => Err(format!("upgrade failed: {e}")),
        Err(_) => Err("upgrade timed out".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::is_loopback_host;

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
