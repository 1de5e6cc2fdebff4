package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/store"
)

// Reviewer sessions: the approvals page signs in with APPROVAL_TOKEN and then
// holds an HttpOnly, SameSite=Strict cookie naming a server-side session. Every
// form carries the session's CSRF token, compared in constant time. Sessions
// are kept in the store (by the hash of the cookie), so that a reviewer signed
// in on one replica is signed in on all, and after a restart.
const (
	sessionCookie  = "webhook_mcp_review"
	sessionKind    = "review_session" // the store's token kind of page sessions
	sessionTTL     = 12 * time.Hour
	anonSessionTTL = 30 * time.Minute // before sign-in: only holds the login form's CSRF token
	notifyTimeout  = 5 * time.Second
)

// webSession is one browser's session.
type webSession struct {
	id      string
	csrf    string
	authed  bool
	expires time.Time
}

// sessionValue is what the store keeps of a session.
type sessionValue struct {
	CSRF   string `json:"csrf"`
	Authed bool   `json:"authed"`
}

// reviewState holds what the reviewer surfaces need beyond the approval
// service: page sessions, the page templates and the notifier's client.
type reviewState struct {
	now        func() time.Time
	pages      *template.Template
	notifyURL  string
	baseURL    string
	secure     bool // PUBLIC_URL is https: cookies are always Secure
	notify     *http.Client
	tokens     tokenStore
	log        *slog.Logger
	tokenFile  string      // DATA_DIR's approval_token when APPROVAL_TOKEN is not configured
	signIn     *signInCode // the one-time sign-in link's code; nil with a configured token
	linkLogged atomic.Bool
}

func newReviewState(cfg Config, now func() time.Time, tokens tokenStore, log *slog.Logger) *reviewState {
	if now == nil {
		now = time.Now
	}
	base := strings.TrimRight(cfg.PublicURL, "/")
	if base == "" {
		base = "http://" + cfg.HTTPAddr
	}
	return &reviewState{now: now, pages: parsePages(), notifyURL: cfg.ApprovalNotifyURL,
		baseURL: base, secure: strings.HasPrefix(strings.ToLower(cfg.PublicURL), "https://"),
		notify: &http.Client{Timeout: notifyTimeout}, tokens: tokens, log: log}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return b
}

func randomToken() string { return base64.RawURLEncoding.EncodeToString(randomBytes(32)) }

// newSession stores and returns a fresh session.
func (rs *reviewState) newSession(ctx context.Context, authed bool) (*webSession, error) {
	ttl := anonSessionTTL
	if authed {
		ttl = sessionTTL
	}
	now := rs.now()
	sess := &webSession{id: randomToken(), csrf: randomToken(), authed: authed, expires: now.Add(ttl)}
	v, err := json.Marshal(sessionValue{CSRF: sess.csrf, Authed: authed})
	if err != nil {
		return nil, fmt.Errorf("encode session: %w", err)
	}
	if err := rs.tokens.PutToken(ctx, store.Token{Kind: sessionKind, ID: tokenID(sess.id), Value: string(v),
		ExpiresAt: sess.expires}, now); err != nil {
		return nil, fmt.Errorf("store session: %w", err)
	}
	return sess, nil
}

// session returns the request's live session.
func (rs *reviewState) session(r *http.Request) (*webSession, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, false
	}
	tok, err := rs.tokens.GetToken(r.Context(), sessionKind, tokenID(c.Value), rs.now())
	if err != nil {
		if !errors.Is(err, store.ErrTokenNotFound) {
			rs.log.ErrorContext(r.Context(), "approvals page: read session", "err", err)
		}
		return nil, false
	}
	var v sessionValue
	if err := json.Unmarshal([]byte(tok.Value), &v); err != nil || v.CSRF == "" {
		return nil, false
	}
	return &webSession{id: c.Value, csrf: v.CSRF, authed: v.Authed, expires: tok.ExpiresAt}, true
}

// endSession removes the session on every replica.
func (rs *reviewState) endSession(ctx context.Context, id string) {
	if err := rs.tokens.DeleteToken(ctx, sessionKind, tokenID(id)); err != nil {
		rs.log.ErrorContext(ctx, "approvals page: end session", "err", err)
	}
}

// setCookie sends the session cookie: HttpOnly, SameSite=Strict, scoped to the
// page, Secure when the request came over HTTPS or PUBLIC_URL is https.
func (rs *reviewState) setCookie(w http.ResponseWriter, r *http.Request, sess *webSession) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sess.id, Path: "/approvals", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: rs.secure || r.TLS != nil, Expires: sess.expires})
}

func (rs *reviewState) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/approvals", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: rs.secure || r.TLS != nil, MaxAge: -1})
}

// csrfOK compares the form's CSRF token with the session's in constant time.
func csrfOK(sess *webSession, r *http.Request) bool {
	got := r.PostFormValue("csrf")
	return sess != nil && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.csrf)) == 1
}

// notifyPending posts a short message about a new pending request to
// APPROVAL_NOTIFY_URL on a goroutine; a failure is logged, never returned.
func (s *Server) notifyPending(ctx context.Context, r approval.Request) {
	if s.review.notifyURL == "" {
		return
	}
	link := s.review.baseURL + "/approvals/" + r.ID
	client := r.ClientID
	if client == "" {
		client = "no client"
	}
	msg := map[string]any{
		"text":        "Approval needed: " + r.Summary + " (" + client + ", asked by " + r.RequestedBy + "). Review: " + link,
		"approval_id": r.ID, "action": r.Action, "client_id": r.ClientID, "target_url": r.TargetURL,
		"requested_by": r.RequestedBy, "expires_at": r.ExpiresAt, "url": link,
	}
	body, err := json.Marshal(msg)
	if err != nil {
		s.log.Error("encode approval notification", "approval_id", r.ID, "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), notifyTimeout)
	go func() {
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.review.notifyURL, bytes.NewReader(body))
		if err != nil {
			s.log.Warn("approval notification not sent", "approval_id", r.ID, "err", err)
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "webhook-mcp/"+s.deps.Version)
		resp, err := s.review.notify.Do(req)
		if err != nil {
			s.log.Warn("approval notification failed", "approval_id", r.ID, "err", err)
			return
		}
		_ = resp.Body.Close()
		if resp.StatusCode >= 300 {
			s.log.Warn("approval notification refused", "approval_id", r.ID, "status", resp.StatusCode)
			return
		}
		s.log.Info("approval notification sent", "approval_id", r.ID)
	}()
}
