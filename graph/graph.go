// Package graph is the knowledge-graph model: nodes and relationships with
// stable ids, deterministic extraction from webhook payloads (ClickUp tasks and
// any other shape), and the Store interface that merges graphs per client.
package graph

import "time"

// GraphSchemaVersion is the version of the knowledge-graph model in metadata.
const GraphSchemaVersion = 1

// Node is one entity of a knowledge graph. Its ID is "<type>:<natural id>" and is
// stable across webhooks, so graphs of the same client merge by node id.
type Node struct {
	ID         string         `json:"id" jsonschema:"stable node id, <type>:<natural id>"`
	Type       string         `json:"type" jsonschema:"node type: client, task, status, person, custom_field, tag, priority, list, folder, space, ..."`
	Label      string         `json:"label" jsonschema:"human-readable name"`
	Properties map[string]any `json:"properties" jsonschema:"attributes of the entity"`
}

// Relationship is a directed, typed edge between two nodes of the same graph.
type Relationship struct {
	Source     string         `json:"source" jsonschema:"id of the source node"`
	Target     string         `json:"target" jsonschema:"id of the target node"`
	Type       string         `json:"type" jsonschema:"edge type such as HAS_TASK, HAS_STATUS, ASSIGNED_TO, HAS_FIELD"`
	Properties map[string]any `json:"properties" jsonschema:"attributes of the edge, e.g. a custom field's value"`
}

// GraphMetadata describes one extraction.
type GraphMetadata struct {
	Source             string         `json:"source" jsonschema:"where the payload came from"`
	ExtractedAt        time.Time      `json:"extracted_at"`
	NodeCount          int            `json:"node_count"`
	RelationshipCount  int            `json:"relationship_count"`
	NodeTypes          map[string]int `json:"node_types" jsonschema:"number of nodes per type"`
	IncludeTaskDetails bool           `json:"include_task_details"`
	SchemaVersion      int            `json:"schema_version"`
}

// KnowledgeGraph is the result of one extraction from one payload.
type KnowledgeGraph struct {
	ClientID       string         `json:"client_id"`
	ExtractionID   string         `json:"extraction_id"`
	KnowledgeNodes []Node         `json:"knowledge_nodes"`
	Relationships  []Relationship `json:"relationships"`
	Metadata       GraphMetadata  `json:"metadata"`
}

// ResultGraph makes a KnowledgeGraph a GraphResult: the extraction itself.
func (g KnowledgeGraph) ResultGraph() *KnowledgeGraph { return &g }

// ExtractOptions controls an extraction. ExtractionID and Now are supplied by the
// caller so that extraction itself is deterministic.
type ExtractOptions struct {
	ClientID           string
	Source             string
	IncludeTaskDetails bool
	ExtractionID       string
	Now                time.Time
}

// StoredNode is a node of a client's merged graph with its provenance.
type StoredNode struct {
	Node
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
	WebhookIDs []string  `json:"webhook_ids" jsonschema:"ids of the webhooks and tool calls that mentioned it"`
}

// StoredRelationship is an edge of a client's merged graph with its provenance.
type StoredRelationship struct {
	Relationship
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
	WebhookIDs []string  `json:"webhook_ids"`
}

// ClientGraph is the merged graph of one client.
type ClientGraph struct {
	ClientID      string               `json:"client_id"`
	Nodes         []StoredNode         `json:"nodes"`
	Relationships []StoredRelationship `json:"relationships"`
	NodeCount     int                  `json:"node_count" jsonschema:"nodes of the client (of node_types, when given) in all pages together"`
	Truncated     bool                 `json:"truncated" jsonschema:"true when more nodes follow this page; next_cursor reads them"`
	NextCursor    string               `json:"next_cursor,omitempty" jsonschema:"pass as cursor to read the next page; absent on the last page"`
}

// GraphQuery selects one page of a client's merged graph: its nodes in node id
// order after After, at most Limit of them, and the relationships whose later
// endpoint (in node id order) is on the page, so that the pages of a graph
// hold each node and each relationship exactly once, and every relationship
// arrives with or after both of its endpoints.
type GraphQuery struct {
	ClientID  string
	NodeTypes []string // empty: all types
	Limit     int      // <= 0: no limit (the rest of the graph in one page)
	After     string   // a node id, from DecodeCursor; empty: from the first node
}

// SearchQuery is a case-insensitive search over node labels and property values.
type SearchQuery struct {
	Query     string
	ClientID  string // empty: all clients
	NodeTypes []string
	Limit     int
}

// SearchHit is a node that matched a search, with its direct relationships.
type SearchHit struct {
	ClientID      string               `json:"client_id"`
	Node          StoredNode           `json:"node"`
	Relationships []StoredRelationship `json:"relationships"`
}
