package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// ErrReplaced means the database file was deleted or replaced while the store
// had it open: writes would go to a file nobody will read again.
var ErrReplaced = errors.New("the database file was deleted or replaced while in use")

// SQLite result codes (the low byte of an extended code) that mean the store
// cannot commit at all, as opposed to one statement's mistake.
const (
	sqliteReadOnly  = 8
	sqliteIOErr     = 10
	sqliteCorrupt   = 11
	sqliteFull      = 13
	sqliteCantOpen  = 14
	sqliteNotADB    = 26
	sqliteCodeMask  = 0xff
	probeWriteQuery = `INSERT INTO store_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at`
)

// health remembers whether the last write reached the disk.
type health struct {
	path     string
	ident    os.FileInfo
	failure  atomic.Pointer[error] // the last storage failure; nil after a commit
	replaced atomic.Bool
}

// storageFailure reports whether err means the database cannot commit (disk
// full, I/O error, read-only or corrupt file), as opposed to a constraint.
func storageFailure(err error) bool {
	var coded interface{ Code() int }
	if !errors.As(err, &coded) {
		return false
	}
	switch coded.Code() & sqliteCodeMask {
	case sqliteReadOnly, sqliteIOErr, sqliteCorrupt, sqliteFull, sqliteCantOpen, sqliteNotADB:
		return true
	}
	return false
}

// check fails when the file at path is no longer the one opened.
func (h *health) check() error {
	if h.replaced.Load() {
		return ErrReplaced
	}
	fi, err := os.Stat(h.path)
	if err != nil || !os.SameFile(fi, h.ident) {
		h.replaced.Store(true)
		return ErrReplaced
	}
	return nil
}

// observe records the outcome of a write batch.
func (h *health) observe(err error) {
	switch {
	case err == nil:
		h.failure.Store(nil)
	case storageFailure(err) || errors.Is(err, ErrReplaced):
		h.failure.Store(&err)
	}
}

// Health reports whether the store can commit: the database file is still the
// one it opened, and the last write did not fail for lack of space or an I/O
// error (after such a failure it tries a small write to see).
func (s *SQLite) Health(ctx context.Context) error {
	if err := s.health.check(); err != nil {
		return fmt.Errorf("store %s: %w", s.path, err)
	}
	if s.health.failure.Load() == nil {
		return nil
	}
	err := s.writer.do(ctx, func(ctx context.Context, tx *wtx) error {
		_, err := tx.ExecContext(ctx, probeWriteQuery, s.now().UnixNano())
		return err
	})
	if err != nil {
		return fmt.Errorf("store %s cannot commit: %w", s.path, err)
	}
	return nil
}

// markerPath names the file that says a database was created at path.
func markerPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".created")
}

// checkNotLost refuses to start an empty database where one existed: a
// write-ahead log without its database, or a marker left when it was created.
func checkNotLost(path string) error {
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		return fmt.Errorf("store: %s is missing but its write-ahead log %s-wal is there: the database was "+
			"deleted or moved while in use; restore it from a backup, or move the -wal file away to start empty", path, path)
	}
	if b, err := os.ReadFile(markerPath(path)); err == nil {
		return fmt.Errorf("store: %s is missing, but a database was created there at %s (%s): restore it from a "+
			"backup, or delete %s to start an empty one", path, string(b), markerPath(path), markerPath(path))
	}
	return nil
}

// writeMarker records that the database at path exists, once.
func writeMarker(path string, now time.Time) error {
	m := markerPath(path)
	if _, err := os.Stat(m); err == nil {
		return nil
	}
	if err := os.WriteFile(m, []byte(now.UTC().Format(time.RFC3339)), 0o600); err != nil {
		return fmt.Errorf("store: write %s: %w", m, err)
	}
	return nil
}
