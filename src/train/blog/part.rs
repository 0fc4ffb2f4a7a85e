//! One part of the blog net's hidden layer: a fixed range of hidden units, the
//! weights that touch only them, and the per-sample steps on them.
//!
//! Every hidden unit's numbers depend on the other units only through the ten
//! logits `h W2`, so the layer splits into parts that each keep their own
//! `W1` columns (64 x 100 floats: 25 KB, which fits a core's L1 cache where the
//! whole 51 KB matrix does not) and exchange ten partial sums per sample. The split
//! is fixed by the layer size, never by the number of threads, and the partial
//! logits are always added in part order: one thread or two, the bits are the same.

use rand::rngs::Xoshiro256PlusPlus;

use crate::nn::{dropout_mask_01, fast_tanh, softmax_in_place};

/// Hidden units of the first part for a layer of `hidden` units (the rest form the
/// second part): half, rounded up to whole 8-lane vectors. Small layers stay whole.
pub fn first_part_width(hidden: usize) -> usize {
    if hidden < 32 {
        hidden
    } else {
        (hidden / 2).next_multiple_of(8)
    }
}

/// Hidden units `offset .. offset + width` and their weights.
#[derive(Clone, Debug)]
pub struct Part {
    pub offset: usize,
    pub width: usize,
    /// `inputs x width`: this part's columns of `W1`, contiguous.
    pub w1: Vec<f32>,
    /// `classes x width`: this part's rows of `W2` transposed.
    pub w2t: Vec<f32>,
    /// The current sample's `x W1` on entry to a step, its activations after.
    h: Vec<f32>,
    g1: Vec<f32>,
}

impl Part {
    /// Units `offset .. offset + width` of the `inputs x hidden` matrix `w1` and the
    /// `hidden x classes` matrix `w2`.
    pub fn cut(w1: &[f32], w2: &[f32], hidden: usize, offset: usize, width: usize) -> Self {
        let classes = w2.len() / hidden;
        let w1 = w1
            .chunks_exact(hidden)
            .flat_map(|row| &row[offset..offset + width])
            .copied()
            .collect();
        let w2t = (0..classes)
            .flat_map(|k| (offset..offset + width).map(move |i| w2[i * classes + k]))
            .collect();
        Part {
            offset,
            width,
            w1,
            w2t,
            h: vec![0.0; width],
            g1: vec![0.0; width],
        }
    }

    /// Writes this part's columns back into the full `w1` and `w2`.
    pub fn paste(&self, w1: &mut [f32], w2: &mut [f32], hidden: usize) {
        let classes = w2.len() / hidden;
        for (full, mine) in w1
            .chunks_exact_mut(hidden)
            .zip(self.w1.chunks_exact(self.width))
        {
            full[self.offset..self.offset + self.width].copy_from_slice(mine);
        }
        for (k, row) in self.w2t.chunks_exact(self.width).enumerate() {
            for (i, &w) in row.iter().enumerate() {
                w2[(self.offset + i) * classes + k] = w;
            }
        }
    }

    pub fn is_finite(&self) -> bool {
        self.w1.iter().chain(&self.w2t).all(|w| w.is_finite())
    }

    /// Computes `x W1` for the epoch's first sample (later ones come from [`Part::update`]).
    #[inline(always)]
    pub fn start(&mut self, x: &[f32]) {
        self.h.fill(0.0);
        for (&xi, w) in x.iter().zip(self.w1.chunks_exact(self.width)) {
            axpy(xi, w, &mut self.h);
        }
    }

    /// `h = tanh(x W1) * m / (1 - p)` with `mask` this part's slice of the 0/1 mask
    /// (`None`: no dropout), then this part's share of the logits, `h W2`, into `out`.
    #[inline(always)]
    pub fn partial_logits(&mut self, mask: Option<(&[f32], f32)>, out: &mut [f32]) {
        for v in self.h.iter_mut() {
            *v = fast_tanh(*v);
        }
        if let Some((mask, keep)) = mask {
            for (h, m) in self.h.iter_mut().zip(mask) {
                *h *= m * keep;
            }
        }
        for (o, w) in out.iter_mut().zip(self.w2t.chunks_exact(self.width)) {
            *o = dot(w, &self.h);
        }
    }

