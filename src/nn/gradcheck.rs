//! Backpropagation checked against central finite differences, for every hidden
//! activation, one and two hidden layers, with and without biases, and with dropout
//! (input and hidden) under a fixed mask: re-seeding the generator before each
//! forward pass draws the same masks, so the loss is a deterministic function of
//! the weights.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

use super::{Activation, Dropout, Gradients, Init, Mlp, NetSpec, Workspace};

const ROWS: usize = 4;
const MASK_SEED: u64 = 99;

/// Mean cross-entropy of `net` on `x`, `labels`, with the masks drawn from `MASK_SEED`.
fn loss(net: &Mlp, x: &[f32], labels: &[u8], dropout: Dropout) -> f64 {
    let mut ws = Workspace::new(net, ROWS);
    let mut grads = Gradients::zeros_like(net);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(MASK_SEED);
    net.forward_train(x, ROWS, &mut ws, dropout, &mut rng);
    f64::from(net.backward(x, labels, &mut ws, &mut grads))
}

/// Analytic gradients under the same masks.
fn analytic(net: &Mlp, x: &[f32], labels: &[u8], dropout: Dropout) -> Gradients {
    let mut ws = Workspace::new(net, ROWS);
    let mut grads = Gradients::zeros_like(net);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(MASK_SEED);
    net.forward_train(x, ROWS, &mut ws, dropout, &mut rng);
    net.backward(x, labels, &mut ws, &mut grads);
    grads
}

/// Which parameter tensor of layer `l`.
#[derive(Clone, Copy, Debug)]
enum Tensor {
    Weight,
    Bias,
}

fn param(net: &mut Mlp, l: usize, t: Tensor) -> &mut Vec<f32> {
    match t {
        Tensor::Weight => &mut net.layers[l].weight,
        Tensor::Bias => &mut net.layers[l].bias,
    }
}

/// `(dL/dp)` by central differences in f32 weights, loss accumulated in f64.
fn numeric(
    net: &Mlp,
    x: &[f32],
    labels: &[u8],
    dropout: Dropout,
    l: usize,
    t: Tensor,
    i: usize,
) -> f64 {
    let h = 1e-3f32;
    let mut plus = net.clone();
    param(&mut plus, l, t)[i] += h;
    let mut minus = net.clone();
    param(&mut minus, l, t)[i] -= h;
    let step = f64::from(param(&mut plus, l, t)[i]) - f64::from(param(&mut minus, l, t)[i]);
    (loss(&plus, x, labels, dropout) - loss(&minus, x, labels, dropout)) / step
}

/// Compares every parameter's analytic gradient with finite differences.
fn check(sizes: &[usize], activation: Activation, bias: bool, dropout: Dropout) {
    check_inputs(sizes, activation, bias, dropout, false);
}

/// As [`check`]; with `mostly_zero`, three inputs in four are exactly 0, as in a raw
/// image, so the first layer takes the sparse products (`crate::linalg::SparseRows`).
fn check_inputs(
    sizes: &[usize],
    activation: Activation,
    bias: bool,
    dropout: Dropout,
    mostly_zero: bool,
) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let spec = NetSpec {
        sizes: sizes.to_vec(),
        activation,
        bias,
        init: Init::Scaled,
    };
    let mut net = Mlp::new(&spec, &mut rng).unwrap();
    for layer in &mut net.layers {
        // Non-zero biases, so their gradients are exercised away from zero.
        layer
            .bias
            .iter_mut()
            .for_each(|b| *b = rng.random_range(-0.5..0.5));
    }
    let x: Vec<f32> = (0..ROWS * sizes[0])
        .map(|i| rng.random_range(-1.0..1.0) * f32::from(!mostly_zero || i % 4 == 0))
        .collect();
    let classes = sizes[sizes.len() - 1];
    let labels: Vec<u8> = (0..ROWS).map(|r| (r % classes) as u8).collect();
    let grads = analytic(&net, &x, &labels, dropout);
    let mut worst = 0.0f64;
    for l in 0..net.layers.len() {
        for (t, g) in [
            (Tensor::Weight, &grads.weight[l]),
            (Tensor::Bias, &grads.bias[l]),
        ] {
            for (i, &a) in g.iter().enumerate() {
                let n = numeric(&net, &x, &labels, dropout, l, t, i);
                let err = (f64::from(a) - n).abs();
                assert!(
                    err <= 5e-4 + 1e-2 * n.abs(),
                    "{activation} {sizes:?} bias={bias} {dropout:?}: layer {l} {t:?}[{i}] \
                        analytic {a} numeric {n}"
                );
                worst = worst.max(err);
            }
        }
    }
    assert!(worst.is_finite());
}

#[test]
fn one_hidden_layer_every_activation() {
    for act in [Activation::Tanh, Activation::Relu, Activation::Sigmoid] {
        check(&[5, 7, 3], act, true, Dropout::NONE);
    }
}

#[test]
fn two_hidden_layers_every_activation() {
    for act in [Activation::Tanh, Activation::Relu, Activation::Sigmoid] {
        check(&[4, 6, 5, 3], act, true, Dropout::NONE);
    }
}

#[test]
fn without_biases() {
    check(&[5, 7, 3], Activation::Tanh, false, Dropout::NONE);
}

#[test]
fn hidden_dropout_with_a_fixed_mask() {
    let dropout = Dropout {
        input: 0.0,
        hidden: 0.4,
    };
    for act in [Activation::Tanh, Activation::Relu, Activation::Sigmoid] {
        check(&[5, 8, 6, 3], act, true, dropout);
    }
}

#[test]
fn input_and_hidden_dropout_with_a_fixed_mask() {
    check(
        &[6, 8, 3],
        Activation::Tanh,
        true,
        Dropout {
            input: 0.3,
            hidden: 0.5,
        },
    );
}

#[test]
fn mostly_zero_inputs_through_the_sparse_products() {
    let hidden = Dropout {
        input: 0.0,
        hidden: 0.5,
    };
    for act in [Activation::Tanh, Activation::Relu] {
        check_inputs(&[12, 9, 3], act, true, hidden, true);
    }
    let both = Dropout {
        input: 0.3,
        hidden: 0.5,
    };
    check_inputs(&[12, 9, 4, 3], Activation::Relu, true, both, true);
}

#[test]
fn the_check_catches_a_wrong_gradient() {
    // Guard against a check that passes everything: a gradient off by a sign in one
    // entry must be flagged by the same comparison the tests use.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let spec = NetSpec {
        sizes: vec![3, 4, 2],
        activation: Activation::Tanh,
        bias: true,
        init: Init::Scaled,
    };
    let net = Mlp::new(&spec, &mut rng).unwrap();
    let x: Vec<f32> = (0..ROWS * 3).map(|_| rng.random_range(-1.0..1.0)).collect();
    let labels = [0, 1, 0, 1];
    let grads = analytic(&net, &x, &labels, Dropout::NONE);
    let (i, &a) = grads.weight[0]
        .iter()
        .enumerate()
        .max_by(|p, q| p.1.abs().total_cmp(&q.1.abs()))
        .unwrap();
    let n = numeric(&net, &x, &labels, Dropout::NONE, 0, Tensor::Weight, i);
    assert!((f64::from(a) - n).abs() <= 5e-4 + 1e-2 * n.abs());
    assert!(
        (f64::from(-a) - n).abs() > 5e-4 + 1e-2 * n.abs(),
        "a flipped sign went unnoticed"
    );
}
