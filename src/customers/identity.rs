//! Identity merge: records that share an external id, an email or a phone are one person —
//! unless their strongest keys disagree: two customer numbers are two people whatever else
//! they share, and two emails sharing a phone (a household, a shop's number) are kept apart as
//! possible duplicates for the user to decide. Grouping is a union-find over the import's
//! records and the existing customers they touch.

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

/// The strong keys (emails, external ids) of existing customers: what says whether a record
/// sharing only a phone with them is the same person.
pub fn load_strong_keys(
    db: &rusqlite::Connection,
    customers: &[i64],
) -> rusqlite::Result<FxHashMap<i64, Vec<Key>>> {
    let mut keys: FxHashMap<i64, Vec<Key>> = FxHashMap::default();
    let mut one = db.prepare(
        "SELECT kind, value FROM customer_keys WHERE customer_id = ?1 AND kind IN ('email', 'external')",
    )?;
    for &customer in customers {
        let mut rows = one.query([customer])?;
        while let Some(row) = rows.next()? {
            let kind = match row.get_ref(0)?.as_str()? {
                "email" => KeyKind::Email,
                _ => KeyKind::External,
            };
            keys.entry(customer).or_default().push(Key {
                kind,
                value: row.get(1)?,
            });
        }
    }
    Ok(keys)
}

/// One person: the import records that belong together and the existing customers they match.
#[derive(Debug, Default)]
pub struct Group {
    /// Indexes into the import's records, in file order.
    pub records: Vec<usize>,
    /// Existing customers matched, ascending; the first survives, the others are merged into it.
    pub existing: Vec<i64>,
}

/// Records kept apart from a record or customer they share a key with, because their
/// strongest keys disagree (different external ids, or different emails sharing a phone):
/// possibly the same person, for the user to decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Apart {
    pub record: usize,
    pub other: Other,
    pub key: Key,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Other {
    Record(usize),
    Customer(i64),
}

/// Who the records are.
#[derive(Debug, Default)]
pub struct Grouping {
    pub groups: Vec<Group>,
    pub apart: Vec<Apart>,
}

/// The strong keys of a set of records and customers taken as one person.
#[derive(Default, Clone)]
struct Strong {
    external: FxHashSet<String>,
    email: FxHashSet<String>,
}

impl Strong {
    fn of(keys: &[Key]) -> Strong {
        let mut strong = Strong::default();
        for k in keys {
            match k.kind {
                KeyKind::External => strong.external.insert(k.value.clone()),
                KeyKind::Email => strong.email.insert(k.value.clone()),
                KeyKind::Phone => false,
            };
        }
        strong
    }

    /// Whether two people joined through a key of `kind` would be one: a shared customer number
    /// says so; different customer numbers say no; a shared phone says so only when their
    /// emails do not disagree either.
    fn agree(&self, other: &Strong, kind: KeyKind) -> bool {
        let disagree = |a: &FxHashSet<String>, b: &FxHashSet<String>| {
            !a.is_empty() && !b.is_empty() && a.is_disjoint(b)
        };
        match kind {
            KeyKind::External => true,
            KeyKind::Email => !disagree(&self.external, &other.external),
            KeyKind::Phone => {
                !disagree(&self.external, &other.external) && !disagree(&self.email, &other.email)
            }
        }
    }

    fn absorb(&mut self, other: Strong) {
        self.external.extend(other.external);
        self.email.extend(other.email);
    }
}

struct UnionFind {
    parent: Vec<usize>,
    strong: Vec<Strong>,
}

impl UnionFind {
    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    /// Joins `a` and `b` through a key of `kind` if their people agree; whether they are one.
    fn union(&mut self, a: usize, b: usize, kind: KeyKind) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return true;
        }
        if !self.strong[ra].agree(&self.strong[rb], kind) {
            return false;
        }
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[hi] = lo;
        let moved = std::mem::take(&mut self.strong[hi]);
        self.strong[lo].absorb(moved);
        true
    }
}

