//! Orders from the SP-API (SPEC §1.6): Amazon's own example responses (testdata/sp-api/amazon,
//! from the public amzn/selling-partner-api-models repository), bad records and hostile files
//! (testdata/make_fixtures.py `sp_api`), with what each must give written by hand.

use crate::common::*;
use orderhealth_core::read::json::Parts;
use orderhealth_core::{FileKind, InputError, ReadOptions, Status, ViewOptions};

/// v0: a getOrders page, a getOrder response and a getOrderItems page of the same order, and
/// an error response. The items (given apart) join the order; the error response is skipped.
#[test]
fn amazons_v0_examples_read_as_their_orders() {
    let (loaded, v) = load_view(&[testdata("sp-api/amazon")], &ReadOptions::default(), &ViewOptions::default());
    assert!(loaded.files.iter().all(|f| f.kind == FileKind::SpApiOrders));
    let skipped: Vec<(&str, &str)> =
        loaded.skipped.iter().map(|s| (s.path.rsplit('/').next().unwrap(), s.reason.as_str())).collect();
    assert_eq!(
        skipped,
        [("v0-error.json", "not a recognised input: an SP-API error response (an `errors` array and no orders)")]
    );
    let o = order(&v, "902-1845936-5435065");
    assert_eq!((o.status.clone(), o.marketplace().unwrap().code()), (Status::Unshipped, "US"));
    assert_eq!(o.purchase_ts, ts("1970-01-19T03:58:30Z"));
    assert_eq!(o.expected_ship_ts, Some(ts("1970-01-19T04:05:13Z")));
    assert_eq!(o.expected_delivery_ts, Some(ts("1970-01-19T04:15:17Z")));
    // From the getOrderItems page: its SKU, item id, price (10.00 USD) and the buyer's request
    // (`"IsBuyerRequestedCancel": "true"`, a string).
    assert_eq!(skus(o), ["NABetaASINB00551Q3CS"]);
    assert_eq!(o.item_ids.iter().map(|i| &**i).collect::<Vec<_>>(), ["05015851154158"]);
    assert_eq!((o.currency.as_deref(), o.value_micros), (Some("USD"), 10_000_000));
    assert!(o.buyer_requested && o.open);
    // The other order of the page has no items here, and no request.
    assert!(!order(&v, "902-8745147-1934268").buyer_requested);
}

/// v2026-01-01: a searchOrders page and a getOrder response. Item prices are unit prices;
/// the item's cancellation request by the buyer is the buyer flag, its execution by the
/// merchant a seller event; a package is a shipment confirmation.
#[test]
fn amazons_v2026_examples_read_as_their_orders() {
    let (_, v) = load_view(&[testdata("sp-api/amazon")], &ReadOptions::default(), &ViewOptions::default());
    let o = order(&v, "123-4567890-1234567");
    assert_eq!((o.status.clone(), o.marketplace().unwrap().code()), (Status::Shipped, "US"));
    assert_eq!(o.expected_ship_ts, Some(ts("2024-12-27T23:59:59Z")));
    assert_eq!(o.expected_delivery_ts, Some(ts("2024-12-30T23:59:59Z")));
    // 2 × 49.99 + 1 × 49.99 = 149.97.
    assert_eq!((o.currency.as_deref(), o.value_micros), (Some("USD"), 149_970_000));
    assert_eq!(skus(o).len(), 2);
    // The buyer asked (requester BUYER): cancelled by the merchant at the buyer's request, the
    // buyer's class (rule 1), not counted against the seller.
    assert!(o.buyer_requested && o.cancelled);
    assert_eq!((o.class.map(|c| c.as_str()), o.rule), (Some("buyer"), Some(1)));
    assert_eq!(o.shipments.len(), 1);
    assert_eq!((&*o.shipments[0].carrier, &*o.shipments[0].tracking), ("UPS", "1Z999AA1234567890"));
    let uk = order(&v, "202-1234567-8901234");
    // 3 × 29.99 GBP, a Royal Mail package, marketplace from its name.
    assert_eq!((uk.marketplace().unwrap().code(), uk.value_micros), ("UK", 89_970_000));
    assert_eq!((&*uk.shipments[0].carrier, uk.cancelled), ("Royal Mail", false));
}

