//! The post's loop ([`super::reference`]) made fast, on one thread.
//!
//! After the blog's normalisation every background pixel holds one value `b` (not
//! zero). Writing each input as `x = b 1 + z` and `W1 = U + 1 rᵀ` (a matrix `U`
//! plus a row `r` added to each of its rows), the update
//! `W1 -= lr outer(x, g1)` becomes `r -= lr b g1` and `U_i -= lr z_i g1` at the
//! pixels where `z_i != 0` only, and the forward sum becomes
//! `x W1 = b c + z U + (sum x) r`, with `c` the column sums of `U` kept up to
//! date. A step then touches the rows of `U` where this sample or the next is not
//! background (about 41 of 64), and it updates them and sums the next sample's
//! `z U` in one pass ([`sweep`]). Rows are padded to whole 16-float vectors and
//! start on 64-byte lines, so no vector straddles two cache lines.

use rand::rngs::Xoshiro256PlusPlus;

use super::{Learner, Prepared, dropout_mask_01};
use crate::nn::{Mlp, exp_f32, fast_tanh, softmax_in_place};

/// Floats per vector and per 64-byte cache line.
const LANES: usize = 16;

/// A 64-byte-aligned vector of floats: rows of `U` start on cache lines.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([f32; LANES]);

/// The training rows as the steps read them (see the module docs).
struct Inputs {
    width: usize,
    background: f32,
    /// `rows x width`: `x - b`, exactly zero at the background; then a row of zeros
    /// (the "next sample" after the last).
    z: Vec<f32>,
    /// Per row: the sum of its `x` and the sum of its `z`.
    sums: Vec<(f32, f32)>,
    /// Row `t`'s touched rows of `U` (`z` nonzero in row `t` or `t + 1`) are
    /// `touched[bounds[t]..bounds[t + 1]]`, in increasing order.
    touched: Vec<u32>,
    bounds: Vec<usize>,
}

impl Inputs {
    fn new(prepared: Prepared) -> Self {
        let (width, background) = (prepared.width, prepared.background);
        let mut z = prepared.x;
        let sums = z
            .chunks_exact_mut(width)
            .map(|row| {
                let x_sum: f32 = row.iter().sum();
                row.iter_mut().for_each(|v| *v -= background);
                (x_sum, row.iter().sum())
            })
            .collect();
        z.resize(z.len() + width, 0.0);
        let (mut touched, mut bounds) = (Vec::with_capacity(z.len() / 2), vec![0]);
        let mut bits = vec![0u64; width.div_ceil(64)];
        for pair in z.windows(2 * width).step_by(width) {
            // Bit masks and their set bits, not a test per pixel: a branch on each
            // pixel mispredicts at every stroke edge.
            bits.fill(0);
            for row in pair.chunks_exact(width) {
                for (i, &v) in row.iter().enumerate() {
                    bits[i / 64] |= u64::from(v != 0.0) << (i % 64);
                }
            }
            for (word, &mask) in bits.iter().enumerate() {
                let mut mask = mask;
                while mask != 0 {
                    touched.push((word * 64) as u32 + mask.trailing_zeros());
                    mask &= mask - 1;
                }
            }
            bounds.push(touched.len());
        }
        Inputs {
            width,
            background,
            z,
            sums,
            touched,
            bounds,
        }
    }

    fn z(&self, t: usize) -> &[f32] {
        &self.z[t * self.width..(t + 1) * self.width]
    }
}

/// The net as the fast path keeps it; vectors are `stride` long, padded with zeros.
pub(super) struct Fast {
    x: Inputs,
    sizes: [usize; 3],
    stride: usize,
    /// `inputs x stride` as lines: row `i` is `u[i * stride / LANES..][..stride / LANES]`.
    u: Vec<Line>,
    r: Vec<f32>,
    c: Vec<f32>,
    /// `classes x stride`: `W2` transposed.
    w2t: Vec<f32>,
    /// The current sample's `x W1`, then its activations, then the next sample's `x W1`.
    h: Vec<f32>,
    /// The hidden layer's gradient `g1`; the 0/1 dropout mask; the outputs (at least
    /// [`LANES`] long, the values past the classes unused).
    g: Vec<f32>,
    mask: Vec<f32>,
    out: Vec<f32>,
    s: Vec<f32>,
}

