//! Run-time selection of vector instructions for our own hot loops.
//!
//! The GEMM crate picks its kernels at run time; the loops we write ourselves (the
//! blog recipe's per-sample updates, activations) are plain Rust that the compiler
//! vectorises, but a portable build only targets SSE2. [`dispatch!`] compiles such a
//! loop three times (baseline, AVX2+FMA, AVX-512) and calls the best one the
//! processor supports. Results are bit-for-bit the same on every path: Rust never
//! fuses or reorders floating-point operations on its own, whatever the width.

/// Runs `$body` (an expression using the given variables) compiled for the best
/// instruction set available. Helpers it calls must be `#[inline(always)]` to be
/// compiled along with it.
macro_rules! dispatch {
    (fn($($arg:ident : $ty:ty),* $(,)?) -> $ret:ty $body:block) => {{
        #[inline(always)]
        fn generic($($arg: $ty),*) -> $ret $body
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
        fn avx512($($arg: $ty),*) -> $ret { generic($($arg),*) }
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        fn avx2($($arg: $ty),*) -> $ret { generic($($arg),*) }
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512vl")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512dq")
            {
                // SAFETY: the features it was compiled for are present.
                return unsafe { avx512($($arg),*) };
            }
            if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                // SAFETY: as above.
                return unsafe { avx2($($arg),*) };
            }
        }
        generic($($arg),*)
    }};
}

pub(crate) use dispatch;
