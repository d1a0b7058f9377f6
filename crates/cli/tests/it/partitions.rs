//! A store split into partitions, run partition by partition and summed (SPEC §4.2; the
//! scale-out seam of docs/SCALE-OUT.md): `ingest --partitions N`, `partition --shard N`,
//! `report --from-parts`. The sum is, byte for byte, `report --store` and one read of every
//! file.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

use crate::store::{assert_same, nights, outputs, report, sample_dumps, testdata, write_touching_night};

fn orderhealth() -> Command {
    Command::cargo_bin("orderhealth").unwrap()
}

/// The sample's nights but the last three as a base of `partitions` partitions, then the three
/// and a night that touches orders as layers (in `dir/store`).
fn layered_store(dir: &Path, partitions: &str) {
    let n = nights(dir);
    // The catalog and the touching night as layers (the `other` folder adds none): a base
    // and `MAX_LAYERS` (2) layers.
    let (base, later) = n.split_at(n.len() - 2);
    orderhealth()
        .current_dir(dir)
        .arg("ingest")
        .args(base)
        .args(["--store", "store", "--partitions", partitions])
        .assert()
        .success();
    for night in later {
        orderhealth().current_dir(dir).args(["ingest", night, "--store", "store"]).assert().success();
    }
    write_touching_night(&dir.join("dumps/2026-03-18"));
    orderhealth().current_dir(dir).args(["ingest", "dumps/2026-03-18", "--store", "store"]).assert().success();
}

/// `partition --shard N` for every N in `shards`, into `parts/pN`, with `args`.
fn partitions(dir: &Path, shards: std::ops::Range<usize>, args: &[&str]) {
    for p in shards {
        orderhealth()
            .current_dir(dir)
            .args(["partition", "--store", "store", "--shard", &p.to_string(), "--out", &format!("parts/p{p:02}")])
            .args(args)
            .assert()
            .success()
            .stderr(predicate::str::contains(format!("partition {p} of ")));
    }
}

fn from_parts(dir: &Path, parts: &[&str], args: &[&str]) -> assert_cmd::assert::Assert {
    orderhealth()
        .current_dir(dir)
        .args(["report", "--store", "store", "--format", "csv", "--from-parts"])
        .args(parts)
        .args(args)
        .args(["--out", "dist"])
        .assert()
}

#[test]
fn a_store_of_32_partitions_summed_partition_by_partition_is_one_read_of_every_file() {
    let tmp = sample_dumps();
    let dir = tmp.path();
    layered_store(dir, "32");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("store/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["partitions"], 32);
    let states = manifest["state"].as_array().unwrap();
    assert!(states.len() >= 3, "a base and layers: {states:?}");
    // Every state has its 32 partition directories; every order is in exactly one.
    let base = dir.join("store/state").join(manifest["state"][0]["dir"].as_str().unwrap());
    let mut shards: Vec<String> = std::fs::read_dir(&base)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("shard="))
        .collect();
    shards.sort();
    assert_eq!(shards.len(), 32, "{shards:?}");
    assert_eq!(shards.last().unwrap(), "shard=31");

    let once = report(dir, &["dumps"], "once");
    assert_same(&report(dir, &["--store", "store"], "from-store"), &once);
    partitions(dir, 0..32, &[]);
    from_parts(dir, &["parts"], &[]).success();
    assert_same(&outputs(&dir.join("dist")), &once);
    // The terminal's verdict is the store's too.
    let store_text =
        orderhealth().current_dir(dir).args(["report", "--store", "store", "--out", "o2"]).output().unwrap();
    let dist_text = orderhealth()
        .current_dir(dir)
        .args(["report", "--store", "store", "--from-parts", "parts", "--out", "o2"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&dist_text.stdout), String::from_utf8_lossy(&store_text.stdout));

    // Other report options: the partitions run with them sum to the store's report with them.
    let opts = ["--as-of", "2026-03-30", "--tracking-basis", "ship", "--warn-days", "3"];
    let mut store_args = vec!["--store", "store"];
    store_args.extend(opts);
    let expected = report(dir, &store_args, "store-opts");
    // A result of other options is refused, naming the option.
    from_parts(dir, &["parts"], &opts)
        .failure()
        .code(2)
        .stderr(predicate::str::contains("--warn-days 7 (this run: 3)"));
    std::fs::remove_dir_all(dir.join("parts")).unwrap();
    partitions(dir, 0..32, &opts);
    from_parts(dir, &["parts"], &opts).success();
    assert_same(&outputs(&dir.join("dist")), &expected);
}

