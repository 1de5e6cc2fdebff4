package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Stats counts the store's rows, all from one snapshot.
func (p *Postgres) Stats(ctx context.Context) (Stats, error) {
	st := Stats{Inbox: map[string]int{}, Approvals: map[string]int{}}
	err := p.read(ctx, func(tx pgx.Tx) error {
		if err := pgCountBy(ctx, tx, `SELECT state, count(*) FROM inbox_events GROUP BY state`, st.Inbox); err != nil {
			return fmt.Errorf("inbox: %w", err)
		}
		if err := pgCountBy(ctx, tx, `SELECT state, count(*) FROM approvals GROUP BY state`, st.Approvals); err != nil {
			return fmt.Errorf("approvals: %w", err)
		}
		if err := tx.QueryRow(ctx, `SELECT
			(SELECT count(DISTINCT client_id) FROM graph_nodes),
			(SELECT count(*) FROM graph_nodes),
			(SELECT count(*) FROM graph_relationships)`).Scan(&st.Clients, &st.Nodes, &st.Relationships); err != nil {
			return fmt.Errorf("graph: %w", err)
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("store stats: %w", err)
	}
	return st, nil
}

func pgCountBy(ctx context.Context, tx pgx.Tx, query string, into map[string]int) error {
	rows, err := tx.Query(ctx, query)
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
