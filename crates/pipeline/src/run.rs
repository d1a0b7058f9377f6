//! The two jobs: `orders` (the merged view) and `report` (every report, concurrently, from
//! one read of the inputs). Both write through an [`OutputSet`], so `--out` changes as a
//! whole.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result};
use orderhealth_core::current::{current_tracking, Today};
use orderhealth_core::timestamp::format_instant;
use orderhealth_core::tracking::{PackageOptions, TrackingBasis};
use orderhealth_core::{
    collect_inputs, load, DailyCounts, InputError, Loaded, ReadOptions, Skipped, Tracking, View, ViewOptions,
};
use polars::prelude::{DataFrame, PolarsResult};

use crate::error::UsageError;
use crate::output::{write_rejected, Format, OutputSet};
use crate::reports::Reports;
use crate::store::{SettledKey, SettledPart, SettledRequest, Tally};
use crate::summary::{AutoCancelCounts, Inputs, MarketplaceCurrent, OrderCounters, Settings, Summary, TrackingWindow};
use crate::{auto_cancel, cancel_rate, cancellations, late_shipment, on_time_delivery, tables, valid_tracking};

impl RunOptions {
    /// The options that change how packages are judged and placed.
    pub fn packages(&self) -> PackageOptions {
        PackageOptions { scan_grace_days: self.scan_grace_days, basis: self.tracking_basis }
    }
}

/// Everything a run needs to know.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub inputs: Vec<PathBuf>,
    pub out: PathBuf,
    pub format: Format,
    pub read: ReadOptions,
    pub view: ViewOptions,
    /// `--scan-grace-days`: packages younger than this are judged without scans.
    pub scan_grace_days: i64,
    /// `--tracking-basis`: which day a package counts on in the valid tracking rate.
    pub tracking_basis: TrackingBasis,
    /// `--store`: compute from this store (its inputs are ingested before, by the caller).
    pub store: Option<PathBuf>,
}

/// What a progress display is told: total bytes to read, then bytes as they are read, then
/// the later stages by name.
pub trait Progress: Sync {
    fn start(&self, total_bytes: u64);
    fn advance(&self, bytes: u64);
    /// Reading is done; `stage` (merging, reports, writing) runs next.
    fn stage(&self, _stage: &str) {}
    /// A part of a stage took `seconds` (`--timings`: each report of the concurrent ones,
    /// reading and absorbing in thread-seconds).
    fn detail(&self, _part: &str, _seconds: f64) {}
    fn finish(&self);
}

/// No progress display.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}

/// The inputs read once, merged and classified.
pub(crate) struct Prepared {
    pub(crate) loaded: Loaded,
    /// Every order read: all of them, or the store's live ones when `settled` is given.
    pub(crate) view: View,
    /// What the store's settled orders add (they are then not in `view`): their counts and
    /// their evidence rows; only for a report.
    pub(crate) settled: Option<SettledPart>,
}

/// `--out` must not be an input directory or hold one: the run would write into its inputs.
fn refuse_out_over_inputs(opts: &RunOptions) -> Result<()> {
    let Ok(out) = opts.out.canonicalize() else { return Ok(()) };
    for input in &opts.inputs {
        let Ok(input_path) = input.canonicalize() else { continue };
        if input_path.is_dir() && input_path.starts_with(&out) {
            let relation = if input_path == out { "is" } else { "holds" };
            return Err(UsageError(format!(
                "--out {} {relation} the input directory {}: reports would be written into the inputs; choose another --out",
                opts.out.display(),
                input.display()
            ))
            .into());
        }
    }
    Ok(())
}

/// `--out` is replaced as a whole: it must not be the store, hold it, or lie inside it.
pub(crate) fn refuse_out_over_store(out: &std::path::Path, store: &std::path::Path) -> Result<()> {
    let (Ok(o), Ok(s)) = (std::path::absolute(out), std::path::absolute(store)) else { return Ok(()) };
    let (o, s) = (o.canonicalize().unwrap_or(o), s.canonicalize().unwrap_or(s));
    if o.starts_with(&s) || s.starts_with(&o) {
        return Err(UsageError(format!(
            "--out {} and the store {} overlap: the reports would replace the store; choose another --out",
            out.display(),
            store.display()
        ))
        .into());
    }
    Ok(())
}

