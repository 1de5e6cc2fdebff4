-- 0005_replay_of: a replayed webhook is a new inbox entry that names the
-- entry whose stored body it ran again ('' for every other entry).

ALTER TABLE inbox_events ADD COLUMN replay_of TEXT NOT NULL DEFAULT '';
