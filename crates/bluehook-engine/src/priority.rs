//! CPU priority of the audit log's background threads.
//!
//! Deliveries wait on the network, so even a busy relay leaves the CPU idle in between. The
//! full-text indexer (nice 19) and the importer of the event journal (nice 10), which no
//! delivery waits for (searches do, a moment), run at a lower scheduling priority (a higher
//! nice value, per thread on Linux), so when the cores are short their work fills the gaps
//! between deliveries instead of delaying them. The writer keeps its priority: deliveries wait
//! for its journal writes.

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
