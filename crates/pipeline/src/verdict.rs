//! The terminal verdict: one screen that answers "as of today, is this account healthy?",
//! then what to do next and where the files are. The numbers are the current windows of
//! `summary.json`; nothing here computes a metric.

use std::fmt::Write as _;
use std::path::Path;

use orderhealth_core::limits::Verdict;

pub use crate::metrics::{MetricLine, METRICS};
use crate::summary::{MarketplaceCurrent, Summary};
pub use crate::words::{count, percent, thousands};

/// The current windows of one marketplace as lines, in a fixed order: cancellation rate,
/// late shipment 10 and 30 days, valid tracking over all categories and then the categories
/// (only those that fail, unless `all_categories`: `report.html` lists each).
pub fn metric_lines<'a>(
    summary: &'a Summary,
    marketplace: &'a str,
    m: &'a MarketplaceCurrent,
    all_categories: bool,
) -> Vec<MetricLine<'a>> {
    METRICS.iter().flat_map(|metric| (metric.lines)(summary, marketplace, m, all_categories)).collect()
}

/// What the reader should do, most urgent first; each names the table that lists the orders.
pub fn next_steps(summary: &Summary) -> Vec<String> {
    let mut steps = Vec::new();
    let a = &summary.auto_cancel;
    let days = count(summary.settings.warn_days, "day", "days");
    // One line for both: with a line per failing metric and the rejected rows, at most six.
    match (a.overdue as i64, a.at_risk as i64) {
        (0, 0) => {}
        (overdue, 0) => steps.push(format!(
            "{} past the auto-cancel deadline: ship or cancel {} now (see auto_cancel)",
            count(overdue, "open order is", "open orders are"),
            if overdue == 1 { "it" } else { "them" }
        )),
        (0, at_risk) => steps.push(format!(
            "{} auto-cancelled within {days} unless shipped (see auto_cancel)",
            count(at_risk, "open order will be", "open orders will be"),
        )),
        (overdue, at_risk) => steps.push(format!(
            "{} past the auto-cancel deadline and {} within {days} of it: ship or cancel them now (see auto_cancel)",
            count(overdue, "open order is", "open orders are"),
            thousands(at_risk),
        )),
    }
    // One step per failing metric, naming every marketplace it fails in.
    steps.extend(METRICS.iter().filter_map(|metric| (metric.next_step)(summary)));
    if summary.rejected_rows > 0 {
        steps.push(format!(
            "{} could not be used and {} not counted (see rejected.tsv)",
            count(summary.rejected_rows as i64, "input row", "input rows"),
            if summary.rejected_rows == 1 { "is" } else { "are" }
        ));
    }
    steps
}

fn paint(status: Verdict, color: bool) -> String {
    if !color {
        return status.to_string();
    }
    match status {
        Verdict::Bad => format!("\x1b[1;31m{status}\x1b[0m"),
        Verdict::Good => format!("\x1b[32m{status}\x1b[0m"),
        Verdict::None => format!("\x1b[2m{status}\x1b[0m"),
    }
}

/// When the run judges: `--as-of` or the newest observation.
pub fn as_of_line(summary: &Summary) -> String {
    match (&summary.as_of, &summary.settings.as_of) {
        (Some(t), Some(_)) => format!("as of {t} (--as-of)"),
        (Some(t), None) => format!("as of {t} (the newest observation in the inputs)"),
        (None, _) => "as of: no observation in the inputs".to_string(),
    }
}

