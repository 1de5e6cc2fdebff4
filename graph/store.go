package graph

import (
	"context"
	"time"
)

// Store persists each client's merged knowledge graph.
type Store interface {
	// MergeGraph upserts the nodes and relationships of g into the client's graph,
	// updating properties, last_seen and the ids of the webhooks that mentioned them.
	MergeGraph(ctx context.Context, g KnowledgeGraph, webhookID string, at time.Time) error
	// ClientGraph returns the merged graph of one client.
	ClientGraph(ctx context.Context, q GraphQuery) (ClientGraph, error)
	// SearchGraph finds nodes whose label or property values contain the query.
	SearchGraph(ctx context.Context, q SearchQuery) ([]SearchHit, error)
}
