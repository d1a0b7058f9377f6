//! `orderhealth cancel-feed`: the order-cancellation feed for the orders a seller chooses
//! (listed, or every overdue / at-risk order), the orders refused with why, and what the feed
//! does to the cancel rate before it is uploaded (`cancel_feed_impact.json`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use orderhealth_core::cancel_feed::{self, Refusal, BUYER_CANCELED, SELLER_REASONS};
use orderhealth_core::current::{current_cancel, CurrentWindow, Today};
use orderhealth_core::limits::Verdict;
use orderhealth_core::metric::cancel_rate;
use orderhealth_core::timestamp::{format_instant, local_day};
use orderhealth_core::{cancel_days, AutoState, CancelCounts, OrderView, ReadOptions, ViewOptions};
use serde::Serialize;

use crate::error::UsageError;
use crate::run::{prepare_inputs, Progress};
use crate::summary::CancelWindow;

/// Which open orders go into the feed.
#[derive(Debug, Clone)]
pub enum Selection {
    /// The order ids listed in a file, one a line.
    Listed(PathBuf),
    /// Every open order past its auto-cancel deadline.
    Overdue,
    /// Every open order overdue or at risk.
    AtRisk,
}

#[derive(Debug, Clone)]
pub struct FeedOptions {
    pub inputs: Vec<PathBuf>,
    /// The feed file; the refusals and the impact are written beside it.
    pub out: PathBuf,
    pub read: ReadOptions,
    pub view: ViewOptions,
    pub selection: Selection,
    /// The reason for orders the buyer did not ask to cancel.
    pub reason: String,
    /// `--store`: read the orders from this store.
    pub store: Option<PathBuf>,
}

/// What the feed would do to one marketplace's cancel rate.
#[derive(Debug, Clone, Serialize)]
pub struct MarketplaceImpact {
    pub orders_in_feed: u64,
    /// Cancelled with the seller's reason: they count against the seller.
    pub seller_cancellations: u64,
    /// Cancelled as `BuyerCanceled`: they leave the rate.
    pub buyer_requested: u64,
    /// The window ending on as_of's local date, before and after.
    pub current: Change,
    /// Every window holding a feed order's purchase day that the feed turns BAD.
    pub windows_turned_bad: Vec<Change>,
    /// The highest rate after the feed among the windows holding its orders.
    pub worst_after: Option<Change>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub before: CancelWindow,
    pub after: CancelWindow,
}

#[derive(Debug, Clone, Serialize)]
pub struct Impact {
    pub as_of: Option<String>,
    pub feed: String,
    pub reason: String,
    pub orders: u64,
    pub rows: u64,
    pub refused: u64,
    pub marketplaces: BTreeMap<String, MarketplaceImpact>,
}

/// One order that is not in the feed.
#[derive(Debug, Clone)]
pub struct Refused {
    pub order_id: String,
    pub refusal: Refusal,
}

pub struct FeedOutcome {
    pub impact: Impact,
    pub refused: Vec<Refused>,
    pub written: Vec<PathBuf>,
}

/// `--reason`: one of Amazon's codes, never `BuyerCanceled` (it is given exactly to the orders
/// whose buyer asked).
pub fn check_reason(reason: &str) -> Result<(), UsageError> {
    if reason == BUYER_CANCELED {
        return Err(UsageError(format!(
            "--reason {BUYER_CANCELED} is refused: it is only for orders whose buyer asked to cancel through Amazon, and orderhealth gives it to exactly those (their is-buyer-requested-cancellation flag); for the others give the true reason, e.g. NoInventory"
        )));
    }
    if !SELLER_REASONS.contains(&reason) {
        return Err(UsageError(format!(
            "--reason {reason:?} is not an Amazon cancellation reason code; one of: {}",
            SELLER_REASONS.join(", ")
        )));
    }
    Ok(())
}

