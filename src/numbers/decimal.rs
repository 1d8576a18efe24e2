//! [`Scalar`] for rust_decimal's [`Decimal`]: 28 significant digits, for precise checks.
//!
//! Arithmetic is rust_decimal's checked arithmetic. The elementary functions are
//! written here on top of it rather than taken from rust_decimal's `MathematicalOps`,
//! which (in 1.43, measured against 50-digit references) reduces `sin`/`cos`/`tan` by a
//! 28-digit 2π (1e-1 relative off at 5e27), has a `tan` good to only 4e-9 on small
//! arguments, `ln`/`log10` to 8e-26 near 1, a `powd` that loses 1e-12 on `0.52^-60`,
//! returns `None` where `exp` or `powd` merely underflows to 0, and panics in its
//! unchecked variants. Only `checked_powi` (integer powers, with 192-bit intermediates
//! for large exponents) is used.
//!
//! # Accuracy
//!
//! A `Decimal` holds at most 28 digits after the point, so a result below 1 in
//! magnitude is only known to about 1e-28 absolute: relative accuracy is bounded by the
//! type to about `1e-28 / |result|`. Within that bound every function here is accurate
//! to a few units of 1e-28 (relative for results above 1, absolute below; at most 3e-27
//! measured): better than 1e-26 relative for any result of magnitude above 0.01. How:
//!
//! - `exp`: `x = k ln2 + r` with a two-part ln 2, Taylor series of `e^r` on `|r| ≤ 0.35`,
//!   times `2^k` exactly.
//! - `ln`: `x = 2^n z` with `z` in `[0.7, 1.42]`, `ln z = 2 atanh((z-1)/(z+1))`.
//! - `sin`, `cos`, `tan`: exact reduction modulo π/2 in integer arithmetic with π to 90
//!   digits (so `sin(1e20)` is right too), Taylor series on `|r| ≤ π/4`.
//! - `atan` by `π/4 - atan((1-y)/(1+y))` and one half-angle step to `|y| ≤ 0.2`, then
//!   its series; `asin` and `acos` by `atan` of half angles, without cancellation
//!   near ±1.
//! - `sqrt` by Newton's method from the f64 root; `x^y` by exact repeated squaring for
//!   integer `y`, otherwise `x^n · e^(f ln x)` with `y = n + f`, `|f| < 1`.
//!
//! A result too large for a `Decimal` (about 7.9e28) is `None`; one too small to be
//! distinguished from 0 is 0 (`exp(-100)`, as in f64).

use super::Scalar;
use crate::graph::{BinOp, Func};
use crate::syntax::Number;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::{Decimal, MathematicalOps};
use std::cmp::Ordering;

impl Scalar for Decimal {
    const RANGE_ERROR: crate::eval::DomainKind = crate::eval::DomainKind::DecimalRange;
    const ZERO: Self = Decimal::ZERO;

    fn from_number(n: &Number) -> Option<Self> {
        match n.exact {
            Some(d) => Some(d),
            None => <Decimal as FromPrimitive>::from_f64(n.value),
        }
    }

    fn from_f64(x: f64) -> Option<Self> {
        <Decimal as FromPrimitive>::from_f64(x)
    }

    fn to_f64(self) -> f64 {
        Number::from_decimal(self).value
    }

    fn from_usize(n: usize) -> Self {
        Decimal::from(n)
    }

    fn pi() -> Self {
        Decimal::PI
    }

    fn euler() -> Self {
        Decimal::E
    }

    fn unary(func: Func, x: Self) -> Option<Self> {
        let y = match func {
            Func::Neg => -x,
            Func::Abs => x.abs(),
            Func::Exp => exp(x)?,
            Func::Ln => ln(x)?,
            Func::Log2 => log2(x)?,
            Func::Log10 => log10(x)?,
            Func::Sqrt => sqrt(x)?,
            Func::Sin => sin_cos(x)?.0,
            Func::Cos => sin_cos(x)?.1,
            Func::Tan => tan(x)?,
            Func::Asin => asin(x)?,
            Func::Acos => acos(x)?,
            Func::Atan => atan(x)?,
            Func::Sinh => sinh(x)?,
            Func::Cosh => cosh(x)?,
            Func::Tanh => tanh(x)?,
            Func::Sigmoid => sigmoid(x)?,
            Func::Softplus => softplus(x)?,
            Func::Relu => x.max(Decimal::ZERO),
            Func::Sign => match x.cmp(&Decimal::ZERO) {
                Ordering::Greater => Decimal::ONE,
                Ordering::Less => Decimal::NEGATIVE_ONE,
                Ordering::Equal => Decimal::ZERO,
            },
            Func::Step => {
                if x > Decimal::ZERO {
                    Decimal::ONE
                } else {
                    Decimal::ZERO
                }
            }
            Func::Sum | Func::Mean => x,
        };
        Some(y)
    }

    fn binary(op: BinOp, x: Self, y: Self) -> Option<Self> {
        match op {
            BinOp::Add => x.checked_add(y),
            BinOp::Sub => x.checked_sub(y),
            BinOp::Mul => x.checked_mul(y),
            BinOp::Div => x.checked_div(y),
            BinOp::Pow => pow(x, y),
            BinOp::Max => Some(x.max(y)),
            BinOp::Min => Some(x.min(y)),
        }
    }
}

/// `mantissa × 10^-scale`, for the constants below.
const fn dec(mantissa: i128, scale: u32) -> Decimal {
    let m = mantissa.unsigned_abs();
    assert!(m >> 96 == 0 && scale <= 28, "constant out of range");
    Decimal::from_parts(
        m as u32,
        (m >> 32) as u32,
        (m >> 64) as u32,
        mantissa < 0,
        scale,
    )
}

