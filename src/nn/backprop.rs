//! Forward and backward passes on a mini-batch, with buffers reused across batches.
//!
//! The maths, in matrix form, is written out in `docs/backprop.md`; each step below
//! names the equation it implements.

use rand::Rng;

use super::dropout::{Dropout, fill_mask};
use super::{Activation, Mlp};
use crate::linalg::{
    Op, SPARSE_BELOW, SparseRows, column_sums, gemm, sparse_times_dense,
    sparse_transpose_times_dense,
};

/// Per-batch buffers, sized once for the largest batch and reused, so the hot
/// loop allocates nothing.
#[derive(Clone, Debug)]
pub struct Workspace {
    capacity: usize,
    /// The input after input dropout (unused when input dropout is off).
    input: Vec<f32>,
    input_mask: Vec<f32>,
    /// Each layer's output after its activation and dropout: `n x out_l`.
    outs: Vec<Vec<f32>>,
    /// Each hidden layer's dropout mask (0 or 1/(1-p)), empty when off.
    masks: Vec<Vec<f32>>,
    /// dLoss/dZ for each layer's pre-activation `Z = X W + b`.
    deltas: Vec<Vec<f32>>,
    /// The first layer's input as lists of its nonzero entries, when the last
    /// forward pass found it mostly zeros (see [`crate::linalg::SparseRows`]).
    sparse_input: SparseRows,
    input_is_sparse: bool,
    /// Threads for the sparse products (the GEMM crate has its own count: see
    /// [`crate::linalg::set_threads`]).
    threads: usize,
}

impl Workspace {
    /// Buffers for batches of up to `capacity` rows through `net`, whose products run
    /// on [`crate::linalg::threads`] threads (see [`Workspace::with_threads`]).
    pub fn new(net: &Mlp, capacity: usize) -> Self {
        let per_layer = |l: &super::Dense| vec![0.0; capacity * l.outputs];
        Workspace {
            capacity,
            input: Vec::new(),
            input_mask: Vec::new(),
            outs: net.layers.iter().map(per_layer).collect(),
            masks: net.layers.iter().map(|_| Vec::new()).collect(),
            deltas: net.layers.iter().map(per_layer).collect(),
            sparse_input: SparseRows::default(),
            input_is_sparse: false,
            threads: crate::linalg::threads(),
        }
    }

    /// The same buffers, with products on `threads` threads (at least one). Results
    /// are the same bits for any number.
    pub fn with_threads(self, threads: usize) -> Self {
        Workspace {
            threads: threads.max(1),
            ..self
        }
    }