impl Fast {
    pub(super) fn new(net: &Mlp, prepared: Prepared) -> Self {
        let sizes @ [inputs, hidden, classes] =
            [net.inputs(), net.layers[0].outputs, net.outputs()];
        let stride = hidden.next_multiple_of(LANES);
        let (w1, w2) = (&net.layers[0].weight, &net.layers[1].weight);
        let mut u = vec![Line([0.0; LANES]); inputs * stride / LANES];
        let mut w2t = vec![0.0; classes * stride];
        for j in 0..hidden {
            for i in 0..inputs {
                u[(i * stride + j) / LANES].0[j % LANES] = w1[i * hidden + j];
            }
            for k in 0..classes {
                w2t[k * stride + j] = w2[j * classes + k];
            }
        }
        Fast {
            x: Inputs::new(prepared),
            sizes,
            stride,
            u,
            r: vec![0.0; stride],
            c: vec![0.0; stride],
            w2t,
            h: vec![0.0; stride],
            g: vec![0.0; stride],
            mask: vec![1.0; stride],
            out: vec![0.0; classes.max(LANES)],
            s: vec![0.0; classes.max(LANES)],
        }
    }

    /// `U`'s value at row `i`, column `j`.
    fn u_at(&self, i: usize, j: usize) -> f32 {
        self.u[(i * self.stride + j) / LANES].0[j % LANES]
    }

    /// One epoch over every row in order (see [`Learner::epoch`]).
    #[inline(always)]
    fn epoch_body(&mut self, labels: &[u8], lr: f32, p: f32, rng: &mut Xoshiro256PlusPlus) -> f64 {
        let [_, hidden, classes] = self.sizes;
        let keep = 1.0 / (1.0 - p);
        let mut sum_sq = 0.0;
        self.start();
        for (t, &label) in labels.iter().enumerate() {
            // h = tanh(x W1) * m / (1 - p), then out = softmax(h W2)
            if p > 0.0 {
                dropout_mask_01(&mut self.mask[..hidden], p, rng);
                for (h, &m) in self.h.iter_mut().zip(&self.mask) {
                    *h = fast_tanh(*h) * (m * keep);
                }
            } else {
                self.h.iter_mut().for_each(|h| *h = fast_tanh(*h));
            }
            for (o, w) in self.out.iter_mut().zip(self.w2t.chunks_exact(self.stride)) {
                *o = dot(w, &self.h);
            }
            sum_sq += output_error(&mut self.out, &mut self.s, label, classes);
            // g1 = (e W2ᵀ) * (1 - tanh(h)^2) * m  (quirk 3), with W2 before its update
            back_through_w2(
                &mut self.w2t,
                &self.out[..classes],
                lr,
                &self.h,
                &mut self.g,
            );
            if p > 0.0 {
                for ((g, &h), &m) in self.g.iter_mut().zip(&self.h).zip(&self.mask) {
                    let t = fast_tanh(h);
                    *g *= (1.0 - t * t) * m;
                }
            } else {
                // Without dropout h lies in [-1, 1], where a polynomial will do.
                for (g, &h) in self.g.iter_mut().zip(&self.h) {
                    *g *= sech2_within_unit(h);
                }
            }
            self.update_and_next(t, lr);
        }
        sum_sq
    }

    /// `c` = the column sums of `U` (afresh: updates let them drift) and `h` = the
    /// first row's `x W1`.
    #[inline(always)]
    fn start(&mut self) {
        let lines = self.stride / LANES;
        self.c.fill(0.0);
        self.h.fill(0.0);
        for (row, &z) in self.u.chunks_exact(lines).zip(self.x.z(0)) {
            let row = row.iter().flat_map(|line| &line.0);
            for ((c, h), &u) in self.c.iter_mut().zip(&mut self.h).zip(row) {
                *c += u;
                *h = z.mul_add(u, *h);
            }
        }
        self.finish_forward(0);
    }

