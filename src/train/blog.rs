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
//!
//! Speed: a step touches only the rows of `W1` at the sample's non-background
//! pixels (`inputs`, `part`) in one fused pass (`sweep`). Two threads can
//! train the hidden layer's two fixed halves side by side, exchanging ten partial
//! logits per sample (`exchange`); the results are the same bits with one thread
//! or two.

mod exchange;
mod inputs;
mod output;
mod padded;
mod part;
mod sweep;

use std::time::Instant;

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

use super::{EpochStats, Flow, Monitor, Stop, TrainConfig, Trained};
use crate::data::Dataset;
use crate::error::Result;
use crate::nn::{Activation, Dense, Init, Mlp, NetSpec};
use crate::normalize::Normalizer;
use exchange::{Exchange, SLOT_VALUES};
use inputs::Inputs;
use output::output_error;
use part::{Part, draw_mask, first_part_width};

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
    let x = Inputs::new(x, inputs, background(&normalizer, inputs));
    let labels: Vec<u8> = rows.iter().map(|&r| data.labels[r]).collect();

    let mut rng = Xoshiro256PlusPlus::seed_from_u64(config.seed);
    let spec = NetSpec {
        sizes: vec![inputs, config.hidden[0], data.classes],
        activation: Activation::Tanh,
        bias: false,
        init: Init::UnitUniform,
    };
    let mut net = BlogNet::from_mlp(&Mlp::new(&spec, &mut rng)?);
    let whole_set = data.len() as f64;

    monitor.start(config.epochs, 1);
    let mut history = Vec::new();
    let mut stop = Stop::EpochLimit;
    let two_threads_can_pay = || exchange::fast_round_trips(PROBE_ROUNDS, PROBE_LIMIT);
    let mut pace = Pace::new(config.threads >= 2 && net.splits_in_two() && two_threads_can_pay());
    for epoch in 0..config.epochs {
        let threads = pace.threads(epoch);
        let epoch_started = Instant::now();
        let (sum_sq, both_ran) = net.epoch(&x, &labels, config, threads, pace.budget(), &mut rng);
        let error = sum_sq / whole_set;
        let seconds = epoch_started.elapsed().as_secs_f64();
        pace.record(
            epoch,
            threads,
            if threads == 1 || both_ran {
                seconds
            } else {
                f64::INFINITY
            },
        );
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

/// The value a background (zero) pixel takes once normalised: the blog's
/// normalisation maps every pixel value the same way, so all of them hold it.
fn background(normalizer: &Normalizer, inputs: usize) -> f32 {
    let mut row = vec![0.0; inputs];
    normalizer.apply(&vec![0.0; inputs], &mut row);
    row.first().copied().unwrap_or(0.0)
}

/// Round trips the two-thread probe times, and the most each may take. A sample
/// costs about 1.1 us on one thread here; two threads wait for each other once per
/// sample, so they can win only where a round trip is a small part of that. Cores
/// of one machine answer in 100-200 ns; the virtual machine of docs/performance.md
/// takes 0.5-5 us, where every timing trial was lost, at half an epoch each.
const PROBE_ROUNDS: usize = 32;
const PROBE_LIMIT: std::time::Duration = std::time::Duration::from_nanos(300);

/// Chooses one thread or two for each epoch by timing both. The results are the
/// same bits either way, so only speed decides: two threads in lockstep (an exchange
/// per sample) can be faster where cores exchange a cache line quickly, and are
/// many times slower when other processes keep taking one of the two cores (on the
/// virtual machine of docs/performance.md they lose even when it is idle; there a
/// probe of the cores' round trips, [`exchange::fast_round_trips`], keeps the run on
/// one thread from the start). Epoch 0 runs on one thread, epoch 1 on two; then the faster one runs, and the other is
/// tried again later: 2 epochs after a trial it won, 16 after the first it lost,
/// and sixteen times longer after each further loss (a lost trial still costs a
/// third of an epoch, measured, and a run that converges in 14 epochs should pay
/// for one). Two threads that fall behind one thread's last epoch time hand the
/// rest of the epoch to one thread.
struct Pace {
    allowed: bool,
    /// The last epoch's seconds on one thread and on two.
    last: [f64; 2],
    next_trial: usize,
    interval: usize,
}

impl Pace {
    fn new(allowed: bool) -> Self {
        Pace {
            allowed,
            last: [f64::INFINITY; 2],
            next_trial: 1,
            interval: 1,
        }
    }

    /// What two threads may spend on an epoch: what one thread took last.
    fn budget(&self) -> Option<f64> {
        Some(self.last[0]).filter(|t| t.is_finite())
    }

    fn faster(&self) -> usize {
        if self.last[1] < self.last[0] { 2 } else { 1 }
    }

    /// Threads for 0-based `epoch`.
    fn threads(&self, epoch: usize) -> usize {
        match epoch {
            _ if !self.allowed => 1,
            0 => 1,
            1 => 2,
            e if e == self.next_trial => 3 - self.faster(),
            _ => self.faster(),
        }
    }

    /// Notes that `epoch` took `seconds` on `threads` threads.
    fn record(&mut self, epoch: usize, threads: usize, seconds: f64) {
        self.last[threads.clamp(1, 2) - 1] = seconds;
        if epoch == self.next_trial {
            if self.faster() != threads {
                self.interval *= 16;
            }
            self.next_trial = epoch + self.interval.max(2);
        }
    }
}

/// The blog's net: its hidden layer as one [`Part`], cut in two for two threads.
struct BlogNet {
    inputs: usize,
    hidden: usize,
    classes: usize,
    whole: Part,
    /// Hidden units of the first of the two parts (all of them: no split).
    first: usize,
}

impl BlogNet {
    fn from_mlp(mlp: &Mlp) -> Self {
        let (l1, l2) = (&mlp.layers[0], &mlp.layers[1]);
        let hidden = l1.outputs;
        let first = first_part_width(hidden);
        let mut whole = Part::cut(&l1.weight, &l2.weight, hidden, 0, hidden);
        whole.split_logits_at(first);
        BlogNet {
            inputs: l1.inputs,
            hidden,
            classes: l2.outputs,
            whole,
            first,
        }
    }

    fn into_mlp(self) -> Mlp {
        let mut w1 = vec![0.0; self.inputs * self.hidden];
        let mut w2 = vec![0.0; self.hidden * self.classes];
        self.whole.paste(&mut w1, &mut w2, self.hidden);
        let layer = |inputs, outputs, weight, activation| Dense {
            inputs,
            outputs,
            weight,
            bias: Vec::new(),
            activation,
        };
        Mlp {
            layers: vec![
                layer(self.inputs, self.hidden, w1, Activation::Tanh),
                layer(self.hidden, self.classes, w2, Activation::Softmax),
            ],
        }
    }

    fn is_finite(&self) -> bool {
        self.whole.is_finite()
    }

    /// Whether two threads can share the work (two parts, logits that fit a slot).
    fn splits_in_two(&self) -> bool {
        self.first < self.hidden && self.classes <= SLOT_VALUES
    }

    /// One pass over every row in order; returns the summed squared error and
    /// whether two threads did the whole epoch. With two threads each part runs on
    /// its own thread; if they fall behind `budget` (seconds for the whole epoch,
    /// prorated) they stop at a sample and one thread does the rest.
    fn epoch(
        &mut self,
        x: &Inputs,
        labels: &[u8],
        cfg: &TrainConfig,
        threads: usize,
        budget: Option<f64>,
        rng: &mut Xoshiro256PlusPlus,
    ) -> (f64, bool) {
        if labels.is_empty() {
            return (0.0, false);
        }
        let (mut from, mut sum_sq) = (0, 0.0);
        let threaded = threads >= 2 && self.splits_in_two();
        if threaded {
            let mut halves = self.whole.halves(self.first);
            (sum_sq, from) = self.epoch_two_threads(&mut halves, x, labels, cfg, budget, rng);
            self.whole = Part::join(halves);
        }
        let sum_sq = one_thread(&mut self.whole, x, labels, cfg, rng, from, sum_sq);
        (sum_sq, threaded && from == labels.len())
    }

    /// The epoch on two threads, one part each, until the end or until they fall
    /// behind `budget`; returns the summed squared error so far and the first
    /// sample not done.
    fn epoch_two_threads(
        &self,
        [first, second]: &mut [Part; 2],
        x: &Inputs,
        labels: &[u8],
        cfg: &TrainConfig,
        budget: Option<f64>,
        rng: &mut Xoshiro256PlusPlus,
    ) -> (f64, usize) {
        let (hidden, classes) = (self.hidden, self.classes);
        let exchange = Exchange::default();
        let mut rng_copy = rng.clone();
        let ctx = |me, budget| Thread {
            me,
            x,
            labels,
            cfg,
            exchange: &exchange,
            hidden,
            classes,
            budget,
        };
        let (theirs, mine) = (ctx(1, None), ctx(0, budget));
        std::thread::scope(|scope| {
            let other = scope.spawn(|| part_thread(second, &theirs, &mut rng_copy));
            let done = part_thread(first, &mine, rng);
            other.join().expect("the second half's thread panicked");
            done
        })
    }
}

/// What a part's thread needs besides its part and generator.
struct Thread<'a> {
    /// 0 or 1; thread 0 keeps the time.
    me: usize,
    x: &'a Inputs,
    labels: &'a [u8],
    cfg: &'a TrainConfig,
    exchange: &'a Exchange,
    hidden: usize,
    classes: usize,
    /// Seconds the whole epoch may take (thread 0 only).
    budget: Option<f64>,
}