/// The order ids of a list file: one a line, blank lines and `#` comments skipped, each once.
fn listed_ids(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read(path).with_context(|| format!("{}: cannot read the order list", path.display()))?;
    let text = String::from_utf8_lossy(&text);
    let mut seen = BTreeSet::new();
    let mut ids = Vec::new();
    for line in text.lines() {
        let id = line.trim().trim_start_matches('\u{feff}');
        if id.is_empty() || id.starts_with('#') {
            continue;
        }
        if seen.insert(id.to_string()) {
            ids.push(id.to_string());
        }
    }
    Ok(ids)
}

/// A window of `days` as the summary writes it.
fn window(days: &[orderhealth_core::CancelDay], m: orderhealth_core::Marketplace, end: i32) -> CancelWindow {
    let counts: CancelCounts = cancel_feed::window_ending(days, m, end);
    CancelWindow::of(&CurrentWindow { start: end - cancel_rate::WINDOW + 1, end, counts })
}

/// `after` has a higher rate than `than` (cross-multiplied: no rounding).
fn higher(after: &CancelWindow, than: &CancelWindow) -> bool {
    let (a, b) = ((after.cancelled as i128) * (than.orders as i128), (than.cancelled as i128) * (after.orders as i128));
    a > b || (a == b && after.orders > than.orders)
}

/// Writes `text` to `path` as a whole, through a staging name the input walk never reads.
fn write_atomically(path: &Path, text: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}-{}", orderhealth_core::inputs::STAGING_MARK, std::process::id()));
    crate::output::write_whole(path, &tmp, text)
}

/// The files written beside the feed.
pub fn beside(feed: &Path, name: &str) -> PathBuf {
    feed.parent().unwrap_or(Path::new("")).join(name)
}

