package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// MergeGraph upserts the nodes and relationships of g into the client's graph
// with the semantics of the SQLite store (see SQLite.MergeGraph): properties
// merge as JSON Merge Patch, label and type are replaced, first_seen stays,
// last_seen never moves back, webhookID joins the last 20 webhook ids.
//
// Each row is one INSERT … ON CONFLICT DO UPDATE that reads and writes the
// stored row under its row lock, so merges of one client from concurrent
// writers on any replicas lose nothing. Rows are written in key order, so two
// merges lock shared rows in the same order and do not deadlock.
func (p *Postgres) MergeGraph(ctx context.Context, g graph.KnowledgeGraph, webhookID string, at time.Time) error {
	if at.IsZero() {
		at = p.now()
	}
	m, err := preparePGMerge(g, webhookID, at)
	if err != nil {
		return err
	}
	if err := p.write(ctx, func(tx pgx.Tx) error { return m.apply(ctx, tx) }); err != nil {
		return fmt.Errorf("store merge graph %s: %w", g.ClientID, err)
	}
	return nil
}

// pgGraphMerge is a merge encoded before its transaction: per table, rounds of
// rows as JSON arrays. A key that occurs more than once in the graph has its
// later occurrences in later rounds (one statement cannot update a row twice),
// which applies them in order, as SQLite's row-by-row upsert does.
type pgGraphMerge struct {
	client, ids string
	ts          int64
	nodes, rels []string
}

func preparePGMerge(g graph.KnowledgeGraph, webhookID string, at time.Time) (*pgGraphMerge, error) {
	if g.ClientID == "" {
		return nil, fmt.Errorf("store merge graph: %w: empty client id", webhook.ErrInvalidArgument)
	}
	m := &pgGraphMerge{client: g.ClientID, ids: "[]", ts: encTime(at)}
	if webhookID != "" {
		b, err := json.Marshal([]string{webhookID})
		if err != nil {
			return nil, fmt.Errorf("store merge graph %s: %w", g.ClientID, err)
		}
		m.ids = string(b)
	}
	var err error
	m.nodes, err = encodeRounds(len(g.KnowledgeNodes), func(i int) ([3]string, map[string]any) {
		n := g.KnowledgeNodes[i]
		return [3]string{n.ID, n.Type, n.Label}, n.Properties
	}, func(k [3]string) string { return k[0] })
	if err != nil {
		return nil, fmt.Errorf("store merge graph %s: nodes: %w", g.ClientID, err)
	}
	m.rels, err = encodeRounds(len(g.Relationships), func(i int) ([3]string, map[string]any) {
		r := g.Relationships[i]
		return [3]string{r.Source, r.Target, r.Type}, r.Properties
	}, func(k [3]string) string { return k[0] + "\x00" + k[1] + "\x00" + k[2] })
	if err != nil {
		return nil, fmt.Errorf("store merge graph %s: relationships: %w", g.ClientID, err)
	}
	return m, nil
}

// encodeRounds encodes n rows as rounds of JSON arrays of [k0, k1, k2,
// properties], each round holding a key at most once and sorted by key.
func encodeRounds(n int, row func(i int) ([3]string, map[string]any), key func([3]string) string) ([]string, error) {
	type keyed struct {
		key string
		row [4]any
	}
	var rounds [][]keyed
	seen := map[string]int{}
	for i := range n {
		k, props := row(i)
		if props == nil {
			props = map[string]any{}
		}
		kk := key(k)
		r := seen[kk]
		seen[kk] = r + 1
		if r == len(rounds) {
			rounds = append(rounds, nil)
		}
		rounds[r] = append(rounds[r], keyed{key: kk, row: [4]any{k[0], k[1], k[2], props}})
	}
	out := make([]string, len(rounds))
	for i, rs := range rounds {
		slices.SortFunc(rs, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
		rows := make([][4]any, len(rs))
		for j, r := range rs {
			rows[j] = r.row
		}
		b, err := json.Marshal(rows)
		if err != nil {
			return nil, err
		}
		out[i] = string(b)
	}
	return out, nil
}

// apply runs the merge inside a transaction; it may run again after a retry.
func (m *pgGraphMerge) apply(ctx context.Context, tx pgx.Tx) error {
	for _, rows := range m.nodes {
		if _, err := tx.Exec(ctx, pgUpsertNodes, m.client, m.ts, m.ids, maxWebhookIDs, rows); err != nil {
			return fmt.Errorf("upsert nodes: %w", err)
		}
	}
	for _, rows := range m.rels {
		if _, err := tx.Exec(ctx, pgUpsertRelationships, m.client, m.ts, m.ids, maxWebhookIDs, rows); err != nil {
			return fmt.Errorf("upsert relationships: %w", err)
		}
	}
	return nil
}

// pgMergeIDs adds the new webhook id (excluded.webhook_ids holds it as a
// one-element array, or is empty) to the stored list t unless it is there,
// dropping the oldest beyond the cap ($4).
const pgMergeIDs = `CASE
		WHEN excluded.webhook_ids = '[]'::jsonb OR t.webhook_ids @> excluded.webhook_ids THEN t.webhook_ids
		WHEN jsonb_array_length(t.webhook_ids) >= $4 THEN (t.webhook_ids - 0) || excluded.webhook_ids
		ELSE t.webhook_ids || excluded.webhook_ids END`

// pgUpsertNodes merges the rows of a JSON array ($5) of [id, type, label,
// properties] into one client's ($1) nodes, seen at $2 by the webhook in $3,
// in the array's order.
const pgUpsertNodes = `INSERT INTO graph_nodes AS t
		(client_id, node_id, type, label, properties, first_seen, last_seen, webhook_ids)
		SELECT $1, r ->> 0, r ->> 1, r ->> 2, r -> 3, $2, $2, $3::jsonb
		FROM jsonb_array_elements($5::jsonb) WITH ORDINALITY AS x (r, i) ORDER BY i
		ON CONFLICT (client_id, node_id) DO UPDATE SET type = excluded.type, label = excluded.label,
			properties = webhook_mcp_merge_patch(t.properties, excluded.properties),
			first_seen = least(t.first_seen, excluded.first_seen),
			last_seen = greatest(t.last_seen, excluded.last_seen),
			webhook_ids = ` + pgMergeIDs

// pgUpsertRelationships is pgUpsertNodes for rows of [source, target, type,
// properties].
const pgUpsertRelationships = `INSERT INTO graph_relationships AS t
		(client_id, source, target, type, properties, first_seen, last_seen, webhook_ids)
		SELECT $1, r ->> 0, r ->> 1, r ->> 2, r -> 3, $2, $2, $3::jsonb
		FROM jsonb_array_elements($5::jsonb) WITH ORDINALITY AS x (r, i) ORDER BY i
		ON CONFLICT (client_id, source, target, type) DO UPDATE SET
			properties = webhook_mcp_merge_patch(t.properties, excluded.properties),
			first_seen = least(t.first_seen, excluded.first_seen),
			last_seen = greatest(t.last_seen, excluded.last_seen),
			webhook_ids = ` + pgMergeIDs
