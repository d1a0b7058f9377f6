//! The `orderhealth` binary as a user runs it: outputs, messages and exit codes (SPEC §4).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(rel)
}

fn orderhealth() -> Command {
    Command::cargo_bin("orderhealth").unwrap()
}

#[test]
fn report_prints_the_summary_and_writes_every_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    orderhealth()
        .args(["report", testdata("metrics/cancel").to_str().unwrap(), "--out"])
        .arg(&out)
        .args(["--as-of", "2026-03-20T00:00:00Z", "--verbose"])
        .assert()
        .success()
        // As of 03-20 the UK's only busy week (03-04 .. 03-10, 2.5%) is past: its current
        // window is empty (--verbose: every window with its dates and counts).
        .stdout(
            predicate::str::is_match(
                r"\nUK  cancellation rate, 7 days  2026-03-14 \.\. 2026-03-20 +- +0/0  < 2\.5%  NONE\n",
            )
            .unwrap(),
        )
        // Not a terminal: no progress bar, nothing on stderr.
        .stderr("");
    for table in [
        "cancel_rate",
        "cancel_reasons",
        "auto_cancel",
        "valid_tracking",
        "tracking_defects",
        "late_shipment",
        "cancellations",
        "on_time_delivery",
        "late_deliveries",
    ] {
        assert!(out.join(format!("{table}.parquet")).is_file(), "{table}");
    }
    assert!(out.join("summary.json").is_file());
    assert_eq!(std::fs::read_to_string(out.join("rejected.tsv")).unwrap(), "file\tline\tkind\treason\n");
    // Nothing left behind under a temporary name, in --out or beside it.
    for dir in [out.as_path(), dir.path()] {
        for e in std::fs::read_dir(dir).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            assert!(!name.ends_with(".tmp") && !name.contains(".orderhealth-new-"), "{name}");
        }
    }
}

#[test]
fn fail_on_breach_exits_3_and_still_writes_the_reports() {
    let out = tempfile::tempdir().unwrap();
    // As of the newest observation (03-19), the UK's 30-day late-shipment window (exactly
    // 4%) is BAD.
    orderhealth()
        .args(["report", testdata("metrics/late").to_str().unwrap(), "--fail-on-breach", "--format", "csv", "--out"])
        .arg(out.path())
        .assert()
        .code(3)
        .stderr(predicate::str::contains("a metric is BAD in its current window (--fail-on-breach)"));
    assert!(out.path().join("late_shipment.csv").is_file());
}

#[test]
fn fail_on_breach_passes_when_only_an_old_window_was_bad() {
    // BR's week of 2020-10-20 is 50% (BAD) in cancel_rate; as of 2026-04-17 its current
    // window is empty and JP's is GOOD. JP's order is open, not yet due: auto_cancel and
    // late shipment have nothing against it.
    let out = tempfile::tempdir().unwrap();
    orderhealth()
        .args(["report", testdata("metrics/current").to_str().unwrap(), "--fail-on-breach", "--format", "csv"])
        .args(["--as-of", "2026-04-17T03:00:00Z", "--verbose", "--out"])
        .arg(out.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("Verdict: every current window is within its limit (2 marketplaces)"))
        .stdout(
            predicate::str::is_match(
                r"\nBR  cancellation rate, 7 days  2026-04-11 \.\. 2026-04-17 +- +0/0  < 2\.5%  NONE\n",
            )
            .unwrap(),
        );
    assert!(std::fs::read_to_string(out.path().join("cancel_rate.csv")).unwrap().contains(",0.5,BAD,"));
}

#[test]
fn inputs_without_an_order_report_are_exit_1_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(testdata("metrics/tracking/confirmations.txt"), dir.path().join("confirmations.txt")).unwrap();
    std::fs::copy(testdata("metrics/tracking/scans.tsv"), dir.path().join("scans.tsv")).unwrap();
    std::fs::copy(testdata("formats-other/settlement.txt"), dir.path().join("settlement.txt")).unwrap();
    let out = dir.path().join("out");
    orderhealth()
        .args(["report", dir.path().to_str().unwrap(), "--out", out.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "error: no order report among the inputs (an all-orders, new-orders or unshipped report, or orders from the SP-API as JSON, is needed): read 2 files (1 confirmations, 1 scans), skipped 1 file that is not an input; reports not written",
        ));
    assert!(!out.exists(), "no reports are written");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3, "nothing is left beside --out");
}

#[test]
fn many_skipped_files_get_a_short_answer() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(testdata("metrics/cancel/2026-03-17-all-orders.txt"), dir.path().join("all-orders.txt")).unwrap();
    let junk = dir.path().join("junk");
    std::fs::create_dir(&junk).unwrap();
    for i in 0..4000 {
        std::fs::write(junk.join(format!("note-{i:04}.txt")), "hello\n").unwrap();
    }
    let out = dir.path().join("out");
    let run =
        orderhealth().args(["report", dir.path().to_str().unwrap(), "--out", out.to_str().unwrap()]).assert().success();
    let stderr = String::from_utf8(run.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.starts_with("warning: skipped 4,000 files that orderhealth does not read, for example:\n"),
        "{stderr}"
    );
    assert!(stderr.contains("  … and 3,997 more (--verbose lists them; all are in summary.json)\n"), "{stderr}");
    assert_eq!(stderr.lines().count(), 5, "{stderr}");
    let verbose = orderhealth()
        .args(["report", dir.path().to_str().unwrap(), "--verbose", "--out", out.to_str().unwrap()])
        .assert()
        .success();
    assert_eq!(String::from_utf8_lossy(&verbose.get_output().stderr).lines().count(), 4001);
}

