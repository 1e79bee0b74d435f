//! Redis ingest against a real redis-server: bad messages, restarts, authentication, TLS.

mod common;

use bluehook_core::config::Secret;
use bluehook_testkit::pki::Pki;
use bluehook_testkit::{wait_until, Receiver, RedisServer};
use common::*;
use std::path::PathBuf;

#[tokio::test]
async fn bad_messages_are_counted_and_never_fatal() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let receiver = Receiver::start().await;
    let engine = start(config(&redis, data.path()), &redis).await;
    create_hook(&engine, &receiver.url("/cb"), "").await;

    redis.publish(AKKA, "not json at all");
    redis.publish(AKKA, "{\"truncated\":");
    redis.publish(AKKA, "{}");
    redis.publish(
        AKKA,
        r#"{"envelope":{"name":"SomethingElseEvtMsg"},"core":{}}"#,
    );
    // a known message lacking what its event needs
    redis.publish(
        AKKA,
        r#"{"envelope":{"name":"MeetingCreatedEvtMsg"},"core":{"header":{},"body":{"props":{}}}}"#,
    );
    // a private chat: known, dropped on purpose
    redis.publish(
        AKKA,
        &raw::chat(7).replace("MAIN-PUBLIC-GROUP-CHAT", "private-1"),
    );
    redis.publish("from-bbb-web-redis-channel", &raw::chat(1));

    let got = receiver.wait_for(1, WAIT).await;
    assert_eq!(chat_number(&got[0]), 1);
    let s = engine.stats("default").unwrap();
    assert_eq!(s.received, 7);
    assert_eq!(s.malformed, 2);
    assert_eq!(s.unknown, 2);
    assert_eq!(s.translate_failed, 1);
    assert_eq!(s.ignored, 1);
    assert_eq!(s.events, 1);
    engine.shutdown().await;
}

#[tokio::test]
async fn redis_restart_reconnects_and_delivers_what_follows() {
    let mut redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let receiver = Receiver::start().await;
    let engine = start(config(&redis, data.path()), &redis).await;
    create_hook(&engine, &receiver.url("/cb"), "").await;
    redis.publish(AKKA, &raw::chat(1));
    receiver.wait_for(1, WAIT).await;

    redis.restart();
    assert!(
        wait_until(WAIT, || redis.subscribers(AKKA) >= 1).await,
        "the relay subscribed again"
    );
    // Redis counts the subscriber before the relay has read its confirmation.
    assert!(
        wait_until(WAIT, || engine.stats("default").unwrap().redis_connects
            >= 2)
        .await
    );
    redis.publish(AKKA, &raw::chat(2));
    let got = receiver.wait_for(2, WAIT).await;
    assert_eq!(chat_number(&got[1]), 2);

    // down for a while: the relay keeps trying and comes back
    redis.stop();
    assert!(wait_until(WAIT, || !engine.stats("default").unwrap().redis_up).await);
    redis.restart();
    assert!(wait_until(WAIT, || redis.subscribers(AKKA) >= 1).await);
    redis.publish(AKKA, &raw::chat(3));
    let got = receiver.wait_for(3, WAIT).await;
    assert_eq!(chat_number(&got[2]), 3);
    engine.shutdown().await;
}

#[tokio::test]
async fn password_and_acl_user_authenticate() {
    let redis = RedisServer::start_with(&[
        "--requirepass",
        "s3cret",
        "--user",
        "relay",
        "on",
        ">relaypw",
        "~*",
        "&*",
        "+@all",
    ]);
    let receiver = Receiver::start().await;
    for url in [
        format!("redis://:s3cret@127.0.0.1:{}", redis.port()),
        format!("redis://relay:relaypw@127.0.0.1:{}", redis.port()),
    ] {
        let data = tempfile::tempdir().unwrap();
        let mut cfg = config(&redis, data.path());
        cfg.servers[0].redis_url = Secret::new(url);
        let engine = bluehook_engine::Engine::start(cfg).await.unwrap();
        assert!(wait_until(WAIT, || engine.stats("default").unwrap().redis_up).await);
        engine.shutdown().await;
    }
    // a wrong password is retried, not fatal, and shows as down
    let data = tempfile::tempdir().unwrap();
    let mut cfg = config(&redis, data.path());
    cfg.servers[0].redis_url = Secret::new(format!("redis://:wrong@127.0.0.1:{}", redis.port()));
    let engine = bluehook_engine::Engine::start(cfg).await.unwrap();
    let _ = &receiver;
    assert!(wait_until(WAIT, || engine.stats("default").unwrap().redis_errors >= 2).await);
    assert!(!engine.stats("default").unwrap().redis_up);
    engine.shutdown().await;
}

