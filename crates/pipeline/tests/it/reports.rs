//! The reports on testdata/metrics, against values computed by hand from the scenarios in
//! testdata/make_fixtures.py (comments give the arithmetic).

use std::path::{Path, PathBuf};

use orderhealth::{run_report, Format, Quiet, RunOptions};
use orderhealth_core::timestamp::parse_as_of;
use orderhealth_core::{Policy, ReadOptions, ViewOptions};

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(rel)
}

struct Run {
    _dir: tempfile::TempDir,
    out: PathBuf,
}

impl Run {
    fn csv(&self, table: &str) -> Vec<String> {
        std::fs::read_to_string(self.out.join(format!("{table}.csv"))).unwrap().lines().map(String::from).collect()
    }

    /// Rows of a CSV table whose first fields start with `prefix`.
    fn rows(&self, table: &str, prefix: &str) -> Vec<String> {
        self.csv(table).into_iter().filter(|l| l.starts_with(prefix)).collect()
    }

    fn summary(&self) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(self.out.join("summary.json")).unwrap()).unwrap()
    }
}

fn report(input: &str, configure: impl FnOnce(&mut RunOptions)) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut opts = RunOptions {
        inputs: vec![testdata(input)],
        out: out.clone(),
        format: Format::Csv,
        read: ReadOptions::default(),
        view: ViewOptions { as_of: parse_as_of("2026-03-20T00:00:00Z"), ..Default::default() },
        scan_grace_days: 7,
        tracking_basis: Default::default(),
        store: None,
    };
    configure(&mut opts);
    run_report(&opts, &Quiet).unwrap();
    Run { _dir: dir, out }
}

#[test]
fn cancel_rate_windows_dst_and_classes() {
    let r = report("metrics/cancel", |_| {});
    let header = "marketplace,window_start,window_end,orders,seller_cancelled,auto_cancelled,buyer_excluded,rate,status,projected_cancelled,projected_rate";
    assert_eq!(r.csv("cancel_rate")[0], header);
    // 16 US days, 03-01 .. 03-16, each with its window.
    assert_eq!(r.rows("cancel_rate", "US,").len(), 16);
    // D = 03-07: the ten 03-01 orders (D-6) and US-A, bought 23:59:59 PST on the DST day's eve.
    assert_eq!(
        r.rows("cancel_rate", "US,2026-03-01,2026-03-07,"),
        ["US,2026-03-01,2026-03-07,11,0,0,0,0.0,GOOD,0,0.0"]
    );
    // D = 03-08: 03-01 is D-7 and out. US-B (00:00:00 PST, seller), US-F (auto) and US-A are
    // counted; US-C (buyer) is shown only; US-D (pending) and US-E (amazon) are left out.
    // rate = 2/3.
    assert_eq!(
        r.rows("cancel_rate", "US,2026-03-02,2026-03-08,"),
        ["US,2026-03-02,2026-03-08,3,1,1,1,0.6666666666666666,BAD,0,0.6666666666666666"]
    );
    // D = 03-14: 03-08 is D-6 and still in; US-A (03-07) is out.
    assert_eq!(r.rows("cancel_rate", "US,2026-03-08,2026-03-14,"), ["US,2026-03-08,2026-03-14,2,1,1,1,1.0,BAD,0,1.0"]);
    // D = 03-15: no orders: rate and projected rate empty, status NONE.
    assert_eq!(r.rows("cancel_rate", "US,2026-03-09,2026-03-15,"), ["US,2026-03-09,2026-03-15,0,0,0,0,,NONE,0,"]);
    assert_eq!(r.rows("cancel_rate", "US,2026-03-10,2026-03-16,"), ["US,2026-03-10,2026-03-16,2,0,0,0,0.0,GOOD,0,0.0"]);
}

#[test]
fn cancel_rate_exactly_at_two_and_a_half_percent_is_bad() {
    let r = report("metrics/cancel", |_| {});
    // 40 × 1 ≥ 40: BAD at exactly 2.5%; 40 × 1 < 41: GOOD at 2.44%.
    assert_eq!(r.rows("cancel_rate", "UK,"), ["UK,2026-03-04,2026-03-10,40,1,0,0,0.025,BAD,0,0.025"]);
    assert_eq!(
        r.rows("cancel_rate", "DE,"),
        ["DE,2026-03-04,2026-03-10,41,1,0,0,0.024390243902439025,GOOD,0,0.024390243902439025"]
    );
}