/// Each bad record goes alone, with the line it starts on and the JSON path of the field; a
/// document that is not JSON goes whole, with its line and column.
#[test]
fn bad_records_are_rejected_alone_with_their_line_and_json_path() {
    let (loaded, v) = load_view(&[testdata("sp-api/bad")], &ReadOptions::default(), &ViewOptions::default());
    let rejected: Vec<(String, u64, &str)> = loaded
        .rejected
        .iter()
        .map(|r| (r.file.rsplit('/').next().unwrap().to_string(), r.line, r.reason.as_str()))
        .collect();
    let row = |f: &str, l: u64, r: &'static str| (f.to_string(), l, r);
    assert_eq!(
        rejected,
        [
            row("cut-page.json", 1, "not valid JSON at line 5, column 0: EOF while parsing an object"),
            row("export.jsonl", 2, "PurchaseDate: unparseable date: 2026-02-30T10:00:00Z"),
            row("export.jsonl", 3, "not valid JSON at line 3, column 41: EOF while parsing a value"),
            row("export.jsonl", 4, "OrderItems[0].QuantityOrdered: not an integer: two"),
            row("export.jsonl", 5, "OrderItems[0].ItemPrice.Amount: not a plain decimal: 12,99"),
            row("export.jsonl", 6, "AmazonOrderId: missing"),
        ]
    );
    // export.jsonl: S-1 (1 order + 1 item), S-2, line 3, S-4 (1 + 2 items), S-5 (1 + 1), line
    // 6, S-7 (1 + 1): 12 read, 5 rejected. An order keeps its good items.
    let export = loaded.files.iter().find(|f| f.path.ends_with("export.jsonl")).unwrap();
    assert_eq!((export.rows_read, export.rows_rejected), (12, 5));
    assert_eq!(skus(order(&v, "S-4")), ["SKU-B"]);
    // `"IsBuyerRequestedCancel": true` (a boolean, as legacy MWS wrote it) and `Canceled`.
    let s7 = order(&v, "S-7");
    assert!(s7.buyer_requested && s7.status == Status::Cancelled);
    assert!(v.orders.iter().all(|o| !["S-2", "S-3"].contains(&&*o.order_id)));
}

/// Hostile files never panic, never hang, and every error is short.
#[test]
fn hostile_json_is_an_error_or_a_rejected_record_never_a_crash() {
    let read = |name: &str| try_load(&[testdata(&format!("hostile/{name}"))], &ReadOptions::default());
    // 100,000 opening brackets: a document that is not JSON.
    let deep = read("deep-nesting.json").unwrap();
    assert_eq!((deep.files[0].rows_read, deep.rejected.len()), (1, 1));
    assert!(deep.rejected[0].reason.len() < 200, "{}", deep.rejected[0].reason);
    // A byte that is not UTF-8 inside a string: that line alone.
    let utf8 = read("invalid-utf8-in-string.jsonl").unwrap();
    assert_eq!(utf8.rejected[0].line, 2);
    assert_eq!(utf8.rejected[0].reason, "not valid JSON at line 2, column 23: a byte that is not UTF-8");
    // Duplicate keys: the last one wins, as serde_json reads an object.
    let (_, v) =
        load_view(&[testdata("hostile/duplicate-keys.json")], &ReadOptions::default(), &ViewOptions::default());
    assert_eq!((v.orders.len(), &*v.orders[0].order_id, v.orders[0].status.clone()), (1, "H-4", Status::Shipped));
    // A gzip cut in half: an error that names the file.
    let err = read("truncated-page.json.gz").unwrap_err();
    assert!(matches!(err, InputError::Io { .. }) && err.to_string().contains("truncated-page.json.gz"), "{err}");
}

/// One order seen in a flat file and in JSON is one order: the JSON's newer snapshot gives
/// the status, the flat file's the expected ship date it alone has.
#[test]
fn an_order_in_flat_files_and_json_is_one_order() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("new-orders.txt"),
        "order-id\torder-item-id\tpurchase-date\tsku\tlatest-ship-date\nM-1\t1\t2026-03-01T10:00:00Z\tSKU-A\t2026-03-03T07:59:59Z\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("orders.jsonl"),
        "{\"AmazonOrderId\": \"M-1\", \"PurchaseDate\": \"2026-03-01T10:00:00Z\", \"LastUpdateDate\": \"2026-03-02T08:00:00Z\", \"OrderStatus\": \"Shipped\", \"FulfillmentChannel\": \"MFN\", \"MarketplaceId\": \"A1PA6795UKMFR9\"}\n",
    )
    .unwrap();
    let (loaded, v) = load_view(&[dir.path().to_path_buf()], &ReadOptions::default(), &ViewOptions::default());
    let kinds: Vec<FileKind> = loaded.files.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, [FileKind::NewOrders, FileKind::SpApiOrders]);
    assert_eq!(v.orders.len(), 1);
    let o = order(&v, "M-1");
    // The marketplace from MarketplaceId (no SalesChannel), the SKU from the flat file.
    assert_eq!((o.status.clone(), o.marketplace().unwrap().code()), (Status::Shipped, "DE"));
    assert_eq!((o.expected_ship_ts, skus(o)), (Some(ts("2026-03-03T07:59:59Z")), vec!["SKU-A"]));
}