    /// `h = (sum x) r + b c + h`: row `t`'s `x W1` from its `z U` in `h`.
    #[inline(always)]
    fn finish_forward(&mut self, t: usize) {
        let (b, sum) = (self.x.background, self.x.sums.get(t).map_or(0.0, |s| s.0));
        for ((h, &c), &r) in self.h.iter_mut().zip(&self.c).zip(&self.r) {
            *h = sum.mul_add(r, b.mul_add(c, *h));
        }
    }

    /// `W1 -= lr outer(b 1 + z, g1)` for row `t` (into `r`, `c` and the touched rows
    /// of `U`), fused with the next row's `x W1` into `h`.
    #[inline(always)]
    fn update_and_next(&mut self, t: usize, lr: f32) {
        let (b, z_sum) = (self.x.background, self.x.sums[t].1);
        for ((r, c), &g) in self.r.iter_mut().zip(&mut self.c).zip(&self.g) {
            *r = (-lr * b).mul_add(g, *r);
            *c = (-lr * z_sum).mul_add(g, *c);
        }
        let rows = &self.x.touched[self.x.bounds[t]..self.x.bounds[t + 1]];
        let zs = (self.x.z(t), self.x.z(t + 1), lr);
        sweep(
            &mut self.u,
            self.stride / LANES,
            rows,
            zs,
            &self.g,
            &mut self.h,
        );
        self.finish_forward(t + 1);
    }
}

/// For each touched row `i` of `U` (`lines` lines a row), `U_i += -lr now[i] g`,
/// then the new `U_i`'s share of the next row's sum, `next[i] U_i`, into `h`: each
/// weight is loaded and stored once. A row where `now[i]` (or `next[i]`) is zero
/// adds exactly zero. Columns go in groups of up to four vectors, whose `g` and
/// sums stay in registers while the rows go by.
#[inline(always)]
fn sweep(u: &mut [Line], lines: usize, rows: &[u32], zs: Coefficients, g: &[f32], h: &mut [f32]) {
    let mut col = 0;
    while col < lines {
        let group = (lines - col).min(4);
        match group {
            4 => sweep_group::<4>(u, (lines, col), rows, zs, g, h),
            3 => sweep_group::<3>(u, (lines, col), rows, zs, g, h),
            2 => sweep_group::<2>(u, (lines, col), rows, zs, g, h),
            _ => sweep_group::<1>(u, (lines, col), rows, zs, g, h),
        }
        col += group;
    }
}

/// This sample's `z`, the next sample's, and the learning rate.
type Coefficients<'a> = (&'a [f32], &'a [f32], f32);

/// [`sweep`] over the `V` vectors of columns from line `col` of each row. The rows
/// alternate between two sums, so that each column has two independent chains of
/// multiply-adds, not one that waits for the last at every row.
#[inline(always)]
fn sweep_group<const V: usize>(
    u: &mut [Line],
    (lines, col): (usize, usize),
    rows: &[u32],
    (now, next, lr): Coefficients,
    g: &[f32],
    h: &mut [f32],
) {
    let vector = |v: &[f32], k: usize| -> [f32; LANES] {
        v[(col + k) * LANES..][..LANES]
            .try_into()
            .expect("a vector")
    };
    let g: [[f32; LANES]; V] = std::array::from_fn(|k| vector(g, k));
    let (mut even, mut odd) = ([[0.0f32; LANES]; V], [[0.0f32; LANES]; V]);
    let mut coefficients = rows.iter().map(|&i| {
        let i = i as usize;
        (i * lines + col, -lr * now[i], next[i])
    });
    while let Some((at, a, n)) = coefficients.next() {
        fused(&mut u[at..at + V], a, &g, n, &mut even);
        if let Some((at, a, n)) = coefficients.next() {
            fused(&mut u[at..at + V], a, &g, n, &mut odd);
        }
    }
    for k in 0..V {
        for l in 0..LANES {
            h[(col + k) * LANES + l] = even[k][l] + odd[k][l];
        }
    }
}

