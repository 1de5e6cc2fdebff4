package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRestartResumesDeliverySchedule fails the first attempt, kills the server
// before the retry is due, restarts it on the same data dir and sees the retry
// delivered: the schedule lives in the store, not in memory.
func TestRestartResumesDeliverySchedule(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	t.Parallel()
	var hits atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			// Retry-After holds the retry a full 2s away (the schedule's
			// jitter alone could make it immediate, before the kill below).
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer rcv.Close()
	dataDir := t.TempDir()
	env := []string{"DATA_DIR=" + dataDir, "OUTBOUND_ALLOW_HOSTS=127.0.0.1", "DELIVERY_RETRY_SCHEDULE=0s,2s",
		"APPROVAL_TOKEN=restart-test-token", "APPROVAL_ELICITATION=false"}
	cmd, base, stderr := startServe(t, env)

	tr, err := transport.NewStreamableHTTP(base + "/mcp")
	require.NoError(t, err)
	c := client.NewClient(tr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, c.Start(context.Background()))
	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = mcp.Implementation{Name: "restart-test", Version: "1"}
	_, err = c.Initialize(ctx, init)
	require.NoError(t, err)
	req := mcp.CallToolRequest{}
	req.Params.Name = "send_webhook_response"
	req.Params.Arguments = map[string]any{"response_url": rcv.URL, "response_data": map[string]any{"n": 1}}
	res, err := c.CallTool(ctx, req)
	require.NoError(t, err)
	require.False(t, res.IsError, "%v", res.Content)
	var pending struct {
		ApprovalID string `json:"approval_id"`
	}
	b, _ := json.Marshal(res.StructuredContent)
	require.NoError(t, json.Unmarshal(b, &pending))
	_ = c.Close()

	post := func(base, path string) int {
		r, _ := http.NewRequest(http.MethodPost, base+path, nil)
		r.Header.Set("Authorization", "Bearer restart-test-token")
		r.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(r)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, post(base, "/api/approvals/"+pending.ApprovalID+"/approve"))
	require.Eventually(t, func() bool { return hits.Load() == 1 }, 10*time.Second, 10*time.Millisecond, "stderr: %s", stderr.String())
	// Between attempts: the failed first attempt is recorded and the retry scheduled.
	require.Eventually(t, func() bool {
		st := getDelivery(t, base, pending.ApprovalID)
		return st.Delivery.Outcome == "retrying"
	}, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, cmd.Process.Kill()) // dies before the retry, which is at most 2s away
	_, _ = cmd.Process.Wait()
	assert.EqualValues(t, 1, hits.Load())

	cmd2, base2, stderr2 := startServe(t, env)
	require.Eventually(t, func() bool { return hits.Load() == 2 }, 15*time.Second, 20*time.Millisecond, "stderr: %s", stderr2.String())
	var st deliveryView
	require.Eventually(t, func() bool {
		st = getDelivery(t, base2, pending.ApprovalID)
		return st.State == "delivered"
	}, 10*time.Second, 20*time.Millisecond)
	require.Len(t, st.Attempts, 2)
	assert.Equal(t, 503, st.Attempts[0].StatusCode)
	assert.Equal(t, 200, st.Attempts[1].StatusCode)
	// A graceful stop waits for the attempts in flight: once the process is
	// gone, no second copy of the retry can still be on its way.
	require.NoError(t, cmd2.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- cmd2.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, "exit after SIGTERM; stderr: %s", stderr2.String())
	case <-time.After(40 * time.Second):
		t.Fatal("server did not exit after SIGTERM")
	}
	assert.EqualValues(t, 2, hits.Load(), "delivered once after the restart")
}

// deliveryView is the part of GET /api/deliveries/{id} these tests read.
type deliveryView struct {
	State    string `json:"state"`
	Delivery struct {
		Outcome string `json:"outcome"`
	} `json:"delivery"`
	Attempts []struct {
		StatusCode int `json:"status_code"`
	} `json:"attempts"`
}

func getDelivery(t *testing.T, base, id string) deliveryView {
	t.Helper()
	return getDeliveryWith(t, base, id, "restart-test-token")
}

// getDeliveryWith reads GET /api/deliveries/{id} with token; a failed request
// reads as the zero view.
func getDeliveryWith(t *testing.T, base, id, token string) deliveryView {
	t.Helper()
	var st deliveryView
	r, _ := http.NewRequest(http.MethodGet, base+"/api/deliveries/"+id, nil)
	r.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return st
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(&st)
	return st
}
