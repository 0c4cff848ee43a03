//! The merge data of each customer: one model for every format (email now; microsites and
//! storyboards later). Fields, attributes, tags, consent, purchase history and recommendations.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde_json::{json, Map, Value};
use sqlx::SqlitePool;

use crate::customers::attributes::number_value;
use crate::customers::names::{display_name, greeting_name};
use crate::customers::purchases::purchase_types_sql;
use crate::store::{with_sqlite, StoreError};

/// Which customers to load.
#[derive(Debug, Clone)]
pub enum Selection {
    All,
    Customer(i64),
    /// The members of a segment.
    Customers(Vec<i64>),
}

pub struct CustomerContext {
    pub id: i64,
    pub email: Option<String>,
    /// Explicitly withdrew email consent: never rendered for sending.
    pub email_opted_out: bool,
    pub data: Value,
}

#[derive(Default)]
struct Purchase {
    at: i64,
    value: Option<f64>,
    product: Option<String>,
    category: Option<String>,
    properties: Map<String, Value>,
}

/// A product others bought, most bought first: its latest purchase as a recommendation.
struct Popular<'a> {
    category: &'a str,
    product: &'a str,
    item: Value,
}

fn date_text(ts: i64) -> String {
    DateTime::from_timestamp(ts, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn product_json(p: &Purchase) -> Value {
    let mut item = p.properties.clone();
    item.insert(
        "name".into(),
        p.product.clone().map_or(Value::Null, Value::String),
    );
    item.entry("category")
        .or_insert_with(|| p.category.clone().map_or(Value::Null, Value::String));
    item.entry("price")
        .or_insert_with(|| p.value.map_or(Value::Null, number_value));
    item.insert("date".into(), Value::String(date_text(p.at)));
    Value::Object(item)
}

/// A customer's row, tags and consent as read, before the merge data is built from them.
struct Row {
    id: i64,
    email: Option<String>,
    phone: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    locale: Option<String>,
    attributes: String,
    tags: BTreeSet<String>,
    consent: BTreeMap<String, bool>,
}

/// Everything the merge data is made of, read in one snapshot through SQLite's own API (sqlx
/// costs about 4 µs a row, and a campaign reads hundreds of thousands).
struct Read {
    rows: Vec<Row>,
    /// (customer, time, value, properties JSON) of every purchase, in time order.
    purchases: Vec<(i64, i64, Option<f64>, String)>,
}

fn read(db: &rusqlite::Connection, ids: Option<&[i64]>) -> rusqlite::Result<Read> {
    // The ids as one bound JSON array: any number of them, one statement.
    let wanted = ids.map(|ids| serde_json::to_string(ids).unwrap_or_default());
    let filter = |column: &str| match wanted {
        Some(_) => format!(" WHERE {column} IN (SELECT value FROM json_each(?1))"),
        None => String::new(),
    };
    let bind: Vec<&dyn rusqlite::ToSql> = match &wanted {
        Some(json) => vec![json],
        None => vec![],
    };
    let mut rows: Vec<Row> = Vec::new();
    let mut statement = db.prepare(&format!(
        "SELECT id, email, phone, first_name, last_name, locale, attributes FROM customers{} ORDER BY id",
        filter("id")
    ))?;
    let mut result = statement.query(bind.as_slice())?;
    while let Some(r) = result.next()? {
        rows.push(Row {
            id: r.get(0)?,
            email: r.get(1)?,
            phone: r.get(2)?,
            first_name: r.get(3)?,
            last_name: r.get(4)?,
            locale: r.get(5)?,
            attributes: r.get(6)?,
            tags: BTreeSet::new(),
            consent: BTreeMap::new(),
        });
    }
    let tags = format!(
        "SELECT customer_id, tag FROM customer_tags{}",
        filter("customer_id")
    );
    add_to_rows(db, &mut rows, &tags, &bind, |row, r| {
        row.tags.insert(r.get(1)?);
        Ok(())
    })?;
    let consent = format!(
        "SELECT customer_id, channel, granted FROM customer_consent{}",
        filter("customer_id")
    );
    add_to_rows(db, &mut rows, &consent, &bind, |row, r| {
        row.consent.insert(r.get(1)?, r.get::<_, i64>(2)? == 1);
        Ok(())
    })?;
    // Purchases of everyone: popularity drives recommendations even for one customer's preview.
    let mut statement = db.prepare(concat!(
        "SELECT customer_id, occurred_at, value, properties FROM events WHERE type IN ",
        purchase_types_sql!(),
        " ORDER BY occurred_at, id"
    ))?;
    let purchases = statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Read { rows, purchases })
}

/// Hands each row of `sql` (a customer id first) to that customer's row (`rows` are in id order).
fn add_to_rows(
    db: &rusqlite::Connection,
    rows: &mut [Row],
    sql: &str,
    bind: &[&dyn rusqlite::ToSql],
    add: impl Fn(&mut Row, &rusqlite::Row) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    let mut statement = db.prepare(sql)?;
    let mut result = statement.query(bind)?;
    while let Some(r) = result.next()? {
        let id: i64 = r.get(0)?;
        if let Ok(i) = rows.binary_search_by_key(&id, |row| row.id) {
            add(&mut rows[i], r)?;
        }
    }
    Ok(())
}

/// Loads the merge data of the selected customers, in id order. `now` fixes relative values
/// (days since last purchase) so renders are reproducible. The data is built on every core.
pub async fn load_contexts(
    pool: &SqlitePool,
    selection: &Selection,
    now: DateTime<Utc>,
) -> Result<Vec<CustomerContext>, StoreError> {
    let ids: Option<Vec<i64>> = match selection {
        Selection::Customer(id) => Some(vec![*id]),
        Selection::Customers(ids) => Some(ids.clone()),
        Selection::All => None,
    };
    let mut conn = pool.acquire().await?;
    let Read { rows, purchases } = with_sqlite(&mut conn, |db| {
        Ok::<_, StoreError>(read(db, ids.as_deref())?)
    })
    .await?;
    drop(conn);
    let purchases: Vec<(i64, Purchase)> = purchases
        .into_par_iter()
        .map(|(customer, at, value, properties)| {
            let properties: Map<String, Value> =
                serde_json::from_str(&properties).unwrap_or_default();
            let text = |k: &[&str]| {
                k.iter()
                    .find_map(|k| properties.get(*k).and_then(Value::as_str).map(String::from))
            };
            let purchase = Purchase {
                at,
                value,
                product: text(&["product", "product_name", "item", "name", "商品"]),
                category: text(&["category", "品类", "类别"]),
                properties,
            };
            (customer, purchase)
        })
        .collect();
    let mut by_customer: HashMap<i64, Vec<&Purchase>> = HashMap::new();
    // (category, product) → (purchases, the latest purchase of it)
    let mut popularity: HashMap<(&str, &str), (usize, &Purchase)> = HashMap::new();
    for (customer, p) in &purchases {
        if let Some(product) = &p.product {
            let category = p.category.as_deref().unwrap_or_default();
            let entry = popularity.entry((category, product)).or_insert((0, p));
            entry.0 += 1;
            entry.1 = p;
        }
        by_customer.entry(*customer).or_default().push(p);
    }
    let mut ranked: Vec<_> = popularity.into_iter().collect();
    ranked.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then_with(|| a.0.cmp(&b.0)));
    // Built once here, not per customer: every customer's recommendations come from these.
    let popular: Vec<Popular> = ranked
        .into_iter()
        .map(|((category, product), (_, latest))| {
            let mut item = product_json(latest);
            if let Some(o) = item.as_object_mut() {
                o.remove("date");
            }
            Popular {
                category,
                product,
                item,
            }
        })
        .collect();
    let none = Vec::new();
    Ok(rows
        .into_par_iter()
        .map(|row| {
            let mine = by_customer.get(&row.id).unwrap_or(&none);
            context(row, mine, &popular, now)
        })
        .collect())
}

