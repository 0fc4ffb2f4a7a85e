//! The one thing the two halves of the blog net share per sample: their partial
//! logits. Each thread publishes its ten numbers and waits for the other's.
//!
//! Slots are double-buffered by the sample's parity: a thread can only get two
//! samples ahead of its own last write after the other thread has published the
//! sample in between, which it does only after reading. Each slot is one cache line.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The most values one slot carries (a 64-byte line holds the counter and 14 f32).
pub const SLOT_VALUES: usize = 14;

/// Busy-wait rounds before yielding the core (a neighbour may need it more).
const SPINS_BEFORE_YIELD: u32 = 1 << 10;

#[repr(align(64))]
#[derive(Default)]
struct Slot {
    /// The 1-based number of the sample whose values the slot holds (0: none yet).
    seq: AtomicUsize,
    values: [AtomicU32; SLOT_VALUES],
}

/// Mailboxes for two threads, `slots[parity][thread]`, and the sample at which
/// both are to stop.
pub struct Exchange {
    slots: [[Slot; 2]; 2],
    stop_at: AtomicUsize,
}

impl Default for Exchange {
    fn default() -> Self {
        Exchange {
            slots: Default::default(),
            stop_at: AtomicUsize::new(usize::MAX),
        }
    }
}

impl Exchange {
    /// Asks both threads to stop before `sample`. Thread 0 calls it before it
    /// publishes `sample - 1`; the other thread cannot be past `sample - 1` then, and
    /// sees the request (published before) once it has received `sample - 1`.
    pub fn stop_before(&self, sample: usize) {
        self.stop_at.store(sample, Ordering::Relaxed);
    }

    /// Whether the threads are to stop before `sample`.
    pub fn stopped(&self, sample: usize) -> bool {
        sample >= self.stop_at.load(Ordering::Relaxed)
    }

    /// Thread `thread` publishes `values` (at most [`SLOT_VALUES`]) for 0-based `sample`.
    pub fn publish(&self, thread: usize, sample: usize, values: &[f32]) {
        let slot = &self.slots[sample % 2][thread];
        for (a, v) in slot.values.iter().zip(values) {
            a.store(v.to_bits(), Ordering::Relaxed);
        }
        slot.seq.store(sample + 1, Ordering::Release);
    }

    /// Waits until thread `thread` has published `sample`, and copies its values to `out`.
    pub fn receive(&self, thread: usize, sample: usize, out: &mut [f32]) {
        let slot = &self.slots[sample % 2][thread];
        let mut spins = 0u32;
        while slot.seq.load(Ordering::Acquire) != sample + 1 {
            if spins < SPINS_BEFORE_YIELD {
                spins += 1;
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        for (o, a) in out.iter_mut().zip(&slot.values) {
            *o = f32::from_bits(a.load(Ordering::Relaxed));
        }
    }
}

/// Whether two threads here pass a value back and forth within `limit` per round
/// trip, timed over `rounds` round trips from the partner thread's creation. Two
/// threads in lockstep exchange once per sample, so they can only beat one thread
/// where this is a fraction of a sample's time; where it is not (a virtual machine
/// whose second core answers in microseconds), the trainer skips its timing trial,
/// which cost half an epoch to lose. Gives up as soon as the rounds cannot finish
/// within the limit, and does not wait for the partner to notice: on a machine slow
/// to wake its second core, joining it cost more than the probe itself.
pub fn fast_round_trips(rounds: usize, limit: Duration) -> bool {
    let shared = Arc::new((AtomicUsize::new(0), AtomicBool::new(false)));
    let partner = Arc::clone(&shared);
    let spawned = std::thread::Builder::new()
        .name("probe".into())
        .stack_size(PROBE_STACK)
        .spawn(move || {
            let (ball, quit) = &*partner;
            // Odd numbers come in; each goes back as the next even one.
            for round in 0..rounds {
                if !wait_for(ball, 2 * round + 1, || quit.load(Ordering::Relaxed)) {
                    return;
                }
                ball.store(2 * round + 2, Ordering::Release);
            }
        });
    if spawned.is_err() {
        return false;
    }
    let (ball, quit) = &*shared;
    let deadline = Instant::now() + limit * rounds as u32;
    for round in 0..rounds {
        ball.store(2 * round + 1, Ordering::Release);
        if !wait_for(ball, 2 * round + 2, || Instant::now() > deadline) {
            quit.store(true, Ordering::Relaxed);
            return false;
        }
    }
    true
}

/// The probe's partner thread needs next to no stack.
const PROBE_STACK: usize = 64 * 1024;

/// Spins until `ball` holds `value` (true) or `give_up` says so (false).
fn wait_for(ball: &AtomicUsize, value: usize, give_up: impl Fn() -> bool) -> bool {
    loop {
        if ball.load(Ordering::Acquire) == value {
            return true;
        }
        if give_up() {
            return false;
        }
        std::hint::spin_loop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_threads_see_each_others_values_for_every_sample() {
        let ex = Exchange::default();
        let samples = 2000;
        let run = |me: usize| {
            let mut sum = 0.0f64;
            let mut got = [0.0f32; 3];
            for s in 0..samples {
                let mine = [s as f32, me as f32, 1.0];
                ex.publish(me, s, &mine);
                ex.receive(1 - me, s, &mut got);
                assert_eq!(got, [s as f32, (1 - me) as f32, 1.0], "sample {s}");
                sum += f64::from(got[0]);
            }
            sum
        };
        let (a, b) = std::thread::scope(|sc| {
            let t = sc.spawn(|| run(1));
            (run(0), t.join().unwrap())
        });
        assert_eq!(a, b);
    }

    #[test]
    fn a_stop_request_stops_both_threads_at_the_same_sample() {
        let ex = Exchange::default();
        let run = |me: usize| {
            let mut got = [0.0f32; 1];
            for s in 0..10_000 {
                if ex.stopped(s) {
                    return s;
                }
                if me == 0 && s == 777 {
                    ex.stop_before(s + 1);
                }
                ex.publish(me, s, &[s as f32]);
                ex.receive(1 - me, s, &mut got);
            }
            10_000
        };
        let (a, b) = std::thread::scope(|sc| {
            let t = sc.spawn(|| run(1));
            (run(0), t.join().unwrap())
        });
        assert_eq!((a, b), (778, 778));
    }

    #[test]
    fn the_round_trip_probe_passes_a_generous_limit_and_fails_an_impossible_one() {
        assert!(fast_round_trips(50, Duration::from_secs(1)));
        let started = Instant::now();
        assert!(!fast_round_trips(50, Duration::ZERO));
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
