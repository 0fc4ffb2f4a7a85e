//! Run-time selection of vector instructions for our own hot loops.
//!
//! The loops we write ourselves (the sparse products, activations, the optimizer,
//! the blog recipe's per-sample updates) are plain Rust that the compiler
//! vectorises, but a portable build only targets the baseline instructions (SSE2 on
//! x86-64, NEON on aarch64). [`run`] compiles such a loop three times
//! (portable, AVX2+FMA, AVX-512) and calls the one [`level`] names.
//!
//! [`level`] is the best [`Level`] the processor supports, unless the environment
//! variable `DIGITNET_SIMD` (`avx512`, `avx2` or `portable`) asks for a lower one:
//! it is read once, here, and every dispatch goes through it. A test or benchmark
//! runs a closure at an explicit level with [`with_level`].
//!
//! Results are bit-for-bit the same on every path: Rust never fuses or reorders
//! floating-point operations on its own, whatever the width, and `f32::mul_add` is
//! one correctly rounded operation everywhere (the FMA instruction, or libm's `fmaf`
//! where the portable x86-64 build has no FMA instruction to use).
//!
//! The dense GEMM (`matrixmultiply`) picks its own kernels at run time and has no
//! run-time switch: its AVX-512 kernel is left out only by building with
//! `MMTEST_FEATURE=avx2,fma` in the environment (see [`gemm_kernel`]).

use std::cell::Cell;
use std::sync::OnceLock;

use serde::Serialize;

/// The environment variable that restricts the vector instructions.
pub const ENV: &str = "DIGITNET_SIMD";

/// A set of vector instructions our kernels are compiled for, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Level {
    /// The target's baseline: SSE2 on x86-64 (no FMA instruction), NEON on aarch64.
    Portable,
    /// AVX2 and FMA: 16 registers of 8 floats.
    Avx2,
    /// AVX-512 (F, VL, BW, DQ): 32 registers of 16 floats.
    Avx512,
}

impl Level {
    /// Every level, lowest first.
    pub const ALL: [Level; 3] = [Level::Portable, Level::Avx2, Level::Avx512];

