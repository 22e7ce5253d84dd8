//! Which instruction set the kernels run on, chosen once at run time.
//!
//! The engine's hot loops (matrix products, elementwise and row kernels, the f32 `exp`/`ln`/
//! `tanh` polynomials) are compiled once per *kernel path*, each with its own target features,
//! and the best path the CPU supports is picked at first use. So a program that depends on
//! lossgraph gets AVX2 and fused multiply-adds with default build flags: no
//! `-C target-cpu=native` is needed, and a binary built on one x86-64 machine runs correctly
//! (and fast) on any other.
//!
//! `LOSSGRAPH_ISA=baseline|avx2` caps the path (a lower path for comparison or debugging; a
//! value above what the CPU has is capped at what it has). [`cpu_features`] says what was
//! detected and which path runs.
//!
//! A function of your own can be compiled the same way with [`kernel!`](crate::kernel):
//!
//! ```
//! use tape::Float;
//!
//! tape::kernel! {
//!     /// `y += a x`, with fused multiply-adds where the CPU has them.
//!     fn axpy<T: Float>(a: T, x: &[T], y: &mut [T]) {
//!         for (y, &x) in y.iter_mut().zip(x) {
//!             *y = a.mul_add_on::<I>(x, *y); // `I` names the path this copy is built for
//!         }
//!     }
//! }
//!
//! let mut y = vec![1.0f32; 1000];
//! axpy(2.0, &vec![3.0; 1000], &mut y);
//! assert!(y.iter().all(|&v| v == 7.0));
//! println!("{}", tape::cpu_features()); // e.g. "kernel path avx2+fma; CPU: sse2 avx avx2 fma"
//! ```

use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};

/// A set of instructions the kernels are compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KernelPath {
    /// The target's baseline, with no run-time detection: SSE2 on x86-64 (separate multiplies
    /// and adds), NEON with fused multiply-adds on aarch64.
    Baseline,
    /// x86-64 with AVX2 and FMA (Intel since Haswell, AMD since Zen): 256-bit vectors and fused
    /// multiply-adds.
    Avx2,
}

impl KernelPath {
    /// Every path, lowest first.
    pub const ALL: [KernelPath; 2] = [KernelPath::Baseline, KernelPath::Avx2];

    /// The name `LOSSGRAPH_ISA` takes and [`cpu_features`] prints.
    pub fn name(self) -> &'static str {
        match self {
            KernelPath::Baseline if cfg!(target_arch = "aarch64") => "neon",
            KernelPath::Baseline => "baseline",
            KernelPath::Avx2 => "avx2+fma",
        }
    }

    /// Whether this CPU can run the path.
    pub fn is_supported(self) -> bool {
        match self {
            KernelPath::Baseline => true,
            #[cfg(target_arch = "x86_64")]
            KernelPath::Avx2 => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(not(target_arch = "x86_64"))]
            KernelPath::Avx2 => false,
        }
    }

    /// The paths this CPU can run, lowest first.
    pub fn supported() -> Vec<KernelPath> {
        KernelPath::ALL
            .into_iter()
            .filter(|p| p.is_supported())
            .collect()
    }

    /// The highest path this CPU supports at or below `self`.
    fn capped_to_cpu(self) -> KernelPath {
        KernelPath::ALL
            .into_iter()
            .rev()
            .find(|p| *p <= self && p.is_supported())
            .unwrap_or(KernelPath::Baseline)
    }

    /// Parses a `LOSSGRAPH_ISA` value. `avx512` is accepted as a cap (this build has no
    /// AVX-512 kernels yet, so it selects AVX2 where the CPU has it).
    pub fn parse(value: &str) -> Result<KernelPath, String> {
        match value.trim().to_ascii_lowercase().as_str() {
            "baseline" | "sse2" | "neon" | "scalar" => Ok(KernelPath::Baseline),
            "avx2" | "avx2+fma" | "avx512" | "native" => Ok(KernelPath::Avx2),
            other => Err(format!(
                "LOSSGRAPH_ISA={other:?} is not a kernel path: use baseline or avx2 \
                 (the best path the CPU has is chosen when the variable is unset)"
            )),
        }
    }
}

