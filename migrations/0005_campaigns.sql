-- Campaigns: a name and its document (typed JSON, see src/campaigns/document.rs).
CREATE TABLE campaigns (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    document   TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Each render of a campaign: the document as it was run, where the files went, how it ended.
-- A run that is 'running' with no live process was killed: its files are in `staging`.
CREATE TABLE campaign_runs (
    id          INTEGER PRIMARY KEY,
    campaign    TEXT NOT NULL,
    document    TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL CHECK (status = 'running' OR status = 'done' OR status = 'cancelled' OR status = 'failed'),
    out         TEXT NOT NULL,
    staging     TEXT,
    summary     TEXT
);
CREATE INDEX campaign_runs_by_campaign ON campaign_runs(campaign, id);

-- The delivery log: every piece a run rendered, written after its file. Results, erasure
-- ("which files hold this person") and sending read it.
CREATE TABLE deliveries (
    run_id      INTEGER NOT NULL REFERENCES campaign_runs(id) ON DELETE CASCADE,
    file        TEXT NOT NULL,
    customer_id INTEGER NOT NULL,
    arm         TEXT NOT NULL,
    format      TEXT NOT NULL,
    language    TEXT,
    template    TEXT NOT NULL,
    hash        TEXT NOT NULL,
    rendered_at TEXT NOT NULL,
    PRIMARY KEY (run_id, file)
) WITHOUT ROWID;
CREATE INDEX deliveries_by_customer ON deliveries(customer_id);

-- Template kinds: email now, microsites and storyboards next.
CREATE TABLE templates_rebuilt (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL CHECK (kind = 'email' OR kind = 'microsite' OR kind = 'storyboard'),
    source     TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO templates_rebuilt (id, name, kind, source, updated_at)
    SELECT id, name, kind, source, updated_at FROM templates;
DROP TABLE templates;
ALTER TABLE templates_rebuilt RENAME TO templates;
