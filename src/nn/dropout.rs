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

/// Fills `mask` with 0 (dropped, probability `p`) or `keep`, drawing the same
/// random numbers as [`fill_mask`] whatever `keep` is.
#[inline(always)]
pub(crate) fn fill_mask_with(mask: &mut [f32], p: f32, keep: f32, rng: &mut impl Rng) {
    // Compare 32 random bits with the threshold, two draws per 64-bit number:
    // a resolution of 2^-32 for p, and half the generator calls. The numbers are
    // drawn a block at a time so that the comparisons run as one vectorised loop.
    // The numbers go into a local array before any mask value is written: a write
    // into `mask` might alias the generator's state as far as the compiler knows, so
    // interleaved with the draws it would store and reload that state at every draw.
    let threshold = (f64::from(p) * 4_294_967_296.0) as u64 as u32;
    let pick = |bits: u32| if bits < threshold { 0.0 } else { keep };
    let mut draws = [0u64; MASK_BLOCK / 2];
    for block in mask.chunks_mut(MASK_BLOCK) {
        let drawn = &mut draws[..block.len().div_ceil(2)];
        drawn.iter_mut().for_each(|d| *d = rng.random::<u64>());
        let mut pairs = block.chunks_exact_mut(2);
        for (pair, &r) in (&mut pairs).zip(drawn.iter()) {
            pair[0] = pick(r as u32);
            pair[1] = pick((r >> 32) as u32);
        }
        // An odd last value takes the high half of one more number.
        if let ([last], Some(&r)) = (pairs.into_remainder(), drawn.last()) {
            *last = pick((r >> 32) as u32);
        }
    }
}

/// Mask values filled per block of random draws (even, so pairs never straddle blocks).
const MASK_BLOCK: usize = 256;

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
    fn masks_are_the_documented_sequence_of_draws() {
        // Value 2i takes the low 32 bits of draw i, value 2i+1 the high ones; an odd
        // last value the high bits of one more draw, whatever the mask's length.
        for len in [1, 7, 256, 600, 513] {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
            let mut mask = vec![0.0; len];
            fill_mask(&mut mask, 0.4, &mut rng);
            let mut reference = Xoshiro256PlusPlus::seed_from_u64(9);
            let threshold = (0.4f64 * 4_294_967_296.0) as u64;
            let mut expected = Vec::new();
            while expected.len() + 1 < len {
                let r = reference.random::<u64>();
                expected.extend([r & 0xffff_ffff, r >> 32]);
            }
            if expected.len() < len {
                expected.push(reference.random::<u64>() >> 32);
            }
            let expected: Vec<f32> = expected
                .iter()
                .map(|&b| if b < threshold { 0.0 } else { 1.0 / 0.6 })
                .collect();
            assert_eq!(mask, expected, "length {len}");
            assert_eq!(rng.random::<u64>(), reference.random::<u64>());
        }
    }

    #[test]
    fn zero_probability_keeps_everything() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let mut mask = vec![0.0; 1000];
        fill_mask(&mut mask, 0.0, &mut rng);
        assert!(mask.iter().all(|&m| m == 1.0));
    }
}
