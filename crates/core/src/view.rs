//! The merged order view (SPEC §2, §4 `orders`) and the classification of §2.1.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono_tz::Tz;
use rayon::prelude::*;

use crate::book::{Book, OrderState, Shipment};
use crate::marketplace::{Marketplace, SalesChannel};
use crate::policy::{deadline, Policy};
use crate::rows::{Items, ShipDate};
use crate::shard::id_order;
use crate::status::{Channel, Status};
use crate::timestamp::{local_midnight, Micros, MICROS_PER_DAY};
use crate::Text;

/// Who a cancellation is charged to (§2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    Buyer,
    Seller,
    Pending,
    Auto,
    Amazon,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Buyer => "buyer",
            Class::Seller => "seller",
            Class::Pending => "pending",
            Class::Auto => "auto",
            Class::Amazon => "amazon",
        }
    }

    /// Counted in the cancel-rate numerator and denominator.
    pub fn counts_against_seller(self) -> bool {
        matches!(self, Class::Seller | Class::Auto)
    }
}

/// Where `expected_ship_ts` came from (§5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    LatestShipDate,
    PurchaseDate,
}

impl Basis {
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::LatestShipDate => "latest-ship-date",
            Basis::PurchaseDate => "purchase-date",
        }
    }
}

/// An `auto_cancel` row's state (§3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoState {
    AutoCancelled,
    Overdue,
    AtRisk,
}

impl AutoState {
    pub fn as_str(self) -> &'static str {
        match self {
            AutoState::AutoCancelled => "auto_cancelled",
            AutoState::Overdue => "overdue",
            AutoState::AtRisk => "at_risk",
        }
    }
}

/// How an order stands in the late shipment rate (§3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lateness {
    /// Confirmed at or before its expected ship date.
    OnTime,
    /// Confirmed after its expected ship date.
    Late,
    /// Open and past its expected ship date: late whenever it is confirmed.
    Unconfirmed,
}

impl Lateness {
    pub fn is_late(self) -> bool {
        !matches!(self, Lateness::OnTime)
    }
}

/// Where an order's marketplace came from (§1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarketplaceSource {
    SalesChannel,
    /// A `…@marketplace.amazon.<domain>` buyer e-mail.
    BuyerEmail,
    /// Neither: `--marketplace` (default US).
    Default,
}

/// Options that decide classification and deadlines.
#[derive(Debug, Clone)]
pub struct ViewOptions {
    pub policy: Policy,
    /// `--tz`: overrides every marketplace's zone.
    pub tz: Option<Tz>,
    /// `--marketplace`: for orders none of whose snapshots has a sales-channel.
    pub default_marketplace: Marketplace,
    pub warn_days: i64,
    /// `--as-of`; else the newest observation in the inputs.
    pub as_of: Option<Micros>,
}

impl Default for ViewOptions {
    fn default() -> Self {
        ViewOptions {
            policy: Policy::Days30,
            tz: None,
            default_marketplace: Marketplace::from_code("US").expect("US"),
            warn_days: 7,
            as_of: None,
        }
    }
}

/// One order, merged and classified.
#[derive(Debug, Clone)]
pub struct OrderView {
    pub order_id: Text,
    pub sales_channel: SalesChannel,
    /// The sales-channel value as given (for `unsupported_marketplaces`).
    pub sales_channel_value: Option<Arc<str>>,
    pub marketplace_source: MarketplaceSource,
    pub zone: Tz,
    pub channel: Channel,
    pub status: Status,
    pub purchase_ts: Micros,
    /// As given by a snapshot (`None` when no snapshot has one).
    pub expected_ship_ts: Option<Micros>,
    /// The promised delivery date, as given by the newest snapshot that has one (§3.3).
    pub expected_delivery_ts: Option<Micros>,
    pub buyer_requested: bool,
    pub shipped: bool,
    pub cancelled: bool,
    pub open: bool,
    pub class: Option<Class>,
    /// The number (1–7) of the §2.1 rule that gave `class`.
    pub rule: Option<u8>,
    /// `last_updated_ts` of the oldest snapshot showing `Cancelled`.
    pub cancel_seen_ts: Option<Micros>,
    /// When the shipment was first confirmed (§3.5); `None` when not shipped or unknown.
    pub confirmed_ts: Option<Micros>,
    /// `None` when the order is not in the late shipment rate.
    pub lateness: Option<Lateness>,
    /// A shipped or open MFN Amazon order the late shipment rate cannot judge: no expected
    /// ship date, or shipped with no known confirmation time.
    pub late_unjudged: bool,
    pub deadline: Micros,
    pub days_left: i64,
    pub auto_state: Option<AutoState>,
    /// The newest snapshot's SKUs.
    pub skus: Items,
    /// `order-item-id`s of the newest snapshot that has them (empty: none seen).
    pub item_ids: Box<[Text]>,
    pub currency: Option<Arc<str>>,
    pub value_micros: i64,
    pub reasons: Vec<Text>,
    /// Its shipment-confirmation rows.
    pub shipments: Vec<Shipment>,
}

