//! The post's training loop as a learner would write it: plain loops over plain
//! matrices, `f32::tanh` and `exp`, every quirk named where it happens. It draws
//! the same random numbers in the same order as the fast path (`blog/fast.rs`),
//! which the tests compare with it. Call it with [`train`] (or `--reference`).

use rand::rngs::Xoshiro256PlusPlus;

use super::{Learner, dropout_mask_01};
use crate::nn::Mlp;

/// `W1` (`inputs x hidden`) and `W2` (`hidden x classes`), row-major, no biases,
/// and the normalised training rows.
pub struct Reference {
    w1: Vec<f32>,
    w2: Vec<f32>,
    x: Vec<f32>,
    sizes: [usize; 3],
}

impl Reference {
    /// `x`: the training rows, normalised (`net.inputs()` values each).
    pub fn new(net: &Mlp, x: Vec<f32>) -> Self {
        let sizes = [net.inputs(), net.layers[0].outputs, net.outputs()];
        let (w1, w2) = (net.layers[0].weight.clone(), net.layers[1].weight.clone());
        Reference { w1, w2, x, sizes }
    }
}

impl Learner for Reference {
    fn epoch(&mut self, labels: &[u8], lr: f32, dropout: f32, rng: &mut Xoshiro256PlusPlus) -> f64 {
        let [inputs, hidden, classes] = self.sizes;
        let (w1, w2) = (&mut self.w1, &mut self.w2);
        let mut mask = vec![1.0; hidden];
        let mut sum_sq = 0.0;
        for (x, &label) in self.x.chunks_exact(inputs).zip(labels) {
            if dropout > 0.0 {
                dropout_mask_01(&mut mask, dropout, rng); // 0 (dropped) or 1, per unit
            }
            // h = tanh(x W1) * m / (1 - p): the post's "* 2" for p = 0.5
            let mut h = vec![0.0f32; hidden];
            for j in 0..hidden {
                let z: f32 = (0..inputs).map(|i| x[i] * w1[i * hidden + j]).sum();
                h[j] = z.tanh() * mask[j] / (1.0 - dropout);
            }
            // out = softmax(h W2)
            let mut out: Vec<f32> = (0..classes)
                .map(|k| (0..hidden).map(|j| h[j] * w2[j * classes + k]).sum())
                .collect();
            softmax(&mut out);
            // delta = out - t: the squared error's residual, on the probabilities
            let delta: Vec<f32> = (0..classes)
                .map(|k| out[k] - if k == usize::from(label) { 1.0 } else { 0.0 })
                .collect();
            sum_sq += delta.iter().map(|&d| f64::from(d * d)).sum::<f64>();
            // quirk 1: softmax applied again, to the outputs;
            // quirk 2: only its Jacobian's diagonal s (1 - s) is used
            let mut s = out.clone();
            softmax(&mut s);
            let e: Vec<f32> = (0..classes)
                .map(|k| delta[k] * s[k] * (1.0 - s[k]))
                .collect();
            // quirk 3: tanh' taken at the activated, dropout-scaled h (tanh twice)
            let g1: Vec<f32> = (0..hidden)
                .map(|j| {
                    let back: f32 = (0..classes).map(|k| e[k] * w2[j * classes + k]).sum();
                    back * (1.0 - h[j].tanh().powi(2)) * mask[j]
                })
                .collect();
            // W2 -= lr outer(h, e);  W1 -= lr outer(x, g1)
            for j in 0..hidden {
                for k in 0..classes {
                    w2[j * classes + k] -= lr * h[j] * e[k];
                }
            }
            for i in 0..inputs {
                for j in 0..hidden {
                    w1[i * hidden + j] -= lr * x[i] * g1[j];
                }
            }
        }
        sum_sq
    }

    fn is_finite(&self) -> bool {
        self.w1.iter().chain(&self.w2).all(|w| w.is_finite())
    }

    fn into_mlp(self) -> Mlp {
        super::post_net(self.sizes, self.w1, self.w2)
    }
}

/// `exp(v - max v) / sum exp(v - max v)`: the post's `exp(v) / sum exp(v)`, which
/// overflows for large `v`, computed without overflow.
fn softmax(v: &mut [f32]) {
    let max = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    v.iter_mut().for_each(|x| *x = (*x - max).exp());
    let sum: f32 = v.iter().sum();
    v.iter_mut().for_each(|x| *x /= sum);
}

/// The blog recipe with [`Reference`]'s plain loops (slow: for reading and testing).
pub fn train(
    config: &crate::train::TrainConfig,
    data: &crate::data::Dataset,
    rows: &[usize],
    monitor: &mut impl crate::train::Monitor,
) -> crate::error::Result<crate::train::Trained> {
    super::run(config, data, rows, monitor, |net, prepared| {
        Reference::new(net, prepared.x)
    })
}
