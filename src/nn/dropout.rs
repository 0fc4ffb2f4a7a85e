//! Dropout: zero a random fraction of units during training, and scale the kept
//! ones by `1/(1-p)` ("inverted" dropout) so inference needs no change.

use rand::{Rng, RngExt};

/// Dropout probabilities: the chance that a unit is dropped.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Dropout {
    /// On the network's input.
    pub input: f32,
    /// On every hidden layer's output.
    pub hidden: f32,
}

impl Dropout {
    /// No dropout at all.
    pub const NONE: Dropout = Dropout {
        input: 0.0,
        hidden: 0.0,
    };
}

/// Fills `mask` with 0 (dropped, probability `p`) or `1/(1-p)` (kept).
pub fn fill_mask(mask: &mut [f32], p: f32, rng: &mut impl Rng) {
    fill_mask_with(mask, p, 1.0 / (1.0 - p), rng);
}

/// Fills `mask` with 0 (dropped, probability `p`) or 1 (kept): the blog's mask,
/// which it scales separately.
pub fn dropout_mask_01(mask: &mut [f32], p: f32, rng: &mut impl Rng) {
    fill_mask_with(mask, p, 1.0, rng);
}

fn fill_mask_with(mask: &mut [f32], p: f32, keep: f32, rng: &mut impl Rng) {
    // Compare 32 random bits with the threshold, two draws per 64-bit number:
    // a resolution of 2^-32 for p, and half the generator calls. The numbers are
    // drawn a block at a time, then turned into mask values by a branch-free loop
    // the compiler vectorises (the same values, in the same order, as one by one).
    const BLOCK: usize = 64;
    let threshold = (f64::from(p) * 4_294_967_296.0) as u64;
    let mut bits = [0u64; BLOCK];
    let mut chunks = mask.chunks_exact_mut(2 * BLOCK);
    for chunk in &mut chunks {
        bits.iter_mut().for_each(|b| *b = rng.random::<u64>());
        for (pair, &r) in chunk.chunks_exact_mut(2).zip(&bits) {
            pair[0] = if r & 0xffff_ffff < threshold {
                0.0
            } else {
                keep
            };
            pair[1] = if r >> 32 < threshold { 0.0 } else { keep };
        }
    }
    let pick = |bits: u64| if bits < threshold { 0.0 } else { keep };
    let mut pairs = chunks.into_remainder().chunks_exact_mut(2);
    for pair in &mut pairs {
        let r = rng.random::<u64>();
        pair[0] = pick(r & 0xffff_ffff);
        pair[1] = pick(r >> 32);
    }
    if let [last] = pairs.into_remainder() {
        *last = pick(rng.random::<u64>() >> 32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;

    #[test]
    fn mask_drops_about_p_and_scales_the_rest() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let mut mask = vec![0.0; 100_000];
        fill_mask(&mut mask, 0.3, &mut rng);
        let dropped = mask.iter().filter(|&&m| m == 0.0).count() as f64 / 1e5;
        assert!((dropped - 0.3).abs() < 0.01, "{dropped}");
        assert!(
            mask.iter()
                .all(|&m| m == 0.0 || (m - 1.0 / 0.7).abs() < 1e-6)
        );
        let mean = mask.iter().map(|&m| f64::from(m)).sum::<f64>() / 1e5;
        assert!(
            (mean - 1.0).abs() < 0.02,
            "expected value kept at 1, got {mean}"
        );
    }

    #[test]
    fn blocks_draw_the_same_values_as_one_pair_at_a_time() {
        // 300 = two blocks of 128, 22 pairs and one last value.
        let mut mask = vec![0.0; 301];
        fill_mask(&mut mask, 0.4, &mut Xoshiro256PlusPlus::seed_from_u64(9));
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        let threshold = (0.4f64 * 4_294_967_296.0) as u64;
        let keep = 1.0 / 0.6f32;
        let mut want = Vec::new();
        for _ in 0..150 {
            let r = rng.random::<u64>();
            for half in [r & 0xffff_ffff, r >> 32] {
                want.push(if half < threshold { 0.0 } else { keep });
            }
        }
        want.push(if rng.random::<u64>() >> 32 < threshold {
            0.0
        } else {
            keep
        });
        assert_eq!(mask, want);
    }

    #[test]
    fn zero_probability_keeps_everything() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let mut mask = vec![0.0; 1000];
        fill_mask(&mut mask, 0.0, &mut rng);
        assert!(mask.iter().all(|&m| m == 1.0));
    }
}
