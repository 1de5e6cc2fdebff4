package store

import (
	"bytes"
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
// kept). The merge runs entirely in SQL, one statement per table, without
// reading rows back into Go: the writer is the one serial section of every
// write. A row whose new properties are empty or the same text as the stored
// ones keeps them without a json_patch (docs/performance.md, "Graph merge").
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
	client      string
	ids         string // the new webhook id as a one-element JSON array, or "[]"
	quoted      []byte // the new webhook id as a JSON string ("id"), nil for none; a blob for instr
	nodes, rels mergeRows
	ts          int64
}

// mergeRows is one table's rows, a JSON array of [k0, k1, k2, properties]
// ("" for none), and whether any row's properties may hold a null.
type mergeRows struct {
	json  string
	nulls bool
}

func prepareMerge(g graph.KnowledgeGraph, webhookID string, at time.Time) (*graphMerge, error) {
	if g.ClientID == "" {
		return nil, fmt.Errorf("store merge graph: %w: empty client id", webhook.ErrInvalidArgument)
	}
	m := &graphMerge{client: g.ClientID, ids: "[]", ts: encTime(at)}
	if webhookID != "" {
		b, err := json.Marshal(webhookID)
		if err != nil {
			return nil, fmt.Errorf("store merge graph %s: %w", g.ClientID, err)
		}
		m.quoted = b
		m.ids = "[" + string(b) + "]"
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
	for _, t := range [...]struct {
		name string
		rows mergeRows
		sql  [2]string
	}{{"nodes", m.nodes, [2]string{upsertNodes, upsertNodesNulls}},
		{"relationships", m.rels, [2]string{upsertRelationships, upsertRelationshipsNulls}}} {
		if t.rows.json == "" {
			continue
		}
		query := t.sql[0]
		if t.rows.nulls {
			query = t.sql[1]
		}
		var quoted any // NULL: no webhook id
		if m.quoted != nil {
			quoted = m.quoted
		}
		if _, err := tx.ExecContext(ctx, query, m.client, m.ts, m.ids, maxWebhookIDs, t.rows.json, quoted); err != nil {
			return fmt.Errorf("upsert %s: %w", t.name, err)
		}
	}
	return nil
}

// encodeRows encodes n rows as a JSON array of [k0, k1, k2, properties].
func encodeRows(n int, row func(i int) ([3]string, map[string]any)) (mergeRows, error) {
	if n == 0 {
		return mergeRows{}, nil
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
		return mergeRows{}, err
	}
	// "null" anywhere (in a key, a text, or a JSON null) takes the statement
	// that patches every row; only a JSON null needs it.
	return mergeRows{json: string(b), nulls: bytes.Contains(b, []byte("null"))}, nil
}

// mergeIDs is the SQL of a row's new webhook ids: the stored list with the new
// id (?6, quoted: "id") appended unless it is empty or already there, the
// oldest dropped beyond the cap (?4). The list is JSON text as json.Marshal
// writes it (["a","b"], no spaces), edited as text where JSON functions would
// parse it and write it back: the search for the id and for the first ","
// (every "," separates two elements, as a quote inside one is escaped) run on
// its bytes, and the append trims the closing bracket. The search is skipped
// when the row was last seen before this merge: the call pipeline commits each
// call id once (RecordEvent inserts it, CompleteEvent completes an in-flight
// entry once), so a later merge cannot already be in the list. Only a merge no
// later than the row's last_seen (out of order, or the same instant) searches.
const mergeIDs = `CASE
		WHEN ?6 IS NULL THEN webhook_ids
		WHEN last_seen >= ?2 AND instr(CAST(webhook_ids AS BLOB), ?6) > 0 THEN webhook_ids
		WHEN webhook_ids = '[]' THEN excluded.webhook_ids
		WHEN json_array_length(webhook_ids) >= ?4
			THEN '[' || CAST(substr(CAST(rtrim(webhook_ids, ']') AS BLOB), instr(CAST(webhook_ids AS BLOB), X'222C22') + 2) AS TEXT) || ',' || CAST(?6 AS TEXT) || ']'
		ELSE rtrim(webhook_ids, ']') || ',' || CAST(?6 AS TEXT) || ']' END`

// mergeProps is the SQL of a row's merged properties: json_patch of the new
// ones into the stored ones, skipped (the stored text kept as it is) when the
// new ones are empty or the same text: the steady state of a client whose
// tasks did not change. mergePropsNulls is the same for rows whose new
// properties may hold a null, which removes its key: only empty ones skip.
const (
	mergeProps = `CASE WHEN excluded.properties = '{}' OR excluded.properties = properties THEN properties
		ELSE json_patch(properties, excluded.properties) END`
	mergePropsNulls = `CASE WHEN excluded.properties = '{}' THEN properties
		ELSE json_patch(properties, excluded.properties) END`
)

// upsertNodes merges the rows of a JSON array (?5) of [id, type, label,
// properties] into one client's (?1) nodes, seen at ?2 by the webhook in ?3
// (a JSON array of its id, or []) and ?6 (its quoted id); upsertNodesNulls is
// the same for rows whose properties may hold a null. jsonb_each rather than
// json_each: each row's array stays binary, so that reading its four members
// does not parse its text again.
const (
	upsertNodes      = upsertNodesHead + mergeProps + upsertNodesTail
	upsertNodesNulls = upsertNodesHead + mergePropsNulls + upsertNodesTail
	upsertNodesHead  = `INSERT INTO graph_nodes
		(client_id, node_id, type, label, properties, first_seen, last_seen, webhook_ids)
		SELECT ?1, value ->> 0, value ->> 1, value ->> 2, value -> 3, ?2, ?2, ?3 FROM jsonb_each(?5) WHERE true
		ON CONFLICT (client_id, node_id) DO UPDATE SET type = excluded.type, label = excluded.label,
			properties = `
	upsertNodesTail = `,
			first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen),
			webhook_ids = ` + mergeIDs
)

// upsertRelationships and upsertRelationshipsNulls are upsertNodes for rows of
// [source, target, type, properties].
const (
	upsertRelationships      = upsertRelationshipsHead + mergeProps + upsertRelationshipsTail
	upsertRelationshipsNulls = upsertRelationshipsHead + mergePropsNulls + upsertRelationshipsTail
	upsertRelationshipsHead  = `INSERT INTO graph_relationships
		(client_id, source, target, type, properties, first_seen, last_seen, webhook_ids)
		SELECT ?1, value ->> 0, value ->> 1, value ->> 2, value -> 3, ?2, ?2, ?3 FROM jsonb_each(?5) WHERE true
		ON CONFLICT (client_id, source, target, type) DO UPDATE SET
			properties = `
	upsertRelationshipsTail = `,
			first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen),
			webhook_ids = ` + mergeIDs
)
