//! The `orderhealth` command: argument parsing, progress and exit codes over the
//! `orderhealth` library. Exit 0 done, 1 unusable input or I/O failure, 2 bad usage,
//! 3 `--fail-on-breach` with a BAD current window (SPEC §4). A closed standard output
//! (`| head`) ends the run quietly; any other failure to print is exit 1 with a message.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use orderhealth::cancel_feed::{run_cancel_feed, FeedOptions, Selection};
use orderhealth::summary::Inputs;
use orderhealth::verdict::{count, thousands};
use orderhealth::{run_orders, run_report, run_report_from_parts, Format, Progress, RunOptions};
use orderhealth_core::marketplace::parse_zone;
use orderhealth_core::timestamp::parse_as_of;
use orderhealth_core::{EncodingChoice, Marketplace, Policy, ReadOptions, ViewOptions};
use orderhealth_core::{FileSummary, Skipped, TrackingBasis};

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
    /// Use at most N threads for reading, folding and the reports (the run's one pool, which
    /// polars shares; POLARS_MAX_THREADS sets it too). Default: every core. The outputs are the
    /// same bytes at any N.
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// Print each stage's wall time on stderr when the run ends (reading, merging, the
    /// reports, writing; an ingest's: finding the inputs, reading the new files, writing the
    /// state, committing): where a run spends its time (docs/BENCHMARKS.md).
    #[arg(long, global = true)]
    timings: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Judge the account: every report table, summary.json, and the verdict on the terminal.
    Report {
        #[command(flatten)]
        common: Common,
        /// Exit 3 when a metric's current window is BAD (the reports are still written).
        #[arg(long)]
        fail_on_breach: bool,
        /// Exit 4 when a window of a seller performance report among the inputs does not
        /// agree with ours over Amazon's dates (exit 3 wins when both apply).
        #[arg(long)]
        fail_on_mismatch: bool,
        /// Sum the partitions' results (`orderhealth partition`; each a result directory or a
        /// directory of them) instead of reading the orders: the same bytes as `report --store`.
        /// Needs --store, the store they were computed from, and the same report options.
        #[arg(long, num_args = 1.., value_name = "PART", requires = "store")]
        from_parts: Vec<PathBuf>,
    },
    /// Report many seller accounts, one store each: each account's report under
    /// `--out/<name>/`, and the fleet, worst first, in fleet.json, fleet.html and on the
    /// terminal. Exit 1 when an account could not be reported (the others are).
    Fleet {
        /// The accounts' stores (made by `orderhealth ingest`), as NAME=DIR or DIR (named by
        /// its last path component).
        #[arg(required = true, value_name = "STORE")]
        stores: Vec<String>,
        /// Output directory: fleet.json, fleet.html and one report directory per account.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// How each account's tables are written.
        #[arg(long, value_enum, default_value = "parquet")]
        format: FormatArg,
        /// Sum each account's partitions' results from ROOT/<name>/ (`orderhealth partition`)
        /// instead of reading its orders.
        #[arg(long, value_name = "ROOT", conflicts_with = "from_reports")]
        from_parts: Option<PathBuf>,
        /// Take each account's report already in --out/<name>/ (made by the tasks of a
        /// distributed run) instead of making it: only its summary.json is read.
        #[arg(long)]
        from_reports: bool,
        /// Exit 3 when an account has a BAD current window.
        #[arg(long)]
        fail_on_breach: bool,
        #[command(flatten)]
        judging: Judging,
    },
    /// What one partition of a store's orders adds to a report, written to --out: one task of
    /// a distributed run (docs/SCALE-OUT.md); `report --from-parts` sums them. Run again, it
    /// writes the same result.
    Partition {
        #[command(flatten)]
        reading: Reading,
        /// The partition, from 0 to the store's partition count − 1.
        #[arg(long, value_name = "N")]
        shard: usize,
        /// The result directory to write (replaced whole; a result already there for the same
        /// partition, store state and options stays).
        #[arg(long, value_name = "PART")]
        out: PathBuf,
    },
    /// Write the merged view of each order (`orders`) and `rejected.tsv`.
    Orders {
        #[command(flatten)]
        common: Common,
    },
    /// Write Amazon's order-cancellation feed for chosen open orders, and what it does to
    /// the cancellation rate before you upload it (cancel_feed_impact.json beside the feed).
    CancelFeed {
        #[command(flatten)]
        reading: Reading,
        #[command(flatten)]
        selection: FeedSelection,
        /// The feed file to write (tab-separated, TemplateType=OrderCancellation). Beside it:
        /// the refused orders (feed.txt: feed.refused.tsv) and cancel_feed_impact.json.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The reason for orders the buyer did not ask to cancel (buyer-requested orders always
        /// get BuyerCanceled). One of Amazon's codes: NoInventory, ShippingAddressUndeliverable,
        /// CustomerExchange, GeneralAdjustment, CarrierCreditDecision,
        /// RiskAssessmentInformationNotValid, CarrierCoverageFailure, CustomerReturn,
        /// MerchandiseNotReceived, PricingError.
        #[arg(long, default_value = "NoInventory", value_name = "CODE", value_parser = parse_reason)]
        reason: String,
    },
    /// Fold new dumps into a store, once each (a file whose bytes it already holds is
    /// skipped); then `report --store` computes from it in a fraction of the time.
    Ingest(IngestArgs),
    /// Write synthetic, realistic report dumps (deterministic by seed), for benchmarks.
    Generate(generate::GenerateArgs),
}

