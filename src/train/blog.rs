//! The original post's training loop, reproduced faithfully, quirks included.
//!
//! The post trains a 64-200-10 net (tanh hidden layer, softmax output, no biases,
//! weights uniform in [-1, 1)) one sample at a time with rate 0.1, visiting the
//! training rows in the same order every epoch. Its update is **not** the gradient of
//! any loss; `docs/backprop.md` derives the true one. Per sample, with `x` the input
//! row, `t` the one-hot target and `m` a 0/1 dropout mask:
//!
//! ```text
//! h     = tanh(x W1) * m * 2        hidden activations, dropout with x2 scaling
//! out   = softmax(h W2)
//! delta = out - t                   squared-error residual on the *probabilities*
//! s     = softmax(out)              quirk 1: softmax applied again, to the outputs
//! d2    = s * (1 - s)               quirk 2: only the Jacobian's diagonal...
//! e     = delta * d2                  ...and of the wrong function (softmax of softmax)
//! d1    = (1 - tanh(h)^2) * m       quirk 3: tanh' evaluated at the *activated* (and
//!                                     dropout-scaled) values, i.e. tanh applied twice
//! W2   -= 0.1 * outer(h, e)
//! W1   -= 0.1 * outer(x, (e W2^T) * d1)
//! ```
//!
//! The epoch error is the sum of `delta^2` over the training rows divided by the
//! size of the **whole** data set; training stops once it is at most 0.01 (200
//! epochs at most). With dropout the noisy error rarely gets there, so those runs
//! use all 200 epochs. The post computed `exp(x)/sum(exp(x))`, which overflows;
//! we compute softmax stably (the same function) and report `diverged` if a value
//! ever becomes non-finite.

use std::time::Instant;

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

use super::{EpochStats, Flow, Monitor, Stop, TrainConfig, Trained};
use crate::data::Dataset;
use crate::error::Result;
use crate::nn::{Activation, Init, Mlp, NetSpec, fast_tanh, softmax_in_place};
use crate::normalize::Normalizer;

/// The blog's weights in the layout its per-sample loops want: every inner loop
/// runs over the hidden units, contiguously.
struct BlogNet {
    hidden: usize,
    classes: usize,
    /// `inputs x hidden`.
    w1: Vec<f32>,
    /// `classes x hidden` (W2 transposed).
    w2t: Vec<f32>,
}

/// Per-sample scratch space, allocated once.
struct Scratch {
    h: Vec<f32>,
    mask: Vec<f32>,
    out: Vec<f32>,
    e: Vec<f32>,
    g1: Vec<f32>,
}

/// Runs the blog recipe on `rows` of `data` (see the module docs).
pub fn train(
    config: &TrainConfig,
    data: &Dataset,
    rows: &[usize],
    monitor: &mut impl Monitor,
) -> Result<Trained> {
    let started = Instant::now();
    let normalizer = Normalizer::fit_blog(data);
    let inputs = data.features();
    let mut x = vec![0.0; rows.len() * inputs];
    normalizer.gather(data, rows, &mut x);
    let labels: Vec<u8> = rows.iter().map(|&r| data.labels[r]).collect();

    let mut rng = Xoshiro256PlusPlus::seed_from_u64(config.seed);
    let spec = NetSpec {
        sizes: vec![inputs, config.hidden[0], data.classes],
        activation: Activation::Tanh,
        bias: false,
        init: Init::UnitUniform,
    };
    let mut net = BlogNet::from_mlp(&Mlp::new(&spec, &mut rng)?);
    let mut s = Scratch::new(net.hidden, net.classes);
    let whole_set = data.len() as f64;

    monitor.start(config.epochs, 1);
    let mut history = Vec::new();
    let mut stop = Stop::EpochLimit;
    for epoch in 0..config.epochs {
        let error = net.epoch(&x, &labels, config, &mut s, &mut rng) / whole_set;
        history.push(EpochStats {
            epoch,
            train_loss: error,
            val_loss: None,
            val_accuracy: None,
            lr: config.lr,
            seconds: started.elapsed().as_secs_f64(),
        });
        if !error.is_finite() || !net.is_finite() {
            stop = Stop::Diverged {
                epoch,
                loss: error as f32,
            };
            break;
        }
        if monitor.epoch(&history[epoch]) == Flow::Stop {
            stop = Stop::Interrupted { epoch };
            break;
        }
        if error <= f64::from(config.target_error) {
            stop = Stop::Converged { epoch };
            break;
        }
    }
    Ok(Trained {
        net: net.into_mlp(),
        normalizer,
        kept_epoch: history.len().saturating_sub(1),
        history,
        stop,
        seconds: started.elapsed().as_secs_f64(),
    })
}