#[test]
fn a_table_of_another_format_is_removed_and_other_files_are_kept() {
    let out = tempfile::tempdir().unwrap();
    let input = testdata("metrics/cancel");
    orderhealth()
        .args(["report", input.to_str().unwrap(), "--format", "csv", "--out"])
        .arg(out.path())
        .assert()
        .success();
    std::fs::write(out.path().join("notes.txt"), "mine\n").unwrap();
    std::fs::create_dir(out.path().join("archive")).unwrap();
    std::fs::write(out.path().join("archive/old.csv"), "x\n").unwrap();
    orderhealth()
        .args(["report", input.to_str().unwrap(), "--format", "json", "--out"])
        .arg(out.path())
        .assert()
        .success();
    let mut names: Vec<String> =
        std::fs::read_dir(out.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "archive",
            "auto_cancel.json",
            "cancel_rate.json",
            "cancel_reasons.json",
            "cancellations.json",
            "late_deliveries.json",
            "late_shipment.json",
            "notes.txt",
            "on_time_delivery.json",
            "rejected.tsv",
            "report.html",
            "summary.json",
            "tracking_defects.json",
            "valid_tracking.json",
        ]
    );
    assert_eq!(std::fs::read_to_string(out.path().join("archive/old.csv")).unwrap(), "x\n");
}

#[test]
fn orders_writes_the_merged_view_and_rejected_rows() {
    let out = tempfile::tempdir().unwrap();
    orderhealth()
        .args(["orders", testdata("rules").to_str().unwrap(), testdata("formats/bad_rows.txt").to_str().unwrap()])
        .args(["--format", "csv", "--out"])
        .arg(out.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("bad_rows.txt (all-orders): 7 rows read = 1 used + 6 rejected").not());
    // The per-file lines are behind --verbose.
    orderhealth()
        .args(["orders", testdata("rules").to_str().unwrap(), testdata("formats/bad_rows.txt").to_str().unwrap()])
        .args(["--format", "csv", "--verbose", "--out"])
        .arg(out.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("bad_rows.txt (all-orders): 7 rows read = 1 used + 6 rejected"));
    let orders = std::fs::read_to_string(out.path().join("orders.csv")).unwrap();
    let lines: Vec<&str> = orders.lines().collect();
    assert_eq!(
        lines[0],
        "order_id,marketplace,channel,status,purchase_ts,expected_ship_ts,expected_delivery_ts,buyer_requested,shipped,cancelled,open,class"
    );
    let row = |id: &str| *lines.iter().find(|l| l.starts_with(&format!("{id},"))).unwrap_or_else(|| panic!("{id}"));
    assert_eq!(
        row("R6-INFERRED"),
        "R6-INFERRED,US,MFN,Cancelled,2026-01-20T10:00:00Z,2026-01-22T07:59:59Z,,false,false,true,false,auto"
    );
    assert_eq!(row("AFN-1"), "AFN-1,US,AFN,Cancelled,2026-03-09T10:00:00Z,,,false,false,true,false,");
    assert_eq!(row("NONAMZ-1"), "NONAMZ-1,,MFN,Unshipped,2026-03-09T10:00:00Z,,,false,false,false,false,");
    assert_eq!(
        row("OPEN-1"),
        "OPEN-1,US,MFN,Unshipped,2026-03-09T10:00:00Z,2026-03-11T06:59:59Z,,false,false,false,true,"
    );
    // Sorted by order id.
    let ids: Vec<&str> = lines[1..].iter().map(|l| l.split(',').next().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    let rejected = std::fs::read_to_string(out.path().join("rejected.tsv")).unwrap();
    assert!(rejected.starts_with("file\tline\tkind\treason\n"));
    assert!(
        rejected.contains("bad_rows.txt\t3\tall-orders\tunparseable date in purchase-date: 2026-03-01 10:00:00\n"),
        "{rejected}"
    );
    assert_eq!(rejected.lines().count(), 7);
}

#[test]
fn json_output_is_one_array_of_row_objects() {
    let out = tempfile::tempdir().unwrap();
    orderhealth()
        .args(["report", testdata("metrics/autocancel").to_str().unwrap(), "--format", "json", "--as-of", "2026-03-20"])
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    let rows: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("auto_cancel.json")).unwrap()).unwrap();
    let exact = rows.as_array().unwrap().iter().find(|r| r["order_id"] == "AC-EXACT").unwrap();
    assert_eq!(exact["deadline"], "2026-03-20T00:00:00Z");
    assert_eq!(exact["days_left"], 0);
    assert_eq!(exact["state"], "overdue");
}

#[test]
fn an_all_orders_lookalike_takes_an() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.txt");
    std::fs::write(&file, "amazon-order-id\tpurchase-date\n1\t2026-03-01T00:00:00Z\n").unwrap();
    orderhealth()
        .args(["report", file.to_str().unwrap(), "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("it looks most like an all-orders file but lacks order-status;"));
}

#[test]
fn an_unrecognised_named_file_is_exit_1_naming_it() {
    let out = tempfile::tempdir().unwrap();
    orderhealth()
        .args(["report", testdata("formats-other/settlement.txt").to_str().unwrap(), "--out"])
        .arg(out.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("settlement.txt: not a recognised input"))
        .stderr(predicate::str::contains("columns found: settlement-id, settlement-start-date, total-amount"));
}

#[test]
fn a_missing_required_column_is_exit_1_with_kind_missing_and_found() {
    let out = tempfile::tempdir().unwrap();
    orderhealth()
        .args(["orders", testdata("formats-missing").to_str().unwrap(), "--out"])
        .arg(out.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "all_orders_no_purchase_date.txt: all-orders file lacks required column(s) purchase-date; columns found: amazon-order-id, order-status, sku",
        ));
}

