//! The catcher's part of the admin API (same listener, same bearer token).
//!
//! | call | what |
//! |---|---|
//! | `GET /api/v1/bins` | bins: settings (secrets as `***`), capture count, newest capture time |
//! | `GET /api/v1/bins/{bin}` | one bin |
//! | `PUT /api/v1/bins/{bin}` | create a bin or replace its settings (JSON [`BinConfig`]); its script starts over |
//! | `DELETE /api/v1/bins/{bin}` | delete a bin and its captures |
//! | `DELETE /api/v1/bins/{bin}/captures` | delete its captures, start its script over |
//! | `GET /api/v1/bins/{bin}/captures?before=&limit=` | captures, newest first, with verdicts (large bodies not decoded) |
//! | `GET /api/v1/captures/{id}` | one capture, decoded, with verdicts |
//! | `GET /api/v1/captures/{id}/body` | its body bytes as received |
//! | `POST /api/v1/captures/{id}/forward` | send it again to `{"url": …, "keep_query": true}` and show the answer |
//!
//! Live captures come through `GET /api/v1/stream` as `capture` messages. Reading and judging
//! captures (hashing, decoding) runs on blocking threads, away from the relay's tasks.

use axum::body::Body;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use std::sync::Arc;

use crate::admin::{error, AdminState};
use crate::bins::BinConfig;
use crate::captures::{Capture, CaptureReader};
use crate::catcher::{Catcher, CatcherError};

/// An error answer: status and message, sent as `{"error": …}`.
struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error(self.0, &self.1)
    }
}

impl From<CatcherError> for ApiError {
    fn from(e: CatcherError) -> Self {
        let status = match e {
            CatcherError::Invalid(_) => StatusCode::BAD_REQUEST,
            CatcherError::NoBin(_) => StatusCode::NOT_FOUND,
            CatcherError::TooManyBins(_) => StatusCode::CONFLICT,
            CatcherError::Stopped => StatusCode::SERVICE_UNAVAILABLE,
        };
        ApiError(status, e.to_string())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        ApiError(StatusCode::BAD_REQUEST, e.body_text())
    }
}

/// An answer either way.
type Answer = Result<Response, ApiError>;

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

fn catcher(state: &AdminState) -> Result<Arc<Catcher>, ApiError> {
    state
        .catcher
        .clone()
        .ok_or_else(|| ApiError(StatusCode::SERVICE_UNAVAILABLE, "the catcher is off".into()))
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

/// Runs `f` on a blocking thread with a read-only connection to the catcher's database.
async fn read<T: Send + 'static>(
    catcher: &Arc<Catcher>,
    f: impl FnOnce(&Catcher, &CaptureReader) -> Result<T, crate::store::StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let catcher = catcher.clone();
    tokio::task::spawn_blocking(move || {
        CaptureReader::open(catcher.db()).and_then(|r| f(&catcher, &r))
    })
    .await
    .map_err(internal)?
    .map_err(internal)
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

async fn list(State(state): State<Arc<AdminState>>) -> Answer {
    let c = catcher(&state)?;
    let counts = read(&c, |_, r| r.counts()).await?;
    let out: Vec<_> = c
        .list()
        .iter()
        .map(|(name, created, config)| {
            bin_json(
                name,
                *created,
                config,
                &counts.get(name).cloned().unwrap_or_default(),
            )
        })
        .collect();
    Ok(Json(out).into_response())
}

async fn one(State(state): State<Arc<AdminState>>, UrlPath(bin): UrlPath<String>) -> Answer {
    let c = catcher(&state)?;
    let (created, config) = c
        .get(&bin)
        .ok_or_else(|| CatcherError::NoBin(bin.clone()))?;
    let name = bin.clone();
    let count = read(&c, move |_, r| r.count(&name)).await?;
    Ok(Json(bin_json(&bin, created, &config, &count)).into_response())
}

async fn put(
    State(state): State<Arc<AdminState>>,
    UrlPath(bin): UrlPath<String>,
    config: Result<Json<BinConfig>, JsonRejection>,
) -> Answer {
    let c = catcher(&state)?;
    let Json(config) = config?;
    let created = c.put(&bin, config).await?;
    let (created_at, config) = c.get(&bin).unwrap_or_default();
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let body = serde_json::json!({ "name": bin, "created_at": created_at, "config": config });
    Ok((status, Json(body)).into_response())
}

async fn delete(State(state): State<Arc<AdminState>>, UrlPath(bin): UrlPath<String>) -> Answer {
    catcher(&state)?.delete(&bin).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn clear(State(state): State<Arc<AdminState>>, UrlPath(bin): UrlPath<String>) -> Answer {
    catcher(&state)?.clear(&bin).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
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
) -> Answer {
    let c = catcher(&state)?;
    if c.get(&bin).is_none() {
        return Err(CatcherError::NoBin(bin).into());
    }
    let limit = p.limit.unwrap_or(50).clamp(1, 500);
    let (items, next) = read(&c, move |c, r| {
        let rows = r.captures(&bin, p.before, limit)?;
        let next = (rows.len() == limit as usize)
            .then(|| rows.last().map(|r| r.id))
            .flatten();
        let items = c.inspect(rows, true);
        Ok((items, next))
    })
    .await?;
    Ok(Json(serde_json::json!({ "items": items, "next_before": next })).into_response())
}

/// One capture as stored.
async fn load(c: &Arc<Catcher>, id: i64) -> Result<Capture, ApiError> {
    read(c, move |_, r| r.capture(id))
        .await?
        .ok_or_else(no_capture)
}

fn no_capture() -> ApiError {
    ApiError(StatusCode::NOT_FOUND, "no such capture".into())
}

async fn capture(State(state): State<Arc<AdminState>>, UrlPath(id): UrlPath<i64>) -> Answer {
    let c = catcher(&state)?;
    let inspected = read(&c, move |c, r| {
        Ok(r.capture(id)?
            .and_then(|capture| c.inspect(vec![capture], false).pop()))
    })
    .await?
    .ok_or_else(no_capture)?;
    Ok(Json(inspected).into_response())
}

async fn body(State(state): State<Arc<AdminState>>, UrlPath(id): UrlPath<i64>) -> Answer {
    let capture = load(&catcher(&state)?, id).await?;
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
    Ok(r)
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
    request: Result<Json<ForwardRequest>, JsonRejection>,
) -> Answer {
    let Json(request) = request?;
    let capture = load(&catcher(&state)?, id).await?;
    if !capture.complete {
        return Err(ApiError(
            StatusCode::CONFLICT,
            "the capture's body was cut at the size limit; forwarding it would send another request"
                .into(),
        ));
    }
    let answer = crate::forward::forward(&capture, &request.url, request.keep_query).await;
    Ok(Json(answer).into_response())
}
