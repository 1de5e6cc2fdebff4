package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// Limits of SearchGraph.
const (
	defaultSearchLimit = 20
	maxSearchLimit     = 200
)

const (
	nodeCols = `client_id, node_id, type, label, properties, first_seen, last_seen, webhook_ids`
	relCols  = `client_id, source, target, type, properties, first_seen, last_seen, webhook_ids`
)

// ClientGraph returns one page of the merged graph of one client: its nodes
// of the given types (all when empty) in node id order after q.After, at most
// q.Limit of them (the rest when <= 0), and the relationships between nodes of
// those types whose later endpoint in node id order is on the page. Read page
// after page with NextCursor, a graph's pages hold each node and relationship
// once, and a relationship never comes before one of its endpoints. NodeCount
// counts the nodes of the given types in all pages; Truncated says a next
// page exists.
func (s *SQLite) ClientGraph(ctx context.Context, q graph.GraphQuery) (graph.ClientGraph, error) {
	cg := graph.ClientGraph{ClientID: q.ClientID, Nodes: []graph.StoredNode{},
		Relationships: []graph.StoredRelationship{}}
	if q.ClientID == "" {
		return cg, fmt.Errorf("store client graph: %w: empty client id", webhook.ErrInvalidArgument)
	}
	// One read transaction: the count, the nodes and the edges come from the
	// same snapshot.
	tx, err := s.rdb.BeginTx(ctx, nil)
	if err != nil {
		return cg, fmt.Errorf("store client graph %s: %w", q.ClientID, err)
	}
	defer func() { _ = tx.Rollback() }()

	filter, args := `client_id = ?`, []any{q.ClientID}
	if len(q.NodeTypes) > 0 {
		filter += ` AND type IN (SELECT value FROM json_each(?))`
		args = append(args, jsonList(q.NodeTypes))
	}
	if err := s.txQueryRow(ctx, tx, `SELECT count(*) FROM graph_nodes WHERE `+filter, args...).Scan(&cg.NodeCount); err != nil {
		return cg, fmt.Errorf("store client graph %s: count nodes: %w", q.ClientID, err)
	}
	if q.After != "" {
		filter += ` AND node_id > ?`
		args = append(args, q.After)
	}
	limit := -1 // SQLite: no limit
	if q.Limit > 0 {
		limit = q.Limit + 1 // one more tells whether a next page exists
	}
	nodes, err := s.queryNodes(ctx, tx, `SELECT `+nodeCols+` FROM graph_nodes WHERE `+filter+
		` ORDER BY node_id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return cg, fmt.Errorf("store client graph %s: %w", q.ClientID, err)
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
		return cg, nil
	}
	last := ""
	if cg.Truncated {
		last = cg.Nodes[len(cg.Nodes)-1].ID
	}
	query, relArgs := pageRelationships(q, last)
	if cg.Relationships, err = s.queryRelationships(ctx, tx, query, relArgs...); err != nil {
		return cg, fmt.Errorf("store client graph %s: %w", q.ClientID, err)
	}
	return cg, nil
}

// pageRelationships is the query of a page's relationships: those whose later
// endpoint (the greater node id) lies after q.After and up to last (no bound
// when empty), with both endpoints of q.NodeTypes when given. Each half of the
// union reads one index range: the primary key's (client_id, source) for the
// edges whose later endpoint is the source, graph_relationships_target for
// the others.
func pageRelationships(q graph.GraphQuery, last string) (string, []any) {
	const order = ` ORDER BY source, target, type`
	if q.After == "" && last == "" && len(q.NodeTypes) == 0 { // the whole graph: one scan
		return `SELECT ` + relCols + ` FROM graph_relationships WHERE client_id = ?` + order, []any{q.ClientID}
	}
	var args []any
	half := func(later, earlier string, strict bool) string {
		cond := `client_id = ?`
		args = append(args, q.ClientID)
		if strict {
			cond += ` AND ` + earlier + ` < ` + later
		} else {
			cond += ` AND ` + earlier + ` <= ` + later
		}
		if q.After != "" {
			cond += ` AND ` + later + ` > ?`
			args = append(args, q.After)
		}
		if last != "" {
			cond += ` AND ` + later + ` <= ?`
			args = append(args, last)
		}
		if len(q.NodeTypes) > 0 {
			types := jsonList(q.NodeTypes)
			for _, end := range []string{later, earlier} {
				cond += ` AND EXISTS (SELECT 1 FROM graph_nodes AS n WHERE n.client_id = r.client_id AND n.node_id = r.` +
					end + ` AND n.type IN (SELECT value FROM json_each(?)))`
				args = append(args, types)
			}
		}
		return `SELECT ` + relCols + ` FROM graph_relationships AS r WHERE ` + cond
	}
	// A self-loop (source = target) is in the first half only.
	return half("source", "target", false) + ` UNION ALL ` + half("target", "source", true) + order, args
}

// SearchGraph finds nodes whose label or any property value (at any depth, not
// the property names) contains q.Query, case-insensitively (ASCII case folding,
// as SQLite's LIKE does), with LIKE wildcards in the query matched literally.
// Hits come in client and node id order, each with its direct relationships in
// either direction. Limit defaults to 20 and is capped at 200.
func (s *SQLite) SearchGraph(ctx context.Context, q graph.SearchQuery) ([]graph.SearchHit, error) {
	hits := []graph.SearchHit{}
	if q.Query == "" {
		return hits, fmt.Errorf("store search graph: %w: empty query", webhook.ErrInvalidArgument)
	}
	tx, err := s.rdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store search graph: %w", err)
	}
	defer func() { _ = tx.Rollback() }()

	// json_tree walks every value of the properties at any depth; only scalar
	// values (atoms) are compared, so property names never match.
	query := `SELECT ` + nodeCols + ` FROM graph_nodes AS n WHERE (n.label LIKE ? ESCAPE '\'
		OR EXISTS (SELECT 1 FROM json_tree(n.properties) AS p
			WHERE p.type NOT IN ('object', 'array', 'null')
			AND (CASE p.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE p.atom END) LIKE ? ESCAPE '\'))`
	pattern := likePattern(q.Query)
	args := []any{pattern, pattern}
	if q.ClientID != "" {
		query += ` AND n.client_id = ?`
		args = append(args, q.ClientID)
	}
	if len(q.NodeTypes) > 0 {
		query += ` AND n.type IN (SELECT value FROM json_each(?))`
		args = append(args, jsonList(q.NodeTypes))
	}
	query += ` ORDER BY n.client_id, n.node_id LIMIT ?`
	args = append(args, clampLimit(q.Limit, defaultSearchLimit, maxSearchLimit))
	nodes, err := s.queryNodes(ctx, tx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store search graph: %w", err)
	}
	for _, n := range nodes {
		rels, err := s.queryRelationships(ctx, tx, `SELECT `+relCols+` FROM graph_relationships
			WHERE client_id = ? AND source = ?
			UNION
			SELECT `+relCols+` FROM graph_relationships WHERE client_id = ? AND target = ?
			ORDER BY source, target, type`, n.clientID, n.ID, n.clientID, n.ID)
		if err != nil {
			return nil, fmt.Errorf("store search graph: relationships of %s: %w", n.ID, err)
		}
		hits = append(hits, graph.SearchHit{ClientID: n.clientID, Node: n.StoredNode, Relationships: rels})
	}
	return hits, nil
}

// clientNode is a stored node and its client.
type clientNode struct {
	graph.StoredNode
	clientID string
}

// queryNodes runs a query selecting nodeCols.
func (s *SQLite) queryNodes(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]clientNode, error) {
	rows, err := s.txQuery(ctx, tx, query, args...)
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

// queryRelationships runs a query selecting relCols.
func (s *SQLite) queryRelationships(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]graph.StoredRelationship, error) {
	rows, err := s.txQuery(ctx, tx, query, args...)
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

// decodeProvenance decodes the properties and webhook ids columns. Properties
// are never nil, so that they encode as {} rather than null.
func decodeProvenance(props, ids string, p *map[string]any, w *[]string) error {
	if err := json.Unmarshal([]byte(props), p); err != nil {
		return fmt.Errorf("decode properties: %w", err)
	}
	if *p == nil {
		*p = map[string]any{}
	}
	if err := json.Unmarshal([]byte(ids), w); err != nil {
		return fmt.Errorf("decode webhook ids: %w", err)
	}
	if *w == nil {
		*w = []string{}
	}
	return nil
}
