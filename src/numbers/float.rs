//! [`Scalar`] for `f64` and the f64 table of operations ([`unary`], [`binary`]) that
//! every evaluator uses; a result that is not finite (an infinity or a NaN) is `None`
//! in the checked operations. The chunk methods use the vectorised kernels of
//! `kernels.rs`, which compute the same values as [`unary`] one at a time.

use super::{Scalar, Values, unary_each};
use super::{fastmath, kernels};
use crate::graph::{BinOp, Func};
use crate::syntax::Number;

/// `Some(x)` when `x` is finite: an infinity or a NaN is an overflow or a domain error.
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

impl Scalar for f64 {
    const ZERO: Self = 0.0;

    fn from_number(n: &Number) -> Option<Self> {
        finite(n.value)
    }

    fn from_f64(x: f64) -> Option<Self> {
        finite(x)
    }

    fn to_f64(self) -> f64 {
        self
    }

    fn from_usize(n: usize) -> Self {
        n as f64
    }

    fn pi() -> Self {
        std::f64::consts::PI
    }

    fn euler() -> Self {
        std::f64::consts::E
    }

    fn unary(func: Func, x: Self) -> Option<Self> {
        // relu, step and sign would map a NaN to a number: never let one through.
        finite(x)?;
        finite(unary(func, x))
    }

    fn binary(op: BinOp, x: Self, y: Self) -> Option<Self> {
        finite(x)?;
        finite(y)?;
        finite(binary(op, x, y))
    }

    const DEFERRED_CHECKS: bool = true;

    #[inline(always)]
    fn unary_unchecked(func: Func, x: Self) -> Self {
        unary(func, x)
    }

    #[inline(always)]
    fn binary_unchecked(op: BinOp, x: Self, y: Self) -> Self {
        binary(op, x, y)
    }

    #[inline(always)]
    fn is_valid(self) -> bool {
        self.is_finite()
    }

    /// Batches of the hot transcendental functions are gathered into a buffer and go
    /// through the vectorised kernels (the same values as one at a time).
    fn unary_batch(func: Func, r: &mut [Self], ops: &[[u32; 3]]) -> bool {
        let kernel: fn(&mut [f64], &[f64]) = match func {
            Func::Exp => fastmath::exp,
            Func::Ln => fastmath::ln,
            Func::Tanh => fastmath::tanh,
            Func::Sigmoid => fastmath::sigmoid,
            Func::Softplus => fastmath::softplus,
            _ => return unary_each(func, r, ops),
        };
        if ops.len() < 2 {
            return unary_each(func, r, ops);
        }
        const GATHER: usize = 8;
        let (mut x, mut y) = ([0.0; GATHER], [0.0; GATHER]);
        let mut valid = true;
        for group in ops.chunks(GATHER) {
            let n = group.len();
            for (xi, &[_, a, _]) in x.iter_mut().zip(group) {
                *xi = r[a as usize];
                valid &= xi.is_finite();
            }
            kernel(&mut y[..n], &x[..n]);
            for (&yi, &[d, _, _]) in y.iter().zip(group) {
                r[d as usize] = yi;
            }
        }
        valid
    }

    fn unary_chunk(func: Func, out: &mut [Self], x: Values<'_, Self>) -> Result<(), usize> {
        kernels::unary(func, out, x)
    }

