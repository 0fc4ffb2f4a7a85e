//! `--log-json`: one JSON object per epoch, for other tools.

use std::io::Write;
use std::path::Path;

use super::{EpochStats, Flow, Monitor};
use crate::atomic::AtomicFile;
use crate::error::{Error, Result};

/// Writes every epoch's [`EpochStats`] as one line of JSON (`epoch` is 0-based, as in
/// the `--json` report's `history`; `seconds` counts from the start of training).
///
/// Lines go to a temporary file beside the target, flushed after each epoch; the
/// file appears under its own name, whole, when [`EpochLog::finish`] is called, so
/// a crash or a failed run never leaves a truncated log.
pub struct EpochLog {
    file: AtomicFile,
    failed: Option<std::io::Error>,
}

impl EpochLog {
    /// Opens the log; fails at once (naming `path`) if its folder is not writable.
    pub fn create(path: &Path) -> Result<Self> {
        Ok(EpochLog {
            file: AtomicFile::create(path)?,
            failed: None,
        })
    }

    /// Moves the finished log into place, or reports the first failed write.
    pub fn finish(self) -> Result<()> {
        match self.failed {
            Some(e) => Err(Error::io(self.file.target(), e)),
            None => self.file.commit(),
        }
    }

    fn write_line(&mut self, stats: &EpochStats) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.file, stats)?;
        self.file.write_all(b"\n")?;
        self.file.flush()
    }
}

impl Monitor for EpochLog {
    fn epoch(&mut self, stats: &EpochStats) -> Flow {
        if self.failed.is_none() {
            self.failed = self.write_line(stats).err();
        }
        Flow::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(epoch: usize) -> EpochStats {
        EpochStats {
            epoch,
            train_loss: 1.0 / (epoch + 1) as f64,
            val_loss: Some(0.5),
            val_accuracy: Some(0.9),
            lr: 0.1,
            seconds: epoch as f64,
        }
    }

    #[test]
    fn one_object_per_epoch_appears_only_when_finished() {
        let dir = crate::test_support::scratch("epoch-log");
        let path = dir.join("log.jsonl");
        let mut log = EpochLog::create(&path).unwrap();
        for e in 0..3 {
            assert_eq!(log.epoch(&stats(e)), Flow::Continue);
        }
        assert!(!path.exists(), "the log must not appear half-written");
        log.finish().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        for (e, line) in lines.iter().enumerate() {
            assert_eq!(line["epoch"], e);
            for key in ["train_loss", "val_loss", "val_accuracy", "seconds"] {
                assert!(line.get(key).is_some(), "missing {key}");
            }
        }
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    }
}