impl OrderView {
    pub fn marketplace(&self) -> Option<Marketplace> {
        match self.sales_channel {
            SalesChannel::Amazon(m) => Some(m),
            _ => None,
        }
    }

    /// An MFN order of a supported Amazon marketplace: the orders the metrics count.
    pub fn in_metrics(&self) -> bool {
        self.channel == Channel::Mfn && self.marketplace().is_some()
    }

    /// The expected ship instant used for the deadline, and where it came from.
    pub fn expected_ship(&self) -> (Micros, Basis) {
        match self.expected_ship_ts {
            Some(t) => (t, Basis::LatestShipDate),
            None => (self.purchase_ts, Basis::PurchaseDate),
        }
    }
}

/// The merged view: every known order (one with at least one snapshot), sorted by id.
#[derive(Debug)]
pub struct View {
    pub orders: Vec<OrderView>,
    /// `None` when the inputs hold no observation and no `--as-of` was given.
    pub as_of: Option<Micros>,
    /// Distinct orders per unsupported sales-channel value.
    pub unsupported_marketplaces: BTreeMap<String, u64>,
    /// Confirmation rows of orders no order report mentions.
    pub unknown_order_confirmations: u64,
}

impl View {
    /// Merges and classifies every order of the book. The per-order states are moved out of
    /// the book (it keeps confirmations, scans and the catalog), so the two never coexist
    /// in memory in full.
    pub fn build(book: &mut Book, opts: &ViewOptions) -> View {
        let as_of = opts.as_of.or(book.newest_observation());
        let blocks = book.take_state_blocks();
        // One pass to size the view and count the confirmations of orders no report names.
        let (known, unknown_order_confirmations) = blocks
            .par_iter()
            .map(|s| {
                s.iter().fold((0usize, 0u64), |(known, unknown), o| match o.snapshots {
                    0 => (known, unknown + o.shipments.len() as u64),
                    _ => (known + 1, unknown),
                })
            })
            .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        // One block of states at a time (the book keeps a shard's states in blocks of a few
        // thousand), its orders merged in parallel into a vector sized once: a block's states
        // are freed before the next block is merged, so at any number of threads memory holds
        // the states left, the views made, and one block's views twice (merging every shard at
        // once held every state beside every view: a gigabyte more at 16 threads on 4 M
        // orders, docs/BENCHMARKS.md).
        let mut orders: Vec<OrderView> = Vec::with_capacity(known);
        for mut states in blocks {
            // The states of orders no report names (confirmations alone, counted above) moved
            // to the end and dropped: the rest are merged as an indexed parallel iterator,
            // which writes each view straight into its place in `orders` on every thread (a
            // filtered one collects each thread's views apart and appends them one after
            // another: the serial part of merging, docs/BENCHMARKS.md).
            let mut end = states.len();
            let mut i = 0;
            while i < end {
                if states.get(i).is_some_and(|o| o.snapshots == 0) {
                    end -= 1;
                    states.swap(i, end);
                } else {
                    i += 1;
                }
            }
            states.truncate(end);
            orders.par_extend(states.into_par_iter().map(|o| merge_order(o, opts, as_of.unwrap_or(0))));
        }
        orders.par_sort_unstable_by(|a, b| id_order(&a.order_id, &b.order_id));
        let unsupported_marketplaces = unsupported_marketplaces(&orders);
        View { orders, as_of, unsupported_marketplaces, unknown_order_confirmations }
    }
}

/// Distinct orders per unsupported sales-channel value, among `orders` (additive).
pub fn unsupported_marketplaces(orders: &[OrderView]) -> BTreeMap<String, u64> {
    let mut unsupported = BTreeMap::new();
    for o in orders.iter().filter(|o| o.sales_channel == SalesChannel::Unsupported) {
        *unsupported.entry(o.sales_channel_value.as_deref().unwrap_or("").to_string()).or_insert(0) += 1;
    }
    unsupported
}

/// The value a keyed slot holds, whichever snapshot gave it.
fn value<K, T>(slot: Option<(K, T)>) -> Option<T> {
    slot.map(|(_, v)| v)
}

