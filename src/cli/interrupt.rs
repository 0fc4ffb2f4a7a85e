//! Ctrl-C and SIGTERM while training: finish the current batch, keep the best
//! weights so far, print the partial report, and exit with the signal's code.
//! A second signal ends the process at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::flag;

use digitnet::train::{EpochStats, Flow, Monitor};

/// Which stop signals have arrived.
pub struct Interrupt {
    int: Arc<AtomicBool>,
    term: Arc<AtomicBool>,
}

impl Interrupt {
    /// Installs the handlers. Until then the default action (terminate) applies.
    pub fn install() -> Result<Self> {
        let int = Arc::new(AtomicBool::new(false));
        let term = Arc::new(AtomicBool::new(false));
        for (signal, seen, code) in [(SIGINT, &int, 130), (SIGTERM, &term, 143)] {
            // Registered first, so it sees the flag as it was before this signal:
            // exits only on the second one.
            flag::register_conditional_shutdown(signal, code, Arc::clone(seen))
                .and_then(|_| flag::register(signal, Arc::clone(seen)))
                .context("installing the signal handlers")?;
        }
        Ok(Interrupt { int, term })
    }

    /// Whether a stop signal arrived.
    pub fn requested(&self) -> bool {
        self.int.load(Ordering::Relaxed) || self.term.load(Ordering::Relaxed)
    }

    /// The conventional exit code for the signal that arrived (128 + its number).
    pub fn exit_code(&self) -> Option<u8> {
        if self.int.load(Ordering::Relaxed) {
            Some(130)
        } else if self.term.load(Ordering::Relaxed) {
            Some(143)
        } else {
            None
        }
    }
}

/// Wraps a monitor so training stops after the batch during which a signal arrived.
pub struct Interruptible<'a, M> {
    pub inner: M,
    pub interrupt: &'a Interrupt,
}

impl<M: Monitor> Monitor for Interruptible<'_, M> {
    fn start(&mut self, epochs: usize, batches: usize) {
        self.inner.start(epochs, batches);
    }

    fn batch(&mut self, epoch: usize, batch: usize, loss: f32) -> Flow {
        match self.inner.batch(epoch, batch, loss) {
            Flow::Continue if !self.interrupt.requested() => Flow::Continue,
            _ => Flow::Stop,
        }
    }

    fn epoch(&mut self, stats: &EpochStats) -> Flow {
        match self.inner.epoch(stats) {
            Flow::Continue if !self.interrupt.requested() => Flow::Continue,
            _ => Flow::Stop,
        }
    }
}
