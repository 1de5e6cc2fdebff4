package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
)

// oauthRedirect is the client's redirect URI; the test's browser stops at it.
const oauthRedirect = "http://127.0.0.1:1/callback"

// oauthEnv is a server with OAUTH_ISSUER set to a real OpenID provider.
type oauthEnv struct {
	*testEnv
	public   string // PUBLIC_URL
	provider *testkit.OIDCProvider
}

func newOAuthEnv(t *testing.T, mutate func(*Config)) *oauthEnv {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	public := "http://" + ln.Addr().String()
	provider := testkit.NewOIDCProvider(t, public+"/mcp", oauthRedirect)
	cfg := testConfig()
	cfg.PublicURL, cfg.OAuthIssuer = public, provider.Issuer
	if mutate != nil {
		mutate(&cfg)
	}
	return &oauthEnv{testEnv: newTestEnvOn(t, cfg, ln), public: public, provider: provider}
}

// signIn runs the authorization code flow with PKCE through handler: the
// authorization URL, the user's sign-in at the provider, the code exchange.
func (e *oauthEnv) signIn(t *testing.T, h *transport.OAuthHandler) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	verifier, err := client.GenerateCodeVerifier()
	require.NoError(t, err)
	state, err := client.GenerateState()
	require.NoError(t, err)
	authURL, err := h.GetAuthorizationURL(ctx, state, client.GenerateCodeChallenge(verifier))
	require.NoError(t, err)
	assert.Contains(t, authURL, "code_challenge_method=S256")
	code, gotState := e.provider.SignIn(t, authURL, oauthRedirect)
	require.NoError(t, h.ProcessAuthorizationResponse(ctx, code, gotState, verifier))
}

// token gets an access token with scopes from the provider, as mcp-go's
// OAuth client does: metadata discovery from this server, then sign-in.
func (e *oauthEnv) token(t *testing.T, scopes ...string) string {
	t.Helper()
	store := client.NewMemoryTokenStore()
	h := transport.NewOAuthHandler(transport.OAuthConfig{ClientID: e.provider.ClientID, RedirectURI: oauthRedirect,
		Scopes: scopes, PKCEEnabled: true, TokenStore: store})
	h.SetBaseURL(e.public + "/mcp")
	e.signIn(t, h)
	tok, err := store.GetToken(context.Background())
	require.NoError(t, err)
	return tok.AccessToken
}

// claims are valid access token claims for this server; mutate them per case.
func (e *oauthEnv) claims(scope string) map[string]any {
	now := time.Now()
	return map[string]any{"iss": e.provider.Issuer, "sub": "forged-user", "aud": []string{e.public + "/mcp"},
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "scope": scope}
}

