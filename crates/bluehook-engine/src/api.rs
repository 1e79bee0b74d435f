//! The BBB hooks API (`hooks/create`, `hooks/destroy`, `hooks/list`, `hooks/ping`), answering
//! exactly as bbb-webhooks does.
//!
//! Paths: `/bigbluebutton/api/hooks/<call>` for the default server and
//! `/servers/<name>/bigbluebutton/api/hooks/<call>` for any server. Like Express, matching
//! ignores case and one trailing slash, `HEAD` is served for `GET`, and anything else gets
//! Express' 404 page. Every XML answer is HTTP 200 with `text/xml; charset=utf-8`.
//! Deviations (bugs in bbb-webhooks, listed in the README): a checksum of odd length answers
//! `checksumError` instead of HTTP 500; a non-JSON `getRaw` answers `createHookError` instead of
//! hanging; `list?meetingID=` shows the global hooks and all hooks of that meeting.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use bluehook_core::checksum::{verify_api, Algorithm};
use bluehook_core::hook::{hook_from_create, CreateError, Params};
use bluehook_core::xml::{self, Failure};
use std::collections::HashMap;
use std::sync::Arc;

use crate::dispatch::{Created, Destroyed, Dispatcher};

/// What the API serves.
pub struct ApiState {
    /// Dispatchers by server name.
    pub servers: HashMap<String, Arc<Dispatcher>>,
    /// Name of the server behind the plain paths.
    pub default_server: String,
    /// Algorithms accepted for checksums.
    pub supported: Vec<Algorithm>,
}

/// The router of the BBB hooks API.
pub fn router(state: Arc<ApiState>) -> Router {
    Router::new().fallback(handle).with_state(state)
}

const API_PREFIX: &str = "/bigbluebutton/api/";

async fn handle(State(state): State<Arc<ApiState>>, request: Request) -> Response {
    let head = request.method() == Method::HEAD;
    if request.method() != Method::GET && !head {
        return not_found(request.method(), request.uri().path());
    }
    let target = request
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/");
    let path = request.uri().path();
    let (server, rest) = match split_server(path) {
        Some(split) => split,
        None => return not_found(request.method(), path),
    };
    let Some(dispatcher) = state
        .servers
        .get(server.unwrap_or(&state.default_server))
        .cloned()
    else {
        return not_found(request.method(), path);
    };
    // Express matches case-insensitively and tolerates one trailing slash; the checksum's
    // method name is the path as sent, after the API prefix.
    if rest.len() < API_PREFIX.len() || !rest[..API_PREFIX.len()].eq_ignore_ascii_case(API_PREFIX) {
        return not_found(request.method(), path);
    }
    let method_name = &rest[API_PREFIX.len()..];
    let call = method_name
        .strip_suffix('/')
        .unwrap_or(method_name)
        .to_ascii_lowercase();
    let query = request.uri().query().unwrap_or("");
    let params = Params::parse(query);
    let mut response = match call.as_str() {
        "hooks/ping" => ping(),
        "hooks/create" | "hooks/destroy" | "hooks/list" => {
            let checked = verify_api(
                method_name,
                target,
                &params.all("checksum"),
                dispatcher.server().secret.expose(),
                &state.supported,
            );
            match checked {
                Err(e) => {
                    tracing::info!(server = %dispatcher.server().name, call = %call, reason = %e, "API call refused: checksum");
                    xml_response(Failure::ChecksumError.xml())
                }
                Ok(_) => match call.as_str() {
                    "hooks/create" => create(&dispatcher, &params).await,
                    "hooks/destroy" => destroy(&dispatcher, &params).await,
                    _ => list(&dispatcher, &params),
                },
            }
        }
        _ => return not_found(request.method(), path),
    };
    if head {
        *response.body_mut() = Body::empty();
    }
    response
}

