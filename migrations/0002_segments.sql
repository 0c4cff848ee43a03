-- Saved segments: a name and its rule (typed JSON, see src/segments/rule.rs).
CREATE TABLE segments (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    rule       TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
