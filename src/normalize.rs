//! Input normalisation: `x' = (x - shift) * scale`, per feature.
//!
//! Kept apart from the data so one `f32` copy of a data set serves every recipe,
//! and so a saved model can record exactly how its inputs were prepared.

use serde::{Deserialize, Serialize};

use crate::data::Dataset;

/// Which normalisation the `standard` recipe fits on its training rows (`--normalize`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Normalization {
    /// Per pixel, (x - mean) / std: best for the 8x8 digits.
    ///
    /// [`Normalizer::Standardize`]: the 8x8 digits' few coarse features differ widely
    /// in spread.
    Standardize,
    /// To 0..1, x / pixel_max: MNIST's convention.
    ///
    /// [`Normalizer::Scale`]: it keeps the background exactly 0, so shifted or
    /// distorted images stay valid.
    Scale,
}

impl Normalization {
    /// Fits this normalisation on `rows` of `data`.
    pub fn fit(self, data: &Dataset, rows: &[usize]) -> Normalizer {
        match self {
            Normalization::Standardize => Normalizer::fit_standardize(data, rows),
            Normalization::Scale => Normalizer::Scale {
                pixel_max: data.pixel_max,
            },
        }
    }
}

/// The smallest variance, standard deviation or pixel scale a normaliser divides by: a
/// fitted spread below it is taken as 0 (a pixel that never varies, up to rounding), and
/// a model file with a smaller divisor is refused.
pub const MIN_DIVISOR: f32 = 1e-9;

/// A fitted standard deviation at most this fraction of its mean is rounding, not spread
/// (`f32` values differ by at least about 6e-8 of their size).
const ROUNDING_SPREAD: f64 = 1e-6;

/// How inputs are mapped before they reach the network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Normalizer {
    /// The original post's `(x - mean) / var`, one mean and one variance over every
    /// pixel value of the whole set (test rows included, as the post did). Dividing by
    /// the variance rather than the standard deviation is one of its quirks: on digits
    /// (var about 36) the inputs end up within about +-0.3.
    BlogMeanVar { mean: f32, var: f32 },
    /// Per-feature standardisation `(x - mean) / std` with statistics of the training
    /// rows only. Features that never vary (std 0) are only centred.
    Standardize { mean: Vec<f32>, std: Vec<f32> },
    /// Plain scaling `x / pixel_max` into 0..1 (the usual MNIST convention).
    Scale { pixel_max: f32 },
}

impl Normalizer {
    /// The blog's statistics over all values of `data`.
    pub fn fit_blog(data: &Dataset) -> Self {
        let n = data.pixels.len() as f64;
        let mean = sum_in_lanes(&data.pixels, |x| x) / n;
        let var = sum_in_lanes(&data.pixels, |x| (x - mean) * (x - mean)) / n;
        Normalizer::BlogMeanVar {
            mean: mean as f32,
            var: var as f32,
        }
    }

    /// Per-feature mean and (population) standard deviation over `rows` of `data`.
    pub fn fit_standardize(data: &Dataset, rows: &[usize]) -> Self {
        let f = data.features();
        let mut sum = vec![0f64; f];
        let mut sq = vec![0f64; f];
        for &r in rows {
            for ((s, q), &x) in sum.iter_mut().zip(&mut sq).zip(data.image(r)) {
                *s += f64::from(x);
                *q += f64::from(x) * f64::from(x);
            }
        }
        let n = rows.len().max(1) as f64;
        let mean: Vec<f32> = sum.iter().map(|s| (s / n) as f32).collect();
        let std = sum
            .iter()
            .zip(&sq)
            .map(|(s, q)| {
                let std = (q / n - (s / n).powi(2)).max(0.0).sqrt();
                // Rounding leaves a constant pixel a spread of up to about 1e-7 of its value,
                // far below what f32 pixels can differ by; dividing by it would blow up
                // any other value. Such a pixel never varied: it is only centred.
                let noise = (s / n).abs() * ROUNDING_SPREAD;
                if std <= noise || std < f64::from(MIN_DIVISOR) {
                    0.0
                } else {
                    std as f32
                }
            })
            .collect();
        Normalizer::Standardize { mean, std }
    }

    /// Maps one image `src` into `dst` (same length).
    #[inline(always)]
    pub fn apply(&self, src: &[f32], dst: &mut [f32]) {
        match self {
            Normalizer::BlogMeanVar { mean, var } => {
                for (d, &x) in dst.iter_mut().zip(src) {
                    *d = (x - mean) / var;
                }
            }
            Normalizer::Standardize { mean, std } => {
                for (((d, &x), &m), &s) in dst.iter_mut().zip(src).zip(mean).zip(std) {
                    *d = if s > 0.0 { (x - m) / s } else { x - m };
                }
            }
            Normalizer::Scale { pixel_max } => {
                for (d, &x) in dst.iter_mut().zip(src) {
                    *d = x / pixel_max;
                }
            }
        }
    }

