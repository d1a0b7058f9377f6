//! `orderhealth cancel-feed` as a seller runs it, on testdata/feed (make_fixtures.py, `feed`):
//! the feed's rows and reasons, the refusals, the impact on the cancel rate computed by hand,
//! and the round trip through the reader.
//!
//! The UK in testdata/feed: 41 open MFN orders bought 2026-03-10 (F-UK-01..39, F-A with items
//! 501 and 502, F-B with item 503 whose buyer asked to cancel), plus F-F (AFN). As of the
//! newest observation, 2026-03-11T12:00Z, the UK's current window is 03-05 .. 03-11.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(rel)
}

fn orderhealth() -> Command {
    Command::cargo_bin("orderhealth").unwrap()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn listed_feed(dir: &Path) -> (PathBuf, assert_cmd::assert::Assert) {
    let feed = dir.join("feed.txt");
    let assert = orderhealth()
        .args(["cancel-feed", testdata("feed").to_str().unwrap(), "--orders"])
        .arg(testdata("feed-orders.txt"))
        .arg("--out")
        .arg(&feed)
        .assert();
    (feed, assert)
}

#[test]
fn a_listed_feed_gives_buyer_canceled_only_to_the_buyers_request_one_row_per_item() {
    let dir = tempfile::tempdir().unwrap();
    let (feed, assert) = listed_feed(dir.path());
    assert.success();
    assert_eq!(
        read(&feed),
        "TemplateType=OrderCancellation\tVersion=1.0\n\
         order-id\tcancellation-reason-code\tamazon-order-item-code\n\
         F-A\tNoInventory\t501\n\
         F-A\tNoInventory\t502\n\
         F-B\tBuyerCanceled\t503\n"
    );
}

#[test]
fn every_refused_order_is_listed_with_why_on_stderr_and_beside_the_feed() {
    let dir = tempfile::tempdir().unwrap();
    let (_, assert) = listed_feed(dir.path());
    // The list names F-A twice (written once) and F-G, which no input knows.
    assert.success().stderr(
        "warning: 6 orders not in the feed:\n  \
         F-C: already shipped (or partly): a shipped order cannot be cancelled by feed\n  \
         F-D: already cancelled\n  \
         F-E: Pending: payment not yet authorised; Amazon cancels it if payment fails, and it does not count\n  \
         F-F: fulfilled by Amazon (AFN): Amazon cancels or ships it, not your feed\n  \
         F-G: not in the inputs: no order report names this order id\n  \
         F-H: no order-item-id in any snapshot (all-orders reports have none): add a new-orders or unshipped report\n",
    );
    let refused = read(&dir.path().join("feed.refused.tsv"));
    let rows: Vec<(&str, &str)> = refused
        .lines()
        .map(|l| {
            let mut f = l.split('\t');
            (f.next().unwrap(), f.next().unwrap())
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("order_id", "refusal"),
            ("F-C", "shipped"),
            ("F-D", "cancelled"),
            ("F-E", "pending"),
            ("F-F", "afn"),
            ("F-G", "unknown"),
            ("F-H", "no-item-id"),
        ]
    );
}

#[test]
fn the_impact_is_printed_and_written_and_crossing_the_limit_is_a_loud_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (feed, assert) = listed_feed(dir.path());
    // Before: 0 cancelled of 41 orders. After: F-A is the seller's cancellation (counts),
    // F-B the buyer's (leaves the denominator): 1 / 40 = 2.50 %, BAD (40 × 1 ≥ 40).
    // The windows holding 03-10 up to as_of's day: ending 03-10 and 03-11, both turned BAD.
    let expected = format!(
        "Feed {feed}: 3 rows for 2 orders (reason NoInventory); upload it in Seller Central \
         (Orders > Upload order related files) or as feed type POST_FLAT_FILE_ORDER_ACKNOWLEDGEMENT_DATA\n\
         Cancellation rate (limit < 2.5%) if the feed is applied:\n  \
         UK  current window 2026-03-05 .. 2026-03-11: 0.00% (0/41) GOOD -> 2.50% (1/40) BAD  \
         (1 against you, 1 buyer-requested and excluded)\n\
         WARNING: UK's current cancellation rate turns BAD with this feed (0.00% (0/41) GOOD -> 2.50% (1/40) BAD)\n\
         WARNING: in UK the feed also turns 1 earlier 7-day window BAD (ending 2026-03-10 .. 2026-03-10; see cancel_feed_impact.json)\n\
         wrote {refused}\n\
         wrote {impact}\n\
         wrote {feed}\n",
        feed = feed.display(),
        refused = dir.path().join("feed.refused.tsv").display(),
        impact = dir.path().join("cancel_feed_impact.json").display(),
    );
    assert.success().stdout(expected);
    let impact: serde_json::Value = serde_json::from_str(&read(&dir.path().join("cancel_feed_impact.json"))).unwrap();
    assert_eq!(impact["as_of"], "2026-03-11T12:00:00Z");
    assert_eq!(
        (impact["orders"].as_u64(), impact["rows"].as_u64(), impact["refused"].as_u64()),
        (Some(2), Some(3), Some(6))
    );
    let uk = &impact["marketplaces"]["UK"];
    assert_eq!(uk["seller_cancellations"], 1);
    assert_eq!(uk["buyer_requested"], 1);
    let (before, after) = (&uk["current"]["before"], &uk["current"]["after"]);
    assert_eq!((&before["orders"], &before["cancelled"], &before["status"]), (&41.into(), &0.into(), &"GOOD".into()));
    assert_eq!((&after["orders"], &after["cancelled"], &after["status"]), (&40.into(), &1.into(), &"BAD".into()));
    assert_eq!(after["rate"], 0.025);
    let turned: Vec<&str> = uk["windows_turned_bad"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["after"]["window_end"].as_str().unwrap())
        .collect();
    assert_eq!(turned, ["2026-03-10", "2026-03-11"]);
    // No US order is in the feed: no US entry.
    assert!(impact["marketplaces"].get("US").is_none());
}

