//! Synthetic seller report dumps: what a seller's nightly downloads look like after months
//! of trading, deterministic by seed.
//!
//! Each order's whole life (marketplace, items, when it leaves Pending, whether and when it
//! ships or is cancelled, its tracking number) is a pure function of (seed, order number),
//! so a day's dumps are written by recomputing the lives of the orders that can still
//! change on that day. Nothing is kept between days: memory stays flat however many orders
//! are generated, and days are written in parallel.
//!
//! Per day: all-orders (by last update) for each region, new-orders and unshipped reports
//! for MFN orders, shipping confirmations, cancellation events and carrier scans. EU files
//! are Windows-1252 and JP files Shift_JIS, as Seller Central delivers them.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use chrono::NaiveDate;
use rayon::prelude::*;

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    pub orders: u64,
    pub days: u32,
    pub seed: u64,
    /// The first purchase day.
    pub start: NaiveDate,
    /// Write the all-orders dumps gzip-compressed (SP-API documents often are).
    pub gzip_all_orders: bool,
    /// Also write `catalog.tsv` (SKU → category), which splits valid tracking by category.
    pub catalog: bool,
    /// Write every file as UTF-8 (for baselines that cannot read Shift_JIS).
    pub all_utf8: bool,
    /// The order reports as flat files, or as the SP-API's JSON.
    pub format: DumpFormat,
}

/// How the orders are written (confirmations, events and scans are flat files either way).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DumpFormat {
    /// All-orders, new-orders and unshipped reports, as Seller Central writes them.
    #[default]
    Flat,
    /// Per night and region, one JSON-lines file of SP-API v0 responses: `getOrders` pages
    /// of 100 orders, then a `getOrderItems` response per order.
    SpApi,
    /// Per night and region, a connector's export: one v0 Order per line, items nested.
    SpApiJsonl,
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub files: u64,
    /// Uncompressed bytes (throughput is counted in these).
    pub bytes: u64,
}

/// SplitMix64: tiny, fast and fixed forever, so a seed gives the same dumps in every
/// version (a general-purpose RNG crate does not promise that). Tests that damage files by a
/// seed use it too.
pub struct Rng(u64);

impl Rng {
    /// The generator of `seed`'s stream `stream` (one per purpose, so each draws apart).
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut r = Rng(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo).max(1) as u64) as i64
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Region {
    Na,
    Eu,
    Jp,
}

impl Region {
    const ALL: [Region; 3] = [Region::Na, Region::Eu, Region::Jp];
    fn name(self) -> &'static str {
        match self {
            Region::Na => "NA",
            Region::Eu => "EU",
            Region::Jp => "JP",
        }
    }
}

struct Market {
    sales_channel: &'static str,
    currency: &'static str,
    /// A fixed UTC offset, close enough for synthetic ship-by dates.
    offset: i64,
    region: Region,
    weight: u64,
    id_prefix: u32,
    carriers: &'static [&'static str],
    /// The buyer e-mail's domain (`buyer…@marketplace.amazon.co.jp`): how a file without a
    /// sales-channel says its marketplace.
    email_domain: &'static str,
    /// Ship-to city, state, postal code and country.
    address: [&'static str; 4],
    /// Orders wait longer to ship here: the account's late-shipment problem.
    slow_shipper: bool,
    /// The SP-API's `MarketplaceId`.
    marketplace_id: &'static str,
}

const MARKETS: &[Market] = &[
    Market {
        sales_channel: "Amazon.com",
        currency: "USD",
        offset: -8 * HOUR,
        region: Region::Na,
        weight: 55,
        id_prefix: 111,
        carriers: &["UPS", "USPS", "FedEx"],
        email_domain: "amazon.com",
        address: ["Springfield", "IL", "62701", "US"],
        slow_shipper: false,
        marketplace_id: "ATVPDKIKX0DER",
    },
    Market {
        sales_channel: "Amazon.ca",
        currency: "CAD",
        offset: -8 * HOUR,
        region: Region::Na,
        weight: 5,
        id_prefix: 702,
        carriers: &["Canada Post", "UPS"],
        email_domain: "amazon.ca",
        address: ["Toronto", "ON", "M5V 2T6", "CA"],
        slow_shipper: false,
        marketplace_id: "A2EUQ1WTGCTBG2",
    },
    Market {
        sales_channel: "Amazon.co.uk",
        currency: "GBP",
        offset: 0,
        region: Region::Eu,
        weight: 12,
        id_prefix: 202,
        carriers: &["Royal Mail", "DPD", "Evri"],
        email_domain: "amazon.co.uk",
        address: ["London", "", "EC1A 1BB", "GB"],
        slow_shipper: true,
        marketplace_id: "A1F83G8C2ARO7P",
    },
    Market {
        sales_channel: "Amazon.de",
        currency: "EUR",
        offset: HOUR,
        region: Region::Eu,
        weight: 12,
        id_prefix: 302,
        carriers: &["DHL", "DPD"],
        email_domain: "amazon.de",
        address: ["Köln", "", "50667", "DE"],
        slow_shipper: false,
        marketplace_id: "A1PA6795UKMFR9",
    },
    Market {
        sales_channel: "Amazon.fr",
        currency: "EUR",
        offset: HOUR,
        region: Region::Eu,
        weight: 6,
        id_prefix: 402,
        carriers: &["Colissimo", "DPD"],
        email_domain: "amazon.fr",
        address: ["Orléans", "", "45000", "FR"],
        slow_shipper: false,
        marketplace_id: "A13V1IB3VIYZZH",
    },
    Market {
        sales_channel: "Amazon.co.jp",
        currency: "JPY",
        offset: 9 * HOUR,
        region: Region::Jp,
        weight: 10,
        id_prefix: 503,
        carriers: &["Yamato Transport", "Sagawa Express", "Japan Post"],
        email_domain: "amazon.co.jp",
        address: ["渋谷区", "東京都", "150-0002", "JP"],
        slow_shipper: false,
        marketplace_id: "A1VC38T7YXB528",
    },
];

