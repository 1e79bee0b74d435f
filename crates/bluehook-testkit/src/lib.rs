//! Test support shared by Bluehook's integration tests and benchmarks: real parts only.
//!
//! - [`RedisServer`]: a real `redis-server` on a free loopback port with its own temp dir,
//!   stopped on drop (and restartable on the same port, to test reconnects).
//! - [`Receiver`]: a real HTTP server on loopback that records every request and answers
//!   from a script (status and delay per request), to watch callbacks and retries.
//! - [`api_url`]: BBB hooks API URLs with a correct checksum.
//! - [`wait_until`]: polling with a deadline, never a bare sleep.
//! - [`pki::Pki`]: test certificates, and [`RedisServer::start_tls`] with them.

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bluehook_core::checksum::Algorithm;
use std::collections::VecDeque;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub mod pki;

/// Polls `check` every 5 ms until it is true or `timeout` passes; returns whether it became true.
pub async fn wait_until(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if check() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Runs `fetch` every 20 ms until `done` holds of its result or `timeout` passes; returns the
/// last result. For checks that need an `.await`, such as an API call.
pub async fn poll_until<T, F, Fut>(timeout: Duration, mut fetch: F, done: impl Fn(&T) -> bool) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let deadline = Instant::now() + timeout;
    loop {
        let got = fetch().await;
        if done(&got) || Instant::now() >= deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A free TCP port on 127.0.0.1 (bound and released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A real `redis-server` for one test.
pub struct RedisServer {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
    extra_args: Vec<String>,
}

impl RedisServer {
    /// Starts `redis-server` on a free port; panics with a clear message if it is not installed.
    pub fn start() -> RedisServer {
        Self::start_with(&[])
    }

    /// Starts it with extra arguments (e.g. `["--requirepass", "pw"]`).
    pub fn start_with(args: &[&str]) -> RedisServer {
        let mut server = RedisServer {
            port: free_port(),
            dir: tempfile::tempdir().expect("temp dir"),
            child: None,
            extra_args: args.iter().map(|s| s.to_string()).collect(),
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(self.dir.path())
            .args(&self.extra_args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (apt-get install redis-server)");
        self.child = Some(child);
        let tls_port = self
            .extra_args
            .iter()
            .position(|a| a == "--tls-port")
            .and_then(|i| self.extra_args.get(i + 1))
            .map(|p| p.parse::<u16>().expect("--tls-port PORT"));
        for port in std::iter::once(self.port).chain(tls_port) {
            let deadline = Instant::now() + Duration::from_secs(10);
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(
                    Instant::now() < deadline,
                    "redis-server does not listen on port {port}"
                );
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (as a crash would).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// Publishes `payload` on `channel`; returns the number of subscribers that got it.
    pub fn publish(&self, channel: &str, payload: &str) -> i64 {
        self.publish_all(channel, std::iter::once(payload))[0]
    }

    /// Publishes many messages in one pipeline, in order.
    pub fn publish_all<'a>(
        &self,
        channel: &str,
        payloads: impl IntoIterator<Item = &'a str>,
    ) -> Vec<i64> {
        let client = redis::Client::open(self.url()).expect("redis url");
        let mut conn = client.get_connection().expect("redis connection");
        let mut pipe = redis::pipe();
        for p in payloads {
            pipe.cmd("PUBLISH").arg(channel).arg(p);
        }
        pipe.query(&mut conn).expect("publish")
    }

    /// How many subscribers `channel` has (to wait until the relay is subscribed).
    pub fn subscribers(&self, channel: &str) -> i64 {
        let Ok(client) = redis::Client::open(self.url()) else {
            return 0;
        };
        let Ok(mut conn) = client.get_connection() else {
            return 0;
        };
        let r: redis::RedisResult<(String, i64)> = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(channel)
            .query(&mut conn);
        r.map(|(_, n)| n).unwrap_or(0)
    }

    /// How many times the server has run command `name` (from `INFO commandstats`).
    pub fn command_calls(&self, name: &str) -> u64 {
        let Ok(client) = redis::Client::open(self.url()) else {
            return 0;
        };
        let Ok(mut conn) = client.get_connection() else {
            return 0;
        };
        let info: String = redis::cmd("INFO")
            .arg("commandstats")
            .query(&mut conn)
            .unwrap_or_default();
        let prefix = format!("cmdstat_{}:calls=", name.to_ascii_lowercase());
        info.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .and_then(|rest| rest.split(',').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    /// The server's directory.
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_owned()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One request a [`Receiver`] got.
#[derive(Debug, Clone)]
pub struct Captured {
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub target: String,
    /// Headers, names lower-case, in arrival order.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Bytes,
    /// When it arrived.
    pub at: Instant,
}

impl Captured {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The decoded form fields of the body, in order.
    pub fn form(&self) -> Vec<(String, String)> {
        bluehook_core::hook::Params::parse(&self.text()).pairs()
    }

    /// A decoded form field.
    pub fn field(&self, name: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// The `event` field parsed: the JSON array bbb-webhooks sends.
    pub fn event(&self) -> serde_json_value::Value {
        let text = self.field("event").unwrap_or_default();
        serde_json_value::from_str(&text).unwrap_or(serde_json_value::Value::Null)
    }

    /// `data.id` of the one event in the body.
    pub fn event_id(&self) -> String {
        self.event()[0]["data"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

pub use bluehook_core::jsjson;
/// Re-export so tests parse JSON with the same settings as the engine.
pub mod serde_json_value {
    pub use serde_json::{from_str, json, Value};
}

/// How the receiver answers one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Wait before answering.
    pub delay: Duration,
}

impl Reply {
    /// An immediate answer with `status`.
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            delay: Duration::ZERO,
        }
    }
}

#[derive(Default)]
struct Shared {
    captured: Mutex<Vec<Captured>>,
    script: Mutex<VecDeque<Reply>>,
    default: Mutex<Option<Reply>>,
}

/// A recording HTTP server on 127.0.0.1.
#[derive(Clone)]
pub struct Receiver {
    addr: SocketAddr,
    shared: Arc<Shared>,
    /// `http`, or `https` ([`Receiver::start_tls`]).
    scheme: &'static str,
}

impl Receiver {
    /// Starts a receiver that answers 200 (until scripted otherwise).
    pub async fn start() -> Receiver {
        let (listener, addr, shared, app) = Self::bound().await;
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            addr,
            shared,
            scheme: "http",
        }
    }

    /// A listener on a free loopback port, its address, and the recording app with its state.
    async fn bound() -> (
        tokio::net::TcpListener,
        SocketAddr,
        Arc<Shared>,
        axum::Router,
    ) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let shared = Arc::new(Shared::default());
        let app = axum::Router::new()
            .fallback(record)
            .with_state(shared.clone());
        (listener, addr, shared, app)
    }

    /// `http://127.0.0.1:<port><path>` (`https` for [`Receiver::start_tls`]).
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{}", self.scheme, self.addr, path)
    }

    /// Answers the next requests with these replies, in order, then with the default.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.shared.script.lock().unwrap().extend(replies);
    }

    /// The answer once the script is used up (200 when unset).
    pub fn set_default(&self, reply: Reply) {
        *self.shared.default.lock().unwrap() = Some(reply);
    }

    /// Every request so far.
    pub fn captured(&self) -> Vec<Captured> {
        self.shared.captured.lock().unwrap().clone()
    }

    /// How many requests so far.
    pub fn count(&self) -> usize {
        self.shared.captured.lock().unwrap().len()
    }

    /// Waits until at least `n` requests arrived; panics with the count after `timeout`.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Captured> {
        let ok = wait_until(timeout, || self.count() >= n).await;
        assert!(
            ok,
            "expected {n} requests at {}, got {} within {timeout:?}",
            self.addr,
            self.count()
        );
        self.captured()
    }
}

async fn record(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let captured = Captured {
        method: parts.method.to_string(),
        target: parts
            .uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
        at: Instant::now(),
    };
    let reply = {
        let next = shared.script.lock().unwrap().pop_front();
        next.or(*shared.default.lock().unwrap())
            .unwrap_or(Reply::status(200))
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    shared.captured.lock().unwrap().push(captured);
    (
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK),
        "ok",
    )
        .into_response()
}

/// A BBB hooks API URL for `call` (`create`, `destroy`, `list`) with `query` (already
/// percent-encoded) and its checksum by `algorithm` over `secret`.
pub fn api_url(base: &str, call: &str, query: &str, secret: &str, algorithm: Algorithm) -> String {
    let method = format!("hooks/{call}");
    let checksum = algorithm.hex_digest(&[method.as_bytes(), query.as_bytes(), secret.as_bytes()]);
    let sep = if query.is_empty() { "" } else { "&" };
    format!("{base}/bigbluebutton/api/{method}?{query}{sep}checksum={checksum}")
}

/// Percent-encodes a query parameter value.
pub fn enc(value: &str) -> String {
    bluehook_core::hook::encode_component(value)
}

/// GETs `url` and returns the body text.
pub async fn get(url: &str) -> String {
    reqwest::get(url)
        .await
        .expect("GET")
        .text()
        .await
        .expect("body")
}
