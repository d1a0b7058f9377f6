//! The order-cancellation feed's rules on testdata/feed (see testdata/make_fixtures.py, `feed`):
//! which orders may be written, the reason each gets, its rows, and the cancel-rate counts
//! once it is applied.

use crate::common::*;
use orderhealth_core::cancel_feed::{self, Refusal};
use orderhealth_core::timestamp::epoch_days;
use orderhealth_core::{cancel_days, Marketplace, ReadOptions, View, ViewOptions};

fn feed_view() -> View {
    load_view(&[testdata("feed")], &ReadOptions::default(), &ViewOptions::default()).1
}

fn judged(v: &View, id: &str) -> Result<String, Refusal> {
    cancel_feed::judge(v.orders.iter().find(|o| &*o.order_id == id)).map(|o| o.order_id.to_string())
}

#[test]
fn only_open_mfn_amazon_orders_with_item_ids_may_be_written() {
    let v = feed_view();
    assert_eq!(judged(&v, "F-A"), Ok("F-A".into()));
    assert_eq!(judged(&v, "F-B"), Ok("F-B".into()));
    // Newest all-orders snapshot (03-11 12:00) says Shipped / Cancelled / Pending; F-F is AFN.
    assert_eq!(judged(&v, "F-C"), Err(Refusal::Shipped));
    assert_eq!(judged(&v, "F-D"), Err(Refusal::Cancelled));
    assert_eq!(judged(&v, "F-E"), Err(Refusal::Pending));
    assert_eq!(judged(&v, "F-F"), Err(Refusal::Afn));
    // Only in the all-orders report, which has no order-item-id.
    assert_eq!(judged(&v, "F-H"), Err(Refusal::NoItemId));
    // In no input at all.
    assert_eq!(judged(&v, "F-G"), Err(Refusal::Unknown));
}

#[test]
fn buyer_canceled_exactly_when_the_buyer_asked_one_row_per_item() {
    let v = feed_view();
    let a = order(&v, "F-A");
    let b = order(&v, "F-B");
    assert_eq!(cancel_feed::reason_for(a, "PricingError"), "PricingError");
    assert_eq!(cancel_feed::reason_for(b, "PricingError"), "BuyerCanceled");
    assert_eq!(
        cancel_feed::feed_text(&[a, b], "NoInventory"),
        "TemplateType=OrderCancellation\tVersion=1.0\n\
         order-id\tcancellation-reason-code\tamazon-order-item-code\n\
         F-A\tNoInventory\t501\n\
         F-A\tNoInventory\t502\n\
         F-B\tBuyerCanceled\t503\n"
    );
}

#[test]
fn the_counts_after_the_feed_move_each_order_to_its_new_class() {
    let v = feed_view();
    let uk = Marketplace::from_code("UK").unwrap();
    let day = epoch_days(chrono::NaiveDate::from_ymd_opt(2026, 3, 10).unwrap());
    let before = cancel_days(&v.orders);
    let w = cancel_feed::window_ending(&before, uk, day);
    // 39 F-UK orders + F-A + F-B, all open (F-F is AFN): 0 / 41.
    assert_eq!((w.orders, w.seller_cancelled, w.buyer_excluded), (41, 0, 0));
    let after = cancel_feed::cancel_days_after(&before, &[order(&v, "F-A"), order(&v, "F-B")]);
    let w = cancel_feed::window_ending(&after, uk, day);
    // F-A becomes a seller cancellation (counts), F-B the buyer's (leaves the denominator):
    // 1 / 40 = 2.5 %.
    assert_eq!((w.orders, w.seller_cancelled, w.buyer_excluded), (40, 1, 1));
    // The window ending six days later still holds 03-10; the one after does not.
    assert_eq!(cancel_feed::window_ending(&after, uk, day + 6).seller_cancelled, 1);
    assert_eq!(cancel_feed::window_ending(&after, uk, day + 7).orders, 0);
}
