//! Shared set-up of the engine's integration tests: a real Redis, a real engine on a free
//! port with a temp data dir, raw BBB messages, and API calls with checksums.

#![allow(dead_code)]

use bluehook_core::checksum::Algorithm;
use bluehook_core::config::{Config, PermanentHook, Secret};
use bluehook_engine::Engine;
use bluehook_testkit::{api_url, enc, get, poll_until, wait_until, RedisServer};
use std::path::Path;
use std::time::Duration;

pub const SECRET: &str = "8cd8ef52e8e101574e400365b55e11a6";
pub const DOMAIN: &str = "bbb.example.com";
pub const AKKA: &str = "from-akka-apps-redis-channel";
pub const MEETING: &str = "8043c8452ae9830aac14c517adff3839dbd9228f-1698771157700";
pub const WAIT: Duration = Duration::from_secs(15);

/// A permanent hook calling `url`, with every option at its default.
pub fn permanent_hook(url: impl Into<String>) -> PermanentHook {
    PermanentHook {
        url: url.into(),
        get_raw: false,
        name: None,
        method: Default::default(),
        headers: Default::default(),
        signing_secret: None,
        event_ids: None,
    }
}

/// The headers of a hook that sends an API key.
pub fn api_key(key: &str) -> std::collections::BTreeMap<String, Secret> {
    [("X-API-KEY".to_owned(), Secret::new(key))].into()
}

/// A configuration for one server on `redis`, with a short retry schedule.
pub fn config(redis: &RedisServer, data: &Path) -> Config {
    let mut c = Config {
        data_dir: Some(data.to_owned()),
        ..Config::default()
    };
    c.api.port = 0;
    c.admin.port = 0;
    c.catcher.port = 0;
    c.delivery.retry_intervals_ms = vec![20, 20, 20];
    c.delivery.permanent_interval_reset_ms = 50;
    c.delivery.request_timeout_ms = 2000;
    let s = c.default_server_mut();
    s.secret = Secret::new(SECRET);
    s.domain = DOMAIN.into();
    s.redis_url = Secret::new(redis.url());
    c
}

/// `cfg` with the catcher on a known free port, and the catcher's base URL.
pub fn with_catcher(mut cfg: Config) -> (Config, String) {
    cfg.catcher.port = bluehook_testkit::free_port();
    let url = format!("http://127.0.0.1:{}", cfg.catcher.port);
    (cfg, url)
}

/// Starts the engine and waits until it is subscribed to Redis.
pub async fn start(config: Config, redis: &RedisServer) -> Engine {
    let engine = Engine::start(config).await.expect("engine starts");
    assert!(
        wait_until(WAIT, || redis.subscribers(AKKA) >= 1).await,
        "engine did not subscribe"
    );
    engine
}

/// The message of a start that must fail (`why`: what makes it fail, for the panic otherwise).
pub async fn start_error(config: Config, why: &str) -> String {
    match Engine::start(config).await {
        Ok(_) => panic!("{why} is a startup error, but the engine started"),
        Err(e) => e.to_string(),
    }
}

pub fn base(engine: &Engine) -> String {
    format!("http://{}", engine.api_addr())
}

/// Calls `hooks/<call>` with a sha1 checksum.
pub async fn call(engine: &Engine, call: &str, query: &str) -> String {
    get(&api_url(
        &base(engine),
        call,
        query,
        SECRET,
        Algorithm::Sha1,
    ))
    .await
}

/// Creates a hook for `url` with extra (encoded) parameters; returns its id.
pub async fn create_hook(engine: &Engine, url: &str, extra: &str) -> String {
    let query = format!("callbackURL={}{extra}", enc(url));
    let xml = call(engine, "create", &query).await;
    assert!(xml.contains("<returncode>SUCCESS</returncode>"), "{xml}");
    xml_value(&xml, "hookID").expect("hookID")
}

pub fn xml_value(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(xml[start..end].to_owned())
}

/// Raw BBB messages, in the shapes akka-apps publishes.
pub mod raw {
    use super::MEETING;
    use serde_json::json;