const ONE: Decimal = Decimal::ONE;
const TWO: Decimal = Decimal::TWO;
/// ln 2 to 28 places; and split as `LN2_HI + LN2_LO_E28 · 10^-28` to 54 places, so
/// that `k · LN2_HI` is exact for |k| < 1000 and `k · ln 2` good to 1e-28 absolute.
const LN2: Decimal = dec(6931471805599453094172321215, 28);
const LN2_HI: Decimal = dec(69314718055994530941723212, 26);
const LN2_LO_E28: Decimal = dec(1458176568075500134360255254, 26);
const E28: Decimal = dec(10000000000000000000000000000, 0);
const LN10: Decimal = dec(23025850929940456840179914547, 28);
const PI: Decimal = dec(31415926535897932384626433833, 28);
const HALF_PI: Decimal = dec(15707963267948966192313216916, 28);
const QUARTER_PI: Decimal = dec(7853981633974483096156608458, 28);
const TWO_OVER_PI: Decimal = dec(6366197723675813430755350535, 28);
/// tan(π/8) = √2 - 1, rounded (a threshold only).
const TAN_PI_8: Decimal = dec(4142135623730950488016887242, 28);

/// 1/n!, n = 0..=23, to 28 places: `e^r` on |r| ≤ 0.35 to 1e-32.
const EXP_COEFS: [Decimal; 24] = [
    dec(10000000000000000000000000000, 28),
    dec(10000000000000000000000000000, 28),
    dec(5000000000000000000000000000, 28),
    dec(1666666666666666666666666667, 28),
    dec(416666666666666666666666667, 28),
    dec(83333333333333333333333333, 28),
    dec(13888888888888888888888889, 28),
    dec(1984126984126984126984127, 28),
    dec(248015873015873015873016, 28),
    dec(27557319223985890652557, 28),
    dec(2755731922398589065256, 28),
    dec(250521083854417187751, 28),
    dec(20876756987868098979, 28),
    dec(1605904383682161460, 28),
    dec(114707455977297247, 28),
    dec(7647163731819816, 28),
    dec(477947733238739, 28),
    dec(28114572543455, 28),
    dec(1561920696859, 28),
    dec(82206352466, 28),
    dec(4110317623, 28),
    dec(195729411, 28),
    dec(8896791, 28),
    dec(386817, 28),
];

/// 1/(2k+1)!, k = 0..=13: sin (alternating) and sinh, in powers of x².
const ODD_FACT_INV: [Decimal; 14] = [
    dec(10000000000000000000000000000, 28),
    dec(1666666666666666666666666667, 28),
    dec(83333333333333333333333333, 28),
    dec(1984126984126984126984127, 28),
    dec(27557319223985890652557, 28),
    dec(250521083854417187751, 28),
    dec(1605904383682161460, 28),
    dec(7647163731819816, 28),
    dec(28114572543455, 28),
    dec(82206352466, 28),
    dec(195729411, 28),
    dec(386817, 28),
    dec(645, 28),
    dec(1, 28),
];

/// 1/(2k)!, k = 0..=13: cos (alternating) and cosh, in powers of x².
const EVEN_FACT_INV: [Decimal; 14] = [
    dec(10000000000000000000000000000, 28),
    dec(5000000000000000000000000000, 28),
    dec(416666666666666666666666667, 28),
    dec(13888888888888888888888889, 28),
    dec(248015873015873015873016, 28),
    dec(2755731922398589065256, 28),
    dec(20876756987868098979, 28),
    dec(114707455977297247, 28),
    dec(477947733238739, 28),
    dec(1561920696859, 28),
    dec(4110317623, 28),
    dec(8896791, 28),
    dec(16117, 28),
    dec(25, 28),
];

/// 1/(2k+1), k = 0..=22: atan (alternating) and atanh, in powers of x², for |x| ≤ 0.2.
const ODD_INV: [Decimal; 23] = [
    dec(10000000000000000000000000000, 28),
    dec(3333333333333333333333333333, 28),
    dec(2000000000000000000000000000, 28),
    dec(1428571428571428571428571429, 28),
    dec(1111111111111111111111111111, 28),
    dec(909090909090909090909090909, 28),
    dec(769230769230769230769230769, 28),
    dec(666666666666666666666666667, 28),
    dec(588235294117647058823529412, 28),
    dec(526315789473684210526315789, 28),
    dec(476190476190476190476190476, 28),
    dec(434782608695652173913043478, 28),
    dec(400000000000000000000000000, 28),
    dec(370370370370370370370370370, 28),
    dec(344827586206896551724137931, 28),
    dec(322580645161290322580645161, 28),
    dec(303030303030303030303030303, 28),
    dec(285714285714285714285714286, 28),
    dec(270270270270270270270270270, 28),
    dec(256410256410256410256410256, 28),
    dec(243902439024390243902439024, 28),
    dec(232558139534883720930232558, 28),
    dec(222222222222222222222222222, 28),
];

/// `Σ c_k u^k` (or `Σ (-1)^k c_k u^k` when `alternate`) by Horner's rule.
fn horner(coefs: &[Decimal], u: Decimal, alternate: bool) -> Option<Decimal> {
    let mut acc = Decimal::ZERO;
    for &c in coefs.iter().rev() {
        let t = u.checked_mul(acc)?;
        acc = if alternate {
            c.checked_sub(t)?
        } else {
            c.checked_add(t)?
        };
    }
    Some(acc)
}

/// A rough f64 value, for choosing a reduction (never for the result itself).
fn rough(x: Decimal) -> f64 {
    ToPrimitive::to_f64(&x).unwrap_or(f64::NAN)
}

/// `x · 2^k`; each step is exact or rounds once to 28 digits.
fn mul_pow2(mut x: Decimal, k: i32) -> Option<Decimal> {
    let mut k = k;
    while k != 0 {
        let step = k.unsigned_abs().min(64);
        let p = Decimal::from_u128(1u128 << step)?;
        if k > 0 {
            x = x.checked_mul(p)?;
            k -= step as i32;
        } else {
            x = x.checked_div(p)?;
            k += step as i32;
        }
    }
    Some(x)
}

/// `k · ln 2` as a sum `hi + lo`: `hi` exact, `lo` small and within 1e-28.
fn k_ln2(k: i32) -> Option<(Decimal, Decimal)> {
    let k = Decimal::from(k);
    let lo = k.checked_mul(LN2_LO_E28)?.checked_div(E28)?;
    Some((k.checked_mul(LN2_HI)?, lo))
}

fn exp(x: Decimal) -> Option<Decimal> {
    exp_times_pow2(x, 0)
}