const SKUS: u64 = 2_000;
const CATEGORIES: &[&str] = &["Kitchen", "Toys", "Garden", "Books", "Electronics", "Beauty", "Sports", "Office"];
/// The category whose packages go out with careless tracking numbers (a supplier who ships
/// them for the seller): the account's valid-tracking problem.
const CARELESS_CATEGORY: usize = 4;

/// The category of a SKU, as `catalog.tsv` writes it.
fn category_of(sku: u64) -> usize {
    (sku % CATEGORIES.len() as u64) as usize
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    Shipped(i64),
    SellerCancel(i64),
    /// (buyer asks, cancelled)
    BuyerCancel(i64, i64),
    PendingCancel(i64),
    AutoCancel(i64),
    Open,
}

/// One order's whole life.
struct Life {
    n: u64,
    market: &'static Market,
    afn: bool,
    non_amazon: bool,
    items: usize,
    skus: [u64; 3],
    cents: [u64; 3],
    purchase: i64,
    pending_until: i64,
    latest_ship: i64,
    /// The promised delivery date (`latest-delivery-date`): the end of a local day 2–7 days
    /// after the expected ship date, by service level.
    promise: i64,
    service: &'static str,
    outcome: Outcome,
}

/// Service levels: name, local days from the expected ship date to the promised delivery
/// date, and the share of orders (per mille).
const SERVICES: [(&str, i64, u64); 3] = [("Expedited", 2, 200), ("Standard", 4, 650), ("Economy", 7, 150)];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    Unshipped,
    Shipped,
    Cancelled,
}

impl Life {
    fn new(seed: u64, n: u64, purchase: i64) -> Life {
        let mut r = Rng::new(seed, n);
        let total: u64 = MARKETS.iter().map(|m| m.weight).sum();
        let mut pick = r.below(total);
        let market = MARKETS
            .iter()
            .find(|m| {
                if pick < m.weight {
                    true
                } else {
                    pick -= m.weight;
                    false
                }
            })
            .expect("weights");
        let afn = r.unit() < 0.10;
        // Multi-channel orders (sold elsewhere, shipped by Amazon), outside Japan: a Japanese
        // all-orders dump of MCF orders alone would not say it is Japanese (SPEC §5.1).
        let non_amazon = afn && r.unit() < 0.08 && market.region != Region::Jp;
        let items = match r.below(100) {
            0..=79 => 1,
            80..=94 => 2,
            _ => 3,
        };
        let skus = [r.below(SKUS), r.below(SKUS), r.below(SKUS)];
        let cents = [r.between(299, 8999) as u64, r.between(299, 8999) as u64, r.between(299, 8999) as u64];
        let pending_until = purchase + r.between(60, 2 * HOUR);
        let local_day = (purchase + market.offset).div_euclid(DAY);
        let latest_ship = (local_day + 3) * DAY - 1 - market.offset;
        let roll = r.unit();
        let outcome = if afn {
            Outcome::Shipped(pending_until + r.between(2 * HOUR, 36 * HOUR))
        } else if roll < 0.003 {
            Outcome::SellerCancel(pending_until + r.between(HOUR, 40 * HOUR))
        } else if roll < 0.013 {
            let ask = pending_until + r.between(0, 10 * HOUR);
            Outcome::BuyerCancel(ask, ask + r.between(HOUR, 20 * HOUR))
        } else if roll < 0.018 {
            Outcome::PendingCancel(purchase + (pending_until - purchase) / 2)
        } else if roll < 0.020 {
            Outcome::AutoCancel(latest_ship + 30 * DAY + r.between(0, 6 * HOUR))
        } else if roll < 0.024 {
            Outcome::Open
        } else if market.slow_shipper {
            // Ships within four days, often after the three it has.
            Outcome::Shipped(pending_until + r.between(2 * HOUR, 4 * DAY))
        } else {
            Outcome::Shipped(pending_until + r.between(2 * HOUR, 30 * HOUR))
        };
        // A stream of its own: the lives above stay as they were before promises were written.
        let mut p = Rng::new(seed ^ 0xD31F, n);
        let mut pick = p.below(1000);
        let (service, days, _) = *SERVICES
            .iter()
            .find(|(_, _, share)| {
                let here = pick < *share;
                pick = pick.saturating_sub(*share);
                here
            })
            .unwrap_or(&SERVICES[1]);
        let promise = latest_ship + days * DAY;
        Life {
            n,
            market,
            afn,
            non_amazon,
            items,
            skus,
            cents,
            purchase,
            pending_until,
            latest_ship,
            promise,
            service,
            outcome,
        }
    }

