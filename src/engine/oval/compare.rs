//! Entity comparison: OVAL 5.11.1 §5.3.6.3.1 (OperationEnumeration) applied to the
//! datatypes of §4.3.5 (DatatypeEnumeration), following the spec's "Datatype and
//! Operation" table. Main entry point: [`compare`].
//!
//! Where the spec leaves room, values are read the way OpenSCAP 1.3 reads them, since
//! vigil must give the same results: `int` is a 64-bit `strtoll` (leading white space and
//! a sign allowed, nothing trailing), `float` is `strtod`, string case folding is ASCII,
//! IP ordering compares network addresses and needs equal prefixes. A pair outside the
//! table is [`CompareError::Unsupported`]; a value the datatype cannot hold is
//! [`CompareError::InvalidValue`]. Both become an OVAL `error` result.

use std::cmp::Ordering;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::{pattern, version};
use crate::content::oval::{Datatype, Operation};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CompareError {
    #[error("operation '{operation}' is not allowed on datatype '{datatype}'")]
    Unsupported {
        datatype: Datatype,
        operation: Operation,
    },
    #[error("'{value}' is not a valid {datatype}: {reason}")]
    InvalidValue {
        datatype: Datatype,
        value: String,
        reason: String,
    },
    #[error("invalid regular expression '{pattern}': {reason}")]
    InvalidPattern { pattern: String, reason: String },
    /// The regex engine gave up on a subject (e.g. match limit reached).
    #[error("matching regular expression '{pattern}' failed: {reason}")]
    MatchFailed { pattern: String, reason: String },
    /// Both values are valid but cannot be ordered against each other (IP addresses with
    /// different prefix lengths).
    #[error("cannot compare {datatype} '{actual}' with '{expected}': {reason}")]
    Incomparable {
        datatype: Datatype,
        actual: String,
        expected: String,
        reason: String,
    },
}

/// Compares a collected value (`actual`) with a value given in content (`expected`):
/// `actual <operation> expected`, both interpreted as `datatype`.
pub fn compare(
    datatype: Datatype,
    operation: Operation,
    actual: &str,
    expected: &str,
) -> Result<bool, CompareError> {
    use Datatype as D;
    use Operation as O;
    let unsupported = || CompareError::Unsupported {
        datatype,
        operation,
    };
    match datatype {
        D::String => match operation {
            O::Equals => Ok(actual == expected),
            O::NotEqual => Ok(actual != expected),
            O::CaseInsensitiveEquals => Ok(actual.eq_ignore_ascii_case(expected)),
            O::CaseInsensitiveNotEqual => Ok(!actual.eq_ignore_ascii_case(expected)),
            O::PatternMatch => pattern::is_match(expected, actual),
            _ => Err(unsupported()),
        },
        D::Binary => {
            let (a, e) = (parse_binary(actual)?, parse_binary(expected)?);
            equality(operation, a.eq_ignore_ascii_case(e)).ok_or_else(unsupported)
        }
        D::Boolean => {
            let (a, e) = (parse_boolean(actual)?, parse_boolean(expected)?);
            equality(operation, a == e).ok_or_else(unsupported)
        }
        D::Int => {
            if !is_ordering_or_equality(operation)
                && !matches!(operation, O::BitwiseAnd | O::BitwiseOr)
            {
                return Err(unsupported());
            }
            let (a, e) = (parse_int(actual)?, parse_int(expected)?);
            Ok(match operation {
                O::BitwiseAnd => a & e == e,
                O::BitwiseOr => a | e == e,
                _ => ordering(operation, a.cmp(&e)).ok_or_else(unsupported)?,
            })
        }
        D::Float => {
            if !is_ordering_or_equality(operation) {
                return Err(unsupported());
            }
            let (a, e) = (parse_float(actual)?, parse_float(expected)?);
            // NaN is unordered: every relation except "not equal" is false.
            Ok(match a.partial_cmp(&e) {
                Some(o) => ordering(operation, o).ok_or_else(unsupported)?,
                None => operation == O::NotEqual,
            })
        }
        D::EvrString => ordered(datatype, operation, || {
            Ok(version::compare_rpm_evr(actual, expected))
        }),
        D::DebianEvrString => ordered(datatype, operation, || {
            let invalid =
                |value: &str, e: version::DpkgVersionError| invalid(datatype, value, e.to_string());
            version::parse_dpkg(actual).map_err(|e| invalid(actual, e))?;
            version::compare_dpkg(actual, expected).map_err(|e| invalid(expected, e))
        }),
        D::Version => ordered(datatype, operation, || {
            Ok(version::compare_version(actual, expected))
        }),
        D::FilesetRevision | D::IosVersion => ordered(datatype, operation, || {
            for v in [actual, expected] {
                if !v.bytes().any(|c| c.is_ascii_alphanumeric()) {
                    return Err(invalid(datatype, v, "no digits or letters".into()));
                }
            }
            Ok(version::compare_segments(actual, expected).unwrap_or(Ordering::Equal))
        }),
        D::Ipv4Address => compare_ip(datatype, operation, actual, expected, parse_ipv4),
        D::Ipv6Address => compare_ip(datatype, operation, actual, expected, parse_ipv6),
        // Record entities are compared field by field by the caller; the record itself has
        // no string value to compare.
        D::Record => Err(unsupported()),
    }
}

