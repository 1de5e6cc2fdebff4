package store

import (
	"context"
	"database/sql"
	"sync"
)

// maxReadStmts bounds the read statement cache: the reads use a fixed set of
// queries (a few dozen with their filter combinations); anything beyond the
// bound runs unprepared rather than growing the cache.
const maxReadStmts = 256

// readStmts caches the prepared statements of the read pool. modernc's
// driver parses a query's SQL on every call otherwise: under the profile of
// get_approval_status that was a fifth of the CPU. A *sql.Stmt prepared on
// the pool is re-prepared per connection on first use there and kept.
type readStmts struct {
	db *sql.DB
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

func newReadStmts(db *sql.DB) *readStmts { return &readStmts{db: db, m: map[string]*sql.Stmt{}} }

// get returns the prepared statement of q, or nil when it cannot be cached.
func (c *readStmts) get(ctx context.Context, q string) *sql.Stmt {
	c.mu.RLock()
	st := c.m[q]
	c.mu.RUnlock()
	if st != nil {
		return st
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st = c.m[q]; st != nil || len(c.m) >= maxReadStmts {
		return st
	}
	st, err := c.db.PrepareContext(ctx, q)
	if err != nil {
		return nil // the unprepared call reports the error
	}
	c.m[q] = st
	return st
}

// close releases every cached statement.
func (c *readStmts) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		_ = st.Close()
		delete(c.m, q)
	}
}

// query runs a read on the pool through the statement cache.
func (s *SQLite) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := s.reads.get(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return s.rdb.QueryContext(ctx, q, args...)
}

// queryRow is query for one row.
func (s *SQLite) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if st := s.reads.get(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.rdb.QueryRowContext(ctx, q, args...)
}

// txQuery runs a read inside a read transaction through the statement cache.
func (s *SQLite) txQuery(ctx context.Context, tx *sql.Tx, q string, args ...any) (*sql.Rows, error) {
	if st := s.reads.get(ctx, q); st != nil {
		return tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, q, args...)
}

// txQueryRow is txQuery for one row.
func (s *SQLite) txQueryRow(ctx context.Context, tx *sql.Tx, q string, args ...any) *sql.Row {
	if st := s.reads.get(ctx, q); st != nil {
		return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, q, args...)
}
