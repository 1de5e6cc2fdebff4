-- 0003_replay_of (PostgreSQL): a replayed webhook is a new inbox entry that
-- names the entry whose stored body it ran again, as SQLite's 0005.

ALTER TABLE inbox_events ADD COLUMN replay_of TEXT COLLATE "C" NOT NULL DEFAULT '';
