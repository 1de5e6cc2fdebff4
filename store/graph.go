package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// maxWebhookIDs caps the webhook ids remembered per node and relationship; the
// oldest are dropped first. 20 rather than 100: with UUIDs, 100 ids make every
// row about 4 KiB (an overflow page each), which doubled the cost of merging a
// graph whose nodes are mentioned often, and made get_client_knowledge_graph
// answers mostly ids.
const maxWebhookIDs = 20

// mergeState is what MergeGraph needs of a stored node or relationship.
type mergeState struct {
	properties map[string]json.RawMessage
	webhookIDs string // JSON array, kept as text: see appendID
}

// relKey identifies a relationship within a client's graph.
type relKey struct{ source, target, typ string }

// MergeGraph upserts the nodes and relationships of g into the client's graph.
// A node (keyed by client and node id) or relationship (keyed by client,
// source, target and type) that exists keeps its other property keys while the
// new ones overwrite theirs, takes the new label and type, keeps first_seen,
// moves last_seen to at (never backwards) and gains webhookID in its webhook
// ids (the last 20 are kept).
func (s *SQLite) MergeGraph(ctx context.Context, g webhook.KnowledgeGraph, webhookID string, at time.Time) error {
	if g.ClientID == "" {
		return fmt.Errorf("store merge graph: %w: empty client id", webhook.ErrInvalidArgument)
	}
	if at.IsZero() {
		at = s.now()
	}
	// The operation may outlive this call (when ctx ends first), so it works on
	// copies, never on the caller's slices.
	g.KnowledgeNodes, g.Relationships = slices.Clone(g.KnowledgeNodes), slices.Clone(g.Relationships)
	// Encode the new properties before entering the writer, which is the one
	// serial section of every write.
	nodeProps := make([]map[string]json.RawMessage, len(g.KnowledgeNodes))
	nodeIDs := make([]string, len(g.KnowledgeNodes))
	for i, n := range g.KnowledgeNodes {
		p, err := encodeProps(n.Properties)
		if err != nil {
			return fmt.Errorf("store merge graph %s: node %s: %w", g.ClientID, n.ID, err)
		}
		nodeProps[i], nodeIDs[i] = p, n.ID
	}
	relProps := make([]map[string]json.RawMessage, len(g.Relationships))
	relSources := make([]string, 0, len(g.Relationships))
	for i, r := range g.Relationships {
		p, err := encodeProps(r.Properties)
		if err != nil {
			return fmt.Errorf("store merge graph %s: relationship %s-%s->%s: %w", g.ClientID, r.Source, r.Type, r.Target, err)
		}
		relProps[i] = p
		if !slices.Contains(relSources, r.Source) {
			relSources = append(relSources, r.Source)
		}
	}
	ids, err := json.Marshal(nodeIDs)
	if err != nil {
		return fmt.Errorf("store merge graph %s: %w", g.ClientID, err)
	}
	ts := encTime(at)
	err = s.writer.do(ctx, func(ctx context.Context, tx *wtx) error {
		if len(g.KnowledgeNodes) > 0 {
			if err := mergeNodes(ctx, tx, g, string(ids), nodeProps, webhookID, ts); err != nil {
				return err
			}
		}
		if len(g.Relationships) > 0 {
			return mergeRelationships(ctx, tx, g, jsonList(relSources), relProps, webhookID, ts)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store merge graph %s: %w", g.ClientID, err)
	}
	return nil
}

func mergeNodes(ctx context.Context, tx *wtx, g webhook.KnowledgeGraph, ids string,
	props []map[string]json.RawMessage, webhookID string, ts int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT node_id, properties, webhook_ids FROM graph_nodes
		WHERE client_id = ? AND node_id IN (SELECT value FROM json_each(?))`, g.ClientID, ids)
	if err != nil {
		return fmt.Errorf("read nodes: %w", err)
	}
	old := make(map[string]*mergeState, len(g.KnowledgeNodes))
	for rows.Next() {
		var id string
		var st mergeState
		if err := scanMergeState(rows, &id, &st); err != nil {
			rows.Close()
			return fmt.Errorf("read node: %w", err)
		}
		old[id] = &st
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read nodes: %w", err)
	}
	const upsert = `INSERT INTO graph_nodes
		(client_id, node_id, type, label, properties, first_seen, last_seen, webhook_ids)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (client_id, node_id) DO UPDATE SET type = excluded.type, label = excluded.label,
			properties = excluded.properties, first_seen = min(first_seen, excluded.first_seen),
			last_seen = max(last_seen, excluded.last_seen), webhook_ids = excluded.webhook_ids`
	for i, n := range g.KnowledgeNodes {
		st, err := merge(old[n.ID], props[i], webhookID)
		if err != nil {
			return fmt.Errorf("node %s: %w", n.ID, err)
		}
		old[n.ID] = st // a node repeated within g merges with its first occurrence
		p, err := st.encode()
		if err != nil {
			return fmt.Errorf("node %s: %w", n.ID, err)
		}
		if _, err := tx.ExecContext(ctx, upsert, g.ClientID, n.ID, n.Type, n.Label, p, ts, ts, st.webhookIDs); err != nil {
			return fmt.Errorf("upsert node %s: %w", n.ID, err)
		}
	}
	return nil
}

func mergeRelationships(ctx context.Context, tx *wtx, g webhook.KnowledgeGraph, sources string,
	props []map[string]json.RawMessage, webhookID string, ts int64) error {
	// The stored edges leaving the graph's sources, by the primary key's
	// (client_id, source) prefix; the edges not in g are skipped below.
	rows, err := tx.QueryContext(ctx, `SELECT source, target, type, properties, webhook_ids
		FROM graph_relationships WHERE client_id = ? AND source IN (SELECT value FROM json_each(?))`,
		g.ClientID, sources)
	if err != nil {
		return fmt.Errorf("read relationships: %w", err)
	}
	want := make(map[relKey]bool, len(g.Relationships))
	for _, r := range g.Relationships {
		want[relKey{r.Source, r.Target, r.Type}] = true
	}
	old := make(map[relKey]*mergeState, len(g.Relationships))
	for rows.Next() {
		var k relKey
		var st mergeState
		var props, ids string
		if err := rows.Scan(&k.source, &k.target, &k.typ, &props, &ids); err != nil {
			rows.Close()
			return fmt.Errorf("read relationship: %w", err)
		}
		if !want[k] {
			continue
		}
		if err := st.decode(props, ids); err != nil {
			rows.Close()
			return fmt.Errorf("read relationship: %w", err)
		}
		old[k] = &st
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read relationships: %w", err)
	}
	const upsert = `INSERT INTO graph_relationships
		(client_id, source, target, type, properties, first_seen, last_seen, webhook_ids)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (client_id, source, target, type) DO UPDATE SET properties = excluded.properties,
			first_seen = min(first_seen, excluded.first_seen),
			last_seen = max(last_seen, excluded.last_seen), webhook_ids = excluded.webhook_ids`
	for i, r := range g.Relationships {
		k := relKey{r.Source, r.Target, r.Type}
		st, err := merge(old[k], props[i], webhookID)
		if err != nil {
			return fmt.Errorf("relationship %s-%s->%s: %w", r.Source, r.Type, r.Target, err)
		}
		old[k] = st
		p, err := st.encode()
		if err != nil {
			return fmt.Errorf("relationship %s-%s->%s: %w", r.Source, r.Type, r.Target, err)
		}
		if _, err := tx.ExecContext(ctx, upsert, g.ClientID, r.Source, r.Target, r.Type, p, ts, ts, st.webhookIDs); err != nil {
			return fmt.Errorf("upsert relationship %s-%s->%s: %w", r.Source, r.Type, r.Target, err)
		}
	}
	return nil
}

func scanMergeState(rows *sql.Rows, id *string, st *mergeState) error {
	var props, ids string
	if err := rows.Scan(id, &props, &ids); err != nil {
		return err
	}
	return st.decode(props, ids)
}

// encodeProps encodes each property value on its own, so that merging with the
// stored properties needs no decoding of the values.
func encodeProps(p map[string]any) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(p))
	for k, v := range p {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("property %q: %w", k, err)
		}
		out[k] = b
	}
	return out, nil
}

// merge combines a stored state (nil: new) with new properties and webhookID.
func merge(old *mergeState, props map[string]json.RawMessage, webhookID string) (*mergeState, error) {
	if old == nil {
		old = &mergeState{properties: props, webhookIDs: "[]"}
	} else {
		if old.properties == nil {
			old.properties = make(map[string]json.RawMessage, len(props))
		}
		for k, v := range props {
			old.properties[k] = v
		}
	}
	if webhookID != "" {
		ids, err := appendID(old.webhookIDs, webhookID, maxWebhookIDs)
		if err != nil {
			return nil, err
		}
		old.webhookIDs = ids
	}
	return old, nil
}

func (st *mergeState) decode(props, ids string) error {
	if err := json.Unmarshal([]byte(props), &st.properties); err != nil {
		return fmt.Errorf("decode properties: %w", err)
	}
	st.webhookIDs = ids
	return nil
}

func (st *mergeState) encode() (string, error) {
	if len(st.properties) == 0 {
		return "{}", nil
	}
	p, err := json.Marshal(st.properties)
	if err != nil {
		return "", fmt.Errorf("encode properties: %w", err)
	}
	return string(p), nil
}
