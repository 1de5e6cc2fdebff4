-- 0003_inflight: every in-flight inbox entry has an owner and a deadline, so
-- that nothing stays "received" after its call is gone; a body hash tells a
-- reused idempotency key from a retry; a failure keeps the fields it named, so
-- that a replayed error equals the first; tool-call entries are listed by kind.

ALTER TABLE inbox_events ADD COLUMN body_sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE inbox_events ADD COLUMN error_fields TEXT;          -- JSON array, NULL: none
ALTER TABLE inbox_events ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE inbox_events ADD COLUMN deadline INTEGER;           -- NULL: not in flight
CREATE INDEX inbox_events_kind ON inbox_events (kind, received_at);
-- Nearly every entry is complete: index only the in-flight ones (one B-tree
-- fewer to update per webhook); a listing by state walks inbox_events_received.
DROP INDEX inbox_events_state;
CREATE INDEX inbox_events_inflight ON inbox_events (received_at) WHERE state = 'received';

-- A row the readiness check rewrites to prove that the store can commit.
CREATE TABLE store_probe (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL
);
