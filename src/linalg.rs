//! The few matrix kernels the network needs, behind one small API so the GEMM
//! backend can change without touching the network code.
//!
//! Matrices are contiguous row-major `f32`. Transposes are expressed through strides
//! (never copied), which `matrixmultiply` supports natively.

mod masks;
mod row_groups;
mod sparse;

pub use sparse::{
    GROUPED_FROM_ROWS, SPARSE_BELOW, SparseRows, sparse_times_dense, sparse_transpose_times_dense,
};

use std::sync::atomic::{AtomicUsize, Ordering};

/// Every core this process may run on: the default number of threads.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The count given to [`set_threads`]; 0 until then.
static CONFIGURED_THREADS: AtomicUsize = AtomicUsize::new(0);

/// The threads a product uses unless it is given a count (a network workspace's
/// default): the count given to [`set_threads`], else `MATMUL_NUM_THREADS` when it is
/// set (the GEMM crate obeys it too), else every core.
pub fn threads() -> usize {
    match CONFIGURED_THREADS.load(Ordering::Relaxed) {
        0 => std::env::var("MATMUL_NUM_THREADS")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(default_threads),
        n => n,
    }
}

/// Sets the number of threads of every product in this process: the GEMM crate's and
/// the default of our own kernels ([`threads`]). Results are the same bits for any
/// number.
///
/// `matrixmultiply` has no setting of its own: it reads `MATMUL_NUM_THREADS` from the
/// environment once, at its first product. This is the one place that writes it. The
/// library cannot write it by itself before its first product, since by then other
/// threads (a server's, a test harness's) may be reading the environment.
///
/// # Safety
///
/// It writes the process environment, which is sound only while no other thread reads
/// or writes it: call it at the start of `main`, before any thread starts, and before
/// the first product (a later count reaches our kernels but not the GEMM crate's).
pub unsafe fn set_threads(n: usize) {
    let n = n.max(1);
    CONFIGURED_THREADS.store(n, Ordering::Relaxed);
    // SAFETY: the caller guarantees that no other thread touches the environment.
    unsafe { std::env::set_var("MATMUL_NUM_THREADS", n.to_string()) };
}

/// Whether an operand is used as stored or transposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Use the matrix as stored.
    N,
    /// Use its transpose.
    T,
}

/// `C = A' B' + beta C` where `A'` is `m x k`, `B'` is `k x n` and `C` is `m x n`,
/// `A'` being `A` or its transpose as `op_a` says (likewise `B'`).
///
/// `a` holds `A` row-major: `m x k` for `Op::N`, `k x m` for `Op::T`.
#[allow(clippy::too_many_arguments)]
pub fn gemm(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    op_a: Op,
    b: &[f32],
    op_b: Op,
    beta: f32,
    c: &mut [f32],
) {
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n);
    if m == 0 || n == 0 {
        return;
    }
    if m == 1 {
        return vector_times_matrix(k, n, &a[..k], b, op_b, beta, &mut c[..n]);
    }
    let (rsa, csa) = strides(op_a, m, k);
    let (rsb, csb) = strides(op_b, k, n);
    // SAFETY: the asserts above guarantee every index the kernel touches
    // (row < rows, col < cols under the given strides) lies inside the slices.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            rsa,
            csa,
            b.as_ptr(),
            rsb,
            csb,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// `c = a B' + beta c` for one row `a` (1 x k): a single image's forward pass.
///
/// The GEMM crate would pack all of `B` and wake its threads for one row; this
/// reads `B` once, in storage order, on one thread (the work is bound by reading
/// `B`, not by arithmetic), and skips the rows of `B` that a zero in `a` selects
/// (most of an image is background). Each output is a chain of fused
/// multiply-adds over `k` in order: the same bits whatever the vector width.
#[allow(clippy::too_many_arguments)]
fn vector_times_matrix(
    k: usize,
    n: usize,
    a: &[f32],
    b: &[f32],
    op_b: Op,
    beta: f32,
    c: &mut [f32],
) {
    crate::simd::run(
        #[inline(always)]
        || {
            if beta == 0.0 {
                c.fill(0.0);
            } else {
                for v in c.iter_mut() {
                    *v *= beta;
                }
            }
            match op_b {
                // B is k x n and nothing to add to: c = sum of a_p * (row p of B) over the
                // nonzero a_p, in blocks of columns summed in registers.
                Op::N if beta == 0.0 => {
                    let mut entries = Vec::new();
                    sparse::list_nonzero(a, &mut entries);
                    sparse::combine_rows(&entries, b, n, c);
                }
                // B is k x n: c += a_p * (row p of B), row after row.
                Op::N => {
                    for (&ap, row) in a.iter().zip(b.chunks_exact(n).take(k)) {
                        for (v, &w) in c.iter_mut().zip(row) {
                            *v = ap.mul_add(w, *v);
                        }
                    }
                }
                // B is n x k: c_j += a . (row j of B), summed over 16 lanes.
                Op::T => {
                    for (v, row) in c.iter_mut().zip(b.chunks_exact(k)) {
                        *v += dot16(a, row);
                    }
                }
            }
        },
    )
}

