//! The account-health limits (SPEC §3.1, §3.3, §3.5): each metric's threshold, written once
//! as an integer comparison so the edge is exact (2.5% of 40 orders is one order, BAD).
//! The tables (polars expressions), the current windows, the terminal and the HTML report
//! all judge through these.

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

/// Cancellation rate: BAD when 40 × cancelled ≥ orders (rate ≥ 2.5%).
pub const CANCEL_RATE: Limit =
    Limit { threshold: "< 2.5%", threshold_rate: 0.025, part_factor: 40, whole_factor: 1, bad_at_or_above: true };

/// Late shipment rate: BAD when 25 × late ≥ orders (rate ≥ 4%).
pub const LATE_SHIPMENT: Limit =
    Limit { threshold: "< 4%", threshold_rate: 0.04, part_factor: 25, whole_factor: 1, bad_at_or_above: true };

/// Valid tracking rate: GOOD when 20 × valid > 19 × packages (rate > 95%).
pub const VALID_TRACKING: Limit =
    Limit { threshold: "> 95%", threshold_rate: 0.95, part_factor: 20, whole_factor: 19, bad_at_or_above: false };

/// The window lengths of the late shipment rate, in local days.
pub const LATE_SHIPMENT_WINDOWS: [i32; 2] = [10, 30];
pub const CANCEL_RATE_WINDOW: i32 = 7;
pub const VALID_TRACKING_WINDOW: i32 = 30;

/// A window's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    Bad,
    Good,
    /// Nothing to judge in the window (denominator 0).
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

    #[test]
    fn edges_are_exact() {
        assert_eq!(CANCEL_RATE.verdict(1, 40), Verdict::Bad);
        assert_eq!(CANCEL_RATE.verdict(1, 41), Verdict::Good);
        assert_eq!(LATE_SHIPMENT.verdict(1, 25), Verdict::Bad);
        assert_eq!(LATE_SHIPMENT.verdict(1, 26), Verdict::Good);
        assert_eq!(VALID_TRACKING.verdict(19, 20), Verdict::Bad);
        assert_eq!(VALID_TRACKING.verdict(20, 21), Verdict::Good);
        for limit in [CANCEL_RATE, LATE_SHIPMENT, VALID_TRACKING] {
            assert_eq!(limit.verdict(0, 0), Verdict::None);
        }
        assert_eq!(rate(1, 4), Some(0.25));
        assert_eq!(rate(0, 0), None);
    }
}
