//! Raw HTTP/1.1 against the daemon's listeners: a request written as bytes, the answer read
//! to the end (the daemon closes after every answer but a 101).

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// An HTTP answer read to its end: the status, the head's lines (lowercase names), the body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub head: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `request` as is and reads the answer until the daemon closes the connection.
pub async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, request: &str) -> Answer {
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    tokio::time::timeout(crate::client::FRAME_TIMEOUT, stream.read_to_end(&mut raw))
        .await
        .expect("the answer ends (the connection closes) within 15 s")
        .expect("the daemon answers and closes");
    let text = String::from_utf8(raw).expect("utf-8");
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let head = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        head,
        body: body.to_string(),
    }
}

/// `GET path` over `stream`, with these extra header lines (`Name: value`).
pub async fn get<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    path: &str,
    headers: &[String],
) -> Answer {
    let extra: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
    exchange(
        stream,
        &format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{extra}\r\n"),
    )
    .await
}
