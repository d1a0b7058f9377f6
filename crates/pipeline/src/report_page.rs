//! `report.html` (SPEC §4.1), filled from the run's [`Summary`] and its tables: the
//! verdict rows are the summary's current windows (through [`verdict::metric_lines`], as on
//! the terminal), the charts and lists are rows of the tables the run writes. The layout
//! lives in `orderhealth-review`.

use std::collections::BTreeMap;

use orderhealth_carriers::Defect;
use orderhealth_core::limits::{Limit, Verdict};
use orderhealth_core::timestamp::{date_of, epoch_days, format_instant, parse_date};
use orderhealth_review::{
    Chart, CountedCancellation, DefectExample, DefectGroup, InputsSection, KindRow, LateDelivery, Listing,
    MarketplaceSection, OpenOrder, Page, ReconcileLine, Series, VerdictRow,
};
use polars::prelude::*;

use crate::cancellations::{self, CancellationRow};
use crate::reports::Reports;
use crate::summary::Summary;
use crate::verdict;
use crate::words::{count, percent, thousands};
use crate::{auto_cancel, on_time_delivery, valid_tracking};

/// Rows of a long list shown in the page; the table file holds them all.
const LISTED: usize = 100;
/// Examples shown per (marketplace, defect).
const EXAMPLES: usize = 3;

/// The page of one report run.
pub fn review_page(summary: &Summary, reports: &Reports) -> PolarsResult<Page> {
    let mut marketplaces = verdict_sections(summary);
    add_charts(&mut marketplaces, reports)?;
    Ok(Page {
        as_of: verdict::as_of_line(summary),
        version: summary.version.clone(),
        verdict: verdict::verdict_line(summary, false),
        breach: summary.breach(),
        marketplaces,
        next_steps: verdict::next_steps(summary),
        open_orders: open_orders(&reports.auto_cancel)?,
        counted_cancellations: counted_cancellations(summary, &reports.cancellations)?,
        tracking_defects: tracking_defects(summary, &reports.tracking_defects)?,
        late_deliveries: late_deliveries(summary, &reports.late_deliveries)?,
        reconcile: reconcile(summary),
        inputs: inputs(summary),
        settings: settings(summary),
    })
}

/// Each marketplace's current windows, worst first: marketplaces by their worst status and
/// then by how many windows fail; within one, each metric window by its worst status (its
/// categories' included), in the fixed metric order on ties. Categories are folded into their
/// metric's row, as on the terminal, and listed whole in `categories`.
fn verdict_sections(summary: &Summary) -> Vec<MarketplaceSection> {
    let row_of = |l: &crate::metrics::MetricLine| VerdictRow {
        key: l.key.clone(),
        metric: l.metric.clone(),
        window: format!("{} .. {}", l.window_start, l.window_end),
        rate: percent(l.rate),
        part: thousands(l.part),
        whole: thousands(l.whole),
        threshold: l.limit.threshold.to_string(),
        status: l.status,
        indent: l.indent,
        note: String::new(),
    };
    let mut sections: Vec<(usize, MarketplaceSection)> = summary
        .current
        .iter()
        .map(|(m, current)| {
            let lines = verdict::metric_lines(summary, m, current, true);
            // Each metric window with its categories (the indented lines after it).
            let mut groups: Vec<(VerdictRow, Vec<VerdictRow>, Verdict)> = Vec::new();
            let mut folded: Vec<crate::metrics::MetricLine> = Vec::new();
            for l in &lines {
                if l.indent {
                    if let Some((_, categories, worst)) = groups.last_mut() {
                        categories.push(row_of(l));
                        *worst = (*worst).min(l.status);
                        folded.push(verdict::copy_line(l));
                    }
                    continue;
                }
                if let Some((row, _, _)) = groups.last_mut() {
                    row.note = verdict::fold_categories(&std::mem::take(&mut folded));
                }
                groups.push((row_of(l), Vec::new(), l.status));
            }
            if let Some((row, _, _)) = groups.last_mut() {
                row.note = verdict::fold_categories(&folded);
            }
            // Verdicts order worst first: BAD, GOOD, NONE.
            groups.sort_by_key(|(_, _, worst)| *worst);
            let bad = groups.iter().filter(|(_, _, worst)| *worst == Verdict::Bad).count();
            let status = groups.iter().map(|(_, _, worst)| *worst).min().unwrap_or(Verdict::None);
            let (mut rows, mut categories) = (Vec::new(), Vec::new());
            for (row, cats, _) in groups {
                rows.push(row);
                categories.extend(cats);
            }
            (bad, MarketplaceSection { code: m.clone(), status, rows, categories, charts: Vec::new() })
        })
        .collect();
    sections.sort_by(|(bad_a, a), (bad_b, b)| {
        (a.status, std::cmp::Reverse(*bad_a), &a.code).cmp(&(b.status, std::cmp::Reverse(*bad_b), &b.code))
    });
    sections.into_iter().map(|(_, s)| s).collect()
}

