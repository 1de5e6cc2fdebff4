package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/store"
)

// replicaPair is two servers on one store, as two replicas on one database.
type replicaPair struct {
	a, b   *Server
	ha, hb *httptest.Server
	st     *store.SQLite
}

func newReplicaPair(t *testing.T, cfg Config) *replicaPair {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.OpenSQLite(context.Background(), store.Options{DataDir: t.TempDir(), Logger: logger})
	require.NoError(t, err)
	p := &replicaPair{st: st}
	p.a, err = New(cfg, Deps{Store: st, Logger: logger, Version: "test"})
	require.NoError(t, err)
	p.b, err = New(cfg, Deps{Store: st, Logger: logger, Version: "test"})
	require.NoError(t, err)
	p.ha, p.hb = httptest.NewServer(p.a.Handler()), httptest.NewServer(p.b.Handler())
	t.Cleanup(func() {
		p.ha.Close()
		p.hb.Close()
		p.a.Shutdown()
		p.b.Shutdown()
		require.NoError(t, st.Close())
	})
	return p
}

// TestReviewerSessionWorksOnEveryReplica: a reviewer signed in on A decides on
// B with the same cookie and CSRF token; signing out on B ends the session on
// A too.
func TestReviewerSessionWorksOnEveryReplica(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.ApprovalToken = "replica-test-token"
	p := newReplicaPair(t, cfg)
	c, err := client.NewInProcessClient(p.a.MCPServer())
	require.NoError(t, err)
	initialize(t, c)
	id := requestApproval(t, c, "http://127.0.0.1:9/never", map[string]any{"a": 1})

	reviewer := browser(t) // cookies for 127.0.0.1 go to both ports
	csrf := signIn(t, &testEnv{http: p.ha}, reviewer, cfg.ApprovalToken)
	resp, body := fetch(t, reviewer, http.MethodGet, p.hb.URL+"/approvals", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "B knows A's session")
	assert.Contains(t, body, id)
	resp, _ = fetch(t, reviewer, http.MethodPost, p.hb.URL+"/approvals/"+id+"/reject", url.Values{"csrf": {csrf}, "reason": {"on B"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	a, _, err := p.a.Approvals().Get(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, approval.StateRejected, a.State)
	assert.Equal(t, "on B", a.Reason)

	resp, _ = fetch(t, reviewer, http.MethodPost, p.hb.URL+"/approvals/logout", url.Values{"csrf": {csrf}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = fetch(t, reviewer, http.MethodGet, p.ha.URL+"/approvals", nil)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "signed out on B is signed out on A")
}

// TestConfirmationAnsweredOnAnotherReplica: a requestState issued by A decides
// when the retry reaches B, once; B refuses it from another session.
func TestConfirmationAnsweredOnAnotherReplica(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.ApprovalElicitation = true
	p := newReplicaPair(t, cfg)
	approver := ContextWithPrincipal(context.Background(), Principal{ID: PrincipalApprovalToken, MayApprove: true})
	onA := p.a.MCPServer().WithContext(approver, fakeSession{id: "session-a"})
	onB := p.b.MCPServer().WithContext(approver, fakeSession{id: "session-a"})
	otherOnB := p.b.MCPServer().WithContext(approver, fakeSession{id: "session-b"})

	res := handle(t, p.a, onA, modernCall("", false))
	require.Equal(t, string(mcp.ResultTypeInputRequired), res.ResultType, "%+v", res)
	state := res.RequestState
	res = handle(t, p.b, otherOnB, modernCall(state, true))
	assert.True(t, res.IsError)
	assert.Contains(t, res.text(), "another session")
	res = handle(t, p.b, onB, modernCall(state, true))
	require.False(t, res.IsError, res.text())
	assert.Equal(t, "approved", res.Structured.Status)
	res = handle(t, p.a, onA, modernCall(state, true))
	assert.True(t, res.IsError)
	assert.Contains(t, res.text(), "already answered", "spent on B is spent on A")
}
