package store_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
	"github.com/webhook-mcp/webhook-mcp/store"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// quiet discards the store's logs.
var quiet = slog.New(slog.DiscardHandler)

// t0 is the base time of the tests.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// openStore opens a fresh store in its own temporary directory, closed at the
// end of the test.
func openStore(t testing.TB) (*store.SQLite, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := store.Open(context.Background(), store.Options{DataDir: dir, Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s, filepath.Join(dir, store.DBFileName)
}

func event(id, key string, at time.Time) webhook.InboxEvent {
	return webhook.InboxEvent{ID: id, IdempotencyKey: key, Kind: webhook.KindWebhook, Source: "make.com",
		Route: "chatgpt-clients", ClientID: "client-1", ReceivedAt: at,
		Headers: map[string]string{"Content-Type": "application/json"}, Body: []byte(`{"client_id":"client-1"}`),
		Owner: "proc-a", Deadline: time.Now().Add(time.Hour)}
}

// openStoreAt opens a fresh store whose time is c's.
func openStoreAt(t testing.TB, c *testkit.Clock) *store.SQLite {
	t.Helper()
	s, err := store.Open(context.Background(), store.Options{DataDir: t.TempDir(), Logger: quiet, Now: c.Now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func pendingRequest(id string, created time.Time) approval.Request {
	return approval.Request{ID: id, Action: "send_webhook_response", ClientID: "client-1", WebhookID: "wh-" + id,
		TargetURL: "https://example.com/hook", Summary: "send " + id, Params: []byte(`{"a":1}`),
		ParamsSHA256: approval.ParamsHash([]byte(`{"a":1}`)), RequestedBy: "mcp-client:test",
		State: approval.StatePending, CreatedAt: created, ExpiresAt: created.Add(time.Hour), UpdatedAt: created}
}

func createPending(t testing.TB, s *store.SQLite, id string, created time.Time) approval.Request {
	t.Helper()
	r := pendingRequest(id, created)
	require.NoError(t, s.CreateApproval(context.Background(), r,
		approval.Event{ApprovalID: id, At: created, To: approval.StatePending, Actor: r.RequestedBy}))
	return r
}

// graphOf builds a graph of one client: a client node linked to n task nodes,
// each task linked to a status node shared by all.
func graphOf(clientID string, n int, label string) graph.KnowledgeGraph {
	g := graph.KnowledgeGraph{ClientID: clientID}
	cid := "client:" + clientID
	g.KnowledgeNodes = append(g.KnowledgeNodes,
		graph.Node{ID: cid, Type: "client", Label: clientID, Properties: map[string]any{"client_id": clientID}},
		graph.Node{ID: "status:open", Type: "status", Label: "Open", Properties: map[string]any{"color": "#00ff00"}})
	for i := range n {
		id := fmt.Sprintf("task:%d", i)
		g.KnowledgeNodes = append(g.KnowledgeNodes, graph.Node{ID: id, Type: "task",
			Label: fmt.Sprintf("%s %d", label, i), Properties: map[string]any{"index": i, "description": "about " + label}})
		g.Relationships = append(g.Relationships,
			graph.Relationship{Source: cid, Target: id, Type: "HAS_TASK", Properties: map[string]any{}},
			graph.Relationship{Source: id, Target: "status:open", Type: "HAS_STATUS", Properties: map[string]any{"since": "today"}})
	}
	return g
}

// otherOwner is ev begun by another process than event's.
func otherOwner(ev webhook.InboxEvent) webhook.InboxEvent {
	ev.Owner = "proc-b"
	return ev
}