#[derive(Args)]
struct IngestArgs {
    /// Input files or directories (read recursively); each file is recognised by its header.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// The store directory (created when missing).
    #[arg(long, value_name = "DIR")]
    store: PathBuf,
    #[command(flatten)]
    stored: StoredOptions,
    /// How many partitions a new store splits its orders into (a multiple of 16, up to
    /// 4096; default 16): one task each in a distributed run (`orderhealth partition`).
    /// Chosen when the store is made.
    #[arg(long, value_name = "N")]
    partitions: Option<usize>,
    /// Also list every file ingested and every file already in the store.
    #[arg(long, short)]
    verbose: bool,
}

/// `--format`: how the tables are written.
#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    /// Typed columnar files for DuckDB, polars, pandas or Spark.
    Parquet,
    /// One CSV file per table (RFC 4180, UTF-8, header row), for spreadsheets.
    Csv,
    /// One JSON array of row objects per table.
    Json,
}

/// `--auto-cancel-policy`: when Amazon cancels an order left unshipped.
#[derive(Clone, Copy, ValueEnum)]
enum PolicyArg {
    /// Expected ship date + 30 days: an order unshipped a month after it was due. The default.
    Days30,
    /// Expected ship date + 7 business days (Mon–Fri). Amazon's rule for orders since 2020-09-30.
    Business7,
    /// days30 for orders bought before 2020-09-30, business7 after: for histories across the change.
    Dated,
}

/// `--tracking-basis`: which day a package counts on in the valid tracking rate.
#[derive(Clone, Copy, ValueEnum)]
enum BasisArg {
    /// Its order's promised delivery date (latest-delivery-date), as Amazon picks a window's
    /// packages; its ship day when the order has none. The default.
    Promise,
    /// Its ship day (orderhealth 1.3's rule).
    Ship,
}

/// `--encoding`: what a file that is not valid UTF-8 is.
#[derive(Clone, Copy, ValueEnum)]
enum EncodingArg {
    /// Shift_JIS/cp932 for Japanese files (Amazon.co.jp rows, or --marketplace JP), else Windows-1252.
    Auto,
    /// Only UTF-8: a file that is not is an error naming its first bad byte.
    #[value(name = "utf-8")]
    Utf8,
    /// Western European downloads (UK, DE, FR, IT, ES, …).
    #[value(name = "windows-1252")]
    Windows1252,
    /// Japanese downloads (Shift_JIS as Windows writes it).
    Cp932,
}

#[derive(Args)]
struct Common {
    #[command(flatten)]
    reading: Reading,
    /// Output directory (created if missing; replaced as a whole; never read as input).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// How the tables are written.
    #[arg(long, value_enum, default_value = "parquet")]
    format: FormatArg,
}

/// The inputs and every option that changes how they are read and judged.
#[derive(Args)]
struct Reading {
    /// Input files or directories (read recursively); each file is recognised by its header.
    /// Given a store, they are ingested into it first.
    #[arg(required_unless_present = "store", value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Compute from this store (made by `orderhealth ingest`), after ingesting any INPUTs.
    /// The store's --encoding, --marketplace and --strict must be given again as they were.
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,
    #[command(flatten)]
    judging: Judging,
    /// Also list every input file with rejected rows, the unknown columns, and every skipped file.
    #[arg(long, short)]
    verbose: bool,
}

