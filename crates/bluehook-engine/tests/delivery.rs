//! Callbacks from raw Redis messages to real HTTP receivers: bytes, checksums, filters,
//! order, retries, removal, independence of hooks.

mod common;

use bluehook_core::checksum::Algorithm;
use bluehook_core::config::PermanentHook;
use bluehook_testkit::{wait_until, Receiver, RedisServer, Reply};
use common::*;
use std::time::Duration;

fn checksum_of(
    captured: &bluehook_testkit::Captured,
    registered_url: &str,
    alg: Algorithm,
) -> (String, String) {
    let (_, query) = captured.target.split_once('?').expect("a query");
    let given = query
        .strip_prefix("checksum=")
        .expect("checksum parameter")
        .to_owned();
    let expected = alg.hex_digest(&[registered_url.as_bytes(), &captured.body, SECRET.as_bytes()]);
    (given, expected)
}

#[tokio::test]
async fn callback_bytes_match_bbb_webhooks() {
    for alg in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512] {
        let redis = RedisServer::start();
        let data = tempfile::tempdir().unwrap();
        let receiver = Receiver::start().await;
        let mut cfg = config(&redis, data.path());
        cfg.servers[0].hook_checksum_algorithm = alg;
        let engine = start(cfg, &redis).await;
        let url = receiver.url("/bbb/hooks");
        create_hook(&engine, &url, "").await;

        redis.publish(AKKA, &raw::meeting_created(MEETING, "random-9019868"));
        redis.publish(AKKA, &raw::meeting_ended(MEETING));
        let got = receiver.wait_for(2, WAIT).await;
        let ended = &got[1];
        assert_eq!(ended.method, "POST");
        assert_eq!(
            ended.header("content-type"),
            Some("application/x-www-form-urlencoded;charset=UTF-8")
        );
        assert_eq!(ended.header("accept"), Some("*/*"));
        assert_eq!(ended.header("user-agent"), Some("node-fetch"));
        assert_eq!(ended.header("authorization"), None);
        let names: Vec<&str> = ended.headers.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "accept",
                "content-length",
                "content-type",
                "user-agent",
                "host",
                "connection"
            ],
            "node-fetch's header order"
        );
        assert_eq!(ended.header("connection"), Some("keep-alive"));
        let names: Vec<String> = ended.form().into_iter().map(|(k, _)| k).collect();
        assert_eq!(names, ["domain", "event", "timestamp"]);
        assert_eq!(ended.field("domain").as_deref(), Some(DOMAIN));
        let ts = ended.event()[0]["data"]["event"]["ts"].as_u64().unwrap();
        let expected = format!(
            "[{{\"data\":{{\"type\":\"event\",\"id\":\"meeting-ended\",\"attributes\":{{\"meeting\":{{\"internal-meeting-id\":\"{MEETING}\",\"external-meeting-id\":\"random-9019868\"}}}},\"event\":{{\"ts\":{ts}}}}}}}]"
        );
        assert_eq!(ended.field("event").unwrap(), expected);
        let timestamp: u64 = ended.field("timestamp").unwrap().parse().unwrap();
        assert!(
            timestamp >= ts && timestamp - ts < 5_000,
            "timestamp {timestamp} vs ts {ts}"
        );
        // the raw body is the WHATWG form encoding of those fields
        let body = ended.text();
        assert!(
            body.starts_with(
                "domain=bbb.example.com&event=%5B%7B%22data%22%3A%7B%22type%22%3A%22event%22"
            ),
            "{body}"
        );
        let (given, recomputed) = checksum_of(ended, &url, alg);
        assert_eq!(given, recomputed, "{alg}");
        assert_eq!(given.len(), alg.hex_digest(&[b""]).len());
        // two events never share a checksum
        assert_ne!(checksum_of(&got[0], &url, alg).0, given);
        engine.shutdown().await;
    }
}

#[tokio::test]
async fn bearer_mode_sends_the_token_and_no_checksum() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let receiver = Receiver::start().await;
    let mut cfg = config(&redis, data.path());
    cfg.servers[0].bearer_auth = true;
    let engine = start(cfg, &redis).await;
    create_hook(&engine, &receiver.url("/cb?x=1"), "").await;
    redis.publish(AKKA, &raw::meeting_ended(MEETING));
    let got = receiver.wait_for(1, WAIT).await;
    assert_eq!(got[0].target, "/cb?x=1");
    assert_eq!(
        got[0].header("authorization"),
        Some(format!("Bearer {SECRET}").as_str())
    );
    assert_eq!(got[0].event_id(), "meeting-ended");
    engine.shutdown().await;
}

