package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// OAuth scopes of this resource server.
const (
	ScopeRead    = "webhooks:read"
	ScopeWrite   = "webhooks:write"
	ScopeApprove = "webhooks:approve"
)

// oauthScopes are the scopes this server understands, as published in its
// protected resource metadata.
var oauthScopes = []string{ScopeRead, ScopeWrite, ScopeApprove}

// Limits of the OAuth resource server.
const (
	// oauthSkew is the clock skew allowed on exp and nbf.
	oauthSkew = 30 * time.Second
	// jwksMinRefresh is the least time between two fetches of the JWKS: a
	// token signed by an unknown key refreshes it at most this often.
	jwksMinRefresh = 30 * time.Second
	// jwksMaxBytes and jwksMaxKeys cap what the JWKS endpoint may send.
	jwksMaxBytes = 256 << 10
	jwksMaxKeys  = 50
	// metadataMaxBytes caps an authorization server's metadata document.
	metadataMaxBytes = 256 << 10
)

// oauthAlgs are the signature algorithms accepted on access tokens: public-key
// algorithms only, never "none", never an HMAC (whose key would be public).
var oauthAlgs = []string{oidc.RS256, oidc.RS384, oidc.RS512, oidc.PS256, oidc.PS384, oidc.PS512,
	oidc.ES256, oidc.ES384, oidc.ES512, oidc.EdDSA}

// errTokenRefused is the cause of every refused access token; the wrapped
// text says why, for the log and the WWW-Authenticate error_description.
var errTokenRefused = errors.New("access token refused")

// grant is what a valid access token grants: who and which scopes.
type grant struct {
	subject string
	scopes  []string
}

// has reports whether the grant carries scope; webhooks:write includes reading.
func (g grant) has(scope string) bool {
	return slices.Contains(g.scopes, scope) || (scope == ScopeRead && slices.Contains(g.scopes, ScopeWrite))
}

// oauthVerifier checks JWT access tokens issued by OAUTH_ISSUER for
// OAUTH_AUDIENCE against the issuer's JWKS. go-oidc does the JOSE work (key
// set, signature, iss, aud, exp); the JWKS and discovery fetches go through a
// client that caps sizes and throttles refreshes.
type oauthVerifier struct {
	issuer   string
	audience func() string
	jwksURL  string       // OAUTH_JWKS_URL; empty: discovered
	client   *http.Client // discovery
	jwks     *http.Client // JWKS fetches: throttled and capped
	now      func() time.Time

	mu         sync.Mutex
	verifier   *oidc.IDTokenVerifier
	lastFailed time.Time // last failed discovery, to retry at most every jwksMinRefresh
}

// newOAuthVerifier returns a verifier for cfg; discovery happens on the first
// token, so that a server starts while its authorization server is down.
func newOAuthVerifier(cfg Config, audience func() string, transport http.RoundTripper, now func() time.Time) *oauthVerifier {
	if transport == nil {
		transport = http.DefaultTransport
	}
	return &oauthVerifier{issuer: cfg.OAuthIssuer, audience: audience, jwksURL: cfg.OAuthJWKSURL, now: now,
		client: &http.Client{Timeout: 10 * time.Second, Transport: transport},
		jwks: &http.Client{Timeout: 10 * time.Second,
			Transport: &jwksTransport{base: transport, now: now, minInterval: jwksMinRefresh}}}
}

// verify checks a raw access token and returns its grant, or an error
// wrapping errTokenRefused (or a discovery failure).
func (v *oauthVerifier) verify(ctx context.Context, raw string) (grant, error) {
	ver, err := v.tokenVerifier(ctx)
	if err != nil {
		return grant{}, err
	}
	tok, err := ver.Verify(ctx, raw)
	if err != nil {
		return grant{}, fmt.Errorf("%w: %v", errTokenRefused, err)
	}
	var claims struct {
		NotBefore *float64 `json:"nbf"`
		Scope     string   `json:"scope"`
		Scp       any      `json:"scp"`
	}
	if err := tok.Claims(&claims); err != nil {
		return grant{}, fmt.Errorf("%w: claims: %v", errTokenRefused, err)
	}
	if claims.NotBefore != nil && time.Unix(int64(*claims.NotBefore), 0).After(v.now().Add(oauthSkew)) {
		return grant{}, fmt.Errorf("%w: not valid yet (nbf)", errTokenRefused)
	}
	if tok.Subject == "" {
		return grant{}, fmt.Errorf("%w: no sub claim", errTokenRefused)
	}
	return grant{subject: tok.Subject, scopes: scopesOf(claims.Scope, claims.Scp)}, nil
}

