//! A few long-lived helper threads for the large kernels (matrix products, row-wise softmax).
//!
//! Work is split into parts that write disjoint outputs; the calling thread runs part 0 and
//! helpers the rest (a part no helper has started by the time the caller is done with its own
//! is run by the caller). Each output element is computed by the same code whatever the split, so
//! results do not depend on the number of threads. `LOSSGRAPH_THREADS` sets the thread count
//! (`1`: everything on the calling thread).

use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

mod halves;

pub use halves::{Halves, join_halves};

/// Runs `run(part, parts)` once for each `part < parts`, on the calling thread and the helper
/// threads, where `parts` is at most `max_parts` and the thread count. While another thread is
/// splitting work, this caller works alone (`parts = 1`).
pub(crate) fn in_parallel(max_parts: usize, run: impl Fn(usize, usize) + Sync) {
    // One caller at a time hands out parts.
    static SPLITTING: Mutex<()> = Mutex::new(());
    let Ok(_splitting) = SPLITTING.try_lock() else {
        return run(0, 1);
    };
    let helpers = helpers();
    let parts = (helpers.len() + 1).min(max_parts);
    if parts < 2 {
        return run(0, 1);
    }
    // The profiler keeps the parts helper threads run (one relaxed load when it is off).
    let part_of = |part: usize| crate::profile::timed_part(|| run(part, parts));
    let job: &(dyn Fn(usize) + Sync) = &part_of;
    // SAFETY: the job borrows the caller's data. Helpers run it only between `start` and
    // `finish`, and `Finish` below waits for every started helper before this frame ends, even
    // while unwinding, so the borrows outlive every use.
    let job: &'static (dyn Fn(usize) + Sync) = unsafe { std::mem::transmute(job) };
    let started = &helpers[..parts - 1];
    let finish = Finish(started);
    for (h, helper) in started.iter().enumerate() {
        helper.start(job, h + 1);
    }
    part_of(0);
    let all_ok = finish.wait();
    assert!(all_ok, "a lossgraph helper thread panicked");
}

/// Runs `first` on the calling thread and `second` on one of lossgraph's helper threads when
/// one is free (otherwise both here, one after the other), and returns when both are done.
///
/// The helpers are the threads that share the large matrix products: work outside the tape
/// with the same shape (an optimiser's update of a large parameter, say) can use them too.
/// Set `LOSSGRAPH_THREADS=1` to run everything on the calling thread.
///
/// ```
/// let mut v = vec![1.0f32; 100_000];
/// let (left, right) = v.split_at_mut(50_000);
/// tape::join(|| left.iter_mut().for_each(|x| *x *= 2.0), || right.fill(0.0));
/// assert_eq!((v[0], v[99_999]), (2.0, 0.0));
/// ```
pub fn join(first: impl FnOnce() + Send, second: impl FnOnce() + Send) {
    // `in_parallel` calls a shared `Fn`; each closure is taken out once by the part that runs it.
    let first = Mutex::new(Some(first));
    let second = Mutex::new(Some(second));
    in_parallel(2, |part, parts| {
        if part == 0 {
            take(&first).into_iter().for_each(|f| f());
        }
        if part == 1 || parts == 1 {
            take(&second).into_iter().for_each(|f| f());
        }
    });
}

/// The closure in `slot`, the first time it is asked for.
fn take<F>(slot: &Mutex<Option<F>>) -> Option<F> {
    slot.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// The rows `part` of `parts` gets when `rows` rows are split evenly.
pub(crate) fn share(rows: usize, part: usize, parts: usize) -> std::ops::Range<usize> {
    let per = rows.div_ceil(parts);
    (part * per).min(rows)..((part + 1) * per).min(rows)
}

/// Row-wise kernels touching at least this many elements split their rows across threads:
/// below it, waking a helper costs more than it saves.
pub(crate) const PARALLEL_ELEMENTS: usize = 1 << 16;

/// Appends `rows x width` elements to `v`, splitting the rows across threads when `parallel`
/// is set: `fill(rows, out)` must write every element of `out`, which holds the elements of
/// `rows`.
pub(crate) fn fill_rows<T: Copy + Send + Sync>(
    v: &mut Vec<T>,
    rows: usize,
    width: usize,
    parallel: bool,
    fill: impl Fn(std::ops::Range<usize>, &mut [MaybeUninit<T>]) + Sync,
) {
    let len = rows * width;
    let before = v.len();
    v.reserve(len);
    let spare = &mut v.spare_capacity_mut()[..len];
    let max_parts = if parallel { rows } else { 1 };
    let out = Disjoint {
        ptr: spare.as_mut_ptr(),
        _borrow: PhantomData,
    };
    in_parallel(max_parts, |part, parts| {
        let r = share(rows, part, parts);
        // SAFETY: in bounds, and the parts' row ranges are disjoint.
        let slice = unsafe { out.slice(r.start * width, r.len() * width) };
        fill(r, slice);
    });
    // SAFETY: every part ran and wrote each element of its rows (the contract of `fill`).
    unsafe { v.set_len(before + len) };
}

/// The elements of `out`, once every one of them has been written.
///
/// # Safety
/// Every element of `out` is initialised.
pub(crate) unsafe fn assume_written<T>(out: &mut [MaybeUninit<T>]) -> &mut [T] {
    // SAFETY: `MaybeUninit<T>` has the layout of `T`, and the caller vouches for the values.
    unsafe { &mut *(out as *mut [MaybeUninit<T>] as *mut [T]) }
}

/// A buffer whose disjoint parts are written by different threads.
struct Disjoint<'a, T> {
    ptr: *mut MaybeUninit<T>,
    _borrow: PhantomData<&'a mut [T]>,
}

