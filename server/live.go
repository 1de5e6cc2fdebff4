package server

import (
	"context"
	"net/url"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/live"
	"github.com/webhook-mcp/webhook-mcp/tools"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// Resource URIs that change as webhooks and decisions come in, besides
// kg://clients/{client_id} (graph_api.go).
const (
	approvalURIPrefix = "approvals://"
	recentEventsURI   = "events://recent"
)

// maxListedClients bounds the kg:// resources listed by resources/list (the
// first ones the store lists at start, then new ones as they appear); the
// template and completion reach every client, and subscriptions work for all.
const maxListedClients = 1000

// liveState pushes changes to MCP sessions: the registry's and the approval
// service's observers publish to the notifier (never blocking a webhook), and
// its goroutine tells the subscribed sessions (deliverChanges). With a feed
// (replicas on PostgreSQL) they also publish to the outbox, whose goroutine
// broadcasts them, coalesced alike, to the other replicas; what the feed hears
// from those goes to the notifier only.
type liveState struct {
	notifier *live.Notifier
	outbox   *live.Notifier
	subs     *subscriptions
	feed     live.Feed // changes committed by other replicas; nil: none

	mu    sync.Mutex
	known map[string]bool // clients listed as resources
}

// initLive creates the notifier and the subscription registry, and adds the
// hooks that track subscriptions to those of the MCP server.
func (s *Server) initLive(hooks *mcpserver.Hooks) {
	s.live = &liveState{subs: newSubscriptions(), feed: s.deps.Changes, known: map[string]bool{}}
	s.live.notifier = live.NewNotifier(live.Config{Deliver: s.deliverChanges})
	s.live.outbox = live.NewNotifier(live.Config{Deliver: s.broadcastChanges})
	s.live.subs.addHooks(hooks)
}

// liveOptions declares what prompts.go and completions.go serve.
func (s *Server) liveOptions() []mcpserver.ServerOption {
	return []mcpserver.ServerOption{
		mcpserver.WithPromptCapabilities(false),
		mcpserver.WithCompletions(),
		mcpserver.WithResourceCompletionProvider(completer{s}),
		mcpserver.WithPromptCompletionProvider(completer{s}),
	}
}

// startLive lists the clients the store knows as resources, then delivers
// changes until ctx ends, with those of other replicas when a feed is set.
func (s *Server) startLive(ctx context.Context) {
	ids, err := s.deps.Store.ClientIDs(ctx, "", maxListedClients)
	if err != nil {
		s.log.Error("list known clients as resources", "err", err)
	}
	s.addClientResources(ids)
	s.bgDone.Add(1)
	go func() { defer s.bgDone.Done(); s.live.notifier.Run(ctx) }()
	if s.live.feed != nil {
		s.bgDone.Add(2)
		go func() { defer s.bgDone.Done(); s.runFeed(ctx) }()
		go func() { defer s.bgDone.Done(); s.live.outbox.Run(ctx) }()
	}
}

// broadcastChanges runs on the outbox's goroutine: it tells the other
// replicas of the changes committed here.
func (s *Server) broadcastChanges(changes []live.Change) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.live.feed.Broadcast(ctx, changes); err != nil {
		s.log.Warn("changes not broadcast to the other replicas", "count", len(changes), "err", err)
	}
}

// publish reports a change committed here: to this replica's sessions, and
// to the other replicas when there is a feed.
func (s *Server) publish(c live.Change) {
	s.live.notifier.Publish(c)
	if s.live.feed != nil {
		s.live.outbox.Publish(c)
	}
}

// runFeed publishes the changes of other replicas, starting the feed again a
// second after it fails.
func (s *Server) runFeed(ctx context.Context) {
	for {
		err := s.live.feed.Run(ctx, s.live.notifier.Publish)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("change feed of other replicas stopped; restarting", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// onCommitted is the registry's observer: a recorded webhook changes
// events://recent, a merged graph its client's resource.
func (s *Server) onCommitted(c tools.Committed) {
	if c.Kind == webhook.KindWebhook {
		s.publish(live.Change{Kind: live.KindEvents})
	}
	if c.GraphClientID != "" {
		s.publish(live.Change{Kind: live.KindClient, ID: c.GraphClientID})
	}
}

// onApprovalChange is the approval service's observer.
func (s *Server) onApprovalChange(r approval.Request) {
	s.publish(live.Change{Kind: live.KindApproval, ID: r.ID})
}

// deliverChanges runs on the notifier's goroutine: clients seen for the first
// time become resources (one notifications/resources/list_changed for the
// batch), then every session subscribed to a changed resource gets
// notifications/resources/updated, in the order the changes were published.
func (s *Server) deliverChanges(changes []live.Change) {
	var fresh []string
	s.live.mu.Lock()
	for _, c := range changes {
		if c.Kind == live.KindClient && !s.live.known[c.ID] {
			fresh = append(fresh, c.ID)
		}
	}
	s.live.mu.Unlock()
	s.addClientResources(fresh)
	for _, c := range changes {
		for _, uri := range urisOf(c) {
			s.live.subs.notify(uri)
		}
	}
}

// urisOf are the resources a change is about: a client's graph is read as
// kg:// and as the memory server's JSONL (graph_memory.go).
func urisOf(c live.Change) []string {
	switch c.Kind {
	case live.KindClient:
		return []string{clientGraphURI(c.ID), memoryResourcePrefix + url.PathEscape(c.ID)}
	case live.KindApproval:
		return []string{approvalURIPrefix + c.ID}
	case live.KindEvents:
		return []string{recentEventsURI}
	}
	return nil
}

// addClientResources lists the clients not listed yet as resources; mcp-go
// then sends notifications/resources/list_changed to every session that
// accepts it.
func (s *Server) addClientResources(ids []string) {
	s.live.mu.Lock()
	var add []mcpserver.ServerResource
	for _, id := range ids {
		if s.live.known[id] || id == "" || len(s.live.known) >= maxListedClients {
			continue
		}
		s.live.known[id] = true
		add = append(add, mcpserver.ServerResource{Resource: mcp.NewResource(clientGraphURI(id), id+" knowledge graph",
			mcp.WithResourceDescription("The merged knowledge graph of client "+id+"; subscribe to hear of each webhook that changes it."),
			mcp.WithMIMEType("application/json")), Handler: s.readClientGraph})
	}
	s.live.mu.Unlock()
	if len(add) > 0 {
		s.mcp.AddResources(add...)
	}
}
