//! Vectorisable f64 kernels for the hot transcendental functions of the tape: `exp`,
//! `ln`, `tanh`, `sigmoid` and `softplus`, over slices and as scalars.
//!
//! The standard library's `f64::exp` and friends call libm once per value, which the
//! compiler cannot vectorise. These kernels are straight-line, branch-free code (range
//! reduction by bit manipulation, a polynomial, selects instead of branches for the
//! special cases), so a loop over a slice compiles to packed SSE2 instructions on the
//! default x86-64 target, two rows per instruction, with no `unsafe` and no intrinsics.
//!
//! Each slice kernel is `out[i] = f1(x[i])` with the scalar `f1` of the same name plus
//! `1` (`exp` / [`exp1`]), bit for bit. The slice kernels run blocks of 8 values whose
//! four vector dependency chains the CPU overlaps; the scalar versions are `#[inline]`,
//! so a fused loop elsewhere that calls them vectorises too (without that interleaving).
//!
//! Accuracy against the standard library (glibc: `exp`, `ln` and `log1p` within about
//! 0.5 ulp, `tanh` within 2), measured by the tests below over 1.7 to 2.5 million points
//! per kernel spread over the whole domain, edges included, plus a million random bit
//! patterns (distance in ulps, counting subnormals as ulps):
//!
//! | kernel     | max ulp vs std | how                                                      |
//! |------------|----------------|----------------------------------------------------------|
//! | `exp`      | 1              | Cody-Waite, degree-12 minimax (Estrin), 2^k as 2 factors |
//! | `ln`       | 1              | fdlibm's `log`: s = f/(2+f), degree-7 minimax in s^2     |
//! | `tanh`     | 3              | (1-e)/(1+e), e = exp(-2\|x\|), or -em1/(2+em1) near 0    |
//! | `sigmoid`  | 2              | 1/(1+e) or e/(1+e) with e = exp(-\|x\|)                  |
//! | `softplus` | 3              | max(x,0) + log1p(exp(-\|x\|)), log1p by Goldberg's trick |
//!
//! (`sigmoid` is compared with the same formula through std's `exp`, `softplus` with
//! `x.max(0.0) + (-x.abs()).exp().ln_1p()`; both references carry their own rounding.)
//!
//! Speed (release, default x86-64 target, on the 2 GHz AMD EPYC (Zen 1) of the
//! development machine, 4096 values in cache, thread CPU time), ns per value against
//! the plain loop over std: `exp` 4.0 / 7.0, `ln` 5.1 / 6.6, `tanh` 6.4 / 27, `sigmoid`
//! 5.1 / 8.1, `softplus` 9.1 / 20; about the same for 10^6 values. The `timing_vs_std`
//! test (ignored) prints these. On this target a vector holds only two doubles and
//! there is no FMA, so the gain over glibc's scalar, table-driven `exp` is below 2x.
//!
//! Special values follow std: `exp` is `+inf` above 709.78 and 0 below -745.14, with
//! subnormal results in between, rounded once; `ln(0) = -inf`, `ln(x < 0) = NaN`,
//! `ln(+inf) = +inf`; NaN in gives NaN out everywhere; `tanh(±inf) = ±1`,
//! `sigmoid(+inf) = 1`, `sigmoid(-inf) = 0`, `softplus(-inf) = 0`.

/// Rows per block in the slice kernels: 8 doubles are four SSE2 vectors whose
/// dependency chains the CPU can overlap (a single chain per loop iteration leaves it
/// waiting on latency).
const LANES: usize = 8;

/// `L` doubles processed in lock step. Every operation is a loop over the lanes, so
/// after inlining LLVM emits it as `L / 2` packed instructions side by side; `V<1>` is
/// the scalar version of the same code, which makes the two bit-identical.
#[derive(Clone, Copy)]
struct V<const L: usize>([f64; L]);

/// The bits of `L` doubles (for the exponent arithmetic).
#[derive(Clone, Copy)]
struct B<const L: usize>([u64; L]);

impl<const L: usize> V<L> {
    #[inline(always)]
    fn map(self, f: impl Fn(f64) -> f64) -> Self {
        V(std::array::from_fn(|j| f(self.0[j])))
    }
    #[inline(always)]
    fn zip(self, o: Self, f: impl Fn(f64, f64) -> f64) -> Self {
        V(std::array::from_fn(|j| f(self.0[j], o.0[j])))
    }
    #[inline(always)]
    fn bits(self) -> B<L> {
        B(std::array::from_fn(|j| self.0[j].to_bits()))
    }
}