pub fn run_cancel_feed(opts: &FeedOptions, progress: &dyn Progress) -> Result<FeedOutcome> {
    check_reason(&opts.reason)?;
    if let Selection::Listed(list) = &opts.selection {
        if !list.is_file() {
            return Err(UsageError(format!("--orders {}: no such file", list.display())).into());
        }
    }
    if opts.out.is_dir() {
        return Err(UsageError(format!(
            "--out {} is a directory: name the feed file, e.g. feed.txt",
            opts.out.display()
        ))
        .into());
    }
    let p = prepare_inputs(&opts.inputs, opts.store.as_deref(), &opts.out, &opts.read, &opts.view, None, progress)?;
    if let Some(error) = crate::run::unusable_orders(&p.loaded) {
        return Err(error.into());
    }
    let orders = &p.view.orders;
    let by_id: BTreeMap<&str, &OrderView> = orders.iter().map(|o| (&*o.order_id, o)).collect();

    // The orders asked for, in the list's order or (overdue / at risk) by deadline.
    let asked: Vec<String> = match &opts.selection {
        Selection::Listed(path) => listed_ids(path)?,
        Selection::Overdue | Selection::AtRisk => {
            let at_risk_too = matches!(opts.selection, Selection::AtRisk);
            let mut chosen: Vec<&OrderView> = orders
                .iter()
                .filter(|o| o.in_metrics() && o.open)
                .filter(|o| match o.auto_state {
                    Some(AutoState::Overdue) => true,
                    Some(AutoState::AtRisk) => at_risk_too,
                    _ => false,
                })
                .collect();
            chosen.sort_by(|a, b| (a.deadline, &a.order_id).cmp(&(b.deadline, &b.order_id)));
            chosen.into_iter().map(|o| o.order_id.to_string()).collect()
        }
    };
    let mut feed: Vec<&OrderView> = Vec::new();
    let mut refused = Vec::new();
    for id in &asked {
        match cancel_feed::judge(by_id.get(id.as_str()).copied()) {
            Ok(o) => feed.push(o),
            Err(refusal) => refused.push(Refused { order_id: id.clone(), refusal }),
        }
    }

    // What the feed does to the cancel rate, marketplace by marketplace.
    let before = cancel_days(orders);
    let after = cancel_feed::cancel_days_after(&before, &feed);
    let today = p.view.as_of.map(|as_of| Today { as_of, tz: opts.view.tz });
    let mut marketplaces = BTreeMap::new();
    let mut by_marketplace: BTreeMap<&str, Vec<&OrderView>> = BTreeMap::new();
    for o in &feed {
        if let Some(m) = o.marketplace() {
            by_marketplace.entry(m.code()).or_default().push(o);
        }
    }
    let (current_before, current_after) = match &today {
        Some(t) => (current_cancel(&before, t), current_cancel(&after, t)),
        None => Default::default(),
    };
    for (code, in_feed) in &by_marketplace {
        let Some(m) = in_feed.first().and_then(|o| o.marketplace()) else { continue };
        let today_day = today.map(|t| t.day_in(m));
        let current = match (current_before.get(&m), current_after.get(&m)) {
            (Some(b), Some(a)) => Change { before: CancelWindow::of(b), after: CancelWindow::of(a) },
            _ => continue,
        };
        // Windows holding a feed order: ending on its purchase day and the six after, up to today.
        let ends: BTreeSet<i32> = in_feed
            .iter()
            .flat_map(|o| {
                let d = local_day(o.purchase_ts, o.zone);
                d..=d + 6
            })
            .filter(|end| today_day.is_none_or(|t| *end <= t))
            .collect();
        let changes: Vec<Change> =
            ends.iter().map(|&end| Change { before: window(&before, m, end), after: window(&after, m, end) }).collect();
        let worst_after = changes.iter().fold(None::<&Change>, |worst, c| match worst {
            // Ties go to the later window: the current one when it is as bad as any.
            Some(w) if higher(&w.after, &c.after) => Some(w),
            _ => Some(c),
        });
        marketplaces.insert(
            code.to_string(),
            MarketplaceImpact {
                orders_in_feed: in_feed.len() as u64,
                seller_cancellations: in_feed.iter().filter(|o| !o.buyer_requested).count() as u64,
                buyer_requested: in_feed.iter().filter(|o| o.buyer_requested).count() as u64,
                current,
                worst_after: worst_after.cloned(),
                windows_turned_bad: changes
                    .into_iter()
                    .filter(|c| c.before.status != Verdict::Bad && c.after.status == Verdict::Bad)
                    .collect(),
            },
        );
    }

    let feed_text = cancel_feed::feed_text(&feed, &opts.reason);
    let rows = feed_text.lines().count().saturating_sub(2) as u64;
    let impact = Impact {
        as_of: p.view.as_of.map(format_instant),
        feed: opts.out.display().to_string(),
        reason: opts.reason.clone(),
        orders: feed.len() as u64,
        rows,
        refused: refused.len() as u64,
        marketplaces,
    };

    progress.stage("writing");
    let mut written = Vec::new();
    let refusals_path = beside(&opts.out, &refusals_name(&opts.out));
    let mut tsv = String::from("order_id\trefusal\treason\n");
    for r in &refused {
        tsv.push_str(&format!("{}\t{}\t{}\n", printable(&r.order_id), r.refusal.as_str(), r.refusal.explain()));
    }
    write_atomically(&refusals_path, tsv.as_bytes())?;
    written.push(refusals_path);
    let impact_path = beside(&opts.out, "cancel_feed_impact.json");
    let mut json = serde_json::to_vec_pretty(&impact)?;
    json.push(b'\n');
    write_atomically(&impact_path, &json)?;
    written.push(impact_path);
    if !feed.is_empty() {
        write_atomically(&opts.out, feed_text.as_bytes())?;
        written.push(opts.out.clone());
    }
    progress.finish();
    Ok(FeedOutcome { impact, refused, written })
}

/// `feed.txt` → `feed.refused.tsv`.
pub fn refusals_name(feed: &Path) -> String {
    let stem = feed.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "feed".into());
    format!("{stem}.refused.tsv")
}

/// An order id from a user's list, as it can be shown: control characters escaped, bounded.
fn printable(id: &str) -> String {
    let mut out: String = id.chars().take(100).flat_map(|c| c.escape_debug()).collect();
    if id.chars().count() > 100 {
        out.push('…');
    }
    out
}

