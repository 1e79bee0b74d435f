//! Bluehook's configuration: one typed struct, read from a TOML file and then overridden by
//! environment variables — bbb-webhooks' own names (`SHARED_SECRET`, `SERVER_DOMAIN`,
//! `REDIS_HOST`, …) for the default server, so Bluehook can replace bbb-webhooks with the same
//! environment, plus `BLUEHOOK_*` names for what bbb-webhooks does not have.
//!
//! Every key and variable is documented in the README; defaults are bbb-webhooks' defaults.
//! Deviation: boolean variables mean what they say (`BEARER_AUTH=false` is off; bbb-webhooks
//! read the string "false" as true).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

use crate::checksum::Algorithm;
use crate::hook::Method;

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The TOML file does not parse.
    #[error("invalid configuration file: {0}")]
    Toml(#[from] toml::de::Error),
    /// An environment variable holds a value of the wrong shape.
    #[error("environment variable {name}: {problem}")]
    Env {
        /// The variable.
        name: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// The configuration is inconsistent.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// A secret value: shown as `***` in every `Debug` output and log line.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The secret itself, for hashing or sending.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "***" })
    }
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the database lives; default `$XDG_DATA_HOME/bluehook` (or `~/.local/share/bluehook`).
    pub data_dir: Option<PathBuf>,
    /// `error`, `warn`, `info`, `debug` or `trace`, or a tracing filter (`LOG_LEVEL`).
    pub log_level: String,
    /// `text` or `json` log lines (`BLUEHOOK_LOG_FORMAT`).
    pub log_format: LogFormat,
    /// The BBB hooks API listener.
    pub api: ApiConfig,
    /// How callbacks are sent and retried.
    pub delivery: DeliveryConfig,
    /// Meeting and user ID mappings.
    pub mappings: MappingsConfig,
    /// The audit log: every raw message, event and attempt, and durable delivery.
    pub audit: AuditConfig,
    /// The admin API (JSON + Server-Sent Events) and `/metrics`.
    pub admin: AdminConfig,
    /// The built-in receiver that captures callbacks for inspection.
    pub catcher: CatcherConfig,
    /// The BBB servers; the first is the default one that the environment variables configure
    /// and that answers on the plain `/bigbluebutton/api/hooks/…` paths.
    pub servers: Vec<ServerConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: None,
            log_level: "info".into(),
            log_format: LogFormat::Text,
            api: ApiConfig::default(),
            delivery: DeliveryConfig::default(),
            mappings: MappingsConfig::default(),
            audit: AuditConfig::default(),
            admin: AdminConfig::default(),
            catcher: CatcherConfig::default(),
            servers: Vec::new(),
        }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// The BBB hooks API listener.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Address to bind (`SERVER_BIND_IP`), default `127.0.0.1`.
    pub bind: String,
    /// Port (`SERVER_PORT`), default 3005; 0 picks a free one.
    pub port: u16,
    /// Algorithms accepted for API checksums (`SUPPORTED_CHECKSUM_ALGORITHMS`).
    pub supported_checksum_algorithms: Vec<Algorithm>,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            bind: "127.0.0.1".into(),
            port: 3005,
            supported_checksum_algorithms: Algorithm::ALL.to_vec(),
        }
    }
}

/// bbb-webhooks' default retry schedule (ms): 13 attempts over about five minutes.
pub const DEFAULT_RETRY_INTERVALS_MS: [u64; 12] = [
    100, 500, 1000, 2000, 4000, 8000, 10000, 30000, 60000, 60000, 60000, 60000,
];

/// Callback delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeliveryConfig {
    /// Waits between attempts, ms (`BLUEHOOK_RETRY_INTERVALS`, a JSON array).
    pub retry_intervals_ms: Vec<u64>,
    /// Wait between attempts of a permanent hook once the list is used up, ms
    /// (`BLUEHOOK_PERMANENT_INTERVAL_RESET`).
    pub permanent_interval_reset_ms: u64,
    /// Time allowed for connecting and receiving response headers, ms (`REQUEST_TIMEOUT`).
    pub request_timeout_ms: u64,
    /// Redirects followed at most.
    pub max_redirects: usize,
    /// `User-Agent` of callbacks (bbb-webhooks sends `node-fetch`).
    pub user_agent: String,
    /// PEM file of CA certificates that https hook URLs may also be certified by, besides the
    /// public roots: for hooks on a private CA (`NODE_EXTRA_CA_CERTS`, as bbb-webhooks' Node.js
    /// reads it).
    pub extra_ca_file: Option<PathBuf>,
    /// Threads that run hook workers (`BLUEHOOK_DELIVERY_THREADS`); 0 lets Bluehook choose one
    /// per two cores, at most [`MAX_AUTO_DELIVERY_THREADS`].
    pub threads: usize,
}

