//! `cargo xtask bench`: how fast `bluehook serve` relays, measured end to end on loopback.
//!
//! Starts a real redis-server, a minimal HTTP receiver (hyper, counts requests and reads the
//! publish time carried in each event), and the release `bluehook` binary as its own process.
//! Scenarios:
//! 1. ceiling: `wrk -c1` POSTing a callback-sized body to the same receiver;
//! 2. one hook, a burst of N events published in one pipeline: deliveries/s;
//! 3. ten hooks, the same burst: deliveries/s in all;
//! 4. one hook at a steady 1000 events/s: publish→callback latency percentiles;
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
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if let Some(t) = sent_at(&body) {
        counts
            .latencies_us
            .lock()
            .unwrap()
            .push(now_us().saturating_sub(t));
    }
    counts.requests.fetch_add(1, Ordering::Relaxed);
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

async fn start_bluehook(
    binary: &PathBuf,
    redis: &RedisServer,
    data: &std::path::Path,
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
        .env("LOG_LEVEL", "warn")
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
    let deadline = Instant::now() + timeout;
    loop {
        if counts.requests.load(Ordering::Relaxed) >= target {
            return Ok(Instant::now());
        }
        if Instant::now() > deadline {
            bail!(
                "only {} of {target} callbacks arrived",
                counts.requests.load(Ordering::Relaxed)
            );
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
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

fn wrk_ceiling(port: u16, connections: u32) -> Result<f64> {
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
        .args(["-t1", &format!("-c{connections}"), "-d5s", "-s"])
        .arg(script.path())
        .arg(format!("http://127.0.0.1:{port}/ceiling"))
        .output()
        .context("wrk is needed for the ceiling (apt-get install wrk)")?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find(|l| l.starts_with("Requests/sec:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("wrk output: {text}"))
}

/// Requests/s of the relay's own HTTP client in a tight loop (no Redis, no relay).
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
    let checksum = "checksum=0123456789abcdef0123456789abcdef01234567";
    let n = 20_000;
    let start = Instant::now();
    for _ in 0..n {
        client
            .send(
                hyper::Method::POST,
                &target,
                Some(checksum),
                &headers,
                body.clone(),
                Duration::from_secs(5),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut binary = PathBuf::from("target/release/bluehook");
    let mut n = 5000usize;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--bluehook" => binary = PathBuf::from(args.next().context("--bluehook PATH")?),
            "--events" => n = args.next().context("--events N")?.parse()?,
            other => bail!("unknown argument {other}"),
        }
    }
    let redis = RedisServer::start();
    let data = tempfile::tempdir()?;
    let counts = Arc::new(Counts::default());
    let port = start_receiver(counts.clone()).await?;
    let url = |i: usize| format!("http://127.0.0.1:{port}/hook/{i}");

    let ceiling1 = tokio::task::spawn_blocking(move || wrk_ceiling(port, 1)).await??;
    let ceiling10 = tokio::task::spawn_blocking(move || wrk_ceiling(port, 10)).await??;
    let client_only = client_ceiling(port).await?;
    counts.requests.store(0, Ordering::Relaxed);
    counts.latencies_us.lock().unwrap().clear();

    let bh = start_bluehook(&binary, &redis, data.path()).await?;

    // warm-up: connections and allocator
    create_hook(&bh, &url(0)).await?;
    burst(&redis, &counts, 1000, 1).await?;

    let mut one = Vec::new();
    for _ in 0..3 {
        one.push(burst(&redis, &counts, n, 1).await?);
    }
    one.sort_by(f64::total_cmp);

    for i in 1..10 {
        create_hook(&bh, &url(i)).await?;
    }
    let mut ten = Vec::new();
    for _ in 0..3 {
        ten.push(burst(&redis, &counts, n, 10).await?);
    }
    ten.sort_by(f64::total_cmp);

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
                    std::hint::spin_loop();
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
    wait_count(&counts, before + steady, Duration::from_secs(60)).await?;
    let mut lat = counts.latencies_us.lock().unwrap().clone();
    lat.sort_unstable();
    let rss = bh.peak_rss_kib().unwrap_or(0);
    let delivered = counts.requests.load(Ordering::Relaxed);

    let median = |v: &Vec<f64>| v[v.len() / 2];
    println!(
        "## Relay benchmark ({} events per burst, median of 3 runs)",
        n
    );
    println!();
    println!("| measure | result |");
    println!("|---|---|");
    println!("| loopback ceiling, `wrk -c1` on the same receiver | {ceiling1:.0} req/s |");
    println!("| loopback ceiling, `wrk -c10` | {ceiling10:.0} req/s |");
    println!(
        "| the relay's HTTP client alone, one connection, same receiver | {client_only:.0} req/s |"
    );
    println!(
        "| 1 hook, burst | {:.0} deliveries/s ({:.0}% of wrk -c1; runs {:.0} / {:.0} / {:.0}) |",
        median(&one),
        100.0 * median(&one) / ceiling1,
        one[0],
        one[1],
        one[2]
    );
    println!(
        "| 10 hooks, burst | {:.0} deliveries/s in all (runs {:.0} / {:.0} / {:.0}) |",
        median(&ten),
        ten[0],
        ten[1],
        ten[2]
    );
    println!(
        "| 1 hook at 1000 events/s, publish→callback | p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} samples) |",
        percentile(&lat, 0.50) as f64 / 1000.0,
        percentile(&lat, 0.99) as f64 / 1000.0,
        lat.last().copied().unwrap_or(0) as f64 / 1000.0,
        lat.len()
    );
    println!(
        "| peak RSS of bluehook serve | {:.1} MiB |",
        rss as f64 / 1024.0
    );
    println!(
        "| callbacks received / expected | {delivered} / {} |",
        1000 + 3 * n as u64 + 30 * n as u64 + steady
    );
    Ok(())
}