fn prepare(opts: &RunOptions, progress: &dyn Progress) -> Result<Prepared> {
    prepare_inputs(&opts.inputs, opts.store.as_deref(), &opts.out, &opts.read, &opts.view, None, progress)
}

/// Reads `inputs` (never `out`, the run's own output), or the store, merges and classifies.
pub(crate) fn prepare_inputs(
    inputs: &[PathBuf],
    store: Option<&std::path::Path>,
    out: &std::path::Path,
    read: &ReadOptions,
    view: &ViewOptions,
    settled: Option<&SettledRequest>,
    progress: &dyn Progress,
) -> Result<Prepared> {
    let (mut loaded, mut settled) = match store {
        Some(dir) => {
            refuse_out_over_store(out, dir)?;
            progress.start(0);
            progress.stage("reading the store");
            let settings = crate::store::StoreSettings::of(read, view.default_marketplace);
            let waiting = || progress.stage("waiting for an ingest into the store to finish");
            crate::store::load(dir, &settings, &waiting, settled)?
        }
        None => {
            let files = collect_inputs(inputs, Some(out))?;
            progress.start(files.files.iter().map(|f| f.bytes).sum());
            (load(&files, read, &|n| progress.advance(n))?, None)
        }
    };
    require_an_order_report(&loaded)?;
    if store.is_none() {
        progress.detail("reading files (thread-seconds)", loaded.spent.reading.as_secs_f64());
        progress.detail("absorbing into the book (thread-seconds)", loaded.spent.absorbing.as_secs_f64());
    }
    progress.stage("merging");
    // A base judged in this process as of this instant comes with its live orders viewed.
    let merged = match settled.as_mut().and_then(|s| s.view.take()) {
        Some(viewed) => viewed,
        None => View::build(&mut loaded.book, view),
    };
    Ok(Prepared { loaded, view: merged, settled })
}

/// §1.5: inputs without a single order report are a wrong folder, not an empty account.
fn require_an_order_report(loaded: &Loaded) -> Result<(), InputError> {
    if loaded.files.iter().any(|f| f.kind.is_order_report()) {
        return Ok(());
    }
    let mut kinds: BTreeMap<&'static str, usize> = BTreeMap::new();
    for f in &loaded.files {
        *kinds.entry(f.kind.as_str()).or_default() += 1;
    }
    Err(InputError::NoOrderReport {
        read: loaded.files.len(),
        kinds: kinds.into_iter().map(|(k, n)| (k.to_string(), n)).collect(),
        skipped: loaded.skipped.len(),
    })
}

/// §1.5 (v1.4): order reports that had data rows, every one of them rejected, are an error,
/// not an empty account (the caller still writes `rejected.tsv` where it has one).
pub(crate) fn unusable_orders(loaded: &Loaded) -> Option<InputError> {
    let reports: Vec<_> = loaded.files.iter().filter(|f| f.kind.is_order_report() && f.rows_read > 0).collect();
    let rows: u64 = reports.iter().map(|f| f.rows_read).sum();
    let used: u64 = reports.iter().map(|f| f.rows_used()).sum();
    (rows > 0 && used == 0)
        .then(|| InputError::NoUsableOrderRow { rows, files: reports.iter().map(|f| f.path.clone()).collect() })
}

/// Whether the order reports hold no order row at all (a quiet period): the verdict says so.
fn no_order_rows(loaded: &Loaded) -> bool {
    loaded.files.iter().filter(|f| f.kind.is_order_report()).all(|f| f.rows_used() == 0)
}

/// `rejected.tsv` alone, when no order row could be used, and the error that says so.
fn refuse_unusable_orders(set: OutputSet, loaded: &Loaded) -> Result<OutputSet> {
    let Some(error) = unusable_orders(loaded) else { return Ok(set) };
    write_rejected(&set, &loaded.rejected)?;
    set.commit()?;
    Err(error.into())
}

