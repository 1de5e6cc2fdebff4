package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// GetEvent returns one inbox entry with its raw body, or webhook.ErrNotFound.
func (s *SQLite) GetEvent(ctx context.Context, id string) (webhook.InboxEvent, error) {
	row := s.queryRow(ctx, `SELECT `+eventCols+`, body FROM inbox_events WHERE id = ?`, id)
	var body []byte
	e, err := scanEvent(withBody{r: row, body: &body})
	if errors.Is(err, sql.ErrNoRows) {
		return webhook.InboxEvent{}, fmt.Errorf("store event %s: %w", id, webhook.ErrNotFound)
	}
	if err != nil {
		return webhook.InboxEvent{}, fmt.Errorf("store event %s: %w", id, err)
	}
	e.Body = body
	return e, nil
}

// withBody scans the columns scanEvent reads and then the raw body.
type withBody struct {
	r    rowScanner
	body *[]byte
}

func (w withBody) Scan(dest ...any) error { return w.r.Scan(append(dest, w.body)...) }

// GraphNode returns one node of a client's merged graph with its direct
// relationships in either direction, or graph.ErrNotFound.
func (s *SQLite) GraphNode(ctx context.Context, clientID, nodeID string) (graph.SearchHit, error) {
	tx, err := s.rdb.BeginTx(ctx, nil)
	if err != nil {
		return graph.SearchHit{}, fmt.Errorf("store graph node %s/%s: %w", clientID, nodeID, err)
	}
	defer func() { _ = tx.Rollback() }()
	nodes, err := s.queryNodes(ctx, tx, `SELECT `+nodeCols+` FROM graph_nodes WHERE client_id = ? AND node_id = ?`,
		clientID, nodeID)
	if err != nil {
		return graph.SearchHit{}, fmt.Errorf("store graph node %s/%s: %w", clientID, nodeID, err)
	}
	if len(nodes) == 0 {
		return graph.SearchHit{}, fmt.Errorf("store graph node %s/%s: %w", clientID, nodeID, graph.ErrNotFound)
	}
	rels, err := s.queryRelationships(ctx, tx, `SELECT `+relCols+` FROM graph_relationships
		WHERE client_id = ? AND source = ?
		UNION
		SELECT `+relCols+` FROM graph_relationships WHERE client_id = ? AND target = ?
		ORDER BY source, target, type`, clientID, nodeID, clientID, nodeID)
	if err != nil {
		return graph.SearchHit{}, fmt.Errorf("store graph node %s/%s: relationships: %w", clientID, nodeID, err)
	}
	return graph.SearchHit{ClientID: clientID, Node: nodes[0].StoredNode, Relationships: rels}, nil
}
