//! Which events are purchases: the one list scores, value models and merge data read.

/// Event types that count as purchases, as an SQL list (a macro so queries stay `&'static str`).
macro_rules! purchase_types_sql {
    () => {
        "('purchase', 'order', '购买', '订单')"
    };
}

pub(crate) use purchase_types_sql;