impl<const L: usize> B<L> {
    #[inline(always)]
    fn map(self, f: impl Fn(u64) -> u64) -> Self {
        B(std::array::from_fn(|j| f(self.0[j])))
    }
    #[inline(always)]
    fn zip(self, o: Self, f: impl Fn(u64, u64) -> u64) -> Self {
        B(std::array::from_fn(|j| f(self.0[j], o.0[j])))
    }
    #[inline(always)]
    fn float(self) -> V<L> {
        V(std::array::from_fn(|j| f64::from_bits(self.0[j])))
    }
}

/// `V op V`, `V op f64` and `f64 op V`, lane by lane.
macro_rules! lane_op {
    ($tr:ident, $f:ident, $op:tt) => {
        impl<const L: usize> std::ops::$tr for V<L> {
            type Output = V<L>;
            #[inline(always)]
            fn $f(self, o: V<L>) -> V<L> {
                self.zip(o, |a, b| a $op b)
            }
        }
        impl<const L: usize> std::ops::$tr<f64> for V<L> {
            type Output = V<L>;
            #[inline(always)]
            fn $f(self, o: f64) -> V<L> {
                self.map(|a| a $op o)
            }
        }
        impl<const L: usize> std::ops::$tr<V<L>> for f64 {
            type Output = V<L>;
            #[inline(always)]
            fn $f(self, o: V<L>) -> V<L> {
                o.map(|b| self $op b)
            }
        }
    };
}
lane_op!(Add, add, +);
lane_op!(Sub, sub, -);
lane_op!(Mul, mul, *);
lane_op!(Div, div, /);

/// ln 2, high part (fdlibm): 32 significant bits, so `n * LN2_HI` is exact for every
/// `|n| < 2^21`.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // 0.6931471803691238
/// ln 2 - `LN2_HI`.
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // 1.9082149292705877e-10
/// 1 / ln 2.
const LOG2E: f64 = std::f64::consts::LOG2_E;
/// 1.5 * 2^52: adding it to a double of magnitude below 2^51 rounds to an integer
/// (round-to-nearest-even) that sits in the low mantissa bits.
const SHIFT: f64 = 6_755_399_441_055_744.0;
/// The bits of `SHIFT`.
const SHIFT_BITS: u64 = 0x4338_0000_0000_0000;

/// Coefficients of g(r) = (e^r - 1 - r) / r^2 ≈ Σ G[i] r^i on |r| <= 0.3466 (a bit
/// over ln2/2): minimax (Remez, absolute error 1.4e-18 before rounding the coefficients
/// to f64), so e^r = 1 + r + r^2 g(r) is within 0.004 ulp of exact for the polynomial
/// alone; rounding in the evaluation is what is left.
const G: [f64; 11] = [
    0.5,
    0.166_666_666_666_666_7,
    0.041_666_666_666_666_685,
    0.008_333_333_333_326_136,
    0.001_388_888_888_887_44,
    0.000_198_412_698_748_173_22,
    2.480_158_734_733_452_8e-5,
    2.755_725_540_463_896e-6,
    2.755_725_291_730_977e-7,
    2.510_521_508_227_948e-8,
    2.092_158_771_380_161_6e-9,
];