/// A task run twice writes the same result and keeps the first; a result given twice counts
/// once; a missing, damaged or stale result is an error that says what to do.
#[test]
fn retried_duplicated_missing_damaged_and_stale_results() {
    let tmp = sample_dumps();
    let dir = tmp.path();
    layered_store(dir, "16");
    let once = report(dir, &["dumps"], "once");
    partitions(dir, 0..16, &[]);
    let before = std::fs::read(dir.join("parts/p05/part.json")).unwrap();
    partitions(dir, 5..6, &[]);
    assert_eq!(std::fs::read(dir.join("parts/p05/part.json")).unwrap(), before, "a retried task's result is the same");
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("parts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // One result given twice (a directory of them and one of them again): counted once.
    from_parts(dir, &["parts", "parts/p05"], &[]).success();
    assert_same(&outputs(&dir.join("dist")), &once);

    // Missing: named.
    std::fs::rename(dir.join("parts/p07"), dir.join("p07-aside")).unwrap();
    from_parts(dir, &["parts"], &[]).failure().code(2).stderr(predicate::str::contains(
        "1 of the store's 16 partitions have no result (7): run `orderhealth partition --shard N` for each",
    ));
    std::fs::rename(dir.join("p07-aside"), dir.join("parts/p07")).unwrap();

    // Damaged: a flipped byte in an evidence table is found before it is read.
    let table = dir.join("parts/p03/cancellations.parquet");
    let mut bytes = std::fs::read(&table).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x10;
    std::fs::write(&table, &bytes).unwrap();
    from_parts(dir, &["parts"], &[]).failure().stderr(
        predicate::str::contains("parts/p03: a damaged partition result")
            .and(predicate::str::contains("run `orderhealth partition` for it again")),
    );
    // Run again, the task replaces the damaged result.
    partitions(dir, 3..4, &[]);
    from_parts(dir, &["parts"], &[]).success();
    assert_same(&outputs(&dir.join("dist")), &once);

    // Stale: an ingest since the partitions ran.
    std::fs::create_dir_all(dir.join("dumps/2026-03-19")).unwrap();
    std::fs::write(
        dir.join("dumps/2026-03-19/cancel-events.tsv"),
        "order-id\torder-item-id\tcancel-date\tinitiated-by\treason\n111-1000000-0000003\t\t2026-03-19T09:00:00+00:00\tbuyer\tOther\n",
    )
    .unwrap();
    orderhealth().current_dir(dir).args(["ingest", "dumps/2026-03-19", "--store", "store"]).assert().success();
    from_parts(dir, &["parts"], &[]).failure().code(2).stderr(predicate::str::contains(
        "computed from another state of the store (an ingest ran since, or another store): run the partitions again",
    ));
    // Not a result at all.
    from_parts(dir, &["dumps/2026-03-19"], &[])
        .failure()
        .code(2)
        .stderr(predicate::str::contains("not a partition's result, nor a directory of them"));
}

/// Amazon's performance report in the store: `reconcile_orders` lists the orders of the
/// windows that do not agree, which only the sum knows; each partition keeps its rows of every
/// window.
#[test]
fn a_store_with_amazons_report_reconciles_the_same_from_its_partitions() {
    let tmp = sample_dumps();
    let dir = tmp.path();
    let differs = testdata("performance/differs.json");
    orderhealth()
        .current_dir(dir)
        .args(["ingest", "dumps", differs.to_str().unwrap(), "--store", "store", "--partitions", "48"])
        .assert()
        .success();
    let once = report(dir, &["dumps", differs.to_str().unwrap()], "once");
    let reconcile_orders = String::from_utf8(once.iter().find(|f| f.0 == "reconcile_orders.csv").unwrap().1.clone());
    assert!(reconcile_orders.unwrap().lines().count() > 1, "the windows that differ have orders to explain");
    partitions(dir, 0..48, &[]);
    from_parts(dir, &["parts"], &[]).success();
    // The report names the store's first path of Amazon's report, as `report --store` does.
    assert_same(&outputs(&dir.join("dist")), &report(dir, &["--store", "store"], "from-store"));
}

#[test]
fn a_partition_count_is_a_multiple_of_16_chosen_when_the_store_is_made() {
    let tmp = sample_dumps();
    let dir = tmp.path();
    orderhealth()
        .current_dir(dir)
        .args(["ingest", "dumps/2026-02-01", "--store", "store", "--partitions", "40"])
        .assert()
        .failure()
        .code(2)
        .stderr(predicate::str::contains("--partitions 40: a store has a multiple of 16 partitions, from 16 to 4096"));
    orderhealth()
        .current_dir(dir)
        .args(["ingest", "dumps/2026-02-01", "--store", "store", "--partitions", "64"])
        .assert()
        .success();
    orderhealth()
        .current_dir(dir)
        .args(["ingest", "dumps/2026-02-02", "--store", "store", "--partitions", "32"])
        .assert()
        .failure()
        .code(2)
        .stderr(predicate::str::contains("has 64 partitions, chosen when it was made (--partitions 32)"));
    orderhealth()
        .current_dir(dir)
        .args(["partition", "--store", "store", "--shard", "64", "--out", "p"])
        .assert()
        .failure()
        .code(2)
        .stderr(predicate::str::contains("--shard 64: the store store has partitions 0 to 63"));
    orderhealth()
        .current_dir(dir)
        .args(["partition", "dumps", "--store", "store", "--shard", "1", "--out", "p"])
        .assert()
        .failure()
        .code(2)
        .stderr(predicate::str::contains("partition reads the store alone"));
}

/// A fleet of stores: each account's report is its own `report --store`, byte for byte (also
/// from the partitions' results); the fleet lists the accounts worst first; an account that
/// cannot be reported is listed with its error, and the run exits 1.
#[test]
fn a_fleet_of_three_stores_is_three_reports_and_a_summary_worst_first() {
    let tmp = sample_dumps();
    let dir = tmp.path();
    let n = nights(dir);
    let args = |night: &str, store: &str| vec!["ingest".to_string(), night.to_string(), "--store".into(), store.into()];
    // Three accounts: the whole sample, its first month alone, and its last fortnight alone.
    orderhealth().current_dir(dir).args(["ingest", "dumps", "--store", "all"]).assert().success();
    for night in &n[..28] {
        orderhealth().current_dir(dir).args(args(night, "early")).assert().success();
    }
    for night in &n[n.len() - 14..] {
        orderhealth().current_dir(dir).args(args(night, "late")).assert().success();
    }
    let out = orderhealth()
        .current_dir(dir)
        .args(["fleet", "whole=all", "early", "late", "--format", "csv", "--out", "fleet"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    for (name, store) in [("whole", "all"), ("early", "early"), ("late", "late")] {
        let single = report(dir, &["--store", store], &format!("single-{name}"));
        assert_same(&outputs(&dir.join("fleet").join(name)), &single);
        assert!(text.contains(&format!("  {name} ")), "{text}");
    }
    let fleet: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("fleet/fleet.json")).unwrap()).unwrap();
    let accounts = fleet["accounts"].as_array().unwrap();
    let bad: Vec<u64> = accounts.iter().map(|a| a["bad_metrics"].as_u64().unwrap()).collect();
    assert!(bad.windows(2).all(|w| w[0] >= w[1]), "worst first: {bad:?}");
    assert_eq!(accounts.len(), 3);
    assert!(text.starts_with(&format!("{} of 3 accounts BAD\n", bad.iter().filter(|b| **b > 0).count())), "{text}");
    let html = std::fs::read_to_string(dir.join("fleet/fleet.html")).unwrap();
    assert!(html.contains("<a href=\"whole/report.html\">whole</a>"), "{html}");

    // From the partitions' results, per account under ROOT/<name>/.
    for (name, store) in [("whole", "all"), ("early", "early"), ("late", "late")] {
        for p in 0..16 {
            orderhealth()
                .current_dir(dir)
                .args([
                    "partition",
                    "--store",
                    store,
                    "--shard",
                    &p.to_string(),
                    "--out",
                    &format!("parts/{name}/p{p}"),
                ])
                .assert()
                .success();
        }
    }
    orderhealth()
        .current_dir(dir)
        .args(["fleet", "whole=all", "early", "late", "--format", "csv", "--from-parts", "parts", "--out", "fleet2"])
        .assert()
        .success();
    for name in ["whole", "early", "late"] {
        assert_same(&outputs(&dir.join("fleet2").join(name)), &outputs(&dir.join("fleet").join(name)));
    }
    assert_eq!(
        std::fs::read(dir.join("fleet2/fleet.json")).unwrap(),
        std::fs::read(dir.join("fleet/fleet.json")).unwrap()
    );

    // From the reports already there (a distributed run's account tasks wrote them): the
    // same fleet, reading only each summary.json.
    let before = std::fs::read(dir.join("fleet/fleet.json")).unwrap();
    std::fs::remove_file(dir.join("fleet/fleet.json")).unwrap();
    let again = orderhealth()
        .current_dir(dir)
        .args(["fleet", "whole=all", "early", "late", "--from-reports", "--out", "fleet"])
        .assert()
        .success();
    assert_eq!(std::fs::read(dir.join("fleet/fleet.json")).unwrap(), before);
    assert_eq!(String::from_utf8(again.get_output().stdout.clone()).unwrap(), text);
    std::fs::remove_dir_all(dir.join("fleet/late")).unwrap();
    orderhealth()
        .current_dir(dir)
        .args(["fleet", "whole=all", "early", "late", "--from-reports", "--out", "fleet"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("late     error  error: fleet/late/summary.json: no report of this account"));

    // A store that is not there: listed first with its error, the others reported, exit 1.
    orderhealth()
        .current_dir(dir)
        .args(["fleet", "early", "gone", "--out", "fleet3"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("  gone     error  error: gone: no store here"));
    let fleet: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("fleet3/fleet.json")).unwrap()).unwrap();
    assert_eq!(fleet["accounts"][0]["name"], "gone");
    assert!(dir.join("fleet3/early/summary.json").is_file());
    // Two accounts of one name are refused before anything runs.
    orderhealth()
        .current_dir(dir)
        .args(["fleet", "early", "x/early", "--out", "fleet4"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("two stores are named \"early\": name them apart (NAME=DIR)"));
}
