package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// GetEvent returns one inbox entry with its raw body, or webhook.ErrNotFound.
func (p *Postgres) GetEvent(ctx context.Context, id string) (webhook.InboxEvent, error) {
	row := p.pool.QueryRow(ctx, `SELECT `+eventCols+`, body FROM inbox_events WHERE id = $1`, id)
	var body []byte
	e, err := scanEvent(withBody{r: row, body: &body})
	if errors.Is(err, pgx.ErrNoRows) {
		return webhook.InboxEvent{}, fmt.Errorf("store event %s: %w", id, webhook.ErrNotFound)
	}
	if err != nil {
		return webhook.InboxEvent{}, fmt.Errorf("store event %s: %w", id, err)
	}
	e.Body = body
	return e, nil
}

// GraphNode returns one node of a client's merged graph with its direct
// relationships in either direction, or graph.ErrNotFound.
func (p *Postgres) GraphNode(ctx context.Context, clientID, nodeID string) (graph.SearchHit, error) {
	var hit graph.SearchHit
	err := p.read(ctx, func(tx pgx.Tx) error {
		nodes, err := pgQueryNodes(ctx, tx, `SELECT `+nodeCols+` FROM graph_nodes WHERE client_id = $1 AND node_id = $2`,
			clientID, nodeID)
		if err != nil {
			return err
		}
		if len(nodes) == 0 {
			return graph.ErrNotFound
		}
		rels, err := pgQueryRelationships(ctx, tx, `SELECT `+relCols+` FROM graph_relationships
			WHERE client_id = $1 AND (source = $2 OR target = $2)
			ORDER BY source, target, type`, clientID, nodeID)
		if err != nil {
			return fmt.Errorf("relationships: %w", err)
		}
		hit = graph.SearchHit{ClientID: clientID, Node: nodes[0].StoredNode, Relationships: rels}
		return nil
	})
	if err != nil {
		return graph.SearchHit{}, fmt.Errorf("store graph node %s/%s: %w", clientID, nodeID, err)
	}
	return hit, nil
}
