//! `cargo xtask bench`: how fast `bluehook serve` relays, measured end to end on loopback.
//!
//! Starts a real redis-server, a minimal HTTP receiver (hyper, counts requests and reads the
//! publish time carried in each event), and the release `bluehook` binary as its own process.
//! Scenarios:
//! 1. ceiling: `wrk -c1` POSTing a callback-sized body to the same receiver;
//! 2. one hook, a burst of N events published in one pipeline: deliveries/s;
//! 3. ten hooks, the same burst: deliveries/s in all;
//! 4. one hook at a steady 1000 events/s: publish→callback latency percentiles;
//! 5. the catcher: captures/s from `wrk`, and from the relay with a hook on a bin;
//! 6. the audit log: two instances, log on and off, taking bursts in turn (`--only audit`); its
//!    writer alone, in this process, fed bursts (`--only writer`); and the store at a million
//!    events (`--only store`).
//!
//! Then the peak RSS of the bluehook process (VmHWM) and a check that nothing was lost.

use anyhow::{bail, Context, Result};
use bluehook_core::checksum::Algorithm;
use bluehook_testkit::{api_url, enc, free_port, RedisServer};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use std::convert::Infallible;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const SECRET: &str = "benchsecretbenchsecretbenchsecre";
const CHANNEL: &str = "from-akka-apps-chat-redis-channel";

#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    latencies_us: Mutex<Vec<u64>>,
    /// The count a waiter waits for, and its wake-up: the receiver wakes it once, so the
    /// measured relay shares the machine with no poller (neither does `wrk`).
    target: AtomicU64,
    reached: tokio::sync::Notify,
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// The publish time (µs) a chat message carries in its text, read from the encoded body.
fn sent_at(body: &[u8]) -> Option<u64> {
    const KEY: &[u8] = b"message%22%3A%22t";
    let pos = body.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let digits: Vec<u8> = body[pos..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .copied()
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

async fn receive(
    counts: Arc<Counts>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    // `wrk`'s requests, made between bursts, are not callbacks.
    let callback = req.uri().path() != CEILING_PATH;
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if !callback {
        return Ok(Response::new(Full::new(Bytes::from_static(b"ok"))));
    }
    if let Some(t) = sent_at(&body) {
        counts
            .latencies_us
            .lock()
            .unwrap()
            .push(now_us().saturating_sub(t));
    }
    let n = counts.requests.fetch_add(1, Ordering::SeqCst) + 1;
    if n == counts.target.load(Ordering::SeqCst) {
        counts.reached.notify_one();
    }
    Ok(Response::new(Full::new(Bytes::from_static(b"ok"))))
}

async fn start_receiver(counts: Arc<Counts>) -> Result<u16> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let counts = counts.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| receive(counts.clone(), req));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(port)
}

fn chat(text: &str) -> String {
    serde_json::json!({"envelope":{"name":"GroupChatMessageBroadcastEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":"bench-meeting","userId":"w_bench"},"timestamp":1698771232712u64},
    "core":{"header":{"name":"GroupChatMessageBroadcastEvtMsg","meetingId":"bench-meeting","userId":"w_bench"},
    "body":{"chatId":"MAIN-PUBLIC-GROUP-CHAT","msg":{"id":"1698771232706-9idm9pxf","timestamp":1698771232706u64,"sender":{"id":"w_bench","name":"Bench User","role":"MODERATOR"},"message":text}}}})
    .to_string()
}

struct Bluehook {
    child: Child,
    api: String,
}

impl Drop for Bluehook {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Bluehook {
    /// CPU time the process has used so far, all its threads, in ns (the scheduler's own
    /// accounting, so it does not depend on how busy the rest of the machine is).
    fn cpu_ns(&self) -> u64 {
        self.cpu_by_thread().values().sum()
    }

    /// CPU time so far per thread name (threads of one name summed), in ns.
    fn cpu_by_thread(&self) -> std::collections::BTreeMap<String, u64> {
        cpu_by_thread(self.child.id())
    }

    /// Waits until the process has finished what a burst left it to do in the background
    /// (full-text indexing, WAL checkpoints): until it uses under 1% of a core for 300 ms, or
    /// 20 s have passed. Without this, one burst's background work lands in the next
    /// measurement, possibly of the other instance.
    async fn settle(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let before = self.cpu_ns();
            tokio::time::sleep(Duration::from_millis(300)).await;
            if self.cpu_ns().saturating_sub(before) < 3_000_000 || Instant::now() > deadline {
                return;
            }
        }
    }

    fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }
}

/// CPU time so far of process `pid` per thread name (threads of one name summed), in ns (the
/// scheduler's own accounting, so it does not depend on how busy the rest of the machine is).
fn cpu_by_thread(pid: u32) -> std::collections::BTreeMap<String, u64> {
    let mut by_name = std::collections::BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return by_name;
    };
    for t in tasks.flatten() {
        let name = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
        let ns = std::fs::read_to_string(t.path().join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0);
        *by_name.entry(name.trim().to_owned()).or_insert(0) += ns;
    }
    by_name
}

