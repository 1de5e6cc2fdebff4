-- 0002_deliveries: retry scheduling and claims for approved deliveries, and the
-- log of every delivery attempt.

ALTER TABLE approvals ADD COLUMN next_attempt_at INTEGER;  -- NULL: due now
ALTER TABLE approvals ADD COLUMN lease_until INTEGER;      -- NULL: not claimed
CREATE INDEX approvals_due ON approvals (state, next_attempt_at);

CREATE TABLE approval_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    approval_id TEXT    NOT NULL REFERENCES approvals (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    status_code INTEGER NOT NULL DEFAULT 0,
    latency_ms  REAL    NOT NULL DEFAULT 0,
    error       TEXT    NOT NULL DEFAULT '',
    response    TEXT    NOT NULL DEFAULT ''   -- first 4 KiB of the response body
);
CREATE INDEX approval_attempts_approval ON approval_attempts (approval_id, id);
