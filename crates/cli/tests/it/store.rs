//! The store as a nightly job uses it (SPEC §4.2): `ingest` each night, `report --store`;
//! the outputs equal, byte for byte, one `report` over every file ever ingested.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

pub(crate) fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(rel)
}

fn orderhealth() -> Command {
    Command::cargo_bin("orderhealth").unwrap()
}

pub(crate) fn copy_dir(from: &Path, to: &Path) {
    let status = std::process::Command::new("cp").arg("-r").arg(from).arg(to).status().unwrap();
    assert!(status.success());
}

fn ingest(dir: &Path, inputs: &[&str], store: &str) -> assert_cmd::assert::Assert {
    orderhealth().current_dir(dir).arg("ingest").args(inputs).args(["--store", store]).assert()
}

/// `report` in `dir` with `args`, writing CSV to `out`; the outputs' names and bytes.
pub(crate) fn report(dir: &Path, args: &[&str], out: &str) -> Vec<(String, Vec<u8>)> {
    orderhealth().current_dir(dir).arg("report").args(args).args(["--format", "csv", "--out", out]).assert().success();
    outputs(&dir.join(out))
}

/// `orderhealth orders ARGS --format csv --out OUT` in `dir`: its `orders.csv`.
fn orders_csv(dir: &Path, args: &[&str], out: &str) -> String {
    orderhealth().current_dir(dir).arg("orders").args(args).args(["--format", "csv", "--out", out]).assert().success();
    std::fs::read_to_string(dir.join(out).join("orders.csv")).unwrap()
}

pub(crate) fn outputs(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap())
        })
        .collect();
    files.sort();
    assert!(files.len() >= 10, "{:?}", files.iter().map(|f| &f.0).collect::<Vec<_>>());
    files
}

pub(crate) fn assert_same(a: &[(String, Vec<u8>)], b: &[(String, Vec<u8>)]) {
    assert_eq!(a.iter().map(|f| &f.0).collect::<Vec<_>>(), b.iter().map(|f| &f.0).collect::<Vec<_>>());
    for ((name, x), (_, y)) in a.iter().zip(b) {
        assert!(x == y, "{name} differs between the store and one read of every file");
    }
}

/// The bundled sample's nights (and its settlement report), in a temporary directory, plus a
/// dump with a bad row so `rejected.tsv` has something to carry.
pub(crate) fn sample_dumps() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&testdata("sample"), &dir.path().join("dumps"));
    // A file that is not an input: skipped, and listed by a report from the store too.
    std::fs::create_dir_all(dir.path().join("dumps/other")).unwrap();
    std::fs::copy(testdata("formats-other/settlement.txt"), dir.path().join("dumps/other/settlement-report.txt"))
        .unwrap();
    // A second package of order 475, shipped 03-12 and never scanned: young on the sample's
    // last day (as of 03-17, the scan grace is 7 days), `no-scan` once as-of moves on.
    std::fs::write(
        dir.path().join("dumps/2026-03-16/zz-second-package.txt"),
        "order-id\tship-date\tcarrier-code\ttracking-number\n111-1000000-0000475\t2026-03-12\tAMZL\tTBA900000000001\n",
    )
    .unwrap();
    let all = std::fs::read_to_string(dir.path().join("dumps/2026-02-10/all-orders-NA.txt")).unwrap();
    let header = all.lines().next().unwrap();
    std::fs::write(
        dir.path().join("dumps/2026-02-10/all-orders-late.txt"),
        format!("{header}\n{}\nnot\ta row\n", all.lines().nth(1).unwrap()),
    )
    .unwrap();
    dir
}