#[test]
fn the_feed_reads_back_as_a_cancellation_feed_and_the_report_then_shows_the_predicted_rate() {
    let dir = tempfile::tempdir().unwrap();
    let (feed, assert) = listed_feed(dir.path());
    assert.success();
    // After the upload: the inputs, the feed, and the next all-orders dump that shows F-A and
    // F-B cancelled (03-11 13:00, still the UK's 03-11).
    let inputs = dir.path().join("after");
    std::fs::create_dir(&inputs).unwrap();
    for name in ["all-orders.txt", "unshipped.txt"] {
        std::fs::copy(testdata("feed").join(name), inputs.join(name)).unwrap();
    }
    std::fs::copy(&feed, inputs.join("feed-uploaded.txt")).unwrap();
    let header = read(&testdata("feed/all-orders.txt")).lines().next().unwrap().to_string();
    let cancelled: Vec<String> = read(&testdata("feed/all-orders.txt"))
        .lines()
        .filter(|l| l.starts_with("F-A\t") || l.starts_with("F-B\t"))
        .map(|l| {
            l.replace("\t2026-03-10T10:00:00+00:00\tUnshipped\t", "\t2026-03-11T13:00:00+00:00\tCancelled\t")
                .replace("\tUnshipped\t1\t", "\tCancelled\t1\t")
        })
        .collect();
    assert_eq!(cancelled.len(), 2);
    std::fs::write(inputs.join("all-orders-next.txt"), format!("{header}\n{}\n", cancelled.join("\n"))).unwrap();

    let out = dir.path().join("out");
    orderhealth()
        .args(["report", inputs.to_str().unwrap(), "--format", "csv", "--out", out.to_str().unwrap()])
        .assert()
        .success();
    let summary: serde_json::Value = serde_json::from_str(&read(&out.join("summary.json"))).unwrap();
    let feed_file = summary["inputs"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("feed-uploaded.txt"))
        .expect("the feed is an input");
    assert_eq!(feed_file["kind"], "cancel-feed");
    assert_eq!((feed_file["rows_read"].as_u64(), feed_file["rows_rejected"].as_u64()), (Some(3), Some(0)));
    // What cancel-feed predicted: 1 / 40, BAD.
    let uk = &summary["current"]["UK"]["cancel_rate"];
    assert_eq!((&uk["orders"], &uk["cancelled"], &uk["status"]), (&40.into(), &1.into(), &"BAD".into()));
    // F-A: the seller's (rule 2, a feed row) with NoInventory; F-B: the buyer's (rule 1).
    let cancellations = read(&out.join("cancellations.csv"));
    let row = |id: &str| cancellations.lines().find(|l| l.contains(id)).unwrap_or_else(|| panic!("{id}")).to_string();
    assert!(row("F-A").contains(",seller,2,true,") && row("F-A").contains("NoInventory"), "{}", row("F-A"));
    assert!(row("F-B").contains(",buyer,1,false,") && row("F-B").contains("BuyerCanceled"), "{}", row("F-B"));
}

