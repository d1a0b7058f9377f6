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
    if a.overdue > 0 {
        steps.push(format!(
            "{} past the auto-cancel deadline: ship or cancel {} now (see auto_cancel)",
            count(a.overdue as i64, "open order is", "open orders are"),
            if a.overdue == 1 { "it" } else { "them" }
        ));
    }
    if a.at_risk > 0 {
        steps.push(format!(
            "{} auto-cancelled within {} unless shipped (see auto_cancel)",
            count(a.at_risk as i64, "open order will be", "open orders will be"),
            count(summary.settings.warn_days, "day", "days")
        ));
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
        for l in metric_lines(summary, m, c, false).into_iter().filter(|l| l.status == Verdict::Bad && !l.indent) {
            let metric = l.metric.split(',').next().unwrap_or_default().to_string();
            match failing.iter_mut().find(|(name, _)| *name == metric) {
                Some((_, ms)) if ms.last() != Some(&m.as_str()) => ms.push(m),
                Some(_) => {}
                None => failing.push((metric, vec![m])),
            }
        }
    }
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

/// One line per marketplace, one column per metric window: its rate, and `BAD` where it
/// fails; then the failing categories. Dates and counts are in `--verbose`, `summary.json`
/// and `report.html`.
fn marketplace_table(summary: &Summary, color: bool) -> String {
    /// A marketplace's cells: (column, rate as shown, status).
    type Row = Vec<(usize, String, Verdict)>;
    // Columns: (metric, its line's position, label, limit), in the registry's order.
    let mut columns: Vec<(usize, usize, String, &str)> = Vec::new();
    let mut cells: Vec<(String, Row)> = Vec::new();
    let mut categories: Vec<String> = Vec::new();
    for (m, current) in &summary.current {
        let mut row = Vec::new();
        for (i, metric) in METRICS.iter().enumerate() {
            for (j, l) in (metric.lines)(summary, m, current, false).into_iter().enumerate() {
                if l.indent {
                    categories.push(format!(
                        "  {m} {} {}: {} ({}/{}), limit {}: {}",
                        metric.short_name,
                        l.metric,
                        percent(l.rate),
                        thousands(l.part),
                        thousands(l.whole),
                        l.limit.threshold,
                        paint(l.status, color)
                    ));
                    continue;
                }
                let window = l.metric.rsplit(", ").next().unwrap_or_default().replace(" days", "d");
                let label = format!("{} {window}", metric.short_name);
                let at = match columns.iter().position(|c| c.2 == label) {
                    Some(at) => at,
                    None => {
                        columns.push((i, j, label, l.limit.threshold));
                        columns.len() - 1
                    }
                };
                // Rates right-aligned: "100.00%" is the widest.
                row.push((at, format!("{:>7}", percent(l.rate)), l.status));
            }
        }
        cells.push((m.clone(), row));
    }
    if columns.is_empty() {
        return String::new();
    }
    // The registry's order, whichever marketplace showed a column first.
    let mut order: Vec<usize> = (0..columns.len()).collect();
    order.sort_by_key(|&c| (columns[c].0, columns[c].1));
    let width = |c: usize| {
        let cell = cells.iter().flat_map(|(_, r)| r.iter().filter(|x| x.0 == c));
        let widest = cell.map(|(_, rate, status)| rate.len() + if *status == Verdict::Bad { 4 } else { 0 }).max();
        widest.unwrap_or(0).max(columns[c].2.len()).max(columns[c].3.len())
    };
    let widths: Vec<usize> = (0..columns.len()).map(width).collect();
    let mut s = String::new();
    let mut line = |first: &str, cell: &dyn Fn(usize) -> (String, usize)| {
        let mut text = format!("{first:<4}");
        for &c in &order {
            let (shown, len) = cell(c);
            text.push_str(&shown);
            text.push_str(&" ".repeat(widths[c].saturating_sub(len) + 2));
        }
        let _ = writeln!(s, "{}", text.trim_end());
    };
    line("", &|c| (columns[c].2.clone(), columns[c].2.len()));
    line("", &|c| (columns[c].3.to_string(), columns[c].3.chars().count()));
    for (m, row) in &cells {
        line(m, &|c| match row.iter().find(|x| x.0 == c) {
            None => (String::new(), 0),
            Some((_, rate, Verdict::Bad)) => (format!("{rate} {}", paint(Verdict::Bad, color)), rate.len() + 4),
            Some((_, rate, _)) => (rate.clone(), rate.len()),
        });
    }
    if !categories.is_empty() {
        let _ = writeln!(s, "Failing categories:");
        for c in categories {
            let _ = writeln!(s, "{c}");
        }
    }
    s
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

/// What to do next, what was read and where the reports are.
fn footer(s: &mut String, summary: &Summary, out: &Path, after_table: bool) {
    let steps = next_steps(summary);
    if after_table {
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
    let _ = writeln!(s, "Reports: {}/ (report.html, summary.json, the tables, rejected.tsv)", out.display());
}

#[cfg(test)]
mod tests {
    use super::*;

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
