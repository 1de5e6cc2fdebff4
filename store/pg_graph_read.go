package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// ClientGraph returns one page of the merged graph of one client, as
// SQLite.ClientGraph does, from one snapshot: its nodes of q.NodeTypes in node
// id order after q.After, at most q.Limit of them, and the relationships whose
// later endpoint is on the page.
func (p *Postgres) ClientGraph(ctx context.Context, q graph.GraphQuery) (graph.ClientGraph, error) {
	cg := graph.ClientGraph{ClientID: q.ClientID, Nodes: []graph.StoredNode{},
		Relationships: []graph.StoredRelationship{}}
	if q.ClientID == "" {
		return cg, fmt.Errorf("store client graph: %w: empty client id", webhook.ErrInvalidArgument)
	}
	err := p.read(ctx, func(tx pgx.Tx) error {
		cg.Nodes, cg.Relationships, cg.Truncated, cg.NextCursor = cg.Nodes[:0], cg.Relationships[:0], false, ""
		var args pgArgs
		filter := `client_id = ` + args.add(q.ClientID)
		if len(q.NodeTypes) > 0 {
			filter += ` AND type = ANY(` + args.add(q.NodeTypes) + `)`
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM graph_nodes WHERE `+filter, args...).Scan(&cg.NodeCount); err != nil {
			return fmt.Errorf("count nodes: %w", err)
		}
		if q.After != "" {
			filter += ` AND node_id > ` + args.add(q.After)
		}
		var limit any // NULL: no limit
		if q.Limit > 0 {
			limit = q.Limit + 1 // one more tells whether a next page exists
		}
		nodes, err := pgQueryNodes(ctx, tx, `SELECT `+nodeCols+` FROM graph_nodes WHERE `+filter+
			` ORDER BY node_id LIMIT `+args.add(limit), args...)
		if err != nil {
			return err
		}
		if q.Limit > 0 && len(nodes) > q.Limit {
			nodes = nodes[:q.Limit]
			cg.Truncated = true
			cg.NextCursor = graph.EncodeCursor(nodes[len(nodes)-1].ID)
		}
		for _, n := range nodes {
			cg.Nodes = append(cg.Nodes, n.StoredNode)
		}
		if len(cg.Nodes) == 0 {
			return nil
		}
		last := ""
		if cg.Truncated {
			last = cg.Nodes[len(cg.Nodes)-1].ID
		}
		query, relArgs := pgPageRelationships(q, last)
		cg.Relationships, err = pgQueryRelationships(ctx, tx, query, relArgs...)
		return err
	})
	if err != nil {
		return cg, fmt.Errorf("store client graph %s: %w", q.ClientID, err)
	}
	return cg, nil
}

// pgPageRelationships is the query of a page's relationships: those whose
// later endpoint (the greater node id) lies after q.After and up to last (no
// bound when empty), with both endpoints of q.NodeTypes when given; see
// pageRelationships.
func pgPageRelationships(q graph.GraphQuery, last string) (string, []any) {
	const order = ` ORDER BY source, target, type`
	var args pgArgs
	client := args.add(q.ClientID)
	if q.After == "" && last == "" && len(q.NodeTypes) == 0 { // the whole graph: one scan
		return `SELECT ` + relCols + ` FROM graph_relationships WHERE client_id = ` + client + order, args
	}
	var after, upTo, types string
	if q.After != "" {
		after = args.add(q.After)
	}
	if last != "" {
		upTo = args.add(last)
	}
	if len(q.NodeTypes) > 0 {
		types = args.add(q.NodeTypes)
	}
	half := func(later, earlier, cmp string) string {
		cond := `client_id = ` + client + ` AND ` + earlier + ` ` + cmp + ` ` + later
		if after != "" {
			cond += ` AND ` + later + ` > ` + after
		}
		if upTo != "" {
			cond += ` AND ` + later + ` <= ` + upTo
		}
		if types != "" {
			for _, end := range []string{later, earlier} {
				cond += ` AND EXISTS (SELECT 1 FROM graph_nodes AS n WHERE n.client_id = r.client_id AND n.node_id = r.` +
					end + ` AND n.type = ANY(` + types + `))`
			}
		}
		return `SELECT ` + relCols + ` FROM graph_relationships AS r WHERE ` + cond
	}
	// A self-loop (source = target) is in the first half only.
	return half("source", "target", "<=") + ` UNION ALL ` + half("target", "source", "<") + order, args
}

// pgSearchNodes matches a node whose label or any scalar property value at any
// depth (not a property name) is ILIKE the pattern $1. Beyond ASCII, the
// database's locale decides the case folding (SQLite folds ASCII only).
const pgSearchNodes = `SELECT ` + nodeCols + ` FROM graph_nodes AS n WHERE (n.label ILIKE $1
		OR EXISTS (SELECT 1 FROM jsonb_path_query(n.properties, 'strict $.**') AS v
			WHERE jsonb_typeof(v) IN ('string', 'number', 'boolean') AND (v #>> '{}') ILIKE $1))`

// SearchGraph finds nodes whose label or any property value contains q.Query,
// case-insensitively, with LIKE wildcards in the query matched literally, as
// SQLite.SearchGraph does. Limit defaults to 20 and is capped at 200.
func (p *Postgres) SearchGraph(ctx context.Context, q graph.SearchQuery) ([]graph.SearchHit, error) {
	hits := []graph.SearchHit{}
	if q.Query == "" {
		return hits, fmt.Errorf("store search graph: %w: empty query", webhook.ErrInvalidArgument)
	}
	err := p.read(ctx, func(tx pgx.Tx) error {
		args := pgArgs{likePattern(q.Query)}
		query := pgSearchNodes
		if q.ClientID != "" {
			query += ` AND n.client_id = ` + args.add(q.ClientID)
		}
		if len(q.NodeTypes) > 0 {
			query += ` AND n.type = ANY(` + args.add(q.NodeTypes) + `)`
		}
		query += ` ORDER BY n.client_id, n.node_id LIMIT ` + args.add(clampLimit(q.Limit, defaultSearchLimit, maxSearchLimit))
		nodes, err := pgQueryNodes(ctx, tx, query, args...)
		if err != nil {
			return err
		}
		for _, n := range nodes {
			rels, err := pgQueryRelationships(ctx, tx, `SELECT `+relCols+` FROM graph_relationships
				WHERE client_id = $1 AND (source = $2 OR target = $2)
				ORDER BY source, target, type`, n.clientID, n.ID)
			if err != nil {
				return fmt.Errorf("relationships of %s: %w", n.ID, err)
			}
			hits = append(hits, graph.SearchHit{ClientID: n.clientID, Node: n.StoredNode, Relationships: rels})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store search graph: %w", err)
	}
	return hits, nil
}

// pgQueryNodes runs a query selecting nodeCols.
func pgQueryNodes(ctx context.Context, tx pgx.Tx, query string, args ...any) ([]clientNode, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query nodes: %w", err)
	}
	defer rows.Close()
	out, err := collect(rows, scanNode)
	if err != nil {
		return nil, fmt.Errorf("query nodes: %w", err)
	}
	return out, nil
}

// pgQueryRelationships runs a query selecting relCols.
func pgQueryRelationships(ctx context.Context, tx pgx.Tx, query string, args ...any) ([]graph.StoredRelationship, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query relationships: %w", err)
	}
	defer rows.Close()
	out, err := collect(rows, scanRelationship)
	if err != nil {
		return nil, fmt.Errorf("query relationships: %w", err)
	}
	return out, nil
}