/// A window as a person reads it: `2.86% (1/35) GOOD`.
fn shown(w: &CancelWindow) -> String {
    format!(
        "{} ({}/{}) {}",
        crate::words::percent(w.rate),
        crate::words::thousands(w.cancelled),
        crate::words::thousands(w.orders),
        w.status
    )
}

/// The refused orders with why (stderr): the first ten, and where the rest are.
pub fn refusals_text(outcome: &FeedOutcome) -> String {
    let mut s = String::new();
    if !outcome.refused.is_empty() {
        s.push_str(&format!(
            "warning: {} not in the feed:\n",
            crate::words::count(outcome.refused.len() as i64, "order", "orders")
        ));
        for r in outcome.refused.iter().take(10) {
            s.push_str(&format!("  {}: {}\n", printable(&r.order_id), r.refusal.explain()));
        }
        if outcome.refused.len() > 10 {
            s.push_str(&format!(
                "  … and {} more (see {})\n",
                outcome.refused.len() - 10,
                outcome.written[0].display()
            ));
        }
    }
    s
}

/// What the terminal says on stdout: the feed, the impact per marketplace, loud warnings.
pub fn render(outcome: &FeedOutcome) -> String {
    let i = &outcome.impact;
    let mut s = String::new();
    if i.orders == 0 {
        s.push_str("No order could be written: no feed written.\n");
    } else {
        s.push_str(&format!(
            "Feed {}: {} for {} (reason {}); upload it in Seller Central (Orders > Upload order related files) or as feed type {}\n",
            i.feed,
            crate::words::count(i.rows as i64, "row", "rows"),
            crate::words::count(i.orders as i64, "order", "orders"),
            i.reason,
            cancel_feed::FEED_TYPE
        ));
    }
    if !i.marketplaces.is_empty() {
        s.push_str(&format!("Cancellation rate (limit {}) if the feed is applied:\n", cancel_rate::LIMIT.threshold));
    }
    for (m, mi) in &i.marketplaces {
        let c = &mi.current;
        s.push_str(&format!(
            "  {m}  current window {} .. {}: {} -> {}  ({} against you, {} buyer-requested and excluded)\n",
            c.before.window_start,
            c.before.window_end,
            shown(&c.before),
            shown(&c.after),
            crate::words::thousands(mi.seller_cancellations as i64),
            crate::words::thousands(mi.buyer_requested as i64),
        ));
        if let Some(w) = mi.worst_after.as_ref().filter(|w| w.after.window_end != c.after.window_end) {
            s.push_str(&format!(
                "      worst window with these orders {} .. {}: {} -> {}\n",
                w.after.window_start,
                w.after.window_end,
                shown(&w.before),
                shown(&w.after)
            ));
        }
    }
    for (m, mi) in &i.marketplaces {
        if mi.current.before.status != Verdict::Bad && mi.current.after.status == Verdict::Bad {
            s.push_str(&format!(
                "WARNING: {m}'s current cancellation rate turns BAD with this feed ({} -> {})\n",
                shown(&mi.current.before),
                shown(&mi.current.after)
            ));
        }
        // Earlier windows: Amazon judges the current one, but the history a reviewer reads changes too.
        let earlier: Vec<&Change> =
            mi.windows_turned_bad.iter().filter(|c| c.after.window_end != mi.current.after.window_end).collect();
        if let (Some(first), Some(last)) = (earlier.first(), earlier.last()) {
            s.push_str(&format!(
                "WARNING: in {m} the feed also turns {} BAD (ending {} .. {}; see cancel_feed_impact.json)\n",
                crate::words::count(earlier.len() as i64, "earlier 7-day window", "earlier 7-day windows"),
                first.after.window_end,
                last.after.window_end,
            ));
        }
    }
    for w in &outcome.written {
        s.push_str(&format!("wrote {}\n", w.display()));
    }
    s
}