#[tokio::test]
async fn raw_hooks_filters_and_meeting_scope() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let all = Receiver::start().await;
    let raw_hook = Receiver::start().await;
    let scoped = Receiver::start().await;
    let other_meeting = Receiver::start().await;
    let joined_only = Receiver::start().await;
    let mut cfg = config(&redis, data.path());
    cfg.servers[0].exclude_events = vec!["meeting-ended".into()];
    let engine = start(cfg, &redis).await;
    create_hook(&engine, &all.url("/all"), "").await;
    create_hook(&engine, &raw_hook.url("/raw"), "&getRaw=true").await;
    create_hook(&engine, &scoped.url("/scoped"), "&meetingID=ext-1").await;
    create_hook(&engine, &other_meeting.url("/other"), "&meetingID=ext-2").await;
    create_hook(&engine, &joined_only.url("/joined"), "&eventID=USER-JOINED").await;

    let created = raw::meeting_created(MEETING, "ext-1");
    let joined = raw::user_joined(MEETING, "w_1", "teacher-42");
    // a raw message with odd number spelling and spacing: getRaw hooks get it re-serialized
    let odd = r#"{ "envelope" : {"name":"UserJoinedMeetingEvtMsg","routing":{"meetingId":"8043c8452ae9830aac14c517adff3839dbd9228f-1698771157700","userId":"w_2"},"timestamp":1.698771164638e12},"core":{"header":{"name":"UserJoinedMeetingEvtMsg","meetingId":"8043c8452ae9830aac14c517adff3839dbd9228f-1698771157700","userId":"w_2"},"body":{"intId":"w_2","extId":"s-1","name":"Mary \u00e9","role":"VIEWER","guest":true,"presenter":false,"n":1.0}}}"#;
    redis.publish(AKKA, &created);
    redis.publish(AKKA, &joined);
    redis.publish(AKKA, odd);
    redis.publish(AKKA, &raw::meeting_ended(MEETING));
    redis.publish(AKKA, &raw::meeting_created("other-internal", "ext-3"));

    // all: created, joined, joined, created(other) — meeting-ended excluded globally, and the
    // synthesized user-left events (two users) come before it
    let got = all.wait_for(6, WAIT).await;
    let ids: Vec<String> = got.iter().map(|c| c.event_id()).collect();
    assert_eq!(
        ids,
        [
            "meeting-created",
            "user-joined",
            "user-joined",
            "user-left",
            "user-left",
            "meeting-created"
        ]
    );
    assert_eq!(
        got[1].event()[0]["data"]["attributes"]["user"]["external-user-id"],
        "teacher-42"
    );
    assert_eq!(
        got[3].event()[0]["data"]["attributes"]["user"]["name"],
        "John Doe"
    );

    let raws = raw_hook.wait_for(6, WAIT).await;
    assert_eq!(raws[0].field("event").unwrap(), format!("[{created}]"));
    let expected_odd = r#"[{"envelope":{"name":"UserJoinedMeetingEvtMsg","routing":{"meetingId":"8043c8452ae9830aac14c517adff3839dbd9228f-1698771157700","userId":"w_2"},"timestamp":1698771164638},"core":{"header":{"name":"UserJoinedMeetingEvtMsg","meetingId":"8043c8452ae9830aac14c517adff3839dbd9228f-1698771157700","userId":"w_2"},"body":{"intId":"w_2","extId":"s-1","name":"Mary é","role":"VIEWER","guest":true,"presenter":false,"n":1}}}]"#;
    assert_eq!(raws[2].field("event").unwrap(), expected_odd);
    // synthesized user-left has no raw message: raw hooks get the normalized event
    assert_eq!(raws[3].event_id(), "user-left");

    let scoped_got = scoped.wait_for(5, WAIT).await;
    let ids: Vec<String> = scoped_got.iter().map(|c| c.event_id()).collect();
    assert_eq!(
        ids,
        [
            "meeting-created",
            "user-joined",
            "user-joined",
            "user-left",
            "user-left"
        ]
    );

    let joined_got = joined_only.wait_for(2, WAIT).await;
    assert!(joined_got.iter().all(|c| c.event_id() == "user-joined"));

    // nothing more arrives at the filtered hooks once the last event reached everyone
    assert!(
        wait_until(WAIT, || engine.stats("default").unwrap().queued
            == engine.stats("default").unwrap().delivered)
        .await
    );
    assert_eq!(other_meeting.count(), 0);
    assert_eq!(joined_only.count(), 2);
    assert_eq!(scoped.count(), 5);
    assert_eq!(engine.stats("default").unwrap().filtered, 1);
    engine.shutdown().await;
}