fn begin(opts: &RunOptions) -> Result<OutputSet> {
    refuse_out_over_inputs(opts)?;
    orderhealth_core::check_inputs_exist(&opts.inputs)?;
    OutputSet::begin(&opts.out, opts.format)
}

/// What `orders` did.
#[derive(Debug)]
pub struct OrdersOutcome {
    pub inputs: Inputs,
    pub skipped: Vec<Skipped>,
    pub orders: usize,
    pub written: Vec<PathBuf>,
}

pub fn run_orders(opts: &RunOptions, progress: &dyn Progress) -> Result<OrdersOutcome> {
    let set = begin(opts)?;
    let p = prepare(opts, progress)?;
    let set = refuse_unusable_orders(set, &p.loaded)?;
    progress.stage("writing");
    let df = crate::orders::orders_table(&p.view.orders)?;
    set.write_table(tables::ORDERS, &df)?;
    write_rejected(&set, &p.loaded.rejected)?;
    let written = set.commit()?;
    progress.finish();
    Ok(OrdersOutcome {
        inputs: Inputs::new(&p.loaded.files),
        skipped: p.loaded.skipped.clone(),
        orders: p.view.orders.len(),
        written,
    })
}

/// What `report` did.
pub struct ReportOutcome {
    pub summary: Summary,
    pub reports: Reports,
    pub written: Vec<PathBuf>,
}

pub fn run_report(opts: &RunOptions, progress: &dyn Progress) -> Result<ReportOutcome> {
    let set = begin(opts)?;
    let request = SettledRequest { view: opts.view.clone(), packages: opts.packages() };
    let prepare = |request: Option<&SettledRequest>| {
        prepare_inputs(&opts.inputs, opts.store.as_deref(), &opts.out, &opts.read, &opts.view, request, progress)
    };
    let p = prepare(Some(&request))?;
    report_of(opts, set, p, progress, Some(&|| prepare(None)))
}

/// `report --from-parts`: the report of a store whose orders were judged partition by
/// partition (`orderhealth partition`, one task each in a distributed run), summed. The same
/// bytes as `report --store` over the same state of the store.
pub fn run_report_from_parts(opts: &RunOptions, parts: &[PathBuf], progress: &dyn Progress) -> Result<ReportOutcome> {
    let store = opts.store.as_deref().context("--from-parts needs the store the partitions were computed from")?;
    let set = begin(opts)?;
    refuse_out_over_store(&opts.out, store)?;
    progress.start(0);
    progress.stage("reading the store");
    let settings = crate::store::StoreSettings::of(&opts.read, opts.view.default_marketplace);
    let waiting = || progress.stage("waiting for an ingest into the store to finish");
    let read = crate::store::load_orders(store, &settings, &waiting, crate::store::Orders::None)?;
    require_an_order_report(&read.loaded)?;
    progress.stage("summing the partitions");
    let key = SettledKey::of(&read.identity, &opts.view, opts.packages());
    let part = crate::store::parts::sum(parts, read.partitions, &key, opts.view.as_of)?;
    let mut loaded = read.loaded;
    let view = View::build(&mut loaded.book, &opts.view);
    // The partitions' results carry their `reconcile_orders` rows: nothing to read again.
    report_of(opts, set, Prepared { loaded, view, settled: Some(part) }, progress, None)
}

/// What `orderhealth partition` did.
pub struct PartitionOutcome {
    pub partition: usize,
    pub partitions: usize,
    pub orders: u64,
}

