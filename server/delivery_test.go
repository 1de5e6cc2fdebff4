package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/approval"
	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
	"github.com/webhook-mcp/webhook-mcp/store"
)

// scripted answers each request with the next status of its script (the last
// one repeats), optionally after a delay.
type scripted struct {
	statuses []int
	headers  map[string]string
	delay    time.Duration
	hits     atomic.Int64
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(s.hits.Add(1))
	_, _ = io.Copy(io.Discard, r.Body)
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-r.Context().Done():
			return
		}
	}
	for k, v := range s.headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(s.statuses[min(n, len(s.statuses))-1])
	_, _ = w.Write([]byte("answer " + strconv.Itoa(n)))
}

// deliveryEnv is a server without a background worker: the test drives
// attempts with RunDue on a fake clock.
type deliveryEnv struct {
	srv   *Server
	clock *testkit.Clock
	c     *client.Client
}

func newDeliveryEnv(t *testing.T, cfg Config) *deliveryEnv {
	t.Helper()
	clock := testkit.NewClock(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(context.Background(), store.Options{DataDir: t.TempDir(), Logger: logger, Now: clock.Now})
	require.NoError(t, err)
	srv, err := New(cfg, Deps{Store: st, Logger: logger, Version: "test", Now: clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Approvals().Wait(); require.NoError(t, st.Close()) })
	c, err := client.NewInProcessClient(srv.MCPServer())
	require.NoError(t, err)
	initialize(t, c)
	return &deliveryEnv{srv: srv, clock: clock, c: c}
}

// approve creates and approves a send to url, returning the approval id.
func (d *deliveryEnv) approve(t *testing.T, url string) string {
	t.Helper()
	id := requestApproval(t, d.c, url, map[string]any{"hello": "world"})
	_, err := d.srv.Approvals().Approve(context.Background(), id, "api", "")
	require.NoError(t, err)
	return id
}

// step runs every due attempt and waits until they are recorded.
func (d *deliveryEnv) step(t *testing.T) int {
	t.Helper()
	n := d.srv.Approvals().RunDue(context.Background(), d.srv.Registry())
	d.srv.Approvals().Wait()
	return n
}

func (d *deliveryEnv) get(t *testing.T, id string) (approval.Request, []approval.Attempt) {
	t.Helper()
	r, _, err := d.srv.Approvals().Get(context.Background(), id)
	require.NoError(t, err)
	atts, err := d.srv.Approvals().Attempts(context.Background(), id)
	require.NoError(t, err)
	return r, atts
}

func TestDeliveryRetries(t *testing.T) {
	t.Parallel()
	t.Run("fails twice then 200: delivered on attempt 3", func(t *testing.T) {
		t.Parallel()
		rcv := &scripted{statuses: []int{503, 502, 200}}
		hs := httptest.NewServer(rcv)
		defer hs.Close()
		d := newDeliveryEnv(t, testConfig())
		id := d.approve(t, hs.URL)
		require.Equal(t, 1, d.step(t))
		r, _ := d.get(t, id)
		assert.Equal(t, approval.StateDelivering, r.State)
		assert.Equal(t, approval.OutcomeRetrying, r.Delivery.Outcome)
		assert.Zero(t, d.step(t), "attempt 2 is not due before its time")
		d.clock.Advance(6 * time.Second)
		require.Equal(t, 1, d.step(t))
		d.clock.Advance(31 * time.Second)
		require.Equal(t, 1, d.step(t))
		r, atts := d.get(t, id)
		assert.Equal(t, approval.StateDelivered, r.State)
		assert.Equal(t, 3, r.Delivery.Attempts)
		require.Len(t, atts, 3)
		assert.Equal(t, []int{503, 502, 200}, []int{atts[0].StatusCode, atts[1].StatusCode, atts[2].StatusCode})
		assert.Equal(t, "answer 3", atts[2].Response)
		assert.EqualValues(t, 3, rcv.hits.Load())

		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/api/status", nil)
		req.Host = "localhost"
		d.srv.Handler().ServeHTTP(rec, req)
		var st Status
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &st))
		assert.Equal(t, 1, st.Deliveries["delivered"])
	})
	t.Run("400: failed after one attempt", func(t *testing.T) {
		t.Parallel()
		rcv := &scripted{statuses: []int{400}}
		hs := httptest.NewServer(rcv)
		defer hs.Close()
		d := newDeliveryEnv(t, testConfig())
		id := d.approve(t, hs.URL)
		d.step(t)
		d.clock.Advance(time.Hour)
		d.step(t)
		r, atts := d.get(t, id)
		assert.Equal(t, approval.StateFailed, r.State)
		assert.Equal(t, approval.OutcomeFailed, r.Delivery.Outcome)
		assert.Len(t, atts, 1)
		assert.EqualValues(t, 1, rcv.hits.Load())
	})
	t.Run("429 with Retry-After 2: next attempt not before 2s", func(t *testing.T) {
		t.Parallel()
		rcv := &scripted{statuses: []int{429, 200}, headers: map[string]string{"Retry-After": "2"}}
		hs := httptest.NewServer(rcv)
		defer hs.Close()
		cfg := testConfig()
		cfg.DeliveryRetrySchedule = "0s,1s,1s" // jitter alone would retry within 1s
		d := newDeliveryEnv(t, cfg)
		id := d.approve(t, hs.URL)
		d.step(t)
		r, atts := d.get(t, id)
		require.NotNil(t, r.NextAttemptAt)
		assert.GreaterOrEqual(t, r.NextAttemptAt.Sub(atts[0].At), 2*time.Second)
		d.clock.Advance(1999 * time.Millisecond)
		assert.Zero(t, d.step(t), "not due at 1.999s")
		d.clock.Advance(time.Millisecond)
		assert.Equal(t, 1, d.step(t))
		r, _ = d.get(t, id)
		assert.Equal(t, approval.StateDelivered, r.State)
	})
	t.Run("410: gone", func(t *testing.T) {
		t.Parallel()
		rcv := &scripted{statuses: []int{410}}
		hs := httptest.NewServer(rcv)
		defer hs.Close()
		d := newDeliveryEnv(t, testConfig())
		id := d.approve(t, hs.URL)
		d.step(t)
		d.clock.Advance(time.Hour)
		d.step(t)
		r, atts := d.get(t, id)
		assert.Equal(t, approval.StateFailed, r.State)
		assert.Equal(t, approval.OutcomeGone, r.Delivery.Outcome)
		assert.Len(t, atts, 1)
	})
	t.Run("slow receiver: timeout recorded and retried", func(t *testing.T) {
		t.Parallel()
		rcv := &scripted{statuses: []int{200}, delay: 3 * time.Second}
		hs := httptest.NewServer(rcv)
		defer hs.Close()
		cfg := testConfig()
		cfg.TimeoutSeconds = 1
		d := newDeliveryEnv(t, cfg)
		id := d.approve(t, hs.URL)
		d.step(t)
		r, atts := d.get(t, id)
		require.Len(t, atts, 1)
		assert.Contains(t, atts[0].Error, "deadline exceeded")
		assert.Zero(t, atts[0].StatusCode)
		assert.Equal(t, approval.OutcomeRetrying, r.Delivery.Outcome)
	})
	t.Run("schedule used up: dead letter, then retried by hand under the same id", func(t *testing.T) {
		t.Parallel()
		rcv := &scripted{statuses: []int{500, 500, 200}}
		hs := httptest.NewServer(rcv)
		defer hs.Close()
		cfg := testConfig()
		cfg.DeliveryRetrySchedule = "0s,1s"
		d := newDeliveryEnv(t, cfg)
		id := d.approve(t, hs.URL)
		d.step(t)
		d.clock.Advance(2 * time.Second)
		d.step(t)
		r, _ := d.get(t, id)
		require.Equal(t, approval.StateFailed, r.State)
		_, err := d.srv.Approvals().Retry(context.Background(), id, "api")
		require.NoError(t, err)
		d.step(t)
		r, atts := d.get(t, id)
		assert.Equal(t, approval.StateDelivered, r.State)
		assert.Len(t, atts, 3)
		_, err = d.srv.Approvals().Retry(context.Background(), id, "api")
		assert.ErrorIs(t, err, approval.ErrConflict, "only failed deliveries can be retried")
	})
}

