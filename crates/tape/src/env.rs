//! The environment variables the engine reads, parsed in one place so that a bad value is an
//! error naming the variable, never silently ignored.
//!
//! - `LOSSGRAPH_THREADS`: threads for the large kernels, the calling thread included. A whole
//!   number from 1 (everything on the calling thread) up; values above [`MAX_THREADS`] use
//!   [`MAX_THREADS`]. Unset: the available cores, at most [`MAX_THREADS`].
//! - `LOSSGRAPH_DETECT_ANOMALY`: `1`/`true`/`on`/`yes` turns anomaly detection on for every
//!   new [`Tape`](crate::Tape); `0`/`false`/`off`/`no` or unset leave it off.

use std::sync::OnceLock;

/// The most threads the kernels use, whatever `LOSSGRAPH_THREADS` or the core count say: more
/// helpers than this only add synchronisation for the sizes this engine runs.
pub const MAX_THREADS: usize = 8;

const THREADS: &str = "LOSSGRAPH_THREADS";
const DETECT_ANOMALY: &str = "LOSSGRAPH_DETECT_ANOMALY";

/// Parses a `LOSSGRAPH_THREADS` value: the thread count, capped at [`MAX_THREADS`].
pub(crate) fn parse_threads(value: &str) -> Result<usize, String> {
    match value.trim().parse::<usize>() {
        Ok(0) => Err(format!(
            "{THREADS}=0: the thread count includes the calling thread, so it is at least 1 \
             (1 runs everything on the calling thread)"
        )),
        Ok(n) => Ok(n.min(MAX_THREADS)),
        Err(_) => Err(format!(
            "{THREADS}={value:?} is not a thread count: set a whole number from 1 to \
             {MAX_THREADS} (larger values use {MAX_THREADS}), or unset it to use every core"
        )),
    }
}

/// Parses a `LOSSGRAPH_DETECT_ANOMALY` value.
pub(crate) fn parse_switch(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "yes" => Ok(true),
        "" | "0" | "false" | "off" | "no" => Ok(false),
        _ => Err(format!(
            "{DETECT_ANOMALY}={value:?}: expected 1 (or true, on, yes) to turn anomaly detection \
             on, 0 (or false, off, no) to leave it off"
        )),
    }
}

/// A variable's value, `None` when unset; a value that is not Unicode is an error.
fn read(name: &str) -> Result<Option<String>, String> {
    match std::env::var(name) {
        Ok(v) => Ok(Some(v)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(v)) => Err(format!("{name}={v:?} is not valid text")),
    }
}

/// Checks the engine's environment variables (`LOSSGRAPH_THREADS`, `LOSSGRAPH_DETECT_ANOMALY`)
/// and returns an error naming the first one with a bad value.
///
/// Programs call it at start-up to report such a mistake as an error; without the call the
/// engine panics with the same message when it first reads the variable.
///
/// ```
/// // Unset or valid variables are fine (the test runner sets neither to a bad value).
/// assert!(tape::check_env().is_ok());
/// ```
pub fn check_env() -> Result<(), String> {
    if let Some(v) = read(THREADS)? {
        parse_threads(&v)?;
    }
    if let Some(v) = read(DETECT_ANOMALY)? {
        parse_switch(&v)?;
    }
    Ok(())
}

/// The thread count `LOSSGRAPH_THREADS` asks for, if set. Panics on a bad value (see
/// [`check_env`]).
pub(crate) fn threads() -> Option<usize> {
    let value = read(THREADS).unwrap_or_else(|e| panic!("{e}"))?;
    Some(parse_threads(&value).unwrap_or_else(|e| panic!("{e}")))
}

/// Whether new tapes detect anomalies (`LOSSGRAPH_DETECT_ANOMALY`), read once per process.
pub(crate) fn detect_anomaly() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| {
        read(DETECT_ANOMALY)
            .and_then(|v| v.map_or(Ok(false), |v| parse_switch(&v)))
            .unwrap_or_else(|e| panic!("{e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_counts_parse_and_cap() {
        assert_eq!(parse_threads("1"), Ok(1));
        assert_eq!(parse_threads(" 4 "), Ok(4));
        assert_eq!(parse_threads("64"), Ok(MAX_THREADS));
        for bad in ["abc", "", "-1", "2.5", "0"] {
            let e = parse_threads(bad).unwrap_err();
            assert!(e.starts_with("LOSSGRAPH_THREADS="), "{e}");
        }
    }

    #[test]
    fn switches_parse() {
        for on in ["1", "true", "ON", "yes"] {
            assert_eq!(parse_switch(on), Ok(true));
        }
        for off in ["", "0", "false", "Off", "no"] {
            assert_eq!(parse_switch(off), Ok(false));
        }
        let e = parse_switch("maybe").unwrap_err();
        assert!(e.starts_with("LOSSGRAPH_DETECT_ANOMALY=\"maybe\""), "{e}");
    }
}
