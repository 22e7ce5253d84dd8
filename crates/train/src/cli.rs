//! A small command-line flag parser for the examples: `--flag value` or `--flag=value`, typed
//! values with defaults, `--help` generated from the flags asked for, and clear errors for
//! unknown flags and bad values.
//!
//! ```
//! use train::cli::Args;
//! let argv = ["--epochs", "3", "--lr=0.5"].map(String::from);
//! let mut args = Args::parse("demo", "A demo.", argv);
//! let epochs: usize = args.value("--epochs", "N", 10, "passes over the data").unwrap();
//! let lr: f64 = args.value("--lr", "RATE", 0.1, "learning rate").unwrap();
//! let out: Option<String> = args.optional("--save", "FILE", "checkpoint path").unwrap();
//! assert!(args.finish().unwrap()); // true: no --help, go ahead
//! assert_eq!((epochs, lr, out), (3, 0.5, None));
//! ```

pub mod check;
mod requirement;
mod training;

pub use requirement::Requirement;
pub use training::{REQUIRED_ACCURACY, TrainingFlags};

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;

/// A type a flag's value parses into. Parsing alone accepts `nan` and `inf` for numbers;
/// [`FlagValue::check`] rejects them, so a number flag is always finite.
pub trait FlagValue: FromStr {
    /// `Err(what was expected)` for a value that parses but cannot be used.
    fn check(&self) -> Result<(), &'static str> {
        Ok(())
    }
}

impl FlagValue for f64 {
    fn check(&self) -> Result<(), &'static str> {
        if self.is_finite() {
            Ok(())
        } else {
            Err("a finite number")
        }
    }
}

impl FlagValue for f32 {
    fn check(&self) -> Result<(), &'static str> {
        f64::from(*self).check()
    }
}

impl FlagValue for usize {}
impl FlagValue for u64 {}
impl FlagValue for u32 {}
impl FlagValue for i64 {}
impl FlagValue for String {}
impl FlagValue for PathBuf {}

/// Parsed command-line flags, consumed one by one by [`Args::value`] and [`Args::optional`].
#[derive(Debug)]
pub struct Args {
    program: String,
    about: String,
    /// Flags as given, with their value if one followed, and whether they were consumed.
    given: Vec<(String, Option<String>, bool)>,
    /// Anything that is not a flag (reported by [`Args::finish`]).
    stray: Vec<String>,
    help: bool,
    help_lines: Vec<String>,
}

impl Args {
    /// The process's arguments (without the program name).
    pub fn from_env(program: &str, about: &str) -> Self {
        Self::parse(program, about, std::env::args().skip(1))
    }

    /// Parses `argv` (without the program name): `--flag value`, `--flag=value`, `-h`/`--help`.
    pub fn parse(program: &str, about: &str, argv: impl IntoIterator<Item = String>) -> Self {
        let mut args = Args {
            program: program.into(),
            about: about.into(),
            given: Vec::new(),
            stray: Vec::new(),
            help: false,
            help_lines: Vec::new(),
        };
        let mut argv = argv.into_iter().peekable();
        while let Some(arg) = argv.next() {
            if arg == "--help" || arg == "-h" {
                args.help = true;
            } else if let Some((flag, value)) =
                arg.split_once('=').filter(|_| arg.starts_with("--"))
            {
                args.given.push((flag.into(), Some(value.into()), false));
            } else if arg.starts_with("--") {
                let value = argv.next_if(|next| !next.starts_with("--"));
                args.given.push((arg, value, false));
            } else {
                args.stray.push(arg);
            }
        }
        args
    }

    /// Whether `--help` was given.
    pub fn help_requested(&self) -> bool {
        self.help
    }

    /// The value of `flag` parsed as `T`, or `default` when the flag is absent. `meta` names
    /// the value in the help text and in errors (`N`, `RATE`, `FILE`).
    pub fn value<T: FlagValue + Display>(
        &mut self,
        flag: &str,
        meta: &str,
        default: T,
        help: &str,
    ) -> Result<T, String>
    where
        T::Err: Display,
    {
        self.help_lines.push(help_line(
            flag,
            meta,
            &format!("{help} (default {default})"),
        ));
        Ok(self.take(flag, meta)?.unwrap_or(default))
    }

    /// The examples' output folder: `--out DIR`, or `default` when the flag is absent. The
    /// folder is created if missing and must be writable (checked now, unless `--help` was
    /// given), so a bad one is reported before any work.
    ///
    /// ```
    /// use std::path::Path;
    /// use train::cli::Args;
    /// let mut args = Args::parse("demo", "A demo.", ["--out".to_string(), "figs".to_string()]);
    /// assert_eq!(args.out_dir(Path::new("target/examples-out")).unwrap(), Path::new("figs"));
    /// ```
    pub fn out_dir(&mut self, default: &Path) -> Result<PathBuf, String> {
        let dir: String = self.value(
            "--out",
            "DIR",
            default.display().to_string(),
            "folder for the SVGs",
        )?;
        let dir = PathBuf::from(dir);
        if !self.help {
            check::output_dir("--out", &dir)?;
        }
        Ok(dir)
    }

