package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/webhook-mcp/webhook-mcp/store"
)

// An in-client confirmation hands the client an opaque requestState that it
// echoes back with the person's answer. The state is a random token that
// names one approval asked of one principal in one MCP session; it is good
// once and for confirmStateTTL. It is kept in the store (by its hash), not in
// this process: the retry may reach another replica, or this one restarted.
const (
	// confirmStateTTL is how long a person has to answer a confirmation.
	confirmStateTTL = 10 * time.Minute
	// confirmStateKind is the store's token kind of requestStates.
	confirmStateKind = "confirm_state"
)

// Reasons a requestState does not decide.
var (
	errStateUnknown   = errors.New("the confirmation is unknown or was already answered")
	errStateExpired   = errors.New("the confirmation expired")
	errStateElsewhere = errors.New("the confirmation was asked in another session or of another principal")
)

// tokenStore keeps the short-lived tokens every replica must honour.
type tokenStore interface {
	PutToken(ctx context.Context, tok store.Token, now time.Time) error
	GetToken(ctx context.Context, kind, id string, now time.Time) (store.Token, error)
	TakeToken(ctx context.Context, kind, id, binding string) (store.Token, error)
	DeleteToken(ctx context.Context, kind, id string) error
}

// tokenID is what the store keeps of a token: its SHA-256, so that a read of
// the database yields no live credential.
func tokenID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// confirmStates issues and spends requestStates.
type confirmStates struct {
	now   func() time.Time
	store tokenStore
}

func newConfirmStates(now func() time.Time, st tokenStore) *confirmStates {
	return &confirmStates{now: now, store: st}
}

// issue returns a fresh requestState for approvalID asked under binding.
func (c *confirmStates) issue(ctx context.Context, approvalID, binding string) (string, error) {
	token := randomToken()
	now := c.now()
	err := c.store.PutToken(ctx, store.Token{Kind: confirmStateKind, ID: tokenID(token), Binding: tokenID(binding),
		Value: approvalID, ExpiresAt: now.Add(confirmStateTTL)}, now)
	if err != nil {
		return "", fmt.Errorf("issue confirmation state: %w", err)
	}
	return token, nil
}

// take spends a requestState presented under binding and returns its approval
// id. A state presented under another binding stays for its owner.
func (c *confirmStates) take(ctx context.Context, token, binding string) (string, error) {
	if token == "" {
		return "", errStateUnknown
	}
	tok, err := c.store.TakeToken(ctx, confirmStateKind, tokenID(token), tokenID(binding))
	switch {
	case errors.Is(err, store.ErrTokenNotFound):
		return "", errStateUnknown
	case errors.Is(err, store.ErrTokenBound):
		return "", errStateElsewhere
	case err != nil:
		return "", fmt.Errorf("the confirmation could not be read: %w", err)
	}
	if !c.now().Before(tok.ExpiresAt) {
		return "", errStateExpired
	}
	return tok.Value, nil
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
