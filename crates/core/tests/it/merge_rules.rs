//! SPEC §2 and every rule of §2.1 on testdata/rules (see testdata/make_fixtures.py).

use crate::common::*;
use orderhealth_core::Channel;
use orderhealth_core::{Class, ReadOptions, Status, ViewOptions};

fn rules_view() -> orderhealth_core::View {
    load_view(&[testdata("rules")], &ReadOptions::default(), &ViewOptions::default()).1
}

#[test]
fn each_classification_rule_in_order() {
    let v = rules_view();
    let class = |id: &str| order(&v, id).class;
    // 1: the buyer flag is sticky (only the older snapshot says true), and a buyer event
    //    outranks a seller event on the same order.
    assert_eq!(class("R1-FLAG"), Some(Class::Buyer));
    assert!(order(&v, "R1-FLAG").buyer_requested);
    assert_eq!(class("R1-EVENT"), Some(Class::Buyer));
    // 2: a seller event; a feed row, even with reason BuyerCanceled, outranks rule 3.
    assert_eq!(class("R2-SELLER"), Some(Class::Seller));
    assert_eq!(class("R2-FEED"), Some(Class::Seller));
    // 3: Pending then Cancelled; only-Cancelled snapshots are not `pending`.
    assert_eq!(class("R3-PENDING"), Some(Class::Pending));
    assert_eq!(class("R3-ONLYCANCELLED"), Some(Class::Seller));
    // 4, 5: Amazon events.
    assert_eq!(class("R4-AUTO"), Some(Class::Auto));
    assert_eq!(class("R5-AMAZON"), Some(Class::Amazon));
    // 6: no event and cancel_seen_ts >= deadline (latest ship 2026-01-22T07:59:59Z + 30 d =
    //    2026-02-21T07:59:59Z): after it, exactly at it; one second before is rule 7.
    assert_eq!(class("R6-INFERRED"), Some(Class::Auto));
    assert_eq!(class("R6-EDGE"), Some(Class::Auto));
    assert_eq!(class("R7-EARLY"), Some(Class::Seller));
    // A Cancelled snapshot without last-updated-date: cancel_seen_ts empty, rule 6 cannot fire.
    assert_eq!(class("R6-NOLU"), Some(Class::Seller));
    assert_eq!(order(&v, "R6-NOLU").status, Status::Cancelled);
}

#[test]
fn expected_ship_date_is_filled_from_older_snapshots() {
    let v = rules_view();
    assert_eq!(order(&v, "R6-INFERRED").expected_ship_ts, Some(ts("2026-01-22T07:59:59Z")));
    let open = order(&v, "OPEN-1");
    assert_eq!(open.expected_ship_ts, Some(ts("2026-03-11T06:59:59Z")));
    assert!(open.open);
    // The newest snapshot's item rows, never a union: the 03-12 dump lists only SKU-B.
    assert_eq!(skus(open), ["SKU-B"]);
}

#[test]
fn an_item_cancellation_event_cancels_the_order() {
    let v = rules_view();
    let o = order(&v, "EVT-ITEM");
    assert_eq!(o.status, Status::Unshipped);
    assert!(o.cancelled && !o.open);
    assert_eq!(o.class, Some(Class::Seller));
}

#[test]
fn orders_outside_the_metrics_have_no_class_and_are_never_open() {
    let (_, v) = load_view(&[testdata("rules")], &ReadOptions::default(), &ViewOptions::default());
    let afn = order(&v, "AFN-1");
    assert_eq!(afn.channel, Channel::Afn);
    assert!(afn.cancelled && !afn.open && afn.class.is_none());
    assert_eq!(afn.marketplace().map(|m| m.code()), Some("US"));
    for id in ["NONAMZ-1", "UNSUP-1"] {
        let o = order(&v, id);
        assert!(o.marketplace().is_none() && !o.open && o.class.is_none(), "{id}");
    }
    assert_eq!(v.unsupported_marketplaces.get("Amazon.com.xx"), Some(&1));
    // Events for an order no report mentions are ignored: no row for it.
    assert!(v.orders.iter().all(|o| &*o.order_id != "GHOST-1"));
}

#[test]
fn shipped_open_and_status_normalisation() {
    let v = rules_view();
    let conf = order(&v, "SHIP-CONF");
    assert!(conf.shipped && !conf.open, "a confirmation row makes an order shipped");
    assert_eq!(conf.status, Status::Unshipped);
    let pending = order(&v, "PENDING-1");
    assert_eq!(pending.status, Status::Pending);
    assert!(!pending.open, "a Pending order cannot be shipped yet");
    let part = order(&v, "PART-1");
    assert_eq!(part.status, Status::PartiallyShipped);
    assert!(part.shipped && !part.open);
    assert_eq!(part.expected_ship_ts, Some(ts("2026-03-11T06:59:59Z")));
    let invoice = order(&v, "INVOICE-1");
    assert_eq!(invoice.status, Status::Shipped);
    assert_eq!(invoice.marketplace().map(|m| m.code()), Some("MX"));
}

#[test]
fn snapshot_order_is_by_time_then_path() {
    let v = rules_view();
    // Same last-updated-date in both dumps: the later path wins.
    assert_eq!(order(&v, "TIE-1").status, Status::Shipped);
    // The older file holds the newer snapshot: time wins over path.
    assert_eq!(order(&v, "NEWER-IN-OLDER-FILE").status, Status::Shipped);
}

#[test]
fn merge_does_not_depend_on_argument_order() {
    let dir = testdata("rules");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let forward = load_view(&files, &ReadOptions::default(), &ViewOptions::default()).1;
    files.reverse();
    let backward = load_view(&files, &ReadOptions::default(), &ViewOptions::default()).1;
    let key = |v: &orderhealth_core::View| {
        v.orders
            .iter()
            .map(|o| format!("{} {} {:?} {:?}", o.order_id, o.status.as_str(), o.class, o.expected_ship_ts))
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&forward), key(&backward));
}
