//! # bluehook-engine
//!
//! The running Bluehook relay. [`Engine::start`] takes a validated [`Config`] and brings up,
//! for every BBB server:
//!
//! ```text
//!   Redis ──ingest──▶ relay (translate + mappings) ──▶ dispatch ──▶ one worker per hook ──▶ URL
//!                                                         ▲
//!   BBB hooks API (create / destroy / list) ──────────────┘        store (SQLite): hooks, mappings
//! ```
//!
//! - [`ingest`]: one Redis subscriber per server, reconnecting with backoff; its client from
//!   [`redis_client`] (URL, TLS files).
//! - [`relay`]: one task per server that owns its ID mappings and handles messages in order.
//! - [`dispatch`]: the server's hooks and the fan-out of each event to their queues.
//! - [`deliver`]: per-hook workers — one request in flight, in order, retries, removal.
//! - [`api`]: the checksum-protected BBB hooks API.
//! - [`store`]: the SQLite file that keeps hooks and mappings across restarts.
//! - [`audit`], [`query`], [`export`], [`retention`], [`fts`]: the audit log — its writer,
//!   searches, exports, clean-up and full-text index.
//! - [`admin`]: the admin JSON API, live streams and `/metrics`.
//! - [`catcher`], [`bins`], [`captures`], [`catcher_api`], [`forward`]: the built-in receiver
//!   that captures callbacks for developers to inspect.
//! - [`simulator`]: simulated meetings, published on Redis or fed to a relay.
//!
//! Every task is tracked; [`Engine::shutdown`] cancels one token and waits for all of them.

pub mod admin;
pub mod api;
pub mod attempt_runs;
pub mod audit;
pub mod batch_queue;
pub mod bins;
pub mod captures;
pub mod catcher;
pub mod catcher_api;
pub mod deliver;
pub mod delivery_threads;
pub mod dispatch;
pub mod export;
pub mod forward;
pub mod fts;
pub mod http;
pub mod import;
pub mod ingest;
pub mod journal;
pub mod live_feed;
pub mod pem_files;
pub mod priority;
pub mod query;
pub mod redis_client;
pub mod relay;
pub mod retention;
pub mod simulator;
pub mod stats;
pub mod store;
pub mod wal_watch;
pub mod watermark;

use bluehook_core::config::Config;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use bluehook_core;
use dispatch::Dispatcher;
use ingest::RawMessage;
use stats::{ServerStats, StatsSnapshot};
use store::Store;

