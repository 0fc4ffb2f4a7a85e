//! The blog step's one pass over the touched rows of `U`: this sample's update and
//! the next sample's forward sum, fused so each weight is loaded and stored once.
//!
//! For the `k`-th index `i` of `rows` (in order), with `a_i = -lr z[i]`:
//!
//! ```text
//! U_i  = a_i g + U_i                      (one rounding: a fused multiply-add)
//! acc  = next[i] U_i + acc                acc = even if k is even, else odd
//! h    = even + odd                       after the last row
//! ```
//!
//! The sum is split over even and odd rows so that each column has two independent
//! chains of multiply-adds instead of one (a chain waits 4 cycles per row; two
//! vectors of chains in flight keep the FMA units busy). The AVX-512 kernel and the
//! portable loop do exactly these operations in this order, so they give the same bits.

/// Runs the pass (see the module docs) on `u` (`z.len() x width`, row-major) and
/// writes `h` (`width`); `odd` is scratch of `width` values. With `width` a
/// multiple of 16 (rows padded with zeros, as [`super::padded`] keeps `U`) the
/// AVX-512 kernel runs, on whole vectors only.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn sweep(
    u: &mut [f32],
    width: usize,
    rows: &[u32],
    (z, next, lr): (&[f32], &[f32], f32),
    g: &[f32],
    h: &mut [f32],
    odd: &mut [f32],
) {
    let inputs = z.len();
    assert!(next.len() == inputs && u.len() == inputs * width);
    assert!(g.len() >= width && h.len() >= width && odd.len() >= width);
    assert!(rows.iter().all(|&i| (i as usize) < inputs));
    #[cfg(target_arch = "x86_64")]
    if width % 16 == 0 && std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the feature is present, and every index the kernel forms is in
        // bounds: rows below `inputs` (checked above), columns below `width`.
        unsafe { avx512::sweep(u, width, rows, (z, next, lr), g, h) };
        return;
    }
    portable(u, width, rows, (z, next, lr), g, h, odd);
}

