//! What a report reads from a store's settled directory besides the tallies: the scans of the
//! live orders' packages, kept as they were when the base was judged (docs/STORE.md).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use orderhealth::store::{ingest, StoreSettings};
use orderhealth::{run_report, Format, Quiet, RunOptions};
use orderhealth_core::shard::shard_of;
use orderhealth_core::{ReadOptions, ViewOptions};
use polars::prelude::*;

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(rel)
}

fn read(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap()).finish().unwrap()
}

/// The one directory below `dir`.
fn only_dir(dir: &Path) -> PathBuf {
    let dirs: Vec<PathBuf> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs.into_iter().next().unwrap()
}

/// A number's scans as a table holds them: count, delivered, earliest delivery.
type Tally = (Option<u32>, Option<bool>, Option<i64>);

/// Each number of a scans table (or a settled directory's live scans) with its tally.
fn tallies(df: &DataFrame) -> Vec<(String, Tally)> {
    let number = df.column("tracking_number").unwrap().str().unwrap();
    let scans = df.column("scans").unwrap().u32().unwrap();
    let delivered = df.column("delivered").unwrap().bool().unwrap();
    let first = df.column("first_delivered_ts").unwrap().datetime().unwrap().physical().clone();
    (0..df.height())
        .map(|i| (number.get(i).unwrap().to_string(), (scans.get(i), delivered.get(i), first.get(i))))
        .collect()
}

/// The sample ingested into a store and reported on (the report judges the base and writes its
/// settled directory): the settled directory lists, one file per shard of tracking numbers,
/// every number of its live orders' packages with the scans the store held for it then
/// (summed over the base's tables; none when it was not scanned yet), and nothing else.
#[test]
fn a_settled_directory_keeps_the_scans_of_its_live_orders_packages() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let read_options = ReadOptions::default();
    let view = ViewOptions::default();
    let settings = StoreSettings::of(&read_options, view.default_marketplace);
    ingest(&store, &[testdata("sample")], &read_options, &settings, None, false, &|| {}, &Quiet).unwrap();
    let opts = RunOptions {
        inputs: Vec::new(),
        out: dir.path().join("out"),
        format: Format::Csv,
        read: read_options,
        view,
        scan_grace_days: 7,
        tracking_basis: Default::default(),
        store: Some(store.clone()),
    };
    run_report(&opts, &Quiet).unwrap();

    let base = only_dir(&store.join("settled"));
    let settled = only_dir(&base);
    let shard = |dir: &Path, i: usize| dir.join(format!("shard={i:02}"));
    // The numbers of the live orders' packages, as a report looks their scans up.
    let live_numbers: BTreeSet<String> = (0..16)
        .flat_map(|i| {
            let df = read(&shard(&settled, i).join("shipments.parquet"));
            let numbers = df.column("tracking_number").unwrap().str().unwrap().clone();
            numbers
                .iter()
                .flatten()
                .filter(|n| !orderhealth_carriers::is_missing(n))
                .map(orderhealth_carriers::normalise)
                .collect::<Vec<_>>()
        })
        .collect();
    // The scans the store holds: the base's tables (one base, written with every scan).
    let state = store.join("state").join(base.file_name().unwrap());
    let mut held: BTreeMap<String, Tally> = BTreeMap::new();
    for i in 0..16 {
        for (number, t) in tallies(&read(&shard(&state, i).join("scans.parquet"))) {
            assert!(held.insert(number, t).is_none(), "a base written whole holds each number once");
        }
    }

    let mut kept: BTreeMap<String, Tally> = BTreeMap::new();
    for i in 0..16 {
        for (number, t) in tallies(&read(&shard(&settled, i).join("live_scans.parquet"))) {
            assert_eq!(shard_of(&number), i, "{number} in the shard of its number");
            kept.insert(number, t);
        }
    }
    assert_eq!(
        kept.keys().cloned().collect::<BTreeSet<_>>(),
        live_numbers,
        "every live package's number, nothing else"
    );
    for (number, t) in &kept {
        assert_eq!(*t, held.get(number).copied().unwrap_or((None, None, None)), "{number}");
    }
    let scanned = kept.values().filter(|t| t.0.is_some()).count();
    assert!(scanned > 0 && scanned < kept.len(), "{scanned} of {} live packages scanned", kept.len());
}
