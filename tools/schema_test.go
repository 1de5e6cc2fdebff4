package tools

import (
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

func TestEveryToolSetsAllFourAnnotations(t *testing.T) {
	t.Parallel()
	for _, a := range Builtin(Deps{}) {
		tool := a.Tool()
		an := tool.Annotations
		assert.NotNil(t, an.ReadOnlyHint, tool.Name)
		assert.NotNil(t, an.DestructiveHint, tool.Name)
		assert.NotNil(t, an.IdempotentHint, tool.Name)
		assert.NotNil(t, an.OpenWorldHint, tool.Name)
		assert.NotEmpty(t, tool.Description, tool.Name)
		assert.NotEmpty(t, an.Title, tool.Name)
		var schema map[string]any
		require.NoError(t, json.Unmarshal(tool.RawInputSchema, &schema), tool.Name)
		assert.Equal(t, "object", schema["type"], tool.Name)
		assert.Equal(t, "object", tool.OutputSchema.Type, tool.Name)
	}
}

func TestNoToolDecidesApprovals(t *testing.T) {
	t.Parallel()
	for _, a := range Builtin(Deps{}) {
		name := a.Spec().Name
		assert.NotContains(t, name, "approve", "a model must never decide approvals")
		assert.NotContains(t, name, "reject")
	}
}