#[test]
fn projected_rate_counts_open_orders_at_risk() {
    // US-H is open; its deadline (purchase + 30 d = 04-15T19:00Z) is 26 days after as-of:
    // at risk only with --warn-days above 26. Then 03-16's window has 1 projected of 2 orders.
    let r = report("metrics/cancel", |o| o.view.warn_days = 30);
    assert_eq!(r.rows("cancel_rate", "US,2026-03-10,2026-03-16,"), ["US,2026-03-10,2026-03-16,2,0,0,0,0.0,GOOD,1,0.5"]);
    let r = report("metrics/cancel", |_| {});
    assert_eq!(r.rows("cancel_rate", "US,2026-03-10,2026-03-16,"), ["US,2026-03-10,2026-03-16,2,0,0,0,0.0,GOOD,0,0.0"]);
}

#[test]
fn cancel_reasons_count_distinct_orders_of_every_class() {
    let r = report("metrics/cancel", |_| {});
    assert_eq!(
        r.csv("cancel_reasons"),
        [
            "marketplace,reason,orders",
            "DE,ShippingAddressUndeliverable,1",
            "UK,NoInventory,1",
            "UK,PricingError,1",
            "US,AutoCancelUnshipped,1",
            "US,NoInventory,1",
            "US,PaymentDeclined,1",
            // US-C (buyer) and US-D (pending) have no event: no reason code.
            "US,unknown,2",
        ]
    );
}

#[test]
fn auto_cancel_days30() {
    let r = report("metrics/autocancel", |_| {});
    assert_eq!(
        r.csv("auto_cancel"),
        [
            "order_id,marketplace,purchase_ts,expected_ship_ts,basis,deadline,days_left,state",
            "AC-2019,US,2019-06-01T10:00:00Z,2019-06-03T06:59:59Z,latest-ship-date,2019-07-03T06:59:59Z,-2452,overdue",
            // Auto-cancelled by Amazon: 01-10T07:59:59Z + 30 d; -38.67 days → -39.
            "AC-AUTO,US,2026-01-08T10:00:00Z,2026-01-10T07:59:59Z,latest-ship-date,2026-02-09T07:59:59Z,-39,auto_cancelled",
            "AC-OVERDUE,US,2026-02-10T10:00:00Z,2026-02-12T07:59:59Z,latest-ship-date,2026-03-14T07:59:59Z,-6,overdue",
            // No latest-ship-date in any snapshot: the purchase date is the basis.
            "AC-BASIS,US,2026-02-15T00:00:00Z,2026-02-15T00:00:00Z,purchase-date,2026-03-17T00:00:00Z,-3,overdue",
            "AC-SAT,US,2026-02-12T10:00:00Z,2026-02-15T07:59:59Z,latest-ship-date,2026-03-17T07:59:59Z,-3,overdue",
            // Deadline exactly at as-of is overdue.
            "AC-EXACT,US,2026-02-16T10:00:00Z,2026-02-18T00:00:00Z,latest-ship-date,2026-03-20T00:00:00Z,0,overdue",
            // 6.33 days left: at risk. AC-FAR has 7 d 8 h left: far off, not listed.
            "AC-ATRISK,US,2026-02-20T10:00:00Z,2026-02-24T07:59:59Z,latest-ship-date,2026-03-26T07:59:59Z,6,at_risk",
        ]
    );
}

#[test]
fn auto_cancel_business7_walks_business_days_over_weekends() {
    let r = report("metrics/autocancel", |o| o.view.policy = Policy::Business7);
    let rows = r.csv("auto_cancel");
    let deadline_of = |id: &str| {
        let row = rows.iter().find(|l| l.starts_with(&format!("{id},"))).unwrap_or_else(|| panic!("{id}"));
        let f: Vec<&str> = row.split(',').collect();
        (f[5].to_string(), f[6].to_string(), f[7].to_string())
    };
    // Wed 02-11 (local) + 9 days, over one weekend.
    assert_eq!(deadline_of("AC-OVERDUE"), ("2026-02-21T07:59:59Z".into(), "-27".into(), "overdue".into()));
    // Sat 02-14 + 10; Mon 02-23 + 9; Fri 01-09 + 11.
    assert_eq!(deadline_of("AC-SAT").0, "2026-02-25T07:59:59Z");
    assert_eq!(deadline_of("AC-ATRISK").0, "2026-03-05T07:59:59Z");
    assert_eq!(deadline_of("AC-AUTO").0, "2026-01-21T07:59:59Z");
    // Thu 03-12 (PDT) + 11 = 03-24T06:59:59Z: 4.29 days after as-of, at risk.
    assert_eq!(deadline_of("AC-B7"), ("2026-03-24T06:59:59Z".into(), "4".into(), "at_risk".into()));
    // Sun 2019-06-02 + 9.
    assert_eq!(deadline_of("AC-2019").0, "2019-06-12T06:59:59Z");
}

