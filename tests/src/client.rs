//! A test WebSocket client over the daemon's Unix socket or loopback TCP (with a bearer
//! token): raw frames in, parsed frames out, every wait bounded so a broken daemon fails the
//! test instead of hanging it.

use chinwag_protocol::{ClientMsg, PROTOCOL_VERSION, ServerMsg};
use futures_util::{SinkExt, StreamExt};
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::UnixStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// A byte stream a test client runs over (a Unix socket or a TCP connection).
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Stream for T {}

/// Longest a test waits for one frame.
pub const FRAME_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug)]
pub struct TestClient {
    ws: Ws,
}

/// An upgrade the daemon refused: its HTTP status and `Retry-After`.
#[derive(Debug, PartialEq, Eq)]
pub struct HttpRefusal {
    pub status: u16,
    pub retry_after: Option<String>,
}

/// A WebSocket to the daemon, past the upgrade and before any frame.
pub type Ws = WebSocketStream<Box<dyn Stream>>;

/// The daemon's HTTP answer to a refused upgrade.
pub type Refused = tokio_tungstenite::tungstenite::http::Response<Option<Vec<u8>>>;

/// Upgrades over the Unix socket; the daemon's refusal when it says no (anything else
/// panics).
pub async fn upgrade_unix(socket: &Path) -> Result<Ws, Box<Refused>> {
    let stream = UnixStream::connect(socket)
        .await
        .expect("connect to the daemon socket");
    upgrade(
        Box::new(stream),
        "ws://localhost/".into_client_request().expect("request"),
    )
    .await
}

/// Upgrades over loopback TCP with these extra headers; the daemon's refusal when it says no.
pub async fn upgrade_tcp(
    addr: std::net::SocketAddr,
    headers: &[(&str, &str)],
) -> Result<Ws, Box<Refused>> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("tcp connect");
    let mut req = format!("ws://{addr}/")
        .into_client_request()
        .expect("request");
    for (k, v) in headers {
        let name = tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(k.as_bytes())
            .expect("header name");
        req.headers_mut()
            .insert(name, v.parse().expect("header value"));
    }
    upgrade(Box::new(stream), req).await
}

async fn upgrade(
    stream: Box<dyn Stream>,
    req: tokio_tungstenite::tungstenite::handshake::client::Request,
) -> Result<Ws, Box<Refused>> {
    match tokio_tungstenite::client_async(req, stream).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Err(resp),
        Err(e) => panic!("the upgrade failed without an HTTP answer: {e}"),
    }
}

impl TestClient {
    /// Connects without saying hello.
    pub async fn connect_raw(socket: &Path) -> TestClient {
        let ws = upgrade_unix(socket).await.expect("upgrade");
        TestClient { ws }
    }

    /// Connects over the Unix socket and says hello; the refusal's HTTP status (503 when
    /// the daemon is full) when the daemon says no.
    pub async fn try_connect(socket: &Path) -> Result<TestClient, u16> {
        let ws = upgrade_unix(socket)
            .await
            .map_err(|r| r.status().as_u16())?;
        let mut c = TestClient { ws };
        c.hello().await;
        Ok(c)
    }

    /// Upgrades over loopback TCP presenting `token` (if any) as `Authorization: Bearer`;
    /// the refusal's HTTP status when the daemon says no.
    pub async fn try_connect_tcp(
        addr: std::net::SocketAddr,
        token: Option<&str>,
    ) -> Result<TestClient, u16> {
        let auth = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> =
            auth.iter().map(|a| ("authorization", a.as_str())).collect();
        Self::try_connect_tcp_with(addr, &headers)
            .await
            .map_err(|refusal| refusal.status)
    }

