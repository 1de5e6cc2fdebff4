package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Limits of ClientIDs and ApprovalIDs.
const (
	defaultIDLimit = 100
	maxIDLimit     = 1000
)

// ClientIDs returns the ids of the clients that have a knowledge graph and
// start with prefix (case-sensitive; empty: every client), in id order, at most
// limit of them (<= 0: 100; capped at 1000).
func (s *SQLite) ClientIDs(ctx context.Context, prefix string, limit int) ([]string, error) {
	q, args := `SELECT DISTINCT client_id FROM graph_nodes`, []any{}
	if prefix != "" {
		q, args = q+` WHERE client_id >= ? AND client_id < ?`, append(args, prefix, prefixEnd(prefix))
	}
	ids, err := queryIDs(ctx, s.rdb, q+` ORDER BY client_id LIMIT ?`, append(args, clampLimit(limit, defaultIDLimit, maxIDLimit))...)
	if err != nil {
		return nil, fmt.Errorf("store client ids %q: %w", prefix, err)
	}
	return ids, nil
}

// ApprovalIDs returns the ids of the approval requests that start with prefix
// (case-sensitive; empty: every request), newest first, at most limit of them
// (<= 0: 100; capped at 1000).
func (s *SQLite) ApprovalIDs(ctx context.Context, prefix string, limit int) ([]string, error) {
	q, args := `SELECT id FROM approvals`, []any{}
	if prefix != "" {
		q, args = q+` WHERE id >= ? AND id < ?`, append(args, prefix, prefixEnd(prefix))
	}
	ids, err := queryIDs(ctx, s.rdb, q+` ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, clampLimit(limit, defaultIDLimit, maxIDLimit))...)
	if err != nil {
		return nil, fmt.Errorf("store approval ids %q: %w", prefix, err)
	}
	return ids, nil
}

// prefixEnd is the least string above every string that starts with prefix,
// for a range scan on an index: SQLite compares text bytewise, and no byte of
// UTF-8 text is 0xff.
func prefixEnd(prefix string) string { return prefix + "\xff" }

func queryIDs(ctx context.Context, db *sql.DB, q string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
