//! The hooks of one server and the fan-out of events to them.
//!
//! Every hook has its own delivery queue and its own worker task ([`crate::deliver`]), so a
//! slow or dead hook never delays another and each hook gets its events in order, one request
//! at a time. [`Dispatcher::dispatch`] takes a normalized event from the relay, applies the
//! server's include/exclude lists and each hook's meeting and event filters, builds the form
//! body once per payload kind and pushes it onto the queues of the hooks that want it.
//! The BBB hooks API creates, lists and destroys hooks here; hooks are saved in the store.

use bluehook_core::callback::BodyPrefix;
use bluehook_core::config::ServerConfig;
use bluehook_core::hook::Hook;
use bluehook_core::jsjson;
use bluehook_core::jsvalue::opt_path;
use bluehook_core::process::{Outgoing, RawPayload};
use serde_json::Value;
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::audit::{AuditLog, Record};
use crate::deliver::{self, DeliveryContext};
use crate::stats::ServerStats;
use crate::store::{Store, StoreError};
use std::sync::atomic::{AtomicI64, Ordering};

/// One event for one hook.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The event's id in the audit log (its place in the hook's order); 0 without audit log.
    pub seq: i64,
    /// `data.id` of the normalized event (for logs and attempts).
    pub event_id: Arc<str>,
    /// The form body without its timestamp.
    pub body: Arc<BodyPrefix>,
}

/// A hook with the sending end of its queue.
struct Entry {
    hook: Hook,
    queue: mpsc::UnboundedSender<Delivery>,
    /// Stops the hook's worker when the hook is destroyed.
    cancel: CancellationToken,
}

/// What `create` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// A new hook.
    New(Hook),
    /// A hook with that URL already existed; it is returned unchanged.
    Duplicate(Hook),
}

/// What `destroy` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destroyed {
    /// The hook is gone.
    Removed,
    /// No such hook, or a permanent one.
    NotFound,
}

/// The hooks of one server.
pub struct Dispatcher {
    server: Arc<ServerConfig>,
    /// Insertion order = creation order, which `hooks/list` shows.
    hooks: RwLock<Vec<Entry>>,
    /// Serializes create/destroy so duplicate checks and store writes stay consistent.
    changes: Mutex<()>,
    store: Arc<Store>,
    ctx: Arc<DeliveryContext>,
    stats: Arc<ServerStats>,
    tracker: TaskTracker,
    cancel: CancellationToken,
    /// Lets a worker remove its own hook after exhausting its retries.
    me: std::sync::Weak<Dispatcher>,
    /// Where hook changes are recorded.
    audit: Option<Arc<AuditLog>>,
    /// Id of the last event fanned out (hooks idle past it have nothing pending before it).
    last_dispatched: AtomicI64,
}

impl Dispatcher {
    /// A dispatcher for `server` with the hooks already stored; starts their workers.
    pub fn start(
        server: Arc<ServerConfig>,
        store: Arc<Store>,
        ctx: Arc<DeliveryContext>,
        stats: Arc<ServerStats>,
        tracker: TaskTracker,
        cancel: CancellationToken,
        audit: Option<Arc<AuditLog>>,
    ) -> Result<Arc<Dispatcher>, StoreError> {
        let stored = store.hooks(&server.name)?;
        let dispatcher = Arc::new_cyclic(|me| Dispatcher {
            server,
            hooks: RwLock::new(Vec::new()),
            changes: Mutex::new(()),
            store,
            ctx,
            stats,
            tracker,
            cancel,
            me: me.clone(),
            // Set by the engine once recovered deliveries are queued (see `mark_dispatched`).
            last_dispatched: AtomicI64::new(0),
            audit,
        });
        for hook in stored {
            dispatcher.insert(hook);
        }
        dispatcher.ensure_permanent_hooks()?;
        Ok(dispatcher)
    }

