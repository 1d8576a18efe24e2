//! Seeded random points and directions around the current params (SPEC 4).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rust_decimal::Decimal;

/// Stream ids, so the points of a check and the Taylor direction never share numbers.
const POINTS_STREAM: u64 = 0x636865636b;
const DIRECTION_STREAM: u64 = 0x7461796c6f72;

/// `center` itself, then `count` points where each coordinate p moves to `p + s*z`,
/// `z ~ N(0, 1)`, `s = 0.1 * max(1, |p|)`. **A point stays in its param's box**
/// (`bounds`, one `(lo, hi)` per coordinate): a coordinate that lands outside is
/// reflected back across the bound it crossed (so the points keep the spread and the
/// symmetry of the normal draw), then clamped if the box is narrower than the
/// reflection.
pub(super) fn around(
    center: &[f64],
    bounds: &[(f64, f64)],
    count: usize,
    seed: u64,
) -> Vec<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ POINTS_STREAM);
    let mut points = vec![center.to_vec()];
    let unbounded = (f64::NEG_INFINITY, f64::INFINITY);
    for _ in 0..count {
        let point = center
            .iter()
            .enumerate()
            .map(|(i, &p)| {
                let z: f64 = StandardNormal.sample(&mut rng);
                let x = p + 0.1 * p.abs().max(1.0) * z;
                reflect(x, bounds.get(i).copied().unwrap_or(unbounded))
            })
            .collect();
        points.push(point);
    }
    points
}

/// `x` reflected into `[lo, hi]` across the bound it crossed, then clamped.
fn reflect(x: f64, (lo, hi): (f64, f64)) -> f64 {
    let reflected = if x < lo {
        lo + (lo - x)
    } else if x > hi {
        hi - (x - hi)
    } else {
        x
    };
    reflected.clamp(lo, hi)
}

/// A random direction: component i is `z * max(1, |p_i|)`, `z ~ N(0, 1)`, rounded to 6
/// decimals so that it is the same number in f64 and in decimal arithmetic. **The
/// steps θ + hδ for h <= `h0` stay in the box** (`bounds` per component): a
/// component pointing out of its box is shortened so that θᵢ + h0·δᵢ lands inside
/// (to 0 on a bound it sits on), rounded toward 0 so the shortened step is inside.
pub(super) fn direction(center: &[f64], bounds: &[(f64, f64)], h0: f64, seed: u64) -> Vec<Decimal> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ DIRECTION_STREAM);
    let unbounded = (f64::NEG_INFINITY, f64::INFINITY);
    center
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            let z: f64 = StandardNormal.sample(&mut rng);
            let (lo, hi) = bounds.get(i).copied().unwrap_or(unbounded);
            let wanted = z * p.abs().max(1.0);
            let room = wanted.clamp((lo - p) / h0, (hi - p) / h0);
            let micros = if room == wanted {
                (wanted * 1e6).round()
            } else {
                (room * 1e6).trunc()
            };
            // A direction component of magnitude >= 9.2e12 cannot happen for |p| < 1e6;
            // beyond that the component saturates, which keeps it a valid direction.
            Decimal::new(micros.clamp(-9.2e18, 9.2e18) as i64, 6)
        })
        .collect()
}
