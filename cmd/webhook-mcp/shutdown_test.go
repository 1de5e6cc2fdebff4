package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSIGTERMDrainsInFlightWebhooks starts 50 webhooks whose senders upload
// their bodies slowly (half the body, then a pause: a real slow sender, no
// test hook in the server), sends SIGTERM while all 50 are in flight, checks
// that new webhooks and /readyz get 503 meanwhile, then lets the 50 finish:
// every one gets 200 and the process exits 0.
func TestSIGTERMDrainsInFlightWebhooks(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess shutdown test")
	}
	t.Parallel()
	const n = 50
	cmd, base, stderr := startServe(t, []string{"DATA_DIR=" + t.TempDir(),
		"RATE_LIMIT_PER_IP=0", "RATE_LIMIT_PER_SOURCE=0", "WEBHOOK_TIMEOUT_SECONDS=30"})
	url := base + "/api/webhook/make.com/chatgpt-clients"
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: n}}

	release := make(chan struct{})
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"client_id":"drain","task":{"id":"task-%d","name":"Slow %d"}}`, i, i)
			pr, pw := io.Pipe()
			go func() {
				_, _ = io.WriteString(pw, body[:len(body)/2])
				<-release
				_, _ = io.WriteString(pw, body[len(body)/2:])
				_ = pw.Close()
			}()
			req, err := http.NewRequest(http.MethodPost, url, pr)
			if err != nil {
				return
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				t.Errorf("webhook %d: %v", i, err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}

	// All 50 are in the handler (counted as received) before SIGTERM.
	require.Eventually(t, func() bool { return receivedCount(base) == n }, 20*time.Second, 10*time.Millisecond,
		"the 50 slow webhooks did not all reach the server")
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))

	fresh := &http.Client{Timeout: 5 * time.Second}
	var code string
	require.Eventually(t, func() bool {
		resp, err := fresh.Post(url, "application/json", strings.NewReader(`{"client_id":"late","task":{"id":"late"}}`))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var env struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&env)
		code = env.Error.Code
		return resp.StatusCode == http.StatusServiceUnavailable
	}, 10*time.Second, 10*time.Millisecond, "new webhooks are refused while draining")
	assert.Equal(t, "shutting_down", code)
	resp, err := fresh.Get(base + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "/readyz while draining")

	close(release)
	wg.Wait()
	for i, s := range statuses {
		assert.Equal(t, http.StatusOK, s, "in-flight webhook %d", i)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, "exit code after SIGTERM; stderr: %s", stderr.String())
	case <-time.After(45 * time.Second):
		t.Fatal("server did not exit after draining")
	}
}

// receivedCount reads webhooks.received from /api/status, or -1.
func receivedCount(base string) int64 {
	resp, err := http.Get(base + "/api/status")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var st struct {
		Webhooks map[string]int64 `json:"webhooks"`
	}
	if json.NewDecoder(resp.Body).Decode(&st) != nil {
		return -1
	}
	return st.Webhooks["received"]
}