#[test]
fn auto_cancel_dated_uses_days30_before_the_cutover() {
    let r = report("metrics/autocancel", |o| o.view.policy = Policy::Dated);
    let rows = r.csv("auto_cancel");
    let row = |id: &str| rows.iter().find(|l| l.starts_with(&format!("{id},"))).unwrap().clone();
    assert!(row("AC-2019").contains(",2019-07-03T06:59:59Z,"), "days30 before 2020-09-30");
    assert!(row("AC-B7").contains(",2026-03-24T06:59:59Z,"), "business7 after");
}

#[test]
fn valid_tracking_each_defect_and_the_95_percent_edge() {
    let r = report("metrics/tracking", |_| {});
    let defect_columns =
        "missing,hidden_characters,unrecognized_carrier,bad_format,bad_check_digit,no_scan,insufficient_scans";
    assert_eq!(
        r.csv("valid_tracking")[0],
        format!("marketplace,category,window_start,window_end,packages,valid,rate,status,{defect_columns}")
    );
    // 20 × 19 = 19 × 20: exactly 95% is BAD; 20 × 20 > 19 × 21: GOOD.
    assert_eq!(r.rows("valid_tracking", "UK,"), ["UK,\"\",2026-02-15,2026-03-16,20,19,0.95,BAD,0,0,0,1,0,0,0"]);
    assert_eq!(
        r.rows("valid_tracking", "DE,"),
        ["DE,\"\",2026-02-15,2026-03-16,21,20,0.9523809523809523,GOOD,1,0,0,0,0,0,0"]
    );
    // US, no category: on 03-01 six packages, one of each defect of checks 1–6 but
    // insufficient-scans (NULL counts as missing). By 03-15: 11 packages, 4 valid.
    assert_eq!(
        r.rows("valid_tracking", "US,\"\",2026-01-31,"),
        ["US,\"\",2026-01-31,2026-03-01,6,0,0.0,BAD,1,1,1,1,1,1,0"]
    );
    assert_eq!(
        r.rows("valid_tracking", "US,\"\",2026-02-14,"),
        ["US,\"\",2026-02-14,2026-03-15,11,4,0.36363636363636365,BAD,1,1,1,1,1,1,1"]
    );
    // T-VALID1 has a Kitchen and a Toys SKU: it counts in both (first catalog row wins:
    // SKU-K is Kitchen, not Garden).
    assert_eq!(
        r.rows("valid_tracking", "US,Kitchen,"),
        ["US,Kitchen,2026-01-31,2026-03-01,1,1,1.0,GOOD,0,0,0,0,0,0,0"]
    );
    assert_eq!(r.rows("valid_tracking", "US,Toys,"), ["US,Toys,2026-01-31,2026-03-01,2,1,0.5,BAD,1,0,0,0,0,0,0"]);
}

#[test]
fn valid_tracking_window_edges() {
    let r = report("metrics/tracking", |_| {});
    // D = 03-16: 02-15 (D-29) is in, 02-14 (D-30, the bad-format one) is out.
    assert_eq!(
        r.rows("valid_tracking", "FR,\"\",2026-02-15,"),
        ["FR,\"\",2026-02-15,2026-03-16,2,2,1.0,GOOD,0,0,0,0,0,0,0"]
    );
    // D = 03-15: 02-14 is D-29 and in.
    assert_eq!(
        r.rows("valid_tracking", "FR,\"\",2026-02-14,"),
        ["FR,\"\",2026-02-14,2026-03-15,2,1,0.5,BAD,0,0,0,1,0,0,0"]
    );
    // 31 days: 02-14 .. 03-16.
    assert_eq!(r.rows("valid_tracking", "FR,").len(), 31);
}