/// Every option that changes how the orders are read and judged.
#[derive(Args)]
struct Judging {
    /// The instant the report is as of (ISO-8601 with offset, or a date = 00:00 UTC);
    /// default: the newest observation in the inputs.
    #[arg(long, value_name = "TS", value_parser = parse_ts)]
    as_of: Option<i64>,
    /// When Amazon auto-cancels an order left unshipped.
    #[arg(long, value_enum, default_value = "days30")]
    auto_cancel_policy: PolicyArg,
    /// Open orders fewer than this many days from their auto-cancel deadline are at risk.
    #[arg(long, default_value_t = 7, value_name = "N")]
    warn_days: i64,
    /// Use this time zone for every marketplace (an IANA name, e.g. UTC); default: each
    /// marketplace's own zone.
    #[arg(long, value_name = "ZONE", value_parser = parse_tz)]
    tz: Option<chrono_tz::Tz>,
    #[command(flatten)]
    stored: StoredOptions,
    /// With a scans file: packages shipped fewer days than this before as-of skip scan checks.
    #[arg(long, default_value_t = 7, value_name = "N")]
    scan_grace_days: i64,
    /// Which day a package counts on in the valid tracking rate's 30-day windows.
    #[arg(long, value_enum, default_value = "promise")]
    tracking_basis: BasisArg,
}

/// The reading options that change what a store holds (a store records them).
#[derive(Args)]
struct StoredOptions {
    /// Marketplace of orders whose reports say none (no sales-channel, no marketplace e-mail);
    /// JP also reads such files that are not UTF-8 as cp932.
    #[arg(long, default_value = "US", value_name = "CODE", value_parser = parse_marketplace)]
    marketplace: Marketplace,
    /// Encoding of files that are not valid UTF-8.
    #[arg(long, value_enum, default_value = "auto")]
    encoding: EncodingArg,
    /// Stop at the first unusable row instead of writing it to rejected.tsv.
    #[arg(long)]
    strict: bool,
}

impl StoredOptions {
    fn read_options(&self) -> ReadOptions {
        ReadOptions {
            encoding: encoding_choice(self.encoding),
            marketplace_is_jp: self.marketplace.code() == "JP",
            strict: self.strict,
            ..ReadOptions::default()
        }
    }
}

fn encoding_choice(e: EncodingArg) -> EncodingChoice {
    match e {
        EncodingArg::Auto => EncodingChoice::Auto,
        EncodingArg::Utf8 => EncodingChoice::Utf8,
        EncodingArg::Windows1252 => EncodingChoice::Windows1252,
        EncodingArg::Cp932 => EncodingChoice::Cp932,
    }
}

/// Ingests `inputs` into `store` and says what it did on stderr.
fn ingest(
    store: &std::path::Path,
    inputs: &[PathBuf],
    read: &ReadOptions,
    marketplace: Marketplace,
    partitions: Option<usize>,
    keep: bool,
    verbose: bool,
) -> anyhow::Result<orderhealth::store::IngestOutcome> {
    let settings = orderhealth::store::StoreSettings::of(read, marketplace);
    let waiting = || {
        let _ = writeln!(std::io::stderr(), "waiting for another ingest into {} to finish…", store.display());
    };
    // No bar (an ingest's stages are short); with `--timings`, each stage's wall time.
    let timings = Bar::timings_only();
    let outcome = orderhealth::store::ingest(store, inputs, read, &settings, partitions, keep, &waiting, &timings)?;
    timings.finish();
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "ingested {} ({} rows read, {} rejected); {} already in the store; the store holds {}",
        count(outcome.ingested.len() as i64, "new file", "new files"),
        thousands(outcome.rows_read as i64),
        thousands(outcome.rows_rejected as i64),
        count(outcome.already.len() as i64, "file", "files"),
        count(outcome.files_in_store as i64, "file", "files"),
    );
    let shown = if verbose { outcome.already.len() } else { outcome.already.len().min(3) };
    for (path, first) in outcome.already.iter().take(shown) {
        if path == first {
            let _ = writeln!(err, "  already in the store: {}", printable_path(path));
        } else {
            let _ = writeln!(
                err,
                "  already in the store: {} (same bytes as {})",
                printable_path(path),
                printable_path(first)
            );
        }
    }
    if outcome.already.len() > shown {
        let _ = writeln!(err, "  … and {} more (--verbose lists them)", outcome.already.len() - shown);
    }
    if verbose {
        for path in &outcome.ingested {
            let _ = writeln!(err, "  ingested {}", printable_path(path));
        }
    }
    drop(err);
    warn_skipped(&outcome.skipped, verbose);
    Ok(outcome)
}

