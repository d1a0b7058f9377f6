//! `orderhealth generate`: synthetic dumps for benchmarks (see `orderhealth-synth`).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use orderhealth_synth::{generate, DumpFormat, Options};

/// `--format` of `generate`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum FormatArg {
    Flat,
    SpApi,
    SpApiJsonl,
}

#[derive(Args)]
pub struct GenerateArgs {
    /// Number of orders.
    #[arg(long, default_value_t = 10_000)]
    orders: u64,
    /// Days of purchases they are spread over.
    #[arg(long, default_value_t = 90)]
    days: u32,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// First purchase day.
    #[arg(long, default_value = "2026-01-01")]
    start: chrono::NaiveDate,
    /// gzip the all-orders dumps.
    #[arg(long)]
    gzip: bool,
    /// Also write catalog.tsv (SKU → category).
    #[arg(long)]
    catalog: bool,
    /// Write every file as UTF-8 instead of Windows-1252 (EU) and Shift_JIS (JP).
    #[arg(long)]
    all_utf8: bool,
    /// The order reports as flat files, as SP-API v0 responses (getOrders pages and
    /// getOrderItems, JSON lines per night) or as a connector's export (an order per line,
    /// items nested). Confirmations, cancellation events and scans stay flat files.
    #[arg(long, value_enum, default_value = "flat")]
    format: FormatArg,
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

pub fn run(args: &GenerateArgs) -> Result<String> {
    let opts = Options {
        orders: args.orders,
        days: args.days,
        seed: args.seed,
        start: args.start,
        gzip_all_orders: args.gzip,
        catalog: args.catalog,
        all_utf8: args.all_utf8,
        format: match args.format {
            FormatArg::Flat => DumpFormat::Flat,
            FormatArg::SpApi => DumpFormat::SpApi,
            FormatArg::SpApiJsonl => DumpFormat::SpApiJsonl,
        },
    };
    let stats =
        generate(&opts, &args.out).with_context(|| format!("{}: cannot write the dumps", args.out.display()))?;
    Ok(format!(
        "wrote {} files, {:.1} MB (uncompressed) of dumps for {} orders over {} days to {}\n",
        stats.files,
        stats.bytes as f64 / 1e6,
        args.orders,
        args.days,
        args.out.display()
    ))
}