#[tokio::test]
async fn rediss_with_a_private_ca_and_a_client_certificate() {
    let certs = tempfile::tempdir().unwrap();
    let pki = Pki::new(certs.path());
    // Redis's default: clients must show a certificate signed by its CA.
    let (redis, rediss) = RedisServer::start_tls(&pki);
    let tls_config = |ca: Option<&PathBuf>, client: Option<&(PathBuf, PathBuf)>| {
        let data = tempfile::tempdir().unwrap();
        let mut cfg = config(&redis, data.path());
        let s = cfg.default_server_mut();
        s.redis_url = Secret::new(rediss.clone());
        s.redis_ca_file = ca.cloned();
        s.redis_cert_file = client.map(|c| c.0.clone());
        s.redis_key_file = client.map(|c| c.1.clone());
        (cfg, data)
    };

    // With the CA and the client certificate: subscribed over TLS, events flow.
    let receiver = Receiver::start().await;
    let (cfg, _data) = tls_config(Some(&pki.ca), Some(&pki.client));
    let engine = start(cfg, &redis).await;
    create_hook(&engine, &receiver.url("/cb"), "").await;
    redis.publish(AKKA, &raw::chat(1));
    let got = receiver.wait_for(1, WAIT).await;
    assert_eq!(chat_number(&got[0]), 1);
    engine.shutdown().await;
    assert!(wait_until(WAIT, || redis.subscribers(AKKA) == 0).await);

    // No client certificate, or one of another CA (Redis refuses the handshake); the public
    // roots only, or a CA that did not sign the server's certificate (the relay refuses it):
    // retried, never fatal, shown as down, and the reason is in the audit log's gaps.
    let refused = [
        (Some(&pki.ca), None, "CertificateRequired"),
        (Some(&pki.ca), Some(&pki.stranger_client), "UnknownCA"),
        (None, Some(&pki.client), "UnknownIssuer"),
        (Some(&pki.stranger_ca), Some(&pki.client), "UnknownIssuer"),
    ];
    for (ca, client, reason) in refused {
        let (cfg, _data) = tls_config(ca, client);
        let engine = bluehook_engine::Engine::start(cfg).await.unwrap();
        assert!(
            wait_until(WAIT, || engine.stats("default").unwrap().redis_errors >= 2).await,
            "CA {ca:?}, client {client:?}: handshake failures are counted"
        );
        assert!(!engine.stats("default").unwrap().redis_up);
        assert_eq!(redis.subscribers(AKKA), 0);
        // Admins see which files are in use, and the failures in /metrics.
        let servers = admin_get(&engine, "/api/v1/servers").await;
        let shown = |key: &str| servers[0][key].as_str().map(PathBuf::from);
        assert_eq!(shown("redis_ca_file").as_ref(), ca);
        assert_eq!(shown("redis_cert_file"), client.map(|c| c.0.clone()));
        let metrics = metrics(&engine).await;
        let errors: u64 = metrics
            .lines()
            .find_map(|l| l.strip_prefix("bluehook_redis_errors_total{server=\"default\"} "))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no Redis error counter in {metrics}"));
        assert!(errors >= 2, "{metrics}");
        // The gap reaches the audit log through the writer: poll.
        let gaps = bluehook_testkit::poll_until(
            WAIT,
            || admin_get(&engine, "/api/v1/gaps"),
            |g| g[0]["detail"].is_string(),
        )
        .await;
        let detail = gaps[0]["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(reason), "{reason}: {gaps}");
        engine.shutdown().await;
    }

    // A file that cannot be used stops the start, and the message names it.
    let missing = certs.path().join("missing-ca.pem");
    let (cfg, _data) = tls_config(Some(&missing), None);
    let e = start_error(cfg, "a missing CA file").await;
    assert!(
        e.contains("redis_ca_file") && e.contains("missing-ca.pem"),
        "{e}"
    );
}

#[tokio::test]
async fn mappings_survive_a_restart() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let receiver = Receiver::start().await;
    let engine = start(config(&redis, data.path()), &redis).await;
    create_hook(&engine, &receiver.url("/cb"), "").await;
    redis.publish(AKKA, &raw::meeting_created(MEETING, "ext-9"));
    redis.publish(AKKA, &raw::user_joined(MEETING, "w_1", "student-1"));
    receiver.wait_for(2, WAIT).await;
    engine.shutdown().await;

    let engine = start(config(&redis, data.path()), &redis).await;
    redis.publish(AKKA, &raw::meeting_ended(MEETING));
    let got = receiver.wait_for(4, WAIT).await;
    let left = got[2].event();
    assert_eq!(left[0]["data"]["id"], "user-left");
    assert_eq!(
        left[0]["data"]["attributes"]["user"]["external-user-id"],
        "student-1"
    );
    assert_eq!(
        left[0]["data"]["attributes"]["user"]["presenter"], false,
        "values keep their types"
    );
    assert_eq!(
        got[3].event()[0]["data"]["attributes"]["meeting"]["external-meeting-id"],
        "ext-9"
    );
    engine.shutdown().await;
}

/// The keepalive PING on an idle subscription must not be taken for a lost connection (a
/// subscribed connection answers `["pong", ""]`): over many keepalives the subscription stays
/// the same one, and every message published between them arrives.
#[tokio::test]
async fn keepalive_pings_keep_the_subscription() {
    use bluehook_engine::ingest::{run, Source};
    use bluehook_engine::stats::ServerStats;
    use std::sync::atomic::Ordering;
    use std::sync::Arc;
    let redis = RedisServer::start();
    let stats = Arc::new(ServerStats::default());
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let cancel = tokio_util::sync::CancellationToken::new();
    let source = Source {
        server: "default".into(),
        url: redis.url(),
        channels: vec![AKKA.into()],
        keepalive: std::time::Duration::from_millis(50),
    };
    let client = redis::Client::open(redis.url()).unwrap();
    let task = tokio::spawn(run(source, client, tx, stats.clone(), None, cancel.clone()));
    assert!(wait_until(WAIT, || redis.subscribers(AKKA) == 1).await);
    for i in 0..5 {
        // Idle for several keepalive periods: wait until the server has answered PINGs.
        let pings = redis.command_calls("ping");
        assert!(wait_until(WAIT, || redis.command_calls("ping") >= pings + 3).await);
        assert_eq!(redis.publish(AKKA, &format!("message {i}")), 1);
        let got = tokio::time::timeout(WAIT, rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&got.payload[..], format!("message {i}").as_bytes());
    }
    assert_eq!(
        stats.redis_connects.load(Ordering::Relaxed),
        1,
        "no reconnection"
    );
    assert!(stats.redis_up.load(Ordering::Relaxed));
    cancel.cancel();
    task.await.unwrap();
}