func TestOutboundRequestIsSignedPerStandardWebhooks(t *testing.T) {
	t.Parallel()
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // throwaway test value
	var got struct {
		mu   sync.Mutex
		hdr  http.Header
		body []byte
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.mu.Lock()
		got.hdr, got.body = r.Header.Clone(), b
		got.mu.Unlock()
	}))
	defer hs.Close()
	cfg := testConfig()
	cfg.MakeComWebhookSecret = []string{secret}
	d := newDeliveryEnv(t, cfg)
	id := d.approve(t, hs.URL)
	d.step(t)
	got.mu.Lock()
	defer got.mu.Unlock()

	// An independent implementation from the specification text: the signed
	// content is "<webhook-id>.<webhook-timestamp>.<body>", the key is the
	// base64 part of the whsec_ secret, the signature is "v1," + base64 of
	// HMAC-SHA256, and the header may list several space-separated signatures.
	msgID, ts := got.hdr.Get("webhook-id"), got.hdr.Get("webhook-timestamp")
	assert.Equal(t, id, msgID, "webhook-id is the delivery id, stable across retries")
	sec, err := strconv.ParseInt(ts, 10, 64)
	require.NoError(t, err)
	assert.Equal(t, d.clock.Now().Unix(), sec)
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	require.NoError(t, err)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msgID + "." + ts + "." + string(got.body)))
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	assert.Contains(t, strings.Fields(got.hdr.Get("webhook-signature")), want)
	assert.Equal(t, "application/json", got.hdr.Get("Content-Type"))
	assert.Equal(t, "webhook-mcp/test", got.hdr.Get("User-Agent"))
	assert.Equal(t, "client_update", got.hdr.Get("X-Response-Type"))
	assert.JSONEq(t, `{"hello":"world"}`, string(got.body))
}

