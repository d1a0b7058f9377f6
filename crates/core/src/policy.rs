//! Auto-cancellation deadlines (SPEC §3.2, §5.3).

use chrono::{Datelike, Weekday};
use chrono_tz::Tz;

use crate::timestamp::{date_of, local_day, parse_instant, Micros, MICROS_PER_DAY};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Policy {
    /// expected ship + 30 × 24 h (the default: the rule our users asked for).
    #[default]
    Days30,
    /// expected ship + the days to the 7th business day after the expected ship local date.
    Business7,
    /// `days30` for orders purchased before 2020-09-30 (UTC), `business7` after.
    Dated,
}

impl Policy {
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Days30 => "days30",
            Policy::Business7 => "business7",
            Policy::Dated => "dated",
        }
    }
}

impl std::str::FromStr for Policy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "days30" => Ok(Policy::Days30),
            "business7" => Ok(Policy::Business7),
            "dated" => Ok(Policy::Dated),
            _ => Err(format!("unknown auto-cancel policy {s:?}: expected days30, business7 or dated")),
        }
    }
}

/// Calendar days from a local date to its 7th Monday–Friday day after it (no holidays).
pub fn business7_days(weekday: Weekday) -> i64 {
    let mut day = weekday;
    let mut business = 0;
    let mut days = 0;
    while business < 7 {
        day = day.succ();
        days += 1;
        if !matches!(day, Weekday::Sat | Weekday::Sun) {
            business += 1;
        }
    }
    days
}

/// The instant Amazon auto-cancels an order still unshipped.
pub fn deadline(policy: Policy, expected_ship: Micros, purchase: Micros, zone: Tz) -> Micros {
    let policy = match policy {
        Policy::Dated => {
            let cutover = parse_instant("2020-09-30T00:00:00Z").expect("constant");
            if purchase < cutover {
                Policy::Days30
            } else {
                Policy::Business7
            }
        }
        p => p,
    };
    match policy {
        Policy::Business7 => {
            let weekday = date_of(local_day(expected_ship, zone)).weekday();
            expected_ship + business7_days(weekday) * MICROS_PER_DAY
        }
        _ => expected_ship + 30 * MICROS_PER_DAY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business7_matches_the_spec_table() {
        use Weekday::*;
        for (d, n) in [(Sun, 9), (Mon, 9), (Tue, 9), (Wed, 9), (Thu, 11), (Fri, 11), (Sat, 10)] {
            assert_eq!(business7_days(d), n, "{d}");
        }
    }

    #[test]
    fn dated_switches_on_2020_09_30() {
        let ship = parse_instant("2020-10-02T06:59:59Z").unwrap(); // Thursday 23:59:59 in LA
        let before = parse_instant("2020-09-29T23:59:59Z").unwrap();
        let after = parse_instant("2020-09-30T00:00:00Z").unwrap();
        let la = Tz::America__Los_Angeles;
        assert_eq!(deadline(Policy::Dated, ship, before, la), ship + 30 * MICROS_PER_DAY);
        assert_eq!(deadline(Policy::Dated, ship, after, la), ship + 11 * MICROS_PER_DAY);
        // The local weekday decides: 06:59Z Friday is still Thursday in Los Angeles.
        assert_eq!(deadline(Policy::Business7, ship, after, Tz::UTC), ship + 11 * MICROS_PER_DAY);
        let sat_utc = parse_instant("2020-10-03T06:59:59Z").unwrap(); // Friday in LA, Saturday UTC
        assert_eq!(deadline(Policy::Business7, sat_utc, after, la), sat_utc + 11 * MICROS_PER_DAY);
        assert_eq!(deadline(Policy::Business7, sat_utc, after, Tz::UTC), sat_utc + 10 * MICROS_PER_DAY);
    }
}
