//! # bluehook-core
//!
//! The pure logic of Bluehook, with no I/O: everything that decides *what* bytes a
//! bbb-webhooks-compatible relay sends, so that it can be tested exhaustively.
//!
//! Data flows through it in one direction:
//!
//! 1. [`process`] takes a parsed raw BBB message and the server's [`mapping::Mappings`], and
//!    gives the normalized events to deliver ([`translate`] does the per-event work, in
//!    bbb-webhooks' exact format; [`jsvalue`] supplies JavaScript's value semantics).
//! 2. [`hook`] decides which hooks get each event.
//! 3. [`jsjson`] writes the event as `JSON.stringify` would; [`callback`] builds the form
//!    body and target URL, with [`checksum`] (or a Standard Webhooks [`signature`]).
//!
//! The hooks API's side: [`hook::Params`] reads queries, [`checksum::verify_api`] checks
//! them, [`xml`] writes the answers. [`config`] holds the typed configuration.

pub mod callback;
pub mod checksum;
pub mod config;
pub mod decode;
pub mod hook;
pub mod jsjson;
pub mod jsvalue;
pub mod mapping;
pub mod process;
pub mod signature;
pub mod simulate;
pub mod translate;
pub mod verify;
pub mod xml;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
