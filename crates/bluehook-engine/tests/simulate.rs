//! The simulator end to end: a simulated meeting, fed to the relay directly (no Redis) or
//! published on a real Redis, produces only known event types, and every event reaches a
//! catcher bin through a hook, in order.

mod common;

use bluehook_core::config::Secret;
use bluehook_core::translate::OUTPUT_EVENTS;
use bluehook_engine::simulator::Request;
use bluehook_engine::stats::StatsSnapshot;
use bluehook_engine::Engine;
use bluehook_testkit::{poll_until, wait_until, RedisServer};
use common::*;
use serde_json::{json, Value};

/// The event ids of a bin's captures, in order; every capture's checksum must be right.
async fn bin_event_ids(engine: &Engine, bin: &str) -> Vec<String> {
    captures(engine, bin)
        .await
        .iter()
        .map(|c| {
            assert_eq!(verdict_ok(c), Some(true), "checksum of {c}");
            c["decoded"]["events"][0]["data"]["id"]
                .as_str()
                .unwrap_or("?")
                .to_owned()
        })
        .collect()
}

fn verdict_ok(capture: &Value) -> Option<bool> {
    capture["verdicts"]
        .as_array()?
        .iter()
        .find(|v| v["check"] == "bbb")?["ok"]
        .as_bool()
}

/// Waits until the bin has the meeting's last event; returns the event ids it holds and the
/// server's counters from then.
async fn wait_all(engine: &Engine, bin: &str, last: &str) -> (Vec<String>, StatsSnapshot) {
    let ids = poll_until(
        WAIT,
        || bin_event_ids(engine, bin),
        |ids| ids.last().map(String::as_str) == Some(last),
    )
    .await;
    (ids, engine.stats("default").unwrap())
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
    let (mut cfg, bin) = with_catcher(config(&redis, data.path()));
    cfg.servers[0].redis_url = Secret::default();
    let bin = format!("{bin}/sim");
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
    assert_eq!(started.sink, "relay");
    assert_eq!(started.meeting_id, "course-42");
    assert!(
        wait_until(WAIT, || engine.stats("default").unwrap().received
            == started.messages as u64)
        .await
    );
    let (ids, stats) = wait_all(&engine, "sim", "rap-post-publish-ended").await;
    assert_eq!(
        (
            stats.unknown,
            stats.malformed,
            stats.translate_failed,
            stats.ignored
        ),
        (0, 0, 0, 0)
    );
    check_meeting(&ids, 4, stats.events);
    engine.shutdown().await;
}

#[tokio::test]
async fn a_meeting_published_on_redis_and_started_through_the_admin_api() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let (cfg, bin) = with_catcher(config(&redis, data.path()));
    let bin = format!("{bin}/sim");
    let engine = start(cfg, &redis).await;
    create_hook(&engine, &bin, "").await;
    let simulate = |body: Value| {
        admin(&engine, reqwest::Method::POST, "/api/v1/simulate")
            .json(&body)
            .send()
    };
    // Bad requests are refused with a reason.
    let r = simulate(json!({"users": 0})).await.unwrap();
    assert_eq!(r.status(), 400);
    let r = simulate(json!({"server": "nope"})).await.unwrap();
    assert_eq!(r.status(), 404);
    let r = simulate(json!({"colour": "blue"})).await.unwrap();
    assert_eq!(r.status(), 400);

    let r = simulate(json!({"users": 2, "speed": 0, "seed": 3}))
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let started: Value = r.json().await.unwrap();
    assert_eq!(started["sink"], "redis");
    let messages = started["messages"].as_u64().unwrap();
    assert!(
        wait_until(WAIT, || engine.stats("default").unwrap().received
            == messages)
        .await,
        "every published message was received from Redis"
    );
    let (ids, stats) = wait_all(&engine, "sim", "rap-post-publish-ended").await;
    assert_eq!((stats.unknown, stats.translate_failed), (0, 0));
    check_meeting(&ids, 2, stats.events);
    engine.shutdown().await;
}

#[tokio::test]
async fn a_simulation_can_be_stopped() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let engine = start(config(&redis, data.path()), &redis).await;
    // Real time: a meeting of about twelve minutes.
    let started: Value = admin(&engine, reqwest::Method::POST, "/api/v1/simulate")
        .json(&json!({"speed": 1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = started["id"].as_u64().unwrap();
    assert!(started["duration_ms"].as_u64().unwrap() > 60_000);
    let running = admin_get(&engine, "/api/v1/simulate").await;
    assert_eq!(running[0]["id"], id);
    assert!(wait_until(WAIT, || engine.stats("default").unwrap().received >= 1).await);
    let path = format!("/api/v1/simulate/{id}");
    let r = admin(&engine, reqwest::Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    // Stopped: it leaves the list, having sent only the start of the meeting.
    let running = poll_until(
        WAIT,
        || admin_get(&engine, "/api/v1/simulate"),
        |r| *r == json!([]),
    )
    .await;
    assert_eq!(running, json!([]), "still running");
    let sent = engine.stats("default").unwrap().received;
    assert!(sent < started["messages"].as_u64().unwrap(), "{sent}");
    let r = admin(&engine, reqwest::Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    engine.shutdown().await;
}
