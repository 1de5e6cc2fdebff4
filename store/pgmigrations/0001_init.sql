-- 0001_init (PostgreSQL): inbox with owned in-flight entries, per-client
-- knowledge graphs, approvals with their audit trail, delivery claims and
-- attempts; the schema of SQLite's migrations 0001 to 0003 in one step.
--
-- Times are BIGINT nanoseconds since the Unix epoch, UTC, as in the SQLite
-- schema: no precision is lost and a copy between the engines is exact.
-- Ids, client ids and graph keys use the "C" collation, so that ordering is
-- byte order on every server, as in SQLite. Bytes that are hashed or replayed
-- (request bodies, approval parameters, recorded results) are stored exactly
-- (bytea or text); JSON that is only decoded is jsonb.

CREATE TABLE inbox_events (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY,  -- insertion order, breaks ties
    id              TEXT COLLATE "C" PRIMARY KEY,
    idempotency_key TEXT COLLATE "C",        -- NULL: never deduplicated (or released)
    kind            TEXT   NOT NULL,
    source          TEXT   NOT NULL,
    route           TEXT   NOT NULL,
    client_id       TEXT COLLATE "C" NOT NULL,
    received_at     BIGINT NOT NULL,
    headers         JSONB  NOT NULL DEFAULT '{}',
    body            BYTEA,
    body_sha256     TEXT   NOT NULL DEFAULT '',
    owner           TEXT   NOT NULL DEFAULT '',  -- the process running it while received
    deadline        BIGINT,                  -- NULL: not in flight
    state           TEXT   NOT NULL,
    result          TEXT,                    -- JSON, byte for byte as recorded
    error_code      TEXT   NOT NULL DEFAULT '',
    error_message   TEXT   NOT NULL DEFAULT '',
    error_fields    JSONB,                   -- array, NULL: none
    duration_ms     DOUBLE PRECISION NOT NULL DEFAULT 0,
    completed_at    BIGINT
);
CREATE INDEX inbox_events_client ON inbox_events (client_id, received_at);
CREATE INDEX inbox_events_received ON inbox_events (received_at, seq);
CREATE INDEX inbox_events_kind ON inbox_events (kind, received_at);
CREATE INDEX inbox_events_inflight ON inbox_events (received_at) WHERE state = 'received';

-- The idempotency key and the entry that holds it (the newest to take it, until
-- that entry gives it up): the primary key makes "is this a repeat?" one answer
-- for every replica, and the row's lock serializes the repeats of one key. The
-- key is taken before its entry is written, in the same transaction: the
-- reference is checked at commit.
CREATE TABLE inbox_keys (
    idempotency_key TEXT COLLATE "C" PRIMARY KEY,
    event_id        TEXT COLLATE "C" NOT NULL
                    REFERENCES inbox_events (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX inbox_keys_event ON inbox_keys (event_id);

CREATE TABLE graph_nodes (
    client_id   TEXT COLLATE "C" NOT NULL,
    node_id     TEXT COLLATE "C" NOT NULL,
    type        TEXT COLLATE "C" NOT NULL,
    label       TEXT   NOT NULL,
    properties  JSONB  NOT NULL DEFAULT '{}',
    first_seen  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    webhook_ids JSONB  NOT NULL DEFAULT '[]',  -- array, oldest first
    PRIMARY KEY (client_id, node_id)
);

CREATE TABLE graph_relationships (
    client_id   TEXT COLLATE "C" NOT NULL,
    source      TEXT COLLATE "C" NOT NULL,
    target      TEXT COLLATE "C" NOT NULL,
    type        TEXT COLLATE "C" NOT NULL,
    properties  JSONB  NOT NULL DEFAULT '{}',
    first_seen  BIGINT NOT NULL,
    last_seen   BIGINT NOT NULL,
    webhook_ids JSONB  NOT NULL DEFAULT '[]',
    PRIMARY KEY (client_id, source, target, type)
);
CREATE INDEX graph_relationships_target ON graph_relationships (client_id, target);

-- webhook_mcp_merge_patch is SQLite's json_patch (RFC 7396 JSON Merge Patch):
-- the patch's keys overwrite the target's, objects merge recursively, and a
-- null in the patch removes the key.
CREATE FUNCTION webhook_mcp_merge_patch(target JSONB, patch JSONB) RETURNS JSONB
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF patch IS NULL OR jsonb_typeof(patch) <> 'object' THEN
        RETURN patch;
    END IF;
    IF target IS NULL OR jsonb_typeof(target) <> 'object' THEN
        target := '{}';
    END IF;
    RETURN coalesce((
        SELECT jsonb_object_agg(coalesce(p.key, t.key),
            CASE WHEN p.key IS NULL THEN t.value ELSE webhook_mcp_merge_patch(t.value, p.value) END)
        FROM jsonb_each(target) AS t FULL JOIN jsonb_each(patch) AS p ON p.key = t.key
        WHERE p.key IS NULL OR jsonb_typeof(p.value) <> 'null'), '{}');
END
$$;

CREATE TABLE approvals (
    id              TEXT COLLATE "C" PRIMARY KEY,
    action          TEXT   NOT NULL,
    client_id       TEXT COLLATE "C" NOT NULL,
    webhook_id      TEXT   NOT NULL,
    target_url      TEXT   NOT NULL,
    summary         TEXT   NOT NULL,
    params          BYTEA,
    params_sha256   TEXT   NOT NULL,
    requested_by    TEXT   NOT NULL,
    state           TEXT   NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    decided_by      TEXT   NOT NULL DEFAULT '',
    decided_at      BIGINT,
    reason          TEXT   NOT NULL DEFAULT '',
    delivery        JSONB,                   -- approval.Delivery
    updated_at      BIGINT NOT NULL,
    next_attempt_at BIGINT,                  -- NULL: due now
    lease_until     BIGINT                   -- NULL: not claimed
);
CREATE INDEX approvals_created ON approvals (created_at);
CREATE INDEX approvals_state ON approvals (state, created_at);
CREATE INDEX approvals_client ON approvals (client_id, created_at);
CREATE INDEX approvals_due ON approvals (state, next_attempt_at);

CREATE TABLE approval_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    approval_id TEXT COLLATE "C" NOT NULL REFERENCES approvals (id) ON DELETE CASCADE,
    at          BIGINT NOT NULL,
    from_state  TEXT   NOT NULL DEFAULT '',
    to_state    TEXT   NOT NULL,
    actor       TEXT   NOT NULL,
    reason      TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX approval_events_approval ON approval_events (approval_id, id);

CREATE TABLE approval_attempts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    approval_id TEXT COLLATE "C" NOT NULL REFERENCES approvals (id) ON DELETE CASCADE,
    at          BIGINT NOT NULL,
    status_code INTEGER NOT NULL DEFAULT 0,
    latency_ms  DOUBLE PRECISION NOT NULL DEFAULT 0,
    error       TEXT   NOT NULL DEFAULT '',
    response    TEXT   NOT NULL DEFAULT ''   -- first 4 KiB of the response body
);
CREATE INDEX approval_attempts_approval ON approval_attempts (approval_id, id);

-- A row the readiness check rewrites to prove that the store can commit.
CREATE TABLE store_probe (
    id INTEGER PRIMARY KEY,
    at BIGINT  NOT NULL
);
