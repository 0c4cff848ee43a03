-- A workspace: customers with their identities, tags and consent; events; templates; import and merge logs.

CREATE TABLE customers (
    id          INTEGER PRIMARY KEY,
    email       TEXT,
    phone       TEXT,
    first_name  TEXT,
    last_name   TEXT,
    locale      TEXT,
    -- typed custom attributes as a JSON object; types live in attribute_types
    attributes  TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- Every key that identifies a person: normalized email, phone or external id.
-- Records sharing any key are one customer (identity merge).
CREATE TABLE customer_keys (
    kind        TEXT NOT NULL CHECK (kind IN ('email', 'phone', 'external')),
    value       TEXT NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    PRIMARY KEY (kind, value)
) WITHOUT ROWID;
CREATE INDEX customer_keys_by_customer ON customer_keys(customer_id);

CREATE TABLE customer_tags (
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    tag         TEXT NOT NULL,
    PRIMARY KEY (customer_id, tag)
) WITHOUT ROWID;
CREATE INDEX customer_tags_by_tag ON customer_tags(tag);

CREATE TABLE customer_consent (
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    channel     TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'push')),
    granted     INTEGER NOT NULL CHECK (granted IN (0, 1)),
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (customer_id, channel)
) WITHOUT ROWID;

CREATE TABLE attribute_types (
    name TEXT PRIMARY KEY,
    type TEXT NOT NULL CHECK (type IN ('number', 'bool', 'date', 'text', 'json'))
);

CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    occurred_at INTEGER NOT NULL, -- unix seconds, UTC
    type        TEXT NOT NULL,
    value       REAL,
    properties  TEXT NOT NULL DEFAULT '{}',
    -- hash of (customer key, time, type, value, properties): re-importing a file adds nothing
    fingerprint BLOB NOT NULL UNIQUE
);
CREATE INDEX events_by_customer ON events(customer_id, occurred_at);
CREATE INDEX events_by_type ON events(type, occurred_at);

CREATE TABLE templates (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL CHECK (kind IN ('email')),
    source     TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('customers', 'events')),
    file_name   TEXT NOT NULL,
    encoding    TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    inserted    INTEGER NOT NULL,
    updated     INTEGER NOT NULL,
    merged      INTEGER NOT NULL,
    rejected    INTEGER NOT NULL,
    unchanged   INTEGER NOT NULL
);

-- A merge folds one existing customer into another; the folded profile is kept as JSON for audit.
CREATE TABLE customer_merges (
    id          INTEGER PRIMARY KEY,
    survivor_id INTEGER NOT NULL,
    merged_id   INTEGER NOT NULL,
    matched_on  TEXT NOT NULL,
    import_id   INTEGER REFERENCES imports(id),
    snapshot    TEXT NOT NULL,
    merged_at   TEXT NOT NULL
);
CREATE INDEX customer_merges_by_merged ON customer_merges(merged_id);
