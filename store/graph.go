package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// maxWebhookIDs caps the webhook ids remembered per node and relationship; the
// oldest are dropped first. 20 rather than 100: with UUIDs, 100 ids make every
// row about 4 KiB (an overflow page each), which doubled the cost of merging a
// graph whose nodes are mentioned often, and made get_client_knowledge_graph
// answers mostly ids.
const maxWebhookIDs = 20

// MergeGraph upserts the nodes and relationships of g into the client's graph.
// A node (keyed by client and node id) or relationship (keyed by client,
// source, target and type) that exists keeps its other property keys while the
// new ones overwrite theirs (SQLite's json_patch; a new null value removes the
// key), takes the new label and type, keeps first_seen, moves last_seen to at
// (never backwards) and gains webhookID in its webhook ids (the last 20 are
// kept). The merge runs entirely in SQL, one statement per row, without reading
// rows back into Go: the writer is the one serial section of every write.
func (s *SQLite) MergeGraph(ctx context.Context, g graph.KnowledgeGraph, webhookID string, at time.Time) error {
	if at.IsZero() {
		at = s.now()
	}
	m, err := prepareMerge(g, webhookID, at)
	if err != nil {
		return err
	}
	if err := s.writer.do(ctx, m.apply); err != nil {
		return fmt.Errorf("store merge graph %s: %w", g.ClientID, err)
	}
	return nil
}

// graphMerge is a merge encoded outside the writer, the one serial section of
// every write: one JSON array per table, so that each table takes a single
// statement. The operation may outlive its caller (when ctx ends first), so it
// holds only what was encoded here, never the caller's slices.
type graphMerge struct {
	client, ids, nodes, rels string
	ts                       int64
}

func prepareMerge(g graph.KnowledgeGraph, webhookID string, at time.Time) (*graphMerge, error) {
	if g.ClientID == "" {
		return nil, fmt.Errorf("store merge graph: %w: empty client id", webhook.ErrInvalidArgument)
	}
	m := &graphMerge{client: g.ClientID, ids: "[]", ts: encTime(at)}
	if webhookID != "" {
		b, err := json.Marshal([]string{webhookID})
		if err != nil {
			return nil, fmt.Errorf("store merge graph %s: %w", g.ClientID, err)
		}
		m.ids = string(b)
	}
	var err error
	m.nodes, err = encodeRows(len(g.KnowledgeNodes), func(i int) ([3]string, map[string]any) {
		n := g.KnowledgeNodes[i]
		return [3]string{n.ID, n.Type, n.Label}, n.Properties
	})
	if err != nil {
		return nil, fmt.Errorf("store merge graph %s: nodes: %w", g.ClientID, err)
	}
	m.rels, err = encodeRows(len(g.Relationships), func(i int) ([3]string, map[string]any) {
		r := g.Relationships[i]
		return [3]string{r.Source, r.Target, r.Type}, r.Properties
	})
	if err != nil {
		return nil, fmt.Errorf("store merge graph %s: relationships: %w", g.ClientID, err)
	}
	return m, nil
}

// apply runs the merge inside a write transaction.
func (m *graphMerge) apply(ctx context.Context, tx *wtx) error {
	if m.nodes != "" {
		if _, err := tx.ExecContext(ctx, upsertNodes, m.client, m.ts, m.ids, maxWebhookIDs, m.nodes); err != nil {
			return fmt.Errorf("upsert nodes: %w", err)
		}
	}
	if m.rels != "" {
		if _, err := tx.ExecContext(ctx, upsertRelationships, m.client, m.ts, m.ids, maxWebhookIDs, m.rels); err != nil {
			return fmt.Errorf("upsert relationships: %w", err)
		}
	}
	return nil
}

// encodeRows encodes n rows as a JSON array of [k0, k1, k2, properties];
// "" when there are none.
func encodeRows(n int, row func(i int) ([3]string, map[string]any)) (string, error) {
	if n == 0 {
		return "", nil
	}
	rows := make([][4]any, n)
	for i := range rows {
		k, p := row(i)
		if p == nil {
			p = map[string]any{}
		}
		rows[i] = [4]any{k[0], k[1], k[2], p}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// mergeIDs is the SQL that adds the new webhook id (excluded.webhook_ids holds
// it as a one-element array, or is empty) to a stored list unless it is
// already there (its quoted form is searched in the list's text), dropping the
// oldest beyond the cap (parameter 4).
const mergeIDs = `CASE
		WHEN excluded.webhook_ids = '[]' OR instr(webhook_ids, substr(excluded.webhook_ids, 2, length(excluded.webhook_ids) - 2)) > 0
			THEN webhook_ids
		WHEN json_array_length(webhook_ids) >= ?4
			THEN json_insert(json_remove(webhook_ids, '$[0]'), '$[#]', excluded.webhook_ids ->> 0)
		ELSE json_insert(webhook_ids, '$[#]', excluded.webhook_ids ->> 0) END`

// upsertNodes merges the rows of a JSON array (?5) of [id, type, label,
// properties] into one client's (?1) nodes, seen at ?2 by the webhook in ?3.
const upsertNodes = `INSERT INTO graph_nodes
		(client_id, node_id, type, label, properties, first_seen, last_seen, webhook_ids)
		SELECT ?1, value ->> 0, value ->> 1, value ->> 2, value -> 3, ?2, ?2, ?3 FROM json_each(?5) WHERE true
		ON CONFLICT (client_id, node_id) DO UPDATE SET type = excluded.type, label = excluded.label,
			properties = json_patch(properties, excluded.properties),
			first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen),
			webhook_ids = ` + mergeIDs

// upsertRelationships is upsertNodes for rows of [source, target, type, properties].
const upsertRelationships = `INSERT INTO graph_relationships
		(client_id, source, target, type, properties, first_seen, last_seen, webhook_ids)
		SELECT ?1, value ->> 0, value ->> 1, value ->> 2, value -> 3, ?2, ?2, ?3 FROM json_each(?5) WHERE true
		ON CONFLICT (client_id, source, target, type) DO UPDATE SET
			properties = json_patch(properties, excluded.properties),
			first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen),
			webhook_ids = ` + mergeIDs