pub(crate) fn nights(dir: &Path) -> Vec<String> {
    let mut n: Vec<String> = std::fs::read_dir(dir.join("dumps"))
        .unwrap()
        .map(|e| format!("dumps/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    n.sort();
    n
}

#[test]
fn nightly_ingests_give_the_bytes_of_one_report_over_every_file() {
    let tmp = sample_dumps();
    let dir = tmp.path();
    // One ingest per night, newest night first: every later ingest holds paths that sort
    // before the stored ones (older snapshots on ties).
    for night in nights(dir).iter().rev() {
        ingest(dir, &[night], "store").success();
    }
    let from_store = report(dir, &["--store", "store"], "out-store");
    let at_once = report(dir, &["dumps"], "out-once");
    assert_same(&from_store, &at_once);
    // The store carries rejected rows and the skipped settlement report like one read does.
    let rejected = String::from_utf8(from_store.iter().find(|f| f.0 == "rejected.tsv").unwrap().1.clone()).unwrap();
    assert!(
        rejected.contains("dumps/2026-02-10/all-orders-late.txt\t3\tall-orders\trow ends before purchase-date (2 of"),
        "{rejected}"
    );
    let summary = String::from_utf8(from_store.iter().find(|f| f.0 == "summary.json").unwrap().1.clone()).unwrap();
    assert!(summary.contains("dumps/other/settlement-report.txt"), "skipped file listed");
    // Parquet too, and `orders`.
    orderhealth().current_dir(dir).args(["report", "--store", "store", "--out", "pq-store"]).assert().success();
    orderhealth().current_dir(dir).args(["report", "dumps", "--out", "pq-once"]).assert().success();
    assert_same(&outputs(&dir.join("pq-store")), &outputs(&dir.join("pq-once")));
    orderhealth()
        .current_dir(dir)
        .args(["orders", "--store", "store", "--format", "csv", "--out", "o1"])
        .assert()
        .success();
    orderhealth().current_dir(dir).args(["orders", "dumps", "--format", "csv", "--out", "o2"]).assert().success();
    assert_eq!(std::fs::read(dir.join("o1/orders.csv")).unwrap(), std::fs::read(dir.join("o2/orders.csv")).unwrap());
}

/// Damage to dumps, the same on every run: the seeded generator the synthetic dumps use.
struct Damage(orderhealth_synth::Rng);

impl Damage {
    fn next(&mut self, below: usize) -> usize {
        self.0.below(below as u64) as usize
    }

    /// `bytes` with one to five edits after its first line (the header stays whole, so the
    /// file is still recognised): a tab, a line break, a quote, a byte that is not UTF-8, an
    /// impossible timestamp or a status inserted; a few bytes cut; a byte changed; the file cut
    /// short.
    fn apply(&mut self, mut bytes: Vec<u8>) -> Vec<u8> {
        const INSERTS: [&[u8]; 7] = [b"\t", b"\n", b"\"", b"\xff", b"2026-13-45T99:99:99Z", b"Cancelled", b"\t\t\t"];
        let header = bytes.iter().position(|b| *b == b'\n').map_or(bytes.len(), |p| p + 1);
        for _ in 0..=self.next(5) {
            if bytes.len() <= header {
                break;
            }
            let at = header + self.next(bytes.len() - header);
            match self.next(10) {
                0..=4 => {
                    let insert = INSERTS[self.next(INSERTS.len())];
                    bytes.splice(at..at, insert.iter().copied());
                }
                5..=7 => {
                    let end = (at + 1 + self.next(10)).min(bytes.len());
                    bytes.drain(at..end);
                }
                8 => bytes[at] = self.next(256) as u8,
                _ => bytes.truncate(at),
            }
        }
        bytes
    }
}

/// Damaged rows in every kind of dump (cut, split, joined, mis-encoded, a bad date or an
/// extra field: §1.5's rejections, and rows that still parse with other values), nights
/// ingested one by one, every other one by the nightly job in one command: the report from the
/// store is still one read's bytes of every night, rejected rows and all.
#[test]
fn nights_with_damaged_rows_give_one_reads_bytes() {
    let tmp = sample_dumps();
    let dir = tmp.path();
    let all = nights(dir);
    let as_of = ["--as-of", "2026-03-20T00:00:00Z"];
    let mut rejected_rows = 0;
    for (case, seed) in [0x5eed_0001_u64, 0x5eed_0002, 0x5eed_0003].into_iter().enumerate() {
        let mut damage = Damage(orderhealth_synth::Rng::new(seed, 0));
        // Four nights of the sample, a week apart from a different start each case.
        let chosen: Vec<&String> = all.iter().skip(2 + 3 * case).step_by(7).take(4).collect();
        let mut copied = Vec::new();
        for night in &chosen {
            let to = format!("case{case}/{}", night.trim_start_matches("dumps/"));
            std::fs::create_dir_all(dir.join(&to)).unwrap();
            let mut files: Vec<_> = std::fs::read_dir(dir.join(night)).unwrap().map(|e| e.unwrap().path()).collect();
            files.sort();
            for file in files.iter().filter(|f| f.is_file()) {
                let bytes = std::fs::read(file).unwrap();
                let bytes = if damage.next(2) == 0 { damage.apply(bytes) } else { bytes };
                std::fs::write(dir.join(&to).join(file.file_name().unwrap()), bytes).unwrap();
            }
            copied.push(to);
        }
        let store = format!("store{case}");
        for (i, night) in copied.iter().enumerate() {
            match i % 2 {
                0 => ingest(dir, &[night], &store).success(),
                _ => orderhealth()
                    .current_dir(dir)
                    .args(["report", "--store", &store, "--out", &format!("nightly{case}-{i}"), night])
                    .args(as_of)
                    .assert()
                    .success(),
            };
        }
        let from_store = report(dir, &[&["--store", store.as_str()][..], &as_of].concat(), &format!("s{case}"));
        let nights: Vec<&str> = copied.iter().map(|s| s.as_str()).collect();
        let at_once = report(dir, &[&nights[..], &as_of].concat(), &format!("o{case}"));
        assert_same(&from_store, &at_once);
        let rejected = &from_store.iter().find(|f| f.0 == "rejected.tsv").unwrap().1;
        rejected_rows += rejected.iter().filter(|b| **b == b'\n').count() - 1;
    }
    // The damage reached the rows: some were rejected (with their file and line).
    assert!(rejected_rows > 5, "only {rejected_rows} rows rejected");
}

/// The state directories the manifest lists: the base, then the layers.
fn state_dirs(store: &Path) -> Vec<String> {
    listed(store, "state")
}

/// The directories of the manifest's list `name` (`state`, `older`).
fn listed(store: &Path, name: &str) -> Vec<String> {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(store.join("manifest.json")).unwrap()).unwrap();
    let list = manifest[name].as_array().cloned().unwrap_or_default();
    list.iter().map(|s| s["dir"].as_str().unwrap().to_string()).collect()
}

/// The sample's nights but the last `k` ingested at once into `store`: the directory, those
/// nights, and the last `k`.
fn sample_store_but_the_last_nights(k: usize) -> (tempfile::TempDir, Vec<String>, Vec<String>) {
    let tmp = sample_dumps();
    let mut base = nights(tmp.path());
    let later = base.split_off(base.len() - k);
    ingest(tmp.path(), &base.iter().map(|s| s.as_str()).collect::<Vec<_>>(), "store").success();
    (tmp, base, later)
}

/// The nights of [`sample_store_but_the_last_nights`] up to and including `later[i]`.
fn nights_so_far<'a>(base: &'a [String], later: &'a [String], i: usize) -> Vec<&'a str> {
    base.iter().chain(&later[..=i]).map(|s| s.as_str()).collect()
}

/// A backfill: four early nights held back while the nightly job runs on (new bases, their
/// settled directories judged), then ingested one by one weeks later, when most of their
/// orders are settled. Their snapshots are older than the stored ones; their cancellation
/// events, confirmations and scans touch settled orders. After each, the report from the
/// store is one read's bytes of every night so far, and so are `orders` and a report as of an
/// instant before the held-back nights' end.
#[test]
fn nights_ingested_weeks_late_give_one_reads_bytes() {
    let tmp = sample_dumps();
    let dir = tmp.path();
    let mut on_time = nights(dir);
    let late: Vec<String> = on_time.drain(4..8).collect();
    assert!(late.iter().all(|n| n.starts_with("dumps/2026-02")), "{late:?}");
    for night in &on_time {
        orderhealth()
            .current_dir(dir)
            .args(["report", "--store", "store", "--format", "csv", "--out", "nightly", night])
            .assert()
            .success();
    }
    assert!(settled_orders(&settled_tallies(&dir.join("store"))[0]) > 100, "most orders are settled");
    let mut so_far: Vec<&str> = on_time.iter().map(String::as_str).collect();
    for (i, night) in late.iter().enumerate() {
        let from_store = report(dir, &["--store", "store", night], &format!("s{i}"));
        so_far.push(night);
        assert_same(&from_store, &report(dir, &so_far, &format!("o{i}")));
    }
    let early = ["--as-of", "2026-02-09T12:00:00Z"];
    assert_same(
        &report(dir, &[&["--store", "store"][..], &early].concat(), "se"),
        &report(dir, &[&so_far[..], &early].concat(), "oe"),
    );
    assert_eq!(orders_csv(dir, &["--store", "store"], "os"), orders_csv(dir, &so_far, "oo"));
}

/// After a large first ingest each night is folded alone into a layer, until the layers hold
/// a quarter of the base's orders and an ingest folds everything into a new base. After every
/// night the report from the store is the report over the same files read at once, and only
/// the listed states are on disk.
#[test]
fn nightly_layers_merge_to_the_bytes_of_one_report() {
    let (tmp, base, later) = sample_store_but_the_last_nights(10);
    let dir = tmp.path();
    let mut layers_seen = Vec::new();
    for (i, night) in later.iter().enumerate() {
        ingest(dir, &[night], "store").success();
        let state = state_dirs(&dir.join("store"));
        let mut all = [state.clone(), listed(&dir.join("store"), "older")].concat();
        all.sort();
        let mut on_disk: Vec<String> = std::fs::read_dir(dir.join("store/state"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        assert_eq!(on_disk, all);
        layers_seen.push(state.len() - 1);
        assert_same(
            &report(dir, &["--store", "store"], &format!("store-{i}")),
            &report(dir, &nights_so_far(&base, &later, i), &format!("once-{i}")),
        );
    }
    // Layers were added, and folded into a new base when they grew.
    assert!(layers_seen.iter().any(|&l| l > 0), "{layers_seen:?}");
    assert!(layers_seen.windows(2).any(|w| w[1] < w[0]), "{layers_seen:?}");
}

/// The nightly job in one command (`report --store DIR NIGHT`): the layer the ingest writes, or
/// the new base it makes and judges, is kept in memory for the report, not read back. After
/// every night the report is the one over the same files read at once, with one layer, up to
/// `MAX_LAYERS`, and after a new base.
#[test]
fn a_report_with_its_night_gives_one_reads_bytes_from_what_its_ingest_kept() {
    let (tmp, base, later) = sample_store_but_the_last_nights(6);
    let dir = tmp.path();
    // A confirmation of an order no report names: live for good, counted by every report
    // (`unmatched_confirmations`), also by the one that takes the live orders as the new
    // base's judging viewed them.
    std::fs::write(
        dir.join(&later[0]).join("zz-unknown-order.txt"),
        "order-id\tship-date\tcarrier-code\ttracking-number\n111-9999999-0000001\t2026-03-10\tUPS\t1Z999AA10123456784\n",
    )
    .unwrap();
    let mut layers_seen = Vec::new();
    for (i, night) in later.iter().enumerate() {
        let one_command = report(dir, &["--store", "store", night], &format!("store-{i}"));
        layers_seen.push(state_dirs(&dir.join("store")).len() - 1);
        assert_same(&one_command, &report(dir, &nights_so_far(&base, &later, i), &format!("once-{i}")));
    }
    let most = orderhealth::store::MAX_LAYERS;
    assert!(layers_seen.contains(&1) && layers_seen.contains(&most), "{layers_seen:?}");
    assert!(layers_seen.windows(2).any(|w| w[1] < w[0]), "a new base among them: {layers_seen:?}");
    let last = text(&report(dir, &["--store", "store"], "store-again"), "summary.json");
    assert!(last.contains("\"unmatched_confirmations\": 1,"), "{last}");
    // `orders --store DIR NIGHT` takes the kept layer too.
    let base: Vec<&str> = base.iter().map(|s| s.as_str()).collect();
    ingest(dir, &base, "store-orders").success();
    let one_command = orders_csv(dir, &["--store", "store-orders", &later[0]], "orders-store");
    assert_eq!(state_dirs(&dir.join("store-orders")).len(), 2, "the night is a layer");
    assert_eq!(one_command, orders_csv(dir, &[base.as_slice(), &[later[0].as_str()]].concat(), "orders-once"));
}

/// The nightly job in one command with a pinned date, on the night that folds a new base: the
/// base its ingest judged (as of the newest observation) and kept stands for a later
/// `--as-of`, not for an earlier one (that report reads every order), nor for other report
/// options (another tracking basis). Each gives one read's bytes.
#[test]
fn a_kept_base_stands_only_for_its_options_and_an_as_of_at_or_after_its_judging() {
    let later_date = ["--as-of", "2026-03-20T00:00:00Z"];
    let runs: [(&[&str], &str); 3] = [
        (&["--as-of", "2026-02-15T00:00:00Z"], "early"),
        (&later_date, "late"),
        (&[&later_date[..], &["--tracking-basis", "ship"]].concat(), "ship"),
    ];
    for (options, name) in runs {
        // The last dated nights (after them, `dumps/catalog.tsv` and `dumps/other`).
        let (tmp, base, later) = sample_store_but_the_last_nights(NIGHTS_TO_A_NEW_BASE + 2);
        let dir = tmp.path();
        let nights = &later[..NIGHTS_TO_A_NEW_BASE];
        // The base's settled directory: the options a new base is judged under.
        report(dir, &["--store", "store"], "first");
        for night in &nights[..NIGHTS_TO_A_NEW_BASE - 1] {
            ingest(dir, &[night], "store").success();
        }
        assert_eq!(
            state_dirs(&dir.join("store")).len(),
            NIGHTS_TO_A_NEW_BASE,
            "the layers: the next night folds a new base"
        );
        let last = nights[NIGHTS_TO_A_NEW_BASE - 1].as_str();
        let one_command = report(dir, &[&["--store", "store", last], options].concat(), name);
        assert_eq!(state_dirs(&dir.join("store")).len(), 1, "a new base");
        let every: Vec<&str> = base.iter().chain(nights).map(|s| s.as_str()).chain(options.iter().copied()).collect();
        assert_same(&one_command, &report(dir, &every, &format!("{name}-once")));
    }
}

#[test]
fn two_batches_and_one_batch_give_the_same_store_answer_and_reports_ingest_first() {
    let tmp = sample_dumps();
    let dir = tmp.path();
    let n = nights(dir);
    let (first, rest) = n.split_at(n.len() / 2);
    ingest(dir, &first.iter().map(|s| s.as_str()).collect::<Vec<_>>(), "two").success();
    // `report --store DIR INPUT...` ingests the INPUTs first.
    let rest: Vec<&str> = rest.iter().map(|s| s.as_str()).collect();
    let two = report(dir, &[&["--store", "two"], rest.as_slice()].concat(), "out-two");
    ingest(dir, &["dumps"], "one").success();
    let one = report(dir, &["--store", "one"], "out-one");
    assert_same(&two, &one);
}

/// Two files with the same snapshot time for an order: the later path is the newer snapshot
/// (§5.1), whichever was ingested first.
#[test]
fn a_later_file_whose_path_sorts_earlier_is_the_older_snapshot_on_a_tie() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let header = "amazon-order-id\tpurchase-date\tlast-updated-date\torder-status\tsales-channel";
    let row =
        |status: &str| format!("{header}\nT-1\t2026-03-01T10:00:00Z\t2026-03-02T10:00:00Z\t{status}\tAmazon.com\n");
    std::fs::create_dir_all(d.join("dumps/a")).unwrap();
    std::fs::create_dir_all(d.join("dumps/b")).unwrap();
    std::fs::write(d.join("dumps/a/all.txt"), row("Shipped")).unwrap();
    std::fs::write(d.join("dumps/b/all.txt"), row("Cancelled")).unwrap();
    ingest(d, &["dumps/b"], "store").success();
    ingest(d, &["dumps/a"], "store").success();
    let orders = |args: &[&str], out: &str| orders_csv(d, args, out);
    let from_store = orders(&["--store", "store"], "o1");
    assert!(from_store.contains("\nT-1,US,MFN,Cancelled,"), "{from_store}");
    assert_eq!(from_store, orders(&["dumps"], "o2"));
}

#[test]
fn the_same_bytes_under_another_name_are_ingested_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("night1")).unwrap();
    std::fs::create_dir(d.join("night2")).unwrap();
    std::fs::copy(testdata("metrics/cancel/2026-03-17-all-orders.txt"), d.join("night1/all-orders.txt")).unwrap();
    std::fs::copy(testdata("metrics/cancel/2026-03-17-all-orders.txt"), d.join("night2/renamed.txt")).unwrap();
    ingest(d, &["night1"], "store").success().stderr(predicate::str::starts_with("ingested 1 new file ("));
    ingest(d, &["night1", "night2"], "store").success().stderr(
        "ingested 0 new files (0 rows read, 0 rejected); 2 files already in the store; the store holds 1 file\n  \
         already in the store: night1/all-orders.txt\n  \
         already in the store: night2/renamed.txt (same bytes as night1/all-orders.txt)\n",
    );
    // One stored file (the renamed copy is only remembered as seen, by its hash).
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("store/manifest.json")).unwrap()).unwrap();
    let stored: Vec<&str> = manifest["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(stored, ["night1/all-orders.txt"]);
}