/// `orderhealth partition --shard N --out PART`: what partition `partition` of the store's
/// orders adds to a report under `opts`, written as one result directory (`store::parts`).
pub fn run_partition(opts: &RunOptions, partition: usize, out: &std::path::Path) -> Result<PartitionOutcome> {
    let store = opts.store.as_deref().context("a partition is one of a store's")?;
    refuse_out_over_store(out, store)?;
    let settings = crate::store::StoreSettings::of(&opts.read, opts.view.default_marketplace);
    let read = crate::store::load_orders(store, &settings, &|| {}, crate::store::Orders::Partition(partition))?;
    let mut loaded = read.loaded;
    let view = View::build(&mut loaded.book, &opts.view);
    let tracking = Tracking::build(&view, &loaded.book, opts.packages());
    let reconcile = match loaded.performance_reports.is_empty() {
        true => None,
        false => Some(crate::reconcile::reconcile_candidates(
            &loaded.performance_reports,
            &view.orders,
            &tracking,
            opts.tracking_basis,
        )?),
    };
    let result = crate::store::parts::PartResult {
        partition,
        partitions: read.partitions,
        key: SettledKey::of(&read.identity, &opts.view, opts.packages()),
        as_of: opts.view.as_of,
        tally: Tally::judged(&view, &tracking),
        auto: AutoCancelCounts::of(&view.orders),
        has_scans: loaded.book.has_scans(),
        evidence: Tally::evidence(&view, &tracking)?,
        auto_cancel: auto_cancel::auto_cancel_rows(&view.orders)?,
        reconcile,
    };
    crate::store::parts::write(out, &result)?;
    Ok(PartitionOutcome { partition, partitions: read.partitions, orders: view.orders.len() as u64 })
}

