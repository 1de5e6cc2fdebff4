package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEventsCLIReplay drives `webhook-mcp events list|show|replay` against a
// served binary: the replay is a new event that names the original.
func TestEventsCLIReplay(t *testing.T) {
	t.Parallel()
	_, base, _ := startServe(t, []string{"DATA_DIR=" + t.TempDir(), "APPROVAL_TOKEN=events-cli-token"})
	env := []string{"WEBHOOK_MCP_URL=" + base, "APPROVAL_TOKEN=events-cli-token"}
	body := `{"client_id":"client-ev","action_id":"get_client_data","task":{"id":"task_ev","name":"Event task"}}`
	resp, err := http.Post(base+"/api/webhook/make.com/chatgpt-clients", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	var first struct {
		WebhookID string `json:"webhook_id"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&first))
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	out, errOut, code := cliRun(t, env, "", "events", "replay", first.WebhookID)
	require.Zero(t, code, errOut)
	m := regexp.MustCompile(`^(\S+): replay of ` + first.WebhookID + `, processed\n$`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	replayID := m[1]
	assert.NotEqual(t, first.WebhookID, replayID)

	out, errOut, code = cliRun(t, env, "", "events", "list")
	require.Zero(t, code, errOut)
	assert.Regexp(t, replayID+`\s+\S+\s+webhook\s+processed\s+-\s+client-ev\s+/api/webhook/make.com/chatgpt-clients\s+`+
		first.WebhookID, out)
	assert.Regexp(t, first.WebhookID+`\s+\S+\s+webhook\s+processed\s+-\s+client-ev\s+\S+\s+-\n`, out)

	out, errOut, code = cliRun(t, env, "", "events", "list", "--json")
	require.Zero(t, code, errOut)
	var list struct {
		Events []struct {
			ID       string `json:"webhook_id"`
			ReplayOf string `json:"replay_of"`
		} `json:"events"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	require.Len(t, list.Events, 2)
	assert.Equal(t, replayID, list.Events[0].ID)
	assert.Equal(t, first.WebhookID, list.Events[0].ReplayOf)

	out, errOut, code = cliRun(t, env, "", "events", "show", replayID)
	require.Zero(t, code, errOut)
	assert.Regexp(t, `replay of:\s+`+first.WebhookID, out)
	assert.Contains(t, out, `"name":"Event task"`, "the raw body")

	_, errOut, code = cliRun(t, env, "", "events", "replay", "no-such-event")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "404 not_found")
	_, errOut, code = cliRun(t, env, "", "events", "replay")
	assert.Equal(t, 1, code, errOut)
	assert.Contains(t, errOut, "usage")
}

// TestDeliveriesCLIRecover fails a delivery for good on a served binary, then
// `webhook-mcp deliveries recover` over its period sends it again.
func TestDeliveriesCLIRecover(t *testing.T) {
	t.Parallel()
	var ok atomic.Bool
	var hits atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if ok.Load() {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusBadRequest) // not retried: a dead letter at once
	}))
	defer rcv.Close()
	_, base, stderr := startServe(t, []string{"DATA_DIR=" + t.TempDir(), "APPROVAL_TOKEN=recover-token",
		"OUTBOUND_ALLOW_HOSTS=127.0.0.1", "APPROVAL_ELICITATION=false"})
	env := []string{"WEBHOOK_MCP_URL=" + base, "APPROVAL_TOKEN=recover-token"}
	start := time.Now().UTC().Add(-time.Second)

	out, errOut, code := cliRun(t, env, "", "call", "send_webhook_response", "--arg", "response_url="+rcv.URL,
		"--arg", `response_data={"n":1}`)
	require.Zero(t, code, errOut)
	var pending struct {
		ApprovalID string `json:"approval_id"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &pending), out)
	_, errOut, code = cliRun(t, env, "", "approvals", "approve", pending.ApprovalID)
	require.Zero(t, code, errOut)
	state := func() string {
		out, _, _ := cliRun(t, env, "", "deliveries", "show", pending.ApprovalID, "--json")
		var d struct {
			State string `json:"state"`
		}
		_ = json.Unmarshal([]byte(out), &d)
		return d.State
	}
	require.Eventually(t, func() bool { return state() == "failed" }, 15*time.Second, 50*time.Millisecond,
		"stderr: %s", stderr.String())

	// A period that ended before the failure recovers nothing.
	out, errOut, code = cliRun(t, env, "", "deliveries", "recover", "--since", start.Add(-time.Hour).Format(time.RFC3339),
		"--until", start.Add(-time.Minute).Format(time.RFC3339))
	require.Zero(t, code, errOut)
	assert.Contains(t, out, "0 failed deliveries between")
	assert.Equal(t, "failed", state())

	ok.Store(true)
	out, errOut, code = cliRun(t, env, "", "deliveries", "recover", "--since", "1h", "--json")
	require.Zero(t, code, errOut)
	var res struct {
		Recovered []string `json:"recovered"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	assert.Equal(t, []string{pending.ApprovalID}, res.Recovered)
	require.Eventually(t, func() bool { return state() == "delivered" }, 15*time.Second, 50*time.Millisecond,
		"stderr: %s", stderr.String())
	assert.EqualValues(t, 2, hits.Load())

	_, errOut, code = cliRun(t, env, "", "deliveries", "recover")
	assert.Equal(t, 1, code, errOut)
	assert.Contains(t, errOut, "usage")
	assert.Contains(t, errOut, "--since")
}
