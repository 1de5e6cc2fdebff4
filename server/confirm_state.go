package server

import (
	"context"
	"errors"
	"sync"
	"time"

	mcpserver "github.com/mark3labs/mcp-go/server"
)

// An in-client confirmation hands the client an opaque requestState that it
// echoes back with the person's answer. The state is a random token that
// names, on this server only, one approval asked of one principal in one MCP
// session; it is good once and for confirmStateTTL.
const (
	// confirmStateTTL is how long a person has to answer a confirmation.
	confirmStateTTL = 10 * time.Minute
	// maxConfirmStates bounds the states waiting for an answer; past it, new
	// calls get pending_approval instead of a question.
	maxConfirmStates = 10000
)

// Reasons a requestState does not decide.
var (
	errStateUnknown   = errors.New("the confirmation is unknown or was already answered")
	errStateExpired   = errors.New("the confirmation expired")
	errStateElsewhere = errors.New("the confirmation was asked in another session or of another principal")
)

// confirmState is what one issued requestState stands for.
type confirmState struct {
	approvalID string
	binding    string
	expires    time.Time
}

// confirmStates holds the requestStates waiting for an answer.
type confirmStates struct {
	now func() time.Time

	mu sync.Mutex
	m  map[string]confirmState
}

func newConfirmStates(now func() time.Time) *confirmStates {
	return &confirmStates{now: now, m: map[string]confirmState{}}
}

// issue returns a fresh requestState for approvalID asked under binding; ok is
// false when too many are waiting.
func (c *confirmStates) issue(approvalID, binding string) (token string, ok bool) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxConfirmStates {
		for k, st := range c.m {
			if !now.Before(st.expires) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxConfirmStates {
			return "", false
		}
	}
	token = randomToken()
	c.m[token] = confirmState{approvalID: approvalID, binding: binding, expires: now.Add(confirmStateTTL)}
	return token, true
}

// take spends a requestState presented under binding and returns its approval
// id. A state presented under another binding stays for its owner.
func (c *confirmStates) take(token, binding string) (string, error) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.m[token]
	switch {
	case !ok:
		return "", errStateUnknown
	case st.binding != binding:
		return "", errStateElsewhere
	}
	delete(c.m, token)
	if !now.Before(st.expires) {
		return "", errStateExpired
	}
	return st.approvalID, nil
}

// bindingOf names who is asked in this request: the principal and, when the
// transport has one, the MCP session (2026-07-28 over HTTP has none: each
// request stands alone, so the principal alone binds it).
func bindingOf(ctx context.Context) string {
	b := PrincipalFrom(ctx).ID + "\x00"
	if sess := mcpserver.ClientSessionFromContext(ctx); sess != nil {
		b += sess.SessionID()
	}
	return b
}
