package server

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// subscriptions records which MCP sessions want notifications/resources/updated
// for which URIs. mcp-go v1.2.1 accepts resources/subscribe (2025-11-25) and
// subscriptions/listen (2026-07-28) but none of its sessions records them, so
// its hooks feed this registry:
//   - resources/subscribe and resources/unsubscribe change a session's legacy
//     subscriptions, which last until unsubscribed or the session ends;
//   - subscriptions/listen subscribes its session to the URIs of its filter for
//     as long as the listen request runs (its context ends with the stream).
type subscriptions struct {
	mu        sync.Mutex
	byURI     map[string]map[mcpserver.ClientSession]*holds
	byBase    map[string]map[string]struct{}  // URI without its query → the subscribed URIs with it
	bySession map[mcpserver.ClientSession]int // how many URIs each session holds

	sent, dropped atomic.Int64 // notifications queued to sessions, or dropped on a full queue
}

// holds are why a session is subscribed to one URI.
type holds struct {
	legacy  bool // resources/subscribe
	listens int  // subscriptions/listen streams naming the URI
}

// maxURIsPerSession bounds what one session can make the registry hold;
// subscriptions beyond it are ignored (mcp-go acknowledges them regardless).
const maxURIsPerSession = 1000

func newSubscriptions() *subscriptions {
	return &subscriptions{byURI: map[string]map[mcpserver.ClientSession]*holds{},
		byBase: map[string]map[string]struct{}{}, bySession: map[mcpserver.ClientSession]int{}}
}

// baseOf is a URI without its query: the resource whose pages
// (kg://clients/acme?cursor=…) a subscription may name.
func baseOf(uri string) string {
	base, _, _ := strings.Cut(uri, "?")
	return base
}

// addHooks adds to h the mcp-go hooks that keep the registry.
func (r *subscriptions) addHooks(h *mcpserver.Hooks) {
	h.AddAfterSubscribe(func(ctx context.Context, _ any, req *mcp.SubscribeRequest, _ *mcp.EmptyResult) {
		if sess := mcpserver.ClientSessionFromContext(ctx); sess != nil {
			r.change(sess, req.Params.URI, func(h *holds) { h.legacy = true })
		}
	})
	h.AddAfterUnsubscribe(func(ctx context.Context, _ any, req *mcp.UnsubscribeRequest, _ *mcp.EmptyResult) {
		if sess := mcpserver.ClientSessionFromContext(ctx); sess != nil {
			r.change(sess, req.Params.URI, func(h *holds) { h.legacy = false })
		}
	})
	// Before the handler, which acknowledges the subscription: once the
	// client reads the acknowledgement, the session is registered here.
	h.AddBeforeSubscriptionsListen(func(ctx context.Context, _ any, req *mcp.SubscriptionsListenRequest) {
		sess := mcpserver.ClientSessionFromContext(ctx)
		uris := req.Params.Notifications.ResourceSubscriptions
		if sess == nil || len(uris) == 0 {
			return
		}
		for _, uri := range uris {
			r.change(sess, uri, func(h *holds) { h.listens++ })
		}
		context.AfterFunc(ctx, func() {
			for _, uri := range uris {
				r.change(sess, uri, func(h *holds) { h.listens-- })
			}
		})
	})
	h.AddOnUnregisterSession(func(_ context.Context, sess mcpserver.ClientSession) { r.drop(sess) })
}

// change applies f to the holds of sess on uri, forgetting them when none is left.
func (r *subscriptions) change(sess mcpserver.ClientSession, uri string, f func(*holds)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sessions := r.byURI[uri]
	if sessions == nil {
		sessions = map[mcpserver.ClientSession]*holds{}
		r.byURI[uri] = sessions
		r.link(uri)
	}
	h := sessions[sess]
	if h == nil {
		h = &holds{} // beyond the session's bound, held nowhere
		if r.bySession[sess] < maxURIsPerSession {
			sessions[sess] = h
			r.bySession[sess]++
		}
	}
	f(h)
	if !h.legacy && h.listens <= 0 {
		if _, held := sessions[sess]; held {
			delete(sessions, sess)
			if r.bySession[sess]--; r.bySession[sess] <= 0 {
				delete(r.bySession, sess)
			}
		}
	}
	if len(sessions) == 0 {
		r.forget(uri)
	}
}

// link indexes a newly subscribed URI under its base.
func (r *subscriptions) link(uri string) {
	base := baseOf(uri)
	if r.byBase[base] == nil {
		r.byBase[base] = map[string]struct{}{}
	}
	r.byBase[base][uri] = struct{}{}
}

// forget removes a URI nobody is subscribed to any more.
func (r *subscriptions) forget(uri string) {
	delete(r.byURI, uri)
	base := baseOf(uri)
	delete(r.byBase[base], uri)
	if len(r.byBase[base]) == 0 {
		delete(r.byBase, base)
	}
}

// drop forgets every subscription of a session that ended.
func (r *subscriptions) drop(sess mcpserver.ClientSession) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.bySession, sess)
	for uri, sessions := range r.byURI {
		delete(sessions, sess)
		if len(sessions) == 0 {
			r.forget(uri)
		}
	}
}

// count is how many sessions are subscribed to uri.
func (r *subscriptions) count(uri string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byURI[uri])
}

// notify queues notifications/resources/updated to every session subscribed
// to uri, or to a page of it (uri with a query): each hears of the URI it
// subscribed to. It never blocks: a session whose queue is full misses it
// (mcp-go's own notifications do the same).
func (r *subscriptions) notify(uri string) {
	type target struct {
		sess mcpserver.ClientSession
		uri  string
	}
	r.mu.Lock()
	var targets []target
	for subscribed := range r.byBase[uri] {
		for sess := range r.byURI[subscribed] {
			targets = append(targets, target{sess, subscribed})
		}
	}
	r.mu.Unlock()
	for _, t := range targets {
		n := mcp.JSONRPCNotification{JSONRPC: mcp.JSONRPC_VERSION, Notification: mcp.Notification{
			Method: mcp.MethodNotificationResourceUpdated,
			Params: mcp.NotificationParams{AdditionalFields: map[string]any{"uri": t.uri}},
		}}
		// As mcp-go does before it notifies: a Streamable HTTP session then
		// answers on an event stream.
		if up, ok := t.sess.(mcpserver.SessionWithStreamableHTTPConfig); ok {
			up.UpgradeToSSEWhenReceiveNotification()
		}
		select {
		case t.sess.NotificationChannel() <- n:
			r.sent.Add(1)
		default:
			r.dropped.Add(1)
		}
	}
}
