//! The account-health limits (SPEC §3.1, §3.3, §3.5): each metric's threshold is written once,
//! in its module of [`crate::metric`], as an integer comparison so the edge is exact (2.5% of
//! 40 orders is one order, BAD). The tables (polars expressions), the current windows, the
//! terminal and the HTML report all judge through [`Limit::verdict`].

use serde::{Serialize, Serializer};

/// A metric's limit: `part` over `whole` is compared as `part_factor × part` against
/// `whole_factor × whole`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// As a seller reads it, e.g. `< 2.5%`.
    pub threshold: &'static str,
    /// The threshold as a fraction, for chart lines.
    pub threshold_rate: f64,
    pub part_factor: i64,
    pub whole_factor: i64,
    /// `true`: BAD at or above the threshold (cancel, late). `false`: GOOD only strictly
    /// above it (valid tracking).
    pub bad_at_or_above: bool,
}

/// A window's verdict.
/// Ordered worst first (BAD, GOOD, NONE); written as its [`Verdict::as_str`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    Bad,
    Good,
    /// Nothing to judge in the window (denominator 0).
    #[default]
    None,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Bad => "BAD",
            Verdict::Good => "GOOD",
            Verdict::None => "NONE",
        }
    }
}

impl Serialize for Verdict {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Limit {
    pub fn verdict(&self, part: i64, whole: i64) -> Verdict {
        let (p, w) = (self.part_factor.saturating_mul(part), self.whole_factor.saturating_mul(whole));
        let bad = if self.bad_at_or_above { p >= w } else { p <= w };
        match (whole, bad) {
            (0, _) => Verdict::None,
            (_, true) => Verdict::Bad,
            (_, false) => Verdict::Good,
        }
    }
}

/// `part / whole`, `None` when `whole` is 0.
pub fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole != 0).then(|| part as f64 / whole as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::{cancel_rate, late_shipment, valid_tracking};

    #[test]
    fn edges_are_exact() {
        assert_eq!(cancel_rate::LIMIT.verdict(1, 40), Verdict::Bad);
        assert_eq!(cancel_rate::LIMIT.verdict(1, 41), Verdict::Good);
        assert_eq!(late_shipment::LIMIT.verdict(1, 25), Verdict::Bad);
        assert_eq!(late_shipment::LIMIT.verdict(1, 26), Verdict::Good);
        assert_eq!(valid_tracking::LIMIT.verdict(19, 20), Verdict::Bad);
        assert_eq!(valid_tracking::LIMIT.verdict(20, 21), Verdict::Good);
        assert_eq!(serde_json::to_string(&Verdict::Bad).unwrap(), "\"BAD\"");
        assert!(Verdict::Bad < Verdict::Good && Verdict::Good < Verdict::None, "worst first");
        for limit in [cancel_rate::LIMIT, late_shipment::LIMIT, valid_tracking::LIMIT] {
            assert_eq!(limit.verdict(0, 0), Verdict::None);
        }
        assert_eq!(rate(1, 4), Some(0.25));
        assert_eq!(rate(0, 0), None);
    }
}