    /// The value of `flag` parsed as `T`, or `None` when the flag is absent.
    pub fn optional<T: FlagValue>(
        &mut self,
        flag: &str,
        meta: &str,
        help: &str,
    ) -> Result<Option<T>, String>
    where
        T::Err: Display,
    {
        self.help_lines.push(help_line(flag, meta, help));
        self.take(flag, meta)
    }

    /// Whether the switch `flag` (a flag that takes no value, like `--minimax`) was given.
    ///
    /// ```
    /// use train::cli::Args;
    /// let mut args = Args::parse("demo", "A demo.", ["--minimax".to_string()]);
    /// assert!(args.switch("--minimax", "use the minimax loss").unwrap());
    /// assert!(!args.switch("--verbose", "say more").unwrap());
    /// let mut args = Args::parse("demo", "A demo.", ["--minimax=yes".to_string()]);
    /// assert!(args.switch("--minimax", "use the minimax loss").is_err());
    /// ```
    pub fn switch(&mut self, flag: &str, help: &str) -> Result<bool, String> {
        self.help_lines.push(help_line(flag, "", help));
        let mut found = self.given.iter_mut().filter(|(f, _, _)| f == flag);
        let Some((_, value, used)) = found.next() else {
            return Ok(false);
        };
        *used = true;
        let value = value.clone();
        if found.next().is_some() {
            return Err(format!("{flag} is given more than once"));
        }
        match value {
            None => Ok(true),
            Some(value) => Err(format!("{flag} takes no value, got '{value}'")),
        }
    }

    fn take<T: FlagValue>(&mut self, flag: &str, meta: &str) -> Result<Option<T>, String>
    where
        T::Err: Display,
    {
        let mut found = self.given.iter_mut().filter(|(f, _, _)| f == flag);
        let Some((_, value, used)) = found.next() else {
            return Ok(None);
        };
        *used = true;
        let value = value.clone();
        if found.next().is_some() {
            return Err(format!("{flag} is given more than once"));
        }
        if self.help {
            return Ok(None);
        }
        let Some(value) = value else {
            return Err(format!("{flag} needs a value: {flag} {meta}"));
        };
        let parsed: T = value
            .parse()
            .map_err(|e| format!("{flag} expects {meta}, got '{value}' ({e})"))?;
        parsed
            .check()
            .map_err(|what| format!("{flag} expects {what}, got '{value}'"))?;
        Ok(Some(parsed))
    }

    /// The help text: usage, description and every flag asked for so far.
    pub fn help_text(&self) -> String {
        format!(
            "{}\n\nUsage: cargo run --release --example {} -- [FLAGS]\n\nFlags:\n{}\n{}",
            self.about,
            self.program,
            self.help_lines.join("\n"),
            help_line("--help", "", "print this help")
        )
    }

    /// Call after asking for every flag. Prints the help and returns `Ok(false)` when
    /// `--help` was given; returns an error naming any unknown flag (with the closest known
    /// one), stray argument or engine variable with a bad value (`LOSSGRAPH_THREADS`, see
    /// [`tape::check_env`]); `Ok(true)` otherwise.
    pub fn finish(self) -> Result<bool, String> {
        if self.help {
            println!("{}", self.help_text());
            return Ok(false);
        }
        tape::check_env()?;
        if let Some(stray) = self.stray.first() {
            return Err(format!(
                "unexpected argument '{stray}' (flags look like --epochs 5; see --help)"
            ));
        }
        if let Some((flag, _, _)) = self.given.iter().find(|(_, _, used)| !used) {
            let known: Vec<&str> = self
                .help_lines
                .iter()
                .filter_map(|l| l.split_whitespace().next())
                .collect();
            let hint = known
                .iter()
                .map(|k| (edit_distance(flag, k), *k))
                .filter(|&(d, _)| d <= 2)
                .min()
                .map(|(_, k)| format!(" (did you mean {k}?)"))
                .unwrap_or_default();
            return Err(format!(
                "unknown flag {flag}{hint}; known flags: {}, --help",
                known.join(", ")
            ));
        }
        Ok(true)
    }
}

/// One aligned line of the help text.
fn help_line(flag: &str, meta: &str, help: &str) -> String {
    format!("  {:<22} {help}", format!("{flag} {meta}"))
}

/// Levenshtein distance, to suggest the flag a typo meant.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// The exit code of an example's `main`: success, or the error printed as `error: ...` on
/// stderr and a failure code (a person reads the message; scripts read the code).
///
/// ```
/// use std::process::ExitCode;
/// assert_eq!(train::cli::exit_code(Ok(())), ExitCode::SUCCESS);
/// assert_eq!(train::cli::exit_code(Err("no data".into())), ExitCode::FAILURE);
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
