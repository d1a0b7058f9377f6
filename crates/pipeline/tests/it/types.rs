//! Every Parquet table `report` and `orders` write, read back: each column's type is the one
//! §5.6 names (timestamps as microsecond UTC, dates as Date32, counts, `days_left`, `rule` and
//! `window_days` as Int64, rates Float64, flags Boolean, text UTF-8), so no table can drift.

use std::path::{Path, PathBuf};

use orderhealth::{run_orders, run_report, Format, Quiet, RunOptions};
use orderhealth_carriers::Defect;
use orderhealth_core::{ReadOptions, ViewOptions};
use polars::prelude::*;

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(rel)
}

/// The type §5.6 gives a column, by what the column holds.
fn expected(table: &str, column: &str) -> DataType {
    let timestamp = DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC));
    let defect_counts = Defect::ALL.iter().any(|d| d.column() == column);
    match column {
        "purchase_ts"
        | "expected_ship_ts"
        | "expected_delivery_ts"
        | "deadline"
        | "cancel_seen_ts"
        | "delivered_ts"
        | "confirmed_ts" => timestamp,
        "window_start" | "window_end" | "purchase_day" | "ship_date" | "promised_date" | "day" => DataType::Date,
        "rate" | "projected_rate" | "amazon_rate" | "amazon_target" => DataType::Float64,
        "counted" | "buyer_requested" | "shipped" | "cancelled" | "open" | "agrees" => DataType::Boolean,
        "window_days"
        | "days_left"
        | "rule"
        | "orders"
        | "seller_cancelled"
        | "auto_cancelled"
        | "buyer_excluded"
        | "projected_cancelled"
        | "late"
        | "unconfirmed"
        | "packages"
        | "valid"
        | "on_time"
        | "count"
        | "total"
        | "amazon_count"
        | "amazon_total" => DataType::Int64,
        _ if defect_counts => DataType::Int64,
        _ => {
            assert!(
                [
                    "marketplace",
                    "status",
                    "reason",
                    "order_id",
                    "basis",
                    "state",
                    "category",
                    "carrier",
                    "tracking_number",
                    "defect",
                    "suggestion",
                    "class",
                    "reasons",
                    "channel",
                    "report",
                    "metric",
                    "amazon_status",
                    "why"
                ]
                .contains(&column),
                "{table}.{column}: a column this test does not know; give it its §5.6 type here"
            );
            DataType::String
        }
    }
}

fn check_dir(out: &Path) -> usize {
    let mut checked = 0;
    for entry in std::fs::read_dir(out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "parquet") {
            continue;
        }
        let table = path.file_stem().unwrap().to_string_lossy().into_owned();
        let df = ParquetReader::new(std::fs::File::open(&path).unwrap()).finish().unwrap();
        for (name, dtype) in df.schema().iter() {
            assert_eq!(*dtype, expected(&table, name), "{table}.{name}");
            checked += 1;
        }
    }
    checked
}

#[test]
fn every_parquet_column_has_the_type_the_spec_names() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = RunOptions {
        inputs: vec![testdata("sample")],
        out: dir.path().join("report"),
        format: Format::Parquet,
        read: ReadOptions::default(),
        view: ViewOptions::default(),
        scan_grace_days: 7,
        tracking_basis: Default::default(),
        store: None,
    };
    // With a performance report that does not agree: `reconcile` and `reconcile_orders` too.
    opts.inputs.push(testdata("performance/differs.json"));
    run_report(&opts, &Quiet).unwrap();
    assert!(opts.out.join("reconcile_orders.parquet").is_file());
    let in_report = check_dir(&opts.out);
    opts.inputs.pop();
    opts.out = dir.path().join("orders");
    run_orders(&opts, &Quiet).unwrap();
    let in_orders = check_dir(&opts.out);
    // Every column of the eleven report tables, and the orders table's.
    assert!(in_report > 95 && in_orders >= 12, "{in_report} + {in_orders} columns checked");
}