#[test]
fn an_option_that_changes_what_is_stored_must_match_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = testdata("metrics/cancel");
    ingest(d, &[input.to_str().unwrap()], "store").success();
    orderhealth()
        .current_dir(d)
        .args(["ingest", input.to_str().unwrap(), "--store", "store", "--encoding", "cp932"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "the store store was made with --encoding auto (this run: cp932): pass the same options, or use another store",
        ));
    orderhealth()
        .current_dir(d)
        .args(["report", "--store", "store", "--marketplace", "JP", "--strict", "--out", "out"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--marketplace US (this run: JP), --strict false (this run: true)"));
    assert!(!d.join("out").exists());
}

#[test]
fn a_store_of_another_version_or_none_at_all_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ingest(d, &[testdata("metrics/cancel").to_str().unwrap()], "store").success();
    let manifest = std::fs::read_to_string(d.join("store/manifest.json")).unwrap();
    std::fs::write(d.join("store/manifest.json"), manifest.replace("\"version\": 7,", "\"version\": 99,")).unwrap();
    let input = testdata("metrics/cancel");
    let input = input.to_str().unwrap();
    for args in [vec!["report", "--store", "store", "--out", "out"], vec!["ingest", input, "--store", "store"]] {
        orderhealth().current_dir(d).args(&args).assert().code(2).stderr(predicate::str::contains(
            "store: store format version 99 was written by another version of orderhealth; this one reads versions 4 to 7",
        ));
    }
    orderhealth()
        .current_dir(d)
        .args(["report", "--store", "nothing-here", "--out", "out"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nothing-here: no store here (make one with `orderhealth ingest"));
    // A file named as the store: said as such, by every command, and left as it was.
    std::fs::write(d.join("a-file"), "not a store").unwrap();
    for args in [
        vec!["report", "--store", "a-file", "--out", "out"],
        vec!["orders", "--store", "a-file", "--out", "out"],
        vec!["ingest", input, "--store", "a-file"],
    ] {
        orderhealth().current_dir(d).args(&args).assert().code(2).stderr(predicate::str::contains(
            "a-file: a file, not a store (a store is the directory `orderhealth ingest INPUT... --store DIR` makes)",
        ));
    }
    // A store named below a file: that file named.
    for args in
        [vec!["report", "--store", "a-file/store", "--out", "out"], vec!["ingest", input, "--store", "a-file/store"]]
    {
        orderhealth().current_dir(d).args(&args).assert().code(2).stderr(predicate::str::contains(
            "a-file/store: lies under a-file, which is a file, not a directory (a store is the directory",
        ));
    }
    assert_eq!(std::fs::read_to_string(d.join("a-file")).unwrap(), "not a store");
    // --out must not replace the store.
    std::fs::write(d.join("store/manifest.json"), manifest).unwrap();
    orderhealth()
        .current_dir(d)
        .args(["report", "--store", "store", "--out", "store"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("overlap: the reports would replace the store"));
    assert!(d.join("store/manifest.json").is_file());
}

/// An ingest killed at any moment leaves the store as before or as after; the next ingest
/// clears what it left and completes it.
#[test]
fn an_ingest_killed_midway_leaves_the_store_as_before_or_after() {
    let tmp = sample_dumps();
    let dir = tmp.path();
    let n = nights(dir);
    let (first, _) = n.split_at(n.len() / 2);
    ingest(dir, &first.iter().map(|s| s.as_str()).collect::<Vec<_>>(), "store").success();
    let before = report(dir, &["--store", "store"], "before");
    let bin = assert_cmd::cargo::cargo_bin("orderhealth");
    let mut outcomes = Vec::new();
    for delay_ms in [1u64, 5, 15, 40, 80] {
        let mut child = std::process::Command::new(&bin)
            .current_dir(dir)
            .args(["ingest", "dumps", "--store", "store"])
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let now = report(dir, &["--store", "store"], &format!("after-kill-{delay_ms}"));
        let as_before = now == before;
        outcomes.push(as_before);
        if !as_before {
            // Then it is the complete new state.
            assert_same(&now, &report(dir, &["dumps"], &format!("once-{delay_ms}")));
            break;
        }
    }
    // A killed ingest's leftovers (an unlisted batch and state, a half-written state and
    // manifest) are cleared.
    for leftover in ["batches/b999999", "state/b999999", "state/.b999999.tmp/shard=00"] {
        std::fs::create_dir_all(dir.join("store").join(leftover)).unwrap();
    }
    std::fs::write(dir.join("store/manifest.tmp"), "{").unwrap();
    ingest(dir, &["dumps"], "store").success();
    assert!(!dir.join("store/batches/b999999").exists());
    assert!(!dir.join("store/state/b999999").exists());
    assert!(!dir.join("store/state/.b999999.tmp").exists());
    assert!(!dir.join("store/manifest.tmp").exists());
    assert_same(&report(dir, &["--store", "store"], "completed"), &report(dir, &["dumps"], "once"));
    assert!(!outcomes.is_empty());
}

/// Two ingests at once: the second waits for the first; nothing is lost or torn.
#[test]
fn two_ingests_at_once_both_land() {
    let tmp = sample_dumps();
    let dir = tmp.path();
    let n = nights(dir);
    let (first, second) = n.split_at(n.len() / 2);
    let bin = assert_cmd::cargo::cargo_bin("orderhealth");
    let spawn = |nights: &[String]| {
        std::process::Command::new(&bin)
            .current_dir(dir)
            .arg("ingest")
            .args(nights)
            .args(["--store", "store"])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let a = spawn(first);
    let b = spawn(second);
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    assert_same(&report(dir, &["--store", "store"], "store-out"), &report(dir, &["dumps"], "once"));
}

/// A report reads the store under a shared lock: while an ingest holds the store it waits
/// (an ingest that writes a new base removes the state it replaced), then reads.
#[test]
fn a_report_waits_for_a_running_ingest() {
    use rustix::fs::{flock, FlockOperation};
    let tmp = sample_dumps();
    let dir = tmp.path();
    ingest(dir, &["dumps"], "store").success();
    let lock = std::fs::File::options().write(true).open(dir.join("store/lock")).unwrap();
    flock(&lock, FlockOperation::LockExclusive).unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("orderhealth"))
        .current_dir(dir)
        .args(["report", "--store", "store", "--format", "csv", "--out", "waited"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(child.try_wait().unwrap().is_none(), "the report did not wait for the lock");
    drop(lock);
    assert!(child.wait().unwrap().success());
    assert_same(&outputs(&dir.join("waited")), &report(dir, &["dumps"], "once"));
}

/// The settled orders' tallies of the store's base: `settled/<base>/<key>/settled.json` (their
/// total; each partition's is in `tallies.json` beside it).
fn settled_tallies(store: &Path) -> Vec<serde_json::Value> {
    let mut found = Vec::new();
    for base in std::fs::read_dir(store.join("settled")).unwrap() {
        for key in std::fs::read_dir(base.unwrap().path()).unwrap() {
            let file = key.unwrap().path().join("settled.json");
            found.push(serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap());
        }
    }
    found
}

fn settled_orders(tally: &serde_json::Value) -> u64 {
    tally["total"]["orders"].as_u64().unwrap()
}

/// The settled orders a later night touches in the sample, and the night: a seller
/// cancellation of `CANCELLED` after it shipped, a second confirmation of `BROKEN` with a
/// broken tracking number, the scans the unscanned package of order 100 lacked (delivered
/// on time: it was late, not delivered), and a delivery scan of order 8's package earlier than
/// its confirmation (on time before; now confirmed after the delivery, late: only the
/// watch list of settled packages with a promise finds it).
const CANCELLED: &str = "111-1000000-0000003";
const BROKEN: &str = "111-1000000-0000005";
/// Their rows of `late_deliveries` before the night.
const UNSCANNED_LATE: &str = "111-1000000-0000100,US,2026-02-15,UPS,1Z1D334C0313879924,,";
/// Order 8's package, late after the night: delivered 08:00Z, before its confirmation.
const DELIVERED_EARLY: &str = "111-1000000-0000008,US,2026-02-06,USPS,9400965014024324188316,2026-02-01T08:00:00Z,";

pub(crate) fn write_touching_night(night: &Path) {
    std::fs::create_dir_all(night).unwrap();
    std::fs::write(
        night.join("cancel-events.tsv"),
        format!("order-id\torder-item-id\tcancel-date\tinitiated-by\treason\n{CANCELLED}\t\t2026-03-01T09:00:00+00:00\tseller\tNoInventory\n"),
    )
    .unwrap();
    std::fs::write(
        night.join("shipping-confirmations.txt"),
        format!("order-id\torder-item-id\tquantity\tship-date\tcarrier-code\tcarrier-name\ttracking-number\tship-method\n{BROKEN}\t\t\t2026-02-02\tUPS\t\t1Z-NOT-A-NUMBER\tStandard\n"),
    )
    .unwrap();
    std::fs::write(
        night.join("carrier-scans.tsv"),
        "tracking-number\tscan-date\tscan-type\n1Z1D334C0313879924\t2026-02-11T10:00:00+00:00\taccepted\n\
         1Z1D334C0313879924\t2026-02-13T10:00:00+00:00\tdelivered\n\
         9400965014024324188316\t2026-02-01T08:00:00+00:00\tdelivered\n",
    )
    .unwrap();
}

/// Ingests after a new base until the next: the layers reach `MAX_LAYERS`, and the next
/// ingest folds them into a new base.
const NIGHTS_TO_A_NEW_BASE: usize = orderhealth::store::MAX_LAYERS + 1;

/// The sample's nights ingested at once into `store`, and a first report from it (`out-before`,
/// which writes the base's settled directory): the directory and that report's outputs.
fn sample_store_reported() -> (tempfile::TempDir, Vec<(String, Vec<u8>)>) {
    let tmp = sample_dumps();
    let n = nights(tmp.path());
    ingest(tmp.path(), &n.iter().map(|s| s.as_str()).collect::<Vec<_>>(), "store").success();
    let before = report(tmp.path(), &["--store", "store"], "out-before");
    (tmp, before)
}

/// Ingests a small night `night` (under `dir`): a buyer's cancellation of `order`.
fn ingest_buyer_cancellation(dir: &Path, night: &str, order: &str) {
    std::fs::create_dir_all(dir.join(night)).unwrap();
    std::fs::write(
        dir.join(night).join("cancel-events.tsv"),
        format!("order-id\torder-item-id\tcancel-date\tinitiated-by\treason\n{order}\t\t2026-03-01T09:00:00+00:00\tbuyer\tOther\n"),
    )
    .unwrap();
    ingest(dir, &[night], "store").success();
}

/// The text of output `name`.
fn text(files: &[(String, Vec<u8>)], name: &str) -> String {
    String::from_utf8(files.iter().find(|f| f.0 == name).unwrap().1.clone()).unwrap()
}

/// A report from a store counts the base's settled orders from their tallies; a later night
/// that touches settled orders (a seller cancellation after shipping, a second confirmation
/// with a broken tracking number, the scans a package lacked) takes them out of the tallies
/// and judges them again: the report still equals one read of every file, and shows the
/// three changes.
#[test]
fn settled_orders_a_later_night_touches_are_judged_again() {
    let (tmp, before) = sample_store_reported();
    let dir = tmp.path();
    let tallies = settled_tallies(&dir.join("store"));
    assert_eq!(tallies.len(), 1, "one settled directory: one base, one set of options");
    let settled = settled_orders(&tallies[0]);
    assert!(settled > 100, "most of the sample's orders are settled: {settled}");
    assert!(!text(&before, "cancellations.csv").contains(CANCELLED));
    assert!(!text(&before, "tracking_defects.csv").contains(BROKEN));
    let unscanned = "111-1000000-0000100,US,2026-02-10,UPS,1Z1D334C0313879924,no-scan,";
    assert!(text(&before, "tracking_defects.csv").contains(unscanned));
    assert!(text(&before, "late_deliveries.csv").contains(UNSCANNED_LATE));
    assert!(!text(&before, "late_deliveries.csv").contains("111-1000000-0000008,"));

    write_touching_night(&dir.join("dumps/zz-late"));
    ingest(dir, &["dumps/zz-late"], "store").success();
    assert_eq!(state_dirs(&dir.join("store")).len(), 2, "the night is a layer over the same base");
    let after = report(dir, &["--store", "store"], "out-after");
    assert_same(&after, &report(dir, &["dumps"], "out-once"));
    assert!(text(&after, "cancellations.csv").contains(CANCELLED), "the touched order is cancelled now");
    assert!(text(&after, "tracking_defects.csv").contains(BROKEN), "and the other has a defective package");
    assert!(!text(&after, "tracking_defects.csv").contains("111-1000000-0000100"), "the late scans made it valid");
    assert!(!text(&after, "late_deliveries.csv").contains(UNSCANNED_LATE), "and delivered on time");
    let late = text(&after, "late_deliveries.csv");
    assert!(late.contains(DELIVERED_EARLY) && late.contains("shipment confirmed after the delivery"), "{late}");
    // The base's settled directory was used as it was, not judged again.
    assert_eq!(settled_tallies(&dir.join("store")), tallies);
}

/// What cannot come from the settled tallies is read whole, with the same answer: a report
/// under `--as-of`, a night with catalog rows (categories can change); other options keep
/// their own settled directory; a damaged one is judged again; an ingest that makes a new base
/// drops the old base's and judges the new one under the same options.
#[test]
fn settled_tallies_stand_only_where_they_hold() {
    let tmp = sample_dumps();
    let dir = tmp.path();
    let n = nights(dir);
    let all: Vec<&str> = n.iter().map(|s| s.as_str()).collect();
    ingest(dir, &all, "store").success();
    let store = dir.join("store");
    let once = report(dir, &["dumps"], "once");
    assert_same(&report(dir, &["--store", "store"], "s1"), &once);
    // --as-of: judged as of another instant, read whole (and nothing new is written).
    let as_of = ["--as-of", "2026-02-20T00:00:00Z"];
    assert_same(
        &report(dir, &[&["--store", "store"][..], &as_of[..]].concat(), "s2"),
        &report(dir, &[&["dumps"][..], &as_of[..]].concat(), "o2"),
    );
    assert_eq!(settled_tallies(&store).len(), 1);
    // Another scan grace: a settled directory of its own, same answer as one read.
    let grace = ["--scan-grace-days", "9"];
    assert_same(
        &report(dir, &[&["--store", "store"][..], &grace[..]].concat(), "s3"),
        &report(dir, &[&["dumps"][..], &grace[..]].concat(), "o3"),
    );
    assert_eq!(settled_tallies(&store).len(), 2);
    // A damaged tally file is judged again.
    for base in std::fs::read_dir(store.join("settled")).unwrap() {
        for key in std::fs::read_dir(base.unwrap().path()).unwrap() {
            let file = key.unwrap().path().join("settled.json");
            let tally: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
            if tally["key"]["scan_grace_days"] == 7 {
                std::fs::write(file, b"{ not json").unwrap();
            }
        }
    }
    assert_same(&report(dir, &["--store", "store"], "s4"), &once);
    assert_eq!(settled_tallies(&store).len(), 2, "judged again");
    // One of another program version (or damaged) is removed by the next ingest.
    let base = state_dirs(&store)[0].clone();
    let stale = store.join("settled").join(&base).join("00000000000000ff");
    std::fs::create_dir_all(&stale).unwrap();
    std::fs::write(stale.join("settled.json"), br#"{"key": {"format": 1, "version": "0.0.1"}}"#).unwrap();
    // A night with a catalog: the base is read whole.
    std::fs::create_dir_all(dir.join("dumps/zz-catalog")).unwrap();
    std::fs::write(dir.join("dumps/zz-catalog/catalog.tsv"), "sku\tcategory\nSKU-01674\tGarden\n").unwrap();
    ingest(dir, &["dumps/zz-catalog"], "store").success();
    assert_eq!(state_dirs(&store).len(), 2);
    assert!(!stale.exists(), "the other version's settled directory is gone");
    assert_eq!(settled_tallies(&store).len(), 2, "this version's stay");
    assert_same(&report(dir, &["--store", "store"], "s5"), &report(dir, &["dumps"], "o5"));
    // A new base (the catalog's layer and the nights after it reach `MAX_LAYERS`) drops the old
    // settled directories with the old base.
    let old_base = state_dirs(&store)[0].clone();
    for i in 0..NIGHTS_TO_A_NEW_BASE - 1 {
        ingest_buyer_cancellation(dir, &format!("dumps/zz-more-{i}"), &format!("111-1000000-000000{i}"));
    }
    let new_base = state_dirs(&store)[0].clone();
    assert_ne!(new_base, old_base, "a new base after `MAX_LAYERS` layers");
    assert!(!store.join("settled").join(&old_base).exists());
    // The ingest judged the new base under both sets of options the reports used.
    let tallies = settled_tallies(&store);
    assert_eq!(tallies.len(), 2);
    assert!(tallies.iter().all(|t| t["key"]["base"] == new_base.as_str()));
    assert_same(&report(dir, &["--store", "store"], "s6"), &report(dir, &["dumps"], "o6"));
    assert_same(
        &report(dir, &[&["--store", "store"][..], &grace[..]].concat(), "s7"),
        &report(dir, &[&["dumps"][..], &grace[..]].concat(), "o7"),
    );
    assert_eq!(settled_tallies(&store), tallies, "the reports used them as the ingest wrote them");
}

/// Under `--tracking-basis ship` a report from a store has settled orders of its own (the basis
/// moves packages between days) and the bytes of one read under that basis; the sample's
/// promised dates make the two bases' `valid_tracking` differ.
#[test]
fn each_tracking_basis_has_its_own_settled_orders_and_one_reads_bytes() {
    let tmp = sample_dumps();
    let dir = tmp.path();
    let n = nights(dir);
    ingest(dir, &n.iter().map(|s| s.as_str()).collect::<Vec<_>>(), "store").success();
    let ship = ["--tracking-basis", "ship"];
    let promise_once = report(dir, &["dumps"], "o1");
    let ship_once = report(dir, &[&["dumps"][..], &ship[..]].concat(), "o2");
    assert_ne!(text(&promise_once, "valid_tracking.csv"), text(&ship_once, "valid_tracking.csv"));
    assert_eq!(text(&promise_once, "on_time_delivery.csv"), text(&ship_once, "on_time_delivery.csv"));
    for round in 0..2 {
        // The first round writes each basis' settled directory, the second reads it.
        assert_same(&report(dir, &["--store", "store"], &format!("s{round}p")), &promise_once);
        assert_same(&report(dir, &[&["--store", "store"][..], &ship[..]].concat(), &format!("s{round}s")), &ship_once);
    }
    let mut bases: Vec<String> = settled_tallies(&dir.join("store"))
        .iter()
        .map(|t| t["key"]["tracking_basis"].as_str().unwrap().to_string())
        .collect();
    bases.sort();
    assert_eq!(bases, ["promise", "ship"]);
}

/// A night after the sample's (`dumps/zz-later`, with `scans` when given) whose seller
/// cancellation of order 1 on 03-30 moves `as_of` past every package's scan grace, ingested
/// into `store` under `dir`: the report from the store, which is one read's bytes.
fn a_later_night(dir: &Path, scans: Option<&str>) -> Vec<(String, Vec<u8>)> {
    std::fs::create_dir_all(dir.join("dumps/zz-later")).unwrap();
    if let Some(scans) = scans {
        std::fs::write(dir.join("dumps/zz-later/carrier-scans.tsv"), scans).unwrap();
    }
    std::fs::write(
        dir.join("dumps/zz-later/cancel-events.tsv"),
        "order-id\torder-item-id\tcancel-date\tinitiated-by\treason\n\
         111-1000000-0000001\t\t2026-03-30T09:00:00+00:00\tseller\tNoInventory\n",
    )
    .unwrap();
    ingest(dir, &["dumps/zz-later"], "store").success();
    let after = report(dir, &["--store", "store"], "out-after");
    assert_same(&after, &report(dir, &["dumps"], "out-once"));
    after
}

/// The scans of the live orders' packages are read from the settled directory, as they were
/// when the base was judged, and a later night's scans of those packages add to them. The
/// young second package of order 475 (USD: valid with two scans and a delivery) has its first
/// scan when the store is reported on, so it stays live with one scan; a later night delivers
/// it (and every other package scanned but not delivered) and moves `as_of` past the scan
/// grace: the package is valid, as in one read, only if its first scan was kept.
#[test]
fn a_later_night_s_scans_add_to_the_live_packages_scans_the_settled_directory_keeps() {
    let tmp = sample_dumps();
    let dir = tmp.path();
    const YOUNG: &str = "TBA900000000001";
    std::fs::write(
        dir.join("dumps/2026-03-16/zz-first-scan.tsv"),
        format!("tracking-number\tscan-date\tscan-type\n{YOUNG}\t2026-03-15T10:00:00+00:00\taccepted\n"),
    )
    .unwrap();
    let n = nights(dir);
    ingest(dir, &n.iter().map(|s| s.as_str()).collect::<Vec<_>>(), "store").success();
    report(dir, &["--store", "store"], "out-before");
    let tallies = settled_tallies(&dir.join("store"));

    let scans: Vec<String> =
        n.iter().filter_map(|night| std::fs::read_to_string(dir.join(night).join("carrier-scans.tsv")).ok()).collect();
    let number = |line: &str| line.split('\t').next().unwrap_or("").to_string();
    let delivered: std::collections::BTreeSet<String> =
        scans.iter().flat_map(|t| t.lines().filter(|l| l.ends_with("\tdelivered")).map(number)).collect();
    let mut awaiting: std::collections::BTreeSet<String> =
        scans.iter().flat_map(|t| t.lines().skip(1).map(number)).filter(|n| !delivered.contains(n)).collect();
    awaiting.insert(YOUNG.to_string());
    let mut night = String::from("tracking-number\tscan-date\tscan-type\n");
    for number in &awaiting {
        night.push_str(&format!("{number}\t2026-03-16T20:00:00+00:00\tdelivered\n"));
    }
    let after = a_later_night(dir, Some(&night));
    assert_eq!(settled_tallies(&dir.join("store")), tallies, "the settled directory was used as it was");
    let defects = text(&after, "tracking_defects.csv");
    assert!(!defects.contains(YOUNG), "two scans and a delivery: valid\n{defects}");
}

/// A package younger than the scan grace is settled when its scans already pass (scans only
/// accumulate), and left live when they do not: a later night that moves `as_of` past the
/// grace finds the unscanned young packages without scans (`no-scan`), as one read does,
/// while the settled directory is used as it was.
#[test]
fn young_packages_settle_once_their_scans_pass_and_unscanned_ones_stay_live() {
    let (tmp, before) = sample_store_reported();
    let dir = tmp.path();
    let tallies = settled_tallies(&dir.join("store"));
    // Ship days (UTC day numbers) younger than the 7-day grace in every marketplace's zone.
    const DAY: u64 = 86_400_000_000;
    let as_of_day = tallies[0]["as_of"].as_u64().unwrap() / DAY;
    let young_settled: Vec<u64> = tallies[0]["total"]["daily"]["tracking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["day"].as_u64().unwrap())
        .filter(|&d| d + 6 > as_of_day)
        .collect();
    assert!(!young_settled.is_empty(), "packages with their scans settle inside the grace (as of day {as_of_day})");

    let no_scan = |files: &[(String, Vec<u8>)]| -> Vec<String> {
        let defects = &files.iter().find(|f| f.0 == "tracking_defects.csv").unwrap().1;
        String::from_utf8_lossy(defects).lines().filter(|l| l.contains(",no-scan,")).map(str::to_string).collect()
    };
    let after = a_later_night(dir, None);
    let newly: Vec<String> = no_scan(&after).into_iter().filter(|l| !no_scan(&before).contains(l)).collect();
    assert_eq!(
        newly,
        ["111-1000000-0000475,US,2026-03-12,AMZL,TBA900000000001,no-scan,"],
        "the young packages without scans were left live and are judged past the grace now"
    );
    assert_eq!(settled_tallies(&dir.join("store")), tallies, "the settled directory was used as it was");
}

/// A new base takes the old base's settled orders over instead of judging them again, less
/// those the layers touched (a seller cancellation after shipping, a broken second
/// confirmation, the scans an unscanned package lacked): those leave the tally as it counted
/// them and are judged with the rest. Every report equals one read of the same files.
#[test]
fn a_new_base_carries_the_settled_orders_over_less_the_touched_ones() {
    let (tmp, _) = sample_store_reported();
    let dir = tmp.path();
    let store = dir.join("store");
    let old_base = state_dirs(&store)[0].clone();
    write_touching_night(&dir.join("dumps/zz-0"));
    ingest(dir, &["dumps/zz-0"], "store").success();
    // More small nights: with `MAX_LAYERS` layers, the next ingest folds everything into a new base.
    for i in 1..NIGHTS_TO_A_NEW_BASE {
        ingest_buyer_cancellation(dir, &format!("dumps/zz-{i}"), &format!("111-1000000-000001{i}"));
    }
    let new_base = state_dirs(&store)[0].clone();
    assert_ne!(new_base, old_base, "a new base after `MAX_LAYERS` layers");
    let tallies = settled_tallies(&store);
    assert_eq!(tallies.len(), 1);
    assert_eq!(tallies[0]["carried_from"], old_base.as_str(), "the old base's settled orders were taken over");
    let after = report(dir, &["--store", "store"], "out-after");
    assert_same(&after, &report(dir, &["dumps"], "out-once"));
    assert!(text(&after, "cancellations.csv").contains(CANCELLED), "the touched order is cancelled now");
    assert!(text(&after, "tracking_defects.csv").contains(BROKEN), "and the other has a defective package");
    assert!(!text(&after, "tracking_defects.csv").contains("111-1000000-0000100"), "the late scans made it valid");
    assert!(!text(&after, "late_deliveries.csv").contains(UNSCANNED_LATE), "and delivered on time");
    let late = text(&after, "late_deliveries.csv");
    assert!(late.contains(DELIVERED_EARLY) && late.contains("shipment confirmed after the delivery"), "{late}");
    assert_eq!(settled_tallies(&store), tallies, "the report used the new base's settled orders as written");
}

/// A new base folded from the settled directory of the one before holds only the orders that
/// were not settled (or that a later night touched) and stands on the old one, which keeps
/// the settled orders; a report, `orders`, an earlier `--as-of` and a partition's result
/// read each order from the newest segment that holds it and give one read's bytes. Settled
/// orders in an older segment touched later are found there. Without a settled directory the
/// next new base is written whole and stands on nothing; the older segments go.
#[test]
fn a_base_stands_on_older_segments_and_every_read_gives_one_reads_bytes() {
    let (tmp, _) = sample_store_reported();
    let dir = tmp.path();
    let store = dir.join("store");
    let first_base = state_dirs(&store)[0].clone();
    let check = |label: &str| {
        assert_same(
            &report(dir, &["--store", "store"], &format!("s-{label}")),
            &report(dir, &["dumps"], &format!("o-{label}")),
        );
        let early = ["--as-of", "2026-03-01T00:00:00Z"];
        assert_same(
            &report(dir, &[&["--store", "store"][..], &early].concat(), &format!("se-{label}")),
            &report(dir, &[&["dumps"][..], &early].concat(), &format!("oe-{label}")),
        );
        for (args, out) in [(vec!["--store", "store"], format!("os-{label}")), (vec!["dumps"], format!("oo-{label}"))] {
            orderhealth()
                .current_dir(dir)
                .arg("orders")
                .args(&args)
                .args(["--format", "csv", "--out", &out])
                .assert()
                .success();
        }
        assert_eq!(
            std::fs::read(dir.join(format!("os-{label}/orders.csv"))).unwrap(),
            std::fs::read(dir.join(format!("oo-{label}/orders.csv"))).unwrap(),
            "orders --store after {label}"
        );
        // Every partition's result, summed: `report --store`'s bytes.
        for p in 0..16 {
            orderhealth()
                .current_dir(dir)
                .args(["partition", "--store", "store", "--shard", &p.to_string(), "--out"])
                .arg(format!("parts-{label}/p{p:02}"))
                .assert()
                .success();
        }
        orderhealth()
            .current_dir(dir)
            .args(["report", "--store", "store", "--format", "csv", "--from-parts", &format!("parts-{label}")])
            .args(["--out", &format!("sp-{label}")])
            .assert()
            .success();
        assert_same(&outputs(&dir.join(format!("sp-{label}"))), &outputs(&dir.join(format!("s-{label}"))));
    };
    // Four small nights (each reported on): the fourth folds a new base from the settled
    // directory, standing on the first base.
    for i in 1..=NIGHTS_TO_A_NEW_BASE {
        ingest_buyer_cancellation(dir, &format!("dumps/za-{i}"), &format!("111-1000000-00002{i:02}"));
        report(dir, &["--store", "store"], &format!("nightly-a{i}"));
    }
    assert_eq!(listed(&store, "older"), std::slice::from_ref(&first_base), "the new base stands on the first one");
    let second_base = state_dirs(&store)[0].clone();
    let count = |d: &str| orders_held(&store, d);
    assert!(count(&second_base) * 2 < count(&first_base), "the new base holds the orders not settled, not every order");
    // And only the scans added since the first base: these nights added none.
    let scans_files = |d: &str| -> usize {
        std::fs::read_dir(store.join("state").join(d))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().join("scans.parquet").exists())
            .count()
    };
    assert!(scans_files(&first_base) > 2, "the sample has scans");
    assert_eq!(scans_files(&second_base), 0, "no night since added a scan");
    assert!(!store.join("settled").join(&first_base).exists(), "the replaced base's settled directory went");
    // Set aside by the commit, for the next ingest to remove.
    let replaced = store.join("replaced");
    assert!(replaced.join(format!("settled-{first_base}")).is_dir(), "the replaced settled directory, set aside");
    check("segment");
    // What a killed ingest left half removed (renamed, not yet gone) goes too.
    let removing = store.join("replaced.removing");
    std::fs::create_dir_all(removing.join("state-b999999/shard=00")).unwrap();
    std::fs::write(removing.join("state-b999999/shard=00/orders.parquet"), b"half removed").unwrap();
    // A night touching settled orders that only the first base holds, then a second new base.
    write_touching_night(&dir.join("dumps/zb-0"));
    ingest(dir, &["dumps/zb-0"], "store").success();
    assert!(!replaced.exists(), "the next ingest removed what the new base replaced");
    assert!(!removing.exists(), "and what a killed ingest was removing");
    check("touched");
    for i in 1..NIGHTS_TO_A_NEW_BASE {
        ingest_buyer_cancellation(dir, &format!("dumps/zb-{i}"), &format!("111-1000000-00003{i:02}"));
        report(dir, &["--store", "store"], &format!("nightly-b{i}"));
    }
    assert_eq!(listed(&store, "older"), [second_base.clone(), first_base.clone()], "two segments below the base");
    // The touching night scanned two numbers: the third base keeps those alone.
    assert_eq!(scans_files(&state_dirs(&store)[0]), 2, "the scans of two numbers, in their partitions");
    let after = report(dir, &["--store", "store"], "out-two");
    assert!(text(&after, "cancellations.csv").contains(CANCELLED), "the touched order is cancelled now");
    assert!(text(&after, "tracking_defects.csv").contains(BROKEN), "and the other has a defective package");
    check("two");
    // No settled directory: the next new base is every order, written whole.
    std::fs::remove_dir_all(store.join("settled")).unwrap();
    for i in 1..=NIGHTS_TO_A_NEW_BASE {
        ingest_buyer_cancellation(dir, &format!("dumps/zc-{i}"), &format!("111-1000000-00004{i:02}"));
    }
    assert!(listed(&store, "older").is_empty(), "{:?}", listed(&store, "older"));
    let mut on_disk: Vec<String> = std::fs::read_dir(store.join("state"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    assert_eq!(on_disk, state_dirs(&store), "the older segments went with the base that stood on them");
    check("whole");
}

/// After `MAX_SEGMENTS` older segments (about a hundred nights with a new base every third),
/// the next new base is written whole: it holds every order again, and the settled orders it
/// carries over are neither judged again nor among its live states. Its settled directory
/// kept them as live as well before (settled format 5), and every report from that night on
/// counted each of them twice (found by a year of nightly dumps, docs/BENCHMARKS.md). A
/// hundred nights of generated dumps as the nightly job in one command: the night the base is
/// written whole, the night after it (its settled directory read back) and the last night
/// each give one read's bytes, and the next new base holds the orders not settled, not every
/// order.
#[test]
fn a_base_written_whole_after_many_segments_counts_each_order_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    orderhealth()
        .current_dir(dir)
        .args(["generate", "--orders", "2000", "--days", "100", "--seed", "3", "--all-utf8", "--out", "dumps"])
        .assert()
        .success();
    let store = dir.join("store");
    let nights = nights(dir);
    let mut whole: Option<(usize, String)> = None;
    let mut next_base_checked = false;
    for (i, night) in nights.iter().enumerate() {
        let before = if i == 0 { 0 } else { listed(&store, "older").len() };
        let nightly = report(dir, &["--store", "store", night], &format!("nightly-{i}"));
        let state = state_dirs(&store);
        let base = state[0].clone();
        let written_whole = before == orderhealth::store::MAX_SEGMENTS && listed(&store, "older").is_empty();
        if written_whole {
            whole = Some((i, base.clone()));
        }
        let Some((at, whole_base)) = &whole else { continue };
        if i == *at || i == at + 1 || i + 1 == nights.len() {
            let so_far: Vec<&str> = nights[..=i].iter().map(|s| s.as_str()).collect();
            assert_same(&nightly, &report(dir, &so_far, &format!("once-{i}")));
        }
        if !next_base_checked && i > *at && base != *whole_base && state.len() == 1 {
            assert!(
                orders_held(&store, &base) * 2 < orders_held(&store, whole_base),
                "the first new base after the whole one holds the orders not settled, not every order"
            );
            next_base_checked = true;
        }
    }
    assert!(whole.is_some(), "a base was written whole after {} older segments", orderhealth::store::MAX_SEGMENTS);
    assert!(next_base_checked, "a new base followed it");
    assert_same(&report(dir, &["--store", "store"], "store-last"), &report(dir, &["dumps"], "once-all"));
}

/// The number of orders the manifest says the state directory `d` (a base, a layer or an
/// older segment) holds.
fn orders_held(store: &Path, d: &str) -> u64 {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(store.join("manifest.json")).unwrap()).unwrap();
    let all =
        [manifest["state"].as_array().unwrap().clone(), manifest["older"].as_array().cloned().unwrap_or_default()]
            .concat();
    all.iter().find(|s| s["dir"] == d).unwrap()["orders"].as_u64().unwrap()
}

/// A nightly job that pins the date (`--as-of`) still reports from the settled orders when
/// the date is at or after the instant they were judged; an earlier date reads every order
/// (and writes no settled directory). Each gives one read's bytes.
#[test]
fn settled_orders_stand_for_a_later_as_of_and_an_earlier_one_reads_everything() {
    let dir = sample_dumps();
    let d = dir.path();
    ingest(d, &["dumps"], "store").success();
    let store = d.join("store");
    fn with<'a>(args: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
        [args, more].concat()
    }
    // The sample's newest observation is 2026-03-12: an earlier instant reads every order.
    let early = ["--as-of", "2026-03-01T00:00:00Z"];
    let early_once = report(d, &with(&["dumps"], &early), "o1");
    assert_same(&report(d, &with(&["--store", "store"], &early), "s1"), &early_once);
    assert!(
        !store.join("settled").exists() || settled_tallies(&store).is_empty(),
        "no settled directory judged for an earlier instant"
    );
    // A later one: the settled orders are judged (as of the newest observation) and stand in.
    let late = ["--as-of", "2026-03-20T00:00:00Z"];
    assert_same(&report(d, &with(&["--store", "store"], &late), "s2"), &report(d, &with(&["dumps"], &late), "o2"));
    let tallies = settled_tallies(&store);
    assert_eq!(tallies.len(), 1);
    assert!(settled_orders(&tallies[0]) > 100, "most of the sample's orders are settled");
    // The same directory serves the default instant and another later one; an earlier
    // instant still reads every order.
    assert_same(&report(d, &["--store", "store"], "s3"), &report(d, &["dumps"], "o3"));
    let later = ["--as-of", "2026-04-30T00:00:00Z"];
    assert_same(&report(d, &with(&["--store", "store"], &later), "s4"), &report(d, &with(&["dumps"], &later), "o4"));
    assert_same(&report(d, &with(&["--store", "store"], &early), "s5"), &early_once);
    assert_eq!(settled_tallies(&store), tallies, "one settled directory, used as written");
}

/// An ingest over every night reads only the files it has not seen where they are: a file
/// found again at its path with the same size and modification time is not read (so bytes
/// changed behind the store's back, the time put back, go unnoticed: the store trusts the
/// file system's time), and a file whose time changed is hashed again.
#[test]
fn an_ingest_reads_only_files_new_or_changed_since_it_last_saw_them() {
    let dir = sample_dumps();
    let d = dir.path();
    ingest(d, &["dumps"], "store").success();
    let file = d.join("dumps/2026-02-01/all-orders-NA.txt");
    let text = std::fs::read_to_string(&file).unwrap();
    let when = std::fs::metadata(&file).unwrap().modified().unwrap();
    // Other bytes of the same size (a status changed), the time put back: not read again.
    let changed = text.replacen("\tShipped\t", "\tPending\t", 1);
    assert_ne!(changed, text);
    assert_eq!(changed.len(), text.len());
    std::fs::write(&file, &changed).unwrap();
    std::fs::File::options().write(true).open(&file).unwrap().set_modified(when).unwrap();
    ingest(d, &["dumps"], "store").success().stderr(predicate::str::contains("ingested 0 new files (0 rows read"));
    // Its time moved on: hashed again, and its new bytes are a new file.
    let later = when + std::time::Duration::from_secs(60);
    std::fs::File::options().write(true).open(&file).unwrap().set_modified(later).unwrap();
    ingest(d, &["dumps"], "store").success().stderr(predicate::str::contains("ingested 1 new file ("));
    // A renamed copy of a stored file is hashed (its path is new) and found already stored.
    std::fs::copy(d.join("dumps/2026-02-02/all-orders-NA.txt"), d.join("dumps/2026-02-02/copy.txt")).unwrap();
    orderhealth()
        .current_dir(d)
        .args(["ingest", "dumps", "--store", "store", "--verbose"])
        .assert()
        .success()
        .stderr(predicate::str::contains("ingested 0 new files"))
        .stderr(predicate::str::contains("copy.txt (same bytes as dumps/2026-02-02/all-orders-NA.txt)"));
}

/// A night's new files are hashed as they are read, on the bet that each is new: copies among
/// them (of a stored file, or of another file of the night) are found once every content is
/// known and left out, and the night is read again without them. The store then reports what
/// one read of the distinct files gives.
#[test]
fn copies_found_as_a_night_is_read_are_left_out() {
    let dir = sample_dumps();
    let d = dir.path();
    ingest(d, &["dumps/2026-02-01"], "store").success();
    std::fs::create_dir(d.join("night")).unwrap();
    let originals = ["night/all-orders-NA.txt", "night/unshipped-EU.txt"];
    for name in originals {
        let file = name.trim_start_matches("night/");
        std::fs::copy(d.join("dumps/2026-02-02").join(file), d.join(name)).unwrap();
    }
    // Found after their originals (path order), so the originals are the ones kept.
    std::fs::copy(d.join("dumps/2026-02-01/all-orders-NA.txt"), d.join("night/x-stored-copy.txt")).unwrap();
    std::fs::copy(d.join("night/all-orders-NA.txt"), d.join("night/y-copy.txt")).unwrap();
    ingest(d, &["night"], "store")
        .success()
        .stderr(predicate::str::starts_with("ingested 2 new files ("))
        .stderr(predicate::str::contains("2 files already in the store"))
        .stderr(predicate::str::contains(
            "already in the store: night/x-stored-copy.txt (same bytes as dumps/2026-02-01/all-orders-NA.txt)",
        ))
        .stderr(predicate::str::contains(
            "already in the store: night/y-copy.txt (same bytes as night/all-orders-NA.txt)",
        ));
    let mut once = vec!["dumps/2026-02-01"];
    once.extend(originals);
    assert_same(&report(d, &["--store", "store"], "from-store"), &report(d, &once, "once"));
    // Seen, with their contents: nothing is read the next time.
    ingest(d, &["night"], "store").success().stderr(predicate::str::starts_with("ingested 0 new files (0 rows read"));
}

/// SP-API JSON is ingested like any input: a report from the store equals one read of the
/// same files, byte for byte (rejected records and the skipped error response included).
#[test]
fn a_store_fed_sp_api_json_gives_one_reads_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    copy_dir(&testdata("sp-api"), &dir.join("json"));
    let nights = ["json/amazon", "json/bad"];
    for night in nights {
        ingest(dir, &[night], "store").success();
    }
    let from_store = report(dir, &["--store", "store", "--as-of", "2026-03-20T00:00:00Z"], "out-store");
    let at_once = report(dir, &["json/amazon", "json/bad", "--as-of", "2026-03-20T00:00:00Z"], "out-once");
    assert_same(&from_store, &at_once);
    let summary = text(&from_store, "summary.json");
    assert!(summary.contains("\"kind\": \"sp-api-orders\"") && summary.contains("v0-error.json"), "{summary}");
    assert!(text(&from_store, "rejected.tsv")
        .contains("json/bad/export.jsonl\t4\tsp-api-orders\tOrderItems[0].QuantityOrdered: not an integer: two"));
}