/// Most delivery threads Bluehook chooses by itself: one thread carries tens of thousands of
/// deliveries a second, far beyond what BBB servers send.
pub const MAX_AUTO_DELIVERY_THREADS: usize = 4;

/// Most delivery threads that may be configured.
pub const MAX_DELIVERY_THREADS: usize = 64;

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            retry_intervals_ms: DEFAULT_RETRY_INTERVALS_MS.to_vec(),
            permanent_interval_reset_ms: 60_000,
            request_timeout_ms: 5_000,
            max_redirects: 10,
            user_agent: "node-fetch".into(),
            extra_ca_file: None,
            threads: 0,
        }
    }
}

/// Meeting and user ID mappings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MappingsConfig {
    /// Inactivity after which a meeting's mappings are dropped, ms (`MAPPINGS_TIMEOUT`).
    pub timeout_ms: u64,
    /// How often expired mappings are looked for, ms.
    pub cleanup_interval_ms: u64,
}

impl Default for MappingsConfig {
    fn default() -> Self {
        MappingsConfig {
            timeout_ms: 604_800_000,
            cleanup_interval_ms: 10_000,
        }
    }
}

/// The admin API listener.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminConfig {
    /// Serve the admin API (`BLUEHOOK_ADMIN`).
    pub enabled: bool,
    /// Address to bind (`BLUEHOOK_ADMIN_BIND`); keep it on loopback unless behind a proxy.
    pub bind: String,
    /// Port (`BLUEHOOK_ADMIN_PORT`), default 3006; 0 picks a free one.
    pub port: u16,
    /// Bearer token; when empty one is generated on first run and kept in
    /// `<data_dir>/admin-token` (mode 0600) (`BLUEHOOK_ADMIN_TOKEN`).
    pub token: Secret,
}

impl Default for AdminConfig {
    fn default() -> Self {
        AdminConfig {
            enabled: true,
            bind: "127.0.0.1".into(),
            port: 3006,
            token: Secret::default(),
        }
    }
}

/// The catcher: a request bin on its own listener.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CatcherConfig {
    /// Serve the catcher (`BLUEHOOK_CATCHER`).
    pub enabled: bool,
    /// Address to bind (`BLUEHOOK_CATCHER_BIND`).
    pub bind: String,
    /// Port (`BLUEHOOK_CATCHER_PORT`), default 3007; 0 picks a free one.
    pub port: u16,
    /// Create a bin on its first request (`BLUEHOOK_CATCHER_AUTO_CREATE`); off, requests to
    /// bins not created through the admin API get 404.
    pub auto_create: bool,
    /// Bodies above this many bytes get 413 and are kept only up to it
    /// (`BLUEHOOK_CATCHER_MAX_BODY`).
    pub max_body_bytes: usize,
    /// Captures kept per bin; older ones are deleted (`BLUEHOOK_CATCHER_KEEP`).
    pub keep_per_bin: u64,
    /// Bins at most; a request that would create one more gets 507.
    pub max_bins: usize,
    /// Bodies kept in all, MiB; the oldest captures of any bin go first.
    pub max_total_mb: u64,
    /// Requests handled at once; more get 503 (a scripted delay does not count).
    pub max_concurrent: usize,
}

impl Default for CatcherConfig {
    fn default() -> Self {
        CatcherConfig {
            enabled: true,
            bind: "127.0.0.1".into(),
            port: 3007,
            auto_create: true,
            max_body_bytes: 1024 * 1024,
            keep_per_bin: 1000,
            max_bins: 100,
            max_total_mb: 256,
            max_concurrent: 128,
        }
    }
}

/// The audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditConfig {
    /// Record raw messages, events and attempts, and keep pending deliveries across restarts
    /// (`BLUEHOOK_AUDIT`). Off: deliveries live in memory only, as in bbb-webhooks.
    pub enabled: bool,
    /// Delete what is older than this many days; 0 keeps everything (`BLUEHOOK_RETENTION_DAYS`).
    pub retention_days: u64,
    /// Delete the oldest rows while the database is larger than this many MiB; 0: no limit
    /// (`BLUEHOOK_RETENTION_MAX_MB`).
    pub max_size_mb: u64,
    /// How often retention runs, seconds.
    pub retention_interval_s: u64,
    /// Also keep raw messages of types that are not relayed (`BLUEHOOK_AUDIT_UNKNOWN`). A busy
    /// BBB server publishes many of them (cursor moves, talking indicators…); off, they are only
    /// counted. Malformed and untranslatable messages are always kept.
    pub store_unknown: bool,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            enabled: true,
            retention_days: 30,
            max_size_mb: 0,
            retention_interval_s: 60,
            store_unknown: false,
        }
    }
}