/// `e^x · 2^j` for small `j`.
fn exp_times_pow2(x: Decimal, j: i32) -> Option<Decimal> {
    if x.is_zero() && j == 0 {
        return Some(ONE);
    }
    // e^68 > 7.9e28 · 2 overflows; e^-70 < 1e-30 rounds to 0.
    if x > Decimal::from(68) {
        return None;
    }
    if x < Decimal::from(-70) {
        return Some(Decimal::ZERO);
    }
    let k = (rough(x) / std::f64::consts::LN_2).round() as i32;
    let (hi, lo) = k_ln2(k)?;
    let r = x.checked_sub(hi)?.checked_sub(lo)?;
    let e_r = horner(&EXP_COEFS, r, false)?;
    Some(mul_pow2(e_r, k + j)?.normalize())
}

/// `ln(1 + w)` for `1 + w` in about `[0.7, 1.42]`: `2 atanh(w / (2 + w))`.
fn ln1p_near(w: Decimal) -> Option<Decimal> {
    if w.is_zero() {
        return Some(Decimal::ZERO);
    }
    let t = w.checked_div(TWO.checked_add(w)?)?;
    let s = horner(&ODD_INV, t.checked_mul(t)?, false)?;
    TWO.checked_mul(t)?.checked_mul(s)
}

/// `(n, ln z)` with `x = 2^n z`, `z` in about `[0.7, 1.42]`.
fn ln_parts(x: Decimal) -> Option<(i32, Decimal)> {
    if x <= Decimal::ZERO {
        return None;
    }
    let n = rough(x).log2().round() as i32;
    let z = mul_pow2(x, -n)?;
    Some((n, ln1p_near(z.checked_sub(ONE)?)?))
}

fn ln(x: Decimal) -> Option<Decimal> {
    let (n, ln_z) = ln_parts(x)?;
    let (hi, lo) = k_ln2(n)?;
    Some(hi.checked_add(lo.checked_add(ln_z)?)?.normalize())
}

fn log2(x: Decimal) -> Option<Decimal> {
    let (n, ln_z) = ln_parts(x)?;
    Some(
        Decimal::from(n)
            .checked_add(ln_z.checked_div(LN2)?)?
            .normalize(),
    )
}

fn log10(x: Decimal) -> Option<Decimal> {
    if x <= Decimal::ZERO {
        return None;
    }
    // An exact power of ten has an exact logarithm.
    let (mut m, scale) = (x.mantissa(), x.scale() as i64);
    let mut digits = 0;
    while m % 10 == 0 {
        m /= 10;
        digits += 1;
    }
    if m == 1 {
        return Some(Decimal::from(digits - scale));
    }
    Some(ln(x)?.checked_div(LN10)?.normalize())
}

fn sqrt(x: Decimal) -> Option<Decimal> {
    if x.is_sign_negative() && !x.is_zero() {
        return None;
    }
    if x.is_zero() {
        return Some(Decimal::ZERO);
    }
    let mut g = <Decimal as FromPrimitive>::from_f64(rough(x).sqrt())?;
    // The f64 root has 16 digits: two Newton steps give all 28; a third settles the last.
    for _ in 0..3 {
        let next = g.checked_add(x.checked_div(g)?)?.checked_div(TWO)?;
        if next == g {
            break;
        }
        g = next;
    }
    Some(g.normalize())
}

/// Little-endian 64-bit limbs of an integer below 2^512.
type Wide = [u64; 8];

/// π/2 · 10^90, rounded to an integer.
const HALF_PI_E90: Wide = [
    0xefc8e64d842b4485,
    0x90ff0f08c3bcde9a,
    0x36971b290c25f8b3,
    0xf181e252f1251501,
    0x00000c56807491d3,
    0,
    0,
    0,
];

fn wide(v: u128) -> Wide {
    let mut w = [0; 8];
    w[0] = v as u64;
    w[1] = (v >> 64) as u64;
    w
}

/// `a · b`, or `None` from 2^512 on.
fn wide_mul(a: &Wide, b: &[u64]) -> Option<Wide> {
    let mut out = [0u64; 8];
    for (j, &bj) in b.iter().enumerate() {
        let mut carry = 0u128;
        for (i, &ai) in a.iter().enumerate() {
            let k = i + j;
            let t = ai as u128 * bj as u128 + carry + out.get(k).map_or(0, |&o| o as u128);
            match out.get_mut(k) {
                Some(o) => *o = t as u64,
                None if t as u64 != 0 => return None,
                None => {}
            }
            carry = t >> 64;
        }
        if carry != 0 {
            return None;
        }
    }
    Some(out)
}

/// `a + b` (no overflow for the sizes used here).
fn wide_add(a: &Wide, b: &Wide) -> Wide {
    let mut out = [0u64; 8];
    let mut carry = false;
    for i in 0..8 {
        let (s, c1) = a[i].overflowing_add(b[i]);
        let (s, c2) = s.overflowing_add(u64::from(carry));
        out[i] = s;
        carry = c1 || c2;
    }
    out
}

/// `a - b` for `a ≥ b`.
fn wide_sub(a: &Wide, b: &Wide) -> Wide {
    let mut out = [0u64; 8];
    let mut borrow = false;
    for i in 0..8 {
        let (d, b1) = a[i].overflowing_sub(b[i]);
        let (d, b2) = d.overflowing_sub(u64::from(borrow));
        out[i] = d;
        borrow = b1 || b2;
    }
    out
}

fn wide_cmp(a: &Wide, b: &Wide) -> Ordering {
    a.iter().rev().cmp(b.iter().rev())
}

/// `a / d`, truncated.
fn wide_div(a: &Wide, d: u64) -> Wide {
    let mut out = [0u64; 8];
    let mut rem = 0u128;
    for i in (0..8).rev() {
        let cur = (rem << 64) | a[i] as u128;
        out[i] = (cur / d as u128) as u64;
        rem = cur % d as u128;
    }
    out
}

/// `a · 10^e`.
fn wide_mul_pow10(mut a: Wide, mut e: u32) -> Option<Wide> {
    while e > 0 {
        let step = e.min(19);
        a = wide_mul(&a, &[10u64.pow(step)])?;
        e -= step;
    }
    Some(a)
}

