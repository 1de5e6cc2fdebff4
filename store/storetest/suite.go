// Package storetest is the one test suite of the store engines: Run calls
// every test against databases of one engine, so that SQLite and PostgreSQL
// are held to the same behaviour, through the store.Store interface only.
// Tests that need two replicas open one database twice.
package storetest

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/graph"
	"github.com/webhook-mcp/webhook-mcp/store"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// quiet discards the stores' logs.
var quiet = slog.New(slog.DiscardHandler)

// t0 is the base time of the tests.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// test is one test of the suite, given the URL of a fresh, empty database.
type test struct {
	name string
	run  func(t *testing.T, url string)
}

// tests lists the suite, one group per file.
func tests() []test {
	var all []test
	for _, group := range [][]test{approvalTests, deliveryTests, graphTests, graphPageTests, idTests, inboxTests, inflightTests, concurrencyTests, lifecycleTests, lookupTests, tokenTests} {
		all = append(all, group...)
	}
	return all
}

// Run runs every test of the suite as a parallel subtest, each on the fresh,
// empty database that newURL returns for it (a DATABASE_URL that store.Open
// accepts; the database must go away with the test).
func Run(t *testing.T, newURL func(tb testing.TB) string) {
	for _, tt := range tests() {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, newURL(t))
		})
	}
}

// open opens the store at url, closed when the test ends.
func open(t testing.TB, url string) store.Store { return openAt(t, url, nil) }

// openAt opens the store at url with now as its clock (nil: time.Now).
func openAt(t testing.TB, url string, now func() time.Time) store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), store.Options{URL: url, Logger: quiet, Now: now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// replicas opens the database at url twice, as two replicas would.
func replicas(t testing.TB, url string) [2]store.Store {
	t.Helper()
	return [2]store.Store{open(t, url), open(t, url)}
}

// Event is an inbox entry of a webhook from make.com for client-1, in flight
// for process proc-a until an hour from now.
func Event(id, key string, at time.Time) webhook.InboxEvent {
	return webhook.InboxEvent{ID: id, IdempotencyKey: key, Kind: webhook.KindWebhook, Source: "make.com",
		Route: "chatgpt-clients", ClientID: "client-1", ReceivedAt: at,
		Headers: map[string]string{"Content-Type": "application/json"}, Body: []byte(`{"client_id":"client-1"}`),
		Owner: "proc-a", Deadline: time.Now().Add(time.Hour)}
}

// otherOwner is ev begun by another process than Event's.
func otherOwner(ev webhook.InboxEvent) webhook.InboxEvent {
	ev.Owner = "proc-b"
	return ev
}

func pendingRequest(id string, created time.Time) approval.Request {
	return approval.Request{ID: id, Action: "send_webhook_response", ClientID: "client-1", WebhookID: "wh-" + id,
		TargetURL: "https://example.com/hook", Summary: "send " + id, Params: []byte(`{"a":1}`),
		ParamsSHA256: approval.ParamsHash([]byte(`{"a":1}`)), RequestedBy: "mcp-client:test",
		State: approval.StatePending, CreatedAt: created, ExpiresAt: created.Add(time.Hour), UpdatedAt: created}
}

func createPending(t testing.TB, s store.Store, id string, created time.Time) approval.Request {
	t.Helper()
	r := pendingRequest(id, created)
	require.NoError(t, s.CreateApproval(context.Background(), r,
		approval.Event{ApprovalID: id, At: created, To: approval.StatePending, Actor: r.RequestedBy}))
	return r
}

func approve(t testing.TB, s store.Store, id string, at time.Time) {
	t.Helper()
	_, err := s.TransitionApproval(context.Background(), approval.Transition{ID: id,
		From: []approval.State{approval.StatePending}, To: approval.StateApproved, Actor: "r", At: at, Decision: true})
	require.NoError(t, err)
}

// GraphOf builds a graph of one client: a client node linked to n task nodes,
// each task linked to a status node shared by all.
func GraphOf(clientID string, n int, label string) graph.KnowledgeGraph {
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

func nodeByID(t testing.TB, g graph.ClientGraph, id string) graph.StoredNode {
	t.Helper()
	for _, n := range g.Nodes {
		if n.ID == id {
			return n
		}
	}
	t.Fatalf("node %s not in graph", id)
	return graph.StoredNode{}
}
