//! `bluehook serve` as a user runs it: the built binary, configured only by bbb-webhooks'
//! environment variables, a real redis-server, events published with `redis-cli`, callbacks
//! caught by a real HTTP receiver.

use bluehook_core::checksum::Algorithm;
use bluehook_testkit::pki::Pki;
use bluehook_testkit::{api_url, enc, free_port, get, wait_until, Receiver, RedisServer};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const SECRET: &str = "0d6e4c1f6b3a4d2e9f8a7b6c5d4e3f2a";
const WAIT: Duration = Duration::from_secs(20);

struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(env: &[(&str, String)], data: &std::path::Path) -> Serve {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bluehook"));
    cmd.arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("BLUEHOOK_DATA_DIR", data)
        .env("BLUEHOOK_ADMIN_PORT", "0")
        .env("BLUEHOOK_CATCHER_PORT", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    Serve(cmd.spawn().expect("bluehook binary"))
}

fn redis_cli_publish(port: u16, channel: &str, message: &str) {
    let out = Command::new("redis-cli")
        .args(["-p", &port.to_string(), "publish", channel, message])
        .output()
        .expect("redis-cli is installed with redis-server");
    assert!(
        out.status.success(),
        "redis-cli: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn drop_in_replacement_with_bbb_webhooks_environment() {
    let redis = RedisServer::start();
    let receiver = Receiver::start().await;
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let permanent = receiver.url("/permanent");
    let mut child = serve(
        &[
            ("SHARED_SECRET", SECRET.into()),
            ("SERVER_DOMAIN", "bbb.example.org".into()),
            ("REDIS_HOST", "127.0.0.1".into()),
            ("REDIS_PORT", redis.port().to_string()),
            ("SERVER_BIND_IP", "127.0.0.1".into()),
            ("SERVER_PORT", port.to_string()),
            (
                "PERMANENT_HOOKS",
                format!(r#"[{{"url":"{permanent}","getRaw":false}}]"#),
            ),
            ("EXCLUDE_EVENTS", r#"["user-left"]"#.into()),
            ("BEARER_AUTH", "false".into()),
            ("LOG_LEVEL", "info".into()),
        ],
        data.path(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let up = wait_until(WAIT, || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    })
    .await;
    assert!(up, "bluehook serve listens on SERVER_PORT");
    assert_eq!(
        get(&format!("{base}/bigbluebutton/api/hooks/ping")).await,
        "bbb-webhooks API up!"
    );
    assert!(
        wait_until(WAIT, || redis.subscribers("from-akka-apps-redis-channel")
            == 1)
        .await
    );

    let sha1_url = receiver.url("/sha1-client");
    let sha256_url = receiver.url("/sha256-client");
    for (url, alg) in [
        (&sha1_url, Algorithm::Sha1),
        (&sha256_url, Algorithm::Sha256),
    ] {
        let xml = get(&api_url(
            &base,
            "create",
            &format!("callbackURL={}", enc(url)),
            SECRET,
            alg,
        ))
        .await;
        assert!(
            xml.starts_with("<response><returncode>SUCCESS</returncode><hookID>"),
            "{xml}"
        );
    }

    let ended = r#"{"envelope":{"name":"MeetingDestroyedEvtMsg","routing":{"sender":"bbb-apps-akka"},"timestamp":1698771310209},"core":{"header":{"name":"MeetingDestroyedEvtMsg"},"body":{"meetingId":"m-1"}}}"#;
    redis_cli_publish(redis.port(), "from-akka-apps-redis-channel", ended);
    let got = receiver.wait_for(3, WAIT).await;
    for registered in [&permanent, &sha1_url, &sha256_url] {
        let path = registered.trim_start_matches(&receiver.url(""));
        let c = got
            .iter()
            .find(|c| c.target.starts_with(&format!("{path}?")))
            .unwrap_or_else(|| panic!("a callback to {path}"));
        assert_eq!(
            c.header("content-type"),
            Some("application/x-www-form-urlencoded;charset=UTF-8")
        );
        assert_eq!(c.field("domain").as_deref(), Some("bbb.example.org"));
        assert_eq!(c.event_id(), "meeting-ended");
        let checksum = c.target.split_once("?checksum=").unwrap().1;
        let expected =
            Algorithm::Sha1.hex_digest(&[registered.as_bytes(), &c.body, SECRET.as_bytes()]);
        assert_eq!(checksum, expected);
    }

    // SIGTERM: a clean exit
    let pid = child.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let mut exited = None;
    assert!(
        wait_until(WAIT, || {
            exited = child.0.try_wait().unwrap();
            exited.is_some()
        })
        .await
    );
    assert!(exited.unwrap().success(), "exit status {exited:?}");
}

/// Waits for the process to exit; its status and what it wrote on stderr.
async fn exit_and_stderr(child: &mut Serve) -> (std::process::ExitStatus, String) {
    let mut status = None;
    assert!(
        wait_until(WAIT, || {
            status = child.0.try_wait().unwrap();
            status.is_some()
        })
        .await
    );
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.0.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    (status.unwrap(), stderr)
}

#[tokio::test]
async fn a_missing_secret_is_a_clear_error() {
    let data = tempfile::tempdir().unwrap();
    let mut child = serve(&[("SERVER_PORT", free_port().to_string())], data.path());
    let (status, stderr) = exit_and_stderr(&mut child).await;
    assert!(!status.success());
    assert!(stderr.contains("SHARED_SECRET"), "{stderr}");
}

#[tokio::test]
async fn a_corrupt_database_is_a_clear_error() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("bluehook.sqlite3"), vec![b'x'; 4096]).unwrap();
    refused_start(data.path()).await;
}

/// Starts `bluehook serve` on `data`, which must stop it: it exits with an error that names the
/// database, without a panic. Its stderr.
async fn refused_start(data: &std::path::Path) -> String {
    let mut child = serve(
        &[
            ("SHARED_SECRET", SECRET.into()),
            ("SERVER_PORT", free_port().to_string()),
        ],
        data,
    );
    let (status, stderr) = exit_and_stderr(&mut child).await;
    assert!(!status.success());
    assert!(stderr.contains("bluehook.sqlite3"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// Runs `bluehook simulate` with `env` and `args`; its stdout.
fn simulate(env: &[(&str, String)], args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_bluehook"))
        .arg("simulate")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("bluehook binary");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "bluehook simulate failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The event ids a receiver got, in order.
fn event_ids(receiver: &Receiver) -> Vec<String> {
    receiver.captured().iter().map(|c| c.event_id()).collect()
}

/// `bluehook serve` with `redis_env` and a permanent hook on a receiver, then `bluehook
/// simulate` of meeting `meeting_id` with `users` attendees, through the server's Redis; waits
/// until the whole meeting has arrived. Simulate's output, and the receiver.
async fn serve_and_simulate(
    redis: &RedisServer,
    redis_env: &[(&'static str, String)],
    users: &str,
    meeting_id: &str,
) -> (String, Receiver) {
    let receiver = Receiver::start().await;
    let data = tempfile::tempdir().unwrap();
    let mut env = vec![
        ("SHARED_SECRET", SECRET.into()),
        ("SERVER_PORT", free_port().to_string()),
        (
            "PERMANENT_HOOKS",
            format!(r#"[{{"url":"{}"}}]"#, receiver.url("/lms")),
        ),
    ];
    env.extend_from_slice(redis_env);
    let _serve = serve(&env, data.path());
    assert!(
        wait_until(WAIT, || redis.subscribers("from-akka-apps-redis-channel")
            == 1)
        .await,
        "bluehook serve subscribed"
    );
    let out = simulate(
        &env,
        &["--users", users, "--speed", "0", "--meeting-id", meeting_id],
    );
    assert!(
        wait_until(WAIT, || event_ids(&receiver).last().map(String::as_str)
            == Some("rap-post-publish-ended"))
        .await,
        "the whole meeting arrives: {:?}",
        event_ids(&receiver)
    );
    let meeting = &receiver.captured()[0].event()[0]["data"]["attributes"]["meeting"];
    assert_eq!(meeting["external-meeting-id"], meeting_id);
    (out, receiver)
}

#[tokio::test]
async fn simulate_publishes_a_meeting_on_redis() {
    let redis = RedisServer::start();
    let redis_env = [
        ("REDIS_HOST", "127.0.0.1".into()),
        ("REDIS_PORT", redis.port().to_string()),
    ];
    let (out, receiver) = serve_and_simulate(&redis, &redis_env, "2", "demo-1").await;
    let (sent, total) = out
        .lines()
        .last()
        .and_then(|l| l.strip_prefix("published "))
        .and_then(|l| l.split_once(" of "))
        .expect("a summary line");
    assert_eq!(sent, total.trim_end_matches(" messages"), "{out}");
    assert!(out.contains("UserJoinedMeetingEvtMsg"), "{out}");
    let ids = event_ids(&receiver);
    assert_eq!(ids[0], "meeting-created");
    assert_eq!(ids.iter().filter(|i| *i == "user-joined").count(), 2);
}

#[tokio::test]
async fn serve_and_simulate_over_tls_with_a_private_ca_and_a_client_certificate() {
    let certs = tempfile::tempdir().unwrap();
    let pki = Pki::new(certs.path());
    let (redis, rediss) = RedisServer::start_tls(&pki);
    let file = |p: &std::path::Path| p.to_str().unwrap().to_owned();
    let redis_env = [
        ("BLUEHOOK_REDIS_URL", rediss.clone()),
        ("BLUEHOOK_REDIS_CA_FILE", file(&pki.ca)),
        ("BLUEHOOK_REDIS_CERT_FILE", file(&pki.client.0)),
        ("BLUEHOOK_REDIS_KEY_FILE", file(&pki.client.1)),
    ];
    // Both serve and simulate reach Redis on its TLS port only, with the same files.
    let (out, _receiver) = serve_and_simulate(&redis, &redis_env, "1", "tls-1").await;
    assert!(out.contains(&rediss), "{out}");
}

#[tokio::test]
async fn simulate_without_redis_asks_the_running_service() {
    let receiver = Receiver::start().await;
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("bluehook.toml");
    std::fs::write(
        &file,
        format!(
            "[[servers]]\nsecret = \"{SECRET}\"\nredis_url = \"\"\n[[servers.permanent_hooks]]\nurl = \"{}\"\n",
            receiver.url("/lms")
        ),
    )
    .unwrap();
    let admin_port = free_port();
    let env = [
        ("BLUEHOOK_CONFIG", file.display().to_string()),
        ("BLUEHOOK_DATA_DIR", data.path().display().to_string()),
        ("BLUEHOOK_ADMIN_PORT", admin_port.to_string()),
        ("SERVER_PORT", free_port().to_string()),
    ];
    let _serve = serve(&env, data.path());
    assert!(
        wait_until(WAIT, || std::net::TcpStream::connect((
            "127.0.0.1",
            admin_port
        ))
        .is_ok())
        .await
    );
    let out = simulate(&env, &["--users", "1", "--speed", "0", "--no-recording"]);
    assert!(out.contains("\"sink\":\"relay\""), "{out}");
    assert!(
        wait_until(WAIT, || event_ids(&receiver).last().map(String::as_str)
            == Some("meeting-ended"))
        .await,
        "the meeting arrives: {:?}",
        event_ids(&receiver)
    );
}

/// Clears the immutable flag of a file when dropped (so the temp dir can be removed).
struct Immutable(std::path::PathBuf);

impl Immutable {
    /// `chattr +i` (root on ext4 and the like); None where the flag cannot be set.
    fn set(path: &std::path::Path) -> Option<Immutable> {
        let ok = Command::new("chattr")
            .arg("+i")
            .arg(path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Immutable(path.to_owned()))
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

#[tokio::test]
async fn a_read_only_database_is_a_clear_error() {
    let data = tempfile::tempdir().unwrap();
    let db = data.path().join("bluehook.sqlite3");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.execute_batch("CREATE TABLE t (x)").unwrap();
    }
    // Root ignores file modes; the immutable flag binds root too.
    let Some(_flag) = Immutable::set(&db) else {
        eprintln!(
            "skipped: chattr +i is not available here (needs root on a filesystem with the flag)"
        );
        return;
    };
    assert!(
        std::fs::OpenOptions::new().write(true).open(&db).is_err(),
        "the file is really read-only"
    );
    let stderr = refused_start(data.path()).await;
    assert!(stderr.contains("is read-only"), "{stderr}");
}