/// The reduction shared by `exp` and `tanh`: for `x` already clamped to [-746, 710],
/// returns `(r, t, s1, s2)` with `x = n ln2 + r + c` for an integer `n` (`c` the
/// rounding error of `r`, `|r| <= 0.3466`), `e^(r + c) - 1 ≈ r + t` (to well under an
/// ulp) and `s1 * s2 = 2^n` with both factors normal.
#[inline(always)]
fn reduce<const L: usize>(x: V<L>) -> (V<L>, V<L>, V<L>, V<L>) {
    // n = round(x / ln2) through the magic constant; kf's low bits hold n.
    let kf = x * LOG2E + SHIFT;
    let n = kf - SHIFT;
    // Cody-Waite: x - n*LN2_HI is exact, r = hi - lo rounds once, c is that rounding.
    let hi = x - n * LN2_HI;
    let lo = n * LN2_LO;
    let r = hi - lo;
    let c = (hi - r) - lo;
    // g(r) by Estrin's scheme: a shorter dependency chain than Horner's rule.
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let g01 = r * G[1] + G[0];
    let g23 = r * G[3] + G[2];
    let g45 = r * G[5] + G[4];
    let g67 = r * G[7] + G[6];
    let g89 = r * G[9] + G[8];
    let g03 = r2 * g23 + g01;
    let g47 = r2 * g67 + g45;
    let g8a = r2 * G[10] + g89;
    let g07 = r4 * g47 + g03;
    let g = r8 * g8a + g07;
    let t = r2 * g + c;
    // 2^n as 2^n1 * 2^n2 with n1 = floor((n + 1076) / 2) - 538 and n2 = n - n1, both in
    // [-538, 512], so each factor is a normal double and a subnormal result is rounded
    // once (by the second multiply). Unsigned arithmetic only (SSE2 has no 64-bit
    // arithmetic shift): nb = n + 1076 is in [0, 2100].
    let nb = kf
        .bits()
        .map(|b| b.wrapping_sub(SHIFT_BITS).wrapping_add(1076));
    let e1 = nb.map(|b| b >> 1);
    let e2 = nb.zip(e1, |a, b| a.wrapping_sub(b));
    // The biased exponent of 2^(e - 538) is e - 538 + 1023 = e + 485.
    let s1 = e1.map(|e| (e.wrapping_add(485) & 0x7ff) << 52).float();
    let s2 = e2.map(|e| (e.wrapping_add(485) & 0x7ff) << 52).float();
    (r, t, s1, s2)
}

/// e^x lane by lane (see [`exp1`]).
#[inline(always)]
fn exp_v<const L: usize>(x: V<L>) -> V<L> {
    // Clamp (a NaN passes both comparisons unchanged and propagates): e^710 overflows
    // and e^-746 underflows to 0 through the arithmetic itself.
    let x = x.map(|v| if v > 710.0 { 710.0 } else { v });
    let x = x.map(|v| if v < -746.0 { -746.0 } else { v });
    let (r, t, s1, s2) = reduce(x);
    // e^r = 1 + (r + t), in [0.70, 1.42]; the scaling by s1 is exact.
    let y = 1.0 + (r + t);
    (y * s1) * s2
}

// fdlibm's e_log.c coefficients: ln(1+f) - f + f^2/2 = s(hfsq + R(z)) with s = f/(2+f),
// z = s^2, R(z) = Lg1 z + ... + Lg7 z^7 (error below 2^-58.45 on |s| <= 0.1716).
const LG1: f64 = f64::from_bits(0x3fe5_5555_5555_5593); // 0.6666666666666735
const LG2: f64 = f64::from_bits(0x3fd9_9999_9997_fa04); // 0.3999999999940942
const LG3: f64 = f64::from_bits(0x3fd2_4924_9422_9359); // 0.2857142874366239
const LG4: f64 = f64::from_bits(0x3fcc_71c5_1d8e_78af); // 0.22222198432149784
const LG5: f64 = f64::from_bits(0x3fc7_4664_96cb_03de); // 0.1818357216161805
const LG6: f64 = f64::from_bits(0x3fc3_9a09_d078_c69f); // 0.15313837699209373
const LG7: f64 = f64::from_bits(0x3fc2_f112_df3e_5244); // 0.14798198605116586

/// ln for a positive, normal, finite `x`, minus `kadj` ln2 (the exponent adjustment
/// of a subnormal input that was scaled by 2^kadj). No special cases.
#[inline(always)]
fn ln_core<const L: usize>(x: V<L>, kadj: V<L>) -> V<L> {
    // x = 2^k m with m in [sqrt(1/2), sqrt(2)): subtracting the bits of sqrt(1/2) puts
    // k in the exponent field (biased by the 0x3ff added back, so it stays unsigned).
    const SQRT_HALF_BITS: u64 = 0x3fe6_a09e_667f_3bcd;
    const ONE_BITS: u64 = 0x3ff0_0000_0000_0000;
    let u = x.bits();
    let kb = u.map(|u| u.wrapping_sub(SQRT_HALF_BITS).wrapping_add(ONE_BITS) >> 52); // k + 1023
    let m = u
        .zip(kb, |u, kb| u.wrapping_sub(kb << 52).wrapping_add(ONE_BITS))
        .float();
    // k as a double without an int-to-float conversion (none is packed in SSE2).
    let dk = kb.map(|kb| 0x4330_0000_0000_0000 | kb).float() - (4_503_599_627_370_496.0 + 1023.0);
    let dk = dk - kadj;
    let f = m - 1.0; // exact
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let r = t2 + t1;
    let hfsq = 0.5 * f * f;
    dk * LN2_HI - ((hfsq - (s * (hfsq + r) + dk * LN2_LO)) - f)
}