#[tokio::test]
async fn order_is_kept_per_hook_over_a_burst() {
    const N: usize = 10_000;
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let receiver = Receiver::start().await;
    let engine = start(config(&redis, data.path()), &redis).await;
    create_hook(&engine, &receiver.url("/ordered"), "").await;
    let messages: Vec<String> = (0..N).map(raw::chat).collect();
    redis.publish_all(AKKA, messages.iter().map(String::as_str));
    let got = receiver.wait_for(N, Duration::from_secs(120)).await;
    let numbers: Vec<usize> = got.iter().map(chat_number).collect();
    assert_eq!(numbers, (0..N).collect::<Vec<_>>());
    engine.shutdown().await;
}

#[tokio::test]
async fn a_failed_delivery_is_retried_in_order() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let receiver = Receiver::start().await;
    receiver.script([Reply::status(500), Reply::status(503)]);
    let engine = start(config(&redis, data.path()), &redis).await;
    create_hook(&engine, &receiver.url("/flaky"), "").await;
    redis.publish_all(AKKA, [raw::chat(1).as_str(), raw::chat(2).as_str()]);
    let got = receiver.wait_for(4, WAIT).await;
    let numbers: Vec<usize> = got.iter().map(chat_number).collect();
    assert_eq!(
        numbers,
        [1, 1, 1, 2],
        "event 1 is retried until it succeeds, then event 2"
    );
    // a retry carries the same body (timestamp) and checksum
    assert_eq!(got[0].body, got[2].body);
    assert_eq!(got[0].target, got[2].target);
    // 401 counts as delivered (bbb-webhooks: "the callback worked but was denied")
    receiver.script([Reply::status(401)]);
    redis.publish(AKKA, &raw::chat(3));
    redis.publish(AKKA, &raw::chat(4));
    let got = receiver.wait_for(6, WAIT).await;
    assert_eq!(got[4..].iter().map(chat_number).collect::<Vec<_>>(), [3, 4]);
    let stats = engine.stats("default").unwrap();
    assert_eq!(stats.failed_attempts, 2);
    assert_eq!(stats.delivered, 4);
    engine.shutdown().await;
}

/// A delivery's `timestamp` is when it starts, which for a hook's next event is once the
/// answer before it is in (one request in flight per hook), not when the event arrived.
#[tokio::test]
async fn a_queued_delivery_is_stamped_when_it_starts() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let receiver = Receiver::start().await;
    receiver.script([Reply {
        status: 200,
        delay: Duration::from_millis(300),
    }]);
    let engine = start(config(&redis, data.path()), &redis).await;
    let url = receiver.url("/slow-first");
    create_hook(&engine, &url, "").await;
    redis.publish_all(AKKA, [raw::chat(1).as_str(), raw::chat(2).as_str()]);
    let got = receiver.wait_for(2, WAIT).await;
    assert_eq!(got.iter().map(chat_number).collect::<Vec<_>>(), [1, 2]);
    let stamp =
        |c: &bluehook_testkit::Captured| -> u64 { c.field("timestamp").unwrap().parse().unwrap() };
    let (first, second) = (stamp(&got[0]), stamp(&got[1]));
    assert!(
        second >= first + 300,
        "the second delivery started {} ms after the first, before its 300 ms answer",
        second - first
    );
    let (given, recomputed) = checksum_of(&got[1], &url, Algorithm::Sha1);
    assert_eq!(given, recomputed, "the checksum covers the new timestamp");
    engine.shutdown().await;
}

/// A worker logs an attempt while its next request is in flight; a failed one cannot wait for
/// that (its retry comes only after the retry interval): it is in the log at once.
#[tokio::test]
async fn a_failed_attempt_is_logged_before_its_retry() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let receiver = Receiver::start().await;
    receiver.script([Reply::status(503)]);
    let mut cfg = config(&redis, data.path());
    cfg.delivery.retry_intervals_ms = vec![60_000];
    let engine = start(cfg, &redis).await;
    let hook = create_hook(&engine, &receiver.url("/down-once"), "").await;
    redis.publish(AKKA, &raw::chat(1));
    let attempts = wait_attempts(&engine, &hook, 1).await;
    assert_eq!(attempts[0]["outcome"], "failed");
    assert_eq!(attempts[0]["status"], 503);
    assert_eq!(receiver.count(), 1, "the retry is still a minute away");
    engine.shutdown().await;
}

