-- Sending: each message's fate, per campaign and customer (a customer gets one message per
-- campaign, whichever run it came from). The state is committed as 'sending' before the SMTP
-- transaction starts, so a crash leaves no doubt unrecorded: a 'sending' row whose sender is
-- gone is 'unknown', never silently resent.
CREATE TABLE sends (
    campaign     TEXT NOT NULL,
    customer_id  INTEGER NOT NULL,
    run_id       INTEGER NOT NULL,
    -- The .eml file, relative to the run's folder.
    file         TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'unknown', 'excluded')),
    message_id   TEXT NOT NULL,
    -- The server's last reply (or why the message was excluded or its fate is unknown).
    reply        TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    -- A temporary failure is retried from then on (unix seconds).
    not_before   INTEGER NOT NULL DEFAULT 0,
    -- The sender that claimed it (its lock file says whether it still runs).
    sender       TEXT,
    -- When it was handed to the server (unix seconds): the day's limit counts these.
    sent_at      INTEGER,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (campaign, customer_id)
) WITHOUT ROWID;
-- The next message to claim, in customer order.
CREATE INDEX sends_waiting ON sends(campaign, state, customer_id);
CREATE INDEX sends_by_time ON sends(sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX sends_by_customer ON sends(customer_id);

-- Addresses that get no email: unsubscribed by hand, hard bounces, complaints, repeated soft
-- bounces. Kept as a keyed hash of the normalized address, never in clear, so an erased
-- customer's address stays suppressed without being kept.
CREATE TABLE suppressions (
    address_hash BLOB PRIMARY KEY,
    reason       TEXT NOT NULL CHECK (reason IN ('manual', 'hard_bounce', 'complaint', 'soft_bounces', 'unsubscribed')),
    source       TEXT NOT NULL,
    created_at   TEXT NOT NULL
) WITHOUT ROWID;

-- Soft bounces counted per address (hashed as above) until they suppress it.
CREATE TABLE soft_bounces (
    address_hash BLOB PRIMARY KEY,
    count        INTEGER NOT NULL,
    last_at      TEXT NOT NULL
) WITHOUT ROWID;

-- Each customer's opaque unsubscribe token (a keyed hash: it carries no personal data, and a
-- token of another workspace is found in none but its own).
CREATE TABLE unsubscribe_tokens (
    token       TEXT PRIMARY KEY,
    customer_id INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX unsubscribe_tokens_by_customer ON unsubscribe_tokens(customer_id);

INSERT INTO workspace_secrets (name, value) VALUES ('address_key', randomblob(32));
INSERT INTO workspace_secrets (name, value) VALUES ('unsubscribe_key', randomblob(32));