fn day_text(day: Option<i32>) -> String {
    day.map(|d| date_of(d).to_string()).unwrap_or_default()
}

/// Whether `day` falls in the window from `start` to `end` (`YYYY-MM-DD`, both included).
fn in_window(day: Option<i32>, start: &str, end: &str) -> bool {
    let day_of = |s: &str| parse_date(s).map(epoch_days);
    day.is_some_and(|d| day_of(start).is_some_and(|s| s <= d) && day_of(end).is_some_and(|e| d <= e))
}

fn instant_text(ts: Option<i64>) -> String {
    ts.map(format_instant).unwrap_or_default()
}

/// One series per group value (`rate` / `projected_rate`, a window length, a category),
/// each a (window end, rate) per row of the table, rows already sorted by window end.
struct SeriesBuilder {
    by_marketplace: BTreeMap<String, BTreeMap<String, Points>>,
}

/// (window end day, rate) of one series.
type Points = Vec<(i32, Option<f64>)>;

impl SeriesBuilder {
    fn new() -> Self {
        SeriesBuilder { by_marketplace: BTreeMap::new() }
    }

    fn add(&mut self, marketplace: &str, series: &str, day: Option<i32>, rate: Option<f64>) {
        if let Some(day) = day {
            let m = self.by_marketplace.entry(marketplace.to_string()).or_default();
            m.entry(series.to_string()).or_default().push((day, rate));
        }
    }

    /// The chart of one marketplace, its series in the order of `names` (or by name).
    fn chart(&mut self, marketplace: &str, title: String, limit: &Limit, names: &[(&str, &str)]) -> Option<Chart> {
        let mut series_of = self.by_marketplace.remove(marketplace)?;
        let mut series = Vec::new();
        for (key, name) in names {
            if let Some(points) = series_of.remove(*key) {
                series.push(Series { name: name.to_string(), points });
            }
        }
        for (key, points) in series_of {
            let name = if key.is_empty() { "(no category)".to_string() } else { format!("category {key}") };
            series.push(Series { name, points });
        }
        Some(Chart { title, threshold: limit.threshold_rate, higher_is_better: !limit.bad_at_or_above, series })
    }
}

/// The rolling series of each metric (the registry [`crate::metrics::METRICS`]), from the
/// rows of its table.
fn add_charts(sections: &mut [MarketplaceSection], reports: &Reports) -> PolarsResult<()> {
    let mut builders = Vec::new();
    for metric in &crate::metrics::METRICS {
        let mut series = SeriesBuilder::new();
        for p in (metric.chart_points)(reports)? {
            series.add(p.marketplace, &p.series, p.window_end, p.rate);
        }
        builders.push((metric, series));
    }
    for s in sections {
        let code = s.code.clone();
        s.charts = builders
            .iter_mut()
            .filter_map(|(metric, series)| {
                let title = format!("{code} {} (limit {})", metric.chart_name, metric.limit.threshold);
                series.chart(&code, title, metric.limit, metric.chart_series)
            })
            .collect();
    }
    Ok(())
}