/// Grace before two threads that are behind their budget give up, as a fraction
/// of the budget: a lost trial then costs about this much of one epoch (a fixed
/// millisecond cost a third of an epoch of the 64-200-10 net, trial after trial).
const SLACK: f64 = 0.05;

/// Samples between two looks at the clock. When the other core is taken, a sample
/// can take 20 us instead of 1.3 (measured on the machine of docs/performance.md):
/// every 32 samples let a lost trial run on for over half a millisecond first.
const CHECK_EVERY: usize = 4;

/// [`epoch_one_thread`] compiled for the best vector instructions available.
fn one_thread(
    net: &mut Part,
    x: &Inputs,
    labels: &[u8],
    cfg: &TrainConfig,
    rng: &mut Xoshiro256PlusPlus,
    from: usize,
    sum_sq: f64,
) -> f64 {
    crate::simd::dispatch!(fn(net: &mut Part, x: &Inputs, labels: &[u8], cfg: &TrainConfig, rng: &mut Xoshiro256PlusPlus, from: usize, sum_sq: f64) -> f64 {
        epoch_one_thread(net, x, labels, cfg, rng, from, sum_sq)
    })
}

/// The whole layer on this thread, from sample `from` on, adding to `sum_sq` (the
/// summed squared error of the samples before).
#[inline(always)]
fn epoch_one_thread(
    net: &mut Part,
    x: &Inputs,
    labels: &[u8],
    cfg: &TrainConfig,
    rng: &mut Xoshiro256PlusPlus,
    from: usize,
    mut sum_sq: f64,
) -> f64 {
    let classes = net.w2t.len() / net.width;
    let mut mask = vec![1.0; net.width];
    let mut logits = vec![0.0; classes];
    let mut e = vec![0.0; classes];
    let keep = 1.0 / (1.0 - cfg.dropout);
    for (i, &label) in labels.iter().enumerate().skip(from) {
        if i == 0 {
            net.start(x);
        }
        draw_mask(&mut mask, cfg.dropout, rng);
        let m = part_mask(&mask, net, cfg.dropout);
        net.partial_logits(m.map(|m| (m, keep)), &mut logits);
        sum_sq += output_error(&mut logits, label, &mut e);
        net.update(&e, m, cfg.lr, x, i);
    }
    sum_sq
}

