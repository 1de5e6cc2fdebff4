package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClientIDsByPrefix(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openStore(t)
	for i, id := range []string{"acme-corp", "acme", "acme_b", "acmex%", "Acme-upper", "ac", "beta", "acmé", "zeta"} {
		require.NoError(t, s.MergeGraph(ctx, graphOf(id, 2, "T"), fmt.Sprintf("wh-%d", i), t0))
	}
	cases := []struct {
		prefix string
		limit  int
		want   []string
	}{
		{"acm", 0, []string{"acme", "acme-corp", "acme_b", "acmex%", "acmé"}},
		{"acme_", 0, []string{"acme_b"}},    // _ is not a wildcard
		{"acmex%", 0, []string{"acmex%"}},   // nor is %
		{"ACM", 0, []string{}},              // case-sensitive
		{"Acme", 0, []string{"Acme-upper"}}, //
		{"acmé", 0, []string{"acmé"}},       // UTF-8 beyond ASCII
		{"acm", 2, []string{"acme", "acme-corp"}},
		{"", 3, []string{"Acme-upper", "ac", "acme"}},
		{"nobody", 0, []string{}},
	}
	for _, tc := range cases {
		got, err := s.ClientIDs(ctx, tc.prefix, tc.limit)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got, "prefix %q limit %d", tc.prefix, tc.limit)
	}
	all, err := s.ClientIDs(ctx, "", 0)
	require.NoError(t, err)
	assert.Len(t, all, 9, "each client once, however many nodes it has")
}

func TestApprovalIDsByPrefix(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openStore(t)
	ids := []string{"a1b2-0001", "a1b2-0002", "a1c3-0003", "ff00-0004"}
	for i, id := range ids {
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

func TestIDListsAreBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := openStore(t)
	for i := range 120 {
		require.NoError(t, s.MergeGraph(ctx, graphOf(fmt.Sprintf("c-%03d", i), 1, "T"), fmt.Sprintf("wh-%d", i), t0))
	}
	got, err := s.ClientIDs(ctx, "c-", 0)
	require.NoError(t, err)
	assert.Len(t, got, 100, "the default limit")
	got, err = s.ClientIDs(ctx, "c-", 101)
	require.NoError(t, err)
	assert.Len(t, got, 101)
}
