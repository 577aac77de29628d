//! A client that knows only `shared/PROTOCOL.md`: JSON values over a WebSocket, no type from
//! the protocol crate, so what it checks is the document, not our own serde. Every wait is
//! bounded: a daemon that says nothing fails the test instead of hanging it.

use crate::client::{FRAME_TIMEOUT, Ws, upgrade_tcp, upgrade_unix};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::path::Path;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

/// One connection, speaking JSON.
#[derive(Debug)]
pub struct Wire {
    ws: Ws,
}

/// How a connection ended, as the client saw it.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// A close frame with this code.
    Closed(u16),
    /// The socket ended without a close frame.
    Dropped,
}

impl Wire {
    /// Upgrades over the Unix socket (no hello yet).
    pub async fn unix(socket: &Path) -> Wire {
        let ws = upgrade_unix(socket).await.expect("upgrade");
        Wire { ws }
    }

    /// Upgrades over loopback TCP with `Authorization: Bearer token` (no hello yet).
    pub async fn tcp(addr: std::net::SocketAddr, token: &str) -> Wire {
        let auth = format!("Bearer {token}");
        let ws = upgrade_tcp(addr, &[("authorization", &auth)])
            .await
            .expect("upgrade");
        Wire { ws }
    }

    /// Says hello; returns the daemon's `hello`.
    pub async fn hello(&mut self) -> Value {
        let answer = self
            .call(json!({"type": "hello", "id": "hello", "protocol": 1, "client": "wire/1"}))
            .await;
        assert_eq!(answer["type"], "hello", "{answer}");
        answer
    }

    /// A Unix-socket connection past its hello.
    pub async fn local(socket: &Path) -> Wire {
        let mut w = Wire::unix(socket).await;
        w.hello().await;
        w
    }

    /// A TCP connection past its hello.
    pub async fn remote(addr: std::net::SocketAddr, token: &str) -> Wire {
        let mut w = Wire::tcp(addr, token).await;
        w.hello().await;
        w
    }

    pub async fn send(&mut self, v: Value) {
        self.send_frame(Message::text(v.to_string())).await;
    }

    pub async fn send_frame(&mut self, m: Message) {
        self.ws.send(m).await.expect("send a frame");
    }

    /// The next frame of any kind (pings included); `None` once the connection has ended.
    pub async fn raw_frame(&mut self) -> Option<Message> {
        let next = tokio::time::timeout(FRAME_TIMEOUT, self.ws.next())
            .await
            .expect("the daemon sent nothing for 15 s");
        next.and_then(Result::ok)
    }

    /// The next frame that is not a ping or pong; `None` once the connection has ended.
    pub async fn frame(&mut self) -> Option<Message> {
        loop {
            match self.raw_frame().await {
                None => return None,
                Some(Message::Ping(_) | Message::Pong(_)) => {}
                Some(m) => return Some(m),
            }
        }
    }

    /// The next JSON frame; panics on anything else.
    pub async fn recv(&mut self) -> Value {
        match self.frame().await {
            Some(Message::Text(t)) => {
                serde_json::from_str(t.as_str()).unwrap_or_else(|e| panic!("not JSON {t}: {e}"))
            }
            other => panic!("expected a JSON text frame, got {other:?}"),
        }
    }

    /// Sends `request` and returns the first frame carrying its `id`.
    pub async fn call(&mut self, request: Value) -> Value {
        let id = request["id"].clone();
        self.send(request).await;
        loop {
            let v = self.recv().await;
            if v["id"] == id {
                return v;
            }
        }
    }

    /// Frames carrying `id`, up to and including the first of type `last`.
    pub async fn until(&mut self, id: &str, last: &str) -> Vec<Value> {
        let mut out = Vec::new();
        loop {
            let v = self.recv().await;
            if v["id"] != id {
                continue;
            }
            let end = v["type"] == last;
            out.push(v);
            if end {
                return out;
            }
        }
    }

    /// Sends `request`, then reads the frames carrying its id up to the first of type `last`.
    pub async fn until_send(&mut self, request: Value, last: &str) -> Vec<Value> {
        let id = request["id"].as_str().expect("an id").to_string();
        self.send(request).await;
        self.until(&id, last).await
    }

    /// Sends a chat and reads it to its `done` (or its `error`); returns every frame of it.
    pub async fn chat(&mut self, request: Value) -> Vec<Value> {
        let id = request["id"].as_str().expect("an id").to_string();
        self.send(request).await;
        let mut out = Vec::new();
        loop {
            let v = self.recv().await;
            if v["id"] != id.as_str() {
                continue;
            }
            let end = v["type"] == "done" || v["type"] == "error";
            out.push(v);
            if end {
                return out;
            }
        }
    }

    /// Reads until the connection ends; how it ended.
    pub async fn ended(&mut self) -> Ended {
        loop {
            match self.frame().await {
                None => return Ended::Dropped,
                Some(Message::Close(Some(CloseFrame { code, .. }))) => {
                    return Ended::Closed(code.into());
                }
                Some(Message::Close(None)) => return Ended::Closed(1005),
                Some(_) => {}
            }
        }
    }
}

/// A chat in a new conversation, model `llama3.2`.
pub fn chat(id: &str, content: &str) -> Value {
    json!({"type": "chat", "id": id, "model": "llama3.2", "content": content})
}

/// The last frame of a chat's frames.
pub fn last(frames: &[Value]) -> &Value {
    frames.last().expect("at least one frame")
}

/// The reply's text as PROTOCOL.md says to assemble it: a `replay` replaces what is held,
/// a `delta` appends.
pub fn text(frames: &[Value]) -> String {
    let mut held = String::new();
    for f in frames {
        let piece = f["content"].as_str().unwrap_or("");
        if f["type"] == "replay" {
            held = piece.to_string();
        } else if f["type"] == "delta" {
            held.push_str(piece);
        }
    }
    held
}

/// The conversation a chat's frames name.
pub fn conversation(frames: &[Value]) -> String {
    frames
        .iter()
        .find_map(|f| f["conversation"].as_str())
        .expect("a frame names the conversation")
        .to_string()
}
