#!/usr/bin/env python3
"""Writes the hand-made fixtures under testdata/ (run from the repository root).

The files are committed; this script only documents how the ones with bytes a text editor
hides (BOM, CRLF, Windows-1252, Shift_JIS, gzip) were made, and lets a reader change a
scenario and write it again. Expected values live in the tests, computed by hand from the
scenarios described here.
"""
import gzip
import os

ROOT = os.path.dirname(os.path.abspath(__file__))

ALL_ORDERS = ["amazon-order-id", "merchant-order-id", "purchase-date", "last-updated-date", "order-status",
              "fulfillment-channel", "sales-channel", "order-channel", "ship-service-level", "product-name", "sku",
              "asin", "item-status", "quantity", "currency", "item-price", "item-tax", "shipping-price",
              "shipping-tax", "is-buyer-requested-cancellation", "buyer-requested-cancel-reason"]
NEW_ORDERS = ["order-id", "order-item-id", "purchase-date", "payments-date", "sku", "product-name",
              "quantity-purchased", "currency", "item-price", "shipping-price", "ship-service-level",
              "earliest-ship-date", "latest-ship-date", "is-prime"]
UNSHIPPED = ["order-id", "order-item-id", "purchase-date", "payments-date", "reporting-date", "promise-date",
             "days-past-promise", "sku", "product-name", "quantity-purchased", "quantity-shipped", "quantity-to-ship",
             "ship-service-level", "is-buyer-requested-cancellation", "buyer-requested-cancel-reason"]
EVENTS = ["order-id", "order-item-id", "cancel-date", "initiated-by", "reason"]
CONFIRMATIONS = ["order-id", "order-item-id", "quantity", "ship-date", "carrier-code", "carrier-name",
                 "tracking-number", "ship-method"]
SCANS = ["tracking-number", "scan-date", "scan-type"]
CATALOG = ["sku", "category"]