/// The Redis channels bbb-webhooks subscribes to.
pub const DEFAULT_CHANNELS: [&str; 7] = [
    "from-akka-apps-redis-channel",
    "from-bbb-web-redis-channel",
    "from-akka-apps-chat-redis-channel",
    "from-akka-apps-pres-redis-channel",
    "bigbluebutton:from-bbb-apps:meeting",
    "bigbluebutton:from-bbb-apps:users",
    "bigbluebutton:from-rap",
];

/// One BBB server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Short name, used in paths (`/servers/{name}/bigbluebutton/api/hooks/…`).
    pub name: String,
    /// The `domain` field of callbacks (`SERVER_DOMAIN`).
    pub domain: String,
    /// The BBB shared secret (`SHARED_SECRET`): API checksums and callback checksums.
    pub secret: Secret,
    /// Send `Authorization: Bearer <secret>` instead of a checksum (`BEARER_AUTH`).
    pub bearer_auth: bool,
    /// Redis of the server: `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS
    /// (`REDIS_HOST`, `REDIS_PORT`, `REDIS_PASSWORD`, `BLUEHOOK_REDIS_URL`). Empty: no Redis.
    pub redis_url: Secret,
    /// `rediss://` only: PEM file of the CA certificate(s) the Redis server's certificate must
    /// chain to, in place of the public roots: for a Redis with a private CA
    /// (`BLUEHOOK_REDIS_CA_FILE`).
    pub redis_ca_file: Option<PathBuf>,
    /// `rediss://` only: PEM file of the client certificate (chain) to show a Redis that asks
    /// for one (`tls-auth-clients yes`, Redis's default with TLS) (`BLUEHOOK_REDIS_CERT_FILE`).
    pub redis_cert_file: Option<PathBuf>,
    /// `rediss://` only: PEM file of that certificate's private key
    /// (`BLUEHOOK_REDIS_KEY_FILE`).
    pub redis_key_file: Option<PathBuf>,
    /// Channels to subscribe to (`BLUEHOOK_REDIS_CHANNELS`, comma-separated).
    pub channels: Vec<String>,
    /// Algorithm of callback checksums (`HOOK_CHECKSUM_ALGORITHM`).
    pub hook_checksum_algorithm: Algorithm,
    /// Only these event ids are sent, when not empty (`INCLUDE_EVENTS`, JSON array).
    pub include_events: Vec<String>,
    /// These event ids are never sent (`EXCLUDE_EVENTS`, JSON array).
    pub exclude_events: Vec<String>,
    /// Hooks that always exist (`PERMANENT_HOOKS`, JSON `[{"url":…,"getRaw":…}]`).
    pub permanent_hooks: Vec<PermanentHook>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            name: "default".into(),
            domain: "myserver.com".into(),
            secret: Secret::default(),
            bearer_auth: false,
            redis_url: Secret::new("redis://127.0.0.1:6379"),
            redis_ca_file: None,
            redis_cert_file: None,
            redis_key_file: None,
            channels: DEFAULT_CHANNELS.iter().map(|s| s.to_string()).collect(),
            hook_checksum_algorithm: Algorithm::Sha1,
            include_events: Vec::new(),
            exclude_events: Vec::new(),
            permanent_hooks: Vec::new(),
        }
    }
}

impl ServerConfig {
    /// Whether the global include/exclude lists let `event_id` through.
    pub fn passes_filters(&self, event_id: &str) -> bool {
        (self.include_events.is_empty() || self.include_events.iter().any(|e| e == event_id))
            && !self.exclude_events.iter().any(|e| e == event_id)
    }
}

/// A hook that always exists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermanentHook {
    /// Callback URL.
    pub url: String,
    /// Raw BBB messages instead of normalized events.
    #[serde(default, alias = "getRaw")]
    pub get_raw: bool,
    /// Label.
    #[serde(default)]
    pub name: Option<String>,
    /// POST (default) or PUT.
    #[serde(default)]
    pub method: Method,
    /// Extra headers, e.g. `{ "X-API-KEY" = "…" }`.
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, Secret>,
    /// Standard Webhooks signing secret (`whsec_…`).
    #[serde(default)]
    pub signing_secret: Option<Secret>,
    /// Event ids the hook wants (all when absent).
    #[serde(default)]
    pub event_ids: Option<Vec<String>>,
}