#[tokio::test]
async fn a_dead_hook_does_not_slow_a_live_one() {
    const N: usize = 500;
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let live = Receiver::start().await;
    let stuck = Receiver::start().await;
    stuck.set_default(Reply {
        status: 200,
        delay: Duration::from_secs(30),
    });
    let mut cfg = config(&redis, data.path());
    cfg.delivery.request_timeout_ms = 60_000;
    let engine = start(cfg, &redis).await;
    create_hook(&engine, &stuck.url("/stuck"), "").await;
    create_hook(&engine, "http://127.0.0.1:1/refused", "").await;
    create_hook(&engine, &live.url("/live"), "").await;
    let messages: Vec<String> = (0..N).map(raw::chat).collect();
    redis.publish_all(AKKA, messages.iter().map(String::as_str));
    // the live hook gets every event while the stuck hook still hangs on its first request
    let got = live.wait_for(N, Duration::from_secs(20)).await;
    assert_eq!(got.len(), N);
    assert_eq!(
        stuck.count(),
        0,
        "the stuck receiver has not answered its first request yet"
    );
    engine.shutdown().await;
}

/// Each request gets the whole `request_timeout_ms` from its own start (the client keeps one
/// deadline timer and moves it for every request), times out at it, and is retried.
#[tokio::test]
async fn a_slow_answer_times_out_at_its_own_deadline_and_is_retried() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let receiver = Receiver::start().await;
    receiver.script([
        Reply::status(200),
        Reply {
            status: 200,
            delay: Duration::from_secs(5),
        },
    ]);
    let mut cfg = config(&redis, data.path());
    cfg.delivery.request_timeout_ms = 400;
    cfg.delivery.retry_intervals_ms = vec![10];
    let engine = start(cfg, &redis).await;
    let hook = create_hook(&engine, &receiver.url("/slow"), "").await;
    redis.publish(AKKA, &raw::chat(1));
    receiver.wait_for(1, WAIT).await;
    redis.publish(AKKA, &raw::chat(2));
    // (The receiver records a request when it answers: the one given up on is not recorded.)
    let got = receiver.wait_for(2, WAIT).await;
    assert_eq!(got.iter().map(chat_number).collect::<Vec<_>>(), [1, 2]);
    let attempts = wait_attempts(&engine, &hook, 3).await;
    let shown: Vec<_> = attempts
        .iter()
        .map(|a| {
            (
                a["attempt"].as_i64().unwrap(),
                a["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(shown, [(1, "delivered"), (1, "failed"), (2, "delivered")]);
    assert_eq!(attempts[1]["error_class"], "timeout");
    let waited_ms = attempts[1]["latency_us"].as_i64().unwrap() / 1000;
    assert!(
        (400..2_000).contains(&waited_ms),
        "timed out after {waited_ms} ms, not at its own 400 ms deadline"
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn exhausted_retries_remove_a_hook_but_never_a_permanent_one() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let doomed = Receiver::start().await;
    doomed.set_default(Reply::status(500));
    let permanent = Receiver::start().await;
    permanent.set_default(Reply::status(410));
    let mut cfg = config(&redis, data.path());
    cfg.servers[0].permanent_hooks = vec![permanent_hook(permanent.url("/permanent"))];
    let engine = start(cfg, &redis).await;
    create_hook(&engine, &doomed.url("/doomed"), "").await;
    redis.publish(AKKA, &raw::chat(1));
    redis.publish(AKKA, &raw::chat(2));
    // 1 attempt + 3 retries, then removal; the second event is dropped with the hook
    assert!(wait_until(WAIT, || engine.stats("default").unwrap().hooks_removed == 1).await);
    assert_eq!(doomed.count(), 4);
    let list = call(&engine, "list", "").await;
    assert!(!list.contains("/doomed"), "{list}");
    assert!(list.contains("/permanent"), "{list}");
    // the permanent hook keeps trying past its schedule (every reset interval)
    permanent.wait_for(8, WAIT).await;
    assert!(permanent.captured().iter().all(|c| chat_number(c) == 1));
    // later events never reach the removed hook; the hook is gone after a restart too
    redis.publish(AKKA, &raw::chat(3));
    permanent.set_default(Reply::status(200));
    assert!(
        wait_until(WAIT, || permanent
            .captured()
            .iter()
            .any(|c| chat_number(c) == 3))
        .await
    );
    assert_eq!(doomed.count(), 4);
    engine.shutdown().await;
    let engine = start(config(&redis, data.path()), &redis).await;
    assert!(engine
        .hooks("default")
        .unwrap()
        .iter()
        .all(|h| !h.callback_url.ends_with("/doomed")));
    engine.shutdown().await;
}

#[tokio::test]
async fn extensions_put_headers_and_signature() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let receiver = Receiver::start().await;
    let mut cfg = config(&redis, data.path());
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    cfg.servers[0].permanent_hooks = vec![PermanentHook {
        name: Some("LMS".into()),
        method: bluehook_core::hook::Method::Put,
        headers: api_key("k-123"),
        signing_secret: Some(bluehook_core::config::Secret::new(secret)),
        event_ids: Some(vec!["meeting-ended".into()]),
        ..permanent_hook(receiver.url("/lms"))
    }];
    let engine = start(cfg, &redis).await;
    redis.publish(AKKA, &raw::chat(1));
    redis.publish(AKKA, &raw::meeting_ended(MEETING));
    let got = receiver.wait_for(1, WAIT).await;
    let c = &got[0];
    assert_eq!(c.method, "PUT");
    assert_eq!(c.event_id(), "meeting-ended");
    assert_eq!(c.header("x-api-key"), Some("k-123"));
    let id = c.header("webhook-id").unwrap();
    let ts: u64 = c.header("webhook-timestamp").unwrap().parse().unwrap();
    assert!(bluehook_core::signature::verify(
        secret,
        id,
        ts,
        &c.body,
        c.header("webhook-signature").unwrap()
    ));
    engine.shutdown().await;
}

/// A receiver that answers `Connection: close` and hangs up (PHP's and Python's built-in
/// servers do): each answer counts, nothing is retried.
#[tokio::test]
async fn connection_close_answers_are_delivered_once() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = requests.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // read the head, then Content-Length bytes of body
                loop {
                    let n = s.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(head_end) = text.find("\r\n\r\n") {
                        let len: usize = text[..head_end]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if buf.len() >= head_end + 4 + len {
                            break;
                        }
                    }
                }
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let _ = s
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                    )
                    .await;
                let _ = s.shutdown().await;
            });
        }
    });
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let engine = start(config(&redis, data.path()), &redis).await;
    create_hook(&engine, &format!("http://{addr}/close"), "").await;
    for n in 0..3 {
        redis.publish(AKKA, &raw::chat(n));
    }
    assert!(wait_until(WAIT, || engine.stats("default").unwrap().delivered == 3).await);
    assert_eq!(engine.stats("default").unwrap().failed_attempts, 0);
    assert_eq!(requests.load(std::sync::atomic::Ordering::SeqCst), 3);
    engine.shutdown().await;
}