impl fmt::Display for KernelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The path in use, encoded as its index in [`KernelPath::ALL`]; `UNSET` until first use.
static PATH: AtomicU8 = AtomicU8::new(UNSET);
const UNSET: u8 = u8::MAX;

/// The path the kernels run on: the best one the CPU supports, capped by `LOSSGRAPH_ISA`, or
/// the one [`set_kernel_path`] chose.
///
/// # Panics
/// On a `LOSSGRAPH_ISA` value that names no path (the message lists the valid ones).
#[inline]
pub fn kernel_path() -> KernelPath {
    match PATH.load(Ordering::Relaxed) {
        UNSET => detect(),
        i => KernelPath::ALL[i as usize],
    }
}

#[cold]
fn detect() -> KernelPath {
    let best = KernelPath::ALL[KernelPath::ALL.len() - 1];
    let cap = match std::env::var("LOSSGRAPH_ISA") {
        Ok(value) => KernelPath::parse(&value).unwrap_or_else(|e| panic!("{e}")),
        Err(_) => best,
    };
    let path = cap.capped_to_cpu();
    // Another thread may have called `set_kernel_path` while this one detected: its explicit
    // choice wins over detection, so only an unset path is filled in.
    match PATH.compare_exchange(UNSET, path as u8, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => path,
        Err(chosen) => KernelPath::ALL[chosen as usize],
    }
}

/// Switches every thread's kernels to `path`, for tests and benchmarks that compare paths.
/// Results computed on different paths differ by rounding only (fused multiply-adds); results
/// on one path do not depend on the thread count.
///
/// Returns an error, and changes nothing, when the CPU lacks the path.
pub fn set_kernel_path(path: KernelPath) -> Result<(), String> {
    if !path.is_supported() {
        return Err(format!(
            "this CPU cannot run the {path} kernel path (supported: {})",
            names(&KernelPath::supported())
        ));
    }
    PATH.store(path as u8, Ordering::Relaxed);
    Ok(())
}

fn names(paths: &[KernelPath]) -> String {
    paths
        .iter()
        .map(|p| p.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the CPU offers and which kernel path runs: print it beside any timing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpuFeatures {
    /// The path the kernels run on.
    pub path: KernelPath,
    /// The paths the CPU supports, lowest first.
    pub supported: Vec<KernelPath>,
    /// The vector extensions detected, in increasing order (x86-64: sse2 ... avx512f).
    pub flags: Vec<&'static str>,
}

/// The detected CPU features and the kernel path in use.
///
/// ```
/// let cpu = tape::cpu_features();
/// assert!(cpu.supported.contains(&cpu.path));
/// println!("{cpu}"); // kernel path avx2+fma; CPU: sse2 sse4.2 avx avx2 fma
/// ```
pub fn cpu_features() -> CpuFeatures {
    CpuFeatures {
        path: kernel_path(),
        supported: KernelPath::supported(),
        flags: detected_flags(),
    }
}

#[cfg(target_arch = "x86_64")]
fn detected_flags() -> Vec<&'static str> {
    use std::arch::is_x86_feature_detected as has;
    let all = [
        ("sse2", has!("sse2")),
        ("sse4.2", has!("sse4.2")),
        ("avx", has!("avx")),
        ("avx2", has!("avx2")),
        ("fma", has!("fma")),
        ("avx512f", has!("avx512f")),
        ("avx512bw", has!("avx512bw")),
        ("avx512dq", has!("avx512dq")),
        ("avx512vl", has!("avx512vl")),
    ];
    all.into_iter().filter(|f| f.1).map(|f| f.0).collect()
}

#[cfg(target_arch = "aarch64")]
fn detected_flags() -> Vec<&'static str> {
    vec!["neon"]
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn detected_flags() -> Vec<&'static str> {
    Vec::new()
}