impl Config {
    /// Parses a TOML document.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        Ok(toml::from_str(text)?)
    }

    /// The default server (created with defaults when none is configured).
    pub fn default_server_mut(&mut self) -> &mut ServerConfig {
        if self.servers.is_empty() {
            self.servers.push(ServerConfig::default());
        }
        &mut self.servers[0]
    }

    /// Applies environment variables read through `var`.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let get = |name: &'static str| var(name).filter(|v| !v.is_empty()).map(|v| (name, v));
        if let Some((_, v)) = get("LOG_LEVEL") {
            self.log_level = v;
        }
        if let Some((n, v)) = get("BLUEHOOK_LOG_FORMAT") {
            self.log_format = match v.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => return Err(env_err(n, "expected text or json")),
            };
        }
        if let Some((_, v)) = get("BLUEHOOK_DATA_DIR") {
            self.data_dir = Some(PathBuf::from(v));
        }
        if let Some((_, v)) = get("SERVER_BIND_IP") {
            self.api.bind = v;
        }
        if let Some((n, v)) = get("SERVER_PORT") {
            self.api.port = v
                .trim()
                .parse()
                .map_err(|_| env_err(n, "expected a port number"))?;
        }
        if let Some((n, v)) = get("SUPPORTED_CHECKSUM_ALGORITHMS") {
            self.api.supported_checksum_algorithms = string_list(n, &v)?
                .iter()
                .map(|a| {
                    a.parse()
                        .map_err(|e: crate::checksum::UnknownAlgorithm| env_err(n, &e.to_string()))
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some((n, v)) = get("REQUEST_TIMEOUT") {
            self.delivery.request_timeout_ms = number(n, &v)?;
        }
        if let Some((_, v)) = get("NODE_EXTRA_CA_CERTS") {
            self.delivery.extra_ca_file = Some(PathBuf::from(v));
        }
        if let Some((n, v)) = get("BLUEHOOK_RETRY_INTERVALS") {
            self.delivery.retry_intervals_ms =
                serde_json::from_str(&v).map_err(|_| env_err(n, "expected a JSON array of ms"))?;
        }
        if let Some((n, v)) = get("BLUEHOOK_PERMANENT_INTERVAL_RESET") {
            self.delivery.permanent_interval_reset_ms = number(n, &v)?;
        }
        if let Some((n, v)) = get("BLUEHOOK_DELIVERY_THREADS") {
            self.delivery.threads = v
                .trim()
                .parse()
                .map_err(|_| env_err(n, "expected a number of threads"))?;
        }
        if let Some((n, v)) = get("BLUEHOOK_ADMIN") {
            self.admin.enabled = boolean(n, &v)?;
        }
        if let Some((_, v)) = get("BLUEHOOK_ADMIN_BIND") {
            self.admin.bind = v;
        }
        if let Some((n, v)) = get("BLUEHOOK_ADMIN_PORT") {
            self.admin.port = v
                .trim()
                .parse()
                .map_err(|_| env_err(n, "expected a port number"))?;
        }
        if let Some((_, v)) = get("BLUEHOOK_ADMIN_TOKEN") {
            self.admin.token = Secret::new(v);
        }
        if let Some((n, v)) = get("BLUEHOOK_CATCHER") {
            self.catcher.enabled = boolean(n, &v)?;
        }
        if let Some((_, v)) = get("BLUEHOOK_CATCHER_BIND") {
            self.catcher.bind = v;
        }
        if let Some((n, v)) = get("BLUEHOOK_CATCHER_PORT") {
            self.catcher.port = v
                .trim()
                .parse()
                .map_err(|_| env_err(n, "expected a port number"))?;
        }
        if let Some((n, v)) = get("BLUEHOOK_CATCHER_AUTO_CREATE") {
            self.catcher.auto_create = boolean(n, &v)?;
        }
        if let Some((n, v)) = get("BLUEHOOK_CATCHER_MAX_BODY") {
            self.catcher.max_body_bytes = number(n, &v)? as usize;
        }
        if let Some((n, v)) = get("BLUEHOOK_CATCHER_KEEP") {
            self.catcher.keep_per_bin = number(n, &v)?;
        }
        if let Some((n, v)) = get("BLUEHOOK_AUDIT") {
            self.audit.enabled = boolean(n, &v)?;
        }
        if let Some((n, v)) = get("BLUEHOOK_AUDIT_UNKNOWN") {
            self.audit.store_unknown = boolean(n, &v)?;
        }
        if let Some((n, v)) = get("BLUEHOOK_RETENTION_DAYS") {
            self.audit.retention_days = number(n, &v)?;
        }
        if let Some((n, v)) = get("BLUEHOOK_RETENTION_MAX_MB") {
            self.audit.max_size_mb = number(n, &v)?;
        }
        if let Some((n, v)) = get("MAPPINGS_TIMEOUT") {
            self.mappings.timeout_ms = number(n, &v)?;
        }

        let server = self.default_server_mut();
        if let Some((_, v)) = get("SHARED_SECRET") {
            server.secret = Secret::new(v);
        }
        if let Some((_, v)) = get("SERVER_DOMAIN") {
            server.domain = v;
        }
        if let Some((n, v)) = get("BEARER_AUTH") {
            server.bearer_auth = boolean(n, &v)?;
        }
        if let Some((n, v)) = get("HOOK_CHECKSUM_ALGORITHM") {
            server.hook_checksum_algorithm = v
                .parse()
                .map_err(|e: crate::checksum::UnknownAlgorithm| env_err(n, &e.to_string()))?;
        }
        if let Some((n, v)) = get("INCLUDE_EVENTS") {
            server.include_events = string_list(n, &v)?;
        }
        if let Some((n, v)) = get("EXCLUDE_EVENTS") {
            server.exclude_events = string_list(n, &v)?;
        }
        if let Some((n, v)) = get("PERMANENT_HOOKS") {
            server.permanent_hooks = serde_json::from_str(&v).map_err(|e| {
                env_err(
                    n,
                    &format!("expected a JSON array of {{\"url\":…,\"getRaw\":…}}: {e}"),
                )
            })?;
        }
        if let Some((n, v)) = get("BLUEHOOK_REDIS_CHANNELS") {
            server.channels = string_list(n, &v)?;
        }
        if let Some((_, v)) = get("BLUEHOOK_REDIS_URL") {
            server.redis_url = Secret::new(v);
        }
        if let Some((_, v)) = get("BLUEHOOK_REDIS_CA_FILE") {
            server.redis_ca_file = Some(v.into());
        }
        if let Some((_, v)) = get("BLUEHOOK_REDIS_CERT_FILE") {
            server.redis_cert_file = Some(v.into());
        }
        if let Some((_, v)) = get("BLUEHOOK_REDIS_KEY_FILE") {
            server.redis_key_file = Some(v.into());
        }
        let host = get("REDIS_HOST").map(|(_, v)| v);
        let port = get("REDIS_PORT").map(|(_, v)| v);
        let password = get("REDIS_PASSWORD").map(|(_, v)| v);
        if host.is_some() || port.is_some() || password.is_some() {
            server.redis_url = Secret::new(redis_url_with(
                server.redis_url.expose(),
                host.as_deref(),
                port.as_deref(),
                password.as_deref(),
            )?);
        }
        Ok(())
    }

    /// Checks what serde cannot: names, secrets, duplicates.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.servers.is_empty() {
            return Err(ConfigError::Invalid("no BBB server configured".into()));
        }
        let mut names = std::collections::HashSet::new();
        for s in &self.servers {
            if s.name.is_empty()
                || !s
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(ConfigError::Invalid(format!(
                    "server name {:?}: use letters, digits, '-' and '_'",
                    s.name
                )));
            }
            if !names.insert(s.name.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "server name {:?} is used twice",
                    s.name
                )));
            }
            if s.secret.is_empty() {
                return Err(ConfigError::Invalid(format!(
                    "server {:?} has no shared secret: set SHARED_SECRET or servers.secret",
                    s.name
                )));
            }
            if !s.redis_url.is_empty() {
                let scheme = s.redis_url.expose().split("://").next().unwrap_or_default();
                if !matches!(scheme, "redis" | "rediss" | "redis+unix" | "unix") {
                    return Err(ConfigError::Invalid(format!(
                        "server {:?}: redis_url must start with redis:// or rediss://",
                        s.name
                    )));
                }
            }
            s.redis_tls()?;
        }
        let c = &self.catcher;
        if c.keep_per_bin == 0 || c.max_bins == 0 || c.max_total_mb == 0 || c.max_concurrent == 0 {
            return Err(ConfigError::Invalid(
                "catcher: keep_per_bin, max_bins, max_total_mb and max_concurrent must be at least 1"
                    .into(),
            ));
        }
        if self.delivery.threads > MAX_DELIVERY_THREADS {
            return Err(ConfigError::Invalid(format!(
                "delivery.threads is {}: at most {MAX_DELIVERY_THREADS} (0 = one per two cores)",
                self.delivery.threads
            )));
        }
        if self.api.supported_checksum_algorithms.is_empty() {
            return Err(ConfigError::Invalid(
                "api.supported_checksum_algorithms is empty: no API call could pass".into(),
            ));
        }
        Ok(())
    }
}

