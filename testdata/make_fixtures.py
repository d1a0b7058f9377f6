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


def main():
    formats()
    rules()


if __name__ == "__main__":
    main()