    /// Gathers `rows` of `data` into `dst` (row-major), normalised.
    /// (Compiled for AVX2 and AVX-512 as well: a batch's divisions, 16 at a time.)
    pub fn gather(&self, data: &Dataset, rows: &[usize], dst: &mut [f32]) {
        crate::simd::run(
            #[inline(always)]
            || {
                let f = data.features();
                for (out, &r) in dst.chunks_exact_mut(f).zip(rows) {
                    self.apply(data.image(r), out);
                }
            },
        )
    }

    /// All of `data`, normalised, as one row-major matrix.
    pub fn transform(&self, data: &Dataset) -> Vec<f32> {
        let mut out = vec![0.0; data.pixels.len()];
        for (dst, src) in out
            .chunks_exact_mut(data.features())
            .zip(data.pixels.chunks_exact(data.features()))
        {
            self.apply(src, dst);
        }
        out
    }
}

/// `sum f(x)` over `values` in f64, in eight interleaved partial sums (one
/// sequential sum waits for each add to finish: 4 cycles a value, a quarter of a
/// millisecond over the digits at every start).
fn sum_in_lanes(values: &[f32], f: impl Fn(f64) -> f64) -> f64 {
    let mut lanes = [0.0f64; 8];
    let chunks = values.chunks_exact(8);
    let rest: f64 = chunks.remainder().iter().map(|&x| f(f64::from(x))).sum();
    for chunk in chunks {
        for (lane, &x) in lanes.iter_mut().zip(chunk) {
            *lane += f(f64::from(x));
        }
    }
    lanes.iter().sum::<f64>() + rest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Dataset {
        // Two 1x2 images: [0, 4] and [2, 4].
        Dataset::new("t", vec![0.0, 4.0, 2.0, 4.0], vec![0, 1], (1, 2), 16.0, 2).unwrap()
    }

    #[test]
    fn sums_in_lanes_match_a_plain_sum() {
        // Whole numbers: every f64 sum is exact, whatever the order.
        let values: Vec<f32> = (0..1003).map(|i| (i % 17) as f32).collect();
        let plain: f64 = values.iter().map(|&x| f64::from(x) * 2.0).sum();
        assert_eq!(sum_in_lanes(&values, |x| x * 2.0), plain);
        assert_eq!(sum_in_lanes(&values[..5], |x| x), 10.0);
    }

    #[test]
    fn a_constant_pixel_gets_no_spread_from_rounding() {
        let c = 0.1f32;
        let n = 1000;
        let data = Dataset::new("c", vec![c; n], vec![0; n], (1, 1), 1.0, 1).unwrap();
        // The premise: the sums leave a constant a tiny spread, not 0.
        let (s, q) = (0..n).fold((0f64, 0f64), |(s, q), _| {
            (s + f64::from(c), q + f64::from(c) * f64::from(c))
        });
        let rounded = (q / n as f64 - (s / n as f64).powi(2)).max(0.0).sqrt();
        assert!(rounded > 0.0 && rounded < 1e-7, "{rounded}");
        let rows: Vec<usize> = (0..n).collect();
        match Normalizer::fit_standardize(&data, &rows) {
            Normalizer::Standardize { std, .. } => assert_eq!(std, [0.0]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn blog_statistics_are_over_every_value() {
        // values 0,4,2,4: mean 2.5, population variance (6.25+2.25+0.25+2.25)/4 = 2.75
        let n = Normalizer::fit_blog(&tiny());
        assert_eq!(
            n,
            Normalizer::BlogMeanVar {
                mean: 2.5,
                var: 2.75
            }
        );
        let mut out = [0.0; 2];
        n.apply(&[0.0, 4.0], &mut out);
        assert!((out[0] - (-2.5 / 2.75)).abs() < 1e-6);
    }

    #[test]
    fn scale_maps_the_source_range_to_unit() {
        let n = Normalization::Scale.fit(&tiny(), &[0]);
        assert_eq!(n, Normalizer::Scale { pixel_max: 16.0 });
        let mut out = [0.0; 2];
        n.apply(&[0.0, 4.0], &mut out);
        assert_eq!(out, [0.0, 0.25]);
    }

    #[test]
    fn standardize_uses_only_the_given_rows_and_centres_constant_features() {
        let n = Normalizer::fit_standardize(&tiny(), &[0, 1]);
        let mut out = [0.0; 2];
        n.apply(&[2.0, 5.0], &mut out);
        // feature 0: mean 1, std 1 -> 1; feature 1: constant 4 -> centred only -> 1
        assert_eq!(out, [1.0, 1.0]);
        let only_first = Normalizer::fit_standardize(&tiny(), &[0]);
        only_first.apply(&[2.0, 4.0], &mut out);
        assert_eq!(out, [2.0, 0.0]);
    }
}
