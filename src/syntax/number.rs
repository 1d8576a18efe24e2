//! Number literals: kept exactly as a decimal where one fits, and always as f64.

use rust_decimal::Decimal;
use std::fmt;

/// The largest number of significant digits a [`Decimal`] holds exactly.
const DECIMAL_DIGITS: usize = 28;

/// A number as written: its f64 value and, where it fits, its exact decimal value.
///
/// `0.1` keeps the decimal `0.1` (exact) and the f64 nearest to it; `1e-40` or a
/// 30-digit literal do not fit a decimal and keep the f64 only.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Number {
    /// The value as f64 (always finite for a literal).
    pub value: f64,
    /// The exact value, when it fits 28 significant digits and |x| < 7.9e28.
    pub exact: Option<Decimal>,
}

/// Why a number literal was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// The text is not a number (`1.2.3`, `e5`, an empty CSV cell).
    #[error("not a number")]
    Malformed,
    /// The value is beyond the f64 range (`1e999`).
    #[error("number too large: it overflows f64 (the largest is about 1.8e308)")]
    Overflow,
}

impl Number {
    /// A number from an f64 alone (a value computed, not written).
    pub fn from_f64(value: f64) -> Number {
        Number { value, exact: None }
    }

    /// A number from an exact decimal; the f64 is the nearest to it.
    pub fn from_decimal(exact: Decimal) -> Number {
        Number {
            value: nearest_f64(exact),
            exact: Some(exact),
        }
    }

    /// Parses a literal such as `3`, `2.5`, `.5`, `1e-3`, `6.02E+23` (with an optional
    /// leading sign, as found in CSV cells).
    pub fn parse(text: &str) -> Result<Number, NumberError> {
        let text = text.trim();
        let (negative, body) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let parts = split_literal(body).ok_or(NumberError::Malformed)?;
        let exact = exact_decimal(&parts).map(|d| if negative { -d } else { d });
        // Most CSV cells have few digits: their f64 is one exact division (as
        // `nearest_f64`), without parsing the text again.
        let value = match exact.and_then(fast_f64) {
            Some(value) => value,
            None => text.parse().map_err(|_| NumberError::Malformed)?,
        };
        if !value.is_finite() {
            return Err(NumberError::Overflow);
        }
        Ok(Number { value, exact })
    }
}

impl fmt::Display for Number {
    /// The exact decimal where there is one (with an exponent when it is very large or
    /// very small: `3.0590228625390625e-8`, every digit kept so it parses back to the
    /// same decimal), else the shortest f64 that round-trips.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.exact.map(|d| d.normalize()) {
            Some(d) if d.scale() <= 20 && d.abs() < Decimal::from(10_i64.pow(15)) => {
                write!(f, "{d}")
            }
            Some(d) => f.write_str(&scientific(d)),
            None => write!(f, "{}", format_f64(self.value)),
        }
    }
}

/// The f64 nearest to `d`, as parsing its literal gives. (`Decimal::to_f64` is not
/// correctly rounded: 0.9092618934800625 came out one ulp low, so a folded constant
/// had another value than the literal it prints as.)
fn nearest_f64(d: Decimal) -> f64 {
    fast_f64(d).unwrap_or_else(|| d.to_string().parse().unwrap_or(f64::NAN))
}

/// The f64 nearest to `d` where one division gives it (Clinger's fast path): a
/// mantissa below 2^53 and a scale of at most 22, both exact in f64, so the quotient
/// rounds correctly. `None` otherwise, and for zero (whose sign the text keeps).
fn fast_f64(d: Decimal) -> Option<f64> {
    const POWERS: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    let (mantissa, scale) = (d.mantissa(), d.scale() as usize);
    (mantissa != 0 && mantissa.unsigned_abs() < 1 << 53 && scale < POWERS.len())
        .then(|| mantissa as f64 / POWERS[scale])
}

/// `d` as `digits e exponent` with all its significant digits: `6.02e23`, `-1.5e-21`.
fn scientific(d: Decimal) -> String {
    let mut digits = d.mantissa().unsigned_abs();
    let mut exponent = -(d.scale() as i64);
    while digits != 0 && digits.is_multiple_of(10) {
        digits /= 10;
        exponent += 1;
    }
    let digits = digits.to_string();
    let (first, rest) = digits.split_at(1);
    let sign = if d.is_sign_negative() && !d.is_zero() {
        "-"
    } else {
        ""
    };
    let point = if rest.is_empty() { "" } else { "." };
    let exponent = exponent + rest.len() as i64;
    format!("{sign}{first}{point}{rest}e{exponent}")
}

/// Formats an f64 so that parsing the text gives the same f64 back, with an exponent
/// for very large or very small magnitudes (`2.43e-11`, not `0.0000000000243`).
pub fn format_f64(x: f64) -> String {
    let magnitude = x.abs();
    if x == 0.0 || !x.is_finite() || (1e-5..1e16).contains(&magnitude) {
        if x == 0.0 {
            return "0".to_string();
        }
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// The pieces of an unsigned literal: digits before and after the point, and the exponent.
struct LiteralParts<'a> {
    int_digits: &'a str,
    frac_digits: &'a str,
    exponent: i64,
}

fn split_literal(body: &str) -> Option<LiteralParts<'_>> {
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], parse_exponent(&body[i + 1..])?),
        None => (body, 0),
    };
    let (int_digits, frac_digits) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int_digits.is_empty() && frac_digits.is_empty())
        || !all_digits(int_digits)
        || !all_digits(frac_digits)
    {
        return None;
    }
    Some(LiteralParts {
        int_digits,
        frac_digits,
        exponent,
    })
}

