//! `orderhealth fleet`: one report per seller account (one store each), and a fleet summary —
//! `fleet.json`, `fleet.html` and the terminal — with the accounts worst first, so an analyst
//! watching hundreds of accounts sees which need attention tonight.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use orderhealth_core::limits::Verdict;
use serde::Serialize;
use serde_json::Value;

use crate::error::UsageError;
use crate::run::{run_report, run_report_from_parts, Progress, RunOptions};
use crate::summary::AutoCancelCounts;

/// One seller account: its name (its report's directory under `--out`) and its store.
#[derive(Debug, Clone)]
pub struct Account {
    pub name: String,
    pub store: PathBuf,
}

/// The metric columns of the fleet, in the order a reader scans them.
pub const METRICS: [(&str, &str); 6] = [
    ("cancel_rate", "cancellation rate"),
    ("late_shipment_10", "late shipment 10 d"),
    ("late_shipment_30", "late shipment 30 d"),
    ("valid_tracking", "valid tracking"),
    ("on_time_delivery_14", "on-time delivery 14 d"),
    ("on_time_delivery_30", "on-time delivery 30 d"),
];

/// One metric of one account: its worst current status over the marketplaces, and where it is
/// BAD.
#[derive(Debug, Clone, Serialize)]
pub struct MetricStatus {
    pub status: Verdict,
    pub bad_in: Vec<String>,
}

/// One account's line of the fleet.
#[derive(Debug, Clone, Serialize)]
pub struct AccountLine {
    pub name: String,
    pub store: String,
    /// Its report directory, relative to the fleet's `--out`.
    pub report: String,
    /// `BAD`, `GOOD`, the no-orders verdict, or `error`.
    pub verdict: String,
    pub as_of: Option<String>,
    /// Why its report could not be made (then no numbers).
    pub error: Option<String>,
    pub bad_metrics: usize,
    pub metrics: std::collections::BTreeMap<String, MetricStatus>,
    pub auto_cancel: AutoCancelCounts,
}

/// `fleet.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Fleet {
    pub version: String,
    /// Worst first: accounts whose report failed, then by BAD metrics, then by open orders
    /// overdue or at risk, then by name.
    pub accounts: Vec<AccountLine>,
}

impl Fleet {
    pub fn bad(&self) -> usize {
        self.accounts.iter().filter(|a| a.bad_metrics > 0).count()
    }

    pub fn failed(&self) -> usize {
        self.accounts.iter().filter(|a| a.error.is_some()).count()
    }

    /// "2 of 3 accounts BAD" (and how many failed).
    pub fn headline(&self) -> String {
        let mut s = format!("{} of {} accounts BAD", self.bad(), self.accounts.len());
        if self.failed() > 0 {
            s.push_str(&format!("; {} could not be reported", self.failed()));
        }
        s
    }
}

/// The worst of `statuses`: BAD, else GOOD, else nothing to judge.
fn worst(statuses: impl Iterator<Item = (String, Verdict)>) -> MetricStatus {
    let mut out = MetricStatus { status: Verdict::None, bad_in: Vec::new() };
    for (m, s) in statuses {
        match s {
            Verdict::Bad => {
                out.status = Verdict::Bad;
                if !out.bad_in.contains(&m) {
                    out.bad_in.push(m);
                }
            }
            Verdict::Good if out.status == Verdict::None => out.status = Verdict::Good,
            _ => {}
        }
    }
    out
}

/// A window's status as `summary.json` writes it.
fn status_of(window: &Value) -> Verdict {
    match window.get("status").and_then(Value::as_str) {
        Some("BAD") => Verdict::Bad,
        Some("GOOD") => Verdict::Good,
        _ => Verdict::None,
    }
}

