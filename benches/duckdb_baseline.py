#!/usr/bin/env python3
"""The DuckDB baseline: what an analyst would write instead of orderhealth.

Computes cancel_rate, cancel_reasons, cancellations (with each order's rule), auto_cancel,
valid_tracking (by promised delivery date, v1.4's default; `--tracking-basis ship` for v1.3's
ship day), tracking_defects, late_shipment, on_time_delivery and late_deliveries (without
its reason text) from the dumps that `orderhealth generate` writes, by the rules of SPEC
§2–§3 (days30 policy), and writes them as Parquet. Simplifications (said beside the figures in docs/BENCHMARKS.md):
- file kinds come from file names (`all-orders-*`, `new-orders-*`, ...), not from headers;
- every file is read as Latin-1: metric columns are ASCII, so Windows-1252/Shift_JIS product
  names come out garbled but nothing counted changes (DuckDB has no cp932 without a
  downloadable extension);
- no row rejection or line numbers: unparseable values become NULL (TRY_CAST);
- only the inputs the generator writes (no cancellation feed, no catalog);
- ship dates are dates (the generator writes no ship-date with a time).

Usage: duckdb_baseline.py DUMPS OUT [--as-of TS] [--tracking-basis promise|ship] [--threads N]
Prints the headline counts as JSON on stdout.
"""
import argparse
import json
import os
import sys
import time

import duckdb

MARKETPLACES = [
    ("amazon.com", "US", "America/Los_Angeles"), ("amazon.ca", "CA", "America/Los_Angeles"),
    ("amazon.com.mx", "MX", "America/Mexico_City"), ("amazon.com.br", "BR", "America/Sao_Paulo"),
    ("amazon.co.uk", "UK", "Europe/London"), ("amazon.ie", "IE", "Europe/Dublin"),
    ("amazon.de", "DE", "Europe/Paris"), ("amazon.fr", "FR", "Europe/Paris"), ("amazon.it", "IT", "Europe/Paris"),
    ("amazon.es", "ES", "Europe/Paris"), ("amazon.nl", "NL", "Europe/Paris"), ("amazon.se", "SE", "Europe/Paris"),
    ("amazon.pl", "PL", "Europe/Paris"), ("amazon.com.be", "BE", "Europe/Paris"),
    ("amazon.com.tr", "TR", "Europe/Istanbul"), ("amazon.ae", "AE", "Asia/Dubai"), ("amazon.sa", "SA", "Asia/Riyadh"),
    ("amazon.eg", "EG", "Africa/Cairo"), ("amazon.co.jp", "JP", "Asia/Tokyo"), ("amazon.sg", "SG", "Asia/Singapore"),
    ("amazon.com.au", "AU", "Australia/Sydney"), ("amazon.in", "IN", "Asia/Kolkata"),
    ("amazon.co.za", "ZA", "Africa/Johannesburg"),
]

# Carrier key (lower case, no spaces/hyphens/dots) → rule family, as in crates/carriers.
CARRIERS = {
    "ups": "ups", "usps": "usps", "fedex": "fedex", "dhl": "dhl", "dhlexpress": "dhl", "dhlpaket": "dhl",
    "deutschepost": "deutschepost", "yamatotransport": "jp12", "sagawaexpress": "jp12", "japanpost": "japanpost",
    "canadapost": "canadapost", "royalmail": "s10", "australiapost": "auspost", "amazonshipping": "amazon",
    "amzl": "amazon", "amazonlogistics": "amazon", "ontrac": "ontrac", "dhlecommerce": "dhlecommerce", "dpd": "dpd",
}
VALUES = ["packages", "valid", "missing", "hidden_characters", "unrecognized_carrier", "bad_format", "bad_check_digit",
          "no_scan", "insufficient_scans"]
GENERIC = ["evri", "hermes", "yodel", "parcelforce", "gls", "colissimo", "laposte", "chronopost", "postnl", "inpost",
           "posteitaliane", "brt", "sda", "correos", "seur", "mrw", "bpost", "postnord", "pocztapolska", "delhivery",
           "bluedart", "indiapost", "dtdc", "ekart", "xpressbees", "startrack", "sendle", "aramex", "purolator",
           "estafeta", "correios", "chinapost", "yanwen", "4px", "yunexpress", "cainiao", "seino", "fukuyama"]


def read(path_glob, skip=0):
    return (f"read_csv('{path_glob}', delim='\\t', header=true, quote='', escape='', all_varchar=true, "
            f"filename=true, skip={skip}, union_by_name=true, auto_detect=false, "
            f"null_padding=true, strict_mode=false)")


