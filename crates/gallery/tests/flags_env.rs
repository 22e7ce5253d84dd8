//! A bad `LOSSGRAPH_THREADS` is an error of the flag parser, naming the variable.
//! One test in its own binary: it sets the process's environment.

use clap::Parser;

/// No flags of its own.
#[derive(Parser, Debug)]
#[command(name = "demo")]
struct Flags {}

#[test]
fn a_bad_thread_count_in_the_environment_is_an_error() {
    // SAFETY: this binary's only test, run before any other thread reads the environment.
    unsafe { std::env::set_var("LOSSGRAPH_THREADS", "abc") };
    let err = gallery::cli::parse::<Flags>(Vec::new()).unwrap_err();
    assert!(
        err.starts_with("LOSSGRAPH_THREADS=\"abc\" is not a thread count"),
        "{err}"
    );
    unsafe { std::env::set_var("LOSSGRAPH_THREADS", "3") };
    assert!(gallery::cli::parse::<Flags>(Vec::new()).unwrap().is_some());
}