    /// The largest batch these buffers hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

/// Gradients of the loss with respect to every weight and bias, shaped like the net.
#[derive(Clone, Debug, PartialEq)]
pub struct Gradients {
    pub weight: Vec<Vec<f32>>,
    pub bias: Vec<Vec<f32>>,
}

impl Gradients {
    /// Zero gradients shaped like `net`.
    pub fn zeros_like(net: &Mlp) -> Self {
        Gradients {
            weight: net
                .layers
                .iter()
                .map(|l| vec![0.0; l.weight.len()])
                .collect(),
            bias: net.layers.iter().map(|l| vec![0.0; l.bias.len()]).collect(),
        }
    }
}

impl Mlp {
    /// Inference forward pass on `n` rows of `x`; returns the `n x classes`
    /// probabilities, which live in `ws`.
    pub fn forward<'w>(&self, x: &[f32], n: usize, ws: &'w mut Workspace) -> &'w [f32] {
        self.forward_impl(
            x,
            n,
            ws,
            Dropout::NONE,
            None::<&mut rand::rngs::Xoshiro256PlusPlus>,
        );
        let last = self.layers.len() - 1;
        &ws.outs[last][..n * self.outputs()]
    }

    /// Training forward pass: as [`Mlp::forward`], with fresh dropout masks drawn
    /// from `rng`. Call [`Mlp::backward`] next with the same `x` and `ws`.
    pub fn forward_train(
        &self,
        x: &[f32],
        n: usize,
        ws: &mut Workspace,
        dropout: Dropout,
        rng: &mut impl Rng,
    ) {
        self.forward_impl(x, n, ws, dropout, Some(rng));
    }

    fn forward_impl(
        &self,
        x: &[f32],
        n: usize,
        ws: &mut Workspace,
        dropout: Dropout,
        rng: Option<&mut impl Rng>,
    ) {
        assert!(
            n <= ws.capacity,
            "batch of {n} rows exceeds the workspace's {}",
            ws.capacity
        );
        assert_eq!(x.len(), n * self.inputs(), "input is not n x inputs");
        let last = self.layers.len() - 1;
        let Some(rng) = rng else {
            ws.masks.iter_mut().for_each(Vec::clear);
            ws.input_mask.clear();
            return self.forward_layers(x, n, ws, false);
        };
        // Draw masks for this batch: input (eq. D0) and each hidden layer (eq. D).
        if dropout.input > 0.0 {
            ws.input_mask.resize(n * self.inputs(), 0.0);
            fill_mask(&mut ws.input_mask, dropout.input, rng);
            ws.input.clear();
            ws.input
                .extend(x.iter().zip(&ws.input_mask).map(|(a, m)| a * m));
        } else {
            ws.input_mask.clear();
        }
        for (l, layer) in self.layers.iter().enumerate() {
            let mask = &mut ws.masks[l];
            if l < last && dropout.hidden > 0.0 {
                mask.resize(n * layer.outputs, 0.0);
                fill_mask(mask, dropout.hidden, rng);
            } else {
                mask.clear();
            }
        }
        if ws.input_mask.is_empty() {
            self.forward_layers(x, n, ws, true);
        } else {
            let input = std::mem::take(&mut ws.input);
            self.forward_layers(&input, n, ws, true);
            ws.input = input;
        }
    }

    /// Eq. F: `Y_l = f(Y_{l-1} W_l + b_l) * M_l` layer by layer (masks as stored in `ws`).
    fn forward_layers(&self, x: &[f32], n: usize, ws: &mut Workspace, use_masks: bool) {
        let threads = ws.threads;
        // A batch of mostly-zero inputs (raw images) takes the sparse product.
        ws.input_is_sparse = n > 1
            && ws
                .sparse_input
                .gather_if_sparse(x, n, self.inputs(), SPARSE_BELOW);
        for (l, layer) in self.layers.iter().enumerate() {
            let (before, rest) = ws.outs.split_at_mut(l);
            let input: &[f32] = if l == 0 {
                x
            } else {
                &before[l - 1][..n * layer.inputs]
            };
            let out = &mut rest[0][..n * layer.outputs];
            let sparse = (l == 0 && ws.input_is_sparse).then_some(&mut ws.sparse_input);
            layer_product(input, sparse, n, layer, out, threads);
            let mask: &[f32] = if use_masks { &ws.masks[l] } else { &[] };
            layer
                .activation
                .apply_fused(out, layer.outputs, &layer.bias, mask);
        }
    }

    /// Backward pass for the mean cross-entropy of the softmax outputs against
    /// `labels`, after a forward pass on the same `x` and `ws`. Writes the gradients
    /// into `grads` and returns the batch's mean loss.
    pub fn backward(
        &self,
        x: &[f32],
        labels: &[u8],
        ws: &mut Workspace,
        grads: &mut Gradients,
    ) -> f32 {
        let n = labels.len();
        let last = self.layers.len() - 1;
        let classes = self.outputs();
        let threads = ws.threads;
        // Eq. L and eq. B1: loss, and dL/dZ_out = (P - onehot(y)) / n.
        let mut loss = 0.0f64;
        let delta = &mut ws.deltas[last][..n * classes];
        delta.copy_from_slice(&ws.outs[last][..n * classes]);
        for (row, &y) in delta.chunks_exact_mut(classes).zip(labels) {
            let p = row[usize::from(y)];
            loss -= f64::from(p.max(f32::MIN_POSITIVE).ln());
            row[usize::from(y)] -= 1.0;
        }
        let inv_n = 1.0 / n as f32;
        delta.iter_mut().for_each(|d| *d *= inv_n);

        let input_dropped = !ws.input_mask.is_empty();
        for l in (0..=last).rev() {
            let layer = &self.layers[l];
            let (lower, upper) = ws.deltas.split_at_mut(l);
            let delta = &upper[0][..n * layer.outputs];
            let input: &[f32] = match l {
                0 if input_dropped => &ws.input[..n * layer.inputs],
                0 => x,
                _ => &ws.outs[l - 1][..n * layer.inputs],
            };
            // Eq. B2: dL/dW = X^T delta, dL/db = column sums of delta.
            let sparse = if l == 0 && ws.input_is_sparse {
                ws.sparse_input.list_columns(input);
                Some(&ws.sparse_input)
            } else {
                None
            };
            weight_gradient(input, sparse, delta, layer, &mut grads.weight[l], threads);
            if layer.has_bias() {
                column_sums(delta, &mut grads.bias[l]);
            }
            if l == 0 {
                break;
            }
            // Eq. B3: delta_{l-1} = (delta W^T) * M * f'(A), A = Y / M where kept.
            let below = &mut lower[l - 1][..n * layer.inputs];
            gemm(
                n,
                layer.outputs,
                layer.inputs,
                delta,
                Op::N,
                &layer.weight,
                Op::T,
                0.0,
                below,
            );
            let act = self.layers[l - 1].activation;
            scale_by_local_derivative(below, input, &ws.masks[l - 1], act);
        }
        (loss / n as f64) as f32
    }
}