    fn id(&self) -> String {
        if self.non_amazon {
            format!("S01-{:07}-{:07}", self.n / 10_000_000, self.n % 10_000_000)
        } else {
            format!("{:03}-{:07}-{:07}", self.market.id_prefix, self.n / 10_000_000 + 1_000_000, self.n % 10_000_000)
        }
    }

    fn state_at(&self, t: i64) -> Option<State> {
        if t < self.purchase {
            return None;
        }
        Some(match self.outcome {
            Outcome::PendingCancel(at) if t >= at => State::Cancelled,
            _ if t < self.pending_until => State::Pending,
            Outcome::Shipped(at) if t >= at => State::Shipped,
            Outcome::SellerCancel(at) | Outcome::BuyerCancel(_, at) | Outcome::AutoCancel(at) if t >= at => {
                State::Cancelled
            }
            _ => State::Unshipped,
        })
    }

    /// Instants at which the order's report row changes.
    fn changes(&self) -> [Option<i64>; 4] {
        let pend = match self.outcome {
            Outcome::PendingCancel(_) => None,
            _ => Some(self.pending_until),
        };
        let (ask, end) = match self.outcome {
            Outcome::Shipped(t) | Outcome::SellerCancel(t) | Outcome::PendingCancel(t) | Outcome::AutoCancel(t) => {
                (None, Some(t))
            }
            Outcome::BuyerCancel(a, t) => (Some(a), Some(t)),
            Outcome::Open => (None, None),
        };
        [Some(self.purchase), pend, ask, end]
    }

    fn last_update(&self, t: i64) -> i64 {
        self.changes().into_iter().flatten().filter(|&c| c <= t).max().unwrap_or(self.purchase)
    }

    fn changed_in(&self, from: i64, to: i64) -> bool {
        self.changes().into_iter().flatten().any(|c| (from..to).contains(&c))
    }

    /// When the carrier delivers a package shipped at `at` by `carrier`: a few percent after
    /// the promised date (1% for DPD, the slow carrier here, 0.2% for the others), the rest one to three days
    /// after shipping and by the promise; `None` for the few never scanned as delivered.
    fn delivered_at(&self, seed: u64, at: i64, carrier: &str) -> Option<i64> {
        if self.n.is_multiple_of(997) {
            return None;
        }
        let mut r = Rng::new(seed ^ 0xDE11, self.n);
        let late_share = if carrier == "DPD" { 0.01 } else { 0.002 };
        Some(if r.unit() < late_share {
            self.promise + r.between(HOUR, 3 * DAY)
        } else {
            (at + r.between(DAY, 3 * DAY)).min(self.promise - HOUR).max(at + HOUR)
        })
    }

    /// Its first item is of the careless category (see [`CARELESS_CATEGORY`]).
    fn careless(&self) -> bool {
        category_of(self.skus[0]) == CARELESS_CATEGORY
    }

    fn buyer_asked(&self, t: i64) -> bool {
        matches!(self.outcome, Outcome::BuyerCancel(a, _) if t >= a)
    }

    /// After this instant the order shows in no more dumps (scans end two days after shipping;
    /// open orders stay in the unshipped report for as long as the generator looks back).
    fn last_event(&self) -> i64 {
        match self.outcome {
            // The delivery scan: at most three days after the promise.
            Outcome::Shipped(at) => (at + 2 * DAY).max(self.promise + 3 * DAY),
            Outcome::SellerCancel(at)
            | Outcome::BuyerCancel(_, at)
            | Outcome::PendingCancel(at)
            | Outcome::AutoCancel(at) => at,
            Outcome::Open => i64::MAX,
        }
    }

    fn sales_channel(&self) -> &'static str {
        if self.non_amazon {
            "Non-Amazon"
        } else {
            self.market.sales_channel
        }
    }
}

fn timestamp(out: &mut String, t: i64) {
    let date = chrono::DateTime::from_timestamp(t, 0).expect("in range").naive_utc();
    let _ = write!(out, "{}", date.format("%Y-%m-%dT%H:%M:%S+00:00"));
}

fn product_name(region: Region, sku: u64) -> &'static str {
    const NA: &[&str] = &["Stainless Steel Mixing Bowl", "12\" Pizza Pan", "\"Deluxe\" Garden Hose", "LED Desk Lamp"];
    const EU: &[&str] = &["Crème brûlée dish", "Café Becher 0,3 l", "Größe M Handschuhe", "Théière en fonte"];
    const JP: &[&str] = &["日本茶セット", "ステンレス水筒 500ml", "木製まな板", "抹茶ボウル"];
    let names = match region {
        Region::Na => NA,
        Region::Eu => EU,
        Region::Jp => JP,
    };
    names[(sku % names.len() as u64) as usize]
}

