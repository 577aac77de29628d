//! A WebSocket connection to a daemon, over the local Unix socket or a `ws://` URL.
//!
//! Opening one performs the `hello` exchange. [`Connection::call`] is request/response;
//! [`Connection::send`] + [`Connection::recv`] are for streams (a chat).

use crate::exit::ClientError;
use chinwag_protocol::{ClientMsg, ErrorBody, ErrorCode, PROTOCOL_VERSION, ServerMsg};
use futures_util::{SinkExt, StreamExt};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Any byte stream a WebSocket can run over.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Where a daemon listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Unix(PathBuf),
    Url(Remote),
}

/// A daemon reached by URL: where, with which token, trusting what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    /// `ws://` (loopback) or `wss://`.
    pub url: String,
    pub token: Option<String>,
    pub trust: crate::tls::Trust,
}

impl Remote {
    /// For the status line: the host and port, and how the connection is secured (no TLS,
    /// TLS checked by the public CAs, by a private CA, or pinned to a fingerprint).
    pub fn label(&self) -> String {
        let (tls, rest) = match self.url.split_once("://") {
            Some(("wss", rest)) => (true, rest),
            Some((_, rest)) => (false, rest),
            None => (false, self.url.as_str()),
        };
        let host = rest.split(['/', '?']).next().unwrap_or(rest);
        let how = if !tls {
            "no TLS".to_string()
        } else if let Some(fp) = self
            .trust
            .fingerprint
            .as_deref()
            .and_then(crate::tls::parse_fingerprint)
        {
            let head: Vec<String> = fp[..4].iter().map(|b| format!("{b:02X}")).collect();
            format!("TLS, pinned {}…", head.join(":"))
        } else if self.trust.ca_file.is_some() {
            "TLS, private CA".to_string()
        } else {
            "TLS".to_string()
        };
        format!("{host} · {how}")
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Unix(p) => write!(f, "{}", p.display()),
            Endpoint::Url(r) => f.write_str(&r.url),
        }
    }
}

/// What the daemon said in its `hello`.
#[derive(Debug, Clone)]
pub struct ServerHello {
    pub server: String,
    pub user: String,
    pub max_message_bytes: u64,
}

/// An open, greeted connection.
pub struct Connection {
    ws: WebSocketStream<Box<dyn Io>>,
    next_id: u64,
    pub hello: ServerHello,
    pub endpoint: Endpoint,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// Replies from the daemon can be large (a whole conversation).
fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(64 << 20))
        .max_frame_size(Some(64 << 20))
}

async fn open_stream(endpoint: &Endpoint) -> Result<(Box<dyn Io>, String), ClientError> {
    match endpoint {
        Endpoint::Unix(path) => {
            check_socket_dir(path)?;
            let s = tokio::net::UnixStream::connect(path).await.map_err(|e| {
                ClientError::DaemonUnreachable(format!(
                    "no chinwag daemon at {} ({e})",
                    path.display()
                ))
            })?;
            check_peer(&s, path)?;
            Ok((Box::new(s), "ws://localhost/".to_string()))
        }
        Endpoint::Url(remote) => {
            let url = &remote.url;
            let uri: tokio_tungstenite::tungstenite::http::Uri = url
                .parse()
                .map_err(|e| ClientError::Usage(format!("bad --url {url:?}: {e}")))?;
            let tls = match uri.scheme_str() {
                Some("ws") => false,
                Some("wss") => true,
                _ => {
                    return Err(ClientError::Usage(format!(
                        "--url must start with wss:// (or ws:// on loopback), not {url:?}"
                    )));
                }
            };
            let host = uri
                .host()
                .ok_or_else(|| ClientError::Usage(format!("--url {url:?} has no host")))?;
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
            let loopback = host == "localhost"
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if !tls && !loopback {
                return Err(ClientError::Usage(format!(
                    "{url}: a token must not cross the network in clear; use wss://"
                )));
            }
            let s = tokio::net::TcpStream::connect((host, port))
                .await
                .map_err(|e| {
                    ClientError::DaemonUnreachable(format!(
                        "cannot reach a chinwag daemon at {url} ({e})"
                    ))
                })?;
            let _ = s.set_nodelay(true);
            if !tls {
                return Ok((Box::new(s), url.clone()));
            }
            let (connector, shown) = crate::tls::connector(&remote.trust)?;
            let name = rustls::pki_types::ServerName::try_from(host.to_string()).map_err(|e| {
                ClientError::Usage(format!(
                    "{host:?} cannot be checked against a certificate: {e}"
                ))
            })?;
            let stream = connector.connect(name, s).await.map_err(|e| {
                let seen = shown.lock().ok().and_then(|mut s| s.take());
                crate::tls::refusal(host, &remote.trust, seen, &e)
            })?;
            Ok((Box::new(stream), url.clone()))
        }
    }
}

