//! The `orderhealth` command: argument parsing, progress and exit codes over the
//! `orderhealth` library. Exit 0 done, 1 unusable input or I/O failure, 2 bad usage,
//! 3 `--fail-on-breach` with a BAD latest window (SPEC §4).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use orderhealth::summary::Inputs;
use orderhealth::{run_orders, run_report, Format, Progress, RunOptions};
use orderhealth_core::marketplace::parse_zone;
use orderhealth_core::timestamp::parse_as_of;
use orderhealth_core::{EncodingChoice, Marketplace, Policy, ReadOptions, ViewOptions};

mod generate;

// Millions of small, short-lived allocations from two threads: glibc's allocator spent a
// quarter of the run in malloc/free and fragmented; mimalloc is faster and returns memory.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "orderhealth", version, about = "Account-health numbers from Amazon order-report dumps")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compute cancel_rate, cancel_reasons, auto_cancel, valid_tracking and tracking_defects.
    Report {
        #[command(flatten)]
        common: Common,
        /// Exit 3 when a metric's latest window is BAD (the reports are still written).
        #[arg(long)]
        fail_on_breach: bool,
    },
    /// Write the merged view of each order (`orders`) and `rejected.tsv`.
    Orders {
        #[command(flatten)]
        common: Common,
    },
    /// Write synthetic, realistic report dumps (deterministic by seed), for benchmarks.
    Generate(generate::GenerateArgs),
}

#[derive(Args)]
struct Common {
    /// Input files or directories (read recursively); each file is recognised by its header.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Output directory (created if missing; never read as input).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    #[arg(long, default_value = "parquet", value_parser = parse_format)]
    format: Format,
    /// The instant the report is as of (ISO-8601 with offset, or a date = 00:00 UTC);
    /// default: the newest observation in the inputs.
    #[arg(long, value_name = "TS", value_parser = parse_ts)]
    as_of: Option<i64>,
    #[arg(long, default_value = "days30", value_parser = parse_policy)]
    auto_cancel_policy: Policy,
    /// Open orders this many days or fewer from their deadline are `at_risk`.
    #[arg(long, default_value_t = 7, value_name = "N")]
    warn_days: i64,
    /// Use this time zone for every marketplace (e.g. UTC).
    #[arg(long, value_name = "ZONE", value_parser = parse_tz)]
    tz: Option<chrono_tz::Tz>,
    /// Marketplace of orders whose reports carry no sales-channel.
    #[arg(long, default_value = "US", value_name = "CODE", value_parser = parse_marketplace)]
    marketplace: Marketplace,
    /// Encoding of files that are not valid UTF-8.
    #[arg(long, default_value = "auto", value_parser = parse_encoding)]
    encoding: EncodingChoice,
    /// Stop at the first unusable row instead of writing it to rejected.tsv.
    #[arg(long)]
    strict: bool,
    /// With a scans file: packages shipped fewer days than this before as-of skip scan checks.
    #[arg(long, default_value_t = 7, value_name = "N")]
    scan_grace_days: i64,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}
fn parse_policy(s: &str) -> Result<Policy, String> {
    s.parse()
}
fn parse_encoding(s: &str) -> Result<EncodingChoice, String> {
    s.parse()
}
fn parse_ts(s: &str) -> Result<i64, String> {
    parse_as_of(s).ok_or_else(|| format!("not an instant (YYYY-MM-DDTHH:MM:SS+HH:MM or Z) or date (YYYY-MM-DD): {s}"))
}
fn parse_tz(s: &str) -> Result<chrono_tz::Tz, String> {
    parse_zone(s).ok_or_else(|| format!("unknown time zone {s:?} (use an IANA name such as UTC or Europe/London)"))
}
fn parse_marketplace(s: &str) -> Result<Marketplace, String> {
    Marketplace::from_code(s).ok_or_else(|| format!("unknown marketplace {s:?} (e.g. US, UK, DE, JP)"))
}

