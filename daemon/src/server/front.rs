//! The HTTP/1.1 front of every listener (hyper). A WebSocket upgrade is admitted, or refused
//! with a real HTTP answer before any frame (401 with `WWW-Authenticate`, 403, 429 or 503
//! with `Retry-After`); any other request gets a plain answer instead of a closed socket. An
//! admitted upgrade becomes a session on the same task, holding its places under the caps.

use super::Admission;
use super::answer::{self, Body, retry_later, text};
use super::caps::{AddrSlot, Caps, OpenSocket};
use super::registry::Registry;
use super::session::{self, Held};
use super::upgrade::{self, BadHandshake, HANDSHAKE_TIMEOUT};
use crate::auth::Identity;
use crate::daemon::Daemon;
use crate::metrics::Transport;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::upgrade::OnUpgrade;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::Role;
use tracing::Instrument;

/// The largest request head read (hyper's buffer; its floor is 8 KiB).
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// What a connection comes to the front with: how its peer is named, the registry it would
/// join, the caps, its socket's place (`None`: the daemon is full, every request gets 503),
/// and its handshake's place, held until the upgrade is done.
#[derive(Debug)]
pub(super) struct Door {
    pub admission: Admission,
    pub transport: Transport,
    pub live: Arc<Registry>,
    pub caps: Arc<Caps>,
    pub open: Option<OpenSocket>,
    pub handshake: Option<AddrSlot>,
}

/// An upgrade answered 101, waiting for hyper to hand over the socket.
struct Upgrading {
    on_upgrade: OnUpgrade,
    who: Identity,
    client: AddrSlot,
}

/// What the request handler sees.
struct Gate {
    d: Arc<Daemon>,
    admission: Admission,
    live: Arc<Registry>,
    caps: Arc<Caps>,
    full: bool,
    upgrading: Mutex<Option<Upgrading>>,
}

/// Numbers connections for the logs.
static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(1);

/// Serves one connection, in a span naming it (id, transport, then its user) for every line
/// logged on its behalf.
pub(super) async fn serve<S>(d: Arc<Daemon>, stream: S, door: Door)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let span = tracing::info_span!(
        "conn",
        id = NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed),
        transport = door.transport.as_str(),
        user = tracing::field::Empty,
    );
    serve_in_span(d, stream, door).instrument(span).await;
}

/// HTTP until an upgrade is admitted, then the WebSocket session.
async fn serve_in_span<S>(d: Arc<Daemon>, stream: S, door: Door)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let Door {
        admission,
        transport,
        live,
        caps,
        open,
        handshake,
    } = door;
    let gate = Arc::new(Gate {
        d: Arc::clone(&d),
        admission,
        live: Arc::clone(&live),
        caps,
        full: open.is_none(),
        upgrading: Mutex::new(None),
    });
    let handler = Arc::clone(&gate);
    let service = hyper::service::service_fn(move |req| {
        let gate = Arc::clone(&handler);
        async move { Ok::<_, Infallible>(respond(&gate, req).await) }
    });
    // One request per connection (every answer but the 101 says `Connection: close`): the
    // front exists to upgrade, and to answer a probe.
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HANDSHAKE_TIMEOUT)
        .max_buf_size(MAX_HEAD_BYTES);
    let conn = http
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, conn).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::debug!(error = %e, "HTTP connection failed"),
        Err(_) => tracing::debug!("HTTP request timed out"),
    }
    let (Some(open), Some(up)) = (open, gate.upgrading.lock().ok().and_then(|mut u| u.take()))
    else {
        return;
    };
    let upgraded = match up.on_upgrade.await {
        Ok(u) => u,
        Err(e) => {
            tracing::debug!(error = %e, "the upgrade did not complete");
            return;
        }
    };
    drop(handshake);
    tracing::Span::current().record("user", up.who.display.as_str());
    let config = upgrade::ws_config(d.config().max_message_bytes);
    let ws =
        WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await;
    let held = Held {
        live,
        _open: open,
        _client: up.client,
        _counted: d.metrics.connected(transport),
    };
    session::run(d, ws, up.who, held).await;
}