/// `x . y` in sixteen independent lanes (so it vectorises), then summed in order.
#[inline(always)]
fn dot16(x: &[f32], y: &[f32]) -> f32 {
    let mut acc = [0.0f32; 16];
    let (xc, yc) = (x.chunks_exact(16), y.chunks_exact(16));
    let mut tail = 0.0f32;
    for (&p, &q) in xc.remainder().iter().zip(yc.remainder()) {
        tail = p.mul_add(q, tail);
    }
    for (p, q) in xc.zip(yc) {
        for l in 0..16 {
            acc[l] = p[l].mul_add(q[l], acc[l]);
        }
    }
    let mut sum = 0.0;
    for v in acc {
        sum += v;
    }
    sum + tail
}

/// Row and column strides of a logical `rows x cols` operand stored as `op` says.
fn strides(op: Op, rows: usize, cols: usize) -> (isize, isize) {
    match op {
        Op::N => (cols as isize, 1),
        Op::T => (1, rows as isize),
    }
}

/// Adds `row` to every row of the `rows x row.len()` matrix `m`.
pub fn add_row(m: &mut [f32], row: &[f32]) {
    for r in m.chunks_exact_mut(row.len()) {
        for (x, &b) in r.iter_mut().zip(row) {
            *x += b;
        }
    }
}

/// Column sums of the `rows x out.len()` matrix `m`, written to `out`.
pub fn column_sums(m: &[f32], out: &mut [f32]) {
    out.fill(0.0);
    for r in m.chunks_exact(out.len()) {
        for (o, &x) in out.iter_mut().zip(r) {
            *o += x;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook triple loop, for comparison.
    fn naive(m: usize, k: usize, n: usize, a: &[f32], ta: bool, b: &[f32], tb: bool) -> Vec<f32> {
        let at = |i: usize, p: usize| if ta { a[p * m + i] } else { a[i * k + p] };
        let bt = |p: usize, j: usize| if tb { b[j * k + p] } else { b[p * n + j] };
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|p| at(i, p) * bt(p, j)).sum();
            }
        }
        c
    }

    #[test]
    fn gemm_matches_the_triple_loop_for_every_transpose() {
        let (m, k, n) = (3, 4, 5);
        let a: Vec<f32> = (0..m * k).map(|i| i as f32 * 0.5 - 2.0).collect();
        let b: Vec<f32> = (0..k * n).map(|i| 1.0 - i as f32 * 0.25).collect();
        for (oa, ob) in [
            (Op::N, Op::N),
            (Op::T, Op::N),
            (Op::N, Op::T),
            (Op::T, Op::T),
        ] {
            let mut c = vec![1.0; m * n];
            gemm(m, k, n, &a, oa, &b, ob, 0.0, &mut c);
            assert_eq!(c, naive(m, k, n, &a, oa == Op::T, &b, ob == Op::T));
        }
    }

    #[test]
    fn one_row_takes_the_vector_path_and_agrees_with_the_triple_loop() {
        let (k, n) = (37, 21); // not multiples of the vector widths
        let a: Vec<f32> = (0..k).map(|i| (i as f32 * 0.3).sin()).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.7).cos()).collect();
        for ob in [Op::N, Op::T] {
            let mut c = vec![f32::NAN; n]; // beta 0 must overwrite, not scale, old values
            gemm(1, k, n, &a, Op::N, &b, ob, 0.0, &mut c);
            let want = naive(1, k, n, &a, false, &b, ob == Op::T);
            for (x, y) in c.iter().zip(&want) {
                assert!((x - y).abs() < 1e-5, "{ob:?}: {x} vs {y}");
            }
            let mut c2 = vec![1.0; n];
            gemm(1, k, n, &a, Op::T, &b, ob, 2.0, &mut c2);
            for (x, y) in c2.iter().zip(&want) {
                assert!((x - (y + 2.0)).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn one_row_gives_the_same_bits_at_every_vector_level() {
        let (k, n) = (150, 77);
        let a: Vec<f32> = (0..k)
            .map(|i| if i % 3 == 0 { 0.0 } else { (i as f32).sin() })
            .collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.7).cos()).collect();
        for (ob, beta) in [(Op::N, 0.0), (Op::N, 0.5), (Op::T, 0.5)] {
            let at = |level| {
                let mut c: Vec<f32> = (0..n).map(|j| j as f32).collect();
                crate::simd::with_level(level, || gemm(1, k, n, &a, Op::N, &b, ob, beta, &mut c));
                c
            };
            let levels = crate::simd::supported_levels();
            let first = at(levels[0]);
            for &level in &levels[1..] {
                assert_eq!(at(level), first, "{ob:?}, beta {beta}, {level:?}");
            }
        }
    }

    #[test]
    fn gemm_accumulates_with_beta() {
        // [1 2] [3; 4] = 11, plus 2 * 5
        let mut c = [5.0];
        gemm(1, 2, 1, &[1.0, 2.0], Op::N, &[3.0, 4.0], Op::N, 2.0, &mut c);
        assert_eq!(c, [21.0]);
    }

    #[test]
    fn row_helpers() {
        let mut m = [1.0, 2.0, 3.0, 4.0];
        add_row(&mut m, &[10.0, 20.0]);
        assert_eq!(m, [11.0, 22.0, 13.0, 24.0]);
        let mut s = [0.0; 2];
        column_sums(&m, &mut s);
        assert_eq!(s, [24.0, 46.0]);
    }
}
