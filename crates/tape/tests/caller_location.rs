//! A panic on misuse points at the caller's line, not into the library (`#[track_caller]`).
//! One test in its own binary: the panic hook it installs is process-wide.

use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;

use tape::{Tape, Tensor};

/// The file and line of the panic `f` raises, as the panic hook sees them.
fn panic_location<R>(f: impl FnOnce() -> R) -> (String, u32) {
    static SEEN: Mutex<Option<(String, u32)>> = Mutex::new(None);
    let previous = panic::take_hook();
    panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| (l.file().to_string(), l.line()));
        *SEEN.lock().unwrap() = at;
    }));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    panic::set_hook(previous);
    assert!(result.is_err(), "expected a panic");
    SEEN.lock().unwrap().take().expect("the hook saw the panic")
}

/// Asserts that evaluating `$e` panics at the line of this macro's invocation.
macro_rules! assert_panics_here {
    ($e:expr) => {
        let line = line!();
        assert_eq!(panic_location(|| $e), (file!().to_string(), line));
    };
}

#[test]
fn misuse_panics_point_at_the_callers_line() {
    let tape = Tape::<f32>::new();
    let a = tape.var(Tensor::zeros([128, 784]));
    let b = tape.var(Tensor::zeros([512, 784]));
    assert_panics_here!(a.matmul(b));
    assert_panics_here!(a + b);
    assert_panics_here!(a.reshape([3, 5]));
    assert_panics_here!(a.sum_axis(2, false));
    assert_panics_here!(a.log_softmax_gather(&[1]));
    assert_panics_here!(a.backward());
    assert_panics_here!(Tensor::<f32>::from_vec(vec![1.0], [2]));
    let x = Tensor::<f32>::zeros([2, 3]);
    assert_panics_here!(x.matmul(&x));
}
