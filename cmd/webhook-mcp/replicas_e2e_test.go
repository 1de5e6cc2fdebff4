package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
)

// TestReplicasPushUpdatesThroughPostgres runs two `serve` processes on one
// PostgreSQL database (DATABASE_URL) and checks that a session subscribed on
// one hears of the webhooks the other receives: the binary wires the store's
// LISTEN/NOTIFY feed by itself.
func TestReplicasPushUpdatesThroughPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	t.Parallel()
	url := testkit.PostgresURL(t)
	env := []string{"DATABASE_URL=" + url, "DATA_DIR=" + t.TempDir()}
	_, baseA, _ := startServe(t, env)
	_, baseB, stderrB := startServe(t, env)

	//lint:ignore SA1019 the standalone GET stream is how 2025-11-25 clients receive notifications
	tr, err := transport.NewStreamableHTTP(baseB+"/mcp", transport.WithContinuousListening())
	require.NoError(t, err)
	c := client.NewClient(tr, client.WithProtocolVersion(mcp.ProtocolVersion20251125))
	var mu sync.Mutex
	var updated []string
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method == mcp.MethodNotificationResourceUpdated {
			mu.Lock()
			updated = append(updated, fmt.Sprint(n.Params.AdditionalFields["uri"]))
			mu.Unlock()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, c.Start(ctx))
	defer c.Close()
	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = mcp.Implementation{Name: "replica-b", Version: "1"}
	_, err = c.Initialize(ctx, init)
	require.NoError(t, err)
	sub := mcp.SubscribeRequest{}
	sub.Params.URI = "kg://clients/acme-corp"
	//lint:ignore SA1019 resources/subscribe is the 2025-11-25 protocol under test
	require.NoError(t, c.Subscribe(ctx, sub))

	// B's feed listens shortly after B is ready: post to A until B hears.
	n := 0
	require.Eventually(t, func() bool {
		n++
		body := fmt.Sprintf(`{"client_id":"acme-corp","task":{"id":"t-%d","name":"Task %d"}}`, n, n)
		resp, err := http.Post(baseA+"/api/webhook/make.com/chatgpt-clients", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		mu.Lock()
		defer mu.Unlock()
		return len(updated) > 0 && updated[0] == "kg://clients/acme-corp"
	}, 20*time.Second, 250*time.Millisecond, "B heard nothing of A's webhooks: %s", stderrB.String())
}
