package server

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// metricValue returns the value of the sample whose line starts with series
// (name and labels exactly as exposed), or -1 when there is none.
func metricValue(t *testing.T, text, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(text)
	if m == nil {
		return -1
	}
	v, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	return v
}

// TestMetricsMoveWithTraffic scrapes /metrics before and after webhooks and
// tool calls and finds every counter moved.
func TestMetricsMoveWithTraffic(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.MakeComWebhookSecret = []string{testSecret}
	e := newTestEnv(t, cfg)
	before := scrape(t, e)
	okSeries := `webhookmcp_webhook_requests_total{route="chatgpt-clients",source="make.com",status="200"}`
	assert.Equal(t, -1.0, metricValue(t, before, okSeries))

	body := []byte(`{"client_id":"m1","task":{"id":"t1","name":"T"}}`)
	for range 3 {
		resp, _ := e.post(t, webhookPath, body, map[string]string{"X-Webhook-Signature": signHex(testSecret, body)})
		require.Equal(t, 200, resp.StatusCode) // repeats replay the stored result
	}
	resp, _ := e.post(t, webhookPath, body, nil)
	require.Equal(t, 401, resp.StatusCode)
	resp, _ = e.post(t, "/api/webhook/nope/nope", body, nil)
	require.Equal(t, 404, resp.StatusCode)

	tr, err := transport.NewStreamableHTTP(e.http.URL + "/mcp")
	require.NoError(t, err)
	c := client.NewClient(tr)
	init := initialize(t, c)
	assert.NotNil(t, init.Capabilities.Tools, "tools capability")
	assert.NotNil(t, init.Capabilities.Resources, "resources capability")
	assert.Nil(t, init.Capabilities.Logging, "no logging capability: no log notifications are sent")
	assert.Nil(t, init.Capabilities.Elicitation, "elicitation is a client capability, not the server's")
	callTool(t, c, "extract_client_knowledge_graph", map[string]any{"webhook_data": map[string]any{"client_id": "m2"}}, nil)
	res := callTool(t, c, "process_webhook_data", map[string]any{"webhook_data": "not an object"}, nil)
	require.True(t, res.IsError)

	after := scrape(t, e)
	assert.Equal(t, 3.0, metricValue(t, after, okSeries))
	assert.Equal(t, 1.0, metricValue(t, after, `webhookmcp_webhook_requests_total{route="chatgpt-clients",source="make.com",status="401"}`))
	assert.Equal(t, 1.0, metricValue(t, after, `webhookmcp_webhook_requests_total{route="unknown",source="unknown",status="404"}`))
	assert.Equal(t, 4.0, metricValue(t, after, `webhookmcp_webhook_duration_seconds_count{route="chatgpt-clients"}`))
	assert.Equal(t, 1.0, metricValue(t, after, `webhookmcp_tool_calls_total{outcome="ok",tool="extract_client_knowledge_graph"}`))
	assert.Equal(t, 1.0, metricValue(t, after, `webhookmcp_tool_calls_total{outcome="tool_error",tool="process_webhook_data"}`))
	assert.GreaterOrEqual(t, metricValue(t, after, `webhookmcp_inbox_events{state="processed"}`), 2.0)
	assert.Equal(t, 1.0, metricValue(t, after, `webhookmcp_store_up`))

	e.srv.Metrics().DeliveryOutcome("delivered")
	assert.Equal(t, 1.0, metricValue(t, scrape(t, e), `webhookmcp_deliveries_total{outcome="delivered"}`))
}
