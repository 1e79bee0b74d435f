//! The HTTP/1.1 client of a hook worker: one kept-alive connection per hook, driven inside the
//! worker's own task.
//!
//! A hook has one request in flight at a time, so a pooled client (connection checkout, a
//! background task per connection, cross-task wake-ups) is overhead without benefit. Each
//! worker owns a [`Client`] holding its connection to the hook's origin (plain TCP, or TLS with
//! the Mozilla roots plus any extra CA file: [`with_extra_roots`]) and polls the connection
//! itself while a request is on it. Redirects are followed as node-fetch follows them (at most
//! `max_redirects`; 301/302 after POST and any 303 become a GET without body; 307/308 repeat
//! the request; `Authorization` is dropped when the redirect leaves the origin). A connection
//! the peer closed while idle is replaced without counting as a failure, as long as the
//! request was not sent on it.

use crate::pem_files::{self, PemFileError};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Body as _;
use hyper::client::conn::http1;
pub use hyper::header::HeaderMap;
use hyper::header::{
    HeaderName, HeaderValue, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HOST, LOCATION,
};
pub use hyper::Method;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use url::Url;

/// Why a request got no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// The URL is not an absolute http(s) URL.
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    /// TCP connection (or name resolution) failed.
    #[error("connection failed: {0}")]
    Connect(String),
    /// The TLS handshake failed.
    #[error("TLS: {0}")]
    Tls(String),
    /// The connection broke while the request was on it.
    #[error("connection error: {0}")]
    Io(String),
    /// No response headers within the timeout.
    #[error("timed out")]
    Timeout,
    /// A header name or value is not valid HTTP.
    #[error("invalid header: {0}")]
    Header(String),
    /// More redirects than allowed, or a redirect without a usable `Location`.
    #[error("redirect: {0}")]
    Redirect(String),
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Final status, after redirects.
    pub status: StatusCode,
    /// Its headers.
    pub headers: HeaderMap,
    /// The first [`EXCERPT`] bytes of its body.
    pub body: Bytes,
}

/// How much of a response body is kept for the audit log.
pub const EXCERPT: usize = 4096;

trait Io: AsyncRead + AsyncWrite + Unpin + Send + Sync {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Sync> Io for T {}

type Connection = http1::Connection<TokioIo<Box<dyn Io>>, Full<Bytes>>;

/// scheme, host, port
type Origin = (String, String, u16);

struct Conn {
    origin: Origin,
    sender: http1::SendRequest<Full<Bytes>>,
    /// `None` once the connection has ended (buffered response data can still be read).
    driver: Option<Pin<Box<Connection>>>,
}

/// A hook's client: its kept-alive connection and settings.
pub struct Client {
    conn: Option<Conn>,
    max_redirects: usize,
    /// The request deadline, kept from one request to the next: while the timer is armed,
    /// moving its deadline later is one atomic store, where a timer per request was registered
    /// in and removed from the runtime's timer wheel (under its lock) every time. (After a
    /// timeout or a long idle spell it is registered again; an idle worker is woken once at
    /// the old deadline, harmlessly.)
    timer: Option<Timer>,
    /// Whom https origins must be certified by.
    tls: Arc<rustls::ClientConfig>,
}

type Timer = Pin<Box<tokio::time::Sleep>>;

/// `fut`'s output, or `None` when `timer` fires first. Like `tokio::time::timeout`, the timer
/// is looked at even when `fut` used up the task's cooperative budget.
async fn within<F: Future>(timer: &mut Timer, fut: F) -> Option<F::Output> {
    tokio::select! {
        biased;
        out = fut => Some(out),
        _ = tokio::task::unconstrained(timer.as_mut()) => None,
    }
}

/// Time allowed for reading (and dropping) a response body once its headers are in.
const BODY_TIME: Duration = Duration::from_secs(2);

/// Headers that may follow a redirect to another origin.
const CROSS_ORIGIN_HEADERS: [&str; 6] = [
    "accept",
    "content-type",
    "user-agent",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
];

/// How much of a response body is read (and dropped) so that the connection stays usable.
const DRAIN_LIMIT: usize = 64 * 1024;

/// The https trust of a client: the public (Mozilla, compiled-in) roots.
pub fn public_roots() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG.get_or_init(|| tls_config(public_store())).clone()
}

/// The configuration key of the extra CA file, as error messages name it.
const EXTRA_CA_KEY: &str = "delivery.extra_ca_file (NODE_EXTRA_CA_CERTS: CAs for https hooks)";

/// The public roots plus the CA certificates of the PEM file at `path`
/// (`delivery.extra_ca_file`, `NODE_EXTRA_CA_CERTS`), checked now.
pub fn with_extra_roots(path: &std::path::Path) -> Result<Arc<rustls::ClientConfig>, PemFileError> {
    Ok(tls_config(hook_roots(path)?))
}