    fn dot_chunk(out: &mut [Self], terms: &[super::Term<'_, Self>]) -> Result<(), usize> {
        kernels::dot(out, terms);
        Ok(())
    }

    fn binary_chunk(
        op: BinOp,
        out: &mut [Self],
        a: Values<'_, Self>,
        b: Values<'_, Self>,
    ) -> Result<(), usize> {
        kernels::binary(op, out, a, b)
    }

    fn accumulate_one(total: &mut (Self, Self), v: Self) -> Option<()> {
        let (sum, compensation) = *total;
        let t = sum + v;
        let lost = if sum.abs() >= v.abs() {
            (sum - t) + v
        } else {
            (v - t) + sum
        };
        *total = (t, compensation + lost);
        finite(t).map(|_| ())
    }

    fn accumulate_chunk(
        total: &mut (Self, Self),
        x: Values<'_, Self>,
        len: usize,
    ) -> Result<(), usize> {
        kernels::accumulate(total, x, len)
    }

    const CHUNK_SUMS: bool = true;

    fn chunk_sum(x: Values<'_, Self>, len: usize) -> Option<Self> {
        kernels::chunk_sum(x, len)
    }

    fn product_chunk_sum(a: Values<'_, Self>, b: Values<'_, Self>, len: usize) -> Option<Self> {
        kernels::product_sum(a, b, len)
    }

    fn product_chunk_sums(
        a: Values<'_, Self>,
        bs: &[Values<'_, Self>],
        len: usize,
        sums: &mut [Option<Self>],
    ) {
        kernels::product_sums(a, bs, len, sums);
    }

    fn accumulate_products(
        total: &mut (Self, Self),
        a: Values<'_, Self>,
        b: Values<'_, Self>,
        len: usize,
    ) -> Result<(), usize> {
        let sum = kernels::product_sum(a, b, len).ok_or(0usize)?;
        kernels::fold(total, sum).ok_or(0)
    }

    fn fold(total: &mut (Self, Self), chunk_sum: Self) -> Option<()> {
        kernels::fold(total, chunk_sum)
    }
}

/// The value of a one-operand function in f64: the one f64 table that the tree
/// evaluator, the tape's checked and unchecked runs and its chunk kernels share (the
/// hot transcendental functions through [`fastmath`]), so every evaluator computes the
/// same numbers.
#[inline]
pub fn unary(func: Func, x: f64) -> f64 {
    match func {
        Func::Neg => -x,
        Func::Exp => fastmath::exp1(x),
        Func::Ln => fastmath::ln1(x),
        Func::Log2 => x.log2(),
        Func::Log10 => x.log10(),
        Func::Sqrt => x.sqrt(),
        Func::Abs => x.abs(),
        Func::Sin => x.sin(),
        Func::Cos => x.cos(),
        Func::Tan => x.tan(),
        Func::Asin => x.asin(),
        Func::Acos => x.acos(),
        Func::Atan => x.atan(),
        Func::Sinh => x.sinh(),
        Func::Cosh => x.cosh(),
        Func::Tanh => fastmath::tanh1(x),
        Func::Sigmoid => fastmath::sigmoid1(x),
        Func::Softplus => fastmath::softplus1(x),
        Func::Relu => relu(x),
        Func::Sign => sign(x),
        Func::Step => f64::from(u8::from(x > 0.0)),
        Func::Sum | Func::Mean => x,
    }
}

/// The value of a two-operand operator, in f64.
#[inline]
pub fn binary(op: BinOp, x: f64, y: f64) -> f64 {
    match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => x / y,
        BinOp::Pow => power(x, y),
        BinOp::Max => x.max(y),
        BinOp::Min => x.min(y),
    }
}

/// `x^y`; squares and cubes by multiplication (the same correctly rounded value as
/// `powf` for a square, and much cheaper: derivatives are full of `t^2`).
pub fn power(x: f64, y: f64) -> f64 {
    if y == 2.0 {
        x * x
    } else if y == 1.0 {
        x
    } else {
        x.powf(y)
    }
}

fn relu(x: f64) -> f64 {
    if x > 0.0 { x } else { 0.0 }
}

fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn un(func: Func, x: f64) -> Option<f64> {
        <f64 as Scalar>::unary(func, x)
    }

    fn bin(op: BinOp, x: f64, y: f64) -> Option<f64> {
        <f64 as Scalar>::binary(op, x, y)
    }