/// A valid number for `carrier` (check digits computed by trying each digit against the
/// carrier rules), or a number with a defect.
fn tracking_number(carrier: &str, r: &mut Rng) -> String {
    let digits = |r: &mut Rng, n: usize| (0..n).map(|_| char::from(b'0' + r.below(10) as u8)).collect::<String>();
    let candidates: Vec<String> = match carrier {
        "UPS" => {
            let body = format!("1Z{:06X}03{}", r.below(0xFF_FFFF), digits(r, 7));
            (0..10).map(|c| format!("{body}{c}")).collect()
        }
        "USPS" => {
            let body = format!("9400{}", digits(r, 17));
            (0..10).map(|c| format!("{body}{c}")).collect()
        }
        "FedEx" => {
            let body = digits(r, 11);
            (0..10).map(|c| format!("{body}{c}")).collect()
        }
        "DHL" => {
            let body = digits(r, 9);
            (0..10).map(|c| format!("{body}{c}")).collect()
        }
        "Yamato Transport" | "Sagawa Express" => {
            let body = digits(r, 11);
            (0..10).map(|c| format!("{body}{c}")).collect()
        }
        "Royal Mail" | "Japan Post" | "Canada Post" => {
            let country = match carrier {
                "Royal Mail" => "GB",
                "Japan Post" => "JP",
                _ => "CA",
            };
            let body = digits(r, 8);
            (0..10).map(|c| format!("RB{body}{c}{country}")).collect()
        }
        "DPD" => vec![digits(r, 14)],
        _ => vec![format!("{}{}", "EV", digits(r, 14))],
    };
    candidates.into_iter().find(|n| orderhealth_carriers::check(carrier, n).is_ok()).expect("a digit passes")
}

/// The package of a shipped MFN order: carrier, number (possibly defective).
fn package(seed: u64, life: &Life) -> (&'static str, String) {
    let mut r = Rng::new(seed ^ 0x7A3C, life.n);
    let carrier = life.market.carriers[r.below(life.market.carriers.len() as u64) as usize];
    let number = tracking_number(carrier, &mut r);
    // Defects: mostly in the careless category's packages, rarely elsewhere.
    let roll = r.unit() * if life.careless() { 0.25 } else { 40.0 };
    if roll < 0.015 {
        (carrier, String::new())
    } else if roll < 0.020 {
        let mid = number.len() / 2;
        (carrier, format!("{}\u{200b}{}", &number[..mid], &number[mid..]))
    } else if roll < 0.023 {
        ("Pony Express", number)
    } else if roll < 0.026 {
        // One digit off: a wrong check digit (or, for format-only carriers, still valid).
        let mut bytes = number.into_bytes();
        let last = bytes.len() - 1;
        if bytes[last].is_ascii_digit() {
            bytes[last] = b'0' + (bytes[last] - b'0' + 1) % 10;
        }
        (carrier, String::from_utf8(bytes).expect("ascii"))
    } else {
        (carrier, number)
    }
}

const ALL_ORDERS_HEADER: &str = "amazon-order-id\tmerchant-order-id\tpurchase-date\tlast-updated-date\torder-status\tfulfillment-channel\tsales-channel\torder-channel\tship-service-level\tproduct-name\tsku\tasin\titem-status\tquantity\tcurrency\titem-price\titem-tax\tshipping-price\tshipping-tax\tgift-wrap-price\tgift-wrap-tax\titem-promotion-discount\tship-promotion-discount\tship-city\tship-state\tship-postal-code\tship-country\tpromotion-ids\tis-business-order\tpurchase-order-number\tprice-designation\tis-buyer-requested-cancellation\tbuyer-requested-cancel-reason";
const NEW_ORDERS_HEADER: &str = "order-id\torder-item-id\tpurchase-date\tpayments-date\tbuyer-email\tbuyer-name\tsku\tnumber-of-items\tproduct-name\tquantity-purchased\tcurrency\titem-price\titem-tax\tshipping-price\tshipping-tax\tship-service-level\tship-city\tship-state\tship-postal-code\tship-country\tearliest-ship-date\tlatest-ship-date\tearliest-delivery-date\tlatest-delivery-date\tis-business-order\tis-prime";
const UNSHIPPED_HEADER: &str = "order-id\torder-item-id\tpurchase-date\tpayments-date\treporting-date\tpromise-date\tdays-past-promise\tbuyer-email\tbuyer-name\tsku\tproduct-name\tquantity-purchased\tquantity-shipped\tquantity-to-ship\tship-service-level\tship-city\tship-state\tship-postal-code\tship-country\tis-business-order\tis-prime\tis-buyer-requested-cancellation\tbuyer-requested-cancel-reason\tverge-of-cancellation\tverge-of-lateShipment";
const CONFIRMATIONS_HEADER: &str =
    "order-id\torder-item-id\tquantity\tship-date\tcarrier-code\tcarrier-name\ttracking-number\tship-method";

fn status_text(s: State) -> &'static str {
    match s {
        State::Pending => "Pending",
        State::Unshipped => "Unshipped",
        State::Shipped => "Shipped",
        State::Cancelled => "Cancelled",
    }
}