/// A slow response body does not turn a 200 into a failure.
#[tokio::test]
async fn a_slow_body_after_the_headers_still_counts() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut chunk = [0u8; 65536];
                let _ = s.read(&mut chunk).await;
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial")
                    .await;
                tokio::time::sleep(Duration::from_secs(30)).await;
            });
        }
    });
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let mut cfg = config(&redis, data.path());
    cfg.delivery.request_timeout_ms = 500;
    let engine = start(cfg, &redis).await;
    create_hook(&engine, &format!("http://{addr}/slow-body"), "").await;
    redis.publish(AKKA, &raw::chat(1));
    assert!(wait_until(WAIT, || engine.stats("default").unwrap().delivered == 1).await);
    assert_eq!(engine.stats("default").unwrap().failed_attempts, 0);
    engine.shutdown().await;
}

/// Hook workers run on the engine's own delivery threads: an engine dropped without a
/// shutdown must not leave a worker behind that keeps calling its hook.
#[tokio::test]
async fn a_dropped_engine_stops_calling_hooks() {
    let redis = RedisServer::start();
    let retrying = Retrying::start(&redis).await;
    drop(retrying.engine);
    calls_stop(&retrying.receiver, "a worker outlived its engine").await;
}

/// A hook destroyed while it is retrying is called no more (its worker stops in the middle of
/// its wait before the next retry).
#[tokio::test]
async fn a_destroyed_hook_stops_its_retries() {
    let redis = RedisServer::start();
    let Retrying {
        engine,
        receiver,
        hook,
        _data,
    } = Retrying::start(&redis).await;
    let xml = call(&engine, "destroy", &format!("hookID={hook}")).await;
    assert!(xml.contains("<removed>true</removed>"), "{xml}");
    calls_stop(&receiver, "a destroyed hook was called again").await;
    // Its attempts are in the log: every answered one (but one answered just as the worker
    // stopped, which it never saw).
    let called = receiver.count();
    let logged = wait_attempts(&engine, &hook, called - 1).await.len();
    assert!(
        logged == called || logged == called - 1,
        "{logged} of {called} attempts logged"
    );
    engine.shutdown().await;
}

