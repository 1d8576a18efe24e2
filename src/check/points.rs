//! Seeded random points and directions around the current params (SPEC 4).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rust_decimal::Decimal;

/// Stream ids, so the points of a check and the Taylor direction never share numbers.
const POINTS_STREAM: u64 = 0x636865636b;
const DIRECTION_STREAM: u64 = 0x7461796c6f72;

/// `center` itself, then `count` points where each coordinate p moves to `p + s*z`,
/// `z ~ N(0, 1)`, `s = 0.1 * max(1, |p|)`.
pub(super) fn around(center: &[f64], count: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ POINTS_STREAM);
    let mut points = vec![center.to_vec()];
    for _ in 0..count {
        let point = center
            .iter()
            .map(|&p| {
                let z: f64 = StandardNormal.sample(&mut rng);
                p + 0.1 * p.abs().max(1.0) * z
            })
            .collect();
        points.push(point);
    }
    points
}

/// A random direction: component i is `z * max(1, |p_i|)`, `z ~ N(0, 1)`, rounded to 6
/// decimals so that it is the same number in f64 and in decimal arithmetic.
pub(super) fn direction(center: &[f64], seed: u64) -> Vec<Decimal> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ DIRECTION_STREAM);
    center
        .iter()
        .map(|&p| {
            let z: f64 = StandardNormal.sample(&mut rng);
            let micros = (z * p.abs().max(1.0) * 1e6).round();
            // A direction component of magnitude >= 9.2e12 cannot happen for |p| < 1e6;
            // beyond that the component saturates, which keeps it a valid direction.
            Decimal::new(micros.clamp(-9.2e18, 9.2e18) as i64, 6)
        })
        .collect()
}
