//! The on-time delivery rate (SPEC §3.7): valid packages the carrier delivered by the promised
//! delivery date, over the valid packages judged, in 14 and 30 local days by promised day.
//! Packages are judged in [`crate::tracking`]; this is how they count.

use serde::{Deserialize, Serialize};

use super::{Counts, Day};
use crate::limits::Limit;
use crate::marketplace::Marketplace;

/// GOOD when 100 × on_time > 97 × packages (rate > 97%).
pub const LIMIT: Limit =
    Limit { threshold: "> 97%", threshold_rate: 0.97, part_factor: 100, whole_factor: 97, bad_at_or_above: false };

/// The window lengths, in local days: Seller Central's page shows 14, the performance report 30.
pub const WINDOWS: [i32; 2] = [14, 30];

/// What the packages promised for one local day count as.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnTimeCounts {
    /// Valid packages judged: delivered, or past their promised day.
    pub packages: i64,
    pub on_time: i64,
}

impl OnTimeCounts {
    /// One judged package.
    pub fn of(on_time: bool) -> OnTimeCounts {
        OnTimeCounts { packages: 1, on_time: on_time as i64 }
    }
}

super::additive!(OnTimeCounts { packages, on_time });

/// Every judged package counts in `packages`.
impl Counts for OnTimeCounts {
    fn members(&self) -> i64 {
        self.packages
    }
}

/// One (marketplace, local promised delivery day) of judged packages.
pub type OnTimeDay = Day<Marketplace, OnTimeCounts>;