fn printable_path(p: &str) -> String {
    orderhealth_core::error::printable(p, 300)
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
        Common::options_of(&self.reading, self.format, &self.out)
    }

    fn options_of(r: &Reading, format: FormatArg, out: &std::path::Path) -> RunOptions {
        r.judging.run_options(r.inputs_to_read(), r.store.clone(), format, out)
    }
}

impl Judging {
    fn run_options(
        &self,
        inputs: Vec<PathBuf>,
        store: Option<PathBuf>,
        format: FormatArg,
        out: &std::path::Path,
    ) -> RunOptions {
        let r = self;
        RunOptions {
            inputs,
            out: out.to_path_buf(),
            format: match format {
                FormatArg::Parquet => Format::Parquet,
                FormatArg::Csv => Format::Csv,
                FormatArg::Json => Format::Json,
            },
            read: r.read_options(),
            view: r.view_options(),
            scan_grace_days: r.scan_grace_days,
            tracking_basis: match r.tracking_basis {
                BasisArg::Promise => TrackingBasis::Promise,
                BasisArg::Ship => TrackingBasis::Ship,
            },
            store,
        }
    }

    fn read_options(&self) -> ReadOptions {
        self.stored.read_options()
    }

    fn view_options(&self) -> ViewOptions {
        ViewOptions {
            policy: match self.auto_cancel_policy {
                PolicyArg::Days30 => Policy::Days30,
                PolicyArg::Business7 => Policy::Business7,
                PolicyArg::Dated => Policy::Dated,
            },
            tz: self.tz,
            default_marketplace: self.stored.marketplace,
            warn_days: self.warn_days,
            as_of: self.as_of,
        }
    }
}

impl Reading {
    /// With --store the INPUTs are ingested first and the run reads the store alone.
    fn inputs_to_read(&self) -> Vec<PathBuf> {
        if self.store.is_some() {
            Vec::new()
        } else {
            self.inputs.clone()
        }
    }

    /// `--store DIR INPUT...`: the INPUTs go into the store before the run.
    fn ingest_first(&self) -> anyhow::Result<()> {
        if let Some(store) = &self.store {
            if !self.inputs.is_empty() {
                // The run reads the store next: a layer this ingest writes is kept for it.
                let marketplace = self.judging.stored.marketplace;
                ingest(store, &self.inputs, &self.read_options(), marketplace, None, true, self.verbose)?;
            }
        }
        Ok(())
    }

    fn read_options(&self) -> ReadOptions {
        self.judging.read_options()
    }

    fn view_options(&self) -> ViewOptions {
        self.judging.view_options()
    }
}

/// Which open orders `cancel-feed` writes (exactly one).
#[derive(Args)]
#[group(required = true, multiple = false)]
struct FeedSelection {
    /// The orders listed in FILE, one order id a line (blank lines and # comments skipped).
    #[arg(long, value_name = "FILE")]
    orders: Option<PathBuf>,
    /// Every open order past its auto-cancel deadline (auto_cancel's overdue rows).
    #[arg(long)]
    overdue: bool,
    /// Every open order overdue or at risk (auto_cancel's overdue and at_risk rows).
    #[arg(long)]
    at_risk: bool,
}

fn parse_reason(s: &str) -> Result<String, String> {
    orderhealth::cancel_feed::check_reason(s).map(|()| s.to_string()).map_err(|e| e.0)
}

/// A progress bar on stderr, only when stderr is a terminal: bytes while reading, then the
/// later stages by name; with `--timings`, each stage's wall time when the run ends.
struct Bar(ProgressBar, Option<std::sync::Mutex<Vec<(String, std::time::Instant)>>>, std::sync::Mutex<Vec<String>>);

/// Whether `--timings` was given (read once, before any run starts).
static TIMINGS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

impl Bar {
    /// The stage that starts now.
    fn mark(&self, stage: &str) {
        if let Some(marks) = &self.1 {
            marks.lock().expect("marks").push((stage.to_string(), std::time::Instant::now()));
        }
    }

    /// No bar: only `--timings`' lines when the run ends.
    fn timings_only() -> Bar {
        let marks = TIMINGS.get().copied().unwrap_or(false).then(|| std::sync::Mutex::new(Vec::new()));
        Bar(ProgressBar::hidden(), marks, std::sync::Mutex::new(Vec::new()))
    }

