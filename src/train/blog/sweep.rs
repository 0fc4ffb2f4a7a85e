//! The blog step's one pass over the touched rows of `U`: this sample's update and
//! the next sample's forward sum, fused so each weight is loaded and stored once.
//!
//! The rows come in three lists ([`Touched`]): rows nonzero in both samples, rows
//! nonzero in this sample only, rows nonzero in the next one only. With
//! `a_i = -lr z[i]`:
//!
//! ```text
//! both, k-th:       U_i = a_i g + U_i;  acc = next[i] U_i + acc   (acc: even k -> even, odd k -> odd)
//! this one only:    U_i = a_i g + U_i                              (no sum: next[i] is 0)
//! next one only, k-th:                  acc = next[i] U_i + acc   (no update: a_i is 0)
//! h = even + odd
//! ```
//!
//! (Fused multiply-adds: one rounding each.) Skipping the products by zero changes
//! no value and saves a store per vector of the rows only read. The sum is split
//! over even and odd rows so each column has two independent chains of
//! multiply-adds instead of one (a chain waits 4 cycles per row). The AVX-512 kernel
//! and the portable loop do exactly these operations in this order: the same bits.

/// The rows of `U` one step touches, by which of the two samples is nonzero there.
#[derive(Clone, Copy, Debug)]
pub struct Touched<'a> {
    pub both: &'a [u32],
    pub now: &'a [u32],
    pub next: &'a [u32],
}

/// Runs the pass (see the module docs) on `u` (`z.len() x width`, row-major) and
/// writes `h` (`width`); `odd` is scratch of `width` values. With `width` a
/// multiple of 16 (rows padded with zeros, as [`super::padded`] keeps `U`) the
/// AVX-512 kernel runs, on whole vectors only.
#[inline(always)]
pub fn sweep(
    u: &mut [f32],
    width: usize,
    rows: Touched<'_>,
    (z, next, lr): (&[f32], &[f32], f32),
    g: &[f32],
    (h, odd): (&mut [f32], &mut [f32]),
) {
    let inputs = z.len();
    assert!(next.len() == inputs && u.len() == inputs * width);
    assert!(g.len() >= width && h.len() >= width && odd.len() >= width);
    #[cfg(target_arch = "x86_64")]
    if width.is_multiple_of(16) && std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the feature is present, and every index the kernel forms is in
        // bounds: it reads `z[i]` or `next[i]` (bounds-checked, both `inputs` long)
        // before it touches row `i` of `u` (`inputs` rows), and columns stay below
        // `width`.
        unsafe { avx512::sweep(u, width, rows, (z, next, lr), g, h) };
        return;
    }
    portable(u, width, rows, (z, next, lr), g, (h, odd));
}

