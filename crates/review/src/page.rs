//! The layout of `report.html`: verdict first, then the charts, the orders to act on, the
//! evidence, and what was read.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use crate::chart::{self, pen};
use crate::{DefectGroup, Listing, MarketplaceSection, Page, Verdict};

/// Inline, so the file needs nothing else; print rules keep a chart or a table row whole.
const STYLE: &str = r#"
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111827; margin: 24px auto; max-width: 980px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #e5e7eb; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
.meta { color: #4b5563; margin: 0 0 12px; }
.answer { font-size: 16px; padding: 10px 14px; border-radius: 6px; border: 1px solid; }
.answer.bad { background: #fef2f2; border-color: #fca5a5; }
.answer.good { background: #f0fdf4; border-color: #86efac; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
th { font-weight: 600; background: #f9fafb; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.indent td:first-child { padding-left: 28px; }
.status { font-weight: 700; }
.note { color: #b91c1c; font-size: 13px; }
.BAD { color: #b91c1c; }
.GOOD { color: #15803d; }
.NONE { color: #6b7280; }
.overdue { color: #b91c1c; font-weight: 600; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 4px 16px; }
figure { margin: 4px 0 12px; break-inside: avoid; }
figcaption { font-size: 13px; color: #374151; }
svg.chart { width: 100%; height: auto; display: block; font-size: 10px; fill: #374151; }
svg.chart text.limit { fill: #dc2626; }
.key { margin-right: 14px; white-space: nowrap; }
.more, .empty { color: #4b5563; font-style: italic; }
code { font-size: 13px; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
"#;

/// A page's `<head>`: its title and inline styles (the page needs no other file).
pub(crate) fn head(title: &str, style: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) }
            style { (PreEscaped(style)) }
        }
    }
}

/// The whole page.
pub fn render(page: &Page) -> String {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            (head(&format!("orderhealth review {}", page.as_of), STYLE))
            body {
                h1 { "Account health review" }
                p.meta { (page.as_of) " · orderhealth " (page.version) }
                p.answer.bad[page.breach].good[!page.breach] { (page.verdict) }
                (verdict(page))
                (next_steps(page))
                (reconcile(page))
                (categories(page))
                (charts(&page.marketplaces))
                (open_orders(page))
                (counted_cancellations(page))
                (tracking_defects(&page.tracking_defects))
                (late_deliveries(page))
                (inputs(page))
                (settings(page))
            }
        }
    };
    let mut html = markup.into_string();
    html.push('\n');
    html
}

fn status(s: Verdict) -> Markup {
    html! { span.status.(s.as_str()) { (s.as_str()) } }
}

fn verdict(page: &Page) -> Markup {
    html! {
        section #verdict {
            h2 { "Verdict by marketplace, worst first" }
            @if page.marketplaces.is_empty() {
                p.empty { "No marketplace has an order in the inputs." }
            }
            table {
                thead { tr { th { "marketplace" } th { "metric" } th { "current window" } th.n { "rate" }
                    th.n { "n / N" } th { "limit" } th { "status" } } }
                tbody {
                    @for m in &page.marketplaces {
                        @for (i, row) in m.rows.iter().enumerate() {
                            tr class=[row.indent.then_some("indent")] data-marketplace=(m.code) data-window=(row.key) {
                                td { @if i == 0 { strong { (m.code) } } }
                                td { (row.metric) @if !row.note.is_empty() { br; span.note { "categories: " (row.note) } } }
                                td { (row.window) }
                                td.n { (row.rate) }
                                td.n { (row.part) " / " (row.whole) }
                                td { (row.threshold) }
                                td { (status(row.status)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Amazon's numbers beside ours, when a seller performance report was given.
fn reconcile(page: &Page) -> Markup {
    html! {
        @if !page.reconcile.is_empty() {
            section #reconcile {
                h2 { "Amazon's numbers beside ours" }
                p.meta { "Each window of Amazon's seller performance report, our counts summed over exactly its dates." }
                table {
                    thead { tr { th { "report" } th { "marketplace" } th { "metric" } th { "Amazon's dates" }
                        th.n { "Amazon" } th.n { "ours" } th { "" } th { "could explain it" } } }
                    tbody { @for r in &page.reconcile {
                        tr data-marketplace=(r.marketplace) data-reconcile=(r.metric) {
                            td { (r.report) } td { (r.marketplace) } td { (r.metric) } td { (r.window) }
                            td.n { (r.amazon) } td.n { (r.ours) }
                            td class=[(r.agrees == "differs").then_some("BAD")] { (r.agrees) }
                            td { (r.explain) }
                        }
                    } }
                }
            }
        }
    }
}

/// Every category window, per marketplace with categories (the verdict folds them).
fn categories(page: &Page) -> Markup {
    let with: Vec<&MarketplaceSection> = page.marketplaces.iter().filter(|m| !m.categories.is_empty()).collect();
    html! {
        @if !with.is_empty() {
            section #categories {
                h2 { "Valid tracking by category" }
                table {
                    thead { tr { th { "marketplace" } th { "category" } th { "current window" } th.n { "rate" }
                        th.n { "n / N" } th { "limit" } th { "status" } } }
                    tbody {
                        @for m in &with {
                            @for (i, row) in m.categories.iter().enumerate() {
                                tr data-marketplace=(m.code) data-window=(row.key) {
                                    td { @if i == 0 { strong { (m.code) } } }
                                    td { (row.metric) }
                                    td { (row.window) }
                                    td.n { (row.rate) }
                                    td.n { (row.part) " / " (row.whole) }
                                    td { (row.threshold) }
                                    td { (status(row.status)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn next_steps(page: &Page) -> Markup {
    html! {
        section #next {
            h2 { "What to do next" }
            @if page.next_steps.is_empty() {
                p { "Nothing to act on." }
            } @else {
                ol { @for step in &page.next_steps { li { (step) } } }
            }
        }
    }
}

fn charts(marketplaces: &[MarketplaceSection]) -> Markup {
    html! {
        section #charts {
            h2 { "Rolling windows against their limits" }
            p.meta { "Each point is the window ending that day; the dashed red line is the limit, the dot the current window." }
            @for m in marketplaces {
                h3 { (m.code) " " (status(m.status)) }
                div.charts { @for c in &m.charts {
                    figure {
                        (chart::render(c))
                        figcaption {
                            strong { (c.title) } " · "
                            @for (n, s) in c.series.iter().enumerate() {
                                @let (colour, dashes) = pen(n);
                                span.key {
                                    svg width="26" height="8" aria-hidden="true" {
                                        line x1="0" x2="26" y1="4" y2="4" stroke=(colour) stroke-width="2"
                                            stroke-dasharray=[(!dashes.is_empty()).then_some(dashes)] {}
                                    }
                                    " " (s.name)
                                }
                            }
                        }
                    }
                } }
            }
        }
    }
}

fn more<T>(listing: &Listing<T>) -> Markup {
    html! {
        @if listing.total > listing.rows.len() {
            p.more { "The first " (listing.rows.len()) " of " (listing.total) "; " code { (listing.table) } " lists them all." }
        }
    }
}

fn open_orders(page: &Page) -> Markup {
    let l = &page.open_orders;
    html! {
        section #open-orders {
            h2 { "Open orders overdue or at risk of auto-cancellation (" (l.total) ")" }
            @if l.rows.is_empty() {
                p { "None: no open order is past or near its auto-cancel deadline." }
            } @else {
                table {
                    thead { tr { th { "order" } th { "marketplace" } th { "purchased" } th { "expected ship" }
                        th { "deadline" } th.n { "days left" } th { "state" } } }
                    tbody { @for o in &l.rows {
                        tr { td { code { (o.order_id) } } td { (o.marketplace) } td { (o.purchase) }
                            td { (o.expected_ship) } td { (o.deadline) } td.n { (o.days_left) }
                            td class=[(o.state == "overdue").then_some("overdue")] { (o.state) } }
                    } }
                }
                (more(l))
            }
        }
    }
}

fn counted_cancellations(page: &Page) -> Markup {
    let l = &page.counted_cancellations;
    html! {
        section #cancellations {
            h2 { "Cancellations counted in the current windows (" (l.total) ")" }
            @if l.rows.is_empty() {
                p { "None." }
            } @else {
                table {
                    thead { tr { th { "order" } th { "marketplace" } th { "purchase day" } th { "class" }
                        th.n { "rule" } th { "reasons" } } }
                    tbody { @for c in &l.rows {
                        tr { td { code { (c.order_id) } } td { (c.marketplace) } td { (c.purchase_day) }
                            td { (c.class) } td.n { (c.rule) } td { (c.reasons) } }
                    } }
                }
                (more(l))
            }
        }
    }
}

fn tracking_defects(groups: &[DefectGroup]) -> Markup {
    html! {
        section #tracking-defects {
            h2 { "Tracking defects in the current windows, by defect" }
            @if groups.is_empty() {
                p { "None." }
            }
            @for g in groups {
                h3 { (g.marketplace) ": " (g.defect) " (" (g.packages) ")" }
                table {
                    thead { tr { th { "order" } th { "ship date" } th { "carrier" } th { "tracking number" } th { "suggestion" } } }
                    tbody { @for e in &g.examples {
                        tr { td { code { (e.order_id) } } td { (e.ship_date) } td { (e.carrier) }
                            td { code { (e.tracking_number) } } td { (e.suggestion) } }
                    } }
                }
            }
        }
    }
}

fn late_deliveries(page: &Page) -> Markup {
    let l = &page.late_deliveries;
    html! {
        section #late-deliveries {
            h2 { "Packages not delivered on time in the current windows (" (l.total) ")" }
            @if l.rows.is_empty() {
                p { "None." }
            } @else {
                table {
                    thead { tr { th { "order" } th { "marketplace" } th { "promised" } th { "carrier" }
                        th { "tracking number" } th { "delivered" } th { "why" } } }
                    tbody { @for d in &l.rows {
                        tr { td { code { (d.order_id) } } td { (d.marketplace) } td { (d.promised_date) }
                            td { (d.carrier) } td { code { (d.tracking_number) } } td { (d.delivered) }
                            td { (d.reason) } }
                    } }
                }
                (more(l))
            }
        }
    }
}

fn inputs(page: &Page) -> Markup {
    let i = &page.inputs;
    html! {
        section #inputs {
            h2 { "Inputs" }
            p { (i.totals) }
            table {
                thead { tr { th { "kind" } th.n { "files" } th.n { "rows read" } th.n { "used" } th.n { "rejected" }
                    th { "unknown columns" } } }
                tbody { @for k in &i.kinds {
                    tr { td { (k.kind) } td.n { (k.files) } td.n { (k.rows_read) } td.n { (k.rows_used) }
                        td.n { (k.rows_rejected) } td { (k.unknown_columns.join(", ")) } }
                } }
            }
            @if !i.notes.is_empty() {
                ul { @for n in &i.notes { li { (n) } } }
            }
            @if i.skipped.total > 0 {
                h3 { "Skipped files (" (i.skipped.total) ")" }
                table {
                    thead { tr { th { "file" } th { "why" } } }
                    tbody { @for (path, reason) in &i.skipped.rows { tr { td { code { (path) } } td { (reason) } } } }
                }
                (more(&i.skipped))
            }
        }
    }
}

fn settings(page: &Page) -> Markup {
    html! {
        section #settings {
            h2 { "Settings of this run" }
            table { tbody { @for (name, value) in &page.settings { tr { th { (name) } td { (value) } } } } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Chart, Series, VerdictRow};

    fn page() -> Page {
        Page {
            as_of: "as of 2026-03-12T18:00:00Z".into(),
            version: "0.1.0".into(),
            verdict: "BAD in 1 of 1 marketplace".into(),
            breach: true,
            marketplaces: vec![MarketplaceSection {
                code: "UK".into(),
                status: Verdict::Bad,
                rows: vec![VerdictRow {
                    key: "cancel_rate".into(),
                    metric: "cancellation rate, 7 days".into(),
                    window: "2026-03-06 .. 2026-03-12".into(),
                    rate: "4.00%".into(),
                    part: "1".into(),
                    whole: "25".into(),
                    threshold: "< 2.5%".into(),
                    status: Verdict::Bad,
                    indent: false,
                    note: String::new(),
                }],
                categories: Vec::new(),
                charts: vec![Chart {
                    title: "cancellation rate <7 days>".into(),
                    threshold: 0.025,
                    higher_is_better: false,
                    series: vec![Series { name: "rate".into(), points: vec![(20000, Some(0.04))] }],
                }],
            }],
            ..Page::default()
        }
    }

    #[test]
    fn values_are_escaped_and_nothing_is_fetched() {
        let html = render(&page());
        assert!(html.contains("cancellation rate &lt;7 days&gt;"), "{html}");
        assert!(!html.contains("<script"));
        for fetch in ["src=", "href=", "url(", "@import", "http:", "https:"] {
            assert!(!html.contains(fetch), "{fetch} in the page");
        }
    }

    #[test]
    fn a_verdict_row_says_where_its_window_is_in_the_summary() {
        let html = render(&page());
        assert!(html.contains(r#"<tr data-marketplace="UK" data-window="cancel_rate">"#), "{html}");
        assert!(html.contains(r#"<span class="status BAD">BAD</span>"#), "{html}");
    }

    #[test]
    fn the_same_page_gives_the_same_bytes() {
        assert_eq!(render(&page()), render(&page()));
    }
}
