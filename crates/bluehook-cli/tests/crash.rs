//! Durable delivery: `kill -9` of `bluehook serve` in the middle of a burst to a slow hook
//! loses nothing. After a restart on the same data directory every event arrives, in order,
//! and the audit log holds a delivered attempt for each.

use bluehook_core::checksum::Algorithm;
use bluehook_testkit::{api_url, enc, free_port, get, wait_until, Receiver, RedisServer, Reply};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const SECRET: &str = "c7a1d9e2f3b4a5c6d7e8f9a0b1c2d3e4";
const N: usize = 10_000;

fn serve(redis: &RedisServer, port: u16, data: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_bluehook"))
        .arg("serve")
        .env("SHARED_SECRET", SECRET)
        .env("REDIS_PORT", redis.port().to_string())
        .env("SERVER_PORT", port.to_string())
        .env("BLUEHOOK_DATA_DIR", data)
        .env("BLUEHOOK_ADMIN_PORT", "0")
        .env("BLUEHOOK_CATCHER_PORT", "0")
        .env("LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("bluehook binary")
}

/// Waits until the relay listens on the chat channel.
async fn subscribed(redis: &RedisServer) {
    assert!(
        wait_until(Duration::from_secs(20), || redis
            .subscribers("from-akka-apps-chat-redis-channel")
            == 1)
        .await
    );
}

/// What a crash test's relay runs with.
struct Setup {
    redis: RedisServer,
    receiver: Receiver,
    data: tempfile::TempDir,
    port: u16,
}

/// Starts a relay on its own Redis, port and data directory, with one hook on a receiver that
/// takes 0.5 ms to answer each callback.
async fn relay_with_slow_hook() -> (Setup, Child) {
    let (redis, receiver, data, port) = (
        RedisServer::start(),
        Receiver::start().await,
        tempfile::tempdir().unwrap(),
        free_port(),
    );
    receiver.set_default(Reply {
        status: 200,
        delay: Duration::from_micros(500),
    });
    let child = serve(&redis, port, data.path());
    subscribed(&redis).await;
    let xml = get(&api_url(
        &format!("http://127.0.0.1:{port}"),
        "create",
        &format!("callbackURL={}", enc(&receiver.url("/slow"))),
        SECRET,
        Algorithm::Sha1,
    ))
    .await;
    assert!(xml.contains("SUCCESS"), "{xml}");
    (
        Setup {
            redis,
            receiver,
            data,
            port,
        },
        child,
    )
}

fn chat(n: usize) -> String {
    format!(
        r#"{{"envelope":{{"name":"GroupChatMessageBroadcastEvtMsg","routing":{{"meetingId":"m-1","userId":"w_1"}},"timestamp":1}},"core":{{"header":{{"name":"GroupChatMessageBroadcastEvtMsg","meetingId":"m-1","userId":"w_1"}},"body":{{"chatId":"MAIN-PUBLIC-GROUP-CHAT","msg":{{"id":"{n}","timestamp":1,"sender":{{"id":"w_1","name":"A"}},"message":"{n}"}}}}}}}}"#
    )
}

fn number(c: &bluehook_testkit::Captured) -> usize {
    c.event()[0]["data"]["attributes"]["chat-message"]["message"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("a chat number")
}

/// How many different chat numbers `receiver` got.
fn distinct(receiver: &Receiver) -> usize {
    receiver
        .captured()
        .iter()
        .map(number)
        .collect::<std::collections::HashSet<_>>()
        .len()
}

/// The chat numbers in `got`, each once, in the order they first arrived.
fn first_arrivals(got: &[bluehook_testkit::Captured]) -> Vec<usize> {
    let mut seen = std::collections::HashSet::new();
    got.iter().map(number).filter(|n| seen.insert(*n)).collect()
}

/// The restarted relay delivers in order (no repeats among its own deliveries).
fn assert_in_order(got: &[bluehook_testkit::Captured]) {
    let numbers: Vec<usize> = got.iter().map(number).collect();
    assert!(
        numbers.windows(2).all(|w| w[0] < w[1]),
        "the restarted relay delivers in order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_burst_loses_nothing_and_keeps_order() {
    let (setup, mut child) = relay_with_slow_hook().await;
    let Setup {
        redis,
        receiver,
        data,
        port,
    } = setup;

    let messages: Vec<String> = (0..N).map(chat).collect();
    redis.publish_all(
        "from-akka-apps-chat-redis-channel",
        messages.iter().map(String::as_str),
    );
    receiver.wait_for(1_000, Duration::from_secs(60)).await;
    // Pub/sub keeps nothing: only what the relay committed can survive. Kill once every event
    // is in the log (the burst is still being delivered then: the hook is slow).
    let db_path = data.path().join("bluehook.sqlite3");
    let committed = || {
        rusqlite::Connection::open_with_flags(&db_path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|db| db.query_row("SELECT COUNT(*) FROM events", [], |r| r.get::<_, i64>(0)))
            .unwrap_or(0)
    };
    assert!(wait_until(Duration::from_secs(60), || committed() == N as i64).await);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = receiver.count();
    assert!(
        before < N,
        "the burst was still being delivered when the process died"
    );

    let mut child = serve(&redis, port, data.path());
    // At least once: repeats are allowed, so wait until every number arrived, not N requests.
    // (counting distinct numbers only once N requests are in; the check below says what is missing)
    wait_until(Duration::from_secs(120), || {
        receiver.count() >= N && distinct(&receiver) == N
    })
    .await;
    let got = receiver.captured();
    child.kill().unwrap();
    child.wait().unwrap();

    // At least once: the first appearance of each number is 0, 1, 2, … N-1 ...
    let firsts = first_arrivals(&got);
    let seen: std::collections::HashSet<usize> = firsts.iter().copied().collect();
    let missing: Vec<usize> = (0..N).filter(|n| !seen.contains(n)).collect();
    let out_of_order: Vec<(usize, usize)> = firsts
        .windows(2)
        .filter(|w| w[0] > w[1])
        .map(|w| (w[0], w[1]))
        .collect();
    assert!(
        missing.is_empty() && out_of_order.is_empty(),
        "missing {} (first {:?}), out of order {:?}, delivered before the kill {before}",
        missing.len(),
        &missing[..missing.len().min(10)],
        &out_of_order[..out_of_order.len().min(10)]
    );
    // ... and each process delivered in order. A hook's progress is committed up to 25 ms
    // after its deliveries (with their attempt rows), so a repeat can only be one of the
    // deliveries of the last 25 ms before the kill — a few dozen at most at this hook's pace.
    assert_in_order(&got[before..]);
    let duplicates = got.len() - N;
    assert!(duplicates <= 60, "{duplicates} repeated deliveries");

    // The audit log holds a delivered attempt for every event. The last moments' attempts
    // were in the journal when the process died: the log's next start imports them first.
    let path = data.path().join("bluehook.sqlite3");
    let (log, writer) = bluehook_engine::audit::AuditLog::start(&path).unwrap();
    drop(log);
    writer.join().unwrap();
    let reader = bluehook_engine::query::Reader::open(&path).unwrap();
    let delivered = reader
        .count_events(&bluehook_engine::query::Filter {
            outcome: Some("delivered".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(delivered as usize, N);
    let db = rusqlite::Connection::open(&path).unwrap();
    let events: i64 = db
        .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(events as usize, N);
}

/// The events of the last moments before a kill are in the event journal only (their import
/// into SQLite waits for the relay to be quiet): they are imported at the restart and
/// delivered, in order, like the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_with_events_only_in_the_journal_loses_none_of_them() {
    let (setup, mut child) = relay_with_slow_hook().await;
    let Setup {
        redis,
        receiver,
        data,
        port,
    } = setup;

    // A steady stream (the relay is never quiet), stopped just before the kill.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let publisher = {
        let (stop, url) = (stop.clone(), redis.url());
        std::thread::spawn(move || {
            let mut conn = redis::Client::open(url).unwrap().get_connection().unwrap();
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let mut pipe = redis::pipe();
                for i in n..n + 10 {
                    pipe.cmd("PUBLISH")
                        .arg("from-akka-apps-chat-redis-channel")
                        .arg(chat(i));
                }
                pipe.exec(&mut conn).unwrap();
                n += 10;
                std::thread::sleep(Duration::from_millis(10));
            }
            n
        })
    };
    receiver.wait_for(500, Duration::from_secs(60)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let published = publisher.join().unwrap();
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let journal = data.path().join("bluehook.sqlite3-events.log");
    assert!(
        std::fs::metadata(&journal).unwrap().len() > 0,
        "events waited in the journal when the process died"
    );
    let before = receiver.count();

    let mut child = serve(&redis, port, data.path());
    let db_path = data.path().join("bluehook.sqlite3");
    // The journal is imported before the relay subscribes again.
    subscribed(&redis).await;
    let db = rusqlite::Connection::open(&db_path).unwrap();
    let events: usize = db
        .query_row("SELECT COUNT(*) FROM events", [], |r| r.get::<_, i64>(0))
        .unwrap() as usize;
    assert_eq!(std::fs::metadata(&journal).unwrap().len(), 0);
    // Pub/sub keeps nothing: what the relay had not journaled when it died is gone, but every
    // event it delivered was journaled first.
    assert!(
        before <= events && events <= published,
        "delivered {before}, logged {events}, published {published}"
    );
    assert!(wait_until(Duration::from_secs(120), || distinct(&receiver) == events).await);
    let got = receiver.captured();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        first_arrivals(&got),
        (0..events).collect::<Vec<_>>(),
        "each event, in order"
    );
    assert_in_order(&got[before..]);
}
