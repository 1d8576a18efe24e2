//! The timing helper the side-by-side benches share (`#[path = "timing.rs"] mod timing;`).

use std::time::Instant;

/// Median seconds per call of `f` over `reps` timed batches of `calls` calls (after one
/// call to warm up).
pub fn median(reps: usize, calls: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..calls {
                f();
            }
            start.elapsed().as_secs_f64() / calls as f64
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[reps / 2]
}
