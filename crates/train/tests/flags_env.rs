//! A bad `LOSSGRAPH_THREADS` is an error of the flag parser's `finish`, naming the variable.
//! One test in its own binary: it sets the process's environment.

use train::cli::Args;

#[test]
fn a_bad_thread_count_in_the_environment_is_an_error() {
    // SAFETY: this binary's only test, run before any other thread reads the environment.
    unsafe { std::env::set_var("LOSSGRAPH_THREADS", "abc") };
    let args = Args::parse("demo", "A demo.", Vec::<String>::new());
    let err = args.finish().unwrap_err();
    assert!(
        err.starts_with("LOSSGRAPH_THREADS=\"abc\" is not a thread count"),
        "{err}"
    );
    unsafe { std::env::set_var("LOSSGRAPH_THREADS", "3") };
    let args = Args::parse("demo", "A demo.", Vec::<String>::new());
    assert_eq!(args.finish(), Ok(true));
}