    /// The update from the output error `e`: `W2 -= lr outer(h, e)` and
    /// `W1 -= lr outer(x, (e W2^T) * (1 - tanh(h)^2) * m)`, the latter fused with the
    /// next sample's `x W1` (one pass over `W1` instead of two, the same numbers).
    #[inline(always)]
    pub fn update(
        &mut self,
        e: &[f32],
        mask: Option<&[f32]>,
        lr: f32,
        x: &[f32],
        next: Option<&[f32]>,
    ) {
        let width = self.width;
        // g1 = (e W2^T) * (1 - tanh(h)^2) * m   (quirk 3: tanh applied again to h)
        self.g1.fill(0.0);
        for (&ek, w) in e.iter().zip(self.w2t.chunks_exact(width)) {
            axpy(ek, w, &mut self.g1);
        }
        match mask {
            Some(mask) => {
                for ((g, &h), &m) in self.g1.iter_mut().zip(&self.h).zip(mask) {
                    let t = fast_tanh(h);
                    *g *= (1.0 - t * t) * m;
                }
            }
            None => {
                for (g, &h) in self.g1.iter_mut().zip(&self.h) {
                    let t = fast_tanh(h);
                    *g *= 1.0 - t * t;
                }
            }
        }
        for (&ek, w) in e.iter().zip(self.w2t.chunks_exact_mut(width)) {
            axpy(-lr * ek, &self.h, w);
        }
        match next {
            Some(next) => {
                update_w1_and_next(&mut self.w1, width, &self.g1, lr, x, next, &mut self.h)
            }
            None => {
                for (w, &xi) in self.w1.chunks_exact_mut(width).zip(x) {
                    axpy(-lr * xi, &self.g1, w);
                }
            }
        }
    }
}

/// Vector width of the fused `W1` pass (8 f32: one AVX2 register, half an AVX-512 one).
const LANES: usize = 8;

/// Blocks of [`LANES`] columns swept together over the rows. Each block's `h`
/// accumulates a chain of fused multiply-adds, one per row, and a chain can start a
/// new one only when the last has finished (4 cycles); four chains side by side keep
/// the two FMA units busy instead of waiting (one chain ran at a quarter speed).
const BLOCKS: usize = 4;

/// `W1 -= lr outer(x, g1)` and `h = next W1` (with the updated `W1`) in one pass.
///
/// The loop runs over groups of [`BLOCKS`] x [`LANES`] columns, and within a group over
/// the rows, so that the group's `g1` and accumulating `h` stay in registers: each
/// weight is loaded once and stored once per sample, and nothing else is stored.
/// Every value goes through the same operations in the same order as the plain
/// row-by-row loop (`h_j` sums over the rows in order), so the bits are the same.
#[inline(always)]
fn update_w1_and_next(
    w1: &mut [f32],
    width: usize,
    g1: &[f32],
    lr: f32,
    x: &[f32],
    next: &[f32],
    h: &mut [f32],
) {
    let mut c = 0;
    while c + BLOCKS * LANES <= width {
        update_columns::<{ BLOCKS * LANES }>(w1, width, c, g1, lr, x, next, h);
        c += BLOCKS * LANES;
    }
    while c + LANES <= width {
        update_columns::<LANES>(w1, width, c, g1, lr, x, next, h);
        c += LANES;
    }
    h[c..].fill(0.0);
    for ((row, &xi), &xn) in w1.chunks_exact_mut(width).zip(x).zip(next) {
        let a = -lr * xi;
        for (w, (&g, acc)) in row[c..].iter_mut().zip(g1[c..].iter().zip(&mut h[c..])) {
            *w = a.mul_add(g, *w);
            *acc = xn.mul_add(*w, *acc);
        }
    }
}

/// [`update_w1_and_next`] for the `N` columns `c .. c + N`, swept over every row.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn update_columns<const N: usize>(
    w1: &mut [f32],
    width: usize,
    c: usize,
    g1: &[f32],
    lr: f32,
    x: &[f32],
    next: &[f32],
    h: &mut [f32],
) {
    let g: [f32; N] = g1[c..c + N].try_into().expect("N columns");
    let mut acc = [0.0f32; N];
    for ((row, &xi), &xn) in w1.chunks_exact_mut(width).zip(x).zip(next) {
        let a = -lr * xi;
        let w: &mut [f32; N] = (&mut row[c..c + N]).try_into().expect("N columns");
        for l in 0..N {
            w[l] = a.mul_add(g[l], w[l]);
            acc[l] = xn.mul_add(w[l], acc[l]);
        }
    }
    h[c..c + N].copy_from_slice(&acc);
}

/// Draws the sample's 0/1 dropout mask over the whole hidden layer (each thread
/// draws all of it from its own copy of the generator, so every copy stays in step).
#[inline(always)]
pub fn draw_mask(mask: &mut [f32], p: f32, rng: &mut Xoshiro256PlusPlus) {
    if p > 0.0 {
        dropout_mask_01(mask, p, rng);
    }
}