#[test]
fn tracking_defects_list_each_invalid_package() {
    let r = report("metrics/tracking", |_| {});
    assert_eq!(
        r.csv("tracking_defects"),
        [
            "order_id,marketplace,ship_date,carrier,tracking_number,defect,suggestion",
            "T-CARRIER,US,2026-03-01,Pony Express,PX12345678,unrecognized-carrier,",
            "T-CHECK,US,2026-03-01,FedEx,996578788855,bad-check-digit,",
            "T-DE-01,DE,2026-03-16,DHL,\"\",missing,",
            "T-FORMAT,US,2026-03-01,USPS,12345,bad-format,",
            "T-FR-D30,FR,2026-02-14,Colissimo,AB-12,bad-format,",
            "T-HIDDEN,US,2026-03-01,UPS,1Z879E930346834\\u{200b}440,hidden-characters,1Z879E930346834440",
            // One scan, $20 USD order: two needed, one a delivery.
            "T-INSUFF,US,2026-03-02,UPS,1Z8V92A70367203024,insufficient-scans,",
            "T-MISSING,US,2026-03-01,UPS,\"\",missing,",
            "T-NOSCAN,US,2026-03-01,UPS,1Z410E7W0392751591,no-scan,",
            "T-NULL,US,2026-03-01,USPS,\"\",missing,",
            "T-UK-01,UK,2026-03-16,Royal Mail,RB12345678GB,bad-format,",
        ]
    );
}

#[test]
fn scan_checks_wait_for_the_grace_period() {
    // With a 30-day grace every package is too young for scan checks: no-scan and
    // insufficient-scans disappear, T-NOSCAN and T-INSUFF become valid.
    let r = report("metrics/tracking", |o| o.scan_grace_days = 30);
    let defects = r.csv("tracking_defects");
    assert!(defects.iter().all(|l| !l.contains("scan")), "{defects:?}");
    assert_eq!(
        r.rows("valid_tracking", "US,\"\",2026-02-14,"),
        ["US,\"\",2026-02-14,2026-03-15,11,6,0.5454545454545454,BAD,1,1,1,1,1,0,0"]
    );
}

#[test]
fn summary_json_counts_left_out_confirmations_and_current_windows() {
    let r = report("metrics/tracking", |_| {});
    let summary = r.summary();
    assert_eq!(summary["as_of"], "2026-03-20T00:00:00Z");
    assert_eq!(summary["auto_cancel_policy"], "days30");
    assert_eq!(summary["unmatched_confirmations"], 2);
    assert_eq!(summary["non_amazon_confirmations"], 1);
    assert_eq!(summary["unsupported_marketplace_confirmations"], 1);
    assert_eq!(summary["unsupported_marketplaces"]["Amazon.com.xx"], 1);
    assert!(summary.get("latest").is_none(), "v1.3: `current` replaces `latest`");
    // UK's packages shipped 03-16; as-of 03-20 in London: the window 02-19 .. 03-20 holds
    // all 20 of them, 19 valid: exactly 95%, BAD.
    assert_eq!(
        summary["current"]["UK"]["valid_tracking"][""],
        serde_json::json!({"window_start": "2026-02-19", "window_end": "2026-03-20", "packages": 20, "valid": 19,
            "rate": 0.95, "status": "BAD"})
    );
    // The US has three categories: exactly the categories of the table, no all-categories entry.
    let us: Vec<&str> =
        summary["current"]["US"]["valid_tracking"].as_object().unwrap().keys().map(|k| k.as_str()).collect();
    assert_eq!(us, ["", "Kitchen", "Toys"]);
    let files = summary["inputs"]["files"].as_array().unwrap();
    assert_eq!(files.len(), 4);
    for f in files {
        assert_eq!(f["rows_read"], f["rows_used"].as_u64().unwrap() + f["rows_rejected"].as_u64().unwrap());
    }
    assert_eq!(
        summary["settings"],
        serde_json::json!({"as_of": "2026-03-20T00:00:00Z", "auto_cancel_policy": "days30", "warn_days": 7,
            "scan_grace_days": 7, "tracking_basis": "promise", "tz": null, "default_marketplace": "US", "encoding": "auto", "strict": false})
    );
    assert_eq!(summary["version"], env!("CARGO_PKG_VERSION"));
}

