//! The network edge over loopback TCP: foreign `Origin`s and non-local `Host`s are refused at
//! the upgrade (403, before any WebSocket frame); a plain local client gets in. Non-loopback
//! addresses are refused at start-up.

use chinwag_protocol::{ClientMsg, PROTOCOL_VERSION, ServerMsg};
use chinwag_tests::fake_ollama::FakeOllama;
use chinwag_tests::harness::{TestDaemon, test_config};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error, Message};

async fn upgrade_status(
    addr: std::net::SocketAddr,
    header: Option<(&str, &str)>,
) -> Result<(), u16> {
    let mut req = format!("ws://{addr}/")
        .into_client_request()
        .expect("request");
    if let Some((k, v)) = header {
        let name = tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(k.as_bytes())
            .expect("header name");
        req.headers_mut()
            .insert(name, v.parse().expect("header value"));
    }
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("tcp connect");
    match tokio_tungstenite::client_async(req, stream).await {
        Ok((mut ws, _)) => {
            let hello = ClientMsg::Hello {
                id: "h".into(),
                protocol: PROTOCOL_VERSION,
                client: None,
            };
            ws.send(Message::text(
                serde_json::to_string(&hello).expect("encode"),
            ))
            .await
            .expect("send");
            match ws.next().await {
                Some(Ok(Message::Text(t))) => {
                    let m: ServerMsg = serde_json::from_str(t.as_str()).expect("frame");
                    assert!(matches!(m, ServerMsg::Hello { .. }), "{m:?}");
                    Ok(())
                }
                other => panic!("expected hello, got {other:?}"),
            }
        }
        Err(Error::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("unexpected upgrade failure: {e}"),
    }
}

#[tokio::test]
async fn tcp_upgrades_check_origin_and_host() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let mut config = test_config(dir.path(), &fake.host());
    config.listen = Some("127.0.0.1:0".parse().expect("addr"));
    let daemon = TestDaemon::start(dir.path(), config).await;
    let addr = daemon.tcp.expect("a tcp listener");

    assert_eq!(upgrade_status(addr, None).await, Ok(()));
    assert_eq!(
        upgrade_status(addr, Some(("origin", "http://evil.example"))).await,
        Err(403)
    );
    assert_eq!(
        upgrade_status(addr, Some(("host", "evil.example:7878"))).await,
        Err(403)
    );
    daemon.stop().await;
}

#[tokio::test]
async fn a_non_loopback_listen_address_is_refused_at_start() {
    let err = chinwagd::bind_tcp("0.0.0.0:0".parse().expect("addr"))
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("TLS"), "{err}");
}