/// The open orders of `auto_cancel` (overdue or at risk), in its order (by deadline).
fn open_orders(df: &DataFrame) -> PolarsResult<Listing<OpenOrder>> {
    let open: Vec<_> = auto_cancel::rows(df)?.into_iter().filter(|r| r.state != "auto_cancelled").collect();
    let rows = open
        .iter()
        .take(LISTED)
        .map(|r| OpenOrder {
            order_id: r.order_id.to_string(),
            marketplace: r.marketplace.to_string(),
            purchase: instant_text(r.purchase_ts),
            expected_ship: instant_text(r.expected_ship_ts),
            deadline: instant_text(r.deadline),
            days_left: r.days_left.map(thousands).unwrap_or_default(),
            state: r.state.to_string(),
        })
        .collect();
    Ok(Listing { rows, total: open.len(), table: crate::tables::AUTO_CANCEL.into() })
}

/// The cancellations that count against the seller in each marketplace's current
/// cancel-rate window (by local purchase day, as the window counts them).
fn counted_cancellations(summary: &Summary, df: &DataFrame) -> PolarsResult<Listing<CountedCancellation>> {
    let counts = |r: &CancellationRow| {
        summary
            .current
            .get(r.marketplace)
            .and_then(|c| c.cancel_rate.as_ref())
            .is_some_and(|w| r.counted && in_window(r.purchase_day, &w.window_start, &w.window_end))
    };
    let rows: Vec<_> = cancellations::rows(df)?.into_iter().filter(counts).collect();
    Ok(Listing {
        rows: rows
            .iter()
            .take(LISTED)
            .map(|r| CountedCancellation {
                order_id: r.order_id.to_string(),
                marketplace: r.marketplace.to_string(),
                purchase_day: day_text(r.purchase_day),
                class: r.class.to_string(),
                rule: r.rule.map(|r| r.to_string()).unwrap_or_default(),
                reasons: r.reasons.replace(',', ", "),
            })
            .collect(),
        total: rows.len(),
        table: crate::tables::CANCELLATIONS.into(),
    })
}

/// The defective packages shipped in each marketplace's current tracking window, by
/// (marketplace, defect): how many, and the first few as examples with their suggestion.
fn tracking_defects(summary: &Summary, df: &DataFrame) -> PolarsResult<Vec<DefectGroup>> {
    let mut groups: BTreeMap<(&str, &str), (i64, Vec<DefectExample>)> = BTreeMap::new();
    for r in valid_tracking::defect_rows(df)? {
        let Some(w) = summary.tracking_all_categories.get(r.marketplace) else { continue };
        if !in_window(r.ship_date, &w.window_start, &w.window_end) {
            continue;
        }
        let (n, examples) = groups.entry((r.marketplace, r.defect)).or_default();
        *n += 1;
        if examples.len() < EXAMPLES {
            examples.push(DefectExample {
                order_id: r.order_id.to_string(),
                ship_date: day_text(r.ship_date),
                carrier: r.carrier.to_string(),
                tracking_number: r.tracking_number.to_string(),
                suggestion: r.suggestion.to_string(),
            });
        }
    }
    // Per marketplace, the most frequent defect first; ties in the carriers' defect order.
    let rank = |d: &str| Defect::ALL.iter().position(|x| x.as_str() == d).unwrap_or(usize::MAX);
    let mut groups: Vec<_> = groups.into_iter().collect();
    groups.sort_by(|((ma, da), (na, _)), ((mb, db), (nb, _))| {
        (ma, std::cmp::Reverse(*na), rank(da)).cmp(&(mb, std::cmp::Reverse(*nb), rank(db)))
    });
    Ok(groups
        .into_iter()
        .map(|((marketplace, defect), (n, examples))| DefectGroup {
            marketplace: marketplace.to_string(),
            defect: defect.to_string(),
            packages: count(n, "package", "packages"),
            examples,
        })
        .collect())
}

