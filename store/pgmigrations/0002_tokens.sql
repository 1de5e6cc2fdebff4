-- 0002_tokens (PostgreSQL): short-lived tokens that every replica must honour
-- (reviewer page sessions, in-client confirmation states), as SQLite's 0004.

CREATE TABLE shared_tokens (
    kind       TEXT COLLATE "C" NOT NULL,
    id         TEXT COLLATE "C" NOT NULL,   -- a hash of the token, never the token
    binding    TEXT   NOT NULL DEFAULT '',
    value      TEXT   NOT NULL DEFAULT '',
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX shared_tokens_expires ON shared_tokens (expires_at);
