//! One partition's result (`orderhealth partition`), and their sum (`report --from-parts`):
//! the seam a distributed run splits at (docs/SCALE-OUT.md).
//!
//! A partition's result is what its orders add to a report: the [`Tally`] (per-day counts of
//! every metric, reason counts, the summary's counters), the auto-cancel counts, and the
//! evidence rows (`cancellations`, `tracking_defects`, `late_deliveries`, `auto_cancel`, and
//! the rows of `reconcile_orders` each Amazon window could need). Everything is additive or a
//! union of rows, so the report of the sum is the report of one run over every order.
//!
//! A result is a directory written whole: into a temporary directory of its own, sealed
//! (`checksums.json`, as the store seals its directories), then renamed into place. A task run
//! twice (retried, or duplicated by a scheduler) writes the same bytes; whichever lands first
//! stays. It names the store's state it was computed from (the manifest's checksum), the
//! partition and the report options: results of another state or other options are refused,
//! never summed.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::settled::{Evidence, SettledKey, SettledPart, Tally};
use super::state::{read_parquet, write_parquet};
use crate::error::UsageError;
use crate::summary::AutoCancelCounts;

/// What `part.json` says it is.
const PART_FORMAT: &str = "orderhealth-partition";
/// The layout of a result; another is refused (run the partitions again).
const PART_VERSION: u32 = 1;
const PART_FILE: &str = "part.json";

/// The evidence tables a result holds, by file name.
const CANCELLATIONS: &str = "cancellations.parquet";
const TRACKING_DEFECTS: &str = "tracking_defects.parquet";
const LATE_DELIVERIES: &str = "late_deliveries.parquet";
const AUTO_CANCEL: &str = "auto_cancel.parquet";
const RECONCILE: &str = "reconcile_orders.parquet";

/// What one partition's orders add to a report.
pub struct PartResult {
    pub partition: usize,
    pub partitions: usize,
    /// The report options and, as its `base`, the store state (the manifest's checksum).
    pub key: SettledKey,
    /// `--as-of` as given (`None`: the newest observation, the same for every partition).
    pub as_of: Option<i64>,
    pub tally: Tally,
    pub auto: AutoCancelCounts,
    pub has_scans: bool,
    pub evidence: Evidence,
    /// Its rows of `auto_cancel`.
    pub auto_cancel: DataFrame,
    /// With Amazon's performance reports: its rows of `reconcile_orders` for every window,
    /// agreeing or not (only the sum knows which agree).
    pub reconcile: Option<DataFrame>,
}

#[derive(Serialize, Deserialize)]
struct PartFile {
    format: String,
    version: u32,
    partition: usize,
    partitions: usize,
    key: SettledKey,
    as_of: Option<i64>,
    has_scans: bool,
    auto_cancel: AutoCancelCounts,
    tally: Tally,
}

/// Writes `part` as the directory `out`, whole. When `out` already holds the same partition's
/// result (a task run twice), the first stays.
pub fn write(out: &Path, part: &PartResult) -> Result<()> {
    let name = out.file_name().context("--out names no directory")?.to_string_lossy().into_owned();
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).with_context(|| format!("{}: cannot create", parent.display()))?;
    let tmp = parent.join(format!(".{name}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).with_context(|| format!("{}: cannot create", tmp.display()))?;
    let fill = || -> Result<()> {
        let file = PartFile {
            format: PART_FORMAT.into(),
            version: PART_VERSION,
            partition: part.partition,
            partitions: part.partitions,
            key: part.key.clone(),
            as_of: part.as_of,
            has_scans: part.has_scans,
            auto_cancel: part.auto.clone(),
            tally: part.tally.clone(),
        };
        let mut json = serde_json::to_vec_pretty(&file)?;
        json.push(b'\n');
        std::fs::write(tmp.join(PART_FILE), json).with_context(|| format!("{}: cannot write", tmp.display()))?;
        let e = &part.evidence;
        write_parquet(&tmp.join(CANCELLATIONS), &mut e.cancellations.clone())?;
        write_parquet(&tmp.join(TRACKING_DEFECTS), &mut e.tracking_defects.clone())?;
        write_parquet(&tmp.join(LATE_DELIVERIES), &mut e.late_deliveries.clone())?;
        write_parquet(&tmp.join(AUTO_CANCEL), &mut part.auto_cancel.clone())?;
        if let Some(df) = &part.reconcile {
            write_parquet(&tmp.join(RECONCILE), &mut df.clone())?;
        }
        super::integrity::seal(&tmp)?;
        super::sync_tree(&tmp)
    };
    if let Err(e) = fill() {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e.context(format!("{}: the partition's result was not written", out.display())));
    }
    // A whole result already there (the same task, run before) stays; a damaged or other one
    // is replaced.
    if out.exists() {
        if super::integrity::verify_dir(out).is_ok() && same_partition(out, part) {
            let _ = std::fs::remove_dir_all(&tmp);
            return Ok(());
        }
        std::fs::remove_dir_all(out).with_context(|| format!("{}: cannot replace", out.display()))?;
    }
    if let Err(e) = std::fs::rename(&tmp, out) {
        let _ = std::fs::remove_dir_all(&tmp);
        // Another run of the same task renamed its (identical) result in first.
        if !(super::integrity::verify_dir(out).is_ok() && same_partition(out, part)) {
            return Err(e).with_context(|| format!("{}: cannot write", out.display()));
        }
    }
    crate::output::sync_dir(Some(&parent));
    Ok(())
}