impl Scratch {
    fn new(hidden: usize, classes: usize) -> Self {
        Scratch {
            h: vec![0.0; hidden],
            mask: vec![1.0; hidden],
            out: vec![0.0; classes],
            e: vec![0.0; classes],
            g1: vec![0.0; hidden],
        }
    }
}

impl BlogNet {
    fn from_mlp(mlp: &Mlp) -> Self {
        let (l1, l2) = (&mlp.layers[0], &mlp.layers[1]);
        let mut w2t = vec![0.0; l2.weight.len()];
        for i in 0..l2.inputs {
            for k in 0..l2.outputs {
                w2t[k * l2.inputs + i] = l2.weight[i * l2.outputs + k];
            }
        }
        BlogNet {
            hidden: l1.outputs,
            classes: l2.outputs,
            w1: l1.weight.clone(),
            w2t,
        }
    }

    fn into_mlp(self) -> Mlp {
        let mut w2 = vec![0.0; self.w2t.len()];
        for k in 0..self.classes {
            for i in 0..self.hidden {
                w2[i * self.classes + k] = self.w2t[k * self.hidden + i];
            }
        }
        let layer = |inputs, outputs, weight, activation| crate::nn::Dense {
            inputs,
            outputs,
            weight,
            bias: Vec::new(),
            activation,
        };
        let inputs = self.w1.len() / self.hidden;
        Mlp {
            layers: vec![
                layer(inputs, self.hidden, self.w1, Activation::Tanh),
                layer(self.hidden, self.classes, w2, Activation::Softmax),
            ],
        }
    }

    fn is_finite(&self) -> bool {
        self.w1.iter().chain(&self.w2t).all(|w| w.is_finite())
    }

    /// One pass over every row in order; returns the summed squared error.
    fn epoch(
        &mut self,
        x: &[f32],
        labels: &[u8],
        cfg: &TrainConfig,
        s: &mut Scratch,
        rng: &mut Xoshiro256PlusPlus,
    ) -> f64 {
        let net = self;
        crate::simd::dispatch!(fn(net: &mut BlogNet, x: &[f32], labels: &[u8], cfg: &TrainConfig, s: &mut Scratch, rng: &mut Xoshiro256PlusPlus) -> f64 {
            let inputs = x.len() / labels.len().max(1);
            let mut rows = x.chunks_exact(inputs).zip(labels).peekable();
            // The first row's pre-activation; later ones are computed while updating W1.
            s.h.fill(0.0);
            if let Some((first, _)) = rows.peek() {
                for (&xi, w_row) in first.iter().zip(net.w1.chunks_exact(net.hidden)) {
                    axpy(xi, w_row, &mut s.h);
                }
            }
            let mut sum_sq = 0.0;
            while let Some((row, &label)) = rows.next() {
                let next = rows.peek().map(|(r, _)| *r);
                sum_sq += net.step(row, label, next, cfg, s, rng);
            }
            sum_sq
        })
    }