/// `w = a g + w`, then `sum = n w + sum`, on `V` vectors.
#[inline(always)]
fn fused<const V: usize>(
    w: &mut [Line],
    a: f32,
    g: &[[f32; LANES]; V],
    n: f32,
    sum: &mut [[f32; LANES]; V],
) {
    for k in 0..V {
        let mut v = w[k].0;
        for l in 0..LANES {
            v[l] = a.mul_add(g[k][l], v[l]);
            sum[k][l] = n.mul_add(v[l], sum[k][l]);
        }
        w[k].0 = v;
    }
}

/// `g = e W2ᵀ` with `W2` as it was, and `W2 -= lr outer(h, e)` (`w2t` is `W2`
/// transposed, rows of `h.len()`), in groups of up to four vectors of columns
/// whose sums stay in registers while the classes go by.
#[inline(always)]
fn back_through_w2(w2t: &mut [f32], e: &[f32], lr: f32, h: &[f32], g: &mut [f32]) {
    let (lines, mut col) = (h.len() / LANES, 0);
    while col < lines {
        let group = (lines - col).min(4);
        match group {
            4 => back_group::<4>(w2t, (e, lr), h, g, col),
            3 => back_group::<3>(w2t, (e, lr), h, g, col),
            2 => back_group::<2>(w2t, (e, lr), h, g, col),
            _ => back_group::<1>(w2t, (e, lr), h, g, col),
        }
        col += group;
    }
}

/// [`back_through_w2`] for the `V` vectors of columns from vector `col`.
#[inline(always)]
fn back_group<const V: usize>(
    w2t: &mut [f32],
    (e, lr): (&[f32], f32),
    h: &[f32],
    g: &mut [f32],
    col: usize,
) {
    let stride = h.len();
    let hv: [[f32; LANES]; V] = std::array::from_fn(|v| {
        h[(col + v) * LANES..][..LANES]
            .try_into()
            .expect("a vector")
    });
    let mut sum = [[0.0f32; LANES]; V];
    for (k, &e) in e.iter().enumerate() {
        let step = -lr * e;
        for v in 0..V {
            let w = &mut w2t[k * stride + (col + v) * LANES..][..LANES];
            for l in 0..LANES {
                sum[v][l] = e.mul_add(w[l], sum[v][l]);
                w[l] = step.mul_add(hv[v][l], w[l]);
            }
        }
    }
    for v in 0..V {
        g[(col + v) * LANES..][..LANES].copy_from_slice(&sum[v]);
    }
}

/// From the logits in `out[..classes]`: `out = softmax(logits)`, `delta = out - t`,
/// then `e = delta * s (1 - s)` with `s = softmax(out)` (quirks 1 and 2) into `out`.
/// Returns the summed `delta^2`.
#[inline(always)]
fn output_error(out: &mut [f32], s: &mut [f32], label: u8, classes: usize) -> f64 {
    let lanes = <&mut [f32; LANES]>::try_from(&mut *out);
    if let (Ok(out), Ok(s)) = (lanes, <&mut [f32; LANES]>::try_from(&mut *s)) {
        softmax_lanes(out, classes);
        *s = *out;
        softmax_lanes(s, classes);
    } else {
        softmax_in_place(&mut out[..classes]);
        s[..classes].copy_from_slice(&out[..classes]);
        softmax_in_place(&mut s[..classes]);
    }
    let mut sum_sq = 0.0;
    for (k, (o, &s)) in out[..classes].iter_mut().zip(s.iter()).enumerate() {
        let delta = *o - if k == usize::from(label) { 1.0 } else { 0.0 };
        sum_sq += f64::from(delta * delta);
        *o = delta * s * (1.0 - s);
    }
    sum_sq
}

