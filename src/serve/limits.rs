//! What bounds the server's memory, and the budget that enforces it.
//!
//! The stated bound, beyond the model and the runtime:
//! - request bodies: each is at most [`super::MAX_BODY_BYTES`] (16 MiB, a phone's photo
//!   as it is; JSON pixels [`super::MAX_JSON_BYTES`], 1 MiB), and all of them together
//!   hold at most [`BODY_BUDGET_BYTES`] (256 MiB). Before its body is read, a request
//!   reserves what holding it costs from that budget: its `Content-Length`, or, for a
//!   chunked body, its buffer as it doubles. A form reserves [`FORM_COST`] times its
//!   length and JSON pixels [`JSON_COST`] times, for the copies unpacking them makes. The
//!   reservation is kept until the request is answered; one that cannot be made within
//!   [`BODY_WAIT`] gets a 503. So 16 photos of 16 MiB are received at once, or about 50
//!   of 5 MB; more wait.
//! - pictures: every uploaded image first reserves its peak memory, from its header,
//!   from one budget of [`DECODE_BUDGET_BYTES`] (512 MiB), and holds it until it is
//!   answered: its pixels x [`PEAK_BYTES_PER_PIXEL`] (the decoded picture and its grey
//!   copy, more than the prepared picture and its crops take after), or x
//!   [`LUMA_PEAK_BYTES_PER_PIXEL`] for a JPEG read by its luma. One upload may take at
//!   most half the budget (the input module refuses the rest). A 28x28 drawing reserves
//!   12 KiB, a 4096x4096 PNG 256 MiB and a 12-megapixel photo 24 MB, so two of the
//!   largest are worked on at once while small ones keep flowing. A request that
//!   cannot reserve its share within [`DECODE_WAIT`] gets a 503.
//!
//! Worst case: 256 MiB of bodies and 512 MiB of pictures, under 1 GiB with the model.
//!
//! Decoding runs on tokio's blocking threads, so the budget is a plain mutex and
//! condition variable; async code waits for it on a blocking thread
//! ([`Budget::reserve_async`]).

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use super::error::ApiError;
#[cfg(doc)]
use crate::preprocess::{LUMA_PEAK_BYTES_PER_PIXEL, PEAK_BYTES_PER_PIXEL};

/// The memory all concurrent image decodes may hold together.
pub const DECODE_BUDGET_BYTES: u64 = 512 << 20;

/// How long a request waits for its share of the budget before a 503.
pub const DECODE_WAIT: Duration = Duration::from_secs(10);

/// The memory all request bodies being received or worked on may hold together.
pub const BODY_BUDGET_BYTES: u64 = 256 << 20;

/// How long a request waits for its body's share of the budget before a 503.
pub const BODY_WAIT: Duration = Duration::from_secs(10);

/// Bytes reserved per byte of a form: the body, the parser's copy of it, and the file
/// copied out of that (multer's buffering).
pub const FORM_COST: u64 = 3;

/// Bytes reserved per byte of JSON pixels: the body, its values as 4-byte floats in a
/// vector that doubles as it grows (at least 2 bytes of JSON a value), and the picture
/// made of them.
pub const JSON_COST: u64 = 8;

/// Bytes reserved from a budget of `total`.
pub struct Budget {
    total: u64,
    used: Mutex<u64>,
    freed: Condvar,
}

/// A reservation; returns its bytes to the budget when dropped.
pub struct Permit<'a> {
    budget: &'a Budget,
    bytes: u64,
}

impl Budget {
    pub const fn new(total: u64) -> Self {
        Budget {
            total,
            used: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    /// Reserves `bytes` (at most the whole budget), waiting up to `wait` for others to
    /// finish; `None` if they do not in time.
    pub fn reserve(&self, bytes: u64, wait: Duration) -> Option<Permit<'_>> {
        let bytes = bytes.min(self.total);
        let deadline = Instant::now() + wait;
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        while *used + bytes > self.total {
            let left = deadline.checked_duration_since(Instant::now())?;
            used = self
                .freed
                .wait_timeout(used, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        *used += bytes;
        Some(Permit {
            budget: self,
            bytes,
        })
    }

    /// [`Budget::reserve`] from async code: at once when the bytes are free, else
    /// waiting on one of tokio's blocking threads.
    pub async fn reserve_async(
        &'static self,
        bytes: u64,
        wait: Duration,
    ) -> Option<Permit<'static>> {
        if let Some(permit) = self.reserve(bytes, Duration::ZERO) {
            return Some(permit);
        }
        tokio::task::spawn_blocking(move || self.reserve(bytes, wait))
            .await
            .ok()
            .flatten()
    }

    /// Bytes reserved now.
    pub fn in_use(&self) -> u64 {
        *self.used.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The whole budget.
    pub fn total(&self) -> u64 {
        self.total
    }
}

impl std::fmt::Debug for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Budget")
            .field("total", &self.total)
            .field("in_use", &self.in_use())
            .finish()
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut used = self.budget.used.lock().unwrap_or_else(|p| p.into_inner());
        *used -= self.bytes;
        self.budget.freed.notify_all();
    }
}

/// The server's budget for request bodies.
pub static BODIES: Budget = Budget::new(BODY_BUDGET_BYTES);

/// The server's decoding budget.
pub static DECODES: Budget = Budget::new(DECODE_BUDGET_BYTES);

/// Reserves the `bytes` a decode needs at its peak, or a 503 after [`DECODE_WAIT`].
pub fn decode_permit(bytes: u64) -> Result<Permit<'static>, ApiError> {
    DECODES.reserve(bytes, DECODE_WAIT).ok_or_else(|| {
        ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "the server is busy decoding other images; try again in a moment",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn reservations_beyond_the_budget_wait_then_time_out() {
        let budget = Budget::new(100);
        let a = budget.reserve(60, Duration::ZERO).unwrap();
        let b = budget.reserve(40, Duration::ZERO).unwrap();
        assert_eq!(budget.in_use(), 100);
        assert!(budget.reserve(1, Duration::from_millis(20)).is_none());
        drop(a);
        assert!(budget.reserve(60, Duration::ZERO).is_some());
        drop(b);
        assert_eq!(budget.in_use(), 0);
        // More than the whole budget still runs, alone.
        assert!(budget.reserve(1000, Duration::ZERO).is_some());
    }

    #[test]
    fn a_waiting_reservation_goes_ahead_when_another_ends() {
        let budget = Arc::new(Budget::new(10));
        let held = budget.reserve(10, Duration::ZERO).unwrap();
        let waiter = {
            let budget = Arc::clone(&budget);
            std::thread::spawn(move || budget.reserve(5, Duration::from_secs(10)).is_some())
        };
        std::thread::sleep(Duration::from_millis(50));
        drop(held);
        assert!(waiter.join().unwrap());
    }
}
