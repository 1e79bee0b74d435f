//! `bluehook export` on a database of 100,000 events: every format parses back to exactly the
//! records the audit log holds, and filters narrow the export.

use bluehook_engine::audit::{AuditLog, EventRow};
use bluehook_engine::query::{EventRecord, Filter, Reader};
use bluehook_engine::store::Store;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

const N: i64 = 100_000;

async fn seed(dir: &Path) -> std::path::PathBuf {
    let store = Store::open_in(dir).unwrap();
    let path = store.path().to_owned();
    let (log, writer) = AuditLog::start(&path).unwrap();
    for i in 0..N {
        let kind = ["user-joined", "chat-group-message-sent", "user-left"][(i % 3) as usize];
        let meeting = format!("meeting-{}", i % 10);
        let json = format!(
            r#"{{"data":{{"type":"event","id":"{kind}","attributes":{{"meeting":{{"internal-meeting-id":"int-{meeting}","external-meeting-id":"{meeting}"}},"text":"line {i}, with \"quotes\" and é"}},"event":{{"ts":{}}}}}}}"#,
            1_700_000_000_000 + i
        );
        log.record_event(None, |id| EventRow {
            id,
            raw_id: 0,
            server: Arc::from("default"),
            at: 1_700_000_000_000 + i,
            kind: Arc::from(kind),
            meeting_internal: Some(format!("int-{meeting}")),
            meeting_external: Some(meeting.clone()),
            user_internal: (i % 2 == 0).then(|| format!("w_{i}")),
            user_external: None,
            raw_kind: 0,
            json: Arc::from(json.as_str()),
        })
        .await;
    }
    drop(log);
    tokio::task::spawn_blocking(move || writer.join().unwrap())
        .await
        .unwrap();
    path
}

fn export(db: &Path, out: &Path, format: &str, extra: &[&str]) {
    let status = Command::new(env!("CARGO_BIN_EXE_bluehook"))
        .args(["export", "--format", format, "--db"])
        .arg(db)
        .arg("--out")
        .arg(out)
        .args(extra)
        .status()
        .unwrap();
    assert!(status.success());
}

fn from_csv(path: &Path) -> Vec<EventRecord> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [
            "id",
            "server",
            "at",
            "type",
            "meeting_internal",
            "meeting_external",
            "user_internal",
            "user_external",
            "event"
        ]
    );
    let none = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            EventRecord {
                id: r[0].parse().unwrap(),
                server: r[1].to_owned(),
                at: r[2].parse().unwrap(),
                event_type: r[3].to_owned(),
                meeting_internal: none(&r[4]),
                meeting_external: none(&r[5]),
                user_internal: none(&r[6]),
                user_external: none(&r[7]),
                event: serde_json::from_str(&r[8]).unwrap(),
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_parse_back_to_the_same_records() {
    let dir = tempfile::tempdir().unwrap();
    let db = seed(dir.path()).await;
    let expected: Vec<EventRecord> = {
        let reader = Reader::open(&db).unwrap();
        let mut all = Vec::new();
        reader
            .each_event(&Filter::default(), None, |e| {
                all.push(e);
                true
            })
            .unwrap();
        all
    };
    assert_eq!(expected.len() as i64, N);

    let ndjson = dir.path().join("out.ndjson");
    export(&db, &ndjson, "ndjson", &[]);
    let parsed: Vec<EventRecord> = std::fs::read_to_string(&ndjson)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(parsed == expected, "ndjson differs");

    let json = dir.path().join("out.json");
    export(&db, &json, "json", &[]);
    let parsed: Vec<EventRecord> =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(parsed == expected, "json differs");

    let csv = dir.path().join("out.csv");
    export(&db, &csv, "csv", &[]);
    assert!(from_csv(&csv) == expected, "csv differs");

    // filters narrow the export
    let some = dir.path().join("some.ndjson");
    export(
        &db,
        &some,
        "ndjson",
        &["--meeting", "meeting-3", "--type", "user-left"],
    );
    let lines = std::fs::read_to_string(&some).unwrap().lines().count();
    let wanted = expected
        .iter()
        .filter(|e| {
            e.meeting_external.as_deref() == Some("meeting-3") && e.event_type == "user-left"
        })
        .count();
    assert!(wanted > 0);
    assert_eq!(lines, wanted);
}

#[test]
fn a_missing_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_bluehook"))
        .args(["export", "--format", "csv", "--db"])
        .arg(dir.path().join("none.sqlite3"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no database"));
}
