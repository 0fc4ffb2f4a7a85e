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

use super::inputs::Inputs;
use super::padded::{PaddedRows, stride_for};
use super::sweep::sweep;
use crate::nn::{dropout_mask_01, fast_tanh, sech2_within_unit};

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
///
/// The part's columns of `W1` are kept as `W1 = U + 1 r^T`: a matrix `U` and a row
/// `r` added to every row of it. The background pixels' share of every update,
/// `-lr b g` on every row, goes into `r` alone, so only the rows of `U` at a sample's
/// other pixels change (see [`super::inputs`]). The forward sum follows:
/// `x W1 = b c + z U + (sum x) r` with `c` the column sums of `U`, kept up to date
/// along with it and summed afresh at the start of every epoch.
#[derive(Clone, Debug)]
pub struct Part {
    pub offset: usize,
    pub width: usize,
    /// The logits are summed over columns `..split` and `split..` separately, then
    /// added: the order two parts on two threads add them in, so that one thread
    /// computes the same bits with the whole layer as one part.
    split: usize,
    /// `inputs x width`: this part's `U`, in rows padded to whole vectors.
    u: PaddedRows,
    /// The row added to every row of `U` to make `W1`.
    r: Vec<f32>,
    /// The column sums of `U`.
    c: Vec<f32>,
    /// `classes x width`: this part's rows of `W2` transposed.
    pub w2t: Vec<f32>,
    /// Scratch: each class's step `-lr e_k` in the current update.
    steps: Vec<f32>,
    /// The current sample's `x W1` on entry to a step, its activations after;
    /// then the gradient and the sweep's scratch. Each is `u`'s stride long, the
    /// padding zero.
    h: Vec<f32>,
    g1: Vec<f32>,
    odd: Vec<f32>,
}

impl Part {
    /// Units `offset .. offset + width` of the `inputs x hidden` matrix `w1` and the
    /// `hidden x classes` matrix `w2`.
    pub fn cut(w1: &[f32], w2: &[f32], hidden: usize, offset: usize, width: usize) -> Self {
        let classes = w2.len() / hidden;
        let u = PaddedRows::from_rows(&columns(w1, hidden, offset..offset + width), width);
        let w2t = (0..classes)
            .flat_map(|k| (offset..offset + width).map(move |i| w2[i * classes + k]))
            .collect();
        Part {
            offset,
            width,
            split: width,
            r: vec![0.0; width],
            c: vec![0.0; width],
            w2t,
            steps: vec![0.0; classes],
            h: vec![0.0; u.stride()],
            g1: vec![0.0; u.stride()],
            odd: vec![0.0; u.stride()],
            u,
        }
    }

    /// Writes this part's columns back into the full `w1` and `w2`.
    pub fn paste(&self, w1: &mut [f32], w2: &mut [f32], hidden: usize) {
        let classes = w2.len() / hidden;
        for (full, mine) in w1.chunks_exact_mut(hidden).zip(self.u.rows()) {
            let columns = &mut full[self.offset..self.offset + self.width];
            for ((w, &u), &r) in columns.iter_mut().zip(mine).zip(&self.r) {
                *w = u + r;
            }
        }
        for (k, row) in self.w2t.chunks_exact(self.width).enumerate() {
            for (i, &w) in row.iter().enumerate() {
                w2[(self.offset + i) * classes + k] = w;
            }
        }
    }

    /// This part as two: its first `first` columns and the rest, each with no split.
    pub fn halves(&self, first: usize) -> [Part; 2] {
        [(0, first), (first, self.width)].map(|(from, to)| {
            let width = to - from;
            let cols = |m: &[f32]| columns(m, self.width, from..to);
            let padded = |v: &[f32]| zero_padded(v, width);
            Part {
                offset: self.offset + from,
                width,
                split: width,
                u: PaddedRows::from_rows(&cols(&self.u.to_rows()), width),
                r: self.r[from..to].to_vec(),
                c: self.c[from..to].to_vec(),
                w2t: cols(&self.w2t),
                steps: self.steps.clone(),
                h: padded(&self.h[from..to]),
                g1: padded(&[]),
                odd: padded(&[]),
            }
        })
    }

    /// The two halves made by [`Part::halves`] as one part again, split where they met.
    pub fn join([a, b]: [Part; 2]) -> Part {
        let joined = |x: &[f32], y: &[f32]| side_by_side(x, a.width, y, b.width);
        let width = a.width + b.width;
        let padded = |v: &[f32]| zero_padded(v, width);
        Part {
            offset: a.offset,
            width,
            split: a.width,
            u: PaddedRows::from_rows(&joined(&a.u.to_rows(), &b.u.to_rows()), width),
            r: joined(&a.r, &b.r),
            c: joined(&a.c, &b.c),
            w2t: joined(&a.w2t, &b.w2t),
            steps: a.steps.clone(),
            h: padded(&joined(&a.h[..a.width], &b.h[..b.width])),
            g1: padded(&[]),
            odd: padded(&[]),
        }
    }