#[test]
fn an_out_that_is_a_file_or_lies_under_one_is_exit_1_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "mine\n").unwrap();
    let input = testdata("metrics/cancel");
    orderhealth()
        .args(["report", input.to_str().unwrap(), "--out"])
        .arg(&file)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("notes.txt: --out exists and is not a directory"));
    // Under a file, the OS says only "File exists"; the error names the file instead.
    orderhealth().args(["report", input.to_str().unwrap(), "--out"]).arg(file.join("out")).assert().code(1).stderr(
        predicate::str::contains(format!(
            "--out lies under {}, which is a file, not a directory: choose --out elsewhere",
            file.display()
        )),
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine\n", "the file is left as it was");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "nothing written beside it");
}

#[test]
fn strict_stops_at_the_first_bad_row() {
    let out = tempfile::tempdir().unwrap();
    orderhealth()
        .args(["report", testdata("formats/bad_rows.txt").to_str().unwrap(), "--strict", "--out"])
        .arg(out.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "bad_rows.txt:3: rejected all-orders row (--strict): unparseable date in purchase-date",
        ));
}

#[test]
fn skipped_files_in_a_directory_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(testdata("metrics/cancel/2026-03-17-all-orders.txt"), dir.path().join("all-orders.txt")).unwrap();
    std::fs::copy(testdata("formats-other/settlement.txt"), dir.path().join("settlement.txt")).unwrap();
    let out = dir.path().join("out");
    orderhealth()
        .args(["report", dir.path().to_str().unwrap(), "--out", out.to_str().unwrap()])
        .assert()
        .success()
        .stderr(predicate::str::starts_with("warning: skipped 1 file that orderhealth does not read:\n"))
        .stderr(predicate::str::contains("settlement.txt: not a recognised input"));
}

#[test]
fn bad_usage_is_exit_2() {
    let out = tempfile::tempdir().unwrap();
    let input = testdata("metrics/cancel");
    for args in [
        vec!["report", input.to_str().unwrap()],
        vec!["report", input.to_str().unwrap(), "--out", out.path().to_str().unwrap(), "--format", "xlsx"],
        vec!["report", input.to_str().unwrap(), "--out", out.path().to_str().unwrap(), "--as-of", "03/20/2026"],
        vec!["report", input.to_str().unwrap(), "--out", out.path().to_str().unwrap(), "--tz", "Mars/Olympus"],
        vec!["report", input.to_str().unwrap(), "--out", out.path().to_str().unwrap(), "--auto-cancel-policy", "days7"],
        vec!["report", input.to_str().unwrap(), "--out", out.path().to_str().unwrap(), "--marketplace", "XX"],
        vec!["frobnicate"],
    ] {
        orderhealth().args(&args).assert().code(2);
    }
}

#[test]
fn a_missing_input_is_exit_1_naming_it_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // Said before --out's parent or the store is made: a mistyped path leaves no empty
    // directory behind.
    orderhealth()
        .args(["report", "no/such/dir", "--out"])
        .arg(dir.path().join("reports/today"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no/such/dir: no such file or directory"));
    let sample = testdata("sample");
    orderhealth()
        .args(["ingest", sample.to_str().unwrap(), "no/such/night", "--store"])
        .arg(dir.path().join("store"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no/such/night: no such file or directory"));
    orderhealth()
        .args(["report", "--store"])
        .arg(dir.path().join("store"))
        .args(["no/such/night", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no/such/night: no such file or directory"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing created");
}

#[test]
fn tz_overrides_every_marketplace_zone() {
    let out = tempfile::tempdir().unwrap();
    orderhealth()
        .args(["report", testdata("metrics/cancel").to_str().unwrap(), "--tz", "UTC", "--format", "csv", "--out"])
        .arg(out.path())
        .assert()
        .success();
    let rate = std::fs::read_to_string(out.path().join("cancel_rate.csv")).unwrap();
    // In UTC, US-A (2026-03-08T07:59:59Z) falls on 03-08, not 03-07: it leaves the window
    // ending 03-07 (10 orders, 11 in Los Angeles time) and joins the one ending 03-14.
    assert!(rate.contains("US,2026-03-01,2026-03-07,10,0,0,0,0.0,GOOD,0,0.0\n"), "{rate}");
    assert!(rate.contains("US,2026-03-08,2026-03-14,3,1,1,1,0.6666666666666666,BAD,0,0.6666666666666666\n"), "{rate}");
}

#[test]
fn the_output_directory_is_never_read_as_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(testdata("metrics/cancel/cancel-events.tsv"), dir.path().join("cancel-events.tsv")).unwrap();
    std::fs::copy(testdata("metrics/cancel/2026-03-17-all-orders.txt"), dir.path().join("all-orders.txt")).unwrap();
    let out = dir.path().join("out");
    for _ in 0..2 {
        orderhealth()
            .args(["report", dir.path().to_str().unwrap(), "--format", "csv", "--out", out.to_str().unwrap()])
            .assert()
            .success()
            .stdout(predicate::str::contains("Inputs: 2 files"))
            .stderr("");
    }
}

#[test]
fn the_bundled_sample_runs_clean() {
    let out = tempfile::tempdir().unwrap();
    orderhealth()
        .args(["report", testdata("sample").to_str().unwrap(), "--out"])
        .arg(out.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Inputs: 427 files, 5,569 rows read = 5,569 used + 0 rejected; 0 files skipped",
        ))
        .stdout(predicate::str::contains(
            "  - 1 open order is past the auto-cancel deadline: ship or cancel it now (see auto_cancel)",
        ))
        // The first README command warns about nothing: the Japanese files say they are
        // Japanese (their buyers' e-mails end @marketplace.amazon.co.jp).
        .stderr("");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("summary.json")).unwrap()).unwrap();
    let encodings: std::collections::BTreeSet<&str> =
        summary["inputs"]["files"].as_array().unwrap().iter().map(|f| f["encoding"].as_str().unwrap()).collect();
    assert_eq!(encodings.into_iter().collect::<Vec<_>>(), ["cp932", "utf-8", "windows-1252"]);
}

