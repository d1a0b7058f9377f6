//! Real files, round two (SPEC v1.4 §5.1, §1.5), one file each in testdata/real-layouts
//! (written by testdata/make_fixtures.py, `real_layouts_round_two`): Amazon's own sample with
//! a product name quoted across three lines, rows short by trailing columns, all-rejected and
//! empty order data, a Japanese template, reports that are not inputs, a file without header.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn layout(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/real-layouts").join(name)
}

fn orderhealth() -> Command {
    Command::cargo_bin("orderhealth").unwrap()
}

/// `report FILES --format csv --as-of 2026-03-12` into `out`; the summary and `rejected.tsv`.
fn report(files: &[&str], out: &Path) -> (Value, String) {
    let mut cmd = orderhealth();
    cmd.arg("report");
    for f in files {
        cmd.arg(layout(f));
    }
    cmd.args(["--format", "csv", "--as-of", "2026-03-12", "--out"]).arg(out).assert().success();
    let summary = serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    (summary, std::fs::read_to_string(out.join("rejected.tsv")).unwrap())
}

/// (rows read, used, rejected, short) of the summary's one file.
fn counts(summary: &Value) -> (u64, u64, u64, u64) {
    let f = &summary["inputs"]["files"][0];
    let n = |k: &str| f[k].as_u64().unwrap();
    (n("rows_read"), n("rows_used"), n("rows_rejected"), n("short_rows"))
}

/// The `orders` table's (order id, expected ship time) rows.
fn orders(files: &[&str], out: &Path) -> Vec<(String, String)> {
    let mut cmd = orderhealth();
    cmd.arg("orders");
    for f in files {
        cmd.arg(layout(f));
    }
    cmd.args(["--format", "csv", "--out"]).arg(out).assert().success();
    let text = std::fs::read_to_string(out.join("orders.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (id, expected) = (col("order_id"), col("expected_ship_ts"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[id].to_string(), f[expected].to_string())
        })
        .collect()
}

/// Amazon's sample order report: the one order whose product name runs over three physical
/// lines is one row of 48 fields (line 2), not three rejected pieces; a full-length row whose
/// name holds `"` is read as it is (never joined).
#[test]
fn a_product_name_quoted_across_three_lines_is_one_row() {
    let dir = tempfile::tempdir().unwrap();
    let (summary, rejected) = report(&["amazon-sample-order-report.txt"], &dir.path().join("out"));
    assert_eq!(counts(&summary), (2, 2, 0, 0), "two rows read from four physical lines, both used");
    assert_eq!(rejected, "file\tline\tkind\treason\n");
    let rows = orders(&["amazon-sample-order-report.txt"], &dir.path().join("o"));
    // latest-ship-date is 26 fields after the wrapped name: the join kept every field in place.
    let expected = |id: &str| (id.to_string(), "2026-03-12T06:59:59Z".to_string());
    assert_eq!(rows, [expected("111-1111111-1111111"), expected("111-2222222-2222222")]);
}

/// A quote that never closes within the file: its line is rejected with its own reason and
/// the lines after it are read as the rows they are.
#[test]
fn an_unclosed_quote_rejects_its_line_only() {
    let dir = tempfile::tempdir().unwrap();
    let (summary, rejected) = report(&["unclosed-quote-order-report.txt"], &dir.path().join("out"));
    assert_eq!(counts(&summary), (3, 2, 1, 0));
    assert!(
        rejected.ends_with("unclosed-quote-order-report.txt\t2\tnew-orders\tunclosed quote in product-name\n"),
        "{rejected}"
    );
    let ids: Vec<String> =
        orders(&["unclosed-quote-order-report.txt"], &dir.path().join("o")).into_iter().map(|r| r.0).collect();
    assert_eq!(ids, ["111-4444444-4444444", "111-5555555-5555555"]);
}

/// Rows of 39 fields under 41 columns lack only the buyer identification (never parsed): read
/// and counted as short rows. A row of 28 ends before is-buyer-requested-cancellation, which is
/// parsed: rejected, naming it.
#[test]
fn rows_short_of_unparsed_trailing_columns_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let (summary, rejected) = report(&["unshipped-short-rows.txt"], &dir.path().join("out"));
    assert_eq!(counts(&summary), (3, 2, 1, 2));
    assert!(
        rejected.ends_with(
            "unshipped-short-rows.txt\t4\tunshipped\trow ends before is-buyer-requested-cancellation (28 of 41 fields)\n"
        ),
        "{rejected}"
    );
    let ids: Vec<String> =
        orders(&["unshipped-short-rows.txt"], &dir.path().join("o")).into_iter().map(|r| r.0).collect();
    assert_eq!(ids, ["112-0000001-0000001", "112-0000002-0000002"]);
}