/// Records a chat message as the relay does: its raw form, then its event; returns the event id.
async fn record_chat(
    log: &bluehook_engine::audit::AuditLog,
    server: &Arc<str>,
    at: i64,
    json: &str,
    kind: &str,
    meeting: &str,
    n: u64,
) -> i64 {
    use bluehook_engine::audit::{EventRow, RawRow};
    let raw = RawRow {
        id: log.next_raw_id(),
        server: server.clone(),
        received_at: at,
        channel: Arc::from(CHANNEL),
        name: Some("GroupChatMessageBroadcastEvtMsg".into()),
        outcome: "event",
        error: None,
        payload: Bytes::from(json.to_owned()),
    };
    log.record_event(Some(raw), |id| EventRow {
        id,
        raw_id: id,
        server: server.clone(),
        at,
        kind: Arc::from(kind),
        meeting_internal: Some(format!("int-{meeting}")),
        meeting_external: Some(meeting.to_owned()),
        user_internal: Some(format!("w_{}", n % 5000)),
        user_external: None,
        raw_kind: 0,
        json: Arc::from(json),
    })
    .await
}

/// What a receiver answered every callback in the writer benches, as the audit log keeps it.
struct Answer {
    request_headers: Arc<str>,
    response_headers: Arc<str>,
    body: Arc<str>,
}

impl Default for Answer {
    fn default() -> Self {
        Answer {
            request_headers: Arc::from(
                r#"{"accept":"*/*","content-type":"application/x-www-form-urlencoded;charset=UTF-8"}"#,
            ),
            response_headers: Arc::from(r#"{"content-length":"2"}"#),
            body: Arc::from("ok"),
        }
    }
}

impl Answer {
    /// A first attempt that got this answer, as a hook worker records it.
    fn attempt(
        &self,
        (server, hook): (&Arc<str>, &Arc<str>),
        event_id: i64,
        at: i64,
        (url, n): (&Arc<str>, u64),
        latency_us: i64,
    ) -> bluehook_engine::audit::AttemptRow {
        // A distinct checksum per event, as a callback's is.
        let mut sum = [0u8; 20];
        sum[..8].copy_from_slice(&n.to_be_bytes());
        bluehook_engine::audit::AttemptRow {
            server: server.clone(),
            hook_id: hook.clone(),
            event_id,
            attempt: 1,
            at,
            url: url.clone(),
            checksum: bluehook_core::checksum::Sum::from_bytes(&sum),
            request_headers: self.request_headers.clone(),
            status: Some(200),
            response_headers: Some(self.response_headers.clone()),
            response_body: Some(self.body.clone()),
            latency_us,
            outcome: "delivered",
            error_class: None,
            error: None,
        }
    }
}

/// The audit log's threads alone, in this process, fed the way a ten-hook burst feeds them:
/// events at 50,000 a second (about the relay's ingest rate), each with its raw message, and
/// ten hooks' attempts gathered into runs. Reports each log thread's CPU per event, during the
/// bursts and after them (full-text indexing and checkpoints wait for a quiet writer).
async fn writer_runs(bursts: usize, n: usize) -> Result<Vec<(String, String)>> {
    use bluehook_engine::attempt_runs::Gathering;
    use bluehook_engine::audit::{AuditLog, Record};
    const HOOKS: usize = 10;
    let dir = tempfile::tempdir()?;
    let store = bluehook_engine::store::Store::open_in(dir.path())?;
    let (log, writer) = AuditLog::start(store.path())?;
    let server: Arc<str> = Arc::from("default");
    let hooks: Vec<Arc<str>> = (0..HOOKS).map(|h| Arc::from(format!("hook-{h}"))).collect();
    let urls: Vec<Arc<str>> = (0..HOOKS)
        .map(|h| Arc::from(format!("http://127.0.0.1:9/hook-{h}")))
        .collect();
    let mut gatherings: Vec<Gathering> = (0..HOOKS).map(|_| Gathering::default()).collect();
    let answer = Answer::default();
    let me = std::process::id();
    let log_threads = |m: &std::collections::BTreeMap<String, u64>| -> [u64; 4] {
        [
            "bluehook-audit",
            "bluehook-import",
            "bluehook-checkp",
            "bluehook-fts",
        ]
        .map(|t| m.get(t).copied().unwrap_or(0))
    };
    let (mut in_burst, mut after) = ([0u64; 4], [0u64; 4]);
    let mut i = 0u64;
    for _ in 0..bursts {
        let start = log_threads(&cpu_by_thread(me));
        let begun = Instant::now();
        let mut last = 0;
        for k in 0..n {
            // 20 µs apart, like the relay's ingest in a burst.
            while begun.elapsed() < Duration::from_micros(20 * k as u64) {
                std::hint::spin_loop();
            }
            i += 1;
            let json = chat(&format!("message {i}"));
            let at = bluehook_core::now_ms() as i64;
            let id = record_chat(
                &log,
                &server,
                at,
                &json,
                "chat-group-message-sent",
                "bench-meeting",
                i,
            )
            .await;
            last = id;
            for (h, (hook, gathering)) in hooks.iter().zip(&mut gatherings).enumerate() {
                let row = answer.attempt(
                    (&server, hook),
                    id,
                    bluehook_core::now_ms() as i64,
                    (&urls[h], i),
                    20,
                );
                for run in gathering.add(row) {
                    log.record(Record::Run(Box::new(run))).await;
                }
            }
        }
        for g in &mut gatherings {
            if let Some(run) = g.take() {
                log.record(Record::Run(Box::new(run))).await;
            }
        }
        log.wait_durable(last).await;
        let done = log_threads(&cpu_by_thread(me));
        // Settle: until the log's threads have been idle (< 1% of a core) for 300 ms.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let before = log_threads(&cpu_by_thread(me)).iter().sum::<u64>();
            tokio::time::sleep(Duration::from_millis(300)).await;
            let now = log_threads(&cpu_by_thread(me)).iter().sum::<u64>();
            if now - before < 3_000_000 || Instant::now() > deadline {
                break;
            }
        }
        let settled = log_threads(&cpu_by_thread(me));
        for t in 0..4 {
            in_burst[t] += done[t].saturating_sub(start[t]);
            after[t] += settled[t].saturating_sub(done[t]);
        }
    }
    drop(log);
    tokio::task::spawn_blocking(move || writer.join())
        .await?
        .ok();
    let events = (bursts * n) as f64;
    let per = |ns: u64| ns as f64 / events / 1000.0;
    let threads = |ns: &[u64; 4]| {
        format!(
            "writer {:.1}, importer {:.1}, checkpoints {:.1}, full-text {:.1}",
            per(ns[0]),
            per(ns[1]),
            per(ns[2]),
            per(ns[3])
        )
    };
    Ok(vec![
        (
            format!("{bursts} bursts of {n} events (+ raw messages, {HOOKS} hooks' attempts as runs) at 50,000 events/s: log threads' CPU per event during the bursts, µs"),
            threads(&in_burst),
        ),
        (
            "the same, after the bursts (background work the bursts left), µs per event".into(),
            threads(&after),
        ),
    ])
}