#[test]
fn overdue_and_at_risk_select_from_auto_cancel_by_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let run = |flag: &str, as_of: &str| {
        let feed = dir.path().join(format!("{flag}-{as_of}.txt"));
        let assert = orderhealth()
            .args(["cancel-feed", testdata("feed").to_str().unwrap(), flag, "--as-of", as_of, "--out"])
            .arg(&feed)
            .assert();
        (feed, assert)
    };
    // days30: F-A and F-B are due 03-14 (promise-date) + 30 d = 04-13T00:00Z; the F-UK orders
    // (no ship date: purchase 03-10T10:00 + 30 d = 04-09T10:00Z) have no item id and are refused.
    // As of 04-08 nothing is overdue; F-A and F-B are at risk (5 days left < 7).
    let (feed, assert) = run("--overdue", "2026-04-08T00:00:00Z");
    assert.code(1).stdout(predicate::str::starts_with("No order could be written: no feed written.\n"));
    assert!(!feed.exists());
    let (feed, assert) = run("--at-risk", "2026-04-08T00:00:00Z");
    assert.success();
    let rows: Vec<String> =
        read(&feed).lines().skip(2).map(|l| l.split('\t').take(2).collect::<Vec<_>>().join(" ")).collect();
    assert_eq!(rows, ["F-A NoInventory", "F-A NoInventory", "F-B BuyerCanceled"]);
    // As of 04-13 exactly, F-A and F-B are overdue (as_of = deadline), and so are the 39 F-UK
    // orders and the US F-H (due 04-09T10:00Z, listed first), refused for want of an item id.
    let (feed, assert) = run("--overdue", "2026-04-13T00:00:00Z");
    assert.success().stderr(predicate::str::contains("warning: 40 orders not in the feed:\n  F-H: no order-item-id"));
    assert_eq!(read(&feed).lines().count(), 5);
}

#[test]
fn bad_reasons_and_selections_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.txt");
    let base = || {
        let mut c = orderhealth();
        c.args(["cancel-feed", testdata("feed").to_str().unwrap(), "--overdue", "--out"]).arg(&feed);
        c
    };
    base()
        .args(["--reason", "BuyerCanceled"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--reason BuyerCanceled is refused: it is only for orders whose buyer asked"));
    base()
        .args(["--reason", "OutOfStock"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not an Amazon cancellation reason code; one of: NoInventory,"));
    // Exactly one selection.
    base().arg("--at-risk").assert().code(2).stderr(predicate::str::contains("cannot be used with"));
    orderhealth().args(["cancel-feed", testdata("feed").to_str().unwrap(), "--out"]).arg(&feed).assert().code(2);
    // The feed is one file, not a directory.
    orderhealth()
        .args(["cancel-feed", testdata("feed").to_str().unwrap(), "--overdue", "--out"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a directory: name the feed file"));
    assert!(!feed.exists());
    // --help lists the reason codes.
    orderhealth()
        .args(["cancel-feed", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("MerchandiseNotReceived, PricingError"));
}