/// `x = q·π/2 + r` with `|r| ≤ π/4`.
struct Reduced {
    /// `r`, rounded to 28 places.
    r: Decimal,
    /// `r = digits · 10^-shift` with 28 significant digits however small `r` is (for
    /// the cotangent near a pole of tan).
    digits: Decimal,
    shift: u32,
    /// `q mod 4`.
    quadrant: u32,
}

/// [`Reduced`] for `x ≥ 0`, by exact integer arithmetic on `x · 10^90` against π/2 to
/// 90 places.
fn reduce_half_pi(x: Decimal) -> Option<Reduced> {
    if x <= QUARTER_PI {
        return Some(Reduced {
            r: x,
            digits: x,
            shift: 0,
            quadrant: 0,
        });
    }
    let scaled = wide_mul_pow10(wide(x.mantissa().unsigned_abs()), 90 - x.scale())?;
    // q to within a few units from 28 digits; the loop below corrects it.
    let q = x.checked_mul(TWO_OVER_PI)?.round().to_u128()?;
    let qpi = wide_mul(&HALF_PI_E90, &[q as u64, (q >> 64) as u64])?;
    let mut q = q as i128;
    let (mut negative, mut r) = match wide_cmp(&scaled, &qpi) {
        Ordering::Less => (true, wide_sub(&qpi, &scaled)),
        _ => (false, wide_sub(&scaled, &qpi)),
    };
    let mut settled = false;
    for _ in 0..64 {
        if wide_cmp(&wide_add(&r, &r), &HALF_PI_E90) != Ordering::Greater {
            settled = true;
            break;
        }
        // One step of π/2 towards zero.
        q += if negative { -1 } else { 1 };
        if wide_cmp(&r, &HALF_PI_E90) == Ordering::Less {
            r = wide_sub(&HALF_PI_E90, &r);
            negative = !negative;
        } else {
            r = wide_sub(&r, &HALF_PI_E90);
        }
    }
    if !settled {
        return None;
    }
    let signed = |m: &Wide, scale: u32| {
        let m = (m[0] as i128) | ((m[1] as i128) << 64);
        Decimal::try_from_i128_with_scale(if negative { -m } else { m }, scale).ok()
    };
    // r · 10^90 → r · 10^28, rounded half up.
    let mut rounded = wide_add(&r, &wide_mul_pow10(wide(5), 61)?);
    for step in [19, 19, 19, 5] {
        rounded = wide_div(&rounded, 10u64.pow(step));
    }
    // The first 28 significant digits of r (truncated).
    let limit = wide_mul_pow10(wide(1), 28)?;
    let mut places = 90;
    while wide_cmp(&r, &limit) != Ordering::Less {
        r = wide_div(&r, 10);
        places -= 1;
    }
    Some(Reduced {
        r: signed(&rounded, 28)?,
        digits: signed(&r, places.min(28))?,
        shift: places.saturating_sub(28),
        quadrant: q.rem_euclid(4) as u32,
    })
}

/// `(sin r, cos r)` for |r| ≤ π/4 by their Taylor series.
fn sin_cos_series(r: Decimal) -> Option<(Decimal, Decimal)> {
    let u = r.checked_mul(r)?;
    Some((
        r.checked_mul(horner(&ODD_FACT_INV, u, true)?)?,
        horner(&EVEN_FACT_INV, u, true)?,
    ))
}

/// `(sin x, cos x)`.
fn sin_cos(x: Decimal) -> Option<(Decimal, Decimal)> {
    let reduced = reduce_half_pi(x.abs())?;
    let (s, c) = sin_cos_series(reduced.r)?;
    let (s, c) = match reduced.quadrant {
        0 => (s, c),
        1 => (c, -s),
        2 => (-s, -c),
        _ => (-c, s),
    };
    let s = if x.is_sign_negative() { -s } else { s };
    Some((s.normalize(), c.normalize()))
}

fn tan(x: Decimal) -> Option<Decimal> {
    let reduced = reduce_half_pi(x.abs())?;
    let (s, c) = sin_cos_series(reduced.r)?;
    let t = if reduced.quadrant % 2 == 0 {
        s.checked_div(c)?
    } else {
        // -cot r = -(cos r / (sin r / r)) / r, with r to 28 significant digits: near a
        // pole, sin r alone (to 28 places) would have too few.
        let sinc = horner(&ODD_FACT_INV, reduced.r.checked_mul(reduced.r)?, true)?;
        let t = c.checked_div(sinc)?.checked_div(reduced.digits)?;
        -mul_pow10(t, reduced.shift)?
    };
    let t = if x.is_sign_negative() { -t } else { t };
    Some(t.normalize())
}

/// `x · 10^e`, or `None` beyond the Decimal range.
fn mul_pow10(x: Decimal, e: u32) -> Option<Decimal> {
    if e > 28 {
        return if x.is_zero() { Some(x) } else { None };
    }
    x.checked_mul(Decimal::from_i128_with_scale(10i128.pow(e), 0))
}

/// atan(y) for 0 ≤ y ≤ 1.
fn atan_unit(y: Decimal) -> Option<Decimal> {
    if y > TAN_PI_8 {
        // atan y = π/4 - atan((1-y)/(1+y)), the latter below tan(π/8).
        let w = ONE.checked_sub(y)?.checked_div(ONE.checked_add(y)?)?;
        return QUARTER_PI.checked_sub(atan_unit(w)?);
    }
    if y > dec(2, 1) {
        // atan y = 2 atan(y / (1 + √(1+y²))), the latter below tan(π/16) ≈ 0.199.
        let root = sqrt(ONE.checked_add(y.checked_mul(y)?)?)?;
        let half = y.checked_div(ONE.checked_add(root)?)?;
        return TWO.checked_mul(atan_unit(half)?);
    }
    y.checked_mul(horner(&ODD_INV, y.checked_mul(y)?, true)?)
}

fn atan(x: Decimal) -> Option<Decimal> {
    let a = x.abs();
    let r = if a > ONE {
        HALF_PI.checked_sub(atan_unit(ONE.checked_div(a)?)?)?
    } else {
        atan_unit(a)?
    };
    Some(if x.is_sign_negative() { -r } else { r }.normalize())
}