fn same_partition(dir: &Path, part: &PartResult) -> bool {
    let Ok(text) = std::fs::read(dir.join(PART_FILE)) else { return false };
    let Ok(file) = serde_json::from_slice::<PartFile>(&text) else { return false };
    file.partition == part.partition && file.key == part.key && file.as_of == part.as_of
}

/// The result directories among `paths`: each path is one, or a directory holding them.
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.join(PART_FILE).is_file() {
            out.push(p.clone());
            continue;
        }
        let entries = std::fs::read_dir(p)
            .with_context(|| format!("{}: not a partition's result, nor a directory of them", p.display()))?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|d| {
                d.join(PART_FILE).is_file() && !d.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        if found.is_empty() {
            bail!(UsageError(format!(
                "{}: not a partition's result, nor a directory of them (make them with `orderhealth partition`)",
                p.display()
            )));
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

/// The sum of the results at `paths` (results, or directories of them), which must cover
/// every partition of the store state `key.base` (`partitions` of them), under the same
/// report options (`key`, `as_of`). A partition given twice counts once (a task run twice
/// wrote the same result).
pub fn sum(paths: &[PathBuf], partitions: usize, key: &SettledKey, as_of: Option<i64>) -> Result<SettledPart> {
    let mut seen: Vec<Option<PathBuf>> = vec![None; partitions];
    let mut total = SettledPart::default();
    for dir in expand(paths)? {
        super::integrity::verify_dir(&dir).map_err(|e| {
            anyhow::anyhow!(
                "{}: a damaged partition result ({}): run `orderhealth partition` for it again",
                dir.display(),
                e
            )
        })?;
        let text = std::fs::read(dir.join(PART_FILE)).with_context(|| format!("{}: cannot read", dir.display()))?;
        let file: PartFile = serde_json::from_slice(&text)
            .map_err(|e| anyhow::anyhow!("{}: not a partition result orderhealth reads ({e})", dir.display()))?;
        if file.format != PART_FORMAT || file.version != PART_VERSION {
            bail!(UsageError(format!(
                "{}: a partition result of another version of orderhealth: run the partitions again",
                dir.display()
            )));
        }
        if file.key.base != key.base || file.partitions != partitions {
            bail!(UsageError(format!(
                "{}: computed from another state of the store (an ingest ran since, or another store): run the partitions again",
                dir.display()
            )));
        }
        if file.key != *key || file.as_of != as_of {
            bail!(UsageError(format!(
                "{}: computed with other report options ({}): run the partitions with this report's options",
                dir.display(),
                differences(&file.key, file.as_of, key, as_of).join(", ")
            )));
        }
        let Some(slot) = seen.get_mut(file.partition) else {
            bail!(UsageError(format!("{}: partition {} of a store of {partitions}", dir.display(), file.partition)));
        };
        if slot.is_some() {
            continue; // the same task's result twice
        }
        *slot = Some(dir.clone());
        let read = |name: &str| -> Result<DataFrame> {
            read_parquet(&dir.join(name))?
                .with_context(|| format!("{}: a partition result without {name}", dir.display()))
        };
        total.tally.add(&file.tally);
        total.evidence.push(Evidence {
            cancellations: read(CANCELLATIONS)?,
            tracking_defects: read(TRACKING_DEFECTS)?,
            late_deliveries: read(LATE_DELIVERIES)?,
        });
        total.auto_cancel.push(read(AUTO_CANCEL)?);
        total.auto.add(&file.auto_cancel);
        total.has_scans |= file.has_scans;
        if let Some(df) = read_parquet(&dir.join(RECONCILE))? {
            total.reconcile.push(df);
        }
    }
    let missing: Vec<String> =
        seen.iter().enumerate().filter(|(_, s)| s.is_none()).map(|(i, _)| i.to_string()).collect();
    if !missing.is_empty() {
        let shown: Vec<&str> = missing.iter().take(10).map(String::as_str).collect();
        bail!(UsageError(format!(
            "{} of the store's {partitions} partitions have no result ({}{}): run `orderhealth partition --shard N` for each",
            missing.len(),
            shown.join(", "),
            if missing.len() > shown.len() { ", …" } else { "" }
        )));
    }
    Ok(total)
}

/// The options that differ, as `--warn-days 5 (this run: 7)`.
fn differences(theirs: &SettledKey, their_as_of: Option<i64>, ours: &SettledKey, as_of: Option<i64>) -> Vec<String> {
    let mut out = Vec::new();
    let mut differ = |name: &str, a: String, b: String| {
        if a != b {
            out.push(format!("{name} {a} (this run: {b})"));
        }
    };
    differ("--auto-cancel-policy", theirs.policy.clone(), ours.policy.clone());
    differ("--tz", format!("{:?}", theirs.tz), format!("{:?}", ours.tz));
    differ("--marketplace", theirs.marketplace.clone(), ours.marketplace.clone());
    differ("--warn-days", theirs.warn_days.to_string(), ours.warn_days.to_string());
    differ("--scan-grace-days", theirs.scan_grace_days.to_string(), ours.scan_grace_days.to_string());
    differ("--tracking-basis", theirs.tracking_basis.clone(), ours.tracking_basis.clone());
    differ("--as-of", format!("{their_as_of:?}"), format!("{as_of:?}"));
    differ("orderhealth", theirs.version.clone(), ours.version.clone());
    if out.is_empty() {
        out.push("another layout".into());
    }
    out
}