    #[test]
    fn values_follow_plain_evaluation() {
        assert_eq!(un(Func::Exp, 0.0), Some(1.0));
        assert_eq!(un(Func::Ln, std::f64::consts::E), Some(1.0));
        assert_eq!(un(Func::Sqrt, 2.25), Some(1.5));
        assert_eq!(un(Func::Neg, 2.0), Some(-2.0));
        assert_eq!(un(Func::Abs, -3.0), Some(3.0));
        assert_eq!(un(Func::Sigmoid, 0.0), Some(0.5));
        assert_eq!(un(Func::Sigmoid, 1000.0), Some(1.0));
        assert_eq!(un(Func::Sigmoid, -1000.0), Some(0.0));
        assert_eq!(un(Func::Softplus, 1000.0), Some(1000.0));
        assert_eq!(un(Func::Relu, -2.0), Some(0.0));
        assert_eq!(un(Func::Relu, 2.0), Some(2.0));
        assert_eq!(un(Func::Sign, -0.5), Some(-1.0));
        assert_eq!(un(Func::Sign, 0.0), Some(0.0));
        assert_eq!(un(Func::Step, 0.0), Some(0.0));
        assert_eq!(un(Func::Step, 1e-300), Some(1.0));
        assert_eq!(un(Func::Sum, 4.0), Some(4.0));
        assert_eq!(un(Func::Mean, 4.0), Some(4.0));
        assert_eq!(
            un(Func::Exp, -1000.0),
            Some(0.0),
            "underflow is not an error"
        );
        let close = |a: Option<f64>, b: f64| (a.unwrap() - b).abs() <= 1e-15 * b.abs().max(1.0);
        assert!(close(un(Func::Softplus, 0.0), std::f64::consts::LN_2));
        assert!(close(un(Func::Atan, 1.0), std::f64::consts::FRAC_PI_4));
        assert!(close(un(Func::Asin, 0.5), std::f64::consts::FRAC_PI_6));
        assert!(close(un(Func::Tanh, 1.0), 0.761_594_155_955_764_9));
        assert_eq!(bin(BinOp::Add, 0.5, 0.25), Some(0.75));
        assert_eq!(bin(BinOp::Sub, 0.5, 0.25), Some(0.25));
        assert_eq!(bin(BinOp::Mul, 0.5, 0.25), Some(0.125));
        assert_eq!(bin(BinOp::Div, 0.5, 0.25), Some(2.0));
        assert_eq!(bin(BinOp::Pow, 2.0, 10.0), Some(1024.0));
        assert_eq!(bin(BinOp::Pow, -2.0, 3.0), Some(-8.0));
        assert_eq!(bin(BinOp::Pow, 0.0, 0.0), Some(1.0));
        assert_eq!(bin(BinOp::Max, -1.0, 2.0), Some(2.0));
        assert_eq!(bin(BinOp::Min, -1.0, 2.0), Some(-1.0));
    }

    #[test]
    fn outside_the_domain_or_range_is_none() {
        assert_eq!(un(Func::Ln, 0.0), None);
        assert_eq!(un(Func::Ln, -1.0), None);
        assert_eq!(un(Func::Log2, 0.0), None);
        assert_eq!(un(Func::Log10, -1.0), None);
        assert_eq!(un(Func::Sqrt, -1.0), None);
        assert_eq!(un(Func::Asin, 2.0), None);
        assert_eq!(un(Func::Acos, -1.5), None);
        assert_eq!(un(Func::Exp, 1000.0), None);
        assert_eq!(un(Func::Cosh, 1000.0), None);
        assert_eq!(bin(BinOp::Div, 1.0, 0.0), None);
        assert_eq!(bin(BinOp::Div, 0.0, 0.0), None);
        assert_eq!(bin(BinOp::Pow, 0.0, -1.0), None);
        assert_eq!(bin(BinOp::Pow, -2.0, 0.5), None);
        assert_eq!(bin(BinOp::Mul, 1e200, 1e200), None);
        // a NaN or an infinity never gets in, nor through relu/step/sign
        assert_eq!(f64::from_f64(f64::NAN), None);
        assert_eq!(f64::from_f64(f64::INFINITY), None);
        assert_eq!(un(Func::Relu, f64::NAN), None);
        assert_eq!(un(Func::Step, f64::NAN), None);
        assert_eq!(bin(BinOp::Max, f64::NAN, 1.0), None);
    }

    #[test]
    fn conversions() {
        assert_eq!(f64::from_number(&Number::parse("0.1").unwrap()), Some(0.1));
        assert_eq!(f64::from_f64(-2.5), Some(-2.5));
        assert_eq!(f64::from_usize(7), 7.0);
        assert_eq!(1.25_f64.to_f64(), 1.25);
        assert_eq!(f64::pi(), std::f64::consts::PI);
        assert_eq!(f64::euler(), std::f64::consts::E);
        assert_eq!(<f64 as Scalar>::ZERO, 0.0);
    }

    #[test]
    fn chunks_agree_with_single_values() {
        let x = [-2.0, -0.5, 0.0, 0.5, 2.0];
        for func in [
            Func::Neg,
            Func::Abs,
            Func::Sin,
            Func::Relu,
            Func::Sign,
            Func::Step,
        ] {
            let mut out = [0.0; 5];
            f64::unary_chunk(func, &mut out, Values::Rows(&x)).unwrap();
            for (o, &v) in out.iter().zip(&x) {
                assert_eq!(Some(*o), un(func, v), "{func:?}({v})");
            }
        }
        let mut out = [0.0; 5];
        assert_eq!(
            f64::unary_chunk(Func::Ln, &mut out, Values::Rows(&x)),
            Err(0)
        );
        let mut total = (0.0, 0.0);
        f64::accumulate_chunk(&mut total, Values::Rows(&x), 5).unwrap();
        assert_eq!(total.0 + total.1, 0.0);
    }
}
