//! Optimizers and learning-rate schedules for the `standard` recipe.

use serde::Serialize;

use crate::nn::{Gradients, Mlp};

/// Which update rule to use (`--optimizer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// Plain gradient steps, w -= lr * g.
    Sgd,
    /// Heavy-ball momentum 0.9.
    Momentum,
    /// Nesterov's look-ahead momentum 0.9.
    Nesterov,
    /// Adam (Kingma and Ba, 2015): beta1 0.9, beta2 0.999, eps 1e-8.
    Adam,
}

const MOMENTUM: f32 = 0.9;
const BETA1: f32 = 0.9;
const BETA2: f32 = 0.999;
const EPS: f32 = 1e-8;

/// An optimizer's state: one buffer (two for Adam) per parameter tensor.
#[derive(Clone, Debug)]
pub struct Optimizer {
    kind: OptimizerKind,
    first: Vec<Vec<f32>>,
    second: Vec<Vec<f32>>,
    steps: i32,
}

impl Optimizer {
    /// Fresh state for `net`'s parameters.
    pub fn new(kind: OptimizerKind, net: &Mlp) -> Self {
        let zeros = || -> Vec<Vec<f32>> {
            net.layers
                .iter()
                .flat_map(|l| [vec![0.0; l.weight.len()], vec![0.0; l.bias.len()]])
                .collect()
        };
        Optimizer {
            kind,
            first: if kind == OptimizerKind::Sgd {
                Vec::new()
            } else {
                zeros()
            },
            second: if kind == OptimizerKind::Adam {
                zeros()
            } else {
                Vec::new()
            },
            steps: 0,
        }
    }

    /// One update of every parameter. L2 `weight_decay` is added to the weights'
    /// gradients (not the biases'), as `torch.optim`'s `weight_decay` does.
    pub fn step(&mut self, net: &mut Mlp, grads: &Gradients, lr: f32, weight_decay: f32) {
        self.steps = self.steps.saturating_add(1);
        let params = net
            .layers
            .iter_mut()
            .zip(grads.weight.iter().zip(&grads.bias))
            .flat_map(|(layer, (gw, gb))| {
                [
                    (&mut layer.weight, gw, weight_decay),
                    (&mut layer.bias, gb, 0.0),
                ]
            });
        for (i, (w, g, decay)) in params.enumerate() {
            let (first, second) = (self.first.get_mut(i), self.second.get_mut(i));
            update(self.kind, self.steps, w, g, decay, lr, first, second);
        }
    }
}

/// One parameter tensor's update (see [`OptimizerKind`]); compiled for AVX2 and
/// AVX-512 as well, chosen at run time.
#[allow(clippy::too_many_arguments)]
fn update(
    kind: OptimizerKind,
    steps: i32,
    w: &mut [f32],
    g: &[f32],
    decay: f32,
    lr: f32,
    first: Option<&mut Vec<f32>>,
    second: Option<&mut Vec<f32>>,
) {
    let (first, second) = (
        first.map_or(&mut [][..], |v| &mut v[..]),
        second.map_or(&mut [][..], |v| &mut v[..]),
    );
    crate::simd::run(
        #[inline(always)]
        || match kind {
            OptimizerKind::Sgd => {
                for (w, &g) in w.iter_mut().zip(g) {
                    *w -= lr * (g + decay * *w);
                }
            }
            OptimizerKind::Momentum | OptimizerKind::Nesterov => {
                let nesterov = kind == OptimizerKind::Nesterov;
                for ((w, &g), v) in w.iter_mut().zip(g).zip(first) {
                    let g = g + decay * *w;
                    *v = MOMENTUM * *v + g;
                    *w -= lr * if nesterov { g + MOMENTUM * *v } else { *v };
                }
            }
            OptimizerKind::Adam => {
                let c1 = 1.0 / (1.0 - BETA1.powi(steps));
                let c2 = 1.0 / (1.0 - BETA2.powi(steps));
                for (((w, &g), m), v) in w.iter_mut().zip(g).zip(first).zip(second) {
                    let g = g + decay * *w;
                    *m = BETA1 * *m + (1.0 - BETA1) * g;
                    *v = BETA2 * *v + (1.0 - BETA2) * g * g;
                    *w -= lr * (*m * c1) / ((*v * c2).sqrt() + EPS);
                }
            }
        },
    )
}

/// Scales each unit's incoming weight vector (a column of `W`) down to norm `c`
/// when it is longer (Srebro et al.; used with dropout by Hinton et al. 2012).
pub fn apply_max_norm(net: &mut Mlp, c: f32) {
    for layer in &mut net.layers {
        let cols = layer.outputs;
        for j in 0..cols {
            let norm = layer.weight[j..]
                .iter()
                .step_by(cols)
                .map(|w| w * w)
                .sum::<f32>()
                .sqrt();
            if norm > c {
                let s = c / norm;
                layer.weight[j..]
                    .iter_mut()
                    .step_by(cols)
                    .for_each(|w| *w *= s);
            }
        }
    }
}

