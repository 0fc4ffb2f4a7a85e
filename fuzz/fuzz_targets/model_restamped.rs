//! `cargo fuzz run model_restamped`: see [`digitnet_fuzz::model_restamped`] and fuzz/README.md.
#![no_main]

#[global_allocator]
static ALLOC: digitnet_fuzz::Budgeted = digitnet_fuzz::Budgeted;

libfuzzer_sys::fuzz_target!(|data: &[u8]| digitnet_fuzz::model_restamped(data));