/// The one-line answer: which metrics fail in which marketplaces.
pub fn verdict_line(summary: &Summary, color: bool) -> String {
    // Per metric, the marketplaces whose current window is BAD.
    let mut failing: Vec<(String, Vec<&str>)> = Vec::new();
    for (m, c) in &summary.current {
        for metric in &METRICS {
            let mut family = String::new();
            for l in (metric.lines)(summary, m, c, false) {
                if !l.indent {
                    family = l.metric.split(',').next().unwrap_or_default().to_string();
                }
                if l.status != Verdict::Bad {
                    continue;
                }
                // A failing category of a metric whose marketplace line passes still fails.
                let name = if l.indent { format!("a {family} category") } else { family.clone() };
                match failing.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, ms)) if ms.last() != Some(&m.as_str()) => ms.push(m),
                    Some(_) => {}
                    None => failing.push((name, vec![m])),
                }
            }
        }
    }
    // A marketplace whose metric fails needs no word on its categories.
    let whole: Vec<(String, Vec<&str>)> = failing.clone();
    for (name, ms) in &mut failing {
        if let Some(family) = name.strip_prefix("a ").and_then(|n| n.strip_suffix(" category")) {
            let failing_whole = whole.iter().find(|(n, _)| n == family).map(|(_, w)| w.clone()).unwrap_or_default();
            ms.retain(|m| !failing_whole.contains(m));
        }
    }
    failing.retain(|(_, ms)| !ms.is_empty());
    let bad_marketplaces =
        summary.current.keys().filter(|m| failing.iter().any(|(_, ms)| ms.contains(&m.as_str()))).count() as i64;
    let total = summary.current.len() as i64;
    if summary.no_orders() {
        format!("Verdict: {} (the order reports hold no order row: nothing to judge)", crate::summary::NO_ORDERS)
    } else if failing.is_empty() {
        format!("Verdict: every current window is within its limit ({})", count(total, "marketplace", "marketplaces"))
    } else {
        let which: Vec<String> = failing.iter().map(|(metric, ms)| format!("{metric} in {}", ms.join(", "))).collect();
        format!(
            "Verdict: {} in {} of {}: {}",
            paint(Verdict::Bad, color),
            thousands(bad_marketplaces),
            count(total, "marketplace", "marketplaces"),
            which.join("; ")
        )
    }
}

/// The one-screen answer. `color`: ANSI colours (a terminal without `NO_COLOR`); `detailed`
/// (`--verbose`): every window on a line of its own, with its dates and counts, instead of
/// one line per marketplace.
pub fn render(summary: &Summary, out: &Path, color: bool, detailed: bool) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "orderhealth {} — {}", summary.version, as_of_line(summary));
    let _ = writeln!(s, "{}", verdict_line(summary, color));
    let _ = writeln!(s);
    let table = if detailed { window_table(summary, color) } else { marketplace_table(summary, color) };
    s.push_str(&table);
    footer(&mut s, summary, out, !table.is_empty());
    s
}

/// The widest line [`marketplace_table`] aims at: a terminal of 100 columns.
const SCREEN_COLUMNS: usize = 100;

/// One column of [`marketplace_table`]: a metric window, or a metric's window with its
/// categories folded in.
struct WindowColumn {
    /// (metric in the registry, line of the metric): the column order.
    order: (usize, usize),
    label: String,
    threshold: &'static str,
    /// Some marketplace has categories for it: shown last, where its note has room.
    folded: bool,
}

/// A marketplace's cell: its rate as shown and status, and the note of its categories.
struct Cell {
    rate: String,
    status: Verdict,
    note: String,
}

/// "3/9 BAD: Beauty 78.6%" (3 of 9 categories BAD, the worst Beauty at 78.6%): the
/// categories of one window, folded; empty when none is BAD.
pub(crate) fn fold_categories(lines: &[MetricLine]) -> String {
    let bad: Vec<&MetricLine> = lines.iter().filter(|l| l.status == Verdict::Bad).collect();
    let worst = bad.iter().min_by(|a, b| {
        let (x, y) = (a.rate.unwrap_or(f64::NAN), b.rate.unwrap_or(f64::NAN));
        // The worst rate: the highest where BAD is above the limit, else the lowest.
        let order = if a.limit.bad_at_or_above { y.total_cmp(&x) } else { x.total_cmp(&y) };
        order.then_with(|| a.metric.cmp(&b.metric))
    });
    match worst {
        None => String::new(),
        Some(w) => {
            let name = w.metric.strip_prefix("category ").unwrap_or(&w.metric);
            let rate = w.rate.map(|r| format!("{:.1}%", r * 100.0)).unwrap_or_else(|| "-".into());
            format!("{}/{} BAD: {name} {rate}", bad.len(), lines.len())
        }
    }
}