/// The late packages promised in each marketplace's current 30-day on-time delivery window
/// (it holds the 14-day one), by promised date.
fn late_deliveries(summary: &Summary, df: &DataFrame) -> PolarsResult<Listing<LateDelivery>> {
    let longest = orderhealth_core::metric::on_time_delivery::WINDOWS.iter().max().map(|n| n.to_string());
    let shown = |r: &on_time_delivery::LateRow| {
        let current = summary.current.get(r.marketplace).and_then(|c| c.on_time_delivery.as_ref());
        let window = current.and_then(|c| c.get(longest.as_deref().unwrap_or_default()));
        window.is_some_and(|w| in_window(r.promised_date, &w.window_start, &w.window_end))
    };
    let rows: Vec<_> = on_time_delivery::late_rows(df)?.into_iter().filter(shown).collect();
    Ok(Listing {
        rows: rows
            .iter()
            .take(LISTED)
            .map(|r| LateDelivery {
                order_id: r.order_id.to_string(),
                marketplace: r.marketplace.to_string(),
                promised_date: day_text(r.promised_date),
                carrier: r.carrier.to_string(),
                tracking_number: r.tracking_number.to_string(),
                delivered: instant_text(r.delivered),
                reason: r.reason.to_string(),
            })
            .collect(),
        total: rows.len(),
        table: crate::tables::LATE_DELIVERIES.into(),
    })
}

/// `summary.json`'s `reconcile`, one line per window, as the page shows them.
fn reconcile(summary: &Summary) -> Vec<ReconcileLine> {
    let n = |v: Option<i64>| v.map(thousands).unwrap_or_else(|| "?".into());
    let mut lines = Vec::new();
    for (report, marketplaces) in &summary.reconcile {
        for (m, rows) in marketplaces {
            for r in rows {
                let window = match (&r.window_start, &r.window_end) {
                    (Some(a), Some(b)) => format!("{a} .. {b}"),
                    _ => "no dates".into(),
                };
                lines.push(ReconcileLine {
                    report: report.rsplit('/').next().unwrap_or(report).to_string(),
                    marketplace: m.clone(),
                    metric: r.metric.to_string(),
                    window,
                    amazon: format!("{} / {} ({})", n(r.amazon.count), n(r.amazon.total), percent(r.amazon.rate)),
                    ours: format!("{} / {} ({})", n(r.ours.count), n(r.ours.total), percent(r.ours.rate)),
                    agrees: match r.agrees {
                        Some(true) => "agrees",
                        Some(false) => "differs",
                        None => "not comparable",
                    }
                    .into(),
                    explain: r.could_explain.iter().map(|(why, k)| format!("{k} {why}")).collect::<Vec<_>>().join(", "),
                });
            }
        }
    }
    lines
}