/// The reports of the prepared orders (and of those counted elsewhere: `p.settled`), written.
///
/// `every_order`: the same inputs read again with every order in the view, for a report
/// whose settled orders came as a tally and one of Amazon's windows differs from ours
/// (`reconcile_orders` lists that window's orders, settled ones too).
fn report_of(
    opts: &RunOptions,
    set: OutputSet,
    p: Prepared,
    progress: &dyn Progress,
    every_order: Option<&dyn Fn() -> Result<Prepared>>,
) -> Result<ReportOutcome> {
    let set = refuse_unusable_orders(set, &p.loaded)?;
    let orders = &p.view.orders;
    // The store's settled orders (or every order, summed from the partitions) come as counts
    // and rows: they join the others'.
    let no_settled = SettledPart::default();
    let SettledPart {
        tally: settled,
        evidence,
        auto_cancel: settled_auto,
        auto: settled_counts,
        has_scans,
        reconcile,
        ..
    } = p.settled.as_ref().unwrap_or(&no_settled);
    let today = p.view.as_of.map(|as_of| Today { as_of, tz: opts.view.tz });
    progress.stage("computing reports");
    // Per-day counts of every metric, from the orders and their judged packages, and the
    // summary's counters of the orders (one more pass over them, beside the judging: after the
    // reports it was a stretch on one thread). Additive: the live orders' and the settled
    // ones' summed.
    let ((order_days, (mut counts, mut counters)), tracking) = rayon::join(
        || {
            let days = timed(progress, "per-day counts of orders", || DailyCounts::of_orders(orders));
            (days, (AutoCancelCounts::of(orders), OrderCounters::of(orders)))
        },
        || timed(progress, "judging packages", || Tracking::build(&p.view, &p.loaded.book, opts.packages())),
    );
    let daily = order_days + DailyCounts::of_packages(&tracking) + settled.daily.clone();
    // Amazon's numbers beside ours, over its dates, from the same per-day counts (§3.8).
    // Whether they agree needs only those counts, which the settled tally completes; a window
    // that differs lists its orders, so the store is then read again, every order (a store
    // holding Amazon's report, docs/STORE.md).
    let reconcile_rows = crate::reconcile::reconcile_rows(&p.loaded.performance_reports, &daily);
    if let Some(every_order) = every_order.filter(|_| p.settled.is_some()) {
        if reconcile_rows.iter().any(|r| r.agrees == Some(false)) {
            progress.stage("reading every order (Amazon's windows differ)");
            return report_of(opts, set, every_order()?, progress, None);
        }
    }
    let left_out = tracking.left_out + settled.left_out;
    let package_counters = tracking.counters + settled.packages;

    // The reports share the one merged view and the counts, and run concurrently.
    let (((cancel, late), on_time), (auto_and_cancellations, tracking_tables)) = rayon::join(
        || {
            rayon::join(
                || {
                    rayon::join(
                        || {
                            timed(progress, "cancel_rate", || -> Result<_> {
                                let reasons = settled.add_reasons(cancel_rate::reason_counts(orders));
                                Ok((cancel_rate::cancel_rate(&daily.cancel)?, cancel_rate::cancel_reasons_of(reasons)?))
                            })
                        },
                        || timed(progress, "late_shipment", || late_shipment::late_shipment(&daily.late)),
                    )
                },
                || {
                    timed(progress, "on_time_delivery", || -> Result<_> {
                        let rows = on_time_delivery::late_delivery_rows(&tracking.late_deliveries)?;
                        let rows = stacked(rows, evidence.iter().map(|e| &e.late_deliveries))?;
                        Ok((on_time_delivery::on_time_delivery(&daily.on_time)?, on_time_delivery::sorted_late(rows)?))
                    })
                },
            )
        },
        || {
            rayon::join(
                || {
                    timed(progress, "auto_cancel and cancellations", || -> Result<_> {
                        let rows = stacked(
                            cancellations::cancellation_rows(orders)?,
                            evidence.iter().map(|e| &e.cancellations),
                        )?;
                        let auto = stacked(auto_cancel::auto_cancel_rows(orders)?, settled_auto.iter())?;
                        Ok((auto_cancel::sorted(auto)?, cancellations::sorted(rows)?))
                    })
                },
                || {
                    timed(progress, "valid_tracking", || -> Result<_> {
                        let rows = valid_tracking::tracking_defect_rows(&tracking.defective)?;
                        let rows = stacked(rows, evidence.iter().map(|e| &e.tracking_defects))?;
                        Ok((valid_tracking::valid_tracking(&daily.tracking)?, valid_tracking::sorted_defects(rows)?))
                    })
                },
            )
        },
    );
    let (cancel_rate, cancel_reasons) = cancel?;
    let (auto_cancel, cancellations) = auto_and_cancellations?;
    let (valid_tracking, tracking_defects) = tracking_tables?;
    let (on_time_delivery, late_deliveries) = on_time?;
    let (reconcile, reconcile_orders, explained) = if p.loaded.performance_reports.is_empty() {
        (None, None, Default::default())
    } else {
        let (orders_df, explained) =
            crate::reconcile::reconcile_orders(&reconcile_rows, orders, &tracking, opts.tracking_basis, reconcile)?;
        (Some(crate::reconcile::reconcile_table(&reconcile_rows)?), Some(orders_df), explained)
    };
    let reports = Reports {
        cancel_rate,
        cancel_reasons,
        auto_cancel,
        valid_tracking,
        tracking_defects,
        late_shipment: late?,
        cancellations,
        on_time_delivery,
        late_deliveries,
        reconcile,
        reconcile_orders,
    };

    // The current windows, per marketplace (§5.6), summed from the same per-day counts.
    let current = today.map(|t| MarketplaceCurrent::all(&daily, &t)).unwrap_or_default();
    let tracking_totals = match today {
        Some(t) => current_tracking(&daily.tracking_all, &t),
        None => Default::default(),
    };

    counts.add(settled_counts);
    // The live orders' counters and the settled ones': additive.
    counters.combine(&settled.counters, 1);
    let mut summary = Summary {
        version: env!("CARGO_PKG_VERSION").to_string(),
        as_of: p.view.as_of.map(format_instant),
        verdict: String::new(),
        auto_cancel_policy: opts.view.policy.as_str().into(),
        settings: settings(opts),
        inputs: Inputs::new(&p.loaded.files),
        skipped_files: p.loaded.skipped.clone(),
        rejected_rows: p.loaded.rejected.len() as u64,
        unsupported_marketplaces: counters.unsupported_marketplaces,
        unmatched_confirmations: left_out.unmatched,
        non_amazon_confirmations: left_out.non_amazon,
        unsupported_marketplace_confirmations: left_out.unsupported_marketplace,
        late_shipment_no_expected_ship_date: counters.late_unjudged,
        valid_tracking_placed_by_ship_day: package_counters.placed_by_ship_day,
        reconcile: crate::reconcile::summary_of(&reconcile_rows, &explained),
        on_time_delivery: on_time_delivery::OnTimeSummary::of(
            &daily.on_time,
            package_counters.not_judged_yet,
            p.loaded.book.has_scans() || *has_scans,
        ),
        default_marketplace_orders: counters.default_marketplace_orders,
        cancelled_without_explanation: counters.rule7,
        auto_cancel: counts,
        current,
        tracking_all_categories: tracking_totals
            .into_iter()
            .map(|(m, w)| (m.code().to_string(), TrackingWindow::of(&w)))
            .collect(),
    };

    summary.verdict = summary.verdict_of(no_order_rows(&p.loaded)).to_string();

    progress.stage("writing");
    // The tables and the files made on one thread (the page and the summary), largest first,
    // each taken by the next free thread: a report's last stretch waited on one table's
    // compression alone.
    let files = || -> Result<()> {
        write_rejected(&set, &p.loaded.rejected)?;
        set.write_file("summary.json", |w| {
            serde_json::to_writer_pretty(&mut *w, &summary)?;
            std::io::Write::write_all(w, b"\n")?;
            Ok(())
        })?;
        let page = crate::report_page::review_page(&summary, &reports)?;
        set.write_file("report.html", |w| {
            Ok(std::io::Write::write_all(w, orderhealth_review::render(&page).as_bytes())?)
        })
    };
    type Job<'a> = Box<dyn FnOnce() -> Result<()> + Send + 'a>;
    let out = &set;
    let mut jobs: Vec<(usize, Job)> = reports
        .tables()
        .into_iter()
        .map(|(name, df)| (df.height(), Box::new(move || out.write_table(name, df)) as Job))
        .collect();
    // The page and the summary weigh about a table of 10,000 rows.
    jobs.push((10_000, Box::new(files)));
    // Each job's outcome in its place in the list: the first failure in the tables' order is
    // the one told, whichever thread met it first.
    let mut outcomes: Vec<Option<Result<()>>> = jobs.iter().map(|_| None).collect();
    let mut heaviest_first: Vec<_> = outcomes.iter_mut().zip(jobs).collect();
    heaviest_first.sort_by_key(|(_, (weight, _))| std::cmp::Reverse(*weight));
    timed(progress, "writing the tables", || {
        rayon::scope_fifo(|scope| {
            for (outcome, (_, job)) in heaviest_first {
                scope.spawn_fifo(move |_| *outcome = Some(job()));
            }
        })
    });
    for outcome in outcomes {
        outcome.transpose()?;
    }
    let written = set.commit().with_context(|| format!("{}: reports not written", opts.out.display()))?;
    progress.finish();
    // A million orders take a good half second to free: done aside, the caller goes on.
    free_aside(p);
    Ok(ReportOutcome { summary, reports, written })
}