impl Common {
    fn run_options(&self) -> RunOptions {
        RunOptions {
            inputs: self.inputs.clone(),
            out: self.out.clone(),
            format: self.format,
            read: ReadOptions {
                encoding: self.encoding,
                marketplace_is_jp: self.marketplace.code() == "JP",
                strict: self.strict,
            },
            view: ViewOptions {
                policy: self.auto_cancel_policy,
                tz: self.tz,
                default_marketplace: self.marketplace,
                warn_days: self.warn_days,
                as_of: self.as_of,
            },
            scan_grace_days: self.scan_grace_days,
        }
    }
}

/// A byte-count progress bar on stderr, only when stderr is a terminal.
struct Bar(ProgressBar);

impl Bar {
    fn new() -> Bar {
        let bar = if std::io::stderr().is_terminal() {
            let b = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template("reading {bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
                    .expect("template"),
            );
            b
        } else {
            ProgressBar::hidden()
        };
        Bar(bar)
    }
}

impl Progress for Bar {
    fn start(&self, total: u64) {
        self.0.set_length(total);
    }
    fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// Rows read = used + rejected: per kind of file, then each file that had rejected rows.
fn print_inputs(inputs: &Inputs) {
    let mut kinds: Vec<&str> = inputs.files.iter().map(|f| f.kind.as_str()).collect();
    kinds.sort();
    kinds.dedup();
    for kind in kinds {
        let files: Vec<_> = inputs.files.iter().filter(|f| f.kind == kind).collect();
        let sum = |g: &dyn Fn(&orderhealth::summary::InputFileSummary) -> u64| files.iter().map(|f| g(f)).sum::<u64>();
        println!(
            "  {kind}: {} files, {} rows read = {} used + {} rejected",
            files.len(),
            sum(&|f| f.rows_read),
            sum(&|f| f.rows_used),
            sum(&|f| f.rows_rejected)
        );
        let mut unknown: Vec<&str> = files.iter().flat_map(|f| f.unknown_columns.iter().map(String::as_str)).collect();
        unknown.sort();
        unknown.dedup();
        if !unknown.is_empty() {
            println!("    unknown columns ignored: {}", unknown.join(", "));
        }
    }
    const SHOWN: usize = 20;
    let with_rejects: Vec<_> = inputs.files.iter().filter(|f| f.rows_rejected > 0).collect();
    for f in with_rejects.iter().take(SHOWN) {
        println!(
            "  {} ({}): {} rows read = {} used + {} rejected",
            f.path, f.kind, f.rows_read, f.rows_used, f.rows_rejected
        );
    }
    if with_rejects.len() > SHOWN {
        println!(
            "  ... and {} more files with rejected rows (per-file counts in summary.json)",
            with_rejects.len() - SHOWN
        );
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Report { common, fail_on_breach } => run_report(&common.run_options(), &Bar::new()).map(|outcome| {
            for s in &outcome.summary.skipped_files {
                eprintln!("warning: skipped {}: {}", s.path, s.reason);
            }
            print!("{}", outcome.summary.render());
            print_inputs(&outcome.summary.inputs);
            println!("reports written to {}", common.out.display());
            if *fail_on_breach && outcome.summary.breach() {
                eprintln!("a metric is BAD in its latest window (--fail-on-breach)");
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            }
        }),
        Command::Orders { common } => run_orders(&common.run_options(), &Bar::new()).map(|outcome| {
            for s in &outcome.skipped {
                eprintln!("warning: skipped {}: {}", s.path, s.reason);
            }
            println!(
                "{} orders; {} rows read, {} rejected; {} files skipped",
                outcome.orders,
                outcome.inputs.rows_read,
                outcome.inputs.rows_rejected,
                outcome.skipped.len()
            );
            print_inputs(&outcome.inputs);
            for w in &outcome.written {
                println!("wrote {}", w.display());
            }
            ExitCode::SUCCESS
        }),
        Command::Generate(args) => generate::run(args).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
