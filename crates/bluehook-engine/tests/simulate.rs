//! The simulator end to end: a simulated meeting, fed to the relay directly (no Redis) or
//! published on a real Redis, produces only known event types, and every event reaches a
//! catcher bin through a hook, in order.

mod common;

use bluehook_core::config::Secret;
use bluehook_core::translate::OUTPUT_EVENTS;
use bluehook_engine::simulator::Request;
use bluehook_engine::Engine;
use bluehook_testkit::{wait_until, RedisServer};
use common::*;
use serde_json::{json, Value};

async fn bin_event_ids(engine: &Engine, bin: &str) -> Vec<String> {
    let url = format!(
        "http://{}/api/v1/bins/{bin}/captures?limit=500",
        engine.admin_addr().unwrap()
    );
    let r = reqwest::Client::new()
        .get(url)
        .bearer_auth(engine.admin_token().unwrap())
        .send()
        .await
        .unwrap();
    if r.status() == 404 {
        return Vec::new();
    }
    let page: Value = r.json().await.unwrap();
    let mut ids: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(verdict_ok(c), Some(true), "checksum of {c}");
            c["decoded"]["events"][0]["data"]["id"]
                .as_str()
                .unwrap_or("?")
                .to_owned()
        })
        .collect();
    ids.reverse();
    ids
}

fn verdict_ok(capture: &Value) -> Option<bool> {
    capture["verdicts"]
        .as_array()?
        .iter()
        .find(|v| v["check"] == "bbb")?["ok"]
        .as_bool()
}

/// Waits until the bin holds as many captures as the engine made events; returns their ids.
async fn wait_all(engine: &Engine, bin: &str) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let ids = bin_event_ids(engine, bin).await;
        let stats = engine.stats("default").unwrap();
        if (stats.events > 0 && ids.len() as u64 >= stats.events)
            || tokio::time::Instant::now() > deadline
        {
            return ids;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

fn check_meeting(ids: &[String], users: usize, events: u64) {
    assert_eq!(ids.len() as u64, events, "every event reached the bin once");
    for id in ids {
        assert!(
            OUTPUT_EVENTS.contains(&id.as_str()),
            "unknown event id {id}"
        );
    }
    assert_eq!(ids.first().map(String::as_str), Some("meeting-created"));
    let count = |e: &str| ids.iter().filter(|i| *i == e).count();
    assert_eq!(count("user-joined"), users);
    assert_eq!(count("user-left"), users);
    assert_eq!(count("meeting-ended"), 1);
    for must in [
        "user-audio-voice-enabled",
        "user-audio-muted",
        "user-cam-broadcast-start",
        "chat-group-message-sent",
        "user-raise-hand-changed",
        "poll-started",
        "poll-responded",
        "meeting-screenshare-started",
        "meeting-recording-started",
        "rap-archive-started",
        "rap-publish-ended",
    ] {
        assert!(count(must) >= 1, "no {must} in {ids:?}");
    }
    // In order: the meeting ends after everyone joined, and processing comes after the end.
    let last_join = ids.iter().rposition(|i| i == "user-joined").unwrap();
    let end = ids.iter().position(|i| i == "meeting-ended").unwrap();
    let first_rap = ids.iter().position(|i| i.starts_with("rap-")).unwrap();
    assert!(last_join < end && end < first_rap, "{ids:?}");
}

#[tokio::test]
async fn a_meeting_without_redis_flows_through_the_relay_to_a_catcher_bin() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let mut cfg = config(&redis, data.path());
    cfg.servers[0].redis_url = Secret::default();
    cfg.catcher.port = bluehook_testkit::free_port();
    let bin = format!("http://127.0.0.1:{}/sim", cfg.catcher.port);
    let engine = Engine::start(cfg).await.unwrap();
    create_hook(&engine, &bin, "").await;

    let started = engine
        .simulate(&Request {
            users: Some(4),
            speed: Some(0.0),
            seed: Some(7),
            meeting_id: Some("course-42".into()),
            ..Request::default()
        })
        .await
        .unwrap();
    assert_eq!(started.target, "relay");
    assert_eq!(started.meeting_id, "course-42");
    assert!(
        wait_until(WAIT, || engine.stats("default").unwrap().received
            == started.messages as u64)
        .await
    );
    let stats = engine.stats("default").unwrap();
    assert_eq!(
        (
            stats.unknown,
            stats.malformed,
            stats.translate_failed,
            stats.ignored
        ),
        (0, 0, 0, 0)
    );
    let ids = wait_all(&engine, "sim").await;
    check_meeting(&ids, 4, stats.events);
    engine.shutdown().await;
}

#[tokio::test]
async fn a_meeting_published_on_redis_and_started_through_the_admin_api() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let mut cfg = config(&redis, data.path());
    cfg.catcher.port = bluehook_testkit::free_port();
    let bin = format!("http://127.0.0.1:{}/sim", cfg.catcher.port);
    let engine = start(cfg, &redis).await;
    create_hook(&engine, &bin, "").await;
    let admin = |body: Value| {
        reqwest::Client::new()
            .post(format!(
                "http://{}/api/v1/simulate",
                engine.admin_addr().unwrap()
            ))
            .bearer_auth(engine.admin_token().unwrap())
            .json(&body)
            .send()
    };
    // Bad requests are refused with a reason.
    let r = admin(json!({"users": 0})).await.unwrap();
    assert_eq!(r.status(), 400);
    let r = admin(json!({"server": "nope"})).await.unwrap();
    assert_eq!(r.status(), 404);
    let r = admin(json!({"colour": "blue"})).await.unwrap();
    assert_eq!(r.status(), 400);

    let r = admin(json!({"users": 2, "speed": 0, "seed": 3}))
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let started: Value = r.json().await.unwrap();
    assert_eq!(started["target"], "redis");
    let messages = started["messages"].as_u64().unwrap();
    assert!(
        wait_until(WAIT, || engine.stats("default").unwrap().received
            == messages)
        .await,
        "every published message was received from Redis"
    );
    let stats = engine.stats("default").unwrap();
    assert_eq!((stats.unknown, stats.translate_failed), (0, 0));
    let ids = wait_all(&engine, "sim").await;
    check_meeting(&ids, 2, stats.events);
    engine.shutdown().await;
}