/// ln lane by lane (see [`ln1`]).
#[inline(always)]
fn ln_v<const L: usize>(x: V<L>) -> V<L> {
    // Subnormals: scale into the normal range first (2^54), and take 54 off k.
    let xs = x.map(|v| {
        if v < f64::MIN_POSITIVE {
            v * 18_014_398_509_481_984.0
        } else {
            v
        }
    });
    let kadj = x.map(|v| if v < f64::MIN_POSITIVE { 54.0 } else { 0.0 });
    let y = ln_core(xs, kadj);
    x.zip(y, |x, y| {
        let y = if x == f64::INFINITY { x } else { y };
        let special = if x == 0.0 {
            f64::NEG_INFINITY
        } else {
            f64::NAN
        };
        if x > 0.0 { y } else { special }
    })
}

/// tanh lane by lane (see [`tanh1`]).
#[inline(always)]
fn tanh_v<const L: usize>(x: V<L>) -> V<L> {
    // With a = -2|x| (clamped: below -60 the result rounds to 1, a NaN passes), e = e^a
    // and em1 = e^a - 1: tanh|x| = (1 - e) / (1 + e) = -em1 / (2 + em1). The first
    // form loses relative accuracy near 0 and the second amplifies the error of em1
    // up to twice near 1, so each is used where it is good (max 2.1 ulp from exact).
    let a = x.map(|v| -2.0 * v.abs());
    let a = a.map(|v| if v < -60.0 { -60.0 } else { v });
    let (r, t, s1, s2) = reduce(a);
    // a <= 0, so n >= -87 and s = 2^n is normal. 2^n (1 + r + t) - 1 =
    // (2^n - 1) + 2^n r + 2^n t: 2^n - 1 and 2^n r are exact, so em1 rounds twice,
    // without cancelling rounded terms.
    let s = s1 * s2;
    let em1 = ((s - 1.0) + s * r) + s * t;
    let e = (1.0 + (r + t)) * s;
    let near0 = |j: usize| a.0[j] > -0.6;
    let num = V(std::array::from_fn(|j| {
        if near0(j) { -em1.0[j] } else { 1.0 - e.0[j] }
    }));
    let den = V(std::array::from_fn(|j| {
        if near0(j) {
            2.0 + em1.0[j]
        } else {
            1.0 + e.0[j]
        }
    }));
    (num / den).zip(x, f64::copysign)
}

/// sigmoid lane by lane (see [`sigmoid1`]).
#[inline(always)]
fn sigmoid_v<const L: usize>(x: V<L>) -> V<L> {
    let e = exp_v(x.map(|v| -v.abs()));
    let num = x.zip(e, |x, e| if x >= 0.0 { 1.0 } else { e });
    num / (1.0 + e)
}

/// softplus lane by lane (see [`softplus1`]).
#[inline(always)]
fn softplus_v<const L: usize>(x: V<L>) -> V<L> {
    let e = exp_v(x.map(|v| -v.abs())); // in [0, 1]
    // log1p(e) = ln(u) + c/u with u = 1 + e rounded and c = e - (u - 1) its exact
    // rounding error (Goldberg); u is in [1, 2], so ln_core needs no special case.
    let u = 1.0 + e;
    let c = e - (u - 1.0);
    let l = ln_core(u, V([0.0; L])) + c / u;
    x.map(|v| if v > 0.0 { v } else { 0.0 }) + l
}

/// `e^x`, within 1 ulp of std's (which is within about 0.5 ulp of exact); `+inf` for
/// `x > 709.78`, 0 for `x < -745.14`, subnormals in between; NaN for NaN.
#[inline]
pub fn exp1(x: f64) -> f64 {
    exp_v(V([x])).0[0]
}

/// The natural logarithm, within 1 ulp of std's; `ln(0) = -inf`, `ln(x < 0) = NaN`,
/// `ln(+inf) = +inf`, NaN for NaN.
#[inline]
pub fn ln1(x: f64) -> f64 {
    ln_v(V([x])).0[0]
}