/// From the summed logits: `out = softmax(logits)` (in place), the residual
/// `delta = out - t` and `e = delta * s (1 - s)` with `s = softmax(out)` (quirks 1
/// and 2). Returns the summed `delta^2`.
#[inline(always)]
pub fn output_error(logits: &mut [f32], label: u8, e: &mut [f32]) -> f64 {
    softmax_in_place(logits);
    e.copy_from_slice(logits);
    softmax_in_place(e);
    let mut sum_sq = 0.0f64;
    for (k, (e, &o)) in e.iter_mut().zip(logits.iter()).enumerate() {
        let delta = o - if k == usize::from(label) { 1.0 } else { 0.0 };
        sum_sq += f64::from(delta * delta);
        *e = delta * *e * (1.0 - *e);
    }
    sum_sq
}

/// `y += a x`, with fused multiply-adds: one rounding instead of two, and the
/// same result on every processor (where the hardware lacks FMA, libm computes it
/// exactly, slowly; every x86-64 processor since 2013 and every aarch64 one has it).
#[inline(always)]
fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y = a.mul_add(x, *y);
    }
}

/// `x . y`, in eight independent lanes so the compiler may vectorise it
/// (a plain sum has a serial dependency it may not reorder).
#[inline(always)]
fn dot(x: &[f32], y: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
    let tail: f32 = xc
        .remainder()
        .iter()
        .zip(yc.remainder())
        .map(|(a, b)| a * b)
        .sum();
    for (a, b) in xc.zip(yc) {
        for i in 0..8 {
            acc[i] = a[i].mul_add(b[i], acc[i]);
        }
    }
    acc.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cut_and_paste_back_to_the_same_matrices() {
        let (inputs, hidden, classes) = (3, 40, 2);
        let w1: Vec<f32> = (0..inputs * hidden).map(|i| i as f32).collect();
        let w2: Vec<f32> = (0..hidden * classes).map(|i| -(i as f32)).collect();
        let first = first_part_width(hidden);
        assert_eq!(first, 24);
        let parts = [
            Part::cut(&w1, &w2, hidden, 0, first),
            Part::cut(&w1, &w2, hidden, first, hidden - first),
        ];
        assert_eq!(parts[1].w1[..2], [24.0, 25.0]);
        assert_eq!(parts[0].w2t[..2], [0.0, -2.0]);
        let (mut a, mut b) = (vec![0.0; w1.len()], vec![0.0; w2.len()]);
        parts.iter().for_each(|p| p.paste(&mut a, &mut b, hidden));
        assert_eq!((a, b), (w1, w2));
    }

    #[test]
    fn small_layers_are_not_split() {
        assert_eq!(first_part_width(10), 10);
        assert_eq!(first_part_width(200), 104);
    }

    #[test]
    fn the_blocked_w1_pass_matches_the_row_by_row_one() {
        let (inputs, width) = (5, 52); // a group of 32, two blocks of 8 and a tail of 4
        let w1: Vec<f32> = (0..inputs * width)
            .map(|i| (i as f32 * 0.37).sin())
            .collect();
        let g1: Vec<f32> = (0..width).map(|i| (i as f32 * 0.11).cos()).collect();
        let x = [0.3, -0.2, 0.9, 0.0, -1.1];
        let next = [-0.5, 0.25, 0.7, 1.5, 0.1];
        let (mut a, mut ha) = (w1.clone(), vec![9.0; width]);
        update_w1_and_next(&mut a, width, &g1, 0.1, &x, &next, &mut ha);
        let (mut b, mut hb) = (w1.clone(), vec![0.0; width]);
        for ((w, &xi), &xn) in b.chunks_exact_mut(width).zip(&x).zip(&next) {
            axpy(-0.1 * xi, &g1, w);
            axpy(xn, w, &mut hb);
        }
        assert_eq!((a, ha), (b, hb));
    }

    #[test]
    fn output_error_by_hand() {
        // logits equal: out = [1/2, 1/2]; label 0: delta = [-1/2, 1/2], sum 1/2;
        // s = softmax(out) = [1/2, 1/2], e = delta / 4.
        let mut logits = [0.3, 0.3];
        let mut e = [0.0; 2];
        assert_eq!(output_error(&mut logits, 0, &mut e), 0.5);
        assert_eq!(e, [-0.125, 0.125]);
    }
}