/// The other shapes of §1.6: a page without `payload`, an array of whole responses (v0 and
/// v2026), an array of OrderItems carrying `AmazonOrderId`, a gzip'd page with a BOM.
#[test]
fn every_shape_of_an_sp_api_file_is_read() {
    let (loaded, v) = load_view(&[testdata("sp-api/shapes")], &ReadOptions::default(), &ViewOptions::default());
    assert_eq!(loaded.files.len(), 4);
    assert!(loaded.rejected.is_empty() && loaded.skipped.is_empty());
    let gz = loaded.files.iter().find(|f| f.path.ends_with("page.json.gz")).unwrap();
    assert_eq!(gz.compression, orderhealth_core::source::Compression::Gzip);
    // P-1's items come from another file: a snapshot of their own, with no time, that gives
    // the order its items (30.00 + 19.99) while the page gives its status.
    let p1 = order(&v, "P-1");
    assert_eq!(
        (p1.status.clone(), skus(p1), p1.value_micros),
        (Status::Unshipped, vec!["SKU-P1", "SKU-P2"], 49_990_000)
    );
    assert_eq!(order(&v, "P-2").status, Status::Pending);
    // v2026, NON_AMAZON: not an Amazon marketplace's order.
    assert_eq!(order(&v, "P-3").sales_channel, orderhealth_core::SalesChannel::NonAmazon);
    // `SalesChannel: null`: the marketplace from MarketplaceId.
    assert_eq!(order(&v, "P-4").marketplace().unwrap().code(), "JP");
}

/// Reading in parts (a big export is handed to the fold a part at a time, an array too big
/// to hold is read element by element) gives the orders and the rejected rows of reading
/// whole. Parts of one row and no document held whole take every path a multi-gigabyte file
/// takes, on the fixtures of every shape.
#[test]
fn reading_in_parts_gives_what_reading_whole_gives() {
    let whole = ReadOptions::default();
    let parts = ReadOptions { json_parts: Parts { whole_document: 0, rows: 1 }, ..ReadOptions::default() };
    for dir in ["sp-api/amazon", "sp-api/shapes", "sp-api/bad"] {
        let (a, va) = load_view(&[testdata(dir)], &whole, &ViewOptions::default());
        let (b, vb) = load_view(&[testdata(dir)], &parts, &ViewOptions::default());
        assert!(!va.orders.is_empty(), "{dir}");
        assert_eq!(format!("{:?}", va.orders), format!("{:?}", vb.orders), "{dir}");
        assert_eq!(a.rejected, b.rejected, "{dir}");
        let rows =
            |l: &orderhealth_core::Loaded| l.files.iter().map(|f| (f.rows_read, f.rows_rejected)).collect::<Vec<_>>();
        assert_eq!(rows(&a), rows(&b), "{dir}");
    }
}