    /// The name people know it by: "AVX-512", "AVX2" or "portable".
    pub fn name(self) -> &'static str {
        match self {
            Level::Portable => "portable",
            Level::Avx2 => "AVX2",
            Level::Avx512 => "AVX-512",
        }
    }

    /// The value of `DIGITNET_SIMD` that asks for it.
    pub fn setting(self) -> &'static str {
        match self {
            Level::Portable => "portable",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
        }
    }

    /// f32 values per vector register.
    pub fn lanes(self) -> usize {
        match self {
            Level::Portable => 4,
            Level::Avx2 => 8,
            Level::Avx512 => 16,
        }
    }

    /// Whether this processor can run the level's code.
    pub fn supported(self) -> bool {
        match self {
            Level::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => {
                Level::Avx2.supported()
                    && std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512vl")
                    && std::arch::is_x86_feature_detected!("avx512bw")
                    && std::arch::is_x86_feature_detected!("avx512dq")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The best level this processor supports.
    pub fn best() -> Level {
        Level::ALL
            .into_iter()
            .rev()
            .find(|l| l.supported())
            .unwrap_or(Level::Portable)
    }

    /// The level a value of `DIGITNET_SIMD` asks for (`None`: unset, the best);
    /// an unknown name, or a level this processor lacks, is an error naming both.
    pub fn from_setting(value: Option<&str>) -> crate::Result<Level> {
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(Level::best());
        };
        let level = Level::ALL
            .into_iter()
            .find(|l| l.setting().eq_ignore_ascii_case(value))
            .ok_or_else(|| {
                crate::Error::config(format!(
                    "invalid {ENV}={value}, which should be avx512, avx2 or portable"
                ))
            })?;
        if !level.supported() {
            return Err(crate::Error::config(format!(
                "{ENV}={value} asks for {} instructions, which this processor lacks \
                 (its best is {}: {ENV}={})",
                level.name(),
                Level::best().name(),
                Level::best().setting()
            )));
        }
        Ok(level)
    }
}

/// The level `DIGITNET_SIMD` asks for, read once; an error if its value is unknown
/// or not supported here (the command line reports it before any work starts).
pub fn configured() -> crate::Result<Level> {
    static CHOSEN: OnceLock<Result<Level, String>> = OnceLock::new();
    CHOSEN
        .get_or_init(|| {
            let value = std::env::var(ENV).ok();
            Level::from_setting(value.as_deref()).map_err(|e| e.to_string())
        })
        .clone()
        .map_err(crate::Error::Config)
}

thread_local! {
    /// The level [`with_level`] imposes on this thread.
    static FORCED: Cell<Option<Level>> = const { Cell::new(None) };
}

/// The level our kernels run at on this thread: the one [`with_level`] imposes, else
/// [`configured`] (the best supported one if `DIGITNET_SIMD` is invalid; the command
/// line refuses that before). Kernels that start threads pass it on to them.
#[inline]
pub fn level() -> Level {
    FORCED
        .get()
        .unwrap_or_else(|| configured().unwrap_or_else(|_| Level::best()))
}

/// Runs `f` with this thread's kernels at `level`.
///
/// # Panics
/// If the processor does not support `level` (its code could not run).
pub fn with_level<R>(level: Level, f: impl FnOnce() -> R) -> R {
    assert!(level.supported(), "{} is not supported here", level.name());
    let before = FORCED.replace(Some(level));
    let result = f();
    FORCED.set(before);
    result
}

/// The levels this processor supports, lowest first: what tests compare.
pub fn supported_levels() -> Vec<Level> {
    Level::ALL.into_iter().filter(|l| l.supported()).collect()
}

/// The instructions `matrixmultiply`'s single-precision kernel uses here: the
/// best of what the processor has and what the build allowed. The crate selects
/// it for itself at every product, ignoring [`level`]; the only ways to keep it
/// off AVX-512 are compile-time ones: `MMTEST_FEATURE=avx2,fma` in the build's
/// environment (its testing knob, read with `option_env!`) or building it without
/// its default `avx512` feature.
pub fn gemm_kernel() -> Level {
    let allowed = |feature: &str| match option_env!("MMTEST_FEATURE") {
        None | Some("") => true,
        Some(list) => list.split(',').any(|f| f.trim() == feature),
    };
    #[cfg(target_arch = "x86_64")]
    {
        if allowed("avx512f") && std::arch::is_x86_feature_detected!("avx512f") {
            return Level::Avx512;
        }
        if allowed("fma")
            && allowed("avx2")
            && std::arch::is_x86_feature_detected!("fma")
            && std::arch::is_x86_feature_detected!("avx2")
        {
            return Level::Avx2;
        }
    }
    let _ = allowed;
    Level::Portable
}

/// Runs `kernel` compiled for the calling thread's [`level`].
///
/// Write the kernel as a closure marked `#[inline(always)]` (an attribute on a
/// closure passed to a call is stable Rust), and mark the helpers it calls the same
/// way: the closure and its helpers are then compiled into each of the copies below,
/// with the vector instructions of that copy's level. A closure without the mark is
/// compiled on its own, for the baseline only.
#[inline(always)]
pub(crate) fn run<R>(kernel: impl FnOnce() -> R) -> R {
    match level() {
        // SAFETY: `level` names only levels the processor supports.
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 => unsafe { avx512(kernel) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => unsafe { avx2(kernel) },
        _ => kernel(),
    }
}

/// [`run`]'s AVX-512 copy of a kernel.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
fn avx512<R>(kernel: impl FnOnce() -> R) -> R {
    kernel()
}

/// [`run`]'s AVX2 copy of a kernel.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn avx2<R>(kernel: impl FnOnce() -> R) -> R {
    kernel()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_name_the_levels_and_bad_ones_are_refused_with_the_choices() {
        assert_eq!(Level::from_setting(None).unwrap(), Level::best());
        assert_eq!(Level::from_setting(Some("")).unwrap(), Level::best());
        assert_eq!(
            Level::from_setting(Some("Portable")).unwrap(),
            Level::Portable
        );
        let err = Level::from_setting(Some("sse9")).unwrap_err().to_string();
        assert!(err.contains("DIGITNET_SIMD=sse9") && err.contains("avx512, avx2 or portable"));
        for level in Level::ALL {
            let got = Level::from_setting(Some(level.setting()));
            assert_eq!(got.is_ok(), level.supported(), "{level:?}");
            if let Err(e) = got {
                assert!(e.to_string().contains("lacks"), "{e}");
            }
        }
    }

    #[test]
    fn with_level_imposes_a_level_on_this_thread_only_and_restores_it() {
        let outer = level();
        for l in supported_levels() {
            with_level(l, || {
                assert_eq!(level(), l);
                let other = std::thread::spawn(level).join().unwrap();
                assert_eq!(other, configured().unwrap_or_else(|_| Level::best()));
            });
            assert_eq!(level(), outer);
        }
    }
}
