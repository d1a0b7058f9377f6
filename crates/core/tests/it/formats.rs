//! Every reading case of SPEC §1 and §5.1 on testdata/formats (see testdata/make_fixtures.py).

use crate::common::*;
use orderhealth_core::source::{Compression, TextEncoding};
use orderhealth_core::{EncodingChoice, FileKind, InputError, ReadOptions, Status, ViewOptions};

fn summary<'a>(loaded: &'a orderhealth_core::Loaded, name: &str) -> &'a orderhealth_core::FileSummary {
    loaded.files.iter().find(|f| f.path.ends_with(name)).unwrap_or_else(|| panic!("{name} not read"))
}

#[test]
fn bom_crlf_quotes_and_a_last_line_without_newline() {
    let (loaded, v) =
        load_view(&[testdata("formats/bom_crlf_quotes.txt")], &ReadOptions::default(), &ViewOptions::default());
    let f = summary(&loaded, "bom_crlf_quotes.txt");
    assert_eq!((f.kind, f.encoding, f.rows_read, f.rows_rejected), (FileKind::AllOrders, TextEncoding::Utf8, 2, 0));
    assert_eq!(
        f.unknown_columns,
        ["merchant-order-id", "order-channel", "ship-service-level", "item-tax", "shipping-tax"]
    );
    assert_eq!(order(&v, "111-0000001-0000001").status, Status::Shipped);
    // The last row has no newline; its -07:00 offset is honoured (19:00Z is its snapshot time).
    let o = order(&v, "111-0000001-0000002");
    assert_eq!(o.purchase_ts, ts("2026-03-01T11:00:00Z"));
    assert_eq!(o.status, Status::Unshipped);
}

#[test]
fn windows_1252_and_cp932_are_decoded() {
    let (loaded, v) = load_view(&[testdata("formats")], &ReadOptions::default(), &ViewOptions::default());
    let uk = summary(&loaded, "windows1252_uk.txt");
    assert_eq!(uk.encoding, TextEncoding::Windows1252);
    assert_eq!(skus(order(&v, "202-0000001-0000001")), ["CAFÉ-€1"]);
    assert_eq!(order(&v, "202-0000001-0000001").marketplace().unwrap().code(), "UK");
    let jp = summary(&loaded, "cp932_jp.txt");
    assert_eq!(jp.encoding, TextEncoding::Cp932);
    assert_eq!(skus(order(&v, "503-0000001-0000001")), ["茶-01"]);
    assert_eq!(order(&v, "503-0000001-0000001").purchase_ts, ts("2026-03-01T01:00:00Z"));
}

