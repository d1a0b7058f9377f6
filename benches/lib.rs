//! Shared set-up for the micro-benchmarks: one synthetic data set written once per run.

use std::path::PathBuf;

use orderhealth_synth::{generate, DumpFormat, Options};

/// A generated data set in a temporary folder, with its size in (uncompressed) bytes.
pub struct DataSet {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    pub bytes: u64,
}

pub fn data_set(orders: u64, days: u32) -> DataSet {
    data_set_as(orders, days, DumpFormat::Flat)
}

/// [`data_set`] with the order reports written as `format` (flat files or SP-API JSON).
pub fn data_set_as(orders: u64, days: u32, format: DumpFormat) -> DataSet {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("dumps");
    let opts = Options {
        orders,
        days,
        seed: 1,
        start: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        gzip_all_orders: false,
        catalog: false,
        all_utf8: false,
        format,
    };
    let stats = generate(&opts, &root).expect("generate");
    DataSet { _dir: dir, root, bytes: stats.bytes }
}

/// Every file of one name pattern under the data set, sorted.
pub fn files_named(root: &std::path::Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for day in std::fs::read_dir(root).expect("dir") {
        let day = day.expect("entry").path();
        if day.is_dir() {
            for f in std::fs::read_dir(&day).expect("dir") {
                let f = f.expect("entry").path();
                if f.file_name().is_some_and(|n| n.to_string_lossy().ends_with(suffix)) {
                    out.push(f);
                }
            }
        }
    }
    out.sort();
    out
}