    fn new() -> Bar {
        let bar = if std::io::stderr().is_terminal() {
            let b = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            // An estimate from the first second is noise: none until then.
            let eta = |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                if state.elapsed() >= Duration::from_secs(1) && state.pos() < state.len().unwrap_or(0) {
                    let _ = write!(w, " eta {}", indicatif::HumanDuration(state.eta()));
                }
            };
            b.set_style(
                ProgressStyle::with_template("{msg:8} {bar:40} {bytes}/{total_bytes} {bytes_per_sec}{eta}")
                    .expect("template")
                    .with_key("eta", eta),
            );
            b.set_message("reading");
            b
        } else {
            ProgressBar::hidden()
        };
        let marks = TIMINGS.get().copied().unwrap_or(false).then(|| std::sync::Mutex::new(Vec::new()));
        Bar(bar, marks, std::sync::Mutex::new(Vec::new()))
    }
}

impl Progress for Bar {
    fn start(&self, total: u64) {
        self.0.set_length(total);
        // A store's run starts at 0 bytes and names its own first stage.
        if total > 0 && self.1.as_ref().is_some_and(|m| m.lock().expect("marks").is_empty()) {
            self.mark("reading");
        }
    }
    fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }
    fn stage(&self, stage: &str) {
        // Reading is done: the bar stays full while the later stages run.
        if let Some(len) = self.0.length() {
            self.0.set_position(len);
        }
        self.0.set_message(stage.to_string());
        self.mark(stage);
    }
    fn detail(&self, part: &str, seconds: f64) {
        if self.1.is_some() {
            self.2.lock().expect("details").push(format!("{part} {seconds:.2} s"));
        }
    }
    fn finish(&self) {
        self.0.finish_and_clear();
        let Some(marks) = &self.1 else { return };
        let mut marks = marks.lock().expect("marks").clone();
        let Some(first) = marks.first().map(|m| m.1) else { return };
        marks.push(("end".into(), std::time::Instant::now()));
        let stages: Vec<String> = marks
            .windows(2)
            .filter_map(|w| Some(format!("{} {:.2} s", w.first()?.0, (w.get(1)?.1 - w.first()?.1).as_secs_f64())))
            .collect();
        let total = marks.last().map(|m| (m.1 - first).as_secs_f64()).unwrap_or_default();
        let _ = writeln!(std::io::stderr(), "timings: {} (total {total:.2} s)", stages.join(", "));
        let details = self.2.lock().expect("details");
        if !details.is_empty() {
            let _ = writeln!(std::io::stderr(), "timings in detail: {}", details.join(", "));
        }
    }
}

/// Rows read = used + rejected: per kind of file, then each file that had rejected rows.
fn inputs_detail(inputs: &Inputs) -> String {
    use std::fmt::Write as _;
    let mut s = String::from("Inputs by kind:\n");
    let mut kinds: Vec<&str> = inputs.files.iter().map(|f| f.kind.as_str()).collect();
    kinds.sort();
    kinds.dedup();
    for kind in kinds {
        let files: Vec<_> = inputs.files.iter().filter(|f| f.kind.as_str() == kind).collect();
        let sum = |g: &dyn Fn(&FileSummary) -> u64| files.iter().map(|f| g(f)).sum::<u64>();
        let _ = writeln!(
            s,
            "  {kind}: {}, {} read = {} used + {} rejected",
            count(files.len() as i64, "file", "files"),
            count(sum(&|f| f.rows_read) as i64, "row", "rows"),
            thousands(sum(&|f| f.rows_used()) as i64),
            thousands(sum(&|f| f.rows_rejected) as i64)
        );
        let mut unknown: Vec<&str> = files.iter().flat_map(|f| f.unknown_columns.iter().map(String::as_str)).collect();
        unknown.sort();
        unknown.dedup();
        if !unknown.is_empty() {
            let _ = writeln!(s, "    unknown columns ignored: {}", unknown.join(", "));
        }
    }
    for f in inputs.files.iter().filter(|f| f.rows_rejected > 0) {
        let _ = writeln!(
            s,
            "  {} ({}): {} read = {} used + {} rejected",
            f.path,
            f.kind,
            count(f.rows_read as i64, "row", "rows"),
            thousands(f.rows_used() as i64),
            thousands(f.rows_rejected as i64)
        );
    }
    s
}