#[test]
fn late_shipment_windows_by_expected_ship_day() {
    let r = report("metrics/late", |_| {});
    assert_eq!(
        r.csv("late_shipment")[0],
        "marketplace,window_days,window_start,window_end,orders,late,unconfirmed,rate,status"
    );
    // UK: 25 orders due 03-10, one confirmed late: 25 × 1 ≥ 25, exactly 4% is BAD.
    // DE: 26 orders, one late: 25 × 1 < 26, 3.85% is GOOD.
    assert_eq!(
        r.rows("late_shipment", "UK,"),
        ["UK,10,2026-03-01,2026-03-10,25,1,0,0.04,BAD", "UK,30,2026-02-09,2026-03-10,25,1,0,0.04,BAD"]
    );
    assert_eq!(r.rows("late_shipment", "DE,10,"), ["DE,10,2026-03-01,2026-03-10,26,1,0,0.038461538461538464,GOOD"]);
    // US, by local expected-ship day: 02-13 L-OLD (late); 03-09 L-LATE1 (confirmed one second
    // after: late) and L-EXACT (at it exactly: on time); 03-12 L-CONF-DATE (date-only
    // confirmation on its due day, 00:00 local: on time); 03-15 L-OPEN-DUE (open, past due:
    // unconfirmed). L-OPEN-NOTDUE (due after as-of), L-CANCEL and L-NOEXP are not judged.
    // 02-13 .. 03-15 is 31 days, one row each per window length.
    assert_eq!(r.rows("late_shipment", "US,10,").len(), 31);
    assert_eq!(r.rows("late_shipment", "US,30,").len(), 31);
    // 10 days: L-OLD is D-9 of the window ending 02-22, D-10 (out) of the one ending 02-23.
    assert_eq!(r.rows("late_shipment", "US,10,2026-02-13,"), ["US,10,2026-02-13,2026-02-22,1,1,0,1.0,BAD"]);
    assert_eq!(r.rows("late_shipment", "US,10,2026-02-14,"), ["US,10,2026-02-14,2026-02-23,0,0,0,,NONE"]);
    // 03-06 .. 03-15: L-LATE1, L-EXACT, L-CONF-DATE, L-OPEN-DUE: 2 late of 4, 1 unconfirmed.
    assert_eq!(r.rows("late_shipment", "US,10,2026-03-06,"), ["US,10,2026-03-06,2026-03-15,4,2,1,0.5,BAD"]);
    // 30 days: L-OLD is D-29 of the window ending 03-14, out of the one ending 03-15.
    assert_eq!(r.rows("late_shipment", "US,30,2026-02-13,"), ["US,30,2026-02-13,2026-03-14,4,2,0,0.5,BAD"]);
    assert_eq!(r.rows("late_shipment", "US,30,2026-02-14,"), ["US,30,2026-02-14,2026-03-15,4,2,1,0.5,BAD"]);

    let summary = r.summary();
    // L-NOEXP: shipped, no expected ship date.
    assert_eq!(summary["late_shipment_no_expected_ship_date"], 1);
    // As of 03-20T00:00Z = 03-19 in Los Angeles: 03-10 .. 03-19 holds L-CONF-DATE and L-OPEN-DUE.
    assert_eq!(
        summary["current"]["US"]["late_shipment"]["10"],
        serde_json::json!({"window_start": "2026-03-10", "window_end": "2026-03-19", "orders": 2, "late": 1,
            "rate": 0.5, "status": "BAD", "unconfirmed": 1})
    );
    assert_eq!(summary["current"]["US"]["late_shipment"]["30"]["orders"], 4);
    // In London it is 03-20: the 10-day window 03-11 .. 03-20 no longer holds 03-10.
    assert_eq!(summary["current"]["UK"]["late_shipment"]["10"]["status"], "NONE");
    assert_eq!(summary["current"]["UK"]["late_shipment"]["10"]["orders"], 0);
    assert_eq!(summary["current"]["UK"]["late_shipment"]["30"]["status"], "BAD");
}