    /// Upgrades over loopback TCP with these extra headers, then says hello; the refusal's
    /// HTTP status and `Retry-After` when the daemon says no.
    pub async fn try_connect_tcp_with(
        addr: std::net::SocketAddr,
        headers: &[(&str, &str)],
    ) -> Result<TestClient, HttpRefusal> {
        let ws = upgrade_tcp(addr, headers)
            .await
            .map_err(|resp| HttpRefusal {
                status: resp.status().as_u16(),
                retry_after: resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string),
            })?;
        let mut c = TestClient { ws };
        c.hello().await;
        Ok(c)
    }

    async fn hello(&mut self) {
        self.send(&ClientMsg::Hello {
            id: "hello".into(),
            protocol: PROTOCOL_VERSION,
            client: Some("test".into()),
        })
        .await;
        match self.recv().await {
            ServerMsg::Hello { .. } => {}
            other => panic!("expected hello, got {other:?}"),
        }
    }

    /// Connects and completes the hello exchange.
    pub async fn connect(socket: &Path) -> TestClient {
        let mut c = Self::connect_raw(socket).await;
        c.send(&ClientMsg::Hello {
            id: "hello".into(),
            protocol: PROTOCOL_VERSION,
            client: Some("test".into()),
        })
        .await;
        match c.recv().await {
            ServerMsg::Hello { .. } => c,
            other => panic!("expected hello, got {other:?}"),
        }
    }

    pub async fn send(&mut self, msg: &ClientMsg) {
        let text = serde_json::to_string(msg).expect("encode");
        self.send_text(&text).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.try_send_text(text).await.expect("send a frame");
    }

    /// Sends, reporting failure (the daemon may close mid-frame, e.g. on an oversized one).
    pub async fn try_send_text(
        &mut self,
        text: &str,
    ) -> Result<(), tokio_tungstenite::tungstenite::Error> {
        self.ws.send(Message::text(text.to_string())).await
    }

    /// The next frame of any kind (close frames included), or `None` at the end.
    pub async fn recv_frame(&mut self) -> Option<Message> {
        loop {
            let next = tokio::time::timeout(FRAME_TIMEOUT, self.ws.next())
                .await
                .expect("timed out waiting for a frame");
            match next {
                None | Some(Err(_)) => return None,
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(m)) => return Some(m),
            }
        }
    }

    /// The next protocol message; panics on close or garbage.
    pub async fn recv(&mut self) -> ServerMsg {
        match self.recv_frame().await {
            Some(Message::Text(t)) => {
                serde_json::from_str(t.as_str()).unwrap_or_else(|e| panic!("bad frame {t}: {e}"))
            }
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    /// Messages until (and including) the first for which `stop` holds.
    pub async fn until(&mut self, stop: impl Fn(&ServerMsg) -> bool) -> Vec<ServerMsg> {
        let mut out = Vec::new();
        loop {
            let m = self.recv().await;
            let end = stop(&m);
            out.push(m);
            if end {
                return out;
            }
        }
    }

    /// Sends a request and returns the first reply carrying its id.
    pub async fn call(&mut self, msg: ClientMsg) -> ServerMsg {
        let id = msg.id().to_string();
        self.send(&msg).await;
        loop {
            let m = self.recv().await;
            if m.id() == id {
                return m;
            }
        }
    }

    /// The first page of this user's conversations.
    pub async fn conversations(&mut self) -> Vec<chinwag_protocol::ConversationSummary> {
        let list = ClientMsg::ListConversations {
            id: "list".into(),
            limit: None,
            offset: None,
            cursor: None,
        };
        match self.call(list).await {
            ServerMsg::Conversations { items, .. } => items,
            other => panic!("expected conversations, got {other:?}"),
        }
    }

    /// The daemon's `status`.
    pub async fn status(&mut self) -> chinwag_protocol::StatusReply {
        match self.call(ClientMsg::Status { id: "st".into() }).await {
            ServerMsg::Status(st) => st,
            other => panic!("expected status, got {other:?}"),
        }
    }

    /// Waits (bounded) until the daemon counts exactly `n` open connections.
    pub async fn wait_connections(&mut self, n: u64) {
        let deadline = tokio::time::Instant::now() + FRAME_TIMEOUT;
        let mut pause = Duration::from_millis(2);
        loop {
            let now = self.status().await.connections;
            if now == n {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {n} connections (the daemon still counts {now})"
            );
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// Closes abruptly, like a client whose process died.
    pub fn vanish(self) {
        drop(self);
    }
}

/// A chat request with the usual test defaults: model `llama3.2`, a new conversation.
pub fn chat(id: &str, content: &str) -> ClientMsg {
    ClientMsg::Chat {
        id: id.into(),
        conversation: None,
        bot: None,
        model: Some("llama3.2".into()),
        content: content.into(),
        options: Default::default(),
        idempotency_key: None,
        replace_from: None,
        tools: None,
        attachments: Vec::new(),
        ephemeral: false,
    }
}

impl TestClient {
    /// Every message of a conversation (one `get_conversation`).
    pub async fn stored(
        &mut self,
        conversation: &chinwag_protocol::ConversationId,
    ) -> Vec<chinwag_protocol::StoredMessage> {
        match self
            .call(ClientMsg::GetConversation {
                id: "get".into(),
                conversation: conversation.clone(),
            })
            .await
        {
            ServerMsg::Conversation { messages, .. } => messages,
            other => panic!("expected conversation, got {other:?}"),
        }
    }
}

/// The text of all deltas (and replays) in `msgs`, as a client would assemble it.
pub fn assembled(msgs: &[ServerMsg]) -> String {
    let mut text = String::new();
    for m in msgs {
        match m {
            ServerMsg::Replay { content, .. } => text = content.clone(),
            ServerMsg::Delta { content, .. } => text.push_str(content),
            _ => {}
        }
    }
    text
}