/// A configured file: an empty path is no file, in TOML as in the environment (where an empty
/// variable is unset).
fn given(path: &Option<PathBuf>) -> Option<PathBuf> {
    path.clone().filter(|p| !p.as_os_str().is_empty())
}

impl DeliveryConfig {
    /// The extra CA file for https hooks, if one is given.
    pub fn extra_ca_file(&self) -> Option<PathBuf> {
        given(&self.extra_ca_file)
    }

    /// How many delivery threads to run on a machine with `cores` cores: the configured number,
    /// or when that is 0 one per two cores (at least one, at most [`MAX_AUTO_DELIVERY_THREADS`]).
    ///
    /// Half the cores, because a delivery thread is not alone: ingest, the audit log and, on a
    /// BBB server, the meetings need the rest. On 2 cores one thread delivered 12% more than
    /// two to ten hooks on loopback (51,000 against 45,000 a second): fewer threads switch less
    /// and each wake-up finds more answers waiting.
    pub fn thread_count(&self, cores: usize) -> usize {
        match self.threads {
            0 => (cores / 2).clamp(1, MAX_AUTO_DELIVERY_THREADS),
            n => n,
        }
    }
}

/// The files of a server's `rediss://` connection, as configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedisTls {
    /// CA certificates to trust instead of the public roots.
    pub ca_file: Option<PathBuf>,
    /// Client certificate and its key, for Redis's `tls-auth-clients`.
    pub client: Option<(PathBuf, PathBuf)>,
}