// SAFETY: shared only by `fill_rows`, whose parts write disjoint rows.
unsafe impl<T: Send> Sync for Disjoint<'_, T> {}

impl<T> Disjoint<'_, T> {
    /// `len` elements from `start`.
    ///
    /// # Safety
    /// In bounds of the buffer, and no other live slice covers these elements.
    #[allow(clippy::mut_from_ref)]
    unsafe fn slice(&self, start: usize, len: usize) -> &mut [MaybeUninit<T>] {
        // SAFETY: the caller's contract.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(start), len) }
    }
}

/// Waits for the started helpers: explicitly with `wait`, or on drop if the caller unwinds.
struct Finish<'a>(&'a [&'static Helper]);

impl Finish<'_> {
    fn wait(self) -> bool {
        let ok = self.0.iter().fold(true, |ok, h| h.finish() & ok);
        std::mem::forget(self);
        ok
    }
}

impl Drop for Finish<'_> {
    /// The caller is unwinding: parts not yet picked up are dropped (running them here could
    /// panic a second time, which aborts), and running ones are waited for, since they borrow
    /// the unwinding frame.
    fn drop(&mut self) {
        for h in self.0 {
            if h.take_back().is_none() {
                h.wait_done();
            }
        }
    }
}

/// A long-lived thread that runs one part of a product at a time.
///
/// Both sides spin briefly before sleeping, so that back-to-back kernels skip the futex wake.
/// A helper that is slow to start costs the caller nothing: it takes back a part nobody has
/// picked up (see `finish`). The state itself lives under the mutex; the two flags are hints
/// that let a spinning side see news without taking the lock, and each side notifies only when
/// the other is actually asleep (which it records under the lock, so no wake-up is lost).
struct Helper {
    state: Mutex<HelperState>,
    changed: Condvar,
    /// A job was posted and not yet taken.
    has_job: AtomicBool,
    /// The current job finished and its result was not yet collected.
    is_done: AtomicBool,
}

#[derive(Default)]
struct HelperState {
    job: Option<(&'static (dyn Fn(usize) + Sync), usize)>,
    /// Set when the job finished: `Some(true)` on success, `Some(false)` if it panicked.
    done: Option<bool>,
    helper_asleep: bool,
    caller_asleep: bool,
}

/// How long a side polls for news before it sleeps: the first `SPIN` in a tight loop, then
/// until `YIELDING_SPIN` giving its core to any other thread that wants it between polls.
///
/// A sleeping helper costs more than a futex wake on a virtual machine: its idle vCPU halts,
/// and waking it goes through the host (tens of microseconds). A product's parts rarely end
/// together, and the next parallel kernel often starts more than 20 us after a helper
/// finished, so with a 20 us spin alone the helpers slept through most of a training step.
/// Polling with `yield_now` for 5 ms keeps them awake across a step while leaving the core to
/// anyone else: measured on this project's 2-vCPU VM (AVX2 path, alternating runs),
/// `mlp_step` 3.4 -> 2.6 ms and `gan_step` 5.3 -> 4.9 ms quiet, and no slower beside a
/// competing busy process (`yes`). A tight 1 ms spin, by contrast, took that process's core
/// (`gan_step` 9.6 ms beside it, against 6-7 ms).
const SPIN: Duration = Duration::from_micros(20);
const YIELDING_SPIN: Duration = Duration::from_millis(5);

/// Polls `ready` until it holds or `YIELDING_SPIN` has passed.
fn spin_until(ready: impl Fn() -> bool) {
    let start = Instant::now();
    while !ready() {
        let waited = start.elapsed();
        if waited >= YIELDING_SPIN {
            return;
        }
        for _ in 0..32 {
            std::hint::spin_loop();
        }
        if waited >= SPIN {
            std::thread::yield_now();
        }
    }
}

impl Helper {
    fn new() -> Self {
        Helper {
            state: Mutex::new(HelperState::default()),
            changed: Condvar::new(),
            has_job: AtomicBool::new(false),
            is_done: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HelperState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait<'a>(&self, s: MutexGuard<'a, HelperState>) -> MutexGuard<'a, HelperState> {
        self.changed.wait(s).unwrap_or_else(|e| e.into_inner())
    }