/// `(√(1-x), √(1+x))` for |x| ≤ 1: exact arguments, no cancellation near ±1.
fn half_angle_roots(x: Decimal) -> Option<(Decimal, Decimal)> {
    if x.abs() > ONE {
        return None;
    }
    Some((sqrt(ONE.checked_sub(x)?)?, sqrt(ONE.checked_add(x)?)?))
}

fn asin(x: Decimal) -> Option<Decimal> {
    // asin x = 2 atan(x / (1 + √(1-x²))), the argument within [-1, 1].
    let (minus, plus) = half_angle_roots(x)?;
    let denominator = ONE.checked_add(minus.checked_mul(plus)?)?;
    Some(
        TWO.checked_mul(atan(x.checked_div(denominator)?)?)?
            .normalize(),
    )
}

fn acos(x: Decimal) -> Option<Decimal> {
    // acos x = 2 atan(√(1-x) / √(1+x)).
    let (minus, plus) = half_angle_roots(x)?;
    if plus.is_zero() {
        return Some(PI);
    }
    Some(
        TWO.checked_mul(atan(minus.checked_div(plus)?)?)?
            .normalize(),
    )
}

/// Above this |x|, e^-|x| no longer matters next to e^|x| (e^-70 < 1e-30).
fn hyperbolic_far() -> Decimal {
    Decimal::from(35)
}

/// `(sinh a, cosh a)` for a ≥ 0 not beyond [`hyperbolic_far`].
fn sinh_cosh_near(a: Decimal) -> Option<(Decimal, Decimal)> {
    if a <= ONE {
        // Taylor series: no cancellation in sinh of a small argument.
        let u = a.checked_mul(a)?;
        let s = a.checked_mul(horner(&ODD_FACT_INV, u, false)?)?;
        return Some((s, horner(&EVEN_FACT_INV, u, false)?));
    }
    let e = exp(a)?;
    let inv = ONE.checked_div(e)?;
    Some((
        e.checked_sub(inv)?.checked_div(TWO)?,
        e.checked_add(inv)?.checked_div(TWO)?,
    ))
}

/// `e^a / 2` for large a, without overflowing before the result does.
fn half_exp(a: Decimal) -> Option<Decimal> {
    exp_times_pow2(a, -1)
}

fn sinh(x: Decimal) -> Option<Decimal> {
    let a = x.abs();
    let s = if a > hyperbolic_far() {
        half_exp(a)?
    } else {
        sinh_cosh_near(a)?.0
    };
    Some(if x.is_sign_negative() { -s } else { s }.normalize())
}

fn cosh(x: Decimal) -> Option<Decimal> {
    let a = x.abs();
    let c = if a > hyperbolic_far() {
        half_exp(a)?
    } else {
        sinh_cosh_near(a)?.1
    };
    Some(c.normalize())
}

fn tanh(x: Decimal) -> Option<Decimal> {
    let a = x.abs();
    let t = if a > hyperbolic_far() {
        ONE
    } else {
        let (s, c) = sinh_cosh_near(a)?;
        s.checked_div(c)?
    };
    Some(if x.is_sign_negative() { -t } else { t }.normalize())
}

fn sigmoid(x: Decimal) -> Option<Decimal> {
    let y = if x.is_sign_negative() {
        let e = exp(x)?;
        e.checked_div(ONE.checked_add(e)?)?
    } else {
        ONE.checked_div(ONE.checked_add(exp(-x)?)?)?
    };
    Some(y.normalize())
}

fn softplus(x: Decimal) -> Option<Decimal> {
    // ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|).
    let t = exp(-x.abs())?;
    let tail = if t <= TAN_PI_8 {
        ln1p_near(t)?
    } else {
        ln(ONE.checked_add(t)?)?
    };
    Some(x.max(Decimal::ZERO).checked_add(tail)?.normalize())
}

/// Integer exponents at most this large in magnitude go by repeated squaring.
const MAX_SQUARING_EXPONENT: i64 = 1 << 62;

/// `x^n` by repeated squaring, with a result too small to show as 0.
fn powi(x: Decimal, n: i64) -> Option<Decimal> {
    let below_one = x.abs() < ONE;
    if n >= 0 {
        return match x.checked_powi(n) {
            None if below_one => Some(Decimal::ZERO),
            p => p,
        };
    }
    if below_one {
        // (1/x)^|n|: an x^|n| below 1 would keep too few digits to invert.
        return ONE.checked_div(x)?.checked_powi(-n);
    }
    match x.checked_powi(-n) {
        Some(p) => ONE.checked_div(p),
        None => Some(Decimal::ZERO),
    }
}

/// `e^(y·l)`, with a product beyond the Decimal range read as overflow or underflow.
fn exp_product(y: Decimal, l: Decimal) -> Option<Decimal> {
    match y.checked_mul(l) {
        Some(p) => exp(p),
        None if y.is_sign_negative() != l.is_sign_negative() => Some(Decimal::ZERO),
        None => None,
    }
}