/// The pass as plain loops (the reference the AVX-512 kernel must match).
#[inline(always)]
fn portable(
    u: &mut [f32],
    width: usize,
    rows: &[u32],
    (z, next, lr): (&[f32], &[f32], f32),
    g: &[f32],
    h: &mut [f32],
    odd: &mut [f32],
) {
    let (h, odd, g) = (&mut h[..width], &mut odd[..width], &g[..width]);
    h.fill(0.0);
    odd.fill(0.0);
    for (k, &i) in rows.iter().enumerate() {
        let i = i as usize;
        let (a, n) = (-lr * z[i], next[i]);
        let acc = if k % 2 == 0 { &mut *h } else { &mut *odd };
        let row = &mut u[i * width..(i + 1) * width];
        for ((w, &g), acc) in row.iter_mut().zip(g).zip(acc.iter_mut()) {
            *w = a.mul_add(g, *w);
            *acc = n.mul_add(*w, *acc);
        }
    }
    for (h, &o) in h.iter_mut().zip(odd.iter()) {
        *h += o;
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::{
        __m512, _mm512_add_ps, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_set1_ps, _mm512_setzero_ps,
        _mm512_storeu_ps,
    };

    /// Lanes of a vector.
    const L: usize = 16;

    /// The pass over groups of up to 64 columns (four vectors), each group swept
    /// over all the rows with its `g` and sums held in registers.
    ///
    /// # Safety
    /// AVX-512F must be present; `width` a multiple of 16; `rows` below `z.len()`,
    /// `u` of `z.len() x width`, `g` and `h` of at least `width`.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn sweep(
        u: &mut [f32],
        width: usize,
        rows: &[u32],
        zs: (&[f32], &[f32], f32),
        g: &[f32],
        h: &mut [f32],
    ) {
        let mut c = 0;
        while c < width {
            let vectors = ((width - c) / L).min(4);
            // SAFETY: columns c .. c + 16 vectors are within `width`; the rest as
            // the caller promised.
            unsafe {
                match vectors {
                    4 => group::<4>(u, width, c, rows, zs, g, h),
                    3 => group::<3>(u, width, c, rows, zs, g, h),
                    2 => group::<2>(u, width, c, rows, zs, g, h),
                    _ => group::<1>(u, width, c, rows, zs, g, h),
                }
            }
            c += vectors * L;
        }
    }

    /// Columns `c .. c + 16 V`.
    ///
    /// # Safety
    /// As [`sweep`], and `c + 16 V <= width`.
    #[target_feature(enable = "avx512f")]
    unsafe fn group<const V: usize>(
        u: &mut [f32],
        width: usize,
        c: usize,
        rows: &[u32],
        zs: (&[f32], &[f32], f32),
        g: &[f32],
        h: &mut [f32],
    ) {
        let mut gv = [_mm512_setzero_ps(); V];
        for (k, gv) in gv.iter_mut().enumerate() {
            // SAFETY: c + 16 V <= width <= g.len().
            *gv = unsafe { _mm512_loadu_ps(g.as_ptr().add(c + k * L)) };
        }
        let (mut even, mut odd) = ([_mm512_setzero_ps(); V], [_mm512_setzero_ps(); V]);
        let mut pairs = rows.chunks_exact(2);
        // SAFETY (all three calls): as this function's, rows below z.len().
        for pair in &mut pairs {
            unsafe {
                row::<V>(u, width, c, pair[0] as usize, zs, &gv, &mut even);
                row::<V>(u, width, c, pair[1] as usize, zs, &gv, &mut odd);
            }
        }
        if let [last] = pairs.remainder() {
            unsafe { row::<V>(u, width, c, *last as usize, zs, &gv, &mut even) };
        }
        for k in 0..V {
            let total = _mm512_add_ps(even[k], odd[k]);
            // SAFETY: c + 16 V <= width <= h.len().
            unsafe { _mm512_storeu_ps(h.as_mut_ptr().add(c + k * L), total) };
        }
    }

    /// One row `i` of the group: update its weights, add them times `next[i]` to `acc`.
    ///
    /// # Safety
    /// As [`group`], and `i < z.len()`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn row<const V: usize>(
        u: &mut [f32],
        width: usize,
        c: usize,
        i: usize,
        (z, next, lr): (&[f32], &[f32], f32),
        g: &[__m512; V],
        acc: &mut [__m512; V],
    ) {
        let a = _mm512_set1_ps(-lr * z[i]);
        let x = _mm512_set1_ps(next[i]);
        for k in 0..V {
            // SAFETY: row i < z.len() and columns < width: inside `u`.
            unsafe {
                let p = u.as_mut_ptr().add(i * width + c + k * L);
                let w = _mm512_fmadd_ps(a, g[k], _mm512_loadu_ps(p));
                _mm512_storeu_ps(p, w);
                acc[k] = _mm512_fmadd_ps(x, w, acc[k]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows 0..inputs of a `width`-wide `U`, with inputs and coefficients that vary.
    fn case(inputs: usize, width: usize) -> (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>) {
        let u = (0..inputs * width)
            .map(|i| (i as f32 * 0.37).sin())
            .collect();
        let z = (0..inputs).map(|i| (i as f32 * 0.7).cos()).collect();
        let next = (0..inputs).map(|i| (i as f32 * 1.3).sin()).collect();
        let g = (0..width).map(|j| (j as f32 * 0.11).cos()).collect();
        (u, z, next, g)
    }

    #[test]
    fn the_portable_pass_by_hand() {
        // Two rows of one column: U = [1, 2], g = 10, lr = 0.5, z = [1, 0], next = [3, 4].
        // Row 0: a = -0.5, U0 = -5 + 1 = -4, even = 3 * -4 = -12.
        // Row 1: a = -0 (no change), U1 = 2, odd = 4 * 2 = 8. h = -12 + 8 = -4.
        let (mut u, mut h, mut odd) = (vec![1.0, 2.0], [0.0], [0.0]);
        portable(
            &mut u,
            1,
            &[0, 1],
            (&[1.0, 0.0], &[3.0, 4.0], 0.5),
            &[10.0],
            &mut h,
            &mut odd,
        );
        assert_eq!((u, h), (vec![-4.0, 2.0], [-4.0]));
    }

    #[test]
    fn every_path_gives_the_bits_of_the_portable_loop() {
        // Widths with full groups of 64 and smaller tails (8: the portable loop); an odd
        // and an even number of rows, skipping some.
        for width in [8, 16, 48, 64, 96, 112, 208] {
            for rows in [vec![0u32, 2, 3, 5, 6], vec![1, 2, 4, 6]] {
                let (u, z, next, g) = case(7, width);
                let (mut a, mut ha) = (u.clone(), vec![7.0; width]);
                portable(
                    &mut a,
                    width,
                    &rows,
                    (&z, &next, 0.1),
                    &g,
                    &mut ha,
                    &mut vec![0.0; width],
                );
                let (mut b, mut hb) = (u.clone(), vec![-3.0; width]);
                sweep(
                    &mut b,
                    width,
                    &rows,
                    (&z, &next, 0.1),
                    &g,
                    &mut hb,
                    &mut vec![0.0; width],
                );
                assert_eq!((&a, &ha), (&b, &hb), "width {width}, rows {rows:?}");
                for i in (0..7).filter(|i| !rows.contains(i)) {
                    let row = |w: &[f32]| w[i as usize * width..][..width].to_vec();
                    assert_eq!(row(&a), row(&u), "row {i} is not in {rows:?} but changed");
                }
                assert_ne!(a, u);
            }
        }
    }

    #[test]
    fn the_pass_is_an_update_then_a_product() {
        let (width, inputs) = (112, 6);
        let (u, z, next, g) = case(inputs, width);
        let rows: Vec<u32> = (0..inputs as u32).collect();
        let (mut fused, mut h) = (u.clone(), vec![0.0; width]);
        sweep(
            &mut fused,
            width,
            &rows,
            (&z, &next, 0.1),
            &g,
            &mut h,
            &mut vec![0.0; width],
        );
        for j in 0..width {
            let mut want = 0.0f64;
            for i in 0..inputs {
                let w = f64::from(u[i * width + j]) - 0.1 * f64::from(z[i]) * f64::from(g[j]);
                assert!((f64::from(fused[i * width + j]) - w).abs() < 1e-6);
                want += f64::from(next[i]) * w;
            }
            assert!((f64::from(h[j]) - want).abs() < 1e-5, "column {j}");
        }
    }
}
