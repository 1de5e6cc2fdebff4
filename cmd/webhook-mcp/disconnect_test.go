package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/store"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

// TestCallersThatGoAwayCanRetry: 200 senders give up after 2 ms (Make.com's
// client timeout, a dropped connection), then retry with the same key. Every
// retry is processed within WEBHOOK_TIMEOUT_SECONDS + 5 s, and each webhook is
// recorded once.
func TestCallersThatGoAwayCanRetry(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	t.Parallel()
	const n, timeoutSeconds = 200, 5
	dataDir := t.TempDir()
	cmd, base, stderr := startServe(t, []string{"DATA_DIR=" + dataDir, "RATE_LIMIT_PER_IP=0",
		"RATE_LIMIT_PER_SOURCE=0", fmt.Sprintf("WEBHOOK_TIMEOUT_SECONDS=%d", timeoutSeconds)})
	post := func(c *http.Client, i int) (int, error) {
		body := fmt.Sprintf(`{"client_id":"gone-%d","task":{"id":"t-%d","name":"Task %d"}}`, i%5, i, i)
		req, err := http.NewRequest(http.MethodPost, base+"/api/webhook/make.com/chatgpt-clients", strings.NewReader(body))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", fmt.Sprintf("gone-%d", i))
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	impatient := &http.Client{Timeout: 2 * time.Millisecond}
	var wg sync.WaitGroup
	gaveUp := 0
	var mu sync.Mutex
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := post(impatient, i); err != nil {
				mu.Lock()
				gaveUp++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("%d of %d senders gave up before the answer", gaveUp, n)

	patient := &http.Client{Timeout: 30 * time.Second}
	bound := time.Duration(timeoutSeconds+5) * time.Second
	start := time.Now()
	conflicts := 0
	for i := range n {
		for {
			code, err := post(patient, i)
			require.NoError(t, err)
			if code == http.StatusOK {
				break
			}
			require.Equal(t, http.StatusConflict, code, "webhook %d: only 409 while the first still runs", i)
			conflicts++
			require.Less(t, time.Since(start), bound, "webhook %d still refused after %s", i, bound)
			time.Sleep(50 * time.Millisecond) // a sender's back-off before its next retry
		}
	}
	t.Logf("all %d retried webhooks processed after %s (%d answers were 409 meanwhile)", n, time.Since(start), conflicts)
	require.NoError(t, cmd.Process.Kill())
	_, _ = cmd.Process.Wait()

	st, err := store.Open(context.Background(), store.Options{DataDir: dataDir})
	require.NoError(t, err)
	defer st.Close()
	evs, err := st.ListEvents(context.Background(), webhook.EventFilter{Limit: 500})
	require.NoError(t, err)
	processed := map[string]int{}
	for _, ev := range evs {
		if ev.State == webhook.StateProcessed {
			processed[ev.IdempotencyKey]++
		}
	}
	assert.Len(t, processed, n, "stderr: %s", stderr.String())
	for k, c := range processed {
		assert.Equal(t, 1, c, "%s recorded once", k)
	}
}
