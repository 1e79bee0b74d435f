//! The catcher's part of the admin API (same listener, same bearer token).
//!
//! | call | what |
//! |---|---|
//! | `GET /api/v1/bins` | bins: settings (secrets as `***`), capture count, newest capture time |
//! | `GET /api/v1/bins/{bin}` | one bin |
//! | `PUT /api/v1/bins/{bin}` | create a bin or replace its settings (JSON [`BinConfig`]); its script starts over |
//! | `DELETE /api/v1/bins/{bin}` | delete a bin and its captures |
//! | `DELETE /api/v1/bins/{bin}/captures` | delete its captures, start its script over |
//! | `GET /api/v1/bins/{bin}/captures?before=&limit=` | captures, newest first, decoded, with verdicts |
//! | `GET /api/v1/captures/{id}` | one capture, decoded, with verdicts |
//! | `GET /api/v1/captures/{id}/body` | its body bytes as received |
//! | `POST /api/v1/captures/{id}/forward` | send it again to `{"url": …, "keep_query": true}` and show the answer |
//!
//! Live captures come through `GET /api/v1/stream` as `capture` messages.

use axum::body::Body;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use std::sync::Arc;

use crate::admin::{error, AdminState};
use crate::captures::CaptureReader;
use crate::catcher::{BinConfig, Catcher, CatcherError};

/// The routes, to merge into the admin router.
pub fn routes() -> Router<Arc<AdminState>> {
    Router::new()
        .route("/api/v1/bins", get(list))
        .route("/api/v1/bins/{bin}", get(one).put(put).delete(delete))
        .route("/api/v1/bins/{bin}/captures", get(captures).delete(clear))
        .route("/api/v1/captures/{id}", get(capture))
        .route("/api/v1/captures/{id}/body", get(body))
        .route("/api/v1/captures/{id}/forward", post(forward))
}

/// The answer when the catcher is turned off.
struct CatcherOff;

impl IntoResponse for CatcherOff {
    fn into_response(self) -> Response {
        error(StatusCode::SERVICE_UNAVAILABLE, "the catcher is off")
    }
}

fn catcher(state: &AdminState) -> Result<&Arc<Catcher>, CatcherOff> {
    state.catcher.as_ref().ok_or(CatcherOff)
}

fn catcher_error(e: CatcherError) -> Response {
    let status = match e {
        CatcherError::BadName(_) | CatcherError::BadReply { .. } => StatusCode::BAD_REQUEST,
        CatcherError::NoBin(_) => StatusCode::NOT_FOUND,
        CatcherError::Stopped => StatusCode::SERVICE_UNAVAILABLE,
    };
    error(status, &e.to_string())
}

/// Runs a read of the catcher's database on a blocking thread.
async fn read<T: Send + 'static>(
    catcher: &Catcher,
    f: impl FnOnce(&CaptureReader) -> Result<T, crate::store::StoreError> + Send + 'static,
) -> Result<T, Response> {
    let db = catcher.db().to_owned();
    tokio::task::spawn_blocking(move || CaptureReader::open(&db).and_then(|r| f(&r)))
        .await
        .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()))?
        .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()))
}

fn bin_json(
    name: &str,
    created_at: i64,
    config: &BinConfig,
    count: &crate::captures::BinCount,
) -> serde_json::Value {
    serde_json::json!({
        "name": name,
        "created_at": created_at,
        "config": config,
        "captures": count.captures,
        "last_at": count.last_at,
    })
}