/// The public roots plus those of the file at `path`.
fn hook_roots(path: &std::path::Path) -> Result<rustls::RootCertStore, PemFileError> {
    let mut roots = public_store();
    pem_files::add_trust_anchors(&mut roots, path, EXTRA_CA_KEY)?;
    Ok(roots)
}

fn public_store() -> rustls::RootCertStore {
    rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

fn tls_config(roots: rustls::RootCertStore) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

fn origin_of(url: &Url) -> Result<Origin, HttpError> {
    let scheme = url.scheme();
    if scheme != "http" && scheme != "https" {
        return Err(HttpError::InvalidUrl(format!(
            "unsupported scheme {scheme:?}"
        )));
    }
    let host = url
        .host_str()
        .ok_or_else(|| HttpError::InvalidUrl("no host".into()))?
        .to_owned();
    let port = url
        .port_or_known_default()
        .ok_or_else(|| HttpError::InvalidUrl("no port".into()))?;
    Ok((scheme.to_owned(), host, port))
}

async fn connect(origin: &Origin, tls: &Arc<rustls::ClientConfig>) -> Result<Conn, HttpError> {
    let (scheme, host, port) = origin;
    let host_for_dns = host.trim_start_matches('[').trim_end_matches(']');
    let tcp = tokio::net::TcpStream::connect((host_for_dns, *port))
        .await
        .map_err(|e| HttpError::Connect(e.to_string()))?;
    let _ = tcp.set_nodelay(true);
    let io: Box<dyn Io> = if scheme == "https" {
        let name = rustls::pki_types::ServerName::try_from(host_for_dns.to_owned())
            .map_err(|e| HttpError::Tls(e.to_string()))?;
        let tls = tokio_rustls::TlsConnector::from(tls.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| HttpError::Tls(e.to_string()))?;
        Box::new(tls)
    } else {
        Box::new(tcp)
    };
    // A request is written as one buffer (head and body copied together, then one `write`)
    // rather than hyper's queue of buffers for `writev`: callback bodies are a few KB, and the
    // delivery thread's CPU per delivery fell 2–8% (in turn with the build before, both slot
    // orders).
    let (sender, driver) = http1::Builder::new()
        .writev(false)
        .handshake(TokioIo::new(io))
        .await
        .map_err(|e| HttpError::Io(e.to_string()))?;
    Ok(Conn {
        origin: origin.clone(),
        sender,
        driver: Some(Box::pin(driver)),
    })
}

/// Polls `fut` while also driving the connection. When the connection ends first, `fut` may
/// still be ready (hyper hands over a `Connection: close` answer in the same step that closes
/// the connection); only otherwise is that an error.
async fn drive<F: Future>(
    driver: &mut Option<Pin<Box<Connection>>>,
    fut: F,
) -> Result<F::Output, HttpError> {
    tokio::pin!(fut);
    let Some(d) = driver.as_mut() else {
        // The connection is gone; what it delivered is buffered and `fut` resolves from it.
        return Ok(fut.await);
    };
    tokio::select! {
        biased;
        out = &mut fut => Ok(out),
        ended = d.as_mut() => {
            *driver = None;
            match futures_util::FutureExt::now_or_never(fut.as_mut()) {
                Some(out) => Ok(out),
                None => Err(HttpError::Io(match ended {
                    Ok(()) => "connection closed".to_owned(),
                    Err(e) => e.to_string(),
                })),
            }
        }
    }
}

impl Client {
    /// A client with no connection yet, trusting the public roots for https.
    pub fn new(max_redirects: usize) -> Self {
        Self::with_tls(max_redirects, public_roots())
    }

    /// A client with no connection yet, trusting `tls`'s roots for https ([`with_extra_roots`]).
    pub fn with_tls(max_redirects: usize, tls: Arc<rustls::ClientConfig>) -> Self {
        Client {
            conn: None,
            max_redirects,
            timer: None,
            tls,
        }
    }

    /// A connection to `origin`: the kept one if it is still open, else a new one.
    async fn conn_for(&mut self, origin: &Origin) -> Result<&mut Conn, HttpError> {
        let reusable = match &mut self.conn {
            Some(c) if c.origin == *origin => match c.driver.as_mut() {
                // Let the connection notice a close that happened while it was idle.
                Some(d) => {
                    futures_util::FutureExt::now_or_never(d.as_mut()).is_none()
                        && !c.sender.is_closed()
                }
                None => false,
            },
            _ => false,
        };
        if !reusable {
            self.conn = Some(connect(origin, &self.tls).await?);
        }
        Ok(self.conn.as_mut().expect("connection just set"))
    }

    /// Sends `method` to `target` (with the parts of `extra_query`, when there are any, joined
    /// into one text appended after the target's query, as its last parameters)
    /// with `headers` and `body`, following redirects. Connecting and receiving the response
    /// headers must take less than `timeout` in all; reading the body has its own limit, and a
    /// slow body never turns an answer into a failure.
    pub async fn send(
        &mut self,
        method: Method,
        target: &Target,
        extra_query: &[&str],
        headers: &HeaderMap,
        body: Bytes,
        timeout: Duration,
    ) -> Result<Answer, HttpError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut timer = match self.timer.take() {
            Some(mut timer) => {
                timer.as_mut().reset(deadline);
                timer
            }
            None => Box::pin(tokio::time::sleep_until(deadline)),
        };
        let sent = self
            .send_following(method, target, extra_query, headers, body, &mut timer)
            .await;
        self.timer = Some(timer);
        sent
    }

    async fn send_following(
        &mut self,
        mut method: Method,
        target: &Target,
        extra_query: &[&str],
        headers: &HeaderMap,
        mut body: Bytes,
        timer: &mut Timer,
    ) -> Result<Answer, HttpError> {
        let mut path_and_query = target.path_and_query.clone();
        if !extra_query.is_empty() {
            path_and_query.push(if target.has_query { '&' } else { '?' });
            extra_query
                .iter()
                .for_each(|part| path_and_query.push_str(part));
        }
        let (mut answer, mut location) = self
            .send_once(
                &method,
                target,
                &path_and_query,
                headers,
                body.clone(),
                timer,
            )
            .await?;
        let mut current = target.url.clone();
        let mut headers = std::borrow::Cow::Borrowed(headers);
        let mut redirects = 0;
        loop {
            let status = answer.status;
            let redirect = matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308);
            let Some(loc) = location.filter(|_| redirect) else {
                return Ok(answer);
            };
            redirects += 1;
            if redirects > self.max_redirects {
                return Err(HttpError::Redirect(format!(
                    "more than {} redirects",
                    self.max_redirects
                )));
            }
            let next = current
                .join(&loc)
                .map_err(|e| HttpError::Redirect(format!("bad Location {loc:?}: {e}")))?;
            if status == StatusCode::SEE_OTHER
                || (matches!(status.as_u16(), 301 | 302) && method == Method::POST)
            {
                method = Method::GET;
                body = Bytes::new();
            }
            let next_target = Target::from_url(next)?;
            if next_target.origin != target.origin {
                // Leaving the hook's origin: send only what identifies the payload, never
                // credentials (Authorization, cookies, the hook's own headers).
                let mut kept = HeaderMap::new();
                for (name, value) in headers.iter() {
                    if CROSS_ORIGIN_HEADERS.contains(&name.as_str()) {
                        kept.append(name.clone(), value.clone());
                    }
                }
                headers = std::borrow::Cow::Owned(kept);
            }
            (answer, location) = self
                .send_once(
                    &method,
                    &next_target,
                    &next_target.path_and_query,
                    &headers,
                    body.clone(),
                    timer,
                )
                .await?;
            current = next_target.url;
        }
    }
}

