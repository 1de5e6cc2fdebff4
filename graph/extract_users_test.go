package graph

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestExtractUsersFieldShapes checks that a ClickUp "users" custom field keeps
// every user whatever its shape: objects (named by username, else email, else
// id), bare ids as numbers or strings, mixed lists, and a single user that is
// not in a list.
func TestExtractUsersFieldShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, value string
		want        []any
	}{
		{"objects", `[{"id":1,"username":"Ann","email":"ann@example.com"},{"id":2,"email":"bob@example.com"},{"id":3}]`,
			[]any{"Ann", "bob@example.com", 3.0}},
		{"bare number ids", `[48210357, 61750042]`, []any{48210357.0, 61750042.0}},
		{"bare string ids", `["48210357", "u-7"]`, []any{"48210357", "u-7"}},
		{"mixed list", `[{"id":1,"username":"Ann"}, 61750042, "u-7", null, {"initials":"ZZ"}]`,
			[]any{"Ann", 61750042.0, "u-7", map[string]any{"initials": "ZZ"}}},
		{"single object", `{"id":5,"username":"Cy"}`, []any{"Cy"}},
		{"single number id", `70311986`, []any{70311986.0}},
		{"single string id", `"70311986"`, []any{"70311986"}},
		{"empty list", `[]`, []any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			payload := `{"client_id":"client-1","task":{"id":"t1","name":"Task","custom_fields":[` +
				`{"id":"f1","name":"Reviewers","type":"users","value":` + tt.value + `}]}}`
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(payload), &m))
			g := Extract(m, testOpts(false))
			r, ok := findEdge(g, "task:t1", RelHasField, "custom_field:f1")
			require.True(t, ok, "HAS_FIELD edge of the users field")
			assert.Equal(t, map[string]any{"value": tt.want}, r.Properties)
		})
	}
}

// TestExtractUsersFieldJSONNumbers checks the bare ids of a payload decoded
// with UseNumber (exact decimal text) are kept too.
func TestExtractUsersFieldJSONNumbers(t *testing.T) {
	t.Parallel()
	payload := `{"client_id":"c","task":{"id":"t1","name":"Task","custom_fields":[` +
		`{"id":"f1","name":"Reviewers","type":"users","value":[9007199254740993,{"id":9007199254740995}]}]}}`
	dec := json.NewDecoder(bytes.NewReader([]byte(payload)))
	dec.UseNumber()
	var m map[string]any
	require.NoError(t, dec.Decode(&m))
	g := Extract(m, testOpts(false))
	r, ok := findEdge(g, "task:t1", RelHasField, "custom_field:f1")
	require.True(t, ok)
	assert.Equal(t, []any{json.Number("9007199254740993"), json.Number("9007199254740995")}, r.Properties["value"])
}
