package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// copyTable is one table that CopySQLiteToPostgres moves: its columns (the
// same names in both schemas), the columns PostgreSQL keeps as jsonb or
// bytea, and the order that keeps PostgreSQL's generated ids in SQLite's order.
type copyTable struct {
	name  string
	cols  []string
	json  map[string]bool
	bytes map[string]bool
	order string
}

// copyTables lists what moves, parents before children. Page sessions and
// confirmation states (shared_tokens) are short-lived and stay behind;
// identity columns (inbox seq, event and attempt ids) are generated anew in
// the same order.
var copyTables = []copyTable{
	{name: "inbox_events", cols: []string{"id", "idempotency_key", "kind", "source", "route", "client_id",
		"received_at", "headers", "body", "body_sha256", "owner", "deadline", "state", "result", "error_code",
		"error_message", "error_fields", "duration_ms", "completed_at"},
		json: map[string]bool{"headers": true, "error_fields": true}, bytes: map[string]bool{"body": true},
		order: "received_at, rowid"},
	{name: "graph_nodes", cols: []string{"client_id", "node_id", "type", "label", "properties", "first_seen",
		"last_seen", "webhook_ids"}, json: map[string]bool{"properties": true, "webhook_ids": true},
		order: "client_id, node_id"},
	{name: "graph_relationships", cols: []string{"client_id", "source", "target", "type", "properties",
		"first_seen", "last_seen", "webhook_ids"}, json: map[string]bool{"properties": true, "webhook_ids": true},
		order: "client_id, source, target, type"},
	{name: "approvals", cols: []string{"id", "action", "client_id", "webhook_id", "target_url", "summary", "params",
		"params_sha256", "requested_by", "state", "created_at", "expires_at", "decided_by", "decided_at", "reason",
		"delivery", "updated_at", "next_attempt_at", "lease_until"},
		json: map[string]bool{"delivery": true}, bytes: map[string]bool{"params": true}, order: "created_at, id"},
	{name: "approval_events", cols: []string{"approval_id", "at", "from_state", "to_state", "actor", "reason"},
		order: "id"},
	{name: "approval_attempts", cols: []string{"approval_id", "at", "status_code", "latency_ms", "error", "response"},
		order: "id"},
}

// CopySQLiteToPostgres copies the inbox, the knowledge graphs and the
// approvals with their audit events and delivery attempts from src to dst,
// in one PostgreSQL transaction: all of it or nothing. dst must hold none of
// them yet. Stop the servers on src first: what they write meanwhile is not
// copied. It returns the rows copied per table.
func CopySQLiteToPostgres(ctx context.Context, src *SQLite, dst *Postgres) (map[string]int64, error) {
	counts := map[string]int64{}
	err := dst.write(ctx, func(tx pgx.Tx) error {
		clear(counts)
		var used bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM inbox_events) OR EXISTS (SELECT 1 FROM graph_nodes)
			OR EXISTS (SELECT 1 FROM approvals)`).Scan(&used); err != nil {
			return err
		}
		if used {
			return fmt.Errorf("the target %s already holds data: copy into an empty database", dst.name)
		}
		for _, tb := range copyTables {
			n, err := copyOne(ctx, src, tx, tb)
			if err != nil {
				return fmt.Errorf("%s: %w", tb.name, err)
			}
			counts[tb.name] = n
		}
		// The idempotency key of each entry that still holds one: the newest.
		tag, err := tx.Exec(ctx, `INSERT INTO inbox_keys (idempotency_key, event_id)
			SELECT DISTINCT ON (idempotency_key) idempotency_key, id FROM inbox_events
			WHERE idempotency_key IS NOT NULL ORDER BY idempotency_key, received_at DESC, seq DESC`)
		counts["inbox_keys"] = tag.RowsAffected()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("copy %s to %s: %w", src.path, dst.name, err)
	}
	return counts, nil
}

// copyOne streams one table from SQLite into PostgreSQL with COPY.
func copyOne(ctx context.Context, src *SQLite, tx pgx.Tx, tb copyTable) (int64, error) {
	q := "SELECT "
	for i, c := range tb.cols {
		if i > 0 {
			q += ", "
		}
		q += `"` + c + `"`
	}
	rows, err := src.rdb.QueryContext(ctx, q+" FROM "+tb.name+" ORDER BY "+tb.order)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var batch [][]any
	var total int64
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		n, err := tx.CopyFrom(ctx, pgx.Identifier{tb.name}, tb.cols, pgx.CopyFromRows(batch))
		total += n
		batch = batch[:0]
		return err
	}
	for rows.Next() {
		vals := make([]any, len(tb.cols))
		ptrs := make([]any, len(tb.cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return total, err
		}
		for i, c := range tb.cols {
			switch v := vals[i].(type) {
			case []byte:
				if !tb.bytes[c] {
					vals[i] = string(v) // SQLite may hand back text as bytes
				}
			case string:
				if tb.bytes[c] {
					vals[i] = []byte(v)
				}
			}
			if tb.json[c] {
				if s, ok := vals[i].(string); ok {
					vals[i] = []byte(s) // raw JSON, decoded by PostgreSQL
				}
			}
		}
		batch = append(batch, vals)
		if len(batch) == 1000 {
			if err := flush(); err != nil {
				return total, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return total, err
	}
	return total, flush()
}
