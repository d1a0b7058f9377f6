//! The two jobs: `orders` (the merged view) and `report` (the three reports, concurrently,
//! from one read of the inputs).

use std::path::PathBuf;

use anyhow::{Context, Result};
use orderhealth_core::timestamp::format_instant;
use orderhealth_core::{
    cancel_days, collect_inputs, load, AutoState, Loaded, ReadOptions, Tracking, View, ViewOptions,
};

use crate::output::{write_rejected, write_table, Format};
use crate::summary::{latest_windows, skipped_files, AutoCancelCounts, Inputs, Latest, Summary};
use crate::{auto_cancel, cancel_rate, tables, valid_tracking};

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
}

/// What a progress display is told: total bytes to read, then bytes as they are read.
pub trait Progress: Sync {
    fn start(&self, total_bytes: u64);
    fn advance(&self, bytes: u64);
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
struct Prepared {
    loaded: Loaded,
    view: View,
}

fn prepare(opts: &RunOptions, progress: &dyn Progress) -> Result<Prepared> {
    std::fs::create_dir_all(&opts.out)
        .with_context(|| format!("{}: cannot create output directory", opts.out.display()))?;
    let files = collect_inputs(&opts.inputs, Some(&opts.out))?;
    progress.start(files.iter().filter_map(|f| std::fs::metadata(&f.path).ok()).map(|m| m.len()).sum());
    let loaded = load(&files, &opts.read, &|n| progress.advance(n));
    progress.finish();
    let mut loaded = loaded?;
    let view = View::build(&mut loaded.book, &opts.view);
    Ok(Prepared { loaded, view })
}

/// What `orders` did.
#[derive(Debug)]
pub struct OrdersOutcome {
    pub inputs: Inputs,
    pub skipped: Vec<crate::summary::SkippedFile>,
    pub orders: usize,
    pub written: Vec<PathBuf>,
}

pub fn run_orders(opts: &RunOptions, progress: &dyn Progress) -> Result<OrdersOutcome> {
    let p = prepare(opts, progress)?;
    let df = crate::orders::orders_table(&p.view.orders)?;
    let written =
        vec![write_table(&opts.out, tables::ORDERS, &df, opts.format)?, write_rejected(&opts.out, &p.loaded.rejected)?];
    Ok(OrdersOutcome {
        inputs: Inputs::new(&p.loaded.files),
        skipped: skipped_files(&p.loaded.skipped),
        orders: p.view.orders.len(),
        written,
    })
}

/// What `report` did.
#[derive(Debug)]
pub struct ReportOutcome {
    pub summary: Summary,
    pub written: Vec<PathBuf>,
}

pub fn run_report(opts: &RunOptions, progress: &dyn Progress) -> Result<ReportOutcome> {
    let p = prepare(opts, progress)?;
    let (orders, out, format) = (&p.view.orders, opts.out.as_path(), opts.format);

    // The three reports share the one merged view and run concurrently.
    let (cancel, (auto, tracking)) = rayon::join(
        || -> Result<_> {
            let rate = cancel_rate::cancel_rate(&cancel_days(orders))?;
            let reasons = cancel_rate::cancel_reasons(orders)?;
            let written = vec![
                write_table(out, tables::CANCEL_RATE, &rate, format)?,
                write_table(out, tables::CANCEL_REASONS, &reasons, format)?,
            ];
            Ok((latest_windows(&rate, "orders", false)?, written))
        },
        || {
            rayon::join(
                || -> Result<_> {
                    let df = auto_cancel::auto_cancel(orders)?;
                    Ok(vec![write_table(out, tables::AUTO_CANCEL, &df, format)?])
                },
                || -> Result<_> {
                    let tracking = Tracking::build(&p.view, &p.loaded.book, opts.scan_grace_days);
                    let windows = valid_tracking::valid_tracking(&tracking.days)?;
                    let defects = valid_tracking::tracking_defects(&tracking.defective)?;
                    let written = vec![
                        write_table(out, tables::VALID_TRACKING, &windows, format)?,
                        write_table(out, tables::TRACKING_DEFECTS, &defects, format)?,
                    ];
                    Ok((latest_windows(&windows, "packages", true)?, tracking.left_out, written))
                },
            )
        },
    );
    let (cancel_latest, mut written) = cancel?;
    written.extend(auto?);
    let (tracking_latest, left_out, tracking_written) = tracking?;
    written.extend(tracking_written);
    written.push(write_rejected(out, &p.loaded.rejected)?);

    let mut counts = AutoCancelCounts::default();
    for o in orders.iter().filter(|o| o.in_metrics()) {
        match o.auto_state {
            Some(AutoState::AutoCancelled) => counts.auto_cancelled += 1,
            Some(AutoState::Overdue) => counts.overdue += 1,
            Some(AutoState::AtRisk) => counts.at_risk += 1,
            None => {}
        }
    }
    let summary = Summary {
        as_of: p.view.as_of.map(format_instant),
        auto_cancel_policy: opts.view.policy.as_str().into(),
        inputs: Inputs::new(&p.loaded.files),
        skipped_files: skipped_files(&p.loaded.skipped),
        rejected_rows: p.loaded.rejected.len() as u64,
        unsupported_marketplaces: p.view.unsupported_marketplaces.clone(),
        unmatched_confirmations: left_out.unmatched,
        non_amazon_confirmations: left_out.non_amazon,
        unsupported_marketplace_confirmations: left_out.unsupported_marketplace,
        auto_cancel: counts,
        latest: Latest { cancel_rate: cancel_latest, valid_tracking: tracking_latest },
    };
    written.push(crate::output::write_atomically(out, "summary.json", |w| {
        serde_json::to_writer_pretty(&mut *w, &summary)?;
        std::io::Write::write_all(w, b"\n")?;
        Ok(())
    })?);
    Ok(ReportOutcome { summary, written })
}