/// Each metric's worst status from `summary.json`'s current windows (`current`, by
/// marketplace).
fn metrics_of(current: &serde_json::Map<String, Value>) -> std::collections::BTreeMap<String, MetricStatus> {
    // (metric, the window's key under it: a length in days; none: the window itself, or for
    // valid tracking every category's).
    let windows = |metric: &'static str, key: Option<&'static str>| {
        worst(current.iter().flat_map(move |(m, c)| {
            let found: Vec<&Value> = match (c.get(metric), key) {
                (Some(Value::Object(by)), Some(k)) => by.get(k).into_iter().collect(),
                (Some(Value::Object(by)), None) if metric == "valid_tracking" => by.values().collect(),
                (Some(w @ Value::Object(_)), None) => vec![w],
                _ => Vec::new(),
            };
            found.into_iter().map(move |w| (m.clone(), status_of(w)))
        }))
    };
    let columns = [
        windows("cancel_rate", None),
        windows("late_shipment", Some("10")),
        windows("late_shipment", Some("30")),
        windows("valid_tracking", None),
        windows("on_time_delivery", Some("14")),
        windows("on_time_delivery", Some("30")),
    ];
    METRICS.iter().map(|(k, _)| k.to_string()).zip(columns).collect()
}

/// The line of an account from its report's `summary.json` (as written, or as read back:
/// one path, so a fleet from the reports is the fleet that made them).
fn line_of(account: &Account, summary: &Value) -> Result<AccountLine> {
    let empty = serde_json::Map::new();
    let metrics = metrics_of(summary.get("current").and_then(Value::as_object).unwrap_or(&empty));
    Ok(AccountLine {
        name: account.name.clone(),
        store: account.store.display().to_string(),
        report: format!("{}/", account.name),
        verdict: summary.get("verdict").and_then(Value::as_str).context("a summary without a verdict")?.to_string(),
        as_of: summary.get("as_of").and_then(Value::as_str).map(str::to_string),
        error: None,
        bad_metrics: metrics.values().filter(|m| m.status == Verdict::Bad).count(),
        metrics,
        auto_cancel: serde_json::from_value(summary.get("auto_cancel").cloned().unwrap_or(Value::Null))
            .context("a summary without its auto_cancel counts")?,
    })
}

/// Where each account's numbers come from.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// Its store, read (`report --store`).
    Stores,
    /// Its partitions' results under `ROOT/<name>/` (`report --from-parts`).
    Parts(&'a Path),
    /// Its report already in `--out/<name>/` (made by the tasks of a distributed run):
    /// only its `summary.json` is read.
    Reports,
}

/// An account name is a directory name under `--out`.
pub fn check_name(name: &str) -> Result<(), UsageError> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name.starts_with('.')
        || name.contains(['/', '\\'])
        || name.chars().any(char::is_control);
    if bad {
        return Err(UsageError(format!(
            "{name:?}: not an account name (a directory name: no slash, not starting with a dot; name a store NAME=DIR)"
        )));
    }
    Ok(())
}