#[test]
fn cancellations_name_the_rule_of_every_cancelled_order() {
    let r = report("rules", |_| {});
    assert_eq!(
        r.csv("cancellations"),
        [
            "order_id,marketplace,purchase_ts,purchase_day,class,rule,counted,reasons,cancel_seen_ts,buyer_requested",
            // Rule 6: first seen Cancelled at (R6-EDGE) or after the deadline, 01-22T07:59:59Z + 30 d.
            "R6-EDGE,US,2026-01-20T10:00:00Z,2026-01-20,auto,6,true,\"\",2026-02-21T07:59:59Z,false",
            "R6-INFERRED,US,2026-01-20T10:00:00Z,2026-01-20,auto,6,true,\"\",2026-02-25T12:00:00Z,false",
            // No last-updated-date: rule 6 cannot fire; rule 7.
            "R6-NOLU,US,2026-01-20T10:00:00Z,2026-01-20,seller,7,true,\"\",,false",
            // Seen one second before the deadline: rule 7.
            "R7-EARLY,US,2026-01-20T10:00:00Z,2026-01-20,seller,7,true,\"\",2026-02-21T07:59:58Z,false",
            // A seller event for one item cancels the order; never shown Cancelled.
            "EVT-ITEM,US,2026-03-09T10:00:00Z,2026-03-09,seller,2,true,NoInventory,,false",
            "R1-EVENT,US,2026-03-09T10:00:00Z,2026-03-09,buyer,1,false,BuyerCanceled,2026-03-11T10:00:00Z,false",
            "R1-FLAG,US,2026-03-09T10:00:00Z,2026-03-09,buyer,1,false,\"\",2026-03-11T10:00:00Z,true",
            // A feed row outranks Pending, even with reason BuyerCanceled.
            "R2-FEED,US,2026-03-09T10:00:00Z,2026-03-09,seller,2,true,BuyerCanceled,2026-03-10T05:00:00Z,false",
            "R2-SELLER,US,2026-03-09T10:00:00Z,2026-03-09,seller,2,true,NoInventory,2026-03-11T10:00:00Z,false",
            "R3-PENDING,US,2026-03-09T10:00:00Z,2026-03-09,pending,3,false,\"\",2026-03-10T05:00:00Z,false",
            "R4-AUTO,US,2026-03-09T10:00:00Z,2026-03-09,auto,4,true,AutoCancelUnshipped,2026-03-11T10:00:00Z,false",
            "R5-AMAZON,US,2026-03-09T10:00:00Z,2026-03-09,amazon,5,false,PaymentDeclined,2026-03-11T10:00:00Z,false",
            // Only ever Cancelled is not `pending`; no event, seen before its deadline: rule 7.
            "R3-ONLYCANCELLED,US,2026-03-10T10:00:00Z,2026-03-10,seller,7,true,\"\",2026-03-11T10:00:00Z,false",
        ]
    );
    // R6-NOLU, R7-EARLY and R3-ONLYCANCELLED: rule 7, nothing explains them.
    assert_eq!(r.summary()["cancelled_without_explanation"], 3);
}

#[test]
fn current_window_of_an_idle_marketplace_is_empty_not_its_last_busy_week() {
    let r = report("metrics/current", |o| o.view.as_of = parse_as_of("2026-04-17T03:00:00Z"));
    // The table keeps BR's 2020 week (one of two orders cancelled: BAD) ...
    assert_eq!(r.rows("cancel_rate", "BR,"), ["BR,2020-10-14,2020-10-20,2,1,0,0,0.5,BAD,0,0.5"]);
    let summary = r.summary();
    // ... but the current window ends on as-of's local date: 03:00Z is 00:00 in São Paulo.
    assert_eq!(
        summary["current"]["BR"]["cancel_rate"],
        serde_json::json!({"window_start": "2026-04-11", "window_end": "2026-04-17", "orders": 0, "cancelled": 0,
            "rate": null, "status": "NONE", "projected_cancelled": 0})
    );
    // JP's only order was bought on the as-of day (10:00 Tokyo): it is in the window.
    assert_eq!(summary["current"]["JP"]["cancel_rate"]["window_end"], "2026-04-17");
    assert_eq!(summary["current"]["JP"]["cancel_rate"]["orders"], 1);
    assert_eq!(summary["current"]["JP"]["cancel_rate"]["status"], "GOOD");
    // No late_shipment row for either: null, not an old window.
    assert_eq!(summary["current"]["BR"]["late_shipment"], serde_json::Value::Null);
    // C-BR-2 (shipped) and C-JP-1 (open) have no expected ship date.
    assert_eq!(summary["late_shipment_no_expected_ship_date"], 2);
}

#[test]
fn parquet_types_follow_the_spec() {
    use polars::prelude::*;
    let r = report("metrics/autocancel", |o| o.format = Format::Parquet);
    let file = std::fs::File::open(r.out.join("auto_cancel.parquet")).unwrap();
    let df = ParquetReader::new(file).finish().unwrap();
    let schema = df.schema();
    assert_eq!(schema.get("deadline"), Some(&DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))));
    assert_eq!(schema.get("days_left"), Some(&DataType::Int64));
    assert_eq!(schema.get("order_id"), Some(&DataType::String));
    let file = std::fs::File::open(r.out.join("cancel_rate.parquet")).unwrap();
    let df = ParquetReader::new(file).finish().unwrap();
    assert_eq!(df.schema().get("window_end"), Some(&DataType::Date));
    assert_eq!(df.schema().get("rate"), Some(&DataType::Float64));
    assert_eq!(df.schema().get("orders"), Some(&DataType::Int64));
}