def sql(con, dumps, as_of, basis="promise"):
    g = lambda name: os.path.join(dumps, "**", name)
    con.execute("CREATE MACRO ts(s) AS TRY_CAST(NULLIF(trim(s), '') AS TIMESTAMPTZ)")
    con.execute("CREATE MACRO money(s) AS coalesce(TRY_CAST(NULLIF(trim(s), '') AS DECIMAL(18,6)), 0)")
    con.execute("""CREATE MACRO norm_status(s) AS CASE
        WHEN s IS NULL OR trim(s) = '' THEN NULL
        WHEN lower(trim(s)) IN ('cancelled', 'canceled') THEN 'Cancelled'
        WHEN lower(trim(s)) IN ('pending', 'pendingavailability') THEN 'Pending'
        WHEN lower(trim(s)) LIKE 'shipped%' OR lower(trim(s)) = 'invoiceunconfirmed' THEN 'Shipped'
        WHEN lower(trim(s)) = 'partiallyshipped' THEN 'PartiallyShipped'
        WHEN lower(trim(s)) = 'shipping' THEN 'Shipping'
        WHEN lower(trim(s)) = 'unshipped' THEN 'Unshipped'
        ELSE trim(s) END""")
    con.execute("""CREATE MACRO norm_channel(s) AS CASE
        WHEN lower(trim(s)) IN ('merchant', 'mfn') THEN 'MFN'
        WHEN lower(trim(s)) IN ('amazon', 'afn') THEN 'AFN' END""")
    con.execute("CREATE TABLE marketplaces(sales VARCHAR, code VARCHAR, zone VARCHAR)")
    con.executemany("INSERT INTO marketplaces VALUES (?, ?, ?)", MARKETPLACES)

    # 1. Rows of the three order reports, with the canonical fields typed.
    con.execute(f"""CREATE TABLE order_rows AS
        SELECT filename, trim("amazon-order-id") AS order_id, ts("purchase-date") AS purchase,
               ts("last-updated-date") AS lu, NULL::TIMESTAMPTZ AS reporting, norm_status("order-status") AS status,
               norm_channel("fulfillment-channel") AS channel, NULLIF(trim("sales-channel"), '') AS sales,
               NULLIF(trim(sku), '') AS sku, NULLIF(trim(currency), '') AS currency,
               money("item-price") + money("shipping-price") AS value, NULL::TIMESTAMPTZ AS expected,
               NULL::TIMESTAMPTZ AS delivery, lower(trim("is-buyer-requested-cancellation")) = 'true' AS buyer
        FROM {read(g('all-orders-*'))}
        UNION ALL BY NAME
        SELECT filename, trim("order-id") AS order_id, ts("purchase-date") AS purchase, 'Unshipped' AS status,
               NULLIF(trim(sku), '') AS sku, NULLIF(trim(currency), '') AS currency,
               money("item-price") + money("shipping-price") AS value, ts("latest-ship-date") AS expected,
               ts("latest-delivery-date") AS delivery, false AS buyer
        FROM {read(g('new-orders-*'))}
        UNION ALL BY NAME
        SELECT filename, trim("order-id") AS order_id, ts("purchase-date") AS purchase,
               ts("reporting-date") AS reporting,
               CASE WHEN TRY_CAST("quantity-shipped" AS BIGINT) > 0 THEN 'PartiallyShipped' ELSE 'Unshipped' END AS status,
               NULLIF(trim(sku), '') AS sku, 0 AS value, ts("promise-date") AS expected,
               lower(trim("is-buyer-requested-cancellation")) = 'true' AS buyer
        FROM {read(g('unshipped-*'))}""")
    con.execute("DELETE FROM order_rows WHERE order_id IS NULL OR order_id = '' OR purchase IS NULL")

    # 2. Snapshots: one per (file, order); key = (time, file rank).
    con.execute("""CREATE TABLE snaps AS
        WITH ranked AS (SELECT filename, dense_rank() OVER (ORDER BY filename) AS file_rank
                        FROM (SELECT DISTINCT filename FROM order_rows))
        SELECT order_id, any_value(file_rank) AS file_rank,
               min(purchase) AS purchase, max(lu) AS lu, max(reporting) AS reporting, min(status) AS status,
               min(channel) AS channel, min(sales) AS sales, max(expected) AS expected, max(delivery) AS delivery,
               bool_or(buyer) AS buyer,
               list(DISTINCT sku) FILTER (sku IS NOT NULL) AS skus, min(currency) AS currency, sum(value) AS value
        FROM order_rows JOIN ranked USING (filename) GROUP BY filename, order_id""")
    con.execute("""ALTER TABLE snaps ADD COLUMN snap_key HUGEINT;
        UPDATE snaps SET snap_key = coalesce(epoch_us(coalesce(lu, reporting)), -9000000000000000)::HUGEINT * 1000000 + file_rank""")

    # 3. Events.
    con.execute(f"""CREATE TABLE events AS
        SELECT trim("order-id") AS order_id, lower(trim("initiated-by")) AS initiated, NULLIF(trim(reason), '') AS reason,
               ts("cancel-date") AS cancel_at
        FROM {read(g('cancel-events*'))} WHERE ts("cancel-date") IS NOT NULL""")
    con.execute("""CREATE TABLE event_flags AS SELECT order_id, true AS any_event,
        bool_or(initiated = 'buyer') AS ev_buyer, bool_or(initiated = 'seller') AS ev_seller,
        bool_or(initiated = 'amazon' AND reason = 'AutoCancelUnshipped') AS ev_auto,
        bool_or(initiated = 'amazon' AND coalesce(reason, '') <> 'AutoCancelUnshipped') AS ev_amazon
        FROM events GROUP BY order_id""")
    con.execute(f"""CREATE TABLE confirmations AS
        SELECT trim("order-id") AS order_id, TRY_CAST(trim("ship-date") AS DATE) AS ship_day,
               trim(CASE WHEN lower(trim("carrier-code")) = 'other' THEN "carrier-name" ELSE "carrier-code" END) AS carrier,
               trim(coalesce("tracking-number", ''), ' ') AS number, row_number() OVER () AS pos
        FROM {read(g('shipping-confirmations*'), skip=1)}""")
    con.execute(f"""CREATE TABLE scans AS
        SELECT upper(replace(trim("tracking-number"), ' ', '')) AS number, count(*) AS n,
               bool_or(lower(trim("scan-type")) IN ('delivered', 'attempted-delivery')) AS delivered,
               max(ts("scan-date")) AS last_scan,
               min(ts("scan-date")) FILTER (lower(trim("scan-type")) = 'delivered') AS delivered_at
        FROM {read(g('carrier-scans*'))} GROUP BY ALL""")

    # 4. The merged view (SPEC §2) and classes (§2.1), days30 deadline.
    as_of_sql = f"TIMESTAMPTZ '{as_of}'" if as_of else """(SELECT greatest(
        (SELECT max(greatest(purchase, coalesce(lu, purchase), coalesce(reporting, purchase))) FROM order_rows),
        (SELECT max(cancel_at) FROM events), (SELECT max(last_scan) FROM scans)))"""
    con.execute(f"CREATE TABLE as_of AS SELECT {as_of_sql} AS t")
    con.execute("""CREATE TABLE orders AS
        WITH merged AS (
            SELECT order_id,
                arg_max(status, snap_key) FILTER (status IS NOT NULL) AS status,
                arg_max(channel, snap_key) FILTER (channel IS NOT NULL) AS channel,
                arg_max(sales, snap_key) FILTER (sales IS NOT NULL) AS sales,
                arg_max(purchase, snap_key) AS purchase,
                arg_max(expected, snap_key) FILTER (expected IS NOT NULL) AS expected,
                arg_max(delivery, snap_key) FILTER (delivery IS NOT NULL) AS expected_delivery,
                min(lu) FILTER (status IN ('Shipped', 'PartiallyShipped', 'Shipping')) AS shipped_lu,
                bool_or(buyer) AS buyer,
                arg_min(struct_pack(t := lu), snap_key) FILTER (status = 'Cancelled') AS cancel_seen,
                bool_or(status = 'Pending') AS any_pending,
                bool_or(status IS NULL OR status NOT IN ('Pending', 'Cancelled')) AS other_status,
                arg_max(currency, snap_key) FILTER (currency IS NOT NULL) AS currency,
                arg_max(value, snap_key) FILTER (currency IS NOT NULL) AS value
            FROM snaps GROUP BY order_id)
        SELECT m.*, mk.code AS marketplace, mk.zone,
            coalesce(m.channel, 'MFN') = 'MFN' AND mk.code IS NOT NULL AS in_metrics,
            coalesce(m.expected, m.purchase) + INTERVAL 30 DAY AS deadline,
            coalesce(e.any_event, false) AS any_event, e.ev_buyer, e.ev_seller, e.ev_auto, e.ev_amazon,
            EXISTS (SELECT 1 FROM confirmations c WHERE c.order_id = m.order_id) AS confirmed,
            coalesce(m.shipped_lu, (SELECT timezone(mk.zone, min(c.ship_day)::TIMESTAMP) FROM confirmations c
                                    WHERE c.order_id = m.order_id)) AS confirmed_ts
        FROM merged m
        LEFT JOIN marketplaces mk ON mk.sales = lower(coalesce(m.sales, 'Amazon.com'))
        LEFT JOIN event_flags e USING (order_id)""")
    con.execute("""ALTER TABLE orders ADD COLUMN cancelled BOOLEAN; ALTER TABLE orders ADD COLUMN shipped BOOLEAN;
        ALTER TABLE orders ADD COLUMN open BOOLEAN; ALTER TABLE orders ADD COLUMN class VARCHAR;
        UPDATE orders SET cancelled = status = 'Cancelled' OR (in_metrics AND any_event),
                          shipped = status IN ('Shipped', 'PartiallyShipped', 'Shipping') OR confirmed;
        UPDATE orders SET open = in_metrics AND NOT shipped AND NOT cancelled AND coalesce(status, '') <> 'Pending';
        ALTER TABLE orders ADD COLUMN rule BIGINT;
        UPDATE orders SET rule = CASE WHEN NOT (in_metrics AND cancelled) THEN NULL
            WHEN buyer OR coalesce(ev_buyer, false) THEN 1
            WHEN coalesce(ev_seller, false) THEN 2
            WHEN any_pending AND NOT other_status THEN 3
            WHEN coalesce(ev_auto, false) THEN 4
            WHEN coalesce(ev_amazon, false) THEN 5
            WHEN NOT any_event AND cancel_seen.t >= deadline THEN 6
            ELSE 7 END;
        UPDATE orders SET class = CASE WHEN NOT (in_metrics AND cancelled) THEN NULL
            WHEN buyer OR coalesce(ev_buyer, false) THEN 'buyer'
            WHEN coalesce(ev_seller, false) THEN 'seller'
            WHEN any_pending AND NOT other_status THEN 'pending'
            WHEN coalesce(ev_auto, false) THEN 'auto'
            WHEN coalesce(ev_amazon, false) THEN 'amazon'
            WHEN NOT any_event AND cancel_seen.t >= deadline THEN 'auto'
            ELSE 'seller' END""")

    # Cancellations order by order (v1.3 §3.6) and their reasons (§5.4).
    con.execute("""CREATE TABLE cancellations AS
        SELECT o.order_id, o.marketplace, o.purchase AS purchase_ts, CAST(timezone(o.zone, o.purchase) AS DATE) AS purchase_day,
            o.class, o.rule, o.class IN ('seller', 'auto') AS counted,
            coalesce((SELECT string_agg(DISTINCT e.reason, ',' ORDER BY e.reason) FROM events e
                      WHERE e.order_id = o.order_id AND e.reason IS NOT NULL), '') AS reasons,
            o.cancel_seen.t AS cancel_seen_ts, coalesce(o.buyer, false) AS buyer_requested
        FROM orders o WHERE o.class IS NOT NULL ORDER BY marketplace, purchase_ts, order_id""")
    con.execute("""CREATE TABLE cancel_reasons AS
        SELECT marketplace, coalesce(r.reason, 'unknown') AS reason, count(DISTINCT c.order_id)::BIGINT AS orders
        FROM cancellations c LEFT JOIN (SELECT DISTINCT order_id, reason FROM events WHERE reason IS NOT NULL) r USING (order_id)
        GROUP BY ALL ORDER BY marketplace, reason""")

    # 5. auto_cancel.
    con.execute("""CREATE TABLE auto_cancel AS
        SELECT order_id, marketplace, purchase AS purchase_ts, coalesce(expected, purchase) AS expected_ship_ts,
            CASE WHEN expected IS NULL THEN 'purchase-date' ELSE 'latest-ship-date' END AS basis, deadline,
            floor(epoch_us(deadline - (SELECT t FROM as_of)) / 86400000000)::BIGINT AS days_left,
            CASE WHEN class = 'auto' THEN 'auto_cancelled'
                 WHEN (SELECT t FROM as_of) >= deadline THEN 'overdue' ELSE 'at_risk' END AS state
        FROM orders
        WHERE in_metrics AND (class = 'auto' OR (open AND (SELECT t FROM as_of) >= deadline)
              OR (open AND floor(epoch_us(deadline - (SELECT t FROM as_of)) / 86400000000) BETWEEN 0 AND 6))
        ORDER BY deadline, order_id""")

    # 6. cancel_rate: per-day counts, every day of each marketplace's range, 7-day windows.
    con.execute("""CREATE TABLE cancel_rate AS
        WITH per_order AS (
            SELECT marketplace, CAST(timezone(zone, purchase) AS DATE) AS day,
                (coalesce(class, '') NOT IN ('buyer', 'pending', 'amazon'))::BIGINT AS orders,
                (class = 'seller')::BIGINT AS seller, (class = 'auto')::BIGINT AS auto, (class = 'buyer')::BIGINT AS buyer,
                (open AND order_id IN (SELECT order_id FROM auto_cancel WHERE state <> 'auto_cancelled'))::BIGINT AS projected
            FROM orders WHERE in_metrics),
        daily AS (SELECT marketplace, day, sum(orders) o, sum(seller) s, sum(auto) a, sum(buyer) b, sum(projected) p
                  FROM per_order GROUP BY ALL),
        grid AS (SELECT marketplace, unnest(generate_series(min(day), max(day), INTERVAL 1 DAY))::DATE AS day
                 FROM daily GROUP BY marketplace),
        filled AS (SELECT g.marketplace, g.day, coalesce(o, 0) o, coalesce(s, 0) s, coalesce(a, 0) a,
                          coalesce(b, 0) b, coalesce(p, 0) p FROM grid g LEFT JOIN daily USING (marketplace, day)),
        w AS (SELECT marketplace, day - 6 AS window_start, day AS window_end,
                sum(o) OVER win AS orders, sum(s) OVER win AS seller_cancelled, sum(a) OVER win AS auto_cancelled,
                sum(b) OVER win AS buyer_excluded, sum(p) OVER win AS projected_cancelled
              FROM filled WINDOW win AS (PARTITION BY marketplace ORDER BY day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW))
        SELECT marketplace, window_start, window_end, orders::BIGINT orders, seller_cancelled::BIGINT seller_cancelled,
            auto_cancelled::BIGINT auto_cancelled, buyer_excluded::BIGINT buyer_excluded,
            CASE WHEN orders = 0 THEN NULL ELSE (seller_cancelled + auto_cancelled) / orders END AS rate,
            CASE WHEN orders = 0 THEN 'NONE' WHEN 40 * (seller_cancelled + auto_cancelled) >= orders THEN 'BAD'
                 ELSE 'GOOD' END AS status, projected_cancelled::BIGINT projected_cancelled,
            CASE WHEN orders = 0 THEN NULL
                 ELSE (seller_cancelled + auto_cancelled + projected_cancelled) / orders END AS projected_rate
        FROM w ORDER BY marketplace, window_end""")

    # 7. Packages, their defects (checks 1–6), valid_tracking and tracking_defects.
    con.execute("CREATE MACRO digit(n, i) AS ascii(n[i]) - 48")
    con.execute("""CREATE MACRO m10_31(n) AS (10 - list_sum(list_transform(range(1, length(n)),
        lambda i: digit(n, length(n) - i) * CASE WHEN i % 2 = 1 THEN 3 ELSE 1 END)) % 10) % 10 = digit(n, length(n))""")
    con.execute("CREATE MACRO mod7(n) AS CAST(left(n, length(n) - 1) AS HUGEINT) % 7 = digit(n, length(n))")
    con.execute("""CREATE MACRO fedex12(n) AS list_sum(list_transform(range(1, 12),
        lambda i: digit(n, 12 - i) * [1, 3, 7][((i - 1) % 3) + 1])) % 11 % 10 = digit(n, 12)""")
    con.execute("""CREATE MACRO ups(n) AS (10 - list_sum(list_transform(range(3, 18),
        lambda k: CASE WHEN regexp_matches(n[k], '[0-9]') THEN digit(n, k) ELSE (ascii(n[k]) - 3) % 10 END
             * CASE WHEN (k - 3) % 2 = 1 THEN 2 ELSE 1 END)) % 10) % 10 = digit(n, 18)""")
    con.execute("""CREATE MACRO s10(n) AS CASE 11 - list_sum(list_transform(range(1, 9),
        lambda i: digit(n, i + 2) * [8, 6, 4, 2, 3, 5, 9, 7][i])) % 11 WHEN 10 THEN 0 WHEN 11 THEN 5
        ELSE 11 - list_sum(list_transform(range(1, 9), lambda i: digit(n, i + 2) * [8, 6, 4, 2, 3, 5, 9, 7][i])) % 11 END
        = digit(n, 11)""")
    con.execute("CREATE TABLE carriers(k VARCHAR, family VARCHAR)")
    con.executemany("INSERT INTO carriers VALUES (?, ?)", list(CARRIERS.items()) + [(c, "generic") for c in GENERIC])
    hidden = "[\\x00-\\x1f\\x7f-\\x9f\\x{00a0}\\x{00ad}\\x{2000}-\\x{200f}\\x{2028}-\\x{202f}\\x{2060}-\\x{2064}\\x{3000}\\x{feff}\\x{fffd}]"
    con.execute(f"""CREATE TABLE packages AS
        WITH joined AS (
            SELECT c.*, o.marketplace, o.zone, o.currency, o.value, o.expected_delivery, o.confirmed_ts,
                   number IN ('', 'NULL') AS missing
            FROM confirmations c JOIN orders o USING (order_id)
            WHERE o.in_metrics),
        grouped AS (
            SELECT order_id, any_value(marketplace) marketplace, any_value(currency) currency, any_value(value) value,
                   any_value(zone) zone, any_value(expected_delivery) expected_delivery, any_value(confirmed_ts) confirmed_ts,
                   min(ship_day) ship_day, arg_min(carrier, pos) carrier, CASE WHEN missing THEN '' ELSE number END number
            FROM joined
            GROUP BY order_id, missing, CASE WHEN missing THEN '' ELSE number END,
                     CASE WHEN missing THEN ship_day END, CASE WHEN missing THEN carrier END),
        typed AS (
            SELECT g.*, upper(replace(number, ' ', '')) AS n,
                   c.family FROM grouped g
            LEFT JOIN carriers c ON c.k = lower(regexp_replace(g.carrier, '[ .-]', '', 'g')))
        SELECT t.*, CASE
            WHEN number = '' THEN 'missing'
            WHEN regexp_matches(number, '{hidden}') THEN 'hidden-characters'
            WHEN family IS NULL THEN 'unrecognized-carrier'
            WHEN family = 'ups' THEN CASE WHEN NOT regexp_full_match(n, '1Z[A-Z0-9]{{15}}[0-9]') THEN 'bad-format'
                                          WHEN NOT ups(n) THEN 'bad-check-digit' END
            WHEN family = 'usps' THEN CASE
                WHEN regexp_full_match(n, '[0-9]{{20}}|[0-9]{{22}}|[0-9]{{26}}|[0-9]{{30}}|[0-9]{{34}}') THEN
                    CASE WHEN m10_31(n) OR (length(n) = 20 AND m10_31('91' || n)) THEN NULL ELSE 'bad-check-digit' END
                WHEN regexp_full_match(n, '[A-Z]{{2}}[0-9]{{9}}[A-Z]{{2}}') THEN CASE WHEN s10(n) THEN NULL ELSE 'bad-check-digit' END
                ELSE 'bad-format' END
            WHEN family = 'fedex' THEN CASE
                WHEN regexp_full_match(n, '[0-9]{{12}}') THEN CASE WHEN fedex12(n) THEN NULL ELSE 'bad-check-digit' END
                WHEN regexp_full_match(n, '[0-9]{{15}}') THEN CASE WHEN m10_31(n) THEN NULL ELSE 'bad-check-digit' END
                WHEN regexp_full_match(n, '96[0-9]{{20}}') THEN CASE WHEN m10_31(right(n, 15)) THEN NULL ELSE 'bad-check-digit' END
                ELSE 'bad-format' END
            WHEN family = 'dhl' THEN CASE
                WHEN regexp_full_match(n, '[0-9]{{10,11}}') THEN CASE WHEN mod7(n) THEN NULL ELSE 'bad-check-digit' END
                WHEN regexp_full_match(n, '[0-9]{{12}}|[0-9]{{14}}|[0-9]{{20}}|JJD[A-Z0-9]{{10,30}}') THEN NULL
                ELSE 'bad-format' END
            WHEN family IN ('jp12', 'japanpost') THEN CASE
                WHEN regexp_full_match(n, '[0-9]{{12}}') THEN CASE WHEN mod7(n) THEN NULL ELSE 'bad-check-digit' END
                WHEN family = 'japanpost' AND regexp_full_match(n, '[A-Z]{{2}}[0-9]{{9}}[A-Z]{{2}}') THEN
                    CASE WHEN s10(n) THEN NULL ELSE 'bad-check-digit' END
                ELSE 'bad-format' END
            WHEN family IN ('s10', 'canadapost', 'deutschepost', 'auspost') THEN CASE
                WHEN regexp_full_match(n, '[A-Z]{{2}}[0-9]{{9}}[A-Z]{{2}}') THEN CASE WHEN s10(n) THEN NULL ELSE 'bad-check-digit' END
                WHEN family = 'canadapost' AND regexp_full_match(n, '[0-9]{{16}}') THEN CASE WHEN m10_31(n) THEN NULL ELSE 'bad-check-digit' END
                WHEN family = 'auspost' AND regexp_full_match(n, '[A-Z0-9]{{10,23}}') THEN NULL
                ELSE 'bad-format' END
            WHEN family = 'dpd' THEN CASE WHEN regexp_full_match(n, '[0-9]{{14}}|[0-9]{{14}}[A-Z0-9]|[0-9]{{27}}[A-Z0-9]') THEN NULL ELSE 'bad-format' END
            WHEN family = 'amazon' THEN CASE WHEN regexp_full_match(n, 'TB[ACM][0-9]{{12}}') THEN NULL ELSE 'bad-format' END
            WHEN family = 'ontrac' THEN CASE WHEN regexp_full_match(n, '[CD][0-9]{{14}}') THEN NULL ELSE 'bad-format' END
            WHEN family = 'dhlecommerce' THEN CASE WHEN regexp_full_match(n, '(GM|LX|RX|UV|CN|SG|TH|IN|HK|MY)[A-Z0-9]*[0-9][A-Z0-9]*')
                AND length(n) BETWEEN 12 AND 41 THEN NULL ELSE 'bad-format' END
            ELSE CASE WHEN regexp_full_match(n, '[A-Z0-9]{{8,40}}') THEN NULL ELSE 'bad-format' END
          END AS defect
        FROM typed t""")
    # Scan checks for packages old enough (7 days before as_of's local day).
    con.execute("""UPDATE packages p SET defect = CASE
            WHEN s.n IS NULL THEN 'no-scan'
            WHEN upper(coalesce(p.currency, '')) = 'USD' AND p.value >= 5 AND (s.n < 2 OR NOT s.delivered)
                THEN 'insufficient-scans' END
        FROM (SELECT p2.order_id, p2.number, sc.n, sc.delivered FROM packages p2
              LEFT JOIN scans sc ON sc.number = p2.n) s, orders o
        WHERE p.defect IS NULL AND (SELECT count(*) FROM scans) > 0
          AND s.order_id = p.order_id AND s.number = p.number AND o.order_id = p.order_id
          AND p.ship_day <= CAST(timezone(o.zone, (SELECT t FROM as_of)) AS DATE) - 7""")
    # Amazon's basis (v1.4, the default): a package on its order's promised delivery day, else its ship day.
    placed = ("coalesce(CAST(timezone(zone, expected_delivery) AS DATE), ship_day)" if basis == "promise"
              else "ship_day")
    con.execute(f"""CREATE TABLE valid_tracking AS
        WITH daily AS (SELECT marketplace, '' AS category, {placed} AS day, count(*) packages,
                count(*) FILTER (defect IS NULL) valid,
                count(*) FILTER (defect = 'missing') missing, count(*) FILTER (defect = 'hidden-characters') hidden_characters,
                count(*) FILTER (defect = 'unrecognized-carrier') unrecognized_carrier,
                count(*) FILTER (defect = 'bad-format') bad_format, count(*) FILTER (defect = 'bad-check-digit') bad_check_digit,
                count(*) FILTER (defect = 'no-scan') no_scan, count(*) FILTER (defect = 'insufficient-scans') insufficient_scans
            FROM packages GROUP BY ALL),
        grid AS (SELECT marketplace, category, unnest(generate_series(min(day), max(day), INTERVAL 1 DAY))::DATE AS day
                 FROM daily GROUP BY marketplace, category),
        filled AS (SELECT g.marketplace, g.category, g.day, {", ".join(f"coalesce({c}, 0) AS {c}" for c in VALUES)}
                   FROM grid g LEFT JOIN daily USING (marketplace, category, day)),
        w AS (SELECT marketplace, category, day - 29 AS window_start, day AS window_end,
                {", ".join(f"(sum({c}) OVER win)::BIGINT AS {c}" for c in VALUES)}
              FROM filled WINDOW win AS (PARTITION BY marketplace, category ORDER BY day ROWS BETWEEN 29 PRECEDING AND CURRENT ROW))
        SELECT marketplace, category, window_start, window_end, packages, valid,
            CASE WHEN packages = 0 THEN NULL ELSE valid / packages END AS rate,
            CASE WHEN packages = 0 THEN 'NONE' WHEN 20 * valid > 19 * packages THEN 'GOOD' ELSE 'BAD' END AS status,
            missing, hidden_characters, unrecognized_carrier, bad_format, bad_check_digit, no_scan, insufficient_scans
        FROM w ORDER BY marketplace, category, window_end""")
    con.execute("""CREATE TABLE tracking_defects AS SELECT order_id, marketplace, ship_day AS ship_date, carrier,
        number AS tracking_number, defect FROM packages WHERE defect IS NOT NULL
        ORDER BY order_id, ship_date, tracking_number, carrier, defect""")

    # 8. late_shipment (v1.3): orders by the local day of their expected ship date; late when
    # confirmed after it, or open and past it (unconfirmed).
    con.execute("""CREATE TABLE late_orders AS
        SELECT marketplace, CAST(timezone(zone, expected) AS DATE) AS day,
            (NOT shipped)::BIGINT AS unconfirmed,
            (CASE WHEN shipped THEN confirmed_ts > expected ELSE true END)::BIGINT AS late
        FROM orders
        WHERE in_metrics AND expected IS NOT NULL AND NOT cancelled AND coalesce(status, '') <> 'Pending'
          AND ((shipped AND confirmed_ts IS NOT NULL) OR (open AND expected < (SELECT t FROM as_of)))""")
    windows(con, "late_shipment", "late_orders", [10, 30], ["orders", "late", "unconfirmed"],
            "CASE WHEN orders = 0 THEN NULL ELSE late / orders END",
            "CASE WHEN orders = 0 THEN 'NONE' WHEN 25 * late >= orders THEN 'BAD' ELSE 'GOOD' END",
            count="orders")

    # 9. on_time_delivery (v1.4): valid packages (checks 1-5) of orders with a promised
    # delivery date, delivered or past their promised day; by the local day of that promise.
    con.execute("""CREATE TABLE delivery_packages AS
        SELECT p.order_id, p.carrier, p.number, p.confirmed_ts, p.marketplace,
            CAST(timezone(p.zone, p.expected_delivery) AS DATE) AS day, s.delivered_at,
            (s.delivered_at IS NOT NULL
             AND CAST(timezone(p.zone, s.delivered_at) AS DATE) <= CAST(timezone(p.zone, p.expected_delivery) AS DATE)
             AND CAST(timezone(p.zone, p.confirmed_ts) AS DATE) <= CAST(timezone(p.zone, p.expected_delivery) AS DATE)
             AND p.confirmed_ts <= s.delivered_at)::BIGINT AS on_time
        FROM packages p LEFT JOIN scans s ON s.number = p.n
        WHERE (p.defect IS NULL OR p.defect IN ('no-scan', 'insufficient-scans')) AND p.expected_delivery IS NOT NULL
          AND (s.delivered_at IS NOT NULL OR CAST(timezone(p.zone, p.expected_delivery) AS DATE)
               < CAST(timezone(p.zone, (SELECT t FROM as_of)) AS DATE))""")
    windows(con, "on_time_delivery", "delivery_packages", [14, 30], ["packages", "on_time"],
            "CASE WHEN packages = 0 THEN NULL ELSE on_time / packages END",
            "CASE WHEN packages = 0 THEN 'NONE' WHEN 100 * on_time > 97 * packages THEN 'GOOD' ELSE 'BAD' END",
            count="packages", columns="packages, on_time, packages - on_time AS late")
    con.execute("""CREATE TABLE late_deliveries AS
        SELECT order_id, marketplace, day AS promised_date, carrier, number AS tracking_number,
            delivered_at AS delivered_ts, confirmed_ts
        FROM delivery_packages WHERE on_time = 0""")


