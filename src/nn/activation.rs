//! Activation functions, applied in place to row-major batches.

use serde::{Deserialize, Serialize};

use super::exp::exp_minus_in_place;

/// A layer's non-linearity; its name (in model files, reports) is the variant's in
/// lower case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::Display)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Activation {
    Tanh,
    Relu,
    Sigmoid,
    /// Row-wise softmax; only used on the output layer.
    Softmax,
    Identity,
}

impl Activation {
    /// Applies the function in place to a `rows x width` batch.
    pub fn apply(self, z: &mut [f32], width: usize) {
        match self {
            Activation::Tanh => z.iter_mut().for_each(|v| *v = fast_tanh(*v)),
            Activation::Relu => z.iter_mut().for_each(|v| *v = v.max(0.0)),
            Activation::Sigmoid => z.iter_mut().for_each(|v| *v = 1.0 / (1.0 + (-*v).exp())),
            Activation::Softmax => z.chunks_exact_mut(width).for_each(softmax_in_place),
            Activation::Identity => {}
        }
    }

    /// The layer's whole output step in one pass over each row, which stays in L1:
    /// `z = f(z + bias) * mask` on a `rows x width` batch (`bias` and `mask` may be
    /// empty: no bias, no dropout; `mask` is `rows x width`). Compiled for AVX2 and
    /// AVX-512 as well, chosen at run time. Softmax ignores the mask.
    pub fn apply_fused(self, z: &mut [f32], width: usize, bias: &[f32], mask: &[f32]) {
        crate::simd::run(
            #[inline(always)]
            || {
                for (r, row) in z.chunks_exact_mut(width).enumerate() {
                    if !bias.is_empty() {
                        for (v, &b) in row.iter_mut().zip(bias) {
                            *v += b;
                        }
                    }
                    match self {
                        Activation::Softmax => {
                            softmax_in_place(row);
                            continue;
                        }
                        // Plain loops, not closures: a closure is compiled on its own,
                        // without the vector instructions `simd::run` enables here.
                        Activation::Tanh => {
                            for v in row.iter_mut() {
                                *v = fast_tanh(*v);
                            }
                        }
                        Activation::Relu => {
                            for v in row.iter_mut() {
                                *v = v.max(0.0);
                            }
                        }
                        Activation::Sigmoid => {
                            for v in row.iter_mut() {
                                *v = 1.0 / (1.0 + (-*v).exp());
                            }
                        }
                        Activation::Identity => {}
                    }
                    if let Some(m) = mask.get(r * width..(r + 1) * width) {
                        for (v, &m) in row.iter_mut().zip(m) {
                            *v *= m;
                        }
                    }
                }
            },
        )
    }

    /// The derivative `f'(z)` written in terms of the output `y = f(z)`, which is
    /// all the backward pass keeps. Defined for the element-wise activations.
    #[inline(always)]
    pub fn derivative_at_output(self, y: f32) -> f32 {
        match self {
            Activation::Tanh => 1.0 - y * y,
            Activation::Relu => {
                if y > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Sigmoid => y * (1.0 - y),
            Activation::Identity => 1.0,
            // The Jacobian's diagonal; no hidden layer uses softmax ([`Hidden`] has none).
            Activation::Softmax => y * (1.0 - y),
        }
    }

    /// The weight initialisation that keeps activations' variance steady through
    /// this function: He for ReLU, Glorot for the saturating ones.
    pub fn init_bound(self, inputs: usize, outputs: usize) -> f32 {
        match self {
            Activation::Relu => (6.0 / inputs as f32).sqrt(),
            _ => (6.0 / (inputs + outputs) as f32).sqrt(),
        }
    }
}

/// A hidden layer's non-linearity (`--activation`): an element-wise [`Activation`],
/// never softmax (which belongs to the output layer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::Display)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Hidden {
    Tanh,
    Relu,
    Sigmoid,
}

impl From<Hidden> for Activation {
    fn from(h: Hidden) -> Self {
        match h {
            Hidden::Tanh => Activation::Tanh,
            Hidden::Relu => Activation::Relu,
            Hidden::Sigmoid => Activation::Sigmoid,
        }
    }
}

impl TryFrom<Activation> for Hidden {
    type Error = String;
    fn try_from(a: Activation) -> Result<Self, String> {
        match a {
            Activation::Tanh => Ok(Hidden::Tanh),
            Activation::Relu => Ok(Hidden::Relu),
            Activation::Sigmoid => Ok(Hidden::Sigmoid),
            other => Err(format!("{other} is not a hidden layer's activation")),
        }
    }
}

/// Numerically stable softmax of one row: subtracting the row's maximum keeps
/// `exp` from overflowing and gives exactly the same function. The `exp`s run in
/// vector lanes ([`super::exp`]); the sum goes in order.
#[inline(always)]
pub fn softmax_in_place(row: &mut [f32]) {
    let max = row.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    exp_minus_in_place(row, max);
    let mut sum = 0.0;
    for &v in row.iter() {
        sum += v;
    }
    let inv = 1.0 / sum;
    row.iter_mut().for_each(|v| *v *= inv);
}

