//! The f64 chunk kernels: straight loops over a chunk that the compiler vectorises,
//! with the domain checked once per chunk instead of once per value.

use super::{Values, fastmath};
use crate::graph::{BinOp, Func};

/// `out = f(x)` over a chunk; `Err(i)` at the first row whose result is not finite.
pub fn unary(func: Func, out: &mut [f64], x: Values<'_, f64>) -> Result<(), usize> {
    let x = match x {
        Values::Same(v) => {
            out.fill(super::float::unary(func, v));
            return check(out, None);
        }
        Values::Rows(r) => &r[..out.len()],
    };
    macro_rules! map {
        ($f:expr) => {
            for (o, &v) in out.iter_mut().zip(x) {
                *o = $f(v);
            }
        };
    }
    match func {
        Func::Neg => map!(|v: f64| -v),
        Func::Abs => map!(f64::abs),
        Func::Exp => fastmath::exp(out, x),
        Func::Ln => fastmath::ln(out, x),
        Func::Sqrt => map!(f64::sqrt),
        Func::Tanh => fastmath::tanh(out, x),
        Func::Sigmoid => fastmath::sigmoid(out, x),
        Func::Softplus => fastmath::softplus(out, x),
        other => map!(|v| super::float::unary(other, v)),
    }
    // The input too: `exp(-inf)` is 0, `relu(NaN)` is 0 (and `+ - *` before this are
    // not checked).
    check(out, Some(x))
}

/// `out = a op b` over a chunk; `Err(i)` at the first row whose result is not finite.
///
/// `+ - *` are not checked here: they turn a value that is not finite into one that is
/// not finite either, so it reaches a check downstream (an operation that could hide
/// it tests its operands, a sum its total, a row output its values). Skipping the test
/// here saves about a third of these loops' time.
pub fn binary(
    op: BinOp,
    out: &mut [f64],
    a: Values<'_, f64>,
    b: Values<'_, f64>,
) -> Result<(), usize> {
    // `finite` is folded into the same loop (no second pass over the chunk); `a & b`
    // rather than `&&` keeps the loop branch-free so it still vectorises.
    let mut finite = true;
    macro_rules! zip {
        ($f:expr) => {
            match (a, b) {
                (Values::Rows(x), Values::Rows(y)) => {
                    for ((o, &p), &q) in out.iter_mut().zip(x).zip(y) {
                        *o = $f(p, q);
                        finite &= o.is_finite();
                    }
                }
                (Values::Rows(x), Values::Same(q)) => {
                    for (o, &p) in out.iter_mut().zip(x) {
                        *o = $f(p, q);
                        finite &= o.is_finite();
                    }
                }
                (Values::Same(p), Values::Rows(y)) => {
                    for (o, &q) in out.iter_mut().zip(y) {
                        *o = $f(p, q);
                        finite &= o.is_finite();
                    }
                }
                (Values::Same(p), Values::Same(q)) => {
                    out.fill($f(p, q));
                    finite = out.first().is_none_or(|v| v.is_finite());
                }
            }
        };
    }
    macro_rules! propagate {
        ($f:expr) => {{
            match (a, b) {
                (Values::Rows(x), Values::Rows(y)) => {
                    for ((o, &p), &q) in out.iter_mut().zip(x).zip(y) {
                        *o = $f(p, q);
                    }
                }
                (Values::Rows(x), Values::Same(q)) => {
                    for (o, &p) in out.iter_mut().zip(x) {
                        *o = $f(p, q);
                    }
                }
                (Values::Same(p), Values::Rows(y)) => {
                    for (o, &q) in out.iter_mut().zip(y) {
                        *o = $f(p, q);
                    }
                }
                (Values::Same(p), Values::Same(q)) => out.fill($f(p, q)),
            }
            return Ok(());
        }};
    }
    match op {
        BinOp::Add => propagate!(|p: f64, q: f64| p + q),
        BinOp::Sub => propagate!(|p: f64, q: f64| p - q),
        BinOp::Mul => propagate!(|p: f64, q: f64| p * q),
        _ => {}
    }
    // `1/inf` is 0 and `max(NaN, 1)` is 1: the operands must be finite too.
    let operands_finite = |v: Values<'_, f64>| match v {
        Values::Same(x) => x.is_finite(),
        Values::Rows(r) => r.iter().fold(true, |ok, x| ok & x.is_finite()),
    };
    if !(operands_finite(a) && operands_finite(b)) {
        let bad = |v: Values<'_, f64>| match v {
            Values::Same(x) => (!x.is_finite()).then_some(0),
            Values::Rows(r) => r.iter().position(|x| !x.is_finite()),
        };
        return Err([bad(a), bad(b)].into_iter().flatten().min().unwrap_or(0));
    }
    match op {
        BinOp::Add | BinOp::Sub | BinOp::Mul => {}
        BinOp::Div => zip!(|p: f64, q: f64| p / q),
        BinOp::Pow => zip!(super::float::power),
        BinOp::Max => zip!(|p: f64, q: f64| if p.is_nan() || q.is_nan() {
            f64::NAN
        } else {
            p.max(q)
        }),
        BinOp::Min => zip!(|p: f64, q: f64| if p.is_nan() || q.is_nan() {
            f64::NAN
        } else {
            p.min(q)
        }),
    }
    if finite { Ok(()) } else { check(out, None) }
}

