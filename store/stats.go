package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Stats are the store's counts reported by /api/status.
type Stats struct {
	// Inbox counts inbox entries by state (received, processed, failed).
	Inbox map[string]int `json:"inbox"`
	// Approvals counts approval requests by state.
	Approvals map[string]int `json:"approvals"`
	// Clients is the number of clients with a stored knowledge graph.
	Clients int `json:"clients"`
	// Nodes is the number of knowledge-graph nodes over all clients.
	Nodes int `json:"nodes"`
	// Relationships is the number of knowledge-graph relationships over all clients.
	Relationships int `json:"relationships"`
}

// Stats counts the store's rows, all from one snapshot.
func (s *SQLite) Stats(ctx context.Context) (Stats, error) {
	st := Stats{Inbox: map[string]int{}, Approvals: map[string]int{}}
	tx, err := s.rdb.BeginTx(ctx, nil)
	if err != nil {
		return st, fmt.Errorf("store stats: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := s.countBy(ctx, tx, `SELECT state, count(*) FROM inbox_events GROUP BY state`, st.Inbox); err != nil {
		return st, fmt.Errorf("store stats: inbox: %w", err)
	}
	if err := s.countBy(ctx, tx, `SELECT state, count(*) FROM approvals GROUP BY state`, st.Approvals); err != nil {
		return st, fmt.Errorf("store stats: approvals: %w", err)
	}
	// The primary key of graph_nodes starts with client_id, so the distinct
	// count walks that index.
	if err := s.txQueryRow(ctx, tx, `SELECT
		(SELECT count(DISTINCT client_id) FROM graph_nodes),
		(SELECT count(*) FROM graph_nodes),
		(SELECT count(*) FROM graph_relationships)`).Scan(&st.Clients, &st.Nodes, &st.Relationships); err != nil {
		return st, fmt.Errorf("store stats: graph: %w", err)
	}
	return st, nil
}

func (s *SQLite) countBy(ctx context.Context, tx *sql.Tx, query string, into map[string]int) error {
	rows, err := s.txQuery(ctx, tx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return err
		}
		into[k] = n
	}
	return rows.Err()
}
