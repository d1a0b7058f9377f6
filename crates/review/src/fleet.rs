//! `fleet.html`: one row per seller account, worst first, each metric's current status, and a
//! link to the account's own `report.html`.

use maud::{html, DOCTYPE};

use crate::Verdict;

/// One account of a fleet, in a reader's words.
#[derive(Debug, Clone, Default)]
pub struct FleetAccount {
    pub name: String,
    /// The account's report directory, relative to the fleet page (`<name>/`).
    pub report: String,
    pub verdict: String,
    pub as_of: String,
    /// Per metric column, its worst current status and where it is BAD ("US, UK").
    pub metrics: Vec<(Verdict, String)>,
    /// Open orders overdue or at risk of auto-cancellation.
    pub overdue: u64,
    pub at_risk: u64,
}

/// The fleet page.
#[derive(Debug, Clone, Default)]
pub struct FleetPage {
    pub version: String,
    /// "3 of 300 accounts BAD".
    pub headline: String,
    pub breach: bool,
    /// The metric columns' names.
    pub metrics: Vec<String>,
    /// Worst first.
    pub accounts: Vec<FleetAccount>,
}

const STYLE: &str = r#"
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111827; margin: 24px auto; max-width: 1100px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; }
.meta { color: #4b5563; margin: 0 0 12px; }
.answer { font-size: 16px; padding: 10px 14px; border-radius: 6px; border: 1px solid; }
.answer.bad { background: #fef2f2; border-color: #fca5a5; }
.answer.good { background: #f0fdf4; border-color: #86efac; }
table { border-collapse: collapse; width: 100%; margin: 12px 0; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
th { font-weight: 600; background: #f9fafb; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.status { font-weight: 700; }
.where { color: #4b5563; font-size: 12px; }
.BAD { color: #b91c1c; }
.GOOD { color: #15803d; }
.NONE { color: #6b7280; }
@media print { body { margin: 0; max-width: none; } tr { break-inside: avoid; } }
"#;

/// The whole page: the same accounts give the same bytes.
pub fn render_fleet(page: &FleetPage) -> String {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            (crate::page::head("orderhealth fleet", STYLE))
            body {
                h1 { "Seller accounts" }
                p.meta { (page.accounts.len()) " accounts, worst first · orderhealth " (page.version) }
                p.answer.bad[page.breach].good[!page.breach] { (page.headline) }
                table {
                    thead {
                        tr {
                            th { "account" }
                            th { "verdict" }
                            @for m in &page.metrics { th { (m) } }
                            th.n { "overdue" }
                            th.n { "at risk" }
                            th { "as of" }
                        }
                    }
                    tbody {
                        @for a in &page.accounts {
                            tr {
                                td { a href=(a.report) { (a.name) } }
                                td { (a.verdict) }
                                @for (status, bad_in) in &a.metrics {
                                    td {
                                        span.status.(status.as_str()) { (status.as_str()) }
                                        @if !bad_in.is_empty() { " " span.where { (bad_in) } }
                                    }
                                }
                                td.n { (a.overdue) }
                                td.n { (a.at_risk) }
                                td { (a.as_of) }
                            }
                        }
                    }
                }
            }
        }
    };
    let mut html = markup.into_string();
    html.push('\n');
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_name_is_escaped_and_links_its_report() {
        let page = FleetPage {
            version: "1".into(),
            headline: "1 of 1 accounts BAD".into(),
            breach: true,
            metrics: vec!["cancellation rate".into()],
            accounts: vec![FleetAccount {
                name: "a<b>".into(),
                report: "a<b>/report.html".into(),
                verdict: "BAD".into(),
                as_of: "2026-03-17".into(),
                metrics: vec![(Verdict::Bad, "US".into())],
                overdue: 2,
                at_risk: 1,
            }],
        };
        let html = render_fleet(&page);
        assert!(html.contains("<a href=\"a&lt;b&gt;/report.html\">a&lt;b&gt;</a>"), "{html}");
        assert!(html.contains("<span class=\"status BAD\">BAD</span> <span class=\"where\">US</span>"), "{html}");
    }
}