impl fmt::Display for CpuFeatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "kernel path {}; CPU: {}",
            self.path,
            self.flags.join(" ")
        )
    }
}

/// The instruction set a copy of a kernel is compiled for, as a type: code generic over `I`
/// reads `I::FMA` to fuse its multiply-adds only where that is one instruction (elsewhere a
/// fused multiply-add is a slow library call). See [`Float::mul_add_on`](crate::Float).
pub trait Isa: Copy + Send + Sync + 'static {
    /// The path this type stands for.
    const PATH: KernelPath;
    /// Whether `a * b + c` is one fused instruction on this path.
    const FMA: bool;
}

/// [`KernelPath::Baseline`] as a type: the code outside any kernel is compiled for it too.
#[derive(Clone, Copy, Debug)]
pub struct Baseline;

impl Isa for Baseline {
    const PATH: KernelPath = KernelPath::Baseline;
    // Every aarch64 CPU has fused multiply-adds; x86-64's baseline has none.
    const FMA: bool = cfg!(target_arch = "aarch64");
}

/// [`KernelPath::Avx2`] as a type.
#[derive(Clone, Copy, Debug)]
pub struct Avx2;

impl Isa for Avx2 {
    const PATH: KernelPath = KernelPath::Avx2;
    const FMA: bool = true;
}

/// Defines a function compiled once per kernel path, which runs the copy for
/// [`kernel_path`] when called.
///
/// Inside the body, `I` is the path's [`Isa`] type: call [`Float::mul_add_on`]`::<I>` and the
/// other `_on::<I>` functions (`exp_on`, `ln_on`, ...) to get fused multiply-adds where the path
/// has them. Everything the body calls that should use the path's instructions must be inlined
/// into it (`#[inline(always)]` helpers, closures): a function that is called, not inlined, is
/// compiled for the baseline. Arguments must be plain names; generics are copied as written,
/// and must be inferable from the arguments and the return type.
///
/// See [the module documentation](crate::cpu) for an example.
///
/// [`Float::mul_add_on`]: crate::Float::mul_add_on
#[macro_export]
macro_rules! kernel {
    ($(#[$attr:meta])* $vis:vis fn $name:ident < $($rest:tt)*) => {
        $crate::kernel!(@generics [$(#[$attr])* $vis fn $name] [] $($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis fn $name:ident ($($args:tt)*) $($rest:tt)*) => {
        $crate::kernel!(@function [$(#[$attr])* $vis fn $name] [] ($($args)*) $($rest)*);
    };
    // The generic parameters, gathered one token at a time up to the closing `>`.
    (@generics $head:tt [$($gen:tt)*] > $($rest:tt)*) => {
        $crate::kernel!(@function $head [$($gen)*] $($rest)*);
    };
    (@generics $head:tt [$($gen:tt)*] $token:tt $($rest:tt)*) => {
        $crate::kernel!(@generics $head [$($gen)* $token] $($rest)*);
    };
    (
        @function [$(#[$attr:meta])* $vis:vis fn $name:ident] [$($gen:tt)*]
        ($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block
    ) => {
        $(#[$attr])*
        #[inline]
        $vis fn $name<$($gen)*>($($arg: $ty),*) $(-> $ret)? {
            fn baseline<$($gen)*>($($arg: $ty),*) $(-> $ret)? {
                #[allow(dead_code)]
                type I = $crate::cpu::Baseline;
                $body
            }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            fn avx2<$($gen)*>($($arg: $ty),*) $(-> $ret)? {
                #[allow(dead_code)]
                type I = $crate::cpu::Avx2;
                $body
            }
            match $crate::cpu::kernel_path() {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: `kernel_path` returns `Avx2` only on a CPU with AVX2 and FMA.
                $crate::cpu::KernelPath::Avx2 => unsafe { avx2($($arg),*) },
                _ => baseline($($arg),*),
            }
        }
    };
}
