//! The operations endpoints on every listener, beside the WebSocket: `GET /health` (alive:
//! version, uptime), `GET /ready` (the store takes writes and Ollama answers; 503 with the
//! reasons when not) and `GET /metrics` (Prometheus). Loopback and the Unix socket may read
//! everything; elsewhere `/metrics` and the reasons of `/ready` need an `admin` token.

use super::Admission;
use super::answer::{self, Body};
use crate::auth::{Refusal, presented_token};
use crate::daemon::Daemon;
use hyper::{Request, Response, StatusCode};
use serde_json::json;
use std::time::Duration;

/// How long each readiness check may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// OpenMetrics' content type, which Prometheus asks for and understands.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The answer for an operations path, or `None` for any other path.
pub async fn route<B>(
    d: &Daemon,
    admission: &Admission,
    req: &Request<B>,
) -> Option<Response<Body>> {
    match req.uri().path() {
        "/health" => Some(health(d)),
        "/ready" => Some(ready(d, observer(d, admission, req).is_ok()).await),
        "/metrics" => Some(match observer(d, admission, req) {
            Ok(()) => answer::with_type(StatusCode::OK, OPENMETRICS, d.metrics.encode()),
            Err(refusal) => answer::refused(refusal),
        }),
        _ => None,
    }
}

/// Whether this request may read the daemon's insides: on the Unix socket or from loopback,
/// yes; otherwise only with a valid token that has the `admin` scope.
fn observer<B>(d: &Daemon, admission: &Admission, req: &Request<B>) -> Result<(), Refusal> {
    match admission {
        Admission::Local(_) => Ok(()),
        Admission::Tcp { peer, proxied, .. } if peer.is_loopback() && !proxied => Ok(()),
        Admission::Tcp { .. } => {
            let header = |name: &str| req.headers().get(name).and_then(|h| h.to_str().ok());
            let (token, _) =
                presented_token(header("authorization"), None).ok_or(Refusal::MISSING)?;
            let who = d.tokens.authenticate(token, crate::store::now_ms())?;
            if who.scopes.admin {
                Ok(())
            } else {
                Err(Refusal {
                    status: 403,
                    reason: "this token lacks the admin scope, which /metrics needs",
                })
            }
        }
    }
}

fn health(d: &Daemon) -> Response<Body> {
    answer::json(
        StatusCode::OK,
        &json!({"status": "ok", "version": env!("CARGO_PKG_VERSION"),
                "uptime_ms": d.uptime_ms()}),
    )
}

/// Ready when the store takes a write and Ollama answers, each within two seconds, and the
/// daemon is not stopping. The reasons are shown only to those who may see them.
async fn ready(d: &Daemon, detailed: bool) -> Response<Body> {
    let store = async {
        match tokio::time::timeout(CHECK_TIMEOUT, d.store.probe_write()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("the store does not take writes: {e}")),
            Err(_) => Err("the store did not take a write within 2 s".to_string()),
        }
    };
    let ollama = async {
        match tokio::time::timeout(CHECK_TIMEOUT, d.ollama.version()).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!(
                "Ollama at {} did not answer within 2 s",
                d.ollama.base_url()
            )),
        }
    };
    let (store, ollama) = tokio::join!(store, ollama);
    let stopping = d.shutdown.is_cancelled();
    let ok = store.is_ok() && ollama.is_ok() && !stopping;
    let say = |r: &Result<(), String>| match r {
        Ok(()) => "ok".to_string(),
        Err(why) if detailed => why.clone(),
        Err(_) => "failing".to_string(),
    };
    let mut checks = json!({"store": say(&store), "ollama": say(&ollama)});
    if stopping {
        checks["daemon"] = json!("shutting down");
    }
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    answer::json(status, &json!({"ready": ok, "checks": checks}))
}