#[test]
fn encoding_option_names_the_encoding_or_refuses() {
    let file = testdata("formats/windows1252_uk.txt");
    let as_cp932 = ReadOptions { encoding: EncodingChoice::Cp932, ..Default::default() };
    let loaded = try_load(std::slice::from_ref(&file), &as_cp932).unwrap();
    assert_eq!(loaded.files[0].encoding, TextEncoding::Cp932);
    let strict_utf8 = ReadOptions { encoding: EncodingChoice::Utf8, ..Default::default() };
    let err = try_load(&[file], &strict_utf8).unwrap_err();
    assert!(matches!(err, InputError::NotUtf8 { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("windows1252_uk.txt") && msg.contains("offset"), "{msg}");
}

#[test]
fn jp_by_marketplace_option_when_no_sales_channel() {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, _, _) = encoding_rs::SHIFT_JIS
        .encode("order-id\torder-item-id\tpurchase-date\tsku\n503-1\t1\t2026-03-01T10:00:00+09:00\t茶-02\n");
    let path = dir.path().join("jp-new-orders.txt");
    std::fs::write(&path, &bytes).unwrap();
    let jp = ReadOptions { marketplace_is_jp: true, ..Default::default() };
    let (loaded, v) = load_view(std::slice::from_ref(&path), &jp, &ViewOptions::default());
    assert_eq!(loaded.files[0].encoding, TextEncoding::Cp932);
    assert_eq!(skus(order(&v, "503-1")), ["茶-02"]);
    // Without --marketplace JP the same bytes are Windows-1252.
    let loaded = try_load(&[path], &ReadOptions::default()).unwrap();
    assert_eq!(loaded.files[0].encoding, TextEncoding::Windows1252);
}

#[test]
fn compression_by_magic_bytes_not_by_name() {
    let (loaded, v) =
        load_view(&[testdata("formats/new_orders_gzip.txt")], &ReadOptions::default(), &ViewOptions::default());
    assert_eq!((loaded.files[0].compression, loaded.files[0].kind), (Compression::Gzip, FileKind::NewOrders));
    assert_eq!(order(&v, "111-0000002-0000001").expected_ship_ts, Some(ts("2026-03-05T07:59:59Z")));

    let dir = tempfile::tempdir().unwrap();
    let plain = testdata("formats/bom_crlf_quotes.txt");
    let zst = dir.path().join("all-orders.gz"); // a zstd file with a gzip name
    std::fs::write(&zst, zstd::encode_all(std::fs::File::open(plain).unwrap(), 3).unwrap()).unwrap();
    let loaded = try_load(&[zst], &ReadOptions::default()).unwrap();
    assert_eq!((loaded.files[0].compression, loaded.files[0].rows_read), (Compression::Zstd, 2));
}

#[test]
fn template_line_counts_in_line_numbers() {
    let loaded = try_load(&[testdata("formats/cancel_feed_template.txt")], &ReadOptions::default()).unwrap();
    let f = &loaded.files[0];
    assert_eq!((f.kind, f.rows_read, f.rows_rejected), (FileKind::CancelFeed, 2, 1));
    assert_eq!(loaded.rejected[0].line, 4);
    assert_eq!(loaded.rejected[0].reason, "empty order id in order-id");
}

#[test]
fn header_case_spaces_and_the_one_l_spelling() {
    let (loaded, v) =
        load_view(&[testdata("formats/header_case_unshipped.txt")], &ReadOptions::default(), &ViewOptions::default());
    let f = &loaded.files[0];
    assert_eq!(f.kind, FileKind::Unshipped);
    assert_eq!(f.unknown_columns, ["verge-of-lateShipment"]);
    let o = order(&v, "111-0000003-0000001");
    assert!(o.buyer_requested, "TRUE in is-buyer-requested-cancelation");
    assert_eq!(o.status, Status::Unshipped);
    assert_eq!(o.expected_ship_ts, Some(ts("2026-03-06T07:59:59Z")), "from promise-date");
}

#[test]
fn bad_rows_are_rejected_with_line_and_reason() {
    let loaded = try_load(&[testdata("formats/bad_rows.txt")], &ReadOptions::default()).unwrap();
    let f = &loaded.files[0];
    assert_eq!((f.rows_read, f.rows_rejected, f.rows_used()), (7, 6, 1));
    let got: Vec<(u64, &str)> = loaded.rejected.iter().map(|r| (r.line, r.reason.as_str())).collect();
    assert_eq!(
        got,
        [
            (3, "unparseable date in purchase-date: 2026-03-01 10:00:00"),
            (4, "row ends before item-price (15 of 16 fields)"),
            (6, "not a decimal in item-price: 5,00"),
            (7, "not an integer in quantity: one"),
            (8, "empty order id in amazon-order-id"),
            (9, "unparseable date in last-updated-date: 2026-03-02T10:00:00PST"),
        ]
    );
    assert!(loaded.rejected.iter().all(|r| r.kind == FileKind::AllOrders && r.file.ends_with("bad_rows.txt")));
}

#[test]
fn strict_turns_the_first_bad_row_into_an_error() {
    let strict = ReadOptions { strict: true, ..Default::default() };
    let err = try_load(&[testdata("formats/bad_rows.txt")], &strict).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("bad_rows.txt:3") && msg.contains("unparseable date in purchase-date"), "{msg}");
}

#[test]
fn a_recognised_file_without_a_required_column_is_an_error_even_in_a_directory() {
    let err = try_load(&[testdata("formats-missing")], &ReadOptions::default()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("all_orders_no_purchase_date.txt"), "{msg}");
    assert!(msg.contains("all-orders file lacks required column(s) purchase-date"), "{msg}");
    assert!(msg.contains("columns found: amazon-order-id, order-status, sku"), "{msg}");
}

#[test]
fn unrecognised_files_are_skipped_in_directories_and_errors_when_named() {
    let loaded = try_load(&[testdata("formats-other")], &ReadOptions::default()).unwrap();
    assert_eq!(loaded.skipped.len(), 1);
    assert!(loaded.skipped[0].path.ends_with("settlement.txt"));
    let err = try_load(&[testdata("formats-other/settlement.txt")], &ReadOptions::default()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("settlement.txt: not a recognised input"), "{msg}");
    assert!(msg.contains("columns found: settlement-id, settlement-start-date, total-amount"), "{msg}");
}

#[test]
fn a_file_named_and_found_in_a_directory_is_read_once() {
    let file = testdata("formats/bom_crlf_quotes.txt");
    let loaded = try_load(&[testdata("formats"), file], &ReadOptions::default()).unwrap();
    assert_eq!(loaded.files.iter().filter(|f| f.path.ends_with("bom_crlf_quotes.txt")).count(), 1);
}
