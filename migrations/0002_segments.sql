-- Saved segments: a name and its rule (typed JSON, see src/segments/rule.rs).
CREATE TABLE segments (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    rule       TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Each model fit: parameters, data window and fallbacks, as JSON (newest last).
CREATE TABLE model_fits (
    id        INTEGER PRIMARY KEY,
    fitted_at TEXT NOT NULL,
    until     TEXT NOT NULL,
    report    TEXT NOT NULL
);
