//! [`Scalar`] for `f64`: the semantics of plain evaluation (`crate::eval`), with a
//! result that is not finite (an infinity or a NaN) reported as `None`. The chunk
//! methods use the vectorised kernels of [`super::kernels`].

use super::scalar::{Scalar, Values, unary_each};
use super::{fastmath, kernels};
use crate::eval::{binary_f64, unary_f64};
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

    fn from_usize(n: usize) -> Option<Self> {
        Some(n as f64)
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
        finite(unary_f64(func, x))
    }

    fn binary(op: BinOp, x: Self, y: Self) -> Option<Self> {
        finite(x)?;
        finite(y)?;
        finite(binary_f64(op, x, y))
    }

    const DEFERRED_CHECKS: bool = true;

    /// The hot transcendental functions through the same kernels as the chunks, so a
    /// value does not depend on how many rows share its pass.
    #[inline(always)]
    fn unary_unchecked(func: Func, x: Self) -> Self {
        match func {
            Func::Exp => fastmath::exp1(x),
            Func::Ln => fastmath::ln1(x),
            Func::Tanh => fastmath::tanh1(x),
            Func::Sigmoid => fastmath::sigmoid1(x),
            Func::Softplus => fastmath::softplus1(x),
            _ => unary_f64(func, x),
        }
    }

    #[inline(always)]
    fn binary_unchecked(op: BinOp, x: Self, y: Self) -> Self {
        binary_f64(op, x, y)
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

    fn fold(total: &mut (Self, Self), chunk_sum: Self) -> Option<()> {
        kernels::fold(total, chunk_sum)
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
        assert_eq!(f64::from_usize(7), Some(7.0));
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
