//! The merge data of each customer: one model for every format (email now; microsites and
//! storyboards later). Fields, attributes, tags, consent, purchase history and recommendations.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use sqlx::{Row, SqlitePool};

use crate::customers::attributes::number_value;
use crate::customers::names::display_name;
use crate::customers::profile::{load_profiles, Profile};
use crate::customers::purchases::purchase_types_sql;

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

#[derive(Default, Clone)]
struct Purchase {
    at: i64,
    value: Option<f64>,
    product: Option<String>,
    category: Option<String>,
    properties: Map<String, Value>,
}

/// ((category, product), (purchases, latest purchase))
type PopularProduct<'a> = (&'a (String, String), &'a (usize, Purchase));

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

/// Loads the merge data of the selected customers. `now` fixes relative values
/// (days since last purchase) so renders are reproducible.
pub async fn load_contexts(
    pool: &SqlitePool,
    selection: &Selection,
    now: DateTime<Utc>,
) -> Result<Vec<CustomerContext>, sqlx::Error> {
    // The same profile loading the import uses: fields, attributes, tags, consent.
    let ids: Vec<i64> = match selection {
        Selection::Customer(id) => vec![*id],
        Selection::Customers(ids) => {
            let mut ids = ids.clone();
            ids.sort_unstable();
            ids.dedup();
            ids
        }
        Selection::All => {
            sqlx::query_scalar("SELECT id FROM customers ORDER BY id")
                .fetch_all(pool)
                .await?
        }
    };
    let mut profiles = load_profiles(&mut *pool.acquire().await?, &ids).await?;
    // Purchases of everyone: popularity drives recommendations even for one customer's preview.
    let mut purchases: HashMap<i64, Vec<Purchase>> = HashMap::new();
    let mut popularity: HashMap<(String, String), (usize, Purchase)> = HashMap::new();
    for r in sqlx::query(concat!(
        "SELECT customer_id, occurred_at, value, properties FROM events WHERE type IN ",
        purchase_types_sql!(),
        " ORDER BY occurred_at"
    ))
    .fetch_all(pool)
    .await?
    {
        let properties: Map<String, Value> =
            serde_json::from_str(r.get::<&str, _>(3)).unwrap_or_default();
        let text = |k: &[&str]| {
            k.iter()
                .find_map(|k| properties.get(*k).and_then(Value::as_str).map(String::from))
        };
        let p = Purchase {
            at: r.get(1),
            value: r.get(2),
            product: text(&["product", "product_name", "item", "name", "商品"]),
            category: text(&["category", "品类", "类别"]),
            properties: properties.clone(),
        };
        if let (Some(product), category) = (&p.product, p.category.clone().unwrap_or_default()) {
            let entry = popularity
                .entry((category, product.clone()))
                .or_insert((0, p.clone()));
            entry.0 += 1;
            entry.1 = p.clone();
        }
        purchases.entry(r.get(0)).or_default().push(p);
    }
    let mut popular: Vec<PopularProduct> = popularity.iter().collect();
    popular.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then_with(|| a.0.cmp(b.0)));

    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(profile) = profiles.remove(&id) else {
            continue;
        };
        let Profile {
            email,
            phone,
            first_name,
            last_name,
            locale,
            attributes,
            tags,
            consent,
        } = profile;
        let consent: Map<String, Value> = consent
            .into_iter()
            .map(|(channel, granted)| (channel, Value::Bool(granted)))
            .collect();
        let email_opted_out = consent.get("email") == Some(&Value::Bool(false));
        let name = display_name(first_name.as_deref(), last_name.as_deref());
        let mut data = Map::new();
        for (k, v) in &attributes {
            data.insert(k.clone(), v.clone());
        }
        data.insert("attributes".into(), Value::Object(attributes.clone()));
        data.insert("id".into(), json!(id));
        data.insert("email".into(), json!(email));
        data.insert("phone".into(), json!(phone));
        data.insert("first_name".into(), json!(first_name));
        data.insert("last_name".into(), json!(last_name));
        data.insert("name".into(), json!(name));
        data.insert("locale".into(), json!(locale));
        data.insert("tags".into(), json!(tags));
        data.insert("consent".into(), Value::Object(consent));

        let mine = purchases.remove(&id).unwrap_or_default();
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
        data.insert(
            "last_purchase".into(),
            mine.last().map_or(Value::Null, product_json),
        );
        data.insert(
            "recent_purchases".into(),
            Value::Array(mine.iter().rev().take(3).map(product_json).collect()),
        );
        let mut category_counts: HashMap<&str, usize> = HashMap::new();
        for p in &mine {
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
                .filter(|((c, _), _)| Some(c) == favorite.as_ref());
            let recs: Vec<Value> = in_favorite
                .chain(popular.iter())
                .filter(|((_, product), _)| !bought.contains(&product.as_str()))
                .map(|(_, (_, p))| p)
                .fold(Vec::<&Purchase>::new(), |mut acc, p| {
                    if acc.len() < 3 && !acc.iter().any(|q| q.product == p.product) {
                        acc.push(p);
                    }
                    acc
                })
                .into_iter()
                .map(|p| {
                    let mut item = product_json(p);
                    if let Some(o) = item.as_object_mut() {
                        o.remove("date");
                    }
                    item
                })
                .collect();
            data.insert("recommendations".into(), Value::Array(recs));
        }
        out.push(CustomerContext {
            id,
            email,
            email_opted_out,
            data: Value::Object(data),
        });
    }
    Ok(out)
}