fn invalid(datatype: Datatype, value: &str, reason: String) -> CompareError {
    CompareError::InvalidValue {
        datatype,
        value: value.to_owned(),
        reason,
    }
}

fn is_ordering_or_equality(op: Operation) -> bool {
    use Operation as O;
    matches!(
        op,
        O::Equals
            | O::NotEqual
            | O::GreaterThan
            | O::GreaterThanOrEqual
            | O::LessThan
            | O::LessThanOrEqual
    )
}

fn equality(op: Operation, equal: bool) -> Option<bool> {
    match op {
        Operation::Equals => Some(equal),
        Operation::NotEqual => Some(!equal),
        _ => None,
    }
}

/// `actual <op> expected` given `actual.cmp(expected)`; `None` for a non-ordering `op`.
fn ordering(op: Operation, o: Ordering) -> Option<bool> {
    use Operation as O;
    Some(match op {
        O::Equals => o.is_eq(),
        O::NotEqual => o.is_ne(),
        O::GreaterThan => o.is_gt(),
        O::GreaterThanOrEqual => o.is_ge(),
        O::LessThan => o.is_lt(),
        O::LessThanOrEqual => o.is_le(),
        _ => return None,
    })
}

/// For the version-like datatypes, which allow exactly equality and ordering.
fn ordered(
    datatype: Datatype,
    op: Operation,
    cmp: impl FnOnce() -> Result<Ordering, CompareError>,
) -> Result<bool, CompareError> {
    if !is_ordering_or_equality(op) {
        return Err(CompareError::Unsupported {
            datatype,
            operation: op,
        });
    }
    Ok(ordering(op, cmp()?).expect("checked above"))
}

/// xsd:hexBinary: an even number of hex digits.
fn parse_binary(s: &str) -> Result<&str, CompareError> {
    let t = s.trim();
    if let Some(bad) = t.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(invalid(
            Datatype::Binary,
            s,
            format!("'{bad}' is not a hexadecimal digit"),
        ));
    }
    if t.len() % 2 != 0 {
        return Err(invalid(
            Datatype::Binary,
            s,
            "odd number of hexadecimal digits".into(),
        ));
    }
    Ok(t)
}

/// xsd:boolean: `true`, `false`, `1`, `0`.
fn parse_boolean(s: &str) -> Result<bool, CompareError> {
    match s.trim() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(invalid(
            Datatype::Boolean,
            s,
            "expected true, false, 1 or 0".into(),
        )),
    }
}

const C_SPACE: [char; 6] = [' ', '\t', '\n', '\r', '\x0b', '\x0c'];

/// A decimal 64-bit integer as `strtoll` reads it: leading white space and a sign
/// allowed, at least one digit, nothing after the digits, no overflow.
fn parse_int(s: &str) -> Result<i64, CompareError> {
    let t = s.trim_start_matches(C_SPACE);
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(invalid(Datatype::Int, s, "not a decimal integer".into()));
    }
    let t = t.strip_prefix('+').unwrap_or(t);
    t.parse::<i64>()
        .map_err(|_| invalid(Datatype::Int, s, "out of the 64-bit integer range".into()))
}

/// A floating-point number as `strtod` reads it: leading white space allowed, decimal or
/// hexadecimal (`0x1.8p1`) notation, `inf`/`infinity`/`nan` in any case, nothing after.
fn parse_float(s: &str) -> Result<f64, CompareError> {
    let t = s.trim_start_matches(C_SPACE);
    let err = || invalid(Datatype::Float, s, "not a floating-point number".into());
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let magnitude = if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        parse_hex_float(hex).ok_or_else(err)?
    } else {
        // Rust's grammar is strtod's decimal grammar plus inf/infinity/nan; it refuses the
        // things strtod would stop early on, which strtod callers then reject as trailing.
        if body.starts_with(['+', '-']) {
            return Err(err());
        }
        body.parse::<f64>().map_err(|_| err())?
    };
    Ok(if neg { -magnitude } else { magnitude })
}

