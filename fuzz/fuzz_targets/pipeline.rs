//! libFuzzer target: arbitrary bytes through parse, lower, differentiate, simplify,
//! print, compile and evaluate (see `fuzz/pipeline.rs`).
#![no_main]

#[path = "../pipeline.rs"]
mod pipeline;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    pipeline::run_bytes(data);
});