fn merge_order(mut o: OrderState, opts: &ViewOptions, as_of: Micros) -> OrderView {
    let sales_channel_value = value(o.sales_channel.take());
    let (sales_channel, marketplace_source) = match (&sales_channel_value, value(o.email_marketplace)) {
        (Some(v), _) => (SalesChannel::parse(v), MarketplaceSource::SalesChannel),
        (None, Some(m)) => (SalesChannel::Amazon(m), MarketplaceSource::BuyerEmail),
        (None, None) => (SalesChannel::Amazon(opts.default_marketplace), MarketplaceSource::Default),
    };
    let zone = match (&opts.tz, &sales_channel) {
        (Some(tz), _) => *tz,
        (None, SalesChannel::Amazon(m)) => m.zone(),
        (None, _) => Tz::UTC,
    };
    let channel = value(o.channel).unwrap_or(Channel::Mfn);
    let status = value(o.status.take()).unwrap_or(Status::Unshipped);
    let purchase_ts = value(o.purchase_ts).unwrap_or(0);
    let expected_ship_ts = value(o.expected_ship);
    let in_metrics = channel == Channel::Mfn && matches!(sales_channel, SalesChannel::Amazon(_));
    // Events of orders outside the metrics are ignored (§5.2).
    let cancelled = status == Status::Cancelled || (in_metrics && o.events.any);
    let shipped = status.is_shipped() || !o.shipments.is_empty();
    let open = in_metrics && !shipped && !cancelled && status != Status::Pending;
    let deadline = deadline(opts.policy, expected_ship_ts.unwrap_or(purchase_ts), purchase_ts, zone);
    let (class, rule) = match (in_metrics && cancelled).then(|| classify(&o, deadline)) {
        Some((class, rule)) => (Some(class), Some(rule)),
        None => (None, None),
    };
    let cancel_seen_ts = o.cancel_seen.as_ref().and_then(|(_, t)| *t);
    let confirmed_ts = shipped.then(|| confirmed_at(&o, zone)).flatten();
    let judged_shipped = in_metrics && shipped && !cancelled;
    let lateness = match expected_ship_ts {
        Some(expected) if judged_shipped => {
            confirmed_ts.map(|c| if c > expected { Lateness::Late } else { Lateness::OnTime })
        }
        Some(expected) if open && expected < as_of => Some(Lateness::Unconfirmed),
        _ => None,
    };
    let late_unjudged = (judged_shipped || open) && (expected_ship_ts.is_none() || (shipped && confirmed_ts.is_none()));
    let days_left = (deadline - as_of).div_euclid(MICROS_PER_DAY);
    let auto_state = if class == Some(Class::Auto) {
        Some(AutoState::AutoCancelled)
    } else if open && as_of >= deadline {
        Some(AutoState::Overdue)
    } else if open && (0..opts.warn_days).contains(&days_left) {
        Some(AutoState::AtRisk)
    } else {
        None
    };
    let (currency, value_micros) = match o.valued.take() {
        Some((_, (c, v))) => (Some(c), v),
        None => (None, 0),
    };
    OrderView {
        order_id: std::mem::take(&mut o.id),
        sales_channel,
        sales_channel_value,
        marketplace_source,
        zone,
        channel,
        status,
        purchase_ts,
        expected_ship_ts,
        expected_delivery_ts: value(o.expected_delivery),
        buyer_requested: o.buyer_requested,
        shipped,
        cancelled,
        open,
        class,
        rule,
        cancel_seen_ts,
        confirmed_ts,
        lateness,
        late_unjudged,
        deadline,
        days_left,
        auto_state,
        skus: value(o.skus.take()).unwrap_or_default(),
        item_ids: value(o.item_ids.take()).unwrap_or_default(),
        currency,
        value_micros,
        reasons: std::mem::take(&mut o.reasons),
        shipments: std::mem::take(&mut o.shipments),
    }
}

/// §3.5: the first confirmation Amazon recorded — the earliest `last_updated_ts` of a
/// shipped snapshot, else the earliest confirmation ship-date (a date is 00:00 local).
fn confirmed_at(o: &OrderState, zone: Tz) -> Option<Micros> {
    o.first_shipped_update.or_else(|| {
        o.shipments
            .iter()
            .map(|s| match s.ship {
                ShipDate::At(t) => t,
                ShipDate::Day(d) => local_midnight(d, zone),
            })
            .min()
    })
}

/// §2.1: the first rule that matches, and its number.
fn classify(o: &OrderState, deadline: Micros) -> (Class, u8) {
    let e = &o.events;
    let cancel_seen = o.cancel_seen.as_ref().and_then(|(_, t)| *t);
    if o.buyer_requested || e.buyer {
        (Class::Buyer, 1)
    } else if e.seller || o.feed_row {
        (Class::Seller, 2)
    } else if o.any_pending && !o.other_than_pending_or_cancelled {
        (Class::Pending, 3)
    } else if e.amazon_auto {
        (Class::Auto, 4)
    } else if e.amazon_other {
        (Class::Amazon, 5)
    } else if !e.any && cancel_seen.is_some_and(|t| t >= deadline) {
        (Class::Auto, 6)
    } else {
        (Class::Seller, 7)
    }
}
