//! Amazon's own numbers beside ours (SPEC §1.7, §3.8): hand-made seller performance reports
//! over the bundled sample (testdata/performance, written by make_fixtures.py `performance`;
//! their counts are the sample's own current windows, read off `report --verbose`).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(rel)
}

fn orderhealth() -> Command {
    Command::cargo_bin("orderhealth").unwrap()
}

fn rows(out: &Path) -> Vec<String> {
    std::fs::read_to_string(out.join("reconcile.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            // The report's path as given is long: keep its file name.
            let (report, rest) = l.split_once(',').unwrap();
            format!("{},{rest}", report.rsplit('/').next().unwrap())
        })
        .collect()
}

/// Every window Amazon gives agrees with ours over its dates: the US week of cancellations,
/// the 10- and 30-day late-shipment windows (the 10 days cross the DST change of 03-08; a
/// `lateShipmentRate` with the dates of a list entry is that entry), valid tracking compared by
/// rate (Amazon omits the valid count: 179/184 = 0.972826…), on-time delivery, and the UK's
/// late shipment, BAD on both sides. One line says so, and `--fail-on-mismatch` passes.
#[test]
fn a_report_that_agrees_says_so_in_one_line() {
    let out = tempfile::tempdir().unwrap();
    orderhealth()
        .args(["report", testdata("sample").to_str().unwrap(), testdata("performance/agrees.json").to_str().unwrap()])
        .args(["--fail-on-mismatch", "--format", "csv", "--out"])
        .arg(out.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Amazon's numbers: all 6 windows of 1 performance report agree with ours over Amazon's dates (see reconcile)",
        ));
    assert_eq!(
        rows(out.path()),
        [
            "agrees.json,UK,late_shipment,2026-02-16,2026-03-17,17,42,,BAD,,17,42,0.40476190476190477,BAD,true",
            "agrees.json,US,cancel_rate,2026-03-10,2026-03-16,0,14,0.0,GOOD,0.025,0,14,0.0,GOOD,true",
            "agrees.json,US,late_shipment,2026-02-15,2026-03-16,1,170,0.0059,GOOD,0.04,1,170,0.0058823529411764705,GOOD,true",
            "agrees.json,US,late_shipment,2026-03-07,2026-03-16,1,44,0.0227,GOOD,,1,44,0.022727272727272728,GOOD,true",
            "agrees.json,US,on_time_delivery,2026-02-15,2026-03-16,179,181,0.98895,GOOD,0.97,179,181,0.988950276243094,GOOD,true",
            "agrees.json,US,valid_tracking,2026-02-15,2026-03-16,,184,0.972826,GOOD,0.95,179,184,0.9728260869565217,GOOD,true",
        ]
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("summary.json")).unwrap()).unwrap();
    let report = summary["reconcile"].as_object().unwrap().values().next().unwrap();
    assert_eq!(
        report["US"][0],
        serde_json::json!({"metric": "cancel_rate", "window_start": "2026-03-10", "window_end": "2026-03-16",
            "agrees": true, "amazon": {"count": 0, "total": 14, "rate": 0.0, "status": "GOOD", "target": 0.025},
            "ours": {"count": 0, "total": 14, "rate": 0.0, "status": "GOOD"}})
    );
}