    /// Forward pass and update on one sample whose pre-activation `x W1` is already in
    /// `s.h`; returns its summed squared error. While W1 is updated row by row, the
    /// next sample's pre-activation is accumulated from the updated rows: one pass over
    /// W1 instead of two, and exactly the numbers of doing them one after the other.
    #[inline(always)]
    fn step(
        &mut self,
        x: &[f32],
        label: u8,
        next: Option<&[f32]>,
        cfg: &TrainConfig,
        s: &mut Scratch,
        rng: &mut Xoshiro256PlusPlus,
    ) -> f64 {
        let hidden = self.hidden;
        // h = tanh(x W1) * m * 1/(1-p)
        s.h.iter_mut().for_each(|v| *v = fast_tanh(*v));
        if cfg.dropout > 0.0 {
            crate::nn::dropout_mask_01(&mut s.mask, cfg.dropout, rng);
            let keep = 1.0 / (1.0 - cfg.dropout);
            s.h.iter_mut()
                .zip(&s.mask)
                .for_each(|(h, m)| *h *= m * keep);
        }
        // out = softmax(h W2)
        for (o, w) in s.out.iter_mut().zip(self.w2t.chunks_exact(hidden)) {
            *o = dot(w, &s.h);
        }
        softmax_in_place(&mut s.out);
        // delta = out - t; e = delta * s(1-s) with s = softmax(out) (quirks 1 and 2)
        let mut sum_sq = 0.0f64;
        s.e.copy_from_slice(&s.out);
        softmax_in_place(&mut s.e);
        for (k, (e, &o)) in s.e.iter_mut().zip(&s.out).enumerate() {
            let delta = o - if k == usize::from(label) { 1.0 } else { 0.0 };
            sum_sq += f64::from(delta * delta);
            *e = delta * *e * (1.0 - *e);
        }
        // g1 = (e W2^T) * (1 - tanh(h)^2) * m   (quirk 3: tanh applied again to h)
        s.g1.fill(0.0);
        for (&ek, w) in s.e.iter().zip(self.w2t.chunks_exact(hidden)) {
            axpy(ek, w, &mut s.g1);
        }
        for ((g, &h), &m) in s.g1.iter_mut().zip(&s.h).zip(&s.mask) {
            let t = fast_tanh(h);
            *g *= (1.0 - t * t) * m;
        }
        // W2 -= lr outer(h, e)
        for (&ek, w) in s.e.iter().zip(self.w2t.chunks_exact_mut(hidden)) {
            axpy(-cfg.lr * ek, &s.h, w);
        }
        // W1 -= lr outer(x, g1), fused with the next row's x W1.
        s.h.fill(0.0);
        let rows = self.w1.chunks_exact_mut(hidden).zip(x);
        match next {
            Some(next) => {
                for ((w, &xi), &xn) in rows.zip(next) {
                    axpy(-cfg.lr * xi, &s.g1, w);
                    axpy(xn, w, &mut s.h);
                }
            }
            None => rows.for_each(|(w, &xi)| axpy(-cfg.lr * xi, &s.g1, w)),
        }
        sum_sq
    }
}

/// `y += a x`, with fused multiply-adds: one rounding instead of two, and the
/// same result on every processor (where the hardware lacks FMA, libm computes it
/// exactly, slowly; every x86-64 processor since 2013 and every aarch64 one has it).
#[inline(always)]
fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y = a.mul_add(x, *y);
    }
}

