//! The catcher end to end: real engine, real Redis, real HTTP on loopback — captures, size
//! limit, decoding, every verdict right and wrong, scripted failures seen as the relay's
//! retries, forwarding, and the live stream.

mod common;

use bluehook_core::config::{PermanentHook, Secret};
use bluehook_engine::Engine;
use bluehook_testkit::{Receiver, RedisServer};
use common::*;
use serde_json::{json, Value};

fn catcher_url(engine: &Engine, path: &str) -> String {
    format!(
        "http://{}{path}",
        engine.catcher_addr().expect("catcher on")
    )
}

async fn put_bin(engine: &Engine, bin: &str, config: Value) -> reqwest::Response {
    admin(engine, reqwest::Method::PUT, &format!("/api/v1/bins/{bin}"))
        .json(&config)
        .send()
        .await
        .unwrap()
}

/// The capture id the catcher answered with.
fn capture_id(r: &reqwest::Response) -> i64 {
    r.headers()["x-bluehook-capture"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// A capture's body as stored.
async fn stored_body(engine: &Engine, id: i64) -> Vec<u8> {
    admin(
        engine,
        reqwest::Method::GET,
        &format!("/api/v1/captures/{id}/body"),
    )
    .send()
    .await
    .unwrap()
    .bytes()
    .await
    .unwrap()
    .to_vec()
}

fn verdict<'a>(capture: &'a Value, check: &str) -> &'a Value {
    capture["verdicts"]
        .as_array()
        .and_then(|v| v.iter().find(|v| v["check"] == check))
        .unwrap_or_else(|| panic!("no {check} verdict in {capture}"))
}

