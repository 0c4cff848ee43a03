//! The 360° view of one customer, and the workspace summary.

use serde_json::Value;
use sqlx::{Row, SqlitePool};

use super::identity::KeyKind;
use super::profile::load_profiles;
use crate::values::{normalize_email, normalize_phone};

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, serde::Serialize)]
pub struct EventView {
    pub occurred_at: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub value: Option<f64>,
    pub properties: Value,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, serde::Serialize)]
pub struct CustomerView {
    pub id: i64,
    /// As the customer's culture writes it (see `names::display_name`).
    pub name: Option<String>,
    #[serde(flatten)]
    pub profile: super::profile::Profile,
    /// Every email, phone and external id that identifies this customer.
    pub keys: Vec<String>,
    /// Customers merged into this one, with the key that matched.
    pub merged_from: Vec<MergeView>,
    pub events: Vec<EventView>,
    /// RFM and the value models' scores, if the customer has purchases.
    pub scores: Option<crate::scores::CustomerScores>,
    pub orders: Orders,
}

/// The customer's purchases in sum: how many, when the last was, what was spent in each
/// currency (a purchase's `currency` property; `None` where the file gave none).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Default, serde::Serialize)]
pub struct Orders {
    pub count: i64,
    pub last_order: Option<String>,
    pub spend: Vec<Spend>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, serde::Serialize)]
pub struct Spend {
    pub currency: Option<String>,
    pub total: f64,
}

fn orders(events: &[EventView]) -> Orders {
    let mut orders = Orders::default();
    for e in events.iter().filter(|e| e.event_type == "purchase") {
        orders.count += 1;
        if orders.last_order.as_deref() < Some(e.occurred_at.as_str()) {
            orders.last_order = Some(e.occurred_at.clone());
        }
        let currency = e.properties["currency"]
            .as_str()
            .map(|c| c.trim().to_uppercase());
        let value = e.value.unwrap_or(0.0);
        match orders.spend.iter_mut().find(|s| s.currency == currency) {
            Some(spend) => spend.total += value,
            None => orders.spend.push(Spend {
                currency,
                total: value,
            }),
        }
    }
    orders
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, serde::Serialize)]
pub struct MergeView {
    pub customer_id: i64,
    pub matched_on: String,
    pub merged_at: String,
    /// The file whose import found that they are one person.
    pub import_file: Option<String>,
    /// The user merged them (a possible duplicate), no import.
    pub by_hand: bool,
}

/// Finds a customer by id, email, phone or external id; a merged-away id leads to its survivor.
pub async fn find_customer(pool: &SqlitePool, reference: &str) -> Result<Option<i64>, sqlx::Error> {
    let reference = reference.trim();
    let mut candidates: Vec<(KeyKind, String)> = Vec::new();
    if let Some(e) = normalize_email(reference) {
        candidates.push((KeyKind::Email, e));
    }
    candidates.push((KeyKind::External, reference.to_string()));
    if let Some(p) = normalize_phone(reference) {
        candidates.push((KeyKind::Phone, p));
    }
    for (kind, value) in candidates {
        let owner: Option<i64> = sqlx::query_scalar(
            "SELECT customer_id FROM customer_keys WHERE kind = ? AND value = ?",
        )
        .bind(kind.as_str())
        .bind(value)
        .fetch_optional(pool)
        .await?;
        if owner.is_some() {
            return Ok(owner);
        }
    }
    let Ok(mut id) = reference.trim_start_matches('#').parse::<i64>() else {
        return Ok(None);
    };
    // Follow merges: a merged-away customer's id still finds the person.
    for _ in 0..64 {
        if sqlx::query_scalar::<_, i64>("SELECT id FROM customers WHERE id = ?")
            .bind(id)
            .fetch_optional(pool)
            .await?
            .is_some()
        {
            return Ok(Some(id));
        }
        match sqlx::query_scalar::<_, i64>(
            "SELECT survivor_id FROM customer_merges WHERE merged_id = ? ORDER BY id DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await?
        {
            Some(survivor) => id = survivor,
            None => return Ok(None),
        }
    }
    Ok(None)
}

pub async fn customer_view(
    pool: &SqlitePool,
    id: i64,
) -> Result<Option<CustomerView>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let Some(profile) = load_profiles(&mut conn, &[id]).await?.remove(&id) else {
        return Ok(None);
    };
    let keys = sqlx::query(
        "SELECT kind, value FROM customer_keys WHERE customer_id = ? ORDER BY kind, value",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| format!("{}:{}", r.get::<String, _>(0), r.get::<String, _>(1)))
    .collect();
    let merged_from = sqlx::query("SELECT m.merged_id, m.matched_on, m.merged_at, i.file_name, m.import_id IS NULL FROM customer_merges m LEFT JOIN imports i ON i.id = m.import_id WHERE m.survivor_id = ? ORDER BY m.id")
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|r| MergeView { customer_id: r.get(0), matched_on: r.get(1), merged_at: r.get(2), import_file: r.get(3), by_hand: r.get(4) })
        .collect();
    let events = sqlx::query("SELECT occurred_at, type, value, properties FROM events WHERE customer_id = ? ORDER BY occurred_at DESC, id DESC")
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|r| EventView {
            occurred_at: chrono::DateTime::from_timestamp(r.get(0), 0).map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_default(),
            event_type: r.get(1),
            value: r.get(2),
            properties: serde_json::from_str(r.get::<&str, _>(3)).unwrap_or(Value::Null),
        })
        .collect::<Vec<_>>();
    drop(conn);
    let scores = crate::scores::customer_scores(pool, id).await?;
    Ok(Some(CustomerView {
        id,
        scores,
        orders: orders(&events),
        name: super::names::display_name(
            profile.first_name.as_deref(),
            profile.last_name.as_deref(),
        ),
        profile,
        keys,
        merged_from,
        events,
    }))
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, serde::Serialize)]
pub struct WorkspaceStatus {
    pub path: String,
    pub customers: i64,
    pub events: i64,
    pub templates: i64,
    pub imports: i64,
    pub merges: i64,
    /// Pairs of customers that may be one person, waiting for the user's decision.
    pub possible_duplicates: i64,
    pub email_opted_out: i64,
    pub attributes: Vec<AttributeInfo>,
}

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, serde::Serialize)]
pub struct AttributeInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub attr_type: String,
}