/// The engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The configuration is not usable.
    #[error(transparent)]
    Config(#[from] bluehook_core::config::ConfigError),
    /// The database could not be opened or read.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// A listener could not bind.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// No data directory could be chosen.
    #[error("no data directory: set data_dir or BLUEHOOK_DATA_DIR (HOME is not set)")]
    NoDataDir,
    /// The threads that run hook workers could not start.
    #[error("cannot start the delivery threads: {0}")]
    Threads(std::io::Error),
    /// The extra CA file for https hooks is not usable.
    #[error(transparent)]
    HookTls(#[from] pem_files::PemFileError),
    /// A server's Redis settings are not usable (URL, TLS files).
    #[error("server {server:?}: {problem}")]
    Redis {
        /// The server.
        server: String,
        /// Why (a whole message, so not a separate source).
        problem: redis_client::RedisClientError,
    },
}

/// Messages waiting for a server's relay before ingest slows down.
const INBOX_CAPACITY: usize = 65_536;

/// One server's running parts.
struct ServerRuntime {
    dispatcher: Arc<Dispatcher>,
    stats: Arc<ServerStats>,
    inbox: mpsc::Sender<RawMessage>,
    /// Its Redis client, when it has a Redis (the simulator publishes with it too).
    redis: Option<redis::Client>,
}

/// A running engine.
pub struct Engine {
    servers: HashMap<String, ServerRuntime>,
    default_server: String,
    api_addr: SocketAddr,
    data_dir: PathBuf,
    cancel: CancellationToken,
    tracker: TaskTracker,
    audit: Option<Arc<audit::AuditLog>>,
    audit_writer: Option<std::thread::JoinHandle<()>>,
    store: Arc<Store>,
    admin_addr: Option<SocketAddr>,
    admin_token: Option<String>,
    catcher: Option<Arc<catcher::Catcher>>,
    catcher_writer: Option<std::thread::JoinHandle<()>>,
    catcher_addr: Option<SocketAddr>,
    simulator: Arc<simulator::Simulator>,
    /// The threads hook workers run on (dropping the engine ends them).
    delivery_threads: delivery_threads::DeliveryThreads,
}

/// The data directory: configured, else `$XDG_DATA_HOME/bluehook`, else `~/.local/share/bluehook`.
pub fn data_dir(config: &Config) -> Result<PathBuf, EngineError> {
    if let Some(d) = &config.data_dir {
        return Ok(d.clone());
    }
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        return Ok(PathBuf::from(x).join("bluehook"));
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or(EngineError::NoDataDir)?;
    Ok(PathBuf::from(home).join(".local/share/bluehook"))
}

impl Engine {
    /// Opens the store, starts every server's relay, ingest and hook workers, and the API.
    pub async fn start(config: Config) -> Result<Engine, EngineError> {
        config.validate()?;
        // Both rustls back-ends may be compiled in; pick one explicitly (first caller wins).
        let _ = rustls::crypto::ring::default_provider().install_default();
        // Each server's Redis client, before anything starts: a bad URL or TLS file stops here.
        let mut redis_clients = Vec::new();
        for server in &config.servers {
            let client = if server.redis_url.is_empty() {
                None
            } else {
                let client = redis_client::open(server.redis_url.expose(), &server.redis_tls()?)
                    .map_err(|problem| EngineError::Redis {
                        server: server.name.clone(),
                        problem,
                    })?;
                Some(client)
            };
            redis_clients.push(client);
        }
        let hook_tls = match config.delivery.extra_ca_file() {
            Some(path) => http::with_extra_roots(&path)?,
            None => http::public_roots(),
        };
        let data_dir = data_dir(&config)?;
        let store = Arc::new(Store::open_in(&data_dir)?);
        let (audit, audit_writer) = if config.audit.enabled {
            let (log, writer) = audit::AuditLog::start(store.path())?;
            store.leave_checkpoints_to_audit_log()?;
            (Some(log), Some(writer))
        } else {
            (None, None)
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let delivery_threads =
            delivery_threads::DeliveryThreads::start(config.delivery.thread_count(cores))
                .map_err(EngineError::Threads)?;
        let ctx = Arc::new(deliver::DeliveryContext::new(
            config.delivery.clone(),
            delivery_threads.runtimes(),
            hook_tls,
        ));
        let cancel = CancellationToken::new();
        let tracker = TaskTracker::new();

        let mut servers = HashMap::new();
        // Each server's Redis ingest, started once every listener is bound.
        let mut ingests = Vec::new();
        for (server, redis) in config.servers.iter().zip(redis_clients) {
            let server = Arc::new(server.clone());
            let stats = Arc::new(ServerStats::default());
            let dispatcher = Dispatcher::start(
                server.clone(),
                store.clone(),
                ctx.clone(),
                stats.clone(),
                tracker.clone(),
                cancel.child_token(),
                audit.clone(),
            )?;
            if let Some(audit) = &audit {
                recover(&store, &dispatcher, audit)?;
                dispatcher.mark_dispatched(audit.last_event_id());
            }
            let (inbox, rx) = mpsc::channel(INBOX_CAPACITY);
            let relay = relay::Relay {
                server: Arc::from(server.name.as_str()),
                dispatcher: dispatcher.clone(),
                stats: stats.clone(),
                store: store.clone(),
                mappings: store.mappings(&server.name)?,
                mapping_timeout: Duration::from_millis(config.mappings.timeout_ms),
                cleanup_interval: Duration::from_millis(config.mappings.cleanup_interval_ms),
                audit: audit.clone(),
                store_unknown: config.audit.store_unknown,
            };
            tracker.spawn(relay.run(rx, cancel.child_token()));
            if let Some(client) = &redis {
                let source = ingest::Source {
                    server: server.name.clone(),
                    url: server.redis_url.expose().to_owned(),
                    channels: server.channels.clone(),
                    keepalive: ingest::KEEPALIVE,
                };
                ingests.push(ingest::run(
                    source,
                    client.clone(),
                    inbox.clone(),
                    stats.clone(),
                    audit.clone(),
                    cancel.child_token(),
                ));
            }
            servers.insert(
                server.name.clone(),
                ServerRuntime {
                    dispatcher,
                    stats,
                    inbox,
                    redis,
                },
            );
        }

        let state = Arc::new(api::ApiState {
            servers: servers
                .iter()
                .map(|(name, s)| (name.clone(), s.dispatcher.clone()))
                .collect(),
            default_server: config.servers[0].name.clone(),
            supported: config.api.supported_checksum_algorithms.clone(),
        });
        let api_addr = listen(
            &config.api.bind,
            config.api.port,
            api::router(state),
            "BBB hooks API",
            &tracker,
            &cancel,
        )
        .await?;
        if audit.is_some() {
            let policy = retention::Policy {
                max_age_ms: (config.audit.retention_days > 0)
                    .then(|| config.audit.retention_days as i64 * 86_400_000),
                max_bytes: (config.audit.max_size_mb > 0)
                    .then(|| config.audit.max_size_mb as i64 * 1024 * 1024),
            };
            tracker.spawn(retention::run(
                store.path().to_owned(),
                policy,
                Duration::from_secs(config.audit.retention_interval_s),
                cancel.child_token(),
            ));
        }
        let simulator = Arc::new(simulator::Simulator::new(
            config
                .servers
                .iter()
                .map(|s| {
                    let target = simulator::Target {
                        redis: servers[&s.name].redis.clone(),
                        domain: s.domain.clone(),
                        inbox: servers[&s.name].inbox.clone(),
                    };
                    (s.name.clone(), target)
                })
                .collect(),
            config.servers[0].name.clone(),
            tracker.clone(),
            cancel.child_token(),
        ));
        let (catcher, catcher_writer, catcher_addr) = if config.catcher.enabled {
            let dispatchers: Vec<Arc<Dispatcher>> =
                servers.values().map(|s| s.dispatcher.clone()).collect();
            let context = catcher::Context {
                servers: config
                    .servers
                    .iter()
                    .map(|s| (s.name.clone(), s.secret.clone()))
                    .collect(),
                secrets: config
                    .servers
                    .iter()
                    .flat_map(|s| &s.permanent_hooks)
                    .flat_map(|h| h.headers.values().chain(h.signing_secret.as_ref()))
                    .cloned()
                    .collect(),
                hook_urls: Box::new(move || {
                    dispatchers
                        .iter()
                        .flat_map(|d| d.list())
                        .map(|h| h.callback_url)
                        .collect()
                }),
                cancel: cancel.child_token(),
            };
            let (catcher, writer) =
                catcher::Catcher::open(config.catcher.clone(), store.path(), context)?;
            if !is_loopback(&config.catcher.bind) {
                tracing::warn!(bind = %config.catcher.bind, "the catcher accepts requests from other machines: anyone who reaches it can fill its bins");
            }
            // The catcher is a developer's tool: a port already taken must not stop the relay.
            match listen(
                &config.catcher.bind,
                config.catcher.port,
                catcher.router(),
                "catcher",
                &tracker,
                &cancel,
            )
            .await
            {
                Ok(bound) => (Some(catcher), Some(writer), Some(bound)),
                Err(e) => {
                    tracing::warn!(error = %e, "the catcher is off (set catcher.port or BLUEHOOK_CATCHER_PORT)");
                    drop(catcher);
                    let _ = writer.join();
                    (None, None, None)
                }
            }
        } else {
            (None, None, None)
        };
        let (admin_addr, admin_token) = if config.admin.enabled {
            let token = admin::token(config.admin.token.expose(), &data_dir)?;
            let state = Arc::new(admin::AdminState {
                db: store.path().to_owned(),
                servers: servers
                    .values()
                    .map(|s| (s.dispatcher.clone(), s.stats.clone()))
                    .collect(),
                audit: audit.clone(),
                catcher: catcher.clone(),
                simulator: simulator.clone(),
                token: token.clone(),
                cancel: cancel.child_token(),
            });
            let bound = listen(
                &config.admin.bind,
                config.admin.port,
                admin::router(state),
                "admin API",
                &tracker,
                &cancel,
            )
            .await?;
            (Some(bound), Some(token))
        } else {
            (None, None)
        };
        // Subscribed last: once a server's Redis sees Bluehook listening, its APIs answer.
        for ingest in ingests {
            tracker.spawn(ingest);
        }
        tracing::info!(api = %api_addr, admin = ?admin_addr, catcher = ?catcher_addr, data_dir = %data_dir.display(), servers = config.servers.len(), delivery_threads = delivery_threads.runtimes().len(), "Bluehook started");

        Ok(Engine {
            servers,
            default_server: config.servers[0].name.clone(),
            api_addr,
            data_dir,
            cancel,
            tracker,
            audit,
            audit_writer,
            store,
            admin_addr,
            admin_token,
            catcher,
            catcher_writer,
            catcher_addr,
            simulator,
            delivery_threads,
        })
    }

    /// Where the BBB hooks API listens.
    pub fn api_addr(&self) -> SocketAddr {
        self.api_addr
    }

    /// Where the admin API listens, when enabled.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin_addr
    }

    /// The admin API's bearer token, when enabled.
    pub fn admin_token(&self) -> Option<&str> {
        self.admin_token.as_deref()
    }

    /// Where the catcher listens, when enabled.
    pub fn catcher_addr(&self) -> Option<SocketAddr> {
        self.catcher_addr
    }

    /// The catcher, when enabled.
    pub fn catcher(&self) -> Option<&Arc<catcher::Catcher>> {
        self.catcher.as_ref()
    }

    /// The data directory in use.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// The name of the default server.
    pub fn default_server(&self) -> &str {
        &self.default_server
    }

    /// Counters of a server.
    pub fn stats(&self, server: &str) -> Option<StatsSnapshot> {
        self.servers.get(server).map(|s| s.stats.snapshot())
    }

    /// The hooks of a server.
    pub fn hooks(&self, server: &str) -> Option<Vec<bluehook_core::hook::Hook>> {
        self.servers.get(server).map(|s| s.dispatcher.list())
    }

    /// Starts a simulated meeting (see [`simulator`]); it runs in the background.
    pub async fn simulate(
        &self,
        request: &simulator::Request,
    ) -> Result<simulator::Started, simulator::SimulateError> {
        self.simulator.start(request).await
    }

    /// Feeds a raw message to a server's relay as if it came from Redis (the simulator uses
    /// this when no Redis is configured). Waits while the relay's inbox is full.
    pub async fn inject(&self, server: &str, channel: &str, payload: bytes::Bytes) -> bool {
        match self.servers.get(server) {
            Some(s) => s
                .inbox
                .send(RawMessage {
                    channel: Arc::from(channel),
                    payload,
                })
                .await
                .is_ok(),
            None => false,
        }
    }

    /// Stops everything: ingest, relays (which save their mappings), workers and the API.
    /// Deliveries still queued in memory are dropped (counted in `dropped`).
    pub async fn shutdown(self) {
        self.cancel.cancel();
        self.tracker.close();
        if tokio::time::timeout(Duration::from_secs(15), self.tracker.wait())
            .await
            .is_err()
        {
            tracing::error!("some tasks did not stop within 15 s; stopping anyway");
        }
        let Engine {
            servers,
            audit,
            audit_writer,
            catcher,
            catcher_writer,
            delivery_threads,
            ..
        } = self;
        // Every worker has stopped (or was given up on): end their threads.
        let _ = tokio::task::spawn_blocking(move || delivery_threads.stop()).await;
        // The writers finish their last batch once every handle to them is gone.
        drop(servers);
        drop(audit);
        drop(catcher);
        for (writer, name) in [(audit_writer, "audit log"), (catcher_writer, "catcher")] {
            let Some(writer) = writer else { continue };
            let joined = tokio::task::spawn_blocking(move || writer.join());
            if tokio::time::timeout(Duration::from_secs(10), joined)
                .await
                .is_err()
            {
                tracing::error!("{name} writer did not finish within 10 s");
            }
        }
        tracing::info!("Bluehook stopped");
    }

    /// The audit log, when enabled.
    pub fn audit(&self) -> Option<&Arc<audit::AuditLog>> {
        self.audit.as_ref()
    }

    /// The store.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }
}

/// Whether `bind` is a loopback address (or `localhost`).
fn is_loopback(bind: &str) -> bool {
    bind == "localhost"
        || bind
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Binds `bind:port` and serves `router` there until `cancel`; returns the bound address.
async fn listen(
    bind: &str,
    port: u16,
    router: axum::Router,
    name: &'static str,
    tracker: &TaskTracker,
    cancel: &CancellationToken,
) -> Result<SocketAddr, EngineError> {
    let addr = format!("{bind}:{port}");
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|source| EngineError::Bind {
            addr: addr.clone(),
            source,
        })?;
    let bound = listener
        .local_addr()
        .map_err(|source| EngineError::Bind { addr, source })?;
    let stop = cancel.child_token();
    tracker.spawn(async move {
        let served = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(stop.cancelled_owned())
        .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "{name} stopped");
        }
    });
    Ok(bound)
}