/// One part on its own thread, exchanging partial logits with the other part's
/// thread at every sample. Both threads compute the output error from the same sum,
/// so both apply the same update. Thread 0 checks the time every [`CHECK_EVERY`]
/// samples and asks both to stop when they are behind the budget. Returns the summed squared error
/// and the first sample not done.
fn part_thread(part: &mut Part, t: &Thread<'_>, rng: &mut Xoshiro256PlusPlus) -> (f64, usize) {
    crate::simd::dispatch!(fn(part: &mut Part, t: &Thread<'_>, rng: &mut Xoshiro256PlusPlus) -> (f64, usize) {
        let started = Instant::now();
        let mut mask = vec![1.0; t.hidden];
        let mut mine = vec![0.0; t.classes];
        let mut theirs = vec![0.0; t.classes];
        let mut e = vec![0.0; t.classes];
        let keep = 1.0 / (1.0 - t.cfg.dropout);
        let mut sum_sq = 0.0;
        let (x, n) = (t.x, t.labels.len());
        for (i, &label) in t.labels.iter().enumerate() {
            if t.exchange.stopped(i) {
                return (sum_sq, i);
            }
            if let Some(budget) = t.budget.filter(|_| i % CHECK_EVERY == CHECK_EVERY - 1)
                && started.elapsed().as_secs_f64() > budget * (i as f64 / n as f64 + SLACK)
            {
                t.exchange.stop_before(i + 1);
            }
            if i == 0 {
                part.start(x);
            }
            draw_mask(&mut mask, t.cfg.dropout, rng);
            let m = part_mask(&mask, part, t.cfg.dropout);
            part.partial_logits(m.map(|m| (m, keep)), &mut mine);
            t.exchange.publish(t.me, i, &mine);
            t.exchange.receive(1 - t.me, i, &mut theirs);
            // a + b == b + a exactly in IEEE arithmetic: both threads get one sum.
            for (a, b) in mine.iter_mut().zip(&theirs) {
                *a += b;
            }
            sum_sq += output_error(&mut mine, label, &mut e);
            part.update(&e, m, t.cfg.lr, x, i);
        }
        (sum_sq, n)
    })
}