/// Items given apart (getOrderItems pages) after their orders' snapshots were handed over:
/// they still join their order's newest snapshot in the file (found by a second pass), its
/// nested items and theirs together; items of an order the file does not hold stay a
/// snapshot of their own.
#[test]
fn items_given_apart_join_orders_handed_over_earlier() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = |id: &str, updated: &str, status: &str, items: &str| {
        format!(
            "{{\"AmazonOrderId\": \"{id}\", \"PurchaseDate\": \"2026-03-01T10:00:00Z\", \"LastUpdateDate\": \"{updated}\", \
             \"OrderStatus\": \"{status}\", \"FulfillmentChannel\": \"MFN\", \"SalesChannel\": \"Amazon.com\"{items}}}"
        )
    };
    let item = |id: &str, sku: &str, amount: &str| {
        format!(
            "{{\"OrderItemId\": \"{id}\", \"SellerSKU\": \"{sku}\", \"QuantityOrdered\": 1, \
             \"ItemPrice\": {{\"CurrencyCode\": \"USD\", \"Amount\": \"{amount}\"}}}}"
        )
    };
    let page = |orders: &[String]| format!("{{\"payload\": {{\"Orders\": [{}]}}}}", orders.join(", "));
    let items_page = |id: &str, items: &[String]| {
        format!("{{\"payload\": {{\"AmazonOrderId\": \"{id}\", \"OrderItems\": [{}]}}}}", items.join(", "))
    };
    let nested = format!(", \"OrderItems\": [{}]", item("n1", "SKU-N", "1.00"));
    let lines = [
        page(&[
            snapshot("J-1", "2026-03-01T12:00:00Z", "Unshipped", ""),
            snapshot("J-2", "2026-03-01T12:00:00Z", "Unshipped", ""),
        ]),
        // J-1's newest snapshot; J-2's newer one has nested items of its own.
        page(&[snapshot("J-1", "2026-03-02T12:00:00Z", "Shipped", "")]),
        page(&[snapshot("J-2", "2026-03-02T12:00:00Z", "Shipped", &nested)]),
        items_page("J-1", &[item("a1", "SKU-A", "10.00"), item("a2", "SKU-B", "5.50")]),
        items_page("J-2", &[item("b1", "SKU-C", "2.00")]),
        // No order J-3 in the file: its items are a snapshot with no time.
        items_page("J-3", &[item("c1", "SKU-D", "3.00")]),
    ];
    std::fs::write(dir.path().join("responses.jsonl"), lines.join("\n") + "\n").unwrap();
    let whole = ReadOptions::default();
    let parts = ReadOptions { json_parts: Parts { whole_document: 0, rows: 1 }, ..ReadOptions::default() };
    let (_, vw) = load_view(&[dir.path().to_path_buf()], &whole, &ViewOptions::default());
    let (_, vp) = load_view(&[dir.path().to_path_buf()], &parts, &ViewOptions::default());
    for v in [&vw, &vp] {
        let j1 = order(v, "J-1");
        assert_eq!(
            (skus(j1), j1.value_micros, j1.status.clone()),
            (vec!["SKU-A", "SKU-B"], 15_500_000, Status::Shipped)
        );
        let j2 = order(v, "J-2");
        assert_eq!((skus(j2), j2.value_micros), (vec!["SKU-N", "SKU-C"], 3_000_000));
        assert_eq!(j2.item_ids.iter().map(|i| &**i).collect::<Vec<_>>(), ["n1", "b1"]);
        assert_eq!(skus(order(v, "J-3")), ["SKU-D"]);
    }
    assert_eq!(format!("{:?}", vw.orders), format!("{:?}", vp.orders));
}

/// An export too big to hold whole that is cut off or broken: the elements before the break
/// are read, the break is one rejected row saying where; an element that is not JSON goes
/// alone.
#[test]
fn a_broken_array_read_element_by_element_keeps_what_came_before() {
    let dir = tempfile::tempdir().unwrap();
    let o = |id: &str| {
        format!(
            "{{\"AmazonOrderId\": \"{id}\", \"PurchaseDate\": \"2026-03-01T10:00:00Z\", \"OrderStatus\": \"Unshipped\", \"FulfillmentChannel\": \"MFN\"}}"
        )
    };
    std::fs::write(
        dir.path().join("cut.json"),
        format!("[\n{},\n{},\n{{\"AmazonOrderId\": \"C-3\", \"Purch", o("C-1"), o("C-2")),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("bad.json"),
        format!("[\n{},\n{{\"AmazonOrderId\": 1,]}},\n{}\n]\n", o("B-1"), o("B-3")),
    )
    .unwrap();
    let parts = ReadOptions { json_parts: Parts { whole_document: 0, ..Parts::default() }, ..ReadOptions::default() };
    let (loaded, v) = load_view(&[dir.path().to_path_buf()], &parts, &ViewOptions::default());
    let ids: Vec<&str> = v.orders.iter().map(|o| &*o.order_id).collect();
    assert_eq!(ids, ["B-1", "B-3", "C-1", "C-2"]);
    let rejected: Vec<(u64, &str)> = loaded.rejected.iter().map(|r| (r.line, r.reason.as_str())).collect();
    assert_eq!(
        rejected,
        [
            (3, "[1]: not valid JSON at line 3, column 21: key must be a string"),
            (4, "not valid JSON at line 4, column 1: the file ends inside this element"),
        ]
    );
}

/// A 500 MB string (compressed to a few kilobytes): the record that holds it is passed over
/// unread, in JSON lines and in an array, and every other record is read; memory holds at
/// most 64 MiB of it.
#[test]
fn a_500_mb_string_is_a_rejected_record_not_the_memory() {
    for name in ["huge-string.jsonl.zst", "huge-string-array.json.zst"] {
        let loaded = try_load(&[testdata(&format!("hostile/{name}"))], &ReadOptions::default()).unwrap();
        let ids = loaded.book.orders_len();
        assert_eq!(ids, 2, "{name}");
        assert_eq!(loaded.rejected.len(), 1, "{name}");
        let r = &loaded.rejected[0];
        assert_eq!(r.line, 2, "{name}");
        assert!(r.reason.contains("longer than 64 MiB, not read") && r.reason.len() < 200, "{name}: {}", r.reason);
    }
}