    pub fn meeting_created(internal: &str, external: &str) -> String {
        json!({"envelope":{"name":"MeetingCreatedEvtMsg","routing":{"sender":"bbb-apps-akka"},"timestamp":1698771158093u64},
        "core":{"header":{"name":"MeetingCreatedEvtMsg"},"body":{"props":{
            "meetingProp":{"name":external,"extId":external,"intId":internal,"isBreakout":false},
            "breakoutProps":{"parentId":"bbb-none"},
            "durationProps":{"duration":0,"createdTime":1698771157700u64,"createdDate":"Tue Oct 31 13:52:37 BRT 2023"},
            "password":{"moderatorPass":"mp","viewerPass":"ap"},
            "recordProp":{"record":false},
            "voiceProp":{"voiceConf":"71347","dialNumber":"613-555-1234"},
            "usersProp":{"maxUsers":0},
            "metadataProp":{"metadata":{}}}}}})
        .to_string()
    }

    pub fn user_joined(meeting: &str, user: &str, ext: &str) -> String {
        json!({"envelope":{"name":"UserJoinedMeetingEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":meeting,"userId":user},"timestamp":1698771164638u64},
        "core":{"header":{"name":"UserJoinedMeetingEvtMsg","meetingId":meeting,"userId":user},
        "body":{"intId":user,"extId":ext,"name":"John Doe","role":"MODERATOR","guest":false,"presenter":false}}})
        .to_string()
    }

    /// A chat message whose text carries `n`, to check order.
    pub fn chat(n: usize) -> String {
        json!({"envelope":{"name":"GroupChatMessageBroadcastEvtMsg","routing":{"msgType":"BROADCAST_TO_MEETING","meetingId":MEETING,"userId":"w_1"},"timestamp":1698771232712u64},
        "core":{"header":{"name":"GroupChatMessageBroadcastEvtMsg","meetingId":MEETING,"userId":"w_1"},
        "body":{"chatId":"MAIN-PUBLIC-GROUP-CHAT","msg":{"id":format!("m-{n}"),"timestamp":1698771232706u64,"sender":{"id":"w_1","name":"John Doe","role":"MODERATOR"},"message":format!("{n}")}}}})
        .to_string()
    }

    pub fn meeting_ended(meeting: &str) -> String {
        json!({"envelope":{"name":"MeetingDestroyedEvtMsg","routing":{"sender":"bbb-apps-akka"},"timestamp":1698771310209u64},
        "core":{"header":{"name":"MeetingDestroyedEvtMsg"},"body":{"meetingId":meeting}}})
        .to_string()
    }
}

/// The chat message number carried by a captured callback.
pub fn chat_number(c: &bluehook_testkit::Captured) -> usize {
    c.event()[0]["data"]["attributes"]["chat-message"]["message"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(usize::MAX)
}

/// An admin API request with the engine's token.
pub fn admin(engine: &Engine, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    let url = format!("http://{}{path}", engine.admin_addr().expect("admin API"));
    reqwest::Client::new()
        .request(method, url)
        .bearer_auth(engine.admin_token().expect("token"))
}

/// The admin API's `/metrics` text.
pub async fn metrics(engine: &Engine) -> String {
    admin(engine, reqwest::Method::GET, "/metrics")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// A GET on the admin API that must answer 200; its JSON.
pub async fn admin_get(engine: &Engine, path: &str) -> serde_json::Value {
    let r = admin(engine, reqwest::Method::GET, path)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

/// A catcher bin's captures, oldest first (none while the bin does not exist yet).
pub async fn captures(engine: &Engine, bin: &str) -> Vec<serde_json::Value> {
    let path = format!("/api/v1/bins/{bin}/captures?limit=500");
    let r = admin(engine, reqwest::Method::GET, &path)
        .send()
        .await
        .unwrap();
    if r.status() == 404 {
        return Vec::new();
    }
    assert_eq!(r.status(), 200, "{path}");
    let page: serde_json::Value = r.json().await.unwrap();
    let mut items = page["items"].as_array().cloned().unwrap_or_default();
    items.reverse();
    items
}

/// Polls until `bin` holds captures for which `done` is true (or the deadline passes).
pub async fn wait_captures(
    engine: &Engine,
    bin: &str,
    done: impl Fn(&[serde_json::Value]) -> bool,
) -> Vec<serde_json::Value> {
    poll_until(WAIT, || captures(engine, bin), |c| done(c)).await
}

/// Polls until `hook` has at least `n` attempts in the audit log (or the deadline passes);
/// returns them, newest first.
pub async fn wait_attempts(engine: &Engine, hook: &str, n: usize) -> Vec<serde_json::Value> {
    let path = format!("/api/v1/attempts?hook={hook}&limit=1000");
    let page = poll_until(
        WAIT,
        || admin_get(engine, &path),
        |p| p["items"].as_array().map_or(0, Vec::len) >= n,
    )
    .await;
    page["items"].as_array().cloned().unwrap_or_default()
}
