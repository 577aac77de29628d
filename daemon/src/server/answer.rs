//! The HTTP answers the front gives: plain text, JSON, refusals with their headers. Every one
//! but the 101 closes the connection after it.

use super::caps::RETRY_AFTER_SECS_STR;
use crate::auth::Refusal;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};

pub type Body = Full<Bytes>;

/// An answer with `body` of `content_type`, after which the connection closes.
pub fn with_type(status: StatusCode, content_type: &'static str, body: String) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// A one-line plain-text answer.
pub fn text(status: StatusCode, body: &str) -> Response<Body> {
    with_type(status, "text/plain; charset=utf-8", format!("{body}\n"))
}

/// A JSON answer.
pub fn json(status: StatusCode, body: &serde_json::Value) -> Response<Body> {
    with_type(status, "application/json", format!("{body}\n"))
}

/// A refusal that says when to try again.
pub fn retry_later(status: StatusCode, body: &str) -> Response<Body> {
    let mut r = text(status, body);
    r.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_static(RETRY_AFTER_SECS_STR),
    );
    r
}

/// An authentication refusal: 401 carries the bearer challenge.
pub fn refused(refusal: Refusal) -> Response<Body> {
    let status = StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::FORBIDDEN);
    let mut r = text(status, refusal.reason);
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Bearer realm="chinwag""#),
        );
    }
    r
}
