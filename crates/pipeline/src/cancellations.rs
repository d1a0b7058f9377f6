//! The evidence behind the cancel rate (SPEC §3.6): each cancelled MFN Amazon order, its
//! class, the §2.1 rule that gave it, and whether it counts against the seller.

use orderhealth_core::timestamp::local_day;
use orderhealth_core::OrderView;
use polars::prelude::*;

use crate::tables::read::{days, flags, ints, texts};
use crate::tables::{self, dates, frame, select_in_order, sort_by, strings, timestamps};

/// The cancelled MFN Amazon orders (those with a class).
pub fn cancelled(orders: &[OrderView]) -> impl Iterator<Item = &OrderView> {
    orders.iter().filter(|o| o.in_metrics() && o.class.is_some())
}

pub fn cancellations(orders: &[OrderView]) -> PolarsResult<DataFrame> {
    sorted(cancellation_rows(orders)?)
}

/// The table's rows in the table's order (§5.6): one order per row, so the order of the rows
/// given (of several sets of orders, stacked) never shows.
pub fn sorted(rows: DataFrame) -> PolarsResult<DataFrame> {
    let (by, options) = sort_by(&["marketplace", "purchase_ts", "order_id"]);
    let mut df = rows.lazy().sort(by, options).collect()?;
    df.rechunk_mut();
    Ok(df)
}

/// The rows of the cancelled orders among `orders`, in no particular order.
pub fn cancellation_rows(orders: &[OrderView]) -> PolarsResult<DataFrame> {
    let rows: Vec<&OrderView> = cancelled(orders).collect();
    let reasons: Vec<Option<String>> = rows.iter().map(|o| Some(o.reasons.join(","))).collect();
    frame(vec![
        strings("order_id", &rows.iter().map(|o| Some(&*o.order_id)).collect::<Vec<_>>()),
        strings("marketplace", &rows.iter().map(|o| o.marketplace().map(|m| m.code())).collect::<Vec<_>>()),
        timestamps("purchase_ts", rows.iter().map(|o| Some(o.purchase_ts)).collect())?,
        dates("purchase_day", rows.iter().map(|o| Some(local_day(o.purchase_ts, o.zone))).collect())?,
        strings("class", &rows.iter().map(|o| o.class.map(|c| c.as_str())).collect::<Vec<_>>()),
        Column::new("rule".into(), rows.iter().map(|o| o.rule.map(i64::from)).collect::<Vec<Option<i64>>>()),
        Column::new(
            "counted".into(),
            rows.iter().map(|o| o.class.is_some_and(|c| c.counts_against_seller())).collect::<Vec<bool>>(),
        ),
        strings("reasons", &reasons),
        timestamps("cancel_seen_ts", rows.iter().map(|o| o.cancel_seen_ts).collect())?,
        Column::new("buyer_requested".into(), rows.iter().map(|o| o.buyer_requested).collect::<Vec<bool>>()),
    ])?
    .lazy()
    .select(select_in_order(tables::CANCELLATIONS_COLUMNS))
    .collect()
}

/// A row of `cancellations`, as `report.html` lists it.
pub struct CancellationRow<'a> {
    pub order_id: &'a str,
    pub marketplace: &'a str,
    pub purchase_day: Option<i32>,
    pub class: &'a str,
    pub rule: Option<i64>,
    pub counted: bool,
    /// Comma-separated reason codes.
    pub reasons: &'a str,
}

/// The rows of a `cancellations` table, in its order.
pub fn rows(df: &DataFrame) -> PolarsResult<Vec<CancellationRow<'_>>> {
    let (ids, m, day, class, rule, counted, reasons) = (
        texts(df, "order_id")?,
        texts(df, "marketplace")?,
        days(df, "purchase_day")?,
        texts(df, "class")?,
        ints(df, "rule")?,
        flags(df, "counted")?,
        texts(df, "reasons")?,
    );
    Ok((0..df.height())
        .map(|i| CancellationRow {
            order_id: ids[i],
            marketplace: m[i],
            purchase_day: day[i],
            class: class[i],
            rule: rule[i],
            counted: counted[i] == Some(true),
            reasons: reasons[i],
        })
        .collect())
}
