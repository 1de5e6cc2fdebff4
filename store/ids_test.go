package store

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendID(t *testing.T) {
	t.Parallel()
	enc := func(ids ...string) string {
		b, err := json.Marshal(ids)
		require.NoError(t, err)
		return string(b)
	}
	tricky := []string{`a,"b"`, `c\`, `"`, `x","y`, `<&>`, `ü`, ``}
	tests := []struct {
		name, list, id, want string
		max                  int
	}{
		{"empty", "", "a", `["a"]`, 3},
		{"empty array", "[]", "a", `["a"]`, 3},
		{"append", enc("a"), "b", enc("a", "b"), 3},
		{"present first", enc("a", "b"), "a", enc("a", "b"), 3},
		{"present last", enc("a", "b"), "b", enc("a", "b"), 3},
		{"not a prefix match", enc("ab"), "a", enc("ab", "a"), 3},
		{"cap drops oldest", enc("a", "b", "c"), "d", enc("b", "c", "d"), 3},
		{"over cap", enc("a", "b", "c", "d"), "e", enc("c", "d", "e"), 3},
		{"cap 1", enc("a"), "b", enc("b"), 1},
		{"spaces", `[ "a" , "b" ]`, "b", `[ "a" , "b" ]`, 3},
		{"tricky present", enc(tricky...), `x","y`, enc(tricky...), 10},
		{"tricky absent", enc(tricky...), `y`, enc(append(tricky, "y")...), 10},
		{"tricky quote", enc(`x","y`), `y`, enc(`x","y`, "y"), 10},
		{"tricky cap", enc(tricky...), "z", enc(append(tricky[5:], "z")...), 3},
	}
	for _, tt := range tests {
		got, err := appendID(tt.list, tt.id, tt.max)
		require.NoError(t, err, tt.name)
		assert.Equal(t, tt.want, got, tt.name)
		var ids []string
		require.NoError(t, json.Unmarshal([]byte(got), &ids), tt.name)
	}
	for _, bad := range []string{`{}`, `["a`, `x`} {
		_, err := appendID(bad, "a", 3)
		assert.Error(t, err, bad)
	}
	list := "[]"
	for i := range 250 {
		var err error
		list, err = appendID(list, fmt.Sprint(i), 100)
		require.NoError(t, err)
	}
	var ids []string
	require.NoError(t, json.Unmarshal([]byte(list), &ids))
	assert.Len(t, ids, 100)
	assert.Equal(t, "150", ids[0])
	assert.Equal(t, "249", ids[99])
}

// TestAppendIDFastAgreesWithScan compares the fast path with the scan on
// random lists over an alphabet rich in the characters that matter.
func TestAppendIDFastAgreesWithScan(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "0", "-", ",", `"`, `\`, "]", "[", " ", "é", "<"}
	word := func() string {
		var b strings.Builder
		for range rng.IntN(4) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	fast := 0
	for range 20000 {
		ids := make([]string, rng.IntN(6))
		for i := range ids {
			ids[i] = word()
		}
		list := "[]"
		if len(ids) > 0 {
			b, err := json.Marshal(ids)
			require.NoError(t, err)
			list = string(b)
		}
		id := word()
		maxIDs := 1 + rng.IntN(6)
		q, err := json.Marshal(id)
		require.NoError(t, err)
		want, err := appendIDScan(list, string(q), maxIDs)
		if list == "[]" {
			want, err = "["+string(q)+"]", nil
		}
		require.NoError(t, err)
		if got, ok := appendIDFast(list, id, string(q), maxIDs); ok {
			fast++
			require.Equal(t, want, got, "list %s id %q max %d", list, id, maxIDs)
		}
		got, err := appendID(list, id, maxIDs)
		require.NoError(t, err)
		require.Equal(t, want, got, "list %s id %q max %d", list, id, maxIDs)
	}
	assert.Greater(t, fast, 1000, "the fast path was exercised")
}