/// [`softmax_in_place`] of `v[..live]`, the same bits, on a whole vector: the lanes
/// past `live` count as `-inf` for the maximum and are left out of the sum, so no
/// copy of a short row in and out of a vector is needed.
#[inline(always)]
fn softmax_lanes(v: &mut [f32; LANES], live: usize) {
    let mut x = [0.0f32; LANES];
    for (l, (x, &v)) in x.iter_mut().zip(v.iter()).enumerate() {
        *x = if l < live { v } else { f32::NEG_INFINITY };
    }
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    for x in x.iter_mut() {
        *x = exp_f32(*x - max);
    }
    let mut sum = 0.0;
    for &x in &x[..live] {
        sum += x;
    }
    let inv = 1.0 / sum;
    for (v, &x) in v.iter_mut().zip(x.iter()) {
        *v = x * inv;
    }
}

/// `x . y` in 16 independent lanes, added in order at the end.
#[inline(always)]
fn dot(x: &[f32], y: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    for (a, b) in x.chunks_exact(LANES).zip(y.chunks_exact(LANES)) {
        for l in 0..LANES {
            acc[l] = a[l].mul_add(b[l], acc[l]);
        }
    }
    acc.iter().sum()
}

impl Learner for Fast {
    fn epoch(&mut self, labels: &[u8], lr: f32, dropout: f32, rng: &mut Xoshiro256PlusPlus) -> f64 {
        crate::simd::run(
            #[inline(always)]
            || self.epoch_body(labels, lr, dropout, rng),
        )
    }

    fn is_finite(&self) -> bool {
        let u = self.u.iter().flat_map(|line| &line.0);
        u.chain(&self.r).chain(&self.w2t).all(|w| w.is_finite())
    }

    fn into_mlp(self) -> Mlp {
        let [inputs, hidden, classes] = self.sizes;
        let w1 = (0..inputs * hidden)
            .map(|n| self.u_at(n / hidden, n % hidden) + self.r[n % hidden])
            .collect();
        let w2 = (0..hidden * classes)
            .map(|n| self.w2t[n % classes * self.stride + n / classes])
            .collect();
        super::post_net(self.sizes, w1, w2)
    }
}

/// `1 - tanh(a)^2` for `|a| <= 1`, as a polynomial in `a^2` (a Chebyshev fit of
/// degree 7, within 1.5e-7 of the true value on that interval): no clamp and no
/// division, half the work of [`fast_tanh`] and a square. The blog recipe needs it at
/// activated hidden values, which lie in [-1, 1] when there is no dropout. Outside
/// that interval it is not accurate; NaN stays NaN.
#[inline(always)]
fn sech2_within_unit(a: f32) -> f32 {
    // Coefficients of the powers of u = 2 a^2 - 1, which spans [-1, 1].
    const C: [f32; 8] = [
        0.629_290_2,
        -0.270_927_4,
        0.076_553_74,
        -0.018_230_915,
        0.003_966_160_6,
        -8.197_857_5e-4,
        1.769_989_8e-4,
        -3.471_624_6e-5,
    ];
    let u = (a * a).mul_add(2.0, -1.0);
    let mut p = C[7];
    for &c in C[..7].iter().rev() {
        p = p.mul_add(u, c);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sech2_within_unit_matches_one_minus_tanh_squared() {
        let mut worst = 0.0f64;
        for i in -100_000..=100_000 {
            let a = i as f32 * 1e-5;
            let exact = 1.0 / f64::from(a).cosh().powi(2);
            worst = worst.max((f64::from(sech2_within_unit(a)) - exact).abs());
        }
        assert!(worst < 1.5e-7, "worst error {worst}");
        // By hand: sech^2(0) = 1, sech^2(1) = 0.41997434...
        assert!((sech2_within_unit(0.0) - 1.0).abs() < 1e-7);
        assert!((sech2_within_unit(-1.0) - 0.419_974_34).abs() < 1e-7);
        assert!(sech2_within_unit(f32::NAN).is_nan());
    }
}