def windows(con, table, rows, lengths, values, rate, status, count, columns=None):
    """Rolling windows of `lengths` days over every local day of each marketplace's range."""
    sums = ", ".join(f"sum({v}) AS {v}" if v != count else "count(*) AS " + v for v in values)
    filled = ", ".join(f"coalesce({v}, 0) AS {v}" for v in values)
    parts = []
    for n in lengths:
        w = ", ".join(f"(sum({v}) OVER (PARTITION BY marketplace ORDER BY day ROWS BETWEEN {n - 1} PRECEDING AND CURRENT ROW))::BIGINT AS {v}" for v in values)
        parts.append(f"SELECT marketplace, {n}::BIGINT AS window_days, day - {n - 1} AS window_start, day AS window_end, {w} FROM filled")
    cols = columns or ", ".join(values)
    con.execute(f"""CREATE TABLE {table} AS
        WITH daily AS (SELECT marketplace, day, {sums} FROM {rows} GROUP BY ALL),
        grid AS (SELECT marketplace, unnest(generate_series(min(day), max(day), INTERVAL 1 DAY))::DATE AS day
                 FROM daily GROUP BY marketplace),
        filled AS (SELECT g.marketplace, g.day, {filled} FROM grid g LEFT JOIN daily USING (marketplace, day)),
        w AS ({" UNION ALL ".join(parts)})
        SELECT marketplace, window_days, window_start, window_end, {cols}, {rate} AS rate, {status} AS status
        FROM w ORDER BY marketplace, window_days, window_end""")