#[test]
fn every_format_is_byte_identical_from_run_to_run() {
    for format in [Format::Csv, Format::Json, Format::Parquet] {
        let a = report("metrics", |o| o.format = format);
        let b = report("metrics", |o| o.format = format);
        let mut names: Vec<_> = std::fs::read_dir(&a.out).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        // Nine tables, summary.json, rejected.tsv and report.html.
        assert_eq!(names.len(), 12, "{names:?}");
        for name in names {
            let (x, y) = (std::fs::read(a.out.join(&name)).unwrap(), std::fs::read(b.out.join(&name)).unwrap());
            assert!(x == y, "{name:?} differs between runs ({format:?})");
        }
    }
}

/// testdata/metrics/delivery, as of 2026-03-20T00:00Z (US local day 03-19; UK, DE 03-20).
#[test]
fn on_time_delivery_case_by_case() {
    let r = report("metrics/delivery", |_| {});
    let header = "order_id,marketplace,promised_date,carrier,tracking_number,delivered_ts,confirmed_ts,reason";
    assert_eq!(r.csv("late_deliveries")[0], header);
    let late: Vec<(String, String)> = r
        .rows("late_deliveries", "D-")
        .iter()
        .filter(|l| l.contains(",US,"))
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[7].to_string())
        })
        .collect();
    let reasons: Vec<(&str, &str)> = late.iter().map(|(o, r)| (o.as_str(), r.as_str())).collect();
    // By promised date, then order id. Not late: D-DST-PST (23:30 PST on its promised 03-07),
    // D-DST-ON (23:30 PDT on 03-08), D-ONTIME (23:00 on 03-11), D-PLACED. Not judged:
    // D-NOTDELIV-FUTURE (promised 03-19, as-of's own day). Not in the metric: D-INVALID
    // (bad-format), D-NOPROMISE (its promise is unparseable).
    assert_eq!(
        reasons,
        [
            ("D-DST-LATE", "delivered after the promised date"), // 00:30 PDT on 03-09
            ("D-CONF-PROMISE", "shipment confirmed after the promised date"), // confirmed 03-13
            ("D-CONFLATE", "shipment confirmed after the delivery"), // delivered 11:00, confirmed 13:00
            ("D-DAYAFTER", "delivered after the promised date"), // 01:00 on 03-12
            ("D-NOTDELIV-PAST", "not delivered by the promised date"), // promised 03-11 < 03-19
        ]
    );
    assert_eq!(
        r.rows("late_deliveries", "D-NOTDELIV-PAST,"),
        ["D-NOTDELIV-PAST,US,2026-03-11,AMZL,TBA100000000009,,2026-03-08T18:00:00Z,not delivered by the promised date"]
    );
    let table = "marketplace,window_days,window_start,window_end,packages,on_time,late,rate,status";
    assert_eq!(r.csv("on_time_delivery")[0], table);
    // UK: 100 packages promised 03-10, 97 on time: 100 × 97 > 97 × 100 is false, exactly 97% is BAD.
    assert_eq!(r.rows("on_time_delivery", "UK,14,"), ["UK,14,2026-02-25,2026-03-10,100,97,3,0.97,BAD"]);
    // DE: 101 packages, 98 on time: 9,800 > 9,797, 97.03% is GOOD.
    assert_eq!(r.rows("on_time_delivery", "DE,30,"), ["DE,30,2026-02-09,2026-03-10,101,98,3,0.9702970297029703,GOOD"]);
    // US: promised days 02-21 (1 on time), 03-07 (1 on time), 03-08 (1 of 2), 03-11 (1 of 5).
    assert_eq!(
        r.rows("on_time_delivery", "US,14,2026-02-26,2026-03-11,"),
        ["US,14,2026-02-26,2026-03-11,8,3,5,0.375,BAD"]
    );
    let summary = r.summary();
    let us = &summary["current"]["US"]["on_time_delivery"];
    // 14 days ending 03-19: 03-06 .. 03-19 holds 8 packages, 3 on time; 30 days adds D-PLACED.
    assert_eq!(
        us["14"],
        serde_json::json!({"window_start": "2026-03-06", "window_end": "2026-03-19", "packages": 8, "on_time": 3,
            "rate": 0.375, "status": "BAD"})
    );
    assert_eq!((us["30"]["packages"].as_i64(), us["30"]["on_time"].as_i64()), (Some(9), Some(4)));
    assert_eq!(summary["current"]["UK"]["on_time_delivery"]["14"]["status"], "BAD");
    assert_eq!(summary["current"]["DE"]["on_time_delivery"]["30"]["status"], "GOOD");
    // 9 US + 100 UK + 101 DE judged; D-NOTDELIV-FUTURE waits.
    assert_eq!(
        summary["on_time_delivery"],
        serde_json::json!({"packages_judged": 210, "packages_not_judged_yet": 1, "note": null})
    );
    // The unparseable promise rejected nothing.
    assert_eq!(summary["rejected_rows"], 0);
}

