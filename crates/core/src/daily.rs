//! Per-day counts, the input of the rolling windows (SPEC §3.1, §3.5). Counts are additive:
//! they are folded per order in parallel and the partial counts summed, as a distributed run
//! would sum the counts of its partitions.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::marketplace::Marketplace;
use crate::timestamp::local_day;
use crate::view::{AutoState, Class, Lateness, OrderView};

/// What the orders bought on one local day count as.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CancelCounts {
    /// MFN orders less classes buyer, pending and amazon.
    pub orders: i64,
    pub seller_cancelled: i64,
    pub auto_cancelled: i64,
    pub buyer_excluded: i64,
    /// Open orders overdue or at risk.
    pub projected_cancelled: i64,
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
        }
    }

    /// Takes one order's counts back out (what it counted as before a change).
    pub fn sub(&mut self, o: CancelCounts) {
        self.orders -= o.orders;
        self.seller_cancelled -= o.seller_cancelled;
        self.auto_cancelled -= o.auto_cancelled;
        self.buyer_excluded -= o.buyer_excluded;
        self.projected_cancelled -= o.projected_cancelled;
    }

    pub fn add(&mut self, o: CancelCounts) {
        self.orders += o.orders;
        self.seller_cancelled += o.seller_cancelled;
        self.auto_cancelled += o.auto_cancelled;
        self.buyer_excluded += o.buyer_excluded;
        self.projected_cancelled += o.projected_cancelled;
    }
}

/// One (marketplace, local purchase day) of MFN Amazon orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CancelDay {
    pub marketplace: Marketplace,
    /// Days since 1970-01-01.
    pub day: i32,
    pub counts: CancelCounts,
}

/// Per (marketplace, local purchase day) counts of the MFN Amazon orders, sorted.
pub fn cancel_days(orders: &[OrderView]) -> Vec<CancelDay> {
    let merged = per_day(orders, |o| Some((local_day(o.purchase_ts, o.zone), CancelCounts::of(o))), CancelCounts::add);
    merged.into_iter().map(|(marketplace, day, counts)| CancelDay { marketplace, day, counts }).collect()
}

/// What the orders expected to ship on one local day count as in the late shipment rate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
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

    pub fn add(&mut self, o: LateCounts) {
        self.orders += o.orders;
        self.late += o.late;
        self.unconfirmed += o.unconfirmed;
    }
}

/// One (marketplace, local expected-ship day) of judged MFN Amazon orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LateDay {
    pub marketplace: Marketplace,
    /// Days since 1970-01-01.
    pub day: i32,
    pub counts: LateCounts,
}

/// Per (marketplace, local expected-ship day) late shipment counts, sorted (§3.5).
pub fn late_days(orders: &[OrderView]) -> Vec<LateDay> {
    let merged = per_day(
        orders,
        |o| {
            let lateness = o.lateness?;
            Some((local_day(o.expected_ship_ts?, o.zone), LateCounts::of(lateness)))
        },
        LateCounts::add,
    );
    merged.into_iter().map(|(marketplace, day, counts)| LateDay { marketplace, day, counts }).collect()
}

/// Folds per-order counts of the MFN Amazon orders into per-(marketplace, day) sums, in
/// parallel; sorted by marketplace code, then day.
fn per_day<C: Default + Copy + Send>(
    orders: &[OrderView],
    count: impl Fn(&OrderView) -> Option<(i32, C)> + Sync,
    add: fn(&mut C, C),
) -> Vec<(Marketplace, i32, C)> {
    let merged = orders
        .par_iter()
        .filter_map(|o| {
            let m = o.marketplace().filter(|_| o.in_metrics())?;
            count(o).map(|(day, c)| (m, day, c))
        })
        .fold(FxHashMap::default, |mut acc: FxHashMap<(Marketplace, i32), C>, (m, day, c)| {
            add(acc.entry((m, day)).or_default(), c);
            acc
        })
        .reduce(FxHashMap::default, |mut a, b| {
            for (k, v) in b {
                add(a.entry(k).or_default(), v);
            }
            a
        });
    let mut days: Vec<(Marketplace, i32, C)> = merged.into_iter().map(|((m, day), c)| (m, day, c)).collect();
    days.sort_by(|a, b| (a.0.code(), a.1).cmp(&(b.0.code(), b.1)));
    days
}
