//! Progress on stderr while training: a bar in a terminal, one line per epoch
//! otherwise (logs, pipes, CI), nothing with `--quiet`.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use digitnet::train::{EpochStats, Flow, Monitor};

use super::out::errln;

/// The bar: epoch k/N, batches done of all batches to the epoch limit, elapsed time,
/// ETA (to the epoch limit: early stopping may end sooner), last loss and accuracy.
const TEMPLATE: &str =
    "{prefix:>13} [{bar:30.cyan/blue}] {pos}/{len} batches  {elapsed_precise}  ETA {eta}  {msg}";

/// Shows training progress on stderr.
pub struct Progress {
    bar: ProgressBar,
    /// Print a summary line per epoch (stderr is not a terminal, and not quiet).
    lines: bool,
    epochs: usize,
    batches: usize,
}

impl Progress {
    /// A bar when stderr is a terminal, epoch lines when it is not, nothing when `quiet`.
    pub fn new(quiet: bool) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
        };
        let style = ProgressStyle::with_template(TEMPLATE)
            .expect("the template is valid")
            .progress_chars("=> ");
        bar.set_style(style);
        Progress {
            lines: !quiet && bar.is_hidden(),
            bar,
            epochs: 0,
            batches: 1,
        }
    }

    /// Removes the bar (call once training is over, before printing the report).
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// "loss 0.1234  val loss 0.0987  val acc 97.25%": what an epoch achieved.
fn epoch_summary(s: &EpochStats) -> String {
    let mut text = format!("loss {:.4}", s.train_loss);
    if let (Some(l), Some(a)) = (s.val_loss, s.val_accuracy) {
        text += &format!("  val loss {l:.4}  val acc {:.2}%", 100.0 * a);
    }
    text
}

impl Monitor for Progress {
    fn start(&mut self, epochs: usize, batches: usize) {
        self.epochs = epochs;
        self.batches = batches.max(1);
        self.bar.reset();
        self.bar.set_length((epochs * self.batches) as u64);
        self.bar.set_prefix(format!("epoch 1/{epochs}"));
        self.bar.set_message("");
        if !self.bar.is_hidden() {
            // The ticker is a thread: none for a bar nobody sees (quiet, or no terminal).
            self.bar.enable_steady_tick(Duration::from_millis(250));
        }
    }

    fn batch(&mut self, epoch: usize, batch: usize, _loss: f32) -> Flow {
        if batch == 0 {
            self.bar
                .set_prefix(format!("epoch {}/{}", epoch + 1, self.epochs));
        }
        self.bar
            .set_position((epoch * self.batches + batch + 1) as u64);
        Flow::Continue
    }

    fn epoch(&mut self, s: &EpochStats) -> Flow {
        let summary = epoch_summary(s);
        if self.lines {
            errln!(
                "epoch {:>4}/{}  {summary}  {:.2}s",
                s.epoch + 1,
                self.epochs,
                s.seconds
            );
        }
        self.bar
            .set_prefix(format!("epoch {}/{}", s.epoch + 1, self.epochs));
        self.bar.set_position(((s.epoch + 1) * self.batches) as u64);
        self.bar.set_message(summary);
        Flow::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_validation_only_when_there_is_one() {
        let mut s = EpochStats {
            epoch: 3,
            train_loss: 0.25,
            val_loss: None,
            val_accuracy: None,
            lr: 0.1,
            seconds: 1.0,
        };
        assert_eq!(epoch_summary(&s), "loss 0.2500");
        (s.val_loss, s.val_accuracy) = (Some(0.125), Some(0.9725));
        assert_eq!(
            epoch_summary(&s),
            "loss 0.2500  val loss 0.1250  val acc 97.25%"
        );
    }

    #[test]
    fn quiet_hides_the_bar_and_the_lines() {
        let p = Progress::new(true);
        assert!(p.bar.is_hidden() && !p.lines);
    }
}