fn inputs(summary: &Summary) -> InputsSection {
    let mut kinds: BTreeMap<&str, KindRow> = BTreeMap::new();
    let mut totals: BTreeMap<&str, [u64; 4]> = BTreeMap::new();
    for f in &summary.inputs.files {
        let t = totals.entry(f.kind.as_str()).or_default();
        t[0] += 1;
        t[1] += f.rows_read;
        t[2] += f.rows_used();
        t[3] += f.rows_rejected;
        let row = kinds
            .entry(f.kind.as_str())
            .or_insert_with(|| KindRow { kind: f.kind.as_str().into(), ..KindRow::default() });
        for c in &f.unknown_columns {
            if !row.unknown_columns.contains(c) {
                row.unknown_columns.push(c.clone());
            }
        }
    }
    let kinds = kinds
        .into_iter()
        .map(|(kind, mut row)| {
            let t = totals[kind];
            row.files = thousands(t[0] as i64);
            row.rows_read = thousands(t[1] as i64);
            row.rows_used = thousands(t[2] as i64);
            row.rows_rejected = thousands(t[3] as i64);
            row.unknown_columns.sort();
            row
        })
        .collect();
    let i = &summary.inputs;
    let mut notes = Vec::new();
    let hinted = i.files.iter().filter(|f| f.encoding_hint.is_some()).count() as i64;
    if hinted > 0 {
        notes.push(format!(
            "{} read as Windows-1252 whose bytes read as Japanese Shift_JIS: pass --marketplace JP or --encoding cp932 if they are Japanese (summary.json names them)",
            count(hinted, "file was", "files were")
        ));
    }
    let repeated: u64 = i.files.iter().map(|f| f.repeated_headers).sum();
    if repeated > 0 {
        notes.push(format!(
            "{} repeated inside files (dumps appended together) skipped",
            count(repeated as i64, "header line", "header lines")
        ));
    }
    if summary.rejected_rows > 0 {
        notes.push(format!(
            "{} rejected: rejected.tsv gives each one's file, line and reason",
            count(summary.rejected_rows as i64, "row", "rows")
        ));
    }
    for (n, what) in [
        (
            summary.default_marketplace_orders,
            format!(
                "with no sales-channel and no marketplace e-mail counted as {} (--marketplace)",
                summary.settings.default_marketplace
            ),
        ),
        (
            summary.late_shipment_no_expected_ship_date,
            "without an expected ship date or confirmation time, not in the late shipment rate".to_string(),
        ),
        (
            summary.valid_tracking_placed_by_ship_day,
            match summary.settings.tracking_basis.as_str() {
                "ship" => "placed on their ship day in the valid tracking rate (--tracking-basis ship)".to_string(),
                _ => "without a promised delivery date placed on their ship day in the valid tracking rate".to_string(),
            },
        ),
        (
            summary.cancelled_without_explanation,
            "cancelled with no event or feed row, counted against the seller (rule 7)".to_string(),
        ),
    ] {
        if n > 0 {
            notes.push(format!("{} {what}", count(n as i64, "order", "orders")));
        }
    }
    for (n, what) in [
        (summary.unmatched_confirmations, "of unknown orders"),
        (summary.non_amazon_confirmations, "of orders outside Amazon's marketplaces"),
        (summary.unsupported_marketplace_confirmations, "of orders in marketplaces orderhealth does not judge"),
    ] {
        if n > 0 {
            notes.push(format!(
                "{} {what} left out of valid tracking",
                count(n as i64, "confirmation", "confirmations")
            ));
        }
    }
    for (channel, n) in &summary.unsupported_marketplaces {
        notes.push(format!(
            "{} with sales-channel {channel}: not an Amazon marketplace orderhealth judges",
            count(*n as i64, "order", "orders")
        ));
    }
    let skipped = &summary.skipped_files;
    InputsSection {
        totals: format!(
            "{}, {} read = {} used + {} rejected; {} skipped",
            count(i.files.len() as i64, "file", "files"),
            count(i.rows_read as i64, "row", "rows"),
            thousands((i.rows_read - i.rows_rejected) as i64),
            thousands(i.rows_rejected as i64),
            count(skipped.len() as i64, "file", "files"),
        ),
        kinds,
        skipped: Listing {
            rows: skipped.iter().take(LISTED).map(|s| (s.path.clone(), s.reason.clone())).collect(),
            total: skipped.len(),
            table: "summary.json".into(),
        },
        notes,
    }
}

fn settings(summary: &Summary) -> Vec<(String, String)> {
    let s = &summary.settings;
    let or = |v: &Option<String>, default: &str| v.clone().unwrap_or_else(|| default.to_string());
    vec![
        ("as of".into(), or(&summary.as_of, "none")),
        ("--as-of".into(), or(&s.as_of, "not given: the newest observation in the inputs")),
        ("--auto-cancel-policy".into(), s.auto_cancel_policy.clone()),
        ("--warn-days".into(), s.warn_days.to_string()),
        ("--scan-grace-days".into(), s.scan_grace_days.to_string()),
        ("--tracking-basis".into(), s.tracking_basis.clone()),
        ("--tz".into(), or(&s.tz, "not given: each marketplace's own zone")),
        ("--marketplace".into(), s.default_marketplace.clone()),
        ("--encoding".into(), s.encoding.clone()),
        ("--strict".into(), s.strict.to_string()),
        ("version".into(), summary.version.clone()),
    ]
}
