//! The training rows as the per-sample steps read them: each row as its offset
//! from the background, and for each sample the input rows of `W1` its step touches.
//!
//! Half the pixels of a digit are background, and after the blog's normalisation
//! they all hold one value `b`, which is not zero. Writing every row as
//! `x = b 1 + z`, `z` is zero at the background, and with `W1 = U + 1 r^T`
//! (see [`super::part`]) only the rows of `U` where `z` is nonzero change or count:
//! a step touches about 41 of the 64 rows (its own nonzero pixels and the next
//! sample's) instead of all of them.

use super::sweep::Touched;

/// The rows of a training epoch, in order, prepared for the blog's steps.
#[derive(Clone, Debug)]
pub struct Inputs {
    /// Values per row.
    width: usize,
    /// The background value `b`: the normalised value of a zero pixel.
    pub background: f32,
    /// `rows x width`: `x - b`, exactly zero where `x` is background.
    z: Vec<f32>,
    /// Per row: the sum of its `x` and the sum of its `z`.
    sums: Vec<(f32, f32)>,
    /// Per row `t`: the indices `i` with `z[t][i] != 0` or `z[t + 1][i] != 0`
    /// (the rows of `U` that step `t` updates or that the next forward pass reads),
    /// in three runs in `touched`: nonzero in both, in `t` only, in `t + 1` only,
    /// each in increasing order. Run `r` of row `t` is `bounds[3t + r] .. bounds[3t + r + 1]`.
    touched: Vec<u32>,
    bounds: Vec<usize>,
    /// A row of zeros: the "next sample" after the last.
    zeros: Vec<f32>,
}

impl Inputs {
    /// `x`: the normalised rows (`width` values each); `background`: the value the
    /// background pixels hold in it.
    /// (`x` becomes `z` in place: one buffer, not two.)
    pub fn new(x: Vec<f32>, width: usize, background: f32) -> Self {
        let mut z = x;
        let sums: Vec<(f32, f32)> = z
            .chunks_exact_mut(width)
            .map(|row| {
                let x_sum = sum_in_lanes(row);
                row.iter_mut().for_each(|v| *v -= background);
                (x_sum, sum_in_lanes(row))
            })
            .collect();
        // One bit per value: nonzero. A step touches the union of its row's and the
        // next row's bits (a word-wise OR, then the set bits in order).
        let words = width.div_ceil(64).max(1);
        let mut nonzero = vec![0u64; (sums.len() + 1) * words];
        for (bits, row) in nonzero.chunks_exact_mut(words).zip(z.chunks_exact(width)) {
            for (i, &v) in row.iter().enumerate() {
                bits[i / 64] |= u64::from(v != 0.0) << (i % 64);
            }
        }
        // At most every index of every row: reserved once, never regrown.
        let mut touched = Vec::with_capacity(z.len());
        let mut bounds = vec![0];
        // (A row of zero words follows the last row: it has no next one.)
        for pair in nonzero.windows(2 * words).step_by(words) {
            let (now, next) = pair.split_at(words);
            let runs: [fn(u64, u64) -> u64; 3] = [|a, b| a & b, |a, b| a & !b, |a, b| !a & b];
            for run in runs {
                for (w, (&a, &b)) in now.iter().zip(next).enumerate() {
                    let mut bits = run(a, b);
                    while bits != 0 {
                        touched.push((w * 64) as u32 + bits.trailing_zeros());
                        bits &= bits - 1;
                    }
                }
                bounds.push(touched.len());
            }
        }
        Inputs {
            width,
            background,
            z,
            sums,
            touched,
            bounds,
            zeros: vec![0.0; width],
        }
    }

    /// Rows in the epoch.
    pub fn len(&self) -> usize {
        self.sums.len()
    }

    /// Row `t` as `z = x - b`.
    pub fn z(&self, t: usize) -> &[f32] {
        &self.z[t * self.width..(t + 1) * self.width]
    }

    /// Row `t + 1` as `z`, or zeros after the last row.
    pub fn next_z(&self, t: usize) -> &[f32] {
        self.z
            .get((t + 1) * self.width..(t + 2) * self.width)
            .unwrap_or(&self.zeros)
    }

    /// The sum of row `t`'s values `x`.
    pub fn x_sum(&self, t: usize) -> f32 {
        self.sums[t].0
    }

