-- Customers an import kept apart although they share a key (a phone, or an email under two
-- customer numbers), because their emails or customer numbers differ: possibly one person,
-- never merged without the user. One row a pair (customer_id < other_id).
CREATE TABLE possible_duplicates (
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    other_id    INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    matched_on  TEXT NOT NULL,
    import_id   INTEGER REFERENCES imports(id),
    found_at    TEXT NOT NULL,
    PRIMARY KEY (customer_id, other_id)
) WITHOUT ROWID;