#[test]
fn generated_dumps_read_without_a_rejected_row() {
    let dir = tempfile::tempdir().unwrap();
    let dumps = dir.path().join("dumps");
    orderhealth()
        .args(["generate", "--orders", "3000", "--days", "20", "--seed", "11", "--gzip", "--catalog", "--out"])
        .arg(&dumps)
        .assert()
        .success()
        .stdout(predicate::str::contains("3000 orders over 20 days"));
    let out = dir.path().join("out");
    orderhealth().args(["orders"]).arg(&dumps).args(["--format", "csv", "--out"]).arg(&out).assert().success();
    assert_eq!(std::fs::read_to_string(out.join("rejected.tsv")).unwrap().lines().count(), 1);
    // Every generated order is in the merged view once.
    assert_eq!(std::fs::read_to_string(out.join("orders.csv")).unwrap().lines().count(), 3001);
}

#[test]
fn a_progress_bar_is_drawn_on_a_terminal_and_only_there() {
    // `script` (util-linux) runs the command on a pseudo-terminal.
    let out = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("orderhealth");
    let command =
        format!("{} orders {} --out {}", bin.display(), testdata("sample").display(), out.path().join("tty").display());
    let on_terminal = std::process::Command::new("script").args(["-qefc", &command, "/dev/null"]).output().unwrap();
    assert!(on_terminal.status.success(), "{on_terminal:?}");
    let screen = String::from_utf8_lossy(&on_terminal.stdout);
    // The bar shows bytes read of the total ("35.31 KiB/831.91 KiB"); the rate's unit depends on
    // the machine's speed, so it is not asserted.
    assert!(screen.contains("reading ") && screen.contains(" KiB/831.91 KiB"), "{screen}");
    // Not a terminal: nothing but the summary on stdout, nothing on stderr but the warning.
    orderhealth()
        .args(["orders", testdata("sample").to_str().unwrap(), "--out"])
        .arg(out.path().join("pipe"))
        .assert()
        .success()
        .stdout(predicate::str::contains("reading").not())
        .stderr(predicate::str::contains("reading").not());
}

/// Shapes of real downloads (testdata/real-layouts): each file's kind and rows, and the
/// marketplace of every order.
#[test]
fn real_layouts_are_read_as_amazon_writes_them() {
    let out = tempfile::tempdir().unwrap();
    // The first round's layouts (testdata/real-layouts holds the second round's too: see
    // real_files.rs).
    let inputs: Vec<PathBuf> = [
        "appended-all-orders.txt",
        "au-unshipped.txt",
        "jp-shipping-confirmation-template.txt",
        "orders-empty-sales-channel.txt",
    ]
    .iter()
    .map(|f| testdata("real-layouts").join(f))
    .collect();
    orderhealth()
        .arg("report")
        .args(&inputs)
        .args(["--format", "csv", "--as-of", "2026-03-12", "--out"])
        .arg(out.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "  1 order with no sales-channel and no marketplace e-mail counted as US (--marketplace)",
        ))
        .stderr(predicate::str::contains("Shift_JIS").not());
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("summary.json")).unwrap()).unwrap();
    let file = |name: &str| {
        summary["inputs"]["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .unwrap()
            .clone()
    };
    // The Japanese label row is skipped: the keys row is the header, two rows used.
    let jp = file("jp-shipping-confirmation-template.txt");
    assert_eq!(
        (jp["kind"].as_str(), jp["rows_read"].as_u64(), jp["rows_used"].as_u64()),
        (Some("confirmations"), Some(2), Some(2))
    );
    // The appended dump: the second header line is skipped and counted, not rejected.
    let appended = file("appended-all-orders.txt");
    assert_eq!(
        (appended["rows_read"].as_u64(), appended["rows_rejected"].as_u64(), appended["repeated_headers"].as_u64()),
        (Some(3), Some(0), Some(1))
    );
    assert_eq!(summary["default_marketplace_orders"], 1);
    // No sales-channel and no --marketplace JP, but a Japanese label row: cp932 (§5.1, v1.4).
    assert_eq!(jp["encoding"], "cp932");
    assert!(jp.get("encoding_hint").is_none());
    assert!(file("orders-empty-sales-channel.txt").get("encoding_hint").is_none());
    assert_eq!(std::fs::read_to_string(out.path().join("rejected.tsv")).unwrap(), "file\tline\tkind\treason\n");

    orderhealth()
        .arg("orders")
        .args(&inputs)
        .args(["--format", "csv", "--out"])
        .arg(out.path().join("o"))
        .assert()
        .success();
    let orders = std::fs::read_to_string(out.path().join("o/orders.csv")).unwrap();
    let marketplaces: Vec<(String, String)> = orders
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[1].to_string())
        })
        .collect();
    let expected = [
        ("111-0000006-0000006", "US"), // someone@example.com: the default
        ("113-0000007-0000007", "US"), // sales-channel Amazon.com
        ("113-0000008-0000008", "US"),
        ("171-0000001-0000001", "FR"),
        ("202-0000003-0000003", "UK"),
        ("250-1111111-1111111", "JP"),
        ("250-2222222-2222222", "JP"),
        ("302-0000002-0000002", "DE"),
        ("503-0000004-0000004", "AU"), // unshipped report without sales-channel
        ("702-0000005-0000005", "CA"),
    ];
    assert_eq!(marketplaces, expected.map(|(a, b)| (a.to_string(), b.to_string())));
}