/// The part of a C hexadecimal float after `0x`: hex digits, optional `.` fraction,
/// optional binary exponent `p[+-]digits`.
fn parse_hex_float(s: &str) -> Option<f64> {
    let (mantissa, exp) = match s.find(['p', 'P']) {
        Some(p) => (&s[..p], Some(&s[p + 1..])),
        None => (s, None),
    };
    let (int, frac) = match mantissa.find('.') {
        Some(d) => (&mantissa[..d], &mantissa[d + 1..]),
        None => (mantissa, ""),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int.chars() {
        v = v * 16.0 + c.to_digit(16)? as f64;
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        v += c.to_digit(16)? as f64 * scale;
        scale /= 16.0;
    }
    if let Some(e) = exp {
        let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let e: i32 = e.parse().unwrap_or(if e.starts_with('-') {
            i32::MIN
        } else {
            i32::MAX
        });
        v *= 2f64.powi(e);
    }
    Some(v)
}

/// An IP address with its network mask (all ones when no prefix is given).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct IpNet {
    addr: u128,
    mask: u128,
}

impl IpNet {
    fn network(self) -> u128 {
        self.addr & self.mask
    }
    /// Every address of `self` lies in `other`.
    fn within(self, other: IpNet) -> bool {
        self.mask & other.mask == other.mask && self.addr & other.mask == other.network()
    }
}

/// A prefix length after `/`, read like `strtol` (OpenSCAP accepts `08` and `+8`).
fn parse_prefix(p: &str, max: u32) -> Option<u32> {
    let digits = p.strip_prefix(['+', '-']).unwrap_or(p);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n: i64 = p.strip_prefix('+').unwrap_or(p).parse().ok()?;
    (0..=max as i64).contains(&n).then_some(n as u32)
}

fn prefix_mask(bits: u32, width: u32) -> u128 {
    let all = if width == 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    };
    if bits == 0 {
        0
    } else {
        (all << (width - bits)) & all
    }
}

/// `a.b.c.d` optionally followed by `/prefix` (0-32) or `/a.b.c.d` netmask.
fn parse_ipv4(s: &str) -> Result<IpNet, CompareError> {
    let bad = |reason: &str| invalid(Datatype::Ipv4Address, s, reason.into());
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let addr: Ipv4Addr = addr.parse().map_err(|_| bad("not a dotted-quad address"))?;
    let mask = match prefix {
        None => prefix_mask(32, 32),
        Some(p) if p.contains('.') => {
            u32::from(p.parse::<Ipv4Addr>().map_err(|_| bad("invalid netmask"))?) as u128
        }
        Some(p) => prefix_mask(
            parse_prefix(p, 32).ok_or_else(|| bad("invalid prefix"))?,
            32,
        ),
    };
    Ok(IpNet {
        addr: u32::from(addr) as u128,
        mask,
    })
}

/// An IPv6 address (RFC 4291 text forms) optionally followed by `/prefix` (0-128).
fn parse_ipv6(s: &str) -> Result<IpNet, CompareError> {
    let bad = |reason: &str| invalid(Datatype::Ipv6Address, s, reason.into());
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let addr: Ipv6Addr = addr.parse().map_err(|_| bad("not an IPv6 address"))?;
    let bits = match prefix {
        None => 128,
        Some(p) => parse_prefix(p, 128).ok_or_else(|| bad("invalid prefix"))?,
    };
    Ok(IpNet {
        addr: u128::from(addr),
        mask: prefix_mask(bits, 128),
    })
}

/// Equality compares address and prefix as written; ordering compares the network
/// addresses of two values with the same prefix; `subset of` / `superset of` compare the
/// address ranges (an address without a prefix is a single-address network).
fn compare_ip(
    datatype: Datatype,
    operation: Operation,
    actual: &str,
    expected: &str,
    parse: fn(&str) -> Result<IpNet, CompareError>,
) -> Result<bool, CompareError> {
    use Operation as O;
    if !is_ordering_or_equality(operation) && !matches!(operation, O::SubsetOf | O::SupersetOf) {
        return Err(CompareError::Unsupported {
            datatype,
            operation,
        });
    }
    let (a, e) = (parse(actual)?, parse(expected)?);
    Ok(match operation {
        O::Equals => a == e,
        O::NotEqual => a != e,
        O::SubsetOf => a.within(e),
        O::SupersetOf => e.within(a),
        _ => {
            if a.mask != e.mask {
                return Err(CompareError::Incomparable {
                    datatype,
                    actual: actual.to_owned(),
                    expected: expected.to_owned(),
                    reason: "the prefix lengths differ".into(),
                });
            }
            ordering(operation, a.network().cmp(&e.network())).expect("ordering operation")
        }
    })
}

/// The first capture group of the first match of `pattern` in `text` (the whole match
/// when the pattern has no group); `None` when it does not match. Uses the shared
/// pattern cache.
pub fn first_capture(pattern: &str, text: &str) -> Result<Option<String>, CompareError> {
    let re = pattern::compiled(pattern)?;
    let caps = re
        .captures(text.as_bytes())
        .map_err(|e| CompareError::MatchFailed {
            pattern: pattern.to_string(),
            reason: e.to_string(),
        })?;
    Ok(caps.and_then(|c| {
        c.get(1)
            .or_else(|| c.get(0))
            .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
    }))
}