/// A hook whose receiver answers 500 to everything, retried every 10 ms, called three times.
struct Retrying {
    engine: bluehook_engine::Engine,
    receiver: Receiver,
    hook: String,
    _data: tempfile::TempDir,
}

impl Retrying {
    async fn start(redis: &RedisServer) -> Retrying {
        let data = tempfile::tempdir().unwrap();
        let receiver = Receiver::start().await;
        receiver.set_default(Reply::status(500));
        let mut cfg = config(redis, data.path());
        cfg.delivery.retry_intervals_ms = vec![10; 100_000];
        let engine = start(cfg, redis).await;
        let hook = create_hook(&engine, &receiver.url("/down"), "").await;
        redis.publish(AKKA, &raw::chat(1));
        receiver.wait_for(3, WAIT).await;
        Retrying {
            engine,
            receiver,
            hook,
            _data: data,
        }
    }
}

/// Waits until `receiver` gets no more calls (one already on its way may land), then checks
/// that none comes for a while longer than the 10 ms between retries.
async fn calls_stop(receiver: &Receiver, what: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut settled = receiver.count();
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = receiver.count();
        if now == settled {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        settled = now;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.count(), settled, "{what} (retries every 10 ms)");
}

#[tokio::test]
async fn https_hooks_on_a_private_ca_are_reached_with_its_certificate() {
    use bluehook_testkit::pki::Pki;
    let certs = tempfile::tempdir().unwrap();
    let pki = Pki::new(certs.path());
    let receiver = Receiver::start_tls(&pki).await;
    let url = receiver.url("/lms");
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let redis = RedisServer::start();
    let with_extra_ca = |ca: Option<&std::path::Path>| {
        let data = tempfile::tempdir().unwrap();
        let mut cfg = config(&redis, data.path());
        cfg.delivery.extra_ca_file = ca.map(|p| p.to_owned());
        cfg.servers[0].permanent_hooks = vec![permanent_hook(url.clone())];
        (cfg, data)
    };

    // The public roots alone: the receiver's certificate is refused, as a TLS failure.
    let (cfg, _data) = with_extra_ca(None);
    let engine = start(cfg, &redis).await;
    let hook = engine.hooks("default").unwrap()[0].id.clone();
    redis.publish(AKKA, &raw::chat(1));
    let attempts = wait_attempts(&engine, &hook, 1).await;
    assert_eq!(attempts[0]["outcome"], "failed", "{attempts:?}");
    assert_eq!(attempts[0]["error_class"], "tls", "{attempts:?}");
    assert!(
        attempts[0]["error"]
            .as_str()
            .unwrap()
            .contains("UnknownIssuer"),
        "{attempts:?}"
    );
    assert_eq!(receiver.count(), 0);
    engine.shutdown().await;
    assert!(wait_until(WAIT, || redis.subscribers(AKKA) == 0).await);

    // With the CA as an extra root (NODE_EXTRA_CA_CERTS): delivered.
    let (cfg, _data) = with_extra_ca(Some(&pki.ca));
    let engine = start(cfg, &redis).await;
    redis.publish(AKKA, &raw::chat(2));
    let got = receiver.wait_for(1, WAIT).await;
    assert_eq!(chat_number(&got[0]), 2);
    engine.shutdown().await;

    // A file that holds no certificate stops the start, named, before anything is made.
    let (cfg, data) = with_extra_ca(Some(&pki.client.1));
    let e = start_error(cfg, "a CA file without certificates").await;
    assert!(
        e.contains("NODE_EXTRA_CA_CERTS") && e.contains("client.key"),
        "{e}"
    );
    assert_eq!(
        std::fs::read_dir(data.path()).unwrap().count(),
        0,
        "no store"
    );
}
