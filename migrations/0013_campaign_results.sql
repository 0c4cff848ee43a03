-- Per-recipient results of a campaign as an email service exported them (`tessera campaign
-- results NAME FILE`): one row per customer and campaign, replaced by a later export.
CREATE TABLE campaign_results (
    campaign    TEXT NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    sent        INTEGER NOT NULL CHECK (sent IN (0, 1)),
    opened      INTEGER NOT NULL CHECK (opened IN (0, 1)),
    clicked     INTEGER NOT NULL CHECK (clicked IN (0, 1)),
    converted   INTEGER NOT NULL CHECK (converted IN (0, 1)),
    revenue     REAL NOT NULL DEFAULT 0,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (campaign, customer_id)
) WITHOUT ROWID;
