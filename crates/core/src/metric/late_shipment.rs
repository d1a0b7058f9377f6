//! The late shipment rate (SPEC §3.5): orders confirmed after their expected ship date, and
//! open orders past it, over 10 and 30 local days by expected-ship day.

use serde::{Deserialize, Serialize};

use super::{per_day, Counts, Day, Series};
use crate::limits::Limit;
use crate::marketplace::Marketplace;
use crate::view::{Lateness, OrderView};

/// BAD when 25 × late ≥ orders (rate ≥ 4%).
pub const LIMIT: Limit =
    Limit { threshold: "< 4%", threshold_rate: 0.04, part_factor: 25, whole_factor: 1, bad_at_or_above: true };

/// The window lengths, in local days.
pub const WINDOWS: [i32; 2] = [10, 30];

/// What the orders expected to ship on one local day count as.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LateCounts {
    /// Orders judged: confirmed, or open and past due.
    pub orders: i64,
    /// Confirmed late, or unconfirmed past due.
    pub late: i64,
    /// Open and past due (included in `late`).
    pub unconfirmed: i64,
}

impl LateCounts {
    fn of(lateness: Lateness) -> LateCounts {
        LateCounts {
            orders: 1,
            late: lateness.is_late() as i64,
            unconfirmed: (lateness == Lateness::Unconfirmed) as i64,
        }
    }
}

super::additive!(LateCounts { orders, late, unconfirmed });

/// Every judged order counts in `orders`.
impl Counts for LateCounts {
    fn members(&self) -> i64 {
        self.orders
    }
}

/// One (marketplace, local expected-ship day) of judged MFN Amazon orders.
pub type LateDay = Day<Marketplace, LateCounts>;

/// Per (marketplace, local expected-ship day) late shipment counts, sorted (§3.5).
pub fn late_days(orders: &[OrderView]) -> Series<Marketplace, LateCounts> {
    per_day(orders, |o| Some((o.expected_ship_ts?, LateCounts::of(o.lateness?))))
}
