package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/api"
	"github.com/webhook-mcp/webhook-mcp/server"
)

// realAPI serves the real server's HTTP API on loopback with a real SQLite
// store, assembled as the binary assembles it.
func realAPI(t *testing.T, token string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	app, err := server.Assemble(ctx, []string{"DATA_DIR=" + t.TempDir(), "APPROVAL_TOKEN=" + token}, io.Discard, "test")
	require.NoError(t, err)
	app.Server.Start(ctx)
	hs := httptest.NewServer(app.Server.Handler())
	t.Cleanup(func() {
		hs.Close()
		cancel()
		require.NoError(t, app.Close())
	})
	return hs.URL
}

// codeOf is the api code a CLI error carries.
func codeOf(t *testing.T, err error) string {
	t.Helper()
	var ae *api.Error
	require.True(t, errors.As(err, &ae), "%v is not an api error", err)
	return ae.Code
}

func TestCLIReadsTheServersErrorCodes(t *testing.T) {
	t.Parallel()
	url := realAPI(t, cliToken)
	cases := []struct {
		name  string
		token string
		args  []string
		code  string
		text  []string
	}{
		{"unknown id", cliToken, []string{"show", "nope"}, api.CodeNotFound,
			[]string{"404 not_found: no approval with id nope", "check the id"}},
		{"approve unknown id", cliToken, []string{"approve", "nope"}, api.CodeNotFound,
			[]string{"no approval with id nope"}},
		{"no token", "", []string{"list"}, api.CodeUnauthorized, []string{"401 unauthorized", "set APPROVAL_TOKEN"}},
		{"bad state", cliToken, []string{"list", "--state", "bogus"}, api.CodeInvalidArgument,
			[]string{"400 invalid_argument", `unknown state "bogus"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := runCLI(t, url, tc.token, tc.args...)
			require.Error(t, err)
			assert.Equal(t, tc.code, codeOf(t, err))
			for _, s := range tc.text {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
}

// TestCLIMapsStatusesBackToCodes: an answer with the envelope keeps its code;
// one without (a proxy's page) gets the code the api table gives its status.
func TestCLIMapsStatusesBackToCodes(t *testing.T) {
	t.Parallel()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, _ := strconv.Atoi(r.URL.Query().Get("status"))
		if code := r.URL.Query().Get("code"); code != "" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"status":"error","error":{"code":"` + code + `","message":"from the server"}}`))
			return
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte("<html>" + http.StatusText(status) + " from a proxy</html>"))
	}))
	t.Cleanup(hs.Close)
	c := newAPIClient([]string{"WEBHOOK_MCP_URL=" + hs.URL})
	for _, status := range []int{http.StatusNotFound, http.StatusConflict, http.StatusUnauthorized} {
		want := api.CodeForStatus(status)
		q := map[string][]string{"status": {strconv.Itoa(status)}, "code": {want}}
		err := c.do(context.Background(), http.MethodGet, "/x", q, nil, nil)
		assert.Equal(t, want, codeOf(t, err), "envelope %d", status)
		assert.Equal(t, status, api.Status(codeOf(t, err)), "the code maps back to the status")

		q["code"] = nil
		err = c.do(context.Background(), http.MethodGet, "/x", q, nil, nil)
		assert.Equal(t, want, codeOf(t, err), "proxy page %d", status)
		assert.Contains(t, err.Error(), "from a proxy")
	}
	assert.Equal(t, api.CodeNotFound, api.CodeForStatus(http.StatusNotFound))
	assert.Equal(t, api.CodeConflict, api.CodeForStatus(http.StatusConflict))
	assert.Equal(t, api.CodeUnauthorized, api.CodeForStatus(http.StatusUnauthorized))

	// A code other than the status's first keeps itself (in_progress is also 409).
	err := c.do(context.Background(), http.MethodGet, "/x",
		map[string][]string{"status": {"409"}, "code": {api.CodeInProgress}}, nil, nil)
	assert.Equal(t, api.CodeInProgress, codeOf(t, err))
}
