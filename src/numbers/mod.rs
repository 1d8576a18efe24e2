//! The number types that evaluation runs on, one table of operations each: f64 (fast)
//! and rust_decimal's `Decimal` (28 significant digits), behind one small trait,
//! [`Scalar`]. These are number libraries, not tape code: the tape (`crate::tape`)
//! schedules operations and calls these for every value, the tree evaluator
//! (`crate::eval`) uses the same f64 table ([`float::unary`], [`float::binary`]).
//!
//! - `float.rs`: `Scalar` for f64, the f64 table.
//! - `fastmath.rs`: vectorisable `exp`, `ln`, `tanh`, `sigmoid`, `softplus`.
//! - `kernels.rs`: f64 loops over a chunk of rows, checked once per chunk.
//! - `decimal.rs`: `Scalar` for `Decimal`, with its elementary functions.
//!
//! Nothing above `tape` knows which type runs.

use crate::graph::{BinOp, Func};
use crate::syntax::Number;

mod decimal;
pub mod fastmath;
pub mod float;
mod kernels;

/// A number type the tape can evaluate in. Every operation returns `None` where the
/// result is outside the type's range or the operation's domain (`ln` of a non-positive
/// value, a division by zero, an overflow): the tape turns that into a domain error
/// naming the node's source span, instead of a silently wrong number.
pub trait Scalar: Copy + PartialEq + PartialOrd + std::fmt::Debug + Send + Sync + 'static {
    /// The type's zero.
    const ZERO: Self;
    /// What a failed operation is reported as when no finer diagnosis is found: an
    /// overflow for f64, leaving the decimal range for `Decimal`.
    const RANGE_ERROR: crate::eval::DomainKind = crate::eval::DomainKind::Overflow;
    /// A literal or folded constant (exact where the type can hold it).
    fn from_number(n: &Number) -> Option<Self>;
    /// An f64 (for param values and data given as f64).
    fn from_f64(x: f64) -> Option<Self>;
    /// The nearest f64.
    fn to_f64(self) -> f64;
    /// A row count (every `usize` fits both number types).
    fn from_usize(n: usize) -> Self;
    /// π.
    fn pi() -> Self;
    /// e.
    fn euler() -> Self;
    /// `f(x)`; `None` outside the domain or range.
    fn unary(func: Func, x: Self) -> Option<Self>;
    /// `x op y`; `None` outside the domain or range.
    fn binary(op: BinOp, x: Self, y: Self) -> Option<Self>;

    /// True for types whose results outside a domain or range are still values that
    /// can be told apart afterwards (f64's inf and NaN, which then propagate). The tape
    /// then runs without a check per operation, tests [`Scalar::is_valid`] as it goes
    /// without branching, and only when something went wrong runs again with checks
    /// to find the operation, its span and its row.
    const DEFERRED_CHECKS: bool = false;

    /// `f(x)` without a domain check (only used when [`Scalar::DEFERRED_CHECKS`]).
    fn unary_unchecked(func: Func, x: Self) -> Self {
        Self::unary(func, x).unwrap_or(Self::ZERO)
    }

    /// `x op y` without a domain check (only used when [`Scalar::DEFERRED_CHECKS`]).
    fn binary_unchecked(op: BinOp, x: Self, y: Self) -> Self {
        Self::binary(op, x, y).unwrap_or(Self::ZERO)
    }

    /// Whether an unchecked result is a proper value (finite, for f64).
    fn is_valid(self) -> bool {
        true
    }

    /// `r[d] = f(r[a])` for each `[d, a, _]` of a batch of independent operations,
    /// without domain checks (only used when [`Scalar::DEFERRED_CHECKS`]); `false` if
    /// an operand is not [valid](Scalar::is_valid) (a result that is not is left for
    /// the caller to find downstream).
    fn unary_batch(func: Func, r: &mut [Self], ops: &[[u32; 3]]) -> bool {
        unary_each(func, r, ops)
    }

    /// `out[i] = f(x[i])` over a chunk; `Err(i)` at the first row outside the domain.
    /// The default goes element by element; f64 overrides it with vectorised loops.
    fn unary_chunk(func: Func, out: &mut [Self], x: Values<'_, Self>) -> Result<(), usize> {
        for (i, slot) in out.iter_mut().enumerate() {
            *slot = Self::unary(func, x.at(i)).ok_or(i)?;
        }
        Ok(())
    }

    /// `out[i] = a[i] op b[i]` over a chunk; `Err(i)` at the first bad row.
    fn binary_chunk(
        op: BinOp,
        out: &mut [Self],
        a: Values<'_, Self>,
        b: Values<'_, Self>,
    ) -> Result<(), usize> {
        for (i, slot) in out.iter_mut().enumerate() {
            *slot = Self::binary(op, a.at(i), b.at(i)).ok_or(i)?;
        }
        Ok(())
    }

    /// `out[i] = a₀[i]·b₀[i] + a₁[i]·b₁[i] + …` over a chunk, added left to right (the
    /// value of the written-out chain `((a₀b₀ + a₁b₁) + a₂b₂) + …`, to the bit); a term
    /// without `b` adds `a` itself. `Err(i)` at the first bad row. A `dot` of K
    /// components is one pass instead of 2K.
    fn dot_chunk(out: &mut [Self], terms: &[Term<'_, Self>]) -> Result<(), usize> {
        for (i, slot) in out.iter_mut().enumerate() {
            let mut total = None;
            for (a, b) in terms {
                let v = match b {
                    Some(b) => Self::binary(BinOp::Mul, a.at(i), b.at(i)).ok_or(i)?,
                    None => a.at(i),
                };
                total = Some(match total {
                    None => v,
                    Some(t) => Self::binary(BinOp::Add, t, v).ok_or(i)?,
                });
            }
            *slot = total.unwrap_or(Self::ZERO);
        }
        Ok(())
    }

    /// The sum of `a[i]·b[i]` over a chunk: [`Scalar::chunk_sum`] of the products, to
    /// the bit, without writing them out.
    fn product_chunk_sum(a: Values<'_, Self>, b: Values<'_, Self>, len: usize) -> Option<Self> {
        let mut total = (Self::ZERO, Self::ZERO);
        Self::accumulate_products(&mut total, a, b, len).ok()?;
        Self::binary(BinOp::Add, total.0, total.1)
    }

    /// `sums[j] =` [`Scalar::product_chunk_sum`] of `a` and `bs[j]`, for every `j`
    /// (f64 reads `a` once for four of them).
    fn product_chunk_sums(
        a: Values<'_, Self>,
        bs: &[Values<'_, Self>],
        len: usize,
        sums: &mut [Option<Self>],
    ) {
        for (sum, &b) in sums.iter_mut().zip(bs) {
            *sum = Self::product_chunk_sum(a, b, len);
        }
    }

    /// Adds `a[i]·b[i]` of `len` rows to a compensated total: what
    /// [`Scalar::accumulate_chunk`] of the products adds. `Err(i)` at the first bad row.
    fn accumulate_products(
        total: &mut (Self, Self),
        a: Values<'_, Self>,
        b: Values<'_, Self>,
        len: usize,
    ) -> Result<(), usize> {
        for i in 0..len {
            let v = Self::binary(BinOp::Mul, a.at(i), b.at(i)).ok_or(i)?;
            Self::accumulate_one(total, v).ok_or(i)?;
        }
        Ok(())
    }

    /// Adds one value to a compensated sum (Neumaier); `None` on overflow.
    fn accumulate_one(total: &mut (Self, Self), v: Self) -> Option<()> {
        let (sum, compensation) = *total;
        let t = Self::binary(BinOp::Add, sum, v)?;
        let sum_is_bigger = Self::unary(Func::Abs, sum) >= Self::unary(Func::Abs, v);
        let lost = if sum_is_bigger {
            Self::binary(BinOp::Add, Self::binary(BinOp::Sub, sum, t)?, v)?
        } else {
            Self::binary(BinOp::Add, Self::binary(BinOp::Sub, v, t)?, sum)?
        };
        *total = (t, Self::binary(BinOp::Add, compensation, lost)?);
        Some(())
    }

    /// Whether [`Scalar::accumulate_chunk`] is [`Scalar::chunk_sum`] followed by
    /// [`Scalar::fold`]: then a pass over many rows can be split over threads, each
    /// keeping its chunks' sums, added afterwards in chunk order with the same result.
    const CHUNK_SUMS: bool = false;

    /// The sum of a chunk of `len` values on its own (only used when
    /// [`Scalar::CHUNK_SUMS`]); `None` if it is not valid.
    fn chunk_sum(x: Values<'_, Self>, len: usize) -> Option<Self> {
        let mut total = (Self::ZERO, Self::ZERO);
        Self::accumulate_chunk(&mut total, x, len).ok()?;
        Self::binary(BinOp::Add, total.0, total.1)
    }

    /// Adds a chunk's sum to a compensated total; `None` on overflow.
    fn fold(total: &mut (Self, Self), chunk_sum: Self) -> Option<()> {
        Self::accumulate_one(total, chunk_sum)
    }

    /// Adds `len` values to a compensated sum `(sum, compensation)`, in row order.
    fn accumulate_chunk(
        total: &mut (Self, Self),
        x: Values<'_, Self>,
        len: usize,
    ) -> Result<(), usize> {
        let (mut sum, mut compensation) = *total;
        for i in 0..len {
            let v = x.at(i);
            let t = Self::binary(BinOp::Add, sum, v).ok_or(i)?;
            let sum_is_bigger = Self::unary(Func::Abs, sum) >= Self::unary(Func::Abs, v);
            let lost = if sum_is_bigger {
                Self::binary(BinOp::Sub, sum, t).and_then(|d| Self::binary(BinOp::Add, d, v))
            } else {
                Self::binary(BinOp::Sub, v, t).and_then(|d| Self::binary(BinOp::Add, d, sum))
            };
            compensation = lost
                .and_then(|l| Self::binary(BinOp::Add, compensation, l))
                .ok_or(i)?;
            sum = t;
        }
        *total = (sum, compensation);
        Ok(())
    }
}

/// [`Scalar::unary_batch`] one operation at a time.
pub fn unary_each<S: Scalar>(func: Func, r: &mut [S], ops: &[[u32; 3]]) -> bool {
    let mut valid = true;
    for &[d, a, _] in ops {
        let x = r[a as usize];
        valid &= x.is_valid();
        r[d as usize] = S::unary_unchecked(func, x);
    }
    valid
}

/// One term of [`Scalar::dot_chunk`]: `a·b`, or `a` alone.
pub type Term<'a, S> = (Values<'a, S>, Option<Values<'a, S>>);

/// A chunk of an operand's values: one per row, or one for all rows.
#[derive(Debug, Clone, Copy)]
pub enum Values<'a, S> {
    /// The same value in every row (a scalar).
    Same(S),
    /// One value per row.
    Rows(&'a [S]),
}

impl<S: Copy> Values<'_, S> {
    /// The value at row `i` of the chunk (a short slice repeats its last value; the
    /// tape never reads past a chunk).
    pub fn at(&self, i: usize) -> S {
        match self {
            Values::Same(x) => *x,
            Values::Rows(r) => r[i.min(r.len().saturating_sub(1))],
        }
    }
}
