//! The post's training loop twice: its plain form (`train::blog::reference`, as a
//! learner would write it) and the fast path, on the same split and seed. Both
//! print the epochs they ran, the error of each epoch and the test accuracy.
//!
//! ```sh
//! cargo run --release --example blog_reference [SEED]
//! ```

use digitnet::data::{digits, shuffle_split};
use digitnet::train::{self, Silent, TrainConfig, Trained};

fn main() -> Result<(), digitnet::Error> {
    let seed = match std::env::args().nth(1) {
        Some(s) => s.parse().map_err(|_| {
            digitnet::Error::config(format!("usage: blog_reference [SEED], not {s}"))
        })?,
        None => 0,
    };
    let data = digits::load()?;
    let split = shuffle_split(data.len(), 0.25, seed)?;
    let config = TrainConfig {
        seed,
        dropout: 0.0,
        ..TrainConfig::blog()
    };
    let test = data.subset(&split.test);
    for (name, trained) in [
        (
            "reference",
            train::blog::reference::train(&config, &data, &split.train, &mut Silent)?,
        ),
        (
            "fast",
            train::blog::train(&config, &data, &split.train, &mut Silent)?,
        ),
    ] {
        let errors: Vec<String> = trained
            .history
            .iter()
            .map(|h| format!("{:.4}", h.train_loss))
            .collect();
        println!(
            "{name:>9}: {} epochs in {:.3} s; errors {}",
            trained.history.len(),
            trained.seconds,
            errors.join(" ")
        );
        println!(
            "{:>9}  argmax accuracy on the test rows: {:.2}%",
            "",
            100.0 * accuracy(&trained, &test)
        );
    }
    Ok(())
}

/// The share of `test`'s rows whose most probable class is their label.
fn accuracy(trained: &Trained, test: &digitnet::data::Dataset) -> f64 {
    let all: Vec<usize> = (0..test.len()).collect();
    let mut x = vec![0.0; test.len() * test.features()];
    trained.normalizer.gather(test, &all, &mut x);
    let probabilities = trained.net.predict_proba(&x);
    let right = probabilities
        .chunks_exact(test.classes)
        .zip(&test.labels)
        .filter(|(p, label)| digitnet::nn::argmax(p) == usize::from(**label))
        .count();
    right as f64 / test.len() as f64
}