fn money(out: &mut String, cents: u64) {
    let _ = write!(out, "{}.{:02}", cents / 100, cents % 100);
}

fn item_id(n: u64, item: usize) -> u64 {
    10_000_000_000_000 + n * 3 + item as u64
}

/// The files of one day, filled as text and written at the end.
struct DayFiles {
    /// SP-API v0 Orders (as JSON objects) and their items, per region, when not flat.
    sp_orders: [Vec<serde_json::Value>; 3],
    sp_items: [Vec<serde_json::Value>; 3],
    all_orders: [String; 3],
    new_orders: [String; 3],
    unshipped: [String; 3],
    confirmations: String,
    events: String,
    scans: String,
}

fn region_index(r: Region) -> usize {
    Region::ALL.iter().position(|x| *x == r).expect("region")
}

struct Plan {
    format: DumpFormat,
    seed: u64,
    orders: u64,
    days: u32,
    start: i64,
}

impl Plan {
    /// Orders purchased on day `d` (relative to the start): a contiguous range of numbers,
    /// those whose day in [`Plan::life`] is `d` (the first is ⌈d × orders / days⌉: rounding
    /// down put an order on the day before its purchase, which then wrote no new-orders row).
    fn orders_of_day(&self, d: i64) -> std::ops::Range<u64> {
        let at = |d: i64| {
            let scaled = d.clamp(0, self.days as i64) as u128 * self.orders as u128;
            scaled.div_ceil(self.days as u128) as u64
        };
        at(d)..at(d + 1)
    }

    fn life(&self, n: u64) -> Life {
        let day = (n as u128 * self.days as u128 / self.orders as u128) as i64;
        let mut r = Rng::new(self.seed ^ 0x51ED, n);
        Life::new(self.seed, n, self.start + day * DAY + r.between(0, DAY))
    }
}

fn fill_day(plan: &Plan, d: i64) -> DayFiles {
    let mut f = DayFiles {
        sp_orders: Default::default(),
        sp_items: Default::default(),
        all_orders: Default::default(),
        new_orders: Default::default(),
        unshipped: Default::default(),
        confirmations: String::new(),
        events: String::new(),
        scans: String::new(),
    };
    let (from, to) = (plan.start + d * DAY, plan.start + (d + 1) * DAY);
    let dump = to; // nightly dumps are taken at the end of the day
                   // An order can change up to 31 days after its ship-by date (auto-cancellation).
    for past in (d - 36).max(0)..=d {
        for n in plan.orders_of_day(past) {
            let life = plan.life(n);
            if life.last_event() < from {
                continue;
            }
            write_order(plan, &life, from, to, dump, &mut f);
        }
    }
    f
}

/// `order-id, order-item-id, purchase-date, payments-date` of new-orders and unshipped rows.
fn item_prefix(out: &mut String, id: &str, life: &Life, item: usize) {
    let _ = write!(out, "{id}\t{}\t", item_id(life.n, item));
    timestamp(out, life.purchase);
    out.push('\t');
    timestamp(out, life.pending_until);
}

/// An instant as the SP-API writes it.
fn api_time(t: i64) -> String {
    let mut s = String::new();
    let date = chrono::DateTime::from_timestamp(t, 0).expect("in range").naive_utc();
    let _ = write!(s, "{}", date.format("%Y-%m-%dT%H:%M:%SZ"));
    s
}

fn api_money(currency: &str, cents: u64) -> serde_json::Value {
    serde_json::json!({"CurrencyCode": currency, "Amount": format!("{}.{:02}", cents / 100, cents % 100)})
}

/// The order as a v0 `Order` (and its items as `OrderItem`s) at the end of day `dump`: what
/// the day's all-orders row says, and for MFN orders what its new-orders row adds.
fn sp_api_order(life: &Life, dump: i64, state: State) -> (serde_json::Value, Vec<serde_json::Value>) {
    let mut order = serde_json::json!({
        "AmazonOrderId": life.id(),
        "PurchaseDate": api_time(life.purchase),
        "LastUpdateDate": api_time(life.last_update(dump)),
        "OrderStatus": if state == State::Cancelled { "Canceled" } else { status_text(state) },
        "FulfillmentChannel": if life.afn { "AFN" } else { "MFN" },
        "SalesChannel": life.sales_channel(),
        "MarketplaceId": life.market.marketplace_id,
        "ShipServiceLevel": life.service,
    });
    if !life.afn && !matches!(life.outcome, Outcome::PendingCancel(_)) {
        order["LatestShipDate"] = api_time(life.latest_ship).into();
        order["LatestDeliveryDate"] = api_time(life.promise).into();
        order["BuyerInfo"] =
            serde_json::json!({"BuyerEmail": format!("buyer{}@marketplace.{}", life.n, life.market.email_domain)});
    }
    let asked = life.buyer_asked(dump);
    let items = (0..life.items)
        .map(|item| {
            let sku = life.skus[item];
            let mut i = serde_json::json!({
                "ASIN": format!("B0{sku:08}"),
                "OrderItemId": item_id(life.n, item).to_string(),
                "SellerSKU": format!("SKU-{sku:05}"),
                "Title": product_name(life.market.region, sku),
                "QuantityOrdered": 1,
                "BuyerRequestedCancel": {
                    "IsBuyerRequestedCancel": if asked { "true" } else { "false" },
                    "BuyerCancelReason": if asked { "Ordered by mistake" } else { "" },
                },
            });
            // Pending orders show no prices yet.
            if state != State::Pending {
                i["ItemPrice"] = api_money(life.market.currency, life.cents[item]);
                i["ShippingPrice"] = api_money(life.market.currency, 499);
            }
            i
        })
        .collect();
    (order, items)
}