// postMCP posts one JSON-RPC message to /mcp with a bearer token.
func (e *oauthEnv) postMCP(t *testing.T, path, token, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.public+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

const initializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",` +
	`"capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`

// TestOAuthEndToEnd: mcp-go's OAuth client meets a 401, discovers the
// protected resource metadata and the provider, signs in with a
// pre-registered client (authorization code with PKCE), and then lists and
// calls tools; the approval it asks for names the token's subject.
func TestOAuthEndToEnd(t *testing.T) {
	t.Parallel()
	e := newOAuthEnv(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.NewOAuthStreamableHttpClient(e.public+"/mcp", client.OAuthConfig{ClientID: e.provider.ClientID,
		RedirectURI: oauthRedirect, Scopes: []string{ScopeRead, ScopeWrite}, PKCEEnabled: true,
		TokenStore: client.NewMemoryTokenStore()})
	require.NoError(t, err)
	require.NoError(t, c.Start(ctx))
	t.Cleanup(func() { _ = c.Close() })
	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = mcp.Implementation{Name: "oauth-test", Version: "1"}
	_, err = c.Initialize(ctx, init)
	require.True(t, client.IsOAuthAuthorizationRequiredError(err), "without a token: authorization required, got %v", err)
	h := client.GetOAuthHandler(err)
	// mcp-go asks for a token before it sends anything; the server's 401
	// is what tells it where the metadata is (RFC 9728 §5.1).
	unauthorized := e.postMCP(t, "/mcp", "", initializeBody)
	require.Equal(t, http.StatusUnauthorized, unauthorized.StatusCode)
	h.HandleUnauthorizedResponse(unauthorized)
	meta, err := h.GetServerMetadata(ctx)
	require.NoError(t, err)
	assert.Equal(t, e.provider.Issuer, meta.Issuer, "the authorization server named by the resource metadata")
	e.signIn(t, h)

	_, err = c.Initialize(ctx, init)
	require.NoError(t, err)
	list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	require.NoError(t, err)
	assert.Len(t, list.Tools, len(toolNames))
	rcv, _ := newReceiver(t)
	var pending struct {
		ApprovalID string `json:"approval_id"`
	}
	res := callTool(t, c, "send_webhook_response", map[string]any{"response_url": rcv.URL,
		"response_data": map[string]any{"ok": true}}, &pending)
	require.False(t, res.IsError, "%v", res.Content)
	r, _, err := e.srv.Approvals().Get(ctx, pending.ApprovalID)
	require.NoError(t, err)
	assert.Equal(t, "oauth:"+e.provider.Subject+" (mcp-client:oauth-test)", r.RequestedBy)
}

// TestOAuthRefusesBadTokens: every token that is not a valid access token for
// this resource from this issuer is a 401 that points at the metadata.
func TestOAuthRefusesBadTokens(t *testing.T) {
	t.Parallel()
	e := newOAuthEnv(t, nil)
	valid := e.token(t, ScopeRead, ScopeWrite)
	resp := e.postMCP(t, "/mcp", valid, initializeBody)
	require.Equal(t, http.StatusOK, resp.StatusCode, "the provider's own token is accepted")

	with := func(change func(map[string]any)) string {
		c := e.claims(ScopeRead)
		change(c)
		return e.provider.SignToken(t, c)
	}
	unknownKey := testkit.SignJWT(t, "RS256", newRSAKey(t), "not-in-the-jwks", e.claims(ScopeRead))
	sameKidOtherKey := testkit.SignJWT(t, "RS256", newRSAKey(t), kidOf(t, valid), e.claims(ScopeRead))
	b64 := func(s string) string { return base64URL([]byte(s)) }
	payload, err := json.Marshal(e.claims(ScopeRead))
	require.NoError(t, err)
	algNone := b64(`{"alg":"none","typ":"JWT"}`) + "." + base64URL(payload) + "."
	hmacWithPublicKey := testkit.SignJWT(t, "HS256", publicKeyBytes(t, e.provider.Issuer), kidOf(t, valid), e.claims(ScopeRead))

	cases := map[string]struct {
		path, token string
		invalid     bool // error="invalid_token" in the challenge
	}{
		"no token":                    {"/mcp", "", false},
		"not a JWT":                   {"/mcp", "opaque-token", true},
		"wrong aud":                   {"/mcp", with(func(c map[string]any) { c["aud"] = []string{"https://other.example/mcp"} }), true},
		"wrong iss":                   {"/mcp", with(func(c map[string]any) { c["iss"] = e.provider.Issuer + "/other" }), true},
		"expired":                     {"/mcp", with(func(c map[string]any) { c["exp"] = time.Now().Add(-2 * time.Minute).Unix() }), true},
		"not yet valid":               {"/mcp", with(func(c map[string]any) { c["nbf"] = time.Now().Add(2 * time.Minute).Unix() }), true},
		"no sub":                      {"/mcp", with(func(c map[string]any) { delete(c, "sub") }), true},
		"alg none":                    {"/mcp", algNone, true},
		"HMAC with the public key":    {"/mcp", hmacWithPublicKey, true},
		"key not in the JWKS":         {"/mcp", unknownKey, true},
		"known kid, other key":        {"/mcp", sameKidOtherKey, true},
		"valid token in the query":    {"/mcp?access_token=" + valid, "", false},
		"no token on the SSE stream":  {"/sse", "", false},
		"no token on the SSE message": {"/message?sessionId=x", "", false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			resp := e.postMCP(t, tc.path, tc.token, initializeBody)
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
			challenge := resp.Header.Get("WWW-Authenticate")
			assert.Contains(t, challenge, `Bearer resource_metadata="`+e.public+`/.well-known/oauth-protected-resource/mcp"`)
			if tc.invalid {
				assert.Contains(t, challenge, `error="invalid_token"`)
			}
			if strings.Contains(tc.path, "access_token") {
				assert.Contains(t, challenge, `error="invalid_request"`)
			}
			if tc.token == "" && !strings.Contains(tc.path, "access_token") {
				assert.Contains(t, challenge, `scope="webhooks:read webhooks:write"`)
			}
		})
	}
}

// TestOAuthScopes: a read-only token lists tools and calls read-only ones; a
// tool that is not read-only answers 403 insufficient_scope, naming the
// scopes to ask for.
func TestOAuthScopes(t *testing.T) {
	t.Parallel()
	e := newOAuthEnv(t, nil)
	readOnly := e.token(t, ScopeRead)

	tr, err := transport.NewStreamableHTTP(e.public+"/mcp",
		transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + readOnly}))
	require.NoError(t, err)
	c := client.NewClient(tr)
	initialize(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = c.ListTools(ctx, mcp.ListToolsRequest{})
	require.NoError(t, err)
	var listed struct{ Approvals []any }
	res := callTool(t, c, "list_approvals", map[string]any{}, &listed)
	assert.False(t, res.IsError)
	req := mcp.CallToolRequest{}
	req.Params.Name = "process_webhook_data"
	req.Params.Arguments = map[string]any{"webhook_data": map[string]any{"client_id": "c1"}}
	_, err = c.CallTool(ctx, req)
	require.Error(t, err, "a write tool with a read-only token")

	call := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"send_webhook_response","arguments":{}}}`
	resp := e.postMCP(t, "/mcp", readOnly, call)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Equal(t, `Bearer resource_metadata="`+e.public+`/.well-known/oauth-protected-resource/mcp", `+
		`error="insufficient_scope", scope="webhooks:read webhooks:write"`, resp.Header.Get("WWW-Authenticate"))
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Contains(t, string(body), "send_webhook_response")
	// The same call in a batch, and over SSE's message endpoint.
	resp = e.postMCP(t, "/mcp", readOnly, "["+call+"]")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp = e.postMCP(t, "/message?sessionId=x", readOnly, call)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	// A read-only tool needs no more.
	resp = e.postMCP(t, "/mcp", readOnly, initializeBody)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// TestOAuthPrincipal: the token's subject is the principal, and only
// webhooks:approve lets it decide by elicitation.
func TestOAuthPrincipal(t *testing.T) {
	t.Parallel()
	e := newOAuthEnv(t, nil)
	var got Principal
	h := e.srv.requireMCPToken(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = PrincipalFrom(r.Context())
		w.WriteHeader(http.StatusNoContent)
	}))
	for _, tc := range []struct {
		scope      string
		mayApprove bool
	}{{ScopeRead + " " + ScopeWrite, false}, {ScopeRead + " " + ScopeApprove, true}} {
		req, err := http.NewRequest(http.MethodGet, e.public+"/mcp", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+e.provider.SignToken(t, e.claims(tc.scope)))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusNoContent, rec.Code, tc.scope)
		assert.Equal(t, Principal{ID: "oauth:forged-user", MayApprove: tc.mayApprove}, got, tc.scope)
	}
}

// TestOAuthKeepsStaticTokens: MCP_AUTH_TOKEN and APPROVAL_TOKEN still work
// beside OAuth.
func TestOAuthKeepsStaticTokens(t *testing.T) {
	t.Parallel()
	e := newOAuthEnv(t, func(c *Config) { c.MCPAuthToken, c.ApprovalToken = "static-mcp-token", "static-approval-token" })
	for _, tok := range []string{"static-mcp-token", "static-approval-token"} {
		resp := e.postMCP(t, "/mcp", tok, initializeBody)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	}
	resp := e.postMCP(t, "/mcp", "wrong-static-token", initializeBody)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func TestProtectedResourceMetadata(t *testing.T) {
	t.Parallel()
	e := newOAuthEnv(t, nil)
	for _, path := range []string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"} {
		resp, err := http.Get(e.public + path)
		require.NoError(t, err)
		var doc map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&doc))
		resp.Body.Close()
		assert.Equal(t, map[string]any{"resource": e.public + "/mcp", "authorization_servers": []any{e.provider.Issuer},
			"scopes_supported": []any{ScopeRead, ScopeWrite, ScopeApprove}, "bearer_methods_supported": []any{"header"},
			"resource_name": "webhook-mcp"}, doc, path)
	}
	off := newTestEnv(t, testConfig())
	resp, err := http.Get(off.http.URL + "/.well-known/oauth-protected-resource/mcp")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "no metadata without OAUTH_ISSUER")
}

// TestMCPCORS: the Inspector in a browser on localhost may send
// Authorization and read WWW-Authenticate and Mcp-Session-Id.
func TestMCPCORS(t *testing.T) {
	t.Parallel()
	e := newOAuthEnv(t, nil)
	const inspector = "http://localhost:6274"
	req, err := http.NewRequest(http.MethodOptions, e.public+"/mcp", nil)
	require.NoError(t, err)
	req.Header.Set("Origin", inspector)
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization, content-type, mcp-protocol-version")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, inspector, resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, resp.Header.Get("Access-Control-Allow-Headers"), "Authorization")
	assert.Contains(t, resp.Header.Get("Access-Control-Allow-Methods"), "POST")

	req, err = http.NewRequest(http.MethodPost, e.public+"/mcp", bytes.NewReader([]byte(initializeBody)))
	require.NoError(t, err)
	req.Header.Set("Origin", inspector)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, inspector, resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, resp.Header.Get("Access-Control-Expose-Headers"), "WWW-Authenticate")
	assert.Contains(t, resp.Header.Get("Access-Control-Expose-Headers"), "Mcp-Session-Id")

	req.Header.Set("Origin", "https://evil.example")
	req.Body = io.NopCloser(bytes.NewReader([]byte(initializeBody)))
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
}
