-- What a kept segment index (a file beside the workspace) is checked against before it is used:
-- which workspace this is (a copy of another workspace's index file is not trusted), and a counter
-- every change to customers, events, tags, consent or scores increments in its own transaction.
CREATE TABLE workspace_state (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    workspace_id TEXT NOT NULL,
    generation   INTEGER NOT NULL
);
INSERT INTO workspace_state (id, workspace_id, generation) VALUES (1, lower(hex(randomblob(16))), 0);