TABLES = ["cancel_rate", "cancel_reasons", "cancellations", "auto_cancel", "valid_tracking", "tracking_defects",
          "late_shipment", "on_time_delivery", "late_deliveries"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dumps")
    ap.add_argument("out")
    ap.add_argument("--as-of")
    ap.add_argument("--tracking-basis", choices=["promise", "ship"], default="promise")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    started = time.time()
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"SET temp_directory = '{os.path.join(args.out, 'duckdb.tmp')}'")
    sql(con, args.dumps, args.as_of, args.tracking_basis)
    for table in TABLES:
        con.execute(f"COPY {table} TO '{os.path.join(args.out, table + '.parquet')}' (FORMAT parquet)")
    counts = {
        "orders": con.sql("SELECT count(*) FROM orders").fetchall()[0][0],
        "classes": dict(con.sql("SELECT coalesce(class, '-'), count(*) FROM orders GROUP BY 1 ORDER BY 1").fetchall()),
        "auto_cancel_rows": con.sql("SELECT count(*) FROM auto_cancel").fetchall()[0][0],
        "cancel_rate_rows": con.sql("SELECT count(*) FROM cancel_rate").fetchall()[0][0],
        "packages": con.sql("SELECT count(*) FROM packages").fetchall()[0][0],
        "defects": dict(con.sql("SELECT defect, count(*) FROM packages WHERE defect IS NOT NULL GROUP BY 1 ORDER BY 1").fetchall()),
    }
    counts["seconds"] = round(time.time() - started, 2)
    json.dump(counts, sys.stdout, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
