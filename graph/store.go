package graph

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound means no node of the client's graph has the id.
var ErrNotFound = errors.New("graph node not found")

// Store persists each client's merged knowledge graph.
type Store interface {
	// MergeGraph upserts the nodes and relationships of g into the client's graph,
	// updating properties, last_seen and the ids of the webhooks that mentioned them.
	MergeGraph(ctx context.Context, g KnowledgeGraph, webhookID string, at time.Time) error
	// ReplaceGraph deletes every node and relationship of the client's graph
	// and merges g in their place, in one transaction: readers see the old
	// graph or the new one, never a mix or an empty graph in between.
	ReplaceGraph(ctx context.Context, g KnowledgeGraph, webhookID string, at time.Time) error
	// ClientGraph returns the merged graph of one client.
	ClientGraph(ctx context.Context, q GraphQuery) (ClientGraph, error)
	// SearchGraph finds nodes whose label or property values contain the query.
	SearchGraph(ctx context.Context, q SearchQuery) ([]SearchHit, error)
	// ClientIDs returns the ids of the clients with a graph that start with
	// prefix (case-sensitive; empty: all), in id order, at most limit of them
	// (<= 0: the store's default). Errors are the driver's.
	ClientIDs(ctx context.Context, prefix string, limit int) ([]string, error)
	// GraphNode returns one node of a client's graph with its direct
	// relationships in either direction, or ErrNotFound.
	GraphNode(ctx context.Context, clientID, nodeID string) (SearchHit, error)
}
