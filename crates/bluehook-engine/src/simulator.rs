//! The simulator: plays a realistic BBB meeting ([`bluehook_core::simulate`]) at a chosen
//! speed, publishing its raw messages to a server's Redis channels — a local Redis or a real
//! BBB server's — or, for a server without Redis, feeding the engine's relay directly, so
//! events flow with nothing else installed. The timestamps inside the messages are those of
//! the meeting in real time, starting now, whatever the speed.

use bluehook_core::simulate::{Scenario, Step};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::ingest::RawMessage;

/// A simulation that cannot run.
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    /// No such server.
    #[error("no server {0:?}")]
    NoServer(String),
    /// Redis refused or went away.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// The engine is stopping.
    #[error("the engine is stopping")]
    Stopped,
    /// The request is not usable.
    #[error("{0}")]
    Invalid(String),
}

/// Where the messages go.
pub enum Sink {
    /// PUBLISH on a Redis connection.
    Redis(redis::aio::MultiplexedConnection),
    /// Straight into a server's relay.
    Relay(mpsc::Sender<RawMessage>),
}

impl Sink {
    /// A Redis sink through `client` (see [`crate::redis_client`]).
    pub async fn redis(client: &redis::Client) -> Result<Sink, SimulateError> {
        Ok(Sink::Redis(
            client.get_multiplexed_async_connection().await?,
        ))
    }

    /// `redis` or `relay`.
    pub fn kind(&self) -> &'static str {
        match self {
            Sink::Redis(_) => "redis",
            Sink::Relay(_) => "relay",
        }
    }

    async fn send(&mut self, step: &Step) -> Result<(), SimulateError> {
        match self {
            Sink::Redis(conn) => {
                redis::cmd("PUBLISH")
                    .arg(step.channel)
                    .arg(&step.payload)
                    .query_async::<i64>(conn)
                    .await?;
                Ok(())
            }
            Sink::Relay(tx) => tx
                .send(RawMessage {
                    channel: Arc::from(step.channel),
                    payload: bytes::Bytes::from(step.payload.clone()),
                })
                .await
                .map_err(|_| SimulateError::Stopped),
        }
    }
}

/// Sends `steps` to `sink`, each at its `at_ms` divided by `speed` (0: no waiting), calling
/// `sent` after each. Returns how many were sent; stops early when `cancel` fires.
pub async fn play(
    steps: &[Step],
    speed: f64,
    sink: &mut Sink,
    cancel: &CancellationToken,
    mut sent: impl FnMut(&Step),
) -> Result<usize, SimulateError> {
    let start = tokio::time::Instant::now();
    for (i, step) in steps.iter().enumerate() {
        if speed > 0.0 {
            let due = start + Duration::from_secs_f64(step.at_ms as f64 / 1000.0 / speed);
            tokio::select! {
                _ = tokio::time::sleep_until(due) => {}
                _ = cancel.cancelled() => return Ok(i),
            }
        } else if cancel.is_cancelled() {
            return Ok(i);
        }
        sink.send(step).await?;
        sent(step);
    }
    Ok(steps.len())
}

/// What the admin API takes to start a simulation; absent fields take the defaults of
/// [`Scenario`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Request {
    /// Server name (default: the default server).
    pub server: Option<String>,
    /// External meeting id (default: `sim-<seed>`).
    pub meeting_id: Option<String>,
    /// Meeting name.
    pub meeting_name: Option<String>,
    /// Attendees.
    pub users: Option<usize>,
    /// Public chat messages.
    pub chat_messages: Option<usize>,
    /// A poll.
    pub poll: Option<bool>,
    /// A screenshare.
    pub screenshare: Option<bool>,
    /// Recording, and the recording's processing events after the meeting.
    pub recording: Option<bool>,
    /// 1 is real time, 10 ten times faster, 0 as fast as possible (default 10).
    pub speed: Option<f64>,
    /// Seed of the ids and choices (default: the time).
    pub seed: Option<u64>,
}

/// The most attendees a simulation may have.
pub const MAX_USERS: usize = 500;
/// The slowest pace (a hundred times slower than real time).
pub const MIN_SPEED: f64 = 0.01;
/// The fastest pace that still waits between messages.
pub const MAX_SPEED: f64 = 10_000.0;