// scopesOf reads the scopes of a token: the space-separated scope claim (RFC
// 9068), or scp as a list or a string (Entra ID, Okta).
func scopesOf(scope string, scp any) []string {
	out := strings.Fields(scope)
	switch s := scp.(type) {
	case string:
		out = append(out, strings.Fields(s)...)
	case []any:
		for _, one := range s {
			if str, ok := one.(string); ok {
				out = append(out, str)
			}
		}
	}
	return out
}

// tokenVerifier builds go-oidc's verifier once: the JWKS URL from
// OAUTH_JWKS_URL or from the issuer's metadata (RFC 8414, then OpenID
// Connect discovery). A failed discovery is retried at most every
// jwksMinRefresh.
func (v *oauthVerifier) tokenVerifier(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.verifier != nil {
		return v.verifier, nil
	}
	if !v.lastFailed.IsZero() && v.now().Sub(v.lastFailed) < jwksMinRefresh {
		return nil, fmt.Errorf("discover %s: failed less than %s ago", v.issuer, jwksMinRefresh)
	}
	jwksURL := v.jwksURL
	if jwksURL == "" {
		var err error
		if jwksURL, err = v.discoverJWKS(ctx); err != nil {
			v.lastFailed = v.now()
			return nil, err
		}
	}
	keys := oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), v.jwks), jwksURL)
	v.verifier = oidc.NewVerifier(v.issuer, keys, &oidc.Config{
		ClientID:             v.audience(),
		SupportedSigningAlgs: oauthAlgs,
		// exp may be up to oauthSkew in the past; nbf is checked in verify.
		Now: func() time.Time { return v.now().Add(-oauthSkew) },
	})
	return v.verifier, nil
}

// discoverJWKS reads the issuer's jwks_uri from its OAuth authorization
// server metadata (RFC 8414), else from its OpenID Connect discovery
// document; either must name the issuer exactly.
func (v *oauthVerifier) discoverJWKS(ctx context.Context) (string, error) {
	u, err := url.Parse(v.issuer)
	if err != nil {
		return "", fmt.Errorf("discover %s: %w", v.issuer, err)
	}
	// RFC 8414 §3: the well-known path goes between the host and the issuer's path.
	rfc8414 := u.Scheme + "://" + u.Host + "/.well-known/oauth-authorization-server" + strings.TrimSuffix(u.EscapedPath(), "/")
	if jwks, err := v.fetchMetadata(ctx, rfc8414); err == nil {
		return jwks, nil
	}
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, v.client), v.issuer)
	if err != nil {
		return "", fmt.Errorf("discover %s: neither %s nor OpenID Connect discovery: %w", v.issuer, rfc8414, err)
	}
	var doc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := provider.Claims(&doc); err != nil || doc.JWKSURI == "" {
		return "", fmt.Errorf("discover %s: no jwks_uri in its OpenID Connect metadata", v.issuer)
	}
	return doc.JWKSURI, nil
}

// fetchMetadata reads jwks_uri from an RFC 8414 metadata document.
func (v *oauthVerifier) fetchMetadata(ctx context.Context, metadataURL string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metadataURL, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", metadataURL, resp.Status)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, metadataMaxBytes)).Decode(&doc); err != nil { // a cut document does not decode
		return "", fmt.Errorf("%s: %w", metadataURL, err)
	}
	if doc.Issuer != v.issuer {
		return "", fmt.Errorf("%s names issuer %q, not %q", metadataURL, doc.Issuer, v.issuer)
	}
	if doc.JWKSURI == "" {
		return "", fmt.Errorf("%s has no jwks_uri", metadataURL)
	}
	return doc.JWKSURI, nil
}

// jwksTransport is the transport of JWKS fetches: one happens at most every
// minInterval, and its body is capped at jwksMaxBytes and jwksMaxKeys keys.
type jwksTransport struct {
	base        http.RoundTripper
	now         func() time.Time
	minInterval time.Duration

	mu   sync.Mutex
	last time.Time
}

// RoundTrip implements http.RoundTripper.
func (t *jwksTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.mu.Lock()
	now := t.now()
	if !t.last.IsZero() && now.Sub(t.last) < t.minInterval {
		t.mu.Unlock()
		return nil, fmt.Errorf("JWKS fetched less than %s ago; not again yet", t.minInterval)
	}
	t.last = now
	t.mu.Unlock()
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxBytes+1))
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read JWKS: %w", err)
	}
	if len(body) > jwksMaxBytes {
		return nil, fmt.Errorf("JWKS larger than %d bytes", jwksMaxBytes)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &set); err != nil {
			return nil, fmt.Errorf("JWKS is not a JSON key set: %w", err)
		}
		if len(set.Keys) > jwksMaxKeys {
			return nil, fmt.Errorf("JWKS has %d keys, more than %d", len(set.Keys), jwksMaxKeys)
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}