/// `tanh(x)`, within 3 ulp of std's (2.1 ulp of exact, where std's is within 2);
/// `tanh(±inf) = ±1`; odd, keeping the sign of ±0.
#[inline]
pub fn tanh1(x: f64) -> f64 {
    tanh_v(V([x])).0[0]
}

/// The logistic function `1 / (1 + e^-x)`, within 2 ulp of the same computed with std's
/// exp; stable for large `|x|` (e^-|x| never overflows, and `sigmoid(x)` for very
/// negative x keeps its tiny value down to the subnormals).
#[inline]
pub fn sigmoid1(x: f64) -> f64 {
    sigmoid_v(V([x])).0[0]
}

/// `ln(1 + e^x)`, as `max(x, 0) + log1p(e^-|x|)`, within 3 ulp of std's
/// `x.max(0.0) + (-x.abs()).exp().ln_1p()`; `softplus(-inf) = 0`, `softplus(+inf) = inf`.
#[inline]
pub fn softplus1(x: f64) -> f64 {
    softplus_v(V([x])).0[0]
}

/// `out[i] = f(x[i])` over the shorter of the two slices: blocks of [`LANES`] through
/// `block`, the rest through `pair` and `one` (the same kernel at two lanes and one).
#[inline(always)]
fn map(
    out: &mut [f64],
    x: &[f64],
    block: impl Fn(V<LANES>) -> V<LANES>,
    pair: impl Fn(V<2>) -> V<2>,
    one: impl Fn(V<1>) -> V<1>,
) {
    let n = out.len().min(x.len());
    let (out, x) = (&mut out[..n], &x[..n]);
    let mut oc = out.chunks_exact_mut(LANES);
    let xc = x.chunks_exact(LANES);
    let xr = xc.remainder();
    for (o, xs) in (&mut oc).zip(xc) {
        let y = block(V(std::array::from_fn(|j| xs[j])));
        o.copy_from_slice(&y.0);
    }
    // The rest in pairs (one SSE2 vector), then one: the same values lane by lane.
    let mut pc = oc.into_remainder().chunks_exact_mut(2);
    let xp = xr.chunks_exact(2);
    let xr = xp.remainder();
    for (o, xs) in (&mut pc).zip(xp) {
        o.copy_from_slice(&pair(V([xs[0], xs[1]])).0);
    }
    for (o, &v) in pc.into_remainder().iter_mut().zip(xr) {
        *o = one(V([v])).0[0];
    }
}

/// `out[i] = exp1(x[i])` (over the shorter of the two slices).
pub fn exp(out: &mut [f64], x: &[f64]) {
    map(out, x, exp_v, exp_v, exp_v);
}

/// `out[i] = ln1(x[i])` (over the shorter of the two slices).
pub fn ln(out: &mut [f64], x: &[f64]) {
    map(out, x, ln_v, ln_v, ln_v);
}

/// `out[i] = tanh1(x[i])` (over the shorter of the two slices).
pub fn tanh(out: &mut [f64], x: &[f64]) {
    map(out, x, tanh_v, tanh_v, tanh_v);
}

/// `out[i] = sigmoid1(x[i])` (over the shorter of the two slices).
pub fn sigmoid(out: &mut [f64], x: &[f64]) {
    map(out, x, sigmoid_v, sigmoid_v, sigmoid_v);
}

