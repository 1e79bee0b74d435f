//! Redis ingest against a real redis-server: bad messages, restarts, authentication.

mod common;

use bluehook_core::config::Secret;
use bluehook_testkit::{wait_until, Receiver, RedisServer};
use common::*;

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
    let task = tokio::spawn(run(source, tx, stats.clone(), None, cancel.clone()));
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