/// `out = input W` for `n` rows: the sparse product on `threads` threads when the input
/// was listed as mostly zeros (`sparse`), the dense GEMM otherwise.
fn layer_product(
    input: &[f32],
    sparse: Option<&mut SparseRows>,
    n: usize,
    layer: &super::Dense,
    out: &mut [f32],
    threads: usize,
) {
    let (k, m) = (layer.inputs, layer.outputs);
    match sparse {
        Some(rows) => sparse_times_dense(rows, input, &layer.weight, m, out, threads),
        None => gemm(n, k, m, input, Op::N, &layer.weight, Op::N, 0.0, out),
    }
}

/// `grad = input^T delta`: the sparse product on `threads` threads when the input was
/// listed as mostly zeros (`sparse`, with its columns listed), the dense GEMM otherwise.
fn weight_gradient(
    input: &[f32],
    sparse: Option<&SparseRows>,
    delta: &[f32],
    layer: &super::Dense,
    grad: &mut [f32],
    threads: usize,
) {
    let (k, m) = (layer.inputs, layer.outputs);
    match sparse {
        Some(rows) => sparse_transpose_times_dense(rows, delta, m, grad, threads),
        None => gemm(k, delta.len() / m, m, input, Op::T, delta, Op::N, 0.0, grad),
    }
}

/// Multiplies each upstream gradient by `m * f'(y/m)` (0 where the unit was dropped),
/// where `y` is the unit's dropped-and-scaled output and `m` its mask value.
/// Compiled for AVX2 and AVX-512 as well, chosen at run time.
fn scale_by_local_derivative(delta: &mut [f32], outputs: &[f32], mask: &[f32], act: Activation) {
    if act == Activation::Relu {
        return relu_local_derivative(delta, outputs, mask);
    }
    crate::simd::run(
        #[inline(always)]
        || scale_loop(delta, outputs, mask, act),
    )
}

#[inline(always)]
fn scale_loop(delta: &mut [f32], outputs: &[f32], mask: &[f32], act: Activation) {
    if mask.is_empty() {
        for (d, &y) in delta.iter_mut().zip(outputs) {
            *d *= act.derivative_at_output(y);
        }
    } else {
        // Computed for every unit and then selected: a dropped unit (m = 0) gives
        // 0/0 here, discarded, and no branch that half the units mispredict.
        for ((d, &y), &m) in delta.iter_mut().zip(outputs).zip(mask) {
            let kept = *d * m * act.derivative_at_output(y / m);
            *d = if m == 0.0 { 0.0 } else { kept };
        }
    }
}

