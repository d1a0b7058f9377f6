//! The merged view as a table (SPEC §4 `orders`): what the reports count, order by order.

use orderhealth_core::OrderView;
use polars::prelude::*;

use crate::tables::{frame, strings, timestamps};

pub fn orders_table(orders: &[OrderView]) -> PolarsResult<DataFrame> {
    let flag = |name: &str, f: &dyn Fn(&OrderView) -> bool| {
        Column::new(name.into(), orders.iter().map(f).collect::<Vec<bool>>())
    };
    // The view is already sorted by order_id.
    frame(vec![
        strings("order_id", &orders.iter().map(|o| Some(&*o.order_id)).collect::<Vec<_>>()),
        strings("marketplace", &orders.iter().map(|o| o.marketplace().map(|m| m.code())).collect::<Vec<_>>()),
        strings("channel", &orders.iter().map(|o| Some(o.channel.as_str())).collect::<Vec<_>>()),
        strings("status", &orders.iter().map(|o| Some(o.status.as_str())).collect::<Vec<_>>()),
        timestamps("purchase_ts", orders.iter().map(|o| Some(o.purchase_ts)).collect())?,
        timestamps("expected_ship_ts", orders.iter().map(|o| o.expected_ship_ts).collect())?,
        timestamps("expected_delivery_ts", orders.iter().map(|o| o.expected_delivery_ts).collect())?,
        flag("buyer_requested", &|o| o.buyer_requested),
        flag("shipped", &|o| o.shipped),
        flag("cancelled", &|o| o.cancelled),
        flag("open", &|o| o.open),
        strings("class", &orders.iter().map(|o| o.class.map(|c| c.as_str())).collect::<Vec<_>>()),
    ])
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_follow_the_spec() {
        let df = super::orders_table(&[]).unwrap();
        let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
        assert_eq!(names, crate::tables::ORDERS_COLUMNS);
    }
}
