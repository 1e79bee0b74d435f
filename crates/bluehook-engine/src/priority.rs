//! CPU priority of the audit log's threads.
//!
//! Deliveries wait on the network, so even a busy relay leaves the CPU idle in between; the
//! log's threads (writer, checkpoints, full-text) use that idle time. When the cores are
//! short, deliveries go first: the log's threads run at a lower scheduling priority (a
//! higher nice value, per thread on Linux), so a burst's log work fills the gaps between
//! deliveries instead of delaying them. The writer still keeps up (a delivery waits for its
//! event's commit, so the relay slows to the writer's pace rather than outrunning it).

/// Lowers the calling thread's priority to `nice` (Linux; elsewhere a no-op). A failure is
/// harmless (the thread keeps the priority it had) and only logged.
pub fn lower_current_thread(nice: i32) {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid and setpriority only read their arguments.
        let rc = unsafe {
            let tid = libc::gettid();
            libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, nice)
        };
        if rc != 0 {
            tracing::debug!(
                error = %std::io::Error::last_os_error(),
                nice,
                "cannot lower the thread's priority"
            );
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}
