//! Identity merge: records that share an email, a phone or an external id are one person.
//! Grouping is a union-find over the import's records and the existing customers they touch.

use rusqlite::OptionalExtension;
use rustc_hash::{FxHashMap, FxHashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyKind {
    Email,
    Phone,
    External,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Email => "email",
            KeyKind::Phone => "phone",
            KeyKind::External => "external",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub kind: KeyKind,
    pub value: String,
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.kind.as_str(), self.value)
    }
}

/// Which existing customer owns each of `keys`. Runs on SQLite's own API (called through
/// `store::with_sqlite` inside the import's transaction): at a million keys, handing each value
/// across sqlx's worker thread cost more than the lookups.
pub fn load_key_owners(
    db: &rusqlite::Connection,
    keys: &[&Key],
) -> rusqlite::Result<FxHashMap<Key, i64>> {
    let mut owners = FxHashMap::default();
    let customers: i64 = db.query_row("SELECT COALESCE(MAX(id), 0) FROM customers", [], |r| {
        r.get(0)
    })?;
    for kind in [KeyKind::Email, KeyKind::Phone, KeyKind::External] {
        let mut wanted: Vec<&str> = keys
            .iter()
            .filter(|k| k.kind == kind)
            .map(|k| k.value.as_str())
            .collect();
        if wanted.is_empty() {
            continue;
        }
        let mut found = |value: &str, customer: i64| {
            owners.insert(
                Key {
                    kind,
                    value: value.to_string(),
                },
                customer,
            );
        };
        // Looking up a large share of all keys one by one costs more than reading them all once.
        if wanted.len() as i64 * 8 >= customers {
            let wanted: FxHashSet<&str> = wanted.into_iter().collect();
            let mut all =
                db.prepare("SELECT value, customer_id FROM customer_keys WHERE kind = ?1")?;
            let mut rows = all.query([kind.as_str()])?;
            while let Some(row) = rows.next()? {
                let value = row.get_ref(0)?.as_str()?;
                if wanted.contains(value) {
                    found(value, row.get(1)?);
                }
            }
        } else {
            // In key order, consecutive lookups walk the same index pages.
            wanted.sort_unstable();
            let mut one =
                db.prepare("SELECT customer_id FROM customer_keys WHERE kind = ?1 AND value = ?2")?;
            for value in wanted {
                if let Some(customer) = one
                    .query_row((kind.as_str(), value), |r| r.get(0))
                    .optional()?
                {
                    found(value, customer);
                }
            }
        }
    }
    Ok(owners)
}

/// One person: the import records that belong together and the existing customers they match.
#[derive(Debug, Default)]
pub struct Group {
    /// Indexes into the import's records, in file order.
    pub records: Vec<usize>,
    /// Existing customers matched, ascending; the first survives, the others are merged into it.
    pub existing: Vec<i64>,
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] != x {
            self.0[x] = self.0[self.0[x]];
            x = self.0[x];
        }
        x
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.0[hi] = lo;
        }
    }
}

/// Groups records (each given by its keys) with each other and with the existing owners of
/// their keys. Groups come out in the order of their first record.
pub fn group_records(record_keys: &[&[Key]], owners: &FxHashMap<Key, i64>) -> Vec<Group> {
    let n = record_keys.len();
    let mut uf = UnionFind((0..n).collect());
    let keys = record_keys.iter().map(|k| k.len()).sum();
    let mut first_with_key: FxHashMap<&Key, usize> =
        FxHashMap::with_capacity_and_hasher(keys, Default::default());
    let mut first_with_owner: FxHashMap<i64, usize> =
        FxHashMap::with_capacity_and_hasher(owners.len(), Default::default());
    for (i, keys) in record_keys.iter().enumerate() {
        for key in keys.iter() {
            match first_with_key.get(key) {
                Some(&j) => uf.union(i, j),
                None => {
                    first_with_key.insert(key, i);
                }
            }
            if let Some(&owner) = owners.get(key) {
                match first_with_owner.get(&owner) {
                    Some(&j) => uf.union(i, j),
                    None => {
                        first_with_owner.insert(owner, i);
                    }
                }
            }
        }
    }
    let mut group_of_root: FxHashMap<usize, usize> =
        FxHashMap::with_capacity_and_hasher(n, Default::default());
    let mut groups: Vec<Group> = Vec::new();
    for (i, keys) in record_keys.iter().enumerate() {
        let root = uf.find(i);
        let g = *group_of_root.entry(root).or_insert_with(|| {
            groups.push(Group::default());
            groups.len() - 1
        });
        groups[g].records.push(i);
        for key in keys.iter() {
            if let Some(&owner) = owners.get(key) {
                if !groups[g].existing.contains(&owner) {
                    groups[g].existing.push(owner);
                }
            }
        }
    }
    for g in &mut groups {
        g.existing.sort_unstable();
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kind: KeyKind, v: &str) -> Key {
        Key {
            kind,
            value: v.into(),
        }
    }

    #[test]
    fn shared_keys_join_records_and_existing_customers() {
        let records = [
            vec![key(KeyKind::Email, "a@x.com")],
            vec![key(KeyKind::Phone, "+1555000111")],
            vec![
                key(KeyKind::Email, "a@x.com"),
                key(KeyKind::Phone, "+1555000111"),
            ],
            vec![key(KeyKind::Email, "b@x.com")],
        ];
        let owners = FxHashMap::from_iter([
            (key(KeyKind::Phone, "+1555000111"), 7),
            (key(KeyKind::Email, "a@x.com"), 3),
        ]);
        let records: Vec<&[Key]> = records.iter().map(Vec::as_slice).collect();
        let groups = group_records(&records, &owners);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].records, vec![0, 1, 2]);
        assert_eq!(groups[0].existing, vec![3, 7]);
        assert_eq!(
            (groups[1].records.clone(), groups[1].existing.clone()),
            (vec![3], vec![])
        );
    }
}