/// The socket's directory must be ours and closed to other users' writes before we connect:
/// with no `XDG_RUNTIME_DIR` it lives in the shared temp dir, where anyone could create it
/// first. A missing directory just means no daemon runs yet.
fn check_socket_dir(socket: &Path) -> Result<(), ClientError> {
    let Some(dir) = socket.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    match chinwagd::private_fs::check_dir(dir) {
        Ok(()) => Ok(()),
        Err(chinwagd::private_fs::PrivateDirError::Io { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            Err(ClientError::DaemonUnreachable(format!(
                "no chinwag daemon at {} (no such directory)",
                socket.display()
            )))
        }
        Err(e) => Err(ClientError::Unsafe(format!(
            "not connecting to {}: {e}",
            socket.display()
        ))),
    }
}

/// The process behind the socket must run as this user (`SO_PEERCRED`), checked before a
/// single byte is sent: anything else could be another user capturing prompts.
fn check_peer(stream: &tokio::net::UnixStream, socket: &Path) -> Result<(), ClientError> {
    let me = chinwagd::private_fs::my_uid();
    let peer = stream.peer_cred().map(|c| c.uid()).map_err(|e| {
        ClientError::Unsafe(format!(
            "not talking to {}: cannot tell who listens there ({e})",
            socket.display()
        ))
    })?;
    if peer != me {
        return Err(ClientError::Unsafe(format!(
            "not talking to {}: it is served by uid {peer}, not by you (uid {me}); another \
             user may have put it there — remove it, or set XDG_RUNTIME_DIR",
            socket.display()
        )));
    }
    Ok(())
}

impl Connection {
    /// Connects and says hello.
    pub async fn open(endpoint: &Endpoint) -> Result<Connection, ClientError> {
        let (stream, url) = open_stream(endpoint).await?;
        let mut request = url
            .into_client_request()
            .map_err(|e| ClientError::Usage(format!("bad URL {endpoint}: {e}")))?;
        if let Endpoint::Url(Remote {
            token: Some(token), ..
        }) = endpoint
        {
            let value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                ClientError::Usage("the token has characters a header cannot carry".into())
            })?;
            request.headers_mut().insert("authorization", value);
        }
        let (ws, _) =
            tokio_tungstenite::client_async_with_config(request, stream, Some(ws_config()))
                .await
                .map_err(|e| refused(endpoint, e))?;
        let mut conn = Connection {
            ws,
            next_id: 0,
            hello: ServerHello {
                server: String::new(),
                user: String::new(),
                max_message_bytes: 0,
            },
            endpoint: endpoint.clone(),
        };
        let reply = conn
            .call(|id| ClientMsg::Hello {
                id,
                protocol: PROTOCOL_VERSION,
                client: Some(concat!("chinwag/", env!("CARGO_PKG_VERSION")).into()),
            })
            .await?;
        match reply {
            ServerMsg::Hello {
                server,
                user,
                max_message_bytes,
                ..
            } => {
                conn.hello = ServerHello {
                    server,
                    user,
                    max_message_bytes,
                };
                Ok(conn)
            }
            other => Err(unexpected(&other)),
        }
    }

    /// A fresh request id.
    pub fn next_id(&mut self) -> String {
        self.next_id += 1;
        self.next_id.to_string()
    }

    pub async fn send(&mut self, msg: &ClientMsg) -> Result<(), ClientError> {
        let text = serde_json::to_string(msg)
            .map_err(|e| ClientError::Connection(format!("encoding a request: {e}")))?;
        self.ws
            .send(Message::text(text))
            .await
            .map_err(|e| ClientError::Connection(format!("sending to the daemon: {e}")))
    }

    /// The next message from the daemon. A closed connection is an error.
    pub async fn recv(&mut self) -> Result<ServerMsg, ClientError> {
        loop {
            match self.ws.next().await {
                None => {
                    return Err(ClientError::Connection(
                        "the daemon closed the connection".into(),
                    ));
                }
                Some(Err(e)) => {
                    return Err(ClientError::Connection(format!(
                        "the connection to the daemon broke: {e}"
                    )));
                }
                Some(Ok(Message::Text(t))) => {
                    return serde_json::from_str(t.as_str()).map_err(|e| {
                        ClientError::Connection(format!(
                            "the daemon sent a message this client does not understand: {e}"
                        ))
                    });
                }
                Some(Ok(Message::Close(frame))) => {
                    let why = frame
                        .map(|f| format!(" ({}: {})", u16::from(f.code), f.reason))
                        .unwrap_or_default();
                    return Err(ClientError::Connection(format!(
                        "the daemon closed the connection{why}"
                    )));
                }
                Some(Ok(_)) => {}
            }
        }
    }

    /// Sends a request built with a fresh id and waits for the reply with that id.
    /// An `error` reply becomes [`ClientError::Server`].
    pub async fn call(
        &mut self,
        make: impl FnOnce(String) -> ClientMsg,
    ) -> Result<ServerMsg, ClientError> {
        let id = self.next_id();
        self.send(&make(id.clone())).await?;
        loop {
            let msg = self.recv().await?;
            if msg.id() != id {
                continue;
            }
            return match msg {
                ServerMsg::Error {
                    code,
                    message,
                    retry_after_ms,
                    ..
                } => Err(ClientError::from_frame(code, message, retry_after_ms)),
                other => Ok(other),
            };
        }
    }
}

