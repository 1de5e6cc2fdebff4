package tools

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden schema snapshots in testdata/")

// TestToolSchemasGolden snapshots every built-in tool's definition: name,
// description, input and output schemas and annotations. Refresh with
// go test ./tools -run Golden -update.
func TestToolSchemasGolden(t *testing.T) {
	for _, a := range Builtin(Deps{}) {
		tool := a.Tool()
		t.Run(tool.Name, func(t *testing.T) {
			got, err := json.MarshalIndent(tool, "", "  ")
			require.NoError(t, err)
			got = append(got, '\n')
			path := filepath.Join("testdata", tool.Name+".golden.json")
			if *update {
				require.NoError(t, os.WriteFile(path, got, 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./tools -run Golden -update to create it")
			assert.JSONEq(t, string(want), string(got))
		})
	}
}

// hints are the four annotations of a tool as its MCP definition carries them.
type hints struct{ readOnly, destructive, idempotent, openWorld bool }

// wantHints is what each built-in tool tells clients, written out by hand: a
// tool added, or one whose annotations changed or went missing, fails
// TestEveryToolSetsAllFourAnnotations until this table agrees.
var wantHints = map[string]hints{
	"process_webhook_data":           {readOnly: false, destructive: false, idempotent: true, openWorld: false},
	"extract_client_knowledge_graph": {readOnly: false, destructive: false, idempotent: true, openWorld: false},
	"validate_webhook_signature":     {readOnly: true, destructive: false, idempotent: true, openWorld: false},
	"send_webhook_response":          {readOnly: false, destructive: false, idempotent: false, openWorld: true},
	"get_approval_status":            {readOnly: true, destructive: false, idempotent: true, openWorld: false},
	"list_approvals":                 {readOnly: true, destructive: false, idempotent: true, openWorld: false},
	"get_client_knowledge_graph":     {readOnly: true, destructive: false, idempotent: true, openWorld: false},
	"search_knowledge_graph":         {readOnly: true, destructive: false, idempotent: true, openWorld: false},
	"list_webhook_events":            {readOnly: true, destructive: false, idempotent: true, openWorld: false},
	"search":                         {readOnly: true, destructive: false, idempotent: true, openWorld: false},
	"fetch":                          {readOnly: true, destructive: false, idempotent: true, openWorld: false},
}

func TestEveryToolSetsAllFourAnnotations(t *testing.T) {
	t.Parallel()
	got := map[string]hints{}
	for _, a := range Builtin(Deps{}) {
		tool := a.Tool()
		an := tool.Annotations
		for hint, v := range map[string]*bool{"readOnlyHint": an.ReadOnlyHint, "destructiveHint": an.DestructiveHint,
			"idempotentHint": an.IdempotentHint, "openWorldHint": an.OpenWorldHint} {
			require.NotNil(t, v, "%s: %s is not set", tool.Name, hint)
		}
		got[tool.Name] = hints{*an.ReadOnlyHint, *an.DestructiveHint, *an.IdempotentHint, *an.OpenWorldHint}
		assert.True(t, a.Spec().Annotations.set, "%s: annotations not built by a constructor", tool.Name)
		assert.NotEmpty(t, tool.Description, tool.Name)
		assert.NotEmpty(t, an.Title, tool.Name)
		var schema map[string]any
		require.NoError(t, json.Unmarshal(tool.RawInputSchema, &schema), tool.Name)
		assert.Equal(t, "object", schema["type"], tool.Name)
		assert.Equal(t, "object", tool.OutputSchema.Type, tool.Name)
	}
	assert.Equal(t, wantHints, got)
}

func TestRegisterRefusesAnActionWithoutAnnotations(t *testing.T) {
	t.Parallel()
	run := func(context.Context, Invocation, struct{}) (struct{}, error) { return struct{}{}, nil }
	r := NewRegistry(Config{})
	err := r.Register(Define(Spec{Name: "forgot", Title: "Forgot", Description: "no annotations"}, run))
	require.ErrorIs(t, err, ErrNoAnnotations)
	_, ok := r.Lookup("forgot")
	assert.False(t, ok, "nothing was registered")
	require.NoError(t, r.Register(Define(Spec{Name: "remembered", Title: "Remembered", Description: "annotated",
		Annotations: ReadOnlyLocal()}, run)))
}

func TestNoToolDecidesApprovals(t *testing.T) {
	t.Parallel()
	for _, a := range Builtin(Deps{}) {
		name := a.Spec().Name
		assert.NotContains(t, name, "approve", "a model must never decide approvals")
		assert.NotContains(t, name, "reject")
	}
}
