package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/store"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// TestKill9LosesNothingAcknowledged sends 500 webhooks concurrently, kill -9s the
// server in the middle, restarts it on the same data dir and checks that every
// webhook that got a 200 is in the inbox exactly once, and that every one that
// did not, retried with its Idempotency-Key, now gets a 200 (none is refused as
// still in progress).
func TestKill9LosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess crash test")
	}
	t.Parallel()
	dataDir := t.TempDir()
	// Rate limits off: this test floods the server from one loopback client.
	cmd, base, stderr := startServe(t, []string{"DATA_DIR=" + dataDir, "RATE_LIMIT_PER_IP=0", "RATE_LIMIT_PER_SOURCE=0"})

	const total, workers = 500, 32
	var (
		mu      sync.Mutex
		acked   = map[string]string{} // webhook_id → task id
		ackedI  = map[int]bool{}
		sent    atomic.Int64
		ok      atomic.Int64
		kill    sync.Once
		killErr error
	)
	client := &http.Client{Timeout: 10 * time.Second}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				sent.Add(1)
				resp, err := postKeyed(client, base, i)
				if err != nil {
					continue // the server died under this request: it was never acknowledged
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					continue
				}
				var env struct {
					WebhookID string `json:"webhook_id"`
				}
				if json.Unmarshal(raw, &env) != nil || env.WebhookID == "" {
					continue // a cut-off body is not an acknowledgement
				}
				mu.Lock()
				acked[env.WebhookID] = fmt.Sprintf("task-%d", i)
				ackedI[i] = true
				mu.Unlock()
				if ok.Add(1) == total/2 {
					kill.Do(func() { killErr = cmd.Process.Kill() }) // SIGKILL mid-stream
				}
			}
		}()
	}
	for i := range total {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	kill.Do(func() { killErr = cmd.Process.Kill() }) // if fewer than half were acknowledged
	require.NoError(t, killErr)
	_, _ = cmd.Process.Wait()
	t.Logf("sent %d, acknowledged %d before and around the kill", sent.Load(), len(acked))
	require.GreaterOrEqual(t, len(acked), total/2, "stderr: %s", stderr.String())

	// Restart on the same data dir: it must come up and serve.
	cmd2, base2, _ := startServe(t, []string{"DATA_DIR=" + dataDir, "RATE_LIMIT_PER_IP=0", "RATE_LIMIT_PER_SOURCE=0"})
	resp, err := http.Get(base2 + "/api/status")
	require.NoError(t, err)
	resp.Body.Close()
	// Every request the sender did not see acknowledged is retried with its key.
	statuses := map[int]int{}
	for i := range total {
		if ackedI[i] {
			continue
		}
		resp, err := postKeyed(client, base2, i)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		statuses[resp.StatusCode]++
	}
	t.Logf("retried %d unacknowledged webhooks after the restart: %v", total-len(ackedI), statuses)
	assert.Equal(t, map[int]int{http.StatusOK: total - len(ackedI)}, statuses, "every retry is processed; none gets 409")
	require.NoError(t, cmd2.Process.Kill())
	_, _ = cmd2.Process.Wait()

	st, err := store.Open(context.Background(), store.Options{DataDir: dataDir})
	require.NoError(t, err)
	defer st.Close()
	seen := map[string]int{}
	before := time.Time{}
	for {
		evs, err := st.ListEvents(context.Background(), webhook.EventFilter{Limit: 500, Before: before})
		require.NoError(t, err)
		for _, ev := range evs {
			seen[ev.ID]++
			if _, want := acked[ev.ID]; want {
				assert.Equal(t, webhook.StateProcessed, ev.State, ev.ID)
			}
		}
		if len(evs) < 500 {
			break
		}
		before = evs[len(evs)-1].ReceivedAt
	}
	missing := 0
	for id := range acked {
		if seen[id] != 1 {
			missing++
			t.Errorf("acknowledged webhook %s (%s) found %d times in the inbox", id, acked[id], seen[id])
		}
	}
	assert.Zero(t, missing)
	assert.LessOrEqual(t, len(seen), total, "no webhook is recorded twice")
}

// postKeyed posts webhook i of the crash test with its own Idempotency-Key.
func postKeyed(c *http.Client, base string, i int) (*http.Response, error) {
	body := fmt.Sprintf(`{"client_id":"client-%d","task":{"id":"task-%d","name":"Task %d"}}`, i%7, i, i)
	req, err := http.NewRequest(http.MethodPost, base+"/api/webhook/make.com/chatgpt-clients", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", fmt.Sprintf("crash-%d", i))
	return c.Do(req)
}
