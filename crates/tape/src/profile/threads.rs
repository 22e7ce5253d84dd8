//! The profiler's clock, and the parts of parallel kernels that helper threads run while some
//! tape is profiling.
//!
//! Helper threads serve every tape at once, so their parts go to one process-wide list while
//! at least one profiler is on; each profile takes the parts that fall within its own span.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use super::HelperPart;

/// How many profilers are on, in any thread.
static PROFILERS: AtomicUsize = AtomicUsize::new(0);

/// Helper threads' parts: (helper number, start, end) in `clock` nanoseconds.
static PARTS: Mutex<Vec<(usize, u64, u64)>> = Mutex::new(Vec::new());

/// Nanoseconds since the first call in this process: one time base for every thread, which
/// the trace's timestamps need.
pub(crate) fn clock() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    EPOCH.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

pub(super) fn profiling_started() {
    PROFILERS.fetch_add(1, Ordering::Relaxed);
}

pub(super) fn profiling_finished() {
    if PROFILERS.fetch_sub(1, Ordering::Relaxed) == 1 {
        lock().clear();
    }
}

fn lock() -> std::sync::MutexGuard<'static, Vec<(usize, u64, u64)>> {
    PARTS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs one part of a parallel kernel; while a profiler is on and this is a helper thread
/// (`lossgraph-N`), keeps when it ran.
#[inline]
pub(crate) fn timed_part(run: impl FnOnce()) {
    if PROFILERS.load(Ordering::Relaxed) == 0 {
        return run();
    }
    let helper = std::thread::current()
        .name()
        .and_then(|n| n.strip_prefix("lossgraph-"))
        .and_then(|n| n.parse::<usize>().ok());
    let Some(helper) = helper else {
        return run();
    };
    let start = clock();
    run();
    let end = clock();
    lock().push((helper, start, end));
}

/// The helper parts that started within `[from, to]`, with times from `from`.
pub(super) fn parts_between(from: u64, to: u64) -> Vec<HelperPart> {
    lock()
        .iter()
        .filter(|&&(_, start, _)| (from..=to).contains(&start))
        .map(|&(thread, start, end)| HelperPart {
            thread,
            start: super::nanos(start - from),
            duration: super::nanos(end - start),
        })
        .collect()
}