/// One line per marketplace, worst first, one column per metric window: its rate, and `BAD`
/// where it fails; a metric's categories folded into a note beside its column. Dates and
/// counts are in `--verbose`, `summary.json` and `report.html`. An account with nothing BAD
/// gets no table: the verdict line says so.
fn marketplace_table(summary: &Summary, color: bool) -> String {
    let mut columns: Vec<WindowColumn> = Vec::new();
    let mut rows: Vec<(&str, Vec<(usize, Cell)>)> = Vec::new();
    for (m, current) in &summary.current {
        let mut row: Vec<(usize, Cell)> = Vec::new();
        for (i, metric) in METRICS.iter().enumerate() {
            let lines = (metric.lines)(summary, m, current, true);
            for (j, l) in lines.iter().filter(|l| !l.indent).enumerate() {
                let window = l.metric.rsplit(", ").next().unwrap_or_default().replace(" days", "d");
                let label = format!("{} {window}", metric.short_name);
                // Its categories: the indented lines that follow it.
                let start = lines.iter().position(|x| std::ptr::eq(x, l)).unwrap_or(0) + 1;
                let categories: Vec<MetricLine> =
                    lines[start..].iter().take_while(|x| x.indent).map(copy_line).collect();
                let at = match columns.iter().position(|c| c.label == label) {
                    Some(at) => at,
                    None => {
                        let column = WindowColumn { order: (i, j), label, threshold: l.limit.threshold, folded: false };
                        columns.push(column);
                        columns.len() - 1
                    }
                };
                let note = fold_categories(&categories);
                columns[at].folded |= !categories.is_empty();
                row.push((at, Cell { rate: format!("{:>7}", percent(l.rate)), status: l.status, note }));
            }
        }
        rows.push((m.as_str(), row));
    }
    if columns.is_empty() || !summary.breach() {
        return String::new();
    }
    // Worst first: a BAD window first, then more BAD windows, then by code.
    // A failing category (a note) counts as a BAD window.
    let status = |c: &Cell| if c.note.is_empty() { c.status } else { Verdict::Bad };
    let bad = |row: &[(usize, Cell)]| row.iter().filter(|(_, c)| status(c) == Verdict::Bad).count();
    let worst = |row: &[(usize, Cell)]| row.iter().map(|(_, c)| status(c)).min().unwrap_or(Verdict::None);
    rows.sort_by(|(ma, a), (mb, b)| {
        (worst(a), std::cmp::Reverse(bad(a)), ma).cmp(&(worst(b), std::cmp::Reverse(bad(b)), mb))
    });
    let mut order: Vec<usize> = (0..columns.len()).collect();
    order.sort_by_key(|&c| (columns[c].folded, columns[c].order));
    let shown = |c: &Cell| c.rate.len() + if c.status == Verdict::Bad { 4 } else { 0 };
    let widths: Vec<usize> = (0..columns.len())
        .map(|c| {
            let widest = rows.iter().flat_map(|(_, r)| r.iter().filter(|x| x.0 == c).map(|x| shown(&x.1))).max();
            // The folded column's label may run into the notes' header: its notes get the room.
            let label = if columns[c].folded { 0 } else { columns[c].label.len() };
            widest.unwrap_or(0).max(label).max(columns[c].threshold.chars().count())
        })
        .collect();
    let mut s = String::new();
    let line = |first: &str, cell: &dyn Fn(usize) -> (String, usize)| {
        let mut text = format!("{first:<4}");
        let mut used = 4;
        for &c in &order {
            let (shown, len) = cell(c);
            text.push_str(&shown);
            let pad = widths[c].saturating_sub(len) + 1;
            text.push_str(&" ".repeat(pad));
            used += len + pad;
        }
        (text, used)
    };
    let mut out_line = |(text, _): (String, usize), note: &str, used: usize| {
        let room = SCREEN_COLUMNS.saturating_sub(used);
        let note: String = if note.chars().count() > room {
            note.chars().take(room.saturating_sub(1)).chain(std::iter::once('…')).collect()
        } else {
            note.to_string()
        };
        let _ = writeln!(s, "{}", format!("{text}{note}").trim_end());
    };
    let (text, used) = line("", &|c| (columns[c].label.clone(), columns[c].label.len()));
    out_line((text, used), if columns.iter().any(|c| c.folded) { "categories BAD" } else { "" }, used);
    let (text, used) = line("", &|c| (columns[c].threshold.to_string(), columns[c].threshold.chars().count()));
    out_line((text, used), "", used);
    for (m, row) in &rows {
        let cell = |c: usize| match row.iter().find(|x| x.0 == c) {
            None => (String::new(), 0),
            Some((_, cell)) if cell.status == Verdict::Bad => {
                (format!("{} {}", cell.rate, paint(Verdict::Bad, color)), shown(cell))
            }
            Some((_, cell)) => (cell.rate.clone(), shown(cell)),
        };
        let note = row.iter().map(|(_, c)| c.note.as_str()).find(|n| !n.is_empty()).unwrap_or_default();
        let (text, used) = line(m, &cell);
        out_line((text, used), note, used);
    }
    s
}