/// `out[i] = softplus1(x[i])` (over the shorter of the two slices).
pub fn softplus(out: &mut [f64], x: &[f64]) {
    map(out, x, softplus_v, softplus_v, softplus_v);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// splitmix64: a seeded, dependency-free source of test points.
    struct Rng(u64);
    impl Rng {
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
            let u = (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
            lo + (hi - lo) * u
        }
        /// A double with uniformly random bits: every binade equally likely.
        fn any_bits(&mut self) -> f64 {
            f64::from_bits(self.next_u64())
        }
    }

    /// Position of `x` on the line of doubles (-0 and +0 coincide), so the distance
    /// in ulps counts subnormal steps and crosses zero and powers of two uniformly.
    fn ordinal(x: f64) -> i128 {
        let b = x.to_bits() as i64;
        (if b < 0 { i64::MIN.wrapping_sub(b) } else { b }) as i128
    }

    /// Distance in ulps; 0 for two NaNs, huge for one NaN.
    fn ulps(a: f64, b: f64) -> u128 {
        match (a.is_nan(), b.is_nan()) {
            (true, true) => 0,
            (false, false) => (ordinal(a) - ordinal(b)).unsigned_abs(),
            _ => u128::MAX,
        }
    }

    /// `n` points uniform in `[lo, hi]`.
    fn points(rng: &mut Rng, n: usize, lo: f64, hi: f64) -> Vec<f64> {
        (0..n).map(|_| rng.uniform(lo, hi)).collect()
    }

    /// Checks `fast` against `reference` on `xs`: returns the max ulp distance and the
    /// worst argument; also checks the slice kernel equals the scalar one bit for bit.
    fn measure(
        xs: &[f64],
        fast: fn(f64) -> f64,
        slice: fn(&mut [f64], &[f64]),
        reference: impl Fn(f64) -> f64,
    ) -> (u128, f64) {
        let mut out = vec![0.0; xs.len()];
        slice(&mut out, xs);
        let mut worst = (0u128, f64::NAN);
        for (&x, &o) in xs.iter().zip(&out) {
            let y = fast(x);
            assert_eq!(y.to_bits(), o.to_bits(), "slice != scalar at x = {x:e}");
            let d = ulps(y, reference(x));
            if d > worst.0 || worst.1.is_nan() {
                worst = (d, x);
            }
        }
        worst
    }

    /// Runs `measure` over named ranges, printing each result; asserts `max_ulps`.
    fn sweep(
        name: &str,
        ranges: &[(f64, f64, usize)],
        extra: &[f64],
        fast: fn(f64) -> f64,
        slice: fn(&mut [f64], &[f64]),
        reference: impl Fn(f64) -> f64 + Copy,
        max_ulps: u128,
    ) -> u128 {
        let mut rng = Rng(0x5EED ^ name.len() as u64);
        let mut overall = 0;
        for &(lo, hi, n) in ranges {
            let xs = points(&mut rng, n, lo, hi);
            let (d, x) = measure(&xs, fast, slice, reference);
            eprintln!("{name}: [{lo:e}, {hi:e}] x{n}: max {d} ulp at x = {x:e}");
            assert!(
                d <= max_ulps,
                "{name}({x:e}) = {:e}, std {:e}: {d} ulp",
                fast(x),
                reference(x)
            );
            overall = overall.max(d);
        }
        // Random bit patterns: all binades, both signs, subnormals, inf and NaN.
        let xs: Vec<f64> = (0..1_000_000)
            .map(|_| rng.any_bits())
            .chain(extra.iter().copied())
            .collect();
        let (d, x) = measure(&xs, fast, slice, reference);
        eprintln!("{name}: random bits and specials: max {d} ulp at x = {x:e}");
        assert!(
            d <= max_ulps,
            "{name}({x:e}) = {:e}, std {:e}: {d} ulp",
            fast(x),
            reference(x)
        );
        overall.max(d)
    }

    const SPECIALS: [f64; 12] = [
        0.0,
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE,
        f64::MAX,
        f64::MIN,
        5e-324,
        -5e-324,
        1.0,
    ];

    #[test]
    fn exp_matches_std() {
        let ranges = [
            (-745.2, 709.8, 1_000_000),
            (-1.0, 1.0, 300_000),
            (-1e-6, 1e-6, 100_000),
            (-1e-300, 1e-300, 10_000),
            (709.0, 709.79, 200_000),  // near overflow
            (-745.2, -708.0, 300_000), // subnormal results
            (-60.0, 60.0, 300_000),
        ];
        let edges = [
            709.782_712_893_383_9,
            709.782_712_893_384,
            709.782_712_893_384_1,
            -745.133_219_101_941_1,
            -745.133_219_101_941_2,
            -745.133_219_101_941_3,
            -708.396_418_532_264_1,
            -708.396_418_532_264_2,
            std::f64::consts::LN_2 * 0.5,
            -std::f64::consts::LN_2 * 0.5,
        ];
        let extra: Vec<f64> = SPECIALS.iter().chain(&edges).copied().collect();
        let d = sweep("exp", &ranges, &extra, exp1, exp, f64::exp, 2);
        eprintln!("exp overall max: {d} ulp");
        assert_eq!(exp1(709.79), f64::INFINITY);
        assert_eq!(exp1(1e300), f64::INFINITY);
        assert_eq!(exp1(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp1(-745.2), 0.0);
        assert_eq!(exp1(-1e300), 0.0);
        assert_eq!(exp1(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp1(0.0), 1.0);
        assert_eq!(exp1(-0.0), 1.0);
        assert!(exp1(f64::NAN).is_nan());
        assert_eq!(exp1(-745.1), 5e-324);
    }

    #[test]
    fn ln_matches_std() {
        let ranges = [
            (1e-300, 1e300, 300_000),
            (0.0, 10.0, 500_000),
            (0.5, 2.0, 500_000),
            (1.0 - 1e-6, 1.0 + 1e-6, 200_000),
            (0.0, 1e-307, 200_000), // subnormals and the smallest normals
            (1e307, f64::MAX, 100_000),
            (-10.0, 0.0, 10_000),
        ];
        let d = sweep("ln", &ranges, &SPECIALS, ln1, ln, f64::ln, 2);
        eprintln!("ln overall max: {d} ulp");
        assert_eq!(ln1(0.0), f64::NEG_INFINITY);
        assert_eq!(ln1(-0.0), f64::NEG_INFINITY);
        assert!(ln1(-1.0).is_nan());
        assert!(ln1(f64::NEG_INFINITY).is_nan());
        assert!(ln1(f64::NAN).is_nan());
        assert_eq!(ln1(f64::INFINITY), f64::INFINITY);
        assert_eq!(ln1(1.0), 0.0);
        assert_eq!(ln1(5e-324), (5e-324f64).ln());
    }

    #[test]
    fn tanh_matches_std() {
        let ranges = [
            (-20.0, 20.0, 1_000_000),
            (-1.0, 1.0, 500_000),
            (-0.35, 0.35, 300_000),
            (-1e-5, 1e-5, 100_000),
            (-1e-300, 1e-300, 10_000),
            (-800.0, 800.0, 100_000),
        ];
        let d = sweep("tanh", &ranges, &SPECIALS, tanh1, tanh, f64::tanh, 4);
        eprintln!("tanh overall max: {d} ulp");
        assert_eq!(tanh1(f64::INFINITY), 1.0);
        assert_eq!(tanh1(f64::NEG_INFINITY), -1.0);
        assert_eq!(tanh1(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(tanh1(0.0).to_bits(), 0.0f64.to_bits());
        assert!(tanh1(f64::NAN).is_nan());
    }

    /// Sigmoid through std's exp, in the stable form for either sign.
    fn sigmoid_std(x: f64) -> f64 {
        if x >= 0.0 {
            1.0 / (1.0 + (-x).exp())
        } else {
            let e = x.exp();
            e / (1.0 + e)
        }
    }

    #[test]
    fn sigmoid_matches_std() {
        let ranges = [
            (-40.0, 40.0, 1_000_000),
            (-1.0, 1.0, 300_000),
            (-1e-6, 1e-6, 100_000),
            (-745.2, -700.0, 200_000),
            (-800.0, 800.0, 100_000),
        ];
        let d = sweep(
            "sigmoid",
            &ranges,
            &SPECIALS,
            sigmoid1,
            sigmoid,
            sigmoid_std,
            4,
        );
        eprintln!("sigmoid overall max: {d} ulp");
        assert_eq!(sigmoid1(f64::INFINITY), 1.0);
        assert_eq!(sigmoid1(f64::NEG_INFINITY), 0.0);
        assert_eq!(sigmoid1(0.0), 0.5);
        assert_eq!(sigmoid1(40.0), 1.0);
        assert!(sigmoid1(f64::NAN).is_nan());
    }

    fn softplus_std(x: f64) -> f64 {
        x.max(0.0) + (-x.abs()).exp().ln_1p()
    }

    #[test]
    fn softplus_matches_std() {
        let ranges = [
            (-40.0, 40.0, 1_000_000),
            (-1.0, 1.0, 300_000),
            (-1e-6, 1e-6, 100_000),
            (-745.2, -700.0, 200_000),
            (-800.0, 800.0, 100_000),
        ];
        let d = sweep(
            "softplus",
            &ranges,
            &SPECIALS,
            softplus1,
            softplus,
            softplus_std,
            4,
        );
        eprintln!("softplus overall max: {d} ulp");
        assert_eq!(softplus1(f64::INFINITY), f64::INFINITY);
        assert_eq!(softplus1(f64::NEG_INFINITY), 0.0);
        assert_eq!(softplus1(0.0), std::f64::consts::LN_2);
        assert_eq!(softplus1(1e300), 1e300);
        assert!(softplus1(f64::NAN).is_nan());
    }

    /// Every slice kernel equals its scalar version at every length (blocks and the
    /// remainder) and stops at the shorter slice.
    #[test]
    fn slices_of_any_length() {
        let mut rng = Rng(3);
        let xs: Vec<f64> = (0..67).map(|_| rng.uniform(-30.0, 30.0)).collect();
        type Pair = (fn(&mut [f64], &[f64]), fn(f64) -> f64);
        let kernels: [Pair; 5] = [
            (exp, exp1),
            (ln, ln1),
            (tanh, tanh1),
            (sigmoid, sigmoid1),
            (softplus, softplus1),
        ];
        for (slice, scalar) in kernels {
            for n in 0..xs.len() {
                let mut out = vec![-7.0; n + 3];
                slice(&mut out, &xs[..n]);
                for i in 0..n {
                    assert_eq!(
                        out[i].to_bits(),
                        scalar(xs[i]).to_bits(),
                        "n = {n}, i = {i}"
                    );
                }
                assert!(
                    out[n..].iter().all(|&v| v == -7.0),
                    "wrote past x at n = {n}"
                );
                let mut short = vec![0.0; n / 2];
                slice(&mut short, &xs[..n]);
                for i in 0..n / 2 {
                    assert_eq!(short[i].to_bits(), scalar(xs[i]).to_bits());
                }
            }
        }
    }

    /// CPU time of this thread in ns, where Linux tells it (a shared machine's other
    /// load then does not count); `None` elsewhere.
    fn thread_cpu_ns() -> Option<u64> {
        let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        stat.split_whitespace().next()?.parse().ok()
    }

    /// Times `f` on `out`: the best of 5 runs over 2*10^7 elements each, in ns per
    /// element (thread CPU time where available, else wall time).
    fn best_ns(out: &mut [f64], mut f: impl FnMut(&mut [f64])) -> f64 {
        let reps = (20_000_000 / out.len()).max(1);
        let mut best = f64::INFINITY;
        for _ in 0..5 {
            let (cpu, wall) = (thread_cpu_ns(), std::time::Instant::now());
            for _ in 0..reps {
                f(std::hint::black_box(&mut *out));
            }
            let secs = match (cpu, thread_cpu_ns()) {
                (Some(a), Some(b)) => (b - a) as f64 * 1e-9,
                _ => wall.elapsed().as_secs_f64(),
            };
            best = best.min(secs / reps as f64);
        }
        best * 1e9 / out.len() as f64
    }

    /// The plain loop over std's function, for comparison.
    #[inline(never)]
    fn std_loop(out: &mut [f64], x: &[f64], f: impl Fn(f64) -> f64) {
        for (o, &v) in out.iter_mut().zip(x) {
            *o = f(v);
        }
    }

    /// Timing, not a check: `cargo test --release fastmath::tests::timing -- --ignored
    /// --nocapture`. Prints ns per element of each slice kernel and of the plain loop
    /// over std, for 10^6 values (in memory) and 4096 values (in cache).
    #[test]
    #[ignore]
    fn timing_vs_std() {
        use std::hint::black_box;
        for n in [1_000_000, 4096] {
            let mut rng = Rng(1);
            let wide: Vec<f64> = (0..n).map(|_| rng.uniform(-20.0, 20.0)).collect();
            let pos: Vec<f64> = (0..n).map(|_| rng.uniform(1e-3, 1e3)).collect();
            let mut out = vec![0.0; n];
            macro_rules! case {
                ($name:expr, $xs:expr, $fast:expr, $std:expr) => {{
                    let xs = black_box(&$xs[..]);
                    let tf = best_ns(&mut out, |o| $fast(o, xs));
                    let ts = best_ns(&mut out, |o| std_loop(o, xs, $std));
                    eprintln!(
                        "n = {n:7} {:9} fastmath {tf:6.2} ns/elem, std {ts:6.2} ns/elem: {:.2}x",
                        $name,
                        ts / tf
                    );
                }};
            }
            case!("exp", wide, exp, f64::exp);
            case!("ln", pos, ln, f64::ln);
            case!("tanh", wide, tanh, f64::tanh);
            case!("sigmoid", wide, sigmoid, |x: f64| 1.0 / (1.0 + (-x).exp()));
            case!("softplus", wide, softplus, softplus_std);
        }
    }
}