/// Groups records (each given by its keys) with each other and with the existing owners of
/// their keys (`owner_keys`: those owners' strong keys). A shared external id joins; a shared
/// email joins unless the external ids differ; a shared phone joins unless the external ids or
/// the emails differ — those are kept apart and reported. Groups come out in the order of
/// their first record.
pub fn group_records(
    record_keys: &[&[Key]],
    owners: &FxHashMap<Key, i64>,
    owner_keys: &FxHashMap<i64, Vec<Key>>,
) -> Grouping {
    let n = record_keys.len();
    // Nodes: the records, then the existing customers their keys name.
    let mut owner_node: FxHashMap<i64, usize> = FxHashMap::default();
    let mut strong: Vec<Strong> = record_keys.iter().map(|k| Strong::of(k)).collect();
    let mut owner_of_node: Vec<i64> = Vec::new();
    for keys in record_keys {
        for key in keys.iter() {
            if let Some(&owner) = owners.get(key) {
                owner_node.entry(owner).or_insert_with(|| {
                    owner_of_node.push(owner);
                    strong.push(Strong::of(owner_keys.get(&owner).map_or(&[], Vec::as_slice)));
                    n + owner_of_node.len() - 1
                });
            }
        }
    }
    let mut uf = UnionFind {
        parent: (0..strong.len()).collect(),
        strong,
    };
    let mut apart = Vec::new();
    // The strongest keys first: whether a phone may join depends on what they joined.
    for kind in [KeyKind::External, KeyKind::Email, KeyKind::Phone] {
        let mut first_with_key: FxHashMap<&Key, usize> = FxHashMap::default();
        for (i, keys) in record_keys.iter().enumerate() {
            for key in keys.iter().filter(|k| k.kind == kind) {
                let earlier = first_with_key.get(key).copied();
                if earlier.is_none() {
                    first_with_key.insert(key, i);
                }
                if let Some(j) = earlier {
                    if !uf.union(i, j, kind) {
                        apart.push(Apart {
                            record: i,
                            other: Other::Record(j),
                            key: key.clone(),
                        });
                    }
                }
                if let Some(owner) = owners.get(key) {
                    if !uf.union(i, owner_node[owner], kind) {
                        apart.push(Apart {
                            record: i,
                            other: Other::Customer(*owner),
                            key: key.clone(),
                        });
                    }
                }
            }
        }
    }
    let mut group_of_root: FxHashMap<usize, usize> =
        FxHashMap::with_capacity_and_hasher(n, Default::default());
    let mut groups: Vec<Group> = Vec::new();
    for i in 0..n {
        let root = uf.find(i);
        let g = *group_of_root.entry(root).or_insert_with(|| {
            groups.push(Group::default());
            groups.len() - 1
        });
        groups[g].records.push(i);
    }
    for (k, &owner) in owner_of_node.iter().enumerate() {
        let root = uf.find(n + k);
        if let Some(&g) = group_of_root.get(&root) {
            groups[g].existing.push(owner);
        }
    }
    for g in &mut groups {
        g.existing.sort_unstable();
    }
    // Kept apart from what they ended up joining after all is no news.
    apart.retain(|a| {
        let other = match a.other {
            Other::Record(j) => j,
            Other::Customer(c) => n + owner_of_node.iter().position(|&o| o == c).unwrap_or(0),
        };
        uf.find(a.record) != uf.find(other)
    });
    Grouping { groups, apart }
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
        let groups = group_records(&records, &owners, &FxHashMap::default()).groups;
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].records, vec![0, 1, 2]);
        assert_eq!(groups[0].existing, vec![3, 7]);
        assert_eq!(
            (groups[1].records.clone(), groups[1].existing.clone()),
            (vec![3], vec![])
        );
    }

    #[test]
    fn people_whose_strongest_keys_disagree_are_kept_apart() {
        let records = [
            // Two people of one household: different emails, one phone.
            vec![key(KeyKind::Email, "ann@x.com"), key(KeyKind::Phone, "+1555")],
            vec![key(KeyKind::Email, "bob@x.com"), key(KeyKind::Phone, "+1555")],
            // Two customer numbers sharing a family email.
            vec![key(KeyKind::External, "C1"), key(KeyKind::Email, "family@x.com")],
            vec![key(KeyKind::External, "C2"), key(KeyKind::Email, "family@x.com")],
            // One customer number with a new email: one person.
            vec![key(KeyKind::External, "C3"), key(KeyKind::Email, "old@x.com")],
            vec![key(KeyKind::External, "C3"), key(KeyKind::Email, "new@x.com")],
            // A phone alone joins the one person who has it.
            vec![key(KeyKind::Phone, "+1777")],
            vec![key(KeyKind::Email, "cat@x.com"), key(KeyKind::Phone, "+1777")],
        ];
        let records: Vec<&[Key]> = records.iter().map(Vec::as_slice).collect();
        let grouping = group_records(&records, &FxHashMap::default(), &FxHashMap::default());
        let groups: Vec<Vec<usize>> = grouping.groups.iter().map(|g| g.records.clone()).collect();
        assert_eq!(
            groups,
            vec![vec![0], vec![1], vec![2], vec![3], vec![4, 5], vec![6, 7]]
        );
        let apart: Vec<(usize, Other)> = grouping.apart.iter().map(|a| (a.record, a.other)).collect();
        assert_eq!(apart, vec![(3, Other::Record(2)), (1, Other::Record(0))]);
        // An existing customer whose email differs is not joined by a shared phone.
        let owners = FxHashMap::from_iter([(key(KeyKind::Phone, "+1999"), 7)]);
        let owner_keys = FxHashMap::from_iter([(7, vec![key(KeyKind::Email, "dan@x.com")])]);
        let record = [vec![key(KeyKind::Email, "eve@x.com"), key(KeyKind::Phone, "+1999")]];
        let records: Vec<&[Key]> = record.iter().map(Vec::as_slice).collect();
        let grouping = group_records(&records, &owners, &owner_keys);
        assert!(grouping.groups[0].existing.is_empty());
        assert_eq!(grouping.apart[0].other, Other::Customer(7));
    }
}
