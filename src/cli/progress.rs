//! Progress on stderr while training: one line per epoch, or nothing with `--quiet`.

use std::io::{IsTerminal, Write};

use digitnet::train::{EpochStats, Flow, Monitor};

/// Prints a summary line per epoch to stderr, unless quiet.
pub struct EpochLines {
    quiet: bool,
    epochs: usize,
}

impl EpochLines {
    pub fn new(quiet: bool) -> Self {
        EpochLines { quiet, epochs: 0 }
    }
}

impl Monitor for EpochLines {
    fn start(&mut self, epochs: usize, _batches: usize) {
        self.epochs = epochs;
    }

    fn epoch(&mut self, s: &EpochStats) -> Flow {
        if self.quiet {
            return Flow::Continue;
        }
        let mut line = format!(
            "epoch {:>4}/{}  loss {:.4}",
            s.epoch + 1,
            self.epochs,
            s.train_loss
        );
        if let (Some(l), Some(a)) = (s.val_loss, s.val_accuracy) {
            line += &format!("  val loss {l:.4}  val acc {:.2}%", 100.0 * a);
        }
        line += &format!("  {:.2}s", s.seconds);
        let mut err = std::io::stderr().lock();
        if err.is_terminal() {
            let _ = write!(err, "\r{line}\x1b[K");
            if s.epoch + 1 == self.epochs {
                let _ = writeln!(err);
            }
        } else {
            let _ = writeln!(err, "{line}");
        }
        Flow::Continue
    }
}