async fn list(State(state): State<Arc<AdminState>>) -> Response {
    let c = match catcher(&state) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let bins = c.list();
    let names: Vec<String> = bins.iter().map(|b| b.0.clone()).collect();
    let counts = match read(c, move |r| {
        names
            .iter()
            .map(|n| r.count(n))
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let out: Vec<_> = bins
        .iter()
        .zip(&counts)
        .map(|((name, created, config), count)| bin_json(name, *created, config, count))
        .collect();
    Json(out).into_response()
}

async fn one(State(state): State<Arc<AdminState>>, UrlPath(bin): UrlPath<String>) -> Response {
    let c = match catcher(&state) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let Some((created, config)) = c.get(&bin) else {
        return catcher_error(CatcherError::NoBin(bin));
    };
    let name = bin.clone();
    match read(c, move |r| r.count(&name)).await {
        Ok(count) => Json(bin_json(&bin, created, &config, &count)).into_response(),
        Err(r) => r,
    }
}

async fn put(
    State(state): State<Arc<AdminState>>,
    UrlPath(bin): UrlPath<String>,
    config: Result<Json<BinConfig>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let c = match catcher(&state) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let Json(config) = match config {
        Ok(c) => c,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.body_text()),
    };
    match c.put(&bin, config).await {
        Ok(created) => {
            let (created_at, config) = c.get(&bin).unwrap_or_default();
            let status = if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            let body =
                serde_json::json!({ "name": bin, "created_at": created_at, "config": config });
            (status, Json(body)).into_response()
        }
        Err(e) => catcher_error(e),
    }
}

async fn delete(State(state): State<Arc<AdminState>>, UrlPath(bin): UrlPath<String>) -> Response {
    match catcher(&state) {
        Ok(c) => match c.delete(&bin).await {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(e) => catcher_error(e),
        },
        Err(r) => r.into_response(),
    }
}

async fn clear(State(state): State<Arc<AdminState>>, UrlPath(bin): UrlPath<String>) -> Response {
    match catcher(&state) {
        Ok(c) => match c.clear(&bin).await {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(e) => catcher_error(e),
        },
        Err(r) => r.into_response(),
    }
}

#[derive(Deserialize)]
struct PageParams {
    before: Option<i64>,
    limit: Option<u32>,
}

async fn captures(
    State(state): State<Arc<AdminState>>,
    UrlPath(bin): UrlPath<String>,
    Query(p): Query<PageParams>,
) -> Response {
    let c = match catcher(&state) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    if c.get(&bin).is_none() {
        return catcher_error(CatcherError::NoBin(bin));
    }
    let limit = p.limit.unwrap_or(50).clamp(1, 500);
    let rows = match read(c, move |r| r.captures(&bin, p.before, limit)).await {
        Ok(rows) => rows,
        Err(r) => return r.into_response(),
    };
    let next = (rows.len() == limit as usize)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let items: Vec<_> = rows.into_iter().map(|r| c.inspect(r)).collect();
    Json(serde_json::json!({ "items": items, "next_before": next })).into_response()
}

async fn load(
    state: &AdminState,
    id: i64,
) -> Result<(Arc<Catcher>, crate::captures::Capture), Response> {
    let c = catcher(state).map_err(IntoResponse::into_response)?.clone();
    match read(&c, move |r| r.capture(id)).await? {
        Some(capture) => Ok((c, capture)),
        None => Err(error(StatusCode::NOT_FOUND, "no such capture")),
    }
}

async fn capture(State(state): State<Arc<AdminState>>, UrlPath(id): UrlPath<i64>) -> Response {
    match load(&state, id).await {
        Ok((c, capture)) => Json(c.inspect(capture)).into_response(),
        Err(r) => r,
    }
}

async fn body(State(state): State<Arc<AdminState>>, UrlPath(id): UrlPath<i64>) -> Response {
    let capture = match load(&state, id).await {
        Ok((_, capture)) => capture,
        Err(r) => return r.into_response(),
    };
    let content_type = capture
        .header("content-type")
        .and_then(|v| HeaderValue::from_str(v).ok())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let mut r = Response::new(Body::from(capture.body));
    r.headers_mut().insert(header::CONTENT_TYPE, content_type);
    r.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment"),
    );
    r
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForwardRequest {
    url: String,
    #[serde(default = "yes")]
    keep_query: bool,
}

fn yes() -> bool {
    true
}

async fn forward(
    State(state): State<Arc<AdminState>>,
    UrlPath(id): UrlPath<i64>,
    request: Result<Json<ForwardRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(request) = match request {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.body_text()),
    };
    let capture = match load(&state, id).await {
        Ok((_, capture)) => capture,
        Err(r) => return r.into_response(),
    };
    let answer = crate::catcher::forward(&capture, &request.url, request.keep_query).await;
    Json(answer).into_response()
}