/// Files read in an encoding that may be wrong: a few examples, all with `--verbose`.
fn warn_encodings(inputs: &Inputs, verbose: bool) {
    let doubtful: Vec<(&str, &str)> =
        inputs.files.iter().filter_map(|f| f.encoding_hint.as_deref().map(|h| (f.path.as_str(), h))).collect();
    if let Some((_, hint)) = doubtful.first() {
        let title = format!("{}: {hint}", count(doubtful.len() as i64, "file", "files"));
        warn_list(&title, doubtful.iter().map(|(p, _)| p.to_string()), verbose);
    }
}

/// Files passed over: a few examples, all of them with `--verbose` (and in summary.json).
fn warn_skipped(skipped: &[Skipped], verbose: bool) {
    if !skipped.is_empty() {
        let title = format!("skipped {} that orderhealth does not read", count(skipped.len() as i64, "file", "files"));
        warn_list(&title, skipped.iter().map(|s| format!("{}: {}", s.path, s.reason)), verbose);
    }
}

/// A warning about many files: the title, three examples, how many more.
fn warn_list(title: &str, items: impl ExactSizeIterator<Item = String>, verbose: bool) {
    const EXAMPLES: usize = 3;
    let total = items.len();
    let shown = if verbose { total } else { EXAMPLES.min(total) };
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "warning: {title}{}:", if shown < total { ", for example" } else { "" });
    for item in items.take(shown) {
        let _ = writeln!(err, "  {item}");
    }
    if shown < total {
        let _ = writeln!(
            err,
            "  … and {} more (--verbose lists them; all are in summary.json)",
            thousands((total - shown) as i64)
        );
    }
}

/// Prints to standard output. A closed pipe is not an error (`| head`): `Ok(false)` says
/// the reader went away.
fn print_out(text: &str) -> std::io::Result<bool> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e),
    }
}

fn color_stdout() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The stack of each thread of the pool: the command runs on one of them, with the stack a
/// main thread has.
const WORKER_STACK: usize = 8 << 20;

/// Sets up the one pool a run has, polars' (started at its first use,
/// [`orderhealth::on_the_pool`]): `threads` workers (one per core without `--threads`), named
/// `orderhealth-N`, each with a main thread's stack. Set before any thread starts: polars reads
/// its variables when its pool starts, the standard library the stack size at the first thread.
fn set_up_the_pool(threads: Option<usize>) {
    if let Some(n) = threads {
        std::env::set_var("POLARS_MAX_THREADS", n.to_string());
    }
    std::env::set_var("POLARS_THREAD_NAME", "orderhealth");
    if std::env::var_os("RUST_MIN_STACK").is_none() {
        std::env::set_var("RUST_MIN_STACK", WORKER_STACK.to_string());
    }
}

impl Command {
    /// Whether the run reads or writes a store (an ingest, a partition, or a report, orders or
    /// cancellation feed computed from one).
    fn runs_over_a_store(&self) -> bool {
        match self {
            Command::Ingest(_) | Command::Partition { .. } => true,
            Command::Report { common, .. } | Command::Orders { common } => common.reading.store.is_some(),
            Command::CancelFeed { reading, .. } => reading.store.is_some(),
            Command::Fleet { .. } | Command::Generate(_) => false,
        }
    }
}

/// `mi_option_purge_delay`: 15 in both mimalloc 2 and 3 (their `mi_option_e`, whose order
/// mimalloc keeps across versions); -1 = never purge.
const PURGE_DELAY: std::ffi::c_int = 15;

// The global allocator's own C functions (mimalloc, linked with it).
extern "C" {
    fn mi_version() -> std::ffi::c_int;
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    #[cfg(test)]
    fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
}

/// A run over a store keeps the pages it frees instead of handing them back to the kernel.
///
/// mimalloc returns memory freed a while ago to the kernel (a purge: `madvise`, then a TLB
/// shootdown on every core); a nightly ingest or report holds a few hundred MB for well under
/// a second, and its purges were 2–4% of its CPU, for memory the process gives back by ending
/// a moment later (docs/BENCHMARKS.md). A report over dumps holds gigabytes for longer and
/// keeps purging: its peak memory is bounded (issue 25's 4.9 GiB at 4 M orders).
fn keep_freed_pages() {
    // SAFETY: both are plain C calls without pointers: a version number, and an option stored
    // atomically, which mimalloc allows at any time from any thread.
    #[allow(unsafe_code)]
    unsafe {
        if (20000..40000).contains(&mi_version()) {
            mi_option_set(PURGE_DELAY, -1);
        }
    }
}

