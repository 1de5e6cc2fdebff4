package testkit

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// OIDCProvider is a real OpenID provider for tests: zitadel/oidc's op
// package on loopback, with the library's in-memory example storage, one
// pre-registered public client (authorization code with PKCE) and one user
// who signs in without a form. Its access tokens are JWTs signed with the
// provider's RSA key (in its JWKS), whose aud is Audience and whose scope
// claim holds the webhooks:* scopes granted.
type OIDCProvider struct {
	// Issuer is the provider's issuer URL, http://127.0.0.1:<port>.
	Issuer string
	// ClientID is the pre-registered client; its redirect URIs are those
	// given to NewOIDCProvider.
	ClientID string
	// Subject is the sub of the user who signs in.
	Subject string

	storage *opStorage
}

// Test user of the example storage and the client registered here.
const (
	oidcUser     = "test-user@127.0.0.1"
	oidcPassword = "verysecure"
	oidcSubject  = "id1"
	oidcClientID = "webhook-mcp-test"
)

// NewOIDCProvider starts a provider whose access tokens are for audience and
// whose client may redirect to redirectURIs. It stops at the end of the test.
func NewOIDCProvider(tb testing.TB, audience string, redirectURIs ...string) *OIDCProvider {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	issuer := "http://" + ln.Addr().String()
	st := &opStorage{
		Storage:  storage.NewStorageWithClients(storage.NewUserStore(issuer), map[string]*storage.Client{}),
		audience: audience,
		client:   testClient{id: oidcClientID, redirects: redirectURIs},
	}
	provider, err := op.NewProvider(&op.Config{CryptoKey: sha256.Sum256([]byte("webhook-mcp test provider")),
		CodeMethodS256: true}, st, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		tb.Fatalf("start OpenID provider: %v", err)
	}
	mux := http.NewServeMux()
	// The client's login page: the user signs in at once and goes back to
	// the provider, which redirects to the client with a code.
	mux.Handle("/login", op.NewIssuerInterceptor(provider.IssuerFromRequest).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.FormValue("authRequestID")
		if err := st.CheckUsernamePassword(oidcUser, oidcPassword, id); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, op.AuthCallbackURL(provider)(r.Context(), id), http.StatusFound)
	}))
	mux.Handle("/", provider)
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
	srv.Start()
	tb.Cleanup(srv.Close)
	return &OIDCProvider{Issuer: issuer, ClientID: oidcClientID, Subject: oidcSubject, storage: st}
}

// SignToken signs claims as a JWT with the provider's own key (the one its
// JWKS publishes), for tokens the provider would not issue: another
// audience, another issuer, expired.
func (p *OIDCProvider) SignToken(tb testing.TB, claims map[string]any) string {
	tb.Helper()
	key, err := p.storage.SigningKey(context.Background())
	if err != nil {
		tb.Fatalf("signing key: %v", err)
	}
	return SignJWT(tb, key.SignatureAlgorithm(), key.Key(), key.ID(), claims)
}

// SignJWT signs claims as a compact JWT with go-jose.
func SignJWT(tb testing.TB, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	tb.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		tb.Fatalf("signer: %v", err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		tb.Fatalf("claims: %v", err)
	}
	sig, err := signer.Sign(payload)
	if err != nil {
		tb.Fatalf("sign: %v", err)
	}
	tok, err := sig.CompactSerialize()
	if err != nil {
		tb.Fatalf("serialize: %v", err)
	}
	return tok
}

// SignIn plays the user's browser: it opens authURL, signs in, and returns
// the code and state the provider sends to redirectURI.
func (p *OIDCProvider) SignIn(tb testing.TB, authURL, redirectURI string) (code, state string) {
	tb.Helper()
	var final *url.URL
	browser := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), redirectURI) {
			final = req.URL
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := browser.Get(authURL)
	if err != nil {
		tb.Fatalf("sign in at %s: %v", authURL, err)
	}
	resp.Body.Close()
	if final == nil {
		tb.Fatalf("sign in at %s: no redirect to %s (status %s)", authURL, redirectURI, resp.Status)
	}
	if e := final.Query().Get("error"); e != "" {
		tb.Fatalf("sign in: the provider answered %s: %s", e, final.Query().Get("error_description"))
	}
	return final.Query().Get("code"), final.Query().Get("state")
}

// opStorage is the example storage with this test's client, access tokens
// for the audience, and the webhooks scopes in a scope claim.
type opStorage struct {
	*storage.Storage
	audience string
	client   testClient
}

// GetClientByClientID implements op.Storage.
func (s *opStorage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	if id != s.client.id {
		return nil, errors.New("no client has this id")
	}
	return s.client, nil
}

// AuthRequestByCode implements op.Storage: the request's audience is the
// resource (as an authorization server configured with an audience for
// this API issues it).
func (s *opStorage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	req, err := s.Storage.AuthRequestByCode(ctx, code)
	if err != nil {
		return nil, err
	}
	return audienceRequest{AuthRequest: req, audience: s.audience}, nil
}

// CreateAccessToken implements op.Storage for the wrapped request.
func (s *opStorage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	if a, ok := req.(audienceRequest); ok {
		req = a.AuthRequest
	}
	return s.Storage.CreateAccessToken(ctx, req)
}

// GetPrivateClaimsFromScopes implements op.Storage: the scope claim of a
// JWT access token (RFC 9068) with the webhooks:* scopes granted.
func (s *opStorage) GetPrivateClaimsFromScopes(_ context.Context, _, _ string, scopes []string) (map[string]any, error) {
	var granted []string
	for _, sc := range scopes {
		if strings.HasPrefix(sc, "webhooks:") {
			granted = append(granted, sc)
		}
	}
	return map[string]any{"scope": strings.Join(granted, " ")}, nil
}

// audienceRequest is an auth request whose tokens are for audience.
type audienceRequest struct {
	op.AuthRequest
	audience string
}

// GetAudience implements op.AuthRequest.
func (a audienceRequest) GetAudience() []string { return []string{a.audience} }

// testClient is a public native client: authorization code with PKCE, JWT
// access tokens, the webhooks:* scopes.
type testClient struct {
	id        string
	redirects []string
}

func (c testClient) GetID() string                       { return c.id }
func (c testClient) RedirectURIs() []string              { return c.redirects }
func (c testClient) PostLogoutRedirectURIs() []string    { return nil }
func (c testClient) ApplicationType() op.ApplicationType { return op.ApplicationTypeNative }
func (c testClient) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodNone }
func (c testClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c testClient) GrantTypes() []oidc.GrantType        { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c testClient) LoginURL(id string) string           { return "/login?authRequestID=" + url.QueryEscape(id) }
func (c testClient) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeJWT }
func (c testClient) IDTokenLifetime() time.Duration      { return time.Hour }
func (c testClient) DevMode() bool                       { return true }
func (c testClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c testClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c testClient) IsScopeAllowed(scope string) bool     { return strings.HasPrefix(scope, "webhooks:") }
func (c testClient) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c testClient) ClockSkew() time.Duration             { return 0 }