fn pow(x: Decimal, y: Decimal) -> Option<Decimal> {
    if y.is_zero() {
        return Some(ONE);
    }
    if x.is_zero() {
        return if y.is_sign_negative() {
            None
        } else {
            Some(Decimal::ZERO)
        };
    }
    let whole = y.trunc();
    let small = whole.to_i64().filter(|n| n.abs() <= MAX_SQUARING_EXPONENT);
    if y.is_integer() {
        let p = match small {
            Some(n) => powi(x, n)?,
            None => {
                let m = exp_product(y, ln(x.abs())?)?;
                let odd = y.normalize().mantissa() % 2 != 0;
                if x.is_sign_negative() && odd { -m } else { m }
            }
        };
        return Some(p.normalize());
    }
    if x.is_sign_negative() {
        return None;
    }
    let p = match small {
        Some(n) => {
            let fraction = y.checked_sub(whole)?;
            powi(x, n)?.checked_mul(exp_product(fraction, ln(x)?)?)?
        }
        None => exp_product(y, ln(x)?)?,
    };
    Some(p.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s)
            .or_else(|_| Decimal::from_scientific(s))
            .unwrap()
    }

    fn un(func: Func, x: &str) -> Option<Decimal> {
        <Decimal as Scalar>::unary(func, d(x))
    }

    fn bin(op: BinOp, x: &str, y: &str) -> Option<Decimal> {
        <Decimal as Scalar>::binary(op, d(x), d(y))
    }

    /// Asserts `got` within 1e-25 relative of `want` (a reference of 30+ digits, from
    /// Python's mpmath at 50 digits); returns the relative error.
    #[track_caller]
    fn close(got: Option<Decimal>, want: &str) -> f64 {
        let got = got.expect("a value");
        let want_exact: f64 = want.parse().unwrap();
        // The reference rounded to what a Decimal holds.
        let want = Decimal::from_str(want)
            .or_else(|_| Decimal::from_scientific(want))
            .unwrap();
        let error = (got - want).abs();
        let relative = rough(error) / want_exact.abs();
        assert!(
            error <= want.abs() * dec(1, 25),
            "got {got}, want {want}: relative error {relative:e}"
        );
        relative
    }

    /// Asserts `got` within 1e-27 of `want`: for results below 0.01, whose relative
    /// accuracy the type itself bounds (28 places).
    #[track_caller]
    fn near(got: Option<Decimal>, want: &str) {
        let (got, want) = (got.expect("a value"), Decimal::from_str(want).unwrap());
        assert!((got - want).abs() <= dec(1, 27), "got {got}, want {want}");
    }

    #[test]
    fn constants_and_exp_ln() {
        close(
            Some(Decimal::euler()),
            "2.71828182845904523536028747135266249775724709",
        );
        close(
            Some(Decimal::pi()),
            "3.14159265358979323846264338327950288419716940",
        );
        close(
            un(Func::Exp, "1"),
            "2.71828182845904523536028747135266249775724709",
        );
        close(
            un(Func::Exp, "-1"),
            "0.367879441171442321595523770161460867445811131",
        );
        close(
            un(Func::Exp, "10"),
            "22026.4657948067165169579006452842443663535126",
        );
        near(
            un(Func::Exp, "-10"),
            "0.0000453999297624848515355915155605506102379180889",
        );
        close(
            un(Func::Exp, "0.5"),
            "1.64872127070012814684865078781416357165377610",
        );
        close(
            un(Func::Exp, "66"),
            "46071866343312915426773184428.0600868933490030",
        );
        close(
            un(Func::Exp, "-3.25"),
            "0.0387742078317220098868998352675961432601440619",
        );
        close(
            un(Func::Exp, "1e-20"),
            "1.00000000000000000001000000000000000000005000",
        );
        close(
            un(Func::Ln, "2"),
            "0.693147180559945309417232121458176568075500134",
        );
        close(
            un(Func::Ln, "3"),
            "1.09861228866810969139524523692252570464749056",
        );
        close(
            un(Func::Ln, "10"),
            "2.30258509299404568401799145468436420760110149",
        );
        close(
            un(Func::Ln, "0.5"),
            "-0.693147180559945309417232121458176568075500134",
        );
        close(
            un(Func::Ln, "1.5"),
            "0.405465108108164381978013115464349136571990423",
        );
        close(
            un(Func::Ln, "0.99"),
            "-0.0100503358535014411835488575585477060855150077",
        );
        close(
            un(Func::Ln, "1e20"),
            "46.0517018598809136803598290936872841520220298",
        );
        close(
            un(Func::Ln, "1e-20"),
            "-46.0517018598809136803598290936872841520220298",
        );
        close(
            un(Func::Ln, "7e28"),
            "66.4182927528885924576091134746053775424679264",
        );
        close(
            un(Func::Ln, "0.0000000000000000000000000001"),
            "-64.4723826038332791525037607311621978128308417",
        );
        close(
            un(Func::Log2, "10"),
            "3.32192809488736234787031942948939017586483139",
        );
        close(
            un(Func::Log10, "2"),
            "0.301029995663981195213738894724493026768189881",
        );
        close(
            un(Func::Log10, "0.5"),
            "-0.301029995663981195213738894724493026768189881",
        );
        assert_eq!(un(Func::Log2, "1024"), Some(d("10")));
        assert_eq!(un(Func::Log2, "0.125"), Some(d("-3")));
        assert_eq!(un(Func::Log10, "1000"), Some(d("3")));
        assert_eq!(un(Func::Log10, "0.001"), Some(d("-3")));
        assert_eq!(un(Func::Exp, "0"), Some(ONE));
        assert_eq!(un(Func::Ln, "1"), Some(Decimal::ZERO));
    }

    #[test]
    fn roots_and_powers() {
        close(
            un(Func::Sqrt, "2"),
            "1.41421356237309504880168872420969807856967188",
        );
        close(
            un(Func::Sqrt, "3"),
            "1.73205080756887729352744634150587236694280525",
        );
        close(un(Func::Sqrt, "1e20"), "10000000000");
        close(
            un(Func::Sqrt, "7.5e28"),
            "273861278752583.056728484891400401066976372347",
        );
        assert_eq!(un(Func::Sqrt, "2.25"), Some(d("1.5")));
        assert_eq!(un(Func::Sqrt, "0"), Some(Decimal::ZERO));
        close(
            bin(BinOp::Pow, "2", "0.5"),
            "1.41421356237309504880168872420969807856967188",
        );
        close(
            bin(BinOp::Pow, "1.5", "2.5"),
            "2.75567596063107536047194458404412781596169092",
        );
        close(
            bin(BinOp::Pow, "10", "-2.5"),
            "0.00316227766016837933199889354443271853371955514",
        );
        close(
            bin(BinOp::Pow, "0.3", "-50.5"),
            "254317728932571853025899305.842589176004524454",
        );
        close(
            bin(BinOp::Pow, "2.718281828459045", "66.1"),
            "50917286824097373752328967885.5952736687032160",
        );
        close(
            bin(BinOp::Pow, "1.0001", "100000"),
            "22015.4560485521986457014565816587155205976418",
        );
        close(
            bin(BinOp::Pow, "3", "-2"),
            "0.111111111111111111111111111111111111111111111",
        );
        close(
            bin(BinOp::Pow, "0.3", "-50"),
            "139295556909853834633644234.459639456051420608",
        );
        assert_eq!(bin(BinOp::Pow, "1.5", "10"), Some(d("57.6650390625")));
        assert_eq!(bin(BinOp::Pow, "-2", "3"), Some(d("-8")));
        assert_eq!(bin(BinOp::Pow, "-2", "-3"), Some(d("-0.125")));
        assert_eq!(bin(BinOp::Pow, "0", "0"), Some(ONE));
        assert_eq!(bin(BinOp::Pow, "0", "2.5"), Some(Decimal::ZERO));
        assert_eq!(bin(BinOp::Pow, "5", "0"), Some(ONE));
        // too small to show: 0, as in f64
        assert_eq!(bin(BinOp::Pow, "0.5", "1000"), Some(Decimal::ZERO));
        assert_eq!(bin(BinOp::Pow, "10", "-40"), Some(Decimal::ZERO));
        assert_eq!(bin(BinOp::Pow, "10", "-40.5"), Some(Decimal::ZERO));
        assert_eq!(bin(BinOp::Pow, "1", "1e27"), Some(ONE));
        assert_eq!(bin(BinOp::Pow, "-1", "1e27"), Some(ONE));
        assert_eq!(
            bin(BinOp::Pow, "-1", "1000000000000000000000000001"),
            Some(-ONE)
        );
        assert_eq!(bin(BinOp::Pow, "0.5", "1e27"), Some(Decimal::ZERO));
    }

    #[test]
    fn trigonometry() {
        close(
            un(Func::Sin, "1"),
            "0.841470984807896506652502321630298999622563061",
        );
        close(
            un(Func::Cos, "1"),
            "0.540302305868139717400936607442976603732310421",
        );
        close(
            un(Func::Tan, "1"),
            "1.55740772465490223050697480745836017308725077",
        );
        close(
            un(Func::Sin, "-2"),
            "-0.909297426825681695396019865911744842702254971",
        );
        close(
            un(Func::Cos, "3"),
            "-0.989992496600445457271572794731261302393679097",
        );
        close(
            un(Func::Sin, "100"),
            "-0.506365641109758793656557610459785432065032721",
        );
        close(
            un(Func::Cos, "1e20"),
            "0.763970404441728300400146802737881122834473442",
        );
        close(
            un(Func::Sin, "1e20"),
            "-0.645251285265780844205811711312523007406904197",
        );
        close(
            un(Func::Sin, "70000000000000000000000000000"),
            "0.459609672763517032707715146162063613282733056",
        );
        close(
            un(Func::Tan, "1.5707"),
            "10381.3274175713946958511789781542129427085079",
        );
        close(
            un(Func::Sin, "0.5"),
            "0.479425538604203000273287935215571388081803368",
        );
        close(
            un(Func::Atan, "1"),
            "0.785398163397448309615660845819875721049292350",
        );
        close(
            un(Func::Atan, "0.3"),
            "0.291456794477867091995604621432891193503167599",
        );
        close(
            un(Func::Atan, "-0.7"),
            "-0.610725964389208616543758876490236093818503066",
        );
        close(
            un(Func::Atan, "100"),
            "1.56079666010823138102498157543047189353721535",
        );
        close(
            un(Func::Asin, "0.5"),
            "0.523598775598298873077107230546583814032861567",
        );
        close(
            un(Func::Asin, "-0.9999"),
            "-1.55665407331738374163508146582209533637418163",
        );
        close(
            un(Func::Acos, "0.5"),
            "1.04719755119659774615421446109316762806572313",
        );
        close(
            un(Func::Acos, "-0.25"),
            "1.82347658193697527271697912863346241435077843",
        );
        close(
            un(Func::Acos, "0.9999"),
            "0.0141422534775128775962402258176561057244030662",
        );
        assert_eq!(un(Func::Asin, "1"), Some(HALF_PI));
        assert_eq!(un(Func::Acos, "-1"), Some(PI));
        assert_eq!(un(Func::Acos, "1"), Some(Decimal::ZERO));
        assert_eq!(un(Func::Sin, "0"), Some(Decimal::ZERO));
        assert_eq!(un(Func::Cos, "0"), Some(ONE));
        assert_eq!(un(Func::Sin, &HALF_PI.to_string()), Some(ONE));
    }

    #[test]
    fn hyperbolic_and_activations() {
        close(
            un(Func::Sinh, "1"),
            "1.17520119364380145688238185059560081515571798",
        );
        close(
            un(Func::Cosh, "1"),
            "1.54308063481524377847790562075706168260152911",
        );
        close(
            un(Func::Tanh, "1"),
            "0.761594155955764888119458282604793590412768597",
        );
        close(
            un(Func::Sinh, "-0.1"),
            "-0.100166750019844025823729383521905023514920917",
        );
        close(
            un(Func::Tanh, "2.5"),
            "0.986614298151430288881276039237349639212511982",
        );
        close(
            un(Func::Sinh, "67"),
            "62618158542110689025676098037.2182883767442637",
        );
        close(
            un(Func::Cosh, "-40"),
            "117692633418509992.703949955374517404378612936",
        );
        close(
            un(Func::Tanh, "-40"),
            "-0.999999999999999999999999999999999963902972243",
        );
        close(
            un(Func::Sigmoid, "1"),
            "0.731058578630004879251159241821836274365144640",
        );
        close(
            un(Func::Sigmoid, "-1"),
            "0.268941421369995120748840758178163725634855360",
        );
        near(
            un(Func::Sigmoid, "-20"),
            "0.00000000206115361819020358143086212947459269075249002",
        );
        close(
            un(Func::Softplus, "1"),
            "1.31326168751822283404899549496785564191528009",
        );
        close(
            un(Func::Softplus, "-2"),
            "0.126928011042972496443726806358304431434333063",
        );
        close(
            un(Func::Softplus, "30"),
            "30.0000000000000935762296883973677937769742468",
        );
        assert_eq!(un(Func::Sigmoid, "0"), Some(d("0.5")));
        assert_eq!(un(Func::Sigmoid, "1000"), Some(ONE));
        assert_eq!(un(Func::Sigmoid, "-1000"), Some(Decimal::ZERO));
        assert_eq!(un(Func::Softplus, "1000"), Some(d("1000")));
        assert_eq!(un(Func::Relu, "-2"), Some(Decimal::ZERO));
        assert_eq!(un(Func::Relu, "2.5"), Some(d("2.5")));
        assert_eq!(un(Func::Sign, "-0.1"), Some(-ONE));
        assert_eq!(un(Func::Sign, "0"), Some(Decimal::ZERO));
        assert_eq!(un(Func::Sign, "3"), Some(ONE));
        assert_eq!(un(Func::Step, "0"), Some(Decimal::ZERO));
        assert_eq!(un(Func::Step, "0.0000000000000000000000000001"), Some(ONE));
        assert_eq!(un(Func::Abs, "-1.5"), Some(d("1.5")));
        assert_eq!(un(Func::Neg, "1.5"), Some(d("-1.5")));
        assert_eq!(un(Func::Sum, "4"), Some(d("4")));
        assert_eq!(un(Func::Mean, "4"), Some(d("4")));
    }

    #[test]
    fn outside_the_domain_or_range_is_none() {
        assert_eq!(un(Func::Ln, "0"), None);
        assert_eq!(un(Func::Ln, "-1"), None);
        assert_eq!(un(Func::Log2, "0"), None);
        assert_eq!(un(Func::Log10, "-0.5"), None);
        assert_eq!(un(Func::Sqrt, "-1"), None);
        assert_eq!(un(Func::Asin, "2"), None);
        assert_eq!(un(Func::Asin, "-1.0000000000000000000000000001"), None);
        assert_eq!(un(Func::Acos, "1.5"), None);
        assert_eq!(un(Func::Exp, "1000"), None);
        assert_eq!(un(Func::Exp, "66.6"), None);
        assert_eq!(un(Func::Sinh, "68"), None);
        assert_eq!(un(Func::Cosh, "-1000"), None);
        assert_eq!(
            un(Func::Exp, "-1000"),
            Some(Decimal::ZERO),
            "underflow is not an error"
        );
        assert_eq!(bin(BinOp::Div, "1", "0"), None);
        assert_eq!(bin(BinOp::Div, "0", "0"), None);
        assert_eq!(bin(BinOp::Mul, "1e20", "1e20"), None);
        assert_eq!(bin(BinOp::Add, "79228162514264337593543950335", "1"), None);
        assert_eq!(bin(BinOp::Pow, "0", "-1"), None);
        assert_eq!(bin(BinOp::Pow, "0", "-0.5"), None);
        assert_eq!(bin(BinOp::Pow, "-2", "0.5"), None);
        assert_eq!(bin(BinOp::Pow, "10", "29"), None);
        assert_eq!(bin(BinOp::Pow, "10", "29.5"), None);
        assert_eq!(bin(BinOp::Pow, "2", "1e27"), None);
        assert_eq!(bin(BinOp::Pow, "0.1", "-29"), None);
        // a tangent at the pole is huge but finite: the pole itself is not a Decimal
        assert!(un(Func::Tan, &HALF_PI.to_string()).is_some());
    }

    #[test]
    fn never_panics_on_extremes() {
        let extremes = [
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
            "0.0000000000000000000000000001",
            "-0.0000000000000000000000000001",
            "7.9228162514264337593543950335",
            "0",
            "1",
            "-1",
            "66.5",
            "-66.5",
            "1e27",
        ];
        let funcs = [
            Func::Neg,
            Func::Exp,
            Func::Ln,
            Func::Log2,
            Func::Log10,
            Func::Sqrt,
            Func::Abs,
            Func::Sin,
            Func::Cos,
            Func::Tan,
            Func::Asin,
            Func::Acos,
            Func::Atan,
            Func::Sinh,
            Func::Cosh,
            Func::Tanh,
            Func::Sigmoid,
            Func::Softplus,
            Func::Relu,
            Func::Sign,
            Func::Step,
        ];
        let ops = [
            BinOp::Add,
            BinOp::Sub,
            BinOp::Mul,
            BinOp::Div,
            BinOp::Pow,
            BinOp::Max,
            BinOp::Min,
        ];
        for x in extremes {
            let x = Decimal::from_scientific(x).unwrap_or_else(|_| d(x));
            for func in funcs {
                let _ = Decimal::unary(func, x);
            }
            for y in extremes {
                let y = Decimal::from_scientific(y).unwrap_or_else(|_| d(y));
                for op in ops {
                    let _ = Decimal::binary(op, x, y);
                }
            }
        }
    }

    #[test]
    fn monotonic_and_inverse() {
        let mut last = Decimal::MIN;
        for i in -60..=60 {
            let x = Decimal::from(i) / Decimal::from(7);
            let e = exp(x).unwrap();
            assert!(e >= last, "exp not monotonic at {x}");
            last = e;
            // ln(exp(x)) = x to the precision exp(x) has
            let back = ln(e).unwrap();
            let tolerance = dec(1, 26).max(dec(1, 27) / e);
            assert!((back - x).abs() <= tolerance, "ln(exp({x})) = {back}");
        }
        for i in 1..=100 {
            let x = Decimal::from(i) / Decimal::from(37);
            let (s, c) = sin_cos(x).unwrap();
            let one = s * s + c * c;
            assert!((one - ONE).abs() <= dec(1, 27), "sin²+cos² at {x}: {one}");
            let r = sqrt(x).unwrap();
            assert!((r * r - x).abs() <= dec(1, 27), "sqrt({x})² = {}", r * r);
        }
    }

    #[test]
    fn conversions() {
        let n = Number::parse("0.1").unwrap();
        assert_eq!(<Decimal as Scalar>::from_number(&n), Some(d("0.1")));
        assert_eq!(<Decimal as Scalar>::from_f64(0.1), Some(d("0.1")));
        assert_eq!(<Decimal as Scalar>::from_f64(f64::NAN), None);
        assert_eq!(<Decimal as Scalar>::from_f64(1e300), None);
        assert_eq!(<Decimal as Scalar>::from_usize(12), d("12"));
        assert_eq!(<Decimal as Scalar>::to_f64(d("0.1")), 0.1);
        assert_eq!(<Decimal as Scalar>::to_f64(d("-2.5")), -2.5);
    }
}
