//! The auto-cancellation report (SPEC §3.2, §5.3): orders Amazon cancelled, or will, for
//! being left unshipped.

use orderhealth_core::OrderView;
use polars::prelude::*;

use crate::tables::read::{ints, texts};
use crate::tables::{self, frame, select_in_order, sort_by, strings, timestamps};

pub fn auto_cancel(orders: &[OrderView]) -> PolarsResult<DataFrame> {
    sorted(auto_cancel_rows(orders)?)
}

/// `auto_cancel` in its order: by deadline, then order id (unique: the same rows in any order
/// sort to the same table).
pub fn sorted(rows: DataFrame) -> PolarsResult<DataFrame> {
    let (by, options) = sort_by(&["deadline", "order_id"]);
    let mut df = rows.lazy().sort(by, options).collect()?;
    df.rechunk_mut();
    Ok(df)
}

/// The `auto_cancel` rows of `orders`, in no particular order.
pub fn auto_cancel_rows(orders: &[OrderView]) -> PolarsResult<DataFrame> {
    let rows: Vec<&OrderView> = orders.iter().filter(|o| o.in_metrics() && o.auto_state.is_some()).collect();
    frame(vec![
        strings("order_id", &rows.iter().map(|o| Some(&*o.order_id)).collect::<Vec<_>>()),
        strings("marketplace", &rows.iter().map(|o| o.marketplace().map(|m| m.code())).collect::<Vec<_>>()),
        timestamps("purchase_ts", rows.iter().map(|o| Some(o.purchase_ts)).collect())?,
        timestamps("expected_ship_ts", rows.iter().map(|o| Some(o.expected_ship().0)).collect())?,
        strings("basis", &rows.iter().map(|o| Some(o.expected_ship().1.as_str())).collect::<Vec<_>>()),
        timestamps("deadline", rows.iter().map(|o| Some(o.deadline)).collect())?,
        Column::new("days_left".into(), rows.iter().map(|o| o.days_left).collect::<Vec<i64>>()),
        strings("state", &rows.iter().map(|o| o.auto_state.map(|s| s.as_str())).collect::<Vec<_>>()),
    ])?
    .lazy()
    .select(select_in_order(tables::AUTO_CANCEL_COLUMNS))
    .collect()
}

/// A row of `auto_cancel`, as `report.html` lists it.
pub struct AutoCancelRow<'a> {
    pub order_id: &'a str,
    pub marketplace: &'a str,
    pub purchase_ts: Option<i64>,
    pub expected_ship_ts: Option<i64>,
    pub deadline: Option<i64>,
    pub days_left: Option<i64>,
    /// `auto_cancelled`, `overdue` or `at_risk`.
    pub state: &'a str,
}

/// The rows of an `auto_cancel` table, in its order (by deadline).
pub fn rows(df: &DataFrame) -> PolarsResult<Vec<AutoCancelRow<'_>>> {
    let (ids, m, purchase, expected, deadline, days_left, state) = (
        texts(df, "order_id")?,
        texts(df, "marketplace")?,
        ints(df, "purchase_ts")?,
        ints(df, "expected_ship_ts")?,
        ints(df, "deadline")?,
        ints(df, "days_left")?,
        texts(df, "state")?,
    );
    Ok((0..df.height())
        .map(|i| AutoCancelRow {
            order_id: ids[i],
            marketplace: m[i],
            purchase_ts: purchase[i],
            expected_ship_ts: expected[i],
            deadline: deadline[i],
            days_left: days_left[i],
            state: state[i],
        })
        .collect())
}