/// The answer to one request.
async fn respond(g: &Gate, req: Request<Incoming>) -> Response<Body> {
    if g.full {
        g.d.metrics.rate_limited("connections");
        return retry_later(
            StatusCode::SERVICE_UNAVAILABLE,
            "the daemon is full; try again shortly",
        );
    }
    if !upgrade::wants_websocket(req.headers()) {
        if let Some(answer) = super::ops::route(&g.d, &g.admission, &req).await {
            return answer;
        }
        return plain(&req);
    }
    let answer = upgrade_or_refuse(g, req);
    if answer.status() != StatusCode::SWITCHING_PROTOCOLS {
        g.d.metrics.upgrade_refused(answer.status().as_u16());
    }
    answer
}

/// The answer to a WebSocket upgrade: 101, or why not.
fn upgrade_or_refuse(g: &Gate, mut req: Request<Incoming>) -> Response<Body> {
    if req.method() != Method::GET || req.version() != hyper::Version::HTTP_11 {
        return text(
            StatusCode::BAD_REQUEST,
            "a WebSocket upgrade is an HTTP/1.1 GET",
        );
    }
    let accept = match upgrade::accept_key(req.headers()) {
        Ok(a) => a,
        Err(BadHandshake::Malformed(why)) => return text(StatusCode::BAD_REQUEST, why),
        Err(BadHandshake::Version) => {
            let mut r = text(
                StatusCode::UPGRADE_REQUIRED,
                "this daemon speaks WebSocket version 13",
            );
            r.headers_mut().insert(
                header::SEC_WEBSOCKET_VERSION,
                HeaderValue::from_static("13"),
            );
            return r;
        }
    };
    let admitted = match upgrade::admit(
        req.headers(),
        &g.admission,
        &g.d.tokens,
        crate::store::now_ms(),
    ) {
        Ok(a) => a,
        Err(refusal) => return answer::refused(refusal),
    };
    let caps = g.d.config().caps;
    // Token users are capped each; the daemon's own OS user only by the total.
    let who = admitted.who;
    if who.token.is_some() && g.live.count_owner(&who.owner) >= caps.max_connections_per_user {
        g.d.metrics.rate_limited("connections_per_user");
        return retry_later(
            StatusCode::TOO_MANY_REQUESTS,
            "too many connections for this user; close some first",
        );
    }
    let Some(client) = g
        .caps
        .clients
        .take(admitted.client, caps.max_connections_per_ip)
    else {
        tracing::info!(client = ?admitted.client, "too many connections from this address");
        g.d.metrics.rate_limited("connections_per_ip");
        return retry_later(
            StatusCode::TOO_MANY_REQUESTS,
            "too many connections from this address; close some first",
        );
    };
    let on_upgrade = hyper::upgrade::on(&mut req);
    if let Ok(mut u) = g.upgrading.lock() {
        *u = Some(Upgrading {
            on_upgrade,
            who,
            client,
        });
    }
    let mut r = Response::new(Body::default());
    *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = r.headers_mut();
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    h.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    if admitted.by_subprotocol {
        // A browser sent the token as a subprotocol; the answer must pick one it offered.
        h.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("chinwag"),
        );
    }
    r
}

/// A request that is not an upgrade: say what this address is.
fn plain(req: &Request<Incoming>) -> Response<Body> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = text(
            StatusCode::METHOD_NOT_ALLOWED,
            "chinwagd answers GET (a WebSocket upgrade)",
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let mut r = text(
        StatusCode::UPGRADE_REQUIRED,
        "chinwagd: this address speaks the chinwag protocol over WebSocket; \
         connect with `chinwag --url URL`",
    );
    r.headers_mut()
        .insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    r
}