func TestRefusedTargetIsAToolErrorBeforeAnyApproval(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.OutboundAllowHosts = nil
	d := newDeliveryEnv(t, cfg)
	for _, target := range []string{"http://127.0.0.1:9/x", "http://169.254.169.254/latest/meta-data",
		"http://2130706433/", "file:///etc/passwd", "gopher://example.com/"} {
		res := callTool(t, d.c, "send_webhook_response", map[string]any{"response_url": target,
			"response_data": map[string]any{"a": 1}}, nil)
		require.True(t, res.IsError, target)
	}
	list, err := d.srv.Approvals().List(context.Background(), approval.Filter{})
	require.NoError(t, err)
	assert.Empty(t, list, "no approval was created for a refused target")
}

// TestResponseTypeMustBeAToken: a response_type that could break the
// X-Response-Type header is refused when the request is made, and no approval
// exists for it.
func TestResponseTypeMustBeAToken(t *testing.T) {
	t.Parallel()
	d := newDeliveryEnv(t, testConfig())
	for _, bad := range []string{"update\r\nX-Injected: yes", "update\nX: y", "two words", "a:b"} {
		res := callTool(t, d.c, "send_webhook_response", map[string]any{"response_url": "http://127.0.0.1:9/x",
			"response_data": map[string]any{"a": 1}, "response_type": bad}, nil)
		require.True(t, res.IsError, "%q", bad)
		assert.Contains(t, res.Content[0].(mcp.TextContent).Text, "invalid_argument", "%q", bad)
	}
	list, err := d.srv.Approvals().List(context.Background(), approval.Filter{})
	require.NoError(t, err)
	assert.Empty(t, list, "nothing was created")
}