/// What a refused upgrade means for the user: 401/403 are exit 5 with what to do, 429 and
/// 503 say when to come back, anything else is "unreachable".
fn refused(endpoint: &Endpoint, e: tokio_tungstenite::tungstenite::Error) -> ClientError {
    use tokio_tungstenite::tungstenite::Error as WsError;
    let WsError::Http(resp) = &e else {
        return ClientError::DaemonUnreachable(format!(
            "the daemon at {endpoint} refused the connection: {e}"
        ));
    };
    let body = resp
        .body()
        .as_deref()
        .map(|b| String::from_utf8_lossy(b).trim().to_string())
        .filter(|b| !b.is_empty());
    let why = body.unwrap_or_else(|| resp.status().to_string());
    let retry_after_ms = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
        .map(|s| s * 1000);
    let (code, hint) = match resp.status().as_u16() {
        401 => (
            ErrorCode::Unauthorized,
            "; give a token with --token-file or CHINWAG_TOKEN (chinwagd token create)",
        ),
        403 => (ErrorCode::Forbidden, ""),
        429 => (ErrorCode::RateLimited, ""),
        503 => (ErrorCode::BackendBusy, ""),
        _ => {
            return ClientError::DaemonUnreachable(format!(
                "the daemon at {endpoint} refused the connection: {why}"
            ));
        }
    };
    ClientError::Server(ErrorBody {
        code,
        message: format!("{endpoint} refused the connection: {why}{hint}"),
        retry_after_ms,
    })
}

/// For replies of the wrong type.
pub fn unexpected(msg: &ServerMsg) -> ClientError {
    ClientError::Connection(format!("unexpected reply from the daemon: {msg:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::Trust;

    fn remote(url: &str, trust: Trust) -> Remote {
        Remote {
            url: url.into(),
            token: None,
            trust,
        }
    }

    #[test]
    fn the_status_label_says_the_host_and_how_it_is_secured() {
        let public = remote("wss://gpu.example:8443/", Trust::default());
        assert_eq!(public.label(), "gpu.example:8443 · TLS");
        let pinned = remote(
            "wss://10.0.0.7:8443",
            Trust {
                fingerprint: Some(format!("ab:cd:{}", "0".repeat(60))),
                ..Trust::default()
            },
        );
        assert_eq!(pinned.label(), "10.0.0.7:8443 · TLS, pinned AB:CD:00:00…");
        let private = remote(
            "wss://gpu:8443",
            Trust {
                ca_file: Some("ca.pem".into()),
                ..Trust::default()
            },
        );
        assert_eq!(private.label(), "gpu:8443 · TLS, private CA");
        assert_eq!(
            remote("ws://127.0.0.1:7777", Trust::default()).label(),
            "127.0.0.1:7777 · no TLS"
        );
    }
}