    /// Creates the configured permanent hooks that do not exist yet (as bbb-webhooks does at
    /// start-up; a URL already registered through the API stays as it is).
    fn ensure_permanent_hooks(&self) -> Result<(), StoreError> {
        for p in &self.server.permanent_hooks {
            let mut hook = Hook::new(Hook::permanent_id(&p.url), p.url.clone());
            hook.permanent = true;
            hook.get_raw = p.get_raw;
            hook.raw_data = p.get_raw.to_string();
            hook.name = p.name.clone();
            hook.method = p.method;
            hook.headers = p
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.expose().to_owned()))
                .collect();
            hook.signing_secret = p.signing_secret.as_ref().map(|s| s.expose().to_owned());
            hook.event_ids = p
                .event_ids
                .as_ref()
                .map(|ids| ids.iter().map(|i| i.to_lowercase()).collect());
            match self.create(hook)? {
                Created::New(h) => {
                    tracing::info!(server = %self.server.name, hook = %h.id, url = %h.callback_url, "permanent hook created")
                }
                Created::Duplicate(h) => {
                    tracing::debug!(server = %self.server.name, hook = %h.id, "permanent hook already registered")
                }
            }
        }
        Ok(())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Entry>> {
        self.hooks.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<Entry>> {
        self.hooks.write().unwrap_or_else(|p| p.into_inner())
    }

    fn insert(&self, hook: Hook) {
        let (tx, rx) = mpsc::unbounded_channel();
        let cancel = self.cancel.child_token();
        let worker = deliver::Worker {
            hook: hook.clone(),
            server: self.server.clone(),
            ctx: self.ctx.clone(),
            stats: self.stats.clone(),
            cancel: cancel.clone(),
            dispatcher: self.me.clone(),
            audit: self.audit.clone(),
        };
        self.tracker
            .spawn_on(worker.run(rx), self.ctx.threads.next());
        self.write().push(Entry {
            hook,
            queue: tx,
            cancel,
        });
    }

    /// Registers `hook` unless a hook with the same callback URL exists. A hook without an id
    /// gets a random one. The hook is stored before it starts receiving events.
    pub fn create(&self, mut hook: Hook) -> Result<Created, StoreError> {
        let _guard = self.changes.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(existing) = self
            .read()
            .iter()
            .find(|e| e.hook.callback_url == hook.callback_url)
        {
            return Ok(Created::Duplicate(existing.hook.clone()));
        }
        if hook.id.is_empty() {
            hook.id = Hook::random_id();
        }
        self.store.save_hook(&self.server.name, &hook)?;
        if let Some(audit) = &self.audit {
            // The hook gets what is dispatched from now on; nothing earlier is pending for it.
            let server: Arc<str> = Arc::from(self.server.name.as_str());
            audit.record_soon(Record::Cursor {
                server: server.clone(),
                hook_id: Arc::from(hook.id.as_str()),
                through: audit.last_event_id(),
            });
            audit.record_soon(Record::HookChange {
                server,
                hook_id: hook.id.clone(),
                action: "created",
                callback_url: hook.callback_url.clone(),
                detail: None,
            });
        }
        self.insert(hook.clone());
        Ok(Created::New(hook))
    }

    /// Destroys a non-permanent hook, named by its id or by its callback URL (bbb-webhooks
    /// accepts both). Its undelivered events are dropped.
    pub fn destroy(&self, id_or_url: &str) -> Result<Destroyed, StoreError> {
        let _guard = self.changes.lock().unwrap_or_else(|p| p.into_inner());
        let found = {
            let hooks = self.read();
            hooks
                .iter()
                .find(|e| e.hook.id == id_or_url)
                .or_else(|| hooks.iter().find(|e| e.hook.callback_url == id_or_url))
                .map(|e| (e.hook.id.clone(), e.hook.permanent))
        };
        match found {
            Some((id, false)) => {
                self.store.delete_hook(&self.server.name, &id)?;
                if let Some(hook) = self.remove_entry(&id) {
                    self.record_change(&hook, "destroyed", None);
                }
                Ok(Destroyed::Removed)
            }
            _ => Ok(Destroyed::NotFound),
        }
    }

    fn remove_entry(&self, id: &str) -> Option<Hook> {
        let mut hooks = self.write();
        let pos = hooks.iter().position(|e| e.hook.id == id)?;
        let entry = hooks.remove(pos);
        entry.cancel.cancel();
        Some(entry.hook)
    }

    /// Called by a worker whose hook used up its retries: the hook is removed for good
    /// (bbb-webhooks removed it from Redis but kept sending to it until restart).
    pub(crate) fn remove_exhausted(&self, id: &str, reason: &str) {
        let removed = {
            let _guard = self.changes.lock().unwrap_or_else(|p| p.into_inner());
            self.remove_entry(id)
        };
        if let Some(hook) = removed {
            self.record_change(&hook, "removed", Some(format!("retries used up: {reason}")));
            ServerStats::inc(&self.stats.hooks_removed);
            if let Err(e) = self.store.delete_hook(&self.server.name, id) {
                tracing::error!(server = %self.server.name, hook = %id, error = %e, "could not delete removed hook from the database");
            }
            tracing::warn!(
                server = %self.server.name,
                hook = %id,
                url = %hook.callback_url,
                "too many failed attempts: hook removed"
            );
        }
    }

    fn record_change(&self, hook: &Hook, action: &'static str, detail: Option<String>) {
        if let Some(audit) = &self.audit {
            audit.record_soon(Record::HookChange {
                server: Arc::from(self.server.name.as_str()),
                hook_id: hook.id.clone(),
                action,
                callback_url: hook.callback_url.clone(),
                detail,
            });
        }
    }

    /// Declares every event up to `id` dispatched: called once recovered deliveries are queued,
    /// so that idle workers may move their cursors up to there.
    pub fn mark_dispatched(&self, id: i64) {
        self.last_dispatched.fetch_max(id, Ordering::SeqCst);
    }

    /// Id of the last event fanned out.
    pub fn last_dispatched(&self) -> i64 {
        self.last_dispatched.load(Ordering::SeqCst)
    }

    /// Whether `hook` gets an event of type `id` in the given meeting (server lists, hook
    /// state, meeting scope, `eventID`).
    pub fn wants(
        &self,
        hook: &Hook,
        id: &str,
        internal: Option<&Value>,
        external: Option<&Value>,
    ) -> bool {
        self.server.passes_filters(id)
            && hook.active
            && hook.wants_meeting(internal, external)
            && hook.wants_event(id)
    }

    /// Queues recovered deliveries (from the audit log, after a restart) for a hook, ahead of
    /// anything new.
    pub fn replay(&self, hook_id: &str, deliveries: Vec<Delivery>) {
        if let Some(entry) = self.read().iter().find(|e| e.hook.id == hook_id) {
            for d in deliveries {
                if entry.queue.send(d).is_ok() {
                    ServerStats::inc(&self.stats.queued);
                }
            }
        }
    }

    /// The hooks, in creation order.
    pub fn list(&self) -> Vec<Hook> {
        self.read().iter().map(|e| e.hook.clone()).collect()
    }

    /// `hooks/list?meetingID=`: the global hooks and every hook bound to `meeting_id`,
    /// sorted by id as bbb-webhooks sorts them.
    pub fn list_for_meeting(&self, meeting_id: &str) -> Vec<Hook> {
        let mut hooks: Vec<Hook> = self
            .read()
            .iter()
            .filter(|e| e.hook.meeting_id.as_deref().is_none_or(|m| m == meeting_id))
            .map(|e| e.hook.clone())
            .collect();
        hooks.sort_by(|a, b| a.id.cmp(&b.id));
        hooks
    }

    /// Fans one event out to the hooks that want it. `raw` is the raw message it came from,
    /// `json` the event's `JSON.stringify` text, `seq` the event's id in the audit log.
    pub fn dispatch(&self, out: &Outgoing, raw: &Value, json: &str, seq: i64) {
        let id = out.id();
        if !self.server.passes_filters(id) {
            ServerStats::inc(&self.stats.filtered);
            self.last_dispatched.store(seq, Ordering::SeqCst);
            return;
        }
        let internal = opt_path(
            &out.event,
            &["data", "attributes", "meeting", "internal-meeting-id"],
        );
        let external = opt_path(
            &out.event,
            &["data", "attributes", "meeting", "external-meeting-id"],
        );
        let event_id: Arc<str> = Arc::from(id);
        let mut normalized: Option<Arc<BodyPrefix>> = None;
        let mut raw_body: Option<Arc<BodyPrefix>> = None;
        for entry in self.read().iter() {
            let hook = &entry.hook;
            if !hook.active || !hook.wants_meeting(internal, external) || !hook.wants_event(id) {
                continue;
            }
            // (server filters were checked above)
            let body = if hook.get_raw {
                raw_body
                    .get_or_insert_with(|| {
                        let payload = match out.raw {
                            RawPayload::Original => raw,
                            RawPayload::Event => &out.event,
                        };
                        Arc::new(BodyPrefix::new(
                            &self.server.domain,
                            &jsjson::to_string(payload),
                        ))
                    })
                    .clone()
            } else {
                normalized
                    .get_or_insert_with(|| Arc::new(BodyPrefix::new(&self.server.domain, json)))
                    .clone()
            };
            let delivery = Delivery {
                seq,
                event_id: event_id.clone(),
                body,
            };
            if entry.queue.send(delivery).is_ok() {
                ServerStats::inc(&self.stats.queued);
            }
        }
        // After the pushes: a worker that reads this and then finds its queue empty is done
        // with everything up to `seq`.
        self.last_dispatched.store(seq, Ordering::SeqCst);
    }

    /// The server this dispatcher serves.
    pub fn server(&self) -> &ServerConfig {
        &self.server
    }
}