    fn start(&self, job: &'static (dyn Fn(usize) + Sync), part: usize) {
        let mut s = self.lock();
        s.job = Some((job, part));
        s.done = None;
        self.has_job.store(true, Ordering::Release);
        if s.helper_asleep {
            self.changed.notify_all();
        }
    }

    /// Waits for the current job; false if it panicked. A job the helper has not picked up
    /// yet is taken back and run on the calling thread instead: a helper that is not running
    /// (its core taken by another process) would otherwise hold the caller for a scheduler
    /// time slice, milliseconds, at every parallel kernel.
    fn finish(&self) -> bool {
        if let Some((job, part)) = self.take_back() {
            return catch_unwind(AssertUnwindSafe(|| job(part))).is_ok();
        }
        self.wait_done()
    }

    /// The posted job, if the helper has not picked it up: it will not run it now.
    fn take_back(&self) -> Option<(&'static (dyn Fn(usize) + Sync), usize)> {
        let mut s = self.lock();
        let job = s.job.take();
        if job.is_some() {
            self.has_job.store(false, Ordering::Relaxed);
        }
        job
    }

    /// Waits for the job the helper picked up; false if it panicked.
    fn wait_done(&self) -> bool {
        spin_until(|| self.is_done.load(Ordering::Acquire));
        let mut s = self.lock();
        while s.done.is_none() {
            s.caller_asleep = true;
            s = self.wait(s);
            s.caller_asleep = false;
        }
        self.is_done.store(false, Ordering::Relaxed);
        s.done.take().unwrap_or(false)
    }

    fn serve(&self) {
        loop {
            spin_until(|| self.has_job.load(Ordering::Acquire));
            let (job, part) = {
                let mut s = self.lock();
                loop {
                    if let Some(j) = s.job.take() {
                        self.has_job.store(false, Ordering::Relaxed);
                        break j;
                    }
                    s.helper_asleep = true;
                    s = self.wait(s);
                    s.helper_asleep = false;
                }
            };
            let ok = catch_unwind(AssertUnwindSafe(|| job(part))).is_ok();
            let mut s = self.lock();
            s.done = Some(ok);
            self.is_done.store(true, Ordering::Release);
            if s.caller_asleep {
                self.changed.notify_all();
            }
        }
    }
}

/// The helper threads, started on first use: one fewer than the available cores (at most
/// `MAX_THREADS - 1`), or `LOSSGRAPH_THREADS - 1` when that variable is set
/// (`LOSSGRAPH_THREADS=1`: no helpers; a bad value panics, see `crate::check_env`).
fn helpers() -> &'static [&'static Helper] {
    static HELPERS: OnceLock<Vec<&'static Helper>> = OnceLock::new();
    HELPERS.get_or_init(|| {
        let threads = crate::env::threads()
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .clamp(1, crate::env::MAX_THREADS);
        (1..threads)
            .filter_map(|i| {
                // Helpers live as long as the process, like the threads that serve them.
                let helper: &'static Helper = Box::leak(Box::new(Helper::new()));
                std::thread::Builder::new()
                    .name(format!("lossgraph-{i}"))
                    .spawn(move || helper.serve())
                    .ok()
                    .map(|_| helper)
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    static DONE_PARTS: AtomicUsize = AtomicUsize::new(0);

    fn record_part(part: usize) {
        DONE_PARTS.fetch_add(part, Ordering::Relaxed);
    }

    #[test]
    fn a_job_no_helper_picked_up_runs_on_the_caller() {
        // No thread serves this helper, as when its core is busy with another process: the
        // caller must not wait for it (it would wait forever here), but run the part itself.
        let idle = Helper::new();
        idle.start(&record_part, 3);
        assert!(idle.finish());
        assert_eq!(DONE_PARTS.load(Ordering::Relaxed), 3);
        // The job was taken back: a helper thread arriving later finds nothing to run.
        assert!(idle.lock().job.is_none());
        assert!(!idle.has_job.load(Ordering::Relaxed));
    }
}