    /// Sets where the logits' sum splits (see the field).
    pub fn split_logits_at(&mut self, split: usize) {
        self.split = split.min(self.width);
    }

    pub fn is_finite(&self) -> bool {
        self.u
            .rows()
            .flatten()
            .chain(&self.r)
            .chain(&self.w2t)
            .all(|w| w.is_finite())
    }

    /// Sums `c` afresh and computes `x W1` for the epoch's first sample (later ones
    /// come from [`Part::update`]).
    #[inline(always)]
    pub fn start(&mut self, inputs: &Inputs) {
        self.c.fill(0.0);
        self.h.fill(0.0);
        for (row, &z) in self.u.rows().zip(inputs.z(0)) {
            for ((c, h), &u) in self.c.iter_mut().zip(&mut self.h).zip(row) {
                *c += u;
                *h = z.mul_add(u, *h);
            }
        }
        self.finish_forward(inputs, 0);
    }

    /// `h = b c + h + (sum x) r`: the forward sum of sample `t` from its `z U` in `h`.
    #[inline(always)]
    fn finish_forward(&mut self, inputs: &Inputs, t: usize) {
        let (b, sum) = (inputs.background, inputs.x_sum(t));
        for ((h, &c), &r) in self.h.iter_mut().zip(&self.c).zip(&self.r) {
            *h = sum.mul_add(r, b.mul_add(c, *h));
        }
    }

    /// `h = tanh(x W1) * m / (1 - p)` with `mask` this part's slice of the 0/1 mask
    /// (`None`: no dropout), then this part's share of the logits, `h W2`, into `out`.
    #[inline(always)]
    pub fn partial_logits(&mut self, mask: Option<(&[f32], f32)>, out: &mut [f32]) {
        let h = &mut self.h[..self.width];
        for v in h.iter_mut() {
            *v = fast_tanh(*v);
        }
        if let Some((mask, keep)) = mask {
            for (h, m) in h.iter_mut().zip(mask) {
                *h *= m * keep;
            }
        }
        let (h0, h1) = h.split_at(self.split);
        for (o, w) in out.iter_mut().zip(self.w2t.chunks_exact(self.width)) {
            let (w0, w1) = w.split_at(self.split);
            *o = if h1.is_empty() {
                dot(w0, h0)
            } else {
                dot(w0, h0) + dot(w1, h1)
            };
        }
    }

    /// The update of sample `t` from its output error `e`: `W2 -= lr outer(h, e)` and
    /// `W1 -= lr outer(x, (e W2^T) * (1 - tanh(h)^2) * m)`, the latter fused with the
    /// next sample's `x W1` (one pass over the touched rows of `U`).
    #[inline(always)]
    pub fn update(&mut self, e: &[f32], mask: Option<&[f32]>, lr: f32, inputs: &Inputs, t: usize) {
        let width = self.width;
        // g1 = (e W2^T) * (1 - tanh(h)^2) * m   (quirk 3: tanh applied again to h)
        for (s, &ek) in self.steps.iter_mut().zip(e) {
            *s = -lr * ek;
        }
        back_through_w2(&mut self.w2t, width, e, &self.steps, &self.h, &mut self.g1);
        match mask {
            Some(mask) => {
                for ((g, &h), &m) in self.g1.iter_mut().zip(&self.h).zip(mask) {
                    let t = fast_tanh(h);
                    *g *= (1.0 - t * t) * m;
                }
            }
            // Without dropout h = tanh(x W1) lies in [-1, 1]: a polynomial will do.
            None => {
                for (g, &h) in self.g1.iter_mut().zip(&self.h) {
                    *g *= sech2_within_unit(h);
                }
            }
        }
        // W1 -= lr outer(b 1 + z, g1): the background's part into r, the rest into U.
        axpy(-lr * inputs.background, &self.g1, &mut self.r);
        axpy(-lr * inputs.z_sum(t), &self.g1, &mut self.c);
        let zs = (inputs.z(t), inputs.next_z(t), lr);
        let (rows, stride) = (inputs.touched(t), self.u.stride());
        let u = self.u.all_mut();
        sweep(u, stride, rows, zs, &self.g1, (&mut self.h, &mut self.odd));
        if t + 1 < inputs.len() {
            self.finish_forward(inputs, t + 1);
        }
    }
}

/// `v` followed by zeros up to the stride of rows of `width`.
fn zero_padded(v: &[f32], width: usize) -> Vec<f32> {
    let mut out = vec![0.0; stride_for(width)];
    out[..v.len()].copy_from_slice(v);
    out
}

/// Columns `range` of the row-major matrix `m` with rows of `width`.
fn columns(m: &[f32], width: usize, range: std::ops::Range<usize>) -> Vec<f32> {
    m.chunks_exact(width)
        .flat_map(|row| &row[range.clone()])
        .copied()
        .collect()
}

