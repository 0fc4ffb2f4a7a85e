//! Activation functions, applied in place to row-major batches.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A layer's non-linearity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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

    /// The derivative `f'(z)` written in terms of the output `y = f(z)`, which is
    /// all the backward pass keeps. Defined for the element-wise activations.
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
            Activation::Softmax => unreachable!("softmax has no element-wise derivative"),
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

    /// Name as written on the command line and in model files.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Softmax => "softmax",
            Activation::Identity => "identity",
        }
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Activation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "tanh" => Ok(Activation::Tanh),
            "relu" => Ok(Activation::Relu),
            "sigmoid" => Ok(Activation::Sigmoid),
            "softmax" => Ok(Activation::Softmax),
            "identity" => Ok(Activation::Identity),
            _ => Err(format!(
                "unknown activation '{s}', which should be one of tanh, relu, sigmoid"
            )),
        }
    }
}

/// Numerically stable softmax of one row: subtracting the row's maximum keeps
/// `exp` from overflowing and gives exactly the same function.
pub fn softmax_in_place(row: &mut [f32]) {
    let max = row.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in row.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    let inv = 1.0 / sum;
    row.iter_mut().for_each(|v| *v *= inv);
}

/// `tanh` as a rational function (the minimax approximation Eigen uses for
/// `float`): within a few ULP of the true value, and unlike libm's `tanhf` it has
/// no branches, so the compiler vectorises it. It dominates the hidden layer's cost.
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
        p = p * x2 + a;
    }
    let p = p * x;
    let q = ((B[3] * x2 + B[2]) * x2 + B[1]) * x2 + B[0];
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
    fn names_round_trip() {
        for a in [Activation::Tanh, Activation::Relu, Activation::Sigmoid] {
            assert_eq!(a.name().parse::<Activation>().unwrap(), a);
        }
        assert!(
            "swish"
                .parse::<Activation>()
                .unwrap_err()
                .contains("tanh, relu, sigmoid")
        );
    }
}