/// Requeues, for every hook of a dispatcher, the events after its cursor that it wants: the
/// deliveries that were pending when the previous process stopped (or was killed).
fn recover(
    store: &Store,
    dispatcher: &Dispatcher,
    audit: &audit::AuditLog,
) -> Result<(), EngineError> {
    use bluehook_core::callback::BodyPrefix;
    use serde_json::Value;
    let server = dispatcher.server();
    let cursors = store.cursors(&server.name)?;
    let hooks = dispatcher.list();
    let from = hooks
        .iter()
        .filter_map(|h| cursors.get(&h.id).copied())
        .min();
    let Some(from) = from.filter(|f| *f < audit.last_event_id()) else {
        return Ok(());
    };
    let events = store.events_after(&server.name, from)?;
    let mut total = 0;
    for hook in &hooks {
        let Some(&cursor) = cursors.get(&hook.id) else {
            continue;
        };
        let mut deliveries = Vec::new();
        for e in events.iter().filter(|e| e.id > cursor) {
            let internal = e.meeting_internal.clone().map(Value::String);
            let external = e.meeting_external.clone().map(Value::String);
            if !dispatcher.wants(hook, &e.kind, internal.as_ref(), external.as_ref()) {
                continue;
            }
            let payload = match (&e.raw, hook.get_raw && !e.raw_is_event) {
                (Some(raw), true) => serde_json::from_str::<Value>(raw)
                    .map(|v| bluehook_core::jsjson::to_string(&v))
                    .unwrap_or_else(|_| e.json.clone()),
                _ => e.json.clone(),
            };
            deliveries.push(dispatch::Delivery {
                seq: e.id,
                event_id: Arc::from(e.kind.as_str()),
                body: Arc::new(BodyPrefix::new(&server.domain, &payload)),
            });
        }
        total += deliveries.len();
        dispatcher.replay(&hook.id, deliveries);
    }
    if total > 0 {
        tracing::info!(server = %server.name, deliveries = total, "resuming deliveries pending at the last stop");
    }
    Ok(())
}
