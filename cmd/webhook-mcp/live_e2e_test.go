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

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
)

// TestStdioSubprocessResourceUpdates runs the built binary in stdio mode on
// both protocol versions, subscribes to a client's graph over stdio, posts
// webhooks to the HTTP listener the same process serves, and checks that the
// update arrives on stdout, and that another client's webhook, posted first,
// sends nothing before it.
func TestStdioSubprocessResourceUpdates(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	t.Parallel()
	for _, version := range []string{mcp.ProtocolVersion20260728, mcp.ProtocolVersion20251125} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			stderr := &testkit.LockedBuffer{}
			env := []string{"DATA_DIR=" + t.TempDir(), "HTTP_ADDR=127.0.0.1:0", "LOG_LEVEL=info", "LOG_FORMAT=text"}
			tr := transport.NewStdioWithOptions(binPath, env, []string{"stdio"}, transport.WithCommandStderrWriter(stderr))
			c := client.NewClient(tr, client.WithProtocolVersion(version))
			var mu sync.Mutex
			var updated []string
			acks := 0
			c.OnNotification(func(n mcp.JSONRPCNotification) {
				mu.Lock()
				defer mu.Unlock()
				switch n.Method {
				case mcp.MethodNotificationResourceUpdated:
					uri, _ := n.Params.AdditionalFields["uri"].(string)
					updated = append(updated, uri)
				case mcp.MethodNotificationSubscriptionsAcknowledged:
					acks++
				}
			})
			require.NoError(t, c.Start(context.Background()))
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			init := mcp.InitializeRequest{}
			init.Params.ClientInfo = mcp.Implementation{Name: "stdio-live", Version: "1"}
			res, err := c.Initialize(ctx, init)
			require.NoError(t, err, "stderr: %s", stderr.String())
			require.Equal(t, version, res.ProtocolVersion)
			require.True(t, res.Capabilities.Resources != nil && res.Capabilities.Resources.Subscribe)

			var base string
			require.Eventually(t, func() bool {
				m := listeningAddr.FindStringSubmatch(stderr.String())
				if m != nil {
					base = "http://" + m[1]
				}
				return m != nil
			}, 15*time.Second, 20*time.Millisecond, "no HTTP listener: %s", stderr.String())

			uri := "kg://clients/acme-corp"
			if mcp.IsModernProtocol(version) {
				stop, err := c.ListenAsync(context.Background(), mcp.SubscriptionFilter{ResourceSubscriptions: []string{uri}}, nil)
				require.NoError(t, err)
				defer stop()
				require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return acks > 0 },
					10*time.Second, 5*time.Millisecond, "subscriptions/listen was not acknowledged")
			} else {
				req := mcp.SubscribeRequest{}
				req.Params.URI = uri
				//lint:ignore SA1019 resources/subscribe is the 2025-11-25 protocol under test
				require.NoError(t, c.Subscribe(ctx, req))
			}
			post := func(clientID, task string) {
				body := fmt.Sprintf(`{"client_id":%q,"task":{"id":%q,"name":"Task %s"}}`, clientID, task, task)
				resp, err := http.Post(base+"/api/webhook/make.com/chatgpt-clients", "application/json", strings.NewReader(body))
				require.NoError(t, err)
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				require.Equal(t, http.StatusOK, resp.StatusCode, "%s", raw)
			}
			post("other-co", "t-0") // the barrier: sends nothing to this subscriber
			post("acme-corp", "t-1")
			require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(updated) > 0 },
				10*time.Second, 5*time.Millisecond, "no notifications/resources/updated over stdio")
			mu.Lock()
			assert.Equal(t, uri, updated[0], "the first update is the subscribed client's")
			mu.Unlock()
		})
	}
}