fn main() -> ExitCode {
    // No transparent huge pages: with them the kernel zeroes 2 MiB pages each time the
    // allocator touches fresh memory, and a 1 M-order report spent half its time in that
    // (docs/BENCHMARKS.md). Best effort: a kernel without the switch runs as before. For a
    // kernel that gives them only when asked, mimalloc is built never to ask (`no_thp` in the
    // workspace's Cargo.toml): its first allocation, the runtime's, comes before this line.
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    set_up_the_pool(cli.threads.map(usize::from));
    let _ = TIMINGS.set(cli.timings);
    if cli.command.runs_over_a_store() {
        keep_freed_pages();
    }
    // The whole command on a worker of the pool: every parallel step it takes, ours or polars',
    // starts there instead of being handed over from this thread (or from our pool to polars')
    // and waited for (docs/BENCHMARKS.md).
    let result = orderhealth::on_the_pool(|| run_command(&cli));
    match result {
        Ok((text, code)) => match print_out(&text) {
            Ok(_) => code,
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "error: cannot write to standard output: {e}");
                ExitCode::from(1)
            }
        },
        Err(e) => {
            let code = orderhealth::exit_code(&e);
            let _ = writeln!(std::io::stderr(), "error: {}", orderhealth::messages::error_message(&e));
            ExitCode::from(code)
        }
    }
}