pub async fn workspace_status(
    pool: &SqlitePool,
    path: &str,
) -> Result<WorkspaceStatus, sqlx::Error> {
    let count =
        |sql: &'static str| async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await };
    Ok(WorkspaceStatus {
        path: path.to_string(),
        customers: count("SELECT COUNT(*) FROM customers").await?,
        events: count("SELECT COUNT(*) FROM events").await?,
        templates: count("SELECT COUNT(*) FROM templates").await?,
        imports: count("SELECT COUNT(*) FROM imports").await?,
        merges: count("SELECT COUNT(*) FROM customer_merges").await?,
        possible_duplicates: super::duplicates::undecided_duplicates(pool).await?,
        email_opted_out: count(
            "SELECT COUNT(*) FROM customer_consent WHERE channel = 'email' AND granted = 0",
        )
        .await?,
        attributes: sqlx::query("SELECT name, type FROM attribute_types ORDER BY name")
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|r| AttributeInfo {
                name: r.get(0),
                attr_type: r.get(1),
            })
            .collect(),
    })
}

/// The 360° view with the saved segments the customer is in (the app's profile panel).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, serde::Serialize)]
pub struct CustomerProfile {
    #[serde(flatten)]
    pub view: CustomerView,
    pub segments: Vec<String>,
    /// The campaigns they were rendered into, newest first, with their personal pages.
    pub received: Vec<crate::campaigns::store::Received>,
}

pub async fn customer_profile(
    pool: &SqlitePool,
    index: &crate::segments::SegmentIndex,
    id: i64,
    clock: crate::segments::Clock,
) -> Result<Option<CustomerProfile>, crate::segments::SegmentError> {
    let Some(mut view) = customer_view(pool, id).await? else {
        return Ok(None);
    };
    let segments = crate::segments::store::memberships(pool, index, id, clock).await?;
    show_local_images(pool, &mut view.events).await?;
    let received = crate::campaigns::store::received_by(pool, id).await?;
    Ok(Some(CustomerProfile {
        view,
        segments,
        received,
    }))
}

/// Event images the workspace keeps a copy of, as data URLs the app's window may show (it loads
/// no remote images).
async fn show_local_images(pool: &SqlitePool, events: &mut [EventView]) -> Result<(), sqlx::Error> {
    let mut urls: Vec<String> = events
        .iter()
        .filter_map(|e| e.properties["image"].as_str().map(String::from))
        .collect();
    urls.sort_unstable();
    urls.dedup();
    let wanted: Vec<&str> = urls.iter().map(String::as_str).collect();
    let local: std::collections::HashMap<String, String> =
        crate::render::images::local_images(pool, &wanted)
            .await?
            .into_iter()
            .collect();
    for e in events {
        let data = e.properties["image"]
            .as_str()
            .and_then(|url| local.get(url));
        if let (Some(data), Some(properties)) =
            (data.cloned(), Value::as_object_mut(&mut e.properties))
        {
            properties.insert("image".into(), Value::String(data));
        }
    }
    Ok(())
}
