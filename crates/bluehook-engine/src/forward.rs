//! Forwarding a capture: the same method, headers and body bytes sent to another URL (a
//! developer's app on localhost), and what came back.

use serde::Serialize;
use std::time::Duration;

use crate::captures::Capture;
use crate::http::{header, Client, Target};

/// What a forwarded capture got back.
#[derive(Debug, Clone, Serialize)]
pub struct Forwarded {
    /// The URL called.
    pub url: String,
    /// Status, when an answer came.
    pub status: Option<u16>,
    /// Response headers.
    pub headers: Vec<(String, String)>,
    /// Start of the response body (lossy text).
    pub body: String,
    /// Time taken, ms.
    pub latency_ms: f64,
    /// Why there was no answer.
    pub error: Option<String>,
}

/// Headers not sent again when forwarding (they describe the original connection).
const HOP_HEADERS: [&str; 9] = [
    "host",
    "content-length",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "expect",
    "proxy-connection",
];

/// Sends a capture again, to `url` (with the capture's query appended when `keep_query`):
/// same method, headers and body bytes. The caller refuses incomplete captures (their body
/// was cut at the size limit).
pub async fn forward(capture: &Capture, url: &str, keep_query: bool) -> Forwarded {
    let started = std::time::Instant::now();
    let mut out = Forwarded {
        url: url.to_owned(),
        status: None,
        headers: Vec::new(),
        body: String::new(),
        latency_ms: 0.0,
        error: None,
    };
    let target = match Target::parse(url) {
        Ok(t) => t,
        Err(e) => {
            out.error = Some(e.to_string());
            return out;
        }
    };
    let query = keep_query
        .then(|| capture.target.split_once('?').map(|(_, q)| q))
        .flatten()
        .filter(|q| !q.is_empty());
    let method = axum::http::Method::from_bytes(capture.method.as_bytes())
        .unwrap_or(axum::http::Method::POST);
    let mut headers = axum::http::HeaderMap::new();
    for (k, v) in &capture.headers {
        if HOP_HEADERS.contains(&k.to_ascii_lowercase().as_str()) {
            continue;
        }
        if let Ok((k, v)) = header(k, v) {
            headers.append(k, v);
        }
    }
    let mut client = Client::new(10);
    let answer = client
        .send(
            method,
            &target,
            query.as_slice(),
            &headers,
            capture.body.clone(),
            Duration::from_secs(30),
        )
        .await;
    out.latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    match answer {
        Ok(a) => {
            out.status = Some(a.status.as_u16());
            out.headers = crate::http::header_pairs(&a.headers);
            out.body = String::from_utf8_lossy(&a.body).into_owned();
        }
        Err(e) => out.error = Some(e.to_string()),
    }
    out
}
