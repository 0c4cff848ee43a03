-- Secrets that never leave the workspace. `slug_key` keys the personal URLs of microsites: a
-- customer's address is a keyed hash of the campaign and the customer, so it is unguessable,
-- carries no personal data, and stays the same on every render of the campaign.
CREATE TABLE workspace_secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;
INSERT INTO workspace_secrets (name, value) VALUES ('slug_key', randomblob(32));