/// This part's slice of the whole layer's mask, or `None` without dropout.
#[inline(always)]
fn part_mask<'m>(mask: &'m [f32], part: &Part, p: f32) -> Option<&'m [f32]> {
    (p > 0.0).then(|| &mask[part.offset..part.offset + part.width])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{Gradients, Workspace};
    use rand::RngExt;

    #[test]
    fn pace_keeps_the_faster_and_backs_off_from_the_slower() {
        let mut pace = Pace::new(true);
        let mut run = |epoch: usize, one: f64, two: f64| {
            let t = pace.threads(epoch);
            pace.record(epoch, t, if t == 1 { one } else { two });
            t
        };
        // A busy machine: two threads are slow; they are tried at epochs 1, 17, 273.
        let used: Vec<usize> = (0..16).map(|e| run(e, 1.0, 5.0)).collect();
        let trials: Vec<usize> = (0..16).filter(|&e| used[e] == 2).collect();
        assert_eq!(trials, [1]);
        // The machine gets quiet: the next trial wins and two threads stay.
        let later: Vec<usize> = (16..40).map(|e| run(e, 1.0, 0.5)).collect();
        let first_two = 16 + later.iter().position(|&t| t == 2).unwrap();
        assert_eq!(first_two, 17);
        assert!(later[first_two - 16..].iter().filter(|&&t| t == 1).count() <= 2);
        assert_eq!(Pace::new(false).threads(1), 1);
    }

    fn small_run(threads: usize, dropout: f32, epochs: usize) -> Trained {
        let data = crate::data::digits::load().unwrap();
        let rows: Vec<usize> = (0..300).collect();
        let mut c = TrainConfig::blog();
        (c.threads, c.dropout, c.epochs) = (threads, dropout, epochs);
        train(&c, &data, &rows, &mut super::super::Silent).unwrap()
    }

    #[test]
    fn one_thread_and_two_give_the_same_bits() {
        for dropout in [0.0, 0.5] {
            let (a, b) = (small_run(1, dropout, 4), small_run(2, dropout, 4));
            assert_eq!(a.net, b.net, "dropout {dropout}");
            let errors = |t: &Trained| t.history.iter().map(|h| h.train_loss).collect::<Vec<_>>();
            assert_eq!(errors(&a), errors(&b));
        }
    }

    /// The first `n` digits as the blog's inputs (also as plain normalised rows),
    /// their labels, and a 64-200-10 blog net drawn with `seed`.
    fn digits_case(n: usize, seed: u64) -> (Vec<f32>, Inputs, Vec<u8>, Mlp) {
        let data = crate::data::digits::load().unwrap();
        let rows: Vec<usize> = (0..n).collect();
        let normalizer = Normalizer::fit_blog(&data);
        let mut x = vec![0.0; n * 64];
        normalizer.gather(&data, &rows, &mut x);
        let inputs = Inputs::new(x.clone(), 64, background(&normalizer, 64));
        let labels = rows.iter().map(|&r| data.labels[r]).collect();
        let spec = NetSpec {
            sizes: vec![64, 200, 10],
            activation: Activation::Tanh,
            bias: false,
            init: Init::UnitUniform,
        };
        let net = Mlp::new(&spec, &mut Xoshiro256PlusPlus::seed_from_u64(seed)).unwrap();
        (x, inputs, labels, net)
    }

    #[test]
    fn epochs_on_two_threads_give_the_bits_of_one() {
        // Directly, whatever the probe decides about this machine: epochs on one
        // thread, on two, and alternating (the halves cut and joined between).
        let (_, inputs, labels, start) = digits_case(300, 2);
        let config = TrainConfig::blog();
        let run = |threads: [usize; 3]| {
            let mut net = BlogNet::from_mlp(&start);
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
            let sums: Vec<f64> = threads
                .iter()
                .map(|&t| net.epoch(&inputs, &labels, &config, t, None, &mut rng).0)
                .collect();
            (net.into_mlp(), sums)
        };
        let one = run([1, 1, 1]);
        assert_eq!(one, run([2, 2, 2]));
        assert_eq!(one, run([2, 1, 2]));
    }

    /// The module docs' update, written as plainly as possible (no parts, no fusion).
    fn textbook_epoch(w1: &mut [f32], w2: &mut [f32], x: &[f32], labels: &[u8], lr: f32) {
        let (hidden, classes) = (w2.len() / 10, 10);
        let inputs = w1.len() / hidden;
        let softmax = |v: &mut Vec<f32>| crate::nn::softmax_in_place(v);
        for (row, &label) in x.chunks_exact(inputs).zip(labels) {
            let h: Vec<f32> = (0..hidden)
                .map(|j| {
                    crate::nn::fast_tanh((0..inputs).map(|i| row[i] * w1[i * hidden + j]).sum())
                })
                .collect();
            let mut out: Vec<f32> = (0..classes)
                .map(|k| (0..hidden).map(|j| h[j] * w2[j * classes + k]).sum())
                .collect();
            softmax(&mut out);
            let mut s = out.clone();
            softmax(&mut s);
            let e: Vec<f32> = (0..classes)
                .map(|k| {
                    (out[k] - f32::from(u8::from(k == usize::from(label)))) * s[k] * (1.0 - s[k])
                })
                .collect();
            let g1: Vec<f32> = (0..hidden)
                .map(|j| {
                    let t = crate::nn::fast_tanh(h[j]);
                    (0..classes)
                        .map(|k| e[k] * w2[j * classes + k])
                        .sum::<f32>()
                        * (1.0 - t * t)
                })
                .collect();
            for j in 0..hidden {
                for k in 0..classes {
                    w2[j * classes + k] -= lr * h[j] * e[k];
                }
                for i in 0..inputs {
                    w1[i * hidden + j] -= lr * row[i] * g1[j];
                }
            }
        }
    }

    #[test]
    fn the_fast_epoch_computes_the_documented_update() {
        let (x, inputs, labels, start) = digits_case(200, 5);
        let (mut w1, mut w2) = (
            start.layers[0].weight.clone(),
            start.layers[1].weight.clone(),
        );
        textbook_epoch(&mut w1, &mut w2, &x, &labels, 0.1);
        let mut config = TrainConfig::blog();
        config.dropout = 0.0;
        for threads in [1, 2] {
            let mut net = BlogNet::from_mlp(&start);
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
            net.epoch(&inputs, &labels, &config, threads, None, &mut rng);
            let fast = net.into_mlp();
            let worst = |a: &[f32], b: &[f32]| {
                a.iter()
                    .zip(b)
                    .map(|(p, q)| (p - q).abs())
                    .fold(0.0, f32::max)
            };
            assert!(
                worst(&fast.layers[0].weight, &w1) < 1e-4,
                "{}",
                worst(&fast.layers[0].weight, &w1)
            );
            assert!(worst(&fast.layers[1].weight, &w2) < 1e-4);
            assert_ne!(fast.layers[0].weight, start.layers[0].weight);
        }
    }

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
        let cfg = TrainConfig {
            lr: 1.0,
            dropout: 0.0,
            ..TrainConfig::blog()
        };
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
        // x[1] as the background: its row is skipped and its update goes to `r`.
        b.epoch(
            &Inputs::new(x.to_vec(), x.len(), x[1]),
            &[label],
            &cfg,
            1,
            None,
            &mut rng,
        );
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
