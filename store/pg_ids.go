package store

import (
	"context"
	"fmt"
	"strings"
)

// ClientIDs returns the ids of the clients that have a knowledge graph and
// start with prefix (case-sensitive; empty: every client), in id order (bytes,
// as the columns' "C" collation sorts), at most limit of them (<= 0: 100;
// capped at 1000).
func (p *Postgres) ClientIDs(ctx context.Context, prefix string, limit int) ([]string, error) {
	var args pgArgs
	q := `SELECT DISTINCT client_id FROM graph_nodes`
	if prefix != "" {
		q += ` WHERE client_id LIKE ` + args.add(prefixPattern(prefix))
	}
	q += ` ORDER BY client_id LIMIT ` + args.add(clampLimit(limit, defaultIDLimit, maxIDLimit))
	ids, err := p.queryIDs(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store client ids %q: %w", prefix, err)
	}
	return ids, nil
}

// ApprovalIDs returns the ids of the approval requests that start with prefix
// (case-sensitive; empty: every request), newest first, at most limit of them
// (<= 0: 100; capped at 1000).
func (p *Postgres) ApprovalIDs(ctx context.Context, prefix string, limit int) ([]string, error) {
	var args pgArgs
	q := `SELECT id FROM approvals`
	if prefix != "" {
		q += ` WHERE id LIKE ` + args.add(prefixPattern(prefix))
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ` + args.add(clampLimit(limit, defaultIDLimit, maxIDLimit))
	ids, err := p.queryIDs(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store approval ids %q: %w", prefix, err)
	}
	return ids, nil
}

// prefixPattern is a LIKE pattern matching what starts with s, with the
// wildcards % and _ (and the escape character) in s matched literally. On a
// "C"-collated column PostgreSQL answers it from the btree index.
func prefixPattern(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

func (p *Postgres) queryIDs(ctx context.Context, q string, args ...any) ([]string, error) {
	if p.closed.Load() {
		return nil, ErrClosed
	}
	rows, err := p.pool.Query(ctx, q, args...)
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