async fn start_bluehook(
    binary: &PathBuf,
    redis: &RedisServer,
    data: &std::path::Path,
    audit: bool,
    extra_env: &[(&str, String)],
) -> Result<Bluehook> {
    let port = free_port();
    let child = Command::new(binary)
        .arg("serve")
        .env("SHARED_SECRET", SECRET)
        .env("SERVER_DOMAIN", "bench.example.com")
        .env("REDIS_PORT", redis.port().to_string())
        .env("SERVER_PORT", port.to_string())
        .env("BLUEHOOK_DATA_DIR", data)
        .env("BLUEHOOK_ADMIN_PORT", "0")
        .env("BLUEHOOK_CATCHER_PORT", "0")
        .env("BLUEHOOK_AUDIT", audit.to_string())
        .env("LOG_LEVEL", "warn")
        .envs(extra_env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    let api = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while redis.subscribers(CHANNEL) < 1 {
        if Instant::now() > deadline {
            bail!("bluehook did not subscribe to Redis");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(Bluehook { child, api })
}

async fn create_hook(bh: &Bluehook, url: &str) -> Result<()> {
    let xml = reqwest::get(api_url(
        &bh.api,
        "create",
        &format!("callbackURL={}", enc(url)),
        SECRET,
        Algorithm::Sha1,
    ))
    .await?
    .text()
    .await?;
    if !xml.contains("SUCCESS") {
        bail!("hooks/create: {xml}");
    }
    Ok(())
}

async fn destroy_all(bh: &Bluehook) -> Result<()> {
    let list = reqwest::get(api_url(&bh.api, "list", "", SECRET, Algorithm::Sha1))
        .await?
        .text()
        .await?;
    for part in list.split("<hookID>").skip(1) {
        let id = &part[..part.find('<').unwrap_or(0)];
        reqwest::get(api_url(
            &bh.api,
            "destroy",
            &format!("hookID={id}"),
            SECRET,
            Algorithm::Sha1,
        ))
        .await?;
    }
    Ok(())
}

async fn wait_count(counts: &Counts, target: u64, timeout: Duration) -> Result<Instant> {
    let deadline = tokio::time::Instant::now() + timeout;
    counts.target.store(target, Ordering::SeqCst);
    loop {
        // Registered before the check: a wake-up in between is kept for us.
        let reached = counts.reached.notified();
        if counts.requests.load(Ordering::SeqCst) >= target {
            return Ok(Instant::now());
        }
        if tokio::time::timeout_at(deadline, reached).await.is_err() {
            bail!(
                "only {} of {target} callbacks arrived",
                counts.requests.load(Ordering::Relaxed)
            );
        }
    }
}

/// Publishes `n` events in one pipeline and returns deliveries/s until `hooks * n` arrived.
async fn burst(redis: &RedisServer, counts: &Counts, n: usize, hooks: u64) -> Result<f64> {
    let before = counts.requests.load(Ordering::Relaxed);
    let messages: Vec<String> = (0..n).map(|i| chat(&format!("burst {i}"))).collect();
    let start = Instant::now();
    redis.publish_all(CHANNEL, messages.iter().map(String::as_str));
    let done = wait_count(counts, before + hooks * n as u64, Duration::from_secs(300)).await?;
    let extra = counts.requests.load(Ordering::Relaxed) - before - hooks * n as u64;
    if extra > 0 {
        bail!("{extra} duplicate callbacks");
    }
    Ok((hooks * n as u64) as f64 / done.duration_since(start).as_secs_f64())
}

/// Where `wrk` sends its requests on the bench's receiver (not counted as callbacks).
const CEILING_PATH: &str = "/ceiling";

/// Requests/s of `wrk` with `connections` to the bench's receiver for `secs`.
fn wrk_ceiling(port: u16, connections: u32, secs: u32) -> Result<f64> {
    wrk(
        &format!("http://127.0.0.1:{port}{CEILING_PATH}"),
        connections,
        secs,
    )
}

/// Requests/s of `wrk` POSTing a callback-sized body to `url` for `secs`.
fn wrk(url: &str, connections: u32, secs: u32) -> Result<f64> {
    let script = tempfile::NamedTempFile::new()?;
    let body = format!(
        "domain=bench.example.com&event={}&timestamp=1",
        enc(&format!("[{}]", chat("ceiling")))
    );
    std::fs::write(
        script.path(),
        format!(
            "wrk.method = \"POST\"\nwrk.body = \"{body}\"\nwrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded;charset=UTF-8\"\n"
        ),
    )?;
    let out = Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{connections}"),
            &format!("-d{secs}s"),
            "-s",
        ])
        .arg(script.path())
        .arg(url)
        .output()
        .context("wrk is needed for the ceiling (apt-get install wrk)")?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find(|l| l.starts_with("Requests/sec:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("wrk output: {text}"))
}

/// Requests/s of the relay's own HTTP client in a tight loop (no Redis, no relay), on the
/// caller's runtime.
async fn client_ceiling(port: u16) -> Result<f64> {
    use bluehook_engine::http::Client;
    let mut client = Client::new(10);
    let mut headers = hyper::HeaderMap::new();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        "application/x-www-form-urlencoded;charset=UTF-8".parse()?,
    );
    let body = Bytes::from(format!(
        "domain=bench.example.com&event={}&timestamp=1",
        enc(&format!("[{}]", chat("ceiling")))
    ));
    let target = bluehook_engine::http::Target::parse(&format!("http://127.0.0.1:{port}/client"))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let checksum = ["checksum=", "0123456789abcdef0123456789abcdef01234567"];
    let n = 20_000;
    let start = Instant::now();
    for _ in 0..n {
        client
            .send(
                hyper::Method::POST,
                &target,
                &checksum,
                &headers,
                body.clone(),
                Duration::from_secs(5),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

/// The catcher: requests/s it captures (each committed before the answer), straight from
/// `wrk` and from the relay; the peak RSS of the whole process afterwards.
async fn catcher_runs(
    binary: &PathBuf,
    redis: &RedisServer,
    n: usize,
) -> Result<Vec<(String, String)>> {
    let data = tempfile::tempdir()?;
    let catcher = free_port();
    let admin = free_port();
    let bh = start_bluehook(
        binary,
        redis,
        data.path(),
        true,
        &[
            ("BLUEHOOK_CATCHER_PORT", catcher.to_string()),
            ("BLUEHOOK_ADMIN_PORT", admin.to_string()),
            // The burst is counted in its bin: keep all of it.
            ("BLUEHOOK_CATCHER_KEEP", n.to_string()),
        ],
    )
    .await?;
    let mut rows = Vec::new();
    // The loopback ceiling of this run: the same wrk against the plain receiver.
    let receiver = start_receiver(Arc::new(Counts::default())).await?;
    let ceiling = tokio::task::spawn_blocking(move || wrk_ceiling(receiver, 1, 5)).await??;
    rows.push((
        "loopback ceiling, `wrk -c1` to the plain receiver, 5 s".into(),
        format!("{ceiling:.0} req/s"),
    ));
    for c in [1, 10] {
        let url = format!("http://127.0.0.1:{catcher}/wrk{c}");
        let rate = tokio::task::spawn_blocking(move || wrk(&url, c, 5)).await??;
        rows.push((
            format!("`wrk -c{c}` to a bin, 5 s"),
            format!("{rate:.0} captures/s"),
        ));
    }
    create_hook(&bh, &format!("http://127.0.0.1:{catcher}/relay")).await?;
    let token = std::fs::read_to_string(data.path().join("admin-token"))?;
    let count_url = format!("http://127.0.0.1:{admin}/api/v1/bins/relay");
    let http = reqwest::Client::new();
    let messages: Vec<String> = (0..n).map(|i| chat(&format!("catcher {i}"))).collect();
    let start = Instant::now();
    redis.publish_all(CHANNEL, messages.iter().map(String::as_str));
    let deadline = start + Duration::from_secs(300);
    loop {
        let r = http
            .get(&count_url)
            .bearer_auth(token.trim())
            .send()
            .await?;
        if r.status().is_success() {
            let v: serde_json::Value = serde_json::from_slice(&r.bytes().await?)?;
            if v["captures"].as_u64() >= Some(n as u64) {
                break;
            }
        }
        if Instant::now() > deadline {
            bail!("the catcher did not get {n} callbacks");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    rows.push((
        format!("relay → catcher, 1 hook, burst of {n}"),
        format!("{rate:.0} deliveries/s"),
    ));
    rows.push((
        "peak RSS of bluehook serve".into(),
        format!("{:.1} MiB", bh.peak_rss_kib().unwrap_or(0) as f64 / 1024.0),
    ));
    Ok(rows)
}

/// A two-column Markdown table under a heading.
fn print_table(title: &str, rows: Vec<(String, String)>) {
    println!("## {title}");
    println!();
    println!("| measure | result |");
    println!("|---|---|");
    for (k, v) in rows {
        println!("| {k} | {v} |");
    }
    println!();
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// What one configuration of the relay measured.
struct RelayNumbers {
    one: Bursts,
    ten: Bursts,
    latency_us: Vec<u64>,
    rss_kib: u64,
    delivered: u64,
    expected: u64,
}

/// Bursts per hook count: the VM's speed changes from one second to the next (single bursts
/// against their `wrk` run ranged 41–81% in one noisy spell), so the median of five.
const BURSTS: usize = 5;

/// [`BURSTS`] bursts to the hooks there are, each after a 2 s `wrk` with as many connections as
/// hooks.
struct Bursts {
    /// Deliveries/s, sorted.
    rates: Vec<f64>,
    /// Each burst's rate over that of the `wrk` run just before it, sorted.
    ratios: Vec<f64>,
    /// CPU of bluehook serve per delivery, ns.
    cpu_ns: u64,
}

/// Runs [`Bursts`] of `n` events to `hooks` hooks. Each burst is compared with a `wrk` run on
/// the same receiver just before it: the VM's speed drifts over minutes, so one ceiling at the
/// start would judge late bursts unfairly.
async fn bursts(
    bh: &Bluehook,
    redis: &RedisServer,
    counts: &Counts,
    port: u16,
    n: usize,
    hooks: u32,
) -> Result<Bursts> {
    let (mut rates, mut ratios) = (Vec::new(), Vec::new());
    let cpu = bh.cpu_ns();
    for _ in 0..BURSTS {
        let wrk = tokio::task::spawn_blocking(move || wrk_ceiling(port, hooks, 2)).await??;
        let rate = burst(redis, counts, n, u64::from(hooks)).await?;
        rates.push(rate);
        ratios.push(rate / wrk);
        bh.settle().await;
    }
    rates.sort_by(f64::total_cmp);
    ratios.sort_by(f64::total_cmp);
    Ok(Bursts {
        rates,
        ratios,
        cpu_ns: bh.cpu_ns().saturating_sub(cpu) / (BURSTS as u64 * n as u64 * u64::from(hooks)),
    })
}

async fn relay_runs(
    binary: &PathBuf,
    redis: &RedisServer,
    counts: &Arc<Counts>,
    port: u16,
    n: usize,
    audit: bool,
) -> Result<RelayNumbers> {
    let data = tempfile::tempdir()?;
    let url = |i: usize| format!("http://127.0.0.1:{port}/hook/{i}");
    counts.requests.store(0, Ordering::Relaxed);
    let bh = start_bluehook(binary, redis, data.path(), audit, &[]).await?;

    // warm-up: connections and allocator
    create_hook(&bh, &url(0)).await?;
    burst(redis, counts, 1000, 1).await?;

    bh.settle().await;
    let one = bursts(&bh, redis, counts, port, n, 1).await?;

    for i in 1..10 {
        create_hook(&bh, &url(i)).await?;
    }
    bh.settle().await;
    let ten = bursts(&bh, redis, counts, port, n, 10).await?;

    destroy_all(&bh).await?;
    create_hook(&bh, &url(100)).await?;
    counts.latencies_us.lock().unwrap().clear();
    let before = counts.requests.load(Ordering::Relaxed);
    let steady = 10_000u64;
    let publisher = {
        let url = redis.url();
        std::thread::spawn(move || -> Result<()> {
            let mut conn = redis::Client::open(url)?.get_connection()?;
            let start = Instant::now();
            for i in 0..steady {
                let due = start + Duration::from_micros(i * 1000);
                while Instant::now() < due {
                    std::thread::sleep(Duration::from_micros(50));
                }
                let msg = chat(&format!("t{}", now_us()));
                redis::cmd("PUBLISH")
                    .arg(CHANNEL)
                    .arg(msg)
                    .exec(&mut conn)?;
            }
            Ok(())
        })
    };
    publisher
        .join()
        .map_err(|_| anyhow::anyhow!("publisher panicked"))??;
    wait_count(counts, before + steady, Duration::from_secs(60)).await?;
    let mut latency_us = counts.latencies_us.lock().unwrap().clone();
    latency_us.sort_unstable();
    Ok(RelayNumbers {
        one,
        ten,
        latency_us,
        rss_kib: bh.peak_rss_kib().unwrap_or(0),
        delivered: counts.requests.load(Ordering::Relaxed),
        expected: 1000 + 11 * (BURSTS * n) as u64 + steady,
    })
}

/// The price of the audit log, measured fairly on a noisy machine: two `bluehook serve`, one
/// with the log and one without, each on its own Redis with the same hooks on the same
/// receiver, take bursts in turn, so that both see the same moments of the VM.
async fn audit_cost_runs(binary: &PathBuf, n: usize) -> Result<Vec<(String, String)>> {
    const RUNS: usize = 7;
    let counts = Arc::new(Counts::default());
    let port = start_receiver(counts.clone()).await?;
    let mut rows = Vec::new();
    let (redis_on, redis_off) = (RedisServer::start(), RedisServer::start());
    let (data_on, data_off) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let on = start_bluehook(binary, &redis_on, data_on.path(), true, &[]).await?;
    let off = start_bluehook(binary, &redis_off, data_off.path(), false, &[]).await?;
    let mut hooks = 0;
    for wanted in [1u64, 10] {
        while hooks < wanted {
            let url = format!("http://127.0.0.1:{port}/hook/{hooks}");
            create_hook(&on, &url).await?;
            create_hook(&off, &url).await?;
            hooks += 1;
        }
        // warm-up
        burst(&redis_on, &counts, 1000, wanted).await?;
        burst(&redis_off, &counts, 1000, wanted).await?;
        on.settle().await;
        off.settle().await;
        let (mut rate_on, mut rate_off, mut cpu_on, mut cpu_off) = (vec![], vec![], 0, 0);
        let threads_before = [on.cpu_by_thread(), off.cpu_by_thread()];
        for run in 0..RUNS {
            let mut pair = [
                (&on, &redis_on, &mut rate_on, &mut cpu_on),
                (&off, &redis_off, &mut rate_off, &mut cpu_off),
            ];
            // Each goes first in turn, so neither always follows the other's background work.
            if run % 2 == 1 {
                pair.reverse();
            }
            for (bh, redis, rates, cpu) in pair {
                // Each burst runs alone, and its CPU includes the background work it causes.
                let before = bh.cpu_ns();
                rates.push(burst(redis, &counts, n, wanted).await?);
                bh.settle().await;
                *cpu += bh.cpu_ns().saturating_sub(before);
            }
        }
        let threads_after = [on.cpu_by_thread(), off.cpu_by_thread()];
        // The ratio within each pair of neighbouring bursts: the VM's drift cancels out.
        let mut ratios: Vec<f64> = rate_on.iter().zip(&rate_off).map(|(a, b)| a / b).collect();
        ratios.sort_by(f64::total_cmp);
        rate_on.sort_by(f64::total_cmp);
        rate_off.sort_by(f64::total_cmp);
        let (m_on, m_off) = (rate_on[RUNS / 2], rate_off[RUNS / 2]);
        let deliveries = (RUNS * n) as u64 * wanted;
        rows.push((
            format!("{wanted} hook(s), {RUNS} bursts each in turn: audit on / off (median)"),
            format!(
                "{m_on:.0} / {m_off:.0} deliveries/s: on is {:.0}% of off (burst by burst: median {:.0}%, range {:.0}–{:.0}%)",
                100.0 * m_on / m_off,
                100.0 * ratios[RUNS / 2],
                100.0 * ratios[0],
                100.0 * ratios[RUNS - 1]
            ),
        ));
        rows.push((
            format!("{wanted} hook(s): CPU of bluehook serve per delivery, on / off"),
            format!(
                "{:.1} / {:.1} µs",
                cpu_on as f64 / deliveries as f64 / 1000.0,
                cpu_off as f64 / deliveries as f64 / 1000.0
            ),
        ));
        for (which, before, after) in [
            ("on", &threads_before[0], &threads_after[0]),
            ("off", &threads_before[1], &threads_after[1]),
        ] {
            let split: Vec<String> = after
                .iter()
                .map(|(name, after)| {
                    let spent = after.saturating_sub(before.get(name).copied().unwrap_or(0));
                    (name, spent as f64 / deliveries as f64 / 1000.0)
                })
                .filter(|(_, us)| *us >= 0.05)
                .map(|(name, us)| format!("{name} {us:.1}"))
                .collect();
            rows.push((
                format!("{wanted} hook(s), audit {which}: CPU per delivery by thread, µs"),
                split.join(", "),
            ));
        }
    }
    // How well attempts gather into runs (one row each): the fewer rows, the cheaper the log.
    let db = data_on.path().join("bluehook.sqlite3");
    let conn =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let (runs, attempts): (i64, i64) = conn.query_row(
        "SELECT COUNT(*), COALESCE(SUM(n), 0) FROM attempt_runs",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    rows.push((
        "audit on: attempts logged, in rows (runs)".into(),
        format!(
            "{attempts} in {runs} rows ({:.0} attempts per row)",
            attempts as f64 / runs.max(1) as f64
        ),
    ));
    Ok(rows)
}

/// The audit log's own speed: writer rows/s, a filtered query over 1,000,000 events, and a
/// full export's time and peak memory.
async fn store_runs(binary: &PathBuf, events: i64) -> Result<Vec<(String, String)>> {
    use bluehook_engine::audit::{AuditLog, Record};
    use bluehook_engine::query::{Filter, Reader};
    let dir = tempfile::tempdir()?;
    let store = bluehook_engine::store::Store::open_in(dir.path())?;
    let path = store.path().to_owned();
    let (log, writer) = AuditLog::start(&path)?;
    let server: Arc<str> = Arc::from("default");
    let hook: Arc<str> = Arc::from("hook-1");
    let url: Arc<str> = Arc::from("http://127.0.0.1:9/cb");
    let mut gathering = bluehook_engine::attempt_runs::Gathering::default();
    let answer = Answer::default();
    let started = Instant::now();
    for i in 0..events {
        let meeting = format!("meeting-{}", i % 1000);
        let kind = [
            "user-joined",
            "chat-group-message-sent",
            "user-left",
            "user-audio-muted",
        ][(i % 4) as usize];
        let json = chat(&format!("row {i}"));
        let at = 1_700_000_000_000 + i;
        let id = record_chat(&log, &server, at, &json, kind, &meeting, i as u64).await;
        let attempt = answer.attempt((&server, &hook), id, at, (&url, i as u64), 250);
        // Gathered into runs as a hook worker does.
        for run in gathering.add(attempt) {
            log.record(Record::Run(Box::new(run))).await;
        }
    }
    if let Some(run) = gathering.take() {
        log.record(Record::Run(Box::new(run))).await;
    }
    log.wait_imported(events).await;
    let write_secs = started.elapsed().as_secs_f64();
    drop(log);
    tokio::task::spawn_blocking(move || writer.join())
        .await?
        .ok();
    let rows = 3 * events;

    // What the retention task does every interval: let SQLite gather its planner statistics.
    rusqlite::Connection::open(&path)?.execute_batch("PRAGMA optimize=0x10002")?;
    let reader = Reader::open(&path)?;
    let mut times = Vec::new();
    for k in 0..20 {
        let filter = Filter {
            meeting: Some(format!("meeting-{}", (k * 40) % 1000)),
            event_type: Some("user-joined".into()),
            outcome: Some("delivered".into()),
            since: Some(1_700_000_000_000 + events / 4),
            limit: Some(100),
            ..Filter::default()
        };
        let t = Instant::now();
        let page = reader.events(&filter)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        if page.items.is_empty() {
            bail!("the benchmark query found nothing");
        }
    }
    times.sort_by(f64::total_cmp);

    // a full export to /dev/null, watching the process' peak memory
    let t = Instant::now();
    let mut child = Command::new(binary)
        .args(["export", "--format", "csv", "--out", "/dev/null", "--db"])
        .arg(&path)
        .stderr(Stdio::null())
        .spawn()?;
    let pid = child.id();
    let mut peak = 0u64;
    loop {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            if let Some(kib) = status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
            {
                peak = peak.max(kib);
            }
        }
        if child.try_wait()?.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let export_secs = t.elapsed().as_secs_f64();
    let size = std::fs::metadata(&path)?.len();

    Ok(vec![
        (
            format!("audit writer, {events} events + raw + attempts"),
            format!(
                "{:.0} rows/s ({rows} rows in {write_secs:.1} s)",
                rows as f64 / write_secs
            ),
        ),
        (
            format!(
                "filtered query over {events} events (meeting + type + outcome + since, 100 rows)"
            ),
            format!(
                "median {:.2} ms, max {:.2} ms (20 queries)",
                times[times.len() / 2],
                times[times.len() - 1]
            ),
        ),
        (
            format!("`bluehook export --format csv` of {events} events"),
            format!(
                "{export_secs:.1} s, peak RSS {:.1} MiB",
                peak as f64 / 1024.0
            ),
        ),
        (
            "database size".into(),
            format!("{:.0} MiB", size as f64 / 1048576.0),
        ),
    ])
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut binary = PathBuf::from("target/release/bluehook");
    let mut n = 5000usize;
    let mut store_events = 1_000_000i64;
    let mut only: Option<String> = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--bluehook" => binary = PathBuf::from(args.next().context("--bluehook PATH")?),
            "--events" => n = args.next().context("--events N")?.parse()?,
            "--store-events" => store_events = args.next().context("--store-events N")?.parse()?,
            "--only" => {
                only = Some(
                    args.next()
                        .context("--only relay|audit|writer|store|catcher")?,
                )
            }
            other => bail!("unknown argument {other}"),
        }
    }
    let wanted = |part: &str| only.as_deref().is_none_or(|o| o == part);
    let (relay, storage, catcher) = (wanted("relay"), wanted("store"), wanted("catcher"));
    if wanted("audit") {
        print_table(
            &format!("Audit log on against off ({n} events per burst)"),
            audit_cost_runs(&binary, n).await?,
        );
    }
    if relay {
        let redis = RedisServer::start();
        let counts = Arc::new(Counts::default());
        let port = start_receiver(counts.clone()).await?;
        let ceiling1 = tokio::task::spawn_blocking(move || wrk_ceiling(port, 1, 5)).await??;
        let ceiling10 = tokio::task::spawn_blocking(move || wrk_ceiling(port, 10, 5)).await??;
        // On a single-threaded runtime of its own, as hook workers run.
        let client_only = tokio::task::spawn_blocking(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(client_ceiling(port))
        })
        .await??;
        let on = relay_runs(&binary, &redis, &counts, port, n, true).await?;
        let off = relay_runs(&binary, &redis, &counts, port, n, false).await?;
        let median = |v: &Vec<f64>| v[v.len() / 2];
        let listed = |v: &Vec<f64>, scale: f64, unit: &str| {
            v.iter()
                .map(|x| format!("{:.0}{unit}", scale * x))
                .collect::<Vec<_>>()
                .join(" / ")
        };
        let runs = |v: &Vec<f64>| format!("runs {}", listed(v, 1.0, ""));
        println!("## Relay ({n} events per burst, median of {BURSTS} runs)");
        println!();
        println!("| measure | audit log on | audit log off |");
        println!("|---|---|---|");
        println!("| loopback ceiling, `wrk -c1` on the same receiver | {ceiling1:.0} req/s | |");
        println!("| loopback ceiling, `wrk -c10` | {ceiling10:.0} req/s | |");
        println!("| the relay's HTTP client alone, one connection | {client_only:.0} req/s | |");
        println!(
            "| 1 hook, burst | {:.0} deliveries/s ({}) | {:.0} deliveries/s ({}) |",
            median(&on.one.rates),
            runs(&on.one.rates),
            median(&off.one.rates),
            runs(&off.one.rates)
        );
        let ratios = |v: &Vec<f64>| {
            format!(
                "{:.0}% (bursts {})",
                100.0 * median(v),
                listed(v, 100.0, "%")
            )
        };
        println!(
            "| 1 hook, burst against a 2 s `wrk -c1` just before it (median) | {} | {} |",
            ratios(&on.one.ratios),
            ratios(&off.one.ratios)
        );
        println!(
            "| 10 hooks, burst | {:.0} deliveries/s ({}) | {:.0} deliveries/s ({}) |",
            median(&on.ten.rates),
            runs(&on.ten.rates),
            median(&off.ten.rates),
            runs(&off.ten.rates)
        );
        println!(
            "| 10 hooks, burst against a 2 s `wrk -c10` just before it (median) | {} | {} |",
            ratios(&on.ten.ratios),
            ratios(&off.ten.ratios)
        );
        println!(
            "| CPU of bluehook serve per delivery, 1 hook / 10 hooks | {:.1} / {:.1} µs | {:.1} / {:.1} µs |",
            on.one.cpu_ns as f64 / 1000.0,
            on.ten.cpu_ns as f64 / 1000.0,
            off.one.cpu_ns as f64 / 1000.0,
            off.ten.cpu_ns as f64 / 1000.0
        );
        let lat = |l: &Vec<u64>| {
            format!(
                "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                percentile(l, 0.50) as f64 / 1000.0,
                percentile(l, 0.99) as f64 / 1000.0,
                l.last().copied().unwrap_or(0) as f64 / 1000.0
            )
        };
        println!(
            "| 1 hook at 1000 events/s, publish→callback | {} | {} |",
            lat(&on.latency_us),
            lat(&off.latency_us)
        );
        println!(
            "| peak RSS of bluehook serve | {:.1} MiB | {:.1} MiB |",
            on.rss_kib as f64 / 1024.0,
            off.rss_kib as f64 / 1024.0
        );
        println!(
            "| callbacks received / expected | {} / {} | {} / {} |",
            on.delivered, on.expected, off.delivered, off.expected
        );
        println!();
    }
    if catcher {
        let redis = RedisServer::start();
        print_table("Catcher", catcher_runs(&binary, &redis, n).await?);
    }
    if wanted("writer") {
        print_table("Audit log writer in bursts", writer_runs(10, n).await?);
    }
    if storage {
        print_table("Audit log", store_runs(&binary, store_events).await?);
    }
    Ok(())
}