fn write_order(plan: &Plan, life: &Life, from: i64, to: i64, dump: i64, f: &mut DayFiles) {
    let region = region_index(life.market.region);
    let id = life.id();
    let state = life.state_at(dump);
    if plan.format != DumpFormat::Flat {
        if let (true, Some(state)) = (life.changed_in(from, to), state) {
            let (order, items) = sp_api_order(life, dump, state);
            f.sp_orders[region].push(order);
            f.sp_items[region].push(serde_json::json!({"AmazonOrderId": id, "OrderItems": items}));
        }
    }
    if plan.format == DumpFormat::Flat && life.changed_in(from, to) {
        let out = &mut f.all_orders[region];
        let state = state.expect("changed, so purchased");
        for item in 0..life.items {
            let sku = life.skus[item];
            let _ = write!(out, "{id}\t\t");
            timestamp(out, life.purchase);
            out.push('\t');
            timestamp(out, life.last_update(dump));
            let _ = write!(
                out,
                "\t{}\t{}\t{}\t\t{}\t{}\tSKU-{sku:05}\tB0{sku:08}\t{}\t1\t{}\t",
                status_text(state),
                if life.afn { "Amazon" } else { "Merchant" },
                life.sales_channel(),
                life.service,
                product_name(life.market.region, sku),
                status_text(state),
                life.market.currency,
            );
            if state == State::Pending {
                // Pending rows show no prices.
                out.push_str("\t\t\t");
            } else {
                money(out, life.cents[item]);
                out.push_str("\t0.00\t");
                money(out, 499);
                out.push_str("\t0.00");
            }
            let _ = writeln!(
                out,
                "\t\t\t\t\t{}\t\tfalse\t\t\t{}\t{}",
                life.market.address.join("\t"),
                life.buyer_asked(dump),
                if life.buyer_asked(dump) { "Ordered by mistake" } else { "" }
            );
        }
    }
    if life.afn {
        return;
    }
    if plan.format == DumpFormat::Flat
        && (from..to).contains(&life.purchase)
        && !matches!(life.outcome, Outcome::PendingCancel(_))
    {
        let out = &mut f.new_orders[region];
        for item in 0..life.items {
            let sku = life.skus[item];
            item_prefix(out, &id, life, item);
            let _ = write!(
                out,
                "\tbuyer{}@marketplace.{}\tA. Buyer\tSKU-{sku:05}\t{}\t{}\t1\t{}\t",
                life.n,
                life.market.email_domain,
                life.items,
                product_name(life.market.region, sku),
                life.market.currency
            );
            money(out, life.cents[item]);
            out.push_str("\t0.00\t");
            money(out, 499);
            let _ = write!(out, "\t0.00\t{}\t{}\t", life.service, life.market.address.join("\t"));
            timestamp(out, life.purchase);
            out.push('\t');
            timestamp(out, life.latest_ship);
            out.push('\t');
            timestamp(out, life.latest_ship + DAY);
            out.push('\t');
            timestamp(out, life.promise);
            out.push_str("\tfalse\tfalse\n");
        }
    }
    if plan.format == DumpFormat::Flat && state == Some(State::Unshipped) {
        let out = &mut f.unshipped[region];
        for item in 0..life.items {
            let sku = life.skus[item];
            item_prefix(out, &id, life, item);
            out.push('\t');
            timestamp(out, dump);
            out.push('\t');
            timestamp(out, life.latest_ship);
            let late = ((dump - life.latest_ship) / DAY).max(0);
            let _ = writeln!(
                out,
                "\t{late}\tbuyer{}@marketplace.{}\tA. Buyer\tSKU-{sku:05}\t{}\t1\t0\t1\tStandard\t{}\tfalse\tfalse\t{}\t\tfalse\tfalse",
                life.n,
                life.market.email_domain,
                product_name(life.market.region, sku),
                life.market.address.join("\t"),
                life.buyer_asked(dump)
            );
        }
    }
    match life.outcome {
        Outcome::Shipped(at) => {
            let (carrier, number) = package(plan.seed, life);
            if (from..to).contains(&at) {
                let local = chrono::DateTime::from_timestamp(at + life.market.offset, 0).expect("range").date_naive();
                for item in 0..life.items {
                    let (code, name) = match carrier {
                        "UPS" | "USPS" | "FedEx" | "DHL" | "Royal Mail" | "Canada Post" => (carrier, ""),
                        "Yamato Transport" => ("YamatoTransport", ""),
                        "Sagawa Express" => ("SagawaExpress", ""),
                        other => ("Other", other),
                    };
                    let _ = writeln!(
                        f.confirmations,
                        "{id}\t{}\t1\t{local}\t{code}\t{name}\t{number}\tStandard",
                        item_id(life.n, item)
                    );
                }
            }
            // Carrier scans: accepted two hours after shipping, delivered by the promise or (a
            // few) after it; some packages are never scanned, a few never as delivered.
            // The careless category's packages sometimes never reach a carrier scan.
            let scanned = !(life.careless() && life.n.is_multiple_of(25));
            if scanned && !number.is_empty() {
                let clean = orderhealth_carriers::normalise(&number.replace('\u{200b}', ""));
                let delivered = life.delivered_at(plan.seed, at, carrier);
                let scans = [(Some(at + 2 * HOUR), "accepted"), (delivered, "delivered")];
                for (t, kind) in scans.into_iter().filter_map(|(t, kind)| Some((t?, kind))) {
                    if (from..to).contains(&t) {
                        f.scans.push_str(&clean);
                        f.scans.push('\t');
                        timestamp(&mut f.scans, t);
                        let _ = writeln!(f.scans, "\t{kind}");
                    }
                }
            }
        }
        Outcome::SellerCancel(at) | Outcome::BuyerCancel(_, at) | Outcome::AutoCancel(at)
            if (from..to).contains(&at) =>
        {
            let (by, reason) = match life.outcome {
                Outcome::SellerCancel(_) => ("seller", "NoInventory"),
                Outcome::BuyerCancel(..) => ("buyer", "BuyerCanceled"),
                _ => ("amazon", "AutoCancelUnshipped"),
            };
            let _ = write!(f.events, "{id}\t\t");
            timestamp(&mut f.events, at);
            let _ = writeln!(f.events, "\t{by}\t{reason}");
        }
        _ => {}
    }
}

