-- 0004_tokens: short-lived tokens that every process must honour (reviewer
-- page sessions, in-client confirmation states), kept here rather than in a
-- process's memory so that another process, or a restart, accepts them.

CREATE TABLE shared_tokens (
    kind       TEXT    NOT NULL,
    id         TEXT    NOT NULL,   -- a hash of the token, never the token
    binding    TEXT    NOT NULL DEFAULT '',
    value      TEXT    NOT NULL DEFAULT '',
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX shared_tokens_expires ON shared_tokens (expires_at);