/// The command, as `main` runs it: its standard output and exit code.
fn run_command(cli: &Cli) -> anyhow::Result<(String, ExitCode)> {
    match &cli.command {
        Command::Report { common, fail_on_breach, fail_on_mismatch, from_parts } => {
            let run = || -> anyhow::Result<orderhealth::ReportOutcome> {
                if from_parts.is_empty() {
                    common.reading.ingest_first()?;
                    return run_report(&common.run_options(), &Bar::new());
                }
                if !common.reading.inputs.is_empty() {
                    anyhow::bail!(orderhealth::UsageError(
                        "--from-parts reads the store as the partitions saw it: ingest the INPUTs first, then run the partitions again".into()
                    ));
                }
                run_report_from_parts(&common.run_options(), from_parts, &Bar::new())
            };
            run().map(|outcome| {
                warn_skipped(&outcome.summary.skipped_files, common.reading.verbose);
                warn_encodings(&outcome.summary.inputs, common.reading.verbose);
                let mut text =
                    orderhealth::verdict::render(&outcome.summary, &common.out, color_stdout(), common.reading.verbose);
                if common.reading.verbose {
                    text.push_str(&inputs_detail(&outcome.summary.inputs));
                }
                let code = if *fail_on_breach && outcome.summary.breach() {
                    let _ = writeln!(std::io::stderr(), "a metric is BAD in its current window (--fail-on-breach)");
                    ExitCode::from(3)
                } else if *fail_on_mismatch && outcome.summary.mismatch() {
                    let _ = writeln!(
                        std::io::stderr(),
                        "Amazon's numbers differ from ours over its dates (--fail-on-mismatch; see reconcile)"
                    );
                    ExitCode::from(4)
                } else {
                    ExitCode::SUCCESS
                };
                (text, code)
            })
        }
        Command::Orders { common } => {
            common.reading.ingest_first().and_then(|()| run_orders(&common.run_options(), &Bar::new())).map(|outcome| {
                warn_skipped(&outcome.skipped, common.reading.verbose);
                warn_encodings(&outcome.inputs, common.reading.verbose);
                let mut text = format!(
                    "{}; {} read, {} rejected; {} skipped\n",
                    count(outcome.orders as i64, "order", "orders"),
                    count(outcome.inputs.rows_read as i64, "row", "rows"),
                    thousands(outcome.inputs.rows_rejected as i64),
                    count(outcome.skipped.len() as i64, "file", "files")
                );
                if common.reading.verbose {
                    text.push_str(&inputs_detail(&outcome.inputs));
                }
                for w in &outcome.written {
                    text.push_str(&format!("wrote {}\n", w.display()));
                }
                (text, ExitCode::SUCCESS)
            })
        }
        Command::CancelFeed { reading, selection, out, reason } => {
            let opts = FeedOptions {
                inputs: reading.inputs_to_read(),
                store: reading.store.clone(),
                out: out.clone(),
                read: reading.read_options(),
                view: reading.view_options(),
                selection: match (&selection.orders, selection.overdue) {
                    (Some(list), _) => Selection::Listed(list.clone()),
                    (None, true) => Selection::Overdue,
                    (None, false) => Selection::AtRisk,
                },
                reason: reason.clone(),
            };
            reading.ingest_first().and_then(|()| run_cancel_feed(&opts, &Bar::new())).map(|outcome| {
                let _ = write!(std::io::stderr(), "{}", orderhealth::cancel_feed::refusals_text(&outcome));
                let text = orderhealth::cancel_feed::render(&outcome);
                if outcome.impact.orders == 0 {
                    let _ = writeln!(std::io::stderr(), "error: no order could be written into the feed");
                    (text, ExitCode::from(1))
                } else {
                    (text, ExitCode::SUCCESS)
                }
            })
        }
        Command::Partition { reading, shard, out } => {
            let opts = Common::options_of(reading, FormatArg::Parquet, out);
            let run = || -> anyhow::Result<orderhealth::PartitionOutcome> {
                if reading.store.is_none() {
                    anyhow::bail!(orderhealth::UsageError("partition needs --store DIR".into()));
                }
                if !reading.inputs.is_empty() {
                    anyhow::bail!(orderhealth::UsageError(
                        "partition reads the store alone: ingest the INPUTs first (`orderhealth ingest`)".into()
                    ));
                }
                orderhealth::run_partition(&opts, *shard, out)
            };
            run().map(|o| {
                let _ = writeln!(
                    std::io::stderr(),
                    "partition {} of {}: {}; wrote {}",
                    o.partition,
                    o.partitions,
                    count(o.orders as i64, "order", "orders"),
                    out.display()
                );
                (String::new(), ExitCode::SUCCESS)
            })
        }
        Command::Fleet { stores, out, format, from_parts, from_reports, fail_on_breach, judging } => {
            let accounts: Vec<orderhealth::fleet::Account> = stores
                .iter()
                .map(|s| match s.split_once('=') {
                    Some((name, dir)) if !name.is_empty() && !name.contains('/') => {
                        orderhealth::fleet::Account { name: name.to_string(), store: PathBuf::from(dir) }
                    }
                    _ => {
                        let dir = PathBuf::from(s);
                        let name = std::path::absolute(&dir)
                            .ok()
                            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                            .unwrap_or_default();
                        orderhealth::fleet::Account { name, store: dir }
                    }
                })
                .collect();
            let opts = judging.run_options(Vec::new(), None, *format, out);
            let source = match (from_parts, from_reports) {
                (Some(root), _) => orderhealth::fleet::Source::Parts(root),
                (None, true) => orderhealth::fleet::Source::Reports,
                (None, false) => orderhealth::fleet::Source::Stores,
            };
            orderhealth::fleet::run_fleet(&accounts, &opts, source, &orderhealth::Quiet).map(|fleet| {
                let text = orderhealth::fleet::render(&fleet, out);
                let code = if fleet.failed() > 0 {
                    ExitCode::from(1)
                } else if *fail_on_breach && fleet.bad() > 0 {
                    ExitCode::from(3)
                } else {
                    ExitCode::SUCCESS
                };
                (text, code)
            })
        }
        Command::Ingest(args) => ingest(
            &args.store,
            &args.inputs,
            &args.stored.read_options(),
            args.stored.marketplace,
            args.partitions,
            false,
            args.verbose,
        )
        .map(|_| (String::new(), ExitCode::SUCCESS)),
        Command::Generate(args) => generate::run(args).map(|text| (text, ExitCode::SUCCESS)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_over_a_store_keeps_its_freed_pages_and_a_report_over_dumps_does_not_ask_to() {
        let runs = |args: &[&str]| Cli::try_parse_from(args).unwrap().command.runs_over_a_store();
        assert!(runs(&["orderhealth", "ingest", "dumps", "--store", "s"]));
        assert!(runs(&["orderhealth", "report", "--store", "s", "--out", "o"]));
        assert!(runs(&["orderhealth", "orders", "night", "--store", "s", "--out", "o"]));
        assert!(!runs(&["orderhealth", "report", "dumps", "--out", "o"]));
        assert!(!runs(&["orderhealth", "orders", "dumps", "--out", "o"]));
        keep_freed_pages();
        // SAFETY: reads an option; no pointer.
        #[allow(unsafe_code)]
        let purge_delay = unsafe { mi_option_get(PURGE_DELAY) };
        assert_eq!(purge_delay, -1);
    }
}
