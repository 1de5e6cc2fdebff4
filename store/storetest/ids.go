package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// idTests cover the id lists behind MCP completions.
var idTests = []test{
	{"ClientIDsByPrefix", testClientIDsByPrefix},
	{"ApprovalIDsByPrefix", testApprovalIDsByPrefix},
	{"IDListsAreBounded", testIDListsAreBounded},
}

func testClientIDsByPrefix(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url)
	for i, id := range []string{"acme-corp", "acme", "acme_b", "acmex%", `acme\z`, "Acme-upper", "ac", "beta", "acmé", "zeta"} {
		require.NoError(t, s.MergeGraph(ctx, GraphOf(id, 2, "T"), fmt.Sprintf("wh-%d", i), t0))
	}
	cases := []struct {
		prefix string
		limit  int
		want   []string
	}{
		{"acm", 0, []string{"acme", "acme-corp", `acme\z`, "acme_b", "acmex%", "acmé"}},
		{"acme_", 0, []string{"acme_b"}},    // _ is not a wildcard
		{"acmex%", 0, []string{"acmex%"}},   // nor is %
		{`acme\`, 0, []string{`acme\z`}},    // nor the escape character
		{"ACM", 0, []string{}},              // case-sensitive
		{"Acme", 0, []string{"Acme-upper"}}, //
		{"acmé", 0, []string{"acmé"}},       // UTF-8 beyond ASCII
		{"acm", 2, []string{"acme", "acme-corp"}},
		{"", 3, []string{"Acme-upper", "ac", "acme"}}, // byte order
		{"nobody", 0, []string{}},
	}
	for _, tc := range cases {
		got, err := s.ClientIDs(ctx, tc.prefix, tc.limit)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got, "prefix %q limit %d", tc.prefix, tc.limit)
	}
	all, err := s.ClientIDs(ctx, "", 0)
	require.NoError(t, err)
	assert.Len(t, all, 10, "each client once, however many nodes it has")
}

func testApprovalIDsByPrefix(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url)
	for i, id := range []string{"a1b2-0001", "a1b2-0002", "a1c3-0003", "ff00-0004"} {
		createPending(t, s, id, t0.Add(time.Duration(i)*time.Minute))
	}
	got, err := s.ApprovalIDs(ctx, "a1b", 0)
	require.NoError(t, err)
	assert.Equal(t, []string{"a1b2-0002", "a1b2-0001"}, got, "newest first")
	got, err = s.ApprovalIDs(ctx, "", 3)
	require.NoError(t, err)
	assert.Equal(t, []string{"ff00-0004", "a1c3-0003", "a1b2-0002"}, got)
	got, err = s.ApprovalIDs(ctx, "zz", 0)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func testIDListsAreBounded(t *testing.T, url string) {
	ctx := context.Background()
	s := open(t, url)
	for i := range 120 {
		require.NoError(t, s.MergeGraph(ctx, GraphOf(fmt.Sprintf("c-%03d", i), 1, "T"), fmt.Sprintf("wh-%d", i), t0))
	}
	got, err := s.ClientIDs(ctx, "c-", 0)
	require.NoError(t, err)
	assert.Len(t, got, 100, "the default limit")
	got, err = s.ClientIDs(ctx, "c-", 101)
	require.NoError(t, err)
	assert.Len(t, got, 101)
}