/// The rows of `a` (`wa` wide) and `b` (`wb` wide) side by side.
fn side_by_side(a: &[f32], wa: usize, b: &[f32], wb: usize) -> Vec<f32> {
    a.chunks_exact(wa)
        .zip(b.chunks_exact(wb))
        .flat_map(|(x, y)| x.iter().chain(y))
        .copied()
        .collect()
}

/// `g = e W2^T` (with `W2` as it was) and `W2 -= lr outer(h, e)`, in one pass over
/// `w2t` (`classes x width`), with `steps` holding each class's `-lr e_k`. Column
/// chunks go outermost so each chunk's sum stays in a register over the classes
/// (summing class by class into memory made every class wait for the last one's
/// store); each column still sums the classes in order.
#[inline(always)]
fn back_through_w2(
    w2t: &mut [f32],
    width: usize,
    e: &[f32],
    steps: &[f32],
    h: &[f32],
    g: &mut [f32],
) {
    let mut c = 0;
    while c + 16 <= width {
        back_chunk::<16>(w2t, width, c, e, steps, h, g);
        c += 16;
    }
    while c + 8 <= width {
        back_chunk::<8>(w2t, width, c, e, steps, h, g);
        c += 8;
    }
    while c < width {
        back_chunk::<1>(w2t, width, c, e, steps, h, g);
        c += 1;
    }
}

/// [`back_through_w2`] for the `N` columns `c .. c + N` (one register for 16 or 8).
#[inline(always)]
fn back_chunk<const N: usize>(
    w2t: &mut [f32],
    width: usize,
    c: usize,
    e: &[f32],
    steps: &[f32],
    h: &[f32],
    g: &mut [f32],
) {
    let hc: [f32; N] = h[c..c + N].try_into().expect("a chunk");
    let mut acc = [0.0f32; N];
    for ((row, &ek), &step) in w2t.chunks_exact_mut(width).zip(e).zip(steps) {
        let w: &mut [f32; N] = (&mut row[c..c + N]).try_into().expect("a chunk");
        for l in 0..N {
            acc[l] = ek.mul_add(w[l], acc[l]);
            w[l] = step.mul_add(hc[l], w[l]);
        }
    }
    g[c..c + N].copy_from_slice(&acc);
}

/// Draws the sample's 0/1 dropout mask over the whole hidden layer (each thread
/// draws all of it from its own copy of the generator, so every copy stays in step).
#[inline(always)]
pub fn draw_mask(mask: &mut [f32], p: f32, rng: &mut Xoshiro256PlusPlus) {
    if p > 0.0 {
        dropout_mask_01(mask, p, rng);
    }
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
    fn halves_paste_back_to_the_same_matrices_and_join_to_the_whole() {
        let (inputs, hidden, classes) = (3, 40, 2);
        let w1: Vec<f32> = (0..inputs * hidden).map(|i| i as f32).collect();
        let w2: Vec<f32> = (0..hidden * classes).map(|i| -(i as f32)).collect();
        let first = first_part_width(hidden);
        assert_eq!(first, 24);
        let mut whole = Part::cut(&w1, &w2, hidden, 0, hidden);
        whole.r[30] = 0.5; // W1 = U + r: column 30 of every row is 0.5 more
        let halves = whole.halves(first);
        assert_eq!((halves[1].offset, halves[1].width), (24, 16));
        assert_eq!(halves[1].u.to_rows()[..2], [24.0, 25.0]);
        assert_eq!(halves[0].w2t[..2], [0.0, -2.0]);
        let (mut a, mut b) = (vec![0.0; w1.len()], vec![0.0; w2.len()]);
        halves.iter().for_each(|p| p.paste(&mut a, &mut b, hidden));
        let mut want = w1.clone();
        want.iter_mut()
            .skip(30)
            .step_by(hidden)
            .for_each(|w| *w += 0.5);
        assert_eq!((a, b), (want, w2));
        let joined = Part::join(halves);
        assert_eq!((joined.split, joined.width), (24, 40));
        assert_eq!(
            (&joined.u.to_rows(), &joined.r, &joined.w2t),
            (&whole.u.to_rows(), &whole.r, &whole.w2t)
        );
    }

    #[test]
    fn dot_by_hand_and_against_a_plain_sum() {
        // 1 + 2 + ... + 20 with y = 1: the lanes, the tree and the tail of 4.
        let x: Vec<f32> = (1..=20).map(|i| i as f32).collect();
        assert_eq!(dot(&x, &[1.0; 20]), 210.0);
        let y: Vec<f32> = (0..104).map(|i| (i as f32 * 0.3).sin()).collect();
        let z: Vec<f32> = (0..104).map(|i| (i as f32 * 0.7).cos()).collect();
        let plain: f64 = y.iter().zip(&z).map(|(a, b)| f64::from(a * b)).sum();
        assert!((f64::from(dot(&y, &z)) - plain).abs() < 1e-5);
    }

    #[test]
    fn small_layers_are_not_split() {
        assert_eq!(first_part_width(10), 10);
        assert_eq!(first_part_width(200), 104);
    }
}
