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

-- Per-customer scores, recomputed after imports and model fits: RFM quintiles and group, and
-- from the fitted models the probability of being active, expected purchases and spend, and the
-- Value / Attrition / Potential numbers with their low/medium/high bands.
CREATE TABLE customer_scores (
    customer_id        INTEGER PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    recency_days       INTEGER NOT NULL,
    frequency          INTEGER NOT NULL,
    monetary           REAL NOT NULL,
    r                  INTEGER NOT NULL,
    f                  INTEGER NOT NULL,
    m                  INTEGER NOT NULL,
    rfm_group          TEXT NOT NULL,
    p_alive            REAL,
    expected_purchases REAL,
    expected_value     REAL,
    value              REAL NOT NULL,
    attrition          REAL,
    potential          REAL,
    value_band         TEXT NOT NULL,
    attrition_band     TEXT,
    potential_band     TEXT
);
CREATE INDEX customer_scores_by_group ON customer_scores(rfm_group);