/// How the learning rate changes over epochs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    Constant,
    /// Multiply by `gamma` every `every` epochs.
    Step {
        every: usize,
        gamma: f32,
    },
    /// Half a cosine from the base rate down to zero over the run.
    Cosine,
}

impl Schedule {
    /// The rate for 0-based `epoch` of `total`.
    pub fn rate(self, base: f32, epoch: usize, total: usize) -> f32 {
        match self {
            Schedule::Constant => base,
            Schedule::Step { every, gamma } => base * gamma.powi((epoch / every.max(1)) as i32),
            Schedule::Cosine => {
                let t = epoch as f32 / total.max(1) as f32;
                base * 0.5 * (1.0 + (std::f32::consts::PI * t).cos())
            }
        }
    }

    /// `--schedule step`: the rate times 0.3 every 30 epochs.
    pub const STEP: Schedule = Schedule::Step {
        every: 30,
        gamma: 0.3,
    };
}

/// `--schedule constant|step|cosine`, with [`Schedule::STEP`] for `step`.
#[cfg(feature = "cli")]
impl clap::ValueEnum for Schedule {
    fn value_variants<'a>() -> &'a [Self] {
        &[Schedule::Constant, Schedule::STEP, Schedule::Cosine]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let (name, help) = match self {
            Schedule::Constant => ("constant", "The same rate throughout"),
            Schedule::Step { .. } => ("step", "The rate times 0.3 every 30 epochs"),
            Schedule::Cosine => ("cosine", "Half a cosine from the rate down to zero"),
        };
        Some(clap::builder::PossibleValue::new(name).help(help))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{Activation, Dense};

    fn one_weight(w: f32) -> Mlp {
        Mlp {
            layers: vec![Dense {
                inputs: 1,
                outputs: 1,
                weight: vec![w],
                bias: vec![0.0],
                activation: Activation::Softmax,
            }],
        }
    }

    fn grad(g: f32) -> Gradients {
        Gradients {
            weight: vec![vec![g]],
            bias: vec![vec![0.0]],
        }
    }

    #[test]
    fn sgd_and_weight_decay_by_hand() {
        let mut net = one_weight(1.0);
        Optimizer::new(OptimizerKind::Sgd, &net).step(&mut net, &grad(0.5), 0.1, 0.1);
        // 1 - 0.1 * (0.5 + 0.1 * 1) = 0.94
        assert!((net.layers[0].weight[0] - 0.94).abs() < 1e-6);
    }

    #[test]
    fn momentum_accumulates() {
        let mut net = one_weight(0.0);
        let mut opt = Optimizer::new(OptimizerKind::Momentum, &net);
        opt.step(&mut net, &grad(1.0), 0.1, 0.0); // v=1, w=-0.1
        opt.step(&mut net, &grad(1.0), 0.1, 0.0); // v=1.9, w=-0.29
        assert!((net.layers[0].weight[0] + 0.29).abs() < 1e-6);
        let mut net = one_weight(0.0);
        let mut opt = Optimizer::new(OptimizerKind::Nesterov, &net);
        opt.step(&mut net, &grad(1.0), 0.1, 0.0); // v=1, w=-0.1*(1+0.9)=-0.19
        assert!((net.layers[0].weight[0] + 0.19).abs() < 1e-6);
    }

    #[test]
    fn adam_first_step_moves_by_the_learning_rate() {
        // With bias correction the first step is lr * g/|g| whatever g's size.
        for g in [1e-3, 5.0] {
            let mut net = one_weight(0.0);
            Optimizer::new(OptimizerKind::Adam, &net).step(&mut net, &grad(g), 0.01, 0.0);
            assert!((net.layers[0].weight[0] + 0.01).abs() < 1e-5);
        }
    }

    #[test]
    fn max_norm_clips_columns_only_when_longer() {
        let mut net = Mlp {
            layers: vec![Dense {
                inputs: 2,
                outputs: 2,
                weight: vec![3.0, 0.1, 4.0, 0.1], // column 0 = (3,4), norm 5; column 1 small
                bias: vec![],
                activation: Activation::Softmax,
            }],
        };
        apply_max_norm(&mut net, 1.0);
        let w = &net.layers[0].weight;
        assert!((w[0] - 0.6).abs() < 1e-6 && (w[2] - 0.8).abs() < 1e-6);
        assert_eq!((w[1], w[3]), (0.1, 0.1));
    }

    #[test]
    fn schedules() {
        assert_eq!(Schedule::Constant.rate(0.1, 50, 100), 0.1);
        let step = Schedule::Step {
            every: 10,
            gamma: 0.5,
        };
        assert_eq!(step.rate(1.0, 25, 100), 0.25);
        assert!((Schedule::Cosine.rate(1.0, 50, 100) - 0.5).abs() < 1e-6);
        assert_eq!(Schedule::Cosine.rate(1.0, 0, 100), 1.0);
    }
}