def write(rel, header, rows, *, template=None, encoding="utf-8", bom=False, crlf=False, final_newline=True,
          compress=None):
    path = os.path.join(ROOT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    lines = []
    if template:
        lines.append(template)
    lines.append("\t".join(header))
    for r in rows:
        if isinstance(r, str):
            lines.append(r)
        else:
            d = dict(r)
            lines.append("\t".join(str(d.get(h, "")) for h in header))
    nl = "\r\n" if crlf else "\n"
    text = nl.join(lines) + (nl if final_newline else "")
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    if compress == "gzip":
        data = gzip.compress(data, mtime=0)
    with open(path, "wb") as f:
        f.write(data)


def ao(oid, purchase, lu, status, *, channel="Merchant", sales="Amazon.com", sku="SKU-1", qty=1, cur="USD",
       price="19.99", ship="4.99", buyer="false", reason="", name="Widget"):
    return {"amazon-order-id": oid, "merchant-order-id": "", "purchase-date": purchase, "last-updated-date": lu,
            "order-status": status, "fulfillment-channel": channel, "sales-channel": sales, "order-channel": "",
            "ship-service-level": "Standard", "product-name": name, "sku": sku, "asin": "B000TEST01",
            "item-status": status, "quantity": qty, "currency": cur, "item-price": price, "item-tax": "0.00",
            "shipping-price": ship, "shipping-tax": "0.00", "is-buyer-requested-cancellation": buyer,
            "buyer-requested-cancel-reason": reason}


def no(oid, purchase, latest_ship, *, sku="SKU-1", item="1", price="19.99", ship="4.99"):
    return {"order-id": oid, "order-item-id": item, "purchase-date": purchase, "payments-date": purchase, "sku": sku,
            "product-name": "Widget", "quantity-purchased": 1, "currency": "USD", "item-price": price,
            "shipping-price": ship, "ship-service-level": "Standard", "earliest-ship-date": purchase,
            "latest-ship-date": latest_ship, "is-prime": "false"}


def ev(oid, when, by, reason, item=""):
    return {"order-id": oid, "order-item-id": item, "cancel-date": when, "initiated-by": by, "reason": reason}


def conf(oid, day, code, number, *, name="", item="1", qty=1):
    return {"order-id": oid, "order-item-id": item, "quantity": qty, "ship-date": day, "carrier-code": code,
            "carrier-name": name, "tracking-number": number, "ship-method": "Ground"}


# --- formats: one file per reading case of SPEC §1 -------------------------------------------
def formats():
    d = "formats/"
    # BOM, CRLF, a product name that starts with a quote and one with 12" inside, no final newline.
    write(d + "bom_crlf_quotes.txt", ALL_ORDERS, [
        ao("111-0000001-0000001", "2026-03-01T10:00:00+00:00", "2026-03-02T10:00:00+00:00", "Shipped",
           name='"Deluxe" 12" Pizza Pan'),
        ao("111-0000001-0000002", "2026-03-01T11:00:00Z", "2026-03-01T12:00:00-07:00", "Unshipped",
           name='"unterminated quote'),
    ], bom=True, crlf=True, final_newline=False)
    # Windows-1252 (an EU file): é and € are single bytes that are not UTF-8.
    write(d + "windows1252_uk.txt", ALL_ORDERS, [
        ao("202-0000001-0000001", "2026-03-01T10:00:00+00:00", "2026-03-02T10:00:00+00:00", "Shipped",
           sales="Amazon.co.uk", cur="GBP", sku="CAFÉ-€1", name="Café crème"),
    ], encoding="cp1252")
    # Shift_JIS/cp932 (a JP file), recognised as JP by its sales-channel.
    write(d + "cp932_jp.txt", ALL_ORDERS, [
        ao("503-0000001-0000001", "2026-03-01T10:00:00+09:00", "2026-03-02T10:00:00+09:00", "Unshipped",
           sales="Amazon.co.jp", cur="JPY", sku="茶-01", name="日本茶 ギフト", price="1980", ship="0"),
    ], encoding="cp932")
    # gzip-compressed new-orders report with a misleading name.
    write(d + "new_orders_gzip.txt", NEW_ORDERS, [
        no("111-0000002-0000001", "2026-03-03T10:00:00+00:00", "2026-03-05T07:59:59+00:00"),
    ], compress="gzip")
    # Cancellation feed with its TemplateType= first line (line numbers count it).
    write(d + "cancel_feed_template.txt", ["order-id", "cancellation-reason-code", "amazon-order-item-code"], [
        {"order-id": "111-0000001-0000002", "cancellation-reason-code": "NoInventory",
         "amazon-order-item-code": "12345678901234"},
        {"order-id": "", "cancellation-reason-code": "NoInventory", "amazon-order-item-code": "1"},
    ], template="TemplateType=OrderCancellation\tVersion=1.0\tThe top 3 rows are for Amazon.com use only.")
    # Header case and spaces, the one-L spelling of the buyer column, an unknown column.
    write(d + "header_case_unshipped.txt",
          [" Order-ID ", "ORDER-ITEM-ID", "Purchase-Date", "Reporting-Date", "Promise-Date", "Quantity-Shipped",
           "Quantity-To-Ship", "IS-BUYER-REQUESTED-CANCELATION", "verge-of-lateShipment"], [
        "111-0000003-0000001\t1\t2026-03-04T10:00:00Z\t2026-03-05T08:00:00Z\t2026-03-06T07:59:59Z\t0\t1\tTRUE\tfalse",
    ])
    # Rows a reader must reject, each for one reason; a blank line that is neither.
    write(d + "bad_rows.txt", ALL_ORDERS[:16], [
        "\t".join(["111-0000004-0000001", "", "2026-03-01T10:00:00Z", "", "Shipped", "Merchant", "Amazon.com", "",
                   "", "x", "SKU", "", "", "1", "USD", "5.00"]),
        "\t".join(["111-0000004-0000002", "", "2026-03-01 10:00:00", "", "Shipped", "Merchant", "Amazon.com", "",
                   "", "x", "SKU", "", "", "1", "USD", "5.00"]),
        "\t".join(["111-0000004-0000003", "", "2026-03-01T10:00:00Z", "", "Shipped", "Merchant", "Amazon.com",
                   "", "", "x", "SKU", "", "", "1", "USD"]),
        "",
        "\t".join(["111-0000004-0000004", "", "2026-03-01T10:00:00Z", "", "Shipped", "Merchant", "Amazon.com", "",
                   "", "x", "SKU", "", "", "1", "USD", "5,00"]),
        "\t".join(["111-0000004-0000005", "", "2026-03-01T10:00:00Z", "", "Shipped", "Merchant", "Amazon.com", "",
                   "", "x", "SKU", "", "", "one", "USD", "5.00"]),
        "\t".join(["", "", "2026-03-01T10:00:00Z", "", "Shipped", "Merchant", "Amazon.com", "", "", "x", "SKU",
                   "", "", "1", "USD", "5.00"]),
        "\t".join(["111-0000004-0000006", "", "2026-03-01T10:00:00Z", "2026-03-02T10:00:00PST", "Shipped",
                   "Merchant", "Amazon.com", "", "", "x", "SKU", "", "", "1", "USD", "5.00"]),
    ])
    # Recognised (all-orders) but without purchase-date: an error wherever it is found.
    write("formats-missing/all_orders_no_purchase_date.txt", ["amazon-order-id", "order-status", "sku"], [
        "111-0000005-0000001\tShipped\tSKU",
    ])
    # Not an order report at all (a settlement report).
    write("formats-other/settlement.txt", ["settlement-id", "settlement-start-date", "total-amount"], [
        "123\t2026-03-01T00:00:00Z\t10.00",
    ])


# --- rules: every row of the classification table (SPEC §2.1), and the merge rules of §2 -----
def rules():
    d = "rules/"
    # new-orders, no snapshot time: the oldest snapshot of each order.
    write(d + "2026-03-09-new-orders.txt", NEW_ORDERS, [
        no("R6-INFERRED", "2026-01-20T10:00:00+00:00", "2026-01-22T07:59:59+00:00"),
        no("R6-EDGE", "2026-01-20T10:00:00+00:00", "2026-01-22T07:59:59+00:00"),
        no("R7-EARLY", "2026-01-20T10:00:00+00:00", "2026-01-22T07:59:59+00:00"),
        no("OPEN-1", "2026-03-09T10:00:00+00:00", "2026-03-11T06:59:59+00:00", sku="SKU-A", item="1"),
        no("OPEN-1", "2026-03-09T10:00:00+00:00", "2026-03-11T06:59:59+00:00", sku="SKU-B", item="2"),
    ])
    write(d + "2026-03-10-all-orders.txt", ALL_ORDERS, [
        ao("R1-FLAG", "2026-03-09T10:00:00+00:00", "2026-03-10T10:00:00+00:00", "Unshipped", buyer="true",
           reason="Ordered by mistake"),
        ao("R2-FEED", "2026-03-09T10:00:00+00:00", "2026-03-10T01:00:00+00:00", "Pending", price="", ship=""),
        ao("R3-PENDING", "2026-03-09T10:00:00+00:00", "2026-03-10T01:00:00+00:00", "Pending", price="", ship=""),
        ao("R6-INFERRED", "2026-01-20T10:00:00+00:00", "2026-02-01T00:00:00+00:00", "Unshipped"),
        ao("TIE-1", "2026-03-09T10:00:00+00:00", "2026-03-11T00:00:00+00:00", "Unshipped"),
        ao("NEWER-IN-OLDER-FILE", "2026-03-09T10:00:00+00:00", "2026-03-11T12:00:00+00:00",
           "Shipped - Delivered to Buyer"),
        ao("OPEN-1", "2026-03-09T10:00:00+00:00", "2026-03-10T10:00:00+00:00", "Unshipped", sku="SKU-A"),
        ao("OPEN-1", "2026-03-09T10:00:00+00:00", "2026-03-10T10:00:00+00:00", "Unshipped", sku="SKU-B"),
    ])
    write(d + "2026-03-12-all-orders.txt", ALL_ORDERS, [
        ao("R1-FLAG", "2026-03-09T10:00:00+00:00", "2026-03-11T10:00:00+00:00", "Cancelled"),
        ao("R1-EVENT", "2026-03-09T10:00:00+00:00", "2026-03-11T10:00:00+00:00", "Cancelled"),
        ao("R2-SELLER", "2026-03-09T10:00:00+00:00", "2026-03-11T10:00:00+00:00", "Cancelled"),
        ao("R2-FEED", "2026-03-09T10:00:00+00:00", "2026-03-10T05:00:00+00:00", "Cancelled", price="", ship=""),
        ao("R3-PENDING", "2026-03-09T10:00:00+00:00", "2026-03-10T05:00:00+00:00", "Cancelled", price="",
           ship=""),
        ao("R3-ONLYCANCELLED", "2026-03-10T10:00:00+00:00", "2026-03-11T10:00:00+00:00", "Cancelled"),
        ao("R4-AUTO", "2026-03-09T10:00:00+00:00", "2026-03-11T10:00:00+00:00", "Cancelled"),
        ao("R5-AMAZON", "2026-03-09T10:00:00+00:00", "2026-03-11T10:00:00+00:00", "Cancelled"),
        ao("R6-INFERRED", "2026-01-20T10:00:00+00:00", "2026-02-25T12:00:00+00:00", "Cancelled"),
        ao("R6-EDGE", "2026-01-20T10:00:00+00:00", "2026-02-21T07:59:59+00:00", "Cancelled"),
        ao("R7-EARLY", "2026-01-20T10:00:00+00:00", "2026-02-21T07:59:58+00:00", "Cancelled"),
        ao("R6-NOLU", "2026-01-20T10:00:00+00:00", "", "Canceled"),
        ao("EVT-ITEM", "2026-03-09T10:00:00+00:00", "2026-03-11T10:00:00+00:00", "Unshipped"),
        ao("AFN-1", "2026-03-09T10:00:00+00:00", "2026-03-11T10:00:00+00:00", "Cancelled", channel="Amazon"),
        ao("NONAMZ-1", "2026-03-09T10:00:00+00:00", "2026-03-11T10:00:00+00:00", "Unshipped", sales="Non-Amazon"),
        ao("UNSUP-1", "2026-03-09T10:00:00+00:00", "2026-03-11T10:00:00+00:00", "Unshipped",
           sales="Amazon.com.xx"),
        ao("SHIP-CONF", "2026-03-09T10:00:00+00:00", "2026-03-11T10:00:00+00:00", "Unshipped"),
        ao("PENDING-1", "2026-03-09T10:00:00+00:00", "2026-03-11T10:00:00+00:00", "PendingAvailability",
           price="", ship=""),
        ao("TIE-1", "2026-03-09T10:00:00+00:00", "2026-03-11T00:00:00+00:00", "Shipped"),
        ao("NEWER-IN-OLDER-FILE", "2026-03-09T10:00:00+00:00", "2026-03-10T12:00:00+00:00", "Unshipped"),
        ao("INVOICE-1", "2026-03-09T10:00:00+00:00", "2026-03-11T10:00:00+00:00", "InvoiceUnconfirmed",
           sales="Amazon.com.mx", cur="MXN"),
        ao("OPEN-1", "2026-03-09T10:00:00+00:00", "2026-03-11T10:00:00+00:00", "Unshipped", sku="SKU-B"),
    ])
    write(d + "2026-03-12-unshipped.txt", UNSHIPPED, [
        {"order-id": "PART-1", "order-item-id": "1", "purchase-date": "2026-03-09T10:00:00+00:00",
         "payments-date": "2026-03-09T10:00:00+00:00", "reporting-date": "2026-03-12T08:00:00+00:00",
         "promise-date": "2026-03-11T06:59:59+00:00", "days-past-promise": "1", "sku": "SKU-1",
         "product-name": "Widget", "quantity-purchased": "2", "quantity-shipped": "1", "quantity-to-ship": "1",
         "ship-service-level": "Standard", "is-buyer-requested-cancellation": "false"},
    ])
    write(d + "cancel-events.tsv", EVENTS, [
        ev("R1-EVENT", "2026-03-11T09:00:00+00:00", "buyer", "BuyerCanceled"),
        ev("R1-EVENT", "2026-03-11T09:30:00+00:00", "seller", "BuyerCanceled"),
        ev("R2-SELLER", "2026-03-11T09:00:00+00:00", "Seller", "NoInventory"),
        ev("R4-AUTO", "2026-03-11T09:00:00+00:00", "amazon", "AutoCancelUnshipped"),
        ev("R5-AMAZON", "2026-03-11T09:00:00+00:00", "AMAZON", "PaymentDeclined"),
        ev("EVT-ITEM", "2026-03-11T09:00:00+00:00", "seller", "NoInventory", item="12345678901234"),
        ev("AFN-1", "2026-03-11T09:00:00+00:00", "seller", "NoInventory"),
        ev("GHOST-1", "2026-03-11T09:00:00+00:00", "seller", "NoInventory"),
    ])
    write(d + "cancel-feed.txt", ["order-id", "cancellation-reason-code", "amazon-order-item-code"], [
        {"order-id": "R2-FEED", "cancellation-reason-code": "BuyerCanceled", "amazon-order-item-code": "1"},
    ], template="TemplateType=OrderCancellation\tVersion=1.0")
    write(d + "confirmations.txt", CONFIRMATIONS, [
        conf("SHIP-CONF", "2026-03-11", "UPS", "1Z5R89390357567127"),
    ], template="TemplateType=ShippingConfirmation\tVersion=2.0")


# --- metrics: hand-computed report scenarios (expected values in crates/pipeline/tests) ------
def metrics_cancel():
    d = "metrics/cancel/"
    rows = []
    # US (America/Los_Angeles). 2026-03-08 is the spring-forward day.
    for i in range(1, 11):
        rows.append(ao(f"US-D1-{i:02}", "2026-03-01T20:00:00Z", "2026-03-02T20:00:00Z", "Shipped"))
    rows += [
        ao("US-A", "2026-03-08T07:59:59Z", "2026-03-09T00:00:00Z", "Shipped"),    # 03-07 23:59:59 PST
        ao("US-B", "2026-03-08T08:00:00Z", "2026-03-09T00:00:00Z", "Cancelled"),  # 03-08 00:00:00 PST
        ao("US-C", "2026-03-08T12:00:00Z", "2026-03-09T00:00:00Z", "Cancelled", buyer="true"),
        ao("US-D", "2026-03-08T12:00:00Z", "2026-03-09T00:00:00Z", "Cancelled", price="", ship=""),
        ao("US-E", "2026-03-08T12:00:00Z", "2026-03-09T00:00:00Z", "Cancelled"),
        ao("US-F", "2026-03-08T12:00:00Z", "2026-03-09T00:00:00Z", "Cancelled"),
        ao("US-G", "2026-03-16T19:00:00Z", "2026-03-17T00:00:00Z", "Shipped"),
        ao("US-H", "2026-03-16T19:00:00Z", "2026-03-17T00:00:00Z", "Unshipped"),
    ]
    # UK: 40 orders, 1 seller-cancelled: exactly 2.5%. DE: 41 orders, 1 cancelled.
    for i in range(1, 41):
        rows.append(ao(f"UK-{i:02}", "2026-03-10T12:00:00Z", "2026-03-11T00:00:00Z",
                       "Cancelled" if i == 1 else "Shipped", sales="Amazon.co.uk", cur="GBP"))
    for i in range(1, 42):
        rows.append(ao(f"DE-{i:02}", "2026-03-10T12:00:00Z", "2026-03-11T00:00:00Z",
                       "Cancelled" if i == 1 else "Shipped", sales="Amazon.de", cur="EUR"))
    write(d + "2026-03-17-all-orders.txt", ALL_ORDERS, rows)
    write(d + "2026-03-08-all-orders.txt", ALL_ORDERS, [
        ao("US-D", "2026-03-08T12:00:00Z", "2026-03-08T13:00:00Z", "Pending", price="", ship=""),
    ])
    write(d + "cancel-events.tsv", EVENTS, [
        ev("US-B", "2026-03-08T09:00:00Z", "seller", "NoInventory"),
        ev("US-E", "2026-03-08T13:00:00Z", "amazon", "PaymentDeclined"),
        ev("US-F", "2026-03-08T13:00:00Z", "amazon", "AutoCancelUnshipped"),
        ev("UK-01", "2026-03-10T13:00:00Z", "seller", "NoInventory"),
        ev("UK-01", "2026-03-10T13:00:00Z", "seller", "PricingError"),
        ev("DE-01", "2026-03-10T13:00:00Z", "seller", "ShippingAddressUndeliverable"),
    ])


def metrics_autocancel():
    d = "metrics/autocancel/"
    write(d + "2026-03-01-new-orders.txt", NEW_ORDERS, [
        no("AC-OVERDUE", "2026-02-10T10:00:00Z", "2026-02-12T07:59:59Z"),  # Wed 02-11 local
        no("AC-ATRISK", "2026-02-20T10:00:00Z", "2026-02-24T07:59:59Z"),   # Mon 02-23 local
        no("AC-FAR", "2026-02-20T10:00:00Z", "2026-02-25T08:00:00Z"),      # deadline = as_of + 7 d 8 h
        no("AC-EXACT", "2026-02-16T10:00:00Z", "2026-02-18T00:00:00Z"),    # deadline = as_of
        no("AC-SAT", "2026-02-12T10:00:00Z", "2026-02-15T07:59:59Z"),      # Sat 02-14 local
        no("AC-B7", "2026-03-10T10:00:00Z", "2026-03-13T06:59:59Z"),       # Thu 03-12 local (PDT)
        no("AC-AUTO", "2026-01-08T10:00:00Z", "2026-01-10T07:59:59Z"),
        no("AC-SHIPPED", "2026-01-08T10:00:00Z", "2026-01-10T07:59:59Z"),
        no("AC-2019", "2019-06-01T10:00:00Z", "2019-06-03T06:59:59Z"),     # Sun 06-02 local, pre-cutover
    ])
    write(d + "2026-03-19-all-orders.txt", ALL_ORDERS, [
        ao("AC-OVERDUE", "2026-02-10T10:00:00Z", "2026-03-19T00:00:00Z", "Unshipped"),
        ao("AC-ATRISK", "2026-02-20T10:00:00Z", "2026-03-19T00:00:00Z", "Unshipped"),
        ao("AC-FAR", "2026-02-20T10:00:00Z", "2026-03-19T00:00:00Z", "Unshipped"),
        ao("AC-EXACT", "2026-02-16T10:00:00Z", "2026-03-19T00:00:00Z", "Unshipped"),
        ao("AC-SAT", "2026-02-12T10:00:00Z", "2026-03-19T00:00:00Z", "Unshipped"),
        ao("AC-B7", "2026-03-10T10:00:00Z", "2026-03-19T00:00:00Z", "Unshipped"),
        ao("AC-BASIS", "2026-02-15T00:00:00Z", "2026-03-19T00:00:00Z", "Unshipped"),
        ao("AC-AUTO", "2026-01-08T10:00:00Z", "2026-02-10T00:00:00Z", "Cancelled"),
        ao("AC-SHIPPED", "2026-01-08T10:00:00Z", "2026-01-09T00:00:00Z", "Shipped"),
        ao("AC-PENDING", "2026-01-08T10:00:00Z", "2026-01-09T00:00:00Z", "Pending", price="", ship=""),
        ao("AC-2019", "2019-06-01T10:00:00Z", "2019-06-02T00:00:00Z", "Unshipped"),
    ])
    write(d + "cancel-events.tsv", EVENTS, [
        ev("AC-AUTO", "2026-02-09T08:00:00Z", "amazon", "AutoCancelUnshipped"),
    ])


def metrics_tracking():
    d = "metrics/tracking/"
    zwsp = "\u200b"
    us = [
        # order, sku(s), value (item, shipping), carrier code, carrier name, number, ship-date
        ("T-VALID1", ["SKU-K", "SKU-T"], ("15.00", "5.00"), "UPS", "", "1Z5R89390357567127", "2026-03-01"),
        ("T-MISSING", ["SKU-T"], ("15.00", "5.00"), "UPS", "", "", "2026-03-01"),
        ("T-NULL", ["SKU-X"], ("15.00", "5.00"), "USPS", "", "NULL", "2026-03-01"),
        ("T-HIDDEN", ["SKU-X"], ("15.00", "5.00"), "UPS", "", "1Z879E930346834" + zwsp + "440", "2026-03-01"),
        ("T-CARRIER", ["SKU-X"], ("15.00", "5.00"), "Pony Express", "", "PX12345678", "2026-03-01"),
        ("T-OTHER", ["SKU-X"], ("15.00", "5.00"), "Other", "royal-mail", "RB123456785GB", "2026-03-15"),
        ("T-FORMAT", ["SKU-X"], ("15.00", "5.00"), "USPS", "", "12345", "2026-03-01"),
        ("T-CHECK", ["SKU-X"], ("15.00", "5.00"), "FedEx", "", "996578788855", "2026-03-01"),
        ("T-NOSCAN", ["SKU-X"], ("15.00", "5.00"), "UPS", "", "1Z410E7W0392751591", "2026-03-01"),
        ("T-INSUFF", ["SKU-X"], ("15.00", "5.00"), "UPS", "", "1Z8V92A70367203024", "2026-03-02"),
        ("T-CHEAP", ["SKU-X"], ("3.99", "1.00"), "FedEx", "", "986578788855", "2026-03-02"),
        ("T-YOUNG", ["SKU-X"], ("15.00", "5.00"), "FedEx", "", "477179081230", "2026-03-15"),
    ]
    orders, confs = [], []
    for oid, skus, (item, ship), code, name, number, day in us:
        for sku in skus:
            orders.append(ao(oid, "2026-02-28T18:00:00Z", "2026-03-16T00:00:00Z", "Shipped", sku=sku, price=item,
                             ship=ship))
        confs.append(conf(oid, day, code, number.replace(zwsp, "\u200b"), name=name))
    # Two rows of one package: ship day is the earliest, carrier the first row's.
    orders.append(ao("T-TWOROWS", "2026-02-28T18:00:00Z", "2026-03-16T00:00:00Z", "Shipped", sku="SKU-X"))
    confs.append(conf("T-TWOROWS", "2026-03-03", "FedEx", "799531274483", item="1"))
    confs.append(conf("T-TWOROWS", "2026-03-02", "fedex", "799531274483", item="2"))
    # UK: 20 packages, 19 valid (exactly 95%: BAD). DE: 21 packages, 20 valid (GOOD).
    for i in range(1, 21):
        oid = f"T-UK-{i:02}"
        orders.append(ao(oid, "2026-03-15T12:00:00Z", "2026-03-16T12:00:00Z", "Shipped", sales="Amazon.co.uk",
                         cur="GBP"))
        confs.append(conf(oid, "2026-03-16", "Royal Mail", "RB123456785GB" if i > 1 else "RB12345678GB"))
    for i in range(1, 22):
        oid = f"T-DE-{i:02}"
        orders.append(ao(oid, "2026-03-15T12:00:00Z", "2026-03-16T12:00:00Z", "Shipped", sales="Amazon.de",
                         cur="EUR"))
        confs.append(conf(oid, "2026-03-16", "DHL", "3318810025" if i > 1 else ""))
    # FR: window edges. The window ending 03-16 is 02-15 .. 03-16 (D-29 in, D-30 out).
    for oid, day, number in [("T-FR-D30", "2026-02-14", "AB-12"), ("T-FR-D29", "2026-02-15", "COLIS12345678"),
                             ("T-FR-D", "2026-03-16", "COLIS87654321")]:
        orders.append(ao(oid, "2026-02-13T12:00:00Z", "2026-03-16T12:00:00Z", "Shipped", sales="Amazon.fr", cur="EUR"))
        confs.append(conf(oid, day, "Colissimo", number))
    # Left out of the metrics: an unknown order, an AFN order, a Non-Amazon order, an
    # unsupported marketplace.
    orders.append(ao("T-AFN", "2026-02-28T18:00:00Z", "2026-03-16T00:00:00Z", "Shipped", channel="Amazon"))
    orders.append(ao("T-MCF", "2026-02-28T18:00:00Z", "2026-03-16T00:00:00Z", "Shipped", sales="Non-Amazon"))
    orders.append(ao("T-XX", "2026-02-28T18:00:00Z", "2026-03-16T00:00:00Z", "Shipped", sales="Amazon.com.xx"))
    for oid in ["T-UNKNOWN", "T-AFN", "T-MCF", "T-XX"]:
        confs.append(conf(oid, "2026-03-01", "UPS", "1Z5R89390357567127"))
    write(d + "2026-03-16-all-orders.txt", ALL_ORDERS, orders)
    text = []
    for c in confs:
        text.append("\t".join(str(c[h]) for h in CONFIRMATIONS).replace("\\u200b", "\u200b"))
    write(d + "confirmations.txt", CONFIRMATIONS, text, template="TemplateType=ShippingConfirmation\tVersion=2.0")
    write(d + "scans.tsv", SCANS, [
        {"tracking-number": "1Z5R89390357567127", "scan-date": "2026-03-01T20:00:00Z", "scan-type": "accepted"},
        {"tracking-number": "1z5r 8939 0357 5671 27", "scan-date": "2026-03-03T20:00:00Z", "scan-type": "Delivered"},
        {"tracking-number": "1Z8V92A70367203024", "scan-date": "2026-03-02T20:00:00Z", "scan-type": "accepted"},
        {"tracking-number": "986578788855", "scan-date": "2026-03-02T20:00:00Z", "scan-type": "accepted"},
        {"tracking-number": "799531274483", "scan-date": "2026-03-02T20:00:00Z", "scan-type": "accepted"},
        {"tracking-number": "799531274483", "scan-date": "2026-03-04T20:00:00Z", "scan-type": "attempted-delivery"},
        {"tracking-number": "COLIS12345678", "scan-date": "2026-02-16T09:00:00Z", "scan-type": "in-transit"},
    ])
    write(d + "catalog.tsv", CATALOG, [
        {"sku": "SKU-K", "category": "Kitchen"},
        {"sku": "SKU-T", "category": "Toys"},
        {"sku": "SKU-K", "category": "Garden"},
    ])


# --- late shipment (SPEC §3.5): as-of 2026-03-20T00:00:00Z in the tests ----------------------
def metrics_late():
    d = "metrics/late/"
    # Expected ship dates come from the new-orders report; shipments from later all-orders
    # snapshots (Shipped, with last-updated-date) or, for L-CONF-DATE, a confirmation row only.
    write(d + "2026-03-01-new-orders.txt", NEW_ORDERS, [
        # US (Los Angeles): local expected-ship days in the comments.
        no("L-OLD", "2026-02-10T18:00:00+00:00", "2026-02-14T07:59:59+00:00"),        # 02-13, PST
        no("L-LATE1", "2026-03-07T18:00:00+00:00", "2026-03-10T06:59:59+00:00"),      # 03-09, PDT
        no("L-EXACT", "2026-03-07T18:00:00+00:00", "2026-03-10T06:59:59+00:00"),      # 03-09
        no("L-CONF-DATE", "2026-03-10T18:00:00+00:00", "2026-03-13T06:59:59+00:00"),  # 03-12
        no("L-OPEN-DUE", "2026-03-12T18:00:00+00:00", "2026-03-16T06:59:59+00:00"),   # 03-15
        no("L-OPEN-NOTDUE", "2026-03-18T18:00:00+00:00", "2026-03-25T06:59:59+00:00"),  # after as-of
        no("L-CANCEL", "2026-03-07T18:00:00+00:00", "2026-03-10T06:59:59+00:00"),
    ])
    uk = [ao(f"L-UK-{i:02}", "2026-03-08T10:00:00+00:00", "2026-03-08T10:00:00+00:00", "Unshipped",
             sales="Amazon.co.uk", cur="GBP") for i in range(25)]
    de = [ao(f"L-DE-{i:02}", "2026-03-08T10:00:00+00:00", "2026-03-08T10:00:00+00:00", "Unshipped",
             sales="Amazon.de", cur="EUR") for i in range(26)]
    write(d + "2026-03-08-all-orders.txt", ALL_ORDERS, uk + de)
    # UK: 25 due 2026-03-10 23:59:59 London, one shipped late: 25 x 1 >= 25, exactly 4%: BAD.
    # DE: 26 due 2026-03-10 23:59:59 Paris, one late: 1/26 < 4%: GOOD.
    write(d + "2026-03-08-unshipped.txt", UNSHIPPED, [
        {"order-id": f"L-UK-{i:02}", "order-item-id": "1", "purchase-date": "2026-03-08T10:00:00+00:00",
         "reporting-date": "2026-03-08T12:00:00+00:00", "promise-date": "2026-03-10T23:59:59+00:00",
         "quantity-purchased": "1", "quantity-shipped": "0", "quantity-to-ship": "1"} for i in range(25)
    ] + [
        {"order-id": f"L-DE-{i:02}", "order-item-id": "1", "purchase-date": "2026-03-08T10:00:00+00:00",
         "reporting-date": "2026-03-08T12:00:00+00:00", "promise-date": "2026-03-10T22:59:59+00:00",
         "quantity-purchased": "1", "quantity-shipped": "0", "quantity-to-ship": "1"} for i in range(26)
    ])
    us = [
        ao("L-OLD", "2026-02-10T18:00:00+00:00", "2026-02-15T10:00:00+00:00", "Shipped"),
        # One second after the expected ship date: late. Exactly at it: on time.
        ao("L-LATE1", "2026-03-07T18:00:00+00:00", "2026-03-10T07:00:00+00:00", "Shipped"),
        ao("L-EXACT", "2026-03-07T18:00:00+00:00", "2026-03-10T06:59:59+00:00", "Shipped"),
        # Still Unshipped in every snapshot: only its confirmation row makes it shipped.
        ao("L-CONF-DATE", "2026-03-10T18:00:00+00:00", "2026-03-12T20:00:00+00:00", "Unshipped"),
        ao("L-OPEN-DUE", "2026-03-12T18:00:00+00:00", "2026-03-13T10:00:00+00:00", "Unshipped"),
        ao("L-OPEN-NOTDUE", "2026-03-18T18:00:00+00:00", "2026-03-18T19:00:00+00:00", "Unshipped"),
        ao("L-CANCEL", "2026-03-07T18:00:00+00:00", "2026-03-11T10:00:00+00:00", "Cancelled"),
        # Shipped, but no snapshot gives an expected ship date: counted apart.
        ao("L-NOEXP", "2026-03-07T18:00:00+00:00", "2026-03-09T10:00:00+00:00", "Shipped"),
    ]
    uk_ship = [ao(f"L-UK-{i:02}", "2026-03-08T10:00:00+00:00",
                  "2026-03-11T09:00:00+00:00" if i == 0 else "2026-03-10T12:00:00+00:00", "Shipped",
                  sales="Amazon.co.uk", cur="GBP") for i in range(25)]
    de_ship = [ao(f"L-DE-{i:02}", "2026-03-08T10:00:00+00:00",
                  "2026-03-11T09:00:00+00:00" if i == 0 else "2026-03-10T12:00:00+00:00", "Shipped",
                  sales="Amazon.de", cur="EUR") for i in range(26)]
    write(d + "2026-03-19-all-orders.txt", ALL_ORDERS, us + uk_ship + de_ship)
    # L-CONF-DATE: a date-only ship-date on its due day: 00:00 local, before 23:59:59: on time.
    write(d + "confirmations.txt", CONFIRMATIONS, [
        conf("L-CONF-DATE", "2026-03-12", "UPS", "1Z5R89390357567127"),
    ])


# --- on-time delivery (SPEC §3.7) and the tracking basis (§3.3) -----------------------------
def metrics_delivery():
    d = "metrics/delivery/"
    new_orders = NEW_ORDERS + ["latest-delivery-date"]
    # as-of 2026-03-20T00:00:00Z: US local day 2026-03-19 (PDT); UK and DE 2026-03-20.
    # (order, purchase, ship instant = its confirmation, promised delivery, delivered scan or None,
    #  tracking number). Promised local days (Los Angeles) in the comments.
    us = [
        # Promised 02-21 (PST); shipped 02-16: only the promise puts it in the 30-day window
        # ending 03-19 (02-18 .. 03-19).
        ("D-PLACED", "2026-02-14T18:00:00Z", "2026-02-16T18:00:00Z", "2026-02-22T07:59:59Z", "2026-02-19T20:00:00Z",
         "TBA100000000001"),
        # Promised 03-07 23:59:59 PST, the eve of the DST change: delivered 23:30 PST, on time
        # (read with PDT's offset it would be 00:30 on 03-08: late).
        ("D-DST-PST", "2026-03-03T18:00:00Z", "2026-03-04T18:00:00Z", "2026-03-08T07:59:59Z", "2026-03-08T07:30:00Z",
         "TBA100000000002"),
        # Promised 03-08 23:59:59 PDT, the DST day: 23:30 PDT is on time, 00:30 PDT on 03-09 is
        # late (read with PST's offset both would be 03-08).
        ("D-DST-ON", "2026-03-03T18:00:00Z", "2026-03-04T18:00:00Z", "2026-03-09T06:59:59Z", "2026-03-09T06:30:00Z",
         "TBA100000000003"),
        ("D-DST-LATE", "2026-03-03T18:00:00Z", "2026-03-04T18:00:00Z", "2026-03-09T06:59:59Z", "2026-03-09T07:30:00Z",
         "TBA100000000004"),
        # Promised 03-11 23:59:59 PDT: delivered 23:00 that day (on time) and 01:00 the day after (late).
        ("D-ONTIME", "2026-03-07T18:00:00Z", "2026-03-08T18:00:00Z", "2026-03-12T06:59:59Z", "2026-03-12T06:00:00Z",
         "TBA100000000005"),
        ("D-DAYAFTER", "2026-03-07T18:00:00Z", "2026-03-08T18:00:00Z", "2026-03-12T06:59:59Z", "2026-03-12T08:00:00Z",
         "TBA100000000006"),
        # Delivered on time (03-11 11:00), but the shipment was confirmed after it (13:00): late.
        ("D-CONFLATE", "2026-03-07T18:00:00Z", "2026-03-11T20:00:00Z", "2026-03-12T06:59:59Z", "2026-03-11T18:00:00Z",
         "TBA100000000007"),
        # Delivered 03-11 22:00, confirmed on 03-13, after the promised day: late.
        ("D-CONF-PROMISE", "2026-03-07T18:00:00Z", "2026-03-13T10:00:00Z", "2026-03-12T06:59:59Z",
         "2026-03-12T05:00:00Z", "TBA100000000008"),
        # Never delivered, promised 03-11: over before as-of's day, so late.
        ("D-NOTDELIV-PAST", "2026-03-07T18:00:00Z", "2026-03-08T18:00:00Z", "2026-03-12T06:59:59Z", None,
         "TBA100000000009"),
        # Not delivered, promised 03-19, as-of's own local day: not judged yet.
        ("D-NOTDELIV-FUTURE", "2026-03-16T18:00:00Z", "2026-03-17T18:00:00Z", "2026-03-20T06:59:59Z", None,
         "TBA100000000010"),
        # An invalid number (bad-format): in valid tracking, not in on-time delivery.
        ("D-INVALID", "2026-03-07T18:00:00Z", "2026-03-08T18:00:00Z", "2026-03-12T06:59:59Z", "2026-03-12T06:00:00Z",
         "TBA12345"),
        # An unparseable promise (a space for T): no promise, rejects nothing, placed by ship day.
        ("D-NOPROMISE", "2026-03-01T18:00:00Z", "2026-03-02T18:00:00Z", "2026-03-06 23:59:59", "2026-03-04T18:00:00Z",
         "TBA100000000011"),
    ]
    # UK: 100 packages promised 03-10 (London), 97 on time: 100 x 97 > 97 x 100 is false, BAD.
    # DE: 101 packages promised 03-10 (Berlin), 98 on time: 9,800 > 9,797, 97.03%, GOOD.
    uk = [(f"D-UK-{i:03}", "2026-03-04T12:00:00Z", "2026-03-05T12:00:00Z", "2026-03-10T23:59:59Z",
           "2026-03-11T12:00:00Z" if i < 3 else "2026-03-09T12:00:00Z", f"TBA2{i:011}") for i in range(100)]
    de = [(f"D-DE-{i:03}", "2026-03-04T12:00:00Z", "2026-03-05T12:00:00Z", "2026-03-10T22:59:59Z",
           "2026-03-11T12:00:00Z" if i < 3 else "2026-03-09T12:00:00Z", f"TBA3{i:011}") for i in range(101)]
    orders = [(o, "Amazon.com", "USD") for o in us] + [(o, "Amazon.co.uk", "GBP") for o in uk] + \
        [(o, "Amazon.de", "EUR") for o in de]
    write(d + "2026-03-01-new-orders.txt", new_orders, [
        dict(no(oid, purchase, purchase.replace("T18", "T23").replace("T12", "T23")), **{"latest-delivery-date": promise})
        for (oid, purchase, _, promise, _, _), _, _ in orders
    ])
    write(d + "2026-03-19-all-orders.txt", ALL_ORDERS, [
        ao(oid, purchase, ship, "Shipped", sales=sales, cur=cur) for (oid, purchase, ship, _, _, _), sales, cur in orders
    ])
    write(d + "confirmations.txt", CONFIRMATIONS, [
        conf(oid, ship, "AMZL", number) for (oid, _, ship, _, _, number), _, _ in orders
    ])
    scans = []
    for (_, _, ship, _, delivered, number), _, _ in orders:
        scans.append({"tracking-number": number, "scan-date": ship, "scan-type": "accepted"})
        if delivered:
            scans.append({"tracking-number": number, "scan-date": delivered, "scan-type": "delivered"})
    write(d + "scans.tsv", SCANS, scans)


# --- many marketplaces: the first screen of a bigger account (issue: one screen) -----------
MARKETPLACES = [("US", "Amazon.com", "USD"), ("CA", "Amazon.ca", "CAD"), ("MX", "Amazon.com.mx", "MXN"),
                ("BR", "Amazon.com.br", "BRL"), ("UK", "Amazon.co.uk", "GBP"), ("DE", "Amazon.de", "EUR"),
                ("FR", "Amazon.fr", "EUR"), ("IT", "Amazon.it", "EUR"), ("ES", "Amazon.es", "EUR"),
                ("NL", "Amazon.nl", "EUR"), ("SE", "Amazon.se", "SEK"), ("PL", "Amazon.pl", "PLN"),
                ("JP", "Amazon.co.jp", "JPY")]
CATEGORY_NAMES = ["Kitchen", "Toys", "Garden", "Books", "Electronics", "Beauty", "Sports", "Office", "Pets"]


def account(d, marketplaces, late=(), careless=(), slow=()):
    """27 orders per marketplace, 3 per category, bought 03-01 .. 03-09 at 12:00Z, due two days
    later, promised five days later. `late`: marketplaces where every fourth order ships a day
    after its due date; `careless`: (marketplace, categories) whose every other package has a
    malformed number; `slow`: marketplaces where every fifth package is delivered two days
    after its promise."""
    from datetime import datetime, timedelta, timezone
    fmt = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
    careless = dict(careless)
    new, shipped, confirmations, scans = [], [], [], []
    for i, (code, sales, cur) in enumerate(marketplaces):
        for k in range(27):
            oid = f"M-{code}-{k:03}"
            category = k % 9
            purchase = datetime(2026, 3, 1 + k // 3, 12, tzinfo=timezone.utc)
            due = purchase + timedelta(days=2)
            ship = due + timedelta(days=1) if code in late and k % 4 == 0 else purchase + timedelta(days=1)
            promise = purchase + timedelta(days=5)
            delivered = promise + timedelta(days=2) if code in slow and k % 5 == 0 else ship + timedelta(days=2)
            number = f"TBA{i:02}{k:010}"
            if category in careless.get(code, ()) and k % 2 == 0:
                number = f"TBA{k}"
            row = no(oid, fmt(purchase), fmt(due), sku=f"SKU-{category}")
            row["latest-delivery-date"] = fmt(promise)
            new.append(row)
            shipped.append(ao(oid, fmt(purchase), fmt(ship), "Shipped", sales=sales, cur=cur, sku=f"SKU-{category}"))
            confirmations.append(conf(oid, fmt(ship), "AMZL", number))
            scans.append({"tracking-number": number, "scan-date": fmt(ship + timedelta(hours=1)), "scan-type": "accepted"})
            scans.append({"tracking-number": number, "scan-date": fmt(delivered), "scan-type": "delivered"})
    write(d + "2026-03-09-new-orders.txt", NEW_ORDERS + ["latest-delivery-date"], new)
    write(d + "2026-03-19-all-orders.txt", ALL_ORDERS, shipped)
    write(d + "confirmations.txt", CONFIRMATIONS, confirmations)
    write(d + "scans.tsv", SCANS, scans)
    write(d + "catalog.tsv", CATALOG, [{"sku": f"SKU-{c}", "category": n} for c, n in enumerate(CATEGORY_NAMES)])


def many_marketplaces():
    # 13 marketplaces of 9 categories: two ship late, four have careless categories, two
    # deliver late; the rest are GOOD.
    account("many-marketplaces/", MARKETPLACES, late=("MX", "IT"),
            careless=[("US", (4, 6, 7)), ("DE", (4,)), ("ES", (1, 4)), ("JP", (8,))], slow=("BR", "PL"))
    # The same account, healthy everywhere.
    account("all-good/", MARKETPLACES[:4])


# --- SP-API JSON (SPEC §1.6): hand-made shapes, bad records, hostile files -----------------
def sp_api():
    import json
    d = os.path.join(ROOT, "sp-api")
    os.makedirs(os.path.join(d, "bad"), exist_ok=True)
    os.makedirs(os.path.join(ROOT, "hostile"), exist_ok=True)

    def v0(oid, purchase, updated, status, *, items=None, **more):
        o = {"AmazonOrderId": oid, "PurchaseDate": purchase, "LastUpdateDate": updated, "OrderStatus": status,
             "FulfillmentChannel": "MFN", "SalesChannel": "Amazon.com", "LatestShipDate": "2026-03-03T07:59:59Z",
             "LatestDeliveryDate": "2026-03-07T07:59:59Z", **more}
        if items is not None:
            o["OrderItems"] = items
        return o

    def item(iid, sku, qty=1, amount="19.99", **more):
        return {"OrderItemId": iid, "SellerSKU": sku, "QuantityOrdered": qty,
                "ItemPrice": {"CurrencyCode": "USD", "Amount": amount}, **more}

    # JSON lines of bare orders with nested items (a connector's export), one record bad per
    # kind of fault; line numbers in the comments are the lines rejected.tsv names.
    lines = [
        v0("S-1", "2026-03-01T10:00:00Z", "2026-03-01T12:00:00Z", "Unshipped", items=[item("1", "SKU-A")]),
        v0("S-2", "2026-02-30T10:00:00Z", "2026-03-01T12:00:00Z", "Unshipped"),  # line 2: no such date
        '{"AmazonOrderId": "S-3", "PurchaseDate": ',  # line 3: not JSON
        v0("S-4", "2026-03-01T10:00:00Z", "2026-03-01T12:00:00Z", "Unshipped",
           items=[item("1", "SKU-A", qty="two"), item("2", "SKU-B")]),  # line 4: an item's quantity
        v0("S-5", "2026-03-01T10:00:00Z", "2026-03-01T12:00:00Z", "Unshipped",
           items=[item("1", "SKU-A", amount="12,99")]),  # line 5: a decimal comma
        {"AmazonOrderId": None, "PurchaseDate": None, "OrderStatus": None, "OrderItems": None},  # line 6
        v0("S-7", "2026-03-01T10:00:00Z", "2026-03-02T09:00:00Z", "Canceled",
           items=[item("1", "SKU-C", qty="1", BuyerRequestedCancel={"IsBuyerRequestedCancel": True})]),
    ]
    with open(os.path.join(d, "bad", "export.jsonl"), "w") as f:
        for l in lines:
            f.write((l if isinstance(l, str) else json.dumps(l)) + "\n")
    # The other shapes: a getOrders page without its payload wrapper, an array of whole
    # responses, an array of OrderItems carrying AmazonOrderId, a gzip'd page with a BOM.
    os.makedirs(os.path.join(d, "shapes"), exist_ok=True)
    with open(os.path.join(d, "shapes", "page-without-payload.json"), "w") as f:
        json.dump({"Orders": [v0("P-1", "2026-03-01T10:00:00Z", "2026-03-01T12:00:00Z", "Unshipped")],
                   "NextToken": "x"}, f, indent=2)
    with open(os.path.join(d, "shapes", "responses.json"), "w") as f:
        json.dump([{"payload": {"Orders": [v0("P-2", "2026-03-01T10:00:00Z", "2026-03-01T12:00:00Z", "Pending")]}},
                   {"order": {"orderId": "P-3", "createdTime": "2026-03-01T10:00:00Z",
                              "lastUpdatedTime": "2026-03-01T11:00:00Z",
                              "salesChannel": {"channelName": "NON_AMAZON"},
                              "fulfillment": {"fulfillmentStatus": "UNSHIPPED", "fulfilledBy": "MERCHANT"}}}], f)
    with open(os.path.join(d, "shapes", "items.json"), "w") as f:
        json.dump([dict(item("1", "SKU-P1", qty=2, amount="30.00"), AmazonOrderId="P-1"),
                   dict(item("2", "SKU-P2"), AmazonOrderId="P-1")], f)
    page = json.dumps({"payload": {"Orders": [v0("P-4", "2026-03-01T10:00:00Z", "2026-03-01T12:00:00Z",
                                                  "Shipped", MarketplaceId="A1VC38T7YXB528",
                                                  SalesChannel=None)]}})
    with open(os.path.join(d, "shapes", "page.json.gz"), "wb") as f:
        f.write(gzip.compress(b"\xef\xbb\xbf" + page.encode(), mtime=0))
    # A page cut short: not JSON at all, rejected whole.
    with open(os.path.join(d, "bad", "cut-page.json"), "w") as f:
        f.write('{\n  "payload": {\n    "Orders": [\n      {"AmazonOrderId": "S-9",\n')
    # Hostile: nesting far deeper than any parser's stack, invalid UTF-8 inside a string,
    # duplicate keys, a truncated gzip.
    with open(os.path.join(ROOT, "hostile", "deep-nesting.json"), "w") as f:
        f.write("[" * 100_000)
    with open(os.path.join(ROOT, "hostile", "invalid-utf8-in-string.jsonl"), "wb") as f:
        f.write(json.dumps(v0("H-1", "2026-03-01T10:00:00Z", "2026-03-01T12:00:00Z", "Unshipped")).encode() + b"\n")
        f.write(b'{"AmazonOrderId": "H-2\xff", "PurchaseDate": "2026-03-01T10:00:00Z"}\n')
    with open(os.path.join(ROOT, "hostile", "duplicate-keys.json"), "w") as f:
        f.write('{"AmazonOrderId": "H-3", "AmazonOrderId": "H-4", "PurchaseDate": "2026-03-01T10:00:00Z", '
                '"OrderStatus": "Unshipped", "OrderStatus": "Shipped"}\n')
    whole = gzip.compress(json.dumps({"payload": {"Orders": [v0(f"H-{i}", "2026-03-01T10:00:00Z",
                                       "2026-03-01T12:00:00Z", "Unshipped") for i in range(200)]}}).encode(), mtime=0)
    with open(os.path.join(ROOT, "hostile", "truncated-page.json.gz"), "wb") as f:
        f.write(whole[: len(whole) // 2])
    # A 500 MB string in the second of three orders, as JSON lines and as an array: zstd with
    # a long window keeps each file at ~15 kB (the zstd command line tool is needed).
    import subprocess
    huge = b'"' + b"x" * 500_000_000 + b'"'

    def holding(i, name):
        return (b'{"AmazonOrderId": "H-%d", "PurchaseDate": "2026-03-01T10:00:00Z", "OrderStatus": "Unshipped", '
                b'"FulfillmentChannel": "MFN", "BuyerInfo": {"BuyerName": ' % i + name + b"}}")
    for name, text in [
        ("huge-string.jsonl.zst", holding(1, b'"Ann"') + b"\n" + holding(2, huge) + b"\n" + holding(3, b'"Ann"') + b"\n"),
        ("huge-string-array.json.zst",
         b"[" + holding(1, b'"Ann"') + b",\n" + holding(2, huge) + b",\n" + holding(3, b'"Ann"') + b"\n]\n"),
    ]:
        subprocess.run(["zstd", "-19", "--long=27", "-q", "-f", "-o", os.path.join(ROOT, "hostile", name)],
                       input=text, check=True)


# --- Amazon's seller performance reports (SPEC §1.7, §3.8), over testdata/sample ------------
def performance():
    import json
    d = os.path.join(ROOT, "performance")
    os.makedirs(d, exist_ok=True)
    rng = lambda a, b: {"reportingDateFrom": f"{a}T00:00:00Z", "reportingDateTo": f"{b}T23:59:59Z"}
    # Counts taken from the sample's own current windows (`report --verbose` as of 03-17):
    # US cancel 0/14 (03-10 .. 03-16), late 1/44 (10 days, across the DST change of 03-08) and
    # 1/170 (30 days), valid tracking 179/184, on-time 179/181; UK late 17/42.
    us = {
        "marketplaceId": "ATVPDKIKX0DER",
        "preFulfillmentCancellationRate": {"reportingDateRange": rng("2026-03-10", "2026-03-16"), "status": "GOOD",
                                           "rate": 0.0, "orderCount": 14, "cancellationCount": 0,
                                           "targetValue": 0.025, "targetCondition": "LESS_THAN"},
        "lateShipmentRate": {"reportingDateRange": rng("2026-02-15", "2026-03-16"), "status": "GOOD",
                             "rate": 0.0059, "orderCount": 170, "lateShipmentCount": 1, "targetValue": 0.04},
        "lateShipmentRateList": [
            {"reportingDateRange": rng("2026-03-07", "2026-03-16"), "rate": 0.0227, "orderCount": 44,
             "lateShipmentCount": 1, "status": "GOOD"},
            {"reportingDateRange": rng("2026-02-15", "2026-03-16"), "rate": 0.0059, "orderCount": 170,
             "status": "GOOD"},
        ],
        # A real report's omission: a shipment count and a rate, no valid count.
        "validTrackingRate": {"reportingDateRange": rng("2026-02-15", "2026-03-16"), "status": "GOOD",
                              "rate": 0.972826, "shipmentCount": 184, "targetValue": 0.95},
        "onTimeDeliveryRate": {"reportingDateRange": rng("2026-02-15", "2026-03-16"), "status": "GOOD",
                               "rate": 0.98895, "shipmentCountWithValidTracking": 181, "onTimeDeliveryCount": 179,
                               "targetValue": 0.97},
        "ahrScore": 230,
    }
    uk = {"marketplaceId": "A1F83G8C2ARO7P",
          "lateShipmentRate": {"reportingDateRange": rng("2026-02-16", "2026-03-17"), "status": "BAD",
                               "orderCount": 42, "lateShipmentCount": 17}}
    with open(os.path.join(d, "agrees.json"), "w") as f:
        json.dump({"performanceMetrics": [us, uk]}, f, indent=2)
    # Amazon counts one more cancellation in the US week (a buyer-requested one, say); a
    # marketplace we have no orders for; a metric without dates (not comparable).
    more = json.loads(json.dumps(us))
    more["preFulfillmentCancellationRate"]["cancellationCount"] = 1
    more["preFulfillmentCancellationRate"]["rate"] = 0.0714
    nl = {"marketplaceId": "A1805IZSGTT6HS",
          "prefulfillmentCancelRate": {"reportingDateRange": rng("2026-03-10", "2026-03-16"), "orderCount": 5,
                                       "cancellationCount": 0}}
    # DE, 03-03 .. 03-09: we count 0 of 11 and leave out the buyer-requested 302-…-0000379
    # (bought 03-03); Amazon, whose flag was not set, counts it: 1 of 12. Its valid tracking has
    # no dates: not comparable.
    undated = {"marketplaceId": "A1PA6795UKMFR9",
               "preFulfillmentCancellationRate": {"reportingDateRange": rng("2026-03-03", "2026-03-09"),
                                                  "orderCount": 12, "cancellationCount": 1, "rate": 0.0833},
               "validTrackingRate": {"rate": 1.0, "status": "GOOD"}}
    with open(os.path.join(d, "differs.json"), "w") as f:
        json.dump({"performanceMetrics": [more, nl, undated]}, f, indent=2)
    # A count that is not a number: an error naming the file and the JSON path.
    bad = json.loads(json.dumps(uk))
    bad["lateShipmentRate"]["orderCount"] = "forty-two"
    os.makedirs(os.path.join(ROOT, "performance-malformed"), exist_ok=True)
    with open(os.path.join(ROOT, "performance-malformed", "report.json"), "w") as f:
        json.dump({"performanceMetrics": [bad]}, f, indent=2)


# --- current windows (SPEC §5.6): an account idle in BR since 2020, active in JP today -------
def metrics_current():
    d = "metrics/current/"
    write(d + "all-orders.txt", ALL_ORDERS, [
        # BR, 2020-10: one of two orders cancelled by the seller: that old week is 50%, BAD.
        ao("C-BR-1", "2020-10-20T15:00:00+00:00", "2020-10-21T15:00:00+00:00", "Cancelled", sales="Amazon.com.br",
           cur="BRL"),
        ao("C-BR-2", "2020-10-20T15:00:00+00:00", "2020-10-25T15:00:00+00:00", "Shipped", sales="Amazon.com.br",
           cur="BRL"),
        # JP: bought on the as-of day (2026-04-17 10:00 Tokyo).
        ao("C-JP-1", "2026-04-17T01:00:00+00:00", "2026-04-17T02:00:00+00:00", "Unshipped", sales="Amazon.co.jp",
           cur="JPY"),
    ])
    write(d + "cancel-events.tsv", EVENTS, [
        ev("C-BR-1", "2020-10-21T15:00:00+00:00", "seller", "NoInventory"),
    ])


# --- real layouts (SPEC v1.3 §1.4, §5.1): shapes seen in real downloads ---------------------
def real_layouts():
    d = "real-layouts/"
    # Amazon's Japanese shipping-confirmation template: a row of Japanese titles between the
    # TemplateType line and the keys; cp932, CRLF.
    keys = ["order-id", "order-item-id", "quantity", "ship-date", "carrier-code", "carrier-name",
            "tracking-number", "ship-method"]
    labels = "\t".join(["注文番号", "注文商品番号", "出荷数", "出荷日", "配送業者コード", "配送業者名", "お問い合わせ伝票番号",
                        "配送方法"])
    # write() puts the header first; here the label row comes before it: written by hand.
    lines = ["TemplateType=OrderFulfillment\tVersion=2011.1102", labels, "\t".join(keys),
             "\t".join(["250-1111111-1111111", "11111111111111", "1", "2026-03-10", "YamatoTransport", "",
                        "123456789015", "宅急便"]),
             "\t".join(["250-2222222-2222222", "22222222222222", "1", "2026-03-10", "Other", "佐川急便",
                        "123456789012", "飛脚宅配便"])]
    with open(os.path.join(ROOT, d + "jp-shipping-confirmation-template.txt"), "wb") as f:
        f.write(("\r\n".join(lines) + "\r\n").encode("cp932"))
    # An order report with a sales-channel column left empty and marketplace e-mails.
    cols = ["order-id", "order-item-id", "purchase-date", "payments-date", "buyer-email", "buyer-name",
            "sales-channel", "sku", "quantity-purchased", "currency", "item-price", "shipping-price",
            "latest-ship-date"]
    def row(oid, email, cur):
        return {"order-id": oid, "order-item-id": "10000000000001", "purchase-date": "2026-03-08T10:00:00+00:00",
                "payments-date": "2026-03-08T10:00:00+00:00", "buyer-email": email, "buyer-name": "A. Buyer",
                "sales-channel": "", "sku": "SKU-1", "quantity-purchased": "1", "currency": cur,
                "item-price": "10.00", "shipping-price": "0.00", "latest-ship-date": "2026-03-11T22:59:59+00:00"}
    write(d + "orders-empty-sales-channel.txt", cols, [
        row("171-0000001-0000001", "k2x7q9@marketplace.amazon.fr", "EUR"),
        row("302-0000002-0000002", "m4p8@marketplace.amazon.de", "EUR"),
        row("202-0000003-0000003", "z9@Marketplace.Amazon.co.uk", "GBP"),
        row("250-1111111-1111111", "j1@marketplace.amazon.co.jp", "JPY"),
        row("250-2222222-2222222", "j2@marketplace.amazon.co.jp", "JPY"),
        row("702-0000005-0000005", "c5@marketplace.amazon.ca", "CAD"),
        # No marketplace e-mail: the default marketplace applies, and the run says so.
        row("111-0000006-0000006", "someone@example.com", "USD"),
    ], crlf=True)
    # An Australian unshipped report: no sales-channel column at all.
    write(d + "au-unshipped.txt", ["order-id", "order-item-id", "purchase-date", "reporting-date", "promise-date",
                                   "buyer-email", "quantity-purchased", "quantity-shipped", "quantity-to-ship"], [
        {"order-id": "503-0000004-0000004", "order-item-id": "40000000000004",
         "purchase-date": "2026-03-08T01:00:00+00:00", "reporting-date": "2026-03-09T00:00:00+00:00",
         "promise-date": "2026-03-10T12:59:59+00:00", "buyer-email": "au4@marketplace.amazon.com.au",
         "quantity-purchased": "1", "quantity-shipped": "0", "quantity-to-ship": "1"},
    ])
    # Two all-orders dumps appended into one file (cat a.txt b.txt): the second header repeats.
    first = [ao("113-0000007-0000007", "2026-03-08T10:00:00+00:00", "2026-03-08T10:00:00+00:00", "Unshipped")]
    second = [ao("113-0000007-0000007", "2026-03-08T10:00:00+00:00", "2026-03-09T10:00:00+00:00", "Shipped"),
              ao("113-0000008-0000008", "2026-03-09T10:00:00+00:00", "2026-03-09T10:00:00+00:00", "Unshipped")]
    head = "\t".join(ALL_ORDERS)
    body = lambda rows: ["\t".join(str(r.get(h, "")) for h in ALL_ORDERS) for r in rows]
    with open(os.path.join(ROOT, d + "appended-all-orders.txt"), "w") as f:
        f.write("\n".join([head] + body(first) + [head] + body(second)) + "\n")



# --- real layouts, round two (SPEC v1.4 §5.1, §1.5) ------------------------------------------
# Amazon's documented order report (new orders): 48 columns, prices as line totals.
AMAZON_ORDER_REPORT = [
    "order-id", "order-item-id", "purchase-date", "payments-date", "buyer-email", "buyer-name",
    "payment-method-details", "cpf", "buyer-phone-number", "sku", "number-of-items", "product-name",
    "quantity-purchased", "currency", "item-price", "item-tax", "shipping-price", "shipping-tax",
    "ship-service-level", "recipient-name", "ship-address-1", "ship-address-2", "ship-address-3", "ship-city",
    "ship-state", "ship-postal-code", "ship-country", "ship-phone-number", "item-promotion-discount",
    "item-promotion-id", "ship-promotion-discount", "ship-promotion-id", "delivery-start-date",
    "delivery-end-date", "delivery-time-zone", "delivery-Instructions", "earliest-ship-date", "latest-ship-date",
    "earliest-delivery-date", "latest-delivery-date", "is-business-order", "purchase-order-number",
    "price-designation", "is-prime", "signature-confirmation-recommended", "buyer-company-name",
    "is-global-express-enabled", "is-sold-by-ab"]
# An unshipped report of a real layout: 41 columns, the last two dropped from rows left empty.
UNSHIPPED_41 = [
    "order-id", "order-item-id", "purchase-date", "payments-date", "reporting-date", "promise-date",
    "days-past-promise", "buyer-email", "buyer-name", "buyer-phone-number", "sku", "product-name",
    "quantity-purchased", "quantity-shipped", "quantity-to-ship", "ship-service-level", "recipient-name",
    "ship-address-1", "ship-address-2", "ship-address-3", "ship-city", "ship-state", "ship-postal-code",
    "ship-country", "is-business-order", "purchase-order-number", "price-designation", "is-prime",
    "is-buyer-requested-cancellation", "buyer-requested-cancel-reason", "verge-of-cancellation",
    "verge-of-lateShipment", "ship-service-name", "is-ispu", "store-chain-store-id", "is-sold-by-ab",
    "is-transparency", "is-iba", "default-ship-from-location-address-name", "buyer-identification-number",
    "buyer-identification-type"]
FBA_SHIPMENTS = [
    "amazon-order-id", "merchant-order-id", "shipment-id", "shipment-item-id", "amazon-order-item-id",
    "merchant-order-item-id", "purchase-date", "payments-date", "shipment-date", "reporting-date",
    "buyer-email", "buyer-name", "buyer-phone-number", "sku", "product-name", "quantity-shipped", "currency",
    "item-price", "item-tax", "shipping-price", "shipping-tax", "gift-wrap-price", "gift-wrap-tax",
    "ship-service-level", "recipient-name", "ship-address-1", "ship-city", "ship-state", "ship-postal-code",
    "ship-country", "carrier", "tracking-number", "estimated-arrival-date", "fulfillment-center-id",
    "fulfillment-channel", "sales-channel"]


def real_layouts_round_two():
    d = "real-layouts/"
    def order_report_row(oid, item, name, **extra):
        r = {"order-id": oid, "order-item-id": item, "purchase-date": "2026-03-09T18:04:45+00:00",
             "payments-date": "2026-03-09T18:04:45+00:00", "buyer-email": "x7k2@marketplace.amazon.com",
             "buyer-name": "Jane Doe", "sku": "PIZ-12", "number-of-items": "1", "product-name": name,
             "quantity-purchased": "1", "currency": "USD", "item-price": "24.99", "item-tax": "2.06",
             "shipping-price": "4.99", "shipping-tax": "0.00", "ship-service-level": "Standard",
             "recipient-name": "Jane Doe", "ship-address-1": "1 Main St", "ship-city": "SEATTLE",
             "ship-state": "WA", "ship-postal-code": "98101", "ship-country": "US",
             "earliest-ship-date": "2026-03-10T07:00:00+00:00", "latest-ship-date": "2026-03-12T06:59:59+00:00",
             "earliest-delivery-date": "2026-03-13T07:00:00+00:00",
             "latest-delivery-date": "2026-03-17T06:59:59+00:00", "is-business-order": "false",
             "price-designation": "", "is-prime": "false", "signature-confirmation-recommended": "false",
             "is-global-express-enabled": "false", "is-sold-by-ab": "false"}
        r.update(extra)
        return "\t".join(r.get(h, "") for h in AMAZON_ORDER_REPORT)
    # Amazon's own sample: the product name wrapped in quotes across three physical lines (one
    # order), then a full-length row whose name holds quotes of its own (never joined).
    wrapped = order_report_row("111-1111111-1111111", "11111111111111",
                               '"Deluxe Pizza Pan\nNon-stick, 12 inch\nwith ""Easy Grip"" handles"')
    plain = order_report_row("111-2222222-2222222", "22222222222222", '"Chef" 12" Pizza Pan')
    with open(os.path.join(ROOT, d + "amazon-sample-order-report.txt"), "w") as f:
        f.write("\n".join(["\t".join(AMAZON_ORDER_REPORT), wrapped, plain]) + "\n")
    # A quote that never closes: that line is rejected, the lines after it read as rows.
    cut = order_report_row("111-3333333-3333333", "33333333333333", '"Pizza Stone').split("\t")[:12]
    with open(os.path.join(ROOT, d + "unclosed-quote-order-report.txt"), "w") as f:
        f.write("\n".join(["\t".join(AMAZON_ORDER_REPORT), "\t".join(cut),
                           order_report_row("111-4444444-4444444", "44444444444444", "Pizza Peel"),
                           order_report_row("111-5555555-5555555", "55555555555555", "Pizza Cutter")]) + "\n")
    # Unshipped rows of 39 fields under 41 columns (the buyer identification left off), and one
    # row that ends before is-buyer-requested-cancellation: that one is rejected.
    def unshipped(oid, item, n):
        r = {"order-id": oid, "order-item-id": item, "purchase-date": "2026-03-10T15:00:00+00:00",
             "payments-date": "2026-03-10T15:00:00+00:00", "reporting-date": "2026-03-11T09:00:00+00:00",
             "promise-date": "2026-03-13T06:59:59+00:00", "days-past-promise": "-2",
             "buyer-email": "q1@marketplace.amazon.com", "buyer-name": "Sam", "sku": "PIZ-12",
             "product-name": "Pizza Pan", "quantity-purchased": "1", "quantity-shipped": "0",
             "quantity-to-ship": "1", "ship-service-level": "Standard", "ship-country": "US",
             "is-business-order": "false", "is-prime": "false", "is-buyer-requested-cancellation": "false",
             "verge-of-cancellation": "false", "verge-of-lateShipment": "false", "is-ispu": "false",
             "is-sold-by-ab": "false", "is-transparency": "false", "is-iba": "false"}
        return "\t".join(r.get(h, "") for h in UNSHIPPED_41[:n])
    with open(os.path.join(ROOT, d + "unshipped-short-rows.txt"), "w") as f:
        f.write("\n".join(["\t".join(UNSHIPPED_41), unshipped("112-0000001-0000001", "10000000000001", 39),
                           unshipped("112-0000002-0000002", "20000000000002", 39),
                           unshipped("112-0000003-0000003", "30000000000003", 28)]) + "\n")
    # Every order row unusable (dates Amazon never writes), and a quiet period: headers only.
    write(d + "all-rejected-orders.txt", ALL_ORDERS, [
        ao("113-0000001-0000001", "03/10/2026 10:00", "2026-03-10T10:00:00+00:00", "Shipped"),
        ao("113-0000002-0000002", "2026-03-10 10:00:00", "2026-03-10T10:00:00+00:00", "Unshipped"),
    ])
    write(d + "headers-only-order-report.txt", AMAZON_ORDER_REPORT, [])
    # Reports sellers download beside their orders, and an all-orders file without its header.
    write(d + "fba-amazon-fulfilled-shipments.txt", FBA_SHIPMENTS, [
        {"amazon-order-id": "114-0000001-0000001", "shipment-id": "DkLPqR1x", "shipment-item-id": "DyQx1",
         "amazon-order-item-id": "10000000000009", "purchase-date": "2026-03-08T10:00:00+00:00",
         "shipment-date": "2026-03-09T10:00:00+00:00", "sku": "PIZ-12", "quantity-shipped": "1",
         "currency": "USD", "item-price": "24.99", "carrier": "AMZN_US", "tracking-number": "TBA123456789000",
         "fulfillment-center-id": "SEA8", "fulfillment-channel": "AFN", "sales-channel": "Amazon.com"}])
    rows = [ao("115-0000001-0000001", "2026-03-09T10:00:00+00:00", "2026-03-09T10:00:00+00:00", "Shipped")]
    with open(os.path.join(ROOT, d + "headerless-all-orders.txt"), "w") as f:
        f.write("\n".join("\t".join(str(r.get(h, "")) for h in ALL_ORDERS) for r in rows) + "\n")


# --- cancel-feed (issue: write the order-cancellation feed) ---------------------------------
def feed():
    d = "feed/"
    t = "2026-03-10T10:00:00+00:00"
    later = "2026-03-11T12:00:00+00:00"
    uk = dict(sales="Amazon.co.uk", cur="GBP")
    rows = [ao(f"F-UK-{n:02}", t, t, "Unshipped", **uk) for n in range(1, 40)]
    rows += [
        # In the feed: F-A (two items, the seller's reason), F-B (the buyer asked: BuyerCanceled).
        ao("F-A", t, t, "Unshipped", **uk),
        ao("F-B", t, t, "Unshipped", buyer="true", reason="Ordered by mistake", **uk),
        # Refused: AFN (UK); shipped, cancelled, Pending, no item id (US, apart from the UK rate).
        # (Updated after the unshipped report below, so these statuses are the newest.)
        ao("F-F", t, later, "Unshipped", channel="Amazon", **uk),
        ao("F-C", t, later, "Shipped"),
        ao("F-D", t, later, "Cancelled"),
        ao("F-E", t, later, "Pending"),
        ao("F-H", t, t, "Unshipped"),
    ]
    write(d + "all-orders.txt", ALL_ORDERS, rows)
    def un(oid, item, buyer="false"):
        return {"order-id": oid, "order-item-id": item, "purchase-date": t, "payments-date": t,
                "reporting-date": "2026-03-11T00:00:00+00:00", "promise-date": "2026-03-14T00:00:00+00:00",
                "days-past-promise": "0", "sku": "SKU-1", "product-name": "Widget", "quantity-purchased": 1,
                "quantity-shipped": 0, "quantity-to-ship": 1, "ship-service-level": "Standard",
                "is-buyer-requested-cancellation": buyer, "buyer-requested-cancel-reason": ""}
    write(d + "unshipped.txt", UNSHIPPED, [un("F-A", "501"), un("F-A", "502"), un("F-B", "503", "true"),
                                           un("F-C", "504"), un("F-D", "505"), un("F-E", "506"),
                                           un("F-F", "507")])
    # The list a seller passes with --orders (not an input: it lives beside the inputs).
    path = os.path.join(ROOT, "feed-orders.txt")
    with open(path, "w") as f:
        f.write("# orders to cancel\nF-A\nF-B\n\nF-C\nF-D\nF-E\nF-F\nF-G\nF-H\nF-A\n")


def main():
    formats()
    rules()
    metrics_cancel()
    metrics_autocancel()
    metrics_tracking()
    metrics_late()
    metrics_current()
    metrics_delivery()
    many_marketplaces()
    sp_api()
    performance()
    real_layouts()
    real_layouts_round_two()
    feed()


if __name__ == "__main__":
    main()