/// Adds a chunk to a compensated running sum: `chunk_sum`, then `fold`.
pub fn accumulate(total: &mut (f64, f64), x: Values<'_, f64>, len: usize) -> Result<(), usize> {
    let sum = chunk_sum(x, len).ok_or(0usize)?;
    fold(total, sum).ok_or(0)
}

/// The sum of a chunk: four lanes sum rows `i mod 4` in order and are combined as
/// `(l0 + l1) + (l2 + l3)`. The order depends only on the row numbers, never on
/// threads. `None` if the sum is not finite.
pub fn chunk_sum(x: Values<'_, f64>, len: usize) -> Option<f64> {
    let sum = match x {
        Values::Same(v) => v * len as f64,
        Values::Rows(r) => {
            let r = &r[..len];
            let mut lanes = [0.0_f64; 4];
            let mut quads = r.chunks_exact(4);
            for quad in &mut quads {
                for k in 0..4 {
                    lanes[k] += quad[k];
                }
            }
            for (k, &v) in quads.remainder().iter().enumerate() {
                lanes[k] += v;
            }
            (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
        }
    };
    sum.is_finite().then_some(sum)
}

/// `out = Σ a·b` over a chunk, term after term (as [`super::Scalar::dot_chunk`]).
/// Runs of four `row·scalar` terms (a `dot` of data with a weight vector) go through
/// one loop, each row still adding its terms in order. Not checked, like `+` and `*`
/// in [`binary`]: a value that is not finite stays so and is found downstream.
pub fn dot(out: &mut [f64], terms: &[super::Term<'_, f64>]) {
    let n = out.len();
    fn scaled<'a>(t: &super::Term<'a, f64>, n: usize) -> Option<(&'a [f64], f64)> {
        match *t {
            (Values::Rows(x), Some(Values::Same(w))) | (Values::Same(w), Some(Values::Rows(x))) => {
                Some((&x[..n], w))
            }
            _ => None,
        }
    }
    let mut k = 0;
    while k < terms.len() {
        let four = match terms.get(k..k + 4) {
            Some([a, b, c, d]) if k > 0 => (scaled(a, n), scaled(b, n), scaled(c, n), scaled(d, n)),
            _ => (None, None, None, None),
        };
        if let (Some((x0, w0)), Some((x1, w1)), Some((x2, w2)), Some((x3, w3))) = four {
            for (i, o) in out.iter_mut().enumerate() {
                *o = (((*o + x0[i] * w0) + x1[i] * w1) + x2[i] * w2) + x3[i] * w3;
            }
            k += 4;
            continue;
        }
        add_term(out, terms[k], k == 0);
        k += 1;
    }
}

/// `out = a·b` (the first term) or `out += a·b`.
fn add_term(out: &mut [f64], (a, b): super::Term<'_, f64>, first: bool) {
    macro_rules! term {
        ($v:expr) => {
            if first {
                for (i, o) in out.iter_mut().enumerate() {
                    *o = $v(i);
                }
            } else {
                for (i, o) in out.iter_mut().enumerate() {
                    *o += $v(i);
                }
            }
        };
    }
    let n = out.len();
    match (a, b) {
        (Values::Rows(x), Some(Values::Same(w))) | (Values::Same(w), Some(Values::Rows(x))) => {
            let x = &x[..n];
            term!(|i| x[i] * w)
        }
        (Values::Rows(x), Some(Values::Rows(y))) => {
            let (x, y) = (&x[..n], &y[..n]);
            term!(|i| x[i] * y[i])
        }
        (Values::Same(u), Some(Values::Same(v))) => term!(|_| u * v),
        (Values::Rows(x), None) => {
            let x = &x[..n];
            term!(|i| x[i])
        }
        (Values::Same(u), None) => term!(|_| u),
    }
}

/// The sum of `a[i]·b[i]` over a chunk, in [`chunk_sum`]'s four lanes (so the same
/// bits as the products written out and summed). `None` if it is not finite.
pub fn product_sum(a: Values<'_, f64>, b: Values<'_, f64>, len: usize) -> Option<f64> {
    let mut lanes = [0.0_f64; 4];
    match (a, b) {
        (Values::Rows(x), Values::Rows(y)) => {
            let (mut xq, mut yq) = (x[..len].chunks_exact(4), y[..len].chunks_exact(4));
            for (p, q) in (&mut xq).zip(&mut yq) {
                for k in 0..4 {
                    lanes[k] += p[k] * q[k];
                }
            }
            for (k, (p, q)) in xq.remainder().iter().zip(yq.remainder()).enumerate() {
                lanes[k] += p * q;
            }
        }
        (Values::Rows(x), Values::Same(w)) | (Values::Same(w), Values::Rows(x)) => {
            let mut xq = x[..len].chunks_exact(4);
            for p in &mut xq {
                for k in 0..4 {
                    lanes[k] += p[k] * w;
                }
            }
            for (k, p) in xq.remainder().iter().enumerate() {
                lanes[k] += p * w;
            }
        }
        (Values::Same(u), Values::Same(v)) => lanes[0] = (u * v) * len as f64,
    }
    let sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    sum.is_finite().then_some(sum)
}

/// `sums[j] = product_sum(a, bs[j], len)`, to the bit: four of the `bs` that are rows
/// at a time in one loop over the rows of `a`, each in its own four lanes.
pub fn product_sums(
    a: Values<'_, f64>,
    bs: &[Values<'_, f64>],
    len: usize,
    sums: &mut [Option<f64>],
) {
    let Values::Rows(x) = a else {
        for (sum, &b) in sums.iter_mut().zip(bs) {
            *sum = product_sum(a, b, len);
        }
        return;
    };
    let x = &x[..len];
    let mut j = 0;
    while j < bs.len() {
        let four = match bs.get(j..j + 4) {
            Some(
                &[
                    Values::Rows(p),
                    Values::Rows(q),
                    Values::Rows(r),
                    Values::Rows(s),
                ],
            ) => Some([&p[..len], &q[..len], &r[..len], &s[..len]]),
            _ => None,
        };
        let Some(ys) = four else {
            sums[j] = product_sum(a, bs[j], len);
            j += 1;
            continue;
        };
        let mut lanes = [[0.0_f64; 4]; 4];
        let quads = len / 4;
        for q in 0..quads {
            let xs = &x[4 * q..4 * q + 4];
            for (lane, y) in lanes.iter_mut().zip(ys) {
                let ys = &y[4 * q..4 * q + 4];
                for k in 0..4 {
                    lane[k] += xs[k] * ys[k];
                }
            }
        }
        for (lane, y) in lanes.iter_mut().zip(ys) {
            for (k, i) in (4 * quads..len).enumerate() {
                lane[k] += x[i] * y[i];
            }
        }
        for (t, lane) in lanes.iter().enumerate() {
            let sum = (lane[0] + lane[1]) + (lane[2] + lane[3]);
            sums[j + t] = sum.is_finite().then_some(sum);
        }
        j += 4;
    }
}

/// Adds a chunk's sum to a total with Neumaier's compensation; `None` on overflow.
pub fn fold(total: &mut (f64, f64), chunk_sum: f64) -> Option<()> {
    let (sum, compensation) = *total;
    let t = sum + chunk_sum;
    let lost = if sum.abs() >= chunk_sum.abs() {
        (sum - t) + chunk_sum
    } else {
        (chunk_sum - t) + sum
    };
    *total = (t, compensation + lost);
    t.is_finite().then_some(())
}

/// The first row where `out` (or `input`) is not finite, as `Err(row)`.
fn check(out: &[f64], input: Option<&[f64]>) -> Result<(), usize> {
    let all_finite = |v: &[f64]| v.iter().fold(true, |ok, x| ok & x.is_finite());
    if all_finite(out) && input.is_none_or(all_finite) {
        return Ok(());
    }
    let bad = |v: &[f64]| v.iter().position(|x| !x.is_finite());
    let first = [bad(out), input.and_then(bad)].into_iter().flatten().min();
    Err(first.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values that round differently in every order: the fused kernels must add in
    /// the order of the written-out loops, so any reordering shows in the bits.
    fn values(n: usize, seed: u64) -> Vec<f64> {
        (0..n)
            .map(|i| {
                let t = (i as u64 + 1).wrapping_mul(seed) % 10_007;
                (t as f64 / 97.0 - 50.0) * 1.000_000_1_f64.powi(t as i32)
            })
            .collect()
    }

    #[test]
    fn a_product_sum_is_the_sum_of_the_products_written_out() {
        for len in [0, 1, 3, 4, 5, 17, 256] {
            let (x, y) = (values(len, 31), values(len, 57));
            let products: Vec<f64> = x.iter().zip(&y).map(|(a, b)| a * b).collect();
            let written = chunk_sum(Values::Rows(&products), len);
            let fused = product_sum(Values::Rows(&x), Values::Rows(&y), len);
            assert_eq!(
                written.map(f64::to_bits),
                fused.map(f64::to_bits),
                "len {len}"
            );
            let scaled: Vec<f64> = x.iter().map(|a| a * 0.3).collect();
            let written = chunk_sum(Values::Rows(&scaled), len);
            let fused = product_sum(Values::Same(0.3), Values::Rows(&x), len);
            assert_eq!(
                written.map(f64::to_bits),
                fused.map(f64::to_bits),
                "len {len}"
            );
        }
    }

    #[test]
    fn product_sums_are_each_product_sum() {
        for len in [0, 3, 4, 9, 256] {
            let x = values(len, 11);
            let ys: Vec<Vec<f64>> = (0..6).map(|k| values(len, 23 + 5 * k)).collect();
            let mut bs: Vec<Values<'_, f64>> =
                ys.iter().map(|y| Values::Rows(y.as_slice())).collect();
            bs.insert(2, Values::Same(0.7));
            let mut sums = vec![None; bs.len()];
            product_sums(Values::Rows(&x), &bs, len, &mut sums);
            for (b, sum) in bs.iter().zip(&sums) {
                let one = product_sum(Values::Rows(&x), *b, len);
                assert_eq!(one.map(f64::to_bits), sum.map(f64::to_bits), "len {len}");
            }
        }
    }

    #[test]
    fn a_fused_dot_adds_each_row_s_terms_in_order() {
        let n = 37;
        let columns: Vec<Vec<f64>> = (0..11).map(|k| values(n, 13 + 7 * k)).collect();
        let weights: Vec<f64> = values(11, 101);
        let mut terms: Vec<super::super::Term<'_, f64>> = columns
            .iter()
            .zip(&weights)
            .map(|(x, &w)| (Values::Rows(x.as_slice()), Some(Values::Same(w))))
            .collect();
        terms.insert(5, (Values::Rows(columns[0].as_slice()), None));
        terms.push((Values::Same(0.25), None));
        let mut fused = vec![0.0; n];
        dot(&mut fused, &terms);
        for (i, &got) in fused.iter().enumerate() {
            let mut expected = 0.0;
            for (k, (a, b)) in terms.iter().enumerate() {
                let v = a.at(i) * b.map_or(1.0, |b| b.at(i));
                expected = if k == 0 { v } else { expected + v };
            }
            assert_eq!(expected.to_bits(), got.to_bits(), "row {i}");
        }
    }
}
