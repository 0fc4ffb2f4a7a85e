//! The network: fully connected layers on row-major batches, forward and backward.
//!
//! No I/O here. Shapes: a batch is `n x inputs`; layer `l` maps `n x in_l` to
//! `n x out_l` as `Y = f(X W + b)` with `W` stored `in_l x out_l` row-major.

mod activation;
mod backprop;
mod dropout;
mod exp;
#[cfg(test)]
mod gradcheck;

pub use activation::{Activation, Hidden, fast_tanh, softmax_in_place};
pub use backprop::{Gradients, Workspace};
pub use dropout::Dropout;
pub(crate) use dropout::fill_mask_with;
pub use exp::exp_f32;

use rand::{Rng, RngExt};

use crate::error::{Error, Result};

/// One fully connected layer `Y = f(X W + b)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense {
    pub inputs: usize,
    pub outputs: usize,
    /// `inputs x outputs`, row-major: column `j` holds unit `j`'s incoming weights.
    pub weight: Vec<f32>,
    /// One bias per unit, or empty for a layer without biases (the blog's net).
    pub bias: Vec<f32>,
    pub activation: Activation,
}

impl Dense {
    /// Whether this layer has biases.
    pub fn has_bias(&self) -> bool {
        !self.bias.is_empty()
    }
}

/// How to initialise the weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Init {
    /// Glorot (tanh, sigmoid) or He (ReLU) uniform, as the activation suits.
    Scaled,
    /// Uniform in [-1, 1), whatever the layer size: the original post's choice.
    UnitUniform,
}

/// The shape of a network: sizes from input to output, and its hidden activation.
#[derive(Clone, Debug, PartialEq)]
pub struct NetSpec {
    /// Input size, hidden sizes..., output size.
    pub sizes: Vec<usize>,
    /// The activation of every hidden layer (the output is always softmax).
    pub activation: Activation,
    pub bias: bool,
    pub init: Init,
}

/// Rows per forward pass when predicting (no gradients kept, so larger is fine).
pub const PREDICT_BATCH: usize = 1024;

/// The largest layer we agree to allocate: refuses absurd sizes before allocating.
pub const MAX_LAYER_PARAMETERS: usize = 1 << 28;

/// The most weights a network may hold in all (128 MiB of f32; training keeps about four
/// copies: weights, gradients and the optimizer's state). MNIST's 784-200-10 holds 159,010.
pub const MAX_NETWORK_PARAMETERS: usize = 1 << 25;

impl NetSpec {
    /// Checks sizes before any allocation.
    pub fn validate(&self) -> Result<()> {
        if self.sizes.len() < 2 || self.sizes.contains(&0) {
            return Err(Error::config(format!(
                "invalid layer sizes {:?}: every layer needs at least one unit",
                self.sizes
            )));
        }
        for w in self.sizes.windows(2) {
            if w[0].saturating_mul(w[1]) > MAX_LAYER_PARAMETERS {
                return Err(Error::config(format!(
                    "a {} x {} layer is too large (at most {} weights per layer)",
                    w[0], w[1], MAX_LAYER_PARAMETERS
                )));
            }
        }
        let total = self
            .sizes
            .windows(2)
            .fold(0usize, |t, w| t.saturating_add(w[0].saturating_mul(w[1])));
        if total > MAX_NETWORK_PARAMETERS {
            return Err(Error::config(format!(
                "layers {:?} hold {total} weights, more than the {MAX_NETWORK_PARAMETERS} allowed; \
                 give smaller --hidden sizes",
                self.sizes
            )));
        }
        Ok(())
    }
}

/// A multi-layer perceptron with a softmax output.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    pub layers: Vec<Dense>,
}

impl Mlp {
    /// A freshly initialised network of shape `spec`.
    pub fn new(spec: &NetSpec, rng: &mut impl Rng) -> Result<Self> {
        spec.validate()?;
        let last = spec.sizes.len() - 2;
        let layers = spec
            .sizes
            .windows(2)
            .enumerate()
            .map(|(l, w)| {
                let activation = if l == last {
                    Activation::Softmax
                } else {
                    spec.activation
                };
                let bound = match spec.init {
                    Init::UnitUniform => 1.0,
                    Init::Scaled => spec.activation.init_bound(w[0], w[1]),
                };
                Dense {
                    inputs: w[0],
                    outputs: w[1],
                    weight: (0..w[0] * w[1])
                        .map(|_| rng.random_range(-bound..bound))
                        .collect(),
                    bias: if spec.bias {
                        vec![0.0; w[1]]
                    } else {
                        Vec::new()
                    },
                    activation,
                }
            })
            .collect();
        Ok(Mlp { layers })
    }