/// A line of the registry, copied (its fields borrow the summary, not the list).
pub(crate) fn copy_line<'a>(l: &MetricLine<'a>) -> MetricLine<'a> {
    MetricLine { key: l.key.clone(), metric: l.metric.clone(), ..*l }
}

/// Every current window on a line: its dates, rate, counts, limit and status (`--verbose`).
fn window_table(summary: &Summary, color: bool) -> String {
    let mut s = String::new();
    // The table: aligned columns, numbers right-aligned.
    let mut rows: Vec<[String; 6]> =
        vec![[String::new(), "window".into(), "rate".into(), "n/N".into(), "limit".into(), "status".into()]];
    let mut statuses = vec![Verdict::None];
    for (m, current) in &summary.current {
        for (i, l) in metric_lines(summary, m, current, false).into_iter().enumerate() {
            let label = match (i, l.indent) {
                (_, true) => format!("      {}", l.metric),
                (0, false) => format!("{m:<4}{}", l.metric),
                (_, false) => format!("    {}", l.metric),
            };
            rows.push([
                label,
                format!("{} .. {}", l.window_start, l.window_end),
                percent(l.rate),
                format!("{}/{}", thousands(l.part), thousands(l.whole)),
                l.limit.threshold.to_string(),
                String::new(),
            ]);
            statuses.push(l.status);
        }
    }
    let mut widths = [0usize; 6];
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    // No window at all (no order in any marketplace): no table, not an empty one.
    let rows = if rows.len() == 1 { &rows[..0] } else { &rows[..] };
    for (i, (r, status)) in rows.iter().zip(&statuses).enumerate() {
        let status = if i == 0 { "status".to_string() } else { paint(*status, color) };
        let line = format!(
            "{:<w0$}  {:<w1$}  {:>w2$}  {:>w3$}  {:<w4$}  {status}",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
            w4 = widths[4],
        );
        let _ = writeln!(s, "{}", line.trim_end());
    }
    s
}

/// Amazon's numbers beside ours (§3.8): one line when every window agrees, else a line per
/// window that does not (or cannot be compared).
fn reconcile_lines(s: &mut String, summary: &Summary) {
    let rows: Vec<(&String, &String, &crate::reconcile::ReconcileEntry)> = summary
        .reconcile
        .iter()
        .flat_map(|(report, ms)| ms.iter().flat_map(move |(m, rows)| rows.iter().map(move |r| (report, m, r))))
        .collect();
    if rows.is_empty() {
        return;
    }
    let reports = summary.reconcile.len() as i64;
    let off: Vec<_> = rows.iter().filter(|(_, _, r)| r.agrees != Some(true)).collect();
    if off.is_empty() {
        let _ = writeln!(
            s,
            "Amazon's numbers: all {} of {} agree with ours over Amazon's dates (see reconcile)",
            count(rows.len() as i64, "window", "windows"),
            count(reports, "performance report", "performance reports")
        );
        return;
    }
    let _ = writeln!(s, "Amazon's numbers beside ours, over Amazon's dates (see reconcile):");
    let n = |v: Option<i64>| v.map(thousands).unwrap_or_else(|| "?".into());
    for (_, m, r) in off {
        let dates = match (&r.window_start, &r.window_end) {
            (Some(a), Some(b)) => format!("{a} .. {b}"),
            _ => "no dates".into(),
        };
        let what = match r.agrees {
            None => "not comparable".to_string(),
            _ => format!(
                "Amazon {}/{} ({}), we {}/{} ({})",
                n(r.amazon.count),
                n(r.amazon.total),
                percent(r.amazon.rate),
                n(r.ours.count),
                n(r.ours.total),
                percent(r.ours.rate)
            ),
        };
        let explain = if r.could_explain.is_empty() {
            String::new()
        } else {
            let n: u64 = r.could_explain.values().sum();
            let kinds: Vec<String> = r.could_explain.iter().map(|(why, k)| format!("{k} {why}")).collect();
            format!(
                " — {} could explain it ({}; see reconcile_orders)",
                count(n as i64, "order", "orders"),
                kinds.join(", ")
            )
        };
        let _ = writeln!(s, "  {m} {} {dates}: {what}{explain}", r.metric);
    }
}