/// Reports every account into `opts.out/<name>/` (from the partitions' results under
/// `from_parts/<name>/` when given), then writes `fleet.json` and `fleet.html` there.
/// An account whose report fails is listed with its error; the others are reported.
pub fn run_fleet(accounts: &[Account], opts: &RunOptions, source: Source, progress: &dyn Progress) -> Result<Fleet> {
    let mut names = std::collections::BTreeSet::new();
    for a in accounts {
        check_name(&a.name)?;
        if !names.insert(a.name.as_str()) {
            return Err(UsageError(format!("two stores are named {:?}: name them apart (NAME=DIR)", a.name)).into());
        }
        crate::run::refuse_out_over_store(&opts.out, &a.store)?;
    }
    std::fs::create_dir_all(&opts.out).map_err(|e| anyhow::anyhow!("{}: cannot create ({e})", opts.out.display()))?;
    let mut lines = Vec::new();
    for a in accounts {
        let account_opts = RunOptions {
            store: Some(a.store.clone()),
            out: opts.out.join(&a.name),
            inputs: Vec::new(),
            ..opts.clone()
        };
        let summary = match source {
            Source::Stores => run_report(&account_opts, progress).and_then(|o| Ok(serde_json::to_value(&o.summary)?)),
            Source::Parts(root) => run_report_from_parts(&account_opts, &[root.join(&a.name)], progress)
                .and_then(|o| Ok(serde_json::to_value(&o.summary)?)),
            Source::Reports => {
                let path = account_opts.out.join("summary.json");
                std::fs::read(&path).with_context(|| format!("{}: no report of this account", path.display())).and_then(
                    |text| {
                        serde_json::from_slice::<Value>(&text)
                            .with_context(|| format!("{}: not a summary orderhealth wrote", path.display()))
                    },
                )
            }
        };
        lines.push(match summary.and_then(|s| line_of(a, &s)) {
            Ok(line) => line,
            Err(e) => AccountLine {
                name: a.name.clone(),
                store: a.store.display().to_string(),
                report: format!("{}/", a.name),
                verdict: "error".into(),
                as_of: None,
                error: Some(crate::messages::error_message(&e)),
                bad_metrics: 0,
                metrics: Default::default(),
                auto_cancel: Default::default(),
            },
        });
    }
    lines.sort_by(|a, b| {
        let key = |l: &AccountLine| {
            (
                std::cmp::Reverse(l.error.is_some()),
                std::cmp::Reverse(l.bad_metrics),
                std::cmp::Reverse(l.auto_cancel.overdue + l.auto_cancel.at_risk),
            )
        };
        key(a).cmp(&key(b)).then_with(|| a.name.cmp(&b.name))
    });
    let fleet = Fleet { version: env!("CARGO_PKG_VERSION").into(), accounts: lines };
    let mut json = serde_json::to_vec_pretty(&fleet)?;
    json.push(b'\n');
    let path = opts.out.join("fleet.json");
    crate::output::write_whole(&path, &opts.out.join(".fleet.json.tmp"), &json)?;
    let html = orderhealth_review::render_fleet(&page_of(&fleet));
    let path = opts.out.join("fleet.html");
    crate::output::write_whole(&path, &opts.out.join(".fleet.html.tmp"), html.as_bytes())?;
    Ok(fleet)
}

fn page_of(fleet: &Fleet) -> orderhealth_review::FleetPage {
    orderhealth_review::FleetPage {
        version: fleet.version.clone(),
        headline: fleet.headline(),
        breach: fleet.bad() > 0 || fleet.failed() > 0,
        metrics: METRICS.iter().map(|(_, words)| words.to_string()).collect(),
        accounts: fleet
            .accounts
            .iter()
            .map(|a| orderhealth_review::FleetAccount {
                name: a.name.clone(),
                report: format!("{}report.html", a.report),
                verdict: match &a.error {
                    Some(e) => format!("error: {e}"),
                    None => a.verdict.clone(),
                },
                as_of: a.as_of.clone().unwrap_or_default(),
                metrics: METRICS
                    .iter()
                    .map(|(k, _)| match a.metrics.get(*k) {
                        Some(m) => (m.status, m.bad_in.join(", ")),
                        None => (Verdict::None, String::new()),
                    })
                    .collect(),
                overdue: a.auto_cancel.overdue,
                at_risk: a.auto_cancel.at_risk,
            })
            .collect(),
    }
}

/// The fleet on the terminal: the headline, then one line per account, worst first.
pub fn render(fleet: &Fleet, out: &Path) -> String {
    let mut s = format!("{}\n", fleet.headline());
    let width = fleet.accounts.iter().map(|a| a.name.chars().count()).max().unwrap_or(0).max(7);
    for a in &fleet.accounts {
        let detail = match &a.error {
            Some(e) => format!("error: {e}"),
            None => {
                let bad: Vec<String> = METRICS
                    .iter()
                    .filter_map(|(k, words)| {
                        let m = a.metrics.get(*k)?;
                        (m.status == Verdict::Bad).then(|| format!("{words} BAD in {}", m.bad_in.join(", ")))
                    })
                    .collect();
                let mut d = if bad.is_empty() { "every metric within limits".to_string() } else { bad.join("; ") };
                if a.auto_cancel.overdue + a.auto_cancel.at_risk > 0 {
                    d.push_str(&format!(
                        "; {} overdue, {} at risk of auto-cancellation",
                        a.auto_cancel.overdue, a.auto_cancel.at_risk
                    ));
                }
                d
            }
        };
        s.push_str(&format!("  {:<width$}  {:<5}  {detail}\n", a.name, a.verdict));
    }
    s.push_str(&format!(
        "Reports: {} (fleet.html, fleet.json, one directory per account)\n",
        crate::verdict::dir_shown(out)
    ));
    s
}
