package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/webhook-mcp/webhook-mcp/server"
)

func TestHelpAndVersion(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--help"}, {"help"}, {"-h"}} {
		var out, errOut bytes.Buffer
		require.NoError(t, run(context.Background(), args, nil, nil, &out, &errOut))
		assert.Contains(t, out.String(), "webhook-mcp serve")
		assert.Contains(t, out.String(), "webhook-mcp stdio")
		assert.Empty(t, errOut.String())
	}
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"version"}, nil, nil, &out, &bytes.Buffer{}))
	assert.Equal(t, "webhook-mcp dev\n", out.String())
}

func TestUnknownCommand(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"frobnicate"}, nil, nil, &out, &errOut)
	require.ErrorIs(t, err, errUsage)
	assert.Contains(t, errOut.String(), "Usage:")
	assert.Empty(t, out.String())
}

func TestBadConfigurationNamesTheVariable(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"WEBHOOK_TIMEOUT_SECONDS=abc":      "WEBHOOK_TIMEOUT_SECONDS",
		"WEBHOOK_TIMEOUT_SECONDS=0":        "WEBHOOK_TIMEOUT_SECONDS",
		"WEBHOOK_VALIDATION_ENABLED=maybe": "WEBHOOK_VALIDATION_ENABLED",
		"MAX_BODY_BYTES=-5":                "MAX_BODY_BYTES",
		"LOG_LEVEL=loud":                   "LOG_LEVEL",
		"LOG_FORMAT=xml":                   "LOG_FORMAT",
		"IDEMPOTENCY_WINDOW=soon":          "IDEMPOTENCY_WINDOW",
	}
	for kv, name := range cases {
		t.Run(kv, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := run(context.Background(), []string{"serve"}, []string{kv, "DATA_DIR=" + t.TempDir()}, nil, &out, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), name)
			assert.Empty(t, out.String())
		})
	}
}

func TestDefaultsAreValid(t *testing.T) {
	t.Parallel()
	cfg, err := server.LoadConfig(nil)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:8000", cfg.HTTPAddr)
	assert.Equal(t, 30, cfg.TimeoutSeconds)
	assert.True(t, cfg.ValidationEnabled)
	assert.Equal(t, int64(1<<20), cfg.MaxBodyBytes)
	assert.Equal(t, "./data", cfg.DataDir)
	cfg, err = server.LoadConfig([]string{"MAKE_COM_WEBHOOK_SECRET=a, b"})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", " b"}, cfg.MakeComWebhookSecret)
	assert.False(t, strings.Contains(strings.Join(cfg.MakeComWebhookSecret, ""), ","))
}
