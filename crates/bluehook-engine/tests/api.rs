//! The BBB hooks API against a running engine: every call, every answer, every checksum case.

mod common;

use bluehook_core::checksum::Algorithm;
use bluehook_core::config::PermanentHook;
use bluehook_core::hook::Hook;
use bluehook_testkit::{api_url, enc, get, RedisServer};
use common::*;

fn failure(key: &str, message: &str) -> String {
    format!("<response><returncode>FAILED</returncode><messageKey>{key}</messageKey><message>{message}</message></response>")
}

const CHECKSUM_ERROR: &str = "You did not pass the checksum security check.";

#[tokio::test]
async fn create_list_destroy_and_their_errors() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let mut cfg = config(&redis, data.path());
    cfg.servers[0].permanent_hooks = vec![PermanentHook {
        get_raw: true,
        ..permanent_hook("http://127.0.0.1:9/permanent")
    }];
    let engine = start(cfg, &redis).await;
    let permanent_id = Hook::permanent_id("http://127.0.0.1:9/permanent");

    // create
    let q = format!("callbackURL={}", enc("http://127.0.0.1:9/a"));
    let xml = call(&engine, "create", &q).await;
    let id = xml_value(&xml, "hookID").unwrap();
    assert_eq!(
        xml,
        format!("<response><returncode>SUCCESS</returncode><hookID>{id}</hookID><permanentHook>false</permanentHook><rawData>false</rawData></response>")
    );
    assert_eq!(id.len(), 36, "UUID hook ids");

    // duplicate: same URL, other parameters → the existing hook, unchanged
    let dup = call(&engine, "create", &format!("{q}&meetingID=x&getRaw=true")).await;
    assert_eq!(dup, format!("<response><returncode>SUCCESS</returncode><hookID>{id}</hookID><messageKey>duplicateWarning</messageKey><message>There is already a hook for this callback URL.</message></response>"));

    // a scoped hook with an event filter and getRaw=1
    let scoped_q = format!(
        "callbackURL={}&meetingID=random-9019868&eventID=User-Joined,meeting-created&getRaw=1",
        enc("http://127.0.0.1:9/b")
    );
    let xml = call(&engine, "create", &scoped_q).await;
    let scoped = xml_value(&xml, "hookID").unwrap();
    assert!(
        xml.ends_with("<permanentHook>false</permanentHook><rawData>1</rawData></response>"),
        "{xml}"
    );

    // list: creation order, permanent first (created at start)
    let list = call(&engine, "list", "").await;
    assert_eq!(
        list,
        format!(
            "<response><returncode>SUCCESS</returncode><hooks>\
<hook><hookID>{permanent_id}</hookID><callbackURL><![CDATA[http://127.0.0.1:9/permanent]]></callbackURL><permanentHook>true</permanentHook><rawData>true</rawData></hook>\
<hook><hookID>{id}</hookID><callbackURL><![CDATA[http://127.0.0.1:9/a]]></callbackURL><permanentHook>false</permanentHook><rawData>false</rawData></hook>\
<hook><hookID>{scoped}</hookID><callbackURL><![CDATA[http://127.0.0.1:9/b]]></callbackURL><meetingID><![CDATA[random-9019868]]></meetingID><eventID>user-joined,meeting-created</eventID><permanentHook>false</permanentHook><rawData>1</rawData></hook>\
</hooks></response>"
        )
    );

    // list?meetingID: global hooks plus that meeting's, sorted by id
    let for_meeting = call(&engine, "list", "meetingID=random-9019868").await;
    let mut ids = vec![permanent_id.clone(), id.clone(), scoped.clone()];
    ids.sort();
    let shown: Vec<String> = for_meeting
        .split("<hookID>")
        .skip(1)
        .map(|s| s[..36].to_owned())
        .collect();
    assert_eq!(shown, ids);
    // a meeting with no scoped hook: the global hooks (bbb-webhooks answered listHookError)
    let other = call(&engine, "list", "meetingID=nobody").await;
    assert!(other.contains(&id) && !other.contains(&scoped), "{other}");

    // destroy: by id, twice, permanent, missing parameter, by callback URL
    let removed = "<response><returncode>SUCCESS</returncode><removed>true</removed></response>";
    assert_eq!(
        call(&engine, "destroy", &format!("hookID={id}")).await,
        removed
    );
    let missing = failure("destroyMissingHook", "The hook informed was not found.");
    assert_eq!(
        call(&engine, "destroy", &format!("hookID={id}")).await,
        missing
    );
    assert_eq!(
        call(&engine, "destroy", &format!("hookID={permanent_id}")).await,
        missing
    );
    assert_eq!(
        call(&engine, "destroy", "").await,
        failure(
            "missingParamHookID",
            "You must specify a hookID in the parameters."
        )
    );
    assert_eq!(
        call(
            &engine,
            "destroy",
            &format!("hookID={}", enc("http://127.0.0.1:9/b"))
        )
        .await,
        removed
    );

    // create errors
    assert_eq!(
        call(&engine, "create", "meetingID=x").await,
        failure(
            "missingParamCallbackURL",
            "You must specify a callbackURL in the parameters."
        )
    );
    assert_eq!(
        call(
            &engine,
            "create",
            &format!("callbackURL={}&getRaw=yes", enc("http://127.0.0.1:9/c"))
        )
        .await,
        failure(
            "createHookError",
            "An error happened while creating your hook. Check the logs."
        )
    );
    assert_eq!(
        engine.hooks("default").unwrap().len(),
        1,
        "only the permanent hook is left"
    );
    engine.shutdown().await;
}