/// `tanh` as a rational function (the minimax approximation Eigen uses for
/// `float`): within a few ULP of the true value, and unlike libm's `tanhf` it has
/// no branches, so the compiler vectorises it. It dominates the hidden layer's cost.
/// Horner's steps are fused multiply-adds: half the instructions and the latency,
/// the same bits on every processor (call it where `simd::run` enabled FMA).
#[inline(always)]
pub fn fast_tanh(x: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    const A: [f32; 7] = [
        4.893_524_6e-3,
        6.372_619_3e-4,
        1.485_722_4e-5,
        5.122_297e-8,
        -8.604_672e-11,
        2.000_188e-13,
        -2.760_768_5e-16,
    ];
    const B: [f32; 4] = [4.893_525e-3, 2.268_434_6e-3, 1.185_347_1e-4, 1.198_258_4e-6];
    let x = x.clamp(-CLAMP, CLAMP);
    let x2 = x * x;
    let mut p = A[6];
    for &a in A[..6].iter().rev() {
        p = p.mul_add(x2, a);
    }
    let p = p * x;
    let q = B[3].mul_add(x2, B[2]).mul_add(x2, B[1]).mul_add(x2, B[0]);
    p / q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_tanh_matches_the_library_function() {
        let mut worst = 0.0f32;
        for i in -20_000..=20_000 {
            let x = i as f32 * 1e-3;
            worst = worst.max((fast_tanh(x) - x.tanh()).abs());
        }
        assert!(worst < 5e-7, "worst error {worst}");
        assert_eq!(fast_tanh(100.0), fast_tanh(7.905_311));
        assert!((fast_tanh(100.0) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn softmax_is_stable_for_huge_inputs() {
        let mut row = [1000.0, 1000.0, -1000.0];
        softmax_in_place(&mut row);
        assert_eq!(row, [0.5, 0.5, 0.0]);
    }

    #[test]
    fn softmax_by_hand() {
        // exp(0)=1, exp(ln 3)=3 -> 1/4, 3/4
        let mut row = [0.0, 3f32.ln()];
        softmax_in_place(&mut row);
        assert!((row[0] - 0.25).abs() < 1e-6 && (row[1] - 0.75).abs() < 1e-6);
    }

    #[test]
    fn derivatives_match_finite_differences() {
        for act in [Activation::Tanh, Activation::Relu, Activation::Sigmoid] {
            for &z in &[-1.3f32, -0.2, 0.4, 2.0] {
                let f = |z: f64| -> f64 {
                    let mut v = [z as f32];
                    act.apply(&mut v, 1);
                    f64::from(v[0])
                };
                let h = 1e-2;
                let numeric = (f(f64::from(z) + h) - f(f64::from(z) - h)) / (2.0 * h);
                let mut y = [z];
                act.apply(&mut y, 1);
                let analytic = f64::from(act.derivative_at_output(y[0]));
                assert!(
                    (numeric - analytic).abs() < 1e-3,
                    "{act} at {z}: {numeric} vs {analytic}"
                );
            }
        }
    }

    #[test]
    fn the_fused_pass_equals_bias_then_activation_then_mask() {
        for act in [
            Activation::Tanh,
            Activation::Relu,
            Activation::Sigmoid,
            Activation::Identity,
            Activation::Softmax,
        ] {
            let z: Vec<f32> = (0..60).map(|i| (i as f32 - 30.0) * 0.13).collect();
            let bias: Vec<f32> = (0..20).map(|i| i as f32 * 0.05 - 0.4).collect();
            let mask: Vec<f32> = (0..60)
                .map(|i| if i % 3 == 0 { 0.0 } else { 2.0 })
                .collect();
            let mut fused = z.clone();
            act.apply_fused(&mut fused, 20, &bias, &mask);
            let mut plain = z.clone();
            crate::linalg::add_row(&mut plain, &bias);
            act.apply(&mut plain, 20);
            if act != Activation::Softmax {
                plain.iter_mut().zip(&mask).for_each(|(v, m)| *v *= m);
            }
            assert_eq!(fused, plain, "{act}");
            let mut no_extras = z.clone();
            act.apply_fused(&mut no_extras, 20, &[], &[]);
            let mut plain = z.clone();
            act.apply(&mut plain, 20);
            assert_eq!(no_extras, plain, "{act}");
        }
    }

    #[test]
    fn reports_and_model_files_use_the_same_names() {
        use Activation::*;
        for a in [Tanh, Relu, Sigmoid, Softmax, Identity] {
            assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{a}\""));
        }
        for h in [Hidden::Tanh, Hidden::Relu, Hidden::Sigmoid] {
            assert_eq!(h.to_string(), Activation::from(h).to_string());
            assert_eq!(Hidden::try_from(Activation::from(h)), Ok(h));
        }
        assert_eq!(Tanh.to_string(), "tanh");
        assert!(Hidden::try_from(Softmax).is_err());
    }
}
