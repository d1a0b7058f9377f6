//! Per-day counts, the input of the rolling windows (SPEC §3.1). Counts are additive: they
//! are folded per order in parallel and the partial counts summed, as a distributed run
//! would sum the counts of its partitions.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::marketplace::Marketplace;
use crate::timestamp::local_day;
use crate::view::{AutoState, Class, OrderView};

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
    fn of(o: &OrderView) -> CancelCounts {
        CancelCounts {
            orders: !matches!(o.class, Some(Class::Buyer | Class::Pending | Class::Amazon)) as i64,
            seller_cancelled: (o.class == Some(Class::Seller)) as i64,
            auto_cancelled: (o.class == Some(Class::Auto)) as i64,
            buyer_excluded: (o.class == Some(Class::Buyer)) as i64,
            projected_cancelled: (o.open && matches!(o.auto_state, Some(AutoState::Overdue | AutoState::AtRisk)))
                as i64,
        }
    }

    fn add(&mut self, o: CancelCounts) {
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
    let merged = orders
        .par_iter()
        .filter_map(|o| o.marketplace().filter(|_| o.in_metrics()).map(|m| (m, o)))
        .fold(FxHashMap::default, |mut acc: FxHashMap<(Marketplace, i32), CancelCounts>, (m, o)| {
            acc.entry((m, local_day(o.purchase_ts, o.zone))).or_default().add(CancelCounts::of(o));
            acc
        })
        .reduce(FxHashMap::default, |mut a, b| {
            for (k, v) in b {
                a.entry(k).or_default().add(v);
            }
            a
        });
    let mut days: Vec<CancelDay> =
        merged.into_iter().map(|((marketplace, day), counts)| CancelDay { marketplace, day, counts }).collect();
    days.sort_by(|a, b| (a.marketplace.code(), a.day).cmp(&(b.marketplace.code(), b.day)));
    days
}
