//! The audit log end to end: what is recorded, the admin API over it (token, queries,
//! pagination, full text, export, live stream), durable delivery across a restart, and secrets
//! kept out of every row and export.

mod common;

use bluehook_core::config::{PermanentHook, Secret};
use bluehook_testkit::{poll_until, wait_until, Receiver, RedisServer, Reply};
use common::*;

#[tokio::test]
async fn events_and_attempts_are_recorded_and_queryable() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let receiver = Receiver::start().await;
    receiver.script([Reply::status(500)]);
    let mut cfg = config(&redis, data.path());
    cfg.servers[0].permanent_hooks = vec![PermanentHook {
        headers: api_key("key-do-not-leak"),
        ..permanent_hook(receiver.url("/lms"))
    }];
    cfg.servers[0].bearer_auth = true;
    let engine = start(cfg, &redis).await;
    let hook = engine.hooks("default").unwrap()[0].id.clone();

    redis.publish(AKKA, &raw::meeting_created(MEETING, "ext-7"));
    redis.publish(AKKA, &raw::user_joined(MEETING, "w_1", "teacher-42"));
    redis.publish(AKKA, "garbage");
    redis.publish(
        AKKA,
        r#"{"envelope":{"name":"UpdateCursorEvtMsg"},"core":{"body":{"x":1}}}"#,
    );
    for n in 0..5 {
        redis.publish(AKKA, &raw::chat(n));
    }
    receiver.wait_for(8, WAIT).await;
    // the writer commits in the background: poll the API until the last attempt shows
    let attempts_path = format!("/api/v1/attempts?hook={hook}&limit=1000");
    assert!(
        poll_until(
            WAIT,
            || async {
                let page = admin_get(&engine, &attempts_path).await;
                page["items"].as_array().map_or(0, |a| a.len()) == 8
            },
            |ok| *ok
        )
        .await
    );
    let page = admin_get(&engine, &attempts_path).await;
    let attempts = page["items"].as_array().unwrap();
    assert_eq!(attempts[0]["outcome"], "failed");
    assert_eq!(attempts[0]["status"], 500);
    assert_eq!(attempts[0]["error_class"], "status");
    assert_eq!(attempts[1]["outcome"], "delivered");
    assert_eq!(attempts[1]["attempt"], 2);
    assert_eq!(attempts[0]["event_id"], attempts[1]["event_id"]);
    assert_eq!(attempts[1]["response_body"], "ok");
    assert_eq!(
        attempts[1]["url"],
        receiver.url("/lms"),
        "bearer auth: no checksum"
    );
    let headers = &attempts[1]["request_headers"];
    assert_eq!(headers["authorization"], "Bearer ***");
    assert_eq!(headers["x-api-key"], "***");
    assert_eq!(
        headers["content-type"],
        "application/x-www-form-urlencoded;charset=UTF-8"
    );

    // events by meeting (internal or external id), by type, full text, and keyset pages; events
    // reach the search when the relay is quiet, possibly after their attempts
    let by_meeting = poll_until(
        WAIT,
        || admin_get(&engine, "/api/v1/events?meeting=ext-7"),
        |page| page["items"].as_array().map_or(0, |a| a.len()) == 7,
    )
    .await;
    assert_eq!(by_meeting["items"].as_array().unwrap().len(), 7);
    let by_internal = admin_get(&engine, &format!("/api/v1/events?meeting={MEETING}")).await;
    assert_eq!(by_internal["items"].as_array().unwrap().len(), 7);
    let elsewhere = admin_get(&engine, "/api/v1/events?meeting=other").await;
    assert_eq!(elsewhere["items"].as_array().unwrap().len(), 0);
    let by_type = admin_get(&engine, "/api/v1/events?type=user-joined").await;
    assert_eq!(by_type["items"][0]["user_external"], "teacher-42");
    assert!(
        poll_until(
            WAIT,
            || async {
                // only the join has a presenter flag; it and the five chat messages name teacher-42
                let joined = admin_get(&engine, "/api/v1/events?text=presenter").await;
                let teacher = admin_get(&engine, "/api/v1/events?text=teacher-42").await;
                joined["items"].as_array().map_or(0, |a| a.len()) == 1
                    && teacher["items"].as_array().map_or(0, |a| a.len()) == 6
            },
            |ok| *ok
        )
        .await,
        "full-text search finds the join and the chat messages"
    );
    let mut ids = Vec::new();
    let mut after = String::new();
    loop {
        let page = admin_get(&engine, &format!("/api/v1/events?limit=3{after}")).await;
        ids.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_i64().unwrap()),
        );
        match page["next"].as_i64() {
            Some(n) => after = format!("&after={n}"),
            None => break,
        }
    }
    assert_eq!(ids.len(), 7);
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    let failed = admin_get(&engine, "/api/v1/events?outcome=failed").await;
    assert_eq!(failed["items"].as_array().unwrap().len(), 1);
    let one = admin_get(&engine, &format!("/api/v1/events/{}", ids[0])).await;
    assert_eq!(one["event"]["type"], "meeting-created");
    assert_eq!(one["attempts"].as_array().unwrap().len(), 2);

    // the raw message that was not JSON is kept, marked malformed
    let db = rusqlite::Connection::open(data.path().join("bluehook.sqlite3")).unwrap();
    let malformed: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM raw_events WHERE outcome = 'malformed' AND payload = 'garbage'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(malformed, 1);
    // message types that are not relayed are counted, not kept (unless asked for)
    let unknown: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM raw_events WHERE outcome = 'unknown'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unknown, 0);
    assert_eq!(engine.stats("default").unwrap().unknown, 1);

    // no secret anywhere in the database's attempt rows or in exports
    let mut dump = String::new();
    let mut stmt = db.prepare("SELECT urls, request_headers, COALESCE(response_headers, ''), COALESCE(error, ''), COALESCE(url, ''), COALESCE(CAST(sums AS TEXT), '') FROM attempt_runs").unwrap();
    let rows = stmt
        .query_map([], |r| {
            (0..6)
                .map(|i| r.get::<_, String>(i))
                .collect::<rusqlite::Result<String>>()
        })
        .unwrap();
    for row in rows {
        dump.push_str(&row.unwrap());
    }
    for format in ["csv", "ndjson", "json"] {
        let r = admin(
            &engine,
            reqwest::Method::GET,
            &format!("/api/v1/export?table=attempts&format={format}"),
        )
        .send()
        .await
        .unwrap();
        assert_eq!(r.headers()["x-total-count"], "8");
        dump.push_str(&r.text().await.unwrap());
    }
    // numeric filters work on the export too, and an empty text filter is no filter
    let since = admin(
        &engine,
        reqwest::Method::GET,
        "/api/v1/export?table=events&format=ndjson&since=0&after=1",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(since.status(), 200);
    assert_eq!(since.headers()["x-total-count"], "6");
    let empty_text = admin(&engine, reqwest::Method::GET, "/api/v1/attempts?text=")
        .send()
        .await
        .unwrap();
    assert_eq!(empty_text.status(), 200);
    assert!(!dump.contains(SECRET), "the shared secret leaked");
    assert!(
        !dump.contains("key-do-not-leak"),
        "a hook header value leaked"
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn a_signed_hooks_attempts_show_each_requests_own_signature_headers() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let receiver = Receiver::start().await;
    let mut cfg = config(&redis, data.path());
    cfg.servers[0].permanent_hooks = vec![PermanentHook {
        headers: api_key("key-do-not-leak"),
        signing_secret: Some(Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")),
        ..permanent_hook(receiver.url("/signed"))
    }];
    let engine = start(cfg, &redis).await;
    let hook = engine.hooks("default").unwrap()[0].id.clone();
    redis.publish(AKKA, &raw::chat(1));
    redis.publish(AKKA, &raw::chat(2));
    let got = receiver.wait_for(2, WAIT).await;
    let attempts = wait_attempts(&engine, &hook, 2).await;
    assert_eq!(attempts.len(), 2);
    // Attempts come in event order, as the callbacks did (one request in flight per hook).
    for (attempt, callback) in attempts.iter().zip(&got) {
        let shown = &attempt["request_headers"];
        for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
            assert_eq!(shown[name], callback.header(name).unwrap(), "{name}");
        }
        assert_eq!(shown["x-api-key"], "***");
    }
    assert_ne!(
        attempts[0]["request_headers"]["webhook-id"], attempts[1]["request_headers"]["webhook-id"],
        "each message has its own id"
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn the_admin_api_wants_its_token() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let engine = start(config(&redis, data.path()), &redis).await;
    let url = format!("http://{}/api/v1/servers", engine.admin_addr().unwrap());
    let none = reqwest::get(&url).await.unwrap();
    assert_eq!(none.status(), 401);
    let wrong = reqwest::Client::new()
        .get(&url)
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let servers = admin_get(&engine, "/api/v1/servers").await;
    assert_eq!(servers[0]["name"], "default");
    assert!(!servers.to_string().contains(SECRET));
    let token_file = data.path().join("admin-token");
    assert_eq!(
        std::fs::read_to_string(&token_file).unwrap(),
        engine.admin_token().unwrap()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let metrics = metrics(&engine).await;
    assert!(
        metrics.contains("bluehook_redis_up{server=\"default\"} 1"),
        "{metrics}"
    );
    // the same token after a restart
    let token = engine.admin_token().unwrap().to_owned();
    engine.shutdown().await;
    let engine = start(config(&redis, data.path()), &redis).await;
    assert_eq!(engine.admin_token().unwrap(), token);
    engine.shutdown().await;
}

#[tokio::test]
async fn live_stream_shows_events_and_attempts() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let receiver = Receiver::start().await;
    let engine = start(config(&redis, data.path()), &redis).await;
    create_hook(&engine, &receiver.url("/cb?tenant=1"), "").await;
    let hook = engine.hooks("default").unwrap()[0].id.clone();
    let mut sse = admin(&engine, reqwest::Method::GET, "/api/v1/stream")
        .send()
        .await
        .unwrap();
    assert_eq!(sse.headers()["content-type"], "text/event-stream");
    redis.publish(AKKA, &raw::chat(5));
    redis.publish(AKKA, &raw::chat(6));
    // Each attempt shows the URL it called, checksum included, live and in the log.
    let called: Vec<String> = receiver
        .wait_for(2, WAIT)
        .await
        .iter()
        .map(|c| receiver.url(&c.target))
        .collect();
    assert!(called[0].contains("?tenant=1&checksum="), "{called:?}");
    assert_ne!(called[0], called[1]);
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    while !(text.contains("event: event")
        && called
            .iter()
            .all(|url| text.contains(&format!("\"url\":\"{url}\""))))
    {
        let chunk = tokio::time::timeout_at(deadline, sse.chunk())
            .await
            .expect("stream data in time");
        text.push_str(&String::from_utf8_lossy(
            &chunk.unwrap().expect("open stream"),
        ));
    }
    assert!(text.contains("chat-group-message-sent"), "{text}");
    assert!(
        text.contains("\\\"outcome\\\":\\\"delivered\\\"")
            || text.contains("\"outcome\":\"delivered\""),
        "{text}"
    );
    let logged: Vec<String> = wait_attempts(&engine, &hook, 2)
        .await
        .iter()
        .map(|a| a["url"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(logged, called);
    engine.shutdown().await;
}

#[tokio::test]
async fn pending_deliveries_survive_a_restart() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let receiver = Receiver::start().await;
    receiver.set_default(Reply::status(503));
    let mut cfg = config(&redis, data.path());
    cfg.delivery.retry_intervals_ms = vec![60_000];
    let engine = start(cfg.clone(), &redis).await;
    create_hook(&engine, &receiver.url("/down"), "").await;
    for n in 0..3 {
        redis.publish(AKKA, &raw::chat(n));
    }
    receiver.wait_for(1, WAIT).await; // first attempt of event 0 failed; now waiting a minute
    engine.shutdown().await;

    receiver.set_default(Reply::status(200));
    let engine = start(cfg, &redis).await;
    let got = receiver.wait_for(4, WAIT).await;
    let numbers: Vec<usize> = got[1..].iter().map(chat_number).collect();
    assert_eq!(numbers, [0, 1, 2], "resumed in order after the restart");
    // and gaps: a Redis outage is recorded
    let mut redis = redis;
    redis.restart();
    assert!(wait_until(WAIT, || redis.subscribers(AKKA) >= 1).await);
    assert!(
        poll_until(
            WAIT,
            || async {
                let gaps = admin_get(&engine, "/api/v1/gaps").await;
                gaps.as_array()
                    .is_some_and(|g| g.iter().any(|x| !x["ended_at"].is_null()))
            },
            |ok| *ok
        )
        .await,
        "the outage is in the log with its end"
    );
    engine.shutdown().await;
}

/// With the audit log on, its checkpointer thread is the only one that copies the WAL back:
/// the store's own writes (hooks, mapping snapshots), made on runtime threads, never do.
#[tokio::test]
async fn store_writes_leave_checkpoints_to_the_audit_log() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let engine = start(config(&redis, data.path()), &redis).await;
    assert_eq!(engine.store().auto_checkpoint_pages().unwrap(), 0);
    engine.shutdown().await;

    let data = tempfile::tempdir().unwrap();
    let mut cfg = config(&redis, data.path());
    cfg.audit.enabled = false;
    let engine = start(cfg, &redis).await;
    assert!(
        engine.store().auto_checkpoint_pages().unwrap() > 0,
        "without the audit log nothing else checkpoints"
    );
    engine.shutdown().await;
}

/// The WAL is copied back into the database once the writer has been quiet a moment, not only
/// when it has grown large: the database file grows after a small burst, without a restart.
#[tokio::test]
async fn the_log_is_checkpointed_once_the_writer_is_quiet() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let engine = start(config(&redis, data.path()), &redis).await;
    let db = engine.store().path().to_owned();
    let size = || std::fs::metadata(&db).unwrap().len();
    let before = size();
    redis.publish(AKKA, &raw::meeting_created(MEETING, "ext-7"));
    for n in 0..200 {
        redis.publish(AKKA, &raw::chat(n));
    }
    let logged = poll_until(
        WAIT,
        || async {
            admin_get(&engine, "/api/v1/events?limit=1000").await["items"]
                .as_array()
                .map_or(0, |a| a.len())
        },
        |n| *n == 201,
    )
    .await;
    assert_eq!(logged, 201);
    let after = poll_until(WAIT, || async { size() }, |s| *s > before).await;
    assert!(
        after > before + 100 * 1024,
        "200 events (their raw messages and JSON) reached the database file: {before} -> {after} bytes"
    );
    engine.shutdown().await;
}