fn encode(region: Region, text: &str) -> Vec<u8> {
    match region {
        Region::Na => text.as_bytes().to_vec(),
        Region::Eu => encoding_rs::WINDOWS_1252.encode(text).0.into_owned(),
        Region::Jp => encoding_rs::SHIFT_JIS.encode(text).0.into_owned(),
    }
}

struct Layout {
    gzip: bool,
    all_utf8: bool,
    format: DumpFormat,
}

fn write_file(
    path: &Path,
    header: &str,
    body: &str,
    region: Region,
    layout: &Layout,
    stats: &mut Stats,
) -> io::Result<()> {
    if body.is_empty() {
        return Ok(());
    }
    let text = format!("{header}\n{body}");
    let bytes = if layout.all_utf8 { text.into_bytes() } else { encode(region, &text) };
    let gzip = layout.gzip && path.extension().is_some_and(|e| e == "gz");
    stats.files += 1;
    stats.bytes += bytes.len() as u64;
    let file = io::BufWriter::new(File::create(path)?);
    if gzip {
        let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        gz.write_all(&bytes)?;
        gz.finish()?.flush()
    } else {
        let mut file = file;
        file.write_all(&bytes)?;
        file.flush()
    }
}

fn write_day(dir: &Path, files: &DayFiles, layout: &Layout) -> io::Result<Stats> {
    std::fs::create_dir_all(dir)?;
    let mut stats = Stats::default();
    if layout.format != DumpFormat::Flat {
        // JSON is UTF-8 whatever the marketplace.
        for region in Region::ALL {
            let i = region_index(region);
            let lines = sp_api_lines(layout.format, &files.sp_orders[i], &files.sp_items[i]);
            if !lines.is_empty() {
                stats.files += 1;
                stats.bytes += lines.len() as u64;
                std::fs::write(dir.join(format!("sp-api-orders-{}.jsonl", region.name())), lines)?;
            }
        }
    }
    let mut write = |name: String, header: &str, body: &str, region: Region| {
        write_file(&dir.join(name), header, body, region, layout, &mut stats)
    };
    for region in Region::ALL {
        let i = region_index(region);
        let name = region.name();
        if layout.format != DumpFormat::Flat {
            continue;
        }
        let ext = if layout.gzip { "txt.gz" } else { "txt" };
        write(format!("all-orders-{name}.{ext}"), ALL_ORDERS_HEADER, &files.all_orders[i], region)?;
        write(format!("new-orders-{name}.txt"), NEW_ORDERS_HEADER, &files.new_orders[i], region)?;
        write(format!("unshipped-{name}.txt"), UNSHIPPED_HEADER, &files.unshipped[i], region)?;
    }
    let template = "TemplateType=ShippingConfirmation\tVersion=2.0\n".to_string() + CONFIRMATIONS_HEADER;
    write("shipping-confirmations.txt".into(), &template, &files.confirmations, Region::Na)?;
    let events_header = "order-id\torder-item-id\tcancel-date\tinitiated-by\treason";
    write("cancel-events.tsv".into(), events_header, &files.events, Region::Na)?;
    write("carrier-scans.tsv".into(), "tracking-number\tscan-date\tscan-type", &files.scans, Region::Na)?;
    Ok(stats)
}