/// Amazon counts one more cancellation in a DE week: the buyer-requested order we leave out
/// (its flag was not set at Amazon, say), and `reconcile_orders` names it; one more in the US
/// week with no such order (only the edge days' orders could explain it); a marketplace we have
/// no order in (NL: Amazon 0 of 5, we 0 of 0); a metric without dates (not comparable). Each
/// is a line beside Amazon's numbers (pinned), and `--fail-on-mismatch` exits 4 — or 3 when
/// `--fail-on-breach` applies too.
#[test]
fn a_report_that_differs_names_each_window_and_the_orders_that_could_explain_it() {
    let out = tempfile::tempdir().unwrap();
    let inputs = [testdata("sample"), testdata("performance/differs.json")];
    let run = orderhealth()
        .arg("report")
        .args(&inputs)
        .args(["--fail-on-mismatch", "--format", "csv", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&run.stderr).contains("--fail-on-mismatch"));
    let screen = String::from_utf8(run.stdout).unwrap();
    let block: Vec<&str> =
        screen.lines().skip_while(|l| !l.starts_with("Amazon's numbers")).take_while(|l| !l.is_empty()).collect();
    insta::assert_snapshot!(block.join("\n"));
    let rows = rows(out.path());
    assert_eq!(rows[0], "differs.json,DE,cancel_rate,2026-03-03,2026-03-09,1,12,0.0833,,,0,11,0.0,GOOD,false");
    assert_eq!(rows[1], "differs.json,DE,valid_tracking,,,,,1.0,GOOD,,,,,,");
    // The buyer-requested order bought on the window's first day, and the orders counted on
    // its first and last days.
    let explaining = std::fs::read_to_string(out.path().join("reconcile_orders.csv")).unwrap();
    let de: Vec<&str> = explaining.lines().filter(|l| l.contains(",DE,cancel_rate,")).collect();
    assert_eq!(de.len(), 5);
    assert!(de.iter().any(|l| l.ends_with(",302-1000000-0000379,\"\",2026-03-03,buyer-requested")), "{de:?}");
    assert!(de.iter().filter(|l| l.ends_with(",edge-day")).count() == 4);
    // The UK is BAD on late shipment: --fail-on-breach's 3 wins over 4.
    orderhealth()
        .arg("report")
        .args(&inputs)
        .args(["--fail-on-mismatch", "--fail-on-breach", "--out"])
        .arg(out.path().join("both"))
        .assert()
        .code(3);
}

/// A count that is not a number: exit 1, naming the file and the JSON path.
#[test]
fn a_malformed_report_is_an_error_naming_the_file_and_the_json_path() {
    let out = tempfile::tempdir().unwrap();
    orderhealth()
        .args(["report", testdata("sample").to_str().unwrap()])
        .arg(testdata("performance-malformed/report.json"))
        .arg("--out")
        .arg(out.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "performance-malformed/report.json: a seller performance report that cannot be read: performanceMetrics[0].lateShipmentRate.orderCount: not a count: \"forty-two\"",
        ));
    assert!(!out.path().join("summary.json").exists());
}

/// Without a report there is no `reconcile` table, and `summary.json`'s `reconcile` is empty.
#[test]
fn without_a_report_nothing_is_reconciled() {
    let out = tempfile::tempdir().unwrap();
    orderhealth()
        .args(["report", testdata("metrics/late").to_str().unwrap(), "--format", "csv", "--out"])
        .arg(out.path())
        .assert()
        .success();
    assert!(!out.path().join("reconcile.csv").exists());
    let summary = std::fs::read_to_string(out.path().join("summary.json")).unwrap();
    assert!(summary.contains("\"reconcile\": {}"), "{summary}");
}

/// `report ARGS --format csv --out OUT` in `d`: its outputs' names and bytes, and what it said.
fn report_in(d: &Path, args: &[&str], out: &str) -> (Vec<(String, Vec<u8>)>, String) {
    let assert = orderhealth()
        .current_dir(d)
        .arg("report")
        .args(args)
        .args(["--format", "csv", "--out", out])
        .assert()
        .success();
    (crate::store::outputs(&d.join(out)), String::from_utf8(assert.get_output().stdout.clone()).unwrap())
}

/// A store keeps performance reports like any input: a report from it equals one read,
/// byte for byte (`reconcile` and `reconcile_orders` included), whatever night brought them.
#[test]
fn a_store_keeps_performance_reports_and_gives_one_reads_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    crate::store::copy_dir(&testdata("sample"), &d.join("dumps"));
    std::fs::create_dir_all(d.join("amazon")).unwrap();
    for name in ["agrees.json", "differs.json"] {
        std::fs::copy(testdata(&format!("performance/{name}")), d.join("amazon").join(name)).unwrap();
    }
    let ingest = |what: &str| {
        orderhealth().current_dir(d).args(["ingest", what, "--store", "store"]).assert().success();
    };
    ingest("dumps");
    ingest("amazon");
    let (once, _) = report_in(d, &["dumps", "amazon"], "once");
    assert!(once.iter().any(|f| f.0 == "reconcile_orders.csv"));
    assert_eq!(report_in(d, &["--store", "store"], "from-store").0, once);
}

