//! A segment's customers as CSV, with the columns the user asks for (any merge field).

use serde_json::Value;

use super::CustomerContext;
use crate::customers::csv_field;

/// One header row of `columns`, then a row per customer; lists (tags) are joined with `;`.
pub fn members_csv(customers: &[CustomerContext], columns: &[String]) -> String {
    let mut csv = columns
        .iter()
        .map(|c| csv_field(c))
        .collect::<Vec<_>>()
        .join(",");
    csv.push('\n');
    for c in customers {
        let row: Vec<String> = columns
            .iter()
            .map(|column| match c.data.get(column) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => csv_field(s),
                Some(Value::Array(items)) => csv_field(
                    &items
                        .iter()
                        .map(|i| i.as_str().map_or_else(|| i.to_string(), String::from))
                        .collect::<Vec<_>>()
                        .join(";"),
                ),
                Some(other) => csv_field(&other.to_string()),
            })
            .collect();
        csv.push_str(&row.join(","));
        csv.push('\n');
    }
    csv
}