/// What to do next, what was read and where the reports are.
fn footer(s: &mut String, summary: &Summary, out: &Path, after_table: bool) {
    let steps = next_steps(summary);
    if after_table {
        let _ = writeln!(s);
    }
    if !summary.reconcile.is_empty() {
        reconcile_lines(s, summary);
        let _ = writeln!(s);
    }
    if steps.is_empty() {
        let _ = writeln!(s, "Next: nothing to act on.");
    } else {
        let _ = writeln!(s, "Next:");
        for step in steps {
            let _ = writeln!(s, "  - {step}");
        }
    }
    let _ = writeln!(s);
    let i = &summary.inputs;
    let _ = writeln!(
        s,
        "Inputs: {}, {} read = {} used + {} rejected; {} skipped",
        count(i.files.len() as i64, "file", "files"),
        count(i.rows_read as i64, "row", "rows"),
        thousands((i.rows_read - i.rows_rejected) as i64),
        thousands(i.rows_rejected as i64),
        count(summary.skipped_files.len() as i64, "file", "files"),
    );
    if summary.late_shipment_no_expected_ship_date > 0 {
        let _ = writeln!(
            s,
            "  {} without an expected ship date or confirmation time: not in the late shipment rate",
            count(summary.late_shipment_no_expected_ship_date as i64, "order", "orders")
        );
    }
    if summary.cancelled_without_explanation > 0 {
        let _ = writeln!(
            s,
            "  {} with no event or feed row counted against you (rule 7): add the cancellation event log or your uploaded cancellation feeds",
            count(summary.cancelled_without_explanation as i64, "cancellation", "cancellations")
        );
    }
    if summary.default_marketplace_orders > 0 {
        let _ = writeln!(
            s,
            "  {} with no sales-channel and no marketplace e-mail counted as {} (--marketplace)",
            count(summary.default_marketplace_orders as i64, "order", "orders"),
            summary.settings.default_marketplace
        );
    }
    let _ = writeln!(s, "Reports: {} (report.html, summary.json, the tables, rejected.tsv)", dir_shown(out));
}

/// An output directory as the terminal names it: with one trailing `/` (`--out out/` as the
/// README types it is `out/`, not `out//`).
pub(crate) fn dir_shown(dir: &Path) -> String {
    format!("{}/", dir.display().to_string().trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_output_directory_is_named_with_one_slash_however_it_was_typed() {
        assert_eq!(dir_shown(Path::new("out/")), "out/");
        assert_eq!(dir_shown(Path::new("out")), "out/");
        assert_eq!(dir_shown(Path::new("/tmp/run 1//")), "/tmp/run 1/");
    }

    #[test]
    fn numbers_read_as_a_person_writes_them() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(-1234567), "-1,234,567");
        assert_eq!(count(1, "order", "orders"), "1 order");
        assert_eq!(count(4030, "row", "rows"), "4,030 rows");
        assert_eq!(percent(Some(0.025)), "2.50%");
        assert_eq!(percent(None), "-");
    }
}