/// Runs `f`, telling `progress` how long it took, as `part` (`--timings`).
/// Frees `value` on a thread of its own (named `orderhealth-free`, as the pools' threads are
/// named), the caller going on; where no thread can be started, here.
pub(crate) fn free_aside<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new().name("orderhealth-free".into()).spawn(move || drop(value));
}

fn timed<T>(progress: &dyn Progress, part: &str, f: impl FnOnce() -> T) -> T {
    let start = std::time::Instant::now();
    let out = f();
    progress.detail(part, start.elapsed().as_secs_f64());
    out
}

/// `rows` with every frame of `more` below them (same columns).
fn stacked<'a>(rows: DataFrame, more: impl Iterator<Item = &'a DataFrame>) -> PolarsResult<DataFrame> {
    let mut rows = rows;
    for m in more {
        rows.vstack_mut(m)?;
    }
    Ok(rows)
}

fn settings(opts: &RunOptions) -> Settings {
    Settings {
        as_of: opts.view.as_of.map(format_instant),
        auto_cancel_policy: opts.view.policy.as_str().into(),
        warn_days: opts.view.warn_days,
        scan_grace_days: opts.scan_grace_days,
        tracking_basis: opts.tracking_basis.as_str().into(),
        tz: opts.view.tz.map(|tz| tz.name().to_string()),
        default_marketplace: opts.view.default_marketplace.code().into(),
        encoding: opts.read.encoding.as_str().into(),
        strict: opts.read.strict,
    }
}