impl Request {
    /// The scenario this asks for, on a server of `domain`, starting now.
    pub fn scenario(&self, domain: &str) -> Result<Scenario, SimulateError> {
        let d = Scenario::default();
        let seed = self.seed.unwrap_or_else(bluehook_core::now_ms);
        let users = self.users.unwrap_or(d.users);
        if users == 0 || users > MAX_USERS {
            return Err(SimulateError::Invalid(format!(
                "users must be 1 to {MAX_USERS}"
            )));
        }
        if self
            .speed
            .is_some_and(|s| s != 0.0 && !(MIN_SPEED..=MAX_SPEED).contains(&s))
        {
            return Err(SimulateError::Invalid(format!(
                "speed must be 0 (no waiting) or {MIN_SPEED} to {MAX_SPEED}"
            )));
        }
        Ok(Scenario {
            meeting_name: self.meeting_name.clone().unwrap_or(d.meeting_name),
            external_meeting_id: self
                .meeting_id
                .clone()
                .unwrap_or_else(|| format!("sim-{seed}")),
            users,
            chat_messages: self.chat_messages.unwrap_or(d.chat_messages).min(10_000),
            poll: self.poll.unwrap_or(d.poll),
            screenshare: self.screenshare.unwrap_or(d.screenshare),
            recording: self.recording.unwrap_or(d.recording),
            server_domain: domain.to_owned(),
            start_ms: bluehook_core::now_ms(),
            seed,
            ..d
        })
    }
}

/// A simulation under way.
#[derive(Debug, Clone, Serialize)]
pub struct Started {
    /// Its id, to stop it.
    pub id: u64,
    /// Server.
    pub server: String,
    /// Where the messages go: `redis` or `relay`.
    pub sink: &'static str,
    /// External meeting id.
    pub meeting_id: String,
    /// Messages it will send.
    pub messages: usize,
    /// How long it will take, ms.
    pub duration_ms: u64,
}

/// One server as the simulator sees it.
pub struct Target {
    /// Its Redis (none: messages go straight to its relay).
    pub redis: Option<redis::Client>,
    /// Its domain.
    pub domain: String,
    /// Its relay's inbox.
    pub inbox: mpsc::Sender<RawMessage>,
}

/// Simulations under way, by id, with what stops each.
type Running = Arc<std::sync::Mutex<HashMap<u64, (Started, CancellationToken)>>>;

/// Starts simulations in the background of a running engine.
pub struct Simulator {
    /// Where each server's messages go.
    targets: HashMap<String, Target>,
    /// The server of requests that name none.
    default_server: String,
    /// Simulations are engine tasks: shutdown waits for them.
    tracker: TaskTracker,
    /// The engine's stop signal; each simulation has a child of it.
    cancel: CancellationToken,
    running: Running,
    next_id: std::sync::atomic::AtomicU64,
}

impl Simulator {
    /// A simulator over the engine's servers.
    pub fn new(
        targets: HashMap<String, Target>,
        default_server: String,
        tracker: TaskTracker,
        cancel: CancellationToken,
    ) -> Simulator {
        Simulator {
            targets,
            default_server,
            tracker,
            cancel,
            running: Running::default(),
            next_id: std::sync::atomic::AtomicU64::new(1),
        }
    }

    /// Asks simulation `id` to stop (it leaves the running list once stopped); false when it
    /// is not running.
    pub fn stop(&self, id: u64) -> bool {
        let running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        running.get(&id).map(|(_, t)| t.cancel()).is_some()
    }

    /// The simulations under way, oldest first.
    pub fn running(&self) -> Vec<Started> {
        let running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let mut list: Vec<Started> = running.values().map(|(s, _)| s.clone()).collect();
        list.sort_by_key(|s| s.id);
        list
    }

    /// Starts the simulation `request` asks for; it runs until done or the engine stops.
    pub async fn start(&self, request: &Request) -> Result<Started, SimulateError> {
        let server = request
            .server
            .clone()
            .unwrap_or_else(|| self.default_server.clone());
        let target = self
            .targets
            .get(&server)
            .ok_or_else(|| SimulateError::NoServer(server.clone()))?;
        let scenario = request.scenario(&target.domain)?;
        let speed = request.speed.unwrap_or(10.0);
        let steps = bluehook_core::simulate::meeting(&scenario);
        let mut sink = match &target.redis {
            Some(client) => Sink::redis(client).await?,
            None => Sink::Relay(target.inbox.clone()),
        };
        let last = steps.last().map(|s| s.at_ms).unwrap_or(0);
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let started = Started {
            id,
            server: server.clone(),
            sink: sink.kind(),
            meeting_id: scenario.external_meeting_id.clone(),
            messages: steps.len(),
            duration_ms: if speed > 0.0 {
                (last as f64 / speed) as u64
            } else {
                0
            },
        };
        let cancel = self.cancel.child_token();
        let running = self.running.clone();
        running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, (started.clone(), cancel.clone()));
        let meeting = started.meeting_id.clone();
        self.tracker.spawn(async move {
            match play(&steps, speed, &mut sink, &cancel, |_| {}).await {
                Ok(n) => tracing::info!(server, meeting, messages = n, "simulation finished"),
                Err(e) => tracing::warn!(server, meeting, error = %e, "simulation stopped"),
            }
            running
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&id);
        });
        tracing::info!(server = %started.server, meeting = %started.meeting_id, sink = started.sink, messages = started.messages, "simulation started");
        Ok(started)
    }
}