/// The pass as plain loops (the reference the AVX-512 kernel must match).
#[inline(always)]
fn portable(
    u: &mut [f32],
    width: usize,
    rows: Touched<'_>,
    (z, next, lr): (&[f32], &[f32], f32),
    g: &[f32],
    (h, odd): (&mut [f32], &mut [f32]),
) {
    let (h, odd, g) = (&mut h[..width], &mut odd[..width], &g[..width]);
    h.fill(0.0);
    odd.fill(0.0);
    for (k, &i) in rows.both.iter().enumerate() {
        let i = i as usize;
        let (a, n) = (-lr * z[i], next[i]);
        let acc = if k % 2 == 0 { &mut *h } else { &mut *odd };
        let row = &mut u[i * width..(i + 1) * width];
        for ((w, &g), acc) in row.iter_mut().zip(g).zip(acc.iter_mut()) {
            *w = a.mul_add(g, *w);
            *acc = n.mul_add(*w, *acc);
        }
    }
    for &i in rows.now {
        let i = i as usize;
        let a = -lr * z[i];
        for (w, &g) in u[i * width..(i + 1) * width].iter_mut().zip(g) {
            *w = a.mul_add(g, *w);
        }
    }
    for (k, &i) in rows.next.iter().enumerate() {
        let i = i as usize;
        let n = next[i];
        let acc = if k % 2 == 0 { &mut *h } else { &mut *odd };
        for (&w, acc) in u[i * width..(i + 1) * width].iter().zip(acc.iter_mut()) {
            *acc = n.mul_add(w, *acc);
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

    use super::Touched;

    /// Lanes of a vector.
    const L: usize = 16;

    /// The pass over groups of up to 64 columns (four vectors), each group swept
    /// over all the rows with its `g` and sums held in registers.
    ///
    /// # Safety
    /// AVX-512F must be present; `width` a multiple of 16; `u` of `z.len() x width`
    /// and `next` of `z.len()`; `g` and `h` of at least `width`. (A row index out
    /// of range panics: each is used to index `z` or `next` before `u`.)
    #[target_feature(enable = "avx512f")]
    pub unsafe fn sweep(
        u: &mut [f32],
        width: usize,
        rows: Touched<'_>,
        zs: (&[f32], &[f32], f32),
        g: &[f32],
        h: &mut [f32],
    ) {
        let mut c = 0;
        while c < width {
            let vectors = ((width - c) / L).min(4);
            let cols = Cols {
                u: u.as_mut_ptr(),
                width,
                c,
            };
            // SAFETY: columns c .. c + 16 vectors are within `width`; the rest as
            // the caller promised.
            unsafe {
                match vectors {
                    4 => group::<4>(cols, rows, zs, g, h),
                    3 => group::<3>(cols, rows, zs, g, h),
                    2 => group::<2>(cols, rows, zs, g, h),
                    _ => group::<1>(cols, rows, zs, g, h),
                }
            }
            c += vectors * L;
        }
    }

    /// Where a group's columns start: `u` (rows of `width`), column `c`.
    #[derive(Clone, Copy)]
    struct Cols {
        u: *mut f32,
        width: usize,
        c: usize,
    }

    impl Cols {
        /// The group's first float in row `i`.
        ///
        /// # Safety
        /// `i` is a row of `u`.
        unsafe fn at(self, i: u32) -> *mut f32 {
            // SAFETY: the caller's row, and c < width.
            unsafe { self.u.add(i as usize * self.width + self.c) }
        }
    }

    /// Columns `c .. c + 16 V` over the three lists of rows.
    ///
    /// # Safety
    /// As [`sweep`], and `c + 16 V <= width`.
    #[target_feature(enable = "avx512f")]
    unsafe fn group<const V: usize>(
        cols: Cols,
        rows: Touched<'_>,
        (z, next, lr): (&[f32], &[f32], f32),
        g: &[f32],
        h: &mut [f32],
    ) {
        let mut gv = [_mm512_setzero_ps(); V];
        for (k, gv) in gv.iter_mut().enumerate() {
            // SAFETY: c + 16 V <= width <= g.len().
            *gv = unsafe { _mm512_loadu_ps(g.as_ptr().add(cols.c + k * L)) };
        }
        let (mut even, mut odd) = ([_mm512_setzero_ps(); V], [_mm512_setzero_ps(); V]);
        let update = |i: u32| (_mm512_set1_ps(-lr * z[i as usize]), i);
        let read = |i: u32| (_mm512_set1_ps(next[i as usize]), i);
        // SAFETY (every call below): rows below z.len() (the caller's promise),
        // columns within the group.
        let mut pairs = rows.both.chunks_exact(2);
        for pair in &mut pairs {
            unsafe {
                both::<V>(cols, update(pair[0]), read(pair[0]).0, &gv, &mut even);
                both::<V>(cols, update(pair[1]), read(pair[1]).0, &gv, &mut odd);
            }
        }
        if let [i] = *pairs.remainder() {
            unsafe { both::<V>(cols, update(i), read(i).0, &gv, &mut even) };
        }
        for &i in rows.now {
            unsafe { now::<V>(cols, update(i), &gv) };
        }
        let mut pairs = rows.next.chunks_exact(2);
        for pair in &mut pairs {
            unsafe {
                later::<V>(cols, read(pair[0]), &mut even);
                later::<V>(cols, read(pair[1]), &mut odd);
            }
        }
        if let [i] = *pairs.remainder() {
            unsafe { later::<V>(cols, read(i), &mut even) };
        }
        for k in 0..V {
            let total = _mm512_add_ps(even[k], odd[k]);
            // SAFETY: c + 16 V <= width <= h.len().
            unsafe { _mm512_storeu_ps(h.as_mut_ptr().add(cols.c + k * L), total) };
        }
    }

    /// A row of both samples: `U_i = a g + U_i`, then `acc = x U_i + acc`.
    ///
    /// # Safety
    /// As [`group`], for row `i`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn both<const V: usize>(
        cols: Cols,
        (a, i): (__m512, u32),
        x: __m512,
        g: &[__m512; V],
        acc: &mut [__m512; V],
    ) {
        for k in 0..V {
            // SAFETY: the caller's row, columns within the group.
            unsafe {
                let p = cols.at(i).add(k * L);
                let w = _mm512_fmadd_ps(a, g[k], _mm512_loadu_ps(p));
                _mm512_storeu_ps(p, w);
                acc[k] = _mm512_fmadd_ps(x, w, acc[k]);
            }
        }
    }

    /// A row of this sample only: `U_i = a g + U_i`.
    ///
    /// # Safety
    /// As [`group`], for row `i`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn now<const V: usize>(cols: Cols, (a, i): (__m512, u32), g: &[__m512; V]) {
        for (k, &g) in g.iter().enumerate() {
            // SAFETY: the caller's row, columns within the group.
            unsafe {
                let p = cols.at(i).add(k * L);
                _mm512_storeu_ps(p, _mm512_fmadd_ps(a, g, _mm512_loadu_ps(p)));
            }
        }
    }

    /// A row of the next sample only: `acc = x U_i + acc`.
    ///
    /// # Safety
    /// As [`group`], for row `i`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn later<const V: usize>(cols: Cols, (x, i): (__m512, u32), acc: &mut [__m512; V]) {
        for (k, acc) in acc.iter_mut().enumerate() {
            // SAFETY: the caller's row, columns within the group.
            unsafe { *acc = _mm512_fmadd_ps(x, _mm512_loadu_ps(cols.at(i).add(k * L)), *acc) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows 0..inputs of a `width`-wide `U`, with inputs and coefficients that vary;
    /// `z` is zero on the rows `next` reads alone, `next` on the rows `now` updates alone.
    fn case(inputs: usize, width: usize, rows: Touched) -> [Vec<f32>; 4] {
        let u = (0..inputs * width)
            .map(|i| (i as f32 * 0.37).sin())
            .collect();
        let mut z: Vec<f32> = (0..inputs).map(|i| (i as f32 * 0.7).cos()).collect();
        let mut next: Vec<f32> = (0..inputs).map(|i| (i as f32 * 1.3).sin()).collect();
        rows.next.iter().for_each(|&i| z[i as usize] = 0.0);
        rows.now.iter().for_each(|&i| next[i as usize] = 0.0);
        let g = (0..width).map(|j| (j as f32 * 0.11).cos()).collect();
        [u, z, next, g]
    }

    fn run(
        pass: bool,
        width: usize,
        rows: Touched,
        [u, z, next, g]: &[Vec<f32>; 4],
    ) -> [Vec<f32>; 2] {
        let (mut u, mut h, mut odd) = (u.clone(), vec![7.0; width], vec![-1.0; width]);
        let f = if pass { sweep } else { portable };
        f(&mut u, width, rows, (z, next, 0.1), g, (&mut h, &mut odd));
        [u, h]
    }

    #[test]
    fn the_portable_pass_by_hand() {
        // One column, rows 0 (both), 1 (this sample only), 2 (the next only), 3 (neither).
        // U = [1, 2, 3, 4], g = 10, lr = 0.5, z = [1, 2, 0, 0], next = [3, 0, 5, 0].
        // Row 0: U0 = -0.5 * 10 + 1 = -4, even = 3 * -4 = -12.
        // Row 1: U1 = -1 * 10 + 2 = -8.  Row 2: even = 5 * 3 - 12 = 3. h = 3 + 0.
        let rows = Touched {
            both: &[0],
            now: &[1],
            next: &[2],
        };
        let (mut u, mut h, mut odd) = (vec![1.0, 2.0, 3.0, 4.0], [9.0], [9.0]);
        let zs = (&[1.0, 2.0, 0.0, 0.0][..], &[3.0, 0.0, 5.0, 0.0][..], 0.5);
        portable(&mut u, 1, rows, zs, &[10.0], (&mut h, &mut odd));
        assert_eq!((u, h), (vec![-4.0, -8.0, 3.0, 4.0], [3.0]));
    }

    #[test]
    fn every_path_gives_the_bits_of_the_portable_loop() {
        // Widths with full groups of 64 and smaller tails (8: the portable loop);
        // odd and even numbers of rows in each list; row 7 in none.
        let lists: [Touched; 2] = [
            Touched {
                both: &[0, 2, 3],
                now: &[5],
                next: &[1, 4, 6],
            },
            Touched {
                both: &[1, 2, 4, 6],
                now: &[0, 3],
                next: &[5],
            },
        ];
        for width in [8, 16, 48, 64, 96, 112, 208] {
            for rows in lists {
                let data = case(8, width, rows);
                let (portable, kernel) = (
                    run(false, width, rows, &data),
                    run(true, width, rows, &data),
                );
                assert_eq!(portable, kernel, "width {width}, rows {rows:?}");
                let row = |w: &[f32], i: usize| w[i * width..][..width].to_vec();
                for i in rows.next.iter().map(|&i| i as usize).chain([7]) {
                    assert_eq!(row(&kernel[0], i), row(&data[0], i), "row {i} changed");
                }
                for i in rows.both.iter().chain(rows.now).map(|&i| i as usize) {
                    assert_ne!(row(&kernel[0], i), row(&data[0], i), "row {i} unchanged");
                }
            }
        }
    }

    #[test]
    fn the_pass_is_an_update_then_a_product() {
        let (width, inputs) = (112, 8);
        let rows = Touched {
            both: &[0, 1, 5],
            now: &[2, 7],
            next: &[3, 4],
        };
        let data = case(inputs, width, rows);
        let [u, z, next, g] = &data;
        let [fused, h] = run(true, width, rows, &data);
        for j in 0..width {
            let mut want = 0.0f64;
            for i in 0..inputs {
                let listed = i != 6;
                let step = if listed {
                    0.1 * f64::from(z[i]) * f64::from(g[j])
                } else {
                    0.0
                };
                let w = f64::from(u[i * width + j]) - step;
                assert!((f64::from(fused[i * width + j]) - w).abs() < 1e-6);
                if listed {
                    want += f64::from(next[i]) * w;
                }
            }
            assert!((f64::from(h[j]) - want).abs() < 1e-5, "column {j}");
        }
    }
}
