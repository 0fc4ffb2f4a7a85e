//! `cargo fuzz run idx_pair`: see [`digitnet_fuzz::idx_pair`] and fuzz/README.md.
#![no_main]

#[global_allocator]
static ALLOC: digitnet_fuzz::Budgeted = digitnet_fuzz::Budgeted;

libfuzzer_sys::fuzz_target!(|data: &[u8]| digitnet_fuzz::idx_pair(data));
