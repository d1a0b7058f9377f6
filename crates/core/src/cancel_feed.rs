//! The order-cancellation feed a seller uploads to Amazon (flat file, feed type
//! `POST_FLAT_FILE_ORDER_ACKNOWLEDGEMENT_DATA`; read back as §1.2b): which orders may be in
//! it, the reason each gets, its rows, and what it does to the cancel rate.
//!
//! Amazon's rule for the reason: `BuyerCanceled` only when the buyer asked through Amazon
//! (the order's `is-buyer-requested-cancellation` flag; such orders leave the rate), and
//! otherwise the true reason, which counts against the seller.

use std::collections::BTreeMap;

use crate::marketplace::Marketplace;
use crate::metric::cancel_rate::{CancelCounts, CancelDay};
use crate::status::{Channel, Status};
use crate::timestamp::local_day;
use crate::view::{Class, OrderView};

pub const FEED_TYPE: &str = "POST_FLAT_FILE_ORDER_ACKNOWLEDGEMENT_DATA";
/// The template's first line, as Amazon's own template starts.
pub const TEMPLATE_LINE: &str = "TemplateType=OrderCancellation\tVersion=1.0";
pub const HEADER: [&str; 3] = ["order-id", "cancellation-reason-code", "amazon-order-item-code"];
/// The reason for orders whose buyer asked to cancel; never chosen by the seller.
pub const BUYER_CANCELED: &str = "BuyerCanceled";
/// The reason when none is given.
pub const DEFAULT_REASON: &str = "NoInventory";
/// The cancellation reason codes a seller may give (SPEC §1.2), `BuyerCanceled` apart.
pub const SELLER_REASONS: &[&str] = &[
    "NoInventory",
    "ShippingAddressUndeliverable",
    "CustomerExchange",
    "GeneralAdjustment",
    "CarrierCreditDecision",
    "RiskAssessmentInformationNotValid",
    "CarrierCoverageFailure",
    "CustomerReturn",
    "MerchandiseNotReceived",
    "PricingError",
];

/// Why an asked-for order is not written into the feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Refusal {
    Unknown,
    Afn,
    NotAmazon,
    Cancelled,
    Shipped,
    Pending,
    NoItemId,
}

impl Refusal {
    /// For the refusals file's `refusal` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Unknown => "unknown",
            Refusal::Afn => "afn",
            Refusal::NotAmazon => "not-amazon",
            Refusal::Cancelled => "cancelled",
            Refusal::Shipped => "shipped",
            Refusal::Pending => "pending",
            Refusal::NoItemId => "no-item-id",
        }
    }

    /// What the seller reads.
    pub fn explain(self) -> &'static str {
        match self {
            Refusal::Unknown => "not in the inputs: no order report names this order id",
            Refusal::Afn => "fulfilled by Amazon (AFN): Amazon cancels or ships it, not your feed",
            Refusal::NotAmazon => "not an order of an Amazon marketplace orderhealth knows",
            Refusal::Cancelled => "already cancelled",
            Refusal::Shipped => "already shipped (or partly): a shipped order cannot be cancelled by feed",
            Refusal::Pending => {
                "Pending: payment not yet authorised; Amazon cancels it if payment fails, and it does not count"
            }
            Refusal::NoItemId => {
                "no order-item-id in any snapshot (all-orders reports have none): add a new-orders or unshipped report"
            }
        }
    }
}

/// Whether an order can be cancelled by the feed.
pub fn judge(order: Option<&OrderView>) -> Result<&OrderView, Refusal> {
    let o = order.ok_or(Refusal::Unknown)?;
    if o.channel == Channel::Afn {
        return Err(Refusal::Afn);
    }
    if o.marketplace().is_none() {
        return Err(Refusal::NotAmazon);
    }
    if o.cancelled {
        return Err(Refusal::Cancelled);
    }
    if o.shipped {
        return Err(Refusal::Shipped);
    }
    if o.status == Status::Pending {
        return Err(Refusal::Pending);
    }
    if o.item_ids.is_empty() {
        return Err(Refusal::NoItemId);
    }
    Ok(o)
}

/// The reason an order is cancelled with: `BuyerCanceled` exactly when its buyer asked.
pub fn reason_for<'r>(o: &OrderView, seller_reason: &'r str) -> &'r str {
    if o.buyer_requested {
        BUYER_CANCELED
    } else {
        seller_reason
    }
}

/// The feed's text: template line, header, one row per order item, in the given order.
pub fn feed_text(orders: &[&OrderView], seller_reason: &str) -> String {
    let mut text = format!("{TEMPLATE_LINE}\n{}\n", HEADER.join("\t"));
    for o in orders {
        let reason = reason_for(o, seller_reason);
        for item in o.item_ids.iter() {
            text.push_str(&format!("{}\t{reason}\t{item}\n", o.order_id));
        }
    }
    text
}

/// The order as the uploaded feed leaves it: cancelled by the seller, or by the buyer's
/// request (§2.1: a feed row with `BuyerCanceled` on a buyer-flagged order is `buyer`).
pub fn after_feed(o: &OrderView) -> OrderView {
    let mut after = o.clone();
    after.cancelled = true;
    after.open = false;
    after.auto_state = None;
    after.status = Status::Cancelled;
    after.class = Some(if o.buyer_requested { Class::Buyer } else { Class::Seller });
    after
}

/// The per-day cancel-rate counts once the feed's orders are cancelled: each order's counts
/// moved from what it was to what the feed makes it, on its local purchase day.
pub fn cancel_days_after(before: &[CancelDay], feed: &[&OrderView]) -> Vec<CancelDay> {
    let mut days: BTreeMap<(Marketplace, i32), CancelCounts> =
        before.iter().map(|d| ((d.key, d.day), d.counts)).collect();
    for o in feed {
        let Some(m) = o.marketplace() else { continue };
        let counts = days.entry((m, local_day(o.purchase_ts, o.zone))).or_default();
        *counts = *counts - CancelCounts::of(o) + CancelCounts::of(&after_feed(o));
    }
    days.into_iter().map(|((key, day), counts)| CancelDay { key, day, counts }).collect()
}

/// The 7-day window of one marketplace ending on `end`, summed from per-day counts.
pub fn window_ending(days: &[CancelDay], m: Marketplace, end: i32) -> CancelCounts {
    let window = end - crate::metric::cancel_rate::WINDOW + 1..=end;
    days.iter().filter(|d| d.key == m && window.contains(&d.day)).fold(CancelCounts::default(), |sum, d| sum + d.counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buyer_canceled_is_not_a_seller_reason() {
        assert!(!SELLER_REASONS.contains(&BUYER_CANCELED));
        assert!(SELLER_REASONS.contains(&DEFAULT_REASON));
    }
}
