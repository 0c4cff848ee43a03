//! A customer's profile as the import folds it: fields, typed attributes, tags and consent.
//! Loaded from and compared against the store to decide what an import changes.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

/// SQLite allows 32766 bound values; `IN (...)` lists are chunked below that.
pub(crate) const IN_CHUNK: usize = 30_000;

#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Profile {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub locale: Option<String>,
    pub attributes: Map<String, Value>,
    pub tags: BTreeSet<String>,
    /// channel -> granted
    pub consent: BTreeMap<String, bool>,
}

impl Profile {
    /// Folds `other` into `self`: `other`'s non-empty values win.
    pub fn overlay(&mut self, other: &Profile) {
        for (mine, theirs) in [
            (&mut self.email, &other.email),
            (&mut self.phone, &other.phone),
            (&mut self.first_name, &other.first_name),
            (&mut self.last_name, &other.last_name),
            (&mut self.locale, &other.locale),
        ] {
            if theirs.is_some() {
                mine.clone_from(theirs);
            }
        }
        for (k, v) in &other.attributes {
            self.attributes.insert(k.clone(), v.clone());
        }
        self.tags.extend(other.tags.iter().cloned());
        for (k, v) in &other.consent {
            self.consent.insert(k.clone(), *v);
        }
    }

    /// Fills only what `self` lacks from `other` (a merged-away duplicate adds, never overrides)
    /// — except a withdrawn consent: the person said no on one of their records, so no it is.
    pub fn fill_from(&mut self, other: &Profile) {
        let mut merged = other.clone();
        merged.overlay(self);
        for (channel, granted) in &other.consent {
            if !granted {
                merged.consent.insert(channel.clone(), false);
            }
        }
        *self = merged;
    }
}

/// Loads the profiles of `ids`.
pub async fn load_profiles(
    conn: &mut SqliteConnection,
    ids: &[i64],
) -> Result<HashMap<i64, Profile>, sqlx::Error> {
    let mut profiles: HashMap<i64, Profile> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(IN_CHUNK) {
        let rows = select_in(
            "SELECT id, email, phone, first_name, last_name, locale, attributes FROM customers WHERE id IN ",
            chunk,
        )
        .build()
        .fetch_all(&mut *conn)
        .await?;
        for row in rows {
            let attributes: String = row.get(6);
            profiles.insert(
                row.get(0),
                Profile {
                    email: row.get(1),
                    phone: row.get(2),
                    first_name: row.get(3),
                    last_name: row.get(4),
                    locale: row.get(5),
                    attributes: serde_json::from_str(&attributes).unwrap_or_default(),
                    ..Profile::default()
                },
            );
        }
        let tags = select_in(
            "SELECT customer_id, tag FROM customer_tags WHERE customer_id IN ",
            chunk,
        )
        .build()
        .fetch_all(&mut *conn)
        .await?;
        for row in tags {
            if let Some(p) = profiles.get_mut(&row.get::<i64, _>(0)) {
                p.tags.insert(row.get(1));
            }
        }
        let consent = select_in(
            "SELECT customer_id, channel, granted FROM customer_consent WHERE customer_id IN ",
            chunk,
        )
        .build()
        .fetch_all(&mut *conn)
        .await?;
        for row in consent {
            if let Some(p) = profiles.get_mut(&row.get::<i64, _>(0)) {
                p.consent.insert(row.get(1), row.get::<i64, _>(2) == 1);
            }
        }
    }
    Ok(profiles)
}

/// `head` followed by `(?, ?, ...)` bound to `ids`. `head` is a fixed string.
pub(crate) fn select_in(head: &'static str, ids: &[i64]) -> QueryBuilder<Sqlite> {
    let mut q = QueryBuilder::new(head);
    q.push("(");
    let mut list = q.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    q.push(")");
    q
}
