package tools

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhook-mcp/webhook-mcp/internal/testkit"
	"github.com/webhook-mcp/webhook-mcp/webhook"
)

func TestValidateWebhookSignatureSchemes(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	const secret = "tool-test-secret"
	body := `{"client_id":"c1"}`
	a := validateWebhookSignature(Deps{Now: func() time.Time { return now }, DefaultSource: "make.com",
		Secrets: func(string) [][]byte { return [][]byte{[]byte("old"), []byte(secret)} }})
	call := func(in map[string]any) ValidateSignatureOutput {
		raw, err := json.Marshal(in)
		require.NoError(t, err)
		out, err := a.Call(context.Background(), Invocation{}, raw)
		require.NoError(t, err)
		return out.Output.(ValidateSignatureOutput)
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	std := webhook.SignStandard([]byte(secret), "msg_1", now, []byte(body))
	cases := []struct {
		name   string
		in     map[string]any
		valid  bool
		scheme string
	}{
		{"hmac auto", map[string]any{"webhook_data": body, "signature": testkit.SignHMAC([]byte(secret), []byte(body))}, true, webhook.SchemeHMACSHA256Hex},
		{"standard auto", map[string]any{"webhook_data": body, "signature": std, "webhook_id": "msg_1", "webhook_timestamp": ts}, true, webhook.SchemeStandard},
		{"standard explicit", map[string]any{"webhook_data": body, "signature": std, "webhook_id": "msg_1", "webhook_timestamp": ts, "scheme": "standard-webhooks"}, true, webhook.SchemeStandard},
		{"standard wrong id", map[string]any{"webhook_data": body, "signature": std, "webhook_id": "msg_2", "webhook_timestamp": ts}, false, webhook.SchemeStandard},
		{"standard stale", map[string]any{"webhook_data": body, "signature": std, "webhook_id": "msg_1", "webhook_timestamp": strconv.FormatInt(now.Unix()-3600, 10)}, false, webhook.SchemeStandard},
		{"hmac forced on standard input", map[string]any{"webhook_data": body, "signature": std, "webhook_id": "msg_1", "webhook_timestamp": ts, "scheme": "hmac-sha256"}, false, webhook.SchemeHMACSHA256},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := call(tc.in)
			assert.Equal(t, tc.valid, out.Valid, out.Reason)
			assert.Equal(t, tc.scheme, out.Scheme)
		})
	}
	raw, _ := json.Marshal(map[string]any{"webhook_data": body, "signature": std, "scheme": "md5"})
	_, err := a.Call(context.Background(), Invocation{}, raw)
	assert.ErrorIs(t, err, webhook.ErrInvalidArgument)
}