#[test]
fn an_unrecognised_template_names_the_closest_kind_with_its_article() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("template.txt");
    std::fs::write(
        &file,
        "TemplateType=OrderFulfillment\tVersion=1\n注文番号\t出荷日\norder-id\torder-item-id\tcarrier-code\n",
    )
    .unwrap();
    orderhealth()
        .args(["report", file.to_str().unwrap(), "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .code(1)
        // The keys row shares two of new-orders' three recognising columns: the label row
        // (no known column) does not decide.
        .stderr(predicate::str::contains("it looks most like a new-orders file but lacks purchase-date;"))
        .stderr(predicate::str::contains("columns found: order-id, order-item-id, carrier-code"));
}

#[test]
fn hostile_sales_channel_with_a_multibyte_tenth_byte() {
    // Used to panic: `v[..10]` inside `é`.
    let dir = tempfile::tempdir().unwrap();
    let file = testdata("hostile/sales-channel-multibyte.txt");
    orderhealth()
        .args(["report", file.to_str().unwrap(), "--format", "csv", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .success();
    let summary = std::fs::read_to_string(dir.path().join("out/summary.json")).unwrap();
    assert!(summary.contains("\"Amazon.fré\": 1"), "{summary}");
}

#[test]
fn hostile_cp932_file_cut_inside_a_character() {
    // Used to panic in the transcoder ("Must not use a decoder that has finished").
    let dir = tempfile::tempdir().unwrap();
    let file = testdata("hostile/cp932-cut-at-the-end.txt");
    orderhealth()
        .args(["orders", file.to_str().unwrap(), "--format", "csv", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .success()
        .stdout(predicate::str::starts_with("2 orders; 2 rows read, 0 rejected; 0 files skipped\n"));
    let orders = std::fs::read_to_string(dir.path().join("out/orders.csv")).unwrap();
    assert!(orders.contains("503-0000002,"), "{orders}");
}

#[test]
fn hostile_control_bytes_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let run = orderhealth()
        .args(["report", testdata("hostile/control-bytes.bin").to_str().unwrap(), "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .code(1);
    let stderr = String::from_utf8(run.get_output().stderr.clone()).unwrap();
    assert!(!stderr.chars().any(|c| c.is_control() && c != '\n'), "{stderr:?}");
    assert!(stderr.contains("\\u{1b}[2J\\u{7}order\\u{d}id"), "{stderr}");
}

#[test]
fn hostile_one_huge_line_gives_a_short_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("huge.txt");
    std::fs::write(&file, "x\t".repeat(1_000_000)).unwrap();
    let run =
        orderhealth().args(["report", file.to_str().unwrap(), "--out"]).arg(dir.path().join("out")).assert().code(1);
    let stderr = String::from_utf8(run.get_output().stderr.clone()).unwrap();
    assert!(stderr.len() < 2_500, "{} bytes of error", stderr.len());
    assert!(stderr.contains("columns found: x, x, x") && stderr.contains("more"), "{stderr}");
}

#[test]
fn hostile_truncated_gzip_says_the_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let run = orderhealth()
        .args(["report", testdata("hostile/truncated.txt.gz").to_str().unwrap(), "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .code(1);
    let stderr = String::from_utf8(run.get_output().stderr.clone()).unwrap();
    assert_eq!(stderr.matches("deflate").count(), 1, "{stderr}");
    assert!(stderr.contains("truncated.txt.gz"), "{stderr}");
}

#[test]
fn a_link_loop_and_a_dangling_link_are_skipped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir(&input).unwrap();
    std::fs::copy(testdata("metrics/cancel/2026-03-17-all-orders.txt"), input.join("all-orders.txt")).unwrap();
    std::os::unix::fs::symlink("..", input.join("parent")).unwrap();
    std::os::unix::fs::symlink("nowhere.txt", input.join("dangling.txt")).unwrap();
    let out = dir.path().join("out");
    orderhealth()
        .args(["report", input.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .success()
        .stderr(predicate::str::contains("dangling.txt: a link to nothing (dangling)"))
        .stderr(predicate::str::contains("not followed again"));
}

#[test]
fn out_equal_to_or_above_an_input_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("dumps");
    std::fs::create_dir(&input).unwrap();
    std::fs::copy(testdata("metrics/cancel/2026-03-17-all-orders.txt"), input.join("all-orders.txt")).unwrap();
    for out in [input.clone(), dir.path().to_path_buf()] {
        orderhealth()
            .args(["report", input.to_str().unwrap(), "--out", out.to_str().unwrap()])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("reports would be written into the inputs"));
    }
    assert_eq!(std::fs::read_dir(&input).unwrap().count(), 1);
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let out = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("orderhealth");
    let command =
        format!("{} report {} --out {} | head -n 1", bin.display(), testdata("sample").display(), out.path().display());
    let run = std::process::Command::new("bash").args(["-o", "pipefail", "-c", &command]).output().unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(run.status.success(), "{run:?}");
    assert!(String::from_utf8_lossy(&run.stdout).starts_with("orderhealth "));
    // A full disk on stdout is exit 1 with a message.
    let full = std::process::Command::new("bash")
        .args([
            "-c",
            &format!(
                "{} report {} --out {} > /dev/full",
                bin.display(),
                testdata("sample").display(),
                out.path().display()
            ),
        ])
        .output()
        .unwrap();
    assert_eq!(full.status.code(), Some(1), "{full:?}");
    assert!(String::from_utf8_lossy(&full.stderr).contains("error: cannot write to standard output"));
}

/// Same inputs, same bytes: whatever the thread count, and wherever the inputs are.
#[test]
fn outputs_do_not_depend_on_threads_or_the_input_path() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("elsewhere");
    let status = std::process::Command::new("cp").arg("-r").arg(testdata("sample")).arg(&copy).status().unwrap();
    assert!(status.success());
    let run = |input: &Path, threads: &str, name: &str| {
        let out = dir.path().join(name);
        orderhealth()
            .env("RAYON_NUM_THREADS", threads)
            .args(["report", input.to_str().unwrap(), "--format", "csv", "--out", out.to_str().unwrap()])
            .assert()
            .success();
        out
    };
    let one = run(&testdata("sample"), "1", "one");
    let two = run(&testdata("sample"), "2", "two");
    let moved = run(&copy, "2", "moved");
    for table in [
        "cancel_rate",
        "cancel_reasons",
        "auto_cancel",
        "valid_tracking",
        "tracking_defects",
        "late_shipment",
        "cancellations",
    ] {
        let name = format!("{table}.csv");
        let a = std::fs::read(one.join(&name)).unwrap();
        assert!(a == std::fs::read(two.join(&name)).unwrap(), "{name}: 1 vs 2 threads");
        assert!(a == std::fs::read(moved.join(&name)).unwrap(), "{name}: inputs at another path");
    }
}

/// A run killed at any moment leaves --out as the complete previous set or the complete new
/// one, and the next run removes what the killed one left beside it.
#[test]
fn a_killed_run_leaves_the_previous_or_the_new_set_never_a_mix() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let input = testdata("sample");
    orderhealth()
        .args(["report", input.to_str().unwrap(), "--format", "csv", "--out", out.to_str().unwrap()])
        .assert()
        .success();
    let listing = |d: &Path| {
        let mut names: Vec<String> =
            std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    };
    let csv_set = listing(&out);
    let csv_summary = std::fs::read(out.join("summary.json")).unwrap();
    let json_set: Vec<String> = csv_set.iter().map(|n| n.replace(".csv", ".json")).collect::<Vec<_>>();
    let mut json_set = json_set;
    json_set.sort();
    let bin = assert_cmd::cargo::cargo_bin("orderhealth");
    for delay_ms in [5u64, 20, 40, 60, 80, 100, 130, 160, 200, 300] {
        let mut child = std::process::Command::new(&bin)
            .args(["report", input.to_str().unwrap(), "--format", "json", "--out", out.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let now = listing(&out);
        if now == csv_set {
            assert_eq!(std::fs::read(out.join("summary.json")).unwrap(), csv_summary, "after {delay_ms} ms");
        } else {
            assert_eq!(now, json_set, "after {delay_ms} ms: a mixed directory");
            // The new set is whole: back to the old one for the next try.
            orderhealth()
                .args(["report", input.to_str().unwrap(), "--format", "csv", "--out", out.to_str().unwrap()])
                .assert()
                .success();
        }
    }
    // The next run cleans up: nothing is left beside --out but --out itself.
    orderhealth()
        .args(["report", input.to_str().unwrap(), "--format", "csv", "--out", out.to_str().unwrap()])
        .assert()
        .success();
    assert_eq!(listing(dir.path()), ["out"]);
    assert_eq!(listing(&out), csv_set);
}

#[test]
fn help_lists_every_choice_and_default() {
    let run = orderhealth().args(["report", "--help"]).assert().success();
    let help = String::from_utf8(run.get_output().stdout.clone()).unwrap();
    for expected in [
        "- parquet:",
        "- csv:",
        "- json:",
        "[default: parquet]",
        "- days30:",
        "- business7:",
        "- dated:",
        "[default: days30]",
        "- auto:",
        "- utf-8:",
        "- windows-1252:",
        "- cp932:",
        "[default: auto]",
        "--fail-on-breach",
        "--verbose",
    ] {
        assert!(help.contains(expected), "{expected} missing from --help:\n{help}");
    }
    // Every option says what it does.
    for line in help.lines().filter(|l| l.trim_start().starts_with("--")) {
        let at = help.find(line).unwrap() + line.len();
        assert!(help[at..].lines().nth(1).is_some_and(|l| !l.trim().is_empty()), "{line} has no help text");
    }
}

#[test]
fn an_out_that_is_a_link_stays_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    std::fs::create_dir(&real).unwrap();
    let link = dir.path().join("reports");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    for _ in 0..2 {
        orderhealth()
            .args(["report", testdata("metrics/cancel").to_str().unwrap(), "--out", link.to_str().unwrap()])
            .assert()
            .success();
    }
    assert!(link.is_symlink());
    assert!(real.join("summary.json").is_file());
}

/// The one-screen verdict on the bundled sample, exactly as a terminal shows it (colours off:
/// not a terminal). `cargo insta review` (or INSTA_UPDATE=always) accepts a deliberate change.
#[test]
fn the_terminal_verdict_on_the_sample_is_one_screen() {
    let out = tempfile::tempdir().unwrap();
    let run = orderhealth()
        .args(["report", testdata("sample").to_str().unwrap(), "--format", "csv", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(run.status.success());
    let screen = String::from_utf8(run.stdout).unwrap().replace(&out.path().display().to_string(), "OUT");
    assert!(screen.lines().count() <= 40, "more than one screen:\n{screen}");
    insta::assert_snapshot!(screen);
}

/// One US order, shipped and confirmed on time with a valid number scanned twice, promised
/// for 2026-03-11 (Los Angeles) and delivered at `delivered`: every other metric is GOOD.
fn one_delivery(dir: &Path, delivered: &str) {
    std::fs::write(
        dir.join("new-orders.txt"),
        "order-id\torder-item-id\tpurchase-date\tsku\tquantity-purchased\tcurrency\titem-price\tlatest-ship-date\tlatest-delivery-date\n\
         D-1\t1\t2026-03-07T18:00:00Z\tSKU-1\t1\tUSD\t19.99\t2026-03-09T06:59:59Z\t2026-03-12T06:59:59Z\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("all-orders.txt"),
        "amazon-order-id\tpurchase-date\tlast-updated-date\torder-status\tsales-channel\tcurrency\titem-price\n\
         D-1\t2026-03-07T18:00:00Z\t2026-03-08T18:00:00Z\tShipped\tAmazon.com\tUSD\t19.99\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("confirmations.txt"),
        "order-id\tship-date\tcarrier-code\ttracking-number\nD-1\t2026-03-08T18:00:00Z\tAMZL\tTBA100000000001\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("scans.tsv"),
        format!(
            "tracking-number\tscan-date\tscan-type\nTBA100000000001\t2026-03-08T20:00:00Z\taccepted\n\
             TBA100000000001\t{delivered}\tdelivered\n"
        ),
    )
    .unwrap();
}

/// The on-time delivery rate alone decides `--fail-on-breach` and the verdict: delivered the
/// day after the promise is exit 3; on the promised day, exit 0.
#[test]
fn a_late_delivery_alone_fails_on_breach() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in");
    std::fs::create_dir(&inputs).unwrap();
    let run = |delivered: &str| {
        one_delivery(&inputs, delivered);
        orderhealth()
            .args(["report", inputs.to_str().unwrap(), "--fail-on-breach", "--as-of", "2026-03-20T00:00:00Z"])
            .args(["--format", "csv", "--out"])
            .arg(dir.path().join("out"))
            .assert()
    };
    // 01:00 PDT on 03-12: a day late.
    run("2026-03-12T08:00:00Z")
        .code(3)
        .stdout(predicate::str::contains("Verdict: BAD in 1 of 1 marketplace: on-time delivery in US\n"))
        .stderr(predicate::str::contains("a metric is BAD in its current window (--fail-on-breach)"));
    // 23:00 PDT on 03-11: on time.
    run("2026-03-12T06:00:00Z")
        .success()
        .stdout(predicate::str::contains("Verdict: every current window is within its limit (1 marketplace)"));
    let summary = std::fs::read_to_string(dir.path().join("out/summary.json")).unwrap();
    let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(summary["current"]["US"]["on_time_delivery"]["14"]["on_time"], 1);
}

/// On a terminal the verdict's BAD is red; with `NO_COLOR` set (https://no-color.org) there
/// is no colour code at all (the progress bar's cursor moves are not colours).
#[test]
fn no_color_turns_the_colours_off_on_a_terminal() {
    let out = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("orderhealth");
    let on_terminal = |env: &str, name: &str| -> String {
        let command = format!(
            "{env} {} report {} --out {}",
            bin.display(),
            testdata("sample").display(),
            out.path().join(name).display()
        );
        let run = std::process::Command::new("script").args(["-qefc", &command, "/dev/null"]).output().unwrap();
        assert!(run.status.success(), "{run:?}");
        String::from_utf8_lossy(&run.stdout).into_owned()
    };
    // A colour code: ESC [ digits and semicolons, then m.
    let sgr = |text: &str| {
        text.split("\x1b[").skip(1).any(|rest| {
            let end = rest.find(|c: char| !(c.is_ascii_digit() || c == ';')).unwrap_or(rest.len());
            rest[end..].starts_with('m')
        })
    };
    let coloured = on_terminal("env -u NO_COLOR", "colour");
    assert!(coloured.contains("\x1b[1;31mBAD\x1b[0m"), "{coloured}");
    let plain = on_terminal("NO_COLOR=1", "plain");
    assert!(sgr(&coloured));
    assert!(plain.contains("Verdict: BAD in 2 of 6 marketplaces") && !sgr(&plain), "{plain}");
}

/// The terminal answer on `path` as of 2026-03-20, as a pipe gets it (no colour).
fn screen_of(path: &str) -> String {
    let out = tempfile::tempdir().unwrap();
    let run = orderhealth()
        .args(["report", testdata(path).to_str().unwrap(), "--as-of", "2026-03-20T00:00:00Z", "--format", "csv"])
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(run.status.success());
    assert!(!run.stdout.contains(&0x1b), "no escape code in a pipe");
    String::from_utf8(run.stdout).unwrap().replace(&out.path().display().to_string(), "OUT")
}

/// Thirteen marketplaces of nine categories (testdata/many-marketplaces, make_fixtures.py):
/// one line each, worst first, the failing categories folded into a note, within 40 lines of
/// 100 columns.
#[test]
fn thirteen_marketplaces_fit_one_screen() {
    let screen = screen_of("many-marketplaces");
    assert!(screen.lines().count() <= 40, "more than one screen:\n{screen}");
    // The table (the verdict line and the next steps are prose and may wrap).
    let table: Vec<&str> = screen.lines().skip(3).take_while(|l| !l.starts_with("Next")).collect();
    assert_eq!(table.len(), 2 + 13 + 1, "two header lines, thirteen marketplaces, a blank line");
    assert!(table.iter().all(|l| l.chars().count() <= 100), "wider than 100 columns:\n{screen}");
    // US: 3 of 9 categories BAD (Electronics, Sports and Office, each 1 of 3 valid: 33.3%).
    assert!(screen.contains("3/9 BAD: Electronics 33.3%"), "{screen}");
    insta::assert_snapshot!(screen);
}

/// A healthy account: one line says so, no table.
#[test]
fn an_account_good_everywhere_is_one_line() {
    let screen = screen_of("all-good");
    assert!(screen
        .contains("Verdict: every current window is within its limit (4 marketplaces)\n\nNext: nothing to act on."));
    insta::assert_snapshot!(screen);
}

/// The bundled sample's history written by the generator (`--seed 4 --catalog`, as the
/// sample was) in `format`, under `dir`.
fn sample_history(dir: &Path, format: &str) -> PathBuf {
    let out = dir.join(format);
    orderhealth()
        .args(["generate", "--orders", "500", "--days", "40", "--seed", "4", "--start", "2026-02-01", "--catalog"])
        .args(["--format", format, "--out"])
        .arg(&out)
        .assert()
        .success();
    out
}

/// The tables a twin must give byte for byte (§1.6's twin property): the order-level ones and
/// the merged view. Valid tracking is not among them: v0 JSON has no confirmation of its own,
/// and Pending orders' prices differ (the flat files show none).
fn order_tables(input: &Path, out: &Path) -> Vec<(String, String)> {
    let as_of = ["--as-of", "2026-03-17T00:00:00Z", "--format", "csv"];
    orderhealth().arg("report").arg(input).args(as_of).arg("--out").arg(out).assert().success();
    orderhealth().arg("orders").arg(input).args(as_of).arg("--out").arg(out.join("orders")).assert().success();
    ["cancel_rate", "late_shipment", "auto_cancel", "cancellations", "orders/orders"]
        .iter()
        .map(|t| (t.to_string(), std::fs::read_to_string(out.join(format!("{t}.csv"))).unwrap()))
        .collect()
}

/// The sample's history as SP-API v0 responses (getOrders pages and getOrderItems, JSON lines
/// per night) and as a connector's export (an order per line, items nested) gives the flat
/// files' order tables byte for byte; so does a mix (North America as JSON, the rest flat).
#[test]
fn the_sample_as_sp_api_json_gives_the_flat_files_tables() {
    let dir = tempfile::tempdir().unwrap();
    let flat = sample_history(dir.path(), "flat");
    let expected = order_tables(&flat, &dir.path().join("out-flat"));
    assert!(expected[0].1.lines().count() > 100, "the sample's cancel_rate rows");
    for format in ["sp-api", "sp-api-jsonl"] {
        let json = sample_history(dir.path(), format);
        let files: Vec<String> = std::fs::read_dir(json.join("2026-02-10"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            files.iter().any(|f| f == "sp-api-orders-NA.jsonl") && !files.iter().any(|f| f.starts_with("all-orders"))
        );
        assert_eq!(order_tables(&json, &dir.path().join(format!("out-{format}"))), expected, "{format}");
    }
    // A mix: the flat tree with North America's order reports replaced by its JSON.
    let mixed = dir.path().join("mixed");
    copy_tree(&flat, &mixed);
    for night in std::fs::read_dir(&mixed).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()) {
        for report in ["all-orders-NA.txt", "new-orders-NA.txt", "unshipped-NA.txt"] {
            let _ = std::fs::remove_file(night.join(report));
        }
        let json = dir.path().join("sp-api").join(night.file_name().unwrap()).join("sp-api-orders-NA.jsonl");
        if json.exists() {
            std::fs::copy(&json, night.join("sp-api-orders-NA.jsonl")).unwrap();
        }
    }
    assert_eq!(order_tables(&mixed, &dir.path().join("out-mixed")), expected);
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let target = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_tree(&p, &target);
        } else {
            std::fs::copy(&p, &target).unwrap();
        }
    }
}
