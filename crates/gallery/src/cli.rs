//! The examples' flags, parsed by `clap` (derive): `--flag value` or `--flag=value`, typed
//! values with defaults, `--help` from the doc comments, and errors that name the flag (with the
//! closest known one for a typo) and exit non-zero.
//!
//! An example derives [`clap::Parser`] on its settings and reads them with [`parse`]:
//!
//! ```
//! use std::path::PathBuf;
//! use clap::Parser;
//!
//! /// A demo.
//! #[derive(Parser, Debug)]
//! #[command(name = "demo")]
//! struct Config {
//!     /// Passes over the data
//!     #[arg(long, value_name = "N", default_value_t = 10)]
//!     epochs: usize,
//!     /// Learning rate
//!     #[arg(long, value_name = "RATE", default_value_t = 0.1, value_parser = gallery::cli::finite::<f64>)]
//!     lr: f64,
//!     /// Checkpoint path
//!     #[arg(long, value_name = "FILE")]
//!     save: Option<PathBuf>,
//! }
//!
//! let argv = ["--epochs", "3", "--lr=0.5"].map(String::from);
//! let config: Config = gallery::cli::parse(argv).unwrap().unwrap(); // None after --help
//! assert_eq!((config.epochs, config.lr, config.save), (3, 0.5, None));
//! let err = gallery::cli::parse::<Config>(["--lr", "nan"].map(String::from)).unwrap_err();
//! assert_eq!(err, "--lr expects a finite number, got 'nan'");
//! let err = gallery::cli::parse::<Config>(["--epoch", "3"].map(String::from)).unwrap_err();
//! assert_eq!(err, "unknown flag --epoch (did you mean --epochs?); see --help");
//! ```

pub mod check;
mod requirement;
mod training;

pub use requirement::Requirement;
pub use training::{REQUIRED_ACCURACY, TrainingFlags};

use std::convert::Infallible;
use std::error::Error;
use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Command, FromArgMatches, Parser};

/// The folder the examples write their SVGs to unless `--out` says otherwise.
pub const OUT_DIR: &str = "target/examples-out";

/// Parses `argv` (without the program name) into `P`. `Ok(None)` when `--help` was asked for
/// (the help is printed); `Err` names a bad flag or value, or an engine variable with a bad
/// value (`LOSSGRAPH_THREADS`, see [`tape::check_env`]).
pub fn parse<P: Parser>(argv: impl IntoIterator<Item = String>) -> Result<Option<P>, String> {
    parse_with(P::command(), argv)
}

/// [`parse`] with a command adjusted first, such as the per-example defaults of
/// [`TrainingFlags::with_defaults`].
pub fn parse_with<P: FromArgMatches>(
    command: Command,
    argv: impl IntoIterator<Item = String>,
) -> Result<Option<P>, String> {
    let name = command.get_name().to_string();
    // The usage line a reader of the gallery can paste.
    let usage = format!("cargo run --release --example {name} -- [FLAGS]");
    let argv = std::iter::once(name).chain(argv);
    // A value may start with '-' (`--lr -1`, `--shift -inf`): the range checks explain it.
    let command = command
        .override_usage(usage)
        .mut_args(|a| match a.get_action().takes_values() {
            true => a.allow_hyphen_values(true),
            false => a,
        });
    match command.try_get_matches_from(argv) {
        Ok(matches) => {
            tape::check_env()?;
            P::from_arg_matches(&matches)
                .map(Some)
                .map_err(|e| message(&e))
        }
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            e.print()
                .map_err(|e| format!("cannot print the help: {e}"))?;
            Ok(None)
        }
        Err(e) => Err(message(&e)),
    }
}

/// The settings `P` parses from no flags at all: every flag at its default.
///
/// # Panics
///
/// When `P` declares a required flag: its settings then have no default.
pub fn defaults<P: Parser>() -> P {
    let name = P::command().get_name().to_string();
    match P::try_parse_from([name]) {
        Ok(p) => p,
        Err(e) => panic!("the flags have no defaults: {e}"),
    }
}

/// A value parser for paths that keeps an empty one, so that the output checks
/// ([`check::output_file`], [`check::output_dir`]) can say what is wrong with it.
/// Use it as `#[arg(value_parser = gallery::cli::path)]`.
pub fn path(text: &str) -> Result<PathBuf, Infallible> {
    Ok(PathBuf::from(text))
}

/// What a value parser expected of a value that parsed but cannot be used ("a finite number").
#[derive(Debug)]
pub struct Expected(pub &'static str);

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl Error for Expected {}

/// A value parser for numbers that must be finite: parsing alone accepts `nan` and `inf`.
/// Use it as `#[arg(value_parser = gallery::cli::finite::<f64>)]`.
///
/// ```
/// assert_eq!(gallery::cli::finite::<f64>("0.5").unwrap(), 0.5);
/// assert_eq!(gallery::cli::finite::<f32>("-inf").unwrap_err().to_string(), "a finite number");
/// assert!(gallery::cli::finite::<f64>("1e999").is_err()); // overflows to infinity
/// ```
pub fn finite<T>(text: &str) -> Result<T, Box<dyn Error + Send + Sync>>
where
    T: FromStr + Copy + Into<f64>,
    T::Err: Error + Send + Sync + 'static,
{
    let value: T = text.parse()?;
    if value.into().is_finite() {
        Ok(value)
    } else {
        Err(Box::new(Expected("a finite number")))
    }
}

/// One line saying what is wrong, in the words of the flag: `--lr expects a finite number,
/// got 'nan'`, `--epochs expects N, got 'ten' (invalid digit found in string)`, `unknown flag
/// --epoch (did you mean --epochs?)`; clap's own first line otherwise.
fn message(e: &clap::Error) -> String {
    let context = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => Some(s.as_str()),
        Some(ContextValue::Strings(s)) => s.first().map(String::as_str),
        _ => None,
    };
    let arg = context(ContextKind::InvalidArg).unwrap_or_default();
    // clap names a flag with its value's name: `--lr <RATE>`.
    let (flag, meta) = arg.split_once(' ').unwrap_or((arg, ""));
    let meta = meta.trim_matches(['<', '>']);
    let value = context(ContextKind::InvalidValue).unwrap_or_default();
    match e.kind() {
        ErrorKind::ValueValidation => match e.source() {
            Some(s) if s.is::<Expected>() => format!("{flag} expects {s}, got '{value}'"),
            Some(s) => format!("{flag} expects {meta}, got '{value}' ({s})"),
            None => format!("{flag} expects {meta}, got '{value}'"),
        },
        ErrorKind::InvalidValue if value.is_empty() => format!("{flag} needs a value: {arg}"),
        ErrorKind::UnknownArgument if !flag.starts_with('-') => {
            format!("unexpected argument '{flag}' (flags look like --epochs 5; see --help)")
        }
        ErrorKind::UnknownArgument => {
            let hint = context(ContextKind::SuggestedArg)
                .map(|s| format!(" (did you mean {s}?)"))
                .unwrap_or_default();
            format!("unknown flag {flag}{hint}; see --help")
        }
        _ => {
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or_default();
            first.trim_start_matches("error: ").to_string()
        }
    }
}

/// The exit code of an example's `main`: success, or the error printed as `error: ...` on
/// stderr and a failure code (a person reads the message; scripts read the code).
///
/// ```
/// use std::process::ExitCode;
/// assert_eq!(gallery::cli::exit_code(Ok(())), ExitCode::SUCCESS);
/// assert_eq!(gallery::cli::exit_code(Err("no data".into())), ExitCode::FAILURE);
/// ```
pub fn exit_code(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
