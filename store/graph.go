package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// maxWebhookIDs caps the webhook ids remembered per node and relationship; the
// oldest are dropped first.
const maxWebhookIDs = 100

// mergeState is what MergeGraph needs of a stored node or relationship.
type mergeState struct {
	properties map[string]json.RawMessage
	webhookIDs []string
}

// relKey identifies a relationship within a client's graph.
type relKey struct{ source, target, typ string }

// MergeGraph upserts the nodes and relationships of g into the client's graph.
// A node (keyed by client and node id) or relationship (keyed by client,
// source, target and type) that exists keeps its other property keys while the
// new ones overwrite theirs, takes the new label and type, keeps first_seen,
// moves last_seen to at (never backwards) and gains webhookID in its webhook
// ids (the last 100 are kept).
func (s *SQLite) MergeGraph(ctx context.Context, g webhook.KnowledgeGraph, webhookID string, at time.Time) error {
	if g.ClientID == "" {
		return errors.New("store merge graph: empty client id")
	}
	if at.IsZero() {
		at = s.now()
	}
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
	relKeys := make([][3]string, len(g.Relationships))
	for i, r := range g.Relationships {
		p, err := encodeProps(r.Properties)
		if err != nil {
			return fmt.Errorf("store merge graph %s: relationship %s-%s->%s: %w", g.ClientID, r.Source, r.Type, r.Target, err)
		}
		relProps[i], relKeys[i] = p, [3]string{r.Source, r.Target, r.Type}
	}
	ids, err := json.Marshal(nodeIDs)
	if err != nil {
		return fmt.Errorf("store merge graph %s: %w", g.ClientID, err)
	}
	keys, err := json.Marshal(relKeys)
	if err != nil {
		return fmt.Errorf("store merge graph %s: %w", g.ClientID, err)
	}
	ts := encTime(at)
	err = s.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if len(g.KnowledgeNodes) > 0 {
			if err := mergeNodes(ctx, tx, g, string(ids), nodeProps, webhookID, ts); err != nil {
				return err
			}
		}
		if len(g.Relationships) > 0 {
			return mergeRelationships(ctx, tx, g, string(keys), relProps, webhookID, ts)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store merge graph %s: %w", g.ClientID, err)
	}
	return nil
}

func mergeNodes(ctx context.Context, tx *sql.Tx, g webhook.KnowledgeGraph, ids string,
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
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO graph_nodes
		(client_id, node_id, type, label, properties, first_seen, last_seen, webhook_ids)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (client_id, node_id) DO UPDATE SET type = excluded.type, label = excluded.label,
			properties = excluded.properties, first_seen = min(first_seen, excluded.first_seen),
			last_seen = max(last_seen, excluded.last_seen), webhook_ids = excluded.webhook_ids`)
	if err != nil {
		return fmt.Errorf("prepare node upsert: %w", err)
	}
	defer stmt.Close()
	for i, n := range g.KnowledgeNodes {
		st := merge(old[n.ID], props[i], webhookID)
		old[n.ID] = st // a node repeated within g merges with its first occurrence
		p, w, err := st.encode()
		if err != nil {
			return fmt.Errorf("node %s: %w", n.ID, err)
		}
		if _, err := stmt.ExecContext(ctx, g.ClientID, n.ID, n.Type, n.Label, p, ts, ts, w); err != nil {
			return fmt.Errorf("upsert node %s: %w", n.ID, err)
		}
	}
	return nil
}

func mergeRelationships(ctx context.Context, tx *sql.Tx, g webhook.KnowledgeGraph, keys string,
	props []map[string]json.RawMessage, webhookID string, ts int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT r.source, r.target, r.type, r.properties, r.webhook_ids
		FROM json_each(?) AS k JOIN graph_relationships AS r
		ON r.client_id = ? AND r.source = k.value ->> 0 AND r.target = k.value ->> 1 AND r.type = k.value ->> 2`,
		keys, g.ClientID)
	if err != nil {
		return fmt.Errorf("read relationships: %w", err)
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
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO graph_relationships
		(client_id, source, target, type, properties, first_seen, last_seen, webhook_ids)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (client_id, source, target, type) DO UPDATE SET properties = excluded.properties,
			first_seen = min(first_seen, excluded.first_seen),
			last_seen = max(last_seen, excluded.last_seen), webhook_ids = excluded.webhook_ids`)
	if err != nil {
		return fmt.Errorf("prepare relationship upsert: %w", err)
	}
	defer stmt.Close()
	for i, r := range g.Relationships {
		k := relKey{r.Source, r.Target, r.Type}
		st := merge(old[k], props[i], webhookID)
		old[k] = st
		p, w, err := st.encode()
		if err != nil {
			return fmt.Errorf("relationship %s-%s->%s: %w", r.Source, r.Type, r.Target, err)
		}
		if _, err := stmt.ExecContext(ctx, g.ClientID, r.Source, r.Target, r.Type, p, ts, ts, w); err != nil {
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
func merge(old *mergeState, props map[string]json.RawMessage, webhookID string) *mergeState {
	if old == nil {
		st := &mergeState{properties: props}
		if webhookID != "" {
			st.webhookIDs = []string{webhookID}
		}
		return st
	}
	if old.properties == nil {
		old.properties = make(map[string]json.RawMessage, len(props))
	}
	for k, v := range props {
		old.properties[k] = v
	}
	if webhookID != "" && !slices.Contains(old.webhookIDs, webhookID) {
		old.webhookIDs = append(old.webhookIDs, webhookID)
		if n := len(old.webhookIDs); n > maxWebhookIDs {
			old.webhookIDs = slices.Clone(old.webhookIDs[n-maxWebhookIDs:])
		}
	}
	return old
}

func (st *mergeState) decode(props, ids string) error {
	if err := json.Unmarshal([]byte(props), &st.properties); err != nil {
		return fmt.Errorf("decode properties: %w", err)
	}
	if err := json.Unmarshal([]byte(ids), &st.webhookIDs); err != nil {
		return fmt.Errorf("decode webhook ids: %w", err)
	}
	return nil
}

func (st *mergeState) encode() (props, ids string, err error) {
	p, err := json.Marshal(st.properties)
	if err != nil {
		return "", "", fmt.Errorf("encode properties: %w", err)
	}
	if len(st.properties) == 0 {
		p = []byte("{}")
	}
	w := []byte("[]")
	if len(st.webhookIDs) > 0 {
		if w, err = json.Marshal(st.webhookIDs); err != nil {
			return "", "", fmt.Errorf("encode webhook ids: %w", err)
		}
	}
	return string(p), string(w), nil
}