/// The JSON lines of a night's orders of one region: `getOrders` pages of 100 and a
/// `getOrderItems` response per order, or bare orders with their items nested.
fn sp_api_lines(format: DumpFormat, orders: &[serde_json::Value], items: &[serde_json::Value]) -> String {
    let mut out = String::new();
    match format {
        DumpFormat::SpApiJsonl => {
            for (order, items) in orders.iter().zip(items) {
                let mut order = order.clone();
                order["OrderItems"] = items["OrderItems"].clone();
                out.push_str(&order.to_string());
                out.push('\n');
            }
        }
        _ => {
            for (page, chunk) in orders.chunks(100).enumerate() {
                let more = (page + 1) * 100 < orders.len();
                let mut body = serde_json::json!({"Orders": chunk, "CreatedBefore": "2099-01-01T00:00:00Z"});
                if more {
                    body["NextToken"] = format!("page-{}", page + 1).into();
                }
                out.push_str(&serde_json::json!({"payload": body}).to_string());
                out.push('\n');
            }
            for i in items {
                out.push_str(&serde_json::json!({"payload": i}).to_string());
                out.push('\n');
            }
        }
    }
    out
}

/// Writes the dumps under `out`: one folder per day (`YYYY-MM-DD/`), and `catalog.tsv`
/// when asked.
pub fn generate(opts: &Options, out: &Path) -> io::Result<Stats> {
    if opts.days == 0 || opts.orders == 0 {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "--orders and --days must be at least 1"));
    }
    std::fs::create_dir_all(out)?;
    let start = opts.start.and_hms_opt(0, 0, 0).expect("midnight").and_utc().timestamp();
    let plan = Plan { format: opts.format, seed: opts.seed, orders: opts.orders, days: opts.days, start };
    // Dumps continue a few days past the last purchase day, as shipping goes on.
    let dump_days = opts.days as i64 + 4;
    let stats: Vec<io::Result<Stats>> = (0..dump_days)
        .into_par_iter()
        .map(|d| {
            let date = opts.start + chrono::Duration::days(d);
            let files = fill_day(&plan, d);
            let layout = Layout { gzip: opts.gzip_all_orders, all_utf8: opts.all_utf8, format: opts.format };
            write_day(&out.join(date.to_string()), &files, &layout)
        })
        .collect();
    let mut total = Stats::default();
    for s in stats {
        let s = s?;
        total.files += s.files;
        total.bytes += s.bytes;
    }
    if !opts.catalog {
        return Ok(total);
    }
    let mut catalog = String::from("sku\tcategory\n");
    for sku in 0..SKUS {
        let _ = writeln!(catalog, "SKU-{sku:05}\t{}", CATEGORIES[category_of(sku)]);
    }
    std::fs::write(out.join("catalog.tsv"), &catalog)?;
    total.files += 1;
    total.bytes += catalog.len() as u64;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(orders: u64) -> Options {
        Options {
            orders,
            days: 10,
            seed: 42,
            start: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            gzip_all_orders: false,
            all_utf8: false,
            format: DumpFormat::Flat,
            catalog: true,
        }
    }

    fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push((p.strip_prefix(dir).unwrap().display().to_string(), std::fs::read(&p).unwrap()));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn same_seed_same_bytes() {
        let (a, b, c) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let sa = generate(&opts(500), a.path()).unwrap();
        let sb = generate(&opts(500), b.path()).unwrap();
        assert_eq!(sa, sb);
        assert_eq!(tree(a.path()), tree(b.path()));
        generate(&Options { seed: 43, ..opts(500) }, c.path()).unwrap();
        assert_ne!(tree(a.path()), tree(c.path()));
    }

    #[test]
    fn an_order_moves_through_several_dumps() {
        let plan = Plan { format: DumpFormat::Flat, seed: 1, orders: 1000, days: 10, start: 0 };
        let shipped =
            (0..1000).map(|n| plan.life(n)).find(|l| matches!(l.outcome, Outcome::Shipped(_)) && !l.afn).unwrap();
        assert_eq!(shipped.state_at(shipped.purchase), Some(State::Pending));
        assert_eq!(shipped.state_at(shipped.pending_until), Some(State::Unshipped));
        let Outcome::Shipped(at) = shipped.outcome else { unreachable!() };
        assert_eq!(shipped.state_at(at), Some(State::Shipped));
        for n in 0..1000 {
            let life = plan.life(n);
            assert!(life.purchase >= plan.start + (n * 10 / 1000) as i64 * DAY);
        }
    }

    #[test]
    fn valid_numbers_pass_the_carrier_rules() {
        let mut r = Rng::new(5, 5);
        for carrier in [
            "UPS",
            "USPS",
            "FedEx",
            "DHL",
            "Yamato Transport",
            "Royal Mail",
            "Japan Post",
            "Canada Post",
            "DPD",
            "Evri",
        ] {
            for _ in 0..20 {
                let n = tracking_number(carrier, &mut r);
                assert_eq!(orderhealth_carriers::check(carrier, &n), Ok(()), "{carrier} {n}");
            }
        }
    }
}