#[tokio::test]
async fn checksums_all_algorithms_and_forgeries() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let mut cfg = config(&redis, data.path());
    cfg.api.supported_checksum_algorithms = vec![
        Algorithm::Sha1,
        Algorithm::Sha256,
        Algorithm::Sha384,
        Algorithm::Sha512,
    ];
    let engine = start(cfg, &redis).await;
    let b = base(&engine);
    let check = failure("checksumError", CHECKSUM_ERROR);

    for (i, alg) in Algorithm::ALL.iter().enumerate() {
        let q = format!("callbackURL={}", enc(&format!("http://127.0.0.1:9/{i}")));
        let xml = get(&api_url(&b, "create", &q, SECRET, *alg)).await;
        assert!(
            xml.contains("<returncode>SUCCESS</returncode>"),
            "{alg}: {xml}"
        );
    }
    // the checksum may stand first
    let q = format!("callbackURL={}", enc("http://127.0.0.1:9/first"));
    let sum = Algorithm::Sha1.hex_digest(&[b"hooks/create", q.as_bytes(), SECRET.as_bytes()]);
    let xml = get(&format!(
        "{b}/bigbluebutton/api/hooks/create?checksum={sum}&{q}"
    ))
    .await;
    assert!(xml.contains("SUCCESS"), "{xml}");

    // forged: wrong secret, tampered query, upper-case hex, missing, empty, odd length, repeated
    let list_ok = api_url(&b, "list", "", SECRET, Algorithm::Sha1);
    assert!(get(&list_ok).await.contains("SUCCESS"));
    assert_eq!(
        get(&api_url(&b, "list", "", "wrong", Algorithm::Sha1)).await,
        check
    );
    let tampered = api_url(&b, "list", "meetingID=a", SECRET, Algorithm::Sha1)
        .replace("meetingID=a", "meetingID=b");
    assert_eq!(get(&tampered).await, check);
    let sum = Algorithm::Sha256.hex_digest(&[b"hooks/list", SECRET.as_bytes()]);
    assert_eq!(
        get(&format!(
            "{b}/bigbluebutton/api/hooks/list?checksum={}",
            sum.to_uppercase()
        ))
        .await,
        check
    );
    assert_eq!(
        get(&format!("{b}/bigbluebutton/api/hooks/list")).await,
        check
    );
    assert_eq!(
        get(&format!("{b}/bigbluebutton/api/hooks/list?checksum=")).await,
        check
    );
    assert_eq!(
        get(&format!("{b}/bigbluebutton/api/hooks/list?checksum=abc")).await,
        check
    );
    assert_eq!(
        get(&format!(
            "{b}/bigbluebutton/api/hooks/list?checksum={sum}&checksum={sum}"
        ))
        .await,
        check
    );
    // the create prefix is part of what is hashed (the classic mistake)
    let q = format!("callbackURL={}", enc("http://127.0.0.1:9/x"));
    let no_prefix = Algorithm::Sha1.hex_digest(&[q.as_bytes(), SECRET.as_bytes()]);
    assert_eq!(
        get(&format!(
            "{b}/bigbluebutton/api/hooks/create?{q}&checksum={no_prefix}"
        ))
        .await,
        check
    );
    engine.shutdown().await;

    // an algorithm that is not enabled is refused even with the right digest
    let data = tempfile::tempdir().unwrap();
    let mut cfg = config(&redis, data.path());
    cfg.api.supported_checksum_algorithms = vec![Algorithm::Sha256];
    let engine = start(cfg, &redis).await;
    let b = base(&engine);
    assert_eq!(
        get(&api_url(&b, "list", "", SECRET, Algorithm::Sha1)).await,
        check
    );
    assert!(get(&api_url(&b, "list", "", SECRET, Algorithm::Sha256))
        .await
        .contains("SUCCESS"));
    engine.shutdown().await;
}