/// Splits `/servers/<name>/rest` into (`Some(name)`, `/rest`); plain paths give (`None`, path).
fn split_server(path: &str) -> Option<(Option<&str>, &str)> {
    const SERVERS: &str = "/servers/";
    if path.len() > SERVERS.len() && path[..SERVERS.len()].eq_ignore_ascii_case(SERVERS) {
        let rest = &path[SERVERS.len()..];
        let slash = rest.find('/')?;
        Some((Some(&rest[..slash]), &rest[slash..]))
    } else {
        Some((None, path))
    }
}

async fn create(dispatcher: &Arc<Dispatcher>, params: &Params) -> Response {
    let server = &dispatcher.server().name;
    let permanent_urls = &dispatcher.server().permanent_hooks;
    let url = params.get("callbackURL").unwrap_or_default();
    let permanent = permanent_urls.iter().any(|p| p.url == url);
    let hook = match hook_from_create(params, permanent) {
        Ok(h) => h,
        Err(CreateError::MissingCallbackUrl) => {
            return xml_response(Failure::MissingParamCallbackUrl.xml())
        }
        Err(e @ CreateError::BadGetRaw(_)) => {
            tracing::info!(server = %server, error = %e, "hooks/create refused");
            return xml_response(Failure::CreateHookError.xml());
        }
    };
    let mut hook = hook;
    if permanent {
        hook.id = bluehook_core::hook::Hook::permanent_id(&hook.callback_url);
    }
    let d = dispatcher.clone();
    match tokio::task::spawn_blocking(move || d.create(hook)).await {
        Ok(Ok(Created::New(h))) => {
            tracing::info!(server = %server, hook = %h.id, url = %h.callback_url, meeting = ?h.meeting_id, events = ?h.event_ids, raw = h.get_raw, "hook created");
            xml_response(xml::create_success(&h))
        }
        Ok(Ok(Created::Duplicate(h))) => xml_response(xml::create_duplicate(&h.id)),
        Ok(Err(e)) => {
            tracing::error!(server = %server, error = %e, "hook could not be stored");
            xml_response(Failure::CreateHookError.xml())
        }
        Err(e) => {
            tracing::error!(server = %server, error = %e, "hooks/create failed");
            xml_response(Failure::CreateHookError.xml())
        }
    }
}

async fn destroy(dispatcher: &Arc<Dispatcher>, params: &Params) -> Response {
    let server = &dispatcher.server().name;
    let Some(id) = params.get("hookID").map(str::to_owned) else {
        return xml_response(Failure::MissingParamHookId.xml());
    };
    let d = dispatcher.clone();
    let shown = id.clone();
    match tokio::task::spawn_blocking(move || d.destroy(&id)).await {
        Ok(Ok(Destroyed::Removed)) => {
            tracing::info!(server = %server, hook = %shown, "hook destroyed");
            xml_response(xml::destroy_success().to_owned())
        }
        Ok(Ok(Destroyed::NotFound)) => xml_response(Failure::DestroyMissingHook.xml()),
        Ok(Err(e)) => {
            tracing::error!(server = %server, error = %e, "hook could not be removed from the database");
            xml_response(Failure::DestroyHookError.xml())
        }
        Err(e) => {
            tracing::error!(server = %server, error = %e, "hooks/destroy failed");
            xml_response(Failure::DestroyHookError.xml())
        }
    }
}

fn list(dispatcher: &Dispatcher, params: &Params) -> Response {
    let hooks = match params.get("meetingID") {
        Some(meeting) => dispatcher.list_for_meeting(meeting),
        None => dispatcher.list(),
    };
    xml_response(xml::list(&hooks))
}

fn ping() -> Response {
    Response::new(Body::from("bbb-webhooks API up!"))
}

fn xml_response(body: String) -> Response {
    let mut r = Response::new(Body::from(body));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(xml::CONTENT_TYPE),
    );
    r
}

/// Express' default 404 page.
fn not_found(method: &Method, path: &str) -> Response {
    let escaped = path
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;");
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot {method} {escaped}</pre>\n</body>\n</html>\n"
    );
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::NOT_FOUND;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}
