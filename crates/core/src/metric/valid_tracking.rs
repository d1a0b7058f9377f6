//! The valid tracking rate (SPEC §3.3, §5.5): packages with a valid tracking number over the
//! packages shipped in 30 local days, per category. Packages are judged in
//! [`crate::tracking`]; this is how they count.

use std::ops::{Add, Sub};

use orderhealth_carriers::Defect;
use serde::{Deserialize, Serialize};

use super::{Counts, Day};
use crate::limits::Limit;
use crate::marketplace::Marketplace;
use crate::Text;

/// GOOD when 20 × valid > 19 × packages (rate > 95%).
pub const LIMIT: Limit =
    Limit { threshold: "> 95%", threshold_rate: 0.95, part_factor: 20, whole_factor: 19, bad_at_or_above: false };

/// The window, in local days.
pub const WINDOW: i32 = 30;

/// Packages of a day (or a window): how many, how many valid, and each defect.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackingCounts {
    pub packages: i64,
    pub valid: i64,
    /// By defect, in the order of [`Defect::ALL`].
    pub defects: [i64; Defect::ALL.len()],
}

impl TrackingCounts {
    /// One package, valid (`None`) or with its defect.
    pub fn of(defect: Option<Defect>) -> TrackingCounts {
        let mut c = TrackingCounts { packages: 1, ..TrackingCounts::default() };
        match defect.and_then(|d| Defect::ALL.iter().position(|x| *x == d)) {
            Some(i) => {
                if let Some(n) = c.defects.get_mut(i) {
                    *n = 1;
                }
            }
            None => c.valid = 1,
        }
        c
    }
}

impl Add for TrackingCounts {
    type Output = TrackingCounts;

    fn add(self, o: TrackingCounts) -> TrackingCounts {
        let mut defects = self.defects;
        for (a, b) in defects.iter_mut().zip(o.defects) {
            *a += b;
        }
        TrackingCounts { packages: self.packages + o.packages, valid: self.valid + o.valid, defects }
    }
}

impl Sub for TrackingCounts {
    type Output = TrackingCounts;

    fn sub(self, o: TrackingCounts) -> TrackingCounts {
        let mut defects = self.defects;
        for (a, b) in defects.iter_mut().zip(o.defects) {
            *a -= b;
        }
        TrackingCounts { packages: self.packages - o.packages, valid: self.valid - o.valid, defects }
    }
}

/// Every package counts in `packages`.
impl Counts for TrackingCounts {
    fn members(&self) -> i64 {
        self.packages
    }
}

/// One (marketplace, category, local ship day) of packages.
pub type TrackingDay = Day<(Marketplace, Text), TrackingCounts>;
