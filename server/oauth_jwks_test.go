package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
)

// jwksServer publishes a key set that a test changes, and counts fetches.
type jwksServer struct {
	mu      sync.Mutex
	body    []byte
	fetches atomic.Int64
	*httptest.Server
}

func newJWKSServer(t *testing.T) *jwksServer {
	s := &jwksServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(s.body)
	}))
	t.Cleanup(s.Close)
	return s
}

// publish makes the public halves of keys (by kid) the key set.
func (s *jwksServer) publish(t *testing.T, keys map[string]any) {
	set := jose.JSONWebKeySet{}
	for kid, k := range keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k, KeyID: kid, Algorithm: "RS256", Use: "sig"})
	}
	b, err := json.Marshal(set)
	require.NoError(t, err)
	s.setBody(b)
}

func (s *jwksServer) setBody(b []byte) {
	s.mu.Lock()
	s.body = b
	s.mu.Unlock()
}

const (
	jwksTestIssuer   = "https://issuer.example"
	jwksTestAudience = "https://rs.example/mcp"
)

func jwksTestClaims(now time.Time) map[string]any {
	return map[string]any{"iss": jwksTestIssuer, "sub": "u1", "aud": jwksTestAudience,
		"exp": now.Add(time.Hour).Unix(), "scope": ScopeRead}
}

// TestJWKSRefreshIsThrottled: a token signed by a key the cached set lacks
// refreshes it at most every 30 s; a rotated-in key is accepted after that.
func TestJWKSRefreshIsThrottled(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock(time.Now())
	srv := newJWKSServer(t)
	k1, k2 := newRSAKey(t), newRSAKey(t)
	srv.publish(t, map[string]any{"k1": k1.Public()})
	v := newOAuthVerifier(Config{OAuthIssuer: jwksTestIssuer, OAuthJWKSURL: srv.URL},
		func() string { return jwksTestAudience }, nil, clock.Now)
	ctx := context.Background()

	g, err := v.verify(ctx, testkit.SignJWT(t, "RS256", k1, "k1", jwksTestClaims(clock.Now())))
	require.NoError(t, err)
	assert.Equal(t, grant{subject: "u1", scopes: []string{ScopeRead}}, g)
	assert.EqualValues(t, 1, srv.fetches.Load())

	srv.publish(t, map[string]any{"k1": k1.Public(), "k2": k2.Public()})
	rotated := testkit.SignJWT(t, "RS256", k2, "k2", jwksTestClaims(clock.Now()))
	for range 5 {
		clock.Advance(5 * time.Second)
		_, err = v.verify(ctx, rotated)
		require.ErrorIs(t, err, errTokenRefused, "within 30 s of the last fetch the set is not fetched again")
	}
	assert.EqualValues(t, 1, srv.fetches.Load())
	clock.Advance(6 * time.Second)
	_, err = v.verify(ctx, rotated)
	require.NoError(t, err, "31 s later the set is fetched again and has the new key")
	assert.EqualValues(t, 2, srv.fetches.Load())
	_, err = v.verify(ctx, testkit.SignJWT(t, "RS256", k1, "k1", jwksTestClaims(clock.Now())))
	require.NoError(t, err, "the old key is still in the set")
	assert.EqualValues(t, 2, srv.fetches.Load(), "known keys need no fetch")
}

// TestJWKSLimits: a key set with too many keys or too many bytes is not used.
func TestJWKSLimits(t *testing.T) {
	t.Parallel()
	k := newRSAKey(t)
	many := map[string]any{}
	for i := range jwksMaxKeys + 1 {
		many[strings.Repeat("k", i+1)] = k.Public()
	}
	for name, set := range map[string]func(*jwksServer){
		"too many keys": func(s *jwksServer) { s.publish(t, many) },
		"too many bytes": func(s *jwksServer) {
			s.setBody([]byte(`{"keys":[],"pad":"` + strings.Repeat("x", jwksMaxBytes) + `"}`))
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			clock := testkit.NewClock(time.Now())
			srv := newJWKSServer(t)
			set(srv)
			v := newOAuthVerifier(Config{OAuthIssuer: jwksTestIssuer, OAuthJWKSURL: srv.URL},
				func() string { return jwksTestAudience }, nil, clock.Now)
			_, err := v.verify(context.Background(), testkit.SignJWT(t, "RS256", k, "k", jwksTestClaims(clock.Now())))
			require.ErrorIs(t, err, errTokenRefused)
			assert.EqualValues(t, 1, srv.fetches.Load())
		})
	}
}

// TestOAuthDiscovery: the JWKS URL comes from RFC 8414 metadata when the
// issuer has it, and such metadata must name the issuer exactly.
func TestOAuthDiscovery(t *testing.T) {
	t.Parallel()
	jwks := newJWKSServer(t)
	k := newRSAKey(t)
	jwks.publish(t, map[string]any{"k": k.Public()})
	var issuer string
	var metaIssuer atomic.Value
	as := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/oauth-authorization-server/tenant" {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": metaIssuer.Load().(string), "jwks_uri": jwks.URL})
	}))
	t.Cleanup(as.Close)
	issuer = as.URL + "/tenant"

	for _, tc := range []struct {
		name, metaIssuer string
		ok               bool
	}{{"exact issuer", issuer, true}, {"another issuer", as.URL + "/other", false}} {
		metaIssuer.Store(tc.metaIssuer)
		clock := testkit.NewClock(time.Now())
		v := newOAuthVerifier(Config{OAuthIssuer: issuer}, func() string { return jwksTestAudience }, nil, clock.Now)
		claims := jwksTestClaims(clock.Now())
		claims["iss"] = issuer
		_, err := v.verify(context.Background(), testkit.SignJWT(t, "RS256", k, "k", claims))
		if tc.ok {
			assert.NoError(t, err, tc.name)
		} else {
			assert.Error(t, err, tc.name)
			assert.NotErrorIs(t, err, errTokenRefused, "a discovery failure, not a bad token")
		}
	}
}

func TestOAuthConfig(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		issuer, audience, jwks, public string
		ok                             bool
	}{
		"off":                   {ok: true},
		"https issuer":          {issuer: "https://auth.example.com/realms/mcp", public: "https://mcp.example.com", ok: true},
		"http on loopback":      {issuer: "http://127.0.0.1:8080", ok: true},
		"http elsewhere":        {issuer: "http://auth.example.com"},
		"not a URL":             {issuer: "auth.example.com"},
		"audience alone":        {audience: "https://mcp.example.com/mcp"},
		"jwks alone":            {jwks: "https://auth.example.com/keys"},
		"http public URL":       {issuer: "https://auth.example.com", public: "http://mcp.example.com"},
		"http JWKS elsewhere":   {issuer: "https://auth.example.com", jwks: "http://keys.example.com"},
		"everything over https": {issuer: "https://a.example", audience: "api://mcp", jwks: "https://a.example/k", ok: true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			cfg.OAuthIssuer, cfg.OAuthAudience, cfg.OAuthJWKSURL, cfg.PublicURL = tc.issuer, tc.audience, tc.jwks, tc.public
			err := cfg.Validate()
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, "OAUTH_")
			}
		})
	}
}