    /// The sum of row `t`'s `z`.
    pub fn z_sum(&self, t: usize) -> f32 {
        self.sums[t].1
    }

    /// The rows of `U` step `t` touches (see the field's docs).
    pub fn touched(&self, t: usize) -> Touched<'_> {
        let run = |r: usize| &self.touched[self.bounds[3 * t + r]..self.bounds[3 * t + r + 1]];
        Touched {
            both: run(0),
            now: run(1),
            next: run(2),
        }
    }
}

/// The sum of `row` in eight interleaved partial sums, added in lane order at the
/// end: a plain sum waits four cycles for each add, a quarter of a millisecond over
/// the digits' training rows.
fn sum_in_lanes(row: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let chunks = row.chunks_exact(8);
    let tail: f32 = chunks.remainder().iter().sum();
    for chunk in chunks {
        for (l, &v) in lanes.iter_mut().zip(chunk) {
            *l += v;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_touched_are_those_nonzero_now_or_next() {
        // Three rows of four; background -1.
        let x = [
            -1.0, 2.0, -1.0, -1.0, //
            -1.0, -1.0, -1.0, 0.5, //
            3.0, -1.0, -1.0, -1.0,
        ];
        let inputs = Inputs::new(x.to_vec(), 4, -1.0);
        assert_eq!(inputs.len(), 3);
        assert_eq!(inputs.z(0), [0.0, 3.0, 0.0, 0.0]);
        let runs = |t| {
            let r = inputs.touched(t);
            (r.both.to_vec(), r.now.to_vec(), r.next.to_vec())
        };
        assert_eq!(runs(0), (vec![], vec![1], vec![3]));
        assert_eq!(runs(1), (vec![], vec![3], vec![0]));
        assert_eq!(runs(2), (vec![], vec![0], vec![]));
        assert_eq!(inputs.next_z(2), [0.0; 4]);
        assert_eq!((inputs.x_sum(1), inputs.z_sum(1)), (-2.5, 1.5));
        let twice = [x[..4].to_vec(), x[..4].to_vec()].concat();
        let inputs = Inputs::new(twice, 4, 2.0); // nonzero but for pixel 1, twice
        assert_eq!(inputs.touched(0).both, [0, 2, 3]);
    }

    #[test]
    fn wide_rows_list_the_same_rows_as_the_definition() {
        // 130 values a row: three words of bits, the last one partly used.
        let width = 130;
        let x: Vec<f32> = (0..5 * width)
            .map(|i| if (i * 7919) % 11 < 3 { i as f32 } else { 0.5 })
            .collect();
        let inputs = Inputs::new(x.clone(), width, 0.5);
        for t in 0..5 {
            let now = &x[t * width..][..width];
            let next = x.get((t + 1) * width..(t + 2) * width);
            let later = |i: usize| next.is_some_and(|n| n[i] != 0.5);
            let list = |keep: &dyn Fn(usize) -> bool| -> Vec<u32> {
                (0..width).filter(|&i| keep(i)).map(|i| i as u32).collect()
            };
            let r = inputs.touched(t);
            assert_eq!(r.both, list(&|i| now[i] != 0.5 && later(i)), "row {t}");
            assert_eq!(r.now, list(&|i| now[i] != 0.5 && !later(i)), "row {t}");
            assert_eq!(r.next, list(&|i| now[i] == 0.5 && later(i)), "row {t}");
        }
        let wide = |t: usize| {
            let r = inputs.touched(t);
            [r.both, r.now, r.next].concat().iter().any(|&i| i >= 128)
        };
        assert!((0..5).any(wide));
    }

    #[test]
    fn sums_in_lanes_by_hand_and_against_f64() {
        // 1 + ... + 19: two chunks of eight and a tail of three.
        let row: Vec<f32> = (1..=19).map(|i| i as f32).collect();
        assert_eq!(sum_in_lanes(&row), 190.0);
        let row: Vec<f32> = (0..64).map(|i| (i as f32 * 0.37).sin()).collect();
        let exact: f64 = row.iter().map(|&v| f64::from(v)).sum();
        assert!((f64::from(sum_in_lanes(&row)) - exact).abs() < 1e-5);
    }
}