impl ServerConfig {
    /// Its Redis TLS files, checked for shape: a certificate goes with a key, and the files need
    /// a `rediss://` URL (on `redis://` they would be silently unused).
    pub fn redis_tls(&self) -> Result<RedisTls, ConfigError> {
        let name = &self.name;
        let client = match (given(&self.redis_cert_file), given(&self.redis_key_file)) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => {
                return Err(ConfigError::Invalid(format!(
                    "server {name:?}: redis_cert_file and redis_key_file go together"
                )))
            }
        };
        let tls = RedisTls {
            ca_file: given(&self.redis_ca_file),
            client,
        };
        if tls != RedisTls::default() && !self.redis_url.expose().starts_with("rediss://") {
            return Err(ConfigError::Invalid(format!(
                "server {name:?}: redis_ca_file, redis_cert_file and redis_key_file need a \
                 rediss:// redis_url"
            )));
        }
        Ok(tls)
    }
}

fn env_err(name: &'static str, problem: &str) -> ConfigError {
    ConfigError::Env {
        name,
        problem: problem.to_owned(),
    }
}

fn number(name: &'static str, v: &str) -> Result<u64, ConfigError> {
    v.trim()
        .parse()
        .map_err(|_| env_err(name, "expected a whole number"))
}

fn boolean(name: &'static str, v: &str) -> Result<bool, ConfigError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(env_err(name, "expected true or false")),
    }
}

/// A JSON array of strings, or a comma-separated list.
fn string_list(name: &'static str, v: &str) -> Result<Vec<String>, ConfigError> {
    let v = v.trim();
    if v.starts_with('[') {
        serde_json::from_str(v).map_err(|_| env_err(name, "expected a JSON array of strings"))
    } else {
        Ok(v.split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect())
    }
}

fn redis_url_with(
    base: &str,
    host: Option<&str>,
    port: Option<&str>,
    password: Option<&str>,
) -> Result<String, ConfigError> {
    let base = if base.is_empty() {
        "redis://127.0.0.1:6379"
    } else {
        base
    };
    let mut url = url::Url::parse(base)
        .map_err(|e| ConfigError::Invalid(format!("redis_url does not parse: {e}")))?;
    if let Some(h) = host {
        url.set_host(Some(h))
            .map_err(|_| env_err("REDIS_HOST", "not a host name"))?;
    }
    if let Some(p) = port {
        let p: u16 = p
            .trim()
            .parse()
            .map_err(|_| env_err("REDIS_PORT", "expected a port number"))?;
        url.set_port(Some(p))
            .map_err(|_| env_err("REDIS_PORT", "cannot set a port"))?;
    }
    if let Some(pw) = password {
        url.set_password(Some(pw))
            .map_err(|_| env_err("REDIS_PASSWORD", "cannot set a password"))?;
    }
    Ok(url.to_string())
}

