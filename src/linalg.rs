//! The few matrix kernels the network needs, behind one small API so the GEMM
//! backend can change without touching the network code.
//!
//! Matrices are contiguous row-major `f32`. Transposes are expressed through strides
//! (never copied), which `matrixmultiply` supports natively.

/// Every core this process may run on: the default number of threads.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
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