/// One customer's merge data.
fn context(
    row: Row,
    mine: &[&Purchase],
    popular: &[Popular],
    now: DateTime<Utc>,
) -> CustomerContext {
    let Row {
        id,
        email,
        phone,
        first_name,
        last_name,
        locale,
        attributes,
        tags,
        consent,
    } = row;
    let attributes: Map<String, Value> = serde_json::from_str(&attributes).unwrap_or_default();
    let consent: Map<String, Value> = consent
        .into_iter()
        .map(|(channel, granted)| (channel, Value::Bool(granted)))
        .collect();
    let email_opted_out = consent.get("email") == Some(&Value::Bool(false));
    let name = display_name(first_name.as_deref(), last_name.as_deref());
    let mut data = attributes.clone();
    data.insert("attributes".into(), Value::Object(attributes));
    data.insert("id".into(), json!(id));
    data.insert("email".into(), json!(email));
    data.insert("phone".into(), json!(phone));
    data.insert("first_name".into(), json!(first_name));
    data.insert("last_name".into(), json!(last_name));
    data.insert("name".into(), json!(name));
    data.insert(
        "greeting_name".into(),
        json!(greeting_name(first_name.as_deref(), last_name.as_deref())),
    );
    data.insert("locale".into(), json!(locale));
    data.insert("tags".into(), json!(tags));
    data.insert("consent".into(), Value::Object(consent));

    let total: f64 = mine.iter().filter_map(|p| p.value).sum();
    data.insert("orders_count".into(), json!(mine.len()));
    data.insert(
        "total_spent".into(),
        number_value((total * 100.0).round() / 100.0),
    );
    data.insert(
        "average_order_value".into(),
        if mine.is_empty() {
            Value::Null
        } else {
            number_value((total / mine.len() as f64 * 100.0).round() / 100.0)
        },
    );
    data.insert(
        "first_purchase_date".into(),
        mine.first()
            .map_or(Value::Null, |p| Value::String(date_text(p.at))),
    );
    data.insert(
        "last_purchase_date".into(),
        mine.last()
            .map_or(Value::Null, |p| Value::String(date_text(p.at))),
    );
    data.insert(
        "days_since_last_purchase".into(),
        mine.last().map_or(Value::Null, |p| {
            json!((now.timestamp() - p.at).max(0) / 86_400)
        }),
    );
    let recent: Vec<Value> = mine.iter().rev().take(3).map(|p| product_json(p)).collect();
    data.insert(
        "last_purchase".into(),
        recent.first().cloned().unwrap_or(Value::Null),
    );
    data.insert("recent_purchases".into(), Value::Array(recent));
    let mut category_counts: HashMap<&str, usize> = HashMap::new();
    for p in mine {
        if let Some(c) = &p.category {
            *category_counts.entry(c).or_default() += 1;
        }
    }
    let favorite = category_counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(c, _)| c.to_string());
    data.insert("favorite_category".into(), json!(favorite));
    if !data.contains_key("recommendations") || !data["recommendations"].is_array() {
        let bought: Vec<&str> = mine.iter().filter_map(|p| p.product.as_deref()).collect();
        let in_favorite = popular
            .iter()
            .filter(|p| Some(p.category) == favorite.as_deref());
        let recs: Vec<Value> = in_favorite
            .chain(popular.iter())
            .filter(|p| !bought.contains(&p.product))
            .fold(Vec::<&Popular>::new(), |mut acc, p| {
                if acc.len() < 3 && !acc.iter().any(|q| q.product == p.product) {
                    acc.push(p);
                }
                acc
            })
            .into_iter()
            .map(|p| p.item.clone())
            .collect();
        data.insert("recommendations".into(), Value::Array(recs));
    }
    CustomerContext {
        id,
        email,
        email_opted_out,
        data: Value::Object(data),
    }
}