#[tokio::test]
async fn requests_are_captured_decoded_and_streamed() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let engine = start(config(&redis, data.path()), &redis).await;
    let mut live = admin(
        &engine,
        reqwest::Method::GET,
        "/api/v1/stream?kinds=captures&bin=dev-bin",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(live.status(), 200);
    let http = reqwest::Client::new();
    // Another bin's capture is not in this stream.
    http.post(catcher_url(&engine, "/other-bin"))
        .send()
        .await
        .unwrap();

    let r = http
        .put(catcher_url(&engine, "/dev-bin/some/path?x=1&y=%20"))
        .header("content-type", "application/json")
        .header("x-custom", "yes")
        .header("x-api-key", "do-not-show")
        .header("authorization", "Bearer do-not-show-either")
        .header("cookie", "session=do-not-show-cookie; theme=dark")
        .header("x-forwarded-secret", format!("prefix {SECRET}"))
        .body(r#"{"hello":["world"]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let id = capture_id(&r);
    let mut sse = String::new();
    while !sse.contains("\n\n") {
        let chunk = tokio::time::timeout(WAIT, live.chunk())
            .await
            .expect("a capture message")
            .unwrap()
            .unwrap();
        sse.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(sse.starts_with("event: capture\n"), "{sse}");
    let data: Value =
        serde_json::from_str(sse.lines().find_map(|l| l.strip_prefix("data: ")).unwrap()).unwrap();
    assert_eq!(
        (data["id"].as_i64(), &data["bin"]),
        (Some(id), &json!("dev-bin"))
    );

    // Answered only once stored: readable at once.
    let c = admin_get(&engine, &format!("/api/v1/captures/{id}")).await;
    assert_eq!(c["method"], "PUT");
    assert_eq!(c["bin"], "dev-bin");
    assert_eq!(c["target"], "/dev-bin/some/path?x=1&y=%20");
    assert_eq!(
        c["decoded"],
        json!({"kind": "json", "value": {"hello": ["world"]}})
    );
    assert_eq!(c["body_size"], 19);
    assert_eq!(c["complete"], true);
    assert!(c["remote"].as_str().unwrap().starts_with("127.0.0.1:"));
    let headers = c["headers"].as_array().unwrap();
    assert!(headers.contains(&json!(["x-custom", "yes"])));
    assert!(
        headers.contains(&json!(["x-api-key", "***"])),
        "{headers:?}"
    );
    assert!(!c.to_string().contains("do-not-show"));

    // A form body that is not a callback, text, and binary.
    for (ct, body, kind) in [
        (
            "application/x-www-form-urlencoded",
            b"a=1&b=2".to_vec(),
            "form",
        ),
        ("text/plain", b"plain words".to_vec(), "text"),
        (
            "application/octet-stream",
            vec![0u8, 159, 146, 150, 255],
            "binary",
        ),
    ] {
        let r = http
            .post(catcher_url(&engine, "/dev-bin"))
            .header("content-type", ct)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let id = capture_id(&r);
        let c = admin_get(&engine, &format!("/api/v1/captures/{id}")).await;
        assert_eq!(c["decoded"]["kind"], kind, "{c}");
        let raw = admin(
            &engine,
            reqwest::Method::GET,
            &format!("/api/v1/captures/{id}/body"),
        )
        .send()
        .await
        .unwrap();
        assert_eq!(raw.headers()["content-type"], ct);
        assert_eq!(raw.bytes().await.unwrap(), body);
    }
    let bins = admin_get(&engine, "/api/v1/bins").await;
    assert_eq!(bins[0]["name"], "dev-bin");
    assert_eq!(bins[0]["captures"], 4);
    assert_eq!(bins[1]["name"], "other-bin");
    assert_eq!(bins[1]["captures"], 1);

    // Names are checked; the root explains itself.
    let r = http
        .get(catcher_url(&engine, "/a%20b"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = http.get(catcher_url(&engine, "/")).send().await.unwrap();
    assert!(r.text().await.unwrap().contains("/{bin}"));

    // Clearing empties a bin; deleting removes it.
    let r = admin(
        &engine,
        reqwest::Method::DELETE,
        "/api/v1/bins/dev-bin/captures",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 204);
    assert!(captures(&engine, "dev-bin").await.is_empty());
    for bin in ["dev-bin", "other-bin"] {
        let r = admin(
            &engine,
            reqwest::Method::DELETE,
            &format!("/api/v1/bins/{bin}"),
        )
        .send()
        .await
        .unwrap();
        assert_eq!(r.status(), 204);
    }
    assert_eq!(admin_get(&engine, "/api/v1/bins").await, json!([]));
    engine.shutdown().await;
}

#[tokio::test]
async fn large_bodies_get_413_and_a_capture_that_says_so() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let mut cfg = config(&redis, data.path());
    cfg.catcher.max_body_bytes = 64 * 1024;
    cfg.catcher.auto_create = false;
    let engine = start(cfg, &redis).await;
    let http = reqwest::Client::new();

    // Bins must be created first when auto-create is off.
    let r = http
        .post(catcher_url(&engine, "/big"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(put_bin(&engine, "big", json!({})).await.status(), 201);

    // Exactly the limit, binary: kept intact.
    let exact: Vec<u8> = (0..64 * 1024).map(|i| (i * 7 % 256) as u8).collect();
    let r = http
        .post(catcher_url(&engine, "/big"))
        .body(exact.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let id = capture_id(&r);
    let raw = stored_body(&engine, id).await;
    assert_eq!(raw, exact);

    // One byte more: 413, and the capture says how big it was.
    let mut over = exact.clone();
    over.push(1);
    let r = http
        .post(catcher_url(&engine, "/big"))
        .body(over)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let c = &captures(&engine, "big").await[1];
    assert_eq!(c["complete"], false);
    assert_eq!(c["status"], 413);
    assert_eq!(c["body_size"], 64 * 1024 + 1);
    // An incomplete capture is not forwarded: it would be another request.
    let id = c["id"].as_i64().unwrap();
    let r = admin(
        &engine,
        reqwest::Method::POST,
        &format!("/api/v1/captures/{id}/forward"),
    )
    .json(&json!({"url": "http://127.0.0.1:9/"}))
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 409);

    // Far more, with a length and chunked: the client still gets its 413, the stored start is
    // intact.
    let big: Vec<u8> = (0..300 * 1024).map(|i| (i % 251) as u8).collect();
    let r = http
        .post(catcher_url(&engine, "/big"))
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        big.chunks(16 * 1024).map(|c| Ok(c.to_vec())).collect();
    let r = http
        .post(catcher_url(&engine, "/big"))
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let c = captures(&engine, "big").await;
    assert_eq!(c.len(), 4);
    for c in &c[2..] {
        assert_eq!(
            (c["complete"].clone(), c["body_size"].clone()),
            (json!(false), json!(300 * 1024))
        );
        let id = c["id"].as_i64().unwrap();
        let raw = stored_body(&engine, id).await;
        assert_eq!(raw, big[..64 * 1024]);
    }
    // Beyond what is worth reading, the connection is closed after the 413 (the client may
    // see the answer or a reset), and the capture is kept.
    let huge = vec![b'x'; 8 * 1024 * 1024];
    if let Ok(r) = http
        .post(catcher_url(&engine, "/big"))
        .body(huge)
        .send()
        .await
    {
        assert_eq!(r.status(), 413);
    }
    let c = wait_captures(&engine, "big", |c| c.len() >= 5).await;
    assert_eq!(c[4]["complete"], false);
    assert_eq!(c[4]["body_size"], 8 * 1024 * 1024);
    engine.shutdown().await;
}

#[tokio::test]
async fn limits_bound_what_is_kept() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let mut cfg = config(&redis, data.path());
    cfg.catcher.keep_per_bin = 3;
    cfg.catcher.max_total_mb = 1;
    cfg.catcher.max_bins = 3;
    let engine = start(cfg, &redis).await;
    let http = reqwest::Client::new();
    let mut ids = Vec::new();
    for i in 0..5 {
        let r = http
            .post(catcher_url(&engine, "/few"))
            .body(format!("{i}"))
            .send()
            .await
            .unwrap();
        ids.push(capture_id(&r));
    }
    let kept: Vec<i64> = captures(&engine, "few")
        .await
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(kept, ids[2..], "the newest three are kept");

    // 6 × 300 KiB in two bins: at most 1 MiB stays, the newest.
    let body = vec![b'a'; 300 * 1024];
    let mut last = 0;
    for i in 0..6 {
        let bin = if i % 2 == 0 { "/big-a" } else { "/big-b" };
        let r = http
            .post(catcher_url(&engine, bin))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        last = capture_id(&r);
    }
    let mut kept = captures(&engine, "big-a").await;
    kept.extend(captures(&engine, "big-b").await);
    let bytes: u64 = kept.iter().map(|c| c["body_size"].as_u64().unwrap()).sum();
    assert!(bytes <= 1024 * 1024, "{bytes} bytes kept");
    assert_eq!(kept.len(), 3);
    assert!(kept.iter().any(|c| c["id"] == last));

    // A fourth bin is refused; PUT too.
    let r = http
        .post(catcher_url(&engine, "/one-too-many"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 507);
    assert_eq!(
        put_bin(&engine, "one-too-many", json!({})).await.status(),
        409
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn a_long_delay_is_a_timeout_for_the_relay_and_does_not_hold_shutdown() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let (mut cfg, catcher) = with_catcher(config(&redis, data.path()));
    cfg.delivery.request_timeout_ms = 300;
    let engine = start(cfg, &redis).await;
    put_bin(
        &engine,
        "slow",
        json!({"replies": [{"delay_ms": 600000}, {"status": 200}]}),
    )
    .await;
    let hook = create_hook(&engine, &format!("{catcher}/slow"), "").await;
    redis.publish(AKKA, &raw::meeting_created(MEETING, "ext-1"));
    let c = wait_captures(&engine, "slow", |c| c.len() >= 2).await;
    assert_eq!(c.len(), 2);
    assert_eq!(c[0]["delay_ms"], 600000);
    let attempts = wait_attempts(&engine, &hook, 2).await;
    let first = attempts.iter().find(|a| a["attempt"] == 1).unwrap();
    assert_eq!(first["error_class"], "timeout", "{first}");
    let second = attempts.iter().find(|a| a["attempt"] == 2).unwrap();
    assert_eq!(second["outcome"], "delivered");
    // A request still sleeping in the catcher does not hold the engine's shutdown.
    let slow = reqwest::Client::new()
        .post(format!("{catcher}/slow"))
        .send();
    put_bin(&engine, "slow", json!({"replies": [{"delay_ms": 600000}]})).await;
    let pending = tokio::spawn(slow);
    wait_captures(&engine, "slow", |c| c.len() >= 3).await;
    tokio::time::timeout(WAIT, engine.shutdown())
        .await
        .expect("shutdown does not wait for a scripted delay");
    let _ = pending.await;
}

#[tokio::test]
async fn verdicts_on_real_callbacks_right_and_wrong() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let (mut cfg, catcher) = with_catcher(config(&redis, data.path()));
    let signed = PermanentHook {
        name: Some("signed".into()),
        headers: api_key("key-1"),
        signing_secret: Some(Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")),
        ..permanent_hook(format!("{catcher}/signed"))
    };
    cfg.servers[0].permanent_hooks = vec![signed];
    let mut second = cfg.servers[0].clone();
    second.name = "other".into();
    second.secret = Secret::new("the-other-secret");
    second.redis_url = Secret::default();
    second.permanent_hooks.clear();
    cfg.servers.push(second);
    let engine = start(cfg, &redis).await;

    // A hook made through the BBB API (the server signs callbacks with sha1), and the
    // permanent hook with a signing secret and an API key.
    create_hook(&engine, &format!("{catcher}/bbb"), "").await;
    put_bin(
        &engine,
        "signed",
        json!({"checks": {
            "signing_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "api_key": {"header": "X-API-KEY", "secret": "key-1"},
            "hmac_sha1": {"header": "X-Spark-Signature", "secret": "s"},
        }}),
    )
    .await;
    redis.publish(AKKA, &raw::meeting_created(MEETING, "ext-1"));
    let bbb = wait_captures(&engine, "bbb", |c| !c.is_empty()).await;
    let v = verdict(&bbb[0], "bbb");
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["algorithm"], "sha1");
    assert_eq!(v["server"], "default");
    assert_eq!(bbb[0]["decoded"]["kind"], "bbb");
    assert_eq!(bbb[0]["decoded"]["domain"], DOMAIN);
    assert_eq!(
        bbb[0]["decoded"]["events"][0]["data"]["id"],
        "meeting-created"
    );

    let s = wait_captures(&engine, "signed", |c| !c.is_empty()).await;
    assert_eq!(verdict(&s[0], "standard_webhooks")["ok"], true, "{}", s[0]);
    assert_eq!(verdict(&s[0], "api_key")["ok"], true);
    // The relay signs with Standard Webhooks, not HMAC-SHA1: that check fails, and says why.
    let h = verdict(&s[0], "hmac_sha1");
    assert_eq!(h["ok"], false);
    assert_eq!(h["reason"], "missing header X-Spark-Signature");
    // Not with the other server's secret only.
    put_bin(
        &engine,
        "bbb",
        json!({"checks": {"bbb_servers": ["other"]}}),
    )
    .await;
    let v = verdict(&captures(&engine, "bbb").await[0], "bbb").clone();
    assert_eq!(v["ok"], false);
    assert!(v["reason"].as_str().unwrap().contains("'other'"), "{v}");
    // Wrong expectations: another signing secret, another API key (secrets never shown).
    put_bin(
        &engine,
        "signed",
        json!({"checks": {"signing_secret": "whsec_b3RoZXI=", "api_key": {"header": "X-API-KEY", "secret": "key-2"}}}),
    )
    .await;
    let s = captures(&engine, "signed").await;
    assert_eq!(verdict(&s[0], "standard_webhooks")["ok"], false);
    assert_eq!(verdict(&s[0], "api_key")["ok"], false);
    let listed = admin_get(&engine, "/api/v1/bins/signed").await.to_string();
    assert!(
        !listed.contains("key-2") && !listed.contains("whsec_b3"),
        "{listed}"
    );
    assert!(!s[0].to_string().contains("key-1"));

    // A forged callback: right shape, checksum of another body.
    let http = reqwest::Client::new();
    let body = "domain=x&event=%5B%5D&timestamp=1";
    let forged = bluehook_core::checksum::callback_checksum(
        bluehook_core::checksum::Algorithm::Sha256,
        &format!("{catcher}/bbb"),
        "domain=y&event=%5B%5D&timestamp=1",
        SECRET,
    );
    http.post(format!("{catcher}/bbb?checksum={forged}"))
        .body(body)
        .send()
        .await
        .unwrap();
    let good = bluehook_core::checksum::callback_checksum(
        bluehook_core::checksum::Algorithm::Sha512,
        &format!("{catcher}/bbb"),
        body,
        "the-other-secret",
    );
    http.post(format!("{catcher}/bbb?checksum={good}"))
        .body(body)
        .send()
        .await
        .unwrap();
    put_bin(&engine, "bbb", json!({})).await;
    let c = captures(&engine, "bbb").await;
    let v = verdict(&c[1], "bbb");
    assert_eq!(
        (v["ok"].clone(), v["algorithm"].clone()),
        (json!(false), json!("sha256"))
    );
    let v = verdict(&c[2], "bbb");
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(
        (v["algorithm"].clone(), v["server"].clone()),
        (json!("sha512"), json!("other"))
    );

    // HMAC-SHA1 in a named header, right then wrong.
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(b"s").unwrap();
    mac.update(b"{\"id\":1}");
    let sig = hex::encode(mac.finalize().into_bytes());
    put_bin(&engine, "webex", json!({"checks": {"bbb_servers": [], "hmac_sha1": {"header": "X-Spark-Signature", "secret": "s"}}})).await;
    for s in [sig.as_str(), "0000"] {
        http.post(format!("{catcher}/webex"))
            .header("X-Spark-Signature", s)
            .body("{\"id\":1}")
            .send()
            .await
            .unwrap();
    }
    let c = captures(&engine, "webex").await;
    assert_eq!(c[0]["verdicts"].as_array().unwrap().len(), 1);
    assert_eq!(verdict(&c[0], "hmac_sha1")["ok"], true);
    assert_eq!(verdict(&c[1], "hmac_sha1")["ok"], false);
    engine.shutdown().await;
}

#[tokio::test]
async fn a_scripted_failure_sequence_shows_as_retries() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let (cfg, catcher) = with_catcher(config(&redis, data.path()));
    let engine = start(cfg, &redis).await;
    let r = put_bin(
        &engine,
        "flaky",
        json!({"replies": [
            {"status": 500, "times": 2, "body": "try again"},
            {"status": 503, "headers": {"retry-after": "1"}},
            {"status": 200, "body": "ok"}
        ]}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let bad = put_bin(&engine, "flaky2", json!({"replies": [{"status": 42}]})).await;
    assert_eq!(bad.status(), 400);
    let hook = create_hook(&engine, &format!("{catcher}/flaky"), "").await;
    redis.publish(AKKA, &raw::meeting_created(MEETING, "ext-1"));

    let c = wait_captures(&engine, "flaky", |c| c.len() >= 4).await;
    let statuses: Vec<u64> = c.iter().map(|c| c["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, [500, 500, 503, 200]);
    // The same event each time.
    let events: Vec<&Value> = c.iter().map(|c| &c["decoded"]["events"]).collect();
    assert!(events.iter().all(|e| *e == events[0]));
    // The relay's attempts say the same.
    let attempts = wait_attempts(&engine, &hook, 4).await;
    let mut seen: Vec<(u64, u64, String)> = attempts
        .iter()
        .map(|a| {
            (
                a["attempt"].as_u64().unwrap(),
                a["status"].as_u64().unwrap(),
                a["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            (1, 500, "failed".into()),
            (2, 500, "failed".into()),
            (3, 503, "failed".into()),
            (4, 200, "delivered".into())
        ]
    );
    assert_eq!(
        attempts.iter().find(|a| a["attempt"] == 1).unwrap()["response_body"],
        "try again"
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn captures_forward_to_another_url_with_the_same_bytes() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let engine = start(config(&redis, data.path()), &redis).await;
    let app = Receiver::start().await;
    app.script([bluehook_testkit::Reply::status(422)]);
    let http = reqwest::Client::new();
    let r = http
        .post(catcher_url(&engine, "/fwd/cb?checksum=abc"))
        .header(
            "content-type",
            "application/x-www-form-urlencoded;charset=UTF-8",
        )
        .header("authorization", "Bearer tok")
        .body("domain=x&event=%5B%5D&timestamp=1")
        .send()
        .await
        .unwrap();
    let id = capture_id(&r);
    let forward = |body: Value| {
        admin(
            &engine,
            reqwest::Method::POST,
            &format!("/api/v1/captures/{id}/forward"),
        )
        .json(&body)
        .send()
    };
    let r = forward(json!({"url": app.url("/app/hook")})).await.unwrap();
    assert_eq!(r.status(), 200);
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["status"], 422, "{answer}");
    let got = app.wait_for(1, WAIT).await;
    assert_eq!(got[0].method, "POST");
    assert_eq!(got[0].target, "/app/hook?checksum=abc");
    assert_eq!(got[0].text(), "domain=x&event=%5B%5D&timestamp=1");
    assert_eq!(got[0].header("authorization"), Some("Bearer tok"));
    assert_eq!(
        got[0].header("content-type"),
        Some("application/x-www-form-urlencoded;charset=UTF-8")
    );
    // Without the query; and to nowhere: the error is shown, not a failure of the call.
    let r: Value = forward(json!({"url": app.url("/plain"), "keep_query": false}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["status"], 200);
    assert_eq!(app.wait_for(2, WAIT).await[1].target, "/plain");
    let port = bluehook_testkit::free_port();
    let r: Value = forward(json!({"url": format!("http://127.0.0.1:{port}/")}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["status"], Value::Null);
    assert!(
        r["error"].as_str().unwrap().contains("connection failed"),
        "{r}"
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn bins_and_captures_survive_a_restart() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let engine = start(config(&redis, data.path()), &redis).await;
    put_bin(&engine, "kept", json!({"replies": [{"status": 201}]})).await;
    let r = reqwest::Client::new()
        .post(catcher_url(&engine, "/kept"))
        .body("one")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    engine.shutdown().await;
    let engine = start(config(&redis, data.path()), &redis).await;
    let c = captures(&engine, "kept").await;
    assert_eq!(c.len(), 1);
    assert_eq!(c[0]["decoded"], json!({"kind": "text", "text": "one"}));
    let r = reqwest::Client::new()
        .post(catcher_url(&engine, "/kept"))
        .body("two")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "the script is kept");
    let id = capture_id(&r);
    assert!(id > c[0]["id"].as_i64().unwrap(), "ids are not reused");
    engine.shutdown().await;
}

#[tokio::test]
async fn bearer_mode_callbacks_are_judged_and_masked() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let (mut cfg, catcher) = with_catcher(config(&redis, data.path()));
    cfg.servers[0].bearer_auth = true;
    let engine = start(cfg, &redis).await;
    create_hook(&engine, &format!("{catcher}/bearer"), "").await;
    redis.publish(AKKA, &raw::meeting_created(MEETING, "ext-1"));
    let c = wait_captures(&engine, "bearer", |c| !c.is_empty()).await;
    let v = verdict(&c[0], "bbb");
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["server"], "default");
    assert!(v["reason"].as_str().unwrap().contains("bearer"));
    assert_eq!(
        c[0]["target"], "/bearer",
        "no checksum parameter in bearer mode"
    );
    let headers = c[0]["headers"].as_array().unwrap();
    assert!(headers.contains(&json!(["authorization", "Bearer ***"])));
    assert!(!c[0].to_string().contains(SECRET));
    engine.shutdown().await;
}

#[tokio::test]
async fn concurrent_first_requests_make_one_bin_and_keep_every_capture() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let engine = start(config(&redis, data.path()), &redis).await;
    let http = reqwest::Client::new();
    let sends: Vec<_> = (0..20)
        .map(|i| {
            http.post(catcher_url(&engine, "/burst"))
                .body(format!("{i}"))
                .send()
        })
        .collect();
    for r in futures_util::future::join_all(sends).await {
        assert_eq!(r.unwrap().status(), 200);
    }
    let bins = admin_get(&engine, "/api/v1/bins").await;
    assert_eq!(bins.as_array().unwrap().len(), 1);
    assert_eq!(bins[0]["captures"], 20);
    let mut bodies: Vec<String> = captures(&engine, "burst")
        .await
        .iter()
        .map(|c| c["decoded"]["text"].as_str().unwrap().to_owned())
        .collect();
    bodies.sort_by_key(|b| b.parse::<u32>().unwrap());
    assert_eq!(bodies, (0..20).map(|i| i.to_string()).collect::<Vec<_>>());
    engine.shutdown().await;
}
