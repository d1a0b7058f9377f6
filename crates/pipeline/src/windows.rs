//! Rolling windows over local days, shared by the cancel-rate (7 days) and valid-tracking
//! (30 days) reports: every day from each group's first to its last day gets the sum of
//! the `days` days ending on it (SPEC §3.1, §3.3, §5.4).

use polars::prelude::*;

use crate::tables::sort_by;

/// The day column of the rows given to [`rolling_windows`]: Int32 days since 1970-01-01.
pub const DAY: &str = "day";

/// `rows`: one row per counted thing, with `groups` (strings), [`DAY`] and `values` (Int64
/// counts). Returns `groups`, `window_start`, `window_end` (Date) and the window sums of
/// `values`, sorted by groups then day.
pub fn rolling_windows(rows: LazyFrame, groups: &[&str], values: &[&str], days: i32) -> PolarsResult<LazyFrame> {
    let group_exprs: Vec<Expr> = groups.iter().map(|g| col(*g)).collect();
    let mut keys = group_exprs.clone();
    keys.push(col(DAY));

    // Per-day counts are additive: this is what a distributed run would shuffle and merge.
    // Collected once: the grid and the join both read it.
    let daily = rows.group_by(keys.clone()).agg(values.iter().map(|v| col(*v).sum()).collect::<Vec<_>>()).collect()?;
    let grid = day_grid(daily.clone().lazy(), groups)?;

    let mut order: Vec<&str> = groups.to_vec();
    order.push(DAY);
    let (by, sort_options) = sort_by(&order);
    let window_sums = values
        .iter()
        .map(|v| {
            let running = col(*v).cum_sum(false);
            (running.clone() - running.shift(lit(days as i64)).fill_null(lit(0i64)))
                .over(group_exprs.clone())
                .map(|e| e.alias(*v))
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    Ok(grid
        .lazy()
        .join(daily.lazy(), keys.clone(), keys, JoinArgs::new(JoinType::Left))
        .with_columns(values.iter().map(|v| col(*v).fill_null(lit(0i64))).collect::<Vec<_>>())
        .sort(by, sort_options)
        .with_columns(window_sums)
        .with_columns([
            (col(DAY) - lit(days - 1)).cast(DataType::Date).alias("window_start"),
            col(DAY).cast(DataType::Date).alias("window_end"),
        ]))
}

/// [`rolling_windows`] per marketplace for each window length of `lengths`, stacked, with
/// the length as `window_days` (Int64): the late shipment (10, 30) and on-time delivery (14,
/// 30) tables.
pub fn windows_of_lengths(counts: DataFrame, values: &[&str], lengths: &[i32]) -> PolarsResult<LazyFrame> {
    let windows = lengths
        .iter()
        .map(|&n| {
            Ok(rolling_windows(counts.clone().lazy(), &["marketplace"], values, n)?
                .with_column(lit(n as i64).cast(DataType::Int64).alias("window_days")))
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    concat(windows, UnionArgs::default())
}

/// Every (group, day) from each group's first to its last day.
fn day_grid(daily: LazyFrame, groups: &[&str]) -> PolarsResult<DataFrame> {
    let group_exprs: Vec<Expr> = groups.iter().map(|g| col(*g)).collect();
    let bounds =
        daily.group_by(group_exprs).agg([col(DAY).min().alias("first"), col(DAY).max().alias("last")]).collect()?;
    let first = bounds.column("first")?.i32()?;
    let last = bounds.column("last")?.i32()?;
    let group_values: Vec<&StringChunked> =
        groups.iter().map(|g| bounds.column(g).and_then(|c| c.str())).collect::<PolarsResult<_>>()?;
    let mut grid_groups: Vec<Vec<Option<&str>>> = vec![Vec::new(); groups.len()];
    let mut grid_days: Vec<i32> = Vec::new();
    for i in 0..bounds.height() {
        let (Some(f), Some(l)) = (first.get(i), last.get(i)) else { continue };
        for day in f..=l {
            for (out, values) in grid_groups.iter_mut().zip(&group_values) {
                out.push(values.get(i));
            }
            grid_days.push(day);
        }
    }
    let mut columns: Vec<Column> = groups.iter().zip(grid_groups).map(|(g, v)| Column::new((*g).into(), v)).collect();
    columns.push(Column::new(DAY.into(), grid_days));
    DataFrame::new_infer_height(columns)
}
