package server

import (
	"net/http"
	"sync"
	"time"

	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// sources holds what the webhook endpoint knows of its senders, registered at
// start and through the public API: the routes, each source's secrets and API
// keys, and how a request is verified against them.
type sources struct {
	validation       bool          // WEBHOOK_VALIDATION_ENABLED
	requireTimestamp bool          // WEBHOOK_REQUIRE_TIMESTAMP
	tolerance        time.Duration // WEBHOOK_TOLERANCE
	now              func() time.Time

	mu      sync.RWMutex
	routes  map[string]Route    // "source/route" → route
	secrets map[string][][]byte // source → secrets
	apiKeys map[string][][]byte // source → API keys
}

func newSources(cfg Config, now func() time.Time) *sources {
	return &sources{validation: cfg.ValidationEnabled, requireTimestamp: cfg.WebhookRequireTimestamp,
		tolerance: cfg.WebhookTolerance, now: now,
		routes: map[string]Route{}, secrets: map[string][][]byte{}, apiKeys: map[string][][]byte{}}
}

func (b *sources) addRoute(r Route) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.routes[r.Source+"/"+r.Name] = r
}

func (b *sources) addSecret(source, secret string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.secrets[source] = append(b.secrets[source], []byte(secret))
}

func (b *sources) addAPIKey(source, key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.apiKeys[source] = append(b.apiKeys[source], []byte(key))
}

// route is the route registered at source/name.
func (b *sources) route(source, name string) (Route, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	r, ok := b.routes[source+"/"+name]
	return r, ok
}

// all is every registered route, with whether its requests must be signed.
func (b *sources) all() map[Route]bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make(map[Route]bool, len(b.routes))
	for _, r := range b.routes {
		out[r] = b.validation && (len(b.secrets[r.Source]) > 0 || len(b.apiKeys[r.Source]) > 0)
	}
	return out
}

func (b *sources) secretsFor(source string) [][]byte {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.secrets[source]
}

// credentialsFor is what a source's requests are verified against.
func (b *sources) credentialsFor(source string) webhook.Credentials {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return webhook.Credentials{Secrets: b.secrets[source], APIKeys: b.apiKeys[source],
		Tolerance: b.tolerance, Now: b.now()}
}

// checkSignature authenticates a webhook by whichever scheme it carries
// (Standard Webhooks, HMAC-SHA256 header, API key) when the source has
// credentials and validation is enabled. It returns the scheme that verified.
func (b *sources) checkSignature(source string, h http.Header, body []byte) (string, error) {
	creds := b.credentialsFor(source)
	if !b.validation || !creds.Configured() {
		return "none", nil
	}
	if b.requireTimestamp { // only a signed id and timestamp tell a replay from a new request
		return webhook.Verify(h, body, creds, webhook.SchemeStandard)
	}
	return webhook.Verify(h, body, creds, webhook.SchemeAuto)
}
