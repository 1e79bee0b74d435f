//! `bluehook simulate`: plays a realistic BBB meeting.
//!
//! When the server has a Redis URL (in the configuration, or `--redis`), the raw messages are
//! published there, as BBB would publish them — whoever subscribes (Bluehook, bbb-webhooks)
//! sees a meeting. A server without Redis has no channel to publish on, so the running
//! `bluehook serve` is asked, through its admin API, to feed its own relay.

use anyhow::{bail, Context, Result};
use bluehook_core::config::Config;
use bluehook_engine::simulator::{self, Request, Sink};
use clap::Args;
use std::time::Duration;

/// What to simulate and where.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Server (default: the first configured).
    #[arg(long)]
    server: Option<String>,
    /// Publish to this Redis instead of the server's (without the server's TLS files).
    #[arg(long)]
    redis: Option<String>,
    /// Ask the running service (admin API) to run it, even when the server has Redis.
    #[arg(long)]
    via_admin: bool,
    /// External meeting id (default `sim-<seed>`).
    #[arg(long)]
    meeting_id: Option<String>,
    /// Attendees.
    #[arg(long, default_value_t = 3)]
    users: usize,
    /// Public chat messages.
    #[arg(long, default_value_t = 3)]
    chat: usize,
    /// No poll.
    #[arg(long)]
    no_poll: bool,
    /// No screenshare.
    #[arg(long)]
    no_screenshare: bool,
    /// No recording (and no recording processing events).
    #[arg(long)]
    no_recording: bool,
    /// 1 is real time, 10 ten times faster, 0 as fast as possible.
    #[arg(long, default_value_t = 10.0)]
    speed: f64,
    /// Seed of ids and choices (same seed, same meeting).
    #[arg(long)]
    seed: Option<u64>,
}

impl SimulateArgs {
    fn request(&self, server: &str) -> Request {
        Request {
            server: Some(server.to_owned()),
            meeting_id: self.meeting_id.clone(),
            meeting_name: None,
            users: Some(self.users),
            chat_messages: Some(self.chat),
            poll: Some(!self.no_poll),
            screenshare: Some(!self.no_screenshare),
            recording: Some(!self.no_recording),
            speed: Some(self.speed),
            seed: self.seed,
        }
    }
}

/// Runs the simulation.
pub async fn run(args: SimulateArgs, config: &Config) -> Result<()> {
    let server = match &args.server {
        Some(name) => config
            .servers
            .iter()
            .find(|s| &s.name == name)
            .with_context(|| format!("no server {name:?} in the configuration"))?,
        None => config.servers.first().context("no server configured")?,
    };
    let request = args.request(&server.name);
    let redis = args
        .redis
        .clone()
        .unwrap_or_else(|| server.redis_url.expose().to_owned());
    if args.via_admin || redis.is_empty() {
        return via_admin(config, &request).await;
    }
    let scenario = request.scenario(&server.domain)?;
    let steps = bluehook_core::simulate::meeting(&scenario);
    // The server's TLS files go with the server's own Redis; another one given with --redis is
    // reached as its URL says (public roots, no client certificate).
    let tls = if redis == server.redis_url.expose() {
        server.redis_tls()?
    } else {
        Default::default()
    };
    let client = bluehook_engine::redis_client::open(&redis, &tls)?;
    let mut sink = Sink::redis(&client).await.with_context(|| {
        format!(
            "cannot connect to {}",
            bluehook_core::config::redact_url(&redis)
        )
    })?;
    println!(
        "meeting {:?}: {} messages to {} at {}x",
        scenario.external_meeting_id,
        steps.len(),
        bluehook_core::config::redact_url(&redis),
        args.speed
    );
    let cancel = tokio_util::sync::CancellationToken::new();
    let stop = cancel.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        stop.cancel();
    });
    let sent = simulator::play(&steps, args.speed, &mut sink, &cancel, |step| {
        println!(
            "{:>8.1}s  {:<36} {}",
            step.at_ms as f64 / 1000.0,
            step.channel,
            message_name(&step.payload)
        );
    })
    .await?;
    println!("published {sent} of {} messages", steps.len());
    Ok(())
}

/// `envelope.name` (BBB messages) or `header.name` (record-and-playback).
fn message_name(payload: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(payload).unwrap_or_default();
    bluehook_core::translate::message_name(&v)
        .unwrap_or("?")
        .to_owned()
}

/// Asks the running service to simulate.
async fn via_admin(config: &Config, request: &Request) -> Result<()> {
    use bluehook_engine::http::{header, Client, HeaderMap, Method, Target};
    if !config.admin.enabled {
        bail!("the server has no Redis and the admin API is off: nothing to send the meeting to");
    }
    let token = if config.admin.token.is_empty() {
        let path = bluehook_engine::data_dir(config)?.join("admin-token");
        std::fs::read_to_string(&path)
            .with_context(|| {
                format!(
                    "cannot read the admin token in {} (is bluehook serve running?)",
                    path.display()
                )
            })?
            .trim()
            .to_owned()
    } else {
        config.admin.token.expose().to_owned()
    };
    let host = match config.admin.bind.as_str() {
        "0.0.0.0" | "" => "127.0.0.1",
        "::" => "[::1]",
        other => other,
    };
    let url = format!("http://{host}:{}/api/v1/simulate", config.admin.port);
    let mut headers = HeaderMap::new();
    for (k, v) in [
        ("authorization", format!("Bearer {token}")),
        ("content-type", "application/json".to_owned()),
    ] {
        let (k, v) = header(k, &v)?;
        headers.insert(k, v);
    }
    let body = serde_json::to_vec(request)?;
    let answer = Client::new(0)
        .send(
            Method::POST,
            &Target::parse(&url)?,
            &[],
            &headers,
            body.into(),
            Duration::from_secs(10),
        )
        .await
        .with_context(|| {
            format!("cannot reach the admin API at {url} (is bluehook serve running?)")
        })?;
    let text = String::from_utf8_lossy(&answer.body);
    if !answer.status.is_success() {
        bail!("the admin API answered {}: {text}", answer.status);
    }
    println!("started by the running service: {text}");
    Ok(())
}