/// The exponent of a literal, saturated far beyond any f64 or decimal range.
fn parse_exponent(text: &str) -> Option<i64> {
    let digits = text.trim_start_matches(['+', '-']);
    if digits.is_empty()
        || text.len() - digits.len() > 1
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let magnitude = digits.parse::<i64>().unwrap_or(1_000_000).min(1_000_000);
    Some(if text.starts_with('-') {
        -magnitude
    } else {
        magnitude
    })
}

fn exact_decimal(parts: &LiteralParts<'_>) -> Option<Decimal> {
    // The significant digits, without building a string: skip leading zeros, then
    // count the trailing zeros apart so `1200` is 12 with exponent 2.
    let digits = parts.int_digits.bytes().chain(parts.frac_digits.bytes());
    let mut mantissa: i128 = 0;
    let (mut significant, mut pending_zeros) = (0usize, 0i64);
    for digit in digits.map(|b| i128::from(b - b'0')) {
        if digit == 0 {
            pending_zeros += i64::from(significant > 0);
            continue;
        }
        for _ in 0..pending_zeros {
            mantissa = mantissa.checked_mul(10)?;
        }
        significant += pending_zeros as usize + 1;
        pending_zeros = 0;
        if significant > DECIMAL_DIGITS {
            return None;
        }
        mantissa = mantissa.checked_mul(10)?.checked_add(digit)?;
    }
    if mantissa == 0 {
        return Some(Decimal::ZERO);
    }
    let scale = parts.frac_digits.len() as i64 - parts.exponent - pending_zeros;
    if scale >= 0 {
        let scale = u32::try_from(scale).ok().filter(|s| *s <= 28)?;
        Decimal::try_from_i128_with_scale(mantissa, scale).ok()
    } else {
        let factor = 10_i128.checked_pow(u32::try_from(-scale).ok()?)?;
        Decimal::try_from_i128_with_scale(mantissa.checked_mul(factor)?, 0).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_keep_exact_decimals() {
        let exact = |t: &str| {
            Number::parse(t)
                .ok()
                .and_then(|n| n.exact)
                .map(|d| d.to_string())
        };
        assert_eq!(exact("2.5").as_deref(), Some("2.5"));
        assert_eq!(exact(".5").as_deref(), Some("0.5"));
        assert_eq!(exact("1e-3").as_deref(), Some("0.001"));
        assert_eq!(
            exact("6.02E+23").as_deref(),
            Some("602000000000000000000000")
        );
        assert_eq!(exact("-0.1").as_deref(), Some("-0.1"));
        assert_eq!(exact("1e-40"), None);
        assert_eq!(exact("1e29"), None);
        assert_eq!(exact("1234567890123456789012345678901"), None);
    }

    #[test]
    fn overflow_and_garbage_are_errors() {
        assert_eq!(Number::parse("1e999").err(), Some(NumberError::Overflow));
        assert_eq!(Number::parse("1.2.3").err(), Some(NumberError::Malformed));
        assert_eq!(Number::parse("").err(), Some(NumberError::Malformed));
        assert_eq!(Number::parse("abc").err(), Some(NumberError::Malformed));
    }

    #[test]
    fn f64_formatting_round_trips() {
        for x in [
            0.41581990101999,
            2.43e-11,
            1e300,
            -7.5,
            0.1 + 0.2,
            123456789.0,
        ] {
            assert_eq!(format_f64(x).parse::<f64>(), Ok(x));
        }
        assert_eq!(format_f64(2.43e-11), "2.43e-11");
    }

    #[test]
    fn exact_numbers_print_every_digit() {
        for text in [
            "3.0590228625390625e-8",
            "6.02e23",
            "-1.5e-21",
            "1e15",
            "0.25",
            "-7",
        ] {
            let number = Number::parse(text).unwrap_or(Number::from_f64(f64::NAN));
            let printed = number.to_string();
            let back = Number::parse(&printed).ok().and_then(|n| n.exact);
            assert_eq!(back, number.exact, "{text} printed as {printed}");
        }
        let exact = |t: &str| Number::parse(t).unwrap_or(Number::from_f64(f64::NAN));
        assert_eq!(
            exact("3.0590228625390625e-8").to_string(),
            "3.0590228625390625e-8"
        );
        assert_eq!(exact("602000000000000000000000").to_string(), "6.02e23");
        assert_eq!(exact("0.000000000000000000001").to_string(), "1e-21");
    }

    #[test]
    fn decimals_convert_to_the_nearest_f64() {
        for text in [
            "0.9092618934800625",
            "0.3",
            "-2.675",
            "123456789.123456789",
            "0.0000000000000000000000000001",
            "79228162514264337593543950335",
            "9007199254740993",
        ] {
            let d: Decimal = text.parse().unwrap_or_default();
            assert_eq!(
                Number::from_decimal(d).value,
                text.parse::<f64>().unwrap_or(0.0),
                "{text}"
            );
        }
    }
}
