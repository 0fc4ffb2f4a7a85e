//! The training rows as the per-sample steps read them: each row as its offset
//! from the background, and for each sample the input rows of `W1` its step touches.
//!
//! Half the pixels of a digit are background, and after the blog's normalisation
//! they all hold one value `b`, which is not zero. Writing every row as
//! `x = b 1 + z`, `z` is zero at the background, and with `W1 = U + 1 r^T`
//! (see [`super::part`]) only the rows of `U` where `z` is nonzero change or count:
//! a step touches about 41 of the 64 rows (its own nonzero pixels and the next
//! sample's) instead of all of them.

/// The rows of a training epoch, in order, prepared for the blog's steps.
#[derive(Clone, Debug)]
pub struct Inputs {
    /// Values per row.
    pub width: usize,
    /// The background value `b`: the normalised value of a zero pixel.
    pub background: f32,
    /// `rows x width`: `x - b`, exactly zero where `x` is background.
    z: Vec<f32>,
    /// Per row: the sum of its `x` and the sum of its `z`.
    sums: Vec<(f32, f32)>,
    /// Per row `t`: the indices `i` with `z[t][i] != 0` or `z[t + 1][i] != 0`
    /// (the rows of `U` that step `t` updates or that the next forward pass reads),
    /// in increasing order; `touched_from[t] .. touched_from[t + 1]` in `touched`.
    touched: Vec<u32>,
    touched_from: Vec<usize>,
    /// A row of zeros: the "next sample" after the last.
    zeros: Vec<f32>,
}

impl Inputs {
    /// `x`: the normalised rows (`width` values each); `background`: the value the
    /// background pixels hold in it.
    pub fn new(x: &[f32], width: usize, background: f32) -> Self {
        let z: Vec<f32> = x.iter().map(|&v| v - background).collect();
        let sums: Vec<(f32, f32)> = x
            .chunks_exact(width)
            .zip(z.chunks_exact(width))
            .map(|(x, z)| (x.iter().sum(), z.iter().sum()))
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
        let mut touched = Vec::new();
        let mut touched_from = vec![0];
        // (A row of zero words follows the last row: it has no next one.)
        for pair in nonzero.windows(2 * words).step_by(words) {
            for w in 0..words {
                let mut bits = pair[w] | pair[words + w];
                while bits != 0 {
                    touched.push((w * 64) as u32 + bits.trailing_zeros());
                    bits &= bits - 1;
                }
            }
            touched_from.push(touched.len());
        }
        Inputs {
            width,
            background,
            z,
            sums,
            touched,
            touched_from,
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
    pub fn touched(&self, t: usize) -> &[u32] {
        &self.touched[self.touched_from[t]..self.touched_from[t + 1]]
    }
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
        let inputs = Inputs::new(&x, 4, -1.0);
        assert_eq!(inputs.len(), 3);
        assert_eq!(inputs.z(0), [0.0, 3.0, 0.0, 0.0]);
        assert_eq!(inputs.touched(0), [1, 3]);
        assert_eq!(inputs.touched(1), [0, 3]);
        assert_eq!(inputs.touched(2), [0]);
        assert_eq!(inputs.next_z(2), [0.0; 4]);
        assert_eq!((inputs.x_sum(1), inputs.z_sum(1)), (-2.5, 1.5));
    }

    #[test]
    fn wide_rows_list_the_same_rows_as_the_definition() {
        // 130 values a row: three words of bits, the last one partly used.
        let width = 130;
        let x: Vec<f32> = (0..5 * width)
            .map(|i| if (i * 7919) % 11 < 3 { i as f32 } else { 0.5 })
            .collect();
        let inputs = Inputs::new(&x, width, 0.5);
        for t in 0..5 {
            let now = &x[t * width..][..width];
            let next = x.get((t + 1) * width..(t + 2) * width);
            let want: Vec<u32> = (0..width)
                .filter(|&i| now[i] != 0.5 || next.is_some_and(|n| n[i] != 0.5))
                .map(|i| i as u32)
                .collect();
            assert_eq!(inputs.touched(t), want, "row {t}");
        }
        assert!((0..5).any(|t| inputs.touched(t).iter().any(|&i| i >= 128)));
    }
}