/// A parsed callback URL: where to connect and what to ask for.
#[derive(Debug, Clone)]
pub struct Target {
    url: Url,
    origin: Origin,
    host: HeaderValue,
    path_and_query: String,
    /// Whether the URL as registered has a query (before any `#`): decides `?` or `&`.
    has_query: bool,
}

impl Target {
    /// Parses an absolute http(s) URL.
    pub fn parse(url: &str) -> Result<Target, HttpError> {
        let parsed = Url::parse(url).map_err(|e| HttpError::InvalidUrl(e.to_string()))?;
        let mut t = Target::from_url(parsed)?;
        t.has_query = url.split('#').next().unwrap_or_default().contains('?');
        Ok(t)
    }

    fn from_url(url: Url) -> Result<Target, HttpError> {
        let origin = origin_of(&url)?;
        let path_and_query = match url.query() {
            Some(q) => format!("{}?{}", url.path(), q),
            None => url.path().to_owned(),
        };
        let host = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        let host = HeaderValue::from_str(&host).map_err(|e| HttpError::Header(e.to_string()))?;
        let has_query = url.query().is_some();
        Ok(Target {
            url,
            origin,
            host,
            path_and_query,
            has_query,
        })
    }
}

impl Client {
    /// One request to `target`'s origin for `path_and_query`, before `timer` fires.
    async fn send_once(
        &mut self,
        method: &Method,
        target: &Target,
        path_and_query: &str,
        headers: &HeaderMap,
        body: Bytes,
        timer: &mut Timer,
    ) -> Result<(Answer, Option<String>), HttpError> {
        let build = |body: Bytes| -> Result<Request<Full<Bytes>>, HttpError> {
            let mut req = Request::builder()
                .method(method.clone())
                .uri(path_and_query)
                .body(Full::new(body))
                .map_err(|e| HttpError::InvalidUrl(e.to_string()))?;
            let length = req.body().size_hint().exact().unwrap_or(0);
            let h = req.headers_mut();
            h.reserve(headers.len() + 3);
            // node-fetch's order: accept, [authorization], content-length, content-type,
            // user-agent, …, Host, Connection. (It keeps Content-Type on the GET after a 303;
            // so do we.)
            for (k, v) in headers {
                if *k == CONTENT_TYPE && !h.contains_key(CONTENT_LENGTH) {
                    h.insert(CONTENT_LENGTH, HeaderValue::from(length));
                }
                h.append(k.clone(), v.clone());
            }
            if !h.contains_key(CONTENT_LENGTH) && length > 0 {
                h.insert(CONTENT_LENGTH, HeaderValue::from(length));
            }
            h.insert(HOST, target.host.clone());
            h.insert(CONNECTION, HeaderValue::from_static("keep-alive"));
            Ok(req)
        };
        // At most one silent reconnect: for a kept connection the peer closed while idle.
        for fresh in [false, true] {
            let Some(conn) = within(timer, self.conn_for(&target.origin)).await else {
                self.conn = None;
                return Err(HttpError::Timeout);
            };
            let conn = conn?;
            let req = build(body.clone())?;
            let waited = within(
                timer,
                drive(&mut conn.driver, conn.sender.try_send_request(req)),
            )
            .await;
            let sent = match waited {
                Some(sent) => sent,
                None => {
                    // The connection may hold a half-sent request: never reuse it.
                    self.conn = None;
                    return Err(HttpError::Timeout);
                }
            };
            let sent = match sent {
                Ok(s) => s,
                Err(e) => {
                    self.conn = None;
                    return Err(e);
                }
            };
            let response = match sent {
                Ok(r) => r,
                Err(mut e) => {
                    let unsent = e.take_message().is_some();
                    self.conn = None;
                    if unsent && !fresh {
                        continue;
                    }
                    return Err(HttpError::Io(e.into_error().to_string()));
                }
            };
            let status = response.status();
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let keep_alive = !response
                .headers()
                .get(hyper::header::CONNECTION)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
            let (parts, mut body) = response.into_parts();
            let mut read = 0usize;
            let mut excerpt = Vec::new();
            let mut complete = false;
            let body_deadline = tokio::time::Instant::now() + BODY_TIME;
            loop {
                let frame =
                    tokio::time::timeout_at(body_deadline, drive(&mut conn.driver, body.frame()))
                        .await;
                let Ok(frame) = frame else { break };
                match frame {
                    Ok(Some(Ok(frame))) => {
                        if let Some(data) = frame.data_ref() {
                            read += data.len();
                            let room = EXCERPT.saturating_sub(excerpt.len());
                            excerpt.extend_from_slice(&data[..data.len().min(room)]);
                        }
                        if read > DRAIN_LIMIT {
                            break;
                        }
                    }
                    Ok(None) => {
                        complete = true;
                        break;
                    }
                    Ok(Some(Err(_))) | Err(_) => break,
                }
            }
            if !complete || !keep_alive {
                self.conn = None;
            }
            let answer = Answer {
                status,
                headers: parts.headers,
                body: Bytes::from(excerpt),
            };
            return Ok((answer, location));
        }
        unreachable!("the second pass always returns")
    }
}

/// Headers as (name, value) text pairs, in order (values lossy where they are not UTF-8).
pub fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// A header for a callback, checked.
pub fn header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), HttpError> {
    let n = HeaderName::from_bytes(name.as_bytes())
        .map_err(|e| HttpError::Header(format!("{name}: {e}")))?;
    let v = HeaderValue::from_str(value).map_err(|e| HttpError::Header(format!("{name}: {e}")))?;
    Ok((n, v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_roots_are_added_to_the_public_ones() {
        let dir = tempfile::tempdir().unwrap();
        let pki = bluehook_testkit::pki::Pki::new(dir.path());
        let roots = hook_roots(&pki.ca).unwrap();
        assert_eq!(roots.len(), webpki_roots::TLS_SERVER_ROOTS.len() + 1);
        let e = hook_roots(&dir.path().join("none.pem"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("NODE_EXTRA_CA_CERTS") && e.contains("none.pem"),
            "{e}"
        );
    }
}