/// The ReLU case of [`scale_by_local_derivative`], branch-free so it vectorises
/// (compiled for AVX2 and AVX-512 as well):
/// a unit passes its gradient (times its mask value) exactly when its output is
/// positive, and a dropped unit's output is 0, so no division is needed.
fn relu_local_derivative(delta: &mut [f32], outputs: &[f32], mask: &[f32]) {
    crate::simd::run(
        #[inline(always)]
        || {
            if mask.is_empty() {
                for (d, &y) in delta.iter_mut().zip(outputs) {
                    *d = if y > 0.0 { *d } else { 0.0 };
                }
            } else {
                for ((d, &y), &m) in delta.iter_mut().zip(outputs).zip(mask) {
                    *d = if y > 0.0 { *d * m } else { 0.0 };
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relu_shortcut_matches_the_general_rule() {
        // Outputs of dropped units are 0; kept ones are relu(z) * m with m = 1/(1-p).
        let z = [-1.0f32, 0.5, 2.0, -0.1, 3.0, 0.0];
        let mask = [2.0f32, 0.0, 2.0, 2.0, 2.0, 0.0];
        let outputs: Vec<f32> = z.iter().zip(&mask).map(|(z, m)| z.max(0.0) * m).collect();
        let upstream = [0.3f32, -0.7, 1.1, 0.9, -2.0, 0.4];
        for mask in [&mask[..], &[]] {
            let outputs = if mask.is_empty() {
                z.map(|z| z.max(0.0)).to_vec()
            } else {
                outputs.clone()
            };
            let mut fast = upstream.to_vec();
            relu_local_derivative(&mut fast, &outputs, mask);
            let general: Vec<f32> = (0..z.len())
                .map(|i| {
                    let m = mask.get(i).copied().unwrap_or(1.0);
                    if m == 0.0 {
                        0.0
                    } else {
                        upstream[i] * m * Activation::Relu.derivative_at_output(outputs[i] / m)
                    }
                })
                .collect();
            assert_eq!(fast, general);
        }
    }

    #[test]
    fn a_large_sparse_batch_gives_the_gradients_of_its_two_halves() {
        // 600 rows take the grouped forward product and list their rows only for
        // the gradient; 300 rows take the row-by-row path. The mean loss's gradient
        // over 600 rows is the mean of the two halves' gradients.
        use rand::SeedableRng;
        let spec = crate::nn::NetSpec {
            sizes: vec![40, 12, 3],
            activation: Activation::Tanh,
            bias: true,
            init: crate::nn::Init::Scaled,
        };
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(3);
        let net = Mlp::new(&spec, &mut rng).expect("a small net");
        let rows = 2 * 300;
        assert!(rows >= crate::linalg::GROUPED_FROM_ROWS && 300 < crate::linalg::GROUPED_FROM_ROWS);
        let x: Vec<f32> = (0..rows * 40)
            .map(|q| {
                if (q * 7919) % 10 < 2 {
                    (q % 13) as f32 / 13.0
                } else {
                    0.0
                }
            })
            .collect();
        let labels: Vec<u8> = (0..rows).map(|i| (i % 3) as u8).collect();
        let gradients = |x: &[f32], labels: &[u8]| {
            let mut ws = Workspace::new(&net, labels.len());
            let mut grads = Gradients::zeros_like(&net);
            net.forward_train(x, labels.len(), &mut ws, Dropout::NONE, &mut rng.clone());
            assert!(ws.input_is_sparse);
            net.backward(x, labels, &mut ws, &mut grads);
            grads
        };
        let whole = gradients(&x, &labels);
        let first = gradients(&x[..300 * 40], &labels[..300]);
        let second = gradients(&x[300 * 40..], &labels[300..]);
        for l in 0..2 {
            for (i, &w) in whole.weight[l].iter().enumerate() {
                let halves = (first.weight[l][i] + second.weight[l][i]) / 2.0;
                assert!(
                    (w - halves).abs() < 1e-6,
                    "layer {l}, weight {i}: {w} vs {halves}"
                );
            }
        }
    }
}
