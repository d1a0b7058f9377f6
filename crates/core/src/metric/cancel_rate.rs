//! The cancellation rate (SPEC §3.1, §5.4): seller- and auto-cancelled MFN orders over the
//! orders bought in 7 local days, buyer-requested cancellations excluded.

use serde::{Deserialize, Serialize};

use super::{per_day, Counts, Day, Series};
use crate::limits::Limit;
use crate::marketplace::Marketplace;
use crate::view::{AutoState, Class, OrderView};

/// BAD when 40 × cancelled ≥ orders (rate ≥ 2.5%).
pub const LIMIT: Limit =
    Limit { threshold: "< 2.5%", threshold_rate: 0.025, part_factor: 40, whole_factor: 1, bad_at_or_above: true };

/// The window, in local days.
pub const WINDOW: i32 = 7;

/// What the orders bought on one local day count as.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelCounts {
    /// MFN orders less classes buyer, pending and amazon.
    pub orders: i64,
    pub seller_cancelled: i64,
    pub auto_cancelled: i64,
    pub buyer_excluded: i64,
    /// Open orders overdue or at risk.
    pub projected_cancelled: i64,
    /// Every MFN Amazon order bought that day, whatever its class: the day has a row (and
    /// spans the table's days) while one does. Not a column of the table.
    pub orders_on_day: i64,
}

impl CancelCounts {
    /// What one order counts as on its purchase day.
    pub fn of(o: &OrderView) -> CancelCounts {
        CancelCounts {
            orders: !matches!(o.class, Some(Class::Buyer | Class::Pending | Class::Amazon)) as i64,
            seller_cancelled: (o.class == Some(Class::Seller)) as i64,
            auto_cancelled: (o.class == Some(Class::Auto)) as i64,
            buyer_excluded: (o.class == Some(Class::Buyer)) as i64,
            projected_cancelled: (o.open && matches!(o.auto_state, Some(AutoState::Overdue | AutoState::AtRisk)))
                as i64,
            orders_on_day: 1,
        }
    }

    /// Cancellations charged to the seller: seller + auto.
    pub fn cancelled(&self) -> i64 {
        self.seller_cancelled + self.auto_cancelled
    }
}

super::additive!(CancelCounts {
    orders,
    seller_cancelled,
    auto_cancelled,
    buyer_excluded,
    projected_cancelled,
    orders_on_day,
});

impl Counts for CancelCounts {
    fn members(&self) -> i64 {
        self.orders_on_day
    }
}

/// One (marketplace, local purchase day) of MFN Amazon orders.
pub type CancelDay = Day<Marketplace, CancelCounts>;

/// Per (marketplace, local purchase day) counts of the MFN Amazon orders, sorted.
pub fn cancel_days(orders: &[OrderView]) -> Series<Marketplace, CancelCounts> {
    per_day(orders, |o| Some((o.purchase_ts, CancelCounts::of(o))))
}
