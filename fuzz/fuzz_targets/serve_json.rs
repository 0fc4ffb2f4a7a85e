//! `cargo fuzz run serve_json`: see [`digitnet_fuzz::serve_json`] and fuzz/README.md.
#![no_main]

#[global_allocator]
static ALLOC: digitnet_fuzz::Budgeted = digitnet_fuzz::Budgeted;

libfuzzer_sys::fuzz_target!(|data: &[u8]| digitnet_fuzz::serve_json(data));