#[tokio::test]
async fn routing_like_express_and_per_server_paths() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let mut cfg = config(&redis, data.path());
    let mut second = cfg.servers[0].clone();
    second.name = "lab".into();
    second.secret = bluehook_core::config::Secret::new("labsecret");
    second.redis_url = bluehook_core::config::Secret::new("");
    cfg.servers.push(second);
    let engine = start(cfg, &redis).await;
    let b = base(&engine);
    let client = reqwest::Client::new();

    let ping = client
        .get(format!("{b}/bigbluebutton/api/hooks/ping"))
        .send()
        .await
        .unwrap();
    assert_eq!(ping.status(), 200);
    assert_eq!(ping.text().await.unwrap(), "bbb-webhooks API up!");

    let list = client
        .get(api_url(&b, "list", "", SECRET, Algorithm::Sha1))
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200);
    assert_eq!(list.headers()["content-type"], "text/xml; charset=utf-8");

    // case-insensitive path; the trailing slash is part of the hashed method name
    let sum = Algorithm::Sha1.hex_digest(&[b"hooks/list/", SECRET.as_bytes()]);
    let xml = get(&format!("{b}/BigBlueButton/api/hooks/list/?checksum={sum}")).await;
    assert!(xml.contains("SUCCESS"), "{xml}");

    // POST and unknown paths: Express' 404 page
    let post = client
        .post(format!("{b}/bigbluebutton/api/hooks/list"))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 404);
    assert_eq!(post.headers()["content-type"], "text/html; charset=utf-8");
    assert!(post
        .text()
        .await
        .unwrap()
        .contains("<pre>Cannot POST /bigbluebutton/api/hooks/list</pre>"));
    let other = client
        .get(format!("{b}/bigbluebutton/api"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);

    // HEAD is served with headers only
    let head = client
        .head(api_url(&b, "list", "", SECRET, Algorithm::Sha1))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);

    // the second server answers under /servers/lab with its own secret and its own hooks
    let lab = format!("{b}/servers/lab");
    let q = format!("callbackURL={}", enc("http://127.0.0.1:9/lab"));
    assert!(
        get(&api_url(&lab, "create", &q, "labsecret", Algorithm::Sha1))
            .await
            .contains("SUCCESS")
    );
    assert_eq!(
        get(&api_url(&lab, "list", "", SECRET, Algorithm::Sha1)).await,
        failure("checksumError", CHECKSUM_ERROR)
    );
    assert_eq!(engine.hooks("lab").unwrap().len(), 1);
    assert_eq!(engine.hooks("default").unwrap().len(), 0);
    let unknown = client
        .get(format!("{b}/servers/nope/bigbluebutton/api/hooks/ping"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    engine.shutdown().await;
}

#[tokio::test]
async fn hooks_survive_a_restart() {
    let redis = RedisServer::start();
    let data = tempfile::tempdir().unwrap();
    let engine = start(config(&redis, data.path()), &redis).await;
    let id = create_hook(
        &engine,
        "http://127.0.0.1:9/keep",
        "&eventID=user-joined&meetingID=m",
    )
    .await;
    let gone = create_hook(&engine, "http://127.0.0.1:9/gone", "").await;
    assert!(call(&engine, "destroy", &format!("hookID={gone}"))
        .await
        .contains("SUCCESS"));
    engine.shutdown().await;

    let engine = start(config(&redis, data.path()), &redis).await;
    let hooks = engine.hooks("default").unwrap();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].id, id);
    assert_eq!(hooks[0].event_ids, Some(vec!["user-joined".to_string()]));
    assert_eq!(hooks[0].meeting_id.as_deref(), Some("m"));
    engine.shutdown().await;
}