/// Order reports whose every row was rejected: exit 1 naming the file and pointing at
/// rejected.tsv, which is written with each row; no report pretends the account is clean.
#[test]
fn order_data_all_rejected_is_an_error_with_its_rejected_rows() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    orderhealth()
        .args(["report", layout("all-rejected-orders.txt").to_str().unwrap(), "--out"])
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("error: every order row was rejected (2 rows in "))
        .stderr(predicate::str::contains("all-rejected-orders.txt): nothing to report; rejected.tsv gives each"));
    let rejected = std::fs::read_to_string(out.join("rejected.tsv")).unwrap();
    assert_eq!(rejected.lines().count(), 3, "{rejected}");
    assert!(rejected.contains("\t2\tall-orders\tunparseable date in purchase-date: 03/10/2026 10:00\n"), "{rejected}");
    assert!(!out.join("summary.json").exists(), "no summary of an account that was not read");
    // Beside usable order rows, the same file's rows are only rejected rows.
    let (summary, _) = report(&["all-rejected-orders.txt", "amazon-sample-order-report.txt"], &dir.path().join("o"));
    assert_eq!(summary["rejected_rows"], 2);
}

/// A quiet period: order reports with a header and no row. Exit 0, and the verdict says there
/// were no orders (terminal, summary.json, report.html), never that every window is fine.
#[test]
fn order_reports_without_rows_say_no_orders() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    orderhealth()
        .args(["report", layout("headers-only-order-report.txt").to_str().unwrap(), "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("Verdict: no orders in the inputs"))
        .stdout(predicate::str::contains("within its limit").not());
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["verdict"], "no orders in the inputs");
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("Verdict: no orders in the inputs"), "report.html says it too");
    // With orders the verdict is a status.
    let (summary, _) = report(&["amazon-sample-order-report.txt"], &dir.path().join("o"));
    assert_eq!(summary["verdict"], "GOOD");
}

/// Amazon's Japanese confirmation template (cp932) is told by its Japanese label row, without
/// --marketplace JP: decoded as cp932, no doubt raised.
#[test]
fn a_japanese_template_is_read_as_cp932_by_its_label_row() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    orderhealth()
        .args(["report"])
        .arg(layout("jp-shipping-confirmation-template.txt"))
        .arg(layout("amazon-sample-order-report.txt"))
        .args(["--format", "csv", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains("Shift_JIS").not());
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let jp = summary["inputs"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("jp-shipping-confirmation-template.txt"))
        .unwrap()
        .clone();
    assert_eq!((jp["kind"].as_str(), jp["encoding"].as_str()), (Some("confirmations"), Some("cp932")));
    assert_eq!((jp["rows_read"].as_u64(), jp["rows_used"].as_u64()), (Some(2), Some(2)));
    assert!(jp.get("encoding_hint").is_none());
}

/// §5.1 (v1.4): a file that is not UTF-8, without sales-channel, whose buyer e-mails are
/// Amazon.co.jp's is a Japanese file: cp932.
#[test]
fn a_japanese_buyer_email_makes_a_file_cp932() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("orders.txt");
    let text = "order-id\torder-item-id\tpurchase-date\tbuyer-email\tproduct-name\tquantity-purchased\n\
                250-1234567-1234567\t12345678901234\t2026-03-10T01:00:00+09:00\tb7@marketplace.amazon.co.jp\tピザ皿\t1\n";
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(text);
    std::fs::write(&file, &bytes).unwrap();
    let out = dir.path().join("out");
    orderhealth().args(["report", file.to_str().unwrap(), "--out"]).arg(&out).assert().success();
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["inputs"]["files"][0]["encoding"], "cp932");
    assert!(summary["current"]["JP"].is_object(), "the order counts in JP: {summary}");
}

/// Reports sellers download beside their orders are named for what they are; a file without
/// its header says so instead of listing its values as columns.
#[test]
fn known_non_inputs_and_a_missing_header_are_named() {
    let dir = tempfile::tempdir().unwrap();
    orderhealth()
        .args(["report", layout("fba-amazon-fulfilled-shipments.txt").to_str().unwrap(), "--out"])
        .arg(dir.path().join("a"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "fba-amazon-fulfilled-shipments.txt: not a recognised input: an FBA Amazon Fulfilled Shipments report, which orderhealth does not read",
        ))
        .stderr(predicate::str::contains("looks most like").not());
    orderhealth()
        .args(["report", layout("headerless-all-orders.txt").to_str().unwrap(), "--out"])
        .arg(dir.path().join("b"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "headerless-all-orders.txt: not a recognised input: its header is missing: the first line looks like a data row",
        ))
        .stderr(predicate::str::contains("columns found").not());
    // Found in a directory, both are skipped with the same words.
    let inputs = dir.path().join("in");
    std::fs::create_dir(&inputs).unwrap();
    for f in ["fba-amazon-fulfilled-shipments.txt", "headerless-all-orders.txt", "amazon-sample-order-report.txt"] {
        std::fs::copy(layout(f), inputs.join(f)).unwrap();
    }
    orderhealth()
        .args(["report", inputs.to_str().unwrap(), "--out"])
        .arg(dir.path().join("c"))
        .assert()
        .success()
        .stderr(predicate::str::contains("warning: skipped 2 files that orderhealth does not read:"))
        .stderr(predicate::str::contains("an FBA Amazon Fulfilled Shipments report, which orderhealth does not read"))
        .stderr(predicate::str::contains("its header is missing"));
}
