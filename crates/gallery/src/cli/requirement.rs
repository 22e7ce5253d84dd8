//! The requirement an example states on its result line, which decides its exit code.

/// A requirement an example states on its result line (`>= 0.95 required`) and checks, so
/// that the exit code says whether the run met it.
///
/// ```
/// use gallery::cli::Requirement;
/// let ok = Requirement::at_least("rank correlation", 0.9999, 0.95);
/// assert_eq!(ok.label(), ">= 0.95 required");
/// assert!(ok.check().is_ok());
/// let bad = Requirement::at_most("relative gap", 0.92, 1e-4);
/// assert_eq!(bad.label(), "<= 1e-4 required: NOT MET");
/// assert_eq!(
///     bad.check().unwrap_err(),
///     "relative gap 9.2e-1 is not <= 1e-4: the requirement on the result line is not met"
/// );
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Requirement {
    /// What is measured.
    pub name: String,
    /// The measured value.
    pub value: f64,
    /// The bound it must reach.
    pub bound: f64,
    /// Whether the value must be at least (`true`) or at most (`false`) the bound.
    pub at_least: bool,
}

impl Requirement {
    /// `value >= bound` is required.
    pub fn at_least(name: impl Into<String>, value: f64, bound: f64) -> Self {
        let name = name.into();
        Requirement {
            name,
            value,
            bound,
            at_least: true,
        }
    }

    /// `value <= bound` is required.
    pub fn at_most(name: impl Into<String>, value: f64, bound: f64) -> Self {
        Requirement {
            at_least: false,
            ..Self::at_least(name, value, bound)
        }
    }

    /// Whether the value meets the bound (NaN never does).
    pub fn met(&self) -> bool {
        if self.at_least {
            self.value >= self.bound
        } else {
            self.value <= self.bound
        }
    }

    fn relation(&self) -> String {
        let op = if self.at_least { ">=" } else { "<=" };
        let bound = if self.bound != 0.0 && self.bound.abs() < 1e-2 {
            format!("{:e}", self.bound)
        } else {
            format!("{}", self.bound)
        };
        format!("{op} {bound}")
    }

    /// `>= 0.95 required`, with `: NOT MET` appended when it is not.
    pub fn label(&self) -> String {
        let note = if self.met() { "" } else { ": NOT MET" };
        format!("{} required{note}", self.relation())
    }

    /// `Err` naming every requirement of `all` that is not met, one per line.
    pub fn check_all(all: &[Requirement]) -> Result<(), String> {
        let failed: Vec<String> = all.iter().filter_map(|r| r.check().err()).collect();
        if failed.is_empty() {
            Ok(())
        } else {
            Err(failed.join("\nerror: "))
        }
    }

    /// `Err` naming the value and the bound when the requirement is not met.
    pub fn check(&self) -> Result<(), String> {
        if self.met() {
            return Ok(());
        }
        let whole = self.value.fract() == 0.0 && self.value.abs() < 1e9;
        let value = if whole {
            format!("{}", self.value)
        } else if self.value.abs() < 1e-2 || self.value.abs() >= 1e4 || !self.at_least {
            format!("{:.1e}", self.value)
        } else {
            format!("{:.4}", self.value)
        };
        Err(format!(
            "{} {value} is not {}: the requirement on the result line is not met",
            self.name,
            self.relation()
        ))
    }
}