/// A Redis URL fit for logs: the password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            // unix:// and redis+unix:// URLs carry theirs as `?pass=`.
            if u.query_pairs().any(|(k, _)| k == "pass") {
                let pairs: Vec<(String, String)> = u
                    .query_pairs()
                    .map(|(k, v)| {
                        let v = if k == "pass" {
                            "***".into()
                        } else {
                            v.into_owned()
                        };
                        (k.into_owned(), v)
                    })
                    .collect();
                u.query_pairs_mut().clear().extend_pairs(pairs);
            }
            u.to_string()
        }
        Err(_) => "<unparsable url>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn bbb_webhooks_environment_configures_the_default_server() {
        let mut c = Config::default();
        c.apply_env(env(&[
            ("SHARED_SECRET", "s3cr3t"),
            ("SERVER_DOMAIN", "bbb.example.com"),
            ("REDIS_HOST", "10.0.0.5"),
            ("REDIS_PORT", "6380"),
            ("REDIS_PASSWORD", "p@ss"),
            ("SERVER_BIND_IP", "0.0.0.0"),
            ("SERVER_PORT", "3015"),
            (
                "PERMANENT_HOOKS",
                r#"[{"url":"http://a/cb","getRaw":true}]"#,
            ),
            ("HOOK_CHECKSUM_ALGORITHM", "sha256"),
            ("SUPPORTED_CHECKSUM_ALGORITHMS", "sha1,sha256"),
            ("INCLUDE_EVENTS", r#"["user-joined"]"#),
            ("EXCLUDE_EVENTS", r#"["meeting-created"]"#),
            ("REQUEST_TIMEOUT", "2500"),
            ("NODE_EXTRA_CA_CERTS", "/etc/ssl/lms-ca.pem"),
            ("BEARER_AUTH", "false"),
            ("LOG_LEVEL", "debug"),
        ]))
        .unwrap();
        c.validate().unwrap();
        let s = &c.servers[0];
        assert_eq!(s.secret.expose(), "s3cr3t");
        assert_eq!(s.domain, "bbb.example.com");
        assert_eq!(s.redis_url.expose(), "redis://:p%40ss@10.0.0.5:6380");
        assert_eq!((c.api.bind.as_str(), c.api.port), ("0.0.0.0", 3015));
        assert_eq!(s.permanent_hooks[0].url, "http://a/cb");
        assert!(s.permanent_hooks[0].get_raw);
        assert_eq!(s.hook_checksum_algorithm, Algorithm::Sha256);
        assert_eq!(
            c.api.supported_checksum_algorithms,
            [Algorithm::Sha1, Algorithm::Sha256]
        );
        assert!(s.passes_filters("user-joined"));
        assert!(!s.passes_filters("user-left"));
        assert_eq!(c.delivery.request_timeout_ms, 2500);
        assert_eq!(c.delivery.extra_ca_file, Some("/etc/ssl/lms-ca.pem".into()));
        assert!(!s.bearer_auth);
        assert_eq!(c.log_level, "debug");
    }

    #[test]
    fn toml_file_with_several_servers() {
        let c = Config::from_toml(
            r#"
            data_dir = "/tmp/bh"
            [api]
            port = 4000
            [delivery]
            retry_intervals_ms = [10, 20]
            [[servers]]
            name = "a"
            secret = "x"
            redis_url = "rediss://user:pw@redis.example.com:6380/0"
            [[servers.permanent_hooks]]
            url = "http://lms/cb"
            method = "PUT"
            headers = { "X-API-KEY" = "k" }
            [[servers]]
            name = "b"
            secret = "y"
            redis_url = ""
            "#,
        )
        .unwrap();
        c.validate().unwrap();
        assert_eq!(c.servers.len(), 2);
        assert_eq!(c.delivery.retry_intervals_ms, [10, 20]);
        assert_eq!(c.servers[0].permanent_hooks[0].method, Method::Put);
        assert_eq!(c.servers[1].channels.len(), DEFAULT_CHANNELS.len());
        assert!(
            !format!("{c:?}").contains("pw@"),
            "secrets stay out of Debug output"
        );
    }

    #[test]
    fn bad_values_are_named() {
        let mut c = Config::default();
        let e = c.apply_env(env(&[("BEARER_AUTH", "maybe")])).unwrap_err();
        assert!(e.to_string().contains("BEARER_AUTH"));
        let e = c
            .apply_env(env(&[("HOOK_CHECKSUM_ALGORITHM", "md5")]))
            .unwrap_err();
        assert!(e.to_string().contains("md5"));
        assert!(Config::from_toml("unknown_key = 1").is_err());
        let mut c = Config::default();
        c.default_server_mut();
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("shared secret"));
    }

    #[test]
    fn delivery_threads_are_half_the_cores_unless_configured() {
        let mut c = Config::default();
        let auto: Vec<usize> = [1, 2, 3, 4, 8, 16, 64]
            .iter()
            .map(|&cores| c.delivery.thread_count(cores))
            .collect();
        assert_eq!(auto, [1, 1, 1, 2, 4, 4, 4]);
        c.apply_env(env(&[("BLUEHOOK_DELIVERY_THREADS", "6")]))
            .unwrap();
        assert_eq!(c.delivery.thread_count(2), 6);
        let e = c
            .apply_env(env(&[("BLUEHOOK_DELIVERY_THREADS", "two")]))
            .unwrap_err();
        assert!(e.to_string().contains("BLUEHOOK_DELIVERY_THREADS"), "{e}");
        let mut c = Config::from_toml(
            "[[servers]]\nname = \"a\"\nsecret = \"s\"\n[delivery]\nthreads = 65\n",
        )
        .unwrap();
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("delivery.threads is 65: at most 64"), "{e}");
        c.delivery.threads = 64;
        c.validate().unwrap();
    }

    #[test]
    fn redis_tls_files_from_toml_and_environment() {
        let c = Config::from_toml(
            r#"
            [[servers]]
            name = "a"
            secret = "x"
            redis_url = "rediss://redis.example.com:6380"
            redis_ca_file = "/etc/bluehook/redis-ca.pem"
            redis_cert_file = "/etc/bluehook/client.pem"
            redis_key_file = "/etc/bluehook/client.key"
            "#,
        )
        .unwrap();
        c.validate().unwrap();
        let tls = c.servers[0].redis_tls().unwrap();
        assert_eq!(tls.ca_file, Some("/etc/bluehook/redis-ca.pem".into()));
        assert_eq!(
            tls.client,
            Some((
                "/etc/bluehook/client.pem".into(),
                "/etc/bluehook/client.key".into()
            ))
        );

        let mut c = Config::default();
        c.apply_env(env(&[
            ("SHARED_SECRET", "s"),
            ("BLUEHOOK_REDIS_URL", "rediss://10.0.0.5:6380"),
            ("BLUEHOOK_REDIS_CA_FILE", "/ca.pem"),
        ]))
        .unwrap();
        c.validate().unwrap();
        let tls = c.servers[0].redis_tls().unwrap();
        assert_eq!((tls.ca_file, tls.client), (Some("/ca.pem".into()), None));
    }

    #[test]
    fn redis_tls_files_that_would_go_unused_are_refused() {
        let server = |url: &str, files: &[(&str, &str)]| {
            let mut c = Config::default();
            let mut vars = vec![("SHARED_SECRET", "s"), ("BLUEHOOK_REDIS_URL", url)];
            vars.extend_from_slice(files);
            c.apply_env(env(&vars)).unwrap();
            c.validate().err().map(|e| e.to_string())
        };
        let plain = server("redis://h:6379", &[("BLUEHOOK_REDIS_CA_FILE", "/ca.pem")]).unwrap();
        assert!(plain.contains("need a rediss:// redis_url"), "{plain}");
        let alone = server("rediss://h:6379", &[("BLUEHOOK_REDIS_CERT_FILE", "/c.pem")]).unwrap();
        assert!(alone.contains("go together"), "{alone}");
        let key_only = server("rediss://h:6379", &[("BLUEHOOK_REDIS_KEY_FILE", "/k.pem")]);
        assert!(key_only.unwrap().contains("go together"));
        assert_eq!(server("rediss://h:6379", &[]), None);
        // An empty path is no file, in TOML as in the environment.
        let c = Config::from_toml(
            "[[servers]]\nsecret = \"x\"\nredis_url = \"redis://h:6379\"\nredis_ca_file = \"\"\n",
        )
        .unwrap();
        c.validate().unwrap();
        assert_eq!(c.servers[0].redis_tls().unwrap(), RedisTls::default());
    }

    #[test]
    fn the_readme_configuration_is_valid() {
        let readme = include_str!("../../../README.md");
        let start = readme
            .find("```toml\n")
            .expect("a TOML block in the README")
            + 8;
        let block = &readme[start..];
        let block = &block[..block.find("```").unwrap()];
        let c = Config::from_toml(block).unwrap();
        c.validate().unwrap();
        assert!(c.servers[0].redis_tls().unwrap() == RedisTls::default());
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(redact_url("redis://:pw@h:1"), "redis://:***@h:1");
        assert_eq!(redact_url("redis://h:1"), "redis://h:1");
        assert_eq!(
            redact_url("redis+unix:///run/redis.sock?db=1&pass=s3cret"),
            "redis+unix:///run/redis.sock?db=1&pass=***"
        );
    }
}