/// A store holding Amazon's report answers from its settled orders' tally while every window
/// agrees (the per-day counts decide that; the orders of a window that differs are listed,
/// settled ones too): the report is one read's bytes, and the base's settled directory is
/// written and used. A report that differs, ingested the night after, makes the store read
/// every order again: one read's bytes still.
#[test]
fn a_store_holding_an_agreeing_report_answers_from_the_settled_orders() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    crate::store::copy_dir(&testdata("sample"), &d.join("dumps"));
    for (night, name) in [("amazon", "agrees.json"), ("later", "differs.json")] {
        std::fs::create_dir_all(d.join(night)).unwrap();
        std::fs::copy(testdata(&format!("performance/{name}")), d.join(night).join(name)).unwrap();
    }
    let run = |args: &[&str], out: &str| report_in(d, args, out);
    orderhealth().current_dir(d).args(["ingest", "dumps", "amazon", "--store", "store"]).assert().success();
    let (from_store, said) = run(&["--store", "store"], "from-store");
    assert!(said.contains("agree with ours"), "{said}");
    assert_eq!(from_store, run(&["dumps", "amazon"], "once").0);
    let settled = std::fs::read_dir(d.join("store/settled")).map(|e| e.count()).unwrap_or(0);
    assert_eq!(settled, 1, "the base's settled orders were judged, and stood for the report");
    let (later, said) = run(&["--store", "store", "later"], "later-store");
    assert!(said.contains("could explain it"), "{said}");
    assert_eq!(later, run(&["dumps", "amazon", "later"], "later-once").0);
}

/// The schema's own example document (`accountHealthReport-2020-11-18.json` in Amazon's public
/// SP-API models; testdata/performance-amazon): it reads — `prefulfillmentCancelRate` spelled
/// as there, dates without seconds, counts above their totals kept as written, metrics we do
/// not compute ignored — and the sample, which has no order in 2020, differs on every window.
#[test]
fn the_schemas_own_example_reads_as_written() {
    let out = tempfile::tempdir().unwrap();
    orderhealth()
        .args(["report", testdata("sample").to_str().unwrap()])
        .arg(testdata("performance-amazon/schema-example.json"))
        .args(["--format", "csv", "--out"])
        .arg(out.path())
        .assert()
        .success();
    let us: Vec<String> = rows(out.path()).into_iter().filter(|r| r.contains(",US,")).collect();
    assert_eq!(
        us,
        [
            "schema-example.json,US,cancel_rate,2020-11-12,2020-11-18,551,17197,0.005,GOOD,0.01,0,0,,NONE,false",
            "schema-example.json,US,late_shipment,2020-10-21,2020-11-19,27896,870669,0.03203973037,GOOD,0.04,0,0,,NONE,false",
            "schema-example.json,US,on_time_delivery,2020-10-11,2020-11-09,847987,808046,0.9529,GOOD,0.95,0,0,,NONE,false",
            "schema-example.json,US,valid_tracking,2020-10-11,2020-11-09,896462,878443,0.9529,GOOD,0.95,0,0,,NONE,false",
        ]
    );
}

/// Valid tracking that differs (testdata/metrics/delivery: we count 10 valid of 12 US packages
/// placed by promise in 02-18 .. 03-19, Amazon 13): the invalid packages by defect, and the
/// package placed by its ship day (D-NOPROMISE, its promise unparseable, shipped 03-02).
#[test]
fn tracking_that_differs_lists_defects_and_packages_placed_by_ship_day() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("amazon.json");
    std::fs::write(
        &report,
        r#"{"performanceMetrics": [{"marketplaceId": "ATVPDKIKX0DER", "validTrackingRate": {
            "reportingDateRange": {"reportingDateFrom": "2026-02-18T00:00:00Z", "reportingDateTo": "2026-03-19T23:59:59Z"},
            "shipmentCount": 13, "validTrackingCount": 11}}]}"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    orderhealth()
        .args(["report", testdata("metrics/delivery").to_str().unwrap()])
        .arg(&report)
        .args(["--as-of", "2026-03-20T00:00:00Z", "--format", "csv", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert_eq!(
        rows(&out),
        ["amazon.json,US,valid_tracking,2026-02-18,2026-03-19,11,13,,,,10,12,0.8333333333333334,BAD,false"]
    );
    let explaining: Vec<String> = std::fs::read_to_string(out.join("reconcile_orders.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').skip(5).collect::<Vec<_>>().join(","))
        .filter(|l| !l.ends_with(",edge-day"))
        .collect();
    assert_eq!(
        explaining,
        [
            "D-NOPROMISE,TBA100000000011,2026-03-02,placed-by-ship-day",
            "D-INVALID,TBA12345,2026-03-11,bad-format",
            "D-NOTDELIV-PAST,TBA100000000009,2026-03-11,insufficient-scans",
        ]
    );
}
