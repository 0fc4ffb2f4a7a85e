//! Printing without panicking: `println!` and `eprintln!` panic when their stream is
//! closed or full (`digitnet ... | head`, `>/dev/full`).
//!
//! - [`outln!`] and [`out!`] write to stdout. A closed pipe (`EPIPE`) is the reader's
//!   choice: the rest of the output is dropped quietly and the command goes on (a model is
//!   still saved) and ends with its usual exit status. Any other write error is kept, and
//!   [`failure`] reports it when the command is done (exit 1).
//! - [`errln!`] writes to stderr and ignores failures: there is nowhere left to report them.

use std::io::{self, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once stdout's reader has gone away.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// The first stdout write error other than a closed pipe.
static FAILED: Mutex<Option<io::Error>> = Mutex::new(None);

/// Writes `text` to stdout and flushes it (see the module docs for errors).
pub fn write_stdout(text: std::fmt::Arguments<'_>) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = io::stdout().lock();
    let result = stdout.write_fmt(text).and_then(|()| stdout.flush());
    if let Err(e) = result {
        note(e);
    }
}

/// Records a failed stdout write.
fn note(e: io::Error) {
    CLOSED.store(true, Ordering::Relaxed);
    if e.kind() != io::ErrorKind::BrokenPipe {
        let mut failed = FAILED.lock().unwrap_or_else(|p| p.into_inner());
        failed.get_or_insert(e);
    }
}

/// The stdout write error to report, if any (a closed pipe is not one).
pub fn failure() -> Option<io::Error> {
    FAILED.lock().unwrap_or_else(|p| p.into_inner()).take()
}

/// Writes to stderr, ignoring failures.
pub fn write_stderr(text: std::fmt::Arguments<'_>) {
    let _ = io::stderr().lock().write_fmt(text);
}

/// `println!` that never panics (see the module docs).
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::out::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` that never panics (see the module docs).
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::out::write_stdout(format_args!($($arg)*))
    };
}

/// `eprintln!` that never panics.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::cli::out::write_stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {errln, out, outln};