/// `x . y`, in eight independent lanes so the compiler may vectorise it
/// (a plain sum has a serial dependency it may not reorder).
#[inline(always)]
fn dot(x: &[f32], y: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
    let tail: f32 = xc
        .remainder()
        .iter()
        .zip(yc.remainder())
        .map(|(a, b)| a * b)
        .sum();
    for (a, b) in xc.zip(yc) {
        for i in 0..8 {
            acc[i] = a[i].mul_add(b[i], acc[i]);
        }
    }
    acc.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{Gradients, Workspace};
    use rand::RngExt;

    /// A small blog net (no biases, weights in [-1, 1)) and one sample.
    fn setup() -> (Mlp, Vec<f32>, u8) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let spec = NetSpec {
            sizes: vec![6, 9, 4],
            activation: Activation::Tanh,
            bias: false,
            init: Init::UnitUniform,
        };
        let net = Mlp::new(&spec, &mut rng).unwrap();
        let x = (0..6).map(|_| rng.random_range(-0.5..0.5)).collect();
        (net, x, 2)
    }

    /// The blog's weight change for one sample with rate 1 and no dropout.
    fn blog_update(net: &Mlp, x: &[f32], label: u8) -> Mlp {
        let mut b = BlogNet::from_mlp(net);
        let mut s = Scratch::new(b.hidden, b.classes);
        let cfg = TrainConfig {
            lr: 1.0,
            dropout: 0.0,
            ..TrainConfig::blog()
        };
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
        b.epoch(x, &[label], &cfg, &mut s, &mut rng);
        let after = b.into_mlp();
        let mut step = after.clone();
        for (d, (a, before)) in step
            .layers
            .iter_mut()
            .zip(after.layers.iter().zip(&net.layers))
        {
            for (w, (wa, wb)) in d.weight.iter_mut().zip(a.weight.iter().zip(&before.weight)) {
                *w = wb - wa; // the step taken: W_before - W_after = lr * "gradient"
            }
        }
        step
    }

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        let n = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
        dot / (n(a) * n(b))
    }

    #[test]
    fn blog_update_is_not_the_gradient_of_its_loss() {
        let (net, x, label) = setup();
        let step = blog_update(&net, &x, label);
        // The true gradient of the squared error 1/2 |softmax(z) - t|^2 the blog
        // evaluates, by central differences.
        let sq_error = |n: &Mlp| -> f64 {
            let p = n.predict_proba(&x);
            p.iter()
                .enumerate()
                .map(|(k, &p)| {
                    (f64::from(p) - if k == usize::from(label) { 1.0 } else { 0.0 }).powi(2)
                })
                .sum::<f64>()
                / 2.0
        };
        let mut true_w2 = vec![0.0f32; net.layers[1].weight.len()];
        for (i, g) in true_w2.iter_mut().enumerate() {
            let (mut plus, mut minus) = (net.clone(), net.clone());
            plus.layers[1].weight[i] += 1e-3;
            minus.layers[1].weight[i] -= 1e-3;
            *g = ((sq_error(&plus) - sq_error(&minus)) / 2e-3) as f32;
        }
        let blog_w2 = &step.layers[1].weight;
        // Same general direction on the output layer, but not the gradient: the
        // diagonal softmax-of-softmax derivative rescales every class differently.
        let ratios: Vec<f32> = blog_w2.iter().zip(&true_w2).map(|(b, t)| b / t).collect();
        let spread = ratios.iter().cloned().fold(f32::MIN, f32::max)
            - ratios.iter().cloned().fold(f32::MAX, f32::min);
        assert!(
            spread > 0.1,
            "blog step proportional to the gradient: ratios {ratios:?}"
        );
        assert!(cosine(blog_w2, &true_w2) < 0.999);
    }

    #[test]
    fn blog_hidden_update_differs_from_backpropagation() {
        let (net, x, label) = setup();
        let step = blog_update(&net, &x, label);
        // Cross-entropy gradient by backpropagation (the standard recipe's) for comparison.
        let mut ws = Workspace::new(&net, 1);
        let mut grads = Gradients::zeros_like(&net);
        net.forward(&x, 1, &mut ws);
        net.backward(&x, &[label], &mut ws, &mut grads);
        let c = cosine(&step.layers[0].weight, &grads.weight[0]);
        assert!(c < 0.99, "cosine {c}");
    }

    #[test]
    fn bit_for_bit_reproducible_with_the_same_seed() {
        let data = crate::data::digits::load().unwrap();
        let rows: Vec<usize> = (0..300).collect();
        let cfg = TrainConfig {
            epochs: 3,
            ..TrainConfig::blog()
        };
        let a = train(&cfg, &data, &rows, &mut crate::train::Silent).unwrap();
        let b = train(&cfg, &data, &rows, &mut crate::train::Silent).unwrap();
        assert_eq!(a.net, b.net);
        let c = train(
            &TrainConfig { seed: 1, ..cfg },
            &data,
            &rows,
            &mut crate::train::Silent,
        )
        .unwrap();
        assert_ne!(a.net, c.net);
    }
}
