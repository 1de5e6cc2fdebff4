package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
)

// TestReplicasOnPostgres runs two replicas of the built binary on one
// PostgreSQL database (a schema of its own) and checks what the replicas
// share: idempotency, graph merges, reviewer sessions, confirmation states,
// and delivery claims, including a replica killed mid-delivery.
func TestReplicasOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	t.Parallel()
	dbURL := testkit.PostgresURL(t)
	rcv := &countingReceiver{hits: map[string]int{}}
	hs := httptest.NewServer(rcv)
	defer hs.Close()
	env := []string{"DATABASE_URL=" + dbURL, "DATA_DIR=" + t.TempDir(), "OUTBOUND_ALLOW_HOSTS=127.0.0.1",
		"APPROVAL_TOKEN=" + replicaToken, "WEBHOOK_TIMEOUT_SECONDS=2", "DELIVERY_LEASE=4s",
		"DELIVERY_RETRY_SCHEDULE=0s,1s,1s,1s,1s,1s,1s,1s", "RATE_LIMIT_PER_IP=0", "RATE_LIMIT_PER_SOURCE=0",
		"APPROVAL_MAX_PENDING=0"}
	cmdA, a, stderrA := startServe(t, env)
	cmdB, b, stderrB := startServe(t, env)
	bases := [2]string{a, b}
	defer func() {
		if t.Failed() {
			t.Logf("replica A:\n%s\nreplica B:\n%s", stderrA.String(), stderrB.String())
		}
	}()
	conn, err := pgx.Connect(ctxTimeout(t), dbURL)
	require.NoError(t, err)
	defer conn.Close(ctxTimeout(t))
	client := &http.Client{Timeout: 30 * time.Second}

	t.Run("EachWebhookProcessedOnce", func(t *testing.T) {
		const total = 2000
		type answer struct {
			status int
			id     string
		}
		post := func(base string, i int) answer {
			body := fmt.Sprintf(`{"client_id":"rep-client-%d","task":{"id":"rep-task-%d","name":"Task %d"}}`, i%13, i, i)
			req, err := http.NewRequest(http.MethodPost, base+"/api/webhook/make.com/chatgpt-clients", strings.NewReader(body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", fmt.Sprintf("rep-%d", i))
			resp, err := client.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			m := regexp.MustCompile(`"webhook_id":"([^"]+)"`).FindSubmatch(raw)
			out := answer{status: resp.StatusCode}
			if m != nil {
				out.id = string(m[1])
			}
			return out
		}
		var mu sync.Mutex
		first := map[int]answer{}
		repeats := map[int]answer{}
		parallel(total, 16, func(i int) {
			var ans, rep answer
			if i%10 == 0 { // the same request on the other replica at once
				var wg sync.WaitGroup
				wg.Go(func() { ans = post(bases[i%2], i) })
				wg.Go(func() { rep = post(bases[(i+1)%2], i) })
				wg.Wait()
			} else {
				ans = post(bases[i%2], i)
			}
			mu.Lock()
			first[i] = ans
			if i%10 == 0 {
				repeats[i] = rep
			}
			mu.Unlock()
		})
		statuses := map[int]int{}
		for i := range total {
			statuses[first[i].status]++
		}
		repStatuses := map[int]int{}
		for i, rep := range repeats {
			repStatuses[rep.status]++
			switch rep.status {
			case http.StatusOK:
				if first[i].status == http.StatusOK {
					assert.Equal(t, first[i].id, rep.id, "a repeat on the other replica replays the first answer")
				}
			case http.StatusConflict:
			default:
				t.Errorf("repeat %d: status %d", i, rep.status)
			}
		}
		t.Logf("first sends %v, repeats on the other replica %v", statuses, repStatuses)
		// A first send that lost the race to its repeat got 409: retry it now.
		acked := map[string]int{}
		for i := range total {
			ans := first[i]
			if ans.status == http.StatusConflict {
				ans = post(bases[i%2], i)
			}
			require.Equal(t, http.StatusOK, ans.status, "webhook %d", i)
			if rep, ok := repeats[i]; ok && rep.status == http.StatusOK {
				require.Equal(t, rep.id, ans.id, "webhook %d has one id on both replicas", i)
			}
			acked[ans.id]++
		}
		require.Len(t, acked, total, "every webhook has its own id")
		rows, err := conn.Query(ctxTimeout(t), `SELECT id, state FROM inbox_events WHERE client_id LIKE 'rep-client-%'`)
		require.NoError(t, err)
		inbox := map[string]string{}
		for rows.Next() {
			var id, state string
			require.NoError(t, rows.Scan(&id, &state))
			inbox[id] = state
		}
		require.NoError(t, rows.Err())
		assert.Len(t, inbox, total, "each webhook processed once: one inbox entry per request, none for the repeats")
		for id := range acked {
			assert.Equal(t, "processed", inbox[id], "acknowledged webhook %s is in the inbox, processed", id)
		}
	})

	t.Run("OneClientFromBothReplicasLosesNoTask", func(t *testing.T) {
		const tasks = 200
		parallel(tasks, 16, func(i int) {
			body := fmt.Sprintf(`{"client_id":"one-client","task":{"id":"one-%d","name":"Task %d"}}`, i, i)
			resp, err := client.Post(bases[i%2]+"/api/webhook/make.com/chatgpt-clients", "application/json", strings.NewReader(body))
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)
		})
		var n int
		require.NoError(t, conn.QueryRow(ctxTimeout(t),
			`SELECT count(*) FROM graph_nodes WHERE client_id = 'one-client' AND type = 'task'`).Scan(&n))
		assert.Equal(t, tasks, n, "the graph has every task")
	})

	t.Run("ReviewerSignedInOnADecidesOnB", func(t *testing.T) {
		id := requestSend(t, a, hs.URL+"/reviewer", 0)
		jar, err := cookiejar.New(nil)
		require.NoError(t, err)
		br := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		csrfField := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
		page := func(method, u string, form url.Values) (int, string) {
			var body io.Reader
			if form != nil {
				body = strings.NewReader(form.Encode())
			}
			req, err := http.NewRequest(method, u, body)
			require.NoError(t, err)
			if form != nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			resp, err := br.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(raw)
		}
		status, body := page(http.MethodGet, a+"/approvals/login", nil)
		require.Equal(t, http.StatusOK, status)
		m := csrfField.FindStringSubmatch(body)
		require.NotNil(t, m)
		status, _ = page(http.MethodPost, a+"/approvals/login", url.Values{"csrf": {m[1]}, "token": {replicaToken}})
		require.Equal(t, http.StatusSeeOther, status, "signed in on A")
		status, body = page(http.MethodGet, b+"/approvals", nil) // the jar sends 127.0.0.1's cookie to any port
		require.Equal(t, http.StatusOK, status, "B knows the session")
		m = csrfField.FindStringSubmatch(body)
		require.NotNil(t, m)
		status, _ = page(http.MethodPost, b+"/approvals/"+id+"/reject", url.Values{"csrf": {m[1]}, "reason": {"decided on B"}})
		require.Equal(t, http.StatusSeeOther, status)
		assert.Equal(t, "rejected", stateOn(t, a, id))
	})

	t.Run("ElicitationStartedOnAAnsweredOnB", func(t *testing.T) {
		args := map[string]any{"response_url": hs.URL + "/elicited", "response_data": map[string]any{"n": "elicited"}}
		res := mcpCall(t, a, replicaToken, map[string]any{"name": "send_webhook_response", "arguments": args})
		require.Equal(t, "input_required", res["resultType"], "an approver is asked: %v", res)
		state, _ := res["requestState"].(string)
		require.NotEmpty(t, state)
		res = mcpCall(t, b, replicaToken, map[string]any{"name": "send_webhook_response", "arguments": args,
			"requestState": state, "inputResponses": map[string]any{"approve_send": map[string]any{"action": "accept",
				"content": map[string]any{"confirm": true}}}})
		require.NotEqual(t, true, res["isError"], "%v", res)
		sc, _ := res["structuredContent"].(map[string]any)
		id, _ := sc["approval_id"].(string)
		require.NotEmpty(t, id, "%v", res)
		assert.Contains(t, []string{"approved", "delivering", "delivered"}, stateOn(t, a, id), "B's answer decided it")
	})

	t.Run("HundredApprovalsDeliveredOnce", func(t *testing.T) {
		const n = 100
		ids := make([]string, n)
		parallel(n, 8, func(i int) { ids[i] = requestSend(t, a, hs.URL+"/hundred", i) })
		hooks := map[string]bool{} // the webhook-id of a delivery is its approval id
		for _, id := range ids {
			hooks[id] = true
		}
		require.Len(t, hooks, n)
		parallel(n, 8, func(i int) {
			assert.Equal(t, http.StatusOK, apiDo(t, http.MethodPost, bases[i%2]+"/api/approvals/"+ids[i]+"/approve", nil))
		})
		require.Eventually(t, func() bool {
			for _, id := range ids {
				if stateOn(t, b, id) != "delivered" {
					return false
				}
			}
			return true
		}, 60*time.Second, 200*time.Millisecond, "every approval delivered")
		hits, _ := rcv.snapshot()
		for h := range hooks {
			assert.Equal(t, 1, hits[h], "delivery %s received once", h)
		}
	})

	t.Run("KilledReplicaLeavesItsClaimsToTheOther", func(t *testing.T) {
		const n = 20
		ids := make([]string, n)
		parallel(n, 8, func(i int) { ids[i] = requestSend(t, a, hs.URL+"/killed", i) })
		hooks := ids // the webhook-id of a delivery is its approval id
		release := make(chan struct{})
		rcv.mu.Lock()
		rcv.hold, rcv.holdAfter, rcv.seen, rcv.waiting = release, 6, 0, 0
		rcv.mu.Unlock()
		for _, id := range ids { // A is woken at once; B finds them on its next poll
			require.Equal(t, http.StatusOK, apiDo(t, http.MethodPost, a+"/api/approvals/"+id+"/approve", nil))
		}
		// Kill the replica that holds a delivery open at the receiver.
		victim := -1
		require.Eventually(t, func() bool {
			for _, port := range rcv.heldPorts() {
				if victim = socketOwner(port, cmdA.Process.Pid, cmdB.Process.Pid); victim >= 0 {
					return true
				}
			}
			return false
		}, 20*time.Second, 10*time.Millisecond, "a delivery of a replica is held at the receiver")
		killed := [2]*exec.Cmd{cmdA, cmdB}[victim]
		survivor := bases[1-victim]
		require.NoError(t, killed.Process.Kill()) // SIGKILL, mid-delivery
		_, _ = killed.Process.Wait()
		recorded := map[string]bool{}
		for i, id := range ids {
			if stateOn(t, survivor, id) == "delivered" {
				recorded[hooks[i]] = true
			}
		}
		atKill, _ := rcv.snapshot()
		rcv.mu.Lock()
		rcv.hold = nil
		rcv.mu.Unlock()
		close(release)
		t.Logf("killed replica %c; at the kill: %d of %d deliveries recorded, %d requests held at the receiver",
			"AB"[victim], len(recorded), n, rcv.waiting)

		require.Eventually(t, func() bool {
			for _, id := range ids {
				if stateOn(t, survivor, id) != "delivered" {
					return false
				}
			}
			return true
		}, 60*time.Second, 200*time.Millisecond, "the survivor finishes every delivery, the dead one's claims after the lease")
		after, _ := rcv.snapshot()
		for _, h := range hooks {
			assert.GreaterOrEqual(t, after[h], 1, "delivery %s received", h)
			if recorded[h] {
				assert.Equal(t, atKill[h], after[h], "nothing delivered again after a recorded delivery (%s)", h)
			}
		}
		again := 0
		for _, h := range hooks {
			if after[h] > 1 {
				again++
			}
		}
		t.Logf("%d deliveries were received again (their attempt was cut by the kill before it was recorded)", again)
		assert.Positive(t, again, "the dead replica's held attempt was taken over and made again")
	})
}
