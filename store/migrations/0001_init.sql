-- 0001_init: inbox, per-client knowledge graphs, approvals and their audit trail.
-- Every time is stored as INTEGER nanoseconds since the Unix epoch, UTC, so that
-- ordering and range filters are plain integer comparisons on an index.

CREATE TABLE inbox_events (
    id              TEXT    PRIMARY KEY,
    idempotency_key TEXT,                 -- NULL: never deduplicated (or released)
    kind            TEXT    NOT NULL,
    source          TEXT    NOT NULL,
    route           TEXT    NOT NULL,
    client_id       TEXT    NOT NULL,
    received_at     INTEGER NOT NULL,
    headers         TEXT    NOT NULL DEFAULT '{}',  -- JSON object
    body            BLOB,
    state           TEXT    NOT NULL,
    result          TEXT,                 -- JSON
    error_code      TEXT    NOT NULL DEFAULT '',
    error_message   TEXT    NOT NULL DEFAULT '',
    duration_ms     REAL    NOT NULL DEFAULT 0,
    completed_at    INTEGER
);
CREATE INDEX inbox_events_idempotency ON inbox_events (idempotency_key, received_at)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX inbox_events_client ON inbox_events (client_id, received_at);
CREATE INDEX inbox_events_received ON inbox_events (received_at);
CREATE INDEX inbox_events_state ON inbox_events (state, received_at);

CREATE TABLE graph_nodes (
    client_id   TEXT    NOT NULL,
    node_id     TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    label       TEXT    NOT NULL,
    properties  TEXT    NOT NULL DEFAULT '{}',  -- JSON object
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    webhook_ids TEXT    NOT NULL DEFAULT '[]',  -- JSON array, oldest first
    PRIMARY KEY (client_id, node_id)
);
-- No index on type: a client's nodes are read by the primary key's client_id
-- prefix, already in node id order, and filtered by type on the way.

CREATE TABLE graph_relationships (
    client_id   TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    target      TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    properties  TEXT    NOT NULL DEFAULT '{}',
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    webhook_ids TEXT    NOT NULL DEFAULT '[]',
    PRIMARY KEY (client_id, source, target, type)
);
CREATE INDEX graph_relationships_target ON graph_relationships (client_id, target);

CREATE TABLE approvals (
    id            TEXT    PRIMARY KEY,
    action        TEXT    NOT NULL,
    client_id     TEXT    NOT NULL,
    webhook_id    TEXT    NOT NULL,
    target_url    TEXT    NOT NULL,
    summary       TEXT    NOT NULL,
    params        BLOB,
    params_sha256 TEXT    NOT NULL,
    requested_by  TEXT    NOT NULL,
    state         TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    decided_by    TEXT    NOT NULL DEFAULT '',
    decided_at    INTEGER,
    reason        TEXT    NOT NULL DEFAULT '',
    delivery      TEXT,                   -- JSON approval.Delivery
    updated_at    INTEGER NOT NULL
);
CREATE INDEX approvals_created ON approvals (created_at);
CREATE INDEX approvals_state ON approvals (state, created_at);
CREATE INDEX approvals_client ON approvals (client_id, created_at);

CREATE TABLE approval_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    approval_id TEXT    NOT NULL REFERENCES approvals (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    from_state  TEXT    NOT NULL DEFAULT '',
    to_state    TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    reason      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX approval_events_approval ON approval_events (approval_id, id);