    /// Size of one input row.
    pub fn inputs(&self) -> usize {
        self.layers[0].inputs
    }

    /// Number of classes.
    pub fn outputs(&self) -> usize {
        self.layers[self.layers.len() - 1].outputs
    }

    /// Sizes from input to output, e.g. `[64, 200, 10]`.
    pub fn sizes(&self) -> Vec<usize> {
        std::iter::once(self.inputs())
            .chain(self.layers.iter().map(|l| l.outputs))
            .collect()
    }

    /// Total number of weights and biases.
    pub fn parameter_count(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.weight.len() + l.bias.len())
            .sum()
    }

    /// Class probabilities for every row of `x` (inference: no dropout).
    pub fn predict_proba(&self, x: &[f32]) -> Vec<f32> {
        let n = x.len() / self.inputs();
        let mut ws = Workspace::new(self, n.clamp(1, PREDICT_BATCH));
        self.predict_rows(x, &mut ws)
    }

    /// Class probabilities for every row of the row-major `x`, in batches of at
    /// most [`PREDICT_BATCH`] rows that fit `ws` (its buffers are reused).
    pub fn predict_rows(&self, x: &[f32], ws: &mut Workspace) -> Vec<f32> {
        let features = self.inputs();
        let mut probs = Vec::with_capacity(x.len() / features * self.outputs());
        let step = ws.capacity().clamp(1, PREDICT_BATCH);
        for chunk in x.chunks(step * features) {
            probs.extend_from_slice(self.forward(chunk, chunk.len() / features, ws));
        }
        probs
    }

    /// Whether every weight and bias is a finite number.
    pub fn is_finite(&self) -> bool {
        self.layers
            .iter()
            .all(|l| l.weight.iter().chain(&l.bias).all(|v| v.is_finite()))
    }
}

/// Index of the largest value in `row` (the first one on ties).
pub fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;

    fn spec(sizes: &[usize]) -> NetSpec {
        NetSpec {
            sizes: sizes.to_vec(),
            activation: Activation::Tanh,
            bias: true,
            init: Init::Scaled,
        }
    }

    #[test]
    fn shapes_and_initial_ranges() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
        let net = Mlp::new(&spec(&[64, 200, 10]), &mut rng).unwrap();
        assert_eq!(net.sizes(), [64, 200, 10]);
        assert_eq!(net.parameter_count(), 64 * 200 + 200 + 200 * 10 + 10);
        let bound = (6.0f32 / 264.0).sqrt();
        assert!(net.layers[0].weight.iter().all(|w| w.abs() <= bound));
        assert_eq!(net.layers[1].activation, Activation::Softmax);
    }

    #[test]
    fn absurd_sizes_are_refused_before_allocating() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
        assert!(Mlp::new(&spec(&[784, 1_000_000_000, 10]), &mut rng).is_err());
        assert!(Mlp::new(&spec(&[64, 0, 10]), &mut rng).is_err());
    }

    #[test]
    fn argmax_takes_the_first_maximum() {
        assert_eq!(argmax(&[0.1, 0.7, 0.7, 0.2]), 1);
    }

    #[test]
    fn forward_by_hand() {
        // One input, one tanh unit with weight ln(3)/2... choose values whose result is known:
        // h = tanh(0) = 0 with bias 0; logits = [0 * w + b] = [ln 1, ln 3] -> softmax [1/4, 3/4].
        let net = Mlp {
            layers: vec![
                Dense {
                    inputs: 1,
                    outputs: 1,
                    weight: vec![2.0],
                    bias: vec![-2.0],
                    activation: Activation::Tanh,
                },
                Dense {
                    inputs: 1,
                    outputs: 2,
                    weight: vec![5.0, -5.0],
                    bias: vec![0.0, 3f32.ln()],
                    activation: Activation::Softmax,
                },
            ],
        };
        let p = net.predict_proba(&[1.0]);
        assert!(
            (p[0] - 0.25).abs() < 1e-6 && (p[1] - 0.75).abs() < 1e-6,
            "{p:?}"
        );
    }
}