/// A promised delivery date across the US DST change is judged on Los Angeles' local day of
/// that date, whatever the offset (the clock moved on 2026-03-08).
#[test]
fn a_promise_across_the_dst_change_is_judged_on_its_local_day() {
    let r = report("metrics/delivery", |_| {});
    let promised = |order: &str| -> Vec<String> {
        r.rows("late_deliveries", &format!("{order},")).iter().map(|l| l.split(',').nth(2).unwrap().into()).collect()
    };
    // 2026-03-09T06:59:59Z is 03-08 23:59:59 PDT; delivered 07:30Z = 00:30 PDT on 03-09: late.
    assert_eq!(promised("D-DST-LATE"), ["2026-03-08"]);
    // 2026-03-08T07:59:59Z is 03-07 23:59:59 PST; delivered 07:30Z = 23:30 PST: on time.
    assert!(promised("D-DST-PST").is_empty());
    // 03-08 23:30 PDT, on its promised day: on time.
    assert!(promised("D-DST-ON").is_empty());
}

#[test]
fn tracking_basis_places_packages_by_promised_day_or_ship_day() {
    let promise = report("metrics/delivery", |_| {});
    let ship = report("metrics/delivery", |o| o.tracking_basis = orderhealth_core::TrackingBasis::Ship);
    let us_window = |r: &Run| {
        let w = &r.summary()["current"]["US"]["valid_tracking"][""];
        (w["window_start"].as_str().unwrap().to_string(), w["packages"].as_i64().unwrap())
    };
    // D-PLACED shipped 02-16, before the window 02-18 .. 03-19; promised 02-21, inside it.
    assert_eq!(us_window(&promise), ("2026-02-18".to_string(), 12));
    assert_eq!(us_window(&ship), ("2026-02-18".to_string(), 11));
    // Under promise only D-NOPROMISE (an unparseable promise) is placed by its ship day; under
    // ship, all 12 + 100 + 101 packages are.
    assert_eq!(promise.summary()["valid_tracking_placed_by_ship_day"], 1);
    assert_eq!(ship.summary()["valid_tracking_placed_by_ship_day"], 213);
    assert_eq!(ship.summary()["settings"]["tracking_basis"], "ship");
    // The basis moves packages between days, never in or out of the on-time delivery rate.
    assert_eq!(promise.csv("on_time_delivery"), ship.csv("on_time_delivery"));
}

#[test]
fn on_time_delivery_is_empty_with_a_reason_without_scans_or_promises() {
    let dir = testdata("metrics/delivery");
    let files = ["2026-03-01-new-orders.txt", "2026-03-19-all-orders.txt", "confirmations.txt"].map(|f| dir.join(f));
    let r = report("metrics/delivery", |o| o.inputs = files.to_vec());
    assert_eq!(r.csv("on_time_delivery").len(), 1, "the header alone");
    let s = r.summary();
    assert_eq!(s["on_time_delivery"]["packages_judged"], 0);
    assert!(s["on_time_delivery"]["note"].as_str().unwrap().starts_with("no carrier scans file"));
    assert!(s["current"]["US"]["on_time_delivery"].is_null());
    // Scans, but no order with a promised delivery date: the tracking fixture.
    let r = report("metrics/tracking", |_| {});
    assert!(r.summary()["on_time_delivery"]["note"].as_str().unwrap().starts_with("no valid package"));
}

/// `--tracking-basis ship` gives exactly what orderhealth 1.3 wrote on the bundled sample:
/// testdata/expected/sample-v1.3 holds the tables the program wrote before the promise basis.
#[test]
fn tracking_basis_ship_reproduces_the_v1_3_tables_on_the_sample() {
    let r = report("sample", |o| {
        o.tracking_basis = orderhealth_core::TrackingBasis::Ship;
        o.view.as_of = None;
    });
    for table in ["valid_tracking", "tracking_defects"] {
        let expected = std::fs::read_to_string(testdata(&format!("expected/sample-v1.3/{table}.csv"))).unwrap();
        assert_eq!(r.csv(table).join("\n") + "\n", expected, "{table}");
    }
    // The default (promise) places the sample's packages by their promised days: other windows.
    let promise = report("sample", |o| o.view.as_of = None);
    let expected = std::fs::read_to_string(testdata("expected/sample-v1.3/valid_tracking.csv")).unwrap();
    assert_ne!(promise.csv("valid_tracking").join("\n") + "\n", expected);
}
